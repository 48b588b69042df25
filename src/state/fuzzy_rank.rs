//! The matching and ordering rule of `PUT /v1/search/fuzzy`, as Nomad's
//! `fuzzyIndex` and `sortSet` have it.
//!
//! A name matches when it contains the (lower-cased) text, ignoring case;
//! its score is the byte offset of the first occurrence in the lower-cased
//! name. Matches are ordered by score (a name that starts with the text
//! first), then by the name's length (shorter first, so an exact match
//! comes first among those at its score), then by the name. Nomad's sort
//! is not stable and stops there; Drover breaks the remaining ties (one
//! group name in two jobs) by scope, so answers are deterministic.
//!
//! Where Nomad differs: Nomad keeps the *first* `limit_results` matches in
//! table order and sorts only those, so a better match found later is
//! dropped; Drover keeps the *best* `limit` matches of the whole table
//! ([`TopMatches`], a bounded heap), which is the same answer whenever
//! nothing is truncated. A candidate that cannot make the cut is refused
//! before its scope is built, so a scan that matches a million names
//! allocates for at most `limit` of them at a time.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::structs::FuzzyMatch;

/// Where `text` (already lower-cased) starts in `name`, ignoring case: a
/// byte offset into the lower-cased name; `None` when it does not occur.
pub fn fuzzy_index(name: &str, text: &str) -> Option<usize> {
    if name.is_ascii() {
        // The common case, without lower-casing a copy of the name. An
        // ASCII name lower-cases to ASCII, which cannot hold other text.
        if !text.is_ascii() {
            return None;
        }
        let (n, t) = (name.as_bytes(), text.as_bytes());
        if t.is_empty() {
            return Some(0);
        }
        return n.windows(t.len()).position(|w| w.eq_ignore_ascii_case(t));
    }
    name.to_lowercase().find(text)
}

/// The matches of one context, best first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FuzzyMatches {
    pub matches: Vec<FuzzyMatch>,
    /// More names matched than are listed.
    pub truncated: bool,
}

/// A match with its score, ordered best (least) first.
#[derive(Debug, PartialEq, Eq)]
struct Ranked {
    score: usize,
    id: String,
    scope: Vec<String>,
}

/// The order key without the scope: enough to refuse most candidates
/// before anything is allocated for them.
fn key(score: usize, id: &str) -> (usize, usize, &str) {
    (score, id.len(), id)
}

impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> Ordering {
        key(self.score, &self.id)
            .cmp(&key(other.score, &other.id))
            .then_with(|| self.scope.cmp(&other.scope))
    }
}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The best `limit` matches offered, and whether any were left out.
#[derive(Debug)]
pub struct TopMatches {
    limit: usize,
    /// A max-heap: its top is the worst match kept, the first to go.
    kept: BinaryHeap<Ranked>,
    truncated: bool,
}

impl TopMatches {
    pub fn new(limit: usize) -> Self {
        TopMatches {
            limit,
            kept: BinaryHeap::new(),
            truncated: false,
        }
    }

    /// Offers `name` if it contains `text` (lower-cased); `scope` is called
    /// only for a match that is kept.
    pub fn offer(&mut self, name: &str, text: &str, scope: impl FnOnce() -> Vec<String>) {
        if let Some(score) = fuzzy_index(name, text) {
            self.offer_scored(score, name, scope);
        }
    }

    fn offer_scored(&mut self, score: usize, id: &str, scope: impl FnOnce() -> Vec<String>) {
        if self.kept.len() >= self.limit {
            self.truncated = true;
            let beats_worst = self
                .kept
                .peek()
                .is_some_and(|worst| key(score, id) <= key(worst.score, &worst.id));
            if !beats_worst {
                return;
            }
        }
        self.kept.push(Ranked {
            score,
            id: id.to_string(),
            scope: scope(),
        });
        if self.kept.len() > self.limit {
            self.kept.pop();
        }
    }

    /// The kept matches, best first.
    pub fn finish(self) -> FuzzyMatches {
        let matches = self
            .kept
            .into_sorted_vec()
            .into_iter()
            .map(|r| FuzzyMatch {
                id: r.id,
                scope: r.scope,
            })
            .collect();
        FuzzyMatches {
            matches,
            truncated: self.truncated,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(m: &FuzzyMatches) -> Vec<&str> {
        m.matches.iter().map(|m| m.id.as_str()).collect()
    }

    #[test]
    fn the_index_ignores_case_and_is_a_byte_offset() {
        // Nomad's own cases.
        assert_eq!(fuzzy_index("foo-bar-baz", "bar"), Some(4));
        assert_eq!(fuzzy_index("Foo-Bar-Baz", "bar"), Some(4));
        assert_eq!(fuzzy_index("foo-bar-baz", "zap"), None);
        assert_eq!(fuzzy_index("ab", "abc"), None);
        assert_eq!(fuzzy_index("", "ab"), None);
        // Outside ASCII: lower-cased, offsets in bytes.
        assert_eq!(fuzzy_index("Ünïcode-WEB", "web"), Some(10));
        assert_eq!(fuzzy_index("ÜBER", "über"), Some(0));
        assert_eq!(fuzzy_index("plain", "ü"), None);
    }

    #[test]
    fn matches_order_by_position_then_length_then_name() {
        let mut top = TopMatches::new(10);
        for name in [
            "my-sleep",      // 3
            "sleep-longer",  // 0, 12
            "Sleep",         // 0, 5: exact, best
            "nosleep",       // 2
            "sleep-b",       // 0, 7
            "sleep-a",       // 0, 7
            "unrelated",     // no match
            "deeper-sleeps", // 7
        ] {
            top.offer(name, "sleep", Vec::new);
        }
        let m = top.finish();
        assert_eq!(
            ids(&m),
            [
                "Sleep",
                "sleep-a",
                "sleep-b",
                "sleep-longer",
                "nosleep",
                "my-sleep",
                "deeper-sleeps"
            ]
        );
        assert!(!m.truncated);
    }

    #[test]
    fn equal_names_are_ordered_by_scope() {
        let mut top = TopMatches::new(10);
        top.offer("web", "web", || vec!["default".into(), "b".into()]);
        top.offer("web", "web", || vec!["default".into(), "a".into()]);
        let m = top.finish();
        assert_eq!(m.matches[0].scope, ["default", "a"]);
        assert_eq!(m.matches[1].scope, ["default", "b"]);
    }

    #[test]
    fn the_best_are_kept_past_the_limit_and_truncation_is_reported() {
        let mut top = TopMatches::new(2);
        let mut built = 0;
        // Worst first, then better ones displace them.
        for name in ["xx-web-3", "x-web-2", "web-long", "web"] {
            top.offer(name, "web", || {
                built += 1;
                Vec::new()
            });
        }
        // No better than the worst kept: refused before its scope is built.
        top.offer("zzzz-web", "web", || {
            built += 1;
            Vec::new()
        });
        let m = top.finish();
        assert_eq!(ids(&m), ["web", "web-long"]);
        assert!(m.truncated);
        assert_eq!(built, 4);
    }

    #[test]
    fn exactly_the_limit_is_not_truncated_and_zero_keeps_nothing() {
        let mut top = TopMatches::new(2);
        top.offer("ab", "ab", Vec::new);
        top.offer("abc", "ab", Vec::new);
        top.offer("nope", "ab", Vec::new);
        assert!(!top.finish().truncated);
        let mut top = TopMatches::new(0);
        top.offer("ab", "ab", Vec::new);
        let m = top.finish();
        assert!(m.matches.is_empty());
        assert!(m.truncated);
    }
}
