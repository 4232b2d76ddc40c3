//! Every Solidity declaration lives in one place: this test reads every `sol!` block in the
//! repository (crates/, xtask/, benches/, fuzz/) and fails when a function, event, error or
//! struct is declared twice outside smart-sessions-bindings, or outside it where the bindings declare it.
//!
//! A declaration is compared by what the ABI sees: its kind, name and parameter types, with
//! user-defined value types resolved to their underlying type and struct parameters expanded to
//! their tuple (so `getSessionDigest(bytes32,address,Session,uint8)` of the legacy layout and of
//! the current one are different declarations). Parameter names, data locations and return types
//! do not count.
//!
//! The bindings crate is the home of the contracts' ABIs, one module per contract, generated
//! (`src/generated/`) or, where no package ships the ABI, hand-written (`src/erc20.rs`, …): two
//! of its contracts may share a declaration (EIP-20's and the EntryPoint's `balanceOf(address)`,
//! Nexus bootstrap 1.0's and 1.2's `BootstrapConfig`), and each ABI is generated whole
//! (`PackedUserOperation` appears in every interface that takes one). Exempt as well: the
//! `no_std` codec and policy crates, which
//! sit below the bindings in the workspace's layering (a lower crate never knows a higher one),
//! where a declaration the bindings also generate is allowed but two hand-written ones are not.

use std::{
    collections::{BTreeMap, BTreeSet},
    fs,
    path::{Path, PathBuf},
};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if path.is_dir() {
            if !matches!(name.as_ref(), "target" | "node_modules" | "corpus" | "artifacts") {
                rust_files(&path, out);
            }
        } else if name.ends_with(".rs") {
            out.push(path);
        }
    }
}

/// Removes `//` comments (doc comments included): the Solidity inside `sol!` has no string that
/// contains `//`.
fn strip_comments(text: &str) -> String {
    text.lines().map(|l| l.find("//").map_or(l, |i| &l[..i])).collect::<Vec<_>>().join("\n")
}

/// The bodies of the `sol! { … }` blocks in `text` (the generated files' `crate::bindings! { … }`
/// blocks too).
fn sol_blocks(text: &str) -> Vec<String> {
    let text = strip_comments(text);
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    for marker in ["sol! {", "sol!{", "bindings! {"] {
        let mut from = 0;
        while let Some(at) = text[from..].find(marker) {
            let open = from + at + marker.len() - 1;
            let mut depth = 0usize;
            let mut end = open;
            for (i, b) in bytes.iter().enumerate().skip(open) {
                match b {
                    b'{' => depth += 1,
                    b'}' => {
                        depth -= 1;
                        if depth == 0 {
                            end = i;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            out.push(text[open + 1..end].to_string());
            from = end.max(open + 1);
        }
    }
    out
}

/// The text between the bracket at `open` and its match.
fn balanced(text: &str, open: usize, (l, r): (u8, u8)) -> &str {
    let mut depth = 0usize;
    for (i, b) in text.as_bytes().iter().enumerate().skip(open) {
        if *b == l {
            depth += 1;
        } else if *b == r {
            depth -= 1;
            if depth == 0 {
                return &text[open + 1..i];
            }
        }
    }
    &text[open + 1..]
}

fn split_top(list: &str, sep: char) -> Vec<&str> {
    let (mut depth, mut start, mut out) = (0i32, 0, Vec::new());
    for (i, c) in list.char_indices() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            c if c == sep && depth == 0 => {
                out.push(&list[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&list[start..]);
    out.into_iter().map(str::trim).filter(|s| !s.is_empty()).collect()
}

fn word_at(text: &str, at: usize) -> &str {
    let rest = &text[at..];
    let end = rest.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(rest.len());
    &rest[..end]
}

/// The declarations of one block.
struct Block {
    aliases: BTreeMap<String, String>,
    structs: BTreeMap<String, Vec<String>>,
    items: Vec<(&'static str, String, Vec<String>)>,
}

fn starts_word(text: &str, at: usize) -> bool {
    at == 0 || !text[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == '.')
}

fn parse(block: &str) -> Block {
    let mut b = Block { aliases: BTreeMap::new(), structs: BTreeMap::new(), items: Vec::new() };
    for kind in ["function", "event", "error", "struct", "type"] {
        let needle = format!("{kind} ");
        let mut from = 0;
        while let Some(at) = block[from..].find(&needle) {
            let at = from + at;
            from = at + needle.len();
            if !starts_word(block, at) {
                continue;
            }
            let name_at = at + needle.len();
            let name = word_at(block, name_at).to_string();
            if name.is_empty() {
                continue;
            }
            let after = &block[name_at + name.len()..];
            match kind {
                "type" => {
                    let Some(rest) = after.trim_start().strip_prefix("is ") else { continue };
                    b.aliases.insert(name, word_at(rest.trim_start(), 0).to_string());
                }
                "struct" => {
                    let Some(open) = after.find('{') else { continue };
                    let body = balanced(after, open, (b'{', b'}'));
                    let fields = split_top(body, ';')
                        .into_iter()
                        .map(|f| f.split_whitespace().next().unwrap_or_default().to_string())
                        .collect();
                    b.structs.insert(name, fields);
                }
                _ => {
                    let Some(open) = after.find('(') else { continue };
                    let params = split_top(balanced(after, open, (b'(', b')')), ',')
                        .into_iter()
                        .map(|p| p.split_whitespace().next().unwrap_or_default().to_string())
                        .collect();
                    let kind = match kind {
                        "function" => "function",
                        "event" => "event",
                        _ => "error",
                    };
                    b.items.push((kind, name, params));
                }
            }
        }
    }
    b
}

/// `ty` as the ABI sees it: aliases resolved, structs expanded, `uint` as `uint256`.
fn canonical(b: &Block, ty: &str, depth: usize) -> String {
    let (base, dims) = ty.find('[').map_or((ty, ""), |i| (&ty[..i], &ty[i..]));
    let base = base.rsplit('.').next().unwrap_or(base);
    let resolved = if depth > 8 {
        base.to_string()
    } else if let Some(fields) = b.structs.get(base) {
        let inner: Vec<String> = fields.iter().map(|f| canonical(b, f, depth + 1)).collect();
        format!("({})", inner.join(","))
    } else if let Some(under) = b.aliases.get(base) {
        canonical(b, under, depth + 1)
    } else {
        match base {
            "uint" => "uint256".into(),
            "int" => "int256".into(),
            _ => base.to_string(),
        }
    };
    format!("{resolved}{dims}")
}

fn declarations(block: &str) -> BTreeSet<String> {
    let b = parse(block);
    let mut out = BTreeSet::new();
    for (kind, name, params) in &b.items {
        let types: Vec<String> = params.iter().map(|p| canonical(&b, p, 0)).collect();
        out.insert(format!("{kind} {name}({})", types.join(",")));
    }
    for (name, fields) in &b.structs {
        let types: Vec<String> = fields.iter().map(|f| canonical(&b, f, 0)).collect();
        out.insert(format!("struct {name}({})", types.join(",")));
    }
    out
}

#[test]
fn no_solidity_declaration_is_written_twice() {
    let root = root();
    let mut files = Vec::new();
    for dir in ["crates", "xtask", "benches", "fuzz"] {
        rust_files(&root.join(dir), &mut files);
    }
    files.sort();
    let bindings_src = root.join("crates/bindings/src");
    let this = Path::new(file!()).file_name().unwrap();
    let below_bindings = [root.join("crates/codec"), root.join("crates/policy")];

    // declaration -> (places outside the bindings, declared by the bindings)
    let mut seen: BTreeMap<String, (Vec<String>, bool)> = BTreeMap::new();
    let mut blocks = 0;
    for file in &files {
        if file.file_name() == Some(this) {
            continue;
        }
        let text = fs::read_to_string(file).unwrap();
        let in_bindings = file.starts_with(&bindings_src);
        let shown = file.strip_prefix(&root).unwrap().display().to_string();
        for (i, block) in sol_blocks(&text).iter().enumerate() {
            blocks += 1;
            for d in declarations(block) {
                let entry = seen.entry(d).or_default();
                if in_bindings {
                    entry.1 = true;
                } else {
                    entry.0.push(format!("{shown} (block {})", i + 1));
                }
            }
        }
    }
    assert!(
        blocks > 20,
        "found only {blocks} sol! blocks: is the scan looking in the right place?"
    );
    assert!(
        seen.get("function execute(bytes32,bytes)").is_some_and(|e| e.1),
        "the generated Nexus `execute` was not found: the parser is broken"
    );

    let mut twice = Vec::new();
    for (decl, (places, in_bindings)) in &seen {
        let above: Vec<&String> = places
            .iter()
            .filter(|p| {
                !below_bindings
                    .iter()
                    .any(|b| root.join(p.split(' ').next().unwrap()).starts_with(b))
            })
            .collect();
        if places.len() > 1 || (*in_bindings && !above.is_empty()) {
            let also = if *in_bindings { " and in smart-sessions-bindings" } else { "" };
            twice.push(format!("{decl}: {}{also}", places.join(", ")));
        }
    }
    assert!(
        twice.is_empty(),
        "{} Solidity declarations are written more than once (declare each once, in \
         smart-sessions-bindings or the crate that owns the contract, and import it):\n{}",
        twice.len(),
        twice.join("\n")
    );
}

#[test]
fn the_scanner_finds_what_a_declaration_is() {
    let block = "
        type Id is bytes32;
        struct Inner { uint a; Id b; }
        function f(Id id, Inner[] memory xs, address payable to) external returns (bool);
        event E(address indexed who, uint256 n);
        error Bad(Inner inner);
    ";
    let d = declarations(block);
    let expected: BTreeSet<String> = [
        "function f(bytes32,(uint256,bytes32)[],address)",
        "event E(address,uint256)",
        "error Bad((uint256,bytes32))",
        "struct Inner(uint256,bytes32)",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(d, expected);
    // a block inside a file, comments ignored
    let file = "// sol! { function ghost(); }\nsol! {\n    /// doc\n    function g(uint8 x);\n}\n";
    let blocks = sol_blocks(file);
    assert_eq!(blocks.len(), 1);
    assert_eq!(declarations(&blocks[0]), BTreeSet::from(["function g(uint8)".to_string()]));
}
