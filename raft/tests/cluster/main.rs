//! Cluster tests of the consensus crate: a toy key/value state machine on
//! an in-memory transport that can cut links, and on the real TCP transport.
//! Every wait has a deadline; nothing sleeps and hopes.

mod support;

mod t01_election;
mod t02_failover;
mod t03_partition;
mod t04_restart;
mod t05_membership;
mod t06_tcp;
mod t07_bad_disk;
mod t08_read_barrier;
mod t09_identity;
mod t10_join_health;
