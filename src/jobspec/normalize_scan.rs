//! The verbatim copiers of the HCL1 -> HCL2 pass: comments, quoted strings
//! (with `${...}` / `%{...}` sequences) and heredocs. Nothing inside them
//! is ever rewritten; they only keep the line map and note an unterminated
//! string.

use super::normalize::{Pass, is_ident_start, is_word_byte};

impl Pass<'_> {
    pub(super) fn line_comment(&mut self) {
        while self.pos < self.src.len() && self.peek(0) != b'\n' {
            self.copy();
        }
    }

    pub(super) fn block_comment(&mut self) {
        self.copy();
        self.copy();
        while self.pos < self.src.len() {
            if self.peek(0) == b'*' && self.peek(1) == b'/' {
                self.copy();
                self.copy();
                return;
            }
            self.copy();
        }
    }

    /// A quoted string, starting at its `"`; stops at the closing quote or
    /// (unterminated) before the end of the line.
    pub(super) fn string(&mut self) {
        let start = (self.src_line, self.column() + 1);
        self.copy();
        while self.pos < self.src.len() {
            match self.peek(0) {
                b'"' => {
                    self.copy();
                    return;
                }
                b'\n' => break,
                b'\\' => {
                    self.copy();
                    if self.peek(0) != b'\n' {
                        self.copy();
                    }
                }
                b'$' | b'%' if self.peek(1) == self.peek(0) => {
                    // `$${` and `%%{` are escapes for a literal `${` / `%{`.
                    self.copy();
                    self.copy();
                }
                b'$' | b'%' if self.peek(1) == b'{' => {
                    self.copy();
                    self.template_expr();
                }
                _ => self.copy(),
            }
        }
        if self.problem.is_none() {
            self.problem = Some((start.0, start.1, "unterminated string".into()));
        }
    }

    /// The inside of `${ ... }`, starting at its `{`: nested braces and
    /// strings are followed until the matching `}`.
    fn template_expr(&mut self) {
        let mut depth = 0usize;
        while self.pos < self.src.len() {
            match self.peek(0) {
                b'{' => {
                    depth += 1;
                    self.copy();
                }
                b'}' => {
                    self.copy();
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return;
                    }
                }
                b'"' => self.string(),
                b'\n' => return,
                _ => self.copy(),
            }
        }
    }

    /// Whether `<<` at the current position starts a heredoc.
    pub(super) fn heredoc_start(&self) -> bool {
        let mut i = 2;
        if self.peek(i) == b'-' {
            i += 1;
        }
        is_ident_start(self.peek(i))
    }

    pub(super) fn heredoc(&mut self) {
        let mut i = self.pos + 2;
        if self.src.get(i) == Some(&b'-') {
            i += 1;
        }
        let start = i;
        while i < self.src.len() && is_word_byte(self.src[i]) && self.src[i] != b'.' {
            i += 1;
        }
        let marker = self.src[start..i].to_vec();
        // The rest of the marker line, then whole lines until the marker.
        while self.pos < self.src.len() && self.peek(0) != b'\n' {
            self.copy();
        }
        while self.pos < self.src.len() {
            self.copy(); // the newline
            let line_end = self.src[self.pos..]
                .iter()
                .position(|b| *b == b'\n')
                .map_or(self.src.len(), |n| self.pos + n);
            let is_end = self.src[self.pos..line_end].trim_ascii() == marker.as_slice();
            self.copy_until(line_end);
            if is_end {
                return;
            }
        }
    }

    /// The offset just past the string starting at the current `"`, if it
    /// ends on this line (a look-ahead: nothing is copied).
    pub(super) fn string_end(&self) -> Option<usize> {
        let mut i = self.pos + 1;
        let mut depth = 0usize;
        let mut nested = false;
        while i < self.src.len() {
            match self.src[i] {
                b'\n' => return None,
                b'\\' => i += 1,
                b'"' if depth == 0 => return Some(i + 1),
                b'"' => nested = !nested,
                b'$' | b'%' if !nested && self.src.get(i + 1) == Some(&b'{') => {
                    depth += 1;
                    i += 1;
                }
                b'{' if depth > 0 && !nested => depth += 1,
                b'}' if depth > 0 && !nested => depth -= 1,
                _ => {}
            }
            i += 1;
        }
        None
    }
}
