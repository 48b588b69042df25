#!/usr/bin/env bash
# Commit throughput and latency of a 3-server Raft group on loopback TCP with
# durable sled logs (1, 16 and 256 concurrent writers), and the raw flush
# rate of the same disk as the bound for one writer.
#
#   scripts/bench-raft.sh [--writers 1,16,256] [--seconds 5] [--dir DIR]
#
# DIR defaults to a temporary directory on the disk that holds TMPDIR.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p drover-raft --features testing --example bench-raft
exec target/release/examples/bench-raft "$@"
