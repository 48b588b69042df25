#!/usr/bin/env bash
# Runs a dev agent with the Consul-compatible catalog on a free port, runs
# redis.nomad, and reads the catalog with python-consul2 (installed in a
# scratch virtualenv). Usage: scripts/consul/check.sh [path/to/drover]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
drover="${1:-$here/../../target/debug/drover}"
work="$(mktemp -d)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
"$drover" agent -dev -http-port 0 -rpc-port 0 -consul-compat "127.0.0.1:$port" >"$work/agent.log" 2>&1 &
agent=$!
trap 'kill "$agent" 2>/dev/null; wait "$agent" 2>/dev/null; rm -rf "$work"' EXIT
http=""
for _ in $(seq 100); do
    http="$(grep -o 'http=127.0.0.1:[0-9]*' "$work/agent.log" | head -1 | cut -d= -f2 || true)"
    [ -n "$http" ] && break
    sleep 0.1
done
[ -n "$http" ] || { cat "$work/agent.log"; exit 1; }
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q python-consul2
NOMAD_ADDR="http://$http" "$drover" job run -detach "$here/redis.nomad"
for _ in $(seq 100); do
    n="$(curl -s "http://127.0.0.1:$port/v1/catalog/service/global-redis-check" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')"
    [ "$n" = 2 ] && break
    sleep 0.2
done
"$work/venv/bin/python" "$here/check.py" 127.0.0.1 "$port"
