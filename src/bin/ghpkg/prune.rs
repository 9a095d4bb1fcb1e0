//! `ghpkg prune`: list the active versions, plan with `policy.rs`, protect
//! multi-arch images through the registry, then either print the plan (dry
//! run) or delete exactly the planned versions, journaling every step.

use std::collections::HashSet;
use std::path::Path;

use chrono::Utc;
use futures::{StreamExt, TryStreamExt};
use github_packages::{Error, PackageType, PackageVersion, Scope, VersionState};
use serde::Serialize;

use crate::args::PruneArgs;
use crate::glob::Glob;
use crate::journal::{self, Header, Record, Writer};
use crate::output::{self, Table};
use crate::policy::{self, Action, Entry, Plan, Policy};
use crate::progress::Progress;
use crate::registry::Registry;
use crate::{Ctx, Failure, Outcome};

/// How many manifests are read from the registry at once.
const REGISTRY_CONCURRENCY: usize = 4;

/// Refuses a policy that selects every version.
pub(crate) fn check_usage(args: &PruneArgs) -> Result<(), String> {
    if policy_of(args).has_criteria() {
        Ok(())
    } else {
        Err(
            "give at least one of --keep-last, --older-than, --untagged or --tag: without \
             them the prune would delete every version (--exclude-tag only protects)"
                .to_owned(),
        )
    }
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

/// Reads the manifest of every kept tagged version and keeps whatever an
/// image index among them references, until nothing changes (a version kept
/// this way may itself be a tagged index). Returns how many were saved.
async fn protect_multi_arch(plan: &mut Plan, registry: &Registry) -> Result<usize, String> {
    let mut looked_up = HashSet::new();
    let mut saved = 0;
    while plan.delete_count() > 0 {
        let todo = plan.kept_tagged(&looked_up);
        if todo.is_empty() {
            break;
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
            tracing::debug!(%digest, children = children.len(), "read manifest");
            saved += plan.protect_children(&digest, tag.as_deref(), &children);
            looked_up.insert(digest);
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
    if kind == PackageType::Container && plan.delete_count() > 0 {
        if args.no_registry_check {
            eprintln!(
                "warning: --no-registry-check: platform images of multi-arch images are not \
                 protected"
            );
        } else {
            let checked = async {
                let owner = owner_login(ctx, &scope, kind, name).await?;
                login = Some(owner.clone());
                let image = format!("{owner}/{name}");
                let registry = Registry::new(&args.registry_url, &image, ctx.token.clone())?;
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
        delete_planned(
            ctx,
            &scope,
            kind,
            name,
            &plan,
            &path,
            &mut report,
            &mut problems,
        )
        .await?;
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

/// Deletes the planned versions oldest first, with an `intent` record on
/// disk before each request and its outcome after it.
#[allow(clippy::too_many_arguments)]
async fn delete_planned(
    ctx: &Ctx,
    scope: &Scope,
    kind: PackageType,
    name: &str,
    plan: &Plan,
    path: &Path,
    report: &mut Report,
    problems: &mut Vec<String>,
) -> Outcome {
    let header = Header::new(scope, kind, name, &ctx.api_url());
    let mut journal = Writer::open_for_prune(path, &header).map_err(Failure::Failed)?;
    report.journal = Some(journal.path().display().to_string());
    eprintln!("journal: {}", journal.path().display());

    let deletions = plan.deletions();
    let mut progress = Progress::new("deleted", deletions.len());
    let packages = ctx.client.packages(scope);
    for (index, entry) in deletions.iter().enumerate() {
        journal
            .append(&Record::Intent {
                id: entry.id,
                name: entry.name.clone(),
                tags: entry.tags.clone(),
                at: Utc::now(),
            })
            .map_err(Failure::Failed)?;
        let result = packages.version(kind, name, entry.id).delete().await;
        match result {
            Ok(()) => {
                journal
                    .append(&Record::Deleted {
                        id: entry.id,
                        at: Utc::now(),
                    })
                    .map_err(Failure::Failed)?;
                progress.succeeded(entry.id, &entry.name);
                report.deleted.push(version_ref(entry));
            }
            Err(error) => {
                let message = error.to_string();
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
                if !is_version_specific(&error) {
                    report.not_attempted = deletions[index + 1..]
                        .iter()
                        .map(|e| version_ref(e))
                        .collect();
                    problems.push(format!(
                        "stopped after {} of {} deletes: {message}. Run the same command again \
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
