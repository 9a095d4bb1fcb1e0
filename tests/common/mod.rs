//! Helpers shared by the integration tests: a client aimed at a loopback
//! mock server, with no pacing and tiny waits so fault tests stay fast.
#![allow(dead_code, unreachable_pub)]

pub mod scripted;

use std::time::Duration;

use github_packages::{Client, ClientBuilder, Error, Package, PackageType, Scope};
use httpmock::prelude::*;

pub const TOKEN: &str = "ghp_test_token_never_printed_0123456789";

/// A builder aimed at `server`, with a token, no pacing and millisecond
/// backoff.
pub fn builder(server: &MockServer) -> ClientBuilder {
    builder_for(&server.base_url())
}

/// The same fast test builder for any base URL.
pub fn builder_for(base_url: &str) -> ClientBuilder {
    Client::builder()
        .base_url(base_url)
        .token(TOKEN)
        .retry_backoff(Duration::from_millis(1), Duration::from_millis(5))
        .secondary_rate_limit_wait(Duration::from_millis(20))
        .min_write_interval(Duration::ZERO)
        .points_per_minute(0)
}

/// Builds `builder` and gets npm package `app` of organization `o` with it:
/// the one call many fault tests need.
pub async fn get_app(builder: ClientBuilder) -> Result<Package, Error> {
    let gh = builder.build().expect("client builds");
    gh.packages(Scope::org("o"))
        .get(PackageType::Npm, "app")
        .await
}

pub fn client(server: &MockServer) -> Client {
    builder(server).build().expect("client builds")
}

/// A mock that answers any request no other mock took with 599, so an
/// unexpected request fails the test loudly. Create it last (httpmock tries
/// mocks in creation order) and assert it saw no calls at the end.
pub fn catch_all(server: &MockServer) -> httpmock::Mock<'_> {
    server.mock(|when, then| {
        when.any_request();
        then.status(599).body("unexpected request");
    })
}
