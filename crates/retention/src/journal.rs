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
//! - `undone`: `ghpkg undo` settled the version, with an `outcome`:
//!   `restored`; `not_deleted` (GitHub would not restore a version whose
//!   delete was never confirmed, and answered 422 or showed it active; a
//!   plain 404 is not recorded, as it may only mean the token cannot see
//!   the version); `already_active` (the delete was confirmed, GitHub would
//!   not restore it, and reading it showed it active: an earlier undo
//!   restored it but was stopped before recording so, or someone restored it
//!   by hand). `already_active` is newer than the other two: ghpkg versions
//!   before it refuse a journal that holds it, while journals without it
//!   read as before.
//!
//! # What a crash leaves, and how it is read
//!
//! Each record is one write, flushed before the next begins (and before the
//! request it announces), so a crash can only cut short the record being
//! written: the file then ends in a *fragment*, a prefix of a record, perhaps
//! followed by zero bytes where the file system grew the file but the data
//! never arrived. Losing a fragment loses nothing `undo` needs: a torn
//! `intent` means its DELETE was never sent; a torn `deleted`, `gone` or
//! `failed` leaves the complete `intent` before it, so the version is still
//! restored; a torn `undone` leaves the version pending, and the next undo
//! finds it active and settles it (as `already_active` when its delete was
//! confirmed); a torn `header` means nothing else was written. A fragment
//! can also sit mid-file: one an earlier run left, ended by the writer
//! below, with later runs' records after it.
//!
//! The reader applies one rule to every line, wherever it is in the file:
//! - a complete record is kept (the last line may lack its newline);
//! - a fragment is reported (line and byte count) and skipped. A fragment
//!   is what `is_fragment` accepts: it starts the way ghpkg starts every
//!   record (`{"record":"` and the beginning of a known kind, or a prefix of
//!   that) and the JSON parser runs out of input before meeting anything it
//!   cannot accept, so some ending would make it a record. A line where ghpkg
//!   before this rule appended a record straight onto a fragment is split
//!   where the next record starts (`{"record":` cannot occur inside a record,
//!   whose strings escape `"`);
//! - anything else (bytes that are not JSON, JSON of another shape, bytes
//!   after a complete record) is not what a crash leaves, and reading refuses
//!   the file naming the line: guessing could restore the wrong versions or
//!   miss one.
//!
//! The writer never appends onto a fragment: if the file does not end in a
//! newline, it first adds one, so the fragment stands alone on its line. It
//! does not truncate the fragment away: the file stays append-only (nothing
//! written is ever rewritten, so a crash during the repair cannot lose a
//! record) and the fragment stays as evidence of what was being written when
//! the process died (often the id of the version in flight).

use std::collections::{HashMap, HashSet};
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use github_packages::{PackageType, Scope};
use serde::{Deserialize, Serialize};

use crate::target::OwnerKind;

/// The first record of a journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// Whose packages.
    pub owner_kind: OwnerKind,
    /// The organization or user; for `me`, the token owner's login when the
    /// prune learned it (a container prune that read the registry did),
    /// else null.
    pub owner: Option<String>,
    /// The type of the packages.
    pub package_type: PackageType,
    /// The package of a one-package prune; the first one of several.
    pub package: String,
    /// Every package of a prune of several (absent for one): its `intent`
    /// and `skipped` records name theirs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub packages: Vec<String>,
    /// The REST API the deletes went to, without a trailing slash.
    pub api_url: String,
    /// When the run started.
    pub started_at: DateTime<Utc>,
}

impl Header {
    /// The header of a run over `package` of `package_type` owned by
    /// `scope` at `api_url`, starting now; `login` is the token owner's
    /// login for the authenticated user, when known.
    pub fn new(
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
            packages: Vec::new(),
            api_url: api_url.trim_end_matches('/').to_owned(),
            started_at: Utc::now(),
        }
    }

    /// The scope to call the API with.
    ///
    /// # Errors
    ///
    /// An organization or user header without an owner.
    pub fn scope(&self) -> Result<Scope, String> {
        match (&self.owner_kind, &self.owner) {
            (OwnerKind::Me, _) => Ok(Scope::AuthenticatedUser),
            (OwnerKind::Org, Some(o)) => Ok(Scope::org(o.clone())),
            (OwnerKind::User, Some(u)) => Ok(Scope::user(u.clone())),
            (kind, None) => Err(format!("the header names owner kind {kind:?} but no owner")),
        }
    }

    /// Whether `other` is about the same packages of the same owner at the
    /// same API (the start time may differ). A prune of several packages
    /// may be continued with a different set: every record names its own.
    fn same_target(&self, other: &Header) -> bool {
        let several = !self.packages.is_empty() || !other.packages.is_empty();
        self.owner_kind == other.owner_kind
            && (self.owner_kind == OwnerKind::Me || self.owner == other.owner)
            && self.package_type == other.package_type
            && (several || self.package == other.package)
            && self.api_url == other.api_url
    }
}

/// How an `undone` record ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UndoOutcome {
    /// Restored.
    Restored,
    /// Its delete never happened (see the module docs).
    NotDeleted,
    /// Already active after a confirmed delete (see the module docs).
    AlreadyActive,
}

/// One line of a journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "record", rename_all = "snake_case")]
pub enum Record {
    /// The first record.
    Header(Header),
    /// A version about to be deleted.
    Intent {
        /// The version id.
        id: i64,
        /// Its name (a digest for container versions).
        name: String,
        /// Its tags when it was planned.
        tags: Vec<String>,
        /// The package, in a journal of several; absent means the header's.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        package: Option<String>,
        /// When.
        at: DateTime<Utc>,
    },
    /// GitHub confirmed the delete.
    Deleted {
        /// The version id.
        id: i64,
        /// When.
        at: DateTime<Utc>,
    },
    /// The delete failed.
    Failed {
        /// The version id.
        id: i64,
        /// Why.
        error: String,
        /// When.
        at: DateTime<Utc>,
    },
    /// The DELETE answered 404.
    Gone {
        /// The version id.
        id: i64,
        /// What the 404 may mean.
        note: String,
        /// When.
        at: DateTime<Utc>,
    },
    /// Left alone: the version changed since the plan.
    Skipped {
        /// The version id.
        id: i64,
        /// Its name.
        name: String,
        /// Its tags when it was planned.
        tags: Vec<String>,
        /// Why it was left alone.
        reason: String,
        /// The package, in a journal of several; absent means the header's.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        package: Option<String>,
        /// When.
        at: DateTime<Utc>,
    },
    /// `undo` settled the version.
    Undone {
        /// The version id.
        id: i64,
        /// How.
        outcome: UndoOutcome,
        /// When.
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
    /// (or one holding only a fragment of a header) gets the header; an
    /// existing journal must be about the same package, and is continued.
    /// Returns the fragments a crash left in it, for the caller to report.
    pub(crate) fn open_for_prune(
        path: &Path,
        header: &Header,
    ) -> Result<(Writer, Vec<Fragment>), String> {
        let existing = match std::fs::read(path) {
            Ok(bytes) => parse(&bytes, &path.display().to_string())?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => Journal::default(),
            Err(e) => return Err(format!("cannot read journal {}: {e}", path.display())),
        };
        if let Some(theirs) = &existing.header
            && !theirs.same_target(header)
        {
            return Err(format!(
                "{} is the journal of another prune ({} package {} at {}); use another \
                 journal file",
                path.display(),
                theirs.package_type,
                theirs.package,
                theirs.api_url
            ));
        }
        let mut writer = Writer::append_to(path)?;
        if existing.header.is_none() {
            writer.append(&Record::Header(header.clone()))?;
        }
        Ok((writer, existing.fragments))
    }

    /// Opens a journal to add records to it, first ending a line a crash
    /// left unfinished (see the module docs).
    pub(crate) fn append_to(path: &Path) -> Result<Writer, String> {
        let mut file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(path)
            .map_err(|e| format!("cannot open journal {}: {e}", path.display()))?;
        if end_unfinished_line(&mut file)
            .map_err(|e| format!("cannot repair journal {}: {e}", path.display()))?
        {
            file.sync_data()
                .map_err(|e| format!("cannot write journal {}: {e}", path.display()))?;
        }
        Ok(Writer {
            file,
            path: path.to_owned(),
        })
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

/// Adds a newline if `file` is not empty and does not end with one, so the
/// next record starts on a line of its own. Returns whether it wrote.
fn end_unfinished_line<F: Read + Write + Seek>(file: &mut F) -> io::Result<bool> {
    if file.seek(SeekFrom::End(0))? == 0 {
        return Ok(false);
    }
    file.seek(SeekFrom::End(-1))?;
    let mut last = [0u8];
    file.read_exact(&mut last)?;
    if last[0] == b'\n' {
        return Ok(false);
    }
    file.seek(SeekFrom::End(0))?;
    file.write_all(b"\n")?;
    Ok(true)
}

/// A journal read back.
#[derive(Debug, Clone, Default)]
pub struct Journal {
    /// The first record; `None` only when the file holds no complete record
    /// (it is empty, or a crash cut its header short): nothing was deleted.
    pub header: Option<Header>,
    /// Every complete record, in file order, the header first.
    pub records: Vec<Record>,
    /// The fragments skipped, in file order.
    pub fragments: Vec<Fragment>,
}

/// A record a crash cut short.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fragment {
    /// 1-based line number.
    pub line: usize,
    /// Its length in bytes (zero bytes a crash left after it included).
    pub bytes: usize,
}

/// A version `undo` should restore.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// The version id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Its tags when it was deleted.
    pub tags: Vec<String>,
    /// The package, when the `intent` named one (a prune of several).
    pub package: Option<String>,
    /// Whether GitHub confirmed the delete (a `deleted` record). Without it
    /// the process may have stopped before the delete was sent.
    pub confirmed: bool,
    /// Whether the DELETE answered 404 (a `gone` record).
    pub gone: bool,
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
        package: None,
        confirmed: false,
        gone: false,
    })
}

impl Journal {
    /// Reads a journal, skipping fragments a crash left (they are listed in
    /// [`Journal::fragments`]); any other unreadable line is an error
    /// naming it (see the module docs).
    ///
    /// # Errors
    ///
    /// The file cannot be read, a line is neither a record nor a record cut
    /// short, or the first record is not a header.
    pub fn read(path: &Path) -> Result<Journal, String> {
        read(path)
    }

    /// Every version with an `intent`, `deleted` or `gone` record that no
    /// later `undone` record settles, in the order they were deleted.
    /// `skipped` and `failed` records change nothing.
    pub fn pending(&self) -> Vec<Pending> {
        let mut order: Vec<i64> = Vec::new();
        let mut seen: HashSet<i64> = HashSet::new();
        let mut state: HashMap<i64, Pending> = HashMap::new();
        for record in &self.records {
            match record {
                Record::Intent {
                    id,
                    name,
                    tags,
                    package,
                    ..
                } => {
                    let entry = touch(&mut order, &mut seen, &mut state, *id);
                    *entry = Pending {
                        id: *id,
                        name: name.clone(),
                        tags: tags.clone(),
                        package: package.clone(),
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

/// Reads a journal, skipping fragments a crash left; any other unreadable
/// line is an error naming it (see the module docs).
pub(crate) fn read(path: &Path) -> Result<Journal, String> {
    let bytes =
        std::fs::read(path).map_err(|e| format!("cannot read journal {}: {e}", path.display()))?;
    parse(&bytes, &path.display().to_string())
}

/// Where a record begins; it cannot occur inside one (strings escape `"`),
/// so it also marks where a record was appended onto a fragment.
const RECORD_START: &[u8] = br#"{"record":"#;

/// The record kinds. The crash tests cut a record of every kind, so one
/// missing here fails them.
const KINDS: [&str; 7] = [
    "header", "intent", "deleted", "failed", "gone", "skipped", "undone",
];

/// Whether `bytes` (zero bytes at its end ignored) is a record cut short:
/// `{"record":"` and the start of a known kind, or a prefix of that, that the
/// JSON parser ran out of before meeting anything wrong.
fn is_fragment(bytes: &[u8]) -> bool {
    const OPENING: &[u8] = br#"{"record":""#;
    let end = bytes.iter().rposition(|b| *b != 0).map_or(0, |i| i + 1);
    let bytes = &bytes[..end];
    if bytes.len() <= OPENING.len() {
        return OPENING.starts_with(bytes);
    }
    let Some(kind) = bytes.strip_prefix(OPENING) else {
        return false;
    };
    let known_kind = KINDS.iter().any(|known| {
        let known = known.as_bytes();
        if kind.len() <= known.len() {
            known.starts_with(kind)
        } else {
            kind.starts_with(known) && kind[known.len()] == b'"'
        }
    });
    known_kind
        && matches!(
            serde_json::from_slice::<serde_json::Value>(bytes),
            Err(e) if e.classify() == serde_json::error::Category::Eof
        )
}

/// The parts of one line: the record it ends with, if complete, and the
/// lengths of the fragments before it (or of the whole line, if it is one).
fn read_line(line: &[u8]) -> Result<(Option<Record>, Vec<usize>), serde_json::Error> {
    let whole = match serde_json::from_slice::<Record>(line) {
        Ok(record) => return Ok((Some(record), Vec::new())),
        Err(e) => e,
    };
    // Where each later record would start, if records were run together.
    let mut starts: Vec<usize> = (1..line.len())
        .filter(|&i| line[i..].starts_with(RECORD_START))
        .collect();
    starts.insert(0, 0);
    starts.push(line.len());
    let pieces: Vec<&[u8]> = starts.windows(2).map(|w| &line[w[0]..w[1]]).collect();
    let (last, before) = pieces.split_last().expect("at least one piece");
    if !before.iter().all(|p| is_fragment(p)) {
        return Err(whole);
    }
    let mut fragments: Vec<usize> = before.iter().map(|p| p.len()).collect();
    if is_fragment(last) {
        fragments.push(last.len());
        return Ok((None, fragments));
    }
    if before.is_empty() {
        return Err(whole);
    }
    let record = serde_json::from_slice::<Record>(last)?;
    Ok((Some(record), fragments))
}

/// Parses a journal's bytes; `name` names it in errors.
pub(crate) fn parse(bytes: &[u8], name: &str) -> Result<Journal, String> {
    let mut journal = Journal::default();
    for (index, line) in bytes.split(|b| *b == b'\n').enumerate() {
        if line.trim_ascii().is_empty() {
            continue;
        }
        let (record, fragments) = read_line(line).map_err(|e| {
            format!(
                "{name} line {}: not a journal record, nor one cut short by an interrupted \
                 write ({e}); ghpkg will not guess what it held, as a wrong guess could \
                 restore the wrong versions or miss one: repair or remove the line by hand",
                index + 1
            )
        })?;
        journal
            .fragments
            .extend(fragments.into_iter().map(|bytes| Fragment {
                line: index + 1,
                bytes,
            }));
        if let Some(record) = record {
            journal.records.push(record);
        }
    }
    match journal.records.first() {
        None => {}
        Some(Record::Header(h)) => journal.header = Some(h.clone()),
        Some(_) => {
            return Err(format!(
                "{name} is not a ghpkg journal: it does not start with a header"
            ));
        }
    }
    Ok(journal)
}

/// The journal of a run: `given`, else [`default_path`] in the current
/// directory for `packages` of `owner` (`me` for the token's own).
pub fn path_for(given: Option<&Path>, owner: Option<&str>, packages: &[String]) -> PathBuf {
    if let Some(given) = given {
        return given.to_owned();
    }
    let label = match packages {
        [one] => one.clone(),
        many => format!("{}-packages", many.len()),
    };
    default_path(owner.unwrap_or("me"), &label, Utc::now())
}

/// `ghpkg-journal-<owner>-<package>-<UTC timestamp>.jsonl`, with anything
/// unsafe in a file name replaced; several packages are named by their
/// count (`3-packages`).
pub fn default_path(owner: &str, package: &str, now: DateTime<Utc>) -> PathBuf {
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
            package: None,
            at: at(),
        }
    }

    fn ids(pending: &[Pending]) -> Vec<i64> {
        pending.iter().map(|p| p.id).collect()
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
                package: None,
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
    fn fragments_are_skipped_and_named_wherever_they_are() {
        let complete = lines(&[Record::Header(header()), intent(1)]);
        // The last line cut short, without and with zero bytes after it.
        for tail in [
            &br#"{"record":"dele"#[..],
            br#"{"record":"deleted","id":1,"a"#,
            b"{",
        ] {
            for zeros in [0, 7] {
                let mut text = complete.clone().into_bytes();
                text.extend_from_slice(tail);
                text.extend(std::iter::repeat_n(0u8, zeros));
                let journal = parse(&text, "j").unwrap();
                assert_eq!(journal.records.len(), 2);
                assert_eq!(
                    journal.fragments,
                    vec![Fragment {
                        line: 3,
                        bytes: tail.len() + zeros
                    }]
                );
            }
        }
        // A fragment the writer ended with a newline, records after it.
        let text = format!(
            "{complete}{{\"record\":\"intent\",\"id\":2,\"na\n{}",
            lines(&[Record::Deleted { id: 1, at: at() }])
        );
        let journal = parse(text.as_bytes(), "j").unwrap();
        assert_eq!(journal.records.len(), 3);
        assert_eq!(journal.fragments, vec![Fragment { line: 3, bytes: 29 }]);
        // A line of zero bytes: the file grew, the data never came.
        let text = format!("{complete}\0\0\0\n");
        assert_eq!(parse(text.as_bytes(), "j").unwrap().fragments.len(), 1);
        // The last record whole, only its newline missing.
        let text = complete.trim_end();
        let journal = parse(text.as_bytes(), "j").unwrap();
        assert_eq!((journal.records.len(), journal.fragments.len()), (2, 0));
    }

    #[test]
    fn a_record_an_older_ghpkg_appended_onto_a_fragment_is_kept() {
        // What the issue saw: a re-run wrote its next record straight
        // after the fragment; here it happened twice.
        let text = format!(
            "{}{{\"record\":\"dele{}{{\"record\":\"inte{}",
            lines(&[Record::Header(header()), intent(1)]),
            lines(&[Record::Deleted { id: 1, at: at() }]),
            lines(&[intent(2)])
        );
        let journal = parse(text.as_bytes(), "j").unwrap();
        assert_eq!(
            journal.records[1..],
            [intent(1), Record::Deleted { id: 1, at: at() }, intent(2)]
        );
        assert_eq!(
            journal.fragments,
            vec![
                Fragment { line: 3, bytes: 15 },
                Fragment { line: 4, bytes: 15 }
            ]
        );
        assert_eq!(ids(&journal.pending()), vec![1, 2]);
    }

    #[test]
    fn anything_a_crash_cannot_leave_is_refused() {
        let head = lines(&[Record::Header(header())]);
        let tail = lines(&[intent(1)]);
        let cases: [(&str, &str); 8] = [
            ("not json", "not json"),
            (
                "valid JSON of another shape",
                r#"{"record":"deleted","id":1}"#,
            ),
            ("an unknown kind", r#"{"record":"deleted!","id":1"#),
            ("an unknown kind, cut short", r#"{"record":"bogus"#),
            ("another JSON object cut short", r#"{"id":1,"rec"#),
            ("garbage inside a fragment", r#"{"record":"intent","id":1x"#),
            (
                "bytes after a complete record",
                r#"{"record":"deleted","id":1,"at":"2025-06-01T12:00:00Z"}}"#,
            ),
            (
                "garbage before a record",
                r#"xx{"record":"deleted","id":1,"at":"2025-06-01T12:00:00Z"}"#,
            ),
        ];
        for (what, line) in cases {
            // In the middle, and as the last line.
            for text in [format!("{head}{line}\n{tail}"), format!("{head}{line}")] {
                let err = parse(text.as_bytes(), "j")
                    .err()
                    .unwrap_or_else(|| panic!("{what} was accepted"));
                assert!(
                    err.contains("j line 2: not a journal record"),
                    "{what}: {err}"
                );
            }
        }

        let err = parse(lines(&[intent(1)]).as_bytes(), "j").unwrap_err();
        assert!(err.contains("does not start with a header"), "{err}");
    }

    #[test]
    fn a_journal_without_a_complete_record_has_no_header() {
        for text in ["", "\n", r#"{"record":"head"#] {
            let journal = parse(text.as_bytes(), "j").unwrap();
            assert_eq!(journal.header, None);
            assert!(journal.pending().is_empty());
        }
    }

    #[test]
    fn the_writer_ends_a_cut_line_before_appending() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        let fragment = r#"{"record":"deleted","id":1,"at":"2025"#;
        let start = format!(
            "{}{fragment}",
            lines(&[Record::Header(header()), intent(1)])
        );
        std::fs::write(&path, &start).unwrap();

        let (mut w, _) = Writer::open_for_prune(&path, &header()).unwrap();
        w.append(&intent(2)).unwrap();
        drop(w);
        let mut w = Writer::append_to(&path).unwrap();
        w.append(&Record::Undone {
            id: 2,
            outcome: UndoOutcome::Restored,
            at: at(),
        })
        .unwrap();
        drop(w);

        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            format!(
                "{start}\n{}",
                lines(&[
                    intent(2),
                    Record::Undone {
                        id: 2,
                        outcome: UndoOutcome::Restored,
                        at: at()
                    }
                ])
            )
        );
        let journal = read(&path).unwrap();
        assert_eq!(journal.records.len(), 4);
        assert_eq!(ids(&journal.pending()), vec![1]);
    }

    #[test]
    fn writer_appends_and_refuses_another_packages_journal() {
        let dir = std::env::temp_dir().join(format!("ghpkg-journal-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("j.jsonl");
        let _ = std::fs::remove_file(&path);

        let (mut w, _) = Writer::open_for_prune(&path, &header()).unwrap();
        w.append(&intent(1)).unwrap();
        drop(w);
        // Continuing the same prune adds no second header.
        let (mut w, _) = Writer::open_for_prune(&path, &header()).unwrap();
        w.append(&Record::Deleted { id: 1, at: at() }).unwrap();
        let journal = read(&path).unwrap();
        assert_eq!(journal.records.len(), 3);
        assert_eq!(journal.header.unwrap().scope().unwrap(), Scope::org("acme"));

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

/// Journals cut at every byte a crash could stop at, read back and
/// continued.
#[cfg(test)]
mod crash_tests {
    use super::*;
    use proptest::prelude::*;

    /// Tags with multi-byte characters, so some cuts fall inside one.
    const TAGS: [&str; 5] = ["latest", "v1.2.3", "café", "日本語", "pr-7"];

    #[derive(Debug, Clone, Copy)]
    enum Fate {
        Deleted,
        Gone,
        Failed,
        Skipped,
    }

    #[derive(Debug, Clone)]
    struct Version {
        fate: Fate,
        tags: Vec<String>,
        undo: Option<UndoOutcome>,
    }

    fn at(second: usize) -> DateTime<Utc> {
        DateTime::from_timestamp(1_750_000_000 + second as i64, 0).unwrap()
    }

    fn header(me: bool) -> Header {
        let scope = if me {
            Scope::AuthenticatedUser
        } else {
            Scope::org("acme")
        };
        let mut h = Header::new(
            &scope,
            None,
            PackageType::Container,
            "app",
            "https://ghe.example/api/v3",
        );
        h.started_at = at(0);
        h
    }

    /// The records a prune of `versions` writes (id 1000 on), then an undo
    /// of those given an undo outcome.
    fn prune_then_undo(me: bool, versions: &[Version]) -> Vec<Record> {
        let mut records = vec![Record::Header(header(me))];
        let id = |i: usize| 1000 + i as i64;
        for (i, v) in versions.iter().enumerate() {
            let name = format!("sha256:{:064x}", id(i));
            let tags = v.tags.clone();
            let when = at(records.len());
            if let Fate::Skipped = v.fate {
                records.push(Record::Skipped {
                    id: id(i),
                    name,
                    tags,
                    reason: "tags changed since the plan: - then, café now".into(),
                    package: None,
                    at: when,
                });
                continue;
            }
            records.push(Record::Intent {
                id: id(i),
                name,
                tags,
                package: None,
                at: when,
            });
            records.push(match v.fate {
                Fate::Deleted => Record::Deleted {
                    id: id(i),
                    at: when,
                },
                Fate::Gone => Record::Gone {
                    id: id(i),
                    note: "the DELETE answered 404".into(),
                    at: when,
                },
                _ => Record::Failed {
                    id: id(i),
                    error: "GitHub refused (422): \"You must delete the package instead\" – ü"
                        .into(),
                    at: when,
                },
            });
        }
        for (i, v) in versions.iter().enumerate() {
            if let (Some(outcome), false) = (v.undo, matches!(v.fate, Fate::Skipped)) {
                records.push(Record::Undone {
                    id: id(i),
                    outcome,
                    at: at(records.len()),
                });
            }
        }
        records
    }

    fn encode(records: &[Record]) -> Vec<u8> {
        records
            .iter()
            .flat_map(|r| {
                let mut line = serde_json::to_vec(r).unwrap();
                line.push(b'\n');
                line
            })
            .collect()
    }

    fn ids(pending: &[Pending]) -> Vec<i64> {
        pending.iter().map(|p| p.id).collect()
    }

    fn id_of(record: &Record) -> Option<i64> {
        match record {
            Record::Header(_) => None,
            Record::Intent { id, .. }
            | Record::Deleted { id, .. }
            | Record::Failed { id, .. }
            | Record::Gone { id, .. }
            | Record::Skipped { id, .. }
            | Record::Undone { id, .. } => Some(*id),
        }
    }

    /// Which versions GitHub holds deleted when the process dies while
    /// writing record `dying` of `records`, having finished `complete` of
    /// them: a DELETE follows its intent once that is complete, and a
    /// restore precedes its `undone` record.
    fn deleted_at_github(records: &[Record], dying: usize, complete: usize) -> HashSet<i64> {
        let mut deleted = HashSet::new();
        for (index, record) in records.iter().enumerate().take(dying + 1) {
            match record {
                Record::Intent { id, .. } if index < complete => {
                    if matches!(records.get(index + 1), Some(Record::Deleted { .. })) {
                        deleted.insert(*id);
                    }
                }
                Record::Undone { id, .. } => {
                    deleted.remove(id);
                }
                _ => {}
            }
        }
        deleted
    }

    /// Cuts `records` inside record `dying`, `offset` bytes into its line,
    /// and checks what reading and continuing the rest make of it.
    fn check_cut(records: &[Record], dying: usize, offset: usize, dir: &Path) {
        let before = encode(&records[..dying]);
        let line = encode(&records[dying..=dying]);
        assert!(offset < line.len());
        let mut cut = before.clone();
        cut.extend_from_slice(&line[..offset]);
        // The record is whole once its closing brace is written.
        let complete = if offset == line.len() - 1 {
            dying + 1
        } else {
            dying
        };
        let fragment = (0 < offset && offset < line.len() - 1).then_some(Fragment {
            line: dying + 1,
            bytes: offset,
        });
        let context = format!("cut {offset} bytes into record {dying}");

        // Reading: every complete record, nothing invented, the torn one named.
        let journal = parse(&cut, "j").unwrap_or_else(|e| panic!("{context}: {e}"));
        assert_eq!(journal.records, records[..complete], "{context}");
        assert_eq!(journal.fragments, Vec::from_iter(fragment), "{context}");
        let pending = journal.pending();
        let pending_ids: HashSet<i64> = ids(&pending).into_iter().collect();
        for id in deleted_at_github(records, dying, complete) {
            assert!(pending_ids.contains(&id), "{context}: {id} not restored");
        }
        for p in &pending {
            let intent = records[..complete].iter().rev().find_map(|r| match r {
                Record::Intent { id, name, .. } if *id == p.id => Some(name),
                _ => None,
            });
            assert_eq!(intent, Some(&p.name), "{context}: {} invented", p.id);
        }

        // Continuing: a re-run of the prune and an undo append to the file.
        let path = dir.join(format!("cut-{dying}-{offset}.jsonl"));
        std::fs::write(&path, &cut).unwrap();
        let header = match &records[0] {
            Record::Header(h) => h.clone(),
            _ => unreachable!(),
        };
        let more = [
            Record::Intent {
                id: 9000,
                name: "sha256:9000".into(),
                tags: vec![],
                package: None,
                at: at(900),
            },
            Record::Deleted {
                id: 9000,
                at: at(901),
            },
        ];
        let (mut writer, _) = Writer::open_for_prune(&path, &header).unwrap();
        for r in &more {
            writer.append(r).unwrap();
        }
        drop(writer);
        let undone = pending.first().map(|p| Record::Undone {
            id: p.id,
            outcome: UndoOutcome::Restored,
            at: at(902),
        });
        let mut writer = Writer::append_to(&path).unwrap();
        if let Some(r) = &undone {
            writer.append(r).unwrap();
        }
        drop(writer);

        let mut expected: Vec<Record> = records[..complete].to_vec();
        if complete == 0 {
            expected.push(records[0].clone());
        }
        expected.extend(more.iter().cloned());
        expected.extend(undone.iter().cloned());
        let bytes = std::fs::read(&path).unwrap();
        assert!(bytes.starts_with(&cut), "{context}: the fragment is kept");
        let continued = parse(&bytes, "j").unwrap_or_else(|e| panic!("{context}: {e}"));
        assert_eq!(continued.records, expected, "{context}");
        assert_eq!(continued.fragments, Vec::from_iter(fragment), "{context}");
        let reference = Journal {
            records: expected,
            ..Journal::default()
        };
        assert_eq!(continued.pending(), reference.pending(), "{context}");
        let mut want: Vec<i64> = ids(&pending)
            .into_iter()
            .filter(|id| undone.as_ref().and_then(id_of) != Some(*id))
            .collect();
        want.push(9000);
        assert_eq!(ids(&continued.pending()), want, "{context}");
        std::fs::remove_file(&path).unwrap();
    }

    fn check_every_cut(records: &[Record]) {
        // Thousands of files, each flushed several times: on tmpfs where
        // there is one, as a flush there costs nothing.
        let shm = Path::new("/dev/shm");
        let dir = if shm.is_dir() {
            tempfile::tempdir_in(shm)
        } else {
            tempfile::tempdir()
        }
        .unwrap();
        for dying in 0..records.len() {
            let len = encode(&records[dying..=dying]).len();
            for offset in 0..len {
                check_cut(records, dying, offset, dir.path());
            }
        }
    }

    #[test]
    fn a_journal_cut_at_any_byte_reads_and_continues() {
        let versions = [
            (Fate::Deleted, vec!["café".to_owned()], None),
            (Fate::Skipped, vec!["v1.2.3".to_owned()], None),
            (Fate::Gone, vec![], Some(UndoOutcome::NotDeleted)),
            (Fate::Failed, vec![], None),
            (
                Fate::Deleted,
                vec!["日本語".to_owned()],
                Some(UndoOutcome::Restored),
            ),
            (Fate::Deleted, vec![], Some(UndoOutcome::AlreadyActive)),
        ]
        .map(|(fate, tags, undo)| Version { fate, tags, undo });
        check_every_cut(&prune_then_undo(true, &versions));
    }

    fn version() -> impl Strategy<Value = Version> {
        let fate = prop_oneof![
            3 => Just(Fate::Deleted),
            1 => Just(Fate::Gone),
            1 => Just(Fate::Failed),
            1 => Just(Fate::Skipped),
        ];
        let undo = prop_oneof![
            2 => Just(None),
            1 => Just(Some(UndoOutcome::Restored)),
            1 => Just(Some(UndoOutcome::NotDeleted)),
            1 => Just(Some(UndoOutcome::AlreadyActive)),
        ];
        let tags = proptest::sample::subsequence(TAGS.to_vec(), 0..=2)
            .prop_map(|t| t.into_iter().map(str::to_owned).collect());
        (fate, tags, undo).prop_map(|(fate, tags, undo)| Version { fate, tags, undo })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(12))]

        #[test]
        fn any_journal_cut_at_any_byte_reads_and_continues(
            me in any::<bool>(),
            versions in proptest::collection::vec(version(), 1..5),
        ) {
            check_every_cut(&prune_then_undo(me, &versions));
        }
    }
}
