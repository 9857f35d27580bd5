#!/usr/bin/env bash
# Installs the independent references the tests use, idempotently, on a fresh Debian machine:
# PyTorch, the ONNX checker and conformance data, PIL, ImageMagick, Chromium (Debian packages);
# ONNX Runtime for Node and playwright-core (npm, into tools/node).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

debs=(python3-torch python3-onnx libonnx-testdata python3-pil python3-numpy imagemagick chromium)
missing=()
for p in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing Debian packages: ${missing[*]}"
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ -f "$root/tools/node/package.json" ] && [ ! -d "$root/tools/node/node_modules/onnxruntime-node" -o ! -d "$root/tools/node/node_modules/playwright-core" ]; then
  echo "Installing npm packages in tools/node"
  (cd "$root/tools/node" && ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund --silent)
fi
echo "Test dependencies present."
