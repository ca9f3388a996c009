//! Runs the Python binding's pytest suite (`bindings/python/tests`) so that
//! `cargo test --workspace` covers it.
//!
//! Steps: a venv `<target>/bindings-venv` with pytest (created once, shared lock
//! protocol of `tests/common/pyenv.rs`); `pip install ./bindings/python` into it,
//! offline, with `QCOS_LIBRARY` naming the `libqcos.so` this cargo run built, so the
//! installed package carries that library next to itself; then pytest against an
//! in-process qcos-server. Anything missing (python3, venv, pytest, a test) is a
//! failure, never a skip: pytest's exit code 5 ("no tests collected") fails too.

mod common;
mod native;

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use native::*;

const PYTEST: &str = "pytest==8.3.4";

fn venv_python() -> PathBuf {
    common::pyenv::venv_with_packages("bindings-venv", &[PYTEST]).unwrap_or_else(|e| {
        panic!(
            "PYTHON BINDING SETUP FAILED: need `python3` with the `venv` module and \
             access to PyPI for {PYTEST} (QCOS_PYTHON chooses the interpreter).\n{e}"
        )
    })
}

fn pip_install_package(py: &PathBuf) {
    let mut cmd = Command::new(py);
    cmd.args([
        "-m",
        "pip",
        "install",
        "--disable-pip-version-check",
        "--no-input",
        "--no-index",
        "--no-deps",
        "--no-build-isolation",
        "--force-reinstall",
    ])
    .arg(manifest_dir().join("bindings/python"))
    .env("QCOS_LIBRARY", shared_lib())
    .env("PYTHONDONTWRITEBYTECODE", "1");
    let out = run_with_deadline(&mut cmd, Duration::from_secs(300));
    assert_success("pip install ./bindings/python", &out);
}

#[test]
fn python_binding_pytest_suite() {
    let py = venv_python();
    pip_install_package(&py);
    let server = start_server(false);
    let mut cmd = Command::new(&py);
    cmd.args(["-m", "pytest", "-p", "no:cacheprovider", "-q", "-rs"])
        .arg(manifest_dir().join("bindings/python/tests"))
        // Run from a directory without the source package, so `import qcos` finds
        // the installed one (with the bundled library).
        .current_dir(std::env::temp_dir());
    isolate(
        &mut cmd,
        &[
            ("QCOS_TEST_ENDPOINT", server.endpoint()),
            ("QCOS_TEST_TMP_ID", TMP_ID.into()),
            ("QCOS_TEST_TMP_KEY", TMP_KEY.into()),
            ("QCOS_TEST_TMP_TOKEN", TMP_TOKEN.into()),
            ("QCOS_EXPECT_BUNDLED", "1".into()),
            (
                "QCOS_EXPECT_TEST_HOOKS",
                if cfg!(debug_assertions) { "1" } else { "0" }.into(),
            ),
            (
                "QCOS_HEADER",
                manifest_dir().join("include/qcos.h").display().to_string(),
            ),
            ("PYTHONDONTWRITEBYTECODE", "1".into()),
            ("PYTHONNOUSERSITE", "1".into()),
        ],
    );
    cmd.env_remove("PYTHONPATH");
    let out = run_with_deadline(&mut cmd, Duration::from_secs(600));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    match out.status.code() {
        Some(0) => {}
        Some(5) => panic!("pytest collected no tests (exit 5):\n{stdout}\n{stderr}"),
        _ => panic!("pytest failed ({}):\n{stdout}\n{stderr}", out.status),
    }
    let summary = stdout.lines().last().unwrap_or_default();
    assert!(
        summary.contains(" passed") && !summary.contains("failed") && !summary.contains("error"),
        "unexpected pytest summary {summary:?}:\n{stdout}"
    );
    // The only skip allowed is the release-build one (no test hooks there).
    if cfg!(debug_assertions) {
        assert!(
            !summary.contains("skipped"),
            "pytest skipped tests:\n{stdout}"
        );
    }

    // The documented example (docs/python.md), run with the installed package.
    let server = start_server(true);
    let mut cmd = Command::new(&py);
    cmd.arg(manifest_dir().join("examples/python/quickstart.py"))
        .current_dir(std::env::temp_dir());
    let mut env = cos_env(&server, "pyquick-1250000000");
    env.push(("PYTHONDONTWRITEBYTECODE", "1".into()));
    isolate(&mut cmd, &env);
    cmd.env_remove("PYTHONPATH");
    let out = run_with_deadline(&mut cmd, Duration::from_secs(120));
    assert_success("examples/python/quickstart.py", &out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    for step in [
        "uploaded quickstart/hello-python.txt",
        "listed quickstart/hello-python.txt",
        "verified",
        "as expected: HTTP 404 NoSuchKey",
    ] {
        assert!(stdout.contains(step), "missing {step:?} in:\n{stdout}");
    }
}
