//! Entry point for `cargo xtask`: project chores that need more than a shell one-liner.
//! Arguments are parsed by hand to keep this crate's only dependency `serde_json`.

mod cut;
mod patch;
mod spec;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask spec [--check] [--from <upstream.json>]

  cargo xtask spec --from <upstream.json>
      cut the packages fragment out of GitHub's full OpenAPI description, write it to
      spec/api.github.com.packages.upstream.json, apply spec/patches.json and write
      spec/api.github.com.packages.json
  cargo xtask spec
      re-apply spec/patches.json to the checked-in cut (after editing the patches)
  cargo xtask spec --check [--from <upstream.json>]
      write nothing; fail if the patched fragment (or, with --from, the cut) is stale";

#[derive(Debug, PartialEq, Eq)]
enum Command {
    Help,
    Spec(spec::Options),
}

fn parse_args(args: &[String]) -> Result<Command, String> {
    let mut args = args.iter();
    match args.next().map(String::as_str) {
        Some("spec") => {}
        Some("help" | "-h" | "--help") => return Ok(Command::Help),
        Some(other) => return Err(format!("unknown command `{other}`")),
        None => return Err("no command given".into()),
    }
    let mut options = spec::Options::default();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "--check" => options.check = true,
            "--from" => {
                let path = args.next().ok_or("`--from` needs a path")?;
                set_from(&mut options, path)?;
            }
            other => match other.strip_prefix("--from=") {
                Some(path) => set_from(&mut options, path)?,
                None => return Err(format!("unknown argument `{other}`")),
            },
        }
    }
    Ok(Command::Spec(options))
}

fn set_from(options: &mut spec::Options, path: &str) -> Result<(), String> {
    if options.from.is_some() {
        return Err("`--from` given twice".into());
    }
    if path.is_empty() || path.starts_with('-') {
        return Err(format!("`--from` needs a path, got `{path}`"));
    }
    options.from = Some(PathBuf::from(path));
    Ok(())
}

/// The workspace root, fixed at compile time so the command behaves the same from any
/// working directory (cargo runs aliases from wherever the user is).
fn workspace_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let options = match parse_args(&args) {
        Ok(Command::Help) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Ok(Command::Spec(options)) => options,
        Err(e) => {
            eprintln!("error: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match spec::run(workspace_root(), &options) {
        Ok(lines) => {
            for line in lines {
                println!("{line}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            // --check may report several problems, one per line; mark each of them.
            for line in e.lines() {
                eprintln!("error: {line}");
            }
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Command, String> {
        parse_args(&args.iter().map(|a| a.to_string()).collect::<Vec<_>>())
    }

    fn spec(check: bool, from: Option<&str>) -> Command {
        Command::Spec(spec::Options {
            check,
            from: from.map(PathBuf::from),
        })
    }

    #[test]
    fn accepts_the_documented_forms() {
        assert_eq!(parse(&["spec"]), Ok(spec(false, None)));
        assert_eq!(
            parse(&["spec", "--from", "u.json"]),
            Ok(spec(false, Some("u.json")))
        );
        assert_eq!(parse(&["spec", "--check"]), Ok(spec(true, None)));
        assert_eq!(
            parse(&["spec", "--from=u.json", "--check"]),
            Ok(spec(true, Some("u.json")))
        );
        assert_eq!(parse(&["spec", "--help"]), Ok(Command::Help));
        assert_eq!(parse(&["--help"]), Ok(Command::Help));
    }

    #[test]
    fn rejects_everything_else() {
        for bad in [
            &[][..],
            &["build"],
            &["spec", "--chek"],
            &["spec", "extra"],
            &["spec", "--from"],
            &["spec", "--from", "--check"],
            &["spec", "--from", "a", "--from", "b"],
        ] {
            assert!(parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn root_holds_the_workspace_manifest() {
        assert!(workspace_root().join("Cargo.toml").is_file());
        assert!(workspace_root().join("xtask").is_dir());
    }
}
