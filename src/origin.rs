//! Where a token may go: the one rule this crate applies to the API URL,
//! public so that tools built on it (the retention engine's registry client,
//! `ghpkg`'s flags) apply the same rule instead of a copy that drifts.
//!
//! A token travels only over HTTPS, or plain HTTP to this machine (a test
//! server on loopback); only to the origin it was configured for (redirects
//! to any other origin are refused); and never inside the URL itself.

use std::net::IpAddr;

use url::Url;

use crate::error::{Error, RedirectRefused, Result};

/// Whether `url` names this machine: `localhost` or a loopback address.
///
/// ```
/// use github_packages::origin::is_loopback;
/// use url::Url;
///
/// assert!(is_loopback(&Url::parse("http://127.0.0.1:8080").unwrap()));
/// assert!(is_loopback(&Url::parse("http://[::1]/").unwrap()));
/// assert!(!is_loopback(&Url::parse("https://ghcr.io").unwrap()));
/// ```
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// Parses `input` as a URL a token may be sent to: `https`, or plain `http`
/// to a loopback address (or to any host when `allow_insecure_http`), with a
/// host and without credentials, a query or a fragment.
///
/// # Errors
///
/// [`Error::InvalidInput`] with `field` and a problem that says what to
/// write instead. The problem speaks of the URL only, so a caller can name
/// its own flag or setting in front of it.
///
/// ```
/// use github_packages::origin::token_url;
///
/// assert!(token_url("https://ghcr.io", "registry_url", false).is_ok());
/// assert!(token_url("http://127.0.0.1:8090", "registry_url", false).is_ok());
/// let refused = token_url("http://registry.example", "registry_url", false).unwrap_err();
/// assert!(refused.to_string().contains("unencrypted"));
/// ```
pub fn token_url(input: &str, field: &'static str, allow_insecure_http: bool) -> Result<Url> {
    let input = input.trim();
    let url = Url::parse(input)
        .map_err(|e| Error::invalid(field, format!("`{input}` is not a URL ({e})")))?;
    match url.scheme() {
        "https" => {}
        "http" if allow_insecure_http || is_loopback(&url) => {}
        "http" => {
            return Err(Error::invalid(
                field,
                format!(
                    "`{input}` is plain http, which would send the token unencrypted; use https \
                     (plain http is accepted only for loopback addresses)"
                ),
            ));
        }
        other => {
            return Err(Error::invalid(
                field,
                format!("`{input}` uses `{other}`, which is not supported; use https"),
            ));
        }
    }
    if url.host().is_none() {
        return Err(Error::invalid(field, format!("`{input}` has no host")));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::invalid(
            field,
            "must not contain credentials; the token is given separately, never in the URL",
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::invalid(
            field,
            format!("`{input}` must not have a query or fragment"),
        ));
    }
    Ok(url)
}

/// Whether `a` and `b` share an origin: scheme, host (case-insensitively)
/// and port, the default port counting as given.
///
/// ```
/// use github_packages::origin::same_origin;
/// use url::Url;
///
/// let ghcr = Url::parse("https://ghcr.io/token").unwrap();
/// assert!(same_origin(&ghcr, &Url::parse("https://GHCR.io:443/v2/").unwrap()));
/// assert!(!same_origin(&ghcr, &Url::parse("http://ghcr.io/").unwrap()));
/// ```
pub fn same_origin(a: &Url, b: &Url) -> bool {
    a.origin() == b.origin()
}

/// A `reqwest` client builder for requests that carry a token to `origin`:
/// this crate's TLS setup for that client only (with the `rustls` feature:
/// rustls with the `ring` provider and the platform's verifier; nothing is
/// installed process-wide) and redirects followed only within `origin` (at
/// most five). Add timeouts, a user agent and the like, then build.
///
/// # Errors
///
/// [`Error::InvalidInput`] (field `tls`) when TLS cannot be set up.
///
/// ```
/// # fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let registry = url::Url::parse("https://ghcr.io")?;
/// let http = github_packages::origin::http_client_builder(&registry)?
///     .timeout(std::time::Duration::from_secs(30))
///     .build()?;
/// # let _ = http;
/// # Ok(()) }
/// # run().unwrap();
/// ```
pub fn http_client_builder(origin: &Url) -> Result<reqwest::ClientBuilder> {
    let origin = origin.origin();
    let builder =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() >= 5 {
                attempt.error("too many redirects")
            } else if attempt.url().origin() == origin {
                attempt.follow()
            } else {
                let refused = RedirectRefused {
                    expected: origin.ascii_serialization(),
                    found: attempt.url().origin().ascii_serialization(),
                };
                attempt.error(refused)
            }
        }));
    crate::tls::configure(builder)
        .map_err(|e| Error::invalid("tls", format!("cannot set up HTTPS: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_would_leak_the_token() {
        for (bad, why) in [
            ("", "not a URL"),
            ("ghcr.io", "not a URL"),
            ("ftp://x.example", "not supported"),
            ("http://x.example", "unencrypted"),
            ("https://user:pw@x.example", "credentials"),
            ("https://x.example/?a=1", "query"),
            ("https://x.example/#f", "fragment"),
        ] {
            let err = token_url(bad, "registry_url", false).unwrap_err();
            assert!(
                matches!(
                    err,
                    Error::InvalidInput {
                        field: "registry_url",
                        ..
                    }
                ),
                "{bad}: {err}"
            );
            assert!(err.to_string().contains(why), "{bad}: {err}");
        }
        assert!(token_url("http://x.example", "base_url", true).is_ok());
        assert!(token_url(" https://ghcr.io ", "base_url", false).is_ok());
    }

    #[test]
    fn origins_compare_scheme_host_and_port() {
        let local = Url::parse("http://127.0.0.1:8080").unwrap();
        assert!(!same_origin(
            &local,
            &Url::parse("http://localhost:8080/t").unwrap()
        ));
        assert!(!same_origin(
            &local,
            &Url::parse("http://127.0.0.1:8081/t").unwrap()
        ));
        assert!(same_origin(
            &local,
            &Url::parse("http://127.0.0.1:8080/token?x=1").unwrap()
        ));
    }
}
