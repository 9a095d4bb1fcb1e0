//! Flattens a schema into the fields a client reads, one entry per JSON path such as
//! `items.metadata.container.tags`, with every `$ref` followed. Two descriptions are then
//! compared field by field, whatever their components are called.

use serde_json::Value;
use std::collections::BTreeMap;

/// What a client can rely on about one value in a request or an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Field {
    /// `string`, `integer(int64)`, `array`, `object`, `oneOf(string|integer)`, `any`, ...;
    /// the format is part of the type because it picks the generated Rust type.
    pub(crate) ty: String,
    pub(crate) nullable: bool,
    pub(crate) required: bool,
    /// The allowed values as JSON text, when the schema has an `enum`.
    pub(crate) values: Option<Vec<String>>,
}

/// Fields by path; the schema itself is the empty path.
pub(crate) type Fields = BTreeMap<String, Field>;

/// Every field of `schema`, which belongs to the description `doc` (for `$ref`s).
pub(crate) fn fields(doc: &Value, schema: &Value) -> Fields {
    let mut walker = Walker {
        doc,
        out: Fields::new(),
        entered: Vec::new(),
    };
    walker.walk(schema, "", true, true);
    walker.out
}

/// The field that `schema` itself describes, children ignored.
pub(crate) fn field(doc: &Value, schema: &Value, required: bool) -> Field {
    let mut field = fields(doc, schema)
        .remove("")
        .unwrap_or_else(|| opaque("any".to_owned(), required));
    field.required = required;
    field
}

/// Follows a chain of `$ref`s to the schema (or parameter, or response) it names.
/// Gives up after a few hops, so a reference cycle ends as a dangling reference.
pub(crate) fn resolve<'a>(doc: &'a Value, mut value: &'a Value) -> Result<&'a Value, String> {
    for _ in 0..16 {
        let Some(target) = value.get("$ref").and_then(Value::as_str) else {
            return Ok(value);
        };
        value = lookup(doc, target).ok_or_else(|| target.to_owned())?;
    }
    Err("a cycle of `$ref`s".to_owned())
}

fn lookup<'a>(doc: &'a Value, target: &str) -> Option<&'a Value> {
    doc.pointer(target.strip_prefix('#')?)
}

struct Walker<'a> {
    doc: &'a Value,
    out: Fields,
    /// The references being expanded, so a recursive schema stops instead of looping.
    entered: Vec<&'a str>,
}

impl<'a> Walker<'a> {
    /// Records `schema` at `path` (unless `record` is false: the members of an `allOf`
    /// or `oneOf` add their children to the composite's path, not themselves), then
    /// its children.
    fn walk(&mut self, mut schema: &'a Value, path: &str, required: bool, record: bool) {
        let depth = self.entered.len();
        while let Some(target) = schema.get("$ref").and_then(Value::as_str) {
            let problem = if self.entered.contains(&target) {
                Some(format!("recursive {target}"))
            } else {
                self.entered.push(target);
                match lookup(self.doc, target) {
                    Some(found) => {
                        schema = found;
                        None
                    }
                    None => Some(format!("unresolved {target}")),
                }
            };
            if let Some(ty) = problem {
                if record {
                    self.record(path, opaque(ty, required));
                }
                self.entered.truncate(depth);
                return;
            }
        }
        if record {
            let field = Field {
                ty: type_of(self.doc, schema, 0),
                nullable: nullable(self.doc, schema),
                required,
                values: schema
                    .get("enum")
                    .and_then(Value::as_array)
                    .map(|values| values.iter().map(Value::to_string).collect()),
            };
            self.record(path, field);
        }
        if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
            let required_names = schema.get("required").and_then(Value::as_array);
            for (name, child) in properties {
                let required = required_names
                    .is_some_and(|names| names.iter().any(|n| n.as_str() == Some(name)));
                self.walk(child, &join(path, name), required, true);
            }
        }
        if let Some(items) = schema.get("items") {
            self.walk(items, &join(path, "items"), true, true);
        }
        if let Some(more @ Value::Object(_)) = schema.get("additionalProperties") {
            self.walk(more, &join(path, "*"), false, true);
        }
        for (_, members) in composition(schema) {
            for member in members {
                self.walk(member, path, required, false);
            }
        }
        self.entered.truncate(depth);
    }

    /// The first description of a path wins: when two `oneOf` members both define a
    /// property, the report should not flip between them.
    fn record(&mut self, path: &str, field: Field) {
        self.out.entry(path.to_owned()).or_insert(field);
    }
}

fn opaque(ty: String, required: bool) -> Field {
    Field {
        ty,
        nullable: false,
        required,
        values: None,
    }
}

fn join(path: &str, segment: &str) -> String {
    if path.is_empty() {
        segment.to_owned()
    } else {
        format!("{path}.{segment}")
    }
}

fn composition(schema: &Value) -> impl Iterator<Item = (&'static str, &Vec<Value>)> {
    ["allOf", "oneOf", "anyOf"]
        .into_iter()
        .filter_map(|keyword| Some((keyword, schema.get(keyword)?.as_array()?)))
}

/// The type of `schema` in one word; compositions name their members' types. `depth`
/// bounds how far nested compositions are spelled out.
fn type_of(doc: &Value, schema: &Value, depth: usize) -> String {
    let base = match schema.get("type") {
        Some(Value::String(ty)) => ty.clone(),
        // OpenAPI 3.1 spells nullability as a `null` member of a type list.
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(Value::as_str)
            .filter(|ty| *ty != "null")
            .collect::<Vec<_>>()
            .join("|"),
        _ if schema.get("properties").is_some() => "object".to_owned(),
        _ if schema.get("items").is_some() => "array".to_owned(),
        _ => match composition(schema).next() {
            Some(_) if depth > 4 => "composite".to_owned(),
            Some((keyword, members)) => {
                let mut types: Vec<String> = members
                    .iter()
                    .map(|member| match resolve(doc, member) {
                        Ok(member) => type_of(doc, member, depth + 1),
                        Err(target) => format!("unresolved {target}"),
                    })
                    .collect();
                types.dedup();
                // `allOf: [{$ref}]`, often used to hang a description or `nullable`
                // on a reference, is the referenced type, not a change of type.
                if types.len() == 1 && (keyword == "allOf" || members.len() == 1) {
                    types.remove(0)
                } else {
                    format!("{keyword}({})", types.join("|"))
                }
            }
            None => "any".to_owned(),
        },
    };
    match schema.get("format").and_then(Value::as_str) {
        Some(format) => format!("{base}({format})"),
        None => base,
    }
}

fn nullable(doc: &Value, schema: &Value) -> bool {
    let own = schema.get("nullable") == Some(&Value::Bool(true))
        || schema
            .get("type")
            .and_then(Value::as_array)
            .is_some_and(|types| types.iter().any(|t| t == "null"));
    own || ["oneOf", "anyOf"].iter().any(|keyword| {
        schema
            .get(keyword)
            .and_then(Value::as_array)
            .is_some_and(|members| {
                members.iter().any(|member| {
                    resolve(doc, member).is_ok_and(|m| {
                        m.get("type") == Some(&Value::String("null".into()))
                            || m.get("nullable") == Some(&Value::Bool(true))
                    })
                })
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn summary(fields: &Fields) -> Vec<String> {
        fields
            .iter()
            .map(|(path, f)| {
                let mut line = format!("{path}: {}", f.ty);
                if f.nullable {
                    line.push_str(" nullable");
                }
                if f.required {
                    line.push_str(" required");
                }
                if let Some(values) = &f.values {
                    line.push_str(&format!(" {}", values.join(",")));
                }
                line
            })
            .collect()
    }

    #[test]
    fn follows_refs_through_arrays_and_objects() {
        let doc = json!({"components": {"schemas": {
            "pkg": {"type": "object", "required": ["id"], "properties": {
                "id": {"type": "integer", "format": "int64"},
                "owner": {"$ref": "#/components/schemas/user"},
                "meta": {"type": "object", "properties": {
                    "tags": {"type": "array", "items": {"type": "string"}}
                }},
                "kind": {"type": "string", "enum": ["npm", "maven"]},
                "extra": {"type": "object", "additionalProperties": {"type": "boolean"}}
            }},
            "user": {"type": "object", "nullable": true, "properties": {"login": {"type": "string"}}}
        }}});
        let schema = json!({"type": "array", "items": {"$ref": "#/components/schemas/pkg"}});
        assert_eq!(
            summary(&fields(&doc, &schema)),
            [
                ": array required",
                "items: object required",
                "items.extra: object",
                "items.extra.*: boolean",
                "items.id: integer(int64) required",
                "items.kind: string \"npm\",\"maven\"",
                "items.meta: object",
                "items.meta.tags: array",
                "items.meta.tags.items: string required",
                "items.owner: object nullable",
                "items.owner.login: string",
            ]
        );
    }

    #[test]
    fn recursion_and_dangling_refs_end_the_walk() {
        let doc = json!({"components": {"schemas": {
            "node": {"type": "object", "properties": {
                "child": {"$ref": "#/components/schemas/node"},
                "gone": {"$ref": "#/components/schemas/missing"}
            }}
        }}});
        let schema = json!({"$ref": "#/components/schemas/node"});
        assert_eq!(
            summary(&fields(&doc, &schema)),
            [
                ": object required",
                "child: recursive #/components/schemas/node",
                "gone: unresolved #/components/schemas/missing",
            ]
        );
    }

    #[test]
    fn compositions_merge_their_members_children() {
        let doc = json!({"components": {"schemas": {
            "base": {"type": "object", "properties": {"id": {"type": "integer"}}}
        }}});
        let wrapped = json!({"allOf": [{"$ref": "#/components/schemas/base"}], "nullable": true});
        assert_eq!(
            summary(&fields(&doc, &wrapped)),
            [": object nullable required", "id: integer"]
        );
        let either = json!({"oneOf": [{"type": "string"}, {"type": "integer"}, {"type": "null"}]});
        assert_eq!(
            summary(&fields(&doc, &either)),
            [": oneOf(string|integer|null) nullable required"]
        );
        let listed = json!({"type": ["string", "null"]});
        assert_eq!(
            summary(&fields(&doc, &listed)),
            [": string nullable required"]
        );
    }
}
