//! The allocations table of `node status` (and `job status`):
//! `ID|Node ID|Task Group|Version|Desired|Status|Created|Modified` with
//! relative times, or with `-verbose` full IDs, the evaluation and node
//! name, and absolute times. Newest allocation first.

use drover::structs::AllocListStub;

use super::format::{ago, short_id, time_rfc3339};
use super::table;

/// The table, or `No allocations placed`. `now` is unix nanoseconds.
pub fn render(allocs: &[AllocListStub], verbose: bool, now: i64) -> String {
    if allocs.is_empty() {
        return "No allocations placed".to_string();
    }
    let mut sorted: Vec<&AllocListStub> = allocs.iter().collect();
    sorted.sort_by(|a, b| {
        b.create_index
            .cmp(&a.create_index)
            .then_with(|| a.id.cmp(&b.id))
    });
    let mut rows = Vec::with_capacity(sorted.len() + 1);
    if verbose {
        rows.push(
            "ID|Eval ID|Node ID|Node Name|Task Group|Version|Desired|Status|Created|Modified"
                .to_string(),
        );
    } else {
        rows.push("ID|Node ID|Task Group|Version|Desired|Status|Created|Modified".to_string());
    }
    for a in sorted {
        let (created, modified) = if verbose {
            (time_rfc3339(a.create_time), time_rfc3339(a.modify_time))
        } else {
            (ago(a.create_time, now), ago(a.modify_time, now))
        };
        let row = if verbose {
            format!(
                "{}|{}|{}|{}|{}|{}|{}|{}|{}|{}",
                a.id,
                a.eval_id,
                a.node_id,
                a.node_name,
                a.task_group,
                a.job_version,
                a.desired_status,
                a.client_status,
                created,
                modified
            )
        } else {
            format!(
                "{}|{}|{}|{}|{}|{}|{}|{}",
                short_id(&a.id, false),
                short_id(&a.node_id, false),
                a.task_group,
                a.job_version,
                a.desired_status,
                a.client_status,
                created,
                modified
            )
        };
        rows.push(row);
    }
    table::list(&rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1_000_000_000;

    fn alloc(id: &str, create_index: u64, status: &str) -> AllocListStub {
        AllocListStub {
            id: id.into(),
            eval_id: "72e0e5ea-0000-0000-0000-000000000000".into(),
            node_id: "ec28626d-0000-0000-0000-000000000000".into(),
            node_name: "dev".into(),
            task_group: "cache".into(),
            job_version: 2,
            desired_status: "run".into(),
            client_status: status.into(),
            create_index,
            create_time: 100 * S,
            modify_time: 160 * S,
            ..AllocListStub::default()
        }
    }

    #[test]
    fn newest_first_with_relative_times() {
        let allocs = [
            alloc("8dd4be51-d9c2-fd55-a1ff-7ba8d777484c", 5, "complete"),
            alloc("1f2e3d4c-0000-0000-0000-000000000000", 9, "running"),
        ];
        assert_eq!(
            render(&allocs, false, 165 * S),
            "ID        Node ID   Task Group  Version  Desired  Status    Created   Modified\n\
             1f2e3d4c  ec28626d  cache       2        run      running   1m5s ago  5s ago\n\
             8dd4be51  ec28626d  cache       2        run      complete  1m5s ago  5s ago"
        );
        assert_eq!(render(&[], false, 0), "No allocations placed");
    }

    #[test]
    fn verbose_has_full_ids_and_the_node_name() {
        let t = render(
            &[alloc("8dd4be51-d9c2-fd55-a1ff-7ba8d777484c", 5, "running")],
            true,
            0,
        );
        let mut lines = t.lines();
        assert!(
            lines
                .next()
                .unwrap()
                .starts_with("ID                                    Eval ID")
        );
        let row = lines.next().unwrap();
        assert!(
            row.starts_with("8dd4be51-d9c2-fd55-a1ff-7ba8d777484c  72e0e5ea-0000"),
            "{row}"
        );
        let cells: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(
            cells[3..8],
            ["dev", "cache", "2", "run", "running"],
            "{row}"
        );
    }
}
