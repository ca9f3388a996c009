//! Retries, clock skew, credentials (temporary, provider), integrity and atomic
//! downloads, driven by qcos-server's fault injection.

mod client_common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use client_common::*;
use qcos::auth::{CredentialProvider, Credentials};
use qcos::{Body, Client, GetObjectOptions, PutObjectOptions, Status};
use qcos_server::{FaultAction, FaultRule};

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn slow_down() -> FaultAction {
    FaultAction::Status {
        http_status: 503,
        code: "SlowDown".into(),
        message: "Please reduce your request rate.".into(),
    }
}

#[test]
fn retries_injected_503_slowdown_then_succeeds() {
    let env = start();
    let c = env.client_with_bucket("retry-1250000000");
    env.server.faults().add(
        FaultRule::new(slow_down())
            .method("PUT")
            .path_contains("obj")
            .times(2),
    );
    let before = env.server.stats().get("put_object");
    c.put_object("obj", Body::Bytes(b"payload"), &PutObjectOptions::default())
        .expect("put succeeds on the third attempt");
    assert_eq!(env.server.faults().fired(0), 2);
    assert_eq!(env.server.stats().get("put_object") - before, 3);
    let mut out = Vec::new();
    c.get_object("obj", &GetObjectOptions::default(), &mut out)
        .unwrap();
    assert_eq!(out, b"payload");

    // A file body is replayed too.
    let f = env.dir.path().join("f.bin");
    std::fs::write(&f, vec![7u8; 50_000]).unwrap();
    env.server.faults().add(
        FaultRule::new(slow_down())
            .method("PUT")
            .path_contains("fileobj"),
    );
    c.put_object("fileobj", Body::File(&f), &PutObjectOptions::default())
        .expect("file put retried");
    assert_eq!(env.server.faults().fired(1), 1);
}

#[test]
fn retries_give_up_after_max_and_one_shot_readers_are_not_retried() {
    let env = start();
    let mut cfg = env.config("giveup-1250000000");
    cfg.max_retries = 1;
    let c = Client::new(cfg).unwrap();
    c.create_bucket().unwrap();
    env.server.faults().add(
        FaultRule::new(slow_down())
            .method("PUT")
            .path_contains("k1")
            .times(5),
    );
    let e = c
        .put_object("k1", Body::Bytes(b"x"), &PutObjectOptions::default())
        .unwrap_err();
    assert_eq!(e.service().map(|s| s.code.as_str()), Some("SlowDown"));
    assert_eq!(env.server.faults().fired(0), 2, "1 try + 1 retry");

    env.server.faults().add(
        FaultRule::new(slow_down())
            .method("PUT")
            .path_contains("k2"),
    );
    let mut r: &[u8] = b"abc";
    let e = c
        .put_object(
            "k2",
            Body::Reader {
                reader: &mut r,
                len: 3,
            },
            &PutObjectOptions::default(),
        )
        .unwrap_err();
    assert_eq!(e.service().map(|s| s.http_status), Some(503));
    assert_eq!(env.server.faults().fired(1), 1, "a reader is sent once");
}

#[test]
fn retries_a_connection_reset() {
    let env = start();
    let c = env.client_with_bucket("reset-1250000000");
    c.put_object("r", Body::Bytes(b"data"), &PutObjectOptions::default())
        .unwrap();
    env.server.faults().add(
        FaultRule::new(FaultAction::ResetBeforeBody)
            .method("GET")
            .path_contains("/r"),
    );
    let mut out = Vec::new();
    c.get_object("r", &GetObjectOptions::default(), &mut out)
        .expect("retried after reset");
    assert_eq!(out, b"data");
    assert_eq!(env.server.faults().fired(0), 1);
}

#[test]
fn a_stalled_server_times_out() {
    let env = start();
    let mut cfg = env.config("stall-1250000000");
    cfg.io_timeout_ms = 300;
    cfg.max_retries = 0;
    let c = Client::new(cfg).unwrap();
    c.create_bucket().unwrap();
    env.server
        .faults()
        .add(FaultRule::new(FaultAction::Stall(Duration::from_secs(3))).method("HEAD"));
    let e = c.head_bucket().unwrap_err();
    assert_eq!(e.status(), Status::Timeout, "{e}");
}

#[test]
fn clock_skew_of_an_hour_is_learned_and_the_request_resent() {
    let env = start_with(|s| s.clock_skew_secs = 3600);
    let c = Client::new(env.config("skew-1250000000")).unwrap();
    assert_eq!(c.clock_offset(), 0);
    c.create_bucket()
        .expect("re-signed with the server's clock");
    let off = c.clock_offset();
    assert!((off - 3600).abs() <= 5, "offset {off}");
    // Later requests are signed right the first time.
    let errors = env.server.stats().errors;
    c.put_object("k", Body::Bytes(b"x"), &PutObjectOptions::default())
        .unwrap();
    assert_eq!(env.server.stats().errors, errors);

    // The server's clock moves the other way mid-session: recovered again.
    env.server.set_clock_skew(-3600);
    c.head_object("k", &GetObjectOptions::default())
        .expect("recovered");
    assert!((c.clock_offset() + 3600).abs() <= 5);

    // With correction off, the skew is an error.
    let mut cfg = env.config("skew-1250000000");
    cfg.correct_clock_skew = false;
    let strict = Client::new(cfg).unwrap();
    let e = strict
        .list_objects(&qcos::ListObjectsOptions::default())
        .unwrap_err();
    let s = e.service().expect("service error");
    assert!(s.is_clock_skew(), "{s:?}");
}

#[test]
fn temporary_credentials_send_the_token() {
    let env = start_with(|s| {
        s.temporary
            .push(("TMPID".into(), "TMPKEY".into(), "TOKEN+/=".into()))
    });
    let mut cfg = env.config("tmp-1250000000");
    cfg.credentials = Some(Credentials::temporary(
        "TMPID",
        "TMPKEY",
        "TOKEN+/=",
        Some(now() - 10),
        now() + 3600,
    ));
    let c = Client::new(cfg).unwrap();
    c.create_bucket()
        .expect("signed with temporary credentials");
    c.put_object("k", Body::Bytes(b"x"), &PutObjectOptions::default())
        .unwrap();
    // Wrong token: refused.
    let mut cfg = env.config("tmp-1250000000");
    cfg.credentials = Some(Credentials::temporary(
        "TMPID",
        "TMPKEY",
        "WRONG",
        None,
        now() + 3600,
    ));
    let e = Client::new(cfg).unwrap().head_bucket().unwrap_err();
    assert_eq!(e.service().map(|s| s.http_status), Some(403));
    let text = format!("{e} {e:?}");
    assert!(
        !text.contains("TMPKEY") && !text.contains("WRONG"),
        "{text}"
    );
}

struct Sts {
    calls: AtomicU32,
}

impl CredentialProvider for Sts {
    fn fetch(&self) -> qcos::Result<Credentials> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        // The first answer is about to expire (inside the 60 s margin); the next lasts.
        let lifetime = if n == 0 { 30 } else { 3600 };
        Ok(Credentials::temporary(
            "TMPID",
            "TMPKEY",
            "TOKEN",
            Some(now() - 5),
            now() + lifetime,
        ))
    }
}

#[test]
fn credential_provider_is_called_lazily_and_again_when_expiring() {
    let env = start_with(|s| {
        s.temporary
            .push(("TMPID".into(), "TMPKEY".into(), "TOKEN".into()))
    });
    let sts = Arc::new(Sts {
        calls: AtomicU32::new(0),
    });
    let mut cfg = env.config("prov-1250000000");
    cfg.credentials = None;
    cfg.credential_provider = Some(sts.clone());
    let c = Client::new(cfg).unwrap();
    assert_eq!(sts.calls.load(Ordering::SeqCst), 0, "not called before use");
    c.create_bucket().unwrap();
    assert_eq!(sts.calls.load(Ordering::SeqCst), 1);
    c.head_bucket().unwrap();
    assert_eq!(
        sts.calls.load(Ordering::SeqCst),
        2,
        "refreshed: the cached credentials expire within the margin"
    );
    c.head_bucket().unwrap();
    c.put_object("k", Body::Bytes(b"x"), &PutObjectOptions::default())
        .unwrap();
    assert_eq!(sts.calls.load(Ordering::SeqCst), 2, "cached while valid");

    struct Broken;
    impl CredentialProvider for Broken {
        fn fetch(&self) -> qcos::Result<Credentials> {
            Err(qcos::Error::Auth("STS said no".into()))
        }
    }
    let mut cfg = env.config("prov-1250000000");
    cfg.credentials = None;
    cfg.credential_provider = Some(Arc::new(Broken));
    let e = Client::new(cfg).unwrap().head_bucket().unwrap_err();
    assert_eq!(e.status(), Status::Auth);
    assert!(e.to_string().contains("STS said no"), "{e}");
}

#[test]
fn crc_mismatch_on_download_leaves_no_file_behind() {
    let env = start();
    let c = env.client_with_bucket("crc-1250000000");
    let data = vec![42u8; 200_000];
    c.put_object("obj", Body::Bytes(&data), &PutObjectOptions::default())
        .unwrap();
    let dir = env.dir.path().join("downloads");
    std::fs::create_dir(&dir).unwrap();
    let dest = dir.join("obj.bin");

    env.server.faults().add(
        FaultRule::new(FaultAction::WrongCrc64)
            .method("GET")
            .path_contains("obj"),
    );
    let e = c
        .get_object_to_file("obj", &dest, &GetObjectOptions::default())
        .unwrap_err();
    assert_eq!(e.status(), Status::Integrity, "{e}");
    assert!(
        std::fs::read_dir(&dir).unwrap().next().is_none(),
        "no file, no temporary file"
    );

    // An existing file is left untouched by a failed download...
    std::fs::write(&dest, b"old contents").unwrap();
    env.server.faults().add(
        FaultRule::new(FaultAction::WrongCrc64)
            .method("GET")
            .path_contains("obj"),
    );
    assert_eq!(
        c.get_object_to_file("obj", &dest, &GetObjectOptions::default())
            .unwrap_err()
            .status(),
        Status::Integrity
    );
    assert_eq!(std::fs::read(&dest).unwrap(), b"old contents");
    let e = c
        .get_object_to_file("missing", &dest, &GetObjectOptions::default())
        .unwrap_err();
    assert_eq!(e.service().map(|s| s.code.as_str()), Some("NoSuchKey"));
    assert_eq!(std::fs::read(&dest).unwrap(), b"old contents");
    let names: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert_eq!(names.len(), 1, "only the original file");

    // ...and replaced by a successful one.
    c.get_object_to_file("obj", &dest, &GetObjectOptions::default())
        .unwrap();
    assert_eq!(std::fs::read(&dest).unwrap(), data);
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);

    // To a buffer: the same check.
    env.server.faults().add(
        FaultRule::new(FaultAction::WrongCrc64)
            .method("GET")
            .path_contains("obj"),
    );
    let mut buf = vec![0u8; 200_000];
    let e = c
        .get_object_to_buffer("obj", &mut buf, &GetObjectOptions::default())
        .unwrap_err();
    assert_eq!(e.status(), Status::Integrity);
}

#[test]
fn truncated_download_keeps_the_old_file() {
    let env = start();
    let mut cfg = env.config("trunc-1250000000");
    cfg.max_retries = 0;
    let c = Client::new(cfg).unwrap();
    c.create_bucket().unwrap();
    c.put_object(
        "obj",
        Body::Bytes(&vec![1u8; 500_000]),
        &PutObjectOptions::default(),
    )
    .unwrap();
    let dest = env.dir.path().join("t.bin");
    std::fs::write(&dest, b"previous").unwrap();
    env.server.faults().add(
        FaultRule::new(FaultAction::TruncatedBody)
            .method("GET")
            .path_contains("obj"),
    );
    let e = c
        .get_object_to_file("obj", &dest, &GetObjectOptions::default())
        .unwrap_err();
    assert!(
        matches!(
            e.status(),
            Status::Network | Status::Integrity | Status::Timeout
        ),
        "{e}"
    );
    assert_eq!(std::fs::read(&dest).unwrap(), b"previous");
    let leftovers = std::fs::read_dir(env.dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".qcos-"))
        .count();
    assert_eq!(leftovers, 0);
}

#[test]
fn crc_mismatch_on_upload_is_an_integrity_error() {
    let env = start();
    let c = env.client_with_bucket("upcrc-1250000000");
    env.server.faults().add(
        FaultRule::new(FaultAction::WrongCrc64)
            .method("PUT")
            .path_contains("obj"),
    );
    let e = c
        .put_object(
            "obj",
            Body::Bytes(b"some bytes"),
            &PutObjectOptions::default(),
        )
        .unwrap_err();
    assert_eq!(e.status(), Status::Integrity, "{e}");
}

#[test]
fn malformed_xml_is_a_protocol_error() {
    let env = start();
    let c = env.client_with_bucket("badxml-1250000000");
    env.server.faults().add(
        FaultRule::new(FaultAction::MalformedXml)
            .method("GET")
            .query_contains("prefix"),
    );
    let e = c
        .list_objects(&qcos::ListObjectsOptions::default())
        .unwrap_err();
    assert_eq!(e.status(), Status::Protocol, "{e}");
}

#[test]
fn download_broken_midway_is_resumed_into_the_same_temp_file() {
    let env = start();
    let c = env.client_with_bucket("restart-1250000000");
    let data: Vec<u8> = (0..600_000u32).map(|i| (i % 251) as u8).collect();
    c.put_object("obj", Body::Bytes(&data), &PutObjectOptions::default())
        .unwrap();
    env.server.faults().add(
        FaultRule::new(FaultAction::TruncatedBody)
            .method("GET")
            .path_contains("obj"),
    );
    let dest = env.dir.path().join("restarted.bin");
    let before = env.server.stats();
    let info = c
        .get_object_to_file("obj", &dest, &GetObjectOptions::default())
        .expect("resumed download");
    let after = env.server.stats();
    assert_eq!(env.server.faults().fired(0), 1);
    assert_eq!(after.get("get_object") - before.get("get_object"), 2);
    // The second GET asked only for the missing half: no byte was served twice.
    assert_eq!(after.bytes_out - before.bytes_out, data.len() as u64);
    assert_eq!(std::fs::read(&dest).unwrap(), data);
    assert_eq!(info.content_length, data.len() as u64);
    let temps = std::fs::read_dir(env.dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".qcos-"))
        .count();
    assert_eq!(temps, 0);
}
