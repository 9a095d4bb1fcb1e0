//! The packages the prune benchmark works on, known to both the server
//! (which serves them) and the checker (which judges the plans ghpkg made).
//!
//! Every package is built of blocks of ten versions from the newest: a
//! tagged multi-arch image index, its three untagged children (an amd64 and
//! an arm64 image and a build attestation, as `docker buildx` pushes them),
//! then six untagged orphans. The big package `app` has 10,000 versions; the
//! organization-wide scenario has 100 packages of 30.

use chrono::{DateTime, Utc};

/// The organization of the big package, and the one of the small packages
/// (so that listing all of its packages lists only those).
pub(crate) const ORG: &str = "o";
pub(crate) const SMALL_ORG: &str = "many";
/// The big package, and how many versions it has.
pub(crate) const BIG: &str = "app";
pub(crate) const BIG_VERSIONS: usize = 10_000;
/// The organization-wide scenario: this many packages of this many versions.
pub(crate) const SMALL_PACKAGES: usize = 100;
pub(crate) const SMALL_VERSIONS: usize = 30;
/// Versions per block: one index, its children, and orphans.
pub(crate) const BLOCK: usize = 10;
/// Children of each index: two platform images and an attestation.
pub(crate) const CHILDREN: usize = 3;
/// GitHub's largest page, which ghpkg asks for.
pub(crate) const PER_PAGE: usize = 100;
/// The policy's `--keep-last`: exactly the newest block.
pub(crate) const KEEP_LAST: usize = BLOCK;

/// What a version is to the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// A tagged OCI image index.
    Index,
    /// A single-platform image an index lists, by architecture.
    Platform(&'static str),
    /// The build attestation an index lists.
    Attestation,
    /// An untagged image nothing references.
    Orphan,
}

/// One version of a package. Version `rank` 0 is the newest.
#[derive(Debug, Clone)]
pub(crate) struct Version {
    pub(crate) rank: usize,
    pub(crate) id: i64,
    pub(crate) digest: String,
    pub(crate) role: Role,
    pub(crate) tags: Vec<String>,
    pub(crate) created_at: DateTime<Utc>,
}

impl Version {
    /// The index that lists this version, for children.
    pub(crate) fn parent_rank(&self) -> Option<usize> {
        matches!(self.role, Role::Platform(_) | Role::Attestation)
            .then(|| self.rank - self.rank % BLOCK)
    }
}

/// One container package of the organization.
#[derive(Debug, Clone)]
pub(crate) struct Package {
    pub(crate) org: &'static str,
    pub(crate) name: String,
    /// Newest first.
    pub(crate) versions: Vec<Version>,
}

impl Package {
    /// Pages of the versions listing.
    pub(crate) fn pages(&self) -> usize {
        self.versions.len().div_ceil(PER_PAGE)
    }

    /// Tagged image indexes.
    pub(crate) fn indexes(&self) -> usize {
        self.versions.len() / BLOCK
    }

    /// The versions an image index lists: the three that follow it.
    pub(crate) fn children(&self, index: &Version) -> &[Version] {
        assert_eq!(index.role, Role::Index, "only an index has children");
        &self.versions[index.rank + 1..=index.rank + CHILDREN]
    }
}

/// The big package: 10,000 versions, 1,000 of them indexes.
pub(crate) fn big() -> Package {
    package(ORG, BIG.to_owned(), 0, BIG_VERSIONS)
}

/// The organization-wide scenario's packages, in name order.
pub(crate) fn small() -> Vec<Package> {
    (0..SMALL_PACKAGES)
        .map(|n| package(SMALL_ORG, format!("svc-{n:03}"), n + 1, SMALL_VERSIONS))
        .collect()
}

/// Every package the server serves.
pub(crate) fn all() -> Vec<Package> {
    let mut all = vec![big()];
    all.extend(small());
    all
}

/// Package number `n` (ids and digests distinct across packages), with
/// `count` versions, one a minute, ids falling with age.
fn package(org: &'static str, name: String, n: usize, count: usize) -> Package {
    let newest = DateTime::from_timestamp(1_767_225_600, 0).expect("a valid timestamp");
    let indexes = count / BLOCK;
    let versions = (0..count)
        .map(|rank| {
            let role = match rank % BLOCK {
                0 => Role::Index,
                1 => Role::Platform("amd64"),
                2 => Role::Platform("arm64"),
                3 => Role::Attestation,
                _ => Role::Orphan,
            };
            let digest = digest(n * 1_000_000 + rank);
            let tags = match (role, rank / BLOCK) {
                (Role::Index, 0) => vec!["latest".into(), format!("v{indexes}")],
                (Role::Index, block) => {
                    vec![
                        format!("v{}", indexes - block),
                        format!("sha-{}", &digest[7..14]),
                    ]
                }
                _ => Vec::new(),
            };
            Version {
                rank,
                id: 70_000_000 - (n * 100_000 + rank) as i64,
                digest,
                role,
                tags,
                created_at: newest - chrono::Duration::minutes(rank as i64),
            }
        })
        .collect();
    Package {
        org,
        name,
        versions,
    }
}

/// A distinct, random-looking `sha256:` digest for `n` (multiplying by an
/// odd constant is a bijection, so no two numbers share one).
fn digest(n: usize) -> String {
    let x = (n as u128 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C835);
    format!(
        "sha256:{x:032x}{:032x}",
        x.rotate_left(64) ^ 0x5851_F42D_4C95_7F2D
    )
}
