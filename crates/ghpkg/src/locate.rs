//! Which package and which version a person means: a package by name or by
//! image reference (`ghcr.io/OWNER/NAME[:TAG|@DIGEST]`), a version by id,
//! tag or name (a container's digest, an npm version); and, when GitHub
//! answers 404, what is there instead.

use futures::TryStreamExt;
use github_packages::{ApiError, PackageType, PackageVersion, Scope, VersionState};

use crate::args::{Kind, Owner};
use crate::context::{Ctx, Failure};

/// A version as a person names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum VersionSpec {
    /// GitHub's version id.
    Id(i64),
    /// A tag, or the version's name: a container's digest
    /// (`sha256:...`), the version of an npm, Maven, NuGet or RubyGems
    /// package.
    Named(String),
}

impl std::fmt::Display for VersionSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VersionSpec::Id(id) => write!(f, "{id}"),
            VersionSpec::Named(name) => f.write_str(name),
        }
    }
}

/// `--version ID|TAG|DIGEST`: digits are an id, anything else a tag or name.
pub(crate) fn version_spec(input: &str) -> Result<VersionSpec, String> {
    let text = input.trim();
    if text.is_empty() {
        return Err("empty; give a version id, a tag or a digest".to_owned());
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        return match text.parse::<i64>() {
            Ok(id) if id > 0 => Ok(VersionSpec::Id(id)),
            _ => Err(format!("`{text}` is not a version id (1 or more)")),
        };
    }
    Ok(VersionSpec::Named(text.to_owned()))
}

/// A package named by an image reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ImageRef {
    pub(crate) owner: String,
    pub(crate) name: String,
    pub(crate) version: Option<VersionSpec>,
}

/// `HOST/OWNER/NAME[:TAG|@DIGEST]` (the host has a `.` or a `:`, or is
/// `localhost`, as container tools tell a registry from a path), or `None`
/// when `input` is a plain package name.
pub(crate) fn image_ref(input: &str) -> Option<Result<ImageRef, String>> {
    let (host, rest) = input.split_once('/')?;
    if !(host.contains('.') || host.contains(':') || host == "localhost") {
        return None;
    }
    let (path, version) = match rest.split_once('@') {
        Some((path, digest)) => (path, Some(digest.to_owned())),
        None => match rest.rsplit_once(':') {
            Some((path, tag)) if !tag.contains('/') => (path, Some(tag.to_owned())),
            _ => (rest, None),
        },
    };
    let Some((owner, name)) = path.split_once('/') else {
        return Some(Err(format!(
            "`{input}` names no package: an image reference is {host}/OWNER/NAME, optionally \
             with :TAG or @DIGEST"
        )));
    };
    if owner.is_empty() || name.is_empty() || version.as_deref() == Some("") {
        return Some(Err(format!(
            "`{input}` is not an image reference {host}/OWNER/NAME[:TAG|@DIGEST]"
        )));
    }
    Some(Ok(ImageRef {
        owner: owner.to_owned(),
        name: name.to_owned(),
        version: version.map(VersionSpec::Named),
    }))
}

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

/// Whether GitHub's 404 was about a version (its path has a version id)
/// rather than the package.
fn about_a_version(path: &str) -> bool {
    let mut segments = path.rsplit('/').peekable();
    segments.next_if_eq(&"restore");
    let id = segments.next().unwrap_or_default();
    !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) && segments.next() == Some("versions")
}

/// GitHub's 404, in ghpkg's words: GitHub's message, what to check (the
/// version id only when one was asked for), and the request id.
pub(crate) fn not_found_words(api: &ApiError) -> String {
    let said = api
        .message
        .as_deref()
        .map_or("Not Found", |m| m.trim().trim_end_matches('.'));
    let check = if about_a_version(&api.path) {
        "the owner, the package type and name, and the version id"
    } else {
        "the owner and the package type and name"
    };
    let mut text = format!(
        "{} {} answered {}: {said}. Check {check}; GitHub also answers 404 when the token \
         cannot see a private package",
        api.method, api.path, api.status
    );
    if let Some(url) = &api.documentation_url {
        text.push_str(&format!(" (see {url})"));
    }
    if let Some(id) = &api.request_id {
        text.push_str(&format!(" [request id {id}]"));
    }
    text
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
    let Some(api) = error.api().filter(|_| error.is_not_found()) else {
        return error.into();
    };
    if about_a_version(&api.path) {
        return Failure::Failed(not_found_words(api));
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
    Failure::Failed(format!("{hint}. {}", not_found_words(api)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_ids_when_all_digits() {
        assert_eq!(version_spec("42"), Ok(VersionSpec::Id(42)));
        assert_eq!(
            version_spec("v1.9.0"),
            Ok(VersionSpec::Named("v1.9.0".into()))
        );
        assert_eq!(
            version_spec(" sha256:ab "),
            Ok(VersionSpec::Named("sha256:ab".into()))
        );
        assert!(version_spec("0").is_err());
        assert!(version_spec("").is_err());
        assert!(version_spec("99999999999999999999999").is_err());
    }

    #[test]
    fn image_references_give_owner_name_and_version() {
        let named = |v: &str| Some(VersionSpec::Named(v.to_owned()));
        let parsed = |input: &str| image_ref(input).map(Result::unwrap);
        assert_eq!(
            parsed("ghcr.io/acme/app"),
            Some(ImageRef {
                owner: "acme".into(),
                name: "app".into(),
                version: None
            })
        );
        assert_eq!(
            parsed("ghcr.io/acme/team/app:v1.9.0"),
            Some(ImageRef {
                owner: "acme".into(),
                name: "team/app".into(),
                version: named("v1.9.0")
            })
        );
        let digest = format!("sha256:{}", "a".repeat(64));
        assert_eq!(
            parsed(&format!("127.0.0.1:8090/acme/app@{digest}"))
                .unwrap()
                .version,
            named(&digest)
        );
        assert_eq!(parsed("app"), None);
        assert_eq!(parsed("team/app"), None);
        assert!(image_ref("ghcr.io/acme").unwrap().is_err());
        assert!(image_ref("ghcr.io/acme/app:").unwrap().is_err());
    }

    #[test]
    fn a_404_is_about_a_version_only_when_its_path_has_an_id() {
        let base = "/orgs/acme/packages/container/app";
        assert!(!about_a_version(&format!("{base}/versions")));
        assert!(!about_a_version(base));
        assert!(!about_a_version(&format!("{base}/restore")));
        assert!(about_a_version(&format!("{base}/versions/7")));
        assert!(about_a_version(&format!("{base}/versions/7/restore")));
        assert!(!about_a_version("/orgs/acme/packages/npm/123"));
    }
}
