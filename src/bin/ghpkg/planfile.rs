//! The plan file `prune --plan-out` writes and `apply` reads: every version
//! of every package with its action and reason, the policy that decided it,
//! and when. Versioned; `apply` refuses any other format or version.
//!
//! ```json
//! {
//!   "format": "ghpkg-plan",
//!   "version": 1,
//!   "created_at": "2026-12-01T03:00:00Z",
//!   "api_url": "https://api.github.com",
//!   "owner": {"kind": "org", "login": "acme"},
//!   "package_type": "container",
//!   "policy": ["--keep-tagged 10", "--untagged"],
//!   "packages": [{
//!     "name": "app",
//!     "listed_at": "2026-12-01T02:59:58Z",
//!     "versions": [{"id": 1, "name": "sha256:…", "tags": ["v1"],
//!                   "created_at": "…", "action": "keep", "reason": "…"}],
//!     "warnings": []
//!   }]
//! }
//! ```

use std::path::Path;

use chrono::{DateTime, Utc};
use github_packages::{PackageType, Scope};
use serde::{Deserialize, Serialize};

use crate::journal::OwnerKind;
use crate::policy::Action;
use crate::report::{PlanItem, VersionRef};

/// The `format` of a plan file.
pub(crate) const FORMAT: &str = "ghpkg-plan";
/// The `version` this ghpkg writes and reads.
pub(crate) const VERSION: u32 = 1;

/// Whose packages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct OwnerRef {
    pub(crate) kind: OwnerKind,
    /// The organization or user; for `me`, the login when known.
    pub(crate) login: Option<String>,
}

impl OwnerRef {
    pub(crate) fn of(scope: &Scope, login: Option<&str>) -> OwnerRef {
        match scope {
            Scope::Org(o) => OwnerRef {
                kind: OwnerKind::Org,
                login: Some(o.clone()),
            },
            Scope::User(u) => OwnerRef {
                kind: OwnerKind::User,
                login: Some(u.clone()),
            },
            _ => OwnerRef {
                kind: OwnerKind::Me,
                login: login.map(str::to_owned),
            },
        }
    }

    pub(crate) fn scope(&self) -> Result<Scope, String> {
        match (&self.kind, &self.login) {
            (OwnerKind::Me, _) => Ok(Scope::AuthenticatedUser),
            (OwnerKind::Org, Some(o)) => Ok(Scope::org(o.clone())),
            (OwnerKind::User, Some(u)) => Ok(Scope::user(u.clone())),
            (kind, None) => Err(format!("the plan names owner kind {kind:?} but no login")),
        }
    }
}

/// One package of a plan.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct PlannedPackage {
    pub(crate) name: String,
    pub(crate) listed_at: DateTime<Utc>,
    pub(crate) versions: Vec<PlanItem>,
    #[serde(default)]
    pub(crate) warnings: Vec<String>,
}

impl PlannedPackage {
    /// The versions to delete, oldest first (the order deletes are sent).
    ///
    /// # Errors
    ///
    /// A `created_at` that is not a timestamp.
    pub(crate) fn deletions(&self) -> Result<Vec<VersionRef>, String> {
        let mut doomed = Vec::new();
        for v in self.versions.iter().filter(|v| v.action == Action::Delete) {
            let at: DateTime<Utc> = v.created_at.parse().map_err(|e| {
                format!(
                    "version {} of {}: created_at `{}` is not a timestamp ({e})",
                    v.id, self.name, v.created_at
                )
            })?;
            doomed.push((at, v));
        }
        doomed.sort_by_key(|(at, v)| (*at, v.id));
        Ok(doomed
            .into_iter()
            .map(|(_, v)| VersionRef {
                id: v.id,
                name: v.name.clone(),
                tags: v.tags.clone(),
                package: None,
                subject: v.subject.clone(),
            })
            .collect())
    }
}

/// A whole plan.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct PlanFile {
    pub(crate) format: String,
    pub(crate) version: u32,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) api_url: String,
    pub(crate) owner: OwnerRef,
    pub(crate) package_type: PackageType,
    /// The retention flags that made it, as given.
    pub(crate) policy: Vec<String>,
    pub(crate) packages: Vec<PlannedPackage>,
}

impl PlanFile {
    /// Writes the plan to `path`, whole or not at all (a temporary file
    /// renamed into place), so a crash never leaves half a plan to apply.
    ///
    /// # Errors
    ///
    /// The file cannot be written.
    pub(crate) fn write(&self, path: &Path) -> Result<(), String> {
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
    /// format or version.
    pub(crate) fn read(path: &Path) -> Result<PlanFile, String> {
        let text = std::fs::read(path)
            .map_err(|e| format!("cannot read the plan {}: {e}", path.display()))?;
        let value: serde_json::Value = serde_json::from_slice(&text).map_err(|e| {
            format!(
                "{} is not a plan ghpkg can read: {e}; it may be cut short. Make a new one \
                 with `ghpkg prune ... --plan-out`",
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
                    "{} is a version {v} plan; this ghpkg reads version {VERSION}. Make a new \
                     plan with this ghpkg",
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
    use super::*;

    fn plan() -> PlanFile {
        let item = |id: i64, action: Action, created_at: &str| PlanItem {
            id,
            name: format!("sha256:{id:064x}"),
            tags: vec![],
            created_at: created_at.into(),
            action,
            reason: "delete: untagged".into(),
            subject: None,
        };
        PlanFile {
            format: FORMAT.into(),
            version: VERSION,
            created_at: "2026-12-01T03:00:00Z".parse().unwrap(),
            api_url: "https://api.github.com".into(),
            owner: OwnerRef::of(&Scope::org("acme"), None),
            package_type: PackageType::Container,
            policy: vec!["--untagged".into()],
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
        let ids: Vec<i64> = read.packages[0]
            .deletions()
            .unwrap()
            .iter()
            .map(|v| v.id)
            .collect();
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
        other["version"] = 2.into();
        std::fs::write(&path, other.to_string()).unwrap();
        assert!(
            PlanFile::read(&path)
                .unwrap_err()
                .contains("version 2 plan")
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
