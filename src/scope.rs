//! `Scope`: whose packages a call is about, and the one place that maps a
//! scope to the generated `/user`, `/users/{username}` or `/orgs/{org}`
//! operation.

use std::fmt;

use progenitor_client::{Error as GenError, ResponseValue};

use crate::generated::Client as Raw;
use crate::generated::types::{
    BasicError, Package, PackageType, PackageVersion, VersionState, Visibility,
};

/// The owner of the packages a call is about.
///
/// ```
/// use github_packages::Scope;
///
/// assert_eq!(Scope::org("octo-org").to_string(), "organization octo-org");
/// assert_eq!(Scope::user("octocat").path_prefix(), "/users/octocat");
/// assert_eq!(Scope::AuthenticatedUser.path_prefix(), "/user");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// The user the token belongs to (`/user/...`). Needs a token.
    AuthenticatedUser,
    /// A named user account (`/users/{username}/...`).
    User(String),
    /// An organization (`/orgs/{org}/...`).
    Org(String),
}

impl Scope {
    /// A named user account.
    pub fn user(login: impl Into<String>) -> Self {
        Scope::User(login.into())
    }

    /// An organization.
    pub fn org(name: impl Into<String>) -> Self {
        Scope::Org(name.into())
    }

    /// The path this scope's operations start with, as GitHub documents it.
    /// The owner is inserted as given; requests validate it first (GitHub
    /// logins are letters, digits, `-` and `_`, so nothing needs encoding).
    pub fn path_prefix(&self) -> String {
        match self {
            Scope::AuthenticatedUser => "/user".to_owned(),
            Scope::User(login) => format!("/users/{login}"),
            Scope::Org(org) => format!("/orgs/{org}"),
        }
    }

    /// The login or organization name, if the scope names one.
    pub fn owner(&self) -> Option<&str> {
        match self {
            Scope::AuthenticatedUser => None,
            Scope::User(name) | Scope::Org(name) => Some(name),
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::AuthenticatedUser => f.write_str("the authenticated user"),
            Scope::User(login) => write!(f, "user {login}"),
            Scope::Org(org) => write!(f, "organization {org}"),
        }
    }
}

/// What a generated call returned, plus the status and headers of the last
/// answer it saw (the generated error for a bad body does not keep them).
pub(crate) type Gen<T> = (
    Result<ResponseValue<T>, GenError<BasicError>>,
    Option<crate::transport::ResponseMeta>,
);

/// Calls the generated operation for `scope`. Each arm starts the builder
/// for that scope's operation, adds the owner, then the shared arguments.
macro_rules! per_scope {
    ($scope:expr, $raw:expr, $auth:ident, $user:ident, $org:ident $(, $arg:ident($value:expr))* $(,)?) => {
        crate::transport::with_response_meta(async {
            match $scope {
                Scope::AuthenticatedUser => $raw.$auth()$(.$arg($value))*.send().await,
                Scope::User(login) => $raw.$user().username(login.as_str())$(.$arg($value))*.send().await,
                Scope::Org(org) => $raw.$org().org(org.as_str())$(.$arg($value))*.send().await,
            }
        })
        .await
    };
}

pub(crate) async fn list_packages(
    raw: &Raw,
    scope: &Scope,
    package_type: PackageType,
    visibility: Option<Visibility>,
    page: u64,
    per_page: u8,
) -> Gen<Vec<Package>> {
    // The generated builders take `Option`-less values; an unset filter is
    // simply not added.
    let page = i64::try_from(page).unwrap_or(i64::MAX);
    let per_page = i64::from(per_page);
    match visibility {
        Some(visibility) => per_scope!(
            scope,
            raw,
            packages_list_packages_for_authenticated_user,
            packages_list_packages_for_user,
            packages_list_packages_for_organization,
            package_type(package_type),
            visibility(visibility),
            page(page),
            per_page(per_page),
        ),
        None => per_scope!(
            scope,
            raw,
            packages_list_packages_for_authenticated_user,
            packages_list_packages_for_user,
            packages_list_packages_for_organization,
            package_type(package_type),
            page(page),
            per_page(per_page),
        ),
    }
}

pub(crate) async fn get_package(
    raw: &Raw,
    scope: &Scope,
    package_type: PackageType,
    name: &str,
) -> Gen<Package> {
    per_scope!(
        scope,
        raw,
        packages_get_package_for_authenticated_user,
        packages_get_package_for_user,
        packages_get_package_for_organization,
        package_type(package_type),
        package_name(name),
    )
}

pub(crate) async fn delete_package(
    raw: &Raw,
    scope: &Scope,
    package_type: PackageType,
    name: &str,
) -> Gen<()> {
    per_scope!(
        scope,
        raw,
        packages_delete_package_for_authenticated_user,
        packages_delete_package_for_user,
        packages_delete_package_for_org,
        package_type(package_type),
        package_name(name),
    )
}

pub(crate) async fn restore_package(
    raw: &Raw,
    scope: &Scope,
    package_type: PackageType,
    name: &str,
    token: Option<&str>,
) -> Gen<()> {
    match token {
        Some(token) => per_scope!(
            scope,
            raw,
            packages_restore_package_for_authenticated_user,
            packages_restore_package_for_user,
            packages_restore_package_for_org,
            package_type(package_type),
            package_name(name),
            token(token),
        ),
        None => per_scope!(
            scope,
            raw,
            packages_restore_package_for_authenticated_user,
            packages_restore_package_for_user,
            packages_restore_package_for_org,
            package_type(package_type),
            package_name(name),
        ),
    }
}

pub(crate) async fn list_versions(
    raw: &Raw,
    scope: &Scope,
    package_type: PackageType,
    name: &str,
    state: Option<VersionState>,
    page: u64,
    per_page: u8,
) -> Gen<Vec<PackageVersion>> {
    let page = i64::try_from(page).unwrap_or(i64::MAX);
    let per_page = i64::from(per_page);
    match state {
        Some(state) => per_scope!(
            scope,
            raw,
            packages_get_all_package_versions_for_package_owned_by_authenticated_user,
            packages_get_all_package_versions_for_package_owned_by_user,
            packages_get_all_package_versions_for_package_owned_by_org,
            package_type(package_type),
            package_name(name),
            state(state),
            page(page),
            per_page(per_page),
        ),
        None => per_scope!(
            scope,
            raw,
            packages_get_all_package_versions_for_package_owned_by_authenticated_user,
            packages_get_all_package_versions_for_package_owned_by_user,
            packages_get_all_package_versions_for_package_owned_by_org,
            package_type(package_type),
            package_name(name),
            page(page),
            per_page(per_page),
        ),
    }
}

pub(crate) async fn get_version(
    raw: &Raw,
    scope: &Scope,
    package_type: PackageType,
    name: &str,
    id: i64,
) -> Gen<PackageVersion> {
    per_scope!(
        scope,
        raw,
        packages_get_package_version_for_authenticated_user,
        packages_get_package_version_for_user,
        packages_get_package_version_for_organization,
        package_type(package_type),
        package_name(name),
        package_version_id(id),
    )
}

pub(crate) async fn delete_version(
    raw: &Raw,
    scope: &Scope,
    package_type: PackageType,
    name: &str,
    id: i64,
) -> Gen<()> {
    per_scope!(
        scope,
        raw,
        packages_delete_package_version_for_authenticated_user,
        packages_delete_package_version_for_user,
        packages_delete_package_version_for_org,
        package_type(package_type),
        package_name(name),
        package_version_id(id),
    )
}

pub(crate) async fn restore_version(
    raw: &Raw,
    scope: &Scope,
    package_type: PackageType,
    name: &str,
    id: i64,
) -> Gen<()> {
    per_scope!(
        scope,
        raw,
        packages_restore_package_version_for_authenticated_user,
        packages_restore_package_version_for_user,
        packages_restore_package_version_for_org,
        package_type(package_type),
        package_name(name),
        package_version_id(id),
    )
}

pub(crate) async fn docker_conflicts(raw: &Raw, scope: &Scope) -> Gen<Vec<Package>> {
    per_scope!(
        scope,
        raw,
        packages_list_docker_migration_conflicting_packages_for_authenticated_user,
        packages_list_docker_migration_conflicting_packages_for_user,
        packages_list_docker_migration_conflicting_packages_for_organization,
    )
}
