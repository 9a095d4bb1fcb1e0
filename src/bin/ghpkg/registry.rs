//! A minimal OCI distribution client: reads one manifest by digest and, if
//! it is an image index (a multi-arch image), the digests it references.
//!
//! Authentication follows the registry token flow: an anonymous request, a
//! `401` with `WWW-Authenticate: Bearer realm=..,service=..,scope=..`, a
//! token fetched from the realm (HTTP Basic with the GitHub token as
//! password), then the request again with that bearer token. The GitHub
//! token is only ever sent to the registry's own host.

use std::net::IpAddr;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue, WWW_AUTHENTICATE};
use serde::Deserialize;
use tokio::sync::Mutex;
use url::Url;

use crate::policy::ChildKind;

const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
const ACCEPT_MANIFESTS: &str = "application/vnd.oci.image.index.v1+json, \
     application/vnd.docker.distribution.manifest.list.v2+json, \
     application/vnd.oci.image.manifest.v1+json, \
     application/vnd.docker.distribution.manifest.v2+json";
/// Any non-empty user name works for GitHub's registry; the token is the secret.
const BASIC_USER: &str = "ghpkg";

/// Reads manifests of one image.
#[derive(Debug)]
pub(crate) struct Registry {
    http: reqwest::Client,
    base: Url,
    image: String,
    github_token: Option<String>,
    /// What the registry wants, learned from the first lookup and shared by
    /// all the others.
    auth: Mutex<Auth>,
}

/// How to authenticate to the registry.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Auth {
    /// No answer yet.
    Unknown,
    /// The registry answered without a challenge.
    Anonymous,
    /// The token the registry's token service handed out.
    Bearer(String),
}

impl Auth {
    fn bearer(&self) -> Option<&str> {
        match self {
            Auth::Bearer(token) => Some(token),
            _ => None,
        }
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// `https`, or plain `http` to a loopback address (a local test registry).
fn check_scheme(url: &Url, what: &str) -> Result<(), String> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(url) => Ok(()),
        other => Err(format!(
            "{what} {url} uses {other}; only https (or http to a loopback address) is allowed, \
             so the token never crosses the network in the clear"
        )),
    }
}

fn same_host(a: &Url, b: &Url) -> bool {
    a.host_str().map(str::to_ascii_lowercase) == b.host_str().map(str::to_ascii_lowercase)
        && a.port_or_known_default() == b.port_or_known_default()
}

#[derive(Deserialize)]
struct Index {
    #[serde(rename = "mediaType")]
    media_type: Option<String>,
    manifests: Option<Vec<Descriptor>>,
}

#[derive(Deserialize)]
struct Descriptor {
    digest: String,
    platform: Option<Platform>,
    #[serde(default)]
    annotations: std::collections::HashMap<String, String>,
}

#[derive(Deserialize)]
struct Platform {
    os: Option<String>,
}

#[derive(Deserialize)]
struct TokenAnswer {
    token: Option<String>,
    access_token: Option<String>,
}

/// The parameters of a `WWW-Authenticate` challenge.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Challenge {
    pub(crate) scheme: String,
    pub(crate) realm: Option<String>,
    pub(crate) service: Option<String>,
    pub(crate) scope: Option<String>,
}

/// Parses `Bearer realm="..",service="..",scope=".."`. Quoted values may
/// hold commas (a scope with several actions) and escaped quotes.
pub(crate) fn parse_challenge(value: &str) -> Option<Challenge> {
    let value = value.trim();
    let (scheme, mut rest) = match value.split_once(char::is_whitespace) {
        Some((s, r)) => (s, r.trim_start()),
        None => (value, ""),
    };
    if scheme.is_empty() {
        return None;
    }
    let mut challenge = Challenge {
        scheme: scheme.to_ascii_lowercase(),
        ..Challenge::default()
    };
    while !rest.is_empty() {
        let eq = rest.find('=')?;
        let key = rest[..eq].trim().to_ascii_lowercase();
        rest = rest[eq + 1..].trim_start();
        let val;
        if let Some(quoted) = rest.strip_prefix('"') {
            let mut out = String::new();
            let mut chars = quoted.char_indices();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, next)) = chars.next() {
                            out.push(next);
                        }
                    }
                    '"' => {
                        end = Some(i);
                        break;
                    }
                    c => out.push(c),
                }
            }
            let end = end?;
            val = out;
            rest = quoted[end + 1..].trim_start();
        } else {
            let stop = rest.find(',').unwrap_or(rest.len());
            val = rest[..stop].trim().to_owned();
            rest = &rest[stop..];
        }
        match key.as_str() {
            "realm" => challenge.realm = Some(val),
            "service" => challenge.service = Some(val),
            "scope" => challenge.scope = Some(val),
            _ => {}
        }
        rest = rest.trim_start_matches(|c: char| c == ',' || c.is_whitespace());
    }
    Some(challenge)
}

/// reqwest is built without a TLS crypto provider of its own (see the
/// `rustls` feature); pick ring unless something already chose one.
#[cfg(feature = "rustls")]
fn ensure_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

#[cfg(not(feature = "rustls"))]
fn ensure_crypto_provider() {}

impl Registry {
    /// A client for `<base>/v2/<image>`.
    pub(crate) fn new(
        base: &str,
        image: &str,
        github_token: Option<String>,
    ) -> Result<Registry, String> {
        let base = Url::parse(base.trim())
            .map_err(|e| format!("--registry-url `{base}` is not a URL: {e}"))?;
        check_scheme(&base, "--registry-url")?;
        ensure_crypto_provider();
        let origin = base.origin();
        let http = reqwest::Client::builder()
            .user_agent(concat!("ghpkg/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .redirect(reqwest::redirect::Policy::custom(move |attempt| {
                if attempt.previous().len() < 5 && attempt.url().origin() == origin {
                    attempt.follow()
                } else {
                    attempt.stop()
                }
            }))
            .build()
            .map_err(|e| format!("cannot set up the registry client: {e}"))?;
        Ok(Registry {
            http,
            base,
            image: image.to_ascii_lowercase(),
            github_token,
            auth: Mutex::new(Auth::Unknown),
        })
    }

    fn manifest_url(&self, digest: &str) -> String {
        format!(
            "{}/v2/{}/manifests/{digest}",
            self.base.as_str().trim_end_matches('/'),
            self.image
        )
    }

    /// The manifests an image index references, with what each is; empty for
    /// a single-platform image.
    pub(crate) async fn children(&self, digest: &str) -> Result<Vec<(String, ChildKind)>, String> {
        let url = self.manifest_url(digest);
        let answer = self.fetch(&url).await?;
        let status = answer.status();
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            return Err(format!(
                "{url} answered {status}: the registry did not accept the token; it needs \
                 `read:packages` and access to the image"
            ));
        }
        if status == StatusCode::NOT_FOUND {
            return Err(format!(
                "{url} answered 404: check --registry-url and that the image is `{}`",
                self.image
            ));
        }
        if !status.is_success() {
            return Err(format!("{url} answered {status}"));
        }
        let content_type = answer
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body = answer
            .bytes()
            .await
            .map_err(|e| format!("reading {url}: {e}"))?;
        let index: Index = serde_json::from_slice(&body)
            .map_err(|e| format!("{url} did not answer with a manifest: {e}"))?;
        let is_index = [OCI_INDEX, DOCKER_LIST]
            .iter()
            .any(|t| content_type.starts_with(t) || index.media_type.as_deref() == Some(*t));
        // A body with `manifests` is an index even if the media type is not
        // one we know: protecting too much is the safe mistake.
        let Some(manifests) = index.manifests else {
            return Ok(Vec::new());
        };
        if !is_index {
            tracing::debug!(%url, %content_type, "manifest list without an index media type");
        }
        Ok(manifests
            .into_iter()
            .map(|d| {
                let attestation = d
                    .annotations
                    .get("vnd.docker.reference.type")
                    .is_some_and(|t| t == "attestation-manifest")
                    || d.platform
                        .and_then(|p| p.os)
                        .is_some_and(|os| os == "unknown");
                let kind = if attestation {
                    ChildKind::Attestation
                } else {
                    ChildKind::Platform
                };
                (d.digest, kind)
            })
            .collect())
    }

    /// GETs a manifest, authenticating as the registry asks. The first
    /// lookup holds the lock until it knows how, so concurrent lookups wait
    /// for one token instead of each meeting the challenge.
    async fn fetch(&self, url: &str) -> Result<reqwest::Response, String> {
        let mut auth = self.auth.lock().await;
        if *auth == Auth::Unknown {
            let answer = self.send(url, None).await?;
            if answer.status() != StatusCode::UNAUTHORIZED {
                *auth = Auth::Anonymous;
                return Ok(answer);
            }
            let token = self.token_for(&answer, url).await?;
            *auth = Auth::Bearer(token.clone());
            drop(auth);
            return self.send(url, Some(&token)).await;
        }
        let used = auth.bearer().map(str::to_owned);
        drop(auth);
        let answer = self.send(url, used.as_deref()).await?;
        if answer.status() != StatusCode::UNAUTHORIZED {
            return Ok(answer);
        }
        // The token expired (or the registry changed its mind): get a new
        // one, unless another lookup already did.
        let mut auth = self.auth.lock().await;
        let token = match auth.bearer() {
            Some(current) if Some(current) != used.as_deref() => current.to_owned(),
            _ => {
                let token = self.token_for(&answer, url).await?;
                *auth = Auth::Bearer(token.clone());
                token
            }
        };
        drop(auth);
        self.send(url, Some(&token)).await
    }

    async fn send(&self, url: &str, bearer: Option<&str>) -> Result<reqwest::Response, String> {
        let mut request = self.http.get(url).header(ACCEPT, ACCEPT_MANIFESTS);
        if let Some(bearer) = bearer {
            let mut value = HeaderValue::from_str(&format!("Bearer {bearer}"))
                .map_err(|_| "the registry handed out a token that is not a header value")?;
            value.set_sensitive(true);
            request = request.header(AUTHORIZATION, value);
        }
        request.send().await.map_err(|e| {
            format!(
                "cannot reach the registry at {}: {}",
                self.base,
                e.without_url()
            )
        })
    }

    /// Reads the challenge of a 401 answer and follows it to a token.
    async fn token_for(&self, answer: &reqwest::Response, url: &str) -> Result<String, String> {
        let challenge = answer
            .headers()
            .get(WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_challenge)
            .ok_or_else(|| format!("{url} answered 401 without a WWW-Authenticate challenge"))?;
        self.authenticate(&challenge).await
    }

    /// Follows a `Bearer` challenge to a registry token.
    async fn authenticate(&self, challenge: &Challenge) -> Result<String, String> {
        if challenge.scheme != "bearer" {
            return Err(format!(
                "the registry asks for `{}` authentication; ghpkg only follows the Bearer token \
                 flow",
                challenge.scheme
            ));
        }
        let realm = challenge
            .realm
            .as_deref()
            .ok_or("the registry's challenge has no realm")?;
        let mut realm = Url::parse(realm)
            .map_err(|e| format!("the registry's token realm `{realm}` is not a URL: {e}"))?;
        if self.github_token.is_some() && !same_host(&realm, &self.base) {
            return Err(format!(
                "the registry at {} sends clients to {} for tokens, another host; ghpkg does not send \
                 your GitHub token there. Use --registry-url for the host that issues the \
                 tokens, or --no-registry-check",
                self.base.host_str().unwrap_or_default(),
                realm.host_str().unwrap_or_default()
            ));
        }
        check_scheme(&realm, "the registry's token realm")?;
        {
            let mut query = realm.query_pairs_mut();
            if let Some(service) = &challenge.service {
                query.append_pair("service", service);
            }
            if let Some(scope) = &challenge.scope {
                query.append_pair("scope", scope);
            }
        }
        let mut request = self.http.get(realm.clone());
        if let Some(token) = &self.github_token {
            request = request.basic_auth(BASIC_USER, Some(token));
        }
        let host = realm.host_str().unwrap_or_default().to_owned();
        let answer = request.send().await.map_err(|e| {
            format!(
                "cannot get a registry token from {host}: {}",
                e.without_url()
            )
        })?;
        let status = answer.status();
        if !status.is_success() {
            return Err(format!(
                "the registry's token service at {host} answered {status}: the GitHub token \
                 needs `read:packages` and access to the image"
            ));
        }
        let token: TokenAnswer = answer
            .json()
            .await
            .map_err(|e| format!("the registry's token answer could not be read: {e}"))?;
        token
            .token
            .or(token.access_token)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| "the registry's token answer holds no token".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ghcr_style_challenges() {
        let c = parse_challenge(
            r#"Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:acme/app:pull""#,
        )
        .unwrap();
        assert_eq!(c.scheme, "bearer");
        assert_eq!(c.realm.as_deref(), Some("https://ghcr.io/token"));
        assert_eq!(c.service.as_deref(), Some("ghcr.io"));
        assert_eq!(c.scope.as_deref(), Some("repository:acme/app:pull"));
    }

    #[test]
    fn quoted_values_keep_commas_and_escapes() {
        let c = parse_challenge(
            r#"Bearer scope="repository:a/b:pull,push", realm = "https://r/t\"x" ,error=insufficient_scope"#,
        )
        .unwrap();
        assert_eq!(c.scope.as_deref(), Some("repository:a/b:pull,push"));
        assert_eq!(c.realm.as_deref(), Some("https://r/t\"x"));
        assert_eq!(c.service, None);
        assert_eq!(parse_challenge("Basic").unwrap().scheme, "basic");
        assert!(parse_challenge(r#"Bearer realm="unterminated"#).is_none());
        assert!(parse_challenge("").is_none());
    }

    #[test]
    fn hosts_compare_by_name_and_port() {
        let a = Url::parse("https://ghcr.io").unwrap();
        assert!(same_host(
            &a,
            &Url::parse("https://GHCR.io:443/token").unwrap()
        ));
        assert!(!same_host(
            &a,
            &Url::parse("https://evil.example/token").unwrap()
        ));
        let local = Url::parse("http://127.0.0.1:8080").unwrap();
        assert!(!same_host(
            &local,
            &Url::parse("http://localhost:8080/t").unwrap()
        ));
        assert!(!same_host(
            &local,
            &Url::parse("http://127.0.0.1:8081/t").unwrap()
        ));
    }

    #[test]
    fn plain_http_only_to_loopback() {
        assert!(Registry::new("http://127.0.0.1:1", "a/b", None).is_ok());
        let err = Registry::new("http://registry.example", "a/b", None).unwrap_err();
        assert!(err.contains("only https"), "{err}");
        assert!(Registry::new("not a url", "a/b", None).is_err());
    }
}
