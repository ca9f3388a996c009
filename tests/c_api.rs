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

/// Build `src` for `check`: linked statically (natively and under valgrind), or with
/// AddressSanitizer against the cdylib ([`compile_asan`]); with [`test_hook_flags`].
fn build_for(check: Check, src: &Path, out_dir: &Path) -> PathBuf {
    match check {
        Check::Asan => {
            let flags: Vec<&str> = C11_DEBUG.iter().chain(test_hook_flags()).copied().collect();
            compile_asan(&flags, src, out_dir)
        }
        _ => build_c(src, out_dir),
    }
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

/// A Rust client of `bucket` on `server`, with the test keys.
fn rust_client(server: &TestServer, bucket: &str) -> qcos::client::Client {
    let mut cfg = qcos::config::Config::new(REGION, bucket);
    cfg.endpoint = Some(server.server.endpoint());
    cfg.credentials = Some(qcos::auth::Credentials::new(
        TEST_SECRET_ID,
        TEST_SECRET_KEY,
    ));
    qcos::client::Client::new(cfg).expect("client")
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

/// Build the C program `src` (relative to the repository) for `check`, run it with
/// `env` plus `QCOS_TEST_DIR` (a fresh scratch directory), and assert that it exited 0
/// after reporting " 0 failed".
fn run_c_program(check: Check, src: &str, mut env: Vec<(&'static str, String)>) -> Output {
    let build = tempfile::tempdir().unwrap();
    let exe = build_for(check, &manifest_dir().join(src), build.path());
    let scratch = tempfile::tempdir().unwrap();
    env.push(("QCOS_TEST_DIR", scratch.path().display().to_string()));
    let out = run(check.command(&exe), &env);
    assert_success(src, &out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(" 0 failed"), "{stdout}");
    out
}

/// The library prints nothing: a program's stderr stays empty.
fn assert_quiet(out: &Output) {
    assert!(
        out.stderr.is_empty(),
        "the library wrote to stderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn api_test(check: Check) {
    let server = start_server(false);
    let out = run_c_program(
        check,
        "tests/c/api_test.c",
        c_env(&server, "ctest-1250000000"),
    );
    // The library prints nothing, not even for the panic the program provokes.
    assert_quiet(&out);
}

/// The whole C API, end to end, from C.
#[test]
fn c_api_end_to_end() {
    api_test(Check::Native);
}

/// The same program under valgrind: every path (errors included) frees what it
/// allocates and reads nothing it should not.
#[test]
fn c_api_end_to_end_under_valgrind() {
    api_test(Check::Valgrind);
}

fn tagging_acl_test(check: Check) {
    let server = start_server(false);
    let out = run_c_program(
        check,
        "tests/c/tagging_acl.c",
        c_env(&server, "ctags-1250000000"),
    );
    assert_quiet(&out);
}

/// Object tagging and ACL from C (`tests/c/tagging_acl.c`): handles, NULL and bad
/// input, round trips, overwrite, missing keys.
#[test]
fn c_tagging_acl() {
    tagging_acl_test(Check::Native);
}

/// The same program under valgrind.
#[test]
fn c_tagging_acl_under_valgrind() {
    tagging_acl_test(Check::Valgrind);
}

fn bucket_config_test(check: Check) {
    let server = start_server(false);
    let out = run_c_program(
        check,
        "tests/c/bucket_config.c",
        c_env(&server, "cbucketcfg-1250000000"),
    );
    assert_quiet(&out);
}

/// Bucket CORS, ACL and tagging from C (`tests/c/bucket_config.c`): handles, NULL and
/// bad input, round trips, limits, a missing bucket.
#[test]
fn c_bucket_config() {
    bucket_config_test(Check::Native);
}

/// The same program under valgrind.
#[test]
fn c_bucket_config_under_valgrind() {
    bucket_config_test(Check::Valgrind);
}

/// The same program with AddressSanitizer and UBSan.
#[test]
fn c_bucket_config_under_asan() {
    if Check::Asan.available() {
        bucket_config_test(Check::Asan);
    }
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

fn quickstart(check: Check) {
    let build = tempfile::tempdir().unwrap();
    let exe = build_for(
        check,
        &manifest_dir().join("examples/c/quickstart.c"),
        build.path(),
    );
    let server = start_server(true);
    let env = c_env(&server, "quickstart-1250000000");
    let cmd = check.command(&exe);
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
    let client = rust_client(&server, "quickstart-1250000000");
    let page = client
        .list_objects(&qcos::client::ListObjectsOptions::default())
        .expect("list");
    assert!(page.objects.is_empty(), "left behind: {:?}", page.objects);
}

#[test]
fn quickstart_example_runs() {
    quickstart(Check::Native);
}

#[test]
fn quickstart_example_is_clean_under_valgrind() {
    quickstart(Check::Valgrind);
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
    check: Check,
    mode: &str,
    cut: u64,
    times: u32,
    retries: u32,
    prefix: Option<u64>,
) -> (u64, u64) {
    const SIZE: u64 = 700_000;
    const BUCKET: &str = "cresume-1250000000";
    let build = tempfile::tempdir().unwrap();
    let exe = build_for(
        check,
        &manifest_dir().join("tests/c/get_resume.c"),
        build.path(),
    );
    let server = start_server(true);
    let client = rust_client(&server, BUCKET);
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
    let mut cmd = check.command(&exe);
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

fn get_resume_cases(check: Check) {
    // Cut once: one continuation, and no byte sent twice.
    assert_eq!(
        get_resume_run(check, "resume", 100_000, 1, 3, None),
        (2, 700_000)
    );
    // Cut three times within a budget of three.
    assert_eq!(
        get_resume_run(check, "resume", 150_000, 3, 3, None),
        (4, 700_000)
    );
    // Cut on every attempt: 1 + 2 attempts, each delivering 10 000 new bytes.
    assert_eq!(
        get_resume_run(check, "budget", 10_000, 0, 2, Some(30_000)),
        (3, 30_000)
    );
    // To a file: resumed into its temporary file, not restarted from zero.
    assert_eq!(
        get_resume_run(check, "file", 250_000, 2, 3, None),
        (3, 700_000)
    );
}

/// A GET to a C write callback cut midway is resumed: every byte exactly once.
#[test]
fn c_get_to_callback_resumes_a_cut_body() {
    get_resume_cases(Check::Native);
}

/// The same under valgrind.
#[test]
fn c_get_to_callback_resumes_a_cut_body_under_valgrind() {
    get_resume_cases(Check::Valgrind);
}

/// APPEND Object from C (tests/c/append_test.c): positions, the 409s, normal objects,
/// the checked and file forms, and a lost response (the server carries out the first
/// append to "c-lost" and drops its answer) appended exactly once.
fn append_test(check: Check) {
    let server = start_server(true);
    server.server.faults().add(
        qcos_server::FaultRule::new(qcos_server::FaultAction::ResetAfterBody)
            .method("POST")
            .path_contains("c-lost")
            .query_contains("append"),
    );
    run_c_program(
        check,
        "tests/c/append_test.c",
        c_env(&server, "cappend-1250000000"),
    );
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
    append_test(Check::Native);
}

#[test]
fn c_append_end_to_end_under_valgrind() {
    append_test(Check::Valgrind);
}

/// The multipart operations one by one from C (tests/c/multipart_test.c): NULL and bad
/// input, initiate / parts from memory and file / list / complete, abort, and an
/// UploadId that does not fit its buffer (the upload is aborted again).
fn multipart_test(check: Check) {
    let server = start_server(true);
    run_c_program(
        check,
        "tests/c/multipart_test.c",
        c_env(&server, "cmultipart-1250000000"),
    );
    assert_eq!(server.server.stats().get("complete"), 1);
    assert_eq!(
        server.server.stats().get("abort"),
        3,
        "c-abort twice, c-tiny once"
    );
}

#[test]
fn c_multipart_end_to_end() {
    multipart_test(Check::Native);
}

#[test]
fn c_multipart_end_to_end_under_valgrind() {
    multipart_test(Check::Valgrind);
}

/// The multipart program with AddressSanitizer and UBSan.
#[test]
fn c_multipart_end_to_end_under_asan() {
    if Check::Asan.available() {
        multipart_test(Check::Asan);
    }
}

/// tests/c/domains.c in `mode` ("switch" or "noswitch") against a server that resets
/// every GET whose Host is the primary domain. Returns the server's record of the GET
/// Object and GET Service requests of the run.
fn domains_run(check: Check, mode: &str) -> Vec<qcos_server::SeenRequest> {
    const BUCKET: &str = "cdomains-1250000000";
    let build = tempfile::tempdir().unwrap();
    let exe = build_for(
        check,
        &manifest_dir().join("tests/c/domains.c"),
        build.path(),
    );
    let server = start_server(true);
    let client = rust_client(&server, BUCKET);
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
    let mut cmd = check.command(&exe);
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

fn domains_cases(check: Check) {
    let primary = "cdomains-1250000000.cos.ap-guangzhou.myqcloud.com";
    let backup = "cdomains-1250000000.cos.ap-guangzhou.tencentcos.cn";
    let seen = domains_run(check, "switch");
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
    let seen = domains_run(check, "noswitch");
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
    domains_cases(Check::Native);
}

/// The same under valgrind.
#[test]
fn c_domains_switch_and_service_domain_under_valgrind() {
    domains_cases(Check::Valgrind);
}

/// The whole C API program built with AddressSanitizer and UBSan against the cdylib:
/// no overrun, double free, use after free or leak of a library buffer from C.
#[test]
fn c_api_end_to_end_under_asan() {
    if Check::Asan.available() {
        api_test(Check::Asan);
    }
}

/// The tagging/ACL program with AddressSanitizer and UBSan.
#[test]
fn c_tagging_acl_under_asan() {
    if Check::Asan.available() {
        tagging_acl_test(Check::Asan);
    }
}

/// The quickstart with AddressSanitizer and UBSan.
#[test]
fn quickstart_example_is_clean_under_asan() {
    if Check::Asan.available() {
        quickstart(Check::Asan);
    }
}

/// examples/c/cleanup_uploads.c: a dry run lists the stale uploads under the prefix and
/// aborts nothing; `-x` aborts exactly those; a younger age limit spares them all.
fn cleanup_uploads(check: Check) {
    const BUCKET: &str = "ccleanup-1250000000";
    let server = start_server(true);
    let client = rust_client(&server, BUCKET);
    let opts = qcos::PutObjectOptions::default();
    let mut ids = Vec::new();
    for key in ["tmp/a.bin", "tmp/b.bin", "keep/c.bin"] {
        ids.push((key, client.initiate_multipart_upload(key, &opts).unwrap()));
    }
    let build = tempfile::tempdir().unwrap();
    let exe = build_for(
        check,
        &manifest_dir().join("examples/c/cleanup_uploads.c"),
        build.path(),
    );
    let env = c_env(&server, BUCKET);
    let run_it = |args: &[&str]| {
        let mut cmd = check.command(&exe);
        cmd.args(args);
        let out = run(cmd, &env);
        assert_success("examples/c/cleanup_uploads.c", &out);
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let listed = || client.list_multipart_uploads("").unwrap().len();

    let out = run_it(&["-p", "tmp/", "-o", "3600", "-x"]);
    assert!(
        out.contains("2 upload(s) listed, 0 stale, 0 aborted"),
        "{out}"
    );
    let out = run_it(&["-p", "tmp/", "-o", "0"]);
    for (key, id) in &ids[..2] {
        assert!(
            out.contains(&format!("would abort {key} (upload {id},")),
            "{out}"
        );
    }
    assert!(out.contains("dry run"), "{out}");
    assert_eq!(listed(), 3);
    let out = run_it(&["-p", "tmp/", "-o", "0", "-x"]);
    assert!(
        out.contains("2 upload(s) listed, 2 stale, 2 aborted, 0 failed"),
        "{out}"
    );
    let left = client.list_multipart_uploads("").unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(
        (left[0].key.as_str(), &left[0].upload_id),
        (ids[2].0, &ids[2].1)
    );
    // Bad arguments are refused before any request.
    let mut cmd = check.command(&exe);
    cmd.args(["-o", "soon"]);
    let out = run(cmd, &env);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
}

#[test]
fn cleanup_uploads_example_aborts_only_stale_uploads() {
    cleanup_uploads(Check::Native);
}

#[test]
fn cleanup_uploads_example_is_clean_under_valgrind() {
    cleanup_uploads(Check::Valgrind);
}

/// The GET-resume program with AddressSanitizer and UBSan.
#[test]
fn c_get_to_callback_resumes_a_cut_body_under_asan() {
    if Check::Asan.available() {
        get_resume_cases(Check::Asan);
    }
}

/// The APPEND program with AddressSanitizer and UBSan.
#[test]
fn c_append_end_to_end_under_asan() {
    if Check::Asan.available() {
        append_test(Check::Asan);
    }
}

/// The domains program with AddressSanitizer and UBSan.
#[test]
fn c_domains_switch_and_service_domain_under_asan() {
    if Check::Asan.available() {
        domains_cases(Check::Asan);
    }
}

/// The AddressSanitizer pass really sees C-side misuse of the buffers of the
/// uninstrumented cdylib: tests/c/asan_canary.c runs clean in its "clean" mode, and
/// each of its mistakes (a leaked signature, a double free, a read one byte past a
/// returned string, a read after the free) stops it with the sanitizers' exit status
/// and a report naming the mistake.
#[test]
fn asan_pass_catches_misuse_of_library_buffers() {
    if !Check::Asan.available() {
        return;
    }
    let build = tempfile::tempdir().unwrap();
    let exe = build_for(
        Check::Asan,
        &manifest_dir().join("tests/c/asan_canary.c"),
        build.path(),
    );
    let out = run(
        {
            let mut c = asan(&exe);
            c.arg("clean");
            c
        },
        &[],
    );
    assert_success("asan_canary clean", &out);
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for (mode, report) in [
        ("leak", "LeakSanitizer: detected memory leaks"),
        ("double-free", "attempting double-free"),
        ("overrun", "heap-buffer-overflow"),
        ("use-after-free", "heap-use-after-free"),
    ] {
        let mut cmd = asan(&exe);
        cmd.arg(mode);
        let out = run(cmd, &[]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(ASAN_EXITCODE),
            "{mode}: {}\n{stderr}",
            out.status
        );
        assert!(
            stderr.contains(report),
            "{mode}: no {report:?} in:\n{stderr}"
        );
    }
}

/// `exe` (tests/c/config_env.c) with `args`, under `check`, with `env` (and none of
/// the caller's COS_* variables).
fn config_env_run(check: Check, exe: &Path, args: &[&str], env: &[(&str, String)]) -> Output {
    let mut cmd = check.command(exe);
    cmd.args(args);
    let out = run(cmd, env);
    assert_success(&format!("tests/c/config_env.c {args:?}"), &out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(" 0 failed"), "{stdout}");
    assert!(
        out.stderr.is_empty(),
        "stderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn config_env_cases(check: Check) {
    const BUCKET: &str = "cenv-1250000000";
    let build = tempfile::tempdir().unwrap();
    let exe = build_for(
        check,
        &manifest_dir().join("tests/c/config_env.c"),
        build.path(),
    );
    let server = start_server(true);
    server.faults().add(
        qcos_server::FaultRule::new(qcos_server::FaultAction::Status {
            http_status: 503,
            code: "ServiceUnavailable".into(),
            message: "try again".into(),
        })
        .method("GET")
        .path_contains("env/retry"),
    );
    let mut env = cos_env(&server, BUCKET);
    for (k, v) in [
        ("COS_PROTOCOL", "https"),
        ("COS_PATH_STYLE", "1"),
        ("COS_USE_ACCELERATE", "0"),
        ("COS_AUTO_SWITCH_HOST", "false"),
        ("COS_SERVICE_DOMAIN", "service.cos.tencentcos.cn"),
        ("COS_TIMEOUT_MS", "600000"),
        ("COS_CONNECT_TIMEOUT_MS", "30000"),
        ("COS_IO_TIMEOUT_MS", "120000"),
        ("COS_MAX_RETRIES", "0"),
        ("COS_RETRY_BASE_DELAY_MS", "10"),
        ("COS_USER_AGENT", "config-env-test/1"),
        ("COS_CORRECT_CLOCK_SKEW", "yes"),
        ("COS_SIGN_EXPIRES_SECS", "600"),
        ("COS_CREDENTIAL_REFRESH_MARGIN_SECS", "30"),
        ("COS_SLICE_SIZE", "2097152"),
        ("COS_CHUNK_SIZE", "1048576"),
        ("COS_CHUNK_PARALLEL_LIMIT", "2"),
        ("COS_FILE_PARALLEL_LIMIT", "2"),
        ("COS_CHUNK_RETRY_TIMES", "1"),
        ("COS_COPY_SLICE_SIZE", "1048576"),
        ("COS_COPY_CHUNK_SIZE", "1048576"),
        ("COS_COPY_CHUNK_PARALLEL_LIMIT", "4"),
        ("COS_PROGRESS_INTERVAL_MS", "100"),
        ("COS_UPLOAD_QUEUE_SIZE", "100"),
        ("COS_UPLOAD_CHECK_CONTENT_MD5", "on"),
        ("COS_UPLOAD_ADD_META_MD5", "TRUE"),
    ] {
        env.push((k, v.to_string()));
    }
    let before = server.stats().recent.len();
    config_env_run(check, &exe, &["ok"], &env);
    let stats = server.stats();
    let seen = &stats.recent[before..];
    // COS_PATH_STYLE=1: every request's Host is the endpoint, not the bucket's host.
    let endpoint_host = server.endpoint().trim_start_matches("http://").to_string();
    assert!(!seen.is_empty());
    for r in seen {
        assert_eq!(r.host, endpoint_host, "{r:?}");
        assert!(r.path.starts_with(&format!("/{BUCKET}/")), "{r:?}");
    }
    // COS_MAX_RETRIES=0: the GET answered 503 was not retried.
    let retry_gets = seen
        .iter()
        .filter(|r| r.op == "get_object" && r.path.contains("env/retry"))
        .count();
    assert_eq!(retry_gets, 1, "{seen:?}");
    // COS_UPLOAD_ADD_META_MD5=1: the object carries the MD5 of its body.
    let mut cfg = qcos::config::Config::new(REGION, BUCKET);
    cfg.endpoint = Some(server.endpoint());
    cfg.credentials = Some(qcos::auth::Credentials::new(
        TEST_SECRET_ID,
        TEST_SECRET_KEY,
    ));
    let client = qcos::client::Client::new(cfg).expect("client");
    let head = client
        .head_object("env/obj", &Default::default())
        .expect("head");
    let md5 = head
        .meta
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("md5"))
        .map(|(_, v)| v.clone());
    // The hex MD5 of "configured from the environment" (the body config_env.c stores).
    assert_eq!(
        md5.as_deref(),
        Some("bf75b9a1dc82fdc6b6775e05d35de638"),
        "{:?}",
        head.meta
    );

    // Bad values: the message names the variable, never the secrets.
    for (var, value) in [
        ("COS_TIMEOUT_MS", "soon"),
        ("COS_MAX_RETRIES", "-1"),
        ("COS_PATH_STYLE", "maybe"),
        ("COS_CHUNK_SIZE", "1000"),
        ("COS_CHUNK_PARALLEL_LIMIT", "0"),
        ("COS_PROTOCOL", "gopher"),
        ("COS_SERVICE_DOMAIN", "svc.example.com/x"),
    ] {
        let mut env = cos_env(&server, BUCKET);
        env.push(("COS_SECURITY_TOKEN", TMP_TOKEN.to_string()));
        env.push((var, value.to_string()));
        let out = config_env_run(check, &exe, &["bad", var, TEST_SECRET_KEY, TMP_TOKEN], &env);
        assert!(
            String::from_utf8_lossy(&out.stdout).contains(value),
            "the message shows the bad value of {var}"
        );
    }
}

/// `qcos_config_from_env` from C (tests/c/config_env.c): the option variables take
/// effect against qcos-server (path style, no retry, the MD5 metadata), and bad values
/// fail with a message naming the variable and never a secret.
#[test]
fn c_config_from_env_reads_every_option() {
    config_env_cases(Check::Native);
}

/// The same built with AddressSanitizer and UBSan.
#[test]
fn c_config_from_env_reads_every_option_under_asan() {
    if Check::Asan.available() {
        config_env_cases(Check::Asan);
    }
}

fn write_acl_test(check: Check) {
    let server = start_server(false);
    let build = tempfile::tempdir().unwrap();
    let mut env = c_env(&server, "cwacl-1250000000");
    env.push(("TMPDIR", build.path().display().to_string()));
    let out = run_c_program(check, "tests/c/write_acl.c", env);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if check == Check::Valgrind {
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
    write_acl_test(Check::Native);
}

/// The same program under valgrind.
#[test]
fn c_write_acl_under_valgrind() {
    write_acl_test(Check::Valgrind);
}

/// The same program with AddressSanitizer and UBSan.
#[test]
fn c_write_acl_under_asan() {
    if Check::Asan.available() {
        write_acl_test(Check::Asan);
    }
}

/// Directory transfers from C (tests/c/dir_test.c): a tree up and back byte for byte,
/// a symbolic link skipped, NULL and bad input, and a hostile key stored here (through
/// the HTTP layer, past the client's key checks) that makes
/// `qcos_queue_download_prefix` refuse with nothing queued or written.
fn dir_test(check: Check) {
    const BUCKET: &str = "cdir-1250000000";
    let server = start_server(true);
    let client = rust_client(&server, BUCKET);
    client
        .put_object(
            "chostile/ok",
            qcos::Body::Bytes(b"fine"),
            &qcos::PutObjectOptions::default(),
        )
        .expect("store chostile/ok");
    let req = qcos::http::Request::new(
        qcos::http::Method::Put,
        qcos::http::Target::Object("chostile/a/../../escape".into()),
    )
    .body(qcos::http::RequestBody::Bytes(std::borrow::Cow::Borrowed(
        b"evil",
    )));
    client.http().send(req).expect("store the hostile key");
    let gets_before = server.server.stats().get("get_object");
    run_c_program(check, "tests/c/dir_test.c", c_env(&server, BUCKET));
    let keys: Vec<String> = client
        .list_objects_pages(qcos::ListObjectsOptions::default())
        .flat_map(|p| p.unwrap().objects)
        .map(|o| o.key)
        .collect();
    assert!(
        keys.contains(&"chostile/a/../../escape".to_string()),
        "{keys:?}"
    );
    assert!(!keys.iter().any(|k| k.starts_with("cbad/")), "{keys:?}");
    let tree: Vec<&String> = keys.iter().filter(|k| k.starts_with("ctree/")).collect();
    assert_eq!(tree.len(), 4, "{keys:?}");
    // The round trip downloads its 4 objects; the refused prefix downloads nothing.
    assert_eq!(
        server.server.stats().get("get_object") - gets_before,
        4,
        "only the tree's objects were downloaded"
    );
}

#[test]
fn c_dir_end_to_end() {
    dir_test(Check::Native);
}

#[test]
fn c_dir_end_to_end_under_valgrind() {
    dir_test(Check::Valgrind);
}

/// The directory program with AddressSanitizer and UBSan.
#[test]
fn c_dir_end_to_end_under_asan() {
    if Check::Asan.available() {
        dir_test(Check::Asan);
    }
}
