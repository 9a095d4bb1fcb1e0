//! `ghpkg`: inspect GitHub Packages and prune old versions safely.
//!
//! Parses arguments and renders; the work is the `github_packages` client's
//! and the retention engine's (`github_packages_retention`: policy, image
//! graph, plan, journal, undo). `args.rs` is the manual, `words.rs` turns the
//! engine's data into English, one module per command does the rest.

mod apply;
mod args;
mod commands;
mod deleting;
mod demo;
mod duration;
mod output;
mod progress;
mod prune;
mod report;
mod serve;
mod shell;
mod summary;
mod undo;
mod words;

use std::ffi::OsString;
use std::fmt;
use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches};
use github_packages::Client;

use crate::args::{Cli, Command, Global};

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
/// `--registry-url`.
fn registry_needed(api_url: &str) -> String {
    let example = url::Url::parse(api_url)
        .ok()
        .and_then(|u| u.host_str().map(|h| format!("https://containers.{h}")))
        .unwrap_or_else(|| "https://containers.HOST".to_owned());
    format!(
        "--api-url is {api_url}, not GitHub.com, so its token is not sent to \
         {}: pass --registry-url with this server's container registry (GitHub Enterprise \
         Server serves it at containers.HOST, here probably {example}) so multi-arch images \
         can be protected, or --no-registry-check to delete without that protection",
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
/// too) and the output mode.
pub(crate) struct Ctx {
    pub(crate) client: Client,
    pub(crate) token: Option<String>,
    pub(crate) json: bool,
}

/// Never shows the token.
impl fmt::Debug for Ctx {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ctx")
            .field("client", &self.client)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("json", &self.json)
            .finish()
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

fn read_token(global: &Global) -> Result<Option<String>, Failure> {
    if global.token_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| Failure::Failed(format!("cannot read the token from stdin: {e}")))?;
        let token = line.trim().to_owned();
        if token.is_empty() {
            return Err(Failure::Usage(
                "--token-stdin given but standard input was empty".into(),
            ));
        }
        return Ok(Some(token));
    }
    Ok(["GITHUB_TOKEN", "GH_TOKEN"]
        .iter()
        .filter_map(|name| std::env::var(name).ok())
        .map(|value| value.trim().to_owned())
        .find(|value| !value.is_empty()))
}

fn build_client(global: &Global, token: Option<&str>) -> Result<Client, Failure> {
    let mut builder = Client::builder()
        .base_url(global.api_url.clone())
        .user_agent(concat!("ghpkg/", env!("CARGO_PKG_VERSION")))
        .min_write_interval(global.write_interval)
        .points_per_minute(global.points_per_minute)
        .max_retries(global.max_retries)
        .max_rate_limit_wait(global.max_rate_limit_wait);
    if let Some(token) = token {
        builder = builder.token(token);
    }
    // The URL was checked when the command line was parsed; anything the
    // library still refuses is a usage error too.
    builder
        .build()
        .map_err(|e| Failure::Usage(format!("--api-url {}: {}", global.api_url, describe(&e))))
}

/// The scopes GitHub's docs name for each kind of call with a classic token.
pub(crate) const READ: &[&str] = &["read:packages"];
pub(crate) const DELETE: &[&str] = &["read:packages", "delete:packages"];
pub(crate) const RESTORE: &[&str] = &["read:packages", "write:packages"];

/// What `command` does that needs a token, and the scopes it needs; `None`
/// when ghpkg leaves it to GitHub (reads and dry runs, whose 401 names the
/// token to set) or sends nothing that needs one (an undo dry run).
fn token_needed(command: &Command) -> Option<(&'static str, &'static [&'static str])> {
    let me = |owner: &args::Owner| owner.me.then_some(("--me", READ));
    match command {
        Command::Prune(args) if args.yes => Some(("prune --yes", DELETE)),
        Command::Prune(args) => me(&args.owner),
        Command::Delete { .. } => Some(("delete", DELETE)),
        Command::Restore { .. } => Some(("restore", RESTORE)),
        Command::Apply(args) if args.yes => Some(("apply --yes", DELETE)),
        Command::Apply(_) => None,
        Command::Undo { dry_run: false, .. } => Some(("undo", RESTORE)),
        Command::Undo { .. } => None,
        Command::List { owner, .. } | Command::Conflicts { owner } => me(owner),
        Command::Versions { target, .. } | Command::Get { target, .. } => me(&target.owner),
        Command::Demo(_) | Command::Fake(_) => None,
    }
}

/// The usage error for a command that needs a token and has none.
fn missing_token(what: &str, scopes: &[&str]) -> Failure {
    let scopes = scopes
        .iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(" and ");
    Failure::Usage(format!(
        "`ghpkg {what}` needs a token and none was given: set GITHUB_TOKEN or GH_TOKEN, or pipe \
         it to --token-stdin. GitHub's packages API takes a personal access token (classic) \
         with {scopes}"
    ))
}

/// The command-line flag or argument a library input field comes from.
fn flag_of(field: &str) -> &str {
    match field {
        "org" => "--org",
        "username" => "--user",
        "package_name" => "the package NAME",
        "package_version_id" => "--version",
        "base_url" => "--api-url",
        "token" => "the token (GITHUB_TOKEN, GH_TOKEN or --token-stdin)",
        other => other,
    }
}

/// `-v`: the library's one line per request and per wait; `-vv`: everything,
/// the HTTP stack's internals included.
fn init_tracing(verbose: u8) {
    use tracing_subscriber::filter::{LevelFilter, Targets};
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let filter = match verbose {
        0 => return,
        1 => Targets::new()
            .with_target("github_packages", tracing::Level::DEBUG)
            .with_target("ghpkg", tracing::Level::DEBUG),
        _ => Targets::new().with_default(LevelFilter::TRACE),
    };
    let layer = tracing_subscriber::fmt::layer()
        .compact()
        .with_writer(std::io::stderr)
        .with_target(false);
    let _ = tracing_subscriber::registry()
        .with(layer)
        .with(filter)
        .try_init();
}

/// Whether a confirmation can be asked: both ends of the conversation are a
/// terminal.
pub(crate) fn interactive() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

async fn run(cli: Cli) -> Outcome {
    // These two serve a fake GitHub of their own and need no token.
    match &cli.command {
        Command::Demo(args) => return demo::run(args).await,
        Command::Fake(args) => return serve::run(args, cli.global.json).await,
        _ => {}
    }
    let token = read_token(&cli.global)?;
    run_with_token(cli, token).await
}

/// Runs a parsed command with `token` instead of one from the environment:
/// `main`'s path after reading the token, and the one `ghpkg demo` runs its
/// steps through.
pub(crate) async fn run_with_token(mut cli: Cli, token: Option<String>) -> Outcome {
    if token.is_none()
        && let Some((what, scopes)) = token_needed(&cli.command)
    {
        return Err(missing_token(what, scopes));
    }
    // An undo talks to the API its journal was written against.
    if let Command::Undo {
        journal,
        api_url_source,
        ..
    } = &cli.command
    {
        cli.global.api_url = undo::api_url(journal, &cli.global.api_url, *api_url_source)?;
    }
    // So does an apply, with its plan's.
    if let Command::Apply(args) = &cli.command {
        cli.global.api_url = apply::api_url(&args.plan, &cli.global.api_url, args.api_url_source)?;
    }
    // An empty GITHUB_API_URL means the default, as if it were unset.
    if cli.global.api_url.trim().is_empty() {
        github_packages::DEFAULT_BASE_URL.clone_into(&mut cli.global.api_url);
    }
    let client = build_client(&cli.global, token.as_deref())?;
    let ctx = Ctx {
        client,
        token,
        json: cli.global.json,
    };
    match cli.command {
        Command::List {
            owner,
            kind,
            visibility,
        } => commands::list(&ctx, &owner.scope(), kind, visibility).await,
        Command::Versions { target, state } => commands::versions(&ctx, &target, state).await,
        Command::Get { target, version } => commands::get(&ctx, &target, version).await,
        Command::Delete {
            target,
            version,
            yes,
        } => commands::delete(&ctx, &target, version, yes).await,
        Command::Restore {
            target,
            version,
            token,
        } => commands::restore(&ctx, &target, version, token).await,
        Command::Conflicts { owner } => commands::conflicts(&ctx, &owner.scope()).await,
        Command::Prune(args) => prune::run(&ctx, &args).await,
        Command::Apply(args) => apply::run(&ctx, &args).await,
        Command::Undo {
            journal, dry_run, ..
        } => undo::run(&ctx, &journal, dry_run).await,
        Command::Demo(_) | Command::Fake(_) => Err(Failure::Usage(
            "`ghpkg demo` and `ghpkg fake` start a fake GitHub of their own; they do not run \
             as a step of another command"
                .to_owned(),
        )),
    }
}

/// A usage error (exit 2) of `subcommand`.
fn usage_error(subcommand: &str, kind: clap::error::ErrorKind, message: String) -> clap::Error {
    let mut command = Cli::command();
    // Building propagates the binary name, so the usage line reads
    // `ghpkg prune ...` rather than `prune ...`.
    command.build();
    let sub = command
        .find_subcommand_mut(subcommand)
        .expect("a known subcommand");
    sub.error(kind, message)
}

/// Parses the command line, with the checks clap cannot express; exits on
/// bad usage (2) and after `--help` or `--version` (0).
fn parse() -> Cli {
    parse_from(std::env::args_os()).unwrap_or_else(|e| e.exit())
}

/// Parses `args` (the program name first) as [`parse`] does, returning
/// clap's error instead of exiting: `ghpkg demo` parses its steps with it.
pub(crate) fn parse_from<I, T>(args: I) -> Result<Cli, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let matches = Cli::command().try_get_matches_from(args)?;
    let mut cli = Cli::from_arg_matches(&matches)?;
    match &mut cli.command {
        Command::Undo { api_url_source, .. } => {
            *api_url_source = matches.value_source("api_url");
        }
        Command::Apply(args) => args.api_url_source = matches.value_source("api_url"),
        _ => {}
    }
    // A restore token from GHPKG_RESTORE_TOKEN is simply not used with
    // --version; only one typed on the command line is a mistake.
    if let Some(("restore", sub)) = matches.subcommand()
        && sub.value_source("token") == Some(ValueSource::CommandLine)
        && sub.value_source("version").is_some()
    {
        return Err(usage_error(
            "restore",
            clap::error::ErrorKind::ArgumentConflict,
            "the argument '--token <TOKEN>' cannot be used with '--version <ID>': a version \
             is restored without a package token"
                .to_owned(),
        ));
    }
    if let Command::Prune(args) = &cli.command
        && let Err((kind, message)) = prune::check_usage(args)
    {
        return Err(usage_error("prune", kind, message));
    }
    Ok(cli)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = parse();
    init_tracing(cli.global.verbose);
    match run(cli).await {
        Ok(()) | Err(Failure::StdoutClosed) => ExitCode::SUCCESS,
        Err(Failure::Usage(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
        // Input the library refused before sending anything is bad usage.
        Err(Failure::Api(github_packages::Error::InvalidInput { field, problem, .. })) => {
            eprintln!("error: invalid {}: {problem}", flag_of(field));
            ExitCode::from(2)
        }
        Err(Failure::Api(error)) => {
            eprintln!("error: {}", describe(&error));
            ExitCode::FAILURE
        }
        Err(Failure::Failed(message)) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_hides_the_token() {
        let token = "ghp_secret_token_for_debug_test";
        let client = Client::builder().token(token).build().unwrap();
        let ctx = Ctx {
            client,
            token: Some(token.to_owned()),
            json: false,
        };
        let debug = format!("{ctx:?}");
        assert!(!debug.contains(token), "{debug}");
        assert!(debug.contains("<redacted>"), "{debug}");
    }
}
