#!/usr/bin/env bash
# Client agent figures on a 3-server cluster of release builds and one
# client agent (real Docker):
#   - PUT /v1/jobs to the container running (p50, p99 over N runs), beside
#     Docker's own create+start time for the same image;
#   - `docker stop` of the seed's redis container to its replacement
#     running (the restart policy's delay is reported apart);
#   - the client's RSS with 50 running allocations.
#
#   scripts/bench-client.sh [--runs 20] [--allocs 50]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/test-images.sh >/dev/null
cargo build --release --locked --bin drover --example bench-client
. scripts/lib.sh
cluster_workdir drover-bench-client
http=(); rpc=()
pick_ports
start_servers "$dir" warn
leader=$(wait_leader "http://127.0.0.1:${http[0]}")
client_http=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.1.90",0)); print(s.getsockname()[1])')
servers="http://127.0.0.1:${http[0]},http://127.0.0.1:${http[1]},http://127.0.0.1:${http[2]}"
target/release/drover agent -client -bind 127.0.1.90 -http-port "$client_http" \
  -data-dir "$dir/client" -servers "$servers" -log-level warn >"$dir/client.log" 2>&1 &
client_pid=$!
pids+=("$client_pid")
echo "== cluster ready (leader $leader), client pid $client_pid on 127.0.1.90"
target/release/examples/bench-client --addr "http://127.0.0.1:${http[0]}" \
  --client-pid "$client_pid" "$@"
