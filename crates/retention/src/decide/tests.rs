use std::time::Duration;

use github_packages::{ContainerMetadata, PackageType, PackageVersionMetadata};

use super::*;
use crate::images::{Manifest, Part, PartRole};
use crate::pattern::TagPattern;

fn now() -> DateTime<Utc> {
    "2025-06-01T00:00:00Z".parse().unwrap()
}

fn version(id: i64, age_hours: i64, tags: &[&str]) -> PackageVersion {
    let created = now() - TimeDelta::hours(age_hours);
    PackageVersion {
        created_at: created,
        deleted_at: None,
        description: None,
        html_url: None,
        id,
        license: None,
        metadata: Some(PackageVersionMetadata {
            container: Some(ContainerMetadata {
                tags: tags.iter().map(|t| t.to_string()).collect(),
            }),
            docker: None,
            package_type: PackageType::Container,
        }),
        name: digest(id),
        package_html_url: String::new(),
        updated_at: created,
        url: String::new(),
    }
}

fn digest(id: i64) -> String {
    format!("sha256:{id:064x}")
}

fn index(parts: Vec<Part>) -> Manifest {
    Manifest {
        parts,
        ..Manifest::default()
    }
}

fn part(id: i64, role: PartRole) -> Part {
    Part {
        digest: digest(id),
        role,
        platform: None,
    }
}

fn deleted_ids(plan: &Plan) -> Vec<i64> {
    let mut ids: Vec<i64> = plan.deletions().iter().map(|e| e.id).collect();
    ids.sort();
    ids
}

fn reason(plan: &Plan, id: i64) -> &Reason {
    &plan.entries.iter().find(|e| e.id == id).unwrap().reason
}

fn globs(patterns: &[&str]) -> Vec<TagPattern> {
    patterns
        .iter()
        .map(|p| TagPattern::glob(p).unwrap())
        .collect()
}

/// Ten versions, id i created i days ago; even ids tagged `v{i}`, the
/// rest untagged.
fn ten() -> Vec<PackageVersion> {
    (1..=10)
        .map(|i| {
            let tag = format!("v{i}");
            let tags: Vec<&str> = if i % 2 == 0 { vec![&tag] } else { vec![] };
            version(i, i * 24, &tags)
        })
        .collect()
}

fn plan(versions: &[PackageVersion], policy: &Policy) -> Plan {
    decide(versions, policy, now(), &Images::default())
}

#[test]
fn keep_last_keeps_the_newest_by_created_at_then_id() {
    let mut versions = ten();
    // Same instant as id 1: the higher id counts as newer.
    versions.push(version(11, 24, &[]));
    let plan = plan(&versions, &Policy::default().keep_last(2));
    assert_eq!(deleted_ids(&plan), vec![2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert_eq!(plan.entries[0].id, 11);
    assert_eq!(plan.entries[0].reason, Reason::KeepLast { n: 2 });
    assert_eq!(
        *reason(&plan, 10),
        Reason::Selected {
            criteria: vec![Criterion::BeyondKeepLast { n: 2 }]
        }
    );
}

#[test]
fn older_than_is_strict_and_says_why() {
    let policy = Policy::default().older_than(Duration::from_secs(5 * 86_400));
    let plan = plan(&ten(), &policy);
    // Exactly five days old is not older than five days.
    assert_eq!(deleted_ids(&plan), vec![6, 7, 8, 9, 10]);
    assert_eq!(
        *reason(&plan, 5),
        Reason::Newer {
            older_than_seconds: 5 * 86_400
        }
    );
}

#[test]
fn untagged_and_tag_are_alternatives() {
    let untagged = Policy::default().untagged();
    assert_eq!(deleted_ids(&plan(&ten(), &untagged)), vec![1, 3, 5, 7, 9]);
    let tag = Policy {
        tags: globs(&["v1?", "v4"]),
        ..Policy::default()
    };
    assert_eq!(deleted_ids(&plan(&ten(), &tag)), vec![4, 10]);
    let both = Policy {
        untagged: true,
        tags: globs(&["v4"]),
        ..Policy::default()
    };
    assert_eq!(deleted_ids(&plan(&ten(), &both)), vec![1, 3, 4, 5, 7, 9]);
    assert_eq!(
        *reason(&plan(&ten(), &untagged), 2),
        Reason::TaggedNotSelected
    );
    assert_eq!(*reason(&plan(&ten(), &tag), 1), Reason::UntaggedNotSelected);
}

#[test]
fn every_criterion_must_hold() {
    let policy = Policy::default()
        .keep_last(2)
        .older_than(Duration::from_secs(4 * 86_400))
        .untagged();
    // Ids 1-2 are the most recent, 1-4 too new, evens tagged.
    let plan = plan(&ten(), &policy);
    assert_eq!(deleted_ids(&plan), vec![5, 7, 9]);
    assert_eq!(
        *reason(&plan, 5),
        Reason::Selected {
            criteria: vec![
                Criterion::BeyondKeepLast { n: 2 },
                Criterion::OlderThan {
                    seconds: 4 * 86_400
                },
                Criterion::Untagged,
            ]
        }
    );
}

#[test]
fn exclude_tag_wins_over_everything() {
    let policy = Policy {
        tags: globs(&["v*"]),
        exclude_tags: globs(&["v1*", "v6"]),
        ..Policy::default()
    };
    let plan = plan(&ten(), &policy);
    assert_eq!(deleted_ids(&plan), vec![2, 4, 8]);
    assert_eq!(
        *reason(&plan, 10),
        Reason::Excluded {
            tag: "v10".into(),
            pattern: TagPattern::glob("v1*").unwrap()
        }
    );
}

#[test]
fn deletions_come_oldest_first() {
    let plan = plan(&ten(), &Policy::default().untagged());
    let order: Vec<i64> = plan.deletions().iter().map(|e| e.id).collect();
    assert_eq!(order, vec![9, 7, 5, 3, 1]);
}

#[test]
fn parts_of_kept_indexes_are_protected() {
    let policy = Policy::default().untagged();
    let mut images = Images::default();
    let plan0 = decide(&ten(), &policy, now(), &images);
    assert_eq!(plan0.unread(&images).len(), 10);
    let mut amd64 = part(3, PartRole::Platform);
    amd64.platform = Some("linux/amd64".into());
    images.record(
        digest(2),
        index(vec![
            amd64,
            part(5, PartRole::Attestation),
            Part {
                digest: "sha256:not-a-version-here".into(),
                role: PartRole::Platform,
                platform: None,
            },
        ]),
    );
    let plan = decide(&ten(), &policy, now(), &images);
    assert_eq!(deleted_ids(&plan), vec![1, 7, 9]);
    assert_eq!(plan.parts_kept(), 2);
    assert_eq!(
        *reason(&plan, 3),
        Reason::PartOf {
            index: digest(2),
            index_tag: Some("v2".into()),
            role: PartRole::Platform,
            platform: Some("linux/amd64".into()),
        }
    );
    assert!(matches!(
        reason(&plan, 5),
        Reason::PartOf {
            role: PartRole::Attestation,
            ..
        }
    ));
    // One of the three listed manifests is not in the package.
    assert_eq!(
        plan.warnings,
        vec![Warning::IncompleteImage {
            id: 2,
            name: digest(2),
            tags: vec!["v2".into()],
            listed: 3,
            missing: 1
        }]
    );
    assert!(!plan.warnings[0].is_ghost());
    // The read index is not read again.
    assert!(plan.unread(&images).iter().all(|(d, _)| *d != digest(2)));
}

#[test]
fn nested_indexes_keep_their_parts_too() {
    let policy = Policy::default().untagged();
    let mut images = Images::default();
    images.record(digest(2), index(vec![part(3, PartRole::Index)]));
    images.record(digest(3), index(vec![part(5, PartRole::Platform)]));
    let plan = decide(&ten(), &policy, now(), &images);
    assert_eq!(deleted_ids(&plan), vec![1, 7, 9]);
    assert!(matches!(
        reason(&plan, 5),
        Reason::PartOf { index, role: PartRole::Platform, .. } if *index == digest(3)
    ));
    assert!(plan.warnings.is_empty());
}

#[test]
fn every_unread_digest_is_listed_once_tagged_first() {
    let mut versions = ten();
    // The newest version, with the digest of id 1.
    let mut twin = version(11, 0, &[]);
    twin.name = digest(1);
    versions.push(twin);
    let mut images = Images::default();
    let plan = decide(&versions, &Policy::default().keep_last(4), now(), &images);
    let unread = plan.unread(&images);
    let names: Vec<&str> = unread.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        vec![
            digest(2),
            digest(4),
            digest(6),
            digest(8),
            digest(10),
            digest(1),
            digest(3),
            digest(5),
            digest(7),
            digest(9)
        ]
    );
    assert!(unread[0].1 && !unread[5].1);
    images.record_image(digest(2));
    assert_eq!(plan.unread(&images).len(), 9);
}

#[test]
fn keep_counts_skip_excluded_versions_and_parts_of_kept_images() {
    // Evens tagged v{i}; with v2 excluded, the two newest tagged versions
    // that count are v4 and v6.
    let policy = Policy {
        keep_tagged: Some(2),
        exclude_tags: globs(&["v2"]),
        ..Policy::default()
    };
    let plan = plan(&ten(), &policy);
    assert_eq!(deleted_ids(&plan), vec![8, 10]);
    assert_eq!(*reason(&plan, 4), Reason::KeepTagged { n: 2 });
    assert_eq!(*reason(&plan, 1), Reason::UntaggedNotSelected);

    // keep_last 3 counts images: once v2's index is known to list 1 and 3,
    // the three kept are 2 (with its parts), 4 and 5.
    let mut images = Images::default();
    images.record(
        digest(2),
        index(vec![
            part(1, PartRole::Platform),
            part(3, PartRole::Platform),
        ]),
    );
    let plan = decide(&ten(), &Policy::default().keep_last(3), now(), &images);
    assert_eq!(deleted_ids(&plan), vec![6, 7, 8, 9, 10]);
}

#[test]
fn keep_untagged_and_keep_tagged_each_select_their_own_kind() {
    let policy = Policy::default().keep_tagged(1).keep_untagged(2);
    // Tagged 2,4,6,8,10 keep 2; untagged 1,3,5,7,9 keep 1 and 3.
    assert_eq!(
        deleted_ids(&plan(&ten(), &policy)),
        vec![4, 5, 6, 7, 8, 9, 10]
    );
    let policy = Policy::default().keep_untagged(0);
    assert_eq!(deleted_ids(&plan(&ten(), &policy)), vec![1, 3, 5, 7, 9]);
    // Keep counts are not shrunk by age: the newest N stay whatever their
    // age, the age selects among the rest.
    let policy = Policy::default()
        .keep_untagged(1)
        .older_than(Duration::from_secs(4 * 86_400));
    assert_eq!(deleted_ids(&plan(&ten(), &policy)), vec![5, 7, 9]);
}

#[test]
fn a_version_is_deleted_by_tag_only_if_every_tag_matches() {
    let mut versions = ten();
    versions.push(version(11, 1, &["pr-7", "latest"]));
    versions.push(version(12, 1, &["pr-8"]));
    let policy = Policy {
        tags: globs(&["pr-*"]),
        ..Policy::default()
    };
    let plan = plan(&versions, &policy);
    assert_eq!(deleted_ids(&plan), vec![12]);
    assert_eq!(
        *reason(&plan, 11),
        Reason::UnmatchedTag {
            tag: "latest".into()
        }
    );
    assert_eq!(
        *reason(&plan, 12),
        Reason::Selected {
            criteria: vec![Criterion::TagMatches {
                tag: "pr-8".into(),
                pattern: TagPattern::glob("pr-*").unwrap()
            }]
        }
    );
    assert_eq!(
        *reason(&plan, 2),
        Reason::NoTagMatches {
            patterns: globs(&["pr-*"])
        }
    );
}

#[test]
fn referrers_follow_their_subject() {
    let hex = |id: i64| format!("{id:064x}");
    let mut versions = ten();
    // Signature of 2 (tagged v2, kept by untagged), attestation of 1
    // (untagged, deleted), SBOM of a digest no longer in the package.
    versions.push(version(21, 0, &[&format!("sha256-{}.sig", hex(2))]));
    versions.push(version(22, 0, &[&format!("sha256-{}", hex(1))]));
    versions.push(version(23, 0, &[&format!("sha256-{}.sbom", hex(99))]));
    let plan = plan(&versions, &Policy::default().untagged());
    assert_eq!(deleted_ids(&plan), vec![1, 3, 5, 7, 9, 22]);
    assert_eq!(
        *reason(&plan, 21),
        Reason::ReferrerOf {
            subject: digest(2),
            kind: ReferrerKind::Signature
        }
    );
    let attestation = plan.entries.iter().find(|e| e.id == 22).unwrap();
    assert_eq!(attestation.after, [digest(1)]);
    assert_eq!(
        attestation.reason,
        Reason::ReferrerOf {
            subject: digest(1),
            kind: ReferrerKind::Attestation
        }
    );
    // Its subject is not in the package: the rules decide, and a tagged
    // version stays under `untagged`.
    assert_eq!(*reason(&plan, 23), Reason::TaggedNotSelected);
    let policy = Policy {
        tags: globs(&["sha256-*"]),
        ..Policy::default()
    };
    let plan = super::decide(&versions, &policy, now(), &Images::default());
    // Its subject is not here: an ordinary image to the rules...
    assert!(matches!(
        reason(&plan, 23),
        Reason::Selected { criteria } if matches!(criteria[..], [Criterion::TagMatches { .. }])
    ));
    // ... unless orphaned referrers are deleted on request.
    let orphans = Policy::default().delete_orphaned_referrers();
    let plan = super::decide(&versions, &orphans, now(), &Images::default());
    assert_eq!(deleted_ids(&plan), vec![23]);
    assert_eq!(
        *reason(&plan, 23),
        Reason::Selected {
            criteria: vec![Criterion::OrphanedReferrer {
                subject: digest(99),
                kind: ReferrerKind::Sbom
            }]
        }
    );
    // An exclusion still protects a referrer, and referrers never use up a
    // keep slot.
    let policy = Policy {
        keep_last: Some(1),
        exclude_tags: globs(&["*.sbom"]),
        ..Policy::default()
    };
    let plan = super::decide(&versions, &policy, now(), &Images::default());
    let kept: Vec<i64> = plan
        .entries
        .iter()
        .filter(|e| e.action == Action::Keep)
        .map(|e| e.id)
        .collect();
    // 22 attests version 1, which keep_last keeps; 21 signs 2, which goes.
    assert_eq!(kept, vec![23, 22, 1]);
}

#[test]
fn an_unreadable_registry_holds_back_every_deletion_and_its_referrers() {
    // Tagged versions may be platform images too (`app:v1-amd64` joined
    // into `app:v1`), and a signature follows its held subject.
    let policy = Policy::default().older_than(Duration::from_secs(43_200));
    let mut versions = ten();
    versions.push(version(21, 100, &[&format!("sha256-{:064x}.sig", 3)]));
    let mut images = Images::default();
    assert_eq!(
        deleted_ids(&decide(&versions, &policy, now(), &images)).len(),
        11
    );
    images.mark_unreadable();
    let plan = decide(&versions, &policy, now(), &images);
    assert!(deleted_ids(&plan).is_empty(), "{:?}", deleted_ids(&plan));
    assert_eq!(plan.held(), 10);
    assert_eq!(
        *reason(&plan, 21),
        Reason::ReferrerOf {
            subject: digest(3),
            kind: ReferrerKind::Signature
        }
    );
}

#[test]
fn referrers_of_referrers_and_of_other_packages() {
    let hex = |id: i64| format!("{id:064x}");
    let mut versions = ten();
    // An SBOM of version 2 (kept: tagged, untagged selected), and the
    // signature of that SBOM; a signature whose subject lives elsewhere.
    let mut sbom = version(31, 0, &[&format!("sha256-{}.sbom", hex(2))]);
    sbom.name = format!("sha256:{}", hex(77));
    versions.push(sbom);
    versions.push(version(32, 0, &[&format!("sha256-{}.sig", hex(77))]));
    versions.push(version(33, 0, &[&format!("sha256-{}.sig", hex(999))]));
    let plan = plan(&versions, &Policy::default().untagged());
    let kept_as_referrer = |id| {
        let entry = plan.entries.iter().find(|e| e.id == id).unwrap();
        entry.action == Action::Keep && matches!(entry.reason, Reason::ReferrerOf { .. })
    };
    assert!(kept_as_referrer(31));
    assert!(kept_as_referrer(32));
    // Its subject is not here: the normal rules decide (tagged, kept).
    assert_eq!(*reason(&plan, 33), Reason::TaggedNotSelected);
    let plan = super::decide(
        &versions,
        &Policy::default().keep_last(2),
        now(),
        &Images::default(),
    );
    let gone = plan.entries.iter().find(|e| e.id == 33).unwrap();
    assert_eq!(gone.action, Action::Keep, "it uses a keep slot");
    assert_eq!(gone.reason, Reason::KeepLast { n: 2 });
}

#[test]
fn release_tags_protected_by_a_character_class_are_kept() {
    // `v[0-9]*` must protect v2, v4, ... v10.
    let policy = Policy {
        keep_last: Some(1),
        exclude_tags: globs(&["v[0-9]*"]),
        ..Policy::default()
    };
    assert_eq!(deleted_ids(&plan(&ten(), &policy)), vec![3, 5, 7, 9]);
    let regex = TagPattern::regex("^v[0-9]+$").unwrap();
    let policy = Policy {
        keep_last: Some(1),
        exclude_tags: vec![regex.clone()],
        ..Policy::default()
    };
    let plan = plan(&ten(), &policy);
    assert_eq!(deleted_ids(&plan), vec![3, 5, 7, 9]);
    assert_eq!(
        *reason(&plan, 4),
        Reason::Excluded {
            tag: "v4".into(),
            pattern: regex
        }
    );
}

#[test]
fn duplicates_are_decided_once() {
    let mut versions = ten();
    versions.push(version(3, 72, &[]));
    assert_eq!(
        plan(&versions, &Policy::default().untagged()).entries.len(),
        10
    );
}

#[test]
fn docker_metadata_tags_count_too() {
    let mut v = version(1, 1, &[]);
    let metadata = v.metadata.as_mut().unwrap();
    metadata.container = None;
    metadata.docker = Some(github_packages::DockerMetadata {
        tag: vec!["a".into()],
        tags: vec!["b".into(), "a".into()],
    });
    assert_eq!(tags_of(&v), vec!["b".to_owned(), "a".to_owned()]);
}
