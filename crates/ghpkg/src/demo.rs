//! `ghpkg demo`: the main job (look, plan, prune, undo) against a fake GitHub
//! started in this process, so it runs offline, without a token, in seconds.
//! Each step is a ghpkg command line parsed and run by the same code as
//! `main` runs (`parse_from`, `run_with_token`); only its output is captured,
//! to shorten tables of hundreds of rows.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use github_packages::PackageType;
use github_packages::fake::FakeGitHub;
use serde_json::Value;

use crate::args::DemoArgs;
use crate::context::{Failure, Outcome};
use crate::dispatch::{parse_from, run_with_token};
use crate::output::out;
use crate::output::{self, plural};
use crate::serve;

const OWNER: &str = "acme";
/// The prune's journal, in the demo's own directory.
const JOURNAL: &str = "journal.jsonl";
const PACKAGE: &str = "app";

/// The retention policy of the demo's prune: a common one for a busy image.
const POLICY: &[&str] = &[
    "--keep-last",
    "10",
    "--older-than",
    "30d",
    "--untagged",
    "--tag",
    "pr-*",
];

pub(crate) async fn run(args: &DemoArgs) -> Outcome {
    // GitHub's hourly quota applies; the secondary budget of 900 points a
    // minute is lifted, so the steps need no write pacing and finish in
    // seconds. The fake reads the system clock, as ghpkg does, so the ages
    // of the sample versions are the ages `--older-than` sees.
    let gh = FakeGitHub::builder()
        .seed(args.seed)
        .sample_data()
        .no_secondary_limit()
        .start()
        .await
        .map_err(|e| Failure::Failed(format!("cannot start the fake GitHub: {e}")))?;
    // The demo works in a directory of its own, removed at the end, so the
    // journal it names is a file name there rather than a path that will
    // be gone when the reader tries it.
    let scratch = Scratch::enter()?;
    let journal = JOURNAL;
    let demo = Demo {
        url: gh.url(),
        token: gh.token_with_scopes(serve::SCOPES),
    };
    let before = Versions::of(&gh);

    step(&format!(
        "A fake GitHub on {} (seed {}): organization {OWNER} has packages of every \
         type, among them the container package {PACKAGE} with {} from the last 90 \
         days: multi-arch releases with attestations and signatures, main-branch and \
         PR builds, untagged builds.",
        gh.addr(),
        args.seed,
        plural(before.active.len(), "version"),
    ))?;
    out!(
        "    Every step below is ghpkg's own command, run in this process with \
         `--api-url {}`, a token the fake minted ({}) and no write pacing \
         (against GitHub ghpkg spaces writes 1s apart).",
        demo.url,
        serve::SCOPES.join(", ")
    )?;

    step(&format!("List the packages of {OWNER}."))?;
    let listed = demo.ghpkg(&["list", "--org", OWNER]).await?;
    show(&listed, 20, 0)?;

    step(&format!(
        "The versions of {PACKAGE}, newest first: the first rows of {}, then some of \
         the tagged ones (releases, their signatures, main and PR builds).",
        before.active.len()
    ))?;
    let versions = demo
        .ghpkg(&["versions", "container", PACKAGE, "--org", OWNER])
        .await?;
    show_tagged(&versions, 5, 10)?;

    let mut prune = vec!["prune", "container", PACKAGE, "--org", OWNER];
    prune.extend_from_slice(POLICY);
    step(
        "Plan a prune (a dry run deletes nothing): keep the 10 newest versions, and \
         delete untagged builds and PR images (pr-*) older than 30 days. ghpkg reads \
         the registry so that platform images and attestations of kept multi-arch \
         images are kept too. Shown: the --json plan, counted by action and reason.",
    )?;
    let dry_run = demo.ghpkg(&with(&prune, &["--json"])).await?;
    summarise_plan(&dry_run)?;

    step(&format!(
        "Prune for real (--yes), writing a journal of every delete to {JOURNAL}, in a \
         directory the demo works in and removes when it ends (a real prune writes it to \
         the current directory, named after the owner, package and time)."
    ))?;
    let pruned = demo
        .ghpkg(&with(&prune, &["--yes", "--journal", journal]))
        .await?;
    show(&pruned, 6, 3)?;

    let after_prune = Versions::of(&gh);
    step(&format!(
        "The state after the prune: {} active, {} deleted (GitHub keeps deleted \
         versions restorable for 30 days).",
        after_prune.active.len(),
        after_prune.deleted
    ))?;
    let deleted = demo
        .ghpkg(&[
            "versions",
            "container",
            PACKAGE,
            "--org",
            OWNER,
            "--state",
            "deleted",
        ])
        .await?;
    show(&deleted, 6, 0)?;

    step("Undo the prune from its journal: restore every version it deleted.")?;
    let undone = demo.ghpkg(&["undo", journal]).await?;
    show(&undone, 6, 3)?;

    let after_undo = Versions::of(&gh);
    step(&format!(
        "The state after the undo: {} active, {} deleted.",
        after_undo.active.len(),
        after_undo.deleted
    ))?;
    let versions = demo
        .ghpkg(&["versions", "container", PACKAGE, "--org", OWNER])
        .await?;
    show(&versions, 6, 0)?;

    step(
        "Check, from the fake's own records, that the undo restored exactly what the prune deleted.",
    )?;
    let verdict = check(&gh, &before, &after_undo);
    drop(scratch);
    match verdict {
        Ok(message) => {
            out!("{message}")?;
            Ok(())
        }
        Err(message) => Err(Failure::Failed(message)),
    }
}

/// How the demo runs ghpkg.
struct Demo {
    url: String,
    token: String,
}

impl Demo {
    /// Runs `ghpkg ARGS` as `main` would, against the fake and with its
    /// token, after echoing the command; returns what it printed on stdout.
    async fn ghpkg(&self, args: &[&str]) -> Result<String, Failure> {
        out!("$ ghpkg {}", quoted(args))?;
        let mut argv = vec![
            "ghpkg",
            "--api-url",
            &self.url,
            "--write-interval",
            "0",
            "--points-per-minute",
            "0",
        ];
        argv.extend_from_slice(args);
        let cli = parse_from(&argv)
            .map_err(|e| Failure::Failed(format!("the demo built a bad command line: {e}")))?;
        let command = Box::pin(run_with_token(cli, Some(self.token.clone())));
        let (outcome, stdout) = output::capture(command).await;
        if let Err(failure) = outcome {
            out!("{stdout}")?;
            eprintln!("the demo stopped: `ghpkg {}` failed", quoted(args));
            return Err(failure);
        }
        Ok(stdout)
    }
}

/// `base` followed by `extra`.
fn with<'a>(base: &[&'a str], extra: &[&'a str]) -> Vec<&'a str> {
    let mut all = base.to_vec();
    all.extend_from_slice(extra);
    all
}

/// One step's explanation.
fn step(text: &str) -> std::io::Result<()> {
    out!("\n==> {text}")
}

/// Arguments as a shell would need them typed.
fn quoted(args: &[&str]) -> String {
    crate::shell::command_line(args)
}

/// Prints `text`, but of a long one only the first `head` and last `tail`
/// lines, with a count of those left out.
fn show(text: &str, head: usize, tail: usize) -> std::io::Result<()> {
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() <= head + tail + 1 {
        for line in &lines {
            out!("{line}")?;
        }
        return Ok(());
    }
    for line in &lines[..head] {
        out!("{line}")?;
    }
    out!(
        "… {} not shown …",
        plural(lines.len() - head - tail, "line")
    )?;
    for line in &lines[lines.len() - tail..] {
        out!("{line}")?;
    }
    Ok(())
}

/// Prints the header and first `head` rows of a versions table, then up to
/// `tagged` of the other rows that have tags (third column not `-`).
fn show_tagged(table: &str, head: usize, tagged: usize) -> std::io::Result<()> {
    let lines: Vec<&str> = table.lines().collect();
    if lines.len() <= head + tagged + 2 {
        return show(table, lines.len(), 0);
    }
    let (first, rest) = lines.split_at(head + 1);
    for line in first {
        out!("{line}")?;
    }
    let with_tags: Vec<&str> = rest
        .iter()
        .copied()
        .filter(|line| {
            line.split_whitespace()
                .nth(2)
                .is_some_and(|tags| tags != "-")
        })
        .collect();
    out!(
        "… {} more rows; {} of them tagged, the first {}:",
        rest.len(),
        with_tags.len(),
        tagged.min(with_tags.len())
    )?;
    for line in with_tags.iter().take(tagged) {
        out!("{line}")?;
    }
    Ok(())
}

/// A prune's `--json` report in a few lines: how many versions each action
/// and reason code covers, with what the code means.
fn summarise_plan(report: &str) -> std::io::Result<()> {
    let entries: Vec<(String, String)> = serde_json::from_str::<Value>(report)
        .map(|value| plan_entries(&value))
        .unwrap_or_default();
    if entries.is_empty() {
        return show(report, 30, 5);
    }
    let mut groups: BTreeMap<(String, String), usize> = BTreeMap::new();
    for entry in &entries {
        *groups.entry(entry.clone()).or_default() += 1;
    }
    let deletes = entries.iter().filter(|(a, _)| a == "delete").count();
    out!(
        "{}: {deletes} to delete, {} to keep",
        plural(entries.len(), "active version"),
        entries.len() - deletes
    )?;
    let mut rows: Vec<_> = groups.into_iter().collect();
    // Deletes first, then the largest groups.
    rows.sort_by_key(|((action, _), count)| (action != "delete", std::cmp::Reverse(*count)));
    let mut table = String::new();
    for ((action, code), count) in rows {
        let _ = writeln!(
            table,
            "{count:>5}  {:<6}  {code:<22}  {}",
            action.to_uppercase(),
            crate::words::code_meaning(&code)
        );
    }
    show(&table, 14, 0)
}

/// `(action, reason code)` of every plan entry of every package of a
/// `--json` report (version 3).
fn plan_entries(report: &Value) -> Vec<(String, String)> {
    let packages = report["packages"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    packages
        .iter()
        .filter_map(|p| p["plan"].as_array())
        .flatten()
        .filter_map(|e| {
            let action = e["action"].as_str()?;
            let code = e["reason"]["code"].as_str()?;
            Some((action.to_owned(), code.to_owned()))
        })
        .collect()
}

/// The sample package's versions at one moment, as the fake holds them.
struct Versions {
    /// Active versions: id and tags, sorted by id.
    active: Vec<(i64, Vec<String>)>,
    /// Deleted versions still restorable.
    deleted: usize,
}

impl Versions {
    fn of(gh: &FakeGitHub) -> Versions {
        let all = gh.versions(OWNER, PackageType::Container, PACKAGE);
        let mut active: Vec<(i64, Vec<String>)> = all
            .iter()
            .filter(|v| v.deleted_at.is_none())
            .map(|v| {
                let mut tags: Vec<String> = v.tags().iter().map(|t| t.to_string()).collect();
                tags.sort();
                (v.id, tags)
            })
            .collect();
        active.sort();
        Versions {
            deleted: all.len() - active.len(),
            active,
        }
    }
}

/// Whether the undo restored exactly what the prune deleted, by the fake's
/// request log and state rather than by what ghpkg reported.
fn check(gh: &FakeGitHub, before: &Versions, after: &Versions) -> Result<String, String> {
    let sorted = |mut ids: Vec<i64>| {
        ids.sort_unstable();
        ids
    };
    let deleted = sorted(gh.deleted_ids(OWNER, PackageType::Container, PACKAGE));
    let restored = sorted(gh.restored_ids(OWNER, PackageType::Container, PACKAGE));
    if deleted.is_empty() {
        return Err("the prune deleted nothing, so there was nothing to undo".to_owned());
    }
    let missing: Vec<i64> = deleted
        .iter()
        .filter(|id| restored.binary_search(id).is_err())
        .copied()
        .collect();
    let extra: Vec<i64> = restored
        .iter()
        .filter(|id| deleted.binary_search(id).is_err())
        .copied()
        .collect();
    if !missing.is_empty() || !extra.is_empty() || deleted.len() != restored.len() {
        return Err(format!(
            "the undo did not restore exactly what the prune deleted: {} deleted, {} \
             restored; never restored: {missing:?}; restored but never deleted: {extra:?}",
            deleted.len(),
            restored.len()
        ));
    }
    if before.active != after.active {
        return Err(format!(
            "the undo restored every deleted version, but {PACKAGE} differs from before the \
             prune: {} active versions then, {} now, or their tags differ",
            before.active.len(),
            after.active.len()
        ));
    }
    Ok(format!(
        "ok: the prune deleted {} and the undo restored exactly those, each once; \
         {PACKAGE} has its {} again, with their tags.",
        plural(deleted.len(), "version"),
        plural(before.active.len(), "version")
    ))
}

/// A fresh directory under the system's temporary directory, made the
/// current one; when dropped, the previous one is current again and this
/// one is removed with everything in it.
struct Scratch {
    path: PathBuf,
    previous: PathBuf,
}

impl Scratch {
    fn enter() -> Result<Scratch, Failure> {
        let previous = std::env::current_dir()
            .map_err(|e| Failure::Failed(format!("cannot tell the current directory: {e}")))?;
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let path =
            std::env::temp_dir().join(format!("ghpkg-demo-{}-{nanos:09}", std::process::id()));
        // `create_dir`, not `create_dir_all`: an existing path (someone
        // else's) is an error, never reused.
        let cannot = |path: &Path, e: std::io::Error| {
            Failure::Failed(format!(
                "cannot create and enter a temporary directory {}: {e}",
                path.display()
            ))
        };
        std::fs::create_dir(&path).map_err(|e| cannot(&path, e))?;
        // Made before entering, so that a failure still removes it.
        let scratch = Scratch { path, previous };
        std::env::set_current_dir(&scratch.path).map_err(|e| cannot(&scratch.path, e))?;
        Ok(scratch)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::env::set_current_dir(&self.previous);
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_entries_are_read_by_code() {
        let report: Value = serde_json::json!({"version": 3, "packages": [{"plan": [
            {"id": 1, "action": "delete", "reason": {"code": "selected", "criteria": []}},
            {"id": 2, "action": "keep", "reason": {"code": "part_of", "index": "sha256:1"}}
        ]}]});
        assert_eq!(
            plan_entries(&report),
            [
                ("delete".to_owned(), "selected".to_owned()),
                ("keep".to_owned(), "part_of".to_owned())
            ]
        );
        assert!(plan_entries(&serde_json::json!({"version": 3})).is_empty());
    }

    #[tokio::test]
    async fn the_check_passes_only_when_undo_restored_exactly_what_was_deleted() {
        use github_packages::fake::Owner;
        use github_packages::{Client, Scope};
        let gh = FakeGitHub::builder()
            .without_rate_limits()
            .start()
            .await
            .unwrap();
        let app = gh
            .package(Owner::org(OWNER), PackageType::Container, PACKAGE)
            .image()
            .tags(["v1"])
            .image()
            .image()
            .create()
            .unwrap();
        let (one, two) = (app.versions[1].id, app.versions[2].id);
        let before = Versions::of(&gh);
        let client = Client::builder()
            .base_url(gh.url())
            .token(gh.token_with_scopes(serve::SCOPES))
            .min_write_interval(std::time::Duration::ZERO)
            .points_per_minute(0)
            .build()
            .unwrap();
        let version = |id| {
            client
                .packages(Scope::org(OWNER))
                .version(PackageType::Container, PACKAGE, id)
        };
        let verdict = || check(&gh, &before, &Versions::of(&gh));
        assert!(verdict().unwrap_err().contains("deleted nothing"));
        version(one).delete().await.unwrap();
        version(two).delete().await.unwrap();
        version(one).restore().await.unwrap();
        let error = verdict().unwrap_err();
        assert!(
            error.contains(&format!("never restored: [{two}]")),
            "{error}"
        );
        version(two).restore().await.unwrap();
        assert!(verdict().unwrap().contains("restored exactly those"));
    }

    #[test]
    fn long_outputs_are_shortened_and_arguments_quoted() {
        assert_eq!(
            quoted(&["prune", "--tag", "pr-*", "it's"]),
            "prune --tag 'pr-*' 'it'\\''s'"
        );
    }
}
