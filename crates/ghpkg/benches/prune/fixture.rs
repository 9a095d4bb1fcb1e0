//! The package the prune benchmark works on, known to both the server (which
//! serves it) and the checker (which judges the plan ghpkg made of it).
//!
//! 10,000 active versions of one container image, in blocks of ten from the
//! newest: a tagged multi-arch image index, its three untagged children (an
//! amd64 and an arm64 image and a build attestation, as `docker buildx`
//! pushes them), then six untagged orphans.

use chrono::{DateTime, Utc};

/// The organization and package served.
pub(crate) const ORG: &str = "o";
pub(crate) const PACKAGE: &str = "app";
/// Active versions of the package.
pub(crate) const VERSIONS: usize = 10_000;
/// Tagged image indexes among them.
pub(crate) const INDEXES: usize = 1_000;
/// Versions per block: one index, its children, and orphans.
const BLOCK: usize = VERSIONS / INDEXES;
/// Children of each index: two platform images and an attestation.
pub(crate) const CHILDREN: usize = 3;
/// GitHub's largest page, which ghpkg asks for.
pub(crate) const PER_PAGE: usize = 100;
pub(crate) const PAGES: usize = VERSIONS.div_ceil(PER_PAGE);
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

/// One version of the package. Version `rank` 0 is the newest.
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

/// Every version, newest first: one a minute, ids falling with age.
pub(crate) fn versions() -> Vec<Version> {
    let newest = DateTime::from_timestamp(1_767_225_600, 0).expect("a valid timestamp");
    (0..VERSIONS)
        .map(|rank| {
            let role = match rank % BLOCK {
                0 => Role::Index,
                1 => Role::Platform("amd64"),
                2 => Role::Platform("arm64"),
                3 => Role::Attestation,
                _ => Role::Orphan,
            };
            let digest = digest(rank);
            let tags = match (role, rank / BLOCK) {
                (Role::Index, 0) => vec!["latest".into(), format!("v{INDEXES}")],
                (Role::Index, block) => {
                    vec![
                        format!("v{}", INDEXES - block),
                        format!("sha-{}", &digest[7..14]),
                    ]
                }
                _ => Vec::new(),
            };
            Version {
                rank,
                id: 70_000_000 - rank as i64,
                digest,
                role,
                tags,
                created_at: newest - chrono::Duration::minutes(rank as i64),
            }
        })
        .collect()
}

/// The versions an image index lists: the three that follow it.
pub(crate) fn children<'a>(versions: &'a [Version], index: &Version) -> &'a [Version] {
    assert_eq!(index.role, Role::Index, "only an index has children");
    &versions[index.rank + 1..=index.rank + CHILDREN]
}

/// A distinct, random-looking `sha256:` digest for `rank` (multiplying by an
/// odd constant is a bijection, so no two ranks share one).
fn digest(rank: usize) -> String {
    let x = (rank as u128 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C835);
    format!(
        "sha256:{x:032x}{:032x}",
        x.rotate_left(64) ^ 0x5851_F42D_4C95_7F2D
    )
}
