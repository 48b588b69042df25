//! Encoding read answers: small ones in place, large ones off the
//! runtime's worker thread.
//!
//! A list of a million allocations takes a second to encode and must not
//! hold up a worker thread; but most answers are small (one object, one
//! node's allocations), and handing the worker's queue to another thread
//! (`offload::off_worker`) for each of thousands of them at once (every
//! client woken by a wave of placements fetching its allocations) grew
//! the blocking pool to hundreds of threads. So an answer is encoded in
//! place until it passes [`SMALL_INPUT`] bytes, and only one that does is
//! encoded again off the worker: at most that much work is done twice.

use std::io;

use serde::Serialize;

use crate::offload::{SMALL_INPUT, off_worker};

/// Encodes `value` as JSON (indented when `pretty`), in place when the
/// result is at most [`SMALL_INPUT`] bytes.
pub fn encode_read<T: Serialize>(value: &T, pretty: bool) -> serde_json::Result<Vec<u8>> {
    let mut out = Bounded {
        buf: Vec::new(),
        over: false,
    };
    match write(&mut out, value, pretty) {
        Ok(()) => Ok(out.buf),
        Err(_) if out.over => off_worker(|| {
            let mut buf = Vec::new();
            write(&mut buf, value, pretty).map(|()| buf)
        }),
        Err(e) => Err(e),
    }
}

fn write<W: io::Write, T: Serialize>(w: W, value: &T, pretty: bool) -> serde_json::Result<()> {
    if pretty {
        serde_json::to_writer_pretty(w, value)
    } else {
        serde_json::to_writer(w, value)
    }
}

/// A buffer that refuses to grow past [`SMALL_INPUT`] bytes.
struct Bounded {
    buf: Vec<u8>,
    over: bool,
}

impl io::Write for Bounded {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        if self.buf.len() + bytes.len() > SMALL_INPUT {
            self.over = true;
            return Err(io::Error::other("answer too large to encode in place"));
        }
        self.buf.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// serde_json's own encoding, for comparison.
    fn reference<T: Serialize>(value: &T, pretty: bool) -> Option<Vec<u8>> {
        if pretty {
            serde_json::to_vec_pretty(value).ok()
        } else {
            serde_json::to_vec(value).ok()
        }
    }

    #[test]
    fn small_and_large_answers_encode_as_serde_json_does() {
        let small: Vec<u32> = (0..10).collect();
        let large: Vec<String> = (0..20_000).map(|i| format!("item-{i}")).collect();
        assert!(reference(&large, false).map_or(0, |v| v.len()) > SMALL_INPUT);
        for pretty in [false, true] {
            assert_eq!(encode_read(&small, pretty).ok(), reference(&small, pretty));
            assert_eq!(encode_read(&large, pretty).ok(), reference(&large, pretty));
        }
    }
}
