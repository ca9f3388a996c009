//! APPEND Object (`POST /{key}?append&position={n}`, cos-protocol.md §6.17).
//!
//! An append is not idempotent: sent twice, the bytes would be appended twice. So the
//! HTTP layer never repeats it on its own (each attempt's body goes out as a one-shot
//! reader), and this module decides what a failed attempt means. A failure that may
//! have happened after the server received the body (network error, timeout, 5xx) is
//! followed by a HEAD of the object: if its length is `position + len` and the appended
//! bytes are ours (CRC-64 checked), the append happened and is reported as a success;
//! if its length is still `position`, nothing happened and the append is sent again
//! (with the client's retry count and backoff); anything else is reported as
//! `Error::InvalidState` and nothing more is sent.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use super::{AppendObjectOutput, MAX_PUT_SIZE};
use super::{Body, Client, GetObjectOptions, PutObjectOptions, opt_header, parse_crc};
use crate::crc64::{self, Crc64};
use crate::error::{Error, Result, ServiceError};
use crate::http::{Method, Request, RequestBody, Response};

/// Largest appendable object (5 GB, the whole object).
pub const MAX_APPENDABLE_SIZE: u64 = MAX_PUT_SIZE;

/// Counts and CRCs the bytes an attempt reads from its body.
struct Tap<R> {
    inner: R,
    crc: Crc64,
    read: u64,
}

impl<R: Read> Read for Tap<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.crc.update(&buf[..n]);
        self.read += n as u64;
        Ok(n)
    }
}

/// CRC-64 of `len` bytes of a file from `offset`.
fn crc_of_file(path: &Path, offset: u64, len: u64) -> Result<u64> {
    let ctx = |e| Error::io(format!("reading {}", path.display()), e);
    let mut f = std::fs::File::open(path).map_err(ctx)?;
    f.seek(SeekFrom::Start(offset)).map_err(ctx)?;
    let mut f = f.take(len);
    let mut crc = Crc64::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(ctx)?;
        if n == 0 {
            break;
        }
        crc.update(&buf[..n]);
    }
    Ok(crc.finish())
}

/// What the HEAD after a failed attempt says.
enum Outcome {
    /// The append is in the object.
    Done(AppendObjectOutput),
    /// The object is still `position` bytes long: nothing was appended.
    NotApplied,
}

impl Client {
    /// APPEND Object request: a PUT Object request (same options, same validation, same
    /// MD5 handling) sent as `POST /{key}?append&position={position}`. Refuses an append
    /// that would make the object larger than 5 GB.
    pub fn append_object_request<'a>(
        &self,
        key: &str,
        position: u64,
        body: Body<'a>,
        opts: &PutObjectOptions,
    ) -> Result<Request<'a>> {
        let mut req = self.put_object_request(key, body, opts)?;
        let len = req.body.len();
        if position.saturating_add(len) > MAX_APPENDABLE_SIZE {
            return Err(Error::invalid(
                "position",
                format!(
                    "appending {len} bytes at position {position} would make the object larger than COS's 5 GB limit for appendable objects"
                ),
            ));
        }
        req.method = Method::Post;
        req.query = vec![
            ("append".into(), None),
            ("position".into(), Some(position.to_string())),
        ];
        Ok(req)
    }

    /// APPEND Object: add `body` at `position` of `key`, which must be the object's
    /// current length (0 creates an appendable object). Returns the next position,
    /// ETag and, when COS sends it, the CRC-64 of the whole object.
    ///
    /// - The response must carry `x-cos-next-append-position` equal to
    ///   `position + len` (missing or not a number: `Error::Protocol`; another value:
    ///   `Error::Integrity`). At position 0 the object's CRC-64 must be the body's.
    /// - A position that is not the object's length is COS's 409 (`Error::Service`,
    ///   code `PositionNotEqualToLength` or similar); its message then also gives the
    ///   object's current length when a HEAD can tell. Appending to a normal object is
    ///   409 `ObjectNotAppendable`.
    /// - Never appended twice: a failure after the body may have reached COS is
    ///   resolved with a HEAD (see the module documentation); an append confirmed that
    ///   way is a success (its `request_id` is the HEAD's), one that certainly did not
    ///   happen is sent again (bytes and files; a `Body::Reader` cannot be, and its
    ///   error then says nothing was appended), and an object changed by someone else
    ///   meanwhile is `Error::InvalidState`.
    ///
    /// `opts` are PUT Object's: metadata and content type apply when the append
    /// creates the object (COS keeps the first append's), MD5 options apply to this
    /// append's bytes.
    pub fn append_object(
        &self,
        key: &str,
        position: u64,
        body: Body<'_>,
        opts: &PutObjectOptions,
    ) -> Result<AppendObjectOutput> {
        self.append_inner(key, position, None, body, opts)
    }

    /// [`append_object`](Self::append_object) that also checks the whole object: with
    /// `previous_crc64`, the CRC-64 of the object's first `position` bytes (the `crc64`
    /// of the previous append's output, 0 for position 0), the CRC-64 COS reports must
    /// equal `combine(previous_crc64, crc64(body), len)`, else `Error::Integrity` (the
    /// bytes are appended by then; the object does not hold what the caller thinks).
    pub fn append_object_checked(
        &self,
        key: &str,
        position: u64,
        previous_crc64: u64,
        body: Body<'_>,
        opts: &PutObjectOptions,
    ) -> Result<AppendObjectOutput> {
        self.append_inner(key, position, Some(previous_crc64), body, opts)
    }

    fn append_inner(
        &self,
        key: &str,
        position: u64,
        previous_crc64: Option<u64>,
        body: Body<'_>,
        opts: &PutObjectOptions,
    ) -> Result<AppendObjectOutput> {
        let mut req = self.append_object_request(key, position, body, opts)?;
        let mut source = std::mem::replace(&mut req.body, RequestBody::Empty);
        let base = req;
        let len = source.len();
        // The object's CRC-64 before this append, when known.
        let previous = previous_crc64.or((position == 0).then_some(0));
        let replayable = source.is_replayable();
        let mut retries = 0u32;
        let mut sends = 0u32;
        let mut skew_retried = false;
        loop {
            let (result, body_crc) = self.append_attempt(&base, &mut source, sends > 0);
            sends += 1;
            let e = match result {
                Ok(mut resp) => {
                    // The HTTP layer did not hash the body; `append_attempt`'s tap did.
                    resp.sent_crc64 = body_crc;
                    return self.append_answer(key, position, len, previous, &resp);
                }
                Err(e) => e,
            };
            // Refused before anything happened: the HTTP layer has learned the clock
            // offset from the answer, so the request can be signed and sent again.
            if e.service().is_some_and(ServiceError::is_clock_skew)
                && self.config().correct_clock_skew
                && !skew_retried
                && replayable
            {
                skew_retried = true;
                continue;
            }
            if let Some(s) = e.service()
                && s.http_status == 409
            {
                // A resend may find the earlier attempt's bytes in place after all.
                if sends > 1
                    && let Ok(Outcome::Done(out)) =
                        self.append_outcome(key, position, len, previous, body_crc, &source)
                {
                    return Ok(out);
                }
                return Err(self.position_error(key, e));
            }
            if !e.is_retryable() {
                return Err(e);
            }
            match self.append_outcome(key, position, len, previous, body_crc, &source) {
                Ok(Outcome::Done(out)) => return Ok(out),
                Ok(Outcome::NotApplied) => {
                    if !replayable {
                        return Err(
                            e.with_note("nothing was appended; the reader cannot be sent again")
                        );
                    }
                    if retries >= self.config().max_retries {
                        return Err(e.with_note("nothing was appended"));
                    }
                    retries += 1;
                    std::thread::sleep(crate::http::backoff_delay(
                        self.config().retry_base_delay_ms,
                        retries,
                    ));
                }
                Err(why) => return Err(why),
            }
        }
    }

    /// Send one attempt with a one-shot body (so the HTTP layer never repeats it).
    /// Returns the result and the CRC-64 of the body when the whole body was read.
    fn append_attempt(
        &self,
        base: &Request<'_>,
        source: &mut RequestBody<'_>,
        resend: bool,
    ) -> (Result<Response>, Option<u64>) {
        let len = source.len();
        let mut headers = base.headers.clone();
        if resend {
            headers.push(("x-cos-sdk-retry".into(), "true".into()));
        }
        let send = |reader: &mut (dyn Read + Send)| {
            let mut tap = Tap {
                inner: reader,
                crc: Crc64::new(),
                read: 0,
            };
            let req = Request {
                method: base.method,
                target: base.target.clone(),
                query: base.query.clone(),
                headers,
                body: RequestBody::Reader {
                    reader: &mut tap,
                    len,
                },
                long_running: base.long_running,
                // `tap` hashes the bytes as they go out.
                hash_body: false,
            };
            let result = self.inner.send(req);
            let crc = (tap.read == len).then(|| tap.crc.finish());
            (result, crc)
        };
        match source {
            RequestBody::Empty => send(&mut std::io::empty()),
            RequestBody::Bytes(b) => send(&mut std::io::Cursor::new(&b[..])),
            RequestBody::File { path, offset, len } => {
                let opened = std::fs::File::open(*path).and_then(|mut f| {
                    f.seek(SeekFrom::Start(*offset))?;
                    Ok(f)
                });
                match opened {
                    Ok(f) => send(&mut f.take(*len)),
                    Err(e) => (
                        Err(Error::io(format!("opening {}", path.display()), e)),
                        None,
                    ),
                }
            }
            RequestBody::Reader { reader, .. } => send(&mut **reader),
        }
    }

    /// Check and convert a 2xx answer.
    fn append_answer(
        &self,
        key: &str,
        position: u64,
        len: u64,
        previous: Option<u64>,
        resp: &Response,
    ) -> Result<AppendObjectOutput> {
        let rid = resp.request_id();
        let next = resp.header("x-cos-next-append-position").ok_or_else(|| {
            Error::Protocol(format!(
                "APPEND {key:?} answered without x-cos-next-append-position (request id {rid})"
            ))
        })?;
        let next_position: u64 = next.trim().parse().map_err(|_| {
            Error::Protocol(format!(
                "APPEND {key:?}: x-cos-next-append-position is {next:?}, not a number (request id {rid})"
            ))
        })?;
        if next_position != position + len {
            return Err(Error::Integrity(format!(
                "APPEND of {len} bytes at position {position} to {key:?}: COS says the object is now {next_position} bytes long, not {} (request id {rid})",
                position + len
            )));
        }
        let crc64 = parse_crc(resp)?;
        if let (Some(prev), Some(sent), Some(whole)) = (previous, resp.sent_crc64, crc64) {
            let expected = crc64::combine(prev, sent, len);
            if expected != whole {
                return Err(Error::Integrity(format!(
                    "APPEND of {len} bytes at position {position} to {key:?}: COS reports CRC-64 {whole} for the whole object, but the previous bytes and the bytes sent give {expected} (request id {rid})"
                )));
            }
        }
        Ok(AppendObjectOutput {
            next_position,
            etag: opt_header(resp, "etag").unwrap_or_default(),
            crc64,
            request_id: rid,
        })
    }

    /// After a failure that may or may not have appended: look at the object.
    fn append_outcome(
        &self,
        key: &str,
        position: u64,
        len: u64,
        previous: Option<u64>,
        body_crc: Option<u64>,
        source: &RequestBody<'_>,
    ) -> Result<Outcome> {
        let unknown = |why: String| {
            Error::InvalidState(format!(
                "APPEND of {len} bytes at position {position} to {key:?} failed and {why}; nothing more was sent"
            ))
        };
        let info = match self.head_object(key, &GetObjectOptions::default()) {
            Ok(info) => info,
            Err(Error::Service(s)) if s.http_status == 404 && position == 0 => {
                return Ok(Outcome::NotApplied);
            }
            Err(Error::Service(s)) if s.http_status == 404 => {
                return Err(unknown("the object no longer exists".into()));
            }
            Err(e) => {
                return Err(unknown(format!(
                    "the HEAD to learn whether it happened failed too ({e}): whether it was appended is unknown"
                )));
            }
        };
        let length = info.content_length;
        let appendable = info
            .headers
            .iter()
            .find(|(k, _)| k == "x-cos-object-type")
            .is_none_or(|(_, v)| v.eq_ignore_ascii_case("appendable"));
        if !appendable {
            return Err(unknown(format!(
                "the key now holds a normal object of {length} bytes, which cannot be appended to"
            )));
        }
        if length == position + len {
            // Ours, or another writer's bytes of the same length? Compare CRCs.
            let body_crc = match (body_crc, source) {
                (Some(c), _) => Some(c),
                (None, RequestBody::Bytes(b)) => Some(crc64::checksum(b)),
                (None, RequestBody::Empty) => Some(0),
                (None, RequestBody::File { path, offset, len }) => {
                    Some(crc_of_file(path, *offset, *len)?)
                }
                // A reader not read to its end cannot have been received whole.
                (None, RequestBody::Reader { .. }) => None,
            };
            let Some(body_crc) = body_crc else {
                return Err(unknown(format!(
                    "the object is now {length} bytes long, but the body was not sent whole: another writer appended"
                )));
            };
            let ours = match (previous, info.crc64) {
                _ if len == 0 => true,
                (Some(prev), Some(whole)) => crc64::combine(prev, body_crc, len) == whole,
                _ => {
                    // Read back the appended range (from this very version of the object).
                    let o = GetObjectOptions {
                        range: Some((position, Some(position + len - 1))),
                        if_match: Some(info.etag.clone()).filter(|t| !t.is_empty()),
                        ..Default::default()
                    };
                    let got = self
                        .get_object(key, &o, &mut std::io::sink())
                        .map_err(|e| {
                            unknown(format!(
                                "reading back bytes {position}..{} to check them failed ({e})",
                                position + len
                            ))
                        })?;
                    got.received_crc64 == Some(body_crc)
                }
            };
            if !ours {
                return Err(unknown(format!(
                    "the object is now {length} bytes long but its last {len} bytes are not the ones sent: another writer appended"
                )));
            }
            return Ok(Outcome::Done(AppendObjectOutput {
                next_position: length,
                etag: info.etag,
                crc64: info.crc64,
                request_id: info.request_id,
            }));
        }
        if length == position {
            return Ok(Outcome::NotApplied);
        }
        Err(unknown(format!(
            "the object is {length} bytes long, neither {position} nor {}: the position is not its length \
             (a wrong position, or another writer appended meanwhile); the next append goes at position {length}",
            position + len
        )))
    }

    /// A 409 answer, with the object's current length added to its message when a HEAD
    /// can tell (the service's code and other fields are kept).
    fn position_error(&self, key: &str, e: Error) -> Error {
        let Error::Service(mut s) = e else { return e };
        if s.code == "ObjectNotAppendable" {
            return Error::Service(s);
        }
        let length = match self.head_object(key, &GetObjectOptions::default()) {
            Ok(info) => Some(info.content_length),
            Err(Error::Service(h)) if h.http_status == 404 => Some(0),
            Err(_) => None,
        };
        if let Some(n) = length {
            let sep = if s.message.is_empty() { "" } else { " " };
            s.message = format!(
                "{}{sep}(the object is {n} bytes long now: the next append goes at position {n})",
                s.message
            );
        }
        Error::Service(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Credentials;
    use crate::config::Config;

    fn client() -> Client {
        let mut c = Config::new("ap-guangzhou", "examplebucket-1250000000");
        c.credentials = Some(Credentials::new("AKIDtest", "SKtest"));
        Client::new(c).unwrap()
    }

    #[test]
    fn append_request_is_a_post_with_put_headers() {
        let c = client();
        let opts = PutObjectOptions {
            content_type: Some("text/plain".into()),
            meta: vec![("a".into(), "b".into())],
            check_content_md5: Some(true),
            ..Default::default()
        };
        let req = c
            .append_object_request("log.txt", 42, Body::Bytes(b"hello"), &opts)
            .unwrap();
        assert_eq!(req.method, Method::Post);
        assert_eq!(
            req.query,
            vec![
                ("append".to_string(), None),
                ("position".to_string(), Some("42".to_string()))
            ]
        );
        assert_eq!(req.header_value("content-type"), Some("text/plain"));
        assert_eq!(req.header_value("x-cos-meta-a"), Some("b"));
        assert_eq!(
            req.header_value("content-md5"),
            Some("XUFAKrxLKna5cZ2REBfFkg==")
        );
        assert_eq!(req.body.len(), 5);
    }

    #[test]
    fn append_request_refuses_bad_input() {
        let c = client();
        let e = c
            .append_object_request("", 0, Body::Bytes(b"x"), &PutObjectOptions::default())
            .unwrap_err();
        assert!(e.to_string().contains("key is empty"), "{e}");
        let opts = PutObjectOptions {
            headers: vec![("x-cos-meta-a".into(), "b\r\nc".into())],
            ..Default::default()
        };
        let e = c
            .append_object_request("k", 0, Body::Bytes(b"x"), &opts)
            .unwrap_err();
        assert_eq!(e.status(), crate::Status::InvalidArgument, "{e}");
        let e = c
            .append_object_request(
                "k",
                MAX_APPENDABLE_SIZE,
                Body::Bytes(b"x"),
                &PutObjectOptions::default(),
            )
            .unwrap_err();
        assert!(e.to_string().contains("5 GB"), "{e}");
    }
}
