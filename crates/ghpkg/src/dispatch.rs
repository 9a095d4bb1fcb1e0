//! From a parsed command line to a command: the token, the client, the
//! checks clap cannot express, and the call of the command's module. `demo`
//! runs its steps through here; `main` handles `demo` and `fake` itself.

use std::ffi::OsString;
use std::io::BufRead;

use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches};
use github_packages::Client;

use crate::args::{self, Cli, Command, Global};
use crate::context::{Ctx, DELETE, Failure, Outcome, READ, RESTORE, describe};
use crate::{apply, commands, prune, undo};

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

/// Runs a parsed command (other than `demo` and `fake`) with the token from
/// the environment or standard input.
pub(crate) async fn run(cli: Cli) -> Outcome {
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

/// Parses `args` (the program name first) as [`parse`](crate::parse) does, returning
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

/// The command-line flag or argument a library input field comes from.
pub(crate) fn flag_of(field: &str) -> &str {
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
