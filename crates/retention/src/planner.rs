//! Planning one package: list its active versions, decide, and for a
//! container package read the registry until the plan stops changing, so
//! that no part of a kept multi-arch image is deleted. Nothing here deletes.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures::{StreamExt, TryStreamExt};
use github_packages::{Client, PackageType, PackageVersion, Scope, VersionState};
use serde::{Deserialize, Serialize};

use tokio::sync::Semaphore;

use crate::cache::{ManifestCache, Pack};
use crate::decide::{decide, tags_of};
use crate::error::{Error, Result};
use crate::images::{Images, Manifest};
use crate::manifest::Listed;
use crate::observe::{Observer, Phase, Quiet};
use crate::plan::{Action, Plan, Warning};
use crate::policy::Policy;
use crate::registry::{ManifestError, Reader, Registry};
use crate::target::Target;

/// How many manifests are read at once by default, over every package
/// planned at once.
pub const DEFAULT_MANIFEST_READS: usize = 32;
/// How many packages [`Planner::plan_all`] plans at once by default.
pub const DEFAULT_PACKAGES_AT_ONCE: usize = 8;
/// How many pages of a package's versions are listed at once.
const LISTING_PAGES_AT_ONCE: usize = 8;

/// Plans packages with one client, one registry and one clock.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::Duration;
/// use github_packages::{Client, PackageType, Scope};
/// use github_packages_retention::{Planner, Policy, Quiet, Registry, Target};
///
/// let token = std::env::var("GITHUB_TOKEN")?;
/// let gh = Client::builder().token(token.clone()).build()?;
/// let planner = Planner::new(&gh).registry(Registry::new("https://ghcr.io")?.token(token));
/// let policy = Policy::default().untagged().older_than(Duration::from_secs(30 * 86_400));
/// let app = Target::new(Scope::org("acme"), PackageType::Container, "app");
/// let planned = planner.plan(&app, &policy, &Quiet).await?;
/// println!("{} of {} versions to delete", planned.plan.delete_count(), planned.plan.entries.len());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Planner {
    client: Client,
    registry: Option<Registry>,
    check_registry: bool,
    manifest_reads: usize,
    /// Registry reads in flight, over every package planned at once.
    reads: Arc<Semaphore>,
    cache: Option<ManifestCache>,
    now: Option<DateTime<Utc>>,
}

/// One package's plan and what planning it found.
#[derive(Debug, Clone)]
pub struct PackagePlan {
    /// The package.
    pub target: Target,
    /// The owner's login, when known (for the authenticated user, learned
    /// from GitHub when the registry was read).
    pub login: Option<String>,
    /// When its versions were listed: the plan is as of then.
    pub listed_at: DateTime<Utc>,
    /// The decision for every version, and what deciding noticed.
    pub plan: Plan,
    /// Worth a look besides the plan's own warnings; change nothing.
    pub warnings: Vec<Warning>,
    /// Fail the run, but do not stop this package's deletes.
    pub problems: Vec<Problem>,
    /// Every tag of every version listed (exclusions are judged against
    /// the tags of a whole run).
    pub tags: BTreeSet<String>,
    /// Manifests read from the registry.
    pub manifest_reads: usize,
    /// Manifests found in the cache instead.
    pub cache_hits: usize,
}

/// Something that makes a plan not what the policy asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Problem {
    /// The registry could not be read, so `held` versions planned for
    /// deletion are kept: any of them may be part of a kept multi-arch
    /// image.
    RegistryUnreadable {
        /// What went wrong.
        cause: String,
        /// How many deletes were held.
        held: usize,
    },
}

impl PackagePlan {
    /// The plan's warnings and planning's own, in that order.
    pub fn all_warnings(&self) -> impl Iterator<Item = &Warning> {
        self.plan.warnings.iter().chain(&self.warnings)
    }
}

impl Planner {
    /// A planner on `client`, with the registry that goes with its API if
    /// one is known ([`Registry::for_api`], without a token: name one with
    /// [`Planner::registry`] for private images).
    pub fn new(client: &Client) -> Planner {
        Planner {
            client: client.clone(),
            registry: Registry::for_api(client.base_url()),
            check_registry: true,
            manifest_reads: DEFAULT_MANIFEST_READS,
            reads: Arc::new(Semaphore::new(DEFAULT_MANIFEST_READS)),
            cache: None,
            now: None,
        }
    }

    /// Keeps manifests in `cache` across runs: a manifest found there is not
    /// read from the registry again.
    #[must_use]
    pub fn manifest_cache(mut self, cache: ManifestCache) -> Self {
        self.cache = Some(cache);
        self
    }

    /// Reads image manifests from `registry`.
    #[must_use]
    pub fn registry(mut self, registry: Registry) -> Self {
        self.registry = Some(registry);
        self
    }

    /// Never reads the registry: the parts of multi-arch images are then
    /// NOT protected, and untagged ones may be deleted. Plans say so in a
    /// [`Warning::RegistryNotChecked`].
    #[must_use]
    pub fn without_registry_check(mut self) -> Self {
        self.check_registry = false;
        self
    }

    /// Reads up to `n` manifests at once, over every package planned at
    /// once (at least 1; default 32).
    #[must_use]
    pub fn manifest_reads(mut self, n: usize) -> Self {
        self.manifest_reads = n.max(1);
        self.reads = Arc::new(Semaphore::new(self.manifest_reads));
        self
    }

    /// Plans as of `now` (ages count from it) instead of the system clock.
    #[must_use]
    pub fn now(mut self, now: DateTime<Utc>) -> Self {
        self.now = Some(now);
        self
    }

    /// Plans `targets`, up to `at_once` at a time (each package's listing
    /// and registry reads overlap the others', within the client's shared
    /// rate budget and this planner's registry reads), in the order given.
    /// `observer` sees one [`Phase::Planning`] step per package.
    pub async fn plan_all(
        &self,
        targets: &[Target],
        policy: &Policy,
        observer: &dyn Observer,
        at_once: usize,
    ) -> Vec<Result<PackagePlan>> {
        if let [one] = targets {
            return vec![self.plan(one, policy, observer).await];
        }
        observer.started(Phase::Planning, Some(targets.len()));
        let plans = futures::stream::iter(targets)
            .map(|target| async move {
                let planned = self.plan(target, policy, &Quiet).await;
                observer.advanced(Phase::Planning, 1);
                planned
            })
            .buffered(at_once.max(1))
            .collect()
            .await;
        observer.finished(Phase::Planning);
        plans
    }

    /// Lists and plans one package.
    ///
    /// # Errors
    ///
    /// [`Error::Api`] when the listing fails (the package cannot be
    /// planned), [`Error::RegistryNeeded`] when the registry must be read
    /// and none is known. A registry that cannot be read is not an error:
    /// the plan holds every delete and says why in its problems.
    pub async fn plan(
        &self,
        target: &Target,
        policy: &Policy,
        observer: &dyn Observer,
    ) -> Result<PackagePlan> {
        let now = self.now.unwrap_or_else(Utc::now);
        let listed_at = Utc::now();
        let mut early = self.early(target);
        let (listing, mut prefetched) = self.list_active(target, observer, early.as_ref()).await;
        let mut versions = listing?;
        let mut planned = PackagePlan {
            target: target.clone(),
            login: target.scope.owner().map(str::to_owned),
            listed_at,
            plan: decide(&versions, policy, now, &Images::default()),
            warnings: Vec::new(),
            problems: Vec::new(),
            tags: versions.iter().flat_map(tags_of).collect(),
            manifest_reads: 0,
            cache_hits: 0,
        };
        let needs_registry = target.package_type == PackageType::Container
            && !versions.is_empty()
            && planned.plan.may_depend_on_images(policy);
        if !needs_registry {
            // Read while listing, before the plan said none was needed:
            // counted, and kept for the next run.
            planned.manifest_reads = prefetched.len();
            if let (Some(cache), Some(early)) = (&self.cache, early.take()) {
                let mut pack = early.pack;
                for (digest, listed) in prefetched {
                    if let Ok(listed) = listed {
                        pack.put(&digest, &manifest_of(listed));
                    }
                }
                cache.save(early.registry.url(), &early.image, pack);
            }
            return Ok(planned);
        }
        if !self.check_registry {
            // Worth saying only where an image could lose a part.
            let keeps = planned
                .plan
                .entries
                .iter()
                .any(|e| e.action == Action::Keep);
            if keeps && planned.plan.delete_count() > 0 {
                planned.warnings.push(Warning::RegistryNotChecked);
            }
            return Ok(planned);
        }
        let registry = self
            .registry
            .as_ref()
            .ok_or_else(|| Error::RegistryNeeded {
                api_url: self
                    .client
                    .base_url()
                    .as_str()
                    .trim_end_matches('/')
                    .to_owned(),
            })?;
        let mut images = Images::default();
        let read = async {
            let Early {
                image,
                reader,
                pack,
                ..
            } = match early.take() {
                Some(early) => early,
                None => {
                    let owner = self.owner_login(target).await?;
                    planned.login = Some(owner.clone());
                    self.early_for(registry, &owner, target)?
                }
            };
            let mut check = Check {
                planner: self,
                target,
                policy,
                now,
                reader: &reader,
                observer,
                reads: 0,
                cache_hits: 0,
                pack,
                prefetched: std::mem::take(&mut prefetched),
                vanished: Vec::new(),
            };
            let outcome = check
                .run(&mut versions, &mut planned.plan, &mut images)
                .await;
            // Reads made while listing that the check never needed count too.
            planned.manifest_reads = check.reads + check.prefetched.len();
            planned.cache_hits = check.cache_hits;
            if let Some(cache) = &self.cache {
                cache.save(registry.url(), &image, std::mem::take(&mut check.pack));
                cache.trim();
            }
            planned.warnings.extend(check.vanished.iter().map(|v| {
                Warning::VanishedWhilePlanning {
                    id: v.id,
                    name: v.name.clone(),
                }
            }));
            outcome
        }
        .await;
        if let Err(cause) = read {
            // Any version, tagged or not, may be part of a kept image: plan
            // again holding every delete.
            images.mark_unreadable();
            planned.plan = decide(&versions, policy, now, &images);
            planned.problems.push(Problem::RegistryUnreadable {
                cause,
                held: planned.plan.held(),
            });
        }
        tracing::debug!(
            package = %target.name,
            reads = planned.manifest_reads,
            cached = planned.cache_hits,
            parts = planned.plan.parts_kept(),
            "registry checked"
        );
        Ok(planned)
    }

    /// The owner's login, which the registry's image path starts with.
    async fn owner_login(&self, target: &Target) -> Result<String, String> {
        if let Some(owner) = target.scope.owner() {
            return Ok(owner.to_owned());
        }
        let package = self
            .client
            .packages(Scope::AuthenticatedUser)
            .get(target.package_type, target.name.clone())
            .await
            .map_err(|e| format!("cannot learn the package owner's login: {e}"))?;
        package
            .owner
            .map(|o| o.login)
            .ok_or_else(|| "GitHub did not say who owns the package".to_owned())
    }

    /// What reading the registry needs, made before the listing when the
    /// owner is known without asking (an organization or a user): then the
    /// manifests of tagged versions are read while the listing comes in.
    fn early(&self, target: &Target) -> Option<Early> {
        if target.package_type != PackageType::Container || !self.check_registry {
            return None;
        }
        let registry = self.registry.as_ref()?;
        let owner = target.scope.owner()?;
        self.early_for(registry, owner, target).ok()
    }

    /// The image of `target` under `owner`, its reader and what the cache
    /// holds for it.
    fn early_for(
        &self,
        registry: &Registry,
        owner: &str,
        target: &Target,
    ) -> std::result::Result<Early, String> {
        let image = format!("{owner}/{}", target.name).to_ascii_lowercase();
        let reader = registry.reader(&image)?;
        let pack = self
            .cache
            .as_ref()
            .map(|c| c.load(registry.url(), &image))
            .unwrap_or_default();
        Ok(Early {
            registry: registry.clone(),
            image,
            reader,
            pack,
        })
    }

    /// Lists every active version. With `early`, the manifest of each
    /// tagged version the cache does not hold is read as its page comes in
    /// (tagged versions are read first anyway: the images an index lists
    /// need no read of their own), within the planner's read limit.
    async fn list_active(
        &self,
        target: &Target,
        observer: &dyn Observer,
        early: Option<&Early>,
    ) -> (Result<Vec<PackageVersion>>, Prefetched) {
        observer.started(Phase::Listing, None);
        let (found, to_read) = futures::channel::mpsc::unbounded::<String>();
        let listing = async move {
            let mut pages = self
                .client
                .packages(&target.scope)
                .versions(target.package_type, target.name.clone())
                .state(VersionState::Active)
                .concurrency(LISTING_PAGES_AT_ONCE)
                .pages();
            let mut versions = Vec::new();
            let mut sent = HashSet::new();
            loop {
                match pages.try_next().await {
                    Ok(Some(page)) => {
                        observer.advanced(Phase::Listing, 1);
                        let first = versions.len();
                        versions.extend(page.into_items());
                        for version in &versions[first..] {
                            let wanted = early.is_some_and(|e| !e.pack.contains(&version.name))
                                && !version.tags().is_empty()
                                && sent.insert(version.name.clone());
                            if wanted {
                                let _ = found.unbounded_send(version.name.clone());
                            }
                        }
                    }
                    Ok(None) => break Ok(versions),
                    Err(e) => break Err(Error::Api(e)),
                }
            }
            // `found` is dropped here: the reads end with the listing.
        };
        let reading = async {
            let Some(early) = early else {
                return Prefetched::new();
            };
            let permits = &self.reads;
            to_read
                .map(|digest| async move {
                    let listed = match permits.acquire().await {
                        Ok(_permit) => early.reader.listed(&digest).await,
                        Err(_) => Err(ManifestError::Failed("the planner was shut down".into())),
                    };
                    (digest, listed)
                })
                .buffer_unordered(self.manifest_reads)
                .collect()
                .await
        };
        let (listed, prefetched) = futures::join!(listing, reading);
        observer.finished(Phase::Listing);
        (listed, prefetched)
    }
}

/// Manifests read while the listing came in, by digest.
type Prefetched = HashMap<String, std::result::Result<Listed, ManifestError>>;

/// What reading one package's image needs.
struct Early {
    registry: Registry,
    image: String,
    reader: Reader,
    pack: Pack,
}

/// What the engine keeps of a manifest the registry listed.
fn manifest_of(listed: Listed) -> Manifest {
    Manifest {
        parts: listed.parts,
        plain_parts: listed.leaves,
        subject: listed.subject,
        referrer: listed.referrer,
    }
}

/// Records what `digest`'s manifest says, and that the parts it calls plain
/// images are images (they are not read).
fn record(images: &mut Images, digest: String, manifest: Manifest) {
    for plain in &manifest.plain_parts {
        images.record_image(plain.clone());
    }
    images.record(digest, manifest);
}

/// One package's registry check: reads the manifest of every version whose
/// role can change a decision, each digest once, tagged versions first
/// (the likely indexes: the images they list need no read of their own),
/// and decides again with what was learned, until every version's place in
/// the image graph is known.
struct Check<'a> {
    planner: &'a Planner,
    target: &'a Target,
    policy: &'a Policy,
    now: DateTime<Utc>,
    reader: &'a Reader,
    observer: &'a dyn Observer,
    reads: usize,
    cache_hits: usize,
    /// The image's manifests the cache held, and those read since.
    pack: Pack,
    /// Manifests read while the listing came in, not yet used.
    prefetched: Prefetched,
    /// Versions whose manifest is gone because the version itself was
    /// deleted (by someone else) after the listing.
    vanished: Vec<PackageVersion>,
}

impl Check<'_> {
    /// Reads go out up to the planner's limit at a time (shared with the
    /// other packages planned at once); a manifest in the cache is not read.
    /// A manifest missing because its version was deleted meanwhile
    /// (checked through the API) drops that version from `versions`; any
    /// other failure stops the check, leaving `plan` as far as it got.
    async fn run(
        &mut self,
        versions: &mut Vec<PackageVersion>,
        plan: &mut Plan,
        images: &mut Images,
    ) -> Result<(), String> {
        // The total is an estimate that grows if nested indexes turn up.
        let mut counted = plan.unread(images).len();
        self.observer
            .started(Phase::ReadingManifests, Some(counted));
        let outcome = self.rounds(versions, plan, images, &mut counted).await;
        self.observer.finished(Phase::ReadingManifests);
        outcome
    }

    async fn rounds(
        &mut self,
        versions: &mut Vec<PackageVersion>,
        plan: &mut Plan,
        images: &mut Images,
        counted: &mut usize,
    ) -> Result<(), String> {
        let mut done = 0;
        while plan.may_depend_on_images(self.policy) {
            let mut todo = plan.unread(images);
            if todo.is_empty() {
                break;
            }
            // Tagged versions first, in a round of their own.
            if todo.iter().any(|(_, tagged)| *tagged) {
                todo.retain(|(_, tagged)| *tagged);
            }
            if done + todo.len() > *counted {
                self.observer
                    .grew(Phase::ReadingManifests, done + todo.len() - *counted);
                *counted = done + todo.len();
            }
            done += todo.len();
            let mut network = Vec::new();
            let mut answers = Vec::new();
            for (digest, _) in todo {
                if let Some(manifest) = self.pack.get(&digest) {
                    self.cache_hits += 1;
                    self.observer.advanced(Phase::ReadingManifests, 1);
                    record(images, digest, manifest);
                } else if let Some(listed) = self.prefetched.remove(&digest) {
                    self.observer.advanced(Phase::ReadingManifests, 1);
                    answers.push((digest, Some(listed)));
                } else {
                    network.push(digest);
                }
            }
            // Digests an index read in this round says are plain images:
            // a read not yet started for one of them is skipped (reads start
            // newest first, and an index is newer than its parts). Answers
            // are taken as they come, so that one slow read (a registry
            // asking to wait) does not hold the slots of the others.
            let plain: std::sync::Mutex<HashSet<String>> = std::sync::Mutex::new(HashSet::new());
            let reader = self.reader;
            let observer = self.observer;
            let permits = &self.planner.reads;
            let plain_ref = &plain;
            let read: Vec<_> = futures::stream::iter(network)
                .map(|digest| async move {
                    let listed = match permits.acquire().await {
                        Ok(_permit) => {
                            let known = plain_ref.lock().is_ok_and(|p| p.contains(&digest));
                            if known {
                                None
                            } else {
                                let listed = reader.listed(&digest).await;
                                if let (Ok(listed), Ok(mut plain)) = (&listed, plain_ref.lock()) {
                                    plain.extend(listed.leaves.iter().cloned());
                                }
                                Some(listed)
                            }
                        }
                        Err(_) => Some(Err(ManifestError::Failed(
                            "the planner was shut down".into(),
                        ))),
                    };
                    observer.advanced(Phase::ReadingManifests, 1);
                    (digest, listed)
                })
                .buffer_unordered(self.planner.manifest_reads)
                .collect()
                .await;
            answers.extend(read);
            for (digest, listed) in answers {
                let Some(listed) = listed else {
                    continue;
                };
                self.reads += 1;
                match listed {
                    Ok(listed) => {
                        tracing::debug!(%digest, parts = listed.parts.len(), "read manifest");
                        let manifest = manifest_of(listed);
                        if self.planner.cache.is_some() {
                            self.pack.put(&digest, &manifest);
                        }
                        record(images, digest, manifest);
                    }
                    Err(ManifestError::Missing(why)) => {
                        let gone = self.vanished(versions, &digest).await;
                        if gone.is_empty() {
                            return Err(why);
                        }
                        self.vanished.extend(gone);
                        images.record(digest, Manifest::default());
                    }
                    Err(ManifestError::Failed(why)) => return Err(why),
                }
            }
            *plan = decide(versions, self.policy, self.now, images);
        }
        Ok(())
    }

    /// Takes out of `versions` those named `digest`, if GitHub says they are
    /// no longer active (404, or deleted). Returns them; empty if a version
    /// with that digest still exists, so the missing manifest is a real
    /// problem.
    async fn vanished(
        &self,
        versions: &mut Vec<PackageVersion>,
        digest: &str,
    ) -> Vec<PackageVersion> {
        let ids: Vec<i64> = versions
            .iter()
            .filter(|v| v.name == digest)
            .map(|v| v.id)
            .collect();
        for id in &ids {
            match self.target.version(&self.planner.client, *id).get().await {
                Ok(v) if v.deleted_at.is_some() => {}
                Err(e) if e.is_not_found() => {}
                _ => return Vec::new(),
            }
        }
        let (gone, kept): (Vec<PackageVersion>, Vec<PackageVersion>) = std::mem::take(versions)
            .into_iter()
            .partition(|v| ids.contains(&v.id));
        *versions = kept;
        gone
    }
}
