//! This crate's own client against the fake: a paged listing, a delete,
//! and GitHub's refusal reaching the caller. Kept small on purpose: the
//! client's API is being reshaped (issue 10) and this is the one file to
//! touch when it lands.

use github_packages::fake::{FakeGitHub, Owner};
use github_packages::{Client, PackageType, Scope};

#[tokio::test]
async fn the_client_lists_and_deletes_against_the_fake() {
    let gh = FakeGitHub::start().await;
    let mut builder = gh
        .package(Owner::org("acme"), PackageType::Container, "app")
        .image()
        .tags(["v1"])
        .package();
    for _ in 0..250 {
        builder = builder.image().package();
    }
    let app = builder.create().unwrap();
    let client = Client::builder()
        .base_url(gh.url())
        .token(gh.token_with_scopes(&["read:packages", "delete:packages"]))
        .build()
        .unwrap();
    let org = Scope::org("acme");
    let packages = client.packages(&org);

    let listed = packages
        .versions(PackageType::Container, "app")
        .send()
        .await
        .unwrap();
    let mut ids: Vec<i64> = listed.iter().map(|v| v.id).collect();
    ids.reverse();
    assert_eq!(ids, app.ids(), "every version, newest first, over 3 pages");
    let pages = gh
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/versions"))
        .count();
    assert_eq!(pages, 3);

    let untagged = app.versions[1].id;
    packages
        .version(PackageType::Container, "app", untagged)
        .delete()
        .await
        .unwrap();
    assert_eq!(
        gh.deleted_ids("acme", PackageType::Container, "app"),
        [untagged]
    );

    let refused = packages
        .version(PackageType::Container, "app", app.versions[0].id)
        .delete()
        .await
        .unwrap_err();
    assert!(refused.is_rejected(), "{refused:?}");
    assert_eq!(
        refused.message(),
        Some(
            "You cannot delete the last tagged version of a package. You must delete the package instead."
        )
    );
}

/// A client that addresses the fake as `localhost` gets `Link` headers and
/// registry token realms on `localhost` too: they stay on the origin it
/// trusts, so paging (which follows links only within the origin) and the
/// registry's token flow work whichever loopback name a tool was given.
#[tokio::test]
async fn a_client_that_says_localhost_is_answered_on_localhost() {
    let gh = FakeGitHub::start().await;
    let mut builder = gh
        .package(Owner::org("acme"), PackageType::Container, "app")
        .image()
        .package();
    for _ in 0..149 {
        builder = builder.image().package();
    }
    builder.create().unwrap();
    let localhost = gh.url().replace("127.0.0.1", "localhost");
    let client = Client::builder()
        .base_url(localhost.as_str())
        .token(gh.token_with_scopes(&["read:packages"]))
        .build()
        .unwrap();
    let listed = client
        .packages(Scope::org("acme"))
        .versions(PackageType::Container, "app")
        .per_page(100)
        .send()
        .await
        .unwrap();
    assert_eq!(
        listed.len(),
        150,
        "both pages, through the link on localhost"
    );

    let answer = raw_get(&format!("{localhost}/v2/")).await;
    assert_eq!(answer.0, 401);
    assert!(
        answer.1.contains(&format!("realm=\"{localhost}/token\"")),
        "{}",
        answer.1
    );
    let by_address = raw_get(&format!("{}/v2/", gh.url())).await;
    assert!(
        by_address
            .1
            .contains(&format!("realm=\"{}/token\"", gh.url()))
    );
}

/// The status and `WWW-Authenticate` header of a GET to `url`, over a bare
/// connection (the crate's client only speaks to the API).
async fn raw_get(url: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let parsed = url::Url::parse(url).unwrap();
    let port = parsed.port().unwrap();
    let host = format!("{}:{port}", parsed.host_str().unwrap());
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let request = format!(
        "GET {} HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\n\r\n",
        parsed.path()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    let status = answer[9..12].parse().unwrap();
    let challenge = answer
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("www-authenticate:"))
        .unwrap_or_default()
        .to_owned();
    (status, challenge)
}
