//! Each part of a policy, alone and combined, on 300 generated versions
//! listed in a scrambled order: the set of versions a plan deletes must be
//! exactly the one computed here from the fixture's description, and
//! planning sends no DELETE.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use github_packages::PackageType;
use github_packages_retention::{
    Action, PackagePlan, Planner, Policy, Quiet, Reason, Registry, TagPattern,
};
use httpmock::MockServer;
use serde_json::Value;

use common::*;

const DAY: u64 = 86_400;

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

/// Plans `policy` for the 300 versions, after checking that nothing was
/// deleted, nothing unexpected was asked, and the plan covers all 300.
async fn plan(policy: &Policy) -> PackagePlan {
    let server = MockServer::start_async().await;
    let registry = plain_registry().await;
    let _listing = mock_listing(&server, VERSIONS, &listing(&specs())).await;
    let deletes = mock_any_delete(&server).await;
    let unexpected = catch_all(&server).await;
    let client = client(&server.base_url(), TOKEN);
    let planned = Planner::new(&client)
        .registry(Registry::new(&registry.base_url()).unwrap().token(TOKEN))
        .plan(&app(), policy, &Quiet)
        .await
        .expect("planned");
    assert_eq!(planned.problems, []);
    assert_eq!(planned.plan.entries.len(), 300);
    assert_eq!(deletes.calls_async().await, 0, "planning sent a DELETE");
    assert_eq!(unexpected.calls_async().await, 0);
    planned
}

/// The ids `policy` deletes, ascending.
async fn planned_deletes(policy: &Policy) -> Vec<i64> {
    deletes(&plan(policy).await.plan).into_iter().collect()
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

fn glob(pattern: &str) -> TagPattern {
    TagPattern::glob(pattern).unwrap()
}

fn regex(pattern: &str) -> TagPattern {
    TagPattern::regex(pattern).unwrap()
}

fn excluded(tag: &str, pattern: TagPattern) -> Reason {
    Reason::Excluded {
        tag: tag.to_owned(),
        pattern,
    }
}

/// `keep_last N` deletes everything but the N newest, and the plan lists
/// the newest first.
#[tokio::test]
async fn keep_last_deletes_everything_older_than_the_newest_n() {
    let planned = plan(&Policy::default().keep_last(50)).await;
    let plan = &planned.plan;
    let got: Vec<i64> = deletes(plan).into_iter().collect();
    assert_eq!(got, expected(|rank, _| rank >= 50));
    assert_eq!(*reason(plan, 5000), Reason::KeepLast { n: 50 });
    assert_eq!(plan.entries[0].id, 5000);
    assert_eq!(plan.entries[299].id, 5299);
}

/// `older_than` deletes only versions past the cutoff.
#[tokio::test]
async fn older_than_deletes_only_versions_past_the_cutoff() {
    let planned = plan(&Policy::default().older_than(Duration::from_secs(30 * DAY))).await;
    let got: Vec<i64> = deletes(&planned.plan).into_iter().collect();
    assert_eq!(got, expected(|_, s| s.age_hours > 30 * 24));
    assert_eq!(
        *reason(&planned.plan, 5000),
        Reason::Newer {
            older_than_seconds: 30 * DAY
        }
    );
}

/// `untagged` deletes only untagged versions.
#[tokio::test]
async fn untagged_deletes_only_untagged_versions() {
    let planned = plan(&Policy::default().untagged()).await;
    let got: Vec<i64> = deletes(&planned.plan).into_iter().collect();
    assert_eq!(got, expected(|_, s| s.tags.is_empty()));
    assert_eq!(*reason(&planned.plan, 5010), Reason::TaggedNotSelected);
}

/// A version is deleted with all its tags, so every tag must match a
/// selecting glob: the `sha-…`/`nightly-…` pairs stay, because no pattern
/// matches `nightly-…`.
#[tokio::test]
async fn tag_globs_select_versions_whose_every_tag_matches() {
    let policy = Policy::default().tag(glob("pr-*")).tag(glob("sha-?f"));
    let planned = plan(&policy).await;
    let want = expected(|_, s| !s.tags.is_empty() && s.tags.iter().all(|t| t.starts_with("pr-")));
    assert!(want.len() > 20, "the fixture should exercise the glob");
    let got: Vec<i64> = deletes(&planned.plan).into_iter().collect();
    assert_eq!(got, want);
    assert_eq!(
        *reason(&planned.plan, 5047),
        Reason::UnmatchedTag {
            tag: "nightly-47".into()
        }
    );
    let policy = Policy::default()
        .tag(glob("pr-*"))
        .tag(glob("sha-*"))
        .tag(glob("nightly-*"));
    let want = expected(|rank, _| rank % 10 == 3 || rank % 10 == 7);
    assert_eq!(planned_deletes(&policy).await, want);
}

/// An exclusion protects even what the other rules select.
#[tokio::test]
async fn exclude_tag_protects_even_what_other_flags_select() {
    let policy = Policy::default()
        .tag(glob("*"))
        .exclude_tag(glob("v*"))
        .exclude_tag(glob("nightly-2??"));
    let planned = plan(&policy).await;
    let want = expected(|_, s| {
        !s.tags.is_empty()
            && !s.tags.iter().any(|t| t.starts_with('v'))
            && !s
                .tags
                .iter()
                .any(|t| t.starts_with("nightly-2") && t.len() == 11)
    });
    let got: Vec<i64> = deletes(&planned.plan).into_iter().collect();
    assert_eq!(got, want);
    assert_eq!(*reason(&planned.plan, 5000), excluded("v0", glob("v*")));
}

/// Every criterion given must hold for a version to go.
#[tokio::test]
async fn combined_flags_must_all_hold() {
    let policy = Policy::default()
        .keep_last(20)
        .older_than(Duration::from_secs(10 * DAY))
        .untagged()
        .tag(glob("pr-*"))
        .exclude_tag(glob("pr-1*"));
    let planned = plan(&policy).await;
    let want = expected(|rank, s| {
        let pr = s.tags.iter().any(|t| t.starts_with("pr-"));
        let pr_excluded = s.tags.iter().any(|t| t.starts_with("pr-1"));
        rank >= 20 && s.age_hours > 10 * 24 && (s.tags.is_empty() || pr) && !pr_excluded
    });
    let got: Vec<i64> = deletes(&planned.plan).into_iter().collect();
    assert_eq!(got, want);
    let kept = planned
        .plan
        .entries
        .iter()
        .filter(|e| e.action == Action::Keep)
        .count();
    assert_eq!(got.len() + kept, 300);
}

/// Issue 9, item 1: a character class protects the releases. Before, `[`
/// was taken literally and `v[0-9]*` protected nothing.
#[tokio::test]
async fn character_classes_in_exclude_tag_protect_releases() {
    let policy = Policy::default().keep_last(3).exclude_tag(glob("v[0-9]*"));
    let planned = plan(&policy).await;
    // The releases are protected and do not use up keep_last slots: the
    // three newest others (ranks 1-3) are kept.
    let want = expected(|rank, s| rank > 3 && !s.tags.iter().any(|t| t.starts_with('v')));
    let got: Vec<i64> = deletes(&planned.plan).into_iter().collect();
    assert_eq!(got, want);
    assert_eq!(
        *reason(&planned.plan, 5010),
        excluded("v10", glob("v[0-9]*"))
    );
    // Alternation and negated classes are globs too.
    let policy = Policy::default()
        .tag(glob("{pr,nightly}-*"))
        .exclude_tag(glob("pr-[!1]*"));
    // The nightly builds also carry a `sha-…` tag, which neither pattern
    // matches, so only pull-request builds numbered 1xx go.
    let want = expected(|_, s| !s.tags.is_empty() && s.tags.iter().all(|t| t.starts_with("pr-1")));
    assert_eq!(planned_deletes(&policy).await, want);
}

/// Regular expressions select and protect by matching anywhere in a tag.
#[tokio::test]
async fn tag_regexes_select_and_protect_anywhere_in_the_tag() {
    let policy = Policy::default()
        .tag(regex("^(pr|sha|nightly)-"))
        .exclude_tag(regex("3$"));
    let planned = plan(&policy).await;
    // Every tag must match a selecting regex; a tag ending in 3 protects.
    let want = expected(|_, s| {
        !s.tags.is_empty()
            && s.tags
                .iter()
                .all(|t| t.starts_with("pr-") || t.starts_with("sha-") || t.starts_with("nightly-"))
            && !s.tags.iter().any(|t| t.ends_with('3'))
    });
    assert!(want.len() > 20, "the fixture should exercise both regexes");
    let got: Vec<i64> = deletes(&planned.plan).into_iter().collect();
    assert_eq!(got, want);
    assert_eq!(*reason(&planned.plan, 5003), excluded("pr-3", regex("3$")));
}

/// An exclusion that matches no tag of any version listed protects nothing
/// and is most likely a typo: the plan's tags show it (ghpkg warns, and
/// refuses to delete with it).
#[tokio::test]
async fn an_exclusion_matching_no_tag_is_found() {
    let policy = Policy::default()
        .keep_last(3)
        .exclude_tag(glob("relase-*"))
        .exclude_tag(glob("v[0-9]*"));
    let planned = plan(&policy).await;
    assert_eq!(
        policy.unmatched_exclusions(&planned.tags),
        [glob("relase-*")]
    );
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

/// Packages without tags or images are planned by count and age alone, and
/// need no registry.
#[tokio::test]
async fn npm_packages_are_pruned_by_age_and_count() {
    let server = MockServer::start_async().await;
    let versions: Vec<Value> = (1..=5).map(|id| npm_version(id, 100 - id)).collect();
    let _listing = mock_listing(&server, NPM_VERSIONS, &versions).await;
    let _current = mock_current(&server, NPM_VERSIONS, &versions).await;
    let mut deletes = Vec::new();
    for id in 1..=3 {
        deletes.push(mock_delete(&server, NPM_VERSIONS, id).await);
    }
    let unexpected = catch_all(&server).await;
    let client = client(&server.base_url(), TOKEN);
    let npm = acme(PackageType::Npm, "left-pad");
    let planned = Planner::new(&client)
        .plan(&npm, &Policy::default().keep_last(2), &Quiet)
        .await
        .unwrap();
    let kept: Vec<i64> = sorted(
        planned
            .plan
            .entries
            .iter()
            .filter(|e| e.action == Action::Keep)
            .map(|e| e.id)
            .collect(),
    );
    assert_eq!(kept, [4, 5]);
    let outcome = delete_planned(&client, &[&planned]).await;
    assert!(!outcome.is_unfinished());
    assert_eq!(ids(&outcome.packages[0].deleted), [1, 2, 3]);
    for mock in &deletes {
        assert_eq!(mock.calls_async().await, 1);
    }
    assert_eq!(unexpected.calls_async().await, 0);
}
