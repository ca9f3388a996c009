//! Directory transfers through a `qcos_queue` (the C face of `Queue::upload_dir` and
//! `Queue::download_prefix`), and `qcos_task_list`, the tasks they queued.

use std::ffi::{CString, c_char};

use super::args::{arg_out, arg_path, arg_ref, arg_str, free_box, into_box};
use super::entry::{entry, entry_value};
use super::last_error::c_string;
use super::options::{put_options, qcos_put_options};
use super::queue::qcos_queue;
use super::transfer::{download_options, qcos_transfer_options, transfer_settings, upload_options};
use crate::error::{Error, Result, Status};

struct Item {
    id: u64,
    key: CString,
    path: CString,
}

/// The tasks queued by `qcos_queue_upload_directory` or `qcos_queue_download_prefix`:
/// for each, its task id, object key and local file path, in the order they were
/// queued. Read-only once made.
///
/// Strings from the accessors are owned by the list and valid until
/// `qcos_task_list_free`.
///
/// Methods: `qcos_task_list_count`, `qcos_task_list_id`, `qcos_task_list_key`,
/// `qcos_task_list_path`, `qcos_task_list_free`.
///
/// Thread: any thread; several threads may read it at once (nothing changes it).
pub struct qcos_task_list {
    items: Vec<Item>,
}

fn task_list(items: impl Iterator<Item = (u64, String, String)>) -> qcos_task_list {
    qcos_task_list {
        items: items
            .map(|(id, key, path)| Item {
                id,
                key: c_string(&key),
                path: c_string(&path),
            })
            .collect(),
    }
}

/// Queue one upload per regular file under the local directory `dir` (recursively),
/// as object `prefix` + the file's path relative to `dir` with `/` separators
/// (`prefix` is used as given: pass "photos/" for a folder, or "" for none). Files are
/// queued in sorted order (by name at each level, depth first). Each task is the same
/// as one from `qcos_queue_upload` with `put_opts` and `opts`. Returns at once.
///
/// Symbolic links (to files or directories) are not followed and not uploaded, nor
/// are FIFOs, sockets or devices; empty directories make no object.
///
/// Everything is checked before the first task is queued, so an error queues nothing:
/// a file name that is not UTF-8, or that would make an invalid key or one that
/// `qcos_queue_download_prefix` would refuse (a backslash or control character, a key
/// over 850 bytes, a prefix starting with "/"), fails with
/// `QCOS_STATUS_INVALID_ARGUMENT` and a message naming the file.
///
/// `queue`: borrowed. `dir`, `prefix`: copied; `prefix` may be "" but not NULL.
/// `put_opts`: content type, metadata... applied to every file; borrowed, or NULL.
/// `opts`: transfer options, or NULL. `tasks_out`: receives the list of queued tasks
/// (possibly empty; release it with `qcos_task_list_free`); untouched on error.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL, invalid UTF-8,
/// `dir` not a directory, a bad file name or key: the message names it);
/// `QCOS_STATUS_IO` (a directory cannot be read); `QCOS_STATUS_INVALID_STATE` (the
/// queue has no room for every file within `upload_queue_size`, or its client was
/// freed).
///
/// Thread: any thread.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_queue_upload_directory(
    queue: *const qcos_queue,
    dir: *const c_char,
    prefix: *const c_char,
    put_opts: *const qcos_put_options,
    opts: *const qcos_transfer_options,
    tasks_out: *mut *mut qcos_task_list,
) -> Status {
    entry(|| {
        let q = super::queue::queue(queue)?;
        let dir = arg_path(dir, "dir")?;
        let prefix = arg_str(prefix, "prefix")?;
        let uo = upload_options(&put_options(put_opts)?, &transfer_settings(opts)?);
        let out = arg_out(tasks_out, "tasks_out")?;
        let queued = q.upload_dir(dir, prefix, uo)?;
        out.write(into_box(task_list(queued.into_iter().map(
            |(path, key, id)| (id, key, path.to_string_lossy().into_owned()),
        ))));
        Ok(())
    })
}

/// Queue one download per object whose key starts with `prefix` (every page of GET
/// Bucket) into the local directory `dir` (created if missing): object `prefix` +
/// `rel` goes to `dir/rel`, and the parent directories are created now. A directory
/// marker (a key ending in "/") creates that directory and queues nothing. Tasks are
/// queued in key order; each is the same as one from `qcos_queue_download` with
/// `opts`. Returns once the listing is done and the tasks are queued.
///
/// Hostile keys: every key is checked before anything is created or queued. A key
/// with an empty, "." or ".." segment ("a//b", "a/../../x"), a leading "/", a
/// backslash or a control character (NUL included), a key whose file would also be
/// the directory of another key ("a" and "a/b"), a key equal to `prefix` that is not
/// a marker, or one whose path goes through a symbolic link (or a file) already in
/// `dir`, makes the call fail with `QCOS_STATUS_INVALID_ARGUMENT` and a message naming
/// the key: nothing is queued and nothing is written.
///
/// `queue`: borrowed. `prefix`: copied; may be "" (the whole bucket) but not NULL.
/// `dir`: copied. `opts`: transfer options, or NULL. `tasks_out`: receives the list of
/// queued tasks (release it with `qcos_task_list_free`); untouched on error.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL, invalid UTF-8, a
/// refused key, `dir` exists and is not a directory); the listing's errors
/// (`QCOS_STATUS_SERVICE`, `QCOS_STATUS_TRANSPORT`...; see `qcos_last_error_*`);
/// `QCOS_STATUS_IO` (a directory cannot be created); `QCOS_STATUS_INVALID_STATE` (no
/// room for every object within `upload_queue_size`, or the client was freed).
///
/// Thread: any thread.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_queue_download_prefix(
    queue: *const qcos_queue,
    prefix: *const c_char,
    dir: *const c_char,
    opts: *const qcos_transfer_options,
    tasks_out: *mut *mut qcos_task_list,
) -> Status {
    entry(|| {
        let q = super::queue::queue(queue)?;
        let prefix = arg_str(prefix, "prefix")?;
        let dir = arg_path(dir, "dir")?;
        let d = download_options(&transfer_settings(opts)?);
        let out = arg_out(tasks_out, "tasks_out")?;
        let queued = q.download_prefix(prefix, dir, d)?;
        out.write(into_box(task_list(queued.into_iter().map(
            |(key, path, id)| (id, key, path.to_string_lossy().into_owned()),
        ))));
        Ok(())
    })
}

fn item<'a>(list: *const qcos_task_list, index: usize) -> Result<&'a Item> {
    let l = arg_ref(list, "list")?;
    l.items.get(index).ok_or_else(|| {
        Error::invalid(
            "index",
            format!("{index} is out of range (count {})", l.items.len()),
        )
    })
}

/// The number of tasks in `list`; 0 when `list` is NULL.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_task_list_count(list: *const qcos_task_list) -> usize {
    entry_value(0, || Ok(arg_ref(list, "list")?.items.len()))
}

/// The task id of entry `index` (for `qcos_queue_wait`, `qcos_queue_task_info`...);
/// 0 when `list` is NULL or `index` is out of range.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_task_list_id(list: *const qcos_task_list, index: usize) -> u64 {
    entry_value(0, || Ok(item(list, index)?.id))
}

/// The object key of entry `index`, or NULL when `list` is NULL or `index` is out of
/// range. Owned by `list`.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_task_list_key(list: *const qcos_task_list, index: usize) -> *const c_char {
    entry_value(std::ptr::null(), || Ok(item(list, index)?.key.as_ptr()))
}

/// The local file path of entry `index` (the file uploaded, or the file the download
/// writes), or NULL when `list` is NULL or `index` is out of range. Owned by `list`.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_task_list_path(list: *const qcos_task_list, index: usize) -> *const c_char {
    entry_value(std::ptr::null(), || Ok(item(list, index)?.path.as_ptr()))
}

/// Release a task list (the tasks themselves stay in the queue). NULL does nothing.
///
/// Thread: any thread, once no other thread uses `list`.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_task_list_free(list: *mut qcos_task_list) {
    entry_value((), || {
        free_box(list);
        Ok(())
    })
}
