//! What the fake knows (accounts, packages, versions, manifests) and the rules
//! GitHub applies when they change: who may be deleted, what may be restored
//! and for how long.
//!
//! Nothing here speaks HTTP. Each rule answers with a [`Refusal`] that the
//! API layer turns into GitHub's status and message.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use crate::generated::types::{PackageType, Visibility};

/// GitHub keeps deleted packages and versions restorable this long.
pub(crate) const RESTORE_WINDOW: Duration = Duration::from_secs(30 * 24 * 3600);
/// GitHub refuses to delete a public package or version downloaded more often.
pub(crate) const PUBLIC_DOWNLOAD_LIMIT: u64 = 5_000;

pub(crate) const MSG_PACKAGE_NOT_FOUND: &str = "Package not found.";
pub(crate) const MSG_VERSION_NOT_FOUND: &str = "Package version not found.";
pub(crate) const MSG_LAST_VERSION: &str =
    "You cannot delete the last version of a package. You must delete the package instead.";
pub(crate) const MSG_LAST_TAGGED: &str =
    "You cannot delete the last tagged version of a package. You must delete the package instead.";
pub(crate) const MSG_PUBLIC_PACKAGE: &str = "Publicly visible packages with more than 5000 downloads cannot be deleted. Contact GitHub support for further assistance.";
pub(crate) const MSG_PUBLIC_VERSION: &str = "Publicly visible package versions with more than 5000 downloads cannot be deleted. Contact GitHub support for further assistance.";
pub(crate) const MSG_NOT_DELETED: &str = "Package version is not deleted.";
pub(crate) const MSG_ACTIVE_EXISTS: &str = "An active package already exists with given name.";
pub(crate) const MSG_MANY_DELETED: &str =
    "Multiple deleted packages match given name, specify a package by providing a restore token";

/// What GitHub answers when asked to restore a version that is not deleted.
/// GitHub does not document it; pick the answer your client must cope with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ActiveRestore {
    /// `404 Package version not found.`: only deleted versions are found by
    /// a restore (the default; 404 is the status the description documents).
    #[default]
    NotFound,
    /// `422 Package version is not deleted.`
    NotDeleted,
}

/// The rules a delete or restore is checked against; [`Rules::default`] is
/// GitHub's.
#[derive(Debug, Clone)]
pub(crate) struct Rules {
    pub(crate) restore_window: Duration,
    /// Refuse to delete a package's last active version.
    pub(crate) last_version: bool,
    /// Refuse to delete a container's last tagged version.
    pub(crate) last_tagged_version: bool,
    /// Refuse deleting public packages or versions downloaded more often.
    pub(crate) public_download_limit: Option<u64>,
    pub(crate) active_restore: ActiveRestore,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            restore_window: RESTORE_WINDOW,
            last_version: true,
            last_tagged_version: true,
            public_download_limit: Some(PUBLIC_DOWNLOAD_LIMIT),
            active_restore: ActiveRestore::default(),
        }
    }
}

/// Why a change was refused: GitHub's status and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub(crate) status: u16,
    pub(crate) message: &'static str,
}

impl Refusal {
    pub(crate) const fn new(status: u16, message: &'static str) -> Refusal {
        Refusal { status, message }
    }
}

/// A user or an organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AccountKind {
    User,
    Organization,
}

#[derive(Debug, Clone)]
pub(crate) struct Account {
    pub(crate) login: String,
    pub(crate) id: i64,
    pub(crate) kind: AccountKind,
    /// When it first appeared, or its oldest package's date if earlier.
    pub(crate) created_at: DateTime<Utc>,
}

/// One manifest the registry serves for a container version.
#[derive(Debug, Clone)]
pub(crate) struct Manifest {
    pub(crate) media_type: String,
    pub(crate) body: Vec<u8>,
}

#[derive(Debug, Clone)]
pub(crate) struct VersionRecord {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) tags: Vec<String>,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
    pub(crate) deleted_at: Option<DateTime<Utc>>,
    pub(crate) downloads: u64,
    pub(crate) description: Option<String>,
    pub(crate) license: Option<String>,
    pub(crate) manifest: Option<Manifest>,
}

impl VersionRecord {
    pub(crate) fn is_active(&self) -> bool {
        self.deleted_at.is_none()
    }
}

#[derive(Debug, Clone)]
pub(crate) struct PackageRecord {
    pub(crate) id: i64,
    /// The owner's login as the account spells it.
    pub(crate) owner: String,
    pub(crate) package_type: PackageType,
    pub(crate) name: String,
    pub(crate) visibility: Visibility,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
    pub(crate) deleted_at: Option<DateTime<Utc>>,
    /// Set when the package is deleted; `?token=` of a restore picks it.
    pub(crate) restore_token: Option<String>,
    /// Downloads of the package as a whole (its versions count their own).
    pub(crate) downloads: u64,
    pub(crate) docker_conflict: bool,
    pub(crate) versions: Vec<VersionRecord>,
}

impl PackageRecord {
    pub(crate) fn is_active(&self) -> bool {
        self.deleted_at.is_none()
    }

    pub(crate) fn active_versions(&self) -> impl Iterator<Item = &VersionRecord> {
        self.versions.iter().filter(|v| v.is_active())
    }

    pub(crate) fn total_downloads(&self) -> u64 {
        self.versions
            .iter()
            .fold(self.downloads, |sum, v| sum.saturating_add(v.downloads))
    }

    /// Versions in GitHub's order: newest first, the larger id first among
    /// equals.
    pub(crate) fn sorted_versions(
        &self,
        keep: impl Fn(&VersionRecord) -> bool,
    ) -> Vec<&VersionRecord> {
        let mut out: Vec<&VersionRecord> = self.versions.iter().filter(|v| keep(v)).collect();
        out.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
        out
    }

    /// The version tagged `tag` among the active ones.
    pub(crate) fn tagged(&self, tag: &str) -> Option<&VersionRecord> {
        self.active_versions()
            .find(|v| v.tags.iter().any(|t| t == tag))
    }
}

/// Names the package a call is about: owner login (any case), type, name.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PackageKey<'a> {
    pub(crate) owner: &'a str,
    pub(crate) package_type: PackageType,
    pub(crate) name: &'a str,
}

impl<'a> PackageKey<'a> {
    pub(crate) fn new(owner: &'a str, package_type: PackageType, name: &'a str) -> PackageKey<'a> {
        PackageKey {
            owner,
            package_type,
            name,
        }
    }
}

/// Accounts and packages.
#[derive(Debug, Default)]
pub(crate) struct Store {
    pub(crate) accounts: Vec<Account>,
    pub(crate) packages: Vec<PackageRecord>,
    next_account_id: i64,
    next_package_id: i64,
    next_version_id: i64,
    next_restore_token: u64,
}

pub(crate) fn same_login(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// Container names are case-insensitive (the registry lowercases them); other
/// ecosystems compare exactly.
fn same_name(package_type: PackageType, a: &str, b: &str) -> bool {
    match package_type {
        PackageType::Container | PackageType::Docker => a.eq_ignore_ascii_case(b),
        _ => a == b,
    }
}

fn expired(deleted_at: Option<DateTime<Utc>>, now: DateTime<Utc>, window: Duration) -> bool {
    let window = TimeDelta::from_std(window).unwrap_or(TimeDelta::MAX);
    deleted_at.is_some_and(|at| at.checked_add_signed(window).is_some_and(|end| end <= now))
}

impl Store {
    pub(crate) fn new() -> Store {
        Store {
            next_account_id: 1000,
            next_package_id: 100_000,
            next_version_id: 1_000_000,
            ..Store::default()
        }
    }

    pub(crate) fn account(&self, login: &str) -> Option<&Account> {
        self.accounts.iter().find(|a| same_login(&a.login, login))
    }

    /// The account called `login`, created as `kind` at `now` if it is new.
    /// An existing account keeps its kind; asking for the other kind is an
    /// error.
    pub(crate) fn ensure_account(
        &mut self,
        login: &str,
        kind: AccountKind,
        now: DateTime<Utc>,
    ) -> Result<&Account, String> {
        if let Some(i) = self
            .accounts
            .iter()
            .position(|a| same_login(&a.login, login))
        {
            let account = &self.accounts[i];
            if account.kind != kind {
                return Err(format!(
                    "`{}` already exists as {}",
                    account.login,
                    match account.kind {
                        AccountKind::User => "a user",
                        AccountKind::Organization => "an organization",
                    }
                ));
            }
            return Ok(account);
        }
        self.next_account_id += 1;
        self.accounts.push(Account {
            login: login.to_owned(),
            id: self.next_account_id,
            kind,
            created_at: now,
        });
        Ok(&self.accounts[self.accounts.len() - 1])
    }

    /// Makes `login`'s account at least as old as `at`: an account is never
    /// younger than what it owns.
    pub(crate) fn account_owns_since(&mut self, login: &str, at: DateTime<Utc>) {
        if let Some(account) = self
            .accounts
            .iter_mut()
            .find(|a| same_login(&a.login, login))
        {
            account.created_at = account.created_at.min(at);
        }
    }

    pub(crate) fn new_package_id(&mut self) -> i64 {
        self.next_package_id += 1;
        self.next_package_id
    }

    pub(crate) fn new_version_id(&mut self) -> i64 {
        self.next_version_id += 1;
        self.next_version_id
    }

    /// Forgets what was deleted longer ago than the restore window allows,
    /// as GitHub's purge does.
    pub(crate) fn purge(&mut self, now: DateTime<Utc>, window: Duration) {
        self.packages
            .retain(|p| !expired(p.deleted_at, now, window));
        for package in &mut self.packages {
            package
                .versions
                .retain(|v| !expired(v.deleted_at, now, window));
        }
    }

    pub(crate) fn active_package(&self, key: PackageKey<'_>) -> Option<&PackageRecord> {
        self.packages.iter().find(|p| {
            p.is_active()
                && p.package_type == key.package_type
                && same_login(&p.owner, key.owner)
                && same_name(key.package_type, &p.name, key.name)
        })
    }

    pub(crate) fn active_package_mut(&mut self, key: PackageKey<'_>) -> Option<&mut PackageRecord> {
        self.packages.iter_mut().find(|p| {
            p.is_active()
                && p.package_type == key.package_type
                && same_login(&p.owner, key.owner)
                && same_name(key.package_type, &p.name, key.name)
        })
    }

    /// Packages of one owner and type, newest first, optionally of one
    /// visibility. `internal` also matches `private` packages of registries
    /// without granular permissions, where the two are the same.
    pub(crate) fn list_packages(
        &self,
        owner: &str,
        package_type: PackageType,
        visibility: Option<Visibility>,
    ) -> Vec<&PackageRecord> {
        let mut out: Vec<&PackageRecord> = self
            .packages
            .iter()
            .filter(|p| {
                p.is_active() && p.package_type == package_type && same_login(&p.owner, owner)
            })
            .filter(|p| visibility.is_none_or(|v| visibility_matches(p, v)))
            .collect();
        out.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
        out
    }

    /// Active packages of `owner` that met a conflict in the Docker
    /// migration.
    pub(crate) fn docker_conflicts(&self, owner: &str) -> Vec<&PackageRecord> {
        let mut out: Vec<&PackageRecord> = self
            .packages
            .iter()
            .filter(|p| p.is_active() && p.docker_conflict && same_login(&p.owner, owner))
            .collect();
        out.sort_by_key(|p| p.id);
        out
    }

    pub(crate) fn delete_package(
        &mut self,
        key: PackageKey<'_>,
        now: DateTime<Utc>,
        rules: &Rules,
    ) -> Result<(), Refusal> {
        self.next_restore_token += 1;
        let token = format!(
            "{:016x}",
            self.next_restore_token.wrapping_mul(0x9e37_79b9_7f4a_7c15)
        );
        let package = self
            .active_package_mut(key)
            .ok_or(Refusal::new(404, MSG_PACKAGE_NOT_FOUND))?;
        if let Some(limit) = rules.public_download_limit
            && package.visibility == Visibility::Public
            && package.total_downloads() > limit
        {
            return Err(Refusal::new(400, MSG_PUBLIC_PACKAGE));
        }
        package.deleted_at = Some(now);
        package.restore_token = Some(token);
        Ok(())
    }

    pub(crate) fn restore_package(
        &mut self,
        key: PackageKey<'_>,
        token: Option<&str>,
        now: DateTime<Utc>,
        rules: &Rules,
    ) -> Result<(), Refusal> {
        let candidates: Vec<usize> = self
            .packages
            .iter()
            .enumerate()
            .filter(|(_, p)| {
                !p.is_active()
                    && !expired(p.deleted_at, now, rules.restore_window)
                    && p.package_type == key.package_type
                    && same_login(&p.owner, key.owner)
                    && same_name(key.package_type, &p.name, key.name)
                    && token.is_none_or(|t| p.restore_token.as_deref() == Some(t))
            })
            .map(|(i, _)| i)
            .collect();
        let index = match candidates.as_slice() {
            [] => return Err(Refusal::new(404, MSG_PACKAGE_NOT_FOUND)),
            [one] => *one,
            _ => return Err(Refusal::new(409, MSG_MANY_DELETED)),
        };
        if self.active_package(key).is_some() {
            return Err(Refusal::new(409, MSG_ACTIVE_EXISTS));
        }
        let package = &mut self.packages[index];
        package.deleted_at = None;
        package.restore_token = None;
        package.updated_at = now;
        Ok(())
    }

    pub(crate) fn delete_version(
        &mut self,
        key: PackageKey<'_>,
        id: i64,
        now: DateTime<Utc>,
        rules: &Rules,
    ) -> Result<(), Refusal> {
        let package = self
            .active_package_mut(key)
            .ok_or(Refusal::new(404, MSG_PACKAGE_NOT_FOUND))?;
        let index = package
            .versions
            .iter()
            .position(|v| v.id == id && v.is_active())
            .ok_or(Refusal::new(404, MSG_VERSION_NOT_FOUND))?;
        let version = &package.versions[index];
        let others_active = package.active_versions().filter(|v| v.id != id).count();
        if rules.last_version && others_active == 0 {
            return Err(Refusal::new(400, MSG_LAST_VERSION));
        }
        if rules.last_tagged_version
            && package.package_type == PackageType::Container
            && !version.tags.is_empty()
            && !package
                .active_versions()
                .any(|v| v.id != id && !v.tags.is_empty())
        {
            return Err(Refusal::new(400, MSG_LAST_TAGGED));
        }
        if let Some(limit) = rules.public_download_limit
            && package.visibility == Visibility::Public
            && version.downloads > limit
        {
            return Err(Refusal::new(400, MSG_PUBLIC_VERSION));
        }
        package.versions[index].deleted_at = Some(now);
        Ok(())
    }

    pub(crate) fn restore_version(
        &mut self,
        key: PackageKey<'_>,
        id: i64,
        now: DateTime<Utc>,
        rules: &Rules,
    ) -> Result<(), Refusal> {
        let package = self
            .active_package_mut(key)
            .ok_or(Refusal::new(404, MSG_PACKAGE_NOT_FOUND))?;
        let index = package
            .versions
            .iter()
            .position(|v| v.id == id)
            .ok_or(Refusal::new(404, MSG_VERSION_NOT_FOUND))?;
        if package.versions[index].is_active() {
            return Err(match rules.active_restore {
                ActiveRestore::NotFound => Refusal::new(404, MSG_VERSION_NOT_FOUND),
                ActiveRestore::NotDeleted => Refusal::new(422, MSG_NOT_DELETED),
            });
        }
        // A tag can name one manifest only: tags another version took while
        // this one was deleted stay where they are.
        let taken: Vec<String> = package
            .active_versions()
            .flat_map(|v| v.tags.iter().cloned())
            .collect();
        let version = &mut package.versions[index];
        version.tags.retain(|t| !taken.contains(t));
        version.deleted_at = None;
        version.updated_at = now;
        Ok(())
    }
}

impl Store {
    /// Stores a pushed manifest in `owner`'s container package `name`
    /// (created private if new), as a push to ghcr.io does: the active
    /// version named `digest` takes it if there is one, else a new version
    /// does; `tag` moves to that version from any other. Returns the
    /// version's id.
    pub(crate) fn push_manifest(
        &mut self,
        owner: &str,
        name: &str,
        digest: &str,
        tag: Option<&str>,
        manifest: Manifest,
        now: DateTime<Utc>,
    ) -> i64 {
        let key = PackageKey::new(owner, PackageType::Container, name);
        if self.active_package(key).is_none() {
            let id = self.new_package_id();
            self.packages.push(PackageRecord {
                id,
                owner: owner.to_owned(),
                package_type: PackageType::Container,
                name: name.to_ascii_lowercase(),
                visibility: Visibility::Private,
                created_at: now,
                updated_at: now,
                deleted_at: None,
                restore_token: None,
                downloads: 0,
                docker_conflict: false,
                versions: Vec::new(),
            });
        }
        let existing = self
            .active_package(key)
            .and_then(|p| p.active_versions().find(|v| v.name == digest))
            .map(|v| v.id);
        let id = match existing {
            Some(id) => id,
            None => self.new_version_id(),
        };
        let Some(package) = self.active_package_mut(key) else {
            return id;
        };
        if existing.is_none() {
            package.versions.push(VersionRecord {
                id,
                name: digest.to_owned(),
                tags: Vec::new(),
                created_at: now,
                updated_at: now,
                deleted_at: None,
                downloads: 0,
                description: None,
                license: None,
                manifest: Some(manifest),
            });
        }
        for version in package.versions.iter_mut().filter(|v| v.is_active()) {
            if let Some(tag) = tag {
                version.tags.retain(|t| t != tag);
                if version.id == id {
                    version.tags.push(tag.to_owned());
                }
            }
            if version.id == id {
                version.updated_at = now;
            }
        }
        package.updated_at = now;
        id
    }
}

fn visibility_matches(package: &PackageRecord, wanted: Visibility) -> bool {
    if package.visibility == wanted {
        return true;
    }
    let granular = matches!(
        package.package_type,
        PackageType::Container | PackageType::Npm | PackageType::Nuget | PackageType::Rubygems
    );
    let private_like = |v: Visibility| matches!(v, Visibility::Private | Visibility::Internal);
    !granular && private_like(package.visibility) && private_like(wanted)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn store_with(tags: &[&[&str]]) -> Store {
        let mut store = Store::new();
        let t0 = at("2025-01-01T00:00:00Z");
        store
            .ensure_account("acme", AccountKind::Organization, t0)
            .unwrap();
        let versions = tags
            .iter()
            .enumerate()
            .map(|(i, tags)| VersionRecord {
                id: i as i64 + 1,
                name: format!("v{i}"),
                tags: tags.iter().map(|t| t.to_string()).collect(),
                created_at: t0,
                updated_at: t0,
                deleted_at: None,
                downloads: 0,
                description: None,
                license: None,
                manifest: None,
            })
            .collect();
        store.packages.push(PackageRecord {
            id: 1,
            owner: "acme".into(),
            package_type: PackageType::Container,
            name: "app".into(),
            visibility: Visibility::Private,
            created_at: t0,
            updated_at: t0,
            deleted_at: None,
            restore_token: None,
            downloads: 0,
            docker_conflict: false,
            versions,
        });
        store
    }

    const APP: PackageKey<'static> = PackageKey {
        owner: "ACME",
        package_type: PackageType::Container,
        name: "App",
    };

    #[test]
    fn the_last_version_and_the_last_tagged_version_stay() {
        let rules = Rules::default();
        let now = at("2025-01-02T00:00:00Z");
        let mut store = store_with(&[&["v1"], &[], &[]]);
        assert_eq!(
            store.delete_version(APP, 1, now, &rules),
            Err(Refusal::new(400, MSG_LAST_TAGGED))
        );
        store.delete_version(APP, 2, now, &rules).unwrap();
        assert_eq!(
            store.delete_version(APP, 2, now, &rules),
            Err(Refusal::new(404, MSG_VERSION_NOT_FOUND))
        );
        let mut store = store_with(&[&[]]);
        assert_eq!(
            store.delete_version(APP, 1, now, &rules),
            Err(Refusal::new(400, MSG_LAST_VERSION))
        );
    }

    #[test]
    fn restores_bring_tags_back_unless_taken_and_end_after_30_days() {
        let rules = Rules::default();
        let t = at("2025-01-02T00:00:00Z");
        let mut store = store_with(&[&["a", "b"], &["c"]]);
        store.delete_version(APP, 1, t, &rules).unwrap();
        store.packages[0].versions[1].tags.push("b".into());
        store.restore_version(APP, 1, t, &rules).unwrap();
        assert_eq!(store.packages[0].versions[0].tags, ["a"]);
        assert_eq!(
            store.restore_version(APP, 1, t, &rules),
            Err(Refusal::new(404, MSG_VERSION_NOT_FOUND))
        );

        store.delete_version(APP, 1, t, &rules).unwrap();
        store.purge(t + TimeDelta::days(30), rules.restore_window);
        assert_eq!(
            store.restore_version(APP, 1, t + TimeDelta::days(30), &rules),
            Err(Refusal::new(404, MSG_VERSION_NOT_FOUND))
        );
    }

    #[test]
    fn public_packages_with_many_downloads_stay() {
        let rules = Rules::default();
        let t = at("2025-01-02T00:00:00Z");
        let mut store = store_with(&[&["a"], &[]]);
        store.packages[0].visibility = Visibility::Public;
        store.packages[0].versions[1].downloads = 5_001;
        assert_eq!(
            store.delete_version(APP, 2, t, &rules),
            Err(Refusal::new(400, MSG_PUBLIC_VERSION))
        );
        assert_eq!(
            store.delete_package(APP, t, &rules),
            Err(Refusal::new(400, MSG_PUBLIC_PACKAGE))
        );
        store.packages[0].visibility = Visibility::Private;
        store.delete_package(APP, t, &rules).unwrap();
        assert!(store.active_package(APP).is_none());
        store.restore_package(APP, None, t, &rules).unwrap();
        assert!(store.active_package(APP).is_some());
    }

    #[test]
    fn a_push_adds_a_version_or_retags_the_one_with_its_digest() {
        let t = at("2025-01-02T00:00:00Z");
        let mut store = store_with(&[&["v1", "latest"], &[]]);
        let manifest = || Manifest {
            media_type: "application/vnd.oci.image.manifest.v1+json".into(),
            body: b"{}".to_vec(),
        };
        let new = store.push_manifest("acme", "app", "sha256:aa", Some("v1"), manifest(), t);
        let app = store.active_package(APP).unwrap();
        assert_eq!(app.tagged("v1").map(|v| v.id), Some(new));
        assert_eq!(app.versions[0].tags, ["latest"]);
        assert_eq!(app.updated_at, t);
        // The same digest again: no new version, the tag joins it.
        let again = store.push_manifest("acme", "app", "sha256:aa", Some("latest"), manifest(), t);
        assert_eq!(again, new);
        let app = store.active_package(APP).unwrap();
        assert_eq!(app.versions.len(), 3);
        assert!(app.versions[0].tags.is_empty());
        // A push by digest to a new package creates it, private and untagged.
        let id = store.push_manifest("acme", "New", "sha256:bb", None, manifest(), t);
        let key = PackageKey::new("acme", PackageType::Container, "new");
        let created = store.active_package(key).unwrap();
        assert_eq!(
            (created.name.as_str(), created.visibility),
            ("new", Visibility::Private)
        );
        assert_eq!(created.versions[0].id, id);
        assert!(created.versions[0].tags.is_empty());
    }

    #[test]
    fn internal_is_private_where_permissions_follow_the_repository() {
        let mut store = store_with(&[&[]]);
        store.packages[0].package_type = PackageType::Maven;
        let found = store.list_packages("acme", PackageType::Maven, Some(Visibility::Internal));
        assert_eq!(found.len(), 1);
        store.packages[0].package_type = PackageType::Npm;
        let found = store.list_packages("acme", PackageType::Npm, Some(Visibility::Internal));
        assert!(found.is_empty());
    }
}
