//! Help a person can read: prune's options under headings, `-h` short and
//! `--help` long with the pointer to the rules' table, no client flags
//! where they do not apply, usage lines that show only what was typed, and
//! the flags other tools taught people (`--dry-run`, `-y`).

use crate::fakes::Fake;
use crate::support::*;

fn help(args: &[&str]) -> String {
    let run = Ghpkg::new(tempdir().path()).args(args).run();
    run.expect(0);
    run.stdout
}

#[test]
fn prune_help_groups_its_options_under_headings() {
    let short = help(&["prune", "-h"]);
    let long = help(&["prune", "--help"]);
    let headings = [
        "What to prune:",
        "What to keep:",
        "What to delete:",
        "How to run:",
        "Global options:",
    ];
    for text in [&short, &long] {
        let at: Vec<usize> = headings
            .iter()
            .map(|h| text.find(h).unwrap_or_else(|| panic!("no {h}:\n{text}")))
            .collect();
        assert!(at.windows(2).all(|w| w[0] < w[1]), "out of order:\n{text}");
        // Each option sits under its heading, global ones last.
        let section = |flag: &str| {
            let line = format!("\n      {flag}");
            let at = text
                .find(&line)
                .unwrap_or_else(|| panic!("{flag}:\n{text}"));
            headings.iter().rposition(|h| text.find(h).unwrap() < at)
        };
        assert_eq!(section("--org <ORG>"), Some(0));
        assert_eq!(section("--keep-tagged <N>"), Some(1));
        assert_eq!(section("--exclude-tag <GLOB>"), Some(1));
        assert_eq!(section("--untagged"), Some(2));
        assert_eq!(section("--older-than <DURATION>"), Some(2));
        assert_eq!(section("--plan-out <FILE>"), Some(3));
        assert_eq!(section("--token-stdin"), Some(4));
        assert_eq!(section("--api-url <URL>"), Some(4));
    }
    // -h is a summary, one line per option; --help is the manual.
    assert!(short.lines().count() * 2 < long.lines().count());
    assert!(short.lines().all(|l| l.chars().count() <= 160), "{short}");
    assert!(short.contains("ghpkg prune --help"), "{short}");
    for text in [&short, &long] {
        assert!(text.contains("Prune: the retention policy"), "{text}");
    }
    assert!(long.contains("\"version\": 3"), "{long}");
}

#[test]
fn demo_and_fake_serve_list_only_the_flags_they_use() {
    let client_flags = [
        "--api-url",
        "--token-stdin",
        "--write-interval",
        "--points-per-minute",
        "--max-retries",
        "--max-rate-limit-wait",
    ];
    // The option lines of a help text, by their flags.
    let options = |args: &[&str]| -> Vec<String> {
        help(args)
            .lines()
            .map(str::trim_start)
            .filter(|l| l.starts_with('-'))
            .map(str::to_owned)
            .collect()
    };
    let lists = |options: &[String], flag: &str| options.iter().any(|l| l.contains(flag));
    for args in [&["demo", "--help"][..], &["fake", "serve", "--help"]] {
        let options = options(args);
        for flag in client_flags {
            assert!(!lists(&options, flag), "{args:?} lists {flag}: {options:?}");
        }
        assert!(lists(&options, "--verbose"), "{options:?}");
    }
    assert!(!lists(&options(&["demo", "--help"]), "--json"));
    assert!(lists(&options(&["fake", "serve", "--help"]), "--json"));
    // Typed anyway, they are refused rather than ignored.
    for args in [
        &["demo", "--write-interval", "0"][..],
        &["--api-url", "https://ghe.example.com/api/v3", "demo"],
        &["fake", "serve", "--max-retries", "1"],
    ] {
        let run = Ghpkg::new(tempdir().path()).args(args).run();
        run.expect(2);
        assert!(
            run.stderr.contains("does not apply"),
            "{args:?}: {}",
            run.stderr
        );
    }
    // The global flags still reach every other command.
    assert!(help(&["list", "--help"]).contains("--write-interval"));
}

#[test]
fn usage_lines_show_the_api_url_only_when_it_was_typed() {
    let run = Ghpkg::new(tempdir().path())
        .env("GITHUB_API_URL", "https://ghe.example.com/api/v3")
        .args(["list", "--org", "acme", "--user", "b"])
        .run();
    run.expect(2);
    let usage = run
        .stderr
        .lines()
        .find(|l| l.starts_with("Usage:"))
        .unwrap_or_else(|| panic!("{}", run.stderr));
    assert!(!usage.contains("--api-url"), "{usage}");
    // GITHUB_API_URL is still read, and still checked.
    let run = Ghpkg::new(tempdir().path())
        .env("GITHUB_API_URL", "ftp://ghe.example.com")
        .args(["list", "--org", "acme"])
        .run();
    run.expect(2);
    assert!(run.stderr.contains("GITHUB_API_URL"), "{}", run.stderr);
}

#[test]
fn dry_run_and_dash_y_are_understood() {
    let fake = Fake::start();
    let app = crate::undo::untagged_app(&fake.gh, 2);
    let dir = tempdir();
    let prune = |extra: &[&str]| {
        fake.ghpkg(
            dir.path(),
            &prune_app(&[&["--untagged", "--no-registry-check"], extra].concat()),
        )
    };
    let run = prune(&["--dry-run"]);
    run.expect(0);
    assert!(
        run.stdout.contains("dry run: nothing deleted"),
        "{}",
        run.stdout
    );
    assert_eq!(fake.deletes_sent(), 0);
    let run = prune(&["--dry-run", "--yes"]);
    run.expect(2);
    assert!(run.stderr.contains("--dry-run"), "{}", run.stderr);
    prune(&["-y"]).expect(0);
    assert_eq!(fake.deleted("app"), app);
}
