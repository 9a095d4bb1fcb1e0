//! One image graph (issue 16): keep counts count images only, parts and
//! referrers go with what they belong to (by tag or by `subject`), the
//! parts of a deleted index go with it unless a kept one shares them, and a
//! policy with rules for both kinds deletes the union. Each test plans a
//! package on the fake GitHub, whose registry serves the manifests.

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use github_packages::fake::{CreatedPackage, Owner};
use github_packages::{PackageType, Scope};
use github_packages_retention::{
    Criterion, PartRole, Planner, Policy, Quiet, Reason, ReferrerKind, Registry, TagPattern, Target,
};
use serde_json::json;

mod common;

use common::{Fake, deletes, reason};

const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

fn ago(hours: i64) -> DateTime<Utc> {
    Utc::now() - TimeDelta::hours(hours)
}

fn digest(n: u32) -> String {
    format!("sha256:{n:064x}")
}

fn ids_of(package: &CreatedPackage, index: i64) -> BTreeSet<i64> {
    package.children_of(index).iter().map(|v| v.id).collect()
}

fn with(mut set: BTreeSet<i64>, more: impl IntoIterator<Item = i64>) -> BTreeSet<i64> {
    set.extend(more);
    set
}

/// An image index over `parts` (digests), all listed as platform images.
fn index_body(parts: &[&str]) -> serde_json::Value {
    let manifests: Vec<_> = parts
        .iter()
        .enumerate()
        .map(|(n, d)| {
            let architecture = ["amd64", "arm64", "s390x"][n % 3];
            json!({"mediaType": OCI_MANIFEST, "digest": d, "size": 500,
                   "platform": {"os": "linux", "architecture": architecture}})
        })
        .collect();
    json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests})
}

/// An OCI 1.1 referrer of `subject`: an artifact manifest with a `subject`
/// field, as `oras attach` pushes one.
fn referrer_body(subject: &str, artifact: &str) -> serde_json::Value {
    json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": artifact,
        "config": {"mediaType": "application/vnd.oci.empty.v1+json",
                   "digest": digest(999), "size": 2},
        "layers": [],
        "subject": {"mediaType": OCI_INDEX, "digest": subject, "size": 700}
    })
}

/// Failure 1: with `--keep-tagged 1 --keep-untagged 1`, the platform images
/// of a tagged index the plan deletes are not images, so they take no
/// untagged slot: the newest untagged multi-arch image keeps it, whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_indexs_platform_images_take_no_keep_slot() {
    let fake = Fake::start().await;
    let app = fake
        .package()
        .image()
        .platforms(["linux/amd64", "linux/arm64"])
        .created_at(ago(20))
        .image()
        .tags(["v0"])
        .platforms(["linux/amd64", "linux/arm64"])
        .created_at(ago(10))
        .image()
        .tags(["v1"])
        .platforms(["linux/amd64", "linux/arm64"])
        .created_at(ago(5))
        .create()
        .unwrap();
    let untagged = app
        .versions
        .iter()
        .find(|v| v.tags.is_empty() && !app.children_of(v.id).is_empty())
        .unwrap()
        .id;
    let v0 = app.tagged("v0").unwrap().id;
    let plan = fake
        .plan(&Policy::default().keep_tagged(1).keep_untagged(1))
        .await;
    assert_eq!(deletes(&plan.plan), with(ids_of(&app, v0), [v0]));
    assert_eq!(*reason(&plan.plan, untagged), Reason::KeepUntagged { n: 1 });
    for part in ids_of(&app, v0) {
        assert!(
            matches!(reason(&plan.plan, part), Reason::PartOfDeleted { index, role: PartRole::Platform, .. }
                if *index == app.versions.iter().find(|v| v.id == v0).unwrap().name),
            "{:?}",
            reason(&plan.plan, part)
        );
        let entry = plan.plan.entries.iter().find(|e| e.id == part).unwrap();
        assert_eq!(entry.after.len(), 1, "it goes after its index");
    }
}

/// Failure 2: an OCI 1.1 referrer (untagged, `subject` in its manifest, no
/// `sha256-<hex>` tag) stays with its kept subject and goes with its
/// deleted one, after it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oci_referrer_follows_its_subject_by_its_manifest() {
    let fake = Fake::start().await;
    let (kept, gone) = (digest(1), digest(2));
    let app = fake
        .package()
        .version(gone.clone())
        .created_at(ago(30))
        .version(digest(3))
        .manifest(
            OCI_MANIFEST,
            referrer_body(&gone, "application/vnd.dev.sigstore.bundle.v0.3+json"),
        )
        .created_at(ago(29))
        .version(kept.clone())
        .tags(["v1"])
        .created_at(ago(20))
        .version(digest(4))
        .manifest(
            OCI_MANIFEST,
            referrer_body(&kept, "application/vnd.cncf.notary.signature"),
        )
        .created_at(ago(19))
        .create()
        .unwrap();
    let id = |d: &str| app.named(d).unwrap().id;
    let plan = fake.plan(&Policy::default().untagged()).await;
    assert_eq!(
        deletes(&plan.plan),
        BTreeSet::from([id(&gone), id(&digest(3))])
    );
    assert_eq!(
        *reason(&plan.plan, id(&digest(4))),
        Reason::ReferrerOf {
            subject: kept.clone(),
            kind: ReferrerKind::Signature
        }
    );
    let with_gone = plan
        .plan
        .entries
        .iter()
        .find(|e| e.id == id(&digest(3)))
        .unwrap();
    assert_eq!(
        with_gone.reason,
        Reason::ReferrerOf {
            subject: gone.clone(),
            kind: ReferrerKind::Attestation
        }
    );
    assert_eq!(with_gone.after, [gone]);
}

/// Failure 3: when a tagged index goes (`--tag`), its platform images and
/// attestation go with it; a platform image a kept index shares stays.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_parts_of_a_deleted_index_go_with_it_unless_shared() {
    let fake = Fake::start().await;
    let (only_a, shared, only_b) = (digest(11), digest(12), digest(13));
    let app = fake
        .package()
        .version(only_a.clone())
        .created_at(ago(10))
        .version(shared.clone())
        .created_at(ago(10))
        .version(only_b.clone())
        .created_at(ago(9))
        .version(digest(20))
        .tags(["v1"])
        .manifest(OCI_INDEX, index_body(&[&only_a, &shared]))
        .created_at(ago(10))
        .version(digest(21))
        .tags(["v2"])
        .manifest(OCI_INDEX, index_body(&[&shared, &only_b]))
        .created_at(ago(9))
        .image()
        .tags(["v3"])
        .platforms(["linux/amd64"])
        .attestations()
        .created_at(ago(8))
        .create()
        .unwrap();
    let id = |d: &str| app.named(d).unwrap().id;
    let v3 = app.tagged("v3").unwrap().id;
    let policy = Policy::default()
        .tag(TagPattern::glob("v1").unwrap())
        .tag(TagPattern::glob("v3").unwrap());
    let plan = fake.plan(&policy).await;
    let expected = with(ids_of(&app, v3), [v3, id(&digest(20)), id(&only_a)]);
    assert_eq!(deletes(&plan.plan), expected);
    assert!(matches!(
        reason(&plan.plan, id(&shared)),
        Reason::PartOf { index, .. } if *index == digest(21)
    ));
    // The attestation of v3 goes with it, as an attestation.
    let attestation = app
        .children_of(v3)
        .into_iter()
        .find(|v| matches!(v.role, github_packages::fake::Role::Attestation { .. }))
        .unwrap();
    assert!(matches!(
        reason(&plan.plan, attestation.id),
        Reason::PartOfDeleted {
            role: PartRole::Attestation,
            ..
        }
    ));
}

/// Failure 4: `--keep-tagged 10 --untagged`, the first example of
/// `ghpkg prune --help` and the clean-up actions' `keep-n-tagged: 10` with
/// `delete-untagged: true`, deletes the tagged images beyond the 10 newest
/// and every untagged image, never the parts of a kept image.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keep_tagged_with_untagged_deletes_the_union() {
    let fake = Fake::start().await;
    let mut builder = fake
        .package()
        .image()
        .tags(["latest"])
        .platforms(["linux/amd64", "linux/arm64"])
        .created_at(ago(1))
        .package();
    for n in 0..12 {
        builder = builder
            .image()
            .tags([format!("v{n}")])
            .created_at(ago(100 - n))
            .image()
            .created_at(ago(100 - n))
            .package();
    }
    let app = builder.create().unwrap();
    let policy = Policy::default().keep_tagged(10).untagged();
    let plan = fake.plan(&policy).await;
    let latest = app.tagged("latest").unwrap().id;
    // Tagged: latest and v11..v3 are the 10 newest; v0, v1, v2 go.
    let mut expected: BTreeSet<i64> = ["v0", "v1", "v2"]
        .iter()
        .map(|t| app.tagged(t).unwrap().id)
        .collect();
    // Untagged images: the twelve single images; not latest's platforms.
    let platforms = ids_of(&app, latest);
    expected.extend(
        app.versions
            .iter()
            .filter(|v| v.tags.is_empty() && !platforms.contains(&v.id))
            .map(|v| v.id),
    );
    assert_eq!(deletes(&plan.plan), expected);
    for part in platforms {
        assert!(matches!(reason(&plan.plan, part), Reason::PartOf { .. }));
    }
    let v0 = app.tagged("v0").unwrap().id;
    assert_eq!(
        *reason(&plan.plan, v0),
        Reason::Selected {
            criteria: vec![Criterion::BeyondKeepTagged { n: 10 }]
        }
    );
}

/// Ghost images (an index none of whose parts is in the package) and
/// partial ones are deleted on request, each by its own flag; without it
/// they are kept and reported.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ghost_and_partial_images_go_on_request() {
    let fake = Fake::start().await;
    let present = digest(31);
    let app = fake
        .package()
        .version(present.clone())
        .created_at(ago(9))
        .version(digest(40))
        .tags(["ghost"])
        .manifest(OCI_INDEX, index_body(&[&digest(32), &digest(33)]))
        .created_at(ago(8))
        .version(digest(41))
        .tags(["partial"])
        .manifest(OCI_INDEX, index_body(&[&present, &digest(34)]))
        .created_at(ago(7))
        .version(digest(42))
        .tags(["whole"])
        .created_at(ago(6))
        .create()
        .unwrap();
    let id = |d: &str| app.named(d).unwrap().id;
    // Without the flags they stay, and the plan reports them (the one
    // untagged image is a part of the partial one, so nothing goes).
    let plan = fake.plan(&Policy::default().untagged()).await;
    assert!(deletes(&plan.plan).is_empty());
    assert_eq!(plan.plan.warnings.len(), 2, "{:?}", plan.plan.warnings);
    assert!(plan.plan.warnings.iter().any(|w| w.is_ghost()));

    let plan = fake.plan(&Policy::default().delete_ghost_images()).await;
    assert_eq!(deletes(&plan.plan), BTreeSet::from([id(&digest(40))]));
    assert_eq!(
        *reason(&plan.plan, id(&digest(40))),
        Reason::Selected {
            criteria: vec![Criterion::GhostImage { listed: 2 }]
        }
    );
    let plan = fake.plan(&Policy::default().delete_partial_images()).await;
    // The partial index goes, and its one present platform image with it.
    assert_eq!(
        deletes(&plan.plan),
        BTreeSet::from([id(&digest(41)), id(&present)])
    );
}

/// Orphaned referrers (their subject is not in the package) follow the
/// rules like images, or go on request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orphaned_referrers_go_on_request() {
    let fake = Fake::start().await;
    let orphan_tag = format!("sha256-{:064x}.sig", 77);
    let app = fake
        .package()
        .image()
        .tags(["v1"])
        .cosign_signature()
        .created_at(ago(5))
        .image()
        .tags([orphan_tag.as_str()])
        .created_at(ago(4))
        .version(digest(50))
        .manifest(
            OCI_MANIFEST,
            referrer_body(&digest(78), "application/spdx+json"),
        )
        .created_at(ago(3))
        .create()
        .unwrap();
    let sig_of_orphan = app.tagged(&orphan_tag).unwrap().id;
    let sbom = app.named(&digest(50)).unwrap().id;
    let plan = fake
        .plan(&Policy::default().delete_orphaned_referrers())
        .await;
    assert_eq!(deletes(&plan.plan), BTreeSet::from([sig_of_orphan, sbom]));
    assert!(matches!(
        reason(&plan.plan, sbom),
        Reason::Selected { criteria } if matches!(&criteria[..],
            [Criterion::OrphanedReferrer { kind: ReferrerKind::Sbom, .. }])
    ));
}

/// Selecting and excluding by digest: a named image goes with its parts
/// whatever the keep counts; an excluded one stays with its parts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn digests_select_and_protect_whole_images() {
    let fake = Fake::start().await;
    let app = fake
        .package()
        .image()
        .tags(["v1"])
        .platforms(["linux/amd64", "linux/arm64"])
        .created_at(ago(5))
        .image()
        .created_at(ago(4))
        .image()
        .created_at(ago(3))
        .create()
        .unwrap();
    let v1 = app.tagged("v1").unwrap();
    let plan = fake
        .plan(&Policy::default().keep_last(10).digest(v1.name.clone()))
        .await;
    assert_eq!(deletes(&plan.plan), with(ids_of(&app, v1.id), [v1.id]));
    let orphans: Vec<_> = app
        .versions
        .iter()
        .filter(|v| v.role == github_packages::fake::Role::Image)
        .collect();
    let plan = fake
        .plan(
            &Policy::default()
                .untagged()
                .exclude_digest(orphans[0].name.clone()),
        )
        .await;
    assert_eq!(deletes(&plan.plan), BTreeSet::from([orphans[1].id]));
    assert_eq!(
        *reason(&plan.plan, orphans[0].id),
        Reason::ExcludedDigest {
            digest: orphans[0].name.clone()
        }
    );
}

/// Version names select and protect for every package type: Maven
/// `-SNAPSHOT` builds and npm prereleases are the everyday case.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn version_names_select_and_protect_npm_prereleases() {
    let fake = Fake::start().await;
    let lib = fake
        .gh
        .package(Owner::org("acme"), PackageType::Npm, "lib")
        .version("1.0.0")
        .created_at(ago(90))
        .version("1.1.0-rc.1")
        .created_at(ago(80))
        .version("1.1.0-rc.2")
        .created_at(ago(70))
        .version("1.1.0")
        .created_at(ago(60))
        .version("2.0.0-beta.1")
        .created_at(ago(1))
        .create()
        .unwrap();
    let id = |name: &str| lib.named(name).unwrap().id;
    let target = Target::new(Scope::org("acme"), PackageType::Npm, "lib");
    let plan = |policy: Policy| {
        let planner = Planner::new(&fake.client);
        let target = target.clone();
        async move { planner.plan(&target, &policy, &Quiet).await.unwrap() }
    };
    let prereleases = Policy::default()
        .name(TagPattern::glob("*-*").unwrap())
        .older_than(Duration::from_secs(86_400));
    let planned = plan(prereleases).await;
    assert_eq!(
        deletes(&planned.plan),
        BTreeSet::from([id("1.1.0-rc.1"), id("1.1.0-rc.2")])
    );
    assert!(matches!(
        reason(&planned.plan, id("1.0.0")),
        Reason::NoNameMatches { .. }
    ));
    let protect = Policy::default()
        .keep_last(1)
        .exclude_name(TagPattern::regex(r"^1\.0\.").unwrap());
    let planned = plan(protect).await;
    assert_eq!(
        deletes(&planned.plan),
        BTreeSet::from([id("1.1.0-rc.1"), id("1.1.0-rc.2"), id("1.1.0")])
    );
    assert!(matches!(
        reason(&planned.plan, id("1.0.0")),
        Reason::ExcludedName { .. }
    ));
}

/// Ages and recency from `updated_at`: a version tagged again recently
/// counts as new.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ages_can_count_from_updated_at() {
    let fake = Fake::start().await;
    let app = fake
        .package()
        .image()
        .tags(["stable"])
        .created_at(ago(100))
        .updated_at(ago(1))
        .image()
        .tags(["old"])
        .created_at(ago(90))
        .create()
        .unwrap();
    let stable = app.tagged("stable").unwrap().id;
    let old = app.tagged("old").unwrap().id;
    let by_creation = Policy::default().older_than(Duration::from_secs(48 * 3600));
    assert_eq!(
        deletes(&fake.plan(&by_creation).await.plan),
        BTreeSet::from([stable, old])
    );
    let by_update = by_creation.age_from(github_packages_retention::AgeFrom::Updated);
    assert_eq!(
        deletes(&fake.plan(&by_update).await.plan),
        BTreeSet::from([old])
    );
}

/// The parts of a deleted index go only after it: when GitHub refuses the
/// index's DELETE, its platform images stay (skipped, not deleted), so the
/// image still pulls.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parts_wait_for_their_index_and_stay_when_it_stays() {
    use github_packages_retention::{Executor, SkipReason, Stop};
    let fake = Fake::start().await;
    let app = fake
        .package()
        .image()
        .tags(["v1"])
        .platforms(["linux/amd64", "linux/arm64"])
        .created_at(ago(10))
        .image()
        .tags(["v2"])
        .created_at(ago(1))
        .create()
        .unwrap();
    let v1 = app.tagged("v1").unwrap().id;
    let planned = fake
        .plan(&Policy::default().tag(TagPattern::glob("v1").unwrap()))
        .await;
    assert_eq!(deletes(&planned.plan), with(ids_of(&app, v1), [v1]));
    fake.gh
        .fault(
            "DELETE",
            &format!("/orgs/acme/packages/container/app/versions/{v1}"),
        )
        .respond(422, r#"{"message":"refused"}"#)
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let outcome = Executor::new(&fake.client, Stop::new())
        .delete_planned(
            std::slice::from_ref(&planned),
            &dir.path().join("j.jsonl"),
            &Quiet,
        )
        .await
        .unwrap();
    let package = &outcome.packages[0];
    assert_eq!(package.failed.len(), 1);
    assert_eq!(package.failed[0].version.id, v1);
    let skipped: BTreeSet<i64> = package.skipped.iter().map(|s| s.version.id).collect();
    assert_eq!(skipped, ids_of(&app, v1));
    assert!(package.skipped.iter().all(|s| matches!(
        &s.reason,
        SkipReason::OwnerNotDeleted { owner } if *owner == app.versions.iter().find(|v| v.id == v1).unwrap().name
    )));
    assert!(
        fake.gh
            .deleted_ids("acme", PackageType::Container, "app")
            .is_empty()
    );
}

/// A manifest read once is kept in the cache: a second plan of the
/// unchanged package reads none from the registry and plans the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_plan_reads_no_manifest_it_read_before() {
    use github_packages_retention::ManifestCache;
    let fake = Fake::start().await;
    fake.package()
        .image()
        .tags(["v1"])
        .platforms(["linux/amd64", "linux/arm64"])
        .attestations()
        .created_at(ago(10))
        .image()
        .created_at(ago(9))
        .image()
        .created_at(ago(8))
        .create()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let registry = Registry::new(&fake.gh.url())
        .unwrap()
        .token(fake.token.clone());
    let target = Target::new(Scope::org("acme"), PackageType::Container, "app");
    let planner = Planner::new(&fake.client)
        .registry(registry)
        .manifest_cache(ManifestCache::new(dir.path()));
    let policy = Policy::default().untagged();
    let served = || {
        fake.gh
            .requests()
            .iter()
            .filter(|r| r.method == http::Method::GET && r.path.contains("/manifests/"))
            .filter(|r| r.status == Some(200))
            .count()
    };
    let first = planner.plan(&target, &policy, &Quiet).await.unwrap();
    let reads_then = served();
    assert!(first.manifest_reads > 0);
    assert_eq!(reads_then, first.manifest_reads);
    let second = planner.plan(&target, &policy, &Quiet).await.unwrap();
    assert_eq!(second.manifest_reads, 0);
    assert_eq!(second.cache_hits, first.manifest_reads);
    assert_eq!(
        served(),
        reads_then,
        "the registry served no manifest again"
    );
    assert_eq!(second.plan.entries, first.plan.entries);
}

/// The manifests of tagged versions are read while the listing is still
/// coming in, not after its last page: a package of 150 tagged images whose
/// second page is slow has every manifest of the first page read before
/// that page is asked for. The plan is the one a read after the listing
/// makes, and no manifest is read twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tagged_manifests_are_read_while_the_listing_comes_in() {
    let fake = Fake::start().await;
    let mut images = fake.package().image().tags(["v0"]).created_at(ago(200));
    for n in 1..150 {
        images = images
            .image()
            .tags([format!("v{n}")])
            .created_at(ago(200 - n));
    }
    images.create().unwrap();
    fake.gh
        .fault("GET", "/orgs/acme/packages/container/app/versions")
        .nth(2)
        .latency(std::time::Duration::from_millis(400))
        .unwrap();
    let planned = fake.plan(&Policy::default().keep_tagged(100)).await;
    assert_eq!(planned.problems, []);
    assert_eq!(planned.plan.delete_count(), 50);
    assert_eq!(planned.manifest_reads, 150, "each tagged manifest once");

    let requests = fake.gh.requests();
    let position = |what: &dyn Fn(&str) -> bool| requests.iter().position(|r| what(&r.path));
    let last_page = requests
        .iter()
        .rposition(|r| r.path.ends_with("/versions"))
        .unwrap();
    let first_read = position(&|p: &str| p.contains("/manifests/")).unwrap();
    assert!(
        first_read < last_page,
        "the first manifest read (request {first_read}) came after the last page (request \
         {last_page})"
    );
    let mut digests: Vec<&str> = requests
        .iter()
        .filter(|r| r.path.contains("/manifests/") && r.status == Some(200))
        .map(|r| r.path.as_str())
        .collect();
    digests.sort_unstable();
    digests.dedup();
    assert_eq!(digests.len(), 150);
}
