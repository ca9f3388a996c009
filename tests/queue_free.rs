//! Shutting a queue down with transfers in flight (`Queue::shutdown`, and in C
//! `qcos_client_free` of the queue's client), against qcos-server on loopback whose
//! Upload Part requests stall, so the uploads are surely running when it happens.

use std::ffi::CString;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use qcos::auth::Credentials;
use qcos::ffi::client::{qcos_client, qcos_client_free, qcos_client_new};
use qcos::ffi::config::{
    qcos_config, qcos_config_new, qcos_config_set_chunk_size, qcos_config_set_credentials,
    qcos_config_set_endpoint, qcos_config_set_file_parallel_limit,
    qcos_config_set_progress_interval_ms, qcos_config_set_slice_size,
};
use qcos::ffi::queue::{
    qcos_queue, qcos_queue_free, qcos_queue_new, qcos_queue_set_event_callback, qcos_queue_upload,
    qcos_queue_wait, qcos_task_state,
};
use qcos::queue::{Event, EventKind, Queue, TaskState};
use qcos::transfer::{DownloadOptions, UploadOptions};
use qcos::{Client, Config, Status};
use qcos_server::{
    FaultAction, FaultRule, RunningServer, Server, ServerConfig, TEST_SECRET_ID, TEST_SECRET_KEY,
};

const MIB: usize = 1 << 20;
const BUCKET: &str = "qfree-1250000000";
const LONG: Duration = Duration::from_secs(120);

struct Env {
    server: RunningServer,
    dir: tempfile::TempDir,
}

fn start() -> Env {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Server::start(ServerConfig::new(dir.path().join("data"))).expect("server");
    Env { server, dir }
}

impl Env {
    fn config(&self) -> Config {
        let mut c = Config::new("ap-guangzhou", BUCKET);
        c.endpoint = Some(self.server.endpoint());
        c.credentials = Some(Credentials::new(TEST_SECRET_ID, TEST_SECRET_KEY));
        c.retry_base_delay_ms = 5;
        c.chunk_size = MIB as u64;
        c.slice_size = MIB as u64;
        c.chunk_parallel_limit = 2;
        c.file_parallel_limit = 1;
        c.progress_interval_ms = 10;
        c
    }

    fn client(&self) -> Client {
        let client = Client::new(self.config()).expect("client");
        if client.head_bucket().is_err() {
            client.create_bucket().expect("create bucket");
        }
        client
    }

    fn file(&self, name: &str, len: usize) -> PathBuf {
        let p = self.dir.path().join(name);
        let data: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
        std::fs::File::create(&p).unwrap().write_all(&data).unwrap();
        p
    }

    /// Every Upload Part request to a key containing `key` waits `ms` first.
    fn slow_parts(&self, key: &str, ms: u64) {
        let mut rule = FaultRule::new(FaultAction::Stall(Duration::from_millis(ms)))
            .method("PUT")
            .path_contains(key)
            .query_contains("partNumber");
        rule.times = 0;
        self.server.faults().add(rule);
    }

    fn wait_for_parts(&self, n: u64) {
        let until = Instant::now() + LONG;
        while self.server.stats().get("upload_part") < n {
            assert!(Instant::now() < until, "the upload never started");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

fn is_shut_down_error(e: &qcos::Error) -> bool {
    e.status() == Status::InvalidState && e.to_string().contains("shut down")
}

#[test]
fn shutdown_cancels_running_tasks_and_the_queue_keeps_answering() {
    let env = start();
    let client = env.client();
    env.slow_parts("sd/", 150);
    let q = Queue::new(client.clone()).unwrap();
    let calls = Arc::new(AtomicUsize::new(0));
    {
        let calls = calls.clone();
        q.set_callback(Some(Box::new(move |_e: &Event| {
            calls.fetch_add(1, Ordering::SeqCst);
        })))
        .unwrap();
    }
    let big = env.file("big", 24 * MIB);
    let small = env.file("small", 1000);
    // One worker: the big one runs, the next waits, the third is paused.
    let running = q.upload("sd/big", &big, UploadOptions::default()).unwrap();
    let waiting = q
        .upload("sd/wait", &small, UploadOptions::default())
        .unwrap();
    let paused = q
        .upload("sd/paused", &small, UploadOptions::default())
        .unwrap();
    q.pause(paused).unwrap();
    env.wait_for_parts(2);
    assert_eq!(q.info(running).unwrap().state, TaskState::Running);

    q.shutdown();
    assert!(q.is_shut_down());
    let after = calls.load(Ordering::SeqCst);
    let parts = env.server.stats().get("upload_part");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        calls.load(Ordering::SeqCst),
        after,
        "a callback after shutdown"
    );
    assert_eq!(
        env.server.stats().get("upload_part"),
        parts,
        "a part after shutdown"
    );
    // The running upload was aborted before shutdown returned.
    assert!(client.list_multipart_uploads("sd/").unwrap().is_empty());
    assert!(env.server.stats().get("abort") >= 1);

    // Recorded states, and wait returns at once.
    assert_eq!(q.info(running).unwrap().state, TaskState::Cancelled);
    assert_eq!(q.info(waiting).unwrap().state, TaskState::Cancelled);
    assert_eq!(q.info(paused).unwrap().state, TaskState::Paused);
    assert_eq!(q.tasks().len(), 3);
    let t = Instant::now();
    assert_eq!(q.wait(running, None).unwrap().state, TaskState::Cancelled);
    assert_eq!(
        q.wait(waiting, Some(Duration::ZERO)).unwrap().state,
        TaskState::Cancelled
    );
    let e = q.wait(paused, Some(LONG)).unwrap_err();
    assert!(is_shut_down_error(&e), "{e}");
    assert!(t.elapsed() < Duration::from_secs(10));

    // New work and controls are refused, with the reason.
    let e = q
        .upload("sd/late", &small, UploadOptions::default())
        .unwrap_err();
    assert!(is_shut_down_error(&e), "{e}");
    assert!(e.to_string().contains("client was freed"), "{e}");
    let e = q
        .download(
            "sd/late",
            env.dir.path().join("late"),
            DownloadOptions::default(),
        )
        .unwrap_err();
    assert!(is_shut_down_error(&e), "{e}");
    for r in [q.pause(paused), q.resume(paused), q.cancel(paused)] {
        let e = r.unwrap_err();
        assert!(is_shut_down_error(&e), "{e}");
    }
    let e = q.set_callback(Some(Box::new(|_e: &Event| {}))).unwrap_err();
    assert!(is_shut_down_error(&e), "{e}");
    q.set_callback(None).unwrap();

    // The events after the callback stopped are there for next_event, the running
    // task's Cancelled among them.
    let mut evs = Vec::new();
    while let Some(e) = q.next_event(Duration::ZERO).unwrap() {
        evs.push(e);
    }
    assert!(
        evs.iter().any(|e| e.task == running
            && e.kind == EventKind::State
            && e.state == TaskState::Cancelled),
        "{evs:?}"
    );
    // Idempotent, and drop after it is fine.
    q.shutdown();
    drop(q);
    assert_eq!(calls.load(Ordering::SeqCst), after);
    // The cancelled upload left no object behind.
    assert!(
        client
            .head_object("sd/big", &Default::default())
            .unwrap_err()
            .service()
            .is_some_and(|s| s.http_status == 404)
    );
}

#[test]
fn shutdown_from_inside_the_event_callback_does_not_deadlock() {
    let env = start();
    let client = env.client();
    env.slow_parts("cb/", 150);
    let q = Arc::new(Queue::new(client.clone()).unwrap());
    let done = Arc::new(AtomicBool::new(false));
    let states_after: Arc<Mutex<Option<TaskState>>> = Arc::default();
    {
        let weak = Arc::downgrade(&q);
        let done = done.clone();
        let states_after = states_after.clone();
        q.set_callback(Some(Box::new(move |e: &Event| {
            if e.kind != EventKind::Progress || e.loaded == 0 || done.load(Ordering::SeqCst) {
                return;
            }
            if let Some(q) = weak.upgrade() {
                q.shutdown();
                // Shut down before returning: the task already ended.
                *states_after.lock().unwrap() = Some(q.info(e.task).unwrap().state);
                done.store(true, Ordering::SeqCst);
            }
        })))
        .unwrap();
    }
    let big = env.file("big", 16 * MIB);
    let id = q.upload("cb/big", &big, UploadOptions::default()).unwrap();
    let until = Instant::now() + LONG;
    while !done.load(Ordering::SeqCst) {
        assert!(
            Instant::now() < until,
            "the callback never shut the queue down"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(*states_after.lock().unwrap(), Some(TaskState::Cancelled));
    assert_eq!(
        q.wait(id, Some(Duration::ZERO)).unwrap().state,
        TaskState::Cancelled
    );
    assert!(q.is_shut_down());
    // A shutdown from another thread now returns at once.
    q.shutdown();
    drop(q);
    assert!(client.list_multipart_uploads("cb/").unwrap().is_empty());
}

#[test]
fn concurrent_shutdowns_all_return_after_the_threads_are_joined() {
    let env = start();
    let client = env.client();
    env.slow_parts("cc/", 150);
    let q = Arc::new(Queue::new(client.clone()).unwrap());
    let big = env.file("big", 16 * MIB);
    let id = q.upload("cc/big", &big, UploadOptions::default()).unwrap();
    env.wait_for_parts(1);
    let threads: Vec<_> = (0..3)
        .map(|_| {
            let q = q.clone();
            std::thread::spawn(move || {
                q.shutdown();
                // Whichever call did the work, every caller sees the end state.
                q.info(id).unwrap().state
            })
        })
        .collect();
    for t in threads {
        assert_eq!(t.join().unwrap(), TaskState::Cancelled);
    }
    assert!(client.list_multipart_uploads("cc/").unwrap().is_empty());
}

// ---- the C API, called from Rust: qcos_client_free shuts its queues down ----

fn c_client(env: &Env) -> *const qcos_client {
    let region = c"ap-guangzhou";
    let bucket = CString::new(BUCKET).unwrap();
    let endpoint = CString::new(env.server.endpoint()).unwrap();
    let id = CString::new(TEST_SECRET_ID).unwrap();
    let key = CString::new(TEST_SECRET_KEY).unwrap();
    let mut cfg: *mut qcos_config = std::ptr::null_mut();
    assert_eq!(
        qcos_config_new(region.as_ptr(), bucket.as_ptr(), &mut cfg),
        Status::Ok
    );
    assert_eq!(qcos_config_set_endpoint(cfg, endpoint.as_ptr()), Status::Ok);
    assert_eq!(
        qcos_config_set_credentials(cfg, id.as_ptr(), key.as_ptr()),
        Status::Ok
    );
    assert_eq!(qcos_config_set_slice_size(cfg, MIB as u64), Status::Ok);
    assert_eq!(qcos_config_set_chunk_size(cfg, MIB as u64), Status::Ok);
    assert_eq!(qcos_config_set_file_parallel_limit(cfg, 1), Status::Ok);
    assert_eq!(qcos_config_set_progress_interval_ms(cfg, 10), Status::Ok);
    let mut client: *const qcos_client = std::ptr::null();
    assert_eq!(qcos_client_new(cfg, &mut client), Status::Ok);
    client
}

static C_CALLS: AtomicUsize = AtomicUsize::new(0);

unsafe extern "C" fn count_event(
    _user_data: *mut std::ffi::c_void,
    _event: *const qcos::ffi::queue::qcos_queue_event,
) {
    C_CALLS.fetch_add(1, Ordering::SeqCst);
}

#[test]
fn c_client_free_shuts_down_every_queue_of_the_client() {
    let env = start();
    env.client();
    env.slow_parts("ffi/", 150);
    let client = c_client(&env);
    let mut q1: *mut qcos_queue = std::ptr::null_mut();
    let mut q2: *mut qcos_queue = std::ptr::null_mut();
    assert_eq!(qcos_queue_new(client, &mut q1), Status::Ok);
    assert_eq!(qcos_queue_new(client, &mut q2), Status::Ok);
    assert_eq!(
        qcos_queue_set_event_callback(q1, Some(count_event), std::ptr::null_mut()),
        Status::Ok
    );
    let big = env.file("big", 16 * MIB);
    let path = std::ffi::CString::new(big.to_str().unwrap()).unwrap();
    let (mut t1, mut t2) = (0u64, 0u64);
    assert_eq!(
        qcos_queue_upload(
            q1,
            c"ffi/one".as_ptr(),
            path.as_ptr(),
            std::ptr::null(),
            std::ptr::null(),
            &mut t1
        ),
        Status::Ok
    );
    assert_eq!(
        qcos_queue_upload(
            q2,
            c"ffi/two".as_ptr(),
            path.as_ptr(),
            std::ptr::null(),
            std::ptr::null(),
            &mut t2
        ),
        Status::Ok
    );
    env.wait_for_parts(2);
    qcos_client_free(client);
    let after = C_CALLS.load(Ordering::SeqCst);
    assert!(after > 0);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        C_CALLS.load(Ordering::SeqCst),
        after,
        "a callback after the free"
    );
    for (q, t) in [(q1, t1), (q2, t2)] {
        let mut st = qcos_task_state::Waiting;
        assert_eq!(qcos_queue_wait(q, t, 0, &mut st), Status::Ok);
        assert_eq!(st, qcos_task_state::Cancelled);
        let mut id = 0u64;
        assert_eq!(
            qcos_queue_upload(
                q,
                c"ffi/late".as_ptr(),
                path.as_ptr(),
                std::ptr::null(),
                std::ptr::null(),
                &mut id
            ),
            Status::InvalidState
        );
    }
    qcos_queue_free(q1);
    qcos_queue_free(q2);
    let left = env.client().list_multipart_uploads("ffi/").unwrap();
    assert!(left.is_empty(), "{left:?}");
}
