//! Cuts the `packages` slice out of GitHub's full OpenAPI description (the copy that
//! `@octokit/openapi` republishes, provenance in the SOURCE.md beside it): the tagged
//! operations plus every component they reach, with Octokit's additions taken back out.

use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};

pub(crate) const TAG: &str = "packages";

/// Path-item keys that hold operations; anything else on a path item (`parameters`,
/// `summary`, `servers`, ...) applies to all of its operations and is kept.
pub(crate) const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Top-level members carried over as they are (tags, paths and components are filtered).
const KEPT_AS_IS: [&str; 4] = ["openapi", "info", "servers", "externalDocs"];

/// `@octokit/openapi` rewrites these `info` fields; the fragment carries GitHub's own.
const INFO_RESETS: [(&str, &str); 3] = [
    ("title", "GitHub v3 REST API"),
    ("description", "GitHub's v3 REST API."),
    ("version", "1.1.4"),
];
const CONTACT_URL: &str = "https://support.github.com/contact?tags=dotcom-rest-api";

/// Builds the fragment. Member order follows upstream everywhere, including components
/// (upstream's section order, and upstream's order inside each section), so a re-cut of
/// an unchanged upstream is byte-identical and upstream changes show up as small diffs.
pub(crate) fn cut(upstream: &Value) -> Result<Value, String> {
    let root = upstream
        .as_object()
        .ok_or("the document is not a JSON object")?;
    if !root.get("openapi").is_some_and(Value::is_string) {
        return Err("no `openapi` version string; is this an OpenAPI description?".into());
    }
    let paths = root
        .get("paths")
        .and_then(Value::as_object)
        .ok_or("no `paths` object")?;

    let mut out = Map::new();
    for (key, value) in root {
        match key.as_str() {
            "info" => {
                out.insert(key.clone(), reset_info(value)?);
            }
            k if KEPT_AS_IS.contains(&k) => {
                out.insert(key.clone(), value.clone());
            }
            "tags" => {
                out.insert(key.clone(), packages_tag(value)?);
            }
            "paths" => {
                out.insert(key.clone(), Value::Object(packages_paths(paths)?));
            }
            // Placeholder so components land at upstream's position once they are known.
            "components" => {
                out.insert(key.clone(), Value::Object(Map::new()));
            }
            _ => {}
        }
    }
    let mut out = Value::Object(out);
    strip_x_octokit(&mut out);

    let components = reachable_components(&out, root.get("components"))?;
    let out_map = out.as_object_mut().expect("built as an object");
    if components.is_empty() {
        out_map.shift_remove("components");
    } else {
        out_map.insert("components".into(), Value::Object(components));
    }
    Ok(out)
}

fn reset_info(info: &Value) -> Result<Value, String> {
    let mut info = info.clone();
    let map = info.as_object_mut().ok_or("`info` is not an object")?;
    for (key, value) in INFO_RESETS {
        map.insert(key.into(), value.into());
    }
    let contact = map
        .entry("contact")
        .or_insert_with(|| Value::Object(Map::new()))
        .as_object_mut()
        .ok_or("`info.contact` is not an object")?;
    contact.insert("url".into(), CONTACT_URL.into());
    Ok(info)
}

fn packages_tag(tags: &Value) -> Result<Value, String> {
    let kept: Vec<Value> = tags
        .as_array()
        .ok_or("`tags` is not an array")?
        .iter()
        .filter(|tag| tag.get("name").and_then(Value::as_str) == Some(TAG))
        .cloned()
        .collect();
    if kept.is_empty() {
        return Err(format!("no `{TAG}` entry in `tags`"));
    }
    Ok(Value::Array(kept))
}

fn packages_paths(paths: &Map<String, Value>) -> Result<Map<String, Value>, String> {
    let mut kept = Map::new();
    for (path, item) in paths {
        let item = item
            .as_object()
            .ok_or_else(|| format!("path item `{path}` is not an object"))?;
        let is_method = |key: &str| METHODS.contains(&key);
        let tagged = |op: &Value| {
            op.get("tags")
                .and_then(Value::as_array)
                .is_some_and(|tags| tags.iter().any(|t| t.as_str() == Some(TAG)))
        };
        if !item.iter().any(|(k, op)| is_method(k) && tagged(op)) {
            continue;
        }
        let filtered: Map<String, Value> = item
            .iter()
            .filter(|(k, op)| !is_method(k) || tagged(op))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        kept.insert(path.clone(), Value::Object(filtered));
    }
    if kept.is_empty() {
        // Cutting the wrong file should fail loudly rather than produce an empty client.
        return Err(format!("no operation is tagged `{TAG}`"));
    }
    Ok(kept)
}

/// Removes every `x-octokit` member, wherever it sits. Upstream only has them on
/// operations today, but nothing Octokit-specific belongs in the fragment.
pub(crate) fn strip_x_octokit(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|key, _| key != "x-octokit");
            map.values_mut().for_each(strip_x_octokit);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_x_octokit),
        _ => {}
    }
}

/// Follows `$ref`s from what is kept to a fixed point, then lays the components out in
/// upstream order.
fn reachable_components(
    kept: &Value,
    upstream: Option<&Value>,
) -> Result<Map<String, Value>, String> {
    let empty = Map::new();
    let upstream = match upstream {
        Some(c) => c.as_object().ok_or("`components` is not an object")?,
        None => &empty,
    };
    let mut found: BTreeMap<(String, String), Value> = BTreeMap::new();
    let mut pending = refs_in(kept)?;
    while let Some((kind, name)) = pending.pop() {
        if found.contains_key(&(kind.clone(), name.clone())) {
            continue;
        }
        let mut component = upstream
            .get(&kind)
            .and_then(|section| section.get(&name))
            .ok_or_else(|| format!("`#/components/{kind}/{name}` is referenced but not defined"))?
            .clone();
        strip_x_octokit(&mut component);
        pending.extend(refs_in(&component)?);
        found.insert((kind, name), component);
    }

    let mut out = Map::new();
    for (kind, section) in upstream {
        let Some(section) = section.as_object() else {
            continue;
        };
        let mut kept_section = Map::new();
        for name in section.keys() {
            if let Some(component) = found.remove(&(kind.clone(), name.clone())) {
                kept_section.insert(name.clone(), component);
            }
        }
        if !kept_section.is_empty() {
            out.insert(kind.clone(), Value::Object(kept_section));
        }
    }
    Ok(out)
}

fn refs_in(value: &Value) -> Result<Vec<(String, String)>, String> {
    let mut refs = BTreeSet::new();
    collect_refs(value, &mut refs)?;
    Ok(refs.into_iter().collect())
}

/// Gathers `(kind, name)` for each `#/components/<kind>/<name>...` reference. Any other
/// reference form is an error: the fragment could not resolve it on its own.
fn collect_refs(value: &Value, refs: &mut BTreeSet<(String, String)>) -> Result<(), String> {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(target)) = map.get("$ref") {
                refs.insert(parse_component_ref(target)?);
            }
            for child in map.values() {
                collect_refs(child, refs)?;
            }
        }
        Value::Array(items) => {
            for child in items {
                collect_refs(child, refs)?;
            }
        }
        _ => {}
    }
    Ok(())
}

fn parse_component_ref(target: &str) -> Result<(String, String), String> {
    let unsupported =
        || format!("unsupported `$ref` `{target}` (only `#/components/<kind>/<name>`)");
    let pointer = target.strip_prefix('#').ok_or_else(unsupported)?;
    let pointer = crate::patch::Pointer::parse(pointer).map_err(|_| unsupported())?;
    match pointer.tokens() {
        [components, kind, name, ..] if components == "components" => {
            Ok((kind.clone(), name.clone()))
        }
        _ => Err(unsupported()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn upstream() -> Value {
        json!({
            "openapi": "3.0.3",
            "info": {
                "version": "23.0.2",
                "title": "Octokit's copy",
                "description": "rewritten",
                "license": {"name": "MIT"},
                "contact": {"name": "Support", "url": "https://github.com/octokit/openapi"}
            },
            "tags": [
                {"name": "actions", "description": "Actions"},
                {"name": "packages", "description": "Packages"}
            ],
            "servers": [{"url": "https://api.github.com"}],
            "externalDocs": {"url": "https://docs.github.com/rest"},
            "paths": {
                "/actions": {
                    "get": {"tags": ["actions"], "operationId": "actions/list",
                            "responses": {"200": {"$ref": "#/components/responses/unrelated"}}}
                },
                "/user/packages": {
                    "parameters": [{"$ref": "#/components/parameters/page"}],
                    "get": {
                        "tags": ["packages"],
                        "operationId": "packages/list",
                        "x-octokit": {"changes": [{"$ref": "#/components/schemas/unrelated"}]},
                        "responses": {"200": {"content": {"application/json": {
                            "schema": {"type": "array", "items": {"$ref": "#/components/schemas/package"}}
                        }}}}
                    },
                    "post": {"tags": ["actions"], "operationId": "not/ours",
                             "requestBody": {"$ref": "#/components/schemas/unrelated"}}
                }
            },
            "x-webhooks": {"package": {}},
            "components": {
                "schemas": {
                    "unrelated": {"type": "string"},
                    "owner": {"type": "object", "x-octokit": {"note": "drop me"}},
                    "package": {"type": "object", "properties": {
                        "owner": {"$ref": "#/components/schemas/owner"}
                    }}
                },
                "responses": {"unrelated": {"description": "no"}},
                "parameters": {"page": {"name": "page", "in": "query"}},
                "headers": {"link": {"schema": {"type": "string"}}}
            }
        })
    }

    #[test]
    fn keeps_tagged_operations_and_what_they_reach() {
        let fragment = cut(&upstream()).unwrap();
        let expected = json!({
            "openapi": "3.0.3",
            "info": {
                "version": "1.1.4",
                "title": "GitHub v3 REST API",
                "description": "GitHub's v3 REST API.",
                "license": {"name": "MIT"},
                "contact": {"name": "Support", "url": CONTACT_URL}
            },
            "tags": [{"name": "packages", "description": "Packages"}],
            "servers": [{"url": "https://api.github.com"}],
            "externalDocs": {"url": "https://docs.github.com/rest"},
            "paths": {
                "/user/packages": {
                    "parameters": [{"$ref": "#/components/parameters/page"}],
                    "get": {
                        "tags": ["packages"],
                        "operationId": "packages/list",
                        "responses": {"200": {"content": {"application/json": {
                            "schema": {"type": "array", "items": {"$ref": "#/components/schemas/package"}}
                        }}}}
                    }
                }
            },
            "components": {
                "schemas": {
                    "owner": {"type": "object"},
                    "package": {"type": "object", "properties": {
                        "owner": {"$ref": "#/components/schemas/owner"}
                    }}
                },
                "parameters": {"page": {"name": "page", "in": "query"}}
            }
        });
        // Compare text, not values: member order is part of what the cut must get right.
        assert_eq!(
            serde_json::to_string_pretty(&fragment).unwrap(),
            serde_json::to_string_pretty(&expected).unwrap()
        );
    }

    #[test]
    fn dangling_and_foreign_refs_are_errors() {
        let mut doc = upstream();
        doc["components"]["schemas"]
            .as_object_mut()
            .unwrap()
            .shift_remove("owner");
        let err = cut(&doc).unwrap_err();
        assert!(err.contains("#/components/schemas/owner"), "{err}");

        let mut doc = upstream();
        doc["components"]["schemas"]["owner"]["$ref"] = json!("other.json#/x");
        let err = cut(&doc).unwrap_err();
        assert!(err.contains("unsupported `$ref`"), "{err}");
    }

    #[test]
    fn refuses_documents_without_packages_operations() {
        let mut doc = upstream();
        doc["paths"]
            .as_object_mut()
            .unwrap()
            .shift_remove("/user/packages");
        assert!(cut(&doc).unwrap_err().contains("no operation is tagged"));
        assert!(cut(&json!({"paths": {}})).is_err());
    }

    #[test]
    fn component_refs_may_point_inside_a_component() {
        assert_eq!(
            parse_component_ref("#/components/schemas/a~1b/properties/c").unwrap(),
            ("schemas".to_owned(), "a/b".to_owned())
        );
        assert!(parse_component_ref("#/paths/~1user").is_err());
    }
}
