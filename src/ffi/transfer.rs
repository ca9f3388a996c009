//! The transfer engine from C: `qcos_upload_file`, `qcos_upload_from_callback`,
//! `qcos_upload_from_stream`, `qcos_download_file`, `qcos_download_to_buffer`,
//! `qcos_slice_copy`, with progress callbacks, `qcos_transfer_options` and
//! `qcos_transfer_result`.
//!
//! The progress callback is called here (like the adapters in `callbacks.rs`): only on
//! the thread that made the call, only during it.

use std::ffi::{c_char, c_int, c_void};

use super::args::{
    Poisonable, arg_bytes_mut, arg_mut, arg_opt_out, arg_opt_ref, arg_opt_str, arg_out, arg_path,
    arg_ref, arg_str, free_box, into_box,
};
use super::callbacks::{CallbackReader, cancelled_by, qcos_read_cb};
use super::client::qcos_client;
use super::entry::{entry, entry_value};
use super::last_error::c_string;
use super::options::{put_options, qcos_put_options};
use crate::client::{CopySource, PutObjectOptions};
use crate::error::{Error, Result, Status};
use crate::transfer::{
    CopyOptions, CopyOutput, DownloadOptions, DownloadOutput, Leftover, ObjectAttrs, Progress,
    UploadOptions, UploadOutput, UploadSource,
};

/// A progress report, passed to a `qcos_progress_cb`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct qcos_progress {
    /// Bytes done. For uploads: bytes of parts the service confirmed (parts found
    /// already uploaded when resuming count too).
    pub loaded: u64,
    /// Bytes in the whole transfer; 0 while unknown (see `total_known`).
    pub total: u64,
    /// False for a stream of unknown length until it ends.
    pub total_known: bool,
    /// Bytes per second over the interval since the previous report.
    pub speed: f64,
    /// `loaded` as a percentage of `total`, 0.0 to 100.0 (100.0 for an empty
    /// transfer, 0.0 while the total is unknown).
    pub percent: f64,
}

impl From<&Progress> for qcos_progress {
    fn from(p: &Progress) -> Self {
        qcos_progress {
            loaded: p.loaded,
            total: p.total.unwrap_or(0),
            total_known: p.total.is_some(),
            speed: p.speed,
            percent: p.percent * 100.0,
        }
    }
}

/// Reports the progress of a transfer (`qcos_upload_file` and the other transfer
/// calls).
///
/// `p`: borrowed for this invocation only. Return 0 to continue, non-zero to cancel:
/// the transfer stops at its next part boundary (parts already sending finish their
/// request) and the call returns `QCOS_STATUS_CANCELLED`. What happens to a cancelled
/// multipart upload is `qcos_transfer_options_set_on_cancel`'s choice.
///
/// `user_data`: the pointer given with the callback, passed back untouched.
///
/// Thread: called only on the thread that made the transfer call, only during that
/// call: at most every `progress_interval_ms` of the client's config, and once more
/// (with `loaded == total`) after success. It must not unwind, throw or longjmp
/// through qcos.
pub type qcos_progress_cb =
    Option<unsafe extern "C" fn(user_data: *mut c_void, p: *const qcos_progress) -> c_int>;

/// What happens to a multipart upload that stops before it completes (a value for
/// `qcos_transfer_options_set_on_cancel` / `_set_on_error`, passed as `uint32_t`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum qcos_leftover {
    /// Keep the upload and its parts on the service: the next upload of the same
    /// file to the same key continues it.
    Keep = 0,
    /// Abort the multipart upload (the service deletes its parts).
    Abort = 1,
}

fn leftover(v: u32, name: &'static str) -> Result<Leftover> {
    match v {
        0 => Ok(Leftover::KeepForResume),
        1 => Ok(Leftover::Abort),
        _ => Err(Error::invalid(
            name,
            format!("{v} is not a qcos_leftover (QCOS_LEFTOVER_KEEP 0, QCOS_LEFTOVER_ABORT 1)"),
        )),
    }
}

#[derive(Debug, Clone)]
pub(crate) struct TransferSettings {
    pub(crate) on_cancel: Leftover,
    pub(crate) on_error: Leftover,
    pub(crate) resume: bool,
    pub(crate) part_size: Option<u64>,
    pub(crate) parallel: Option<usize>,
    pub(crate) slice_size: Option<u64>,
}

impl Default for TransferSettings {
    fn default() -> Self {
        TransferSettings {
            on_cancel: Leftover::KeepForResume,
            on_error: Leftover::KeepForResume,
            resume: true,
            part_size: None,
            parallel: None,
            slice_size: None,
        }
    }
}

/// Options of a transfer (upload, download, copy): what to do with a multipart upload
/// on cancel or error, resume, part size, parallelism. Pass NULL instead of a handle
/// for the defaults. A call copies what it needs; one handle may serve many calls.
///
/// Methods: `qcos_transfer_options_new`, `_set_on_cancel`, `_set_on_error`,
/// `_set_resume`, `_set_part_size`, `_set_parallel`, `_set_slice_size`,
/// `qcos_transfer_options_free`.
///
/// Thread: one thread at a time; calls that read it only read it.
pub struct qcos_transfer_options {
    pub(crate) inner: Poisonable<TransferSettings>,
}

pub(crate) fn transfer_settings(p: *const qcos_transfer_options) -> Result<TransferSettings> {
    match arg_opt_ref(p) {
        None => Ok(TransferSettings::default()),
        Some(o) => o.inner.get().cloned(),
    }
}

fn topts_update(
    opts: *mut qcos_transfer_options,
    f: impl FnOnce(&mut TransferSettings) -> Result<()>,
) -> Status {
    entry(|| arg_mut(opts, "opts")?.inner.with(f))
}

/// Create transfer options with every default: keep a multipart upload on cancel and
/// on error, resume on, part size / parallelism / single-request threshold from the
/// client's config.
///
/// `opts_out`: receives the handle; release it with `qcos_transfer_options_free`.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL).
/// Thread: any thread.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_transfer_options_new(opts_out: *mut *mut qcos_transfer_options) -> Status {
    entry(|| {
        arg_out(opts_out, "opts_out")?.write(into_box(qcos_transfer_options {
            inner: Poisonable::new(TransferSettings::default()),
        }));
        Ok(())
    })
}

/// Release transfer options. NULL does nothing.
///
/// Thread: any thread, once no other thread uses `opts`.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_transfer_options_free(opts: *mut qcos_transfer_options) {
    entry_value((), || {
        free_box(opts);
        Ok(())
    })
}

/// What a multipart upload (or multipart copy) cancelled by the progress callback
/// leaves: `QCOS_LEFTOVER_KEEP` (default; resumable) or `QCOS_LEFTOVER_ABORT`.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL, unknown value).
/// Thread: one thread at a time per `opts`.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_transfer_options_set_on_cancel(
    opts: *mut qcos_transfer_options,
    leftover_choice: u32,
) -> Status {
    topts_update(opts, |o| {
        o.on_cancel = leftover(leftover_choice, "leftover_choice")?;
        Ok(())
    })
}

/// What a multipart upload (or copy) that failed (a part failed past its retries, the
/// file changed...) leaves: `QCOS_LEFTOVER_KEEP` (default) or `QCOS_LEFTOVER_ABORT`.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL, unknown value).
/// Thread: one thread at a time per `opts`.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_transfer_options_set_on_error(
    opts: *mut qcos_transfer_options,
    leftover_choice: u32,
) -> Status {
    topts_update(opts, |o| {
        o.on_error = leftover(leftover_choice, "leftover_choice")?;
        Ok(())
    })
}

/// Whether an upload continues an in-progress multipart upload of the same key (each
/// uploaded part is checked against the local bytes), and a download continues a
/// partial download of the same object to the same path. Default true.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL).
/// Thread: one thread at a time per `opts`.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_transfer_options_set_resume(
    opts: *mut qcos_transfer_options,
    resume: bool,
) -> Status {
    topts_update(opts, |o| {
        o.resume = resume;
        Ok(())
    })
}

/// Part size of uploads and range size of downloads in bytes (uploads: at least
/// 1 MiB, raised so no upload needs more than 10,000 parts); for copies, the part
/// size of a multipart copy. 0 restores the default (`chunk_size`, or
/// `copy_chunk_size` for copies).
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL).
/// Thread: one thread at a time per `opts`.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_transfer_options_set_part_size(
    opts: *mut qcos_transfer_options,
    bytes: u64,
) -> Status {
    topts_update(opts, |o| {
        o.part_size = (bytes > 0).then_some(bytes);
        Ok(())
    })
}

/// Parts (or ranges) in flight at once for one transfer. 0 restores the default
/// (`chunk_parallel_limit`, or `copy_chunk_parallel_limit` for copies).
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL).
/// Thread: one thread at a time per `opts`.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_transfer_options_set_parallel(
    opts: *mut qcos_transfer_options,
    parts: u32,
) -> Status {
    topts_update(opts, |o| {
        o.parallel = (parts > 0).then_some(parts as usize);
        Ok(())
    })
}

/// Transfers of at most this many bytes use one request (PUT, GET, or PUT Object -
/// Copy for copies). 0 restores the default (`slice_size`, or `copy_slice_size` for
/// copies).
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL).
/// Thread: one thread at a time per `opts`.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_transfer_options_set_slice_size(
    opts: *mut qcos_transfer_options,
    bytes: u64,
) -> Status {
    topts_update(opts, |o| {
        o.slice_size = (bytes > 0).then_some(bytes);
        Ok(())
    })
}

/// A copy source from the C arguments every copy entry point takes (the version id may
/// be NULL).
pub(crate) fn copy_source(
    bucket: *const c_char,
    region: *const c_char,
    key: *const c_char,
    version_id: *const c_char,
) -> Result<CopySource> {
    Ok(CopySource {
        bucket: arg_str(bucket, "src_bucket")?.to_string(),
        region: arg_str(region, "src_region")?.to_string(),
        key: arg_str(key, "src_key")?.to_string(),
        version_id: arg_opt_str(version_id, "src_version_id")?.map(str::to_string),
    })
}

/// Engine copy options: `replace_opts` (NULL = copy the source's metadata) plus the
/// transfer options.
pub(crate) fn copy_options(
    replace_opts: *const qcos_put_options,
    opts: *const qcos_transfer_options,
) -> Result<CopyOptions> {
    let put = put_options(replace_opts)?;
    let d = super::options::copy_directives(replace_opts);
    let replace_attrs = d
        .is_some_and(|d| d.replace_metadata)
        .then(|| attrs_of(&put));
    let tagging = if d.is_some_and(|d| d.replace_tags) {
        Some(put.tagging.clone())
    } else if !put.tagging.is_empty() {
        return Err(Error::invalid(
            "replace_opts",
            "tags are given but the copy keeps the source's tags: set the tagging directive to QCOS_COPY_DIRECTIVE_REPLACED",
        ));
    } else {
        None
    };
    let t = transfer_settings(opts)?;
    Ok(CopyOptions {
        replace_attrs,
        acl: put.acl.clone(),
        tagging,
        on_error: t.on_error,
        copy_slice_size: t.slice_size,
        copy_chunk_size: t.part_size,
        parallel: t.parallel,
    })
}

/// The object's headers (content type, metadata...) from put options.
pub(crate) fn attrs_of(p: &PutObjectOptions) -> ObjectAttrs {
    ObjectAttrs {
        content_type: p.content_type.clone(),
        cache_control: p.cache_control.clone(),
        content_disposition: p.content_disposition.clone(),
        content_encoding: p.content_encoding.clone(),
        expires: p.expires.clone(),
        storage_class: p.storage_class.clone(),
        meta: p.meta.clone(),
        headers: p.headers.clone(),
        acl: p.acl.clone(),
        tagging: p.tagging.clone(),
    }
}

/// Engine upload options from put options plus transfer options.
// `..default()` fills the engine's test-only fields in `cfg(test)` builds; elsewhere
// every field is given.
#[allow(clippy::needless_update)]
pub(crate) fn upload_options(p: &PutObjectOptions, t: &TransferSettings) -> UploadOptions {
    UploadOptions {
        attrs: attrs_of(p),
        resume: t.resume,
        on_cancel: t.on_cancel,
        on_error: t.on_error,
        traffic_limit: p.traffic_limit,
        check_content_md5: p.check_content_md5,
        add_meta_md5: p.add_meta_md5,
        slice_size: t.slice_size,
        chunk_size: t.part_size,
        parallel: t.parallel,
        ..UploadOptions::default()
    }
}

pub(crate) fn download_options(t: &TransferSettings) -> DownloadOptions {
    DownloadOptions {
        slice_size: t.slice_size,
        chunk_size: t.part_size,
        parallel: t.parallel,
        resume: t.resume,
        ..DownloadOptions::default()
    }
}

/// The outcome of a transfer: ETag, CRC-64, version, size, parts. Strings are owned
/// by the result, valid until `qcos_transfer_result_free`, "" when absent.
///
/// Methods: `qcos_transfer_result_etag`, `_crc64`, `_crc64_verified`,
/// `_version_id`, `_size`, `_upload_id`, `_parts`, `_resumed_parts`,
/// `qcos_transfer_result_free`.
///
/// Thread: immutable; any number of threads may read it at once.
pub struct qcos_transfer_result {
    etag: std::ffi::CString,
    crc64: u64,
    crc64_verified: bool,
    version_id: std::ffi::CString,
    size: u64,
    upload_id: std::ffi::CString,
    parts: u32,
    resumed_parts: u32,
}

impl qcos_transfer_result {
    pub(crate) fn new(
        etag: &str,
        crc64: u64,
        crc64_verified: bool,
        version_id: Option<&str>,
        size: u64,
    ) -> Self {
        qcos_transfer_result {
            etag: c_string(etag),
            crc64,
            crc64_verified,
            version_id: c_string(version_id.unwrap_or("")),
            size,
            upload_id: c_string(""),
            parts: 0,
            resumed_parts: 0,
        }
    }
}

impl From<&UploadOutput> for qcos_transfer_result {
    fn from(o: &UploadOutput) -> Self {
        let mut r = Self::new(
            &o.etag,
            o.crc64,
            o.crc64_verified,
            o.version_id.as_deref(),
            o.size,
        );
        r.upload_id = c_string(o.upload_id.as_deref().unwrap_or(""));
        r.parts = o.parts;
        r.resumed_parts = o.resumed_parts;
        r
    }
}

impl From<&DownloadOutput> for qcos_transfer_result {
    fn from(o: &DownloadOutput) -> Self {
        let mut r = Self::new(&o.etag, o.crc64, o.crc64_verified, None, o.size);
        r.parts = o.ranges;
        r.resumed_parts = o.resumed_ranges;
        r
    }
}

impl From<&CopyOutput> for qcos_transfer_result {
    fn from(o: &CopyOutput) -> Self {
        let mut r = Self::new(
            &o.etag,
            o.crc64.unwrap_or(0),
            o.crc64.is_some(),
            o.version_id.as_deref(),
            o.size,
        );
        r.upload_id = c_string(o.upload_id.as_deref().unwrap_or(""));
        r.parts = o.parts;
        r
    }
}

/// The ETag of the object, as COS returned it (with quotes). Owned by `result`; NULL
/// only when `result` is NULL.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_transfer_result_etag(result: *const qcos_transfer_result) -> *const c_char {
    entry_value(std::ptr::null(), || {
        Ok(arg_ref(result, "result")?.etag.as_ptr())
    })
}

/// CRC-64/ECMA of the bytes transferred, computed locally (for copies: the source's,
/// 0 when the service gave none); 0 when `result` is NULL.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_transfer_result_crc64(result: *const qcos_transfer_result) -> u64 {
    entry_value(0, || Ok(arg_ref(result, "result")?.crc64))
}

/// Whether the service's CRC-64 was present and equal to `qcos_transfer_result_crc64`
/// (a mismatch is never a success: it is `QCOS_STATUS_INTEGRITY`). False when `result`
/// is NULL.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_transfer_result_crc64_verified(result: *const qcos_transfer_result) -> bool {
    entry_value(false, || Ok(arg_ref(result, "result")?.crc64_verified))
}

/// The version id of an uploaded or copied object in a versioned bucket; "" otherwise.
/// Owned by `result`; NULL only when `result` is NULL.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_transfer_result_version_id(
    result: *const qcos_transfer_result,
) -> *const c_char {
    entry_value(std::ptr::null(), || {
        Ok(arg_ref(result, "result")?.version_id.as_ptr())
    })
}

/// Bytes transferred (the object's size); 0 when `result` is NULL.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_transfer_result_size(result: *const qcos_transfer_result) -> u64 {
    entry_value(0, || Ok(arg_ref(result, "result")?.size))
}

/// The UploadId of a multipart upload or copy; "" for a single request or a download.
/// Owned by `result`; NULL only when `result` is NULL.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_transfer_result_upload_id(
    result: *const qcos_transfer_result,
) -> *const c_char {
    entry_value(std::ptr::null(), || {
        Ok(arg_ref(result, "result")?.upload_id.as_ptr())
    })
}

/// Parts of a multipart upload or copy, or ranges of a download (0 for a single PUT
/// or copy, 1 for a single GET); 0 when `result` is NULL.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_transfer_result_parts(result: *const qcos_transfer_result) -> u32 {
    entry_value(0, || Ok(arg_ref(result, "result")?.parts))
}

/// Parts (or ranges) found already transferred by an earlier call and not sent again;
/// 0 when `result` is NULL.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_transfer_result_resumed_parts(result: *const qcos_transfer_result) -> u32 {
    entry_value(0, || Ok(arg_ref(result, "result")?.resumed_parts))
}

/// Release a transfer result. NULL does nothing.
///
/// Thread: any thread, once no other thread uses `result`.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_transfer_result_free(result: *mut qcos_transfer_result) {
    entry_value((), || {
        free_box(result);
        Ok(())
    })
}

/// A C progress callback as the engine's progress closure.
struct ProgressAdapter {
    cb: Option<unsafe extern "C" fn(*mut c_void, *const qcos_progress) -> c_int>,
    user_data: *mut c_void,
}

impl ProgressAdapter {
    fn call(&mut self, p: &Progress) -> bool {
        let Some(cb) = self.cb else {
            return true;
        };
        let report = qcos_progress::from(p);
        // SAFETY: `report` lives across the call; the callback's contract (on
        // `qcos_progress_cb`) says it only reads it during the call. We are on the
        // thread that made the qcos call, as the contract promises.
        unsafe { cb(self.user_data, &report) == 0 }
    }
}

fn client<'a>(p: *const qcos_client) -> Result<&'a crate::client::Client> {
    Ok(&arg_ref(p, "client")?.inner)
}

fn write_result(out: Option<super::args::Out<*mut qcos_transfer_result>>, r: qcos_transfer_result) {
    if let Some(out) = out {
        out.write(into_box(r));
    }
}

/// Upload the local file `path` as object `key`: one PUT up to `slice_size`, otherwise a
/// parallel multipart upload (`chunk_size` parts, `chunk_parallel_limit` at once, read
/// with positioned reads in bounded memory), verified end to end with CRC-64, resumed
/// when an earlier upload of the same file to the same key was interrupted.
///
/// `client`: borrowed. `key`: the object key (copied). `path`: the local file (copied).
/// `put_opts`: content type, metadata, MD5 settings, traffic limit; borrowed, or NULL.
/// `opts`: transfer options, borrowed, or NULL for defaults. `progress`, `user_data`:
/// optional progress callback (NULL for none) and its pointer (see
/// `qcos_progress_cb`). `result_out`: may be NULL; on success receives the result
/// (release with `qcos_transfer_result_free`).
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT`; `QCOS_STATUS_IO` (the
/// file cannot be read); `QCOS_STATUS_INVALID_STATE` (the file changed during the
/// upload); `QCOS_STATUS_CANCELLED` (the progress callback returned non-zero);
/// `QCOS_STATUS_INTEGRITY` (a CRC-64 mismatch); `QCOS_STATUS_SERVICE`,
/// `QCOS_STATUS_NETWORK`, `QCOS_STATUS_TIMEOUT`, `QCOS_STATUS_AUTH`.
///
/// Thread: any thread; blocks until done. Parts run on qcos worker threads; the
/// progress callback runs on this thread.
///
/// ```c
/// static int show(void *ud, const qcos_progress *p) {
///     (void)ud; fprintf(stderr, "\r%5.1f%%", p->percent); return 0;
/// }
/// qcos_transfer_result *r = NULL;
/// if (qcos_upload_file(client, "backup/db.tar", "/srv/db.tar", NULL, NULL, show, NULL, &r)
///         == QCOS_STATUS_OK)
///     printf("crc64 %llu\n", (unsigned long long)qcos_transfer_result_crc64(r));
/// qcos_transfer_result_free(r);
/// ```
#[unsafe(no_mangle)]
pub extern "C" fn qcos_upload_file(
    client: *const qcos_client,
    key: *const c_char,
    path: *const c_char,
    put_opts: *const qcos_put_options,
    opts: *const qcos_transfer_options,
    progress: qcos_progress_cb,
    user_data: *mut c_void,
    result_out: *mut *mut qcos_transfer_result,
) -> Status {
    entry(|| {
        let c = self::client(client)?;
        let key = arg_str(key, "key")?;
        let path = arg_path(path, "path")?;
        let uo = upload_options(&put_options(put_opts)?, &transfer_settings(opts)?);
        let out = arg_opt_out(result_out);
        let mut p = ProgressAdapter {
            cb: progress,
            user_data,
        };
        let mut f = |x: &Progress| p.call(x);
        let r = c.upload_file(key, UploadSource::File(path), &uo, Some(&mut f))?;
        write_result(out, qcos_transfer_result::from(&r));
        Ok(())
    })
}

#[allow(clippy::too_many_arguments)] // the C entry points' arguments, passed through
fn upload_from_reader(
    client: *const qcos_client,
    key: *const c_char,
    len: Option<u64>,
    read_cb: qcos_read_cb,
    read_user_data: *mut c_void,
    put_opts: *const qcos_put_options,
    opts: *const qcos_transfer_options,
    progress: qcos_progress_cb,
    user_data: *mut c_void,
    result_out: *mut *mut qcos_transfer_result,
) -> Result<()> {
    let c = self::client(client)?;
    let key = arg_str(key, "key")?;
    let mut reader = CallbackReader::new(read_cb, read_user_data)?;
    let uo = upload_options(&put_options(put_opts)?, &transfer_settings(opts)?);
    let out = arg_opt_out(result_out);
    let mut p = ProgressAdapter {
        cb: progress,
        user_data,
    };
    let mut f = |x: &Progress| p.call(x);
    let source = match len {
        Some(len) => UploadSource::Reader {
            reader: &mut reader,
            len,
        },
        None => UploadSource::Stream(&mut reader),
    };
    let r = c.upload_file(key, source, &uo, Some(&mut f));
    if let Some(e) = cancelled_by(reader.stopped, "read") {
        return Err(e);
    }
    write_result(out, qcos_transfer_result::from(&r?));
    Ok(())
}

/// Upload exactly `content_length` bytes produced by `read_cb` as object `key`: one PUT
/// up to `slice_size`, otherwise a parallel multipart upload (the callback fills one
/// part buffer at a time, on this thread, while earlier parts are sending).
///
/// `read_cb`: required (see `qcos_read_cb`); `read_user_data`: passed back to it.
/// A callback that ends before `content_length` bytes, or has more, fails the upload
/// with `QCOS_STATUS_INVALID_STATE`. Other parameters as for `qcos_upload_file`; resume
/// applies (parts already on the service are checked against the bytes read, and not
/// sent again when they match).
///
/// Statuses: as `qcos_upload_file`; `QCOS_STATUS_CANCELLED` also when `read_cb`
/// returns non-zero.
///
/// Thread: any thread; blocks until done; both callbacks run on this thread.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_upload_from_callback(
    client: *const qcos_client,
    key: *const c_char,
    content_length: u64,
    read_cb: qcos_read_cb,
    read_user_data: *mut c_void,
    put_opts: *const qcos_put_options,
    opts: *const qcos_transfer_options,
    progress: qcos_progress_cb,
    user_data: *mut c_void,
    result_out: *mut *mut qcos_transfer_result,
) -> Status {
    entry(|| {
        upload_from_reader(
            client,
            key,
            Some(content_length),
            read_cb,
            read_user_data,
            put_opts,
            opts,
            progress,
            user_data,
            result_out,
        )
    })
}

/// Upload everything `read_cb` produces, until it reports 0 bytes, as object `key`
/// (a stream of unknown length): one PUT when it ends within the first part, otherwise
/// a multipart upload whose part size grows as the stream goes on (so no size hint is
/// needed to stay within 10,000 parts) in the same bounded memory. `progress` reports
/// `total_known == false` until the end. Streams are not resumed.
///
/// Parameters and statuses as `qcos_upload_from_callback`, without `content_length`.
///
/// Thread: any thread; blocks until done; both callbacks run on this thread.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_upload_from_stream(
    client: *const qcos_client,
    key: *const c_char,
    read_cb: qcos_read_cb,
    read_user_data: *mut c_void,
    put_opts: *const qcos_put_options,
    opts: *const qcos_transfer_options,
    progress: qcos_progress_cb,
    user_data: *mut c_void,
    result_out: *mut *mut qcos_transfer_result,
) -> Status {
    entry(|| {
        upload_from_reader(
            client,
            key,
            None,
            read_cb,
            read_user_data,
            put_opts,
            opts,
            progress,
            user_data,
            result_out,
        )
    })
}

/// Download object `key` to the local file `path` with parallel ranged GETs (one GET
/// for small objects), verified with CRC-64. The file appears at `path` only once
/// complete and verified; until then the bytes go to `.<name>.qcos-download` next to
/// it, kept after a failure or cancel (with resume on) so the next call for the same
/// object and path fetches only what is missing.
///
/// `path`: the destination (copied). `opts`: transfer options (resume, range size,
/// parallelism), or NULL. Other parameters as for `qcos_upload_file`.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT`; `QCOS_STATUS_SERVICE`
/// (e.g. 404 NoSuchKey, or 412 when the object changed during the download);
/// `QCOS_STATUS_IO`; `QCOS_STATUS_INTEGRITY`; `QCOS_STATUS_CANCELLED`;
/// `QCOS_STATUS_NETWORK`, `QCOS_STATUS_TIMEOUT`, `QCOS_STATUS_AUTH`.
///
/// Thread: any thread; blocks until done; the progress callback runs on this thread.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_download_file(
    client: *const qcos_client,
    key: *const c_char,
    path: *const c_char,
    opts: *const qcos_transfer_options,
    progress: qcos_progress_cb,
    user_data: *mut c_void,
    result_out: *mut *mut qcos_transfer_result,
) -> Status {
    entry(|| {
        let c = self::client(client)?;
        let key = arg_str(key, "key")?;
        let path = arg_path(path, "path")?;
        let d = download_options(&transfer_settings(opts)?);
        let out = arg_opt_out(result_out);
        let mut p = ProgressAdapter {
            cb: progress,
            user_data,
        };
        let mut f = |x: &Progress| p.call(x);
        let r = c.download_file(key, path, &d, Some(&mut f))?;
        write_result(out, qcos_transfer_result::from(&r));
        Ok(())
    })
}

/// Download object `key` into the caller's buffer `(buf, cap)` with parallel ranged
/// GETs, verified with CRC-64.
///
/// `buf`, `cap`: borrowed for the call; `(NULL, 0)` holds only an empty object.
/// `len_out`: required; on success the object's size (the bytes written at the start
/// of `buf`); on `QCOS_STATUS_BUFFER_TOO_SMALL` the size needed (nothing is fetched
/// then). On other failures the content of `buf` is unspecified. Other parameters as
/// for `qcos_download_file` (resume does not apply).
///
/// Statuses: as `qcos_download_file`, plus `QCOS_STATUS_BUFFER_TOO_SMALL`.
///
/// Thread: any thread; blocks until done; the progress callback runs on this thread.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_download_to_buffer(
    client: *const qcos_client,
    key: *const c_char,
    buf: *mut u8,
    cap: usize,
    len_out: *mut usize,
    opts: *const qcos_transfer_options,
    progress: qcos_progress_cb,
    user_data: *mut c_void,
    result_out: *mut *mut qcos_transfer_result,
) -> Status {
    entry(|| {
        let c = self::client(client)?;
        let key = arg_str(key, "key")?;
        let buf = arg_bytes_mut(buf, cap, "buf")?;
        let len_out = arg_out(len_out, "len_out")?;
        let d = download_options(&transfer_settings(opts)?);
        let out = arg_opt_out(result_out);
        let mut p = ProgressAdapter {
            cb: progress,
            user_data,
        };
        let mut f = |x: &Progress| p.call(x);
        match c.download_to_buffer(key, buf, &d, Some(&mut f)) {
            Ok(r) => {
                len_out.write(usize::try_from(r.size).unwrap_or(usize::MAX));
                write_result(out, qcos_transfer_result::from(&r));
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

/// Copy object `src_key` of bucket `src_bucket` in `src_region` (optionally version
/// `src_version_id`) to `key` of the client's bucket, server side: one PUT Object -
/// Copy up to `copy_slice_size`, otherwise a multipart copy of `copy_chunk_size`
/// parts, `copy_chunk_parallel_limit` at once. The copy's CRC-64 is checked against
/// the source's.
///
/// `src_bucket`, `src_region`, `src_key`: required strings (copied); `src_version_id`:
/// NULL for the current version. `replace_opts`: NULL copies the source's metadata
/// and tags; otherwise as for `qcos_client_copy_object` (metadata replaced unless its
/// metadata directive is COPY, its ACL set, tags replaced only with the tagging
/// directive REPLACED; a multipart copy that keeps the tags reads the source's with
/// GET Object tagging and sets them on its Initiate). `opts`: transfer
/// options (`on_error`, which for a copy also decides what a cancel leaves; part size,
/// parallelism, single-copy threshold), or NULL. `progress`, `user_data`, `result_out`: as for
/// `qcos_upload_file` (progress counts bytes of parts copied).
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT`; `QCOS_STATUS_SERVICE`;
/// `QCOS_STATUS_INTEGRITY`; `QCOS_STATUS_CANCELLED`; `QCOS_STATUS_NETWORK`,
/// `QCOS_STATUS_TIMEOUT`, `QCOS_STATUS_AUTH`.
///
/// Thread: any thread; blocks until done; the progress callback runs on this thread.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_slice_copy(
    client: *const qcos_client,
    key: *const c_char,
    src_bucket: *const c_char,
    src_region: *const c_char,
    src_key: *const c_char,
    src_version_id: *const c_char,
    replace_opts: *const qcos_put_options,
    opts: *const qcos_transfer_options,
    progress: qcos_progress_cb,
    user_data: *mut c_void,
    result_out: *mut *mut qcos_transfer_result,
) -> Status {
    entry(|| {
        let c = self::client(client)?;
        let key = arg_str(key, "key")?;
        let src = copy_source(src_bucket, src_region, src_key, src_version_id)?;
        let co = copy_options(replace_opts, opts)?;
        let out = arg_opt_out(result_out);
        let mut p = ProgressAdapter {
            cb: progress,
            user_data,
        };
        let mut f = |x: &Progress| p.call(x);
        let r = c.slice_copy(key, &src, &co, Some(&mut f))?;
        write_result(out, qcos_transfer_result::from(&r));
        Ok(())
    })
}
