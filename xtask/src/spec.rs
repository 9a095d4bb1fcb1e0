//! The `spec` command: connects the cut and the patches to the three files under spec/,
//! writing them or, with `--check` or `--dry-run`, only comparing what they would contain.
//! With `--from` it first reports how the new description drifts from the checked-in cut.
//! All paths are taken relative to a root directory passed in, so tests can run against a
//! scratch copy.

use crate::report::Report;
use crate::{cut, patch};
use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};

pub(crate) const UPSTREAM_CUT: &str = "spec/api.github.com.packages.upstream.json";
pub(crate) const PATCHES: &str = "spec/patches.json";
pub(crate) const FRAGMENT: &str = "spec/api.github.com.packages.json";

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Options {
    pub(crate) check: bool,
    pub(crate) from: Option<PathBuf>,
    /// Report and compare, but write nothing (only with `from`).
    pub(crate) dry_run: bool,
    /// The report in Markdown (only with `from`); read by main, which prints it.
    pub(crate) markdown: bool,
}

/// What a successful run did.
#[derive(Debug)]
pub(crate) struct Done {
    /// The breaking changes the drift report found; 0 when there was no report.
    pub(crate) breaking: usize,
    /// One line per file written, left unchanged or checked.
    pub(crate) lines: Vec<String>,
}

/// Runs the command. With `--from`, the drift report goes to `show` before anything is
/// written, so it is seen even when a patch then fails. Nothing is written unless every
/// step has succeeded; the error is the whole message for stderr.
pub(crate) fn run(
    root: &Path,
    options: &Options,
    show: &mut dyn FnMut(&Report),
) -> Result<Done, String> {
    match (&options.from, options.check) {
        (_, true) => check(root, options.from.as_deref()),
        (Some(from), false) => recut(root, from, options.dry_run, show),
        (None, false) => reapply(root),
    }
}

fn reapply(root: &Path) -> Result<Done, String> {
    let (_, cut_value) = read_json(root, UPSTREAM_CUT)?;
    let patches = read_patches(root)?;
    let fragment = apply(&cut_value, &patches)?;
    let applied = format!("{} patch(es) applied", patches.len());
    let line = write_file(root, FRAGMENT, &render(&fragment), &applied, false)?;
    Ok(Done {
        breaking: 0,
        lines: vec![line],
    })
}

/// Cuts `from`, reports its drift from the checked-in cut, then writes both files (or,
/// in a dry run, says which would change).
fn recut(
    root: &Path,
    from: &Path,
    dry_run: bool,
    show: &mut dyn FnMut(&Report),
) -> Result<Done, String> {
    let new_cut = cut_upstream(from)?;
    let old_cut = baseline(root)?;
    let patches = read_patches(root)?;
    let report = Report::new(
        (UPSTREAM_CUT, &old_cut),
        (&from.display().to_string(), &new_cut),
        &patches,
    );
    show(&report);
    let fragment = apply(&new_cut, &patches)?;
    let applied = format!("{} patch(es) applied", patches.len());
    let mut lines = vec![
        write_file(
            root,
            UPSTREAM_CUT,
            &render(&new_cut),
            &describe(&new_cut),
            dry_run,
        )?,
        write_file(root, FRAGMENT, &render(&fragment), &applied, dry_run)?,
    ];
    if dry_run {
        lines.push("dry run: nothing written".to_owned());
    }
    Ok(Done {
        breaking: report.breaking(),
        lines,
    })
}

/// The checked-in cut the drift is measured from; before the first cut there is none,
/// and every operation counts as added.
fn baseline(root: &Path) -> Result<Value, String> {
    if root.join(UPSTREAM_CUT).exists() {
        Ok(read_json(root, UPSTREAM_CUT)?.1)
    } else {
        Ok(Value::Object(serde_json::Map::new()))
    }
}

fn check(root: &Path, from: Option<&Path>) -> Result<Done, String> {
    let (cut_text, cut_value) = read_json(root, UPSTREAM_CUT)?;
    let patches = read_patches(root)?;
    let (fragment_text, _) = read_json(root, FRAGMENT)?;

    let mut stale = Vec::new();
    if let Some(from) = from
        && render(&cut_upstream(from)?) != cut_text
    {
        stale.push(format!(
            "{UPSTREAM_CUT} is stale: it differs from a fresh cut of {}; run `cargo xtask spec --from {}`",
            from.display(),
            from.display()
        ));
    }
    // Keep going after a stale cut so one run reports every problem.
    match apply(&cut_value, &patches) {
        Ok(fragment) if render(&fragment) == fragment_text => {}
        Ok(_) => stale.push(format!("{FRAGMENT} is stale: run `cargo xtask spec`")),
        Err(e) => stale.push(format!("{e}; fix it, then run `cargo xtask spec`")),
    }
    if !stale.is_empty() {
        return Err(stale.join("\n"));
    }
    let against = match from {
        Some(from) => format!(" and the cut matches {}", from.display()),
        None => String::new(),
    };
    Ok(Done {
        breaking: 0,
        lines: vec![format!(
            "spec OK: {FRAGMENT} = {UPSTREAM_CUT} + {} patch(es){against}",
            patches.len()
        )],
    })
}

/// The one output format for both generated files. For ASCII text (all of the fragment
/// today) it is byte-identical to Python's `json.dumps(doc, indent=2) + "\n"`, which is
/// how the first fragment was made; non-ASCII would come out raw here, escaped there.
pub(crate) fn render(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).expect("a Value always serializes");
    text.push('\n');
    text
}

fn cut_upstream(from: &Path) -> Result<Value, String> {
    let bytes =
        fs::read(from).map_err(|e| format!("cannot read upstream {}: {e}", from.display()))?;
    let upstream: Value = serde_json::from_slice(&bytes)
        .map_err(|e| format!("{} is not valid JSON: {e}", from.display()))?;
    cut::cut(&upstream).map_err(|e| format!("cannot cut {}: {e}", from.display()))
}

fn read_patches(root: &Path) -> Result<Vec<patch::Patch>, String> {
    let (_, value) = read_json(root, PATCHES)?;
    patch::parse_patches(&value).map_err(|e| format!("{PATCHES} is malformed: {e}"))
}

fn apply(cut: &Value, patches: &[patch::Patch]) -> Result<Value, String> {
    let mut doc = cut.clone();
    patch::apply_patches(&mut doc, patches).map_err(|e| format!("{PATCHES}: {e}"))?;
    Ok(doc)
}

/// Reads a checked-in file, keeping its exact text for byte comparisons.
fn read_json(root: &Path, relative: &str) -> Result<(String, Value), String> {
    let text = fs::read_to_string(root.join(relative)).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            let hint = match relative {
                PATCHES => "create it containing `[]`",
                UPSTREAM_CUT => "run `cargo xtask spec --from <upstream.json>`",
                _ => "run `cargo xtask spec`",
            };
            format!("{relative} is missing: {hint}")
        } else {
            format!("cannot read {relative}: {e}")
        }
    })?;
    let value = serde_json::from_str(&text)
        .map_err(|e| format!("{relative} is malformed: not valid JSON: {e}"))?;
    Ok((text, value))
}

/// Writes only when the content changes, so an unchanged file keeps its mtime and
/// build.rs does not rebuild for nothing. The temporary file plus rename keeps a reader
/// (build.rs, an editor) from seeing a half-written file. A dry run only says what a real
/// run would do.
fn write_file(
    root: &Path,
    relative: &str,
    text: &str,
    note: &str,
    dry_run: bool,
) -> Result<String, String> {
    let path = root.join(relative);
    if fs::read_to_string(&path).is_ok_and(|old| old == text) {
        return Ok(format!("unchanged {relative} ({note})"));
    }
    if dry_run {
        return Ok(format!(
            "would write {relative} ({note}, {} bytes)",
            text.len()
        ));
    }
    let fail = |e: std::io::Error| format!("cannot write {relative}: {e}");
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(fail)?;
    }
    let temporary = path.with_extension("json.tmp");
    fs::write(&temporary, text).map_err(fail)?;
    fs::rename(&temporary, &path).map_err(fail)?;
    Ok(format!("wrote {relative} ({note}, {} bytes)", text.len()))
}

/// A one-line summary of a cut, so a re-cut that changes shape is noticed in the output.
fn describe(fragment: &Value) -> String {
    let paths = fragment["paths"].as_object();
    let operations: usize = paths
        .into_iter()
        .flat_map(|p| p.values())
        .filter_map(Value::as_object)
        .map(|item| {
            item.keys()
                .filter(|k| cut::METHODS.contains(&k.as_str()))
                .count()
        })
        .sum();
    let components: Vec<String> = fragment["components"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(kind, section)| format!("{} {kind}", section.as_object().map_or(0, |s| s.len())))
        .collect();
    format!(
        "{operations} operations on {} paths; {}",
        paths.map_or(0, |p| p.len()),
        if components.is_empty() {
            "no components".to_owned()
        } else {
            components.join(", ")
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn quiet(root: &Path, options: &Options) -> Result<Done, String> {
        run(root, options, &mut |_| {})
    }

    /// Runs and keeps the report that was shown, if any.
    fn reported(root: &Path, options: &Options) -> (Result<Done, String>, Option<Report>) {
        let mut shown = None;
        let outcome = run(root, options, &mut |report| shown = Some(report.clone()));
        (outcome, shown)
    }

    /// A scratch workspace root under the system temp dir, removed when dropped.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(name: &str) -> Scratch {
            let dir =
                std::env::temp_dir().join(format!("xtask-spec-{}-{name}", std::process::id()));
            let _ = fs::remove_dir_all(&dir);
            fs::create_dir_all(dir.join("spec")).unwrap();
            Scratch(dir)
        }

        fn put(&self, relative: &str, text: &str) {
            fs::write(self.0.join(relative), text).unwrap();
        }

        fn get(&self, relative: &str) -> String {
            fs::read_to_string(self.0.join(relative)).unwrap()
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn upstream() -> Value {
        json!({
            "openapi": "3.0.3",
            "info": {"version": "x", "title": "x", "description": "x", "contact": {"url": "x"}},
            "tags": [{"name": "packages"}],
            "paths": {"/user/packages": {"get": {
                "tags": ["packages"],
                "summary": "List packages",
                "x-octokit": {},
                "responses": {"200": {"$ref": "#/components/responses/ok"}}
            }}},
            "components": {"responses": {"ok": {"description": "OK"}}}
        })
    }

    const PATCH: &str = r#"[{"id": "better-summary", "reason": "test", "ops": [
        {"op": "replace", "path": "/paths/~1user~1packages/get/summary", "value": "List"}
    ]}]"#;

    fn check_only() -> Options {
        Options {
            check: true,
            ..Options::default()
        }
    }

    #[test]
    fn from_writes_cut_and_patched_fragment_then_check_passes() {
        let root = Scratch::new("roundtrip");
        let upstream_path = root.0.join("upstream.json");
        fs::write(&upstream_path, upstream().to_string()).unwrap();
        root.put(PATCHES, PATCH);
        let from = Options {
            from: Some(upstream_path.clone()),
            ..Options::default()
        };

        let report = quiet(&root.0, &from).unwrap().lines;
        assert!(
            report[0].starts_with(&format!("wrote {UPSTREAM_CUT}")),
            "{report:?}"
        );
        assert!(
            report[1].starts_with(&format!("wrote {FRAGMENT}")),
            "{report:?}"
        );
        assert!(
            root.get(UPSTREAM_CUT)
                .contains("\"summary\": \"List packages\"")
        );
        assert!(!root.get(UPSTREAM_CUT).contains("x-octokit"));
        assert!(root.get(FRAGMENT).contains("\"summary\": \"List\","));
        assert!(root.get(FRAGMENT).ends_with("}\n"));

        let again = quiet(&root.0, &from).unwrap().lines;
        assert!(
            again.iter().all(|line| line.starts_with("unchanged")),
            "{again:?}"
        );

        let ok = quiet(
            &root.0,
            &Options {
                check: true,
                from: Some(upstream_path),
                ..Options::default()
            },
        )
        .unwrap()
        .lines;
        assert!(ok[0].starts_with("spec OK"), "{ok:?}");
    }

    /// A scratch root holding a cut of `upstream()` and its patched fragment, plus a
    /// newer upstream whose 200 answer lost its body (a breaking change).
    fn with_newer_upstream(name: &str, patches: &str) -> (Scratch, PathBuf) {
        let root = Scratch::new(name);
        root.put(UPSTREAM_CUT, &render(&cut::cut(&upstream()).unwrap()));
        root.put(PATCHES, patches);
        quiet(&root.0, &Options::default()).unwrap();
        let mut newer = upstream();
        newer["components"]["responses"]["ok"]["content"] =
            json!({"application/json": {"schema": {"type": "object"}}});
        newer["paths"]["/user/packages"]["get"]["summary"] = json!("Renamed upstream");
        let path = root.0.join("newer.json");
        fs::write(&path, newer.to_string()).unwrap();
        (root, path)
    }

    fn recut_options(from: &Path, dry_run: bool) -> Options {
        Options {
            from: Some(from.to_owned()),
            dry_run,
            ..Options::default()
        }
    }

    #[test]
    fn dry_run_reports_the_drift_and_writes_nothing() {
        let (root, newer) = with_newer_upstream("dry-run", PATCH);
        let (cut_before, fragment_before) = (root.get(UPSTREAM_CUT), root.get(FRAGMENT));

        let (done, report) = reported(&root.0, &recut_options(&newer, true));
        let (done, report) = (done.unwrap(), report.expect("a report"));
        assert_eq!(done.breaking, 0);
        assert_eq!(report.old, UPSTREAM_CUT);
        assert_eq!(report.new, newer.display().to_string());
        assert_eq!((report.breaking(), report.drift.other()), (0, 1));
        assert_eq!(done.lines.len(), 3, "{:?}", done.lines);
        assert!(done.lines[0].starts_with(&format!(
            "would write {UPSTREAM_CUT} (1 operations on 1 paths; 1 responses, "
        )));
        assert!(done.lines[1].starts_with(&format!("would write {FRAGMENT} (1 patch(es)")));
        assert_eq!(done.lines[2], "dry run: nothing written");
        assert_eq!(root.get(UPSTREAM_CUT), cut_before);
        assert_eq!(root.get(FRAGMENT), fragment_before);

        let (done, report) = reported(&root.0, &recut_options(&newer, false));
        let done = done.unwrap();
        assert!(report.is_some());
        assert!(done.lines[0].starts_with(&format!("wrote {UPSTREAM_CUT}")));
        assert!(root.get(UPSTREAM_CUT).contains("Renamed upstream"));
    }

    #[test]
    fn a_patch_that_no_longer_applies_stops_the_recut_after_the_report() {
        let guarded = r#"[{"id": "guarded", "reason": "test", "ops": [
            {"op": "test", "path": "/paths/~1user~1packages/get/summary", "value": "List packages"},
            {"op": "replace", "path": "/paths/~1user~1packages/get/summary", "value": "List"}
        ]}]"#;
        let (root, newer) = with_newer_upstream("stale-patch", guarded);
        let (cut_before, fragment_before) = (root.get(UPSTREAM_CUT), root.get(FRAGMENT));
        for dry_run in [true, false] {
            let (failed, report) = reported(&root.0, &recut_options(&newer, dry_run));
            assert_eq!(
                failed.unwrap_err(),
                format!(
                    "{PATCHES}: patch `guarded`, op 0 (test /paths/~1user~1packages/get/summary): \
                     test failed: expected \"List packages\", found \"Renamed upstream\""
                )
            );
            let report = report.expect("the report is shown before the failure");
            assert_eq!(
                report.patches[0].verdict,
                crate::replay::Verdict::Fails(
                    "op 0 (test /paths/~1user~1packages/get/summary): \
                     test failed: expected \"List packages\", found \"Renamed upstream\""
                        .to_owned()
                )
            );
            assert_eq!(root.get(UPSTREAM_CUT), cut_before);
            assert_eq!(root.get(FRAGMENT), fragment_before);
        }
    }

    #[test]
    fn the_first_cut_counts_every_operation_as_added() {
        let root = Scratch::new("first-cut");
        root.put(PATCHES, "[]");
        let upstream_path = root.0.join("upstream.json");
        fs::write(&upstream_path, upstream().to_string()).unwrap();
        let (done, report) = reported(&root.0, &recut_options(&upstream_path, false));
        assert_eq!(done.unwrap().breaking, 0);
        let report = report.unwrap();
        assert_eq!(report.drift.before, 0);
        assert_eq!(report.drift.added[0].key(), "GET /user/packages");
        assert!(root.get(UPSTREAM_CUT).contains("List packages"));
    }

    /// The GitHub Enterprise Server fixture must be what the cutter makes, not a
    /// hand-edited file: cutting it again changes nothing.
    #[test]
    fn the_ghes_fixture_is_a_cut() {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ghes-3.19.packages.json");
        let text = fs::read_to_string(path).unwrap();
        let value: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(render(&cut::cut(&value).unwrap()), text);
    }

    #[test]
    fn check_reports_a_stale_fragment_and_reapplying_fixes_it() {
        let root = Scratch::new("stale");
        root.put(UPSTREAM_CUT, &render(&cut::cut(&upstream()).unwrap()));
        root.put(PATCHES, "[]");
        quiet(&root.0, &Options::default()).unwrap();
        quiet(&root.0, &check_only()).unwrap();

        // Someone edits the patches but forgets to regenerate.
        root.put(PATCHES, PATCH);
        let before = root.get(FRAGMENT);
        let err = quiet(&root.0, &check_only()).unwrap_err();
        assert_eq!(err, format!("{FRAGMENT} is stale: run `cargo xtask spec`"));
        assert_eq!(root.get(FRAGMENT), before, "--check must not write");

        quiet(&root.0, &Options::default()).unwrap();
        quiet(&root.0, &check_only()).unwrap();

        // Formatting counts too: the comparison is byte for byte.
        root.put(FRAGMENT, root.get(FRAGMENT).trim_end());
        assert!(
            quiet(&root.0, &check_only())
                .unwrap_err()
                .contains("is stale")
        );
    }

    #[test]
    fn check_from_reports_a_stale_cut() {
        let root = Scratch::new("stale-cut");
        let upstream_path = root.0.join("upstream.json");
        let mut newer = upstream();
        newer["paths"]["/user/packages"]["get"]["summary"] = json!("Changed upstream");
        fs::write(&upstream_path, newer.to_string()).unwrap();
        root.put(UPSTREAM_CUT, &render(&cut::cut(&upstream()).unwrap()));
        root.put(PATCHES, "[]");
        quiet(&root.0, &Options::default()).unwrap();

        let options = Options {
            check: true,
            from: Some(upstream_path.clone()),
            ..Options::default()
        };
        let err = quiet(&root.0, &options).unwrap_err();
        assert!(
            err.starts_with(&format!("{UPSTREAM_CUT} is stale")),
            "{err}"
        );
        assert!(
            err.contains(&format!(
                "run `cargo xtask spec --from {}`",
                upstream_path.display()
            )),
            "{err}"
        );
    }

    #[test]
    fn missing_and_malformed_files_are_named() {
        let root = Scratch::new("missing");
        let err = quiet(&root.0, &check_only()).unwrap_err();
        assert!(
            err.starts_with(&format!("{UPSTREAM_CUT} is missing")),
            "{err}"
        );

        root.put(UPSTREAM_CUT, &render(&cut::cut(&upstream()).unwrap()));
        let err = quiet(&root.0, &Options::default()).unwrap_err();
        assert!(err.starts_with(&format!("{PATCHES} is missing")), "{err}");

        root.put(PATCHES, "[{]");
        let err = quiet(&root.0, &Options::default()).unwrap_err();
        assert!(err.starts_with(&format!("{PATCHES} is malformed")), "{err}");

        root.put(PATCHES, "[]");
        let err = quiet(&root.0, &check_only()).unwrap_err();
        assert!(err.starts_with(&format!("{FRAGMENT} is missing")), "{err}");

        root.put(FRAGMENT, "{");
        let err = quiet(&root.0, &check_only()).unwrap_err();
        assert!(
            err.starts_with(&format!("{FRAGMENT} is malformed")),
            "{err}"
        );
    }

    #[test]
    fn a_failing_patch_writes_nothing() {
        let root = Scratch::new("failing");
        root.put(UPSTREAM_CUT, &render(&cut::cut(&upstream()).unwrap()));
        root.put(
            PATCHES,
            r#"[{"id": "gone", "reason": "r", "ops": [{"op": "remove", "path": "/paths/~1nope"}]}]"#,
        );
        let err = quiet(&root.0, &Options::default()).unwrap_err();
        assert_eq!(
            err,
            format!(
                "{PATCHES}: patch `gone`, op 0 (remove /paths/~1nope): no value at /paths/~1nope"
            )
        );
        assert!(!root.0.join(FRAGMENT).exists());

        root.put(FRAGMENT, "{}\n");
        let err = quiet(&root.0, &check_only()).unwrap_err();
        assert!(err.contains("patch `gone`, op 0"), "{err}");
        assert!(err.ends_with("run `cargo xtask spec`"), "{err}");
    }

    #[test]
    fn render_matches_python_json_dumps_indent_2() {
        let doc: Value = serde_json::from_str(
            r#"{"a": [], "b": {}, "c": [1, 1.4, -2, "x\u0001\"/"], "d": {"e": null}}"#,
        )
        .unwrap();
        // Expected text as printed by `json.dumps(doc, indent=2) + "\n"`.
        let python = "{\n  \"a\": [],\n  \"b\": {},\n  \"c\": [\n    1,\n    1.4,\n    -2,\n    \"x\\u0001\\\"/\"\n  ],\n  \"d\": {\n    \"e\": null\n  }\n}\n";
        assert_eq!(render(&doc), python);
    }
}
