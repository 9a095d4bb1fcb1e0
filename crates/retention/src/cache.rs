//! Manifests kept on disk across runs. A manifest is named by the digest of
//! its content and never changes, and the registry counts every read of it
//! as a download of the package: a plan of an unchanged package reads no
//! manifest it has read before.
//!
//! One JSON file per image (what each manifest lists and refers to, not its
//! bytes), `<dir>/<registry>/<image>/.manifests.json`: loaded once when a
//! package is planned and written once after, whole (a temporary file
//! renamed into place, merged with what another run may have written
//! meanwhile), so a package of 10,000 versions costs one file, not 10,000.
//! A file that cannot be read counts as empty; the images used least
//! recently go when the directory grows past its bound. The cache trusts
//! the registry it was filled from, and only that one: entries are kept per
//! registry and image.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use url::Url;

use crate::images::Manifest;
use crate::policy::is_digest;

/// The default bound on the cache's size.
pub const DEFAULT_MAX_BYTES: u64 = 64 * 1024 * 1024;

/// Manifests by registry, image and digest, on disk.
///
/// ```
/// use github_packages_retention::ManifestCache;
///
/// let dir = std::env::temp_dir().join("manifest-cache-doc");
/// let cache = ManifestCache::new(&dir).max_bytes(1 << 20);
/// assert_eq!(cache.dir(), dir.as_path());
/// ```
#[derive(Debug, Clone)]
pub struct ManifestCache {
    dir: PathBuf,
    max_bytes: u64,
}

impl ManifestCache {
    /// A cache in `dir` (created when first written), bounded to
    /// [`DEFAULT_MAX_BYTES`].
    pub fn new(dir: impl Into<PathBuf>) -> ManifestCache {
        ManifestCache {
            dir: dir.into(),
            max_bytes: DEFAULT_MAX_BYTES,
        }
    }

    /// Bounds the cache to about `max` bytes: past it, the files used least
    /// recently are removed.
    #[must_use]
    pub fn max_bytes(mut self, max: u64) -> Self {
        self.max_bytes = max;
        self
    }

    /// Where the cache is.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The user's cache directory for `app` (`$XDG_CACHE_HOME/app`, else
    /// `~/.cache/app`; `~/Library/Caches/app` on macOS;
    /// `%LOCALAPPDATA%\app` on Windows), if the environment names one.
    pub fn default_dir(app: &str) -> Option<PathBuf> {
        let var = |name: &str| {
            std::env::var_os(name)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        let base = if cfg!(windows) {
            var("LOCALAPPDATA")
        } else if cfg!(target_os = "macos") {
            var("HOME").map(|h| h.join("Library").join("Caches"))
        } else {
            var("XDG_CACHE_HOME").or_else(|| var("HOME").map(|h| h.join(".cache")))
        }?;
        Some(base.join(app).join("manifests"))
    }

    /// The file of `image` at `registry`, if the names make a safe path.
    fn path(&self, registry: &Url, image: &str) -> Option<PathBuf> {
        let clean = |s: &str| -> Option<String> {
            let out: String = s
                .chars()
                .map(|c| match c {
                    'a'..='z' | 'A'..='Z' | '0'..='9' | '.' | '-' | '_' => c,
                    _ => '_',
                })
                .collect();
            (!out.is_empty() && out != "." && out != "..").then_some(out)
        };
        let mut path = self
            .dir
            .join(clean(&registry.origin().ascii_serialization())?);
        for segment in image.split('/') {
            path.push(clean(segment)?);
        }
        // A leading dot: no image name segment starts with one.
        path.push(".manifests.json");
        Some(path)
    }

    /// What the cache holds for `image` at `registry`: empty if nothing
    /// readable.
    pub(crate) fn load(&self, registry: &Url, image: &str) -> Pack {
        let Some(path) = self.path(registry, image) else {
            return Pack::default();
        };
        let manifests = read_file(&path);
        if !manifests.is_empty() {
            // Used now: the last to go when the cache is trimmed.
            if let Ok(file) = std::fs::File::options().write(true).open(&path) {
                let _ = file.set_modified(SystemTime::now());
            }
        }
        Pack {
            manifests,
            added: 0,
        }
    }

    /// Writes what `pack` learned, merged with what the file holds now (a
    /// run planning the same image at the same time may have written
    /// since). A cache that cannot be written is only slower, never wrong,
    /// so failures are ignored.
    pub(crate) fn save(&self, registry: &Url, image: &str, pack: Pack) {
        if pack.added == 0 {
            return;
        }
        let Some(path) = self.path(registry, image) else {
            return;
        };
        let Some(dir) = path.parent() else {
            return;
        };
        let mut manifests = read_file(&path);
        manifests.extend(pack.manifests);
        let file = File {
            version: FILE_VERSION,
            manifests,
        };
        let Ok(bytes) = serde_json::to_vec(&file) else {
            return;
        };
        let temporary = dir.join(format!(".manifests.{}.tmp", std::process::id()));
        let written = std::fs::create_dir_all(dir)
            .and_then(|()| std::fs::write(&temporary, &bytes))
            .and_then(|()| std::fs::rename(&temporary, &path));
        if written.is_err() {
            let _ = std::fs::remove_file(&temporary);
        }
    }

    /// Removes the files used least recently until the cache is under its
    /// bound (to 90% of it, so that the next run does not trim again).
    pub(crate) fn trim(&self) {
        let mut files = Vec::new();
        collect(&self.dir, &mut files);
        let mut total: u64 = files.iter().map(|(_, len, _)| len).sum();
        if total <= self.max_bytes {
            return;
        }
        files.sort_by_key(|(_, _, used)| *used);
        let target = self.max_bytes / 10 * 9;
        for (path, len, _) in files {
            if total <= target {
                break;
            }
            if std::fs::remove_file(&path).is_ok() {
                total = total.saturating_sub(len);
            }
        }
    }
}

/// The version of the file format; a file of another version is read as
/// empty and replaced.
const FILE_VERSION: u32 = 1;

/// The file of one image.
#[derive(Serialize, Deserialize)]
struct File {
    version: u32,
    manifests: HashMap<String, Manifest>,
}

/// The manifests in the file at `path`, by digest; none if it is missing,
/// damaged or of another version.
fn read_file(path: &Path) -> HashMap<String, Manifest> {
    let Ok(bytes) = std::fs::read(path) else {
        return HashMap::new();
    };
    match serde_json::from_slice::<File>(&bytes) {
        Ok(file) if file.version == FILE_VERSION => file
            .manifests
            .into_iter()
            .filter(|(digest, _)| is_digest(digest))
            .collect(),
        _ => HashMap::new(),
    }
}

/// The manifests of one image while its package is planned: what the cache
/// held, and what the registry answered since.
#[derive(Debug, Default)]
pub(crate) struct Pack {
    manifests: HashMap<String, Manifest>,
    added: usize,
}

impl Pack {
    /// The manifest of `digest`, if known.
    pub(crate) fn get(&self, digest: &str) -> Option<Manifest> {
        self.manifests.get(digest).cloned()
    }

    /// Whether the manifest of `digest` is known.
    pub(crate) fn contains(&self, digest: &str) -> bool {
        self.manifests.contains_key(digest)
    }

    /// Keeps `manifest`, read from the registry, for `digest`.
    pub(crate) fn put(&mut self, digest: &str, manifest: &Manifest) {
        if is_digest(digest) {
            self.manifests.insert(digest.to_owned(), manifest.clone());
            self.added += 1;
        }
    }
}

/// Every file under `dir`, with its size and when it was last used.
fn collect(dir: &Path, out: &mut Vec<(PathBuf, u64, SystemTime)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let Ok(meta) = entry.metadata() else {
            continue;
        };
        if meta.is_dir() {
            collect(&entry.path(), out);
        } else if meta.is_file() {
            let used = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
            out.push((entry.path(), meta.len(), used));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::images::{Part, PartRole};

    fn digest(n: u8) -> String {
        format!("sha256:{}", format!("{n:02x}").repeat(32))
    }

    fn platform_of(n: u8) -> Manifest {
        Manifest {
            parts: vec![Part {
                digest: digest(n),
                role: PartRole::Platform,
                platform: Some("linux/amd64".into()),
            }],
            plain_parts: vec![digest(n)],
            subject: None,
            referrer: None,
        }
    }

    #[test]
    fn a_manifest_saved_is_loaded_back_per_registry_and_image() {
        let dir = tempfile::tempdir().unwrap();
        let cache = ManifestCache::new(dir.path());
        let ghcr = Url::parse("https://ghcr.io").unwrap();
        let other = Url::parse("https://evil.example").unwrap();
        let mut pack = cache.load(&ghcr, "acme/app");
        assert_eq!(pack.get(&digest(1)), None);
        pack.put(&digest(1), &platform_of(2));
        pack.put("sha256:../../x", &platform_of(2));
        cache.save(&ghcr, "acme/app", pack);
        let pack = cache.load(&ghcr, "acme/app");
        assert_eq!(pack.get(&digest(1)), Some(platform_of(2)));
        assert_eq!(pack.manifests.len(), 1, "only digests are kept");
        // Another registry or image does not see it.
        assert_eq!(cache.load(&other, "acme/app").get(&digest(1)), None);
        assert_eq!(cache.load(&ghcr, "acme/other").get(&digest(1)), None);
        // Names that could climb out of the directory are not cached.
        assert_eq!(cache.path(&ghcr, "../x"), None);
    }

    #[test]
    fn two_runs_saving_the_same_image_keep_what_both_learned() {
        let dir = tempfile::tempdir().unwrap();
        let cache = ManifestCache::new(dir.path());
        let ghcr = Url::parse("https://ghcr.io").unwrap();
        let mut first = cache.load(&ghcr, "acme/app");
        let mut second = cache.load(&ghcr, "acme/app");
        first.put(&digest(1), &platform_of(11));
        second.put(&digest(2), &platform_of(12));
        cache.save(&ghcr, "acme/app", first);
        cache.save(&ghcr, "acme/app", second);
        let pack = cache.load(&ghcr, "acme/app");
        assert_eq!(pack.get(&digest(1)), Some(platform_of(11)));
        assert_eq!(pack.get(&digest(2)), Some(platform_of(12)));
    }

    #[test]
    fn a_damaged_file_is_a_miss_and_the_bound_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let cache = ManifestCache::new(dir.path()).max_bytes(1_000);
        let ghcr = Url::parse("https://ghcr.io").unwrap();
        let path = cache.path(&ghcr, "acme/app").unwrap();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, b"{\"version\": 1, \"manifests\": {").unwrap();
        assert_eq!(cache.load(&ghcr, "acme/app").get(&digest(1)), None);
        let big = Manifest {
            parts: (0..5)
                .map(|n| Part {
                    digest: digest(n),
                    role: PartRole::Platform,
                    platform: None,
                })
                .collect(),
            plain_parts: Vec::new(),
            subject: None,
            referrer: None,
        };
        for n in 0..20 {
            let mut pack = cache.load(&ghcr, &format!("acme/app-{n}"));
            pack.put(&digest(n), &big);
            cache.save(&ghcr, &format!("acme/app-{n}"), pack);
        }
        cache.trim();
        let mut files = Vec::new();
        collect(dir.path(), &mut files);
        let total: u64 = files.iter().map(|(_, len, _)| len).sum();
        assert!(total <= 1_000, "{total} bytes left");
        assert!(!files.is_empty());
    }
}
