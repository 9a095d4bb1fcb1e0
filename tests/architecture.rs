//! The library's modules form a graph without cycles: no module imports a
//! module that (directly or through others) imports it back. Read from the
//! sources, so a new `use crate::...` that closes a loop fails here.

use std::collections::{BTreeMap, BTreeSet};

/// The library's modules, from `mod` lines of `src/lib.rs`.
fn modules() -> Vec<String> {
    let lib = std::fs::read_to_string("src/lib.rs").unwrap();
    lib.lines()
        .filter_map(|line| {
            let line = line.trim().trim_start_matches("pub ");
            let name = line.strip_prefix("mod ")?.strip_suffix(';')?;
            Some(name.to_owned())
        })
        .collect()
}

/// The code of a module, without comments and without its unit tests. A
/// module with submodules (`src/fake/`) counts as all its files together.
fn code_of(module: &str) -> String {
    if module == "generated" {
        return without_tests(include_str!(concat!(env!("OUT_DIR"), "/codegen.rs")));
    }
    if let Ok(text) = std::fs::read_to_string(format!("src/{module}.rs")) {
        return without_tests(&text);
    }
    let mut files: Vec<_> = std::fs::read_dir(format!("src/{module}"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "rs"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|path| without_tests(&std::fs::read_to_string(path).unwrap()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `text` without its unit tests and comment lines.
fn without_tests(text: &str) -> String {
    let text = match text.find("#[cfg(test)]") {
        Some(at) => &text[..at],
        None => text,
    };
    text.lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Which modules each module names through `crate::`.
fn imports(modules: &[String]) -> BTreeMap<String, BTreeSet<String>> {
    let known: BTreeSet<&str> = modules.iter().map(String::as_str).collect();
    let mut graph = BTreeMap::new();
    for module in modules {
        let code = code_of(module);
        let mut uses = BTreeSet::new();
        for (at, _) in code.match_indices("crate::") {
            let rest = &code[at + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if known.contains(name.as_str()) && name != *module {
                uses.insert(name);
            }
        }
        // `use crate::{a, b::C}` groups.
        for (at, _) in code.match_indices("crate::{") {
            let group = &code[at + "crate::{".len()..];
            let group = &group[..group.find('}').unwrap_or(group.len())];
            for part in group.split(',') {
                let name = part.trim().split("::").next().unwrap_or_default();
                if known.contains(name) && name != module {
                    uses.insert(name.to_owned());
                }
            }
        }
        graph.insert(module.clone(), uses);
    }
    graph
}

/// A cycle through `start`, if there is one.
fn cycle_from(graph: &BTreeMap<String, BTreeSet<String>>, start: &str) -> Option<Vec<String>> {
    fn walk(
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        start: &str,
    ) -> bool {
        let last = path.last().unwrap().clone();
        for next in &graph[&last] {
            if next == start {
                path.push(next.clone());
                return true;
            }
            if !path.contains(next) {
                path.push(next.clone());
                if walk(graph, path, start) {
                    return true;
                }
                path.pop();
            }
        }
        false
    }
    let mut path = vec![start.to_owned()];
    walk(graph, &mut path, start).then_some(path)
}

#[test]
fn no_module_imports_a_module_that_imports_it_back() {
    let modules = modules();
    assert!(modules.len() > 10, "{modules:?}");
    let graph = imports(&modules);
    // The reader finds what they expect where they expect it.
    assert!(graph["transport"].contains("ratelimit"), "{graph:?}");
    assert!(graph["error"].contains("links"), "{graph:?}");
    assert!(graph["generated"].contains("transport"), "{graph:?}");
    let cycles: Vec<String> = modules
        .iter()
        .filter_map(|m| cycle_from(&graph, m))
        .map(|path| path.join(" -> "))
        .collect();
    assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
}

#[test]
fn link_and_rate_limit_parsing_depend_on_nothing_else() {
    let graph = imports(&modules());
    assert!(graph["links"].is_empty(), "{:?}", graph["links"]);
    assert!(graph["ratelimit"].is_empty(), "{:?}", graph["ratelimit"]);
}
