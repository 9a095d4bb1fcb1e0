//! OAuth scopes of classic tokens: reading GitHub's `x-oauth-scopes` list and
//! deciding whether a set of scopes covers one a call needs.

/// Splits a comma-separated scope header (`x-oauth-scopes`,
/// `x-accepted-oauth-scopes`) into its scopes.
pub(crate) fn split(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Whether a token with `have` may use a call that needs `needed`. GitHub's
/// scopes nest: `write:packages` includes `read:packages`.
pub(crate) fn covers(have: &[String], needed: &str) -> bool {
    let implied_by: &[&str] = match needed {
        "read:packages" => &["write:packages"],
        _ => &[],
    };
    have.iter()
        .any(|scope| scope == needed || implied_by.contains(&scope.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_githubs_header_and_knows_write_includes_read() {
        let have = split(" read:org, write:packages ,,");
        assert_eq!(have, ["read:org", "write:packages"]);
        assert!(covers(&have, "write:packages"));
        assert!(covers(&have, "read:packages"));
        assert!(!covers(&have, "delete:packages"));
        assert!(!covers(&split("delete:packages"), "read:packages"));
    }
}
