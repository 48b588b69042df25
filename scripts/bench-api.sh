#!/usr/bin/env bash
# Job registrations/s through the HTTP API of a 3-server cluster on loopback
# (real processes, durable sled logs), for 1 and 64 concurrent clients, with
# p50/p99 latency.
#
#   scripts/bench-api.sh [--clients 1,64] [--seconds 5]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --bin drover --example bench-api
dir=$(mktemp -d -t drover-bench-api.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
http=(); rpc=()
for i in 0 1 2; do http+=("$(free_port)"); rpc+=("$(free_port)"); done
joins=()
for i in 0 1 2; do joins+=(-retry-join "127.0.0.1:${rpc[$i]}"); done
for i in 0 1 2; do
  target/release/drover agent -server -bootstrap-expect 3 -bind 127.0.0.1 \
    -data-dir "$dir/s$i" -http-port "${http[$i]}" -rpc-port "${rpc[$i]}" "${joins[@]}" \
    -log-level warn >"$dir/s$i.log" 2>&1 &
  pids+=($!)
done
addrs="http://127.0.0.1:${http[0]},http://127.0.0.1:${http[1]},http://127.0.0.1:${http[2]}"
for _ in $(seq 1 300); do
  leader=$(curl -sf "http://127.0.0.1:${http[0]}/v1/status/leader" || true)
  [ -n "$leader" ] && [ "$leader" != '""' ] && break
  sleep 0.1
done
echo "cluster ready, leader $leader"
target/release/examples/bench-api --addrs "$addrs" "$@"
