//! The entry point: normalise, parse with hcl-rs (keeping spans), find the
//! one `job` block and decode it; plus the decoding context shared by the
//! `decode_*` files (line lookups, typed attribute readers, errors).

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use hcl::edit::Span;
use hcl::edit::structure::{Attribute, Block, Body, Structure};

use super::error::JobspecError;
use super::normalize::{Normalized, normalize};
use super::{duration, value};
use crate::structs::{Job, StrMap};

pub(crate) type Res<T> = Result<T, JobspecError>;

/// Source lines of the blocks (key: path) and attributes (key:
/// `path.attribute`) of a parsed job, to locate validation errors.
#[derive(Debug, Clone, Default)]
pub struct LineTable {
    lines: HashMap<String, usize>,
    /// The job's own path (`job "example"`), under which job-level blocks
    /// are recorded.
    root: String,
}

impl LineTable {
    /// The best line for an error at `path` (and `field`, when known):
    /// the attribute's line, else the block's, else its nearest parent's.
    pub fn lookup(&self, path: &str, field: Option<&str>) -> usize {
        let rooted = self.rooted(path);
        let path = rooted.as_str();
        if let Some(f) = field
            && let Some(l) = self.lines.get(&format!("{path}.{f}"))
        {
            return *l;
        }
        let mut p = path;
        loop {
            if let Some(l) = self.lines.get(p) {
                return *l;
            }
            match p.rfind(" -> ") {
                Some(i) => p = &p[..i],
                None => return self.lines.get("").copied().unwrap_or(1),
            }
        }
    }

    /// A validation path (relative to the job for job-level blocks) as a
    /// full path: `constraint #1` -> `job "x" -> constraint #1`.
    pub fn rooted(&self, path: &str) -> String {
        if path.is_empty() {
            self.root.clone()
        } else if path.starts_with("group ") || self.root.is_empty() {
            path.to_string()
        } else {
            format!("{} -> {path}", self.root)
        }
    }

    pub(crate) fn set_root(&mut self, root: &str) {
        self.root = root.to_string();
    }

    /// Records a line; a repeated key (a second `task "redis"`) is kept as
    /// `key (2)`, `key (3)`, ... (see [`occurrence`]).
    pub(crate) fn record(&mut self, key: String, line: usize) -> String {
        if !self.lines.contains_key(&key) {
            self.lines.insert(key.clone(), line);
            return key;
        }
        let mut n = 2;
        while self.lines.contains_key(&occurrence(&key, n)) {
            n += 1;
        }
        let key = occurrence(&key, n);
        self.lines.insert(key.clone(), line);
        key
    }
}

/// Parses a job file into a job (not canonicalised, not validated).
pub fn parse(file_name: &str, src: &str) -> Result<Job, JobspecError> {
    parse_with_lines(file_name, src).map(|(job, _)| job)
}

/// [`parse`], also returning the lines of the job's blocks.
pub fn parse_with_lines(file_name: &str, src: &str) -> Result<(Job, LineTable), JobspecError> {
    let norm = normalize(src);
    let body = hcl::edit::parser::parse_body(&norm.text).map_err(|e| {
        // The lexical pass knows where a string or brace was left open;
        // the parser only notices further down.
        let (line, column, message) = match &norm.problem {
            Some((line, column, message)) => (*line, *column, message.clone()),
            None => {
                let loc = e.location();
                let (line, column) = norm.map(loc.line(), loc.column());
                (line, column, e.message().to_string())
            }
        };
        JobspecError::Syntax {
            file: file_name.to_string(),
            line,
            column,
            message,
        }
    })?;
    let mut cx = Ctx {
        file: file_name,
        norm: &norm,
        lines: LineTable::default(),
        job_type: String::new(),
    };
    let mut job_block: Option<&Block> = None;
    for item in body.iter() {
        match item {
            Structure::Block(b) if b.ident.as_str() == "job" => {
                if job_block.is_some() {
                    return Err(cx.bad(
                        cx.block_line(b),
                        "",
                        "only one 'job' stanza is allowed per file",
                    ));
                }
                job_block = Some(b);
            }
            Structure::Block(b) => return Err(cx.unknown_block(b, "")),
            Structure::Attribute(a) => return Err(cx.unknown_attr(a, "")),
        }
    }
    let Some(job_block) = job_block else {
        return Err(cx.bad(1, "", "'job' stanza not found"));
    };
    let job = cx.decode_job(job_block)?;
    Ok((job, cx.lines))
}

/// What the decoders share.
pub(crate) struct Ctx<'a> {
    pub file: &'a str,
    norm: &'a Normalized,
    pub lines: LineTable,
    /// The job's type as written (empty when absent), for policy bases.
    pub job_type: String,
}

impl Ctx<'_> {
    fn line_of(&self, span: Option<Range<usize>>) -> usize {
        span.map_or(1, |r| self.norm.source_line(r.start))
    }

    pub fn block_line(&self, b: &Block) -> usize {
        self.line_of(b.span())
    }

    pub fn attr_line(&self, a: &Attribute) -> usize {
        self.line_of(a.span())
    }

    /// Records the line of a block at `path` and of its attributes.
    pub fn record_block(&mut self, path: &str, b: &Block) {
        let line = self.block_line(b);
        let key = self.lines.record(path.to_string(), line);
        for a in b.body.attributes() {
            let l = self.attr_line(a);
            self.lines.record(format!("{key}.{}", a.key.as_str()), l);
        }
    }

    pub fn bad(&self, line: usize, path: &str, message: impl Into<String>) -> JobspecError {
        JobspecError::BadValue {
            file: self.file.to_string(),
            line,
            path: path.to_string(),
            message: message.into(),
        }
    }

    pub fn unknown_attr(&self, a: &Attribute, path: &str) -> JobspecError {
        JobspecError::UnknownKey {
            file: self.file.to_string(),
            line: self.attr_line(a),
            path: path.to_string(),
            what: "argument",
            key: a.key.as_str().to_string(),
        }
    }

    pub fn unknown_block(&self, b: &Block, path: &str) -> JobspecError {
        JobspecError::UnknownKey {
            file: self.file.to_string(),
            line: self.block_line(b),
            path: path.to_string(),
            what: "block",
            key: b.ident.as_str().to_string(),
        }
    }

    /// Refuses an attribute given twice in one body.
    pub fn check_dups(&self, body: &Body, path: &str) -> Res<()> {
        let mut seen = HashSet::new();
        for a in body.attributes() {
            if !seen.insert(a.key.as_str()) {
                return Err(self.bad(
                    self.attr_line(a),
                    path,
                    format!("duplicate argument {:?}", a.key.as_str()),
                ));
            }
        }
        Ok(())
    }

    /// Refuses a second block of a kind that may appear once.
    pub fn once<'b>(&self, seen: &mut HashSet<&'b str>, b: &'b Block, path: &str) -> Res<()> {
        if seen.insert(b.ident.as_str()) {
            Ok(())
        } else {
            Err(self.bad(
                self.block_line(b),
                path,
                format!("only one {:?} block is allowed", b.ident.as_str()),
            ))
        }
    }

    /// The one label of a block such as `group "name"`.
    pub fn label(&self, b: &Block, path: &str) -> Res<String> {
        match b.labels.as_slice() {
            [l] if !l.as_str().is_empty() => Ok(l.as_str().to_string()),
            _ => Err(self.bad(
                self.block_line(b),
                path,
                format!("{:?} block needs exactly one name label", b.ident.as_str()),
            )),
        }
    }

    /// A block that takes no label.
    pub fn no_label(&self, b: &Block, path: &str) -> Res<()> {
        if b.labels.is_empty() {
            Ok(())
        } else {
            Err(self.bad(
                self.block_line(b),
                path,
                format!("{:?} block takes no label", b.ident.as_str()),
            ))
        }
    }

    fn expr(a: &Attribute) -> hcl::Expression {
        hcl::Expression::from(a.value.clone())
    }

    fn wrap<T>(&self, a: &Attribute, path: &str, r: Result<T, String>) -> Res<T> {
        r.map_err(|m| self.bad(self.attr_line(a), path, format!("{}: {m}", a.key.as_str())))
    }

    pub fn string(&self, a: &Attribute, path: &str) -> Res<String> {
        self.wrap(a, path, value::to_string(&Self::expr(a)))
    }

    pub fn int(&self, a: &Attribute, path: &str) -> Res<i64> {
        self.wrap(a, path, value::to_int(&Self::expr(a)))
    }

    pub fn boolean(&self, a: &Attribute, path: &str) -> Res<bool> {
        self.wrap(a, path, value::to_bool(&Self::expr(a)))
    }

    pub fn strings(&self, a: &Attribute, path: &str) -> Res<Vec<String>> {
        self.wrap(a, path, value::to_strings(&Self::expr(a)))
    }

    pub fn json(&self, a: &Attribute, path: &str) -> Res<serde_json::Value> {
        self.wrap(a, path, value::to_json(&Self::expr(a)))
    }

    /// A Go duration string, in nanoseconds.
    pub fn duration(&self, a: &Attribute, path: &str) -> Res<i64> {
        let r = match value::to_json(&Self::expr(a)) {
            Ok(serde_json::Value::String(s)) => duration::parse_duration(&s),
            Ok(other) => Err(format!(
                "expected a duration string such as \"10s\", got {}",
                value::kind(&other)
            )),
            Err(e) => Err(e),
        };
        self.wrap(a, path, r)
    }

    /// A string map given as an attribute (`meta = { a = "b" }`).
    pub fn strmap_attr(&self, a: &Attribute, path: &str) -> Res<StrMap> {
        match self.json(a, path)? {
            serde_json::Value::Object(m) => self.wrap(a, path, json_strmap(m)),
            other => Err(self.bad(
                self.attr_line(a),
                path,
                format!(
                    "{}: expected a map, got {}",
                    a.key.as_str(),
                    value::kind(&other)
                ),
            )),
        }
    }

    /// A string map given as a block (`meta { a = "b" }`).
    pub fn strmap_block(&self, b: &Block, path: &str) -> Res<StrMap> {
        self.no_label(b, path)?;
        self.check_dups(&b.body, path)?;
        let mut map = StrMap::new();
        for item in b.body.iter() {
            match item {
                Structure::Attribute(a) => {
                    map.insert(a.key.as_str().to_string(), self.string(a, path)?);
                }
                Structure::Block(inner) => return Err(self.unknown_block(inner, path)),
            }
        }
        Ok(map)
    }
}

fn json_strmap(m: serde_json::Map<String, serde_json::Value>) -> Result<StrMap, String> {
    m.into_iter()
        .map(|(k, v)| match v {
            serde_json::Value::String(s) => Ok((k, s)),
            serde_json::Value::Number(n) => Ok((k, n.to_string())),
            serde_json::Value::Bool(b) => Ok((k, b.to_string())),
            other => Err(format!(
                "value of {k:?} must be a string, got {}",
                value::kind(&other)
            )),
        })
        .collect()
}

/// The path of the `n`th (from 2) block with the same path.
pub fn occurrence(path: &str, n: usize) -> String {
    format!("{path} ({n})")
}

/// `a -> b`, or `b` at the root.
pub(crate) fn join(path: &str, child: &str) -> String {
    if path.is_empty() {
        child.to_string()
    } else {
        format!("{path} -> {child}")
    }
}
