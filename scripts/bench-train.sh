#!/usr/bin/env bash
# Training throughput of our engine vs PyTorch 1.13 (Debian's, 2 threads): one epoch of lenet5 and
# cnn3, Adam 1e-3, batch 128, on the same MNIST images; prints images/s and our/PyTorch ratios.
# PyTorch runs twice: with the BLAS it links by default (libblas.so.3, Debian's reference BLAS unless
# an alternative is installed) and with Debian's OpenBLAS (libopenblas0-openmp), unpacked into
# artifacts/openblas without installing it.
# Usage: [RUNS=3] scripts/bench-train.sh [images]   (default 60000: a full epoch; try 6000 for a quick look)
# Each figure is the median of RUNS runs, the programs taking turns (round-by-round figures go to stderr).
set -euo pipefail
cd "$(dirname "$0")/.."
IMAGES="${1:-60000}"
RUNS="${RUNS:-3}"
MNIST="${MNIST_DATA:-data/mnist}"
PY=/usr/bin/python3
[ -f "$MNIST/train-images-idx3-ubyte" ] || { echo "MNIST not found in $MNIST: run scripts/fetch-mnist.sh" >&2; exit 1; }

dotnet build bench/Mnist.ML.TrainBench -c Release -v q -nologo >/dev/null
OURS=(dotnet bench/Mnist.ML.TrainBench/bin/Release/net10.0/Mnist.ML.TrainBench.dll)

OPENBLAS_DIR=artifacts/openblas
OPENBLAS_LIB="$OPENBLAS_DIR/usr/lib/x86_64-linux-gnu/openblas-openmp"
if [ ! -f "$OPENBLAS_LIB/libblas.so.3" ]; then
    mkdir -p "$OPENBLAS_DIR"
    ( cd "$OPENBLAS_DIR" && apt-get download libopenblas0-openmp >download.log 2>&1 && dpkg -x libopenblas0-openmp_*.deb . ) \
        || echo "could not fetch libopenblas0-openmp; skipping the OpenBLAS run" >&2
fi

result() { grep '^RESULT' | tail -1 | awk '{print $3}'; }
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
ratio() { [ "$2" = "-" ] && echo "-" || awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }
printf '%-7s %12s %14s %10s %16s %10s\n' arch "ours img/s" "torch img/s" ratio "torch+oblas" ratio
for arch in lenet5 cnn3; do
    # The three programs take turns, RUNS rounds; each column is the median of its runs, so a slow
    # spell of the (shared, virtualised) machine hits all three alike.
    o_all=""; t_all=""; b_all=""
    for round in $(seq "$RUNS"); do
        o_all="$o_all $("${OURS[@]}" bench "$arch" "$IMAGES" "$MNIST" | result)"
        t_all="$t_all $(OMP_NUM_THREADS=2 $PY scripts/bench_train_torch.py "$arch" "$IMAGES" "$MNIST" | result)"
        if [ -f "$OPENBLAS_LIB/libblas.so.3" ]; then
            b_all="$b_all $(LD_LIBRARY_PATH="$PWD/$OPENBLAS_LIB" OMP_NUM_THREADS=2 $PY scripts/bench_train_torch.py "$arch" "$IMAGES" "$MNIST" | result)"
        fi
        echo "  round $round/$RUNS $arch: ours$(echo "$o_all" | awk '{print " " $NF}') torch$(echo "$t_all" | awk '{print " " $NF}') torch+oblas$(echo "${b_all:- -}" | awk '{print " " $NF}')" >&2
    done
    ours=$(echo "$o_all" | median); torch=$(echo "$t_all" | median)
    oblas="-"; [ -n "$b_all" ] && oblas=$(echo "$b_all" | median)
    printf '%-7s %12s %14s %10s %16s %10s\n' "$arch" "$ours" "$torch" "$(ratio "$ours" "$torch")" "$oblas" "$(ratio "$ours" "$oblas")"
done
echo "(medians of $RUNS alternating runs; ratio = ours / PyTorch: above 1 means our engine is faster; $IMAGES images, $(nproc) cores)"
