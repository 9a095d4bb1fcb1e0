//! The retention rules, one test per row of the README's semantics table,
//! on the fake GitHub with a real registry behind it: each row is a rule
//! users of other clean-up tools got wrong, and what ghpkg does instead.

use std::collections::BTreeSet;

use chrono::{TimeDelta, Utc};
use github_packages::PackageType;
use github_packages::fake::{CreatedPackage, Owner, Role};
use serde_json::Value;

use crate::fakes::Fake;
use crate::support::tempdir;

/// The package, oldest first: an untagged orphan `o1` (50 h old), a
/// multi-arch `v1` (40 h) over two platform images, orphan `o2` (30 h),
/// multi-arch `v2` (20 h), orphan `o3` (10 h), single image `latest` (1 h).
struct Registry {
    fake: Fake,
    package: CreatedPackage,
}

impl Registry {
    fn new() -> Registry {
        let fake = Fake::start();
        let ago = |hours| Utc::now() - TimeDelta::hours(hours);
        let package = fake
            .gh
            .package(Owner::org("acme"), PackageType::Container, "app")
            .image()
            .created_at(ago(50))
            .image()
            .tags(["v1"])
            .platforms(["linux/amd64", "linux/arm64"])
            .created_at(ago(40))
            .image()
            .created_at(ago(30))
            .image()
            .tags(["v2"])
            .platforms(["linux/amd64", "linux/arm64"])
            .created_at(ago(20))
            .image()
            .created_at(ago(10))
            .image()
            .tags(["latest"])
            .created_at(ago(1))
            .create()
            .unwrap();
        Registry { fake, package }
    }

    fn tagged(&self, tag: &str) -> i64 {
        self.package.tagged(tag).expect("a tagged version").id
    }

    /// The platform images of the index tagged `tag`.
    fn platforms(&self, tag: &str) -> Vec<i64> {
        let index = self.tagged(tag);
        self.package
            .children_of(index)
            .iter()
            .map(|v| v.id)
            .collect()
    }

    /// The untagged single images, oldest first: o1, o2, o3.
    fn orphans(&self) -> [i64; 3] {
        let ids: Vec<i64> = self
            .package
            .versions
            .iter()
            .filter(|v| v.tags.is_empty() && matches!(v.role, Role::Image))
            .map(|v| v.id)
            .collect();
        ids.try_into().expect("three orphans")
    }

    /// What goes when only `latest`, `o3` and `v2` (with its platform
    /// images) are kept: `o1`, `o2`, and `v1` with its platform images.
    fn all_but_the_newest_three(&self) -> BTreeSet<i64> {
        let [o1, o2, _] = self.orphans();
        let mut ids = set([o1, o2, self.tagged("v1")]);
        ids.extend(self.platforms("v1"));
        ids
    }

    /// The ids a dry run with `flags` plans to delete.
    fn deletes(&self, flags: &[&str]) -> BTreeSet<i64> {
        let report = self.dry_run(flags);
        report["plan"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|v| v["action"] == "delete")
            .map(|v| v["id"].as_i64().unwrap())
            .collect()
    }

    fn dry_run(&self, flags: &[&str]) -> Value {
        let dir = tempdir();
        let url = self.fake.url();
        let mut args = vec![
            "--json",
            "prune",
            "container",
            "app",
            "--org",
            "acme",
            "--registry-url",
            &url,
        ];
        args.extend_from_slice(flags);
        let run = self.fake.ghpkg(dir.path(), &args);
        run.expect(0);
        run.prune_json()
    }
}

fn set(ids: impl IntoIterator<Item = i64>) -> BTreeSet<i64> {
    ids.into_iter().collect()
}

/// Row 1: `--keep-last N` keeps the N newest images; their platform images
/// are kept with them and do not use up the count.
#[test]
fn keep_last_counts_images_not_their_parts() {
    let r = Registry::new();
    assert_eq!(
        r.deletes(&["--keep-last", "3"]),
        r.all_but_the_newest_three()
    );
}

/// Row 2: an excluded version is kept and does not use up a keep slot:
/// "keep `latest` and the 2 newest others".
#[test]
fn excluded_versions_do_not_use_up_keep_slots() {
    let r = Registry::new();
    let want = r.all_but_the_newest_three();
    // latest is excluded; the two newest others are o3 and v2.
    assert_eq!(
        r.deletes(&["--keep-last", "2", "--exclude-tag", "latest"]),
        want
    );
}

/// Row 3: `--keep-tagged N` alone never touches untagged versions.
#[test]
fn keep_tagged_alone_deletes_only_tagged_versions() {
    let r = Registry::new();
    let got = r.deletes(&["--keep-tagged", "2"]);
    assert!(got.contains(&r.tagged("v1")));
    assert!(r.orphans().iter().all(|o| !got.contains(o)), "{got:?}");
    assert!(!got.contains(&r.tagged("v2")) && !got.contains(&r.tagged("latest")));
}

/// Row 4: `--keep-untagged N` counts untagged images, not the platform
/// images of kept multi-arch images, and never touches tagged versions.
#[test]
fn keep_untagged_counts_orphans_not_platform_images() {
    let r = Registry::new();
    let [o1, o2, _] = r.orphans();
    assert_eq!(r.deletes(&["--keep-untagged", "1"]), set([o1, o2]));
    // 0 keeps none of them, still no platform image of a kept index.
    assert_eq!(r.deletes(&["--keep-untagged", "0"]), set(r.orphans()));
}

/// Row 5: both keep rules together: each kind beyond its own count.
#[test]
fn keep_tagged_and_keep_untagged_each_keep_their_own() {
    let r = Registry::new();
    let want = r.all_but_the_newest_three();
    assert_eq!(
        r.deletes(&["--keep-tagged", "2", "--keep-untagged", "1"]),
        want
    );
}

/// Row 6: keep counts are not shrunk by age: the N newest stay whatever
/// their age, and `--older-than` selects among the rest.
#[test]
fn keep_counts_hold_whatever_the_age() {
    let r = Registry::new();
    let [o1, o2, _] = r.orphans();
    // o3 (10 h) is the newest orphan: kept by the count, though older than
    // 5 h; o2 and o1 are older than 5 h and beyond the count.
    assert_eq!(
        r.deletes(&["--keep-untagged", "1", "--older-than", "5h"]),
        set([o1, o2])
    );
    // With a cutoff of 35 h, o2 (30 h) is too new to go.
    assert_eq!(
        r.deletes(&["--keep-untagged", "1", "--older-than", "35h"]),
        set([o1])
    );
}

/// Row 7: `--untagged` never deletes the platform images of a kept
/// multi-arch image, though they are untagged.
#[test]
fn untagged_spares_the_parts_of_kept_images() {
    let r = Registry::new();
    let got = r.deletes(&["--untagged"]);
    assert_eq!(got, set(r.orphans()));
    for tag in ["v1", "v2"] {
        assert!(r.platforms(tag).iter().all(|p| !got.contains(p)), "{tag}");
    }
}

/// Row 8: a version is deleted by `--tag` only if every one of its tags
/// matches: deleting it deletes all of them.
#[test]
fn tag_selects_a_version_only_if_every_tag_matches() {
    let r = Registry::new();
    let v2 = r.tagged("v2");
    r.fake
        .gh
        .set_tags("acme", PackageType::Container, "app", v2, ["v2", "stable"])
        .unwrap();
    let got = r.deletes(&["--tag", "v*"]);
    assert!(got.contains(&r.tagged("v1")));
    assert!(!got.contains(&v2), "v2 is also `stable`: {got:?}");
    let report = r.dry_run(&["--tag", "v*"]);
    let reason = report["plan"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == v2)
        .unwrap()["reason"]
        .clone();
    assert_eq!(reason, "kept: also tagged stable, which no --tag matches");
}

/// Row 9: contradictory keep and tag flags are a usage error.
#[test]
fn contradictory_flags_are_refused() {
    let r = Registry::new();
    let dir = tempdir();
    let run = r.fake.ghpkg(
        dir.path(),
        &[
            "prune",
            "container",
            "app",
            "--org",
            "acme",
            "--keep-tagged",
            "2",
            "--untagged",
        ],
    );
    run.expect(2);
    assert!(run.stderr.contains("--keep-untagged"), "{}", run.stderr);
}

/// Row 10: signatures, attestations and SBOMs stored as referrer tags
/// (`sha256-<hex>.sig`, `.att`, `sha256-<hex>`) follow their subject: kept
/// with it, deleted with it, deleted when it is gone.
#[test]
fn referrers_are_deleted_with_their_subject_and_kept_with_it() {
    let fake = Fake::start();
    let ago = |hours| Utc::now() - TimeDelta::hours(hours);
    let package = fake
        .gh
        .package(Owner::org("acme"), PackageType::Container, "signed")
        .image()
        .tags(["old"])
        .cosign_signature()
        .cosign_attestation()
        .created_at(ago(30))
        .image()
        .tags(["new"])
        .cosign_signature()
        .referrer()
        .created_at(ago(1))
        .create()
        .unwrap();
    let old = package.tagged("old").unwrap();
    let new = package.tagged("new").unwrap();
    let hex = |digest: &str| digest.trim_start_matches("sha256:").to_owned();
    let referrers_of = |subject: &str| -> Vec<i64> {
        package
            .versions
            .iter()
            .filter(|v| {
                v.tags
                    .iter()
                    .any(|t| t.starts_with(&format!("sha256-{}", hex(subject))))
            })
            .map(|v| v.id)
            .collect()
    };
    let old_referrers = referrers_of(&old.name);
    let new_referrers = referrers_of(&new.name);
    assert_eq!(old_referrers.len(), 2);
    assert!(!new_referrers.is_empty());

    let dir = tempdir();
    let url = fake.url();
    let run = fake.ghpkg(
        dir.path(),
        &[
            "--json",
            "prune",
            "container",
            "signed",
            "--org",
            "acme",
            "--tag",
            "old",
            "--registry-url",
            &url,
        ],
    );
    run.expect(0);
    let report = run.prune_json();
    let plan = report["plan"].as_array().unwrap();
    let decision = |id: i64| {
        let v = plan.iter().find(|v| v["id"] == id).unwrap();
        (
            v["action"].as_str().unwrap().to_owned(),
            v["reason"].as_str().unwrap().to_owned(),
        )
    };
    assert_eq!(decision(old.id).0, "delete");
    for id in &old_referrers {
        let (action, reason) = decision(*id);
        assert_eq!(action, "delete", "{reason}");
        assert!(reason.ends_with("deleted with it"), "{reason}");
    }
    let (action, reason) = decision(new_referrers[0]);
    assert_eq!(action, "keep", "{reason}");
    assert!(reason.ends_with("which is kept"), "{reason}");

    // The deletes go as planned: the image and its referrers.
    fake.ghpkg(
        dir.path(),
        &[
            "prune",
            "container",
            "signed",
            "--org",
            "acme",
            "--tag",
            "old",
            "--registry-url",
            &url,
            "--yes",
        ],
    )
    .expect(0);
    let mut deleted = fake
        .gh
        .deleted_ids("acme", PackageType::Container, "signed");
    deleted.sort();
    let mut want = old_referrers.clone();
    want.push(old.id);
    want.sort();
    assert_eq!(deleted, want);
}

/// Row 10, continued: a referrer whose subject is not in the package (gone,
/// or kept in a package of its own, as cosign's COSIGN_REPOSITORY does) is
/// decided by the keep and selection rules; selected, the plan says why.
#[test]
fn a_referrer_whose_subject_is_gone_follows_the_rules() {
    let fake = Fake::start();
    let orphan_sig = format!("sha256-{}.sig", "ab".repeat(32));
    let package = fake
        .gh
        .package(Owner::org("acme"), PackageType::Container, "signed")
        .image()
        .tags([orphan_sig.as_str()])
        .image()
        .tags(["latest"])
        .create()
        .unwrap();
    let sig = package.tagged(&orphan_sig).unwrap().id;
    let dir = tempdir();
    let url = fake.url();
    let decision = |flags: &[&str]| {
        let mut args = vec!["--json", "prune", "container", "signed", "--org", "acme"];
        args.extend_from_slice(flags);
        args.extend(["--registry-url", url.as_str()]);
        let run = fake.ghpkg(dir.path(), &args);
        run.expect(0);
        let report = run.prune_json();
        let entry = report["plan"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["id"] == sig)
            .unwrap()
            .clone();
        (entry["action"].clone(), entry["reason"].clone())
    };
    // Kept by a keep rule like any tagged version: it uses a slot.
    assert_eq!(
        decision(&["--keep-tagged", "5"]),
        (
            "keep".into(),
            "kept: one of the 5 most recent tagged versions".into()
        )
    );
    // Selected, it goes, and the plan says its subject is gone.
    assert_eq!(
        decision(&["--tag", "sha256-*"]),
        (
            "delete".into(),
            "delete: signature of sha256:abababababab…, which is gone".into()
        )
    );
}

/// An image index whose platform images are missing from the package (a
/// "ghost" image: pulling it fails) is reported in the plan.
#[test]
fn a_ghost_image_is_reported() {
    let r = Registry::new();
    let token = r.fake.token.clone();
    let base = r.fake.url();
    let platforms = r.platforms("v1");
    r.fake.block_on(async {
        let gh = github_packages::Client::builder()
            .base_url(base)
            .token(token)
            .min_write_interval(std::time::Duration::ZERO)
            .build()
            .unwrap();
        let packages = gh.packages(github_packages::Scope::org("acme"));
        for id in platforms {
            packages
                .version(PackageType::Container, "app", id)
                .delete()
                .await
                .unwrap();
        }
    });
    // The registry is read when a plan deletes something: here the orphans.
    let report = r.dry_run(&["--keep-untagged", "0"]);
    let warnings = report["warnings"].to_string();
    assert!(warnings.contains("ghost image: version"), "{warnings}");
    assert!(warnings.contains("tags v1"), "{warnings}");
}

/// A referrer planned to go with its subject goes only if the subject's own
/// DELETE succeeded: an image tagged meanwhile (so skipped) or refused by
/// GitHub keeps its signature.
#[test]
fn a_signature_stays_when_its_subject_is_not_deleted() {
    let fake = Fake::start();
    let package = fake
        .gh
        .package(Owner::org("acme"), PackageType::Container, "signed")
        .image()
        .tags(["old"])
        .cosign_signature()
        .image()
        .tags(["latest"])
        .create()
        .unwrap();
    let old = package.tagged("old").unwrap().id;
    let sig = package
        .versions
        .iter()
        .find(|v| v.tags.iter().any(|t| t.ends_with(".sig")))
        .unwrap()
        .id;
    let dir = tempdir();
    let url = fake.url();
    let plan = dir.path().join("plan.json");
    let plan_str = plan.to_str().unwrap();
    fake.ghpkg(
        dir.path(),
        &[
            "prune",
            "container",
            "signed",
            "--org",
            "acme",
            "--tag",
            "old",
            "--registry-url",
            &url,
            "--plan-out",
            plan_str,
        ],
    )
    .expect(0);
    // Someone protects the image before the plan is applied.
    fake.gh
        .set_tags(
            "acme",
            PackageType::Container,
            "signed",
            old,
            ["old", "keep"],
        )
        .unwrap();
    let run = fake.ghpkg(dir.path(), &["--json", "apply", plan_str, "--yes"]);
    run.expect(0);
    let report = run.prune_json();
    let skipped: Vec<i64> = report["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_i64().unwrap())
        .collect();
    assert_eq!(skipped, vec![old, sig], "{report}");
    assert!(
        report["skipped"][1]["reason"]
            .as_str()
            .unwrap()
            .contains("was not deleted in this run"),
        "{report}"
    );
    assert!(
        fake.gh
            .deleted_ids("acme", PackageType::Container, "signed")
            .is_empty()
    );

    // GitHub refusing the image's DELETE keeps its signature too.
    fake.gh
        .set_tags("acme", PackageType::Container, "signed", old, ["old"])
        .unwrap();
    let path = format!("/orgs/acme/packages/container/signed/versions/{old}");
    fake.gh
        .fault("DELETE", &path)
        .every()
        .respond(422, r#"{"message":"refused"}"#)
        .unwrap();
    let run = fake.ghpkg(
        dir.path(),
        &[
            "prune",
            "container",
            "signed",
            "--org",
            "acme",
            "--tag",
            "old",
            "--registry-url",
            &url,
            "--yes",
        ],
    );
    run.expect(1);
    assert!(
        fake.gh
            .deleted_ids("acme", PackageType::Container, "signed")
            .is_empty()
    );
}
