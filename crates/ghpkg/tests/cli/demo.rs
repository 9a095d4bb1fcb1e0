//! `ghpkg demo` and `ghpkg fake serve`: the main job on a fake GitHub, and
//! the fake served to other tools.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Child;

use crate::support::*;

#[test]
fn the_demo_prunes_undoes_and_checks_offline_without_a_token() {
    let dir = tempdir();
    // No token, no API URL: the builder gives the child neither.
    let run = Ghpkg::new(dir.path()).arg("demo").run();
    run.expect(0);
    let stdout = &run.stdout;
    let commands: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("$ ghpkg "))
        .map(|l| l.split(' ').next().unwrap_or_default())
        .collect();
    assert_eq!(
        commands,
        [
            "list", "versions", "prune", "prune", "versions", "undo", "versions"
        ],
        "{stdout}"
    );
    // Each command is explained first.
    let lines: Vec<&str> = stdout.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        if line.starts_with("$ ghpkg ") {
            assert!(
                lines[i - 1].starts_with("==> "),
                "{line} has no explanation"
            );
        }
    }
    assert!(stdout.contains("--yes --journal"), "{stdout}");
    // Issue 18: no path that is gone when the demo ends; the journal's name
    // is said to be in a directory the demo removes.
    for text in [stdout, &run.stderr] {
        assert!(!text.contains("ghpkg-demo-"), "{text}");
    }
    assert!(stdout.contains("removes when it ends"), "{stdout}");
    let verdict = lines.last().copied().unwrap_or_default();
    assert!(
        verdict.starts_with("ok: the prune deleted ") && verdict.contains("restored exactly those"),
        "{stdout}"
    );
    assert!(
        std::fs::read_dir(dir.path()).unwrap().next().is_none(),
        "the demo left files in the current directory"
    );
}

/// A `ghpkg fake serve` child, killed when dropped.
struct Served(Child);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(dir: &Path, args: &[&str]) -> (Served, BufReader<std::process::ChildStdout>) {
    let mut child = Ghpkg::new(dir).args(["fake", "serve"]).args(args).spawn();
    let stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
    (Served(child), stdout)
}

/// The value after `label` on the first line that starts with it.
fn value_after(lines: &mut impl Iterator<Item = String>, label: &str) -> String {
    let line = lines
        .find(|l| l.starts_with(label))
        .unwrap_or_else(|| panic!("no `{label}` line"));
    line[label.len()..]
        .split_whitespace()
        .next()
        .expect("a value")
        .to_owned()
}

#[test]
fn a_served_fake_answers_ghpkg_with_the_printed_url_and_token() {
    let dir = tempdir();
    let (_served, stdout) = serve(dir.path(), &["--port", "0", "--seed", "3"]);
    let printed: Vec<String> = stdout
        .lines()
        .map(|l| l.expect("a line of output"))
        .take_while(|l| !l.starts_with("serving until"))
        .collect();
    let mut lines = printed.iter().cloned();
    let first = lines.next().expect("the first line");
    assert!(
        first.starts_with("fake GitHub listening on 127.0.0.1:"),
        "{first}"
    );
    let api = value_after(&mut lines, "api:");
    let registry = value_after(&mut lines, "registry:");
    let token = value_after(&mut lines, "token:");
    assert_eq!(api, registry);
    let port = api.rsplit(':').next().unwrap();
    assert!(first.contains(&format!(":{port} ")), "{first}");
    assert_ne!(port, "0");
    assert!(api.starts_with("http://127.0.0.1:"), "{api}");
    let export = value_after(&mut lines, "  export");
    assert_eq!(export, format!("GITHUB_TOKEN={token}"));
    let registry_line = printed.iter().find(|l| l.starts_with("registry:")).unwrap();
    assert!(
        registry_line.contains("without --registry-url"),
        "{registry_line}"
    );

    let ghpkg = |args: &[&str]| {
        Ghpkg::new(dir.path())
            .api(&api)
            .token(&token)
            .args(args)
            .run()
    };
    let run = ghpkg(&["--json", "list", "--org", "acme", "--type", "container"]);
    run.expect(0);
    let packages = run.json();
    assert!(
        packages
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "app"),
        "{}",
        run.stdout
    );
    // The registry at the same URL serves the manifests a prune reads; the
    // prune printed finds it without --registry-url, as the output says.
    let prune = printed
        .iter()
        .filter_map(|l| l.trim().strip_prefix("ghpkg "))
        .find(|l| l.contains(" prune "))
        .unwrap_or_else(|| panic!("no prune example: {printed:?}"));
    assert!(!prune.contains("--registry-url"), "{prune}");
    let run = Ghpkg::shell(dir.path(), &format!("ghpkg {prune}"))
        .token(&token)
        .run();
    run.expect(0);
    assert!(run.stdout.contains("platform image of"), "{}", run.stdout);
}

#[test]
fn with_json_the_fake_prints_one_line_and_a_taken_port_is_an_error() {
    let dir = tempdir();
    let (_served, mut stdout) = serve(
        dir.path(),
        &["--json", "--sample-data=false", "--without-rate-limits"],
    );
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let served: serde_json::Value = serde_json::from_str(&line).expect("one JSON line");
    let port = served["port"].as_u64().expect("the port");
    assert_eq!(served["api_url"], format!("http://127.0.0.1:{port}"));
    assert_eq!(served["registry_url"], served["api_url"]);
    assert_eq!(
        served["scopes"],
        serde_json::json!(["read:packages", "write:packages", "delete:packages"])
    );
    assert!(served["token"].as_str().is_some_and(|t| !t.is_empty()));

    let taken = port.to_string();
    let run = Ghpkg::new(dir.path())
        .args(["fake", "serve", "--port", &taken])
        .run();
    run.expect(1);
    assert!(
        run.stderr.contains(&format!("port {taken}")),
        "{}",
        run.stderr
    );
}

/// `--no-internal-visibility`: the sample organization's internal package
/// reads as private, for clients typed strictly from GitHub's description.
#[test]
fn the_served_fake_can_answer_internal_visibility_as_private() {
    let dir = tempdir();
    let visibility = |extra: &[&str]| {
        let mut args = vec!["--json"];
        args.extend_from_slice(extra);
        let (_served, mut stdout) = serve(dir.path(), &args);
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let served: serde_json::Value = serde_json::from_str(&line).expect("one JSON line");
        let run = Ghpkg::new(dir.path())
            .api(served["api_url"].as_str().unwrap())
            .token(served["token"].as_str().unwrap())
            .args(["--json", "get", "container", "worker", "--org", "acme"])
            .run();
        run.expect(0);
        run.json()["visibility"].as_str().unwrap().to_owned()
    };
    assert_eq!(visibility(&[]), "internal");
    assert_eq!(visibility(&["--no-internal-visibility"]), "private");
}
