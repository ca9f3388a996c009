//! The narrow seam between the transfer engine and the network: [`MultipartStore`].
//!
//! The engine (upload, download, copy) only ever calls these methods. [`crate::client::Client`]
//! implements the trait with one COS request per method; unit tests implement it with an
//! in-memory fake whose parts can be made to fail, so the engine's planning, parallelism,
//! retries, resume, cancel and integrity checks are tested without a socket.
//!
//! Every method is called from the engine's worker threads (or the calling thread), so
//! implementations must be `Sync`. None of them retries on the engine's behalf beyond what a
//! single request already does; part-level retries are the engine's job.

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::Result;
use crate::client::ObjectAcl;

/// Given to [`MultipartStore::upload_part`] so an implementation that streams the part
/// can report bytes as they go out and stop early when the transfer is cancelled. An
/// implementation may ignore it (the engine then counts the part when it completes).
pub struct PartWatch<'a> {
    cancel: &'a AtomicBool,
    loaded: &'a AtomicU64,
    sent: AtomicU64,
}

impl<'a> PartWatch<'a> {
    pub(crate) fn new(cancel: &'a AtomicBool, loaded: &'a AtomicU64) -> Self {
        PartWatch {
            cancel,
            loaded,
            sent: AtomicU64::new(0),
        }
    }

    /// True once the transfer was cancelled (or failed elsewhere): stop sending.
    pub fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    /// `n` more bytes of the part went out.
    pub fn sent(&self, n: u64) {
        self.sent.fetch_add(n, Ordering::Relaxed);
        self.loaded.fetch_add(n, Ordering::Relaxed);
    }

    /// Bytes reported through [`PartWatch::sent`] so far.
    pub fn sent_so_far(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }
}

/// The subset of the client configuration the engine reads (seed SDK names and defaults).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferConfig {
    /// Uploads of at most this many bytes go up as one PUT Object; downloads of at most
    /// this many bytes come down as one GET. Seed default 1 MiB.
    pub slice_size: u64,
    /// Part size of multipart uploads and ranged downloads (raised so no upload needs more
    /// than 10,000 parts; never below 1 MiB for uploads, COS's minimum part size).
    pub chunk_size: u64,
    /// Parts in flight at once for one transfer.
    pub chunk_parallel_limit: usize,
    /// Extra attempts for a part (or range, or Complete) after a retryable failure.
    pub chunk_retry_times: u32,
    /// Copies of sources of at most this many bytes use one PUT Object - Copy.
    pub copy_slice_size: u64,
    /// Part size of multipart copies.
    pub copy_chunk_size: u64,
    /// Upload Part - Copy requests in flight at once.
    pub copy_chunk_parallel_limit: usize,
    /// Minimum time between two progress callbacks (the final one is always made).
    pub progress_interval_ms: u64,
    /// Send Content-MD5 on the PUT and on every part.
    pub upload_check_content_md5: bool,
    /// Store the hex MD5 of the whole source as `x-cos-meta-md5`.
    pub upload_add_meta_md5: bool,
}

impl Default for TransferConfig {
    fn default() -> Self {
        TransferConfig {
            slice_size: 1 << 20,
            chunk_size: 1 << 20,
            chunk_parallel_limit: 3,
            chunk_retry_times: 2,
            copy_slice_size: 10 << 20,
            copy_chunk_size: 10 << 20,
            copy_chunk_parallel_limit: 20,
            progress_interval_ms: 1000,
            upload_check_content_md5: false,
            upload_add_meta_md5: false,
        }
    }
}

/// Headers that describe the object being written (sent on PUT Object, Initiate Multipart
/// Upload, and on PUT Object - Copy when metadata is replaced).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectAttrs {
    pub content_type: Option<String>,
    pub cache_control: Option<String>,
    pub content_disposition: Option<String>,
    pub content_encoding: Option<String>,
    pub expires: Option<String>,
    pub storage_class: Option<String>,
    /// User metadata, names without the `x-cos-meta-` prefix.
    pub meta: Vec<(String, String)>,
    /// Extra request headers (validated by the client).
    pub headers: Vec<(String, String)>,
    /// The object's ACL (`x-cos-acl`, `x-cos-grant-*`); empty sends none. Sent on PUT
    /// Object and Initiate, never on Upload Part.
    pub acl: ObjectAcl,
    /// The object's tags (`x-cos-tagging`); empty sends none. Sent on PUT Object and
    /// Initiate, never on Upload Part.
    pub tagging: Vec<(String, String)>,
}

/// What a successful PUT Object, Complete Multipart Upload or PUT Object - Copy returned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Written {
    pub etag: String,
    /// `x-cos-hash-crc64ecma` of the whole object, when the service sent it.
    pub crc64: Option<u64>,
    pub version_id: Option<String>,
}

/// What a successful Upload Part or Upload Part - Copy returned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PartWritten {
    pub etag: String,
    /// `x-cos-hash-crc64ecma` of the part, when the service sent it.
    pub crc64: Option<u64>,
}

/// What [`MultipartStore::get`] delivered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Got {
    /// CRC-64 (crc64ecma) of the bytes written to the sink (the caller counts them as
    /// its sink receives them).
    pub crc64: u64,
}

/// One in-progress multipart upload, from List Multipart Uploads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RemoteUpload {
    pub key: String,
    pub upload_id: String,
    /// ISO 8601 time the upload was initiated (sorts chronologically as text).
    pub initiated: String,
}

/// One uploaded part, from List Parts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RemotePart {
    pub number: u32,
    pub etag: String,
    pub size: u64,
}

/// What HEAD Object says about an object.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RemoteObject {
    pub size: u64,
    pub etag: String,
    pub crc64: Option<u64>,
    pub last_modified: String,
    pub version_id: Option<String>,
    /// Content type, cache headers, storage class and user metadata (carried over by a
    /// multipart copy).
    pub attrs: ObjectAttrs,
}

/// The source of a copy (`x-cos-copy-source`): the client's type.
pub use crate::client::CopySource;

/// The operations the transfer engine needs. See the module documentation.
pub trait MultipartStore: Sync {
    /// The transfer settings of this store's configuration.
    fn transfer_config(&self) -> TransferConfig;

    /// A thread pool to run parts on. `None` (the default): the engine builds a pool of
    /// the transfer's parallelism for the duration of the transfer.
    fn pool(&self) -> Option<&rayon::ThreadPool> {
        None
    }

    /// PUT Object with `data` as the whole body.
    fn put_object(
        &self,
        key: &str,
        data: &[u8],
        attrs: &ObjectAttrs,
        content_md5: Option<[u8; 16]>,
        traffic_limit: Option<u64>,
    ) -> Result<Written>;

    /// Initiate Multipart Upload; returns the UploadId.
    fn initiate(&self, key: &str, attrs: &ObjectAttrs) -> Result<String>;

    /// Upload Part `number` (1-10000) of `upload_id`. `watch` receives the bytes as they
    /// are sent and says when to give up (see [`PartWatch`]).
    #[allow(clippy::too_many_arguments)]
    fn upload_part(
        &self,
        key: &str,
        upload_id: &str,
        number: u32,
        data: &[u8],
        content_md5: Option<[u8; 16]>,
        traffic_limit: Option<u64>,
        watch: &PartWatch<'_>,
    ) -> Result<PartWritten>;

    /// Whether [`MultipartStore::upload_part_from_file`] is implemented. When it is, the
    /// parts of a file upload that needs no MD5 go from the file to the wire without a
    /// part buffer; otherwise (the default) the engine reads each part into one of its
    /// buffers and calls [`MultipartStore::upload_part`].
    fn uploads_parts_from_files(&self) -> bool {
        false
    }

    /// Upload Part `number` of `upload_id` with `len` bytes of `file` from `offset` as
    /// the body, read with positioned reads while sending. Returns the service's answer
    /// and the CRC-64 of the bytes actually sent. Only called when
    /// [`MultipartStore::uploads_parts_from_files`] is true.
    #[allow(clippy::too_many_arguments)]
    fn upload_part_from_file(
        &self,
        key: &str,
        upload_id: &str,
        number: u32,
        file: &std::fs::File,
        offset: u64,
        len: u64,
        traffic_limit: Option<u64>,
        watch: &PartWatch<'_>,
    ) -> Result<(PartWritten, u64)> {
        let _ = (
            key,
            upload_id,
            number,
            file,
            offset,
            len,
            traffic_limit,
            watch,
        );
        Err(crate::Error::Internal(
            "this store does not upload parts straight from files".into(),
        ))
    }

    /// Complete Multipart Upload with `(part number, ETag)` in ascending order.
    fn complete(&self, key: &str, upload_id: &str, parts: &[(u32, String)]) -> Result<Written>;

    /// Abort Multipart Upload.
    fn abort(&self, key: &str, upload_id: &str) -> Result<()>;

    /// Every in-progress upload whose key starts with `key` (all pages). The engine keeps
    /// the exact matches itself.
    fn list_uploads(&self, key: &str) -> Result<Vec<RemoteUpload>>;

    /// Every part of `upload_id` (all pages).
    fn list_parts(&self, key: &str, upload_id: &str) -> Result<Vec<RemotePart>>;

    /// HEAD Object.
    fn head(&self, key: &str) -> Result<RemoteObject>;

    /// GET Object, the whole object (`range = None`) or bytes `first..=last`, written to
    /// `sink`. With `if_match`, the GET is conditional on that ETag (so the ranges of one
    /// download all come from the same object). Returns the CRC-64 of the bytes written,
    /// computed once as they went to `sink` (the download checks it; it does not hash
    /// the bytes a second time).
    fn get(
        &self,
        key: &str,
        range: Option<(u64, u64)>,
        if_match: Option<&str>,
        traffic_limit: Option<u64>,
        sink: &mut dyn Write,
    ) -> Result<Got>;

    /// HEAD of a copy source (which may live in another bucket or region).
    fn head_source(&self, src: &CopySource) -> Result<RemoteObject>;

    /// PUT Object - Copy. `replace = Some(attrs)` replaces the metadata with `attrs`
    /// (their `acl` and `tagging` are not used); `None` copies the source's metadata.
    /// `acl`: the destination's ACL (empty: none sent). `tagging`: `Some` replaces the
    /// tags with these (`x-cos-tagging-directive: Replaced`), `None` copies the source's.
    fn copy_object(
        &self,
        key: &str,
        src: &CopySource,
        replace: Option<&ObjectAttrs>,
        acl: &ObjectAcl,
        tagging: Option<&[(String, String)]>,
    ) -> Result<Written>;

    /// The tags of a copy source (GET Object tagging; none: empty). A multipart copy
    /// that keeps the source's tags sets them on its Initiate.
    fn source_tagging(&self, src: &CopySource) -> Result<Vec<(String, String)>>;

    /// Upload Part - Copy of source bytes `first..=last`.
    fn upload_part_copy(
        &self,
        key: &str,
        upload_id: &str,
        number: u32,
        src: &CopySource,
        range: (u64, u64),
    ) -> Result<PartWritten>;

    /// [`MultipartStore::upload_part_copy`] with the transfer's [`PartWatch`]: the engine
    /// calls this one. A copied part has no body to report, so the watch only tells a
    /// store that holds parts back (the queue's, while a pause is pending) when the
    /// transfer is stopping. The default ignores it.
    fn upload_part_copy_watched(
        &self,
        key: &str,
        upload_id: &str,
        number: u32,
        src: &CopySource,
        range: (u64, u64),
        watch: &PartWatch<'_>,
    ) -> Result<PartWritten> {
        let _ = watch;
        self.upload_part_copy(key, upload_id, number, src, range)
    }
}
