//! Which of the 27 operations (or which registry endpoint) a method and path
//! name. Path segments are percent-decoded one by one, so `team%2Fapp` is
//! the package `team/app`; a path that names nothing is `None`.

use super::auth::Need;

/// Whose packages an operation is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    AuthenticatedUser,
    User(String),
    Org(String),
}

/// A package as named in the path; the type is checked later, so that a
/// missing scope is reported before a bad type, as GitHub does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PackagePath {
    pub(crate) package_type: String,
    pub(crate) name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Operation {
    ListPackages,
    DockerConflicts,
    GetPackage(PackagePath),
    DeletePackage(PackagePath),
    RestorePackage(PackagePath),
    ListVersions(PackagePath),
    GetVersion(PackagePath, i64),
    DeleteVersion(PackagePath, i64),
    RestoreVersion(PackagePath, i64),
}

impl Operation {
    pub(crate) fn need(&self) -> Need {
        match self {
            Operation::DeletePackage(_) | Operation::DeleteVersion(..) => Need::Delete,
            Operation::RestorePackage(_) | Operation::RestoreVersion(..) => Need::Restore,
            _ => Need::Read,
        }
    }

    /// GitHub's 403 message when the token lacks a scope.
    pub(crate) fn forbidden_message(&self) -> &'static str {
        match self {
            Operation::ListPackages | Operation::DockerConflicts => {
                "You need at least read:packages scope to list packages."
            }
            Operation::GetPackage(_) => "You need at least read:packages scope to get a package.",
            Operation::DeletePackage(_) => {
                "You need at least delete:packages and read:packages scopes to delete a package."
            }
            Operation::RestorePackage(_) => {
                "You need at least write:packages and read:packages scopes to restore a package."
            }
            Operation::ListVersions(_) => {
                "You need at least read:packages scope to get a package's versions."
            }
            Operation::GetVersion(..) => {
                "You need at least read:packages scope to view a package's versions."
            }
            Operation::DeleteVersion(..) => {
                "You need at least delete:packages and read:packages scopes to delete a package version."
            }
            Operation::RestoreVersion(..) => {
                "You need at least write:packages and read:packages scopes to restore a package version."
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiRoute {
    pub(crate) target: Target,
    pub(crate) operation: Operation,
}

impl ApiRoute {
    /// The operation's page in GitHub's REST documentation, as the
    /// description's `externalDocs` gives it.
    pub(crate) fn documentation_url(&self) -> String {
        use Operation as O;
        use Target as T;
        let anchor = match (&self.operation, &self.target) {
            (O::DockerConflicts, T::Org(_)) => {
                "get-list-of-conflicting-packages-during-docker-migration-for-organization"
            }
            (O::DockerConflicts, T::AuthenticatedUser) => {
                "get-list-of-conflicting-packages-during-docker-migration-for-authenticated-user"
            }
            (O::DockerConflicts, T::User(_)) => {
                "get-list-of-conflicting-packages-during-docker-migration-for-user"
            }
            (O::ListPackages, T::Org(_)) => "list-packages-for-an-organization",
            (O::ListPackages, T::AuthenticatedUser) => {
                "list-packages-for-the-authenticated-users-namespace"
            }
            (O::ListPackages, T::User(_)) => "list-packages-for-a-user",
            (O::GetPackage(_), T::Org(_)) => "get-a-package-for-an-organization",
            (O::GetPackage(_), T::AuthenticatedUser) => "get-a-package-for-the-authenticated-user",
            (O::GetPackage(_), T::User(_)) => "get-a-package-for-a-user",
            (O::DeletePackage(_), T::Org(_)) => "delete-a-package-for-an-organization",
            (O::DeletePackage(_), T::AuthenticatedUser) => {
                "delete-a-package-for-the-authenticated-user"
            }
            (O::DeletePackage(_), T::User(_)) => "delete-a-package-for-a-user",
            (O::RestorePackage(_), T::Org(_)) => "restore-a-package-for-an-organization",
            (O::RestorePackage(_), T::AuthenticatedUser) => {
                "restore-a-package-for-the-authenticated-user"
            }
            (O::RestorePackage(_), T::User(_)) => "restore-a-package-for-a-user",
            (O::ListVersions(_), T::Org(_)) => {
                "list-package-versions-for-a-package-owned-by-an-organization"
            }
            (O::ListVersions(_), T::AuthenticatedUser) => {
                "list-package-versions-for-a-package-owned-by-the-authenticated-user"
            }
            (O::ListVersions(_), T::User(_)) => {
                "list-package-versions-for-a-package-owned-by-a-user"
            }
            (O::GetVersion(..), T::Org(_)) => "get-a-package-version-for-an-organization",
            (O::GetVersion(..), T::AuthenticatedUser) => {
                "get-a-package-version-for-the-authenticated-user"
            }
            (O::GetVersion(..), T::User(_)) => "get-a-package-version-for-a-user",
            (O::DeleteVersion(..), T::Org(_)) => "delete-package-version-for-an-organization",
            (O::DeleteVersion(..), T::AuthenticatedUser) => {
                "delete-a-package-version-for-the-authenticated-user"
            }
            (O::DeleteVersion(..), T::User(_)) => "delete-package-version-for-a-user",
            (O::RestoreVersion(..), T::Org(_)) => "restore-package-version-for-an-organization",
            (O::RestoreVersion(..), T::AuthenticatedUser) => {
                "restore-a-package-version-for-the-authenticated-user"
            }
            (O::RestoreVersion(..), T::User(_)) => "restore-package-version-for-a-user",
        };
        format!("https://docs.github.com/rest/packages/packages#{anchor}")
    }
}

/// A registry endpoint on the same server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RegistryRoute {
    /// `GET /v2/`: the version check clients start with.
    Base,
    /// `GET|HEAD /v2/<name>/manifests/<reference>`
    Manifest { name: String, reference: String },
    /// `PUT /v2/<name>/manifests/<reference>`: a push.
    PutManifest { name: String, reference: String },
    /// `GET /v2/<name>/tags/list`
    Tags { name: String },
    /// `GET /v2/<name>/referrers/<digest>`: the OCI 1.1 referrers API,
    /// which the fake, like ghcr.io, does not offer.
    Referrers { name: String },
    /// `GET /token`: the bearer token service.
    Token,
    /// Any other method or path under `/v2/` (blobs, uploads, deleting a
    /// manifest, the catalog) or `/token`: operations the fake does not
    /// offer. `name` is the repository, when the path names one.
    Unsupported {
        name: Option<String>,
        /// Whether the operation would write (so a token would need `push`).
        write: bool,
    },
}

/// An account endpoint outside the packages API that tools call first to
/// learn who they are or what kind of account an owner is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AccountRoute {
    /// `GET /user`
    AuthenticatedUser,
    /// `GET /users/{username}`
    User(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Route {
    Api(ApiRoute),
    Account(AccountRoute),
    Registry(RegistryRoute),
}

/// Whether `path` belongs to the registry rather than the REST API.
pub(crate) fn is_registry_path(path: &str) -> bool {
    path == "/v2" || path.starts_with("/v2/") || path == "/token"
}

/// Splits a raw path into decoded segments; `None` if one is not UTF-8 or
/// the path has empty segments (`//`, a trailing `/`).
fn segments(path: &str) -> Option<Vec<String>> {
    let rest = path.strip_prefix('/')?;
    rest.split('/')
        .map(|raw| {
            if raw.is_empty() {
                return None;
            }
            percent_encoding::percent_decode_str(raw)
                .decode_utf8()
                .ok()
                .map(|s| s.into_owned())
        })
        .collect()
}

pub(crate) fn parse(method: &http::Method, path: &str) -> Option<Route> {
    if is_registry_path(path) {
        return Some(Route::Registry(parse_registry(method, path)));
    }
    let segments = segments(path)?;
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let get = method == http::Method::GET;
    let (target, rest) = match segments.as_slice() {
        ["user"] if get => return Some(Route::Account(AccountRoute::AuthenticatedUser)),
        ["users", login] if get => {
            return Some(Route::Account(AccountRoute::User((*login).to_owned())));
        }
        ["user", rest @ ..] => (Target::AuthenticatedUser, rest),
        ["users", login, rest @ ..] => (Target::User((*login).to_owned()), rest),
        ["orgs", org, rest @ ..] => (Target::Org((*org).to_owned()), rest),
        _ => return None,
    };
    let package = |t: &str, n: &str| PackagePath {
        package_type: t.to_owned(),
        name: n.to_owned(),
    };
    let id = |s: &str| s.parse::<i64>().ok().filter(|id| *id > 0);
    let delete = method == http::Method::DELETE;
    let post = method == http::Method::POST;
    let operation = match rest {
        ["packages"] if get => Operation::ListPackages,
        ["docker", "conflicts"] if get => Operation::DockerConflicts,
        ["packages", t, n] if get => Operation::GetPackage(package(t, n)),
        ["packages", t, n] if delete => Operation::DeletePackage(package(t, n)),
        ["packages", t, n, "restore"] if post => Operation::RestorePackage(package(t, n)),
        ["packages", t, n, "versions"] if get => Operation::ListVersions(package(t, n)),
        ["packages", t, n, "versions", v] if get => Operation::GetVersion(package(t, n), id(v)?),
        ["packages", t, n, "versions", v] if delete => {
            Operation::DeleteVersion(package(t, n), id(v)?)
        }
        ["packages", t, n, "versions", v, "restore"] if post => {
            Operation::RestoreVersion(package(t, n), id(v)?)
        }
        _ => return None,
    };
    Some(Route::Api(ApiRoute { target, operation }))
}

/// Whether `path` lies among the endpoints the fake models (the packages
/// operations, `/user`, `/users/{username}`), even if it names none of
/// them exactly: there a 404 is GitHub's, elsewhere it is the fake's.
pub(crate) fn is_modelled_path(path: &str) -> bool {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match segments.as_slice() {
        ["user"] | ["users", _] => true,
        ["user", rest @ ..] | ["users", _, rest @ ..] | ["orgs", _, rest @ ..] => {
            matches!(rest.first(), Some(&"packages" | &"docker"))
        }
        _ => false,
    }
}

/// The operations of the OCI distribution API, as the segment after the
/// repository name.
const REGISTRY_OPERATIONS: &[&str] = &["manifests", "blobs", "tags", "referrers"];

fn parse_registry(method: &http::Method, path: &str) -> RegistryRoute {
    let get = method == http::Method::GET;
    let head = method == http::Method::HEAD;
    let write = !(get || head);
    let unsupported = |name: Option<String>| RegistryRoute::Unsupported { name, write };
    if path == "/token" {
        return if get {
            RegistryRoute::Token
        } else {
            unsupported(None)
        };
    }
    if path == "/v2" || path == "/v2/" {
        return if get || head {
            RegistryRoute::Base
        } else {
            unsupported(None)
        };
    }
    // Uploads start at `/v2/<name>/blobs/uploads/`, with the slash.
    let Some(segments) = segments(path.strip_suffix('/').unwrap_or(path)) else {
        return unsupported(None);
    };
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    // The repository name runs from after `v2` to the last operation
    // segment; names may hold slashes.
    let Some(at) = segments
        .iter()
        .rposition(|s| REGISTRY_OPERATIONS.contains(s))
        .filter(|at| *at >= 2)
    else {
        return unsupported(None);
    };
    let name = segments[1..at].join("/");
    match (&segments[at..], method) {
        (["manifests", reference], m) if get || head || m == http::Method::PUT => {
            let reference = (*reference).to_owned();
            if m == http::Method::PUT {
                RegistryRoute::PutManifest { name, reference }
            } else {
                RegistryRoute::Manifest { name, reference }
            }
        }
        (["tags", "list"], _) if get => RegistryRoute::Tags { name },
        (["referrers", _], _) if get => RegistryRoute::Referrers { name },
        _ => unsupported(Some(name)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::Method;

    fn api(method: Method, path: &str) -> Option<ApiRoute> {
        match parse(&method, path)? {
            Route::Api(route) => Some(route),
            Route::Account(_) | Route::Registry(_) => None,
        }
    }

    #[test]
    fn the_27_operations_route() {
        let mut count = 0;
        for prefix in ["/user", "/users/octocat", "/orgs/acme"] {
            for (method, rest) in [
                (Method::GET, "/docker/conflicts"),
                (Method::GET, "/packages"),
                (Method::GET, "/packages/npm/p"),
                (Method::DELETE, "/packages/npm/p"),
                (Method::POST, "/packages/npm/p/restore"),
                (Method::GET, "/packages/npm/p/versions"),
                (Method::GET, "/packages/npm/p/versions/1"),
                (Method::DELETE, "/packages/npm/p/versions/1"),
                (Method::POST, "/packages/npm/p/versions/1/restore"),
            ] {
                assert!(
                    api(method, &format!("{prefix}{rest}")).is_some(),
                    "{prefix}{rest}"
                );
                count += 1;
            }
        }
        assert_eq!(count, 27);
    }

    #[test]
    fn names_are_decoded_and_odd_paths_name_nothing() {
        let route = api(
            Method::GET,
            "/orgs/acme/packages/container/team%2Fapp/versions/7",
        )
        .unwrap();
        assert_eq!(
            route.operation,
            Operation::GetVersion(
                PackagePath {
                    package_type: "container".into(),
                    name: "team/app".into()
                },
                7
            )
        );
        assert_eq!(route.target, Target::Org("acme".into()));
        for path in [
            "/orgs/acme/packages/container/team/app/versions/7",
            "/orgs/acme/packages/container/app/versions/x",
            "/orgs/acme/packages/container/app/versions/-1",
            "/orgs/acme/packages/container/app/versions/99999999999999999999",
            "/orgs/acme/packages/",
            "/orgs//packages",
            "/orgs/acme/packages/container/%FF",
            "/",
            "",
            "/repos/a/b",
        ] {
            assert!(api(Method::GET, path).is_none(), "{path}");
        }
        assert!(api(Method::PUT, "/user/packages").is_none());
        assert!(api(Method::POST, "/user/packages/npm/p").is_none());
    }

    #[test]
    fn registry_paths_route() {
        let route = |method: Method, path: &str| match parse(&method, path) {
            Some(Route::Registry(route)) => route,
            other => panic!("{path}: {other:?}"),
        };
        assert_eq!(
            route(Method::GET, "/v2/acme/team/app/manifests/sha256:ab"),
            RegistryRoute::Manifest {
                name: "acme/team/app".into(),
                reference: "sha256:ab".into()
            }
        );
        assert_eq!(
            route(Method::PUT, "/v2/acme/app/manifests/v1.9"),
            RegistryRoute::PutManifest {
                name: "acme/app".into(),
                reference: "v1.9".into()
            }
        );
        assert_eq!(route(Method::GET, "/v2/"), RegistryRoute::Base);
        assert_eq!(route(Method::GET, "/token"), RegistryRoute::Token);
        assert_eq!(
            route(Method::GET, "/v2/acme/app/tags/list"),
            RegistryRoute::Tags {
                name: "acme/app".into()
            }
        );
        assert_eq!(
            route(Method::GET, "/v2/acme/app/referrers/sha256:ab"),
            RegistryRoute::Referrers {
                name: "acme/app".into()
            }
        );
        // What the fake does not offer is named as such, with its
        // repository when there is one.
        for (method, path, name, write) in [
            (
                Method::DELETE,
                "/v2/acme/app/manifests/latest",
                Some("acme/app"),
                true,
            ),
            (
                Method::GET,
                "/v2/acme/app/blobs/sha256:ab",
                Some("acme/app"),
                false,
            ),
            (
                Method::POST,
                "/v2/acme/app/blobs/uploads/",
                Some("acme/app"),
                true,
            ),
            (Method::GET, "/v2/_catalog", None, false),
            (Method::POST, "/token", None, true),
            (Method::GET, "/v2/manifests/x", None, false),
        ] {
            assert_eq!(
                route(method, path),
                RegistryRoute::Unsupported {
                    name: name.map(str::to_owned),
                    write
                },
                "{path}"
            );
        }
    }

    #[test]
    fn account_paths_route_and_the_modelled_area_is_known() {
        assert_eq!(
            parse(&Method::GET, "/user"),
            Some(Route::Account(AccountRoute::AuthenticatedUser))
        );
        assert_eq!(
            parse(&Method::GET, "/users/acme"),
            Some(Route::Account(AccountRoute::User("acme".into())))
        );
        assert_eq!(parse(&Method::DELETE, "/users/acme"), None);
        for modelled in [
            "/user",
            "/users/x",
            "/orgs/x/packages/npm/y/z",
            "/user/docker/x",
        ] {
            assert!(is_modelled_path(modelled), "{modelled}");
        }
        for other in [
            "/repos/a/b",
            "/orgs/acme",
            "/users/x/repos",
            "/user/repos",
            "/",
            "/rate_limit",
        ] {
            assert!(!is_modelled_path(other), "{other}");
        }
    }
}
