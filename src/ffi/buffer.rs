//! `qcos_buffer`: bytes owned by the library, handed to C.

use super::args::{arg_ref, free_box};
use super::entry::entry_value;

/// Bytes owned by qcos (for example an object body from
/// `qcos_client_get_object`). Read them with `qcos_buffer_data` and
/// `qcos_buffer_len`; release them with `qcos_buffer_free`, never with `free()`.
///
/// Methods: `qcos_buffer_data`, `qcos_buffer_len`, `qcos_buffer_free`.
///
/// Thread: one thread at a time; may be moved between threads.
pub struct qcos_buffer {
    pub(crate) bytes: Vec<u8>,
}

/// The first byte of the buffer.
///
/// `buf`: borrowed; NULL gives NULL.
///
/// Returns: a pointer to `qcos_buffer_len(buf)` bytes owned by `buf`, valid until
/// `qcos_buffer_free(buf)`. It is non-NULL even for an empty buffer, but then must
/// not be read.
/// Thread: one thread at a time per buffer.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_buffer_data(buf: *const qcos_buffer) -> *const u8 {
    entry_value(std::ptr::null(), || Ok(arg_ref(buf, "buf")?.bytes.as_ptr()))
}

/// The number of bytes in the buffer; 0 when `buf` is NULL.
///
/// Thread: one thread at a time per buffer.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_buffer_len(buf: *const qcos_buffer) -> usize {
    entry_value(0, || Ok(arg_ref(buf, "buf")?.bytes.len()))
}

/// Release a buffer and its bytes. NULL does nothing.
///
/// `buf`: consumed; do not use it afterwards.
/// Thread: any thread, once no other thread uses `buf`.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_buffer_free(buf: *mut qcos_buffer) {
    entry_value((), || {
        free_box(buf);
        Ok(())
    })
}
