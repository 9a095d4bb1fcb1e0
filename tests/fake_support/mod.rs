//! Shared by the `fake_*` tests: a plain HTTP client, one-line requests, and
//! a strict validator for the OpenAPI 3.0 subset the spec fragment uses.
//!
//! `users.schemas.json` holds GitHub's `public-user` and `private-user`
//! schemas exactly as `components.schemas` of the upstream description
//! (`@octokit/openapi` 23.0.2, `info.version` 1.1.4) has them: the bodies
//! of `/user` and `/users/{username}`, which the packages fragment lacks.
#![allow(dead_code, unreachable_pub)]

use std::collections::BTreeSet;

use github_packages::PackageType;
use github_packages::fake::{CreatedPackage, FakeGitHub, Owner};
use serde_json::{Map, Value};

pub const SPEC: &str = include_str!("../../spec/api.github.com.packages.json");
/// The packages fragment as upstream wrote it, without the project's patches.
pub const UPSTREAM_SPEC: &str = include_str!("../../spec/api.github.com.packages.upstream.json");
/// GitHub's `public-user` and `private-user` schemas.
pub const USER_SCHEMAS: &str = include_str!("users.schemas.json");

/// Every scope a token can have for packages.
pub const ALL: &[&str] = &["read:packages", "write:packages", "delete:packages"];

/// A fake without rate limits, for tests about something else.
pub async fn unlimited() -> FakeGitHub {
    FakeGitHub::builder()
        .without_rate_limits()
        .start()
        .await
        .expect("the fake starts")
}

/// acme's container `app`: an image tagged `v1`, then `untagged` untagged
/// images (ids ascending in that order).
pub fn acme_app(gh: &FakeGitHub, untagged: usize) -> CreatedPackage {
    let mut builder = gh
        .package(Owner::org("acme"), PackageType::Container, "app")
        .image()
        .tags(["v1"])
        .package();
    for _ in 0..untagged {
        builder = builder.image().package();
    }
    builder.create().expect("a valid fixture")
}

/// A plain reqwest client. reqwest is built without a TLS crypto provider
/// of its own (see the `rustls` feature), so install ring first.
pub fn http() -> reqwest::Client {
    #[allow(
        deprecated,
        reason = "the provider this crate itself uses (src/tls.rs)"
    )]
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .expect("a plain client builds")
}

/// One answer, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.text))
    }

    /// GitHub's error message.
    pub fn message(&self) -> String {
        self.json()["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// The `id`s of a JSON array answer.
    pub fn ids(&self) -> Vec<i64> {
        self.json()
            .as_array()
            .expect("an array")
            .iter()
            .map(|v| v["id"].as_i64().expect("an id"))
            .collect()
    }
}

/// Sends `method url` with `token` (if any) and reads the answer.
pub async fn send(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    token: Option<&str>,
) -> Reply {
    let mut request = http.request(method, url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let answer = request.send().await.expect("the fake answers");
    Reply {
        status: answer.status().as_u16(),
        headers: answer.headers().clone(),
        text: answer.text().await.expect("a body"),
    }
}

/// The OpenAPI description, for looking up response schemas.
pub struct Spec {
    doc: Value,
}

impl Spec {
    /// The patched fragment the client is generated from.
    pub fn load() -> Spec {
        Spec::parse(SPEC)
    }

    /// The fragment as GitHub publishes it: what clients generated strictly
    /// from GitHub's description expect.
    pub fn upstream() -> Spec {
        Spec::parse(UPSTREAM_SPEC)
    }

    /// GitHub's user schemas.
    pub fn users() -> Spec {
        Spec::parse(USER_SCHEMAS)
    }

    fn parse(text: &str) -> Spec {
        Spec {
            doc: serde_json::from_str(text).expect("a description is JSON"),
        }
    }

    /// Checks `value` against the component schema `name`.
    pub fn check_component(&self, name: &str, value: &Value) -> Vec<String> {
        let reference = serde_json::json!({ "$ref": format!("#/components/schemas/{name}") });
        self.check(&reference, value)
    }

    /// Every (method, path template, status) the description documents.
    pub fn documented(&self) -> BTreeSet<(String, String, u16)> {
        let mut out = BTreeSet::new();
        for (path, item) in self.doc["paths"].as_object().expect("paths") {
            for (method, operation) in item.as_object().expect("a path item") {
                if method == "parameters" {
                    continue;
                }
                for status in operation["responses"]
                    .as_object()
                    .expect("responses")
                    .keys()
                {
                    out.insert((
                        method.to_ascii_uppercase(),
                        path.clone(),
                        status.parse().expect("numeric statuses"),
                    ));
                }
            }
        }
        out
    }

    fn resolve<'a>(&'a self, value: &'a Value) -> &'a Value {
        match value.get("$ref").and_then(Value::as_str) {
            Some(pointer) => {
                let pointer = pointer.strip_prefix('#').expect("local references only");
                self.resolve(
                    self.doc
                        .pointer(pointer)
                        .unwrap_or_else(|| panic!("dangling {pointer}")),
                )
            }
            None => value,
        }
    }

    /// The JSON schema of the answer `status` of `method path`, or `None`
    /// when the description declares no body.
    pub fn response_schema(&self, method: &str, path: &str, status: u16) -> Option<&Value> {
        let operation = &self.doc["paths"][path][method.to_ascii_lowercase()];
        assert!(operation.is_object(), "no operation {method} {path}");
        let response = self.resolve(
            operation["responses"]
                .get(status.to_string())
                .unwrap_or_else(|| panic!("{method} {path} documents no {status}")),
        );
        response
            .get("content")
            .map(|content| &content["application/json"]["schema"])
    }

    /// Checks `value` against `schema` strictly: unknown properties, missing
    /// required ones, wrong types, values outside an enum, `null` where not
    /// nullable and malformed dates are all errors. Returns every problem,
    /// each with its JSON path.
    pub fn check(&self, schema: &Value, value: &Value) -> Vec<String> {
        let mut problems = Vec::new();
        self.walk(schema, value, "$", &mut problems);
        problems
    }

    fn walk(&self, schema: &Value, value: &Value, at: &str, problems: &mut Vec<String>) {
        let schema = self.resolve(schema);
        let object = schema.as_object().expect("a schema is an object");
        const KNOWN: &[&str] = &[
            "type",
            "properties",
            "required",
            "items",
            "enum",
            "nullable",
            "format",
            "additionalProperties",
            "title",
            "description",
            "example",
            "default",
            "$ref",
        ];
        for keyword in object.keys() {
            assert!(
                KNOWN.contains(&keyword.as_str()),
                "the validator does not know `{keyword}` (at {at}); teach it before trusting it"
            );
        }
        if value.is_null() {
            if object.get("nullable") != Some(&Value::Bool(true)) {
                problems.push(format!("{at}: null, but the schema is not nullable"));
            }
            return;
        }
        if let Some(allowed) = object.get("enum").and_then(Value::as_array)
            && !allowed.contains(value)
        {
            problems.push(format!("{at}: {value} is not one of {allowed:?}"));
        }
        let Some(kind) = object.get("type").and_then(Value::as_str) else {
            return;
        };
        match (kind, value) {
            ("object", Value::Object(map)) => self.walk_object(object, map, at, problems),
            ("array", Value::Array(items)) => {
                let item_schema = object.get("items").expect("arrays declare items");
                for (i, item) in items.iter().enumerate() {
                    self.walk(item_schema, item, &format!("{at}[{i}]"), problems);
                }
            }
            ("string", Value::String(s)) => {
                let malformed = match object.get("format").and_then(Value::as_str) {
                    Some("date-time") => chrono::DateTime::parse_from_rfc3339(s).is_err(),
                    Some("uri") => url::Url::parse(s).is_err(),
                    Some(other) => panic!("the validator does not know format `{other}` (at {at})"),
                    None => false,
                };
                if malformed {
                    let format = &object["format"];
                    problems.push(format!("{at}: `{s}` is not a {format}"));
                }
            }
            ("integer", Value::Number(n)) if n.is_i64() || n.is_u64() => {}
            ("number", Value::Number(_)) | ("boolean", Value::Bool(_)) => {}
            _ => problems.push(format!("{at}: {value} is not of type {kind}")),
        }
    }

    fn walk_object(
        &self,
        schema: &Map<String, Value>,
        map: &Map<String, Value>,
        at: &str,
        problems: &mut Vec<String>,
    ) {
        let empty = Map::new();
        let properties = schema
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        for required in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let name = required.as_str().expect("required names are strings");
            if !map.contains_key(name) {
                problems.push(format!("{at}: missing required `{name}`"));
            }
        }
        for (name, value) in map {
            let here = format!("{at}.{name}");
            match properties.get(name) {
                Some(property) => self.walk(property, value, &here, problems),
                None => match schema.get("additionalProperties") {
                    Some(Value::Object(extra)) if !extra.is_empty() => {
                        self.walk(&Value::Object(extra.clone()), value, &here, problems)
                    }
                    // Stricter than JSON Schema: a property the description
                    // does not name is a failure even where
                    // `additionalProperties` is left open.
                    _ => problems.push(format!("{here}: not in the schema")),
                },
            }
        }
    }
}
