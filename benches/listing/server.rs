//! The loopback server the listing benchmark talks to: one package with
//! `VERSIONS` versions shaped like GitHub's answer, 100 per page, with
//! GitHub-style `Link` headers and an optional delay before each answer.
//!
//! It runs in a child process (the benchmark binary re-executed with
//! `--serve`) so its CPU time never counts against the client being measured.
//! Every answer is rendered once at start-up, so serving costs little more
//! than a `write`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

#[path = "../common/loopback.rs"]
mod loopback;

pub(crate) use loopback::ServerProcess;
use loopback::{Handler, github_headers, link_header, response};

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

/// The `--serve` entry point: binds, prints the port, serves until stdin
/// closes.
pub(crate) fn run(latency: Duration) -> ! {
    loopback::serve(
        |port| Listing {
            answers: Answers::render(port),
            latency,
        },
        |command| format!("unknown command `{command}`"),
    )
}

/// The pages, answered after the added latency.
struct Listing {
    answers: Answers,
    latency: Duration,
}

impl Handler for Listing {
    async fn answer(&self, head: &[u8], _idle: Option<Duration>) -> Arc<[u8]> {
        let answer = self.answers.for_request(head);
        if !self.latency.is_zero() {
            tokio::time::sleep(self.latency).await;
        }
        answer
    }
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
        let url_of_page =
            |page: usize| format!("http://127.0.0.1:{port}{path}?per_page={PER_PAGE}&page={page}");
        let pages = (1..=PAGES)
            .map(|page| {
                let items: Vec<Value> = ((page - 1) * PER_PAGE..(page * PER_PAGE).min(VERSIONS))
                    .map(|i| version(&template, i))
                    .collect();
                let body = serde_json::to_vec(&items).expect("render a page");
                let mut headers =
                    vec![("content-type", "application/json; charset=utf-8".to_owned())];
                if let Some(links) = link_header(url_of_page, page, PAGES) {
                    headers.push(("link", links));
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
        let (path, query) = loopback::target(head);
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
