//! The one error type of the fake's own API: a setting, fixture or fault it
//! refused, or a server it could not start.

use std::fmt;

/// Why the fake refused a setting, fixture or fault, or could not start.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FakeError {
    /// Listening on a loopback port failed.
    #[non_exhaustive]
    Start {
        /// What the operating system said.
        reason: String,
    },
    /// An input was refused.
    #[non_exhaustive]
    Invalid {
        /// The input, for example `package name` or `tag`.
        what: String,
        /// What is wrong with it and what would be accepted.
        problem: String,
    },
}

impl FakeError {
    pub(crate) fn invalid(what: impl Into<String>, problem: impl Into<String>) -> FakeError {
        FakeError::Invalid {
            what: what.into(),
            problem: problem.into(),
        }
    }
}

impl fmt::Display for FakeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FakeError::Start { reason } => {
                write!(f, "the fake GitHub could not listen on 127.0.0.1: {reason}")
            }
            FakeError::Invalid { what, problem } => write!(f, "invalid {what}: {problem}"),
        }
    }
}

impl std::error::Error for FakeError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_input() {
        let e = FakeError::invalid("tag", "`a b` has a space");
        assert_eq!(e.to_string(), "invalid tag: `a b` has a space");
        fn assert_traits<T: std::error::Error + Send + Sync + 'static>() {}
        assert_traits::<FakeError>();
    }
}
