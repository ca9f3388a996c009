//! APPEND Object (`POST /{key}?append&position=N`, cos-protocol.md §6.17).
//!
//! Position 0 on a missing key creates an `appendable` object; every later append must
//! give the current length as `position` (else 409 `PositionNotEqualToLength`, with the
//! current length in `x-cos-next-append-position`, as COS does). A normal object is
//! refused with 409 `ObjectNotAppendable`; a PUT over an appendable object makes it
//! normal again. The whole object stays within 5 GB. Each append is stored as one more
//! segment file (`Store::append_object`): earlier bytes are never rewritten.

use super::{Cx, Fail, HResult, err, internal, meta_from_request, store_err};
use crate::http::{Body, Response};
use crate::store::{AppendChunk, AppendError};

/// Largest appendable object (5 GB).
pub(crate) const MAX_APPENDABLE_SIZE: u64 = 5 * 1024 * 1024 * 1024;

fn position_mismatch(position: u64, length: u64) -> Fail {
    let mut e = err(
        409,
        "PositionNotEqualToLength",
        format!(
            "The position {position} is not equal to the length of the object ({length} bytes)."
        ),
    );
    e.headers
        .push(("x-cos-next-append-position".into(), length.to_string()));
    e.into()
}

fn not_appendable() -> Fail {
    err(
        409,
        "ObjectNotAppendable",
        "The object is not appendable (it was not created by APPEND Object).",
    )
    .into()
}

impl Cx<'_> {
    pub(super) fn append_object(&mut self, body: &mut Body<'_>) -> HResult {
        let raw = self.req.param("position").unwrap_or("");
        let position: u64 = raw.parse().map_err(|_| {
            err(
                400,
                "InvalidArgument",
                format!("position {raw:?} must be given as a non-negative decimal integer."),
            )
        })?;
        let meta = meta_from_request(self.req)?;
        // The position and the object type are checked after the body is read (as
        // PUT checks Content-MD5): an answer sent before the body would often reach a
        // client still sending as a reset connection, not as the 409.
        // A chunk that alone exceeds the limit can never fit: refused unread.
        if let Some(n) = body.declared_len()
            && n > MAX_APPENDABLE_SIZE
        {
            return Err(too_large(position, n));
        }
        let got = self.receive_checked(body)?;
        let chunk = AppendChunk {
            etag: got.etag(),
            tmp: got.tmp,
            len: got.size,
            crc64: got.crc,
        };
        let obj = self
            .sh
            .store
            .append_object(
                &self.bucket,
                &self.key,
                position,
                &chunk,
                meta,
                MAX_APPENDABLE_SIZE,
            )
            .map_err(|e| match e {
                AppendError::Store(e) => store_err(e),
                AppendError::NotAppendable => not_appendable(),
                AppendError::PositionMismatch { length } => position_mismatch(position, length),
                AppendError::TooLarge { length } => too_large(length, chunk.len),
            })?;
        let mut r = Response::new(200)
            .header("ETag", obj.etag.clone())
            .header("x-cos-next-append-position", obj.size.to_string());
        match obj.crc64 {
            Some(c) => r.set_header("x-cos-hash-crc64ecma", c.to_string()),
            None => return Err(internal("the appendable object has no CRC-64")),
        }
        Ok(r)
    }
}

fn too_large(length: u64, add: u64) -> Fail {
    err(
        400,
        "EntityTooLarge",
        format!(
            "Appending {add} bytes to {length} would make the object larger than {MAX_APPENDABLE_SIZE} bytes."
        ),
    )
    .into()
}
