//! A GET whose body is cut midway is resumed, not failed: the next attempt asks for the
//! rest (`Range` from the next byte, `If-Match` on the first answer's ETag) and appends
//! it, so the caller's sink gets every byte exactly once. Against qcos-server, whose
//! `ResetAfterBytes(n)` fault sends the headers and the first `n` body bytes, then
//! closes the connection (`times(k)`: k cuts in a row).

mod client_common;

use std::io::Write;

use client_common::*;
use qcos::{Body, Client, Error, GetObjectOptions, PutObjectOptions, Status};
use qcos_server::{FaultAction, FaultRule};

const SIZE: usize = 600_000;

/// xorshift bytes, different per seed.
fn data(n: usize, seed: u32) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2_654_435_761) | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

struct Setup {
    env: Env,
    client: Client,
    data: Vec<u8>,
}

/// A bucket holding `obj` (SIZE bytes); the client retries `max_retries` times.
fn setup(bucket: &str, max_retries: u32) -> Setup {
    let env = start();
    let mut cfg = env.config(bucket);
    cfg.max_retries = max_retries;
    cfg.retry_base_delay_ms = 5;
    let client = Client::new(cfg).unwrap();
    client.create_bucket().unwrap();
    let data = data(SIZE, 11);
    client
        .put_object("obj", Body::Bytes(&data), &PutObjectOptions::default())
        .unwrap();
    Setup { env, client, data }
}

impl Setup {
    /// Cut the GET bodies of `obj` after `n` bytes, `times` times in a row (0 = always).
    fn cut(&self, n: u64, times: u32) {
        self.env.server.faults().add(
            FaultRule::new(FaultAction::ResetAfterBytes(n))
                .method("GET")
                .path_contains("obj")
                .times(times),
        );
    }
    /// (GET Object requests, response body bytes) served so far.
    fn served(&self) -> (u64, u64) {
        let s = self.env.server.stats();
        (s.get("get_object"), s.bytes_out)
    }
    fn crc(&self, bytes: &[u8]) -> u64 {
        qcos::crc64::checksum(bytes)
    }
}

#[test]
fn a_body_cut_once_is_resumed_into_a_vec_with_every_byte_once() {
    let s = setup("resume-once-1250000000", 3);
    s.cut(100_000, 1);
    let before = s.served();
    let mut out = Vec::new();
    let info = s
        .client
        .get_object("obj", &GetObjectOptions::default(), &mut out)
        .expect("resumed");
    let after = s.served();
    assert!(out == s.data, "the sink holds the object exactly");
    assert_eq!(s.env.server.faults().fired(0), 1);
    assert_eq!(after.0 - before.0, 2, "one GET, one continuation");
    // The continuation asked only for the rest: no byte was served twice.
    assert_eq!(after.1 - before.1, SIZE as u64);
    // The info describes the whole delivery.
    assert_eq!(info.http_status, 200);
    assert_eq!(info.content_length, SIZE as u64);
    assert_eq!(info.received_crc64, Some(s.crc(&s.data)));
    assert_eq!(info.crc64, Some(s.crc(&s.data)));
    assert_eq!(info.content_range, None);
    assert!(!info.etag.is_empty());
}

#[test]
fn a_body_cut_several_times_is_resumed_each_time() {
    let s = setup("resume-many-1250000000", 3);
    s.cut(50_000, 3);
    let before = s.served();
    let mut out = Vec::new();
    let info = s
        .client
        .get_object("obj", &GetObjectOptions::default(), &mut out)
        .expect("resumed three times");
    let after = s.served();
    assert!(out == s.data);
    assert_eq!(s.env.server.faults().fired(0), 3);
    assert_eq!(after.0 - before.0, 4);
    assert_eq!(after.1 - before.1, SIZE as u64);
    assert_eq!(info.content_length, SIZE as u64);
    assert_eq!(info.received_crc64, Some(s.crc(&s.data)));
}

#[test]
fn a_cut_inside_the_callers_range_resumes_within_that_range() {
    let s = setup("resume-range-1250000000", 3);
    // A closed range, cut twice.
    s.cut(70_000, 2);
    let before = s.served();
    let mut out = Vec::new();
    let opts = GetObjectOptions {
        range: Some((1000, Some(400_999))),
        ..Default::default()
    };
    let info = s.client.get_object("obj", &opts, &mut out).expect("ranged");
    let after = s.served();
    let want = &s.data[1000..=400_999];
    assert!(out == want, "{} bytes", out.len());
    assert_eq!(after.0 - before.0, 3);
    assert_eq!(after.1 - before.1, want.len() as u64);
    assert_eq!(info.http_status, 206);
    assert_eq!(info.content_length, want.len() as u64);
    assert_eq!(
        info.content_range.as_deref(),
        Some(format!("bytes 1000-400999/{SIZE}").as_str())
    );
    assert_eq!(info.received_crc64, Some(s.crc(want)));

    // An open range (to the end), cut once.
    s.env.server.faults().clear();
    s.cut(10_000, 1);
    let mut out = Vec::new();
    let opts = GetObjectOptions {
        range: Some((123_456, None)),
        ..Default::default()
    };
    let info = s.client.get_object("obj", &opts, &mut out).expect("open");
    assert!(out == s.data[123_456..]);
    assert_eq!(info.content_length, (SIZE - 123_456) as u64);
    assert_eq!(info.received_crc64, Some(s.crc(&s.data[123_456..])));
}

#[test]
fn get_object_to_file_resumes_into_its_temporary_file() {
    let s = setup("resume-file-1250000000", 3);
    s.cut(100_000, 2);
    let dest = s.env.dir.path().join("out.bin");
    std::fs::write(&dest, b"previous").unwrap();
    let before = s.served();
    let info = s
        .client
        .get_object_to_file("obj", &dest, &GetObjectOptions::default())
        .expect("resumed");
    let after = s.served();
    assert!(std::fs::read(&dest).unwrap() == s.data);
    assert_eq!(after.0 - before.0, 3);
    assert_eq!(after.1 - before.1, SIZE as u64, "not restarted from zero");
    assert_eq!(info.http_status, 200);
    assert_eq!(info.content_length, SIZE as u64);
    assert_eq!(info.received_crc64, Some(s.crc(&s.data)));
    let temps: Vec<_> = std::fs::read_dir(s.env.dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".qcos-"))
        .collect();
    assert!(temps.is_empty(), "{temps:?}");
}

#[test]
fn get_object_to_buffer_resumes() {
    let s = setup("resume-buf-1250000000", 3);
    s.cut(200_000, 1);
    let mut buf = vec![0u8; SIZE + 10];
    let (info, n) = s
        .client
        .get_object_to_buffer("obj", &mut buf, &GetObjectOptions::default())
        .expect("resumed");
    assert_eq!(n, SIZE);
    assert!(buf[..n] == s.data[..]);
    assert_eq!(info.received_crc64, Some(s.crc(&s.data)));
}

/// A `Write` that replaces the object (through another client) on its first write, so
/// the continuation finds another version.
struct ReplaceOnFirstWrite<'a> {
    out: Vec<u8>,
    replacer: &'a Client,
    new: &'a [u8],
    done: bool,
}

impl Write for ReplaceOnFirstWrite<'_> {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        if !self.done {
            self.done = true;
            self.replacer
                .put_object("obj", Body::Bytes(self.new), &PutObjectOptions::default())
                .map_err(std::io::Error::other)?;
        }
        self.out.extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn assert_changed_error(e: &Error) {
    assert_eq!(e.status(), Status::Service, "{e}");
    assert_eq!(e.service().map(|s| s.http_status), Some(412), "{e}");
    assert!(
        e.to_string()
            .contains("the object changed while its download was being resumed"),
        "{e}"
    );
}

#[test]
fn an_object_replaced_between_attempts_fails_clearly_without_mixing_versions() {
    let s = setup("resume-replaced-1250000000", 3);
    let replacer = Client::new(s.env.config("resume-replaced-1250000000")).unwrap();
    let new = data(SIZE, 99);
    s.cut(100_000, 1);
    let mut sink = ReplaceOnFirstWrite {
        out: Vec::new(),
        replacer: &replacer,
        new: &new,
        done: false,
    };
    let e = s
        .client
        .get_object("obj", &GetObjectOptions::default(), &mut sink)
        .unwrap_err();
    assert_changed_error(&e);
    // Only the old version's first bytes, nothing of the new one.
    assert_eq!(sink.out.len(), 100_000);
    assert!(sink.out[..] == s.data[..100_000]);
    // Not retried further: a changed object is final.
    assert_eq!(s.env.server.stats().get("get_object"), 2);

    // To a file: the destination is left untouched and no temporary file stays.
    s.env.server.faults().clear();
    let old = new;
    let newer = data(SIZE, 100);
    let dest = s.env.dir.path().join("kept.bin");
    std::fs::write(&dest, b"previous").unwrap();
    s.cut(100_000, 1);
    // The continuation (the second GET) is held by a stall; while it waits, another
    // client replaces the object.
    s.env.server.faults().add(
        FaultRule::new(FaultAction::Stall(std::time::Duration::from_millis(2000)))
            .method("GET")
            .path_contains("obj")
            .nth(2),
    );
    let cfg = s.env.config("resume-replaced-1250000000");
    std::thread::scope(|scope| {
        let h = scope.spawn(|| {
            let c = Client::new(cfg).unwrap();
            let t = std::time::Instant::now();
            while s.env.server.faults().fired(1) == 0 {
                assert!(t.elapsed().as_secs() < 60, "the continuation never came");
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
            c.put_object("obj", Body::Bytes(&newer), &PutObjectOptions::default())
                .unwrap();
        });
        let e = s
            .client
            .get_object_to_file("obj", &dest, &GetObjectOptions::default())
            .unwrap_err();
        h.join().unwrap();
        assert_changed_error(&e);
    });
    assert_eq!(std::fs::read(&dest).unwrap(), b"previous");
    let temps = std::fs::read_dir(s.env.dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".qcos-"))
        .count();
    assert_eq!(temps, 0);
    drop(old);
}

#[test]
fn a_body_cut_past_the_retry_budget_is_a_network_error() {
    let s = setup("resume-budget-1250000000", 2);
    s.cut(10_000, 0);
    let mut out = Vec::new();
    let e = s
        .client
        .get_object("obj", &GetObjectOptions::default(), &mut out)
        .unwrap_err();
    assert_eq!(e.status(), Status::Network, "{e}");
    assert_eq!(s.env.server.stats().get("get_object"), 3, "1 + max_retries");
    // What was delivered is a prefix, each byte once.
    assert_eq!(out.len(), 30_000);
    assert!(out[..] == s.data[..30_000]);

    // Without retries a cut body fails at once.
    let mut cfg = s.env.config("resume-budget-1250000000");
    cfg.max_retries = 0;
    let c = Client::new(cfg).unwrap();
    let mut out = Vec::new();
    let e = c
        .get_object("obj", &GetObjectOptions::default(), &mut out)
        .unwrap_err();
    assert_eq!(e.status(), Status::Network, "{e}");
    assert_eq!(out.len(), 10_000);
}

#[test]
fn a_sink_that_fails_is_not_resumed() {
    struct Failing(usize);
    impl Write for Failing {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0 += 1;
            if b.is_empty() {
                return Ok(0);
            }
            Err(std::io::Error::other("disk full"))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let s = setup("resume-sinkfail-1250000000", 3);
    let mut sink = Failing(0);
    let e = s
        .client
        .get_object("obj", &GetObjectOptions::default(), &mut sink)
        .unwrap_err();
    assert_eq!(e.status(), Status::Io, "{e}");
    assert!(e.to_string().contains("disk full"), "{e}");
    assert_eq!(sink.0, 1);
    assert_eq!(s.env.server.stats().get("get_object"), 1);
}
