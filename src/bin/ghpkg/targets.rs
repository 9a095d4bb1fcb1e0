//! Which packages a prune covers: a name, `--package` names and globs, or
//! `--all-packages`. Settled before anything is planned, so a name that
//! does not exist stops the run before any delete.

use futures::TryStreamExt;
use github_packages::{Error, PackageType, Scope};
use globset::{GlobBuilder, GlobMatcher};

use crate::{Ctx, Failure};

/// Whether a `--package` value is a glob rather than a name.
fn is_glob(value: &str) -> bool {
    value.contains(['*', '?', '[', '{'])
}

/// A package-name glob: anchored, case-sensitive, `*` and `?` within one
/// `/`-separated part, `**` across parts.
fn package_glob(value: &str) -> Result<GlobMatcher, Failure> {
    GlobBuilder::new(value)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
        .map(|g| g.compile_matcher())
        .map_err(|e| {
            Failure::Usage(format!(
                "--package `{value}` is not a valid glob: {}",
                e.kind()
            ))
        })
}

/// The packages to prune, in a stable order: named ones as given, then
/// the ones globs or `--all-packages` found, by name; each once.
///
/// # Errors
///
/// A named package that does not exist, a glob that matches nothing, or a
/// listing GitHub refuses (with what to do instead).
pub(crate) async fn resolve(
    ctx: &Ctx,
    scope: &Scope,
    kind: PackageType,
    values: &[String],
    all: bool,
) -> Result<Vec<String>, Failure> {
    let (globs, names): (Vec<&String>, Vec<&String>) = values.iter().partition(|v| is_glob(v));
    let globs: Vec<(&String, GlobMatcher)> = globs
        .into_iter()
        .map(|g| package_glob(g).map(|m| (g, m)))
        .collect::<Result<_, _>>()?;

    let mut chosen: Vec<String> = Vec::new();
    let mut missing = Vec::new();
    let handler = ctx.client.packages(scope);
    for name in names {
        if chosen.contains(name) {
            continue;
        }
        match handler.get(kind, name.as_str()).await {
            Ok(_) => chosen.push(name.clone()),
            Err(e) if e.is_not_found() => missing.push(name.as_str()),
            Err(e) => return Err(Failure::Api(e)),
        }
    }
    if !missing.is_empty() {
        return Err(Failure::Failed(format!(
            "no {kind} package {} for {scope} (or the token cannot see it); nothing was \
             deleted. Check the names with `ghpkg list --type {kind}`",
            missing
                .iter()
                .map(|m| format!("`{m}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    if globs.is_empty() && !all {
        return Ok(chosen);
    }

    let listed: Vec<String> = handler
        .list(kind)
        .stream()
        .map_ok(|p| p.name)
        .try_collect()
        .await
        .map_err(|e| listing_refused(e, scope, kind))?;
    let mut found: Vec<String> = Vec::new();
    for (glob, matcher) in &globs {
        let matched: Vec<&String> = listed
            .iter()
            .filter(|n| matcher.is_match(n.as_str()))
            .collect();
        if matched.is_empty() {
            return Err(Failure::Failed(format!(
                "--package `{glob}` matches none of the {} {kind} packages of {scope}; nothing \
                 was deleted",
                listed.len()
            )));
        }
        found.extend(matched.into_iter().cloned());
    }
    if all {
        found.extend(listed.iter().cloned());
    }
    found.sort();
    found.dedup();
    found.retain(|n| !chosen.contains(n));
    chosen.extend(found);
    if chosen.is_empty() {
        return Err(Failure::Failed(format!(
            "{scope} has no {kind} packages; nothing to prune"
        )));
    }
    Ok(chosen)
}

/// A listing of packages GitHub refused, with the likely reason: a
/// workflow's `GITHUB_TOKEN` cannot list an owner's packages (GitHub answers
/// 400 "Invalid argument"), though it can read and delete the versions of
/// packages it is given by name.
fn listing_refused(error: Error, scope: &Scope, kind: PackageType) -> Failure {
    let refused = error.is_rejected() || error.is_forbidden() || error.is_not_found();
    if !refused {
        return Failure::Api(error);
    }
    Failure::Failed(format!(
        "GitHub refused to list the {kind} packages of {scope} ({error}). A workflow's \
         GITHUB_TOKEN cannot list an owner's packages: name each package with --package NAME \
         (no globs, no --all-packages), or use a personal access token (classic) with \
         read:packages"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_are_told_from_names() {
        assert!(is_glob("app-*"));
        assert!(is_glob("team/{a,b}"));
        assert!(!is_glob("team/app"));
        assert!(!is_glob("left-pad"));
    }

    #[test]
    fn package_globs_stay_within_a_path_part() {
        let m = package_glob("app-*").unwrap();
        assert!(m.is_match("app-web"));
        assert!(!m.is_match("team/app-web"));
        let m = package_glob("team/*").unwrap();
        assert!(m.is_match("team/app"));
        assert!(!m.is_match("team/a/b"));
        assert!(package_glob("team/**").unwrap().is_match("team/a/b"));
        assert!(matches!(package_glob("app-["), Err(Failure::Usage(_))));
    }
}
