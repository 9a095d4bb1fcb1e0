//! Finding what a person named (`names.rs`) on GitHub: the owner of an
//! image reference, the version a tag or name stands for; and, when GitHub
//! answers 404 about a package, the types the owner has it under.

use futures::TryStreamExt;
use github_packages::{PackageType, PackageVersion, Scope, VersionState};

use crate::args::{Kind, Owner};
use crate::context::{Ctx, Failure};
use crate::names::VersionSpec;

/// The owner's scope. An owner known only from an image reference may be
/// an organization or a user: GitHub is asked which one has the package
/// (organization first), and a 404 from both is explained.
///
/// # Errors
///
/// Neither has the package, or GitHub's answer is an error.
pub(crate) async fn scope(
    ctx: &Ctx,
    owner: &Owner,
    kind: Kind,
    name: &str,
) -> Result<Scope, Failure> {
    let Some(login) = owner.reference.as_deref().filter(|_| owner.is_unset()) else {
        return Ok(owner.scope());
    };
    let package_type = PackageType::from(kind);
    for scope in [Scope::org(login), Scope::user(login)] {
        match ctx.client.packages(&scope).get(package_type, name).await {
            Ok(_) => return Ok(scope),
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e.into()),
        }
    }
    Err(Failure::Failed(format!(
        "neither an organization nor a user named {login} has a {package_type} package {name} \
         the token can see; check the image reference, or give --org or --user"
    )))
}

/// The version `spec` names among the versions of `name` in `state`; for
/// an id, whatever GitHub answers for it.
///
/// # Errors
///
/// No version (or several deleted ones) has that tag or name, or GitHub's
/// answer is an error.
pub(crate) async fn version(
    ctx: &Ctx,
    scope: &Scope,
    kind: Kind,
    name: &str,
    spec: &VersionSpec,
    state: VersionState,
) -> Result<Option<PackageVersion>, Failure> {
    let package_type = PackageType::from(kind);
    let packages = ctx.client.packages(scope);
    let wanted = match spec {
        VersionSpec::Id(id) => {
            return match packages.version(package_type, name, *id).get().await {
                Ok(v) => Ok(Some(v)),
                Err(e) => Err(not_found(ctx, scope, kind, name, e).await),
            };
        }
        VersionSpec::Named(wanted) => wanted,
    };
    let listing = packages.versions(package_type, name).state(state);
    let versions: Vec<PackageVersion> = match listing.stream().try_collect().await {
        Ok(versions) => versions,
        Err(e) => return Err(not_found(ctx, scope, kind, name, e).await),
    };
    let mut matching: Vec<PackageVersion> = versions
        .into_iter()
        .filter(|v| v.name == *wanted || v.tags().contains(&wanted.as_str()))
        .collect();
    match matching.len() {
        0 | 1 => Ok(matching.pop()),
        _ => Err(Failure::Failed(format!(
            "{} {} versions of {package_type} package {name} ({scope}) have the tag or name \
             {wanted}: {}; give one by its id",
            matching.len(),
            state_word(state),
            matching
                .iter()
                .map(|v| v.id.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// `active`, `deleted`.
pub(crate) fn state_word(state: VersionState) -> &'static str {
    match state {
        VersionState::Deleted => "deleted",
        _ => "active",
    }
}

/// `error` as the failure of a command about package `name`: for a 404
/// about the package, the types under which the owner does have a package
/// of that name (asked only now, one request per type).
pub(crate) async fn not_found(
    ctx: &Ctx,
    scope: &Scope,
    kind: Kind,
    name: &str,
    error: github_packages::Error,
) -> Failure {
    let about_the_package = error
        .api()
        .is_some_and(|api| error.is_not_found() && !api.is_about_a_version());
    if !about_the_package {
        return error.into();
    }
    let packages = ctx.client.packages(scope);
    let lookups = Kind::ALL
        .into_iter()
        .filter(|other| *other != kind)
        .map(|other| {
            let packages = packages.clone();
            async move {
                let found = packages.get(other.into(), name).await.is_ok();
                found.then_some(other)
            }
        });
    let others: Vec<String> = futures::future::join_all(lookups)
        .await
        .into_iter()
        .flatten()
        .map(|k| PackageType::from(k).to_string())
        .collect();
    let package_type = PackageType::from(kind);
    let hint = match others.as_slice() {
        [] => format!("{scope} has no package named {name} of any type that the token can see"),
        [one] => format!(
            "{scope} has no {package_type} package {name}, but has a {one} package of that \
             name: give TYPE {one}"
        ),
        several => format!(
            "{scope} has no {package_type} package {name}, but has packages of that name of \
             types {}: give one of them as TYPE",
            several.join(", ")
        ),
    };
    Failure::Failed(format!("{hint}. {error}"))
}
