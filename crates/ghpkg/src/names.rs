//! What a person types for a package or a version: a version by id, tag or
//! name (a container's digest, an npm version); a package by image
//! reference, `ghcr.io/OWNER/NAME[:TAG|@DIGEST]`. Parsing only: `locate.rs`
//! finds them on GitHub.

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
}
