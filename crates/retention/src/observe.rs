//! Progress as events: the engine says what it is doing, a tool shows it
//! (a progress bar on a terminal) or not. Every method has a default that
//! does nothing, so an observer implements only what it shows.

use std::path::Path;

use crate::journal::Fragment;
use crate::outcome::PackageOutcome;

/// A stretch of work whose progress can be shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Phase {
    /// Planning several packages at once, a step per package.
    Planning,
    /// Listing a package's versions, a page at a time (total unknown).
    Listing,
    /// Reading manifests from the registry.
    ReadingManifests,
    /// Deleting planned versions.
    Deleting,
    /// Restoring versions from a journal.
    Restoring,
}

/// Receives the engine's progress. Calls may come from several tasks at
/// once when packages are worked on concurrently.
pub trait Observer: Send + Sync {
    /// `phase` started, with `total` steps when known.
    fn started(&self, phase: Phase, total: Option<usize>) {
        let _ = (phase, total);
    }

    /// `phase` turned out `more` steps longer.
    fn grew(&self, phase: Phase, more: usize) {
        let _ = (phase, more);
    }

    /// `n` steps of `phase` are done.
    fn advanced(&self, phase: Phase, n: usize) {
        let _ = (phase, n);
    }

    /// `phase` ended.
    fn finished(&self, phase: Phase) {
        let _ = phase;
    }

    /// The journal of a run is open at `path`; `fragments` are records a
    /// crash cut short in it earlier, skipped.
    fn journal_opened(&self, path: &Path, fragments: &[Fragment]) {
        let _ = (path, fragments);
    }

    /// The deletes of one package are over.
    fn package_finished(&self, outcome: &PackageOutcome) {
        let _ = outcome;
    }
}

/// An observer that shows nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Quiet;

impl Observer for Quiet {}
