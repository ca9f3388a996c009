//! Options and outputs of the client operations (all `Default + Debug + Clone`).

use std::io::Read;
use std::path::Path;

pub use crate::xml::{
    BucketSummary, DeleteError, DeleteObjectsOutput, ListObjectsPage, ObjectSummary, PartInfo,
    UploadInfo,
};

/// The body of a PUT Object or Upload Part.
pub enum Body<'a> {
    /// Bytes in memory (retried on failure).
    Bytes(&'a [u8]),
    /// A whole file (reopened for each attempt, so retried on failure).
    File(&'a Path),
    /// `len` bytes of a file starting at `offset` (a part of a multipart upload; reopened
    /// for each attempt, so retried on failure).
    FileRange {
        path: &'a Path,
        offset: u64,
        len: u64,
    },
    /// A reader that delivers exactly `len` bytes. Sent once: not retried. When an MD5 is
    /// asked for (`check_content_md5` / `add_meta_md5`) the reader is read into memory
    /// first, which makes the request replayable too.
    Reader {
        reader: &'a mut (dyn Read + Send),
        len: u64,
    },
}

impl std::fmt::Debug for Body<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Body::Bytes(b) => write!(f, "Bytes({} bytes)", b.len()),
            Body::File(p) => write!(f, "File({})", p.display()),
            Body::FileRange { path, offset, len } => {
                write!(f, "FileRange({}, {offset}+{len})", path.display())
            }
            Body::Reader { len, .. } => write!(f, "Reader({len} bytes)"),
        }
    }
}

/// Options of PUT Object and Initiate Multipart Upload.
#[derive(Debug, Clone, Default)]
pub struct PutObjectOptions {
    /// `Content-Type`; default `application/octet-stream`.
    pub content_type: Option<String>,
    pub cache_control: Option<String>,
    pub content_disposition: Option<String>,
    pub content_encoding: Option<String>,
    pub expires: Option<String>,
    /// `x-cos-storage-class`, e.g. `STANDARD_IA`.
    pub storage_class: Option<String>,
    /// User metadata: names without the `x-cos-meta-` prefix.
    pub meta: Vec<(String, String)>,
    /// Extra request headers (validated; `Host`, `Authorization`, `Content-Length` refused).
    pub headers: Vec<(String, String)>,
    /// Send `Content-MD5`; `None` = `Config::upload_check_content_md5`.
    pub check_content_md5: Option<bool>,
    /// Add `x-cos-meta-md5` (hex MD5 of the body); `None` = `Config::upload_add_meta_md5`.
    pub add_meta_md5: Option<bool>,
    /// `x-cos-traffic-limit` in bit/s (819200..=838860800).
    pub traffic_limit: Option<u64>,
    /// The object's ACL, sent as `x-cos-acl` and `x-cos-grant-*` (signed, like every
    /// `x-cos-*` header). Empty (the default) sends none: the object inherits the
    /// bucket's ACL. This is the way to set an ACL at write time; giving an ACL header
    /// in `headers` as well is refused.
    pub acl: ObjectAcl,
    /// The object's tags, sent as `x-cos-tagging` (`k1=v1&k2=v2`, each key and value
    /// URL-encoded), checked with [`validate_tags`](crate::client::validate_tags) before
    /// anything is sent. Empty (the default) sends none. Giving `x-cos-tagging` in
    /// `headers` as well is refused. For a copy, see
    /// [`CopyObjectOptions::tagging_directive_replace`].
    pub tagging: Vec<(String, String)>,
}

/// Answer of PUT Object.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PutObjectOutput {
    pub etag: String,
    /// `x-cos-hash-crc64ecma` (already checked against the bytes sent).
    pub crc64: Option<u64>,
    pub version_id: Option<String>,
    pub request_id: String,
}

/// Options of GET and HEAD Object.
#[derive(Debug, Clone, Default)]
pub struct GetObjectOptions {
    /// `(first, last)` byte positions, inclusive; `last = None` reads to the end.
    pub range: Option<(u64, Option<u64>)>,
    pub if_match: Option<String>,
    pub if_none_match: Option<String>,
    pub if_modified_since: Option<String>,
    pub if_unmodified_since: Option<String>,
    pub response_content_type: Option<String>,
    pub response_content_disposition: Option<String>,
    pub response_content_encoding: Option<String>,
    pub response_content_language: Option<String>,
    pub response_cache_control: Option<String>,
    pub response_expires: Option<String>,
    pub version_id: Option<String>,
    /// `x-cos-traffic-limit` in bit/s.
    pub traffic_limit: Option<u64>,
}

/// What GET/HEAD Object report about an object.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectInfo {
    /// 200, or 206 for a range.
    pub http_status: u16,
    /// `Content-Length` (of the range, for a 206).
    pub content_length: u64,
    pub content_type: String,
    pub etag: String,
    pub last_modified: String,
    /// `x-cos-hash-crc64ecma` of the whole object.
    pub crc64: Option<u64>,
    /// CRC-64 (crc64ecma) of the body bytes this call received, computed as they
    /// arrived: of the range for a ranged GET. `None` for HEAD.
    pub received_crc64: Option<u64>,
    pub storage_class: Option<String>,
    pub version_id: Option<String>,
    pub content_range: Option<String>,
    /// `x-cos-meta-*` (names without the prefix, lowercase).
    pub meta: Vec<(String, String)>,
    /// Every response header (names lowercase).
    pub headers: Vec<(String, String)>,
    pub request_id: String,
}

/// The source of a copy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CopySource {
    pub bucket: String,
    pub region: String,
    pub key: String,
    pub version_id: Option<String>,
}

/// Options of PUT Object - Copy.
#[derive(Debug, Clone, Default)]
pub struct CopyObjectOptions {
    /// `x-cos-metadata-directive: Replaced` (use `put`'s metadata) instead of `Copy`.
    /// Required to change metadata of an object copied onto itself.
    pub metadata_directive_replace: bool,
    /// `x-cos-tagging-directive: Replaced`: the destination gets `put.tagging` (none
    /// when empty) instead of the source's tags. `false` (the default) copies the
    /// source's tags; `put.tagging` must then be empty (refused otherwise: COS would
    /// ignore it). Changing the tags of an object copied onto itself needs `true`.
    pub tagging_directive_replace: bool,
    /// Metadata and headers for the destination; content type, cache control,
    /// disposition, encoding, expires and `meta` apply only when replacing.
    /// `storage_class`, `acl` and `headers` always apply (a copy does not take the
    /// source's ACL: without `acl` the destination inherits the bucket's); `tagging`
    /// applies with `tagging_directive_replace`.
    pub put: PutObjectOptions,
}

/// Answer of PUT Object - Copy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CopyObjectOutput {
    pub etag: String,
    pub crc64: Option<u64>,
    pub last_modified: String,
    pub version_id: Option<String>,
    pub request_id: String,
}

/// Options of GET Bucket.
#[derive(Debug, Clone, Default)]
pub struct ListObjectsOptions {
    pub prefix: String,
    /// Usually `/`; empty = no grouping.
    pub delimiter: String,
    /// Start after this key.
    pub marker: String,
    /// Page size (1..=1000; COS default 1000).
    pub max_keys: Option<u32>,
}

/// Answer of HEAD Bucket.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BucketInfo {
    /// `x-cos-bucket-region`, when sent.
    pub region: Option<String>,
    pub request_id: String,
}

/// Options of Upload Part.
#[derive(Debug, Clone, Default)]
pub struct UploadPartOptions {
    /// Send `Content-MD5` of the part.
    pub content_md5: bool,
    /// `x-cos-traffic-limit` in bit/s.
    pub traffic_limit: Option<u64>,
}

/// Answer of Upload Part and Upload Part - Copy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PartOutput {
    pub etag: String,
    /// The part's CRC-64 (for Upload Part, already checked against the bytes sent).
    pub crc64: Option<u64>,
}

/// Answer of Complete Multipart Upload.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CompleteOutput {
    pub etag: String,
    /// CRC-64 of the whole object (present when every part had one).
    pub crc64: Option<u64>,
    pub location: String,
    pub version_id: Option<String>,
    pub request_id: String,
}

// ----------------------------------------------------------------------------------------
// Object tagging and ACL (§6.18).

pub use crate::xml::{AccessControlPolicy, Grant};

/// Most tags one object can carry (COS: 10).
pub const MAX_OBJECT_TAGS: usize = 10;
/// Longest tag key, in characters (Unicode scalar values), COS accepts: 128.
pub const MAX_TAG_KEY_CHARS: usize = 128;
/// Longest tag value, in characters (Unicode scalar values), COS accepts: 256.
pub const MAX_TAG_VALUE_CHARS: usize = 256;

/// Most grants one `<AccessControlPolicy>` may hold (COS: 1000).
pub const MAX_ACL_GRANTS: usize = 1000;

/// A canned ACL (`x-cos-acl`) of an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CannedAcl {
    /// `default`: inherit the bucket's ACL.
    Default,
    /// `private`: only the owner (and grants) may access the object.
    Private,
    /// `public-read`: anyone may read the object.
    PublicRead,
}

impl CannedAcl {
    /// The header value: `default`, `private` or `public-read`.
    pub fn as_str(self) -> &'static str {
        match self {
            CannedAcl::Default => "default",
            CannedAcl::Private => "private",
            CannedAcl::PublicRead => "public-read",
        }
    }

    /// Parse a header value (exactly `default`, `private` or `public-read`).
    pub fn parse(s: &str) -> Option<CannedAcl> {
        match s {
            "default" => Some(CannedAcl::Default),
            "private" => Some(CannedAcl::Private),
            "public-read" => Some(CannedAcl::PublicRead),
            _ => None,
        }
    }
}

/// What PUT Object ACL sets: a canned ACL and/or explicit grants, sent as headers
/// (`x-cos-acl`, `x-cos-grant-*`). Each grant list holds grantee ids, e.g.
/// `100000000001` or `qcs::cam::uin/100000000001:uin/100000000002`, written as
/// `id="…"` separated by commas.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectAcl {
    /// `x-cos-acl`; `None` sends no canned ACL.
    pub canned: Option<CannedAcl>,
    /// `x-cos-grant-read`: may read the object.
    pub grant_read: Vec<String>,
    /// `x-cos-grant-read-acp`: may read the object's ACL.
    pub grant_read_acp: Vec<String>,
    /// `x-cos-grant-write-acp`: may change the object's ACL.
    pub grant_write_acp: Vec<String>,
    /// `x-cos-grant-full-control`: all of the above.
    pub grant_full_control: Vec<String>,
}

impl ObjectAcl {
    /// Whether nothing is set (no canned ACL, no grant): a write then sends no ACL
    /// header.
    pub fn is_empty(&self) -> bool {
        self.canned.is_none()
            && self.grant_read.is_empty()
            && self.grant_read_acp.is_empty()
            && self.grant_write_acp.is_empty()
            && self.grant_full_control.is_empty()
    }
}

/// Answer of APPEND Object ([`Client::append_object`](crate::Client::append_object)).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppendObjectOutput {
    /// `x-cos-next-append-position`: the object's length after this append, i.e. the
    /// `position` of the next one.
    pub next_position: u64,
    pub etag: String,
    /// `x-cos-hash-crc64ecma`: CRC-64 of the whole object after this append, when sent.
    pub crc64: Option<u64>,
    /// Of the APPEND request; of the HEAD that confirmed the append when its own answer
    /// was lost (see [`Client::append_object`](crate::Client::append_object)).
    pub request_id: String,
}
