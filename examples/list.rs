//! Lists the packages of an organization, a user or yourself, and the versions of each,
//! through the library's hand-written layer (`Client::packages`, lazy streams,
//! `PackageVersion::tags`).
//!
//! ```text
//! GITHUB_TOKEN=... cargo run --example list -- --org NAME [--type container]
//! GITHUB_TOKEN=... cargo run --example list -- --user NAME [--type npm]
//! GITHUB_TOKEN=... cargo run --example list -- --me
//! ```
//!
//! GitHub's packages API needs a personal access token (classic) with
//! `read:packages`, also for public packages. To try it without one, point
//! it at the fake GitHub: `ghpkg fake serve` prints a URL and a token.

use std::io::{self, Write};
use std::process::ExitCode;

use futures::TryStreamExt;
use github_packages::{Client, Error, Package, PackageType, PackagesHandler, Scope};

const USAGE: &str = "\
usage: cargo run --example list -- (--org NAME | --user NAME | --me) [--type TYPE]

Lists packages of one type and, for each, its versions (id, created, name, tags).

  --org NAME     an organization's packages
  --user NAME    a user's packages
  --me           the packages of the token's owner
  --type TYPE    npm, maven, rubygems, docker, nuget or container (default: container)
  -h, --help     this text

The token comes from GITHUB_TOKEN, else GH_TOKEN: GitHub's packages API needs a personal
access token (classic) with read:packages, also to list public packages. GITHUB_API_URL
points the client at GitHub Enterprise Server (https://HOST/api/v3), or at a fake GitHub
(`cargo run -p ghpkg -- fake serve`); the default is
https://api.github.com.";

#[derive(Debug)]
struct Args {
    scope: Scope,
    package_type: PackageType,
}

fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Option<Args>, String> {
    let mut scope = None;
    let mut package_type = PackageType::Container;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        // Accept both `--org NAME` and `--org=NAME`.
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                (flag.to_owned(), Some(value.to_owned()))
            }
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| -> Result<String, String> {
            let value = inline.clone().or_else(|| args.next()).unwrap_or_default();
            if value.is_empty() || value.starts_with('-') {
                return Err(format!("`{name}` needs a value"));
            }
            Ok(value)
        };
        let chosen = match flag.as_str() {
            "-h" | "--help" => return Ok(None),
            "--org" => Scope::org(value("--org")?),
            "--user" => Scope::user(value("--user")?),
            "--me" if inline.is_none() => Scope::AuthenticatedUser,
            "--type" => {
                let name = value("--type")?;
                package_type = name.parse().map_err(|_| {
                    format!(
                        "unknown package type `{name}`; use npm, maven, rubygems, docker, nuget \
                         or container"
                    )
                })?;
                continue;
            }
            _ => return Err(format!("unknown argument `{arg}`")),
        };
        if scope.replace(chosen).is_some() {
            return Err("give only one of --org, --user and --me".to_owned());
        }
    }
    let scope = scope.ok_or("say whose packages to list: --org NAME, --user NAME or --me")?;
    Ok(Some(Args {
        scope,
        package_type,
    }))
}

/// Mirrors `ClientBuilder::token_from_env`, to explain what a missing token means.
fn token_in_env() -> bool {
    ["GITHUB_TOKEN", "GH_TOKEN"]
        .iter()
        .any(|name| std::env::var(name).is_ok_and(|v| !v.trim().is_empty()))
}

/// Why the listing stopped early.
enum Failure {
    Api(Error),
    Output(io::Error),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Api(e)
    }
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        Failure::Output(e)
    }
}

fn plural(n: i64, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

async fn print_package(
    owner: &PackagesHandler,
    args: &Args,
    package: &Package,
) -> Result<(), Failure> {
    let mut out = io::stdout().lock();
    writeln!(
        out,
        "{} ({}, {}) {}",
        package.name,
        package.visibility,
        plural(package.version_count, "version"),
        package.html_url
    )?;
    drop(out);
    // The stream is `Unpin`: no pinning needed to poll it.
    let mut versions = owner.versions(args.package_type, &package.name).stream();
    let mut any = false;
    while let Some(version) = versions.try_next().await? {
        any = true;
        let tags = version.tags();
        let tags = if tags.is_empty() {
            String::new()
        } else {
            format!("  tags: {}", tags.join(", "))
        };
        writeln!(
            io::stdout(),
            "  {:>12}  {}  {}{tags}",
            version.id,
            version.created_at.format("%Y-%m-%d %H:%M:%S UTC"),
            version.name
        )?;
    }
    if !any {
        writeln!(io::stdout(), "  (no versions visible)")?;
    }
    Ok(())
}

async fn run(gh: &Client, args: &Args) -> Result<(), Failure> {
    let owner = gh.packages(&args.scope);
    let mut listing = owner.list(args.package_type).stream();
    let mut count = 0_i64;
    while let Some(package) = listing.try_next().await? {
        print_package(&owner, args, &package).await?;
        count += 1;
    }
    let kind = format!("{} package", args.package_type);
    writeln!(io::stdout(), "{} of {}", plural(count, &kind), args.scope)?;
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(Some(args)) => args,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(problem) => {
            eprintln!("error: {problem}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };

    if !token_in_env() {
        eprintln!(
            "error: neither GITHUB_TOKEN nor GH_TOKEN is set. GitHub's packages API needs a \
             personal access token (classic) with the `read:packages` scope, also to list \
             public packages of {}",
            args.scope
        );
        return ExitCode::FAILURE;
    }

    let mut builder = Client::builder().token_from_env();
    if let Ok(url) = std::env::var("GITHUB_API_URL")
        && !url.trim().is_empty()
    {
        builder = builder.base_url(url);
    }
    let gh = match builder.build() {
        Ok(gh) => gh,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };

    match run(&gh, &args).await {
        Ok(()) => ExitCode::SUCCESS,
        // Output piped into `head` and closed: stop quietly.
        Err(Failure::Output(e)) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(Failure::Output(e)) => {
            eprintln!("error: cannot write the listing: {e}");
            ExitCode::FAILURE
        }
        Err(Failure::Api(e)) => {
            eprintln!("error: {e}");
            let mut source = std::error::Error::source(&e);
            while let Some(cause) = source {
                eprintln!("  caused by: {cause}");
                source = cause.source();
            }
            if matches!(e, Error::Transport { .. }) {
                eprintln!(
                    "The machine may be offline, or {} cannot be reached from here (set \
                     GITHUB_API_URL for GitHub Enterprise Server).",
                    gh.base_url()
                );
            }
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Option<Args>, String> {
        parse_args(args.iter().map(|a| a.to_string()))
    }

    #[test]
    fn accepts_the_documented_forms() {
        let args = parse(&["--org", "octo-org"]).unwrap().unwrap();
        assert_eq!(args.scope, Scope::org("octo-org"));
        assert_eq!(args.package_type, PackageType::Container);
        let args = parse(&["--type=npm", "--user=octocat"]).unwrap().unwrap();
        assert_eq!(
            (args.scope, args.package_type),
            (Scope::user("octocat"), PackageType::Npm)
        );
        let args = parse(&["--me", "--type", "docker"]).unwrap().unwrap();
        assert_eq!(
            (args.scope, args.package_type),
            (Scope::AuthenticatedUser, PackageType::Docker)
        );
        assert!(parse(&["--org", "x", "--help"]).unwrap().is_none());
    }

    #[test]
    fn rejects_what_it_cannot_run() {
        for bad in [
            &[][..],
            &["--org"],
            &["--org", "--me"],
            &["--org", "a", "--user", "b"],
            &["--type", "pip", "--me"],
            &["--me=yes"],
            &["--verbose"],
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }
}
