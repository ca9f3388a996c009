//! The committed C header: fresh, self-contained, warning-free in C and C++, and
//! versioned like Cargo.toml.
//!
//! `build.rs` generates the header with cbindgen into `OUT_DIR`; this test compares
//! it with `include/qcos.h`. To refresh the committed copy after changing the C API:
//!
//! ```sh
//! QCOS_UPDATE_HEADER=1 cargo test --test header
//! ```

use std::path::{Path, PathBuf};
use std::process::Command;

/// What `build.rs` generated from the current sources.
const GENERATED: &str = include_str!(concat!(env!("OUT_DIR"), "/qcos.h"));

fn committed_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("include/qcos.h")
}

#[test]
fn committed_header_is_fresh() {
    let path = committed_path();
    if std::env::var_os("QCOS_UPDATE_HEADER").is_some_and(|v| v == "1") {
        std::fs::write(&path, GENERATED).expect("write include/qcos.h");
        eprintln!("wrote {}", path.display());
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != GENERATED {
        let first_diff = committed
            .lines()
            .zip(GENERATED.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| committed.lines().count().min(GENERATED.lines().count()));
        panic!(
            "include/qcos.h is stale: it differs from what cbindgen generates from the sources \
             (first difference at line {}).\n\
             committed: {:?}\ngenerated: {:?}\n\
             Fix: run `QCOS_UPDATE_HEADER=1 cargo test --test header` and commit include/qcos.h.",
            first_diff + 1,
            committed.lines().nth(first_diff).unwrap_or("<end of file>"),
            GENERATED.lines().nth(first_diff).unwrap_or("<end of file>"),
        );
    }
}

fn compile(compiler: &str, args: &[&str]) {
    let header = committed_path();
    let mut cmd = Command::new(compiler);
    cmd.args(args)
        .args(["-Wall", "-Wextra", "-Werror", "-pedantic", "-fsyntax-only"])
        .arg(&header);
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {compiler} (install gcc and g++): {e}"));
    assert!(
        out.status.success(),
        "{compiler} {args:?} rejects include/qcos.h:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn header_compiles_alone_as_c99() {
    compile("gcc", &["-x", "c", "-std=c99"]);
}

#[test]
fn header_compiles_alone_as_c11() {
    compile("gcc", &["-x", "c", "-std=c11", "-Wstrict-prototypes"]);
}

#[test]
fn header_compiles_alone_as_cpp17() {
    compile("g++", &["-x", "c++", "-std=c++17"]);
}

fn define(name: &str) -> String {
    let prefix = format!("#define {name} ");
    GENERATED
        .lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("the header has no {name}"))
        .trim()
        .to_string()
}

#[test]
fn version_macros_match_cargo_toml_and_the_library() {
    let major: u32 = env!("CARGO_PKG_VERSION_MAJOR").parse().unwrap();
    let minor: u32 = env!("CARGO_PKG_VERSION_MINOR").parse().unwrap();
    let patch: u32 = env!("CARGO_PKG_VERSION_PATCH").parse().unwrap();
    assert_eq!(
        define("QCOS_VERSION"),
        format!("\"{}\"", env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(define("QCOS_VERSION_MAJOR"), major.to_string());
    assert_eq!(define("QCOS_VERSION_MINOR"), minor.to_string());
    assert_eq!(define("QCOS_VERSION_PATCH"), patch.to_string());
    let number = major * 1_000_000 + minor * 1_000 + patch;
    assert_eq!(define("QCOS_VERSION_NUMBER"), number.to_string());
    assert_eq!(qcos::ffi::version::qcos_version_number(), number);
    // Cargo.toml itself, not only what cargo passed to the compiler.
    let toml =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml")).unwrap();
    let in_toml = toml
        .lines()
        .find_map(|l| l.strip_prefix("version = \""))
        .and_then(|l| l.strip_suffix('"'))
        .expect("version in Cargo.toml");
    assert_eq!(in_toml, env!("CARGO_PKG_VERSION"));
}

#[test]
fn every_exported_function_is_declared_and_documented() {
    // Every `qcos_` function declaration in the header is preceded by a doc comment.
    let lines: Vec<&str> = GENERATED.lines().collect();
    let mut count = 0;
    for (i, l) in lines.iter().enumerate() {
        let is_decl = l.contains("qcos_")
            && l.contains('(')
            && !l.starts_with([' ', '/', '#', '*'])
            && !l.starts_with("typedef");
        if is_decl {
            count += 1;
            assert!(
                lines[..i]
                    .iter()
                    .rev()
                    .take(1)
                    .any(|p| p.trim_end() == " */"),
                "undocumented declaration: {l}"
            );
        }
    }
    assert!(count > 60, "only {count} function declarations found");
    assert!(
        !GENERATED.contains("qcos_test_panic"),
        "test hooks must stay out of the header"
    );
}

fn screaming_snake(camel: &str) -> String {
    let mut out = String::new();
    for (i, ch) in camel.chars().enumerate() {
        if ch.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(ch.to_ascii_uppercase());
    }
    out
}

#[test]
fn every_status_has_its_fixed_number_in_the_header() {
    for st in qcos::Status::ALL {
        let line = format!(
            "QCOS_STATUS_{} = {},",
            screaming_snake(&format!("{st:?}")),
            st as u32
        );
        assert!(
            GENERATED.lines().any(|l| l.trim() == line),
            "the header lacks `{line}`"
        );
    }
}
