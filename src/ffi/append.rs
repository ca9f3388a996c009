//! APPEND Object from C: `qcos_client_append_object` and its file and checked forms.

use std::ffi::c_char;

use super::args::{arg_bytes, arg_opt_out, arg_out, arg_path, arg_ref, arg_str};
use super::client::qcos_client;
use super::entry::entry;
use super::options::{put_options, qcos_put_options};
use super::results::qcos_put_result;
use crate::client::{AppendObjectOutput, Body, PutObjectOutput};
use crate::error::Status;

/// Write the outputs of a successful append.
fn write_outputs(
    r: &AppendObjectOutput,
    next: super::args::Out<u64>,
    result: Option<super::args::Out<*mut qcos_put_result>>,
) {
    next.write(r.next_position);
    if let Some(out) = result {
        let p = PutObjectOutput {
            etag: r.etag.clone(),
            crc64: r.crc64,
            version_id: None,
            request_id: r.request_id.clone(),
        };
        out.write(super::args::into_box(qcos_put_result::from(&p)));
    }
}

/// Append `len` bytes from memory to object `key` at `position` (APPEND Object,
/// `POST /{key}?append&position=N`).
///
/// `client`: borrowed. `key`: the object key, NUL-terminated UTF-8 (copied).
/// `position`: the object's current length; 0 creates an appendable object (a key
/// holding nothing). `data`, `len`: the bytes, borrowed for the call; `(NULL, 0)`
/// appends nothing. `opts`: PUT options, borrowed, or NULL: content type and metadata
/// apply when the append creates the object, MD5 options to these bytes.
/// `next_position_out`: required; on success receives the object's new length, the
/// `position` of the next append. `result_out`: may be NULL; on success receives the
/// ETag, the whole object's CRC-64 (when COS sends it) and the request id (release with
/// `qcos_put_result_free`). Outputs are written only on success.
///
/// An append is never sent twice blindly: when an attempt fails after its body may
/// have reached COS (network error, timeout, 5xx), a HEAD of the object decides. If
/// the object is `position + len` bytes long and its last `len` bytes are these
/// (CRC-64), the call succeeds (its request id is then the HEAD's); if it is still
/// `position` bytes long the append is sent again (up to the config's retries);
/// otherwise the call fails with `QCOS_STATUS_INVALID_STATE`.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL, bad UTF-8, bad
/// key, CR/LF in headers, past the 5 GB limit); `QCOS_STATUS_SERVICE` (COS refused: a
/// wrong position is HTTP 409 with `qcos_last_error_code` "PositionNotEqualToLength"
/// and the current length in `qcos_last_error_message`; a normal, not appendable,
/// object is 409 "ObjectNotAppendable"); `QCOS_STATUS_NETWORK`, `QCOS_STATUS_TIMEOUT`
/// (and nothing was appended); `QCOS_STATUS_INVALID_STATE` (the object changed under a
/// failed attempt, or whether it was appended could not be learned);
/// `QCOS_STATUS_INTEGRITY` (COS's answer contradicts the bytes sent);
/// `QCOS_STATUS_PROTOCOL` (no valid `x-cos-next-append-position`); `QCOS_STATUS_AUTH`.
///
/// Thread: any thread; blocks until done. Appends to one key from several threads
/// race for each position: at most one wins it, the others get the 409.
///
/// ```c
/// uint64_t next = 0;
/// qcos_client_append_object(client, "app.log", 0, (const uint8_t *)"a\n", 2, NULL, &next, NULL);
/// qcos_client_append_object(client, "app.log", next, (const uint8_t *)"b\n", 2, NULL, &next, NULL);
/// ```
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn qcos_client_append_object(
    client: *const qcos_client,
    key: *const c_char,
    position: u64,
    data: *const u8,
    len: usize,
    opts: *const qcos_put_options,
    next_position_out: *mut u64,
    result_out: *mut *mut qcos_put_result,
) -> Status {
    entry(|| {
        let c = &arg_ref(client, "client")?.inner;
        let key = arg_str(key, "key")?;
        let data = arg_bytes(data, len, "data")?;
        let opts = put_options(opts)?;
        let next = arg_out(next_position_out, "next_position_out")?;
        let out = arg_opt_out(result_out);
        let r = c.append_object(key, position, Body::Bytes(data), &opts)?;
        write_outputs(&r, next, out);
        Ok(())
    })
}

/// Append the whole local file `path` to object `key` at `position`.
///
/// `path`: a UTF-8 file path (copied); the file is read during the call (again for a
/// resend). Other parameters, outputs and the retry rule as for
/// `qcos_client_append_object`.
///
/// Statuses: as `qcos_client_append_object`, plus `QCOS_STATUS_IO` when the file
/// cannot be read.
///
/// Thread: any thread; blocks until done.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_client_append_object_from_file(
    client: *const qcos_client,
    key: *const c_char,
    position: u64,
    path: *const c_char,
    opts: *const qcos_put_options,
    next_position_out: *mut u64,
    result_out: *mut *mut qcos_put_result,
) -> Status {
    entry(|| {
        let c = &arg_ref(client, "client")?.inner;
        let key = arg_str(key, "key")?;
        let path = arg_path(path, "path")?;
        let opts = put_options(opts)?;
        let next = arg_out(next_position_out, "next_position_out")?;
        let out = arg_opt_out(result_out);
        let r = c.append_object(key, position, Body::File(path), &opts)?;
        write_outputs(&r, next, out);
        Ok(())
    })
}

/// `qcos_client_append_object` that also checks the whole object.
///
/// `previous_crc64`: the CRC-64 (crc64ecma) of the object's first `position` bytes,
/// e.g. `qcos_put_result_crc64` of the previous append's result (0 at position 0).
/// When COS reports the whole object's CRC-64 it must equal the CRC-64 of those bytes
/// followed by `data`, else `QCOS_STATUS_INTEGRITY` (the bytes are appended by then:
/// the object is not what the caller believes). Other parameters, outputs, statuses
/// and the retry rule as for `qcos_client_append_object`.
///
/// Thread: any thread; blocks until done.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn qcos_client_append_object_checked(
    client: *const qcos_client,
    key: *const c_char,
    position: u64,
    previous_crc64: u64,
    data: *const u8,
    len: usize,
    opts: *const qcos_put_options,
    next_position_out: *mut u64,
    result_out: *mut *mut qcos_put_result,
) -> Status {
    entry(|| {
        let c = &arg_ref(client, "client")?.inner;
        let key = arg_str(key, "key")?;
        let data = arg_bytes(data, len, "data")?;
        let opts = put_options(opts)?;
        let next = arg_out(next_position_out, "next_position_out")?;
        let out = arg_opt_out(result_out);
        let r = c.append_object_checked(key, position, previous_crc64, Body::Bytes(data), &opts)?;
        write_outputs(&r, next, out);
        Ok(())
    })
}
