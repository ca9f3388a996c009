//! POST Object: a browser's `multipart/form-data` upload, authorized by the policy in
//! the form (not by an Authorization), checked with `qcos::auth::verify_post_form`.
//!
//! The form is read as a stream: the fields before the `file` part are kept (each up to
//! 64 KiB, at most 200), the policy is verified as soon as the `file` part starts, the
//! file goes straight to a temporary file (hashed on the way), and parts after the file
//! are read and ignored (COS wants the signature fields before the file). The body's
//! size is checked against `content-length-range` once it is known: `EntityTooLarge` /
//! `EntityTooSmall`. Success answers `success_action_status` (default 204; 201 with a
//! `PostResponse` document) or a 303 to `success_action_redirect`.

use std::io::{self, Read, Write};

use md5::{Digest, Md5};
use qcos::auth::verify_post_form;
use qcos::crc64::Crc64;
use qcos::encode::{MAX_KEY_BYTES, key_to_path, uri_encode, validate_key};

use super::{Cx, Fail, HResult, err, internal, md5_etag, meta_from_request, store_err};
use crate::http::{Body, Response};
use crate::store::{Placement, Segment};
use crate::util::xml_escape;

const MAX_FIELD: usize = 64 * 1024;
const MAX_FIELDS: usize = 200;
const MAX_PART_HEAD: usize = 16 * 1024;

fn bad(msg: impl Into<String>) -> Fail {
    err(400, "InvalidArgument", msg).into()
}

/// The boundary of `multipart/form-data; boundary=...`.
fn boundary_of(content_type: &str) -> Option<String> {
    let mut parts = content_type.split(';');
    if !parts
        .next()?
        .trim()
        .eq_ignore_ascii_case("multipart/form-data")
    {
        return None;
    }
    for p in parts {
        let (k, v) = p.split_once('=')?;
        if k.trim().eq_ignore_ascii_case("boundary") {
            let v = v.trim().trim_matches('"');
            if v.is_empty() || v.len() > 200 {
                return None;
            }
            return Some(v.to_string());
        }
    }
    None
}

/// `name` and `filename` of a `Content-Disposition: form-data; ...` value (quoted
/// strings may hold `;`; `\"` and `\\` are escapes, any other backslash is literal:
/// browsers send `%22` for a quote and old ones send Windows paths unescaped).
fn disposition(v: &str) -> Option<(String, Option<String>)> {
    let mut segs = Vec::new();
    let (mut cur, mut quoted) = (String::new(), false);
    let mut chars = v.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted && c == '\\' && matches!(chars.peek(), Some('"' | '\\')) {
            cur.extend(chars.next());
        } else if c == '"' {
            quoted = !quoted;
        } else if c == ';' && !quoted {
            segs.push(std::mem::take(&mut cur));
        } else {
            cur.push(c);
        }
    }
    segs.push(cur);
    if !segs[0].trim().eq_ignore_ascii_case("form-data") {
        return None;
    }
    let (mut name, mut filename) = (None, None);
    for s in &segs[1..] {
        if let Some((k, v)) = s.split_once('=') {
            match k.trim().to_ascii_lowercase().as_str() {
                "name" => name = Some(v.trim().to_string()),
                "filename" => filename = Some(v.trim().to_string()),
                _ => {}
            }
        }
    }
    Some((name?, filename))
}

/// A streaming `multipart/form-data` reader over the request body.
struct Multipart<'b, 'c> {
    body: &'b mut Body<'c>,
    buf: Vec<u8>,
    /// `\r\n--boundary`.
    delim: Vec<u8>,
}

impl<'b, 'c> Multipart<'b, 'c> {
    fn new(body: &'b mut Body<'c>, boundary: &str) -> Self {
        // The body starts with `--boundary`; a leading CRLF makes every delimiter alike.
        Multipart {
            body,
            buf: b"\r\n".to_vec(),
            delim: format!("\r\n--{boundary}").into_bytes(),
        }
    }

    /// Read more of the body; false at its end.
    fn fill(&mut self) -> Result<bool, Fail> {
        let mut chunk = [0u8; 64 * 1024];
        loop {
            match self.body.read(&mut chunk) {
                Ok(0) => return Ok(false),
                Ok(n) => {
                    self.buf.extend_from_slice(&chunk[..n]);
                    return Ok(true);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => return Err(Fail::Abort),
            }
        }
    }

    fn need(&mut self, n: usize) -> Result<(), Fail> {
        while self.buf.len() < n {
            if !self.fill()? {
                return Err(bad("The multipart/form-data body ends early."));
            }
        }
        Ok(())
    }

    /// Content up to the next delimiter goes to `sink`; then the delimiter and what
    /// follows it are consumed. Returns true when that was the closing delimiter.
    fn part_body(&mut self, sink: &mut dyn FnMut(&[u8]) -> Result<(), Fail>) -> Result<bool, Fail> {
        let d = self.delim.len();
        loop {
            if let Some(pos) = self.buf.windows(d).position(|w| w == self.delim.as_slice()) {
                sink(&self.buf[..pos])?;
                self.buf.drain(..pos + d);
                break;
            }
            // Keep what could be the start of a delimiter split across reads.
            let keep = d - 1;
            if self.buf.len() > keep {
                let n = self.buf.len() - keep;
                sink(&self.buf[..n])?;
                self.buf.drain(..n);
            }
            if !self.fill()? {
                return Err(bad(
                    "The multipart/form-data body ends before its closing boundary.",
                ));
            }
        }
        self.need(2)?;
        if self.buf.starts_with(b"--") {
            return Ok(true);
        }
        // Transport padding (spaces, tabs) may precede the CRLF.
        loop {
            self.need(1)?;
            match self.buf[0] {
                b' ' | b'\t' => {
                    self.buf.remove(0);
                }
                _ => break,
            }
        }
        self.need(2)?;
        if !self.buf.starts_with(b"\r\n") {
            return Err(bad("A multipart boundary is not followed by CRLF."));
        }
        self.buf.drain(..2);
        Ok(false)
    }

    /// The headers of the next part.
    fn part_headers(&mut self) -> Result<Vec<(String, String)>, Fail> {
        let end = loop {
            if let Some(p) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break p;
            }
            if self.buf.starts_with(b"\r\n") {
                // A part without headers.
                self.buf.drain(..2);
                return Ok(Vec::new());
            }
            if self.buf.len() > MAX_PART_HEAD {
                return Err(bad("A multipart part header is too large."));
            }
            if !self.fill()? {
                return Err(bad(
                    "The multipart/form-data body ends inside a part header.",
                ));
            }
        };
        let head = String::from_utf8(self.buf[..end].to_vec())
            .map_err(|_| bad("A multipart part header is not UTF-8."))?;
        self.buf.drain(..end + 4);
        Ok(head
            .split("\r\n")
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            .collect())
    }

    /// Read and ignore the rest of the body (parts after the file).
    fn drain(&mut self) -> Result<(), Fail> {
        self.buf.clear();
        while self.fill()? {
            self.buf.clear();
        }
        Ok(())
    }
}

impl Cx<'_> {
    /// POST Object (see the module docs).
    pub(super) fn post_object(&mut self, body: &mut Body<'_>) -> HResult {
        let boundary =
            boundary_of(self.req.header("content-type").unwrap_or("")).ok_or_else(|| {
                bad("POST Object needs Content-Type: multipart/form-data; boundary=...")
            })?;
        if !body.is_framed() {
            return Err(err(
                411,
                "MissingContentLength",
                "You must provide the Content-Length HTTP header.",
            )
            .into());
        }
        let mut mp = Multipart::new(body, &boundary);
        // The preamble, up to the first boundary.
        if mp.part_body(&mut |_| Ok(()))? {
            return Err(bad("The form has no fields."));
        }
        let mut fields: Vec<(String, String)> = Vec::new();
        let file_name = loop {
            let headers = mp.part_headers()?;
            let cd = headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("content-disposition"))
                .and_then(|(_, v)| disposition(v))
                .ok_or_else(|| bad("A form part has no Content-Disposition: form-data name."))?;
            let (name, filename) = cd;
            if name == "file" {
                break filename.unwrap_or_default();
            }
            if fields.len() >= MAX_FIELDS {
                return Err(bad("The form has too many fields."));
            }
            let mut value = Vec::new();
            let last = mp.part_body(&mut |c| {
                value.extend_from_slice(c);
                if value.len() > MAX_FIELD {
                    return Err(bad(format!("The form field {name:?} is too large.")));
                }
                Ok(())
            })?;
            let value = String::from_utf8(value)
                .map_err(|_| bad(format!("The form field {name:?} is not UTF-8.")))?;
            fields.push((name, value));
            if last {
                return Err(bad("The form has no file field."));
            }
        };
        // Only the name of the file, as browsers send it.
        let file_name = file_name
            .rsplit(['/', '\\'])
            .next()
            .unwrap_or_default()
            .to_string();
        let verifier = &self.sh.verifier;
        let checked = verify_post_form(
            &fields,
            &self.bucket,
            &file_name,
            |id| verifier.secret(id),
            self.sh.now(),
        )
        .map_err(|e| {
            let (status, code, message) = e.describe();
            Fail::Cos(err(status, code, message))
        })?;
        let key = checked.key.clone();
        if key.len() > MAX_KEY_BYTES {
            return Err(err(
                400,
                "KeyTooLong",
                format!("The object key is longer than {MAX_KEY_BYTES} bytes."),
            )
            .into());
        }
        validate_key(&key).map_err(|e| bad(e.to_string()))?;
        let field = |n: &str| {
            fields
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(n))
                .map(|(_, v)| v.as_str())
        };
        // Metadata from the fields, as PUT takes it from headers.
        let as_headers = crate::http::Request {
            headers: fields.clone(),
            ..self.req.clone()
        };
        let meta = meta_from_request(&as_headers)?;
        let want_md5 = super::parse_md5_header(&as_headers)?;

        let (tmp, mut file) = self.sh.store.tmp_file().map_err(internal)?;
        let mut md5 = Md5::new();
        let mut crc = Crc64::new();
        let mut size = 0u64;
        let max = checked.content_length_range.map(|(_, hi)| hi);
        let received = (|| -> Result<(), Fail> {
            let last = mp.part_body(&mut |c| {
                size += c.len() as u64;
                if max.is_some_and(|m| size > m) {
                    return Err(Fail::Cos({
                        let (s, code, m) = qcos::auth::PostPolicyError::TooLarge.describe();
                        err(s, code, m)
                    }));
                }
                md5.update(c);
                crc.update(c);
                file.write_all(c).map_err(internal)
            })?;
            if !last {
                mp.drain()?;
            }
            Ok(())
        })();
        drop(file);
        let cleanup = |e: Fail| {
            let _ = std::fs::remove_file(&tmp);
            e
        };
        received.map_err(cleanup)?;
        checked.check_length(size).map_err(|e| {
            let (s, code, m) = e.describe();
            cleanup(Fail::Cos(err(s, code, m)))
        })?;
        let md5: [u8; 16] = md5.finalize().into();
        if want_md5.is_some_and(|w| w != md5) {
            return Err(cleanup(
                err(
                    400,
                    "BadDigest",
                    "The Content-MD5 you specified did not match what was received.",
                )
                .into(),
            ));
        }
        let crc = crc.finish();
        let obj = self
            .sh
            .store
            .commit_object(
                &self.bucket,
                &key,
                &[Segment {
                    path: tmp.clone(),
                    len: size,
                }],
                // The temporary file is consumed, success or not.
                Placement::Move,
                md5_etag(&md5),
                Some(crc),
                meta,
            )
            .map_err(store_err)?;

        let host = self.req.header("host").unwrap_or("");
        let path = if host.starts_with(&format!("{}.", self.bucket)) {
            key_to_path(&key)
        } else {
            format!("/{}{}", self.bucket, key_to_path(&key))
        };
        let location = format!("http://{host}{path}");
        if let Some(redirect) = field("success_action_redirect") {
            let sep = if redirect.contains('?') { '&' } else { '?' };
            let to = format!(
                "{redirect}{sep}bucket={}&key={}&etag={}",
                uri_encode(&self.bucket),
                uri_encode(&key),
                uri_encode(&obj.etag)
            );
            return Ok(Response::new(303)
                .header("Location", to)
                .header("ETag", obj.etag.clone()));
        }
        let status = match field("success_action_status") {
            Some("200") => 200,
            Some("201") => 201,
            _ => 204,
        };
        let mut resp = if status == 201 {
            Response::xml(
                201,
                format!(
                    "{}<PostResponse><Location>{}</Location><Bucket>{}</Bucket><Key>{}</Key><ETag>{}</ETag></PostResponse>",
                    super::XML_DECL,
                    xml_escape(&location),
                    xml_escape(&self.bucket),
                    xml_escape(&key),
                    xml_escape(&obj.etag)
                ),
            )
        } else {
            Response::new(status)
        };
        resp.set_header("ETag", obj.etag.clone());
        resp.set_header("Location", location);
        resp.set_header("x-cos-hash-crc64ecma", crc.to_string());
        Ok(resp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundary_and_disposition() {
        assert_eq!(
            boundary_of("multipart/form-data; boundary=----WebKitFormBoundaryZBPbaoYE2gqeB21N")
                .as_deref(),
            Some("----WebKitFormBoundaryZBPbaoYE2gqeB21N")
        );
        assert_eq!(
            boundary_of("Multipart/Form-Data; charset=x; boundary=\"a b\"").as_deref(),
            Some("a b")
        );
        assert_eq!(boundary_of("application/json"), None);
        assert_eq!(boundary_of("multipart/form-data"), None);
        assert_eq!(
            disposition("form-data; name=\"file\"; filename=\"a;b \\\"c\\\".png\""),
            Some(("file".into(), Some("a;b \"c\".png".into())))
        );
        assert_eq!(
            disposition("form-data; name=key"),
            Some(("key".into(), None))
        );
        assert_eq!(
            disposition("form-data; name=\"file\"; filename=\"C:\\dir\\a b.png\""),
            Some(("file".into(), Some("C:\\dir\\a b.png".into())))
        );
        assert_eq!(disposition("attachment; name=\"x\""), None);
        assert_eq!(disposition("form-data; filename=\"x\""), None);
    }
}
