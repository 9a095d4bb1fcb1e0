//! The fake as a server: loopback only, gone when dropped, a 4xx (never a
//! crash) for requests that do not parse, clear errors for bad fixtures, the
//! same data for the same seed, and a request log.

mod fake_support;

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use github_packages::fake::{Clock, FakeError, FakeGitHub, Owner, Role};
use github_packages::{PackageType, Visibility};
use reqwest::Method;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use fake_support::{ALL, http, send};

fn noon() -> DateTime<Utc> {
    "2025-06-01T12:00:00Z".parse().unwrap()
}

#[tokio::test]
async fn the_fake_listens_on_loopback_only_and_stops_when_dropped() {
    let gh = FakeGitHub::start().await;
    let addr = gh.addr();
    assert!(addr.ip().is_loopback(), "{addr}");
    assert_eq!(addr.ip().to_string(), "127.0.0.1");
    assert_eq!(gh.url(), format!("http://{addr}"));
    // Nothing answers at that port on the machine's outward address, if it
    // has one (finding it sends no packet).
    let outward = std::net::UdpSocket::bind("0.0.0.0:0")
        .and_then(|s| s.connect("192.0.2.1:9").map(|()| s))
        .and_then(|s| s.local_addr())
        .map(|a| a.ip())
        .ok()
        .filter(|ip| !ip.is_loopback() && !ip.is_unspecified());
    if let Some(ip) = outward {
        let connect = tokio::net::TcpStream::connect((ip, addr.port()));
        let outcome = tokio::time::timeout(Duration::from_secs(2), connect).await;
        assert!(!matches!(outcome, Ok(Ok(_))), "reachable on {ip}");
    }

    let token = gh.token_with_scopes(ALL);
    let url = format!("{}/user/packages?package_type=npm", gh.url());
    assert_eq!(
        send(&http(), Method::GET, &url, Some(&token)).await.status,
        200
    );
    drop(gh);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "still listening"
    );
}

#[tokio::test]
async fn a_chosen_port_is_used_on_loopback_and_a_taken_one_is_an_error() {
    let first = FakeGitHub::start().await;
    let taken = first.addr().port();
    let error = FakeGitHub::builder().port(taken).start().await.unwrap_err();
    assert!(matches!(error, FakeError::Start { .. }), "{error:?}");
    assert!(
        error.to_string().contains(&format!("port {taken}")),
        "{error}"
    );
    drop(first);

    // Once free, the port can be chosen (the aborted server lets go of it
    // when its task is dropped, so allow a moment).
    let mut again = None;
    for _ in 0..50 {
        match FakeGitHub::builder().port(taken).start().await {
            Ok(gh) => {
                again = Some(gh);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
    let gh = again.expect("the freed port can be listened on again");
    assert_eq!(gh.addr().to_string(), format!("127.0.0.1:{taken}"));
}

/// Writes raw bytes to the fake and returns the status line it answers.
async fn raw(gh: &FakeGitHub, request: &[u8]) -> String {
    let mut stream = tokio::net::TcpStream::connect(gh.addr()).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer)).await;
    String::from_utf8_lossy(&answer)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn requests_that_do_not_parse_get_a_4xx() {
    let gh = FakeGitHub::start().await;
    gh.package(Owner::org("acme"), PackageType::Npm, "lib")
        .version("1.0.0")
        .create()
        .unwrap();
    let token = gh.token_with_scopes(ALL);
    let http = http();
    let cases: &[(&str, u16)] = &[
        ("/orgs/acme/packages?package_type=pip", 422),
        ("/orgs/acme/packages", 422),
        (
            "/orgs/acme/packages?package_type=npm&visibility=secret",
            422,
        ),
        (
            "/orgs/acme/packages?package_type=npm&page=-3&per_page=x",
            200,
        ),
        (
            "/orgs/acme/packages?package_type=npm&page=18446744073709551615",
            400,
        ),
        ("/orgs/acme/packages/pip/lib", 422),
        ("/orgs/acme/packages/npm/lib/versions?state=gone", 422),
        (
            "/orgs/acme/packages/npm/lib/versions?page=18446744073709551615&per_page=100",
            200,
        ),
        ("/orgs/acme/packages/npm/lib/versions/abc", 404),
        ("/orgs/acme/packages/npm/lib/versions/0", 404),
        ("/orgs/acme/packages/npm/%FF%FE", 404),
        ("/orgs/acme/packages/npm/lib/", 404),
        ("/orgs/acme//packages", 404),
        ("/repos/acme/lib", 404),
        // A GitHub token is no registry token: the challenge comes first.
        ("/v2/acme/lib/blobs/sha256:00", 401),
        ("/users/acme/packages?package_type=npm", 404),
        ("/orgs/octocat/packages?package_type=npm", 404),
    ];
    for (path, status) in cases {
        let reply = send(
            &http,
            Method::GET,
            &format!("{}{path}", gh.url()),
            Some(&token),
        )
        .await;
        assert_eq!(reply.status, *status, "{path}: {}", reply.text);
        if *status >= 400 && !path.starts_with("/v2/") {
            assert!(!reply.message().is_empty(), "{path}: {}", reply.text);
        }
    }
    let put = send(
        &http,
        Method::PUT,
        &format!("{}/user/packages", gh.url()),
        Some(&token),
    )
    .await;
    assert_eq!(put.status, 404);

    assert!(raw(&gh, b"NOT HTTP AT ALL\r\n\r\n").await.contains(" 400 "));
    let odd_header = b"GET /user/packages?package_type=npm HTTP/1.1\r\nhost: x\r\n\
                       authorization: Bearer \xff\xfe\r\nconnection: close\r\n\r\n";
    assert!(raw(&gh, odd_header).await.contains(" 401 "));
    let no_scheme = b"GET /user/packages?package_type=npm HTTP/1.1\r\nhost: x\r\n\
                      authorization: ghp_only\r\nconnection: close\r\n\r\n";
    assert!(raw(&gh, no_scheme).await.contains(" 401 "));
    let with_body = b"POST /orgs/acme/packages/npm/lib/restore HTTP/1.1\r\nhost: x\r\n\
                      content-length: 5\r\nconnection: close\r\n\r\nhello";
    assert!(raw(&gh, with_body).await.contains(" 401 "));
    // Still serving.
    let url = format!("{}/orgs/acme/packages/npm/lib", gh.url());
    assert_eq!(
        send(&http, Method::GET, &url, Some(&token)).await.status,
        200
    );
}

#[tokio::test]
async fn bad_fixtures_are_errors_that_say_what_is_wrong() {
    let gh = FakeGitHub::start().await;
    let org = || Owner::org("acme");
    let digest = format!("sha256:{}", "a".repeat(64));
    let cases: Vec<(Result<_, FakeError>, &str)> = vec![
        (
            gh.package(Owner::org("-bad"), PackageType::Npm, "x")
                .version("1")
                .create(),
            "owner",
        ),
        (
            gh.package(org(), PackageType::Npm, "")
                .version("1")
                .create(),
            "package name",
        ),
        (
            gh.package(org(), PackageType::Container, "App")
                .image()
                .create(),
            "package name",
        ),
        (
            gh.package(org(), PackageType::Container, "app")
                .version("v1")
                .create(),
            "version name",
        ),
        (
            gh.package(org(), PackageType::Npm, "x").image().create(),
            "image",
        ),
        (
            gh.package(org(), PackageType::Npm, "x")
                .version("1")
                .tags(["a"])
                .create(),
            "tags",
        ),
        (
            gh.package(org(), PackageType::Container, "app")
                .image()
                .tags(["bad tag"])
                .create(),
            "tag",
        ),
        (
            gh.package(org(), PackageType::Container, "app")
                .image()
                .platforms(["linux"])
                .create(),
            "platform",
        ),
        (
            gh.package(org(), PackageType::Container, "app")
                .image()
                .platforms(Vec::<String>::new())
                .create(),
            "platforms",
        ),
        (
            gh.package(org(), PackageType::Container, "app")
                .image()
                .attestations()
                .create(),
            "attestations",
        ),
        (
            gh.package(org(), PackageType::Container, "app")
                .version(digest.clone())
                .version(digest.clone())
                .create(),
            "version name",
        ),
        (
            gh.package(org(), PackageType::Npm, "x")
                .version("1")
                .created_at(noon())
                .deleted_at(noon() - TimeDelta::days(1))
                .create(),
            "deleted_at",
        ),
        (
            gh.package(org(), PackageType::Container, "app")
                .image()
                .manifest("", serde_json::json!([]))
                .create(),
            "manifest",
        ),
    ];
    for (i, (result, what)) in cases.into_iter().enumerate() {
        match result {
            Err(FakeError::Invalid {
                what: got, problem, ..
            }) => {
                assert_eq!(got, what, "case {i}: {problem}");
                assert!(!problem.is_empty());
            }
            other => panic!("case {i} ({what}): {other:?}"),
        }
    }
    // A refused fixture changes nothing: not even the organization exists.
    let token = gh.token_with_scopes(ALL);
    let url = format!("{}/orgs/acme/packages?package_type=npm", gh.url());
    assert_eq!(
        send(&http(), Method::GET, &url, Some(&token)).await.status,
        404
    );

    gh.package(org(), PackageType::Npm, "x")
        .version("1")
        .create()
        .unwrap();
    let clash = gh
        .package(Owner::user("acme"), PackageType::Npm, "y")
        .version("1")
        .create();
    assert!(
        clash
            .unwrap_err()
            .to_string()
            .contains("already exists as an organization")
    );
    assert!(gh.token_for("acme", &[]).is_err());
    assert!(
        FakeGitHub::builder()
            .login("not a login")
            .start()
            .await
            .is_err()
    );
}

#[tokio::test]
async fn extending_a_package_moves_tags_like_a_push() {
    let gh = FakeGitHub::start().await;
    let first = gh
        .package(Owner::org("acme"), PackageType::Container, "app")
        .image()
        .tags(["latest", "v1"])
        .create()
        .unwrap();
    let second = gh
        .package(Owner::org("acme"), PackageType::Container, "app")
        .visibility(Visibility::Public)
        .image()
        .tags(["latest", "v2"])
        .create()
        .unwrap();
    assert_eq!(first.id, second.id);
    let versions = gh.versions("acme", PackageType::Container, "app");
    assert_eq!(versions.len(), 2);
    let tags = |i: usize| {
        versions[i]
            .metadata
            .as_ref()
            .unwrap()
            .container
            .as_ref()
            .unwrap()
            .tags
            .clone()
    };
    assert_eq!(tags(0), ["latest", "v2"]);
    assert_eq!(tags(1), ["v1"]);
    let package = gh
        .find_package("acme", PackageType::Container, "app")
        .unwrap();
    assert_eq!(package.visibility, Visibility::Public);
    assert_eq!(package.version_count, 2);
}

/// Names, tags, dates and shapes of the sample data, without the URLs
/// (which carry the port).
fn fingerprint(gh: &FakeGitHub) -> Vec<(String, Vec<String>, String)> {
    gh.versions("acme", PackageType::Container, "app")
        .into_iter()
        .map(|v| {
            let tags = v
                .metadata
                .and_then(|m| m.container)
                .map(|c| c.tags)
                .unwrap_or_default();
            (v.name, tags, v.created_at.to_rfc3339())
        })
        .collect()
}

#[tokio::test]
async fn the_same_seed_gives_the_same_fake() {
    let start = |seed: u64| {
        FakeGitHub::builder()
            .clock(Clock::frozen(noon()))
            .seed(seed)
            .sample_data()
            .start()
    };
    let a = start(7).await.unwrap();
    let b = start(7).await.unwrap();
    let c = start(8).await.unwrap();
    assert_eq!(fingerprint(&a), fingerprint(&b));
    assert_ne!(fingerprint(&a), fingerprint(&c));
    assert_eq!(a.token_with_scopes(ALL), b.token_with_scopes(ALL));

    let versions = fingerprint(&a);
    assert!((280..=320).contains(&versions.len()), "{}", versions.len());
    let oldest = DateTime::parse_from_rfc3339(&versions.last().unwrap().2).unwrap();
    assert!(oldest >= noon() - TimeDelta::days(90), "{oldest}");
    let tagged = |prefix: &str| {
        versions
            .iter()
            .filter(|v| v.1.iter().any(|t| t.starts_with(prefix)))
            .count()
    };
    assert_eq!(tagged("latest"), 1);
    assert!(tagged("pr-") >= 30);
    assert!(tagged("v1.") >= 9);
    assert!(versions.iter().filter(|v| v.1.is_empty()).count() > 150);

    let token = a.token_with_scopes(ALL);
    let http = http();
    let conflicts = send(
        &http,
        Method::GET,
        &format!("{}/orgs/acme/docker/conflicts", a.url()),
        Some(&token),
    )
    .await;
    assert_eq!(conflicts.json()[0]["name"], "legacy");
    for ty in ["container", "npm", "maven", "nuget", "rubygems", "docker"] {
        let listed = send(
            &http,
            Method::GET,
            &format!("{}/orgs/acme/packages?package_type={ty}", a.url()),
            Some(&token),
        )
        .await;
        assert!(!listed.ids().is_empty(), "{ty}");
    }
    let mine = send(
        &http,
        Method::GET,
        &format!("{}/user/packages?package_type=container", a.url()),
        Some(&token),
    )
    .await;
    assert_eq!(mine.json()[0]["name"], "hello");
}

#[tokio::test]
async fn the_log_records_every_request() {
    let clock = Clock::frozen(noon());
    let gh = FakeGitHub::builder()
        .clock(clock.clone())
        .start()
        .await
        .unwrap();
    let app = gh
        .package(Owner::org("acme"), PackageType::Container, "team/app")
        .image()
        .tags(["v1"])
        .platforms(["linux/amd64"])
        .create()
        .unwrap();
    assert!(matches!(app.versions[1].role, Role::Index { .. }));
    let token = gh.token_with_scopes(ALL);
    let http = http();
    let url = format!(
        "{}/orgs/acme/packages/container/team%2Fapp/versions?per_page=1&page=2",
        gh.url()
    );
    send(&http, Method::GET, &url, Some(&token)).await;
    clock.advance(Duration::from_secs(5));
    send(&http, Method::GET, &format!("{}/nowhere", gh.url()), None).await;
    let log = gh.requests();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].method, http::Method::GET);
    assert_eq!(
        log[0].path,
        "/orgs/acme/packages/container/team%2Fapp/versions"
    );
    assert_eq!(log[0].query.as_deref(), Some("per_page=1&page=2"));
    assert_eq!(log[0].query_param("page").as_deref(), Some("2"));
    assert_eq!(log[0].status, Some(200));
    assert_eq!(log[0].at, noon());
    // A path the fake does not model is its 404, even without a token.
    assert_eq!(
        (log[1].status, log[1].at),
        (Some(404), noon() + TimeDelta::seconds(5))
    );
    gh.clear_requests();
    assert!(gh.requests().is_empty());
}

#[tokio::test]
async fn paths_outside_the_model_say_so_in_their_404() {
    let gh = FakeGitHub::start().await;
    gh.package(Owner::org("acme"), PackageType::Npm, "lib")
        .version("1.0.0")
        .create()
        .unwrap();
    let token = gh.token_with_scopes(ALL);
    let http = http();
    let get = |path: &str, token: Option<&str>| {
        let url = format!("{}{path}", gh.url());
        let http = http.clone();
        let token = token.map(str::to_owned);
        async move { send(&http, Method::GET, &url, token.as_deref()).await }
    };
    for token in [Some(token.as_str()), None] {
        for path in [
            "/repos/acme/lib",
            "/orgs/acme",
            "/users/acme/repos",
            "/rate_limit",
        ] {
            let reply = get(path, token).await;
            assert_eq!(reply.status, 404, "{path}: {}", reply.text);
            let message = reply.message();
            assert!(
                message.contains(&format!("the fake GitHub does not model GET {path}")),
                "{path}: {message}"
            );
        }
    }
    // Inside the modelled area a 404 is GitHub's own.
    for path in ["/orgs/acme/packages/npm/lib/versions/abc", "/users/nobody"] {
        let reply = get(path, Some(&token)).await;
        assert_eq!(
            (reply.status, reply.message().as_str()),
            (404, "Not Found"),
            "{path}"
        );
    }
    // Credentials are still checked first, as GitHub does everywhere.
    assert_eq!(get("/repos/acme/lib", Some("ghp_nope")).await.status, 401);
}
