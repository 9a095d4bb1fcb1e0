//! GitHub's REST API versions, sent as `X-GitHub-Api-Version`: the ones this
//! crate knows by name, and any later one by its date.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};

/// A version of GitHub's REST API, sent with every request as the
/// `X-GitHub-Api-Version` header. GitHub names its versions by date; choose one
/// with [`ClientBuilder::api_version`](crate::ClientBuilder::api_version).
///
/// The default, [`V2022_11_28`](Self::V2022_11_28), is the version the generated
/// client is written against. A version released after this crate can be given by
/// its date with [`ApiVersion::new`] or as a string to the builder.
///
/// ```
/// use github_packages::{ApiVersion, Client};
///
/// let gh = Client::builder()
///     .api_version(ApiVersion::V2026_03_10)
///     .build()?;
/// # let _ = gh;
/// let later: ApiVersion = "2027-01-15".parse()?;
/// assert_eq!(later.as_str(), "2027-01-15");
/// assert!("latest".parse::<ApiVersion>().is_err());
/// # Ok::<(), github_packages::Error>(())
/// ```
///
/// # What 2026-03-10 changes for the packages operations
///
/// GitHub's OpenAPI description marks what a later version changes with
/// `x-github-breaking-changes` entries. In the copy this crate is cut from
/// (`api.github.com.json` of `@octokit/openapi` 23.0.2) there are 120 such
/// entries on 85 objects, all for 2026-03-10. Exactly one reaches the packages
/// operations or anything they refer to: `remove_has_downloads` on the
/// `nullable-minimal-repository` schema, which drops `has_downloads` from the
/// repository of a package ([`Package::repository`](crate::Package::repository)).
/// No packages operation, parameter, status or other field changes.
///
/// The generated types need nothing for it: `has_downloads` is optional in that
/// schema, so it is an `Option<bool>` that reads as `None` when the field is
/// absent, and one set of types serves both versions. GitHub Enterprise Server
/// 3.19's description has no `x-github-breaking-changes` entries at all; check
/// which versions a server accepts before choosing a later one there.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ApiVersion(Cow<'static, str>);

impl ApiVersion {
    /// `2022-11-28`, GitHub's first dated version and this crate's default.
    pub const V2022_11_28: ApiVersion = ApiVersion(Cow::Borrowed("2022-11-28"));
    /// `2026-03-10`. For the packages operations it only drops
    /// `has_downloads` from a package's repository (see above).
    pub const V2026_03_10: ApiVersion = ApiVersion(Cow::Borrowed("2026-03-10"));
    /// The versions this crate knows by name, oldest first.
    pub const KNOWN: [ApiVersion; 2] = [Self::V2022_11_28, Self::V2026_03_10];

    /// A version by its date, `YYYY-MM-DD`; surrounding whitespace is ignored.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] (field `api_version`) when `version` is not a
    /// date of that form.
    pub fn new(version: impl AsRef<str>) -> Result<ApiVersion> {
        let version = version.as_ref().trim();
        if let Some(known) = Self::KNOWN.iter().find(|known| known.as_str() == version) {
            return Ok(known.clone());
        }
        if is_date(version) {
            Ok(ApiVersion(Cow::Owned(version.to_owned())))
        } else {
            let known: Vec<&str> = Self::KNOWN.iter().map(ApiVersion::as_str).collect();
            Err(Error::invalid(
                "api_version",
                format!(
                    "`{}` is not a REST API version: GitHub names them by date, YYYY-MM-DD \
                     (this crate knows {})",
                    version.escape_debug(),
                    known.join(" and ")
                ),
            ))
        }
    }

    /// The version as sent in the header, e.g. `2022-11-28`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for ApiVersion {
    fn default() -> Self {
        Self::V2022_11_28
    }
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl AsRef<str> for ApiVersion {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl FromStr for ApiVersion {
    type Err = Error;

    fn from_str(version: &str) -> Result<ApiVersion> {
        ApiVersion::new(version)
    }
}

/// `YYYY-MM-DD` with a month of 1 to 12 and a day of 1 to 31: the shape of every
/// version GitHub has published, and all a header needs.
fn is_date(text: &str) -> bool {
    let bytes = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| bytes[range].iter().all(u8::is_ascii_digit);
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return false;
    }
    if !(digits(0..4) && digits(5..7) && digits(8..10)) {
        return false;
    }
    let number = |range: std::ops::Range<usize>| {
        bytes[range]
            .iter()
            .fold(0u32, |n, b| n * 10 + u32::from(b - b'0'))
    };
    (1..=12).contains(&number(5..7)) && (1..=31).contains(&number(8..10))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_versions_and_dates_are_accepted() {
        assert_eq!(ApiVersion::default(), ApiVersion::V2022_11_28);
        assert_eq!(
            ApiVersion::new("2026-03-10").unwrap(),
            ApiVersion::V2026_03_10
        );
        assert_eq!(
            ApiVersion::new(" 2028-02-29\n").unwrap().as_str(),
            "2028-02-29"
        );
        assert_eq!(ApiVersion::V2026_03_10.to_string(), "2026-03-10");
        assert!(ApiVersion::V2022_11_28 < ApiVersion::V2026_03_10);
    }

    #[test]
    fn anything_but_a_date_is_refused_with_the_rule() {
        for bad in [
            "",
            "latest",
            "2026-3-10",
            "2026-03-1",
            "20260310",
            "2026/03/10",
            "2026-00-10",
            "2026-13-10",
            "2026-03-00",
            "2026-03-32",
            "２026-03-10",
            "2026-03-10x",
            "2026-03-10\r\nX-Injected: 1",
        ] {
            let error = ApiVersion::new(bad).unwrap_err();
            let shown = error.to_string();
            assert!(
                shown.starts_with("invalid api_version: `")
                    && shown.contains("GitHub names them by date, YYYY-MM-DD")
                    && shown.ends_with("(this crate knows 2022-11-28 and 2026-03-10)"),
                "{bad:?}: {shown}"
            );
            assert!(!shown.contains('\n'), "{shown}");
        }
    }
}
