//! Two jobs sharing one token: both prune their own package against the
//! fake GitHub's secondary rate limit at once. Both must finish, nothing may
//! be deleted twice, and nothing outside the two plans may be deleted.

use std::collections::BTreeSet;
use std::time::Duration;

use github_packages::PackageType;
use github_packages::fake::Owner;

use crate::fakes::Fake;
use crate::support::tempdir;

#[test]
fn two_prunes_sharing_a_token_both_finish_within_the_secondary_limit() {
    // 30 points per 2 s window: each prune needs about 40 (a listing, then
    // a read and a DELETE per version: 1 + 5 points), so together they
    // must be told to wait, more than once.
    let fake = Fake::with(|b| {
        b.no_primary_limit()
            .no_concurrency_limit()
            .secondary_limit(30)
            .secondary_window(Duration::from_secs(2))
    });
    let mut planned = BTreeSet::new();
    for name in ["web", "api"] {
        let mut builder = fake
            .gh
            .package(Owner::org("acme"), PackageType::Container, name)
            .image();
        for _ in 0..5 {
            builder = builder.image();
        }
        let created = builder.image().tags(["latest"]).create().unwrap();
        planned.extend(
            created
                .versions
                .iter()
                .filter(|v| v.tags.is_empty())
                .map(|v| v.id),
        );
    }
    let dir = tempdir();
    let children: Vec<_> = ["web", "api"]
        .into_iter()
        .map(|name| {
            // Paced only by GitHub's answers: no pacing of its own.
            fake.cli(dir.path())
                .args(["--max-rate-limit-wait", "60s", "--json"])
                .args(["prune", "container", name, "--org", "acme", "--untagged"])
                .args(["--no-registry-check", "--yes", "--journal"])
                .arg(dir.path().join(format!("{name}.jsonl")))
                .spawn()
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    let log = fake.gh.requests();
    let limited = log.iter().filter(|r| r.status == Some(403)).count();
    assert!(limited > 0, "the secondary limit was never reached");
    let mut deleted: Vec<i64> = Vec::new();
    for r in log
        .iter()
        .filter(|r| r.method == http::Method::DELETE && r.status == Some(204))
    {
        let id = r.path.rsplit('/').next().unwrap().parse().unwrap();
        deleted.push(id);
    }
    let unique: BTreeSet<i64> = deleted.iter().copied().collect();
    assert_eq!(unique.len(), deleted.len(), "a version was deleted twice");
    assert_eq!(unique, planned, "exactly the planned versions");
}
