//! The C ABI is listed in the checked file `abi/qcos.abi`: every function signature,
//! callback typedef and enum constant of `include/qcos.h`. A change to any of them
//! fails here until the list is updated on purpose:
//!
//! ```sh
//! QCOS_UPDATE_ABI=1 cargo test --test bindings_abi
//! ```
//!
//! Adding lines is a compatible change (bump the minor version); changing or removing
//! one breaks programs built against the old header (bump the major version, which
//! changes the soname `make install` gives `libqcos.so`).
//!
//! Also: the shared library exports exactly the header's functions, and the Python
//! package's version follows Cargo.toml.

mod bindings_support;
mod native;

use std::collections::BTreeSet;
use std::process::Command;

use bindings_support::*;
use native::*;

const ABI_FILE: &str = "abi/qcos.abi";

fn current_abi() -> Vec<String> {
    let header = std::fs::read_to_string(manifest_dir().join("include/qcos.h")).unwrap();
    header_abi(&header)
}

fn preamble() -> String {
    "# The C ABI of libqcos: every function, callback typedef and enum constant of\n\
     # include/qcos.h, normalized. Checked by tests/bindings_abi.rs. Update on purpose\n\
     # with `QCOS_UPDATE_ABI=1 cargo test --test bindings_abi`: added lines are a minor\n\
     # version bump, changed or removed lines a major one (new soname).\n"
        .to_string()
}

#[test]
fn abi_list_matches_the_header() {
    let abi = current_abi();
    assert!(
        abi.iter().filter(|l| l.contains('(')).count() > 100,
        "the header parser found too little: {abi:?}"
    );
    let path = manifest_dir().join(ABI_FILE);
    if std::env::var_os("QCOS_UPDATE_ABI").is_some_and(|v| v == "1") {
        std::fs::write(&path, preamble() + &abi.join("\n") + "\n").unwrap();
        eprintln!("wrote {}", path.display());
        return;
    }
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let committed: Vec<String> = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(str::to_string)
        .collect();
    if committed != abi {
        let old: BTreeSet<&String> = committed.iter().collect();
        let new: BTreeSet<&String> = abi.iter().collect();
        let none = String::from("(none)");
        let mut removed: Vec<_> = old.difference(&new).copied().collect();
        let mut added: Vec<_> = new.difference(&old).copied().collect();
        for list in [&mut removed, &mut added] {
            if list.is_empty() {
                list.push(&none);
            }
        }
        panic!(
            "the C ABI in include/qcos.h differs from {ABI_FILE}.\n\
             removed or changed (breaks existing programs: needs a major version bump):\n  {}\n\
             added:\n  {}\n\
             If this is deliberate, run `QCOS_UPDATE_ABI=1 cargo test --test bindings_abi` \
             and commit {ABI_FILE} (and update the Python and C++ bindings).",
            removed
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join("\n  "),
            added
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join("\n  "),
        );
    }
}

#[test]
fn shared_library_exports_exactly_the_header_functions() {
    let out = Command::new("nm")
        .args(["-D", "--defined-only"])
        .arg(shared_lib())
        .output()
        .expect("run nm (binutils)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let exported: BTreeSet<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let (_addr, kind, name) = (f.next()?, f.next()?, f.next()?);
            (kind == "T" && name.starts_with("qcos_")).then(|| name.to_string())
        })
        .collect();
    let header = std::fs::read_to_string(manifest_dir().join("include/qcos.h")).unwrap();
    let mut declared: BTreeSet<String> = header_functions(&header)
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    if cfg!(debug_assertions) {
        // Test-only entry point, left out of the header on purpose.
        declared.insert("qcos_test_panic".into());
    }
    assert_eq!(
        exported, declared,
        "libqcos.so's qcos_* exports differ from include/qcos.h"
    );
}

#[test]
fn python_package_version_follows_cargo_toml() {
    let v = env!("CARGO_PKG_VERSION");
    for (file, needle) in [
        (
            "bindings/python/pyproject.toml",
            format!("version = \"{v}\""),
        ),
        (
            "bindings/python/qcos/__init__.py",
            format!("__version__ = \"{v}\""),
        ),
        (
            "bindings/python/_build/qcos_build.py",
            format!("VERSION = \"{v}\""),
        ),
    ] {
        let text = std::fs::read_to_string(manifest_dir().join(file)).unwrap();
        assert!(
            text.contains(&needle),
            "{file} must say {needle} (the crate's version)"
        );
    }
}
