//! Every example a reader is shown runs: the `ghpkg` commands of the
//! README's command list and of every `--help` text, and the README's plan
//! file, each against the fake GitHub with its sample data (organization
//! acme, user octocat), in the order shown, in one directory.
//!
//! What the test adds to a command, and only that: the fake's URL and
//! token in the environment (`GITHUB_API_URL`, `GITHUB_TOKEN`, as a user
//! exports them), no write pacing (`--write-interval 0 --points-per-minute
//! 0`: the fake has no rate limits) except for `demo` and `fake serve`,
//! which refuse client flags, `--port 0` for `fake serve`, and a
//! journal the example names by a placeholder date is the one the examples
//! before it wrote.

use std::path::Path;

use crate::fakes::Fake;
use crate::support::{Ghpkg, Run, tempdir};

const README: &str = include_str!("../../../../README.md");

/// The `ghpkg` lines of `text` that start with `prefix` (a README block:
/// none; a help text's examples: two spaces), without comments.
fn commands(text: &str, prefix: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| line.strip_prefix(prefix))
        .filter(|line| line.starts_with("ghpkg "))
        .map(|line| match line.find("  #") {
            Some(at) => line[..at].trim().to_owned(),
            None => line.to_owned(),
        })
        .collect()
}

/// The README's command list: the `sh` block of the `ghpkg` section.
fn readme_commands() -> Vec<String> {
    let section = README
        .find("## `ghpkg`")
        .expect("the README has a ghpkg section");
    let block = &README[section..];
    let start = block.find("```sh\n").expect("a sh block") + "```sh\n".len();
    let end = block[start..].find("```").expect("the block ends") + start;
    commands(&block[start..end], "")
}

/// The examples of every subcommand's `--help` (and of `ghpkg --help`).
fn help_commands(dir: &Path) -> Vec<String> {
    let mut all = Vec::new();
    for sub in [
        "",
        "list",
        "versions",
        "get",
        "delete",
        "restore",
        "conflicts",
        "prune",
        "apply",
        "undo",
        "demo",
    ] {
        let mut args: Vec<&str> = sub.split_whitespace().collect();
        args.push("--help");
        let run = Ghpkg::new(dir).args(&args).run();
        run.expect(0);
        all.extend(commands(&run.stdout, "  "));
    }
    let run = Ghpkg::new(dir).args(["fake", "serve", "--help"]).run();
    run.expect(0);
    all.extend(commands(&run.stdout, "  "));
    all
}

/// Runs one example as a user would paste it, against `fake`.
fn run_example(fake: &Fake, dir: &Path, command: &str) -> Run {
    // `demo` and `fake serve` start their own fake and take no client flags.
    let pacing = if command.starts_with("ghpkg demo") || command.contains("fake serve") {
        "ghpkg "
    } else {
        "ghpkg --write-interval 0 --points-per-minute 0 "
    };
    let mut line = command
        .replacen("ghpkg ", pacing, 1)
        // The URL `fake serve --port 8090` would print.
        .replace("http://127.0.0.1:8090", &fake.url());
    // A journal named by a placeholder date is the newest one written.
    if let Some(named) = line.split_whitespace().find(|w| w.ends_with(".jsonl"))
        && !dir.join(named).exists()
        && let Some(newest) = newest_journal(dir)
    {
        std::fs::copy(&newest, dir.join(named)).expect("the journal is copied");
    }
    if line.contains("fake serve") {
        line = line.replace("--port 8090", "--port 0").replace(" &", "");
        return serve_briefly(dir, &line);
    }
    Ghpkg::shell(dir, &line)
        .env("GITHUB_API_URL", fake.url())
        .env("GITHUB_TOKEN", &fake.token)
        .run()
}

fn newest_journal(dir: &Path) -> Option<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".jsonl"))
        .max_by_key(|e| e.metadata().and_then(|m| m.modified()).ok())
        .map(|e| e.path())
}

/// `ghpkg fake serve` serves until stopped: it runs if it prints where it
/// listens; then it is stopped.
fn serve_briefly(dir: &Path, line: &str) -> Run {
    use std::io::BufRead;
    let mut child = Ghpkg::shell(dir, &format!("exec {line}")).spawn();
    let mut stdout = std::io::BufReader::new(child.stdout.take().expect("stdout"));
    let mut first = String::new();
    stdout.read_line(&mut first).expect("a first line");
    let _ = child.kill();
    let _ = child.wait();
    Run {
        code: if first.contains("listening on 127.0.0.1") {
            0
        } else {
            1
        },
        stdout: first,
        stderr: String::new(),
    }
}

#[test]
fn every_example_command_runs_against_the_fake() {
    let fake = Fake::with(|b| b.without_rate_limits().sample_data());
    let dir = tempdir();
    let mut examples = readme_commands();
    assert!(examples.len() >= 10, "{examples:?}");
    let help = help_commands(dir.path());
    assert!(
        help.iter()
            .any(|c| c.contains("--keep-tagged 10 --untagged")),
        "{help:?}"
    );
    examples.extend(help);
    let mut failures = Vec::new();
    for command in &examples {
        let run = run_example(&fake, dir.path(), command);
        if run.code != 0 {
            failures.push(format!(
                "`{command}` exited {}:\n{}{}",
                run.code, run.stdout, run.stderr
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The README's plan file sample is a plan `ghpkg apply` takes: pointed at
/// the fake (and made now), it applies; its one version is not in the
/// fake's package, so it is skipped, and nothing else is deleted.
#[test]
fn the_readme_plan_file_applies() {
    let fake = Fake::with(|b| b.without_rate_limits().sample_data());
    let dir = tempdir();
    let start = README
        .find("```json\n{\n  \"format\": \"ghpkg-plan\"")
        .expect("the README shows a plan file")
        + "```json\n".len();
    let end = README[start..].find("```").expect("the block ends") + start;
    let mut plan: serde_json::Value =
        serde_json::from_str(&README[start..end]).expect("the sample is JSON");
    plan["api_url"] = fake.url().into();
    plan["created_at"] = chrono::Utc::now()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        .into();
    std::fs::write(dir.path().join("plan.json"), plan.to_string()).unwrap();
    let run = fake
        .cli(dir.path())
        .args(["--json", "apply", "plan.json", "--yes"])
        .run();
    run.expect(0);
    let report = run.json();
    assert_eq!(report["packages"][0]["skipped"][0]["id"], 41, "{report}");
    assert_eq!(
        report["packages"][0]["skipped"][0]["reason"]["code"],
        "no_longer_exists"
    );
    assert_eq!(fake.deletes_sent(), 0);
}
