//! Properties of the engine over generated packages: random multi-arch
//! graphs (nested indexes, parts shared by several indexes, parts missing),
//! referrers by tag and by `subject`, random policies.
//!
//! - no part or referrer of a kept version is ever planned for deletion;
//! - no keep slot is ever used by a part or a referrer;
//! - a deleted part or referrer waits for every deleted owner;
//! - applied to the fake GitHub, the plan leaves no kept index with a
//!   missing part.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use github_packages::fake::{FakeGitHub, Owner};
use github_packages::{
    Client, ContainerMetadata, PackageType, PackageVersion, PackageVersionMetadata, Scope,
};
use github_packages_retention::{
    Action, AgeFrom, Executor, Images, Manifest, Part, PartRole, Plan, Planner, Policy, Quiet,
    Reason, ReferrerKind, Registry, Stop, TagPattern, Target, decide,
};
use proptest::prelude::*;
use serde_json::json;

const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

/// What a generated version is.
#[derive(Debug, Clone)]
enum Shape {
    Image,
    /// An index over earlier versions (by position) and absent digests.
    Index {
        parts: Vec<usize>,
        absent: usize,
    },
    /// A referrer of an earlier version, named by a `sha256-<hex>.sig` tag
    /// (`by_tag`) or by its manifest's `subject`.
    Referrer {
        subject: usize,
        by_tag: bool,
    },
}

#[derive(Debug, Clone)]
struct Generated {
    shape: Shape,
    tags: Vec<String>,
    age_hours: i64,
    touched_hours: i64,
}

fn digest(n: usize) -> String {
    format!("sha256:{:064x}", n + 1)
}

fn absent(n: usize, k: usize) -> String {
    format!("sha256:{:064x}", 1_000_000 + n * 16 + k)
}

fn version_strategy(position: usize) -> impl Strategy<Value = Generated> {
    let earlier = position.max(1);
    let shape = if position == 0 {
        Just(Shape::Image).boxed()
    } else {
        prop_oneof![
            4 => Just(Shape::Image),
            3 => (proptest::collection::vec(0..earlier, 1..4), 0usize..2)
                .prop_map(|(mut parts, absent)| {
                    parts.sort_unstable();
                    parts.dedup();
                    Shape::Index { parts, absent }
                }),
            2 => (0..earlier, any::<bool>())
                .prop_map(|(subject, by_tag)| Shape::Referrer { subject, by_tag }),
        ]
        .boxed()
    };
    let tags = prop_oneof![
        3 => Just(Vec::new()),
        1 => Just(vec![format!("v{position}")]),
        1 => Just(vec![format!("pr-{position}")]),
        1 => Just(vec![format!("v{position}"), "latest".to_owned()]),
    ];
    (shape, tags, 0i64..200, 0i64..200).prop_map(|(shape, tags, age, touched)| Generated {
        shape,
        tags,
        age_hours: age,
        touched_hours: touched.min(age),
    })
}

fn package_strategy() -> impl Strategy<Value = Vec<Generated>> {
    (1usize..28).prop_flat_map(|n| (0..n).map(version_strategy).collect::<Vec<_>>())
}

fn policy_strategy() -> impl Strategy<Value = Policy> {
    (
        proptest::option::of(1usize..6),
        proptest::option::of(0usize..4),
        proptest::option::of(0usize..4),
        proptest::option::of(1u64..150),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        (any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>()),
    )
        .prop_map(
            |(keep_last, keep_tagged, keep_untagged, hours, untagged, prs, exclude, flags)| {
                let mut policy = Policy::default();
                policy.keep_last = keep_last;
                policy.keep_tagged = keep_tagged;
                policy.keep_untagged = keep_untagged;
                policy.older_than = hours.map(|h| Duration::from_secs(h * 3600));
                policy.untagged = untagged;
                if prs {
                    policy.tags.push(TagPattern::glob("pr-*").unwrap());
                }
                if exclude {
                    policy.exclude_tags.push(TagPattern::glob("v1*").unwrap());
                }
                let (ghosts, partial, orphans, updated) = flags;
                policy.delete_ghost_images = ghosts;
                policy.delete_partial_images = partial;
                policy.delete_orphaned_referrers = orphans;
                if updated {
                    policy.age_from = AgeFrom::Updated;
                }
                if !policy.has_criteria() {
                    policy.untagged = true;
                }
                policy
            },
        )
}

fn now() -> DateTime<Utc> {
    "2026-06-01T00:00:00Z".parse().unwrap()
}

/// The tags position `n` was given.
fn given_tags(package: &[Generated], n: usize) -> Vec<String> {
    match package[n].shape {
        // A referrer tag replaces any other: its version is a referrer.
        Shape::Referrer {
            subject,
            by_tag: true,
        } => vec![format!("sha256-{:064x}.sig", subject + 1)],
        _ => package[n].tags.clone(),
    }
}

/// The tags position `n` holds: a tag given again to a later version moves
/// there, as on GHCR (a second signature of an image takes its `.sig` tag).
fn tags_of(package: &[Generated], n: usize) -> Vec<String> {
    given_tags(package, n)
        .into_iter()
        .filter(|tag| (n + 1..package.len()).all(|later| !given_tags(package, later).contains(tag)))
        .collect()
}

/// The package as GitHub lists it and as the registry describes it.
fn listing(package: &[Generated]) -> (Vec<PackageVersion>, Images) {
    let mut images = Images::default();
    let versions = package
        .iter()
        .enumerate()
        .map(|(n, v)| {
            let created = now() - TimeDelta::hours(v.age_hours);
            let manifest = match &v.shape {
                Shape::Image => Manifest::default(),
                Shape::Index { parts, absent: k } => Manifest {
                    parts: parts
                        .iter()
                        .map(|&p| digest(p))
                        .chain((0..*k).map(|k| absent(n, k)))
                        .map(|digest| Part {
                            digest,
                            role: PartRole::Platform,
                            platform: None,
                        })
                        .collect(),
                    ..Manifest::default()
                },
                Shape::Referrer { subject, by_tag } => Manifest {
                    subject: (!by_tag).then(|| digest(*subject)),
                    referrer: (!by_tag).then_some(ReferrerKind::Signature),
                    ..Manifest::default()
                },
            };
            images.record(digest(n), manifest);
            PackageVersion {
                created_at: created,
                deleted_at: None,
                description: None,
                html_url: None,
                id: 1000 + n as i64,
                license: None,
                metadata: Some(PackageVersionMetadata {
                    container: Some(ContainerMetadata {
                        tags: tags_of(package, n),
                    }),
                    docker: None,
                    package_type: PackageType::Container,
                }),
                name: digest(n),
                package_html_url: String::new(),
                updated_at: now() - TimeDelta::hours(v.touched_hours),
                url: String::new(),
            }
        })
        .collect();
    (versions, images)
}

/// Each version's owners in the package: the indexes that list it and the
/// subject it refers to.
fn owners(package: &[Generated]) -> HashMap<String, BTreeSet<String>> {
    let mut owners: HashMap<String, BTreeSet<String>> = HashMap::new();
    for (n, v) in package.iter().enumerate() {
        match &v.shape {
            Shape::Index { parts, .. } => {
                for &p in parts {
                    if p != n {
                        owners.entry(digest(p)).or_default().insert(digest(n));
                    }
                }
            }
            // A referrer by tag whose tag moved on is a referrer no more.
            Shape::Referrer { subject, by_tag }
                if *subject != n && (!by_tag || !tags_of(package, n).is_empty()) =>
            {
                owners
                    .entry(digest(n))
                    .or_default()
                    .insert(digest(*subject));
            }
            _ => {}
        }
    }
    owners
}

/// Checks the plan; `slots` also checks that no part or referrer holds a
/// keep slot, which the planner knows only once it read the registry (it
/// does not when the plan deletes nothing: then no action depends on it).
fn check(package: &[Generated], plan: &Plan, slots: bool) -> Result<(), TestCaseError> {
    let owners = owners(package);
    let action: HashMap<&str, Action> = plan
        .entries
        .iter()
        .map(|e| (e.name.as_str(), e.action))
        .collect();
    for entry in &plan.entries {
        let mine = owners.get(&entry.name).cloned().unwrap_or_default();
        if entry.action == Action::Delete {
            for owner in &mine {
                prop_assert_ne!(
                    action.get(owner.as_str()),
                    Some(&Action::Keep),
                    "{} is deleted while {} that owns it is kept",
                    entry.id,
                    owner
                );
            }
            let after: BTreeSet<String> = entry.after.iter().cloned().collect();
            prop_assert_eq!(&after, &mine, "{} waits for every owner", entry.id);
        }
        if slots
            && matches!(
                entry.reason,
                Reason::KeepLast { .. } | Reason::KeepTagged { .. } | Reason::KeepUntagged { .. }
            )
        {
            prop_assert!(
                mine.is_empty(),
                "{} holds a keep slot but belongs to {:?}",
                entry.id,
                mine
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn nothing_a_kept_version_owns_is_deleted_and_no_part_takes_a_slot(
        package in package_strategy(),
        policy in policy_strategy(),
    ) {
        let (versions, images) = listing(&package);
        let plan = decide(&versions, &policy, now(), &images);
        check(&package, &plan, true)?;
        // An unreadable registry holds every delete but nothing it owns.
        let mut unreadable = images.clone();
        unreadable.mark_unreadable();
        let held = decide(&versions, &policy, now(), &unreadable);
        prop_assert_eq!(held.delete_count(), 0);
    }
}

/// The manifest the fake serves for a generated version.
fn manifest_body(package: &[Generated], n: usize) -> Option<serde_json::Value> {
    match &package[n].shape {
        Shape::Image | Shape::Referrer { by_tag: true, .. } => None,
        Shape::Index { parts, absent: k } => {
            // Each part listed with its true media type; a referrer with its
            // artifact type, as OCI 1.1 descriptors carry it.
            let listed = parts.iter().map(|&p| {
                let mut descriptor = match package[p].shape {
                    Shape::Index { .. } => json!({"mediaType": OCI_INDEX}),
                    _ => json!({"mediaType": OCI_MANIFEST,
                                "platform": {"os": "linux", "architecture": "amd64"}}),
                };
                if let Shape::Referrer { by_tag: false, .. } = package[p].shape {
                    descriptor["artifactType"] = json!("application/vnd.cncf.notary.signature");
                }
                descriptor["digest"] = json!(digest(p));
                descriptor["size"] = json!(1);
                descriptor
            });
            let missing = (0..*k).map(|k| {
                json!({"mediaType": OCI_MANIFEST, "digest": absent(n, k), "size": 1,
                       "platform": {"os": "linux", "architecture": "arm64"}})
            });
            let manifests: Vec<_> = listed.chain(missing).collect();
            Some(json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests}))
        }
        Shape::Referrer {
            subject,
            by_tag: false,
        } => Some(json!({
            "schemaVersion": 2, "mediaType": OCI_MANIFEST,
            "artifactType": "application/vnd.cncf.notary.signature",
            "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": absent(0, 15), "size": 2},
            "layers": [],
            "subject": {"mediaType": OCI_MANIFEST, "digest": digest(*subject), "size": 1}
        })),
    }
}

/// Plans `package` on a fresh fake, applies the plan, and returns the
/// digests still active and which of them are indexes over what.
fn apply_on_the_fake(package: &[Generated], policy: &Policy) -> (HashSet<String>, Plan) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let gh = FakeGitHub::builder()
            .without_rate_limits()
            .start()
            .await
            .unwrap();
        let mut builder = gh
            .package(Owner::org("acme"), PackageType::Container, "app")
            .version(digest(0))
            .created_at(Utc::now() - TimeDelta::hours(package[0].age_hours));
        builder = builder.tags(given_tags(package, 0));
        if let Some(body) = manifest_body(package, 0) {
            builder = builder.manifest(OCI_INDEX, body);
        }
        let mut package_builder = builder.package();
        for n in 1..package.len() {
            let mut version = package_builder
                .version(digest(n))
                .created_at(Utc::now() - TimeDelta::hours(package[n].age_hours))
                .tags(given_tags(package, n));
            if let Some(body) = manifest_body(package, n) {
                let media = if body["mediaType"] == OCI_INDEX {
                    OCI_INDEX
                } else {
                    OCI_MANIFEST
                };
                version = version.manifest(media, body);
            }
            package_builder = version.package();
        }
        package_builder.create().unwrap();
        let token = gh.token_with_scopes(&["read:packages", "delete:packages"]);
        let client = Client::builder()
            .base_url(gh.url())
            .token(token.clone())
            .min_write_interval(Duration::ZERO)
            .points_per_minute(0)
            .max_retries(0)
            .build()
            .unwrap();
        let planner =
            Planner::new(&client).registry(Registry::new(&gh.url()).unwrap().token(token));
        let target = Target::new(Scope::org("acme"), PackageType::Container, "app");
        let planned = planner.plan(&target, policy, &Quiet).await.unwrap();
        assert!(
            planned.problems.is_empty(),
            "{:?}, warnings {:?}",
            planned.problems,
            planned.all_warnings().collect::<Vec<_>>()
        );
        let dir = tempfile::tempdir().unwrap();
        Executor::new(&client, Stop::new())
            .delete_planned(
                std::slice::from_ref(&planned),
                &dir.path().join("j.jsonl"),
                &Quiet,
            )
            .await
            .unwrap();
        let active = gh
            .versions("acme", PackageType::Container, "app")
            .into_iter()
            .filter(|v| v.deleted_at.is_none())
            .map(|v| v.name)
            .collect();
        (active, planned.plan)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, max_shrink_iters: 256, ..ProptestConfig::default() })]

    #[test]
    fn applied_to_the_fake_no_kept_index_loses_a_part(
        package in package_strategy(),
        policy in policy_strategy(),
    ) {
        let (active, plan) = apply_on_the_fake(&package, &policy);
        let read = plan.delete_count() > 0;
        check(&package, &plan, read)?;
        for (n, v) in package.iter().enumerate() {
            let Shape::Index { parts, .. } = &v.shape else { continue };
            if !active.contains(&digest(n)) {
                continue;
            }
            for &p in parts {
                // GitHub refuses to delete a container's last tagged version
                // and the last version: those stay whatever the plan said.
                prop_assert!(
                    active.contains(&digest(p)),
                    "index {} is active without its part {}",
                    n,
                    p
                );
            }
        }
    }
}
