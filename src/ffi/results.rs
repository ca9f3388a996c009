//! Result handles: `qcos_object_info`, `qcos_put_result`, `qcos_delete_result`,
//! `qcos_bucket_list`. Each owns NUL-terminated copies of its strings, so accessors
//! hand out borrowed pointers valid until the handle is freed.

use std::ffi::{CString, c_char};

use super::args::{arg_ref, arg_str, free_box};
use super::entry::entry_value;
use super::last_error::c_string;
use crate::client::{
    BucketSummary, CompleteOutput, CopyObjectOutput, DeleteObjectsOutput, ObjectInfo, PartOutput,
    PutObjectOutput,
};
use crate::error::{Error, Result};

fn s(v: &str) -> CString {
    c_string(v)
}

fn opt(v: &Option<String>) -> CString {
    c_string(v.as_deref().unwrap_or(""))
}

fn at<T>(v: &[T], i: usize) -> Result<&T> {
    v.get(i)
        .ok_or_else(|| Error::invalid("index", format!("{i} is out of range (count {})", v.len())))
}

/// What COS said about an object: size, type, ETag, CRC-64, metadata, every
/// response header. Returned by HEAD and GET calls.
///
/// Strings from the accessors are owned by the info and valid until
/// `qcos_object_info_free`; absent values are "" (never NULL, unless the info itself
/// is NULL).
///
/// Methods: `qcos_object_info_http_status`, `_content_length`, `_content_type`,
/// `_etag`, `_last_modified`, `_has_crc64`, `_crc64`, `_storage_class`,
/// `_version_id`, `_content_range`, `_request_id`, `_meta_count`, `_meta_name`,
/// `_meta_value`, `_meta_get`, `_header_count`, `_header_name`, `_header_value`,
/// `qcos_object_info_free`.
///
/// Thread: immutable; any number of threads may read it at once.
pub struct qcos_object_info {
    http_status: u16,
    content_length: u64,
    crc64: Option<u64>,
    content_type: CString,
    etag: CString,
    last_modified: CString,
    storage_class: CString,
    version_id: CString,
    content_range: CString,
    request_id: CString,
    meta: Vec<(CString, CString)>,
    headers: Vec<(CString, CString)>,
}

impl From<&ObjectInfo> for qcos_object_info {
    fn from(i: &ObjectInfo) -> Self {
        qcos_object_info {
            http_status: i.http_status,
            content_length: i.content_length,
            crc64: i.crc64,
            content_type: s(&i.content_type),
            etag: s(&i.etag),
            last_modified: s(&i.last_modified),
            storage_class: opt(&i.storage_class),
            version_id: opt(&i.version_id),
            content_range: opt(&i.content_range),
            request_id: s(&i.request_id),
            meta: i.meta.iter().map(|(k, v)| (s(k), s(v))).collect(),
            headers: i.headers.iter().map(|(k, v)| (s(k), s(v))).collect(),
        }
    }
}

/// What COS answered to an upload or a copy: ETag, CRC-64, version, request id.
/// Strings are owned by the result, valid until `qcos_put_result_free`, "" when
/// absent.
///
/// Methods: `qcos_put_result_etag`, `_has_crc64`, `_crc64`, `_version_id`,
/// `_last_modified`, `_request_id`, `qcos_put_result_free`.
///
/// Thread: immutable; any number of threads may read it at once.
pub struct qcos_put_result {
    crc64: Option<u64>,
    etag: CString,
    version_id: CString,
    last_modified: CString,
    request_id: CString,
}

impl From<&PutObjectOutput> for qcos_put_result {
    fn from(o: &PutObjectOutput) -> Self {
        qcos_put_result {
            crc64: o.crc64,
            etag: s(&o.etag),
            version_id: opt(&o.version_id),
            last_modified: s(""),
            request_id: s(&o.request_id),
        }
    }
}

impl From<&CopyObjectOutput> for qcos_put_result {
    fn from(o: &CopyObjectOutput) -> Self {
        qcos_put_result {
            crc64: o.crc64,
            etag: s(&o.etag),
            version_id: opt(&o.version_id),
            last_modified: s(&o.last_modified),
            request_id: s(&o.request_id),
        }
    }
}

impl From<&PartOutput> for qcos_put_result {
    fn from(o: &PartOutput) -> Self {
        qcos_put_result {
            crc64: o.crc64,
            etag: s(&o.etag),
            version_id: s(""),
            last_modified: s(""),
            request_id: s(""),
        }
    }
}

impl From<&CompleteOutput> for qcos_put_result {
    fn from(o: &CompleteOutput) -> Self {
        qcos_put_result {
            crc64: o.crc64,
            etag: s(&o.etag),
            version_id: opt(&o.version_id),
            last_modified: s(""),
            request_id: s(&o.request_id),
        }
    }
}

/// The outcome of `qcos_client_delete_objects`: the keys deleted and, per key that
/// could not be deleted, COS's Code and Message. Strings are owned by the result,
/// valid until `qcos_delete_result_free`.
///
/// Methods: `qcos_delete_result_deleted_count`, `_deleted_key`,
/// `_error_count`, `_error_key`, `_error_code`, `_error_message`,
/// `qcos_delete_result_free`.
///
/// Thread: immutable; any number of threads may read it at once.
pub struct qcos_delete_result {
    deleted: Vec<CString>,
    errors: Vec<(CString, CString, CString)>,
}

impl From<&DeleteObjectsOutput> for qcos_delete_result {
    fn from(o: &DeleteObjectsOutput) -> Self {
        qcos_delete_result {
            deleted: o.deleted.iter().map(|k| s(k)).collect(),
            errors: o
                .errors
                .iter()
                .map(|e| (s(&e.key), s(&e.code), s(&e.message)))
                .collect(),
        }
    }
}

/// The buckets of the account (GET Service): name, region, creation date of each.
/// Strings are owned by the list, valid until `qcos_bucket_list_free`.
///
/// Methods: `qcos_bucket_list_count`, `_name`, `_region`, `_creation_date`,
/// `qcos_bucket_list_free`.
///
/// Thread: immutable; any number of threads may read it at once.
pub struct qcos_bucket_list {
    buckets: Vec<(CString, CString, CString)>,
}

impl From<&[BucketSummary]> for qcos_bucket_list {
    fn from(v: &[BucketSummary]) -> Self {
        qcos_bucket_list {
            buckets: v
                .iter()
                .map(|b| (s(&b.name), s(&b.region), s(&b.creation_date)))
                .collect(),
        }
    }
}

/// The HTTP status of the answer (200, or 206 for a range); 0 when `info` is NULL.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_object_info_http_status(info: *const qcos_object_info) -> u16 {
    entry_value(0, || Ok(arg_ref(info, "info")?.http_status))
}

/// The object's size in bytes (for a GET with a range: the length of the part
/// returned); 0 when `info` is NULL.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_object_info_content_length(info: *const qcos_object_info) -> u64 {
    entry_value(0, || Ok(arg_ref(info, "info")?.content_length))
}

/// Whether COS sent the object's CRC-64/ECMA (`x-cos-hash-crc64ecma`); false when
/// `info` is NULL.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_object_info_has_crc64(info: *const qcos_object_info) -> bool {
    entry_value(false, || Ok(arg_ref(info, "info")?.crc64.is_some()))
}

/// The object's CRC-64/ECMA (`x-cos-hash-crc64ecma`); 0 when absent (check
/// `qcos_object_info_has_crc64`) or when `info` is NULL.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_object_info_crc64(info: *const qcos_object_info) -> u64 {
    entry_value(0, || Ok(arg_ref(info, "info")?.crc64.unwrap_or(0)))
}

/// The number of `x-cos-meta-*` metadata entries; 0 when `info` is NULL.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_object_info_meta_count(info: *const qcos_object_info) -> usize {
    entry_value(0, || Ok(arg_ref(info, "info")?.meta.len()))
}

/// The name of metadata entry `index` (without "x-cos-meta-", lowercase), or NULL
/// when `info` is NULL or `index >= qcos_object_info_meta_count(info)`. Owned by
/// `info`.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_object_info_meta_name(
    info: *const qcos_object_info,
    index: usize,
) -> *const c_char {
    entry_value(std::ptr::null(), || {
        Ok(at(&arg_ref(info, "info")?.meta, index)?.0.as_ptr())
    })
}

/// The value of metadata entry `index`, or NULL when `info` is NULL or `index` is
/// out of range. Owned by `info`.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_object_info_meta_value(
    info: *const qcos_object_info,
    index: usize,
) -> *const c_char {
    entry_value(std::ptr::null(), || {
        Ok(at(&arg_ref(info, "info")?.meta, index)?.1.as_ptr())
    })
}

/// The value of the metadata entry named `name` (without "x-cos-meta-", compared
/// case-insensitively), or NULL when there is none, or `info`/`name` is NULL or not
/// UTF-8. Owned by `info`.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_object_info_meta_get(
    info: *const qcos_object_info,
    name: *const c_char,
) -> *const c_char {
    entry_value(std::ptr::null(), || {
        let info = arg_ref(info, "info")?;
        let name = arg_str(name, "name")?;
        let found = info
            .meta
            .iter()
            .find(|(k, _)| k.to_str().is_ok_and(|k| k.eq_ignore_ascii_case(name)));
        Ok(found.map_or(std::ptr::null(), |(_, v)| v.as_ptr()))
    })
}

/// The number of response headers kept; 0 when `info` is NULL.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_object_info_header_count(info: *const qcos_object_info) -> usize {
    entry_value(0, || Ok(arg_ref(info, "info")?.headers.len()))
}

/// The name (lowercase) of response header `index`, or NULL when `info` is NULL or
/// `index` is out of range. Owned by `info`.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_object_info_header_name(
    info: *const qcos_object_info,
    index: usize,
) -> *const c_char {
    entry_value(std::ptr::null(), || {
        Ok(at(&arg_ref(info, "info")?.headers, index)?.0.as_ptr())
    })
}

/// The value of response header `index`, or NULL when `info` is NULL or `index` is
/// out of range. Owned by `info`.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_object_info_header_value(
    info: *const qcos_object_info,
    index: usize,
) -> *const c_char {
    entry_value(std::ptr::null(), || {
        Ok(at(&arg_ref(info, "info")?.headers, index)?.1.as_ptr())
    })
}

/// The Content-Type. Owned by `info` (valid until it is freed); NULL only when `info`
/// is NULL.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_object_info_content_type(info: *const qcos_object_info) -> *const c_char {
    entry_value(std::ptr::null(), || {
        Ok(arg_ref(info, "info")?.content_type.as_ptr())
    })
}

/// The ETag, with its quotes as COS sends it. Owned by `info` (valid until it is
/// freed); NULL only when `info` is NULL.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_object_info_etag(info: *const qcos_object_info) -> *const c_char {
    entry_value(std::ptr::null(), || {
        Ok(arg_ref(info, "info")?.etag.as_ptr())
    })
}

/// The Last-Modified date (an HTTP date). Owned by `info` (valid until it is freed);
/// NULL only when `info` is NULL.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_object_info_last_modified(info: *const qcos_object_info) -> *const c_char {
    entry_value(std::ptr::null(), || {
        Ok(arg_ref(info, "info")?.last_modified.as_ptr())
    })
}

/// The storage class (x-cos-storage-class); "" when COS omitted it (STANDARD). Owned by
/// `info` (valid until it is freed); NULL only when `info` is NULL.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_object_info_storage_class(info: *const qcos_object_info) -> *const c_char {
    entry_value(std::ptr::null(), || {
        Ok(arg_ref(info, "info")?.storage_class.as_ptr())
    })
}

/// The version id (x-cos-version-id), "" when unversioned. Owned by `info` (valid until
/// it is freed); NULL only when `info` is NULL.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_object_info_version_id(info: *const qcos_object_info) -> *const c_char {
    entry_value(std::ptr::null(), || {
        Ok(arg_ref(info, "info")?.version_id.as_ptr())
    })
}

/// The Content-Range of a ranged GET, e.g. "bytes 0-9/100"; "" otherwise. Owned by
/// `info` (valid until it is freed); NULL only when `info` is NULL.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_object_info_content_range(info: *const qcos_object_info) -> *const c_char {
    entry_value(std::ptr::null(), || {
        Ok(arg_ref(info, "info")?.content_range.as_ptr())
    })
}

/// The x-cos-request-id of the answer. Owned by `info` (valid until it is freed); NULL
/// only when `info` is NULL.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_object_info_request_id(info: *const qcos_object_info) -> *const c_char {
    entry_value(std::ptr::null(), || {
        Ok(arg_ref(info, "info")?.request_id.as_ptr())
    })
}

/// Release object information. NULL does nothing.
///
/// Thread: any thread, once no other thread uses `info`.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_object_info_free(info: *mut qcos_object_info) {
    entry_value((), || {
        free_box(info);
        Ok(())
    })
}

/// Whether COS sent the new object's CRC-64/ECMA; false when `result` is NULL.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_put_result_has_crc64(result: *const qcos_put_result) -> bool {
    entry_value(false, || Ok(arg_ref(result, "result")?.crc64.is_some()))
}

/// The new object's CRC-64/ECMA; 0 when absent or when `result` is NULL.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_put_result_crc64(result: *const qcos_put_result) -> u64 {
    entry_value(0, || Ok(arg_ref(result, "result")?.crc64.unwrap_or(0)))
}

/// The new object's ETag, with its quotes. Owned by `result` (valid until it is freed);
/// NULL only when `result` is NULL.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_put_result_etag(result: *const qcos_put_result) -> *const c_char {
    entry_value(std::ptr::null(), || {
        Ok(arg_ref(result, "result")?.etag.as_ptr())
    })
}

/// The new object's version id; "" when unversioned. Owned by `result` (valid until it
/// is freed); NULL only when `result` is NULL.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_put_result_version_id(result: *const qcos_put_result) -> *const c_char {
    entry_value(std::ptr::null(), || {
        Ok(arg_ref(result, "result")?.version_id.as_ptr())
    })
}

/// The new object's Last-Modified (copies only; "" for uploads). Owned by `result`
/// (valid until it is freed); NULL only when `result` is NULL.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_put_result_last_modified(result: *const qcos_put_result) -> *const c_char {
    entry_value(std::ptr::null(), || {
        Ok(arg_ref(result, "result")?.last_modified.as_ptr())
    })
}

/// The x-cos-request-id of the answer. Owned by `result` (valid until it is freed);
/// NULL only when `result` is NULL.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_put_result_request_id(result: *const qcos_put_result) -> *const c_char {
    entry_value(std::ptr::null(), || {
        Ok(arg_ref(result, "result")?.request_id.as_ptr())
    })
}

/// Release an upload or copy result. NULL does nothing.
///
/// Thread: any thread, once no other thread uses `result`.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_put_result_free(result: *mut qcos_put_result) {
    entry_value((), || {
        free_box(result);
        Ok(())
    })
}

/// The number of keys reported deleted (0 in quiet mode, where COS lists only
/// failures); 0 when `result` is NULL.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_delete_result_deleted_count(result: *const qcos_delete_result) -> usize {
    entry_value(0, || Ok(arg_ref(result, "result")?.deleted.len()))
}

/// The `index`-th deleted key, or NULL when `result` is NULL or `index` is out of
/// range. Owned by `result`.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_delete_result_deleted_key(
    result: *const qcos_delete_result,
    index: usize,
) -> *const c_char {
    entry_value(std::ptr::null(), || {
        Ok(at(&arg_ref(result, "result")?.deleted, index)?.as_ptr())
    })
}

/// The number of keys that could not be deleted; 0 when `result` is NULL.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_delete_result_error_count(result: *const qcos_delete_result) -> usize {
    entry_value(0, || Ok(arg_ref(result, "result")?.errors.len()))
}

/// The key of failure `index`, or NULL when `result` is NULL or `index` is out of
/// range. Owned by `result`.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_delete_result_error_key(
    result: *const qcos_delete_result,
    index: usize,
) -> *const c_char {
    entry_value(std::ptr::null(), || {
        Ok(at(&arg_ref(result, "result")?.errors, index)?.0.as_ptr())
    })
}

/// COS's Code for failure `index` (e.g. "AccessDenied"), or NULL when `result` is
/// NULL or `index` is out of range. Owned by `result`.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_delete_result_error_code(
    result: *const qcos_delete_result,
    index: usize,
) -> *const c_char {
    entry_value(std::ptr::null(), || {
        Ok(at(&arg_ref(result, "result")?.errors, index)?.1.as_ptr())
    })
}

/// COS's Message for failure `index`, or NULL when `result` is NULL or `index` is
/// out of range. Owned by `result`.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_delete_result_error_message(
    result: *const qcos_delete_result,
    index: usize,
) -> *const c_char {
    entry_value(std::ptr::null(), || {
        Ok(at(&arg_ref(result, "result")?.errors, index)?.2.as_ptr())
    })
}

/// Release a multi-delete result. NULL does nothing.
///
/// Thread: any thread, once no other thread uses `result`.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_delete_result_free(result: *mut qcos_delete_result) {
    entry_value((), || {
        free_box(result);
        Ok(())
    })
}

/// The number of buckets; 0 when `list` is NULL.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_bucket_list_count(list: *const qcos_bucket_list) -> usize {
    entry_value(0, || Ok(arg_ref(list, "list")?.buckets.len()))
}

/// The name ("name-APPID") of bucket `index`, or NULL when `list` is NULL or `index`
/// is out of range. Owned by `list`.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_bucket_list_name(
    list: *const qcos_bucket_list,
    index: usize,
) -> *const c_char {
    entry_value(std::ptr::null(), || {
        Ok(at(&arg_ref(list, "list")?.buckets, index)?.0.as_ptr())
    })
}

/// The region of bucket `index`, or NULL when `list` is NULL or `index` is out of
/// range. Owned by `list`.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_bucket_list_region(
    list: *const qcos_bucket_list,
    index: usize,
) -> *const c_char {
    entry_value(std::ptr::null(), || {
        Ok(at(&arg_ref(list, "list")?.buckets, index)?.1.as_ptr())
    })
}

/// The creation date (ISO 8601) of bucket `index`, or NULL when `list` is NULL or
/// `index` is out of range. Owned by `list`.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_bucket_list_creation_date(
    list: *const qcos_bucket_list,
    index: usize,
) -> *const c_char {
    entry_value(std::ptr::null(), || {
        Ok(at(&arg_ref(list, "list")?.buckets, index)?.2.as_ptr())
    })
}

/// Release a bucket list. NULL does nothing.
///
/// Thread: any thread, once no other thread uses `list`.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_bucket_list_free(list: *mut qcos_bucket_list) {
    entry_value((), || {
        free_box(list);
        Ok(())
    })
}
