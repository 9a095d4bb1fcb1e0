//! Input checks that run before any request, so a mistake gets an error
//! naming the field and the rule instead of a confusing 404 (or, worse, a
//! request to a different path).

use crate::error::{Error, Result};
use crate::scope::Scope;

/// GitHub logins are at most 39 characters; Enterprise Managed Users add an
/// `_shortcode` suffix, so allow some room beyond that.
const MAX_LOGIN_LEN: usize = 100;

impl Scope {
    /// Checks the owner this scope names the way every request does before
    /// it is sent: a GitHub login (letters, digits, `-`, and `_` for
    /// Enterprise Managed Users), not empty, not starting with `-`. For a
    /// command-line tool that wants to refuse a bad owner while parsing.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] naming the field (`org` or `username`) and
    /// the rule.
    ///
    /// ```
    /// use github_packages::Scope;
    ///
    /// assert!(Scope::org("octo-org").check().is_ok());
    /// assert!(Scope::org("../user").check().is_err());
    /// assert!(Scope::AuthenticatedUser.check().is_ok());
    /// ```
    pub fn check(&self) -> Result<()> {
        scope(self)
    }
}

/// Checks the owner named by a scope.
pub(crate) fn scope(scope: &Scope) -> Result<()> {
    let (field, name) = match scope {
        Scope::AuthenticatedUser => return Ok(()),
        Scope::User(login) => ("username", login),
        Scope::Org(org) => ("org", org),
    };
    if name.is_empty() {
        return Err(Error::invalid(
            field,
            "is empty; give a GitHub login or organization name",
        ));
    }
    if name.len() > MAX_LOGIN_LEN {
        return Err(Error::invalid(
            field,
            format!("`{name}` is longer than any GitHub login"),
        ));
    }
    if name.starts_with('-') {
        return Err(Error::invalid(
            field,
            format!("`{name}` cannot start with `-`"),
        ));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
    {
        return Err(Error::invalid(
            field,
            format!(
                "`{name}` contains `{}`; GitHub logins use only letters, digits, `-` (and `_` \
                 for managed users)",
                bad.escape_default()
            ),
        ));
    }
    Ok(())
}

/// Checks a package name. Any character is fine (it is percent-encoded,
/// `/` included), but the name must not be blank, and `.`/`..` would be
/// collapsed by URL normalisation into a different path.
pub(crate) fn package_name(name: &str) -> Result<()> {
    if name.trim().is_empty() {
        return Err(Error::invalid(
            "package_name",
            "is empty; give the package's name",
        ));
    }
    if name == "." || name == ".." {
        return Err(Error::invalid(
            "package_name",
            format!("`{name}` cannot be a package name (it would address a different URL)"),
        ));
    }
    // The URL parser reads `\` as `/` in http(s) paths, and the generated
    // code does not encode it, so `a\..\b` would address another package.
    if name.contains('\\') {
        return Err(Error::invalid(
            "package_name",
            format!("`{name}` contains `\\`, which GitHub package names never do"),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(Error::invalid(
            "package_name",
            "contains control characters; check for a stray newline",
        ));
    }
    Ok(())
}

/// Checks a version id: GitHub's ids are positive.
pub(crate) fn version_id(id: i64) -> Result<i64> {
    if id <= 0 {
        return Err(Error::invalid(
            "package_version_id",
            format!("is {id}; version ids start at 1 (see the `id` field of a listed version)"),
        ));
    }
    Ok(id)
}

/// Checks a page size.
pub(crate) fn per_page(per_page: u8) -> Result<u8> {
    if (1..=100).contains(&per_page) {
        Ok(per_page)
    } else {
        Err(Error::invalid(
            "per_page",
            format!("{per_page} is outside 1..=100 (GitHub's maximum is 100)"),
        ))
    }
}

/// Checks a starting page number.
pub(crate) fn page(page: u64) -> Result<u64> {
    if page == 0 {
        Err(Error::invalid("page", "is 0; pages are numbered from 1"))
    } else {
        Ok(page)
    }
}

/// Checks a concurrency setting.
pub(crate) fn concurrency(n: usize) -> Result<usize> {
    if n == 0 {
        Err(Error::invalid(
            "concurrency",
            "is 0; use 1 for one page at a time",
        ))
    } else {
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_real_logins() {
        for ok in ["octocat", "octo-org", "a", "user_acme", "A1-b2"] {
            scope(&Scope::user(ok)).unwrap();
            scope(&Scope::org(ok)).unwrap();
        }
    }

    #[test]
    fn rejects_impossible_logins_naming_the_field() {
        for bad in ["", "-x", "a/b", "a b", "a.b", "ü", &"x".repeat(101)] {
            match scope(&Scope::org(bad)) {
                Err(Error::InvalidInput { field: "org", .. }) => {}
                other => panic!("{bad:?}: {other:?}"),
            }
            match scope(&Scope::user(bad)) {
                Err(Error::InvalidInput {
                    field: "username", ..
                }) => {}
                other => panic!("{bad:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn package_names_reject_only_what_cannot_be_addressed() {
        for ok in [
            "owner/image",
            "@scope/pkg",
            "a b",
            "100%",
            "what?",
            "#1",
            "restore",
            "versions",
            "ünïcode",
            "a/../b",
        ] {
            package_name(ok).unwrap();
        }
        for bad in [
            "",
            "   ",
            ".",
            "..",
            "a\nb",
            "a\\b",
            "x\\..\\..\\npm\\victim",
        ] {
            assert!(
                matches!(
                    package_name(bad),
                    Err(Error::InvalidInput {
                        field: "package_name",
                        ..
                    })
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn numbers_have_their_ranges() {
        assert!(version_id(0).is_err());
        assert!(version_id(-1).is_err());
        assert!(version_id(i64::MIN).is_err());
        assert_eq!(version_id(42).unwrap(), 42);
        assert!(per_page(0).is_err() && per_page(101).is_err());
        assert_eq!(per_page(100).unwrap(), 100);
        assert!(page(0).is_err());
        assert!(concurrency(0).is_err());
    }
}
