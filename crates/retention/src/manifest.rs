//! Reading one manifest body: is it an image index (an OCI index or a
//! Docker manifest list), and which manifests does it list, as what. Pure,
//! so the rules are tested without a registry.

use std::collections::HashMap;

use serde::Deserialize;

use crate::images::{Part, PartRole, ReferrerKind};

pub(crate) const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub(crate) const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
/// Manifests of one image: they reference layers, never other manifests.
const SINGLE_IMAGE: [&str; 2] = [
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
];
/// Every manifest type the registry may answer with, for `Accept`.
pub(crate) const ACCEPT_MANIFESTS: &str = "application/vnd.oci.image.index.v1+json, \
     application/vnd.docker.distribution.manifest.list.v2+json, \
     application/vnd.oci.image.manifest.v1+json, \
     application/vnd.docker.distribution.manifest.v2+json";

/// What one manifest lists, and what it refers to.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Listed {
    /// Every manifest an image index lists, with what it is.
    pub(crate) parts: Vec<Part>,
    /// The manifest an OCI 1.1 referrer (a signature, attestation or SBOM
    /// pushed with `oras attach`, cosign's referrers mode, ...) names in its
    /// `subject` field.
    pub(crate) subject: Option<String>,
    /// What the referrer is, by its `artifactType` (or its config's media
    /// type), when it has a subject.
    pub(crate) referrer: Option<ReferrerKind>,
    /// Those the index says are single-image manifests and not artifacts:
    /// they list no manifests and refer to none, so there is no need to
    /// read them. (A descriptor with an `artifactType` may be a referrer
    /// whose `subject` matters.)
    pub(crate) leaves: Vec<String>,
    /// Whether the body said it is an index, by media type; a body with
    /// `manifests` is read as one either way.
    pub(crate) declared_index: bool,
}

#[derive(Deserialize)]
struct Body {
    #[serde(rename = "mediaType")]
    media_type: Option<String>,
    manifests: Option<Vec<Descriptor>>,
    subject: Option<Reference>,
    #[serde(rename = "artifactType")]
    artifact_type: Option<String>,
    config: Option<Config>,
}

#[derive(Deserialize)]
struct Reference {
    digest: String,
}

#[derive(Deserialize)]
struct Config {
    #[serde(rename = "mediaType")]
    media_type: Option<String>,
}

/// What an artifact of `media_type` is, as a referrer.
fn referrer_kind(media_type: &str) -> ReferrerKind {
    let t = media_type.to_ascii_lowercase();
    if t.contains("sbom") || t.contains("spdx") || t.contains("cyclonedx") {
        ReferrerKind::Sbom
    } else if t.contains("signature") || t.contains("notary") || t.contains("cosign") {
        ReferrerKind::Signature
    } else if t.contains("sigstore") || t.contains("in-toto") || t.contains("dsse") {
        ReferrerKind::Attestation
    } else {
        ReferrerKind::Other(media_type.to_owned())
    }
}

#[derive(Deserialize)]
struct Descriptor {
    #[serde(rename = "mediaType")]
    media_type: Option<String>,
    #[serde(rename = "artifactType")]
    artifact_type: Option<String>,
    digest: String,
    platform: Option<Platform>,
    #[serde(default)]
    annotations: HashMap<String, String>,
}

#[derive(Deserialize)]
struct Platform {
    os: Option<String>,
    architecture: Option<String>,
    variant: Option<String>,
}

impl Platform {
    /// `os/architecture[/variant]`, if both are given and known.
    fn name(&self) -> Option<String> {
        let (os, arch) = (self.os.as_deref()?, self.architecture.as_deref()?);
        if os == "unknown" {
            return None;
        }
        Some(match self.variant.as_deref() {
            Some(variant) if !variant.is_empty() => format!("{os}/{arch}/{variant}"),
            _ => format!("{os}/{arch}"),
        })
    }
}

/// Reads a manifest answered with `content_type`.
///
/// # Errors
///
/// The body is not a JSON manifest.
pub(crate) fn read(content_type: &str, body: &[u8]) -> Result<Listed, serde_json::Error> {
    let body: Body = serde_json::from_slice(body)?;
    let subject = body.subject.map(|s| s.digest);
    let referrer = subject.as_ref().map(|_| {
        let artifact = body
            .artifact_type
            .as_deref()
            .or(body.config.as_ref().and_then(|c| c.media_type.as_deref()))
            .unwrap_or_default();
        referrer_kind(artifact)
    });
    let declared_index = [OCI_INDEX, DOCKER_LIST]
        .iter()
        .any(|t| content_type.starts_with(t) || body.media_type.as_deref() == Some(*t));
    // A body with `manifests` is an index even if the media type is not one
    // we know: protecting too much is the safe mistake.
    let Some(manifests) = body.manifests else {
        return Ok(Listed {
            declared_index,
            subject,
            referrer,
            ..Listed::default()
        });
    };
    let leaves = manifests
        .iter()
        .filter(|d| {
            d.artifact_type.is_none()
                && d.media_type
                    .as_deref()
                    .is_some_and(|t| SINGLE_IMAGE.contains(&t))
        })
        .map(|d| d.digest.clone())
        .collect();
    let parts = manifests
        .into_iter()
        .map(|d| {
            let attestation = d
                .annotations
                .get("vnd.docker.reference.type")
                .is_some_and(|t| t == "attestation-manifest")
                || d.platform
                    .as_ref()
                    .and_then(|p| p.os.as_deref())
                    .is_some_and(|os| os == "unknown");
            let nested = d
                .media_type
                .as_deref()
                .is_some_and(|t| t == OCI_INDEX || t == DOCKER_LIST);
            let role = if attestation {
                PartRole::Attestation
            } else if nested {
                PartRole::Index
            } else {
                PartRole::Platform
            };
            Part {
                platform: d.platform.as_ref().and_then(Platform::name),
                digest: d.digest,
                role,
            }
        })
        .collect();
    Ok(Listed {
        parts,
        leaves,
        declared_index,
        subject,
        referrer,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_index_lists_platforms_attestations_and_nested_indexes() {
        let body = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": OCI_INDEX,
            "manifests": [
                {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:a",
                 "platform": {"os": "linux", "architecture": "arm", "variant": "v7"}},
                {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:b",
                 "platform": {"os": "unknown", "architecture": "unknown"},
                 "annotations": {"vnd.docker.reference.type": "attestation-manifest"}},
                {"mediaType": DOCKER_LIST, "digest": "sha256:c"}
            ]
        });
        let listed = read("", body.to_string().as_bytes()).unwrap();
        assert!(listed.declared_index);
        assert_eq!(
            listed.parts,
            vec![
                Part {
                    digest: "sha256:a".into(),
                    role: PartRole::Platform,
                    platform: Some("linux/arm/v7".into())
                },
                Part {
                    digest: "sha256:b".into(),
                    role: PartRole::Attestation,
                    platform: None
                },
                Part {
                    digest: "sha256:c".into(),
                    role: PartRole::Index,
                    platform: None
                },
            ]
        );
        assert_eq!(listed.leaves, vec!["sha256:a", "sha256:b"]);
    }

    #[test]
    fn an_oci_referrer_names_its_subject_and_kind() {
        let body = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "artifactType": "application/vnd.dev.sigstore.bundle.v0.3+json",
            "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": "sha256:e", "size": 2},
            "layers": [],
            "subject": {"mediaType": OCI_INDEX, "digest": "sha256:s", "size": 9}
        });
        let listed = read("", body.to_string().as_bytes()).unwrap();
        assert_eq!(listed.subject.as_deref(), Some("sha256:s"));
        assert_eq!(listed.referrer, Some(ReferrerKind::Attestation));
        let sbom = serde_json::json!({"config": {"mediaType": "application/spdx+json"},
                                      "subject": {"digest": "sha256:s"}});
        let listed = read("", sbom.to_string().as_bytes()).unwrap();
        assert_eq!(listed.referrer, Some(ReferrerKind::Sbom));
        let notation = serde_json::json!({"artifactType": "application/vnd.cncf.notary.signature",
                                          "subject": {"digest": "sha256:s"}});
        let listed = read("", notation.to_string().as_bytes()).unwrap();
        assert_eq!(listed.referrer, Some(ReferrerKind::Signature));
    }

    #[test]
    fn an_image_lists_nothing_and_garbage_is_an_error() {
        let image = serde_json::json!({"schemaVersion": 2, "config": {}, "layers": []});
        let listed = read(SINGLE_IMAGE[0], image.to_string().as_bytes()).unwrap();
        assert_eq!(listed, Listed::default());
        assert!(read(OCI_INDEX, b"<html>").is_err());
        // `manifests` without an index media type is still read as one.
        let odd = serde_json::json!({"manifests": [{"digest": "sha256:x"}]});
        let listed = read("application/json", odd.to_string().as_bytes()).unwrap();
        assert!(!listed.declared_index);
        assert_eq!(listed.parts.len(), 1);
    }
}
