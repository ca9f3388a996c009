//! The thread-local last error, cleared at every status-returning entry, and its C
//! accessors. Reading it never changes it.

use std::cell::RefCell;
use std::ffi::{CString, c_char};

use super::entry::entry_value;
use crate::error::{Error, Status};

#[derive(Default)]
struct LastError {
    status: Option<Status>,
    message: CString,
    http_status: u16,
    code: CString,
    request_id: CString,
    trace_id: CString,
    resource: CString,
}

thread_local! {
    static LAST: RefCell<LastError> = RefCell::new(LastError::default());
}

/// A C string from Rust text; an interior NUL (never expected) is replaced.
pub(crate) fn c_string(s: &str) -> CString {
    CString::new(s)
        .unwrap_or_else(|_| CString::new(s.replace('\0', "\u{FFFD}")).unwrap_or_default())
}

pub(crate) fn clear() {
    LAST.with(|l| {
        let mut l = l.borrow_mut();
        if l.status.is_some() {
            *l = LastError::default();
        }
    });
}

pub(crate) fn set(e: &Error) {
    let mut le = LastError {
        status: Some(e.status()),
        message: c_string(&e.to_string()),
        ..Default::default()
    };
    if let Some(s) = e.service() {
        le.http_status = s.http_status;
        le.code = c_string(&s.code);
        le.request_id = c_string(&s.request_id);
        le.trace_id = c_string(&s.trace_id);
        le.resource = c_string(&s.resource);
    }
    LAST.with(|l| *l.borrow_mut() = le);
}

/// For Rust tests: the current status.
pub(crate) fn status() -> Status {
    LAST.with(|l| l.borrow().status.unwrap_or(Status::Ok))
}

/// For Rust tests: the current message.
#[cfg(test)]
pub(crate) fn message() -> String {
    LAST.with(|l| l.borrow().message.to_string_lossy().into_owned())
}

/// A pointer into the thread-local record; valid until the record is replaced, which
/// only a later status-returning call on this thread does.
fn field(pick: impl Fn(&LastError) -> &CString) -> *const c_char {
    LAST.with(|l| pick(&l.borrow()).as_ptr())
}

/// The status of the last failed call on this thread, or `QCOS_STATUS_OK` when the
/// most recent status-returning call succeeded (or none was made yet).
///
/// Thread: the last error is per thread; this reads the calling thread's. Reading it
/// never changes it.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_last_error_status() -> Status {
    entry_value(Status::Internal, || Ok(status()))
}

/// A message describing the last failure on this thread, in English, naming the
/// argument or the COS error; "" when the last status-returning call succeeded.
///
/// Returns: a NUL-terminated string owned by qcos, never NULL. It stays valid until
/// the next call on this thread to a function that returns `qcos_status` (those clear
/// or replace the last error); copy it if you need it longer. Do not free it.
/// Secrets (SecretKey, security token) never appear in it.
///
/// Thread: reads the calling thread's last error; never changes it.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_last_error_message() -> *const c_char {
    entry_value(c"".as_ptr(), || Ok(field(|l| &l.message)))
}

/// The HTTP status of the last failure on this thread when it was a COS service
/// error (e.g. 404 for NoSuchKey), else 0.
///
/// Thread: reads the calling thread's last error; never changes it.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_last_error_http_status() -> u16 {
    entry_value(0, || Ok(LAST.with(|l| l.borrow().http_status)))
}

/// The COS error `Code` (e.g. "NoSuchKey") of the last failure on this thread, or ""
/// when it was not a service error or the answer had no code (a HEAD has no body).
///
/// Returns: a string owned by qcos, never NULL, valid as for `qcos_last_error_message`.
/// Thread: reads the calling thread's last error; never changes it.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_last_error_code() -> *const c_char {
    entry_value(c"".as_ptr(), || Ok(field(|l| &l.code)))
}

/// The COS `RequestId` (the `x-cos-request-id` header or the error document's
/// `RequestId`) of the last failure on this thread, or "". Quote it to Tencent Cloud
/// support.
///
/// Returns: a string owned by qcos, never NULL, valid as for `qcos_last_error_message`.
/// Thread: reads the calling thread's last error; never changes it.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_last_error_request_id() -> *const c_char {
    entry_value(c"".as_ptr(), || Ok(field(|l| &l.request_id)))
}

/// The COS `TraceId` of the last failure on this thread, or "".
///
/// Returns: a string owned by qcos, never NULL, valid as for `qcos_last_error_message`.
/// Thread: reads the calling thread's last error; never changes it.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_last_error_trace_id() -> *const c_char {
    entry_value(c"".as_ptr(), || Ok(field(|l| &l.trace_id)))
}

/// The COS `Resource` (the bucket or object the error is about) of the last failure
/// on this thread, or "".
///
/// Returns: a string owned by qcos, never NULL, valid as for `qcos_last_error_message`.
/// Thread: reads the calling thread's last error; never changes it.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_last_error_resource() -> *const c_char {
    entry_value(c"".as_ptr(), || Ok(field(|l| &l.resource)))
}

/// A static English description of a status code, e.g. "buffer too small".
///
/// `status`: a `qcos_status` value as an integer; unknown numbers give
/// "unknown status".
///
/// Returns: a static NUL-terminated string, never NULL; do not free it.
/// Thread: any thread; touches no state.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_status_str(status: u32) -> *const c_char {
    entry_value(c"unknown status".as_ptr(), || {
        Ok(match Status::ALL.iter().find(|s| **s as u32 == status) {
            Some(s) => status_cstr(*s).as_ptr(),
            None => c"unknown status".as_ptr(),
        })
    })
}

fn status_cstr(s: Status) -> &'static std::ffi::CStr {
    match s {
        Status::Ok => c"ok",
        Status::InvalidArgument => c"invalid argument",
        Status::Service => c"service error",
        Status::Network => c"network error",
        Status::Timeout => c"timeout",
        Status::Cancelled => c"cancelled",
        Status::Integrity => c"integrity check failed",
        Status::Auth => c"authentication error",
        Status::Io => c"local I/O error",
        Status::BufferTooSmall => c"buffer too small",
        Status::NotFound => c"not found",
        Status::InvalidState => c"invalid state",
        Status::Protocol => c"protocol error",
        Status::Internal => c"internal error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ServiceError;
    use std::ffi::CStr;

    fn s(p: *const c_char) -> String {
        unsafe_free_cstr(p)
    }
    #[allow(unsafe_code)]
    fn unsafe_free_cstr(p: *const c_char) -> String {
        unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
    }

    #[test]
    fn status_str_matches_rust_names_for_every_status() {
        for st in Status::ALL {
            assert_eq!(s(qcos_status_str(st as u32)), st.as_str());
        }
        assert_eq!(s(qcos_status_str(9999)), "unknown status");
    }

    #[test]
    fn service_fields_are_kept() {
        set(&Error::from(ServiceError {
            http_status: 404,
            code: "NoSuchKey".into(),
            message: "gone".into(),
            resource: "/k".into(),
            request_id: "RID1".into(),
            trace_id: "TID1".into(),
        }));
        assert_eq!(qcos_last_error_status(), Status::Service);
        assert_eq!(qcos_last_error_http_status(), 404);
        assert_eq!(s(qcos_last_error_code()), "NoSuchKey");
        assert_eq!(s(qcos_last_error_request_id()), "RID1");
        assert_eq!(s(qcos_last_error_trace_id()), "TID1");
        assert_eq!(s(qcos_last_error_resource()), "/k");
        assert!(s(qcos_last_error_message()).contains("NoSuchKey"));
        clear();
        assert_eq!(s(qcos_last_error_code()), "");
        assert_eq!(qcos_last_error_http_status(), 0);
    }
}
