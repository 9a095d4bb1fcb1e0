//! The registry beside the API: the bearer-token flow ghpkg follows, image
//! indexes and Docker manifest lists whose children are untagged versions
//! of the same package, attestations, cosign tags and referrers.

mod fake_support;

use base64::Engine as _;
use github_packages::fake::{FakeGitHub, Owner, Role};
use github_packages::{PackageType, Visibility};
use reqwest::Method;
use serde_json::Value;

use fake_support::{ALL, Reply, http, send, unlimited};

const ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
     application/vnd.docker.distribution.manifest.list.v2+json, \
     application/vnd.oci.image.manifest.v1+json, \
     application/vnd.docker.distribution.manifest.v2+json";

/// `Basic base64(user:password)`.
fn basic(password: &str) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("ghpkg:{password}"));
    format!("Basic {encoded}")
}

/// Reads the parameters of a `Bearer realm=..,service=..,scope=..` challenge.
fn challenge(value: &str) -> Vec<(String, String)> {
    let rest = value.strip_prefix("Bearer ").expect("a Bearer challenge");
    rest.split("\",")
        .map(|pair| {
            let (key, value) = pair.split_once('=').expect("key=value");
            (key.to_owned(), value.trim_matches('"').to_owned())
        })
        .collect()
}

async fn registry_token(gh: &FakeGitHub, github_token: Option<&str>) -> Reply {
    let mut request = http().get(format!(
        "{}/token?service=x&scope=repository:acme/app:pull",
        gh.url()
    ));
    if let Some(token) = github_token {
        request = request.header("authorization", basic(token));
    }
    let answer = request.send().await.unwrap();
    Reply {
        status: answer.status().as_u16(),
        headers: answer.headers().clone(),
        text: answer.text().await.unwrap(),
    }
}

async fn manifest(
    gh: &FakeGitHub,
    image: &str,
    reference: &str,
    bearer: Option<&str>,
    accept: &str,
) -> Reply {
    let mut request = http()
        .get(format!("{}/v2/{image}/manifests/{reference}", gh.url()))
        .header("accept", accept);
    if let Some(bearer) = bearer {
        request = request.bearer_auth(bearer);
    }
    let answer = request.send().await.unwrap();
    Reply {
        status: answer.status().as_u16(),
        headers: answer.headers().clone(),
        text: answer.text().await.unwrap(),
    }
}

#[tokio::test]
async fn the_token_flow_leads_to_an_index_whose_children_are_untagged_versions() {
    let gh = unlimited().await;
    let app = gh
        .package(Owner::org("acme"), PackageType::Container, "app")
        .image()
        .tags(["v1", "latest"])
        .platforms(["linux/amd64", "linux/arm64"])
        .attestations()
        .create()
        .unwrap();
    let index = app.tagged("latest").unwrap();
    let github_token = gh.token_with_scopes(&["read:packages"]);

    // Anonymous: a challenge that names the realm on the same origin.
    let refused = manifest(&gh, "acme/app", &index.name, None, ACCEPT).await;
    assert_eq!(refused.status, 401);
    let params = challenge(refused.header("www-authenticate").unwrap());
    assert_eq!(
        params[0],
        ("realm".to_owned(), format!("{}/token", gh.url()))
    );
    assert_eq!(params[1].0, "service");
    assert_eq!(
        params[2],
        ("scope".to_owned(), "repository:acme/app:pull".to_owned())
    );

    let issued = registry_token(&gh, Some(&github_token)).await;
    assert_eq!(issued.status, 200);
    let bearer = issued.json()["token"].as_str().unwrap().to_owned();
    assert_eq!(issued.json()["access_token"], bearer.as_str());

    for reference in [index.name.as_str(), "latest", "v1"] {
        let got = manifest(&gh, "acme/app", reference, Some(&bearer), ACCEPT).await;
        assert_eq!(got.status, 200, "{reference}: {}", got.text);
        assert_eq!(
            got.header("content-type"),
            Some("application/vnd.oci.image.index.v1+json")
        );
        assert_eq!(
            got.header("docker-content-digest"),
            Some(index.name.as_str())
        );
    }
    assert_eq!(gh.manifest_reads(&index.name), 3);

    let body = manifest(&gh, "acme/app", "latest", Some(&bearer), ACCEPT)
        .await
        .json();
    let descriptors = body["manifests"].as_array().unwrap();
    assert_eq!(descriptors.len(), 4);
    let token = gh.token_with_scopes(ALL);
    let listed = send(
        &http(),
        Method::GET,
        &format!("{}/orgs/acme/packages/container/app/versions", gh.url()),
        Some(&token),
    )
    .await
    .json();
    for descriptor in descriptors {
        let digest = descriptor["digest"].as_str().unwrap();
        let version = listed
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == digest)
            .unwrap_or_else(|| panic!("{digest} is no version of acme/app"));
        assert_eq!(
            version["metadata"]["container"]["tags"],
            serde_json::json!([])
        );
        let child = app.named(digest).unwrap();
        let attestation =
            descriptor["annotations"]["vnd.docker.reference.type"] == "attestation-manifest";
        assert_eq!(attestation, descriptor["platform"]["os"] == "unknown");
        match &child.role {
            Role::Platform { index: i, .. } => assert!(!attestation && *i == index.id),
            Role::Attestation { index: i, .. } => assert!(attestation && *i == index.id),
            other => panic!("unexpected child {other:?}"),
        }
        let leaf = manifest(&gh, "acme/app", digest, Some(&bearer), ACCEPT).await;
        assert_eq!(leaf.status, 200);
        assert_eq!(
            leaf.header("content-type"),
            Some("application/vnd.oci.image.manifest.v1+json")
        );
    }
    let attested = &descriptors[2]["annotations"]["vnd.docker.reference.digest"];
    assert_eq!(attested, &descriptors[0]["digest"]);

    let tags = http()
        .get(format!("{}/v2/acme/app/tags/list", gh.url()))
        .bearer_auth(&bearer)
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(tags["tags"], serde_json::json!(["latest", "v1"]));
}

#[tokio::test]
async fn docker_manifest_lists_and_accept_headers() {
    let gh = unlimited().await;
    let app = gh
        .package(Owner::org("acme"), PackageType::Container, "app")
        .image()
        .tags(["v1"])
        .platforms(["linux/s390x"])
        .docker_manifest_list()
        .create()
        .unwrap();
    let bearer = registry_token(&gh, Some(&gh.token_with_scopes(&["read:packages"])))
        .await
        .json()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let list = manifest(&gh, "acme/app", "v1", Some(&bearer), ACCEPT).await;
    assert_eq!(
        list.header("content-type"),
        Some("application/vnd.docker.distribution.manifest.list.v2+json")
    );
    let child = &list.json()["manifests"][0];
    assert_eq!(
        child["mediaType"],
        "application/vnd.docker.distribution.manifest.v2+json"
    );
    assert_eq!(child["platform"]["architecture"], "s390x");
    assert_eq!(child["digest"], app.versions[0].name.as_str());

    // A client that cannot read indexes is not handed one.
    let single_only = manifest(
        &gh,
        "acme/app",
        "v1",
        Some(&bearer),
        "application/vnd.docker.distribution.manifest.v2+json",
    )
    .await;
    assert_eq!(single_only.status, 404);
    assert_eq!(single_only.json()["errors"][0]["code"], "MANIFEST_UNKNOWN");

    let head = http()
        .head(format!("{}/v2/acme/app/manifests/v1", gh.url()))
        .bearer_auth(&bearer)
        .header("accept", ACCEPT)
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 200);
    assert!(head.headers().contains_key("docker-content-digest"));
    assert_eq!(
        gh.manifest_reads(&app.versions[1].name),
        1,
        "HEAD reads no manifest"
    );
}

#[tokio::test]
async fn the_token_service_checks_the_github_token() {
    let gh = unlimited().await;
    gh.package(Owner::org("acme"), PackageType::Container, "app")
        .image()
        .tags(["v1"])
        .create()
        .unwrap();
    gh.package(Owner::org("acme"), PackageType::Container, "site")
        .visibility(Visibility::Public)
        .image()
        .tags(["v1"])
        .create()
        .unwrap();
    assert_eq!(registry_token(&gh, Some("ghp_unknown")).await.status, 401);
    let no_scope = gh.token_with_scopes(&["repo"]);
    assert_eq!(registry_token(&gh, Some(&no_scope)).await.status, 401);
    let garbage = http()
        .get(format!("{}/token", gh.url()))
        .header("authorization", "Basic %%%")
        .send()
        .await
        .unwrap();
    assert_eq!(garbage.status(), 401);

    // Without credentials: a token for public images only.
    let anonymous = registry_token(&gh, None).await.json()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        manifest(&gh, "acme/site", "v1", Some(&anonymous), ACCEPT)
            .await
            .status,
        200
    );
    let denied = manifest(&gh, "acme/app", "v1", Some(&anonymous), ACCEPT).await;
    assert_eq!(denied.status, 403);
    assert_eq!(denied.json()["errors"][0]["code"], "DENIED");
    let unknown = manifest(&gh, "acme/nope", "v1", Some(&anonymous), ACCEPT).await;
    assert_eq!(unknown.json()["errors"][0]["code"], "NAME_UNKNOWN");
    let stale = manifest(&gh, "acme/site", "v1", Some("not-issued"), ACCEPT).await;
    assert_eq!(stale.status, 401);
    let base = http()
        .get(format!("{}/v2/", gh.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(base.status(), 401);
    assert!(base.headers().contains_key("www-authenticate"));
}

#[tokio::test]
async fn deleted_versions_leave_the_registry_and_come_back() {
    let gh = unlimited().await;
    let app = gh
        .package(Owner::org("acme"), PackageType::Container, "app")
        .image()
        .tags(["v1"])
        .image()
        .tags(["v2"])
        .create()
        .unwrap();
    let token = gh.token_with_scopes(ALL);
    let bearer = registry_token(&gh, Some(&token)).await.json()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let v1 = app.tagged("v1").unwrap();
    let version = format!(
        "{}/orgs/acme/packages/container/app/versions/{}",
        gh.url(),
        v1.id
    );
    assert_eq!(
        send(&http(), Method::DELETE, &version, Some(&token))
            .await
            .status,
        204
    );
    assert_eq!(
        manifest(&gh, "acme/app", "v1", Some(&bearer), ACCEPT)
            .await
            .status,
        404
    );
    assert_eq!(
        manifest(&gh, "acme/app", &v1.name, Some(&bearer), ACCEPT)
            .await
            .status,
        404
    );
    let restore = format!("{version}/restore");
    assert_eq!(
        send(&http(), Method::POST, &restore, Some(&token))
            .await
            .status,
        204
    );
    let back = manifest(&gh, "acme/app", "v1", Some(&bearer), ACCEPT).await;
    assert_eq!(back.status, 200);
    assert_eq!(back.header("docker-content-digest"), Some(v1.name.as_str()));
}

#[tokio::test]
async fn cosign_tags_and_referrers_follow_their_subject() {
    let gh = unlimited().await;
    let app = gh
        .package(Owner::org("acme"), PackageType::Container, "app")
        .image()
        .tags(["v1"])
        .cosign_signature()
        .cosign_attestation()
        .referrer()
        .create()
        .unwrap();
    let subject = app.tagged("v1").unwrap();
    let hex = subject.name.strip_prefix("sha256:").unwrap();
    let sig = app.tagged(&format!("sha256-{hex}.sig")).unwrap();
    assert_eq!(
        sig.role,
        Role::CosignSignature {
            subject: subject.id
        }
    );
    let att = app.tagged(&format!("sha256-{hex}.att")).unwrap();
    assert_eq!(
        att.role,
        Role::CosignAttestation {
            subject: subject.id
        }
    );
    let referrers = app.tagged(&format!("sha256-{hex}")).unwrap();
    assert_eq!(
        referrers.role,
        Role::ReferrersIndex {
            subject: subject.id
        }
    );
    let bundle = app
        .versions
        .iter()
        .find(|v| {
            v.role
                == Role::Referrer {
                    subject: subject.id,
                }
        })
        .unwrap();
    assert!(bundle.tags.is_empty());

    let bearer = registry_token(&gh, Some(&gh.token_with_scopes(&["read:packages"])))
        .await
        .json()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let signature = manifest(&gh, "acme/app", &sig.tags[0], Some(&bearer), ACCEPT)
        .await
        .json();
    assert_eq!(
        signature["layers"][0]["mediaType"],
        "application/vnd.dev.cosign.simplesigning.v1+json"
    );
    let index = manifest(&gh, "acme/app", &referrers.tags[0], Some(&bearer), ACCEPT)
        .await
        .json();
    assert_eq!(index["manifests"][0]["digest"], bundle.name.as_str());
    let artifact = manifest(&gh, "acme/app", &bundle.name, Some(&bearer), ACCEPT)
        .await
        .json();
    assert_eq!(artifact["subject"]["digest"], subject.name.as_str());
    assert_eq!(
        artifact["artifactType"],
        "application/vnd.dev.sigstore.bundle.v0.3+json"
    );
}
