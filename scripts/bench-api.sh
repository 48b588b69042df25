#!/usr/bin/env bash
# Job registrations/s through the HTTP API of a 3-server cluster on loopback
# (real processes, durable sled logs), for 1 and 64 concurrent clients, with
# p50/p99 latency.
#
#   scripts/bench-api.sh [--clients 1,64] [--seconds 5]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --bin drover --example bench-api
. scripts/lib.sh
cluster_workdir drover-bench-api
http=(); rpc=()
pick_ports
start_servers "$dir" warn
addrs="http://127.0.0.1:${http[0]},http://127.0.0.1:${http[1]},http://127.0.0.1:${http[2]}"
leader=$(wait_leader "http://127.0.0.1:${http[0]}")
echo "cluster ready, leader $leader"
target/release/examples/bench-api --addrs "$addrs" "$@"
