//! The `spec` command: connects the cut and the patches to the three files under spec/,
//! writing them or, with `--check`, only comparing what they would contain. All paths are
//! taken relative to a root directory passed in, so tests can run against a scratch copy.

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
}

/// Runs the command and returns the lines to print on success; the error is the whole
/// message for stderr. Nothing is written unless every step has succeeded.
pub(crate) fn run(root: &Path, options: &Options) -> Result<Vec<String>, String> {
    if options.check {
        check(root, options.from.as_deref())
    } else {
        write(root, options.from.as_deref())
    }
}

fn write(root: &Path, from: Option<&Path>) -> Result<Vec<String>, String> {
    let (cut_value, cut_text) = match from {
        Some(from) => {
            let cut_value = cut_upstream(from)?;
            let text = render(&cut_value);
            (cut_value, Some(text))
        }
        None => (read_json(root, UPSTREAM_CUT)?.1, None),
    };
    let patches = read_patches(root)?;
    let fragment = apply(&cut_value, &patches)?;

    let mut report = Vec::new();
    if let Some(text) = cut_text {
        report.push(write_file(
            root,
            UPSTREAM_CUT,
            &text,
            &describe(&cut_value),
        )?);
    }
    let applied = format!("{} patch(es) applied", patches.len());
    report.push(write_file(root, FRAGMENT, &render(&fragment), &applied)?);
    Ok(report)
}

fn check(root: &Path, from: Option<&Path>) -> Result<Vec<String>, String> {
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
    Ok(vec![format!(
        "spec OK: {FRAGMENT} = {UPSTREAM_CUT} + {} patch(es){against}",
        patches.len()
    )])
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
/// (build.rs, an editor) from seeing a half-written file.
fn write_file(root: &Path, relative: &str, text: &str, note: &str) -> Result<String, String> {
    let path = root.join(relative);
    if fs::read_to_string(&path).is_ok_and(|old| old == text) {
        return Ok(format!("unchanged {relative} ({note})"));
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
            from: None,
        }
    }

    #[test]
    fn from_writes_cut_and_patched_fragment_then_check_passes() {
        let root = Scratch::new("roundtrip");
        let upstream_path = root.0.join("upstream.json");
        fs::write(&upstream_path, upstream().to_string()).unwrap();
        root.put(PATCHES, PATCH);
        let from = Options {
            check: false,
            from: Some(upstream_path.clone()),
        };

        let report = run(&root.0, &from).unwrap();
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

        let again = run(&root.0, &from).unwrap();
        assert!(
            again.iter().all(|line| line.starts_with("unchanged")),
            "{again:?}"
        );

        let ok = run(
            &root.0,
            &Options {
                check: true,
                from: Some(upstream_path),
            },
        )
        .unwrap();
        assert!(ok[0].starts_with("spec OK"), "{ok:?}");
    }

    #[test]
    fn check_reports_a_stale_fragment_and_reapplying_fixes_it() {
        let root = Scratch::new("stale");
        root.put(UPSTREAM_CUT, &render(&cut::cut(&upstream()).unwrap()));
        root.put(PATCHES, "[]");
        run(&root.0, &Options::default()).unwrap();
        run(&root.0, &check_only()).unwrap();

        // Someone edits the patches but forgets to regenerate.
        root.put(PATCHES, PATCH);
        let before = root.get(FRAGMENT);
        let err = run(&root.0, &check_only()).unwrap_err();
        assert_eq!(err, format!("{FRAGMENT} is stale: run `cargo xtask spec`"));
        assert_eq!(root.get(FRAGMENT), before, "--check must not write");

        run(&root.0, &Options::default()).unwrap();
        run(&root.0, &check_only()).unwrap();

        // Formatting counts too: the comparison is byte for byte.
        root.put(FRAGMENT, root.get(FRAGMENT).trim_end());
        assert!(
            run(&root.0, &check_only())
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
        run(&root.0, &Options::default()).unwrap();

        let options = Options {
            check: true,
            from: Some(upstream_path.clone()),
        };
        let err = run(&root.0, &options).unwrap_err();
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
        let err = run(&root.0, &check_only()).unwrap_err();
        assert!(
            err.starts_with(&format!("{UPSTREAM_CUT} is missing")),
            "{err}"
        );

        root.put(UPSTREAM_CUT, &render(&cut::cut(&upstream()).unwrap()));
        let err = run(&root.0, &Options::default()).unwrap_err();
        assert!(err.starts_with(&format!("{PATCHES} is missing")), "{err}");

        root.put(PATCHES, "[{]");
        let err = run(&root.0, &Options::default()).unwrap_err();
        assert!(err.starts_with(&format!("{PATCHES} is malformed")), "{err}");

        root.put(PATCHES, "[]");
        let err = run(&root.0, &check_only()).unwrap_err();
        assert!(err.starts_with(&format!("{FRAGMENT} is missing")), "{err}");

        root.put(FRAGMENT, "{");
        let err = run(&root.0, &check_only()).unwrap_err();
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
        let err = run(&root.0, &Options::default()).unwrap_err();
        assert_eq!(
            err,
            format!(
                "{PATCHES}: patch `gone`, op 0 (remove /paths/~1nope): no value at /paths/~1nope"
            )
        );
        assert!(!root.0.join(FRAGMENT).exists());

        root.put(FRAGMENT, "{}\n");
        let err = run(&root.0, &check_only()).unwrap_err();
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
