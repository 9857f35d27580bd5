#!/usr/bin/env bash
# Trains cnn3 for 10 epochs on all 60,000 MNIST training images with our engine (Adam 1e-3, batch
# 128, seed 1) and reports the accuracy on the 10,000 test images. Takes a while on 2 cores.
# Usage: scripts/train-cnn3.sh [epochs]
set -euo pipefail
cd "$(dirname "$0")/.."
MNIST="${MNIST_DATA:-data/mnist}"
[ -f "$MNIST/train-images-idx3-ubyte" ] || { echo "MNIST not found in $MNIST: run scripts/fetch-mnist.sh" >&2; exit 1; }
dotnet build bench/Mnist.ML.TrainBench -c Release -v q -nologo >/dev/null
dotnet bench/Mnist.ML.TrainBench/bin/Release/net10.0/Mnist.ML.TrainBench.dll train cnn3 "${1:-10}" "$MNIST"
