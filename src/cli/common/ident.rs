//! Checks of the ID prefixes users give, before they are looked up.

use super::CliError;

/// Nomad refuses a one-character prefix: it would match too much.
pub fn check_prefix(prefix: &str) -> Result<(), CliError> {
    if prefix.chars().count() == 1 {
        return Err(CliError::new(
            "Identifier must contain at least two characters.",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check_prefix;

    #[test]
    fn one_character_is_too_short() {
        assert!(check_prefix("a").is_err());
        assert!(check_prefix("ab").is_ok());
    }
}
