#!/usr/bin/env bash
# Soak test of MnistPredictor with the shipped model: N predictions (default 100,000) of a 28x28 PNG from
# T threads (default 2); prints throughput and working set / managed heap before and after.
# Usage: scripts/soak-predict.sh [N] [T]
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build bench/Mnist.ML.Benchmarks -c Release -v q -nologo >/dev/null
dotnet bench/Mnist.ML.Benchmarks/bin/Release/net10.0/Mnist.ML.Benchmarks.dll soak "${1:-100000}" "${2:-2}"
