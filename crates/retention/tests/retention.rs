//! The retention rules, one test per row of the README's semantics table,
//! planned against the fake GitHub with its registry behind it: each row is
//! a rule users of other clean-up tools got wrong, and what the engine does
//! instead. Reasons are checked as data.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use github_packages::PackageType;
use github_packages::fake::{CreatedPackage, Owner, Role};
use github_packages_retention::{
    Action, Criterion, PackagePlan, Policy, PolicyError, Quiet, Reason, ReferrerKind, TagPattern,
    Warning,
};

use common::{Fake, acme, app, delete_planned, deletes, entry, reason};

const HOUR: u64 = 3600;

/// The package, oldest first: an untagged orphan `o1` (50 h old), a
/// multi-arch `v1` (40 h) over two platform images, orphan `o2` (30 h),
/// multi-arch `v2` (20 h), orphan `o3` (10 h), single image `latest` (1 h).
struct Releases {
    fake: Fake,
    package: CreatedPackage,
}

impl Releases {
    async fn new() -> Releases {
        let fake = Fake::start().await;
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
        Releases { fake, package }
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

    /// The plan of `policy`, which the registry could be read for.
    async fn plan(&self, policy: &Policy) -> PackagePlan {
        let planned = self
            .fake
            .planner()
            .plan(&app(), policy, &Quiet)
            .await
            .expect("the package is planned");
        assert_eq!(planned.problems, [], "{policy:?}");
        planned
    }

    /// The ids the plan of `policy` deletes.
    async fn deletes(&self, policy: &Policy) -> BTreeSet<i64> {
        deletes(&self.plan(policy).await.plan)
    }
}

fn set(ids: impl IntoIterator<Item = i64>) -> BTreeSet<i64> {
    ids.into_iter().collect()
}

fn glob(pattern: &str) -> TagPattern {
    TagPattern::glob(pattern).unwrap()
}

fn hours(n: u64) -> Duration {
    Duration::from_secs(n * HOUR)
}

/// Row 1: `keep_last N` keeps the N newest images; their platform images
/// are kept with them and do not use up the count.
#[tokio::test]
async fn keep_last_counts_images_not_their_parts() {
    let r = Releases::new().await;
    assert_eq!(
        r.deletes(&Policy::default().keep_last(3)).await,
        r.all_but_the_newest_three()
    );
}

/// Row 2: an excluded version is kept and does not use up a keep slot:
/// "keep `latest` and the 2 newest others".
#[tokio::test]
async fn excluded_versions_do_not_use_up_keep_slots() {
    let r = Releases::new().await;
    let want = r.all_but_the_newest_three();
    // latest is excluded; the two newest others are o3 and v2.
    let policy = Policy::default().keep_last(2).exclude_tag(glob("latest"));
    assert_eq!(r.deletes(&policy).await, want);
}

/// Row 3: `keep_tagged N` alone never touches untagged versions.
#[tokio::test]
async fn keep_tagged_alone_deletes_only_tagged_versions() {
    let r = Releases::new().await;
    let got = r.deletes(&Policy::default().keep_tagged(2)).await;
    assert!(got.contains(&r.tagged("v1")));
    assert!(r.orphans().iter().all(|o| !got.contains(o)), "{got:?}");
    assert!(!got.contains(&r.tagged("v2")) && !got.contains(&r.tagged("latest")));
}

/// Row 4: `keep_untagged N` counts untagged images, not the platform images
/// of kept multi-arch images, and never touches tagged versions.
#[tokio::test]
async fn keep_untagged_counts_orphans_not_platform_images() {
    let r = Releases::new().await;
    let [o1, o2, _] = r.orphans();
    assert_eq!(
        r.deletes(&Policy::default().keep_untagged(1)).await,
        set([o1, o2])
    );
    // 0 keeps none of them, still no platform image of a kept index.
    assert_eq!(
        r.deletes(&Policy::default().keep_untagged(0)).await,
        set(r.orphans())
    );
}

/// Row 5: both keep rules together: each kind beyond its own count.
#[tokio::test]
async fn keep_tagged_and_keep_untagged_each_keep_their_own() {
    let r = Releases::new().await;
    let want = r.all_but_the_newest_three();
    let policy = Policy::default().keep_tagged(2).keep_untagged(1);
    assert_eq!(r.deletes(&policy).await, want);
}

/// Row 6: keep counts are not shrunk by age: the N newest stay whatever
/// their age, and `older_than` selects among the rest.
#[tokio::test]
async fn keep_counts_hold_whatever_the_age() {
    let r = Releases::new().await;
    let [o1, o2, _] = r.orphans();
    // o3 (10 h) is the newest orphan: kept by the count, though older than
    // 5 h; o2 and o1 are older than 5 h and beyond the count.
    let policy = Policy::default().keep_untagged(1).older_than(hours(5));
    assert_eq!(r.deletes(&policy).await, set([o1, o2]));
    // With a cutoff of 35 h, o2 (30 h) is too new to go.
    let policy = Policy::default().keep_untagged(1).older_than(hours(35));
    assert_eq!(r.deletes(&policy).await, set([o1]));
}

/// Row 7: `untagged` never deletes the platform images of a kept
/// multi-arch image, though they are untagged.
#[tokio::test]
async fn untagged_spares_the_parts_of_kept_images() {
    let r = Releases::new().await;
    let got = r.deletes(&Policy::default().untagged()).await;
    assert_eq!(got, set(r.orphans()));
    for tag in ["v1", "v2"] {
        assert!(r.platforms(tag).iter().all(|p| !got.contains(p)), "{tag}");
    }
}

/// Row 8: a version is deleted by a tag pattern only if every one of its
/// tags matches: deleting it deletes all of them.
#[tokio::test]
async fn tag_selects_a_version_only_if_every_tag_matches() {
    let r = Releases::new().await;
    let v2 = r.tagged("v2");
    r.fake
        .gh
        .set_tags("acme", PackageType::Container, "app", v2, ["v2", "stable"])
        .unwrap();
    let planned = r.plan(&Policy::default().tag(glob("v*"))).await;
    let got = deletes(&planned.plan);
    assert!(got.contains(&r.tagged("v1")));
    assert!(!got.contains(&v2), "v2 is also `stable`: {got:?}");
    assert_eq!(
        *reason(&planned.plan, v2),
        Reason::UnmatchedTag {
            tag: "stable".into()
        }
    );
}

/// Row 9: rules for both kinds make a union (`--keep-tagged 2 --untagged`
/// deletes tagged images beyond the 2 newest and every untagged image); only
/// a policy that would delete everything is refused.
#[tokio::test]
async fn keep_tagged_with_untagged_deletes_both_kinds() {
    let r = Releases::new().await;
    let policy = Policy::default().keep_tagged(2).untagged();
    assert_eq!(policy.check(), Ok(()));
    let planned = r.plan(&policy).await;
    let got = deletes(&planned.plan);
    let [o1, o2, o3] = r.orphans();
    assert!(
        got.contains(&o1) && got.contains(&o2) && got.contains(&o3),
        "{got:?}"
    );
    assert!(got.contains(&r.tagged("v1")), "{got:?}");
    for part in r.platforms("v2") {
        assert!(!got.contains(&part), "{got:?}");
    }
    assert_eq!(Policy::default().check(), Err(PolicyError::NoCriteria));
}

/// Row 10: signatures, attestations and SBOMs stored as referrer tags
/// (`sha256-<hex>.sig`, `.att`, `sha256-<hex>`) follow their subject: kept
/// with it, deleted with it, deleted when it is gone.
#[tokio::test]
async fn referrers_are_deleted_with_their_subject_and_kept_with_it() {
    let fake = Fake::start().await;
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

    let signed = acme(PackageType::Container, "signed");
    let policy = Policy::default().tag(glob("old"));
    let planned = fake.planner().plan(&signed, &policy, &Quiet).await.unwrap();
    assert_eq!(planned.problems, []);
    let plan = &planned.plan;
    assert_eq!(entry(plan, old.id).action, Action::Delete);
    let mut kinds = Vec::new();
    for id in &old_referrers {
        let e = entry(plan, *id);
        assert_eq!(e.action, Action::Delete, "{e:?}");
        match &e.reason {
            Reason::ReferrerOf { subject, kind } if *subject == old.name => kinds.push(kind),
            other => panic!("version {id}: {other:?}"),
        }
    }
    assert_eq!(
        kinds,
        [&ReferrerKind::Signature, &ReferrerKind::Attestation]
    );
    for id in &new_referrers {
        let e = entry(plan, *id);
        assert_eq!(e.action, Action::Keep, "{e:?}");
        assert!(
            matches!(&e.reason, Reason::ReferrerOf { subject, .. } if *subject == new.name),
            "{e:?}"
        );
    }

    // The deletes go as planned: the image and its referrers.
    let outcome = delete_planned(&fake.client, &[&planned]).await;
    assert!(!outcome.is_unfinished());
    let mut want = old_referrers.clone();
    want.push(old.id);
    want.sort();
    assert_eq!(fake.deleted("signed"), want);
}

/// Row 10, continued: a referrer whose subject is not in the package (gone,
/// or kept in a package of its own, as cosign's COSIGN_REPOSITORY does) is
/// decided by the keep and selection rules like an image, or deleted on
/// request.
#[tokio::test]
async fn a_referrer_whose_subject_is_gone_follows_the_rules() {
    let fake = Fake::start().await;
    let subject = format!("sha256:{}", "ab".repeat(32));
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
    let signed = acme(PackageType::Container, "signed");
    let decision = |policy: Policy| {
        let planner = fake.planner();
        let signed = signed.clone();
        async move {
            let planned = planner.plan(&signed, &policy, &Quiet).await.unwrap();
            assert_eq!(planned.problems, []);
            let e = entry(&planned.plan, sig);
            (e.action, e.reason.clone())
        }
    };
    // Kept by a keep rule like any tagged version: it uses a slot.
    assert_eq!(
        decision(Policy::default().keep_tagged(5)).await,
        (Action::Keep, Reason::KeepTagged { n: 5 })
    );
    // Selected by a tag pattern, it goes like any image.
    let (action, reason) = decision(Policy::default().tag(glob("sha256-*"))).await;
    assert_eq!(action, Action::Delete);
    assert!(
        matches!(&reason, Reason::Selected { criteria } if matches!(criteria[..], [Criterion::TagMatches { .. }])),
        "{reason:?}"
    );
    // On request, orphaned referrers go, and the plan says why.
    assert_eq!(
        decision(Policy::default().delete_orphaned_referrers()).await,
        (
            Action::Delete,
            Reason::Selected {
                criteria: vec![Criterion::OrphanedReferrer {
                    subject,
                    kind: ReferrerKind::Signature
                }]
            }
        )
    );
}

/// An image index whose platform images are missing from the package (a
/// "ghost" image: pulling it fails) is reported in the plan.
#[tokio::test]
async fn a_ghost_image_is_reported() {
    let r = Releases::new().await;
    let packages = r.fake.client.packages(github_packages::Scope::org("acme"));
    for id in r.platforms("v1") {
        packages
            .version(PackageType::Container, "app", id)
            .delete()
            .await
            .unwrap();
    }
    // The registry is read when a plan deletes something: here the orphans.
    let planned = r.plan(&Policy::default().keep_untagged(0)).await;
    let v1 = r.tagged("v1");
    let ghosts: Vec<&Warning> = planned.all_warnings().filter(|w| w.is_ghost()).collect();
    assert!(
        matches!(
            ghosts.as_slice(),
            [Warning::IncompleteImage { id, tags, listed: 2, missing: 2, .. }]
                if *id == v1 && tags == &["v1"]
        ),
        "{:?}",
        planned.all_warnings().collect::<Vec<_>>()
    );
}
