//! The manifests fixtures create, in the shapes registries serve them:
//! single images, OCI image indexes and Docker manifest lists, BuildKit
//! attestation manifests, and cosign-style signatures, attestations and
//! referrers.

use serde_json::{Value, json};

use super::seed::Rng;
use super::state::Manifest;

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

pub(crate) fn is_index(media_type: &str) -> bool {
    media_type == OCI_INDEX || media_type == DOCKER_LIST
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
}
