//! The REST side: the 27 packages operations, each answered as GitHub does,
//! after authentication, the rate limits and the scope check, in GitHub's
//! order (401, then limits, then 404 for unknown paths, then 403 for a
//! missing scope, then 422 for bad parameters, then 404 for what does not
//! exist).

use chrono::{DateTime, Utc};
use http::HeaderMap;

use crate::generated::types::{PackageType, VersionState, Visibility};

use super::answer::Answer;
use super::auth::{Caller, TokenRecord};
use super::limits::{SECONDARY_DOCS, points_for};
use super::routes::{self, AccountRoute, ApiRoute, Operation, PackagePath, Route, Target};
use super::shared::{Inner, Shared};
use super::state::{
    Account, AccountKind, MSG_PACKAGE_NOT_FOUND, MSG_VERSION_NOT_FOUND, PackageKey, PackageRecord,
    Refusal,
};
use super::users;

const REST_DOCS: &str = "https://docs.github.com/rest";
const API_VERSION: &str = "2022-11-28";
/// GitHub's default and largest page sizes.
const DEFAULT_PER_PAGE: u64 = 30;
const MAX_PER_PAGE: u64 = 100;
/// `page * per_page` may not pass this when listing packages.
const LISTING_WALL: u64 = 10_000;
const SECONDARY_MESSAGE: &str = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID";

fn error(status: u16, message: &str, docs: &str) -> Answer {
    Answer::github_error(status, message, docs)
}

/// The 404 of a path outside what the fake models, saying so: a tool that
/// reports "not found" then points at the fake, not at the user's data.
fn unmodelled(method: &http::Method, path: &str) -> Answer {
    error(
        404,
        &format!(
            "Not Found: the fake GitHub does not model {method} {path}; it answers the 27 \
             packages operations, GET /user and GET /users/{{username}}"
        ),
        REST_DOCS,
    )
}

fn request_id(inner: &mut Inner) -> String {
    inner.requests_answered += 1;
    format!("FAKE:{:08X}", inner.requests_answered)
}

/// The answer when more requests than allowed are in flight at once.
pub(crate) fn too_many_in_flight(shared: &Shared) -> Answer {
    let id = request_id(&mut shared.lock());
    error(403, &format!("{SECONDARY_MESSAGE} {id}."), SECONDARY_DOCS)
        .header("retry-after", "1")
        .header("x-github-request-id", id)
}

pub(crate) fn answer(
    shared: &Shared,
    method: &http::Method,
    path: &str,
    query: Option<&str>,
    headers: &HeaderMap,
) -> Answer {
    let now = shared.clock.now();
    let mut inner = shared.lock_at(now);
    let inner = &mut *inner;
    let id = request_id(inner);
    let mut common = vec![
        (
            "x-github-api-version-selected".to_owned(),
            API_VERSION.to_owned(),
        ),
        (
            "x-github-media-type".to_owned(),
            "github.v3; format=json".to_owned(),
        ),
        ("x-github-request-id".to_owned(), id.clone()),
    ];
    let mut answer = respond(
        shared,
        inner,
        &mut common,
        method,
        path,
        query,
        headers,
        now,
        &id,
    );
    common.append(&mut answer.headers);
    answer.headers = common;
    answer
}

#[allow(clippy::too_many_arguments)]
fn respond(
    shared: &Shared,
    inner: &mut Inner,
    headers_out: &mut Vec<(String, String)>,
    method: &http::Method,
    path: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    now: DateTime<Utc>,
    request_id: &str,
) -> Answer {
    let limits = &shared.settings.limits;
    let caller = inner.tokens.identify(
        headers
            .get(http::header::AUTHORIZATION)
            .map(|v| v.as_bytes()),
    );

    // The hourly quota: the token's account, or the (loopback) address for
    // requests without a token.
    let (bucket, quota) = match &caller {
        Caller::Token(token) => (token.login.clone(), limits.primary_per_hour),
        _ => ("\u{0}anonymous".to_owned(), limits.anonymous_per_hour),
    };
    if let Some(limit) = quota {
        let quota = inner.counters.charge_primary(&bucket, limit, now);
        headers_out.extend(quota.headers().map(|(k, v)| (k.to_owned(), v)));
        if quota.exceeded {
            let message = match &caller {
                Caller::Token(token) => format!(
                    "API rate limit exceeded for user ID {}.",
                    inner.store.account(&token.login).map_or(0, |a| a.id)
                ),
                _ => "API rate limit exceeded for 127.0.0.1. (But here's the good news: \
                      Authenticated requests get a higher rate limit. Check out the documentation \
                      for more details.)"
                    .to_owned(),
            };
            return error(limits.primary_status, &message, super::limits::PRIMARY_DOCS);
        }
    }

    let route = routes::parse(method, path);
    let token = match caller {
        Caller::BadCredentials => return error(401, "Bad credentials", REST_DOCS),
        Caller::Anonymous => {
            return match &route {
                // Public profiles need no token.
                Some(Route::Account(route @ AccountRoute::User(_))) => {
                    users::answer(shared.bodies(), inner, route, None)
                }
                None if !routes::is_modelled_path(path) => unmodelled(method, path),
                _ => error(401, "Requires authentication", REST_DOCS),
            };
        }
        Caller::Token(token) => token,
    };
    if let Some(scopes) = token.scope_header() {
        headers_out.push(("x-oauth-scopes".to_owned(), scopes));
    }

    if let Some(per_minute) = limits.points_per_minute
        && let Err(wait) = inner.counters.spend_points(
            &token.login,
            points_for(method),
            per_minute,
            limits.points_window,
            now,
        )
    {
        return error(
            403,
            &format!("{SECONDARY_MESSAGE} {request_id}."),
            SECONDARY_DOCS,
        )
        .header("retry-after", wait.to_string());
    }

    let route = match route {
        Some(Route::Api(route)) => route,
        Some(Route::Account(route)) => {
            return users::answer(shared.bodies(), inner, &route, Some(&token));
        }
        _ if !routes::is_modelled_path(path) => return unmodelled(method, path),
        _ => return error(404, "Not Found", REST_DOCS),
    };
    let docs = route.documentation_url();
    let need = route.operation.need();
    if token.is_actions() {
        headers_out.push((
            "x-accepted-github-permissions".to_owned(),
            need.accepted_permission().to_owned(),
        ));
        if route.target == Target::AuthenticatedUser {
            return error(403, "Resource not accessible by integration", &docs);
        }
        // A workflow's GITHUB_TOKEN cannot list an owner's packages; GitHub
        // answers 400 (cli/cli#9606), though named packages can be read.
        if matches!(route.operation, Operation::ListPackages) {
            return error(400, "Invalid argument.", &docs);
        }
    } else {
        headers_out.push((
            "x-accepted-oauth-scopes".to_owned(),
            need.accepted_scopes().to_owned(),
        ));
    }
    if !token.allows(need) {
        return error(403, route.operation.forbidden_message(), &docs);
    }

    let query: Vec<(String, String)> = query
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let call = Call {
        shared,
        base: shared.base_for(headers),
        token: &token,
        route: &route,
        docs: &docs,
        path,
        query: &query,
        now,
    };
    match call.run(inner) {
        Ok(answer) | Err(answer) => answer,
    }
}

/// One authorized call, ready to run against the store.
struct Call<'a> {
    shared: &'a Shared,
    /// The fake's origin as the client addressed it.
    base: String,
    token: &'a TokenRecord,
    route: &'a ApiRoute,
    docs: &'a str,
    path: &'a str,
    query: &'a [(String, String)],
    now: DateTime<Utc>,
}

/// Page number and size as GitHub reads them: missing, unreadable or zero
/// values take the defaults, and sizes over 100 are cut to 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Paging {
    page: u64,
    per_page: u64,
}

impl Paging {
    fn read(query: &[(String, String)]) -> Paging {
        let number = |name: &str| {
            param(query, name)
                .and_then(|v| v.trim().parse::<u64>().ok())
                .filter(|n| *n > 0)
        };
        Paging {
            page: number("page").unwrap_or(1),
            per_page: number("per_page")
                .unwrap_or(DEFAULT_PER_PAGE)
                .min(MAX_PER_PAGE),
        }
    }

    /// The items of this page, and the number of the last page.
    fn cut<'t, T>(&self, items: &'t [T]) -> (&'t [T], u64) {
        let total = items.len() as u64;
        let last = total.div_ceil(self.per_page).max(1);
        let start = (self.page - 1).saturating_mul(self.per_page).min(total) as usize;
        let end = (start as u64).saturating_add(self.per_page).min(total) as usize;
        (&items[start..end], last)
    }
}

fn param<'q>(query: &'q [(String, String)], name: &str) -> Option<&'q str> {
    query
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

fn json_of<T: serde::Serialize>(status: u16, value: &T) -> Answer {
    match serde_json::to_vec(value) {
        Ok(body) => Answer::json(status, body),
        Err(_) => error(500, "Internal server error.", REST_DOCS),
    }
}

impl Call<'_> {
    fn refuse(&self, refusal: Refusal) -> Answer {
        error(refusal.status, refusal.message, self.docs)
    }

    fn invalid(&self, message: &str) -> Answer {
        error(422, message, self.docs)
    }

    /// The owner's login, after checking the account exists as the path
    /// says (a user under `/users`, an organization under `/orgs`).
    fn owner(&self, inner: &Inner) -> Result<String, Answer> {
        let (login, kind) = match &self.route.target {
            Target::AuthenticatedUser => return Ok(self.token.login.clone()),
            Target::User(login) => (login, AccountKind::User),
            Target::Org(org) => (org, AccountKind::Organization),
        };
        match inner.store.account(login) {
            Some(account) if account.kind == kind => Ok(account.login.clone()),
            _ => Err(error(404, "Not Found", self.docs)),
        }
    }

    /// The active package `p` of `owner`, with its owner's account.
    fn found<'i>(
        &self,
        inner: &'i Inner,
        owner: &str,
        p: &PackagePath,
    ) -> Result<(&'i Account, &'i PackageRecord), Answer> {
        let key = key(owner, self.package_type(&p.package_type)?, p);
        let package = inner
            .store
            .active_package(key)
            .ok_or_else(|| error(404, MSG_PACKAGE_NOT_FOUND, self.docs))?;
        let account = inner
            .store
            .account(&package.owner)
            .ok_or_else(|| error(404, "Not Found", self.docs))?;
        Ok((account, package))
    }

    fn package_type(&self, raw: &str) -> Result<PackageType, Answer> {
        raw.parse::<PackageType>()
            .map_err(|_| self.invalid("The package_type parameter is invalid."))
    }

    fn run(&self, inner: &mut Inner) -> Result<Answer, Answer> {
        let owner = self.owner(inner)?;
        let rules = &self.shared.settings.rules;
        match &self.route.operation {
            Operation::ListPackages => self.list_packages(inner, &owner),
            Operation::DockerConflicts => {
                let bodies = self.shared.bodies();
                let body: Vec<_> = inner
                    .store
                    .docker_conflicts(&owner)
                    .into_iter()
                    .filter_map(|p| {
                        let account = inner.store.account(&p.owner)?;
                        Some(bodies.package(account, p))
                    })
                    .collect();
                Ok(json_of(200, &body))
            }
            Operation::GetPackage(p) => {
                let (account, package) = self.found(inner, &owner, p)?;
                Ok(json_of(
                    200,
                    &self.shared.bodies().package(account, package),
                ))
            }
            Operation::DeletePackage(p) => {
                let key = key(&owner, self.package_type(&p.package_type)?, p);
                inner
                    .store
                    .delete_package(key, self.now, rules)
                    .map_err(|r| self.refuse(r))?;
                Ok(Answer::new(204))
            }
            Operation::RestorePackage(p) => {
                let key = key(&owner, self.package_type(&p.package_type)?, p);
                let token = param(self.query, "token");
                inner
                    .store
                    .restore_package(key, token, self.now, rules)
                    .map_err(|r| self.refuse(r))?;
                Ok(Answer::new(204))
            }
            Operation::ListVersions(p) => self.list_versions(inner, &owner, p),
            Operation::GetVersion(p, id) => {
                let (account, package) = self.found(inner, &owner, p)?;
                let version = package
                    .active_versions()
                    .find(|v| v.id == *id)
                    .ok_or_else(|| error(404, MSG_VERSION_NOT_FOUND, self.docs))?;
                Ok(json_of(
                    200,
                    &self.shared.bodies().version(account, package, version),
                ))
            }
            Operation::DeleteVersion(p, id) => {
                let key = key(&owner, self.package_type(&p.package_type)?, p);
                inner
                    .store
                    .delete_version(key, *id, self.now, rules)
                    .map_err(|r| self.refuse(r))?;
                inner.log.deleted(key, *id);
                Ok(Answer::new(204))
            }
            Operation::RestoreVersion(p, id) => {
                let key = key(&owner, self.package_type(&p.package_type)?, p);
                inner
                    .store
                    .restore_version(key, *id, self.now, rules)
                    .map_err(|r| self.refuse(r))?;
                inner.log.restored(key, *id);
                Ok(Answer::new(204))
            }
        }
    }

    fn list_packages(&self, inner: &Inner, owner: &str) -> Result<Answer, Answer> {
        let package_type = match param(self.query, "package_type") {
            None => return Err(self.invalid("The package_type parameter is required.")),
            Some(raw) => self.package_type(raw)?,
        };
        let visibility = match param(self.query, "visibility") {
            None => None,
            Some(raw) => Some(
                raw.parse::<Visibility>()
                    .map_err(|_| self.invalid("The visibility parameter is invalid."))?,
            ),
        };
        let paging = Paging::read(self.query);
        if paging.page.saturating_mul(paging.per_page) > LISTING_WALL {
            return Err(error(
                400,
                "The value of `per_page` multiplied by `page` cannot be greater than 10000.",
                self.docs,
            ));
        }
        let packages = inner.store.list_packages(owner, package_type, visibility);
        let (page, last) = paging.cut(&packages);
        let body: Vec<_> = page
            .iter()
            .filter_map(|p| {
                let account = inner.store.account(&p.owner)?;
                Some(self.shared.bodies().package(account, p))
            })
            .collect();
        Ok(self.listing(json_of(200, &body), paging, last))
    }

    fn list_versions(&self, inner: &Inner, owner: &str, p: &PackagePath) -> Result<Answer, Answer> {
        let state = match param(self.query, "state") {
            None => VersionState::Active,
            Some(raw) => raw
                .parse::<VersionState>()
                .map_err(|_| self.invalid("The state parameter is invalid."))?,
        };
        let (account, package) = self.found(inner, owner, p)?;
        let versions =
            package.sorted_versions(|v| v.is_active() == (state == VersionState::Active));
        let paging = Paging::read(self.query);
        let (page, last) = paging.cut(&versions);
        let body: Vec<_> = page
            .iter()
            .map(|v| self.shared.bodies().version(account, package, v))
            .collect();
        Ok(self.listing(json_of(200, &body), paging, last))
    }

    fn listing(&self, answer: Answer, paging: Paging, last: u64) -> Answer {
        match super::bodies::link_header(&self.base, self.path, self.query, paging.page, last) {
            Some(link) => answer.header("link", link),
            None => answer,
        }
    }
}

fn key<'a>(owner: &'a str, package_type: PackageType, p: &'a PackagePath) -> PackageKey<'a> {
    PackageKey {
        owner,
        package_type,
        name: &p.name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn paging_reads_like_github() {
        assert_eq!(
            Paging::read(&[]),
            Paging {
                page: 1,
                per_page: 30
            }
        );
        assert_eq!(
            Paging::read(&query(&[("page", "x"), ("per_page", "1000")])),
            Paging {
                page: 1,
                per_page: 100
            }
        );
        assert_eq!(
            Paging::read(&query(&[("page", "0"), ("per_page", "0")])).per_page,
            30
        );
        let items: Vec<u32> = (0..25).collect();
        let paging = Paging {
            page: 3,
            per_page: 10,
        };
        assert_eq!(paging.cut(&items), (&items[20..25], 3));
        let beyond = Paging {
            page: u64::MAX,
            per_page: 10,
        };
        assert_eq!(beyond.cut(&items), (&items[25..25], 3));
        let empty: [u32; 0] = [];
        assert_eq!(paging.cut(&empty).1, 1);
    }
}
