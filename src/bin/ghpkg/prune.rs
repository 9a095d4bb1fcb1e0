//! `ghpkg prune`: list the active versions, plan with `policy.rs`, protect
//! multi-arch images through the registry, then either print the plan (dry
//! run) or delete exactly the planned versions, journaling every step.

use std::path::Path;

use chrono::Utc;
use clap::error::ErrorKind;
use futures::{StreamExt, TryStreamExt};
use github_packages::{Error, PackageType, PackageVersion, PackagesHandler, Scope, VersionState};
use serde::Serialize;

use crate::args::{Kind, PruneArgs};
use crate::journal::{self, Header, Record, Writer};
use crate::output::{self, Table, plural};
use crate::policy::{self, Action, Entry, Images, Plan, Policy, tags_of};
use crate::progress::Progress;
use crate::registry::{ManifestError, Registry};
use crate::{Ctx, Failure, Outcome, describe, out};

/// GitHub.com's container registry.
const GHCR: &str = "https://ghcr.io";
/// This many identical failures in a row stop a prune: the cause is not the
/// versions but something every delete meets.
const MAX_SAME_FAILURES: usize = 5;

/// Refuses a policy that selects every version, and tag flags for package
/// types whose versions have no tags.
pub(crate) fn check_usage(args: &PruneArgs) -> Result<(), (ErrorKind, String)> {
    let kind = args.target.kind;
    if !matches!(kind, Kind::Container | Kind::Docker) {
        let flags: Vec<&str> = [
            (args.untagged, "--untagged"),
            (!args.tags.is_empty(), "--tag"),
            (!args.tag_regexes.is_empty(), "--tag-regex"),
            (!args.exclude_tags.is_empty(), "--exclude-tag"),
            (!args.exclude_tag_regexes.is_empty(), "--exclude-tag-regex"),
        ]
        .into_iter()
        .filter_map(|(given, flag)| given.then_some(flag))
        .collect();
        if !flags.is_empty() {
            let kind = PackageType::from(kind);
            return Err((
                ErrorKind::ArgumentConflict,
                format!(
                    "{} cannot be used for {kind} packages: {kind} versions carry no tags in \
                     GitHub's API (only container and docker versions do), so every version \
                     would look untagged and no tag would match; use --keep-last/--older-than",
                    flags.join(", ")
                ),
            ));
        }
    }
    let policy = policy_of(args);
    if let Some(problem) = policy.contradiction() {
        return Err((ErrorKind::ArgumentConflict, problem));
    }
    if policy.has_criteria() {
        Ok(())
    } else {
        Err((
            ErrorKind::MissingRequiredArgument,
            "give at least one of --keep-last, --keep-tagged, --keep-untagged, --older-than, \
             --untagged, --tag or --tag-regex: without them the prune would delete every \
             version (--exclude-tag only protects)"
                .to_owned(),
        ))
    }
}

/// The registry to read: --registry-url, else ghcr.io for GitHub.com. For
/// any other API (GitHub Enterprise Server) ghcr.io is not its registry and
/// must not get its token, so the flag is required.
fn registry_url(ctx: &Ctx, args: &PruneArgs) -> Result<String, Failure> {
    if let Some(url) = &args.registry_url {
        return Ok(url.clone());
    }
    if ctx.is_github_com() {
        return Ok(GHCR.to_owned());
    }
    let api_url = ctx.api_url();
    let example = url::Url::parse(&api_url)
        .ok()
        .and_then(|u| u.host_str().map(|h| format!("https://containers.{h}")))
        .unwrap_or_else(|| "https://containers.HOST".to_owned());
    Err(Failure::Usage(format!(
        "--api-url is {api_url}, not GitHub.com, so its token is not sent to {GHCR}: pass \
         --registry-url with this server's container registry (GitHub Enterprise Server \
         serves it at containers.HOST, here probably {example}) so multi-arch images can be \
         protected, or --no-registry-check to delete without that protection"
    )))
}

fn policy_of(args: &PruneArgs) -> Policy {
    Policy {
        keep_last: args
            .keep_last
            .map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
        older_than: args.older_than,
        keep_tagged: args
            .keep_tagged
            .map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
        keep_untagged: args
            .keep_untagged
            .map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
        untagged: args.untagged,
        tags: args.tags.iter().chain(&args.tag_regexes).cloned().collect(),
        exclude_tags: args
            .exclude_tags
            .iter()
            .chain(&args.exclude_tag_regexes)
            .cloned()
            .collect(),
    }
}

/// Errors about one version (it is gone, or GitHub refuses this one), after
/// which the prune goes on; anything else would hit every version alike.
pub(crate) fn is_version_specific(e: &Error) -> bool {
    e.is_not_found() || e.is_rejected()
}

#[derive(Debug, Serialize)]
pub(crate) struct VersionRef {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) tags: Vec<String>,
}

#[derive(Debug, Serialize)]
pub(crate) struct FailedRef {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) tags: Vec<String>,
    pub(crate) error: String,
}

#[derive(Debug, Serialize)]
struct SkippedRef {
    id: i64,
    name: String,
    tags: Vec<String>,
    reason: String,
}

#[derive(Debug, Serialize)]
struct PackageRef {
    owner: Option<String>,
    #[serde(rename = "type")]
    package_type: PackageType,
    name: String,
}

#[derive(Debug, Serialize)]
struct PlanItem {
    id: i64,
    name: String,
    tags: Vec<String>,
    created_at: String,
    action: Action,
    reason: String,
}

/// The `--json` document of a prune.
#[derive(Debug, Serialize)]
struct Report {
    dry_run: bool,
    package: PackageRef,
    plan: Vec<PlanItem>,
    deleted: Vec<VersionRef>,
    gone: Vec<VersionRef>,
    skipped: Vec<SkippedRef>,
    failed: Vec<FailedRef>,
    not_attempted: Vec<VersionRef>,
    journal: Option<String>,
    /// Things that did not stop the prune but deserve a look (an exclusion
    /// that matches nothing, a version that vanished while planning).
    warnings: Vec<String>,
    error: Option<String>,
}

fn version_ref(e: &Entry) -> VersionRef {
    VersionRef {
        id: e.id,
        name: e.name.clone(),
        tags: e.tags.clone(),
    }
}

/// The plan as a table: every row, or only the DELETE rows.
fn print_plan(plan: &Plan, with_kept: bool) -> std::io::Result<()> {
    let mut table = Table::new(&["ACTION", "ID", "CREATED", "TAGS", "NAME", "REASON"]);
    for e in &plan.entries {
        let action = match e.action {
            Action::Delete => "DELETE",
            Action::Keep if with_kept => "KEEP",
            Action::Keep => continue,
        };
        let reason = e.reason.to_string();
        let reason = reason
            .split_once(": ")
            .map_or(reason.as_str(), |(_, r)| r)
            .to_owned();
        table.row(vec![
            action.to_owned(),
            e.id.to_string(),
            output::time(e.created_at),
            output::tags(&e.tags),
            policy::short_digest(&e.name),
            reason,
        ]);
    }
    table.print()
}

/// The owner's login, which the registry's image path starts with.
async fn owner_login(
    ctx: &Ctx,
    scope: &Scope,
    kind: PackageType,
    name: &str,
) -> Result<String, String> {
    match scope.owner() {
        Some(owner) => Ok(owner.to_owned()),
        None => {
            let package = ctx
                .client
                .packages(scope)
                .get(kind, name)
                .await
                .map_err(|e| format!("cannot learn the package owner's login: {e}"))?;
            package
                .owner
                .map(|o| o.login)
                .ok_or_else(|| "GitHub did not say who owns the package".to_owned())
        }
    }
}

/// Lists every active version, showing a page counter on a terminal.
async fn list_active(
    ctx: &Ctx,
    scope: &Scope,
    kind: PackageType,
    name: &str,
) -> Result<Vec<PackageVersion>, Failure> {
    let progress = Progress::counter("listing versions", "pages");
    let mut pages = ctx
        .client
        .packages(scope)
        .versions(kind, name)
        .state(VersionState::Active)
        .pages();
    let mut versions = Vec::new();
    let outcome = loop {
        match pages.try_next().await {
            Ok(Some(page)) => {
                progress.inc(1);
                versions.extend(page.into_items());
            }
            Ok(None) => break Ok(versions),
            Err(e) => break Err(Failure::Api(e)),
        }
    };
    progress.finish();
    outcome
}

/// What the registry check learned.
#[derive(Debug, Default)]
struct RegistryCheck {
    /// Kept versions whose manifest is gone because the version itself was
    /// deleted (by someone else) after the listing.
    vanished: Vec<PackageVersion>,
    /// Manifests read.
    reads: usize,
}

/// Reads the manifest of every kept version, tagged or not, and plans again
/// with what the image indexes among them list, until nothing new is learned
/// (a version kept this way may itself be an index, and keep counts skip the
/// parts of images). Reads go out `concurrency` at a time; each digest is
/// read at most once per run (the registry counts every read as a download),
/// and manifests an index says are single images are not read at all.
///
/// A manifest that is missing because its version was deleted meanwhile
/// (checked through the API) drops that version from `versions`; any other
/// failure stops the check, leaving `plan` as far as it got.
#[allow(clippy::too_many_arguments)]
async fn protect_multi_arch(
    ctx: &Ctx,
    target: &Target<'_>,
    versions: &mut Vec<PackageVersion>,
    policy: &Policy,
    now: chrono::DateTime<Utc>,
    plan: &mut Plan,
    registry: &Registry,
    concurrency: usize,
) -> Result<RegistryCheck, String> {
    let mut images = Images::default();
    let mut check = RegistryCheck::default();
    // The total is an estimate (every kept digest) that grows if nested
    // indexes or newly kept versions turn up.
    let mut counted = plan.kept_unread(&images).len();
    let progress = Progress::bar("manifests", counted);
    let outcome = async {
        while plan.delete_count() > 0 {
            let mut todo = plan.kept_unread(&images);
            if todo.is_empty() {
                break;
            }
            // Tagged versions first, in a round of their own: they are the
            // likely indexes, and the platform images they list need no read.
            if todo.iter().any(|(_, tag)| tag.is_some()) {
                todo.retain(|(_, tag)| tag.is_some());
            }
            if check.reads + todo.len() > counted {
                progress.grow((check.reads + todo.len() - counted) as u64);
                counted = check.reads + todo.len();
            }
            check.reads += todo.len();
            let answers: Vec<_> = futures::stream::iter(todo)
                .map(|(digest, _)| async {
                    let children = registry.children(&digest).await;
                    progress.inc(1);
                    (digest, children)
                })
                .buffer_unordered(concurrency)
                .collect()
                .await;
            for (digest, children) in answers {
                match children {
                    Ok(children) => {
                        tracing::debug!(%digest, children = children.children.len(), "read manifest");
                        for leaf in children.leaves {
                            if !images.is_known(&leaf) {
                                images.record(leaf, Vec::new());
                            }
                        }
                        images.record(digest, children.children);
                    }
                    Err(ManifestError::Missing(why)) => {
                        let gone = vanished(ctx, target, versions, &digest).await;
                        if gone.is_empty() {
                            return Err(why);
                        }
                        check.vanished.extend(gone);
                        images.record(digest, Vec::new());
                    }
                    Err(ManifestError::Failed(why)) => return Err(why),
                }
            }
            *plan = policy::plan(versions, policy, now, &images);
        }
        Ok(())
    }
    .await;
    progress.finish();
    outcome.map(|()| check)
}

/// Takes out of `versions` those named `digest`, if GitHub says they are no
/// longer active (404, or deleted). Returns them; empty if a version with
/// that digest still exists, so the missing manifest is a real problem.
async fn vanished(
    ctx: &Ctx,
    target: &Target<'_>,
    versions: &mut Vec<PackageVersion>,
    digest: &str,
) -> Vec<PackageVersion> {
    let ids: Vec<i64> = versions
        .iter()
        .filter(|v| v.name == digest)
        .map(|v| v.id)
        .collect();
    let packages = ctx.client.packages(target.scope);
    for id in &ids {
        match packages.version(target.kind, target.name, *id).get().await {
            Ok(v) if v.deleted_at.is_some() => {}
            Err(e) if e.is_not_found() => {}
            _ => return Vec::new(),
        }
    }
    let (gone, kept): (Vec<PackageVersion>, Vec<PackageVersion>) = std::mem::take(versions)
        .into_iter()
        .partition(|v| ids.contains(&v.id));
    *versions = kept;
    gone
}

pub(crate) async fn run(ctx: &Ctx, args: &PruneArgs) -> Outcome {
    let scope = args.target.owner.scope();
    let kind: PackageType = args.target.kind.into();
    let name = args.target.name.as_str();
    let policy = policy_of(args);

    let versions = list_active(ctx, &scope, kind, name).await?;
    // A classic token names its scopes on every answer: a prune that would
    // fail at its first DELETE stops here instead.
    if args.yes {
        ctx.client.check_scopes(crate::DELETE)?;
    }
    let mut warnings = Vec::new();
    // Problems that fail the run (exit 1) without stopping the deletes, and
    // refusals that stop a prune before anything is deleted.
    let mut problems: Vec<String> = Vec::new();
    let mut refusals: Vec<String> = Vec::new();
    let unmatched = policy.unmatched_excludes(&versions);
    if !unmatched.is_empty() {
        let which = unmatched.join(", ");
        let warning = format!(
            "{which} matches no tag of the {} listed, so it protects nothing; check it for \
             a typo",
            plural(versions.len(), "version")
        );
        if args.yes && !args.allow_unmatched_exclude {
            refusals.push(format!(
                "{warning}. Nothing was deleted: fix the pattern, or pass \
                 --allow-unmatched-exclude to prune anyway"
            ));
        }
        warnings.push(warning);
    }
    let now = Utc::now();
    let mut versions = versions;
    let mut plan = policy::plan(&versions, &policy, now, &Images::default());

    let mut login = scope.owner().map(str::to_owned);
    // Nothing kept: no image to protect, no need for the registry.
    let anything_kept = !plan.kept_unread(&Images::default()).is_empty();
    if kind == PackageType::Container && plan.delete_count() > 0 && anything_kept {
        if !args.no_registry_check {
            let registry_url = registry_url(ctx, args)?;
            let target = Target {
                scope: &scope,
                login: None,
                kind,
                name,
            };
            let checked = async {
                let owner = owner_login(ctx, &scope, kind, name).await?;
                login = Some(owner.clone());
                let image = format!("{owner}/{name}");
                let registry = Registry::new(&registry_url, &image, ctx.token.clone())?;
                let concurrency = usize::from(args.manifest_reads);
                protect_multi_arch(
                    ctx,
                    &target,
                    &mut versions,
                    &policy,
                    now,
                    &mut plan,
                    &registry,
                    concurrency,
                )
                .await
            }
            .await;
            match checked {
                Ok(check) => {
                    for ghost in &plan.ghosts {
                        warnings.push(ghost.to_string());
                    }
                    tracing::debug!(
                        reads = check.reads,
                        saved = plan.children_kept(),
                        "registry checked"
                    );
                    for gone in &check.vanished {
                        warnings.push(format!(
                            "version {} ({}) was deleted by someone else while planning; it is \
                             left out of the plan",
                            gone.id,
                            policy::short_digest(&gone.name)
                        ));
                    }
                }
                Err(cause) => {
                    let held = plan.hold_untagged();
                    if held > 0 {
                        problems.push(format!(
                            "kept {} because the registry could not be read ({cause}); they \
                             may be platform images of a kept multi-arch image. Fix the \
                             registry access, or pass --no-registry-check to delete them anyway",
                            plural(held, "untagged version")
                        ));
                    }
                }
            }
        } else {
            warnings.push(
                "--no-registry-check: platform images of multi-arch images are not protected"
                    .to_owned(),
            );
        }
    }

    let delete_count = plan.delete_count();
    let mut report = Report {
        dry_run: !args.yes,
        package: PackageRef {
            owner: login.clone(),
            package_type: kind,
            name: name.to_owned(),
        },
        plan: plan
            .entries
            .iter()
            .map(|e| PlanItem {
                id: e.id,
                name: e.name.clone(),
                tags: e.tags.clone(),
                created_at: output::time(e.created_at),
                action: e.action,
                reason: e.reason.to_string(),
            })
            .collect(),
        deleted: Vec::new(),
        gone: Vec::new(),
        skipped: Vec::new(),
        failed: Vec::new(),
        not_attempted: Vec::new(),
        journal: None,
        warnings,
        error: None,
    };
    for warning in &report.warnings {
        eprintln!("warning: {warning}");
    }

    if !ctx.json {
        out!(
            "{kind} package {name} ({scope}): {}, {delete_count} to delete",
            plural(plan.entries.len(), "active version")
        )?;
        if delete_count > 0 || !args.yes || args.show_kept {
            print_plan(&plan, !args.yes || args.show_kept)?;
        }
    }

    let over_cap = args.max_delete.is_some_and(|max| delete_count as u64 > max);
    if over_cap {
        refusals.push(format!(
            "the plan deletes {}, more than --max-delete {}; nothing was deleted. Narrow \
                 the policy or raise --max-delete",
            plural(delete_count, "version"),
            args.max_delete.unwrap_or_default()
        ));
    }
    let refused = !refusals.is_empty();
    if delete_count == 0 {
        if !ctx.json {
            out!("nothing to delete")?;
        }
    } else if !args.yes {
        if !ctx.json && !over_cap {
            let these = match delete_count {
                1 => "this version".to_owned(),
                n => format!("these {n} versions"),
            };
            out!("dry run: nothing deleted; pass --yes to delete {these}")?;
        }
    } else if !refused {
        let owner_for_file = login.clone().unwrap_or_else(|| "me".to_owned());
        let path = args
            .journal
            .clone()
            .unwrap_or_else(|| journal::default_path(&owner_for_file, name, Utc::now()));
        let target = Target {
            scope: &scope,
            login: login.as_deref(),
            kind,
            name,
        };
        delete_planned(ctx, &target, &plan, &path, &mut report, &mut problems).await?;
    }

    refusals.append(&mut problems);
    report.error = (!refusals.is_empty()).then(|| refusals.join("; "));
    if ctx.json {
        output::json(&report)?;
    } else if args.yes && !refused && delete_count > 0 {
        print_outcome(&report, delete_count)?;
    }
    match report.error {
        Some(error) => Err(Failure::Failed(error)),
        None => Ok(()),
    }
}

/// After the deletes: one line of counts, then one row per version that was
/// not simply deleted, each in one format.
fn print_outcome(report: &Report, planned: usize) -> std::io::Result<()> {
    out!(
        "deleted {} of {}; journal: {}",
        report.deleted.len(),
        plural(planned, "version"),
        report.journal.as_deref().unwrap_or_default()
    )?;
    let mut table = Table::new(&["OUTCOME", "ID", "NAME", "DETAIL"]);
    let mut rows = 0;
    for g in &report.gone {
        table.row(vec![
            "gone".into(),
            g.id.to_string(),
            policy::short_digest(&g.name),
            "the DELETE answered 404: already deleted (perhaps by a retry whose answer was \
             lost) or not visible to the token"
                .into(),
        ]);
        rows += 1;
    }
    for s in &report.skipped {
        let detail = s.reason.clone();
        table.row(vec![
            "skipped".into(),
            s.id.to_string(),
            policy::short_digest(&s.name),
            detail,
        ]);
        rows += 1;
    }
    for f in &report.failed {
        table.row(vec![
            "failed".into(),
            f.id.to_string(),
            policy::short_digest(&f.name),
            f.error.clone(),
        ]);
        rows += 1;
    }
    if rows > 0 {
        table.print()?;
    }
    if !report.not_attempted.is_empty() {
        out!(
            "not attempted: {}",
            plural(report.not_attempted.len(), "version")
        )?;
    }
    Ok(())
}

/// The package a prune works on.
struct Target<'a> {
    scope: &'a Scope,
    /// The owner's login, when known (for `--me`, learned from GitHub).
    login: Option<&'a str>,
    kind: PackageType,
    name: &'a str,
}

/// How one planned delete ended, short of a failure.
enum Step {
    Deleted,
    /// The DELETE answered 404.
    Gone,
    /// Not sent: the version changed since the plan; why.
    Skipped(String),
}

/// Why a planned version must now be left alone, if it must: the plan was
/// made from a listing that may be minutes old, and a version may have been
/// tagged (or re-tagged to match --exclude-tag) or deleted since.
///
/// The write pacing is waited out first (and the slot booked), so the read
/// is one round trip before the DELETE rather than a pacing interval.
async fn changed_since_plan(
    ctx: &Ctx,
    packages: &PackagesHandler,
    target: &Target<'_>,
    entry: &Entry,
) -> Result<Option<String>, Error> {
    ctx.client.reserve_write().await;
    let current = match packages
        .version(target.kind, target.name, entry.id)
        .get()
        .await
    {
        Ok(current) => current,
        Err(error) if error.is_not_found() => {
            return Ok(Some(
                "no longer exists (404 when checked before the delete)".into(),
            ));
        }
        Err(error) => return Err(error),
    };
    if current.deleted_at.is_some() {
        return Ok(Some("already deleted".into()));
    }
    let now = tags_of(&current);
    let sorted = |tags: &[String]| {
        let mut tags = tags.to_vec();
        tags.sort();
        tags
    };
    if sorted(&entry.tags) != sorted(&now) {
        return Ok(Some(format!(
            "tags changed since the plan: {} then, {} now",
            output::tags(&entry.tags),
            output::tags(&now)
        )));
    }
    Ok(None)
}

/// Deletes the planned versions oldest first. Each is read again first and
/// left alone if it changed since the plan; an `intent` record is on disk
/// before each DELETE and its outcome after it.
async fn delete_planned(
    ctx: &Ctx,
    target: &Target<'_>,
    plan: &Plan,
    path: &Path,
    report: &mut Report,
    problems: &mut Vec<String>,
) -> Outcome {
    let header = Header::new(
        target.scope,
        target.login,
        target.kind,
        target.name,
        &ctx.api_url(),
    );
    let mut journal = Writer::open_for_prune(path, &header).map_err(Failure::Failed)?;
    report.journal = Some(journal.path().display().to_string());
    eprintln!("journal: {}", journal.path().display());

    let deletions = plan.deletions();
    let progress = Progress::bar("deleting", deletions.len());
    let packages = ctx.client.packages(target.scope);
    // The last failure (status and GitHub's message) and how many times in a
    // row it came.
    let mut last_failure: Option<(Option<u16>, Option<String>)> = None;
    let mut same_failures = 0;
    for (index, entry) in deletions.iter().enumerate() {
        let step = match changed_since_plan(ctx, &packages, target, entry).await {
            Err(error) => Err(error),
            Ok(Some(reason)) => Ok(Step::Skipped(reason)),
            Ok(None) => {
                journal
                    .append(&Record::Intent {
                        id: entry.id,
                        name: entry.name.clone(),
                        tags: entry.tags.clone(),
                        at: Utc::now(),
                    })
                    .map_err(Failure::Failed)?;
                match packages
                    .version(target.kind, target.name, entry.id)
                    .delete()
                    .await
                {
                    Ok(()) => Ok(Step::Deleted),
                    // A retried DELETE whose first answer was lost meets a
                    // 404: the version is gone, maybe by our own hand.
                    Err(error) if error.is_not_found() => Ok(Step::Gone),
                    Err(error) => Err(error),
                }
            }
        };
        progress.inc(1);
        match step {
            Ok(Step::Deleted) => {
                journal
                    .append(&Record::Deleted {
                        id: entry.id,
                        at: Utc::now(),
                    })
                    .map_err(Failure::Failed)?;
                report.deleted.push(version_ref(entry));
                last_failure = None;
                same_failures = 0;
            }
            Ok(Step::Gone) => {
                journal
                    .append(&Record::Gone {
                        id: entry.id,
                        note: "the DELETE answered 404: already deleted, or not visible to \
                               the token"
                            .into(),
                        at: Utc::now(),
                    })
                    .map_err(Failure::Failed)?;
                report.gone.push(version_ref(entry));
            }
            Ok(Step::Skipped(reason)) => {
                journal
                    .append(&Record::Skipped {
                        id: entry.id,
                        name: entry.name.clone(),
                        tags: entry.tags.clone(),
                        reason: reason.clone(),
                        at: Utc::now(),
                    })
                    .map_err(Failure::Failed)?;
                report.skipped.push(SkippedRef {
                    id: entry.id,
                    name: entry.name.clone(),
                    tags: entry.tags.clone(),
                    reason,
                });
            }
            Err(error) => {
                let message = describe(&error);
                journal
                    .append(&Record::Failed {
                        id: entry.id,
                        error: message.clone(),
                        at: Utc::now(),
                    })
                    .map_err(Failure::Failed)?;
                report.failed.push(FailedRef {
                    id: entry.id,
                    name: entry.name.clone(),
                    tags: entry.tags.clone(),
                    error: message.clone(),
                });
                let key = (
                    error.status().map(|s| s.as_u16()),
                    error.message().map(str::to_owned),
                );
                if last_failure.as_ref() == Some(&key) {
                    same_failures += 1;
                } else {
                    last_failure = Some(key);
                    same_failures = 1;
                }
                let why = if !is_version_specific(&error) {
                    Some(message)
                } else if same_failures >= MAX_SAME_FAILURES {
                    Some(format!(
                        "{same_failures} deletes in a row failed the same way ({message}), so \
                         the cause is not the versions"
                    ))
                } else {
                    None
                };
                if let Some(why) = why {
                    report.not_attempted = deletions[index + 1..]
                        .iter()
                        .map(|e| version_ref(e))
                        .collect();
                    problems.push(format!(
                        "stopped after {} of {}: {why}. Run the same command again with \
                         --journal {} to continue, or `{}` to restore",
                        report.deleted.len(),
                        plural(deletions.len(), "delete"),
                        path.display(),
                        crate::undo::command(path)
                    ));
                    break;
                }
            }
        }
    }
    progress.finish();
    if !report.failed.is_empty() && report.not_attempted.is_empty() {
        problems.push(format!(
            "{} of {} deletes failed",
            report.failed.len(),
            deletions.len()
        ));
    }
    Ok(())
}
