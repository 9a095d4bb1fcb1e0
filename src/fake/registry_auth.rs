//! The registry's bearer-token flow, as Docker's token authentication
//! describes it: a `401` challenge naming the realm and the scope an
//! operation needs, the token service `GET /token` (HTTP Basic credentials
//! whose password is a GitHub token, none for public images, and `scope`
//! parameters `repository:<name>:<actions>`), and the check of a token's
//! grant. Each repository gets the actions asked for that the GitHub token
//! allows (`pull` with `read:packages`, `push` with `write:packages`) and
//! nothing more.

use base64::Engine as _;
use http::HeaderMap;
use serde_json::json;

use super::answer::Answer;
use super::auth::{Need, RegistryActions, RegistryGrant, RepositoryAccess, TokenRecord};
use super::shared::{Inner, Shared};

/// How long a registry token lives, in seconds (ghcr.io says 300).
const TOKEN_SECONDS: u64 = 300;

/// The `401` that sends a client to the token service, naming the `scope`
/// the operation needs; `insufficient` when the client's token lacks it.
pub(crate) fn challenge(
    shared: &Shared,
    headers: &HeaderMap,
    scope: Option<&str>,
    insufficient: bool,
) -> Answer {
    let base = shared.base_for(headers);
    let service = base.strip_prefix("http://").unwrap_or(&base);
    let mut value = format!("Bearer realm=\"{base}/token\",service=\"{service}\"");
    if let Some(scope) = scope {
        value.push_str(&format!(",scope=\"{scope}\""));
    }
    if insufficient {
        value.push_str(",error=\"insufficient_scope\"");
    }
    Answer::registry_error(401, "UNAUTHORIZED", "authentication required")
        .header("www-authenticate", value)
}

/// The grant of a request that may pull (or, with `push`, push) in the
/// repository `name`. Without a registry token, or with one whose scope
/// did not ask for this, a challenge naming the scope needed (a push needs
/// `push` only); a token that asked for `push` but was refused it gets
/// `403 DENIED`, since a new token would be refused again.
pub(crate) fn authorize(
    shared: &Shared,
    inner: &Inner,
    headers: &HeaderMap,
    name: &str,
    push: bool,
) -> Result<RegistryGrant, Answer> {
    let scope = format!("repository:{name}:{}", if push { "push" } else { "pull" });
    let Some(grant) = grant_of(inner, headers) else {
        return Err(challenge(shared, headers, Some(&scope), false));
    };
    let granted = grant.granted(name);
    if (push && granted.push) || (!push && granted.pull) {
        return Ok(grant);
    }
    if push && grant.asked(name).push {
        return Err(Answer::registry_error(
            403,
            "DENIED",
            "requested access to the resource is denied: pushing needs a GitHub token with write:packages",
        ));
    }
    Err(challenge(shared, headers, Some(&scope), true))
}

/// The grant behind the request's `Authorization: Bearer` registry token,
/// if it has a valid one.
pub(crate) fn grant_of(inner: &Inner, headers: &HeaderMap) -> Option<RegistryGrant> {
    let value = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    inner.registry_tokens.get(token.trim()).cloned()
}

/// `GET /token`: a token for the scopes asked, as far as the credentials
/// allow. Credentials that are not a GitHub token that may read packages
/// are refused; no credentials get an anonymous token.
pub(crate) fn issue(
    shared: &Shared,
    inner: &mut Inner,
    headers: &HeaderMap,
    query: Option<&str>,
) -> Answer {
    let record = match headers.get(http::header::AUTHORIZATION) {
        None => None,
        Some(value) => {
            let record = basic_password(value).and_then(|t| inner.tokens.find(&t).cloned());
            match record {
                Some(record) if record.allows(Need::Read) => Some(record),
                _ => {
                    return Answer::registry_error(
                        401,
                        "UNAUTHORIZED",
                        "authentication required: the password must be a GitHub token with read:packages",
                    );
                }
            }
        }
    };
    let access = requested(query)
        .into_iter()
        .map(|(name, asked)| RepositoryAccess {
            name,
            asked,
            granted: allowed(record.as_ref(), asked),
        })
        .collect();
    let grant = RegistryGrant {
        account: record.map(|r| r.login),
        access,
    };
    let count = inner.registry_tokens.len() as u64 + 1;
    let token = format!(
        "fake_registry_{:016x}",
        (shared.settings.seed ^ 0x5eed).wrapping_mul(0x2545_f491_4f6c_dd1d) ^ count
    );
    inner.registry_tokens.insert(token.clone(), grant);
    let issued_at = shared
        .clock
        .now()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let body = json!({"token": token, "access_token": token, "expires_in": TOKEN_SECONDS,
                      "issued_at": issued_at});
    Answer::json(200, body.to_string().into_bytes())
}

/// The password of `Basic base64(user:password)`.
fn basic_password(value: &http::HeaderValue) -> Option<String> {
    let (scheme, encoded) = value.to_str().ok()?.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let pair = String::from_utf8(raw).ok()?;
    pair.split_once(':')
        .map(|(_, password)| password.to_owned())
}

/// Of the actions asked, those the GitHub token behind the request allows;
/// without one, `pull` (of public images: the registry checks that).
fn allowed(record: Option<&TokenRecord>, asked: RegistryActions) -> RegistryActions {
    RegistryActions {
        pull: asked.pull && record.is_none_or(|r| r.allows(Need::Read)),
        push: asked.push && record.is_some_and(|r| r.allows(Need::Push)),
    }
}

/// The repositories and actions of every `scope` parameter (each may list
/// several scopes separated by spaces); other resource types and actions
/// the fake does not offer (`delete`) are left out.
fn requested(query: Option<&str>) -> Vec<(String, RegistryActions)> {
    let mut out: Vec<(String, RegistryActions)> = Vec::new();
    let pairs = url::form_urlencoded::parse(query.unwrap_or_default().as_bytes());
    for (_, value) in pairs.filter(|(key, _)| key == "scope") {
        for scope in value.split(' ') {
            let Some((name, actions)) = parse_scope(scope) else {
                continue;
            };
            match out.iter_mut().find(|(n, _)| *n == name) {
                Some((_, known)) => {
                    known.pull |= actions.pull;
                    known.push |= actions.push;
                }
                None => out.push((name, actions)),
            }
        }
    }
    out
}

/// `repository:<name>:<action>[,<action>...]`, the name lowercased.
fn parse_scope(scope: &str) -> Option<(String, RegistryActions)> {
    let rest = scope.strip_prefix("repository:")?;
    let (name, actions) = rest.rsplit_once(':')?;
    if name.is_empty() {
        return None;
    }
    let mut out = RegistryActions::default();
    for action in actions.split(',') {
        match action.trim() {
            "pull" => out.pull = true,
            "push" => out.push = true,
            "*" => {
                out.pull = true;
                out.push = true;
            }
            _ => {}
        }
    }
    Some((name.to_ascii_lowercase(), out))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PULL: RegistryActions = RegistryActions {
        pull: true,
        push: false,
    };
    const BOTH: RegistryActions = RegistryActions {
        pull: true,
        push: true,
    };

    #[test]
    fn scopes_are_read_as_dockers_token_authentication_writes_them() {
        assert_eq!(
            parse_scope("repository:acme/team/App:pull,push"),
            Some(("acme/team/app".to_owned(), BOTH))
        );
        assert_eq!(
            parse_scope("repository:acme/app:*"),
            Some(("acme/app".to_owned(), BOTH))
        );
        assert_eq!(
            parse_scope("repository:acme/app:delete"),
            Some(("acme/app".to_owned(), RegistryActions::default()))
        );
        for odd in [
            "registry:catalog:*",
            "repository::pull",
            "\"repository:a/b:pull",
            "",
        ] {
            assert_eq!(parse_scope(odd), None, "{odd}");
        }
        let asked = requested(Some(
            "service=x&scope=repository:acme/app:pull&scope=repository%3Aacme%2Fapp%3Apush+repository:acme/lib:pull",
        ));
        assert_eq!(
            asked,
            [("acme/app".to_owned(), BOTH), ("acme/lib".to_owned(), PULL)]
        );
    }
}
