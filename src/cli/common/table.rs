//! Nomad's output layouts: tables of `|`-separated rows whose columns are
//! padded to the widest cell and separated by two spaces (the last column
//! unpadded), and `key = value` blocks aligned the same way. An empty cell
//! prints `<none>`.

const EMPTY: &str = "<none>";

fn layout(rows: &[String], glue: &str) -> String {
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            r.split('|')
                .map(|c| {
                    let c = c.trim();
                    if c.is_empty() { EMPTY } else { c }.to_string()
                })
                .collect()
        })
        .collect();
    let ncols = cells.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0usize; ncols];
    for row in &cells {
        for (i, c) in row.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let mut out = String::new();
    for row in &cells {
        let mut line = String::new();
        for (i, c) in row.iter().enumerate() {
            if i > 0 {
                line.push_str(glue);
            }
            line.push_str(c);
            if i + 1 < row.len() {
                let pad = widths[i].saturating_sub(c.chars().count());
                line.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    if out.ends_with('\n') {
        out.pop();
    }
    out
}

/// A table; the first row is usually the header.
pub fn list(rows: &[String]) -> String {
    layout(rows, "  ")
}

/// A `key|value` block rendered as `key   = value`.
pub fn kv(rows: &[String]) -> String {
    layout(rows, " = ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn columns_pad_to_the_widest_cell_but_the_last() {
        let t = list(&s(&[
            "Task Group|Queued|Starting|Running|Failed|Complete|Lost",
            "cache|0|0|1|0|0|0",
        ]));
        assert_eq!(
            t,
            "Task Group  Queued  Starting  Running  Failed  Complete  Lost\n\
             cache       0       0         1        0       0         0"
        );
    }

    #[test]
    fn key_values_align_and_empty_is_none() {
        let t = kv(&s(&["ID|example", "Parameterized|false", "Class|"]));
        assert_eq!(
            t,
            "ID            = example\nParameterized = false\nClass         = <none>"
        );
    }
}
