//! serde's decoding messages in the user's terms.
//!
//! serde describes a mismatch with Rust's vocabulary: `invalid type:
//! string "x", expected u64`, `expected struct JobRegisterRequest`. API
//! users write JSON, so [`plain`] restates such a message with JSON's
//! words (`expected a whole number, got a string ("x")`) and never names a
//! Rust type. Messages it does not recognise are kept, except that a
//! description that reads like a Rust type name is replaced.

/// How many characters of a string value a message quotes.
const QUOTE_MAX: usize = 40;

/// Restates one serde error message (without its location) in JSON terms.
pub fn plain(message: &str) -> String {
    if let Some(rest) = message.strip_prefix("invalid type: ")
        && let Some((got, expected)) = rest.rsplit_once(", expected ")
    {
        return format!("expected {}, got {}", kind(expected), found(got));
    }
    if let Some(rest) = message.strip_prefix("invalid value: ")
        && let Some((got, expected)) = rest.rsplit_once(", expected ")
    {
        return format!("expected {}, got {}", value_range(expected), found(got));
    }
    if let Some(rest) = message.strip_prefix("invalid length ")
        && let Some((len, expected)) = rest.split_once(", expected ")
    {
        return format!("expected {}, got {len} items", kind(expected));
    }
    if let Some(rest) = message.strip_prefix("unknown variant ") {
        return match rest.split_once(", ") {
            Some((got, "there are no variants")) => format!("{got} is not an accepted value"),
            Some((got, expected)) => format!("unknown value {got}, {expected}"),
            None => format!("unknown value {rest}"),
        };
    }
    if message.starts_with("data did not match any variant of") {
        return "the value matches none of the accepted forms".into();
    }
    message.to_string()
}

/// What serde expected, from the `expected ...` part of its message.
fn kind(expected: &str) -> String {
    let e = expected.trim();
    if let Some(n) = e
        .strip_prefix("a tuple of size ")
        .or_else(|| e.strip_prefix("an array of length "))
    {
        return format!("an array of {n} items");
    }
    let word = match e {
        "a map" | "map" | "string or map" | "struct variant" => "an object",
        "a sequence" | "sequence" | "seq" | "tuple variant" => "an array",
        "a string" | "a borrowed string" | "string" | "path string" | "a string or bytes" => {
            "a string"
        }
        "a character" | "char" => "a single character",
        "a boolean" | "bool" => "true or false",
        "u8" | "u16" | "u32" | "u64" | "u128" | "usize" | "i8" | "i16" | "i32" | "i64" | "i128"
        | "isize" | "an integer" => "a whole number",
        "f32" | "f64" | "a number" => "a number",
        "unit" | "unit value" => "null",
        "option" | "any valid JSON value" => "a JSON value",
        _ if e.starts_with("struct ")
            || e.starts_with("internally tagged enum ")
            || e.starts_with("adjacently tagged enum ") =>
        {
            "an object"
        }
        _ if e.starts_with("tuple struct ") => "an array",
        _ if e.starts_with("enum ") => "one of the accepted values",
        _ if reads_like_a_type(e) => "a value of another kind",
        _ => return e.to_string(),
    };
    word.to_string()
}

/// Like [`kind`], with the range for integers that are out of range.
fn value_range(expected: &str) -> String {
    let range = match expected.trim() {
        "u8" => Some((0i128, u8::MAX as i128)),
        "u16" => Some((0, u16::MAX as i128)),
        "u32" => Some((0, u32::MAX as i128)),
        "u64" | "usize" => Some((0, u64::MAX as i128)),
        "i8" => Some((i8::MIN as i128, i8::MAX as i128)),
        "i16" => Some((i16::MIN as i128, i16::MAX as i128)),
        "i32" => Some((i32::MIN as i128, i32::MAX as i128)),
        "i64" | "isize" => Some((i64::MIN as i128, i64::MAX as i128)),
        _ => None,
    };
    match range {
        Some((lo, hi)) => format!("a whole number from {lo} to {hi}"),
        None => kind(expected),
    }
}

/// What the body held, from serde's description of the unexpected value.
fn found(got: &str) -> String {
    let g = got.trim();
    if let Some(s) = g.strip_prefix("string ") {
        return format!("a string ({})", quote(s));
    }
    if let Some(n) = g
        .strip_prefix("integer ")
        .or_else(|| g.strip_prefix("floating point "))
    {
        return format!("the number {}", n.trim_matches('`'));
    }
    if let Some(b) = g.strip_prefix("boolean ") {
        return b.trim_matches('`').to_string();
    }
    if let Some(c) = g.strip_prefix("character ") {
        return format!(
            "a string ({})",
            quote(&format!("{:?}", c.trim_matches('`')))
        );
    }
    match g {
        "map" => "an object".into(),
        "sequence" => "an array".into(),
        "unit value" | "Option value" => "null".into(),
        "byte array" => "bytes".into(),
        _ if reads_like_a_type(g) => "a value of another kind".into(),
        _ => g.to_string(),
    }
}

/// A quoted string shortened to [`QUOTE_MAX`] characters.
fn quote(quoted: &str) -> String {
    if quoted.chars().count() <= QUOTE_MAX {
        return quoted.to_string();
    }
    let cut: String = quoted.chars().take(QUOTE_MAX).collect();
    format!("{cut}...\"")
}

/// One word in CamelCase or a Rust path (`JobRegisterRequest`, `a::B`).
fn reads_like_a_type(s: &str) -> bool {
    s.contains("::")
        || (!s.contains(' ')
            && s.chars().next().is_some_and(|c| c.is_ascii_uppercase())
            && s.chars().any(|c| c.is_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::plain;

    #[test]
    fn type_mismatches_speak_json() {
        let cases = [
            (
                "invalid type: string \"x\", expected u64",
                "expected a whole number, got a string (\"x\")",
            ),
            (
                "invalid type: sequence, expected struct JobRegisterRequest",
                "expected an object, got an array",
            ),
            (
                "invalid type: integer `5`, expected a string",
                "expected a string, got the number 5",
            ),
            (
                "invalid type: boolean `true`, expected a sequence",
                "expected an array, got true",
            ),
            (
                "invalid type: floating point `1.5`, expected i64",
                "expected a whole number, got the number 1.5",
            ),
            (
                "invalid type: map, expected a boolean",
                "expected true or false, got an object",
            ),
            (
                "invalid type: string \"a, expected b\", expected a map",
                "expected an object, got a string (\"a, expected b\")",
            ),
        ];
        for (serde, ours) in cases {
            assert_eq!(plain(serde), ours, "{serde}");
        }
    }

    #[test]
    fn out_of_range_numbers_name_the_range() {
        assert_eq!(
            plain("invalid value: integer `-1`, expected u64"),
            "expected a whole number from 0 to 18446744073709551615, got the number -1"
        );
        assert_eq!(
            plain("invalid value: integer `300`, expected u8"),
            "expected a whole number from 0 to 255, got the number 300"
        );
    }

    #[test]
    fn other_messages_lose_rust_words() {
        assert_eq!(
            plain("unknown variant `x`, expected one of `a`, `b`"),
            "unknown value `x`, expected one of `a`, `b`"
        );
        assert_eq!(
            plain("invalid length 3, expected a tuple of size 2"),
            "expected an array of 2 items, got 3 items"
        );
        assert_eq!(
            plain("invalid type: string \"x\", expected JobSpecThing"),
            "expected a value of another kind, got a string (\"x\")"
        );
        assert_eq!(
            plain("\"soon\" is not an RFC 3339 time"),
            "\"soon\" is not an RFC 3339 time"
        );
        let long = format!("invalid type: string \"{}\", expected u64", "y".repeat(100));
        assert!(plain(&long).len() < 100, "{}", plain(&long));
    }
}
