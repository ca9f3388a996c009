//! Shared support of the tests that compile and run C/C++ programs on the qcos C
//! library: where this cargo run put `libqcos.a` / `libqcos.so`, the native link
//! flags, compiling a program with the suite's warning flags against `include/`,
//! wrapping a program in valgrind with the suite's settings, an in-process
//! qcos-server, the `COS_*` environment a program reads, and running a child cleanly.
//!
//! Used as `mod native;` by every such test (each test crate uses only some of it).
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use qcos_server::{RunningServer, Server, ServerConfig, TEST_SECRET_ID, TEST_SECRET_KEY};

/// The region of [`start_server`] and [`cos_env`].
pub const REGION: &str = "ap-guangzhou";
/// The temporary keys [`start_server`] accepts.
pub const TMP_ID: &str = "AKIDqcosTMP";
pub const TMP_KEY: &str = "qcosTMPsecretKEY";
pub const TMP_TOKEN: &str = "qcos-test-token-0123456789";

/// The system libraries a static link of libqcos.a needs on Linux: what `rustc
/// --print native-static-libs` reports (`tests/c_api.rs` checks the list stays
/// current; it is also written in the header's comment and the README).
pub const NATIVE_STATIC_LIBS: &[&str] = &[
    "-lgcc_s",
    "-lutil",
    "-lrt",
    "-lpthread",
    "-lm",
    "-ldl",
    "-lc",
];

/// The warning flags every C/C++ program of the suite compiles with.
pub const WARNING_FLAGS: &[&str] = &["-Wall", "-Wextra", "-Werror", "-pedantic"];

/// `-std=c11 -g -O0`: the usual flags before [`WARNING_FLAGS`] for a C program.
pub const C11_DEBUG: &[&str] = &["-std=c11", "-g", "-O0"];

pub fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `target/<profile>/deps/`, the directory of the running test executable, where
/// this same cargo run wrote `libqcos.a` and `libqcos.so`: the package's lib target
/// has crate types `rlib, cdylib, staticlib`, and cargo builds all of them in the one
/// rustc run that produces the rlib this test links against, so they are always
/// exactly as fresh as the test (no nested cargo, which would wait on the lock the
/// running `cargo test` holds). `target/<profile>/libqcos.*` is only refreshed by
/// `cargo build`, so it may be stale: never used.
pub fn deps_dir() -> PathBuf {
    std::env::current_exe()
        .expect("current_exe")
        .parent()
        .expect("the test executable's directory")
        .to_path_buf()
}

/// `libqcos.a` of this cargo run (never a possibly stale copy elsewhere).
pub fn static_lib() -> PathBuf {
    let p = deps_dir().join("libqcos.a");
    assert!(
        p.is_file(),
        "{} not found (Cargo.toml must keep crate-type \"staticlib\"; run this test \
         through `cargo test --test NAME`)",
        p.display()
    );
    p
}

/// `libqcos.so` of this cargo run (never a possibly stale copy elsewhere).
pub fn shared_lib() -> PathBuf {
    let p = deps_dir().join("libqcos.so");
    assert!(
        p.is_file(),
        "{} not found (Cargo.toml must keep crate-type \"cdylib\"; run this test \
         through `cargo test --test NAME`)",
        p.display()
    );
    p
}

/// Compile `src` with `compiler`, `flags` (language standard, optimisation, extras)
/// and [`WARNING_FLAGS`], against `include/` and `extra_includes`, linked statically
/// with [`static_lib`] and [`NATIVE_STATIC_LIBS`]; the executable is
/// `out_dir/<file stem of src>`. A compile error fails the test with the compiler's
/// output.
pub fn compile_static(
    compiler: &str,
    flags: &[&str],
    extra_includes: &[&Path],
    src: &Path,
    out_dir: &Path,
) -> PathBuf {
    let exe = out_dir.join(src.file_stem().expect("a source file name"));
    let mut cmd = Command::new(compiler);
    cmd.args(flags)
        .args(WARNING_FLAGS)
        .arg("-I")
        .arg(manifest_dir().join("include"));
    for dir in extra_includes {
        cmd.arg("-I").arg(dir);
    }
    let out = cmd
        .arg(src)
        .arg(static_lib())
        .args(NATIVE_STATIC_LIBS)
        .arg("-o")
        .arg(&exe)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {compiler} (install gcc and g++): {e}"));
    assert!(
        out.status.success(),
        "compiling {} failed:\n{}",
        src.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    exe
}

/// A C program built with `cc` and [`C11_DEBUG`] (see [`compile_static`]).
pub fn build_c(src: &Path, out_dir: &Path) -> PathBuf {
    compile_static("cc", C11_DEBUG, &[], src, out_dir)
}

/// A required tool, or a failure saying how to install it (never a skip).
pub fn require_tool(tool: &str, probe_arg: &str, install_hint: &str) {
    assert!(
        tool_runs(tool, probe_arg),
        "`{tool}` is required by this test: {install_hint}"
    );
}

fn tool_runs(tool: &str, probe_arg: &str) -> bool {
    Command::new(tool)
        .arg(probe_arg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Whether every check must run: `QCOS_REQUIRE_ALL=1`, which `.ci/run` sets after
/// installing the tools. Outside CI a missing optional tool skips a check loudly
/// instead, so `cargo test --workspace` works on a machine with only Rust, gcc and
/// python3.
pub fn require_all() -> bool {
    std::env::var("QCOS_REQUIRE_ALL").as_deref() == Ok("1")
}

/// True when `tool` runs. When it does not: under [`require_all`] the test fails with
/// `install_hint`; otherwise a loud SKIPPED line naming `skipped` goes to stderr and
/// the result is false.
pub fn have_tool(tool: &str, probe_arg: &str, install_hint: &str, skipped: &str) -> bool {
    if tool_runs(tool, probe_arg) {
        return true;
    }
    assert!(
        !require_all(),
        "`{tool}` is required (QCOS_REQUIRE_ALL=1): {install_hint}"
    );
    // Straight to the process's stderr, past the test harness's output capture, so the
    // skip shows in a plain `cargo test` run.
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "\n!!!!! SKIPPED {skipped}: `{tool}` is not installed ({install_hint}; \
         QCOS_REQUIRE_ALL=1 makes this a failure) !!!!!\n"
    );
    false
}

/// Valgrind is installed: true. Otherwise see [`have_tool`] (fails under
/// [`require_all`], else skips the memory check loudly and returns false).
pub fn require_valgrind() -> bool {
    have_tool(
        "valgrind",
        "--version",
        "it checks the C programs for leaks and invalid accesses; install it with \
         `apt-get install valgrind`",
        "the valgrind memory check (the program still runs natively)",
    )
}

/// The suite's valgrind settings: full leak check, definite and indirect leaks are
/// errors, any error makes the exit status [`Valgrind::error_exitcode`], nothing but
/// errors printed. Programs whose threads leave "possibly lost" blocks that are not
/// qcos's (see `tests/c/queue_valgrind.supp`) use [`Valgrind::with_possible_leaks`].
#[derive(Debug, Clone)]
pub struct Valgrind {
    error_exitcode: u8,
    possible_leaks: bool,
    suppressions: Option<PathBuf>,
}

impl Default for Valgrind {
    fn default() -> Self {
        Valgrind {
            error_exitcode: 1,
            possible_leaks: false,
            suppressions: None,
        }
    }
}

impl Valgrind {
    /// Also report and count "possibly lost" blocks as errors, minus those the
    /// suppression file `supp` (relative to the package root) explains.
    pub fn with_possible_leaks(supp: &str) -> Self {
        Valgrind {
            possible_leaks: true,
            suppressions: Some(manifest_dir().join(supp)),
            ..Valgrind::default()
        }
    }

    /// The exit status valgrind gives a run with errors (default 1).
    pub fn error_exitcode(mut self, code: u8) -> Self {
        self.error_exitcode = code;
        self
    }

    /// `valgrind <settings> exe`. Without valgrind: a failure under [`require_all`]
    /// (CI), else the program alone, after a loud SKIPPED line (see [`have_tool`]).
    pub fn command(&self, exe: &Path) -> Command {
        if !require_valgrind() {
            return Command::new(exe);
        }
        let mut c = Command::new("valgrind");
        c.arg("--leak-check=full");
        if self.possible_leaks {
            c.args([
                "--show-leak-kinds=definite,indirect,possible",
                "--errors-for-leak-kinds=definite,indirect,possible",
            ]);
        } else {
            c.arg("--errors-for-leak-kinds=definite,indirect");
        }
        c.arg(format!("--error-exitcode={}", self.error_exitcode))
            .arg("--quiet");
        if let Some(supp) = &self.suppressions {
            c.arg(format!("--suppressions={}", supp.display()));
        }
        c.arg(exe);
        c
    }
}

/// `valgrind` with the default [`Valgrind`] settings.
pub fn valgrind(exe: &Path) -> Command {
    Valgrind::default().command(exe)
}

/// An in-process qcos-server on 127.0.0.1:0 and its data directory (a
/// [`RunningServer`] by deref).
pub struct TestServer {
    pub server: RunningServer,
    _data: tempfile::TempDir,
}

impl std::ops::Deref for TestServer {
    type Target = RunningServer;

    fn deref(&self) -> &RunningServer {
        &self.server
    }
}

/// A qcos-server in `region` accepting the test keys and, when given, one set of
/// temporary keys `(id, key, token)`.
pub fn start_server_with(
    region: &str,
    auto_create_buckets: bool,
    temporary: Option<(&str, &str, &str)>,
) -> TestServer {
    let data = tempfile::tempdir().expect("tempdir");
    let mut cfg = ServerConfig::new(data.path().join("data"));
    cfg.region = region.to_string();
    cfg.auto_create_buckets = auto_create_buckets;
    if let Some((id, key, token)) = temporary {
        cfg.temporary = vec![(id.into(), key.into(), token.into())];
    }
    let server = Server::start(cfg).expect("start qcos-server");
    TestServer {
        server,
        _data: data,
    }
}

/// A qcos-server in [`REGION`] accepting the test keys and the temporary keys
/// ([`TMP_ID`], [`TMP_KEY`], [`TMP_TOKEN`]).
pub fn start_server(auto_create_buckets: bool) -> TestServer {
    start_server_with(
        REGION,
        auto_create_buckets,
        Some((TMP_ID, TMP_KEY, TMP_TOKEN)),
    )
}

/// The variables a C/C++ program reads through `qcos_config_from_env`, for any
/// server and keys (`COS_SECURITY_TOKEN` only when `token` is given).
pub fn cos_env_for(
    endpoint: String,
    region: &str,
    bucket: &str,
    secret_id: &str,
    secret_key: &str,
    token: Option<&str>,
) -> Vec<(&'static str, String)> {
    let mut env = vec![
        ("COS_ENDPOINT", endpoint),
        ("COS_REGION", region.to_string()),
        ("COS_BUCKET", bucket.to_string()),
        ("COS_SECRET_ID", secret_id.to_string()),
        ("COS_SECRET_KEY", secret_key.to_string()),
    ];
    if let Some(token) = token {
        env.push(("COS_SECURITY_TOKEN", token.to_string()));
    }
    env
}

/// [`cos_env_for`] `server`, [`REGION`], `bucket` and the test keys.
pub fn cos_env(server: &TestServer, bucket: &str) -> Vec<(&'static str, String)> {
    cos_env_for(
        server.endpoint(),
        REGION,
        bucket,
        TEST_SECRET_ID,
        TEST_SECRET_KEY,
        None,
    )
}

/// The temporary keys of [`start_server`] for a test program that tries them
/// (`QCOS_TEST_TMP_ID`, `QCOS_TEST_TMP_KEY`, `QCOS_TEST_TMP_TOKEN`).
pub fn tmp_key_env() -> [(&'static str, String); 3] {
    [
        ("QCOS_TEST_TMP_ID", TMP_ID.to_string()),
        ("QCOS_TEST_TMP_KEY", TMP_KEY.to_string()),
        ("QCOS_TEST_TMP_TOKEN", TMP_TOKEN.to_string()),
    ]
}

/// Remove every proxy variable and exempt loopback, so a child's requests go
/// straight to the test servers.
pub fn no_proxy(cmd: &mut Command) -> &mut Command {
    for var in [
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost")
}

/// Clear every variable that could point a child at something else than the test
/// server ([`no_proxy`] included), then set `env`.
pub fn isolate<'c>(cmd: &'c mut Command, env: &[(&str, String)]) -> &'c mut Command {
    for var in [
        "COS_SECURITY_TOKEN",
        "COS_PATH_STYLE",
        "COS_ENDPOINT",
        "COS_BUCKET",
        "COS_REGION",
        "COS_SECRET_ID",
        "COS_SECRET_KEY",
        "QCOS_LIBRARY",
    ] {
        cmd.env_remove(var);
    }
    // And every other option `qcos_config_from_env` reads (COS_TIMEOUT_MS, ...).
    for (var, _) in std::env::vars_os() {
        if var.to_string_lossy().starts_with("COS_") {
            cmd.env_remove(var);
        }
    }
    no_proxy(cmd).envs(env.iter().map(|(k, v)| (*k, v.as_str())))
}

/// Run `cmd` with no stdin, collecting its output; kill it after `timeout`.
pub fn run_with_deadline(cmd: &mut Command, timeout: Duration) -> Output {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
    let mut out = child.stdout.take().expect("piped");
    let mut err = child.stderr.take().expect("piped");
    let o = thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let e = thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait().expect("wait for child") {
            Some(s) => break s,
            None if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "{cmd:?} did not finish within {timeout:?} and was killed\n--- stdout\n{}\n--- stderr\n{}",
                    String::from_utf8_lossy(&o.join().unwrap_or_default()),
                    String::from_utf8_lossy(&e.join().unwrap_or_default())
                );
            }
            None => thread::sleep(Duration::from_millis(50)),
        }
    };
    Output {
        status,
        stdout: o.join().unwrap_or_default(),
        stderr: e.join().unwrap_or_default(),
    }
}

/// The base URL a server program (`examples/sign_server`) announces on its first
/// line of output, `listening on <base>`.
pub fn listening_base(stdout: &mut std::process::ChildStdout) -> String {
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    line.trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string()
}

/// `out` is a success, or the test fails with its status, stdout and stderr.
pub fn assert_success(what: &str, out: &Output) {
    assert!(
        out.status.success(),
        "{what} failed ({}):\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The flags of the AddressSanitizer pass: AddressSanitizer (with LeakSanitizer) and
/// UndefinedBehaviorSanitizer in the C program, every report fatal, frame pointers
/// kept for readable stacks. The Rust library itself is not instrumented, but the
/// sanitizer runtime replaces `malloc`/`free` for the whole process, and the library
/// allocates through the system allocator: a C program that overruns a buffer the
/// library handed out, frees one twice or through the wrong function, uses one after
/// its free, or leaks one, is caught.
pub const ASAN_FLAGS: &[&str] = &[
    "-fsanitize=address,undefined",
    "-fno-sanitize-recover=all",
    "-fno-omit-frame-pointer",
];

/// The exit status of a program the sanitizers stopped (any report: memory error,
/// undefined behaviour, leak), chosen to differ from the test programs' own statuses.
pub const ASAN_EXITCODE: i32 = 86;

/// LeakSanitizer suppressions of the AddressSanitizer pass (relative to the package
/// root); each entry explains why it is not a qcos leak.
pub const ASAN_SUPPRESSIONS: &str = "tests/c/asan.supp";

fn asan_probe() -> bool {
    let Ok(dir) = tempfile::tempdir() else {
        return false;
    };
    let src = dir.path().join("probe.c");
    let exe = dir.path().join("probe");
    if std::fs::write(
        &src,
        "#include <stdlib.h>\nint main(void) { free(malloc(1)); return 0; }\n",
    )
    .is_err()
    {
        return false;
    }
    let built = Command::new("gcc")
        .args(ASAN_FLAGS)
        .arg(&src)
        .arg("-o")
        .arg(&exe)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    built
        && Command::new(&exe)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
}

/// gcc can build and run a program with [`ASAN_FLAGS`] (libasan and libubsan are
/// installed): true. Otherwise like a missing valgrind (see [`have_tool`]): a failure
/// under [`require_all`] (CI), else a loud SKIPPED line and false.
pub fn require_asan() -> bool {
    static HAVE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    if *HAVE.get_or_init(asan_probe) {
        return true;
    }
    let hint = "gcc cannot build with -fsanitize=address,undefined; install libasan and \
                libubsan (`apt-get install gcc`, which pulls libasan8 and libubsan1)";
    assert!(
        !require_all(),
        "AddressSanitizer is required (QCOS_REQUIRE_ALL=1): {hint}"
    );
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "\n!!!!! SKIPPED the AddressSanitizer pass: {hint}; QCOS_REQUIRE_ALL=1 makes this \
         a failure !!!!!\n"
    );
    false
}

/// Compile `src` with gcc (g++ for a `.cpp`), `flags`, [`ASAN_FLAGS`] and
/// [`WARNING_FLAGS`] against `include/`, linked dynamically with [`shared_lib`] (the
/// cdylib of this cargo run, found through an rpath); the executable is
/// `out_dir/<file stem of src>-asan`. Check [`require_asan`] first.
pub fn compile_asan(flags: &[&str], src: &Path, out_dir: &Path) -> PathBuf {
    let stem = src
        .file_stem()
        .expect("a source file name")
        .to_string_lossy();
    let exe = out_dir.join(format!("{stem}-asan"));
    let compiler = if src.extension().is_some_and(|e| e == "cpp") {
        "g++"
    } else {
        "gcc"
    };
    let lib_dir = shared_lib().parent().expect("deps dir").to_path_buf();
    let out = Command::new(compiler)
        .args(flags)
        .args(ASAN_FLAGS)
        .args(WARNING_FLAGS)
        .arg("-I")
        .arg(manifest_dir().join("include"))
        .arg(src)
        .arg(format!("-L{}", lib_dir.display()))
        .arg(format!("-Wl,-rpath,{}", lib_dir.display()))
        .args(["-lqcos", "-lpthread"])
        .arg("-o")
        .arg(&exe)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {compiler}: {e}"));
    assert!(
        out.status.success(),
        "compiling {} with AddressSanitizer failed:\n{}",
        src.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    exe
}

/// A C program built with [`C11_DEBUG`] for the AddressSanitizer pass (see
/// [`compile_asan`]).
pub fn build_c_asan(src: &Path, out_dir: &Path) -> PathBuf {
    compile_asan(C11_DEBUG, src, out_dir)
}

/// `exe` with the sanitizer settings of the AddressSanitizer pass: leak detection on,
/// every report fatal with exit status [`ASAN_EXITCODE`], use after return, bad
/// `free`s and `malloc`/`free` mismatches checked, the suppressions of
/// [`ASAN_SUPPRESSIONS`] (and only those) applied, nothing printed unless something is
/// found.
pub fn asan(exe: &Path) -> Command {
    let mut c = Command::new(exe);
    // The rpath names this run's cdylib, but LD_LIBRARY_PATH wins over it, and cargo
    // puts `target/<profile>` on it, where `cargo build` leaves a possibly older
    // libqcos.so: the dynamic loader must find this run's library first.
    let deps = shared_lib().parent().expect("deps dir").to_path_buf();
    let mut path = std::ffi::OsString::from(deps.as_os_str());
    if let Some(old) = std::env::var_os("LD_LIBRARY_PATH") {
        path.push(":");
        path.push(old);
    }
    c.env("LD_LIBRARY_PATH", path);
    c.env(
        "ASAN_OPTIONS",
        format!(
            "detect_leaks=1:halt_on_error=1:exitcode={ASAN_EXITCODE}:\
             detect_stack_use_after_return=1:check_initialization_order=1:\
             strict_init_order=1:detect_invalid_pointer_pairs=0:alloc_dealloc_mismatch=1:\
             allocator_may_return_null=0:abort_on_error=0:symbolize=1"
        ),
    )
    .env(
        "LSAN_OPTIONS",
        format!(
            "suppressions={}:print_suppressions=0:report_objects=1:exitcode={ASAN_EXITCODE}",
            manifest_dir().join(ASAN_SUPPRESSIONS).display()
        ),
    )
    .env(
        "UBSAN_OPTIONS",
        format!("halt_on_error=1:print_stacktrace=1:exitcode={ASAN_EXITCODE}"),
    );
    c
}

/// How a C test program runs: natively, under valgrind (default settings), or built
/// with AddressSanitizer against the cdylib.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    Native,
    Valgrind,
    Asan,
}

impl Check {
    /// Whether this check can run here: [`Check::Asan`] needs [`require_asan`] (which
    /// fails under [`require_all`] and skips loudly otherwise); the others always run
    /// (valgrind's own absence is handled by [`Valgrind::command`]).
    pub fn available(self) -> bool {
        self != Check::Asan || require_asan()
    }

    /// Build the C program `src` the way this check needs (`build_c` / [`build_c_asan`]).
    pub fn build_c(self, src: &Path, out_dir: &Path) -> PathBuf {
        match self {
            Check::Asan => build_c_asan(src, out_dir),
            _ => build_c(src, out_dir),
        }
    }

    /// The command running `exe` under this check, with `valgrind` as the valgrind
    /// settings.
    pub fn command_with(self, exe: &Path, valgrind: &Valgrind) -> Command {
        match self {
            Check::Native => Command::new(exe),
            Check::Valgrind => valgrind.command(exe),
            Check::Asan => asan(exe),
        }
    }

    /// [`Check::command_with`] the default valgrind settings.
    pub fn command(self, exe: &Path) -> Command {
        self.command_with(exe, &Valgrind::default())
    }
}
