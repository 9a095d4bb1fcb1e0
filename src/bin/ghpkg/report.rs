//! What a prune or an apply did, package by package: the `--json` document
//! (version 2), and the same facts as tables for people.

use github_packages::PackageType;
use serde::{Deserialize, Serialize};

use crate::out;
use crate::output::{self, Table, plural};
use crate::policy::{self, Action, Entry, Plan};

/// The version of the `--json` document of `prune` and `apply`.
pub(crate) const REPORT_VERSION: u32 = 2;

#[derive(Debug, Clone, Serialize)]
pub(crate) struct VersionRef {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) tags: Vec<String>,
    /// The package, where a list spans several (an undo's report).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) package: Option<String>,
    /// For a referrer planned to go with its subject: the subject's digest.
    /// It is deleted only once the subject's own DELETE succeeded.
    #[serde(skip)]
    pub(crate) subject: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct FailedRef {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) tags: Vec<String>,
    pub(crate) error: String,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct SkippedRef {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) tags: Vec<String>,
    pub(crate) reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct PackageRef {
    pub(crate) owner: Option<String>,
    #[serde(rename = "type")]
    pub(crate) package_type: PackageType,
    pub(crate) name: String,
}

/// One version of a plan, as reports and plan files write it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct PlanItem {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) tags: Vec<String>,
    pub(crate) created_at: String,
    pub(crate) action: Action,
    pub(crate) reason: String,
    /// A referrer deleted with its subject: the subject's digest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) subject: Option<String>,
}

/// The subject a plan entry is deleted with, if it is a referrer that goes
/// with its subject.
fn deleted_with(e: &Entry) -> Option<String> {
    match &e.reason {
        policy::Reason::Referrer {
            subject,
            state: policy::Subject::Deleted,
            ..
        } if e.action == Action::Delete => Some(subject.clone()),
        _ => None,
    }
}

impl PlanItem {
    pub(crate) fn of(e: &Entry) -> PlanItem {
        PlanItem {
            id: e.id,
            name: e.name.clone(),
            tags: e.tags.clone(),
            created_at: output::time(e.created_at),
            action: e.action,
            reason: e.reason.to_string(),
            subject: deleted_with(e),
        }
    }
}

/// What happened to one package.
#[derive(Debug, Serialize)]
pub(crate) struct PackageReport {
    pub(crate) package: PackageRef,
    /// When its versions were listed (the plan is as of then).
    pub(crate) listed_at: Option<String>,
    pub(crate) plan: Vec<PlanItem>,
    pub(crate) deleted: Vec<VersionRef>,
    pub(crate) gone: Vec<VersionRef>,
    pub(crate) skipped: Vec<SkippedRef>,
    pub(crate) failed: Vec<FailedRef>,
    pub(crate) not_attempted: Vec<VersionRef>,
    /// Worth a look, changed nothing (an exclusion that matches no tag, a
    /// version deleted while planning, a ghost image).
    pub(crate) warnings: Vec<String>,
    /// Why this package failed or was refused, if it was.
    pub(crate) error: Option<String>,
}

impl PackageReport {
    pub(crate) fn new(package: PackageRef) -> PackageReport {
        PackageReport {
            package,
            listed_at: None,
            plan: Vec::new(),
            deleted: Vec::new(),
            gone: Vec::new(),
            skipped: Vec::new(),
            failed: Vec::new(),
            not_attempted: Vec::new(),
            warnings: Vec::new(),
            error: None,
        }
    }

    /// How many versions the plan deletes.
    pub(crate) fn planned(&self) -> usize {
        self.plan
            .iter()
            .filter(|p| p.action == Action::Delete)
            .count()
    }

    /// Adds a reason this package failed.
    pub(crate) fn fail(&mut self, why: String) {
        self.error = Some(match self.error.take() {
            Some(before) => format!("{before}; {why}"),
            None => why,
        });
    }
}

/// The `--json` document of a prune or an apply.
#[derive(Debug, Serialize)]
pub(crate) struct Report {
    pub(crate) version: u32,
    pub(crate) dry_run: bool,
    pub(crate) packages: Vec<PackageReport>,
    pub(crate) journal: Option<String>,
    pub(crate) plan_file: Option<String>,
    /// Worth a look, about the run as a whole (an exclusion that matches no
    /// tag of any package).
    pub(crate) warnings: Vec<String>,
    /// Why the run as a whole failed or was refused, if it was.
    pub(crate) error: Option<String>,
}

impl Report {
    pub(crate) fn new(dry_run: bool) -> Report {
        Report {
            version: REPORT_VERSION,
            dry_run,
            packages: Vec::new(),
            journal: None,
            plan_file: None,
            warnings: Vec::new(),
            error: None,
        }
    }

    pub(crate) fn deleted(&self) -> usize {
        self.packages.iter().map(|p| p.deleted.len()).sum()
    }

    pub(crate) fn failed(&self) -> usize {
        self.packages.iter().map(|p| p.failed.len()).sum()
    }

    pub(crate) fn planned(&self) -> usize {
        self.packages.iter().map(PackageReport::planned).sum()
    }

    /// The packages that failed, by name.
    pub(crate) fn failed_packages(&self) -> Vec<&str> {
        self.packages
            .iter()
            .filter(|p| p.error.is_some())
            .map(|p| p.package.name.as_str())
            .collect()
    }
}

impl VersionRef {
    pub(crate) fn of(e: &Entry) -> VersionRef {
        VersionRef {
            id: e.id,
            name: e.name.clone(),
            tags: e.tags.clone(),
            package: None,
            subject: deleted_with(e),
        }
    }
}

/// The plan as a table: every row, or only the DELETE rows.
pub(crate) fn print_plan(plan: &Plan, with_kept: bool) -> std::io::Result<()> {
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

/// After the deletes of one package of several: a line of counts, then
/// what [`print_exceptions`] prints.
pub(crate) fn print_outcome(report: &PackageReport) -> std::io::Result<()> {
    out!(
        "{}: deleted {} of {}",
        report.package.name,
        report.deleted.len(),
        plural(report.planned(), "version"),
    )?;
    print_exceptions(report)
}

/// A row per version of a package that was not simply deleted, each in one
/// format, and how many were not attempted.
fn print_exceptions(report: &PackageReport) -> std::io::Result<()> {
    let mut table = Table::new(&["OUTCOME", "ID", "NAME", "DETAIL"]);
    let mut rows = 0;
    let mut row = |outcome: &str, id: i64, name: &str, detail: String| {
        table.row(vec![
            outcome.to_owned(),
            id.to_string(),
            policy::short_digest(name),
            detail,
        ]);
        rows += 1;
    };
    for g in &report.gone {
        row(
            "gone",
            g.id,
            &g.name,
            "the DELETE answered 404: already deleted (perhaps by a retry whose answer was \
             lost) or not visible to the token"
                .to_owned(),
        );
    }
    for s in &report.skipped {
        row("skipped", s.id, &s.name, s.reason.clone());
    }
    for f in &report.failed {
        row("failed", f.id, &f.name, f.error.clone());
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

/// After the deletes of a run: the one package's exceptions (several print
/// their outcomes as they finish) and a line of counts. The deletes are done, so a
/// reader gone from stdout changes nothing: the caller ignores the error and
/// the exit code still tells.
pub(crate) fn print_run_outcome(
    report: &Report,
    planned: usize,
    journal: &std::path::Path,
) -> std::io::Result<()> {
    if let [package] = report.packages.as_slice() {
        print_exceptions(package)?;
    }
    out!(
        "deleted {} of {}; journal: {}",
        report.deleted(),
        plural(planned, "version"),
        journal.display()
    )
}
