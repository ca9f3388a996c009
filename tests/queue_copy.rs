//! Copies in the transfer queue (`Queue::copy`) through the real client against
//! qcos-server on loopback: a single PUT Object - Copy and a multipart copy end with
//! the source's bytes and CRC-64; pause then resume copies each part exactly once
//! (counted by the server); cancel aborts the multipart upload; a missing source fails
//! with the service's error; several copies respect `file_parallel_limit`.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use qcos::auth::Credentials;
use qcos::client::CopySource;
use qcos::queue::{Event, EventKind, Queue, TaskId, TaskKind, TaskState, legal_transition};
use qcos::transfer::CopyOptions;
use qcos::{Client, Config, GetObjectOptions, Status};
use qcos_server::{
    FaultAction, FaultRule, RunningServer, Server, ServerConfig, TEST_SECRET_ID, TEST_SECRET_KEY,
};

const MIB: usize = 1 << 20;
const BUCKET: &str = "qcopy-1250000000";
const REGION: &str = "ap-guangzhou";
const LONG: Duration = Duration::from_secs(120);
/// Copies above this are multipart (the tests' `copy_slice_size`).
const SLICE: u64 = 4 << 20;
/// Part size of the multipart copies (`copy_chunk_size`).
const PART: u64 = 2 << 20;
/// The multipart source: 20 MiB and a bit, so 11 parts of 2 MiB.
const BIG: usize = 20 * MIB + 4321;
const BIG_PARTS: u64 = 11;

struct Env {
    server: RunningServer,
    _dir: tempfile::TempDir,
}

fn start() -> Env {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Server::start(ServerConfig::new(dir.path().join("data"))).expect("server");
    Env { server, _dir: dir }
}

fn bytes(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed) ^ (i >> 13) as u8)
        .collect()
}

impl Env {
    fn client_with(&self, tweak: impl FnOnce(&mut Config)) -> Client {
        let mut c = Config::new(REGION, BUCKET);
        c.endpoint = Some(self.server.endpoint());
        c.credentials = Some(Credentials::new(TEST_SECRET_ID, TEST_SECRET_KEY));
        c.retry_base_delay_ms = 5;
        c.copy_slice_size = SLICE;
        c.copy_chunk_size = PART;
        c.copy_chunk_parallel_limit = 2;
        c.file_parallel_limit = 3;
        c.progress_interval_ms = 20;
        tweak(&mut c);
        let client = Client::new(c).expect("client");
        if client.head_bucket().is_err() {
            client.create_bucket().expect("create bucket");
        }
        client
    }

    /// Every Upload Part - Copy to a key containing `key` waits `ms` first.
    fn slow_part_copies(&self, key: &str, ms: u64) {
        let mut rule = FaultRule::new(FaultAction::Stall(Duration::from_millis(ms)))
            .method("PUT")
            .path_contains(key)
            .query_contains("partNumber");
        rule.times = 0;
        self.server.faults().add(rule);
    }

    fn ops(&self, op: &str) -> u64 {
        self.server.stats().get(op)
    }
}

fn put(client: &Client, key: &str, data: &[u8]) {
    client
        .put_object(key, qcos::Body::Bytes(data), &Default::default())
        .unwrap();
}

fn get(client: &Client, key: &str) -> Vec<u8> {
    let mut got = Vec::new();
    client
        .get_object(key, &GetObjectOptions::default(), &mut got)
        .unwrap();
    got
}

fn src(key: &str) -> CopySource {
    CopySource {
        bucket: BUCKET.into(),
        region: REGION.into(),
        key: key.into(),
        version_id: None,
    }
}

/// Read every event until `done` says so (or fail after a long time).
fn collect_until(q: &Queue, mut done: impl FnMut(&[Event]) -> bool) -> Vec<Event> {
    let mut evs = Vec::new();
    let until = Instant::now() + LONG;
    while !done(&evs) {
        assert!(Instant::now() < until, "events stopped: {evs:?}");
        if let Some(ev) = q.next_event(Duration::from_millis(200)).unwrap() {
            evs.push(ev);
        }
    }
    evs
}

fn reached(evs: &[Event], id: TaskId, state: TaskState) -> bool {
    evs.iter()
        .any(|e| e.task == id && e.kind == EventKind::State && e.state == state)
}

fn progressed(evs: &[Event], id: TaskId, loaded: u64) -> bool {
    evs.iter()
        .any(|e| e.task == id && e.kind == EventKind::Progress && e.loaded >= loaded)
}

fn all_final(evs: &[Event], ids: &[TaskId]) -> bool {
    let mut last: HashMap<TaskId, TaskState> = HashMap::new();
    for e in evs.iter().filter(|e| e.kind == EventKind::State) {
        last.insert(e.task, e.state);
    }
    ids.iter()
        .all(|id| last.get(id).is_some_and(|s| s.is_final()))
}

/// Every task's state events form a legal path from Waiting; progress only while running.
fn assert_legal_order(evs: &[Event]) {
    let mut state: HashMap<TaskId, TaskState> = HashMap::new();
    for e in evs {
        match e.kind {
            EventKind::State => match state.get(&e.task) {
                None => assert_eq!(e.state, TaskState::Waiting, "first event of {}", e.task),
                Some(&from) => assert!(
                    legal_transition(from, e.state),
                    "task {}: {from:?} -> {:?} in {evs:?}",
                    e.task,
                    e.state
                ),
            },
            EventKind::Progress => {
                assert_eq!(state.get(&e.task), Some(&TaskState::Running), "{e:?}");
            }
        }
        if e.kind == EventKind::State {
            state.insert(e.task, e.state);
        }
    }
}

#[test]
fn single_and_multipart_copies_end_with_the_source_bytes_and_crc() {
    let env = start();
    let client = env.client_with(|_| {});
    let small = bytes(300 * 1024, 1);
    let big = bytes(BIG, 2);
    put(&client, "src/small.bin", &small);
    put(&client, "src/big.bin", &big);
    let q = Queue::new(client.clone()).unwrap();
    let a = q
        .copy(
            "dst/small.bin",
            src("src/small.bin"),
            CopyOptions::default(),
        )
        .unwrap();
    let b = q
        .copy("dst/big.bin", src("src/big.bin"), CopyOptions::default())
        .unwrap();
    // Queued: a copy task, its source named, its size not known yet.
    let info = q.info(b).unwrap();
    assert_eq!(info.kind, TaskKind::Copy);
    assert_eq!(info.source, Some(src("src/big.bin")));
    assert!(info.path.as_os_str().is_empty());
    let evs = collect_until(&q, |e| all_final(e, &[a, b]));
    assert_legal_order(&evs);
    assert!(
        progressed(&evs, b, PART),
        "no progress event of the multipart copy"
    );
    for (id, key, data) in [(a, "dst/small.bin", &small), (b, "dst/big.bin", &big)] {
        let info = q.info(id).unwrap();
        assert_eq!(info.state, TaskState::Succeeded, "{info:?}");
        let r = info.result.clone().unwrap();
        let crc = qcos::crc64::checksum(data);
        assert_eq!(r.crc64, crc, "{key}");
        assert!(r.crc64_verified, "{key}");
        assert_eq!(r.size, data.len() as u64);
        assert_eq!((info.loaded, info.total), (r.size, Some(r.size)));
        assert_eq!(get(&client, key), *data, "{key}");
        let head = client
            .head_object(key, &GetObjectOptions::default())
            .unwrap();
        assert_eq!(head.crc64, Some(crc), "{key}");
    }
    // One PUT Object - Copy for the small one; 11 Upload Part - Copy for the big one.
    assert_eq!(env.ops("copy_object"), 1);
    assert_eq!(env.ops("upload_part_copy"), BIG_PARTS);
    assert_eq!(env.ops("complete"), 1);
    assert!(client.list_multipart_uploads("dst/").unwrap().is_empty());
    // Options given per copy win over the client's: one request for the big one.
    let c = q
        .copy(
            "dst/big-one.bin",
            src("src/big.bin"),
            CopyOptions {
                copy_slice_size: Some(64 << 20),
                ..CopyOptions::default()
            },
        )
        .unwrap();
    assert_eq!(q.wait(c, Some(LONG)).unwrap().state, TaskState::Succeeded);
    assert_eq!(env.ops("copy_object"), 2);
    assert_eq!(get(&client, "dst/big-one.bin"), big);
}

#[test]
fn pause_then_resume_copies_each_part_once() {
    let env = start();
    let client = env.client_with(|_| {});
    let big = bytes(BIG, 3);
    put(&client, "src/big.bin", &big);
    env.slow_part_copies("pr/", 100);
    let q = Queue::new(client.clone()).unwrap();
    let id = q
        .copy("pr/big.bin", src("src/big.bin"), CopyOptions::default())
        .unwrap();
    // Pause once two parts are copied.
    let mut evs = collect_until(&q, |e| progressed(e, id, 2 * PART));
    q.pause(id).unwrap();
    evs.extend(collect_until(&q, |e| reached(e, id, TaskState::Paused)));
    let paused = q.info(id).unwrap();
    assert_eq!(paused.state, TaskState::Paused);
    assert!(
        paused.loaded >= 2 * PART && paused.loaded < BIG as u64,
        "{paused:?}"
    );
    let copied = env.ops("upload_part_copy");
    assert!((2..BIG_PARTS).contains(&copied), "{copied} of {BIG_PARTS}");
    // Paused means stopped: nothing more is copied, the multipart upload is kept.
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(env.ops("upload_part_copy"), copied);
    let uploads = client.list_multipart_uploads("pr/").unwrap();
    assert_eq!(uploads.len(), 1, "{uploads:?}");
    // The task names the upload it keeps (the only way to find a paused copy's upload).
    assert_eq!(
        paused.upload_id.as_deref(),
        Some(uploads[0].upload_id.as_str())
    );
    assert_eq!(
        client
            .head_object("pr/big.bin", &GetObjectOptions::default())
            .unwrap_err()
            .service()
            .map(|s| s.http_status),
        Some(404)
    );
    q.resume(id).unwrap();
    evs.extend(collect_until(&q, |e| all_final(e, &[id])));
    assert_legal_order(&evs);
    let info = q.info(id).unwrap();
    assert_eq!(info.state, TaskState::Succeeded, "{info:?}");
    assert_eq!(info.upload_id, None, "a finished task keeps no upload");
    // The same multipart upload was continued: one Initiate, and each part was copied
    // exactly once across both runs.
    assert_eq!(env.ops("upload_part_copy"), BIG_PARTS);
    assert_eq!(env.ops("initiate"), 1);
    assert_eq!(env.ops("complete"), 1);
    // The resumed run started from the parts already copied, never from 0.
    let resumed_from = evs
        .iter()
        .skip_while(|e| !(e.kind == EventKind::State && e.state == TaskState::Paused))
        .find(|e| e.kind == EventKind::Progress)
        .map(|e| e.loaded)
        .unwrap();
    assert!(resumed_from >= 2 * PART, "{resumed_from}");
    let r = info.result.unwrap();
    assert_eq!(r.crc64, qcos::crc64::checksum(&big));
    assert!(r.crc64_verified);
    assert_eq!(get(&client, "pr/big.bin"), big);
    assert!(client.list_multipart_uploads("pr/").unwrap().is_empty());
    assert_eq!(q.resume(id).unwrap_err().status(), Status::InvalidState);
}

#[test]
fn a_paused_copy_whose_source_changed_starts_over() {
    let env = start();
    let client = env.client_with(|_| {});
    put(&client, "src/big.bin", &bytes(BIG, 4));
    env.slow_part_copies("chg/", 100);
    let q = Queue::new(client.clone()).unwrap();
    let id = q
        .copy("chg/big.bin", src("src/big.bin"), CopyOptions::default())
        .unwrap();
    collect_until(&q, |e| progressed(e, id, PART));
    q.pause(id).unwrap();
    collect_until(&q, |e| reached(e, id, TaskState::Paused));
    let old = client.list_multipart_uploads("chg/").unwrap();
    assert_eq!(old.len(), 1);
    // New bytes at the source: the parts copied so far are stale.
    let newer = bytes(BIG, 5);
    put(&client, "src/big.bin", &newer);
    let before = env.ops("upload_part_copy");
    q.resume(id).unwrap();
    let info = q.wait(id, Some(LONG)).unwrap();
    assert_eq!(info.state, TaskState::Succeeded, "{info:?}");
    assert_eq!(env.ops("upload_part_copy") - before, BIG_PARTS);
    assert_eq!(env.ops("initiate"), 2);
    assert!(env.ops("abort") >= 1, "the stale upload was not aborted");
    assert_eq!(get(&client, "chg/big.bin"), newer);
    assert_eq!(info.result.unwrap().crc64, qcos::crc64::checksum(&newer));
    assert!(client.list_multipart_uploads("chg/").unwrap().is_empty());
}

#[test]
fn cancel_aborts_the_multipart_copy() {
    let env = start();
    let client = env.client_with(|_| {});
    put(&client, "src/big.bin", &bytes(BIG, 6));
    env.slow_part_copies("cancel/", 100);
    let q = Queue::new(client.clone()).unwrap();
    // Running: cancelled at the next part boundary, then aborted.
    let id = q
        .copy("cancel/a.bin", src("src/big.bin"), CopyOptions::default())
        .unwrap();
    let mut evs = collect_until(&q, |e| progressed(e, id, PART));
    q.cancel(id).unwrap();
    let info = q.wait(id, Some(LONG)).unwrap();
    assert_eq!(info.state, TaskState::Cancelled);
    assert!(info.error.is_none(), "{info:?}");
    assert!(client.list_multipart_uploads("cancel/").unwrap().is_empty());
    assert_eq!(env.ops("abort"), 1);
    assert_eq!(env.ops("complete"), 0);
    // Paused: cancelled (and aborted) by the calling thread.
    let id2 = q
        .copy("cancel/b.bin", src("src/big.bin"), CopyOptions::default())
        .unwrap();
    evs.extend(collect_until(&q, |e| progressed(e, id2, PART)));
    q.pause(id2).unwrap();
    evs.extend(collect_until(&q, |e| reached(e, id2, TaskState::Paused)));
    assert_eq!(client.list_multipart_uploads("cancel/").unwrap().len(), 1);
    q.cancel(id2).unwrap();
    assert_eq!(q.info(id2).unwrap().state, TaskState::Cancelled);
    assert!(client.list_multipart_uploads("cancel/").unwrap().is_empty());
    assert_eq!(env.ops("abort"), 2);
    // Both are final: the rest of their events are in the channel already.
    while let Some(e) = q.next_event(Duration::from_millis(200)).unwrap() {
        evs.push(e);
    }
    assert!(all_final(&evs, &[id, id2]), "{evs:?}");
    assert_legal_order(&evs);
    for key in ["cancel/a.bin", "cancel/b.bin"] {
        let e = client
            .head_object(key, &GetObjectOptions::default())
            .unwrap_err();
        assert_eq!(e.service().map(|s| s.http_status), Some(404), "{key}");
    }
    // Dropping the queue with a copy running aborts it too.
    let _ = q
        .copy("cancel/c.bin", src("src/big.bin"), CopyOptions::default())
        .unwrap();
    let until = Instant::now() + LONG;
    while env.ops("initiate") < 3 {
        assert!(Instant::now() < until);
        std::thread::sleep(Duration::from_millis(10));
    }
    drop(q);
    assert!(client.list_multipart_uploads("cancel/").unwrap().is_empty());
}

#[test]
fn a_missing_source_fails_with_the_service_error() {
    let env = start();
    let client = env.client_with(|_| {});
    let q = Queue::new(client.clone()).unwrap();
    let id = q
        .copy("m/dst", src("src/missing.bin"), CopyOptions::default())
        .unwrap();
    let info = q.wait(id, Some(LONG)).unwrap();
    assert_eq!(info.state, TaskState::Failed);
    let err = info.error.unwrap();
    assert_eq!(err.status, Status::Service, "{err:?}");
    assert_eq!(err.http_status, 404);
    assert!(
        !err.code.is_empty() && !err.request_id.is_empty(),
        "{err:?}"
    );
    // Failed, then cancelled: nothing to abort.
    q.cancel(id).unwrap();
    assert_eq!(q.info(id).unwrap().state, TaskState::Cancelled);
    // A source that appears meanwhile: resume retries and succeeds.
    let id = q
        .copy("m/dst2", src("src/late.bin"), CopyOptions::default())
        .unwrap();
    assert_eq!(q.wait(id, Some(LONG)).unwrap().state, TaskState::Failed);
    let data = bytes(5000, 7);
    put(&client, "src/late.bin", &data);
    q.resume(id).unwrap();
    assert_eq!(q.wait(id, Some(LONG)).unwrap().state, TaskState::Succeeded);
    assert_eq!(get(&client, "m/dst2"), data);
    // Bad arguments are refused when queueing, naming what is wrong.
    let bad = |key: &str, s: CopySource, what: &str| {
        let e = q.copy(key, s, CopyOptions::default()).unwrap_err();
        assert_eq!(e.status(), Status::InvalidArgument, "{e}");
        assert!(e.to_string().contains(what), "{e} does not name {what}");
    };
    bad("", src("src/late.bin"), "key");
    bad("m/x", src(""), "src_key");
    bad(
        "m/x",
        CopySource {
            bucket: "Bad_Bucket".into(),
            ..src("src/late.bin")
        },
        "src_bucket",
    );
    bad(
        "m/x",
        CopySource {
            region: "".into(),
            ..src("src/late.bin")
        },
        "src_region",
    );
}

#[test]
fn copies_never_run_more_than_file_parallel_limit_at_once() {
    let env = start();
    let client = env.client_with(|c| c.file_parallel_limit = 2);
    let data = bytes(6 * MIB + 11, 8);
    put(&client, "src/six.bin", &data);
    env.slow_part_copies("many/", 40);
    let q = Queue::new(client.clone()).unwrap();
    let ids: Vec<TaskId> = (0..6)
        .map(|i| {
            q.copy(
                &format!("many/{i}"),
                src("src/six.bin"),
                CopyOptions::default(),
            )
            .unwrap()
        })
        .collect();
    let evs = collect_until(&q, |e| all_final(e, &ids));
    assert_legal_order(&evs);
    let mut active = HashSet::new();
    let mut max_active = 0;
    for e in evs.iter().filter(|e| e.kind == EventKind::State) {
        if e.state.is_active() {
            active.insert(e.task);
        } else {
            active.remove(&e.task);
        }
        max_active = max_active.max(active.len());
    }
    assert_eq!(
        max_active, 2,
        "at most (and, with 6 slow copies, exactly) 2"
    );
    let crc = qcos::crc64::checksum(&data);
    for (i, id) in ids.iter().enumerate() {
        let info = q.info(*id).unwrap();
        assert_eq!(info.state, TaskState::Succeeded, "{info:?}");
        assert_eq!(info.result.unwrap().crc64, crc);
        let head = client
            .head_object(&format!("many/{i}"), &GetObjectOptions::default())
            .unwrap();
        assert_eq!(head.crc64, Some(crc));
    }
    assert_eq!(env.ops("upload_part_copy"), 6 * 4);
}
