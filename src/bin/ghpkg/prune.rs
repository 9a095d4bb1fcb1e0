//! `ghpkg prune`: settle which packages (`targets.rs`), plan each
//! (`planning.rs`), then print the plans (dry run), write them to a plan
//! file (`--plan-out`), or delete exactly the planned versions of every
//! package into one journal (`deleting.rs`), and report (`report.rs`,
//! `summary.rs`).

use chrono::Utc;
use clap::error::ErrorKind;
use github_packages::{PackageType, Scope};

use crate::args::{Kind, PruneArgs};
use crate::deleting::{self, delete_all};
use crate::journal;
use crate::output::{self, plural};
use crate::planfile::{self, OwnerRef, PlanFile, PlannedPackage};
use crate::planning::{self, PackagePlan};
use crate::policy::Policy;
use crate::report::{PackageRef, PackageReport, PlanItem, Report, VersionRef, print_plan};
use crate::summary;
use crate::{Ctx, Failure, Outcome, describe, out};

/// Refuses a policy that selects every version, and tag flags for package
/// types whose versions have no tags.
pub(crate) fn check_usage(args: &PruneArgs) -> Result<(), (ErrorKind, String)> {
    let kind = args.kind;
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

/// The retention flags as given, for plan files and job summaries.
pub(crate) fn policy_flags(args: &PruneArgs) -> Vec<String> {
    let mut flags = Vec::new();
    let mut count = |flag: &str, n: Option<u64>| {
        if let Some(n) = n {
            flags.push(format!("{flag} {n}"));
        }
    };
    count("--keep-last", args.keep_last);
    count("--keep-tagged", args.keep_tagged);
    count("--keep-untagged", args.keep_untagged);
    if let Some(d) = args.older_than {
        flags.push(format!("--older-than {}", crate::duration::format(d)));
    }
    if args.untagged {
        flags.push("--untagged".to_owned());
    }
    let policy = policy_of(args);
    flags.extend(policy.tags.iter().map(|p| p.described(false)));
    flags.extend(policy.exclude_tags.iter().map(|p| p.described(true)));
    flags
}

pub(crate) async fn run(ctx: &Ctx, args: &PruneArgs) -> Outcome {
    let scope = args.owner.scope();
    let kind: PackageType = args.kind.into();
    let policy = policy_of(args);
    let names = match &args.name {
        Some(name) => vec![name.clone()],
        None => {
            crate::targets::resolve(ctx, &scope, kind, &args.packages, args.all_packages).await?
        }
    };
    let several = names.len() > 1;
    let settings = planning::Settings {
        scope: &scope,
        kind,
        policy: &policy,
        now: Utc::now(),
        registry_url: args.registry_url.as_deref(),
        no_registry_check: args.no_registry_check,
        manifest_reads: usize::from(args.manifest_reads),
    };

    let mut report = Report::new(!args.yes);
    let mut plans: Vec<Option<PackagePlan>> = Vec::new();
    for name in &names {
        let mut package = PackageReport::new(PackageRef {
            owner: scope.owner().map(str::to_owned),
            package_type: kind,
            name: name.clone(),
        });
        match planning::plan_package(ctx, &settings, name).await {
            Ok(planned) => {
                package.package.owner = planned.login.clone();
                package.listed_at = Some(output::time(planned.listed_at));
                package.plan = planned.plan.entries.iter().map(PlanItem::of).collect();
                package.warnings = planned.warnings.clone();
                for problem in &planned.problems {
                    package.fail(problem.clone());
                }
                plans.push(Some(planned));
            }
            // A package that cannot be planned does not stop the others;
            // a usage error (no registry URL) would hit them all.
            Err(Failure::Api(error)) => {
                package.fail(describe(&error));
                plans.push(None);
            }
            Err(other) => return Err(other),
        }
        report.packages.push(package);
    }
    // An exclusion is judged by the tags of the whole run: one package
    // without release tags does not make `--exclude-tag 'v*'` a typo.
    let seen: Vec<&String> = plans.iter().flatten().flat_map(|p| &p.tags).collect();
    let unmatched = policy.unmatched_excludes(seen.iter().copied());
    let mut refusals: Vec<String> = Vec::new();
    let not_written = if args.plan_out.is_some() {
        " and no plan written"
    } else {
        ""
    };
    if !unmatched.is_empty() && plans.iter().any(Option::is_some) {
        let warning = format!(
            "{} matches no tag of any version listed, so it protects nothing; check it for a \
             typo",
            unmatched.join(", ")
        );
        if (args.yes || args.plan_out.is_some()) && !args.allow_unmatched_exclude {
            refusals.push(format!(
                "{warning}. Nothing was deleted{not_written}: fix the pattern, or pass \
                 --allow-unmatched-exclude"
            ));
        }
        eprintln!("warning: {warning}");
        report.warnings.push(warning);
    }
    for package in &report.packages {
        for warning in &package.warnings {
            match several {
                true => eprintln!("warning: {}: {warning}", package.package.name),
                false => eprintln!("warning: {warning}"),
            }
        }
    }

    let with_kept = !args.yes || args.show_kept;
    if !ctx.json {
        for (package, planned) in report.packages.iter().zip(&plans) {
            let Some(planned) = planned else {
                out!(
                    "{kind} package {} ({scope}): not planned: {}",
                    package.package.name,
                    package.error.as_deref().unwrap_or_default()
                )?;
                continue;
            };
            out!(
                "{kind} package {} ({scope}): {}, {} to delete",
                package.package.name,
                plural(planned.plan.entries.len(), "active version"),
                planned.plan.delete_count()
            )?;
            if planned.plan.delete_count() > 0 || with_kept {
                print_plan(&planned.plan, with_kept)?;
            }
        }
    }

    // Problems of the run as a whole; each package's are in its report.
    let mut problems: Vec<String> = Vec::new();
    let planned_total = report.planned();
    let over_cap = args
        .max_delete
        .is_some_and(|max| planned_total as u64 > max);
    if over_cap {
        refusals.push(format!(
            "the plan deletes {}, more than --max-delete {}; nothing was deleted{not_written}. \
             Narrow the policy or raise --max-delete",
            plural(planned_total, "version"),
            args.max_delete.unwrap_or_default(),
        ));
    }
    let refused = !refusals.is_empty();
    problems.append(&mut refusals);

    if refused {
        // Neither a delete nor a plan that could be applied later.
    } else if let Some(path) = &args.plan_out {
        let file = plan_file(ctx, &scope, kind, args, &plans);
        file.write(path).map_err(Failure::Failed)?;
        report.plan_file = Some(path.display().to_string());
        if !ctx.json {
            out!(
                "plan written to {}: {} to delete; nothing deleted. Review it, then run `{}`",
                path.display(),
                plural(planned_total, "version"),
                crate::apply::command(path, &ctx.api_url())
            )?;
        }
    } else if planned_total == 0 {
        if !ctx.json {
            out!("nothing to delete")?;
        }
    } else if !args.yes {
        if !ctx.json {
            let these = match planned_total {
                1 => "this version".to_owned(),
                n => format!("these {n} versions"),
            };
            out!("dry run: nothing deleted; pass --yes to delete {these}")?;
        }
    } else {
        // A classic token names its scopes on every answer: a prune that
        // would fail at its first DELETE stops here instead.
        ctx.client.check_scopes(crate::DELETE)?;
        let login = plans
            .iter()
            .flatten()
            .find_map(|p| p.login.clone())
            .or_else(|| scope.owner().map(str::to_owned));
        let path = journal::path_for(args.journal.as_deref(), login.as_deref(), &names);
        let work: Vec<(usize, Vec<VersionRef>)> = plans
            .iter()
            .enumerate()
            .filter_map(|(i, planned)| {
                let planned = planned.as_ref()?;
                let versions: Vec<VersionRef> = planned
                    .plan
                    .deletions()
                    .into_iter()
                    .map(VersionRef::of)
                    .collect();
                (!versions.is_empty()).then_some((i, versions))
            })
            .collect();
        let started_at = Utc::now();
        let run = deleting::Run {
            scope: &scope,
            kind,
            login: login.as_deref(),
            journal: &path,
            again: "the same command",
        };
        let run_problems = delete_all(ctx, &run, work, &mut report, !ctx.json).await?;
        problems.extend(run_problems);
        if !ctx.json {
            let _ = crate::report::print_run_outcome(&report, planned_total, &path);
        }
        return finish(ctx, args, &mut report, problems, started_at);
    }
    finish(ctx, args, &mut report, problems, Utc::now())
}

/// The report in every form a prune gives it (see [`summary::finish`]).
fn finish(
    ctx: &Ctx,
    args: &PruneArgs,
    report: &mut Report,
    problems: Vec<String>,
    started_at: chrono::DateTime<Utc>,
) -> Outcome {
    let policy = policy_flags(args);
    let context = summary::Context {
        command: "prune",
        owner: args.owner.scope().to_string(),
        package_type: PackageType::from(args.kind).to_string(),
        policy: &policy,
        started_at,
    };
    summary::finish(ctx, report, problems, &context)
}

/// The plan file of a run: every package that could be planned.
fn plan_file(
    ctx: &Ctx,
    scope: &Scope,
    kind: PackageType,
    args: &PruneArgs,
    plans: &[Option<PackagePlan>],
) -> PlanFile {
    let login = plans.iter().flatten().find_map(|p| p.login.as_deref());
    PlanFile {
        format: planfile::FORMAT.to_owned(),
        version: planfile::VERSION,
        created_at: Utc::now(),
        api_url: ctx.api_url(),
        owner: OwnerRef::of(scope, login),
        package_type: kind,
        policy: policy_flags(args),
        packages: plans
            .iter()
            .flatten()
            .map(|p| PlannedPackage {
                name: p.name.clone(),
                listed_at: p.listed_at,
                versions: p.plan.entries.iter().map(PlanItem::of).collect(),
                warnings: p.warnings.clone(),
            })
            .collect(),
    }
}
