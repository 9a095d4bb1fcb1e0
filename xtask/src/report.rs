//! The drift report: what changed between the checked-in cut and a new one, and how each
//! patch fares on the new one, in plain text for a terminal or Markdown for a pull
//! request. drift.rs and replay.rs decide; this module only words their findings.

use crate::drift::{self, Change, Drift, Kind, Subject};
use crate::operations::{OperationName, operations};
use crate::patch::Patch;
use crate::replay::{self, Judged, Verdict};
use crate::shape::Field;
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Report {
    /// Where the two descriptions came from, as the report names them.
    pub(crate) old: String,
    pub(crate) new: String,
    pub(crate) drift: Drift,
    pub(crate) patches: Vec<Judged>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Text,
    Markdown,
}

impl Report {
    /// Compares two unpatched cuts and replays the patches on the new one.
    pub(crate) fn new(old: (&str, &Value), new: (&str, &Value), patches: &[Patch]) -> Report {
        Report {
            old: old.0.to_owned(),
            new: new.0.to_owned(),
            drift: drift::compare(&operations(old.1), &operations(new.1)),
            patches: replay::replay(new.1, patches),
        }
    }

    pub(crate) fn breaking(&self) -> usize {
        self.drift.breaking()
    }

    pub(crate) fn render(&self, format: Format) -> String {
        match format {
            Format::Text => self.text(),
            Format::Markdown => self.markdown(),
        }
    }

    fn text(&self) -> String {
        let plain = |s: &str| s.to_owned();
        let mut out = vec![
            "spec drift of the packages operations".to_owned(),
            format!("  from {}", self.old),
            format!("  to   {}", self.new),
            format!("operations: {}", self.operation_counts()),
        ];
        for name in &self.drift.added {
            out.push(format!("added operation {name}"));
        }
        for name in &self.drift.removed {
            out.push(format!("removed operation {name}  [breaking]"));
        }
        for (name, changes) in &self.drift.changed {
            out.push(String::new());
            out.push(name.to_string());
            for change in changes {
                let mark = if change.is_breaking() {
                    "  [breaking]"
                } else {
                    ""
                };
                out.push(format!("  {}{mark}", describe(change, &plain)));
            }
        }
        out.push(String::new());
        out.push("patches, replayed in order on the new cut:".to_owned());
        for judged in &self.patches {
            out.push(format!(
                "  {}: {}",
                judged.id,
                verdict(&judged.verdict, &plain)
            ));
        }
        if self.patches.is_empty() {
            out.push("  (none)".to_owned());
        }
        out.push(String::new());
        out.push(format!("result: {}", self.summary()));
        lines(out)
    }

    fn markdown(&self) -> String {
        let mut out = vec![
            "## Spec drift of the packages operations".to_owned(),
            String::new(),
            format!("From {} to {}.", code(&self.old), code(&self.new)),
            String::new(),
            format!(
                "**{}**. Operations: {}.",
                self.summary(),
                self.operation_counts()
            ),
        ];
        if !self.drift.added.is_empty() || !self.drift.removed.is_empty() {
            out.extend([String::new(), "### Operations added or removed".to_owned()]);
            out.push(String::new());
            for name in &self.drift.added {
                out.push(format!("- added: {}", operation(name)));
            }
            for name in &self.drift.removed {
                out.push(format!("- **breaking**: removed {}", operation(name)));
            }
        }
        if !self.drift.changed.is_empty() {
            out.extend([String::new(), "### Changes by operation".to_owned()]);
            for (name, changes) in &self.drift.changed {
                out.extend([String::new(), format!("#### {}", operation(name))]);
                out.push(String::new());
                for change in changes {
                    let mark = if change.is_breaking() {
                        "**breaking**: "
                    } else {
                        ""
                    };
                    out.push(format!("- {mark}{}", describe(change, &code)));
                }
            }
        }
        out.extend([
            String::new(),
            "### Patches, replayed in order on the new cut".to_owned(),
            String::new(),
        ]);
        if self.patches.is_empty() {
            out.push("None.".to_owned());
        } else {
            out.push("| Patch | State |".to_owned());
            out.push("| --- | --- |".to_owned());
            for judged in &self.patches {
                let state = verdict(&judged.verdict, &code);
                out.push(format!(
                    "| {} | {} |",
                    code(&judged.id),
                    state.replace('|', "\\|")
                ));
            }
        }
        lines(out)
    }

    fn operation_counts(&self) -> String {
        let d = &self.drift;
        format!(
            "{} before, {} after; {} added, {} removed, {} changed",
            d.before,
            d.after,
            d.added.len(),
            d.removed.len(),
            d.changed.len()
        )
    }

    fn summary(&self) -> String {
        let count = |wanted: fn(&Verdict) -> bool| {
            self.patches.iter().filter(|j| wanted(&j.verdict)).count()
        };
        format!(
            "breaking changes: {}, other changes: {}; patches: {} needed, {} no-op, {} duplicating, {} failing",
            self.breaking(),
            self.drift.other(),
            count(|v| matches!(v, Verdict::Needed { .. })),
            count(|v| matches!(v, Verdict::NoOp)),
            count(|v| matches!(v, Verdict::Duplicates(_))),
            count(|v| matches!(v, Verdict::Fails(_))),
        )
    }
}

fn lines(out: Vec<String>) -> String {
    let mut text = out.join("\n");
    text.push('\n');
    text
}

fn operation(name: &OperationName) -> String {
    match &name.id {
        Some(id) => format!("{} ({})", code(&name.key()), code(id)),
        None => code(&name.key()),
    }
}

/// One change in words; `code` marks names and values (backticks in Markdown).
fn describe(change: &Change, code: &dyn Fn(&str) -> String) -> String {
    let subject = match &change.subject {
        Subject::OperationId => "operationId".to_owned(),
        Subject::Parameter { place, name } => format!("parameter {place} {}", code(name)),
        Subject::Response { status } => format!("response {status}"),
        Subject::Field { status, path } if path.is_empty() => format!("response {status} body"),
        Subject::Field { status, path } => format!("response {status} {}", code(path)),
    };
    let list = |values: &[String]| -> String {
        values
            .iter()
            .map(|v| code(v))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let kind = match &change.kind {
        Kind::Added(Some(field)) => format!("added ({})", summary(field, code)),
        Kind::Added(None) => "added".to_owned(),
        Kind::Removed => "removed".to_owned(),
        Kind::Renamed { old, new } => format!("renamed {} -> {}", code(old), code(new)),
        Kind::Type { old, new } => format!("type {} -> {}", code(old), code(new)),
        Kind::Nullable(true) => "now nullable".to_owned(),
        Kind::Nullable(false) => "no longer nullable".to_owned(),
        Kind::Required(true) => "now required".to_owned(),
        Kind::Required(false) => "now optional".to_owned(),
        Kind::ValuesAdded(values) => format!("values added: {}", list(values)),
        Kind::ValuesRemoved(values) => format!("values removed: {}", list(values)),
        Kind::EnumDropped => "no longer limited to listed values".to_owned(),
        Kind::EnumIntroduced(values) => format!("now limited to: {}", list(values)),
    };
    format!("{subject}: {kind}")
}

fn summary(field: &Field, code: &dyn Fn(&str) -> String) -> String {
    let mut parts = vec![code(&field.ty)];
    if field.nullable {
        parts.push("nullable".to_owned());
    }
    if field.required {
        parts.push("required".to_owned());
    }
    if let Some(values) = &field.values {
        let values: Vec<String> = values.iter().map(|v| code(v)).collect();
        parts.push(format!("one of {}", values.join(", ")));
    }
    parts.join(", ")
}

fn verdict(verdict: &Verdict, code: &dyn Fn(&str) -> String) -> String {
    match verdict {
        Verdict::Needed { unchanged: 0, .. } => "applies, needed".to_owned(),
        Verdict::Needed { changes, unchanged } => format!(
            "applies, needed ({unchanged} of its {changes} changes already upstream; drop those ops)"
        ),
        Verdict::NoOp => {
            "applies, no-op: the new description has the fix; drop the entry".to_owned()
        }
        Verdict::Duplicates(found) => {
            let found: Vec<String> = found.iter().map(|d| code(d)).collect();
            format!(
                "applies, but adds parameters the new description already declares: {}",
                found.join(", ")
            )
        }
        Verdict::Fails(message) => format!("no longer applies: {}", code(message)),
    }
}

/// A Markdown code span that survives backticks inside the text.
fn code(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{text}{pad}{fence}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::patch::parse_patches;
    use serde_json::json;

    /// A description with the given paths and schemas, and one shared parameter.
    fn description(paths: Value, schemas: Value) -> Value {
        json!({
            "openapi": "3.0.3",
            "paths": paths,
            "components": {
                "schemas": schemas,
                "parameters": {"visibility": {"name": "visibility", "in": "query",
                    "schema": {"type": "string", "enum": ["public", "private"]}}}
            }
        })
    }

    fn text(old: &Value, new: &Value, patches: Value) -> Vec<String> {
        let patches = parse_patches(&patches).unwrap();
        let report = Report::new(("old.json", old), ("new.json", new), &patches);
        report
            .render(Format::Text)
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// The lines of the report between the operation counts and the patches.
    fn changes(old: &Value, new: &Value) -> Vec<String> {
        let lines = text(old, new, json!([]));
        let end = lines.iter().position(|l| l.starts_with("patches")).unwrap();
        lines[4..end]
            .iter()
            .filter(|l| !l.is_empty())
            .cloned()
            .collect()
    }

    fn get(id: &str, parameters: Value, responses: Value) -> Value {
        json!({"get": {"operationId": id, "parameters": parameters, "responses": responses}})
    }

    fn json_body(schema: Value) -> Value {
        json!({"description": "OK", "content": {"application/json": {"schema": schema}}})
    }

    #[test]
    fn operations_added_removed_and_renamed() {
        let old = description(
            json!({
                "/a": get("a", json!([]), json!({})),
                "/b": {"delete": {"operationId": "b", "responses": {}}},
                "/c": get("c", json!([]), json!({}))
            }),
            json!({}),
        );
        let new = description(
            json!({
                "/a": get("a", json!([]), json!({})),
                "/c": get("c2", json!([]), json!({})),
                "/d": {"post": {"operationId": "d", "responses": {}}}
            }),
            json!({}),
        );
        assert_eq!(
            text(&old, &new, json!([])),
            [
                "spec drift of the packages operations",
                "  from old.json",
                "  to   new.json",
                "operations: 3 before, 3 after; 1 added, 1 removed, 1 changed",
                "added operation POST /d (d)",
                "removed operation DELETE /b (b)  [breaking]",
                "",
                "GET /c (c2)",
                "  operationId: renamed c -> c2  [breaking]",
                "",
                "patches, replayed in order on the new cut:",
                "  (none)",
                "",
                "result: breaking changes: 2, other changes: 1; patches: 0 needed, 0 no-op, 0 duplicating, 0 failing",
            ]
        );
    }

    #[test]
    fn parameters_added_removed_and_changed() {
        let parameter = |name: &str, place: &str, required: bool, schema: Value| json!({"name": name, "in": place, "required": required, "schema": schema});
        let string = json!({"type": "string"});
        let old = description(
            json!({"/p/{owner}": get("p", json!([
                parameter("owner", "path", true, string.clone()),
                parameter("page", "query", false, json!({"type": "integer"})),
                parameter("state", "query", false, json!({"type": "string", "enum": ["active", "deleted"]})),
                parameter("sort", "query", false, string.clone()),
                parameter("gone", "query", false, string.clone()),
                parameter("tag", "query", false, json!({"type": "string", "enum": ["a"]})),
                parameter("name", "query", false, string.clone()),
                {"$ref": "#/components/parameters/visibility"}
            ]), json!({})) }),
            json!({}),
        );
        let mut new = description(
            json!({"/p/{owner}": get("p", json!([
                parameter("owner", "path", true, string.clone()),
                parameter("page", "query", true, json!({"type": "integer"})),
                parameter("state", "query", false, json!({"type": "string", "enum": ["active", "archived"]})),
                parameter("sort", "query", false, json!({"type": "integer", "format": "int32"})),
                parameter("q", "query", false, string.clone()),
                parameter("must", "query", true, json!({"type": "string", "enum": ["x", "y"]})),
                parameter("tag", "query", false, string.clone()),
                parameter("name", "query", false, json!({"type": "string", "enum": ["n"]})),
                {"$ref": "#/components/parameters/visibility"}
            ]), json!({})) }),
            json!({}),
        );
        new["components"]["parameters"]["visibility"]["schema"]["enum"] =
            json!(["public", "private", "internal"]);
        assert_eq!(
            changes(&old, &new),
            [
                "GET /p/{owner} (p)",
                "  parameter query gone: removed  [breaking]",
                "  parameter query must: added (string, required, one of \"x\", \"y\")  [breaking]",
                "  parameter query name: now limited to: \"n\"  [breaking]",
                "  parameter query page: now required  [breaking]",
                "  parameter query q: added (string)",
                "  parameter query sort: type string -> integer(int32)  [breaking]",
                "  parameter query state: values added: \"archived\"",
                "  parameter query state: values removed: \"deleted\"  [breaking]",
                "  parameter query tag: no longer limited to listed values",
                "  parameter query visibility: values added: \"internal\"",
            ]
        );
    }

    /// A package as the list operation answers it, with the changes a test makes to it.
    fn package(edit: impl FnOnce(&mut Value)) -> Value {
        let mut schema = json!({
            "type": "object",
            "required": ["id", "name"],
            "properties": {
                "id": {"type": "integer"},
                "name": {"type": "string"},
                "html_url": {"type": "string"},
                "deleted_at": {"type": "string", "format": "date-time"},
                "visibility": {"type": "string", "enum": ["private", "public"]},
                "package_type": {"type": "string", "enum": ["npm", "docker"]},
                "owner": {"$ref": "#/components/schemas/user"},
                "repository": {"type": "object", "properties": {
                    "license": {"type": "object", "properties": {"key": {"type": "string"}}}
                }},
                "metadata": {"type": "object", "properties": {
                    "container": {"type": "object", "properties": {
                        "tags": {"type": "array", "items": {"type": "string"}}
                    }},
                    "docker": {"type": "object", "properties": {
                        "tag": {"type": "array", "items": {"type": "string"}}
                    }}
                }}
            }
        });
        edit(&mut schema);
        let user = json!({"type": "object", "nullable": true,
            "properties": {"login": {"type": "string"}}});
        description(
            json!({
                "/packages": get("list", json!([]), json!({
                    "200": json_body(json!({"type": "array", "items": {"$ref": "#/components/schemas/package"}})),
                    "400": {"description": "Bad"}
                })),
                "/packages/{id}": {
                    "get": {"operationId": "one", "responses": {
                        "200": json_body(json!({"$ref": "#/components/schemas/package"}))
                    }},
                    "delete": {"operationId": "drop", "responses": {"204": {"description": "Gone"}}}
                }
            }),
            json!({"package": schema, "user": user}),
        )
    }

    #[test]
    fn response_fields_by_status_and_json_path() {
        let old = package(|_| {});
        let mut new = package(|p| {
            let properties = &mut p["properties"];
            properties["id"] = json!({"type": "string"});
            properties["deleted_at"]["nullable"] = json!(true);
            properties["visibility"]["enum"] = json!(["private", "public", "internal"]);
            properties["package_type"]["enum"] = json!(["npm"]);
            properties["repository"] = json!({"type": "string"});
            let metadata = &mut properties["metadata"]["properties"];
            metadata["container"]["properties"]
                .as_object_mut()
                .unwrap()
                .shift_remove("tags");
            metadata["docker"]["properties"]["tags"] =
                json!({"type": "array", "items": {"type": "string"}});
            p["required"] = json!(["id", "html_url"]);
        });
        new["components"]["schemas"]["user"]
            .as_object_mut()
            .unwrap()
            .shift_remove("nullable");
        let list = &mut new["paths"]["/packages"]["get"]["responses"];
        list.as_object_mut().unwrap().shift_remove("400");
        list["404"] = json!({"description": "Not found"});
        let one = &mut new["paths"]["/packages/{id}"];
        one["get"]["responses"]["200"]
            .as_object_mut()
            .unwrap()
            .shift_remove("content");
        one["delete"]["responses"]["204"] = json_body(json!({"type": "object"}));
        one["delete"]["responses"]["202"] = json!({"description": "Accepted"});

        assert_eq!(
            changes(&old, &new),
            [
                "GET /packages (list)",
                "  response 200 items.deleted_at: now nullable  [breaking]",
                "  response 200 items.html_url: now required",
                "  response 200 items.id: type integer -> string  [breaking]",
                "  response 200 items.metadata.container.tags: removed  [breaking]",
                "  response 200 items.metadata.docker.tags: added (array)",
                "  response 200 items.name: now optional  [breaking]",
                "  response 200 items.owner: no longer nullable",
                "  response 200 items.package_type: values removed: \"docker\"",
                "  response 200 items.repository: type object -> string  [breaking]",
                "  response 200 items.visibility: values added: \"internal\"  [breaking]",
                "  response 400: removed",
                "  response 404: added",
                "",
                "GET /packages/{id} (one)",
                "  response 200 body: removed  [breaking]",
                "",
                "DELETE /packages/{id} (drop)",
                "  response 202: added",
                "  response 204 body: added (object, required)",
            ]
            .into_iter()
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
        );
    }

    #[test]
    fn a_removed_success_answer_is_breaking() {
        let old = package(|_| {});
        let mut new = package(|_| {});
        let responses = &mut new["paths"]["/packages/{id}"]["delete"]["responses"];
        *responses = json!({"200": {"description": "OK"}});
        assert_eq!(
            changes(&old, &new),
            [
                "DELETE /packages/{id} (drop)",
                "  response 200: added",
                "  response 204: removed  [breaking]",
            ]
        );
    }

    #[test]
    fn every_state_of_a_patch_and_the_summary() {
        let old = package(|_| {});
        let mut new = package(|_| {});
        // Upstream now declares the parameter one patch adds, and fixed what another fixes.
        new["paths"]["/packages"]["get"]["parameters"] =
            json!([{"name": "page", "in": "query", "schema": {"type": "integer"}}]);
        new["components"]["schemas"]["package"]["properties"]["metadata"]["properties"]["docker"]
            ["properties"]["tags"] = json!({"type": "array", "items": {"type": "string"}});
        let docker = "/components/schemas/package/properties/metadata/properties/docker";
        let patches = json!([
            {"id": "still-needed", "reason": "r", "ops": [
                {"op": "test", "path": "/components/schemas/user/nullable", "value": true},
                {"op": "remove", "path": "/components/schemas/user/nullable"}
            ]},
            {"id": "fixed-upstream", "reason": "r", "ops": [
                {"op": "add", "path": format!("{docker}/properties/tags"),
                 "value": {"type": "array", "items": {"type": "string"}}}
            ]},
            {"id": "half-fixed", "reason": "r", "ops": [
                {"op": "add", "path": format!("{docker}/properties/tags"),
                 "value": {"type": "array", "items": {"type": "string"}}},
                {"op": "add", "path": format!("{docker}/required"), "value": []}
            ]},
            {"id": "adds-paging", "reason": "r", "ops": [
                {"op": "add", "path": "/paths/~1packages/get/parameters/-",
                 "value": {"name": "page", "in": "query"}}
            ]},
            {"id": "stale-guard", "reason": "r", "ops": [
                {"op": "test", "path": "/components/schemas/package/title", "value": "Package"},
                {"op": "add", "path": "/components/schemas/package-type", "value": {}}
            ]},
            {"id": "depends-on-stale", "reason": "r", "ops": [
                {"op": "replace", "path": "/components/schemas/package-type/type", "value": "string"}
            ]}
        ]);
        let lines = text(&old, &new, patches);
        let start = lines.iter().position(|l| l.starts_with("patches")).unwrap();
        assert_eq!(
            lines[start..],
            [
                "patches, replayed in order on the new cut:",
                "  still-needed: applies, needed",
                "  fixed-upstream: applies, no-op: the new description has the fix; drop the entry",
                "  half-fixed: applies, needed (1 of its 2 changes already upstream; drop those ops)",
                "  adds-paging: applies, but adds parameters the new description already declares: GET /packages query page",
                "  stale-guard: no longer applies: op 0 (test /components/schemas/package/title): no value at /components/schemas/package/title",
                "  depends-on-stale: no longer applies: op 0 (replace /components/schemas/package-type/type): no value at /components/schemas/package-type",
                "",
                "result: breaking changes: 0, other changes: 3; patches: 2 needed, 1 no-op, 1 duplicating, 2 failing",
            ]
        );
    }

    #[test]
    fn markdown_for_a_pull_request() {
        let old = package(|_| {});
        let mut new = package(|p| {
            p["properties"]
                .as_object_mut()
                .unwrap()
                .shift_remove("html_url");
        });
        new["paths"]["/extra"] = get("extra", json!([]), json!({}));
        new["info"] = json!({"description": "x"});
        let patches = parse_patches(&json!([
            {"id": "guarded", "reason": "r", "ops": [
                {"op": "test", "path": "/info/description", "value": "a `b` | c"}
            ]}
        ]))
        .unwrap();
        let report = Report::new(("old.json", &old), ("new.json", &new), &patches);
        assert_eq!(
            report.render(Format::Markdown),
            "\
## Spec drift of the packages operations

From `old.json` to `new.json`.

**breaking changes: 2, other changes: 1; patches: 0 needed, 0 no-op, 0 duplicating, 1 failing**. \
Operations: 3 before, 4 after; 1 added, 0 removed, 2 changed.

### Operations added or removed

- added: `GET /extra` (`extra`)

### Changes by operation

#### `GET /packages` (`list`)

- **breaking**: response 200 `items.html_url`: removed

#### `GET /packages/{id}` (`one`)

- **breaking**: response 200 `html_url`: removed

### Patches, replayed in order on the new cut

| Patch | State |
| --- | --- |
| `guarded` | no longer applies: ``op 0 (test /info/description): test failed: expected \"a `b` \\| c\", found \"x\"`` |
"
        );
        assert_eq!(code("a `b` | c"), "``a `b` | c``");
        assert_eq!(code("`x`"), "`` `x` ``");
    }
}
