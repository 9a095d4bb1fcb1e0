//! The loopback server a prune dry run talks to: GitHub's packages, their
//! versions listings (100 a page, with `Link` headers) and the OCI
//! registry's manifests of their versions, for every fixture package, all on
//! one port, with an optional delay before every answer. It counts what it
//! is asked.
//!
//! It runs in a child process (the benchmark binary re-executed with
//! `--serve`) so that it never competes with the benchmark's bookkeeping.
//! Its standard input is a control line: `counters` makes it print what it
//! counted since the last time, as one JSON line on standard output, and
//! end-of-file ends it. Every answer is rendered at start-up; the registry
//! needs no token, as a public image's registry may not.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

#[path = "../../../../benches/common/loopback.rs"]
mod loopback;

pub(crate) use loopback::ServerProcess;
use loopback::{Handler, github_headers, link_header, response};

use crate::fixture::{self, PER_PAGE, Package, Role, Version};

const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const JSON: &str = "application/json; charset=utf-8";

/// What the server saw between two `counters` commands.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub(crate) struct Counters {
    /// Requests for a page of a versions listing.
    pub(crate) api_requests: usize,
    /// Requests for a package, or for the listing of packages.
    pub(crate) package_requests: usize,
    /// Manifest GETs, in all and per digest.
    pub(crate) manifest_reads: usize,
    pub(crate) reads_by_digest: HashMap<String, usize>,
    /// Requests for anything else; each is answered 404.
    pub(crate) other_requests: usize,
    /// The most manifest reads in flight at once (arrived, not yet answered).
    pub(crate) max_reads_in_flight: usize,
    /// TCP connections, by what their first request asked for.
    pub(crate) api_connections: usize,
    pub(crate) registry_connections: usize,
    /// From the first listing request's arrival to the last page's answer.
    pub(crate) listing_ms: f64,
    /// From the last page's answer to the first manifest read's arrival:
    /// ghpkg planning.
    pub(crate) planning_ms: f64,
    /// From the first manifest read's arrival to the last one's answer.
    pub(crate) registry_ms: f64,
    /// From the first manifest read's arrival to the second's.
    pub(crate) second_read_ms: f64,
    /// Time within the registry span with no manifest read in flight: ghpkg
    /// working between rounds of reads.
    pub(crate) reads_idle_ms: f64,
    /// Mean time a connection waited for ghpkg's next request after an
    /// answer (the client's turnaround), on API and on registry connections.
    pub(crate) api_turnaround_ms: f64,
    pub(crate) registry_turnaround_ms: f64,
    /// Mean time the server's delay took beyond the latency asked for (its
    /// timer's granularity and scheduling).
    pub(crate) overshoot_ms: f64,
    /// From the `start` command to the first listing request: ghpkg's
    /// start-up.
    pub(crate) startup_ms: f64,
    /// From the last answer to the `counters` command: ghpkg's report and
    /// exit, as the benchmark saw them.
    pub(crate) tail_ms: f64,
}

/// A sum of durations and how many, for a mean.
#[derive(Debug, Default)]
struct Mean {
    total: Duration,
    count: u32,
}

impl Mean {
    fn add(&mut self, d: Duration) {
        self.total += d;
        self.count += 1;
    }

    fn ms(&self) -> f64 {
        match self.count {
            0 => 0.0,
            n => (self.total / n).as_secs_f64() * 1e3,
        }
    }
}

/// The running count behind [`Counters`].
#[derive(Debug, Default)]
struct Tally {
    counters: Counters,
    started: Option<Instant>,
    reads_in_flight: usize,
    first_api: Option<Instant>,
    last_api_answer: Option<Instant>,
    read_arrivals: Vec<Instant>,
    last_read_answer: Option<Instant>,
    reads_idle: Duration,
    api_turnaround: Mean,
    registry_turnaround: Mean,
    overshoot: Mean,
}

impl Tally {
    /// Forgets everything: a dry run starts now.
    fn start(&mut self) {
        *self = Tally {
            started: Some(Instant::now()),
            ..Tally::default()
        };
    }

    /// What was counted, with the spans worked out; counting starts afresh.
    fn take(&mut self) -> Counters {
        let ms = |from: Option<&Instant>, to: Option<&Instant>| match (from, to) {
            (Some(from), Some(to)) => to.saturating_duration_since(*from).as_secs_f64() * 1e3,
            _ => 0.0,
        };
        let first_read = self.read_arrivals.first();
        let last_answer = self.last_read_answer.max(self.last_api_answer);
        let mut counters = std::mem::take(&mut self.counters);
        counters.listing_ms = ms(self.first_api.as_ref(), self.last_api_answer.as_ref());
        counters.planning_ms = ms(self.last_api_answer.as_ref(), first_read);
        counters.registry_ms = ms(first_read, self.last_read_answer.as_ref());
        counters.second_read_ms = ms(first_read, self.read_arrivals.get(1));
        counters.reads_idle_ms = self.reads_idle.as_secs_f64() * 1e3;
        counters.api_turnaround_ms = self.api_turnaround.ms();
        counters.registry_turnaround_ms = self.registry_turnaround.ms();
        counters.overshoot_ms = self.overshoot.ms();
        counters.startup_ms = ms(self.started.as_ref(), self.first_api.as_ref());
        counters.tail_ms = ms(last_answer.as_ref(), Some(&Instant::now()));
        *self = Tally::default();
        counters
    }

    /// A request arrived, after `idle` on its connection (`None` if it is
    /// the first there).
    fn arrived(&mut self, request: &Request, idle: Option<Duration>) {
        let now = Instant::now();
        let first_on_connection = usize::from(idle.is_none());
        match request {
            Request::Page => {
                self.counters.api_requests += 1;
                self.first_api = self.first_api.or(Some(now));
                self.counters.api_connections += first_on_connection;
                if let Some(idle) = idle {
                    self.api_turnaround.add(idle);
                }
            }
            Request::Manifest(digest) => {
                self.counters.manifest_reads += 1;
                *self
                    .counters
                    .reads_by_digest
                    .entry(digest.clone())
                    .or_default() += 1;
                // Only the first two arrivals are needed.
                if self.read_arrivals.len() < 2 {
                    self.read_arrivals.push(now);
                }
                if let (0, Some(last)) = (self.reads_in_flight, self.last_read_answer) {
                    self.reads_idle += now.saturating_duration_since(last);
                }
                self.counters.registry_connections += first_on_connection;
                if let Some(idle) = idle {
                    self.registry_turnaround.add(idle);
                }
                self.reads_in_flight += 1;
                self.counters.max_reads_in_flight =
                    self.counters.max_reads_in_flight.max(self.reads_in_flight);
            }
            Request::Package => {
                self.counters.package_requests += 1;
                self.first_api = self.first_api.or(Some(now));
                self.counters.api_connections += first_on_connection;
            }
            Request::Other => self.counters.other_requests += 1,
        }
    }

    /// An answer is about to be written, `overshoot` past the latency.
    /// Counted before the write, so a client that has its answer finds the
    /// count complete.
    fn answering(&mut self, request: &Request, overshoot: Duration) {
        let now = Some(Instant::now());
        self.overshoot.add(overshoot);
        match request {
            Request::Page => self.last_api_answer = now,
            Request::Manifest(_) => {
                self.last_read_answer = now;
                self.reads_in_flight -= 1;
            }
            Request::Package | Request::Other => {}
        }
    }
}

impl ServerProcess {
    /// Forgets what the server counted so far: a dry run starts now.
    pub(crate) fn start_counting(&mut self) {
        let reply = self.ask("start");
        assert_eq!(reply.trim(), "ok", "the server's answer to `start`");
    }

    /// What the server counted since [`start_counting`](Self::start_counting).
    pub(crate) fn take_counters(&mut self) -> Counters {
        serde_json::from_str(&self.ask("counters")).expect("the server's counters are JSON")
    }
}

/// The `--serve` entry point: binds, prints the port, serves until stdin
/// closes. On stdin, `start` starts counting afresh and `counters` prints
/// what was counted.
pub(crate) fn run(latency: Duration) -> ! {
    let tally = Arc::new(Mutex::new(Tally::default()));
    let counted = Arc::clone(&tally);
    loopback::serve(
        |port| Counting {
            answers: Answers::render(port, &fixture::all()),
            tally,
            latency,
        },
        move |command| match command {
            "start" => {
                counted.lock().expect("tally lock").start();
                "ok".to_owned()
            }
            "counters" => {
                let counters = counted.lock().expect("tally lock").take();
                serde_json::to_string(&counters).expect("counters as JSON")
            }
            other => format!("unknown command `{other}`"),
        },
    )
}

/// The answers, given after the added latency and counted.
struct Counting {
    answers: Answers,
    tally: Arc<Mutex<Tally>>,
    latency: Duration,
}

impl Handler for Counting {
    async fn answer(&self, head: &[u8], idle: Option<Duration>) -> Arc<[u8]> {
        let (request, answer) = self.answers.for_request(head);
        self.tally
            .lock()
            .expect("tally lock")
            .arrived(&request, idle);
        let start = Instant::now();
        if !self.latency.is_zero() {
            // A thread's sleep, not tokio's timer: the timer rounds up to
            // the next millisecond tick, which made each answer about 1.3 ms
            // late and put some 0.3 s of the server's own into a dry run.
            let latency = self.latency;
            tokio::task::spawn_blocking(move || std::thread::sleep(latency))
                .await
                .expect("sleep");
        }
        let overshoot = start.elapsed().saturating_sub(self.latency);
        self.tally
            .lock()
            .expect("tally lock")
            .answering(&request, overshoot);
        answer
    }
}

/// What a request asked for.
#[derive(Debug)]
enum Request {
    /// A page of a versions listing.
    Page,
    /// A package, or the listing of an organization's packages.
    Package,
    /// A manifest, by digest (or tag, had ghpkg asked for one).
    Manifest(String),
    Other,
}

/// Every answer the server can give, as complete HTTP/1.1 responses, by
/// path.
struct Answers {
    /// The pages of each package's versions listing.
    listings: HashMap<String, Vec<Arc<[u8]>>>,
    /// Each package, as GitHub answers a GET of it.
    packages: HashMap<String, Arc<[u8]>>,
    /// The one page that lists each organization's packages.
    package_lists: HashMap<String, Arc<[u8]>>,
    /// Every manifest of every package.
    manifests: HashMap<String, Arc<[u8]>>,
    bad_page: Arc<[u8]>,
    not_found: Arc<[u8]>,
    unknown_manifest: Arc<[u8]>,
}

impl Answers {
    fn render(port: u16, all: &[Package]) -> Answers {
        let json = [("content-type", JSON.to_owned())];
        let mut answers = Answers {
            listings: HashMap::new(),
            packages: HashMap::new(),
            package_lists: HashMap::new(),
            manifests: HashMap::new(),
            bad_page: response(
                "400 Bad Request",
                &json,
                format!(r#"{{"message":"this test server renders pages of {PER_PAGE} only"}}"#)
                    .as_bytes(),
            ),
            not_found: response(
                "404 Not Found",
                &json,
                br#"{"message":"Not Found","documentation_url":"https://docs.github.com/rest","status":"404"}"#,
            ),
            unknown_manifest: response(
                "404 Not Found",
                &json,
                br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#,
            ),
        };
        let mut by_org: HashMap<&str, Vec<Value>> = HashMap::new();
        for package in all {
            let org = package.org;
            let name = &package.name;
            let package_path = format!("/orgs/{org}/packages/container/{name}");
            let body = package_json(package);
            answers.packages.insert(
                package_path.clone(),
                response("200 OK", &json, &serde_json::to_vec(&body).expect("render")),
            );
            by_org.entry(org).or_default().push(body);

            let listing_path = format!("{package_path}/versions");
            let pages = package.pages();
            let url_of_page = |page: usize| {
                format!(
                    "http://127.0.0.1:{port}{listing_path}?state=active&per_page={PER_PAGE}&page={page}"
                )
            };
            let rendered = package
                .versions
                .chunks(PER_PAGE)
                .enumerate()
                .map(|(i, chunk)| {
                    let page = i + 1;
                    let items: Vec<Value> =
                        chunk.iter().map(|v| version_json(package, v)).collect();
                    let body = serde_json::to_vec(&items).expect("render a page");
                    let mut headers = vec![("content-type", JSON.to_owned())];
                    if let Some(links) = link_header(url_of_page, page, pages) {
                        headers.push(("link", links));
                    }
                    headers.extend(github_headers(page));
                    response("200 OK", &headers, &body)
                })
                .collect();
            answers.listings.insert(listing_path.clone(), rendered);

            for v in &package.versions {
                let (media_type, body) = match v.role {
                    Role::Index => (OCI_INDEX, index_json(v, package.children(v))),
                    _ => (OCI_MANIFEST, image_json(v)),
                };
                let headers = [
                    ("content-type", media_type.to_owned()),
                    ("docker-content-digest", v.digest.clone()),
                    ("docker-distribution-api-version", "registry/2.0".to_owned()),
                ];
                let body = serde_json::to_vec(&body).expect("render a manifest");
                answers.manifests.insert(
                    format!("/v2/{org}/{name}/manifests/{}", v.digest),
                    response("200 OK", &headers, &body),
                );
            }
        }
        for (org, list) in by_org {
            assert!(
                list.len() <= PER_PAGE,
                "one page of packages per organization"
            );
            let mut headers = vec![("content-type", JSON.to_owned())];
            headers.extend(github_headers(1));
            answers.package_lists.insert(
                format!("/orgs/{org}/packages"),
                response(
                    "200 OK",
                    &headers,
                    &serde_json::to_vec(&list).expect("render"),
                ),
            );
        }
        answers
    }

    /// What one request head (request line and headers) asks, and the answer.
    fn for_request(&self, head: &[u8]) -> (Request, Arc<[u8]>) {
        let (path, query) = loopback::target(head);
        if let Some((_, reference)) = path.split_once("/manifests/") {
            let answer = self.manifests.get(&path).unwrap_or(&self.unknown_manifest);
            return (Request::Manifest(reference.to_owned()), Arc::clone(answer));
        }
        let param = |name: &str| {
            query
                .split('&')
                .filter_map(|pair| pair.split_once('='))
                .find(|(key, _)| *key == name)
                .map(|(_, value)| value)
        };
        let page = param("page").map_or(Some(1), |p| p.parse::<usize>().ok());
        if let Some(answer) = self.package_lists.get(&path) {
            let answer = if page == Some(1) {
                answer
            } else {
                &self.bad_page
            };
            return (Request::Package, Arc::clone(answer));
        }
        if let Some(answer) = self.packages.get(&path) {
            return (Request::Package, Arc::clone(answer));
        }
        let Some(pages) = self.listings.get(&path) else {
            return (Request::Other, Arc::clone(&self.not_found));
        };
        let answer = match (page, param("per_page")) {
            (Some(page), Some(per_page))
                if per_page == PER_PAGE.to_string() && (1..=pages.len()).contains(&page) =>
            {
                &pages[page - 1]
            }
            _ => &self.bad_page,
        };
        (Request::Page, Arc::clone(answer))
    }
}

/// A container package as GitHub answers for it (the fields the spec's
/// `package` schema requires).
fn package_json(package: &Package) -> Value {
    let (org, name) = (package.org, &package.name);
    let time = package.versions[0]
        .created_at
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    json!({
        "id": 1_000 + package.versions[0].id % 100_000,
        "name": name,
        "package_type": "container",
        "visibility": "private",
        "url": format!("https://api.github.com/orgs/{org}/packages/container/{name}"),
        "html_url": format!("https://github.com/orgs/{org}/packages/container/package/{name}"),
        "version_count": package.versions.len(),
        "created_at": time,
        "updated_at": time,
    })
}

/// A container version as GitHub lists it (the fields of the spec's
/// `package-version-org` example).
fn version_json(package: &Package, v: &Version) -> Value {
    let (org, name) = (package.org, &package.name);
    let time = v.created_at.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    json!({
        "id": v.id,
        "name": v.digest,
        "url": format!(
            "https://api.github.com/orgs/{org}/packages/container/{name}/versions/{}", v.id
        ),
        "package_html_url": format!(
            "https://github.com/orgs/{org}/packages/container/package/{name}"
        ),
        "created_at": time,
        "updated_at": time,
        "html_url": format!("https://github.com/orgs/{org}/packages/container/{name}/{}", v.id),
        "metadata": {"package_type": "container", "container": {"tags": v.tags}},
    })
}

/// An image index as `docker buildx` pushes it: one manifest per platform,
/// then an attestation manifest that refers to the first.
fn index_json(index: &Version, children: &[Version]) -> Value {
    let manifests: Vec<Value> = children
        .iter()
        .map(|child| match child.role {
            Role::Platform(arch) => json!({
                "mediaType": OCI_MANIFEST,
                "digest": child.digest,
                "size": 1_612,
                "platform": {"architecture": arch, "os": "linux"},
            }),
            Role::Attestation => json!({
                "mediaType": OCI_MANIFEST,
                "digest": child.digest,
                "size": 566,
                "annotations": {
                    "vnd.docker.reference.digest": children[0].digest,
                    "vnd.docker.reference.type": "attestation-manifest",
                },
                "platform": {"architecture": "unknown", "os": "unknown"},
            }),
            other => panic!("{other:?} {} listed by index {}", child.rank, index.rank),
        })
        .collect();
    json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests})
}

/// A single-platform image manifest: a config and two layers, whose digests
/// are derived from the manifest's own (nothing reads them).
fn image_json(image: &Version) -> Value {
    let blob = |n: char| format!("sha256:{n}{}", &image.digest[8..]);
    json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": blob('c'), "size": 1_469},
        "layers": [
            {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
             "digest": blob('a'), "size": 3_623_807},
            {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
             "digest": blob('b'), "size": 48_113_250},
        ],
    })
}
