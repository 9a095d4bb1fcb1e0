//! Tokens and scopes: who a request is, and whether its token may do what it
//! asks.
//!
//! A personal access token (classic) carries OAuth scopes and GitHub echoes
//! them in `X-OAuth-Scopes`, next to the scopes the operation accepts in
//! `X-Accepted-OAuth-Scopes`. An Actions `GITHUB_TOKEN` carries a `packages`
//! permission instead and gets neither header.

use std::collections::HashMap;

/// What the `packages` permission of an Actions token allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PackagesPermission {
    /// `packages: read`: list and get.
    Read,
    /// `packages: write`: also delete and restore.
    Write,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TokenKind {
    /// A personal access token (classic) with these OAuth scopes.
    Classic(Vec<String>),
    /// An Actions `GITHUB_TOKEN` acting for its repository's owner.
    Actions(PackagesPermission),
}

#[derive(Debug, Clone)]
pub(crate) struct TokenRecord {
    /// The account the token acts as.
    pub(crate) login: String,
    pub(crate) kind: TokenKind,
}

/// What an operation needs from the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Need {
    Read,
    Delete,
    Restore,
    /// Pushing to the registry.
    Push,
}

impl Need {
    /// The scopes GitHub lists in `X-Accepted-OAuth-Scopes`.
    pub(crate) fn accepted_scopes(self) -> &'static str {
        match self {
            Need::Read => "read:packages",
            Need::Delete => "delete:packages, read:packages",
            Need::Restore => "read:packages, write:packages",
            Need::Push => "write:packages",
        }
    }

    /// The permission GitHub lists in `X-Accepted-GitHub-Permissions` for
    /// app and Actions tokens.
    pub(crate) fn accepted_permission(self) -> &'static str {
        match self {
            Need::Read => "packages=read",
            Need::Delete | Need::Restore | Need::Push => "packages=write",
        }
    }
}

/// Whether a classic token's scopes grant `scope`: `write:packages` includes
/// `read:packages`, as on GitHub; nothing else implies a packages scope.
fn grants(scopes: &[String], scope: &str) -> bool {
    scopes.iter().any(|s| s == scope)
        || (scope == "read:packages" && scopes.iter().any(|s| s == "write:packages"))
}

impl TokenRecord {
    /// Whether the token may do what `need` asks.
    pub(crate) fn allows(&self, need: Need) -> bool {
        match &self.kind {
            TokenKind::Classic(scopes) => {
                let read = grants(scopes, "read:packages");
                match need {
                    Need::Read => read,
                    Need::Delete => read && grants(scopes, "delete:packages"),
                    Need::Restore | Need::Push => read && grants(scopes, "write:packages"),
                }
            }
            TokenKind::Actions(permission) => {
                need == Need::Read || *permission == PackagesPermission::Write
            }
        }
    }

    /// The `X-OAuth-Scopes` value, for tokens that have one.
    pub(crate) fn scope_header(&self) -> Option<String> {
        match &self.kind {
            TokenKind::Classic(scopes) => Some(scopes.join(", ")),
            TokenKind::Actions(_) => None,
        }
    }

    pub(crate) fn is_actions(&self) -> bool {
        matches!(self.kind, TokenKind::Actions(_))
    }

    /// Whether `GET /user` shows the private profile: GitHub does for
    /// tokens with the `user` or `read:user` scope.
    pub(crate) fn reads_private_profile(&self) -> bool {
        match &self.kind {
            TokenKind::Classic(scopes) => scopes.iter().any(|s| s == "user" || s == "read:user"),
            TokenKind::Actions(_) => false,
        }
    }
}

/// Every token the fake has handed out.
#[derive(Debug, Default)]
pub(crate) struct Tokens {
    by_value: HashMap<String, TokenRecord>,
    issued: u64,
    seed: u64,
}

/// How a request identified itself.
#[derive(Debug, Clone)]
pub(crate) enum Caller {
    /// No `Authorization` header.
    Anonymous,
    /// A header the fake does not accept (unknown or revoked token, another
    /// scheme, garbage).
    BadCredentials,
    Token(TokenRecord),
}

impl Tokens {
    pub(crate) fn new(seed: u64) -> Tokens {
        Tokens {
            seed,
            ..Tokens::default()
        }
    }

    /// A new token value: GitHub's prefix, then 36 characters that depend on
    /// the seed and the count so far, so runs repeat.
    fn mint(&mut self, prefix: &str) -> String {
        const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        self.issued += 1;
        let mut rng =
            super::seed::Rng::new(self.seed ^ self.issued.wrapping_mul(0xa076_1d64_78bd_642f));
        let body: String = (0..36)
            .map(|_| char::from(ALPHABET[rng.below(ALPHABET.len() as u64) as usize]))
            .collect();
        format!("{prefix}{body}")
    }

    pub(crate) fn issue(&mut self, login: &str, kind: TokenKind) -> String {
        let prefix = match kind {
            TokenKind::Classic(_) => "ghp_",
            TokenKind::Actions(_) => "ghs_",
        };
        let value = self.mint(prefix);
        self.by_value.insert(
            value.clone(),
            TokenRecord {
                login: login.to_owned(),
                kind,
            },
        );
        value
    }

    pub(crate) fn revoke(&mut self, value: &str) -> bool {
        self.by_value.remove(value).is_some()
    }

    pub(crate) fn find(&self, value: &str) -> Option<&TokenRecord> {
        self.by_value.get(value)
    }

    /// Identifies the caller from an `Authorization` header value. GitHub
    /// takes `Bearer <token>` and `token <token>`; the scheme is
    /// case-insensitive.
    pub(crate) fn identify(&self, authorization: Option<&[u8]>) -> Caller {
        let Some(raw) = authorization else {
            return Caller::Anonymous;
        };
        let Ok(text) = std::str::from_utf8(raw) else {
            return Caller::BadCredentials;
        };
        let Some((scheme, value)) = text.trim().split_once(' ') else {
            return Caller::BadCredentials;
        };
        if !scheme.eq_ignore_ascii_case("bearer") && !scheme.eq_ignore_ascii_case("token") {
            return Caller::BadCredentials;
        }
        match self.find(value.trim()) {
            Some(record) => Caller::Token(record.clone()),
            None => Caller::BadCredentials,
        }
    }
}

/// What a registry token may do in one repository.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct RegistryActions {
    pub(crate) pull: bool,
    pub(crate) push: bool,
}

/// One repository of a registry token: the actions the client asked for
/// in `scope`, and those it got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RepositoryAccess {
    /// The repository, lowercase (`acme/app`).
    pub(crate) name: String,
    pub(crate) asked: RegistryActions,
    pub(crate) granted: RegistryActions,
}

/// What the registry's token service handed out with one token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RegistryGrant {
    /// The account of the GitHub token behind it; `None` for a token
    /// fetched without credentials, which reads public images only.
    pub(crate) account: Option<String>,
    pub(crate) access: Vec<RepositoryAccess>,
}

impl RegistryGrant {
    fn find(&self, repository: &str) -> Option<&RepositoryAccess> {
        self.access
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(repository))
    }

    /// What the token may do in `repository`.
    pub(crate) fn granted(&self, repository: &str) -> RegistryActions {
        self.find(repository).map(|a| a.granted).unwrap_or_default()
    }

    /// What the client asked for in `repository` when it fetched the token.
    pub(crate) fn asked(&self, repository: &str) -> RegistryActions {
        self.find(repository).map(|a| a.asked).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classic(scopes: &[&str]) -> TokenRecord {
        TokenRecord {
            login: "octocat".into(),
            kind: TokenKind::Classic(scopes.iter().map(|s| s.to_string()).collect()),
        }
    }

    #[test]
    fn scopes_follow_githubs_hierarchy() {
        assert!(classic(&["read:packages"]).allows(Need::Read));
        assert!(classic(&["write:packages"]).allows(Need::Read));
        assert!(classic(&["write:packages"]).allows(Need::Restore));
        assert!(!classic(&["delete:packages"]).allows(Need::Delete));
        assert!(classic(&["delete:packages", "read:packages"]).allows(Need::Delete));
        assert!(!classic(&["repo"]).allows(Need::Read));
        assert!(!classic(&["read:packages"]).allows(Need::Restore));
        assert!(classic(&["write:packages"]).allows(Need::Push));
        assert!(!classic(&["read:packages", "delete:packages"]).allows(Need::Push));
        let actions = |permission| TokenRecord {
            login: "acme".into(),
            kind: TokenKind::Actions(permission),
        };
        assert!(actions(PackagesPermission::Write).allows(Need::Push));
        assert!(!actions(PackagesPermission::Read).allows(Need::Push));
    }

    #[test]
    fn tokens_are_identified_by_header() {
        let mut tokens = Tokens::new(7);
        let value = tokens.issue("octocat", TokenKind::Classic(vec!["read:packages".into()]));
        assert!(value.starts_with("ghp_") && value.len() == 40, "{value}");
        let header = format!("Bearer {value}");
        assert!(matches!(
            tokens.identify(Some(header.as_bytes())),
            Caller::Token(_)
        ));
        let header = format!("token {value}");
        assert!(matches!(
            tokens.identify(Some(header.as_bytes())),
            Caller::Token(_)
        ));
        assert!(matches!(tokens.identify(None), Caller::Anonymous));
        for bad in [&b"Bearer nope"[..], b"Basic abc", b"\xff\xfe", b"Bearer"] {
            assert!(matches!(tokens.identify(Some(bad)), Caller::BadCredentials));
        }
        assert!(tokens.revoke(&value));
        assert!(matches!(
            tokens.identify(Some(header.as_bytes())),
            Caller::BadCredentials
        ));
        let again = Tokens::new(7).issue("octocat", TokenKind::Classic(vec![]));
        assert_eq!(again, value, "the same seed mints the same tokens");
    }
}
