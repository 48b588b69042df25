#!/usr/bin/env bash
# Brings up a real Drover cluster on this machine and walks through the
# example job with the `drover` CLI:
#
#   3 servers   Raft over durable sled logs, HTTP API on 127.0.0.1:14646,
#               :15646 and :16646 (away from a default agent on 4646, and below
#               the kernel's ephemeral port range, which outgoing connections use)
#   11 clients  real client agents that run tasks as Docker containers,
#               each on its own loopback address 127.0.1.N with HTTP on
#               port 4646: client1-6 in datacenter eu-west-1a, client7-11
#               in eu-west-1b, each offering 768 MB and 4000 MHz (so three
#               256 MB redis tasks fit per node, 33 in all)
#
# Then, in $root/work: `drover init`, `drover plan example.nomad` (dc1 has
# no nodes), the datacenters set to eu-west-1a/b, `plan` again, `drover run
# -check-index N example.nomad` with the index the plan printed, and
# `drover status example`. The cluster keeps running afterwards.
#
#   scripts/quickstart.sh        stop a previous quickstart cluster, start
#                                a new one and run the example
#   scripts/quickstart.sh stop   stop the agents, remove the containers
#                                their clients started, delete $root
#
# Environment:
#   DROVER_QUICKSTART_DIR  where data and logs live (/tmp/drover-quickstart)
#   DROVER_BIN             a drover binary to use instead of building
#                          target/release/drover (a release build takes
#                          minutes), e.g. target/debug/drover
#
# Needs the Rust toolchain, Docker, curl and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
root=$(realpath -m "${DROVER_QUICKSTART_DIR:-/tmp/drover-quickstart}")
case "$root" in
  / | "$HOME" | "$repo") echo "quickstart: refusing DROVER_QUICKSTART_DIR=$root" >&2; exit 1 ;;
esac

. scripts/lib.sh
. scripts/quickstart-lib.sh

if [ "${1:-}" = "stop" ]; then
  stop_quickstart
  exit 0
fi
[ $# -eq 0 ] || die "usage: scripts/quickstart.sh [stop]"

started=$(now_ms)
need docker curl python3
docker version >/dev/null 2>&1 || die "no reachable Docker engine"
stop_quickstart

if [ -n "${DROVER_BIN:-}" ]; then
  bin=$(realpath "$DROVER_BIN")
  [ -x "$bin" ] || die "DROVER_BIN=$DROVER_BIN is not an executable"
else
  need cargo
  step "building drover (release; set DROVER_BIN to skip)"
  cargo build --release --locked --bin drover
  bin=$repo/target/release/drover
fi
step "Docker images"
scripts/test-images.sh

mkdir -p "$root/work"
# From here on a failure leaves the agents running, for their logs.
on_failure="the cluster is left as it is; scripts/quickstart.sh stop removes it"
drover_bin=$bin
http=(14646 15646 16646) rpc=(14647 15647 16647) pids=()
# The servers sit in eu-west-1a; the first also answers Consul's catalog
# API on 127.0.0.1:8500 (its datacenter's instances, ?dc= for the other).
server_args=(-dc eu-west-1a)
first_server_args=(-consul-compat 127.0.0.1:8500)
start_servers "$root" info
for i in 0 1 2; do remember "${pids[$i]}" "$root/server$i.log"; done
export DROVER_ADDR="http://127.0.0.1:${http[0]}"

cat >"$root/client.hcl" <<'EOF'
# Every quickstart client offers the same, whatever this machine has.
client {
  memory_total_mb   = 768
  cpu_total_compute = 4000
}
EOF
servers=127.0.0.1:${http[0]},127.0.0.1:${http[1]},127.0.0.1:${http[2]}
clients_started=$(now_ms)
for n in $(seq 1 "$CLIENTS"); do
  dc=eu-west-1a
  [ "$n" -le 6 ] || dc=eu-west-1b
  "$bin" agent -client -servers "$servers" -bind "127.0.1.$n" -http-port 4646 \
    -node "client$n" -dc "$dc" -data-dir "$root/client$n" -config "$root/client.hcl" \
    -log-level info >"$root/client$n.log" 2>&1 &
  remember $! "$root/client$n.log"
done

step "waiting for a leader and $CLIENTS ready nodes"
leader=$(wait_leader "$DROVER_ADDR") || { tail_logs "$root"/server*.log; die "the servers elected no leader"; }
echo "    leader ${leader//\"/}"
wait_ready_nodes
ready_ms=$(($(now_ms) - clients_started))
echo "    $CLIENTS nodes ready $(seconds "$ready_ms") s after the clients started"

cd "$root/work"
rm -f example.nomad
show drover init || die "drover init failed"
plan_rc=0
show drover plan example.nomad || plan_rc=$?
# 0: nothing would change, 1: allocations would be created or destroyed.
[ "$plan_rc" -le 1 ] || die "drover plan exited $plan_rc"

echo
echo "\$ sed -i 's/\"dc1\"/\"eu-west-1a\", \"eu-west-1b\"/' example.nomad"
sed -E -i 's/^([[:space:]]*datacenters[[:space:]]*=[[:space:]]*)\["dc1"\]/\1["eu-west-1a", "eu-west-1b"]/' example.nomad
grep -q '"eu-west-1a", "eu-west-1b"' example.nomad || die "no datacenters = [\"dc1\"] line in example.nomad to edit"

echo
echo "\$ drover plan example.nomad"
plan_rc=0
plan=$("$bin" plan example.nomad) || plan_rc=$?
printf '%s\n' "$plan"
[ "$plan_rc" -le 1 ] || die "drover plan exited $plan_rc"
index=$(printf '%s\n' "$plan" | sed -nE 's/.*-check-index ([0-9]+).*/\1/p' | head -n 1)
[ -n "$index" ] || die "no '-check-index N' hint in the plan's output"

show drover run -check-index "$index" example.nomad || die "drover run failed"
wait_job_running example
show drover status example

total_ms=$(($(now_ms) - started))
containers=$(quickstart_containers | wc -l)
cat <<EOF

==> The cluster keeps running: 3 servers, $CLIENTS client agents, $containers Docker container(s) of the example.
    Use it:    export DROVER_ADDR=$DROVER_ADDR
               export PATH="$(dirname "$bin"):\$PATH"    # for the drover binary
               drover status example; drover node status; drover service info global-redis-check
               curl localhost:8500/v1/catalog/services?pretty    # Consul's catalog API
    Logs:      $root/*.log    (the job file: $root/work/example.nomad)
    Stop it:   scripts/quickstart.sh stop
==> Nodes ready in $(seconds "$ready_ms") s; the whole run took $(seconds "$total_ms") s.
EOF
