//! The sample data of [`FakeBuilder::sample_data`](super::FakeBuilder::sample_data):
//! a few packages of every type and one busy container package that looks
//! like a real project's, built with the public fixture builders and the
//! fake's seed.

use chrono::{DateTime, TimeDelta, Utc};

use crate::generated::types::{PackageType, Visibility};

use super::error::FakeError;
use super::fixtures::{Owner, PackageBuilder};
use super::seed::Rng;
use super::shared::Shared;

/// The organization that owns most sample packages.
pub(crate) const SAMPLE_ORG: &str = "acme";

enum Build {
    Release { minor: u64, latest: bool },
    PullRequest(u64),
    Main { sha: String },
    Untagged,
}

pub(crate) fn populate(shared: &Shared) -> Result<(), FakeError> {
    let now = shared.clock.now();
    let mut rng = Rng::new(shared.settings.seed ^ 0x5a3b_1e00_d47a_0000);
    let me = Owner::user(shared.settings.login.as_str());
    let package = |owner: &Owner, package_type: PackageType, name: &str| {
        PackageBuilder::new(shared, owner.clone(), package_type, name.to_owned())
    };
    let org = Owner::org(SAMPLE_ORG);
    let days_ago = |rng: &mut Rng, max_days: u64| -> DateTime<Utc> {
        now - TimeDelta::seconds(rng.below(max_days * 24 * 3600) as i64)
    };

    // The default user's own packages.
    let mut hello = package(&me, PackageType::Container, "hello").visibility(Visibility::Public);
    for i in (0..5).rev() {
        let mut v = hello.image().created_at(now - TimeDelta::days(2 * i + 1));
        if i == 0 {
            v = v.tags(["latest", "v1"]);
        }
        hello = v.package();
    }
    hello.create()?;
    package(&me, PackageType::Npm, "hello-npm")
        .visibility(Visibility::Public)
        .version("1.0.0")
        .created_at(now - TimeDelta::days(60))
        .version("1.0.1")
        .created_at(now - TimeDelta::days(30))
        .version("1.1.0")
        .created_at(now - TimeDelta::days(3))
        .create()?;

    // acme/app: about 300 versions over 90 days.
    let mut builds: Vec<(DateTime<Utc>, Build)> = Vec::new();
    let releases = 9 + rng.below(3);
    for minor in 0..releases {
        let at = now - TimeDelta::days(88)
            + TimeDelta::days((minor * 88 / releases) as i64)
            + TimeDelta::hours(rng.below(12) as i64);
        builds.push((
            at,
            Build::Release {
                minor,
                latest: minor + 1 == releases,
            },
        ));
    }
    for n in 0..35 + rng.below(10) {
        builds.push((
            days_ago(&mut rng, 90),
            Build::PullRequest(100 + n * 3 + rng.below(3)),
        ));
    }
    for _ in 0..20 {
        let sha = format!("{:07x}", rng.below(0x1000_0000));
        builds.push((days_ago(&mut rng, 90), Build::Main { sha }));
    }
    let untagged = 300u64.saturating_sub(releases * 6 + 55 + rng.below(10));
    for _ in 0..untagged {
        builds.push((days_ago(&mut rng, 90), Build::Untagged));
    }
    builds.sort_by_key(|(at, _)| *at);
    let last_main = builds
        .iter()
        .rposition(|(_, b)| matches!(b, Build::Main { .. }));
    let mut app = package(&org, PackageType::Container, "app")
        .visibility(Visibility::Private)
        .created_at(now - TimeDelta::days(90));
    for (i, (at, build)) in builds.into_iter().enumerate() {
        let v = app.image().created_at(at);
        app = match build {
            Build::Release { minor, latest } => {
                let mut tags = vec![format!("v1.{minor}.0"), format!("v1.{minor}")];
                if latest {
                    tags.push("latest".to_owned());
                }
                v.tags(tags)
                    .platforms(["linux/amd64", "linux/arm64"])
                    .attestations()
                    .cosign_signature()
                    .downloads(rng.below(400))
            }
            Build::PullRequest(n) => v.tags([format!("pr-{n}")]),
            Build::Main { sha } => {
                let mut tags = vec![format!("sha-{sha}")];
                if Some(i) == last_main {
                    tags.push("main".to_owned());
                }
                v.tags(tags)
            }
            Build::Untagged => v,
        }
        .package();
    }
    app.create()?;

    // A smaller image, and one package of every other type.
    let mut worker =
        package(&org, PackageType::Container, "worker").visibility(Visibility::Internal);
    for i in (0..12).rev() {
        let v = worker.image().created_at(now - TimeDelta::days(i * 5 + 1));
        worker = if i % 4 == 0 {
            v.tags([format!("v0.{}", 3 - i / 4)])
        } else {
            v
        }
        .package();
    }
    worker.create()?;
    let mut maven = package(&org, PackageType::Maven, "com.acme.core");
    for i in 0..10 {
        maven = maven
            .version(format!("1.{i}.0"))
            .created_at(now - TimeDelta::days(80 - i * 8))
            .package();
    }
    maven.create()?;
    package(&org, PackageType::Nuget, "Acme.Core")
        .version("2.0.0")
        .created_at(now - TimeDelta::days(40))
        .version("2.1.0")
        .created_at(now - TimeDelta::days(10))
        .create()?;
    package(&org, PackageType::Rubygems, "acme-core")
        .version("0.9.0")
        .created_at(now - TimeDelta::days(50))
        .version("1.0.0")
        .created_at(now - TimeDelta::days(20))
        .create()?;
    package(&org, PackageType::Npm, "web-ui")
        .visibility(Visibility::Public)
        .downloads(12_000)
        .version("3.0.0")
        .created_at(now - TimeDelta::days(70))
        .downloads(7_000)
        .version("3.1.0")
        .created_at(now - TimeDelta::days(7))
        .create()?;
    package(&org, PackageType::Docker, "legacy")
        .docker_conflict(true)
        .image()
        .tags(["1.0"])
        .created_at(now - TimeDelta::days(85))
        .image()
        .tags(["2.0"])
        .created_at(now - TimeDelta::days(84))
        .create()?;
    Ok(())
}
