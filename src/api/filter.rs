//! `?filter=`: the part of go-bexpr's language that lists are filtered
//! with, evaluated against an object's JSON (the same field names as
//! Nomad's structs).
//!
//! ```text
//! expr    := and ("or" and)*
//! and     := unary ("and" unary)*
//! unary   := "not" unary | "(" expr ")" | match
//! match   := selector ("==" | "!=") value
//!          | selector "is" ["not"] "empty"
//!          | selector ["not"] ("contains" | "matches") value
//!          | value ["not"] "in" selector
//! selector:= name ("." name)*          (Meta.owner, TaskStates.web.State)
//! value   := "text" | `text` | bare word or number
//! ```
//!
//! A selector naming nothing in the object has no value: `==`, `in`,
//! `contains` and `matches` are false for it, `!=` and `is empty` true.
//! go-bexpr refuses a selector that names no field of the struct instead.

use regex::Regex;
use serde_json::Value;

use super::ApiError;
use super::params::parse_go_bool;

/// A parsed filter expression.
#[derive(Debug)]
pub enum Filter {
    Or(Box<Filter>, Box<Filter>),
    And(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    Match {
        selector: Vec<String>,
        op: Op,
        value: String,
    },
}

#[derive(Debug)]
pub enum Op {
    Equal,
    NotEqual,
    IsEmpty,
    Contains,
    /// `value in selector`: the same test as `contains`.
    In,
    Matches(Regex),
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Word(String),
    Quoted(String),
    Open,
    Close,
    Eq,
    Ne,
}

fn bad(detail: impl std::fmt::Display) -> ApiError {
    ApiError::bad_request(format!(
        "failed to create result paginator: failed to read filter expression: {detail}"
    ))
}

fn lex(src: &str) -> Result<Vec<Tok>, ApiError> {
    let mut toks = Vec::new();
    let mut chars = src.char_indices().peekable();
    while let Some(&(at, c)) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' | ')' => {
                chars.next();
                toks.push(if c == '(' { Tok::Open } else { Tok::Close });
            }
            '=' | '!' => {
                chars.next();
                if chars.next().map(|(_, c)| c) != Some('=') {
                    return Err(bad(format!("unexpected {c:?} at offset {at}")));
                }
                toks.push(if c == '=' { Tok::Eq } else { Tok::Ne });
            }
            '"' | '`' => {
                chars.next();
                let mut text = String::new();
                let mut closed = false;
                while let Some((_, d)) = chars.next() {
                    match d {
                        d if d == c => {
                            closed = true;
                            break;
                        }
                        '\\' if c == '"' => match chars.next() {
                            Some((_, e)) => text.push(e),
                            None => break,
                        },
                        d => text.push(d),
                    }
                }
                if !closed {
                    return Err(bad(format!("unterminated string at offset {at}")));
                }
                toks.push(Tok::Quoted(text));
            }
            _ => {
                let mut word = String::new();
                while let Some(&(_, d)) = chars.peek() {
                    if d.is_whitespace() || "()=!\"`".contains(d) {
                        break;
                    }
                    word.push(d);
                    chars.next();
                }
                toks.push(Tok::Word(word));
            }
        }
    }
    Ok(toks)
}

struct Parser {
    toks: Vec<Tok>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.at)
    }

    fn peek_word(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Tok::Word(w)) if w == word)
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.at).cloned();
        self.at += 1;
        t
    }

    fn expect_word(&mut self, word: &str) -> Result<(), ApiError> {
        match self.next() {
            Some(Tok::Word(w)) if w == word => Ok(()),
            other => Err(bad(format!("expected {word:?}, found {other:?}"))),
        }
    }

    fn expr(&mut self) -> Result<Filter, ApiError> {
        let mut left = self.and()?;
        while self.peek_word("or") {
            self.next();
            left = Filter::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Filter, ApiError> {
        let mut left = self.unary()?;
        while self.peek_word("and") {
            self.next();
            left = Filter::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Filter, ApiError> {
        if self.peek_word("not") {
            self.next();
            return Ok(Filter::Not(Box::new(self.unary()?)));
        }
        if self.peek() == Some(&Tok::Open) {
            self.next();
            let inner = self.expr()?;
            if self.next() != Some(Tok::Close) {
                return Err(bad("expected \")\""));
            }
            return Ok(inner);
        }
        self.matcher()
    }

    fn value(&mut self) -> Result<String, ApiError> {
        match self.next() {
            Some(Tok::Word(w) | Tok::Quoted(w)) => Ok(w),
            other => Err(bad(format!("expected a value, found {other:?}"))),
        }
    }

    fn selector(text: &str) -> Result<Vec<String>, ApiError> {
        let parts: Vec<String> = text.split('.').map(str::to_string).collect();
        if parts.iter().any(String::is_empty) {
            return Err(bad(format!("invalid selector {text:?}")));
        }
        Ok(parts)
    }

    fn matcher(&mut self) -> Result<Filter, ApiError> {
        let first = match self.next() {
            Some(Tok::Word(w)) => (w, false),
            Some(Tok::Quoted(q)) => (q, true),
            other => return Err(bad(format!("expected a selector, found {other:?}"))),
        };
        let negated = self.peek_word("not");
        if negated {
            self.next();
        }
        let m = match self.next() {
            Some(Tok::Word(w)) if w == "in" => {
                let selector = match self.next() {
                    Some(Tok::Word(s)) => Self::selector(&s)?,
                    other => return Err(bad(format!("expected a selector, found {other:?}"))),
                };
                Filter::Match {
                    selector,
                    op: Op::In,
                    value: first.0,
                }
            }
            _ if first.1 => return Err(bad("a quoted value must be followed by \"in\"")),
            Some(tok) if !negated && (tok == Tok::Eq || tok == Tok::Ne) => Filter::Match {
                selector: Self::selector(&first.0)?,
                op: if tok == Tok::Eq {
                    Op::Equal
                } else {
                    Op::NotEqual
                },
                value: self.value()?,
            },
            Some(Tok::Word(w)) if !negated && w == "is" => {
                let not_empty = self.peek_word("not");
                if not_empty {
                    self.next();
                }
                self.expect_word("empty")?;
                let m = Filter::Match {
                    selector: Self::selector(&first.0)?,
                    op: Op::IsEmpty,
                    value: String::new(),
                };
                return Ok(if not_empty {
                    Filter::Not(Box::new(m))
                } else {
                    m
                });
            }
            Some(Tok::Word(w)) if w == "contains" => Filter::Match {
                selector: Self::selector(&first.0)?,
                op: Op::Contains,
                value: self.value()?,
            },
            Some(Tok::Word(w)) if w == "matches" => {
                let value = self.value()?;
                let re = Regex::new(&value).map_err(|e| bad(format!("bad regex: {e}")))?;
                Filter::Match {
                    selector: Self::selector(&first.0)?,
                    op: Op::Matches(re),
                    value,
                }
            }
            other => return Err(bad(format!("unexpected {other:?} after {:?}", first.0))),
        };
        Ok(if negated { Filter::Not(Box::new(m)) } else { m })
    }
}

impl Filter {
    /// Parses `src`; 400 with go-bexpr's kind of message when it is not
    /// an expression this reads.
    pub fn parse(src: &str) -> Result<Filter, ApiError> {
        let mut p = Parser {
            toks: lex(src)?,
            at: 0,
        };
        let filter = p.expr()?;
        if let Some(rest) = p.peek() {
            return Err(bad(format!("unexpected {rest:?}")));
        }
        Ok(filter)
    }

    /// Whether `object` (an item's JSON) passes.
    pub fn matches(&self, object: &Value) -> bool {
        match self {
            Filter::Or(a, b) => a.matches(object) || b.matches(object),
            Filter::And(a, b) => a.matches(object) && b.matches(object),
            Filter::Not(a) => !a.matches(object),
            Filter::Match {
                selector,
                op,
                value,
            } => {
                let found = selector.iter().try_fold(object, |v, key| v.get(key));
                test(found, op, value)
            }
        }
    }
}

/// Whether a scalar equals the expression's text, read as its type.
fn equals(field: &Value, value: &str) -> bool {
    match field {
        Value::String(s) => s == value,
        Value::Bool(b) => parse_go_bool(value) == Some(*b),
        Value::Number(n) => match (n.as_f64(), value.parse::<f64>()) {
            (Some(a), Ok(b)) => a == b,
            _ => false,
        },
        _ => false,
    }
}

fn test(found: Option<&Value>, op: &Op, value: &str) -> bool {
    let Some(field) = found else {
        return matches!(op, Op::NotEqual | Op::IsEmpty);
    };
    match op {
        Op::Equal => equals(field, value),
        Op::NotEqual => !equals(field, value),
        Op::IsEmpty => match field {
            Value::Null => true,
            Value::String(s) => s.is_empty(),
            Value::Array(a) => a.is_empty(),
            Value::Object(o) => o.is_empty(),
            _ => false,
        },
        Op::Contains | Op::In => match field {
            Value::String(s) => s.contains(value),
            Value::Array(a) => a.iter().any(|v| equals(v, value)),
            Value::Object(o) => o.contains_key(value),
            _ => false,
        },
        Op::Matches(re) => matches!(field, Value::String(s) if re.is_match(s)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn job() -> Value {
        json!({
            "ID": "web",
            "Status": "running",
            "Priority": 50,
            "Stop": false,
            "Datacenters": ["dc1", "dc2"],
            "Meta": {"owner": "ops"},
            "Periodic": null,
        })
    }

    fn check(src: &str) -> bool {
        Filter::parse(src)
            .unwrap_or_else(|e| panic!("{src}: {}", e.message))
            .matches(&job())
    }

    #[test]
    fn comparisons_and_logic() {
        assert!(check(r#"Status == "running""#));
        assert!(check("Status == running"));
        assert!(!check(r#"Status != "running""#));
        assert!(check("Priority == 50"));
        assert!(check("Stop == false"));
        assert!(check(r#"Meta.owner == "ops""#));
        assert!(!check(r#"Meta.team == "ops""#));
        assert!(check(r#"Meta.team != "ops""#));
        assert!(check(r#""dc2" in Datacenters"#));
        assert!(check(r#""dc3" not in Datacenters"#));
        assert!(check(r#"ID contains "we""#));
        assert!(check(r#"ID matches "^w.b$""#));
        assert!(check("Periodic is empty"));
        assert!(check("Meta is not empty"));
        assert!(check(
            r#"Status == "dead" or (ID == "web" and not Stop == true)"#
        ));
        assert!(!check(r#"Status == "dead" or ID == "api""#));
    }

    #[test]
    fn malformed_expressions_are_refused() {
        for src in [
            "Status ==",
            "Status = running",
            "(Status == running",
            r#"Status == "running"#,
            "Status running",
            r#""x" == Status"#,
            "Status == running extra",
            "ID matches \"(\"",
        ] {
            let e = Filter::parse(src).expect_err(src);
            assert_eq!(e.status.as_u16(), 400);
            assert!(
                e.message
                    .starts_with("failed to create result paginator: failed to read filter"),
                "{}",
                e.message
            );
        }
    }
}
