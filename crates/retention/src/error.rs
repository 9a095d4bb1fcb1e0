//! What can stop the engine before it has a result. Failures of single
//! versions are not errors: they are outcomes, reported with the rest.

use std::fmt;
use std::path::PathBuf;

/// Why planning, deleting or undoing could not go on.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The client library's error (listing a package failed, say); its
    /// message says what to do.
    Api(github_packages::Error),
    /// A container package needs its registry read to protect multi-arch
    /// images, and no registry was given for an API whose registry is not
    /// known (a GitHub Enterprise Server's `https://containers.HOST`).
    RegistryNeeded {
        /// The API the plan is made against.
        api_url: String,
    },
    /// A journal could not be read or written; without it there is no undo.
    Journal {
        /// The journal.
        path: PathBuf,
        /// What went wrong, with the path.
        problem: String,
    },
    /// A plan file could not be read, or is not one this engine applies.
    PlanFile {
        /// The plan file.
        path: PathBuf,
        /// What went wrong, with the path.
        problem: String,
    },
    /// Which packages to work on could not be settled: a named package does
    /// not exist, a glob matches nothing, or the owner's packages cannot be
    /// listed with this token. Nothing was deleted.
    Targets(String),
    /// A journal or plan was made against another API than the client's.
    OtherApi {
        /// The API the file names.
        recorded: String,
        /// The client's.
        client: String,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Api(e) => e.fmt(f),
            Error::RegistryNeeded { api_url } => write!(
                f,
                "{api_url} is not GitHub.com, whose registry is ghcr.io, so the registry to read \
                 image indexes from must be given (GitHub Enterprise Server serves it at \
                 https://containers.HOST); without it multi-arch images cannot be protected"
            ),
            Error::Journal { problem, .. } | Error::PlanFile { problem, .. } => {
                f.write_str(problem)
            }
            Error::Targets(problem) => f.write_str(problem),
            Error::OtherApi { recorded, client } => write!(
                f,
                "it was written against {recorded}, not {client}; refusing to send requests \
                 elsewhere"
            ),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Api(e) => Some(e),
            _ => None,
        }
    }
}

impl From<github_packages::Error> for Error {
    fn from(e: github_packages::Error) -> Self {
        Error::Api(e)
    }
}

/// The engine's results.
pub type Result<T, E = Error> = std::result::Result<T, E>;
