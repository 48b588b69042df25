#!/usr/bin/env bash
# Large reads against a loaded cluster: 3 servers, 5,000 simulated nodes,
# 100,000 allocations; times GET /v1/allocations (about 63 MB of JSON) and
# the latency of /v1/status/leader while four such reads run at once.
#
#   scripts/bench-list-reads.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --bin drover --example bench-scheduler
. scripts/lib.sh
cluster_workdir drover-bench-lists
http=(); rpc=()
pick_ports
start_servers "$dir" warn
addrs="http://127.0.0.1:${http[0]},http://127.0.0.1:${http[1]},http://127.0.0.1:${http[2]}"
wait_leader "http://127.0.0.1:${http[0]}" >/dev/null
target/release/drover nodesim -address "http://127.0.0.1:${http[0]}" -nodes 5000 -datacenters dc1,dc2 -cpu 4000 -memory 4096 >"$dir/nodesim.log" 2>&1 &
pids+=($!)
target/release/examples/bench-scheduler --addrs "$addrs" --jobs 100 --count 1000 2>&1 | grep placed
A="http://127.0.0.1:${http[0]}"
for i in 1 2; do
  curl -s -o "$dir/allocs.json" -w "GET /v1/allocations: %{time_total} s, %{size_download} bytes\n" "$A/v1/allocations"
done
# four list reads at once while timing the leader status
( for k in 1 2 3 4; do curl -s -o /dev/null "$A/v1/allocations" & done; wait ) &
sleep 0.05
for i in 1 2 3 4 5 6 7 8; do
  curl -s -o /dev/null -w "status/leader during 4 list reads: %{time_total} s\n" "$A/v1/status/leader"
  sleep 0.1
done
wait
