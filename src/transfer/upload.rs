//! Upload: one PUT for small sources, otherwise a parallel multipart upload in bounded
//! memory, with per-part CRC-64 (and MD5 when asked) computed while the bytes are read,
//! part retries, resume, cancel and progress.
//!
//! Memory: a multipart upload holds at most `parallel + 1` part buffers (one per part in
//! flight plus, for readers, the one being filled), reused from part to part, so its
//! extra memory is about `(chunk_parallel_limit + 1) × part size` whatever the source
//! size. A PUT of a small source holds that source (at most `slice_size` bytes).
//! The parts of a file that need no MD5 (no `check_content_md5`, not a resume check)
//! hold no part buffer at all when the store can send from files (the client can): they
//! are read with positioned reads straight into the HTTP layer's send buffer and their
//! CRC-64 is taken from the bytes sent. That saves a copy of every byte through memory
//! (see docs/BENCHMARKS.md).
//!
//! Resume: with [`UploadOptions::resume`] (the default) a file or reader of known length
//! continues the newest in-progress upload of the same key whose listed parts all have the
//! size this upload plans for their number. Each listed part is checked against the local
//! bytes (its ETag must be the MD5 of the local part; the local CRC-64 then feeds the
//! whole-object check); parts that match are not sent again, others are re-sent.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::Read;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::SystemTime;

use md5::{Digest, Md5};

use super::run::{
    Dispatch, ProgressFn, Reporter, RunEnd, hex, normalize_etag, run, split_traffic_limit,
    with_retries, with_retries_if,
};
use super::store::{MultipartStore, ObjectAttrs, PartWatch, RemotePart, Written};
use crate::crc64::{self, Crc64};
use crate::{Error, Result};

/// COS's smallest part (all parts but the last).
pub const MIN_PART_SIZE: u64 = 1 << 20;
/// COS's largest part.
pub const MAX_PART_SIZE: u64 = 5 << 30;
/// COS's part-number limit.
pub const MAX_PARTS: u64 = 10_000;
/// A stream's part size doubles after every this many parts (see [`stream_part_size`]).
pub const STREAM_PARTS_PER_SIZE: u32 = 1000;

/// Bytes read from a file or stream per hashing step, small enough that the CRC (and MD5)
/// see the bytes while they are still in cache.
const READ_STEP: usize = 1 << 20;

/// What to upload.
pub enum UploadSource<'a> {
    /// A file, read with positioned reads from several threads at once.
    File(&'a Path),
    /// A reader that yields exactly `len` bytes (read on the calling thread).
    Reader { reader: &'a mut dyn Read, len: u64 },
    /// A reader of unknown length, read to its end (on the calling thread).
    Stream(&'a mut dyn Read),
}

impl std::fmt::Debug for UploadSource<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UploadSource::File(p) => write!(f, "File({})", p.display()),
            UploadSource::Reader { len, .. } => write!(f, "Reader({len} bytes)"),
            UploadSource::Stream(_) => write!(f, "Stream"),
        }
    }
}

/// What happens to a multipart upload that stops before completing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Leftover {
    /// Leave the upload and its parts on the service so a later call can resume it.
    #[default]
    KeepForResume,
    /// Abort the multipart upload (its parts are deleted).
    Abort,
}

/// Options of one upload. `None` fields take the store's configuration.
#[derive(Debug, Clone)]
pub struct UploadOptions {
    /// Headers of the object (content type, storage class, metadata...).
    pub attrs: ObjectAttrs,
    /// Look for an in-progress upload of the same key to continue (files and readers of
    /// known length). Default true.
    pub resume: bool,
    /// After a cancel (the progress callback returned `false`). Default keep.
    pub on_cancel: Leftover,
    /// After a failure (a part failed past its retries, the file changed...). Default keep.
    pub on_error: Leftover,
    /// `x-cos-traffic-limit` budget in bit/s for the whole upload, shared by its parts.
    pub traffic_limit: Option<u64>,
    pub check_content_md5: Option<bool>,
    pub add_meta_md5: Option<bool>,
    pub slice_size: Option<u64>,
    pub chunk_size: Option<u64>,
    pub parallel: Option<usize>,
    /// Tests only: how often a stream's part size doubles.
    #[cfg(test)]
    pub(crate) stream_every: u32,
}

impl UploadOptions {
    fn stream_growth_every(&self) -> u32 {
        #[cfg(test)]
        if self.stream_every > 0 {
            return self.stream_every;
        }
        STREAM_PARTS_PER_SIZE
    }
}

impl Default for UploadOptions {
    fn default() -> Self {
        UploadOptions {
            attrs: ObjectAttrs::default(),
            resume: true,
            on_cancel: Leftover::KeepForResume,
            on_error: Leftover::KeepForResume,
            traffic_limit: None,
            check_content_md5: None,
            add_meta_md5: None,
            slice_size: None,
            chunk_size: None,
            parallel: None,
            #[cfg(test)]
            stream_every: 0,
        }
    }
}

/// The result of a successful upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadOutput {
    pub etag: String,
    /// CRC-64 of the bytes read locally; equal to the service's value whenever it sent one.
    pub crc64: u64,
    /// Whether the service sent a CRC-64 for the object (and it was compared).
    pub crc64_verified: bool,
    pub version_id: Option<String>,
    pub size: u64,
    /// `None` for a single PUT.
    pub upload_id: Option<String>,
    /// Parts of the multipart upload (0 for a single PUT).
    pub parts: u32,
    /// Parts found already uploaded (resume) and not sent again.
    pub resumed_parts: u32,
}

/// Part size for `total` bytes: `chunk` (at least 1 MiB) raised to a whole number of MiB
/// so the upload needs at most 10,000 parts.
pub fn plan_part_size(total: u64, chunk: u64) -> u64 {
    let chunk = chunk.clamp(MIN_PART_SIZE, MAX_PART_SIZE);
    let needed = total.div_ceil(MAX_PARTS);
    if needed <= chunk {
        chunk
    } else {
        needed.div_ceil(MIN_PART_SIZE) * MIN_PART_SIZE
    }
}

/// Size of part `number` (1-based) of a stream of unknown length: `chunk` for the first
/// 1000 parts, doubling every 1000 parts (capped at 5 GiB). 10,000 parts then hold
/// 1,023,000 × `chunk` bytes (about 1 TB for 1 MiB, 8 TB for 8 MiB), and memory stays
/// `(parallel + 1) ×` the current part size.
pub fn stream_part_size(chunk: u64, number: u32) -> u64 {
    part_size_growing(chunk, number, STREAM_PARTS_PER_SIZE)
}

fn part_size_growing(chunk: u64, number: u32, every: u32) -> u64 {
    let chunk = chunk.clamp(MIN_PART_SIZE, MAX_PART_SIZE);
    let doublings = (number.saturating_sub(1) / every.max(1)).min(20);
    chunk.saturating_mul(1 << doublings).min(MAX_PART_SIZE)
}

/// The (size, mtime) of a file, to detect a change during the upload.
fn file_identity(file: &File, path: &Path) -> Result<(u64, Option<SystemTime>)> {
    let m = file
        .metadata()
        .map_err(|e| Error::io(format!("stat {}", path.display()), e))?;
    Ok((m.len(), m.modified().ok()))
}

fn changed_error(path: &Path) -> Error {
    Error::InvalidState(format!(
        "{} changed during the upload (size or modification time differs); nothing was completed",
        path.display()
    ))
}

struct Hashes {
    crc: u64,
    md5: Option<[u8; 16]>,
}

fn md5_bytes(m: Md5) -> [u8; 16] {
    let out = m.finalize();
    let mut a = [0u8; 16];
    a.copy_from_slice(&out);
    a
}

/// Fill `buf` from `file` at `offset`, hashing as it goes. The whole of `buf` must be read.
fn read_file_part(
    file: &File,
    path: &Path,
    offset: u64,
    buf: &mut [u8],
    want_md5: bool,
) -> Result<Hashes> {
    let mut crc = Crc64::new();
    let mut md5 = want_md5.then(Md5::new);
    let mut pos = 0usize;
    while pos < buf.len() {
        let end = (pos + READ_STEP).min(buf.len());
        let mut at = pos;
        while at < end {
            let n = file
                .read_at(&mut buf[at..end], offset + at as u64)
                .map_err(|e| Error::io(format!("read {}", path.display()), e))?;
            if n == 0 {
                return Err(changed_error(path));
            }
            at += n;
        }
        crc.update(&buf[pos..end]);
        if let Some(m) = md5.as_mut() {
            m.update(&buf[pos..end]);
        }
        pos = end;
    }
    Ok(Hashes {
        crc: crc.finish(),
        md5: md5.map(md5_bytes),
    })
}

/// Fill `buf` from `reader` until it is full or the reader ends; returns the bytes read.
fn read_stream_part(
    reader: &mut dyn Read,
    buf: &mut [u8],
    want_md5: bool,
) -> Result<(usize, Hashes)> {
    let mut crc = Crc64::new();
    let mut md5 = want_md5.then(Md5::new);
    let mut pos = 0usize;
    while pos < buf.len() {
        let end = (pos + READ_STEP).min(buf.len());
        let start = pos;
        while pos < end {
            match reader.read(&mut buf[pos..end]) {
                Ok(0) => break,
                Ok(n) => pos += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Error::io("read the upload source", e)),
            }
        }
        crc.update(&buf[start..pos]);
        if let Some(m) = md5.as_mut() {
            m.update(&buf[start..pos]);
        }
        if pos < end {
            break;
        }
    }
    Ok((
        pos,
        Hashes {
            crc: crc.finish(),
            md5: md5.map(md5_bytes),
        },
    ))
}

/// True when `reader` has at least one more byte (which is consumed).
fn has_more(reader: &mut dyn Read) -> Result<bool> {
    let mut b = [0u8; 1];
    loop {
        match reader.read(&mut b) {
            Ok(0) => return Ok(false),
            Ok(_) => return Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::io("read the upload source", e)),
        }
    }
}

/// A reader with one byte pushed back in front.
struct PushedBack<'a> {
    first: Option<u8>,
    inner: &'a mut dyn Read,
}

impl Read for PushedBack<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if let Some(b) = self.first.take() {
            buf[0] = b;
            return Ok(1);
        }
        self.inner.read(buf)
    }
}

/// Upload `source` to `key`. See the module documentation; `progress` is called on this
/// thread only.
pub fn upload<S: MultipartStore + ?Sized>(
    store: &S,
    key: &str,
    source: UploadSource<'_>,
    opts: &UploadOptions,
    progress: Option<ProgressFn<'_>>,
) -> Result<UploadOutput> {
    let cfg = store.transfer_config();
    let s = Settings {
        slice_size: opts.slice_size.unwrap_or(cfg.slice_size),
        chunk: opts
            .chunk_size
            .unwrap_or(cfg.chunk_size)
            .clamp(MIN_PART_SIZE, MAX_PART_SIZE),
        parallel: opts.parallel.unwrap_or(cfg.chunk_parallel_limit).max(1),
        retries: cfg.chunk_retry_times,
        interval_ms: cfg.progress_interval_ms,
        part_md5: opts
            .check_content_md5
            .unwrap_or(cfg.upload_check_content_md5),
        meta_md5: opts.add_meta_md5.unwrap_or(cfg.upload_add_meta_md5),
    };
    match source {
        UploadSource::File(path) => {
            let file =
                File::open(path).map_err(|e| Error::io(format!("open {}", path.display()), e))?;
            if !file.metadata().is_ok_and(|m| m.is_file()) {
                return Err(Error::invalid(
                    "source",
                    format!("{} is not a regular file", path.display()),
                ));
            }
            let id = file_identity(&file, path)?;
            let size = id.0;
            if size <= s.slice_size {
                let mut buf = vec![0u8; size as usize];
                let h = read_file_part(&file, path, 0, &mut buf, s.part_md5 || s.meta_md5)?;
                if file_identity(&file, path)? != id {
                    return Err(changed_error(path));
                }
                return put_single(store, key, &buf, h, &s, opts, progress);
            }
            let mut attrs = opts.attrs.clone();
            if s.meta_md5 {
                attrs
                    .meta
                    .push(("md5".into(), hex(&whole_file_md5(&file, path, size)?)));
            }
            let feed = Feed::File {
                file: &file,
                path,
                id,
            };
            multipart(store, key, feed, Some(size), attrs, &s, opts, progress)
        }
        UploadSource::Reader { reader, len } => {
            if len <= s.slice_size {
                let mut buf = vec![0u8; len as usize];
                let (n, h) = read_stream_part(reader, &mut buf, s.part_md5 || s.meta_md5)?;
                if (n as u64) < len {
                    return Err(short_reader(n as u64, len));
                }
                if has_more(reader)? {
                    return Err(long_reader(len));
                }
                return put_single(store, key, &buf, h, &s, opts, progress);
            }
            if s.meta_md5 {
                return Err(meta_md5_unsupported());
            }
            let feed = Feed::Reader {
                reader,
                declared: Some(len),
            };
            multipart(
                store,
                key,
                feed,
                Some(len),
                opts.attrs.clone(),
                &s,
                opts,
                progress,
            )
        }
        UploadSource::Stream(reader) => {
            let first_size = stream_part_size(s.chunk, 1);
            let mut buf = vec![0u8; first_size as usize];
            let (n, h) = read_stream_part(reader, &mut buf, s.part_md5 || s.meta_md5)?;
            let mut pushed = None;
            if n == buf.len() {
                let mut b = [0u8; 1];
                if read_stream_part(reader, &mut b, false)?.0 == 1 {
                    pushed = Some(b[0]);
                }
            }
            if pushed.is_none() && n as u64 <= s.slice_size {
                buf.truncate(n);
                return put_single(store, key, &buf, h, &s, opts, progress);
            }
            if s.meta_md5 {
                return Err(meta_md5_unsupported());
            }
            let mut reader = PushedBack {
                first: pushed,
                inner: reader,
            };
            let feed = Feed::Stream {
                reader: &mut reader,
                first: Some((buf, n, h)),
            };
            multipart(
                store,
                key,
                feed,
                None,
                opts.attrs.clone(),
                &s,
                opts,
                progress,
            )
        }
    }
}

fn short_reader(got: u64, len: u64) -> Error {
    Error::InvalidState(format!(
        "the upload reader ended after {got} bytes but {len} were declared"
    ))
}

fn long_reader(len: u64) -> Error {
    Error::InvalidState(format!(
        "the upload reader has more than the {len} bytes declared"
    ))
}

fn meta_md5_unsupported() -> Error {
    Error::invalid(
        "add_meta_md5",
        "x-cos-meta-md5 is sent when a multipart upload starts, so it needs the whole source \
         first: only file sources (or sources of at most slice_size bytes) support it",
    )
}

fn whole_file_md5(file: &File, path: &Path, size: u64) -> Result<[u8; 16]> {
    let mut m = Md5::new();
    let mut buf = vec![0u8; READ_STEP.min(size as usize).max(1)];
    let mut off = 0u64;
    while off < size {
        let n = ((size - off) as usize).min(buf.len());
        let n = file
            .read_at(&mut buf[..n], off)
            .map_err(|e| Error::io(format!("read {}", path.display()), e))?;
        if n == 0 {
            return Err(changed_error(path));
        }
        m.update(&buf[..n]);
        off += n as u64;
    }
    Ok(md5_bytes(m))
}

struct Settings {
    slice_size: u64,
    chunk: u64,
    parallel: usize,
    retries: u32,
    interval_ms: u64,
    part_md5: bool,
    meta_md5: bool,
}

fn put_single<S: MultipartStore + ?Sized>(
    store: &S,
    key: &str,
    data: &[u8],
    h: Hashes,
    s: &Settings,
    opts: &UploadOptions,
    progress: Option<ProgressFn<'_>>,
) -> Result<UploadOutput> {
    let size = data.len() as u64;
    let mut rep = Reporter::new(progress, s.interval_ms, Some(size));
    if !rep.tick(false) {
        return Err(Error::Cancelled(
            "upload cancelled by the progress callback".into(),
        ));
    }
    let mut attrs_owned;
    let mut attrs = &opts.attrs;
    if s.meta_md5 {
        attrs_owned = opts.attrs.clone();
        attrs_owned
            .meta
            .push(("md5".into(), hex(&h.md5.unwrap_or_default())));
        attrs = &attrs_owned;
    }
    let content_md5 = if s.part_md5 { h.md5 } else { None };
    let cancel = AtomicBool::new(false);
    let w = with_retries(s.retries, &cancel, &|| format!("PUT {key}"), || {
        let w = store.put_object(key, data, attrs, content_md5, opts.traffic_limit)?;
        if let Some(c) = w.crc64 {
            if c != h.crc {
                return Err(Error::Integrity(format!(
                    "PUT {key}: the service stored CRC-64 {c}, the local bytes have {}",
                    h.crc
                )));
            }
        }
        Ok(w)
    })?;
    rep.add(size);
    rep.tick(true);
    Ok(UploadOutput {
        etag: w.etag,
        crc64: h.crc,
        crc64_verified: w.crc64.is_some(),
        version_id: w.version_id,
        size,
        upload_id: None,
        parts: 0,
        resumed_parts: 0,
    })
}

enum Feed<'a> {
    File {
        file: &'a File,
        path: &'a Path,
        id: (u64, Option<SystemTime>),
    },
    Reader {
        reader: &'a mut dyn Read,
        declared: Option<u64>,
    },
    Stream {
        reader: &'a mut dyn Read,
        first: Option<(Vec<u8>, usize, Hashes)>,
    },
}

struct PartJob {
    number: u32,
    offset: u64,
    len: usize,
    buf: Vec<u8>,
    /// Set when the dispatcher already read the bytes (readers and streams).
    filled: Option<Hashes>,
    /// The part already on the service (resume), to check instead of sending.
    remote: Option<RemotePart>,
}

struct PartDone {
    etag: String,
    crc: u64,
    resumed: bool,
}

struct PartOut {
    number: u32,
    len: u64,
    buf: Vec<u8>,
    result: Result<PartDone>,
}

struct UploadDispatch<'a> {
    feed: Feed<'a>,
    /// Known total and its part size; `None` for streams.
    plan: Option<(u64, u64)>,
    chunk: u64,
    /// A stream's part size doubles after every this many parts.
    every: u32,
    next_number: u32,
    offset: u64,
    free: Vec<Vec<u8>>,
    part_md5: bool,
    /// File parts that need no MD5 go from the file to the wire without a part buffer
    /// (the store sends them with [`MultipartStore::upload_part_from_file`]).
    direct: bool,
    remote: HashMap<u32, RemotePart>,
    done: BTreeMap<u32, (u64, PartDone)>,
    ended: bool,
}

impl UploadDispatch<'_> {
    fn take_buf(&mut self, len: usize) -> Vec<u8> {
        let mut b = self.free.pop().unwrap_or_default();
        if b.len() < len {
            b.resize(len, 0);
        }
        b
    }
}

impl Dispatch for UploadDispatch<'_> {
    type Job = PartJob;
    type Out = PartOut;

    fn next_job(&mut self) -> Result<Option<PartJob>> {
        if self.ended {
            return Ok(None);
        }
        let number = self.next_number;
        if number as u64 > MAX_PARTS {
            return Err(Error::invalid(
                "source",
                format!(
                    "the stream is longer than {} parts can hold at this chunk size",
                    MAX_PARTS
                ),
            ));
        }
        let remote = self.remote.get(&number).cloned();
        let want_md5 = self.part_md5 || remote.is_some();
        let job = match self.plan {
            Some((total, part)) => {
                if self.offset >= total {
                    self.ended = true;
                    if let Feed::Reader { reader, declared } = &mut self.feed {
                        if has_more(&mut **reader)? {
                            return Err(long_reader(declared.unwrap_or(total)));
                        }
                    }
                    return Ok(None);
                }
                let len = part.min(total - self.offset) as usize;
                let mut buf = if self.direct && !want_md5 {
                    Vec::new()
                } else {
                    self.take_buf(len)
                };
                let filled = match &mut self.feed {
                    Feed::File { .. } => None,
                    Feed::Reader { reader, .. } => {
                        let (n, h) = read_stream_part(&mut **reader, &mut buf[..len], want_md5)?;
                        if n < len {
                            return Err(short_reader(self.offset + n as u64, total));
                        }
                        Some(h)
                    }
                    Feed::Stream { .. } => {
                        return Err(Error::Internal("stream with a fixed plan".into()));
                    }
                };
                PartJob {
                    number,
                    offset: self.offset,
                    len,
                    buf,
                    filled,
                    remote,
                }
            }
            None => {
                let first = match &mut self.feed {
                    Feed::Stream { first, .. } => first.take(),
                    _ => return Err(Error::Internal("sized source without a plan".into())),
                };
                let (buf, len, h) = match first {
                    Some(f) => f,
                    None => {
                        let size = part_size_growing(self.chunk, number, self.every) as usize;
                        let mut buf = self.take_buf(size);
                        let Feed::Stream { reader, .. } = &mut self.feed else {
                            return Err(Error::Internal("feed changed".into()));
                        };
                        let (n, h) = read_stream_part(&mut **reader, &mut buf[..size], want_md5)?;
                        if n == 0 {
                            self.ended = true;
                            self.free.push(buf);
                            return Ok(None);
                        }
                        (buf, n, h)
                    }
                };
                if len < part_size_growing(self.chunk, number, self.every) as usize {
                    self.ended = true;
                }
                PartJob {
                    number,
                    offset: self.offset,
                    len,
                    buf,
                    filled: Some(h),
                    remote: None,
                }
            }
        };
        self.next_number += 1;
        self.offset += job.len as u64;
        Ok(Some(job))
    }

    fn finished(&mut self, out: PartOut, rep: &Reporter<'_>) -> Result<()> {
        if out.buf.capacity() > 0 {
            self.free.push(out.buf);
        }
        let done = out.result?;
        if done.resumed {
            // Parts that were sent were counted byte by byte while they went out.
            rep.add(out.len);
        }
        self.done.insert(out.number, (out.len, done));
        Ok(())
    }
}

/// Send part `number` (`len` bytes of `file` at `offset`) with the store's direct file
/// path, retried like a buffered part; its CRC-64 is that of the bytes sent, checked
/// against the service's.
#[allow(clippy::too_many_arguments)]
fn send_file_part<S: MultipartStore + ?Sized>(
    store: &S,
    key: &str,
    uid: &str,
    number: u32,
    file: &File,
    offset: u64,
    len: u64,
    part_limit: Option<u64>,
    retries: u32,
    cancel: &AtomicBool,
    loaded: &AtomicU64,
) -> Result<PartDone> {
    let what = || format!("part {number} of {key}");
    let (w, crc) = with_retries(retries, cancel, &what, || {
        let watch = PartWatch::new(cancel, loaded);
        let r =
            store.upload_part_from_file(key, uid, number, file, offset, len, part_limit, &watch);
        // The part counts exactly once in the progress: all of it on success, none of it
        // after a failed attempt.
        let sent = watch.sent_so_far();
        match &r {
            Ok(_) => loaded.fetch_add(len.saturating_sub(sent), Ordering::Relaxed),
            Err(_) => loaded.fetch_sub(sent, Ordering::Relaxed),
        };
        let (w, crc) = r?;
        if let Some(c) = w.crc64 {
            if c != crc {
                return Err(Error::Integrity(format!(
                    "part {number} of {key}: the service stored CRC-64 {c}, \
                     the local bytes have {crc}"
                )));
            }
        }
        Ok((w, crc))
    })?;
    Ok(PartDone {
        etag: w.etag,
        crc,
        resumed: false,
    })
}

/// Find an in-progress upload of `key` whose parts fit the plan `(total, part)`.
fn find_resumable<S: MultipartStore + ?Sized>(
    store: &S,
    key: &str,
    total: u64,
    part: u64,
) -> Result<Option<(String, HashMap<u32, RemotePart>)>> {
    let listed = match store.list_uploads(key) {
        Ok(l) => l,
        // Permission to upload without permission to list: upload afresh.
        Err(e) if e.service().is_some_and(|s| s.http_status == 403) => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut uploads: Vec<_> = listed.into_iter().filter(|u| u.key == key).collect();
    uploads.sort_by(|a, b| b.initiated.cmp(&a.initiated));
    let count = total.div_ceil(part).max(1);
    for u in uploads {
        let parts = match store.list_parts(key, &u.upload_id) {
            Ok(p) => p,
            Err(e) if e.service().is_some_and(|s| s.code == "NoSuchUpload") => continue,
            Err(e) => return Err(e),
        };
        let fits = parts.iter().all(|p| {
            let n = p.number as u64;
            n >= 1 && n <= count && p.size == part.min(total - (n - 1) * part)
        });
        if fits {
            let map = parts.into_iter().map(|p| (p.number, p)).collect();
            return Ok(Some((u.upload_id, map)));
        }
    }
    Ok(None)
}

#[allow(clippy::too_many_arguments)]
fn multipart<S: MultipartStore + ?Sized>(
    store: &S,
    key: &str,
    feed: Feed<'_>,
    total: Option<u64>,
    attrs: ObjectAttrs,
    s: &Settings,
    opts: &UploadOptions,
    progress: Option<ProgressFn<'_>>,
) -> Result<UploadOutput> {
    let (part_limit, parallel) = split_traffic_limit(opts.traffic_limit, s.parallel);
    if let Some(t) = total {
        if t > MAX_PARTS * MAX_PART_SIZE {
            return Err(Error::invalid(
                "source",
                format!(
                    "{t} bytes is more than COS's largest object \
                     ({MAX_PARTS} parts of {MAX_PART_SIZE} bytes)"
                ),
            ));
        }
    }
    let plan = total.map(|t| (t, plan_part_size(t, s.chunk)));
    let resumable = opts.resume && !matches!(feed, Feed::Stream { .. });
    let found = match plan {
        Some((t, p)) if resumable => find_resumable(store, key, t, p)?,
        _ => None,
    };
    let (upload_id, remote) = match found {
        Some(f) => f,
        None => (store.initiate(key, &attrs)?, HashMap::new()),
    };
    let (file, path, id) = match &feed {
        Feed::File { file, path, id } => (Some(*file), Some(*path), Some(*id)),
        _ => (None, None, None),
    };
    let mut rep = Reporter::new(progress, s.interval_ms, total);
    let loaded = rep.counter();
    let cancel = AtomicBool::new(false);
    let mut d = UploadDispatch {
        feed,
        plan,
        chunk: s.chunk,
        every: opts.stream_growth_every(),
        next_number: 1,
        offset: 0,
        free: Vec::new(),
        part_md5: s.part_md5,
        direct: file.is_some() && store.uploads_parts_from_files(),
        remote,
        done: BTreeMap::new(),
        ended: false,
    };
    let uid = upload_id.as_str();
    let work = |job: PartJob, cancel: &AtomicBool| -> PartOut {
        let PartJob {
            number,
            offset,
            len,
            mut buf,
            filled,
            remote,
        } = job;
        let result = (|| {
            let data_len = len;
            if let (None, None, Some(file), Some(path), Some(id)) =
                (&filled, &remote, file, path, id)
            {
                if buf.is_empty() && data_len > 0 {
                    // Straight from the file to the wire (the dispatcher gave no buffer).
                    // A file that changed is named as such, also when it made the part
                    // fail (a shrunk file ends the body early).
                    let changed = || file_identity(file, path).map_or(true, |i| i != id);
                    return send_file_part(
                        store,
                        key,
                        uid,
                        number,
                        file,
                        offset,
                        data_len as u64,
                        part_limit,
                        s.retries,
                        cancel,
                        &loaded,
                    )
                    .map_err(|e| {
                        if !matches!(e, Error::Cancelled(_)) && changed() {
                            changed_error(path)
                        } else {
                            e
                        }
                    })
                    .and_then(|done| {
                        if changed() {
                            return Err(changed_error(path));
                        }
                        Ok(done)
                    });
                }
            }
            let h = match filled {
                Some(h) => h,
                None => {
                    let (file, path, id) = match (file, path, id) {
                        (Some(f), Some(p), Some(i)) => (f, p, i),
                        _ => return Err(Error::Internal("part without bytes".into())),
                    };
                    let want_md5 = s.part_md5 || remote.is_some();
                    let h = read_file_part(file, path, offset, &mut buf[..data_len], want_md5)?;
                    if file_identity(file, path)? != id {
                        return Err(changed_error(path));
                    }
                    h
                }
            };
            let data = &buf[..data_len];
            if let (Some(r), Some(md5)) = (&remote, h.md5) {
                if r.size == data_len as u64 && normalize_etag(&r.etag) == hex(&md5) {
                    return Ok(PartDone {
                        etag: r.etag.clone(),
                        crc: h.crc,
                        resumed: true,
                    });
                }
            }
            let content_md5 = if s.part_md5 { h.md5 } else { None };
            let what = || format!("part {number} of {key}");
            let w = with_retries(s.retries, cancel, &what, || {
                let watch = PartWatch::new(cancel, &loaded);
                let r = store.upload_part(key, uid, number, data, content_md5, part_limit, &watch);
                // The part counts exactly once in the progress: all of it on success,
                // none of it after a failed attempt.
                let sent = watch.sent_so_far();
                match &r {
                    Ok(_) => {
                        loaded.fetch_add((data_len as u64).saturating_sub(sent), Ordering::Relaxed)
                    }
                    Err(_) => loaded.fetch_sub(sent, Ordering::Relaxed),
                };
                let w = r?;
                if let Some(c) = w.crc64 {
                    if c != h.crc {
                        return Err(Error::Integrity(format!(
                            "part {number} of {key}: the service stored CRC-64 {c}, \
                             the local bytes have {}",
                            h.crc
                        )));
                    }
                }
                if let Some(md5) = h.md5 {
                    if normalize_etag(&w.etag) != hex(&md5) {
                        return Err(Error::Integrity(format!(
                            "part {number} of {key}: ETag {} is not the MD5 of the local bytes",
                            w.etag
                        )));
                    }
                }
                Ok(w)
            })?;
            Ok(PartDone {
                etag: w.etag,
                crc: h.crc,
                resumed: false,
            })
        })();
        PartOut {
            number,
            len: len as u64,
            buf,
            result,
        }
    };
    let end = run(store.pool(), parallel, &mut d, &work, &mut rep, &cancel);
    let leftover = |choice: Leftover| {
        if choice == Leftover::Abort {
            // Best effort: the error being reported is the one the caller needs.
            let _ = store.abort(key, uid);
        }
    };
    match end {
        RunEnd::Done => {}
        RunEnd::Cancelled => {
            leftover(opts.on_cancel);
            let what = match opts.on_cancel {
                Leftover::Abort => "the multipart upload was aborted".to_string(),
                Leftover::KeepForResume => format!("upload id {uid} is kept for resume"),
            };
            return Err(Error::Cancelled(format!(
                "upload of {key} cancelled by the progress callback; {what}"
            )));
        }
        RunEnd::Failed(e) => {
            leftover(opts.on_error);
            return Err(e);
        }
    }
    let finish = || -> Result<UploadOutput> {
        if let (Some(file), Some(path), Some(id)) = (file, path, id) {
            if file_identity(file, path)? != id {
                return Err(changed_error(path));
            }
        }
        let count = d.next_number - 1;
        if d.done.len() != count as usize || d.done.keys().next_back() != Some(&count) {
            return Err(Error::Internal("a part is missing after the upload".into()));
        }
        let mut crc = 0u64;
        let mut comb = crc64::Combiner::new();
        let mut size = 0u64;
        let mut list = Vec::with_capacity(d.done.len());
        let mut resumed = 0;
        for (n, (len, p)) in &d.done {
            crc = comb.combine(crc, p.crc, *len);
            size += len;
            resumed += p.resumed as u32;
            list.push((*n, p.etag.clone()));
        }
        if let Some(t) = total {
            if t != size {
                return Err(Error::Internal(format!("uploaded {size} bytes of {t}")));
            }
        }
        let never = AtomicBool::new(false);
        let w = with_retries_if(
            s.retries,
            &never,
            &|| format!("complete {key}"),
            Error::is_retryable,
            |_attempt| match store.complete(key, uid, &list) {
                // A retried Complete whose first attempt did succeed (its answer was lost)
                // finds no upload: the object is there if it has our size and CRC-64. The
                // retry may have been the HTTP layer's own (attempt 0 here), and a cut
                // error document may leave only the 404.
                Err(e)
                    if e.service()
                        .is_some_and(|s| s.code == "NoSuchUpload" || s.http_status == 404) =>
                {
                    match store.head(key) {
                        Ok(h) if h.size == size && h.crc64 == Some(crc) => Ok(Written {
                            etag: h.etag,
                            crc64: h.crc64,
                            version_id: h.version_id,
                        }),
                        _ => Err(e),
                    }
                }
                r => r,
            },
        )?;
        if let Some(c) = w.crc64 {
            if c != crc {
                return Err(Error::Integrity(format!(
                    "{key}: the completed object has CRC-64 {c}, the local bytes have {crc}"
                )));
            }
        }
        Ok(UploadOutput {
            etag: w.etag,
            crc64: crc,
            crc64_verified: w.crc64.is_some(),
            version_id: w.version_id,
            size,
            upload_id: Some(upload_id.clone()),
            parts: count,
            resumed_parts: resumed,
        })
    };
    match finish() {
        Ok(o) => {
            rep.total = Some(o.size);
            rep.tick(true);
            Ok(o)
        }
        Err(e) => {
            // An integrity failure after Complete leaves a completed object; nothing to abort.
            if !matches!(e, Error::Integrity(_)) {
                leftover(opts.on_error);
            }
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_size_is_raised_to_fit_10000_parts() {
        assert_eq!(plan_part_size(5 << 20, 1 << 20), 1 << 20);
        assert_eq!(plan_part_size(5 << 20, 100), 1 << 20);
        let big = 20_000u64 << 20; // 20,000 MiB at 1 MiB parts would be 20,000 parts
        let p = plan_part_size(big, 1 << 20);
        assert_eq!(p, 2 << 20);
        assert!(big.div_ceil(p) <= MAX_PARTS);
        let odd = 10_001u64 << 20;
        assert!(odd.div_ceil(plan_part_size(odd, 1 << 20)) <= MAX_PARTS);
    }

    #[test]
    fn stream_parts_grow() {
        let c = 1 << 20;
        assert_eq!(stream_part_size(c, 1), c);
        assert_eq!(stream_part_size(c, 1000), c);
        assert_eq!(stream_part_size(c, 1001), 2 * c);
        assert_eq!(stream_part_size(c, 10_000), 512 * c);
        let total: u64 = (1..=10_000).map(|n| stream_part_size(c, n)).sum();
        assert_eq!(total, 1_023_000 * c);
        assert_eq!(stream_part_size(1 << 30, 10_000), MAX_PART_SIZE);
    }
}
