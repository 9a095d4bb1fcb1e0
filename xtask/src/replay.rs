//! Replays `spec/patches.json` on a fresh cut one entry at a time, in order, as
//! `cargo xtask spec` does, and judges each entry: does it still apply, and does it
//! still change anything? An entry whose defect upstream has fixed becomes a no-op.

use crate::operations;
use crate::patch::{self, Patch};
use serde_json::Value;
use std::collections::BTreeSet;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Applies and changes the description. `unchanged` of its `changes` non-`test`
    /// operations already found what they would write, so upstream has that part.
    Needed { changes: usize, unchanged: usize },
    /// Applies and changes nothing: the defect is gone from the new description.
    NoOp,
    /// Applies, but adds parameters that upstream now declares itself (`GET /path query
    /// page`), so the patched description would declare them twice.
    Duplicates(Vec<String>),
    /// Stops at an operation, named in the message.
    Fails(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Judged {
    pub(crate) id: String,
    pub(crate) verdict: Verdict,
}

/// Judges every entry against the cut as patched by the entries before it. An entry that
/// fails is left out and the replay goes on, so one stale entry does not hide the state
/// of the others; an entry that depends on it then fails too, and says where.
pub(crate) fn replay(cut: &Value, patches: &[Patch]) -> Vec<Judged> {
    let mut doc = cut.clone();
    patches
        .iter()
        .map(|entry| {
            let verdict = match judge(&doc, entry) {
                Ok((verdict, patched)) => {
                    doc = patched;
                    verdict
                }
                Err(message) => Verdict::Fails(message),
            };
            Judged {
                id: entry.id.clone(),
                verdict,
            }
        })
        .collect()
}

fn judge(doc: &Value, entry: &Patch) -> Result<(Verdict, Value), String> {
    let mut patched = doc.clone();
    let (mut changes, mut unchanged) = (0, 0);
    for (index, op) in entry.ops.iter().enumerate() {
        let before = (!op.is_test()).then(|| patched.clone());
        patch::apply_op(&mut patched, op).map_err(|e| patch::op_failure(index, op, &e))?;
        if let Some(before) = before {
            changes += 1;
            if patch::json_eq(&before, &patched) {
                unchanged += 1;
            }
        }
    }
    let known = duplicate_parameters(doc);
    let duplicates: Vec<String> = duplicate_parameters(&patched)
        .into_iter()
        .filter(|d| !known.contains(d))
        .collect();
    let verdict = if !duplicates.is_empty() {
        Verdict::Duplicates(duplicates)
    } else if patch::json_eq(doc, &patched) {
        Verdict::NoOp
    } else {
        Verdict::Needed { changes, unchanged }
    };
    Ok((verdict, patched))
}

fn duplicate_parameters(doc: &Value) -> BTreeSet<String> {
    operations::operations(doc)
        .iter()
        .flat_map(|op| {
            op.duplicates
                .iter()
                .map(|(place, name)| format!("{} {place} {name}", op.name.key()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entries(value: Value) -> Vec<Patch> {
        patch::parse_patches(&value).unwrap()
    }

    fn verdicts(cut: &Value, value: Value) -> Vec<(String, Verdict)> {
        replay(cut, &entries(value))
            .into_iter()
            .map(|j| (j.id, j.verdict))
            .collect()
    }

    fn cut() -> Value {
        json!({"paths": {"/x": {"get": {
            "parameters": [{"name": "page", "in": "query", "schema": {"type": "integer"}}],
            "responses": {"200": {"description": "OK"}}
        }}}, "components": {"schemas": {"a": {"type": "string", "required": ["tags"]}}}})
    }

    #[test]
    fn each_state_of_an_entry() {
        let judged = verdicts(
            &cut(),
            json!([
                {"id": "needed", "reason": "r", "ops": [
                    {"op": "test", "path": "/components/schemas/a/required", "value": ["tags"]},
                    {"op": "remove", "path": "/components/schemas/a/required"}
                ]},
                {"id": "no-op", "reason": "r", "ops": [
                    {"op": "add", "path": "/components/schemas/a/type", "value": "string"}
                ]},
                {"id": "stale", "reason": "r", "ops": [
                    {"op": "test", "path": "/components/schemas/a/type", "value": "integer"},
                    {"op": "replace", "path": "/components/schemas/a/type", "value": "number"}
                ]},
                {"id": "partly", "reason": "r", "ops": [
                    {"op": "add", "path": "/components/schemas/a/type", "value": "string"},
                    {"op": "add", "path": "/components/schemas/a/format", "value": "uri"}
                ]},
                {"id": "twice", "reason": "r", "ops": [
                    {"op": "add", "path": "/paths/~1x/get/parameters/-",
                     "value": {"name": "page", "in": "query"}}
                ]}
            ]),
        );
        assert_eq!(
            judged,
            [
                (
                    "needed".to_owned(),
                    Verdict::Needed {
                        changes: 1,
                        unchanged: 0
                    }
                ),
                ("no-op".to_owned(), Verdict::NoOp),
                (
                    "stale".to_owned(),
                    Verdict::Fails(
                        "op 0 (test /components/schemas/a/type): test failed: expected \"integer\", found \"string\"".to_owned()
                    )
                ),
                (
                    "partly".to_owned(),
                    Verdict::Needed {
                        changes: 2,
                        unchanged: 1
                    }
                ),
                (
                    "twice".to_owned(),
                    Verdict::Duplicates(vec!["GET /x query page".to_owned()])
                ),
            ]
        );
    }

    #[test]
    fn a_failed_entry_is_skipped_and_its_dependents_fail_too() {
        let judged = verdicts(
            &cut(),
            json!([
                {"id": "adds-b", "reason": "r", "ops": [
                    {"op": "test", "path": "/components/schemas/a/type", "value": "integer"},
                    {"op": "add", "path": "/components/schemas/b", "value": {"type": "string"}}
                ]},
                {"id": "uses-b", "reason": "r", "ops": [
                    {"op": "replace", "path": "/components/schemas/b/type", "value": "integer"}
                ]},
                {"id": "other", "reason": "r", "ops": [
                    {"op": "remove", "path": "/components/schemas/a/required"}
                ]}
            ]),
        );
        assert!(matches!(judged[0].1, Verdict::Fails(_)));
        assert_eq!(
            judged[1].1,
            Verdict::Fails(
                "op 0 (replace /components/schemas/b/type): no value at /components/schemas/b"
                    .to_owned()
            )
        );
        assert_eq!(
            judged[2].1,
            Verdict::Needed {
                changes: 1,
                unchanged: 0
            }
        );
    }
}
