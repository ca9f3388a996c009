//! `qcos_client` and one C function per COS operation.

use std::ffi::{c_char, c_void};
use std::sync::Arc;

use super::args::{
    arg_bytes, arg_bytes_mut, arg_opt_out, arg_out, arg_path, arg_ref, arg_str, arg_str_array,
    free_arc, into_arc, into_box, take_box,
};
use super::buffer::qcos_buffer;
use super::callbacks::{CallbackReader, CallbackWriter, cancelled_by, qcos_read_cb, qcos_write_cb};
use super::config::qcos_config;
use super::entry::{entry, entry_value};
use super::options::{get_options, put_options, qcos_get_options, qcos_put_options};
use super::results::{qcos_bucket_list, qcos_delete_result, qcos_object_info, qcos_put_result};
use crate::client::{Body, Client, CopyObjectOptions, ObjectInfo};
use crate::error::{Error, Result, Status};

/// A COS client for one bucket in one region: credentials, connection pool and
/// clock offset. Built from a `qcos_config` by `qcos_client_new`, released with
/// `qcos_client_free`.
///
/// Methods: `qcos_client_put_object`, `_put_object_from_file`,
/// `_put_object_from_callback`, `_get_object`, `_get_object_to_buffer`,
/// `_get_object_to_file`, `_get_object_to_callback`, `_head_object`,
/// `_delete_object`, `_delete_objects`, `_copy_object`, `_list_objects`,
/// `_head_bucket`, `_create_bucket`, `_delete_bucket`, `_list_buckets`,
/// `qcos_client_free`; tags and ACL (`ffi/tagging_acl.rs`):
/// `qcos_client_put_object_tagging`, `_get_object_tagging`,
/// `_delete_object_tagging`, `_put_object_acl`, `_get_object_acl`; multipart uploads
/// one by one (`ffi/multipart.rs`): `qcos_client_initiate_multipart_upload`,
/// `_upload_part`, `_upload_part_from_file`, `_complete_multipart_upload`,
/// `_abort_multipart_upload`, `_list_parts`, `_list_multipart_uploads`.
///
/// Thread: immutable once built and thread-safe: any number of threads may call its
/// functions (which take `const qcos_client *`) at once, sharing its connection
/// pool. Each call blocks its thread until done.
pub struct qcos_client {
    pub(crate) inner: Client,
}

/// Build a client from a configuration.
///
/// `cfg`: consumed, success or not: do not use or free it after this call.
/// `client_out`: receives the client on success; release it with
/// `qcos_client_free`.
///
/// No request is sent; credentials are not checked until the first request.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL, or a setting
/// the config check refuses: the last error names it); `QCOS_STATUS_AUTH`
/// (malformed credentials); `QCOS_STATUS_INTERNAL` (the config was poisoned by a
/// panic).
///
/// Thread: any thread.
///
/// ```c
/// const qcos_client *client = NULL;
/// if (qcos_client_new(cfg, &client) != QCOS_STATUS_OK)   // cfg is gone either way
///     fprintf(stderr, "qcos: %s\n", qcos_last_error_message());
/// ```
#[unsafe(no_mangle)]
pub extern "C" fn qcos_client_new(
    cfg: *mut qcos_config,
    client_out: *mut *const qcos_client,
) -> Status {
    entry(|| {
        let cfg = take_box(cfg, "cfg")?;
        let out = arg_out(client_out, "client_out")?;
        let config = cfg.inner.into_inner()?;
        let client = Client::new(config)?;
        out.write(into_arc(Arc::new(qcos_client { inner: client })));
        Ok(())
    })
}

/// Release the caller's reference to a client. NULL does nothing. A `qcos_list`
/// made from the client keeps what it needs alive and stays usable. Calls still
/// running on other threads must have returned first.
///
/// Every `qcos_queue` made from the client is shut down first: its event callback is
/// stopped, its waiting and running tasks are cancelled (running uploads abort their
/// multipart upload; parts in flight finish their request first; paused tasks stay
/// paused, their multipart uploads kept) and its threads are joined. So when this
/// returns no queue thread of the client runs and no queue callback will be called.
/// The queue handles stay valid (task info, wait and events still answer; new work is
/// refused with `QCOS_STATUS_INVALID_STATE`) and must still be released with
/// `qcos_queue_free`.
///
/// Thread: any thread. From inside a queue's event callback it does not wait for
/// that callback's own thread (which ends once the callback returns).
#[unsafe(no_mangle)]
pub extern "C" fn qcos_client_free(client: *const qcos_client) {
    entry_value((), || {
        super::queue::shutdown_queues_of(client);
        free_arc(client);
        Ok(())
    })
}

fn client<'a>(p: *const qcos_client) -> Result<&'a Client> {
    Ok(&arg_ref(p, "client")?.inner)
}

fn write_info(out: Option<super::args::Out<*mut qcos_object_info>>, info: &ObjectInfo) {
    if let Some(out) = out {
        out.write(into_box(qcos_object_info::from(info)));
    }
}

/// Hand an upload's or copy's result to the caller, when it asked for one.
fn write_put_result<T>(out: Option<super::args::Out<*mut qcos_put_result>>, r: &T)
where
    for<'a> qcos_put_result: From<&'a T>,
{
    if let Some(out) = out {
        out.write(into_box(qcos_put_result::from(r)));
    }
}

/// Upload `len` bytes from memory as object `key` (PUT Object).
///
/// `client`: borrowed. `key`: the object key, NUL-terminated UTF-8, e.g.
/// "dir/photo.jpg" (copied). `data`, `len`: the body, borrowed for the call;
/// `(NULL, 0)` uploads an empty object. `opts`: upload options, borrowed, or NULL for
/// defaults. `result_out`: may be NULL; on success receives the ETag/CRC-64 of the
/// new object (release with `qcos_put_result_free`).
///
/// The body's CRC-64 is compared with the one COS returns.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL, bad UTF-8, bad
/// key, CR/LF in headers); `QCOS_STATUS_SERVICE` (COS refused: see
/// `qcos_last_error_code`); `QCOS_STATUS_NETWORK`, `QCOS_STATUS_TIMEOUT`;
/// `QCOS_STATUS_AUTH`; `QCOS_STATUS_INTEGRITY` (CRC-64 mismatch).
///
/// Thread: any thread; blocks until done.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_client_put_object(
    client: *const qcos_client,
    key: *const c_char,
    data: *const u8,
    len: usize,
    opts: *const qcos_put_options,
    result_out: *mut *mut qcos_put_result,
) -> Status {
    entry(|| {
        let c = self::client(client)?;
        let key = arg_str(key, "key")?;
        let data = arg_bytes(data, len, "data")?;
        let opts = put_options(opts)?;
        let out = arg_opt_out(result_out);
        let r = c.put_object(key, Body::Bytes(data), &opts)?;
        write_put_result(out, &r);
        Ok(())
    })
}

/// Upload the local file `path` as object `key` with one PUT Object.
///
/// `path`: a UTF-8 file path (copied); the file is read during the call. Other
/// parameters as for `qcos_client_put_object`.
///
/// Statuses: as `qcos_client_put_object`, plus `QCOS_STATUS_IO` when the file
/// cannot be read.
///
/// Thread: any thread; blocks until done.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_client_put_object_from_file(
    client: *const qcos_client,
    key: *const c_char,
    path: *const c_char,
    opts: *const qcos_put_options,
    result_out: *mut *mut qcos_put_result,
) -> Status {
    entry(|| {
        let c = self::client(client)?;
        let key = arg_str(key, "key")?;
        let path = arg_path(path, "path")?;
        let opts = put_options(opts)?;
        let out = arg_opt_out(result_out);
        let r = c.put_object(key, Body::File(path), &opts)?;
        write_put_result(out, &r);
        Ok(())
    })
}

/// Upload exactly `content_length` bytes produced by `read_cb` as object `key`.
///
/// `read_cb`: required; called on this thread, during this call only, until it has
/// supplied `content_length` bytes (see `qcos_read_cb`). `user_data`: passed back to
/// it. A body that cannot be replayed is not retried. Other parameters as for
/// `qcos_client_put_object`.
///
/// Statuses: as `qcos_client_put_object`, plus `QCOS_STATUS_CANCELLED` when the
/// callback returns non-zero, and an error when it ends early.
///
/// Thread: any thread; blocks until done.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_client_put_object_from_callback(
    client: *const qcos_client,
    key: *const c_char,
    content_length: u64,
    read_cb: qcos_read_cb,
    user_data: *mut c_void,
    opts: *const qcos_put_options,
    result_out: *mut *mut qcos_put_result,
) -> Status {
    entry(|| {
        let c = self::client(client)?;
        let key = arg_str(key, "key")?;
        let mut reader = CallbackReader::new(read_cb, user_data)?;
        let opts = put_options(opts)?;
        let out = arg_opt_out(result_out);
        let r = c.put_object(
            key,
            Body::Reader {
                reader: &mut reader,
                len: content_length,
            },
            &opts,
        );
        if let Some(e) = cancelled_by(reader.stopped, "read") {
            return Err(e);
        }
        let r = r?;
        write_put_result(out, &r);
        Ok(())
    })
}

/// Download object `key` into a new library-owned buffer (GET Object).
///
/// `opts`: download options (range, If-*, response-*), borrowed, or NULL.
/// `buf_out`: receives the body on success (release with `qcos_buffer_free`).
/// `info_out`: may be NULL; on success receives the response's metadata (release
/// with `qcos_object_info_free`).
///
/// A whole-object download is checked against COS's CRC-64.
///
/// A body cut midway (network error, timeout) is resumed, not failed: within the
/// config's `max_retries` (with backoff) the rest is requested from the next byte
/// (`Range`), pinned with `If-Match` to the ETag of the first answer, and appended,
/// so every byte arrives exactly once. If the object was replaced in between, the
/// call fails with `QCOS_STATUS_SERVICE` (HTTP 412, "the object changed while its
/// download was being resumed"); bytes of two versions are never mixed. An object
/// whose answer has no ETag cannot be pinned: a cut body then fails with
/// `QCOS_STATUS_NETWORK`. The info describes the whole download.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT`;
/// `QCOS_STATUS_SERVICE` (e.g. HTTP 404 NoSuchKey, 304/412 for unmet conditions);
/// `QCOS_STATUS_NETWORK`, `QCOS_STATUS_TIMEOUT`, `QCOS_STATUS_AUTH`,
/// `QCOS_STATUS_INTEGRITY`.
///
/// Thread: any thread; blocks until done.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_client_get_object(
    client: *const qcos_client,
    key: *const c_char,
    opts: *const qcos_get_options,
    buf_out: *mut *mut qcos_buffer,
    info_out: *mut *mut qcos_object_info,
) -> Status {
    entry(|| {
        let c = self::client(client)?;
        let key = arg_str(key, "key")?;
        let opts = get_options(opts)?;
        let out = arg_out(buf_out, "buf_out")?;
        let info_out = arg_opt_out(info_out);
        let mut bytes = Vec::new();
        let info = c.get_object(key, &opts, &mut bytes)?;
        out.write(into_box(qcos_buffer { bytes }));
        write_info(info_out, &info);
        Ok(())
    })
}

/// Download object `key` into the caller's buffer.
///
/// `buf`, `cap`: the caller's buffer (borrowed for the call); `(NULL, 0)` is
/// allowed and then only succeeds for an empty object. `len_out`: required; on
/// `QCOS_STATUS_OK` receives the number of bytes written; on
/// `QCOS_STATUS_BUFFER_TOO_SMALL` receives the number of bytes needed (this status
/// is the one case where an output is written on failure), and the content of
/// `buf` is unspecified. `info_out`: may be NULL; receives the metadata on success.
///
/// A body cut midway is resumed as for `qcos_client_get_object`.
///
/// Statuses: as `qcos_client_get_object`, plus `QCOS_STATUS_BUFFER_TOO_SMALL`.
///
/// Thread: any thread; blocks until done.
///
/// ```c
/// uint8_t small[16]; size_t n = 0;
/// if (qcos_client_get_object_to_buffer(c, "k", NULL, small, sizeof small, &n, NULL)
///         == QCOS_STATUS_BUFFER_TOO_SMALL) {
///     uint8_t *big = malloc(n);   // n is the object's size
///     qcos_client_get_object_to_buffer(c, "k", NULL, big, n, &n, NULL);
/// }
/// ```
#[unsafe(no_mangle)]
pub extern "C" fn qcos_client_get_object_to_buffer(
    client: *const qcos_client,
    key: *const c_char,
    opts: *const qcos_get_options,
    buf: *mut u8,
    cap: usize,
    len_out: *mut usize,
    info_out: *mut *mut qcos_object_info,
) -> Status {
    entry(|| {
        let c = self::client(client)?;
        let key = arg_str(key, "key")?;
        let opts = get_options(opts)?;
        let buf = arg_bytes_mut(buf, cap, "buf")?;
        let len_out = arg_out(len_out, "len_out")?;
        let info_out = arg_opt_out(info_out);
        match c.get_object_to_buffer(key, buf, &opts) {
            Ok((info, n)) => {
                len_out.write(n);
                write_info(info_out, &info);
                Ok(())
            }
            Err(e) => {
                if let Error::BufferTooSmall { needed, .. } = &e {
                    len_out.write(usize::try_from(*needed).unwrap_or(usize::MAX));
                }
                Err(e)
            }
        }
    })
}

/// Download object `key` to the local file `path`, atomically: the body goes to a
/// temporary file in the same directory, which replaces `path` only once complete
/// and verified; on failure `path` is untouched. A body cut midway is resumed into
/// the temporary file from the next byte, as for `qcos_client_get_object`.
///
/// `path`: a UTF-8 file path (copied). Other parameters as for
/// `qcos_client_get_object`.
///
/// Statuses: as `qcos_client_get_object`, plus `QCOS_STATUS_IO` for local file
/// errors.
///
/// Thread: any thread; blocks until done.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_client_get_object_to_file(
    client: *const qcos_client,
    key: *const c_char,
    path: *const c_char,
    opts: *const qcos_get_options,
    info_out: *mut *mut qcos_object_info,
) -> Status {
    entry(|| {
        let c = self::client(client)?;
        let key = arg_str(key, "key")?;
        let path = arg_path(path, "path")?;
        let opts = get_options(opts)?;
        let info_out = arg_opt_out(info_out);
        let info = c.get_object_to_file(key, path, &opts)?;
        write_info(info_out, &info);
        Ok(())
    })
}

/// Download object `key`, handing its bytes in order to `write_cb`.
///
/// `write_cb`: required; called on this thread, during this call only (see
/// `qcos_write_cb`). `user_data`: passed back to it. Bytes already delivered stay
/// delivered if the call later fails. Other parameters as for
/// `qcos_client_get_object`.
///
/// A body cut midway is resumed, not failed: the callback then receives the rest,
/// continuing where it stopped, so it sees every byte of the object exactly once and
/// in order, with no restart (see `qcos_client_get_object` for the pinning with
/// `If-Match`, the 412 when the object changed, and objects without an ETag, whose cut
/// body fails with `QCOS_STATUS_NETWORK`).
///
/// Statuses: as `qcos_client_get_object`, plus `QCOS_STATUS_CANCELLED` when the
/// callback returns non-zero.
///
/// Thread: any thread; blocks until done.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_client_get_object_to_callback(
    client: *const qcos_client,
    key: *const c_char,
    opts: *const qcos_get_options,
    write_cb: qcos_write_cb,
    user_data: *mut c_void,
    info_out: *mut *mut qcos_object_info,
) -> Status {
    entry(|| {
        let c = self::client(client)?;
        let key = arg_str(key, "key")?;
        let opts = get_options(opts)?;
        let mut writer = CallbackWriter::new(write_cb, user_data)?;
        let info_out = arg_opt_out(info_out);
        let r = c.get_object(key, &opts, &mut writer);
        if let Some(e) = cancelled_by(writer.stopped, "write") {
            return Err(e);
        }
        write_info(info_out, &r?);
        Ok(())
    })
}

/// Fetch an object's metadata without its body (HEAD Object).
///
/// `opts`: If-* conditions and version from download options, or NULL.
/// `info_out`: required; receives the metadata on success (release with
/// `qcos_object_info_free`).
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_SERVICE` (404 when absent: a HEAD
/// answer has no body, so the Code may be ""); as `qcos_client_get_object`.
///
/// Thread: any thread; blocks until done.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_client_head_object(
    client: *const qcos_client,
    key: *const c_char,
    opts: *const qcos_get_options,
    info_out: *mut *mut qcos_object_info,
) -> Status {
    entry(|| {
        let c = self::client(client)?;
        let key = arg_str(key, "key")?;
        let opts = get_options(opts)?;
        let out = arg_out(info_out, "info_out")?;
        let info = c.head_object(key, &opts)?;
        out.write(into_box(qcos_object_info::from(&info)));
        Ok(())
    })
}

/// Delete object `key` (DELETE Object). Deleting a key that does not exist
/// succeeds, as in COS.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT`;
/// `QCOS_STATUS_SERVICE`; `QCOS_STATUS_NETWORK`, `QCOS_STATUS_TIMEOUT`,
/// `QCOS_STATUS_AUTH`.
///
/// Thread: any thread; blocks until done.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_client_delete_object(
    client: *const qcos_client,
    key: *const c_char,
) -> Status {
    entry(|| {
        let c = self::client(client)?;
        c.delete_object(arg_str(key, "key")?)
    })
}

/// Delete up to 1000 objects with one request (Delete Multiple Objects).
///
/// `keys`, `n_keys`: an array of `n_keys` NUL-terminated UTF-8 keys, borrowed for
/// the call (1 to 1000 keys). `quiet`: when true COS reports only failures.
/// `result_out`: required; on success receives which keys were deleted and which
/// failed, with COS's Code and Message (release with `qcos_delete_result_free`).
/// Success of the call does not mean every key was deleted: check
/// `qcos_delete_result_error_count`.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL array or
/// element, bad UTF-8, 0 or more than 1000 keys); `QCOS_STATUS_SERVICE`;
/// `QCOS_STATUS_NETWORK`, `QCOS_STATUS_TIMEOUT`, `QCOS_STATUS_AUTH`,
/// `QCOS_STATUS_PROTOCOL`.
///
/// Thread: any thread; blocks until done.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_client_delete_objects(
    client: *const qcos_client,
    keys: *const *const c_char,
    n_keys: usize,
    quiet: bool,
    result_out: *mut *mut qcos_delete_result,
) -> Status {
    entry(|| {
        let c = self::client(client)?;
        // The count is checked before the array is read: a wrong count must not make
        // the library read past the caller's array.
        if n_keys == 0 || n_keys > 1000 {
            return Err(Error::invalid(
                "n_keys",
                format!("{n_keys} keys given; one request deletes 1 to 1000 keys"),
            ));
        }
        let keys = arg_str_array(keys, n_keys, "keys")?;
        let out = arg_out(result_out, "result_out")?;
        let r = c.delete_objects(&keys, quiet)?;
        out.write(into_box(qcos_delete_result::from(&r)));
        Ok(())
    })
}

/// Copy an object within COS into object `key` of this client's bucket (PUT Object
/// - Copy), up to 5 GiB.
///
/// `src_bucket`, `src_region`, `src_key`: the source object (copied); the source
/// may be in another bucket or region. `src_version_id`: a source version, or NULL.
/// `replace_opts`: NULL copies the source's metadata and tags; non-NULL replaces the
/// metadata with these upload options (`x-cos-metadata-directive: Replaced`; with
/// `qcos_put_options_set_metadata_directive(.., QCOS_COPY_DIRECTIVE_COPY)` the
/// source's is kept), sets their ACL (a copy never takes the source's), and replaces
/// the tags with theirs only under `qcos_put_options_set_tagging_directive(..,
/// QCOS_COPY_DIRECTIVE_REPLACED)`. `result_out`: may be
/// NULL; on success receives the new object's ETag and Last-Modified.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT`;
/// `QCOS_STATUS_SERVICE` (including an error COS reports inside a 200 answer);
/// `QCOS_STATUS_NETWORK`, `QCOS_STATUS_TIMEOUT`, `QCOS_STATUS_AUTH`.
///
/// Thread: any thread; blocks until done.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_client_copy_object(
    client: *const qcos_client,
    key: *const c_char,
    src_bucket: *const c_char,
    src_region: *const c_char,
    src_key: *const c_char,
    src_version_id: *const c_char,
    replace_opts: *const qcos_put_options,
    result_out: *mut *mut qcos_put_result,
) -> Status {
    entry(|| {
        let c = self::client(client)?;
        let key = arg_str(key, "key")?;
        let src = super::transfer::copy_source(src_bucket, src_region, src_key, src_version_id)?;
        let d = super::options::copy_directives(replace_opts);
        let opts = CopyObjectOptions {
            metadata_directive_replace: d.is_some_and(|d| d.replace_metadata),
            tagging_directive_replace: d.is_some_and(|d| d.replace_tags),
            put: put_options(replace_opts)?,
        };
        let out = arg_opt_out(result_out);
        let r = c.copy_object(key, &src, &opts)?;
        write_put_result(out, &r);
        Ok(())
    })
}

/// Check that the bucket exists and the credentials may access it (HEAD Bucket).
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_SERVICE` (404 when it does not exist,
/// 403 when access is denied); `QCOS_STATUS_NETWORK`, `QCOS_STATUS_TIMEOUT`,
/// `QCOS_STATUS_AUTH`, `QCOS_STATUS_INVALID_ARGUMENT` (the client has no bucket).
///
/// Thread: any thread; blocks until done.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_client_head_bucket(client: *const qcos_client) -> Status {
    entry(|| {
        self::client(client)?.head_bucket()?;
        Ok(())
    })
}

/// Create the client's bucket (PUT Bucket), private.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_SERVICE` (409 BucketAlreadyExists or
/// BucketAlreadyOwnedByYou); as `qcos_client_head_bucket`.
///
/// Thread: any thread; blocks until done.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_client_create_bucket(client: *const qcos_client) -> Status {
    entry(|| self::client(client)?.create_bucket())
}

/// Delete the client's bucket, which must be empty (DELETE Bucket).
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_SERVICE` (409 BucketNotEmpty, 404
/// NoSuchBucket); as `qcos_client_head_bucket`.
///
/// Thread: any thread; blocks until done.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_client_delete_bucket(client: *const qcos_client) -> Status {
    entry(|| self::client(client)?.delete_bucket())
}

/// List the account's buckets (GET Service). Works with a client made with an
/// empty bucket name.
///
/// `list_out`: required; receives the buckets on success (release with
/// `qcos_bucket_list_free`).
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_SERVICE`; `QCOS_STATUS_NETWORK`,
/// `QCOS_STATUS_TIMEOUT`, `QCOS_STATUS_AUTH`, `QCOS_STATUS_PROTOCOL`.
///
/// Thread: any thread; blocks until done.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_client_list_buckets(
    client: *const qcos_client,
    list_out: *mut *mut qcos_bucket_list,
) -> Status {
    entry(|| {
        let c = self::client(client)?;
        let out = arg_out(list_out, "list_out")?;
        let buckets = c.list_buckets()?;
        out.write(into_box(qcos_bucket_list::from(buckets.as_slice())));
        Ok(())
    })
}
