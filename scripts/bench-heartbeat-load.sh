#!/usr/bin/env bash
# Heartbeat latency (p50, p99, max) on a 3-server cluster while 4 clients
# send ~1 MB job files to /v1/jobs/parse in a loop; and parse times of job
# files of 1,000 and 10,000 groups in one process.
#
#   scripts/bench-heartbeat-load.sh [--clients 4] [--seconds 20] [--groups 2600]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --bin drover --example bench-heartbeat-load --example bench-parse
echo "== parse, validate and JSON decode by job size (one process)"
target/release/examples/bench-parse 1000 10000
. scripts/lib.sh
cluster_workdir drover-bench-hb
http=(); rpc=()
pick_ports
start_servers "$dir" warn
leader=$(wait_leader "http://127.0.0.1:${http[0]}")
echo "== heartbeats under load (cluster ready, leader $leader)"
target/release/examples/bench-heartbeat-load --addr "http://127.0.0.1:${http[0]}" "$@"
