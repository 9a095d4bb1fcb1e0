//! No module imports a module that (directly or through others) imports it
//! back, in any crate of the workspace. The module graph is read from the
//! sources, so a new `use` that closes a loop fails here, naming the loop.
//!
//! Every module backed by a file is a node (`fake::server` as well as
//! `fake`); an inline `mod x { .. }` belongs to its file's node. An edge is
//! a path that lands in another module: `crate::a::b::X`, `super::X`,
//! `self::a::X`, `child::X`, and each leaf of a `use` group. Names brought
//! in by `use` (a parent's `pub use child::X`, too) are followed to where
//! they come from, so `super::X` of a re-exported `X` is an edge to the
//! module that defines it, not to the parent. Declaring `mod child;` is not
//! an edge. Comments, string literals and `#[cfg(test)]` items are left out.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// One crate to check: where its sources live and its root file.
struct CrateSources {
    name: &'static str,
    /// The source folder, relative to this package's root.
    src: &'static str,
    /// `lib.rs` or `main.rs`, inside `src`.
    root: &'static str,
    /// The build script's output folder, for `include!(concat!(env!("OUT_DIR"), ..))`.
    out_dir: Option<&'static str>,
}

/// Every crate of the workspace. A new crate is one more line here, e.g.
/// `("retention", "crates/retention/src", "lib.rs")`.
const CRATES: &[CrateSources] = &[
    CrateSources {
        name: "github-packages",
        src: "src",
        root: "lib.rs",
        out_dir: Some(env!("OUT_DIR")),
    },
    CrateSources {
        name: "xtask",
        src: "xtask/src",
        root: "main.rs",
        out_dir: None,
    },
    CrateSources {
        name: "github-packages-retention",
        src: "crates/retention/src",
        root: "lib.rs",
        out_dir: None,
    },
    CrateSources {
        name: "ghpkg",
        src: "crates/ghpkg/src",
        root: "main.rs",
        out_dir: None,
    },
];

#[test]
fn no_crate_of_the_workspace_has_an_import_cycle() {
    let mut failures = Vec::new();
    for krate in CRATES {
        let graph = ModuleGraph::of_crate(krate);
        assert!(
            graph.nodes.len() > 1,
            "{}: only {:?} found; is the reader broken?",
            krate.name,
            graph.nodes
        );
        if let Err(cycles) = graph.check() {
            failures.push(format!("{}:\n{cycles}", krate.name));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_library_graph_has_the_edges_a_reader_expects() {
    let graph = ModuleGraph::of_crate(&CRATES[0]);
    for (from, to) in [
        ("transport", "ratelimit"),
        ("error", "links"),
        // Reached through `include!` of the generated code.
        ("generated", "transport"),
        // The fake's modules are nodes of their own.
        ("fake::server", "fake::api"),
        ("fake::server", "fake::registry"),
        // A re-export is an edge from the parent to the child.
        ("fake", "fake::fixtures"),
    ] {
        assert!(
            graph.edges(from).contains(to),
            "no edge {from} -> {to}; {from} reaches {:?}",
            graph.edges(from)
        );
    }
}

#[test]
fn link_and_rate_limit_parsing_depend_on_nothing_else() {
    let graph = ModuleGraph::of_crate(&CRATES[0]);
    assert!(
        graph.edges("links").is_empty(),
        "{:?}",
        graph.edges("links")
    );
    assert!(
        graph.edges("ratelimit").is_empty(),
        "{:?}",
        graph.edges("ratelimit")
    );
}

// The checker itself, on small crates written to a temporary folder.

fn sample_crate(files: &[(&str, &str)]) -> (tempfile::TempDir, ModuleGraph) {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let graph = ModuleGraph::read(dir.path(), "lib.rs", None).unwrap();
    (dir, graph)
}

#[test]
fn a_cycle_between_two_modules_fails_with_its_path() {
    let (_dir, graph) = sample_crate(&[
        ("lib.rs", "mod a;\nmod b;\n"),
        (
            "a.rs",
            "use crate::b::Thing;\npub fn make() -> Thing { Thing }\n",
        ),
        ("b.rs", "pub struct Thing;\nfn f() { crate::a::make(); }\n"),
    ]);
    let report = graph.check().unwrap_err();
    assert!(report.contains("a -> b -> a"), "{report}");
    assert!(report.contains("a.rs:1 `crate::b::Thing`"), "{report}");
    assert!(report.contains("b.rs:2 `crate::a::make`"), "{report}");
}

#[test]
fn a_cycle_through_nested_modules_fails_with_its_path() {
    let (_dir, graph) = sample_crate(&[
        ("lib.rs", "pub mod outer;\n"),
        ("outer/mod.rs", "mod inner;\npub struct Base;\n"),
        ("outer/inner.rs", "mod deep;\n"),
        (
            "outer/inner/deep.rs",
            "pub(crate) fn f() -> super::super::Base { todo!() }\n",
        ),
        ("more.rs", ""),
    ]);
    // No cycle yet: deep -> outer only.
    assert_eq!(graph.check(), Ok(()));
    assert!(graph.edges("outer::inner::deep").contains("outer"));

    // The parent now uses what the grandchild has: a loop of three files.
    let (_dir, graph) = sample_crate(&[
        ("lib.rs", "pub mod outer;\n"),
        (
            "outer.rs",
            "mod inner;\npub struct Base;\nfn g() { self::inner::deep::f(); }\n",
        ),
        ("outer/inner.rs", "pub(crate) mod deep;\n"),
        (
            "outer/inner/deep.rs",
            "pub(crate) fn f() -> super::super::Base { todo!() }\n",
        ),
    ]);
    let report = graph.check().unwrap_err();
    assert!(
        report.contains("outer -> outer::inner::deep -> outer"),
        "{report}"
    );
}

#[test]
fn use_groups_and_relative_paths_are_edges() {
    let (_dir, graph) = sample_crate(&[
        ("lib.rs", "mod a;\nmod b;\nmod c;\nmod d;\nmod top;\n"),
        (
            "top.rs",
            "use crate::{a::A, b::{self, B as Bee}, c::*};\nfn f() { b::g(); }\n",
        ),
        ("a.rs", "pub struct A;\n"),
        ("b.rs", "pub struct B;\npub fn g() {}\n"),
        ("c.rs", "pub struct C;\n"),
        (
            "d.rs",
            "mod inline { fn f() { super::super::a::A; } }\n\
             fn g() { ::std::mem::drop(1); serde::Serialize::x(); }\n",
        ),
    ]);
    assert_eq!(
        graph.edges("top"),
        BTreeSet::from(["a".to_owned(), "b".to_owned(), "c".to_owned()])
    );
    // `super` inside an inline module counts from the inline module.
    assert_eq!(graph.edges("d"), BTreeSet::from(["a".to_owned()]));
    assert_eq!(graph.check(), Ok(()));
}

#[test]
fn reexports_declarations_comments_strings_and_unit_tests_make_no_cycle() {
    let (_dir, graph) = sample_crate(&[
        (
            "lib.rs",
            "mod parent;\npub use parent::Thing;\n#[cfg(test)]\nmod tests { use crate::parent::child::*; }\n",
        ),
        (
            "parent/mod.rs",
            "mod child;\nmod sibling;\npub use child::Thing;\npub(crate) use sibling::Helper;\n",
        ),
        (
            "parent/child.rs",
            "// use super::Unrelated;\n/* super::Unrelated */\n\
             use super::Helper; // the parent's re-export of the sibling\n\
             pub struct Thing;\n\
             const TEXT: &str = \"super::Unrelated\";\n\
             const C: char = '\"'; fn f<'a>(_: &'a str) {}\n\
             #[cfg(test)]\nmod tests {\n    use super::super::*;\n}\n",
        ),
        ("parent/sibling.rs", "pub struct Helper;\n"),
    ]);
    assert_eq!(graph.check(), Ok(()));
    assert_eq!(
        graph.edges("parent"),
        BTreeSet::from(["parent::child".to_owned(), "parent::sibling".to_owned()])
    );
    assert_eq!(
        graph.edges("parent::child"),
        BTreeSet::from(["parent::sibling".to_owned()])
    );
    assert_eq!(
        graph.edges("crate"),
        BTreeSet::from(["parent::child".to_owned()])
    );
}

#[test]
fn a_parent_that_a_child_imports_back_is_a_cycle() {
    let (_dir, graph) = sample_crate(&[
        ("lib.rs", "mod fake;\n"),
        (
            "fake/mod.rs",
            "mod faults;\npub use faults::Fault;\npub struct Handle;\n",
        ),
        (
            "fake/faults.rs",
            "use super::Handle;\npub struct Fault<'a>(&'a Handle);\n",
        ),
    ]);
    let report = graph.check().unwrap_err();
    assert!(report.contains("fake -> fake::faults -> fake"), "{report}");
}

#[test]
fn a_module_file_that_is_missing_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("lib.rs"), "mod gone;\n").unwrap();
    let error = ModuleGraph::read(dir.path(), "lib.rs", None).unwrap_err();
    assert!(error.contains("gone.rs"), "{error}");
}

// The reader.

/// The import graph of one crate's modules.
#[derive(Debug)]
struct ModuleGraph {
    /// Modules backed by a file, by path (`fake::server`; `crate` for the root).
    nodes: BTreeSet<String>,
    /// `from -> to` with the first path that made the edge, as `file:line `path``.
    edges: BTreeMap<(String, String), String>,
}

/// A module, file-backed or inline.
#[derive(Debug, Default)]
struct Module {
    /// The file-backed module this one belongs to (itself if file-backed).
    node: Vec<String>,
    children: BTreeSet<String>,
    /// Names brought in by `use`: name -> the path as written.
    bindings: BTreeMap<String, Vec<String>>,
    /// Every path of its code: segments, file, line.
    paths: Vec<(Vec<String>, String, usize)>,
}

impl ModuleGraph {
    fn of_crate(krate: &CrateSources) -> ModuleGraph {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join(krate.src);
        ModuleGraph::read(&src, krate.root, krate.out_dir.map(Path::new))
            .unwrap_or_else(|e| panic!("{}: {e}", krate.name))
    }

    /// Reads the crate whose root file is `src/root`.
    fn read(src: &Path, root: &str, out_dir: Option<&Path>) -> Result<ModuleGraph, String> {
        let mut modules = BTreeMap::new();
        let reader = Reader { out_dir, src };
        reader.load_file(&mut modules, Vec::new(), &src.join(root), src.to_owned())?;
        let mut graph = ModuleGraph {
            nodes: modules.values().map(|m| name(&m.node)).collect(),
            edges: BTreeMap::new(),
        };
        for (path, module) in &modules {
            for (segments, file, line) in &module.paths {
                let Some(target) = resolve(&modules, path, segments, 0) else {
                    continue;
                };
                let (from, to) = (name(&module.node), name(&modules[&target].node));
                if from != to {
                    let file = file
                        .strip_prefix(&format!("{}/", src.display()))
                        .unwrap_or(file);
                    let why = format!("{file}:{line} `{}`", segments.join("::"));
                    graph.edges.entry((from, to)).or_insert(why);
                }
            }
        }
        Ok(graph)
    }

    /// The modules `from` imports from.
    fn edges(&self, from: &str) -> BTreeSet<String> {
        self.edges
            .keys()
            .filter(|(f, _)| f == from)
            .map(|(_, t)| t.clone())
            .collect()
    }

    /// Every cycle, each with the paths that make its edges.
    fn check(&self) -> Result<(), String> {
        let mut report = String::new();
        for group in self.strongly_connected() {
            // One shortest cycle through each module of the group that no
            // cycle reported so far passes through.
            let mut covered = BTreeSet::new();
            for start in &group {
                if covered.contains(start) {
                    continue;
                }
                let cycle = self.shortest_cycle(start, &group);
                let _ = writeln!(report, "import cycle: {}", cycle.join(" -> "));
                for pair in cycle.windows(2) {
                    let why = &self.edges[&(pair[0].clone(), pair[1].clone())];
                    let _ = writeln!(report, "  {} -> {}: {why}", pair[0], pair[1]);
                }
                covered.extend(cycle);
            }
        }
        if report.is_empty() {
            Ok(())
        } else {
            Err(report)
        }
    }

    /// Groups of more than one node that all reach each other.
    fn strongly_connected(&self) -> Vec<BTreeSet<String>> {
        let mut groups = Vec::new();
        let mut seen = BTreeSet::new();
        for node in &self.nodes {
            if seen.contains(node) {
                continue;
            }
            let forward = self.reachable(node, false);
            let backward = self.reachable(node, true);
            let group: BTreeSet<String> = forward.intersection(&backward).cloned().collect();
            seen.extend(group.iter().cloned());
            if group.len() > 1 {
                groups.push(group);
            }
        }
        groups
    }

    fn reachable(&self, start: &str, backward: bool) -> BTreeSet<String> {
        let mut found = BTreeSet::from([start.to_owned()]);
        let mut queue = VecDeque::from([start.to_owned()]);
        while let Some(at) = queue.pop_front() {
            for (from, to) in self.edges.keys() {
                let (here, next) = if backward { (to, from) } else { (from, to) };
                if *here == at && found.insert(next.clone()) {
                    queue.push_back(next.clone());
                }
            }
        }
        found
    }

    /// The shortest way from `start` back to itself within `group`.
    fn shortest_cycle(&self, start: &str, group: &BTreeSet<String>) -> Vec<String> {
        let start = start.to_owned();
        let mut came_from: BTreeMap<String, String> = BTreeMap::new();
        let mut queue = VecDeque::from([start.clone()]);
        while let Some(at) = queue.pop_front() {
            for to in self.edges(&at).into_iter().filter(|t| group.contains(t)) {
                if to == start {
                    let mut cycle = vec![at.clone()];
                    while let Some(previous) = came_from.get(cycle.last().unwrap()) {
                        cycle.push(previous.clone());
                    }
                    cycle.reverse();
                    cycle.push(start);
                    return cycle;
                }
                if to != start && !came_from.contains_key(&to) {
                    came_from.insert(to.clone(), at.clone());
                    queue.push_back(to);
                }
            }
        }
        unreachable!("a strongly connected group has a cycle through each node")
    }
}

fn name(path: &[String]) -> String {
    if path.is_empty() {
        "crate".to_owned()
    } else {
        path.join("::")
    }
}

/// The module a path lands in, or `None` for a path outside the crate (a
/// dependency, `std`) or one that starts at a local name.
fn resolve(
    modules: &BTreeMap<Vec<String>, Module>,
    from: &[String],
    segments: &[String],
    depth: usize,
) -> Option<Vec<String>> {
    resolve_with_kind(modules, from, segments, depth).map(|(module, _)| module)
}

/// As [`resolve`], and whether the path names that module itself (rather
/// than an item in it).
fn resolve_with_kind(
    modules: &BTreeMap<Vec<String>, Module>,
    from: &[String],
    segments: &[String],
    depth: usize,
) -> Option<(Vec<String>, bool)> {
    // A `use` that names itself through others would loop.
    if depth > 32 {
        return None;
    }
    let (first, rest) = segments.split_first()?;
    let mut at: Vec<String> = match first.as_str() {
        "crate" => Vec::new(),
        "self" => from.to_vec(),
        "super" => parent(from)?,
        name => {
            let module = modules.get(from)?;
            if module.children.contains(name) {
                child(from, name)
            } else {
                let bound = module.bindings.get(name)?;
                let (target, is_module) = resolve_with_kind(modules, from, bound, depth + 1)?;
                if !is_module {
                    return Some((target, false));
                }
                target
            }
        }
    };
    for segment in rest {
        match segment.as_str() {
            "super" => at = parent(&at)?,
            "self" => {}
            name => {
                let module = modules.get(&at)?;
                if module.children.contains(name) {
                    at = child(&at, name);
                } else if let Some(bound) = module.bindings.get(name) {
                    let (target, is_module) = resolve_with_kind(modules, &at, bound, depth + 1)?;
                    if !is_module {
                        return Some((target, false));
                    }
                    at = target;
                } else {
                    // An item defined in `at`.
                    return Some((at, false));
                }
            }
        }
    }
    Some((at, true))
}

fn parent(path: &[String]) -> Option<Vec<String>> {
    let (_, parent) = path.split_last()?;
    Some(parent.to_vec())
}

fn child(path: &[String], name: &str) -> Vec<String> {
    let mut out = path.to_vec();
    out.push(name.to_owned());
    out
}

struct Reader<'a> {
    src: &'a Path,
    out_dir: Option<&'a Path>,
}

impl Reader<'_> {
    /// Reads the module `path` from `file`; its `mod x;` children live in
    /// `child_dir`.
    fn load_file(
        &self,
        modules: &mut BTreeMap<Vec<String>, Module>,
        path: Vec<String>,
        file: &Path,
        child_dir: PathBuf,
    ) -> Result<(), String> {
        let tokens = without_test_items(self.tokens_of(file)?);
        modules.insert(
            path.clone(),
            Module {
                node: path.clone(),
                ..Module::default()
            },
        );
        // The modules open at this point: path, folder of its `mod x;`
        // files, and the brace depth that closes it.
        let mut open = vec![(path, child_dir, 0usize)];
        let mut depth = 0usize;
        let mut path_attribute: Option<String> = None;
        let mut i = 0;
        while i < tokens.len() {
            let (current, dir, _) = open.last().unwrap().clone();
            match &tokens[i].kind {
                Kind::Punct('#') => {
                    // `#[path = "x.rs"]` before a `mod`.
                    if let [_, open_bracket, path_word, equals, value, ..] = &tokens[i..]
                        && open_bracket.kind == Kind::Punct('[')
                        && path_word.kind == Kind::Ident("path".into())
                        && equals.kind == Kind::Punct('=')
                        && let Kind::Str(value) = &value.kind
                    {
                        path_attribute = Some(value.clone());
                    }
                    i += 1;
                }
                Kind::Ident(word) if word == "mod" => {
                    let Some(Kind::Ident(child_name)) = tokens.get(i + 1).map(|t| &t.kind) else {
                        i += 1;
                        continue;
                    };
                    let child_path = child(&current, child_name);
                    modules
                        .get_mut(&current)
                        .unwrap()
                        .children
                        .insert(child_name.clone());
                    match tokens.get(i + 2).map(|t| &t.kind) {
                        Some(Kind::Punct(';')) => {
                            let (child_file, grandchild_dir) = match path_attribute.take() {
                                Some(relative) => {
                                    let file = tokens[i].file.parent().unwrap().join(relative);
                                    let dir = file.parent().unwrap().to_owned();
                                    (file, dir)
                                }
                                None => find_module_file(&dir, child_name)?,
                            };
                            self.load_file(modules, child_path, &child_file, grandchild_dir)?;
                            i += 3;
                        }
                        Some(Kind::Punct('{')) => {
                            let node = modules[&current].node.clone();
                            modules.insert(
                                child_path.clone(),
                                Module {
                                    node,
                                    ..Module::default()
                                },
                            );
                            depth += 1;
                            open.push((child_path, dir.join(child_name), depth));
                            i += 3;
                        }
                        _ => i += 2,
                    }
                }
                Kind::Ident(word) if word == "use" => {
                    let line = tokens[i].line;
                    let file = tokens[i].file.display().to_string();
                    i += 1;
                    let mut leaves = Vec::new();
                    use_tree(&tokens, &mut i, Vec::new(), &mut leaves);
                    let module = modules.get_mut(&current).unwrap();
                    for (segments, bound_name) in leaves {
                        if let Some(bound_name) = bound_name {
                            module.bindings.insert(bound_name, segments.clone());
                        }
                        module.paths.push((segments, file.clone(), line));
                    }
                }
                Kind::Punct('{') => {
                    depth += 1;
                    i += 1;
                }
                Kind::Punct('}') => {
                    if open.len() > 1 && open.last().unwrap().2 == depth {
                        open.pop();
                    }
                    depth = depth.saturating_sub(1);
                    i += 1;
                }
                Kind::Ident(_) => {
                    let starts_path = i == 0 || tokens[i - 1].kind != Kind::PathSep;
                    let (segments, next) = path_at(&tokens, i);
                    if starts_path && segments.len() > 1 && !is_visibility(&tokens, i) {
                        let token = &tokens[i];
                        modules.get_mut(&current).unwrap().paths.push((
                            segments,
                            token.file.display().to_string(),
                            token.line,
                        ));
                    }
                    i = next;
                }
                _ => i += 1,
            }
        }
        Ok(())
    }

    /// The tokens of `file`, with the files it `include!`s spliced in.
    fn tokens_of(&self, file: &Path) -> Result<Vec<Token>, String> {
        let text = std::fs::read_to_string(file)
            .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        let tokens = tokenize(&text, file);
        let mut out = Vec::with_capacity(tokens.len());
        let mut i = 0;
        while i < tokens.len() {
            let is_include = tokens[i].kind == Kind::Ident("include".into())
                && tokens.get(i + 1).map(|t| &t.kind) == Some(&Kind::Punct('!'))
                && tokens.get(i + 2).map(|t| &t.kind) == Some(&Kind::Punct('('));
            if !is_include {
                out.push(tokens[i].clone());
                i += 1;
                continue;
            }
            let end = matching(&tokens, i + 2);
            let strings: Vec<&str> = tokens[i + 2..end]
                .iter()
                .filter_map(|t| match &t.kind {
                    Kind::Str(s) => Some(s.as_str()),
                    _ => None,
                })
                .collect();
            let included = match strings.as_slice() {
                ["OUT_DIR", rest] => {
                    let out_dir = self.out_dir.ok_or_else(|| {
                        format!(
                            "{} includes a file from OUT_DIR: give the crate's out_dir in CRATES",
                            file.display()
                        )
                    })?;
                    out_dir.join(rest.trim_start_matches('/'))
                }
                [relative] => file.parent().unwrap_or(self.src).join(relative),
                _ => {
                    return Err(format!(
                        "{}: an include! the reader cannot follow",
                        file.display()
                    ));
                }
            };
            out.extend(self.tokens_of(&included)?);
            i = end + 1;
        }
        Ok(out)
    }
}

/// `dir/name.rs` or `dir/name/mod.rs`, and the folder of its own children.
fn find_module_file(dir: &Path, name: &str) -> Result<(PathBuf, PathBuf), String> {
    let flat = dir.join(format!("{name}.rs"));
    if flat.is_file() {
        return Ok((flat, dir.join(name)));
    }
    let nested = dir.join(name).join("mod.rs");
    if nested.is_file() {
        return Ok((nested, dir.join(name)));
    }
    Err(format!(
        "module `{name}`: neither {} nor {} exists",
        flat.display(),
        nested.display()
    ))
}

/// Whether the path at `i` is the `crate` of `pub(crate)` or `pub(in crate::x)`.
fn is_visibility(tokens: &[Token], i: usize) -> bool {
    i >= 2
        && tokens[i - 1].kind == Kind::Ident("in".into())
        && tokens[i - 2].kind == Kind::Punct('(')
}

/// The path `a::b::c` starting at `i`, and the index after it.
fn path_at(tokens: &[Token], mut i: usize) -> (Vec<String>, usize) {
    let mut segments = Vec::new();
    while let Some(Kind::Ident(segment)) = tokens.get(i).map(|t| &t.kind) {
        segments.push(segment.clone());
        i += 1;
        if tokens.get(i).map(|t| &t.kind) == Some(&Kind::PathSep)
            && matches!(tokens.get(i + 1).map(|t| &t.kind), Some(Kind::Ident(_)))
        {
            i += 1;
        } else {
            break;
        }
    }
    (segments, i)
}

/// Reads one use tree at `i` (after `use`) up to its `;`, `,` or `}`:
/// each leaf's full path and the name it binds (`None` for a glob or `_`).
fn use_tree(
    tokens: &[Token],
    i: &mut usize,
    prefix: Vec<String>,
    leaves: &mut Vec<(Vec<String>, Option<String>)>,
) {
    let mut segments = prefix;
    let mut alias = None;
    while let Some(token) = tokens.get(*i) {
        match &token.kind {
            Kind::PathSep => *i += 1,
            Kind::Ident(word) if word == "as" => {
                if let Some(Kind::Ident(name)) = tokens.get(*i + 1).map(|t| &t.kind) {
                    alias = Some(name.clone());
                }
                *i += 2;
            }
            Kind::Ident(word) => {
                segments.push(word.clone());
                *i += 1;
            }
            Kind::Punct('*') => {
                *i += 1;
                leaves.push((segments, None));
                return;
            }
            Kind::Punct('{') => {
                *i += 1;
                loop {
                    use_tree(tokens, i, segments.clone(), leaves);
                    match tokens.get(*i).map(|t| &t.kind) {
                        Some(Kind::Punct(',')) => *i += 1,
                        Some(Kind::Punct('}')) => {
                            *i += 1;
                            break;
                        }
                        _ => return,
                    }
                    if tokens.get(*i).map(|t| &t.kind) == Some(&Kind::Punct('}')) {
                        *i += 1;
                        break;
                    }
                }
                return;
            }
            _ => break,
        }
    }
    if segments.last().is_some_and(|s| s == "self") && segments.len() > 1 {
        segments.pop();
    }
    if segments.is_empty() {
        return;
    }
    let bound = match alias {
        Some(alias) if alias == "_" => None,
        Some(alias) => Some(alias),
        None => segments.last().cloned(),
    };
    leaves.push((segments, bound));
}

/// The tokens without the items under `#[cfg(test)]` (or `cfg(all(test, ..))`).
fn without_test_items(tokens: Vec<Token>) -> Vec<Token> {
    let mut out = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        if !is_test_attribute(&tokens[i..]) {
            out.push(tokens[i].clone());
            i += 1;
            continue;
        }
        // Skip this attribute, any that follow, then the item: up to its
        // `;` or the `}` that closes its body (a `use` ends at `;` even
        // after a `{..}` group).
        i = matching(&tokens, i + 1) + 1;
        while tokens.get(i).map(|t| &t.kind) == Some(&Kind::Punct('#')) {
            i = matching(&tokens, i + 1) + 1;
        }
        let is_use = tokens[i..]
            .iter()
            .take(5)
            .any(|t| t.kind == Kind::Ident("use".into()));
        while i < tokens.len() {
            match tokens[i].kind {
                Kind::Punct(';') => {
                    i += 1;
                    break;
                }
                Kind::Punct('{') if !is_use => {
                    i = matching(&tokens, i) + 1;
                    break;
                }
                Kind::Punct('{' | '(' | '[') => i = matching(&tokens, i) + 1,
                _ => i += 1,
            }
        }
    }
    out
}

fn is_test_attribute(tokens: &[Token]) -> bool {
    let kinds: Vec<&Kind> = tokens.iter().take(8).map(|t| &t.kind).collect();
    let ident = |k: &Kind, s: &str| *k == Kind::Ident(s.into());
    match kinds.as_slice() {
        [
            Kind::Punct('#'),
            Kind::Punct('['),
            cfg,
            Kind::Punct('('),
            test,
            Kind::Punct(')'),
            ..,
        ] => ident(cfg, "cfg") && ident(test, "test"),
        [
            Kind::Punct('#'),
            Kind::Punct('['),
            cfg,
            Kind::Punct('('),
            all,
            Kind::Punct('('),
            test,
            ..,
        ] => ident(cfg, "cfg") && ident(all, "all") && ident(test, "test"),
        _ => false,
    }
}

/// The index of the bracket that closes the one at `open`.
fn matching(tokens: &[Token], open: usize) -> usize {
    let mut depth = 0usize;
    for (i, token) in tokens.iter().enumerate().skip(open) {
        match token.kind {
            Kind::Punct('{' | '(' | '[') => depth += 1,
            Kind::Punct('}' | ')' | ']') => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i;
                }
            }
            _ => {}
        }
    }
    tokens.len().saturating_sub(1)
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Ident(String),
    /// `::`
    PathSep,
    /// A string literal's text (escapes kept as written).
    Str(String),
    /// A number or character literal.
    Literal,
    Punct(char),
}

#[derive(Debug, Clone)]
struct Token {
    kind: Kind,
    line: usize,
    file: PathBuf,
}

/// Rust source as identifiers, `::`, string literals and punctuation;
/// comments, lifetimes and whitespace dropped.
fn tokenize(text: &str, file: &Path) -> Vec<Token> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut line = 1;
    let mut i = 0;
    let at = |i: usize| chars.get(i).copied().unwrap_or('\0');
    let mut push = |kind: Kind, line: usize| {
        tokens.push(Token {
            kind,
            line,
            file: file.to_owned(),
        })
    };
    while i < chars.len() {
        let c = chars[i];
        let start_line = line;
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if c == '/' && at(i + 1) == '/' {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && at(i + 1) == '*' {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && at(i + 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && at(i + 1) == '/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    if chars[i] == '\n' {
                        line += 1;
                    }
                    i += 1;
                }
            }
        } else if let Some((hashes, skip)) = raw_string_start(&chars, i) {
            // r"..", r#".."#, br"..", cr"..": ends at `"` and as many `#`.
            i += skip;
            let start = i;
            loop {
                if i >= chars.len() {
                    break;
                }
                if chars[i] == '"' && (0..hashes).all(|k| at(i + 1 + k) == '#') {
                    break;
                }
                if chars[i] == '\n' {
                    line += 1;
                }
                i += 1;
            }
            let value: String = chars[start..i.min(chars.len())].iter().collect();
            push(Kind::Str(value), start_line);
            i += 1 + hashes;
        } else if c == '"' || ((c == 'b' || c == 'c') && at(i + 1) == '"') {
            i += if c == '"' { 1 } else { 2 };
            let start = i;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    i += 1;
                }
                if at(i) == '\n' {
                    line += 1;
                }
                i += 1;
            }
            let value: String = chars[start..i.min(chars.len())].iter().collect();
            push(Kind::Str(value), start_line);
            i += 1;
        } else if c == '\'' || (c == 'b' && at(i + 1) == '\'') {
            // A character literal ('a', '\n', b'x') or a lifetime ('a).
            let quote = if c == 'b' { i + 1 } else { i };
            if at(quote + 1) == '\\' {
                // Past the backslash and the escaped character ('\'', '\u{..}').
                i = quote + 3;
                while i < chars.len() && chars[i] != '\'' {
                    i += 1;
                }
                i += 1;
                push(Kind::Literal, start_line);
            } else if at(quote + 2) == '\'' {
                i = quote + 3;
                push(Kind::Literal, start_line);
            } else {
                i = quote + 1;
                while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
            }
        } else if c.is_alphabetic() || c == '_' {
            if c == 'r' && at(i + 1) == '#' {
                i += 2;
            }
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            push(Kind::Ident(chars[start..i].iter().collect()), start_line);
        } else if c.is_ascii_digit() {
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            push(Kind::Literal, start_line);
        } else if c == ':' && at(i + 1) == ':' {
            push(Kind::PathSep, start_line);
            i += 2;
        } else {
            push(Kind::Punct(c), start_line);
            i += 1;
        }
    }
    tokens
}

/// At a raw string's start: its number of `#` and the length of its opening.
fn raw_string_start(chars: &[char], i: usize) -> Option<(usize, usize)> {
    let previous_is_ident = i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_');
    if previous_is_ident {
        return None;
    }
    let mut j = i;
    if matches!(chars.get(j), Some('b' | 'c')) {
        j += 1;
    }
    if chars.get(j) != Some(&'r') {
        return None;
    }
    j += 1;
    let mut hashes = 0;
    while chars.get(j) == Some(&'#') {
        hashes += 1;
        j += 1;
    }
    (chars.get(j) == Some(&'"')).then_some((hashes, j + 1 - i))
}
