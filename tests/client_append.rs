//! APPEND Object through the Rust client against qcos-server: positions, the 409s,
//! normal objects, integrity, bad input, and retries that never append twice.

mod client_common;

use client_common::*;
use qcos::crc64;
use qcos::{Body, Client, Error, GetObjectOptions, PutObjectOptions, Status};
use qcos_server::{FaultAction, FaultRule};

fn get(c: &Client, key: &str) -> (Vec<u8>, qcos::ObjectInfo) {
    let mut out = Vec::new();
    let info = c
        .get_object(key, &GetObjectOptions::default(), &mut out)
        .unwrap();
    (out, info)
}

fn object_type(info: &qcos::ObjectInfo) -> Option<&str> {
    info.headers
        .iter()
        .find(|(k, _)| k == "x-cos-object-type")
        .map(|(_, v)| v.as_str())
}

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

#[test]
fn create_at_zero_then_append_bytes_files_and_readers() {
    let env = start();
    let c = env.client_with_bucket("append-1250000000");
    let opts = PutObjectOptions {
        content_type: Some("text/plain".into()),
        meta: vec![("origin".into(), "first".into())],
        check_content_md5: Some(true),
        ..Default::default()
    };
    let a = pattern(100_000, 1);
    let out = c
        .append_object("logs/app.log", 0, Body::Bytes(&a), &opts)
        .unwrap();
    assert_eq!(out.next_position, 100_000);
    assert_eq!(out.crc64, Some(crc64::checksum(&a)));
    assert!(!out.etag.is_empty() && !out.request_id.is_empty());
    let mut whole = a.clone();

    // From a file.
    let f = env.dir.path().join("chunk.bin");
    let b = pattern(50_001, 2);
    std::fs::write(&f, &b).unwrap();
    let out = c
        .append_object(
            "logs/app.log",
            out.next_position,
            Body::File(&f),
            &PutObjectOptions::default(),
        )
        .unwrap();
    whole.extend_from_slice(&b);
    assert_eq!(out.next_position, whole.len() as u64);
    assert_eq!(out.crc64, Some(crc64::checksum(&whole)));

    // From a reader, checked against the previous CRC.
    let d = pattern(7, 3);
    let mut r = std::io::Cursor::new(d.clone());
    let prev = out.crc64.unwrap();
    let out = c
        .append_object_checked(
            "logs/app.log",
            out.next_position,
            prev,
            Body::Reader {
                reader: &mut r,
                len: 7,
            },
            &PutObjectOptions::default(),
        )
        .unwrap();
    whole.extend_from_slice(&d);
    assert_eq!(out.next_position, whole.len() as u64);

    // A file range.
    let out = c
        .append_object(
            "logs/app.log",
            out.next_position,
            Body::FileRange {
                path: &f,
                offset: 10,
                len: 20,
            },
            &PutObjectOptions::default(),
        )
        .unwrap();
    whole.extend_from_slice(&b[10..30]);
    assert_eq!(out.next_position, whole.len() as u64);

    let (bytes, info) = get(&c, "logs/app.log");
    assert!(bytes == whole);
    assert_eq!(info.crc64, Some(crc64::checksum(&whole)));
    assert_eq!(info.received_crc64, info.crc64);
    assert_eq!(info.content_type, "text/plain");
    assert_eq!(info.meta, vec![("origin".to_string(), "first".to_string())]);
    assert_eq!(object_type(&info), Some("appendable"));
    let head = c
        .head_object("logs/app.log", &GetObjectOptions::default())
        .unwrap();
    assert_eq!(head.content_length, whole.len() as u64);
    assert_eq!(head.etag, out.etag);
}

#[test]
fn checked_append_detects_a_wrong_previous_crc() {
    let env = start();
    let c = env.client_with_bucket("append-crc-1250000000");
    let o = PutObjectOptions::default();
    let first = c.append_object("k", 0, Body::Bytes(b"hello"), &o).unwrap();
    let e = c
        .append_object_checked("k", 5, first.crc64.unwrap() ^ 1, Body::Bytes(b" world"), &o)
        .unwrap_err();
    assert_eq!(e.status(), Status::Integrity, "{e}");
    assert!(e.to_string().contains("CRC-64"), "{e}");
    // The bytes were appended (the check is about what the caller believed was there).
    let (bytes, _) = get(&c, "k");
    assert_eq!(bytes, b"hello world");
    let ok = c
        .append_object_checked(
            "k",
            11,
            crc64::checksum(b"hello world"),
            Body::Bytes(b"!"),
            &o,
        )
        .unwrap();
    assert_eq!(ok.crc64, Some(crc64::checksum(b"hello world!")));
}

#[test]
fn wrong_position_is_a_409_naming_the_current_length() {
    let env = start();
    let c = env.client_with_bucket("append-409-1250000000");
    let o = PutObjectOptions::default();
    c.append_object("k", 0, Body::Bytes(b"12345"), &o).unwrap();
    for wrong in [0u64, 3, 9] {
        let e = c
            .append_object("k", wrong, Body::Bytes(b"x"), &o)
            .unwrap_err();
        let s = e
            .service()
            .unwrap_or_else(|| panic!("not a service error: {e}"));
        assert_eq!(s.http_status, 409);
        assert_eq!(s.code, "PositionNotEqualToLength");
        assert!(!s.request_id.is_empty());
        assert!(
            s.message
                .contains("the object is 5 bytes long now: the next append goes at position 5"),
            "{}",
            s.message
        );
    }
    // A missing key: length 0.
    let e = c
        .append_object("nothing", 4, Body::Bytes(b"x"), &o)
        .unwrap_err();
    assert!(
        e.to_string().contains("the next append goes at position 0"),
        "{e}"
    );
    assert_eq!(get(&c, "k").0, b"12345");
}

#[test]
fn normal_objects_refuse_appends_and_put_makes_an_object_normal() {
    let env = start();
    let c = env.client_with_bucket("append-normal-1250000000");
    let o = PutObjectOptions::default();
    c.put_object("plain", Body::Bytes(b"abc"), &o).unwrap();
    let info = c
        .head_object("plain", &GetObjectOptions::default())
        .unwrap();
    assert_eq!(object_type(&info), Some("normal"));
    let e = c
        .append_object("plain", 3, Body::Bytes(b"d"), &o)
        .unwrap_err();
    let s = e.service().expect("service error");
    assert_eq!(
        (s.http_status, s.code.as_str()),
        (409, "ObjectNotAppendable")
    );
    assert_eq!(get(&c, "plain").0, b"abc");

    c.append_object("log", 0, Body::Bytes(b"one"), &o).unwrap();
    c.put_object("log", Body::Bytes(b"two"), &o).unwrap();
    let (bytes, info) = get(&c, "log");
    assert_eq!(bytes, b"two");
    assert_eq!(object_type(&info), Some("normal"));
    let e = c
        .append_object("log", 3, Body::Bytes(b"x"), &o)
        .unwrap_err();
    assert_eq!(
        e.service().map(|s| s.code.as_str()),
        Some("ObjectNotAppendable")
    );
}

#[test]
fn bad_input_is_refused_before_sending() {
    let env = start();
    let c = env.client_with_bucket("append-bad-1250000000");
    let before = env.server.stats().get("append_object");
    let e = c
        .append_object("", 0, Body::Bytes(b"x"), &PutObjectOptions::default())
        .unwrap_err();
    assert_eq!(e.status(), Status::InvalidArgument);
    assert!(e.to_string().contains("the object key is empty"), "{e}");
    for (name, value) in [("x-cos-meta-a", "line\r\nbreak"), ("x-evil\r\nhost", "v")] {
        let opts = PutObjectOptions {
            headers: vec![(name.into(), value.into())],
            ..Default::default()
        };
        let e = c
            .append_object("k", 0, Body::Bytes(b"x"), &opts)
            .unwrap_err();
        assert_eq!(e.status(), Status::InvalidArgument, "{e}");
        assert!(e.to_string().contains("header"), "{e}");
    }
    let opts = PutObjectOptions {
        content_type: Some("text/plain\nX-Injected: 1".into()),
        ..Default::default()
    };
    let e = c
        .append_object("k", 0, Body::Bytes(b"x"), &opts)
        .unwrap_err();
    assert_eq!(e.status(), Status::InvalidArgument, "{e}");
    // Past 5 GB.
    let e = c
        .append_object(
            "k",
            5 * 1024 * 1024 * 1024,
            Body::Bytes(b"x"),
            &PutObjectOptions::default(),
        )
        .unwrap_err();
    assert!(e.to_string().contains("5 GB"), "{e}");
    // A file that is not there.
    let e = c
        .append_object(
            "k",
            0,
            Body::File(&env.dir.path().join("missing.bin")),
            &PutObjectOptions::default(),
        )
        .unwrap_err();
    assert_eq!(e.status(), Status::Io, "{e}");
    assert_eq!(
        env.server.stats().get("append_object"),
        before,
        "nothing sent"
    );
}

/// The server appends, then the connection drops before the answer: the client must
/// find its bytes in place and not send them again.
#[test]
fn a_lost_response_is_confirmed_by_head_and_never_appended_twice() {
    let env = start();
    let c = env.client_with_bucket("append-lost-1250000000");
    let o = PutObjectOptions::default();
    let rule = |key: &str| {
        FaultRule::new(FaultAction::ResetAfterBody)
            .method("POST")
            .path_contains(key)
            .query_contains("append")
    };
    // Position 0: the CRC of what was before is known (empty).
    env.server.faults().add(rule("lost0"));
    let a = pattern(30_000, 5);
    let out = c.append_object("lost0", 0, Body::Bytes(&a), &o).unwrap();
    assert_eq!(env.server.faults().fired(0), 1);
    assert_eq!(out.next_position, 30_000);
    assert_eq!(out.crc64, Some(crc64::checksum(&a)));
    assert_eq!(env.server.stats().get("append_object"), 1, "sent once");
    assert_eq!(get(&c, "lost0").0, a);

    // Later position, previous CRC unknown: the appended range is read back and checked.
    let b = pattern(20_000, 6);
    env.server.faults().add(rule("lost0"));
    let gets = env.server.stats().get("get_object");
    let out = c
        .append_object("lost0", 30_000, Body::Bytes(&b), &o)
        .unwrap();
    assert_eq!(env.server.faults().fired(1), 1);
    assert_eq!(out.next_position, 50_000);
    assert_eq!(env.server.stats().get("append_object"), 2);
    assert_eq!(
        env.server.stats().get("get_object"),
        gets + 1,
        "range read back"
    );
    let mut whole = a.clone();
    whole.extend_from_slice(&b);
    assert_eq!(get(&c, "lost0").0, whole);

    // Previous CRC given: checked by combining CRCs, no read back.
    env.server.faults().add(rule("lost0"));
    let gets = env.server.stats().get("get_object");
    let out = c
        .append_object_checked(
            "lost0",
            50_000,
            crc64::checksum(&whole),
            Body::Bytes(b"end"),
            &o,
        )
        .unwrap();
    whole.extend_from_slice(b"end");
    assert_eq!(out.crc64, Some(crc64::checksum(&whole)));
    assert_eq!(env.server.stats().get("get_object"), gets);

    // A one-shot reader whose answer was lost is confirmed the same way.
    env.server.faults().add(rule("lost0"));
    let mut r = std::io::Cursor::new(b"reader".to_vec());
    let out = c
        .append_object(
            "lost0",
            whole.len() as u64,
            Body::Reader {
                reader: &mut r,
                len: 6,
            },
            &o,
        )
        .unwrap();
    whole.extend_from_slice(b"reader");
    assert_eq!(out.next_position, whole.len() as u64);
    assert_eq!(env.server.stats().get("append_object"), 4);
    let (bytes, info) = get(&c, "lost0");
    assert!(bytes == whole);
    assert_eq!(info.crc64, Some(crc64::checksum(&whole)));
}

/// Failures that certainly appended nothing (a body cut midway, a 503) are sent again;
/// a one-shot reader cannot be, and says nothing was appended.
#[test]
fn failures_before_the_append_are_resent_once_the_head_shows_nothing_happened() {
    let env = start();
    let c = env.client_with_bucket("append-resend-1250000000");
    let o = PutObjectOptions::default();
    c.append_object("k", 0, Body::Bytes(b"base"), &o).unwrap();
    env.server.faults().add(
        FaultRule::new(FaultAction::ResetMidBody)
            .method("POST")
            .path_contains("k")
            .query_contains("append"),
    );
    env.server.faults().add(
        FaultRule::new(FaultAction::Status {
            http_status: 503,
            code: "SlowDown".into(),
            message: "Please reduce your request rate.".into(),
        })
        .method("POST")
        .path_contains("k")
        .query_contains("append")
        .nth(2),
    );
    let body = pattern(200_000, 9);
    let before = env.server.stats().get("append_object");
    let out = c.append_object("k", 4, Body::Bytes(&body), &o).unwrap();
    assert_eq!(env.server.faults().fired(0), 1);
    assert_eq!(env.server.faults().fired(1), 1);
    assert_eq!(env.server.stats().get("append_object") - before, 3);
    let mut whole = b"base".to_vec();
    whole.extend_from_slice(&body);
    assert_eq!(out.next_position, whole.len() as u64);
    assert!(get(&c, "k").0 == whole);

    // A reader is not sent twice: the error says nothing was appended.
    env.server.faults().add(
        FaultRule::new(FaultAction::ResetMidBody)
            .method("POST")
            .path_contains("k")
            .query_contains("append"),
    );
    let data = pattern(100_000, 4);
    let mut r = std::io::Cursor::new(data);
    let e = c
        .append_object(
            "k",
            whole.len() as u64,
            Body::Reader {
                reader: &mut r,
                len: 100_000,
            },
            &o,
        )
        .unwrap_err();
    assert!(matches!(e, Error::Network { .. }), "{e:?}");
    assert!(e.to_string().contains("nothing was appended"), "{e}");
    assert!(get(&c, "k").0 == whole);

    // Retries run out: the last error, noting that nothing was appended.
    let mut cfg = env.config("append-resend-1250000000");
    cfg.max_retries = 1;
    let c1 = Client::new(cfg).unwrap();
    env.server.faults().add(
        FaultRule::new(FaultAction::Status {
            http_status: 500,
            code: "InternalError".into(),
            message: "We encountered an internal error.".into(),
        })
        .method("POST")
        .path_contains("k")
        .query_contains("append")
        .times(5),
    );
    let e = c1
        .append_object("k", whole.len() as u64, Body::Bytes(b"zz"), &o)
        .unwrap_err();
    assert_eq!(e.service().map(|s| s.code.as_str()), Some("InternalError"));
    assert_eq!(env.server.faults().fired(3), 2, "1 try + 1 retry");
    assert!(get(&c, "k").0 == whole);
}

/// When the object changed under a failed append (another writer), nothing is resent
/// and the error says why.
#[test]
fn an_object_changed_by_another_writer_is_reported_not_retried() {
    let env = start();
    let c = env.client_with_bucket("append-race-1250000000");
    let o = PutObjectOptions::default();
    c.append_object("k", 0, Body::Bytes(b"base"), &o).unwrap();
    // Another writer appends first, so our position is stale; our request is then dropped
    // unanswered, and the HEAD after the failure shows neither position nor position + len.
    let other = Client::new(env.config("append-race-1250000000")).unwrap();
    other
        .append_object("k", 4, Body::Bytes(b"other writer"), &o)
        .unwrap();
    env.server.faults().add(
        FaultRule::new(FaultAction::ResetBeforeBody)
            .method("POST")
            .path_contains("k")
            .query_contains("append"),
    );
    let e = c
        .append_object("k", 4, Body::Bytes(b"mine"), &o)
        .unwrap_err();
    assert_eq!(e.status(), Status::InvalidState, "{e}");
    assert!(e.to_string().contains("another writer"), "{e}");
    assert!(
        e.to_string()
            .contains("the next append goes at position 16"),
        "{e}"
    );
    assert_eq!(get(&c, "k").0, b"baseother writer");
}

/// A large body sent to a wrong position or a normal object: the server answers 409
/// before reading it, and the client still reports the 409 (not a network error).
#[test]
fn large_refused_appends_report_the_409() {
    let env = start();
    let c = env.client_with_bucket("append-large-1250000000");
    let o = PutObjectOptions::default();
    c.append_object("k", 0, Body::Bytes(b"12345"), &o).unwrap();
    c.put_object("plain", Body::Bytes(b"abc"), &o).unwrap();
    let big = pattern(8 << 20, 7);
    let e = c.append_object("k", 1, Body::Bytes(&big), &o).unwrap_err();
    assert_eq!(
        e.service().map(|s| (s.http_status, s.code.as_str())),
        Some((409, "PositionNotEqualToLength")),
        "{e}"
    );
    let e = c
        .append_object("plain", 3, Body::Bytes(&big), &o)
        .unwrap_err();
    assert_eq!(
        e.service().map(|s| (s.http_status, s.code.as_str())),
        Some((409, "ObjectNotAppendable")),
        "{e}"
    );
    assert_eq!(get(&c, "k").0, b"12345");
}

/// After a failed attempt the object has grown by exactly our length, but with another
/// writer's bytes: the read-back CRC-64 tells them apart, and nothing is resent.
#[test]
fn same_length_bytes_of_another_writer_are_not_taken_for_ours() {
    let env = start();
    let c = env.client_with_bucket("append-same-1250000000");
    let o = PutObjectOptions::default();
    c.append_object("k", 0, Body::Bytes(b"base"), &o).unwrap();
    // Our append is dropped unread; the HEAD that follows is held back long enough
    // for another writer to append four other bytes at our position.
    env.server.faults().add(
        FaultRule::new(FaultAction::ResetBeforeBody)
            .method("POST")
            .path_contains("k")
            .query_contains("append"),
    );
    env.server.faults().add(
        FaultRule::new(FaultAction::Stall(std::time::Duration::from_secs(5)))
            .method("HEAD")
            .path_contains("k"),
    );
    let other = Client::new(env.config("append-same-1250000000")).unwrap();
    let faults = env.server.faults();
    let e = std::thread::scope(|scope| {
        scope.spawn(|| {
            // Wait until our HEAD is being held back, then append.
            while faults.fired(1) == 0 {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            other
                .append_object("k", 4, Body::Bytes(b"THEM"), &PutObjectOptions::default())
                .unwrap();
        });
        c.append_object("k", 4, Body::Bytes(b"mine"), &o)
            .unwrap_err()
    });
    assert_eq!(e.status(), Status::InvalidState, "{e}");
    assert!(e.to_string().contains("not the ones sent"), "{e}");
    assert_eq!(get(&c, "k").0, b"baseTHEM");
}

/// An STS stand-in for the temporary-key tests: call `n` hands out generation
/// `first + n` of [`tmp_keys`], claiming an hour of life.
struct Sts {
    first: u32,
    calls: std::sync::atomic::AtomicU32,
}

impl qcos::auth::CredentialProvider for Sts {
    fn fetch(&self) -> qcos::Result<qcos::auth::Credentials> {
        let n = self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let (id, key, token) = tmp_keys(self.first + n);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        Ok(qcos::auth::Credentials::temporary(
            id,
            key,
            token,
            Some(now - 5),
            now + 3600,
        ))
    }
}

fn tmp_keys(n: u32) -> (String, String, String) {
    (
        format!("AKIDappendTMP{n}"),
        format!("appendTmpKey{n}"),
        format!("append-tmp-token-{n}"),
    )
}

/// A server accepting four generations of temporary keys, the bucket created with the
/// permanent ones, and the tokens of generations `expired` refused as expired
/// (`400 ExpiredToken`) although they claim an hour of life.
/// The server's error answers since `before`, once at least `want` are counted (it
/// counts an exchange after writing the answer, so the client may read the answer
/// first), and after a moment more, so that any extra answer is counted too.
fn errors_since(env: &Env, before: u64, want: u64) -> u64 {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while env.server.stats().errors - before < want && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    std::thread::sleep(std::time::Duration::from_millis(100));
    env.server.stats().errors - before
}

fn tmp_env(bucket: &str, expired: &[u32]) -> Env {
    let env = start_with(|s| {
        for n in 0..4 {
            s.temporary.push(tmp_keys(n));
        }
    });
    env.client_with_bucket(bucket);
    for n in expired {
        env.server.faults().expire_token(&tmp_keys(*n).2, 0);
    }
    env
}

fn provider_client(env: &Env, bucket: &str, sts: &std::sync::Arc<Sts>) -> Client {
    let mut cfg = env.config(bucket);
    cfg.credentials = None;
    cfg.credential_provider = Some(sts.clone());
    Client::new(cfg).unwrap()
}

/// APPEND with temporary keys from a provider whose first keys COS refuses as expired:
/// the append is signed with the provider's next keys and sent again (it was refused
/// before anything happened), its bytes are in the object exactly once, and later
/// appends (bytes and a file) use the fresh keys without asking the provider again.
#[test]
fn append_refreshes_temporary_keys_refused_as_expired() {
    const BUCKET: &str = "appendtmp-1250000000";
    let env = tmp_env(BUCKET, &[0]);
    let sts = std::sync::Arc::new(Sts {
        first: 0,
        calls: Default::default(),
    });
    let c = provider_client(&env, BUCKET, &sts);
    let a = pattern(70_000, 7);
    let before = env.server.stats();
    let out = c
        .append_object("tmp/log", 0, Body::Bytes(&a), &PutObjectOptions::default())
        .expect("the append succeeds with the refreshed keys");
    assert_eq!(out.next_position, 70_000);
    assert_eq!(out.crc64, Some(crc64::checksum(&a)));
    let calls = || sts.calls.load(std::sync::atomic::Ordering::SeqCst);
    assert_eq!(calls(), 2, "the provider was asked again once");
    let after = env.server.stats();
    assert_eq!(after.errors - before.errors, 1, "one refused attempt");

    let f = env.dir.path().join("more.bin");
    let b = pattern(30_000, 8);
    std::fs::write(&f, &b).unwrap();
    let out = c
        .append_object_checked(
            "tmp/log",
            out.next_position,
            out.crc64.unwrap(),
            Body::File(&f),
            &PutObjectOptions::default(),
        )
        .unwrap();
    assert_eq!(out.next_position, 100_000);
    assert_eq!(calls(), 2, "the fresh keys are cached");
    let (got, info) = get(&c, "tmp/log");
    let mut whole = a.clone();
    whole.extend_from_slice(&b);
    assert!(got == whole, "every byte exactly once");
    assert_eq!(object_type(&info), Some("appendable"));
}

/// Keys refreshed once and refused again: the ExpiredToken error is reported (one
/// refresh per append, no loop), nothing was appended. Without a provider the first
/// refusal is reported and nothing is sent again.
#[test]
fn append_with_keys_refused_again_reports_expired_token() {
    const BUCKET: &str = "appendtmp2-1250000000";
    let env = tmp_env(BUCKET, &[1, 2, 3]);
    let sts = std::sync::Arc::new(Sts {
        first: 1,
        calls: Default::default(),
    });
    let c = provider_client(&env, BUCKET, &sts);
    let before = env.server.stats();
    let e = c
        .append_object(
            "tmp/never",
            0,
            Body::Bytes(b"never appended"),
            &PutObjectOptions::default(),
        )
        .unwrap_err();
    let s = e.service().unwrap_or_else(|| panic!("{e}"));
    assert_eq!(
        (s.http_status, s.code.as_str()),
        (400, "ExpiredToken"),
        "{e}"
    );
    assert_eq!(sts.calls.load(std::sync::atomic::Ordering::SeqCst), 2);
    assert_eq!(errors_since(&env, before.errors, 2), 2, "two attempts");
    assert!(!e.to_string().contains("append-tmp-token"), "{e}");
    assert!(!e.to_string().contains("appendTmpKey"), "{e}");

    // Static temporary keys (no provider): reported at once.
    let (id, key, token) = tmp_keys(3);
    let mut cfg = env.config(BUCKET);
    cfg.credentials = Some(qcos::auth::Credentials::temporary(
        id,
        key,
        token,
        None,
        i64::from(u32::MAX),
    ));
    let c2 = Client::new(cfg).unwrap();
    let before = env.server.stats();
    let e = c2
        .append_object(
            "tmp/never",
            0,
            Body::Bytes(b"never appended"),
            &PutObjectOptions::default(),
        )
        .unwrap_err();
    assert_eq!(e.service().map(|s| s.code.as_str()), Some("ExpiredToken"));
    assert_eq!(errors_since(&env, before.errors, 1), 1, "sent once");
    // Nothing was appended by either client.
    let e = Client::new(env.config(BUCKET))
        .unwrap()
        .head_object("tmp/never", &GetObjectOptions::default())
        .unwrap_err();
    assert_eq!(e.service().map(|s| s.http_status), Some(404), "{e}");
}
