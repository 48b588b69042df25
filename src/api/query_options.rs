//! The parameters every read shares (Nomad's `parse` in
//! `command/agent/http.go`) and the few every write reads
//! (`parseWriteRequest`), with Nomad's rules and refusals.
//!
//! Reads check them in Nomad's order, so a request with two bad ones is
//! refused for the same one: `stale`, `per_page`, `wait`, `index`.
//! Writes read only `namespace` and `region`: a write's `?wait=abc` is
//! ignored, as Nomad ignores it.
//!
//! | parameter | rule |
//! | --- | --- |
//! | `stale` | present with no value (`?stale`, `?stale=`): stale; otherwise Go's `ParseBool` |
//! | `index` | Go's `ParseUint`; empty is 0 (no blocking) |
//! | `wait` | Go's `time.ParseDuration`; `0`, negative or absent block 5 min; more than 5 min is 5 min |
//! | `prefix`, `filter`, `next_token` | text, empty is not given |
//! | `namespace` | empty or absent is `default`; `*` means every namespace on lists |
//! | `region` | recorded; every region is this cluster's |
//! | `per_page` | Go's `ParseInt(v, 10, 32)`; 0 is no limit |
//! | `reverse` | exactly `true` |
//! | `pretty` | present and not `0` |

use std::time::Duration;

use super::ApiError;
use super::params::{RawQuery, parse_go_bool, parse_go_int, parse_go_uint};

/// Nomad's `MaxBlockingRPCQueryTime` and `DefaultBlockingRPCQueryTime`.
pub const MAX_WAIT: Duration = Duration::from_secs(300);

/// The common query parameters.
#[derive(Clone, Debug, Default)]
pub struct QueryOptions {
    /// `index`: block until the answer's index passes it (0: never block).
    pub index: u64,
    /// How long a blocking query may wait (before jitter), already
    /// defaulted and capped as Nomad's `TimeToBlock`.
    pub wait: Duration,
    pub stale: bool,
    pub prefix: String,
    pub namespace: String,
    /// `region`, recorded only: a cluster is one region.
    pub region: String,
    /// `per_page`: at most this many items in a page; 0 for all.
    pub per_page: i32,
    /// `next_token`: the first item of the page, from `X-Nomad-NextToken`.
    pub next_token: String,
    /// `filter`: a go-bexpr expression (see [`super::filter`]).
    pub filter: String,
    /// `reverse`: lists in descending order.
    pub reverse: bool,
    pub pretty: bool,
    params: RawQuery,
}

fn bad_stale() -> ApiError {
    ApiError::bad_request("Expect `true` or `false` for `stale` query string parameter")
}

/// `stale`: present with an empty value means stale.
fn parse_stale(params: &RawQuery) -> Result<bool, ApiError> {
    match params.raw("stale") {
        None => Ok(false),
        Some("") => Ok(true),
        Some(v) => parse_go_bool(v).ok_or_else(bad_stale),
    }
}

/// `per_page`, a 32-bit signed integer.
fn parse_per_page(params: &RawQuery) -> Result<i32, ApiError> {
    match params.text("per_page") {
        None => Ok(0),
        Some(v) => parse_go_int(v)
            .and_then(|n| i32::try_from(n).ok())
            .ok_or_else(|| {
                ApiError::bad_request("Expect a number for `per_page` query string parameter")
            }),
    }
}

/// `wait` as Go's `time.ParseDuration`, then Nomad's `TimeToBlock`.
fn parse_wait(params: &RawQuery) -> Result<Duration, ApiError> {
    let asked = match params.text("wait") {
        None => 0,
        Some(v) => crate::jobspec::parse_duration(v)
            .map_err(|_| ApiError::bad_request("Invalid wait time"))?,
    };
    Ok(time_to_block(asked))
}

/// Nomad's `TimeToBlock`: nothing or less is the default, more than the
/// maximum is the maximum.
fn time_to_block(asked_ns: i64) -> Duration {
    if asked_ns <= 0 {
        return MAX_WAIT;
    }
    Duration::from_nanos(asked_ns as u64).min(MAX_WAIT)
}

fn parse_index(params: &RawQuery) -> Result<u64, ApiError> {
    match params.text("index") {
        None => Ok(0),
        Some(v) => parse_go_uint(v).ok_or_else(|| ApiError::bad_request("Invalid index")),
    }
}

fn namespace(params: &RawQuery) -> String {
    params.text("namespace").unwrap_or("default").to_string()
}

fn text(params: &RawQuery, name: &str) -> String {
    params.text(name).unwrap_or_default().to_string()
}

impl QueryOptions {
    /// The options of a read, checked in Nomad's order.
    pub fn parse(params: impl Into<RawQuery>) -> Result<Self, ApiError> {
        let params = params.into();
        let stale = parse_stale(&params)?;
        let per_page = parse_per_page(&params)?;
        let wait = parse_wait(&params)?;
        let index = parse_index(&params)?;
        Ok(QueryOptions {
            index,
            wait,
            stale,
            prefix: text(&params, "prefix"),
            namespace: namespace(&params),
            region: text(&params, "region"),
            per_page,
            next_token: text(&params, "next_token"),
            filter: text(&params, "filter"),
            reverse: params.is_true("reverse"),
            pretty: params.raw("pretty").is_some_and(|v| v != "0"),
            params,
        })
    }

    /// The options of a write: `namespace`, `region` and `pretty`; never
    /// refused, whatever else the query says.
    pub fn write(params: impl Into<RawQuery>) -> Self {
        let params = params.into();
        QueryOptions {
            wait: MAX_WAIT,
            namespace: namespace(&params),
            region: text(&params, "region"),
            pretty: params.raw("pretty").is_some_and(|v| v != "0"),
            params,
            ..QueryOptions::default()
        }
    }

    /// A boolean parameter read by Go's `ParseBool` (`purge`, `diffs`):
    /// false when absent or empty, refused when not a boolean.
    pub fn flag(&self, name: &str) -> Result<bool, ApiError> {
        self.params.flag(name)
    }

    /// The value of `name` when given and not empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params.text(name)
    }

    /// The whole query string, for route-specific parameters.
    pub fn params(&self) -> &RawQuery {
        &self.params
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(query: &str) -> Result<QueryOptions, ApiError> {
        let uri: axum::http::Uri = format!("/v1/jobs?{query}").parse().expect("uri");
        let axum::extract::Query(raw) =
            axum::extract::Query::<RawQuery>::try_from_uri(&uri).expect("decodes");
        QueryOptions::parse(raw)
    }

    fn refused(query: &str) -> String {
        read(query).expect_err(query).message
    }

    #[test]
    fn stale_without_a_value_is_stale() {
        assert!(!read("").unwrap().stale);
        assert!(read("stale").unwrap().stale);
        assert!(read("stale=").unwrap().stale);
        for v in ["1", "t", "T", "TRUE", "true", "True"] {
            assert!(read(&format!("stale={v}")).unwrap().stale, "{v}");
        }
        for v in ["0", "f", "F", "FALSE", "false", "False"] {
            assert!(!read(&format!("stale={v}")).unwrap().stale, "{v}");
        }
        for v in ["maybe", "yes", "tRue", "2"] {
            assert_eq!(
                refused(&format!("stale={v}")),
                "Expect `true` or `false` for `stale` query string parameter"
            );
        }
    }

    #[test]
    fn wait_is_a_go_duration_defaulted_and_capped_at_five_minutes() {
        let wait = |q: &str| read(q).unwrap().wait;
        assert_eq!(wait(""), MAX_WAIT);
        assert_eq!(wait("wait="), MAX_WAIT);
        assert_eq!(wait("wait=5s"), Duration::from_secs(5));
        assert_eq!(wait("wait=1m30s"), Duration::from_secs(90));
        assert_eq!(wait("wait=100ms"), Duration::from_millis(100));
        assert_eq!(wait("wait=1.5s"), Duration::from_millis(1500));
        assert_eq!(wait("wait=250us"), Duration::from_micros(250));
        assert_eq!(wait("wait=%2B2s"), Duration::from_secs(2));
        // TimeToBlock: zero or negative is the default, more is capped.
        assert_eq!(wait("wait=0"), MAX_WAIT);
        assert_eq!(wait("wait=-5s"), MAX_WAIT);
        assert_eq!(wait("wait=10m"), MAX_WAIT);
        assert_eq!(wait("wait=5m"), MAX_WAIT);
        assert_eq!(wait("wait=4m59s"), Duration::from_secs(299));
        for bad in ["abc", "5", "10", "1x", "s", "1h-1m", "forever", ".s"] {
            assert_eq!(
                refused(&format!("wait={bad}")),
                "Invalid wait time",
                "{bad}"
            );
        }
    }

    #[test]
    fn index_is_an_unsigned_integer() {
        assert_eq!(read("index=").unwrap().index, 0);
        assert_eq!(read("index=42").unwrap().index, 42);
        for bad in ["-1", "abc", "1.5", "+3", "0x1"] {
            assert_eq!(refused(&format!("index={bad}")), "Invalid index", "{bad}");
        }
    }

    #[test]
    fn refusals_come_in_nomads_order() {
        assert!(refused("index=x&wait=x&stale=x").starts_with("Expect `true`"));
        assert!(refused("index=x&wait=x&per_page=x").starts_with("Expect a number"));
        assert_eq!(refused("index=x&wait=x"), "Invalid wait time");
    }

    #[test]
    fn pagination_filter_and_names() {
        let o = read("per_page=2&next_token=5.ab&filter=Status%20%3D%3D%20%22x%22&reverse=true")
            .unwrap();
        assert_eq!(o.per_page, 2);
        assert_eq!(o.next_token, "5.ab");
        assert_eq!(o.filter, "Status == \"x\"");
        assert!(o.reverse);
        assert!(
            !read("reverse=True").unwrap().reverse,
            "Nomad compares to \"true\""
        );
        assert_eq!(read("per_page=-1").unwrap().per_page, -1);
        for bad in ["x", "1.5", "2147483648"] {
            assert_eq!(
                refused(&format!("per_page={bad}")),
                "Expect a number for `per_page` query string parameter"
            );
        }
        let o = read("namespace=&region=eu").unwrap();
        assert_eq!(o.namespace, "default");
        assert_eq!(o.region, "eu");
        assert_eq!(read("namespace=*").unwrap().namespace, "*");
        assert!(read("pretty").unwrap().pretty);
        assert!(!read("pretty=0").unwrap().pretty);
        // Parameters nobody reads are no reason to refuse.
        assert!(read("whatever=1&x").is_ok());
    }

    #[test]
    fn writes_ignore_read_parameters() {
        let raw: RawQuery = [("wait", "abc"), ("stale", "x"), ("namespace", "ops")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let o = QueryOptions::write(raw);
        assert_eq!(o.namespace, "ops");
        assert_eq!(o.index, 0);
    }
}
