//! Every reason code a plan can carry is documented in the README's table,
//! and a real plan, read as JSON, uses only documented codes.

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use github_packages::fake::{FakeGitHub, Owner};
use github_packages::{Client, PackageType, Scope};
use github_packages_retention::{
    Criterion, Planner, Policy, Quiet, Reason, Registry, TagPattern, Target,
};

const README: &str = include_str!("../../../README.md");

/// The codes the README's reason table documents, by row.
fn documented() -> String {
    let start = README
        .find("### Reason codes")
        .expect("the README has a reason code section");
    let end = README[start..]
        .find("\n## ")
        .map_or(README.len(), |at| start + at);
    README[start..end].to_owned()
}

#[test]
fn every_reason_and_criterion_code_is_documented() {
    let table = documented();
    for code in Reason::CODES {
        assert!(
            table.contains(&format!("| `{code}` |")),
            "reason code `{code}` has no row in the README's table"
        );
    }
    for code in Criterion::CODES {
        assert!(
            table.contains(&format!("`{code}`")),
            "criterion code `{code}` is not in the README's table"
        );
    }
}

/// Every `code` in a JSON value, at any depth.
fn codes(value: &serde_json::Value, out: &mut BTreeSet<String>) {
    match value {
        serde_json::Value::Object(map) => {
            if let Some(serde_json::Value::String(code)) = map.get("code") {
                out.insert(code.clone());
            }
            map.values().for_each(|v| codes(v, out));
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| codes(v, out)),
        _ => {}
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_plan_uses_only_documented_codes() {
    let gh = FakeGitHub::builder()
        .without_rate_limits()
        .start()
        .await
        .unwrap();
    let ago = |days| Utc::now() - TimeDelta::days(days);
    gh.package(Owner::org("acme"), PackageType::Container, "app")
        .image()
        .tags(["v1"])
        .platforms(["linux/amd64", "linux/arm64"])
        .attestations()
        .cosign_signature()
        .created_at(ago(60))
        .image()
        .tags(["pr-1", "stable"])
        .created_at(ago(50))
        .image()
        .tags(["pr-2"])
        .created_at(ago(40))
        .image()
        .created_at(ago(30))
        .image()
        .created_at(ago(1))
        .create()
        .unwrap();
    let token = gh.token_with_scopes(&["read:packages"]);
    let client = Client::builder()
        .base_url(gh.url())
        .token(token.clone())
        .build()
        .unwrap();
    let planner = Planner::new(&client).registry(Registry::new(&gh.url()).unwrap().token(token));
    let target = Target::new(Scope::org("acme"), PackageType::Container, "app");
    let policy = Policy::default()
        .keep_last(1)
        .older_than(Duration::from_secs(20 * 86_400))
        .untagged()
        .tag(TagPattern::glob("pr-*").unwrap())
        .exclude_tag(TagPattern::glob("v*").unwrap());
    let planned = planner.plan(&target, &policy, &Quiet).await.unwrap();
    let json = serde_json::to_value(&planned.plan).unwrap();
    let mut found = BTreeSet::new();
    codes(&json, &mut found);
    // The plan exercises most rules: exclusions, parts, referrers, keep
    // counts, ages, tag selections, and deletes.
    for expected in [
        "excluded",
        "part_of",
        "referrer_of",
        "keep_last",
        "unmatched_tag",
        "selected",
        "older_than",
        "untagged",
        "tag_matches",
    ] {
        assert!(found.contains(expected), "{expected} not in {found:?}");
    }
    let table = documented();
    for code in &found {
        assert!(
            table.contains(&format!("`{code}`")),
            "the plan uses `{code}`, which the README does not document"
        );
    }
}
