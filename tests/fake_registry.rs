//! The registry beside the API: the bearer-token flow ghpkg follows, image
//! indexes and Docker manifest lists whose children are untagged versions
//! of the same package, attestations, cosign tags and referrers.

mod fake_support;

use base64::Engine as _;
use github_packages::fake::{FakeGitHub, Owner, Role};
use github_packages::{PackageType, Visibility};
use reqwest::Method;
use serde_json::Value;

use fake_support::{ALL, Reply, acme_app, http, send, unlimited};

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

/// A registry token for `scope` (`repository:acme/app:pull`).
async fn token_for_scope(gh: &FakeGitHub, github_token: Option<&str>, scope: &str) -> Reply {
    let mut request = http().get(format!("{}/token?service=x&scope={scope}", gh.url()));
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

/// A registry token that may pull `acme/app`.
async fn registry_token(gh: &FakeGitHub, github_token: Option<&str>) -> Reply {
    token_for_scope(gh, github_token, "repository:acme/app:pull").await
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
    let anonymous = token_for_scope(
        &gh,
        None,
        "repository:acme/site:pull repository:acme/app:pull repository:acme/nope:pull",
    )
    .await
    .json()["token"]
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

/// A small OCI image manifest, as an untag pushes one, and its sha256.
const PUSHED: &str = r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[],"annotations":{"io.example.untag":"v1.9"}}"#;
const PUSHED_DIGEST: &str =
    "sha256:d2830f04d1087611605739b1b0fb031851def37338de9dceab3e956c136bb25b";
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

/// `method url` with a registry bearer token (if any), a content type and
/// a body.
async fn registry_call(
    method: Method,
    url: &str,
    bearer: Option<&str>,
    content_type: Option<&str>,
    body: &str,
) -> Reply {
    let mut request = http().request(method, url).body(body.to_owned());
    if let Some(bearer) = bearer {
        request = request.bearer_auth(bearer);
    }
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    let answer = request.send().await.unwrap();
    Reply {
        status: answer.status().as_u16(),
        headers: answer.headers().clone(),
        text: answer.text().await.unwrap(),
    }
}

async fn push(gh: &FakeGitHub, image: &str, reference: &str, bearer: Option<&str>) -> Reply {
    let url = format!("{}/v2/{image}/manifests/{reference}", gh.url());
    registry_call(Method::PUT, &url, bearer, Some(OCI_MANIFEST), PUSHED).await
}

fn bearer_of(reply: &Reply) -> String {
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.json()["token"].as_str().unwrap().to_owned()
}

fn error_code(reply: &Reply) -> String {
    reply.json()["errors"][0]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn a_pushed_manifest_becomes_a_version_and_takes_its_tag() {
    let gh = unlimited().await;
    let app = gh
        .package(Owner::org("acme"), PackageType::Container, "app")
        .image()
        .tags(["v1.9", "latest"])
        .image()
        .tags(["v1.8"])
        .create()
        .unwrap();
    let github_token = gh.token_with_scopes(ALL);

    // Without a token: the challenge names the scope a push needs.
    let refused = push(&gh, "acme/app", "v1.9", None).await;
    assert_eq!(refused.status, 401);
    let params = challenge(refused.header("www-authenticate").unwrap());
    assert_eq!(
        params[2],
        ("scope".to_owned(), "repository:acme/app:push".to_owned())
    );
    let bearer = bearer_of(&token_for_scope(&gh, Some(&github_token), &params[2].1).await);

    let pushed = push(&gh, "acme/app", "v1.9", Some(&bearer)).await;
    assert_eq!(pushed.status, 201, "{}", pushed.text);
    assert_eq!(pushed.header("docker-content-digest"), Some(PUSHED_DIGEST));
    assert_eq!(
        pushed.header("location"),
        Some(format!("/v2/acme/app/manifests/{PUSHED_DIGEST}").as_str())
    );
    assert!(pushed.text.is_empty());

    // In the packages API: a new version with the tag, which the old one
    // lost; its other tag stays.
    let versions = gh.versions("acme", PackageType::Container, "app");
    assert_eq!(versions.len(), 3);
    let tags_of = |name: &str| versions.iter().find(|v| v.name == name).unwrap().tags();
    assert_eq!(tags_of(PUSHED_DIGEST), ["v1.9"]);
    assert_eq!(tags_of(&app.versions[0].name), ["latest"]);
    let new_id = versions
        .iter()
        .find(|v| v.name == PUSHED_DIGEST)
        .unwrap()
        .id;
    assert!(new_id > app.versions[1].id);

    // The registry serves the bytes pushed, by tag and by digest.
    let read = bearer_of(&registry_token(&gh, Some(&github_token)).await);
    for reference in ["v1.9", PUSHED_DIGEST] {
        let got = manifest(&gh, "acme/app", reference, Some(&read), ACCEPT).await;
        assert_eq!(got.status, 200, "{reference}");
        assert_eq!(got.text, PUSHED);
        assert_eq!(got.header("content-type"), Some(OCI_MANIFEST));
        assert_eq!(got.header("docker-content-digest"), Some(PUSHED_DIGEST));
    }

    // The same bytes by digest, then under another tag: no new version.
    assert_eq!(
        push(&gh, "acme/app", PUSHED_DIGEST, Some(&bearer))
            .await
            .status,
        201
    );
    assert_eq!(
        push(&gh, "acme/app", "v1.8", Some(&bearer)).await.status,
        201
    );
    let versions = gh.versions("acme", PackageType::Container, "app");
    assert_eq!(versions.len(), 3);

    // An untag ends by deleting the pushed version: the tags it carried go.
    let url = format!(
        "{}/orgs/acme/packages/container/app/versions/{new_id}",
        gh.url()
    );
    assert_eq!(
        send(&http(), Method::DELETE, &url, Some(&github_token))
            .await
            .status,
        204
    );
    let listed = send(
        &http(),
        Method::GET,
        &format!("{}/v2/acme/app/tags/list", gh.url()),
        None,
    )
    .await;
    assert_eq!(listed.status, 401);
    let tags = send_registry_get(&gh, "/v2/acme/app/tags/list", &read).await;
    assert_eq!(tags.json()["tags"], serde_json::json!(["latest"]));

    // A push to a package that does not exist yet creates it, private.
    let fresh =
        bearer_of(&token_for_scope(&gh, Some(&github_token), "repository:acme/fresh:push").await);
    assert_eq!(
        push(&gh, "acme/fresh", "v1", Some(&fresh)).await.status,
        201
    );
    let created = gh
        .find_package("acme", PackageType::Container, "fresh")
        .expect("the push created the package");
    assert_eq!(created.visibility, Visibility::Private);
    assert_eq!(created.version_count, 1);
}

async fn send_registry_get(gh: &FakeGitHub, path: &str, bearer: &str) -> Reply {
    registry_call(
        Method::GET,
        &format!("{}{path}", gh.url()),
        Some(bearer),
        None,
        "",
    )
    .await
}

#[tokio::test]
async fn a_push_needs_a_token_that_asked_for_and_may_push() {
    let gh = unlimited().await;
    acme_app(&gh, 1);
    let writer = gh.token_with_scopes(&["write:packages"]);
    let reader = gh.token_with_scopes(&["read:packages", "delete:packages"]);

    // Asked for pull only: the challenge says what is missing, so the
    // client can ask again.
    let pull_only = bearer_of(&registry_token(&gh, Some(&writer)).await);
    let short = push(&gh, "acme/app", "v2", Some(&pull_only)).await;
    assert_eq!(short.status, 401);
    let value = short.header("www-authenticate").unwrap();
    assert!(
        value.contains("scope=\"repository:acme/app:push\""),
        "{value}"
    );
    assert!(value.contains("error=\"insufficient_scope\""), "{value}");

    // Asked for push with a GitHub token that lacks write:packages: pull
    // is granted, push refused; a new token would be refused again.
    let scope = "repository:acme/app:pull,push";
    let no_write = bearer_of(&token_for_scope(&gh, Some(&reader), scope).await);
    let denied = push(&gh, "acme/app", "v2", Some(&no_write)).await;
    assert_eq!(
        (denied.status, error_code(&denied).as_str()),
        (403, "DENIED")
    );
    assert!(
        denied.json()["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("write:packages")
    );
    let read = manifest(&gh, "acme/app", "v1", Some(&no_write), ACCEPT).await;
    assert_eq!(read.status, 200, "pull was granted: {}", read.text);
    let anonymous = bearer_of(&token_for_scope(&gh, None, scope).await);
    assert_eq!(
        push(&gh, "acme/app", "v2", Some(&anonymous)).await.status,
        403
    );

    // Push in one repository is not push in another, nor pull anywhere.
    let push_app =
        bearer_of(&token_for_scope(&gh, Some(&writer), "repository:acme/app:push").await);
    let elsewhere = push(&gh, "acme/lib", "v1", Some(&push_app)).await;
    assert_eq!(elsewhere.status, 401);
    let no_pull = manifest(&gh, "acme/app", "v1", Some(&push_app), ACCEPT).await;
    assert_eq!(no_pull.status, 401);
    assert!(
        no_pull
            .header("www-authenticate")
            .unwrap()
            .contains("repository:acme/app:pull"),
        "{:?}",
        no_pull.header("www-authenticate")
    );
    assert_eq!(
        push(&gh, "acme/app", "v2", Some(&push_app)).await.status,
        201
    );
    // An Actions token with packages: write pushes too.
    let actions = gh
        .actions_token(
            Owner::org("acme"),
            github_packages::fake::PackagesPermission::Write,
        )
        .unwrap();
    let from_actions = bearer_of(&token_for_scope(&gh, Some(&actions), scope).await);
    assert_eq!(
        push(&gh, "acme/app", "v3", Some(&from_actions))
            .await
            .status,
        201
    );
}

#[tokio::test]
async fn bad_pushes_get_the_distribution_specs_codes() {
    let gh = unlimited().await;
    acme_app(&gh, 0);
    let writer = gh.token_with_scopes(ALL);
    let scopes = "repository:acme/app:push repository:nobody/app:push repository:app:push \
                  repository:acme/BadName:push";
    let bearer = bearer_of(&token_for_scope(&gh, Some(&writer), scopes).await);
    let url =
        |image: &str, reference: &str| format!("{}/v2/{image}/manifests/{reference}", gh.url());
    let other_type = "application/vnd.oci.image.index.v1+json";
    // image, reference, content type, body, then the status and code.
    type Case<'a> = (&'a str, &'a str, Option<&'a str>, &'a str, u16, &'a str);
    let cases: &[Case] = &[
        (
            "acme/app",
            "v2",
            Some(OCI_MANIFEST),
            "{not json",
            400,
            "MANIFEST_INVALID",
        ),
        (
            "acme/app",
            "v2",
            Some(OCI_MANIFEST),
            "[]",
            400,
            "MANIFEST_INVALID",
        ),
        (
            "acme/app",
            "v2",
            Some(other_type),
            PUSHED,
            400,
            "MANIFEST_INVALID",
        ),
        (
            "acme/app",
            "v2",
            Some("text/plain"),
            r#"{"schemaVersion":2}"#,
            400,
            "MANIFEST_INVALID",
        ),
        (
            "acme/app",
            "-v2",
            Some(OCI_MANIFEST),
            PUSHED,
            400,
            "MANIFEST_INVALID",
        ),
        (
            "acme/app",
            "sha256:0000000000000000000000000000000000000000000000000000000000000000",
            Some(OCI_MANIFEST),
            PUSHED,
            400,
            "DIGEST_INVALID",
        ),
        (
            "nobody/app",
            "v1",
            Some(OCI_MANIFEST),
            PUSHED,
            404,
            "NAME_UNKNOWN",
        ),
        ("app", "v1", Some(OCI_MANIFEST), PUSHED, 400, "NAME_INVALID"),
        (
            "acme/BadName",
            "v1",
            Some(OCI_MANIFEST),
            PUSHED,
            400,
            "NAME_INVALID",
        ),
    ];
    for (image, reference, content_type, body, status, code) in cases {
        let reply = registry_call(
            Method::PUT,
            &url(image, reference),
            Some(&bearer),
            *content_type,
            body,
        )
        .await;
        assert_eq!(
            (reply.status, error_code(&reply).as_str()),
            (*status, *code),
            "{image}:{reference} {content_type:?} {body}"
        );
    }
    // More than a manifest may be: refused before it is read whole.
    let huge = format!(
        r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}","annotations":{{"x":"{}"}}}}"#,
        "a".repeat(5 * 1024 * 1024)
    );
    let reply = registry_call(
        Method::PUT,
        &url("acme/app", "v2"),
        Some(&bearer),
        Some(OCI_MANIFEST),
        &huge,
    )
    .await;
    assert_eq!(
        (reply.status, error_code(&reply).as_str()),
        (413, "SIZE_INVALID")
    );
    // Nothing of it reached the package.
    assert_eq!(gh.versions("acme", PackageType::Container, "app").len(), 1);
}

#[tokio::test]
async fn operations_the_fake_does_not_offer_challenge_then_say_unsupported() {
    let gh = unlimited().await;
    acme_app(&gh, 0);
    let github_token = gh.token_with_scopes(ALL);
    let bearer = bearer_of(
        &token_for_scope(&gh, Some(&github_token), "repository:acme/app:pull,push").await,
    );
    let digest = "sha256:0000000000000000000000000000000000000000000000000000000000000000";
    let cases = [
        (
            Method::DELETE,
            "/v2/acme/app/manifests/v1".to_owned(),
            Some("repository:acme/app:push"),
        ),
        (
            Method::GET,
            format!("/v2/acme/app/blobs/{digest}"),
            Some("repository:acme/app:pull"),
        ),
        (
            Method::HEAD,
            format!("/v2/acme/app/blobs/{digest}"),
            Some("repository:acme/app:pull"),
        ),
        (
            Method::POST,
            "/v2/acme/app/blobs/uploads/".to_owned(),
            Some("repository:acme/app:push"),
        ),
        (Method::GET, "/v2/_catalog".to_owned(), None),
    ];
    for (method, path, scope) in cases {
        let url = format!("{}{path}", gh.url());
        let first = registry_call(method.clone(), &url, None, None, "").await;
        assert_eq!(first.status, 401, "{method} {path}");
        let value = first.header("www-authenticate").unwrap();
        match scope {
            Some(scope) => assert!(value.contains(&format!("scope=\"{scope}\"")), "{value}"),
            None => assert!(!value.contains("scope="), "{value}"),
        }
        let then = registry_call(method.clone(), &url, Some(&bearer), None, "").await;
        assert_eq!(then.status, 405, "{method} {path}");
        if method != Method::HEAD {
            assert_eq!(error_code(&then), "UNSUPPORTED", "{method} {path}");
        }
    }
    // The referrers API: 404, so clients fall back to the tag schema, but
    // still no NOT_FOUND.
    let url = format!("{}/v2/acme/app/referrers/{digest}", gh.url());
    assert_eq!(
        registry_call(Method::GET, &url, None, None, "")
            .await
            .status,
        401
    );
    let referrers = registry_call(Method::GET, &url, Some(&bearer), None, "").await;
    assert_eq!(
        (referrers.status, error_code(&referrers).as_str()),
        (404, "UNSUPPORTED")
    );
    // OAuth2 clients POST to the realm first and fall back on a 405.
    let post = registry_call(Method::POST, &format!("{}/token", gh.url()), None, None, "").await;
    assert_eq!(
        (post.status, error_code(&post).as_str()),
        (405, "UNSUPPORTED")
    );
}

#[tokio::test]
async fn tag_lists_page_with_n_and_last_and_a_next_link() {
    let gh = unlimited().await;
    let mut builder = gh.package(Owner::org("acme"), PackageType::Container, "app");
    for tag in ["e", "b", "d", "a", "c"] {
        builder = builder.image().tags([tag]).package();
    }
    builder.create().unwrap();
    let github_token = gh.token_with_scopes(&["read:packages"]);
    let bearer = bearer_of(&registry_token(&gh, Some(&github_token)).await);

    let mut path = "/v2/acme/app/tags/list?n=2".to_owned();
    let mut pages = Vec::new();
    loop {
        let page = send_registry_get(&gh, &path, &bearer).await;
        assert_eq!(page.status, 200, "{path}: {}", page.text);
        assert_eq!(page.json()["name"], "acme/app");
        pages.push(page.json()["tags"].clone());
        let Some(link) = page.header("link") else {
            break;
        };
        // `</v2/acme/app/tags/list?n=2&last=b>; rel="next"`
        let (target, rel) = link.split_once(">; ").unwrap();
        assert_eq!(rel, "rel=\"next\"");
        path = target.trim_start_matches('<').to_owned();
        assert!(pages.len() < 5, "the links never end");
    }
    assert_eq!(
        pages,
        [
            serde_json::json!(["a", "b"]),
            serde_json::json!(["c", "d"]),
            serde_json::json!(["e"])
        ]
    );
    let after = send_registry_get(&gh, "/v2/acme/app/tags/list?last=c", &bearer).await;
    assert_eq!(after.json()["tags"], serde_json::json!(["d", "e"]));
    assert!(after.header("link").is_none());
    let none = send_registry_get(&gh, "/v2/acme/app/tags/list?n=0", &bearer).await;
    assert_eq!(none.json()["tags"], serde_json::json!([]));
    assert!(none.header("link").is_none());
    let exact = send_registry_get(&gh, "/v2/acme/app/tags/list?n=5", &bearer).await;
    assert!(
        exact.header("link").is_none(),
        "no next page after the last tag"
    );
    let bad = send_registry_get(&gh, "/v2/acme/app/tags/list?n=two", &bearer).await;
    assert_eq!(
        (bad.status, error_code(&bad).as_str()),
        (400, "PAGINATION_NUMBER_INVALID")
    );
}
