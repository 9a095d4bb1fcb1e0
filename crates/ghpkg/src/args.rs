//! Command-line arguments (clap derive). The help text is the manual: the
//! prune policy and every `--json` shape are documented here.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use github_packages::{PackageType, Scope, VersionState, Visibility};

use github_packages_retention::{PackagePattern, TagPattern};

use crate::duration;
use crate::names::{VersionSpec, version_spec};

const ABOUT: &str = "Inspect GitHub Packages and prune old versions safely";

const LONG_ABOUT: &str = "\
Inspect GitHub Packages and prune old versions safely.

The token comes from GITHUB_TOKEN, else GH_TOKEN, else standard input with
--token-stdin. GitHub's packages API takes a personal access token (classic):
read:packages to read, plus delete:packages to delete, or write:packages to
restore. Commands that write (prune --yes, delete, restore, undo) and --me
refuse to start without a token (exit 2). The package token `restore` may need for a whole package is best
given in GHPKG_RESTORE_TOKEN: --token puts it on the command line, where
other users (ps) and shell history see it.

Exit codes: 0 success; 1 failure or partial failure (what failed is listed,
and a prune's journal has the rest); 2 bad usage (a flag, URL, owner,
pattern or duration ghpkg cannot use, or a missing token), before any
request is sent; 130 interrupted (Ctrl-C or SIGTERM).

If the reader of stdout goes away (`ghpkg ... | head`), ghpkg stops quietly
with exit 0, except a run that deletes or restores (prune --yes, apply
--yes, undo): it finishes what it was told to do (Ctrl-C stops it, not the
reader), reports the outcome on stderr, in the journal and in the job
summary, and exits as the run went.

Durations: a number and a unit, as in 500ms, 90s, 1.5s, 1h30m, 30d, 2w.

Rate limits: when GitHub says when to come back, ghpkg waits up to
--max-rate-limit-wait (default 90s) and then gives up with the reset time;
raise it to let a long prune wait out the limit.

With --json every command prints one JSON document on stdout:
  list, conflicts  an array of packages as GitHub returns them
  versions         an array of versions as GitHub returns them
  get              one package, or one version with --version
  delete           {\"deleted\": true, \"package_type\", \"package\", \"version\": id|null}
                   and \"parts\": [id, ...] when --with-parts deleted some
  restore          {\"restored\": true, \"package_type\", \"package\", \"version\": id|null}
                   or, for a version that is active, {\"restored\": false,
                   \"already_active\": true, ...}
  prune            see `ghpkg prune --help`
  undo             see `ghpkg undo --help`
An error that stops a command before it has a result leaves stdout empty;
errors and progress always go to stderr.";

#[derive(Debug, Parser)]
#[command(name = "ghpkg", version, about = ABOUT, long_about = LONG_ABOUT)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: Global,
    #[command(subcommand)]
    pub(crate) command: Command,
    /// The command line as given (set after parsing), for the command that
    /// continues an interrupted run.
    #[arg(skip)]
    pub(crate) command_line: Vec<String>,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub(crate) struct Global {
    /// REST API root (default: `https://api.github.com`, or GITHUB_API_URL).
    ///
    /// `https://HOST/api/v3` for GitHub Enterprise Server. GITHUB_API_URL
    /// (which GitHub Actions sets) is used when --api-url is not given.
    #[arg(long, global = true, value_name = "URL", value_parser = api_url)]
    pub(crate) api_url: Option<String>,

    /// Read the token from standard input's first line.
    ///
    /// Instead of GITHUB_TOKEN or GH_TOKEN.
    #[arg(long, global = true)]
    pub(crate) token_stdin: bool,

    /// Print one JSON document instead of tables (shapes: `ghpkg --help`).
    #[arg(long, global = true)]
    pub(crate) json: bool,

    /// Log requests to stderr (-v: debug, -vv: trace).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub(crate) verbose: u8,

    /// Minimum spacing between deletes and restores; 0 disables.
    ///
    /// GitHub asks for a second between writes.
    #[arg(long, global = true, value_name = "DURATION", default_value = "1s",
          value_parser = duration::parse)]
    pub(crate) write_interval: Duration,

    /// Request budget per minute; 0 disables.
    ///
    /// GET costs 1 point, DELETE and POST 5, per GitHub's secondary rate
    /// limit guidance.
    #[arg(long, global = true, value_name = "N", default_value_t = 900)]
    pub(crate) points_per_minute: u32,

    /// Retries of a request that met a network error or a 5xx.
    #[arg(long, global = true, value_name = "N", default_value_t = 3)]
    pub(crate) max_retries: u32,

    /// Longest wait for a rate limit to reset; 0 gives up at once.
    ///
    /// A duration such as 90s, 15m or 1h; past it ghpkg gives up with the
    /// reset time.
    #[arg(long, global = true, value_name = "DURATION", default_value = "90s",
          value_parser = duration::parse)]
    pub(crate) max_rate_limit_wait: Duration,
}

impl Global {
    /// The API URL: --api-url, else GITHUB_API_URL (empty means unset),
    /// else GitHub.com's (set after parsing).
    pub(crate) fn api_url(&self) -> &str {
        self.api_url
            .as_deref()
            .filter(|url| !url.trim().is_empty())
            .unwrap_or(github_packages::DEFAULT_BASE_URL)
    }
}

/// The command line's definition, built (so usage lines read `ghpkg prune
/// ...`), with the client flags hidden where they do not apply.
pub(crate) fn command() -> clap::Command {
    let command = Cli::command();
    // A subcommand that has an argument of a global's id does not get the
    // global: these copies are hidden, and must be added before building.
    let hidden = |demo: bool| -> Vec<clap::Arg> {
        let ids: Vec<&str> = client_flags(demo).iter().map(|(id, _)| *id).collect();
        command
            .get_arguments()
            .filter(|a| ids.contains(&a.get_id().as_str()))
            .map(|a| a.clone().hide(true))
            .collect()
    };
    let (demo, serve) = (hidden(true), hidden(false));
    let mut command = command
        .mut_subcommand("demo", |sub| sub.args(demo))
        .mut_subcommand("fake", |fake| {
            fake.mut_subcommand("serve", |sub| sub.args(serve))
        });
    command.build();
    command
}

/// The global flags `demo` (`demo`: true) or `fake serve` do not use: the
/// client's settings, and for the demo `--json` (it prints a walk-through).
pub(crate) fn client_flags(demo: bool) -> Vec<(&'static str, &'static str)> {
    let mut flags = vec![
        ("api_url", "--api-url"),
        ("token_stdin", "--token-stdin"),
        ("write_interval", "--write-interval"),
        ("points_per_minute", "--points-per-minute"),
        ("max_retries", "--max-retries"),
        ("max_rate_limit_wait", "--max-rate-limit-wait"),
    ];
    if demo {
        flags.push(("json", "--json"));
    }
    flags
}

/// Whose packages: exactly one of --org, --user, --me, or the owner of an
/// image reference given as the package (checked after parsing).
#[derive(Debug, Clone, Args)]
#[group(id = "owner", required = false, multiple = false)]
pub(crate) struct Owner {
    /// An organization.
    #[arg(long, value_name = "ORG", value_parser = login)]
    pub(crate) org: Option<String>,
    /// A user account.
    #[arg(long, value_name = "USER", value_parser = login)]
    pub(crate) user: Option<String>,
    /// The user the token belongs to.
    #[arg(long)]
    pub(crate) me: bool,
    /// The owner an image reference named, organization or user (set after
    /// parsing).
    #[arg(skip)]
    pub(crate) reference: Option<String>,
}

impl Owner {
    /// Whether none of --org, --user, --me was given.
    pub(crate) fn is_unset(&self) -> bool {
        self.org.is_none() && self.user.is_none() && !self.me
    }

    pub(crate) fn scope(&self) -> Scope {
        match (&self.org, &self.user) {
            (Some(org), _) => Scope::org(org.clone()),
            (_, Some(user)) => Scope::user(user.clone()),
            _ => Scope::AuthenticatedUser,
        }
    }
}

/// Package types, as GitHub names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Kind {
    Container,
    Docker,
    Npm,
    Maven,
    Rubygems,
    Nuget,
}

impl Kind {
    pub(crate) const ALL: [Kind; 6] = [
        Kind::Container,
        Kind::Docker,
        Kind::Npm,
        Kind::Maven,
        Kind::Rubygems,
        Kind::Nuget,
    ];
}

impl From<Kind> for PackageType {
    fn from(kind: Kind) -> PackageType {
        match kind {
            Kind::Container => PackageType::Container,
            Kind::Docker => PackageType::Docker,
            Kind::Npm => PackageType::Npm,
            Kind::Maven => PackageType::Maven,
            Kind::Rubygems => PackageType::Rubygems,
            Kind::Nuget => PackageType::Nuget,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum State {
    Active,
    Deleted,
}

impl From<State> for VersionState {
    fn from(state: State) -> VersionState {
        match state {
            State::Active => VersionState::Active,
            State::Deleted => VersionState::Deleted,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum Vis {
    Public,
    Private,
    Internal,
}

impl From<Vis> for Visibility {
    fn from(v: Vis) -> Visibility {
        match v {
            Vis::Public => Visibility::Public,
            Vis::Private => Visibility::Private,
            Vis::Internal => Visibility::Internal,
        }
    }
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// List packages (every type unless --type).
    List {
        #[command(flatten)]
        owner: Owner,
        /// Only packages of this type.
        #[arg(long = "type", value_name = "TYPE")]
        kind: Option<Kind>,
        /// Only packages with this visibility.
        #[arg(long)]
        visibility: Option<Vis>,
    },
    /// List a package's versions.
    Versions {
        #[command(flatten)]
        target: Target,
        /// Active versions (GitHub's default) or deleted ones still restorable.
        #[arg(long)]
        state: Option<State>,
        /// Only versions with a tag matching GLOB (repeatable; the whole tag
        /// must match, as prune's --tag).
        #[arg(long = "tag", value_name = "GLOB", value_parser = tag_glob)]
        tags: Vec<TagPattern>,
    },
    /// Show a package, or one version of it.
    Get {
        #[command(flatten)]
        target: Target,
        /// One version instead of the whole package: its id, a tag, or its
        /// name (a container's digest, an npm version).
        #[arg(long = "version", value_name = "ID|TAG|DIGEST", value_parser = version_spec)]
        version: Option<VersionSpec>,
    },
    /// Delete a package (every version), or one version. Restorable for 30 days.
    ///
    /// Asks for confirmation on a terminal; elsewhere --yes is required. A
    /// multi-arch image index is deleted alone unless --with-parts: its
    /// platform images and attestations are named, and on a terminal the
    /// question is asked.
    Delete {
        #[command(flatten)]
        target: Target,
        /// Delete this version only: its id, a tag, or its name (a
        /// container's digest, an npm version).
        #[arg(long = "version", value_name = "ID|TAG|DIGEST", value_parser = version_spec)]
        version: Option<VersionSpec>,
        /// With --version of a multi-arch image index, also delete its
        /// platform images, attestations and signatures (those no other
        /// image uses).
        #[arg(long, requires = "version")]
        with_parts: bool,
        /// Do not ask for confirmation.
        #[arg(short, long)]
        yes: bool,
    },
    /// Restore a package or version deleted in the last 30 days.
    Restore {
        #[command(flatten)]
        target: Target,
        /// Restore this version only: its id, a tag, or its name (a
        /// container's digest, an npm version).
        #[arg(long = "version", value_name = "ID|TAG|DIGEST", value_parser = version_spec)]
        version: Option<VersionSpec>,
        /// The package token GitHub may ask for to restore a whole package.
        /// Prefer the environment variable: a command-line argument is
        /// visible to other users of the machine (ps) and lands in shell
        /// history. Ignored with --version.
        #[arg(
            long,
            value_name = "TOKEN",
            env = "GHPKG_RESTORE_TOKEN",
            hide_env_values = true,
            value_parser = secret
        )]
        token: Option<Secret>,
    },
    /// List packages that could not be migrated from the Docker registry.
    Conflicts {
        #[command(flatten)]
        owner: Owner,
    },
    #[command(long_about = PRUNE_HELP, after_help = PRUNE_POINTER, after_long_help = PRUNE_AFTER)]
    /// Delete old versions by a retention policy (a dry run unless --yes).
    Prune(Box<PruneArgs>),
    /// Delete exactly the versions a plan file (prune --plan-out) plans to
    /// delete.
    #[command(long_about = APPLY_HELP)]
    Apply(Box<ApplyArgs>),
    /// Restore every version a prune journal records as deleted.
    #[command(long_about = UNDO_HELP)]
    Undo {
        /// The journal a prune wrote.
        journal: PathBuf,
        /// List what would be restored; restore nothing.
        #[arg(long)]
        dry_run: bool,
        /// Where --api-url came from (set after parsing): only a default
        /// gives way to the journal's API URL.
        #[arg(skip)]
        api_url_source: Option<clap::parser::ValueSource>,
    },
    /// Show the main job on a fake GitHub in this process: list, prune, undo.
    #[command(long_about = DEMO_HELP)]
    Demo(DemoArgs),
    /// A fake GitHub packages API and registry, for testing other tools.
    #[command(subcommand)]
    Fake(FakeCommand),
}

const DEMO_HELP: &str = "\
Show the main job on a fake GitHub started in this process: list the
packages, a prune dry run, the prune, the state after it, undo, the state
after the undo, and a check that the undo restored exactly what the prune
deleted (exit 1 if not).

Nothing leaves the machine and no token is needed: the fake
(github_packages::fake) listens on 127.0.0.1 and mints its own token. Each
step is a ghpkg command line, run by the same code as when you type it,
with --api-url pointing at the fake and no write pacing; the token and API
URL of your environment are not used. The fake reads the system clock, as
ghpkg does, so the ages --older-than sees are real. The journal goes to a
temporary directory that is removed at the end.

The fake starts with sample data: organization acme with packages of every
type, among them the container package app with about 300 versions over 90
days (multi-arch releases with attestations and signatures, `latest`, PR
builds, main-branch builds, untagged builds). --seed picks another sample.";

/// `ghpkg demo`.
#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// Seed of the fake's sample data.
    #[arg(long, value_name = "S", default_value_t = 0)]
    pub(crate) seed: u64,
}

/// `ghpkg fake ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum FakeCommand {
    /// Serve a fake GitHub on 127.0.0.1 until Ctrl-C, printing its URL and a
    /// token.
    #[command(long_about = SERVE_HELP)]
    Serve(ServeArgs),
}

const SERVE_HELP: &str = "\
Serve a fake GitHub packages API and container registry on 127.0.0.1 until
Ctrl-C (or SIGTERM), for testing any tool, in any language, without
touching real packages.

It prints the API URL (the registry is at the same URL, under /v2/), a
personal access token (classic) with read:packages, write:packages and
delete:packages, and how to use them; with --json, one JSON line instead:
  {\"api_url\", \"registry_url\", \"token\", \"scopes\": [..], \"port\", \"seed\"}
ghpkg needs no --registry-url for it: with an API on loopback, the API's
own origin is the registry.

The fake keeps state (deletes and restores stick, for 30 days), applies
GitHub's rules (the last version of a package cannot be deleted, scopes,
pagination) and GitHub's rate limits unless --without-rate-limits. It
answers `internal` visibility as GitHub does, unless
--no-internal-visibility. It listens on loopback only: other machines
cannot reach it.

Example:
  ghpkg fake serve --port 8090 &
  export GITHUB_TOKEN=...    # as printed
  ghpkg --api-url http://127.0.0.1:8090 list --org acme
  ghpkg --api-url http://127.0.0.1:8090 prune container app --org acme --keep-last 10 --untagged";

/// `ghpkg fake serve`.
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Port on 127.0.0.1; 0 picks a free one (printed).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub(crate) port: u16,
    /// Seed of the sample data, tokens and digests: the same seed serves
    /// the same data.
    #[arg(long, value_name = "S", default_value_t = 0)]
    pub(crate) seed: u64,
    /// Start with the sample packages (as `ghpkg demo` does); false starts
    /// with none.
    #[arg(long, value_name = "BOOL", default_value_t = true, num_args = 0..=1,
          default_missing_value = "true", action = clap::ArgAction::Set)]
    pub(crate) sample_data: bool,
    /// No primary or secondary rate limit and no cap on concurrent
    /// requests (by default they are GitHub's).
    #[arg(long)]
    pub(crate) without_rate_limits: bool,
    /// Say `private` where GitHub says `internal`.
    ///
    /// GitHub answers `internal` for a package visible to an enterprise's
    /// members, a value its published API description does not allow;
    /// clients typed strictly from that description (octokit's types among
    /// them) refuse it.
    #[arg(long)]
    pub(crate) no_internal_visibility: bool,
}

/// A secret from the command line or the environment, never shown by
/// `Debug`.
#[derive(Clone)]
pub(crate) struct Secret(pub(crate) String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

fn secret(input: &str) -> Result<Secret, String> {
    Ok(Secret(input.to_owned()))
}

/// `ghpkg apply`.
#[derive(Debug, Args)]
pub(crate) struct ApplyArgs {
    /// The plan file `ghpkg prune --plan-out` wrote.
    #[arg(value_name = "PLAN")]
    pub(crate) plan: PathBuf,
    /// Print what would be deleted and delete nothing: the default without
    /// --yes.
    #[arg(long, conflicts_with = "yes")]
    pub(crate) dry_run: bool,
    /// Delete for real; without it, print what would be deleted.
    #[arg(short, long)]
    pub(crate) yes: bool,
    /// Refuse a plan made longer ago than this (default 24h).
    #[arg(long, value_name = "DURATION", default_value = "24h",
          value_parser = duration::parse_positive)]
    pub(crate) max_plan_age: Duration,
    /// Journal file to write (and continue); default
    /// ghpkg-journal-OWNER-PACKAGES-TIME.jsonl in the current directory.
    #[arg(long, value_name = "PATH")]
    pub(crate) journal: Option<PathBuf>,
    /// Where --api-url came from (set after parsing): only a default gives
    /// way to the plan's API URL.
    #[arg(skip)]
    pub(crate) api_url_source: Option<clap::parser::ValueSource>,
}

const APPLY_HELP: &str = "\
Delete exactly the versions a plan file plans to delete.

`ghpkg prune ... --plan-out plan.json` writes a plan and deletes nothing;
after a person (or a review step) has read it, `ghpkg apply plan.json --yes`
deletes the versions it marks `delete`, oldest first, paced like a prune,
with a journal that `ghpkg undo` restores from. Before each delete the
version is read again: one whose tags changed since the plan, or that is
already gone, is skipped. Nothing the plan does not mark is deleted, and the
policy is not applied again.

A plan older than --max-plan-age (default 24h) is refused: the registry has
moved on since. The owner and packages come from the plan, but never the
host: apply talks to --api-url (or GITHUB_API_URL, or GitHub.com), which
must be the API the plan was made against (exit 2 otherwise), so an edited
plan cannot send your token elsewhere. A plan that refused its deletes
(an --exclude-tag matching nothing) is written without them. Without --yes, apply prints what it would delete.

The plan format is documented in the README (`\"format\": \"ghpkg-plan\"`,
`\"version\": 1`); apply refuses any other version.";

/// A package: its type, name and owner.
#[derive(Debug, Clone, Args)]
pub(crate) struct Target {
    /// Package type.
    #[arg(value_name = "TYPE")]
    pub(crate) kind: Kind,
    /// Package name, or an image reference `ghcr.io/OWNER/NAME[:TAG|@DIGEST]`
    /// (the owner, and the version, from it).
    #[arg(value_name = "NAME")]
    pub(crate) name: String,
    #[command(flatten)]
    pub(crate) owner: Owner,
}

const PRUNE_HELP: &str = "\
Delete old versions of packages by a retention policy.

Which packages: NAME, or --package NAME|GLOB (repeatable; a glob such as
'app-*' picks every listed package it matches, * within one /-part of a
name, ** across), or --all-packages (every package of TYPE). Named packages
must exist (checked before anything is planned). Listing packages needs a
personal access token: a workflow's GITHUB_TOKEN cannot list them, so name
packages with it. Each package is planned and reported on its own; one
journal covers the run; a package that fails does not stop the others.

Without --yes (or with --dry-run, which says so) this is a dry run: it
prints each plan (every active version, DELETE or KEEP, and why) and
deletes nothing. --plan-out FILE writes the
plans to FILE for `ghpkg apply FILE --yes`. With --yes it prints a summary
line and the versions it deletes (--show-kept adds the kept ones), then what
happened to each version that was not simply deleted.

The policy. Containers first: ghpkg reads the registry to learn which
versions are images and which belong to one (the platform images,
attestations and nested indexes an image index lists; signatures,
attestations and SBOMs, by a sha256-<hex>[.sig|.att|.sbom] tag or by the
manifest's subject). Only images are decided by the rules; the rest follow
what they belong to: kept while anything kept references them, deleted with
it (only after its own delete succeeded). Every manifest whose answer can
change the plan is read, --manifest-reads at a time (default 32), each
digest once, and kept in the manifest cache (--manifest-cache DIR,
--no-manifest-cache), since a manifest never changes and every read counts
as a download. If the registry cannot be read, nothing is deleted (exit 1)
unless --no-registry-check. The registry is https://ghcr.io for GitHub.com
and the API's own origin for a loopback API; for GitHub Enterprise Server
pass --registry-url (exit 2 without it), so the token is not sent to
ghcr.io.

  Protection (a protected version is kept, with what it owns):
    --exclude-tag GLOB, --exclude-tag-regex REGEX   any tag matches. A
                        pattern that matches no tag of any listed version is
                        reported, and stops a prune with --yes unless
                        --allow-unmatched-exclude
    --exclude-version-name GLOB, --exclude-version-name-regex REGEX
                        the version name matches (npm, Maven, ... versions;
                        digests for containers)
    --exclude-digest D  this digest
    --keep-last N       the N newest images (by created_at, then id)
    --keep-tagged N     the N newest tagged images
    --keep-untagged N   the N newest untagged images
                        Keep counts count images: never a part, a referrer
                        or an excluded version. The N newest are kept
                        whatever their age. --age-from updated counts from
                        updated_at instead of created_at.

  Explicit deletions (ahead of the keep counts; exclusions still protect):
    --digest D                    this image, with its parts and referrers
    --delete-ghost-images         indexes none of whose parts are here
    --delete-partial-images       indexes some of whose parts are missing
    --delete-orphaned-referrers   referrers whose subject is not here

  Selection. Tagged and untagged images each follow their own rules:
    tagged images       --keep-tagged N (beyond the N newest) and --tag GLOB
                        / --tag-regex REGEX (every tag must match: deleting a
                        version deletes all its tags)
    untagged images     --keep-untagged N (beyond the N newest) and
                        --untagged
  A kind no rule names is kept, unless neither kind is named (then
  --keep-last, --older-than and --version-name decide for both). Rules for
  both kinds delete the union: --keep-tagged 10 --untagged deletes tagged
  images beyond the 10 newest AND every untagged image. Within a kind every
  given criterion must hold, with --keep-last N (beyond the N newest
  images), --older-than D (30d, 12h, 2w; not zero) and --version-name GLOB /
  --version-name-regex REGEX.

  At least one rule or explicit deletion is required: a prune without any
  would delete everything (exclusions only protect).

  Tags, digests and images exist only for container and docker versions in
  GitHub's API: the tag, digest and image flags and --keep-tagged are
  refused (exit 2) for npm, maven, nuget and rubygems packages; use
  --keep-last, --keep-untagged, --older-than and --version-name there.

  Globs (globset): * matches any run of characters, ? exactly one,
  [0-9] a class, [!a] a negated class, {a,b} either, \\* a literal *; the
  whole tag must match, case-sensitively. Regexes (the regex crate) match
  anywhere in the tag, as in the clean-up actions: anchor them (^v[0-9]+$)
  to match the whole tag. An invalid or empty pattern is exit 2.

Safety:
  --max-delete N   refuse (exit 1, nothing deleted) if the run deletes more;
                   a dry run reports the refusal the same way
  --yes            delete the planned versions, oldest first, paced by
                   --write-interval; nothing outside the plan is deleted.
                   Right before its delete each version is read again; one
                   that changed since the plan (tags added, removed or
                   changed, or deleted) is skipped, listed, and not counted
                   as a failure
  --journal PATH   (with --yes) before each delete an `intent` record is
                   flushed to this JSON-lines file, after it `deleted`,
                   `gone` or `failed`; a skipped version gets a `skipped`
                   record. Default: ghpkg-journal-OWNER-PACKAGE-TIME.jsonl
                   in the current directory. `ghpkg undo PATH` restores what
                   it records, at the API it names; running the same prune
                   with the same journal continues it, also after a crash
                   cut its last record short.

A DELETE answered with 404 means the version is already gone (a retried
request whose first answer was lost, or someone else): it is listed as
`gone`, not as a failure, and `undo` still tries to restore it. A failed
delete of one version (422 such as GitHub refusing to delete the last tagged
version) is reported and the package goes on, unless 5 deletes in a row
fail the same way; a 5xx after retries stops that package; the token, the
network or a rate limit that outlasts --max-rate-limit-wait stops the run.
Either way exit 1, with the rest listed as not attempted.

Under GitHub Actions (GITHUB_STEP_SUMMARY, GITHUB_OUTPUT set) a job summary
and the outputs deleted-count, failed-count, planned-count, journal and plan
are written.

Not detected: a new multi-arch image pushed during the prune that reuses a
platform manifest planned for deletion (its index is not read again).";

/// Where the rules are explained, for `prune -h` (and the end of `--help`).
const PRUNE_POINTER: &str = "\
How the rules combine, and the safety checks: `ghpkg prune --help`. Rule by
rule, with what other clean-up tools do differently: the tables under
\"Prune: the retention policy\" in ghpkg's README (README.md).";

const PRUNE_AFTER: &str = "\
Rule by rule, with what other clean-up tools do differently: the tables
under \"Prune: the retention policy\" in ghpkg's README (README.md).

JSON output (--json), version 3 (also `ghpkg apply`):
  {
    \"version\": 3,
    \"dry_run\": true,
    \"packages\": [{
      \"package\": {\"owner\": \"acme\" | null, \"type\": \"container\", \"name\": \"app\"},
      \"listed_at\": \"2025-01-01T00:00:00Z\" | null,
      \"plan\": [{\"id\": 1, \"name\": \"sha256:…\", \"tags\": [\"v1\"],
                \"created_at\": \"2025-01-01T00:00:00Z\", \"updated_at\": \"…\",
                \"action\": \"delete\" | \"keep\", \"reason\": {\"code\": \"…\", …}}],
      \"deleted\": [{\"id\", \"name\", \"tags\"}],
      \"gone\": [{\"id\", \"name\", \"tags\"}],
      \"skipped\": [{\"id\", \"name\", \"tags\", \"reason\": {\"code\", …}}],
      \"failed\": [{\"id\", \"name\", \"tags\", \"error\"}],
      \"not_attempted\": [{\"id\", \"name\", \"tags\"}],
      \"warnings\": [{\"code\": \"…\", \"message\": \"…\", …}],
      \"error\": \"why this package failed or was refused\" | null
    }],
    \"journal\": \"path\" | null,
    \"plan_file\": \"path\" | null,
    \"warnings\": [{\"code\", \"message\", …}]   (about the run as a whole),
    \"error\": \"why the run failed, was refused or interrupted\" | null
  }
The reason, skip and warning codes are listed in the README (\"Reason
codes\"). Each plan lists every active version, newest first.

Examples:
  ghpkg prune container app --org acme --keep-tagged 10 --untagged --older-than 2w
  ghpkg prune container --org acme --package 'app*' --keep-untagged 0 --yes
  ghpkg prune container --org acme --all-packages --package '!worker' --keep-tagged 20 --plan-out plan.json
  ghpkg apply plan.json --yes
  ghpkg undo ghpkg-journal-acme-app-20250601T120000Z.jsonl";

const UNDO_HELP: &str = "\
Restore every version a prune journal records as deleted (or about to be
deleted) and not yet undone; GitHub keeps deleted versions for 30 days.

Where: the owner, package and API URL come from the journal's header, so
the undo command ghpkg prints works as printed, on GitHub.com or GitHub
Enterprise Server, without --api-url. An --api-url on the command line, or
GITHUB_API_URL (which GitHub Actions always sets), says where your token
belongs and must match the journal's (exit 2 otherwise; pass --api-url
with the journal's URL to confirm it), so a journal cannot take a token
meant for one API to another. With neither, the journal decides: undo only
journals you trust, and note the URL undo names on stderr.

Each version undo settles gets an `undone` record, so running undo again
only retries what is left, and an undo stopped half-way converges. When
GitHub will not restore a version (404 or 422), undo reads it:
  - active, after a confirmed delete: listed as already active, not as a
    failure (an earlier undo restored it and was stopped before recording
    so, or someone restored it by hand);
  - never confirmed deleted (the journal only saw an intent, or the DELETE
    answered 404), and active or refused with 422: listed as not deleted.
    If both the restore and the read answer 404 it is listed the same way
    but not recorded, as it may only mean the token cannot see the
    version: a later undo with another token tries again;
  - still deleted, or a confirmed delete the read cannot find: a failure
    (exit 1), saying which.
Versions the prune skipped are ignored.

A journal a crash cut short (disk full, a file size limit, power loss)
still undoes: a record cut short is skipped with a warning naming its line
and length, and costs nothing, since each `intent` is on disk before its
DELETE is sent. Any other line that is not a record is refused, naming it.

JSON output (--json):
  {\"dry_run\": false,
   \"restored\": [{\"id\", \"name\", \"tags\"}],
   \"already_active\": [{\"id\", \"name\", \"tags\"}],
   \"not_deleted\": [{\"id\", \"name\", \"tags\"}],
   \"failed\": [{\"id\", \"name\", \"tags\", \"error\"}],
   \"would_restore\": [{\"id\", \"name\", \"tags\"}]   (with --dry-run)}
Each entry also has \"package\" when the journal covers several packages.";

#[derive(Debug, Args)]
pub(crate) struct PruneArgs {
    /// Package type.
    #[arg(value_name = "TYPE")]
    pub(crate) kind: Kind,
    /// The package to prune (or --package / --all-packages), or its image
    /// reference ghcr.io/OWNER/NAME.
    #[arg(value_name = "NAME", required_unless_present_any = ["packages", "all_packages"],
          conflicts_with_all = ["packages", "all_packages"])]
    pub(crate) name: Option<String>,
    #[command(flatten, next_help_heading = "What to prune")]
    pub(crate) owner: Owner,

    /// A package to prune, or a glob of them (repeatable).
    ///
    /// A glob (`app-*`, `team/**`) picks every listed package it matches,
    /// where `*` stays within one `/` part; `!GLOB` leaves out the packages
    /// it matches (`--package 'app-*' --package '!app-legacy'`, or with
    /// --all-packages).
    #[arg(long = "package", value_name = "NAME|GLOB", value_parser = package_pattern,
          help_heading = "What to prune")]
    pub(crate) packages: Vec<PackagePattern>,

    /// Prune every package of TYPE the owner has.
    ///
    /// The packages are listed through the API, which needs a personal
    /// access token (classic): a workflow's GITHUB_TOKEN cannot list them.
    #[arg(long, help_heading = "What to prune")]
    pub(crate) all_packages: bool,

    /// Keep the N newest images (N at least 1).
    #[arg(long, value_name = "N", value_parser = keep_count, help_heading = "What to keep")]
    pub(crate) keep_last: Option<u64>,

    /// Keep the N newest tagged images.
    ///
    /// Versions kept by an exclusion, and the parts of kept images, are not
    /// counted.
    #[arg(long, value_name = "N", value_parser = keep_count_or_zero, help_heading = "What to keep")]
    pub(crate) keep_tagged: Option<u64>,

    /// Keep the N newest untagged images; 0 selects every untagged one.
    ///
    /// The parts of kept images are not counted.
    #[arg(long, value_name = "N", value_parser = keep_count_or_zero, help_heading = "What to keep")]
    pub(crate) keep_untagged: Option<u64>,

    /// Never delete a version with a tag matching GLOB (repeatable).
    #[arg(long = "exclude-tag", value_name = "GLOB", value_parser = tag_glob,
          help_heading = "What to keep")]
    pub(crate) exclude_tags: Vec<TagPattern>,

    /// Never delete a version with a tag matching REGEX anywhere (repeatable).
    #[arg(long = "exclude-tag-regex", value_name = "REGEX", value_parser = tag_regex,
          help_heading = "What to keep")]
    pub(crate) exclude_tag_regexes: Vec<TagPattern>,

    /// Never delete a version whose name matches GLOB (repeatable).
    #[arg(long = "exclude-version-name", value_name = "GLOB", value_parser = tag_glob,
          help_heading = "What to keep")]
    pub(crate) exclude_version_names: Vec<TagPattern>,

    /// Never delete a version whose name matches REGEX anywhere (repeatable).
    #[arg(long = "exclude-version-name-regex", value_name = "REGEX", value_parser = tag_regex,
          help_heading = "What to keep")]
    pub(crate) exclude_version_name_regexes: Vec<TagPattern>,

    /// Never delete the version with this digest, nor its parts (repeatable).
    #[arg(long = "exclude-digest", value_name = "DIGEST", value_parser = digest,
          help_heading = "What to keep")]
    pub(crate) exclude_digests: Vec<String>,

    /// Count ages and "newest" from `created` or `updated`.
    ///
    /// With `updated`, a version tagged again recently counts as new.
    #[arg(
        long,
        value_name = "WHICH",
        default_value = "created",
        help_heading = "What to keep"
    )]
    pub(crate) age_from: AgeBasis,

    /// Only delete versions older than this (30d, 12h, 2w; not zero).
    #[arg(long, value_name = "DURATION", value_parser = duration::parse_age,
          help_heading = "What to delete")]
    pub(crate) older_than: Option<Duration>,

    /// Only delete untagged images (or, with --tag, also tag matches).
    #[arg(long, help_heading = "What to delete")]
    pub(crate) untagged: bool,

    /// Only delete versions whose every tag matches GLOB (repeatable).
    ///
    /// Deleting a version deletes all its tags, so a version with a tag no
    /// pattern matches is kept.
    #[arg(long = "tag", value_name = "GLOB", value_parser = tag_glob,
          help_heading = "What to delete")]
    pub(crate) tags: Vec<TagPattern>,

    /// Only delete versions whose every tag matches REGEX anywhere
    /// (repeatable).
    #[arg(long = "tag-regex", value_name = "REGEX", value_parser = tag_regex,
          help_heading = "What to delete")]
    pub(crate) tag_regexes: Vec<TagPattern>,

    /// Only delete versions whose name matches GLOB (repeatable).
    ///
    /// The name is the version of an npm, Maven, NuGet or RubyGems package
    /// (e.g. '*-SNAPSHOT', '*-rc.*'), the digest of a container version.
    #[arg(long = "version-name", value_name = "GLOB", value_parser = tag_glob,
          help_heading = "What to delete")]
    pub(crate) version_names: Vec<TagPattern>,

    /// Only delete versions whose name matches REGEX anywhere (repeatable).
    #[arg(long = "version-name-regex", value_name = "REGEX", value_parser = tag_regex,
          help_heading = "What to delete")]
    pub(crate) version_name_regexes: Vec<TagPattern>,

    /// Delete the image with this digest, with its parts (repeatable).
    ///
    /// Its platform images and signatures go with it, whatever the keep
    /// counts say; exclusions still protect.
    #[arg(long = "digest", value_name = "DIGEST", value_parser = digest,
          help_heading = "What to delete")]
    pub(crate) digests: Vec<String>,

    /// Also delete image indexes none of whose platform images are here.
    ///
    /// Such a ghost image cannot be pulled.
    #[arg(long, help_heading = "What to delete")]
    pub(crate) delete_ghost_images: bool,

    /// Also delete image indexes some of whose platform images are missing.
    #[arg(long, help_heading = "What to delete")]
    pub(crate) delete_partial_images: bool,

    /// Also delete signatures, attestations and SBOMs whose image is gone.
    #[arg(long, help_heading = "What to delete")]
    pub(crate) delete_orphaned_referrers: bool,

    /// Print the plan and delete nothing: the default without --yes.
    #[arg(long, conflicts_with = "yes", help_heading = "How to run")]
    pub(crate) dry_run: bool,

    /// Delete for real; without it the prune is a dry run.
    #[arg(short, long, help_heading = "How to run")]
    pub(crate) yes: bool,

    /// Write the plan to FILE and delete nothing.
    ///
    /// `ghpkg apply FILE --yes` deletes exactly what it plans, after review.
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with = "yes",
        help_heading = "How to run"
    )]
    pub(crate) plan_out: Option<PathBuf>,

    /// Journal to write, or to continue.
    ///
    /// Default: ghpkg-journal-OWNER-PACKAGE-TIME.jsonl in the current
    /// directory (see below).
    #[arg(long, value_name = "PATH", help_heading = "How to run")]
    pub(crate) journal: Option<PathBuf>,

    /// Refuse to delete anything if the plan deletes more than N versions.
    #[arg(long, value_name = "N", help_heading = "How to run")]
    pub(crate) max_delete: Option<u64>,

    /// Delete even if an exclusion matches no tag at all.
    ///
    /// By default an --exclude-tag pattern that matches no tag stops a prune
    /// with --yes: it is most likely a typo.
    #[arg(long, help_heading = "How to run")]
    pub(crate) allow_unmatched_exclude: bool,

    /// With --yes, also print the versions kept and why.
    ///
    /// A dry run always does.
    #[arg(long, help_heading = "How to run")]
    pub(crate) show_kept: bool,

    /// Container registry to read image indexes from.
    ///
    /// Default: `https://ghcr.io` for GitHub.com's API, and the API's own
    /// origin for an API on loopback (such as `ghpkg fake serve`). With any
    /// other API (GitHub Enterprise Server: `https://containers.HOST`) it
    /// must be given, or --no-registry-check.
    #[arg(long, value_name = "URL", value_parser = registry_url, help_heading = "How to run")]
    pub(crate) registry_url: Option<String>,

    /// Do not read the registry: parts of multi-arch images are NOT
    /// protected.
    ///
    /// Without the registry, the platform images of a kept multi-arch image
    /// look like untagged images, and --untagged deletes them.
    #[arg(long, help_heading = "How to run")]
    pub(crate) no_registry_check: bool,

    /// How many manifests to read from the registry at once.
    ///
    /// Counted over every package planned at once.
    #[arg(long, value_name = "N", default_value_t = 32,
          value_parser = clap::value_parser!(u16).range(1..=128), help_heading = "How to run")]
    pub(crate) manifest_reads: u16,

    /// How many packages to plan at once (--package globs, --all-packages).
    #[arg(long, value_name = "N", default_value_t = 8,
          value_parser = clap::value_parser!(u16).range(1..=64), help_heading = "How to run")]
    pub(crate) packages_at_once: u16,

    /// Where to keep manifests between runs.
    ///
    /// Manifests never change, and each read counts as a download. Default:
    /// the user's cache directory, ghpkg/manifests in it.
    #[arg(
        long,
        value_name = "DIR",
        conflicts_with = "no_manifest_cache",
        help_heading = "How to run"
    )]
    pub(crate) manifest_cache: Option<PathBuf>,

    /// Keep no manifests between runs.
    #[arg(long, help_heading = "How to run")]
    pub(crate) no_manifest_cache: bool,

    /// The most the manifest cache may hold, in MiB.
    ///
    /// Past it, the manifests used least recently are removed.
    #[arg(long, value_name = "MIB", default_value_t = 64,
          value_parser = clap::value_parser!(u64).range(1..), help_heading = "How to run")]
    pub(crate) manifest_cache_mib: u64,
}

/// `--keep-last`: a count of at least one, worded for people.
fn keep_count(input: &str) -> Result<u64, String> {
    let n: u64 = input
        .trim()
        .parse()
        .map_err(|_| format!("`{input}` is not a whole number; give how many to keep, e.g. 10"))?;
    if n == 0 {
        return Err(
            "0 would keep nothing; give 1 or more (or leave --keep-last out and select with \
             --older-than, --untagged or --tag)"
                .to_owned(),
        );
    }
    Ok(n)
}

/// `--keep-tagged` / `--keep-untagged`: a count, where 0 keeps none of that
/// kind (and so selects all of it).
fn keep_count_or_zero(input: &str) -> Result<u64, String> {
    input
        .trim()
        .parse()
        .map_err(|_| format!("`{input}` is not a whole number; give how many to keep, e.g. 10"))
}

/// `--org` / `--user`: a GitHub login (letters, digits, `-`, and `_` for
/// Enterprise Managed Users), checked before any request.
fn login(input: &str) -> Result<String, String> {
    match Scope::org(input).check() {
        Ok(()) => Ok(input.to_owned()),
        Err(github_packages::Error::InvalidInput { problem, .. }) => Err(problem),
        Err(other) => Err(other.to_string()),
    }
}

/// A tag glob (`--tag`, `--exclude-tag`), checked when parsed.
fn tag_glob(input: &str) -> Result<TagPattern, String> {
    TagPattern::glob(input).map_err(|e| e.to_string())
}

/// A tag regex (`--tag-regex`, `--exclude-tag-regex`), checked when parsed.
fn tag_regex(input: &str) -> Result<TagPattern, String> {
    TagPattern::regex(input).map_err(|e| e.to_string())
}

/// `--exclude-digest` / `--digest`: `sha256:` and 64 hex digits.
fn digest(input: &str) -> Result<String, String> {
    let value = input.trim();
    let check = github_packages_retention::Policy::default()
        .keep_last(1)
        .digest(value);
    match check.check() {
        Ok(()) => Ok(value.to_owned()),
        Err(e) => Err(e.to_string()),
    }
}

/// Which timestamp ages count from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum AgeBasis {
    Created,
    Updated,
}

/// `--package NAME|GLOB`, checked when parsed.
fn package_pattern(input: &str) -> Result<PackagePattern, String> {
    PackagePattern::new(input).map_err(|e| e.to_string())
}

/// An `http(s)` URL the token may be sent to, by the client library's one
/// rule (`github_packages::origin`); `what` says what to give instead.
fn token_safe_url(input: &str, what: &str) -> Result<url::Url, String> {
    github_packages::origin::token_url(input, "url", false).map_err(|e| match e {
        github_packages::Error::InvalidInput { problem, .. } => {
            if problem.contains("credentials") {
                format!("`{input}` contains credentials; give the token in GITHUB_TOKEN instead")
            } else if problem.contains("not a URL") || problem.contains("not supported") {
                format!("{problem}; {what}")
            } else {
                problem
            }
        }
        other => other.to_string(),
    })
}

/// `--api-url`. Empty stands for the default (an empty `GITHUB_API_URL`).
pub(crate) fn api_url(input: &str) -> Result<String, String> {
    if input.trim().is_empty() {
        return Ok(String::new());
    }
    token_safe_url(
        input,
        "give https://api.github.com or https://HOST/api/v3 for GitHub Enterprise Server",
    )?;
    Ok(input.trim().to_owned())
}

/// `--registry-url`.
fn registry_url(input: &str) -> Result<String, String> {
    token_safe_url(
        input,
        "give https://ghcr.io, or https://containers.HOST for GitHub Enterprise Server",
    )?;
    Ok(input.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn a_restore_token_never_prints() {
        let cli = Cli::try_parse_from([
            "ghpkg",
            "restore",
            "npm",
            "x",
            "--org",
            "a",
            "--token",
            "RESTORE-SECRET-9",
        ])
        .unwrap();
        let debug = format!("{cli:?}");
        assert!(!debug.contains("RESTORE-SECRET-9"), "{debug}");
    }

    #[test]
    fn exactly_one_owner_is_required() {
        let parse = |args: &[&str]| crate::dispatch::parse_from(args).map(|_| ());
        assert!(parse(&["ghpkg", "list", "--org", "a"]).is_ok());
        assert!(parse(&["ghpkg", "list", "--me"]).is_ok());
        assert!(parse(&["ghpkg", "list"]).is_err());
        assert!(parse(&["ghpkg", "list", "--org", "a", "--me"]).is_err());
        assert!(parse(&["ghpkg", "undo", "j.jsonl"]).is_ok());
        assert!(parse(&["ghpkg", "versions", "container", "ghcr.io/a/b"]).is_ok());
        assert!(parse(&["ghpkg", "versions", "container", "b"]).is_err());
    }
}
