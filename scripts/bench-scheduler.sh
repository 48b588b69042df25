#!/usr/bin/env bash
# End-to-end scheduling on a 3-server cluster on loopback with simulated
# nodes: placements/s from the first registration to the last allocation
# committed, evaluation latency, and each server's peak RSS.
#
#   scripts/bench-scheduler.sh [--nodes 5000] [--jobs 100] [--count 1000] [--report]
#
# Defaults place 100,000 allocations; --jobs 1000 --count 1000 is the
# one-million run. --report makes the simulated nodes report allocations
# as running (more Raft writes).
set -euo pipefail
cd "$(dirname "$0")/.."
nodes=5000 jobs=100 count=1000 report=--no-report
while [ $# -gt 0 ]; do
  case "$1" in
    --nodes) nodes=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --count) count=$2; shift 2 ;;
    --report) report=; shift ;;
    *) echo "unknown flag $1" >&2; exit 2 ;;
  esac
done
cargo build --release --bin drover --example bench-scheduler
. scripts/lib.sh
cluster_workdir drover-bench-sched
http=(); rpc=()
pick_ports
start_servers "$dir" warn
servers=("${pids[@]}")
addrs="http://127.0.0.1:${http[0]},http://127.0.0.1:${http[1]},http://127.0.0.1:${http[2]}"
wait_leader "http://127.0.0.1:${http[0]}" >/dev/null
target/release/drover nodesim -address "http://127.0.0.1:${http[0]}" -address "http://127.0.0.1:${http[1]}" \
  -nodes "$nodes" -datacenters dc1,dc2 -cpu 4000 -memory 4096 $report >"$dir/nodesim.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 600); do
  n=$(curl -sf "http://127.0.0.1:${http[0]}/v1/nodes?stale" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))' || echo 0)
  [ "$n" -ge "$nodes" ] && break
  sleep 0.5
done
echo "cluster ready: 3 servers, $n simulated nodes"
# PERF_OUT=FILE records a CPU profile of the three servers during the run.
if [ -n "${PERF_OUT:-}" ]; then
  perf record -F 200 --call-graph dwarf,16384 -o "$PERF_OUT" -p "$(IFS=,; echo "${servers[*]}")" >/dev/null 2>&1 &
  perf_pid=$!
fi
target/release/examples/bench-scheduler --addrs "$addrs" --jobs "$jobs" --count "$count"
if [ -n "${PERF_OUT:-}" ]; then kill -INT "$perf_pid"; wait "$perf_pid" || true; fi
tick=$(getconf CLK_TCK)
cpu() { awk -v t="$tick" '{printf "%.1f", ($14 + $15) / t}' "/proc/$1/stat"; }
for i in 0 1 2; do
  echo "server $i peak RSS: $(awk '/VmHWM/ {printf "%.0f MiB", $2/1024}' /proc/${servers[$i]}/status), CPU $(cpu "${servers[$i]}") s since start, $(awk '{printf "%.0f", $10 / 1000}' "/proc/${servers[$i]}/stat")k page faults"
done
echo "nodesim CPU: $(cpu "${pids[3]}") s since start"
