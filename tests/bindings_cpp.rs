//! The C++ wrapper `bindings/cpp/qcos.hpp`: its test program and the C++ example,
//! compiled with `-std=c++17 -Wall -Wextra -Werror -pedantic` against the committed
//! header and the `libqcos.a` of this cargo run, then run against an in-process
//! qcos-server (the test program also under valgrind). Plus a check that the wrapper
//! covers every function of `include/qcos.h`.

mod bindings_support;
mod native;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use native::*;

fn build_cpp(src: &Path, out_dir: &Path) -> PathBuf {
    compile_static(
        "g++",
        &["-std=c++17", "-g", "-O0", "-pthread"],
        &[&manifest_dir().join("bindings/cpp")],
        src,
        out_dir,
    )
}

fn run_test_program(under_valgrind: bool) {
    let build = tempfile::tempdir().unwrap();
    let exe = build_cpp(
        &manifest_dir().join("bindings/cpp/tests/qcos_hpp_test.cpp"),
        build.path(),
    );
    let server = start_server(false);
    let scratch = tempfile::tempdir().unwrap();
    let mut cmd = if under_valgrind {
        valgrind(&exe)
    } else {
        Command::new(&exe)
    };
    let mut env = cos_env(&server, "");
    env.extend(tmp_key_env());
    env.push(("QCOS_TEST_DIR", scratch.path().display().to_string()));
    isolate(&mut cmd, &env);
    let out = run_with_deadline(&mut cmd, Duration::from_secs(300));
    assert_success("bindings/cpp/tests/qcos_hpp_test.cpp", &out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(" passed, 0 failed"), "{stdout}");
}

#[test]
fn cpp_wrapper_tests_pass() {
    run_test_program(false);
}

#[test]
fn cpp_wrapper_tests_are_clean_under_valgrind() {
    run_test_program(true);
}

#[test]
fn cpp_example_runs() {
    let build = tempfile::tempdir().unwrap();
    let exe = build_cpp(
        &manifest_dir().join("examples/cpp/quickstart.cpp"),
        build.path(),
    );
    let server = start_server(true);
    let mut cmd = Command::new(&exe);
    isolate(&mut cmd, &cos_env(&server, "cppquick-1250000000"));
    let out = run_with_deadline(&mut cmd, Duration::from_secs(120));
    assert_success("examples/cpp/quickstart.cpp", &out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    for step in [
        "uploaded quickstart/hello-cpp.txt",
        "listed quickstart/hello-cpp.txt",
        "verified",
        "deleted",
        "HTTP 404 NoSuchKey",
    ] {
        assert!(stdout.contains(step), "missing {step:?} in:\n{stdout}");
    }
}

/// Every function the C header declares is called somewhere in qcos.hpp, so the
/// wrapper cannot silently fall behind the C API.
#[test]
fn cpp_wrapper_covers_every_c_function() {
    let header = std::fs::read_to_string(manifest_dir().join("include/qcos.h")).unwrap();
    let hpp = std::fs::read_to_string(manifest_dir().join("bindings/cpp/qcos.hpp")).unwrap();
    let functions = bindings_support::header_functions(&header);
    assert!(
        functions.len() > 100,
        "parsed only {} functions",
        functions.len()
    );
    // Lookups the wrapper does on its own copies of the results.
    const DONE_ON_COPIES: &[&str] = &["qcos_post_form_get"];
    let missing: Vec<&String> = functions
        .iter()
        .map(|(name, _)| name)
        .filter(|name| !DONE_ON_COPIES.contains(&name.as_str()))
        .filter(|name| {
            !hpp.match_indices(name.as_str()).any(|(i, _)| {
                let after = hpp[i + name.len()..].chars().next();
                let before = hpp[..i].chars().next_back();
                !after.is_some_and(|c| c.is_alphanumeric() || c == '_')
                    && !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
            })
        })
        .collect();
    assert!(
        missing.is_empty(),
        "bindings/cpp/qcos.hpp does not wrap: {missing:?}"
    );
}
