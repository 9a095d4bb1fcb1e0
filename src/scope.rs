//! `Scope`: whose packages a call is about, and the one place that maps a
//! scope to the generated `/user`, `/users/{username}` or `/orgs/{org}`
//! operation. Every request the hand-written layer makes starts here.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use progenitor_client::{Error as GenError, ResponseValue};
use url::Url;

use crate::generated::Client as Raw;
use crate::generated::types::{
    BasicError, Package, PackageType, PackageVersion, VersionState, Visibility,
};
use crate::transport::{AnswerMeta, in_call};

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

impl From<&Scope> for Scope {
    fn from(scope: &Scope) -> Self {
        scope.clone()
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

/// What a generated call returned, plus the facts of the last answer it saw
/// (the generated errors keep only part of them).
pub(crate) type Called<T> = (
    Result<ResponseValue<T>, GenError<BasicError>>,
    Option<AnswerMeta>,
);

/// Sets an optional argument on a generated builder, whose setters take the
/// value itself: an unset filter is simply not added.
trait SetIf: Sized {
    fn set_if<T>(self, value: Option<T>, set: impl FnOnce(Self, T) -> Self) -> Self {
        match value {
            Some(value) => set(self, value),
            None => self,
        }
    }
}

impl<B> SetIf for B {}

/// One scope's generated call, boxed so that the three scopes' calls share
/// one type: an `async` block awaiting one of three different futures would
/// reserve room for all three (about 1.9 KB each), and every call's future
/// would carry and copy that.
type ScopeCall<'a, T> =
    Pin<Box<dyn Future<Output = Result<ResponseValue<T>, GenError<BasicError>>> + Send + 'a>>;

/// Calls the generated operation for `scope` inside a tracked call. Each arm
/// starts the builder for that scope's operation, adds the owner, then the
/// shared arguments and the optional ones that are set.
macro_rules! per_scope {
    (
        $scope:expr, $raw:expr, $follow:expr,
        [$auth:ident, $user:ident, $org:ident]
        $(, $arg:ident($value:expr))*
        $(; $opt:ident($optional:expr))*
    ) => {{
        let call: ScopeCall<'_, _> = match $scope {
            Scope::AuthenticatedUser => Box::pin(
                $raw.$auth()$(.$arg($value))*$(.set_if($optional, |b, v| b.$opt(v)))*.send(),
            ),
            Scope::User(login) => Box::pin(
                $raw.$user().username(login.as_str())$(.$arg($value))*
                    $(.set_if($optional, |b, v| b.$opt(v)))*
                    .send(),
            ),
            Scope::Org(org) => Box::pin(
                $raw.$org().org(org.as_str())$(.$arg($value))*
                    $(.set_if($optional, |b, v| b.$opt(v)))*
                    .send(),
            ),
        };
        in_call($follow, call).await
    }};
}

/// The page of a listing: which page, and the link to send the operation to
/// instead of the URL it builds, when GitHub's `next` says more than the
/// operation can.
#[derive(Debug, Clone)]
pub(crate) struct PageArgs {
    pub(crate) page: u64,
    pub(crate) per_page: u8,
    pub(crate) follow: Option<Url>,
}

impl PageArgs {
    fn page(&self) -> i64 {
        i64::try_from(self.page).unwrap_or(i64::MAX)
    }
}

pub(crate) async fn list_packages(
    raw: &Raw,
    scope: &Scope,
    package_type: PackageType,
    visibility: Option<Visibility>,
    page: PageArgs,
) -> Called<Vec<Package>> {
    per_scope!(
        scope, raw, page.follow.clone(),
        [
            packages_list_packages_for_authenticated_user,
            packages_list_packages_for_user,
            packages_list_packages_for_organization
        ],
        package_type(package_type),
        page(page.page()),
        per_page(i64::from(page.per_page));
        visibility(visibility)
    )
}

pub(crate) async fn get_package(
    raw: &Raw,
    scope: &Scope,
    package_type: PackageType,
    name: &str,
) -> Called<Package> {
    per_scope!(
        scope,
        raw,
        None,
        [
            packages_get_package_for_authenticated_user,
            packages_get_package_for_user,
            packages_get_package_for_organization
        ],
        package_type(package_type),
        package_name(name)
    )
}

pub(crate) async fn delete_package(
    raw: &Raw,
    scope: &Scope,
    package_type: PackageType,
    name: &str,
) -> Called<()> {
    per_scope!(
        scope,
        raw,
        None,
        [
            packages_delete_package_for_authenticated_user,
            packages_delete_package_for_user,
            packages_delete_package_for_org
        ],
        package_type(package_type),
        package_name(name)
    )
}

pub(crate) async fn restore_package(
    raw: &Raw,
    scope: &Scope,
    package_type: PackageType,
    name: &str,
    token: Option<&str>,
) -> Called<()> {
    per_scope!(
        scope, raw, None,
        [
            packages_restore_package_for_authenticated_user,
            packages_restore_package_for_user,
            packages_restore_package_for_org
        ],
        package_type(package_type),
        package_name(name);
        token(token)
    )
}

pub(crate) async fn list_versions(
    raw: &Raw,
    scope: &Scope,
    package_type: PackageType,
    name: &str,
    state: Option<VersionState>,
    page: PageArgs,
) -> Called<Vec<PackageVersion>> {
    per_scope!(
        scope, raw, page.follow.clone(),
        [
            packages_get_all_package_versions_for_package_owned_by_authenticated_user,
            packages_get_all_package_versions_for_package_owned_by_user,
            packages_get_all_package_versions_for_package_owned_by_org
        ],
        package_type(package_type),
        package_name(name),
        page(page.page()),
        per_page(i64::from(page.per_page));
        state(state)
    )
}

pub(crate) async fn get_version(
    raw: &Raw,
    scope: &Scope,
    package_type: PackageType,
    name: &str,
    id: i64,
) -> Called<PackageVersion> {
    per_scope!(
        scope,
        raw,
        None,
        [
            packages_get_package_version_for_authenticated_user,
            packages_get_package_version_for_user,
            packages_get_package_version_for_organization
        ],
        package_type(package_type),
        package_name(name),
        package_version_id(id)
    )
}

pub(crate) async fn delete_version(
    raw: &Raw,
    scope: &Scope,
    package_type: PackageType,
    name: &str,
    id: i64,
) -> Called<()> {
    per_scope!(
        scope,
        raw,
        None,
        [
            packages_delete_package_version_for_authenticated_user,
            packages_delete_package_version_for_user,
            packages_delete_package_version_for_org
        ],
        package_type(package_type),
        package_name(name),
        package_version_id(id)
    )
}

pub(crate) async fn restore_version(
    raw: &Raw,
    scope: &Scope,
    package_type: PackageType,
    name: &str,
    id: i64,
) -> Called<()> {
    per_scope!(
        scope,
        raw,
        None,
        [
            packages_restore_package_version_for_authenticated_user,
            packages_restore_package_version_for_user,
            packages_restore_package_version_for_org
        ],
        package_type(package_type),
        package_name(name),
        package_version_id(id)
    )
}

pub(crate) async fn docker_conflicts(raw: &Raw, scope: &Scope) -> Called<Vec<Package>> {
    per_scope!(
        scope,
        raw,
        None,
        [
            packages_list_docker_migration_conflicting_packages_for_authenticated_user,
            packages_list_docker_migration_conflicting_packages_for_user,
            packages_list_docker_migration_conflicting_packages_for_organization
        ]
    )
}
