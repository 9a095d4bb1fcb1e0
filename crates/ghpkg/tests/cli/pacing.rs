//! How ghpkg spaces its writes and waits out rate limits, against the fake
//! GitHub, whose request log has the time of every request.

use github_packages::PackageType;
use github_packages::fake::Owner;
use http::Method;

use crate::fakes::Fake;
use crate::support::tempdir;

/// Issue 9, item 9: rate-limit waits are bounded by time, not by a count of
/// five answers.
#[test]
fn a_delete_waits_out_more_than_five_rate_limit_answers() {
    let fake = Fake::start();
    let app = fake
        .gh
        .package(Owner::org("acme"), PackageType::Container, "app")
        .image()
        .tags(["v1"])
        .image()
        .create()
        .unwrap();
    let id = app.versions[1].id;
    let path = format!("/orgs/acme/packages/container/app/versions/{id}");
    let limited = fake
        .gh
        .fault("DELETE", &path)
        .times(6)
        .header("retry-after", "1")
        .respond(
            403,
            r#"{"message":"You have exceeded a secondary rate limit.","documentation_url":"https://docs.github.com/rest"}"#,
        )
        .unwrap();
    let dir = tempdir();
    let id_arg = id.to_string();
    let run = fake.ghpkg(
        dir.path(),
        &[
            "--max-rate-limit-wait",
            "30s",
            "delete",
            "container",
            "app",
            "--org",
            "acme",
            "--version",
            &id_arg,
            "--yes",
        ],
    );
    run.expect(0);
    assert_eq!(limited.hits(), 6);
    assert_eq!(
        fake.gh.deleted_ids("acme", PackageType::Container, "app"),
        [id]
    );
}

/// Issue 9, item 10: a version is read again right before its DELETE, after
/// the write pacing, not before it.
#[test]
fn the_check_before_a_delete_comes_after_the_pacing_wait() {
    let fake = Fake::start();
    let mut builder = fake
        .gh
        .package(Owner::org("acme"), PackageType::Container, "app")
        .image()
        .tags(["latest"]);
    for _ in 0..3 {
        builder = builder.image();
    }
    let app = builder.create().unwrap();
    let dir = tempdir();
    let run = fake.ghpkg(
        dir.path(),
        &[
            "--write-interval",
            "1s",
            "prune",
            "container",
            "app",
            "--org",
            "acme",
            "--untagged",
            "--no-registry-check",
            "--yes",
        ],
    );
    run.expect(0);
    let deleted = fake.gh.deleted_ids("acme", PackageType::Container, "app");
    assert_eq!(deleted.len(), 3, "{}", run.stdout);
    let log = fake.gh.requests();
    let single = |method: Method, id: i64| {
        let path = format!("/orgs/acme/packages/container/app/versions/{id}");
        log.iter()
            .filter(|r| r.method == method && r.path == path)
            .map(|r| r.at)
            .collect::<Vec<_>>()
    };
    let mut order: Vec<i64> = app
        .ids()
        .into_iter()
        .filter(|id| deleted.contains(id))
        .collect();
    order.sort_by_key(|id| single(Method::DELETE, *id).first().copied());
    let mut previous_delete = None;
    for id in order {
        let (reads, deletes) = (single(Method::GET, id), single(Method::DELETE, id));
        assert_eq!((reads.len(), deletes.len()), (1, 1), "version {id}");
        let (read, delete) = (reads[0], deletes[0]);
        assert!(read <= delete);
        if let Some(previous) = previous_delete {
            // The pacing second lies between the previous DELETE and this
            // read, not between this read and its DELETE.
            let paced = read - previous;
            let checked = delete - read;
            assert!(paced >= chrono::TimeDelta::milliseconds(800), "{paced}");
            assert!(
                checked < paced,
                "read {checked} before its delete, paced {paced}"
            );
        }
        previous_delete = Some(delete);
    }
}
