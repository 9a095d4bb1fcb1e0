//! The loopback server a prune dry run talks to: GitHub's versions listing
//! of the fixture package (100 a page, with `Link` headers) and the OCI
//! registry's manifests of its versions, both on one port, with an optional
//! delay before every answer. It counts what it is asked.
//!
//! It runs in a child process (the benchmark binary re-executed with
//! `--serve`) so that it never competes with the benchmark's bookkeeping.
//! Its standard input is a control line: `counters` makes it print what it
//! counted since the last time, as one JSON line on standard output, and
//! end-of-file ends it. Every answer is rendered at start-up; the registry
//! needs no token, as a public image's registry may not.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::fixture::{self, ORG, PACKAGE, PAGES, PER_PAGE, Role, Version};

const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const JSON: &str = "application/json; charset=utf-8";

/// What the server saw between two `counters` commands.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub(crate) struct Counters {
    /// Requests for a page of the versions listing.
    pub(crate) api_requests: usize,
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
}

/// The running count behind [`Counters`].
#[derive(Debug, Default)]
struct Tally {
    counters: Counters,
    reads_in_flight: usize,
    first_api: Option<Instant>,
    last_api_answer: Option<Instant>,
    first_read: Option<Instant>,
    last_read_answer: Option<Instant>,
}

impl Tally {
    /// What was counted, with the spans worked out; counting starts afresh.
    fn take(&mut self) -> Counters {
        let ms = |from: Option<Instant>, to: Option<Instant>| match (from, to) {
            (Some(from), Some(to)) => to.saturating_duration_since(from).as_secs_f64() * 1e3,
            _ => 0.0,
        };
        let mut counters = std::mem::take(&mut self.counters);
        counters.listing_ms = ms(self.first_api, self.last_api_answer);
        counters.planning_ms = ms(self.last_api_answer, self.first_read);
        counters.registry_ms = ms(self.first_read, self.last_read_answer);
        *self = Tally::default();
        counters
    }

    /// A request arrived.
    fn arrived(&mut self, request: &Request, first_on_connection: bool) {
        let now = Some(Instant::now());
        match request {
            Request::Page => {
                self.counters.api_requests += 1;
                self.first_api = self.first_api.or(now);
                self.counters.api_connections += usize::from(first_on_connection);
            }
            Request::Manifest(digest) => {
                self.counters.manifest_reads += 1;
                *self
                    .counters
                    .reads_by_digest
                    .entry(digest.clone())
                    .or_default() += 1;
                self.first_read = self.first_read.or(now);
                self.counters.registry_connections += usize::from(first_on_connection);
                self.reads_in_flight += 1;
                self.counters.max_reads_in_flight =
                    self.counters.max_reads_in_flight.max(self.reads_in_flight);
            }
            Request::Other => self.counters.other_requests += 1,
        }
    }

    /// An answer is about to be written. Counted before the write, so a
    /// client that has its answer finds the count complete.
    fn answering(&mut self, request: &Request) {
        let now = Some(Instant::now());
        match request {
            Request::Page => self.last_api_answer = now,
            Request::Manifest(_) => {
                self.last_read_answer = now;
                self.reads_in_flight -= 1;
            }
            Request::Other => {}
        }
    }
}

/// A server child process; killed when dropped.
pub(crate) struct ServerProcess {
    child: Child,
    // Held open: the child exits when it sees end-of-file here, so it cannot
    // outlive the benchmark even if the benchmark is killed.
    control: ChildStdin,
    replies: BufReader<ChildStdout>,
    pub(crate) port: u16,
}

impl ServerProcess {
    /// Starts `current_exe --serve --latency-ms N` and reads the port it bound.
    pub(crate) fn spawn(latency: Duration) -> ServerProcess {
        let exe = std::env::current_exe().expect("path of the benchmark binary");
        let mut child = Command::new(exe)
            .args(["--serve", "--latency-ms", &latency.as_millis().to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the server process");
        let control = child.stdin.take().expect("server stdin");
        let mut replies = BufReader::new(child.stdout.take().expect("server stdout"));
        let mut line = String::new();
        replies
            .read_line(&mut line)
            .expect("read the server's port");
        let port = line
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("server printed `{line}` instead of its port"));
        ServerProcess {
            child,
            control,
            replies,
            port,
        }
    }

    /// The root of both the API and the registry.
    pub(crate) fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// What the server counted since the last call; it counts afresh from
    /// here.
    pub(crate) fn take_counters(&mut self) -> Counters {
        writeln!(self.control, "counters")
            .and_then(|()| self.control.flush())
            .expect("ask the server for its counters");
        let mut line = String::new();
        self.replies
            .read_line(&mut line)
            .expect("read the server's counters");
        serde_json::from_str(&line).expect("the server's counters are JSON")
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `--serve` entry point: binds, prints the port, serves until stdin
/// closes, printing the counters whenever stdin says `counters`.
pub(crate) fn run(latency: Duration) -> ! {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("server runtime");
    let listener = runtime
        .block_on(TcpListener::bind("127.0.0.1:0"))
        .expect("bind a loopback port");
    let port = listener.local_addr().expect("bound address").port();
    let answers = Arc::new(Answers::render(port, &fixture::versions()));
    let tally = Arc::new(Mutex::new(Tally::default()));
    {
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "{port}")
            .and_then(|()| stdout.flush())
            .expect("announce the port");
    }
    let control_tally = Arc::clone(&tally);
    std::thread::spawn(move || control(&control_tally));
    runtime.block_on(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                continue;
            };
            let _ = socket.set_nodelay(true);
            let answers = Arc::clone(&answers);
            let tally = Arc::clone(&tally);
            tokio::spawn(connection(socket, answers, tally, latency));
        }
    })
}

/// Answers the parent's `counters` commands; exits the process when the
/// parent is gone (end-of-file).
fn control(tally: &Mutex<Tally>) -> ! {
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        if line.trim() != "counters" {
            eprintln!("server: unknown control command `{line}`");
            continue;
        }
        let counters = tally.lock().expect("tally lock").take();
        let mut stdout = std::io::stdout().lock();
        serde_json::to_writer(&mut stdout, &counters)
            .map_err(std::io::Error::from)
            .and_then(|()| writeln!(stdout))
            .and_then(|()| stdout.flush())
            .expect("report the counters");
    }
    std::process::exit(0)
}

/// Serves HTTP/1.1 GETs on one keep-alive connection until the client closes
/// it. A GET has no body, so a request ends at the blank line.
async fn connection(
    mut socket: TcpStream,
    answers: Arc<Answers>,
    tally: Arc<Mutex<Tally>>,
    latency: Duration,
) {
    let mut buffer = Vec::with_capacity(4096);
    let mut scanned = 0;
    let mut first = true;
    loop {
        let Some(end) = find_blank_line(&buffer, scanned) else {
            scanned = buffer.len().saturating_sub(3);
            let mut chunk = [0u8; 4096];
            match socket.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            }
            continue;
        };
        let (request, answer) = answers.for_request(&buffer[..end]);
        buffer.drain(..end + 4);
        scanned = 0;
        tally.lock().expect("tally lock").arrived(&request, first);
        first = false;
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        tally.lock().expect("tally lock").answering(&request);
        if socket.write_all(&answer).await.is_err() {
            return;
        }
    }
}

fn find_blank_line(buffer: &[u8], from: usize) -> Option<usize> {
    buffer
        .get(from..)?
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| from + i)
}

/// What a request asked for.
#[derive(Debug)]
enum Request {
    /// A page of the versions listing.
    Page,
    /// A manifest, by digest (or tag, had ghpkg asked for one).
    Manifest(String),
    Other,
}

/// Every answer the server can give, as complete HTTP/1.1 responses.
struct Answers {
    listing_path: String,
    manifests_path: String,
    pages: Vec<Arc<[u8]>>,
    manifests: HashMap<String, Arc<[u8]>>,
    bad_page: Arc<[u8]>,
    not_found: Arc<[u8]>,
    unknown_manifest: Arc<[u8]>,
}

impl Answers {
    fn render(port: u16, versions: &[Version]) -> Answers {
        let listing_path = format!("/orgs/{ORG}/packages/container/{PACKAGE}/versions");
        let link = |page: usize| {
            format!(
                "<http://127.0.0.1:{port}{listing_path}?state=active&per_page={PER_PAGE}&page={page}>"
            )
        };
        let pages = versions
            .chunks(PER_PAGE)
            .enumerate()
            .map(|(i, chunk)| {
                let page = i + 1;
                let items: Vec<Value> = chunk.iter().map(version_json).collect();
                let body = serde_json::to_vec(&items).expect("render a page");
                // GitHub's order: prev, next, last, first.
                let mut links = Vec::new();
                if page > 1 {
                    links.push(format!("{}; rel=\"prev\"", link(page - 1)));
                }
                if page < PAGES {
                    links.push(format!("{}; rel=\"next\"", link(page + 1)));
                    links.push(format!("{}; rel=\"last\"", link(PAGES)));
                }
                if page > 1 {
                    links.push(format!("{}; rel=\"first\"", link(1)));
                }
                let mut headers = vec![("content-type", JSON.to_owned())];
                if !links.is_empty() {
                    headers.push(("link", links.join(", ")));
                }
                headers.extend([
                    ("x-github-api-version-selected", "2022-11-28".to_owned()),
                    ("x-ratelimit-limit", "5000".to_owned()),
                    ("x-ratelimit-remaining", (5000 - page).to_string()),
                    ("x-ratelimit-reset", "1767225600".to_owned()),
                    ("x-ratelimit-used", page.to_string()),
                    ("x-ratelimit-resource", "core".to_owned()),
                ]);
                response("200 OK", &headers, &body)
            })
            .collect();
        let manifests = versions
            .iter()
            .map(|v| {
                let (media_type, body) = match v.role {
                    Role::Index => (OCI_INDEX, index_json(v, fixture::children(versions, v))),
                    _ => (OCI_MANIFEST, image_json(v)),
                };
                let headers = [
                    ("content-type", media_type.to_owned()),
                    ("docker-content-digest", v.digest.clone()),
                    ("docker-distribution-api-version", "registry/2.0".to_owned()),
                ];
                let body = serde_json::to_vec(&body).expect("render a manifest");
                (v.digest.clone(), response("200 OK", &headers, &body))
            })
            .collect();
        let json = [("content-type", JSON.to_owned())];
        Answers {
            manifests_path: format!("/v2/{ORG}/{PACKAGE}/manifests/"),
            listing_path,
            pages,
            manifests,
            bad_page: response(
                "400 Bad Request",
                &json,
                format!(
                    r#"{{"message":"this test server renders pages 1 to {PAGES} of {PER_PAGE} versions only"}}"#
                )
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
        }
    }

    /// What one request head (request line and headers) asks, and the answer.
    fn for_request(&self, head: &[u8]) -> (Request, Arc<[u8]>) {
        let head = String::from_utf8_lossy(head);
        let target = head
            .lines()
            .next()
            .and_then(|line| line.strip_prefix("GET "))
            .and_then(|rest| rest.split(' ').next())
            .unwrap_or("");
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        if let Some(reference) = path.strip_prefix(&self.manifests_path) {
            let answer = self
                .manifests
                .get(reference)
                .unwrap_or(&self.unknown_manifest);
            return (Request::Manifest(reference.to_owned()), Arc::clone(answer));
        }
        if path != self.listing_path {
            return (Request::Other, Arc::clone(&self.not_found));
        }
        let param = |name: &str| {
            query
                .split('&')
                .filter_map(|pair| pair.split_once('='))
                .find(|(key, _)| *key == name)
                .map(|(_, value)| value)
        };
        let page = param("page").map_or(Some(1), |p| p.parse::<usize>().ok());
        let answer = match (page, param("per_page")) {
            (Some(page), Some(per_page))
                if per_page == PER_PAGE.to_string() && (1..=PAGES).contains(&page) =>
            {
                &self.pages[page - 1]
            }
            _ => &self.bad_page,
        };
        (Request::Page, Arc::clone(answer))
    }
}

fn response(status: &str, headers: &[(&str, String)], body: &[u8]) -> Arc<[u8]> {
    let mut out = format!("HTTP/1.1 {status}\r\n");
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str(&format!("content-length: {}\r\n\r\n", body.len()));
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    bytes.into()
}

/// A container version as GitHub lists it (the fields of the spec's
/// `package-version-org` example).
fn version_json(v: &Version) -> Value {
    let time = v.created_at.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    json!({
        "id": v.id,
        "name": v.digest,
        "url": format!(
            "https://api.github.com/orgs/{ORG}/packages/container/{PACKAGE}/versions/{}", v.id
        ),
        "package_html_url": format!(
            "https://github.com/orgs/{ORG}/packages/container/package/{PACKAGE}"
        ),
        "created_at": time,
        "updated_at": time,
        "html_url": format!("https://github.com/orgs/{ORG}/packages/container/{PACKAGE}/{}", v.id),
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
