//! `ghpkg prune`: settle which packages, plan each with the retention
//! engine, judge the plans as a whole (an exclusion that protects nothing,
//! `--max-delete`), then print them (dry run), write them to a plan file
//! (`--plan-out`), or delete exactly the planned versions (`deleting.rs`),
//! and report (`report.rs`, `summary.rs`).

use chrono::Utc;
use clap::error::ErrorKind;
use github_packages::{PackageType, Scope};
use github_packages_retention::{
    AgeFrom, ManifestCache, OwnerRef, PackagePlan, PlanFile, PlannedPackage, Planner, Policy,
    PolicyError, Registry, Target, Warning,
};

use crate::args::{AgeBasis, Kind, PruneArgs};
use crate::context::{Ctx, Failure, Outcome};
use crate::deleting;
use crate::interrupt::before_any_write;
use crate::output::out;
use crate::output::plural;
use crate::progress::Bars;
use crate::report::{PackageReport, Report, WarningRef, print_plan};
use crate::summary;
use crate::words;

/// Refuses a policy that selects every version, or none, and tag flags for
/// package types whose versions have no tags.
pub(crate) fn check_usage(args: &PruneArgs) -> Result<(), (ErrorKind, String)> {
    let kind = args.kind;
    if !matches!(kind, Kind::Container | Kind::Docker) {
        let flags: Vec<&str> = [
            (args.untagged, "--untagged"),
            (args.keep_tagged.is_some(), "--keep-tagged"),
            (!args.tags.is_empty(), "--tag"),
            (!args.tag_regexes.is_empty(), "--tag-regex"),
            (!args.exclude_tags.is_empty(), "--exclude-tag"),
            (!args.exclude_tag_regexes.is_empty(), "--exclude-tag-regex"),
            (!args.digests.is_empty(), "--digest"),
            (!args.exclude_digests.is_empty(), "--exclude-digest"),
            (args.delete_ghost_images, "--delete-ghost-images"),
            (args.delete_partial_images, "--delete-partial-images"),
            (
                args.delete_orphaned_referrers,
                "--delete-orphaned-referrers",
            ),
        ]
        .into_iter()
        .filter_map(|(given, flag)| given.then_some(flag))
        .collect();
        if !flags.is_empty() {
            let kind = PackageType::from(kind);
            return Err((
                ErrorKind::ArgumentConflict,
                format!(
                    "{} cannot be used for {kind} packages: {kind} versions carry no tags, \
                     digests or images in GitHub's API (only container and docker versions \
                     do); use --keep-last, --keep-untagged, --older-than and --version-name",
                    flags.join(", ")
                ),
            ));
        }
    }
    if args.all_packages && args.packages.iter().any(|p| !p.is_exclusion()) {
        return Err((
            ErrorKind::ArgumentConflict,
            "--all-packages takes every package; with it, --package may only leave packages \
             out (`--package '!NAME'`)"
                .to_owned(),
        ));
    }
    policy_of(args).check().map_err(|e| match e {
        PolicyError::NoCriteria => (
            ErrorKind::MissingRequiredArgument,
            "give at least one of --keep-last, --keep-tagged, --keep-untagged, --older-than, \
             --untagged, --tag, --tag-regex, --version-name, --digest or a --delete-* flag: \
             without them the prune would delete every version (exclusions only protect)"
                .to_owned(),
        ),
        other => (ErrorKind::ValueValidation, other.to_string()),
    })
}

/// The retention policy the flags give.
pub(crate) fn policy_of(args: &PruneArgs) -> Policy {
    let count = |n: Option<u64>| n.map(|n| usize::try_from(n).unwrap_or(usize::MAX));
    let mut policy = Policy::default();
    policy.keep_last = count(args.keep_last);
    policy.keep_tagged = count(args.keep_tagged);
    policy.keep_untagged = count(args.keep_untagged);
    policy.older_than = args.older_than;
    policy.untagged = args.untagged;
    policy.tags = args.tags.iter().chain(&args.tag_regexes).cloned().collect();
    policy.exclude_tags = args
        .exclude_tags
        .iter()
        .chain(&args.exclude_tag_regexes)
        .cloned()
        .collect();
    policy.names = args
        .version_names
        .iter()
        .chain(&args.version_name_regexes)
        .cloned()
        .collect();
    policy.exclude_names = args
        .exclude_version_names
        .iter()
        .chain(&args.exclude_version_name_regexes)
        .cloned()
        .collect();
    policy.digests = args.digests.clone();
    policy.exclude_digests = args.exclude_digests.clone();
    policy.age_from = match args.age_from {
        AgeBasis::Created => AgeFrom::Created,
        AgeBasis::Updated => AgeFrom::Updated,
    };
    policy.delete_ghost_images = args.delete_ghost_images;
    policy.delete_partial_images = args.delete_partial_images;
    policy.delete_orphaned_referrers = args.delete_orphaned_referrers;
    policy
}

/// The planner the flags configure: the registry (`--registry-url`, else the
/// one that goes with the API), with the token; `--no-registry-check`;
/// `--manifest-reads`; the manifest cache.
fn planner(ctx: &Ctx, args: &PruneArgs) -> Result<Planner, Failure> {
    let mut planner = Planner::new(&ctx.client).manifest_reads(usize::from(args.manifest_reads));
    if args.no_registry_check {
        planner = planner.without_registry_check();
    }
    let cache_dir = match (&args.manifest_cache, args.no_manifest_cache) {
        (_, true) => None,
        (Some(dir), false) => Some(dir.clone()),
        (None, false) => ManifestCache::default_dir("ghpkg"),
    };
    if let Some(dir) = cache_dir {
        let max = args.manifest_cache_mib.saturating_mul(1024 * 1024);
        planner = planner.manifest_cache(ManifestCache::new(dir).max_bytes(max));
    }
    let registry = match &args.registry_url {
        Some(url) => Some(Registry::new(url).map_err(|e| {
            Failure::Usage(format!(
                "--registry-url {url}: {}",
                crate::context::describe(&e)
            ))
        })?),
        None => Registry::for_api(ctx.client.base_url()),
    };
    if let Some(mut registry) = registry {
        if let Some(token) = &ctx.token {
            registry = registry.token(token.clone());
        }
        planner = planner.registry(registry);
    }
    Ok(planner)
}

pub(crate) async fn run(ctx: &Ctx, args: &PruneArgs) -> Outcome {
    let scope = match &args.name {
        Some(name) => crate::locate::scope(ctx, &args.owner, args.kind, name).await?,
        None => args.owner.scope(),
    };
    let kind: PackageType = args.kind.into();
    let policy = policy_of(args);
    let names = match &args.name {
        Some(name) => vec![name.clone()],
        None => {
            let resolving = github_packages_retention::resolve(
                &ctx.client,
                &scope,
                kind,
                &args.packages,
                args.all_packages,
            );
            before_any_write(&ctx.stop, "deleted", resolving).await??
        }
    };
    let planner = planner(ctx, args)?;
    let observer = Bars::new();
    let mut report = Report::new(!args.yes);
    let mut plans: Vec<PackagePlan> = Vec::new();
    let targets: Vec<Target> = names
        .iter()
        .map(|name| Target::new(scope.clone(), kind, name.clone()))
        .collect();
    let planning = planner.plan_all(
        &targets,
        &policy,
        &observer,
        usize::from(args.packages_at_once),
    );
    let planned = before_any_write(&ctx.stop, "deleted", planning).await?;
    for (name, planned) in names.iter().zip(planned) {
        match planned {
            Ok(planned) => {
                report.packages.push(PackageReport::planned(&planned));
                plans.push(planned);
            }
            // A package that cannot be planned does not stop the others;
            // a missing registry URL would stop them all.
            Err(github_packages_retention::Error::Api(error)) => {
                let mut package = PackageReport::new(crate::report::PackageRef {
                    owner: scope.owner().map(str::to_owned),
                    package_type: kind,
                    name: name.clone(),
                });
                package.fail(crate::context::describe(&error));
                report.packages.push(package);
            }
            Err(other) => return Err(other.into()),
        }
    }
    let refusals = judge(args, &policy, &plans, &mut report);
    show_plans(ctx, args, &scope, kind, &report, !refusals.is_empty())?;
    let mut problems = refusals.clone();
    let planned_total = report.planned();
    let started_at = Utc::now();
    if !refusals.is_empty() {
        // Neither a delete nor a plan that could be applied later.
    } else if let Some(path) = &args.plan_out {
        write_plan(ctx, &scope, kind, &policy, &plans, path)?;
        report.plan_file = Some(path.display().to_string());
    } else if planned_total == 0 {
        let unplanned = report.failed_packages().len();
        if !ctx.json && unplanned > 0 {
            out!(
                "nothing deleted: {} could not be planned",
                plural(unplanned, "package")
            )?;
        } else if !ctx.json {
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
        let login = plans
            .iter()
            .find_map(|p| p.login.clone())
            .or_else(|| scope.owner().map(str::to_owned));
        let run = deleting::Run {
            scope: &scope,
            kind,
            login: login.as_deref(),
            journal: args.journal.as_deref(),
        };
        let work = plans
            .iter()
            .map(github_packages_retention::Work::of)
            .collect();
        problems.extend(deleting::delete(ctx, &run, work, &mut report).await?);
    }
    let policy_flags = words::policy_flags(&policy);
    let context = summary::Context {
        command: "prune",
        owner: scope.to_string(),
        package_type: kind.to_string(),
        policy: &policy_flags,
        started_at,
    };
    summary::finish(ctx, &mut report, problems, &context)
}

/// Judges the plans as a whole, adding run warnings to `report`; returns
/// the refusals that stop any delete or plan file. An exclusion is judged
/// by the tags of the whole run: one package without release tags does not
/// make `--exclude-tag 'v*'` a typo.
fn judge(
    args: &PruneArgs,
    policy: &Policy,
    plans: &[PackagePlan],
    report: &mut Report,
) -> Vec<String> {
    let not_written = if args.plan_out.is_some() {
        " and no plan written"
    } else {
        ""
    };
    let mut refusals = Vec::new();
    let seen: Vec<&String> = plans.iter().flat_map(|p| &p.tags).collect();
    let unmatched = policy.unmatched_exclusions(seen.iter().copied());
    if !unmatched.is_empty() && !plans.is_empty() {
        let warning = Warning::UnmatchedExclusions {
            patterns: unmatched,
        };
        let sentence = words::warning(&warning);
        if (args.yes || args.plan_out.is_some()) && !args.allow_unmatched_exclude {
            refusals.push(format!(
                "{sentence}. Nothing was deleted{not_written}: fix the pattern, or pass \
                 --allow-unmatched-exclude"
            ));
        }
        report.warnings.push(WarningRef::from(&warning));
    }
    let planned_total = report.planned();
    if let Some(max) = args.max_delete
        && planned_total as u64 > max
    {
        refusals.push(format!(
            "the plan deletes {}, more than --max-delete {max}; nothing was deleted\
             {not_written}. Narrow the policy or raise --max-delete",
            plural(planned_total, "version"),
        ));
    }
    refusals
}

/// Prints the warnings (stderr) and each package's plan (stdout, unless
/// `--json`): every version in a dry run, the deletes with `--yes`. An
/// unmatched exclusion that refused the run is left to the refusal, which
/// says it once.
fn show_plans(
    ctx: &Ctx,
    args: &PruneArgs,
    scope: &Scope,
    kind: PackageType,
    report: &Report,
    refused: bool,
) -> Outcome {
    for warning in &report.warnings {
        if refused && matches!(warning.warning, Warning::UnmatchedExclusions { .. }) {
            continue;
        }
        eprintln!("warning: {}", warning.message);
    }
    let several = report.packages.len() > 1;
    for package in &report.packages {
        for warning in &package.warnings {
            match several {
                true => eprintln!("warning: {}: {}", package.package.name, warning.message),
                false => eprintln!("warning: {}", warning.message),
            }
        }
    }
    if ctx.json {
        return Ok(());
    }
    let with_kept = !args.yes || args.show_kept;
    for package in &report.packages {
        let name = &package.package.name;
        if package.listed_at.is_none() {
            out!(
                "{kind} package {name} ({scope}): not planned: {}",
                package.error.as_deref().unwrap_or_default()
            )?;
            continue;
        }
        let planned = package.planned_count();
        out!(
            "{kind} package {name} ({scope}): {}, {planned} to delete",
            plural(package.plan.len(), "active version"),
        )?;
        if planned > 0 || with_kept {
            print_plan(&package.plan, with_kept)?;
        }
    }
    Ok(())
}

/// Writes the plan file of a run: every package that could be planned.
fn write_plan(
    ctx: &Ctx,
    scope: &Scope,
    kind: PackageType,
    policy: &Policy,
    plans: &[PackagePlan],
    path: &std::path::Path,
) -> Outcome {
    let login = plans.iter().find_map(|p| p.login.as_deref());
    let packages = plans
        .iter()
        .map(|p| PlannedPackage {
            name: p.target.name.clone(),
            listed_at: p.listed_at,
            versions: p.plan.entries.clone(),
            warnings: p.all_warnings().cloned().collect(),
        })
        .collect();
    let file = PlanFile::new(
        &ctx.api_url(),
        OwnerRef::of(scope, login),
        kind,
        policy.clone(),
        packages,
    );
    file.write(path).map_err(Failure::Failed)?;
    if !ctx.json {
        out!(
            "plan written to {}: {} to delete; nothing deleted. Review it, then run `{}`",
            path.display(),
            plural(file.delete_count(), "version"),
            crate::apply::command(path, &ctx.api_url())
        )?;
    }
    Ok(())
}
