# Shared by the scripts that bring up a local cluster. Source it after
# `cd` to the repository root; it expects arrays `http`, `rpc` and `pids`.

# cluster_workdir NAME: makes a temporary directory ${dir} for a local
# cluster; when the script exits, every process in ${pids[@]} is stopped and
# the directory removed.
cluster_workdir() {
  dir=$(mktemp -d -t "$1.XXXXXX")
  pids=()
  trap stop_cluster EXIT
}

stop_cluster() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$dir"
}

# pick_ports: fills ${http[@]} and ${rpc[@]} with six distinct free ports
# (all bound at once, so none is handed out twice).
pick_ports() {
  local ports
  ports=($(python3 -c '
import socket
socks = [socket.socket() for _ in range(6)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))'))
  http=("${ports[@]:0:3}")
  rpc=("${ports[@]:3:3}")
}

# start_servers DIR LOG_LEVEL: three release-built servers on loopback, on
# the ports in ${http[@]} and ${rpc[@]}, data and logs under DIR; their pids
# are appended to ${pids[@]}. Flags in ${server_args[@]}, if set, are passed
# to every server (e.g. `-config FILE`), and ${first_server_args[@]} to the
# first one only (word-split: no spaces inside). ${drover_bin}, if set, is the
# binary to run instead of target/release/drover.
start_servers() {
  local dir=$1 level=$2 joins=() i
  for i in 0 1 2; do joins+=(-retry-join "127.0.0.1:${rpc[$i]}"); done
  for i in 0 1 2; do
    "${drover_bin:-target/release/drover}" agent -server -bootstrap-expect 3 -bind 127.0.0.1 \
      -node "server$((i + 1))" -data-dir "$dir/server$i" \
      -http-port "${http[$i]}" -rpc-port "${rpc[$i]}" "${joins[@]}" \
      ${server_args[@]+"${server_args[@]}"} \
      $([ "$i" -eq 0 ] && echo ${first_server_args[@]+"${first_server_args[@]}"}) \
      -log-level "$level" >"$dir/server$i.log" 2>&1 &
    pids+=($!)
  done
}

# cpu_ticks PID: user + system CPU time of PID so far, in clock ticks.
cpu_ticks() {
  awk '{print $14 + $15}' "/proc/$1/stat"
}

# wait_leader ADDR: waits until the server at ADDR knows a leader; prints it.
wait_leader() {
  local leader
  for _ in $(seq 1 300); do
    leader=$(curl -sf "$1/v1/status/leader" || true)
    if [ -n "$leader" ] && [ "$leader" != '""' ]; then
      echo "$leader"
      return 0
    fi
    sleep 0.1
  done
  echo "no leader at $1 after 30 s" >&2
  return 1
}
