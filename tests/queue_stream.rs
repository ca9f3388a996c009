//! Queued uploads from a reader (`Queue::upload_reader`) against qcos-server on loopback:
//! known and unknown lengths in several parts (byte for byte, CRC-64), cancel aborting
//! the multipart upload and dropping the reader, pause and resume refused, a reader error
//! failing the task (and aborting its upload), a reader cancelling its own task, and a
//! shutdown dropping the reader of a waiting task unread.

use std::collections::HashMap;
use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use qcos::auth::Credentials;
use qcos::queue::{CancelTask, Event, EventKind, Queue, TaskId, TaskState, legal_transition};
use qcos::transfer::UploadOptions;
use qcos::{Client, Config, Error, GetObjectOptions, Status};
use qcos_server::{
    FaultAction, FaultRule, RunningServer, Server, ServerConfig, TEST_SECRET_ID, TEST_SECRET_KEY,
};

const MIB: usize = 1 << 20;
const BUCKET: &str = "qstream-1250000000";
const LONG: Duration = Duration::from_secs(120);

struct Env {
    server: RunningServer,
    _dir: tempfile::TempDir,
}

fn start() -> Env {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Server::start(ServerConfig::new(dir.path().join("data"))).expect("server");
    Env { server, _dir: dir }
}

impl Env {
    fn client_with(&self, tweak: impl FnOnce(&mut Config)) -> Client {
        let mut c = Config::new("ap-guangzhou", BUCKET);
        c.endpoint = Some(self.server.endpoint());
        c.credentials = Some(Credentials::new(TEST_SECRET_ID, TEST_SECRET_KEY));
        c.retry_base_delay_ms = 5;
        c.chunk_size = MIB as u64;
        c.slice_size = MIB as u64;
        c.chunk_parallel_limit = 2;
        c.file_parallel_limit = 2;
        c.progress_interval_ms = 20;
        tweak(&mut c);
        let client = Client::new(c).expect("client");
        if client.head_bucket().is_err() {
            client.create_bucket().expect("create bucket");
        }
        client
    }

    /// Every Upload Part request under `prefix` waits `ms` first.
    fn slow_parts(&self, prefix: &str, ms: u64) {
        let mut rule = FaultRule::new(FaultAction::Stall(Duration::from_millis(ms)))
            .method("PUT")
            .path_contains(prefix)
            .query_contains("partNumber");
        rule.times = 0;
        self.server.faults().add(rule);
    }
}

fn data(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(29).wrapping_add(seed) ^ (i >> 11) as u8)
        .collect()
}

/// What a test reader did: bytes read, whether it was dropped.
#[derive(Default)]
struct Seen {
    read: AtomicU64,
    dropped: AtomicBool,
}

/// A reader over `data` that hands out at most `step` bytes per read, optionally failing
/// (or cancelling its task) once `fail_at` bytes were read.
struct TestReader {
    data: Arc<Vec<u8>>,
    pos: usize,
    step: usize,
    fail_at: Option<(usize, bool)>,
    seen: Arc<Seen>,
}

impl TestReader {
    fn new(data: Arc<Vec<u8>>, step: usize) -> (Self, Arc<Seen>) {
        let seen = Arc::new(Seen::default());
        let r = TestReader {
            data,
            pos: 0,
            step,
            fail_at: None,
            seen: seen.clone(),
        };
        (r, seen)
    }
}

impl Read for TestReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if let Some((at, cancel)) = self.fail_at {
            if self.pos >= at {
                return Err(if cancel {
                    std::io::Error::other(CancelTask)
                } else {
                    std::io::Error::other("the tape drive caught fire")
                });
            }
        }
        let n = buf.len().min(self.step).min(self.data.len() - self.pos);
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        self.seen.read.fetch_add(n as u64, Ordering::SeqCst);
        Ok(n)
    }
}

impl Drop for TestReader {
    fn drop(&mut self) {
        self.seen.dropped.store(true, Ordering::SeqCst);
    }
}

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

fn ended(evs: &[Event], id: TaskId) -> bool {
    evs.iter()
        .any(|e| e.task == id && e.kind == EventKind::State && e.state.is_final())
}

fn assert_legal_order(evs: &[Event]) {
    let mut state: HashMap<TaskId, TaskState> = HashMap::new();
    for e in evs {
        match e.kind {
            EventKind::State => {
                match state.get(&e.task) {
                    None => assert_eq!(e.state, TaskState::Waiting, "first event of {}", e.task),
                    Some(&from) => assert!(
                        legal_transition(from, e.state),
                        "task {}: {from:?} -> {:?} in {evs:?}",
                        e.task,
                        e.state
                    ),
                }
                state.insert(e.task, e.state);
            }
            EventKind::Progress => {
                assert_eq!(state.get(&e.task), Some(&TaskState::Running), "{e:?}");
            }
        }
    }
}

fn get(client: &Client, key: &str) -> (Vec<u8>, Option<u64>) {
    let mut body = Vec::new();
    let info = client
        .get_object(key, &GetObjectOptions::default(), &mut body)
        .unwrap();
    (body, info.crc64)
}

#[test]
fn known_length_reader_uploads_in_parts() {
    let env = start();
    let client = env.client_with(|_| {});
    let q = Queue::new(client.clone()).unwrap();
    let bytes = Arc::new(data(5 * MIB + 12345, 1));
    let (r, seen) = TestReader::new(bytes.clone(), 64 * 1024 + 7);
    let id = q
        .upload_reader(
            "s/known.bin",
            Box::new(r),
            Some(bytes.len() as u64),
            UploadOptions::default(),
        )
        .unwrap();
    let first = q.info(id).unwrap();
    assert!(
        first.is_stream && first.path.as_os_str().is_empty(),
        "{first:?}"
    );
    assert_eq!(first.total, Some(bytes.len() as u64));
    let evs = collect_until(&q, |e| ended(e, id));
    assert_legal_order(&evs);
    assert!(
        evs.iter()
            .any(|e| e.task == id && e.kind == EventKind::Progress)
    );
    let info = q.wait(id, Some(LONG)).unwrap();
    assert_eq!(info.state, TaskState::Succeeded, "{info:?}");
    assert!(info.is_stream);
    assert!(
        seen.dropped.load(Ordering::SeqCst),
        "reader kept after success"
    );
    assert_eq!(seen.read.load(Ordering::SeqCst), bytes.len() as u64);
    let res = info.result.unwrap();
    let want_crc = qcos::crc64::checksum(&bytes);
    assert_eq!((res.size, res.crc64), (bytes.len() as u64, want_crc));
    assert!(res.crc64_verified);
    assert_eq!(env.server.stats().get("upload_part"), 6);
    let (body, crc) = get(&client, "s/known.bin");
    assert!(body == *bytes, "object differs from the reader's bytes");
    assert_eq!(crc, Some(want_crc));
    assert!(client.list_multipart_uploads("s/").unwrap().is_empty());
}

/// A reader task never takes over another multipart upload of its key (such as the
/// one a paused file upload keeps): it starts its own, and leaves the other alone.
#[test]
fn reader_task_leaves_another_upload_of_its_key_alone() {
    let env = start();
    let client = env.client_with(|_| {});
    let bytes = Arc::new(data(3 * MIB + 5, 2));
    // Someone else's upload of the same key, with the reader's first part in place.
    let other = client
        .initiate_multipart_upload("s/shared.bin", &Default::default())
        .unwrap();
    client
        .upload_part(
            "s/shared.bin",
            &other,
            1,
            qcos::Body::Bytes(&bytes[..MIB]),
            &Default::default(),
        )
        .unwrap();
    let q = Queue::new(client.clone()).unwrap();
    let (r, _seen) = TestReader::new(bytes.clone(), 64 * 1024);
    let id = q
        .upload_reader(
            "s/shared.bin",
            Box::new(r),
            Some(bytes.len() as u64),
            UploadOptions::default(),
        )
        .unwrap();
    let info = q.wait(id, Some(LONG)).unwrap();
    assert_eq!(info.state, TaskState::Succeeded, "{info:?}");
    assert_eq!(info.result.unwrap().crc64, qcos::crc64::checksum(&bytes));
    let left = client.list_multipart_uploads("s/").unwrap();
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(left[0].upload_id, other);
    assert_eq!(client.list_parts("s/shared.bin", &other).unwrap().len(), 1);
}

#[test]
fn unknown_length_stream_uploads_in_parts_and_small_ones_in_one_put() {
    let env = start();
    let client = env.client_with(|_| {});
    let q = Queue::new(client.clone()).unwrap();
    let bytes = Arc::new(data(4 * MIB + 777, 2));
    let (r, seen) = TestReader::new(bytes.clone(), 3000);
    let id = q
        .upload_reader("s/stream.bin", Box::new(r), None, UploadOptions::default())
        .unwrap();
    assert_eq!(q.info(id).unwrap().total, None);
    let small = Arc::new(data(1000, 3));
    let (r2, seen2) = TestReader::new(small.clone(), 100);
    let id2 = q
        .upload_reader("s/small.bin", Box::new(r2), None, UploadOptions::default())
        .unwrap();
    let evs = collect_until(&q, |e| ended(e, id) && ended(e, id2));
    assert_legal_order(&evs);
    let info = q.wait(id, Some(LONG)).unwrap();
    assert_eq!(info.state, TaskState::Succeeded, "{info:?}");
    assert_eq!(info.total, Some(bytes.len() as u64));
    let res = info.result.unwrap();
    assert_eq!(res.crc64, qcos::crc64::checksum(&bytes));
    assert!(res.crc64_verified);
    assert!(env.server.stats().get("upload_part") >= 4);
    assert_eq!(env.server.stats().get("complete"), 1);
    let (body, crc) = get(&client, "s/stream.bin");
    assert!(body == *bytes, "object differs from the stream's bytes");
    assert_eq!(crc, Some(res.crc64));
    assert!(seen.dropped.load(Ordering::SeqCst));

    let info2 = q.wait(id2, Some(LONG)).unwrap();
    assert_eq!(info2.state, TaskState::Succeeded, "{info2:?}");
    assert_eq!(get(&client, "s/small.bin").0, *small);
    assert!(seen2.dropped.load(Ordering::SeqCst));
    assert_eq!(env.server.stats().get("put_object"), 1);
}

#[test]
fn cancel_mid_stream_aborts_the_upload_and_drops_the_reader() {
    let env = start();
    let client = env.client_with(|_| {});
    env.slow_parts("cancel/", 100);
    let q = Queue::new(client.clone()).unwrap();
    let bytes = Arc::new(data(40 * MIB, 4));
    let (r, seen) = TestReader::new(bytes.clone(), 50_000);
    let id = q
        .upload_reader("cancel/s.bin", Box::new(r), None, UploadOptions::default())
        .unwrap();
    let mut evs = collect_until(&q, |e| {
        e.iter()
            .any(|e| e.task == id && e.kind == EventKind::Progress && e.loaded >= MIB as u64)
    });
    // Pause is refused, saying why; the task keeps running.
    let e = q.pause(id).unwrap_err();
    assert!(matches!(e, Error::InvalidState(_)), "{e:?}");
    assert!(e.to_string().contains("cannot be paused"), "{e}");
    assert!(e.to_string().contains("reader"), "{e}");
    assert!(!q.info(id).unwrap().state.is_final());
    q.cancel(id).unwrap();
    let info = q.wait(id, Some(LONG)).unwrap();
    assert_eq!(info.state, TaskState::Cancelled, "{info:?}");
    assert!(info.error.is_none(), "{info:?}");
    assert!(info.upload_id.is_none());
    assert!(
        seen.dropped.load(Ordering::SeqCst),
        "reader kept after cancel"
    );
    assert!(seen.read.load(Ordering::SeqCst) < bytes.len() as u64);
    evs.extend(collect_until(&q, |e| ended(e, id)));
    assert_legal_order(&evs);
    assert!(client.list_multipart_uploads("cancel/").unwrap().is_empty());
    assert_eq!(env.server.stats().get("abort"), 1);
    let e = client
        .head_object("cancel/s.bin", &GetObjectOptions::default())
        .unwrap_err();
    assert_eq!(e.service().map(|s| s.http_status), Some(404));
    // Resuming a cancelled task is refused as for any cancelled task.
    assert!(matches!(q.resume(id), Err(Error::InvalidState(_))));
}

#[test]
fn waiting_stream_task_refuses_pause_and_cancel_drops_its_reader_unread() {
    let env = start();
    let client = env.client_with(|c| c.file_parallel_limit = 1);
    env.slow_parts("wait/", 100);
    let q = Queue::new(client.clone()).unwrap();
    let big = Arc::new(data(8 * MIB, 5));
    let (r1, seen1) = TestReader::new(big.clone(), 1 << 16);
    let first = q
        .upload_reader(
            "wait/first.bin",
            Box::new(r1),
            Some(big.len() as u64),
            UploadOptions::default(),
        )
        .unwrap();
    let (r2, seen2) = TestReader::new(big.clone(), 1 << 16);
    let second = q
        .upload_reader(
            "wait/second.bin",
            Box::new(r2),
            None,
            UploadOptions::default(),
        )
        .unwrap();
    collect_until(&q, |e| {
        e.iter()
            .any(|e| e.task == first && e.kind == EventKind::Progress)
    });
    assert_eq!(q.info(second).unwrap().state, TaskState::Waiting);
    let e = q.pause(second).unwrap_err();
    assert!(matches!(e, Error::InvalidState(_)), "{e:?}");
    assert_eq!(q.info(second).unwrap().state, TaskState::Waiting);
    assert!(!seen2.dropped.load(Ordering::SeqCst));
    q.cancel(second).unwrap();
    assert_eq!(q.info(second).unwrap().state, TaskState::Cancelled);
    assert!(seen2.dropped.load(Ordering::SeqCst), "waiting reader kept");
    assert_eq!(
        seen2.read.load(Ordering::SeqCst),
        0,
        "waiting reader was read"
    );
    q.cancel(first).unwrap();
    assert_eq!(
        q.wait(first, Some(LONG)).unwrap().state,
        TaskState::Cancelled
    );
    assert!(seen1.dropped.load(Ordering::SeqCst));
    assert!(client.list_multipart_uploads("wait/").unwrap().is_empty());
}

#[test]
fn reader_error_fails_the_task_and_aborts_its_upload() {
    let env = start();
    let client = env.client_with(|_| {});
    let q = Queue::new(client.clone()).unwrap();
    let bytes = Arc::new(data(6 * MIB, 6));
    let (mut r, seen) = TestReader::new(bytes.clone(), 1 << 16);
    r.fail_at = Some((3 * MIB + 100, false));
    let id = q
        .upload_reader("fail/s.bin", Box::new(r), None, UploadOptions::default())
        .unwrap();
    let evs = collect_until(&q, |e| ended(e, id));
    assert_legal_order(&evs);
    let info = q.wait(id, Some(LONG)).unwrap();
    assert_eq!(info.state, TaskState::Failed, "{info:?}");
    let err = info.error.clone().unwrap();
    assert_eq!(err.status, Status::Io, "{err:?}");
    assert!(
        err.message.contains("the tape drive caught fire"),
        "{err:?}"
    );
    assert!(info.upload_id.is_none(), "{info:?}");
    assert!(
        seen.dropped.load(Ordering::SeqCst),
        "reader kept after failure"
    );
    // Parts were sent before the error; the upload was aborted.
    assert!(env.server.stats().get("upload_part") >= 1);
    assert!(client.list_multipart_uploads("fail/").unwrap().is_empty());
    let e = q.resume(id).unwrap_err();
    assert!(matches!(e, Error::InvalidState(_)), "{e:?}");
    assert!(e.to_string().contains("cannot be resumed"), "{e}");
    assert_eq!(q.info(id).unwrap().state, TaskState::Failed);
    q.cancel(id).unwrap();
    assert_eq!(q.info(id).unwrap().state, TaskState::Cancelled);

    // A reader shorter than its declared length fails the task too.
    let short = Arc::new(data(2 * MIB, 7));
    let (r, seen) = TestReader::new(short.clone(), 1 << 16);
    let id = q
        .upload_reader(
            "fail/short.bin",
            Box::new(r),
            Some(3 * MIB as u64),
            UploadOptions::default(),
        )
        .unwrap();
    let info = q.wait(id, Some(LONG)).unwrap();
    assert_eq!(info.state, TaskState::Failed, "{info:?}");
    let err = info.error.unwrap();
    assert!(err.message.contains("declared"), "{err:?}");
    assert!(seen.dropped.load(Ordering::SeqCst));
    assert!(client.list_multipart_uploads("fail/").unwrap().is_empty());
}

#[test]
fn reader_returning_cancel_task_cancels_it() {
    let env = start();
    let client = env.client_with(|_| {});
    let q = Queue::new(client.clone()).unwrap();
    let bytes = Arc::new(data(5 * MIB, 8));
    let (mut r, seen) = TestReader::new(bytes, 1 << 16);
    r.fail_at = Some((2 * MIB + 5, true));
    let id = q
        .upload_reader("rc/s.bin", Box::new(r), None, UploadOptions::default())
        .unwrap();
    let info = q.wait(id, Some(LONG)).unwrap();
    assert_eq!(info.state, TaskState::Cancelled, "{info:?}");
    assert!(info.error.is_none(), "{info:?}");
    assert!(seen.dropped.load(Ordering::SeqCst));
    assert!(client.list_multipart_uploads("rc/").unwrap().is_empty());
}

#[test]
fn shutdown_drops_the_reader_of_a_waiting_stream_task() {
    let env = start();
    let client = env.client_with(|c| c.file_parallel_limit = 1);
    env.slow_parts("shut/", 100);
    let q = Queue::new(client.clone()).unwrap();
    let big = Arc::new(data(20 * MIB, 9));
    let (r1, seen1) = TestReader::new(big.clone(), 1 << 16);
    let running = q
        .upload_reader("shut/a.bin", Box::new(r1), None, UploadOptions::default())
        .unwrap();
    let (r2, seen2) = TestReader::new(big, 1 << 16);
    let waiting = q
        .upload_reader("shut/b.bin", Box::new(r2), None, UploadOptions::default())
        .unwrap();
    collect_until(&q, |e| {
        e.iter()
            .any(|e| e.task == running && e.kind == EventKind::Progress)
    });
    assert_eq!(q.info(waiting).unwrap().state, TaskState::Waiting);
    q.shutdown();
    assert_eq!(q.info(waiting).unwrap().state, TaskState::Cancelled);
    assert_eq!(q.info(running).unwrap().state, TaskState::Cancelled);
    assert!(seen2.dropped.load(Ordering::SeqCst), "waiting reader kept");
    assert_eq!(seen2.read.load(Ordering::SeqCst), 0);
    assert!(seen1.dropped.load(Ordering::SeqCst), "running reader kept");
    assert!(client.list_multipart_uploads("shut/").unwrap().is_empty());
    // A shut-down queue refuses new readers (dropping them).
    let (r3, seen3) = TestReader::new(Arc::new(data(10, 1)), 10);
    let e = q
        .upload_reader("shut/c.bin", Box::new(r3), None, UploadOptions::default())
        .unwrap_err();
    assert!(matches!(e, Error::InvalidState(_)), "{e:?}");
    assert!(seen3.dropped.load(Ordering::SeqCst));
    drop(q);
}

#[test]
fn bad_key_is_refused_and_the_reader_dropped() {
    let env = start();
    let client = env.client_with(|_| {});
    let q = Queue::new(client).unwrap();
    let (r, seen) = TestReader::new(Arc::new(data(10, 1)), 10);
    let e = q
        .upload_reader("", Box::new(r), Some(10), UploadOptions::default())
        .unwrap_err();
    assert_eq!(e.status(), Status::InvalidArgument, "{e:?}");
    assert!(seen.dropped.load(Ordering::SeqCst));
}
