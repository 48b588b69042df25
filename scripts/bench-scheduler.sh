#!/usr/bin/env bash
# End-to-end scheduling on a 3-server cluster on loopback with simulated
# nodes: placements/s from the first registration to the last allocation
# committed, evaluation latency, each server's peak RSS, and the CPU time
# (user + sys) the servers spent during the run.
#
#   scripts/bench-scheduler.sh [--nodes 5000] [--jobs 100] [--count 1000]
#                              [--watch shared|per-node] [--report]
#
# Defaults place 100,000 allocations; --jobs 1000 --count 1000 is the
# one-million run. Without --watch the simulated nodes report nothing.
# --watch makes them report their allocations running (more Raft writes),
# and the run lasts until every allocation is reported running:
#   shared    one blocking query over all allocations for every node
#             (--report is the same);
#   per-node  every node long-polls its own allocations with its secret
#             (GET /v1/node/{id}/client-allocs), as a real client does.
# The servers' HTTP connection caps are raised (limits.http_max_conns and
# http_max_conns_per_client = 16384), since in per-node mode every node
# holds a connection for its long poll, all from 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
nodes=5000 jobs=100 count=1000 watch=
while [ $# -gt 0 ]; do
  case "$1" in
    --nodes) nodes=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --count) count=$2; shift 2 ;;
    --report) watch=shared; shift ;;
    --watch)
      case "$2" in shared|per-node) watch=$2 ;; *) echo "--watch: shared or per-node" >&2; exit 2 ;; esac
      shift 2 ;;
    *) echo "unknown flag $1" >&2; exit 2 ;;
  esac
done
cargo build --release --bin drover --example bench-scheduler
. scripts/lib.sh
cluster_workdir drover-bench-sched
http=(); rpc=()
pick_ports
cat >"$dir/limits.hcl" <<'HCL'
limits {
  http_max_conns_per_client = 16384
  http_max_conns            = 16384
}
HCL
server_args=(-config "$dir/limits.hcl")
start_servers "$dir" warn
servers=("${pids[@]}")
addrs="http://127.0.0.1:${http[0]},http://127.0.0.1:${http[1]},http://127.0.0.1:${http[2]}"
wait_leader "http://127.0.0.1:${http[0]}" >/dev/null
if [ -n "$watch" ]; then sim_flags=(-watch "$watch"); until=running; else sim_flags=(--no-report); until=placed; fi
target/release/drover nodesim -address "http://127.0.0.1:${http[0]}" -address "http://127.0.0.1:${http[1]}" \
  -nodes "$nodes" -datacenters dc1,dc2 -cpu 4000 -memory 4096 "${sim_flags[@]}" >"$dir/nodesim.log" 2>&1 &
pids+=($!)
sim=$!
for _ in $(seq 1 600); do
  n=$(curl -sf "http://127.0.0.1:${http[0]}/v1/nodes?stale" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))' || echo 0)
  [ "$n" -ge "$nodes" ] && break
  sleep 0.5
done
echo "cluster ready: 3 servers, $n simulated nodes, reports: ${watch:-none}"
# Let every node's first long poll arrive before the clock starts.
[ "$watch" = per-node ] && sleep 5
# PERF_OUT=FILE records a CPU profile of the three servers during the run.
if [ -n "${PERF_OUT:-}" ]; then
  perf record -F 200 --call-graph dwarf,16384 -o "$PERF_OUT" -p "$(IFS=,; echo "${servers[*]}")" >/dev/null 2>&1 &
  perf_pid=$!
fi
before=(); for p in "${servers[@]}" "$sim"; do before+=("$(cpu_ticks "$p")"); done
target/release/examples/bench-scheduler --addrs "$addrs" --jobs "$jobs" --count "$count" --until "$until"
after=(); for p in "${servers[@]}" "$sim"; do after+=("$(cpu_ticks "$p")"); done
if [ -n "${PERF_OUT:-}" ]; then kill -INT "$perf_pid"; wait "$perf_pid" || true; fi
tick=$(getconf CLK_TCK)
secs() { awk -v t="$tick" -v d="$1" 'BEGIN {printf "%.1f", d / t}'; }
total=0
for i in 0 1 2; do
  d=$((after[i] - before[i])); total=$((total + d))
  echo "server $i: CPU $(secs "$d") s during the run, peak RSS $(awk '/VmHWM/ {printf "%.0f MiB", $2/1024}' "/proc/${servers[$i]}/status"), $(awk '{printf "%.0f", $10 / 1000}' "/proc/${servers[$i]}/stat")k page faults"
done
echo "servers CPU during the run: $(secs "$total") s (user + sys, 3 servers)"
echo "nodesim CPU during the run: $(secs $((after[3] - before[3]))) s"
tail -n 1 "$dir/nodesim.log"
