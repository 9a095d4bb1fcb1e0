//! The prune journal: one JSON object per line, appended and flushed to disk
//! before and after every delete, so an interrupted prune leaves a record
//! that `ghpkg undo` can restore from and a re-run can continue.
//!
//! Records, each with a `record` field naming its kind:
//! - `header`: who and what (owner, package type and name, API URL, start);
//! - `intent`: a version about to be deleted (id, name/digest, tags);
//! - `deleted` / `failed`: how that delete ended;
//! - `gone`: the DELETE answered 404: already deleted (by an earlier attempt
//!   of the same request whose answer was lost, or by someone else), or not
//!   visible to the token. `undo` still tries to restore it;
//! - `skipped`: the version changed since the plan (new tags, or deleted) and
//!   was left alone; no `intent` precedes it and `undo` ignores it;
//! - `undone`: `ghpkg undo` restored the version, or GitHub refused to
//!   restore a version whose delete was never confirmed (422). A 404 is not
//!   recorded: it may only mean the token cannot see the version.

use std::collections::{HashMap, HashSet};
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use github_packages::{PackageType, Scope};
use serde::{Deserialize, Serialize};

/// Whose packages a journal is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum OwnerKind {
    Org,
    User,
    Me,
}

/// The first record of a journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Header {
    pub(crate) owner_kind: OwnerKind,
    /// The organization or user; for `me`, the token owner's login when the
    /// prune learned it (a container prune that read the registry did),
    /// else null.
    pub(crate) owner: Option<String>,
    pub(crate) package_type: PackageType,
    pub(crate) package: String,
    pub(crate) api_url: String,
    pub(crate) started_at: DateTime<Utc>,
}

impl Header {
    /// `login` is the token owner's login for `--me`, when known.
    pub(crate) fn new(
        scope: &Scope,
        login: Option<&str>,
        package_type: PackageType,
        package: &str,
        api_url: &str,
    ) -> Header {
        let (owner_kind, owner) = match scope {
            Scope::Org(o) => (OwnerKind::Org, Some(o.clone())),
            Scope::User(u) => (OwnerKind::User, Some(u.clone())),
            _ => (OwnerKind::Me, login.map(str::to_owned)),
        };
        Header {
            owner_kind,
            owner,
            package_type,
            package: package.to_owned(),
            api_url: api_url.trim_end_matches('/').to_owned(),
            started_at: Utc::now(),
        }
    }

    pub(crate) fn scope(&self) -> Result<Scope, String> {
        match (&self.owner_kind, &self.owner) {
            (OwnerKind::Me, _) => Ok(Scope::AuthenticatedUser),
            (OwnerKind::Org, Some(o)) => Ok(Scope::org(o.clone())),
            (OwnerKind::User, Some(u)) => Ok(Scope::user(u.clone())),
            (kind, None) => Err(format!("the header names owner kind {kind:?} but no owner")),
        }
    }

    /// Whether `other` is about the same package at the same API (the start
    /// time may differ).
    fn same_target(&self, other: &Header) -> bool {
        self.owner_kind == other.owner_kind
            && (self.owner_kind == OwnerKind::Me || self.owner == other.owner)
            && self.package_type == other.package_type
            && self.package == other.package
            && self.api_url == other.api_url
    }
}

/// How an `undone` record ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum UndoOutcome {
    Restored,
    NotDeleted,
}

/// One line of a journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "record", rename_all = "snake_case")]
pub(crate) enum Record {
    Header(Header),
    Intent {
        id: i64,
        name: String,
        tags: Vec<String>,
        at: DateTime<Utc>,
    },
    Deleted {
        id: i64,
        at: DateTime<Utc>,
    },
    Failed {
        id: i64,
        error: String,
        at: DateTime<Utc>,
    },
    /// The DELETE answered 404.
    Gone {
        id: i64,
        note: String,
        at: DateTime<Utc>,
    },
    /// Left alone: the version changed since the plan.
    Skipped {
        id: i64,
        name: String,
        tags: Vec<String>,
        reason: String,
        at: DateTime<Utc>,
    },
    Undone {
        id: i64,
        outcome: UndoOutcome,
        at: DateTime<Utc>,
    },
}

/// An appending journal writer that flushes every record to disk.
#[derive(Debug)]
pub(crate) struct Writer {
    file: File,
    path: PathBuf,
}

impl Writer {
    /// Opens `path` for a prune of `header`'s package: a new or empty file
    /// gets the header; an existing journal must be about the same package,
    /// and is continued.
    pub(crate) fn open_for_prune(path: &Path, header: &Header) -> Result<Writer, String> {
        let existing = match std::fs::metadata(path) {
            Ok(meta) if meta.len() > 0 => Some(read(path)?),
            _ => None,
        };
        if let Some(journal) = &existing
            && !journal.header.same_target(header)
        {
            return Err(format!(
                "{} is the journal of another prune ({} package {} at {}); pass a different \
                 --journal",
                path.display(),
                journal.header.package_type,
                journal.header.package,
                journal.header.api_url
            ));
        }
        let mut writer = Writer::append_to(path)?;
        if existing.is_none() {
            writer.append(&Record::Header(header.clone()))?;
        }
        Ok(writer)
    }

    /// Opens an existing journal to add records to it.
    pub(crate) fn append_to(path: &Path) -> Result<Writer, String> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| format!("cannot open journal {}: {e}", path.display()))?;
        Ok(Writer {
            file,
            path: path.to_owned(),
        })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one record and waits until it is on disk.
    pub(crate) fn append(&mut self, record: &Record) -> Result<(), String> {
        let mut line = serde_json::to_string(record).map_err(|e| e.to_string())?;
        line.push('\n');
        self.file
            .write_all(line.as_bytes())
            .and_then(|()| self.file.sync_data())
            .map_err(|e| format!("cannot write journal {}: {e}", self.path.display()))
    }
}

/// A journal read back.
#[derive(Debug, Clone)]
pub(crate) struct Journal {
    pub(crate) header: Header,
    pub(crate) records: Vec<Record>,
}

/// A version `undo` should restore.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pending {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) tags: Vec<String>,
    /// Whether GitHub confirmed the delete (a `deleted` record). Without it
    /// the process may have stopped before the delete was sent.
    pub(crate) confirmed: bool,
    /// Whether the DELETE answered 404 (a `gone` record).
    pub(crate) gone: bool,
}

/// The pending entry for `id`, created blank (and placed in deletion order)
/// the first time the journal mentions it.
fn touch<'s>(
    order: &mut Vec<i64>,
    seen: &mut HashSet<i64>,
    state: &'s mut HashMap<i64, Pending>,
    id: i64,
) -> &'s mut Pending {
    if seen.insert(id) {
        order.push(id);
    }
    state.entry(id).or_insert_with(|| Pending {
        id,
        name: String::new(),
        tags: Vec::new(),
        confirmed: false,
        gone: false,
    })
}

impl Journal {
    /// Every version with an `intent`, `deleted` or `gone` record that no
    /// later `undone` record settles, in the order they were deleted.
    /// `skipped` and `failed` records change nothing.
    pub(crate) fn pending(&self) -> Vec<Pending> {
        let mut order: Vec<i64> = Vec::new();
        let mut seen: HashSet<i64> = HashSet::new();
        let mut state: HashMap<i64, Pending> = HashMap::new();
        for record in &self.records {
            match record {
                Record::Intent { id, name, tags, .. } => {
                    let entry = touch(&mut order, &mut seen, &mut state, *id);
                    *entry = Pending {
                        id: *id,
                        name: name.clone(),
                        tags: tags.clone(),
                        confirmed: false,
                        gone: false,
                    };
                }
                Record::Deleted { id, .. } => {
                    touch(&mut order, &mut seen, &mut state, *id).confirmed = true;
                }
                Record::Gone { id, .. } => {
                    touch(&mut order, &mut seen, &mut state, *id).gone = true;
                }
                Record::Undone { id, .. } => {
                    state.remove(id);
                }
                Record::Header(_) | Record::Failed { .. } | Record::Skipped { .. } => {}
            }
        }
        order
            .into_iter()
            .filter_map(|id| state.remove(&id))
            .collect()
    }
}

/// Reads a journal. A last line cut short (the process died mid-write) is
/// ignored; any other unreadable line is an error naming it.
pub(crate) fn read(path: &Path) -> Result<Journal, String> {
    let file =
        File::open(path).map_err(|e| format!("cannot read journal {}: {e}", path.display()))?;
    parse(BufReader::new(file), &path.display().to_string())
}

pub(crate) fn parse(reader: impl BufRead, name: &str) -> Result<Journal, String> {
    let lines: Vec<String> = reader
        .lines()
        .collect::<io::Result<_>>()
        .map_err(|e| format!("cannot read journal {name}: {e}"))?;
    let last = lines.iter().rposition(|l| !l.trim().is_empty());
    let mut records = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Record>(line) {
            Ok(record) => records.push(record),
            Err(_) if Some(index) == last => break,
            Err(e) => {
                return Err(format!(
                    "{name} line {}: not a journal record ({e})",
                    index + 1
                ));
            }
        }
    }
    let header = match records.first() {
        Some(Record::Header(h)) => h.clone(),
        _ => {
            return Err(format!(
                "{name} is not a ghpkg journal: it does not start with a header"
            ));
        }
    };
    Ok(Journal { header, records })
}

/// `ghpkg-journal-<owner>-<package>-<UTC timestamp>.jsonl`, with anything
/// unsafe in a file name replaced.
pub(crate) fn default_path(owner: &str, package: &str, now: DateTime<Utc>) -> PathBuf {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    };
    PathBuf::from(format!(
        "ghpkg-journal-{}-{}-{}.jsonl",
        clean(owner),
        clean(package),
        now.format("%Y%m%dT%H%M%SZ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at() -> DateTime<Utc> {
        "2025-06-01T12:00:00Z".parse().unwrap()
    }

    fn header() -> Header {
        let mut h = Header::new(
            &Scope::org("acme"),
            None,
            PackageType::Container,
            "app",
            "http://x/",
        );
        h.started_at = at();
        h
    }

    fn intent(id: i64) -> Record {
        Record::Intent {
            id,
            name: format!("sha256:{id}"),
            tags: vec![],
            at: at(),
        }
    }

    fn lines(records: &[Record]) -> String {
        records
            .iter()
            .map(|r| serde_json::to_string(r).unwrap() + "\n")
            .collect()
    }

    #[test]
    fn records_have_a_stable_shape() {
        let line = serde_json::to_string(&intent(7)).unwrap();
        assert_eq!(
            line,
            r#"{"record":"intent","id":7,"name":"sha256:7","tags":[],"at":"2025-06-01T12:00:00Z"}"#
        );
        let header = serde_json::to_value(Record::Header(header())).unwrap();
        assert_eq!(header["record"], "header");
        assert_eq!(header["owner_kind"], "org");
        assert_eq!(header["package_type"], "container");
        assert_eq!(header["api_url"], "http://x");
    }

    #[test]
    fn pending_follows_each_versions_last_state() {
        let text = lines(&[
            Record::Header(header()),
            intent(1),
            Record::Deleted { id: 1, at: at() },
            intent(2),
            Record::Failed {
                id: 2,
                error: "500".into(),
                at: at(),
            },
            intent(3),
            intent(4),
            Record::Deleted { id: 4, at: at() },
            Record::Undone {
                id: 4,
                outcome: UndoOutcome::Restored,
                at: at(),
            },
        ]);
        let journal = parse(text.as_bytes(), "j").unwrap();
        let pending = journal.pending();
        let summary: Vec<(i64, bool)> = pending.iter().map(|p| (p.id, p.confirmed)).collect();
        assert_eq!(summary, vec![(1, true), (2, false), (3, false)]);
        assert_eq!(pending[0].name, "sha256:1");
    }

    #[test]
    fn gone_versions_are_pending_and_skipped_ones_are_not() {
        let text = lines(&[
            Record::Header(header()),
            Record::Skipped {
                id: 1,
                name: "sha256:1".into(),
                tags: vec![],
                reason: "tags changed".into(),
                at: at(),
            },
            intent(2),
            Record::Gone {
                id: 2,
                note: "404".into(),
                at: at(),
            },
        ]);
        let journal = parse(text.as_bytes(), "j").unwrap();
        let pending = journal.pending();
        assert_eq!(pending.len(), 1);
        assert_eq!(
            (pending[0].id, pending[0].confirmed, pending[0].gone),
            (2, false, true)
        );
        assert_eq!(pending[0].name, "sha256:2");
        let line = serde_json::to_value(&journal.records[1]).unwrap();
        assert_eq!(line["record"], "skipped");
        assert_eq!(line["reason"], "tags changed");
    }

    #[test]
    fn the_header_records_the_login_for_me() {
        let h = Header::new(
            &Scope::AuthenticatedUser,
            Some("octo"),
            PackageType::Npm,
            "left-pad",
            "http://x",
        );
        assert_eq!(h.owner.as_deref(), Some("octo"));
        assert_eq!(h.scope().unwrap(), Scope::AuthenticatedUser);
        let h = Header::new(
            &Scope::org("acme"),
            Some("octo"),
            PackageType::Npm,
            "left-pad",
            "http://x",
        );
        assert_eq!(h.owner.as_deref(), Some("acme"));
    }

    #[test]
    fn a_version_deleted_again_after_undo_is_pending_again() {
        let text = lines(&[
            Record::Header(header()),
            intent(1),
            Record::Deleted { id: 1, at: at() },
            Record::Undone {
                id: 1,
                outcome: UndoOutcome::Restored,
                at: at(),
            },
            intent(1),
            Record::Deleted { id: 1, at: at() },
        ]);
        let pending = parse(text.as_bytes(), "j").unwrap().pending();
        assert_eq!(pending.len(), 1);
    }

    #[test]
    fn a_torn_last_line_is_ignored_but_other_garbage_is_not() {
        let mut text = lines(&[Record::Header(header()), intent(1)]);
        text.push_str(r#"{"record":"dele"#);
        let journal = parse(text.as_bytes(), "j").unwrap();
        assert_eq!(journal.records.len(), 2);

        let text = format!(
            "{}not json\n{}",
            lines(&[Record::Header(header())]),
            lines(&[intent(1)])
        );
        let err = parse(text.as_bytes(), "j").unwrap_err();
        assert!(err.contains("line 2"), "{err}");

        let err = parse(lines(&[intent(1)]).as_bytes(), "j").unwrap_err();
        assert!(err.contains("does not start with a header"), "{err}");
    }

    #[test]
    fn writer_appends_and_refuses_another_packages_journal() {
        let dir = std::env::temp_dir().join(format!("ghpkg-journal-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("j.jsonl");
        let _ = std::fs::remove_file(&path);

        let mut w = Writer::open_for_prune(&path, &header()).unwrap();
        w.append(&intent(1)).unwrap();
        drop(w);
        // Continuing the same prune adds no second header.
        let mut w = Writer::open_for_prune(&path, &header()).unwrap();
        w.append(&Record::Deleted { id: 1, at: at() }).unwrap();
        let journal = read(&path).unwrap();
        assert_eq!(journal.records.len(), 3);
        assert_eq!(journal.header.scope().unwrap(), Scope::org("acme"));

        let mut other = header();
        other.package = "other".into();
        let err = Writer::open_for_prune(&path, &other).unwrap_err();
        assert!(err.contains("another prune"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn default_names_are_safe_file_names() {
        let path = default_path("Acme", "team/app", at());
        assert_eq!(
            path,
            PathBuf::from("ghpkg-journal-Acme-team_app-20250601T120000Z.jsonl")
        );
    }
}
