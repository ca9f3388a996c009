//! The only code that does network I/O.
//!
//! A request arrives here as a pure value ([`Request`]: method, target, query, headers,
//! body source). For each attempt [`Http`] resolves where to connect and which `Host` to
//! send ([`resolve`]), takes credentials (static or from the provider, cached and
//! refreshed before they expire), signs afresh with the clock corrected by the learned
//! server offset, sends through one ureq `Agent` (keep-alive pool), and turns the answer
//! into a [`Response`] or an [`Error`]. Retryable failures of replayable requests are
//! retried with jittered exponential backoff and `x-cos-sdk-retry: true`; a clock-skew
//! answer updates the offset from the response `Date` and the request is re-signed and
//! sent once more. A GET body streamed into a sink that breaks midway is continued with
//! a `Range` for the rest, pinned by `If-Match` to the first answer's ETag
//! ([`Http::send_to`]). With `Config::auto_switch_host`, a retry after a failure that
//! did not come from COS (network error, timeout, 5xx/301/302/307 without a request
//! id) goes to the backup domain `{Bucket}.cos.{Region}.tencentcos.cn`
//! ([`backup_address`]); the switch lasts for the rest of that request only.

use std::borrow::Cow;
use std::fs::File;
use std::hash::{BuildHasher, Hasher};
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::auth::{self, CredentialProvider, Credentials, KeyTime};
use crate::config::{
    Config, Endpoint, Protocol, domain_host, expand_domain, parse_endpoint, service_host,
};
use crate::crc64::Crc64;
use crate::encode::{key_to_path, query_string};
use crate::error::{Error, Result, ServiceError};

mod wire;

/// HTTP methods COS uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
    Put,
    Post,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Put => "PUT",
            Method::Post => "POST",
            Method::Delete => "DELETE",
        }
    }
}

/// What a request addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// GET Service (all buckets): `service.cos.myqcloud.com`.
    Service,
    /// The configured bucket (`/`).
    Bucket,
    /// An object of the configured bucket (the key, unencoded).
    Object(String),
}

/// Where a request body comes from.
pub enum RequestBody<'a> {
    /// No body.
    Empty,
    /// Bytes in memory (replayable).
    Bytes(Cow<'a, [u8]>),
    /// `len` bytes of a file from `offset` (replayable: reopened for each attempt).
    File {
        path: &'a Path,
        offset: u64,
        len: u64,
    },
    /// A one-shot reader delivering exactly `len` bytes (never retried).
    Reader {
        reader: &'a mut (dyn Read + Send),
        len: u64,
    },
}

impl RequestBody<'_> {
    /// Length in bytes.
    pub fn len(&self) -> u64 {
        match self {
            RequestBody::Empty => 0,
            RequestBody::Bytes(b) => b.len() as u64,
            RequestBody::File { len, .. } | RequestBody::Reader { len, .. } => *len,
        }
    }
    /// True for an empty body.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Can this body be sent again?
    pub fn is_replayable(&self) -> bool {
        !matches!(self, RequestBody::Reader { .. })
    }
}

impl std::fmt::Debug for RequestBody<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RequestBody::Empty => f.write_str("Empty"),
            RequestBody::Bytes(b) => write!(f, "Bytes({} bytes)", b.len()),
            RequestBody::File { path, offset, len } => {
                write!(f, "File({}, {offset}+{len})", path.display())
            }
            RequestBody::Reader { len, .. } => write!(f, "Reader({len} bytes)"),
        }
    }
}

/// A request as a value: built by `client.rs`, signed and sent here.
#[derive(Debug)]
pub struct Request<'a> {
    pub method: Method,
    pub target: Target,
    /// Query parameters in wire order (sub-resource first); `None` = bare flag.
    pub query: Vec<(String, Option<String>)>,
    /// Request headers (names lowercase). `Host`, `Authorization`, the security token and
    /// the retry marker are added per attempt; `Content-Length` is added for bodies.
    pub headers: Vec<(String, String)>,
    pub body: RequestBody<'a>,
    /// Needs the long timeout of Complete Multipart Upload (COS may merge for minutes).
    pub long_running: bool,
    /// Compute the CRC-64 of the body as it is sent ([`Response::sent_crc64`]). On by
    /// default; the transfer engine turns it off for bodies it has already hashed while
    /// filling the buffer they are sent from, so no byte is hashed twice.
    pub hash_body: bool,
}

impl<'a> Request<'a> {
    /// A request without query, headers or body.
    pub fn new(method: Method, target: Target) -> Request<'a> {
        Request {
            method,
            target,
            query: Vec::new(),
            headers: Vec::new(),
            body: RequestBody::Empty,
            long_running: false,
            hash_body: true,
        }
    }
    /// Add a query parameter.
    pub fn query(mut self, name: &str, value: Option<&str>) -> Self {
        self.query
            .push((name.to_string(), value.map(|v| v.to_string())));
        self
    }
    /// Add a header (name lowercased).
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_ascii_lowercase(), value.into()));
        self
    }
    /// Set the body.
    pub fn body(mut self, body: RequestBody<'a>) -> Self {
        self.body = body;
        self
    }
    /// Do not compute the body's CRC-64 while sending (the caller hashed these exact
    /// bytes already); [`Response::sent_crc64`] is then `None`.
    pub fn without_body_crc(mut self) -> Self {
        self.hash_body = false;
        self
    }
    /// A copy of a request without a body (method, target, query, headers, timeout
    /// class), e.g. to send a bodiless request again.
    pub fn clone_without_body(&self) -> Request<'static> {
        Request {
            method: self.method,
            target: self.target.clone(),
            query: self.query.clone(),
            headers: self.headers.clone(),
            body: RequestBody::Empty,
            long_running: self.long_running,
            hash_body: self.hash_body,
        }
    }
    /// The value of a header set on the request.
    pub fn header_value(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// An answer with a 2xx status.
#[derive(Debug, Clone, Default)]
pub struct Response {
    pub status: u16,
    /// Response headers, names lowercased, in arrival order.
    pub headers: Vec<(String, String)>,
    /// The body, unless it was streamed into a sink.
    pub body: Vec<u8>,
    /// CRC-64 of the request body as sent by the successful attempt.
    pub sent_crc64: Option<u64>,
    /// CRC-64 and length of the body streamed into a sink.
    pub received_crc64: Option<u64>,
    pub received_len: u64,
}

impl Response {
    /// First value of a header (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }
    /// `x-cos-request-id`, or "".
    pub fn request_id(&self) -> String {
        self.header("x-cos-request-id").unwrap_or("").to_string()
    }
}

fn find_header<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Receives the body of a 2xx response (GET Object).
pub trait ResponseSink {
    /// Called once with the status and headers before any body byte. An error aborts the
    /// request and is returned as is (e.g. `BufferTooSmall`).
    fn begin(&mut self, status: u16, headers: &[(String, String)]) -> Result<()>;
    /// Called with consecutive pieces of the body.
    fn write(&mut self, data: &[u8]) -> Result<()>;
}

/// Where and how to send a request: the connect URL (with path and query), the `Host`
/// header, and the decoded path that is signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    pub url: String,
    pub host: String,
    pub sign_path: String,
}

impl Address {
    /// The `host[:port]` actually connected to (named in network errors).
    pub fn authority(&self) -> &str {
        let rest = self
            .url
            .split_once("://")
            .map(|(_, r)| r)
            .unwrap_or(&self.url);
        rest.split(['/', '?']).next().unwrap_or(rest)
    }
}

/// The virtual-hosted COS host of `bucket` (domain template, accelerate or default), and
/// the scheme a domain template may force.
fn bucket_host(cfg: &Config, bucket: &str) -> (Option<Protocol>, String) {
    if let Some(d) = &cfg.domain {
        return domain_host(&expand_domain(d, bucket, &cfg.region));
    }
    let region = if cfg.use_accelerate {
        "accelerate"
    } else {
        cfg.region.as_str()
    };
    (None, format!("{bucket}.cos.{region}.myqcloud.com"))
}

/// Work out URL, Host and signed path for `target` (pure). `query` is already
/// wire-encoded (without `?`).
pub fn resolve(
    cfg: &Config,
    endpoint: Option<&Endpoint>,
    target: &Target,
    query: &str,
) -> Result<Address> {
    let bucket = cfg.bucket.as_str();
    if bucket.is_empty() && !matches!(target, Target::Service) {
        return Err(Error::invalid(
            "bucket",
            "no bucket is configured; set Config::bucket for bucket and object operations",
        ));
    }
    if let (Target::Service, Some(sd)) = (target, &cfg.service_domain) {
        // The configured GET Service host, in either addressing style.
        let host = service_host(sd, bucket, &cfg.region)?;
        let base = match endpoint {
            Some(ep) => ep.base_url(),
            None => format!("{}://{host}", cfg.protocol.scheme()),
        };
        let url = if query.is_empty() {
            format!("{base}/")
        } else {
            format!("{base}/?{query}")
        };
        return Ok(Address {
            url,
            host,
            sign_path: "/".into(),
        });
    }
    let (path, sign_path, host, base) = if cfg.path_style {
        let (host, base) = match endpoint {
            Some(ep) => (ep.authority(), ep.base_url()),
            None => {
                let h = format!("cos.{}.myqcloud.com", cfg.region);
                let b = format!("{}://{h}", cfg.protocol.scheme());
                (h, b)
            }
        };
        let (path, sign_path) = match target {
            Target::Service => ("/".to_string(), "/".to_string()),
            Target::Bucket => (format!("/{bucket}/"), format!("/{bucket}/")),
            Target::Object(k) => (
                format!("/{bucket}{}", key_to_path(k)),
                format!("/{bucket}/{k}"),
            ),
        };
        (path, sign_path, host, base)
    } else {
        let (scheme, host) = match target {
            Target::Service => (None, "service.cos.myqcloud.com".to_string()),
            _ => bucket_host(cfg, bucket),
        };
        let base = match endpoint {
            Some(ep) => ep.base_url(),
            None => format!("{}://{host}", scheme.unwrap_or(cfg.protocol).scheme()),
        };
        let (path, sign_path) = match target {
            Target::Service | Target::Bucket => ("/".to_string(), "/".to_string()),
            Target::Object(k) => (key_to_path(k), format!("/{k}")),
        };
        (path, sign_path, host, base)
    };
    let url = if query.is_empty() {
        format!("{base}{path}")
    } else {
        format!("{base}{path}?{query}")
    };
    Ok(Address {
        url,
        host,
        sign_path,
    })
}

/// The backup-domain address of `target` (cos-protocol.md §7.3): `None` unless
/// `auto_switch_host` is on and the request goes to the default virtual-hosted host
/// `{Bucket}.cos.{Region}.myqcloud.com` (no `domain` template, no acceleration, no path
/// style, not GET Service). Otherwise `primary` with the `Host` (and, without an
/// endpoint, the URL's host) replaced by `{Bucket}.cos.{Region}.tencentcos.cn`; the
/// path, query and signed path stay the same, and an endpoint stays the connection
/// target.
pub fn backup_address(
    cfg: &Config,
    endpoint: Option<&Endpoint>,
    target: &Target,
    primary: &Address,
) -> Option<Address> {
    if !cfg.auto_switch_host
        || cfg.path_style
        || cfg.domain.is_some()
        || cfg.use_accelerate
        || cfg.bucket.is_empty()
        || matches!(target, Target::Service)
    {
        return None;
    }
    let default_host = format!("{}.cos.{}.myqcloud.com", cfg.bucket, cfg.region);
    if primary.host != default_host {
        return None;
    }
    let host = format!("{}.cos.{}.tencentcos.cn", cfg.bucket, cfg.region);
    let url = match endpoint {
        Some(_) => primary.url.clone(),
        None => {
            let scheme = cfg.protocol.scheme();
            let rest = primary
                .url
                .strip_prefix(&format!("{scheme}://{default_host}"))?;
            format!("{scheme}://{host}{rest}")
        }
    };
    Some(Address {
        url,
        host,
        sign_path: primary.sign_path.clone(),
    })
}

/// Did a non-2xx answer come from somewhere other than COS (cos-protocol.md §7.3: a
/// 5xx or 301/302/307 without a request id), so that a retry may switch hosts?
fn not_from_cos(err: &ServiceError) -> bool {
    err.request_id.is_empty()
        && (err.http_status >= 500 || matches!(err.http_status, 301 | 302 | 307))
}

/// The headers of one attempt, `Authorization` included (pure: credentials and the
/// corrected time come in). Signs `host`, every query parameter, every `x-cos-*` header
/// (the security token included) and the standard headers `auth::should_sign_header`
/// names.
pub fn signed_headers(
    req: &Request<'_>,
    addr: &Address,
    creds: &Credentials,
    key_time: KeyTime,
    retry: bool,
) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> = Vec::with_capacity(req.headers.len() + 5);
    headers.push(("host".into(), addr.host.clone()));
    headers.extend(req.headers.iter().cloned());
    let has_body = matches!(req.method, Method::Put | Method::Post);
    if has_body && req.header_value("content-length").is_none() {
        headers.push(("content-length".into(), req.body.len().to_string()));
    }
    if let Some(tok) = &creds.security_token {
        headers.push(("x-cos-security-token".into(), tok.expose().to_string()));
    }
    if retry && req.header_value("x-cos-sdk-retry").is_none() {
        headers.push(("x-cos-sdk-retry".into(), "true".into()));
    }
    let params: Vec<(&str, &str)> = req
        .query
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_deref().unwrap_or("")))
        .collect();
    let hdrs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let authz = auth::authorization(
        &creds.secret_id,
        creds.secret_key.expose(),
        key_time,
        req.method.as_str(),
        &addr.sign_path,
        &params,
        &hdrs,
    );
    headers.push(("authorization".into(), authz));
    headers
}

/// The signature window for `now` (server-corrected Unix seconds): back-dated 60 s, valid
/// `expires` seconds, and kept inside the credentials' own validity.
pub fn key_time_for(now: i64, expires: i64, creds: &Credentials) -> KeyTime {
    let mut start = now.saturating_sub(60);
    let mut end = now.saturating_add(expires);
    if let Some(s) = creds.start_time {
        if s <= now {
            start = start.max(s);
        }
    }
    if let Some(e) = creds.expired_time {
        if e > now {
            end = end.min(e);
        }
    }
    KeyTime { start, end }
}

/// Parse an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) into Unix seconds.
pub fn parse_http_date(s: &str) -> Option<i64> {
    let s = s.trim();
    let (_, rest) = s.split_once(", ")?;
    let mut it = rest.split_ascii_whitespace();
    let day: i64 = it.next()?.parse().ok()?;
    let month = match it.next()? {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let year: i64 = it.next()?.parse().ok()?;
    let mut hms = it.next()?.split(':');
    let h: i64 = hms.next()?.parse().ok()?;
    let m: i64 = hms.next()?.parse().ok()?;
    let sec: i64 = hms.next()?.parse().ok()?;
    if it.next()? != "GMT"
        || !(1..=31).contains(&day)
        || !(1900..=9999).contains(&year)
        || !(0..=23).contains(&h)
        || !(0..=59).contains(&m)
        || !(0..=60).contains(&sec)
    {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + h * 3600 + m * 60 + sec)
}

/// Delay before retry number `retry` (1-based): `base * 2^(retry-1)`, capped at 10 s,
/// with full jitter in `[d/2, d]`.
pub fn backoff_delay(base_ms: u64, retry: u32) -> Duration {
    let exp = base_ms.saturating_mul(1u64 << (retry.saturating_sub(1)).min(20));
    let d = exp.min(10_000);
    let half = d / 2;
    let jitter = if half == 0 {
        0
    } else {
        random_u64() % (half + 1)
    };
    Duration::from_millis(half + jitter)
}

fn random_u64() -> u64 {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    h.finish()
}

fn system_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Credentials: static ones, or the provider's, cached and refreshed before expiry.
struct CredentialCache {
    provider: Option<Arc<dyn CredentialProvider>>,
    cached: Mutex<Option<Credentials>>,
    margin: i64,
}

impl CredentialCache {
    fn get(&self, now: i64) -> Result<Credentials> {
        let mut cached = self
            .cached
            .lock()
            .map_err(|_| Error::Internal("credential cache lock poisoned".into()))?;
        if let Some(c) = cached.as_ref() {
            if !c.expires_within(now, self.margin) {
                return Ok(c.clone());
            }
            if self.provider.is_none() {
                if let Some(e) = c.expired_time.filter(|e| *e <= now) {
                    return Err(Error::Auth(format!(
                        "the temporary credentials expired at {e} (now {now}); \
                         configure a credential provider to refresh them"
                    )));
                }
                return Ok(c.clone());
            }
        }
        let Some(provider) = &self.provider else {
            return Err(Error::Auth(
                "no credentials configured (set Config::credentials or a credential provider)"
                    .into(),
            ));
        };
        let fresh = provider.fetch().map_err(|e| match e {
            Error::Auth(m) => Error::Auth(format!("the credential provider failed: {m}")),
            other => Error::Auth(format!("the credential provider failed: {other}")),
        })?;
        fresh.validate().map_err(|e| {
            Error::Auth(format!(
                "the credential provider returned unusable credentials: {}",
                match e {
                    Error::Auth(m) => m,
                    other => other.to_string(),
                }
            ))
        })?;
        if fresh.expired_time.is_some_and(|e| e <= now) {
            return Err(Error::Auth(format!(
                "the credential provider returned credentials that expired at {} (now {now})",
                fresh.expired_time.unwrap_or_default()
            )));
        }
        *cached = Some(fresh.clone());
        Ok(fresh)
    }

    /// Forget provider-given credentials the service refused as expired, so the next
    /// request asks the provider again. Returns false (nothing to refresh) without one.
    fn invalidate(&self) -> bool {
        if self.provider.is_none() {
            return false;
        }
        if let Ok(mut cached) = self.cached.lock() {
            *cached = None;
        }
        true
    }
}

/// State of a request body while ureq reads it: length check and CRC-64.
struct BodyTap<'r> {
    inner: &'r mut dyn Read,
    remaining: u64,
    /// `None` when the request asked not to hash its body.
    crc: Option<Crc64>,
    error: Option<String>,
}

impl Read for BodyTap<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.remaining == 0 || buf.is_empty() {
            return Ok(0);
        }
        let want = buf
            .len()
            .min(self.remaining.min(usize::MAX as u64) as usize);
        match self.inner.read(&mut buf[..want]) {
            Ok(0) => {
                let msg = format!(
                    "the request body ended {} bytes before its declared length",
                    self.remaining
                );
                self.error = Some(msg.clone());
                Err(io::Error::new(io::ErrorKind::UnexpectedEof, msg))
            }
            Ok(n) => {
                if let Some(crc) = self.crc.as_mut() {
                    crc.update(&buf[..n]);
                }
                self.remaining -= n as u64;
                Ok(n)
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Err(e),
            Err(e) => {
                self.error = Some(format!("reading the request body failed: {e}"));
                Err(e)
            }
        }
    }
}

/// Outcome of one attempt.
enum Attempt {
    /// 2xx.
    Done(Response),
    /// Non-2xx: the service error plus the server's `Date`.
    Failed(Box<ServiceError>, Option<i64>),
    /// The request did not complete. `partial`: body bytes of a 2xx answer already went
    /// to the sink before the body broke on the wire; `None` when nothing reached the
    /// sink, or when the sink itself failed (never resumed).
    Broken {
        error: Error,
        sink_touched: bool,
        partial: Option<Partial>,
    },
}

/// What one broken attempt delivered to the sink before the wire failed.
struct Partial {
    status: u16,
    headers: Vec<(String, String)>,
    /// Bytes handed to the sink.
    len: u64,
    /// CRC-64 of those bytes.
    crc: u64,
}

/// A GET body being continued after it broke midway: which bytes of which object
/// version the sink already holds.
#[derive(Debug)]
struct Resume {
    /// Status and headers of the first answer: they describe the whole delivery.
    status: u16,
    headers: Vec<(String, String)>,
    /// The first answer's ETag, sent as `If-Match` so every piece is the same version.
    etag: String,
    /// Absolute offset of the first byte of the whole delivery, and of its last byte
    /// (`None` when the first answer gave no length).
    start: u64,
    end: Option<u64>,
    /// Bytes already in the sink and their CRC-64.
    delivered: u64,
    crc: u64,
}

impl Resume {
    /// Pin a delivery from the first broken answer. Errors (the caller reports the
    /// original failure then) when the answer cannot be pinned: no ETag, or no usable
    /// `Content-Range` on a 206.
    fn start(p: Partial) -> std::result::Result<Resume, &'static str> {
        let etag = find_header(&p.headers, "etag")
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or("the answer had no ETag to pin the rest of the body to")?
            .to_string();
        let (start, end) = if p.status == 206 {
            let (a, b, _) = find_header(&p.headers, "content-range")
                .and_then(parse_content_range)
                .ok_or("the 206 answer had no usable Content-Range")?;
            (a, Some(b))
        } else {
            let len = find_header(&p.headers, "content-length")
                .and_then(|v| v.trim().parse::<u64>().ok());
            (0, len.filter(|l| *l > 0).map(|l| l - 1))
        };
        Ok(Resume {
            status: p.status,
            headers: p.headers,
            etag,
            start,
            end,
            delivered: p.len,
            crc: p.crc,
        })
    }

    /// Append what a later attempt delivered.
    fn add(&mut self, len: u64, crc: u64) {
        self.crc = crate::crc64::combine(self.crc, crc, len);
        self.delivered += len;
    }

    /// Absolute offset of the next byte wanted.
    fn next(&self) -> u64 {
        self.start + self.delivered
    }

    /// The `Range` header asking for the rest.
    fn range(&self) -> String {
        match self.end {
            Some(e) => format!("bytes={}-{e}", self.next()),
            None => format!("bytes={}-", self.next()),
        }
    }

    /// Point `req` at the rest of the body, pinned to the same version.
    fn apply(&self, req: &mut Request<'_>) {
        req.headers.retain(|(k, _)| {
            !k.eq_ignore_ascii_case("range") && !k.eq_ignore_ascii_case("if-match")
        });
        req.headers.push(("range".into(), self.range()));
        req.headers.push(("if-match".into(), self.etag.clone()));
    }

    /// Check the status and headers of a continuation answer before any of its bytes
    /// reach the sink.
    fn check_answer(&self, status: u16, headers: &[(String, String)]) -> Result<()> {
        let rid = find_header(headers, "x-cos-request-id").unwrap_or("");
        if status != 206 {
            return Err(Error::Protocol(format!(
                "resuming a broken download at byte {} with Range {:?}: COS answered HTTP \
                 {status} instead of 206 Partial Content (request id {rid})",
                self.next(),
                self.range()
            )));
        }
        let cr = find_header(headers, "content-range").unwrap_or("");
        let ok = parse_content_range(cr)
            .is_some_and(|(a, b, _)| a == self.next() && self.end.is_none_or(|e| e == b));
        if !ok {
            return Err(Error::Protocol(format!(
                "resuming a broken download: asked for {:?}, COS answered Content-Range \
                 {cr:?} (request id {rid})",
                self.range()
            )));
        }
        if let Some(t) = find_header(headers, "etag").map(str::trim) {
            if !t.is_empty() && t != self.etag {
                return Err(self.changed(&format!("its ETag is now {t}")));
            }
        }
        Ok(())
    }

    /// Why a delivery stops when the object changed between its pieces.
    fn changed_message(&self, how: &str) -> String {
        format!(
            "the object changed while its download was being resumed ({how}; it was {}): \
             {} bytes of the old version were delivered and the rest was not fetched, so \
             no bytes of two versions were mixed",
            self.etag, self.delivered
        )
    }

    /// The error for a continuation answer naming another ETag than the pinned one.
    fn changed(&self, how: &str) -> Error {
        Error::Integrity(self.changed_message(how))
    }

    /// The response describing the whole delivery, from the last answer.
    fn finish(self, last: Response) -> Response {
        let crc = crate::crc64::combine(
            self.crc,
            last.received_crc64.unwrap_or(0),
            last.received_len,
        );
        Response {
            status: self.status,
            headers: self.headers,
            body: Vec::new(),
            sent_crc64: None,
            received_crc64: Some(crc),
            received_len: self.delivered + last.received_len,
        }
    }
}

/// `bytes a-b/total` (total may be `*`) → `(a, b, total)`.
fn parse_content_range(v: &str) -> Option<(u64, u64, Option<u64>)> {
    let rest = v.trim().strip_prefix("bytes")?.trim_start();
    let (range, total) = rest.split_once('/')?;
    let (a, b) = range.trim().split_once('-')?;
    let a: u64 = a.trim().parse().ok()?;
    let b: u64 = b.trim().parse().ok()?;
    if b < a {
        return None;
    }
    let total = match total.trim() {
        "*" => None,
        t => Some(t.parse().ok()?),
    };
    Some((a, b, total))
}

/// One per client: agent, addressing, credentials, clock offset.
pub struct Http {
    agent: ureq::Agent,
    cfg: Config,
    endpoint: Option<Endpoint>,
    skew: AtomicI64,
    creds: CredentialCache,
    clock: fn() -> i64,
    /// Requests (`METHOD url` on the primary host) with a one-shot body whose last
    /// attempt failed without an answer from COS: the HTTP layer cannot send them again,
    /// the caller (the transfer engine, APPEND) does, and that next send starts on the
    /// backup host. At most [`SWITCH_HINTS`], oldest dropped.
    switch_hints: Mutex<Vec<String>>,
}

/// How many one-shot requests [`Http`] remembers to send to the backup host next time.
const SWITCH_HINTS: usize = 64;

impl std::fmt::Debug for Http {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Http")
            .field("endpoint", &self.endpoint)
            .field("skew", &self.skew.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

const ERROR_BODY_LIMIT: u64 = 1 << 20;
const BODY_LIMIT: u64 = 256 << 20;
const LONG_TIMEOUT: Duration = Duration::from_secs(1200);

fn ms(v: u64) -> Option<Duration> {
    (v > 0).then(|| Duration::from_millis(v))
}

impl Http {
    /// Build the agent for a validated config.
    pub fn new(cfg: &Config) -> Result<Http> {
        cfg.validate()?;
        let endpoint = cfg.endpoint.as_deref().map(parse_endpoint).transpose()?;
        let agent_config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .user_agent(cfg.user_agent.as_str())
            .timeout_global(ms(cfg.timeout_ms))
            .timeout_connect(ms(cfg.connect_timeout_ms))
            .timeout_per_read(ms(cfg.io_timeout_ms))
            .timeout_per_write(ms(cfg.io_timeout_ms))
            .max_idle_connections_per_host(64)
            .build();
        // ureq's default connectors, each transport wrapped to save system calls.
        let agent = ureq::Agent::with_parts(
            agent_config,
            wire::LeanConnector::default(),
            ureq::unversioned::resolver::DefaultResolver::default(),
        );
        Ok(Http {
            agent,
            endpoint,
            skew: AtomicI64::new(0),
            creds: CredentialCache {
                provider: cfg.credential_provider.clone(),
                cached: Mutex::new(cfg.credentials.clone()),
                margin: cfg.credential_refresh_margin_secs,
            },
            cfg: cfg.clone(),
            clock: system_now,
            switch_hints: Mutex::new(Vec::new()),
        })
    }

    /// Replace the local clock (tests).
    #[doc(hidden)]
    pub fn set_clock(&mut self, clock: fn() -> i64) {
        self.clock = clock;
    }

    /// The configuration this was built from.
    pub fn config(&self) -> &Config {
        &self.cfg
    }

    /// Seconds added to the local clock when signing (learned from `Date`).
    pub fn clock_offset(&self) -> i64 {
        self.skew.load(Ordering::Relaxed)
    }

    /// Set the clock offset (e.g. from a previous session).
    pub fn set_clock_offset(&self, secs: i64) {
        self.skew.store(secs, Ordering::Relaxed);
    }

    /// Server-corrected Unix time.
    pub fn now(&self) -> i64 {
        (self.clock)().saturating_add(self.clock_offset())
    }

    /// Address of a target with this client's settings.
    pub fn address(&self, target: &Target, query: &str) -> Result<Address> {
        resolve(&self.cfg, self.endpoint.as_ref(), target, query)
    }

    /// Current credentials (fetched from the provider if needed).
    pub fn credentials(&self) -> Result<Credentials> {
        self.creds.get(self.now())
    }

    /// Learn the offset from a `Date` header when it differs by 30 s or more (or always,
    /// when `force`). Returns true when the offset changed.
    fn learn_date(&self, server: i64, force: bool) -> bool {
        if !self.cfg.correct_clock_skew {
            return false;
        }
        let local = (self.clock)();
        let current = self.clock_offset();
        let wanted = server - local;
        if wanted.saturating_sub(current).saturating_abs() >= 30 || (force && wanted != current) {
            self.skew.store(wanted, Ordering::Relaxed);
            return true;
        }
        false
    }

    /// Send and read the whole body into [`Response::body`].
    pub fn send(&self, req: Request<'_>) -> Result<Response> {
        self.execute(req, None)
    }

    /// Send and stream a 2xx body into `sink`.
    ///
    /// A GET whose body breaks on the wire (network error, timeout) after bytes reached
    /// the sink is continued, not failed: the next attempt (within `max_retries`, with
    /// the usual backoff, re-signed) asks for the rest with `Range: bytes=<next>-<end>`
    /// and `If-Match: <ETag of the first answer>`, and its bytes are appended to the
    /// sink, which sees one `begin` and every byte exactly once. A continuation must be
    /// a 206 whose `Content-Range` starts at the next byte (and ends where the delivery
    /// ends), else `Error::Protocol`. A 412 means the object was replaced: a
    /// `Service` error (412) saying so; bytes of two versions are never spliced. An
    /// answer without an ETag cannot be pinned: its broken body fails as before. The
    /// returned [`Response`] describes the whole delivery: the first answer's status and
    /// headers, `received_len`/`received_crc64` over every byte delivered.
    pub fn send_to(&self, req: Request<'_>, sink: &mut dyn ResponseSink) -> Result<Response> {
        self.execute(req, Some(sink))
    }

    fn execute(
        &self,
        mut req: Request<'_>,
        mut sink: Option<&mut dyn ResponseSink>,
    ) -> Result<Response> {
        let replayable = req.body.is_replayable();
        let query = query_string(&req.query);
        let primary = self.address(&req.target, &query)?;
        // The backup-domain address, once this request switched to it (per request:
        // the next request starts on the primary host again).
        let mut backup: Option<Address> = None;
        // A one-shot request that failed without an answer from COS before is sent
        // again by its caller: this send is its retry, on the backup host.
        let hint = (!replayable && self.cfg.auto_switch_host)
            .then(|| format!("{} {}", req.method.as_str(), primary.url));
        let mut marked_retry = false;
        if let Some(h) = &hint
            && self.take_switch_hint(h)
        {
            marked_retry = self.switch_host(&req.target, &primary, &mut backup);
        }
        let mut retries = 0u32;
        let mut skew_retried = false;
        let mut token_refreshed = false;
        let mut attempt_no = 0u32;
        let mut resume: Option<Resume> = None;
        loop {
            let addr = backup.as_ref().unwrap_or(&primary);
            let creds = self.credentials()?;
            let key_time = key_time_for(self.now(), self.cfg.sign_expires_secs, &creds);
            let headers =
                signed_headers(&req, addr, &creds, key_time, attempt_no > 0 || marked_retry);
            drop(creds);
            attempt_no += 1;
            let offset_before = self.clock_offset();
            let outcome = self.attempt(
                &mut req,
                addr,
                headers,
                match &mut sink {
                    Some(s) => Some(&mut **s),
                    None => None,
                },
                resume.as_ref(),
            );
            match outcome {
                Attempt::Done(resp) => {
                    return Ok(match resume.take() {
                        Some(r) => r.finish(resp),
                        None => resp,
                    });
                }
                Attempt::Failed(mut err, _) if err.http_status == 412 && resume.is_some() => {
                    // The pinned ETag no longer matches: the object was replaced after
                    // the first piece. Never splice two versions.
                    if let Some(r) = &resume {
                        err.message = format!(
                            "{}; COS said: {}",
                            r.changed_message("If-Match failed"),
                            err.message
                        );
                    }
                    return Err(Error::Service(err));
                }
                Attempt::Failed(mut err, date) => {
                    // A HEAD answer has no body to name the skew: a 403 whose `Date`
                    // moved the learned offset is treated the same way.
                    let skewed = err.is_clock_skew()
                        || (err.http_status == 403 && self.clock_offset() != offset_before);
                    if skewed && self.cfg.correct_clock_skew && !skew_retried {
                        skew_retried = true;
                        if let Some(d) = date {
                            self.learn_date(d, true);
                        }
                        if replayable {
                            continue;
                        }
                    }
                    // Temporary keys the service says expired before the time they
                    // claimed (clocks differ): fetched again once from the provider.
                    if err.code == "ExpiredToken"
                        && !token_refreshed
                        && replayable
                        && self.creds.invalidate()
                    {
                        token_refreshed = true;
                        continue;
                    }
                    // An answer that did not come from COS (no request id: a proxy or
                    // gateway on the way) sends the retry to the backup domain. A
                    // 301/302/307 is retried only together with that switch.
                    let switched = replayable
                        && retries < self.cfg.max_retries
                        && not_from_cos(&err)
                        && self.switch_host(&req.target, &primary, &mut backup);
                    if switched
                        || (err.is_retryable() && replayable && retries < self.cfg.max_retries)
                    {
                        retries += 1;
                        std::thread::sleep(backoff_delay(self.cfg.retry_base_delay_ms, retries));
                        continue;
                    }
                    if !replayable && not_from_cos(&err) {
                        self.remember_switch(hint.as_deref(), &req.target, &primary);
                    }
                    if let Some(b) = &backup {
                        err.message = format!(
                            "{} (after switching to the backup host {})",
                            err.message, b.host
                        );
                    }
                    return Err(Error::Service(err));
                }
                Attempt::Broken {
                    error,
                    sink_touched,
                    partial,
                } => {
                    if !error.is_retryable() || !replayable || retries >= self.cfg.max_retries {
                        if !replayable
                            && matches!(error, Error::Network { .. } | Error::Timeout { .. })
                        {
                            self.remember_switch(hint.as_deref(), &req.target, &primary);
                        }
                        return Err(match &backup {
                            Some(b) => error.with_note(&format!(
                                "after switching to the backup host {}",
                                b.host
                            )),
                            None => error,
                        });
                    }
                    if sink_touched {
                        // Bytes already reached the sink: only a GET whose body broke on
                        // the wire is continued, from the next byte, pinned to the ETag
                        // of the first answer.
                        let Some(p) = partial.filter(|_| req.method == Method::Get) else {
                            return Err(error);
                        };
                        match &mut resume {
                            Some(r) => r.add(p.len, p.crc),
                            None => match Resume::start(p) {
                                Ok(r) => resume = Some(r),
                                Err(why) => {
                                    return Err(error
                                        .with_note(&format!("the body was not resumed: {why}")));
                                }
                            },
                        }
                        if let Some(r) = &resume {
                            if r.end.is_some_and(|e| r.next() > e) {
                                // Every byte arrived; only the end of the exchange broke.
                                return Err(error);
                            }
                            r.apply(&mut req);
                        }
                    }
                    if matches!(error, Error::Network { .. } | Error::Timeout { .. }) {
                        // A network error or timeout (before an answer, or in the
                        // middle of a body): the retry goes to the backup domain when
                        // that is allowed, a resumed GET included.
                        self.switch_host(&req.target, &primary, &mut backup);
                    }
                    retries += 1;
                    std::thread::sleep(backoff_delay(self.cfg.retry_base_delay_ms, retries));
                    continue;
                }
            }
        }
    }

    /// Point the rest of this request's attempts at the backup domain, when
    /// `auto_switch_host` allows it for this request and it has not switched yet.
    /// Returns true when it switched now.
    fn switch_host(
        &self,
        target: &Target,
        primary: &Address,
        backup: &mut Option<Address>,
    ) -> bool {
        if backup.is_some() {
            return false;
        }
        *backup = backup_address(&self.cfg, self.endpoint.as_ref(), target, primary);
        backup.is_some()
    }

    /// Remember that the one-shot request `hint` failed without an answer from COS, so
    /// that its next send (by the caller) goes to the backup host, when switching is
    /// allowed for it.
    fn remember_switch(&self, hint: Option<&str>, target: &Target, primary: &Address) {
        let Some(h) = hint else { return };
        if backup_address(&self.cfg, self.endpoint.as_ref(), target, primary).is_none() {
            return;
        }
        if let Ok(mut hints) = self.switch_hints.lock() {
            if !hints.iter().any(|x| x == h) {
                if hints.len() >= SWITCH_HINTS {
                    hints.remove(0);
                }
                hints.push(h.to_string());
            }
        }
    }

    /// Take (and forget) the hint left by [`Http::remember_switch`] for `hint`.
    fn take_switch_hint(&self, hint: &str) -> bool {
        match self.switch_hints.lock() {
            Ok(mut hints) => match hints.iter().position(|x| x == hint) {
                Some(i) => {
                    hints.remove(i);
                    true
                }
                None => false,
            },
            Err(_) => false,
        }
    }

    fn net_error(&self, e: ureq::Error, addr: &Address) -> Error {
        map_ureq_error(e, addr.authority())
    }

    fn run<S: ureq::AsSendBody>(
        &self,
        r: ureq::http::Request<S>,
        long_running: bool,
    ) -> std::result::Result<ureq::http::Response<ureq::Body>, ureq::Error> {
        if long_running {
            let r = self
                .agent
                .configure_request(r)
                .timeout_global(ms(self.cfg.timeout_ms).map(|d| d.max(LONG_TIMEOUT)))
                .timeout_per_read(ms(self.cfg.io_timeout_ms).map(|d| d.max(LONG_TIMEOUT)))
                .build();
            self.agent.run(r)
        } else {
            self.agent.run(r)
        }
    }

    fn attempt<'d>(
        &self,
        req: &mut Request<'_>,
        addr: &Address,
        headers: Vec<(String, String)>,
        sink: Option<&mut (dyn ResponseSink + 'd)>,
        resume: Option<&Resume>,
    ) -> Attempt {
        let broken = |error: Error| Attempt::Broken {
            error,
            sink_touched: false,
            partial: None,
        };
        let mut builder = ureq::http::Request::builder()
            .method(req.method.as_str())
            .uri(addr.url.as_str());
        for (k, v) in &headers {
            builder = builder.header(k.as_str(), v.as_str());
        }
        let body_len = req.body.len();
        let method = req.method;
        let long_running = req.long_running;
        let has_body = matches!(method, Method::Put | Method::Post);
        // Body source for this attempt.
        let mut file_reader;
        let mut bytes_reader;
        let mut empty: &[u8] = &[];
        let inner: &mut dyn Read = match &mut req.body {
            RequestBody::Empty => &mut empty,
            RequestBody::Bytes(b) => {
                bytes_reader = io::Cursor::new(&**b);
                &mut bytes_reader
            }
            RequestBody::File { path, offset, len } => {
                let path: &Path = path;
                let opened = File::open(path).and_then(|mut f| {
                    f.seek(SeekFrom::Start(*offset))?;
                    Ok(f)
                });
                match opened {
                    Ok(f) => {
                        file_reader = f.take(*len);
                        &mut file_reader
                    }
                    Err(e) => {
                        return broken(Error::io(format!("opening {}", path.display()), e));
                    }
                }
            }
            RequestBody::Reader { reader, .. } => &mut **reader,
        };
        let mut tap = BodyTap {
            inner,
            remaining: body_len,
            crc: req.hash_body.then(Crc64::new),
            error: None,
        };
        let result = if has_body {
            match builder.body(ureq::SendBody::from_reader(&mut tap)) {
                Ok(r) => self.run(r, long_running),
                Err(e) => {
                    return broken(Error::Internal(format!("building the HTTP request: {e}")));
                }
            }
        } else {
            match builder.body(()) {
                Ok(r) => self.run(r, long_running),
                Err(e) => {
                    return broken(Error::Internal(format!("building the HTTP request: {e}")));
                }
            }
        };
        if let Some(msg) = tap.error.take() {
            return broken(Error::io(
                "request body",
                io::Error::new(io::ErrorKind::UnexpectedEof, msg),
            ));
        }
        let sent_crc = if has_body {
            tap.crc.take().map(|c| c.finish())
        } else {
            None
        };
        let mut resp = match result {
            Ok(r) => r,
            Err(e) => return broken(self.net_error(e, addr)),
        };
        let status = resp.status().as_u16();
        let headers: Vec<(String, String)> = resp
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_ascii_lowercase(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let date = find_header(&headers, "date").and_then(parse_http_date);
        if let Some(d) = date {
            self.learn_date(d, false);
        }
        let mut reader = resp.body_mut().as_reader();
        if !(200..300).contains(&status) {
            let mut body = Vec::new();
            if method != Method::Head {
                // A broken error body still leaves us the status and headers.
                let _ = (&mut reader).take(ERROR_BODY_LIMIT).read_to_end(&mut body);
            }
            return Attempt::Failed(Box::new(service_error(status, &headers, &body)), date);
        }
        let mut out = Response {
            status,
            headers,
            sent_crc64: sent_crc,
            ..Default::default()
        };
        match sink {
            None => {
                if method != Method::Head {
                    if let Err(e) = (&mut reader).take(BODY_LIMIT).read_to_end(&mut out.body) {
                        return broken(self.net_error(ureq::Error::from(e), addr));
                    }
                }
            }
            Some(sink) => {
                // A continuation goes on with the sink the first answer began.
                let started = match resume {
                    Some(r) => r.check_answer(status, &out.headers),
                    None => sink.begin(status, &out.headers),
                };
                if let Err(e) = started {
                    return broken(e);
                }
                let mut crc = Crc64::new();
                let mut buf = vec![0u8; 256 * 1024];
                loop {
                    match reader.read(&mut buf) {
                        Ok(0) => break,
                        Ok(n) => {
                            if let Err(e) = sink.write(&buf[..n]) {
                                // The sink's own failure: never resumed.
                                return Attempt::Broken {
                                    error: e,
                                    sink_touched: true,
                                    partial: None,
                                };
                            }
                            crc.update(&buf[..n]);
                            out.received_len += n as u64;
                        }
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => {
                            let touched = out.received_len > 0;
                            return Attempt::Broken {
                                error: self.net_error(ureq::Error::from(e), addr),
                                sink_touched: touched,
                                partial: touched.then(|| Partial {
                                    status,
                                    headers: std::mem::take(&mut out.headers),
                                    len: out.received_len,
                                    crc: crc.finish(),
                                }),
                            };
                        }
                    }
                }
                out.received_crc64 = Some(crc.finish());
            }
        }
        Attempt::Done(out)
    }
}

/// Map a ureq failure: timeouts → [`Error::Timeout`], everything else on the wire →
/// [`Error::Network`] naming the host.
pub fn map_ureq_error(e: ureq::Error, host: &str) -> Error {
    let host = host.to_string();
    match e {
        ureq::Error::Timeout(t) => Error::Timeout {
            host,
            message: format!("the {t} timeout elapsed"),
        },
        ureq::Error::Io(io) => match io.kind() {
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => Error::Timeout {
                host,
                message: io.to_string(),
            },
            _ => Error::Network {
                host,
                message: io.to_string(),
            },
        },
        ureq::Error::BadUri(u) => Error::Internal(format!("qcos built a bad URI: {u}")),
        ureq::Error::Http(h) => Error::Internal(format!("qcos built a bad request: {h}")),
        other => Error::Network {
            host,
            message: other.to_string(),
        },
    }
}

/// A service error from a non-2xx answer: the `<Error>` document when there is one,
/// otherwise derived from the status and the `x-cos-*` headers (HEAD errors have no
/// body).
pub fn service_error(status: u16, headers: &[(String, String)], body: &[u8]) -> ServiceError {
    let mut e = crate::xml::parse_error(body, status).unwrap_or_else(|| ServiceError {
        http_status: status,
        code: find_header(headers, "x-cos-error-code")
            .map(str::to_string)
            .unwrap_or_else(|| code_for_status(status).to_string()),
        message: if body.is_empty() {
            format!("HTTP {status} with no error document")
        } else {
            let text = String::from_utf8_lossy(&body[..body.len().min(200)]);
            format!("HTTP {status}: {}", text.trim())
        },
        ..Default::default()
    });
    if e.request_id.is_empty() {
        e.request_id = find_header(headers, "x-cos-request-id")
            .unwrap_or("")
            .to_string();
    }
    if e.trace_id.is_empty() {
        e.trace_id = find_header(headers, "x-cos-trace-id")
            .unwrap_or("")
            .to_string();
    }
    e
}

fn code_for_status(status: u16) -> &'static str {
    match status {
        301 | 308 => "PermanentRedirect",
        302 | 307 => "TemporaryRedirect",
        304 => "NotModified",
        400 => "InvalidRequest",
        403 => "AccessDenied",
        404 => "NoSuchResource",
        405 => "MethodNotAllowed",
        409 => "Conflict",
        412 => "PreconditionFailed",
        416 => "InvalidRange",
        500 => "InternalError",
        503 => "ServiceUnavailable",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::parse_authorization;

    fn cfg() -> Config {
        let mut c = Config::new("ap-guangzhou", "examplebucket-1250000000");
        c.credentials = Some(Credentials::new("AKIDtest", "SKtest"));
        c
    }

    #[test]
    fn addressing_virtual_host_endpoint_and_path_style() {
        let c = cfg();
        let obj = Target::Object("a b/../c.txt".into());
        let a = resolve(&c, None, &obj, "").unwrap();
        assert_eq!(
            a.url,
            "https://examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com/a%20b/%2E%2E/c.txt"
        );
        assert_eq!(
            a.host,
            "examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com"
        );
        assert_eq!(a.sign_path, "/a b/../c.txt");
        assert_eq!(a.authority(), a.host);

        let ep = parse_endpoint("http://127.0.0.1:9000").unwrap();
        let a = resolve(&c, Some(&ep), &obj, "versionId=x").unwrap();
        assert_eq!(
            a.url,
            "http://127.0.0.1:9000/a%20b/%2E%2E/c.txt?versionId=x"
        );
        assert_eq!(a.authority(), "127.0.0.1:9000");
        assert_eq!(
            a.host,
            "examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com"
        );

        let mut p = c.clone();
        p.path_style = true;
        let a = resolve(&p, Some(&ep), &obj, "").unwrap();
        assert_eq!(
            a.url,
            "http://127.0.0.1:9000/examplebucket-1250000000/a%20b/%2E%2E/c.txt"
        );
        assert_eq!(a.host, "127.0.0.1:9000");
        assert_eq!(a.sign_path, "/examplebucket-1250000000/a b/../c.txt");
        let a = resolve(&p, Some(&ep), &Target::Bucket, "prefix=").unwrap();
        assert_eq!(
            a.url,
            "http://127.0.0.1:9000/examplebucket-1250000000/?prefix="
        );

        let a = resolve(&c, None, &Target::Service, "").unwrap();
        assert_eq!(a.url, "https://service.cos.myqcloud.com/");

        let mut d = c.clone();
        d.domain = Some("http://{BucketName}.files.example.com:8080".into());
        let a = resolve(&d, None, &Target::Bucket, "").unwrap();
        assert_eq!(a.url, "http://examplebucket.files.example.com:8080/");
        assert_eq!(a.host, "examplebucket.files.example.com:8080");

        let mut acc = c.clone();
        acc.use_accelerate = true;
        let a = resolve(&acc, None, &Target::Bucket, "").unwrap();
        assert_eq!(
            a.host,
            "examplebucket-1250000000.cos.accelerate.myqcloud.com"
        );

        let nob = Config::new("ap-guangzhou", "");
        assert!(resolve(&nob, None, &Target::Bucket, "").is_err());
        assert!(resolve(&nob, None, &Target::Service, "").is_ok());
    }

    #[test]
    fn backup_domain_only_for_the_default_host() {
        let c = cfg();
        let obj = Target::Object("dir/a b.txt".into());
        let q = "versionId=x";
        let p = resolve(&c, None, &obj, q).unwrap();
        let b = backup_address(&c, None, &obj, &p).unwrap();
        assert_eq!(
            b.url,
            "https://examplebucket-1250000000.cos.ap-guangzhou.tencentcos.cn/dir/a%20b.txt?versionId=x"
        );
        assert_eq!(
            b.host,
            "examplebucket-1250000000.cos.ap-guangzhou.tencentcos.cn"
        );
        assert_eq!(b.sign_path, p.sign_path);
        let bb = backup_address(
            &c,
            None,
            &Target::Bucket,
            &resolve(&c, None, &Target::Bucket, "").unwrap(),
        )
        .unwrap();
        assert_eq!(
            bb.url,
            "https://examplebucket-1250000000.cos.ap-guangzhou.tencentcos.cn/"
        );

        // With an endpoint only the Host changes; the connection stays the endpoint.
        let ep = parse_endpoint("http://127.0.0.1:9000").unwrap();
        let p = resolve(&c, Some(&ep), &obj, q).unwrap();
        let b = backup_address(&c, Some(&ep), &obj, &p).unwrap();
        assert_eq!(b.url, p.url);
        assert_eq!(b.authority(), "127.0.0.1:9000");
        assert!(b.host.ends_with(".tencentcos.cn"));

        // Never for other host forms, GET Service, or with the option off.
        let mut off = c.clone();
        off.auto_switch_host = false;
        let mut dom = c.clone();
        dom.domain = Some("{Bucket}.cos.{Region}.myqcloud.com".into());
        let mut dom2 = c.clone();
        dom2.domain = Some("files.example.com".into());
        let mut acc = c.clone();
        acc.use_accelerate = true;
        let mut ps = c.clone();
        ps.path_style = true;
        for (name, k) in [
            ("off", &off),
            ("domain template (even one equal to the default)", &dom),
            ("custom domain", &dom2),
            ("accelerate", &acc),
            ("path style", &ps),
        ] {
            let p = resolve(k, None, &obj, q).unwrap();
            assert_eq!(backup_address(k, None, &obj, &p), None, "{name}");
            let p = resolve(k, Some(&ep), &obj, q).unwrap();
            assert_eq!(
                backup_address(k, Some(&ep), &obj, &p),
                None,
                "{name} + endpoint"
            );
        }
        let p = resolve(&c, None, &Target::Service, "").unwrap();
        assert_eq!(backup_address(&c, None, &Target::Service, &p), None);
    }

    #[test]
    fn service_domain_addresses_get_service() {
        let mut c = cfg();
        c.service_domain = Some("cos.{Region}.tencentcos.cn".into());
        let a = resolve(&c, None, &Target::Service, "max-keys=5").unwrap();
        assert_eq!(a.url, "https://cos.ap-guangzhou.tencentcos.cn/?max-keys=5");
        assert_eq!(a.host, "cos.ap-guangzhou.tencentcos.cn");
        assert_eq!(a.sign_path, "/");
        let ep = parse_endpoint("http://127.0.0.1:9000").unwrap();
        let a = resolve(&c, Some(&ep), &Target::Service, "").unwrap();
        assert_eq!(a.url, "http://127.0.0.1:9000/");
        assert_eq!(a.host, "cos.ap-guangzhou.tencentcos.cn");
        c.path_style = true;
        let a = resolve(&c, Some(&ep), &Target::Service, "").unwrap();
        assert_eq!(a.host, "cos.ap-guangzhou.tencentcos.cn");
        // Bucket and object requests are not affected.
        let a = resolve(&c, Some(&ep), &Target::Bucket, "").unwrap();
        assert_eq!(a.host, "127.0.0.1:9000");
        c.service_domain = Some("http://x".into());
        assert!(resolve(&c, None, &Target::Service, "").is_err());
    }

    #[test]
    fn only_answers_without_a_request_id_are_foreign() {
        let e = |status: u16, rid: &str| ServiceError {
            http_status: status,
            request_id: rid.into(),
            ..Default::default()
        };
        for s in [500, 502, 503, 504, 301, 302, 307] {
            assert!(not_from_cos(&e(s, "")), "{s}");
            assert!(!not_from_cos(&e(s, "RID")), "{s} with a request id");
        }
        for s in [304, 400, 403, 404, 412] {
            assert!(!not_from_cos(&e(s, "")), "{s}");
        }
    }

    #[test]
    fn every_attempt_signs_host_query_and_cos_headers() {
        let c = cfg();
        let req = Request::new(Method::Put, Target::Object("k".into()))
            .query("partNumber", Some("3"))
            .query("uploadId", Some("U1"))
            .header("x-cos-meta-a", "1")
            .header("Content-Type", "text/plain")
            .header("user-agent-ish", "not signed")
            .body(RequestBody::Bytes(Cow::Borrowed(b"hello")));
        let addr = resolve(&c, None, &req.target, &query_string(&req.query)).unwrap();
        let creds = Credentials::temporary("TMPID", "TMPKEY", "tok/en+", None, 2_000_000_000);
        let kt = KeyTime {
            start: 100,
            end: 200,
        };
        let h = signed_headers(&req, &addr, &creds, kt, true);
        let get = |n: &str| find_header(&h, n).unwrap().to_string();
        assert_eq!(get("content-length"), "5");
        assert_eq!(get("x-cos-security-token"), "tok/en+");
        assert_eq!(get("x-cos-sdk-retry"), "true");
        let p = parse_authorization(&get("authorization")).unwrap();
        assert_eq!(p.secret_id, "TMPID");
        assert_eq!(p.key_time, kt);
        assert_eq!(
            p.header_list,
            [
                "content-length",
                "content-type",
                "host",
                "x-cos-meta-a",
                "x-cos-sdk-retry",
                "x-cos-security-token"
            ]
        );
        assert_eq!(p.url_param_list, ["partnumber", "uploadid"]);
        // The signature matches an independent computation with the same inputs.
        let expect = auth::authorization(
            "TMPID",
            "TMPKEY",
            kt,
            "PUT",
            "/k",
            &[("partNumber", "3"), ("uploadId", "U1")],
            &[
                ("host", addr.host.as_str()),
                ("x-cos-meta-a", "1"),
                ("content-type", "text/plain"),
                ("content-length", "5"),
                ("x-cos-security-token", "tok/en+"),
                ("x-cos-sdk-retry", "true"),
            ],
        );
        assert_eq!(get("authorization"), expect);
        // No secret in any header.
        assert!(h.iter().all(|(_, v)| !v.contains("TMPKEY")));
        // A GET has no content-length and, on the first attempt, no retry marker.
        let g = Request::new(Method::Get, Target::Bucket).query("prefix", Some(""));
        let h = signed_headers(&g, &addr, &Credentials::new("i", "k"), kt, false);
        assert!(find_header(&h, "content-length").is_none());
        assert!(find_header(&h, "x-cos-sdk-retry").is_none());
        let p = parse_authorization(find_header(&h, "authorization").unwrap()).unwrap();
        assert_eq!(p.url_param_list, ["prefix"]);
    }

    #[test]
    fn key_time_respects_credentials() {
        let c = Credentials::new("i", "k");
        assert_eq!(
            key_time_for(1000, 900, &c),
            KeyTime {
                start: 940,
                end: 1900
            }
        );
        assert_eq!(key_time_for(1000, i64::MAX, &c).end, i64::MAX);
        let t = Credentials::temporary("i", "k", "t", Some(990), 1500);
        assert_eq!(
            key_time_for(1000, 900, &t),
            KeyTime {
                start: 990,
                end: 1500
            }
        );
    }

    #[test]
    fn http_dates() {
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784111777)
        );
        assert_eq!(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(
            parse_http_date("Sat, 29 Feb 2020 23:59:59 GMT"),
            Some(1583020799)
        );
        for bad in [
            "Sun, 06 Nov 99999999999999999 08:49:37 GMT",
            "Sun, 06 Nov 1994 -8:49:37 GMT",
            "",
            "yesterday",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 06 Foo 1994 08:49:37 GMT",
            "Sun, 32 Nov 1994 08:49:37 GMT",
        ] {
            assert_eq!(parse_http_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn backoff_grows_with_jitter_and_cap() {
        for retry in 1..=5 {
            let full = 100u64 << (retry - 1);
            let d = backoff_delay(100, retry).as_millis() as u64;
            assert!(d >= full / 2 && d <= full, "retry {retry}: {d}");
        }
        assert!(backoff_delay(100, 30).as_millis() <= 10_000);
        assert_eq!(backoff_delay(0, 1), Duration::ZERO);
    }

    #[test]
    fn service_errors_from_bodies_and_headers() {
        let headers = vec![
            ("x-cos-request-id".to_string(), "RID".to_string()),
            ("x-cos-trace-id".to_string(), "TID".to_string()),
        ];
        let e = service_error(404, &headers, b"");
        assert_eq!(
            (e.code.as_str(), e.request_id.as_str(), e.trace_id.as_str()),
            ("NoSuchResource", "RID", "TID")
        );
        let e = service_error(
            503,
            &headers,
            b"<Error><Code>SlowDown</Code><Message>m</Message></Error>",
        );
        assert_eq!(
            (e.code.as_str(), e.request_id.as_str()),
            ("SlowDown", "RID")
        );
        assert!(e.is_retryable());
        let e = service_error(502, &[], b"<html>bad gateway</html>");
        assert!(e.message.contains("bad gateway") && e.is_retryable());
    }

    struct Counting(std::sync::atomic::AtomicU32, i64);
    impl CredentialProvider for Counting {
        fn fetch(&self) -> Result<Credentials> {
            let n = self.0.fetch_add(1, Ordering::SeqCst);
            Ok(Credentials::temporary(
                format!("ID{n}"),
                "K",
                "T",
                None,
                self.1,
            ))
        }
    }

    #[test]
    fn credential_cache_is_lazy_and_refreshes_near_expiry() {
        let p = Arc::new(Counting(Default::default(), 1000));
        let cache = CredentialCache {
            provider: Some(p.clone()),
            cached: Mutex::new(None),
            margin: 60,
        };
        assert_eq!(p.0.load(Ordering::SeqCst), 0);
        assert_eq!(cache.get(100).unwrap().secret_id, "ID0");
        assert_eq!(cache.get(900).unwrap().secret_id, "ID0");
        assert_eq!(p.0.load(Ordering::SeqCst), 1);
        // Within the margin of expiry: refreshed. (The provider still hands out the same
        // expiry, so each call inside the margin asks again.)
        assert_eq!(cache.get(950).unwrap().secret_id, "ID1");
        // Already expired credentials from the provider are refused.
        assert_eq!(cache.get(5000).unwrap_err().status(), crate::Status::Auth);

        struct Failing;
        impl CredentialProvider for Failing {
            fn fetch(&self) -> Result<Credentials> {
                Err(Error::Auth("sts unreachable".into()))
            }
        }
        let cache = CredentialCache {
            provider: Some(Arc::new(Failing)),
            cached: Mutex::new(None),
            margin: 60,
        };
        let e = cache.get(0).unwrap_err();
        assert_eq!(e.status(), crate::Status::Auth);
        assert!(
            e.to_string().contains("provider failed: sts unreachable"),
            "{e}"
        );
        let stale = CredentialCache {
            provider: None,
            cached: Mutex::new(Some(Credentials::temporary("i", "k", "t", None, 100))),
            margin: 60,
        };
        assert!(stale.get(50).is_ok(), "inside the margin but still valid");
        let e = stale.get(100).unwrap_err();
        assert!(e.to_string().contains("expired at 100"), "{e}");
        let none = CredentialCache {
            provider: None,
            cached: Mutex::new(None),
            margin: 60,
        };
        assert!(
            none.get(0)
                .unwrap_err()
                .to_string()
                .contains("no credentials")
        );
    }

    #[test]
    fn clock_offset_learning() {
        fn fixed() -> i64 {
            10_000
        }
        let mut h = Http::new(&cfg()).unwrap();
        h.set_clock(fixed);
        assert!(
            !h.learn_date(10_010, false),
            "small differences are ignored"
        );
        assert_eq!(h.clock_offset(), 0);
        assert!(h.learn_date(13_600, false));
        assert_eq!(h.clock_offset(), 3600);
        assert_eq!(h.now(), 13_600);
        assert!(h.learn_date(13_605, true), "forced after a skew error");
        assert_eq!(h.clock_offset(), 3605);
        let mut off = cfg();
        off.correct_clock_skew = false;
        let mut h = Http::new(&off).unwrap();
        h.set_clock(fixed);
        assert!(!h.learn_date(99_999, true));
    }

    fn hs(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn partial(status: u16, headers: &[(&str, &str)], len: u64) -> Partial {
        Partial {
            status,
            headers: hs(headers),
            len,
            crc: crate::crc64::checksum(&vec![7u8; len as usize]),
        }
    }

    #[test]
    fn content_ranges() {
        assert_eq!(
            parse_content_range("bytes 0-99/1000"),
            Some((0, 99, Some(1000)))
        );
        assert_eq!(parse_content_range(" bytes 5-5/*"), Some((5, 5, None)));
        for bad in [
            "",
            "bytes 9-5/10",
            "items 0-1/2",
            "bytes 0-/10",
            "bytes */10",
        ] {
            assert_eq!(parse_content_range(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_broken_body_is_pinned_to_its_etag_and_range() {
        // Whole object: the rest from the next byte to the last.
        let r = Resume::start(partial(
            200,
            &[("etag", "\"e1\""), ("content-length", "1000")],
            300,
        ))
        .unwrap();
        assert_eq!((r.start, r.end, r.next()), (0, Some(999), 300));
        assert_eq!(r.range(), "bytes=300-999");
        let mut req = Request::new(Method::Get, Target::Object("k".into()))
            .header("Range", "bytes=0-")
            .header("If-Match", "\"old\"")
            .header("x-cos-traffic-limit", "8192");
        r.apply(&mut req);
        assert_eq!(req.header_value("range"), Some("bytes=300-999"));
        assert_eq!(req.header_value("if-match"), Some("\"e1\""));
        assert_eq!(req.header_value("x-cos-traffic-limit"), Some("8192"));
        assert_eq!(req.headers.len(), 3, "{:?}", req.headers);

        // A caller's range: positions from its Content-Range.
        let mut r = Resume::start(partial(
            206,
            &[("etag", "\"e1\""), ("content-range", "bytes 100-499/1000")],
            50,
        ))
        .unwrap();
        assert_eq!(r.range(), "bytes=150-499");
        // Pieces add up: the CRC is that of all bytes delivered.
        r.add(20, crate::crc64::checksum(&[7u8; 20]));
        assert_eq!(r.range(), "bytes=170-499");
        assert_eq!(r.crc, crate::crc64::checksum(&[7u8; 70]));

        // Unknown length: open-ended.
        let r = Resume::start(partial(200, &[("etag", "t")], 10)).unwrap();
        assert_eq!(r.range(), "bytes=10-");

        // Nothing to pin.
        for hs in [
            &[("content-length", "1000")][..],
            &[("etag", " "), ("content-length", "1000")][..],
        ] {
            assert!(
                Resume::start(partial(200, hs, 10))
                    .unwrap_err()
                    .contains("ETag")
            );
        }
        assert!(
            Resume::start(partial(206, &[("etag", "t")], 10))
                .unwrap_err()
                .contains("Content-Range")
        );
    }

    #[test]
    fn a_continuation_must_start_where_asked() {
        let r = Resume::start(partial(
            200,
            &[("etag", "\"e1\""), ("content-length", "1000")],
            300,
        ))
        .unwrap();
        let good = hs(&[("etag", "\"e1\""), ("content-range", "bytes 300-999/1000")]);
        r.check_answer(206, &good).unwrap();
        // Without an ETag the If-Match already held.
        r.check_answer(206, &hs(&[("content-range", "bytes 300-999/1000")]))
            .unwrap();
        for (status, cr) in [
            (200, "bytes 300-999/1000"),
            (206, "bytes 0-999/1000"),
            (206, "bytes 301-999/1000"),
            (206, "bytes 300-998/1000"),
            (206, ""),
        ] {
            let e = r
                .check_answer(status, &hs(&[("etag", "\"e1\""), ("content-range", cr)]))
                .unwrap_err();
            assert_eq!(e.status(), crate::Status::Protocol, "{status} {cr}: {e}");
        }
        let e = r
            .check_answer(
                206,
                &hs(&[("etag", "\"e2\""), ("content-range", "bytes 300-999/1000")]),
            )
            .unwrap_err();
        assert_eq!(e.status(), crate::Status::Integrity);
        assert!(e.to_string().contains("object changed"), "{e}");

        // The whole delivery: first answer's status and headers, every byte's CRC.
        let last = Response {
            status: 206,
            received_len: 700,
            received_crc64: Some(crate::crc64::checksum(&[7u8; 700])),
            ..Default::default()
        };
        let whole = r.finish(last);
        assert_eq!(whole.status, 200);
        assert_eq!(whole.header("content-length"), Some("1000"));
        assert_eq!(whole.received_len, 1000);
        assert_eq!(
            whole.received_crc64,
            Some(crate::crc64::checksum(&[7u8; 1000]))
        );
    }

    #[test]
    fn ureq_errors_map_to_timeout_and_network() {
        let e = map_ureq_error(ureq::Error::Timeout(ureq::Timeout::Global), "h:1");
        assert_eq!(e.status(), crate::Status::Timeout);
        assert!(e.to_string().contains("h:1"));
        let e = map_ureq_error(ureq::Error::ConnectionFailed, "h:1");
        assert_eq!(e.status(), crate::Status::Network);
        let e = map_ureq_error(
            ureq::Error::Io(io::Error::new(io::ErrorKind::TimedOut, "slow")),
            "h",
        );
        assert_eq!(e.status(), crate::Status::Timeout);
    }
}
