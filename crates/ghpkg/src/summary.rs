//! GitHub Actions integration: when `GITHUB_STEP_SUMMARY` names a file, a
//! Markdown summary of the run is appended to it (dry runs and failures
//! included); when `GITHUB_OUTPUT` does, the step's outputs are appended;
//! under `GITHUB_ACTIONS=true` each warning is also an annotation on the
//! run's page.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use chrono::{DateTime, Duration, Utc};

use crate::output::{self, plural};
use github_packages_retention::Action;

use crate::context::{Ctx, Failure, Outcome};
use crate::report::Report;
use crate::words::{self, short_digest};

/// GitHub drops a step's whole summary above 1 MiB; stay well below.
const MAX_SUMMARY_BYTES: usize = 512 * 1024;
/// Versions listed per package before "and N more".
const MAX_ROWS: usize = 300;

/// What the summary says besides the report.
#[derive(Debug)]
pub(crate) struct Context<'a> {
    /// `prune` or `apply`.
    pub(crate) command: &'a str,
    pub(crate) owner: String,
    pub(crate) package_type: String,
    /// The retention flags, as given (empty for `apply`).
    pub(crate) policy: &'a [String],
    /// When the deletes started (the restore window counts from them).
    pub(crate) started_at: DateTime<Utc>,
}

/// Ends a prune or an apply: sets the run's error from `problems` and the
/// packages that failed (those first), prints the `--json` report, writes
/// the summary, outputs and annotations the environment asks for, and
/// returns the exit status.
pub(crate) fn finish(
    ctx: &Ctx,
    report: &mut Report,
    mut problems: Vec<String>,
    context: &Context<'_>,
) -> Outcome {
    let failed = report.failed_packages();
    if !failed.is_empty() {
        let details: Vec<String> = report
            .packages
            .iter()
            .filter_map(|p| Some(format!("{}: {}", p.package.name, p.error.as_deref()?)))
            .collect();
        let failures = match failed.len() {
            1 if report.packages.len() == 1 => details.join("; "),
            n => format!(
                "{} of {} failed ({}): {}",
                plural(n, "package"),
                report.packages.len(),
                failed.join(", "),
                details.join("; ")
            ),
        };
        problems.insert(0, failures);
    }
    report.error = (!problems.is_empty()).then(|| problems.join("; "));
    if ctx.json {
        output::json(report)?;
        // The document went nowhere; the outcome still goes somewhere.
        if output::stdout_closed()
            && let Some(journal) = &report.journal
        {
            eprintln!(
                "{}",
                crate::report::outcome_line(report, report.planned(), journal)
            );
        }
    }
    publish(report, context);
    if let Some(interrupted) = &report.interrupted {
        return Err(Failure::Interrupted(interrupted.clone()));
    }
    match &report.error {
        Some(error) => Err(Failure::Failed(error.clone())),
        None => Ok(()),
    }
}

/// Writes the summary, outputs and annotations the environment asks for.
/// Failing to write them is a warning, never a failed run: the deletes
/// happened either way.
fn publish(report: &Report, context: &Context<'_>) {
    if std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true") {
        for warning in &report.warnings {
            eprintln!("::warning title=ghpkg::{}", annotation(&warning.message));
        }
        for package in &report.packages {
            for warning in &package.warnings {
                eprintln!(
                    "::warning title={}::{}",
                    property(&format!("ghpkg {}", package.package.name)),
                    annotation(&warning.message)
                );
            }
        }
    }
    if let Some(path) = env_path("GITHUB_STEP_SUMMARY") {
        let markdown = markdown(report, context);
        if let Err(e) = append(&path, &markdown) {
            eprintln!(
                "warning: cannot write the job summary to {}: {e}",
                path.display()
            );
        }
    }
    if let Some(path) = env_path("GITHUB_OUTPUT")
        && let Err(e) = append(&path, &outputs(report))
    {
        eprintln!(
            "warning: cannot write the step outputs to {}: {e}",
            path.display()
        );
    }
}

/// Text for a workflow command: one line, `%`, CR and LF escaped as GitHub
/// reads them, so a package name or warning cannot start a command of its
/// own.
fn annotation(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A workflow command's property value (the title): also `:` and `,`.
fn property(text: &str) -> String {
    annotation(text).replace(':', "%3A").replace(',', "%2C")
}

fn env_path(name: &str) -> Option<std::path::PathBuf> {
    std::env::var_os(name)
        .filter(|v| !v.is_empty())
        .map(std::path::PathBuf::from)
}

fn append(path: &Path, text: &str) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    file.write_all(text.as_bytes())
}

/// The step outputs, one `name=value` line each (values never hold a
/// newline: counts and paths ghpkg chose or was given on one line).
pub(crate) fn outputs(report: &Report) -> String {
    let one_line = |s: &str| s.replace(['\n', '\r'], " ");
    let mut out = String::new();
    let _ = writeln!(out, "deleted-count={}", report.deleted());
    let _ = writeln!(out, "failed-count={}", report.failed());
    let _ = writeln!(out, "planned-count={}", report.planned());
    let _ = writeln!(
        out,
        "journal={}",
        one_line(report.journal.as_deref().unwrap_or_default())
    );
    let _ = writeln!(
        out,
        "plan={}",
        one_line(report.plan_file.as_deref().unwrap_or_default())
    );
    out
}

/// Markdown for a table cell: no pipes or newlines.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// The job summary of a run.
pub(crate) fn markdown(report: &Report, context: &Context<'_>) -> String {
    let mut md = String::new();
    let mode = if report.plan_file.is_some() {
        "plan written, nothing deleted"
    } else if report.dry_run {
        "dry run, nothing deleted"
    } else {
        "deleted"
    };
    let _ = writeln!(
        md,
        "## ghpkg {}: {} packages of {} ({mode})\n",
        context.command, context.package_type, context.owner
    );
    if let Some(error) = &report.error {
        let label = match report.interrupted {
            Some(_) => "Interrupted",
            None => "Failed",
        };
        let _ = writeln!(md, "> **{label}:** {}\n", cell(error));
    }
    for warning in &report.warnings {
        let _ = writeln!(md, "- warning: {}", cell(&warning.message));
    }
    if !report.warnings.is_empty() {
        md.push('\n');
    }
    let _ = writeln!(
        md,
        "| package | versions | kept | to delete | deleted | gone | skipped | failed |"
    );
    let _ = writeln!(
        md,
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    );
    for p in &report.packages {
        let planned = p.planned_count();
        let _ = writeln!(
            md,
            "| {}{} | {} | {} | {planned} | {} | {} | {} | {} |",
            cell(&p.package.name),
            if p.error.is_some() { " ⚠" } else { "" },
            p.plan.len(),
            p.plan.len() - planned,
            p.deleted.len(),
            p.gone.len(),
            p.skipped.len(),
            p.failed.len(),
        );
    }
    md.push('\n');
    if !context.policy.is_empty() {
        let _ = writeln!(md, "Policy: `{}`\n", context.policy.join(" "));
    }
    for p in &report.packages {
        let _ = writeln!(md, "### {}\n", cell(&p.package.name));
        if let Some(error) = &p.error {
            let _ = writeln!(md, "- **failed:** {}", cell(error));
        }
        for warning in &p.warnings {
            let _ = writeln!(md, "- warning: {}", cell(&warning.message));
        }
        let deleted_or_planned: Vec<(i64, &str, &[String], String)> = if report.dry_run {
            p.plan
                .iter()
                .filter(|v| v.action == Action::Delete)
                .map(|v| {
                    let why = words::reason(&v.reason);
                    (v.id, v.name.as_str(), v.tags.as_slice(), why)
                })
                .collect()
        } else {
            p.deleted
                .iter()
                .map(|v| {
                    (
                        v.id,
                        v.name.as_str(),
                        v.tags.as_slice(),
                        "deleted".to_owned(),
                    )
                })
                .collect()
        };
        let title = if report.dry_run {
            "to delete"
        } else {
            "deleted"
        };
        let _ = writeln!(
            md,
            "\n<details><summary>{} {title}</summary>\n\n| id | digest | tags | |\n| ---: | --- | --- | --- |",
            deleted_or_planned.len()
        );
        for (id, name, tags, what) in deleted_or_planned.iter().take(MAX_ROWS) {
            let _ = writeln!(
                md,
                "| {id} | `{}` | {} | {} |",
                short_digest(name),
                cell(&tags.join(", ")),
                cell(what)
            );
        }
        if deleted_or_planned.len() > MAX_ROWS {
            let _ = writeln!(
                md,
                "| | … and {} more (see the plan or journal) | | |",
                deleted_or_planned.len() - MAX_ROWS
            );
        }
        let _ = writeln!(md, "\n</details>\n");
        // Kept versions, grouped by the code of their reason.
        let mut reasons: Vec<(&'static str, usize)> = Vec::new();
        for v in p.plan.iter().filter(|v| v.action == Action::Keep) {
            let code = v.reason.code();
            match reasons.iter_mut().find(|(c, _)| *c == code) {
                Some((_, n)) => *n += 1,
                None => reasons.push((code, 1)),
            }
        }
        if !reasons.is_empty() {
            let _ = writeln!(md, "<details><summary>kept, by reason</summary>\n");
            for (code, n) in &reasons {
                let _ = writeln!(md, "- {n} `{code}`: {}", words::code_meaning(code));
            }
            let _ = writeln!(md, "\n</details>\n");
        }
        if md.len() > MAX_SUMMARY_BYTES {
            let _ = writeln!(
                md,
                "\n(summary cut short to stay under GitHub's size limit)"
            );
            break;
        }
    }
    if let Some(journal) = &report.journal {
        let until = context.started_at + Duration::days(30);
        let _ = writeln!(
            md,
            "**Undo:** `ghpkg undo {}` restores what this run deleted, until {} (GitHub \
             keeps deleted versions for 30 days). Keep the journal: upload it as an artifact.",
            cell(journal),
            until.format("%Y-%m-%d %H:%M UTC")
        );
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;
    use github_packages::PackageType;
    use github_packages_retention::{Criterion, Entry, PartRole, Reason, Warning};

    use crate::report::{PackageRef, PackageReport, VersionRef, WarningRef};

    fn report() -> Report {
        let mut report = Report::new(false);
        let mut p = PackageReport::new(PackageRef {
            owner: Some("acme".into()),
            package_type: PackageType::Container,
            name: "app|x".into(),
        });
        for id in 1..=700 {
            p.plan.push(Entry {
                id,
                name: format!("sha256:{id:064x}"),
                tags: vec![],
                created_at: "2026-11-01T00:00:00Z".parse().unwrap(),
                updated_at: "2026-11-01T00:00:00Z".parse().unwrap(),
                after: Vec::new(),
                action: if id % 2 == 0 {
                    Action::Keep
                } else {
                    Action::Delete
                },
                reason: if id % 2 == 0 {
                    Reason::PartOf {
                        index: format!("sha256:{id:064x}"),
                        index_tag: Some("v1".into()),
                        role: PartRole::Platform,
                        platform: None,
                    }
                } else {
                    Reason::Selected {
                        criteria: vec![Criterion::Untagged],
                    }
                },
            });
            if id % 2 == 1 {
                p.deleted.push(VersionRef {
                    id,
                    name: format!("sha256:{id:064x}"),
                    tags: vec![],
                    package: None,
                });
            }
        }
        p.warnings.push(WarningRef::from(&Warning::IncompleteImage {
            id: 9,
            name: "sha256:9".into(),
            tags: vec![],
            listed: 2,
            missing: 2,
        }));
        report.packages.push(p);
        report.journal = Some("j.jsonl".into());
        report
    }

    #[test]
    fn the_summary_counts_lists_and_says_how_to_undo() {
        let context = Context {
            command: "prune",
            owner: "organization acme".into(),
            package_type: "container".into(),
            policy: &["--untagged".into()],
            started_at: "2026-12-01T00:00:00Z".parse().unwrap(),
        };
        let md = markdown(&report(), &context);
        assert!(
            md.contains("| app\\|x | 700 | 350 | 350 | 350 | 0 | 0 | 0 |"),
            "{md}"
        );
        assert!(md.contains("350 deleted"), "{md}");
        assert!(md.contains("… and 50 more"), "{md}");
        assert!(md.contains("- 350 `part_of`: "), "{md}");
        assert!(md.contains("ghost image: version 9"), "{md}");
        assert!(md.contains("`ghpkg undo j.jsonl`"), "{md}");
        assert!(md.contains("2026-12-31"), "{md}");
        assert!(md.len() < MAX_SUMMARY_BYTES);
    }

    #[test]
    fn workflow_commands_cannot_be_smuggled_in() {
        assert_eq!(annotation("a%b\n::error::x"), "a%25b%0A::error::x");
        assert_eq!(property("a:b,c\r"), "a%3Ab%2Cc%0D");
    }

    #[test]
    fn outputs_are_one_line_each() {
        let mut report = report();
        report.journal = Some("a\nb".into());
        let out = outputs(&report);
        assert_eq!(out.lines().count(), 5, "{out}");
        assert!(out.contains("deleted-count=350\n"));
        assert!(out.contains("journal=a b\n"));
    }
}
