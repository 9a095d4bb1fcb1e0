//! The fake's rate limits behave as GitHub documents them: headers on every
//! answer, the hourly quota, the secondary budget answered with
//! `retry-after`, and the cap on concurrent requests.

mod fake_support;

use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::future::join_all;
use github_packages::PackageType;
use github_packages::fake::{Clock, FakeGitHub};
use reqwest::Method;

use fake_support::{ALL, acme_app, http, send};

const VERSIONS: &str = "/orgs/acme/packages/container/app/versions";

fn noon() -> DateTime<Utc> {
    "2025-06-01T12:00:00Z".parse().unwrap()
}

/// The ids of acme/app's `untagged` untagged images.
fn app(gh: &FakeGitHub, untagged: usize) -> Vec<i64> {
    acme_app(gh, untagged).ids()[1..].to_vec()
}

#[tokio::test]
async fn every_answer_counts_against_the_hourly_quota() {
    let clock = Clock::frozen(noon());
    let gh = FakeGitHub::builder().clock(clock).start().await.unwrap();
    app(&gh, 1);
    let token = gh.token_with_scopes(ALL);
    let http = http();
    let url = format!("{}{VERSIONS}", gh.url());
    for n in 1..=3u32 {
        let reply = send(&http, Method::GET, &url, Some(&token)).await;
        assert_eq!(reply.header("x-ratelimit-limit"), Some("5000"));
        assert_eq!(
            reply.header("x-ratelimit-used"),
            Some(n.to_string().as_str())
        );
        assert_eq!(
            reply.header("x-ratelimit-remaining"),
            Some((5000 - n).to_string().as_str())
        );
        assert_eq!(
            reply.header("x-ratelimit-reset"),
            Some((noon().timestamp() + 3600).to_string().as_str())
        );
        assert_eq!(reply.header("x-ratelimit-resource"), Some("core"));
    }
    // Errors count too, and requests without a token have their own quota.
    let missing = send(&http, Method::GET, &format!("{url}/1"), Some(&token)).await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.header("x-ratelimit-used"), Some("4"));
    let anonymous = send(&http, Method::GET, &url, None).await;
    assert_eq!(anonymous.header("x-ratelimit-limit"), Some("60"));
    assert_eq!(anonymous.header("x-ratelimit-used"), Some("1"));
}

#[tokio::test]
async fn an_exhausted_quota_is_refused_until_it_resets() {
    for status in [403, 429] {
        let clock = Clock::frozen(noon());
        let gh = FakeGitHub::builder()
            .clock(clock.clone())
            .primary_limit(2)
            .primary_limit_status(status)
            .start()
            .await
            .unwrap();
        app(&gh, 1);
        let token = gh.token_with_scopes(ALL);
        let http = http();
        let url = format!("{}{VERSIONS}", gh.url());
        for _ in 0..2 {
            assert_eq!(
                send(&http, Method::GET, &url, Some(&token)).await.status,
                200
            );
        }
        let refused = send(&http, Method::GET, &url, Some(&token)).await;
        assert_eq!(refused.status, status);
        assert!(
            refused
                .message()
                .starts_with("API rate limit exceeded for user ID"),
            "{}",
            refused.text
        );
        assert_eq!(refused.header("x-ratelimit-remaining"), Some("0"));
        assert_eq!(refused.header("x-ratelimit-used"), Some("2"));
        let reset: i64 = refused
            .header("x-ratelimit-reset")
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(reset, noon().timestamp() + 3600);

        clock.advance(Duration::from_secs(3600));
        let again = send(&http, Method::GET, &url, Some(&token)).await;
        assert_eq!(again.status, 200);
        assert_eq!(again.header("x-ratelimit-remaining"), Some("1"));
    }
    assert!(
        FakeGitHub::builder()
            .primary_limit_status(500)
            .start()
            .await
            .is_err()
    );
}

/// GitHub's budget: 900 points a minute, a DELETE costs 5, so the 181st
/// DELETE within a minute is refused, with `retry-after`.
#[tokio::test]
async fn writes_over_the_secondary_budget_get_retry_after() {
    let clock = Clock::frozen(noon());
    let gh = FakeGitHub::builder()
        .clock(clock.clone())
        .start()
        .await
        .unwrap();
    let ids = app(&gh, 181);
    let token = gh.token_with_scopes(ALL);
    let http = http();
    for (n, id) in ids.iter().take(180).enumerate() {
        if n == 90 {
            // Half the budget now, half 30 seconds later.
            clock.advance(Duration::from_secs(30));
        }
        let url = format!("{}{VERSIONS}/{id}", gh.url());
        assert_eq!(
            send(&http, Method::DELETE, &url, Some(&token)).await.status,
            204
        );
    }
    let url = format!("{}{VERSIONS}/{}", gh.url(), ids[180]);
    let refused = send(&http, Method::DELETE, &url, Some(&token)).await;
    assert_eq!(refused.status, 403);
    assert!(
        refused
            .message()
            .starts_with("You have exceeded a secondary rate limit"),
        "{}",
        refused.text
    );
    // The first 450 points come back 60 s after they were spent, 30 s from
    // now.
    assert_eq!(refused.header("retry-after"), Some("30"));
    assert_eq!(
        gh.deleted_ids("acme", PackageType::Container, "app").len(),
        180
    );
    // Reads are refused too: the budget is spent.
    let read = send(
        &http,
        Method::GET,
        &format!("{}{VERSIONS}", gh.url()),
        Some(&token),
    )
    .await;
    assert_eq!(read.status, 403);

    clock.advance(Duration::from_secs(30));
    assert_eq!(
        send(&http, Method::DELETE, &url, Some(&token)).await.status,
        204
    );

    // Off means off.
    let gh = FakeGitHub::builder()
        .clock(Clock::frozen(noon()))
        .no_secondary_limit()
        .start()
        .await
        .unwrap();
    let ids = app(&gh, 200);
    let token = gh.token_with_scopes(ALL);
    for id in ids {
        let url = format!("{}{VERSIONS}/{id}", gh.url());
        assert_eq!(
            send(&http, Method::DELETE, &url, Some(&token)).await.status,
            204
        );
    }
}

#[tokio::test]
async fn requests_beyond_the_concurrency_cap_are_refused() {
    let gh = FakeGitHub::builder()
        .no_primary_limit()
        .no_secondary_limit()
        .start()
        .await
        .unwrap();
    app(&gh, 1);
    let token = gh.token_with_scopes(ALL);
    // Every listing holds its place for a while, so 105 at once overlap.
    gh.fault("GET", VERSIONS)
        .latency(Duration::from_secs(2))
        .unwrap();
    let http = http();
    let url = format!("{}{VERSIONS}", gh.url());
    let replies = join_all((0..105).map(|_| send(&http, Method::GET, &url, Some(&token)))).await;
    let refused: Vec<_> = replies.iter().filter(|r| r.status == 403).collect();
    assert_eq!(refused.len(), 5, "GitHub allows 100 at once");
    assert_eq!(replies.iter().filter(|r| r.status == 200).count(), 100);
    assert!(refused[0].message().contains("secondary rate limit"));
    assert!(refused[0].header("retry-after").is_some());
    assert_eq!(gh.in_flight(), 0);

    let unlimited = FakeGitHub::builder()
        .without_rate_limits()
        .start()
        .await
        .unwrap();
    app(&unlimited, 1);
    let token = unlimited.token_with_scopes(ALL);
    unlimited
        .fault("GET", VERSIONS)
        .latency(Duration::from_millis(300))
        .unwrap();
    let url = format!("{}{VERSIONS}", unlimited.url());
    let replies = join_all((0..110).map(|_| send(&http, Method::GET, &url, Some(&token)))).await;
    assert!(replies.iter().all(|r| r.status == 200));
    assert!(replies[0].header("x-ratelimit-limit").is_none());
}
