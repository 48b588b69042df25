//! Nomad's stream framing of file and log contents: one JSON object per
//! frame, `{"Offset", "Data" (base64), "File", "FileEvent"}`, empty fields
//! left out, and `{}` alone as a heartbeat. Frames are written one after
//! the other, each on its own line (a JSON stream decoder reads them
//! either way).

use base64::Engine;
use bytes::Bytes;
use serde_json::{Map, Value};

/// A frame event: the file shrank and is read again from its start.
pub const TRUNCATED: &str = "file truncated";

fn encode(offset: u64, data: &[u8], file: &str, event: &str) -> Bytes {
    let mut frame = Map::new();
    if offset != 0 {
        frame.insert("Offset".into(), offset.into());
    }
    if !data.is_empty() {
        let text = base64::engine::general_purpose::STANDARD.encode(data);
        frame.insert("Data".into(), text.into());
    }
    if !file.is_empty() {
        frame.insert("File".into(), file.into());
    }
    if !event.is_empty() {
        frame.insert("FileEvent".into(), event.into());
    }
    let mut out = Value::Object(frame).to_string().into_bytes();
    out.push(b'\n');
    out.into()
}

/// Bytes of `file`; `offset` is the position in the file just past them.
pub fn data(file: &str, offset: u64, data: &[u8]) -> Bytes {
    encode(offset, data, file, "")
}

/// Something happened to `file` (see [`TRUNCATED`]).
pub fn event(file: &str, offset: u64, event: &str) -> Bytes {
    encode(offset, &[], file, event)
}

/// Sent while following and idle, so that a gone reader is noticed.
pub fn heartbeat() -> Bytes {
    Bytes::from_static(b"{}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_carry_base64_data_and_leave_empty_fields_out() {
        let f = data("alloc/logs/redis.stdout.0", 12, b"line 0\n");
        let v: Value = serde_json::from_slice(&f).unwrap();
        assert_eq!(
            v,
            serde_json::json!({
                "Offset": 12,
                "Data": "bGluZSAwCg==",
                "File": "alloc/logs/redis.stdout.0",
            })
        );
        assert!(f.ends_with(b"\n"));
        let e: Value =
            serde_json::from_slice(&event("alloc/logs/x.stdout.0", 0, TRUNCATED)).unwrap();
        assert_eq!(
            e,
            serde_json::json!({"File": "alloc/logs/x.stdout.0", "FileEvent": "file truncated"})
        );
        assert_eq!(&heartbeat()[..], b"{}\n");
    }
}
