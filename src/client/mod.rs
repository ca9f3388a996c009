//! One method per COS operation. Each builds its request as a pure value
//! (`*_request` functions, unit-tested without a server), sends it through [`Http`], and
//! parses the answer.

mod append;
mod pool;
mod sinks;
mod types;

mod tagging_acl;
pub(crate) use tagging_acl::validate_policy;
pub use tagging_acl::{encode_tagging, validate_tags};

mod bucket_config;
pub use crate::xml::CorsRule;
pub use bucket_config::{
    BucketAcl, BucketCannedAcl, CORS_METHODS, MAX_BUCKET_TAGS, MAX_CORS_RULE_ID_CHARS,
    MAX_CORS_RULES, validate_bucket_tags, validate_cors_rules,
};
pub(crate) use bucket_config::{CorsField, check_cors_field, check_cors_id};

pub use pool::{MAX_WORKER_THREADS, worker_threads};
pub use types::*;

use std::borrow::Cow;
use std::io::{Read, Write};
use std::path::Path;
use std::sync::Arc;

use base64::Engine;
use md5::{Digest, Md5};

use crate::config::Config;
use crate::crc64;
use crate::encode::{
    key_simplifies_to_root, key_to_path, validate_bucket, validate_header, validate_key,
    validate_region,
};
use crate::error::{Error, Result};
use crate::http::{Http, Method, Request, RequestBody, Response, Target};
use crate::xml;

use sinks::{BufferSink, FileSink, WriteSink};

/// Largest body of a single PUT Object (5 GB).
pub const MAX_PUT_SIZE: u64 = 5 * 1024 * 1024 * 1024;
/// Most keys in one Delete Multiple Objects request.
pub const MAX_DELETE_KEYS: usize = 1000;

/// A COS client for one bucket (or, with an empty bucket, for GET Service only).
///
/// Cheap to clone (an `Arc`); `Send + Sync`: any number of threads may use one client at
/// once, sharing its connection pool, credentials cache and clock offset.
///
/// Each client owns a rayon pool of [`worker_threads`] threads named `qcos-worker-N`,
/// started on the first multipart transfer and shared by every transfer of the client and
/// its clones (never rayon's global pool). It ends, its threads joined, when the last
/// clone is dropped.
#[derive(Clone, Debug)]
pub struct Client {
    inner: Arc<Http>,
    pool: Arc<pool::WorkerPool>,
}

fn md5_of(data: &[u8]) -> [u8; 16] {
    Md5::digest(data).into()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn md5_of_file(path: &Path, offset: u64, len: u64) -> Result<[u8; 16]> {
    use std::io::{Seek, SeekFrom};
    let ctx = |e| Error::io(format!("reading {}", path.display()), e);
    let mut f = std::fs::File::open(path).map_err(ctx)?;
    f.seek(SeekFrom::Start(offset)).map_err(ctx)?;
    let mut f = f.take(len);
    let mut h = Md5::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut seen = 0u64;
    loop {
        let n = f.read(&mut buf).map_err(ctx)?;
        if n == 0 {
            break;
        }
        seen += n as u64;
        h.update(&buf[..n]);
    }
    if seen != len {
        return Err(ctx(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            format!("the file has {seen} of the {len} bytes expected from offset {offset}"),
        )));
    }
    Ok(h.finalize().into())
}

fn file_len(p: &Path) -> Result<u64> {
    let md = std::fs::metadata(p).map_err(|e| Error::io(format!("reading {}", p.display()), e))?;
    if !md.is_file() {
        return Err(Error::invalid(
            "path",
            format!("{} is not a regular file", p.display()),
        ));
    }
    Ok(md.len())
}

fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

fn parse_crc(resp: &Response) -> Result<Option<u64>> {
    match resp.header("x-cos-hash-crc64ecma") {
        None => Ok(None),
        Some(v) if v.trim().is_empty() => Ok(None),
        Some(v) => crc64::parse_header(v).map(Some).ok_or_else(|| {
            Error::Protocol(format!(
                "x-cos-hash-crc64ecma is {v:?}, not a decimal number"
            ))
        }),
    }
}

fn check_sent_crc(resp: &Response, what: &str) -> Result<Option<u64>> {
    let remote = parse_crc(resp)?;
    if let (Some(remote), Some(local)) = (remote, resp.sent_crc64) {
        if remote != local {
            return Err(Error::Integrity(format!(
                "{what}: COS stored CRC-64 {remote} but the bytes sent have {local} (request id {})",
                resp.request_id()
            )));
        }
    }
    Ok(remote)
}

fn opt_header(resp: &Response, name: &str) -> Option<String> {
    resp.header(name)
        .map(str::to_string)
        .filter(|s| !s.is_empty())
}

/// Check one user header for a request.
fn checked_header(name: &str, value: &str) -> Result<(String, String)> {
    validate_header(name, value)?;
    let lower = name.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "host" | "authorization" | "content-length" | "transfer-encoding" | "x-cos-security-token"
    ) {
        return Err(Error::invalid(
            "header",
            format!("{name:?} is set by qcos itself and cannot be given"),
        ));
    }
    Ok((lower, value.to_string()))
}

/// Total size of `x-cos-meta-*` names and values COS accepts (2 KB).
const MAX_META_BYTES: usize = 2048;

/// Refuse two names that are equal ignoring ASCII case. COS (like HTTP) keeps one header
/// per name and the official SDKs merge such entries into one, while our signer would
/// sign both; so the caller must say which one is meant. `names`: (name as given, name
/// as sent), in order.
fn refuse_duplicate_names(what: &'static str, names: &[(String, String)]) -> Result<()> {
    let mut order: Vec<usize> = (0..names.len()).collect();
    order.sort_by_key(|&i| (names[i].1.to_ascii_lowercase(), i));
    for w in order.windows(2) {
        let (a, b) = (&names[w[0]], &names[w[1]]);
        if a.1.eq_ignore_ascii_case(&b.1) {
            return Err(Error::invalid(
                what,
                if a.0 == b.0 {
                    format!(
                        "{:?} is given twice (options, meta and headers overlap)",
                        a.0
                    )
                } else {
                    format!(
                        "{:?} and {:?} give {:?} twice (names are case-insensitive; COS would keep one): give it once",
                        a.0,
                        b.0,
                        a.1.to_ascii_lowercase()
                    )
                },
            ));
        }
    }
    Ok(())
}

/// The headers of PUT Object / Initiate / Copy (Replaced) from options.
fn put_headers(opts: &PutObjectOptions, with_metadata: bool) -> Result<Vec<(String, String)>> {
    refuse_duplicate_names("meta", &meta_names(opts))?;
    let mut h = Vec::new();
    if with_metadata {
        h.push(checked_header(
            "content-type",
            opts.content_type
                .as_deref()
                .unwrap_or("application/octet-stream"),
        )?);
        for (name, v) in [
            ("cache-control", &opts.cache_control),
            ("content-disposition", &opts.content_disposition),
            ("content-encoding", &opts.content_encoding),
            ("expires", &opts.expires),
        ] {
            if let Some(v) = v {
                h.push(checked_header(name, v)?);
            }
        }
        for (name, v) in &opts.meta {
            if name.is_empty() || name.contains('_') {
                return Err(Error::invalid(
                    "meta",
                    format!(
                        "metadata name {name:?} must be non-empty and must not contain '_' (COS drops such headers)"
                    ),
                ));
            }
            h.push(checked_header(&format!("x-cos-meta-{name}"), v)?);
        }
        // COS's limit, checked here: a huge header would otherwise fail inside the HTTP
        // layer as a (retried) network error.
        let meta_bytes: usize = opts.meta.iter().map(|(n, v)| n.len() + v.len()).sum();
        if meta_bytes > MAX_META_BYTES {
            return Err(Error::invalid(
                "meta",
                format!(
                    "user metadata is {meta_bytes} bytes (names and values); COS allows {MAX_META_BYTES} in total"
                ),
            ));
        }
    }
    if let Some(sc) = &opts.storage_class {
        h.push(checked_header("x-cos-storage-class", sc)?);
    }
    if let Some(t) = opts.traffic_limit {
        h.push(("x-cos-traffic-limit".into(), t.to_string()));
    }
    refuse_typed_header_conflicts(opts)?;
    h.extend(tagging_acl::acl_headers(&opts.acl)?);
    if !opts.tagging.is_empty() {
        h.push(("x-cos-tagging".into(), encode_tagging(&opts.tagging)?));
    }
    for (name, v) in &opts.headers {
        h.push(checked_header(name, v)?);
    }
    refuse_duplicate_names("header", &header_names(opts, with_metadata))?;
    Ok(h)
}

/// Refuse an ACL or tags given both by the typed options (`acl`, `tagging`) and by an
/// extra header (`x-cos-acl`, `x-cos-grant-*`, `x-cos-tagging` in `headers`): one
/// source decides, so the caller must choose.
fn refuse_typed_header_conflicts(opts: &PutObjectOptions) -> Result<()> {
    for (n, _) in &opts.headers {
        let l = n.to_ascii_lowercase();
        let is_acl = l == "x-cos-acl" || tagging_acl::ACL_GRANT_HEADERS.contains(&l.as_str());
        if is_acl && !opts.acl.is_empty() {
            return Err(Error::invalid(
                "acl",
                format!(
                    "the ACL is set by the `acl` option and also by the extra header {n:?}: give the whole ACL in `acl`"
                ),
            ));
        }
        if l == "x-cos-tagging" && !opts.tagging.is_empty() {
            return Err(Error::invalid(
                "tagging",
                format!(
                    "tags are set by the `tagging` option and also by the extra header {n:?}: give them in `tagging`"
                ),
            ));
        }
    }
    Ok(())
}

/// (name as given, name as sent) of the user metadata, in order. Checked also when a
/// copy keeps the source's metadata and these are not sent: they are ambiguous anyway.
fn meta_names(opts: &PutObjectOptions) -> Vec<(String, String)> {
    opts.meta
        .iter()
        .map(|(n, _)| (n.clone(), n.clone()))
        .collect()
}

/// Refuse user metadata names, or extra header names, that differ only in case (also
/// between the two: metadata `a` and header `X-Cos-Meta-A`). The C API checks each
/// `add_meta` / `add_header` with this, so the mistake is reported where it is made.
pub(crate) fn check_user_names(opts: &PutObjectOptions) -> Result<()> {
    refuse_duplicate_names("meta", &meta_names(opts))?;
    let mut names: Vec<(String, String)> = opts
        .meta
        .iter()
        .map(|(n, _)| {
            let h = format!("x-cos-meta-{n}");
            (h.clone(), h)
        })
        .collect();
    names.extend(opts.headers.iter().map(|(n, _)| (n.clone(), n.clone())));
    refuse_duplicate_names("header", &names)?;
    refuse_typed_header_conflicts(opts)
}

/// (name as given, name as sent) of every header [`put_headers`] sends, in its order.
fn header_names(opts: &PutObjectOptions, with_metadata: bool) -> Vec<(String, String)> {
    let mut names: Vec<(String, String)> = Vec::new();
    let mut add = |given: &str, sent: &str| names.push((given.to_string(), sent.to_string()));
    if with_metadata {
        add("content_type", "content-type");
        for (field, sent, v) in [
            ("cache_control", "cache-control", &opts.cache_control),
            (
                "content_disposition",
                "content-disposition",
                &opts.content_disposition,
            ),
            (
                "content_encoding",
                "content-encoding",
                &opts.content_encoding,
            ),
            ("expires", "expires", &opts.expires),
        ] {
            if v.is_some() {
                add(field, sent);
            }
        }
        for (n, _) in &opts.meta {
            let h = format!("x-cos-meta-{n}");
            add(&h, &h);
        }
    }
    if opts.storage_class.is_some() {
        add("storage_class", "x-cos-storage-class");
    }
    if opts.traffic_limit.is_some() {
        add("traffic_limit", "x-cos-traffic-limit");
    }
    if let Ok(acl) = tagging_acl::acl_headers(&opts.acl) {
        for (sent, _) in acl {
            add("acl", &sent);
        }
    }
    if !opts.tagging.is_empty() {
        add("tagging", "x-cos-tagging");
    }
    for (n, _) in &opts.headers {
        add(n, n);
    }
    names
}

/// `x-cos-copy-source` value: `{bucket}.cos.{region}.myqcloud.com/{encoded key}[?versionId=]`.
fn copy_source_header(src: &CopySource) -> Result<String> {
    validate_bucket(&src.bucket)?;
    validate_region(&src.region)?;
    validate_key(&src.key)?;
    let mut s = format!(
        "{}.cos.{}.myqcloud.com{}",
        src.bucket,
        src.region,
        key_to_path(&src.key)
    );
    if let Some(v) = &src.version_id {
        s.push_str("?versionId=");
        s.push_str(&crate::encode::uri_encode(v));
    }
    Ok(s)
}

fn object_info(resp: &Response) -> Result<ObjectInfo> {
    let content_length = match resp.header("content-length") {
        Some(v) => v
            .trim()
            .parse()
            .map_err(|_| Error::Protocol(format!("Content-Length is {v:?}, not a number")))?,
        None => 0,
    };
    let meta = resp
        .headers
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix("x-cos-meta-")
                .map(|n| (n.to_string(), v.clone()))
        })
        .collect();
    Ok(ObjectInfo {
        http_status: resp.status,
        content_length,
        content_type: resp.header("content-type").unwrap_or("").to_string(),
        etag: resp.header("etag").unwrap_or("").to_string(),
        last_modified: resp.header("last-modified").unwrap_or("").to_string(),
        crc64: parse_crc(resp)?,
        received_crc64: resp.received_crc64,
        storage_class: opt_header(resp, "x-cos-storage-class"),
        version_id: opt_header(resp, "x-cos-version-id"),
        content_range: opt_header(resp, "content-range"),
        meta,
        headers: resp.headers.clone(),
        request_id: resp.request_id(),
    })
}

fn check_part_number(n: u32) -> Result<()> {
    if !(1..=10_000).contains(&n) {
        return Err(Error::invalid(
            "part_number",
            format!("{n} is outside 1..=10000"),
        ));
    }
    Ok(())
}

fn check_upload_id(id: &str) -> Result<()> {
    if id.is_empty() || id.chars().any(|c| c.is_control()) {
        return Err(Error::invalid(
            "upload_id",
            "the upload id is empty or contains control characters",
        ));
    }
    Ok(())
}

/// The full-object CRC check of a download: only for a 200 answer to a request without a
/// range, when COS sent a CRC.
fn check_download_crc(resp: &Response, ranged: bool, key: &str) -> Result<()> {
    if ranged || resp.status != 200 {
        return Ok(());
    }
    if let (Some(remote), Some(local)) = (parse_crc(resp)?, resp.received_crc64) {
        if remote != local {
            return Err(Error::Integrity(format!(
                "downloaded {key:?}: CRC-64 of the received bytes is {local}, COS says {remote} (request id {})",
                resp.request_id()
            )));
        }
    }
    if let Some(len) = resp.header("content-length") {
        if len.trim().parse::<u64>().ok() != Some(resp.received_len) {
            return Err(Error::Integrity(format!(
                "downloaded {key:?}: received {} bytes, Content-Length said {len}",
                resp.received_len
            )));
        }
    }
    Ok(())
}

impl Client {
    /// Validate the configuration and build the client (no network I/O happens here).
    pub fn new(config: Config) -> Result<Client> {
        let http = Http::new(&config)?;
        Ok(Client {
            pool: Arc::new(pool::WorkerPool::new(worker_threads(&config))),
            inner: Arc::new(http),
        })
    }

    /// Threads of the client's worker pool (see [`worker_threads`]).
    pub fn worker_threads(&self) -> usize {
        self.pool.size()
    }

    /// The client's worker pool, started on first use; `None` only when its threads
    /// could not be started.
    pub(crate) fn worker_pool(&self) -> Option<&rayon::ThreadPool> {
        self.pool.get()
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        self.inner.config()
    }

    /// The HTTP layer (clock offset, credentials, addressing).
    pub fn http(&self) -> &Http {
        &self.inner
    }

    /// Seconds added to the local clock when signing, learned from the server's `Date`.
    pub fn clock_offset(&self) -> i64 {
        self.inner.clock_offset()
    }

    // ------------------------------------------------------------------------------
    // Pure request builders.

    fn object_key(&self, key: &str) -> Result<Target> {
        validate_key(key)?;
        Ok(Target::Object(key.to_string()))
    }

    /// PUT Object request (pure apart from hashing a file when an MD5 is asked for).
    pub fn put_object_request<'a>(
        &self,
        key: &str,
        body: Body<'a>,
        opts: &PutObjectOptions,
    ) -> Result<Request<'a>> {
        let target = self.object_key(key)?;
        let cfg = self.config();
        let want_md5 = opts
            .check_content_md5
            .unwrap_or(cfg.upload_check_content_md5);
        let want_meta_md5 = opts.add_meta_md5.unwrap_or(cfg.upload_add_meta_md5);
        let mut headers = put_headers(opts, true)?;
        for (on, name, setting) in [
            (want_md5, "content-md5", "check_content_md5"),
            (want_meta_md5, "x-cos-meta-md5", "add_meta_md5"),
        ] {
            if on && headers.iter().any(|(k, _)| k == name) {
                return Err(Error::invalid(
                    "header",
                    format!(
                        "{name:?} is given in the options and also computed because {setting} is on: give one"
                    ),
                ));
            }
        }
        let body = match body {
            Body::Bytes(b) => RequestBody::Bytes(Cow::Borrowed(b)),
            Body::File(p) => RequestBody::File {
                path: p,
                offset: 0,
                len: file_len(p)?,
            },
            Body::FileRange { path, offset, len } => {
                let size = file_len(path)?;
                if offset.checked_add(len).is_none_or(|end| end > size) {
                    return Err(Error::invalid(
                        "range",
                        format!(
                            "{offset}+{len} is beyond the end of {} ({size} bytes)",
                            path.display()
                        ),
                    ));
                }
                RequestBody::File { path, offset, len }
            }
            Body::Reader { reader, len } => {
                if want_md5 || want_meta_md5 {
                    let mut buf = Vec::with_capacity(len.min(64 << 20) as usize);
                    reader
                        .take(len)
                        .read_to_end(&mut buf)
                        .map_err(|e| Error::io("reading the request body", e))?;
                    if (buf.len() as u64) != len {
                        return Err(Error::io(
                            "request body",
                            std::io::Error::new(
                                std::io::ErrorKind::UnexpectedEof,
                                format!("the reader gave {} of {len} bytes", buf.len()),
                            ),
                        ));
                    }
                    RequestBody::Bytes(Cow::Owned(buf))
                } else {
                    RequestBody::Reader { reader, len }
                }
            }
        };
        if body.len() > MAX_PUT_SIZE {
            return Err(Error::invalid(
                "body",
                format!(
                    "{} bytes is more than PUT Object's 5 GB limit; use a multipart upload",
                    body.len()
                ),
            ));
        }
        if want_md5 || want_meta_md5 {
            let digest = match &body {
                RequestBody::Bytes(b) => md5_of(b),
                RequestBody::File { path, offset, len } => md5_of_file(path, *offset, *len)?,
                _ => md5_of(&[]),
            };
            if want_md5 {
                headers.push(("content-md5".into(), b64(&digest)));
            }
            if want_meta_md5 {
                headers.push(("x-cos-meta-md5".into(), hex(&digest)));
            }
        }
        let mut req = Request::new(Method::Put, target).body(body);
        req.headers = headers;
        Ok(req)
    }

    fn get_headers_and_query(&self, opts: &GetObjectOptions, req: &mut Request<'_>) -> Result<()> {
        if let Some(v) = &opts.version_id {
            req.query.push(("versionId".into(), Some(v.clone())));
        }
        for (name, v) in [
            ("response-cache-control", &opts.response_cache_control),
            (
                "response-content-disposition",
                &opts.response_content_disposition,
            ),
            ("response-content-encoding", &opts.response_content_encoding),
            ("response-content-language", &opts.response_content_language),
            ("response-content-type", &opts.response_content_type),
            ("response-expires", &opts.response_expires),
        ] {
            if let Some(v) = v {
                req.query.push((name.into(), Some(v.clone())));
            }
        }
        if let Some((first, last)) = opts.range {
            let r = match last {
                Some(l) if l < first => {
                    return Err(Error::invalid(
                        "range",
                        format!("the range ends ({l}) before it starts ({first})"),
                    ));
                }
                Some(l) => format!("bytes={first}-{l}"),
                None => format!("bytes={first}-"),
            };
            req.headers.push(("range".into(), r));
        }
        for (name, v) in [
            ("if-match", &opts.if_match),
            ("if-none-match", &opts.if_none_match),
            ("if-modified-since", &opts.if_modified_since),
            ("if-unmodified-since", &opts.if_unmodified_since),
        ] {
            if let Some(v) = v {
                req.headers.push(checked_header(name, v)?);
            }
        }
        if let Some(t) = opts.traffic_limit {
            req.headers
                .push(("x-cos-traffic-limit".into(), t.to_string()));
        }
        Ok(())
    }

    /// GET Object request. Refuses keys that normalise to the bucket root (a GET of those
    /// would silently become a bucket listing).
    pub fn get_object_request(
        &self,
        key: &str,
        opts: &GetObjectOptions,
    ) -> Result<Request<'static>> {
        if key_simplifies_to_root(key) {
            return Err(Error::invalid(
                "key",
                format!("{key:?} normalises to the bucket root; GET of it would list the bucket"),
            ));
        }
        let mut req = Request::new(Method::Get, self.object_key(key)?);
        self.get_headers_and_query(opts, &mut req)?;
        Ok(req)
    }

    /// HEAD Object request (versionId and the If-* conditions of `opts` apply).
    pub fn head_object_request(
        &self,
        key: &str,
        opts: &GetObjectOptions,
    ) -> Result<Request<'static>> {
        let mut req = Request::new(Method::Head, self.object_key(key)?);
        let mut o = opts.clone();
        o.range = None;
        self.get_headers_and_query(&o, &mut req)?;
        Ok(req)
    }

    /// Delete Multiple Objects request (`Content-MD5` is mandatory for it).
    pub fn delete_objects_request(&self, keys: &[&str], quiet: bool) -> Result<Request<'static>> {
        if keys.is_empty() {
            return Err(Error::invalid("keys", "no keys to delete"));
        }
        if keys.len() > MAX_DELETE_KEYS {
            return Err(Error::invalid(
                "keys",
                format!(
                    "{} keys; COS deletes at most {MAX_DELETE_KEYS} per request",
                    keys.len()
                ),
            ));
        }
        for k in keys {
            validate_key(k)?;
            // The only characters a valid key can have that XML 1.0 cannot carry at all.
            if let Some(c) = k.chars().find(|c| matches!(c, '\u{FFFE}' | '\u{FFFF}')) {
                return Err(Error::invalid(
                    "keys",
                    format!(
                        "the key {k:?} contains U+{:04X}, which the XML body of Delete Multiple Objects cannot carry; delete it with delete_object",
                        c as u32
                    ),
                ));
            }
        }
        let objs: Vec<(&str, Option<&str>)> = keys.iter().map(|k| (*k, None)).collect();
        let body = xml::delete_body(&objs, quiet).into_bytes();
        Ok(Request::new(Method::Post, Target::Bucket)
            .query("delete", None)
            .header("content-type", "application/xml")
            .header("content-md5", b64(&md5_of(&body)))
            .body(RequestBody::Bytes(Cow::Owned(body))))
    }

    /// PUT Object - Copy request.
    pub fn copy_object_request(
        &self,
        key: &str,
        src: &CopySource,
        opts: &CopyObjectOptions,
    ) -> Result<Request<'static>> {
        let target = self.object_key(key)?;
        let mut req = Request::new(Method::Put, target)
            .header("x-cos-copy-source", copy_source_header(src)?)
            .header(
                "x-cos-metadata-directive",
                if opts.metadata_directive_replace {
                    "Replaced"
                } else {
                    "Copy"
                },
            );
        if opts.tagging_directive_replace {
            req = req.header("x-cos-tagging-directive", "Replaced");
        } else if !opts.put.tagging.is_empty() {
            return Err(Error::invalid(
                "tagging",
                "tags are given but the copy keeps the source's tags: set tagging_directive_replace to replace them",
            ));
        }
        req.headers
            .extend(put_headers(&opts.put, opts.metadata_directive_replace)?);
        Ok(req)
    }

    /// GET Bucket request. Always asks for `encoding-type=url` so any key survives XML.
    pub fn list_objects_request(&self, opts: &ListObjectsOptions) -> Result<Request<'static>> {
        let mut req = Request::new(Method::Get, Target::Bucket);
        if !opts.delimiter.is_empty() {
            req = req.query("delimiter", Some(&opts.delimiter));
        }
        req = req.query("encoding-type", Some("url"));
        if !opts.marker.is_empty() {
            req = req.query("marker", Some(&opts.marker));
        }
        if let Some(m) = opts.max_keys {
            if !(1..=1000).contains(&m) {
                return Err(Error::invalid(
                    "max_keys",
                    format!("{m} is outside 1..=1000"),
                ));
            }
            req = req.query("max-keys", Some(&m.to_string()));
        }
        Ok(req.query("prefix", Some(&opts.prefix)))
    }

    /// Upload Part request.
    pub fn upload_part_request<'a>(
        &self,
        key: &str,
        upload_id: &str,
        part_number: u32,
        body: Body<'a>,
        opts: &UploadPartOptions,
    ) -> Result<Request<'a>> {
        check_part_number(part_number)?;
        check_upload_id(upload_id)?;
        let popts = PutObjectOptions {
            check_content_md5: Some(opts.content_md5),
            add_meta_md5: Some(false),
            traffic_limit: opts.traffic_limit,
            ..Default::default()
        };
        let mut req = self.put_object_request(key, body, &popts)?;
        // Parts carry no object metadata.
        req.headers.retain(|(k, _)| k != "content-type");
        req.query = vec![
            ("partNumber".into(), Some(part_number.to_string())),
            ("uploadId".into(), Some(upload_id.to_string())),
        ];
        Ok(req)
    }

    /// Complete Multipart Upload request: parts sorted ascending, duplicates refused,
    /// compact body with quoted ETags, long timeout.
    pub fn complete_request(
        &self,
        key: &str,
        upload_id: &str,
        parts: &[(u32, String)],
    ) -> Result<Request<'static>> {
        check_upload_id(upload_id)?;
        if parts.is_empty() {
            return Err(Error::invalid("parts", "no parts to complete"));
        }
        let mut sorted = parts.to_vec();
        sorted.sort_by_key(|(n, _)| *n);
        for w in sorted.windows(2) {
            if w[0].0 == w[1].0 {
                return Err(Error::invalid(
                    "parts",
                    format!("part {} is listed twice", w[0].0),
                ));
            }
        }
        for (n, etag) in &sorted {
            check_part_number(*n)?;
            if etag.trim().trim_matches('"').is_empty() {
                return Err(Error::invalid(
                    "parts",
                    format!("part {n} has an empty ETag"),
                ));
            }
        }
        let body = xml::complete_body(&sorted).into_bytes();
        let mut req = Request::new(Method::Post, self.object_key(key)?)
            .query("uploadId", Some(upload_id))
            .header("content-type", "application/xml")
            .header("content-md5", b64(&md5_of(&body)))
            .body(RequestBody::Bytes(Cow::Owned(body)));
        req.long_running = true;
        Ok(req)
    }

    // ------------------------------------------------------------------------------
    // Operations.

    /// PUT Object from bytes, a file, or a reader of known length. The CRC-64 COS reports
    /// is checked against the bytes sent (mismatch → `Error::Integrity`).
    pub fn put_object(
        &self,
        key: &str,
        body: Body<'_>,
        opts: &PutObjectOptions,
    ) -> Result<PutObjectOutput> {
        let req = self.put_object_request(key, body, opts)?;
        let resp = self.inner.send(req)?;
        let crc64 = check_sent_crc(&resp, &format!("PUT {key:?}"))?;
        Ok(PutObjectOutput {
            etag: resp.header("etag").unwrap_or("").to_string(),
            crc64,
            version_id: opt_header(&resp, "x-cos-version-id"),
            request_id: resp.request_id(),
        })
    }

    /// GET Object into `sink`. For a full-object GET the CRC-64 of the received bytes is
    /// checked against `x-cos-hash-crc64ecma` after the last byte was written (the sink
    /// already holds the data when the check fails).
    ///
    /// A body cut midway (network error, timeout) is resumed, not failed: within
    /// `max_retries` the rest is asked for with a `Range` from the next byte and
    /// `If-Match` on the first answer's ETag, and appended, so `sink` receives every byte
    /// exactly once. If the object was replaced meanwhile, the call fails with a
    /// `Service` error (HTTP 412, "the object changed while its download was being
    /// resumed") and `sink` holds only a prefix of the version it started with. An
    /// object whose answer has no ETag cannot be pinned: a cut body then fails with
    /// `Network`/`Timeout` as soon as bytes reached `sink`. The returned info describes
    /// the whole delivery (the first answer's status, `content_length` of what was asked,
    /// `received_crc64` of every byte delivered).
    pub fn get_object(
        &self,
        key: &str,
        opts: &GetObjectOptions,
        sink: &mut dyn Write,
    ) -> Result<ObjectInfo> {
        let req = self.get_object_request(key, opts)?;
        let mut s = WriteSink { out: sink };
        let resp = self.inner.send_to(req, &mut s)?;
        check_download_crc(&resp, opts.range.is_some(), key)?;
        object_info(&resp)
    }

    /// GET Object into a file, atomically: the body goes to a temporary file in the same
    /// directory, which is fsynced and renamed over `path` only after the whole body
    /// arrived (and, for a full-object GET, its CRC-64 matched). A body broken midway
    /// (network error, timeout) is resumed into the temporary file from the next byte,
    /// as for [`Client::get_object`] (pinned with `If-Match` to the first answer's ETag,
    /// within `max_retries`; an answer without an ETag is not resumed). On any failure
    /// the temporary file is removed and an existing `path` is left untouched.
    pub fn get_object_to_file(
        &self,
        key: &str,
        path: &Path,
        opts: &GetObjectOptions,
    ) -> Result<ObjectInfo> {
        let req = self.get_object_request(key, opts)?;
        let mut sink = FileSink::create(path)?;
        let result = self.inner.send_to(req, &mut sink).and_then(|resp| {
            check_download_crc(&resp, opts.range.is_some(), key)?;
            object_info(&resp)
        });
        match result {
            Ok(info) => {
                sink.commit()?;
                Ok(info)
            }
            Err(e) => {
                sink.discard();
                Err(e)
            }
        }
    }

    /// GET Object into `buf`; returns the info and the number of bytes written. When the
    /// object (or range) is larger than `buf`: `Error::BufferTooSmall` with the size needed.
    /// A body cut midway is resumed as for [`Client::get_object`].
    pub fn get_object_to_buffer(
        &self,
        key: &str,
        buf: &mut [u8],
        opts: &GetObjectOptions,
    ) -> Result<(ObjectInfo, usize)> {
        let req = self.get_object_request(key, opts)?;
        let capacity = buf.len() as u64;
        let mut sink = BufferSink::new(buf);
        let resp = self.inner.send_to(req, &mut sink)?;
        let (written, needed) = sink.finish();
        if needed > written as u64 {
            return Err(Error::BufferTooSmall { needed, capacity });
        }
        check_download_crc(&resp, opts.range.is_some(), key)?;
        Ok((object_info(&resp)?, written))
    }

    /// HEAD Object.
    pub fn head_object(&self, key: &str, opts: &GetObjectOptions) -> Result<ObjectInfo> {
        let resp = self.inner.send(self.head_object_request(key, opts)?)?;
        object_info(&resp)
    }

    /// DELETE Object (deleting a missing key succeeds, as in COS).
    pub fn delete_object(&self, key: &str) -> Result<()> {
        self.inner
            .send(Request::new(Method::Delete, self.object_key(key)?))?;
        Ok(())
    }

    /// Delete Multiple Objects (at most 1000 keys). Per-key failures are in `errors`.
    pub fn delete_objects(&self, keys: &[&str], quiet: bool) -> Result<DeleteObjectsOutput> {
        let resp = self.inner.send(self.delete_objects_request(keys, quiet)?)?;
        xml::parse_delete_result(&resp.body)
    }

    /// PUT Object - Copy. An `<Error>` inside a 200 answer is a failure.
    pub fn copy_object(
        &self,
        key: &str,
        src: &CopySource,
        opts: &CopyObjectOptions,
    ) -> Result<CopyObjectOutput> {
        let (resp, r) = self.send_copy(|| self.copy_object_request(key, src, opts))?;
        Ok(CopyObjectOutput {
            etag: r.etag,
            crc64: parse_crc(&resp)?.or(r.crc64),
            last_modified: r.last_modified,
            version_id: r
                .version_id
                .or_else(|| opt_header(&resp, "x-cos-version-id")),
            request_id: resp.request_id(),
        })
    }

    /// Send a copy request and parse its result. COS may answer a copy with an `<Error>`
    /// inside a 200; when that error is temporary (InternalError, SlowDown,
    /// ServiceUnavailable) the copy is sent again (it has no body), with the same backoff
    /// and retry count as any retryable failure.
    fn send_copy(
        &self,
        build: impl Fn() -> Result<Request<'static>>,
    ) -> Result<(Response, xml::CopyResult)> {
        let mut retries = 0;
        loop {
            let mut req = build()?;
            if retries > 0 {
                req.headers.push(("x-cos-sdk-retry".into(), "true".into()));
            }
            let resp = self.inner.send(req)?;
            match xml::parse_copy_result(&resp.body, resp.status) {
                Ok(r) => return Ok((resp, r)),
                Err(Error::Service(mut s)) => {
                    if s.request_id.is_empty() {
                        s.request_id = resp.request_id();
                    }
                    if s.is_retryable() && retries < self.config().max_retries {
                        retries += 1;
                        std::thread::sleep(crate::http::backoff_delay(
                            self.config().retry_base_delay_ms,
                            retries,
                        ));
                        continue;
                    }
                    return Err(Error::Service(s));
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// One page of GET Bucket.
    pub fn list_objects(&self, opts: &ListObjectsOptions) -> Result<ListObjectsPage> {
        let resp = self.inner.send(self.list_objects_request(opts)?)?;
        xml::parse_list_objects(&resp.body)
    }

    /// Every page of GET Bucket, following `NextMarker`.
    pub fn list_objects_pages(&self, opts: ListObjectsOptions) -> ListObjectsPages {
        ListObjectsPages {
            client: self.clone(),
            opts,
            done: false,
        }
    }

    /// HEAD Bucket.
    pub fn head_bucket(&self) -> Result<BucketInfo> {
        let resp = self
            .inner
            .send(Request::new(Method::Head, Target::Bucket))?;
        Ok(BucketInfo {
            region: opt_header(&resp, "x-cos-bucket-region"),
            request_id: resp.request_id(),
        })
    }

    /// PUT Bucket (create the configured bucket).
    pub fn create_bucket(&self) -> Result<()> {
        self.inner.send(Request::new(Method::Put, Target::Bucket))?;
        Ok(())
    }

    /// DELETE Bucket (must be empty).
    pub fn delete_bucket(&self) -> Result<()> {
        self.inner
            .send(Request::new(Method::Delete, Target::Bucket))?;
        Ok(())
    }

    /// GET Service: every bucket of the account (all pages).
    pub fn list_buckets(&self) -> Result<Vec<BucketSummary>> {
        let mut out = Vec::new();
        let mut marker = String::new();
        loop {
            let mut req = Request::new(Method::Get, Target::Service);
            if !marker.is_empty() {
                req = req.query("marker", Some(&marker));
            }
            let resp = self.inner.send(req)?;
            let page = xml::parse_list_buckets(&resp.body)?;
            out.extend(page.buckets);
            if !page.is_truncated {
                return Ok(out);
            }
            if page.next_marker.is_empty() || page.next_marker == marker {
                return Err(Error::Protocol(
                    "GET Service is truncated but gives no new NextMarker".into(),
                ));
            }
            marker = page.next_marker;
        }
    }

    /// Initiate Multipart Upload; returns the UploadId. The metadata of `opts` applies to
    /// the final object.
    pub fn initiate_multipart_upload(&self, key: &str, opts: &PutObjectOptions) -> Result<String> {
        let mut req = Request::new(Method::Post, self.object_key(key)?).query("uploads", None);
        req.headers = put_headers(opts, true)?;
        let resp = self.inner.send(req)?;
        xml::parse_initiate(&resp.body)
    }

    /// Upload Part. The part's CRC-64 from COS is checked against the bytes sent.
    pub fn upload_part(
        &self,
        key: &str,
        upload_id: &str,
        part_number: u32,
        body: Body<'_>,
        opts: &UploadPartOptions,
    ) -> Result<PartOutput> {
        let req = self.upload_part_request(key, upload_id, part_number, body, opts)?;
        let resp = self.inner.send(req)?;
        let crc64 = check_sent_crc(&resp, &format!("part {part_number} of {key:?}"))?;
        let etag = resp.header("etag").unwrap_or("").to_string();
        if etag.is_empty() {
            return Err(Error::Protocol(format!(
                "Upload Part {part_number} answered without an ETag (request id {})",
                resp.request_id()
            )));
        }
        Ok(PartOutput { etag, crc64 })
    }

    /// Upload Part - Copy of `range` (inclusive bytes; `None` = the whole source).
    pub fn upload_part_copy(
        &self,
        key: &str,
        upload_id: &str,
        part_number: u32,
        src: &CopySource,
        range: Option<(u64, u64)>,
    ) -> Result<PartOutput> {
        check_part_number(part_number)?;
        check_upload_id(upload_id)?;
        let mut req = Request::new(Method::Put, self.object_key(key)?)
            .query("partNumber", Some(&part_number.to_string()))
            .query("uploadId", Some(upload_id))
            .header("x-cos-copy-source", copy_source_header(src)?);
        if let Some((a, b)) = range {
            if b < a {
                return Err(Error::invalid(
                    "range",
                    format!("the range ends ({b}) before it starts ({a})"),
                ));
            }
            req = req.header("x-cos-copy-source-range", format!("bytes={a}-{b}"));
        }
        let (resp, r) = self.send_copy(|| Ok(req.clone_without_body()))?;
        Ok(PartOutput {
            etag: r.etag,
            crc64: parse_crc(&resp)?.or(r.crc64),
        })
    }

    /// Complete Multipart Upload. Waits long (COS merges parts while streaming
    /// whitespace) and treats an `<Error>` inside a 200 as a failure.
    pub fn complete_multipart_upload(
        &self,
        key: &str,
        upload_id: &str,
        parts: &[(u32, String)],
    ) -> Result<CompleteOutput> {
        let resp = self
            .inner
            .send(self.complete_request(key, upload_id, parts)?)?;
        let r = xml::parse_complete(&resp.body, resp.status).map_err(|e| match e {
            Error::Service(mut s) => {
                if s.request_id.is_empty() {
                    s.request_id = resp.request_id();
                }
                Error::Service(s)
            }
            other => other,
        })?;
        Ok(CompleteOutput {
            etag: r.etag,
            crc64: parse_crc(&resp)?,
            location: r.location,
            version_id: opt_header(&resp, "x-cos-version-id"),
            request_id: resp.request_id(),
        })
    }

    /// Abort Multipart Upload.
    pub fn abort_multipart_upload(&self, key: &str, upload_id: &str) -> Result<()> {
        check_upload_id(upload_id)?;
        let req =
            Request::new(Method::Delete, self.object_key(key)?).query("uploadId", Some(upload_id));
        self.inner.send(req)?;
        Ok(())
    }

    /// List Parts: every part of an upload (all pages).
    pub fn list_parts(&self, key: &str, upload_id: &str) -> Result<Vec<PartInfo>> {
        check_upload_id(upload_id)?;
        let target = self.object_key(key)?;
        let mut out = Vec::new();
        let mut marker = String::new();
        loop {
            let mut req =
                Request::new(Method::Get, target.clone()).query("uploadId", Some(upload_id));
            if !marker.is_empty() {
                req = req.query("part-number-marker", Some(&marker));
            }
            let resp = self.inner.send(req)?;
            let page = xml::parse_list_parts(&resp.body)?;
            out.extend(page.parts);
            if !page.is_truncated {
                return Ok(out);
            }
            if page.next_part_number_marker == marker {
                return Err(Error::Protocol(
                    "List Parts is truncated but the marker does not advance".into(),
                ));
            }
            marker = page.next_part_number_marker;
        }
    }

    /// List Multipart Uploads under `prefix` (all pages; keys URL-decoded).
    pub fn list_multipart_uploads(&self, prefix: &str) -> Result<Vec<UploadInfo>> {
        let mut out = Vec::new();
        let (mut key_marker, mut id_marker) = (String::new(), String::new());
        loop {
            let mut req = Request::new(Method::Get, Target::Bucket)
                .query("uploads", None)
                .query("encoding-type", Some("url"));
            if !key_marker.is_empty() {
                req = req.query("key-marker", Some(&key_marker));
                if !id_marker.is_empty() {
                    req = req.query("upload-id-marker", Some(&id_marker));
                }
            }
            req = req.query("prefix", Some(prefix));
            let resp = self.inner.send(req)?;
            let page = xml::parse_list_uploads(&resp.body)?;
            out.extend(page.uploads);
            if !page.is_truncated {
                return Ok(out);
            }
            if page.next_key_marker == key_marker && page.next_upload_id_marker == id_marker {
                return Err(Error::Protocol(
                    "List Multipart Uploads is truncated but the markers do not advance".into(),
                ));
            }
            key_marker = page.next_key_marker;
            id_marker = page.next_upload_id_marker;
        }
    }
}

/// Iterator over the pages of GET Bucket ([`Client::list_objects_pages`]). Stops after
/// the last page or the first error.
#[derive(Debug)]
pub struct ListObjectsPages {
    client: Client,
    opts: ListObjectsOptions,
    done: bool,
}

impl ListObjectsPages {
    /// The marker the next page will start from.
    pub fn marker(&self) -> &str {
        &self.opts.marker
    }
}

impl Iterator for ListObjectsPages {
    type Item = Result<ListObjectsPage>;

    /// The next page. A truncated page must move the marker strictly forward (COS lists
    /// in byte order): a page with no NextMarker and nothing to continue after, or whose
    /// marker does not advance, is an `Error::Protocol` naming the marker, so a
    /// misbehaving service can never make the pager loop.
    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let marker = self.opts.marker.clone();
        self.done = true; // until this page proves there is another
        let page = match self.client.list_objects(&self.opts) {
            Ok(page) => page,
            // Such as a truncated page with no NextMarker, key or prefix to continue from.
            Err(Error::Protocol(m)) => {
                return Some(Err(Error::Protocol(format!(
                    "GET Bucket after marker {marker:?}: {m}"
                ))));
            }
            Err(e) => return Some(Err(e)),
        };
        if page.is_truncated {
            if page.next_marker.as_str() <= marker.as_str() {
                return Some(Err(Error::Protocol(format!(
                    "GET Bucket after marker {marker:?} is truncated but its next marker {:?} \
                     does not advance past it",
                    page.next_marker
                ))));
            }
            self.opts.marker = page.next_marker.clone();
            self.done = false;
        }
        Some(Ok(page))
    }
}

#[cfg(test)]
mod tests;
