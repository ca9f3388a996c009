//! The machinery shared by every transfer: the dispatcher that runs part jobs on a rayon
//! pool while the calling thread reports progress, part retries with backoff, and the
//! progress reporter.
//!
//! Threads: the calling thread runs the dispatcher loop. It prepares jobs (for a stream
//! source it reads the stream there), hands them to pool threads, receives their results
//! over a crossbeam channel and calls the progress callback. Workers never call the
//! callback. A job never waits for another job, so a pool of any size (even one shared
//! with other transfers) makes progress.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crossbeam_channel::RecvTimeoutError;

use crate::{Error, Result};

/// One progress report.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    /// Bytes done (for uploads: bytes of parts the service confirmed, including parts found
    /// already uploaded when resuming).
    pub loaded: u64,
    /// Bytes in the whole transfer; `None` for a stream of unknown length until it ends.
    pub total: Option<u64>,
    /// Bytes per second over the interval since the previous report.
    pub speed: f64,
    /// `loaded / total` as a fraction in `0.0..=1.0` (1.0 when total is 0; 0.0 while the
    /// total is unknown).
    pub percent: f64,
}

/// The progress callback: return `true` to continue, `false` to cancel the transfer.
/// It is called only on the thread that called the transfer function, at most every
/// `progress_interval_ms` and once more when the transfer succeeded.
pub type ProgressFn<'a> = &'a mut dyn FnMut(&Progress) -> bool;

/// Throttled progress reporting on the calling thread.
pub(crate) struct Reporter<'a> {
    callback: Option<ProgressFn<'a>>,
    interval: Duration,
    loaded: Arc<AtomicU64>,
    pub(crate) total: Option<u64>,
    last_at: Option<Instant>,
    last_loaded: u64,
}

impl<'a> Reporter<'a> {
    pub(crate) fn new(
        callback: Option<ProgressFn<'a>>,
        interval_ms: u64,
        total: Option<u64>,
    ) -> Self {
        Reporter {
            callback,
            interval: Duration::from_millis(interval_ms),
            loaded: Arc::new(AtomicU64::new(0)),
            total,
            last_at: None,
            last_loaded: 0,
        }
    }

    /// The shared byte counter, for workers that count bytes as they move.
    pub(crate) fn counter(&self) -> Arc<AtomicU64> {
        self.loaded.clone()
    }

    pub(crate) fn add(&self, n: u64) {
        self.loaded.fetch_add(n, Ordering::Relaxed);
    }

    /// Report if the interval has passed (or `force`). Returns `false` when the callback
    /// asked to cancel.
    pub(crate) fn tick(&mut self, force: bool) -> bool {
        let Some(cb) = self.callback.as_mut() else {
            return true;
        };
        let now = Instant::now();
        if !force {
            if let Some(at) = self.last_at {
                if now.duration_since(at) < self.interval {
                    return true;
                }
            }
        }
        let loaded = self.loaded.load(Ordering::Relaxed);
        let speed = match self.last_at {
            Some(at) => {
                let secs = now.duration_since(at).as_secs_f64();
                if secs > 0.0 {
                    loaded.saturating_sub(self.last_loaded) as f64 / secs
                } else {
                    0.0
                }
            }
            None => 0.0,
        };
        let percent = match self.total {
            Some(0) => 1.0,
            Some(t) => (loaded as f64 / t as f64).min(1.0),
            None => 0.0,
        };
        self.last_at = Some(now);
        self.last_loaded = loaded;
        cb(&Progress {
            loaded,
            total: self.total,
            speed,
            percent,
        })
    }

    /// How long the dispatcher may block before the next report is due.
    fn wait(&self) -> Duration {
        match (&self.callback, self.last_at) {
            (None, _) => Duration::from_secs(3600),
            (Some(_), None) => Duration::ZERO,
            (Some(_), Some(at)) => self.interval.saturating_sub(at.elapsed()),
        }
        .max(Duration::from_millis(1))
    }
}

/// A transfer's jobs, prepared on the calling thread and finished there.
pub(crate) trait Dispatch {
    type Job: Send;
    type Out: Send;
    /// The next job, or `None` when there are no more. May block (a stream read).
    fn next_job(&mut self) -> Result<Option<Self::Job>>;
    /// A job's result; an error stops the transfer.
    fn finished(&mut self, out: Self::Out, rep: &Reporter<'_>) -> Result<()>;
}

/// How a run ended.
pub(crate) enum RunEnd {
    Done,
    Cancelled,
    Failed(Error),
}

/// Run `d`'s jobs with at most `parallel` in flight on `pool` (or a pool built for this
/// run), one more job prepared ahead. Calls the progress callback on this thread.
pub(crate) fn run<D, W>(
    pool: Option<&rayon::ThreadPool>,
    parallel: usize,
    d: &mut D,
    work: &W,
    rep: &mut Reporter<'_>,
    cancel: &AtomicBool,
) -> RunEnd
where
    D: Dispatch,
    W: Fn(D::Job, &AtomicBool) -> D::Out + Sync,
{
    let parallel = parallel.max(1);
    let owned;
    let pool = match pool {
        Some(p) => p,
        None => {
            owned = match rayon::ThreadPoolBuilder::new()
                .num_threads(parallel)
                .thread_name(|i| format!("qcos-transfer-{i}"))
                .build()
            {
                Ok(p) => p,
                Err(e) => return RunEnd::Failed(Error::Internal(format!("thread pool: {e}"))),
            };
            &owned
        }
    };
    let (tx, rx) = crossbeam_channel::unbounded::<std::thread::Result<D::Out>>();
    pool.in_place_scope(|s| {
        let mut in_flight = 0usize;
        let mut pending: Option<D::Job> = None;
        let mut exhausted = false;
        let mut failed: Option<Error> = None;
        let mut cancelled = false;
        let handle = |out: std::thread::Result<D::Out>,
                      failed: &mut Option<Error>,
                      rep: &Reporter<'_>,
                      d: &mut D| {
            let r = match out {
                Ok(out) => d.finished(out, rep),
                Err(_) => Err(Error::Internal("a transfer worker panicked".into())),
            };
            if let Err(e) = r {
                cancel.store(true, Ordering::SeqCst);
                // Keep the first real failure; later "cancelled" echoes are its consequence.
                if failed.is_none() {
                    *failed = Some(e);
                }
            }
        };
        loop {
            while let Ok(out) = rx.try_recv() {
                in_flight -= 1;
                handle(out, &mut failed, rep, d);
            }
            if !cancelled && failed.is_none() && !rep.tick(false) {
                cancelled = true;
                cancel.store(true, Ordering::SeqCst);
            }
            let stopping = cancelled || failed.is_some();
            if !stopping {
                if pending.is_none() && !exhausted {
                    match d.next_job() {
                        Ok(Some(j)) => pending = Some(j),
                        Ok(None) => exhausted = true,
                        Err(e) => {
                            cancel.store(true, Ordering::SeqCst);
                            failed = Some(e);
                            continue;
                        }
                    }
                }
                if in_flight < parallel {
                    if let Some(job) = pending.take() {
                        in_flight += 1;
                        let tx = tx.clone();
                        s.spawn(move |_| {
                            let out = catch_unwind(AssertUnwindSafe(|| work(job, cancel)));
                            let _ = tx.send(out);
                        });
                        continue;
                    }
                }
            }
            if in_flight == 0 && (stopping || (exhausted && pending.is_none())) {
                break;
            }
            match rx.recv_timeout(rep.wait()) {
                Ok(out) => {
                    in_flight -= 1;
                    handle(out, &mut failed, rep, d);
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
        }
        // After a cancel, errors of the parts in flight are its consequence.
        match failed {
            _ if cancelled => RunEnd::Cancelled,
            Some(e) => RunEnd::Failed(e),
            None => RunEnd::Done,
        }
    })
}

/// Errors worth another attempt of a part: network trouble, retryable service answers, and
/// integrity mismatches of one part (sending the part again replaces it).
pub(crate) fn part_retryable(e: &Error) -> bool {
    e.is_retryable()
        || matches!(e, Error::Integrity(_))
        // The client learned the right clock from the answer; a new attempt signs with it.
        || e.service().is_some_and(|s| s.is_clock_skew())
}

/// Run `f` up to `1 + retries` times while it fails with a retryable error, with jittered
/// exponential backoff, stopping early when `cancel` is set.
pub(crate) fn with_retries<T>(
    retries: u32,
    cancel: &AtomicBool,
    what: &dyn Fn() -> String,
    mut f: impl FnMut() -> Result<T>,
) -> Result<T> {
    with_retries_if(retries, cancel, what, part_retryable, |_| f())
}

/// [`with_retries`] with its own retry test; `f` gets the attempt number (0 first).
pub(crate) fn with_retries_if<T>(
    retries: u32,
    cancel: &AtomicBool,
    what: &dyn Fn() -> String,
    retryable: fn(&Error) -> bool,
    mut f: impl FnMut(u32) -> Result<T>,
) -> Result<T> {
    let mut attempt = 0u32;
    loop {
        if cancel.load(Ordering::Relaxed) {
            return Err(Error::Cancelled(format!("{} stopped", what())));
        }
        match f(attempt) {
            Ok(v) => return Ok(v),
            Err(e) if attempt < retries && retryable(&e) => {
                backoff(attempt, cancel);
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Sleep 50 ms × 2^attempt (capped at 2 s), ±50 % jitter, in short slices so a cancel is
/// seen quickly.
fn backoff(attempt: u32, cancel: &AtomicBool) {
    let base = 50u64.saturating_mul(1 << attempt.min(6)).min(2000);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() as u64)
        .unwrap_or(0);
    let jitter = (nanos.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 33) % base.max(1);
    let total = Duration::from_millis(base / 2 + jitter);
    let until = Instant::now() + total;
    while Instant::now() < until {
        if cancel.load(Ordering::Relaxed) {
            return;
        }
        std::thread::sleep(Duration::from_millis(10).min(until - Instant::now()));
    }
}

/// `"abc"` / `abc` / `ABC` → `abc`.
pub(crate) fn normalize_etag(etag: &str) -> String {
    etag.trim().trim_matches('"').to_ascii_lowercase()
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// A whole-transfer traffic budget (bits/s) split across `parallel` requests, and the
/// parallelism that keeps each share at or above COS's minimum of 819,200 bit/s.
pub(crate) fn split_traffic_limit(limit: Option<u64>, parallel: usize) -> (Option<u64>, usize) {
    const MIN: u64 = 819_200;
    match limit {
        None => (None, parallel.max(1)),
        Some(l) => {
            let p = (parallel.max(1) as u64).min((l / MIN).max(1)) as usize;
            (Some((l / p as u64).max(MIN)), p)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traffic_limit_is_shared_not_multiplied() {
        assert_eq!(split_traffic_limit(None, 4), (None, 4));
        assert_eq!(
            split_traffic_limit(Some(8_192_000), 4),
            (Some(2_048_000), 4)
        );
        // Too small to split four ways at COS's minimum: fewer parts at once.
        assert_eq!(split_traffic_limit(Some(1_700_000), 4), (Some(850_000), 2));
        assert_eq!(split_traffic_limit(Some(100), 4), (Some(819_200), 1));
    }

    #[test]
    fn etags_and_hex() {
        assert_eq!(normalize_etag("\"ABcd\""), "abcd");
        assert_eq!(hex(&[0, 15, 255]), "000fff");
    }

    #[test]
    fn retries_stop_at_the_limit_and_on_fatal_errors() {
        let cancel = AtomicBool::new(false);
        let mut calls = 0;
        let r: Result<()> = with_retries(2, &cancel, &|| "part 1".into(), || {
            calls += 1;
            Err(Error::Network {
                host: "h".into(),
                message: "reset".into(),
            })
        });
        assert!(matches!(r, Err(Error::Network { .. })));
        assert_eq!(calls, 3);
        let mut calls = 0;
        let r: Result<()> = with_retries(2, &cancel, &|| "part 1".into(), || {
            calls += 1;
            Err(Error::invalid("x", "y"))
        });
        assert!(r.is_err());
        assert_eq!(calls, 1);
        cancel.store(true, Ordering::SeqCst);
        let r: Result<()> = with_retries(2, &cancel, &|| "part 1".into(), || Ok(()));
        assert!(matches!(r, Err(Error::Cancelled(_))));
    }

    #[test]
    fn progress_is_throttled_and_forced_at_the_end() {
        let mut seen = Vec::new();
        {
            let mut cb = |p: &Progress| {
                seen.push(*p);
                true
            };
            let mut rep = Reporter::new(Some(&mut cb), 60_000, Some(10));
            assert!(rep.tick(false)); // first report immediately
            rep.add(5);
            assert!(rep.tick(false)); // throttled: not reported
            rep.add(5);
            assert!(rep.tick(true));
        }
        assert_eq!(seen.len(), 2);
        assert_eq!(seen[0].loaded, 0);
        assert_eq!(seen[1].loaded, 10);
        assert_eq!(seen[1].percent, 1.0);
    }
}
