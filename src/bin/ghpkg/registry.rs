//! A minimal OCI distribution client: reads one manifest by digest and, if
//! it is an image index (a multi-arch image), the digests it references.
//!
//! Authentication follows the registry token flow: an anonymous request, a
//! `401` with `WWW-Authenticate: Bearer realm=..,service=..,scope=..`, a
//! token fetched from the realm (HTTP Basic with the GitHub token as
//! password), then the request again with that bearer token. The GitHub
//! token is only ever sent to the registry's own host.

use std::fmt;
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
/// Manifests of one image: they reference layers, never other manifests.
const SINGLE_IMAGE: [&str; 2] = [
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
];
const ACCEPT_MANIFESTS: &str = "application/vnd.oci.image.index.v1+json, \
     application/vnd.docker.distribution.manifest.list.v2+json, \
     application/vnd.oci.image.manifest.v1+json, \
     application/vnd.docker.distribution.manifest.v2+json";
/// Any non-empty user name works for GitHub's registry; the token is the secret.
const BASIC_USER: &str = "ghpkg";
/// The most of a manifest or token answer that is read; real ones are a few
/// KiB.
pub(crate) const MAX_BODY: usize = 4 * 1024 * 1024;

/// What one manifest references.
#[derive(Debug, Default)]
pub(crate) struct Children {
    /// Every manifest an image index lists, with what it is.
    pub(crate) children: Vec<(String, ChildKind)>,
    /// Those the index says are single-image manifests: they reference no
    /// manifests, so there is no need to read them.
    pub(crate) leaves: Vec<String>,
}

/// Why a manifest could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ManifestError {
    /// The registry answered 404: the manifest is not there (its version may
    /// have been deleted since the listing, or the image name is wrong).
    Missing(String),
    /// Anything else: no access, no network, not a manifest.
    Failed(String),
}

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ManifestError::Missing(m) | ManifestError::Failed(m) => f.write_str(m),
        }
    }
}

impl From<String> for ManifestError {
    fn from(message: String) -> Self {
        ManifestError::Failed(message)
    }
}

/// Reads manifests of one image.
pub(crate) struct Registry {
    http: reqwest::Client,
    base: Url,
    image: String,
    github_token: Option<String>,
    /// What the registry wants, learned from the first lookup and shared by
    /// all the others.
    auth: Mutex<Auth>,
}

/// Never shows the GitHub token or the registry token.
impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry")
            .field("base", &self.base.as_str())
            .field("image", &self.image)
            .field(
                "github_token",
                &self.github_token.as_ref().map(|_| "<redacted>"),
            )
            .field("auth", &self.auth.try_lock().map(|a| a.clone()).ok())
            .finish_non_exhaustive()
    }
}

/// How to authenticate to the registry.
#[derive(Clone, PartialEq, Eq)]
enum Auth {
    /// No answer yet.
    Unknown,
    /// The registry answered without a challenge.
    Anonymous,
    /// The token the registry's token service handed out.
    Bearer(String),
}

/// Never shows the bearer token.
impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::Unknown => f.write_str("Unknown"),
            Auth::Anonymous => f.write_str("Anonymous"),
            Auth::Bearer(_) => f.write_str("Bearer(<redacted>)"),
        }
    }
}

/// Reads a whole answer, refusing one larger than [`MAX_BODY`] without
/// holding more than that in memory. `what` names the answer in errors.
async fn read_limited(mut answer: reqwest::Response, what: &str) -> Result<Vec<u8>, String> {
    let too_large = || {
        format!(
            "{what}: registry answer larger than {} MiB; that is no manifest or token",
            MAX_BODY / (1024 * 1024)
        )
    };
    if answer.content_length().is_some_and(|n| n > MAX_BODY as u64) {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = answer
        .chunk()
        .await
        .map_err(|e| format!("reading {what}: {}", e.without_url()))?
    {
        if body.len() + chunk.len() > MAX_BODY {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

impl Auth {
    fn bearer(&self) -> Option<&str> {
        match self {
            Auth::Bearer(token) => Some(token),
            _ => None,
        }
    }
}

/// Whether `url` names this machine (`localhost` or a loopback address).
pub(crate) fn is_loopback(url: &Url) -> bool {
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
    #[serde(rename = "mediaType")]
    media_type: Option<String>,
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
    pub(crate) async fn children(&self, digest: &str) -> Result<Children, ManifestError> {
        let url = self.manifest_url(digest);
        let answer = self.fetch(&url).await?;
        let status = answer.status();
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            return Err(ManifestError::Failed(format!(
                "{url} answered {status}: the registry did not accept the token; it needs \
                 `read:packages` and access to the image"
            )));
        }
        if status == StatusCode::NOT_FOUND {
            return Err(ManifestError::Missing(format!(
                "{url} answered 404: check --registry-url and that the image is `{}`",
                self.image
            )));
        }
        if !status.is_success() {
            return Err(ManifestError::Failed(format!("{url} answered {status}")));
        }
        let content_type = answer
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body = read_limited(answer, &url).await?;
        let index: Index = serde_json::from_slice(&body)
            .map_err(|e| format!("{url} did not answer with a manifest: {e}"))?;
        let is_index = [OCI_INDEX, DOCKER_LIST]
            .iter()
            .any(|t| content_type.starts_with(t) || index.media_type.as_deref() == Some(*t));
        // A body with `manifests` is an index even if the media type is not
        // one we know: protecting too much is the safe mistake.
        let Some(manifests) = index.manifests else {
            return Ok(Children::default());
        };
        if !is_index {
            tracing::debug!(%url, %content_type, "manifest list without an index media type");
        }
        let leaves = manifests
            .iter()
            .filter(|d| {
                d.media_type
                    .as_deref()
                    .is_some_and(|t| SINGLE_IMAGE.contains(&t))
            })
            .map(|d| d.digest.clone())
            .collect();
        let children = manifests
            .into_iter()
            .map(|d| {
                let attestation = d
                    .annotations
                    .get("vnd.docker.reference.type")
                    .is_some_and(|t| t == "attestation-manifest")
                    || d.platform
                        .and_then(|p| p.os)
                        .is_some_and(|os| os == "unknown");
                let nested = d
                    .media_type
                    .as_deref()
                    .is_some_and(|t| t == OCI_INDEX || t == DOCKER_LIST);
                let kind = if attestation {
                    ChildKind::Attestation
                } else if nested {
                    ChildKind::Index
                } else {
                    ChildKind::Platform
                };
                (d.digest, kind)
            })
            .collect();
        Ok(Children { children, leaves })
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
        let body = read_limited(answer, &format!("the token service at {host}")).await?;
        let token: TokenAnswer = serde_json::from_slice(&body)
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
    fn debug_output_hides_both_tokens() {
        let registry = Registry::new(
            "http://127.0.0.1:1",
            "a/b",
            Some("ghp_secret_github_token".into()),
        )
        .unwrap();
        *registry.auth.try_lock().unwrap() = Auth::Bearer("registry_secret_token".into());
        let debug = format!("{registry:?}");
        assert!(!debug.contains("ghp_secret_github_token"), "{debug}");
        assert!(!debug.contains("registry_secret_token"), "{debug}");
        assert!(debug.contains("<redacted>"), "{debug}");
        assert!(debug.contains("a/b"), "{debug}");
    }

    /// An answer without a length, sent in chunks, that goes on past the
    /// limit: reading stops there, with an error saying why.
    #[tokio::test(flavor = "current_thread")]
    async fn a_chunked_answer_over_the_limit_is_refused() {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut request = Vec::new();
            let mut buf = [0u8; 1024];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => return,
                    Ok(n) => request.extend_from_slice(&buf[..n]),
                }
            }
            let head = "HTTP/1.1 200 OK\r\ncontent-type: application/vnd.oci.image.index.v1+json\r\n\
                        transfer-encoding: chunked\r\n\r\n";
            let chunk = vec![b' '; 64 * 1024];
            let mut send = || -> std::io::Result<()> {
                stream.write_all(head.as_bytes())?;
                for _ in 0..(MAX_BODY / chunk.len() + 16) {
                    stream.write_all(format!("{:x}\r\n", chunk.len()).as_bytes())?;
                    stream.write_all(&chunk)?;
                    stream.write_all(b"\r\n")?;
                }
                stream.write_all(b"0\r\n\r\n")
            };
            let _ = send();
        });
        let registry = Registry::new(&format!("http://{addr}"), "a/b", None).unwrap();
        let err = registry.children("sha256:00").await.unwrap_err();
        assert!(
            err.to_string()
                .contains("registry answer larger than 4 MiB"),
            "{err}"
        );
    }

    #[test]
    fn plain_http_only_to_loopback() {
        assert!(Registry::new("http://127.0.0.1:1", "a/b", None).is_ok());
        let err = Registry::new("http://registry.example", "a/b", None).unwrap_err();
        assert!(err.contains("only https"), "{err}");
        assert!(Registry::new("not a url", "a/b", None).is_err());
    }
}
