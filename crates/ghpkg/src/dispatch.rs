//! From a parsed command line to a command: the token, the client, the
//! checks clap cannot express, and the call of the command's module. `demo`
//! runs its steps through here; `main` handles `demo` and `fake` itself.

use std::ffi::OsString;
use std::io::BufRead;

use clap::FromArgMatches;
use clap::error::ErrorKind;
use clap::parser::ValueSource;
use github_packages::Client;
use github_packages_retention::Stop;

use crate::args::{self, Cli, Command, Global};
use crate::context::{Ctx, DELETE, Failure, Outcome, READ, RESTORE, describe};
use crate::names::{self, VersionSpec};
use crate::{apply, commands, interrupt, prune, undo};

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
        .base_url(global.api_url())
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
        .map_err(|e| Failure::Usage(format!("--api-url {}: {}", global.api_url(), describe(&e))))
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

/// Whether `command` sends writes one after another, so that Ctrl-C should
/// let the one in flight finish rather than end ghpkg at once.
fn writes_in_steps(command: &Command) -> bool {
    match command {
        Command::Prune(args) => args.yes,
        Command::Apply(args) => args.yes,
        Command::Undo { dry_run, .. } => !dry_run,
        _ => false,
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
        let given = cli.global.api_url.as_deref().unwrap_or_default();
        cli.global.api_url = Some(undo::api_url(journal, given, *api_url_source)?);
    }
    // So does an apply, with its plan's.
    if let Command::Apply(args) = &cli.command {
        let given = cli.global.api_url.as_deref().unwrap_or_default();
        cli.global.api_url = Some(apply::api_url(&args.plan, given, args.api_url_source)?);
    }
    let client = build_client(&cli.global, token.as_deref())?;
    let ctx = Ctx {
        client,
        token,
        json: cli.global.json,
        stop: Stop::new(),
        command_line: cli.command_line,
    };
    if writes_in_steps(&cli.command) {
        interrupt::watch(&ctx.stop)?;
        crate::output::finish_despite_closed_stdout();
    }
    match cli.command {
        Command::List {
            owner,
            kind,
            visibility,
        } => commands::list(&ctx, &owner.scope(), kind, visibility).await,
        Command::Versions {
            target,
            state,
            tags,
        } => commands::versions(&ctx, &target, state, &tags).await,
        Command::Get { target, version } => commands::get(&ctx, &target, version).await,
        Command::Delete {
            target,
            version,
            with_parts,
            yes,
        } => {
            let args = commands::DeleteArgs {
                target: &target,
                version,
                with_parts,
                yes,
            };
            commands::delete(&ctx, args).await
        }
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

/// A usage error (exit 2) of `subcommand` (`prune`, `fake serve`).
fn usage_error(subcommand: &str, kind: ErrorKind, message: String) -> clap::Error {
    let mut command = args::command();
    let mut sub = &mut command;
    for name in subcommand.split(' ') {
        sub = sub.find_subcommand_mut(name).expect("a known subcommand");
    }
    sub.error(kind, message)
}

/// Parses `args` (the program name first) as [`crate::parse`] does, returning
/// clap's error instead of exiting: `ghpkg demo` parses its steps with it.
pub(crate) fn parse_from<I, T>(args: I) -> Result<Cli, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let matches = args::command().try_get_matches_from(&args)?;
    let mut cli = Cli::from_arg_matches(&matches)?;
    cli.command_line = args
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    if let Command::Demo(_) | Command::Fake(_) = &cli.command {
        refuse_client_flags(&matches)?;
        return Ok(cli);
    }
    let source = api_url_from_env(&mut cli.global, matches.value_source("api_url"))?;
    match &mut cli.command {
        Command::Undo { api_url_source, .. } => *api_url_source = source,
        Command::Apply(args) => args.api_url_source = source,
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
            ErrorKind::ArgumentConflict,
            "the argument '--token <TOKEN>' cannot be used with '--version <ID>': a version \
             is restored without a package token"
                .to_owned(),
        ));
    }
    if let Err((subcommand, kind, message)) = settle_owner(&mut cli.command) {
        return Err(usage_error(subcommand, kind, message));
    }
    if let Command::Prune(args) = &cli.command
        && let Err((kind, message)) = prune::check_usage(args)
    {
        return Err(usage_error("prune", kind, message));
    }
    Ok(cli)
}

/// GITHUB_API_URL when --api-url is not given, as GitHub Actions sets it;
/// where the URL came from. Read here rather than by clap, whose usage
/// lines would then show `--api-url <URL>` as if it had been typed.
fn api_url_from_env(
    global: &mut args::Global,
    given: Option<ValueSource>,
) -> Result<Option<ValueSource>, clap::Error> {
    if given == Some(ValueSource::CommandLine) {
        return Ok(given);
    }
    let Some(value) = std::env::var_os("GITHUB_API_URL") else {
        return Ok(None);
    };
    let value = value.to_string_lossy();
    let url = args::api_url(&value).map_err(|problem| {
        args::command().error(
            ErrorKind::ValueValidation,
            format!("invalid GITHUB_API_URL '{value}': {problem}"),
        )
    })?;
    global.api_url = Some(url);
    Ok(Some(ValueSource::EnvVariable))
}

/// The global flags that configure the client, which `demo` and `fake
/// serve` do not use (they start their own fake): refused if typed, so
/// nobody thinks they took effect.
fn refuse_client_flags(matches: &clap::ArgMatches) -> Result<(), clap::Error> {
    let (name, sub) = match matches.subcommand() {
        Some(("fake", fake)) => ("fake serve", fake.subcommand().map_or(fake, |(_, s)| s)),
        Some((name, sub)) => (name, sub),
        None => return Ok(()),
    };
    let typed = |id: &str| {
        sub.value_source(id) == Some(ValueSource::CommandLine)
            || matches.value_source(id) == Some(ValueSource::CommandLine)
    };
    let unused = args::client_flags(name == "demo");
    if let Some(flag) = unused.iter().find(|(id, _)| typed(id)) {
        return Err(usage_error(
            name,
            ErrorKind::ArgumentConflict,
            format!(
                "{} does not apply to `ghpkg {name}`: it starts a fake GitHub of its own, \
                 which needs no token and applies no client settings",
                flag.1
            ),
        ));
    }
    Ok(())
}

/// A usage error of a subcommand, before clap words it.
type UsageError = (&'static str, ErrorKind, String);

/// Takes the owner (and a version) from an image reference given as the
/// package, and requires an owner where none came from one.
fn settle_owner(command: &mut Command) -> Result<(), UsageError> {
    match command {
        Command::List { owner, .. } => require_owner("list", owner),
        Command::Conflicts { owner } => require_owner("conflicts", owner),
        Command::Versions { target, .. } => settle_target("versions", target, None),
        Command::Get { target, version } => settle_target("get", target, Some(version)),
        Command::Delete {
            target, version, ..
        } => settle_target("delete", target, Some(version)),
        Command::Restore {
            target, version, ..
        } => settle_target("restore", target, Some(version)),
        Command::Prune(args) => match &mut args.name {
            Some(name) => settle_reference("prune", args.kind, name, &mut args.owner, None),
            None => require_owner("prune", &args.owner),
        },
        Command::Apply(_) | Command::Undo { .. } | Command::Demo(_) | Command::Fake(_) => Ok(()),
    }
}

fn require_owner(subcommand: &'static str, owner: &args::Owner) -> Result<(), UsageError> {
    if owner.is_unset() {
        return Err((
            subcommand,
            ErrorKind::MissingRequiredArgument,
            "whose packages? give one of --org ORG, --user USER or --me".to_owned(),
        ));
    }
    Ok(())
}

fn settle_target(
    subcommand: &'static str,
    target: &mut args::Target,
    version: Option<&mut Option<VersionSpec>>,
) -> Result<(), UsageError> {
    settle_reference(
        subcommand,
        target.kind,
        &mut target.name,
        &mut target.owner,
        version,
    )
}

/// If `name` is an image reference: the package name, the owner (which
/// must agree with --org or --user) and the version (which must not also
/// be given with --version) from it. `version` is `None` where a command
/// takes no version.
fn settle_reference(
    subcommand: &'static str,
    kind: args::Kind,
    name: &mut String,
    owner: &mut args::Owner,
    version: Option<&mut Option<VersionSpec>>,
) -> Result<(), UsageError> {
    let reference = match names::image_ref(name) {
        None => {
            return if owner.is_unset() {
                Err((
                    subcommand,
                    ErrorKind::MissingRequiredArgument,
                    "whose package? give one of --org ORG, --user USER or --me, or the package \
                     as an image reference, ghcr.io/OWNER/NAME"
                        .to_owned(),
                ))
            } else {
                Ok(())
            };
        }
        Some(Err(problem)) => return Err((subcommand, ErrorKind::ValueValidation, problem)),
        Some(Ok(reference)) => reference,
    };
    if kind != args::Kind::Container {
        return Err((
            subcommand,
            ErrorKind::ArgumentConflict,
            format!(
                "`{name}` is an image reference, which names a container package: give TYPE container"
            ),
        ));
    }
    let given = owner.org.as_deref().or(owner.user.as_deref());
    if let Some(given) = given
        && !given.eq_ignore_ascii_case(&reference.owner)
    {
        let flag = if owner.org.is_some() {
            "--org"
        } else {
            "--user"
        };
        return Err((
            subcommand,
            ErrorKind::ArgumentConflict,
            format!(
                "`{name}` names the owner {}, but {flag} is {given}: give one of them, or the \
                 same owner in both",
                reference.owner
            ),
        ));
    }
    match (reference.version, version) {
        (None, _) => {}
        (Some(_), None) => {
            return Err((
                subcommand,
                ErrorKind::ArgumentConflict,
                format!(
                    "`ghpkg {subcommand}` takes a package, not one version: leave the :TAG or \
                     @DIGEST out of `{name}`"
                ),
            ));
        }
        (Some(_), Some(Some(_))) => {
            return Err((
                subcommand,
                ErrorKind::ArgumentConflict,
                format!("`{name}` names a version, and so does --version: give one of them"),
            ));
        }
        (Some(spec), Some(slot)) => *slot = Some(spec),
    }
    owner.reference = Some(reference.owner);
    *name = reference.name;
    Ok(())
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
