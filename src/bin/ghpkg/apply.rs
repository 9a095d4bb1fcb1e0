//! `ghpkg apply PLAN`: delete exactly the versions a plan file marks
//! `delete`, each read again first (changed or gone: skipped), with the same
//! pacing, journal and reports as `prune --yes`. The policy is not applied
//! again: what a person reviewed is what happens.

use std::path::Path;

use chrono::Utc;
use clap::parser::ValueSource;

use crate::args::ApplyArgs;
use crate::deleting::{self, delete_all};
use crate::journal;
use crate::output::{self, Table, plural};
use crate::planfile::PlanFile;
use crate::policy::{Action, short_digest};
use crate::report::{PackageRef, PackageReport, Report, VersionRef};
use crate::summary;
use crate::{Ctx, Failure, Outcome, out};

/// The API URL an apply of `path` uses: the one given (or the default),
/// which must be the plan's. Unlike a journal, which ghpkg wrote on this
/// machine, a plan is handed around to be reviewed, so it never picks the
/// host the token goes to.
pub(crate) fn api_url(
    path: &Path,
    given: &str,
    source: Option<ValueSource>,
) -> Result<String, Failure> {
    let plan = PlanFile::read(path).map_err(Failure::Failed)?;
    let given = match given.trim() {
        "" => github_packages::DEFAULT_BASE_URL,
        url => url,
    };
    let ours = crate::undo::normalized(given);
    let theirs = crate::undo::normalized(&plan.api_url);
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

/// The command that applies `path` against `api_url`, as it must be typed.
pub(crate) fn command(path: &Path, api_url: &str) -> String {
    let plan = crate::undo::quoted(&path.display().to_string());
    if crate::undo::normalized(api_url)
        == crate::undo::normalized(github_packages::DEFAULT_BASE_URL)
    {
        format!("ghpkg apply {plan} --yes")
    } else {
        format!("ghpkg --api-url {api_url} apply {plan} --yes")
    }
}

pub(crate) async fn run(ctx: &Ctx, args: &ApplyArgs) -> Outcome {
    let path = &args.plan;
    let plan = PlanFile::read(path).map_err(Failure::Failed)?;
    let age = Utc::now().signed_duration_since(plan.created_at);
    let max_age = chrono::TimeDelta::from_std(args.max_plan_age).unwrap_or(chrono::TimeDelta::MAX);
    if age > max_age {
        return Err(Failure::Failed(format!(
            "{} was made {} ago, longer than --max-plan-age {}: the registry has moved on \
             since. Make a new plan with `ghpkg prune ... --plan-out`, or raise \
             --max-plan-age; nothing was deleted",
            path.display(),
            crate::duration::format(age.to_std().unwrap_or_default()),
            crate::duration::format(args.max_plan_age)
        )));
    }
    let scope = plan
        .owner
        .scope()
        .map_err(|e| Failure::Failed(format!("{}: {e}", path.display())))?;
    let kind = plan.package_type;

    let mut report = Report::new(!args.yes);
    report.plan_file = Some(path.display().to_string());
    let mut work = Vec::new();
    for (index, package) in plan.packages.iter().enumerate() {
        let mut entry = PackageReport::new(PackageRef {
            owner: plan.owner.login.clone(),
            package_type: kind,
            name: package.name.clone(),
        });
        entry.listed_at = Some(output::time(package.listed_at));
        entry.plan = package.versions.clone();
        entry.warnings = package.warnings.clone();
        let versions: Vec<VersionRef> = package.deletions().map_err(Failure::Failed)?;
        if !versions.is_empty() {
            work.push((index, versions));
        }
        report.packages.push(entry);
    }
    for package in &plan.packages {
        for warning in &package.warnings {
            eprintln!("warning: {}: {warning}", package.name);
        }
    }
    let planned = report.planned();
    if !ctx.json {
        out!(
            "plan {} ({}, made {} ago): {} of {} to delete",
            path.display(),
            scope,
            crate::duration::format(age.to_std().unwrap_or_default()),
            plural(planned, "version"),
            plural(plan.packages.len(), &format!("{kind} package"))
        )?;
        let mut table = Table::new(&["PACKAGE", "ID", "CREATED", "TAGS", "NAME"]);
        for package in &plan.packages {
            for v in package
                .versions
                .iter()
                .filter(|v| v.action == Action::Delete)
            {
                table.row(vec![
                    package.name.clone(),
                    v.id.to_string(),
                    v.created_at.clone(),
                    output::tags(&v.tags),
                    short_digest(&v.name),
                ]);
            }
        }
        if planned > 0 {
            table.print()?;
        }
    }

    let started_at = Utc::now();
    let mut problems = Vec::new();
    if !args.yes {
        if !ctx.json {
            out!("nothing deleted; pass --yes to delete exactly these")?;
        }
    } else if planned > 0 {
        ctx.client.check_scopes(crate::DELETE)?;
        let login = plan.owner.login.as_deref();
        let names: Vec<String> = plan.packages.iter().map(|p| p.name.clone()).collect();
        let journal_path = journal::path_for(args.journal.as_deref(), login, &names);
        let again = format!("`{}`", command(path, &ctx.api_url()));
        let run = deleting::Run {
            scope: &scope,
            kind,
            login,
            journal: &journal_path,
            again: &again,
        };
        problems = delete_all(ctx, &run, work, &mut report, !ctx.json).await?;
        if !ctx.json {
            let _ = crate::report::print_run_outcome(&report, planned, &journal_path);
        }
    } else if !ctx.json {
        out!("nothing to delete")?;
    }

    let context = summary::Context {
        command: "apply",
        owner: scope.to_string(),
        package_type: kind.to_string(),
        policy: &plan.policy,
        started_at,
    };
    summary::finish(ctx, &mut report, problems, &context)
}
