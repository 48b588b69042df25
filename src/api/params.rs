//! A request's query string, read by Nomad's rules.
//!
//! Nomad reads each parameter with Go's `url.Values.Get`: the first value
//! of a repeated key, and an empty value counts as not given. Booleans go
//! through Go's `strconv.ParseBool`, which takes `1 t T TRUE true True`
//! and `0 f F FALSE false False` and nothing else. Endpoints differ in how
//! they treat a bad boolean, and each of Nomad's ways has a reader here:
//!
//! | reader | Nomad's code | bad value |
//! | --- | --- | --- |
//! | [`RawQuery::bool`] | `parseBool`, `strconv.ParseBool` with its error returned (`purge`, `diffs`, `resources`, `task_states`, `no_shutdown_delay`) | refused, naming the parameter and value |
//! | [`RawQuery::bool_or_false`] | `strconv.ParseBool` with its error dropped (`all`) | false |
//! | [`RawQuery::is_true`] | `== "true"` (`reverse`, `related`) | false, as `True` is |
//!
//! Parameters no endpoint reads are ignored, as Nomad ignores them.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use serde::{Deserialize, Deserializer};

use super::ApiError;
use super::extract::Query;

/// The query extractor handlers take.
pub type Params = Query<RawQuery>;

/// Go's `strconv.ParseBool`.
pub fn parse_go_bool(value: &str) -> Option<bool> {
    match value {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// Nomad's refusal of a boolean parameter (`parseBool`), Go's error
/// included: `Failed to parse value of "purge" (maybe) as a bool:
/// strconv.ParseBool: parsing "maybe": invalid syntax`.
pub fn bad_bool(name: &str, value: &str) -> ApiError {
    ApiError::bad_request(format!(
        "Failed to parse value of {name:?} ({value}) as a bool: \
         strconv.ParseBool: parsing {value:?}: invalid syntax"
    ))
}

/// The query string: for each key its first value, as Go's `Get`, and
/// the later values of repeated keys (`?address=a&address=b`).
#[derive(Clone, Debug, Default)]
pub struct RawQuery {
    first: HashMap<String, String>,
    /// Values after the first of each repeated key, in order.
    more: Vec<(String, String)>,
}

impl<'de> Deserialize<'de> for RawQuery {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        let pairs = Vec::<(String, String)>::deserialize(de)?;
        Ok(pairs.into_iter().collect())
    }
}

impl FromIterator<(String, String)> for RawQuery {
    fn from_iter<I: IntoIterator<Item = (String, String)>>(pairs: I) -> Self {
        let mut query = RawQuery::default();
        for (key, value) in pairs {
            match query.first.entry(key) {
                Entry::Occupied(e) => query.more.push((e.key().clone(), value)),
                Entry::Vacant(e) => {
                    e.insert(value);
                }
            }
        }
        query
    }
}

impl From<HashMap<String, String>> for RawQuery {
    fn from(first: HashMap<String, String>) -> Self {
        RawQuery {
            first,
            more: Vec::new(),
        }
    }
}

impl RawQuery {
    /// The value of `name` when the key is present, even empty (`?stale`).
    pub fn raw(&self, name: &str) -> Option<&str> {
        self.first.get(name).map(String::as_str)
    }

    /// Every value of `name`, in order, empty ones included (Go's
    /// `Query()[name]`).
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.raw(name)
            .into_iter()
            .chain(
                self.more
                    .iter()
                    .filter(|(k, _)| k == name)
                    .map(|(_, v)| v.as_str()),
            )
            .collect()
    }

    /// The value of `name` when given and not empty (Go's `Get(name) != ""`).
    pub fn text(&self, name: &str) -> Option<&str> {
        self.raw(name).filter(|v| !v.is_empty())
    }

    /// A boolean read by `strconv.ParseBool`; `None` when absent or empty.
    pub fn bool(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.text(name) {
            None => Ok(None),
            Some(v) => parse_go_bool(v).map(Some).ok_or_else(|| bad_bool(name, v)),
        }
    }

    /// [`Self::bool`], false when absent.
    pub fn flag(&self, name: &str) -> Result<bool, ApiError> {
        Ok(self.bool(name)?.unwrap_or(false))
    }

    /// A boolean where the bare key (`?passing`) is true: Consul's reading
    /// (and Nomad's of `stale`); otherwise [`Self::flag`].
    pub fn present_or_bool(&self, name: &str) -> Result<bool, ApiError> {
        match self.raw(name) {
            Some("") => Ok(true),
            _ => self.flag(name),
        }
    }

    /// A boolean whose bad values read as false (Nomad drops the error).
    pub fn bool_or_false(&self, name: &str) -> bool {
        self.text(name).and_then(parse_go_bool).unwrap_or(false)
    }

    /// True only for the exact text `true` (Nomad compares the string).
    pub fn is_true(&self, name: &str) -> bool {
        self.raw(name) == Some("true")
    }

    /// A signed integer read by Go's `strconv.Atoi`; `None` when absent.
    pub fn int(&self, name: &str) -> Result<Option<i64>, ApiError> {
        match self.text(name) {
            None => Ok(None),
            Some(v) => parse_go_int(v).map(Some).ok_or_else(|| {
                ApiError::bad_request(format!(
                    "Failed to parse value of {name:?} ({v}) as a int: \
                     strconv.Atoi: parsing {v:?}: invalid syntax"
                ))
            }),
        }
    }

    /// An unsigned integer read by Go's `strconv.ParseUint(v, 10, 64)`.
    pub fn uint(&self, name: &str) -> Option<Result<u64, ()>> {
        self.text(name).map(|v| parse_go_uint(v).ok_or(()))
    }
}

/// Go's `strconv.ParseUint(v, 10, 64)`: digits only, no sign.
pub fn parse_go_uint(v: &str) -> Option<u64> {
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    v.parse().ok()
}

/// Go's `strconv.ParseInt(v, 10, 64)` (and `Atoi` on 64-bit): an optional
/// sign, then digits.
pub fn parse_go_int(v: &str) -> Option<i64> {
    let digits = v.strip_prefix(['+', '-']).unwrap_or(v);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    v.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> RawQuery {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn go_bool_takes_exactly_strconv_parse_bool_spellings() {
        for v in ["1", "t", "T", "TRUE", "true", "True"] {
            assert_eq!(parse_go_bool(v), Some(true), "{v}");
        }
        for v in ["0", "f", "F", "FALSE", "false", "False"] {
            assert_eq!(parse_go_bool(v), Some(false), "{v}");
        }
        for v in [
            "", "yes", "no", "y", "n", "on", "off", "tRUE", "fALSE", "TrUe", " true", "true ", "2",
            "-1", "01", "truee",
        ] {
            assert_eq!(parse_go_bool(v), None, "{v:?}");
        }
    }

    #[test]
    fn repeated_keys_keep_every_value_and_get_reads_the_first() {
        let q = query(&[
            ("address", "a:1"),
            ("x", "1"),
            ("address", ""),
            ("address", "b:2"),
        ]);
        assert_eq!(q.raw("address"), Some("a:1"));
        assert_eq!(q.all("address"), vec!["a:1", "", "b:2"]);
        assert_eq!(q.all("x"), vec!["1"]);
        assert!(q.all("absent").is_empty());
    }

    #[test]
    fn bool_parameters_are_refused_with_nomads_text() {
        let q = query(&[("purge", "True"), ("global", ""), ("diffs", "maybe")]);
        assert_eq!(q.bool("purge").unwrap(), Some(true));
        assert_eq!(q.bool("global").unwrap(), None, "empty is not given");
        assert_eq!(q.bool("absent").unwrap(), None);
        assert!(!q.flag("global").unwrap());
        assert!(q.present_or_bool("global").unwrap(), "the bare key");
        assert!(q.present_or_bool("purge").unwrap());
        assert!(!q.present_or_bool("absent").unwrap());
        let e = q.bool("diffs").unwrap_err();
        assert_eq!(e.status.as_u16(), 400);
        assert_eq!(
            e.message,
            "Failed to parse value of \"diffs\" (maybe) as a bool: \
             strconv.ParseBool: parsing \"maybe\": invalid syntax"
        );
    }

    #[test]
    fn lenient_and_exact_readers() {
        let q = query(&[("all", "maybe"), ("reverse", "True"), ("related", "true")]);
        assert!(!q.bool_or_false("all"));
        assert!(query(&[("all", "T")]).bool_or_false("all"));
        assert!(!q.is_true("reverse"), "Nomad compares with \"true\"");
        assert!(q.is_true("related"));
    }

    #[test]
    fn the_first_of_repeated_keys_wins() {
        let q = query(&[("purge", "false"), ("purge", "true")]);
        assert_eq!(q.bool("purge").unwrap(), Some(false));
        let uri: axum::http::Uri = "/v1/jobs?stale&stale=maybe&x=1".parse().expect("uri");
        let axum::extract::Query(parsed) =
            axum::extract::Query::<RawQuery>::try_from_uri(&uri).expect("decodes");
        assert_eq!(parsed.raw("stale"), Some(""));
        assert_eq!(parsed.text("stale"), None);
        assert_eq!(parsed.text("x"), Some("1"));
    }

    #[test]
    fn integers_follow_go() {
        assert_eq!(parse_go_uint("42"), Some(42));
        assert_eq!(parse_go_uint("18446744073709551615"), Some(u64::MAX));
        for v in ["", "+1", "-1", "1.0", "0x10", " 1", "18446744073709551616"] {
            assert_eq!(parse_go_uint(v), None, "{v:?}");
        }
        assert_eq!(parse_go_int("-7"), Some(-7));
        assert_eq!(parse_go_int("+7"), Some(7));
        for v in ["", "-", "7a", "1e3"] {
            assert_eq!(parse_go_int(v), None, "{v:?}");
        }
        let q = query(&[("eval_priority", "high")]);
        let e = q.int("eval_priority").unwrap_err();
        assert!(
            e.message
                .starts_with("Failed to parse value of \"eval_priority\" (high) as a int")
        );
    }
}
