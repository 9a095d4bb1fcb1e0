//! Multi-arch protection: the platform images and attestations of a kept
//! tagged image index survive `--untagged`, the registry's token flow is
//! followed, and an unreadable registry stops untagged deletes.

use base64_free::basic;
use httpmock::prelude::*;
use httpmock::{Mock, MockServer};
use serde_json::{Value, json};

use crate::support::*;

mod base64_free {
    /// `Basic base64(user:password)`, written out to avoid a dependency.
    pub(super) fn basic(user: &str, password: &str) -> String {
        const TABLE: &[u8; 64] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
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
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": digest(AMD64),
             "size": 1, "platform": {"architecture": "amd64", "os": "linux"}},
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": digest(ARM64),
             "size": 1, "platform": {"architecture": "arm64", "os": "linux"}},
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": digest(ATTESTATION),
             "size": 1, "platform": {"architecture": "unknown", "os": "unknown"},
             "annotations": {"vnd.docker.reference.type": "attestation-manifest",
                             "vnd.docker.reference.digest": digest(AMD64)}}
        ]
    })
}

fn docker_list() -> Value {
    json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",
        "manifests": [
            {"mediaType": "application/vnd.docker.distribution.manifest.v2+json",
             "digest": digest(S390X), "size": 1,
             "platform": {"architecture": "s390x", "os": "linux"}}
        ]
    })
}

fn image_manifest() -> Value {
    json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
                   "digest": digest(1), "size": 1},
        "layers": []
    })
}

struct Registry<'a> {
    token: Mock<'a>,
    challenges: Mock<'a>,
    manifests: Vec<Mock<'a>>,
}

/// A registry that wants a bearer token from `realm_host`'s `/token`
/// (`None`: its own host).
fn registry<'a>(server: &'a MockServer, realm_host: Option<&str>) -> Registry<'a> {
    let image = "/v2/acme/app/manifests";
    let serve = |id: i64, content_type: &str, body: Value| {
        let content_type = content_type.to_owned();
        server.mock(move |when, then| {
            when.method(GET)
                .path(format!("{image}/{}", digest(id)))
                .header("authorization", format!("Bearer {REGISTRY_TOKEN}"))
                .header_includes("accept", "application/vnd.oci.image.index.v1+json")
                .header_includes(
                    "accept",
                    "application/vnd.docker.distribution.manifest.list.v2+json",
                );
            then.status(200)
                .header("content-type", content_type)
                .json_body(body);
        })
    };
    let manifests = vec![
        serve(
            INDEX,
            "application/vnd.oci.image.index.v1+json",
            oci_index(),
        ),
        serve(
            LIST,
            "application/vnd.docker.distribution.manifest.list.v2+json",
            docker_list(),
        ),
        serve(
            PLAIN,
            "application/vnd.docker.distribution.manifest.v2+json",
            image_manifest(),
        ),
    ];
    let token = server.mock(|when, then| {
        when.method(GET)
            .path("/token")
            .query_param("service", "registry.test")
            .query_param("scope", "repository:acme/app:pull")
            .header("authorization", basic("ghpkg", TOKEN));
        then.status(200)
            .json_body(json!({"token": REGISTRY_TOKEN, "expires_in": 300}));
    });
    let realm = match realm_host {
        Some(host) => format!("http://{host}:{}/token", server.port()),
        None => format!("{}/token", server.base_url()),
    };
    let challenges = server.mock(|when, then| {
        when.method(GET).path_includes("/v2/");
        then.status(401)
            .header(
                "www-authenticate",
                format!(r#"Bearer realm="{realm}",service="registry.test",scope="repository:acme/app:pull""#),
            )
            .json_body(json!({"errors": [{"code": "UNAUTHORIZED"}]}));
    });
    Registry {
        token,
        challenges,
        manifests,
    }
}

fn prune(server: &MockServer, registry_url: &str, extra: &[&str]) -> (Run, tempfile::TempDir) {
    let dir = tempdir();
    let mut args = vec![
        "--json",
        "prune",
        "container",
        "app",
        "--org",
        "acme",
        "--registry-url",
        registry_url,
    ];
    args.extend_from_slice(extra);
    (ghpkg_in(dir.path(), server, &args), dir)
}

#[test]
fn platform_images_and_attestations_of_kept_indexes_survive_untagged() {
    let github = MockServer::start();
    let registry_server = MockServer::start();
    let registry = registry(&registry_server, None);
    let _listing = mock_listing(&github, VERSIONS, &listing());
    let _current = mock_current(&github, VERSIONS, &listing());
    let deletes: Vec<(i64, Mock)> = UNTAGGED
        .iter()
        .map(|&id| (id, mock_delete(&github, VERSIONS, id)))
        .collect();
    let unexpected = catch_all(&github);

    let (run, _dir) = prune(
        &github,
        &registry_server.base_url(),
        &["--untagged", "--yes"],
    );
    run.expect(0);
    let report = run.prune_json();
    assert_eq!(planned(&report, "delete"), vec![ORPHAN_1, ORPHAN_2]);
    assert_eq!(ids(&report["deleted"]), vec![ORPHAN_1, ORPHAN_2]);
    for (id, mock) in &deletes {
        let want = usize::from(*id == ORPHAN_1 || *id == ORPHAN_2);
        assert_eq!(mock.calls(), want, "DELETE of version {id}");
    }
    assert_eq!(unexpected.calls(), 0);

    let reason = |id: i64| {
        report["plan"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["id"] == id)
            .unwrap()["reason"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(
        reason(AMD64),
        "kept: platform image of sha256:000000000000… (tag latest)"
    );
    assert_eq!(
        reason(ATTESTATION),
        "kept: attestation of sha256:000000000000… (tag latest)"
    );
    assert_eq!(
        reason(S390X),
        "kept: platform image of sha256:000000000000… (tag v1)"
    );

    // The token flow ran once: one challenge, one token, then every manifest
    // read with the bearer token.
    assert_eq!(registry.challenges.calls(), 1);
    assert_eq!(registry.token.calls(), 1);
    for manifest in &registry.manifests {
        assert_eq!(manifest.calls(), 1);
    }
}

#[test]
fn a_token_realm_on_another_host_gets_no_token_and_untagged_versions_are_kept() {
    let github = MockServer::start();
    let registry_server = MockServer::start();
    // The registry is addressed as 127.0.0.1 but sends clients to localhost.
    let registry = registry(&registry_server, Some("localhost"));
    let _listing = mock_listing(&github, VERSIONS, &listing());
    let deletes = mock_any_delete(&github);

    let (run, _dir) = prune(
        &github,
        &registry_server.base_url(),
        &["--untagged", "--yes"],
    );
    run.expect(1);
    let report = run.prune_json();
    assert_eq!(planned(&report, "delete"), Vec::<i64>::new());
    assert!(run.stderr.contains("another host"), "{}", run.stderr);
    assert!(run.stderr.contains("--no-registry-check"), "{}", run.stderr);
    assert_eq!(registry.token.calls(), 0, "the token went to another host");
    assert_eq!(deletes.calls(), 0);
}

#[test]
fn an_unreachable_registry_stops_every_delete_unless_overridden() {
    let github = MockServer::start();
    let _listing = mock_listing(&github, VERSIONS, &listing());
    let _current = mock_current(&github, VERSIONS, &listing());
    let deletes: Vec<(i64, Mock)> = UNTAGGED
        .iter()
        .map(|&id| (id, mock_delete(&github, VERSIONS, id)))
        .collect();
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };

    // Nothing goes, tagged or not: a tagged version may be a platform image
    // too (`app:v1-amd64` joined into `app:v1`).
    let plain_delete = mock_delete(&github, VERSIONS, PLAIN);
    let (run, _dir) = prune(&github, &closed, &["--untagged", "--tag", "old", "--yes"]);
    run.expect(1);
    let report = run.prune_json();
    assert_eq!(planned(&report, "delete"), Vec::<i64>::new());
    assert!(
        run.stderr.contains("the registry could not be read")
            && run
                .stderr
                .contains("7 versions planned for deletion are kept"),
        "{}",
        run.stderr
    );
    assert_eq!(plain_delete.calls(), 0);
    for (id, mock) in &deletes {
        assert_eq!(mock.calls(), 0, "DELETE of version {id}");
    }

    // The explicit override deletes them, multi-arch children included.
    let (run, _dir) = prune(
        &github,
        &closed,
        &["--untagged", "--no-registry-check", "--yes"],
    );
    run.expect(0);
    assert!(run.stderr.contains("not protected"), "{}", run.stderr);
    assert_eq!(ids(&run.prune_json()["deleted"]), UNTAGGED.to_vec());
    for (id, mock) in &deletes {
        assert_eq!(mock.calls(), 1, "DELETE of version {id}");
    }
}

#[test]
fn for_the_authenticated_user_the_image_path_comes_from_the_package_owner() {
    let github = MockServer::start();
    let registry = MockServer::start();
    let path = "/user/packages/container/app/versions";
    let _listing = mock_listing(
        &github,
        path,
        &[
            version(1, hours_ago(1), &["latest".to_owned()]),
            version(2, hours_ago(2), &[]),
        ],
    );
    let package = github.mock(|when, then| {
        when.method(GET).path("/user/packages/container/app");
        then.status(200)
            .header("content-type", "application/json")
            .body(PACKAGE);
    });
    // The owner is `Octo-Cat`; registry image paths are lowercase.
    let manifest = registry.mock(|when, then| {
        when.method(GET)
            .path(format!("/v2/octo-cat/app/manifests/{}", digest(1)));
        then.status(200)
            .header("content-type", "application/vnd.oci.image.index.v1+json")
            .json_body(
                json!({"schemaVersion": 2, "manifests": [{"digest": digest(2), "size": 1}]}),
            );
    });
    let deletes = mock_any_delete(&github);
    let dir = tempdir();
    let run = ghpkg_in(
        dir.path(),
        &github,
        &[
            "--json",
            "prune",
            "container",
            "app",
            "--me",
            "--untagged",
            "--registry-url",
            &registry.base_url(),
            "--yes",
        ],
    );
    run.expect(0);
    let report = run.prune_json();
    assert_eq!(report["package"]["owner"], "Octo-Cat");
    assert_eq!(planned(&report, "delete"), Vec::<i64>::new());
    assert_eq!(package.calls(), 1);
    assert_eq!(manifest.calls(), 1);
    assert_eq!(deletes.calls(), 0);
}

/// A registry without authentication that serves `manifests` (digest id,
/// content type, body) and counts every read.
fn open_registry<'a>(
    server: &'a MockServer,
    manifests: Vec<(i64, &str, Value)>,
) -> Vec<(i64, Mock<'a>)> {
    manifests
        .into_iter()
        .map(|(id, content_type, body)| {
            let content_type = content_type.to_owned();
            let mock = server.mock(move |when, then| {
                when.method(GET)
                    .path(format!("/v2/acme/app/manifests/{}", digest(id)));
                then.status(200)
                    .header("content-type", content_type)
                    .json_body(body);
            });
            (id, mock)
        })
        .collect()
}

fn reason_of(report: &Value, id: i64) -> String {
    report["plan"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == id)
        .unwrap()["reason"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn an_untagged_index_kept_by_keep_last_protects_its_children_and_nested_indexes() {
    // 200: an untagged index, the newest version (kept by --keep-last 1),
    // listing a platform image (201) and a nested index (202), which lists
    // another platform image (203) without saying what it is. 204 is an
    // orphan.
    const TOP: i64 = 200;
    const PLATFORM: i64 = 201;
    const NESTED: i64 = 202;
    const NESTED_PLATFORM: i64 = 203;
    const ORPHAN: i64 = 204;
    let github = MockServer::start();
    let registry_server = MockServer::start();
    let versions: Vec<Value> = (TOP..=ORPHAN)
        .map(|id| version(id, hours_ago(id - TOP + 1), &[]))
        .collect();
    let _listing = mock_listing(&github, VERSIONS, &versions);
    let _current = mock_current(&github, VERSIONS, &versions);
    let index = "application/vnd.oci.image.index.v1+json";
    let image = "application/vnd.oci.image.manifest.v1+json";
    let reads = open_registry(
        &registry_server,
        vec![
            (
                TOP,
                index,
                json!({"schemaVersion": 2, "mediaType": index, "manifests": [
                    {"mediaType": image, "digest": digest(PLATFORM), "size": 1,
                     "platform": {"architecture": "amd64", "os": "linux"}},
                    {"mediaType": index, "digest": digest(NESTED), "size": 1}
                ]}),
            ),
            (PLATFORM, image, image_manifest()),
            (
                NESTED,
                index,
                json!({"schemaVersion": 2, "manifests": [
                    {"digest": digest(NESTED_PLATFORM), "size": 1}
                ]}),
            ),
            (NESTED_PLATFORM, image, image_manifest()),
            (ORPHAN, image, image_manifest()),
        ],
    );
    let orphan_delete = mock_delete(&github, VERSIONS, ORPHAN);
    let other_deletes = mock_any_delete(&github);

    let (run, _dir) = prune(
        &github,
        &registry_server.base_url(),
        &["--keep-last", "1", "--untagged", "--yes"],
    );
    run.expect(0);
    let report = run.prune_json();
    assert_eq!(planned(&report, "delete"), vec![ORPHAN]);
    assert_eq!(ids(&report["deleted"]), vec![ORPHAN]);
    assert_eq!(orphan_delete.calls(), 1);
    assert_eq!(other_deletes.calls(), 0);
    assert_eq!(
        reason_of(&report, PLATFORM),
        "kept: platform image of sha256:000000000000…"
    );
    assert_eq!(
        reason_of(&report, NESTED),
        "kept: nested image index of sha256:000000000000…"
    );
    assert_eq!(
        reason_of(&report, NESTED_PLATFORM),
        "kept: platform image of sha256:000000000000…"
    );
    // Every kept manifest is read once, except the one the index says is a
    // single image; the orphan (to be deleted) is not read.
    let calls: Vec<(i64, usize)> = reads.iter().map(|(id, m)| (*id, m.calls())).collect();
    assert_eq!(
        calls,
        vec![
            (TOP, 1),
            (PLATFORM, 0),
            (NESTED, 1),
            (NESTED_PLATFORM, 1),
            (ORPHAN, 0)
        ]
    );
}

#[test]
fn a_registry_answer_over_4_mib_is_refused_and_untagged_versions_are_kept() {
    let github = MockServer::start();
    let registry_server = MockServer::start();
    let _listing = mock_listing(&github, VERSIONS, &listing());
    let deletes = mock_any_delete(&github);
    // A manifest of 5 MiB: JSON that would parse, were it read.
    let padding = "x".repeat(5 * 1024 * 1024);
    let huge = json!({"schemaVersion": 2, "manifests": [], "padding": padding});
    registry_server.mock(|when, then| {
        when.method(GET).path_includes("/manifests/");
        then.status(200)
            .header("content-type", "application/vnd.oci.image.index.v1+json")
            .json_body(huge);
    });
    let (run, _dir) = prune(
        &github,
        &registry_server.base_url(),
        &["--untagged", "--yes"],
    );
    run.expect(1);
    assert!(
        run.stderr.contains("registry answer larger than 4 MiB"),
        "{}",
        run.stderr
    );
    assert_eq!(planned(&run.prune_json(), "delete"), Vec::<i64>::new());
    assert_eq!(deletes.calls(), 0);

    // The token service's answer is capped the same way.
    let registry_server = MockServer::start();
    let realm = format!("{}/token", registry_server.base_url());
    registry_server.mock(|when, then| {
        when.method(GET).path("/token");
        then.status(200)
            .header("content-type", "application/json")
            .json_body(json!({"token": "t", "padding": "x".repeat(5 * 1024 * 1024)}));
    });
    registry_server.mock(|when, then| {
        when.method(GET).path_includes("/v2/");
        then.status(401)
            .header("www-authenticate", format!(r#"Bearer realm="{realm}""#));
    });
    let (run, _dir) = prune(
        &github,
        &registry_server.base_url(),
        &["--untagged", "--yes"],
    );
    run.expect(1);
    assert!(
        run.stderr.contains("registry answer larger than 4 MiB"),
        "{}",
        run.stderr
    );
    assert_eq!(deletes.calls(), 0);
}

#[test]
fn the_journal_of_a_prune_with_me_records_the_login() {
    let github = MockServer::start();
    let registry = MockServer::start();
    let path = "/user/packages/container/app/versions";
    let versions = vec![
        version(1, hours_ago(1), &["latest".to_owned()]),
        version(2, hours_ago(2), &[]),
    ];
    let _listing = mock_listing(&github, path, &versions);
    let _current = mock_current(&github, path, &versions);
    github.mock(|when, then| {
        when.method(GET).path("/user/packages/container/app");
        then.status(200)
            .header("content-type", "application/json")
            .body(PACKAGE);
    });
    registry.mock(|when, then| {
        when.method(GET)
            .path_includes("/v2/octo-cat/app/manifests/");
        then.status(200)
            .header("content-type", "application/vnd.oci.image.manifest.v1+json")
            .json_body(image_manifest());
    });
    let delete = mock_delete(&github, path, 2);
    let dir = tempdir();
    let journal = dir.path().join("j.jsonl");
    let run = ghpkg_in(
        dir.path(),
        &github,
        &[
            "--json",
            "prune",
            "container",
            "app",
            "--me",
            "--untagged",
            "--registry-url",
            &registry.base_url(),
            "--yes",
            "--journal",
            path_str(&journal),
        ],
    );
    run.expect(0);
    assert_eq!(delete.calls(), 1);
    let header = &journal_records(&journal)[0];
    assert_eq!(header["owner_kind"], "me");
    assert_eq!(header["owner"], "Octo-Cat");
}

/// Issue 9, item 11: a kept version deleted by someone else between the
/// listing and the manifest read answers 404 at the registry. That version is
/// left out of the plan; the check still protects the other images, and the
/// orphans are deleted.
#[test]
fn a_version_deleted_while_planning_is_dropped_not_fatal() {
    const GONE: i64 = 140;
    let github = MockServer::start();
    let mut listed = listing();
    listed.push(version(GONE, hours_ago(20), &["gone-tag".to_owned()]));
    let _listing = mock_listing(&github, VERSIONS, &listed);
    let _current = mock_current(&github, VERSIONS, &listing());
    let gone_check = github.mock(|when, then| {
        when.method(GET).path(format!("{VERSIONS}/{GONE}"));
        then.status(404)
            .json_body(json!({"message": "Package version not found."}));
    });
    let orphan_deletes = [
        mock_delete(&github, VERSIONS, ORPHAN_1),
        mock_delete(&github, VERSIONS, ORPHAN_2),
    ];
    let unexpected = catch_all(&github);

    let registry = MockServer::start();
    let serve = |id: i64, content_type: &'static str, body: Value| {
        registry.mock(move |when, then| {
            when.method(GET)
                .path(format!("/v2/acme/app/manifests/{}", digest(id)));
            then.status(200)
                .header("content-type", content_type)
                .json_body(body);
        })
    };
    serve(
        INDEX,
        "application/vnd.oci.image.index.v1+json",
        oci_index(),
    );
    serve(
        LIST,
        "application/vnd.docker.distribution.manifest.list.v2+json",
        docker_list(),
    );
    serve(
        PLAIN,
        "application/vnd.docker.distribution.manifest.v2+json",
        image_manifest(),
    );
    let missing = registry.mock(|when, then| {
        when.method(GET).path_includes("/manifests/");
        then.status(404)
            .json_body(json!({"errors": [{"code": "MANIFEST_UNKNOWN"}]}));
    });

    let (run, _dir) = prune(&github, &registry.base_url(), &["--untagged", "--yes"]);
    run.expect(0);
    let report = run.prune_json();
    assert_eq!(ids(&report["deleted"]), vec![ORPHAN_1, ORPHAN_2]);
    assert!(
        report["plan"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["id"] != GONE),
        "the vanished version is left out of the plan"
    );
    let warnings = report["warnings"].to_string();
    assert!(
        warnings.contains("version 140") && warnings.contains("deleted by someone else"),
        "{warnings}"
    );
    assert_eq!(missing.calls(), 1);
    assert_eq!(gone_check.calls(), 1);
    for delete in &orphan_deletes {
        assert_eq!(delete.calls(), 1);
    }
    assert_eq!(unexpected.calls(), 0);
}

/// The same 404 for a version that GitHub still lists as active is a real
/// registry problem: untagged versions are held back as before.
#[test]
fn a_missing_manifest_of_a_live_version_still_holds_untagged_deletes() {
    let github = MockServer::start();
    let _listing = mock_listing(&github, VERSIONS, &listing());
    let _current = mock_current(&github, VERSIONS, &listing());
    let deletes = mock_any_delete(&github);
    let registry = MockServer::start();
    registry.mock(|when, then| {
        when.method(GET).path_includes("/manifests/");
        then.status(404)
            .json_body(json!({"errors": [{"code": "MANIFEST_UNKNOWN"}]}));
    });
    let (run, _dir) = prune(&github, &registry.base_url(), &["--untagged", "--yes"]);
    run.expect(1);
    assert!(
        run.stderr.contains("registry could not be read"),
        "{}",
        run.stderr
    );
    assert_eq!(deletes.calls(), 0);
}
