//! Connection loop, routing, authentication, fault injection and the COS operations.

use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::{Arc, mpsc};

use base64::Engine;
use md5::{Digest, Md5};
use qcos::crc64::{self, Crc64};
use qcos::encode::{MAX_KEY_BYTES, percent_decode, uri_encode, validate_bucket};

use crate::Shared;
use crate::faults::{FaultAction, FaultProbe};
use crate::http::{
    self, BUF, Body, HeadError, Piece, PieceReader, Request, Response, ResponseBody,
};
use crate::store::{NewMeta, ObjectAttrs, ObjectMeta, Placement, Segment, StoreError, Upload};
use crate::util::{hex, http_date, iso_date, parse_http_date, request_id, unhex, xml_escape};

mod append;
mod bucket_config;
mod post_object;
mod tagging_acl;

const XML_DECL: &str = "<?xml version='1.0' encoding='utf-8' ?>\n";
const OWNER_ID: &str = "qcs::cam::uin/100000000001:uin/100000000001";
const OWNER_NAME: &str = "100000000001";
const MIN_PART: u64 = 1024 * 1024;
/// Bodies at least this large are hashed on a helper thread (see `receive_pipelined`).
const PIPELINE_MIN: u64 = 4 * 1024 * 1024;
/// How long a connection may sit silent (between or inside requests) before it is closed.
const IDLE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(300);
const MAX_XML_BODY: u64 = 2 * 1024 * 1024;
const STORAGE_CLASSES: [&str; 8] = [
    "STANDARD",
    "STANDARD_IA",
    "INTELLIGENT_TIERING",
    "ARCHIVE",
    "DEEP_ARCHIVE",
    "MAZ_STANDARD",
    "MAZ_STANDARD_IA",
    "MAZ_INTELLIGENT_TIERING",
];
/// Query parameters that name a sub-resource this server does not implement.
const UNSUPPORTED_SUBRESOURCES: [&str; 27] = [
    "acl",
    "tagging",
    "lifecycle",
    "policy",
    "versioning",
    "versions",
    "website",
    "logging",
    "referer",
    "replication",
    "restore",
    "append",
    "select",
    "inventory",
    "domain",
    "origin",
    "encryption",
    "accelerate",
    "intelligenttiering",
    "object-lock",
    "retention",
    "location",
    "notification",
    "symlink",
    "rename",
    "torrent",
    "inventory-configuration",
];

/// A COS error: HTTP status, code, message.
#[derive(Debug, Clone)]
pub struct CosError {
    pub status: u16,
    pub code: String,
    pub message: String,
    /// Extra headers of the error response (e.g. `x-cos-next-append-position`).
    pub headers: Vec<(String, String)>,
}

pub fn err(status: u16, code: &str, message: impl Into<String>) -> CosError {
    CosError {
        status,
        code: code.to_string(),
        message: message.into(),
        headers: Vec::new(),
    }
}

/// Why a handler did not produce a response.
pub enum Fail {
    Cos(CosError),
    /// The connection broke (or a fault reset it): close without answering.
    Abort,
}

impl From<CosError> for Fail {
    fn from(e: CosError) -> Self {
        Fail::Cos(e)
    }
}

type HResult = Result<Response, Fail>;

fn internal(e: impl std::fmt::Display) -> Fail {
    Fail::Cos(err(500, "InternalError", format!("storage error: {e}")))
}

fn store_err(e: StoreError) -> Fail {
    match e {
        StoreError::NoSuchBucket => err(404, "NoSuchBucket", "The specified bucket does not exist.").into(),
        StoreError::NoSuchKey => err(404, "NoSuchKey", "The specified key does not exist.").into(),
        StoreError::NoSuchUpload => err(
            404,
            "NoSuchUpload",
            "The specified multipart upload does not exist. The upload ID might be invalid, or the upload might have been aborted or completed.",
        )
        .into(),
        StoreError::BucketExists => err(
            409,
            "BucketAlreadyOwnedByYou",
            "The bucket you tried to create already exists, and you own it.",
        )
        .into(),
        StoreError::BucketNotEmpty => err(
            409,
            "BucketNotEmpty",
            "The bucket you tried to delete is not empty (objects or unfinished multipart uploads remain).",
        )
        .into(),
        StoreError::Io(e) => internal(e),
    }
}

// ------------------------------------------------------------------------------------
// Connection loop

pub(crate) fn serve_connection(sh: &Arc<Shared>, stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    // A peer that vanishes without closing does not hold a thread forever.
    let _ = stream.set_read_timeout(Some(IDLE_TIMEOUT));
    let Ok(mut w) = stream.try_clone() else {
        return;
    };
    let mut r: crate::ConnReader = BufReader::with_capacity(BUF, stream);
    let mut buf: Vec<u8> = Vec::new();
    while !sh.is_stopping() {
        let req = match http::read_head(&mut r) {
            Ok(req) => req,
            Err(HeadError::Closed) => break,
            Err(HeadError::Bad(msg)) => {
                let rid = request_id();
                let mut resp = error_response(sh, &err(400, "InvalidRequest", msg), "", &rid);
                common_headers(sh, &mut resp, &rid);
                sh.stats.update(|s| {
                    s.requests += 1;
                    s.errors += 1;
                });
                let _ = http::write_response(&mut w, resp, false, false, None);
                break;
            }
        };
        if !handle_request(sh, req, &mut r, &mut w, &mut buf) || sh.is_stopping() {
            break;
        }
    }
    let _ = w.shutdown(Shutdown::Both);
}

/// A trace id derived from the request id (COS sends a longer opaque one).
fn trace_id(rid: &str) -> String {
    let raw = format!("{rid}/{}", crate::util::unique());
    base64::engine::general_purpose::STANDARD_NO_PAD.encode(raw)
}

/// Headers every response carries.
fn common_headers(sh: &Shared, resp: &mut Response, rid: &str) {
    resp.set_header("x-cos-request-id", rid);
    resp.set_header("Server", "tencent-cos");
    resp.set_header("Date", http_date(sh.now()));
}

fn error_response(_sh: &Shared, e: &CosError, resource: &str, rid: &str) -> Response {
    let trace = trace_id(rid);
    let body = format!(
        "{XML_DECL}<Error>\n\t<Code>{}</Code>\n\t<Message>{}</Message>\n\t<Resource>{}</Resource>\n\t<RequestId>{}</RequestId>\n\t<TraceId>{}</TraceId>\n</Error>",
        xml_escape(&e.code),
        xml_escape(&e.message),
        xml_escape(resource),
        xml_escape(rid),
        xml_escape(&trace)
    );
    let mut resp = Response::xml(e.status, body).header("x-cos-trace-id", trace);
    for (k, v) in &e.headers {
        resp.set_header(k, v.clone());
    }
    resp
}

/// Where a request is addressed.
struct Target {
    bucket: Option<String>,
    key: String,
    /// Decoded paths the client may have signed.
    sign_paths: Vec<String>,
}

fn host_without_port(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match host.rsplit_once(':') {
        Some((h, p)) if p.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host,
    }
}

fn resolve_target(req: &Request) -> Result<Target, CosError> {
    let path = percent_decode(&req.raw_path).ok_or_else(|| {
        err(
            400,
            "InvalidURI",
            "The request path has a malformed percent-escape or is not UTF-8.",
        )
    })?;
    let host = host_without_port(req.header("host").unwrap_or("")).to_ascii_lowercase();
    let first = host.split('.').next().unwrap_or("");
    let virtual_hosted = host.contains('.') && validate_bucket(first).is_ok();
    if virtual_hosted {
        let key = path.strip_prefix('/').unwrap_or(&path).to_string();
        return Ok(Target {
            bucket: Some(first.to_string()),
            key,
            sign_paths: vec![path],
        });
    }
    let rest = path.strip_prefix('/').unwrap_or(&path);
    if rest.is_empty() {
        return Ok(Target {
            bucket: None,
            key: String::new(),
            sign_paths: vec![path],
        });
    }
    let (bucket, key) = match rest.split_once('/') {
        Some((b, k)) => (b.to_string(), k.to_string()),
        None => (rest.to_string(), String::new()),
    };
    Ok(Target {
        bucket: Some(bucket),
        sign_paths: vec![path.clone(), format!("/{key}")],
        key,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    ListBuckets,
    ListObjects,
    HeadBucket,
    PutBucket,
    DeleteBucket,
    ListUploads,
    DeleteMultiple,
    PutObject,
    CopyObject,
    GetObject,
    HeadObject,
    DeleteObject,
    Initiate,
    UploadPart,
    UploadPartCopy,
    Complete,
    Abort,
    ListParts,
    PostObject,
    PutCors,
    GetCors,
    DeleteCors,
    Preflight,
    PutTagging,
    GetTagging,
    DeleteTagging,
    PutAcl,
    GetAcl,
    AppendObject,
    PutBucketTagging,
    GetBucketTagging,
    DeleteBucketTagging,
    PutBucketAcl,
    GetBucketAcl,
    NotImplemented,
}

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::ListBuckets => "list_buckets",
            Op::ListObjects => "list_objects",
            Op::HeadBucket => "head_bucket",
            Op::PutBucket => "put_bucket",
            Op::DeleteBucket => "delete_bucket",
            Op::ListUploads => "list_uploads",
            Op::DeleteMultiple => "delete_multiple",
            Op::PutObject => "put_object",
            Op::CopyObject => "copy_object",
            Op::GetObject => "get_object",
            Op::HeadObject => "head_object",
            Op::DeleteObject => "delete_object",
            Op::Initiate => "initiate",
            Op::UploadPart => "upload_part",
            Op::UploadPartCopy => "upload_part_copy",
            Op::Complete => "complete",
            Op::Abort => "abort",
            Op::ListParts => "list_parts",
            Op::PostObject => "post_object",
            Op::PutCors => "put_cors",
            Op::GetCors => "get_cors",
            Op::DeleteCors => "delete_cors",
            Op::Preflight => "preflight",
            Op::PutTagging => "put_tagging",
            Op::GetTagging => "get_tagging",
            Op::DeleteTagging => "delete_tagging",
            Op::PutAcl => "put_acl",
            Op::GetAcl => "get_acl",
            Op::AppendObject => "append_object",
            Op::PutBucketTagging => "put_bucket_tagging",
            Op::GetBucketTagging => "get_bucket_tagging",
            Op::DeleteBucketTagging => "delete_bucket_tagging",
            Op::PutBucketAcl => "put_bucket_acl",
            Op::GetBucketAcl => "get_bucket_acl",
            Op::NotImplemented => "not_implemented",
        }
    }
}

fn classify(req: &Request, t: &Target) -> Op {
    let m = req.method.as_str();
    let unsupported = req
        .query
        .iter()
        .any(|(k, _)| UNSUPPORTED_SUBRESOURCES.contains(&k.as_str()));
    if t.bucket.is_none() {
        return if m == "GET" && !unsupported {
            Op::ListBuckets
        } else {
            Op::NotImplemented
        };
    }
    if m == "OPTIONS" {
        // A CORS preflight, for the bucket or any object in it.
        return Op::Preflight;
    }
    // Object tagging and ACL (ops/tagging_acl.rs).
    if !t.key.is_empty() && (req.has_param("tagging") || req.has_param("acl")) {
        let others = req.query.iter().any(|(k, _)| {
            k != "tagging" && k != "acl" && UNSUPPORTED_SUBRESOURCES.contains(&k.as_str())
        });
        return match (req.has_param("tagging"), req.has_param("acl"), m, others) {
            (true, false, "PUT", false) => Op::PutTagging,
            (true, false, "GET", false) => Op::GetTagging,
            (true, false, "DELETE", false) => Op::DeleteTagging,
            (false, true, "PUT", false) => Op::PutAcl,
            (false, true, "GET", false) => Op::GetAcl,
            _ => Op::NotImplemented,
        };
    }
    // Bucket tagging and ACL (ops/bucket_config.rs).
    if t.key.is_empty() && (req.has_param("tagging") || req.has_param("acl")) {
        let others = req.query.iter().any(|(k, _)| {
            k != "tagging" && k != "acl" && UNSUPPORTED_SUBRESOURCES.contains(&k.as_str())
        });
        return match (req.has_param("tagging"), req.has_param("acl"), m, others) {
            (true, false, "PUT", false) => Op::PutBucketTagging,
            (true, false, "GET", false) => Op::GetBucketTagging,
            (true, false, "DELETE", false) => Op::DeleteBucketTagging,
            (false, true, "PUT", false) => Op::PutBucketAcl,
            (false, true, "GET", false) => Op::GetBucketAcl,
            _ => Op::NotImplemented,
        };
    }
    // APPEND Object (`append` stays in UNSUPPORTED_SUBRESOURCES for every other use).
    if m == "POST" && !t.key.is_empty() && req.has_param("append") {
        return Op::AppendObject;
    }
    if unsupported {
        return Op::NotImplemented;
    }
    if req.has_param("cors") {
        return match (t.key.is_empty(), m) {
            (true, "PUT") => Op::PutCors,
            (true, "GET") => Op::GetCors,
            (true, "DELETE") => Op::DeleteCors,
            _ => Op::NotImplemented,
        };
    }
    if t.key.is_empty() {
        if req.has_param("uploads") {
            return if m == "GET" {
                Op::ListUploads
            } else {
                Op::NotImplemented
            };
        }
        if req.has_param("delete") {
            return if m == "POST" {
                Op::DeleteMultiple
            } else {
                Op::NotImplemented
            };
        }
        return match m {
            "GET" => Op::ListObjects,
            "HEAD" => Op::HeadBucket,
            "PUT" => Op::PutBucket,
            "DELETE" => Op::DeleteBucket,
            // POST Object: a form upload authorized by its policy (ops/post_object.rs).
            "POST" => Op::PostObject,
            _ => Op::NotImplemented,
        };
    }
    if req.has_param("uploads") {
        return if m == "POST" {
            Op::Initiate
        } else {
            Op::NotImplemented
        };
    }
    if req.has_param("uploadId") {
        return match m {
            "PUT" if req.has_param("partNumber") => {
                if req.header("x-cos-copy-source").is_some() {
                    Op::UploadPartCopy
                } else {
                    Op::UploadPart
                }
            }
            "POST" => Op::Complete,
            "DELETE" => Op::Abort,
            "GET" => Op::ListParts,
            _ => Op::NotImplemented,
        };
    }
    if req.has_param("delete") {
        return Op::NotImplemented;
    }
    match m {
        "PUT" if req.header("x-cos-copy-source").is_some() => Op::CopyObject,
        "PUT" => Op::PutObject,
        "GET" => Op::GetObject,
        "HEAD" => Op::HeadObject,
        "DELETE" => Op::DeleteObject,
        _ => Op::NotImplemented,
    }
}

/// The `ForeignStatus` fault: a proxy's or gateway's answer, without any of COS's
/// headers or error document; the request body is skipped (up to 1 MiB) so the client
/// reads the answer, then the connection is closed.
fn foreign_answer(
    sh: &Shared,
    req: &Request,
    body: &mut Body<'_>,
    w: &mut TcpStream,
    status: u16,
) -> bool {
    if !body.is_done() && !body.continue_pending() {
        let _ = body.drain(1024 * 1024);
    }
    let page = format!(
        "<html><head><title>{status} {}</title></head><body><center><h1>{status} {}</h1></center><hr><center>gateway</center></body></html>\r\n",
        http::reason(status),
        http::reason(status)
    );
    let mut resp = Response::new(status).header("Content-Type", "text/html");
    if (300..400).contains(&status) {
        resp.set_header("Location", req.raw_path.clone());
    }
    resp.set_header("Server", "gateway");
    resp.body = http::ResponseBody::Bytes(page.into_bytes());
    let consumed = body.consumed();
    let written = http::write_response(w, resp, req.method == "HEAD", false, None);
    count_exchange(sh, consumed, status, &written);
    let _ = w.shutdown(Shutdown::Both);
    false
}

/// Handle one request on the connection. Returns whether to keep the connection.
fn handle_request(
    sh: &Arc<Shared>,
    req: Request,
    r: &mut crate::ConnReader,
    w: &mut TcpStream,
    buf: &mut Vec<u8>,
) -> bool {
    let rid = request_id();
    let head_only = req.method == "HEAD";
    let framing = http::body_framing(&req);
    let (declared, chunked) = framing.clone().unwrap_or((None, false));
    let framing_ok = framing.is_ok();
    let wclone = match w.try_clone() {
        Ok(c) => c,
        Err(_) => return false,
    };
    let mut body = Body::new(r, &wclone, &req, declared, chunked);

    let target = resolve_target(&req);
    let cors_bucket = target.as_ref().ok().and_then(|t| t.bucket.clone());
    let resource = match &target {
        Ok(t) => resource_of(sh, t),
        Err(_) => String::new(),
    };
    let op = match &target {
        Ok(t) => classify(&req, t),
        Err(_) => Op::NotImplemented,
    };
    sh.stats.op(op.name());
    sh.stats.seen(crate::faults::SeenRequest {
        method: req.method.clone(),
        host: req.header("host").unwrap_or("").to_string(),
        path: req.raw_path.clone(),
        op: op.name().to_string(),
        sdk_retry: req
            .header("x-cos-sdk-retry")
            .is_some_and(|v| v.eq_ignore_ascii_case("true")),
    });

    let decoded_query = req
        .query
        .iter()
        .map(|(k, v)| match v {
            Some(v) => format!("{k}={v}"),
            None => k.clone(),
        })
        .collect::<Vec<_>>()
        .join("&");
    let decoded_path = target
        .as_ref()
        .ok()
        .and_then(|t| t.sign_paths.first().cloned())
        .unwrap_or_default();
    let fault = sh.faults.check(&FaultProbe {
        method: &req.method,
        raw_path: &req.raw_path,
        path: &decoded_path,
        raw_query: &req.raw_query,
        query: &decoded_query,
        host: req.header("host").unwrap_or(""),
    });
    if fault.is_some() {
        sh.stats.update(|s| s.faults_fired += 1);
    }
    let mut body_limit: Option<f64> = None;
    let mut byte_limit: Option<u64> = None;
    let mut result: Option<HResult> = None;
    match &fault {
        Some(FaultAction::ResetBeforeBody) => {
            let _ = w.shutdown(Shutdown::Both);
            return false;
        }
        Some(FaultAction::Stall(d)) => sh.sleep(*d),
        Some(FaultAction::Status {
            http_status,
            code,
            message,
        }) => {
            result = Some(Err(Fail::Cos(err(*http_status, code, message.clone()))));
        }
        Some(FaultAction::ResetMidBody) => {
            if body.is_chunked() || body.declared_len().unwrap_or(0) > 0 {
                body.fail_after = Some(match body.declared_len() {
                    Some(n) => n / 2,
                    None => 64 * 1024,
                });
            } else {
                body_limit = Some(0.5);
            }
        }
        Some(FaultAction::TruncatedBody) => body_limit = Some(0.5),
        Some(FaultAction::ResetAfterBytes(n)) => byte_limit = Some(*n),
        Some(FaultAction::ForeignStatus(status)) => {
            return foreign_answer(sh, &req, &mut body, w, *status);
        }
        _ => {}
    }

    let result = match result {
        Some(r) => r,
        None => (|| -> HResult {
            let t = target.map_err(Fail::Cos)?;
            if let Err(e) = framing {
                return Err(err(400, "InvalidArgument", e).into());
            }
            if op == Op::NotImplemented && t.bucket.is_some() {
                // Unsupported sub-resources are refused whether or not the caller signed.
                return Err(err(
                    501,
                    "NotImplemented",
                    format!(
                        "{} {} is not implemented by qcos-server.",
                        req.method,
                        if req.raw_query.is_empty() {
                            req.raw_path.clone()
                        } else {
                            format!("{}?{}", req.raw_path, req.raw_query)
                        }
                    ),
                )
                .into());
            }
            let paths: Vec<&str> = t.sign_paths.iter().map(|s| s.as_str()).collect();
            // A POST Object form carries its own signature, checked by the operation.
            // A preflight is never signed (browsers send it on their own).
            if !matches!(op, Op::PostObject | Op::Preflight)
                && let Err(e) = sh.verifier.verify(&req, &paths, sh.now())
            {
                let (status, code, msg) = e.describe();
                return Err(err(status, code, msg).into());
            }
            if let Some(token) = req
                .header("x-cos-security-token")
                .or_else(|| req.param("x-cos-security-token"))
                && sh.faults.token_expired(token, sh.now())
            {
                return Err(err(400, "ExpiredToken", "The provided token has expired.").into());
            }
            let mut cx = Cx {
                sh,
                req: &req,
                bucket: t.bucket.clone().unwrap_or_default(),
                key: t.key.clone(),
                buf,
            };
            cx.dispatch(op, &mut body)
        })(),
    };

    let mut resp = match result {
        Ok(resp) => resp,
        Err(Fail::Abort) => {
            let _ = w.shutdown(Shutdown::Both);
            return false;
        }
        Err(Fail::Cos(e)) => error_response(sh, &e, &resource, &rid),
    };
    if matches!(fault, Some(FaultAction::ResetAfterBody)) {
        // The request was carried out; its answer is lost.
        let _ = w.shutdown(Shutdown::Both);
        return false;
    }
    match &fault {
        Some(FaultAction::WrongCrc64) => corrupt_crc(&mut resp),
        Some(FaultAction::WrongEtag) => corrupt_etag(&mut resp),
        Some(FaultAction::MalformedXml) => corrupt_xml(&mut resp),
        _ => {}
    }
    common_headers(sh, &mut resp, &rid);
    if op != Op::Preflight
        && let Some(b) = &cors_bucket
    {
        add_cors_headers(sh, &req, b, &mut resp);
    }

    // Keep the connection only if the request body is fully read (or cheap to skip).
    let mut keep = req.keep_alive()
        && framing_ok
        && body_limit.is_none()
        && byte_limit.is_none()
        && !body.is_broken();
    if keep && !body.is_done() {
        keep = !body.continue_pending() && body.drain(1024 * 1024);
    }
    let status = resp.status;
    let limit = body_limit
        .map(|f| (resp.body.len() as f64 * f) as u64)
        .or(byte_limit);
    if sh.log {
        eprintln!(
            "qcos-server: {} {}{}{} -> {} ({})",
            req.method,
            req.raw_path,
            if req.raw_query.is_empty() { "" } else { "?" },
            req.raw_query,
            status,
            op.name()
        );
    }
    let consumed = body.consumed();
    let written = http::write_response(w, resp, head_only, keep, limit);
    count_exchange(sh, consumed, status, &written);
    if written.is_err() || limit.is_some() {
        let _ = w.shutdown(Shutdown::Both);
        return false;
    }
    keep
}

/// `Access-Control-*` headers on an actual (not preflight) response, when the request
/// has an `Origin` that one of the bucket's CORS rules allows for its method.
fn add_cors_headers(sh: &Shared, req: &Request, bucket: &str, resp: &mut Response) {
    let Some(origin) = req.header("origin") else {
        return;
    };
    let Ok(Some(cfg)) = sh.store.get_cors(bucket) else {
        return;
    };
    if let Some(rule) = cfg.find(origin, &req.method, &[]) {
        for (k, v) in crate::cors::response_headers(&cfg, rule, origin, None) {
            resp.set_header(&k, v);
        }
    }
}

fn resource_of(sh: &Shared, t: &Target) -> String {
    match &t.bucket {
        Some(b) => format!("{b}.cos.{}.myqcloud.com/{}", sh.region, t.key),
        None => format!("service.cos.myqcloud.com/{}", t.key),
    }
}

fn corrupt_crc(resp: &mut Response) {
    let wrong = |v: &str| {
        crc64::parse_header(v)
            .map_or(1, |c| c ^ 0x5A5A_5A5A_5A5A_5A5A)
            .to_string()
    };
    let new = wrong(resp.get_header("x-cos-hash-crc64ecma").unwrap_or("0"));
    resp.set_header("x-cos-hash-crc64ecma", new);
    replace_element(resp, "CRC64", |v| wrong(v));
}

fn corrupt_etag(resp: &mut Response) {
    let wrong = |v: &str| {
        if v.trim_matches('"') == "0123456789abcdef0123456789abcdef" {
            "\"fedcba9876543210fedcba9876543210\"".to_string()
        } else {
            "\"0123456789abcdef0123456789abcdef\"".to_string()
        }
    };
    let new = wrong(resp.get_header("ETag").unwrap_or(""));
    resp.set_header("ETag", new);
    replace_element(resp, "ETag", |v| xml_escape(&wrong(v)));
}

fn replace_element(resp: &mut Response, name: &str, f: impl Fn(&str) -> String) {
    let ResponseBody::Bytes(b) = &mut resp.body else {
        return;
    };
    let Ok(text) = std::str::from_utf8(b) else {
        return;
    };
    let (open, close) = (format!("<{name}>"), format!("</{name}>"));
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(&open) {
        let after = &rest[i + open.len()..];
        let Some(j) = after.find(&close) else { break };
        out.push_str(&rest[..i + open.len()]);
        out.push_str(&f(&after[..j]));
        rest = &after[j..];
    }
    out.push_str(rest);
    *b = out.into_bytes();
}

fn corrupt_xml(resp: &mut Response) {
    match &mut resp.body {
        ResponseBody::Bytes(b) => {
            b.truncate(b.len() / 2);
            b.extend_from_slice(b"<<</broken");
        }
        ResponseBody::Empty => {
            resp.body = ResponseBody::Bytes(b"<?xml version='1.0'?><Result><Broken".to_vec());
            resp.set_header("Content-Type", "application/xml");
        }
        ResponseBody::Pieces { .. } => {}
    }
}

// ------------------------------------------------------------------------------------
// Operations

struct Cx<'a> {
    sh: &'a Shared,
    req: &'a Request,
    bucket: String,
    key: String,
    buf: &'a mut Vec<u8>,
}

/// Bytes received into a temporary file.
struct Received {
    tmp: std::path::PathBuf,
    size: u64,
    /// `None` when it was not computed (benchmark mode without a Content-MD5 to check).
    md5: Option<[u8; 16]>,
    crc: u64,
}

impl Received {
    /// The ETag of these bytes: their MD5, or in benchmark mode their CRC-64 and size.
    fn etag(&self) -> String {
        match &self.md5 {
            Some(md5) => md5_etag(md5),
            None => format!("\"{:016x}{:016x}\"", self.crc, self.size),
        }
    }
}

type Hashed = (u64, Option<[u8; 16]>, u64);

/// Copy a body to `file`, computing CRC-64 (and MD5 when `want_md5`) on the way, in one
/// thread.
fn receive_serial(
    body: &mut Body<'_>,
    file: &mut File,
    buf: &mut [u8],
    want_md5: bool,
) -> Result<Hashed, Fail> {
    let mut md5 = want_md5.then(Md5::new);
    let mut crc = Crc64::new();
    let mut size = 0u64;
    loop {
        let n = match body.read(buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return Err(Fail::Abort),
        };
        let chunk = &buf[..n];
        if let Some(m) = md5.as_mut() {
            m.update(chunk);
        }
        crc.update(chunk);
        file.write_all(chunk).map_err(internal)?;
        size += n as u64;
    }
    Ok((size, md5.map(|m| m.finalize().into()), crc.finish()))
}

/// Like [`receive_serial`], but MD5 (the costly part) runs on a helper thread while
/// this one reads the socket and writes the file: large uploads use two cores.
fn receive_pipelined(body: &mut Body<'_>, file: &mut File) -> Result<Hashed, Fail> {
    const BUFFERS: usize = 4;
    let (free_tx, free_rx) = mpsc::sync_channel::<Vec<u8>>(BUFFERS);
    let (full_tx, full_rx) = mpsc::sync_channel::<(Vec<u8>, usize)>(BUFFERS);
    for _ in 0..BUFFERS {
        let _ = free_tx.send(vec![0u8; BUF]);
    }
    std::thread::scope(|scope| {
        let hasher = scope.spawn(move || {
            let mut md5 = Md5::new();
            for (buf, n) in full_rx {
                md5.update(&buf[..n]);
                if free_tx.send(buf).is_err() {
                    break;
                }
            }
            <[u8; 16]>::from(md5.finalize())
        });
        let mut crc = Crc64::new();
        let mut size = 0u64;
        let mut current: Option<Vec<u8>> = None;
        let outcome = loop {
            let mut buf = match current.take() {
                Some(b) => b,
                None => match free_rx.recv() {
                    Ok(b) => b,
                    Err(_) => break Err(internal("the hashing thread stopped")),
                },
            };
            let n = match body.read(&mut buf) {
                Ok(0) => break Ok(()),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {
                    current = Some(buf);
                    continue;
                }
                Err(_) => break Err(Fail::Abort),
            };
            crc.update(&buf[..n]);
            if let Err(e) = file.write_all(&buf[..n]) {
                break Err(internal(e));
            }
            size += n as u64;
            if full_tx.send((buf, n)).is_err() {
                break Err(internal("the hashing thread stopped"));
            }
        };
        drop(full_tx);
        let md5 = hasher
            .join()
            .map_err(|_| internal("the hashing thread panicked"));
        outcome?;
        Ok((size, Some(md5?), crc.finish()))
    })
}

/// The file pieces holding bytes `offset..offset+len` of an object.
fn pieces_of(obj: &ObjectMeta, offset: u64, len: u64) -> Vec<Piece> {
    let mut out = Vec::new();
    let (mut pos, end) = (0u64, offset + len);
    for s in &obj.segments {
        let (a, b) = (pos, pos + s.len);
        pos = b;
        if b <= offset || a >= end {
            continue;
        }
        let from = offset.max(a);
        let to = end.min(b);
        out.push(Piece {
            path: s.path.clone(),
            offset: from - a,
            len: to - from,
        });
    }
    out
}

/// Count one answered request in the server's stats: body bytes read, bytes written
/// (when the answer went out), and an error for a status of 400 and above.
fn count_exchange(sh: &Shared, consumed: u64, status: u16, written: &io::Result<u64>) {
    sh.stats.update(|s| {
        s.bytes_in += consumed;
        if status >= 400 {
            s.errors += 1;
        }
        if let Ok(n) = written {
            s.bytes_out += n;
        }
    });
}

fn md5_etag(md5: &[u8]) -> String {
    format!("\"{}\"", hex(md5))
}

fn xml_ok(body: String) -> Response {
    Response::xml(200, format!("{XML_DECL}{body}"))
}

fn el(name: &str, v: &str) -> String {
    format!("<{name}>{}</{name}>", xml_escape(v))
}

fn etag_list_matches(list: &str, etag: &str) -> bool {
    let bare = etag.trim_matches('"');
    list.split(',').any(|t| {
        let t = t.trim();
        let t = t.strip_prefix("W/").unwrap_or(t);
        t == "*" || t.trim_matches('"') == bare
    })
}

/// Evaluate If-Match / If-Unmodified-Since / If-None-Match / If-Modified-Since in the
/// RFC 9110 order. `prefix` is `""` or `x-cos-copy-source-`. Returns the failing status.
fn check_conditions(req: &Request, prefix: &str, obj: &ObjectMeta) -> Option<u16> {
    let h = |n: &str| req.header(&format!("{prefix}{n}"));
    let not_modified = if prefix.is_empty() { 304 } else { 412 };
    if let Some(v) = h("if-match") {
        if !etag_list_matches(v, &obj.etag) {
            return Some(412);
        }
    } else if let Some(t) = h("if-unmodified-since").and_then(parse_http_date)
        && obj.last_modified > t
    {
        return Some(412);
    }
    if let Some(v) = h("if-none-match") {
        if etag_list_matches(v, &obj.etag) {
            return Some(not_modified);
        }
    } else if let Some(t) = h("if-modified-since").and_then(parse_http_date)
        && obj.last_modified <= t
    {
        return Some(not_modified);
    }
    None
}

/// Parse `bytes=a-b`, `bytes=a-`, `bytes=-n` against `size`. `Ok(None)` = ignore the
/// header (malformed or several ranges), `Err` = unsatisfiable.
fn parse_range(v: &str, size: u64) -> Result<Option<(u64, u64)>, ()> {
    let Some(spec) = v.trim().strip_prefix("bytes=") else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((a, b)) = spec.trim().split_once('-') else {
        return Ok(None);
    };
    let (a, b) = (a.trim(), b.trim());
    if a.is_empty() {
        let Ok(n) = b.parse::<u64>() else {
            return Ok(None);
        };
        if n == 0 || size == 0 {
            return Err(());
        }
        return Ok(Some((size.saturating_sub(n), size - 1)));
    }
    let Ok(first) = a.parse::<u64>() else {
        return Ok(None);
    };
    let last = if b.is_empty() {
        u64::MAX
    } else {
        match b.parse::<u64>() {
            Ok(l) if l >= first => l,
            _ => return Ok(None),
        }
    };
    if first >= size {
        return Err(());
    }
    Ok(Some((first, last.min(size - 1))))
}

/// `x-cos-copy-source`: `<bucket>.cos.<region>.myqcloud.com/<encoded key>[?versionId=..]`,
/// also `/<bucket>/<key>` or `<host:port>/<bucket>/<key>` for path-style servers.
fn parse_copy_source(v: &str) -> Result<(String, String), CosError> {
    let bad = || {
        err(
            400,
            "InvalidArgument",
            format!(
                "x-cos-copy-source {v:?} must look like <bucket>.cos.<region>.myqcloud.com/<url-encoded key>"
            ),
        )
    };
    let mut s = v.trim();
    for scheme in ["http://", "https://"] {
        if let Some(rest) = s.strip_prefix(scheme) {
            s = rest;
        }
    }
    let s = s.split('?').next().unwrap_or(s);
    let s = s.strip_prefix('/').unwrap_or(s);
    let (host, path) = s.split_once('/').ok_or_else(bad)?;
    let host_l = host_without_port(host).to_ascii_lowercase();
    let first = host_l.split('.').next().unwrap_or("");
    let (bucket, key) = if host_l.contains('.') && validate_bucket(first).is_ok() {
        (first.to_string(), path.to_string())
    } else if validate_bucket(host).is_ok() {
        (host.to_string(), path.to_string())
    } else {
        let (b, k) = path.split_once('/').ok_or_else(bad)?;
        (b.to_string(), k.to_string())
    };
    let key = percent_decode(&key).ok_or_else(bad)?;
    if key.is_empty() || validate_bucket(&bucket).is_err() {
        return Err(bad());
    }
    Ok((bucket, key))
}

fn parse_md5_header(req: &Request) -> Result<Option<[u8; 16]>, CosError> {
    let Some(v) = req.header("content-md5") else {
        return Ok(None);
    };
    let raw = base64::engine::general_purpose::STANDARD
        .decode(v.trim())
        .map_err(|_| {
            err(
                400,
                "InvalidDigest",
                "The Content-MD5 you specified is not valid Base64.",
            )
        })?;
    let arr: [u8; 16] = raw.try_into().map_err(|_| {
        err(
            400,
            "InvalidDigest",
            "The Content-MD5 you specified is not 16 bytes of MD5.",
        )
    })?;
    Ok(Some(arr))
}

fn storage_class_of(req: &Request) -> Result<String, CosError> {
    match req.header("x-cos-storage-class") {
        None => Ok("STANDARD".into()),
        Some(v) => {
            let up = v.trim().to_ascii_uppercase();
            if STORAGE_CLASSES.contains(&up.as_str()) {
                Ok(up)
            } else {
                Err(err(
                    400,
                    "InvalidStorageClass",
                    format!("The storage class {v:?} is not valid."),
                ))
            }
        }
    }
}

/// Object metadata from request headers.
fn meta_from_request(req: &Request) -> Result<NewMeta, CosError> {
    let mut headers = Vec::new();
    let mut meta_bytes = 0usize;
    for (k, v) in &req.headers {
        let l = k.to_ascii_lowercase();
        let stored = matches!(
            l.as_str(),
            "content-type"
                | "cache-control"
                | "content-disposition"
                | "content-encoding"
                | "content-language"
                | "expires"
        );
        if l.starts_with("x-cos-meta-") {
            if l.len() == "x-cos-meta-".len() || l.contains('_') {
                return Err(err(
                    400,
                    "InvalidArgument",
                    format!("Invalid user metadata header name {k:?}."),
                ));
            }
            meta_bytes += l.len() - "x-cos-meta-".len() + v.len();
            headers.push((l, v.clone()));
        } else if stored && !v.is_empty() {
            headers.push((l, v.clone()));
        }
    }
    if meta_bytes > 2048 {
        return Err(err(
            400,
            "MetadataTooLarge",
            "User metadata (x-cos-meta-*) exceeds 2 KB.",
        ));
    }
    let (canned_acl, grants) = tagging_acl::acl_from_headers(req)?;
    Ok(NewMeta {
        headers,
        storage_class: storage_class_of(req)?,
        attrs: ObjectAttrs {
            tags: tagging_acl::tags_from_header(req)?.unwrap_or_default(),
            canned_acl,
            grants,
            policy: None,
        },
    })
}

fn parse_xml(text: &[u8]) -> Result<roxmltree::Document<'_>, CosError> {
    let s = std::str::from_utf8(text)
        .map_err(|_| err(400, "MalformedXML", "The XML body is not UTF-8."))?;
    roxmltree::Document::parse(s).map_err(|e| {
        err(
            400,
            "MalformedXML",
            format!("The XML you provided was not well-formed: {e}"),
        )
    })
}

fn child_text<'a>(n: roxmltree::Node<'a, 'a>, name: &str) -> Option<&'a str> {
    n.children()
        .find(|c| c.is_element() && c.tag_name().name().eq_ignore_ascii_case(name))
        .map(|c| c.text().unwrap_or(""))
}

fn encode_if(url: bool, s: &str) -> String {
    if url { uri_encode(s) } else { s.to_string() }
}

fn parse_max(req: &Request, name: &str, default: usize, max: usize) -> Result<usize, CosError> {
    match req.param(name) {
        None | Some("") => Ok(default),
        Some(v) => v.parse::<usize>().map(|n| n.min(max)).map_err(|_| {
            err(
                400,
                "InvalidArgument",
                format!("{name} {v:?} is not a non-negative integer."),
            )
        }),
    }
}

impl Cx<'_> {
    fn dispatch(&mut self, op: Op, body: &mut Body<'_>) -> HResult {
        if op == Op::NotImplemented {
            return Err(err(
                501,
                "NotImplemented",
                format!(
                    "{} {} is not implemented by qcos-server.",
                    self.req.method, self.req.raw_path
                ),
            )
            .into());
        }
        if !matches!(op, Op::ListBuckets | Op::PutBucket | Op::DeleteBucket) {
            // An unsigned preflight never creates a bucket.
            if self.sh.auto_create_buckets
                && op != Op::Preflight
                && !self.sh.store.bucket_exists(&self.bucket)
                && validate_bucket(&self.bucket).is_ok()
            {
                match self.sh.store.create_bucket(&self.bucket) {
                    Ok(()) | Err(StoreError::BucketExists) => {}
                    Err(e) => return Err(store_err(e)),
                }
            }
            if !self.sh.store.bucket_exists(&self.bucket) {
                return Err(store_err(StoreError::NoSuchBucket));
            }
        }
        if !self.key.is_empty() && self.key.len() > MAX_KEY_BYTES {
            return Err(err(
                400,
                "KeyTooLong",
                format!("The object key is longer than {MAX_KEY_BYTES} bytes."),
            )
            .into());
        }
        match op {
            Op::ListBuckets => self.list_buckets(),
            Op::ListObjects => self.list_objects(),
            Op::HeadBucket => {
                Ok(Response::new(200).header("x-cos-bucket-region", self.sh.region.clone()))
            }
            Op::PutBucket => self.put_bucket(body),
            Op::DeleteBucket => {
                self.sh
                    .store
                    .delete_bucket(&self.bucket)
                    .map_err(store_err)?;
                Ok(Response::new(204))
            }
            Op::ListUploads => self.list_uploads(),
            Op::DeleteMultiple => self.delete_multiple(body),
            Op::PutObject => self.put_object(body),
            Op::CopyObject => self.copy_object(),
            Op::GetObject => self.get_object(false),
            Op::HeadObject => self.get_object(true),
            Op::DeleteObject => {
                self.sh
                    .store
                    .delete_object(&self.bucket, &self.key)
                    .map_err(store_err)?;
                Ok(Response::new(204))
            }
            Op::Initiate => self.initiate(),
            Op::UploadPart => self.upload_part(body),
            Op::UploadPartCopy => self.upload_part_copy(),
            Op::Complete => self.complete(body),
            Op::Abort => {
                let id = self.req.param("uploadId").unwrap_or("");
                self.sh
                    .store
                    .get_upload(&self.bucket, &self.key, id)
                    .map_err(store_err)?;
                self.sh.store.remove_upload(id).map_err(store_err)?;
                Ok(Response::new(204))
            }
            Op::ListParts => self.list_parts(),
            Op::PostObject => self.post_object(body),
            Op::PutCors => self.put_cors(body),
            Op::GetCors => match self.sh.store.get_cors(&self.bucket).map_err(store_err)? {
                Some(c) => Ok(xml_ok(c.to_xml())),
                None => Err(err(
                    404,
                    "NoSuchCORSConfiguration",
                    "The CORS configuration does not exist.",
                )
                .into()),
            },
            Op::DeleteCors => {
                self.sh
                    .store
                    .set_cors(&self.bucket, None)
                    .map_err(store_err)?;
                Ok(Response::new(204))
            }
            Op::Preflight => self.preflight(),
            Op::PutTagging => self.put_tagging(body),
            Op::GetTagging => self.get_tagging(),
            Op::DeleteTagging => self.delete_tagging(),
            Op::PutAcl => self.put_acl(body),
            Op::GetAcl => self.get_acl(),
            Op::AppendObject => self.append_object(body),
            Op::PutBucketTagging => self.put_bucket_tagging(body),
            Op::GetBucketTagging => self.get_bucket_tagging(),
            Op::DeleteBucketTagging => self.delete_bucket_tagging(),
            Op::PutBucketAcl => self.put_bucket_acl(body),
            Op::GetBucketAcl => self.get_bucket_acl(),
            Op::NotImplemented => unreachable!("handled above"),
        }
    }

    fn buffer(&mut self) -> &mut [u8] {
        if self.buf.len() < BUF {
            self.buf.resize(BUF, 0);
        }
        &mut self.buf[..BUF]
    }

    /// Stream a request body into a temporary file, hashing it on the way.
    fn receive(&mut self, body: &mut Body<'_>) -> Result<Received, Fail> {
        let (tmp, mut file) = self.sh.store.tmp_file().map_err(internal)?;
        let want_md5 = !self.sh.etag_from_crc64 || self.req.header("content-md5").is_some();
        let result = if want_md5 && body.declared_len().unwrap_or(0) >= PIPELINE_MIN {
            receive_pipelined(body, &mut file)
        } else {
            if self.buf.len() < BUF {
                self.buf.resize(BUF, 0);
            }
            receive_serial(body, &mut file, &mut self.buf[..BUF], want_md5)
        };
        drop(file);
        match result {
            Ok((size, md5, crc)) => Ok(Received {
                tmp,
                size,
                md5,
                crc,
            }),
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                Err(e)
            }
        }
    }

    /// Receive a body and check it against Content-MD5.
    fn receive_checked(&mut self, body: &mut Body<'_>) -> Result<Received, Fail> {
        if !body.is_framed() {
            return Err(err(
                411,
                "MissingContentLength",
                "You must provide the Content-Length HTTP header.",
            )
            .into());
        }
        let want = parse_md5_header(self.req)?;
        let got = self.receive(body)?;
        if let Some(want) = want
            && Some(want) != got.md5
        {
            let _ = std::fs::remove_file(&got.tmp);
            return Err(err(
                400,
                "BadDigest",
                "The Content-MD5 you specified did not match what was received.",
            )
            .into());
        }
        Ok(got)
    }

    /// Read a small (XML) body into memory.
    fn small_body(&mut self, body: &mut Body<'_>) -> Result<Vec<u8>, Fail> {
        if body.declared_len().unwrap_or(0) > MAX_XML_BODY {
            return Err(err(400, "XMLSizeLimit", "The XML body is too large.").into());
        }
        let mut out = Vec::new();
        match body.by_ref().take(MAX_XML_BODY + 1).read_to_end(&mut out) {
            Ok(_) if out.len() as u64 > MAX_XML_BODY => {
                Err(err(400, "XMLSizeLimit", "The XML body is too large.").into())
            }
            Ok(_) => Ok(out),
            Err(_) => Err(Fail::Abort),
        }
    }

    fn put_cors(&mut self, body: &mut Body<'_>) -> HResult {
        let want = parse_md5_header(self.req)?.ok_or_else(|| {
            err(
                400,
                "InvalidRequest",
                "Missing required header for this request: Content-MD5.",
            )
        })?;
        let text = self.small_body(body)?;
        let got: [u8; 16] = Md5::digest(&text).into();
        if got != want {
            return Err(err(
                400,
                "BadDigest",
                "The Content-MD5 you specified did not match what was received.",
            )
            .into());
        }
        let cfg =
            crate::cors::CorsConfig::parse(&text).map_err(|(code, msg)| err(400, code, msg))?;
        self.sh
            .store
            .set_cors(&self.bucket, Some(cfg))
            .map_err(store_err)?;
        Ok(Response::new(200))
    }

    /// `OPTIONS`: answer a CORS preflight from the bucket's rules.
    fn preflight(&mut self) -> HResult {
        let req = self.req;
        let origin = req.header("origin").ok_or_else(|| {
            err(
                400,
                "InvalidRequest",
                "Insufficient information. Origin request header needed.",
            )
        })?;
        let method = req.header("access-control-request-method").ok_or_else(|| {
            err(
                400,
                "InvalidRequest",
                "Insufficient information. Access-Control-Request-Method request header needed.",
            )
        })?;
        let requested = crate::cors::request_headers(
            req.header("access-control-request-headers").unwrap_or(""),
        );
        let cfg = self
            .sh
            .store
            .get_cors(&self.bucket)
            .map_err(store_err)?
            .ok_or_else(|| {
                err(
                    403,
                    "AccessForbidden",
                    "CORSResponse: CORS is not enabled for this bucket.",
                )
            })?;
        let rule = cfg.find(origin, method, &requested).ok_or_else(|| {
            err(
                403,
                "AccessForbidden",
                format!(
                    "CORSResponse: This CORS request is not allowed: no CORS rule of the bucket allows origin {origin:?}, method {method:?} and headers {:?}.",
                    requested.join(",")
                ),
            )
        })?;
        let mut resp = Response::new(200);
        for (k, v) in crate::cors::response_headers(&cfg, rule, origin, Some(&requested)) {
            resp.set_header(&k, v);
        }
        Ok(resp)
    }

    fn list_buckets(&mut self) -> HResult {
        let mut x = String::from("<ListAllMyBucketsResult>");
        x.push_str(&format!(
            "<Owner>{}{}</Owner><Buckets>",
            el("ID", OWNER_ID),
            el("DisplayName", OWNER_NAME)
        ));
        for (name, created) in self.sh.store.list_buckets() {
            x.push_str(&format!(
                "<Bucket>{}{}{}<BucketType>cos</BucketType></Bucket>",
                el("Name", &name),
                el("Location", &self.sh.region),
                el("CreationDate", &iso_date(created))
            ));
        }
        x.push_str("</Buckets></ListAllMyBucketsResult>");
        Ok(xml_ok(x))
    }

    fn put_bucket(&mut self, body: &mut Body<'_>) -> HResult {
        if let Err(e) = validate_bucket(&self.bucket) {
            return Err(err(400, "InvalidBucketName", e.to_string()).into());
        }
        // An optional CreateBucketConfiguration body: read and check it is XML.
        let b = self.small_body(body)?;
        if !b.iter().all(|c| c.is_ascii_whitespace()) {
            parse_xml(&b)?;
        }
        self.sh
            .store
            .create_bucket(&self.bucket)
            .map_err(store_err)?;
        Ok(Response::new(200).header("Location", format!("/{}", self.bucket)))
    }

    fn list_objects(&mut self) -> HResult {
        let req = self.req;
        let url = match req.param("encoding-type") {
            None | Some("") => false,
            Some(v) if v.eq_ignore_ascii_case("url") => true,
            Some(v) => {
                return Err(err(
                    400,
                    "InvalidArgument",
                    format!("encoding-type {v:?} is not supported (only url)."),
                )
                .into());
            }
        };
        let prefix = req.param("prefix").unwrap_or("").to_string();
        let delimiter = req.param("delimiter").unwrap_or("").to_string();
        let marker = req.param("marker").unwrap_or("").to_string();
        let max_keys = parse_max(req, "max-keys", 1000, 1000)?;

        let mut contents: Vec<Arc<ObjectMeta>> = Vec::new();
        let mut prefixes: Vec<String> = Vec::new();
        let mut truncated = false;
        let mut last = String::new();
        {
            let st = self.sh.store.lock();
            let b = st
                .buckets
                .get(&self.bucket)
                .ok_or_else(|| store_err(StoreError::NoSuchBucket))?;
            use std::ops::Bound;
            let start = if marker.as_str() > prefix.as_str() {
                Bound::Excluded(marker.clone())
            } else {
                Bound::Included(prefix.clone())
            };
            for (k, obj) in b.objects.range((start, Bound::Unbounded)) {
                if !k.starts_with(&prefix) {
                    break;
                }
                let cp = if delimiter.is_empty() {
                    None
                } else {
                    k[prefix.len()..]
                        .find(&delimiter)
                        .map(|i| k[..prefix.len() + i + delimiter.len()].to_string())
                };
                if let Some(cp) = cp {
                    if prefixes.last() == Some(&cp) || cp == marker {
                        continue;
                    }
                    if contents.len() + prefixes.len() >= max_keys {
                        // max-keys=0 asks for nothing: not truncated (a client following
                        // NextMarker would otherwise loop without progress).
                        truncated = max_keys > 0;
                        break;
                    }
                    last = cp.clone();
                    prefixes.push(cp);
                } else {
                    if contents.len() + prefixes.len() >= max_keys {
                        // max-keys=0 asks for nothing: not truncated (a client following
                        // NextMarker would otherwise loop without progress).
                        truncated = max_keys > 0;
                        break;
                    }
                    last = k.clone();
                    contents.push(obj.clone());
                }
            }
        }
        let e = |s: &str| xml_escape(&encode_if(url, s));
        let mut x = String::with_capacity(256 + contents.len() * 300);
        x.push_str("<ListBucketResult>");
        x.push_str(&format!("<Name>{}</Name>", xml_escape(&self.bucket)));
        if url {
            x.push_str("<EncodingType>url</EncodingType>");
        }
        x.push_str(&format!(
            "<Prefix>{}</Prefix><Marker>{}</Marker><MaxKeys>{max_keys}</MaxKeys>",
            e(&prefix),
            e(&marker)
        ));
        if !delimiter.is_empty() {
            x.push_str(&format!("<Delimiter>{}</Delimiter>", e(&delimiter)));
        }
        x.push_str(&format!("<IsTruncated>{truncated}</IsTruncated>"));
        if truncated {
            x.push_str(&format!("<NextMarker>{}</NextMarker>", e(&last)));
        }
        for o in &contents {
            x.push_str(&format!(
                "<Contents><Key>{}</Key><LastModified>{}</LastModified><ETag>{}</ETag><Size>{}</Size><Owner>{}{}</Owner><StorageClass>{}</StorageClass></Contents>",
                e(&o.key),
                iso_date(o.last_modified),
                xml_escape(&o.etag),
                o.size,
                el("ID", OWNER_NAME),
                el("DisplayName", OWNER_NAME),
                xml_escape(&o.storage_class)
            ));
        }
        for p in &prefixes {
            x.push_str(&format!(
                "<CommonPrefixes><Prefix>{}</Prefix></CommonPrefixes>",
                e(p)
            ));
        }
        x.push_str("</ListBucketResult>");
        Ok(xml_ok(x))
    }

    fn put_object(&mut self, body: &mut Body<'_>) -> HResult {
        let meta = meta_from_request(self.req)?;
        let got = self.receive_checked(body)?;
        let obj = self
            .sh
            .store
            .commit_object(
                &self.bucket,
                &self.key,
                &[Segment {
                    path: got.tmp.clone(),
                    len: got.size,
                }],
                Placement::Move,
                got.etag(),
                Some(got.crc),
                meta,
            )
            .map_err(store_err)?;
        Ok(Response::new(200)
            .header("ETag", obj.etag.clone())
            .header("x-cos-hash-crc64ecma", got.crc.to_string()))
    }

    /// The object and an open handle on its first data file (retrying if it was
    /// replaced meanwhile).
    fn open_object(&self, bucket: &str, key: &str) -> Result<(Arc<ObjectMeta>, File), Fail> {
        for _ in 0..5 {
            let obj = self.sh.store.get_object(bucket, key).map_err(store_err)?;
            match File::open(&obj.segments[0].path) {
                Ok(f) => return Ok((obj, f)),
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(internal(e)),
            }
        }
        Err(internal("object data keeps changing"))
    }

    fn object_headers(&self, resp: &mut Response, obj: &ObjectMeta) {
        let mut has_ct = false;
        for (k, v) in &obj.headers {
            has_ct |= k == "content-type";
            resp.headers.push((k.clone(), v.clone()));
        }
        if !has_ct {
            resp.headers
                .push(("Content-Type".into(), "application/octet-stream".into()));
        }
        resp.headers.push(("ETag".into(), obj.etag.clone()));
        resp.headers
            .push(("Last-Modified".into(), http_date(obj.last_modified)));
        if let Some(c) = obj.crc64 {
            resp.headers
                .push(("x-cos-hash-crc64ecma".into(), c.to_string()));
        }
        if obj.storage_class != "STANDARD" {
            resp.headers
                .push(("x-cos-storage-class".into(), obj.storage_class.clone()));
        }
        resp.headers.push((
            "x-cos-object-type".into(),
            if obj.appendable {
                "appendable"
            } else {
                "normal"
            }
            .into(),
        ));
    }

    fn get_object(&mut self, head: bool) -> HResult {
        let (obj, file) = self.open_object(&self.bucket, &self.key)?;
        if let Some(status) = check_conditions(self.req, "", &obj) {
            if status == 304 {
                let mut r = Response::new(304);
                r.headers.push(("ETag".into(), obj.etag.clone()));
                r.headers
                    .push(("Last-Modified".into(), http_date(obj.last_modified)));
                return Ok(r);
            }
            return Err(err(
                412,
                "PreconditionFailed",
                "At least one of the preconditions you specified did not hold.",
            )
            .into());
        }
        let range = match self.req.header("range") {
            Some(v) => parse_range(v, obj.size).map_err(|_| {
                err(
                    416,
                    "InvalidRange",
                    format!(
                        "The requested range {v:?} is not satisfiable (object size {}).",
                        obj.size
                    ),
                )
            })?,
            None => None,
        };
        let (status, offset, len) = match range {
            Some((a, b)) => (206, a, b - a + 1),
            None => (200, 0, obj.size),
        };
        let mut resp = Response::new(status);
        self.object_headers(&mut resp, &obj);
        resp.headers.push(("Accept-Ranges".into(), "bytes".into()));
        if let Some((a, b)) = range {
            resp.headers.push((
                "Content-Range".into(),
                format!("bytes {a}-{b}/{}", obj.size),
            ));
        }
        for (param, header) in [
            ("response-content-type", "Content-Type"),
            ("response-content-language", "Content-Language"),
            ("response-expires", "Expires"),
            ("response-cache-control", "Cache-Control"),
            ("response-content-disposition", "Content-Disposition"),
            ("response-content-encoding", "Content-Encoding"),
        ] {
            if let Some(v) = self.req.param(param) {
                if v.contains(['\r', '\n']) {
                    return Err(err(
                        400,
                        "InvalidArgument",
                        format!("{param} contains a line break."),
                    )
                    .into());
                }
                resp.set_header(header, v);
            }
        }
        resp.body = if head && len == 0 {
            ResponseBody::Empty
        } else {
            let pieces = pieces_of(&obj, offset, len);
            // The pre-opened file belongs to the first segment; keep it only if the range
            // starts there.
            let first =
                (pieces.first().map(|p| &p.path) == Some(&obj.segments[0].path)).then_some(file);
            ResponseBody::Pieces { first, pieces }
        };
        Ok(resp)
    }

    fn copy_source(&self) -> Result<(Arc<ObjectMeta>, File), Fail> {
        let v = self.req.header("x-cos-copy-source").unwrap_or("");
        let (sb, sk) = parse_copy_source(v)?;
        let (obj, file) = self.open_object(&sb, &sk)?;
        if check_conditions(self.req, "x-cos-copy-source-", &obj).is_some() {
            return Err(err(
                412,
                "PreconditionFailed",
                "A copy-source precondition did not hold.",
            )
            .into());
        }
        Ok((obj, file))
    }

    fn copy_object(&mut self) -> HResult {
        let v = self.req.header("x-cos-copy-source").unwrap_or("");
        let (sb, sk) = parse_copy_source(v)?;
        let directive = self
            .req
            .header("x-cos-metadata-directive")
            .unwrap_or("Copy");
        let replace = if directive.eq_ignore_ascii_case("copy") {
            false
        } else if directive.eq_ignore_ascii_case("replaced") {
            true
        } else {
            return Err(err(
                400,
                "InvalidArgument",
                format!("x-cos-metadata-directive {directive:?} must be Copy or Replaced."),
            )
            .into());
        };
        let tagging = self.req.header("x-cos-tagging-directive").unwrap_or("Copy");
        let replace_tags = if tagging.eq_ignore_ascii_case("copy") {
            false
        } else if tagging.eq_ignore_ascii_case("replaced") {
            true
        } else {
            return Err(err(
                400,
                "InvalidArgument",
                format!("x-cos-tagging-directive {tagging:?} must be Copy or Replaced."),
            )
            .into());
        };
        if sb == self.bucket && sk == self.key && !replace && !replace_tags {
            return Err(err(
                400,
                "InvalidRequest",
                "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata (use x-cos-metadata-directive: Replaced).",
            )
            .into());
        }
        let (src, file) = self.copy_source()?;
        let mut meta = if replace {
            meta_from_request(self.req)?
        } else {
            NewMeta {
                headers: src.headers.clone(),
                storage_class: storage_class_of(self.req)?,
                attrs: ObjectAttrs::default(),
            }
        };
        // The ACL is the request's (a copy never takes the source's); the tags are the
        // source's unless the tagging directive replaces them.
        let (canned_acl, grants) = tagging_acl::acl_from_headers(self.req)?;
        meta.attrs = ObjectAttrs {
            tags: if replace_tags {
                tagging_acl::tags_from_header(self.req)?.unwrap_or_default()
            } else {
                src.attrs.tags.clone()
            },
            canned_acl,
            grants,
            policy: None,
        };
        drop(file);
        // Data files are never modified once written, so the copy shares them.
        let obj = self
            .sh
            .store
            .commit_object(
                &self.bucket,
                &self.key,
                &src.segments,
                Placement::Link,
                src.etag.clone(),
                src.crc64,
                meta,
            )
            .map_err(store_err)?;
        let mut x = String::from("<CopyObjectResult>");
        x.push_str(&el("ETag", &obj.etag));
        if let Some(c) = obj.crc64 {
            x.push_str(&el("CRC64", &c.to_string()));
        }
        x.push_str(&el("LastModified", &iso_date(obj.last_modified)));
        x.push_str("</CopyObjectResult>");
        let mut r = xml_ok(x);
        if let Some(c) = obj.crc64 {
            r.set_header("x-cos-hash-crc64ecma", c.to_string());
        }
        Ok(r)
    }

    fn initiate(&mut self) -> HResult {
        let meta = meta_from_request(self.req)?;
        let id = self
            .sh
            .store
            .create_upload(&self.bucket, &self.key, meta)
            .map_err(store_err)?;
        Ok(xml_ok(format!(
            "<InitiateMultipartUploadResult>{}{}{}</InitiateMultipartUploadResult>",
            el("Bucket", &self.bucket),
            el("Key", &self.key),
            el("UploadId", &id)
        )))
    }

    fn part_target(&self) -> Result<(Upload, u32), Fail> {
        let id = self.req.param("uploadId").unwrap_or("");
        let n = self.req.param("partNumber").unwrap_or("");
        let number = match n.parse::<u32>() {
            Ok(v) if (1..=10000).contains(&v) => v,
            _ => {
                return Err(err(
                    400,
                    "InvalidArgument",
                    format!("partNumber {n:?} must be an integer from 1 to 10000."),
                )
                .into());
            }
        };
        let up = self
            .sh
            .store
            .get_upload(&self.bucket, &self.key, id)
            .map_err(store_err)?;
        Ok((up, number))
    }

    fn upload_part(&mut self, body: &mut Body<'_>) -> HResult {
        let (up, number) = self.part_target()?;
        // COS wants Content-Length on Upload Part; a chunked body is accepted too.
        let got = self.receive_checked(body)?;
        let part = self
            .sh
            .store
            .commit_part(&up.id, number, &got.tmp, got.size, got.etag(), got.crc)
            .map_err(store_err)?;
        Ok(Response::new(200)
            .header("ETag", part.etag)
            .header("x-cos-hash-crc64ecma", got.crc.to_string()))
    }

    fn upload_part_copy(&mut self) -> HResult {
        let (up, number) = self.part_target()?;
        let (src, file) = self.copy_source()?;
        let (offset, len) = match self.req.header("x-cos-copy-source-range") {
            None => (0, src.size),
            Some(v) => {
                let bad = || {
                    err(
                        400,
                        "InvalidArgument",
                        format!(
                            "x-cos-copy-source-range {v:?} must be bytes=first-last within the source ({} bytes).",
                            src.size
                        ),
                    )
                };
                let spec = v.trim().strip_prefix("bytes=").ok_or_else(bad)?;
                let (a, b) = spec.split_once('-').ok_or_else(bad)?;
                let a: u64 = a.trim().parse().map_err(|_| bad())?;
                let b: u64 = b.trim().parse().map_err(|_| bad())?;
                if a > b || b >= src.size {
                    return Err(bad().into());
                }
                (a, b - a + 1)
            }
        };
        let pieces = pieces_of(&src, offset, len);
        let first =
            (pieces.first().map(|p| &p.path) == Some(&src.segments[0].path)).then_some(file);
        let mut file = PieceReader::new(first, pieces).map_err(internal)?;
        let (tmp, mut out) = self.sh.store.tmp_file().map_err(internal)?;
        let mut md5 = Md5::new();
        let mut crc = Crc64::new();
        let mut left = len;
        let res = (|| -> io::Result<()> {
            while left > 0 {
                let want = left.min(BUF as u64) as usize;
                let buf = self.buffer();
                let n = file.read(&mut buf[..want])?;
                if n == 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "source shrank",
                    ));
                }
                let chunk = &self.buf[..n];
                md5.update(chunk);
                crc.update(chunk);
                out.write_all(chunk)?;
                left -= n as u64;
            }
            Ok(())
        })();
        drop(out);
        if let Err(e) = res {
            let _ = std::fs::remove_file(&tmp);
            return Err(internal(e));
        }
        let md5: [u8; 16] = md5.finalize().into();
        let crc = crc.finish();
        let part = self
            .sh
            .store
            .commit_part(&up.id, number, &tmp, len, md5_etag(&md5), crc)
            .map_err(store_err)?;
        let x = format!(
            "<CopyPartResult>{}{}{}</CopyPartResult>",
            el("ETag", &part.etag),
            el("CRC64", &crc.to_string()),
            el("LastModified", &iso_date(part.last_modified))
        );
        let mut r = xml_ok(x);
        r.set_header("x-cos-hash-crc64ecma", crc.to_string());
        Ok(r)
    }

    fn complete(&mut self, body: &mut Body<'_>) -> HResult {
        let id = self.req.param("uploadId").unwrap_or("").to_string();
        let up = self
            .sh
            .store
            .get_upload(&self.bucket, &self.key, &id)
            .map_err(store_err)?;
        let text = self.small_body(body)?;
        let doc = parse_xml(&text)?;
        let root = doc.root_element();
        if !root
            .tag_name()
            .name()
            .eq_ignore_ascii_case("CompleteMultipartUpload")
        {
            return Err(err(
                400,
                "MalformedXML",
                "The root element must be CompleteMultipartUpload.",
            )
            .into());
        }
        let mut listed: Vec<(u32, String)> = Vec::new();
        for p in root
            .children()
            .filter(|c| c.is_element() && c.tag_name().name() == "Part")
        {
            let n = child_text(p, "PartNumber")
                .and_then(|v| v.trim().parse::<u32>().ok())
                .ok_or_else(|| {
                    err(
                        400,
                        "MalformedXML",
                        "Every Part needs a numeric PartNumber.",
                    )
                })?;
            let etag = child_text(p, "ETag")
                .ok_or_else(|| err(400, "MalformedXML", "Every Part needs an ETag."))?;
            listed.push((n, etag.trim().to_string()));
        }
        if listed.is_empty() {
            return Err(err(400, "MalformedXML", "The request lists no parts.").into());
        }
        if listed.len() > 10000 {
            return Err(err(400, "InvalidArgument", "At most 10000 parts are allowed.").into());
        }
        for w in listed.windows(2) {
            if w[1].0 <= w[0].0 {
                return Err(err(
                    400,
                    "InvalidPartOrder",
                    "The list of parts was not in ascending order.",
                )
                .into());
            }
            if w[1].0 != w[0].0 + 1 {
                return Err(err(
                    400,
                    "InvalidPart",
                    format!(
                        "Part numbers must be consecutive: {} follows {}.",
                        w[1].0, w[0].0
                    ),
                )
                .into());
            }
        }
        let mut parts = Vec::with_capacity(listed.len());
        for (i, (n, etag)) in listed.iter().enumerate() {
            let part = up.parts.get(n).ok_or_else(|| {
                err(
                    400,
                    "InvalidPart",
                    format!("Part {n} has not been uploaded."),
                )
            })?;
            if !etag
                .trim_matches('"')
                .eq_ignore_ascii_case(part.etag.trim_matches('"'))
            {
                return Err(err(
                    400,
                    "InvalidPart",
                    format!("The ETag given for part {n} does not match the uploaded part."),
                )
                .into());
            }
            if i + 1 < listed.len() && part.size < MIN_PART {
                return Err(err(
                    400,
                    "EntityTooSmall",
                    format!(
                        "Part {n} is {} bytes; every part except the last must be at least 1 MB.",
                        part.size
                    ),
                )
                .into());
            }
            parts.push(part.clone());
        }
        // The parts become the object's segments (hard links: no data is copied).
        let mut crc = 0u64;
        let mut md5s = Md5::new();
        let mut segments = Vec::with_capacity(parts.len());
        for p in &parts {
            crc = crc64::combine(crc, p.crc64, p.size);
            md5s.update(unhex(p.etag.trim_matches('"')).unwrap_or_default());
            segments.push(Segment {
                path: p.data.clone(),
                len: p.size,
            });
        }
        let etag = format!("\"{}-{}\"", hex(&md5s.finalize()), parts.len());
        let obj = self
            .sh
            .store
            .commit_object(
                &self.bucket,
                &self.key,
                &segments,
                Placement::Link,
                etag,
                Some(crc),
                up.meta.clone(),
            )
            .map_err(store_err)?;
        let _ = self.sh.store.remove_upload(&id);
        let x = format!(
            "<CompleteMultipartUploadResult>{}{}{}{}</CompleteMultipartUploadResult>",
            el(
                "Location",
                &format!(
                    "http://{}.cos.{}.myqcloud.com/{}",
                    self.bucket, self.sh.region, self.key
                )
            ),
            el("Bucket", &self.bucket),
            el("Key", &self.key),
            el("ETag", &obj.etag)
        );
        let mut r = xml_ok(x);
        r.set_header("x-cos-hash-crc64ecma", crc.to_string());
        Ok(r)
    }

    fn list_parts(&mut self) -> HResult {
        let req = self.req;
        let id = req.param("uploadId").unwrap_or("");
        let up = self
            .sh
            .store
            .get_upload(&self.bucket, &self.key, id)
            .map_err(store_err)?;
        let url = matches!(req.param("encoding-type"), Some(v) if v.eq_ignore_ascii_case("url"));
        let max = parse_max(req, "max-parts", 1000, 1000)?;
        let marker: u32 = match req.param("part-number-marker") {
            None | Some("") => 0,
            Some(v) => v.parse().map_err(|_| {
                err(
                    400,
                    "InvalidArgument",
                    format!("part-number-marker {v:?} is not a number."),
                )
            })?,
        };
        let mut after = up.parts.range(marker.saturating_add(1)..);
        let page: Vec<_> = after.by_ref().take(max).map(|(_, p)| p.clone()).collect();
        let truncated = max > 0 && after.next().is_some();
        let mut x = String::from("<ListPartsResult>");
        x.push_str(&el("Bucket", &self.bucket));
        if url {
            x.push_str("<Encoding-type>url</Encoding-type>");
        }
        x.push_str(&el("Key", &encode_if(url, &self.key)));
        x.push_str(&el("UploadId", &up.id));
        x.push_str(&format!(
            "<Initiator>{}{}</Initiator><Owner>{}{}</Owner>",
            el("ID", OWNER_ID),
            el("DisplayName", OWNER_NAME),
            el("ID", OWNER_ID),
            el("DisplayName", OWNER_NAME)
        ));
        x.push_str(&el("StorageClass", &up.meta.storage_class));
        x.push_str(&el("PartNumberMarker", &marker.to_string()));
        if let Some(last) = page.last() {
            x.push_str(&el("NextPartNumberMarker", &last.number.to_string()));
        }
        x.push_str(&el("MaxParts", &max.to_string()));
        x.push_str(&el("IsTruncated", &truncated.to_string()));
        for p in &page {
            x.push_str(&format!(
                "<Part>{}{}{}{}</Part>",
                el("PartNumber", &p.number.to_string()),
                el("LastModified", &iso_date(p.last_modified)),
                el("ETag", &p.etag),
                el("Size", &p.size.to_string())
            ));
        }
        x.push_str("</ListPartsResult>");
        Ok(xml_ok(x))
    }

    fn list_uploads(&mut self) -> HResult {
        let req = self.req;
        let url = match req.param("encoding-type") {
            None | Some("") => false,
            Some(v) if v.eq_ignore_ascii_case("url") => true,
            Some(v) => {
                return Err(err(
                    400,
                    "InvalidArgument",
                    format!("encoding-type {v:?} is not supported (only url)."),
                )
                .into());
            }
        };
        let prefix = req.param("prefix").unwrap_or("").to_string();
        let delimiter = req.param("delimiter").unwrap_or("").to_string();
        let key_marker = req.param("key-marker").unwrap_or("").to_string();
        let id_marker = req.param("upload-id-marker").unwrap_or("").to_string();
        let max = parse_max(req, "max-uploads", 1000, 1000)?;
        let all = self
            .sh
            .store
            .list_uploads(&self.bucket)
            .map_err(store_err)?;
        let mut uploads: Vec<&Upload> = Vec::new();
        let mut prefixes: Vec<String> = Vec::new();
        let mut truncated = false;
        let mut next = (String::new(), String::new());
        for u in &all {
            if !u.key.starts_with(&prefix) {
                continue;
            }
            if !key_marker.is_empty() {
                let after = if id_marker.is_empty() {
                    u.key > key_marker
                } else {
                    u.key > key_marker || (u.key == key_marker && u.id > id_marker)
                };
                if !after {
                    continue;
                }
            }
            let cp = if delimiter.is_empty() {
                None
            } else {
                u.key[prefix.len()..]
                    .find(&delimiter)
                    .map(|i| u.key[..prefix.len() + i + delimiter.len()].to_string())
            };
            if let Some(cp) = cp {
                if prefixes.last() == Some(&cp) || (cp == key_marker) {
                    continue;
                }
                if uploads.len() + prefixes.len() >= max {
                    truncated = max > 0;
                    break;
                }
                next = (cp.clone(), String::new());
                prefixes.push(cp);
            } else {
                if uploads.len() + prefixes.len() >= max {
                    truncated = max > 0;
                    break;
                }
                next = (u.key.clone(), u.id.clone());
                uploads.push(u);
            }
        }
        let e = |s: &str| xml_escape(&encode_if(url, s));
        let mut x = String::from("<ListMultipartUploadsResult>");
        x.push_str(&el("Bucket", &self.bucket));
        if url {
            x.push_str("<Encoding-Type>url</Encoding-Type>");
        }
        x.push_str(&format!("<KeyMarker>{}</KeyMarker>", e(&key_marker)));
        x.push_str(&el("UploadIdMarker", &id_marker));
        if truncated {
            x.push_str(&format!("<NextKeyMarker>{}</NextKeyMarker>", e(&next.0)));
            x.push_str(&el("NextUploadIdMarker", &next.1));
        }
        x.push_str(&el("MaxUploads", &max.to_string()));
        x.push_str(&el("IsTruncated", &truncated.to_string()));
        x.push_str(&format!("<Prefix>{}</Prefix>", e(&prefix)));
        if !delimiter.is_empty() {
            x.push_str(&format!("<Delimiter>{}</Delimiter>", e(&delimiter)));
        }
        for u in &uploads {
            x.push_str(&format!(
                "<Upload><Key>{}</Key>{}{}<Initiator>{}{}</Initiator><Owner>{}{}</Owner>{}</Upload>",
                e(&u.key),
                el("UploadId", &u.id),
                el("StorageClass", &u.meta.storage_class),
                el("ID", OWNER_ID),
                el("DisplayName", OWNER_NAME),
                el("ID", OWNER_ID),
                el("DisplayName", OWNER_NAME),
                el("Initiated", &iso_date(u.initiated))
            ));
        }
        for p in &prefixes {
            x.push_str(&format!(
                "<CommonPrefixes><Prefix>{}</Prefix></CommonPrefixes>",
                e(p)
            ));
        }
        x.push_str("</ListMultipartUploadsResult>");
        Ok(xml_ok(x))
    }

    fn delete_multiple(&mut self, body: &mut Body<'_>) -> HResult {
        let want = parse_md5_header(self.req)?.ok_or_else(|| {
            err(
                400,
                "InvalidRequest",
                "Missing required header for this request: Content-MD5.",
            )
        })?;
        let text = self.small_body(body)?;
        let got: [u8; 16] = Md5::digest(&text).into();
        if got != want {
            return Err(err(
                400,
                "BadDigest",
                "The Content-MD5 you specified did not match what was received.",
            )
            .into());
        }
        let doc = parse_xml(&text)?;
        let root = doc.root_element();
        if root.tag_name().name() != "Delete" {
            return Err(err(400, "MalformedXML", "The root element must be Delete.").into());
        }
        let quiet = child_text(root, "Quiet")
            .map(|v| v.trim().eq_ignore_ascii_case("true"))
            .unwrap_or(false);
        let mut keys = Vec::new();
        for o in root
            .children()
            .filter(|c| c.is_element() && c.tag_name().name() == "Object")
        {
            let k = child_text(o, "Key")
                .ok_or_else(|| err(400, "MalformedXML", "Every Object needs a Key."))?;
            keys.push(k.to_string());
        }
        if keys.is_empty() || keys.len() > 1000 {
            return Err(err(
                400,
                "MalformedXML",
                "Delete must list between 1 and 1000 objects.",
            )
            .into());
        }
        let mut x = String::from("<DeleteResult>");
        for k in &keys {
            if k.is_empty() || k.len() > MAX_KEY_BYTES {
                x.push_str(&format!(
                    "<Error>{}{}{}</Error>",
                    el("Key", k),
                    el("Code", "InvalidArgument"),
                    el("Message", "The key is empty or too long.")
                ));
                continue;
            }
            match self.sh.store.delete_object(&self.bucket, k) {
                Ok(_) => {
                    if !quiet {
                        x.push_str(&format!("<Deleted>{}</Deleted>", el("Key", k)));
                    }
                }
                Err(e) => {
                    let (code, msg) = match e {
                        StoreError::NoSuchBucket => (
                            "NoSuchBucket",
                            "The specified bucket does not exist.".to_string(),
                        ),
                        other => ("InternalError", format!("{other:?}")),
                    };
                    x.push_str(&format!(
                        "<Error>{}{}{}</Error>",
                        el("Key", k),
                        el("Code", code),
                        el("Message", &msg)
                    ));
                }
            }
        }
        x.push_str("</DeleteResult>");
        Ok(xml_ok(x))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(parse_range("bytes=0-9", 100), Ok(Some((0, 9))));
        assert_eq!(parse_range("bytes=90-", 100), Ok(Some((90, 99))));
        assert_eq!(parse_range("bytes=-10", 100), Ok(Some((90, 99))));
        assert_eq!(parse_range("bytes=-1000", 100), Ok(Some((0, 99))));
        assert_eq!(parse_range("bytes=50-1000", 100), Ok(Some((50, 99))));
        assert_eq!(parse_range("bytes=100-", 100), Err(()));
        assert_eq!(parse_range("bytes=0-0", 0), Err(()));
        assert_eq!(parse_range("bytes=5-1", 100), Ok(None));
        assert_eq!(parse_range("bytes=0-1,5-6", 100), Ok(None));
        assert_eq!(parse_range("items=0-1", 100), Ok(None));
    }

    #[test]
    fn copy_source_forms() {
        assert_eq!(
            parse_copy_source("src-1250000000.cos.ap-guangzhou.myqcloud.com/a%20b/c%2Bd.txt")
                .unwrap(),
            ("src-1250000000".into(), "a b/c+d.txt".into())
        );
        assert_eq!(
            parse_copy_source("127.0.0.1:9000/src-1250000000/k?versionId=x").unwrap(),
            ("src-1250000000".into(), "k".into())
        );
        assert_eq!(
            parse_copy_source("/src-1250000000/dir/k").unwrap(),
            ("src-1250000000".into(), "dir/k".into())
        );
        assert!(parse_copy_source("nothing").is_err());
        assert!(parse_copy_source("src-1250000000.cos.ap-guangzhou.myqcloud.com/").is_err());
    }

    #[test]
    fn etag_lists() {
        assert!(etag_list_matches("\"abc\"", "\"abc\""));
        assert!(etag_list_matches("x, W/\"abc\"", "\"abc\""));
        assert!(etag_list_matches("*", "\"abc\""));
        assert!(!etag_list_matches("\"abd\"", "\"abc\""));
    }

    #[test]
    fn element_replacement() {
        let mut r = Response::xml(
            200,
            "<A><ETag>&quot;x&quot;</ETag><CRC64>5</CRC64></A>".into(),
        );
        corrupt_crc(&mut r);
        let ResponseBody::Bytes(b) = &r.body else {
            panic!()
        };
        let s = String::from_utf8(b.clone()).unwrap();
        assert!(
            s.contains(&format!("<CRC64>{}</CRC64>", 5u64 ^ 0x5A5A_5A5A_5A5A_5A5A)),
            "{s}"
        );
    }
}
