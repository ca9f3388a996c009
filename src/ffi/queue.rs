//! `qcos_queue`: background uploads, downloads and copies with pause, resume, cancel and
//! events (the C face of [`crate::queue`]).
//!
//! The event callback is called here, on the queue's event thread only.

use std::ffi::{CString, c_char, c_void};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use super::args::{arg_opt_out, arg_out, arg_path, arg_ref, arg_str, free_box, into_box};
use super::callbacks::{QueueCallbackReader, UserData, qcos_read_cb};
use super::client::qcos_client;
use super::entry::{entry, entry_value};
use super::last_error::c_string;
use super::options::{put_options, qcos_put_options};
use super::transfer::{
    copy_options, copy_source, download_options, qcos_transfer_options, transfer_settings,
    upload_options,
};
use crate::error::{Result, Status};
use crate::queue::{Event, EventKind, Queue, TaskInfo, TaskKind, TaskState};

/// The state of a queued task. Numbers are part of the ABI.
///
/// Transitions: WAITING -> CHECKING -> RUNNING -> SUCCEEDED or FAILED; PAUSED from
/// WAITING, CHECKING or RUNNING, and back to WAITING on resume; CANCELLED from any
/// state but SUCCEEDED; FAILED -> WAITING on resume. SUCCEEDED and CANCELLED are final.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum qcos_task_state {
    /// Queued, waiting for one of the `file_parallel_limit` workers.
    Waiting = 0,
    /// A worker took it and is looking for an upload (or partial download) to continue.
    Checking = 1,
    /// Bytes are moving.
    Running = 2,
    /// Stopped by `qcos_queue_pause`; its multipart upload is kept.
    Paused = 3,
    /// Stopped by `qcos_queue_cancel` (or the queue was freed); final.
    Cancelled = 4,
    /// Done; the task info has the ETag, CRC-64 and version.
    Succeeded = 5,
    /// Stopped by an error; the task info has the status, message and RequestId.
    Failed = 6,
}

impl From<TaskState> for qcos_task_state {
    fn from(s: TaskState) -> Self {
        match s {
            TaskState::Waiting => qcos_task_state::Waiting,
            TaskState::Checking => qcos_task_state::Checking,
            TaskState::Running => qcos_task_state::Running,
            TaskState::Paused => qcos_task_state::Paused,
            TaskState::Cancelled => qcos_task_state::Cancelled,
            TaskState::Succeeded => qcos_task_state::Succeeded,
            TaskState::Failed => qcos_task_state::Failed,
        }
    }
}

/// What a `qcos_queue_event` reports. Numbers are part of the ABI.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum qcos_event_kind {
    /// The task entered `state`.
    State = 0,
    /// A progress tick of a running task (every `progress_interval_ms`).
    Progress = 1,
}

/// One event of a queue: a state change or a progress tick of one task. A plain value:
/// copy it freely.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct qcos_queue_event {
    /// The task's id.
    pub task: u64,
    pub kind: qcos_event_kind,
    /// The task's state after the event.
    pub state: qcos_task_state,
    /// Bytes done.
    pub loaded: u64,
    /// Bytes in the whole transfer; 0 while unknown (see `total_known`).
    pub total: u64,
    /// False until the size is known (a download before its HEAD).
    pub total_known: bool,
    /// Bytes per second over the last progress interval.
    pub speed: f64,
}

impl From<&Event> for qcos_queue_event {
    fn from(e: &Event) -> Self {
        qcos_queue_event {
            task: e.task,
            kind: match e.kind {
                EventKind::State => qcos_event_kind::State,
                EventKind::Progress => qcos_event_kind::Progress,
            },
            state: e.state.into(),
            loaded: e.loaded,
            total: e.total.unwrap_or(0),
            total_known: e.total.is_some(),
            speed: e.speed,
        }
    }
}

/// Receives the events of a queue (`qcos_queue_set_event_callback`).
///
/// `event`: borrowed for this invocation only (copy it to keep it).
/// `user_data`: the pointer given at registration, passed back untouched.
///
/// Thread: called only on the queue's own event thread (named `qcos-queue-events`),
/// one event at a time, in order; never on a transfer worker and never on a thread of
/// yours. So `user_data` must be usable from that thread. It may call the queue's
/// functions (pause, cancel, task info...) but not `qcos_queue_free` or
/// `qcos_queue_set_event_callback`. It may call `qcos_client_free` on the queue's
/// client: the queues are shut down as usual, except that this callback's own thread
/// is not waited for (it ends once the callback returns, and calls nothing more). It
/// must not unwind, throw or longjmp through qcos.
pub type qcos_queue_event_cb =
    Option<unsafe extern "C" fn(user_data: *mut c_void, event: *const qcos_queue_event)>;

/// A queue of background uploads, downloads and server-side copies for one client:
/// each queued transfer gets a task id at once and runs on one of the queue's
/// `file_parallel_limit` worker threads (each transfer with its own
/// `chunk_parallel_limit` parts, `copy_chunk_parallel_limit` for copies). Tasks can be
/// paused (at part boundaries; the multipart upload is kept), resumed (continuing from
/// the parts the service has: no byte it has is sent or copied again) and cancelled
/// (the multipart upload is aborted). Every state change and progress tick is an
/// event, read with `qcos_queue_next_event` or delivered to a callback. The queue keeps
/// at most `upload_queue_size` tasks, dropping finished ones oldest first.
///
/// Methods: `qcos_queue_new`, `qcos_queue_upload`, `_download`, `_copy`, `_pause`,
/// `_resume`, `_cancel`, `_next_event`, `_set_event_callback`, `_wait`, `_task_info`,
/// `qcos_queue_free`.
///
/// Lifetime: the queue belongs to the client it was made from. `qcos_client_free`
/// shuts the queue down (stops its callback, cancels its waiting and running tasks,
/// joins its threads) before it returns; the handle stays valid, answering
/// `qcos_queue_task_info`, `_wait` and `_next_event` from the recorded states and
/// refusing new work with `QCOS_STATUS_INVALID_STATE`, until `qcos_queue_free`, which
/// the caller must still call.
///
/// Thread: thread-safe: any number of threads may call its functions (which take
/// `const qcos_queue *`) at once. Only `qcos_queue_free` needs every other call on the
/// queue to have returned.
pub struct qcos_queue {
    inner: Arc<Queue>,
}

/// The queues made from each live `qcos_client` handle, by the handle's address (a
/// side table rather than a field of `qcos_client`, whose shape other modules build
/// directly). `qcos_client_free` takes its entry out and shuts those queues down.
static QUEUES: Mutex<Vec<(usize, Weak<Queue>)>> = Mutex::new(Vec::new());

fn registry() -> std::sync::MutexGuard<'static, Vec<(usize, Weak<Queue>)>> {
    QUEUES.lock().unwrap_or_else(|p| p.into_inner())
}

/// Record that `queue` was made from `client` (dropping the entries of freed queues).
fn register(client: *const qcos_client, queue: &Arc<Queue>) {
    let mut r = registry();
    r.retain(|(_, q)| q.strong_count() > 0);
    r.push((client as usize, Arc::downgrade(queue)));
}

/// Shut down every live queue made from `client` (called by `qcos_client_free` before
/// it releases the client): when this returns, no thread of those queues runs and none
/// of their callbacks will be called (but for the calling thread itself when it is a
/// queue's event thread, whose callback is running).
pub(crate) fn shutdown_queues_of(client: *const qcos_client) {
    if client.is_null() {
        return;
    }
    let key = client as usize;
    // Out of the table first, so the lock is not held while threads are joined.
    let queues: Vec<Arc<Queue>> = {
        let mut r = registry();
        let mut mine = Vec::new();
        r.retain(|(k, q)| {
            if *k == key {
                mine.extend(q.upgrade());
                false
            } else {
                true
            }
        });
        mine
    };
    for q in &queues {
        q.shutdown();
    }
    // A queue whose handle was freed meanwhile ends here (already shut down).
    drop(queues);
}

/// Create a queue for `client`, with the client config's `file_parallel_limit` worker
/// threads, `upload_queue_size` and `progress_interval_ms`.
///
/// `client`: borrowed; the queue belongs to it: `qcos_client_free` shuts the queue
/// down (see `qcos_queue`), and the queue handle must still be released with
/// `qcos_queue_free` (before or after the client). `queue_out`: receives the queue.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL);
/// `QCOS_STATUS_INTERNAL` (a thread could not be started).
///
/// Thread: any thread, but not at the same time as `qcos_client_free` of `client`.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_queue_new(
    client: *const qcos_client,
    queue_out: *mut *mut qcos_queue,
) -> Status {
    entry(|| {
        let c = arg_ref(client, "client")?;
        let out = arg_out(queue_out, "queue_out")?;
        let q = Arc::new(Queue::new(c.inner.clone())?);
        register(client, &q);
        out.write(into_box(qcos_queue { inner: q }));
        Ok(())
    })
}

/// Free a queue. First the event callback is stopped (it is not called during or after
/// this call, once an invocation in progress has returned); then waiting and running
/// tasks are cancelled (running uploads abort their multipart upload; parts in flight
/// finish their request first) and every thread of the queue is joined. Paused tasks'
/// multipart uploads are left on the service (a later upload of the same file to the
/// same key resumes them). On a queue already shut down by `qcos_client_free`, only
/// releases the handle. NULL does nothing.
///
/// Thread: any thread but the queue's event thread, once every other call on the
/// queue has returned.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_queue_free(queue: *mut qcos_queue) {
    entry_value((), || {
        if let Some(q) = super::args::arg_opt_ref(queue) {
            // Shut down here even if `qcos_client_free` holds a reference right now.
            q.inner.shutdown();
        }
        free_box(queue);
        Ok(())
    })
}

pub(super) fn queue<'a>(p: *const qcos_queue) -> Result<&'a Queue> {
    Ok(&*arg_ref(p, "queue")?.inner)
}

/// Queue the upload of the local file `path` as object `key`. Returns at once.
///
/// `key`, `path`: copied. `put_opts`: content type, metadata...; borrowed, or NULL.
/// `opts`: transfer options (part size, parallelism, resume), or NULL; its on-cancel
/// and on-error choices are the queue's: pause keeps, cancel aborts, a failure keeps
/// (so `qcos_queue_resume` can retry). `task_out`: receives the task id (never 0).
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL, bad key, not a
/// regular file); `QCOS_STATUS_IO` (the file cannot be read); `QCOS_STATUS_INVALID_STATE`
/// (the queue holds `upload_queue_size` unfinished tasks, or its client was freed).
///
/// Thread: any thread.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_queue_upload(
    queue: *const qcos_queue,
    key: *const c_char,
    path: *const c_char,
    put_opts: *const qcos_put_options,
    opts: *const qcos_transfer_options,
    task_out: *mut u64,
) -> Status {
    entry(|| {
        let q = self::queue(queue)?;
        let key = arg_str(key, "key")?;
        let path = arg_path(path, "path")?;
        let uo = upload_options(&put_options(put_opts)?, &transfer_settings(opts)?);
        let out = arg_out(task_out, "task_out")?;
        out.write(q.upload(key, path, uo)?);
        Ok(())
    })
}

/// Queue the download of object `key` to the local file `path` (which appears only
/// once complete and verified). Returns at once.
///
/// `opts`: transfer options (range size, parallelism, resume), or NULL. `task_out`:
/// receives the task id.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT`;
/// `QCOS_STATUS_INVALID_STATE` (queue full, or its client was freed).
///
/// Thread: any thread.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_queue_download(
    queue: *const qcos_queue,
    key: *const c_char,
    path: *const c_char,
    opts: *const qcos_transfer_options,
    task_out: *mut u64,
) -> Status {
    entry(|| {
        let q = self::queue(queue)?;
        let key = arg_str(key, "key")?;
        let path = arg_path(path, "path")?;
        let d = download_options(&transfer_settings(opts)?);
        let out = arg_out(task_out, "task_out")?;
        out.write(q.download(key, path, d)?);
        Ok(())
    })
}

/// Queue the server-side copy of object `src_key` of bucket `src_bucket` in
/// `src_region` (optionally version `src_version_id`) to `key` of the client's bucket:
/// the seed SDK's `sliceCopyFile` as a task. One PUT Object - Copy up to
/// `copy_slice_size`, otherwise a multipart copy of `copy_chunk_size` parts,
/// `copy_chunk_parallel_limit` at once, checked against the source's CRC-64. The same
/// arguments as `qcos_slice_copy`, without the progress callback (the queue's events
/// report progress: bytes of parts copied). Returns at once; the task's total is known
/// once it runs (`qcos_task_info_total_known`).
///
/// A multipart copy pauses at part boundaries (parts being copied finish, no new one
/// starts) and keeps its multipart upload; `qcos_queue_resume` continues that same
/// upload and copies only the parts it lacks, provided the source's ETag has not
/// changed (otherwise the stale upload is aborted and the copy starts over). A single
/// PUT Object - Copy is one request: a pause takes effect after it. Cancel aborts the
/// multipart upload; a failure keeps it so `qcos_queue_resume` can retry.
///
/// `key`, `src_bucket`, `src_region`, `src_key`: required strings (copied);
/// `src_version_id`: NULL for the current version. `replace_opts`: NULL copies the
/// source's metadata and tags; otherwise as for `qcos_slice_copy` (borrowed for the
/// call). `opts`: transfer options (part size, parallelism,
/// single-copy threshold), or NULL; its on-cancel and on-error choices are the
/// queue's, as for `qcos_queue_upload`. `task_out`: receives the task id (never 0).
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL, invalid UTF-8, a
/// bad key, source bucket, region or key: the message names it);
/// `QCOS_STATUS_INVALID_STATE` (the queue holds `upload_queue_size` unfinished tasks,
/// or its client was freed). A source that does not exist is found when the task
/// runs: the task fails and its info carries the service's error (HTTP 404 from the
/// source's HEAD, with its RequestId).
///
/// Thread: any thread.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn qcos_queue_copy(
    queue: *const qcos_queue,
    key: *const c_char,
    src_bucket: *const c_char,
    src_region: *const c_char,
    src_key: *const c_char,
    src_version_id: *const c_char,
    replace_opts: *const qcos_put_options,
    opts: *const qcos_transfer_options,
    task_out: *mut u64,
) -> Status {
    entry(|| {
        let q = self::queue(queue)?;
        let key = arg_str(key, "key")?;
        let src = copy_source(src_bucket, src_region, src_key, src_version_id)?;
        let co = copy_options(replace_opts, opts)?;
        let out = arg_out(task_out, "task_out")?;
        out.write(q.copy(key, src, co)?);
        Ok(())
    })
}

/// Queue the upload of the bytes `read_cb` produces as object `key`: exactly
/// `content_length` bytes, or, with `content_length == UINT64_MAX`, a stream of unknown
/// length read until the callback reports 0 bytes (one PUT when it ends within
/// `slice_size`, otherwise a multipart upload whose part size grows as needed). Returns
/// at once; the task runs on a queue worker like a file upload, with the same events.
///
/// The bytes can be read only once, so such a task can be neither paused
/// (`qcos_queue_pause` answers `QCOS_STATUS_INVALID_STATE`, in any state) nor resumed
/// (a failed one: `QCOS_STATUS_INVALID_STATE`); a failure aborts its multipart upload.
/// `qcos_task_info_is_stream` is true for it (its path is "").
///
/// `read_cb`: required (see `qcos_read_cb`). It is called **on a queue worker thread**,
/// one invocation at a time, only while the task is checking or running, and never
/// after the task reached a final state (SUCCEEDED, FAILED, CANCELLED: a waiting task
/// cancelled by `qcos_queue_cancel` is never read), nor after `qcos_queue_free` or
/// `qcos_client_free` of the queue's client returned. `user_data`: passed back to it;
/// must stay valid (and be usable from that thread) until one of those happened. A
/// non-zero return cancels the task (it ends CANCELLED, its multipart upload aborted);
/// a callback that ends before `content_length` bytes, or has more, fails it
/// (`QCOS_STATUS_INVALID_STATE` in its info).
///
/// `key`: copied. `put_opts`: content type, metadata...; borrowed for the call, or
/// NULL. `opts`: transfer options (part size, parallelism), or NULL; its on-cancel and
/// on-error choices are the queue's (both abort). `task_out`: receives the task id
/// (never 0). On any error status the callback is never called.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL queue, key,
/// `read_cb` or `task_out`, bad key); `QCOS_STATUS_INVALID_STATE` (the queue holds
/// `upload_queue_size` unfinished tasks, or its client was freed).
///
/// Thread: any thread.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn qcos_queue_upload_from_callback(
    queue: *const qcos_queue,
    key: *const c_char,
    content_length: u64,
    read_cb: qcos_read_cb,
    user_data: *mut c_void,
    put_opts: *const qcos_put_options,
    opts: *const qcos_transfer_options,
    task_out: *mut u64,
) -> Status {
    entry(|| {
        let q = self::queue(queue)?;
        let key = arg_str(key, "key")?;
        let reader = QueueCallbackReader::new(read_cb, user_data)?;
        let uo = upload_options(&put_options(put_opts)?, &transfer_settings(opts)?);
        let out = arg_out(task_out, "task_out")?;
        let len = (content_length != u64::MAX).then_some(content_length);
        out.write(q.upload_reader(key, Box::new(reader), len, uo)?);
        Ok(())
    })
}

/// Pause a task: a waiting one at once; a checking or running one at its next part
/// boundary (the PAUSED event follows; its multipart upload is kept). Pausing a paused
/// task does nothing.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_NOT_FOUND` (no such task);
/// `QCOS_STATUS_INVALID_STATE` (the task succeeded, failed, was cancelled or is being
/// cancelled, uploads from a read callback, or the queue's client was freed).
///
/// Thread: any thread.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_queue_pause(queue: *const qcos_queue, task: u64) -> Status {
    entry(|| self::queue(queue)?.pause(task))
}

/// Resume a paused task, or retry a failed one: it is queued again (WAITING) and
/// continues from what the service already has (each uploaded part is checked against
/// the file and not sent again). On a task whose pause was requested but not yet
/// reached, withdraws the pause.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_NOT_FOUND`; `QCOS_STATUS_INVALID_STATE`
/// (the task is waiting, running, succeeded or cancelled, a failed upload from a read
/// callback, or the queue's client was freed).
///
/// Thread: any thread.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_queue_resume(queue: *const qcos_queue, task: u64) -> Status {
    entry(|| self::queue(queue)?.resume(task))
}

/// Cancel a task and abort its multipart upload (a download's partial file is
/// removed). A waiting, paused or failed task is CANCELLED when this returns (for a
/// paused or failed upload this call sends the Abort); a checking or running one stops
/// at its next part boundary, and its CANCELLED event follows the Abort.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_NOT_FOUND`; `QCOS_STATUS_INVALID_STATE`
/// (the task succeeded or was cancelled, or the queue's client was freed); for a
/// paused or failed upload, the status of a failed Abort (the task is cancelled
/// anyway).
///
/// Thread: any thread.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_queue_cancel(queue: *const qcos_queue, task: u64) -> Status {
    entry(|| self::queue(queue)?.cancel(task))
}

/// Wait up to `timeout_ms` milliseconds (0: just look) for the next event.
///
/// `event_out`: required; receives the event when there was one. `has_event_out`:
/// required; true when `*event_out` was written, false when none came in time.
///
/// Events come in the order they happened; state events are never dropped; progress
/// ticks are dropped while more than 4096 events wait unread.
///
/// Statuses: `QCOS_STATUS_OK` (event or not); `QCOS_STATUS_INVALID_ARGUMENT` (NULL);
/// `QCOS_STATUS_INVALID_STATE` while an event callback is registered (it receives the
/// events instead).
///
/// Thread: any thread; several threads calling it share the events (each event goes to
/// one of them).
///
/// ```c
/// qcos_queue_event ev; bool has = false;
/// while (qcos_queue_next_event(q, 1000, &ev, &has) == QCOS_STATUS_OK && has)
///     if (ev.kind == QCOS_EVENT_KIND_STATE)
///         printf("task %llu: %s\n", (unsigned long long)ev.task,
///                qcos_task_state_str(ev.state));
/// ```
#[unsafe(no_mangle)]
pub extern "C" fn qcos_queue_next_event(
    queue: *const qcos_queue,
    timeout_ms: u32,
    event_out: *mut qcos_queue_event,
    has_event_out: *mut bool,
) -> Status {
    entry(|| {
        let q = self::queue(queue)?;
        let ev_out = arg_out(event_out, "event_out")?;
        let has_out = arg_out(has_event_out, "has_event_out")?;
        match q.next_event(Duration::from_millis(timeout_ms as u64))? {
            Some(e) => {
                ev_out.write(qcos_queue_event::from(&e));
                has_out.write(true);
            }
            None => has_out.write(false),
        }
        Ok(())
    })
}

/// A C event callback and its user data, moved to the event thread.
struct EventCallback {
    cb: unsafe extern "C" fn(*mut c_void, *const qcos_queue_event),
    user_data: UserData,
}

impl EventCallback {
    fn call(&self, e: &Event) {
        let ev = qcos_queue_event::from(e);
        // SAFETY: `ev` lives across the call, which only reads it; the callback's
        // contract (`qcos_queue_event_cb`) names this thread.
        unsafe { (self.cb)(self.user_data.0, &ev) }
    }
}

/// Register `cb` to receive every event of the queue, or unregister with NULL.
///
/// `cb`: called on the queue's event thread (see `qcos_queue_event_cb`), one event at
/// a time. `user_data`: passed back to it. While a callback is registered,
/// `qcos_queue_next_event` fails with `QCOS_STATUS_INVALID_STATE`; events not yet read
/// go to the callback. Replacing or removing a callback waits for an invocation in
/// progress to return: after this call the old callback is never called again.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL queue);
/// `QCOS_STATUS_INVALID_STATE` (called from inside an event callback, or registering
/// a callback after the queue's client was freed).
///
/// Thread: any thread but the event thread.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_queue_set_event_callback(
    queue: *const qcos_queue,
    cb: qcos_queue_event_cb,
    user_data: *mut c_void,
) -> Status {
    entry(|| {
        let q = self::queue(queue)?;
        let f: Option<crate::queue::EventCallback> = cb.map(|cb| {
            let c = EventCallback {
                cb,
                user_data: UserData(user_data),
            };
            Box::new(move |e: &Event| c.call(e)) as crate::queue::EventCallback
        });
        q.set_callback(f)
    })
}

/// Block until `task` has succeeded, failed or been cancelled, or `timeout_ms`
/// milliseconds passed (a negative `timeout_ms` waits for ever). A paused task is not
/// finished: waiting goes on until it is resumed and ends, or is cancelled.
///
/// `state_out`: may be NULL; on success receives the final state.
///
/// After `qcos_client_free` of the queue's client every task has ended (returns at
/// once) or stays paused for good (`QCOS_STATUS_INVALID_STATE`).
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_NOT_FOUND` (no such task, or it finished
/// and was dropped from the queue); `QCOS_STATUS_TIMEOUT`; `QCOS_STATUS_INVALID_STATE`
/// (the task is paused and the queue's client was freed).
///
/// Thread: any thread.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_queue_wait(
    queue: *const qcos_queue,
    task: u64,
    timeout_ms: i64,
    state_out: *mut qcos_task_state,
) -> Status {
    entry(|| {
        let q = self::queue(queue)?;
        let out = arg_opt_out(state_out);
        let timeout = (timeout_ms >= 0).then(|| Duration::from_millis(timeout_ms as u64));
        let info = q.wait(task, timeout)?;
        if let Some(out) = out {
            out.write(info.state.into());
        }
        Ok(())
    })
}

/// A snapshot of one task: state, progress, and its error or result. Strings are owned
/// by the snapshot, valid until `qcos_task_info_free`, "" when absent.
///
/// Methods: `qcos_task_info_id`, `_is_upload`, `_is_copy`, `_is_stream`, `_state`, `_key`, `_path`,
/// `_source_bucket`, `_source_region`, `_source_key`, `_source_version_id`,
/// `_loaded`, `_total`, `_total_known`, `_speed`, `_error_status`,
/// `_error_message`, `_error_http_status`, `_error_code`, `_error_request_id`,
/// `_etag`, `_crc64`, `_crc64_verified`, `_version_id`, `_size`,
/// `qcos_task_info_free`.
///
/// Thread: immutable; any number of threads may read it at once.
pub struct qcos_task_info {
    info: TaskInfo,
    key: CString,
    path: CString,
    error_message: CString,
    error_code: CString,
    error_request_id: CString,
    etag: CString,
    version_id: CString,
    source_bucket: CString,
    source_region: CString,
    source_key: CString,
    source_version_id: CString,
    upload_id: CString,
}

impl From<TaskInfo> for qcos_task_info {
    fn from(info: TaskInfo) -> Self {
        let e = info.error.as_ref();
        let r = info.result.as_ref();
        let s = info.source.as_ref();
        qcos_task_info {
            key: c_string(&info.key),
            path: c_string(&info.path.to_string_lossy()),
            error_message: c_string(e.map_or("", |e| &e.message)),
            error_code: c_string(e.map_or("", |e| &e.code)),
            error_request_id: c_string(e.map_or("", |e| &e.request_id)),
            etag: c_string(r.map_or("", |r| &r.etag)),
            version_id: c_string(r.and_then(|r| r.version_id.as_deref()).unwrap_or("")),
            source_bucket: c_string(s.map_or("", |s| &s.bucket)),
            source_region: c_string(s.map_or("", |s| &s.region)),
            source_key: c_string(s.map_or("", |s| &s.key)),
            source_version_id: c_string(s.and_then(|s| s.version_id.as_deref()).unwrap_or("")),
            upload_id: c_string(info.upload_id.as_deref().unwrap_or("")),
            info,
        }
    }
}

/// Take a snapshot of `task`.
///
/// `info_out`: receives it; release it with `qcos_task_info_free`.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL);
/// `QCOS_STATUS_NOT_FOUND`.
///
/// Thread: any thread.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_queue_task_info(
    queue: *const qcos_queue,
    task: u64,
    info_out: *mut *mut qcos_task_info,
) -> Status {
    entry(|| {
        let q = self::queue(queue)?;
        let out = arg_out(info_out, "info_out")?;
        out.write(into_box(qcos_task_info::from(q.info(task)?)));
        Ok(())
    })
}

fn info<'a>(p: *const qcos_task_info) -> Result<&'a qcos_task_info> {
    arg_ref(p, "info")
}

/// The task's id; 0 when `info` is NULL.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_task_info_id(info: *const qcos_task_info) -> u64 {
    entry_value(0, || Ok(self::info(info)?.info.id))
}

/// True for an upload, false for a download or a copy (or when `info` is NULL).
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_task_info_is_upload(info: *const qcos_task_info) -> bool {
    entry_value(
        false,
        || Ok(self::info(info)?.info.kind == TaskKind::Upload),
    )
}

/// The task's state when the snapshot was taken; `QCOS_TASK_STATE_FAILED` when `info`
/// is NULL.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_task_info_state(info: *const qcos_task_info) -> qcos_task_state {
    entry_value(qcos_task_state::Failed, || {
        Ok(self::info(info)?.info.state.into())
    })
}

/// The object key. Owned by `info`; NULL only when `info` is NULL.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_task_info_key(info: *const qcos_task_info) -> *const c_char {
    entry_value(std::ptr::null(), || Ok(self::info(info)?.key.as_ptr()))
}

/// The local file path ("" for a copy). Owned by `info`; NULL only when `info` is NULL.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_task_info_path(info: *const qcos_task_info) -> *const c_char {
    entry_value(std::ptr::null(), || Ok(self::info(info)?.path.as_ptr()))
}

/// Bytes done; 0 when `info` is NULL.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_task_info_loaded(info: *const qcos_task_info) -> u64 {
    entry_value(0, || Ok(self::info(info)?.info.loaded))
}

/// Bytes in the transfer; 0 while unknown or when `info` is NULL.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_task_info_total(info: *const qcos_task_info) -> u64 {
    entry_value(0, || Ok(self::info(info)?.info.total.unwrap_or(0)))
}

/// Whether the total is known (uploads: always; downloads and copies: once the transfer
/// started).
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_task_info_total_known(info: *const qcos_task_info) -> bool {
    entry_value(false, || Ok(self::info(info)?.info.total.is_some()))
}

/// Bytes per second over the last progress interval; 0 when `info` is NULL.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_task_info_speed(info: *const qcos_task_info) -> f64 {
    entry_value(0.0, || Ok(self::info(info)?.info.speed))
}

/// The status of a failed task's error; `QCOS_STATUS_OK` when the task has no error
/// (or `info` is NULL). A cancelled task whose Abort failed keeps that error too.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_task_info_error_status(info: *const qcos_task_info) -> Status {
    entry_value(Status::Ok, || {
        Ok(self::info(info)?
            .info
            .error
            .as_ref()
            .map_or(Status::Ok, |e| e.status))
    })
}

/// The error's message; "" when none. Owned by `info`; NULL only when `info` is NULL.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_task_info_error_message(info: *const qcos_task_info) -> *const c_char {
    entry_value(std::ptr::null(), || {
        Ok(self::info(info)?.error_message.as_ptr())
    })
}

/// For a service error: the HTTP status; 0 otherwise.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_task_info_error_http_status(info: *const qcos_task_info) -> u16 {
    entry_value(0, || {
        Ok(self::info(info)?
            .info
            .error
            .as_ref()
            .map_or(0, |e| e.http_status))
    })
}

/// For a service error: COS's error code (e.g. "AccessDenied"); "" otherwise. Owned by
/// `info`; NULL only when `info` is NULL.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_task_info_error_code(info: *const qcos_task_info) -> *const c_char {
    entry_value(std::ptr::null(), || {
        Ok(self::info(info)?.error_code.as_ptr())
    })
}

/// For a service error: the RequestId to quote to Tencent Cloud; "" otherwise. Owned by
/// `info`; NULL only when `info` is NULL.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_task_info_error_request_id(info: *const qcos_task_info) -> *const c_char {
    entry_value(std::ptr::null(), || {
        Ok(self::info(info)?.error_request_id.as_ptr())
    })
}

/// A succeeded task's ETag; "" otherwise. Owned by `info`; NULL only when `info` is
/// NULL.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_task_info_etag(info: *const qcos_task_info) -> *const c_char {
    entry_value(std::ptr::null(), || Ok(self::info(info)?.etag.as_ptr()))
}

/// A succeeded task's CRC-64/ECMA (of the bytes read or received; for a copy, the
/// service's value for the new object); 0 otherwise.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_task_info_crc64(info: *const qcos_task_info) -> u64 {
    entry_value(0, || {
        Ok(self::info(info)?
            .info
            .result
            .as_ref()
            .map_or(0, |r| r.crc64))
    })
}

/// Whether a succeeded task's CRC-64 was checked against the service's (for a copy: the
/// source's against the new object's).
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_task_info_crc64_verified(info: *const qcos_task_info) -> bool {
    entry_value(false, || {
        Ok(self::info(info)?
            .info
            .result
            .as_ref()
            .is_some_and(|r| r.crc64_verified))
    })
}

/// A succeeded upload's version id (versioned buckets); "" otherwise. Owned by `info`;
/// NULL only when `info` is NULL.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_task_info_version_id(info: *const qcos_task_info) -> *const c_char {
    entry_value(std::ptr::null(), || {
        Ok(self::info(info)?.version_id.as_ptr())
    })
}

/// A succeeded task's object size; 0 otherwise.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_task_info_size(info: *const qcos_task_info) -> u64 {
    entry_value(0, || {
        Ok(self::info(info)?.info.result.as_ref().map_or(0, |r| r.size))
    })
}

/// True for a copy (`qcos_queue_copy`), false for an upload or a download (or when
/// `info` is NULL).
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_task_info_is_copy(info: *const qcos_task_info) -> bool {
    entry_value(false, || Ok(self::info(info)?.info.kind == TaskKind::Copy))
}

/// A copy's source bucket; "" for an upload or a download. Owned by `info`; NULL only
/// when `info` is NULL.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_task_info_source_bucket(info: *const qcos_task_info) -> *const c_char {
    entry_value(std::ptr::null(), || {
        Ok(self::info(info)?.source_bucket.as_ptr())
    })
}

/// A copy's source region; "" for an upload or a download. Owned by `info`; NULL only
/// when `info` is NULL.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_task_info_source_region(info: *const qcos_task_info) -> *const c_char {
    entry_value(std::ptr::null(), || {
        Ok(self::info(info)?.source_region.as_ptr())
    })
}

/// A copy's source key; "" for an upload or a download. Owned by `info`; NULL only when
/// `info` is NULL.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_task_info_source_key(info: *const qcos_task_info) -> *const c_char {
    entry_value(std::ptr::null(), || {
        Ok(self::info(info)?.source_key.as_ptr())
    })
}

/// A copy's source version id; "" for the current version, an upload or a download.
/// Owned by `info`; NULL only when `info` is NULL.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_task_info_source_version_id(info: *const qcos_task_info) -> *const c_char {
    entry_value(std::ptr::null(), || {
        Ok(self::info(info)?.source_version_id.as_ptr())
    })
}

/// The UploadId of the multipart upload a paused or failed upload or copy keeps on the
/// service; "" otherwise (and for downloads). A paused copy's upload can be found again
/// only through this id: when the task will not be resumed (for instance before the queue
/// is freed), abort it with `qcos_client_abort_multipart_upload`. Owned by `info`; NULL
/// only when `info` is NULL.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_task_info_upload_id(info: *const qcos_task_info) -> *const c_char {
    entry_value(std::ptr::null(), || {
        Ok(self::info(info)?.upload_id.as_ptr())
    })
}

/// True for an upload queued from a read callback (`qcos_queue_upload_from_callback`:
/// its path is "", and it can be neither paused nor resumed); false otherwise (or when
/// `info` is NULL).
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_task_info_is_stream(info: *const qcos_task_info) -> bool {
    entry_value(false, || Ok(self::info(info)?.info.is_stream))
}

/// Release a task snapshot. NULL does nothing.
///
/// Thread: any thread, once no other thread uses `info`.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_task_info_free(info: *mut qcos_task_info) {
    entry_value((), || {
        free_box(info);
        Ok(())
    })
}

/// Static lower-case name of a task state ("waiting", "running"...); "unknown" for a
/// value that is not a `qcos_task_state`.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_task_state_str(state: u32) -> *const c_char {
    let s: &'static std::ffi::CStr = match state {
        0 => c"waiting",
        1 => c"checking",
        2 => c"running",
        3 => c"paused",
        4 => c"cancelled",
        5 => c"succeeded",
        6 => c"failed",
        _ => c"unknown",
    };
    s.as_ptr()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_names_match_the_rust_names() {
        for (n, s) in [
            TaskState::Waiting,
            TaskState::Checking,
            TaskState::Running,
            TaskState::Paused,
            TaskState::Cancelled,
            TaskState::Succeeded,
            TaskState::Failed,
        ]
        .into_iter()
        .enumerate()
        {
            assert_eq!(qcos_task_state::from(s) as u32, n as u32);
            // SAFETY: static NUL-terminated strings.
            let c = unsafe { std::ffi::CStr::from_ptr(qcos_task_state_str(n as u32)) };
            assert_eq!(c.to_str().unwrap(), s.as_str());
        }
        // SAFETY: as above.
        let c = unsafe { std::ffi::CStr::from_ptr(qcos_task_state_str(99)) };
        assert_eq!(c.to_str().unwrap(), "unknown");
    }

    #[test]
    fn null_arguments_are_named() {
        let mut t = 0u64;
        assert_eq!(
            qcos_queue_upload(
                std::ptr::null(),
                c"k".as_ptr(),
                c"p".as_ptr(),
                std::ptr::null(),
                std::ptr::null(),
                &mut t
            ),
            Status::InvalidArgument
        );
        assert!(super::super::last_error::message().contains("queue"));
        assert_eq!(
            qcos_queue_copy(
                std::ptr::null(),
                c"k".as_ptr(),
                c"b-1250000000".as_ptr(),
                c"ap-guangzhou".as_ptr(),
                c"s".as_ptr(),
                std::ptr::null(),
                std::ptr::null(),
                std::ptr::null(),
                &mut t
            ),
            Status::InvalidArgument
        );
        assert!(super::super::last_error::message().contains("queue"));
        assert!(qcos_task_info_source_key(std::ptr::null()).is_null());
        assert!(!qcos_task_info_is_copy(std::ptr::null()));
        assert_eq!(
            qcos_queue_new(std::ptr::null(), std::ptr::null_mut()),
            Status::InvalidArgument
        );
        qcos_queue_free(std::ptr::null_mut());
        qcos_task_info_free(std::ptr::null_mut());
        assert_eq!(qcos_task_info_id(std::ptr::null()), 0);
        assert!(qcos_task_info_key(std::ptr::null()).is_null());
    }
}
