//! Builders for exact fixtures: a package with the versions, tags, dates,
//! multi-arch images, attestations and signatures a test needs.
//!
//! Mistakes (an empty name, a tag on an npm version, a digest that is not
//! one) are collected while chaining and reported by
//! [`create`](PackageBuilder::create) as a [`FakeError`]; nothing panics.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::generated::types::{PackageType, Visibility};

use super::error::FakeError;
use super::manifests::{self, Child};
use super::shared::{Inner, Shared};
use super::state::{AccountKind, Manifest, PackageKey, PackageRecord, VersionRecord};

/// Who owns a package: a user or an organization.
///
/// ```
/// use github_packages::fake::Owner;
///
/// assert_eq!(Owner::org("acme").login(), "acme");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Owner {
    /// A personal account, reached under `/users/{login}` (and `/user` with
    /// its own token).
    User(String),
    /// An organization, reached under `/orgs/{org}`.
    Org(String),
}

impl Owner {
    /// A personal account.
    pub fn user(login: impl Into<String>) -> Owner {
        Owner::User(login.into())
    }

    /// An organization.
    pub fn org(name: impl Into<String>) -> Owner {
        Owner::Org(name.into())
    }

    /// The login or organization name.
    pub fn login(&self) -> &str {
        match self {
            Owner::User(login) | Owner::Org(login) => login,
        }
    }

    pub(crate) fn kind(&self) -> AccountKind {
        match self {
            Owner::User(_) => AccountKind::User,
            Owner::Org(_) => AccountKind::Organization,
        }
    }
}

impl From<&Owner> for Owner {
    fn from(owner: &Owner) -> Owner {
        owner.clone()
    }
}

/// What a version created by a fixture is, for tests that need to find the
/// children of an index or the signature of an image.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Role {
    /// A version of a package that is not a container.
    Version,
    /// A single-platform container image.
    Image,
    /// An OCI image index or Docker manifest list; `children` are the ids of
    /// the versions it lists, platforms first, then attestations.
    Index {
        /// Ids of the listed versions.
        children: Vec<i64>,
    },
    /// A platform image listed by the index with id `index`.
    Platform {
        /// The index's version id.
        index: i64,
        /// `os/arch[/variant]`.
        platform: String,
    },
    /// A BuildKit attestation manifest listed by the index `index`.
    Attestation {
        /// The index's version id.
        index: i64,
        /// The platform of the image it attests.
        platform: String,
    },
    /// A cosign signature, tagged `sha256-<hex>.sig` after its subject.
    CosignSignature {
        /// The signed version's id.
        subject: i64,
    },
    /// A cosign attestation, tagged `sha256-<hex>.att`.
    CosignAttestation {
        /// The attested version's id.
        subject: i64,
    },
    /// A Sigstore bundle that refers to `subject` (untagged).
    Referrer {
        /// The version it refers to.
        subject: i64,
    },
    /// The referrers-tag index `sha256-<hex>` listing the referrers of
    /// `subject`.
    ReferrersIndex {
        /// The version whose referrers it lists.
        subject: i64,
    },
    /// A manifest given with [`VersionBuilder::manifest`].
    Custom,
}

/// One version a fixture created.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CreatedVersion {
    /// The version id GitHub would assign.
    pub id: i64,
    /// Its name (the digest, for containers).
    pub name: String,
    /// Its tags when created.
    pub tags: Vec<String>,
    /// What it is.
    pub role: Role,
}

/// What [`PackageBuilder::create`] made.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CreatedPackage {
    /// The package id.
    pub id: i64,
    /// The owner's login.
    pub owner: String,
    /// The package type.
    pub package_type: PackageType,
    /// The package name.
    pub name: String,
    /// The versions this call created, in creation order (ids ascending).
    pub versions: Vec<CreatedVersion>,
}

impl CreatedPackage {
    /// The version created with tag `tag`.
    pub fn tagged(&self, tag: &str) -> Option<&CreatedVersion> {
        self.versions
            .iter()
            .find(|v| v.tags.iter().any(|t| t == tag))
    }

    /// The version called `name` (a digest, for containers).
    pub fn named(&self, name: &str) -> Option<&CreatedVersion> {
        self.versions.iter().find(|v| v.name == name)
    }

    /// The ids of every version created, ascending.
    pub fn ids(&self) -> Vec<i64> {
        self.versions.iter().map(|v| v.id).collect()
    }

    /// The versions an index lists (`index` is the index's id).
    pub fn children_of(&self, index: i64) -> Vec<&CreatedVersion> {
        self.versions
            .iter()
            .filter(|v| {
                matches!(v.role, Role::Platform { index: i, .. } | Role::Attestation { index: i, .. } if i == index)
            })
            .collect()
    }
}

#[derive(Debug, Clone)]
enum Content {
    /// An image for containers, nothing for other types.
    Plain,
    Index {
        platforms: Vec<String>,
        attestations: bool,
        docker: bool,
    },
    Custom {
        media_type: String,
        body: Value,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Extra {
    CosignSignature,
    CosignAttestation,
    Referrer,
}

#[derive(Debug, Clone)]
struct VersionSpec {
    /// `None`: a generated digest.
    name: Option<String>,
    tags: Vec<String>,
    created_at: Option<DateTime<Utc>>,
    updated_at: Option<DateTime<Utc>>,
    deleted_at: Option<DateTime<Utc>>,
    downloads: u64,
    description: Option<String>,
    license: Option<String>,
    content: Content,
    extras: Vec<Extra>,
}

/// Sets up one package; see [`FakeGitHub::package`](super::FakeGitHub::package). Package settings come
/// first, then [`version`](Self::version) or [`image`](Self::image) starts
/// a version, and [`create`](Self::create) adds it all.
///
/// Naming an existing package adds versions to it (pushing a tag another
/// version has moves the tag, as a push does) and applies the settings
/// given.
#[derive(Debug)]
#[must_use = "nothing is created until `create()`"]
pub struct PackageBuilder<'a> {
    shared: &'a Shared,
    owner: Owner,
    package_type: PackageType,
    name: String,
    visibility: Option<Visibility>,
    created_at: Option<DateTime<Utc>>,
    downloads: Option<u64>,
    docker_conflict: Option<bool>,
    versions: Vec<VersionSpec>,
    error: Option<FakeError>,
}

/// Sets up one version of a package; see [`PackageBuilder::version`].
/// Methods that start another version or finish the package carry on from
/// here.
#[derive(Debug)]
#[must_use = "nothing is created until `create()`"]
pub struct VersionBuilder<'a> {
    package: PackageBuilder<'a>,
}

impl<'a> PackageBuilder<'a> {
    pub(crate) fn new(
        shared: &'a Shared,
        owner: Owner,
        package_type: PackageType,
        name: String,
    ) -> PackageBuilder<'a> {
        PackageBuilder {
            shared,
            owner,
            package_type,
            name,
            visibility: None,
            created_at: None,
            downloads: None,
            docker_conflict: None,
            versions: Vec::new(),
            error: None,
        }
    }

    fn fail(&mut self, error: FakeError) {
        self.error.get_or_insert(error);
    }

    /// The package's visibility (new packages are private).
    pub fn visibility(mut self, visibility: Visibility) -> Self {
        self.visibility = Some(visibility);
        self
    }

    /// When the package was created (default: now on the fake's clock).
    pub fn created_at(mut self, at: DateTime<Utc>) -> Self {
        self.created_at = Some(at);
        self
    }

    /// Downloads of the package as a whole; with its versions' downloads
    /// they decide whether a public package may be deleted (at most 5,000).
    pub fn downloads(mut self, count: u64) -> Self {
        self.downloads = Some(count);
        self
    }

    /// Lists the package among the Docker migration conflicts of its owner.
    pub fn docker_conflict(mut self, conflict: bool) -> Self {
        self.docker_conflict = Some(conflict);
        self
    }

    fn push(mut self, name: Option<String>) -> VersionBuilder<'a> {
        self.versions.push(VersionSpec {
            name,
            tags: Vec::new(),
            created_at: None,
            updated_at: None,
            deleted_at: None,
            downloads: 0,
            description: None,
            license: None,
            content: Content::Plain,
            extras: Vec::new(),
        });
        VersionBuilder { package: self }
    }

    /// Starts a version called `name`: `1.2.3` for npm and the like, the
    /// image digest (`sha256:<64 hex>`) for containers.
    pub fn version(mut self, name: impl Into<String>) -> VersionBuilder<'a> {
        let name = name.into();
        if let Err(e) = check_version_name(self.package_type, &name) {
            self.fail(e);
        }
        self.push(Some(name))
    }

    /// Starts a container version with a generated digest: a single
    /// platform image unless [`platforms`](VersionBuilder::platforms) makes
    /// it an index.
    pub fn image(mut self) -> VersionBuilder<'a> {
        if !is_container(self.package_type) {
            self.fail(FakeError::invalid(
                "image",
                format!(
                    "{} packages have no images; use `version(name)`",
                    self.package_type
                ),
            ));
        }
        self.push(None)
    }

    /// Creates the package (or extends it) with its versions.
    ///
    /// # Errors
    ///
    /// The first invalid input of the chain: owner, package name, version
    /// names, tags, platforms, dates, or an owner that exists as the other
    /// kind of account.
    pub fn create(self) -> Result<CreatedPackage, FakeError> {
        if let Some(error) = self.error {
            return Err(error);
        }
        check_login(self.owner.login())?;
        check_package_name(self.package_type, &self.name)?;
        for spec in &self.versions {
            check_dates(spec)?;
        }
        let now = self.shared.clock.now();
        let mut inner = self.shared.lock();
        create(&mut inner, now, self)
    }
}

impl<'a> VersionBuilder<'a> {
    fn spec(&mut self) -> &mut VersionSpec {
        // A VersionBuilder is only made right after pushing a spec.
        let last = self.package.versions.len() - 1;
        &mut self.package.versions[last]
    }

    fn container_only(&mut self, what: &str) -> bool {
        let ok = is_container(self.package.package_type);
        if !ok {
            let problem = format!(
                "only container versions have {what}; this is {}",
                self.package.package_type
            );
            self.package.fail(FakeError::invalid(what, problem));
        }
        ok
    }

    /// Tags of a container version (`latest`, `v1.2`, `pr-7`).
    pub fn tags<I, S>(mut self, tags: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let tags: Vec<String> = tags.into_iter().map(Into::into).collect();
        if !self.container_only("tags") {
            return self;
        }
        for tag in &tags {
            if let Err(e) = check_tag(tag) {
                self.package.fail(e);
            }
        }
        self.spec().tags.extend(tags);
        self
    }

    /// When the version was created (default: now on the fake's clock).
    pub fn created_at(mut self, at: DateTime<Utc>) -> Self {
        self.spec().created_at = Some(at);
        self
    }

    /// When it was last updated (default: when it was created).
    pub fn updated_at(mut self, at: DateTime<Utc>) -> Self {
        self.spec().updated_at = Some(at);
        self
    }

    /// Creates the version already deleted at `at`: it lists under
    /// `state=deleted` and can be restored for 30 days from then.
    pub fn deleted_at(mut self, at: DateTime<Utc>) -> Self {
        self.spec().deleted_at = Some(at);
        self
    }

    /// How often it was downloaded; a public version with more than 5,000
    /// cannot be deleted.
    pub fn downloads(mut self, count: u64) -> Self {
        self.spec().downloads = count;
        self
    }

    /// Its description.
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.spec().description = Some(text.into());
        self
    }

    /// Its license.
    pub fn license(mut self, license: impl Into<String>) -> Self {
        self.spec().license = Some(license.into());
        self
    }

    /// Makes the container version a multi-arch image: an OCI image index
    /// over one untagged image version per platform (`linux/amd64`,
    /// `linux/arm/v7`), created just before it.
    pub fn platforms<I, S>(mut self, platforms: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let platforms: Vec<String> = platforms.into_iter().map(Into::into).collect();
        if !self.container_only("platforms") {
            return self;
        }
        if platforms.is_empty() {
            self.package.fail(FakeError::invalid(
                "platforms",
                "an index needs at least one platform",
            ));
        }
        for platform in &platforms {
            if let Err(e) = check_platform(platform) {
                self.package.fail(e);
            }
        }
        let spec = self.spec();
        match &mut spec.content {
            Content::Index { platforms: p, .. } => p.extend(platforms),
            _ => {
                spec.content = Content::Index {
                    platforms,
                    attestations: false,
                    docker: false,
                }
            }
        }
        self
    }

    /// Adds a BuildKit attestation manifest per platform to the index (an
    /// untagged version each, listed with platform `unknown/unknown`).
    pub fn attestations(mut self) -> Self {
        match &mut self.spec().content {
            Content::Index { attestations, .. } => *attestations = true,
            _ => self.package.fail(FakeError::invalid(
                "attestations",
                "call `platforms(..)` first: attestations belong to an image index",
            )),
        }
        self
    }

    /// Makes the index a Docker manifest list (schema 2) instead of an OCI
    /// image index.
    pub fn docker_manifest_list(mut self) -> Self {
        match &mut self.spec().content {
            Content::Index { docker, .. } => *docker = true,
            _ => self.package.fail(FakeError::invalid(
                "docker_manifest_list",
                "call `platforms(..)` first: a manifest list is an index",
            )),
        }
        self
    }

    /// Adds a cosign signature: a version tagged `sha256-<hex>.sig` after
    /// this version's digest.
    pub fn cosign_signature(mut self) -> Self {
        if self.container_only("signatures") {
            self.spec().extras.push(Extra::CosignSignature);
        }
        self
    }

    /// Adds a cosign attestation: a version tagged `sha256-<hex>.att`.
    pub fn cosign_attestation(mut self) -> Self {
        if self.container_only("attestations") {
            self.spec().extras.push(Extra::CosignAttestation);
        }
        self
    }

    /// Adds a Sigstore bundle that refers to this version (as
    /// `actions/attest-build-provenance` pushes), untagged, and the
    /// referrers-tag index `sha256-<hex>` that lists it.
    pub fn referrer(mut self) -> Self {
        if self.container_only("referrers") {
            self.spec().extras.push(Extra::Referrer);
        }
        self
    }

    /// Serves `body` with `media_type` as this container version's manifest.
    pub fn manifest(mut self, media_type: impl Into<String>, body: Value) -> Self {
        let media_type = media_type.into();
        if !self.container_only("manifests") {
            return self;
        }
        if media_type.trim().is_empty() || !body.is_object() {
            self.package.fail(FakeError::invalid(
                "manifest",
                "needs a media type and a JSON object",
            ));
        }
        self.spec().content = Content::Custom { media_type, body };
        self
    }

    /// Starts the next version; see [`PackageBuilder::version`].
    pub fn version(self, name: impl Into<String>) -> VersionBuilder<'a> {
        self.package.version(name)
    }

    /// Starts the next container version with a generated digest; see
    /// [`PackageBuilder::image`].
    pub fn image(self) -> VersionBuilder<'a> {
        self.package.image()
    }

    /// Back to the package, to add versions in a loop.
    pub fn package(self) -> PackageBuilder<'a> {
        self.package
    }

    /// Creates the package with its versions; see [`PackageBuilder::create`].
    ///
    /// # Errors
    ///
    /// As [`PackageBuilder::create`].
    pub fn create(self) -> Result<CreatedPackage, FakeError> {
        self.package.create()
    }
}

fn is_container(package_type: PackageType) -> bool {
    matches!(package_type, PackageType::Container | PackageType::Docker)
}

/// A GitHub login: 1 to 39 letters, digits and single inner hyphens.
pub(crate) fn check_login(login: &str) -> Result<(), FakeError> {
    let ok = !login.is_empty()
        && login.len() <= 39
        && login
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !login.starts_with('-')
        && !login.ends_with('-')
        && !login.contains("--");
    if ok {
        Ok(())
    } else {
        Err(FakeError::invalid(
            "owner",
            format!(
                "`{login}` is not a GitHub login (1-39 letters, digits and single hyphens inside)"
            ),
        ))
    }
}

pub(crate) fn check_package_name(package_type: PackageType, name: &str) -> Result<(), FakeError> {
    let problem = if name.is_empty() {
        Some("is empty".to_owned())
    } else if name.len() > 255 {
        Some("is longer than 255 characters".to_owned())
    } else if name.chars().any(|c| c.is_control() || c.is_whitespace()) {
        Some("contains whitespace or control characters".to_owned())
    } else if name
        .split('/')
        .any(|s| s.is_empty() || s == "." || s == "..")
    {
        Some("has an empty, `.` or `..` path segment".to_owned())
    } else if package_type == PackageType::Container
        && !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-/".contains(&b))
    {
        Some(
            "is not a container name (lowercase letters, digits, `.`, `_`, `-` and `/`)".to_owned(),
        )
    } else {
        None
    };
    match problem {
        Some(problem) => Err(FakeError::invalid(
            "package name",
            format!("`{name}` {problem}"),
        )),
        None => Ok(()),
    }
}

fn is_digest(name: &str) -> bool {
    name.strip_prefix("sha256:").is_some_and(|hex| {
        hex.len() == 64
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

fn check_version_name(package_type: PackageType, name: &str) -> Result<(), FakeError> {
    if package_type == PackageType::Container && !is_digest(name) {
        return Err(FakeError::invalid(
            "version name",
            format!(
                "`{name}`: container versions are named by digest, `sha256:` and 64 lowercase hex digits (or use `image()`)"
            ),
        ));
    }
    if name.trim().is_empty() || name.chars().any(char::is_control) {
        return Err(FakeError::invalid(
            "version name",
            format!("`{name}` is empty or has control characters"),
        ));
    }
    Ok(())
}

/// An OCI tag: `[A-Za-z0-9_][A-Za-z0-9._-]{0,127}`.
pub(crate) fn check_tag(tag: &str) -> Result<(), FakeError> {
    let mut bytes = tag.bytes();
    let ok = tag.len() <= 128
        && bytes
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(FakeError::invalid(
            "tag",
            format!(
                "`{tag}` is not an OCI tag (a letter, digit or `_`, then up to 127 of those, `.` or `-`)"
            ),
        ))
    }
}

/// `os/arch` or `os/arch/variant`, lowercase letters, digits and `_`.
fn check_platform(platform: &str) -> Result<(), FakeError> {
    let parts: Vec<&str> = platform.split('/').collect();
    let ok = (2..=3).contains(&parts.len())
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        });
    if ok {
        Ok(())
    } else {
        Err(FakeError::invalid(
            "platform",
            format!("`{platform}` is not `os/arch` or `os/arch/variant` (like `linux/arm64`)"),
        ))
    }
}

fn check_dates(spec: &VersionSpec) -> Result<(), FakeError> {
    if let (Some(created), Some(deleted)) = (spec.created_at, spec.deleted_at)
        && deleted < created
    {
        return Err(FakeError::invalid(
            "deleted_at",
            format!("{deleted} is before the version was created ({created})"),
        ));
    }
    if let (Some(created), Some(updated)) = (spec.created_at, spec.updated_at)
        && updated < created
    {
        return Err(FakeError::invalid(
            "updated_at",
            format!("{updated} is before the version was created ({created})"),
        ));
    }
    Ok(())
}

fn child_of(
    digest: &str,
    manifest: &Manifest,
    platform: Option<String>,
    attests: Option<String>,
) -> Child {
    Child {
        digest: digest.to_owned(),
        manifest_media_type: manifest.media_type.clone(),
        size: manifest.body.len(),
        platform,
        attests,
    }
}

/// `sha256:abc` becomes `sha256-abc`, the prefix of cosign's and the
/// referrers schema's tags.
fn tag_prefix(digest: &str) -> String {
    digest.replacen(':', "-", 1)
}

/// Collects the versions one fixture call makes, with their ids.
struct Maker<'s> {
    inner: &'s mut Inner,
    package_type: PackageType,
    made: Vec<(VersionRecord, Role)>,
}

impl Maker<'_> {
    #[allow(clippy::too_many_arguments)]
    fn add(
        &mut self,
        name: String,
        tags: Vec<String>,
        spec: &VersionSpec,
        at: DateTime<Utc>,
        manifest: Option<Manifest>,
        role: Role,
    ) -> i64 {
        let id = self.inner.store.new_version_id();
        self.made.push((
            VersionRecord {
                id,
                name,
                tags,
                created_at: at,
                updated_at: spec.updated_at.unwrap_or(at),
                deleted_at: spec.deleted_at,
                downloads: 0,
                description: None,
                license: None,
                manifest,
            },
            role,
        ));
        id
    }

    fn version(&mut self, spec: &VersionSpec, now: DateTime<Utc>) -> Result<(), FakeError> {
        let at = spec.created_at.unwrap_or(now);
        let container = is_container(self.package_type);
        let name = match &spec.name {
            Some(name) => name.clone(),
            None => self.inner.rng.digest(),
        };
        let (manifest, role) = match (&spec.content, container) {
            (_, false) => (None, Role::Version),
            (Content::Plain, true) => (
                Some(manifests::image(&mut self.inner.rng, false)),
                Role::Image,
            ),
            (Content::Custom { media_type, body }, true) => {
                let body = serde_json::to_vec_pretty(body).unwrap_or_default();
                (
                    Some(Manifest {
                        media_type: media_type.clone(),
                        body,
                    }),
                    Role::Custom,
                )
            }
            (
                Content::Index {
                    platforms,
                    attestations,
                    docker,
                },
                true,
            ) => {
                let mut children = Vec::new();
                let mut child_ids = Vec::new();
                let mut planned = Vec::new();
                for platform in platforms {
                    let digest = self.inner.rng.digest();
                    let manifest = manifests::image(&mut self.inner.rng, *docker);
                    children.push(child_of(&digest, &manifest, Some(platform.clone()), None));
                    planned.push((digest, manifest, platform.clone(), false));
                }
                if *attestations {
                    for platform in platforms {
                        let digest = self.inner.rng.digest();
                        let manifest = manifests::attestation(&mut self.inner.rng);
                        let subject = children
                            .iter()
                            .find(|c| c.platform.as_deref() == Some(platform.as_str()))
                            .map(|c| c.digest.clone());
                        children.push(child_of(&digest, &manifest, None, subject));
                        planned.push((digest, manifest, platform.clone(), true));
                    }
                }
                // The index's id is only known once its children have theirs;
                // the roles are fixed below.
                for (digest, manifest, platform, attestation) in planned {
                    let role = if attestation {
                        Role::Attestation { index: 0, platform }
                    } else {
                        Role::Platform { index: 0, platform }
                    };
                    let child = VersionSpec {
                        tags: Vec::new(),
                        ..spec.clone()
                    };
                    child_ids.push(self.add(digest, Vec::new(), &child, at, Some(manifest), role));
                }
                (
                    Some(manifests::index(&children, *docker)),
                    Role::Index {
                        children: child_ids,
                    },
                )
            }
        };
        let subject_child = manifest.as_ref().map(|m| child_of(&name, m, None, None));
        let id = self.add(
            name.clone(),
            spec.tags.clone(),
            spec,
            at,
            manifest,
            role.clone(),
        );
        if let Some((record, _)) = self.made.last_mut() {
            record.downloads = spec.downloads;
            record.description = spec.description.clone();
            record.license = spec.license.clone();
        }
        if let Role::Index { children } = &role {
            for (record, child_role) in &mut self.made {
                if children.contains(&record.id) {
                    match child_role {
                        Role::Platform { index, .. } | Role::Attestation { index, .. } => {
                            *index = id
                        }
                        _ => {}
                    }
                }
            }
        }
        let plain = VersionSpec {
            tags: Vec::new(),
            ..spec.clone()
        };
        for extra in &spec.extras {
            let Some(subject) = &subject_child else {
                continue;
            };
            let digest = self.inner.rng.digest();
            match extra {
                Extra::CosignSignature | Extra::CosignAttestation => {
                    let attestation = *extra == Extra::CosignAttestation;
                    let manifest = manifests::cosign(&mut self.inner.rng, attestation);
                    let suffix = if attestation { "att" } else { "sig" };
                    let tag = format!("{}.{suffix}", tag_prefix(&name));
                    let role = if attestation {
                        Role::CosignAttestation { subject: id }
                    } else {
                        Role::CosignSignature { subject: id }
                    };
                    self.add(digest, vec![tag], &plain, at, Some(manifest), role);
                }
                Extra::Referrer => {
                    let manifest = manifests::referrer(&mut self.inner.rng, subject);
                    let referrer = child_of(&digest, &manifest, None, None);
                    self.add(
                        digest,
                        Vec::new(),
                        &plain,
                        at,
                        Some(manifest),
                        Role::Referrer { subject: id },
                    );
                    let index_digest = self.inner.rng.digest();
                    let index = manifests::referrers_index(&[referrer]);
                    self.add(
                        index_digest,
                        vec![tag_prefix(&name)],
                        &plain,
                        at,
                        Some(index),
                        Role::ReferrersIndex { subject: id },
                    );
                }
            }
        }
        Ok(())
    }
}

fn create(
    inner: &mut Inner,
    now: DateTime<Utc>,
    builder: PackageBuilder<'_>,
) -> Result<CreatedPackage, FakeError> {
    // Every check comes before the first change, so a refused fixture
    // leaves the fake as it was.
    let lookup = PackageKey::new(builder.owner.login(), builder.package_type, &builder.name);
    let mut seen: Vec<String> = inner
        .store
        .active_package(lookup)
        .map(|p| p.versions.iter().map(|v| v.name.clone()).collect())
        .unwrap_or_default();
    for spec in &builder.versions {
        if let Some(name) = &spec.name {
            if seen.iter().any(|n| n.eq_ignore_ascii_case(name)) {
                return Err(FakeError::invalid(
                    "version name",
                    format!("`{name}` is already a version of {}", builder.name),
                ));
            }
            seen.push(name.clone());
        }
    }
    let owner_login = inner
        .store
        .ensure_account(builder.owner.login(), builder.owner.kind(), now)
        .map_err(|problem| FakeError::invalid("owner", problem))?
        .login
        .clone();
    let key = PackageKey::new(&owner_login, builder.package_type, &builder.name);

    let mut maker = Maker {
        inner,
        package_type: builder.package_type,
        made: Vec::new(),
    };
    for spec in &builder.versions {
        maker.version(spec, now)?;
    }
    let made = maker.made;

    if inner.store.active_package(key).is_none() {
        let id = inner.store.new_package_id();
        let created_at = builder
            .created_at
            .or_else(|| made.iter().map(|(v, _)| v.created_at).min())
            .unwrap_or(now);
        inner.store.packages.push(PackageRecord {
            id,
            owner: owner_login.clone(),
            package_type: builder.package_type,
            name: builder.name.clone(),
            visibility: Visibility::Private,
            created_at,
            updated_at: created_at,
            deleted_at: None,
            restore_token: None,
            downloads: 0,
            docker_conflict: false,
            versions: Vec::new(),
        });
    }
    if let Some(oldest) = made
        .iter()
        .map(|(v, _)| v.created_at)
        .chain(builder.created_at)
        .min()
    {
        inner.store.account_owns_since(&owner_login, oldest);
    }
    let Some(package) = inner.store.active_package_mut(key) else {
        return Err(FakeError::invalid(
            "package",
            "vanished while being created",
        ));
    };
    if let Some(visibility) = builder.visibility {
        package.visibility = visibility;
    }
    if let Some(at) = builder.created_at {
        package.created_at = at;
    }
    if let Some(downloads) = builder.downloads {
        package.downloads = downloads;
    }
    if let Some(conflict) = builder.docker_conflict {
        package.docker_conflict = conflict;
    }
    let mut created = Vec::new();
    for (record, role) in made {
        // Pushing a tag moves it to the new manifest.
        if record.is_active() {
            for version in package.versions.iter_mut().filter(|v| v.is_active()) {
                version.tags.retain(|t| !record.tags.contains(t));
            }
        }
        if let Some(latest) = Some(record.updated_at).filter(|t| *t > package.updated_at) {
            package.updated_at = latest;
        }
        created.push(CreatedVersion {
            id: record.id,
            name: record.name.clone(),
            tags: record.tags.clone(),
            role,
        });
        package.versions.push(record);
    }
    Ok(CreatedPackage {
        id: package.id,
        owner: package.owner.clone(),
        package_type: package.package_type,
        name: package.name.clone(),
        versions: created,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_tags_and_platforms_are_checked() {
        assert!(check_login("octo-cat").is_ok());
        for bad in ["", "-a", "a-", "a--b", "a b", &"x".repeat(40)] {
            assert!(check_login(bad).is_err(), "{bad}");
        }
        assert!(check_package_name(PackageType::Container, "team/app").is_ok());
        assert!(check_package_name(PackageType::Container, "App").is_err());
        assert!(check_package_name(PackageType::Maven, "com.Acme.Core").is_ok());
        for bad in ["", "a//b", "/a", "a/", "a b", "../x"] {
            assert!(check_package_name(PackageType::Npm, bad).is_err(), "{bad}");
        }
        let digest = format!("sha256:{}", "a".repeat(64));
        assert!(check_version_name(PackageType::Container, &digest).is_ok());
        assert!(check_version_name(PackageType::Container, "v1").is_err());
        assert!(check_version_name(PackageType::Container, &digest.to_uppercase()).is_err());
        assert!(check_version_name(PackageType::Npm, "1.0.0").is_ok());
        assert!(check_version_name(PackageType::Npm, " ").is_err());
        for good in ["latest", "v1.2.3", "_x", "sha256-abc.sig"] {
            assert!(check_tag(good).is_ok(), "{good}");
        }
        for bad in ["", ".x", "-x", "a b", "a:b", &"t".repeat(129)] {
            assert!(check_tag(bad).is_err(), "{bad}");
        }
        assert!(check_platform("linux/arm/v7").is_ok());
        for bad in ["linux", "linux/", "Linux/amd64", "a/b/c/d"] {
            assert!(check_platform(bad).is_err(), "{bad}");
        }
        assert_eq!(tag_prefix("sha256:ab"), "sha256-ab");
    }
}
