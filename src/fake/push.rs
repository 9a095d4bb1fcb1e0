//! `PUT /v2/<name>/manifests/<reference>`: a manifest pushed under a tag
//! or by digest, as tools push one to move a tag (an "untag" pushes a small
//! manifest under the tag, then deletes its version). As on ghcr.io, the
//! manifest becomes a version of the container package (created if new),
//! or the version that already has its digest; a tag moves to it. Blobs
//! are not modelled, so the layers and config a manifest names are not
//! checked.

use http::HeaderMap;
use serde_json::Value;

use crate::generated::types::PackageType;

use super::answer::Answer;
use super::fixtures;
use super::manifests::{DOCKER_LIST, DOCKER_MANIFEST, OCI_INDEX, OCI_MANIFEST};
use super::registry_auth;
use super::sha256;
use super::shared::{Inner, Shared};
use super::state::Manifest;

/// The manifest types the registry stores.
const MANIFEST_TYPES: &[&str] = &[OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_LIST];

pub(crate) fn answer(
    shared: &Shared,
    inner: &mut Inner,
    headers: &HeaderMap,
    name: &str,
    reference: &str,
    body: &[u8],
) -> Answer {
    let pushed = registry_auth::authorize(shared, inner, headers, name, true)
        .and_then(|_| push(shared, inner, headers, name, reference, body));
    match pushed {
        Ok(answer) | Err(answer) => answer,
    }
}

fn push(
    shared: &Shared,
    inner: &mut Inner,
    headers: &HeaderMap,
    name: &str,
    reference: &str,
    body: &[u8],
) -> Result<Answer, Answer> {
    let invalid = |code: &str, message: String| Answer::registry_error(400, code, &message);
    let (owner, package_name) = name.split_once('/').ok_or_else(|| {
        invalid(
            "NAME_INVALID",
            format!("`{name}`: a package is named `<owner>/<name>`"),
        )
    })?;
    fixtures::check_package_name(PackageType::Container, package_name)
        .map_err(|e| invalid("NAME_INVALID", e.to_string()))?;
    let owner = inner
        .store
        .account(owner)
        .ok_or_else(|| {
            Answer::registry_error(
                404,
                "NAME_UNKNOWN",
                &format!("no account `{owner}`: the fake knows the accounts its fixtures, tokens and sample data created"),
            )
        })?
        .login
        .clone();
    let media_type = media_type(headers, body).map_err(|m| invalid("MANIFEST_INVALID", m))?;
    let digest = sha256::digest(body);
    let tag = if reference.starts_with("sha256:") {
        if reference != digest {
            return Err(invalid(
                "DIGEST_INVALID",
                format!("the manifest's digest is {digest}, not {reference}"),
            ));
        }
        None
    } else {
        fixtures::check_tag(reference).map_err(|e| invalid("MANIFEST_INVALID", e.to_string()))?;
        Some(reference)
    };
    let manifest = Manifest {
        media_type,
        body: body.to_vec(),
    };
    let now = shared.clock.now();
    inner
        .store
        .push_manifest(&owner, package_name, &digest, tag, manifest, now);
    Ok(Answer::new(201)
        .header("location", format!("/v2/{name}/manifests/{digest}"))
        .header("docker-content-digest", digest)
        .header("content-length", "0"))
}

/// The manifest's media type: its `Content-Type`, or its `mediaType` field;
/// the two must agree when both are given, and name a manifest type.
fn media_type(headers: &HeaderMap, body: &[u8]) -> Result<String, String> {
    let manifest: Value =
        serde_json::from_slice(body).map_err(|e| format!("the manifest is not JSON: {e}"))?;
    let Value::Object(fields) = &manifest else {
        return Err("the manifest is not a JSON object".to_owned());
    };
    if fields.get("schemaVersion") != Some(&Value::from(2)) {
        return Err("the manifest's schemaVersion is not 2".to_owned());
    }
    let content_type = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or_default().trim().to_owned())
        .filter(|v| MANIFEST_TYPES.contains(&v.as_str()));
    let field = fields
        .get("mediaType")
        .and_then(Value::as_str)
        .map(str::to_owned);
    match (content_type, field) {
        (Some(header), Some(field)) if header != field => Err(format!(
            "Content-Type {header} does not match the manifest's mediaType {field}"
        )),
        (Some(known), _) => Ok(known),
        (None, Some(field)) if MANIFEST_TYPES.contains(&field.as_str()) => Ok(field),
        _ => Err(format!(
            "a manifest needs a Content-Type or mediaType of {}",
            MANIFEST_TYPES.join(", ")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_type(content_type: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_str(content_type).unwrap(),
        );
        headers
    }

    #[test]
    fn the_media_type_comes_from_the_header_or_the_body_and_they_agree() {
        let oci =
            br#"{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json"}"#;
        let bare = br#"{"schemaVersion": 2}"#;
        assert_eq!(media_type(&HeaderMap::new(), oci).unwrap(), OCI_MANIFEST);
        assert_eq!(
            media_type(&with_type("application/json"), oci).unwrap(),
            OCI_MANIFEST
        );
        assert_eq!(media_type(&with_type(OCI_INDEX), bare).unwrap(), OCI_INDEX);
        assert!(
            media_type(&with_type(OCI_INDEX), oci)
                .unwrap_err()
                .contains("does not match")
        );
        assert!(
            media_type(&HeaderMap::new(), bare)
                .unwrap_err()
                .contains("Content-Type")
        );
        assert!(
            media_type(&HeaderMap::new(), b"[2]")
                .unwrap_err()
                .contains("object")
        );
        assert!(
            media_type(&HeaderMap::new(), b"{")
                .unwrap_err()
                .contains("not JSON")
        );
        let v1 =
            br#"{"schemaVersion": 1, "mediaType": "application/vnd.oci.image.manifest.v1+json"}"#;
        assert!(
            media_type(&HeaderMap::new(), v1)
                .unwrap_err()
                .contains("schemaVersion")
        );
    }
}
