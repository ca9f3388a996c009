//! Issue 3's transfer tests from C (`tests/c/transfer_matrix.c`, built against the
//! committed header and the `libqcos.a` of this `cargo test` run): the size matrix
//! with CRC-64 computed in C, resume after a part failed past its retries, an injected
//! CRC-64 mismatch, ranged parallel downloads, a copy below `copy_slice_size`, and a
//! stream of unknown length. The program runs once natively and once under valgrind;
//! this harness installs the server faults and checks the server afterwards.

mod native;

use std::process::Output;

use native::*;
use qcos::auth::Credentials;
use qcos::{Client, Config};
use qcos_server::{FaultAction, FaultRule, TEST_SECRET_ID, TEST_SECRET_KEY};

const BUCKET: &str = "cxfer-1250000000";
/// `CHUNK_RETRY_TIMES` of transfer_matrix.c.
const CHUNK_RETRY_TIMES: u32 = 1;

struct Run {
    server: TestServer,
    scratch: tempfile::TempDir,
    exe: std::path::PathBuf,
    _build: tempfile::TempDir,
    check: Check,
}

impl Run {
    fn start(check: Check) -> Run {
        let build = tempfile::tempdir().unwrap();
        let exe = check.build_c(
            &manifest_dir().join("tests/c/transfer_matrix.c"),
            build.path(),
        );
        Run {
            server: start_server_with(REGION, true, None),
            scratch: tempfile::tempdir().unwrap(),
            exe,
            _build: build,
            check,
        }
    }

    fn client(&self) -> Client {
        let mut c = Config::new(REGION, BUCKET);
        c.endpoint = Some(self.server.endpoint());
        c.credentials = Some(Credentials::new(TEST_SECRET_ID, TEST_SECRET_KEY));
        Client::new(c).unwrap()
    }

    /// Run the program in `mode`; it must succeed, print its checks, and print nothing
    /// on stderr (the library prints nothing; valgrind prints only errors).
    fn run(&self, mode: &str) -> String {
        let mut cmd = self.check.command(&self.exe);
        cmd.arg(mode);
        let mut env = cos_env(&self.server, BUCKET);
        env.push(("QCOS_TEST_DIR", self.scratch.path().display().to_string()));
        isolate(&mut cmd, &env);
        let out: Output = cmd.output().expect("run transfer_matrix");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "transfer_matrix {mode} failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
            out.status
        );
        if self.check == Check::Valgrind {
            // The default settings print "possibly lost" blocks (the library's worker
            // threads' thread-locals, still alive at exit) without counting them as
            // errors; anything else valgrind reports already failed the exit status.
            // Check that nothing else reached stderr.
            for bad in [
                "definitely lost",
                "indirectly lost",
                "Invalid ",
                "uninitialised",
                "Mismatched",
            ] {
                assert!(!stderr.contains(bad), "{mode}: valgrind:\n{stderr}");
            }
            assert!(
                stderr.lines().all(|l| l.starts_with("==")),
                "{mode}: stderr:\n{stderr}"
            );
        } else {
            assert!(stderr.is_empty(), "{mode}: stderr:\n{stderr}");
        }
        assert!(stdout.contains(" 0 failed"), "{stdout}");
        assert!(!stdout.contains("FAIL"), "{stdout}");
        let checks = stdout.lines().filter(|l| l.starts_with("ok ")).count();
        assert!(checks >= 5, "{mode} checked almost nothing:\n{stdout}");
        stdout
    }
}

fn all_cases(check: Check) {
    let r = Run::start(check);
    let client = r.client();

    // Sizes, ranged downloads, the single copy and the stream.
    let before = r.server.stats();
    let out = r.run("matrix");
    for what in [
        "[size 0]",
        "[size 1]",
        "[size 1048576]",
        "[size 1048577]",
        "[size 5255225]",
        "[ranged download 5255225]",
        "[copy 1048577]",
        "[stream 3150049]",
    ] {
        assert!(out.contains(what), "no checks for {what}:\n{out}");
    }
    let after = r.server.stats();
    let delta = |op: &str| after.get(op) - before.get(op);
    // One PUT Object - Copy, no multipart copy.
    assert_eq!(delta("upload_part_copy"), 0, "{after:?}");
    // Uploads: the 0, 1 and 1 MiB files in one PUT each; 2 + 6 parts; the stream.
    assert!(delta("upload_part") >= 2 + 6 + 2, "{after:?}");
    for (key, len) in [
        ("matrix/0.bin", 0u64),
        ("matrix/1.bin", 1),
        ("matrix/1048576.bin", 1 << 20),
        ("matrix/1048577.bin", (1 << 20) + 1),
        ("matrix/5255225.bin", 5 * (1 << 20) + 12345),
        ("matrix/copy.bin", (1 << 20) + 1),
        ("matrix/stream.bin", 3 * (1 << 20) + 4321),
    ] {
        let head = client.head_object(key, &Default::default()).unwrap();
        assert_eq!(head.content_length, len, "{key}");
        assert!(head.crc64.is_some(), "{key}");
    }
    assert!(client.list_multipart_uploads("matrix/").unwrap().is_empty());

    // Resume: part 3 fails past its retries on the first call, and once more on the
    // second call (which retries it).
    let fault_times = 2 + CHUNK_RETRY_TIMES;
    r.server.faults().add(
        FaultRule::new(FaultAction::Status {
            http_status: 500,
            code: "InternalError".into(),
            message: "injected by tests/transfer_c.rs".into(),
        })
        .method("PUT")
        .path_contains("resume/")
        .query_contains("partNumber=3")
        .times(fault_times),
    );
    r.run("resume-fail");
    assert_eq!(
        r.server.faults().fired(0),
        u64::from(1 + CHUNK_RETRY_TIMES),
        "1 attempt + chunk_retry_times"
    );
    let kept = client.list_multipart_uploads("resume/").unwrap();
    assert_eq!(kept.len(), 1, "the upload is kept for resume: {kept:?}");
    let on_server = client
        .list_parts("resume/f.bin", &kept[0].upload_id)
        .unwrap();
    // The first call sends one part at a time: parts 1 and 2 are stored, 3 failed.
    assert_eq!(
        on_server.iter().map(|p| p.part_number).collect::<Vec<_>>(),
        [1, 2],
        "{on_server:?}"
    );
    let parts_before = r.server.stats().get("upload_part");
    let fired_before = r.server.faults().fired(0);
    let out = r.run("resume");
    let sent = r.server.stats().get("upload_part") - parts_before;
    let refused = r.server.faults().fired(0) - fired_before;
    assert_eq!(refused, 1, "the last injected failure hit the second call");
    let (parts, resumed) = out
        .lines()
        .find_map(|l| {
            let rest = l.strip_prefix("resume parts ")?;
            let (p, r) = rest.split_once(" resumed ")?;
            Some((p.trim().parse::<u64>().ok()?, r.trim().parse::<u64>().ok()?))
        })
        .unwrap_or_else(|| panic!("no resume line:\n{out}"));
    assert_eq!(parts, 7);
    assert_eq!(
        resumed,
        on_server.len() as u64,
        "every stored part is reused"
    );
    assert_eq!(
        sent,
        parts - resumed + refused,
        "only the missing parts were sent (plus the retried refusal)"
    );
    assert!(client.list_multipart_uploads("resume/").unwrap().is_empty());

    // CRC-64 mismatches: on part 2 of a multipart upload, and on a single PUT.
    r.server.faults().clear();
    r.server.faults().add(
        FaultRule::new(FaultAction::WrongCrc64)
            .method("PUT")
            .path_contains("crc/big")
            .query_contains("partNumber=2")
            .times(0),
    );
    r.server.faults().add(
        FaultRule::new(FaultAction::WrongCrc64)
            .method("PUT")
            .path_contains("crc/small")
            .times(0),
    );
    r.run("crc");
    assert!(r.server.faults().fired(0) >= 1);
    assert!(r.server.faults().fired(1) >= 1);
    let e = client
        .head_object("crc/big.bin", &Default::default())
        .unwrap_err();
    assert_eq!(e.service().map(|s| s.http_status), Some(404), "{e}");
    let left = client.list_multipart_uploads("crc/").unwrap();
    assert!(left.is_empty(), "on_error ABORT leaves no upload: {left:?}");
}

/// Every case, natively.
#[test]
fn c_transfer_matrix() {
    all_cases(Check::Native);
}

/// Every case under valgrind: no leak, no invalid access.
#[test]
fn c_transfer_matrix_under_valgrind() {
    all_cases(Check::Valgrind);
}

/// Every case built with AddressSanitizer and UBSan against the cdylib: no overrun,
/// double free, use after free or leak from C.
#[test]
fn c_transfer_matrix_under_asan() {
    if Check::Asan.available() {
        all_cases(Check::Asan);
    }
}
