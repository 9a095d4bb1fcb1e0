//! The package a step works on: whose, of which type, which name.

use std::fmt;

use github_packages::{PackageType, Scope};
use serde::{Deserialize, Serialize};

/// One package: its owner's scope, its type and its name.
///
/// ```
/// use github_packages::{PackageType, Scope};
/// use github_packages_retention::Target;
///
/// let app = Target::new(Scope::org("acme"), PackageType::Container, "app");
/// assert_eq!(app.to_string(), "container package app (organization acme)");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Target {
    /// Whose package.
    pub scope: Scope,
    /// Its type.
    pub package_type: PackageType,
    /// Its name.
    pub name: String,
}

impl Target {
    /// The package `name` of type `package_type` owned by `scope`.
    pub fn new(
        scope: impl Into<Scope>,
        package_type: PackageType,
        name: impl Into<String>,
    ) -> Self {
        Target {
            scope: scope.into(),
            package_type,
            name: name.into(),
        }
    }

    /// The version `id` of this package, for the library's calls.
    pub(crate) fn version(
        &self,
        client: &github_packages::Client,
        id: i64,
    ) -> github_packages::VersionHandler {
        client
            .packages(&self.scope)
            .version(self.package_type, self.name.clone(), id)
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} package {} ({})",
            self.package_type, self.name, self.scope
        )
    }
}

/// Whose packages, as plan files and journals record it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OwnerKind {
    /// An organization.
    Org,
    /// A user, by login.
    User,
    /// The user the token belongs to.
    Me,
}

/// An owner as plan files and journals record it: its kind and, where it
/// is known, its login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnerRef {
    /// Organization, user or the token's own.
    pub kind: OwnerKind,
    /// The organization or user; for [`OwnerKind::Me`], the login when known.
    pub login: Option<String>,
}

impl OwnerRef {
    /// The owner of `scope`; `login` is the token owner's login for the
    /// authenticated user, when known.
    pub fn of(scope: &Scope, login: Option<&str>) -> OwnerRef {
        match scope {
            Scope::Org(o) => OwnerRef {
                kind: OwnerKind::Org,
                login: Some(o.clone()),
            },
            Scope::User(u) => OwnerRef {
                kind: OwnerKind::User,
                login: Some(u.clone()),
            },
            _ => OwnerRef {
                kind: OwnerKind::Me,
                login: login.map(str::to_owned),
            },
        }
    }

    /// The scope to call the API with.
    ///
    /// # Errors
    ///
    /// An organization or user without a login.
    pub fn scope(&self) -> Result<Scope, String> {
        match (self.kind, &self.login) {
            (OwnerKind::Me, _) => Ok(Scope::AuthenticatedUser),
            (OwnerKind::Org, Some(o)) => Ok(Scope::org(o.clone())),
            (OwnerKind::User, Some(u)) => Ok(Scope::user(u.clone())),
            (kind, None) => Err(format!("owner kind {kind:?} is given without a login")),
        }
    }
}
