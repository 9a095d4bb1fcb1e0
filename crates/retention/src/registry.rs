//! Reading manifests from a container registry (the OCI distribution API):
//! one manifest by digest, and what it lists if it is an image index.
//!
//! Authentication follows the registry token flow: an anonymous request, a
//! `401` with `WWW-Authenticate: Bearer realm=..,service=..,scope=..`, a
//! token fetched from the realm (HTTP Basic with the GitHub token as
//! password), then the request again with that bearer token. The GitHub
//! token goes only to the registry's own origin, over HTTPS or to loopback
//! (the rule of `github_packages::origin`).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use github_packages::origin;
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue, WWW_AUTHENTICATE};
use serde::Deserialize;
use tokio::sync::Mutex;
use url::Url;

use crate::challenge::{Challenge, parse_challenge};
use crate::manifest::{self, ACCEPT_MANIFESTS, Listed};

/// GitHub.com's container registry.
pub const GHCR: &str = "https://ghcr.io";
/// Any non-empty user name works for GitHub's registry; the token is the secret.
const BASIC_USER: &str = "github-packages";
/// The most of a manifest or token answer that is read; real ones are a few
/// KiB.
pub(crate) const MAX_BODY: usize = 4 * 1024 * 1024;
/// How many times a manifest is asked for in all: a registry that answers
/// 429 or 502-504, or drops the connection, is asked again, after its
/// `Retry-After` or a growing pause (0.5 s, 1 s, 2 s).
const ATTEMPTS: u32 = 4;
const FIRST_PAUSE: Duration = Duration::from_millis(500);
/// The longest `Retry-After` waited for; a registry that asks for more fails
/// the read (and the plan holds its deletes) rather than stall the run.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// A container registry to read image manifests from, and the GitHub token
/// it takes. The token is sent only to the registry's own origin.
///
/// ```
/// use github_packages_retention::Registry;
///
/// let ghcr = Registry::new("https://ghcr.io")?.token("ghp_…");
/// assert_eq!(ghcr.url().as_str(), "https://ghcr.io/");
/// assert!(!format!("{ghcr:?}").contains("ghp_"));
/// # Ok::<(), github_packages::Error>(())
/// ```
#[derive(Clone)]
pub struct Registry {
    url: Url,
    token: Option<String>,
    /// One HTTP client for every image read from this registry (and every
    /// clone of it), so packages planned one after another or at once reuse
    /// its connections; built on first use.
    http: Arc<std::sync::Mutex<Option<reqwest::Client>>>,
}

/// Never shows the token.
impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry")
            .field("url", &self.url.as_str())
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl Registry {
    /// The registry at `url`: `https://ghcr.io`, a GitHub Enterprise
    /// Server's `https://containers.HOST`, or plain `http` on loopback.
    ///
    /// # Errors
    ///
    /// `github_packages::Error::InvalidInput` (field `registry_url`) when a
    /// token could not safely be sent there (see `github_packages::origin`).
    pub fn new(url: &str) -> Result<Registry, github_packages::Error> {
        let url = origin::token_url(url, "registry_url", false)?;
        Ok(Registry {
            url,
            token: None,
            http: Arc::default(),
        })
    }

    /// The registry that goes with the API at `api_url`, if there is one to
    /// assume: `https://ghcr.io` for GitHub.com, and the API's own origin
    /// when it is on loopback (a local fake serves both). A GitHub
    /// Enterprise Server's registry must be named: ghcr.io is not its
    /// registry and must not get its token.
    pub fn for_api(api_url: &Url) -> Option<Registry> {
        let github_com = Url::parse(github_packages::DEFAULT_BASE_URL).ok()?;
        if origin::same_origin(api_url, &github_com) {
            return Registry::new(GHCR).ok();
        }
        if origin::is_loopback(api_url) {
            return Registry::new(&api_url.origin().ascii_serialization()).ok();
        }
        None
    }

    /// Uses `token` (a GitHub token with `read:packages`) for the
    /// registry's token flow.
    #[must_use]
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// Where the registry is.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// A reader of the manifests of `image` (`OWNER/NAME`).
    pub(crate) fn reader(&self, image: &str) -> Result<Reader, String> {
        let http = self.http()?;
        Ok(Reader {
            http,
            base: self.url.clone(),
            image: image.to_ascii_lowercase(),
            github_token: self.token.clone(),
            auth: Mutex::new(Auth::Unknown),
        })
    }
}

impl Registry {
    /// The registry's HTTP client, built the first time it is needed.
    fn http(&self) -> Result<reqwest::Client, String> {
        let mut shared = self
            .http
            .lock()
            .map_err(|_| "the registry client was poisoned by a panic".to_owned())?;
        if let Some(http) = shared.as_ref() {
            return Ok(http.clone());
        }
        let setup = |e: &dyn fmt::Display| format!("cannot set up the registry client: {e}");
        let http = origin::http_client_builder(&self.url)
            .map_err(|e| setup(&e))?
            .user_agent(concat!(
                "github-packages-retention/",
                env!("CARGO_PKG_VERSION")
            ))
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| setup(&e))?;
        *shared = Some(http.clone());
        Ok(http)
    }
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
pub(crate) struct Reader {
    http: reqwest::Client,
    base: Url,
    image: String,
    github_token: Option<String>,
    /// What the registry wants, learned from the first lookup and shared by
    /// all the others.
    auth: Mutex<Auth>,
}

/// Never shows the GitHub token or the registry token.
impl fmt::Debug for Reader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reader")
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

impl Auth {
    fn bearer(&self) -> Option<&str> {
        match self {
            Auth::Bearer(token) => Some(token),
            _ => None,
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

#[derive(Deserialize)]
struct TokenAnswer {
    token: Option<String>,
    access_token: Option<String>,
}

impl Reader {
    fn manifest_url(&self, digest: &str) -> String {
        format!(
            "{}/v2/{}/manifests/{digest}",
            self.base.as_str().trim_end_matches('/'),
            self.image
        )
    }

    /// The manifests `digest` lists, with what each is; nothing for a
    /// single-platform image.
    pub(crate) async fn listed(&self, digest: &str) -> Result<Listed, ManifestError> {
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
                "{url} answered 404: check the registry URL and that the image is `{}`",
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
        let listed = manifest::read(&content_type, &body)
            .map_err(|e| format!("{url} did not answer with a manifest: {e}"))?;
        if !listed.parts.is_empty() && !listed.declared_index {
            tracing::debug!(%url, %content_type, "manifest list without an index media type");
        }
        Ok(listed)
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

    /// GETs `url`, asking again while the registry is busy (429, 502-504) or
    /// the connection fails, up to [`ATTEMPTS`] times; the last answer or
    /// error is the result.
    async fn send(&self, url: &str, bearer: Option<&str>) -> Result<reqwest::Response, String> {
        let mut pause = FIRST_PAUSE;
        for attempt in 1.. {
            let result = self.send_once(url, bearer).await;
            let wait = match &result {
                Ok(answer) if is_busy(answer.status()) => retry_after(answer).unwrap_or(pause),
                Ok(_) => return result,
                Err(_) => pause,
            };
            if attempt >= ATTEMPTS {
                return match result {
                    Ok(answer) => Err(format!(
                        "{url} answered {} {ATTEMPTS} times: the registry is rate limiting or \
                         unavailable; run again later, or with fewer manifest reads at once",
                        answer.status()
                    )),
                    Err(e) => Err(format!("{e} ({ATTEMPTS} attempts)")),
                };
            }
            if wait > MAX_RETRY_AFTER {
                return Err(format!(
                    "{url} is rate limited and asks to wait {} s; run again after that",
                    wait.as_secs()
                ));
            }
            tracing::debug!(%url, attempt, wait_ms = wait.as_millis(), "registry busy; asking again");
            tokio::time::sleep(wait).await;
            pause *= 2;
        }
        unreachable!("the loop returns by its last attempt")
    }

    async fn send_once(
        &self,
        url: &str,
        bearer: Option<&str>,
    ) -> Result<reqwest::Response, String> {
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
                "the registry asks for `{}` authentication; only the Bearer token flow is \
                 followed",
                challenge.scheme
            ));
        }
        let realm = challenge
            .realm
            .as_deref()
            .ok_or("the registry's challenge has no realm")?;
        let mut realm = origin::token_url(realm, "realm", false)
            .map_err(|e| format!("the registry's token realm: {e}"))?;
        if self.github_token.is_some() && !origin::same_origin(&realm, &self.base) {
            return Err(format!(
                "the registry at {} sends clients to {} for tokens, another origin; the GitHub \
                 token is not sent there. Name the registry that issues the tokens, or do not \
                 check the registry",
                self.base.origin().ascii_serialization(),
                realm.origin().ascii_serialization()
            ));
        }
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

/// Whether an answer says the registry is busy rather than that the request
/// is wrong: worth asking again.
fn is_busy(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::BAD_GATEWAY
        || status == StatusCode::SERVICE_UNAVAILABLE
        || status == StatusCode::GATEWAY_TIMEOUT
}

/// The pause a `Retry-After: SECONDS` header asks for (the HTTP-date form
/// is left to the growing pause).
fn retry_after(answer: &reqwest::Response) -> Option<Duration> {
    let seconds: u64 = answer
        .headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_hides_both_tokens() {
        let registry = Registry::new("http://127.0.0.1:1")
            .unwrap()
            .token("ghp_secret_github_token");
        assert!(!format!("{registry:?}").contains("ghp_secret_github_token"));
        let reader = registry.reader("a/b").unwrap();
        *reader.auth.try_lock().unwrap() = Auth::Bearer("registry_secret_token".into());
        let debug = format!("{reader:?}");
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
        let registry = Registry::new(&format!("http://{addr}")).unwrap();
        let err = registry
            .reader("a/b")
            .unwrap()
            .listed("sha256:00")
            .await
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("registry answer larger than 4 MiB"),
            "{err}"
        );
    }

    #[test]
    fn plain_http_only_to_loopback() {
        assert!(Registry::new("http://127.0.0.1:1").is_ok());
        let err = Registry::new("http://registry.example").unwrap_err();
        assert!(err.to_string().contains("unencrypted"), "{err}");
        assert!(Registry::new("not a url").is_err());
    }

    #[test]
    fn the_registry_of_an_api_is_assumed_only_where_it_is_known() {
        let api = |u: &str| Url::parse(u).unwrap();
        assert_eq!(
            Registry::for_api(&api("https://api.github.com"))
                .unwrap()
                .url()
                .as_str(),
            "https://ghcr.io/"
        );
        assert_eq!(
            Registry::for_api(&api("http://127.0.0.1:8090/"))
                .unwrap()
                .url()
                .as_str(),
            "http://127.0.0.1:8090/"
        );
        assert!(Registry::for_api(&api("https://ghe.example/api/v3")).is_none());
    }
}
