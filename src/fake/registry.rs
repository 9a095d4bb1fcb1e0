//! A minimal OCI distribution registry for container packages, on the same
//! server as the API, the way ghcr.io sits beside api.github.com: manifests
//! by digest or tag, the tag list, and the bearer-token flow (`401` with
//! `WWW-Authenticate: Bearer realm=..,service=..,scope=..`, then `/token`
//! with HTTP Basic and a GitHub token that may read packages).
//!
//! Also the shapes of the manifests fixtures create: single images, OCI image
//! indexes and Docker manifest lists, BuildKit attestation manifests, and
//! cosign-style signatures, attestations and referrers.

use base64::Engine as _;
use http::HeaderMap;
use serde_json::{Value, json};

use crate::generated::types::{PackageType, Visibility};

use super::auth::Need;
use super::routes::{self, RegistryRoute, Route};
use super::seed::Rng;
use super::server::{Answer, Inner, Shared};
use super::state::{Manifest, PackageKey, PackageRecord};

pub(crate) const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub(crate) const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub(crate) const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub(crate) const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
const OCI_LAYER: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
const DOCKER_LAYER: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";
const IN_TOTO: &str = "application/vnd.in-toto+json";
const COSIGN_SIGNATURE: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
const DSSE_ENVELOPE: &str = "application/vnd.dsse.envelope.v1+json";
pub(crate) const SIGSTORE_BUNDLE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
const EMPTY_CONFIG: &str = "application/vnd.oci.empty.v1+json";
/// How long a registry token lives, in seconds (ghcr.io says 300).
const TOKEN_SECONDS: u64 = 300;

/// Who a registry token was issued to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RegistryGrant {
    /// No credentials: public images only.
    Anonymous,
    /// A GitHub token that may read packages, acting as this account.
    Account(String),
}

fn blob(rng: &mut Rng, media_type: &str, size: u64) -> Value {
    json!({"mediaType": media_type, "digest": rng.digest(), "size": size})
}

fn serialize(media_type: &str, value: &Value) -> Manifest {
    Manifest {
        media_type: media_type.to_owned(),
        // A JSON value always serializes.
        body: serde_json::to_vec_pretty(value).unwrap_or_default(),
    }
}

/// A single-platform image (OCI, or Docker schema 2 inside a Docker list).
pub(crate) fn image(rng: &mut Rng, docker: bool) -> Manifest {
    let (media_type, config, layer) = if docker {
        (DOCKER_MANIFEST, DOCKER_CONFIG, DOCKER_LAYER)
    } else {
        (OCI_MANIFEST, OCI_CONFIG, OCI_LAYER)
    };
    let config_size = 1_000 + rng.below(2_000);
    let layers: Vec<Value> = (0..1 + rng.below(3))
        .map(|_| {
            let size = 100_000 + rng.below(30_000_000);
            blob(rng, layer, size)
        })
        .collect();
    let body = json!({
        "schemaVersion": 2,
        "mediaType": media_type,
        "config": blob(rng, config, config_size),
        "layers": layers,
    });
    serialize(media_type, &body)
}

/// A BuildKit attestation manifest (SLSA provenance and an SBOM).
pub(crate) fn attestation(rng: &mut Rng) -> Manifest {
    let in_toto = |rng: &mut Rng, predicate: &str| {
        let size = 1_000 + rng.below(50_000);
        let mut layer = blob(rng, IN_TOTO, size);
        layer["annotations"] = json!({"in-toto.io/predicate-type": predicate});
        layer
    };
    let body = json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": blob(rng, OCI_CONFIG, 167),
        "layers": [
            in_toto(rng, "https://slsa.dev/provenance/v0.2"),
            in_toto(rng, "https://spdx.dev/Document"),
        ],
    });
    serialize(OCI_MANIFEST, &body)
}

/// What an image index lists about one child.
#[derive(Debug, Clone)]
pub(crate) struct Child {
    pub(crate) digest: String,
    pub(crate) manifest_media_type: String,
    pub(crate) size: usize,
    /// `os/arch[/variant]`; an attestation has none and is listed with
    /// `unknown/unknown`, as BuildKit does.
    pub(crate) platform: Option<String>,
    /// For an attestation: the digest of the image it attests.
    pub(crate) attests: Option<String>,
}

fn platform_json(platform: &str) -> Value {
    let mut parts = platform.split('/');
    let os = parts.next().unwrap_or("unknown");
    let architecture = parts.next().unwrap_or("unknown");
    match parts.next() {
        Some(variant) => json!({"architecture": architecture, "os": os, "variant": variant}),
        None => json!({"architecture": architecture, "os": os}),
    }
}

/// An OCI image index or a Docker manifest list over `children`.
pub(crate) fn index(children: &[Child], docker: bool) -> Manifest {
    let media_type = if docker { DOCKER_LIST } else { OCI_INDEX };
    let manifests: Vec<Value> = children
        .iter()
        .map(|child| {
            let mut descriptor = json!({
                "mediaType": child.manifest_media_type,
                "digest": child.digest,
                "size": child.size,
            });
            match (&child.platform, &child.attests) {
                (_, Some(subject)) => {
                    descriptor["platform"] = json!({"architecture": "unknown", "os": "unknown"});
                    descriptor["annotations"] = json!({
                        "vnd.docker.reference.digest": subject,
                        "vnd.docker.reference.type": "attestation-manifest",
                    });
                }
                (Some(platform), None) => descriptor["platform"] = platform_json(platform),
                (None, None) => {}
            }
            descriptor
        })
        .collect();
    let body = json!({"schemaVersion": 2, "mediaType": media_type, "manifests": manifests});
    serialize(media_type, &body)
}

/// A cosign signature (`.sig` tag) or attestation (`.att` tag) manifest.
pub(crate) fn cosign(rng: &mut Rng, attestation: bool) -> Manifest {
    let (layer_type, annotation) = if attestation {
        (
            DSSE_ENVELOPE,
            json!({"predicateType": "https://slsa.dev/provenance/v1"}),
        )
    } else {
        (
            COSIGN_SIGNATURE,
            json!({"dev.cosignproject.cosign/signature": "MEUCIQDfakeSignature"}),
        )
    };
    let size = 200 + rng.below(5_000);
    let mut layer = blob(rng, layer_type, size);
    layer["annotations"] = annotation;
    let body = json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": blob(rng, OCI_CONFIG, 233),
        "layers": [layer],
    });
    serialize(OCI_MANIFEST, &body)
}

/// A Sigstore bundle pushed as an OCI artifact that refers to `subject`.
pub(crate) fn referrer(rng: &mut Rng, subject: &Child) -> Manifest {
    let size = 3_000 + rng.below(5_000);
    let body = json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": SIGSTORE_BUNDLE,
        "config": {"mediaType": EMPTY_CONFIG,
                   "digest": "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
                   "size": 2},
        "layers": [blob(rng, SIGSTORE_BUNDLE, size)],
        "subject": {"mediaType": subject.manifest_media_type,
                    "digest": subject.digest,
                    "size": subject.size},
        "annotations": {"dev.sigstore.bundle.predicateType": "https://slsa.dev/provenance/v1"},
    });
    serialize(OCI_MANIFEST, &body)
}

/// The index a registry without the referrers API keeps under the tag
/// `sha256-<hex>` of the subject (the OCI referrers tag schema).
pub(crate) fn referrers_index(referrers: &[Child]) -> Manifest {
    let manifests: Vec<Value> = referrers
        .iter()
        .map(|r| {
            json!({"mediaType": r.manifest_media_type, "digest": r.digest, "size": r.size,
                   "artifactType": SIGSTORE_BUNDLE})
        })
        .collect();
    let body = json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests});
    serialize(OCI_INDEX, &body)
}

fn is_index(media_type: &str) -> bool {
    media_type == OCI_INDEX || media_type == DOCKER_LIST
}

fn registry_error(status: u16, code: &str, message: &str) -> Answer {
    let body = json!({"errors": [{"code": code, "message": message}]});
    Answer::json(status, body.to_string().into_bytes())
        .header("docker-distribution-api-version", "registry/2.0")
}

fn challenge(shared: &Shared, scope: Option<&str>) -> Answer {
    let service = shared
        .base_url
        .strip_prefix("http://")
        .unwrap_or(&shared.base_url);
    let mut value = format!(
        "Bearer realm=\"{}/token\",service=\"{service}\"",
        shared.base_url
    );
    if let Some(scope) = scope {
        value.push_str(&format!(",scope=\"{scope}\""));
    }
    registry_error(401, "UNAUTHORIZED", "authentication required").header("www-authenticate", value)
}

/// Who the request's registry token was issued to, if it has a valid one.
fn grant(inner: &Inner, headers: &HeaderMap) -> Option<RegistryGrant> {
    let value = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    inner.registry_tokens.get(token.trim()).cloned()
}

pub(crate) fn answer(
    shared: &Shared,
    method: &http::Method,
    path: &str,
    query: Option<&str>,
    headers: &HeaderMap,
) -> Answer {
    let Some(Route::Registry(route)) = routes::parse(method, path) else {
        return registry_error(404, "NOT_FOUND", "page not found");
    };
    let mut inner = shared.lock_at(shared.clock.now());
    let inner = &mut *inner;
    let answer = match route {
        RegistryRoute::Token => issue_token(shared, inner, headers, query),
        RegistryRoute::Base => match grant(inner, headers) {
            Some(_) => Answer::json(200, b"{}".to_vec()),
            None => challenge(shared, None),
        },
        RegistryRoute::Manifest { name, reference } => {
            manifest(shared, inner, headers, method, &name, &reference)
        }
        RegistryRoute::Tags { name } => tags(shared, inner, headers, &name),
    };
    answer.header("docker-distribution-api-version", "registry/2.0")
}

/// `GET /token`: Basic credentials whose password is a GitHub token that
/// may read packages get a token for that account; no credentials get an
/// anonymous token for public images.
fn issue_token(
    shared: &Shared,
    inner: &mut Inner,
    headers: &HeaderMap,
    _query: Option<&str>,
) -> Answer {
    let grant = match headers.get(http::header::AUTHORIZATION) {
        None => RegistryGrant::Anonymous,
        Some(value) => {
            let github_token = value
                .to_str()
                .ok()
                .and_then(|v| {
                    let (scheme, encoded) = v.trim().split_once(' ')?;
                    scheme
                        .eq_ignore_ascii_case("basic")
                        .then_some(encoded.trim())
                })
                .and_then(|encoded| {
                    base64::engine::general_purpose::STANDARD
                        .decode(encoded)
                        .ok()
                })
                .and_then(|raw| String::from_utf8(raw).ok())
                .and_then(|pair| {
                    pair.split_once(':')
                        .map(|(_, password)| password.to_owned())
                });
            let record = github_token.and_then(|t| inner.tokens.find(&t).cloned());
            match record {
                Some(record) if record.allows(Need::Read) => RegistryGrant::Account(record.login),
                _ => {
                    return registry_error(
                        401,
                        "UNAUTHORIZED",
                        "authentication required: the password must be a GitHub token with read:packages",
                    );
                }
            }
        }
    };
    let count = inner.registry_tokens.len() as u64 + 1;
    let token = format!(
        "fake_registry_{:016x}",
        (shared.settings.seed ^ 0x5eed).wrapping_mul(0x2545_f491_4f6c_dd1d) ^ count
    );
    inner.registry_tokens.insert(token.clone(), grant);
    let body = json!({"token": token, "access_token": token, "expires_in": TOKEN_SECONDS});
    Answer::json(200, body.to_string().into_bytes())
}

/// The container package `<owner>/<name>` and whether the grant may read it.
fn find_image<'a>(
    inner: &'a Inner,
    grant: &RegistryGrant,
    image: &str,
) -> Result<&'a PackageRecord, Answer> {
    let unknown = || registry_error(404, "NAME_UNKNOWN", "repository name not known to registry");
    let (owner, name) = image.split_once('/').ok_or_else(unknown)?;
    let package = inner
        .store
        .active_package(PackageKey {
            owner,
            package_type: PackageType::Container,
            name,
        })
        .ok_or_else(unknown)?;
    if *grant == RegistryGrant::Anonymous && package.visibility != Visibility::Public {
        return Err(registry_error(
            403,
            "DENIED",
            "requested access to the resource is denied",
        ));
    }
    Ok(package)
}

/// The image the request may read: a challenge without a registry token,
/// then [`find_image`]'s answers.
fn readable_image<'a>(
    shared: &Shared,
    inner: &'a Inner,
    headers: &HeaderMap,
    image: &str,
) -> Result<&'a PackageRecord, Answer> {
    let grant = grant(inner, headers)
        .ok_or_else(|| challenge(shared, Some(&format!("repository:{image}:pull"))))?;
    find_image(inner, &grant, image)
}

fn accepts(headers: &HeaderMap, media_type: &str) -> bool {
    let values: Vec<&str> = headers
        .get_all(http::header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    values.is_empty()
        || values
            .iter()
            .flat_map(|v| v.split(','))
            .map(|t| t.split(';').next().unwrap_or("").trim())
            .any(|t| t == media_type || t == "*/*")
}

fn manifest(
    shared: &Shared,
    inner: &mut Inner,
    headers: &HeaderMap,
    method: &http::Method,
    image: &str,
    reference: &str,
) -> Answer {
    let package = match readable_image(shared, inner, headers, image) {
        Ok(package) => package,
        Err(answer) => return answer,
    };
    let version = if reference.starts_with("sha256:") {
        package
            .active_versions()
            .find(|v| v.name.eq_ignore_ascii_case(reference))
    } else {
        package.tagged(reference)
    };
    let unknown = || registry_error(404, "MANIFEST_UNKNOWN", "manifest unknown");
    let Some((digest, manifest)) =
        version.and_then(|v| Some((v.name.clone(), v.manifest.clone()?)))
    else {
        return unknown();
    };
    if is_index(&manifest.media_type) && !accepts(headers, &manifest.media_type) {
        return registry_error(
            404,
            "MANIFEST_UNKNOWN",
            "OCI index found, but accept header does not support OCI indexes",
        );
    }
    let length = manifest.body.len();
    let mut answer = Answer::new(200)
        .header("content-type", manifest.media_type)
        .header("docker-content-digest", digest.clone());
    if method == http::Method::GET {
        inner.log.manifest_read(&digest);
        answer.body = manifest.body;
    } else {
        answer = answer.header("content-length", length.to_string());
    }
    answer
}

fn tags(shared: &Shared, inner: &Inner, headers: &HeaderMap, image: &str) -> Answer {
    let package = match readable_image(shared, inner, headers, image) {
        Ok(package) => package,
        Err(answer) => return answer,
    };
    let mut tags: Vec<&str> = package
        .active_versions()
        .flat_map(|v| v.tags.iter().map(String::as_str))
        .collect();
    tags.sort_unstable();
    let body = json!({"name": image, "tags": tags});
    Answer::json(200, body.to_string().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indexes_mark_attestations_as_buildkit_does() {
        let children = [
            Child {
                digest: "sha256:aa".into(),
                manifest_media_type: OCI_MANIFEST.into(),
                size: 10,
                platform: Some("linux/arm64/v8".into()),
                attests: None,
            },
            Child {
                digest: "sha256:bb".into(),
                manifest_media_type: OCI_MANIFEST.into(),
                size: 20,
                platform: None,
                attests: Some("sha256:aa".into()),
            },
        ];
        let manifest = index(&children, false);
        assert_eq!(manifest.media_type, OCI_INDEX);
        let body: Value = serde_json::from_slice(&manifest.body).unwrap();
        assert_eq!(
            body["manifests"][0]["platform"],
            json!({"architecture": "arm64", "os": "linux", "variant": "v8"})
        );
        assert_eq!(body["manifests"][1]["platform"]["os"], "unknown");
        assert_eq!(
            body["manifests"][1]["annotations"]["vnd.docker.reference.type"],
            "attestation-manifest"
        );
        assert_eq!(index(&children, true).media_type, DOCKER_LIST);
    }

    #[test]
    fn accept_lists_are_read_loosely() {
        let mut headers = HeaderMap::new();
        assert!(accepts(&headers, OCI_INDEX));
        headers.insert(
            http::header::ACCEPT,
            http::HeaderValue::from_static(
                "application/vnd.docker.distribution.manifest.v2+json; q=0.5, application/vnd.oci.image.index.v1+json",
            ),
        );
        assert!(accepts(&headers, OCI_INDEX));
        assert!(!accepts(&headers, DOCKER_LIST));
    }
}
