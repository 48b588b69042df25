//! Query parameters of the client endpoints, checked one by one with
//! refusals that name the parameter and say what it takes.

use std::collections::HashMap;

use crate::api::ApiError;

/// The query string of one request.
pub struct Params(pub HashMap<String, String>);

impl Params {
    /// The value of `name`, when given and not empty.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// The value of `name`, which must be given; `what` says what it is.
    pub fn required(&self, name: &str, what: &str) -> Result<&str, ApiError> {
        self.text(name)
            .ok_or_else(|| ApiError::bad_request(format!("{name} is required: {what}")))
    }

    /// A boolean, false when absent or empty. Takes Go's spellings
    /// (`true`, `1`, `t`, `TRUE`, ...), as Nomad parses these.
    pub fn flag(&self, name: &str) -> Result<bool, ApiError> {
        match self.text(name) {
            None => Ok(false),
            Some(v) => crate::api::params::parse_go_bool(v).ok_or_else(|| {
                ApiError::bad_request(format!("{name} must be true or false, not {v:?}"))
            }),
        }
    }

    /// A count of bytes, 0 when absent.
    pub fn bytes(&self, name: &str) -> Result<u64, ApiError> {
        match self.text(name) {
            None => Ok(0),
            Some(v) => v.parse::<u64>().map_err(|_| {
                ApiError::bad_request(format!(
                    "{name} must be a whole number of bytes, 0 or more, not {v:?}"
                ))
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Params {
        Params(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn flags_and_numbers_are_checked() {
        let p = params(&[("follow", "true"), ("plain", "maybe"), ("offset", "-3")]);
        assert!(p.flag("follow").unwrap());
        assert!(!p.flag("absent").unwrap());
        let e = p.flag("plain").unwrap_err();
        assert_eq!(e.message, "plain must be true or false, not \"maybe\"");
        let e = p.bytes("offset").unwrap_err();
        assert!(
            e.message.starts_with("offset must be a whole number"),
            "{}",
            e.message
        );
        let e = p.required("task", "the task's name").unwrap_err();
        assert_eq!(e.message, "task is required: the task's name");
    }
}
