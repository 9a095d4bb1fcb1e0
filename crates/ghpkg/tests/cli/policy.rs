//! Each retention flag, alone and combined, on 300 generated versions: the
//! set of versions a dry run plans to delete must be exactly the one
//! computed here from the fixture's description, and nothing is deleted.

use std::collections::BTreeSet;

use httpmock::MockServer;
use serde_json::Value;

use crate::support::*;

/// One generated version: `rank` 0 is the newest.
struct Spec {
    id: i64,
    age_hours: i64,
    tags: Vec<String>,
}

/// 300 versions, one every 6 hours starting 3 hours ago (so no cutoff in
/// whole days falls near one). Every tenth is a release (`v{n}`, the newest
/// also `latest`), those ending in 3 are pull-request builds (`pr-{n}`),
/// those ending in 7 carry two tags (`sha-{hex}`, `nightly-{n}`), the rest
/// are untagged.
fn specs() -> Vec<Spec> {
    (0..300)
        .map(|rank: i64| {
            let tags = match rank % 10 {
                0 if rank == 0 => vec!["latest".to_owned(), "v0".to_owned()],
                0 => vec![format!("v{rank}")],
                3 => vec![format!("pr-{rank}")],
                7 => vec![format!("sha-{rank:x}"), format!("nightly-{rank}")],
                _ => vec![],
            };
            Spec {
                id: 5000 + rank,
                age_hours: rank * 6 + 3,
                tags,
            }
        })
        .collect()
}

/// The versions as GitHub would list them, in a scrambled order so the
/// planner's own sorting is what counts.
fn listing(specs: &[Spec]) -> Vec<Value> {
    let mut order: Vec<usize> = (0..specs.len()).collect();
    order.sort_by_key(|i| (i * 7919) % specs.len());
    order
        .into_iter()
        .map(|i| {
            let s = &specs[i];
            version(s.id, hours_ago(s.age_hours), &s.tags)
        })
        .collect()
}

/// Runs a dry-run prune with `flags` and returns its report, after checking
/// that nothing was deleted and the plan covers all 300 versions.
fn dry_run(flags: &[&str]) -> Value {
    let server = MockServer::start();
    let registry = plain_registry();
    let specs = specs();
    let _listing = mock_listing(&server, VERSIONS, &listing(&specs));
    let deletes = mock_any_delete(&server);
    let unexpected = catch_all(&server);
    let dir = tempdir();
    let mut args = vec![
        "--json",
        "prune",
        "container",
        "app",
        "--org",
        "acme",
        "--registry-url",
    ];
    let registry_url = registry.base_url();
    args.push(&registry_url);
    args.extend_from_slice(flags);
    let run = ghpkg_in(dir.path(), &server, &args);
    run.expect(0);
    let report = run.prune_json();
    assert_eq!(report["dry_run"], true);
    assert_eq!(report["plan"].as_array().unwrap().len(), 300);
    assert_eq!(report["journal"], Value::Null);
    assert_eq!(deletes.calls(), 0, "a dry run sent a DELETE");
    assert_eq!(unexpected.calls(), 0);
    // No journal is written by a dry run.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    report
}

fn expected(pick: impl Fn(i64, &Spec) -> bool) -> Vec<i64> {
    let specs = specs();
    let ids: BTreeSet<i64> = specs
        .iter()
        .enumerate()
        .filter(|(rank, s)| pick(*rank as i64, s))
        .map(|(_, s)| s.id)
        .collect();
    ids.into_iter().collect()
}

fn reason_of(report: &Value, id: i64) -> String {
    report["plan"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == id)
        .map(|e| e["reason"].as_str().unwrap().to_owned())
        .unwrap()
}

#[test]
fn keep_last_deletes_everything_older_than_the_newest_n() {
    let report = dry_run(&["--keep-last", "50"]);
    assert_eq!(planned(&report, "delete"), expected(|rank, _| rank >= 50));
    assert_eq!(reason_of(&report, 5000), "kept: one of the 50 most recent");
    // The plan lists the newest first.
    assert_eq!(report["plan"][0]["id"], 5000);
    assert_eq!(report["plan"][299]["id"], 5299);
}

#[test]
fn older_than_deletes_only_versions_past_the_cutoff() {
    let report = dry_run(&["--older-than", "30d"]);
    assert_eq!(
        planned(&report, "delete"),
        expected(|_, s| s.age_hours > 30 * 24)
    );
    assert_eq!(reason_of(&report, 5000), "kept: newer than 30d");
}

#[test]
fn untagged_deletes_only_untagged_versions() {
    let report = dry_run(&["--untagged"]);
    assert_eq!(
        planned(&report, "delete"),
        expected(|_, s| s.tags.is_empty())
    );
    assert_eq!(
        reason_of(&report, 5010),
        "kept: tagged and --untagged given"
    );
}

#[test]
fn tag_globs_select_versions_whose_every_tag_matches() {
    let report = dry_run(&["--tag", "pr-*", "--tag", "sha-?f"]);
    // A version is deleted with all its tags, so every tag must match: the
    // `sha-…`/`nightly-…` pairs stay, because no --tag matches `nightly-…`.
    let want = expected(|_, s| !s.tags.is_empty() && s.tags.iter().all(|t| t.starts_with("pr-")));
    assert!(want.len() > 20, "the fixture should exercise the glob");
    assert_eq!(planned(&report, "delete"), want);
    assert_eq!(
        reason_of(&report, 5047),
        "kept: also tagged nightly-47, which no --tag matches"
    );
    let report = dry_run(&["--tag", "pr-*", "--tag", "sha-*", "--tag", "nightly-*"]);
    let want = expected(|rank, _| rank % 10 == 3 || rank % 10 == 7);
    assert_eq!(planned(&report, "delete"), want);
}

#[test]
fn exclude_tag_protects_even_what_other_flags_select() {
    let report = dry_run(&[
        "--tag",
        "*",
        "--exclude-tag",
        "v*",
        "--exclude-tag",
        "nightly-2??",
    ]);
    let want = expected(|_, s| {
        !s.tags.is_empty()
            && !s.tags.iter().any(|t| t.starts_with('v'))
            && !s
                .tags
                .iter()
                .any(|t| t.starts_with("nightly-2") && t.len() == 11)
    });
    assert_eq!(planned(&report, "delete"), want);
    assert_eq!(
        reason_of(&report, 5000),
        "kept: tag v0 matches --exclude-tag v*"
    );
}

#[test]
fn combined_flags_must_all_hold() {
    let report = dry_run(&[
        "--keep-last",
        "20",
        "--older-than",
        "10d",
        "--untagged",
        "--tag",
        "pr-*",
        "--exclude-tag",
        "pr-1*",
    ]);
    let want = expected(|rank, s| {
        let pr = s.tags.iter().any(|t| t.starts_with("pr-"));
        let pr_excluded = s.tags.iter().any(|t| t.starts_with("pr-1"));
        rank >= 20 && s.age_hours > 10 * 24 && (s.tags.is_empty() || pr) && !pr_excluded
    });
    assert_eq!(planned(&report, "delete"), want);
    assert_eq!(
        planned(&report, "delete").len() + planned(&report, "keep").len(),
        300
    );
}

#[test]
fn max_delete_refuses_a_plan_that_is_too_big() {
    let server = MockServer::start();
    let registry = plain_registry();
    let _listing = mock_listing(&server, VERSIONS, &listing(&specs()));
    let deletes = mock_any_delete(&server);
    let dir = tempdir();
    let run = ghpkg_in(
        dir.path(),
        &server,
        &[
            "--json",
            "prune",
            "container",
            "app",
            "--org",
            "acme",
            "--registry-url",
            &registry.base_url(),
            "--keep-last",
            "100",
            "--max-delete",
            "199",
            "--yes",
        ],
    );
    run.expect(1);
    let report = run.prune_json();
    assert_eq!(planned(&report, "delete").len(), 200);
    assert!(
        report["error"]
            .as_str()
            .unwrap()
            .contains("--max-delete 199"),
        "{report}"
    );
    assert!(
        run.stderr.contains("error: the plan deletes 200 versions"),
        "{}",
        run.stderr
    );
    assert_eq!(report["deleted"].as_array().unwrap().len(), 0);
    assert_eq!(deletes.calls(), 0);
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "no journal"
    );
}

#[test]
fn a_human_dry_run_prints_the_plan_and_deletes_nothing() {
    let server = MockServer::start();
    let registry = plain_registry();
    let specs: Vec<Spec> = specs().into_iter().take(12).collect();
    let _listing = mock_listing(&server, VERSIONS, &listing(&specs));
    let deletes = mock_any_delete(&server);
    let dir = tempdir();
    let run = ghpkg_in(
        dir.path(),
        &server,
        &[
            "prune",
            "container",
            "app",
            "--org",
            "acme",
            "--registry-url",
            &registry.base_url(),
            "--keep-last",
            "3",
            "--untagged",
            "--exclude-tag",
            "pr-*",
        ],
    );
    run.expect(0);
    let out = &run.stdout;
    assert!(out.contains("12 active versions, 6 to delete"), "{out}");
    assert!(
        out.lines()
            .any(|l| l.starts_with("ACTION") && l.contains("REASON")),
        "{out}"
    );
    assert!(out.contains("one of the 3 most recent"), "{out}");
    assert!(out.contains("tag pr-3 matches --exclude-tag pr-*"), "{out}");
    assert!(out.contains("tagged and --untagged given"), "{out}");
    assert!(
        out.contains("dry run: nothing deleted; pass --yes"),
        "{out}"
    );
    assert_eq!(
        out.lines().filter(|l| l.starts_with("DELETE")).count(),
        6,
        "{out}"
    );
    assert_eq!(deletes.calls(), 0);
}

/// Where the versions of the org's npm package `left-pad` live.
const NPM_VERSIONS: &str = "/orgs/acme/packages/npm/left-pad/versions";

/// An npm version as GitHub lists it: no tags anywhere.
fn npm_version(id: i64, age_hours: i64) -> Value {
    serde_json::json!({
        "id": id,
        "name": format!("1.0.{id}"),
        "url": format!("https://api.github.com/orgs/acme/packages/npm/left-pad/versions/{id}"),
        "package_html_url": "https://github.com/orgs/acme/packages/npm/package/left-pad",
        "created_at": time(hours_ago(age_hours)),
        "updated_at": time(hours_ago(age_hours)),
        "metadata": {"package_type": "npm"},
    })
}

#[test]
fn tag_flags_are_refused_for_package_types_without_tags() {
    let server = MockServer::start();
    let unexpected = catch_all(&server);
    let dir = tempdir();
    for (kind, flags) in [
        ("npm", &["--untagged", "--exclude-tag", "latest"][..]),
        ("npm", &["--keep-last", "2", "--exclude-tag", "latest"][..]),
        ("maven", &["--tag", "v*"][..]),
        ("nuget", &["--older-than", "30d", "--untagged"][..]),
        ("rubygems", &["--keep-last", "1", "--tag", "x"][..]),
    ] {
        let mut args = vec!["--json", "prune", kind, "left-pad", "--org", "acme"];
        args.extend_from_slice(flags);
        args.push("--yes");
        let run = ghpkg_in(dir.path(), &server, &args);
        run.expect(2);
        let message = format!("{kind} versions carry no tags in GitHub's API");
        assert!(run.stderr.contains(&message), "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains("use --keep-last/--older-than"),
            "{}",
            run.stderr
        );
        assert!(run.stderr.contains("Usage"), "{}", run.stderr);
        assert_eq!(run.stdout, "");
    }
    assert_eq!(unexpected.calls(), 0, "a refused prune sent a request");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn npm_packages_are_pruned_by_age_and_count() {
    let server = MockServer::start();
    let versions: Vec<Value> = (1..=5).map(|id| npm_version(id, 100 - id)).collect();
    let _listing = mock_listing(&server, NPM_VERSIONS, &versions);
    let _current = mock_current(&server, NPM_VERSIONS, &versions);
    let deletes: Vec<_> = (1..=3)
        .map(|id| mock_delete(&server, NPM_VERSIONS, id))
        .collect();
    let unexpected = catch_all(&server);
    let dir = tempdir();
    let run = ghpkg_in(
        dir.path(),
        &server,
        &[
            "--json",
            "prune",
            "npm",
            "left-pad",
            "--org",
            "acme",
            "--keep-last",
            "2",
            "--yes",
        ],
    );
    run.expect(0);
    let report = run.prune_json();
    assert_eq!(planned(&report, "keep"), vec![4, 5]);
    assert_eq!(ids(&report["deleted"]), vec![1, 2, 3]);
    assert!(deletes.iter().all(|m| m.calls() == 1));
    assert_eq!(unexpected.calls(), 0);
}

/// Issue 9, item 1: a character class protects the releases. Before, `[`
/// was taken literally and `v[0-9]*` protected nothing.
#[test]
fn character_classes_in_exclude_tag_protect_releases() {
    let report = dry_run(&["--keep-last", "3", "--exclude-tag", "v[0-9]*"]);
    // The releases are protected and do not use up --keep-last slots: the
    // three newest others (ranks 1-3) are kept.
    let want = expected(|rank, s| rank > 3 && !s.tags.iter().any(|t| t.starts_with('v')));
    assert_eq!(planned(&report, "delete"), want);
    assert_eq!(
        reason_of(&report, 5010),
        "kept: tag v10 matches --exclude-tag v[0-9]*"
    );
    // Alternation and negated classes are globs too.
    let report = dry_run(&["--tag", "{pr,nightly}-*", "--exclude-tag", "pr-[!1]*"]);
    // The nightly builds also carry a `sha-…` tag, which neither pattern
    // matches, so only pull-request builds numbered 1xx go.
    let want = expected(|_, s| !s.tags.is_empty() && s.tags.iter().all(|t| t.starts_with("pr-1")));
    assert_eq!(planned(&report, "delete"), want);
}

#[test]
fn tag_regexes_select_and_protect_anywhere_in_the_tag() {
    let report = dry_run(&[
        "--tag-regex",
        "^(pr|sha|nightly)-",
        "--exclude-tag-regex",
        "3$",
    ]);
    // Every tag must match a --tag-regex; a tag ending in 3 protects.
    let want = expected(|_, s| {
        !s.tags.is_empty()
            && s.tags
                .iter()
                .all(|t| t.starts_with("pr-") || t.starts_with("sha-") || t.starts_with("nightly-"))
            && !s.tags.iter().any(|t| t.ends_with('3'))
    });
    assert!(want.len() > 20, "the fixture should exercise both regexes");
    assert_eq!(planned(&report, "delete"), want);
    assert_eq!(
        reason_of(&report, 5003),
        "kept: tag pr-3 matches --exclude-tag-regex 3$"
    );
}

#[test]
fn an_exclusion_matching_no_tag_warns_and_stops_a_real_prune() {
    // A dry run warns.
    let report = dry_run(&["--keep-last", "3", "--exclude-tag", "relase-*"]);
    assert!(
        report["warnings"][0]
            .as_str()
            .unwrap()
            .contains("--exclude-tag relase-* matches no tag of any version listed"),
        "{report}"
    );

    // With --yes nothing is deleted and the run fails, unless allowed.
    let server = MockServer::start();
    let specs = specs();
    let _listing = mock_listing(&server, VERSIONS, &listing(&specs));
    let deletes = mock_any_delete(&server);
    let dir = tempdir();
    let args = [
        "prune",
        "container",
        "app",
        "--org",
        "acme",
        "--no-registry-check",
        "--keep-last",
        "3",
        "--exclude-tag",
        "relase-*",
        "--yes",
    ];
    let run = ghpkg_in(dir.path(), &server, &args);
    run.expect(1);
    assert!(
        run.stderr.contains("--allow-unmatched-exclude"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("Nothing was deleted"), "{}", run.stderr);
    assert_eq!(deletes.calls(), 0);
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "no journal"
    );
}
