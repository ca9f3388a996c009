//! C callbacks: their typedefs and the Rust adapters (`Read`, `Write`,
//! `CredentialProvider`) that call them. The only place qcos calls into C.

use std::ffi::{c_int, c_void};
use std::io;
use std::sync::Mutex;

use super::config::qcos_credentials;
use crate::auth::{CredentialProvider, Credentials};
use crate::error::{Error, Result};

/// Supplies the bytes of an upload (`qcos_client_put_object_from_callback`).
///
/// Write up to `cap` bytes into `buf` and store how many in `*n_out`; 0 bytes means
/// the end of the data. Return 0 to continue, non-zero to stop the upload: the call
/// then returns `QCOS_STATUS_CANCELLED`.
///
/// `user_data`: the pointer given with the callback, passed back untouched.
/// `buf`, `n_out`: borrowed for this invocation only.
///
/// Thread: called only on the thread that made the qcos call, only during that call;
/// except for `qcos_queue_upload_from_callback`, where it is called on one of the
/// queue's worker threads (see there for how long it may be called).
/// It must not unwind, throw or longjmp through qcos.
pub type qcos_read_cb = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        buf: *mut u8,
        cap: usize,
        n_out: *mut usize,
    ) -> c_int,
>;

/// Receives the bytes of a download (`qcos_client_get_object_to_callback`), in order.
///
/// `data`, `len`: the next `len` bytes of the body, borrowed for this invocation only.
/// Return 0 to continue, non-zero to stop the download: the call then returns
/// `QCOS_STATUS_CANCELLED`.
///
/// `user_data`: the pointer given with the callback, passed back untouched.
///
/// Thread: called only on the thread that made the qcos call, only during that call.
/// It must not unwind, throw or longjmp through qcos.
pub type qcos_write_cb =
    Option<unsafe extern "C" fn(user_data: *mut c_void, data: *const u8, len: usize) -> c_int>;

/// Supplies credentials when the client has none or they expire within the refresh
/// margin (`qcos_config_set_credentials_provider`).
///
/// Call `qcos_credentials_set(out, ...)` once to fill `out`, then return 0. Return
/// non-zero (or return 0 without filling `out`) to fail: the request that needed
/// credentials then fails with `QCOS_STATUS_AUTH`. The client caches what you return
/// until it nears its expiry time.
///
/// `user_data`: the pointer given at registration, passed back untouched.
/// `out`: borrowed for this invocation only; do not free it.
///
/// Thread: called on whichever thread is making a request with the client when
/// credentials are needed, which for parallel transfers may be a qcos worker thread.
/// qcos never runs two invocations of the same provider at once, but successive ones
/// may come from different threads, so `user_data` must be usable from any thread.
/// It must not unwind, throw or longjmp through qcos, and must not call the client.
pub type qcos_credentials_cb =
    Option<unsafe extern "C" fn(user_data: *mut c_void, out: *mut qcos_credentials) -> c_int>;

/// A C `void *user_data` that crosses threads.
///
/// Sound because qcos never dereferences it: it only hands it back to the callback
/// registered with it, and each callback's documentation tells the C side on which
/// threads that happens (the credential provider's says "any thread").
#[derive(Clone, Copy)]
pub(crate) struct UserData(pub(crate) *mut c_void);
// SAFETY: see the type's documentation.
unsafe impl Send for UserData {}
// SAFETY: see the type's documentation.
unsafe impl Sync for UserData {}

/// A C read callback as `std::io::Read`.
pub(crate) struct CallbackReader {
    cb: unsafe extern "C" fn(*mut c_void, *mut u8, usize, *mut usize) -> c_int,
    user_data: UserData,
    /// The non-zero value the callback returned, if it stopped the transfer.
    pub(crate) stopped: Option<c_int>,
}

impl CallbackReader {
    pub(crate) fn new(cb: qcos_read_cb, user_data: *mut c_void) -> Result<Self> {
        Ok(CallbackReader {
            cb: cb.ok_or(Error::NullArgument("read_cb"))?,
            user_data: UserData(user_data),
            stopped: None,
        })
    }
}

impl io::Read for CallbackReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.stopped.is_some() {
            return Err(io::Error::other("the read callback stopped the upload"));
        }
        let mut n = 0usize;
        // SAFETY: `buf` is valid for `buf.len()` bytes and `n` for one write; the
        // callback's contract says it writes at most `cap` bytes.
        let rc = unsafe { (self.cb)(self.user_data.0, buf.as_mut_ptr(), buf.len(), &mut n) };
        if rc != 0 {
            self.stopped = Some(rc);
            return Err(io::Error::other(format!("the read callback returned {rc}")));
        }
        if n > buf.len() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "the read callback reported {n} bytes for a {}-byte buffer",
                    buf.len()
                ),
            ));
        }
        Ok(n)
    }
}

/// A C read callback as the reader of a queued upload
/// (`qcos_queue_upload_from_callback`): moved to the queue, called on its worker
/// thread, and dropped when the task ends or the queue shuts down. A non-zero return
/// cancels the task ([`crate::queue::CancelTask`]).
pub(crate) struct QueueCallbackReader(CallbackReader);

impl QueueCallbackReader {
    pub(crate) fn new(cb: qcos_read_cb, user_data: *mut c_void) -> Result<Self> {
        Ok(QueueCallbackReader(CallbackReader::new(cb, user_data)?))
    }
}

// It is `Send` (the queue moves it to a worker) through `UserData`, whose soundness
// rests on the callback's documentation naming that thread: `qcos_read_cb` and
// `qcos_queue_upload_from_callback` say it runs on a queue worker thread.

impl io::Read for QueueCallbackReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let r = self.0.read(buf);
        if r.is_err() && self.0.stopped.is_some() {
            return Err(io::Error::other(crate::queue::CancelTask));
        }
        r
    }
}

/// A C write callback as `std::io::Write`.
pub(crate) struct CallbackWriter {
    cb: unsafe extern "C" fn(*mut c_void, *const u8, usize) -> c_int,
    user_data: UserData,
    pub(crate) stopped: Option<c_int>,
}

impl CallbackWriter {
    pub(crate) fn new(cb: qcos_write_cb, user_data: *mut c_void) -> Result<Self> {
        Ok(CallbackWriter {
            cb: cb.ok_or(Error::NullArgument("write_cb"))?,
            user_data: UserData(user_data),
            stopped: None,
        })
    }
}

impl io::Write for CallbackWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.stopped.is_some() {
            return Err(io::Error::other("the write callback stopped the download"));
        }
        if buf.is_empty() {
            return Ok(0);
        }
        // SAFETY: `buf` is valid for `buf.len()` bytes for this invocation.
        let rc = unsafe { (self.cb)(self.user_data.0, buf.as_ptr(), buf.len()) };
        if rc != 0 {
            self.stopped = Some(rc);
            return Err(io::Error::other(format!(
                "the write callback returned {rc}"
            )));
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// If a callback stopped the transfer, that is the outcome, whatever error the
/// transfer code made of the failed read or write.
pub(crate) fn cancelled_by(stopped: Option<c_int>, which: &str) -> Option<Error> {
    stopped.map(|rc| Error::Cancelled(format!("the {which} callback returned {rc}")))
}

/// A C credential provider as a [`CredentialProvider`].
pub(crate) struct CallbackProvider {
    cb: unsafe extern "C" fn(*mut c_void, *mut qcos_credentials) -> c_int,
    user_data: UserData,
    /// Serialises invocations (documented on `qcos_credentials_cb`).
    lock: Mutex<()>,
}

impl CallbackProvider {
    pub(crate) fn new(cb: qcos_credentials_cb, user_data: *mut c_void) -> Result<Self> {
        Ok(CallbackProvider {
            cb: cb.ok_or(Error::NullArgument("cb"))?,
            user_data: UserData(user_data),
            lock: Mutex::new(()),
        })
    }
}

impl CredentialProvider for CallbackProvider {
    fn fetch(&self) -> Result<Credentials> {
        let _one_at_a_time = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        let mut slot = qcos_credentials::default();
        // SAFETY: `slot` lives across the call; the callback only passes it to
        // `qcos_credentials_set`.
        let rc = unsafe { (self.cb)(self.user_data.0, &mut slot) };
        if rc != 0 {
            let why = slot
                .error
                .map(|e| format!(" after qcos_credentials_set failed: {e}"))
                .unwrap_or_default();
            return Err(Error::Auth(format!(
                "the credential provider callback returned {rc}{why}"
            )));
        }
        slot.creds.ok_or_else(|| {
            Error::Auth(match slot.error {
                Some(e) => format!("the credential provider's qcos_credentials_set failed: {e}"),
                None => "the credential provider callback returned 0 without calling qcos_credentials_set"
                    .into(),
            })
        })
    }
}
