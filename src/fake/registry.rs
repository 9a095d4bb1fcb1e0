//! A minimal OCI distribution registry for container packages, on the same
//! server as the API, the way ghcr.io sits beside api.github.com: manifests
//! by digest or tag, pushes of manifests, the tag list paged with `n` and
//! `last`, behind the bearer-token flow. Operations the fake does not offer
//! (blobs, uploads, deleting manifests, the catalog, the referrers API)
//! answer as the distribution spec says: a challenge first, then
//! `UNSUPPORTED`.

use http::HeaderMap;
use serde_json::json;

use crate::generated::types::{PackageType, Visibility};

use super::answer::Answer;
use super::auth::RegistryGrant;
use super::manifests::is_index;
use super::push;
use super::registry_auth::{self, challenge};
use super::routes::{self, RegistryRoute, Route};
use super::shared::{Inner, Shared};
use super::state::{PackageKey, PackageRecord};

/// One request to the registry.
#[derive(Debug)]
pub(crate) struct RegistryRequest<'a> {
    pub(crate) method: &'a http::Method,
    pub(crate) path: &'a str,
    pub(crate) query: Option<&'a str>,
    pub(crate) headers: &'a HeaderMap,
    /// The body, read only for a push.
    pub(crate) body: &'a [u8],
}

pub(crate) fn answer(shared: &Shared, request: &RegistryRequest<'_>) -> Answer {
    let route = match routes::parse(request.method, request.path) {
        Some(Route::Registry(route)) => route,
        _ => RegistryRoute::Unsupported {
            name: None,
            write: false,
        },
    };
    let headers = request.headers;
    let mut inner = shared.lock_at(shared.clock.now());
    let inner = &mut *inner;
    let answer = match route {
        RegistryRoute::Token => registry_auth::issue(shared, inner, headers, request.query),
        RegistryRoute::Base => match registry_auth::grant_of(inner, headers) {
            Some(_) => Answer::json(200, b"{}".to_vec()),
            None => challenge(shared, headers, None, false),
        },
        RegistryRoute::Manifest { name, reference } => {
            manifest(shared, inner, headers, request.method, &name, &reference)
        }
        RegistryRoute::PutManifest { name, reference } => {
            push::answer(shared, inner, headers, &name, &reference, request.body)
        }
        RegistryRoute::Tags { name } => tags(shared, inner, headers, &name, request.query),
        RegistryRoute::Referrers { name } => {
            // Not offered, like on ghcr.io; a 404 tells a client to fall
            // back to the referrers tag schema, as OCI 1.1 specifies.
            match registry_auth::authorize(shared, inner, headers, &name, false) {
                Err(refused) => refused,
                Ok(_) => Answer::registry_error(
                    404,
                    "UNSUPPORTED",
                    "the referrers API is not offered; use the referrers tag schema",
                ),
            }
        }
        RegistryRoute::Unsupported { name, write } => {
            unsupported(shared, inner, request, name.as_deref(), write)
        }
    };
    answer.header("docker-distribution-api-version", "registry/2.0")
}

/// An operation the fake does not offer: the challenge a client meets
/// first anywhere in the registry, then `405 UNSUPPORTED` (the token
/// service itself answers `405` at once, so OAuth2 clients fall back to
/// `GET /token`).
fn unsupported(
    shared: &Shared,
    inner: &Inner,
    request: &RegistryRequest<'_>,
    name: Option<&str>,
    write: bool,
) -> Answer {
    let refusal = || {
        Answer::registry_error(
            405,
            "UNSUPPORTED",
            &format!(
                "the fake registry does not offer {} {}; it serves manifests, manifest pushes and tag lists",
                request.method, request.path
            ),
        )
    };
    if request.path == "/token" || registry_auth::grant_of(inner, request.headers).is_some() {
        return refusal();
    }
    let scope =
        name.map(|name| format!("repository:{name}:{}", if write { "push" } else { "pull" }));
    challenge(shared, request.headers, scope.as_deref(), false)
}

/// The container package `<owner>/<name>` and whether the grant may read it.
fn find_image<'a>(
    inner: &'a Inner,
    grant: &RegistryGrant,
    image: &str,
) -> Result<&'a PackageRecord, Answer> {
    let unknown =
        || Answer::registry_error(404, "NAME_UNKNOWN", "repository name not known to registry");
    let (owner, name) = image.split_once('/').ok_or_else(unknown)?;
    let package = inner
        .store
        .active_package(PackageKey {
            owner,
            package_type: PackageType::Container,
            name,
        })
        .ok_or_else(unknown)?;
    if grant.account.is_none() && package.visibility != Visibility::Public {
        return Err(Answer::registry_error(
            403,
            "DENIED",
            "requested access to the resource is denied",
        ));
    }
    Ok(package)
}

/// The image the request may read: a challenge without a registry token
/// that may pull it, then [`find_image`]'s answers.
fn readable_image<'a>(
    shared: &Shared,
    inner: &'a Inner,
    headers: &HeaderMap,
    image: &str,
) -> Result<&'a PackageRecord, Answer> {
    let grant = registry_auth::authorize(shared, inner, headers, image, false)?;
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
    let unknown = || Answer::registry_error(404, "MANIFEST_UNKNOWN", "manifest unknown");
    let Some((digest, manifest)) =
        version.and_then(|v| Some((v.name.clone(), v.manifest.clone()?)))
    else {
        return unknown();
    };
    if is_index(&manifest.media_type) && !accepts(headers, &manifest.media_type) {
        return Answer::registry_error(
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

/// `GET /v2/<name>/tags/list`: the tags in lexical order, `n` at a time
/// after the tag `last`, with a `Link` to the next page while tags remain,
/// as the distribution spec pages them.
fn tags(
    shared: &Shared,
    inner: &Inner,
    headers: &HeaderMap,
    image: &str,
    query: Option<&str>,
) -> Answer {
    let package = match readable_image(shared, inner, headers, image) {
        Ok(package) => package,
        Err(answer) => return answer,
    };
    let params: Vec<(String, String)> =
        url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let param = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let n = match param("n").map(str::parse::<usize>) {
        None => None,
        Some(Ok(n)) => Some(n),
        Some(Err(_)) => {
            return Answer::registry_error(
                400,
                "PAGINATION_NUMBER_INVALID",
                "`n` must be a whole number of tags",
            );
        }
    };
    let mut tags: Vec<&str> = package
        .active_versions()
        .flat_map(|v| v.tags.iter().map(String::as_str))
        .filter(|t| param("last").is_none_or(|last| *t > last))
        .collect();
    tags.sort_unstable();
    tags.dedup();
    let more = n.is_some_and(|n| tags.len() > n);
    if let Some(n) = n {
        tags.truncate(n);
    }
    let body = json!({"name": image, "tags": tags});
    let answer = Answer::json(200, body.to_string().into_bytes());
    match (more, n, tags.last()) {
        (true, Some(n), Some(last)) => {
            let next = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("n", &n.to_string())
                .append_pair("last", last)
                .finish();
            answer.header(
                "link",
                format!("</v2/{image}/tags/list?{next}>; rel=\"next\""),
            )
        }
        _ => answer,
    }
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
