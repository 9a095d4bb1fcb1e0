//! Which packages a run covers: globs and "all packages" over the owner's
//! packages of one type, names that must exist, and listings GitHub refuses
//! to a workflow's token; settled before anything is planned or deleted.
//! Against the fake GitHub.

mod common;

use github_packages::fake::{Owner, PackagesPermission};
use github_packages::{PackageType, Scope};
use github_packages_retention::{Error, PackagePattern, Policy, Quiet, resolve};
use reqwest::Method;

use common::*;

fn patterns(values: &[&str]) -> Vec<PackagePattern> {
    values
        .iter()
        .map(|v| PackagePattern::new(v).unwrap())
        .collect()
}

/// The container packages of acme that `values` (and `all`) pick, with
/// `client`.
async fn pick(
    client: &github_packages::Client,
    values: &[&str],
    all: bool,
) -> Result<Vec<String>, Error> {
    resolve(
        client,
        &Scope::org("acme"),
        PackageType::Container,
        &patterns(values),
        all,
    )
    .await
}

/// A glob picks the matching packages of the type, in name order, and no
/// other.
#[tokio::test]
async fn a_glob_picks_the_packages_it_matches() {
    let fake = Fake::start().await;
    for name in ["app-web", "app-api", "app-worker", "lib"] {
        app_with_orphans(&fake, name);
    }
    let picked = pick(&fake.client, &["app-*"], false).await.unwrap();
    assert_eq!(picked, ["app-api", "app-web", "app-worker"]);
}

/// "All packages" is every package of the type, each planned on its own;
/// nothing is deleted by planning them.
#[tokio::test]
async fn all_packages_are_every_package_of_the_type() {
    let fake = Fake::start().await;
    for name in ["a", "b", "c"] {
        app_with_orphans(&fake, name);
    }
    fake.gh
        .package(Owner::org("acme"), PackageType::Npm, "left-pad")
        .version("1.0.0")
        .version("1.0.1")
        .create()
        .unwrap();
    let picked = pick(&fake.client, &[], true).await.unwrap();
    assert_eq!(picked, ["a", "b", "c"]);
    for name in &picked {
        let planned = fake
            .planner()
            .plan(
                &acme(PackageType::Container, name),
                &Policy::default().keep_untagged(0),
                &Quiet,
            )
            .await
            .unwrap();
        assert_eq!(planned.problems, []);
        assert_eq!(planned.plan.delete_count(), 2, "{name}");
    }
    assert_eq!(fake.sent(Method::DELETE), 0);
}

/// `!` exclusions leave packages out of what globs and "all packages"
/// pick; one that leaves nothing out (a typo) stops the run, as do
/// exclusions with nothing to exclude from, or that exclude everything.
#[tokio::test]
async fn exclusions_leave_packages_out_and_a_typo_stops_the_run() {
    let fake = Fake::start().await;
    for name in ["app-web", "app-api", "app-legacy", "lib"] {
        app_with_orphans(&fake, name);
    }
    let picked = pick(&fake.client, &["app-*", "!app-legacy"], false)
        .await
        .unwrap();
    assert_eq!(picked, ["app-api", "app-web"]);
    let picked = pick(&fake.client, &["!app-*"], true).await.unwrap();
    assert_eq!(picked, ["lib"]);

    let typo = pick(&fake.client, &["app-*", "!app-lgacy"], false).await;
    assert!(
        matches!(&typo, Err(Error::Targets(problem)) if problem.contains("`!app-lgacy`")),
        "{typo:?}"
    );
    let alone = pick(&fake.client, &["!lib"], false).await;
    assert!(
        matches!(&alone, Err(Error::Targets(problem)) if problem.contains("nothing is selected")),
        "{alone:?}"
    );
    let everything = pick(&fake.client, &["app-web", "!app-*"], false).await;
    assert!(
        matches!(&everything, Err(Error::Targets(problem)) if problem.contains("is excluded")),
        "{everything:?}"
    );
    assert_eq!(fake.sent(Method::DELETE), 0);
}

/// A named package that does not exist, or a glob that matches nothing,
/// stops the run before anything is planned; the error names it.
#[tokio::test]
async fn a_named_package_that_does_not_exist_stops_the_run_before_any_delete() {
    let fake = Fake::start().await;
    app_with_orphans(&fake, "app-web");
    let missing = pick(&fake.client, &["app-web", "app-wbe"], false).await;
    assert!(
        matches!(&missing, Err(Error::Targets(problem)) if problem.contains("`app-wbe`")),
        "{missing:?}"
    );
    let unmatched = pick(&fake.client, &["web-*"], false).await;
    assert!(
        matches!(&unmatched, Err(Error::Targets(problem)) if problem.contains("`web-*`")),
        "{unmatched:?}"
    );
    assert_eq!(fake.sent(Method::DELETE), 0);
}

/// A workflow's `GITHUB_TOKEN` cannot list an owner's packages: a glob is
/// refused with that explanation, while the same token prunes a package it
/// is given by name.
#[tokio::test]
async fn a_workflow_token_that_cannot_list_is_told_to_name_the_packages() {
    let fake = Fake::start().await;
    let web = app_with_orphans(&fake, "app-web");
    let token = fake
        .gh
        .actions_token(Owner::org("acme"), PackagesPermission::Write)
        .unwrap();
    let workflow = client(&fake.gh.url(), &token);
    let refused = pick(&workflow, &["app-*"], false).await;
    assert!(
        matches!(&refused, Err(Error::Targets(problem))
            if problem.contains("GITHUB_TOKEN cannot list")),
        "{refused:?}"
    );

    // Named, the same token prunes.
    let picked = pick(&workflow, &["app-web"], false).await.unwrap();
    assert_eq!(picked, ["app-web"]);
    let registry = fake.registry().token(token.clone());
    let planned = github_packages_retention::Planner::new(&workflow)
        .registry(registry)
        .plan(
            &acme(PackageType::Container, "app-web"),
            &Policy::default().untagged(),
            &Quiet,
        )
        .await
        .unwrap();
    assert_eq!(planned.problems, []);
    let outcome = delete_planned(&workflow, &[&planned]).await;
    assert!(!outcome.is_unfinished());
    assert_eq!(fake.deleted("app-web"), web);
}
