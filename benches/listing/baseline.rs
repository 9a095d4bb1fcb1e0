//! The baseline every benchmark compares against: a plain `reqwest::Client`
//! set up as a GitHub client would be, following `Link` by hand and
//! decoding each page with `serde_json::from_slice`. Shared by
//! benches/listing.rs and benches/octocrab so both measure the same loop.

use std::time::Duration;

use reqwest::header::{self, HeaderMap, HeaderValue};
use serde::de::DeserializeOwned;

use crate::server::{ORG, PACKAGE, PER_PAGE};

/// A `reqwest::Client` configured as the library configures its own: the
/// same default headers, timeouts and same-origin redirect policy. A TLS
/// provider is the caller's business (the bench server is plain http).
pub(crate) fn raw_client(base_url: &str) -> reqwest::Client {
    let mut headers = HeaderMap::new();
    headers.insert(
        header::USER_AGENT,
        HeaderValue::from_static("github-packages-bench"),
    );
    headers.insert(
        header::ACCEPT,
        HeaderValue::from_static("application/vnd.github+json"),
    );
    headers.insert(
        "x-github-api-version",
        HeaderValue::from_static("2022-11-28"),
    );
    let mut token = HeaderValue::from_static("Bearer t");
    token.set_sensitive(true);
    headers.insert(header::AUTHORIZATION, token);
    let origin = url::Url::parse(base_url).expect("base URL").origin();
    reqwest::Client::builder()
        .default_headers(headers)
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(30))
        .redirect(reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() < 5 && attempt.url().origin() == origin {
                attempt.follow()
            } else {
                attempt.stop()
            }
        }))
        .build()
        .expect("baseline reqwest client")
}

/// Every version of the bench package: GET, check the status, take
/// `rel="next"` from `Link`, read the body, decode it into `T`, append.
pub(crate) async fn list_raw<T: DeserializeOwned>(
    http: &reqwest::Client,
    base_url: &str,
) -> Vec<T> {
    let mut next = Some(format!(
        "{base_url}/orgs/{ORG}/packages/container/{PACKAGE}/versions?per_page={PER_PAGE}&page=1"
    ));
    let mut all = Vec::new();
    while let Some(url) = next.take() {
        let response = http.get(&url).send().await.expect("baseline request");
        assert!(
            response.status().is_success(),
            "baseline: {}",
            response.status()
        );
        next = response
            .headers()
            .get(header::LINK)
            .and_then(|value| value.to_str().ok())
            .and_then(next_target)
            .map(str::to_owned);
        let body = response.bytes().await.expect("baseline body");
        let items: Vec<T> = serde_json::from_slice(&body).expect("baseline decode");
        all.extend(items);
    }
    all
}

/// The target of the `rel="next"` entry of a `Link` header, the simple way.
fn next_target(link: &str) -> Option<&str> {
    let entry = link.split(',').find(|e| e.contains("rel=\"next\""))?;
    let open = entry.find('<')?;
    let close = entry.find('>')?;
    entry.get(open + 1..close)
}
