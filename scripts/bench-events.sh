#!/usr/bin/env bash
# Event stream delivery during a placement run: 3 servers on loopback,
# simulated nodes (no reports), --subscribers streams of
# /v1/event/stream (every topic) spread over the servers, then
# --jobs x --count placements by scripts/bench/bench-scheduler.rs. Prints
# events/s delivered to all subscribers, subscribers closed for falling
# behind, and lag: allocation created -> received (one subscriber) and,
# per server, entry applied -> frame handed to the connection
# (nomad.event.lag from /v1/metrics), plus the placement figures.
#
#   scripts/bench-events.sh [--nodes 1000] [--jobs 10] [--count 1000] [--subscribers 100]
set -euo pipefail
cd "$(dirname "$0")/.."
nodes=1000 jobs=10 count=1000 subscribers=100
while [ $# -gt 0 ]; do
  case "$1" in
    --nodes) nodes=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --count) count=$2; shift 2 ;;
    --subscribers) subscribers=$2; shift 2 ;;
    *) echo "unknown flag $1" >&2; exit 2 ;;
  esac
done
cargo build --release --bin drover --example bench-scheduler --example bench-events
. scripts/lib.sh
cluster_workdir drover-bench-events
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
addrs="http://127.0.0.1:${http[0]},http://127.0.0.1:${http[1]},http://127.0.0.1:${http[2]}"
wait_leader "http://127.0.0.1:${http[0]}" >/dev/null
target/release/drover nodesim -address "http://127.0.0.1:${http[0]}" -address "http://127.0.0.1:${http[1]}" \
  -nodes "$nodes" -datacenters dc1,dc2 -cpu 4000 -memory 4096 --no-report >"$dir/nodesim.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 600); do
  n=$(curl -sf "http://127.0.0.1:${http[0]}/v1/nodes?stale" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))' || echo 0)
  [ "$n" -ge "$nodes" ] && break
  sleep 0.5
done
echo "cluster ready: 3 servers, $n simulated nodes, $subscribers subscribers"
target/release/examples/bench-events --addrs "$addrs" --subscribers "$subscribers" \
  --expect $((jobs * count)) >"$dir/events.log" 2>&1 &
events=$!
pids+=($events)
for _ in $(seq 1 600); do
  grep -q '^subscribed' "$dir/events.log" && break
  kill -0 "$events" 2>/dev/null || { cat "$dir/events.log"; exit 1; }
  sleep 0.1
done
target/release/examples/bench-scheduler --addrs "$addrs" --jobs "$jobs" --count "$count" --until placed
wait "$events" || true
cat "$dir/events.log"
