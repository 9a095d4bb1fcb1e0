//! What the engine's tests share: a fake GitHub with a client and planner
//! aimed at it, GitHub's JSON and mocks for the tests that need exact
//! requests, and running a plan into a journal.
#![allow(dead_code)]

mod packages;

#[allow(unused_imports, reason = "each test binary uses some of them")]
pub(crate) use packages::{orphans, refuse, untagged_app, with_orphans};

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use github_packages::fake::{FakeBuilder, FakeGitHub, FaultHandle, Owner, PackageBuilder};
use github_packages::{Client, ClientBuilder, PackageType, Scope};
use github_packages_retention::journal::{Fragment, Header, Journal, Record};
use github_packages_retention::undo::{self, Settled, UndoReport};
use github_packages_retention::{
    Doomed, Entry, Executor, Observer, PackagePlan, Plan, Planner, Policy, Quiet, Reason, Registry,
    RunOutcome, Stop, Target, Work,
};
use httpmock::prelude::*;
use httpmock::{Mock, MockServer};
use serde_json::{Value, json};

/// The token the mock servers expect.
pub(crate) const TOKEN: &str = "ghp_engine_test_token_0123456789";
/// `GET /user/packages/container/app`: owned by `Octo-Cat`.
pub(crate) const PACKAGE: &str = include_str!("../fixtures/package.json");
/// Where the versions of the org's container package `app` live.
pub(crate) const VERSIONS: &str = "/orgs/acme/packages/container/app/versions";
/// Scopes a token needs to list, delete and restore.
pub(crate) const ALL_SCOPES: &[&str] = &["read:packages", "write:packages", "delete:packages"];

/// A client for `base_url` with no pacing and no retries: fast, and every
/// request the test makes is one request on the wire.
pub(crate) fn builder(base_url: &str, token: &str) -> ClientBuilder {
    Client::builder()
        .base_url(base_url)
        .token(token)
        .min_write_interval(Duration::ZERO)
        .points_per_minute(0)
        .max_retries(0)
}

pub(crate) fn client(base_url: &str, token: &str) -> Client {
    builder(base_url, token).build().expect("the client builds")
}

/// acme's package `name` of type `kind`.
pub(crate) fn acme(kind: PackageType, name: &str) -> Target {
    Target::new(Scope::org("acme"), kind, name)
}

/// acme's container package `app`.
pub(crate) fn app() -> Target {
    acme(PackageType::Container, "app")
}

/// A fake GitHub without rate limits, a token with every packages scope,
/// and a client with that token.
pub(crate) struct Fake {
    pub(crate) gh: FakeGitHub,
    pub(crate) token: String,
    pub(crate) client: Client,
}

impl Fake {
    pub(crate) async fn start() -> Fake {
        Fake::with(FakeBuilder::without_rate_limits).await
    }

    /// A fake configured by `configure`.
    pub(crate) async fn with(configure: impl FnOnce(FakeBuilder) -> FakeBuilder) -> Fake {
        let gh = configure(FakeGitHub::builder())
            .start()
            .await
            .expect("the fake starts");
        let token = gh.token_with_scopes(ALL_SCOPES);
        let client = client(&gh.url(), &token);
        Fake { gh, token, client }
    }

    /// The fake's registry, with the token.
    pub(crate) fn registry(&self) -> Registry {
        Registry::new(&self.gh.url())
            .expect("a loopback registry")
            .token(self.token.clone())
    }

    /// A planner that reads the fake's registry with the token.
    pub(crate) fn planner(&self) -> Planner {
        Planner::new(&self.client).registry(self.registry())
    }

    /// acme's container package `app`, to be built.
    pub(crate) fn package(&self) -> PackageBuilder<'_> {
        self.gh
            .package(Owner::org("acme"), PackageType::Container, "app")
    }

    /// The plan `planner` makes of `app` under `policy` (which must pass
    /// its check).
    pub(crate) async fn plan(&self, policy: &Policy) -> PackagePlan {
        policy.check().expect("a usable policy");
        self.planner()
            .plan(&app(), policy, &Quiet)
            .await
            .expect("app is planned")
    }

    /// The versions of acme's container package `name` deleted so far,
    /// ascending.
    pub(crate) fn deleted(&self, name: &str) -> Vec<i64> {
        sorted(self.gh.deleted_ids("acme", PackageType::Container, name))
    }

    /// The versions of acme's container package `name` restored so far,
    /// ascending.
    pub(crate) fn restored(&self, name: &str) -> Vec<i64> {
        sorted(self.gh.restored_ids("acme", PackageType::Container, name))
    }

    /// How many requests with `method` the fake has seen.
    pub(crate) fn sent(&self, method: reqwest::Method) -> usize {
        self.gh
            .requests()
            .iter()
            .filter(|r| r.method == method)
            .count()
    }
}

/// [`packages::with_orphans`] as `name`: the orphans' ids, ascending (what
/// `untagged` deletes).
pub(crate) fn app_with_orphans(fake: &Fake, name: &str) -> Vec<i64> {
    orphans(&with_orphans(&fake.gh, name))
}

/// Every DELETE of a version of acme's container package `name` answers
/// 500 from now on.
pub(crate) fn break_deletes(fake: &Fake, name: &str) -> FaultHandle {
    fake.gh
        .fault(
            "DELETE",
            &format!("/orgs/acme/packages/container/{name}/versions/*"),
        )
        .every()
        .respond(500, r#"{"message":"Server Error"}"#)
        .expect("a valid fault")
}

pub(crate) fn sorted(mut ids: Vec<i64>) -> Vec<i64> {
    ids.sort();
    ids
}

/// The ids a plan deletes.
pub(crate) fn deletes(plan: &Plan) -> BTreeSet<i64> {
    plan.deletions().iter().map(|e| e.id).collect()
}

/// The entry of version `id`.
pub(crate) fn entry(plan: &Plan, id: i64) -> &Entry {
    plan.entries
        .iter()
        .find(|e| e.id == id)
        .unwrap_or_else(|| panic!("version {id} is not in the plan"))
}

pub(crate) fn reason(plan: &Plan, id: i64) -> &Reason {
    &entry(plan, id).reason
}

/// The ids of `versions`, ascending.
pub(crate) fn ids(versions: &[Doomed]) -> Vec<i64> {
    sorted(versions.iter().map(|v| v.id).collect())
}

/// The journal header of a run over `plans` (a one-package run, or one of
/// several naming them all), as `ghpkg` writes it.
pub(crate) fn header(client: &Client, plans: &[&PackagePlan]) -> Header {
    let first = plans.first().expect("a plan");
    let target = &first.target;
    let login = plans.iter().find_map(|p| p.login.as_deref());
    let mut header = Header::new(
        &target.scope,
        login,
        target.package_type,
        &target.name,
        client.base_url().as_str(),
    );
    if plans.len() > 1 {
        header.packages = plans.iter().map(|p| p.target.name.clone()).collect();
    }
    header
}

/// Deletes what `plans` plan, into `journal`.
pub(crate) async fn execute(client: &Client, journal: &Path, plans: &[&PackagePlan]) -> RunOutcome {
    execute_observed(client, journal, plans, &Quiet).await
}

/// Deletes what `plans` plan, into a journal of its own that is then
/// thrown away.
pub(crate) async fn delete_planned(client: &Client, plans: &[&PackagePlan]) -> RunOutcome {
    let dir = tempdir();
    execute(client, &dir.path().join("j.jsonl"), plans).await
}

/// [`execute`] reporting to `observer`.
pub(crate) async fn execute_observed(
    client: &Client,
    journal: &Path,
    plans: &[&PackagePlan],
    observer: &dyn Observer,
) -> RunOutcome {
    let work = plans.iter().map(|p| Work::of(p)).collect();
    Executor::new(client, Stop::new())
        .run(&header(client, plans), journal, work, observer)
        .await
        .expect("the journal is writable")
}

/// The complete records of a journal.
pub(crate) fn records(journal: &Path) -> Vec<Record> {
    Journal::read(journal).expect("a journal").records
}

/// The ids of the records of `journal` of one kind.
pub(crate) fn record_ids(journal: &Path, kind: &str) -> Vec<i64> {
    std::fs::read_to_string(journal)
        .expect("the journal")
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|r| r["record"] == kind)
        .map(|r| r["id"].as_i64().expect("an id"))
        .collect()
}

/// An observer that keeps the fragments a journal was opened with.
#[derive(Debug, Default)]
pub(crate) struct Fragments(Mutex<Vec<Fragment>>);

impl Fragments {
    pub(crate) fn seen(&self) -> Vec<Fragment> {
        self.0.lock().expect("not poisoned").clone()
    }
}

impl Observer for Fragments {
    fn journal_opened(&self, _path: &Path, fragments: &[Fragment]) {
        self.0
            .lock()
            .expect("not poisoned")
            .extend_from_slice(fragments);
    }
}

pub(crate) fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary directory")
}

// GitHub's JSON, and mock servers answering with it, for the tests where
// the exact requests matter.

pub(crate) fn digest(id: i64) -> String {
    format!("sha256:{id:064x}")
}

pub(crate) fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub(crate) fn hours_ago(hours: i64) -> DateTime<Utc> {
    Utc::now() - TimeDelta::hours(hours)
}

/// A container version of acme's `app` as GitHub lists it.
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

/// `n` untagged versions, id 1 the oldest (so deleted first).
pub(crate) fn untagged(n: i64) -> Vec<Value> {
    (1..=n)
        .map(|id| version(id, hours_ago(1000 - id), &[]))
        .collect()
}

/// Serves `versions` from `path` (active state), 100 per page, with the
/// `Link` headers GitHub sends.
pub(crate) async fn mock_listing<'a>(
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
    let mut mocks = Vec::new();
    for (index, items) in pages.iter().enumerate() {
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
        let mock = server
            .mock_async(|when, then| {
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
            .await;
        mocks.push(mock);
    }
    mocks
}

/// A mock GitHub listing acme's `app` with `versions` and answering each
/// one's read.
pub(crate) async fn serving(versions: &[Value]) -> MockServer {
    let github = MockServer::start_async().await;
    mock_listing(&github, VERSIONS, versions).await;
    mock_current(&github, VERSIONS, versions).await;
    github
}

/// `GET` of each version on its own, as the executor reads it right before
/// deleting it, answering what the listing said.
pub(crate) async fn mock_current<'a>(
    server: &'a MockServer,
    path: &str,
    versions: &[Value],
) -> Vec<Mock<'a>> {
    let mut mocks = Vec::new();
    for v in versions {
        let id = v["id"].as_i64().expect("a version id");
        let body = v.clone();
        let mock = server
            .mock_async(|when, then| {
                when.method(GET)
                    .path(format!("{path}/{id}"))
                    .header("authorization", format!("Bearer {TOKEN}"));
                then.status(200)
                    .header("content-type", "application/json")
                    .json_body(body);
            })
            .await;
        mocks.push(mock);
    }
    mocks
}

/// `DELETE` of one version, answering 204.
pub(crate) async fn mock_delete<'a>(server: &'a MockServer, path: &str, id: i64) -> Mock<'a> {
    mock_delete_status(server, path, id, 204).await
}

pub(crate) async fn mock_delete_status<'a>(
    server: &'a MockServer,
    path: &str,
    id: i64,
    status: u16,
) -> Mock<'a> {
    server
        .mock_async(|when, then| {
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
        .await
}

/// Any `DELETE` at all: must stay at zero calls where nothing may go.
pub(crate) async fn mock_any_delete(server: &MockServer) -> Mock<'_> {
    server
        .mock_async(|when, then| {
            when.method(DELETE);
            then.status(500)
                .body("{\"message\":\"no DELETE was expected\"}");
        })
        .await
}

/// Answers whatever no other mock took with 599; create it last.
pub(crate) async fn catch_all(server: &MockServer) -> Mock<'_> {
    server
        .mock_async(|when, then| {
            when.any_request();
            then.status(599)
                .body("{\"message\":\"unexpected request\"}");
        })
        .await
}

/// A single-platform image manifest.
pub(crate) fn image_manifest() -> Value {
    json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
                   "digest": digest(1), "size": 1},
        "layers": []
    })
}

/// A registry that serves a single-platform image manifest for any digest,
/// without authentication.
pub(crate) async fn plain_registry() -> MockServer {
    let registry = MockServer::start_async().await;
    registry
        .mock_async(|when, then| {
            when.method(GET).path_includes("/manifests/");
            then.status(200)
                .header("content-type", "application/vnd.oci.image.manifest.v1+json")
                .json_body(image_manifest());
        })
        .await;
    registry
}

/// Undoes the run recorded in `journal`.
pub(crate) async fn restore(client: &Client, journal: &Path) -> UndoReport {
    let read = Journal::read(journal).expect("a journal");
    undo::restore(client, journal, &read, &Quiet, &Stop::new())
        .await
        .expect("the undo runs")
}

/// The ids an undo settled `which` way, ascending.
pub(crate) fn settled(report: &UndoReport, which: impl Fn(&Settled) -> bool) -> Vec<i64> {
    sorted(
        report
            .versions
            .iter()
            .filter(|(_, s)| which(s))
            .map(|(p, _)| p.id)
            .collect(),
    )
}

/// The ids an undo restored, ascending.
pub(crate) fn restored(report: &UndoReport) -> Vec<i64> {
    settled(report, |s| matches!(s, Settled::Restored))
}
