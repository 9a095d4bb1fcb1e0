//! The GitHub Action: `action.yml` parses, every input reaches a step's
//! script and every output ghpkg writes is the action's, and the run step,
//! run with the variables Actions sets against the fake GitHub, prunes,
//! writes the job summary and the step outputs (failures included), and
//! leaves a journal that its `command: undo` undoes.

use std::collections::BTreeMap;
use std::path::Path;

use github_packages::PackageType;
use github_packages::fake::Owner;
use yaml_rust2::{Yaml, YamlLoader};

use crate::fakes::Fake;
use crate::support::{Ghpkg, Run, tempdir};

/// The repository, where `action.yml` and `action/` live.
pub(crate) const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

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

/// Every script of `action/`, for checking which variables they read.
fn scripts() -> String {
    let mut all = String::new();
    for entry in std::fs::read_dir(format!("{ROOT}/action")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "sh") {
            all.push_str(&std::fs::read_to_string(path).unwrap());
        }
    }
    all
}

#[test]
fn every_input_reaches_a_step() {
    let action = action();
    assert_eq!(action["runs"]["using"].as_str(), Some("composite"));
    let inputs = inputs(&action);
    for expected in [
        "command",
        "owner",
        "owner-type",
        "packages",
        "type",
        "keep-last",
        "keep-tagged",
        "keep-untagged",
        "older-than",
        "untagged",
        "tags",
        "exclude-tags",
        "tag-regex",
        "exclude-tag-regex",
        "version-name-regex",
        "exclude-version-name-regex",
        "dry-run",
        "journal",
        "token",
        "build-from-source",
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
    assert_eq!(
        action["inputs"]["owner-type"]["default"].as_str(),
        Some("auto"),
        "right for users and organizations alike"
    );
    let steps = action["runs"]["steps"].as_vec().unwrap();
    let env: Vec<(&str, &str)> = steps
        .iter()
        .filter_map(|s| s["env"].as_hash())
        .flatten()
        .map(|(k, v)| (k.as_str().unwrap(), v.as_str().unwrap()))
        .collect();
    let scripts = scripts();
    for input in &inputs {
        let expression = format!("${{{{ inputs.{input} }}}}");
        let variable = env
            .iter()
            .find(|(_, v)| *v == expression)
            .map(|(k, _)| *k)
            .unwrap_or_else(|| panic!("input {input} is not passed to a step"));
        if input != "token" {
            assert!(
                scripts.contains(variable),
                "{variable} ({input}) is not used by action/*.sh"
            );
        }
    }
}

/// The names of the step outputs in a GITHUB_OUTPUT file.
fn output_names(outputs: &str) -> Vec<String> {
    let mut names: Vec<String> = outputs
        .lines()
        .filter_map(|l| Some(l.split_once('=')?.0.to_owned()))
        .collect();
    names.sort();
    names.dedup();
    names
}

/// What ghpkg writes to GITHUB_OUTPUT, the action passes on.
fn assert_every_output_is_the_actions(outputs: &str) {
    let action = action();
    let names = output_names(outputs);
    assert!(names.len() >= 5, "{names:?}");
    for name in names {
        let value = action["outputs"][name.as_str()]["value"].as_str();
        assert_eq!(
            value,
            Some(format!("${{{{ steps.run.outputs.{name} }}}}").as_str()),
            "ghpkg writes the output {name}; action.yml must pass it on"
        );
    }
}

/// Runs action/run.sh as the action's run step would, against `fake`, with
/// the binary under test or `ghpkg`; returns the run, the job summary and
/// the step outputs.
pub(crate) fn step(
    fake: &Fake,
    dir: &Path,
    inputs: &[(&str, &str)],
    ghpkg: Option<&Path>,
) -> (Run, String, String) {
    step_env(fake, dir, inputs, ghpkg, &[])
}

/// [`step`] with more of the variables Actions sets.
fn step_env(
    fake: &Fake,
    dir: &Path,
    inputs: &[(&str, &str)],
    ghpkg: Option<&Path>,
    env: &[(&str, &str)],
) -> (Run, String, String) {
    let summary = dir.join("summary.md");
    let outputs = dir.join("outputs.txt");
    let _ = std::fs::remove_file(&summary);
    let _ = std::fs::remove_file(&outputs);
    // As on a runner: only what Actions sets for the step, besides PATH.
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut step = Ghpkg::script(dir, "bash", Path::new(&format!("{ROOT}/action/run.sh")))
        .parent_env([("PATH", path)])
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_API_URL", fake.url())
        .token(&fake.token)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("GITHUB_OUTPUT", &outputs)
        .env("GITHUB_RUN_ID", "4242")
        .env("GITHUB_RUN_ATTEMPT", "1")
        .env("GITHUB_ACTION", "prune-web")
        .env("RUNNER_TEMP", dir)
        .envs(env);
    if let Some(ghpkg) = ghpkg {
        step = step.env("GHPKG", ghpkg);
    }
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
    let (run, summary, outputs) = step(&fake, dir.path(), &inputs, None);
    run.expect(0);
    assert!(summary.contains("dry run, nothing deleted"), "{summary}");
    assert!(summary.contains("| app-web | 3 | 1 | 2 | 0 |"), "{summary}");
    assert!(outputs.contains("deleted-count=0\n"), "{outputs}");
    assert!(outputs.contains("journal=\n"), "{outputs}");
    assert_every_output_is_the_actions(&outputs);
    assert!(
        fake.gh
            .requests()
            .iter()
            .all(|r| r.method != http::Method::DELETE)
    );

    // For real: two versions of each package.
    let mut real = inputs;
    real[7] = ("dry-run", "false");
    let (run, summary, outputs) = step(&fake, dir.path(), &real, None);
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
    assert_every_output_is_the_actions(&outputs);

    // The action's undo, as the README's undo job runs it on the journal
    // artifact it downloaded.
    let artifact = tempdir();
    std::fs::copy(
        &journal,
        artifact.path().join("ghpkg-journal-4242-1-prune-web.jsonl"),
    )
    .unwrap();
    let (run, _, _) = step(
        &fake,
        artifact.path(),
        &[("command", "undo"), ("journal", "ghpkg-journal-*.jsonl\n")],
        None,
    );
    run.expect(0);
    assert!(
        run.stdout
            .contains("ghpkg undo ghpkg-journal-4242-1-prune-web.jsonl"),
        "{}",
        run.stdout
    );
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
            "owner-type must be auto, org or user",
        ),
        (
            vec![("owner", "acme/web"), ("packages", "app")],
            "owner 'acme/web' is not a GitHub login",
        ),
        (
            vec![("command", "restore"), ("owner", "acme")],
            "command must be prune or undo",
        ),
        (
            vec![("command", "undo"), ("journal", "missing-*.jsonl")],
            "journal: no file matches 'missing-*.jsonl'",
        ),
        (vec![("command", "undo")], "journal is empty"),
    ] {
        let (run, summary, _) = step(&fake, dir.path(), &inputs, None);
        run.expect(2);
        assert!(run.stdout.contains("::error"), "{}", run.stdout);
        assert!(run.stdout.contains(hint), "{}", run.stdout);
        assert!(summary.contains("failed (exit 2)"), "{summary}");
        assert!(summary.contains(hint), "{summary}");
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
        None,
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
    let script = std::fs::read_to_string(format!("{ROOT}/action/install.sh")).unwrap();
    let line = script
        .lines()
        .find(|l| l.trim_start().starts_with("find "))
        .expect("install.sh finds the sources it keys the build on");
    let words = words(line);
    for dir in ["src", "crates/retention", "crates/ghpkg"] {
        let covered = words
            .iter()
            .any(|w| w == dir || dir.starts_with(&format!("{w}/")));
        assert!(covered, "the key does not hash {dir}: {line}");
    }
}

/// A usage error from ghpkg itself (exit 2, before it reads anything) still
/// leaves an annotation with ghpkg's message and a job summary saying what
/// failed and how it was run; a failure ghpkg reports itself keeps ghpkg's
/// summary and gets the annotation.
#[test]
fn a_failure_still_writes_a_summary_and_an_annotation() {
    let fake = Fake::start();
    let dir = tempdir();
    let (run, summary, outputs) = step(
        &fake,
        dir.path(),
        &[
            ("owner", "acme"),
            ("owner-type", "org"),
            ("packages", "app"),
            ("older-than", "fortnight"),
        ],
        None,
    );
    run.expect(2);
    let error = run
        .stdout
        .lines()
        .find(|l| l.starts_with("::error title=ghpkg prune::"))
        .unwrap_or_else(|| panic!("no ::error in {}", run.stdout));
    assert!(error.contains("fortnight"), "ghpkg's own message: {error}");
    assert!(
        run.stderr.contains("fortnight"),
        "stderr still shows it: {}",
        run.stderr
    );
    assert!(
        summary.starts_with("## ghpkg prune: failed (exit 2)"),
        "{summary}"
    );
    assert!(summary.contains("fortnight"), "{summary}");
    assert!(
        summary.contains("A usage error: nothing was read or deleted"),
        "{summary}"
    );
    assert!(
        summary.contains("ghpkg prune container --package app"),
        "{summary}"
    );
    assert!(!summary.contains(&fake.token), "{summary}");
    assert_eq!(outputs, "");
    assert!(fake.gh.requests().is_empty());

    // A package that does not exist: ghpkg fails (exit 1) and writes its
    // own summary, which the wrapper does not repeat.
    let (run, summary, _) = step(
        &fake,
        dir.path(),
        &[
            ("owner", "acme"),
            ("owner-type", "org"),
            ("packages", "nope"),
            ("keep-last", "1"),
            ("registry-url", &fake.url()),
        ],
        None,
    );
    assert_ne!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("::error title=ghpkg prune::"),
        "{}",
        run.stdout
    );
    assert_eq!(summary.matches("## ghpkg prune").count(), 1, "{summary}");
}

/// A stand-in for ghpkg that records its arguments, one per line.
fn recorder(dir: &Path) -> std::path::PathBuf {
    let script = dir.join("record-ghpkg");
    let args = dir.join("args.txt");
    std::fs::write(
        &script,
        format!("#!/bin/sh\nprintf '%s\\n' \"$@\" > '{}'\n", args.display()),
    )
    .unwrap();
    let mut permissions = std::fs::metadata(&script).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o755);
    std::fs::set_permissions(&script, permissions).unwrap();
    script
}

/// The arguments `recorder` saw.
fn recorded(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("args.txt"))
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Regexes go one per line, whole (a comma is part of the regex), each to
/// its flag.
#[test]
fn regex_inputs_reach_their_flags_whole() {
    let fake = Fake::start();
    let dir = tempdir();
    let ghpkg = recorder(dir.path());
    let (run, _, _) = step(
        &fake,
        dir.path(),
        &[
            ("owner", "acme"),
            ("owner-type", "org"),
            ("packages", "app"),
            ("tag-regex", "^pr-[0-9]{1,4}$\n  ^tmp-  \n"),
            ("exclude-tag-regex", "^v[0-9]+\\.[0-9]+$"),
            ("version-name-regex", "^sha256:"),
            ("exclude-version-name-regex", "a,b"),
        ],
        Some(&ghpkg),
    );
    run.expect(0);
    let args = recorded(dir.path());
    let pairs: Vec<(&str, &str)> = args
        .windows(2)
        .filter(|w| w[0].ends_with("-regex"))
        .map(|w| (w[0].as_str(), w[1].as_str()))
        .collect();
    assert_eq!(
        pairs,
        [
            ("--tag-regex", "^pr-[0-9]{1,4}$"),
            ("--tag-regex", "^tmp-"),
            ("--exclude-tag-regex", "^v[0-9]+\\.[0-9]+$"),
            ("--version-name-regex", "^sha256:"),
            ("--exclude-version-name-regex", "a,b"),
        ]
    );
}

/// `owner-type: auto` (the default): the event's repository owner type for
/// the repository's owner, else GitHub's `GET /users/LOGIN`, else an error
/// asking for owner-type.
#[test]
fn owner_type_auto_finds_users_and_organizations() {
    let fake = Fake::start();
    for owner in [Owner::org("acme"), Owner::user("octo")] {
        fake.gh
            .package(owner, PackageType::Container, "app")
            .image()
            .create()
            .unwrap();
    }
    let dir = tempdir();
    let ghpkg = recorder(dir.path());
    let owner_flag = |inputs: &[(&str, &str)], env: &[(&str, &str)]| {
        let _ = std::fs::remove_file(dir.path().join("args.txt"));
        let mut all = vec![("packages", "app")];
        all.extend_from_slice(inputs);
        let (run, summary, _) = step_env(&fake, dir.path(), &all, Some(&ghpkg), env);
        let args = recorded(dir.path());
        let flag = args
            .iter()
            .position(|a| a == "--org" || a == "--user")
            .map(|i| format!("{} {}", args[i], args[i + 1]));
        (run, summary, flag)
    };

    // The event says, for the repository's owner: no request.
    let event = [
        ("GITHUB_REPOSITORY_OWNER", "Acme"),
        ("GHPKG_REPOSITORY_OWNER_TYPE", "User"),
    ];
    let (run, _, flag) = owner_flag(&[("owner", "acme")], &event);
    run.expect(0);
    assert_eq!(flag.as_deref(), Some("--user acme"));
    assert!(fake.gh.requests().is_empty());

    // Otherwise GitHub says, for a user and for an organization.
    let (run, _, flag) = owner_flag(&[("owner", "octo")], &event);
    run.expect(0);
    assert_eq!(flag.as_deref(), Some("--user octo"));
    let (run, _, flag) = owner_flag(&[("owner", "acme")], &[]);
    run.expect(0);
    assert_eq!(flag.as_deref(), Some("--org acme"));
    let asked: Vec<String> = fake.gh.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(asked, ["/users/octo", "/users/acme"]);

    // Given, it is not asked.
    let (run, _, flag) = owner_flag(&[("owner", "octo"), ("owner-type", "org")], &[]);
    run.expect(0);
    assert_eq!(flag.as_deref(), Some("--org octo"));
    assert_eq!(fake.gh.requests().len(), 2);

    // Nobody knows: stop and ask for owner-type.
    let (run, summary, flag) = owner_flag(&[("owner", "ghost")], &[]);
    run.expect(2);
    assert_eq!(flag, None, "ghpkg did not run");
    assert!(
        run.stdout.contains("Set owner-type to org or user"),
        "{}",
        run.stdout
    );
    assert!(summary.contains("failed (exit 2)"), "{summary}");
}

/// The README's example workflow (the yaml block that starts with its
/// name), parsed.
fn readme_workflow() -> Yaml {
    let readme = std::fs::read_to_string(format!("{ROOT}/README.md")).unwrap();
    let block = readme
        .split("```yaml\n")
        .skip(1)
        .filter_map(|rest| rest.split_once("\n```").map(|(block, _)| block))
        .find(|block| block.starts_with("name: Prune container images\n"))
        .expect("README.md shows the example workflow");
    YamlLoader::load_from_str(block)
        .expect("the README's workflow is YAML")
        .remove(0)
}

/// What the README's workflow asks of the action exists: the inputs it
/// sets, the outputs it reads, a release tag of this version; every other
/// action is pinned to the same commit as this repository's workflows pin;
/// the undo job may read another run's artifacts.
#[test]
fn the_readme_workflow_uses_the_action_as_it_is() {
    let workflow = readme_workflow();
    let action = action();
    let inputs = inputs(&action);
    let own = format!("OWNER/github-packages@v{}", env!("CARGO_PKG_VERSION"));
    let mut pinned = BTreeMap::new();
    for file in ["ci.yml", "release.yml"] {
        let text = std::fs::read_to_string(format!("{ROOT}/.github/workflows/{file}")).unwrap();
        for line in text.lines() {
            if let Some(uses) = line
                .trim_start()
                .trim_start_matches("- ")
                .strip_prefix("uses: ")
            {
                let (name, rest) = uses.split_once('@').unwrap();
                pinned.insert(name.to_owned(), rest.to_owned());
            }
        }
    }
    let readme = std::fs::read_to_string(format!("{ROOT}/README.md")).unwrap();
    let mut uses_own = 0;
    for (job_name, job) in workflow["jobs"].as_hash().unwrap() {
        let job_name = job_name.as_str().unwrap();
        for step in job["steps"].as_vec().unwrap() {
            let Some(uses) = step["uses"].as_str() else {
                continue;
            };
            if uses.starts_with("OWNER/github-packages@") {
                uses_own += 1;
                assert_eq!(uses, own, "a release tag of this version");
                for (key, _) in step["with"].as_hash().unwrap() {
                    let key = key.as_str().unwrap();
                    assert!(inputs.iter().any(|i| i == key), "no input {key}");
                }
                continue;
            }
            let (name, sha) = uses.split_once('@').unwrap();
            assert!(
                sha.len() == 40 && sha.bytes().all(|b| b.is_ascii_hexdigit()),
                "{uses} is not pinned to a commit"
            );
            let line = readme.lines().find(|l| l.contains(uses)).unwrap();
            let expected = pinned
                .get(name)
                .unwrap_or_else(|| panic!("{name} is in no workflow of this repository"));
            assert!(
                line.ends_with(&format!("@{expected}")),
                "{name}: the README pins {line}, the workflows {expected}"
            );
        }
        if job_name == "undo" {
            assert_eq!(
                job["permissions"]["actions"].as_str(),
                Some("read"),
                "download-artifact with run-id needs actions: read"
            );
        }
        assert_eq!(
            job["permissions"]["packages"].as_str(),
            Some("write"),
            "{job_name} deletes or restores"
        );
    }
    assert_eq!(uses_own, 2, "prune and undo both use the action");
    // The outputs it reads.
    let mut read = 0;
    for part in readme.split("steps.prune.outputs.").skip(1) {
        let output: String = part
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        assert!(
            !action["outputs"][output.as_str()].is_badvalue(),
            "no output {output}"
        );
        read += 1;
    }
    assert!(read > 0);
}
