//! The end of a log by lines, for `alloc logs -tail -n N`: the log is read
//! from a byte offset before its end, and only its last N lines are kept.

/// The bytes read per line wanted at first (as Nomad's CLI guesses).
pub const BYTES_PER_LINE: u64 = 120;

/// The suffix of `buf` that holds its last `n` lines. A newline ends a
/// line; text after the last newline is a line too.
pub fn last_lines(buf: &[u8], n: usize) -> &[u8] {
    if n == 0 {
        return &buf[buf.len()..];
    }
    let body = buf.strip_suffix(b"\n").unwrap_or(buf);
    let mut seen = 0;
    for (i, b) in body.iter().enumerate().rev() {
        if *b == b'\n' {
            seen += 1;
            if seen == n {
                return &buf[i + 1..];
            }
        }
    }
    buf
}

/// Whether `buf`, read from `offset` bytes before the end of a log, holds
/// `n` whole lines, or is the whole log (shorter than was asked for).
pub fn enough(buf: &[u8], n: usize, offset: u64) -> bool {
    if (buf.len() as u64) < offset {
        return true;
    }
    let body = buf.strip_suffix(b"\n").unwrap_or(buf);
    body.iter().filter(|b| **b == b'\n').count() >= n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_lines_of_a_buffer() {
        assert_eq!(last_lines(b"a\nb\nc\n", 2), b"b\nc\n");
        assert_eq!(last_lines(b"a\nb\nc", 2), b"b\nc");
        assert_eq!(last_lines(b"a\nb\nc\n", 5), b"a\nb\nc\n");
        assert_eq!(last_lines(b"a\nb\n", 0), b"");
        assert_eq!(last_lines(b"", 3), b"");
        assert_eq!(last_lines(b"\n\n\n", 2), b"\n\n");
    }

    #[test]
    fn a_partial_first_line_is_not_enough() {
        // Read 6 bytes from the end: "rt\nb\nc" may begin mid-line.
        assert!(!enough(b"rt\nb\nc", 3, 6));
        assert!(enough(b"rt\nb\nc", 2, 6));
        // Shorter than asked: the whole log.
        assert!(enough(b"b\nc", 3, 6));
    }
}
