//! What deleting one container version leaves behind: the platform images,
//! attestations and signatures of a multi-arch image index, from the
//! retention engine's image graph (a plan that deletes only that digest, so
//! a part another image still uses is not among them).

use github_packages::Scope;
use github_packages_retention::{
    Entry, ManifestCache, Planner, Policy, Problem, Quiet, Registry, Target,
};

use crate::args::Kind;
use crate::context::Ctx;

/// The versions that go with `digest` (not itself), oldest last, or why
/// they cannot be known.
///
/// # Errors
///
/// A sentence for a warning: no registry is known for this API, or it
/// could not be read.
pub(crate) async fn of(
    ctx: &Ctx,
    scope: &Scope,
    name: &str,
    digest: &str,
) -> Result<Vec<Entry>, String> {
    let Some(mut registry) = Registry::for_api(ctx.client.base_url()) else {
        return Err(
            "no container registry is known for this API, so ghpkg cannot tell whether it is a \
             multi-arch image with platform images of its own"
                .to_owned(),
        );
    };
    if let Some(token) = &ctx.token {
        registry = registry.token(token.clone());
    }
    let mut planner = Planner::new(&ctx.client).registry(registry);
    if let Some(dir) = ManifestCache::default_dir("ghpkg") {
        planner = planner.manifest_cache(ManifestCache::new(dir));
    }
    let target = Target::new(scope.clone(), Kind::Container.into(), name);
    let policy = Policy::default().digest(digest);
    let planned = planner
        .plan(&target, &policy, &Quiet)
        .await
        .map_err(|e| format!("cannot read the image graph: {e}"))?;
    if let Some(Problem::RegistryUnreadable { cause, .. }) = planned.problems.first() {
        return Err(format!(
            "the registry could not be read ({cause}), so ghpkg cannot tell whether it is a \
             multi-arch image with platform images of its own"
        ));
    }
    Ok(planned
        .plan
        .deletions()
        .into_iter()
        .filter(|e| e.name != digest)
        .cloned()
        .collect())
}
