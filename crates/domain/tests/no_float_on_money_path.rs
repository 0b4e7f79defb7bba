//! Money is never a binary float (DESIGN.md §2). `clippy::float_arithmetic`
//! catches arithmetic, but not a float that merely passes through (a
//! parameter, a cast, a `serde` visitor). This reads the sources of the
//! money path and fails on any mention of a float type, comments included:
//! the simplest rule that cannot be argued around.

use std::path::{Path, PathBuf};

/// The money path: amounts, prices, quantities and everything computing them.
const MONEY_PATH: [&str; 2] = ["src/money.rs", "src/pricing"];

fn rust_files(path: &Path, found: &mut Vec<PathBuf>) {
    if path.is_dir() {
        for entry in std::fs::read_dir(path).expect("readable source directory") {
            rust_files(&entry.expect("directory entry").path(), found);
        }
    } else if path.extension().is_some_and(|e| e == "rs") {
        found.push(path.to_path_buf());
    }
}

#[test]
fn no_float_type_appears_in_the_money_sources() {
    let root = crate_dir();
    let mut files = Vec::new();
    for part in MONEY_PATH {
        let path = root.join(part);
        assert!(path.exists(), "{} is missing: update MONEY_PATH", path.display());
        rust_files(&path, &mut files);
    }
    assert!(
        files.len() >= 5,
        "found only {files:?}: is the scan still reading the sources?"
    );

    let float_types = [concat!("f", "32"), concat!("f", "64")];
    let mut offences = Vec::new();
    for file in &files {
        let source = std::fs::read_to_string(file).expect("readable source");
        for (number, line) in source.lines().enumerate() {
            if float_types.iter().any(|t| line.contains(t)) {
                offences.push(format!("{}:{}: {}", file.display(), number + 1, line.trim()));
            }
        }
    }
    assert!(
        offences.is_empty(),
        "float types on the money path:\n{}",
        offences.join("\n")
    );
}

/// The crate's directory as cargo gives it to the running test, not as it
/// was at compile time: checkouts that share a target directory reuse each
/// other's test binaries, and these tests read the sources beside them.
fn crate_dir() -> std::path::PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR").map_or_else(|| env!("CARGO_MANIFEST_DIR").into(), Into::into)
}
