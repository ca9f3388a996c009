//! [`MultipartStore`] for [`Client`]: one COS request per method, plus the transfer
//! methods on `Client` itself (`upload_file`, `download_file`, `download_to_buffer`,
//! `slice_copy`).

use std::io::Write;
use std::path::Path;

use base64::Engine;

use super::copy::{CopyOptions, CopyOutput, slice_copy};
use super::download::{DownloadOptions, DownloadOutput, download_file, download_to_buffer};
use super::run::ProgressFn;
use super::store::{
    CopySource, Got, MultipartStore, ObjectAttrs, PartWatch, PartWritten, RemoteObject, RemotePart,
    RemoteUpload, TransferConfig, Written,
};
use super::upload::{UploadOptions, UploadOutput, UploadSource, upload};
use crate::client::{
    Body, Client, CopyObjectOptions, GetObjectOptions, ObjectAcl, ObjectInfo, PutObjectOptions,
    UploadPartOptions,
};
use crate::crc64;
use crate::{Error, Result};

fn put_options(attrs: &ObjectAttrs) -> PutObjectOptions {
    PutObjectOptions {
        content_type: attrs.content_type.clone(),
        cache_control: attrs.cache_control.clone(),
        content_disposition: attrs.content_disposition.clone(),
        content_encoding: attrs.content_encoding.clone(),
        expires: attrs.expires.clone(),
        storage_class: attrs.storage_class.clone(),
        meta: attrs.meta.clone(),
        headers: attrs.headers.clone(),
        // The engine computes the MD5 itself (once, while reading) and adds the header.
        check_content_md5: Some(false),
        add_meta_md5: Some(false),
        traffic_limit: None,
        acl: attrs.acl.clone(),
        tagging: attrs.tagging.clone(),
    }
}

impl From<&PutObjectOptions> for ObjectAttrs {
    /// The object headers of PUT Object options.
    fn from(o: &PutObjectOptions) -> Self {
        ObjectAttrs {
            content_type: o.content_type.clone(),
            cache_control: o.cache_control.clone(),
            content_disposition: o.content_disposition.clone(),
            content_encoding: o.content_encoding.clone(),
            expires: o.expires.clone(),
            storage_class: o.storage_class.clone(),
            meta: o.meta.clone(),
            headers: o.headers.clone(),
            acl: o.acl.clone(),
            tagging: o.tagging.clone(),
        }
    }
}

impl From<&PutObjectOptions> for UploadOptions {
    /// Upload options from PUT Object options (headers, MD5 choices, traffic limit); the
    /// transfer settings stay at their defaults.
    fn from(o: &PutObjectOptions) -> Self {
        UploadOptions {
            attrs: o.into(),
            check_content_md5: o.check_content_md5,
            add_meta_md5: o.add_meta_md5,
            traffic_limit: o.traffic_limit,
            ..UploadOptions::default()
        }
    }
}

fn header(info: &ObjectInfo, name: &str) -> Option<String> {
    info.headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.clone())
}

fn remote_object(info: ObjectInfo) -> RemoteObject {
    let attrs = ObjectAttrs {
        content_type: (!info.content_type.is_empty()).then(|| info.content_type.clone()),
        cache_control: header(&info, "cache-control"),
        content_disposition: header(&info, "content-disposition"),
        content_encoding: header(&info, "content-encoding"),
        expires: header(&info, "expires"),
        storage_class: info.storage_class.clone(),
        meta: info.meta.clone(),
        headers: Vec::new(),
        ..ObjectAttrs::default()
    };
    RemoteObject {
        size: info.content_length,
        etag: info.etag,
        crc64: info.crc64,
        last_modified: info.last_modified,
        version_id: info.version_id,
        attrs,
    }
}

/// A part body that reports what it hands out and stops when the transfer is cancelled.
struct WatchReader<'a> {
    data: &'a [u8],
    watch: &'a PartWatch<'a>,
}

impl std::io::Read for WatchReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.watch.cancelled() {
            return Err(std::io::Error::other("the transfer was cancelled"));
        }
        let n = buf.len().min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        self.watch.sent(n as u64);
        Ok(n)
    }
}

/// A part body read straight from the source file with positioned reads into the HTTP
/// layer's send buffer (no part buffer, no extra copy); reports what it hands out and
/// stops when the transfer is cancelled. A file that ends early ends the body early,
/// which the HTTP layer reports (the body is shorter than its declared length).
struct FileRangeReader<'a> {
    file: &'a std::fs::File,
    offset: u64,
    remaining: u64,
    watch: &'a PartWatch<'a>,
}

impl std::io::Read for FileRangeReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.watch.cancelled() {
            return Err(std::io::Error::other("the transfer was cancelled"));
        }
        let want = (buf.len() as u64).min(self.remaining) as usize;
        if want == 0 {
            return Ok(0);
        }
        let n = std::os::unix::fs::FileExt::read_at(self.file, &mut buf[..want], self.offset)?;
        self.offset += n as u64;
        self.remaining -= n as u64;
        self.watch.sent(n as u64);
        Ok(n)
    }
}

fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

fn response_crc(resp: &crate::http::Response) -> Result<Option<u64>> {
    match resp.header("x-cos-hash-crc64ecma") {
        None | Some("") => Ok(None),
        Some(v) => crc64::parse_header(v).map(Some).ok_or_else(|| {
            Error::Protocol(format!(
                "x-cos-hash-crc64ecma {v:?} is not a decimal number"
            ))
        }),
    }
}

impl MultipartStore for Client {
    fn transfer_config(&self) -> TransferConfig {
        let c = self.config();
        TransferConfig {
            slice_size: c.slice_size,
            chunk_size: c.chunk_size,
            chunk_parallel_limit: c.chunk_parallel_limit,
            chunk_retry_times: c.chunk_retry_times,
            copy_slice_size: c.copy_slice_size,
            copy_chunk_size: c.copy_chunk_size,
            copy_chunk_parallel_limit: c.copy_chunk_parallel_limit,
            progress_interval_ms: c.progress_interval_ms,
            upload_check_content_md5: c.upload_check_content_md5,
            upload_add_meta_md5: c.upload_add_meta_md5,
        }
    }

    /// The client's own pool (shared by all its transfers); each transfer still keeps
    /// at most its parallel limit of parts in flight.
    fn pool(&self) -> Option<&rayon::ThreadPool> {
        self.worker_pool()
    }

    fn put_object(
        &self,
        key: &str,
        data: &[u8],
        attrs: &ObjectAttrs,
        content_md5: Option<[u8; 16]>,
        traffic_limit: Option<u64>,
    ) -> Result<Written> {
        let mut opts = put_options(attrs);
        opts.traffic_limit = traffic_limit;
        // The engine hashed `data` while filling it and checks the answer's CRC-64.
        let mut req = self
            .put_object_request(key, Body::Bytes(data), &opts)?
            .without_body_crc();
        if let Some(m) = content_md5 {
            req = req.header("content-md5", b64(&m));
        }
        let resp = self.http().send(req)?;
        Ok(Written {
            etag: resp.header("etag").unwrap_or("").to_string(),
            crc64: response_crc(&resp)?,
            version_id: resp
                .header("x-cos-version-id")
                .filter(|v| !v.is_empty())
                .map(str::to_string),
        })
    }

    fn initiate(&self, key: &str, attrs: &ObjectAttrs) -> Result<String> {
        self.initiate_multipart_upload(key, &put_options(attrs))
    }

    fn upload_part(
        &self,
        key: &str,
        upload_id: &str,
        number: u32,
        data: &[u8],
        content_md5: Option<[u8; 16]>,
        traffic_limit: Option<u64>,
        watch: &PartWatch<'_>,
    ) -> Result<PartWritten> {
        let opts = UploadPartOptions {
            content_md5: false,
            traffic_limit,
        };
        // Sent through a reader so progress is counted as bytes go out and a cancel stops
        // the body mid-way. Such a body is not replayed by the HTTP layer: the engine
        // retries the part itself.
        let mut reader = WatchReader { data, watch };
        let body = Body::Reader {
            reader: &mut reader,
            len: data.len() as u64,
        };
        // The engine hashed `data` while filling it and checks the answer's CRC-64.
        let mut req = self
            .upload_part_request(key, upload_id, number, body, &opts)?
            .without_body_crc();
        if let Some(m) = content_md5 {
            req = req.header("content-md5", b64(&m));
        }
        let resp = self.http().send(req)?;
        let etag = resp.header("etag").unwrap_or("").to_string();
        if etag.is_empty() {
            return Err(Error::Protocol(format!(
                "Upload Part {number} of {key:?} answered without an ETag (request id {})",
                resp.request_id()
            )));
        }
        Ok(PartWritten {
            etag,
            crc64: response_crc(&resp)?,
        })
    }

    fn uploads_parts_from_files(&self) -> bool {
        true
    }

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
        let opts = UploadPartOptions {
            content_md5: false,
            traffic_limit,
        };
        let mut reader = FileRangeReader {
            file,
            offset,
            remaining: len,
            watch,
        };
        let body = Body::Reader {
            reader: &mut reader,
            len,
        };
        let req = self.upload_part_request(key, upload_id, number, body, &opts)?;
        let resp = self.http().send(req)?;
        let sent = resp.sent_crc64.ok_or_else(|| {
            Error::Internal(format!(
                "Upload Part {number} of {key:?}: the HTTP layer kept no CRC-64 of the body"
            ))
        })?;
        let etag = resp.header("etag").unwrap_or("").to_string();
        if etag.is_empty() {
            return Err(Error::Protocol(format!(
                "Upload Part {number} of {key:?} answered without an ETag (request id {})",
                resp.request_id()
            )));
        }
        Ok((
            PartWritten {
                etag,
                crc64: response_crc(&resp)?,
            },
            sent,
        ))
    }

    fn complete(&self, key: &str, upload_id: &str, parts: &[(u32, String)]) -> Result<Written> {
        let o = self.complete_multipart_upload(key, upload_id, parts)?;
        Ok(Written {
            etag: o.etag,
            crc64: o.crc64,
            version_id: o.version_id,
        })
    }

    fn abort(&self, key: &str, upload_id: &str) -> Result<()> {
        self.abort_multipart_upload(key, upload_id)
    }

    fn list_uploads(&self, key: &str) -> Result<Vec<RemoteUpload>> {
        Ok(self
            .list_multipart_uploads(key)?
            .into_iter()
            .map(|u| RemoteUpload {
                key: u.key,
                upload_id: u.upload_id,
                initiated: u.initiated,
            })
            .collect())
    }

    fn list_parts(&self, key: &str, upload_id: &str) -> Result<Vec<RemotePart>> {
        Ok(Client::list_parts(self, key, upload_id)?
            .into_iter()
            .map(|p| RemotePart {
                number: p.part_number,
                etag: p.etag,
                size: p.size,
            })
            .collect())
    }

    fn head(&self, key: &str) -> Result<RemoteObject> {
        Ok(remote_object(
            self.head_object(key, &GetObjectOptions::default())?,
        ))
    }

    fn get(
        &self,
        key: &str,
        range: Option<(u64, u64)>,
        if_match: Option<&str>,
        traffic_limit: Option<u64>,
        sink: &mut dyn Write,
    ) -> Result<Got> {
        let opts = GetObjectOptions {
            range: range.map(|(a, b)| (a, Some(b))),
            if_match: if_match.map(str::to_string),
            traffic_limit,
            ..GetObjectOptions::default()
        };
        let info = self.get_object(key, &opts, sink)?;
        let crc64 = info.received_crc64.ok_or_else(|| {
            Error::Internal(format!("GET {key}: the HTTP layer computed no CRC-64"))
        })?;
        Ok(Got { crc64 })
    }

    fn head_source(&self, src: &CopySource) -> Result<RemoteObject> {
        let opts = GetObjectOptions {
            version_id: src.version_id.clone(),
            ..GetObjectOptions::default()
        };
        with_source_client(self, src, |c| {
            Ok(remote_object(c.head_object(&src.key, &opts)?))
        })
    }

    fn source_tagging(&self, src: &CopySource) -> Result<Vec<(String, String)>> {
        with_source_client(self, src, |c| {
            c.get_object_tagging(&src.key, src.version_id.as_deref())
        })
    }

    fn copy_object(
        &self,
        key: &str,
        src: &CopySource,
        replace: Option<&ObjectAttrs>,
        acl: &ObjectAcl,
        tagging: Option<&[(String, String)]>,
    ) -> Result<Written> {
        let mut put = replace.map(put_options).unwrap_or_default();
        put.acl = acl.clone();
        put.tagging = tagging.map(<[_]>::to_vec).unwrap_or_default();
        let opts = CopyObjectOptions {
            metadata_directive_replace: replace.is_some(),
            tagging_directive_replace: tagging.is_some(),
            put,
        };
        let o = Client::copy_object(self, key, src, &opts)?;
        Ok(Written {
            etag: o.etag,
            crc64: o.crc64,
            version_id: o.version_id,
        })
    }

    fn upload_part_copy(
        &self,
        key: &str,
        upload_id: &str,
        number: u32,
        src: &CopySource,
        range: (u64, u64),
    ) -> Result<PartWritten> {
        let o = Client::upload_part_copy(self, key, upload_id, number, src, Some(range))?;
        Ok(PartWritten {
            etag: o.etag,
            crc64: o.crc64,
        })
    }
}

/// The transfer engine on the client (see [`crate::transfer`]).
impl Client {
    /// Upload a file, a reader of known length, or a stream: one PUT up to `slice_size`,
    /// otherwise a parallel, resumable multipart upload verified with CRC-64.
    /// `progress` runs on the calling thread; returning `false` cancels.
    pub fn upload_file(
        &self,
        key: &str,
        source: UploadSource<'_>,
        opts: &UploadOptions,
        progress: Option<ProgressFn<'_>>,
    ) -> Result<UploadOutput> {
        upload(self, key, source, opts, progress)
    }

    /// Download an object to `path` with parallel ranged GETs, verified with CRC-64; the
    /// file appears at `path` only when complete.
    pub fn download_file(
        &self,
        key: &str,
        path: &Path,
        opts: &DownloadOptions,
        progress: Option<ProgressFn<'_>>,
    ) -> Result<DownloadOutput> {
        download_file(self, key, path, opts, progress)
    }

    /// Download an object into `buf` with parallel ranged GETs, verified with CRC-64.
    pub fn download_to_buffer(
        &self,
        key: &str,
        buf: &mut [u8],
        opts: &DownloadOptions,
        progress: Option<ProgressFn<'_>>,
    ) -> Result<DownloadOutput> {
        download_to_buffer(self, key, buf, opts, progress)
    }

    /// Copy `src` to `key`: one PUT Object - Copy up to `copy_slice_size`, otherwise a
    /// parallel multipart copy.
    pub fn slice_copy(
        &self,
        key: &str,
        src: &CopySource,
        opts: &CopyOptions,
        progress: Option<ProgressFn<'_>>,
    ) -> Result<CopyOutput> {
        slice_copy(self, key, src, opts, progress)
    }
}

/// Run `f` with a client of `src`'s bucket: `client` itself, or one made for the
/// source's bucket and region with the same settings and credentials.
fn with_source_client<T>(
    client: &Client,
    src: &CopySource,
    f: impl FnOnce(&Client) -> Result<T>,
) -> Result<T> {
    let c = client.config();
    if src.bucket == c.bucket && src.region == c.region {
        return f(client);
    }
    let mut cfg = c.clone();
    cfg.bucket = src.bucket.clone();
    cfg.region = src.region.clone();
    f(&Client::new(cfg)?)
}
