//! Following a node's drain after `node drain -enable` (or `-monitor`):
//! the node and its allocations are read once a second and what changed
//! is printed, until the drain is over and every allocation it moves has
//! stopped. Interrupting stops the following, not the drain.

use std::collections::HashMap;
use std::time::Duration;

use drover::api_client::{ApiClient, QueryOptions};
use drover::structs::{ALLOC_CLIENT_PENDING, Allocation, Node};

use crate::cli::common::{CliError, format};

const POLL: Duration = Duration::from_secs(1);

/// What was last seen of one allocation.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Seen {
    migrate: bool,
    stopping: bool,
    client_status: String,
}

fn seen(a: &Allocation) -> Seen {
    Seen {
        migrate: a.desired_transition.migrate == Some(true),
        stopping: a.server_terminal(),
        client_status: a.client_status.clone(),
    }
}

/// The drain as followed so far.
#[derive(Debug, Default)]
pub struct Follow {
    allocs: HashMap<String, Seen>,
    ignore_system: bool,
    saw_drain: bool,
    drain_over: bool,
}

/// Whether the drain moves this allocation off the node.
fn moved(a: &Allocation, ignore_system: bool) -> bool {
    let system = a.job.as_ref().is_some_and(|j| j.job_type == "system");
    !(ignore_system && system)
}

/// The allocation has stopped on the node (or never started there).
fn stopped(a: &Allocation) -> bool {
    a.client_terminal() || (a.server_terminal() && a.client_status == ALLOC_CLIENT_PENDING)
}

impl Follow {
    /// `started`: this command just set the drain (which may be over
    /// before the first reading, on a node with nothing to move).
    pub fn new(ignore_system: bool, started: bool) -> Self {
        Follow {
            ignore_system,
            saw_drain: started,
            ..Follow::default()
        }
    }

    /// The lines one reading of the node and its allocations gives (each
    /// prefixed with `time`), and whether following is over.
    pub fn step(&mut self, node: &Node, allocs: &[Allocation], time: &str) -> (Vec<String>, bool) {
        let mut out = Vec::new();
        let id8 = format::short_id(&node.id, false);
        let mut sorted: Vec<&Allocation> = allocs.iter().collect();
        sorted.sort_by(|a, b| a.id.cmp(&b.id));
        for a in sorted {
            let now = seen(a);
            let short = format::short_id(&a.id, false);
            if let Some(before) = self.allocs.get(&a.id) {
                if now.migrate && !before.migrate {
                    out.push(format!("{time}: Alloc {short:?} marked for migration"));
                }
                if now.stopping && !before.stopping {
                    out.push(format!("{time}: Alloc {short:?} draining"));
                }
                if now.client_status != before.client_status {
                    out.push(format!(
                        "{time}: Alloc {short:?} status {} -> {}",
                        before.client_status, now.client_status
                    ));
                }
            }
            self.allocs.insert(a.id.clone(), now);
        }
        let draining = node.drain_strategy.is_some();
        self.saw_drain |= draining;
        if !draining && !self.drain_over {
            self.drain_over = true;
            if !self.saw_drain {
                out.push(format!("{time}: No drain strategy set for node {id8}"));
                return (out, true);
            }
            let canceled = allocs
                .iter()
                .any(|a| moved(a, self.ignore_system) && !a.terminal());
            if canceled {
                out.push(format!("{time}: Drain canceled for node {id8}"));
                return (out, true);
            }
            out.push(format!("{time}: Drain complete for node {id8}"));
        }
        let all_stopped = allocs
            .iter()
            .filter(|a| moved(a, self.ignore_system))
            .all(stopped);
        if self.drain_over && all_stopped {
            out.push(format!(
                "{time}: All allocations on node {id8:?} have stopped"
            ));
            return (out, true);
        }
        (out, false)
    }
}

/// Follows the drain of `node_id` until it is over.
pub async fn monitor(
    api: &ApiClient,
    node_id: &str,
    ignore_system: bool,
    started: bool,
) -> Result<u8, CliError> {
    println!(
        "{}: Ctrl-C to stop monitoring: will not cancel the node drain",
        format::time_rfc3339(format::now_nanos())
    );
    let mut follow = Follow::new(ignore_system, started);
    loop {
        let node = api
            .node(node_id)
            .await
            .map_err(|e| CliError::api("Error monitoring node", e))?;
        let (allocs, _): (Vec<Allocation>, _) = api
            .node_allocations(node_id, &QueryOptions::default())
            .await
            .map_err(|e| CliError::api("Error monitoring node allocations", e))?;
        let time = format::time_rfc3339(format::now_nanos());
        let (lines, done) = follow.step(&node, &allocs, &time);
        for l in lines {
            println!("{l}");
        }
        if done {
            return Ok(0);
        }
        tokio::time::sleep(POLL).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use drover::structs::DrainStrategy;

    fn node(draining: bool) -> Node {
        Node {
            id: "ec28626d-0000-0000-0000-000000000000".into(),
            drain_strategy: draining.then(DrainStrategy::default),
            ..Node::default()
        }
    }

    fn alloc(desired: &str, client: &str, migrate: bool) -> Allocation {
        let mut a = Allocation {
            id: "8dd4be51-0000-0000-0000-000000000000".into(),
            desired_status: desired.into(),
            client_status: client.into(),
            ..Allocation::default()
        };
        a.desired_transition.migrate = migrate.then_some(true);
        a
    }

    #[test]
    fn a_drain_is_followed_to_its_end() {
        let mut f = Follow::new(false, true);
        let (l, done) = f.step(&node(true), &[alloc("run", "running", false)], "T");
        assert!(l.is_empty() && !done);
        let (l, _) = f.step(&node(true), &[alloc("run", "running", true)], "T");
        assert_eq!(l, ["T: Alloc \"8dd4be51\" marked for migration"]);
        let (l, done) = f.step(&node(false), &[alloc("stop", "running", true)], "T");
        assert_eq!(
            l,
            [
                "T: Alloc \"8dd4be51\" draining",
                "T: Drain complete for node ec28626d"
            ]
        );
        assert!(!done);
        let (l, done) = f.step(&node(false), &[alloc("stop", "complete", true)], "T");
        assert_eq!(
            l,
            [
                "T: Alloc \"8dd4be51\" status running -> complete",
                "T: All allocations on node \"ec28626d\" have stopped"
            ]
        );
        assert!(done);
    }

    #[test]
    fn no_drain_or_a_canceled_one_ends_following() {
        let mut f = Follow::new(false, false);
        let (l, done) = f.step(&node(false), &[], "T");
        assert_eq!(l, ["T: No drain strategy set for node ec28626d"]);
        assert!(done);
        // Set by this command and over before the first reading.
        let mut f = Follow::new(false, true);
        let (l, done) = f.step(&node(false), &[], "T");
        assert_eq!(
            l,
            [
                "T: Drain complete for node ec28626d",
                "T: All allocations on node \"ec28626d\" have stopped"
            ]
        );
        assert!(done);
        let mut f = Follow::new(false, false);
        f.step(&node(true), &[alloc("run", "running", false)], "T");
        let (l, done) = f.step(&node(false), &[alloc("run", "running", false)], "T");
        assert_eq!(l, ["T: Drain canceled for node ec28626d"]);
        assert!(done);
    }
}
