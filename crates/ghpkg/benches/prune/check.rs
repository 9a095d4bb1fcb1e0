//! Judges one dry run before its time counts: ghpkg must exit 0 with a plan
//! of every package asked for that keeps every index and every child of a
//! kept index, keeps the newest `KEEP_LAST`, deletes every other orphan; and,
//! without a manifest cache to answer, must have read every index's
//! manifest. A run that did less work than that is refused, not timed.

use std::collections::{HashMap, HashSet};
use std::process::Output;

use serde_json::Value;

use crate::fixture::{KEEP_LAST, Package, Role, Version};
use crate::server::Counters;

/// What a correct plan holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Planned {
    pub(crate) kept: usize,
    pub(crate) deleted: usize,
}

/// What `--keep-last N` counts, which changed between releases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeepCount {
    /// Every version (02f4ffd and before): the newest block, ranks
    /// `0..KEEP_LAST`, an index's children included.
    Versions,
    /// Images, not their parts (this tree): the children of a kept index use
    /// no slot, so the newest `KEEP_LAST` versions that are not children are
    /// kept: ranks 0, 4-9, 10, 14 and 15.
    Images,
}

/// Checks ghpkg's `--json` report of a dry run of `packages` (in this
/// order). Every plan must be right under one of `models` (the first that
/// fits).
pub(crate) fn dry_run(
    output: &Output,
    packages: &[Package],
    models: &[KeepCount],
) -> Result<Planned, String> {
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        return Err(format!("ghpkg exited with {}: {stderr}", output.status));
    }
    let report: Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("the --json report is not JSON ({e}); stderr: {stderr}"))?;
    if report["dry_run"] != Value::Bool(true) || !report["error"].is_null() {
        return Err(format!(
            "not a clean dry run: dry_run {}, error {}",
            report["dry_run"], report["error"]
        ));
    }
    let entries = plan_entries(&report, packages.len())?;
    let mut planned = Planned {
        kept: 0,
        deleted: 0,
    };
    for (package, entries) in packages.iter().zip(entries) {
        let plan = plan_by_id(entries, package)?;
        let mut misfits = Vec::new();
        let mut fits = false;
        for &model in models {
            let wrong = wrongly_planned(&plan, &package.versions, model)?;
            if wrong.is_empty() {
                fits = true;
                break;
            }
            misfits.push(format!(
                "{}: counting {model:?}, {} versions planned wrongly, the first: {}",
                package.name,
                wrong.len(),
                wrong[..wrong.len().min(3)].join("; ")
            ));
        }
        if !fits {
            return Err(misfits.join("; "));
        }
        let deleted = plan.values().filter(|(a, _)| a == "delete").count();
        planned.deleted += deleted;
        planned.kept += package.versions.len() - deleted;
    }
    Ok(planned)
}

/// Checks that the server saw every listing page and a read of every
/// index's manifest: what a run without a manifest cache must do.
pub(crate) fn read_everything(packages: &[Package], counters: &Counters) -> Result<(), String> {
    let pages: usize = packages.iter().map(Package::pages).sum();
    let unread = packages
        .iter()
        .flat_map(|p| &p.versions)
        .filter(|v| v.role == Role::Index && !counters.reads_by_digest.contains_key(&v.digest))
        .count();
    if unread > 0 || counters.api_requests < pages {
        return Err(format!(
            "the server saw {} listing requests ({pages} pages) and {unread} of the \
             {} indexes were never read",
            counters.api_requests,
            packages.iter().map(Package::indexes).sum::<usize>()
        ));
    }
    Ok(())
}

/// The plan entries of each package in the report: `packages[i].plan` in
/// the version-2 and version-3 documents of ghpkg (no package may have
/// failed), the top-level `plan` in the unversioned one of releases before.
fn plan_entries(report: &Value, expected: usize) -> Result<Vec<&Vec<Value>>, String> {
    match &report["version"] {
        Value::Null if expected == 1 => {
            Ok(vec![report["plan"].as_array().ok_or_else(|| {
                "the report has no `plan` array".to_owned()
            })?])
        }
        Value::Number(v) if matches!(v.as_u64(), Some(2 | 3)) => {
            let packages = report["packages"]
                .as_array()
                .ok_or("the report has no `packages` array")?;
            if packages.len() != expected {
                return Err(format!(
                    "the report has {} packages, expected {expected}",
                    packages.len()
                ));
            }
            packages
                .iter()
                .map(|package| {
                    if !package["error"].is_null() {
                        return Err(format!("a package failed: {}", package["error"]));
                    }
                    package["plan"]
                        .as_array()
                        .ok_or_else(|| "a package has no `plan` array".to_owned())
                })
                .collect()
        }
        other => Err(format!("unknown --json report version {other}")),
    }
}

/// The plan's action and reason for every version id, each id once. A
/// reason is the text of the version-2 document, or the code and the index
/// named (`code:index`) of the version-3 one.
fn plan_by_id(
    entries: &[Value],
    package: &Package,
) -> Result<HashMap<i64, (String, String)>, String> {
    let mut plan = HashMap::new();
    for entry in entries {
        let id = entry["id"].as_i64().ok_or("a plan entry without an id")?;
        let action = entry["action"].as_str().unwrap_or_default().to_owned();
        let reason = match &entry["reason"] {
            Value::String(text) => text.clone(),
            reason => format!(
                "{}:{}",
                reason["code"].as_str().unwrap_or_default(),
                reason["index"].as_str().unwrap_or_default()
            ),
        };
        if plan.insert(id, (action, reason)).is_some() {
            return Err(format!("version {id} is in the plan twice"));
        }
    }
    if plan.len() != package.versions.len() {
        return Err(format!(
            "the plan of {} has {} versions, the package {}",
            package.name,
            plan.len(),
            package.versions.len()
        ));
    }
    Ok(plan)
}

/// The versions `plan` decides otherwise than `model` says it should.
fn wrongly_planned(
    plan: &HashMap<i64, (String, String)>,
    versions: &[Version],
    model: KeepCount,
) -> Result<Vec<String>, String> {
    let counted = versions.iter().filter(|v| match model {
        KeepCount::Versions => true,
        // Every index is kept (tagged, and `--untagged`), so every child is
        // a part of a kept image.
        KeepCount::Images => v.parent_rank().is_none(),
    });
    let newest: HashSet<usize> = counted.take(KEEP_LAST).map(|v| v.rank).collect();
    let mut wrong = Vec::new();
    for version in versions {
        let (action, reason) = plan
            .get(&version.id)
            .ok_or_else(|| format!("version {} is missing from the plan", version.id))?;
        let in_count = newest.contains(&version.rank);
        if let Some(expected) = expected(version, versions, in_count, action, reason) {
            wrong.push(format!(
                "version {} ({:?}, rank {}): {action} `{reason}`, expected {expected}",
                version.id, version.role, version.rank
            ));
        }
    }
    Ok(wrong)
}

/// What the plan should say of `version` when it says something else;
/// `in_count` when it is one of the `KEEP_LAST` newest that the keep count
/// counts.
fn expected(
    version: &Version,
    versions: &[Version],
    in_count: bool,
    action: &str,
    reason: &str,
) -> Option<String> {
    if in_count {
        let ok = action == "keep"
            && (reason.contains("most recent") || reason.starts_with("keep_last:"));
        return (!ok).then(|| format!("keep as one of the {KEEP_LAST} most recent"));
    }
    match version.role {
        Role::Index => (action != "keep").then(|| "keep (tagged)".to_owned()),
        Role::Orphan => (action != "delete").then(|| "delete (untagged orphan)".to_owned()),
        Role::Platform(_) | Role::Attestation => {
            let what = match version.role {
                Role::Attestation => "attestation",
                _ => "platform image",
            };
            let parent = &versions[version.parent_rank()?].digest;
            // Version 2 names the parent by its first 12 hex digits.
            let named = format!("kept: {what} of {}", &parent[..19]);
            let coded = format!("part_of:{parent}");
            let ok = action == "keep" && (reason.starts_with(&named) || *reason == coded);
            (!ok).then(|| format!("`{named}…` or `{coded}`"))
        }
    }
}
