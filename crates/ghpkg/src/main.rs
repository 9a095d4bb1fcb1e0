//! `ghpkg`: inspect GitHub Packages and prune old versions safely.
//!
//! Parses arguments and renders; the work is the `github_packages` client's
//! and the retention engine's (`github_packages_retention`: policy, image
//! graph, plan, journal, undo). `args.rs` is the manual, `dispatch.rs` runs a
//! parsed command, `words.rs` turns the engine's data into English, and one
//! module per command does the rest.

mod apply;
mod args;
mod commands;
mod context;
mod deleting;
mod demo;
mod dispatch;
mod duration;
mod files;
mod interrupt;
mod locate;
mod names;
mod output;
mod parts;
mod progress;
mod prune;
mod report;
mod serve;
mod shell;
mod summary;
mod undo;
mod words;

use std::process::ExitCode;

use crate::args::{Cli, Command};
use crate::context::{Failure, Outcome, describe};
use crate::dispatch::flag_of;

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

async fn run(cli: Cli) -> Outcome {
    // These two serve a fake GitHub of their own and need no token.
    match &cli.command {
        Command::Demo(args) => return demo::run(args).await,
        Command::Fake(args) => return serve::run(args, cli.global.json).await,
        _ => {}
    }
    dispatch::run(cli).await
}

/// Parses the command line, with the checks clap cannot express; exits on
/// bad usage (2) and after `--help` or `--version` (0).
fn parse() -> Cli {
    dispatch::parse_from(std::env::args_os()).unwrap_or_else(|e| e.exit())
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
        Err(Failure::Interrupted(message)) => {
            eprintln!("{message}");
            ExitCode::from(interrupt::EXIT_CODE)
        }
    }
}
