//! What the fake saw: every request with its answer, and counters for the
//! changes tests most often assert on (versions deleted and restored,
//! manifests read).

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::generated::types::PackageType;

use super::state::{PackageKey, same_login};

/// One request the fake answered (or dropped), as [`FakeGitHub::requests`]
/// lists them.
///
/// [`FakeGitHub::requests`]: super::FakeGitHub::requests
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecordedRequest {
    /// The HTTP method.
    pub method: http::Method,
    /// The path as sent, still percent-encoded (`/orgs/acme/packages/container/team%2Fapp`).
    pub path: String,
    /// The query string without the `?`, if there was one.
    pub query: Option<String>,
    /// The status answered; `None` when a fault dropped the connection.
    pub status: Option<u16>,
    /// When the request arrived, on the fake's clock.
    pub at: DateTime<Utc>,
}

impl RecordedRequest {
    /// The value of query parameter `name`, decoded, if present.
    pub fn query_param(&self, name: &str) -> Option<String> {
        let query = self.query.as_deref()?;
        url::form_urlencoded::parse(query.as_bytes())
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
    }
}

#[derive(Debug, Clone)]
struct VersionEvent {
    owner: String,
    package_type: PackageType,
    name: String,
    id: i64,
}

/// The request log and counters.
#[derive(Debug, Default)]
pub(crate) struct Log {
    pub(crate) requests: Vec<RecordedRequest>,
    deleted: Vec<VersionEvent>,
    restored: Vec<VersionEvent>,
    manifest_reads: HashMap<String, u64>,
}

fn event(key: PackageKey<'_>, id: i64) -> VersionEvent {
    VersionEvent {
        owner: key.owner.to_owned(),
        package_type: key.package_type,
        name: key.name.to_owned(),
        id,
    }
}

fn ids_of(events: &[VersionEvent], key: PackageKey<'_>) -> Vec<i64> {
    events
        .iter()
        .filter(|e| {
            e.package_type == key.package_type
                && same_login(&e.owner, key.owner)
                && (e.name == key.name
                    || (matches!(
                        key.package_type,
                        PackageType::Container | PackageType::Docker
                    ) && e.name.eq_ignore_ascii_case(key.name)))
        })
        .map(|e| e.id)
        .collect()
}

impl Log {
    pub(crate) fn record(&mut self, request: RecordedRequest) {
        self.requests.push(request);
    }

    pub(crate) fn deleted(&mut self, key: PackageKey<'_>, id: i64) {
        self.deleted.push(event(key, id));
    }

    pub(crate) fn restored(&mut self, key: PackageKey<'_>, id: i64) {
        self.restored.push(event(key, id));
    }

    pub(crate) fn manifest_read(&mut self, digest: &str) {
        *self.manifest_reads.entry(digest.to_owned()).or_default() += 1;
    }

    pub(crate) fn deleted_ids(&self, key: PackageKey<'_>) -> Vec<i64> {
        ids_of(&self.deleted, key)
    }

    pub(crate) fn restored_ids(&self, key: PackageKey<'_>) -> Vec<i64> {
        ids_of(&self.restored, key)
    }

    pub(crate) fn manifest_reads(&self, digest: &str) -> u64 {
        self.manifest_reads.get(digest).copied().unwrap_or(0)
    }

    pub(crate) fn clear(&mut self) {
        *self = Log::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_match_owner_and_container_names_loosely() {
        let mut log = Log::default();
        let key = PackageKey {
            owner: "Acme",
            package_type: PackageType::Container,
            name: "App",
        };
        log.deleted(key, 3);
        log.deleted(key, 4);
        log.restored(key, 4);
        let lower = PackageKey {
            owner: "acme",
            package_type: PackageType::Container,
            name: "app",
        };
        assert_eq!(log.deleted_ids(lower), [3, 4]);
        assert_eq!(log.restored_ids(lower), [4]);
        let npm = PackageKey {
            package_type: PackageType::Npm,
            ..lower
        };
        assert!(log.deleted_ids(npm).is_empty());
        log.manifest_read("sha256:ab");
        log.manifest_read("sha256:ab");
        assert_eq!(log.manifest_reads("sha256:ab"), 2);
        assert_eq!(log.manifest_reads("sha256:cd"), 0);
    }

    #[test]
    fn query_parameters_are_decoded() {
        let request = RecordedRequest {
            method: http::Method::GET,
            path: "/user/packages".into(),
            query: Some("package_type=container&name=a%2Fb".into()),
            status: Some(200),
            at: Utc::now(),
        };
        assert_eq!(request.query_param("name").as_deref(), Some("a/b"));
        assert_eq!(request.query_param("page"), None);
    }
}
