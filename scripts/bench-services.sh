#!/usr/bin/env bash
# Service discovery figures on a 3-server cluster of release builds (the
# first server also serves the Consul-compatible catalog) and client
# agents on 127.0.1.N:
#   1. a task starting to its registration visible (p50, p99 over N runs):
#      a redis:3.2 Docker task with a `service` on its port label, from the
#      container's own StartedAt (Docker's clock) to the blocking query
#      `GET /v1/catalog/service/{name}?index=` on the catalog listener
#      answering with it; the same through Nomad's `/v1/service/{name}`,
#      and from the task state's StartedAt (the client's stamp);
#   2. registrations per second when T raw_exec tasks (`/bin/sleep`, one
#      service each) start at once, spread over the client agents: first
#      registration visible to the T-th (blocking `/v1/service/{name}`),
#      and how many Raft entries carried them (distinct CreateIndex), the
#      clients' PUT /v1/node/{id}/services requests (their debug log) and
#      the leader's Raft index delta meanwhile;
#   3. the CPU cost of K tcp checks at a 10 s interval on one client:
#      K/10 raw_exec allocations (busybox httpd) with 10 services of one
#      tcp check each; once all pass, the client agent's utime+stime over
#      a window, beside the same allocations without checks.
# raw_exec rather than Docker for 2 and 3: a thousand containers on a
# 2-core machine would measure dockerd and containerd, not Drover.
#
#   scripts/bench-services.sh [--runs 20] [--tasks 1000] [--clients 4]
#                             [--checks 1000] [--cpu-secs 60]
#                             [--only latency|burst|checks]
set -euo pipefail
cd "$(dirname "$0")/.."
nclients=4
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --clients) nclients=$2; shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
scripts/test-images.sh >/dev/null
cargo build --release --locked --bin drover --example bench-services
. scripts/lib.sh
cluster_workdir drover-bench-services
http=(); rpc=()
pick_ports
free_port() {
  python3 -c 'import socket, sys; s=socket.socket(); s.bind((sys.argv[1],0)); print(s.getsockname()[1])' "$1"
}
consul_port=$(free_port 127.0.0.1)
first_server_args=(-consul-compat "127.0.0.1:$consul_port")

# Stops what the run started, even when it failed: jobs first (so the
# clients stop their tasks and containers), then the agents (lib.sh),
# then any task process or container left behind.
cleanup() {
  local addr="http://127.0.0.1:${http[0]}" jobs j ids
  jobs=$(curl -sf -m 5 "$addr/v1/jobs" | python3 -c 'import json,sys; print(" ".join(j["ID"] for j in json.load(sys.stdin)))' 2>/dev/null || true)
  for j in $jobs; do curl -sf -m 5 -X DELETE "$addr/v1/job/$j?purge=true" >/dev/null || true; done
  if [ -n "$jobs" ]; then
    for _ in $(seq 1 60); do
      [ -z "$(curl -sf -m 5 "$addr/v1/allocations" | python3 -c 'import json,sys; print(" ".join(a["ID"] for a in json.load(sys.stdin) if a["ClientStatus"] in ("pending","running")))' 2>/dev/null)" ] && break
      sleep 1
    done
  fi
  ids=$(cat "$dir/alloc-ids" 2>/dev/null || true)
  stop_cluster_keep_dir
  for a in $ids; do
    docker ps -aq --filter "label=com.hashicorp.nomad.alloc_id=$a" | xargs -r docker rm -f >/dev/null 2>&1 || true
  done
  # raw_exec executors outlive their agent by design; theirs and their
  # tasks' are the processes whose command line or directory is in $dir.
  for p in /proc/[0-9]*; do
    if grep -qs -- "$dir" "$p/cmdline" || [[ "$(readlink "$p/cwd" 2>/dev/null)" == "$dir"* ]]; then
      kill -9 "${p#/proc/}" 2>/dev/null || true
    fi
  done
  rm -rf "$dir"
}
stop_cluster_keep_dir() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

start_servers "$dir" warn
leader=$(wait_leader "http://127.0.0.1:${http[0]}")
servers="http://127.0.0.1:${http[0]},http://127.0.0.1:${http[1]},http://127.0.0.1:${http[2]}"
cat >"$dir/client.hcl" <<'EOF'
plugin "raw_exec" {
  config {
    enabled = true
  }
}
EOF
client_pids=(); client_logs=()
for n in $(seq 1 "$nclients"); do
  ip="127.0.1.$((100 + n))"
  port=$(free_port "$ip")
  # The sync loop's debug line counts the registration requests.
  DROVER_LOG=warn,drover::client::services::sync=debug \
    target/release/drover agent -client -config "$dir/client.hcl" -node "bench-client-$n" \
    -bind "$ip" -http-port "$port" -data-dir "$dir/client$n" -servers "$servers" \
    >"$dir/client$n.log" 2>&1 &
  pids+=($!)
  client_pids+=($!)
  client_logs+=("$dir/client$n.log")
done
echo "== cluster ready (leader $leader), catalog on 127.0.0.1:$consul_port, $nclients clients (pids ${client_pids[*]})"
pids_csv=$(IFS=,; echo "${client_pids[*]}")
logs_csv=$(IFS=,; echo "${client_logs[*]}")
target/release/examples/bench-services --addr "http://127.0.0.1:${http[0]}" \
  --consul "http://127.0.0.1:$consul_port" --clients "$nclients" \
  --client-pids "$pids_csv" --client-logs "$logs_csv" --alloc-ids "$dir/alloc-ids" \
  ${args[@]+"${args[@]}"}
