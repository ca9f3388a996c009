//! Builds the C programs of the transfer and queue APIs (`tests/c/queue_*.c`,
//! `examples/c/uploader.c`) against the committed header and the `libqcos.a` of this
//! same `cargo test` run (see `tests/c_api.rs` for why that archive is fresh), runs
//! them against an in-process qcos-server, and checks the server afterwards. Some run
//! under valgrind too (required: the test fails, not skips, without it).

mod native;

use std::process::Output;
use std::time::Duration;

use native::*;
use qcos::auth::Credentials;
use qcos::{Client, Config};
use qcos_server::{FaultAction, FaultRule, TEST_SECRET_ID, TEST_SECRET_KEY};

const BUCKET: &str = "cqueue-1250000000";

struct Run {
    server: TestServer,
    scratch: tempfile::TempDir,
}

impl Run {
    fn start() -> Run {
        Run {
            server: start_server_with(REGION, true, None),
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

    /// Build `src` and run it under `check` (valgrind with possible leaks reported,
    /// see `tests/c/queue_valgrind.supp`) with `args`.
    fn run(&self, src: &str, args: &[&str], check: Check) -> Output {
        let build = tempfile::tempdir().unwrap();
        let exe = check.build_c(&manifest_dir().join(src), build.path());
        let mut cmd = check.command_with(
            &exe,
            &Valgrind::with_possible_leaks("tests/c/queue_valgrind.supp"),
        );
        cmd.args(args);
        let mut env = cos_env(&self.server, BUCKET);
        env.push(("QCOS_TEST_DIR", self.scratch.path().display().to_string()));
        isolate(&mut cmd, &env);
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
    transfer_api_run(Check::Native);
}

fn transfer_api_run(check: Check) {
    let r = Run::start();
    let out = r.run("tests/c/queue_transfer.c", &[], check);
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
    parallel_run(Check::Native);
}

fn parallel_run(check: Check) {
    let r = Run::start();
    r.slow_parts("par/", 30);
    let out = r.run("tests/c/queue_parallel.c", &[], check);
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
    let out = r.run("tests/c/queue_pause.c", &["200", "32"], Check::Native);
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

fn cancel_run(check: Check) {
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
    let out = r.run("tests/c/queue_cancel.c", &[], check);
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
    cancel_run(Check::Native);
}

/// The cancel paths (running, waiting, paused, failed) under valgrind.
#[test]
fn c_queue_cancel_is_clean_under_valgrind() {
    cancel_run(Check::Valgrind);
}

/// A queue freed mid-transfer, with a callback registered, under valgrind: no leak, no
/// invalid access, no callback after the free; and the server is left with no upload.
#[test]
fn c_queue_freed_mid_transfer_under_valgrind() {
    queue_free_run(Check::Valgrind);
}

fn queue_free_run(check: Check) {
    let r = Run::start();
    r.slow_parts("free/", 20);
    let out = r.run("tests/c/queue_free.c", &[], check);
    assert_all_passed(&out);
    assert!(r.server.stats().get("upload_part") >= 1);
    let left = r.client().list_multipart_uploads("free/").unwrap();
    assert!(left.is_empty(), "{left:?}");
}

fn client_free_run(check: Check) {
    let r = Run::start();
    r.slow_parts("cfree/", 150);
    r.slow_parts("cbfree/", 150);
    let out = r.run("tests/c/queue_client_free.c", &[], check);
    assert_all_passed(&out);
    let client = r.client();
    // The running uploads' multipart uploads were aborted before the free returned.
    for prefix in ["cfree/", "cbfree/"] {
        let left = client.list_multipart_uploads(prefix).unwrap();
        assert!(left.is_empty(), "{prefix}: {left:?}");
    }
    let stats = r.server.stats();
    assert!(stats.get("upload_part") >= 2, "{stats:?}");
    assert!(stats.get("abort") >= 2, "{stats:?}");
    for key in [
        "cfree/big.bin",
        "cfree/wait.bin",
        "cfree/q2.bin",
        "cbfree/big.bin",
    ] {
        let e = client.head_object(key, &Default::default()).unwrap_err();
        assert_eq!(e.service().map(|s| s.http_status), Some(404), "{key}");
    }
    // The other client's queue finished its upload.
    client
        .head_object("cfree-other/s.bin", &Default::default())
        .unwrap();
}

/// Freeing a client with running tasks shuts its queues down: no callback after the
/// free, the tasks cancelled and their uploads aborted, the queue handle still usable
/// then freed; also a client freed from inside its queue's event callback.
#[test]
fn c_client_free_cancels_its_queues() {
    client_free_run(Check::Native);
}

/// The same under valgrind: no leak, no invalid access (a late callback would write
/// freed memory).
#[test]
fn c_client_free_cancels_its_queues_under_valgrind() {
    client_free_run(Check::Valgrind);
}

fn uploader(check: Check) {
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
    let out = r.run("examples/c/uploader.c", &args, check);
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
    uploader(Check::Native);
}

/// The same under valgrind.
#[test]
fn uploader_example_is_clean_under_valgrind() {
    uploader(Check::Valgrind);
}

/// The sources of `tests/c/queue_copy.c` (the sizes it expects).
fn put_copy_sources(r: &Run) -> (Vec<u8>, Vec<u8>) {
    let client = r.client();
    let _ = client.create_bucket();
    let small: Vec<u8> = (0..100 * 1024)
        .map(|i: usize| (i * 7 % 251) as u8)
        .collect();
    let big: Vec<u8> = (0..(20 << 20) + 321)
        .map(|i: usize| (i * 13 % 253) as u8 ^ (i >> 16) as u8)
        .collect();
    for (key, data) in [("src/small.bin", &small), ("src/big.bin", &big)] {
        client
            .put_object(key, qcos::Body::Bytes(data), &Default::default())
            .unwrap();
    }
    (small, big)
}

/// Every Upload Part - Copy to a key containing `key` waits `ms` first.
fn slow_part_copies(r: &Run, key: &str, ms: u64) {
    let mut rule = FaultRule::new(FaultAction::Stall(Duration::from_millis(ms)))
        .method("PUT")
        .path_contains(key)
        .query_contains("partNumber");
    rule.times = 0;
    r.server.faults().add(rule);
}

fn copy_run(check: Check) {
    let r = Run::start();
    let (small, big) = put_copy_sources(&r);
    slow_part_copies(&r, "cp/cancel", 100);
    let out = r.run("tests/c/queue_copy.c", &["all"], check);
    assert_all_passed(&out);
    let client = r.client();
    for (key, data) in [("cp/small.bin", &small), ("cp/big.bin", &big)] {
        let mut got = Vec::new();
        client
            .get_object(key, &Default::default(), &mut got)
            .unwrap();
        assert!(got == *data, "{key} differs from its source");
    }
    // Both cancelled copies aborted their multipart uploads; nothing was completed.
    let left = client.list_multipart_uploads("cp/").unwrap();
    assert!(left.is_empty(), "{left:?}");
    let stats = r.server.stats();
    assert!(stats.get("abort") >= 2, "{stats:?}");
    assert_eq!(stats.get("copy_object"), 1, "{stats:?}");
    for key in ["cp/cancel.bin", "cp/cancel2.bin", "cp/missing.bin"] {
        let e = client.head_object(key, &Default::default()).unwrap_err();
        assert_eq!(e.service().map(|s| s.http_status), Some(404), "{key}");
    }
}

/// Queued copies from C: single and multipart copies, task info, events, cancel of a
/// running and of a paused copy (aborted), a missing source, bad arguments.
#[test]
fn c_queue_copy() {
    copy_run(Check::Native);
}

/// The same under valgrind.
#[test]
fn c_queue_copy_is_clean_under_valgrind() {
    copy_run(Check::Valgrind);
}

/// A multipart copy paused and resumed from C: each part is copied exactly once.
#[test]
fn c_queue_copy_pause_resume_copies_each_part_once() {
    let r = Run::start();
    put_copy_sources(&r);
    slow_part_copies(&r, "pz/", 80);
    let out = r.run("tests/c/queue_copy.c", &["pause"], Check::Native);
    assert_all_passed(&out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let parts: u64 = stdout
        .lines()
        .find_map(|l| l.strip_prefix("parts "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no parts line: {stdout}"));
    assert_eq!(parts, 11);
    let stats = r.server.stats();
    assert_eq!(stats.get("upload_part_copy"), parts, "{stats:?}");
    assert_eq!(stats.get("initiate"), 1, "{stats:?}");
    assert_eq!(stats.get("complete"), 1, "{stats:?}");
    assert!(r.client().list_multipart_uploads("pz/").unwrap().is_empty());
}

/// The transfer engine's C API built with AddressSanitizer and UBSan against the cdylib (see
/// `tests/native/mod.rs`, `ASAN_FLAGS`): no overrun, double free, use after free or
/// leak from C, callbacks from the library's threads included.
#[test]
fn c_transfer_api_under_asan() {
    if Check::Asan.available() {
        transfer_api_run(Check::Asan);
    }
}

/// The parallel queue program built with AddressSanitizer and UBSan against the cdylib (see
/// `tests/native/mod.rs`, `ASAN_FLAGS`): no overrun, double free, use after free or
/// leak from C, callbacks from the library's threads included.
#[test]
fn c_queue_parallel_limit_and_events_under_asan() {
    if Check::Asan.available() {
        parallel_run(Check::Asan);
    }
}

/// The cancel paths built with AddressSanitizer and UBSan against the cdylib (see
/// `tests/native/mod.rs`, `ASAN_FLAGS`): no overrun, double free, use after free or
/// leak from C, callbacks from the library's threads included.
#[test]
fn c_queue_cancel_is_clean_under_asan() {
    if Check::Asan.available() {
        cancel_run(Check::Asan);
    }
}

/// A queue freed mid-transfer built with AddressSanitizer and UBSan against the cdylib (see
/// `tests/native/mod.rs`, `ASAN_FLAGS`): no overrun, double free, use after free or
/// leak from C, callbacks from the library's threads included.
#[test]
fn c_queue_freed_mid_transfer_under_asan() {
    if Check::Asan.available() {
        queue_free_run(Check::Asan);
    }
}

/// A client freed with running queues built with AddressSanitizer and UBSan against the cdylib (see
/// `tests/native/mod.rs`, `ASAN_FLAGS`): no overrun, double free, use after free or
/// leak from C, callbacks from the library's threads included.
#[test]
fn c_client_free_cancels_its_queues_under_asan() {
    if Check::Asan.available() {
        client_free_run(Check::Asan);
    }
}

/// The example uploader built with AddressSanitizer and UBSan against the cdylib (see
/// `tests/native/mod.rs`, `ASAN_FLAGS`): no overrun, double free, use after free or
/// leak from C, callbacks from the library's threads included.
#[test]
fn uploader_example_is_clean_under_asan() {
    if Check::Asan.available() {
        uploader(Check::Asan);
    }
}

/// Queued copies built with AddressSanitizer and UBSan against the cdylib (see
/// `tests/native/mod.rs`, `ASAN_FLAGS`): no overrun, double free, use after free or
/// leak from C, callbacks from the library's threads included.
#[test]
fn c_queue_copy_is_clean_under_asan() {
    if Check::Asan.available() {
        copy_run(Check::Asan);
    }
}

/// Queued uploads from a read callback (`tests/c/queue_stream.c`): known and unknown
/// lengths byte for byte, pause refused, cancel aborting (a cancelled waiting task's
/// callback never called), a callback cancelling or ending short, a queue freed
/// mid-stream (the callback's state freed right after), bad arguments.
fn stream_run(check: Check) {
    let r = Run::start();
    r.slow_parts("/cs/", 100);
    let out = r.run("tests/c/queue_stream.c", &[], check);
    assert_all_passed(&out);
    let left = r.client().list_multipart_uploads("").unwrap();
    assert!(left.is_empty(), "{left:?}");
    // cs/run.bin, st/stop.bin, st/short.bin and cs/free1.bin were aborted.
    assert!(r.server.stats().get("abort") >= 4);
    let e = r
        .client()
        .head_object("cs/run.bin", &Default::default())
        .unwrap_err();
    assert_eq!(e.service().map(|s| s.http_status), Some(404));
}

#[test]
fn c_queue_stream_uploads() {
    stream_run(Check::Native);
}

#[test]
fn c_queue_stream_uploads_under_valgrind() {
    stream_run(Check::Valgrind);
}

#[test]
fn c_queue_stream_uploads_under_asan() {
    if Check::Asan.available() {
        stream_run(Check::Asan);
    }
}
