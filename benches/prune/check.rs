//! Judges one dry run before its time counts: ghpkg must exit 0 with a plan
//! that keeps every index and every child of a kept index, keeps the newest
//! `KEEP_LAST`, deletes every other orphan, and must have read every index's
//! manifest. A run that did less work than that is refused, not timed.

use std::collections::HashMap;
use std::process::Output;

use serde_json::Value;

use crate::fixture::{INDEXES, KEEP_LAST, PAGES, Role, VERSIONS, Version};
use crate::server::Counters;

/// What a correct plan holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Planned {
    pub(crate) kept: usize,
    pub(crate) deleted: usize,
}

/// Checks ghpkg's `--json` report of a dry run and what the server saw.
pub(crate) fn dry_run(
    output: &Output,
    versions: &[Version],
    counters: &Counters,
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
    let plan = plan_by_id(&report)?;
    let mut wrong = Vec::new();
    for version in versions {
        let (action, reason) = plan
            .get(&version.id)
            .ok_or_else(|| format!("version {} is missing from the plan", version.id))?;
        if let Some(expected) = expected(version, versions, action, reason) {
            wrong.push(format!(
                "version {} ({:?}, rank {}): {action} `{reason}`, expected {expected}",
                version.id, version.role, version.rank
            ));
        }
    }
    if !wrong.is_empty() {
        return Err(format!(
            "{} versions planned wrongly, the first: {}",
            wrong.len(),
            wrong[..wrong.len().min(3)].join("; ")
        ));
    }
    let unread = versions
        .iter()
        .filter(|v| v.role == Role::Index && !counters.reads_by_digest.contains_key(&v.digest))
        .count();
    if unread > 0 || counters.api_requests < PAGES {
        return Err(format!(
            "the server saw {} listing requests ({PAGES} pages) and {unread} of the \
             {INDEXES} indexes were never read",
            counters.api_requests
        ));
    }
    let deleted = plan.values().filter(|(a, _)| a == "delete").count();
    Ok(Planned {
        kept: VERSIONS - deleted,
        deleted,
    })
}

/// The plan's action and reason for every version id, each id once.
fn plan_by_id(report: &Value) -> Result<HashMap<i64, (String, String)>, String> {
    let entries = report["plan"]
        .as_array()
        .ok_or("the report has no `plan` array")?;
    let mut plan = HashMap::new();
    for entry in entries {
        let id = entry["id"].as_i64().ok_or("a plan entry without an id")?;
        let field = |name: &str| entry[name].as_str().unwrap_or_default().to_owned();
        if plan
            .insert(id, (field("action"), field("reason")))
            .is_some()
        {
            return Err(format!("version {id} is in the plan twice"));
        }
    }
    if plan.len() != VERSIONS {
        return Err(format!(
            "the plan has {} versions, the package {VERSIONS}",
            plan.len()
        ));
    }
    Ok(plan)
}

/// What the plan should say of `version` when it says something else.
fn expected(version: &Version, versions: &[Version], action: &str, reason: &str) -> Option<String> {
    if version.rank < KEEP_LAST {
        let ok = action == "keep" && reason.contains("most recent");
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
            // ghpkg names the parent by its first 12 hex digits.
            let named = format!("kept: {what} of {}", &parent[..19]);
            let ok = action == "keep" && reason.starts_with(&named);
            (!ok).then(|| format!("`{named}…`"))
        }
    }
}
