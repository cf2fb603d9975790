//! The tree's dependencies run one way: no file of `src/` imports another that imports it
//! back, directly or round a loop of files (docs/design.md, "Dependencies run one way").
//! An import is a `use` of a path in this crate, or a path written out in the code
//! (`crate::server::hub::Hub`); it points at the file that defines the name, through what
//! modules hand on (`pub use`). Neither a `mod` declaration nor a `pub use` is an import of
//! the module that writes it, and test modules are left out.

use std::{
    collections::{BTreeMap, BTreeSet},
    fs,
    path::{Path, PathBuf},
};

/// Every `.rs` file under `dir`.
fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module path a file defines, from `src/` (`src/server/hub/mod.rs` is
/// `server::hub`; `src/lib.rs` is the crate, empty).
fn module_of(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().unwrap();
    let stem = last.trim_end_matches(".rs");
    if stem != "mod" && stem != "lib" {
        parts.push(stem.to_owned());
    }
    parts
}

/// The file's text without its test module (`#[cfg(test)]` then `mod`, to the end: by
/// this tree's habit, tests come last) and without comments.
fn code(text: &str) -> String {
    let mut out = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("#[cfg(test)]")
            && lines
                .peek()
                .is_some_and(|next| next.trim_start().starts_with("mod "))
        {
            break;
        }
        let line = match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        };
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Every path a `use` tree names: `a::{b, c::d}` is `a::b` and `a::c::d`.
fn flatten(tree: &str, prefix: &[String], out: &mut Vec<Vec<String>>) {
    let tree = tree.trim();
    // The leading segments up to a group, or the whole path.
    let (head, group) = match (tree.find('{'), tree.rfind('}')) {
        (Some(open), Some(close)) if open < close => (&tree[..open], Some(&tree[open + 1..close])),
        (None, None) => (tree, None),
        // Not a path (a word in a string, say).
        _ => return,
    };
    let mut path = prefix.to_vec();
    for seg in head.split("::").map(str::trim).filter(|s| !s.is_empty()) {
        let seg = seg.split(" as ").next().unwrap().trim();
        path.push(seg.to_owned());
    }
    match group {
        None => out.push(path),
        Some(group) => {
            // Split the group at its top-level commas.
            let (mut depth, mut start) = (0, 0);
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        flatten(&group[start..i], &path, out);
                        start = i + 1;
                    }
                    _ => {}
                }
            }
            if !group[start..].trim().is_empty() {
                flatten(&group[start..], &path, out);
            }
        }
    }
}

/// The paths that `code` names: every `use` tree, and every path written out in the code
/// (`a::b::c`), as written.
fn named_paths(code: &str) -> Vec<Vec<String>> {
    let mut raw = Vec::new();
    // `use` statements (not `pub use`: what a module hands on is no import of its own;
    // paths through it lead to the file that defines the name).
    let mut rest = code;
    while let Some(at) = rest.find("use ") {
        let before = rest[..at].chars().last();
        let handed_on =
            rest[..at].trim_end().ends_with("pub") || rest[..at].trim_end().ends_with(')');
        let after = &rest[at + 4..];
        if !handed_on && before.is_none_or(|c| c.is_whitespace() || c == ';' || c == '}') {
            let end = after.find(';').unwrap_or(after.len());
            flatten(&after[..end], &[], &mut raw);
        }
        rest = after;
    }
    // Paths written out in the code: words joined by `::`, outside `use` statements.
    let mut body = String::new();
    for statement in code.split_inclusive(';') {
        let start = statement.trim_start();
        let start = start.strip_prefix("pub ").unwrap_or(start);
        if !start.starts_with("use ") && !start.starts_with("pub(crate) use ") {
            body.push_str(statement);
        }
    }
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let chars: Vec<char> = body.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if word(chars[i]) && (i == 0 || !(word(chars[i - 1]) || chars[i - 1] == ':')) {
            let mut path = Vec::new();
            let mut j = i;
            loop {
                let start = j;
                while j < chars.len() && word(chars[j]) {
                    j += 1;
                }
                path.push(chars[start..j].iter().collect::<String>());
                if j + 2 < chars.len()
                    && chars[j] == ':'
                    && chars[j + 1] == ':'
                    && word(chars[j + 2])
                {
                    j += 2;
                } else {
                    break;
                }
            }
            if path.len() > 1 {
                raw.push(path);
            }
            i = j.max(i + 1);
        } else {
            i += 1;
        }
    }
    raw
}

/// `path` as written in the module `here`, from the crate: through `crate`, `super` or
/// `self`, or a child module of `here`; `None` for another crate's.
fn absolute(
    path: &[String],
    here: &[String],
    file_of: &BTreeMap<Vec<String>, String>,
) -> Option<Vec<String>> {
    let mut abs: Vec<String> = Vec::new();
    let mut segs = path.iter().peekable();
    match segs.peek().map(|s| s.as_str()) {
        Some("crate") => {
            segs.next();
        }
        Some("super") | Some("self") => abs = here.to_vec(),
        Some(first) => {
            let mut child = here.to_vec();
            child.push(first.to_owned());
            if !file_of.contains_key(&child) {
                return None;
            }
            abs = here.to_vec();
        }
        None => return None,
    }
    for seg in segs {
        match seg.as_str() {
            "super" => {
                abs.pop();
            }
            "self" => {}
            _ => abs.push(seg.clone()),
        }
    }
    Some(abs)
}

/// Whether a `use` tree names one path (no group), so that an `as` belongs to it.
fn paths_len_one(tree: &str) -> bool {
    !tree.contains('{')
}

#[test]
fn no_file_imports_another_that_imports_it_back() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut all = Vec::new();
    files(&src, &mut all);
    // A module's file, by its path; test files (`tests.rs`) are not the tree's.
    let mut file_of: BTreeMap<Vec<String>, String> = BTreeMap::new();
    for path in &all {
        let rel = path.strip_prefix(&src).unwrap();
        if rel.starts_with("bin") || rel.file_name().is_some_and(|n| n == "tests.rs") {
            continue;
        }
        file_of.insert(module_of(rel), rel.to_string_lossy().into_owned());
    }
    // What each module hands on (`pub use x::Y;`): a path through it to `Y` leads to `x`.
    let mut handed_on: BTreeMap<Vec<String>, Vec<String>> = BTreeMap::new();
    for (module, file) in &file_of {
        let text = code(&fs::read_to_string(src.join(file)).unwrap());
        for line in text.lines().map(str::trim_start) {
            let Some(tree) = line
                .strip_prefix("pub use ")
                .and_then(|l| l.strip_suffix(';'))
            else {
                continue;
            };
            let mut paths = Vec::new();
            flatten(tree, &[], &mut paths);
            for path in paths {
                let alias = tree
                    .split(" as ")
                    .nth(1)
                    .filter(|_| paths_len_one(tree))
                    .map(|a| a.trim().to_owned());
                if let Some(abs) = absolute(&path, module, &file_of) {
                    let mut key = module.clone();
                    key.push(alias.unwrap_or_else(|| path.last().unwrap().clone()));
                    handed_on.insert(key, abs);
                }
            }
        }
    }
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, file) in &file_of {
        let text = fs::read_to_string(src.join(file)).unwrap();
        for path in named_paths(&code(&text)) {
            let Some(mut path) = absolute(&path, module, &file_of) else {
                continue;
            };
            // Through what modules hand on, to where it is defined.
            for _ in 0..8 {
                let hop = (1..=path.len()).rev().find_map(|n| {
                    handed_on
                        .get(&path[..n])
                        .map(|to| to.iter().chain(&path[n..]).cloned().collect::<Vec<_>>())
                });
                match hop {
                    Some(next) if next != path => path = next,
                    _ => break,
                }
            }
            // The longest prefix of the path that is a module with a file.
            let target = (0..=path.len()).rev().find_map(|n| file_of.get(&path[..n]));
            if let Some(target) = target {
                if target != file && !target.ends_with("lib.rs") {
                    edges
                        .entry(file.clone())
                        .or_default()
                        .insert(target.clone());
                }
            }
        }
    }
    assert!(
        edges
            .get("server/http/rooms.rs")
            .is_some_and(|e| e.contains("server/domain/rooms.rs")),
        "the check reads no imports: {edges:?}"
    );
    if std::env::var_os("LAYERS_DUMP").is_some() {
        for (from, to) in &edges {
            for to in to {
                println!("EDGE {from} {to}");
            }
        }
    }
    // Files that reach each other (Tarjan's strongly connected components).
    struct Search<'a> {
        edges: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, (usize, usize)>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        circles: Vec<Vec<&'a str>>,
    }
    impl<'a> Search<'a> {
        fn visit(&mut self, node: &'a str) {
            let n = self.index.len();
            self.index.insert(node, (n, n));
            self.stack.push(node);
            self.on_stack.insert(node);
            for next in self.edges.get(node).into_iter().flatten() {
                let next = next.as_str();
                if !self.index.contains_key(next) {
                    self.visit(next);
                    let low = self.index[next].1.min(self.index[node].1);
                    self.index.get_mut(node).unwrap().1 = low;
                } else if self.on_stack.contains(next) {
                    let low = self.index[next].0.min(self.index[node].1);
                    self.index.get_mut(node).unwrap().1 = low;
                }
            }
            let (i, low) = self.index[node];
            if i == low {
                let mut circle = Vec::new();
                while let Some(top) = self.stack.pop() {
                    self.on_stack.remove(top);
                    circle.push(top);
                    if top == node {
                        break;
                    }
                }
                if circle.len() > 1 {
                    circle.sort();
                    self.circles.push(circle);
                }
            }
        }
    }
    let mut search = Search {
        edges: &edges,
        index: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        circles: Vec::new(),
    };
    for node in edges.keys() {
        if !search.index.contains_key(node.as_str()) {
            search.visit(node);
        }
    }
    let told: Vec<String> = search
        .circles
        .iter()
        .map(|circle| {
            let ties: Vec<String> = circle
                .iter()
                .flat_map(|from| {
                    edges[*from]
                        .iter()
                        .filter(|to| circle.contains(&to.as_str()))
                        .map(move |to| format!("{from} -> {to}"))
                })
                .collect();
            ties.join(", ")
        })
        .collect();
    assert!(
        told.is_empty(),
        "files that import each other round a loop (move what they share into a file below \
         them, docs/design.md):\n{}",
        told.join("\n")
    );
}
