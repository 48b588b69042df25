#!/usr/bin/env bash
# Runs every test of the workspace: unit tests, openraft's storage
# conformance suite, and the cluster tests (in-memory and real TCP).
set -euo pipefail
cd "$(dirname "$0")/.."
if command -v cargo-nextest >/dev/null 2>&1; then
  exec cargo nextest run --workspace --all-features --locked --no-fail-fast "$@"
fi
exec cargo test --workspace --all-features --locked --no-fail-fast "$@"
