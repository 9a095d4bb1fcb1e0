//! The `--json` document of a prune, version 3, on the fake GitHub:
//! reasons are objects with a `code` (and the facts behind it), warnings
//! are objects with a `code` and the sentence a person reads; a program
//! never has to parse prose.

use github_packages::PackageType;
use github_packages::fake::Owner;
use github_packages_retention::{Criterion, Reason};
use serde_json::{Value, json};

use crate::fakes::Fake;
use crate::support::{prune_app, tempdir};

#[test]
fn the_json_report_is_version_3_with_reasons_and_warnings_as_data() {
    let fake = Fake::start();
    let created = fake
        .gh
        .package(Owner::org("acme"), PackageType::Container, "app")
        .image()
        .tags(["v1"])
        .platforms(["linux/amd64", "linux/arm64"])
        .image()
        .image()
        .tags(["latest"])
        .create()
        .unwrap();
    let index = created.tagged("v1").unwrap();
    let dir = tempdir();
    let url = fake.url();
    let run = fake.ghpkg(
        dir.path(),
        &prune_app(&[
            "--json",
            "--untagged",
            "--exclude-tag",
            "relase-*",
            "--registry-url",
            &url,
        ]),
    );
    run.expect(0);
    let report = run.json();
    assert_eq!(report["version"], 3);
    let package = &report["packages"][0];
    let plan = package["plan"].as_array().unwrap();
    assert_eq!(plan.len(), created.versions.len());
    for entry in plan {
        let code = entry["reason"]["code"].as_str().unwrap_or_default();
        assert!(Reason::CODES.contains(&code), "{entry}");
    }
    let reason =
        |id: i64| -> Value { plan.iter().find(|e| e["id"] == id).unwrap()["reason"].clone() };
    for (child, platform) in created
        .children_of(index.id)
        .into_iter()
        .zip(["linux/amd64", "linux/arm64"])
    {
        assert_eq!(
            reason(child.id),
            json!({"code": "part_of", "index": index.name, "index_tag": "v1",
                   "role": "platform", "platform": platform})
        );
    }
    let orphan = created
        .versions
        .iter()
        .find(|v| v.tags.is_empty() && matches!(v.role, github_packages::fake::Role::Image));
    let criteria = json!([Criterion::Untagged]);
    assert_eq!(
        reason(orphan.unwrap().id),
        json!({"code": "selected", "criteria": criteria})
    );
    assert_eq!(criteria, json!([{"code": "untagged"}]));

    let warnings = report["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{report}");
    assert_eq!(warnings[0]["code"], "unmatched_exclusions");
    assert_eq!(warnings[0]["patterns"], json!([{"glob": "relase-*"}]));
    assert!(warnings[0]["message"].is_string(), "{report}");
}
