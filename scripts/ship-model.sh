#!/usr/bin/env bash
# Makes the model shipped in the Mnist.ML package: trains cnn3 with our trainer on all 60,000 MNIST
# training images (skipped when artifacts/ship-model already holds a finished run), measures it on the
# 10,000 test images, exports it with our exporter and writes models/mnist-cnn.onnx + mnist-cnn.json.
# Usage: scripts/ship-model.sh [epochs]   (default 4; about 6 minutes an epoch on 2 idle cores)
set -euo pipefail
cd "$(dirname "$0")/.."
MNIST="${MNIST_DATA:-data/mnist}"
WORK=artifacts/ship-model
[ -f "$MNIST/train-images-idx3-ubyte" ] || { echo "MNIST not found in $MNIST: run scripts/fetch-mnist.sh" >&2; exit 1; }
mkdir -p "$WORK"
dotnet build -c Release scripts/ship-model.cs -v q -nologo >/dev/null
run() { dotnet run -c Release --no-build scripts/ship-model.cs -- "$@"; }
[ -f "$WORK/cnn3.ckpt.summary.json" ] || run train "$MNIST" "$WORK/cnn3.ckpt" "${1:-4}"
run export "$MNIST" "$WORK/cnn3.ckpt" "$WORK/cnn3.onnx"
/usr/bin/python3 scripts/ship_model_card.py "$WORK/cnn3.onnx" models
