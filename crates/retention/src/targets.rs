//! Which packages a run covers: names, globs over the owner's packages, or
//! all of them. Settled before anything is planned, so a name that does not
//! exist stops the run before any delete.

use futures::TryStreamExt;
use github_packages::{Client, PackageType, Scope};
use globset::{GlobBuilder, GlobMatcher};

use crate::error::{Error, Result};
use crate::pattern::PatternError;

/// A package to work on: a name, or a glob over the owner's package names
/// (anchored, case-sensitive, `*` and `?` within one `/`-separated part,
/// `**` across parts).
///
/// ```
/// use github_packages_retention::PackagePattern;
///
/// let web = PackagePattern::new("app-*")?;
/// assert!(web.is_glob() && web.matches("app-web") && !web.matches("team/app-web"));
/// assert!(!PackagePattern::new("team/app")?.is_glob());
/// # Ok::<(), github_packages_retention::PatternError>(())
/// ```
#[derive(Debug, Clone)]
pub struct PackagePattern {
    source: String,
    glob: Option<GlobMatcher>,
    exclude: bool,
}

impl PackagePattern {
    /// A name, or a glob if `value` holds `*`, `?`, `[` or `{`; with a
    /// leading `!`, an exclusion: the packages it matches are left out.
    ///
    /// # Errors
    ///
    /// An empty value or an invalid glob.
    pub fn new(value: &str) -> Result<PackagePattern, PatternError> {
        let (exclude, value) = match value.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, value),
        };
        if value.trim().is_empty() {
            return Err(PatternError::new(
                "a package name cannot be empty".to_owned(),
            ));
        }
        if !value.contains(['*', '?', '[', '{']) {
            return Ok(PackagePattern {
                source: value.to_owned(),
                glob: None,
                exclude,
            });
        }
        let glob = GlobBuilder::new(value)
            .literal_separator(true)
            .backslash_escape(true)
            .build()
            .map_err(|e| {
                PatternError::new(format!("`{value}` is not a valid glob: {}", e.kind()))
            })?;
        Ok(PackagePattern {
            source: value.to_owned(),
            glob: Some(glob.compile_matcher()),
            exclude,
        })
    }

    /// Whether this leaves packages out (written with a leading `!`).
    pub fn is_exclusion(&self) -> bool {
        self.exclude
    }

    /// Whether this is a glob rather than a name.
    pub fn is_glob(&self) -> bool {
        self.glob.is_some()
    }

    /// Whether the package `name` is this one (or matches this glob).
    pub fn matches(&self, name: &str) -> bool {
        match &self.glob {
            Some(glob) => glob.is_match(name),
            None => self.source == name,
        }
    }

    /// The name or glob, without a leading `!`.
    pub fn source(&self) -> &str {
        &self.source
    }
}

/// The packages to work on, in a stable order: named ones as given, then
/// the ones globs or `all` found, by name; each once; none an exclusion
/// (`!`) matches.
///
/// # Errors
///
/// [`Error::Targets`] for a named package that does not exist, a glob or
/// an exclusion that matches nothing (an exclusion with a typo would leave
/// a package in), exclusions with nothing to exclude from, an owner with no
/// package of the type, or a listing GitHub refuses (with what to do
/// instead); [`Error::Api`] for anything else. Nothing was deleted either
/// way.
pub async fn resolve(
    client: &Client,
    scope: &Scope,
    package_type: PackageType,
    patterns: &[PackagePattern],
    all: bool,
) -> Result<Vec<String>> {
    let (exclusions, patterns): (Vec<&PackagePattern>, Vec<&PackagePattern>) =
        patterns.iter().partition(|p| p.is_exclusion());
    if !exclusions.is_empty() && patterns.is_empty() && !all {
        return Err(Error::Targets(
            "package exclusions (`!NAME`) leave packages out of a selection, and nothing is \
             selected: add a glob, a name or the listing of all packages"
                .to_owned(),
        ));
    }
    let chosen = choose(client, scope, package_type, &patterns, all).await?;
    let (left_out, chosen): (Vec<String>, Vec<String>) = chosen
        .into_iter()
        .partition(|name| exclusions.iter().any(|e| e.matches(name)));
    if let Some(unused) = exclusions
        .iter()
        .find(|e| !left_out.iter().any(|name| e.matches(name)))
    {
        return Err(Error::Targets(format!(
            "the package exclusion `!{}` matches none of the packages selected, so it leaves \
             nothing out; check it for a typo. Nothing was deleted",
            unused.source()
        )));
    }
    if chosen.is_empty() {
        return Err(Error::Targets(format!(
            "every {package_type} package selected for {scope} is excluded; nothing to prune"
        )));
    }
    Ok(chosen)
}

/// The packages names, globs and `all` select, before exclusions.
async fn choose(
    client: &Client,
    scope: &Scope,
    package_type: PackageType,
    patterns: &[&PackagePattern],
    all: bool,
) -> Result<Vec<String>> {
    let (globs, names): (Vec<&PackagePattern>, Vec<&PackagePattern>) =
        patterns.iter().copied().partition(|p| p.is_glob());
    let mut chosen: Vec<String> = Vec::new();
    let mut missing = Vec::new();
    let handler = client.packages(scope);
    for name in names {
        if chosen.iter().any(|c| c == name.source()) {
            continue;
        }
        match handler.get(package_type, name.source()).await {
            Ok(_) => chosen.push(name.source().to_owned()),
            Err(e) if e.is_not_found() => missing.push(name.source()),
            Err(e) => return Err(Error::Api(e)),
        }
    }
    if !missing.is_empty() {
        return Err(Error::Targets(format!(
            "no {package_type} package {} for {scope} (or the token cannot see it); nothing \
             was deleted",
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
        .list(package_type)
        .stream()
        .map_ok(|p| p.name)
        .try_collect()
        .await
        .map_err(|e| listing_refused(e, scope, package_type))?;
    let mut found: Vec<String> = Vec::new();
    for glob in &globs {
        let matched: Vec<&String> = listed.iter().filter(|n| glob.matches(n)).collect();
        if matched.is_empty() {
            return Err(Error::Targets(format!(
                "the package glob `{}` matches none of the {} {package_type} packages of \
                 {scope}; nothing was deleted",
                glob.source(),
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
        return Err(Error::Targets(format!(
            "{scope} has no {package_type} packages; nothing to prune"
        )));
    }
    Ok(chosen)
}

/// A listing of packages GitHub refused, with the likely reason: a
/// workflow's `GITHUB_TOKEN` cannot list an owner's packages (GitHub answers
/// 400 "Invalid argument"), though it can read and delete the versions of
/// packages it is given by name.
fn listing_refused(error: github_packages::Error, scope: &Scope, kind: PackageType) -> Error {
    let refused = error.is_rejected() || error.is_forbidden() || error.is_not_found();
    if !refused {
        return Error::Api(error);
    }
    Error::Targets(format!(
        "GitHub refused to list the {kind} packages of {scope} ({error}). A workflow's \
         GITHUB_TOKEN cannot list an owner's packages: name each package (no globs, no \
         listing of all packages), or use a personal access token (classic) with \
         read:packages"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_are_told_from_names() {
        let glob = |v: &str| PackagePattern::new(v).unwrap().is_glob();
        assert!(glob("app-*"));
        assert!(glob("team/{a,b}"));
        assert!(!glob("team/app"));
        assert!(!glob("left-pad"));
        assert!(PackagePattern::new(" ").is_err());
    }

    #[test]
    fn a_leading_bang_is_an_exclusion() {
        let legacy = PackagePattern::new("!app-legacy").unwrap();
        assert!(legacy.is_exclusion() && !legacy.is_glob());
        assert!(legacy.matches("app-legacy"));
        let old = PackagePattern::new("!old-*").unwrap();
        assert!(old.is_exclusion() && old.is_glob() && old.matches("old-web"));
        assert!(PackagePattern::new("!").is_err());
        assert!(!PackagePattern::new("app").unwrap().is_exclusion());
    }

    #[test]
    fn package_globs_stay_within_a_path_part() {
        let m = PackagePattern::new("app-*").unwrap();
        assert!(m.matches("app-web"));
        assert!(!m.matches("team/app-web"));
        let m = PackagePattern::new("team/*").unwrap();
        assert!(m.matches("team/app"));
        assert!(!m.matches("team/a/b"));
        assert!(PackagePattern::new("team/**").unwrap().matches("team/a/b"));
        let err = PackagePattern::new("app-[").unwrap_err();
        assert!(err.to_string().contains("not a valid glob"), "{err}");
    }
}
