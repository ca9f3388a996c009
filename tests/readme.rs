//! The README must stay true: its quick start names the two commands, and its C
//! snippet compiles against the committed header.

use std::path::Path;
use std::process::Command;

fn readme() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md is readable")
}

#[test]
fn quick_start_opens_with_the_two_commands() {
    let text = readme();
    let block = text
        .split("```sh")
        .nth(1)
        .expect("README has a ```sh quick-start block");
    let block = block.split("```").next().unwrap();
    let cmds: Vec<&str> = block
        .lines()
        .map(|l| l.split('#').next().unwrap().trim())
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(
        cmds,
        ["cargo run --example tour", "cargo test --workspace"],
        "{block}"
    );
    let ci = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/run"))
        .expect(".ci/run is readable");
    assert!(
        ci.contains("\ncargo test --workspace"),
        ".ci/run must run the README's test command"
    );
}

#[test]
fn c_snippet_compiles_against_the_header() {
    let text = readme();
    let snippet = text
        .split("```c\n")
        .nth(1)
        .expect("README has a ```c block")
        .split("```")
        .next()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("readme.c");
    std::fs::write(&src, snippet).unwrap();
    let include = Path::new(env!("CARGO_MANIFEST_DIR")).join("include");
    let out = Command::new("cc")
        .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic", "-c"])
        .arg("-I")
        .arg(&include)
        .arg(&src)
        .arg("-o")
        .arg(dir.path().join("readme.o"))
        .output()
        .expect("cc runs");
    assert!(
        out.status.success(),
        "the README's C snippet does not compile:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
