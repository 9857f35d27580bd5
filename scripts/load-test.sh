#!/usr/bin/env bash
# Load test of the server on loopback: wrk posts a 28x28 PNG (MNIST test image 0) as multipart to /predict
# for DURATION seconds; prints requests/s, p50/p99 latency, errors and the server's RSS before and after.
# Usage: scripts/load-test.sh [duration_s=30] [connections=16] [threads=2]
#   MODEL=path/to/model.onnx  uses that model instead of the one embedded in Mnist.ML.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
duration="${1:-30}"; connections="${2:-16}"; threads="${3:-2}"

command -v wrk >/dev/null || { echo "wrk not found: apt-get install -y wrk" >&2; exit 1; }
dotnet build src/Mnist.ML.Server -c Release -v q -nologo >/dev/null
work="$(mktemp -d)"
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$work"' EXIT

# The request body: MNIST test image 0 (a 7) as a 28x28 gray PNG, written with the standard library only.
python3 - "$work/digit.png" "$root/data/mnist/t10k-images-idx3-ubyte" <<'PY'
import struct, sys, zlib
with open(sys.argv[2], "rb") as f:
    f.read(16); px = f.read(784)
raw = b"".join(b"\x00" + px[y * 28:(y + 1) * 28] for y in range(28))
chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
open(sys.argv[1], "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 28, 28, 8, 0, 0, 0, 0))
                              + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
PY

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
url="http://127.0.0.1:$port"
args=(--urls "$url" --Mnist:LogFolder="$work/logs" --Mnist:RateLimit:PermitLimit=2000000000 --Logging:LogLevel:Default=Warning)
[ -n "${MODEL:-}" ] && args+=(--Mnist:ModelPath="$MODEL")
dotnet src/Mnist.ML.Server/bin/Release/net10.0/Mnist.ML.Server.dll "${args[@]}" >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 300); do curl -sf "$url/health/ready" >/dev/null && break; sleep 0.2; done
curl -sf "$url/health/ready" >/dev/null || { echo "server not ready:"; cat "$work/server.log"; exit 1; }
answer="$(curl -sf -F "file=@$work/digit.png" "$url/predict")"
rss() { awk '/VmRSS/ {print $2 * 1024}' "/proc/$server/status"; }
rss_before="$(rss)"

export LOAD_PNG="$work/digit.png"
wrk -t"$threads" -c"$connections" -d5s -s scripts/load-test.lua "$url" >/dev/null   # warm-up (JIT, pools)
rss_warm="$(rss)"
wrk -t"$threads" -c"$connections" -d"${duration}s" --latency -s scripts/load-test.lua "$url" | tee "$work/wrk.txt"
rss_after="$(rss)"

rps="$(awk '/^Requests\/sec/ {print $2}' "$work/wrk.txt")"
p50="$(awk '$1 == "50%" {print $2}' "$work/wrk.txt")"
p99="$(awk '$1 == "99%" {print $2}' "$work/wrk.txt")"
total="$(awk '/requests in/ {print $1}' "$work/wrk.txt")"
socket_errors="$(awk '/Socket errors/ {print}' "$work/wrk.txt")"
non_200="$(awk '/^non_200/ {print $2}' "$work/wrk.txt")"
mib() { awk -v b="$1" 'BEGIN { printf "%.0f MiB", b / 1048576 }'; }
echo
echo "first answer: $answer" | cut -c1-120
echo "| requests/s | p50 | p99 | requests | non-200 | socket errors | RSS idle | RSS after warm-up | RSS after run |"
echo "|---|---|---|---|---|---|---|---|---|"
echo "| $rps | $p50 | $p99 | $total | $non_200 | ${socket_errors:-none} | $(mib "$rss_before") | $(mib "$rss_warm") | $(mib "$rss_after") |"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
[ "$non_200" = "0" ] && [ -z "$socket_errors" ]
