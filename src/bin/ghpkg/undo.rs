//! `ghpkg undo <journal>`: restore what a prune deleted, recording each
//! restore in the same journal so a second run only retries what is left.

use std::path::Path;

use chrono::Utc;
use serde::Serialize;

use crate::journal::{self, Pending, Record, UndoOutcome, Writer};
use crate::output::{self, Table};
use crate::progress::Progress;
use crate::prune::{FailedRef, VersionRef, is_version_specific};
use crate::{Ctx, Failure, Outcome, describe};

/// The `--json` document of an undo.
#[derive(Debug, Default, Serialize)]
struct Report {
    dry_run: bool,
    restored: Vec<VersionRef>,
    not_deleted: Vec<VersionRef>,
    failed: Vec<FailedRef>,
    would_restore: Vec<VersionRef>,
}

fn version_ref(p: &Pending) -> VersionRef {
    VersionRef {
        id: p.id,
        name: p.name.clone(),
        tags: p.tags.clone(),
    }
}

pub(crate) async fn run(ctx: &Ctx, path: &Path, dry_run: bool) -> Outcome {
    let journal = journal::read(path).map_err(Failure::Failed)?;
    journal.warn_about_fragments(path);
    let Some(header) = &journal.header else {
        if ctx.json {
            output::json(&Report {
                dry_run,
                ..Report::default()
            })?;
        } else {
            println!(
                "nothing to restore: {} holds no complete record, so the prune stopped before \
                 its first delete",
                path.display()
            );
        }
        return Ok(());
    };
    let api_url = ctx.api_url();
    if header.api_url != api_url {
        return Err(Failure::Usage(format!(
            "{} was written against {}, but --api-url is {api_url}; pass --api-url {} if you \
             trust the journal",
            path.display(),
            header.api_url,
            header.api_url
        )));
    }
    let scope = header
        .scope()
        .map_err(|e| Failure::Failed(format!("{}: {e}", path.display())))?;
    let kind = header.package_type;
    let name = header.package.as_str();
    let pending = journal.pending();
    let mut report = Report {
        dry_run,
        ..Report::default()
    };

    if dry_run {
        report.would_restore = pending.iter().map(version_ref).collect();
        if ctx.json {
            output::json(&report)?;
        } else {
            println!(
                "would restore {} versions of {kind} package {name} ({scope})",
                pending.len()
            );
            let mut table = Table::new(&["ID", "TAGS", "STATE", "NAME"]);
            for p in &pending {
                let state = if p.confirmed {
                    "deleted"
                } else if p.gone {
                    "DELETE answered 404"
                } else {
                    "delete may not have run"
                };
                table.row(vec![
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

    let mut writer = Writer::append_to(path).map_err(Failure::Failed)?;
    let packages = ctx.client.packages(&scope);
    let mut progress = Progress::new("restored", pending.len());
    let mut stopped = None;
    for (index, p) in pending.iter().enumerate() {
        match packages.version(kind, name, p.id).restore().await {
            Ok(()) => {
                writer
                    .append(&Record::Undone {
                        id: p.id,
                        outcome: UndoOutcome::Restored,
                        at: Utc::now(),
                    })
                    .map_err(Failure::Failed)?;
                progress.succeeded(p.id, &p.name);
                report.restored.push(version_ref(p));
            }
            // The delete was never confirmed and GitHub has nothing to
            // restore: it did not happen. A 422 settles that; a 404 may only
            // mean this token cannot see the version, so it is reported but
            // not recorded, and a later undo tries again.
            Err(error) if !p.confirmed && is_version_specific(&error) => {
                if !error.is_not_found() {
                    writer
                        .append(&Record::Undone {
                            id: p.id,
                            outcome: UndoOutcome::NotDeleted,
                            at: Utc::now(),
                        })
                        .map_err(Failure::Failed)?;
                }
                progress.succeeded(p.id, &p.name);
                report.not_deleted.push(version_ref(p));
            }
            Err(error) => {
                let message = describe(&error);
                progress.failed(p.id, &p.name, &message);
                report.failed.push(FailedRef {
                    id: p.id,
                    name: p.name.clone(),
                    tags: p.tags.clone(),
                    error: message.clone(),
                });
                if !is_version_specific(&error) {
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
        println!(
            "restored {} of {} versions of {kind} package {name}",
            report.restored.len(),
            pending.len()
        );
        for v in &report.not_deleted {
            println!("was not deleted: id={} name={}", v.id, v.name);
        }
        for f in &report.failed {
            println!("failed: id={} name={}: {}", f.id, f.name, f.error);
        }
    }
    if let Some((done, message)) = stopped {
        return Err(Failure::Failed(format!(
            "stopped after {done} of {} restores: {message}. Run `ghpkg undo {}` again to \
             retry the rest",
            pending.len(),
            path.display()
        )));
    }
    if !report.failed.is_empty() {
        return Err(Failure::Failed(format!(
            "{} of {} restores failed; run `ghpkg undo {}` again to retry them",
            report.failed.len(),
            pending.len(),
            path.display()
        )));
    }
    Ok(())
}
