//! Planning one package: list its active versions, decide with `policy.rs`,
//! and protect multi-arch images by reading the registry until the plan
//! stops changing. Nothing here deletes.

use chrono::{DateTime, Utc};
use futures::{StreamExt, TryStreamExt};
use github_packages::{PackageType, PackageVersion, Scope, VersionState};

use crate::policy::{self, Images, Plan, Policy};
use crate::progress::Progress;
use crate::registry::{ManifestError, Registry};
use crate::{Ctx, Failure};

/// GitHub.com's container registry.
const GHCR: &str = "https://ghcr.io";

/// What is the same for every package of a run.
#[derive(Debug)]
pub(crate) struct Settings<'a> {
    pub(crate) scope: &'a Scope,
    pub(crate) kind: PackageType,
    pub(crate) policy: &'a Policy,
    /// The time the plan is made as of (one for every package).
    pub(crate) now: DateTime<Utc>,
    /// `--registry-url`, if given.
    pub(crate) registry_url: Option<&'a str>,
    /// `--no-registry-check`.
    pub(crate) no_registry_check: bool,
    /// `--manifest-reads`.
    pub(crate) manifest_reads: usize,
}

/// One package's plan and what planning it found.
#[derive(Debug)]
pub(crate) struct PackagePlan {
    pub(crate) name: String,
    /// The owner's login, when known (for `--me`, learned from GitHub).
    pub(crate) login: Option<String>,
    pub(crate) listed_at: DateTime<Utc>,
    pub(crate) plan: Plan,
    /// Worth a look, changes nothing.
    pub(crate) warnings: Vec<String>,
    /// Fail the run (exit 1) but do not stop this package's deletes.
    pub(crate) problems: Vec<String>,
    /// Every tag of every version listed (exclusions are checked against
    /// the tags of the whole run).
    pub(crate) tags: std::collections::HashSet<String>,
}

/// The package whose versions a step reads or deletes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Target<'a> {
    pub(crate) scope: &'a Scope,
    pub(crate) kind: PackageType,
    pub(crate) name: &'a str,
}

/// Lists and plans one package.
///
/// # Errors
///
/// The listing failed (the package cannot be planned), or the registry is
/// needed and not configured (a usage error).
pub(crate) async fn plan_package(
    ctx: &Ctx,
    settings: &Settings<'_>,
    name: &str,
) -> Result<PackagePlan, Failure> {
    let Settings {
        scope,
        kind,
        policy,
        now,
        ..
    } = *settings;
    let target = Target { scope, kind, name };
    let listed_at = Utc::now();
    let mut versions = list_active(ctx, scope, kind, name).await?;
    let mut warnings = Vec::new();
    let mut problems = Vec::new();
    let tags = versions.iter().flat_map(policy::tags_of).collect();
    let mut plan = policy::plan(&versions, policy, now, &Images::default());
    let mut login = scope.owner().map(str::to_owned);
    // Nothing kept: no image to protect, no need for the registry.
    let anything_kept = !plan.kept_unread(&Images::default()).is_empty();
    if kind == PackageType::Container && plan.delete_count() > 0 && anything_kept {
        if settings.no_registry_check {
            warnings.push(
                "--no-registry-check: platform images of multi-arch images are not protected"
                    .to_owned(),
            );
        } else {
            let registry_url = registry_url(ctx, settings.registry_url)?;
            let mut images = Images::default();
            let checked = async {
                let owner = owner_login(ctx, scope, kind, name).await?;
                login = Some(owner.clone());
                let image = format!("{owner}/{name}");
                let registry = Registry::new(&registry_url, &image, ctx.token.clone())?;
                protect_multi_arch(
                    ctx,
                    &target,
                    &mut versions,
                    policy,
                    now,
                    &mut plan,
                    &mut images,
                    &registry,
                    settings.manifest_reads,
                )
                .await
            }
            .await;
            match checked {
                Ok(check) => {
                    tracing::debug!(
                        package = name,
                        reads = check.reads,
                        saved = plan.children_kept(),
                        "registry checked"
                    );
                    for ghost in &plan.ghosts {
                        warnings.push(ghost.to_string());
                    }
                    for gone in &check.vanished {
                        warnings.push(format!(
                            "version {} ({}) was deleted by someone else while planning; it is \
                             left out of the plan",
                            gone.id,
                            policy::short_digest(&gone.name)
                        ));
                    }
                }
                Err(cause) => {
                    // Any version, tagged or not, may be part of a kept
                    // image: plan again holding every delete.
                    images.mark_unreadable();
                    plan = policy::plan(&versions, policy, now, &images);
                    problems.push(format!(
                        "the registry could not be read ({cause}), so {} kept: any of them may \
                         be part of a kept multi-arch image. Fix the registry access, or pass \
                         --no-registry-check to delete without that protection",
                        match plan.held() {
                            1 => "1 version planned for deletion is".to_owned(),
                            n => format!("{n} versions planned for deletion are"),
                        }
                    ));
                }
            }
        }
    }
    Ok(PackagePlan {
        name: name.to_owned(),
        login,
        listed_at,
        plan,
        warnings,
        problems,
        tags,
    })
}

/// The registry to read: --registry-url, else ghcr.io for GitHub.com. For
/// any other API (GitHub Enterprise Server) ghcr.io is not its registry and
/// must not get its token, so the flag is required.
fn registry_url(ctx: &Ctx, given: Option<&str>) -> Result<String, Failure> {
    if let Some(url) = given {
        return Ok(url.to_owned());
    }
    if ctx.is_github_com() {
        return Ok(GHCR.to_owned());
    }
    let api_url = ctx.api_url();
    let example = url::Url::parse(&api_url)
        .ok()
        .and_then(|u| u.host_str().map(|h| format!("https://containers.{h}")))
        .unwrap_or_else(|| "https://containers.HOST".to_owned());
    Err(Failure::Usage(format!(
        "--api-url is {api_url}, not GitHub.com, so its token is not sent to {GHCR}: pass \
         --registry-url with this server's container registry (GitHub Enterprise Server \
         serves it at containers.HOST, here probably {example}) so multi-arch images can be \
         protected, or --no-registry-check to delete without that protection"
    )))
}

/// The owner's login, which the registry's image path starts with.
async fn owner_login(
    ctx: &Ctx,
    scope: &Scope,
    kind: PackageType,
    name: &str,
) -> Result<String, String> {
    match scope.owner() {
        Some(owner) => Ok(owner.to_owned()),
        None => {
            let package = ctx
                .client
                .packages(scope)
                .get(kind, name)
                .await
                .map_err(|e| format!("cannot learn the package owner's login: {e}"))?;
            package
                .owner
                .map(|o| o.login)
                .ok_or_else(|| "GitHub did not say who owns the package".to_owned())
        }
    }
}

/// Lists every active version, showing a page counter on a terminal.
async fn list_active(
    ctx: &Ctx,
    scope: &Scope,
    kind: PackageType,
    name: &str,
) -> Result<Vec<PackageVersion>, Failure> {
    let progress = Progress::counter("listing versions", "pages");
    let mut pages = ctx
        .client
        .packages(scope)
        .versions(kind, name)
        .state(VersionState::Active)
        .pages();
    let mut versions = Vec::new();
    let outcome = loop {
        match pages.try_next().await {
            Ok(Some(page)) => {
                progress.inc(1);
                versions.extend(page.into_items());
            }
            Ok(None) => break Ok(versions),
            Err(e) => break Err(Failure::Api(e)),
        }
    };
    progress.finish();
    outcome
}

/// What the registry check learned.
#[derive(Debug, Default)]
struct RegistryCheck {
    /// Kept versions whose manifest is gone because the version itself was
    /// deleted (by someone else) after the listing.
    vanished: Vec<PackageVersion>,
    /// Manifests read.
    reads: usize,
}

/// Reads the manifest of every kept version, tagged or not, and plans again
/// with what the image indexes among them list, until nothing new is learned
/// (a version kept this way may itself be an index, and keep counts skip the
/// parts of images). Reads go out `concurrency` at a time; each digest is
/// read at most once per run (the registry counts every read as a download),
/// and manifests an index says are single images are not read at all.
///
/// A manifest that is missing because its version was deleted meanwhile
/// (checked through the API) drops that version from `versions`; any other
/// failure stops the check, leaving `plan` as far as it got.
#[allow(clippy::too_many_arguments)]
async fn protect_multi_arch(
    ctx: &Ctx,
    target: &Target<'_>,
    versions: &mut Vec<PackageVersion>,
    policy: &Policy,
    now: DateTime<Utc>,
    plan: &mut Plan,
    images: &mut Images,
    registry: &Registry,
    concurrency: usize,
) -> Result<RegistryCheck, String> {
    let mut check = RegistryCheck::default();
    // The total is an estimate (every kept digest) that grows if nested
    // indexes or newly kept versions turn up.
    let mut counted = plan.kept_unread(images).len();
    let progress = Progress::bar("manifests", counted);
    let outcome = async {
        while plan.delete_count() > 0 {
            let mut todo = plan.kept_unread(images);
            if todo.is_empty() {
                break;
            }
            // Tagged versions first, in a round of their own: they are the
            // likely indexes, and the platform images they list need no read.
            if todo.iter().any(|(_, tag)| tag.is_some()) {
                todo.retain(|(_, tag)| tag.is_some());
            }
            if check.reads + todo.len() > counted {
                progress.grow((check.reads + todo.len() - counted) as u64);
                counted = check.reads + todo.len();
            }
            check.reads += todo.len();
            let answers: Vec<_> = futures::stream::iter(todo)
                .map(|(digest, _)| async {
                    let children = registry.children(&digest).await;
                    progress.inc(1);
                    (digest, children)
                })
                .buffer_unordered(concurrency)
                .collect()
                .await;
            for (digest, children) in answers {
                match children {
                    Ok(children) => {
                        tracing::debug!(%digest, children = children.children.len(), "read manifest");
                        for leaf in children.leaves {
                            if !images.is_known(&leaf) {
                                images.record(leaf, Vec::new());
                            }
                        }
                        images.record(digest, children.children);
                    }
                    Err(ManifestError::Missing(why)) => {
                        let gone = vanished(ctx, target, versions, &digest).await;
                        if gone.is_empty() {
                            return Err(why);
                        }
                        check.vanished.extend(gone);
                        images.record(digest, Vec::new());
                    }
                    Err(ManifestError::Failed(why)) => return Err(why),
                }
            }
            *plan = policy::plan(versions, policy, now, images);
        }
        Ok(())
    }
    .await;
    progress.finish();
    outcome.map(|()| check)
}

/// Takes out of `versions` those named `digest`, if GitHub says they are no
/// longer active (404, or deleted). Returns them; empty if a version with
/// that digest still exists, so the missing manifest is a real problem.
async fn vanished(
    ctx: &Ctx,
    target: &Target<'_>,
    versions: &mut Vec<PackageVersion>,
    digest: &str,
) -> Vec<PackageVersion> {
    let ids: Vec<i64> = versions
        .iter()
        .filter(|v| v.name == digest)
        .map(|v| v.id)
        .collect();
    let packages = ctx.client.packages(target.scope);
    for id in &ids {
        match packages.version(target.kind, target.name, *id).get().await {
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
