#!/usr/bin/env bash
# Inference speed of our managed ONNX executor vs ONNX Runtime 1.30 (onnxruntime-node, CPU) on the
# same .onnx files (lenet5 and cnn3 exported by PyTorch 1.13, tests/Mnist.ML.Tests/Onnx/make_torch_models.py),
# with 1 and 2 threads: batch-1 latency (median of 2000 runs) and batch-256 throughput (img/s).
# Usage: scripts/bench-onnx.sh   (results go to stdout; docs/BENCHMARKS.md records a run)
set -euo pipefail
cd "$(dirname "$0")/.."
MNIST="${MNIST_DATA:-data/mnist}"
MODELS=artifacts/onnx-bench
[ -f "$MNIST/t10k-images-idx3-ubyte" ] || { echo "MNIST not found in $MNIST: run scripts/fetch-mnist.sh" >&2; exit 1; }
[ -d tools/node/node_modules/onnxruntime-node ] || { echo "onnxruntime-node missing: run scripts/install-test-deps.sh" >&2; exit 1; }
if [ ! -f "$MODELS/cnn3.onnx" ]; then
    /usr/bin/python3 tests/Mnist.ML.Tests/Onnx/make_torch_models.py "$MODELS" "$MNIST"
fi
dotnet build bench/Mnist.ML.OnnxBench -c Release -v q -nologo >/dev/null
OURS=(dotnet bench/Mnist.ML.OnnxBench/bin/Release/net10.0/Mnist.ML.OnnxBench.dll)

field() { awk -v k="$1" '{for (i = 1; i < NF; i++) if ($i == k) print $(i + 1)}'; }
printf '%-7s %7s | %14s %14s %7s | %15s %15s %7s\n' model threads "ours b1 us" "ORT b1 us" ratio "ours b256 img/s" "ORT b256 img/s" ratio
for model in lenet5 cnn3; do
    for threads in 1 2; do
        ours=$("${OURS[@]}" "$MODELS/$model.onnx" "$threads" "$MNIST" | grep '^RESULT')
        ort=$(node bench/Mnist.ML.OnnxBench/ort_bench.js "$MODELS/$model.onnx" "$threads" "$MNIST" | grep '^RESULT')
        ol=$(echo "$ours" | field batch1_median_us); rl=$(echo "$ort" | field batch1_median_us)
        ot=$(echo "$ours" | field batch256_img_per_s); rt=$(echo "$ort" | field batch256_img_per_s)
        printf '%-7s %7s | %14s %14s %7s | %15s %15s %7s\n' "$model" "$threads" "$ol" "$rl" \
            "$(awk -v a="$ol" -v b="$rl" 'BEGIN{printf "%.2fx", a / b}')" "$ot" "$rt" \
            "$(awk -v a="$ot" -v b="$rt" 'BEGIN{printf "%.2fx", a / b}')"
    done
done
echo "(latency ratio = ours/ORT, lower is better; throughput ratio = ours/ORT, higher is better)"
