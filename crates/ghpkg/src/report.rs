//! What a prune or an apply did, package by package: the `--json` document
//! (version 3: reasons, skips and warnings as data with a `code`), built
//! from the engine's plans and outcomes, and the same facts as tables for
//! people.

use github_packages::PackageType;
use github_packages_retention::{
    Action, Doomed, Entry, PackageOutcome, PackagePlan, SkipReason, Warning,
};
use serde::Serialize;

use crate::context::describe;
use crate::output::out;
use crate::output::{self, Table, plural};
use crate::words::{self, short_digest};

/// The version of the `--json` document of `prune` and `apply`.
pub(crate) const REPORT_VERSION: u32 = 3;

/// A version in a list of outcomes.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct VersionRef {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) tags: Vec<String>,
    /// The package, where a list spans several (an undo's report).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) package: Option<String>,
}

impl From<&Doomed> for VersionRef {
    fn from(v: &Doomed) -> VersionRef {
        VersionRef {
            id: v.id,
            name: v.name.clone(),
            tags: v.tags.clone(),
            package: None,
        }
    }
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
    pub(crate) reason: SkipReason,
}

/// A warning as data, with its sentence for people.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct WarningRef {
    #[serde(flatten)]
    pub(crate) warning: Warning,
    pub(crate) message: String,
}

impl From<&Warning> for WarningRef {
    fn from(warning: &Warning) -> WarningRef {
        WarningRef {
            warning: warning.clone(),
            message: words::warning(warning),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct PackageRef {
    pub(crate) owner: Option<String>,
    #[serde(rename = "type")]
    pub(crate) package_type: PackageType,
    pub(crate) name: String,
}

/// What happened to one package.
#[derive(Debug, Serialize)]
pub(crate) struct PackageReport {
    pub(crate) package: PackageRef,
    /// When its versions were listed (the plan is as of then).
    pub(crate) listed_at: Option<String>,
    pub(crate) plan: Vec<Entry>,
    pub(crate) deleted: Vec<VersionRef>,
    pub(crate) gone: Vec<VersionRef>,
    pub(crate) skipped: Vec<SkippedRef>,
    pub(crate) failed: Vec<FailedRef>,
    pub(crate) not_attempted: Vec<VersionRef>,
    /// Worth a look, changed nothing.
    pub(crate) warnings: Vec<WarningRef>,
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

    /// The report of a planned package, before anything is deleted.
    pub(crate) fn planned(planned: &PackagePlan) -> PackageReport {
        let mut report = PackageReport::new(PackageRef {
            owner: planned.login.clone(),
            package_type: planned.target.package_type,
            name: planned.target.name.clone(),
        });
        report.listed_at = Some(output::time(planned.listed_at));
        report.plan = planned.plan.entries.clone();
        report.warnings = planned.all_warnings().map(WarningRef::from).collect();
        for problem in &planned.problems {
            report.fail(words::problem(problem));
        }
        report
    }

    /// How many versions the plan deletes.
    pub(crate) fn planned_count(&self) -> usize {
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

    /// Records what the deletes of this package did.
    pub(crate) fn record(&mut self, outcome: &PackageOutcome) {
        let refs = |list: &[Doomed]| list.iter().map(VersionRef::from).collect::<Vec<_>>();
        self.deleted = refs(&outcome.deleted);
        self.gone = refs(&outcome.gone);
        self.not_attempted = refs(&outcome.not_attempted);
        self.skipped = outcome
            .skipped
            .iter()
            .map(|s| SkippedRef {
                id: s.version.id,
                name: s.version.name.clone(),
                tags: s.version.tags.clone(),
                reason: s.reason.clone(),
            })
            .collect();
        self.failed = outcome
            .failed
            .iter()
            .map(|f| FailedRef {
                id: f.version.id,
                name: f.version.name.clone(),
                tags: f.version.tags.clone(),
                error: describe(&f.error),
            })
            .collect();
        let of = plural(outcome.planned, "delete");
        let done = outcome.deleted.len();
        match outcome.halt {
            Some(halt) => {
                let last = self.failed.last().map(|f| f.error.as_str());
                let why = words::halt(halt, last);
                match halt {
                    github_packages_retention::Halt::NotStarted => self.fail(why),
                    _ => self.fail(format!("stopped after {done} of {of}: {why}")),
                }
            }
            None if !outcome.failed.is_empty() => {
                self.fail(format!("{} of {of} failed", outcome.failed.len()));
            }
            None => {}
        }
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
    pub(crate) warnings: Vec<WarningRef>,
    /// Why the run as a whole failed or was refused, if it was.
    pub(crate) error: Option<String>,
    /// What an interrupted run did and how to go on, for stderr (`error`
    /// has it on one line).
    #[serde(skip)]
    pub(crate) interrupted: Option<String>,
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
            interrupted: None,
        }
    }

    pub(crate) fn deleted(&self) -> usize {
        self.packages.iter().map(|p| p.deleted.len()).sum()
    }

    pub(crate) fn failed(&self) -> usize {
        self.packages.iter().map(|p| p.failed.len()).sum()
    }

    pub(crate) fn planned(&self) -> usize {
        self.packages.iter().map(PackageReport::planned_count).sum()
    }

    /// The packages that failed, by name.
    pub(crate) fn failed_packages(&self) -> Vec<&str> {
        self.packages
            .iter()
            .filter(|p| p.error.is_some())
            .map(|p| p.package.name.as_str())
            .collect()
    }

    /// The report of a package by name.
    pub(crate) fn package_mut(&mut self, name: &str) -> Option<&mut PackageReport> {
        self.packages.iter_mut().find(|p| p.package.name == name)
    }
}

/// The plan as a table: every row, or only the DELETE rows.
pub(crate) fn print_plan(entries: &[Entry], with_kept: bool) -> std::io::Result<()> {
    let mut table = Table::new(&["ACTION", "ID", "CREATED", "TAGS", "NAME", "REASON"]);
    for e in entries {
        let action = match e.action {
            Action::Delete => "DELETE",
            Action::Keep if with_kept => "KEEP",
            Action::Keep => continue,
        };
        table.row(vec![
            action.to_owned(),
            e.id.to_string(),
            output::time(e.created_at),
            output::tags(&e.tags),
            short_digest(&e.name),
            words::reason(&e.reason),
        ]);
    }
    table.print()
}

/// After the deletes of one package of several: a line of counts, then
/// what [`print_exceptions`] prints.
pub(crate) fn print_outcome_of(report: &PackageReport, planned: usize) -> std::io::Result<()> {
    out!(
        "{}: deleted {} of {}",
        report.package.name,
        report.deleted.len(),
        plural(planned, "version"),
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
            short_digest(name),
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
        row("skipped", s.id, &s.name, words::skip(&s.reason));
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
/// their outcomes as they finish) and a line of counts.
pub(crate) fn print_run_outcome(
    report: &Report,
    planned: usize,
    journal: &std::path::Path,
) -> std::io::Result<()> {
    if let [package] = report.packages.as_slice() {
        print_exceptions(package)?;
    }
    output::outcome(&outcome_line(
        report,
        planned,
        &journal.display().to_string(),
    ))
}

/// `deleted 3 of 5 versions; journal: PATH`.
pub(crate) fn outcome_line(report: &Report, planned: usize, journal: &str) -> String {
    format!(
        "deleted {} of {}; journal: {journal}",
        report.deleted(),
        plural(planned, "version"),
    )
}
