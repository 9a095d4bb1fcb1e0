//! Retention for GitHub Packages, as a library: decide which versions of a
//! package to delete and why (as data), without breaking multi-arch images
//! or orphaning signatures; delete exactly that, with a journal that
//! survives crashes; undo from the journal.
//!
//! Built on the [`github_packages`] client. No command-line parsing and no
//! printing: results are data, progress goes to an [`Observer`], and a tool
//! (such as `ghpkg`) renders both in its own words.
//!
//! - [`Policy`]: keep counts, ages, tag selections and exclusions;
//!   [`Policy::check`] refuses one that would delete everything.
//! - [`Planner::plan`]: lists a package, decides ([`decide`]), and for a
//!   container package reads the registry ([`Registry`]) until every part of
//!   every kept image index is known, so it is kept too. The [`Plan`] gives
//!   each version an [`Action`] and a [`Reason`] with a code.
//! - [`Executor::run`]: deletes the planned versions oldest first, reading
//!   each again right before its DELETE (a version changed since the plan
//!   is skipped), with an `intent` record flushed to the [`journal`] before
//!   each request; a [`Stop`] ends it after the request in flight.
//! - [`undo::restore`]: restores what a journal records as deleted.
//! - [`PlanFile`]: a plan written for review, applied later exactly.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//!
//! use github_packages::{Client, PackageType, Scope};
//! use github_packages_retention::journal::Header;
//! use github_packages_retention::{Executor, Planner, Policy, Quiet, Registry, Stop, Target, Work};
//!
//! let token = std::env::var("GITHUB_TOKEN")?;
//! let gh = Client::builder().token(token.clone()).build()?;
//! let app = Target::new(Scope::org("acme"), PackageType::Container, "app");
//!
//! // Untagged images older than 30 days, never a part of a kept image.
//! let policy = Policy::default().untagged().older_than(Duration::from_secs(30 * 86_400));
//! let planner = Planner::new(&gh).registry(Registry::new("https://ghcr.io")?.token(token));
//! let planned = planner.plan(&app, &policy, &Quiet).await?;
//!
//! let work = vec![Work::of(&planned)];
//! let header = Header::new(&app.scope, None, app.package_type, &app.name, gh.base_url().as_str());
//! let outcome = Executor::new(&gh, Stop::new())
//!     .run(&header, "prune.jsonl".as_ref(), work, &Quiet)
//!     .await?;
//! println!("deleted {}", outcome.deleted());
//! # Ok(()) }
//! ```
#![deny(missing_docs)]
#![warn(rustdoc::broken_intra_doc_links)]

// Imports go downward only (the root's tests/architecture.rs checks every
// crate for cycles). From the leaves up: pattern, images, challenge,
// manifest, target, stop, error; reason, policy; plan, cache; decide;
// journal, registry; outcome; observe; planner; execute, planfile, targets,
// undo.
mod cache;
mod challenge;
mod decide;
mod error;
mod execute;
mod images;
pub mod journal;
mod manifest;
mod observe;
mod outcome;
mod pattern;
mod plan;
mod planfile;
mod planner;
mod policy;
mod reason;
mod registry;
mod stop;
mod target;
mod targets;
pub mod undo;

pub use cache::{DEFAULT_MAX_BYTES, ManifestCache};
pub use decide::decide;
pub use error::{Error, Result};
pub use execute::{Executor, MAX_SAME_FAILURES, Work};
pub use images::{Images, Manifest, Part, PartRole, ReferrerKind, referrer_tag};
pub use observe::{Observer, Phase, Quiet};
pub use outcome::{Doomed, Failed, Halt, PackageOutcome, RunOutcome, SkipReason, Skipped};
pub use pattern::{PatternError, PatternKind, TagPattern};
pub use plan::{Action, Entry, Plan, Warning};
pub use planfile::{FORMAT as PLAN_FORMAT, PlanFile, PlannedPackage, VERSION as PLAN_VERSION};
pub use planner::{
    DEFAULT_MANIFEST_READS, DEFAULT_PACKAGES_AT_ONCE, PackagePlan, Planner, Problem,
};
pub use policy::{AgeFrom, Policy, PolicyError};
pub use reason::{Criterion, Reason};
pub use registry::{GHCR, Registry};
pub use stop::Stop;
pub use target::{OwnerKind, OwnerRef, Target};
pub use targets::{PackagePattern, resolve};
pub use undo::normalized;
