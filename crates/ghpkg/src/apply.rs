//! `ghpkg apply PLAN`: delete exactly the versions a plan file marks
//! `delete`, each read again first (changed or gone: skipped), with the same
//! pacing, journal and reports as `prune --yes`. The policy is not applied
//! again: what a person reviewed is what happens.

use std::path::Path;

use chrono::Utc;
use clap::parser::ValueSource;
use github_packages_retention::{Action, PlanFile, Target, Work, normalized};

use crate::args::ApplyArgs;
use crate::context::{Ctx, Failure, Outcome};
use crate::deleting;
use crate::output::out;
use crate::output::{self, Table, plural};
use crate::report::{PackageRef, PackageReport, Report, WarningRef};
use crate::summary;
use crate::words::{self, short_digest};

/// The API URL an apply of `path` uses: the one given (or the default),
/// which must be the plan's. Unlike a journal, which ghpkg wrote on this
/// machine, a plan is handed around to be reviewed, so it never picks the
/// host the token goes to.
pub(crate) fn api_url(
    path: &Path,
    given: &str,
    source: Option<ValueSource>,
) -> Result<String, Failure> {
    let plan = read_plan(path)?;
    let given = match given.trim() {
        "" => github_packages::DEFAULT_BASE_URL,
        url => url,
    };
    let ours = normalized(given);
    let theirs = normalized(&plan.api_url);
    if ours != theirs {
        let from = match source {
            Some(ValueSource::CommandLine) => "--api-url is",
            Some(ValueSource::EnvVariable) => "GITHUB_API_URL is",
            _ => "the API is (by default)",
        };
        return Err(Failure::Usage(format!(
            "{} was made against {theirs}, but {from} {ours}; a plan does not choose where \
             your token goes: if you trust it, pass --api-url {theirs}",
            path.display()
        )));
    }
    Ok(ours)
}

/// The plan at `path`; a journal given instead is named as such.
fn read_plan(path: &Path) -> Result<PlanFile, Failure> {
    PlanFile::read(path).map_err(|e| match crate::files::not_a_plan(path) {
        Some(instead) => Failure::Usage(instead),
        None => Failure::Failed(e),
    })
}

/// The command that applies `path` against `api_url`, as it must be typed.
pub(crate) fn command(path: &Path, api_url: &str) -> String {
    let plan = crate::shell::quote(&path.display().to_string());
    if normalized(api_url) == normalized(github_packages::DEFAULT_BASE_URL) {
        format!("ghpkg apply {plan} --yes")
    } else {
        format!("ghpkg --api-url {api_url} apply {plan} --yes")
    }
}

/// Refuses a plan older than `--max-plan-age`.
fn check_age(path: &Path, plan: &PlanFile, args: &ApplyArgs) -> Result<(), Failure> {
    let age = Utc::now().signed_duration_since(plan.created_at);
    let max_age = chrono::TimeDelta::from_std(args.max_plan_age).unwrap_or(chrono::TimeDelta::MAX);
    if age > max_age {
        return Err(Failure::Failed(format!(
            "{} was made {} ago, longer than --max-plan-age {}: the registry has moved on \
             since. Make a new plan with `ghpkg prune ... --plan-out`, or raise \
             --max-plan-age; nothing was deleted",
            path.display(),
            crate::duration::about(age.to_std().unwrap_or_default()),
            crate::duration::format(args.max_plan_age)
        )));
    }
    Ok(())
}

/// Prints what the plan deletes, package by package.
fn show(path: &Path, plan: &PlanFile, scope: &github_packages::Scope) -> Outcome {
    let age = Utc::now().signed_duration_since(plan.created_at);
    out!(
        "plan {} ({}, made {} ago): {} of {} to delete",
        path.display(),
        scope,
        crate::duration::about(age.to_std().unwrap_or_default()),
        plural(plan.delete_count(), "version"),
        plural(
            plan.packages.len(),
            &format!("{} package", plan.package_type)
        )
    )?;
    let mut table = Table::new(&["PACKAGE", "ID", "CREATED", "TAGS", "NAME", "REASON"]);
    for package in &plan.packages {
        for v in package
            .versions
            .iter()
            .filter(|v| v.action == Action::Delete)
        {
            table.row(vec![
                package.name.clone(),
                v.id.to_string(),
                output::time(v.created_at),
                output::tags(&v.tags),
                short_digest(&v.name),
                words::reason(&v.reason),
            ]);
        }
    }
    if plan.delete_count() > 0 {
        table.print()?;
    }
    Ok(())
}

pub(crate) async fn run(ctx: &Ctx, args: &ApplyArgs) -> Outcome {
    let path = &args.plan;
    let plan = read_plan(path)?;
    check_age(path, &plan, args)?;
    let scope = plan
        .owner
        .scope()
        .map_err(|e| Failure::Failed(format!("{}: {e}", path.display())))?;
    let kind = plan.package_type;

    let mut report = Report::new(!args.yes);
    report.plan_file = Some(path.display().to_string());
    let mut work = Vec::new();
    for package in &plan.packages {
        let mut entry = PackageReport::new(PackageRef {
            owner: plan.owner.login.clone(),
            package_type: kind,
            name: package.name.clone(),
        });
        entry.listed_at = Some(output::time(package.listed_at));
        entry.plan = package.versions.clone();
        entry.warnings = package.warnings.iter().map(WarningRef::from).collect();
        for warning in &entry.warnings {
            eprintln!("warning: {}: {}", package.name, warning.message);
        }
        work.push(Work {
            target: Target::new(scope.clone(), kind, package.name.clone()),
            versions: package.deletions(),
        });
        report.packages.push(entry);
    }
    if !ctx.json {
        show(path, &plan, &scope)?;
    }

    let started_at = Utc::now();
    let mut problems = Vec::new();
    if !args.yes {
        if !ctx.json {
            out!("nothing deleted; pass --yes to delete exactly these")?;
        }
    } else if plan.delete_count() > 0 {
        let run = deleting::Run {
            scope: &scope,
            kind,
            login: plan.owner.login.as_deref(),
            journal: args.journal.as_deref(),
        };
        problems = deleting::delete(ctx, &run, work, &mut report).await?;
    } else if !ctx.json {
        out!("nothing to delete")?;
    }

    let policy = words::policy_flags(&plan.policy);
    let context = summary::Context {
        command: "apply",
        owner: scope.to_string(),
        package_type: kind.to_string(),
        policy: &policy,
        started_at,
    };
    summary::finish(ctx, &mut report, problems, &context)
}
