//! End-to-end tests of client agents against the real Docker engine: a
//! server cluster in process, client agents as separate `drover agent
//! -client` processes (so that they can be killed with SIGKILL), each on
//! its own loopback address, running the test images built by
//! `scripts/test-images.sh`. Each test skips, saying why, when no Docker
//! engine answers (`t10_check_restart` needs none: raw_exec only).

#[path = "../common/mod.rs"]
mod common;
mod support;

mod t01_seed;
mod t02_restarts;
mod t03_lifecycle;
mod t04_reattach;
mod t05_lost;
mod t06_endpoints;
mod t07_dev;
mod t08_no_servers;
mod t09_engine_gone;
mod t10_check_restart;
mod t11_service_health;
