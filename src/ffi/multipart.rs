//! The multipart upload operations one by one (cos-protocol §6.10–6.16): Initiate,
//! Upload Part (from memory or a file range), Complete, Abort, List Parts and List
//! Multipart Uploads. `qcos_upload_file` runs all of them for the caller; these are for
//! callers that drive parts themselves, and for finding and aborting the multipart
//! uploads an interrupted transfer or a paused copy left on the service.

use std::ffi::{CString, c_char};

use super::args::{
    arg_bytes, arg_opt_out, arg_opt_str, arg_out, arg_path, arg_ref, arg_slice, arg_str,
    arg_str_array, copy_out, free_box, into_box,
};
use super::client::qcos_client;
use super::entry::{entry, entry_value};
use super::last_error::c_string;
use super::options::{put_options, qcos_put_options};
use super::results::qcos_put_result;
use crate::client::{Body, Client, PartInfo, UploadInfo, UploadPartOptions};
use crate::error::{Error, Result, Status};

fn client<'a>(p: *const qcos_client) -> Result<&'a Client> {
    Ok(&arg_ref(p, "client")?.inner)
}

/// Start a multipart upload of `key` (Initiate Multipart Upload) and write its UploadId.
///
/// `client`: borrowed. `key`: the object key, NUL-terminated UTF-8 (copied). `opts`:
/// borrowed, or NULL for defaults: the object's headers (content type, metadata,
/// storage class, ...) are given here, not with the parts. `upload_id`, `cap`: the
/// caller's buffer, borrowed (COS's UploadIds are well under 256 bytes). `len_out`:
/// required; receives the UploadId's length without its NUL, on success and on
/// `QCOS_STATUS_BUFFER_TOO_SMALL`.
///
/// The upload exists on the service until it is completed or aborted: abort it with
/// `qcos_client_abort_multipart_upload` when it will not be completed.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_BUFFER_TOO_SMALL` (the id did not fit, so
/// the upload just created was aborted again; `*len_out` says how long the id was);
/// `QCOS_STATUS_INVALID_ARGUMENT` (NULL, bad UTF-8, bad key, CR/LF in headers; also
/// when that abort failed, which the message says); `QCOS_STATUS_SERVICE`;
/// `QCOS_STATUS_NETWORK`, `QCOS_STATUS_TIMEOUT`; `QCOS_STATUS_AUTH`.
///
/// Thread: any thread; blocks until done.
///
/// ```c
/// char uid[256]; size_t n;
/// if (qcos_client_initiate_multipart_upload(client, "big.bin", NULL, uid, sizeof uid, &n)
///         != QCOS_STATUS_OK)
///     fprintf(stderr, "qcos: %s\n", qcos_last_error_message());
/// ```
#[unsafe(no_mangle)]
pub extern "C" fn qcos_client_initiate_multipart_upload(
    client: *const qcos_client,
    key: *const c_char,
    opts: *const qcos_put_options,
    upload_id: *mut c_char,
    cap: usize,
    len_out: *mut usize,
) -> Status {
    entry(|| {
        let c = self::client(client)?;
        let key = arg_str(key, "key")?;
        let opts = put_options(opts)?;
        // Checked before the upload is created, so a NULL does not leave one behind.
        arg_out(len_out, "len_out")?;
        let uid = c.initiate_multipart_upload(key, &opts)?;
        let r = copy_out(&uid, upload_id, cap, len_out);
        if let Err(e @ Error::BufferTooSmall { .. }) = r {
            // The caller cannot name this upload: do not leave it behind.
            return Err(match c.abort_multipart_upload(key, &uid) {
                Ok(()) => e,
                Err(a) => Error::invalid(
                    "upload_id",
                    format!(
                        "{cap} bytes cannot hold the {}-byte UploadId, and aborting the \
                         upload failed ({a}): find it with qcos_client_list_multipart_uploads",
                        uid.len()
                    ),
                ),
            });
        }
        r
    })
}

/// The options of one part: only `check_content_md5` and `traffic_limit` of a
/// `qcos_put_options` apply to a part (an object's headers go to Initiate).
fn part_options(c: &Client, opts: *const qcos_put_options) -> Result<UploadPartOptions> {
    let o = put_options(opts)?;
    Ok(UploadPartOptions {
        content_md5: o
            .check_content_md5
            .unwrap_or(c.config().upload_check_content_md5),
        traffic_limit: o.traffic_limit,
    })
}

fn part_number(n: u32) -> Result<u32> {
    if (1..=10_000).contains(&n) {
        Ok(n)
    } else {
        Err(Error::invalid(
            "part_number",
            format!("{n} is outside COS's part numbers 1 to 10000"),
        ))
    }
}

/// Upload part `part_number` of a multipart upload from memory (Upload Part).
///
/// `client`: borrowed. `key`, `upload_id`: the upload, NUL-terminated UTF-8.
/// `part_number`: 1 to 10000. `data`, `len`: the part, borrowed for the call (COS wants
/// at least 1 MiB for every part but the last, at most 5 GiB). `opts`: borrowed or NULL;
/// only its `check_content_md5` and `traffic_limit` apply. `result_out`: may be NULL; on
/// success receives the part's ETag and CRC-64 (release with `qcos_put_result_free`):
/// keep the ETag for `qcos_client_complete_multipart_upload`.
///
/// The part's CRC-64 from COS is compared with the bytes sent; the request is retried
/// on network errors and retryable answers.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL, bad UTF-8, bad
/// key or UploadId, part number out of range); `QCOS_STATUS_SERVICE` (e.g.
/// `NoSuchUpload`); `QCOS_STATUS_NETWORK`, `QCOS_STATUS_TIMEOUT`; `QCOS_STATUS_AUTH`;
/// `QCOS_STATUS_INTEGRITY` (CRC-64 mismatch).
///
/// Thread: any thread; parts of one upload may be sent from several threads at once.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_client_upload_part(
    client: *const qcos_client,
    key: *const c_char,
    upload_id: *const c_char,
    part_number: u32,
    data: *const u8,
    len: usize,
    opts: *const qcos_put_options,
    result_out: *mut *mut qcos_put_result,
) -> Status {
    entry(|| {
        let c = self::client(client)?;
        let key = arg_str(key, "key")?;
        let uid = arg_str(upload_id, "upload_id")?;
        let n = self::part_number(part_number)?;
        let data = arg_bytes(data, len, "data")?;
        let o = part_options(c, opts)?;
        let out = arg_opt_out(result_out);
        let r = c.upload_part(key, uid, n, Body::Bytes(data), &o)?;
        if let Some(out) = out {
            out.write(into_box(qcos_put_result::from(&r)));
        }
        Ok(())
    })
}

/// Upload part `part_number` from `len` bytes of the file `path` starting at `offset`
/// (Upload Part). The range is read during the call (and again for a retry), never
/// loaded whole into memory unless `check_content_md5` asks for its MD5 first.
///
/// `path`: a UTF-8 file path (copied). Other parameters as for
/// `qcos_client_upload_part`.
///
/// Statuses: as `qcos_client_upload_part`, plus `QCOS_STATUS_IO` when the file cannot
/// be read or is shorter than `offset + len`.
///
/// Thread: any thread; parts of one upload may be sent from several threads at once.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_client_upload_part_from_file(
    client: *const qcos_client,
    key: *const c_char,
    upload_id: *const c_char,
    part_number: u32,
    path: *const c_char,
    offset: u64,
    len: u64,
    opts: *const qcos_put_options,
    result_out: *mut *mut qcos_put_result,
) -> Status {
    entry(|| {
        let c = self::client(client)?;
        let key = arg_str(key, "key")?;
        let uid = arg_str(upload_id, "upload_id")?;
        let n = self::part_number(part_number)?;
        let path = arg_path(path, "path")?;
        let o = part_options(c, opts)?;
        let out = arg_opt_out(result_out);
        let r = c.upload_part(key, uid, n, Body::FileRange { path, offset, len }, &o)?;
        if let Some(out) = out {
            out.write(into_box(qcos_put_result::from(&r)));
        }
        Ok(())
    })
}

/// Finish a multipart upload (Complete Multipart Upload): the object becomes the parts
/// listed, in ascending part-number order.
///
/// `part_numbers`, `etags`: `count` part numbers and the ETag each part's upload
/// returned (NUL-terminated, quotes included or not), borrowed for the call; numbers
/// strictly ascending. `result_out`: may be NULL; on success receives the object's ETag,
/// CRC-64 (when COS sent one for every part) and version id (release with
/// `qcos_put_result_free`).
///
/// COS may take minutes to merge a large upload: the request has the long timeout, and
/// an `<Error>` inside a 200 answer is reported as the failure it is.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL, bad UTF-8, no
/// parts, numbers not ascending); `QCOS_STATUS_SERVICE` (e.g. `InvalidPart`,
/// `EntityTooSmall`, `NoSuchUpload`); `QCOS_STATUS_NETWORK`, `QCOS_STATUS_TIMEOUT`;
/// `QCOS_STATUS_AUTH`.
///
/// Thread: any thread; blocks until done.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_client_complete_multipart_upload(
    client: *const qcos_client,
    key: *const c_char,
    upload_id: *const c_char,
    part_numbers: *const u32,
    etags: *const *const c_char,
    count: usize,
    result_out: *mut *mut qcos_put_result,
) -> Status {
    entry(|| {
        let c = self::client(client)?;
        let key = arg_str(key, "key")?;
        let uid = arg_str(upload_id, "upload_id")?;
        if count == 0 {
            return Err(Error::invalid(
                "count",
                "a multipart upload is completed with at least one part",
            ));
        }
        let numbers = arg_slice(part_numbers, count, "part_numbers")?;
        let tags = arg_str_array(etags, count, "etags")?;
        let mut parts = Vec::with_capacity(count);
        for (i, (&n, etag)) in numbers.iter().zip(tags).enumerate() {
            let n = self::part_number(n)?;
            if let Some(&(prev, _)) = parts.last()
                && n <= prev
            {
                return Err(Error::invalid(
                    "part_numbers",
                    format!("part_numbers[{i}] is {n}, after {prev}: they must ascend"),
                ));
            }
            parts.push((n, etag.to_string()));
        }
        let out = arg_opt_out(result_out);
        let r = c.complete_multipart_upload(key, uid, &parts)?;
        if let Some(out) = out {
            out.write(into_box(qcos_put_result::from(&r)));
        }
        Ok(())
    })
}

/// Abort a multipart upload (Abort Multipart Upload): its parts are deleted and the
/// UploadId is no longer valid. Use it on uploads that will not be completed, such as
/// the one a paused copy keeps (`qcos_task_info_upload_id`) or the ones
/// `qcos_client_list_multipart_uploads` finds.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL, bad UTF-8, bad
/// key or UploadId); `QCOS_STATUS_SERVICE` (`NoSuchUpload` when it is already gone);
/// `QCOS_STATUS_NETWORK`, `QCOS_STATUS_TIMEOUT`; `QCOS_STATUS_AUTH`.
///
/// Thread: any thread; blocks until done.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_client_abort_multipart_upload(
    client: *const qcos_client,
    key: *const c_char,
    upload_id: *const c_char,
) -> Status {
    entry(|| {
        let c = self::client(client)?;
        let key = arg_str(key, "key")?;
        let uid = arg_str(upload_id, "upload_id")?;
        c.abort_multipart_upload(key, uid)
    })
}

/// The parts a multipart upload has on the service (List Parts, every page): number,
/// ETag, size and last-modified time of each, in part-number order. Strings are owned
/// by the list, valid until `qcos_part_list_free`.
///
/// Methods: `qcos_part_list_count`, `_number`, `_etag`, `_size`, `_last_modified`,
/// `qcos_part_list_free`.
///
/// Thread: immutable; any number of threads may read it at once.
pub struct qcos_part_list {
    parts: Vec<(u32, CString, u64, CString)>,
}

/// List every part of a multipart upload (List Parts, following its pages).
///
/// `list_out`: required; receives the parts on success (release with
/// `qcos_part_list_free`).
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL, bad UTF-8, bad
/// key or UploadId); `QCOS_STATUS_SERVICE` (`NoSuchUpload`); `QCOS_STATUS_NETWORK`,
/// `QCOS_STATUS_TIMEOUT`; `QCOS_STATUS_AUTH`; `QCOS_STATUS_PROTOCOL` (pages that do not
/// advance).
///
/// Thread: any thread; blocks until done.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_client_list_parts(
    client: *const qcos_client,
    key: *const c_char,
    upload_id: *const c_char,
    list_out: *mut *mut qcos_part_list,
) -> Status {
    entry(|| {
        let c = self::client(client)?;
        let key = arg_str(key, "key")?;
        let uid = arg_str(upload_id, "upload_id")?;
        let out = arg_out(list_out, "list_out")?;
        let parts: Vec<PartInfo> = c.list_parts(key, uid)?;
        out.write(into_box(qcos_part_list {
            parts: parts
                .iter()
                .map(|p| {
                    (
                        p.part_number,
                        c_string(&p.etag),
                        p.size,
                        c_string(&p.last_modified),
                    )
                })
                .collect(),
        }));
        Ok(())
    })
}

fn part_at<'a>(list: *const qcos_part_list, i: usize) -> Result<&'a (u32, CString, u64, CString)> {
    let l = arg_ref(list, "list")?;
    l.parts.get(i).ok_or_else(|| {
        Error::invalid(
            "index",
            format!("{i} is past the {} parts of the list", l.parts.len()),
        )
    })
}

/// Number of parts in the list; 0 when `list` is NULL.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_part_list_count(list: *const qcos_part_list) -> usize {
    entry_value(0, || Ok(arg_ref(list, "list")?.parts.len()))
}

/// Part number of entry `index`; 0 when `list` is NULL or `index` is out of range.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_part_list_number(list: *const qcos_part_list, index: usize) -> u32 {
    entry_value(0, || Ok(part_at(list, index)?.0))
}

/// ETag of entry `index` (quoted, as COS sends it). Owned by `list`; NULL when `list`
/// is NULL or `index` is out of range.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_part_list_etag(list: *const qcos_part_list, index: usize) -> *const c_char {
    entry_value(std::ptr::null(), || Ok(part_at(list, index)?.1.as_ptr()))
}

/// Size in bytes of entry `index`; 0 when `list` is NULL or `index` is out of range.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_part_list_size(list: *const qcos_part_list, index: usize) -> u64 {
    entry_value(0, || Ok(part_at(list, index)?.2))
}

/// Last-modified time of entry `index` (ISO 8601, as COS sends it). Owned by `list`;
/// NULL when `list` is NULL or `index` is out of range.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_part_list_last_modified(
    list: *const qcos_part_list,
    index: usize,
) -> *const c_char {
    entry_value(std::ptr::null(), || Ok(part_at(list, index)?.3.as_ptr()))
}

/// Release a part list. NULL does nothing.
///
/// Thread: any thread, once no other thread uses `list`.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_part_list_free(list: *mut qcos_part_list) {
    entry_value((), || {
        free_box(list);
        Ok(())
    })
}

/// The multipart uploads in progress in the bucket (List Multipart Uploads, every
/// page): key, UploadId, storage class and initiation time of each. Strings are owned by
/// the list, valid until `qcos_upload_list_free`.
///
/// Methods: `qcos_upload_list_count`, `_key`, `_upload_id`, `_storage_class`,
/// `_initiated`, `qcos_upload_list_free`.
///
/// Thread: immutable; any number of threads may read it at once.
pub struct qcos_upload_list {
    uploads: Vec<[CString; 4]>,
}

/// List the multipart uploads in progress whose keys start with `prefix` (List
/// Multipart Uploads, following its pages), e.g. to abort what interrupted transfers
/// left behind.
///
/// `prefix`: NUL-terminated UTF-8; "" or NULL lists every upload of the bucket.
/// `list_out`: required; receives the uploads on success (release with
/// `qcos_upload_list_free`).
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL, bad UTF-8);
/// `QCOS_STATUS_SERVICE`; `QCOS_STATUS_NETWORK`, `QCOS_STATUS_TIMEOUT`;
/// `QCOS_STATUS_AUTH`; `QCOS_STATUS_PROTOCOL` (pages that do not advance).
///
/// Thread: any thread; blocks until done.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_client_list_multipart_uploads(
    client: *const qcos_client,
    prefix: *const c_char,
    list_out: *mut *mut qcos_upload_list,
) -> Status {
    entry(|| {
        let c = self::client(client)?;
        let prefix = arg_opt_str(prefix, "prefix")?.unwrap_or("");
        let out = arg_out(list_out, "list_out")?;
        let uploads: Vec<UploadInfo> = c.list_multipart_uploads(prefix)?;
        out.write(into_box(qcos_upload_list {
            uploads: uploads
                .iter()
                .map(|u| {
                    [
                        c_string(&u.key),
                        c_string(&u.upload_id),
                        c_string(&u.storage_class),
                        c_string(&u.initiated),
                    ]
                })
                .collect(),
        }));
        Ok(())
    })
}

fn upload_field(list: *const qcos_upload_list, i: usize, field: usize) -> *const c_char {
    entry_value(std::ptr::null(), || {
        let l = arg_ref(list, "list")?;
        let u = l.uploads.get(i).ok_or_else(|| {
            Error::invalid(
                "index",
                format!("{i} is past the {} uploads of the list", l.uploads.len()),
            )
        })?;
        Ok(u[field].as_ptr())
    })
}

/// Number of uploads in the list; 0 when `list` is NULL.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_upload_list_count(list: *const qcos_upload_list) -> usize {
    entry_value(0, || Ok(arg_ref(list, "list")?.uploads.len()))
}

/// Object key of entry `index`. Owned by `list`; NULL when `list` is NULL or `index` is
/// out of range.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_upload_list_key(
    list: *const qcos_upload_list,
    index: usize,
) -> *const c_char {
    upload_field(list, index, 0)
}

/// UploadId of entry `index`. Owned by `list`; NULL when `list` is NULL or `index` is
/// out of range.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_upload_list_upload_id(
    list: *const qcos_upload_list,
    index: usize,
) -> *const c_char {
    upload_field(list, index, 1)
}

/// Storage class of entry `index` ("" when COS gave none). Owned by `list`; NULL when
/// `list` is NULL or `index` is out of range.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_upload_list_storage_class(
    list: *const qcos_upload_list,
    index: usize,
) -> *const c_char {
    upload_field(list, index, 2)
}

/// Initiation time of entry `index` (ISO 8601, as COS sends it). Owned by `list`; NULL
/// when `list` is NULL or `index` is out of range.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_upload_list_initiated(
    list: *const qcos_upload_list,
    index: usize,
) -> *const c_char {
    upload_field(list, index, 3)
}

/// Release an upload list. NULL does nothing.
///
/// Thread: any thread, once no other thread uses `list`.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_upload_list_free(list: *mut qcos_upload_list) {
    entry_value((), || {
        free_box(list);
        Ok(())
    })
}
