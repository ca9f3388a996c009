//! Download: HEAD, then one GET for small objects or parallel ranged GETs, written with
//! positioned writes into a temporary file (or straight into a caller's buffer). The
//! CRC-64 of each range is computed as its bytes arrive; the range values are combined in
//! order and compared with the object's `x-cos-hash-crc64ecma` before the temporary file
//! is renamed to the destination. Every ranged GET carries `If-Match` with the ETag the
//! HEAD returned, so all ranges come from the same version of the object.
//!
//! On failure or cancel the temporary file (`.<name>.qcos-<pid>-<n>.tmp` next to the
//! destination) is removed and nothing is written at the destination: downloads are not
//! resumable across calls in this version.

use std::collections::VecDeque;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use super::run::{Dispatch, ProgressFn, Reporter, RunEnd, run, split_traffic_limit, with_retries};
use super::store::MultipartStore;
use crate::crc64::{self, Crc64};
use crate::{Error, Result};

/// Smallest range a download is split into.
pub const MIN_RANGE_SIZE: u64 = 64 << 10;

/// Options of one download. `None` fields take the store's configuration.
#[derive(Debug, Clone, Default)]
pub struct DownloadOptions {
    /// `x-cos-traffic-limit` budget in bit/s for the whole download, shared by its ranges.
    pub traffic_limit: Option<u64>,
    /// Objects of at most this many bytes come down in one GET (default: `slice_size`).
    pub slice_size: Option<u64>,
    /// Range size (default: `chunk_size`).
    pub chunk_size: Option<u64>,
    /// Ranges in flight at once (default: `chunk_parallel_limit`).
    pub parallel: Option<usize>,
}

/// The result of a successful download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadOutput {
    pub size: u64,
    pub etag: String,
    /// CRC-64 of the bytes received.
    pub crc64: u64,
    /// Whether the object had a CRC-64 (and it matched).
    pub crc64_verified: bool,
    /// Ranged GETs made (1 for a single GET).
    pub ranges: u32,
}

/// Writes one range at its offset in a file (or slice), hashing what it writes.
struct RangeSink<'a> {
    target: SinkTarget<'a>,
    expected: u64,
    pos: u64,
    crc: Crc64,
    loaded: &'a AtomicU64,
}

enum SinkTarget<'a> {
    File { file: &'a File, offset: u64 },
    Slice(&'a mut [u8]),
}

impl Write for RangeSink<'_> {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if self.pos + data.len() as u64 > self.expected {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "the service sent more than the {} bytes asked for",
                    self.expected
                ),
            ));
        }
        match &mut self.target {
            SinkTarget::File { file, offset } => file.write_all_at(data, *offset + self.pos)?,
            SinkTarget::Slice(s) => {
                let p = self.pos as usize;
                s[p..p + data.len()].copy_from_slice(data);
            }
        }
        self.crc.update(data);
        self.pos += data.len() as u64;
        self.loaded.fetch_add(data.len() as u64, Ordering::Relaxed);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

enum Target<'a> {
    File(&'a File),
    Slice(&'a mut [u8]),
}

struct RangeJob<'a> {
    index: usize,
    first: u64,
    len: u64,
    target: Target<'a>,
}

struct RangeOut {
    index: usize,
    result: Result<u64>,
}

struct RangeDispatch<'a> {
    jobs: VecDeque<RangeJob<'a>>,
    crcs: Vec<Option<u64>>,
}

impl<'a> Dispatch for RangeDispatch<'a> {
    type Job = RangeJob<'a>;
    type Out = RangeOut;
    fn next_job(&mut self) -> Result<Option<RangeJob<'a>>> {
        Ok(self.jobs.pop_front())
    }
    fn finished(&mut self, out: RangeOut, _rep: &Reporter<'_>) -> Result<()> {
        self.crcs[out.index] = Some(out.result?);
        Ok(())
    }
}

struct Params {
    slice_size: u64,
    chunk: u64,
    parallel: usize,
    retries: u32,
    interval_ms: u64,
}

fn params<S: MultipartStore + ?Sized>(store: &S, opts: &DownloadOptions) -> Params {
    let cfg = store.transfer_config();
    Params {
        slice_size: opts.slice_size.unwrap_or(cfg.slice_size),
        chunk: opts
            .chunk_size
            .unwrap_or(cfg.chunk_size)
            .max(MIN_RANGE_SIZE),
        parallel: opts.parallel.unwrap_or(cfg.chunk_parallel_limit).max(1),
        retries: cfg.chunk_retry_times,
        interval_ms: cfg.progress_interval_ms,
    }
}

/// Download `key` to `path`. See the module documentation; `progress` is called on this
/// thread only.
pub fn download_file<S: MultipartStore + ?Sized>(
    store: &S,
    key: &str,
    path: &Path,
    opts: &DownloadOptions,
    progress: Option<ProgressFn<'_>>,
) -> Result<DownloadOutput> {
    let p = params(store, opts);
    let head = store.head(key)?;
    let tmp = temp_path(path)?;
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .map_err(|e| Error::io(format!("create {}", tmp.display()), e))?;
    let result = (|| {
        file.set_len(head.size)
            .map_err(|e| Error::io(format!("size {}", tmp.display()), e))?;
        let out = fetch(store, key, &head, Target::File(&file), &p, opts, progress)?;
        drop(file);
        std::fs::rename(&tmp, path)
            .map_err(|e| Error::io(format!("rename {} to {}", tmp.display(), path.display()), e))?;
        Ok(out)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Download `key` into `buf`; returns the output (its `size` is the number of bytes
/// written at the start of `buf`). `Error::BufferTooSmall` (before any GET) when the
/// object does not fit.
pub fn download_to_buffer<S: MultipartStore + ?Sized>(
    store: &S,
    key: &str,
    buf: &mut [u8],
    opts: &DownloadOptions,
    progress: Option<ProgressFn<'_>>,
) -> Result<DownloadOutput> {
    let p = params(store, opts);
    let head = store.head(key)?;
    if head.size > buf.len() as u64 {
        return Err(Error::BufferTooSmall {
            needed: head.size,
            capacity: buf.len() as u64,
        });
    }
    let target = Target::Slice(&mut buf[..head.size as usize]);
    fetch(store, key, &head, target, &p, opts, progress)
}

fn temp_path(path: &Path) -> Result<PathBuf> {
    static N: AtomicU64 = AtomicU64::new(0);
    let name = path
        .file_name()
        .ok_or_else(|| Error::invalid("path", format!("{} names no file", path.display())))?;
    let tmp = format!(
        ".{}.qcos-{}-{}.tmp",
        name.to_string_lossy(),
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    );
    Ok(path.with_file_name(tmp))
}

fn fetch<S: MultipartStore + ?Sized>(
    store: &S,
    key: &str,
    head: &super::store::RemoteObject,
    target: Target<'_>,
    p: &Params,
    opts: &DownloadOptions,
    progress: Option<ProgressFn<'_>>,
) -> Result<DownloadOutput> {
    let size = head.size;
    let etag = (!head.etag.is_empty()).then_some(head.etag.as_str());
    let mut rep = Reporter::new(progress, p.interval_ms, Some(size));
    let loaded = rep.counter();
    let cancel = AtomicBool::new(false);
    let (limit, parallel) = split_traffic_limit(opts.traffic_limit, p.parallel);
    // One range, its CRC. `whole` asks for the object without a Range header.
    let get_range =
        |first: u64, len: u64, whole: bool, target: &mut Target<'_>, cancel: &AtomicBool| {
            let what = || format!("bytes {first}-{} of {key}", first + len.max(1) - 1);
            with_retries(p.retries, cancel, &what, || {
                let t = match target {
                    Target::File(f) => SinkTarget::File {
                        file: f,
                        offset: first,
                    },
                    Target::Slice(s) => SinkTarget::Slice(s),
                };
                let mut sink = RangeSink {
                    target: t,
                    expected: len,
                    pos: 0,
                    crc: Crc64::new(),
                    loaded: &loaded,
                };
                let range = (!whole).then(|| (first, first + len - 1));
                let r = store.get(key, range, etag, limit, &mut sink);
                let got = sink.pos;
                let r = r.and_then(|_| {
                    if got != len {
                        Err(Error::Integrity(format!(
                            "{}: received {got} bytes, expected {len}",
                            what()
                        )))
                    } else {
                        Ok(sink.crc.finish())
                    }
                });
                if r.is_err() {
                    loaded.fetch_sub(got, Ordering::Relaxed);
                }
                r
            })
        };
    let (crc, ranges) = if size <= p.slice_size.max(p.chunk) {
        if !rep.tick(false) {
            return Err(cancelled(key));
        }
        let mut target = target;
        let crc = get_range(0, size, true, &mut target, &cancel)?;
        (crc, 1u32)
    } else {
        let count = size.div_ceil(p.chunk);
        let mut jobs = VecDeque::with_capacity(count as usize);
        match target {
            Target::File(f) => {
                for i in 0..count {
                    let first = i * p.chunk;
                    jobs.push_back(RangeJob {
                        index: i as usize,
                        first,
                        len: p.chunk.min(size - first),
                        target: Target::File(f),
                    });
                }
            }
            Target::Slice(s) => {
                for (i, piece) in s.chunks_mut(p.chunk as usize).enumerate() {
                    jobs.push_back(RangeJob {
                        index: i,
                        first: i as u64 * p.chunk,
                        len: piece.len() as u64,
                        target: Target::Slice(piece),
                    });
                }
            }
        }
        let mut d = RangeDispatch {
            jobs,
            crcs: vec![None; count as usize],
        };
        let work = |mut job: RangeJob<'_>, cancel: &AtomicBool| RangeOut {
            index: job.index,
            result: get_range(job.first, job.len, false, &mut job.target, cancel),
        };
        match run(store.pool(), parallel, &mut d, &work, &mut rep, &cancel) {
            RunEnd::Done => {}
            RunEnd::Cancelled => return Err(cancelled(key)),
            RunEnd::Failed(e) => return Err(e),
        }
        let mut crc = 0u64;
        for (i, c) in d.crcs.iter().enumerate() {
            let c = c.ok_or_else(|| Error::Internal(format!("range {i} missing")))?;
            let first = i as u64 * p.chunk;
            crc = crc64::combine(crc, c, p.chunk.min(size - first));
        }
        (crc, count as u32)
    };
    if let Some(expected) = head.crc64 {
        if expected != crc {
            return Err(Error::Integrity(format!(
                "{key}: the object has CRC-64 {expected}, the bytes received have {crc}"
            )));
        }
    }
    rep.tick(true);
    Ok(DownloadOutput {
        size,
        etag: head.etag.clone(),
        crc64: crc,
        crc64_verified: head.crc64.is_some(),
        ranges,
    })
}

fn cancelled(key: &str) -> Error {
    Error::Cancelled(format!(
        "download of {key} cancelled by the progress callback"
    ))
}
