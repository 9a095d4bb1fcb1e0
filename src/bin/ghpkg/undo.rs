//! `ghpkg undo <journal>`: restore what a prune deleted, at the API the
//! journal names, recording each version it settles in the same journal, so
//! a second run only retries what is left and an interrupted run converges.

use std::path::Path;

use chrono::Utc;
use clap::parser::ValueSource;
use github_packages::{PackageType, Scope};
use serde::Serialize;

use crate::deleting::is_version_specific;
use crate::journal::{self, Pending, Record, UndoOutcome, Writer};
use crate::output::{self, Table, plural};
use crate::progress::Progress;
use crate::report::{FailedRef, VersionRef};
use crate::{Ctx, Failure, Outcome, describe, out};

/// The `--json` document of an undo.
#[derive(Debug, Default, Serialize)]
struct Report {
    dry_run: bool,
    restored: Vec<VersionRef>,
    already_active: Vec<VersionRef>,
    not_deleted: Vec<VersionRef>,
    failed: Vec<FailedRef>,
    would_restore: Vec<VersionRef>,
}

fn version_ref(p: &Pending) -> VersionRef {
    VersionRef {
        id: p.id,
        name: p.name.clone(),
        tags: p.tags.clone(),
        package: p.package.clone(),
        subject: None,
    }
}

/// An API URL as the journal's header writes it: parsed (so the host's case
/// and a trailing slash do not matter), without the trailing slash.
pub(crate) fn normalized(url: &str) -> String {
    let url = url.trim();
    url::Url::parse(url)
        .map(|u| u.as_str().trim_end_matches('/').to_owned())
        .unwrap_or_else(|_| url.trim_end_matches('/').to_owned())
}

/// The API URL an undo of `path` must use: the one in the journal's header.
/// `given` is the `--api-url` value and `source` where it came from. Given
/// on the command line, or in GITHUB_API_URL (which says where the token in
/// the environment belongs; GitHub Actions always sets it), it must match
/// the header, so a journal cannot take a token meant for one API to
/// another. With neither (clap's default, or an empty GITHUB_API_URL) the
/// header decides, and the URL is named on stderr when it is not the
/// default.
pub(crate) fn api_url(
    path: &Path,
    given: &str,
    source: Option<ValueSource>,
) -> Result<String, Failure> {
    let journal = journal::read(path).map_err(Failure::Failed)?;
    let Some(header) = journal.header else {
        // Nothing to restore, so nothing is sent anywhere.
        return Ok(given.to_owned());
    };
    recorded_api_url("journal", path, &header.api_url, given, source)
}

/// The API URL a file (`noun`: a journal, a plan) was written against,
/// checked against the one given: see [`api_url`].
pub(crate) fn recorded_api_url(
    noun: &str,
    path: &Path,
    recorded: &str,
    given: &str,
    source: Option<ValueSource>,
) -> Result<String, Failure> {
    let theirs = normalized(recorded);
    let ours = normalized(given);
    let flag = match source {
        Some(ValueSource::CommandLine) => "--api-url",
        Some(ValueSource::EnvVariable) if !given.trim().is_empty() => "GITHUB_API_URL",
        _ => {
            if theirs != ours {
                eprintln!("using the {noun}'s API, {theirs}");
            }
            return Ok(theirs);
        }
    };
    if theirs != ours {
        return Err(Failure::Usage(format!(
            "{} was written against {theirs}, but {flag} is {ours}; if you trust the {noun} \
             with your token, pass --api-url {theirs}",
            path.display()
        )));
    }
    Ok(theirs)
}

/// The command that undoes `path`, quoted for a POSIX shell if it must be,
/// so it works when pasted as printed.
pub(crate) fn command(path: &Path) -> String {
    format!("ghpkg undo {}", quoted(&path.display().to_string()))
}

/// `text` quoted for a POSIX shell if it must be.
pub(crate) fn quoted(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-/+=:,@%".contains(c));
    if plain {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

/// How one version ended.
enum Settled {
    Restored,
    /// GitHub would not restore it because it is active.
    AlreadyActive,
    /// Its delete was never confirmed and GitHub would not restore it;
    /// `certain` when GitHub said so (422) or showed it active, and not just
    /// 404, which may only mean the token cannot see it.
    NotDeleted {
        certain: bool,
    },
    /// `stop` when the cause would meet every other version too.
    Failed {
        message: String,
        stop: bool,
    },
}

/// The package an undo works on.
struct Target<'a> {
    scope: &'a Scope,
    kind: PackageType,
    name: &'a str,
}

/// Restores one version. When GitHub will not (404 or 422), the version is
/// read: one that is active is settled, since that is all a restore could
/// achieve (an earlier undo restored it and was stopped before recording so,
/// or someone restored it by hand).
async fn settle(ctx: &Ctx, target: &Target<'_>, p: &Pending) -> Settled {
    let packages = ctx.client.packages(target.scope);
    let version = packages.version(target.kind, target.name, p.id);
    let refusal = match version.restore().await {
        Ok(()) => return Settled::Restored,
        Err(error) if is_version_specific(&error) => error,
        Err(error) => {
            return Settled::Failed {
                message: describe(&error),
                stop: true,
            };
        }
    };
    let refused = describe(&refusal);
    match version.get().await {
        Ok(now) if now.deleted_at.is_none() => {
            if p.confirmed {
                Settled::AlreadyActive
            } else {
                Settled::NotDeleted { certain: true }
            }
        }
        Ok(_) => Settled::Failed {
            message: format!("{refused}; reading the version shows it still deleted"),
            stop: false,
        },
        Err(error) if error.is_not_found() => {
            if p.confirmed {
                Settled::Failed {
                    message: format!(
                        "{refused}; reading the version answered 404 too: it was deleted more \
                         than 30 days ago, its package is gone, or this token cannot see it"
                    ),
                    stop: false,
                }
            } else {
                Settled::NotDeleted {
                    certain: !refusal.is_not_found(),
                }
            }
        }
        Err(error) => Settled::Failed {
            message: format!(
                "{refused}; reading the version failed: {}",
                describe(&error)
            ),
            stop: !is_version_specific(&error),
        },
    }
}

pub(crate) async fn run(ctx: &Ctx, path: &Path, dry_run: bool) -> Outcome {
    let journal = journal::read(path).map_err(Failure::Failed)?;
    journal.warn_about_fragments(path);
    let mut report = Report {
        dry_run,
        ..Report::default()
    };
    let Some(header) = &journal.header else {
        if ctx.json {
            output::json(&report)?;
        } else {
            out!(
                "nothing to restore: {} holds no complete record, so the prune stopped before \
                 its first delete",
                path.display()
            )?;
        }
        return Ok(());
    };
    // main.rs set the client up from the header (see `api_url`); this
    // keeps the token at home should that ever change.
    if normalized(&header.api_url) != normalized(&ctx.api_url()) {
        return Err(Failure::Usage(format!(
            "{} was written against {}, not {}; refusing to restore elsewhere",
            path.display(),
            header.api_url,
            ctx.api_url()
        )));
    }
    let scope = header
        .scope()
        .map_err(|e| Failure::Failed(format!("{}: {e}", path.display())))?;
    let kind = header.package_type;
    let name = header.package.as_str();
    // What the journal covers, for messages.
    let what = match header.packages.len() {
        0 | 1 => format!("{kind} package {name}"),
        n => format!("{n} {kind} packages"),
    };
    let pending = journal.pending();

    if dry_run {
        report.would_restore = pending.iter().map(version_ref).collect();
        if ctx.json {
            output::json(&report)?;
        } else {
            out!(
                "would restore {} of {what} ({scope})",
                plural(pending.len(), "version")
            )?;
            let mut table = Table::new(&["PACKAGE", "ID", "TAGS", "STATE", "NAME"]);
            for p in &pending {
                let state = if p.confirmed {
                    "deleted"
                } else if p.gone {
                    "DELETE answered 404"
                } else {
                    "delete may not have run"
                };
                table.row(vec![
                    p.package.as_deref().unwrap_or(name).to_owned(),
                    p.id.to_string(),
                    output::tags(&p.tags),
                    state.into(),
                    p.name.clone(),
                ]);
            }
            table.print()?;
        }
        return Ok(());
    }

    let default_package = name;
    let mut writer = Writer::append_to(path).map_err(Failure::Failed)?;
    let mut record = |id: i64, outcome: UndoOutcome| {
        writer
            .append(&Record::Undone {
                id,
                outcome,
                at: Utc::now(),
            })
            .map_err(Failure::Failed)
    };
    let progress = Progress::bar("restoring", pending.len());
    let mut stopped = None;
    for (index, p) in pending.iter().enumerate() {
        let name = p.package.as_deref().unwrap_or(default_package);
        let target = Target {
            scope: &scope,
            kind,
            name,
        };
        match settle(ctx, &target, p).await {
            Settled::Restored => {
                record(p.id, UndoOutcome::Restored)?;
                progress.inc(1);
                report.restored.push(version_ref(p));
            }
            Settled::AlreadyActive => {
                record(p.id, UndoOutcome::AlreadyActive)?;
                progress.inc(1);
                report.already_active.push(version_ref(p));
            }
            Settled::NotDeleted { certain } => {
                if certain {
                    record(p.id, UndoOutcome::NotDeleted)?;
                }
                progress.inc(1);
                report.not_deleted.push(version_ref(p));
            }
            Settled::Failed { message, stop } => {
                progress.inc(1);
                report.failed.push(FailedRef {
                    id: p.id,
                    name: p.name.clone(),
                    tags: p.tags.clone(),
                    error: message.clone(),
                });
                if stop {
                    stopped = Some((index + 1, message));
                    break;
                }
            }
        }
    }
    progress.finish();

    if ctx.json {
        output::json(&report)?;
    } else {
        if pending.is_empty() {
            out!("nothing to restore: every version the journal records is settled")?;
        } else {
            out!(
                "restored {} of {} of {what}",
                report.restored.len(),
                plural(pending.len(), "version")
            )?;
        }
        let mut table = Table::new(&["OUTCOME", "ID", "NAME", "DETAIL"]);
        let mut rows = 0;
        let mut row = |outcome: &str, id: i64, name: &str, detail: &str| {
            table.row(vec![
                outcome.to_owned(),
                id.to_string(),
                name.to_owned(),
                detail.to_owned(),
            ]);
            rows += 1;
        };
        for v in &report.already_active {
            row("already active", v.id, &v.name, "GitHub shows it active");
        }
        for v in &report.not_deleted {
            row("not deleted", v.id, &v.name, "its delete never happened");
        }
        for f in &report.failed {
            row("failed", f.id, &f.name, &f.error);
        }
        if rows > 0 {
            table.print()?;
        }
    }
    if let Some((done, message)) = stopped {
        return Err(Failure::Failed(format!(
            "stopped after {done} of {}: {message}. Run `{}` again to retry the rest",
            plural(pending.len(), "restore"),
            command(path)
        )));
    }
    if !report.failed.is_empty() {
        return Err(Failure::Failed(format!(
            "{} of {} failed; run `{}` again to retry them",
            report.failed.len(),
            plural(pending.len(), "restore"),
            command(path)
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_printed_command_survives_a_shell() {
        assert_eq!(
            command(Path::new("ghpkg-journal-acme-app-20250601T120000Z.jsonl")),
            "ghpkg undo ghpkg-journal-acme-app-20250601T120000Z.jsonl"
        );
        assert_eq!(
            command(Path::new("/tmp/my journal's.jsonl")),
            r"ghpkg undo '/tmp/my journal'\''s.jsonl'"
        );
    }

    #[test]
    fn urls_compare_as_the_header_writes_them() {
        assert_eq!(
            normalized("https://API.github.com/"),
            "https://api.github.com"
        );
        assert_eq!(
            normalized(" https://ghe.example/api/v3/ "),
            "https://ghe.example/api/v3"
        );
        assert_eq!(normalized("not a url/"), "not a url");
    }
}
