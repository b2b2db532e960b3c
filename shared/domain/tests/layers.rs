//! The domain's folders are layers: each uses only the folders before it in `LAYERS` (the
//! order of `src/lib.rs`), so no two folders import each other.

use std::path::Path;

const LAYERS: &[&str] = &["protocol", "resource", "auth", "account", "delivery", "entities", "lifecycle", "erp_sync", "admin", "mcp"];

/// Every `crate::<folder>` a source text names, `use crate::{a, b::c}` groups included.
fn folders_named(text: &str) -> Vec<&str> {
    let mut out = vec![];
    for (i, _) in text.match_indices("crate::") {
        let rest = &text[i + "crate::".len()..];
        let names: Vec<&str> = match rest.strip_prefix('{') {
            Some(group) => group[..group.find('}').unwrap_or(group.len())].split(',').collect(),
            None => vec![rest],
        };
        for name in names {
            let name = name.trim();
            let end = name.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(name.len());
            out.push(&name[..end]);
        }
    }
    out
}

fn sources(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("a source folder") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn each_folder_uses_only_the_layers_below_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut checked = 0;
    for (rank, layer) in LAYERS.iter().enumerate() {
        let mut files = vec![];
        sources(&src.join(layer), &mut files);
        assert!(!files.is_empty(), "src/{layer}/ holds the layer");
        for file in files {
            let text = std::fs::read_to_string(&file).expect("a source file");
            for named in folders_named(&text) {
                if let Some(other) = LAYERS.iter().position(|l| *l == named) {
                    assert!(other <= rank, "{} uses crate::{named}, a layer above {layer}", file.display());
                }
            }
            checked += 1;
        }
    }
    assert!(checked > 40, "{checked} files");
}

#[test]
fn the_layers_are_lib_rs_folders_in_its_order() {
    let lib = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs")).expect("lib.rs");
    let declared: Vec<&str> = lib.lines().filter_map(|l| l.strip_prefix("pub mod ")?.strip_suffix(';')).collect();
    assert_eq!(declared, LAYERS);
}

#[test]
fn a_group_import_names_each_of_its_folders() {
    assert_eq!(folders_named("use crate::{entities::parts, protocol::sql::Stmt};"), ["entities", "protocol"]);
    assert_eq!(folders_named("x(crate::mcp::tools())"), ["mcp"]);
}
