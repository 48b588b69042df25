#!/usr/bin/env bash
# How long `drover run` takes to get the seed's 15 redis containers running
# on the quickstart cluster (3 servers, 11 client agents, real Docker):
# the example job is scaled from 1 to 15 instances with `drover run`, and
# the clock stops when `docker ps` shows 15 of its containers running;
# then it is scaled back to 1. Prints each round and the median.
#
#   scripts/bench-seed.sh [ROUNDS]     (default 5)
#
# Uses the quickstart cluster under $DROVER_QUICKSTART_DIR (starting it with
# scripts/quickstart.sh when it is not up) and $DROVER_BIN or
# target/release/drover.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
root=$(realpath -m "${DROVER_QUICKSTART_DIR:-/tmp/drover-quickstart}")
bin=$(realpath -m "${DROVER_BIN:-target/release/drover}")
export DROVER_ADDR=http://127.0.0.1:14646
if ! curl -sf --max-time 2 "$DROVER_ADDR/v1/status/leader" >/dev/null ||
  [ ! -f "$root/work/example.nomad" ]; then
  DROVER_BIN=$bin scripts/quickstart.sh >/dev/null
fi
work="$root/bench"
rm -rf "$work"
mkdir -p "$work"
cp "$root/work/example.nomad" "$work/example.nomad"
job="$work/example.nomad"

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# running_containers: how many containers of the job's live allocations run.
running_containers() {
  local ids
  ids=$(curl -sf "$DROVER_ADDR/v1/job/example/allocations" | python3 -c '
import json, sys
for a in json.load(sys.stdin):
    if a["DesiredStatus"] == "run":
        print(a["ID"])')
  docker ps --filter label=com.hashicorp.nomad.alloc_id \
    --format '{{.Label "com.hashicorp.nomad.alloc_id"}}' | grep -cxF "$ids" || true
}

# last_started: unix ms of the latest `Started` task event among the job's
# live allocations (the moment the client saw its container start).
last_started() {
  curl -sf "$DROVER_ADDR/v1/job/example/allocations" | python3 -c '
import json, sys, urllib.request
addr = sys.argv[1]
last = 0
for s in json.load(sys.stdin):
    if s["DesiredStatus"] != "run":
        continue
    a = json.load(urllib.request.urlopen(addr + "/v1/allocation/" + s["ID"]))
    for st in (a.get("TaskStates") or {}).values():
        for e in st.get("Events") or []:
            if e["Type"] == "Started":
                last = max(last, e["Time"])
print(last // 1000000)' "$DROVER_ADDR"
}

# scale N: `drover run` with count N; prints the ms from the command to the
# last of the N containers started (polling `docker ps` until N run, then
# taking the clients' own start times, so the poll's cost is not counted).
scale() {
  sed -i -E "s/count( *)= *[0-9]+/count\1= $1/" "$job"
  local t0 n
  t0=$(now_ms)
  "$bin" run -detach "$job" >/dev/null
  for _ in $(seq 1 1200); do
    n=$(running_containers)
    if [ "$n" -eq "$1" ]; then
      echo $(($(last_started) - t0))
      return
    fi
    sleep 0.05
  done
  echo "bench-seed: $1 containers not running after 60 s (have $n)" >&2
  exit 1
}

scale 1 >/dev/null
up=()
for r in $(seq 1 "$rounds"); do
  u=$(scale 15)
  scale 1 >/dev/null
  up+=("$u")
  echo "round $r: 1 -> 15 running in $u ms"
done
# The anchor: Docker alone starting 14 redis containers at once as Drover
# asks for them (the port published for tcp and udp on a loopback address,
# a bind mount, CPU shares and a memory limit), without Drover.
anchor() {
  local t0 i
  mkdir -p "$work/anchor"
  t0=$(now_ms)
  for i in $(seq 1 14); do
    docker run -d --name "bench-seed-anchor-$i" \
      -p "127.0.3.1:$((29000 + i)):6379/tcp" -p "127.0.3.1:$((29000 + i)):6379/udp" \
      -v "$work/anchor:/alloc" --cpu-shares 500 --memory 256m redis:3.2 >/dev/null &
  done
  wait
  echo $(($(now_ms) - t0))
  docker rm -f $(seq -f 'bench-seed-anchor-%g' 1 14) >/dev/null
}
anchors=()
for r in $(seq 1 "$rounds"); do anchors+=("$(anchor)"); done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "drover run to 15 containers running: median $(median "${up[@]}") ms over $rounds rounds"
echo "docker run of 14 such redis containers at once, no Drover: median $(median "${anchors[@]}") ms"

