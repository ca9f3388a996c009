//! Download: HEAD, then one GET for small objects or parallel ranged GETs, written with
//! positioned writes into a temporary file (or straight into a caller's buffer). The
//! CRC-64 of each range is computed as its bytes arrive; the range values are combined in
//! order and compared with the object's `x-cos-hash-crc64ecma` before the temporary file
//! is renamed to the destination. Every ranged GET carries `If-Match` with the ETag the
//! HEAD returned, so all ranges come from the same version of the object.
//!
//! Resume ([`DownloadOptions::resume`], default on, for downloads of more than one
//! range): the object goes to `.<name>.qcos-download` next to the destination, with a
//! journal `.<name>.qcos-download.journal` naming the object (ETag, size, range size) and
//! each range written with its CRC-64. After a failure or cancel both are kept; the next
//! call for the same path and the same object re-reads the journaled ranges from the
//! temporary file, keeps those whose CRC-64 still matches, and fetches only the rest. A
//! different object (ETag or size) or range size starts over. After an integrity failure
//! of the whole object, or with `resume: false`, the temporary file is removed. In every
//! case nothing is written at the destination until the whole object matched its CRC-64.

use std::collections::VecDeque;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use super::run::{Dispatch, ProgressFn, Reporter, RunEnd, run, split_traffic_limit, with_retries};
use super::store::{MultipartStore, RemoteObject};
use crate::crc64::{self, Crc64};
use crate::{Error, Result};

/// Smallest range a download is split into.
pub const MIN_RANGE_SIZE: u64 = 64 << 10;

/// Bytes re-read per step when checking a resumed range.
const READ_STEP: usize = 1 << 20;

/// Options of one download. `None` fields take the store's configuration.
#[derive(Debug, Clone)]
pub struct DownloadOptions {
    /// `x-cos-traffic-limit` budget in bit/s for the whole download, shared by its ranges.
    pub traffic_limit: Option<u64>,
    /// Objects of at most this many bytes come down in one GET (default: `slice_size`).
    pub slice_size: Option<u64>,
    /// Range size (default: `chunk_size`).
    pub chunk_size: Option<u64>,
    /// Ranges in flight at once (default: `chunk_parallel_limit`).
    pub parallel: Option<usize>,
    /// Keep an interrupted download for the next call (see the module documentation).
    pub resume: bool,
    /// `fsync` the file before it is renamed into place (slower; survives power loss).
    pub sync: bool,
}

impl Default for DownloadOptions {
    fn default() -> Self {
        DownloadOptions {
            traffic_limit: None,
            slice_size: None,
            chunk_size: None,
            parallel: None,
            resume: true,
            sync: false,
        }
    }
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
    /// Ranges of the object (1 for a single GET).
    pub ranges: u32,
    /// Ranges found already downloaded by an earlier call and not fetched again.
    pub resumed_ranges: u32,
}

/// Writes one range at its offset in a file (or slice), hashing what it writes.
struct RangeSink<'a> {
    target: SinkTarget<'a>,
    expected: u64,
    pos: u64,
    loaded: &'a AtomicU64,
    /// Set when the download is cancelled (or failed elsewhere): stop mid-range.
    cancel: &'a AtomicBool,
}

enum SinkTarget<'a> {
    File {
        file: &'a File,
        offset: u64,
        /// Held around each positioned write: see [`fetch`].
        lock: &'a Mutex<()>,
    },
    Slice(&'a mut [u8]),
}

impl Write for RangeSink<'_> {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if self.cancel.load(Ordering::Relaxed) {
            return Err(std::io::Error::other("the download was cancelled"));
        }
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
            SinkTarget::File { file, offset, lock } => {
                let _one_writer = lock.lock().unwrap_or_else(|e| e.into_inner());
                file.write_all_at(data, *offset + self.pos)?
            }
            SinkTarget::Slice(s) => {
                let p = self.pos as usize;
                s[p..p + data.len()].copy_from_slice(data);
            }
        }
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
    journal: Option<&'a mut File>,
}

impl<'a> Dispatch for RangeDispatch<'a> {
    type Job = RangeJob<'a>;
    type Out = RangeOut;
    fn next_job(&mut self) -> Result<Option<RangeJob<'a>>> {
        Ok(self.jobs.pop_front())
    }
    fn finished(&mut self, out: RangeOut, _rep: &Reporter<'_>) -> Result<()> {
        let crc = out.result?;
        self.crcs[out.index] = Some(crc);
        if let Some(j) = self.journal.as_mut() {
            writeln!(j, "done {} {crc}", out.index)
                .map_err(|e| Error::io("write the download journal", e))?;
        }
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
    let multi = head.size > p.slice_size.max(p.chunk);
    if opts.resume && multi && !head.etag.contains('\n') {
        return download_resumable(store, key, path, &head, &p, opts, progress);
    }
    let tmp = temp_path(path)?;
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .map_err(|e| Error::io(format!("create {}", tmp.display()), e))?;
    let result = (|| {
        file.set_len(head.size)
            .map_err(|e| Error::io(format!("size {}", tmp.display()), e))?;
        let out = fetch(
            store,
            key,
            &head,
            Target::File(&file),
            &p,
            opts,
            progress,
            None,
        )?;
        finish_file(file, &tmp, path, opts.sync)?;
        Ok(out)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn finish_file(file: File, tmp: &Path, path: &Path, sync: bool) -> Result<()> {
    if sync {
        file.sync_all()
            .map_err(|e| Error::io(format!("sync {}", tmp.display()), e))?;
    }
    drop(file);
    std::fs::rename(tmp, path)
        .map_err(|e| Error::io(format!("rename {} to {}", tmp.display(), path.display()), e))
}

fn journal_header(head: &RemoteObject, chunk: u64) -> String {
    format!(
        "qcos-download 1\netag {}\nsize {}\nchunk {chunk}\n",
        head.etag, head.size
    )
}

/// The `(range index, CRC-64)` entries of a journal written for exactly `header`.
fn read_journal(path: &Path, header: &str, count: usize) -> Option<Vec<(usize, u64)>> {
    let f = File::open(path).ok()?;
    let mut lines = BufReader::new(f).lines();
    for want in header.lines() {
        if lines.next()?.ok()? != want {
            return None;
        }
    }
    let mut out = Vec::new();
    for line in lines {
        let line = line.ok()?;
        let mut it = line.split(' ');
        match (it.next(), it.next(), it.next(), it.next()) {
            (Some("done"), Some(i), Some(c), None) => {
                let i: usize = i.parse().ok()?;
                if i >= count {
                    return None;
                }
                out.push((i, c.parse().ok()?));
            }
            // A torn last line (the process died while appending) ends the journal.
            _ => break,
        }
    }
    Some(out)
}

#[allow(clippy::too_many_arguments)]
fn download_resumable<S: MultipartStore + ?Sized>(
    store: &S,
    key: &str,
    path: &Path,
    head: &RemoteObject,
    p: &Params,
    opts: &DownloadOptions,
    progress: Option<ProgressFn<'_>>,
) -> Result<DownloadOutput> {
    let name = path
        .file_name()
        .ok_or_else(|| Error::invalid("path", format!("{} names no file", path.display())))?
        .to_string_lossy()
        .into_owned();
    let tmp = path.with_file_name(format!(".{name}.qcos-download"));
    let jpath = path.with_file_name(format!(".{name}.qcos-download.journal"));
    let count = head.size.div_ceil(p.chunk) as usize;
    let header = journal_header(head, p.chunk);
    let io = |what: &str, e| Error::io(format!("{what} {}", tmp.display()), e);
    let prior = std::fs::metadata(&tmp)
        .ok()
        .filter(|m| m.len() == head.size)
        .and_then(|_| read_journal(&jpath, &header, count));
    let mut known = vec![None; count];
    let file = match prior {
        Some(entries) => {
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .open(&tmp)
                .map_err(|e| io("open", e))?;
            // Trust nothing on disk: re-read each journaled range and check its CRC-64.
            let mut buf = vec![0u8; READ_STEP];
            for (i, crc) in entries {
                let first = i as u64 * p.chunk;
                let len = p.chunk.min(head.size - first);
                let mut c = Crc64::new();
                let mut off = 0u64;
                let mut ok = true;
                while off < len {
                    let n = (len - off).min(READ_STEP as u64) as usize;
                    match file.read_exact_at(&mut buf[..n], first + off) {
                        Ok(()) => c.update(&buf[..n]),
                        Err(_) => {
                            ok = false;
                            break;
                        }
                    }
                    off += n as u64;
                }
                if ok && c.finish() == crc {
                    known[i] = Some(crc);
                }
            }
            file
        }
        None => {
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(true)
                .open(&tmp)
                .map_err(|e| io("create", e))?;
            file.set_len(head.size).map_err(|e| io("size", e))?;
            file
        }
    };
    // A fresh journal holding only what was verified.
    let mut journal =
        File::create(&jpath).map_err(|e| Error::io(format!("create {}", jpath.display()), e))?;
    let mut text = header.clone();
    for (i, c) in known.iter().enumerate() {
        if let Some(c) = c {
            text.push_str(&format!("done {i} {c}\n"));
        }
    }
    journal
        .write_all(text.as_bytes())
        .map_err(|e| Error::io(format!("write {}", jpath.display()), e))?;
    let r = fetch(
        store,
        key,
        head,
        Target::File(&file),
        p,
        opts,
        progress,
        Some(Resume {
            known,
            journal: &mut journal,
        }),
    );
    match r {
        Ok(out) => {
            finish_file(file, &tmp, path, opts.sync)?;
            let _ = std::fs::remove_file(&jpath);
            Ok(out)
        }
        Err(e) => {
            if matches!(e, Error::Integrity(_)) {
                let _ = std::fs::remove_file(&tmp);
                let _ = std::fs::remove_file(&jpath);
            }
            Err(e)
        }
    }
}

/// What an earlier call already downloaded, and the journal to extend.
struct Resume<'a> {
    known: Vec<Option<u64>>,
    journal: &'a mut File,
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
    fetch(store, key, &head, target, &p, opts, progress, None)
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

#[allow(clippy::too_many_arguments)]
fn fetch<S: MultipartStore + ?Sized>(
    store: &S,
    key: &str,
    head: &RemoteObject,
    target: Target<'_>,
    p: &Params,
    opts: &DownloadOptions,
    progress: Option<ProgressFn<'_>>,
    resume: Option<Resume<'_>>,
) -> Result<DownloadOutput> {
    let size = head.size;
    let etag = (!head.etag.is_empty()).then_some(head.etag.as_str());
    let mut rep = Reporter::new(progress, p.interval_ms, Some(size));
    let loaded = rep.counter();
    let cancel = AtomicBool::new(false);
    let (limit, parallel) = split_traffic_limit(opts.traffic_limit, p.parallel);
    // Buffered writes to one file are serialised by the kernel anyway (the inode lock,
    // on tmpfs, ext4 and XFS alike), and a writer waiting for that lock spins on its
    // CPU while the holder copies: perf showed 28% of a two-range download spent in
    // `rwsem_spin_on_owner`. Taking our own lock first makes the waiter sleep instead,
    // leaving the core to the other range's socket reads (and to the server).
    let write_lock = Mutex::new(());
    // One range, its CRC. `whole` asks for the object without a Range header.
    let get_range =
        |first: u64, len: u64, whole: bool, target: &mut Target<'_>, cancel: &AtomicBool| {
            let what = || format!("bytes {first}-{} of {key}", first + len.max(1) - 1);
            with_retries(p.retries, cancel, &what, || {
                let t = match target {
                    Target::File(f) => SinkTarget::File {
                        file: f,
                        offset: first,
                        lock: &write_lock,
                    },
                    Target::Slice(s) => SinkTarget::Slice(s),
                };
                let mut sink = RangeSink {
                    target: t,
                    expected: len,
                    pos: 0,
                    loaded: &loaded,
                    cancel,
                };
                let range = (!whole).then(|| (first, first + len - 1));
                let r = store.get(key, range, etag, limit, &mut sink);
                let got = sink.pos;
                let r = r.and_then(|g| {
                    if got != len {
                        Err(Error::Integrity(format!(
                            "{}: received {got} bytes, expected {len}",
                            what()
                        )))
                    } else {
                        Ok(g.crc64)
                    }
                });
                if r.is_err() {
                    loaded.fetch_sub(got, Ordering::Relaxed);
                }
                r
            })
        };
    let (crc, ranges, resumed_ranges) = if size <= p.slice_size.max(p.chunk) {
        if !rep.tick(false) {
            return Err(cancelled(key));
        }
        let mut target = target;
        let crc = get_range(0, size, true, &mut target, &cancel)?;
        (crc, 1u32, 0u32)
    } else {
        let count = size.div_ceil(p.chunk);
        let (known, journal) = match resume {
            Some(r) => (r.known, Some(r.journal)),
            None => (vec![None; count as usize], None),
        };
        let mut jobs = VecDeque::with_capacity(count as usize);
        match target {
            Target::File(f) => {
                for i in 0..count {
                    if known[i as usize].is_some() {
                        continue;
                    }
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
        let resumed = known.iter().filter(|c| c.is_some()).count() as u32;
        for (i, c) in known.iter().enumerate() {
            if c.is_some() {
                let first = i as u64 * p.chunk;
                rep.add(p.chunk.min(size - first));
            }
        }
        let mut d = RangeDispatch {
            jobs,
            crcs: known,
            journal,
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
        let mut comb = crc64::Combiner::new();
        for (i, c) in d.crcs.iter().enumerate() {
            let c = c.ok_or_else(|| Error::Internal(format!("range {i} missing")))?;
            let first = i as u64 * p.chunk;
            crc = comb.combine(crc, c, p.chunk.min(size - first));
        }
        (crc, count as u32, resumed)
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
        resumed_ranges,
    })
}

fn cancelled(key: &str) -> Error {
    Error::Cancelled(format!(
        "download of {key} cancelled by the progress callback"
    ))
}
