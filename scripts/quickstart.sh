#!/usr/bin/env bash
# Brings up a local Drover cluster on loopback and runs the example job:
# 3 servers (Raft, durable sled logs, HTTP API) and 11 simulated client
# nodes split over datacenters eu-west-1a and eu-west-1b (768 MB each).
# The client agent that runs real containers is not built yet, so the
# nodes are simulated: they register, heartbeat and report allocations
# running, and the scheduler places the job on them.
#
#   scripts/quickstart.sh        start (or restart) and run the example job
#   scripts/quickstart.sh stop   stop everything
set -euo pipefail
cd "$(dirname "$0")/.."
root=${DROVER_QUICKSTART_DIR:-/tmp/drover-quickstart}

stop() {
  if [ -f "$root/pids" ]; then
    while read -r p; do kill "$p" 2>/dev/null || true; done <"$root/pids"
    rm -f "$root/pids"
  fi
}
if [ "${1:-}" = "stop" ]; then
  stop
  rm -rf "$root"
  echo "stopped"
  exit 0
fi
stop
rm -rf "$root"
mkdir -p "$root"
cargo build --release --locked --bin drover
bin=target/release/drover

. scripts/lib.sh
http=(14646 24646 34646) rpc=(14647 24647 34647) pids=()
start_servers "$root" info
printf '%s\n' "${pids[@]}" >>"$root/pids"
export DROVER_ADDR="http://127.0.0.1:${http[0]}"
api() { curl -sS --fail-with-body "$@"; }
leader=$(wait_leader "$DROVER_ADDR")
echo "==> servers up, leader $leader"

$bin nodesim -address "$DROVER_ADDR" -address "http://127.0.0.1:${http[1]}" -nodes 11 \
  -datacenters eu-west-1a,eu-west-1b -cpu 4000 -memory 768 >"$root/nodes.log" 2>&1 &
echo $! >>"$root/pids"
for _ in $(seq 1 100); do
  n=$(api "$DROVER_ADDR/v1/nodes" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
  [ "$n" -ge 11 ] && break
  sleep 0.2
done
echo "==> $n nodes ready"

job=tests/jobspec/good/example_eu.nomad
body=$(python3 -c 'import json,sys; print(json.dumps({"JobHCL": open(sys.argv[1]).read(), "Canonicalize": True}))' "$job")
parsed=$(api -X PUT "$DROVER_ADDR/v1/jobs/parse" -d "$body")
plan=$(api -X PUT "$DROVER_ADDR/v1/job/example/plan" -d "{\"Job\": $parsed, \"Diff\": true}")
index=$(echo "$plan" | python3 -c 'import json,sys; print(json.load(sys.stdin)["JobModifyIndex"])')
echo "==> plan: $(echo "$plan" | python3 -c 'import json,sys; p=json.load(sys.stdin); print(p["Annotations"]["DesiredTGUpdates"], "failed:", list((p["FailedTGAllocs"] or {}).keys()))')"
echo "==> run with check-index $index"
api -X PUT "$DROVER_ADDR/v1/jobs" -d "{\"Job\": $parsed, \"EnforceIndex\": true, \"JobModifyIndex\": $index}"
echo
for _ in $(seq 1 100); do
  running=$(api "$DROVER_ADDR/v1/job/example/summary" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Summary"]["cache"]["Running"])')
  [ "$running" -ge 1 ] && break
  sleep 0.2
done
api "$DROVER_ADDR/v1/job/example/allocations" | python3 -c '
import json, sys
for a in json.load(sys.stdin):
    print("    alloc %s  node %s  %s  %s/%s" % (a["ID"][:8], a["NodeID"][:8], a["Name"], a["DesiredStatus"], a["ClientStatus"]))'
echo "==> the cluster keeps running. Use it with: export DROVER_ADDR=$DROVER_ADDR"
echo "    stop it with: scripts/quickstart.sh stop    (logs in $root)"
