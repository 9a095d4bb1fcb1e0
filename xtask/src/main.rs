//! Entry point for `cargo xtask`: project chores that need more than a shell one-liner.
//! Arguments are parsed by hand to keep this crate's only dependency `serde_json`.

mod cut;
mod drift;
mod operations;
mod patch;
mod replay;
mod report;
mod shape;
mod spec;

use report::Format;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Something went wrong: unreadable or invalid input, a cut that fails, a patch that no
/// longer applies, a stale file under `--check`. Nothing was written.
const EXIT_ERROR: u8 = 1;
/// The command line itself is wrong.
const EXIT_USAGE: u8 = 2;
/// The run succeeded (a dry run would have), and the drift report found a breaking
/// change. Distinct from an error so a script can tell "review this" from "fix this".
const EXIT_BREAKING: u8 = 3;

const USAGE: &str = "\
usage: cargo xtask spec [--check] [--from <upstream.json> [--dry-run] [--markdown]]

  cargo xtask spec --from <upstream.json>
      cut the packages fragment out of GitHub's full OpenAPI description, print how it
      drifts from the checked-in cut, write it to spec/api.github.com.packages.upstream.json,
      apply spec/patches.json and write spec/api.github.com.packages.json
  cargo xtask spec --from <upstream.json> --dry-run
      the same report, and which files would change; writes nothing
  cargo xtask spec --from <upstream.json> [--dry-run] --markdown
      the report in Markdown, for a pull request description (other output goes to stderr)
  cargo xtask spec
      re-apply spec/patches.json to the checked-in cut (after editing the patches)
  cargo xtask spec --check [--from <upstream.json>]
      write nothing; fail if the patched fragment (or, with --from, the cut) is stale

exit status: 0 done, nothing breaking; 1 error, nothing written; 2 usage error;
  3 done (or, with --dry-run, would be done), but the report found a breaking change";

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
            "--dry-run" => options.dry_run = true,
            "--markdown" => options.markdown = true,
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
    for (given, flag) in [
        (options.dry_run, "--dry-run"),
        (options.markdown, "--markdown"),
    ] {
        if !given {
            continue;
        }
        if options.check {
            return Err(format!(
                "`{flag}` goes with `--from` alone; `--check` writes nothing and prints no report"
            ));
        }
        if options.from.is_none() {
            return Err(format!(
                "`{flag}` needs `--from <upstream.json>`: the report compares a new description with the checked-in cut"
            ));
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
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let format = if options.markdown {
        Format::Markdown
    } else {
        Format::Text
    };
    // The report is printed as soon as it is made, before anything is written.
    let mut show = |report: &report::Report| print!("{}", report.render(format));
    match spec::run(workspace_root(), &options, &mut show) {
        Ok(done) => {
            for line in done.lines {
                // Keep stdout pure Markdown, ready to paste.
                if options.markdown {
                    eprintln!("{line}");
                } else {
                    println!("{line}");
                }
            }
            ExitCode::from(exit_status(done.breaking))
        }
        Err(message) => {
            // --check may report several problems, one per line; mark each of them.
            for line in message.lines() {
                eprintln!("error: {line}");
            }
            ExitCode::from(EXIT_ERROR)
        }
    }
}

/// The status of a run that succeeded, from the breaking changes its report found.
fn exit_status(breaking: usize) -> u8 {
    if breaking > 0 { EXIT_BREAKING } else { 0 }
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
            ..spec::Options::default()
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
        assert_eq!(
            parse(&["spec", "--dry-run", "--markdown", "--from", "u.json"]),
            Ok(Command::Spec(spec::Options {
                from: Some(PathBuf::from("u.json")),
                dry_run: true,
                markdown: true,
                ..spec::Options::default()
            }))
        );
    }

    #[test]
    fn the_report_flags_need_from_and_refuse_check() {
        for flag in ["--dry-run", "--markdown"] {
            let err = parse(&["spec", flag]).unwrap_err();
            assert_eq!(
                err,
                format!(
                    "`{flag}` needs `--from <upstream.json>`: the report compares a new description with the checked-in cut"
                )
            );
            let err = parse(&["spec", "--check", "--from", "u.json", flag]).unwrap_err();
            assert!(
                err.starts_with(&format!("`{flag}` goes with `--from` alone")),
                "{err}"
            );
        }
    }

    #[test]
    fn exit_status_tells_breaking_drift_from_errors() {
        use serde_json::json;
        let doc = |responses| json!({"paths": {"/p": {"get": {"operationId": "p", "responses": responses}}}});
        let old = doc(json!({"200": {"description": "OK"}}));
        let calm = doc(json!({"200": {"description": "OK"}, "404": {"description": "No"}}));
        let broken = doc(json!({"201": {"description": "Created"}}));
        let report = |new| report::Report::new(("a", &old), ("b", new), &[]);
        assert_eq!(exit_status(report(&calm).breaking()), 0);
        assert_eq!(exit_status(report(&broken).breaking()), EXIT_BREAKING);
        let codes = [0, EXIT_ERROR, EXIT_USAGE, EXIT_BREAKING];
        assert!(
            codes
                .iter()
                .enumerate()
                .all(|(i, c)| !codes[..i].contains(c))
        );
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
