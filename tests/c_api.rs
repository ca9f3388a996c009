//! Builds the C programs (tests/c/*.c, examples/c/*.c) against the committed header
//! `include/qcos.h` and the static library `libqcos.a` that this same `cargo test`
//! built, then runs them against an in-process qcos-server.
//!
//! Where the archive comes from: the package's lib target has crate types
//! `rlib, cdylib, staticlib`, and cargo builds all of them in the one rustc run that
//! produces the rlib this test links against, writing `libqcos.a` into
//! `target/<profile>/deps/`, the directory holding this test executable. So the
//! archive is always exactly as fresh as the test; no nested cargo (which would wait
//! on cargo's lock held by the running `cargo test`) is needed.
//!
//! Link line: `libqcos.a` plus the system libraries Rust's std needs, which is what
//! `rustc --print native-static-libs` reports; [`native_static_libs_are_current`]
//! checks that the documented list still matches.

mod native;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use native::*;
use qcos_server::{TEST_SECRET_ID, TEST_SECRET_KEY};

/// Compile one C source with warnings as errors and link it statically.
fn build_c(src: &Path, out_dir: &Path) -> PathBuf {
    build_with("cc", "-std=c11", src, out_dir)
}

/// Compile with `compiler` and language standard `std`, link statically.
fn build_with(compiler: &str, std: &str, src: &Path, out_dir: &Path) -> PathBuf {
    let flags: Vec<&str> = [std, "-g", "-O0"]
        .into_iter()
        .chain(test_hook_flags().iter().copied())
        .collect();
    compile_static(compiler, &flags, &[], src, out_dir)
}

/// `qcos_test_panic` exists only in builds with debug assertions (the profile `cargo
/// test` uses by default); under `--release` the C test leaves its panic check out
/// and [`test_hooks_exist_only_in_debug_builds`] checks the symbol is absent.
fn test_hook_flags() -> &'static [&'static str] {
    if cfg!(debug_assertions) {
        &[]
    } else {
        &["-DQCOS_NO_TEST_HOOKS"]
    }
}

#[test]
fn test_hooks_exist_only_in_debug_builds() {
    let out = Command::new("nm")
        .args(["-g", "--defined-only"])
        .arg(static_lib())
        .output()
        .expect("run nm (binutils)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let symbols = String::from_utf8_lossy(&out.stdout);
    let has = symbols.lines().any(|l| l.ends_with(" qcos_test_panic"));
    assert_eq!(
        has,
        cfg!(debug_assertions),
        "qcos_test_panic present: {has}"
    );
    // The public API is there either way.
    assert!(symbols.lines().any(|l| l.ends_with(" qcos_client_new")));
}

/// The environment a C program reads (the same variables `qcos_config_from_env` uses),
/// plus the temporary keys the server accepts.
fn c_env(server: &TestServer, bucket: &str) -> Vec<(&'static str, String)> {
    let mut env = cos_env(server, bucket);
    env.extend(tmp_key_env());
    env
}

fn run(mut cmd: Command, env: &[(&str, String)]) -> Output {
    isolate(&mut cmd, env);
    cmd.output().expect("run the C program")
}

#[test]
fn native_static_libs_are_current() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("probe.rs");
    std::fs::write(&src, "pub fn probe() {}\n").unwrap();
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let out = Command::new(rustc)
        .args([
            "--crate-type",
            "staticlib",
            "--crate-name",
            "probe",
            "--print",
            "native-static-libs",
        ])
        .arg("-o")
        .arg(dir.path().join("libprobe.a"))
        .arg(&src)
        .output()
        .expect("run rustc");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stderr);
    let line = text
        .lines()
        .find_map(|l| l.split("native-static-libs:").nth(1))
        .unwrap_or_else(|| panic!("no native-static-libs note in:\n{text}"));
    let libs: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(
        libs, NATIVE_STATIC_LIBS,
        "rustc now asks for other system libraries: update NATIVE_STATIC_LIBS here, \
         the comment in cbindgen.toml (then regenerate the header) and the README"
    );
    let header = std::fs::read_to_string(manifest_dir().join("include/qcos.h")).unwrap();
    assert!(
        header.contains(&NATIVE_STATIC_LIBS.join(" ")),
        "the header's link line differs from NATIVE_STATIC_LIBS"
    );
}

fn api_test(under_valgrind: bool) {
    let build = tempfile::tempdir().unwrap();
    let exe = build_c(&manifest_dir().join("tests/c/api_test.c"), build.path());
    let server = start_server(false);
    let scratch = tempfile::tempdir().unwrap();
    let mut env = c_env(&server, "ctest-1250000000");
    env.push(("QCOS_TEST_DIR", scratch.path().display().to_string()));
    let cmd = if under_valgrind {
        valgrind(&exe)
    } else {
        Command::new(&exe)
    };
    let out = run(cmd, &env);
    assert_success("tests/c/api_test.c", &out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(" 0 failed"), "{stdout}");
    // The library prints nothing, not even for the panic the program provokes.
    assert!(
        out.stderr.is_empty(),
        "the library wrote to stderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The whole C API, end to end, from C.
#[test]
fn c_api_end_to_end() {
    api_test(false);
}

/// The same program under valgrind: every path (errors included) frees what it
/// allocates and reads nothing it should not.
#[test]
fn c_api_end_to_end_under_valgrind() {
    api_test(true);
}

fn tagging_acl_test(under_valgrind: bool) {
    let build = tempfile::tempdir().unwrap();
    let exe = build_c(&manifest_dir().join("tests/c/tagging_acl.c"), build.path());
    let server = start_server(false);
    let env = c_env(&server, "ctags-1250000000");
    let cmd = if under_valgrind {
        valgrind(&exe)
    } else {
        Command::new(&exe)
    };
    let out = run(cmd, &env);
    assert_success("tests/c/tagging_acl.c", &out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(" 0 failed"), "{stdout}");
    assert!(
        out.stderr.is_empty(),
        "the library wrote to stderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Object tagging and ACL from C (`tests/c/tagging_acl.c`): handles, NULL and bad
/// input, round trips, overwrite, missing keys.
#[test]
fn c_tagging_acl() {
    tagging_acl_test(false);
}

/// The same program under valgrind.
#[test]
fn c_tagging_acl_under_valgrind() {
    tagging_acl_test(true);
}

/// The shared library works too: the quickstart linked against `libqcos.so`.
#[test]
fn quickstart_links_dynamically() {
    let deps = deps_dir();
    assert!(
        deps.join("libqcos.so").is_file(),
        "libqcos.so missing in {}",
        deps.display()
    );
    let build = tempfile::tempdir().unwrap();
    let exe = build.path().join("quickstart-dyn");
    let out = Command::new("cc")
        .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic", "-I"])
        .arg(manifest_dir().join("include"))
        .arg(manifest_dir().join("examples/c/quickstart.c"))
        .arg(format!("-L{}", deps.display()))
        .arg(format!("-Wl,-rpath,{}", deps.display()))
        .arg("-lqcos")
        .arg("-o")
        .arg(&exe)
        .output()
        .expect("run cc");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let server = start_server(true);
    let out = run(Command::new(&exe), &c_env(&server, "dynamic-1250000000"));
    assert_success("quickstart linked against libqcos.so", &out);
    assert!(String::from_utf8_lossy(&out.stdout).contains("verified"));
}

/// The header from C++: compiled with g++ and linked against the same archive.
#[test]
fn cpp_program_links_and_runs() {
    let build = tempfile::tempdir().unwrap();
    let exe = build_with(
        "g++",
        "-std=c++17",
        &manifest_dir().join("tests/c/cpp_link.cpp"),
        build.path(),
    );
    let out = run(Command::new(&exe), &[]);
    assert_success("tests/c/cpp_link.cpp", &out);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "c++ ok\n");
}

fn quickstart(under_valgrind: bool) {
    let build = tempfile::tempdir().unwrap();
    let exe = build_c(
        &manifest_dir().join("examples/c/quickstart.c"),
        build.path(),
    );
    let server = start_server(true);
    let env = c_env(&server, "quickstart-1250000000");
    let cmd = if under_valgrind {
        valgrind(&exe)
    } else {
        Command::new(&exe)
    };
    let out = run(cmd, &env);
    assert_success("examples/c/quickstart.c", &out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    for step in [
        "uploaded quickstart/hello.txt",
        "listed quickstart/hello.txt",
        "verified",
        "deleted",
    ] {
        assert!(stdout.contains(step), "missing {step:?} in:\n{stdout}");
    }
    // The example deleted its object: the bucket is empty again.
    let mut cfg = qcos::config::Config::new(REGION, "quickstart-1250000000");
    cfg.endpoint = Some(server.server.endpoint());
    cfg.credentials = Some(qcos::auth::Credentials::new(
        TEST_SECRET_ID,
        TEST_SECRET_KEY,
    ));
    let client = qcos::client::Client::new(cfg).expect("client");
    let page = client
        .list_objects(&qcos::client::ListObjectsOptions::default())
        .expect("list");
    assert!(page.objects.is_empty(), "left behind: {:?}", page.objects);
}

#[test]
fn quickstart_example_runs() {
    quickstart(false);
}

#[test]
fn quickstart_example_is_clean_under_valgrind() {
    quickstart(true);
}

/// `byte_at` of tests/c/get_resume.c.
fn resume_byte_at(i: u64) -> u8 {
    let x = (i as u32).wrapping_mul(2_654_435_761);
    ((x >> 24) ^ (i >> 16) as u32) as u8
}

/// tests/c/get_resume.c in one mode, after the harness stored the object and installed
/// `cuts` (ResetAfterBytes(`cut`) on the GETs of the object, `times` in a row, 0 =
/// always). Returns the server's (GET Object requests, response body bytes) for the run.
fn get_resume_run(
    under_valgrind: bool,
    mode: &str,
    cut: u64,
    times: u32,
    retries: u32,
    prefix: Option<u64>,
) -> (u64, u64) {
    const SIZE: u64 = 700_000;
    const BUCKET: &str = "cresume-1250000000";
    let build = tempfile::tempdir().unwrap();
    let exe = build_c(&manifest_dir().join("tests/c/get_resume.c"), build.path());
    let server = start_server(true);
    let mut cfg = qcos::config::Config::new(REGION, BUCKET);
    cfg.endpoint = Some(server.server.endpoint());
    cfg.credentials = Some(qcos::auth::Credentials::new(
        TEST_SECRET_ID,
        TEST_SECRET_KEY,
    ));
    let client = qcos::client::Client::new(cfg).expect("client");
    let bytes: Vec<u8> = (0..SIZE).map(resume_byte_at).collect();
    client
        .put_object(
            "resume/obj",
            qcos::Body::Bytes(&bytes),
            &qcos::PutObjectOptions::default(),
        )
        .expect("store the object");
    server.faults().add(
        qcos_server::FaultRule::new(qcos_server::FaultAction::ResetAfterBytes(cut))
            .method("GET")
            .path_contains("resume/obj")
            .times(times),
    );
    let before = server.stats();
    let scratch = tempfile::tempdir().unwrap();
    let mut env = c_env(&server, BUCKET);
    env.push(("QCOS_TEST_DIR", scratch.path().display().to_string()));
    let mut cmd = if under_valgrind {
        valgrind(&exe)
    } else {
        Command::new(&exe)
    };
    cmd.args([mode, &SIZE.to_string(), &retries.to_string()]);
    if let Some(p) = prefix {
        cmd.arg(p.to_string());
    }
    let out = run(cmd, &env);
    assert_success(&format!("tests/c/get_resume.c {mode}"), &out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(" 0 failed"), "{stdout}");
    assert!(
        out.stderr.is_empty(),
        "stderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let after = server.stats();
    (
        after.get("get_object") - before.get("get_object"),
        after.bytes_out - before.bytes_out,
    )
}

fn get_resume_cases(under_valgrind: bool) {
    // Cut once: one continuation, and no byte sent twice.
    assert_eq!(
        get_resume_run(under_valgrind, "resume", 100_000, 1, 3, None),
        (2, 700_000)
    );
    // Cut three times within a budget of three.
    assert_eq!(
        get_resume_run(under_valgrind, "resume", 150_000, 3, 3, None),
        (4, 700_000)
    );
    // Cut on every attempt: 1 + 2 attempts, each delivering 10 000 new bytes.
    assert_eq!(
        get_resume_run(under_valgrind, "budget", 10_000, 0, 2, Some(30_000)),
        (3, 30_000)
    );
    // To a file: resumed into its temporary file, not restarted from zero.
    assert_eq!(
        get_resume_run(under_valgrind, "file", 250_000, 2, 3, None),
        (3, 700_000)
    );
}

/// A GET to a C write callback cut midway is resumed: every byte exactly once.
#[test]
fn c_get_to_callback_resumes_a_cut_body() {
    get_resume_cases(false);
}

/// The same under valgrind.
#[test]
fn c_get_to_callback_resumes_a_cut_body_under_valgrind() {
    get_resume_cases(true);
}

/// APPEND Object from C (tests/c/append_test.c): positions, the 409s, normal objects,
/// the checked and file forms, and a lost response (the server carries out the first
/// append to "c-lost" and drops its answer) appended exactly once.
fn append_test(under_valgrind: bool) {
    let build = tempfile::tempdir().unwrap();
    let exe = build_c(&manifest_dir().join("tests/c/append_test.c"), build.path());
    let server = start_server(true);
    server.server.faults().add(
        qcos_server::FaultRule::new(qcos_server::FaultAction::ResetAfterBody)
            .method("POST")
            .path_contains("c-lost")
            .query_contains("append"),
    );
    let scratch = tempfile::tempdir().unwrap();
    let mut env = c_env(&server, "cappend-1250000000");
    env.push(("QCOS_TEST_DIR", scratch.path().display().to_string()));
    let cmd = if under_valgrind {
        valgrind(&exe)
    } else {
        Command::new(&exe)
    };
    let out = run(cmd, &env);
    assert_success("tests/c/append_test.c", &out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(" 0 failed"), "{stdout}");
    assert_eq!(
        server.server.faults().fired(0),
        1,
        "the lost response happened"
    );
    assert_eq!(
        server.server.stats().get("append_object"),
        // c-log: 0, checked, wrong CRC, file, empty, wrong position, normal; c-lost: 1.
        8,
        "every append sent once"
    );
}

#[test]
fn c_append_end_to_end() {
    append_test(false);
}

#[test]
fn c_append_end_to_end_under_valgrind() {
    append_test(true);
}

/// tests/c/domains.c in `mode` ("switch" or "noswitch") against a server that resets
/// every GET whose Host is the primary domain. Returns the server's record of the GET
/// Object and GET Service requests of the run.
fn domains_run(under_valgrind: bool, mode: &str) -> Vec<qcos_server::SeenRequest> {
    const BUCKET: &str = "cdomains-1250000000";
    let build = tempfile::tempdir().unwrap();
    let exe = build_c(&manifest_dir().join("tests/c/domains.c"), build.path());
    let server = start_server(true);
    let mut cfg = qcos::config::Config::new(REGION, BUCKET);
    cfg.endpoint = Some(server.server.endpoint());
    cfg.credentials = Some(qcos::auth::Credentials::new(
        TEST_SECRET_ID,
        TEST_SECRET_KEY,
    ));
    let client = qcos::client::Client::new(cfg).expect("client");
    client
        .put_object(
            "domains/obj",
            qcos::Body::Bytes(b"hello from the backup host"),
            &qcos::PutObjectOptions::default(),
        )
        .expect("store the object");
    server.faults().add(
        qcos_server::FaultRule::new(qcos_server::FaultAction::ResetBeforeBody)
            .method("GET")
            .host_contains(".myqcloud.com")
            .times(0),
    );
    let before = server.stats().recent.len();
    let mut cmd = if under_valgrind {
        valgrind(&exe)
    } else {
        Command::new(&exe)
    };
    cmd.arg(mode);
    let out = run(cmd, &c_env(&server, BUCKET));
    assert_success(&format!("tests/c/domains.c {mode}"), &out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(" 0 failed"), "{stdout}");
    assert!(
        out.stderr.is_empty(),
        "stderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    server.stats().recent[before..]
        .iter()
        .filter(|r| r.op == "get_object" || r.op == "list_buckets")
        .cloned()
        .collect()
}

fn domains_cases(under_valgrind: bool) {
    let primary = "cdomains-1250000000.cos.ap-guangzhou.myqcloud.com";
    let backup = "cdomains-1250000000.cos.ap-guangzhou.tencentcos.cn";
    let seen = domains_run(under_valgrind, "switch");
    let got: Vec<(&str, &str, bool)> = seen
        .iter()
        .map(|r| (r.op.as_str(), r.host.as_str(), r.sdk_retry))
        .collect();
    assert_eq!(
        got,
        [
            ("get_object", primary, false),
            ("get_object", backup, true),
            ("list_buckets", "cos.ap-guangzhou.tencentcos.cn", false),
        ]
    );
    let seen = domains_run(under_valgrind, "noswitch");
    let got: Vec<(&str, bool)> = seen
        .iter()
        .map(|r| (r.host.as_str(), r.sdk_retry))
        .collect();
    assert_eq!(got, [(primary, false), (primary, true)]);
}

/// Backup-domain switching and the service domain from C (tests/c/domains.c): the
/// setters with NULL and bad input, a GET whose primary host fails retried on the
/// backup host, list_buckets on the configured service host, and switching off.
#[test]
fn c_domains_switch_and_service_domain() {
    domains_cases(false);
}

/// The same under valgrind.
#[test]
fn c_domains_switch_and_service_domain_under_valgrind() {
    domains_cases(true);
}

fn write_acl_test(under_valgrind: bool) {
    let build = tempfile::tempdir().unwrap();
    let exe = build_c(&manifest_dir().join("tests/c/write_acl.c"), build.path());
    let server = start_server(false);
    let mut env = c_env(&server, "cwacl-1250000000");
    env.push(("TMPDIR", build.path().display().to_string()));
    let cmd = if under_valgrind {
        valgrind(&exe)
    } else {
        Command::new(&exe)
    };
    let out = run(cmd, &env);
    assert_success("tests/c/write_acl.c", &out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(" 0 failed"), "{stdout}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    if under_valgrind {
        // The multipart upload and copy start the client's worker threads, whose
        // thread-locals valgrind lists as "possibly lost" at exit without counting
        // them as errors (as in tests/transfer_c.rs); every real error already failed
        // the exit status. Nothing but valgrind's lines may reach stderr.
        for bad in [
            "definitely lost",
            "indirectly lost",
            "Invalid ",
            "uninitialised",
            "Mismatched",
        ] {
            assert!(!stderr.contains(bad), "valgrind:\n{stderr}");
        }
        assert!(
            stderr.lines().all(|l| l.starts_with("==")),
            "stderr:\n{stderr}"
        );
    } else {
        assert!(stderr.is_empty(), "the library wrote to stderr:\n{stderr}");
    }
}

/// ACL and tags at write time, copy directives and the ACL document from C
/// (`tests/c/write_acl.c`): setters with NULL and bad input, conflicts with extra
/// headers, PUT, multipart upload, copies, policy round trip.
#[test]
fn c_write_acl() {
    write_acl_test(false);
}

/// The same program under valgrind.
#[test]
fn c_write_acl_under_valgrind() {
    write_acl_test(true);
}
