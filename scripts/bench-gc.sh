#!/usr/bin/env bash
# Garbage collection under a steady churn of short batch jobs: one
# release-built server with GC thresholds compressed so that an hour is
# 5 seconds, simulated nodes that report every allocation complete as soon
# as it is placed, and a node that never heartbeats registered every 5 s.
# Every 10 s it prints how many jobs, evaluations, allocations and nodes
# the server holds, the JSON size of those lists and the server's RSS;
# with GC they level off once the thresholds have passed.
#
#   scripts/bench-gc.sh [--rate 20] [--seconds 300] [--sample 10] [--no-gc]
#
# Thresholds (Nomad's, at 1 h = 5 s): eval_gc_threshold 1h -> 5s,
# batch_eval_gc_threshold 24h -> 120s, job_gc_threshold 4h -> 20s,
# node_gc_threshold 24h -> 120s; every interval 1s (Nomad's 5m would be
# 0.4 s). --no-gc sets every threshold to 10000h (a baseline: nothing is
# collected).
set -euo pipefail
cd "$(dirname "$0")/.."
rate=20 seconds=300 sample=10 gc=on
while [ $# -gt 0 ]; do
  case "$1" in
    --rate) rate=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --sample) sample=$2; shift 2 ;;
    --no-gc) gc=off; shift ;;
    *) echo "unknown flag $1" >&2; exit 2 ;;
  esac
done
cargo build --release --bin drover --example bench-gc
. scripts/lib.sh
cluster_workdir drover-bench-gc
http=(); rpc=()
pick_ports
if [ "$gc" = on ]; then
  eval_t=5s batch_t=120s job_t=20s node_t=120s
else
  eval_t=10000h batch_t=10000h job_t=10000h node_t=10000h
fi
cat >"$dir/gc.hcl" <<HCL
server {
  eval_gc_threshold       = "$eval_t"
  batch_eval_gc_threshold = "$batch_t"
  job_gc_threshold        = "$job_t"
  node_gc_threshold       = "$node_t"
  eval_gc_interval        = "1s"
  job_gc_interval         = "1s"
  node_gc_interval        = "1s"
}
HCL
target/release/drover agent -server -bootstrap-expect 1 -bind 127.0.0.1 -node server1 \
  -data-dir "$dir/server0" -http-port "${http[0]}" -rpc-port "${rpc[0]}" \
  -config "$dir/gc.hcl" -log-level warn >"$dir/server0.log" 2>&1 &
pids+=($!)
server=$!
addr="http://127.0.0.1:${http[0]}"
wait_leader "$addr" >/dev/null
echo "1 server, GC $gc (eval $eval_t, batch eval $batch_t, job $job_t, node $node_t; 1 h = 5 s), $rate batch jobs/s for $seconds s"
target/release/examples/bench-gc --addr "$addr" --pid "$server" --rate "$rate" \
  --seconds "$seconds" --sample "$sample" --hour 5
echo "server CPU: $(awk -v t="$(getconf CLK_TCK)" '{printf "%.1f s", ($14 + $15) / t}' "/proc/$server/stat"), peak RSS $(awk '/VmHWM/ {printf "%.0f MiB", $2/1024}' "/proc/$server/status")"
