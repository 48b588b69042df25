//! Errors of the job file reader, each located at `FILE:LINE` of the
//! user's (not the normalised) file, with the block path when there is one.

use thiserror::Error;

/// Why a job file was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum JobspecError {
    /// The file is not valid HCL.
    #[error("{file}:{line}:{column}: syntax error: {message}")]
    Syntax {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    /// An attribute or block that the enclosing block does not accept.
    #[error("{file}:{line}: {}unsupported {what} {key:?}", prefix(.path))]
    UnknownKey {
        file: String,
        line: usize,
        path: String,
        /// `argument` or `block`.
        what: &'static str,
        key: String,
    },
    /// A value of the wrong type or form, or a misplaced/missing block.
    #[error("{file}:{line}: {}{message}", prefix(.path))]
    BadValue {
        file: String,
        line: usize,
        path: String,
        message: String,
    },
    /// The job parsed but breaks one or more of Nomad's rules.
    #[error("{}", render_validation(.file, .errors))]
    Validation {
        file: String,
        errors: Vec<LocatedError>,
    },
}

/// One validation failure with the line of the block (or attribute) at
/// fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocatedError {
    pub line: usize,
    pub path: String,
    pub message: String,
}

impl JobspecError {
    /// The line of the (first) error.
    pub fn line(&self) -> usize {
        match self {
            JobspecError::Syntax { line, .. }
            | JobspecError::UnknownKey { line, .. }
            | JobspecError::BadValue { line, .. } => *line,
            JobspecError::Validation { errors, .. } => errors.first().map_or(0, |e| e.line),
        }
    }

    /// The file name the error refers to.
    pub fn file(&self) -> &str {
        match self {
            JobspecError::Syntax { file, .. }
            | JobspecError::UnknownKey { file, .. }
            | JobspecError::BadValue { file, .. }
            | JobspecError::Validation { file, .. } => file,
        }
    }
}

fn prefix(path: &str) -> String {
    if path.is_empty() {
        String::new()
    } else {
        format!("{path}: ")
    }
}

fn render_validation(file: &str, errors: &[LocatedError]) -> String {
    let one = |e: &LocatedError| format!("{file}:{}: {}{}", e.line, prefix(&e.path), e.message);
    match errors {
        [e] => one(e),
        _ => {
            let mut s = format!("{} errors occurred:\n", errors.len());
            for e in errors {
                s.push_str(&format!("\t* {}\n", one(e)));
            }
            s.push('\n');
            s
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_forms() {
        let e = JobspecError::BadValue {
            file: "example.nomad".into(),
            line: 31,
            path: "group \"cache\" -> task \"redis\"".into(),
            message: "bad".into(),
        };
        assert_eq!(
            e.to_string(),
            "example.nomad:31: group \"cache\" -> task \"redis\": bad"
        );
        let e = JobspecError::UnknownKey {
            file: "f".into(),
            line: 2,
            path: String::new(),
            what: "block",
            key: "x".into(),
        };
        assert_eq!(e.to_string(), "f:2: unsupported block \"x\"");
        let e = JobspecError::Validation {
            file: "f".into(),
            errors: vec![
                LocatedError {
                    line: 1,
                    path: "p".into(),
                    message: "a".into(),
                },
                LocatedError {
                    line: 2,
                    path: String::new(),
                    message: "b".into(),
                },
            ],
        };
        assert_eq!(
            e.to_string(),
            "2 errors occurred:\n\t* f:1: p: a\n\t* f:2: b\n\n"
        );
    }
}
