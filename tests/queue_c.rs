//! Builds the C programs of the transfer and queue APIs (`tests/c/queue_*.c`,
//! `examples/c/uploader.c`) against the committed header and the `libqcos.a` of this
//! same `cargo test` run (see `tests/c_api.rs` for why that archive is fresh), runs
//! them against an in-process qcos-server, and checks the server afterwards. Some run
//! under valgrind too (required: the test fails, not skips, without it).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use qcos::auth::Credentials;
use qcos::{Client, Config};
use qcos_server::{
    FaultAction, FaultRule, RunningServer, Server, ServerConfig, TEST_SECRET_ID, TEST_SECRET_KEY,
};

/// As in tests/c_api.rs (which checks it against `rustc --print native-static-libs`).
const NATIVE_STATIC_LIBS: &[&str] = &[
    "-lgcc_s",
    "-lutil",
    "-lrt",
    "-lpthread",
    "-lm",
    "-ldl",
    "-lc",
];
const REGION: &str = "ap-guangzhou";
const BUCKET: &str = "cqueue-1250000000";

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn static_lib() -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    let lib = exe.parent().unwrap().join("libqcos.a");
    assert!(lib.is_file(), "{} not found", lib.display());
    lib
}

fn build_c(src: &Path, out_dir: &Path) -> PathBuf {
    let name = src.file_stem().unwrap().to_string_lossy().into_owned();
    let exe = out_dir.join(&name);
    let out = Command::new("cc")
        .args([
            "-std=c11",
            "-g",
            "-O0",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-pedantic",
        ])
        .arg("-I")
        .arg(manifest_dir().join("include"))
        .arg(src)
        .arg(static_lib())
        .args(NATIVE_STATIC_LIBS)
        .arg("-o")
        .arg(&exe)
        .output()
        .unwrap_or_else(|e| panic!("cannot run cc (install gcc): {e}"));
    assert!(
        out.status.success(),
        "compiling {} failed:\n{}",
        src.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    exe
}

struct Run {
    server: RunningServer,
    _data: tempfile::TempDir,
    scratch: tempfile::TempDir,
}

impl Run {
    fn start() -> Run {
        let data = tempfile::tempdir().unwrap();
        let mut cfg = ServerConfig::new(data.path().join("data"));
        cfg.region = REGION.to_string();
        cfg.auto_create_buckets = true;
        let server = Server::start(cfg).expect("start qcos-server");
        Run {
            server,
            _data: data,
            scratch: tempfile::tempdir().unwrap(),
        }
    }

    /// Every Upload Part to a key containing `key` waits `ms` first.
    fn slow_parts(&self, key: &str, ms: u64) {
        let mut rule = FaultRule::new(FaultAction::Stall(Duration::from_millis(ms)))
            .method("PUT")
            .path_contains(key)
            .query_contains("partNumber");
        rule.times = 0;
        self.server.faults().add(rule);
    }

    fn client(&self) -> Client {
        let mut c = Config::new(REGION, BUCKET);
        c.endpoint = Some(self.server.endpoint());
        c.credentials = Some(Credentials::new(TEST_SECRET_ID, TEST_SECRET_KEY));
        Client::new(c).unwrap()
    }

    /// Build `src` and run it (under valgrind when asked) with `args`.
    fn run(&self, src: &str, args: &[&str], under_valgrind: bool) -> Output {
        let build = tempfile::tempdir().unwrap();
        let exe = build_c(&manifest_dir().join(src), build.path());
        let mut cmd = if under_valgrind {
            let probe = Command::new("valgrind").arg("--version").output();
            assert!(
                probe.is_ok_and(|o| o.status.success()),
                "valgrind is required for this test: install it (apt-get install valgrind)"
            );
            let mut c = Command::new("valgrind");
            c.args([
                "--leak-check=full",
                "--show-leak-kinds=definite,indirect,possible",
                "--errors-for-leak-kinds=definite,indirect,possible",
                "--error-exitcode=1",
                "--quiet",
            ])
            .arg(format!(
                "--suppressions={}",
                manifest_dir().join("tests/c/queue_valgrind.supp").display()
            ))
            .arg(&exe);
            c
        } else {
            Command::new(&exe)
        };
        cmd.args(args);
        for var in ["COS_SECURITY_TOKEN", "COS_PATH_STYLE"] {
            cmd.env_remove(var);
        }
        cmd.env("COS_ENDPOINT", self.server.endpoint())
            .env("COS_REGION", REGION)
            .env("COS_BUCKET", BUCKET)
            .env("COS_SECRET_ID", TEST_SECRET_ID)
            .env("COS_SECRET_KEY", TEST_SECRET_KEY)
            .env("QCOS_TEST_DIR", self.scratch.path());
        let out = cmd.output().expect("run the C program");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "{src} failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
            out.status
        );
        out
    }
}

fn assert_all_passed(out: &Output) {
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(" 0 failed"), "{stdout}");
    assert!(
        !stdout.contains(" 0 passed"),
        "the program checked nothing: {stdout}"
    );
    // The library prints nothing.
    assert!(
        out.stderr.is_empty(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The transfer engine's C API; afterwards the aborted upload is gone and the kept one
/// is still on the server.
#[test]
fn c_transfer_api() {
    let r = Run::start();
    let out = r.run("tests/c/queue_transfer.c", &[], false);
    assert_all_passed(&out);
    let client = r.client();
    let aborted = client.list_multipart_uploads("xfer/abort/").unwrap();
    assert!(aborted.is_empty(), "{aborted:?}");
    let kept = client.list_multipart_uploads("xfer/keep/").unwrap();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(kept[0].key, "xfer/keep/f.bin");
}

/// 20 files with file_parallel_limit 3: never more than 3 at once, events in legal
/// order, task info, the callback's thread, bad requests.
#[test]
fn c_queue_parallel_limit_and_events() {
    let r = Run::start();
    r.slow_parts("par/", 30);
    let out = r.run("tests/c/queue_parallel.c", &[], false);
    assert_all_passed(&out);
    assert!(String::from_utf8_lossy(&out.stdout).contains("max_active 3"));
}

/// Pause then resume from C: each part reaches the server exactly once.
#[test]
fn c_queue_pause_resume_sends_each_part_once() {
    let r = Run::start();
    r.slow_parts("pause/", 40);
    // 200 MiB in 32 MiB parts, as the issue asks (the size at which a pause would
    // otherwise cut parts short on loopback).
    let out = r.run("tests/c/queue_pause.c", &["200", "32"], false);
    assert_all_passed(&out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let parts: u64 = stdout
        .lines()
        .find_map(|l| l.strip_prefix("parts "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no parts line: {stdout}"));
    assert_eq!(parts, 7);
    let stats = r.server.stats();
    assert_eq!(stats.get("upload_part"), parts, "{stats:?}");
    assert_eq!(stats.get("initiate"), 1);
    assert_eq!(stats.get("complete"), 1);
    assert!(
        r.client()
            .list_multipart_uploads("pause/")
            .unwrap()
            .is_empty()
    );
}

fn cancel_run(under_valgrind: bool) {
    let r = Run::start();
    r.slow_parts("cancel/", 40);
    r.server.faults().add(FaultRule {
        times: 0,
        ..FaultRule::new(FaultAction::Status {
            http_status: 403,
            code: "AccessDenied".into(),
            message: "Access Denied.".into(),
        })
        .method("PUT")
        .path_contains("cancel/denied")
    });
    let out = r.run("tests/c/queue_cancel.c", &[], under_valgrind);
    assert_all_passed(&out);
    let left = r.client().list_multipart_uploads("cancel/").unwrap();
    assert!(left.is_empty(), "{left:?}");
    assert!(r.server.stats().get("abort") >= 2);
    let e = r
        .client()
        .head_object("cancel/run.bin", &Default::default())
        .unwrap_err();
    assert_eq!(e.service().map(|s| s.http_status), Some(404));
}

/// Cancel aborts: the server lists no upload afterwards.
#[test]
fn c_queue_cancel_aborts() {
    cancel_run(false);
}

/// The cancel paths (running, waiting, paused, failed) under valgrind.
#[test]
fn c_queue_cancel_is_clean_under_valgrind() {
    cancel_run(true);
}

/// A queue freed mid-transfer, with a callback registered, under valgrind: no leak, no
/// invalid access, no callback after the free; and the server is left with no upload.
#[test]
fn c_queue_freed_mid_transfer_under_valgrind() {
    let r = Run::start();
    r.slow_parts("free/", 20);
    let out = r.run("tests/c/queue_free.c", &[], true);
    assert_all_passed(&out);
    assert!(r.server.stats().get("upload_part") >= 1);
    let left = r.client().list_multipart_uploads("free/").unwrap();
    assert!(left.is_empty(), "{left:?}");
}

fn uploader(under_valgrind: bool) {
    let r = Run::start();
    let dir = r.scratch.path();
    let mut files = Vec::new();
    for (name, len) in [("a.bin", 3 << 20), ("b.txt", 1000), ("c.dat", 0)] {
        let p = dir.join(name);
        let data: Vec<u8> = (0..len).map(|i: usize| (i * 13 % 256) as u8).collect();
        std::fs::write(&p, &data).unwrap();
        files.push((name, p, data));
    }
    let args: Vec<String> = ["-p".to_string(), "up/".to_string()]
        .into_iter()
        .chain(files.iter().map(|(_, p, _)| p.display().to_string()))
        .collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = r.run("examples/c/uploader.c", &args, under_valgrind);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let client = r.client();
    for (name, _, data) in &files {
        let key = format!("up/{name}");
        let crc = qcos::crc64::checksum(data);
        let line = format!("uploaded {key} ({} bytes, crc64 {crc},", data.len());
        assert!(stdout.contains(&line), "missing {line:?} in:\n{stdout}");
        // A bar per state change, ending full.
        assert!(
            stdout.contains(&format!("[{}] 100.0%", "#".repeat(30))),
            "{stdout}"
        );
        let head = client.head_object(&key, &Default::default()).unwrap();
        assert_eq!(head.content_length, data.len() as u64);
        assert_eq!(head.crc64, Some(crc));
    }
    assert!(stdout.contains("succeeded"), "{stdout}");
}

/// The example uploader queues its files and draws their bars against qcos-server.
#[test]
fn uploader_example_uploads_every_file() {
    uploader(false);
}

/// The same under valgrind.
#[test]
fn uploader_example_is_clean_under_valgrind() {
    uploader(true);
}
