//! The loopback server the listing benchmark talks to: one package with
//! `VERSIONS` versions shaped like GitHub's answer, 100 per page, with
//! GitHub-style `Link` headers and an optional delay before each answer.
//!
//! It runs in a child process (the benchmark binary re-executed with
//! `--serve`) so its CPU time never counts against the client being measured.
//! Every answer is rendered once at start-up, so serving costs little more
//! than a `write`.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The organization and package the server knows.
pub(crate) const ORG: &str = "o";
pub(crate) const PACKAGE: &str = "app";
/// Versions of the package, and GitHub's maximum page size.
pub(crate) const VERSIONS: usize = 10_000;
pub(crate) const PER_PAGE: usize = 100;
pub(crate) const PAGES: usize = VERSIONS.div_ceil(PER_PAGE);

/// The only path served, as GitHub spells the org-owned versions listing.
fn versions_path() -> String {
    format!("/orgs/{ORG}/packages/container/{PACKAGE}/versions")
}

/// A server child process; killed when dropped.
pub(crate) struct ServerProcess {
    child: Child,
    // Held open: the child exits when it sees end-of-file here, so it cannot
    // outlive the benchmark even if the benchmark is killed.
    _stdin: ChildStdin,
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
        let stdin = child.stdin.take().expect("server stdin");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("server stdout"))
            .read_line(&mut line)
            .expect("read the server's port");
        let port = line
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("server printed `{line}` instead of its port"));
        ServerProcess {
            child,
            _stdin: stdin,
            port,
        }
    }

    /// The API root to give a client.
    pub(crate) fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `--serve` entry point: binds, prints the port, serves until stdin
/// closes.
pub(crate) fn run(latency: Duration) -> ! {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("server runtime");
    let listener = runtime
        .block_on(TcpListener::bind("127.0.0.1:0"))
        .expect("bind a loopback port");
    let port = listener.local_addr().expect("bound address").port();
    let answers = Arc::new(Answers::render(port));
    {
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "{port}")
            .and_then(|()| stdout.flush())
            .expect("announce the port");
    }
    // The parent holds our stdin; end-of-file means it is gone.
    std::thread::spawn(|| {
        let _ = std::io::stdin().read_to_end(&mut Vec::new());
        std::process::exit(0);
    });
    runtime.block_on(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                continue;
            };
            let _ = socket.set_nodelay(true);
            tokio::spawn(connection(socket, Arc::clone(&answers), latency));
        }
    })
}

/// Serves HTTP/1.1 requests on one keep-alive connection until the client
/// closes it. Requests have no body (GET only), so a request ends at the
/// blank line.
async fn connection(mut socket: TcpStream, answers: Arc<Answers>, latency: Duration) {
    let mut buffer = Vec::with_capacity(4096);
    let mut scanned = 0;
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
        let answer = answers.for_request(&buffer[..end]);
        buffer.drain(..end + 4);
        scanned = 0;
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
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

/// Every answer the server can give, as complete HTTP/1.1 responses.
struct Answers {
    path: String,
    pages: Vec<Arc<[u8]>>,
    wall: Arc<[u8]>,
    not_found: Arc<[u8]>,
}

impl Answers {
    fn render(port: u16) -> Answers {
        let template = version_template();
        let path = versions_path();
        let link = |page: usize| {
            format!("<http://127.0.0.1:{port}{path}?per_page={PER_PAGE}&page={page}>")
        };
        let pages = (1..=PAGES)
            .map(|page| {
                let items: Vec<Value> = ((page - 1) * PER_PAGE..(page * PER_PAGE).min(VERSIONS))
                    .map(|i| version(&template, i))
                    .collect();
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
                let mut headers =
                    vec![("content-type", "application/json; charset=utf-8".to_owned())];
                if !links.is_empty() {
                    headers.push(("link", links.join(", ")));
                }
                headers.extend(github_headers(page));
                response("200 OK", &headers, &body)
            })
            .collect();
        let json = [("content-type", "application/json; charset=utf-8".to_owned())];
        let wall = response(
            "400 Bad Request",
            &json,
            br#"{"message":"Pagination is limited to 10000 items.","documentation_url":"https://docs.github.com/rest/packages/packages","status":"400"}"#,
        );
        let not_found = response(
            "404 Not Found",
            &json,
            br#"{"message":"Not Found","documentation_url":"https://docs.github.com/rest","status":"404"}"#,
        );
        Answers {
            path,
            pages,
            wall,
            not_found,
        }
    }

    /// The answer to one request head (request line and headers).
    fn for_request(&self, head: &[u8]) -> Arc<[u8]> {
        let head = String::from_utf8_lossy(head);
        let target = head
            .lines()
            .next()
            .and_then(|line| line.strip_prefix("GET "))
            .and_then(|rest| rest.split(' ').next())
            .unwrap_or("");
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        if path != self.path {
            return Arc::clone(&self.not_found);
        }
        let params: HashMap<&str, &str> = query
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .collect();
        let number = |name: &str, default: usize| {
            params
                .get(name)
                .map_or(Some(default), |v| v.parse::<usize>().ok())
        };
        match (number("page", 1), number("per_page", 30)) {
            (Some(page), Some(PER_PAGE)) if (1..=PAGES).contains(&page) => {
                Arc::clone(&self.pages[page - 1])
            }
            // Pages past the 10,000th item, or page sizes this server did
            // not render: GitHub's pagination wall answer is as good as any.
            _ => Arc::clone(&self.wall),
        }
    }
}

/// Headers every GitHub REST answer carries; the client copies them into
/// each page, so they belong in the measurement.
fn github_headers(page: usize) -> Vec<(&'static str, String)> {
    vec![
        ("x-github-api-version-selected", "2022-11-28".to_owned()),
        ("x-ratelimit-limit", "5000".to_owned()),
        ("x-ratelimit-remaining", "4999".to_owned()),
        ("x-ratelimit-reset", "1767225600".to_owned()),
        ("x-ratelimit-used", "1".to_owned()),
        ("x-ratelimit-resource", "core".to_owned()),
        (
            "cache-control",
            "private, max-age=60, s-maxage=60".to_owned(),
        ),
        (
            "vary",
            "Accept, Authorization, Cookie, X-GitHub-OTP".to_owned(),
        ),
        ("x-github-media-type", "github.v3; format=json".to_owned()),
        (
            "x-github-request-id",
            format!("C0DE:1A2B:3C4D5E:{page:06X}:6789ABCD"),
        ),
    ]
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

/// One container version as the spec's `package-version-org` example shows
/// it (same fields as `package-versions-for-org`, whose example is npm).
fn version_template() -> Value {
    let spec: Value = serde_json::from_str(include_str!("../../spec/api.github.com.packages.json"))
        .expect("the checked-in spec is JSON");
    spec["components"]["examples"]["package-version-org"]["value"].clone()
}

/// Version `i` (0 is the newest): a distinct digest, id and dates; about a
/// third carry tags, as in a registry where most digests are untagged.
fn version(template: &Value, i: usize) -> Value {
    let id = 90_000_000 - i as i64;
    let digest: String = (0..4)
        .map(|k| format!("{:016x}", mix(i as u64 * 4 + k)))
        .collect();
    let created =
        chrono::DateTime::from_timestamp(1_748_736_000 - i as i64 * 2_161, 0).expect("in range");
    let updated = created + chrono::Duration::seconds((i % 7) as i64 * 61);
    let tags: Vec<String> = match i {
        0 => vec!["latest".into(), "2.41.0".into(), "2.41".into()],
        i if i % 3 == 0 => vec![
            format!("2.{}.{}", 40 - i / 250, i % 250),
            format!("sha-{}", &digest[..7]),
        ],
        _ => Vec::new(),
    };
    let mut v = template.clone();
    v["id"] = id.into();
    v["name"] = format!("sha256:{digest}").into();
    v["url"] =
        format!("https://api.github.com/orgs/{ORG}/packages/container/{PACKAGE}/versions/{id}")
            .into();
    v["package_html_url"] =
        format!("https://github.com/orgs/{ORG}/packages/container/package/{PACKAGE}").into();
    v["html_url"] =
        format!("https://github.com/orgs/{ORG}/packages/container/{PACKAGE}/{id}").into();
    v["created_at"] = created.format("%Y-%m-%dT%H:%M:%SZ").to_string().into();
    v["updated_at"] = updated.format("%Y-%m-%dT%H:%M:%SZ").to_string().into();
    v["metadata"]["container"]["tags"] = tags.into();
    v
}

/// splitmix64: stable pseudo-random digests without a dependency.
fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
