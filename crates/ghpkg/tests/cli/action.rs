//! The GitHub Action: `action.yml` parses, every input reaches the run
//! step's script, and the script, run with the variables Actions sets
//! against the fake GitHub, prunes, writes the job summary and the step
//! outputs, and leaves a journal that undoes the run.

use std::collections::BTreeMap;
use std::path::Path;

use github_packages::PackageType;
use github_packages::fake::Owner;
use yaml_rust2::{Yaml, YamlLoader};

use crate::fakes::Fake;
use crate::support::{Ghpkg, Run, tempdir};

/// The repository, where `action.yml` and `action/` live.
const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

fn action() -> Yaml {
    let text = std::fs::read_to_string(format!("{ROOT}/action.yml")).unwrap();
    YamlLoader::load_from_str(&text)
        .expect("action.yml is YAML")
        .remove(0)
}

fn inputs(action: &Yaml) -> Vec<String> {
    action["inputs"]
        .as_hash()
        .expect("inputs")
        .keys()
        .map(|k| k.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn every_input_reaches_the_run_step() {
    let action = action();
    assert_eq!(action["runs"]["using"].as_str(), Some("composite"));
    let inputs = inputs(&action);
    for expected in [
        "owner",
        "packages",
        "type",
        "keep-last",
        "keep-tagged",
        "keep-untagged",
        "older-than",
        "untagged",
        "tags",
        "exclude-tags",
        "dry-run",
        "token",
    ] {
        assert!(inputs.iter().any(|i| i == expected), "input {expected}");
    }
    assert_eq!(
        action["inputs"]["dry-run"]["default"].as_str(),
        Some("true"),
        "a dry run unless asked"
    );
    assert_eq!(
        action["inputs"]["token"]["default"].as_str(),
        Some("${{ github.token }}")
    );
    let steps = action["runs"]["steps"].as_vec().unwrap();
    let prune = steps
        .iter()
        .find(|s| s["id"].as_str() == Some("prune"))
        .expect("a step with id prune");
    let env = prune["env"].as_hash().unwrap();
    let script = std::fs::read_to_string(format!("{ROOT}/action/prune.sh")).unwrap();
    for input in &inputs {
        let expression = format!("${{{{ inputs.{input} }}}}");
        let variable = env
            .iter()
            .find(|(_, v)| v.as_str() == Some(expression.as_str()))
            .map(|(k, _)| k.as_str().unwrap())
            .unwrap_or_else(|| panic!("input {input} is not passed to the run step"));
        if input != "token" {
            assert!(
                script.contains(variable),
                "{variable} ({input}) is not used by action/prune.sh"
            );
        }
    }
    for output in ["deleted-count", "journal"] {
        let value = action["outputs"][output]["value"].as_str().unwrap();
        assert_eq!(value, format!("${{{{ steps.prune.outputs.{output} }}}}"));
    }
}

/// Runs action/prune.sh as the Prune step would, against `fake`.
fn step(fake: &Fake, dir: &Path, inputs: &[(&str, &str)]) -> (Run, String, String) {
    let summary = dir.join("summary.md");
    let outputs = dir.join("outputs.txt");
    let _ = std::fs::remove_file(&summary);
    let _ = std::fs::remove_file(&outputs);
    // As on a runner: only what Actions sets for the step, besides PATH.
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut step = Ghpkg::script(dir, "bash", Path::new(&format!("{ROOT}/action/prune.sh")))
        .parent_env([("PATH", path)])
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_API_URL", fake.url())
        .token(&fake.token)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("GITHUB_OUTPUT", &outputs)
        .env("GITHUB_RUN_ID", "4242")
        .env("GITHUB_RUN_ATTEMPT", "1")
        .env("GITHUB_ACTION", "prune-web")
        .env("RUNNER_TEMP", dir);
    let mut all: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in inputs {
        all.insert(
            format!("INPUT_{}", name.to_uppercase().replace('-', "_")),
            (*value).to_owned(),
        );
    }
    for (name, value) in all {
        step = step.env(name, value);
    }
    let run = step.run();
    let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
    (run, read(&summary), read(&outputs))
}

#[test]
fn the_step_prunes_summarises_and_leaves_a_journal_that_undoes_it() {
    let fake = Fake::start();
    for name in ["app-web", "app-api"] {
        fake.gh
            .package(Owner::org("acme"), PackageType::Container, name)
            .image()
            .image()
            .image()
            .tags(["latest"])
            .create()
            .unwrap();
    }
    let dir = tempdir();
    let url = fake.url();
    let inputs = [
        ("owner", "acme"),
        ("owner-type", "org"),
        ("packages", "app-web,\napp-api"),
        ("type", "container"),
        ("keep-untagged", "0"),
        ("exclude-tags", "latest"),
        ("registry-url", url.as_str()),
        ("dry-run", "true"),
    ];

    // A dry run: a summary and outputs, nothing deleted.
    let (run, summary, outputs) = step(&fake, dir.path(), &inputs);
    run.expect(0);
    assert!(summary.contains("dry run, nothing deleted"), "{summary}");
    assert!(summary.contains("| app-web | 3 | 1 | 2 | 0 |"), "{summary}");
    assert!(outputs.contains("deleted-count=0\n"), "{outputs}");
    assert!(outputs.contains("journal=\n"), "{outputs}");
    assert!(
        fake.gh
            .requests()
            .iter()
            .all(|r| r.method != http::Method::DELETE)
    );

    // For real: two versions of each package.
    let mut real = inputs;
    real[7] = ("dry-run", "false");
    let (run, summary, outputs) = step(&fake, dir.path(), &real);
    run.expect(0);
    assert!(outputs.contains("deleted-count=4\n"), "{outputs}");
    let journal = outputs
        .lines()
        .find_map(|l| l.strip_prefix("journal="))
        .expect("a journal output")
        .to_owned();
    assert!(
        journal.ends_with("ghpkg-journal-4242-1-prune-web.jsonl"),
        "{journal}"
    );
    assert!(summary.contains("**Undo:** `ghpkg undo"), "{summary}");
    assert!(summary.contains("| app-api | 3 | 1 | 2 | 2 |"), "{summary}");
    for name in ["app-web", "app-api"] {
        assert_eq!(
            fake.gh
                .deleted_ids("acme", PackageType::Container, name)
                .len(),
            2
        );
    }
    fake.ghpkg(dir.path(), &["undo", &journal]).expect(0);
    for name in ["app-web", "app-api"] {
        assert_eq!(
            fake.gh
                .restored_ids("acme", PackageType::Container, name)
                .len(),
            2
        );
    }
}

#[test]
fn bad_inputs_stop_the_step_with_an_annotation() {
    let fake = Fake::start();
    let dir = tempdir();
    for (inputs, hint) in [
        (
            vec![("owner", "acme"), ("packages", "")],
            "packages is empty",
        ),
        (
            vec![("owner", "acme"), ("packages", "app"), ("dry-run", "maybe")],
            "dry-run must be true or false",
        ),
        (
            vec![
                ("owner", "acme"),
                ("owner-type", "team"),
                ("packages", "app"),
            ],
            "owner-type must be org or user",
        ),
    ] {
        let (run, _, _) = step(&fake, dir.path(), &inputs);
        run.expect(2);
        assert!(run.stdout.contains("::error"), "{}", run.stdout);
        assert!(run.stdout.contains(hint), "{}", run.stdout);
    }
    // An input cannot start a workflow command of its own.
    let (run, _, _) = step(
        &fake,
        dir.path(),
        &[
            ("owner", "acme"),
            ("packages", "app"),
            ("dry-run", "x\n::add-mask::y"),
        ],
    );
    run.expect(2);
    assert!(run.stdout.contains("x%0A::add-mask::y"), "{}", run.stdout);
    assert!(
        !run.stdout.lines().any(|l| l.starts_with("::add-mask")),
        "{}",
        run.stdout
    );
    assert!(fake.gh.requests().is_empty());
}

/// The step of `action.yml` called `name`.
fn step_named<'a>(action: &'a Yaml, name: &str) -> &'a Yaml {
    action["runs"]["steps"]
        .as_vec()
        .unwrap()
        .iter()
        .find(|s| s["name"].as_str() == Some(name))
        .unwrap_or_else(|| panic!("no step named {name}"))
}

/// The words of a shell line, without quotes or parentheses.
fn words(line: &str) -> Vec<String> {
    line.split(|c: char| c.is_whitespace() || matches!(c, '(' | ')' | '$' | ';'))
        .map(|w| w.trim_matches('"').to_owned())
        .filter(|w| !w.is_empty())
        .collect()
}

/// The build step installs the crate that builds `ghpkg` (since the split,
/// `crates/ghpkg`, not the client library at the root), with features that
/// crate has.
#[test]
fn the_build_step_installs_the_ghpkg_crate() {
    let action = action();
    let line = step_named(&action, "Build ghpkg")["run"].as_str().unwrap();
    let words = words(line);
    let after = |flag: &str| {
        words
            .iter()
            .position(|w| w == flag)
            .map(|i| words[i + 1].clone())
    };
    let path = after("--path").expect("cargo install --path");
    let relative = path
        .strip_prefix("{GITHUB_ACTION_PATH}")
        .or_else(|| path.strip_prefix("GITHUB_ACTION_PATH"))
        .unwrap_or_else(|| panic!("--path {path} is not in the action's checkout"));
    let manifest = std::fs::read_to_string(format!("{ROOT}{relative}/Cargo.toml")).unwrap();
    assert!(
        manifest.contains("name = \"ghpkg\""),
        "--path {path} is not the ghpkg crate: {line}"
    );
    if let Some(features) = after("--features") {
        for feature in features.split(',') {
            assert!(
                manifest.contains(&format!("\n{feature} =")),
                "the ghpkg crate has no feature {feature}: {line}"
            );
        }
    }
}

/// The cache key hashes the sources of every crate `ghpkg` is built from,
/// so a change to the engine or the CLI builds it again.
#[test]
fn the_cache_key_covers_every_crate_ghpkg_is_built_from() {
    let action = action();
    let line = step_named(&action, "Key ghpkg's build on its sources")["run"]
        .as_str()
        .unwrap();
    let words = words(line);
    for dir in ["src", "crates/retention", "crates/ghpkg"] {
        let covered = words
            .iter()
            .any(|w| w == dir || dir.starts_with(&format!("{w}/")));
        assert!(covered, "the key does not hash {dir}: {line}");
    }
}
