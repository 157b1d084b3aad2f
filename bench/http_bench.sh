#!/usr/bin/env bash
# HTTP benchmark, same run, same machine: Calyx serving a module route (tenant detection, routing, the
# subscription check, the worker pool, the ABI call, security headers) against a minimal Boost.Beast server
# answering the same bytes from memory. wrk drives both on loopback, then the script prints the ratio.
# Usage: bench/http_bench.sh [BUILD_DIR] [SECONDS]
set -euo pipefail
source "$(dirname "$0")/lib.sh"
build=${1:-build}
seconds=${2:-10}
work=$(mktemp -d /tmp/calyx-bench.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/modules"
cp "$build/bench/hello.so" "$work/modules/"
export CALYX_VAR_DIR=$work/var CALYX_MODULES_DIR=$work/modules CALYX_LOG_LEVEL=warn CALYX_HTTP_THREADS=2
"$build/host/calyx" tenant create --slug bench --name Bench >/dev/null
"$build/host/calyx" module enable hello --tenant bench >/dev/null

calyx_port=$(free_port)
CALYX_LISTEN=127.0.0.1:$calyx_port "$build/host/calyx" serve 2>"$work/calyx.log" &
pids+=($!)
floor_port=$(free_port)
"$build/bench/minimal_server" 127.0.0.1 "$floor_port" 2 &
pids+=($!)
wait_port "$calyx_port"
wait_port "$floor_port"
curl -fsS "http://bench.localhost:$calyx_port/hello" | grep -q ok

# The machine is shared (a VM, wrk on the same two cores): the two servers take turns, round after round, and
# the ratio is that of their total requests over all rounds.
rounds=${ROUNDS:-3}
calyx_total=0 floor_total=0
for round in $(seq "$rounds"); do
  echo "== round $round/$rounds: Calyx, module route GET /hello on tenant bench (${seconds}s)"
  calyx_out=$(wrk -t2 -c64 -d"${seconds}s" --latency -H "Host: bench.localhost" "http://127.0.0.1:$calyx_port/hello")
  echo "$calyx_out" | grep -E "Latency|99%|Requests/sec"
  echo "== round $round/$rounds: minimal Beast server, same bytes from memory (${seconds}s)"
  floor_out=$(wrk -t2 -c64 -d"${seconds}s" --latency "http://127.0.0.1:$floor_port/hello")
  echo "$floor_out" | grep -E "Latency|99%|Requests/sec"
  calyx_total=$((calyx_total + $(echo "$calyx_out" | requests)))
  floor_total=$((floor_total + $(echo "$floor_out" | requests)))
done
echo "== Calyx $calyx_total requests, floor $floor_total requests in $rounds x ${seconds}s each:" \
  "ratio $(awk -v a="$calyx_total" -v b="$floor_total" 'BEGIN {printf "%.2f", a / b}')x (target >= 0.9)"
