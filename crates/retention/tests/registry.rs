//! Reading the registry to protect multi-arch images: the platform images
//! and attestations of a kept image index survive `untagged`, the
//! registry's token flow is followed (the GitHub token going only to the
//! registry's own origin), an unreadable registry holds every delete, and
//! an API whose registry is not known needs one named. Against mock servers:
//! which requests reach which server is the point.

mod common;

use github_packages::{PackageType, Scope};
use github_packages_retention::journal::Journal;
use github_packages_retention::{
    Action, Error, OwnerKind, PackagePlan, PartRole, Planner, Policy, Problem, Quiet, Reason,
    Registry, RunOutcome, TagPattern, Target, Warning,
};
use httpmock::prelude::*;
use httpmock::{Mock, MockServer};
use serde_json::{Value, json};

use common::*;

/// `Basic base64(user:password)`, written out to avoid a dependency.
fn basic(user: &str, password: &str) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let input = format!("{user}:{password}").into_bytes();
    let mut out = String::new();
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(TABLE[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    format!("Basic {out}")
}

// The image: a tagged OCI index (`latest`) with two platform images and an
// attestation, a tagged Docker manifest list (`v1`) with one platform
// image, a plain tagged image (`old`), and two untagged orphans.
const INDEX: i64 = 100;
const AMD64: i64 = 101;
const ARM64: i64 = 102;
const ATTESTATION: i64 = 103;
const LIST: i64 = 110;
const S390X: i64 = 111;
const PLAIN: i64 = 120;
const ORPHAN_1: i64 = 130;
const ORPHAN_2: i64 = 131;
const UNTAGGED: [i64; 6] = [AMD64, ARM64, ATTESTATION, S390X, ORPHAN_1, ORPHAN_2];
const REGISTRY_TOKEN: &str = "registry-bearer-xyz";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
const DOCKER_IMAGE: &str = "application/vnd.docker.distribution.manifest.v2+json";
const OCI_IMAGE: &str = "application/vnd.oci.image.manifest.v1+json";

fn listing() -> Vec<Value> {
    let tagged = |id: i64, tag: &str, hours: i64| version(id, hours_ago(hours), &[tag.to_owned()]);
    let untagged = |id: i64, hours: i64| version(id, hours_ago(hours), &[]);
    vec![
        tagged(INDEX, "latest", 10),
        untagged(AMD64, 11),
        untagged(ARM64, 11),
        untagged(ATTESTATION, 11),
        tagged(LIST, "v1", 50),
        untagged(S390X, 51),
        tagged(PLAIN, "old", 100),
        untagged(ORPHAN_1, 200),
        untagged(ORPHAN_2, 300),
    ]
}

fn oci_index() -> Value {
    json!({
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": [
            {"mediaType": OCI_IMAGE, "digest": digest(AMD64),
             "size": 1, "platform": {"architecture": "amd64", "os": "linux"}},
            {"mediaType": OCI_IMAGE, "digest": digest(ARM64),
             "size": 1, "platform": {"architecture": "arm64", "os": "linux"}},
            {"mediaType": OCI_IMAGE, "digest": digest(ATTESTATION),
             "size": 1, "platform": {"architecture": "unknown", "os": "unknown"},
             "annotations": {"vnd.docker.reference.type": "attestation-manifest",
                             "vnd.docker.reference.digest": digest(AMD64)}}
        ]
    })
}

fn docker_list() -> Value {
    json!({
        "schemaVersion": 2,
        "mediaType": DOCKER_LIST,
        "manifests": [
            {"mediaType": DOCKER_IMAGE,
             "digest": digest(S390X), "size": 1,
             "platform": {"architecture": "s390x", "os": "linux"}}
        ]
    })
}

/// The manifests of [`listing`] the planner reads, by digest id: the three
/// tagged ones and the two orphans (planned for deletion, they could be
/// referrers of a kept image by their `subject`). The images the indexes
/// list as images are never read.
fn tagged_manifests() -> [(i64, &'static str, Value); 5] {
    [
        (INDEX, OCI_INDEX, oci_index()),
        (LIST, DOCKER_LIST, docker_list()),
        (PLAIN, DOCKER_IMAGE, image_manifest()),
        (ORPHAN_1, OCI_IMAGE, image_manifest()),
        (ORPHAN_2, OCI_IMAGE, image_manifest()),
    ]
}

/// The mocks of a registry that wants a bearer token.
struct TokenRegistry<'a> {
    token: Mock<'a>,
    challenges: Mock<'a>,
    manifests: Vec<Mock<'a>>,
}

/// A registry that sends clients to `realm` for a bearer token (`None`: its
/// own `/token`), serves the manifests of [`listing`] to that token,
/// and hands the token out only for the GitHub token.
async fn token_registry(server: &MockServer, realm: Option<String>) -> TokenRegistry<'_> {
    let mut manifests = Vec::new();
    for (id, content_type, body) in tagged_manifests() {
        let mock = server
            .mock_async(|when, then| {
                when.method(GET)
                    .path(format!("/v2/acme/app/manifests/{}", digest(id)))
                    .header("authorization", format!("Bearer {REGISTRY_TOKEN}"))
                    .header_includes("accept", OCI_INDEX)
                    .header_includes("accept", DOCKER_LIST);
                then.status(200)
                    .header("content-type", content_type)
                    .json_body(body);
            })
            .await;
        manifests.push(mock);
    }
    let token = token_service(server).await;
    let realm = realm.unwrap_or_else(|| format!("{}/token", server.base_url()));
    let challenges = server
        .mock_async(|when, then| {
            when.method(GET).path_includes("/v2/");
            then.status(401)
                .header(
                    "www-authenticate",
                    format!(
                        r#"Bearer realm="{realm}",service="registry.test",scope="repository:acme/app:pull""#
                    ),
                )
                .json_body(json!({"errors": [{"code": "UNAUTHORIZED"}]}));
        })
        .await;
    TokenRegistry {
        token,
        challenges,
        manifests,
    }
}

/// `/token` on `server`, answering the registry token to the GitHub token.
async fn token_service(server: &MockServer) -> Mock<'_> {
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/token")
                .query_param("service", "registry.test")
                .query_param("scope", "repository:acme/app:pull")
                .header("authorization", basic("github-packages", TOKEN));
            then.status(200)
                .json_body(json!({"token": REGISTRY_TOKEN, "expires_in": 300}));
        })
        .await
}

/// A planner for `github`, reading the registry at `registry_url` with the
/// token.
fn planner(github: &MockServer, registry_url: &str) -> Planner {
    let client = client(&github.base_url(), TOKEN);
    Planner::new(&client).registry(Registry::new(registry_url).unwrap().token(TOKEN))
}

async fn plan(planner: &Planner, target: &Target, policy: &Policy) -> PackagePlan {
    planner.plan(target, policy, &Quiet).await.expect("planned")
}

/// The plan of `untagged` for acme's `app` on `github`, reading the
/// registry at `registry_url`.
async fn untagged_plan(github: &MockServer, registry_url: &str) -> PackagePlan {
    let policy = Policy::default().untagged();
    plan(&planner(github, registry_url), &app(), &policy).await
}

/// The problem of a plan whose registry could not be read, with its cause.
fn unreadable(planned: &PackagePlan) -> (&str, usize) {
    match planned.problems.as_slice() {
        [Problem::RegistryUnreadable { cause, held }] => (cause, *held),
        other => panic!("not an unreadable registry: {other:?}"),
    }
}

fn part_of(index: i64, tag: &str, role: PartRole, platform: Option<&str>) -> Reason {
    Reason::PartOf {
        index: digest(index),
        index_tag: Some(tag.to_owned()),
        role,
        platform: platform.map(str::to_owned),
    }
}

/// The platform images and attestations of the kept indexes are kept with
/// them; the registry's token flow runs once (one challenge, one token for
/// the GitHub token), then every manifest whose answer can change the plan
/// is read once with the bearer token.
#[tokio::test]
async fn platform_images_and_attestations_of_kept_indexes_survive_untagged() {
    let github = MockServer::start_async().await;
    let registry_server = MockServer::start_async().await;
    let registry = token_registry(&registry_server, None).await;
    let _listing = mock_listing(&github, VERSIONS, &listing()).await;
    let _current = mock_current(&github, VERSIONS, &listing()).await;
    let mut deletes: Vec<(i64, Mock)> = Vec::new();
    for id in UNTAGGED {
        deletes.push((id, mock_delete(&github, VERSIONS, id).await));
    }
    let unexpected = catch_all(&github).await;

    let planned = untagged_plan(&github, &registry_server.base_url()).await;
    assert_eq!(planned.problems, []);
    let plan = &planned.plan;
    assert_eq!(deletes_of(plan), [ORPHAN_1, ORPHAN_2]);
    let outcome = run(&github, &planned).await;
    assert_eq!(ids(&outcome.packages[0].deleted), [ORPHAN_1, ORPHAN_2]);
    for (id, mock) in &deletes {
        let want = usize::from(*id == ORPHAN_1 || *id == ORPHAN_2);
        assert_eq!(mock.calls_async().await, want, "DELETE of version {id}");
    }
    assert_eq!(unexpected.calls_async().await, 0);

    let platform = PartRole::Platform;
    assert_eq!(
        *reason(plan, AMD64),
        part_of(INDEX, "latest", platform, Some("linux/amd64"))
    );
    assert_eq!(
        *reason(plan, ARM64),
        part_of(INDEX, "latest", platform, Some("linux/arm64"))
    );
    assert_eq!(
        *reason(plan, ATTESTATION),
        part_of(INDEX, "latest", PartRole::Attestation, None)
    );
    assert_eq!(
        *reason(plan, S390X),
        part_of(LIST, "v1", platform, Some("linux/s390x"))
    );

    assert_eq!(registry.challenges.calls_async().await, 1);
    assert_eq!(registry.token.calls_async().await, 1);
    for manifest in &registry.manifests {
        assert_eq!(manifest.calls_async().await, 1);
    }
}

/// Deletes what `planned` plans, through `github`.
async fn run(github: &MockServer, planned: &PackagePlan) -> RunOutcome {
    delete_planned(&client(&github.base_url(), TOKEN), &[planned]).await
}

fn deletes_of(plan: &github_packages_retention::Plan) -> Vec<i64> {
    deletes(plan).into_iter().collect()
}

/// The GitHub token goes only to the registry's own origin: a token realm
/// on another host, another port or another scheme gets nothing, and the
/// registry counts as unreadable, so untagged versions are kept.
#[tokio::test]
async fn a_token_realm_on_another_origin_gets_no_token_and_untagged_versions_are_kept() {
    let github = serving(&listing()).await;
    let deletes = mock_any_delete(&github).await;
    let elsewhere = MockServer::start_async().await;
    let elsewhere_token = token_service(&elsewhere).await;
    for foreign in ["host", "port", "scheme"] {
        let registry_server = MockServer::start_async().await;
        let port = registry_server.port();
        // The registry is addressed as 127.0.0.1.
        let realm = match foreign {
            "host" => format!("http://localhost:{port}/token"),
            "port" => format!("{}/token", elsewhere.base_url()),
            _ => format!("https://127.0.0.1:{port}/token"),
        };
        let registry = token_registry(&registry_server, Some(realm)).await;
        let planned = untagged_plan(&github, &registry_server.base_url()).await;
        assert_eq!(deletes_of(&planned.plan), Vec::<i64>::new(), "{foreign}");
        let (_, held) = unreadable(&planned);
        assert_eq!(held, UNTAGGED.len(), "{foreign}");
        // The registry was asked, and answered with its challenge.
        assert!(registry.challenges.calls_async().await > 0, "{foreign}");
        assert_eq!(
            registry.token.calls_async().await,
            0,
            "{foreign}: the token went to another origin"
        );
        let outcome = run(&github, &planned).await;
        assert_eq!(outcome.deleted(), 0);
    }
    assert_eq!(elsewhere_token.calls_async().await, 0);
    assert_eq!(deletes.calls_async().await, 0);
}

/// A registry that cannot be reached holds every delete, tagged or not (a
/// tagged version may be a platform image too: `app:v1-amd64` joined into
/// `app:v1`); only the explicit override deletes, multi-arch children
/// included, and its plan says they are not protected.
#[tokio::test]
async fn an_unreachable_registry_stops_every_delete_unless_overridden() {
    let github = serving(&listing()).await;
    let mut deletes: Vec<(i64, Mock)> = Vec::new();
    for id in UNTAGGED {
        deletes.push((id, mock_delete(&github, VERSIONS, id).await));
    }
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let plain_delete = mock_delete(&github, VERSIONS, PLAIN).await;
    let client = client(&github.base_url(), TOKEN);
    let dir = tempdir();

    let policy = Policy::default()
        .untagged()
        .tag(TagPattern::glob("old").unwrap());
    let planned = plan(&planner(&github, &closed), &app(), &policy).await;
    assert_eq!(deletes_of(&planned.plan), Vec::<i64>::new());
    assert_eq!(unreadable(&planned).1, 7);
    assert!(
        planned
            .plan
            .entries
            .iter()
            .filter(|e| e.reason == Reason::RegistryUnreadable)
            .all(|e| e.action == Action::Keep)
    );
    let outcome = execute(&client, &dir.path().join("j.jsonl"), &[&planned]).await;
    assert_eq!(outcome.deleted(), 0);
    assert_eq!(plain_delete.calls_async().await, 0);
    for (id, mock) in &deletes {
        assert_eq!(mock.calls_async().await, 0, "DELETE of version {id}");
    }

    let unchecked = planner(&github, &closed).without_registry_check();
    let planned = plan(&unchecked, &app(), &Policy::default().untagged()).await;
    assert_eq!(planned.problems, []);
    assert!(planned.warnings.contains(&Warning::RegistryNotChecked));
    let outcome = execute(&client, &dir.path().join("j2.jsonl"), &[&planned]).await;
    assert!(!outcome.is_unfinished());
    assert_eq!(ids(&outcome.packages[0].deleted), UNTAGGED);
    for (id, mock) in &deletes {
        assert_eq!(mock.calls_async().await, 1, "DELETE of version {id}");
    }
}

/// `GET /user/packages/container/app` (owned by `Octo-Cat`), and its
/// versions: `latest` (version 1) over the untagged version 2.
async fn my_app(github: &MockServer) -> Mock<'_> {
    let path = "/user/packages/container/app/versions";
    let versions = vec![
        version(1, hours_ago(1), &["latest".to_owned()]),
        version(2, hours_ago(2), &[]),
    ];
    mock_listing(github, path, &versions).await;
    mock_current(github, path, &versions).await;
    github
        .mock_async(|when, then| {
            when.method(GET).path("/user/packages/container/app");
            then.status(200)
                .header("content-type", "application/json")
                .body(PACKAGE);
        })
        .await
}

fn mine() -> Target {
    Target::new(Scope::AuthenticatedUser, PackageType::Container, "app")
}

/// For the token's own packages the registry's image path starts with the
/// owner's login, learned from GitHub (and lowercased, as registry paths
/// are).
#[tokio::test]
async fn for_the_authenticated_user_the_image_path_comes_from_the_package_owner() {
    let github = MockServer::start_async().await;
    let registry = MockServer::start_async().await;
    let package = my_app(&github).await;
    let manifest = registry
        .mock_async(|when, then| {
            when.method(GET)
                .path(format!("/v2/octo-cat/app/manifests/{}", digest(1)));
            then.status(200)
                .header("content-type", OCI_INDEX)
                .json_body(
                    json!({"schemaVersion": 2, "manifests": [{"digest": digest(2), "size": 1}]}),
                );
        })
        .await;
    let deletes = mock_any_delete(&github).await;
    let planned = plan(
        &planner(&github, &registry.base_url()),
        &mine(),
        &Policy::default().untagged(),
    )
    .await;
    assert_eq!(planned.problems, []);
    assert_eq!(planned.login.as_deref(), Some("Octo-Cat"));
    assert_eq!(deletes_of(&planned.plan), Vec::<i64>::new());
    run(&github, &planned).await;
    assert_eq!(package.calls_async().await, 1);
    assert_eq!(manifest.calls_async().await, 1);
    assert_eq!(deletes.calls_async().await, 0);
}

/// The login learned for the token's own packages is what the journal's
/// header records as their owner.
#[tokio::test]
async fn the_journal_of_a_prune_with_me_records_the_login() {
    let github = MockServer::start_async().await;
    let registry = MockServer::start_async().await;
    my_app(&github).await;
    registry
        .mock_async(|when, then| {
            when.method(GET)
                .path_includes("/v2/octo-cat/app/manifests/");
            then.status(200)
                .header("content-type", OCI_IMAGE)
                .json_body(image_manifest());
        })
        .await;
    let delete = mock_delete(&github, "/user/packages/container/app/versions", 2).await;
    let planned = plan(
        &planner(&github, &registry.base_url()),
        &mine(),
        &Policy::default().untagged(),
    )
    .await;
    let dir = tempdir();
    let journal = dir.path().join("j.jsonl");
    let client = client(&github.base_url(), TOKEN);
    let outcome = execute(&client, &journal, &[&planned]).await;
    assert!(!outcome.is_unfinished());
    assert_eq!(delete.calls_async().await, 1);
    let header = Journal::read(&journal).unwrap().header.expect("a header");
    assert_eq!(header.owner_kind, OwnerKind::Me);
    assert_eq!(header.owner.as_deref(), Some("Octo-Cat"));
}

/// A registry without authentication that serves `manifests` (digest id,
/// content type, body) and counts every read.
async fn open_registry<'a>(
    server: &'a MockServer,
    manifests: Vec<(i64, &'static str, Value)>,
) -> Vec<(i64, Mock<'a>)> {
    let mut mocks = Vec::new();
    for (id, content_type, body) in manifests {
        let mock = server
            .mock_async(|when, then| {
                when.method(GET)
                    .path(format!("/v2/acme/app/manifests/{}", digest(id)));
                then.status(200)
                    .header("content-type", content_type)
                    .json_body(body);
            })
            .await;
        mocks.push((id, mock));
    }
    mocks
}

/// An untagged index kept by a keep count protects what it lists, nested
/// indexes and their parts included; each manifest is read once, and not
/// those the index says are single images.
#[tokio::test]
async fn an_untagged_index_kept_by_keep_last_protects_its_children_and_nested_indexes() {
    // 200: an untagged index, the newest version (kept by keep_last 1),
    // listing a platform image (201) and a nested index (202), which lists
    // another platform image (203) without saying what it is. 204 is an
    // orphan.
    const TOP: i64 = 200;
    const PLATFORM: i64 = 201;
    const NESTED: i64 = 202;
    const NESTED_PLATFORM: i64 = 203;
    const ORPHAN: i64 = 204;
    let github = MockServer::start_async().await;
    let registry_server = MockServer::start_async().await;
    let versions: Vec<Value> = (TOP..=ORPHAN)
        .map(|id| version(id, hours_ago(id - TOP + 1), &[]))
        .collect();
    let _listing = mock_listing(&github, VERSIONS, &versions).await;
    let _current = mock_current(&github, VERSIONS, &versions).await;
    let reads = open_registry(
        &registry_server,
        vec![
            (
                TOP,
                OCI_INDEX,
                json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
                    {"mediaType": OCI_IMAGE, "digest": digest(PLATFORM), "size": 1,
                     "platform": {"architecture": "amd64", "os": "linux"}},
                    {"mediaType": OCI_INDEX, "digest": digest(NESTED), "size": 1}
                ]}),
            ),
            (PLATFORM, OCI_IMAGE, image_manifest()),
            (
                NESTED,
                OCI_INDEX,
                json!({"schemaVersion": 2, "manifests": [
                    {"digest": digest(NESTED_PLATFORM), "size": 1}
                ]}),
            ),
            (NESTED_PLATFORM, OCI_IMAGE, image_manifest()),
            (ORPHAN, OCI_IMAGE, image_manifest()),
        ],
    )
    .await;
    let orphan_delete = mock_delete(&github, VERSIONS, ORPHAN).await;
    let other_deletes = mock_any_delete(&github).await;

    let policy = Policy::default().keep_last(1).untagged();
    // One read at a time, newest first: the index is read before the image
    // it lists as an image, which is then skipped.
    let planned = plan(
        &planner(&github, &registry_server.base_url()).manifest_reads(1),
        &app(),
        &policy,
    )
    .await;
    assert_eq!(planned.problems, []);
    assert_eq!(deletes_of(&planned.plan), [ORPHAN]);
    let outcome = run(&github, &planned).await;
    assert_eq!(ids(&outcome.packages[0].deleted), [ORPHAN]);
    assert_eq!(orphan_delete.calls_async().await, 1);
    assert_eq!(other_deletes.calls_async().await, 0);
    let part = |index: i64, role: PartRole, platform: Option<&str>| Reason::PartOf {
        index: digest(index),
        index_tag: None,
        role,
        platform: platform.map(str::to_owned),
    };
    let plan = &planned.plan;
    assert_eq!(
        *reason(plan, PLATFORM),
        part(TOP, PartRole::Platform, Some("linux/amd64"))
    );
    assert_eq!(*reason(plan, NESTED), part(TOP, PartRole::Index, None));
    assert_eq!(
        *reason(plan, NESTED_PLATFORM),
        part(NESTED, PartRole::Platform, None)
    );
    // Every manifest is read once, except the one the index says is a
    // single image; the orphan is read too: planned for deletion, it could
    // be a referrer of a kept image by its `subject`.
    let mut calls = Vec::new();
    for (id, mock) in &reads {
        calls.push((*id, mock.calls_async().await));
    }
    assert_eq!(
        calls,
        [
            (TOP, 1),
            (PLATFORM, 0),
            (NESTED, 1),
            (NESTED_PLATFORM, 1),
            (ORPHAN, 1)
        ]
    );
}

/// Answers over 4 MiB, from the registry or its token service, are refused
/// unread; the registry then counts as unreadable and untagged versions are
/// kept.
#[tokio::test]
async fn a_registry_answer_over_4_mib_is_refused_and_untagged_versions_are_kept() {
    let github = MockServer::start_async().await;
    let _listing = mock_listing(&github, VERSIONS, &listing()).await;
    let deletes = mock_any_delete(&github).await;
    // A manifest of 5 MiB: JSON that would parse, were it read.
    let padding = "x".repeat(5 * 1024 * 1024);
    let huge = json!({"schemaVersion": 2, "manifests": [], "padding": padding});
    let registry_server = MockServer::start_async().await;
    registry_server
        .mock_async(|when, then| {
            when.method(GET).path_includes("/manifests/");
            then.status(200)
                .header("content-type", OCI_INDEX)
                .json_body(huge);
        })
        .await;
    refused_as_too_large(&github, &registry_server).await;

    // The token service's answer is capped the same way.
    let registry_server = MockServer::start_async().await;
    let realm = format!("{}/token", registry_server.base_url());
    registry_server
        .mock_async(|when, then| {
            when.method(GET).path("/token");
            then.status(200)
                .header("content-type", "application/json")
                .json_body(json!({"token": "t", "padding": "x".repeat(5 * 1024 * 1024)}));
        })
        .await;
    registry_server
        .mock_async(|when, then| {
            when.method(GET).path_includes("/v2/");
            then.status(401)
                .header("www-authenticate", format!(r#"Bearer realm="{realm}""#));
        })
        .await;
    refused_as_too_large(&github, &registry_server).await;
    assert_eq!(deletes.calls_async().await, 0);
}

/// Plans `untagged` with `registry`, which must be found unreadable for an
/// answer too large, holding every delete.
async fn refused_as_too_large(github: &MockServer, registry: &MockServer) {
    let planned = untagged_plan(github, &registry.base_url()).await;
    assert!(
        unreadable(&planned).0.contains("larger than 4 MiB"),
        "{:?}",
        planned.problems
    );
    assert_eq!(deletes_of(&planned.plan), Vec::<i64>::new());
}

/// Issue 9, item 11: a kept version deleted by someone else between the
/// listing and the manifest read answers 404 at the registry. That version is
/// left out of the plan with a warning; the check still protects the other
/// images, and the orphans are deleted.
#[tokio::test]
async fn a_version_deleted_while_planning_is_dropped_not_fatal() {
    const GONE: i64 = 140;
    let github = MockServer::start_async().await;
    let mut listed = listing();
    listed.push(version(GONE, hours_ago(20), &["gone-tag".to_owned()]));
    let _listing = mock_listing(&github, VERSIONS, &listed).await;
    let _current = mock_current(&github, VERSIONS, &listing()).await;
    let gone_check = github
        .mock_async(|when, then| {
            when.method(GET).path(format!("{VERSIONS}/{GONE}"));
            then.status(404)
                .json_body(json!({"message": "Package version not found."}));
        })
        .await;
    let orphan_deletes = [
        mock_delete(&github, VERSIONS, ORPHAN_1).await,
        mock_delete(&github, VERSIONS, ORPHAN_2).await,
    ];
    let unexpected = catch_all(&github).await;

    let registry = MockServer::start_async().await;
    open_registry(&registry, tagged_manifests().into()).await;
    let missing = registry
        .mock_async(|when, then| {
            when.method(GET).path_includes("/manifests/");
            then.status(404)
                .json_body(json!({"errors": [{"code": "MANIFEST_UNKNOWN"}]}));
        })
        .await;

    let planned = untagged_plan(&github, &registry.base_url()).await;
    assert_eq!(planned.problems, []);
    assert!(
        planned.plan.entries.iter().all(|e| e.id != GONE),
        "the vanished version is left out of the plan"
    );
    assert_eq!(
        planned.warnings,
        [Warning::VanishedWhilePlanning {
            id: GONE,
            name: digest(GONE)
        }]
    );
    let outcome = run(&github, &planned).await;
    assert_eq!(ids(&outcome.packages[0].deleted), [ORPHAN_1, ORPHAN_2]);
    assert_eq!(missing.calls_async().await, 1);
    assert_eq!(gone_check.calls_async().await, 1);
    for delete in &orphan_deletes {
        assert_eq!(delete.calls_async().await, 1);
    }
    assert_eq!(unexpected.calls_async().await, 0);
}

/// The same 404 for a version that GitHub still lists as active is a real
/// registry problem: untagged versions are held back as before.
#[tokio::test]
async fn a_missing_manifest_of_a_live_version_still_holds_untagged_deletes() {
    let github = serving(&listing()).await;
    let deletes = mock_any_delete(&github).await;
    let registry = MockServer::start_async().await;
    registry
        .mock_async(|when, then| {
            when.method(GET).path_includes("/manifests/");
            then.status(404)
                .json_body(json!({"errors": [{"code": "MANIFEST_UNKNOWN"}]}));
        })
        .await;
    let planned = untagged_plan(&github, &registry.base_url()).await;
    assert_eq!(unreadable(&planned).1, UNTAGGED.len());
    assert_eq!(deletes_of(&planned.plan), Vec::<i64>::new());
    run(&github, &planned).await;
    assert_eq!(deletes.calls_async().await, 0);
}

/// A client whose API is `http://ghe.test:PORT/api/v3`, a GitHub
/// Enterprise Server as far as the engine can tell, whose name resolves to
/// `server`.
fn enterprise_client(server: &MockServer) -> github_packages::Client {
    let api = format!("http://ghe.test:{}/api/v3", server.port());
    // The client library's own setup (TLS included), with the name
    // resolved here rather than by DNS.
    let http = github_packages::origin::http_client_builder(&api.parse().unwrap())
        .unwrap()
        .resolve("ghe.test", *server.address())
        .build()
        .unwrap();
    builder(&api, TOKEN)
        .allow_insecure_http(true)
        .http_client(http)
        .build()
        .unwrap()
}

const ENTERPRISE_VERSIONS: &str = "/api/v3/orgs/acme/packages/container/app/versions";

/// Off GitHub.com (and off loopback) the registry is not known, and
/// ghcr.io must not get the token: a plan that needs the registry asks for
/// one to be named, and works once it is, or with the explicit override.
#[tokio::test]
async fn with_another_api_url_the_registry_url_must_be_given() {
    let github = MockServer::start_async().await;
    let versions = [
        version(1, hours_ago(1), &["latest".to_owned()]),
        version(2, hours_ago(2), &[]),
    ];
    let listing = mock_listing(&github, ENTERPRISE_VERSIONS, &versions).await;
    let deletes = mock_any_delete(&github).await;
    let unexpected = catch_all(&github).await;
    let client = enterprise_client(&github);
    let policy = Policy::default().untagged();

    let refused = Planner::new(&client).plan(&app(), &policy, &Quiet).await;
    let want = format!("http://ghe.test:{}/api/v3", github.port());
    assert!(
        matches!(&refused, Err(Error::RegistryNeeded { api_url }) if *api_url == want),
        "{refused:?}"
    );
    assert_eq!(listing[0].calls_async().await, 1);

    // The explicit override works without a registry.
    let planned = Planner::new(&client)
        .without_registry_check()
        .plan(&app(), &policy, &Quiet)
        .await
        .unwrap();
    assert_eq!(deletes_of(&planned.plan), [2]);
    assert_eq!(planned.warnings, [Warning::RegistryNotChecked]);

    // So does naming the registry.
    let registry = plain_registry().await;
    let planned = Planner::new(&client)
        .registry(Registry::new(&registry.base_url()).unwrap().token(TOKEN))
        .plan(&app(), &policy, &Quiet)
        .await
        .unwrap();
    assert_eq!(planned.problems, []);
    assert_eq!(deletes_of(&planned.plan), [2]);
    assert_eq!(deletes.calls_async().await, 0);
    assert_eq!(unexpected.calls_async().await, 0);
}

/// A plan that deletes nothing needs no registry, even where none is known;
/// one that deletes needs it even when it keeps nothing, because the parts
/// of an index go only after the index (GitHub refuses to delete a
/// package's last version: were that the index, its parts must stay).
#[tokio::test]
async fn only_a_prune_that_deletes_asks_for_a_registry() {
    let github = MockServer::start_async().await;
    let _listing = mock_listing(&github, ENTERPRISE_VERSIONS, &untagged(3)).await;
    let unexpected = catch_all(&github).await;
    let client = enterprise_client(&github);
    let nothing = Policy::default()
        .untagged()
        .older_than(std::time::Duration::from_secs(365 * 86_400));
    let planned = Planner::new(&client)
        .plan(&app(), &nothing, &Quiet)
        .await
        .unwrap();
    assert_eq!(deletes_of(&planned.plan), Vec::<i64>::new());
    assert_eq!(planned.problems, []);
    assert_eq!(planned.warnings, []);
    let every = Planner::new(&client)
        .plan(&app(), &Policy::default().untagged(), &Quiet)
        .await;
    assert!(
        matches!(
            every,
            Err(github_packages_retention::Error::RegistryNeeded { .. })
        ),
        "{every:?}"
    );
    assert_eq!(unexpected.calls_async().await, 0);
}

/// The fake's container package `app` and the plan `--untagged` makes of it
/// with the fake's registry, which has the faults already set.
async fn untagged_on_fake(fake: &Fake) -> PackagePlan {
    fake.planner()
        .plan(&app(), &Policy::default().untagged(), &Quiet)
        .await
        .unwrap()
}

/// A registry that is busy for a moment (503, 429 with `Retry-After`, a
/// dropped connection) is asked again: the plan is the one a calm
/// registry gives, not a run that holds every delete.
#[tokio::test]
async fn a_busy_registry_is_asked_again() {
    let fake = Fake::start().await;
    let orphans = app_with_orphans(&fake, "app");
    let manifests = "/v2/acme/app/manifests/*";
    let unavailable = fake
        .gh
        .fault("GET", manifests)
        .times(2)
        .status(503)
        .unwrap();
    let planned = untagged_on_fake(&fake).await;
    assert_eq!(planned.problems, []);
    assert_eq!(deletes(&planned.plan), orphans.iter().copied().collect());
    assert_eq!(unavailable.hits(), 2);
    unavailable.remove();

    let limited = fake
        .gh
        .fault("GET", manifests)
        .nth(1)
        .header("retry-after", "1")
        .status(429)
        .unwrap();
    let dropped = fake
        .gh
        .fault("GET", manifests)
        .nth(3)
        .drop_connection()
        .unwrap();
    let planned = untagged_on_fake(&fake).await;
    assert_eq!(planned.problems, []);
    assert_eq!(deletes(&planned.plan), orphans.iter().copied().collect());
    assert_eq!((limited.hits(), dropped.hits()), (1, 1));
}

/// A registry that keeps refusing, or asks for a wait longer than a run
/// should stall, fails the check after a bounded number of tries, naming
/// why; every delete is held.
#[tokio::test]
async fn a_registry_that_stays_busy_holds_the_deletes_and_says_why() {
    let fake = Fake::start().await;
    app_with_orphans(&fake, "app");
    let manifests = "/v2/acme/app/manifests/*";
    let limited = fake
        .gh
        .fault("GET", manifests)
        .every()
        .header("retry-after", "0")
        .status(429)
        .unwrap();
    let planned = untagged_on_fake(&fake).await;
    let (cause, held) = unreadable(&planned);
    assert!(
        cause.contains("429") && cause.contains("4 times"),
        "{cause}"
    );
    assert!(held > 0 && planned.plan.delete_count() == 0, "{held}");
    // Each read that went out (the two tagged versions are read first, at
    // once) was tried 4 times; none after the check failed.
    assert!(
        [4, 8].contains(&limited.hits()),
        "{} requests",
        limited.hits()
    );
    limited.remove();

    fake.gh
        .fault("GET", manifests)
        .every()
        .header("retry-after", "3600")
        .status(429)
        .unwrap();
    let planned = untagged_on_fake(&fake).await;
    let (cause, _) = unreadable(&planned);
    assert!(cause.contains("wait 3600 s"), "{cause}");
}
