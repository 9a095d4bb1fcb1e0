//! The plan file: every version of every package with its action and
//! reason (as data), the policy that decided it, where and when. Written
//! whole or not at all; versioned, and any other format or version is
//! refused, so what a person reviewed is what is applied.
//!
//! ```json
//! {
//!   "format": "ghpkg-plan",
//!   "version": 2,
//!   "created_at": "2026-12-01T03:00:00Z",
//!   "api_url": "https://api.github.com",
//!   "owner": {"kind": "org", "login": "acme"},
//!   "package_type": "container",
//!   "policy": {"keep_tagged": 10, "untagged": true},
//!   "packages": [{
//!     "name": "app",
//!     "listed_at": "2026-12-01T02:59:58Z",
//!     "versions": [{"id": 1, "name": "sha256:…", "tags": ["v1"],
//!                   "created_at": "…", "action": "keep",
//!                   "reason": {"code": "keep_tagged", "n": 10}}],
//!     "warnings": []
//!   }]
//! }
//! ```

use std::path::Path;

use chrono::{DateTime, Utc};
use github_packages::PackageType;
use serde::{Deserialize, Serialize};

use crate::outcome::Doomed;
use crate::plan::{Action, Entry, Warning};
use crate::policy::Policy;
use crate::target::OwnerRef;

/// The `format` of a plan file.
pub const FORMAT: &str = "ghpkg-plan";
/// The `version` this engine writes and reads. Version 1 (reasons as
/// sentences, the policy as flags) is refused: make a new plan.
pub const VERSION: u32 = 2;

/// One package of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedPackage {
    /// The package name.
    pub name: String,
    /// When its versions were listed: the plan is as of then.
    pub listed_at: DateTime<Utc>,
    /// Every version, newest first, with its action and reason.
    pub versions: Vec<Entry>,
    /// What planning noticed.
    #[serde(default)]
    pub warnings: Vec<Warning>,
}

impl PlannedPackage {
    /// The versions to delete, oldest first (the order deletes are sent).
    pub fn deletions(&self) -> Vec<Doomed> {
        let mut doomed: Vec<&Entry> = self
            .versions
            .iter()
            .filter(|v| v.action == Action::Delete)
            .collect();
        doomed.sort_by_key(|v| (v.created_at, v.id));
        doomed.into_iter().map(Doomed::from).collect()
    }

    /// How many versions the plan deletes.
    pub fn delete_count(&self) -> usize {
        self.versions
            .iter()
            .filter(|v| v.action == Action::Delete)
            .count()
    }
}

/// A whole plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanFile {
    /// Always [`FORMAT`].
    pub format: String,
    /// Always [`VERSION`].
    pub version: u32,
    /// When the plan was made.
    pub created_at: DateTime<Utc>,
    /// The REST API it was made against, without a trailing slash.
    pub api_url: String,
    /// Whose packages.
    pub owner: OwnerRef,
    /// Their type.
    pub package_type: PackageType,
    /// The policy that decided it.
    pub policy: Policy,
    /// Every package that could be planned.
    pub packages: Vec<PlannedPackage>,
}

impl PlanFile {
    /// A plan of `packages` of `owner` made now against `api_url`.
    pub fn new(
        api_url: &str,
        owner: OwnerRef,
        package_type: PackageType,
        policy: Policy,
        packages: Vec<PlannedPackage>,
    ) -> PlanFile {
        PlanFile {
            format: FORMAT.to_owned(),
            version: VERSION,
            created_at: Utc::now(),
            api_url: api_url.trim_end_matches('/').to_owned(),
            owner,
            package_type,
            policy,
            packages,
        }
    }

    /// How many versions the plan deletes, over every package.
    pub fn delete_count(&self) -> usize {
        self.packages.iter().map(PlannedPackage::delete_count).sum()
    }

    /// Writes the plan to `path`, whole or not at all (a temporary file
    /// renamed into place), so a crash never leaves half a plan to apply.
    ///
    /// # Errors
    ///
    /// The file cannot be written; the message names it.
    pub fn write(&self, path: &Path) -> Result<(), String> {
        let text = serde_json::to_vec_pretty(self).map_err(|e| e.to_string())?;
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "plan".to_owned());
        let temporary = dir.join(format!(".{file_name}.{}.tmp", std::process::id()));
        let written =
            std::fs::write(&temporary, &text).and_then(|()| std::fs::rename(&temporary, path));
        if written.is_err() {
            let _ = std::fs::remove_file(&temporary);
        }
        written.map_err(|e| format!("cannot write the plan to {}: {e}", path.display()))
    }

    /// Reads and checks a plan.
    ///
    /// # Errors
    ///
    /// Not readable, not JSON of this shape (a file cut short, say), another
    /// format or version; the message names the file and what to do.
    pub fn read(path: &Path) -> Result<PlanFile, String> {
        let text = std::fs::read(path)
            .map_err(|e| format!("cannot read the plan {}: {e}", path.display()))?;
        let value: serde_json::Value = serde_json::from_slice(&text).map_err(|e| {
            format!(
                "{} is not a plan that can be read: {e}; it may be cut short. Make a new one",
                path.display()
            )
        })?;
        match (value.get("format"), value.get("version")) {
            (Some(f), _) if f != FORMAT => {
                return Err(format!(
                    "{} is not a ghpkg plan (format {f})",
                    path.display()
                ));
            }
            (_, Some(v)) if *v != VERSION => {
                return Err(format!(
                    "{} is a version {v} plan; this version reads version {VERSION}. Make a new \
                     plan",
                    path.display()
                ));
            }
            (None, _) | (_, None) => {
                return Err(format!(
                    "{} is not a ghpkg plan: no `format` and `version`",
                    path.display()
                ));
            }
            _ => {}
        }
        serde_json::from_value(value)
            .map_err(|e| format!("{} is not a valid ghpkg plan: {e}", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use github_packages::Scope;

    use super::*;
    use crate::reason::{Criterion, Reason};

    fn plan() -> PlanFile {
        let item = |id: i64, action: Action, created_at: &str| Entry {
            id,
            name: format!("sha256:{id:064x}"),
            tags: vec![],
            created_at: created_at.parse().unwrap(),
            updated_at: created_at.parse().unwrap(),
            action,
            reason: Reason::Selected {
                criteria: vec![Criterion::Untagged],
            },
            after: Vec::new(),
        };
        PlanFile {
            format: FORMAT.into(),
            version: VERSION,
            created_at: "2026-12-01T03:00:00Z".parse().unwrap(),
            api_url: "https://api.github.com".into(),
            owner: OwnerRef::of(&Scope::org("acme"), None),
            package_type: PackageType::Container,
            policy: Policy::default().untagged(),
            packages: vec![PlannedPackage {
                name: "app".into(),
                listed_at: "2026-12-01T02:59:00Z".parse().unwrap(),
                versions: vec![
                    item(3, Action::Delete, "2026-11-03T00:00:00Z"),
                    item(2, Action::Keep, "2026-11-02T00:00:00Z"),
                    item(1, Action::Delete, "2026-11-01T00:00:00Z"),
                ],
                warnings: vec![],
            }],
        }
    }

    #[test]
    fn a_plan_round_trips_and_deletes_oldest_first() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.json");
        plan().write(&path).unwrap();
        let read = PlanFile::read(&path).unwrap();
        assert_eq!(read.owner.scope().unwrap(), Scope::org("acme"));
        let ids: Vec<i64> = read.packages[0].deletions().iter().map(|v| v.id).collect();
        assert_eq!(ids, vec![1, 3]);
        // Only the plan is left in the directory: the temporary is renamed.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_plan_cut_short_or_of_another_version_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.json");
        plan().write(&path).unwrap();
        let whole = std::fs::read(&path).unwrap();
        for cut in [1, whole.len() / 2, whole.len() - 2] {
            std::fs::write(&path, &whole[..cut]).unwrap();
            let err = PlanFile::read(&path).unwrap_err();
            assert!(err.contains("cut short"), "{cut}: {err}");
        }
        let mut other = serde_json::to_value(plan()).unwrap();
        other["version"] = 1.into();
        std::fs::write(&path, other.to_string()).unwrap();
        assert!(
            PlanFile::read(&path)
                .unwrap_err()
                .contains("version 1 plan")
        );
        std::fs::write(&path, r#"{"format":"other","version":1}"#).unwrap();
        assert!(
            PlanFile::read(&path)
                .unwrap_err()
                .contains("not a ghpkg plan")
        );
        std::fs::write(&path, "[]").unwrap();
        assert!(
            PlanFile::read(&path)
                .unwrap_err()
                .contains("not a ghpkg plan")
        );
    }
}
