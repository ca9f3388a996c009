//! `slice_copy`: server-side copy. Sources of at most `copy_slice_size` bytes use one
//! PUT Object - Copy; larger ones a multipart upload whose parts are Upload Part - Copy
//! requests of `copy_chunk_size` bytes (raised to fit 10,000 parts),
//! `copy_chunk_parallel_limit` at once. The metadata of the source (content type, user
//! metadata...) is carried to the new object unless replacement attributes are given. When
//! the source has a CRC-64, the copy's CRC-64 (from Complete, or the part values combined)
//! must equal it.
//!
//! Resume ([`slice_copy_resume`]): a multipart copy stopped earlier (cancelled, failed, or
//! paused by the queue) is continued from its UploadId: List Parts says which parts the
//! service has, and those whose size fits the plan are not copied again. The caller also
//! gives the source's ETag as it was when the copy began; a source that changed since
//! (or an upload that is gone) makes the copy start over, aborting the stale upload.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64};

use super::run::{Dispatch, ProgressFn, Reporter, RunEnd, normalize_etag, run, with_retries};
use super::store::{CopySource, MultipartStore, ObjectAttrs, PartWatch, RemotePart};
use super::upload::{Leftover, plan_part_size};
use crate::client::ObjectAcl;
use crate::crc64;
use crate::{Error, Result};

/// Options of one copy. `None` fields take the store's configuration.
#[derive(Debug, Clone, Default)]
pub struct CopyOptions {
    /// Replace the object's attributes with these instead of copying the source's
    /// (their `acl` and `tagging` are not used: see the two fields below).
    pub replace_attrs: Option<ObjectAttrs>,
    /// The destination's ACL. A copy never takes the source's ACL: empty (the default)
    /// sends none, and the object inherits the bucket's.
    pub acl: ObjectAcl,
    /// `Some(tags)`: the destination gets these tags (none when empty;
    /// `x-cos-tagging-directive: Replaced`). `None` (the default): the source's tags
    /// are copied (a multipart copy reads them with GET Object tagging and sets them on
    /// its Initiate).
    pub tagging: Option<Vec<(String, String)>>,
    /// After a cancel or a failure of a multipart copy. Default keep (the upload id is in
    /// the error message; a copy is not resumed automatically).
    pub on_error: Leftover,
    pub copy_slice_size: Option<u64>,
    pub copy_chunk_size: Option<u64>,
    pub parallel: Option<usize>,
}

/// The result of a successful copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyOutput {
    pub etag: String,
    pub crc64: Option<u64>,
    pub version_id: Option<String>,
    pub size: u64,
    /// `None` for a single PUT Object - Copy.
    pub upload_id: Option<String>,
    pub parts: u32,
    /// Parts found already copied (resume) and not copied again.
    pub resumed_parts: u32,
    /// Whether the source's CRC-64 and the copy's were both known (and so compared: they
    /// are equal, or the copy failed with `Integrity`).
    pub crc64_verified: bool,
}

/// A multipart copy to continue (see [`slice_copy_resume`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyResume {
    /// The UploadId of the multipart copy begun earlier (named in the `Cancelled` error
    /// of a copy whose multipart upload was kept).
    pub upload_id: String,
    /// The source's ETag when that copy began. When the source's ETag differs now, its
    /// parts are stale: the upload is aborted and the copy starts over.
    pub source_etag: String,
}

struct CopyJob {
    number: u32,
    first: u64,
    len: u64,
}

struct CopyOut {
    number: u32,
    len: u64,
    result: Result<(String, Option<u64>)>,
}

struct CopyDispatch {
    jobs: VecDeque<CopyJob>,
    done: Vec<Option<(String, Option<u64>, u64)>>,
}

impl Dispatch for CopyDispatch {
    type Job = CopyJob;
    type Out = CopyOut;
    fn next_job(&mut self) -> Result<Option<CopyJob>> {
        Ok(self.jobs.pop_front())
    }
    fn finished(&mut self, out: CopyOut, rep: &Reporter<'_>) -> Result<()> {
        let (etag, crc) = out.result?;
        rep.add(out.len);
        self.done[out.number as usize - 1] = Some((etag, crc, out.len));
        Ok(())
    }
}

/// Copy `src` to `key`. `progress` is called on this thread only (for multipart copies:
/// bytes of the parts copied so far).
pub fn slice_copy<S: MultipartStore + ?Sized>(
    store: &S,
    key: &str,
    src: &CopySource,
    opts: &CopyOptions,
    progress: Option<ProgressFn<'_>>,
) -> Result<CopyOutput> {
    slice_copy_resume(store, key, src, opts, None, progress)
}

/// [`slice_copy`], continuing the multipart copy `resume` names when there is one: the
/// parts the service already has (List Parts) with the planned sizes are kept and not
/// copied again (they count as done in the progress from the start). The plan must be
/// the one of the first call (same `copy_slice_size`, `copy_chunk_size`), or the listed
/// parts do not fit and are copied again.
///
/// `resume` is set aside, and the copy starts over (aborting that upload first, best
/// effort), when the source's ETag is no longer `resume.source_etag` or the source now
/// fits one PUT Object - Copy; an upload the service no longer has (`NoSuchUpload`) is
/// simply replaced by a new one.
pub fn slice_copy_resume<S: MultipartStore + ?Sized>(
    store: &S,
    key: &str,
    src: &CopySource,
    opts: &CopyOptions,
    resume: Option<&CopyResume>,
    progress: Option<ProgressFn<'_>>,
) -> Result<CopyOutput> {
    let cfg = store.transfer_config();
    let slice = opts.copy_slice_size.unwrap_or(cfg.copy_slice_size);
    let head = store.head_source(src)?;
    let size = head.size;
    let check = |what: &str, got: Option<u64>| -> Result<()> {
        match (head.crc64, got) {
            (Some(a), Some(b)) if a != b => Err(Error::Integrity(format!(
                "copy to {key}: {what} has CRC-64 {b}, the source has {a}"
            ))),
            _ => Ok(()),
        }
    };
    // Best effort: the copy goes on without that upload either way.
    let set_aside = |r: &CopyResume| {
        let _ = store.abort(key, &r.upload_id);
    };
    if size <= slice {
        if let Some(r) = resume {
            set_aside(r);
        }
        let mut rep = Reporter::new(progress, cfg.progress_interval_ms, Some(size));
        if !rep.tick(false) {
            return Err(Error::Cancelled(format!("copy to {key} cancelled")));
        }
        let cancel = AtomicBool::new(false);
        let w = with_retries(
            cfg.chunk_retry_times,
            &cancel,
            &|| format!("copy to {key}"),
            || {
                store.copy_object(
                    key,
                    src,
                    opts.replace_attrs.as_ref(),
                    &opts.acl,
                    opts.tagging.as_deref(),
                )
            },
        )?;
        check("the copy", w.crc64)?;
        rep.add(size);
        rep.tick(true);
        return Ok(CopyOutput {
            etag: w.etag,
            crc64_verified: head.crc64.is_some() && w.crc64.is_some(),
            crc64: w.crc64,
            version_id: w.version_id,
            size,
            upload_id: None,
            parts: 0,
            resumed_parts: 0,
        });
    }
    let part = plan_part_size(size, opts.copy_chunk_size.unwrap_or(cfg.copy_chunk_size));
    let count = size.div_ceil(part);
    let planned = |n: u32| -> Option<u64> {
        let n = n as u64;
        (n >= 1 && n <= count).then(|| part.min(size - (n - 1) * part))
    };
    let found: Option<(String, HashMap<u32, RemotePart>)> = match resume {
        Some(r) if normalize_etag(&r.source_etag) == normalize_etag(&head.etag) => {
            match store.list_parts(key, &r.upload_id) {
                Ok(parts) => Some((
                    r.upload_id.clone(),
                    parts
                        .into_iter()
                        .filter(|p| planned(p.number) == Some(p.size))
                        .map(|p| (p.number, p))
                        .collect(),
                )),
                Err(e) if e.service().is_some_and(|s| s.code == "NoSuchUpload") => None,
                Err(e) => return Err(e),
            }
        }
        Some(r) => {
            // The source changed: the parts copied so far are of other bytes.
            set_aside(r);
            None
        }
        None => None,
    };
    let mut rep = Reporter::new(progress, cfg.progress_interval_ms, Some(size));
    let remote = found.as_ref().map(|f| &f.1);
    let resumed: u64 = remote.map_or(0, |m| m.values().map(|p| p.size).sum());
    rep.add(resumed);
    if !rep.tick(false) {
        let kept = match &found {
            Some((uid, _)) => format!(" (upload id {uid} is kept)"),
            None => String::new(),
        };
        return Err(Error::Cancelled(format!("copy to {key} cancelled{kept}")));
    }
    let (upload_id, remote) = match found {
        Some((uid, m)) => (uid, m),
        None => {
            let mut attrs = opts
                .replace_attrs
                .clone()
                .unwrap_or_else(|| head.attrs.clone());
            attrs.acl = opts.acl.clone();
            attrs.tagging = match &opts.tagging {
                Some(t) => t.clone(),
                None => store.source_tagging(src).map_err(|mut e| {
                    // A multipart copy does not carry tags over by itself: say why the
                    // source's tags were read, and how to do without.
                    if let Error::Service(s) = &mut e {
                        s.message = format!(
                            "{} (reading the source's tags, to give them to the multipart \
                             copy; set CopyOptions::tagging to choose the copy's tags without \
                             reading them)",
                            s.message
                        );
                    }
                    e
                })?,
            };
            (store.initiate(key, &attrs)?, HashMap::new())
        }
    };
    let uid = upload_id.as_str();
    let mut d = CopyDispatch {
        jobs: (0..count)
            .filter(|i| !remote.contains_key(&(*i as u32 + 1)))
            .map(|i| CopyJob {
                number: i as u32 + 1,
                first: i * part,
                len: part.min(size - i * part),
            })
            .collect(),
        done: (0..count)
            .map(|i| {
                remote
                    .get(&(i as u32 + 1))
                    .map(|p| (p.etag.clone(), None, p.size))
            })
            .collect(),
    };
    let resumed_parts = remote.len() as u32;
    let retries = cfg.chunk_retry_times;
    let work = |job: CopyJob, cancel: &AtomicBool| CopyOut {
        number: job.number,
        len: job.len,
        result: with_retries(
            retries,
            cancel,
            &|| format!("part {} of the copy to {key}", job.number),
            || {
                // A copied part has no body to count: the watch only says when to stop.
                let unused = AtomicU64::new(0);
                let watch = PartWatch::new(cancel, &unused);
                store
                    .upload_part_copy_watched(
                        key,
                        uid,
                        job.number,
                        src,
                        (job.first, job.first + job.len - 1),
                        &watch,
                    )
                    .map(|w| (w.etag, w.crc64))
            },
        ),
    };
    let parallel = opts
        .parallel
        .unwrap_or(cfg.copy_chunk_parallel_limit)
        .max(1);
    let cancel = AtomicBool::new(false);
    let end = run(store.pool(), parallel, &mut d, &work, &mut rep, &cancel);
    let fail = |e: Error| {
        if opts.on_error == Leftover::Abort {
            let _ = store.abort(key, uid);
        }
        e
    };
    match end {
        RunEnd::Done => {}
        RunEnd::Cancelled => {
            return Err(fail(Error::Cancelled(format!(
                "copy to {key} cancelled (upload id {uid})"
            ))));
        }
        RunEnd::Failed(e) => return Err(fail(e)),
    }
    let mut list = Vec::with_capacity(count as usize);
    let mut combined = Some(0u64);
    let mut comb = crc64::Combiner::new();
    for (i, p) in d.done.iter().enumerate() {
        let (etag, crc, len) = p
            .clone()
            .ok_or_else(|| fail(Error::Internal(format!("copy part {} missing", i + 1))))?;
        combined = match (combined, crc) {
            (Some(c), Some(x)) => Some(comb.combine(c, x, len)),
            _ => None,
        };
        list.push((i as u32 + 1, etag));
    }
    check("the combined parts", combined).map_err(fail)?;
    let never = AtomicBool::new(false);
    let w = with_retries(retries, &never, &|| format!("complete {key}"), || {
        store.complete(key, uid, &list)
    })
    .map_err(fail)?;
    check("the completed object", w.crc64)?;
    rep.tick(true);
    Ok(CopyOutput {
        etag: w.etag,
        crc64_verified: head.crc64.is_some() && (w.crc64.is_some() || combined.is_some()),
        crc64: w.crc64.or(combined),
        version_id: w.version_id,
        size,
        upload_id: Some(upload_id.clone()),
        parts: count as u32,
        resumed_parts,
    })
}
