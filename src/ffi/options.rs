//! Option handles for object operations: `qcos_put_options` (PUT Object, and the
//! new metadata of a copy) and `qcos_get_options` (GET and HEAD Object).

use std::ffi::c_char;

use super::args::{Poisonable, arg_mut, arg_opt_str, arg_out, arg_str, free_box, into_box};
use super::entry::{entry, entry_value};
use crate::client::{GetObjectOptions, PutObjectOptions};
use crate::encode::validate_header;
use crate::error::{Error, Result, Status};

/// Options of an upload: Content-Type and the other standard headers, `x-cos-meta-*`
/// metadata, storage class, MD5 settings, extra headers. Pass NULL instead of a
/// handle for all defaults. One handle may be reused for many calls; a call copies
/// what it needs.
///
/// Methods: `qcos_put_options_new`, `qcos_put_options_free`, and the
/// `qcos_put_options_set_*` / `qcos_put_options_add_*` setters.
///
/// Thread: one thread at a time; a call that reads it (e.g.
/// `qcos_client_put_object`) only reads it, so several threads may pass the same
/// options to calls at once if none modifies it meanwhile.
pub struct qcos_put_options {
    pub(crate) inner: Poisonable<PutObjectOptions>,
    /// What these options do as a copy's `replace_opts` (metadata, tags).
    pub(crate) copy: CopyDirectives,
}

/// How a copy treats the source's metadata and tags (`x-cos-metadata-directive`,
/// `x-cos-tagging-directive`), set with `qcos_put_options_set_metadata_directive` and
/// `qcos_put_options_set_tagging_directive`. Passed as a `uint32_t`.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum qcos_copy_directive {
    /// `Copy`: the destination keeps the source's metadata (or tags).
    Copy = 0,
    /// `Replaced`: the destination gets the options' metadata (or tags) instead.
    Replaced = 1,
}

/// The copy directives of a `qcos_put_options` (C only: the Rust API has them in
/// `CopyObjectOptions`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CopyDirectives {
    pub(crate) replace_metadata: bool,
    pub(crate) replace_tags: bool,
}

impl Default for CopyDirectives {
    /// Options given to a copy replace the metadata (as always) and keep the tags.
    fn default() -> Self {
        CopyDirectives {
            replace_metadata: true,
            replace_tags: false,
        }
    }
}

/// The copy directives of optional put options: `None` for NULL (copy everything).
pub(crate) fn copy_directives(p: *const qcos_put_options) -> Option<CopyDirectives> {
    super::args::arg_opt_ref(p).map(|o| o.copy)
}

/// Options of a download or HEAD: Range, If-* conditions, `response-*` overrides,
/// version. Pass NULL instead of a handle for all defaults.
///
/// Methods: `qcos_get_options_new`, `qcos_get_options_free`, and the
/// `qcos_get_options_set_*` setters.
///
/// Thread: as `qcos_put_options`.
pub struct qcos_get_options {
    pub(crate) inner: Poisonable<GetObjectOptions>,
}

/// Read access to optional put options (NULL = defaults).
pub(crate) fn put_options(p: *const qcos_put_options) -> Result<PutObjectOptions> {
    match super::args::arg_opt_ref(p) {
        None => Ok(PutObjectOptions::default()),
        Some(o) => o.inner.get().cloned(),
    }
}

/// Read access to optional get options (NULL = defaults).
pub(crate) fn get_options(p: *const qcos_get_options) -> Result<GetObjectOptions> {
    match super::args::arg_opt_ref(p) {
        None => Ok(GetObjectOptions::default()),
        Some(o) => o.inner.get().cloned(),
    }
}

fn put_update(
    opts: *mut qcos_put_options,
    f: impl FnOnce(&mut PutObjectOptions) -> Result<()>,
) -> Result<()> {
    arg_mut(opts, "opts")?.inner.with(f)
}

fn get_update(
    opts: *mut qcos_get_options,
    f: impl FnOnce(&mut GetObjectOptions) -> Result<()>,
) -> Result<()> {
    arg_mut(opts, "opts")?.inner.with(f)
}

/// A header value: UTF-8, no CR, LF or other control characters.
fn header_value(p: *const c_char, name: &'static str, header: &str) -> Result<Option<String>> {
    let v = arg_opt_str(p, name)?;
    if let Some(v) = v {
        validate_header(header, v).map_err(|_| {
            Error::invalid(name, format!("the value contains CR, LF or another control character (it becomes the {header} header)"))
        })?;
    }
    Ok(v.map(str::to_string))
}

/// Create upload options with every default (no metadata, the bucket's storage
/// class, MD5 settings from the client's config).
///
/// `opts_out`: receives the handle on success; release it with
/// `qcos_put_options_free`.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` when `opts_out` is NULL.
/// Thread: any thread.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_put_options_new(opts_out: *mut *mut qcos_put_options) -> Status {
    entry(|| {
        arg_out(opts_out, "opts_out")?.write(into_box(qcos_put_options {
            inner: Poisonable::new(PutObjectOptions::default()),
            copy: CopyDirectives::default(),
        }));
        Ok(())
    })
}

/// Release upload options. NULL does nothing.
///
/// Thread: any thread, once no other thread uses `opts`.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_put_options_free(opts: *mut qcos_put_options) {
    entry_value((), || {
        free_box(opts);
        Ok(())
    })
}

/// The Content-Type stored with the object, e.g. "text/plain". Default: COS's
/// "application/octet-stream". NULL removes it.
///
/// `value`: copied. Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL
/// `opts`, bad UTF-8, CR/LF or control characters in `value`).
/// Thread: one thread at a time per options.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_put_options_set_content_type(
    opts: *mut qcos_put_options,
    value: *const c_char,
) -> Status {
    entry(|| {
        let v = header_value(value, "value", "Content-Type")?;
        put_update(opts, |o| {
            o.content_type = v;
            Ok(())
        })
    })
}

/// The Cache-Control stored with the object and returned on GET. NULL removes it.
///
/// `value`: copied. Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL
/// `opts`, bad UTF-8, CR/LF or control characters in `value`).
/// Thread: one thread at a time per options.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_put_options_set_cache_control(
    opts: *mut qcos_put_options,
    value: *const c_char,
) -> Status {
    entry(|| {
        let v = header_value(value, "value", "Cache-Control")?;
        put_update(opts, |o| {
            o.cache_control = v;
            Ok(())
        })
    })
}

/// The Content-Disposition stored with the object, e.g. "attachment; filename=a.txt".
/// NULL removes it.
///
/// `value`: copied. Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL
/// `opts`, bad UTF-8, CR/LF or control characters in `value`).
/// Thread: one thread at a time per options.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_put_options_set_content_disposition(
    opts: *mut qcos_put_options,
    value: *const c_char,
) -> Status {
    entry(|| {
        let v = header_value(value, "value", "Content-Disposition")?;
        put_update(opts, |o| {
            o.content_disposition = v;
            Ok(())
        })
    })
}

/// The Content-Encoding stored with the object, e.g. "gzip". NULL removes it.
///
/// `value`: copied. Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL
/// `opts`, bad UTF-8, CR/LF or control characters in `value`).
/// Thread: one thread at a time per options.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_put_options_set_content_encoding(
    opts: *mut qcos_put_options,
    value: *const c_char,
) -> Status {
    entry(|| {
        let v = header_value(value, "value", "Content-Encoding")?;
        put_update(opts, |o| {
            o.content_encoding = v;
            Ok(())
        })
    })
}

/// The Expires header stored with the object (an HTTP date). NULL removes it.
///
/// `value`: copied. Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL
/// `opts`, bad UTF-8, CR/LF or control characters in `value`).
/// Thread: one thread at a time per options.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_put_options_set_expires(
    opts: *mut qcos_put_options,
    value: *const c_char,
) -> Status {
    entry(|| {
        let v = header_value(value, "value", "Expires")?;
        put_update(opts, |o| {
            o.expires = v;
            Ok(())
        })
    })
}

/// The storage class, e.g. "STANDARD", "STANDARD_IA", "ARCHIVE" (x-cos-storage-class).
/// Default: the bucket's. NULL removes it.
///
/// `value`: copied. Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL
/// `opts`, bad UTF-8, CR/LF or control characters in `value`).
/// Thread: one thread at a time per options.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_put_options_set_storage_class(
    opts: *mut qcos_put_options,
    value: *const c_char,
) -> Status {
    entry(|| {
        let v = header_value(value, "value", "x-cos-storage-class")?;
        put_update(opts, |o| {
            o.storage_class = v;
            Ok(())
        })
    })
}

/// Add one `x-cos-meta-NAME: VALUE` metadata entry (user metadata, returned by GET
/// and HEAD). Call once per entry; order is kept.
///
/// `name`: the part after "x-cos-meta-", e.g. "author"; a header token (letters,
/// digits, `-` ...). `value`: UTF-8 without CR, LF or control characters. Both copied.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL, bad UTF-8, empty
/// or invalid name, CR/LF in the value, a name already added that differs only in case,
/// also as an "x-cos-meta-NAME" header: COS keeps one); the options are then unchanged.
/// Thread: one thread at a time per options.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_put_options_add_meta(
    opts: *mut qcos_put_options,
    name: *const c_char,
    value: *const c_char,
) -> Status {
    entry(|| {
        let n = arg_str(name, "name")?;
        let v = arg_str(value, "value")?;
        if n.is_empty() {
            return Err(Error::invalid("name", "the metadata name is empty"));
        }
        validate_header(&format!("x-cos-meta-{n}"), v)?;
        put_update(opts, |o| {
            o.meta.push((n.to_string(), v.to_string()));
            crate::client::check_user_names(o).inspect_err(|_| {
                o.meta.pop();
            })
        })
    })
}

/// Add an extra request header, e.g. "x-cos-server-side-encryption: AES256".
/// Headers qcos computes itself (Authorization, Host, Content-Length) are refused
/// when the request is made. An ACL or tags are better given with
/// `qcos_put_options_set_acl` and `qcos_put_options_add_tag` (checked, encoded); an
/// "x-cos-acl", "x-cos-grant-*" or "x-cos-tagging" header still works alone, and is
/// refused once those are set.
///
/// `name`, `value`: copied; the name must be a header token, the value free of CR,
/// LF and control characters.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL, bad UTF-8,
/// invalid name, CR/LF in the value, a header name already added that differs only in
/// case, also a metadata entry's "x-cos-meta-NAME", an ACL or tagging header when the
/// ACL or tags are set); the options are then unchanged.
/// Thread: one thread at a time per options.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_put_options_add_header(
    opts: *mut qcos_put_options,
    name: *const c_char,
    value: *const c_char,
) -> Status {
    entry(|| {
        let n = arg_str(name, "name")?;
        let v = arg_str(value, "value")?;
        validate_header(n, v)?;
        put_update(opts, |o| {
            o.headers.push((n.to_string(), v.to_string()));
            crate::client::check_user_names(o).inspect_err(|_| {
                o.headers.pop();
            })
        })
    })
}

/// Send Content-MD5 so COS verifies the bytes (true), or not (false), overriding
/// the config's `upload_check_content_md5` for calls with these options.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` when `opts` is NULL.
/// Thread: one thread at a time per options.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_put_options_set_check_content_md5(
    opts: *mut qcos_put_options,
    value: bool,
) -> Status {
    entry(|| {
        put_update(opts, |o| {
            o.check_content_md5 = Some(value);
            Ok(())
        })
    })
}

/// Store the hex MD5 of the body as `x-cos-meta-md5` (true) or not (false),
/// overriding the config's `upload_add_meta_md5` for calls with these options.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` when `opts` is NULL.
/// Thread: one thread at a time per options.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_put_options_set_add_meta_md5(
    opts: *mut qcos_put_options,
    value: bool,
) -> Status {
    entry(|| {
        put_update(opts, |o| {
            o.add_meta_md5 = Some(value);
            Ok(())
        })
    })
}

/// Limit the upload speed, in bits per second (`x-cos-traffic-limit`); 0 removes
/// the limit. COS accepts 819200 to 838860800.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` when `opts` is NULL.
/// Thread: one thread at a time per options.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_put_options_set_traffic_limit(
    opts: *mut qcos_put_options,
    bits_per_second: u64,
) -> Status {
    entry(|| {
        put_update(opts, |o| {
            o.traffic_limit = (bits_per_second != 0).then_some(bits_per_second);
            Ok(())
        })
    })
}

/// Create download options with every default (whole object, no conditions).
///
/// `opts_out`: receives the handle on success; release it with
/// `qcos_get_options_free`.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` when `opts_out` is NULL.
/// Thread: any thread.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_get_options_new(opts_out: *mut *mut qcos_get_options) -> Status {
    entry(|| {
        arg_out(opts_out, "opts_out")?.write(into_box(qcos_get_options {
            inner: Poisonable::new(GetObjectOptions::default()),
        }));
        Ok(())
    })
}

/// Release download options. NULL does nothing.
///
/// Thread: any thread, once no other thread uses `opts`.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_get_options_free(opts: *mut qcos_get_options) {
    entry_value((), || {
        free_box(opts);
        Ok(())
    })
}

/// Fetch only bytes `first` to `last`, both inclusive (`Range: bytes=first-last`).
/// The answer is then 206 with a Content-Range.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` when `opts` is NULL or
/// `last < first`. Thread: one thread at a time per options.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_get_options_set_range(
    opts: *mut qcos_get_options,
    first: u64,
    last: u64,
) -> Status {
    entry(|| {
        if last < first {
            return Err(Error::invalid(
                "range",
                format!("last byte {last} is before first byte {first} (both are inclusive)"),
            ));
        }
        get_update(opts, |o| {
            o.range = Some((first, Some(last)));
            Ok(())
        })
    })
}

/// Fetch from byte `first` to the end (`Range: bytes=first-`).
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` when `opts` is NULL.
/// Thread: one thread at a time per options.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_get_options_set_range_from(
    opts: *mut qcos_get_options,
    first: u64,
) -> Status {
    entry(|| {
        get_update(opts, |o| {
            o.range = Some((first, None));
            Ok(())
        })
    })
}

/// Only answer if the object's ETag matches (If-Match); otherwise the call fails with
/// HTTP 412. NULL removes it.
///
/// `value`: copied. Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL
/// `opts`, bad UTF-8, CR/LF or control characters in `value`).
/// Thread: one thread at a time per options.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_get_options_set_if_match(
    opts: *mut qcos_get_options,
    value: *const c_char,
) -> Status {
    entry(|| {
        let v = header_value(value, "value", "If-Match")?;
        get_update(opts, |o| {
            o.if_match = v;
            Ok(())
        })
    })
}

/// Only answer if the object's ETag differs (If-None-Match); otherwise HTTP 304. NULL
/// removes it.
///
/// `value`: copied. Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL
/// `opts`, bad UTF-8, CR/LF or control characters in `value`).
/// Thread: one thread at a time per options.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_get_options_set_if_none_match(
    opts: *mut qcos_get_options,
    value: *const c_char,
) -> Status {
    entry(|| {
        let v = header_value(value, "value", "If-None-Match")?;
        get_update(opts, |o| {
            o.if_none_match = v;
            Ok(())
        })
    })
}

/// Only answer if modified after this HTTP date (If-Modified-Since); otherwise HTTP
/// 304. NULL removes it.
///
/// `value`: copied. Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL
/// `opts`, bad UTF-8, CR/LF or control characters in `value`).
/// Thread: one thread at a time per options.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_get_options_set_if_modified_since(
    opts: *mut qcos_get_options,
    value: *const c_char,
) -> Status {
    entry(|| {
        let v = header_value(value, "value", "If-Modified-Since")?;
        get_update(opts, |o| {
            o.if_modified_since = v;
            Ok(())
        })
    })
}

/// Only answer if not modified after this HTTP date (If-Unmodified-Since); otherwise
/// HTTP 412. NULL removes it.
///
/// `value`: copied. Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL
/// `opts`, bad UTF-8, CR/LF or control characters in `value`).
/// Thread: one thread at a time per options.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_get_options_set_if_unmodified_since(
    opts: *mut qcos_get_options,
    value: *const c_char,
) -> Status {
    entry(|| {
        let v = header_value(value, "value", "If-Unmodified-Since")?;
        get_update(opts, |o| {
            o.if_unmodified_since = v;
            Ok(())
        })
    })
}

/// Make COS answer with this Content-Type (the response-content-type query parameter).
/// NULL removes it.
///
/// `value`: copied. Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL
/// `opts`, bad UTF-8, CR/LF or control characters in `value`).
/// Thread: one thread at a time per options.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_get_options_set_response_content_type(
    opts: *mut qcos_get_options,
    value: *const c_char,
) -> Status {
    entry(|| {
        let v = header_value(value, "value", "Content-Type")?;
        get_update(opts, |o| {
            o.response_content_type = v;
            Ok(())
        })
    })
}

/// Make COS answer with this Content-Disposition (response-content-disposition). NULL
/// removes it.
///
/// `value`: copied. Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL
/// `opts`, bad UTF-8, CR/LF or control characters in `value`).
/// Thread: one thread at a time per options.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_get_options_set_response_content_disposition(
    opts: *mut qcos_get_options,
    value: *const c_char,
) -> Status {
    entry(|| {
        let v = header_value(value, "value", "Content-Disposition")?;
        get_update(opts, |o| {
            o.response_content_disposition = v;
            Ok(())
        })
    })
}

/// Make COS answer with this Content-Encoding (response-content-encoding). NULL removes
/// it.
///
/// `value`: copied. Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL
/// `opts`, bad UTF-8, CR/LF or control characters in `value`).
/// Thread: one thread at a time per options.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_get_options_set_response_content_encoding(
    opts: *mut qcos_get_options,
    value: *const c_char,
) -> Status {
    entry(|| {
        let v = header_value(value, "value", "Content-Encoding")?;
        get_update(opts, |o| {
            o.response_content_encoding = v;
            Ok(())
        })
    })
}

/// Make COS answer with this Content-Language (response-content-language). NULL removes
/// it.
///
/// `value`: copied. Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL
/// `opts`, bad UTF-8, CR/LF or control characters in `value`).
/// Thread: one thread at a time per options.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_get_options_set_response_content_language(
    opts: *mut qcos_get_options,
    value: *const c_char,
) -> Status {
    entry(|| {
        let v = header_value(value, "value", "Content-Language")?;
        get_update(opts, |o| {
            o.response_content_language = v;
            Ok(())
        })
    })
}

/// Make COS answer with this Cache-Control (response-cache-control). NULL removes it.
///
/// `value`: copied. Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL
/// `opts`, bad UTF-8, CR/LF or control characters in `value`).
/// Thread: one thread at a time per options.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_get_options_set_response_cache_control(
    opts: *mut qcos_get_options,
    value: *const c_char,
) -> Status {
    entry(|| {
        let v = header_value(value, "value", "Cache-Control")?;
        get_update(opts, |o| {
            o.response_cache_control = v;
            Ok(())
        })
    })
}

/// Make COS answer with this Expires (response-expires). NULL removes it.
///
/// `value`: copied. Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL
/// `opts`, bad UTF-8, CR/LF or control characters in `value`).
/// Thread: one thread at a time per options.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_get_options_set_response_expires(
    opts: *mut qcos_get_options,
    value: *const c_char,
) -> Status {
    entry(|| {
        let v = header_value(value, "value", "Expires")?;
        get_update(opts, |o| {
            o.response_expires = v;
            Ok(())
        })
    })
}

/// Address this version of the object (versioned buckets). NULL removes it.
///
/// `value`: copied. Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL
/// `opts`, bad UTF-8, CR/LF or control characters in `value`).
/// Thread: one thread at a time per options.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_get_options_set_version_id(
    opts: *mut qcos_get_options,
    value: *const c_char,
) -> Status {
    entry(|| {
        let v = header_value(value, "value", "x-cos-version-id")?;
        get_update(opts, |o| {
            o.version_id = v;
            Ok(())
        })
    })
}

/// Limit the download speed, in bits per second (`x-cos-traffic-limit`); 0 removes
/// the limit.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` when `opts` is NULL.
/// Thread: one thread at a time per options.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_get_options_set_traffic_limit(
    opts: *mut qcos_get_options,
    bits_per_second: u64,
) -> Status {
    entry(|| {
        get_update(opts, |o| {
            o.traffic_limit = (bits_per_second != 0).then_some(bits_per_second);
            Ok(())
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn last_message() -> String {
        let p = crate::ffi::last_error::qcos_last_error_message();
        assert!(!p.is_null());
        // SAFETY: the last error message is a NUL-terminated string owned by this thread.
        unsafe { std::ffi::CStr::from_ptr(p) }
            .to_string_lossy()
            .into_owned()
    }

    fn entries(p: *mut qcos_put_options) -> (Vec<String>, Vec<String>) {
        let o = put_options(p).unwrap();
        (
            o.meta.into_iter().map(|(n, _)| n).collect(),
            o.headers.into_iter().map(|(n, _)| n).collect(),
        )
    }

    #[test]
    fn names_differing_only_in_case_are_refused_when_added() {
        let mut p: *mut qcos_put_options = std::ptr::null_mut();
        assert_eq!(qcos_put_options_new(&mut p), Status::Ok);
        let (v1, v2) = (c"1".as_ptr(), c"2".as_ptr());
        assert_eq!(
            qcos_put_options_add_meta(p, c"Author".as_ptr(), v1),
            Status::Ok
        );
        assert_eq!(
            qcos_put_options_add_meta(p, c"author".as_ptr(), v2),
            Status::InvalidArgument
        );
        let m = last_message();
        assert!(m.contains("\"Author\"") && m.contains("\"author\""), "{m}");
        // The same name as a header.
        assert_eq!(
            qcos_put_options_add_header(p, c"X-COS-META-AUTHOR".as_ptr(), v2),
            Status::InvalidArgument
        );
        let m = last_message();
        assert!(
            m.contains("\"x-cos-meta-Author\"") && m.contains("\"X-COS-META-AUTHOR\""),
            "{m}"
        );
        assert_eq!(
            qcos_put_options_add_header(p, c"x-cos-acl".as_ptr(), v1),
            Status::Ok
        );
        assert_eq!(
            qcos_put_options_add_header(p, c"X-Cos-Acl".as_ptr(), v2),
            Status::InvalidArgument
        );
        let m = last_message();
        assert!(
            m.contains("\"x-cos-acl\"") && m.contains("\"X-Cos-Acl\""),
            "{m}"
        );
        // A refused entry leaves the options unchanged; distinct names are still fine.
        assert_eq!(
            entries(p),
            (vec!["Author".to_string()], vec!["x-cos-acl".to_string()])
        );
        assert_eq!(
            qcos_put_options_add_meta(p, c"editor".as_ptr(), v1),
            Status::Ok
        );
        assert_eq!(entries(p).0, ["Author", "editor"]);
        qcos_put_options_free(p);
    }
}
