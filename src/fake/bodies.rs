//! GitHub's answer bodies, built from the generated types so they cannot drift
//! from the description the client is generated from, and the `Link` header
//! of a listing. The account bodies of `/user` and `/users/{username}`,
//! whose schemas the packages description does not hold, follow GitHub's
//! `public-user` and `private-user` schemas.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Value, json};

use crate::generated::types::{
    BasicError, ContainerMetadata, DockerMetadata, Package, PackageType, PackageVersion,
    PackageVersionMetadata, SimpleUser, Visibility,
};

use super::state::{Account, AccountKind, PackageRecord, VersionRecord};

/// What stays unescaped in a path segment: RFC 3986's unreserved set.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A package name as one path segment (`team/app` becomes `team%2Fapp`).
pub(crate) fn segment(name: &str) -> String {
    utf8_percent_encode(name, SEGMENT).to_string()
}

/// GitHub's error object: message, documentation URL, and the status as a
/// string.
pub(crate) fn error_json(message: &str, documentation_url: &str, status: u16) -> String {
    let error = BasicError {
        message: Some(message.to_owned()),
        documentation_url: Some(documentation_url.to_owned()),
        status: Some(status.to_string()),
        url: None,
    };
    // A struct of strings always serializes.
    serde_json::to_string(&error).unwrap_or_default()
}

/// `orgs/acme` or `users/octocat`: where an owner's packages live.
fn owner_path(account: &Account) -> String {
    match account.kind {
        AccountKind::User => format!("users/{}", account.login),
        AccountKind::Organization => format!("orgs/{}", account.login),
    }
}

fn package_api_url(api: &str, account: &Account, package: &PackageRecord) -> String {
    format!(
        "{api}/{}/packages/{}/{}",
        owner_path(account),
        package.package_type,
        segment(&package.name)
    )
}

fn package_html_url(account: &Account, package: &PackageRecord) -> String {
    format!(
        "https://github.com/{}/packages/{}/package/{}",
        owner_path(account),
        package.package_type,
        segment(&package.name)
    )
}

/// Writes the bodies of one fake: its API URL for links, and whether
/// `internal` may appear.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bodies<'a> {
    /// `http://127.0.0.1:<port>`, without a trailing slash.
    pub(crate) api: &'a str,
    /// Whether a package's `internal` visibility is shown as such, as
    /// GitHub does, or as `private`, the only other value GitHub's
    /// published description allows.
    pub(crate) internal_visibility: bool,
}

impl Bodies<'_> {
    pub(crate) fn simple_user(&self, account: &Account) -> SimpleUser {
        let api = self.api;
        let login = &account.login;
        let user = format!("{api}/users/{login}");
        let (type_, node_prefix) = match account.kind {
            AccountKind::User => ("User", "U_"),
            AccountKind::Organization => ("Organization", "O_"),
        };
        SimpleUser {
            avatar_url: format!("https://avatars.githubusercontent.com/u/{}?v=4", account.id),
            email: None,
            events_url: format!("{user}/events{{/privacy}}"),
            followers_url: format!("{user}/followers"),
            following_url: format!("{user}/following{{/other_user}}"),
            gists_url: format!("{user}/gists{{/gist_id}}"),
            gravatar_id: Some(String::new()),
            html_url: format!("https://github.com/{login}"),
            id: account.id,
            login: login.clone(),
            name: None,
            node_id: format!("{node_prefix}fake{}", account.id),
            organizations_url: format!("{user}/orgs"),
            received_events_url: format!("{user}/received_events"),
            repos_url: format!("{user}/repos"),
            site_admin: false,
            starred_at: None,
            starred_url: format!("{user}/starred{{/owner}}{{/repo}}"),
            subscriptions_url: format!("{user}/subscriptions"),
            type_: type_.to_owned(),
            url: user,
            user_view_type: Some("public".to_owned()),
        }
    }

    pub(crate) fn package(&self, account: &Account, package: &PackageRecord) -> Package {
        let api = self.api;
        Package {
            created_at: package.created_at,
            html_url: package_html_url(account, package),
            id: package.id,
            name: package.name.clone(),
            owner: Some(self.simple_user(account)),
            package_type: package.package_type,
            repository: None,
            updated_at: package.updated_at,
            url: package_api_url(api, account, package),
            version_count: package.active_versions().count() as i64,
            visibility: self.visibility(package.visibility),
        }
    }

    pub(crate) fn version(
        &self,
        account: &Account,
        package: &PackageRecord,
        version: &VersionRecord,
    ) -> PackageVersion {
        let metadata = match package.package_type {
            PackageType::Container => PackageVersionMetadata {
                container: Some(ContainerMetadata {
                    tags: version.tags.clone(),
                }),
                docker: None,
                package_type: PackageType::Container,
            },
            PackageType::Docker => PackageVersionMetadata {
                container: None,
                docker: Some(DockerMetadata {
                    tag: Vec::new(),
                    tags: version.tags.clone(),
                }),
                package_type: PackageType::Docker,
            },
            other => PackageVersionMetadata {
                container: None,
                docker: None,
                package_type: other,
            },
        };
        let html = format!(
            "https://github.com/{}/packages/{}/{}/{}",
            owner_path(account),
            package.package_type,
            segment(&package.name),
            version.id
        );
        let api = self.api;
        PackageVersion {
            created_at: version.created_at,
            deleted_at: version.deleted_at,
            description: version.description.clone(),
            html_url: Some(html),
            id: version.id,
            license: version.license.clone(),
            metadata: Some(metadata),
            name: version.name.clone(),
            package_html_url: package_html_url(account, package),
            updated_at: version.updated_at,
            url: format!(
                "{}/versions/{}",
                package_api_url(api, account, package),
                version.id
            ),
        }
    }

    /// The body of `GET /users/{username}` (and of `GET /user`): GitHub's
    /// `public-user` schema, or `private-user` when the token may read the
    /// private profile. What the fake does not model (names, repositories,
    /// followers) is `null` or 0, as for a new account.
    pub(crate) fn user(&self, account: &Account, private: bool) -> Value {
        let mut body = serde_json::to_value(self.simple_user(account)).unwrap_or_default();
        let at = account
            .created_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let profile = json!({
            "name": null, "company": null, "blog": null, "location": null, "email": null,
            "hireable": null, "bio": null, "twitter_username": null,
            "public_repos": 0, "public_gists": 0, "followers": 0, "following": 0,
            "created_at": at, "updated_at": at,
        });
        let private_profile = json!({
            "user_view_type": "private",
            "private_gists": 0, "total_private_repos": 0, "owned_private_repos": 0,
            "disk_usage": 0, "collaborators": 0, "two_factor_authentication": true,
        });
        let mut extend = |fields: Value| {
            if let (Value::Object(body), Value::Object(fields)) = (&mut body, fields) {
                body.extend(fields);
            }
        };
        extend(profile);
        if private {
            extend(private_profile);
        }
        body
    }

    fn visibility(&self, visibility: Visibility) -> Visibility {
        match visibility {
            Visibility::Internal if !self.internal_visibility => Visibility::Private,
            other => other,
        }
    }
}

/// The `Link` header of page `page` of `last` (both from 1) of a listing at
/// `url_path` with query `query`; `None` when everything fits on one page.
/// Relations come in GitHub's order: prev, next, last, first.
pub(crate) fn link_header(
    api: &str,
    url_path: &str,
    query: &[(String, String)],
    page: u64,
    last: u64,
) -> Option<String> {
    if last <= 1 {
        return None;
    }
    let link = |n: u64, rel: &str| {
        let mut pairs = url::form_urlencoded::Serializer::new(String::new());
        let mut placed = false;
        for (key, value) in query {
            if key == "page" {
                if !placed {
                    pairs.append_pair("page", &n.to_string());
                    placed = true;
                }
            } else {
                pairs.append_pair(key, value);
            }
        }
        if !placed {
            pairs.append_pair("page", &n.to_string());
        }
        format!("<{api}{url_path}?{}>; rel=\"{rel}\"", pairs.finish())
    };
    let mut links = Vec::new();
    if page > 1 {
        links.push(link(page.min(last + 1) - 1, "prev"));
    }
    if page < last {
        links.push(link(page + 1, "next"));
        links.push(link(last, "last"));
    }
    if page > 1 {
        links.push(link(1, "first"));
    }
    Some(links.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn links_keep_the_query_and_follow_githubs_order() {
        let q = pairs(&[("state", "active"), ("page", "2"), ("per_page", "10")]);
        let header = link_header("http://h", "/p", &q, 2, 3).unwrap();
        assert_eq!(
            header,
            "<http://h/p?state=active&page=1&per_page=10>; rel=\"prev\", \
             <http://h/p?state=active&page=3&per_page=10>; rel=\"next\", \
             <http://h/p?state=active&page=3&per_page=10>; rel=\"last\", \
             <http://h/p?state=active&page=1&per_page=10>; rel=\"first\""
        );
        let first = link_header("http://h", "/p", &pairs(&[("per_page", "1")]), 1, 2).unwrap();
        assert_eq!(
            first,
            "<http://h/p?per_page=1&page=2>; rel=\"next\", <http://h/p?per_page=1&page=2>; rel=\"last\""
        );
        assert_eq!(link_header("http://h", "/p", &[], 1, 1), None);
        let beyond = link_header("http://h", "/p", &[], 9, 2).unwrap();
        assert!(
            beyond.starts_with("<http://h/p?page=2>; rel=\"prev\""),
            "{beyond}"
        );
    }

    #[test]
    fn names_become_one_segment() {
        assert_eq!(segment("team/app"), "team%2Fapp");
        assert_eq!(segment("a-b_c.d~e"), "a-b_c.d~e");
        assert_eq!(segment("@scope x"), "%40scope%20x");
    }

    #[test]
    fn errors_carry_the_status_as_text() {
        let body: serde_json::Value = serde_json::from_str(&error_json(
            "Bad credentials",
            "https://docs.github.com/rest",
            401,
        ))
        .unwrap();
        assert_eq!(
            body,
            serde_json::json!({"message": "Bad credentials",
                               "documentation_url": "https://docs.github.com/rest",
                               "status": "401"})
        );
    }
}
