//! Credentials under stress, and secrets never leaking.
//!
//! - Temporary credentials that expire in the middle of a multipart upload (the server
//!   refuses the old token from its expiry on) are refreshed through the provider and the
//!   upload finishes with the right bytes.
//! - A provider that starts failing mid-upload gives a clear `Auth` error.
//! - Across a run that fails in many ways, no error message, Debug output or panic
//!   message contains the SecretKey or the security token.

mod client_common;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use client_common::*;
use qcos::auth::{CredentialProvider, Credentials};
use qcos::transfer::{DownloadOptions, UploadOptions, UploadSource};
use qcos::{Body, Client, Error, GetObjectOptions, PutObjectOptions, Status};
use qcos_server::{FaultAction, FaultRule};

const MIB: usize = 1 << 20;
const GENERATIONS: u32 = 8;

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn data(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 31 % 251) as u8).collect()
}

fn tmp(n: u32) -> (String, String, String) {
    (
        format!("AKIDtmp{n}"),
        format!("TMPSECRETKEY-canary-{n}"),
        format!("TOKEN-canary-{n}"),
    )
}

/// An STS stand-in: every call hands out the next generation of temporary keys, valid
/// for `lifetime` seconds; the server is told to refuse each token from its expiry on.
struct Sts {
    calls: AtomicU32,
    lifetime: i64,
    server_faults: Arc<Mutex<Vec<(String, i64)>>>,
    /// From this call on, the provider fails.
    fail_from: u32,
}

impl CredentialProvider for Sts {
    fn fetch(&self) -> qcos::Result<Credentials> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        if n >= self.fail_from {
            return Err(Error::Auth("STS unreachable: connection refused".into()));
        }
        let (id, key, token) = tmp(n % GENERATIONS);
        let exp = now() + self.lifetime;
        self.server_faults
            .lock()
            .unwrap()
            .push((token.clone(), exp));
        Ok(Credentials::temporary(id, key, token, Some(now() - 5), exp))
    }
}

fn temp_server() -> Env {
    start_with(|s| {
        for n in 0..GENERATIONS {
            s.temporary.push(tmp(n));
        }
    })
}

/// Push the expiries the provider handed out to the server.
fn sync_expiries(env: &Env, pending: &Mutex<Vec<(String, i64)>>) {
    for (token, at) in pending.lock().unwrap().drain(..) {
        env.server.faults().expire_token(&token, at);
    }
}

#[test]
fn credentials_expiring_mid_upload_are_refreshed_and_the_upload_finishes() {
    let env = temp_server();
    let pending = Arc::new(Mutex::new(Vec::new()));
    // Each generation lives 4 s; the client refreshes 2 s before expiry.
    let sts = Arc::new(Sts {
        calls: AtomicU32::new(0),
        lifetime: 4,
        server_faults: pending.clone(),
        fail_from: u32::MAX,
    });
    let mut cfg = env.config("creds-1250000000");
    cfg.credentials = None;
    cfg.credential_provider = Some(sts.clone());
    cfg.credential_refresh_margin_secs = 2;
    cfg.slice_size = MIB as u64;
    cfg.chunk_size = MIB as u64;
    cfg.chunk_parallel_limit = 2;
    let client = Client::new(cfg).unwrap();
    client.create_bucket().unwrap();
    sync_expiries(&env, &pending);

    // Slow every part down so the upload outlives a generation of keys: 12 parts, two
    // at a time, 600 ms each: > 3.6 s.
    env.server.faults().add(
        FaultRule::new(FaultAction::Stall(Duration::from_millis(600)))
            .method("PUT")
            .query_contains("partNumber")
            .times(0),
    );
    // The provider's expiries reach the server while the upload runs.
    let stop = std::sync::atomic::AtomicBool::new(false);
    let big = data(12 * MIB);
    let src = env.dir.path().join("big.bin");
    std::fs::write(&src, &big).unwrap();
    let out = std::thread::scope(|s| {
        s.spawn(|| {
            while !stop.load(Ordering::Relaxed) {
                sync_expiries(&env, &pending);
                std::thread::sleep(Duration::from_millis(20));
            }
        });
        let r = client.upload_file(
            "long/upload",
            UploadSource::File(&src),
            &UploadOptions::default(),
            None,
        );
        stop.store(true, Ordering::Relaxed);
        r
    });
    let out = out.expect("the upload finishes across the credential refresh");
    assert_eq!(out.parts, 12);
    assert_eq!(out.crc64, qcos::crc64::checksum(&big));
    let calls = sts.calls.load(Ordering::SeqCst);
    assert!(
        calls >= 2,
        "the provider was asked again mid-upload ({calls} calls)"
    );
    env.server.faults().clear();
    sync_expiries(&env, &pending);
    let mut buf = vec![0u8; big.len()];
    client
        .download_to_buffer("long/upload", &mut buf, &DownloadOptions::default(), None)
        .unwrap();
    assert!(buf == big);

    // The first generation really is dead on the server: a client holding it (and
    // claiming a longer life) is refused with ExpiredToken, and says so.
    let (id, key, token) = tmp(0);
    let mut cfg = env.config("creds-1250000000");
    cfg.credentials = Some(Credentials::temporary(id, key, token, None, now() + 3600));
    let e = Client::new(cfg)
        .unwrap()
        .head_object("long/upload", &GetObjectOptions::default());
    let e = e.unwrap_err();
    assert_eq!(e.status(), Status::Service);
    assert_eq!(e.service().unwrap().http_status, 400, "{e}");
}

#[test]
fn a_provider_failing_mid_upload_is_a_clear_auth_error() {
    let env = temp_server();
    let pending = Arc::new(Mutex::new(Vec::new()));
    // Keys live 5 s with a 2 s margin: the second fetch comes 2-3 s in, and fails.
    let sts = Arc::new(Sts {
        calls: AtomicU32::new(0),
        lifetime: 5,
        server_faults: pending.clone(),
        fail_from: 1,
    });
    let mut cfg = env.config("credfail-1250000000");
    cfg.credentials = None;
    cfg.credential_provider = Some(sts.clone());
    cfg.credential_refresh_margin_secs = 2;
    cfg.slice_size = MIB as u64;
    cfg.chunk_size = MIB as u64;
    cfg.chunk_parallel_limit = 1;
    let client = Client::new(cfg).unwrap();
    client.create_bucket().unwrap();
    env.server.faults().add(
        FaultRule::new(FaultAction::Stall(Duration::from_millis(500)))
            .method("PUT")
            .query_contains("partNumber")
            .times(0),
    );
    let big = data(8 * MIB);
    let mut rd: &[u8] = &big;
    let e = client
        .upload_file(
            "doomed",
            UploadSource::Reader {
                reader: &mut rd,
                len: big.len() as u64,
            },
            &UploadOptions::default(),
            None,
        )
        .unwrap_err();
    assert_eq!(e.status(), Status::Auth, "{e}");
    let parts = env.server.stats().get("upload_part");
    assert!(
        parts >= 1,
        "the provider failed mid-upload, after {parts} part(s)"
    );
    let msg = e.to_string();
    assert!(
        msg.contains("credential provider") && msg.contains("STS unreachable"),
        "{msg}"
    );
    assert!(!msg.contains("canary"), "{msg}");
    // Nothing claims the object exists.
    env.server.faults().clear();
    let mut c2 = env.config("credfail-1250000000");
    c2.credential_provider = None;
    let e = Client::new(c2)
        .unwrap()
        .head_object("doomed", &GetObjectOptions::default())
        .unwrap_err();
    assert_eq!(e.service().map(|s| s.http_status), Some(404));
}

fn record(texts: &mut Vec<String>, label: &str, r: &dyn std::fmt::Debug, e: Option<&Error>) {
    texts.push(format!("{label}: {r:?}"));
    if let Some(e) = e {
        texts.push(format!("{label}: {e}"));
        texts.push(format!("{label}: {e:?}"));
        if let Some(s) = e.service() {
            texts.push(format!("{s:?} {} {}", s.message, s.code));
        }
    }
}

/// Run many failing operations with canary secrets and look for them in every message.
#[test]
fn secrets_never_appear_in_errors_debug_or_panics() {
    const KEY: &str = "SECRETKEY-canary-0123456789";
    const TOKEN: &str = "SECTOKEN-canary-abcdef";
    let env = start_with(|s| {
        s.temporary
            .push(("AKIDcanary".into(), KEY.into(), TOKEN.into()))
    });
    let mut texts: Vec<String> = Vec::new();

    let creds = Credentials::temporary("AKIDcanary", KEY, TOKEN, None, now() + 3600);
    record(&mut texts, "credentials", &creds, None);
    let mut cfg = env.config("secret-1250000000");
    cfg.credentials = Some(creds.clone());
    cfg.max_retries = 0;
    cfg.io_timeout_ms = 500;
    record(&mut texts, "config", &cfg, None);
    let client = Client::new(cfg.clone()).unwrap();
    record(&mut texts, "client", &client, None);
    client.create_bucket().unwrap();

    // Service errors of many kinds.
    let r = client.get_object("missing", &GetObjectOptions::default(), &mut Vec::new());
    record(&mut texts, "nosuchkey", &r, r.as_ref().err());
    for (status, code) in [
        (500, "InternalError"),
        (503, "SlowDown"),
        (403, "RequestTimeTooSkewed"),
        (400, "ExpiredToken"),
    ] {
        env.server.faults().add(FaultRule::new(FaultAction::Status {
            http_status: status,
            code: code.into(),
            message: "injected".into(),
        }));
        let r = client.put_object("k", Body::Bytes(b"x"), &PutObjectOptions::default());
        record(&mut texts, code, &r, r.as_ref().err());
    }
    for a in [
        FaultAction::ResetBeforeBody,
        FaultAction::ResetMidBody,
        FaultAction::TruncatedBody,
        FaultAction::MalformedXml,
        FaultAction::WrongCrc64,
        FaultAction::Stall(Duration::from_millis(1500)),
    ] {
        env.server
            .faults()
            .add(FaultRule::new(a.clone()).method("PUT"));
        let r = client.put_object("k", Body::Bytes(b"xyz"), &PutObjectOptions::default());
        record(&mut texts, &format!("{a:?} put"), &r, r.as_ref().err());
        env.server
            .faults()
            .add(FaultRule::new(a.clone()).method("GET"));
        let r =
            client.get_object_to_file("k", &env.dir.path().join("f"), &GetObjectOptions::default());
        record(&mut texts, &format!("{a:?} get"), &r, r.as_ref().err());
        env.server
            .faults()
            .add(FaultRule::new(a.clone()).query_contains("prefix"));
        let r = client.list_objects(&qcos::ListObjectsOptions::default());
        record(&mut texts, &format!("{a:?} list"), &r, r.as_ref().err());
    }
    env.server.faults().clear();

    // Wrong token; wrong key (signature mismatch, the server shows its StringToSign).
    for (k, t) in [
        (KEY, "SECTOKEN-canary-wrong"),
        ("SECRETKEY-canary-wrong", TOKEN),
    ] {
        let mut c = cfg.clone();
        c.credentials = Some(Credentials::temporary(
            "AKIDcanary",
            k,
            t,
            None,
            now() + 3600,
        ));
        let r = Client::new(c).unwrap().head_bucket();
        record(&mut texts, "bad creds", &r, r.as_ref().err());
    }
    // Credentials that are already expired or malformed.
    for creds in [
        Credentials::temporary("AKIDcanary", KEY, TOKEN, None, now() - 10),
        Credentials::temporary("AKIDcanary", KEY, "tok\r\nen-canary", None, now() + 60),
        Credentials::new("AKID canary\n", KEY),
    ] {
        let mut c = cfg.clone();
        c.credentials = Some(creds);
        match Client::new(c) {
            Ok(cl) => {
                let r = cl.head_bucket();
                record(&mut texts, "odd creds", &r, r.as_ref().err());
            }
            Err(e) => record(&mut texts, "odd creds new", &(), Some(&e)),
        }
    }
    // A provider that fails, one that returns junk.
    struct Leaky;
    impl CredentialProvider for Leaky {
        fn fetch(&self) -> qcos::Result<Credentials> {
            Ok(Credentials::temporary("", KEY, TOKEN, None, 0))
        }
    }
    let mut c = cfg.clone();
    c.credentials = None;
    c.credential_provider = Some(Arc::new(Leaky));
    let r = Client::new(c.clone()).unwrap().head_bucket();
    record(&mut texts, "junk provider", &r, r.as_ref().err());
    record(&mut texts, "config with provider", &c, None);
    // Network failures: nothing listens there any more.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let mut c = cfg.clone();
    c.endpoint = Some(format!("http://{dead}"));
    let r = Client::new(c).unwrap().head_bucket();
    record(&mut texts, "refused", &r, r.as_ref().err());
    // Invalid arguments.
    for key in ["", "a\r\nb", "../..", "/"] {
        let r = client.get_object(key, &GetObjectOptions::default(), &mut Vec::new());
        record(&mut texts, "bad key", &r, r.as_ref().err());
    }
    let r = client.put_object(
        "m",
        Body::Bytes(b"x"),
        &PutObjectOptions {
            meta: vec![("k".into(), format!("v\r\nx-cos-security-token: {TOKEN}"))],
            ..PutObjectOptions::default()
        },
    );
    record(&mut texts, "header injection", &r, r.as_ref().err());
    // A panic inside a caller's callback while the client holds the credentials.
    let big = data(2 * MIB);
    let mut rd: &[u8] = &big;
    let p = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut cb = |_: &qcos::transfer::Progress| -> bool { panic!("callback panicked") };
        let _ = client.upload_file(
            "p",
            UploadSource::Reader {
                reader: &mut rd,
                len: big.len() as u64,
            },
            &UploadOptions::default(),
            Some(&mut cb),
        );
    }));
    if let Err(p) = p {
        let msg = p
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        texts.push(format!("panic: {msg}"));
    }
    record(&mut texts, "client after all", &client, None);

    eprintln!(
        "{} texts checked, e.g.:\n{}",
        texts.len(),
        texts[..8].join("\n")
    );
    assert!(texts.len() > 60, "the run produced {} texts", texts.len());
    let leaks: Vec<&String> = texts
        .iter()
        .filter(|t| {
            t.contains(KEY)
                || t.contains(TOKEN)
                || t.contains("SECRETKEY-canary")
                || t.contains("SECTOKEN-canary")
        })
        .collect();
    assert!(leaks.is_empty(), "secrets leaked:\n{leaks:#?}");
}

#[test]
fn a_token_the_service_expires_early_is_fetched_again_once() {
    let env = temp_server();
    let pending = Arc::new(Mutex::new(Vec::new()));
    let sts = Arc::new(Sts {
        calls: AtomicU32::new(0),
        lifetime: 3600,
        server_faults: pending.clone(),
        fail_from: u32::MAX,
    });
    let mut cfg = env.config("early-1250000000");
    cfg.credentials = None;
    cfg.credential_provider = Some(sts.clone());
    let client = Client::new(cfg).unwrap();
    client.create_bucket().unwrap();
    assert_eq!(sts.calls.load(Ordering::SeqCst), 1);
    pending.lock().unwrap().clear();
    // The service decides generation 0 is over, an hour before its advertised expiry.
    env.server.faults().expire_token(&tmp(0).2, now() - 1);
    client
        .put_object("k", Body::Bytes(b"fresh"), &PutObjectOptions::default())
        .expect("ExpiredToken -> the provider is asked again -> the request is resent");
    assert_eq!(sts.calls.load(Ordering::SeqCst), 2);

    // A provider that keeps handing out a dead token: one refresh, then the error.
    for n in 0..GENERATIONS {
        env.server.faults().expire_token(&tmp(n).2, now() - 1);
    }
    let e = client
        .put_object("k2", Body::Bytes(b"x"), &PutObjectOptions::default())
        .unwrap_err();
    assert_eq!(
        e.service().map(|s| s.code.as_str()),
        Some("ExpiredToken"),
        "{e}"
    );
    assert_eq!(
        sts.calls.load(Ordering::SeqCst),
        3,
        "exactly one refresh per request"
    );
}
