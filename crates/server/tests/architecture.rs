//! The server's module graph, checked on every test run (docs/architecture.md):
//! no two files of `src/` import each other, directly or around a loop, and
//! the foundation (`config`, `db`, `crypto`, `error`, `state`, `storage`) imports no
//! business area. A file's imports are its `use` trees and the `crate::…`,
//! `super::…`, `self::…` and child-module paths in its code, tests excluded.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type Module = Vec<String>;

const FOUNDATION: [&str; 6] = ["config", "db", "crypto", "error", "state", "storage"];
/// Areas with business rules; the foundation may use the shared utilities
/// (`fsutil`, `spreadsheet`, `http`'s metrics registry) but none of these.
const BUSINESS_AREAS: [&str; 16] = [
    "access",
    "analytics",
    "audit",
    "auth",
    "bills",
    "close",
    "customers",
    "jobs",
    "notify",
    "payments",
    "pricing",
    "reports",
    "settings",
    "system",
    "usage",
    "users",
];

#[test]
fn no_two_server_files_import_each_other_even_around_a_loop() {
    let graph = Graph::of(&src());
    let cycles = graph.cycles();
    assert!(
        cycles.is_empty(),
        "import cycles among server files (move the shared definition down):\n{}",
        cycles
            .iter()
            .map(|cycle| graph.describe(cycle))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn the_foundation_imports_no_business_area() {
    let graph = Graph::of(&src());
    let mut wrong = Vec::new();
    for (from, targets) in &graph.edges {
        if !from.first().is_some_and(|top| FOUNDATION.contains(&top.as_str())) {
            continue;
        }
        for to in targets {
            if to.first().is_some_and(|top| BUSINESS_AREAS.contains(&top.as_str())) {
                wrong.push(format!("{} -> {}", from.join("::"), to.join("::")));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "the foundation imports business areas:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_checker_sees_a_loop_and_a_foundation_import() {
    // The two rules above are only as good as the parser: a made-up tree
    // with one loop through a `use` group and one through an inline path.
    let dir = std::env::temp_dir().join(format!("opcms-architecture-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("a")).unwrap();
    std::fs::write(dir.join("lib.rs"), "mod a; mod b; mod state;").unwrap();
    std::fs::write(
        dir.join("a/mod.rs"),
        "pub mod inner;\nuse crate::{b::{Thing, other as x}};",
    )
    .unwrap();
    std::fs::write(dir.join("a/inner.rs"), "fn f() { let s = \"crate::b\"; }").unwrap();
    std::fs::write(dir.join("b.rs"), "// crate::state\nfn g() { super::a::f(); }").unwrap();
    std::fs::write(
        dir.join("state.rs"),
        "use crate::b::G;\n#[cfg(test)]\nmod tests { use crate::a::X; }",
    )
    .unwrap();
    let graph = Graph::of(&dir);
    let cycles: Vec<String> = graph.cycles().iter().map(|c| graph.describe(c)).collect();
    assert_eq!(cycles.len(), 1, "{cycles:?}");
    assert!(
        cycles[0].contains("a/mod.rs") && cycles[0].contains("b.rs"),
        "{cycles:?}"
    );
    assert!(
        !cycles[0].contains("state.rs"),
        "a test module's import counts: {cycles:?}"
    );
    let state_edges = &graph.edges[&vec!["state".to_string()]];
    assert!(state_edges.contains(&vec!["b".to_string()]));
    std::fs::remove_dir_all(&dir).unwrap();
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

struct Graph {
    files: BTreeMap<Module, PathBuf>,
    edges: BTreeMap<Module, BTreeSet<Module>>,
}

impl Graph {
    fn of(root: &Path) -> Graph {
        let mut files = BTreeMap::new();
        collect(root, root, &mut files);
        let mut edges = BTreeMap::new();
        for (module, path) in &files {
            let text = std::fs::read_to_string(path).unwrap();
            let tokens = tokens(&text);
            let children = child_modules(&tokens);
            let mut targets = BTreeSet::new();
            for path in paths(&tokens) {
                let Some(absolute) = absolute(module, &children, &path) else {
                    continue;
                };
                if let Some(target) = longest_file(&files, &absolute)
                    && &target != module
                    && !target.is_empty()
                {
                    targets.insert(target);
                }
            }
            edges.insert(module.clone(), targets);
        }
        Graph { files, edges }
    }

    /// Strongly connected components of more than one file (Tarjan).
    fn cycles(&self) -> Vec<Vec<Module>> {
        struct Walk<'g> {
            graph: &'g Graph,
            index: BTreeMap<&'g Module, usize>,
            low: BTreeMap<&'g Module, usize>,
            stack: Vec<&'g Module>,
            on_stack: BTreeSet<&'g Module>,
            found: Vec<Vec<Module>>,
        }
        impl<'g> Walk<'g> {
            fn visit(&mut self, v: &'g Module) {
                let n = self.index.len();
                self.index.insert(v, n);
                self.low.insert(v, n);
                self.stack.push(v);
                self.on_stack.insert(v);
                for w in self.graph.edges.get(v).into_iter().flatten() {
                    if !self.index.contains_key(w) {
                        self.visit(w);
                        let low = self.low[v].min(self.low[w]);
                        self.low.insert(v, low);
                    } else if self.on_stack.contains(w) {
                        let low = self.low[v].min(self.index[w]);
                        self.low.insert(v, low);
                    }
                }
                if self.low[v] == self.index[v] {
                    let mut component = Vec::new();
                    while let Some(w) = self.stack.pop() {
                        self.on_stack.remove(w);
                        component.push(w.clone());
                        if w == v {
                            break;
                        }
                    }
                    if component.len() > 1 {
                        component.sort();
                        self.found.push(component);
                    }
                }
            }
        }
        let mut walk = Walk {
            graph: self,
            index: BTreeMap::new(),
            low: BTreeMap::new(),
            stack: Vec::new(),
            on_stack: BTreeSet::new(),
            found: Vec::new(),
        };
        for module in self.files.keys() {
            if !walk.index.contains_key(module) {
                walk.visit(module);
            }
        }
        walk.found
    }

    fn describe(&self, cycle: &[Module]) -> String {
        let members: BTreeSet<&Module> = cycle.iter().collect();
        cycle
            .iter()
            .map(|m| {
                let into: Vec<String> = self.edges[m]
                    .iter()
                    .filter(|t| members.contains(t))
                    .map(|t| self.file_name(t))
                    .collect();
                format!("  {} -> {}", self.file_name(m), into.join(", "))
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn file_name(&self, module: &Module) -> String {
        let path = &self.files[module];
        path.strip_prefix(src()).unwrap_or(path).display().to_string()
    }
}

fn collect(root: &Path, dir: &Path, files: &mut BTreeMap<Module, PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(root, &path, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let relative = path.strip_prefix(root).unwrap().with_extension("");
            let mut module: Module = relative.iter().map(|p| p.to_string_lossy().into_owned()).collect();
            if matches!(module.last().map(String::as_str), Some("mod" | "lib" | "main")) {
                module.pop();
            }
            files.insert(module, path);
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Ident(String),
    PathSep,
    Punct(char),
}

/// Identifiers, `::` and punctuation; comments and string/char literals are
/// skipped, and so is everything from the first `#[cfg(test)]` on (test
/// modules sit at the end of a file).
fn tokens(text: &str) -> Vec<Token> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            i += 2;
            while i + 1 < chars.len() && !(chars[i] == '*' && chars[i + 1] == '/') {
                i += 1;
            }
            i += 2;
        } else if c == '"' || (c == 'r' && matches!(next, Some('"' | '#'))) || (c == 'b' && next == Some('"')) {
            i = skip_string(&chars, i);
        } else if c == '\'' {
            // A char literal ('x', '\n', '\u{..}') or a lifetime ('a).
            if next == Some('\\') {
                i += 2;
                while i < chars.len() && chars[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if chars.get(i + 2) == Some(&'\'') {
                i += 3;
            } else {
                i += 1;
            }
        } else if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push(Token::Ident(chars[start..i].iter().collect()));
        } else if c == ':' && next == Some(':') {
            out.push(Token::PathSep);
            i += 2;
        } else if c == '#' && chars[i..].starts_with(&['#', '[', 'c', 'f', 'g', '(', 't', 'e', 's', 't', ')', ']']) {
            break;
        } else {
            if !c.is_whitespace() {
                out.push(Token::Punct(c));
            }
            i += 1;
        }
    }
    out
}

fn skip_string(chars: &[char], mut i: usize) -> usize {
    if chars[i] == 'b' {
        i += 1;
    }
    if chars[i] == 'r' {
        i += 1;
        let mut hashes = 0;
        while chars.get(i) == Some(&'#') {
            hashes += 1;
            i += 1;
        }
        i += 1; // the opening quote
        while i < chars.len() {
            if chars[i] == '"' && (1..=hashes).all(|k| chars.get(i + k) == Some(&'#')) {
                return i + 1 + hashes;
            }
            i += 1;
        }
        return i;
    }
    i += 1;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 2,
            '"' => return i + 1,
            _ => i += 1,
        }
    }
    i
}

/// `mod x;` declarations: a bare `x::…` path in this file means that child.
fn child_modules(tokens: &[Token]) -> BTreeSet<String> {
    tokens
        .windows(3)
        .filter_map(|w| match w {
            [Token::Ident(m), Token::Ident(name), Token::Punct(';')] if m == "mod" => Some(name.clone()),
            _ => None,
        })
        .collect()
}

/// Every path the file names: `use` trees expanded, then `a::b::c` runs.
fn paths(tokens: &[Token]) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        if tokens[i] == Token::Ident("use".into()) {
            let end = tokens[i..]
                .iter()
                .position(|t| *t == Token::Punct(';'))
                .map_or(tokens.len(), |p| i + p);
            expand(&tokens[i + 1..end], &mut Vec::new(), &mut found);
            i = end + 1;
            continue;
        }
        if let Token::Ident(first) = &tokens[i]
            && tokens.get(i + 1) == Some(&Token::PathSep)
        {
            let mut path = vec![first.clone()];
            let mut j = i + 1;
            while tokens.get(j) == Some(&Token::PathSep) {
                match tokens.get(j + 1) {
                    Some(Token::Ident(segment)) => {
                        path.push(segment.clone());
                        j += 2;
                    }
                    _ => break,
                }
            }
            found.push(path);
            i = j;
            continue;
        }
        i += 1;
    }
    found
}

/// Expands a use tree (`a::{b, c::{d as e}}`) into its leaf paths.
fn expand(tree: &[Token], prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    let mut i = 0;
    let depth = prefix.len();
    while i < tree.len() {
        match &tree[i] {
            Token::Ident(name) if name == "as" => i += 2,
            Token::Ident(name) if name == "self" && i == 0 && depth > 0 => i += 1,
            Token::Ident(name) => {
                prefix.push(name.clone());
                i += 1;
            }
            Token::PathSep => i += 1,
            Token::Punct('{') => {
                let close = matching_brace(tree, i);
                for item in split_top_level(&tree[i + 1..close]) {
                    expand(item, prefix, out);
                }
                prefix.truncate(depth);
                return;
            }
            _ => i += 1,
        }
    }
    if prefix.len() > depth || depth > 0 {
        out.push(prefix.clone());
    }
    prefix.truncate(depth);
}

fn matching_brace(tokens: &[Token], open: usize) -> usize {
    let mut depth = 0;
    for (k, token) in tokens.iter().enumerate().skip(open) {
        match token {
            Token::Punct('{') => depth += 1,
            Token::Punct('}') => {
                depth -= 1;
                if depth == 0 {
                    return k;
                }
            }
            _ => {}
        }
    }
    tokens.len()
}

fn split_top_level(tokens: &[Token]) -> Vec<&[Token]> {
    let mut items = Vec::new();
    let mut depth = 0;
    let mut start = 0;
    for (k, token) in tokens.iter().enumerate() {
        match token {
            Token::Punct('{') => depth += 1,
            Token::Punct('}') => depth -= 1,
            Token::Punct(',') if depth == 0 => {
                items.push(&tokens[start..k]);
                start = k + 1;
            }
            _ => {}
        }
    }
    items.push(&tokens[start..]);
    items
}

/// The module path a file's path names, from the crate root; `None` for
/// paths into other crates.
fn absolute(module: &Module, children: &BTreeSet<String>, path: &[String]) -> Option<Module> {
    let (first, rest) = path.split_first()?;
    // The module a `super` is relative to: a `mod.rs` is its folder's module.
    let here = module.clone();
    let mut base = match first.as_str() {
        "crate" => Vec::new(),
        "self" => here,
        "super" => {
            let mut parent = here;
            parent.pop();
            parent
        }
        child if children.contains(child) => {
            let mut inner = here;
            inner.push(child.to_string());
            inner
        }
        _ => return None,
    };
    let mut rest = rest;
    while let Some((segment, tail)) = rest.split_first() {
        if segment == "super" {
            base.pop();
            rest = tail;
        } else {
            break;
        }
    }
    base.extend(rest.iter().cloned());
    Some(base)
}

/// The file that holds the longest prefix of `path`.
fn longest_file(files: &BTreeMap<Module, PathBuf>, path: &[String]) -> Option<Module> {
    (1..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|prefix| files.contains_key(prefix))
}
