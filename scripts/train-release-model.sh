#!/usr/bin/env bash
# Makes the model shipped in the Mnist.ML package from scratch, reproducibly (fixed seeds; the recipe
# lives in one place, the Recipe class of scripts/release-model.cs):
#   1. trains on 55,000 MNIST training images; the other 5,000 (split by the seed) are the validation
#      set, used for selection and calibration only (skipped when artifacts/release-model holds a
#      finished run; an interrupted run resumes from its last epoch's checkpoint)
#   2. fits the softmax temperature on the validation set and bakes it into the exported graph
#   3. measures the 10,000 test images once, and the real-world-style set (scripts/make-realworld-set.py)
#   4. writes models/mnist-cnn.onnx + models/mnist-cnn.json (the model card, checked by onnx.checker)
# The trained model is shipped as is (no retraining on all 60,000). tests/Mnist.ML.Tests check the
# shipped file against its card. Usage: scripts/train-release-model.sh [epochs]
set -euo pipefail
cd "$(dirname "$0")/.."
MNIST="${MNIST_DATA:-data/mnist}"
WORK="${RELEASE_WORK:-artifacts/release-model}"
REALWORLD=data/realworld
[ -f "$MNIST/train-images-idx3-ubyte" ] || { echo "MNIST not found in $MNIST: run scripts/fetch-mnist.sh" >&2; exit 1; }
mkdir -p "$WORK"
dotnet build -c Release scripts/release-model.cs -v q -nologo >/dev/null
run() { dotnet run -c Release --no-build scripts/release-model.cs -- "$@"; }
[ -f "$WORK/model.ckpt.summary.json" ] || run train "$MNIST" "$WORK/model.ckpt" ${1:+"$1"}
[ -f "$REALWORLD/labels.csv" ] || /usr/bin/python3 scripts/make-realworld-set.py --out "$REALWORLD" --mnist "$MNIST"
run export "$MNIST" "$WORK/model.ckpt" "$WORK/model.onnx" "$REALWORLD"
/usr/bin/python3 scripts/release_model_card.py "$WORK/model.onnx" models
