//! This crate's own client against the fake: a paged listing, a delete,
//! and GitHub's refusal reaching the caller. Kept small on purpose: the
//! client's API is being reshaped (issue 10) and this is the one file to
//! touch when it lands.

use github_packages::fake::{FakeGitHub, Owner};
use github_packages::{Client, PackageType, Scope};

#[tokio::test]
async fn the_client_lists_and_deletes_against_the_fake() {
    let gh = FakeGitHub::start().await;
    let mut builder = gh
        .package(Owner::org("acme"), PackageType::Container, "app")
        .image()
        .tags(["v1"])
        .package();
    for _ in 0..250 {
        builder = builder.image().package();
    }
    let app = builder.create().unwrap();
    let client = Client::builder()
        .base_url(gh.url())
        .token(gh.token_with_scopes(&["read:packages", "delete:packages"]))
        .build()
        .unwrap();
    let org = Scope::org("acme");
    let packages = client.packages(&org);

    let listed = packages
        .versions(PackageType::Container, "app")
        .send()
        .await
        .unwrap();
    let mut ids: Vec<i64> = listed.iter().map(|v| v.id).collect();
    ids.reverse();
    assert_eq!(ids, app.ids(), "every version, newest first, over 3 pages");
    let pages = gh
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/versions"))
        .count();
    assert_eq!(pages, 3);

    let untagged = app.versions[1].id;
    packages
        .version(PackageType::Container, "app", untagged)
        .delete()
        .await
        .unwrap();
    assert_eq!(
        gh.deleted_ids("acme", PackageType::Container, "app"),
        [untagged]
    );

    let refused = packages
        .version(PackageType::Container, "app", app.versions[0].id)
        .delete()
        .await
        .unwrap_err();
    assert!(refused.is_rejected(), "{refused:?}");
    assert_eq!(
        refused.message(),
        Some(
            "You cannot delete the last tagged version of a package. You must delete the package instead."
        )
    );
}
