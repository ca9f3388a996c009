//! The fault matrix: every fault qcos-server can inject × {small PUT, small GET to a file,
//! small GET streamed into the caller's `Write` (as the C write callback is), multipart
//! upload (initiate / part / complete), ranged parallel download (HEAD / range)} ×
//! {fires once, fires on every attempt}.
//!
//! Each case must end in one of the outcomes its row allows: success with the right bytes
//! (the fault was retryable and within the retry budget), or failure with the expected
//! `Status` and a message naming the problem. Whatever the outcome, a destination file is
//! either the complete, verified object or untouched, and an uploaded object is never
//! served with wrong bytes. Failures are collected and reported by case name.

mod client_common;

use std::path::Path;
use std::time::{Duration, Instant};

use client_common::*;
use qcos::transfer::{DownloadOptions, UploadOptions, UploadSource};
use qcos::{Body, Client, Config, Error, GetObjectOptions, PutObjectOptions, Status};
use qcos_server::{FaultAction, FaultRule};

const MIB: usize = 1 << 20;
const SMALL: usize = 100_000;
const LARGE: usize = 2 * MIB + MIB / 2;
const IO_TIMEOUT_MS: u64 = 1500;
const STALL: Duration = Duration::from_millis(3000);
const OLD: &[u8] = b"the previous contents of the destination file";

/// xorshift bytes, different per seed.
fn data(n: usize, seed: u32) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2_654_435_761) | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum F {
    Internal500,
    SlowDown503,
    Skewed403,
    ExpiredToken400,
    ResetBeforeBody,
    ResetMidBody,
    Stall,
    Truncated,
    MalformedXml,
    WrongCrc,
    WrongEtag,
    /// The server's clock an hour ahead (not a rule: the whole case runs skewed).
    ClockHour,
}

const FAULTS: [F; 12] = [
    F::Internal500,
    F::SlowDown503,
    F::Skewed403,
    F::ExpiredToken400,
    F::ResetBeforeBody,
    F::ResetMidBody,
    F::Stall,
    F::Truncated,
    F::MalformedXml,
    F::WrongCrc,
    F::WrongEtag,
    F::ClockHour,
];

impl F {
    fn action(self) -> Option<FaultAction> {
        let st = |s: u16, c: &str, m: &str| FaultAction::Status {
            http_status: s,
            code: c.into(),
            message: m.into(),
        };
        Some(match self {
            F::Internal500 => st(500, "InternalError", "injected internal error"),
            F::SlowDown503 => st(503, "SlowDown", "Please reduce your request rate."),
            F::Skewed403 => st(
                403,
                "RequestTimeTooSkewed",
                "The difference between the request time and the server's time is too large.",
            ),
            F::ExpiredToken400 => st(400, "ExpiredToken", "The provided token has expired."),
            F::ResetBeforeBody => FaultAction::ResetBeforeBody,
            F::ResetMidBody => FaultAction::ResetMidBody,
            F::Stall => FaultAction::Stall(STALL),
            F::Truncated => FaultAction::TruncatedBody,
            F::MalformedXml => FaultAction::MalformedXml,
            F::WrongCrc => FaultAction::WrongCrc64,
            F::WrongEtag => FaultAction::WrongEtag,
            F::ClockHour => return None,
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    SmallPut,
    SmallGet,
    /// `get_object` into the caller's `Write` (the path of the C write callback).
    SmallGetSink,
    MpInitiate,
    MpPart,
    MpComplete,
    DlHead,
    DlRange,
}

impl Op {
    /// The rule's filters: which request of the operation the fault hits.
    fn rule(self, action: FaultAction, key: &str) -> FaultRule {
        let r = FaultRule::new(action).path_contains(key);
        match self {
            Op::SmallPut => r.method("PUT"),
            Op::SmallGet | Op::SmallGetSink => r.method("GET"),
            Op::MpInitiate => r.method("POST").query_contains("uploads"),
            Op::MpPart => r.method("PUT").query_contains("partNumber=2"),
            Op::MpComplete => r.method("POST").query_contains("uploadId"),
            Op::DlHead => r.method("HEAD"),
            // The second range GET (ranges run in parallel, so "second to arrive").
            Op::DlRange => r.method("GET").nth(2),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Times {
    Once,
    Always,
}

/// An allowed outcome.
#[derive(Clone, Debug)]
enum Want {
    Ok,
    /// Failure with this status, and the message (Display) containing this text.
    Err(Status, &'static str),
}

/// The rows of the matrix: what each (fault, op, times) must end in.
fn expected(f: F, op: Op, t: Times) -> Vec<Want> {
    use Op::*;
    use Want::Err as E;
    let ok = || vec![Want::Ok];
    let once = t == Times::Once;
    let is_get = matches!(op, SmallGet | SmallGetSink | DlHead | DlRange);
    let is_upload = !is_get;
    match f {
        // Retryable service answers: retried within the budget, else the service error.
        F::Internal500 if once => ok(),
        F::Internal500 => vec![E(Status::Service, "InternalError")],
        F::SlowDown503 if once => ok(),
        // A HEAD answer has no body: the status alone names the problem.
        F::SlowDown503 if op == DlHead => vec![E(Status::Service, "503")],
        F::SlowDown503 => vec![E(Status::Service, "SlowDown")],
        // The client re-signs once with the server's Date; an answer that keeps saying
        // "skewed" is reported.
        // Without a body (HEAD) or a skewed `Date`, a 403 cannot be told from any other.
        F::Skewed403 if op == DlHead => vec![E(Status::Service, "403")],
        F::Skewed403 if once => ok(),
        F::Skewed403 => vec![E(Status::Service, "RequestTimeTooSkewed")],
        // Static credentials cannot be refreshed: reported, never retried blindly.
        F::ExpiredToken400 if op == DlHead => vec![E(Status::Service, "400")],
        F::ExpiredToken400 => vec![E(Status::Service, "ExpiredToken")],
        F::ResetBeforeBody if once => ok(),
        F::ResetBeforeBody => vec![E(Status::Network, "")],
        // A body cut in the middle: an upload is resent; a GET (to a file or into the
        // caller's sink) is resumed from the next byte; the transfer engine's range GET
        // is resumed too (and the engine retries the range).
        F::ResetMidBody if op == DlHead => ok(),
        F::ResetMidBody if once => ok(),
        // Cut on every attempt: each continuation is cut again until the budget is spent.
        F::ResetMidBody if is_get => vec![E(Status::Network, "")],
        F::ResetMidBody => vec![
            E(Status::Network, ""),
            E(Status::Integrity, ""),
            E(Status::Protocol, ""),
        ],
        F::Stall if once => ok(),
        // Complete is a long-running request (its read timeout is not the short one).
        F::Stall if op == MpComplete => ok(),
        F::Stall => vec![E(Status::Timeout, "")],
        // Responses without a body (PUT, HEAD, upload part) are not hurt by truncation.
        F::Truncated if matches!(op, SmallPut | MpPart | DlHead) => ok(),
        // The object was completed; the retried Complete finds no upload, and the engine
        // confirms the object by its size and CRC-64.
        F::Truncated if op == MpComplete => ok(),
        F::Truncated if once => ok(),
        // A short body is resumed like a cut one, and cut again every time.
        F::Truncated if is_get => vec![E(Status::Network, "")],
        F::Truncated => vec![
            E(Status::Network, ""),
            E(Status::Protocol, ""),
            E(Status::Integrity, ""),
        ],
        // Only XML answers can be malformed.
        F::MalformedXml if matches!(op, MpInitiate | MpComplete) => {
            vec![E(Status::Protocol, "")]
        }
        F::MalformedXml => ok(),
        // A part whose CRC-64 answer is wrong is sent again (once: fixed by the retry).
        F::WrongCrc if op == MpPart && once => ok(),
        F::WrongCrc if is_upload && op != MpInitiate => vec![E(Status::Integrity, "CRC")],
        F::WrongCrc if op == MpInitiate => ok(),
        // The HEAD's CRC is the one the download checks against.
        F::WrongCrc if op == DlHead => vec![E(Status::Integrity, "CRC")],
        // A range's CRC header is not what the download trusts: the assembled file is
        // checked against the HEAD's CRC-64, and the bytes are right.
        F::WrongCrc if op == DlRange => ok(),
        F::WrongCrc => vec![E(Status::Integrity, "CRC")],
        F::WrongEtag => match op {
            SmallPut | SmallGet | SmallGetSink | MpInitiate | MpComplete => ok(),
            // A part's ETag is what Complete sends back: a wrong one makes Complete fail.
            MpPart => vec![E(Status::Service, "InvalidPart"), Want::Ok],
            // A changed ETag between HEAD and a range means the object changed.
            DlHead | DlRange => vec![Want::Ok, E(Status::Integrity, ""), E(Status::Service, "")],
        },
        F::ClockHour => ok(),
    }
}

struct Case {
    name: String,
    fault: F,
    op: Op,
    times: Times,
}

fn cases(ops: &[Op]) -> Vec<Case> {
    let mut v = Vec::new();
    for &op in ops {
        for f in FAULTS {
            for times in [Times::Once, Times::Always] {
                if f == F::ClockHour && times == Times::Always {
                    continue;
                }
                v.push(Case {
                    name: format!("{f:?} × {op:?} × {times:?}"),
                    fault: f,
                    op,
                    times,
                });
            }
        }
    }
    v
}

fn cfg(env: &Env, bucket: &str) -> Config {
    let mut c = env.config(bucket);
    c.io_timeout_ms = IO_TIMEOUT_MS;
    c.max_retries = 1;
    c.retry_base_delay_ms = 5;
    c.slice_size = MIB as u64;
    c.chunk_size = MIB as u64;
    c.chunk_parallel_limit = 3;
    c.chunk_retry_times = 1;
    c
}

/// Files in `dir` other than `keep`: no temporary or partial file may be left at any
/// path the caller would read. (A resumable download keeps `.<name>.qcos-download*`.)
fn strays(dir: &Path, keep: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p != keep)
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy().to_string();
            !(n.starts_with('.') && n.contains(".qcos-download"))
        })
        .map(|p| p.display().to_string())
        .collect()
}

fn check_outcome(case: &Case, r: &Result<(), Error>, wants: &[Want]) -> Option<String> {
    let fits = wants.iter().any(|w| match (w, r) {
        (Want::Ok, Ok(())) => true,
        (Want::Err(s, text), Err(e)) => e.status() == *s && e.to_string().contains(text),
        _ => false,
    });
    if fits {
        // Every error names its problem.
        if let Err(e) = r
            && e.to_string().trim().len() < 8
        {
            return Some(format!("{}: message too thin: {e:?}", case.name));
        }
        None
    } else {
        Some(format!(
            "{}: got {}, wanted one of {wants:?}",
            case.name,
            match r {
                Ok(()) => "Ok".to_string(),
                Err(e) => format!("Err({:?}: {e})", e.status()),
            }
        ))
    }
}

fn read_object(c: &Client, key: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    match c.get_object(key, &GetObjectOptions::default(), &mut out) {
        Ok(_) => Some(out),
        Err(e) if e.service().is_some_and(|s| s.http_status == 404) => None,
        Err(e) => panic!("verification read of {key} failed: {e}"),
    }
}

/// Run every case of `ops` against one server; returns the problems found.
fn run_matrix(ops: &[Op], bucket: &str) -> Vec<String> {
    let env = start();
    let mut clean_cfg = cfg(&env, bucket);
    clean_cfg.io_timeout_ms = 60_000;
    let clean = Client::new(clean_cfg).unwrap();
    clean.create_bucket().unwrap();
    let small = data(SMALL, 1);
    let large = data(LARGE, 2);
    let src = env.dir.path().join("large.src");
    std::fs::write(&src, &large).unwrap();
    // Objects the downloads read.
    clean
        .put_object(
            "dl-small",
            Body::Bytes(&small),
            &PutObjectOptions::default(),
        )
        .unwrap();
    clean
        .put_object(
            "dl-large",
            Body::Bytes(&large),
            &PutObjectOptions::default(),
        )
        .unwrap();

    let mut problems = Vec::new();
    for (i, case) in cases(ops).into_iter().enumerate() {
        env.server.faults().clear();
        env.server.set_clock_skew(0);
        let key = format!("case-{i}");
        let target_key = match case.op {
            Op::SmallGet | Op::SmallGetSink => "dl-small".to_string(),
            Op::DlHead | Op::DlRange => "dl-large".to_string(),
            _ => key.clone(),
        };
        match case.fault.action() {
            Some(a) => {
                let mut rule = case.op.rule(a, &target_key);
                if case.times == Times::Always {
                    rule = rule.times(0);
                }
                env.server.faults().add(rule);
            }
            None => env.server.set_clock_skew(3600),
        }
        let client = Client::new(cfg(&env, bucket)).unwrap();
        let outdir = env.dir.path().join(format!("out-{i}"));
        std::fs::create_dir(&outdir).unwrap();
        let dest = outdir.join("dest.bin");
        std::fs::write(&dest, OLD).unwrap();

        let mut streamed: Vec<u8> = Vec::new();
        let started = Instant::now();
        let r: Result<(), Error> = match case.op {
            Op::SmallPut => client
                .put_object(&key, Body::Bytes(&small), &PutObjectOptions::default())
                .map(|_| ()),
            Op::SmallGet => client
                .get_object_to_file(&target_key, &dest, &GetObjectOptions::default())
                .map(|_| ()),
            Op::SmallGetSink => client
                .get_object(&target_key, &GetObjectOptions::default(), &mut streamed)
                .and_then(|info| {
                    if info.content_length != SMALL as u64
                        || info.received_crc64 != Some(qcos::crc64::checksum(&small))
                    {
                        Err(Error::Internal(format!("get_object info lies: {info:?}")))
                    } else {
                        Ok(())
                    }
                }),
            Op::MpInitiate | Op::MpPart | Op::MpComplete => client
                .upload_file(
                    &key,
                    UploadSource::File(&src),
                    &UploadOptions::default(),
                    None,
                )
                .and_then(|o| {
                    if o.crc64 != qcos::crc64::checksum(&large) || o.size != LARGE as u64 {
                        Err(Error::Internal(format!("upload output lies: {o:?}")))
                    } else {
                        Ok(())
                    }
                }),
            Op::DlHead | Op::DlRange => client
                .download_file(&target_key, &dest, &DownloadOptions::default(), None)
                .and_then(|o| {
                    if o.size != LARGE as u64 {
                        Err(Error::Internal(format!("download output lies: {o:?}")))
                    } else {
                        Ok(())
                    }
                }),
        };
        let took = started.elapsed();
        let fired = env.server.faults().fired(0);
        env.server.faults().clear();
        env.server.set_clock_skew(0);

        if case.fault != F::ClockHour && fired == 0 {
            problems.push(format!(
                "{}: the fault never fired (bad filter?)",
                case.name
            ));
        }
        if let Some(p) = check_outcome(&case, &r, &expected(case.fault, case.op, case.times)) {
            problems.push(p);
        }
        if took > Duration::from_secs(30) {
            problems.push(format!("{}: took {took:?}", case.name));
        }

        // Data checks, whatever the outcome.
        match case.op {
            Op::SmallPut | Op::MpInitiate | Op::MpPart | Op::MpComplete => {
                let want: &[u8] = if case.op == Op::SmallPut {
                    &small
                } else {
                    &large
                };
                match read_object(&clean, &key) {
                    Some(got) if got != want => problems.push(format!(
                        "{}: the stored object has wrong bytes ({} bytes)",
                        case.name,
                        got.len()
                    )),
                    None if r.is_ok() => problems.push(format!(
                        "{}: FALSE SUCCESS: Ok but no object stored",
                        case.name
                    )),
                    _ => {}
                }
            }
            // Streamed bytes cannot be taken back: on success the sink holds exactly the
            // object; on failure a prefix of it (every byte once, never a wrong one).
            Op::SmallGetSink => {
                let fits = match &r {
                    Ok(()) => streamed == small,
                    Err(_) => small.starts_with(&streamed),
                };
                if !fits {
                    problems.push(format!(
                        "{}: the sink got {} bytes that are not {} of the object",
                        case.name,
                        streamed.len(),
                        if r.is_ok() { "all" } else { "a prefix" }
                    ));
                }
            }
            Op::SmallGet | Op::DlHead | Op::DlRange => {
                let want: &[u8] = if case.op == Op::SmallGet {
                    &small
                } else {
                    &large
                };
                let got = std::fs::read(&dest).unwrap_or_default();
                match &r {
                    Ok(()) if got != want => problems.push(format!(
                        "{}: FALSE SUCCESS: destination has {} wrong bytes",
                        case.name,
                        got.len()
                    )),
                    Err(_) if got != OLD => problems.push(format!(
                        "{}: a failed download changed the destination ({} bytes)",
                        case.name,
                        got.len()
                    )),
                    _ => {}
                }
                let s = strays(&outdir, &dest);
                if !s.is_empty() {
                    problems.push(format!("{}: files left behind: {s:?}", case.name));
                }
            }
        }
        eprintln!(
            "{:<45} {:>6} ms  {}",
            case.name,
            took.as_millis(),
            match &r {
                Ok(()) => "ok".to_string(),
                Err(e) => format!("{:?}: {e}", e.status()),
            }
        );
    }
    env.server.stop();
    problems
}

fn report(problems: Vec<String>) {
    assert!(
        problems.is_empty(),
        "{} case(s) broke:\n  {}",
        problems.len(),
        problems.join("\n  ")
    );
}

#[test]
fn fault_matrix_small_put_and_get() {
    report(run_matrix(
        &[Op::SmallPut, Op::SmallGet, Op::SmallGetSink],
        "fm-small-1250000000",
    ));
}

#[test]
fn fault_matrix_multipart_upload() {
    report(run_matrix(
        &[Op::MpInitiate, Op::MpPart, Op::MpComplete],
        "fm-mp-1250000000",
    ));
}

#[test]
fn fault_matrix_ranged_download() {
    report(run_matrix(&[Op::DlHead, Op::DlRange], "fm-dl-1250000000"));
}

#[test]
fn matrix_covers_every_fault_and_op() {
    let all = cases(&[
        Op::SmallPut,
        Op::SmallGet,
        Op::SmallGetSink,
        Op::MpInitiate,
        Op::MpPart,
        Op::MpComplete,
        Op::DlHead,
        Op::DlRange,
    ]);
    assert_eq!(all.len(), 8 * (11 * 2 + 1));
    for c in &all {
        assert!(!expected(c.fault, c.op, c.times).is_empty(), "{}", c.name);
    }
}
