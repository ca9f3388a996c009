//! The transfer queue: background uploads, downloads and server-side copies with pause,
//! resume, cancel and events (the seed SDK's task list, in a sync-first shape).
//!
//! A [`Queue`] belongs to one [`Client`]. [`Queue::upload`], [`Queue::upload_reader`],
//! [`Queue::download`] and [`Queue::copy`] return a [`TaskId`] at once; the transfer
//! runs on one of the queue's `file_parallel_limit` worker threads, so at most that many
//! run at a time, each with its own `chunk_parallel_limit` parts (the transfer engine's
//! parallelism).
//!
//! # States
//!
//! ```text
//! Waiting ──> Checking ──> Running ──> Succeeded
//!   │  ^         │  │         │ │  └─> Failed ──> Waiting (resume) / Cancelled (cancel)
//!   │  │         │  └─────────┼─┼────> Failed
//!   │  └─────────┴────────────┴─┼────  (a pause request withdrawn by resume in time)
//!   ├──> Paused <──────────────┴┘     Paused ──> Waiting (resume) / Cancelled (cancel)
//!   └──> Cancelled <── Checking, Running (cancel)
//! ```
//!
//! `Checking` is the time spent looking for a resumable upload (or a partial download)
//! before the first byte moves. [`legal_transition`] is the exact table.
//!
//! - **pause** stops a task at part boundaries: parts already sending finish their request,
//!   no new part starts, and the multipart upload (or the partial download) is kept. A
//!   waiting task is paused at once.
//! - **resume** queues a paused (or failed) task again; it continues from the parts the
//!   service already has: each is checked against the local bytes and none is sent again.
//! - **cancel** stops a task and aborts its multipart upload (a download's partial file is
//!   removed). A waiting, paused or failed task is cancelled at once (by the calling
//!   thread, which sends the Abort for a paused or failed upload).
//!
//! A copy (the seed SDK's `sliceCopyFile` as a task) runs [`slice_copy_resume`]: one PUT
//! Object - Copy up to `copy_slice_size` (nothing to pause in the middle of), otherwise a
//! multipart copy whose Upload Part - Copy requests are the parts above, at most
//! `copy_chunk_parallel_limit` at once. A paused (or failed) copy keeps its multipart
//! upload; resume continues that same upload (found by its UploadId, which the task
//! keeps), and the parts the service lists are not copied again, provided the source's
//! ETag is still the one it had when the copy began (otherwise the stale upload is
//! aborted and the copy starts over). Cancel aborts it, as for uploads.
//!
//! # Uploads from a reader
//!
//! [`Queue::upload_reader`] queues the upload of a reader: of exactly `len` bytes, or of
//! unknown length read to its end (a stream, uploaded in parts as they fill). It runs on
//! the workers like a file upload, with the same events and cancel. Its bytes can be
//! read only once, so such a task can be neither paused nor resumed: `pause` (in any
//! state) and `resume` (of a failed one) fail with [`Error::InvalidState`] saying so,
//! and a failure aborts the multipart upload (nothing could continue it). The reader is
//! read only on the worker running the task, and dropped as soon as the task ends
//! (succeeded, failed or cancelled: a waiting task's reader is dropped unread by
//! `cancel`), or when the queue shuts down. A read error fails the task with that
//! error, except an error wrapping [`CancelTask`], which cancels it.
//! [`TaskInfo::is_stream`] tells such tasks apart (their `path` is empty).
//!
//! All three may be called from any thread, on a task in any state; where the request
//! makes no sense (resuming a task that succeeded, pausing a cancelled one) the answer is
//! [`Error::InvalidState`], and an unknown id is [`Error::NotFound`].
//!
//! # Events and threads
//!
//! Every state change and a progress tick every `progress_interval_ms` of a running task
//! become an [`Event`], in the order they happened, sent into a crossbeam channel. Read
//! them with [`Queue::next_event`], or register a callback with [`Queue::set_callback`]:
//! it runs on the queue's event thread (named `qcos-queue-events`), one event at a time,
//! never on a worker and never on the thread that queued the task. While a callback is
//! registered it receives every event and `next_event` refuses. State events are never
//! dropped; progress ticks are dropped while more than [`MAX_PENDING_TICKS`] events wait
//! unread. [`Queue::wait`] blocks until a task reaches a final state.
//!
//! The queue keeps at most `upload_queue_size` tasks: queueing one more drops finished
//! tasks (succeeded, failed, cancelled), oldest first; waiting, running and paused tasks
//! are never dropped, so queueing fails with `InvalidState` when all are unfinished.
//!
//! # Shutting down and dropping
//!
//! The queue holds its own clone of the client: dropping the caller's `Client` does not
//! disturb it. [`Queue::shutdown`] stops it for good: it first stops the callback (no
//! callback runs once it returns), then cancels every waiting and running task (running
//! uploads and copies abort their multipart upload) and joins every thread the queue
//! started. Paused tasks are left as they are: their multipart uploads stay on the
//! service, and a later upload of the same file to the same key resumes them (a paused
//! copy's upload is only found again through its UploadId, [`TaskInfo::upload_id`]:
//! abort it, or let the bucket's lifecycle rules clean it up). A shut-down queue refuses
//! new work and task controls (`InvalidState`) but still answers `info`, `tasks`,
//! `next_event` and `wait`. Dropping the queue shuts it down (if it was not already).
//! In C, `qcos_client_free` shuts down every queue made from the client, so no queue
//! thread outlives the client handle.

mod dir;
mod store;

use std::collections::{BTreeMap, VecDeque};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};

use crate::client::{Client, CopySource};
use crate::encode::{validate_bucket, validate_key, validate_region};
use crate::error::{Error, Result, Status};
use crate::transfer::{
    CopyOptions, CopyResume, DownloadOptions, Leftover, MultipartStore, Progress, UploadOptions,
    UploadSource, download_file, slice_copy_resume, upload,
};
use store::TaskStore;

/// Identifies a task within its queue; the first task is 1, never reused.
pub type TaskId = u64;

/// Progress ticks are dropped while more than this many events wait unread.
pub const MAX_PENDING_TICKS: usize = 4096;

/// Where a task is in its life (see the module documentation for the transitions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaskState {
    /// Queued, waiting for a worker.
    Waiting,
    /// A worker took it and is looking for an upload (or partial download) to continue.
    Checking,
    /// Bytes are moving.
    Running,
    /// Stopped by `pause`; `resume` continues it.
    Paused,
    /// Stopped by `cancel` (final).
    Cancelled,
    /// Done; [`TaskInfo::result`] has the result (final).
    Succeeded,
    /// Stopped by an error; [`TaskInfo::error`] has it. Final, though `resume` retries it
    /// and `cancel` cleans up its multipart upload.
    Failed,
}

impl TaskState {
    /// Succeeded, failed or cancelled.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            TaskState::Succeeded | TaskState::Failed | TaskState::Cancelled
        )
    }

    /// Checking or running (holding a worker).
    pub fn is_active(self) -> bool {
        matches!(self, TaskState::Checking | TaskState::Running)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TaskState::Waiting => "waiting",
            TaskState::Checking => "checking",
            TaskState::Running => "running",
            TaskState::Paused => "paused",
            TaskState::Cancelled => "cancelled",
            TaskState::Succeeded => "succeeded",
            TaskState::Failed => "failed",
        }
    }
}

/// Whether the queue may move a task from `from` to `to` (the complete table).
pub fn legal_transition(from: TaskState, to: TaskState) -> bool {
    use TaskState::*;
    matches!(
        (from, to),
        (Waiting, Checking | Paused | Cancelled)
            | (Checking, Running | Paused | Cancelled | Failed | Waiting)
            | (Running, Paused | Cancelled | Succeeded | Failed | Waiting)
            | (Paused, Waiting | Cancelled)
            | (Failed, Waiting | Cancelled)
    )
}

/// Upload, download or server-side copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskKind {
    Upload,
    Download,
    /// A server-side copy ([`Queue::copy`]); [`TaskInfo::source`] names its source.
    Copy,
}

/// Why a task failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskError {
    pub status: Status,
    /// The error's full message.
    pub message: String,
    /// For service errors: HTTP status, COS code and RequestId (0 / "" otherwise).
    pub http_status: u16,
    pub code: String,
    pub request_id: String,
}

impl From<&Error> for TaskError {
    fn from(e: &Error) -> Self {
        let s = e.service();
        TaskError {
            status: e.status(),
            message: e.to_string(),
            http_status: s.map_or(0, |s| s.http_status),
            code: s.map(|s| s.code.clone()).unwrap_or_default(),
            request_id: s.map(|s| s.request_id.clone()).unwrap_or_default(),
        }
    }
}

/// What a succeeded task produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskResult {
    pub etag: String,
    /// CRC-64/ECMA of the bytes (computed locally).
    pub crc64: u64,
    /// Whether the service's CRC-64 was there and matched.
    pub crc64_verified: bool,
    /// Version id of an uploaded object in a versioned bucket.
    pub version_id: Option<String>,
    pub size: u64,
}

/// A snapshot of a task.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskInfo {
    pub id: TaskId,
    pub kind: TaskKind,
    pub key: String,
    /// The local file (empty for a copy).
    pub path: PathBuf,
    /// The source of a copy (`None` for uploads and downloads).
    pub source: Option<CopySource>,
    pub state: TaskState,
    pub loaded: u64,
    /// `None` until the size is known (before the first progress report of a download).
    pub total: Option<u64>,
    /// Bytes per second over the last progress interval.
    pub speed: f64,
    /// Set while the task is `Failed`.
    pub error: Option<TaskError>,
    /// Set once the task `Succeeded`.
    pub result: Option<TaskResult>,
    /// The UploadId of the multipart upload a paused or failed upload or copy keeps on
    /// the service (`None` otherwise, and for downloads). A paused copy's upload can be
    /// found again only through this id: abort it with
    /// [`Client::abort_multipart_upload`] if the task will not be resumed.
    pub upload_id: Option<String>,
    /// The upload reads from a reader ([`Queue::upload_reader`]): `path` is empty, and
    /// the task can be neither paused nor resumed.
    pub is_stream: bool,
}

/// The error a reader given to [`Queue::upload_reader`] returns to cancel its task
/// rather than fail it: `Err(std::io::Error::other(CancelTask))`. The task then ends
/// `Cancelled` (its multipart upload aborted), as if [`Queue::cancel`] had been called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CancelTask;

impl std::fmt::Display for CancelTask {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the upload's reader cancelled the task")
    }
}

impl std::error::Error for CancelTask {}

/// Whether `e` is a reader's [`CancelTask`].
fn is_reader_cancel(e: &Error) -> bool {
    match e {
        Error::Io { source, .. } => source.get_ref().is_some_and(|i| i.is::<CancelTask>()),
        _ => false,
    }
}

/// A queued upload's reader, taken by the worker that runs the task.
type ReaderSlot = Mutex<Option<Box<dyn Read + Send>>>;

/// What an [`Event`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// The task entered `state`.
    State,
    /// A progress tick of a running task.
    Progress,
}

/// One event of the queue.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Event {
    pub task: TaskId,
    pub kind: EventKind,
    /// The task's state after the event.
    pub state: TaskState,
    pub loaded: u64,
    pub total: Option<u64>,
    pub speed: f64,
}

/// A registered event callback.
pub type EventCallback = Box<dyn FnMut(&Event) + Send>;

enum Spec {
    Upload {
        path: PathBuf,
        opts: UploadOptions,
    },
    Download {
        path: PathBuf,
        opts: DownloadOptions,
    },
    Copy {
        src: CopySource,
        opts: CopyOptions,
    },
    /// [`Queue::upload_reader`]: `len` bytes, or a stream when `None`.
    Reader {
        reader: ReaderSlot,
        len: Option<u64>,
        opts: UploadOptions,
    },
}

impl Spec {
    fn is_stream(&self) -> bool {
        matches!(self, Spec::Reader { .. })
    }

    /// Take the reader out (to run it, or to drop it unread).
    fn take_reader(&self) -> Option<Box<dyn Read + Send>> {
        match self {
            Spec::Reader { reader, .. } => reader.lock().unwrap_or_else(|p| p.into_inner()).take(),
            _ => None,
        }
    }
}

pub(crate) const RUN: u8 = 0;
pub(crate) const PAUSE: u8 = 1;
pub(crate) const CANCEL: u8 = 2;

struct Task {
    id: TaskId,
    key: String,
    spec: Arc<Spec>,
    state: TaskState,
    loaded: u64,
    total: Option<u64>,
    speed: f64,
    error: Option<TaskError>,
    result: Option<TaskResult>,
    /// What the worker running it should do at the next part boundary.
    control: Arc<AtomicU8>,
    /// The multipart upload a stopped upload (or copy) left on the service.
    upload_id: Option<String>,
    /// A copy's source ETag when its multipart upload began (a resume checks it).
    source_etag: Option<String>,
}

impl Task {
    fn info(&self) -> TaskInfo {
        let (kind, path, source) = match &*self.spec {
            Spec::Upload { path, .. } => (TaskKind::Upload, path.clone(), None),
            Spec::Download { path, .. } => (TaskKind::Download, path.clone(), None),
            Spec::Copy { src, .. } => (TaskKind::Copy, PathBuf::new(), Some(src.clone())),
            Spec::Reader { .. } => (TaskKind::Upload, PathBuf::new(), None),
        };
        TaskInfo {
            id: self.id,
            kind,
            key: self.key.clone(),
            path,
            source,
            state: self.state,
            loaded: self.loaded,
            total: self.total,
            speed: self.speed,
            error: self.error.clone(),
            result: self.result.clone(),
            upload_id: self.upload_id.clone(),
            is_stream: self.spec.is_stream(),
        }
    }

    fn event(&self, kind: EventKind) -> Event {
        Event {
            task: self.id,
            kind,
            state: self.state,
            loaded: self.loaded,
            total: self.total,
            speed: self.speed,
        }
    }
}

struct State {
    tasks: BTreeMap<TaskId, Task>,
    pending: VecDeque<TaskId>,
    next_id: TaskId,
    shutdown: bool,
}

struct Inner {
    client: Client,
    queue_size: usize,
    tick_interval: Duration,
    state: Mutex<State>,
    /// Workers wait here for work.
    work: Condvar,
    /// `wait` waits here for tasks to end.
    ended: Condvar,
    tx: Sender<Event>,
    rx: Receiver<Event>,
    callback_on: AtomicBool,
    /// The parts of every transfer run here (`None` once the queue is dropped).
    pool: Mutex<Option<Arc<rayon::ThreadPool>>>,
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn emit(&self, ev: Event) {
        if ev.kind == EventKind::Progress && self.tx.len() >= MAX_PENDING_TICKS {
            return;
        }
        // Cannot fail: `self.rx` keeps the channel open.
        let _ = self.tx.send(ev);
    }

    /// Move `task` to `to` and announce it (the caller holds the lock).
    fn set_state(&self, task: &mut Task, to: TaskState) {
        debug_assert!(
            legal_transition(task.state, to),
            "{:?} -> {:?}",
            task.state,
            to
        );
        task.state = to;
        if to != TaskState::Failed {
            task.error = None;
        }
        self.emit(task.event(EventKind::State));
        if to.is_final() || to == TaskState::Paused {
            self.ended.notify_all();
        }
    }
}

struct EventThread {
    stop: Arc<AtomicBool>,
    handle: JoinHandle<()>,
}

thread_local! {
    /// On a queue's event thread: the address of that queue's `Inner` (0 elsewhere), so
    /// a shutdown from inside the callback does not join its own thread. A plain `Cell`:
    /// nothing to allocate or destroy.
    static ON_EVENT_THREAD: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Whether this thread is the event thread of any queue.
fn on_event_thread() -> bool {
    ON_EVENT_THREAD.with(|c| c.get()) != 0
}

/// The error of the calls a shut-down queue refuses.
fn shut_down() -> Error {
    Error::InvalidState("the queue was shut down (its client was freed)".into())
}

/// A queue of background transfers of one client. See the module documentation.
///
/// Thread-safe: every method takes `&self` and may be called from any thread.
pub struct Queue {
    inner: Arc<Inner>,
    workers: Mutex<Vec<JoinHandle<()>>>,
    /// The part pool's threads, joined at shutdown (rayon itself never joins them).
    pool_threads: Arc<Mutex<Vec<JoinHandle<()>>>>,
    events: Mutex<Option<EventThread>>,
    /// Set (under the `events` lock) when shutdown begins: no callback is registered
    /// after that.
    closing: AtomicBool,
    /// Held for the whole of a shutdown; true once one completed.
    shut: Mutex<bool>,
}

impl std::fmt::Debug for Queue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Queue")
            .field(
                "workers",
                &self.workers.lock().unwrap_or_else(|p| p.into_inner()).len(),
            )
            .field("queue_size", &self.inner.queue_size)
            .finish_non_exhaustive()
    }
}

impl Queue {
    /// A queue for `client` (a clone shares its connections), with the client's
    /// `file_parallel_limit` workers, `upload_queue_size` and `progress_interval_ms`.
    /// Starts `file_parallel_limit` worker threads (named `qcos-queue-N`) and a pool of
    /// `file_parallel_limit × chunk_parallel_limit` part threads (`qcos-queue-part-N`).
    pub fn new(client: Client) -> Result<Queue> {
        let cfg = client.config();
        let workers = cfg.file_parallel_limit.max(1);
        let part_threads = workers.saturating_mul(cfg.chunk_parallel_limit.max(1));
        let pool_threads: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let handles = pool_threads.clone();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(part_threads)
            .spawn_handler(move |t| {
                let name = format!("qcos-queue-part-{}", t.index());
                let h = std::thread::Builder::new()
                    .name(name)
                    .spawn(move || t.run())?;
                handles.lock().unwrap_or_else(|p| p.into_inner()).push(h);
                Ok(())
            })
            .build()
            .map_err(|e| Error::Internal(format!("cannot start the queue's part threads: {e}")));
        let pool = match pool {
            Ok(p) => p,
            Err(e) => {
                join_all(&pool_threads);
                return Err(e);
            }
        };
        let queue_size = cfg.upload_queue_size.max(1);
        let tick_interval = Duration::from_millis(cfg.progress_interval_ms);
        let (tx, rx) = crossbeam_channel::unbounded();
        let inner = Arc::new(Inner {
            client,
            queue_size,
            tick_interval,
            state: Mutex::new(State {
                tasks: BTreeMap::new(),
                pending: VecDeque::new(),
                next_id: 1,
                shutdown: false,
            }),
            work: Condvar::new(),
            ended: Condvar::new(),
            tx,
            rx,
            callback_on: AtomicBool::new(false),
            pool: Mutex::new(Some(Arc::new(pool))),
        });
        let queue = Queue {
            inner: inner.clone(),
            workers: Mutex::new(Vec::with_capacity(workers)),
            pool_threads,
            events: Mutex::new(None),
            closing: AtomicBool::new(false),
            shut: Mutex::new(false),
        };
        for i in 0..workers {
            let inner = inner.clone();
            let h = std::thread::Builder::new()
                .name(format!("qcos-queue-{i}"))
                .spawn(move || worker(&inner))
                .map_err(|e| Error::Internal(format!("cannot start a queue worker: {e}")));
            match h {
                Ok(h) => queue
                    .workers
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(h),
                // Dropping `queue` stops the workers already started.
                Err(e) => return Err(e),
            }
        }
        Ok(queue)
    }

    /// The client this queue uses.
    pub fn client(&self) -> &Client {
        &self.inner.client
    }

    /// Queue the upload of the file at `path` to `key`. Returns at once with the task id;
    /// the task starts `Waiting`. `opts.on_cancel` is ignored (pause keeps, cancel aborts)
    /// and a failure keeps the multipart upload so `resume` can continue it.
    ///
    /// Errors: `InvalidArgument` (bad key), `Io` (the file cannot be read or is not a
    /// regular file), `InvalidState` (the queue is full of unfinished tasks).
    pub fn upload(&self, key: &str, path: impl AsRef<Path>, opts: UploadOptions) -> Result<TaskId> {
        validate_key(key)?;
        let path = path.as_ref();
        let meta =
            std::fs::metadata(path).map_err(|e| Error::io(format!("{}", path.display()), e))?;
        if !meta.is_file() {
            return Err(Error::invalid(
                "path",
                format!("{} is not a regular file", path.display()),
            ));
        }
        let mut opts = opts;
        opts.on_cancel = Leftover::KeepForResume;
        opts.on_error = Leftover::KeepForResume;
        let size = meta.len();
        self.add(
            key,
            Spec::Upload {
                path: path.to_path_buf(),
                opts,
            },
            Some(size),
        )
    }

    /// Queue the upload of `reader` to `key`: `Some(len)` = exactly `len` bytes (fewer or
    /// more fails the task), `None` = a stream of unknown length read to its end (one PUT
    /// if it ends within `slice_size`, otherwise a multipart upload whose parts start at
    /// `chunk_size` and grow as needed). Returns at once with the task id; the task starts
    /// `Waiting`. See "Uploads from a reader" in the module documentation: the reader is
    /// read only on the worker running the task and dropped as soon as the task ends;
    /// the task cannot be paused or resumed; `opts.on_cancel` and `opts.on_error` are
    /// ignored (cancel and failure both abort the multipart upload), and so is
    /// `opts.resume`: the task always starts its own multipart upload, so it never takes
    /// over (and then aborts) one that a paused upload of the same key keeps.
    ///
    /// Errors: `InvalidArgument` (bad key), `InvalidState` (the queue is full of
    /// unfinished tasks, or shut down). On error the reader is dropped unread. What goes
    /// wrong once the task runs (a read error, a reader shorter or longer than `len`,
    /// `add_meta_md5` on a source above `slice_size`, a service error) fails the task,
    /// with the error in [`TaskInfo::error`].
    pub fn upload_reader(
        &self,
        key: &str,
        reader: Box<dyn Read + Send>,
        len: Option<u64>,
        opts: UploadOptions,
    ) -> Result<TaskId> {
        validate_key(key)?;
        let mut opts = opts;
        // The queue aborts the upload itself (on cancel and on failure), so the upload
        // must be this task's own.
        opts.on_cancel = Leftover::KeepForResume;
        opts.on_error = Leftover::KeepForResume;
        opts.resume = false;
        self.add(
            key,
            Spec::Reader {
                reader: Mutex::new(Some(reader)),
                len,
                opts,
            },
            len,
        )
    }

    /// Queue the download of `key` to the file at `path` (written only once complete and
    /// verified). Returns at once with the task id.
    ///
    /// Errors: `InvalidArgument` (bad key, empty path), `InvalidState` (queue full).
    pub fn download(
        &self,
        key: &str,
        path: impl AsRef<Path>,
        opts: DownloadOptions,
    ) -> Result<TaskId> {
        validate_key(key)?;
        let path = path.as_ref();
        if path.as_os_str().is_empty() || path.file_name().is_none() {
            return Err(Error::invalid(
                "path",
                format!("{:?} does not name a file", path.display().to_string()),
            ));
        }
        self.add(
            key,
            Spec::Download {
                path: path.to_path_buf(),
                opts,
            },
            None,
        )
    }

    /// Queue the server-side copy of `src` to `key` of the client's bucket (the seed SDK's
    /// `sliceCopyFile` as a task): one PUT Object - Copy up to `copy_slice_size`,
    /// otherwise a multipart copy of `copy_chunk_size` parts (the options' values when
    /// set), checked against the source's CRC-64. Returns at once with the task id; the
    /// task's size is known once it runs (the source's HEAD).
    ///
    /// `opts.on_error` is ignored: pause keeps the multipart upload, cancel aborts it,
    /// and a failure keeps it so `resume` continues the same upload without copying its
    /// parts again (see the module documentation).
    ///
    /// Errors: `InvalidArgument` (bad key, or a bad source bucket, region or key, named
    /// `src_bucket`, `src_region`, `src_key`), `InvalidState` (queue full, or shut down).
    /// A source that does not exist is not checked here: the task fails with the
    /// service's error (HTTP 404) in its [`TaskInfo::error`].
    pub fn copy(&self, key: &str, src: CopySource, opts: CopyOptions) -> Result<TaskId> {
        validate_key(key)?;
        let named = |r: Result<()>, what: &'static str| {
            r.map_err(|e| match e {
                Error::InvalidArgument { why, .. } => Error::invalid(what, why),
                e => e,
            })
        };
        named(validate_bucket(&src.bucket), "src_bucket")?;
        named(validate_region(&src.region), "src_region")?;
        named(validate_key(&src.key), "src_key")?;
        let mut opts = opts;
        opts.on_error = Leftover::KeepForResume;
        self.add(key, Spec::Copy { src, opts }, None)
    }

    fn add(&self, key: &str, spec: Spec, total: Option<u64>) -> Result<TaskId> {
        let inner = &*self.inner;
        let mut st = inner.lock();
        if st.shutdown {
            return Err(shut_down());
        }
        // Room: drop finished tasks, oldest first.
        while st.tasks.len() >= inner.queue_size {
            let oldest = st.tasks.values().find(|t| t.state.is_final()).map(|t| t.id);
            match oldest {
                Some(id) => {
                    st.tasks.remove(&id);
                }
                None => {
                    return Err(Error::InvalidState(format!(
                        "the queue already holds {} unfinished tasks (upload_queue_size)",
                        inner.queue_size
                    )));
                }
            }
        }
        let id = st.next_id;
        st.next_id += 1;
        let task = Task {
            id,
            key: key.to_string(),
            spec: Arc::new(spec),
            state: TaskState::Waiting,
            loaded: 0,
            total,
            speed: 0.0,
            error: None,
            result: None,
            control: Arc::new(AtomicU8::new(RUN)),
            upload_id: None,
            source_etag: None,
        };
        inner.emit(task.event(EventKind::State));
        st.tasks.insert(id, task);
        st.pending.push_back(id);
        inner.work.notify_one();
        Ok(id)
    }

    fn not_found(id: TaskId) -> Error {
        Error::NotFound(format!("no task {id} in this queue"))
    }

    /// Pause a task: a waiting one at once, a checking or running one at its next part
    /// boundary (the `Paused` event follows). Pausing a paused task does nothing.
    ///
    /// Errors: `NotFound`; `InvalidState` for a succeeded, failed or cancelled task.
    pub fn pause(&self, id: TaskId) -> Result<()> {
        let inner = &*self.inner;
        let mut st = inner.lock();
        let st = &mut *st;
        if st.shutdown {
            return Err(shut_down());
        }
        let task = st.tasks.get_mut(&id).ok_or_else(|| Self::not_found(id))?;
        if task.spec.is_stream() && !task.state.is_final() {
            return Err(Error::InvalidState(format!(
                "task {id} uploads from a reader, whose bytes cannot be read again: it \
                 cannot be paused (cancel it instead)"
            )));
        }
        match task.state {
            TaskState::Waiting => {
                st.pending.retain(|&t| t != id);
                inner.set_state(task, TaskState::Paused);
                Ok(())
            }
            TaskState::Checking | TaskState::Running => {
                if task.control.load(Ordering::SeqCst) == CANCEL {
                    return Err(Error::InvalidState(format!("task {id} is being cancelled")));
                }
                task.control.store(PAUSE, Ordering::SeqCst);
                Ok(())
            }
            TaskState::Paused => Ok(()),
            s => Err(Error::InvalidState(format!(
                "task {id} has {} and cannot be paused",
                s.as_str()
            ))),
        }
    }

    /// Resume a paused task (or retry a failed one): it is queued again and continues
    /// from what the service already has. A pause requested but not yet reached is
    /// withdrawn (the task may still pass through `Waiting`).
    ///
    /// Errors: `NotFound`; `InvalidState` for a waiting, running (not pausing),
    /// succeeded or cancelled task.
    pub fn resume(&self, id: TaskId) -> Result<()> {
        let inner = &*self.inner;
        let mut st = inner.lock();
        let st = &mut *st;
        if st.shutdown {
            return Err(shut_down());
        }
        let task = st.tasks.get_mut(&id).ok_or_else(|| Self::not_found(id))?;
        if task.spec.is_stream() && task.state == TaskState::Failed {
            return Err(Error::InvalidState(format!(
                "task {id} uploaded from a reader, whose bytes cannot be read again: it \
                 cannot be resumed (queue a new upload)"
            )));
        }
        match task.state {
            TaskState::Paused | TaskState::Failed => {
                task.control.store(RUN, Ordering::SeqCst);
                task.speed = 0.0;
                inner.set_state(task, TaskState::Waiting);
                st.pending.push_back(id);
                inner.work.notify_one();
                Ok(())
            }
            TaskState::Checking | TaskState::Running
                if task.control.load(Ordering::SeqCst) == PAUSE =>
            {
                task.control.store(RUN, Ordering::SeqCst);
                Ok(())
            }
            s => Err(Error::InvalidState(format!(
                "task {id} is {} (only a paused or failed task can be resumed)",
                s.as_str()
            ))),
        }
    }

    /// Cancel a task and abort its multipart upload (a download's partial file is
    /// removed). Waiting, paused and failed tasks are cancelled before this returns (for
    /// a paused or failed upload, the Abort is sent from this thread); checking and
    /// running ones at their next part boundary (the `Cancelled` event follows the Abort).
    /// Cancelling a task being cancelled does nothing.
    ///
    /// Errors: `NotFound`; `InvalidState` for a succeeded or cancelled task.
    pub fn cancel(&self, id: TaskId) -> Result<()> {
        let inner = &*self.inner;
        let (key, spec, upload_id) = {
            let mut st = inner.lock();
            let st = &mut *st;
            if st.shutdown {
                return Err(shut_down());
            }
            let task = st.tasks.get_mut(&id).ok_or_else(|| Self::not_found(id))?;
            match task.state {
                TaskState::Checking | TaskState::Running => {
                    task.control.store(CANCEL, Ordering::SeqCst);
                    return Ok(());
                }
                TaskState::Waiting | TaskState::Paused | TaskState::Failed => {
                    st.pending.retain(|&t| t != id);
                    task.control.store(CANCEL, Ordering::SeqCst);
                    inner.set_state(task, TaskState::Cancelled);
                    (task.key.clone(), task.spec.clone(), task.upload_id.take())
                }
                s => {
                    return Err(Error::InvalidState(format!(
                        "task {id} has {} and cannot be cancelled",
                        s.as_str()
                    )));
                }
            }
        };
        // A waiting upload's reader is dropped unread (outside the lock: dropping it may
        // run the caller's code).
        drop(spec.take_reader());
        cleanup(&inner.client, &key, &spec, upload_id.as_deref())
    }

    /// A snapshot of one task. Errors: `NotFound`.
    pub fn info(&self, id: TaskId) -> Result<TaskInfo> {
        let st = self.inner.lock();
        st.tasks
            .get(&id)
            .map(Task::info)
            .ok_or_else(|| Self::not_found(id))
    }

    /// Snapshots of every task the queue holds, oldest first.
    pub fn tasks(&self) -> Vec<TaskInfo> {
        self.inner.lock().tasks.values().map(Task::info).collect()
    }

    /// The next event, waiting up to `timeout`; `Ok(None)` when none came in time.
    ///
    /// Errors: `InvalidState` while a callback is registered (it receives the events).
    pub fn next_event(&self, timeout: Duration) -> Result<Option<Event>> {
        if self.inner.callback_on.load(Ordering::SeqCst) {
            return Err(Error::InvalidState(
                "an event callback is registered: it receives the events".into(),
            ));
        }
        match self.inner.rx.recv_timeout(timeout) {
            Ok(ev) => Ok(Some(ev)),
            Err(RecvTimeoutError::Timeout) | Err(RecvTimeoutError::Disconnected) => Ok(None),
        }
    }

    /// Register `cb` to receive every event, on the queue's event thread
    /// (`qcos-queue-events`), or remove the callback with `None`. Replacing or removing a
    /// callback waits until the old one has returned, so after this call the old callback
    /// is never called again. Events not yet read by `next_event` go to the new callback.
    ///
    /// The callback may call the queue's methods (pause, cancel, info...) and even
    /// [`Queue::shutdown`] (which then does not wait for the callback's own thread, which
    /// ends once the callback returns), but must not drop the queue. Calling
    /// `set_callback` from inside an event callback fails with `InvalidState`.
    ///
    /// Errors: `InvalidState` from inside an event callback, or when registering a
    /// callback on a queue that was shut down (removing one is always accepted).
    pub fn set_callback(&self, cb: Option<EventCallback>) -> Result<()> {
        if on_event_thread() {
            return Err(Error::InvalidState(
                "set_callback was called from inside the event callback".into(),
            ));
        }
        let mut cb = cb;
        loop {
            // The old thread is joined outside the lock, so a shutdown from inside the
            // old callback (which takes the lock) cannot deadlock with this call.
            let old = {
                let mut slot = self.events.lock().unwrap_or_else(|p| p.into_inner());
                match slot.take() {
                    Some(t) => t,
                    None => {
                        let Some(f) = cb.take() else {
                            self.inner.callback_on.store(false, Ordering::SeqCst);
                            return Ok(());
                        };
                        if self.closing.load(Ordering::SeqCst) {
                            return Err(shut_down());
                        }
                        *slot = Some(self.start_event_thread(f)?);
                        self.inner.callback_on.store(true, Ordering::SeqCst);
                        return Ok(());
                    }
                }
            };
            old.stop.store(true, Ordering::SeqCst);
            let _ = old.handle.join();
        }
    }

    fn start_event_thread(&self, mut cb: EventCallback) -> Result<EventThread> {
        let stop = Arc::new(AtomicBool::new(false));
        let rx = self.inner.rx.clone();
        let stop2 = stop.clone();
        let me = Arc::as_ptr(&self.inner) as usize;
        let handle = std::thread::Builder::new()
            .name("qcos-queue-events".into())
            .spawn(move || {
                ON_EVENT_THREAD.with(|c| c.set(me));
                while !stop2.load(Ordering::SeqCst) {
                    if let Ok(ev) = rx.recv_timeout(Duration::from_millis(20)) {
                        if stop2.load(Ordering::SeqCst) {
                            break;
                        }
                        cb(&ev);
                    }
                }
            })
            .map_err(|e| Error::Internal(format!("cannot start the event thread: {e}")))?;
        Ok(EventThread { stop, handle })
    }

    /// Stop the queue for good (what dropping it does; in C, what `qcos_client_free`
    /// does to every queue of the client):
    ///
    /// 1. the event callback is stopped: once an invocation in progress has returned it
    ///    is never called again;
    /// 2. waiting tasks are cancelled at once, checking and running ones at their next
    ///    part boundary (parts in flight finish their request), with their cleanup:
    ///    a running upload's multipart upload is aborted, a download's partial file
    ///    removed. Paused and failed tasks are left as they are (their multipart
    ///    uploads stay on the service, and a later upload of the same file to the same
    ///    key resumes them);
    /// 3. every thread the queue started is joined.
    ///
    /// When it returns, no thread of the queue runs (but see below) and no callback will
    /// be called. Afterwards `upload`, `download`, `pause`, `resume` and `cancel` fail
    /// with `InvalidState`; `info`, `tasks`, `next_event` (the events not yet read) and
    /// `wait` (at once, for an ended task) keep working on the recorded states.
    ///
    /// Idempotent and thread-safe: a second call waits for the first to complete. Called
    /// from inside this queue's event callback, it does not wait for that thread (which
    /// ends once the callback returns), and returns at once if another thread's shutdown
    /// is already under way (that one is waiting for the callback to return).
    pub fn shutdown(&self) {
        let own_event_thread =
            ON_EVENT_THREAD.with(|c| c.get()) == Arc::as_ptr(&self.inner) as usize;
        let mut done = if own_event_thread {
            match self.shut.try_lock() {
                Ok(g) => g,
                Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner(),
                Err(std::sync::TryLockError::WouldBlock) => return,
            }
        } else {
            self.shut.lock().unwrap_or_else(|p| p.into_inner())
        };
        if *done {
            return;
        }
        // 1. No callback after this point.
        let slot = {
            let mut slot = self.events.lock().unwrap_or_else(|p| p.into_inner());
            self.closing.store(true, Ordering::SeqCst);
            slot.take()
        };
        if let Some(t) = slot {
            t.stop.store(true, Ordering::SeqCst);
            // From inside the callback: that thread ends once the callback returns.
            if !own_event_thread {
                let _ = t.handle.join();
            }
        }
        self.inner.callback_on.store(false, Ordering::SeqCst);
        // 2. Cancel what is waiting or running; workers finish and exit. The readers of
        // waiting uploads are dropped unread, outside the lock.
        let mut unread = Vec::new();
        {
            let inner = &*self.inner;
            let mut st = inner.lock();
            let st = &mut *st;
            st.shutdown = true;
            st.pending.clear();
            for task in st.tasks.values_mut() {
                match task.state {
                    TaskState::Waiting => {
                        task.control.store(CANCEL, Ordering::SeqCst);
                        inner.set_state(task, TaskState::Cancelled);
                        unread.push(task.spec.clone());
                    }
                    TaskState::Checking | TaskState::Running => {
                        task.control.store(CANCEL, Ordering::SeqCst);
                    }
                    _ => {}
                }
            }
            inner.work.notify_all();
            // `wait` on a paused task returns now.
            inner.ended.notify_all();
        }
        for spec in unread {
            drop(spec.take_reader());
        }
        // 3. Join every worker, then end the part pool and join its threads.
        let workers = std::mem::take(&mut *self.workers.lock().unwrap_or_else(|p| p.into_inner()));
        for h in workers {
            let _ = h.join();
        }
        let pool = self
            .inner
            .pool
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        drop(pool);
        join_all(&self.pool_threads);
        *done = true;
    }

    /// Whether [`Queue::shutdown`] has begun.
    pub fn is_shut_down(&self) -> bool {
        self.closing.load(Ordering::SeqCst)
    }

    /// Block until task `id` is succeeded, failed or cancelled (or `timeout` passed:
    /// `Error::Timeout`), and return its final snapshot. A paused task is not finished:
    /// `wait` goes on waiting for it to be resumed or cancelled. After
    /// [`Queue::shutdown`] every task has ended or is paused for good: `wait` returns at
    /// once.
    ///
    /// Errors: `NotFound` (unknown, or dropped from the queue as finished while waiting);
    /// `Timeout`; `InvalidState` for a task left paused by a shutdown.
    pub fn wait(&self, id: TaskId, timeout: Option<Duration>) -> Result<TaskInfo> {
        let inner = &*self.inner;
        let deadline = timeout.map(|t| Instant::now() + t);
        let mut st = inner.lock();
        loop {
            let task = st.tasks.get(&id).ok_or_else(|| Self::not_found(id))?;
            if task.state.is_final() {
                return Ok(task.info());
            }
            if st.shutdown && task.state == TaskState::Paused {
                // Nothing can resume it any more.
                return Err(Error::InvalidState(format!(
                    "task {id} is paused and the queue was shut down (its client was freed)"
                )));
            }
            st = match deadline {
                None => inner.ended.wait(st).unwrap_or_else(|p| p.into_inner()),
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        return Err(Error::Timeout {
                            host: "the transfer queue".into(),
                            message: format!(
                                "task {id} is still {} after the wait's timeout",
                                task.state.as_str()
                            ),
                        });
                    }
                    inner
                        .ended
                        .wait_timeout(st, d - now)
                        .unwrap_or_else(|p| p.into_inner())
                        .0
                }
            };
        }
    }
}

impl Drop for Queue {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn join_all(handles: &Mutex<Vec<JoinHandle<()>>>) {
    let hs = std::mem::take(&mut *handles.lock().unwrap_or_else(|p| p.into_inner()));
    for h in hs {
        let _ = h.join();
    }
}

/// After a cancel: abort the multipart upload, or remove a download's partial files.
/// Best effort for downloads; an Abort that fails is reported.
fn cleanup(client: &Client, key: &str, spec: &Spec, upload_id: Option<&str>) -> Result<()> {
    match spec {
        Spec::Upload { .. } | Spec::Copy { .. } | Spec::Reader { .. } => match upload_id {
            Some(uid) => match MultipartStore::abort(client, key, uid) {
                Ok(()) => Ok(()),
                Err(e) if e.service().is_some_and(|s| s.code == "NoSuchUpload") => Ok(()),
                Err(e) => Err(e),
            },
            None => Ok(()),
        },
        Spec::Download { path, .. } => {
            // The names the transfer engine uses next to the destination (see
            // `crate::transfer::download_file`).
            if let (Some(dir), Some(name)) = (path.parent(), path.file_name()) {
                let part = dir.join(format!(".{}.qcos-download", name.to_string_lossy()));
                let journal =
                    dir.join(format!(".{}.qcos-download.journal", name.to_string_lossy()));
                let _ = std::fs::remove_file(part);
                let _ = std::fs::remove_file(journal);
            }
            Ok(())
        }
    }
}

/// A worker: take the next waiting task, run it, record how it ended; until shutdown.
fn worker(inner: &Inner) {
    loop {
        let (id, key, spec, control, resume) = {
            let mut st = inner.lock();
            loop {
                if st.shutdown {
                    return;
                }
                if let Some(id) = st.pending.pop_front() {
                    let st = &mut *st;
                    if let Some(task) = st.tasks.get_mut(&id) {
                        if task.state == TaskState::Waiting {
                            task.control.store(RUN, Ordering::SeqCst);
                            inner.set_state(task, TaskState::Checking);
                            // A copy continues the multipart upload it left (uploads
                            // find theirs by listing).
                            let resume = match (&task.upload_id, &task.source_etag) {
                                (Some(u), Some(e)) => Some(CopyResume {
                                    upload_id: u.clone(),
                                    source_etag: e.clone(),
                                }),
                                _ => None,
                            };
                            break (
                                id,
                                task.key.clone(),
                                task.spec.clone(),
                                task.control.clone(),
                                resume,
                            );
                        }
                    }
                    continue;
                }
                st = inner.work.wait(st).unwrap_or_else(|p| p.into_inner());
            }
        };
        run_task(inner, id, &key, &spec, &control, resume.as_ref());
    }
}

enum Outcome {
    Done(TaskResult),
    Stopped,
    Failed(Error),
}

fn run_task(
    inner: &Inner,
    id: TaskId,
    key: &str,
    spec: &Spec,
    control: &AtomicU8,
    resume: Option<&CopyResume>,
) {
    let pool = inner.pool.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let store = TaskStore::new(&inner.client, pool.as_deref(), control);
    let mut started = false;
    let mut last_tick: Option<(Instant, u64)> = None;
    let mut progress = |p: &Progress| -> bool {
        match control.load(Ordering::SeqCst) {
            RUN => {}
            // Stop once no part is mid-request (see `store`), so none is sent twice.
            PAUSE if store.sending() > 0 => return true,
            _ => {
                store.stop();
                return false;
            }
        }
        let now = Instant::now();
        let mut st = inner.lock();
        let Some(task) = st.tasks.get_mut(&id) else {
            return false;
        };
        task.loaded = p.loaded;
        if p.total.is_some() {
            task.total = p.total;
        }
        if !started {
            started = true;
            last_tick = Some((now, p.loaded));
            inner.set_state(task, TaskState::Running);
            return true;
        }
        let due = last_tick.is_none_or(|(at, _)| now.duration_since(at) >= inner.tick_interval);
        let finished = p.total.is_some_and(|t| p.loaded >= t);
        if due || finished {
            if let Some((at, loaded)) = last_tick {
                let secs = now.duration_since(at).as_secs_f64();
                if secs > 0.0 {
                    task.speed = p.loaded.saturating_sub(loaded) as f64 / secs;
                }
            }
            last_tick = Some((now, p.loaded));
            inner.emit(task.event(EventKind::Progress));
        }
        true
    };
    let outcome = match spec {
        Spec::Upload { path, opts } => {
            match upload(
                &store,
                key,
                UploadSource::File(path),
                opts,
                Some(&mut progress),
            ) {
                Ok(o) => Outcome::Done(TaskResult {
                    etag: o.etag,
                    crc64: o.crc64,
                    crc64_verified: o.crc64_verified,
                    version_id: o.version_id,
                    size: o.size,
                }),
                Err(Error::Cancelled(_)) => Outcome::Stopped,
                Err(e) => Outcome::Failed(e),
            }
        }
        Spec::Download { path, opts } => {
            match download_file(&store, key, path, opts, Some(&mut progress)) {
                Ok(o) => Outcome::Done(TaskResult {
                    etag: o.etag,
                    crc64: o.crc64,
                    crc64_verified: o.crc64_verified,
                    version_id: None,
                    size: o.size,
                }),
                Err(Error::Cancelled(_)) => Outcome::Stopped,
                Err(e) => Outcome::Failed(e),
            }
        }
        Spec::Reader { len, opts, .. } => {
            // Taken out here and dropped before the task's final state is recorded.
            match spec.take_reader() {
                Some(mut reader) => {
                    let source = match len {
                        Some(len) => UploadSource::Reader {
                            reader: &mut *reader,
                            len: *len,
                        },
                        None => UploadSource::Stream(&mut *reader),
                    };
                    let r = upload(&store, key, source, opts, Some(&mut progress));
                    drop(reader);
                    match r {
                        Ok(o) => Outcome::Done(TaskResult {
                            etag: o.etag,
                            crc64: o.crc64,
                            crc64_verified: o.crc64_verified,
                            version_id: o.version_id,
                            size: o.size,
                        }),
                        Err(Error::Cancelled(_)) => Outcome::Stopped,
                        Err(e) if is_reader_cancel(&e) => {
                            control.store(CANCEL, Ordering::SeqCst);
                            Outcome::Stopped
                        }
                        Err(e) => Outcome::Failed(e),
                    }
                }
                None => Outcome::Failed(Error::InvalidState(
                    "the upload's reader was already used: a reader is read only once".into(),
                )),
            }
        }
        Spec::Copy { src, opts } => {
            match slice_copy_resume(&store, key, src, opts, resume, Some(&mut progress)) {
                Ok(o) => Outcome::Done(TaskResult {
                    etag: o.etag,
                    crc64: o.crc64.unwrap_or(0),
                    crc64_verified: o.crc64_verified,
                    version_id: o.version_id,
                    size: o.size,
                }),
                Err(Error::Cancelled(_)) => Outcome::Stopped,
                Err(e) => Outcome::Failed(e),
            }
        }
    };
    // The multipart upload in use; for a copy that did not get as far as naming one this
    // time (its source's HEAD failed), the one it was to continue.
    let upload_id = store
        .upload_id()
        .or_else(|| resume.map(|r| r.upload_id.clone()));
    // The source as that multipart copy saw it (uploads and downloads: none).
    let source_etag = match spec {
        Spec::Copy { .. } if upload_id.is_some() => store
            .source_etag()
            .or_else(|| resume.map(|r| r.source_etag.clone())),
        _ => None,
    };
    // A cancel requested meanwhile wins over any other outcome but success.
    let wanted = control.load(Ordering::SeqCst);
    if wanted == CANCEL && !matches!(outcome, Outcome::Done(_)) {
        // Outside the lock: the Abort is a request.
        let r = cleanup(&inner.client, key, spec, upload_id.as_deref());
        let mut st = inner.lock();
        if let Some(task) = st.tasks.get_mut(&id) {
            task.upload_id = None;
            task.source_etag = None;
            inner.set_state(task, TaskState::Cancelled);
            if let Err(e) = r {
                // The task is cancelled either way; the Abort's failure stays readable
                // (the multipart upload may be left on the service).
                task.error = Some(TaskError::from(&e));
            }
        }
        return;
    }
    // A reader's upload cannot be continued: a failure aborts its multipart upload
    // (kept in `upload_id` only if the Abort failed, so `cancel` can try again).
    let mut upload_id = upload_id;
    let outcome = match outcome {
        Outcome::Stopped if spec.is_stream() => Outcome::Failed(Error::Internal(
            "the transfer stopped without a cancel request".into(),
        )),
        o => o,
    };
    if spec.is_stream()
        && matches!(outcome, Outcome::Failed(_))
        && cleanup(&inner.client, key, spec, upload_id.as_deref()).is_ok()
    {
        upload_id = None;
    }
    let mut st = inner.lock();
    let st = &mut *st;
    let Some(task) = st.tasks.get_mut(&id) else {
        return;
    };
    task.source_etag = source_etag;
    match outcome {
        Outcome::Done(r) => {
            task.loaded = r.size;
            task.total = Some(r.size);
            task.upload_id = None;
            task.source_etag = None;
            task.result = Some(r);
            inner.set_state(task, TaskState::Succeeded);
        }
        Outcome::Stopped if wanted == PAUSE => {
            task.upload_id = upload_id;
            inner.set_state(task, TaskState::Paused);
        }
        Outcome::Stopped if wanted == RUN && !st.shutdown => {
            // A pause withdrawn by `resume` after the engine had already stopped.
            task.upload_id = upload_id;
            inner.set_state(task, TaskState::Waiting);
            st.pending.push_front(id);
            inner.work.notify_one();
        }
        Outcome::Stopped => {
            task.upload_id = upload_id;
            task.error = Some(TaskError::from(&Error::Internal(
                "the transfer stopped without a pause or cancel request".into(),
            )));
            inner.set_state(task, TaskState::Failed);
        }
        Outcome::Failed(e) => {
            task.upload_id = upload_id;
            task.error = Some(TaskError::from(&e));
            inner.set_state(task, TaskState::Failed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ServiceError;

    const ALL: [TaskState; 7] = [
        TaskState::Waiting,
        TaskState::Checking,
        TaskState::Running,
        TaskState::Paused,
        TaskState::Cancelled,
        TaskState::Succeeded,
        TaskState::Failed,
    ];

    #[test]
    fn transition_table() {
        // Succeeded and cancelled are the ends; failed only goes back to waiting or on to
        // cancelled; nothing re-enters checking but a waiting task.
        for to in ALL {
            assert!(!legal_transition(TaskState::Succeeded, to));
            assert!(!legal_transition(TaskState::Cancelled, to));
            assert!(!legal_transition(to, to), "{to:?} -> itself");
            assert_eq!(
                legal_transition(to, TaskState::Checking),
                to == TaskState::Waiting
            );
        }
        assert!(legal_transition(TaskState::Failed, TaskState::Waiting));
        assert!(legal_transition(TaskState::Failed, TaskState::Cancelled));
        assert!(!legal_transition(TaskState::Failed, TaskState::Running));
        assert!(!legal_transition(TaskState::Waiting, TaskState::Running));
        assert!(!legal_transition(TaskState::Paused, TaskState::Running));
        // Only a task holding a worker can succeed.
        for from in ALL {
            assert_eq!(
                legal_transition(from, TaskState::Succeeded),
                from == TaskState::Running
            );
        }
        let finals: Vec<_> = ALL.into_iter().filter(|s| s.is_final()).collect();
        assert_eq!(
            finals,
            [
                TaskState::Cancelled,
                TaskState::Succeeded,
                TaskState::Failed
            ]
        );
    }

    #[test]
    fn task_errors_keep_the_service_fields() {
        let e = Error::from(ServiceError {
            http_status: 403,
            code: "AccessDenied".into(),
            message: "no".into(),
            request_id: "req-1".into(),
            ..Default::default()
        });
        let t = TaskError::from(&e);
        assert_eq!(t.status, Status::Service);
        assert_eq!((t.http_status, t.code.as_str()), (403, "AccessDenied"));
        assert_eq!(t.request_id, "req-1");
        assert!(t.message.contains("AccessDenied"));
        let t = TaskError::from(&Error::io("read f", std::io::Error::other("x")));
        assert_eq!((t.status, t.http_status), (Status::Io, 0));
        assert!(t.request_id.is_empty());
    }
}
