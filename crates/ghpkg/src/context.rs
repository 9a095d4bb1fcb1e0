//! What every command shares: the client and token ([`Ctx`]), why a
//! command failed ([`Failure`], and so the exit code), and a library error
//! in ghpkg's words.

use std::fmt;
use std::io::IsTerminal;

use github_packages::Client;
use github_packages_retention::Stop;

/// Why a command did not succeed, and so the exit code.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Bad usage: exit 2.
    Usage(String),
    /// The library's error, whose message says what to do: exit 1.
    Api(github_packages::Error),
    /// Anything else that failed, or a partial failure already listed: exit 1.
    Failed(String),
    /// Standard output was closed by its reader (`ghpkg ... | head`): stop
    /// quietly, exit 0.
    StdoutClosed,
    /// Stopped by Ctrl-C or SIGTERM after the request in flight: what was
    /// done and how to go on, printed as it is; exit 130.
    Interrupted(String),
}

impl From<github_packages::Error> for Failure {
    fn from(e: github_packages::Error) -> Self {
        Failure::Api(e)
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            Failure::StdoutClosed
        } else {
            Failure::Failed(format!("cannot write output: {e}"))
        }
    }
}

pub(crate) type Outcome = Result<(), Failure>;

impl From<github_packages_retention::Error> for Failure {
    fn from(e: github_packages_retention::Error) -> Self {
        use github_packages_retention::Error;
        match e {
            Error::Api(e) => Failure::Api(e),
            Error::RegistryNeeded { api_url } => Failure::Usage(registry_needed(&api_url)),
            Error::OtherApi { .. } => Failure::Usage(e.to_string()),
            other => Failure::Failed(other.to_string()),
        }
    }
}

/// The usage error for a container prune off GitHub.com without
/// `--registry-url`. The likely URL is named only where there is one: a
/// GitHub Enterprise Server host name gives `containers.HOST`; an IP
/// address gives no such name (and an API on loopback never gets here: its
/// own origin is its registry).
fn registry_needed(api_url: &str) -> String {
    let parsed = url::Url::parse(api_url).ok();
    let likely = match parsed.as_ref().and_then(url::Url::host) {
        Some(url::Host::Domain(host)) => format!(", here probably https://containers.{host}"),
        _ => String::new(),
    };
    format!(
        "--api-url is {api_url}, not GitHub.com, so its token is not sent to {}: pass \
         --registry-url with this server's container registry (GitHub Enterprise Server serves \
         it at https://containers.HOST{likely}) so multi-arch images can be protected, or \
         --no-registry-check to delete without that protection",
        github_packages_retention::GHCR
    )
}

/// The ghpkg flag that changes what `error` reports, as a sentence to add
/// to its message; empty when there is none.
pub(crate) fn advice(error: &github_packages::Error) -> &'static str {
    if error.is_rate_limited() {
        ". Raise --max-rate-limit-wait to let ghpkg wait that long"
    } else {
        ""
    }
}

/// A library error as ghpkg shows it: the library's account of what
/// happened, plus the ghpkg flag that changes it where there is one.
pub(crate) fn describe(error: &github_packages::Error) -> String {
    format!("{error}{}", advice(error))
}

/// What every command needs: the client, the token (the registry needs it
/// too), the output mode, the stop Ctrl-C requests, and the command line
/// as given (to print the command that continues a run).
pub(crate) struct Ctx {
    pub(crate) client: Client,
    pub(crate) token: Option<String>,
    pub(crate) json: bool,
    pub(crate) stop: Stop,
    pub(crate) command_line: Vec<String>,
}

/// Never shows the token.
impl fmt::Debug for Ctx {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ctx")
            .field("client", &self.client)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("json", &self.json)
            .field("stop", &self.stop)
            .finish_non_exhaustive()
    }
}

impl Ctx {
    pub(crate) fn api_url(&self) -> String {
        self.client
            .base_url()
            .as_str()
            .trim_end_matches('/')
            .to_owned()
    }
}

/// The scopes GitHub's docs name for each kind of call with a classic token.
pub(crate) const READ: &[&str] = &["read:packages"];
pub(crate) const DELETE: &[&str] = &["read:packages", "delete:packages"];
pub(crate) const RESTORE: &[&str] = &["read:packages", "write:packages"];

/// Whether a confirmation can be asked: both ends of the conversation are a
/// terminal.
pub(crate) fn interactive() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A container prune against a GitHub Enterprise Server without
    /// --registry-url: no process on loopback reaches this path (a loopback
    /// API has a registry), so its words are checked here.
    #[test]
    fn a_missing_registry_url_names_the_flags_and_the_likely_url() {
        let message = registry_needed("https://ghe.example.com/api/v3");
        assert!(message.contains("--registry-url"), "{message}");
        assert!(message.contains("--no-registry-check"), "{message}");
        assert!(
            message.contains("https://containers.ghe.example.com"),
            "{message}"
        );
        assert!(message.contains("not sent to https://ghcr.io"), "{message}");
        for by_address in ["https://10.0.0.5/api/v3", "https://[2001:db8::1]/api/v3"] {
            let message = registry_needed(by_address);
            assert!(!message.contains("containers.1"), "{message}");
            assert!(!message.contains("containers.["), "{message}");
            assert!(message.contains("--registry-url"), "{message}");
        }
    }

    #[test]
    fn debug_output_hides_the_token() {
        let token = "ghp_secret_token_for_debug_test";
        let client = Client::builder().token(token).build().unwrap();
        let ctx = Ctx {
            client,
            token: Some(token.to_owned()),
            json: false,
            stop: Stop::new(),
            command_line: Vec::new(),
        };
        let debug = format!("{ctx:?}");
        assert!(!debug.contains(token), "{debug}");
        assert!(debug.contains("<redacted>"), "{debug}");
    }
}
