//! The README's code as a reader copies it: every Rust block is a file of this
//! repository, whole (an example or a test, so `cargo test` builds it), named
//! in the HTML comment right above the block; every crate a block uses is in
//! the README's dependency lists, with the features it needs; and the install
//! lines name this version.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

const README: &str = include_str!("../README.md");

/// The heading whose `toml` blocks every Rust block may rely on.
const INSTALL_HEADING: &str = "### The library";

/// What comes right before a Rust block: `<!-- file: PATH -->`.
const MARKER_START: &str = "<!-- file: ";
const MARKER_END: &str = " -->";

/// A fenced block of the README.
#[derive(Debug)]
struct Block<'a> {
    info: &'a str,
    text: String,
    /// 1-based line of the opening fence.
    line: usize,
    /// The line above the opening fence.
    above: &'a str,
    /// The heading the block is under.
    heading: &'a str,
}

fn blocks(markdown: &str) -> Vec<Block<'_>> {
    let lines: Vec<&str> = markdown.lines().collect();
    let mut found = Vec::new();
    let mut heading = "";
    let mut at = 0;
    while at < lines.len() {
        let line = lines[at].trim_start();
        if line.starts_with('#') {
            heading = line;
        }
        let Some(info) = line.strip_prefix("```") else {
            at += 1;
            continue;
        };
        let indent = lines[at].len() - line.len();
        let close = (at + 1..lines.len())
            .find(|&k| lines[k].trim() == "```")
            .unwrap_or_else(|| panic!("README.md:{}: a block that never ends", at + 1));
        let text: String = lines[at + 1..close]
            .iter()
            .map(|l| format!("{}\n", l.get(indent..).unwrap_or(l.trim_start())))
            .collect();
        found.push(Block {
            info: info.trim(),
            text,
            line: at + 1,
            above: if at == 0 { "" } else { lines[at - 1].trim() },
            heading,
        });
        at = close + 1;
    }
    found
}

fn rust_blocks<'a>(all: &'a [Block<'a>]) -> impl Iterator<Item = &'a Block<'a>> {
    all.iter().filter(|b| b.info.starts_with("rust"))
}

/// The crates a dependency list names, with the features it asks for. Each
/// entry is on one line: `name = "1"` or `name = { ..., features = [...] }`.
fn dependencies(toml: &str) -> BTreeMap<String, BTreeSet<String>> {
    let mut named = BTreeMap::new();
    for line in toml.lines().map(str::trim) {
        if line.starts_with('[') || line.starts_with('#') {
            continue;
        }
        let Some((name, value)) = line.split_once('=') else {
            continue;
        };
        let features = value
            .split_once("features")
            .and_then(|(_, rest)| rest.split_once('[')?.1.split_once(']'))
            .map(|(list, _)| {
                list.split(',')
                    .map(|f| f.trim().trim_matches('"').to_owned())
                    .filter(|f| !f.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        named.insert(name.trim().to_owned(), features);
    }
    named
}

/// The crates `code` names in paths (`tokio::main`, `futures::TryStreamExt`),
/// comments left out, as Cargo spells them.
fn crates_used(code: &str) -> BTreeSet<String> {
    let mut used = BTreeSet::new();
    for line in code.lines() {
        let code = line.split("//").next().unwrap_or_default();
        for (at, _) in code.match_indices("::") {
            let before = &code[..at];
            let start = before
                .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .map_or(0, |k| k + 1);
            let name = &before[start..];
            let first_segment = !before[..start].ends_with("::");
            let lower = name.starts_with(|c: char| c.is_ascii_lowercase());
            if first_segment
                && lower
                && !["std", "core", "alloc", "crate", "self", "super"].contains(&name)
            {
                used.insert(name.replace('_', "-"));
            }
        }
    }
    used
}

/// Features a block needs of a crate it uses, beyond naming it.
fn features_needed(code: &str) -> Vec<(&'static str, &'static str)> {
    let mut needed = Vec::new();
    if code.contains("#[tokio::main]") {
        needed.extend([("tokio", "macros"), ("tokio", "rt-multi-thread")]);
    }
    if code.contains("#[tokio::test]") || code.contains("flavor = \"current_thread\"") {
        needed.extend([("tokio", "macros"), ("tokio", "rt")]);
    }
    if code.contains("github_packages::fake") {
        needed.push(("github-packages", "fake"));
    }
    needed
}

#[test]
fn every_rust_block_is_a_file_of_the_repository_whole() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let all = blocks(README);
    let mut shown = Vec::new();
    for block in rust_blocks(&all) {
        let at = format!("README.md:{}", block.line);
        assert_eq!(
            block.info, "rust",
            "{at}: a plain `rust` block is what a reader copies; rustdoc attributes have no meaning here"
        );
        let path = block
            .above
            .strip_prefix(MARKER_START)
            .and_then(|rest| rest.strip_suffix(MARKER_END))
            .unwrap_or_else(|| {
                panic!("{at}: put `{MARKER_START}PATH{MARKER_END}` above the block, naming the file it shows")
            });
        let file = std::fs::read_to_string(root.join(path))
            .unwrap_or_else(|e| panic!("{at}: cannot read {path}: {e}"));
        assert!(
            block.text == file,
            "{at}: the block is not {path} as it is; copy the file into the README again"
        );
        shown.push(path);
    }
    // The examples the README is about: the checks above must not pass by
    // finding no block at all.
    for path in [
        "examples/tour.rs",
        "crates/retention/examples/prune_old_untagged.rs",
        "tests/fake_example.rs",
    ] {
        assert!(
            shown.contains(&path),
            "README.md no longer shows {path}: {shown:?}"
        );
    }
}

#[test]
fn every_crate_a_block_uses_is_in_the_dependencies_it_is_shown_with() {
    let all = blocks(README);
    let toml_under = |heading: &str| {
        let mut named: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for block in all
            .iter()
            .filter(|b| b.info == "toml" && b.heading == heading)
        {
            for (name, features) in dependencies(&block.text) {
                named.entry(name).or_default().extend(features);
            }
        }
        named
    };
    let install = toml_under(INSTALL_HEADING);
    assert!(
        install.contains_key("github-packages"),
        "the install section names no github-packages dependency: {install:?}"
    );
    for block in rust_blocks(&all) {
        let at = format!("README.md:{} ({})", block.line, block.heading);
        let mut listed = install.clone();
        for (name, features) in toml_under(block.heading) {
            listed.entry(name).or_default().extend(features);
        }
        for name in crates_used(&block.text) {
            assert!(
                listed.contains_key(&name),
                "{at} uses `{name}`, which neither its section nor `{INSTALL_HEADING}` lists: {listed:?}"
            );
        }
        for (name, feature) in features_needed(&block.text) {
            let features = listed.get(name).cloned().unwrap_or_default();
            // tokio's `rt-multi-thread` brings `rt`.
            let has = features.contains(feature)
                || (name, feature) == ("tokio", "rt") && features.contains("rt-multi-thread");
            assert!(
                has,
                "{at} needs `{name}` with feature `{feature}`: listed {features:?}"
            );
        }
    }
}

#[test]
fn the_install_lines_name_this_version_and_repository() {
    let tag = format!("v{}", env!("CARGO_PKG_VERSION"));
    let repository = env!("CARGO_PKG_REPOSITORY");
    let all = blocks(README);
    let mut checked = 0;
    for block in all.iter().filter(|b| b.info == "toml") {
        for line in block.text.lines().filter(|l| l.contains("git = ")) {
            let want = format!("git = \"{repository}\", tag = \"{tag}\"");
            assert!(
                line.contains(&want),
                "README.md:{}: `{line}` should say `{want}`, as Cargo.toml does",
                block.line
            );
            checked += 1;
        }
    }
    let install = README
        .split_once("\n## Installation\n")
        .and_then(|(_, rest)| rest.split("\n## ").next())
        .expect("the README has an Installation section");
    for line in install.lines() {
        let from_git = line.contains("cargo install") && line.contains("--git ");
        if from_git || line.contains("/releases/download/") {
            assert!(
                line.contains(repository) && line.contains(&tag),
                "README.md: `{line}` should name {repository} and {tag}, as Cargo.toml does"
            );
            checked += 1;
        }
    }
    assert!(
        checked >= 4,
        "the install section names no version to check"
    );
}

#[test]
fn the_parsers_read_what_the_readme_writes() {
    let deps = dependencies(
        "[dependencies]\nfutures = \"0.3\"\ntokio = { version = \"1\", features = [\"macros\", \"rt\"] }\n",
    );
    assert_eq!(deps["futures"], BTreeSet::new());
    assert_eq!(
        deps["tokio"],
        BTreeSet::from(["macros".into(), "rt".into()])
    );
    let used = crates_used(
        "use github_packages::{Client, Scope};\n#[tokio::main]\nlet x = Scope::org(a::b); // undo::restore\n",
    );
    let expected = ["a", "github-packages", "tokio"].map(String::from);
    assert_eq!(used, BTreeSet::from(expected));
    let parsed =
        blocks("# A\n<!-- x -->\n```rust\nfn main() {}\n```\n\n   ```toml\n   a = 1\n   ```\n");
    assert_eq!(parsed.len(), 2);
    assert_eq!(
        (parsed[0].info, parsed[0].above, parsed[0].heading),
        ("rust", "<!-- x -->", "# A")
    );
    assert_eq!(parsed[0].text, "fn main() {}\n");
    assert_eq!(parsed[1].text, "a = 1\n");
}
