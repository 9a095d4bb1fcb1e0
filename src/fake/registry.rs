//! A minimal OCI distribution registry for container packages, on the same
//! server as the API, the way ghcr.io sits beside api.github.com: manifests
//! by digest or tag, the tag list, and the bearer-token flow (`401` with
//! `WWW-Authenticate: Bearer realm=..,service=..,scope=..`, then `/token`
//! with HTTP Basic and a GitHub token that may read packages).

use base64::Engine as _;
use http::HeaderMap;
use serde_json::json;

use crate::generated::types::{PackageType, Visibility};

use super::answer::Answer;
use super::auth::{Need, RegistryGrant};
use super::manifests::is_index;
use super::routes::{self, RegistryRoute, Route};
use super::shared::{Inner, Shared};
use super::state::{PackageKey, PackageRecord};

/// How long a registry token lives, in seconds (ghcr.io says 300).
const TOKEN_SECONDS: u64 = 300;

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
    use crate::fake::manifests::{DOCKER_LIST, OCI_INDEX};

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
