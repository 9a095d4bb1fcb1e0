//! `ghpkg prune`: list the active versions, plan with `policy.rs`, protect
//! multi-arch images through the registry, then either print the plan (dry
//! run) or delete exactly the planned versions, journaling every step.

use std::collections::HashSet;
use std::path::Path;

use chrono::Utc;
use clap::error::ErrorKind;
use futures::{StreamExt, TryStreamExt};
use github_packages::{Error, PackageType, PackageVersion, Packages, Scope, VersionState};
use serde::Serialize;

use crate::args::{Kind, PruneArgs};
use crate::glob::Glob;
use crate::journal::{self, Header, Record, Writer};
use crate::output::{self, Table};
use crate::policy::{self, Action, Entry, Plan, Policy, tags_of};
use crate::progress::Progress;
use crate::registry::Registry;
use crate::{Ctx, Failure, Outcome, describe};

/// How many manifests are read from the registry at once.
const REGISTRY_CONCURRENCY: usize = 4;
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
            (!args.exclude_tags.is_empty(), "--exclude-tag"),
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
    if policy_of(args).has_criteria() {
        Ok(())
    } else {
        Err((
            ErrorKind::MissingRequiredArgument,
            "give at least one of --keep-last, --older-than, --untagged or --tag: without \
             them the prune would delete every version (--exclude-tag only protects)"
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
        untagged: args.untagged,
        tags: args.tags.iter().map(|g| Glob::new(g)).collect(),
        exclude_tags: args.exclude_tags.iter().map(|g| Glob::new(g)).collect(),
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
    error: Option<String>,
}

fn version_ref(e: &Entry) -> VersionRef {
    VersionRef {
        id: e.id,
        name: e.name.clone(),
        tags: e.tags.clone(),
    }
}

fn print_plan(plan: &Plan) -> std::io::Result<()> {
    let mut table = Table::new(&["ACTION", "ID", "CREATED", "TAGS", "NAME", "REASON"]);
    for e in &plan.entries {
        let action = match e.action {
            Action::Delete => "DELETE",
            Action::Keep => "KEEP",
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

/// Reads the manifest of every kept version, tagged or not, and keeps
/// whatever an image index among them references, until nothing changes (a
/// version kept this way may itself be an index). Each digest is read at
/// most once, so there are at most as many reads as versions; manifests an
/// index says are single images are not read at all. Returns how many
/// versions were saved.
async fn protect_multi_arch(plan: &mut Plan, registry: &Registry) -> Result<usize, String> {
    let mut looked_up = HashSet::new();
    let max_reads = plan.entries.len();
    let mut reads = 0;
    let mut saved = 0;
    while plan.delete_count() > 0 {
        let mut todo = plan.kept_unread(&looked_up);
        if todo.is_empty() {
            break;
        }
        // Tagged versions first, in a round of their own: they are the
        // likely indexes, and the platform images they list need no read.
        if todo.iter().any(|(_, tag)| tag.is_some()) {
            todo.retain(|(_, tag)| tag.is_some());
        }
        reads += todo.len();
        if reads > max_reads {
            return Err(format!(
                "more than {max_reads} manifests to read for {max_reads} versions"
            ));
        }
        let answers: Vec<_> = futures::stream::iter(todo)
            .map(|(digest, tag)| async move {
                let children = registry.children(&digest).await;
                (digest, tag, children)
            })
            .buffered(REGISTRY_CONCURRENCY)
            .collect()
            .await;
        for (digest, tag, children) in answers {
            let children = children?;
            tracing::debug!(%digest, children = children.children.len(), "read manifest");
            saved += plan.protect_children(&digest, tag.as_deref(), &children.children);
            looked_up.insert(digest);
            looked_up.extend(children.leaves);
        }
    }
    Ok(saved)
}

pub(crate) async fn run(ctx: &Ctx, args: &PruneArgs) -> Outcome {
    let scope = args.target.owner.scope();
    let kind: PackageType = args.target.kind.into();
    let name = args.target.name.as_str();
    let policy = policy_of(args);

    let versions: Vec<PackageVersion> = ctx
        .client
        .packages(&scope)
        .versions(kind, name)
        .state(VersionState::Active)
        .stream()
        .try_collect()
        .await?;
    let mut plan = policy::plan(&versions, &policy, Utc::now());

    let mut problems: Vec<String> = Vec::new();
    let mut login = scope.owner().map(str::to_owned);
    // Nothing kept: no image to protect, no need for the registry.
    let anything_kept = !plan.kept_unread(&HashSet::new()).is_empty();
    if kind == PackageType::Container && plan.delete_count() > 0 && anything_kept {
        if args.no_registry_check {
            eprintln!(
                "warning: --no-registry-check: platform images of multi-arch images are not \
                 protected"
            );
        } else {
            let registry_url = registry_url(ctx, args)?;
            let checked = async {
                let owner = owner_login(ctx, &scope, kind, name).await?;
                login = Some(owner.clone());
                let image = format!("{owner}/{name}");
                let registry = Registry::new(&registry_url, &image, ctx.token.clone())?;
                protect_multi_arch(&mut plan, &registry).await
            }
            .await;
            if let Ok(saved) = checked
                && saved > 0
                && !ctx.json
            {
                eprintln!("registry: {saved} versions kept as parts of multi-arch images");
            }
            if let Err(cause) = checked {
                let held = plan.hold_untagged();
                if held > 0 {
                    problems.push(format!(
                        "kept {held} untagged versions because the registry could not be read \
                         ({cause}); they may be platform images of a kept multi-arch image. Fix \
                         the registry access, or pass --no-registry-check to delete them anyway"
                    ));
                }
            }
        }
    }

    let delete_count = plan.delete_count();
    let package = PackageRef {
        owner: login.clone(),
        package_type: kind,
        name: name.to_owned(),
    };
    let mut report = Report {
        dry_run: !args.yes,
        package,
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
        error: None,
    };

    if !ctx.json {
        println!(
            "{kind} package {name} ({scope}): {} active versions, {delete_count} to delete",
            plan.entries.len()
        );
        print_plan(&plan)?;
    }

    let over_cap = args.max_delete.is_some_and(|max| delete_count as u64 > max);
    if over_cap {
        problems.insert(
            0,
            format!(
                "the plan deletes {delete_count} versions, more than --max-delete {}; nothing \
                 was deleted. Narrow the policy or raise --max-delete",
                args.max_delete.unwrap_or_default()
            ),
        );
    } else if !args.yes {
        if !ctx.json {
            println!(
                "dry run: nothing deleted; pass --yes to delete these {delete_count} versions"
            );
        }
    } else if delete_count > 0 {
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
    } else if !ctx.json {
        println!("nothing to delete");
    }

    report.error = (!problems.is_empty()).then(|| problems.join("; "));
    if ctx.json {
        output::json(&report)?;
    } else if args.yes && !over_cap && delete_count > 0 {
        println!(
            "deleted {} of {delete_count} versions; journal: {}",
            report.deleted.len(),
            report.journal.as_deref().unwrap_or_default()
        );
        for g in &report.gone {
            println!(
                "gone: id={} name={}: the DELETE answered 404; it was already deleted \
                 (perhaps by a retry of a request whose answer was lost) or the token cannot \
                 see it",
                g.id, g.name
            );
        }
        for s in &report.skipped {
            println!("skipped: id={} name={}: {}", s.id, s.name, s.reason);
        }
        for f in &report.failed {
            println!("failed: id={} name={}: {}", f.id, f.name, f.error);
        }
        if !report.not_attempted.is_empty() {
            println!("not attempted: {} versions", report.not_attempted.len());
        }
    }
    match report.error {
        Some(error) => Err(Failure::Failed(error)),
        None => Ok(()),
    }
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
async fn changed_since_plan(
    packages: &Packages<'_>,
    target: &Target<'_>,
    entry: &Entry,
) -> Result<Option<String>, Error> {
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
    let mut progress = Progress::new("deleted", deletions.len());
    let packages = ctx.client.packages(target.scope);
    // The last failure (status and GitHub's message) and how many times in a
    // row it came.
    let mut last_failure: Option<(Option<u16>, Option<String>)> = None;
    let mut same_failures = 0;
    for (index, entry) in deletions.iter().enumerate() {
        let step = match changed_since_plan(&packages, target, entry).await {
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
        match step {
            Ok(Step::Deleted) => {
                journal
                    .append(&Record::Deleted {
                        id: entry.id,
                        at: Utc::now(),
                    })
                    .map_err(Failure::Failed)?;
                progress.succeeded(entry.id, &entry.name);
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
                progress.noted(entry.id, &entry.name, "gone (404)");
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
                progress.noted(entry.id, &entry.name, &format!("skipped ({reason})"));
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
                progress.failed(entry.id, &entry.name, &message);
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
                        "stopped after {} of {} deletes: {why}. Run the same command again \
                         with --journal {} to continue, or `ghpkg undo {}` to restore",
                        report.deleted.len(),
                        deletions.len(),
                        path.display(),
                        path.display()
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
