//! Pages of the lists Nomad paginates (jobs, allocations, evaluations,
//! nodes): `per_page`, `next_token`, `reverse` and `filter`, as Nomad's
//! `paginator` reads them.
//!
//! The caller hands the items in the list's order (reversed for
//! `reverse=true`) with each item's token. Items before `next_token` are
//! skipped (after it, for `reverse`); `filter` then drops what does not
//! match; a page ends after `per_page` items, and `X-Nomad-NextToken`
//! is the token of the first item left out. The tokens are Nomad's:
//!
//! | list | token |
//! | --- | --- |
//! | jobs | `<namespace>.<id>` |
//! | nodes; allocations and evaluations with `prefix` | `<id>` |
//! | allocations and evaluations | `<create index>.<id>` (ordered by create index, then ID) |

use std::cmp::Ordering;

use axum::response::Response;
use serde::Serialize;

use super::ApiError;
use super::filter::Filter;
use super::params::parse_go_int;
use super::query::{QueryOptions, reply_page, watch};
use crate::server::Server;
use crate::state::{State, Table};

/// An item's place in its list.
pub enum Token<'a> {
    /// Compared as text: an ID, or `namespace.id`.
    Text(String),
    /// `<create index>.<id>`, compared by index, then ID.
    IndexId(u64, &'a str),
}

impl Token<'_> {
    fn text(&self) -> String {
        match self {
            Token::Text(t) => t.clone(),
            Token::IndexId(index, id) => format!("{index}.{id}"),
        }
    }

    /// This token against the request's `next_token` (Nomad's tokenizers:
    /// a target that is not `<number>.<id>` is compared as text).
    fn compare(&self, target: &str) -> Ordering {
        match self {
            Token::Text(t) => t.as_str().cmp(target),
            Token::IndexId(index, id) => {
                let parsed = target
                    .split_once('.')
                    .and_then(|(i, rest)| parse_go_int(i).map(|i| (i as u64, rest)));
                match parsed {
                    Some((target_index, target_id)) => {
                        index.cmp(&target_index).then_with(|| (*id).cmp(target_id))
                    }
                    None => self.text().as_str().cmp(target),
                }
            }
        }
    }
}

/// One page of a list, and the token of the next page's first item.
pub struct Page<S> {
    pub items: Vec<S>,
    pub next_token: String,
}

/// The request's paging, with its filter parsed once.
pub struct Pager<'a> {
    opts: &'a QueryOptions,
    filter: Option<Filter>,
}

impl<'a> Pager<'a> {
    /// Refuses a filter that cannot be read (400, as Nomad).
    pub fn new(opts: &'a QueryOptions) -> Result<Self, ApiError> {
        let filter = match opts.filter.as_str() {
            "" => None,
            src => Some(Filter::parse(src)?),
        };
        Ok(Pager { opts, filter })
    }

    /// Whether the request filters (so the caller may refuse combinations).
    pub fn filters(&self) -> bool {
        self.filter.is_some()
    }

    /// The page of `items` (in the list's order) asked for; `token` gives
    /// each item's token, `stub` what is served for it.
    pub fn page<T, S>(
        &self,
        items: impl IntoIterator<Item = T>,
        token: impl Fn(&T) -> Token<'_>,
        mut stub: impl FnMut(&T) -> S,
    ) -> Page<S>
    where
        T: Serialize,
    {
        let opts = self.opts;
        let mut found = opts.next_token.is_empty();
        let mut items_out = Vec::new();
        let mut count: i64 = 0;
        for item in items {
            let tok = token(&item);
            if !found {
                let passed = match tok.compare(&opts.next_token) {
                    Ordering::Less => !opts.reverse,
                    Ordering::Greater => opts.reverse,
                    Ordering::Equal => false,
                };
                if passed {
                    continue;
                }
            }
            if let Some(filter) = &self.filter {
                let json = serde_json::to_value(&item).unwrap_or_default();
                if !filter.matches(&json) {
                    continue;
                }
            }
            found = true;
            count += 1;
            if opts.per_page != 0 && count > i64::from(opts.per_page) {
                return Page {
                    items: items_out,
                    next_token: tok.text(),
                };
            }
            items_out.push(stub(&item));
        }
        Page {
            items: items_out,
            next_token: String::new(),
        }
    }
}

/// [`super::query::blocking`] for a paginated list: `query` builds the
/// page and the list's index; the answer carries `X-Nomad-NextToken`.
pub async fn blocking_list<T, F>(
    server: &Server,
    opts: &QueryOptions,
    table: Table,
    query: F,
) -> Result<Response, ApiError>
where
    T: Serialize,
    F: Fn(&State) -> Result<(Page<T>, u64), ApiError>,
{
    let query = |state: &State| crate::offload::off_worker(|| query(state));
    let (page, index) = watch(server, opts, table, query).await?;
    Ok(reply_page(
        server,
        opts,
        &page.items,
        index,
        &page.next_token,
    ))
}

/// Items in the list's order: reversed for `reverse=true`.
pub fn ordered<T>(mut items: Vec<T>, opts: &QueryOptions) -> Vec<T> {
    if opts.reverse {
        items.reverse();
    }
    items
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(per_page: i32, next_token: &str, reverse: bool, filter: &str) -> QueryOptions {
        let mut o = QueryOptions::default();
        o.per_page = per_page;
        o.next_token = next_token.into();
        o.reverse = reverse;
        o.filter = filter.into();
        o
    }

    #[derive(Serialize)]
    struct Item {
        #[serde(rename = "ID")]
        id: &'static str,
        #[serde(rename = "CreateIndex")]
        create_index: u64,
    }

    fn items() -> Vec<Item> {
        [("c", 1), ("a", 2), ("b", 2), ("d", 10)]
            .into_iter()
            .map(|(id, create_index)| Item { id, create_index })
            .collect()
    }

    fn page_of(o: &QueryOptions, by_index: bool) -> (Vec<&'static str>, String) {
        let mut list = items();
        if !by_index {
            list.sort_by_key(|i| i.id);
        }
        let list = ordered(list, o);
        let p = Pager::new(o).expect("pager").page(
            list,
            |i| {
                if by_index {
                    Token::IndexId(i.create_index, i.id)
                } else {
                    Token::Text(i.id.to_string())
                }
            },
            |i| i.id,
        );
        (p.items, p.next_token)
    }

    #[test]
    fn pages_by_id() {
        assert_eq!(
            page_of(&opts(0, "", false, ""), false).0,
            ["a", "b", "c", "d"]
        );
        assert_eq!(
            page_of(&opts(2, "", false, ""), false),
            (vec!["a", "b"], "c".to_string())
        );
        assert_eq!(
            page_of(&opts(2, "c", false, ""), false),
            (vec!["c", "d"], String::new())
        );
        // A token between two IDs starts at the next one.
        assert_eq!(page_of(&opts(1, "bb", false, ""), false).0, ["c"]);
        assert_eq!(
            page_of(&opts(2, "", true, ""), false),
            (vec!["d", "c"], "b".to_string())
        );
        assert_eq!(page_of(&opts(2, "b", true, ""), false).0, ["b", "a"]);
    }

    #[test]
    fn pages_by_create_index_then_id() {
        assert_eq!(
            page_of(&opts(2, "", false, ""), true),
            (vec!["c", "a"], "2.b".to_string())
        );
        assert_eq!(
            page_of(&opts(2, "2.b", false, ""), true),
            (vec!["b", "d"], String::new())
        );
        // The index is compared as a number: 10 comes after 2.
        assert_eq!(page_of(&opts(0, "3.a", false, ""), true).0, ["d"]);
        assert_eq!(page_of(&opts(1, "2.b", true, ""), true).0, ["b"]);
    }

    #[test]
    fn filters_apply_after_the_token() {
        let (ids, next) = page_of(&opts(1, "b", false, "CreateIndex != 2"), false);
        assert_eq!((ids, next), (vec!["c"], "d".to_string()));
        let bad = opts(0, "", false, "ID ==");
        assert_eq!(Pager::new(&bad).err().map(|e| e.status.as_u16()), Some(400));
    }
}
