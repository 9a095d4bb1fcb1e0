//! Reads the operations of a cut as a client sees them: method and path, operation id,
//! parameters (path-level ones merged in, `$ref`s resolved) and, per status, the fields of
//! the answer's body.

use crate::cut::METHODS;
use crate::shape::{self, Field, Fields};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::fmt;

/// How an operation is named in the report: `GET /user/packages (packages/list-...)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OperationName {
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) id: Option<String>,
}

impl OperationName {
    /// Method and path: what identifies an operation across two descriptions.
    pub(crate) fn key(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

impl fmt::Display for OperationName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.id {
            Some(id) => write!(f, "{} ({id})", self.key()),
            None => f.write_str(&self.key()),
        }
    }
}

/// A parameter's identity: where it goes (`path`, `query`, `header`, `cookie`) and its name.
pub(crate) type ParameterKey = (String, String);

#[derive(Debug, Clone)]
pub(crate) struct Operation {
    pub(crate) name: OperationName,
    pub(crate) parameters: BTreeMap<ParameterKey, Field>,
    /// Parameters declared twice in the same list, which no generator accepts.
    pub(crate) duplicates: Vec<ParameterKey>,
    /// By status (`200`, `404`, `default`); a body-less answer has no fields at all.
    pub(crate) responses: BTreeMap<String, Fields>,
}

/// The operations of `doc`, in the description's order.
pub(crate) fn operations(doc: &Value) -> Vec<Operation> {
    let empty = Map::new();
    let paths = doc
        .get("paths")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let mut found = Vec::new();
    for (path, item) in paths {
        let Some(item) = item.as_object() else {
            continue;
        };
        for (method, operation) in item {
            if !METHODS.contains(&method.as_str()) {
                continue;
            }
            found.push(read(doc, path, method, item.get("parameters"), operation));
        }
    }
    found
}

fn read(
    doc: &Value,
    path: &str,
    method: &str,
    shared: Option<&Value>,
    operation: &Value,
) -> Operation {
    let mut parameters = BTreeMap::new();
    let mut duplicates = Vec::new();
    // Path-level parameters first, so an operation's own declaration replaces them, as
    // OpenAPI specifies; a repeat inside one list is a real duplicate.
    for list in [shared, operation.get("parameters")] {
        let mut seen = Vec::new();
        for parameter in list.and_then(Value::as_array).into_iter().flatten() {
            let (key, field) = parameter_field(doc, parameter);
            if seen.contains(&key) {
                duplicates.push(key.clone());
            }
            seen.push(key.clone());
            parameters.insert(key, field);
        }
    }
    let responses = operation
        .get("responses")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(status, response)| (status.clone(), body_fields(doc, response)))
        .collect();
    Operation {
        name: OperationName {
            method: method.to_ascii_uppercase(),
            path: path.to_owned(),
            id: operation
                .get("operationId")
                .and_then(Value::as_str)
                .map(str::to_owned),
        },
        parameters,
        duplicates,
        responses,
    }
}

fn parameter_field(doc: &Value, parameter: &Value) -> (ParameterKey, Field) {
    let parameter = match shape::resolve(doc, parameter) {
        Ok(parameter) => parameter,
        Err(target) => {
            let key = ("?".to_owned(), format!("unresolved {target}"));
            return (key, shape::field(doc, &Value::Null, false));
        }
    };
    let text = |key: &str| {
        parameter
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_owned()
    };
    let place = text("in");
    // Path parameters are always required, whatever the description says.
    let required = place == "path" || parameter.get("required") == Some(&Value::Bool(true));
    let schema = parameter.get("schema").unwrap_or(&Value::Null);
    ((place, text("name")), shape::field(doc, schema, required))
}

/// The fields of an answer's JSON body. Only one media type is read: `application/json`
/// when present (every packages operation uses it), else the first one listed.
fn body_fields(doc: &Value, response: &Value) -> Fields {
    let Ok(response) = shape::resolve(doc, response) else {
        return Fields::new();
    };
    let Some(content) = response.get("content").and_then(Value::as_object) else {
        return Fields::new();
    };
    let media = content
        .get("application/json")
        .or_else(|| content.values().next());
    match media.and_then(|media| media.get("schema")) {
        Some(schema) => shape::fields(doc, schema),
        None => Fields::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_parameters_responses_and_duplicates() {
        let doc = json!({
            "paths": {"/orgs/{org}/packages": {
                "parameters": [{"$ref": "#/components/parameters/org"}],
                "summary": "not an operation",
                "get": {
                    "operationId": "packages/list",
                    "parameters": [
                        {"name": "org", "in": "path", "schema": {"type": "integer"}},
                        {"name": "page", "in": "query", "schema": {"type": "integer"}},
                        {"name": "page", "in": "query", "schema": {"type": "integer"}}
                    ],
                    "responses": {
                        "200": {"description": "OK", "content": {"application/json": {
                            "schema": {"type": "array", "items": {"type": "string"}}
                        }}},
                        "404": {"$ref": "#/components/responses/not_found"}
                    }
                }
            }},
            "components": {
                "parameters": {"org": {"name": "org", "in": "path", "schema": {"type": "string"}}},
                "responses": {"not_found": {"description": "Not found"}}
            }
        });
        let ops = operations(&doc);
        assert_eq!(ops.len(), 1);
        let op = &ops[0];
        assert_eq!(
            op.name.to_string(),
            "GET /orgs/{org}/packages (packages/list)"
        );
        let key = |place: &str, name: &str| (place.to_owned(), name.to_owned());
        // The operation's own `org` replaces the path-level one: no duplicate.
        assert_eq!(op.parameters[&key("path", "org")].ty, "integer");
        assert!(op.parameters[&key("path", "org")].required);
        assert!(!op.parameters[&key("query", "page")].required);
        assert_eq!(op.duplicates, [key("query", "page")]);
        assert_eq!(
            op.responses["200"].keys().collect::<Vec<_>>(),
            ["", "items"]
        );
        assert!(op.responses["404"].is_empty());
    }
}
