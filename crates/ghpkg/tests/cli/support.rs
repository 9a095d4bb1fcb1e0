//! Running `ghpkg` and mocking what it talks to.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output, Stdio};

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use httpmock::prelude::*;
use httpmock::{Mock, MockServer};
use serde_json::{Value, json};

pub(crate) const TOKEN: &str = "ghp_cli_test_token_0123456789";
/// Where the versions of the org's container package `app` live.
pub(crate) const VERSIONS: &str = "/orgs/acme/packages/container/app/versions";

/// The result of one run.
#[derive(Debug)]
pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Run {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }

    /// The `--json` report of a one-package prune or apply: its only
    /// package, with the run's `dry_run`, `journal`, `plan_file` and `error`
    /// (for one package, the run's error holds the package's) and the run's
    /// warnings added to its own.
    #[track_caller]
    pub(crate) fn prune_json(&self) -> Value {
        let mut all = self.json();
        assert_eq!(all["version"], 3, "{all}");
        assert_eq!(all["packages"].as_array().map(Vec::len), Some(1), "{all}");
        let mut one = all["packages"][0].take();
        for key in ["dry_run", "journal", "plan_file", "error"] {
            one[key] = all[key].take();
        }
        // The run's warnings, for one package, are that package's too.
        if let (Some(run), Some(own)) = (all["warnings"].as_array(), one["warnings"].as_array_mut())
        {
            own.extend(run.iter().cloned());
        }
        one
    }

    #[track_caller]
    pub(crate) fn expect(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "exit code\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

/// Runs `ghpkg` against `server` with no pacing and no retries (fast and
/// deterministic), the token in the environment, stdin not a terminal, in
/// `dir`.
pub(crate) fn ghpkg_in(dir: &Path, server: &MockServer, args: &[&str]) -> Run {
    ghpkg_env(dir, server, args, &[])
}

/// [`ghpkg_in`] with extra environment variables.
pub(crate) fn ghpkg_env(
    dir: &Path,
    server: &MockServer,
    args: &[&str],
    env: &[(&str, &str)],
) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ghpkg"));
    command
        .args(["--api-url", &server.base_url()])
        .args([
            "--write-interval",
            "0",
            "--points-per-minute",
            "0",
            "--max-retries",
            "0",
        ])
        .args(args)
        .current_dir(dir)
        .env("GITHUB_TOKEN", TOKEN)
        .env_remove("GH_TOKEN")
        .env_remove("GITHUB_API_URL")
        .env_remove("GHPKG_RESTORE_TOKEN")
        .envs(env.iter().copied())
        .stdin(Stdio::null());
    finish(command.output().expect("ghpkg runs"))
}

/// `ghpkg` without any of the test's defaults.
pub(crate) fn ghpkg_raw(dir: &Path, args: &[&str]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_ghpkg"))
        .args(args)
        .current_dir(dir)
        .env("GITHUB_TOKEN", TOKEN)
        .env_remove("GITHUB_API_URL")
        .env_remove("GHPKG_RESTORE_TOKEN")
        .stdin(Stdio::null())
        .output()
        .expect("ghpkg runs");
    finish(output)
}

/// `ghpkg` without the test's defaults, with extra environment variables
/// (GITHUB_API_URL is not set unless given).
pub(crate) fn ghpkg_raw_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_ghpkg"))
        .args(args)
        .current_dir(dir)
        .env("GITHUB_TOKEN", TOKEN)
        .env_remove("GH_TOKEN")
        .env_remove("GITHUB_API_URL")
        .env_remove("GHPKG_RESTORE_TOKEN")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .expect("ghpkg runs");
    finish(output)
}

fn finish(output: Output) -> Run {
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

pub(crate) fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

pub(crate) fn digest(id: i64) -> String {
    format!("sha256:{id:064x}")
}

pub(crate) fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A container version as GitHub lists it.
pub(crate) fn version(id: i64, created_at: DateTime<Utc>, tags: &[String]) -> Value {
    json!({
        "id": id,
        "name": digest(id),
        "url": format!("https://api.github.com/orgs/acme/packages/container/app/versions/{id}"),
        "package_html_url": "https://github.com/orgs/acme/packages/container/package/app",
        "html_url": format!("https://github.com/orgs/acme/packages/container/app/{id}"),
        "created_at": time(created_at),
        "updated_at": time(created_at),
        "metadata": {"package_type": "container", "container": {"tags": tags}},
    })
}

pub(crate) fn hours_ago(hours: i64) -> DateTime<Utc> {
    Utc::now() - TimeDelta::hours(hours)
}

/// Serves `versions` from `path` (active state), 100 per page, with the
/// `Link` headers GitHub sends.
pub(crate) fn mock_listing<'a>(
    server: &'a MockServer,
    path: &str,
    versions: &[Value],
) -> Vec<Mock<'a>> {
    let pages: Vec<&[Value]> = if versions.is_empty() {
        vec![&[]]
    } else {
        versions.chunks(100).collect()
    };
    let last = pages.len();
    pages
        .iter()
        .enumerate()
        .map(|(index, items)| {
            let page = index + 1;
            let link = |n: usize| {
                format!(
                    "{}{path}?state=active&per_page=100&page={n}",
                    server.base_url()
                )
            };
            let mut links = Vec::new();
            if page < last {
                links.push(format!("<{}>; rel=\"next\"", link(page + 1)));
                links.push(format!("<{}>; rel=\"last\"", link(last)));
            }
            let body = Value::Array(items.to_vec());
            server.mock(|when, then| {
                when.method(GET)
                    .path(path)
                    .query_param("state", "active")
                    .query_param("page", page.to_string());
                let then = then.status(200).header("content-type", "application/json");
                let then = if links.is_empty() {
                    then
                } else {
                    then.header("link", links.join(", "))
                };
                then.json_body(body);
            })
        })
        .collect()
}

/// `GET` of each version on its own, as ghpkg reads it right before
/// deleting it, answering what the listing said.
pub(crate) fn mock_current<'a>(
    server: &'a MockServer,
    path: &str,
    versions: &[Value],
) -> Vec<Mock<'a>> {
    versions
        .iter()
        .map(|v| {
            let id = v["id"].as_i64().expect("a version id");
            let body = v.clone();
            server.mock(move |when, then| {
                when.method(GET)
                    .path(format!("{path}/{id}"))
                    .header("authorization", format!("Bearer {TOKEN}"));
                then.status(200)
                    .header("content-type", "application/json")
                    .json_body(body);
            })
        })
        .collect()
}

/// `DELETE` of one version, answering 204.
pub(crate) fn mock_delete<'a>(server: &'a MockServer, path: &str, id: i64) -> Mock<'a> {
    mock_delete_status(server, path, id, 204)
}

pub(crate) fn mock_delete_status<'a>(
    server: &'a MockServer,
    path: &str,
    id: i64,
    status: u16,
) -> Mock<'a> {
    server.mock(|when, then| {
        when.method(DELETE)
            .path(format!("{path}/{id}"))
            .header("authorization", format!("Bearer {TOKEN}"));
        then.status(status)
            .header("content-type", "application/json")
            .body(if status == 204 {
                String::new()
            } else {
                format!("{{\"message\":\"status {status}\"}}")
            });
    })
}

/// Any `DELETE` at all: must stay at zero calls in a dry run.
pub(crate) fn mock_any_delete(server: &MockServer) -> Mock<'_> {
    server.mock(|when, then| {
        when.method(DELETE);
        then.status(500)
            .body("{\"message\":\"no DELETE was expected\"}");
    })
}

/// Answers whatever no other mock took with 599; create it last.
pub(crate) fn catch_all(server: &MockServer) -> Mock<'_> {
    server.mock(|when, then| {
        when.any_request();
        then.status(599)
            .body("{\"message\":\"unexpected request\"}");
    })
}

/// A registry that serves a single-platform image manifest for any digest,
/// without authentication.
pub(crate) fn plain_registry() -> MockServer {
    let registry = MockServer::start();
    registry.mock(|when, then| {
        when.method(GET).path_includes("/manifests/");
        then.status(200)
            .header("content-type", "application/vnd.oci.image.manifest.v1+json")
            .json_body(json!({
                "schemaVersion": 2,
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                           "digest": digest(1), "size": 1},
                "layers": []
            }));
    });
    registry
}

/// The ids in a prune report's plan with the given action.
pub(crate) fn planned(report: &Value, action: &str) -> Vec<i64> {
    let mut ids: Vec<i64> = report["plan"]
        .as_array()
        .expect("plan is an array")
        .iter()
        .filter(|e| e["action"] == action)
        .map(|e| e["id"].as_i64().expect("id"))
        .collect();
    ids.sort();
    ids
}

pub(crate) fn ids(list: &Value) -> Vec<i64> {
    let mut ids: Vec<i64> = list
        .as_array()
        .expect("an array")
        .iter()
        .map(|e| e["id"].as_i64().expect("id"))
        .collect();
    ids.sort();
    ids
}

pub(crate) fn journal_records(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .expect("journal exists")
        .lines()
        .map(|l| serde_json::from_str(l).expect("journal line is JSON"))
        .collect()
}

pub(crate) fn path_str(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}
