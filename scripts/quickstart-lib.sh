# Helpers of scripts/quickstart.sh: output, waits with deadlines, and
# finding (and stopping) what a quickstart cluster under ${root} left
# running. Sourced after scripts/lib.sh; expects ${root} and, to run CLI
# verbs, ${bin}.

CLIENTS=11
# The label the Docker driver puts on every container it creates.
ALLOC_LABEL=com.hashicorp.nomad.alloc_id

on_failure=
die() {
  echo "quickstart: $*" >&2
  [ -z "$on_failure" ] || echo "quickstart: $on_failure" >&2
  exit 1
}

need() {
  local c
  for c in "$@"; do
    command -v "$c" >/dev/null 2>&1 || die "needs $c on the PATH"
  done
}

step() { echo "==> $*"; }

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# seconds MS: MS milliseconds as seconds with one decimal.
seconds() { printf '%d.%d' $(($1 / 1000)) $(($1 % 1000 / 100)); }

# show drover VERB ARGS...: prints the command as a user types it, runs it.
show() {
  shift
  echo
  echo "\$ drover $*"
  "$bin" "$@"
}

# remember PID LOG: an agent of this cluster, for the pid file and checks.
agent_pids=() agent_logs=()
remember() {
  agent_pids+=("$1")
  agent_logs+=("$2")
  echo "$1 $2" >>"$root/pids"
}

# running PID: whether PID is a live process (a zombie child is not).
running() {
  local state
  state=$(sed -E 's/.*\) (.).*/\1/' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

tail_logs() {
  local log
  for log in "$@"; do
    echo "--- last lines of $log:" >&2
    tail -n 20 "$log" | sed 's/^/    /' >&2
  done
}

# check_agents: fails, showing its log, if a remembered agent has exited.
check_agents() {
  local i
  for i in "${!agent_pids[@]}"; do
    if ! running "${agent_pids[$i]}"; then
      tail_logs "${agent_logs[$i]}"
      die "the agent logging to ${agent_logs[$i]} exited"
    fi
  done
}

# ready_nodes: the names of the nodes the servers see as ready, one a line.
ready_nodes() {
  curl -sf --max-time 5 "$DROVER_ADDR/v1/nodes" | python3 -c '
import json, sys
for n in json.load(sys.stdin):
    if n.get("Status") == "ready":
        print(n.get("Name", ""))' 2>/dev/null || true
}

# wait_ready_nodes: until client1..client$CLIENTS are all ready, for at
# most two minutes; otherwise names the missing ones and shows their logs.
wait_ready_nodes() {
  local deadline=$((SECONDS + 120)) ready n missing=()
  while :; do
    check_agents
    ready=$(ready_nodes)
    missing=()
    for n in $(seq 1 "$CLIENTS"); do
      grep -qx "client$n" <<<"$ready" || missing+=("client$n")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ $SECONDS -ge $deadline ]; then
      for n in "${missing[@]}"; do tail_logs "$root/$n.log"; done
      die "not ready after 120 s: ${missing[*]}"
    fi
    sleep 0.2
  done
}

# wait_job_running JOB: until an allocation of JOB runs (60 s at most).
wait_job_running() {
  local deadline=$((SECONDS + 60)) running
  while :; do
    running=$(curl -sf --max-time 5 "$DROVER_ADDR/v1/job/$1/summary" | python3 -c '
import json, sys
print(sum(g.get("Running", 0) for g in json.load(sys.stdin)["Summary"].values()))' 2>/dev/null || echo 0)
    [ "$running" -ge 1 ] && return 0
    [ $SECONDS -lt $deadline ] || die "no allocation of $1 running after 60 s (logs: $root/client*.log)"
    sleep 0.2
  done
}

# quickstart_agents: pids of this cluster's agents: those in the pid file
# that still run from ${root}, and any process whose command line has a
# data directory under ${root} (e.g. when the pid file is gone).
quickstart_agents() {
  local p _
  {
    if [ -f "$root/pids" ]; then
      while read -r p _; do
        grep -qF -- "$root/" "/proc/$p/cmdline" 2>/dev/null && echo "$p"
      done <"$root/pids"
    fi
    pgrep -f -- "-data-dir $root/" || true
  } | sort -u
}

# quickstart_containers: IDs of the containers this cluster's clients
# started: the Docker driver labels each with its allocation and binds the
# allocation directory, which lies under ${root}, to /alloc.
quickstart_containers() {
  # (A container removed meanwhile makes `docker inspect` fail; the
  # others are still listed.)
  docker ps -aq --filter "label=$ALLOC_LABEL" |
    xargs -r docker inspect -f '{{.Id}}{{range .Mounts}} {{.Source}}{{end}}' 2>/dev/null |
    awk -v dir="$root/" '{ for (i = 2; i <= NF; i++) if (index($i, dir) == 1) { print $1; break } }' ||
    true
}

# stop_quickstart: stops the agents (SIGTERM, SIGKILL after 20 s), then
# removes their containers (clients leave tasks running when they stop,
# as Nomad's do) and deletes ${root}.
stop_quickstart() {
  local agents=() left=() p containers signal=TERM deadline=$((SECONDS + 20))
  mapfile -t agents < <(quickstart_agents)
  if [ ${#agents[@]} -gt 0 ]; then
    step "stopping ${#agents[@]} agent(s) under $root"
    kill -TERM "${agents[@]}" 2>/dev/null || true
    while :; do
      left=()
      for p in "${agents[@]}"; do running "$p" && left+=("$p"); done
      [ ${#left[@]} -eq 0 ] && break
      if [ $SECONDS -ge $deadline ]; then
        [ "$signal" = KILL ] && die "agents ${left[*]} survived SIGKILL"
        step "SIGKILL for ${left[*]} (still running after 20 s)"
        signal=KILL
        kill -KILL "${left[@]}" 2>/dev/null || true
        deadline=$((SECONDS + 5))
      fi
      sleep 0.1
    done
  fi
  if docker version >/dev/null 2>&1; then
    containers=$(quickstart_containers)
    if [ -n "$containers" ]; then
      step "removing $(wc -l <<<"$containers") container(s)"
      xargs docker rm -f <<<"$containers" >/dev/null
    fi
  elif [ -d "$root" ]; then
    echo "quickstart: no reachable Docker engine; containers of $root (label $ALLOC_LABEL) may be left" >&2
  fi
  rm -rf "$root"
  step "stopped (removed $root)"
}
