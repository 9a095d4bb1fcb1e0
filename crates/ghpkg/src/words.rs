//! The engine's data in ghpkg's words: reasons, warnings, skips and halts
//! as people read them, naming the flags that gave each rule. The one place
//! that turns a reason code into English; nothing parses it back.

use github_packages_retention::{
    AgeFrom, Criterion, Halt, PartRole, PatternKind, Policy, Problem, Reason, ReferrerKind,
    SkipReason, TagPattern, Warning,
};

use crate::duration;

/// `sha256:0123456789ab…`: enough of a digest to recognise it. Only a
/// digest (`algorithm:` then ASCII hex) is shortened; any other version name
/// (a Maven `group:artifact` name, say) is shown whole.
pub(crate) fn short_digest(digest: &str) -> String {
    match digest.split_once(':') {
        Some((algo, hex))
            if hex.len() > 12
                && !algo.is_empty()
                && algo.bytes().all(|b| b.is_ascii_alphanumeric())
                && hex.bytes().all(|b| b.is_ascii_hexdigit()) =>
        {
            format!("{algo}:{}…", &hex[..12])
        }
        _ => digest.to_owned(),
    }
}

/// The flag and pattern that gave a selecting (`exclude` false) or
/// protecting pattern: `--tag v*`, `--exclude-tag-regex ^v`.
pub(crate) fn pattern_flag(pattern: &TagPattern, exclude: bool) -> String {
    let flag = match (exclude, pattern.kind()) {
        (false, PatternKind::Glob) => "--tag",
        (false, PatternKind::Regex) => "--tag-regex",
        (true, PatternKind::Glob) => "--exclude-tag",
        (true, PatternKind::Regex) => "--exclude-tag-regex",
    };
    format!("{flag} {}", pattern.source())
}

/// The flag and pattern that gave a version-name pattern:
/// `--version-name *-SNAPSHOT`, `--exclude-version-name-regex ^0\.`.
pub(crate) fn name_flag(pattern: &TagPattern, exclude: bool) -> String {
    let flag = match (exclude, pattern.kind()) {
        (false, PatternKind::Glob) => "--version-name",
        (false, PatternKind::Regex) => "--version-name-regex",
        (true, PatternKind::Glob) => "--exclude-version-name",
        (true, PatternKind::Regex) => "--exclude-version-name-regex",
    };
    format!("{flag} {}", pattern.source())
}

fn referrer_kind(kind: &ReferrerKind) -> String {
    match kind {
        ReferrerKind::Signature => "signature".to_owned(),
        ReferrerKind::Attestation => "attestation".to_owned(),
        ReferrerKind::Sbom => "SBOM".to_owned(),
        ReferrerKind::Other(suffix) => format!(".{suffix} referrer"),
        _ => "referrer".to_owned(),
    }
}

fn role(role: PartRole) -> &'static str {
    match role {
        PartRole::Platform => "platform image",
        PartRole::Attestation => "attestation",
        PartRole::Index => "nested image index",
        _ => "part",
    }
}

/// `the newest image`, `the 3 newest tagged images`.
fn newest(n: usize, kind: &str) -> String {
    let kind = if kind.is_empty() {
        String::new()
    } else {
        format!("{kind} ")
    };
    match n {
        1 => format!("the newest {kind}image"),
        n => format!("the {n} newest {kind}images"),
    }
}

/// Kept by a keep count: `the newest image`, `one of the 3 newest images`.
fn kept_by_count(n: usize, kind: &str, flag: &str) -> String {
    match n {
        1 => format!("{} ({flag} 1)", newest(1, kind)),
        n => format!("one of {} ({flag} {n})", newest(n, kind)),
    }
}

/// Beyond a keep count: `not among the 3 newest images`; a count of 0
/// keeps none of the kind, so the kind is the reason: `untagged
/// (--keep-untagged 0)`.
fn beyond_count(n: usize, kind: &str, flag: &str) -> String {
    match n {
        0 if kind.is_empty() => format!("{flag} 0 keeps no image"),
        0 => format!("{kind} ({flag} 0)"),
        1 => format!("not {} ({flag} 1)", newest(1, kind)),
        n => format!("not among {}", newest(n, kind)),
    }
}

fn age(seconds: u64) -> String {
    duration::words(std::time::Duration::from_secs(seconds))
}

/// What a version that goes with an image is to it: `platform image,
/// linux/amd64`, `attestation`, `signature`.
pub(crate) fn part(reason: &Reason) -> String {
    match reason {
        Reason::PartOf {
            role: part,
            platform,
            ..
        }
        | Reason::PartOfDeleted {
            role: part,
            platform,
            ..
        } => match platform {
            Some(platform) => format!("{}, {platform}", role(*part)),
            None => role(*part).to_owned(),
        },
        Reason::ReferrerOf { kind, .. } => referrer_kind(kind),
        other => self::reason(other),
    }
}

/// Why a version is kept or deleted, without the action: the REASON column
/// of a plan.
pub(crate) fn reason(reason: &Reason) -> String {
    match reason {
        Reason::Excluded { tag, pattern } => {
            format!("tag {tag} matches {}", pattern_flag(pattern, true))
        }
        Reason::ExcludedName { pattern, .. } => {
            format!("name matches {}", name_flag(pattern, true))
        }
        Reason::ExcludedDigest { .. } => "digest given to --exclude-digest".to_owned(),
        Reason::PartOf {
            index,
            index_tag,
            role: part,
            platform,
        } => {
            let mut text = format!("{} of {}", role(*part), short_digest(index));
            if let Some(tag) = index_tag {
                text.push_str(&format!(" (tag {tag})"));
            }
            if let Some(platform) = platform {
                text.push_str(&format!(", {platform}"));
            }
            text
        }
        Reason::PartOfDeleted {
            index,
            role: part,
            platform,
        } => {
            let mut text = format!("{} of {}, which goes", role(*part), short_digest(index));
            if let Some(platform) = platform {
                text.push_str(&format!(" ({platform})"));
            }
            text
        }
        Reason::ReferrerOf { subject, kind } => format!(
            "{} of {}, which it follows",
            referrer_kind(kind),
            short_digest(subject)
        ),
        Reason::KeepLast { n } => kept_by_count(*n, "", "--keep-last"),
        Reason::KeepTagged { n } => kept_by_count(*n, "tagged", "--keep-tagged"),
        Reason::KeepUntagged { n } => kept_by_count(*n, "untagged", "--keep-untagged"),
        Reason::Newer { older_than_seconds } => {
            format!("newer than {} (--older-than)", age(*older_than_seconds))
        }
        Reason::TaggedNotSelected => {
            "tagged, and the policy's rules select only untagged images".to_owned()
        }
        Reason::UntaggedNotSelected => {
            "untagged, and the policy's rules select only tagged images".to_owned()
        }
        Reason::NoNameMatches { patterns } => format!(
            "name matches no {}",
            patterns
                .iter()
                .map(|p| name_flag(p, false))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Reason::NoTagMatches { patterns } => format!(
            "no tag matches {}",
            patterns
                .iter()
                .map(|p| pattern_flag(p, false))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Reason::UnmatchedTag { tag } => format!("also tagged {tag}, which no --tag matches"),
        Reason::RegistryUnreadable => "the registry could not be read to rule out that it \
                                       belongs to a kept multi-arch image"
            .to_owned(),
        Reason::Selected { criteria } if criteria.is_empty() => "selected".to_owned(),
        Reason::Selected { criteria } => {
            // Beyond --keep-untagged says it is untagged already.
            let counted_untagged = criteria
                .iter()
                .any(|c| matches!(c, Criterion::BeyondKeepUntagged { .. }));
            criteria
                .iter()
                .filter(|c| !(counted_untagged && matches!(c, Criterion::Untagged)))
                .map(criterion)
                .collect::<Vec<_>>()
                .join(", ")
        }
        _ => reason.code().replace('_', " "),
    }
}

/// One criterion a deleted version meets.
pub(crate) fn criterion(criterion: &Criterion) -> String {
    match criterion {
        Criterion::BeyondKeepLast { n } => beyond_count(*n, "", "--keep-last"),
        Criterion::BeyondKeepTagged { n } => beyond_count(*n, "tagged", "--keep-tagged"),
        Criterion::BeyondKeepUntagged { n } => beyond_count(*n, "untagged", "--keep-untagged"),
        Criterion::OlderThan { seconds } => format!("older than {}", age(*seconds)),
        Criterion::Untagged => "untagged".to_owned(),
        Criterion::TagMatches { tag, pattern } => {
            format!("tag {tag} matches {}", pattern_flag(pattern, false))
        }
        Criterion::NameMatches { pattern, .. } => {
            format!("name matches {}", name_flag(pattern, false))
        }
        Criterion::Digest { .. } => "digest given to --digest".to_owned(),
        Criterion::GhostImage { listed } => format!(
            "ghost image: none of its {listed} manifests is in the package \
             (--delete-ghost-images)"
        ),
        Criterion::PartialImage { listed, missing } => format!(
            "partial image: {missing} of its {listed} manifests are missing \
             (--delete-partial-images)"
        ),
        Criterion::OrphanedReferrer { subject, kind } => format!(
            "{} of {}, which is not in the package (--delete-orphaned-referrers)",
            referrer_kind(kind),
            short_digest(subject)
        ),
        _ => criterion.code().replace('_', " "),
    }
}

/// A warning as a sentence.
pub(crate) fn warning(warning: &Warning) -> String {
    match warning {
        Warning::IncompleteImage {
            id,
            name,
            tags,
            listed,
            missing,
        } => format!(
            "{}: version {id} ({}{}) lists {listed} manifests, {missing} of them not in the \
             package; pulling it may fail. If a prune deleted them in the last 30 days, \
             `ghpkg undo` with its journal restores them",
            if warning.is_ghost() {
                "ghost image"
            } else {
                "partial image"
            },
            short_digest(name),
            if tags.is_empty() {
                String::new()
            } else {
                format!(", tags {}", tags.join(","))
            },
        ),
        Warning::VanishedWhilePlanning { id, name } => format!(
            "version {id} ({}) was deleted by someone else while planning; it is left out of \
             the plan",
            short_digest(name)
        ),
        Warning::RegistryNotChecked => {
            "--no-registry-check: platform images of multi-arch images are not protected".to_owned()
        }
        Warning::UnmatchedExclusions { patterns } => format!(
            "{} matches no tag of any version listed, so it protects nothing; check it for a \
             typo",
            patterns
                .iter()
                .map(|p| pattern_flag(p, true))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        _ => "warning".to_owned(),
    }
}

/// A problem of a plan as a sentence, with what to do.
pub(crate) fn problem(problem: &Problem) -> String {
    match problem {
        Problem::RegistryUnreadable { cause, held } => format!(
            "the registry could not be read ({cause}), so {} kept: any of them may be part of \
             a kept multi-arch image. Fix the registry access, or pass --no-registry-check to \
             delete without that protection",
            match held {
                1 => "1 version planned for deletion is".to_owned(),
                n => format!("{n} versions planned for deletion are"),
            }
        ),
        _ => "problem".to_owned(),
    }
}

/// Why a planned version was skipped.
pub(crate) fn skip(reason: &SkipReason) -> String {
    match reason {
        SkipReason::OwnerNotDeleted { owner } => format!(
            "{}, which it belongs to, was not deleted in this run, so it stays with it",
            short_digest(owner)
        ),
        other => other.to_string(),
    }
}

/// Why a package's deletes stopped, given the message of its last failure.
pub(crate) fn halt(halt: Halt, last_failure: Option<&str>) -> String {
    let why = last_failure.unwrap_or("a delete failed");
    match halt {
        Halt::Run | Halt::Package => why.to_owned(),
        Halt::Repeated { count } => format!(
            "{count} deletes in a row failed the same way ({why}), so the cause is not the \
             versions"
        ),
        Halt::Interrupted => "interrupted: nothing more was sent".to_owned(),
        Halt::NotStarted => "not attempted: the run stopped earlier".to_owned(),
        _ => why.to_owned(),
    }
}

/// What a reason code means, in a few words, for a list grouped by code.
pub(crate) fn code_meaning(code: &str) -> &'static str {
    match code {
        "excluded" => "a tag matches --exclude-tag",
        "excluded_name" => "the name matches --exclude-version-name",
        "excluded_digest" => "the digest is given to --exclude-digest",
        "part_of" => "part of a kept multi-arch image",
        "part_of_deleted" => "part of a multi-arch image that goes",
        "referrer_of" => "signature, attestation or SBOM, with its image",
        "keep_last" => "among the newest (--keep-last)",
        "keep_tagged" => "among the newest tagged (--keep-tagged)",
        "keep_untagged" => "among the newest untagged (--keep-untagged)",
        "newer" => "newer than --older-than",
        "tagged_not_selected" => "tagged, only untagged images are selected",
        "untagged_not_selected" => "untagged, only tagged images are selected",
        "no_name_matches" => "the name matches no --version-name",
        "no_tag_matches" => "no tag matches --tag",
        "unmatched_tag" => "a tag no --tag matches",
        "registry_unreadable" => "held: the registry could not be read",
        "selected" => "selected for deletion",
        _ => "other",
    }
}

/// A policy as the flags that give it, for plan files and job summaries:
/// `--keep-tagged 10`, `--untagged`, `--exclude-tag v*`.
pub(crate) fn policy_flags(policy: &Policy) -> Vec<String> {
    let mut flags = Vec::new();
    for (flag, n) in [
        ("--keep-last", policy.keep_last),
        ("--keep-tagged", policy.keep_tagged),
        ("--keep-untagged", policy.keep_untagged),
    ] {
        if let Some(n) = n {
            flags.push(format!("{flag} {n}"));
        }
    }
    if let Some(d) = policy.older_than {
        flags.push(format!("--older-than {}", duration::format(d)));
    }
    if policy.untagged {
        flags.push("--untagged".to_owned());
    }
    flags.extend(policy.tags.iter().map(|p| pattern_flag(p, false)));
    flags.extend(policy.exclude_tags.iter().map(|p| pattern_flag(p, true)));
    flags.extend(policy.names.iter().map(|p| name_flag(p, false)));
    flags.extend(policy.exclude_names.iter().map(|p| name_flag(p, true)));
    flags.extend(policy.digests.iter().map(|d| format!("--digest {d}")));
    flags.extend(
        policy
            .exclude_digests
            .iter()
            .map(|d| format!("--exclude-digest {d}")),
    );
    if policy.age_from == AgeFrom::Updated {
        flags.push("--age-from updated".to_owned());
    }
    for (given, flag) in [
        (policy.delete_ghost_images, "--delete-ghost-images"),
        (policy.delete_partial_images, "--delete-partial-images"),
        (
            policy.delete_orphaned_referrers,
            "--delete-orphaned-referrers",
        ),
    ] {
        if given {
            flags.push(flag.to_owned());
        }
    }
    flags
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_digest_shortens_only_hex_digests() {
        assert_eq!(
            short_digest(&format!("sha256:{:064x}", 1)),
            "sha256:000000000000…"
        );
        // A Maven-style name with a colon and multi-byte characters.
        assert_eq!(short_digest("x:aéééééééé5"), "x:aéééééééé5");
        assert_eq!(short_digest("1.0.0"), "1.0.0");
        assert_eq!(short_digest("sha256:abc"), "sha256:abc");
    }

    #[test]
    fn counts_read_as_english() {
        assert_eq!(
            reason(&Reason::KeepUntagged { n: 1 }),
            "the newest untagged image (--keep-untagged 1)"
        );
        assert_eq!(
            reason(&Reason::KeepLast { n: 3 }),
            "one of the 3 newest images (--keep-last 3)"
        );
        assert_eq!(
            criterion(&Criterion::BeyondKeepUntagged { n: 0 }),
            "untagged (--keep-untagged 0)"
        );
        assert_eq!(
            criterion(&Criterion::BeyondKeepTagged { n: 10 }),
            "not among the 10 newest tagged images"
        );
        assert_eq!(
            criterion(&Criterion::BeyondKeepUntagged { n: 1 }),
            "not the newest untagged image (--keep-untagged 1)"
        );
    }

    /// Issue 18: "--keep-untagged 0 keeps no untagged image, untagged"
    /// said untagged twice; ages read in days, not seconds.
    #[test]
    fn a_reason_says_each_thing_once_and_ages_in_words() {
        let selected = |criteria| reason(&Reason::Selected { criteria });
        assert_eq!(
            selected(vec![
                Criterion::BeyondKeepUntagged { n: 0 },
                Criterion::OlderThan { seconds: 2_630_016 },
                Criterion::Untagged,
            ]),
            "untagged (--keep-untagged 0), older than 1 month"
        );
        assert_eq!(
            selected(vec![
                Criterion::BeyondKeepLast { n: 3 },
                Criterion::OlderThan {
                    seconds: 30 * 86_400
                },
                Criterion::Untagged,
            ]),
            "not among the 3 newest images, older than 30 days, untagged"
        );
        assert_eq!(
            reason(&Reason::Newer {
                older_than_seconds: 14 * 86_400
            }),
            "newer than 2 weeks (--older-than)"
        );
    }
}
