//! Compares the operations of two cuts: operations added or removed, and per operation
//! the parameters and answer fields that changed. Decides what is breaking; the wording
//! belongs to report.rs.

use crate::operations::{Operation, OperationName};
use crate::shape::{Field, Fields};
use std::collections::{BTreeMap, BTreeSet};

/// What changed between two descriptions of the same operations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Drift {
    pub(crate) before: usize,
    pub(crate) after: usize,
    pub(crate) added: Vec<OperationName>,
    pub(crate) removed: Vec<OperationName>,
    /// Operations present in both, with what changed in each (only those with changes).
    pub(crate) changed: Vec<(OperationName, Vec<Change>)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Change {
    pub(crate) subject: Subject,
    pub(crate) kind: Kind,
}

/// What a change is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Subject {
    /// The operation's id, which names the generated method.
    OperationId,
    Parameter {
        place: String,
        name: String,
    },
    /// A whole answer, by status.
    Response {
        status: String,
    },
    /// One field of an answer's body; the empty path is the body itself.
    Field {
        status: String,
        path: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Kind {
    /// With what was added, for a parameter or a field.
    Added(Option<Field>),
    Removed,
    Renamed {
        old: String,
        new: String,
    },
    Type {
        old: String,
        new: String,
    },
    /// Now nullable (`true`) or no longer (`false`).
    Nullable(bool),
    /// Now required (`true`) or now optional (`false`).
    Required(bool),
    ValuesAdded(Vec<String>),
    ValuesRemoved(Vec<String>),
    /// The list of allowed values is gone: any value of the type is possible.
    EnumDropped,
    /// Only the listed values are allowed where any value was.
    EnumIntroduced(Vec<String>),
}

impl Change {
    /// Whether code written against the old description can fail against the new one.
    /// Removing anything and changing a type always can. Otherwise the direction
    /// decides: a request that accepts less (a new required parameter, fewer enum values)
    /// breaks callers, and an answer that may carry more (a new enum value, `null`, a
    /// missing field) breaks the types that read it. The reverse of each is harmless.
    /// A renamed operation id renames the generated method, and losing a success status
    /// changes what the operation returns; losing an error status does neither.
    pub(crate) fn is_breaking(&self) -> bool {
        let request = matches!(self.subject, Subject::Parameter { .. });
        match (&self.subject, &self.kind) {
            (Subject::OperationId, _) => true,
            (Subject::Response { status }, Kind::Removed) => status.starts_with('2'),
            (Subject::Response { .. }, _) => false,
            (_, Kind::Removed | Kind::Type { .. } | Kind::Renamed { .. }) => true,
            (_, Kind::Added(field)) => request && field.as_ref().is_some_and(|f| f.required),
            (_, kind) => kind.widens() != request,
        }
    }
}

impl Kind {
    /// Whether more values are possible than before.
    fn widens(&self) -> bool {
        match self {
            Kind::Nullable(now) => *now,
            Kind::Required(now) => !now,
            Kind::ValuesAdded(_) | Kind::EnumDropped => true,
            _ => false,
        }
    }
}

impl Drift {
    pub(crate) fn changes(&self) -> impl Iterator<Item = &Change> {
        self.changed.iter().flat_map(|(_, changes)| changes)
    }

    /// Removed operations count as breaking, added ones as not.
    pub(crate) fn breaking(&self) -> usize {
        self.removed.len() + self.changes().filter(|c| c.is_breaking()).count()
    }

    pub(crate) fn other(&self) -> usize {
        self.added.len() + self.changes().filter(|c| !c.is_breaking()).count()
    }
}

/// Operations are matched by method and path; an operation whose path changed shows as
/// one removed and one added.
pub(crate) fn compare(old: &[Operation], new: &[Operation]) -> Drift {
    let find = |list: &[Operation], key: &str| -> Option<usize> {
        list.iter().position(|op| op.name.key() == key)
    };
    let mut drift = Drift {
        before: old.len(),
        after: new.len(),
        added: Vec::new(),
        removed: Vec::new(),
        changed: Vec::new(),
    };
    for before in old {
        match find(new, &before.name.key()) {
            None => drift.removed.push(before.name.clone()),
            Some(index) => {
                let changes = operation_changes(before, &new[index]);
                if !changes.is_empty() {
                    drift.changed.push((new[index].name.clone(), changes));
                }
            }
        }
    }
    for after in new {
        if find(old, &after.name.key()).is_none() {
            drift.added.push(after.name.clone());
        }
    }
    drift
}

fn operation_changes(old: &Operation, new: &Operation) -> Vec<Change> {
    let mut changes = Vec::new();
    if old.name.id != new.name.id {
        let id = |id: &Option<String>| id.clone().unwrap_or_else(|| "(none)".to_owned());
        changes.push(Change {
            subject: Subject::OperationId,
            kind: Kind::Renamed {
                old: id(&old.name.id),
                new: id(&new.name.id),
            },
        });
    }
    for ((place, name), kind) in keyed_changes(&old.parameters, &new.parameters) {
        let subject = Subject::Parameter {
            place: place.clone(),
            name: name.clone(),
        };
        changes.push(Change { subject, kind });
    }
    for status in union(&old.responses, &new.responses) {
        match (old.responses.get(status), new.responses.get(status)) {
            (Some(before), Some(after)) => {
                for (path, kind) in body_changes(before, after) {
                    let subject = Subject::Field {
                        status: status.clone(),
                        path: path.clone(),
                    };
                    changes.push(Change { subject, kind });
                }
            }
            (before, _) => {
                let kind = if before.is_some() {
                    Kind::Removed
                } else {
                    Kind::Added(None)
                };
                let status = status.clone();
                changes.push(Change {
                    subject: Subject::Response { status },
                    kind,
                });
            }
        }
    }
    changes
}

/// Compares two keyed sets of fields (parameters, or body fields by path). An entry
/// present on one side only is one `Added` or `Removed`; the rest compare field by field.
fn keyed_changes<'a, K: Ord>(
    old: &'a BTreeMap<K, Field>,
    new: &'a BTreeMap<K, Field>,
) -> Vec<(&'a K, Kind)> {
    let mut out = Vec::new();
    for key in union(old, new) {
        match (old.get(key), new.get(key)) {
            (Some(before), Some(after)) => {
                out.extend(field_changes(before, after).into_iter().map(|k| (key, k)));
            }
            (Some(_), None) => out.push((key, Kind::Removed)),
            (None, after) => out.push((key, Kind::Added(after.cloned()))),
        }
    }
    out
}

fn union<'a, K: Ord, V>(a: &'a BTreeMap<K, V>, b: &'a BTreeMap<K, V>) -> BTreeSet<&'a K> {
    a.keys().chain(b.keys()).collect()
}

fn field_changes(old: &Field, new: &Field) -> Vec<Kind> {
    let mut kinds = Vec::new();
    if old.ty != new.ty {
        kinds.push(Kind::Type {
            old: old.ty.clone(),
            new: new.ty.clone(),
        });
    }
    if old.nullable != new.nullable {
        kinds.push(Kind::Nullable(new.nullable));
    }
    if old.required != new.required {
        kinds.push(Kind::Required(new.required));
    }
    match (&old.values, &new.values) {
        (Some(before), Some(after)) => {
            let missing = |from: &[String], within: &[String]| -> Vec<String> {
                from.iter()
                    .filter(|v| !within.contains(v))
                    .cloned()
                    .collect()
            };
            let added = missing(after, before);
            let removed = missing(before, after);
            if !added.is_empty() {
                kinds.push(Kind::ValuesAdded(added));
            }
            if !removed.is_empty() {
                kinds.push(Kind::ValuesRemoved(removed));
            }
        }
        (Some(_), None) => kinds.push(Kind::EnumDropped),
        (None, Some(after)) => kinds.push(Kind::EnumIntroduced(after.clone())),
        (None, None) => {}
    }
    kinds
}

/// The changes of one answer body, each reported where it starts: under a field that
/// was added, removed or changed type, its children are not listed again.
fn body_changes<'a>(old: &'a Fields, new: &'a Fields) -> Vec<(&'a String, Kind)> {
    let changes = keyed_changes(old, new);
    let outer: BTreeSet<&str> = changes
        .iter()
        .filter(|(_, kind)| matches!(kind, Kind::Added(_) | Kind::Removed | Kind::Type { .. }))
        .map(|(path, _)| path.as_str())
        .collect();
    changes
        .into_iter()
        .filter(|(path, _)| !ancestors(path).any(|a| outer.contains(a)))
        .collect()
}

/// `a.b.c` has the ancestors `a.b`, `a` and the body itself, ``.
fn ancestors(path: &str) -> impl Iterator<Item = &str> {
    path.rmatch_indices('.')
        .map(|(end, _)| &path[..end])
        .chain((!path.is_empty()).then_some(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(subject: Subject, kind: Kind) -> bool {
        Change { subject, kind }.is_breaking()
    }

    fn parameter() -> Subject {
        Subject::Parameter {
            place: "query".into(),
            name: "page".into(),
        }
    }

    fn field() -> Subject {
        Subject::Field {
            status: "200".into(),
            path: "id".into(),
        }
    }

    fn added(required: bool) -> Kind {
        Kind::Added(Some(Field {
            ty: "string".into(),
            nullable: false,
            required,
            values: None,
        }))
    }

    #[test]
    fn requests_break_when_narrowed_answers_when_widened() {
        let values = || vec!["\"x\"".to_owned()];
        let type_change = || Kind::Type {
            old: "integer".into(),
            new: "string".into(),
        };
        // (kind, breaking for a parameter, breaking for an answer field)
        let table = [
            (Kind::Removed, true, true),
            (type_change(), true, true),
            (added(false), false, false),
            (added(true), true, false),
            (Kind::Required(true), true, false),
            (Kind::Required(false), false, true),
            (Kind::Nullable(true), false, true),
            (Kind::Nullable(false), true, false),
            (Kind::ValuesAdded(values()), false, true),
            (Kind::ValuesRemoved(values()), true, false),
            (Kind::EnumDropped, false, true),
            (Kind::EnumIntroduced(values()), true, false),
        ];
        for (kind, for_parameter, for_field) in table {
            assert_eq!(
                change(parameter(), kind.clone()),
                for_parameter,
                "parameter {kind:?}"
            );
            assert_eq!(change(field(), kind.clone()), for_field, "field {kind:?}");
        }
    }

    #[test]
    fn answers_and_operation_ids() {
        let response = |status: &str| Subject::Response {
            status: status.into(),
        };
        assert!(change(response("204"), Kind::Removed));
        assert!(!change(response("404"), Kind::Removed));
        assert!(!change(response("200"), Kind::Added(None)));
        let renamed = Kind::Renamed {
            old: "a".into(),
            new: "b".into(),
        };
        assert!(change(Subject::OperationId, renamed));
    }

    #[test]
    fn ancestors_run_up_to_the_body() {
        assert_eq!(
            ancestors("items.a.b").collect::<Vec<_>>(),
            ["items.a", "items", ""]
        );
        assert_eq!(ancestors("").count(), 0);
    }
}
