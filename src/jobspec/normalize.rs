//! The HCL1 -> HCL2 lexical pass that runs before hcl-rs.
//!
//! HCL1 (the job files of Nomad 0.5/0.6) allows several items on one line
//! inside braces, as in `update { stagger = "10s"  max_parallel = 1 }`.
//! HCL2 allows at most one. This pass only inserts line breaks (and turns a
//! comma between block items into one), so it never changes a value:
//!
//! * strings (with `${...}` and `%{...}` sequences), comments (`#`, `//`,
//!   `/* */`) and heredocs are copied verbatim;
//! * a `{` with content after it on the same line gets a break after it, and
//!   a `}` with content before it on the same line gets a break before it;
//! * inside a brace body, an identifier that starts a new item (followed by
//!   `=`, `{` or a label string) directly after a complete value on the same
//!   line gets a break before it.
//!
//! Brackets, parentheses and `for` expressions are left alone. The pass is
//! idempotent, leaves multi-line HCL2 unchanged, and records for every output
//! line where it starts in the source, so errors report the user's line.

/// The normalised text and the map back to the source.
#[derive(Debug, Clone)]
pub struct Normalized {
    pub text: String,
    /// For each output line (0-based): its source line (1-based) and the
    /// column (0-based, in chars) in that source line where it starts.
    starts: Vec<(usize, usize)>,
    /// The byte offset in `text` where each output line starts (the first
    /// is 0), so that an offset finds its line by binary search.
    line_offsets: Vec<usize>,
    /// The first lexical problem seen (line, column, message), if any: an
    /// unterminated string, or a `{` never closed. hcl-rs reports these
    /// further down the file; this is where the user has to look.
    pub problem: Option<(usize, usize, String)>,
}

impl Normalized {
    /// The source line (1-based) of a byte offset in [`Normalized::text`].
    pub fn source_line(&self, offset: usize) -> usize {
        // The number of lines that start at or before `offset`, less one:
        // the 0-based output line holding it.
        let out_line = self
            .line_offsets
            .partition_point(|&start| start <= offset)
            .saturating_sub(1);
        self.map(out_line + 1, 1).0
    }

    /// Maps an output line and column (both 1-based) to the source.
    pub fn map(&self, line: usize, column: usize) -> (usize, usize) {
        let idx = line.saturating_sub(1);
        match self.starts.get(idx).or(self.starts.last()) {
            Some(&(src_line, col)) => (src_line, col + column),
            None => (line, column),
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    /// A block body or an object: the rules apply.
    Body,
    /// Brackets, parentheses, `for` braces and anything inside them.
    Passive,
}

struct Frame {
    kind: Kind,
    /// Opened by `{` (so it closes with `}`).
    brace: bool,
    /// Object (value) rather than block body: commas stay commas.
    object: bool,
    /// The current item has seen its `=`.
    in_expr: bool,
    /// The previous token on this line completed an item.
    item_done: bool,
    /// Where it was opened (source line, column).
    opened: (usize, usize),
}

pub(super) struct Pass<'a> {
    pub(super) src: &'a [u8],
    pub(super) pos: usize,
    pub(super) out: Vec<u8>,
    pub(super) starts: Vec<(usize, usize)>,
    pub(super) src_line: usize,
    pub(super) src_line_start: usize,
    frames: Vec<Frame>,
    /// Significant content since the last newline or `{` in the output.
    pub(super) line_content: bool,
    /// A `{` was just emitted and content on its line must move down.
    pub(super) break_pending: bool,
    pub(super) problem: Option<(usize, usize, String)>,
    /// The last position whose column was asked for, and that column.
    pub(super) column_memo: (usize, usize),
}

/// Runs the pass over `src`.
pub fn normalize(src: &str) -> Normalized {
    let mut p = Pass {
        src: src.as_bytes(),
        pos: 0,
        out: Vec::with_capacity(src.len() + src.len() / 8),
        starts: vec![(1, 0)],
        src_line: 1,
        src_line_start: 0,
        frames: vec![Frame {
            kind: Kind::Body,
            brace: false,
            object: false,
            in_expr: false,
            item_done: false,
            opened: (1, 1),
        }],
        line_content: false,
        break_pending: false,
        problem: None,
        column_memo: (0, 0),
    };
    p.run();
    if p.problem.is_none()
        && let Some(f) = p.frames.iter().skip(1).find(|f| f.brace)
    {
        p.problem = Some((
            f.opened.0,
            f.opened.1,
            "unclosed `{`: it is never closed".into(),
        ));
    }
    let text = match String::from_utf8(p.out) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    };
    let line_offsets = std::iter::once(0)
        .chain(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        )
        .collect();
    Normalized {
        text,
        starts: p.starts,
        line_offsets,
        problem: p.problem,
    }
}

pub(super) fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.' || b >= 0x80
}

pub(super) fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80
}

impl Pass<'_> {
    pub(super) fn peek(&self, ahead: usize) -> u8 {
        self.src.get(self.pos + ahead).copied().unwrap_or(0)
    }

    fn top(&mut self) -> &mut Frame {
        let last = self.frames.len() - 1;
        &mut self.frames[last]
    }

    fn active(&self) -> bool {
        self.frames.last().is_some_and(|f| f.kind == Kind::Body)
    }

    /// Copies one source byte, keeping the line map.
    pub(super) fn copy(&mut self) {
        let b = self.peek(0);
        self.out.push(b);
        self.pos += 1;
        if b == b'\n' {
            self.src_line += 1;
            self.src_line_start = self.pos;
            self.starts.push((self.src_line, 0));
        }
    }

    pub(super) fn copy_until(&mut self, end: usize) {
        while self.pos < end.min(self.src.len()) {
            self.copy();
        }
    }

    /// The 0-based column (in chars) of the current source position.
    /// Counted on from the last answer on the same line, so a long line
    /// with many breaks costs its length once, not once per break.
    pub(super) fn column(&mut self) -> usize {
        let (mut at, mut col) = self.column_memo;
        if at < self.src_line_start || at > self.pos {
            (at, col) = (self.src_line_start, 0);
        }
        col += self.src[at..self.pos]
            .iter()
            .filter(|b| (**b & 0xC0) != 0x80)
            .count();
        self.column_memo = (self.pos, col);
        col
    }

    /// Emits a newline that is not in the source; the next output line
    /// starts at the current source position.
    fn insert_break(&mut self) {
        let col = self.column();
        self.out.push(b'\n');
        self.starts.push((self.src_line, col));
        self.line_content = false;
        let top = self.top();
        top.in_expr = false;
        top.item_done = false;
    }

    /// Called before a significant (non-space, non-comment) token.
    fn before_token(&mut self) {
        if self.break_pending {
            self.break_pending = false;
            self.insert_break();
        }
        self.line_content = true;
    }

    fn run(&mut self) {
        while self.pos < self.src.len() {
            let b = self.peek(0);
            match b {
                b'\n' => {
                    self.break_pending = false;
                    self.line_content = false;
                    if self.top().kind == Kind::Body {
                        let top = self.top();
                        top.in_expr = false;
                        top.item_done = false;
                    }
                    self.copy();
                }
                b' ' | b'\t' | b'\r' => self.copy(),
                b'#' => self.line_comment(),
                b'/' if self.peek(1) == b'/' => self.line_comment(),
                b'/' if self.peek(1) == b'*' => self.block_comment(),
                b'"' => {
                    self.quoted_key_break();
                    self.before_token();
                    self.string();
                    self.value_end();
                }
                b'<' if self.peek(1) == b'<' && self.heredoc_start() => {
                    self.before_token();
                    self.heredoc();
                    self.value_end();
                }
                b'{' => self.open_brace(),
                b'}' => self.close(true),
                b'[' | b'(' => {
                    self.before_token();
                    self.top().item_done = false;
                    let opened = (self.src_line, self.column() + 1);
                    self.frames.push(Frame {
                        kind: Kind::Passive,
                        brace: false,
                        object: false,
                        in_expr: true,
                        item_done: false,
                        opened,
                    });
                    self.copy();
                }
                b']' | b')' => self.close(false),
                b',' => self.comma(),
                b'=' => {
                    self.before_token();
                    let next = self.peek(1);
                    if next == b'=' || next == b'>' {
                        self.top().item_done = false;
                        self.copy();
                        self.copy();
                    } else {
                        let top = self.top();
                        top.in_expr = true;
                        top.item_done = false;
                        self.copy();
                    }
                }
                _ if is_word_byte(b) => self.word(),
                _ => {
                    self.before_token();
                    self.top().item_done = false;
                    self.copy();
                }
            }
        }
    }

    /// Marks the end of a value: an item is complete if it had its `=`.
    pub(super) fn value_end(&mut self) {
        let top = self.top();
        top.item_done = top.in_expr;
    }

    fn open_brace(&mut self) {
        self.before_token();
        let parent_active = self.active();
        let object = {
            let top = self.top();
            top.item_done = false;
            top.in_expr || top.kind == Kind::Passive
        };
        let opened = (self.src_line, self.column() + 1);
        self.copy();
        let kind = if parent_active && !self.starts_for() {
            Kind::Body
        } else {
            Kind::Passive
        };
        self.frames.push(Frame {
            kind,
            brace: true,
            object,
            in_expr: false,
            item_done: false,
            opened,
        });
        self.line_content = false;
        // An object may stay on one line (`{ a = 1, b = 2 }`); only items
        // without a separator get a break (in `word`).
        self.break_pending = kind == Kind::Body && !object;
    }

    /// Whether the text after a `{` starts a `for` expression.
    fn starts_for(&self) -> bool {
        let rest = &self.src[self.pos.min(self.src.len())..];
        let trimmed = rest.trim_ascii_start();
        trimmed.starts_with(b"for") && trimmed.get(3).is_some_and(|b| b.is_ascii_whitespace())
    }

    fn close(&mut self, brace: bool) {
        self.break_pending = false;
        let closing_body = self.frames.len() > 1
            && self
                .frames
                .last()
                .is_some_and(|f| f.brace == brace && f.kind == Kind::Body && !f.object);
        if closing_body && self.line_content {
            self.insert_break();
        }
        self.line_content = true;
        let was_object = self.frames.last().is_some_and(|f| f.object);
        if self.frames.len() > 1 && self.frames.last().is_some_and(|f| f.brace == brace) {
            self.frames.pop();
        }
        self.copy();
        let top = self.top();
        // A closed block body completes an item; a closed value completes
        // one if it followed an `=`.
        top.item_done = if brace && !was_object {
            true
        } else {
            top.in_expr
        };
    }

    fn comma(&mut self) {
        let in_block = self
            .frames
            .last()
            .is_some_and(|f| f.kind == Kind::Body && !f.object);
        if in_block && self.frames.len() > 1 && self.top().item_done {
            // HCL1 allowed `a = 1, b = 2` in a block body; HCL2 wants lines.
            self.pos += 1;
            self.insert_break();
            return;
        }
        self.before_token();
        let top = self.top();
        if top.kind == Kind::Body {
            top.in_expr = false;
        }
        top.item_done = false;
        self.copy();
    }

    /// A quoted key (`"a.b" = 1`) after a complete item on the same line
    /// starts a new item, as an identifier would.
    fn quoted_key_break(&mut self) {
        if !(self.active() && self.top().item_done) {
            return;
        }
        let Some(end) = self.string_end() else {
            return;
        };
        let mut after = end;
        while after < self.src.len() && matches!(self.src[after], b' ' | b'\t') {
            after += 1;
        }
        let next = self.src.get(after).copied().unwrap_or(0);
        let next2 = self.src.get(after + 1).copied().unwrap_or(0);
        if next == b'=' && next2 != b'=' && next2 != b'>' {
            self.break_pending = false;
            self.insert_break();
        }
    }

    fn word(&mut self) {
        let start = self.pos;
        let mut end = start;
        while end < self.src.len() && is_word_byte(self.src[end]) {
            end += 1;
        }
        if self.active() && is_ident_start(self.src[start]) && self.top().item_done {
            let mut after = end;
            while after < self.src.len() && matches!(self.src[after], b' ' | b'\t') {
                after += 1;
            }
            let next = self.src.get(after).copied().unwrap_or(0);
            let next2 = self.src.get(after + 1).copied().unwrap_or(0);
            let starts_item =
                (next == b'=' && next2 != b'=' && next2 != b'>') || next == b'{' || next == b'"';
            if starts_item {
                self.break_pending = false;
                self.insert_break();
            }
        }
        self.before_token();
        self.copy_until(end);
        self.value_end();
    }
}

#[cfg(test)]
#[path = "normalize_tests.rs"]
mod tests;
