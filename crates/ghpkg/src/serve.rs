//! `ghpkg fake serve`: the crate's fake GitHub (`github_packages::fake`) as a
//! standalone server on 127.0.0.1, for testing tools written in any
//! language. Prints where it listens and a token, then serves until Ctrl-C.

use github_packages::fake::FakeGitHub;
use serde_json::json;

use crate::args::{FakeCommand, ServeArgs};
use crate::context::{Failure, Outcome};
use crate::output::{self, out};

/// The scopes of the token the fake mints: everything a packages tool does.
pub(crate) const SCOPES: &[&str] = &["read:packages", "write:packages", "delete:packages"];

pub(crate) async fn run(command: &FakeCommand, json: bool) -> Outcome {
    match command {
        FakeCommand::Serve(args) => serve(args, json).await,
    }
}

async fn serve(args: &ServeArgs, json: bool) -> Outcome {
    let mut builder = FakeGitHub::builder().port(args.port).seed(args.seed);
    if args.sample_data {
        builder = builder.sample_data();
    }
    if args.without_rate_limits {
        builder = builder.without_rate_limits();
    }
    if args.no_internal_visibility {
        builder = builder.no_internal_visibility();
    }
    let gh = builder
        .start()
        .await
        .map_err(|e| Failure::Failed(e.to_string()))?;
    let url = gh.url();
    let token = gh.token_with_scopes(SCOPES);
    if json {
        output::json_line(&json!({
            "api_url": url,
            "registry_url": url,
            "token": token,
            "scopes": SCOPES,
            "port": gh.addr().port(),
            "seed": args.seed,
        }))?;
    } else {
        let data = if args.sample_data {
            "sample data: packages of acme and of octocat, acme/app has ~300 versions"
        } else {
            "no packages yet"
        };
        let mut limits = if args.without_rate_limits {
            "no rate limits".to_owned()
        } else {
            "GitHub's rate limits".to_owned()
        };
        if args.no_internal_visibility {
            limits.push_str(", internal visibility answered as private");
        }
        out!(
            "fake GitHub listening on {} (seed {}, {data}, {limits})",
            gh.addr(),
            args.seed
        )?;
        out!("api:      {url}")?;
        out!(
            "registry: {url}   (OCI distribution API under /v2/; ghpkg finds it without \
             --registry-url: an API on loopback is its own registry)"
        )?;
        out!("token:    {token}   ({})", SCOPES.join(", "))?;
        out!("")?;
        out!("  export GITHUB_TOKEN={token}")?;
        out!("  ghpkg --api-url {url} list --org acme")?;
        out!("  ghpkg --api-url {url} prune container app --org acme --keep-last 10 --untagged")?;
        out!(
            "  curl -H \"Authorization: Bearer $GITHUB_TOKEN\" \
             '{url}/orgs/acme/packages?package_type=container'"
        )?;
        out!("")?;
        out!("serving until Ctrl-C")?;
    }
    shutdown_signal().await?;
    eprintln!("stopped");
    Ok(())
}

/// Waits for Ctrl-C, or on Unix for SIGTERM too (`kill`, a container
/// runtime stopping the process).
async fn shutdown_signal() -> Result<(), Failure> {
    let failed = |e: std::io::Error| Failure::Failed(format!("cannot wait for Ctrl-C: {e}"));
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut terminate = signal(SignalKind::terminate()).map_err(failed)?;
        tokio::select! {
            interrupted = tokio::signal::ctrl_c() => interrupted.map_err(failed),
            _ = terminate.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await.map_err(failed)
    }
}
