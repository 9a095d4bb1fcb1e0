//! What a container package's versions are to each other: the parts an
//! image index lists (platform images, attestations, nested indexes) and
//! the referrers a tag names (cosign signatures, attestations, SBOMs). The
//! planner fills [`Images`] from the registry; deciding reads it.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// How a manifest relates to the image index that lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PartRole {
    /// An image for one platform.
    Platform,
    /// An attestation manifest (BuildKit's, listed with platform
    /// `unknown/unknown` or annotated `attestation-manifest`).
    Attestation,
    /// An image index listed by another one.
    Index,
}

/// One manifest an image index lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Part {
    /// Its digest, `sha256:<hex>`: the name of its version in the package.
    pub digest: String,
    /// What it is to the index.
    pub role: PartRole,
    /// `os/architecture[/variant]`, when the index says.
    pub platform: Option<String>,
}

/// What a referrer tag says its version is, by its suffix.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ReferrerKind {
    /// `.sig`: a cosign signature.
    Signature,
    /// `.att`, or no suffix (the index GitHub's attestations are pushed as).
    Attestation,
    /// `.sbom`.
    Sbom,
    /// Another suffix, without its dot.
    Other(String),
}

/// The subject and kind a referrer tag names: `sha256-<64 hex>` with an
/// optional `.suffix`, the scheme cosign and GitHub's attestations use on
/// registries without the OCI referrers API (GHCR).
///
/// ```
/// use github_packages_retention::{ReferrerKind, referrer_tag};
///
/// let tag = format!("sha256-{}.sig", "ab".repeat(32));
/// let (subject, kind) = referrer_tag(&tag).unwrap();
/// assert_eq!(subject, format!("sha256:{}", "ab".repeat(32)));
/// assert_eq!(kind, ReferrerKind::Signature);
/// assert_eq!(referrer_tag("v1.0.0"), None);
/// ```
pub fn referrer_tag(tag: &str) -> Option<(String, ReferrerKind)> {
    let rest = tag.strip_prefix("sha256-")?;
    let (hex, suffix) = match rest.split_once('.') {
        Some((hex, suffix)) => (hex, Some(suffix)),
        None => (rest, None),
    };
    if hex.len() != 64 || !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    let kind = match suffix {
        None | Some("att") => ReferrerKind::Attestation,
        Some("sig") => ReferrerKind::Signature,
        Some("sbom") => ReferrerKind::Sbom,
        Some(other) if !other.is_empty() => ReferrerKind::Other(other.to_owned()),
        Some(_) => return None,
    };
    Some((format!("sha256:{hex}"), kind))
}

/// The subject of a version whose tags are all referrer tags (the first
/// one's), if they are.
pub(crate) fn referrer_of(tags: &[String]) -> Option<(String, ReferrerKind)> {
    let mut found = None;
    for tag in tags {
        let (subject, kind) = referrer_tag(tag)?;
        if found.is_none() {
            found = Some((subject, kind));
        }
    }
    found
}

/// What one manifest says about its version's place in the package: the
/// manifests it lists (an image index) and the one it refers to (an OCI 1.1
/// referrer). Empty for a plain image.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// The manifests an image index lists.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<Part>,
    /// Those of its parts the index says are plain images (single-image
    /// manifests, not artifacts): they need no read of their own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub plain_parts: Vec<String>,
    /// The digest in the manifest's `subject` field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// What the referrer is, when it has a subject.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referrer: Option<ReferrerKind>,
}

/// What the registry said about the manifests read so far.
#[derive(Debug, Clone, Default)]
pub struct Images {
    /// Each digest read (or known to be a single image), with what it says.
    read: HashMap<String, Manifest>,
    /// The registry could not be read: any version may be part of a kept
    /// image, so nothing is deleted but what follows a deleted subject.
    unreadable: bool,
}

impl Images {
    /// Records what the manifest `digest` says.
    pub fn record(&mut self, digest: String, manifest: Manifest) {
        self.read.insert(digest, manifest);
    }

    /// Records that `digest` is a plain image (an index says so), without
    /// reading it, unless more is known of it already.
    pub fn record_image(&mut self, digest: String) {
        self.read.entry(digest).or_default();
    }

    /// Records that the registry could not be read: deciding again holds
    /// every delete (a referrer of a held subject is held with it).
    pub fn mark_unreadable(&mut self) {
        self.unreadable = true;
    }

    /// Whether the registry was found unreadable.
    pub fn is_unreadable(&self) -> bool {
        self.unreadable
    }

    /// Whether `digest` was read (or needs no read).
    pub fn is_known(&self, digest: &str) -> bool {
        self.read.contains_key(digest)
    }

    /// What `digest`'s manifest says, if it was read.
    pub fn manifest(&self, digest: &str) -> Option<&Manifest> {
        self.read.get(digest)
    }

    /// The manifests `digest` lists; empty if it is an image or unread.
    pub fn parts(&self, digest: &str) -> &[Part] {
        self.read.get(digest).map_or(&[], |m| m.parts.as_slice())
    }

    /// How many digests were recorded.
    pub fn len(&self) -> usize {
        self.read.len()
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.read.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn referrer_tags_are_recognised_strictly() {
        let hex = "a".repeat(64);
        assert_eq!(
            referrer_tag(&format!("sha256-{hex}.sig")),
            Some((format!("sha256:{hex}"), ReferrerKind::Signature))
        );
        assert_eq!(
            referrer_tag(&format!("sha256-{hex}")).unwrap().1,
            ReferrerKind::Attestation
        );
        assert_eq!(
            referrer_tag(&format!("sha256-{hex}.att")).unwrap().1,
            ReferrerKind::Attestation
        );
        assert_eq!(
            referrer_tag(&format!("sha256-{hex}.intoto")).unwrap().1,
            ReferrerKind::Other("intoto".into())
        );
        for not in [
            "sha256-abc.sig".to_owned(),
            format!("sha256-{}.sig", "A".repeat(64)),
            format!("sha256-{hex}."),
            format!("sha512-{hex}.sig"),
            "latest".to_owned(),
        ] {
            assert_eq!(referrer_tag(&not), None, "{not}");
        }
    }

    #[test]
    fn a_version_is_a_referrer_only_if_every_tag_is_a_referrer_tag() {
        let sig = format!("sha256-{}.sig", "b".repeat(64));
        assert!(referrer_of(std::slice::from_ref(&sig)).is_some());
        assert!(referrer_of(&[sig, "latest".to_owned()]).is_none());
        assert!(referrer_of(&[]).is_none());
    }
}
