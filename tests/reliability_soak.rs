//! Bounded soak and thread tests.
//!
//! - Soak: up to 200 objects of seeded random sizes (some multipart) uploaded and
//!   downloaded through a server that fails ~5% of all requests at random (500, 503,
//!   resets before and in the middle of bodies, truncated bodies, wrong CRC-64 answers);
//!   every byte is checked. `QCOS_SOAK_SEED` replays another seed.
//! - Threads: one client shared by 8 threads doing mixed operations (with progress
//!   callbacks in flight) for a bounded time; every result is checked.

mod client_common;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use client_common::*;
use qcos::transfer::{DownloadOptions, Progress, UploadOptions, UploadSource};
use qcos::{
    Body, Client, CopySource, GetObjectOptions, ListObjectsOptions, PutObjectOptions, Status,
};
use qcos_server::FaultAction;

const MIB: u64 = 1 << 20;

/// splitmix64, for sizes and choices.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn bytes(n: usize, seed: u64) -> Vec<u8> {
    let mut r = Rng(seed);
    let mut v = Vec::with_capacity(n + 8);
    while v.len() < n {
        v.extend_from_slice(&r.next().to_le_bytes());
    }
    v.truncate(n);
    v
}

fn chaos_actions() -> Vec<FaultAction> {
    vec![
        FaultAction::Status {
            http_status: 500,
            code: "InternalError".into(),
            message: "soak: internal error".into(),
        },
        FaultAction::Status {
            http_status: 503,
            code: "SlowDown".into(),
            message: "soak: slow down".into(),
        },
        FaultAction::ResetBeforeBody,
        FaultAction::ResetMidBody,
        FaultAction::TruncatedBody,
        FaultAction::WrongCrc64,
    ]
}

#[test]
fn soak_200_objects_through_5_percent_random_faults() {
    let seed: u64 = std::env::var("QCOS_SOAK_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_261_121);
    eprintln!("soak seed {seed} (QCOS_SOAK_SEED to replay)");
    let env = start();
    let mut cfg = env.config("soak-1250000000");
    cfg.max_retries = 4;
    cfg.retry_base_delay_ms = 2;
    cfg.slice_size = MIB;
    cfg.chunk_size = MIB;
    cfg.chunk_parallel_limit = 2;
    cfg.chunk_retry_times = 3;
    cfg.io_timeout_ms = 20_000;
    let client = Client::new(cfg).unwrap();
    client.create_bucket().unwrap();
    env.server.faults().set_random(seed, 5.0, chaos_actions());

    let deadline = Instant::now() + Duration::from_secs(60);
    let mut rng = Rng(seed);
    let dir = env.dir.path().join("soak");
    std::fs::create_dir(&dir).unwrap();
    let mut done = 0usize;
    let mut bytes_checked = 0u64;
    let mut failures = Vec::new();
    let mut app_retries = Vec::new();
    for i in 0..200u64 {
        if Instant::now() > deadline {
            break;
        }
        // Mostly small objects, one in eight above the 1 MiB slice (multipart).
        let size = match rng.below(8) {
            0 => MIB + rng.below(2 * MIB),
            1 => 0,
            _ => rng.below(256 << 10),
        } as usize;
        let data = bytes(size, seed ^ i);
        let key = format!("soak/{i:03}");
        let use_file = rng.below(2) == 0;
        let to_file = rng.below(2) == 0;
        let upload = || {
            if use_file {
                let src = dir.join(format!("src-{i}"));
                std::fs::write(&src, &data).unwrap();
                let r = client.upload_file(
                    &key,
                    UploadSource::File(&src),
                    &UploadOptions::default(),
                    None,
                );
                std::fs::remove_file(&src).unwrap();
                r
            } else {
                let mut rd: &[u8] = &data;
                client.upload_file(
                    &key,
                    UploadSource::Reader {
                        reader: &mut rd,
                        len: size as u64,
                    },
                    &UploadOptions::default(),
                    None,
                )
            }
        };
        // A wrong CRC-64 in an answer is detected and reported as Integrity (the client
        // cannot tell which side is wrong); the application tries once more.
        let up = match upload() {
            Err(e) if e.status() == Status::Integrity => {
                app_retries.push(format!("upload {key}: {e}"));
                upload()
            }
            r => r,
        };
        match up {
            Ok(o) => {
                assert_eq!(o.size, size as u64, "{key}");
                assert_eq!(o.crc64, qcos::crc64::checksum(&data), "{key}");
            }
            Err(e) => {
                failures.push(format!("upload {key} ({size} B): {:?}: {e}", e.status()));
                continue;
            }
        }
        let download = || {
            if to_file {
                let dest = dir.join(format!("dl-{i}"));
                match client.download_file(&key, &dest, &DownloadOptions::default(), None) {
                    Ok(_) => {
                        let v = std::fs::read(&dest).unwrap();
                        std::fs::remove_file(&dest).unwrap();
                        Ok(v)
                    }
                    Err(e) => {
                        assert!(!dest.exists(), "{key}: a failed download left {dest:?}");
                        Err(e)
                    }
                }
            } else {
                let mut buf = vec![0u8; size];
                client
                    .download_to_buffer(&key, &mut buf, &DownloadOptions::default(), None)
                    .map(|o| {
                        assert_eq!(o.size, size as u64);
                        buf
                    })
            }
        };
        let got = match download() {
            Err(e) if e.status() == Status::Integrity => {
                app_retries.push(format!("download {key}: {e}"));
                download()
            }
            r => r,
        };
        match got {
            Ok(v) => {
                assert!(v == data, "{key}: downloaded bytes differ (size {size})");
                bytes_checked += size as u64;
                done += 1;
            }
            Err(e) => failures.push(format!("download {key} ({size} B): {:?}: {e}", e.status())),
        }
    }
    env.server.faults().set_random(0, 0.0, Vec::new());
    let stats = env.server.stats();
    eprintln!(
        "soak: {done} objects, {bytes_checked} bytes checked, {} requests, {} faults fired, {} failures, {} integrity errors retried by the test:\n  {}",
        stats.requests,
        stats.faults_fired,
        failures.len(),
        app_retries.len(),
        app_retries.join("\n  ")
    );
    // What is stored is what was sent, for every object that claimed success.
    let listed = client
        .list_objects_pages(ListObjectsOptions {
            prefix: "soak/".into(),
            ..ListObjectsOptions::default()
        })
        .collect::<qcos::Result<Vec<_>>>()
        .unwrap();
    let n_listed: usize = listed.iter().map(|p| p.objects.len()).sum();
    assert!(n_listed >= done, "{n_listed} listed, {done} done");
    assert!(
        stats.faults_fired >= 10,
        "the soak must actually meet faults ({} fired)",
        stats.faults_fired
    );
    assert!(done >= 100, "only {done} objects in the time bound");
    assert!(
        failures.is_empty(),
        "retryable faults at 5% must be absorbed by the retry budget:\n  {}",
        failures.join("\n  ")
    );
}

#[test]
fn eight_threads_share_one_client() {
    eight_threads(None);
}

/// The same through 3% transient faults (500, 503, connection reset before the body:
/// none of them carries the request out), so retries run on many threads at once.
#[test]
fn eight_threads_share_one_client_through_random_faults() {
    eight_threads(Some(3.0));
}

fn eight_threads(fault_percent: Option<f64>) {
    let env = start();
    let mut cfg = env.config("threads-1250000000");
    cfg.max_retries = 6;
    cfg.retry_base_delay_ms = 2;
    cfg.slice_size = MIB;
    cfg.chunk_size = MIB;
    cfg.chunk_parallel_limit = 2;
    cfg.progress_interval_ms = 0;
    let client = Client::new(cfg).unwrap();
    client.create_bucket().unwrap();
    let shared = bytes(300_000, 99);
    if let Some(p) = fault_percent {
        env.server.faults().set_random(
            7,
            p,
            vec![
                FaultAction::Status {
                    http_status: 500,
                    code: "InternalError".into(),
                    message: "threads: internal error".into(),
                },
                FaultAction::Status {
                    http_status: 503,
                    code: "SlowDown".into(),
                    message: "threads: slow down".into(),
                },
                FaultAction::ResetBeforeBody,
            ],
        );
    }
    client
        .put_object(
            "shared/obj",
            Body::Bytes(&shared),
            &PutObjectOptions::default(),
        )
        .unwrap();
    let stop = AtomicBool::new(false);
    let ops = AtomicU64::new(0);
    let callbacks = AtomicU64::new(0);
    let deadline = Instant::now() + Duration::from_secs(5);
    std::thread::scope(|s| {
        let mut handles = Vec::new();
        for t in 0..8u64 {
            let (client, shared, stop, ops, callbacks) =
                (&client, &shared, &stop, &ops, &callbacks);
            let dir = env.dir.path().to_path_buf();
            handles.push(s.spawn(move || {
                let mut rng = Rng(t * 7919 + 1);
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
                    n += 1;
                    let key = format!("t{t}/k{n}");
                    let data = bytes(rng.below(200_000) as usize, t << 32 | n);
                    match rng.below(6) {
                        0 => {
                            client
                                .put_object(&key, Body::Bytes(&data), &PutObjectOptions::default())
                                .unwrap();
                            let mut out = Vec::new();
                            client
                                .get_object(&key, &GetObjectOptions::default(), &mut out)
                                .unwrap();
                            assert!(out == data, "{key}");
                            let h = client
                                .head_object(&key, &GetObjectOptions::default())
                                .unwrap();
                            assert_eq!(h.content_length, data.len() as u64);
                            client.delete_object(&key).unwrap();
                            let e = client
                                .head_object(&key, &GetObjectOptions::default())
                                .unwrap_err();
                            assert_eq!(e.service().map(|s| s.http_status), Some(404), "{key}");
                        }
                        1 => {
                            // A multipart upload with a progress callback on this thread.
                            let big = bytes((MIB + rng.below(MIB)) as usize, n ^ t);
                            let mut rd: &[u8] = &big;
                            let mut last = 0u64;
                            let mut cb = |p: &Progress| {
                                assert!(p.loaded >= last, "progress goes forward");
                                last = p.loaded;
                                callbacks.fetch_add(1, Ordering::Relaxed);
                                true
                            };
                            let o = client
                                .upload_file(
                                    &key,
                                    UploadSource::Reader {
                                        reader: &mut rd,
                                        len: big.len() as u64,
                                    },
                                    &UploadOptions::default(),
                                    Some(&mut cb),
                                )
                                .unwrap();
                            assert_eq!(o.crc64, qcos::crc64::checksum(&big));
                            let mut buf = vec![0u8; big.len()];
                            client
                                .download_to_buffer(
                                    &key,
                                    &mut buf,
                                    &DownloadOptions::default(),
                                    None,
                                )
                                .unwrap();
                            assert!(buf == big, "{key}");
                        }
                        2 => {
                            let mut out = Vec::new();
                            let start = rng.below(shared.len() as u64 - 1);
                            let end = start + rng.below(shared.len() as u64 - start);
                            let opts = GetObjectOptions {
                                range: Some((start, Some(end))),
                                ..GetObjectOptions::default()
                            };
                            client.get_object("shared/obj", &opts, &mut out).unwrap();
                            assert!(
                                out[..] == shared[start as usize..=end as usize],
                                "range {start}-{end}"
                            );
                        }
                        3 => {
                            client
                                .put_object(&key, Body::Bytes(&data), &PutObjectOptions::default())
                                .unwrap();
                            let page = client
                                .list_objects(&ListObjectsOptions {
                                    prefix: format!("t{t}/"),
                                    ..ListObjectsOptions::default()
                                })
                                .unwrap();
                            assert!(page.objects.iter().any(|o| o.key == key), "{key} listed");
                            assert!(
                                page.objects
                                    .iter()
                                    .all(|o| o.key.starts_with(&format!("t{t}/")))
                            );
                        }
                        4 => {
                            let copy = format!("{key}-copy");
                            client
                                .copy_object(
                                    &copy,
                                    &CopySource {
                                        bucket: client.config().bucket.clone(),
                                        region: REGION.into(),
                                        key: "shared/obj".into(),
                                        version_id: None,
                                    },
                                    &qcos::CopyObjectOptions::default(),
                                )
                                .unwrap();
                            let dest = dir.join(format!("t{t}-{n}.bin"));
                            client
                                .download_file(&copy, &dest, &DownloadOptions::default(), None)
                                .unwrap();
                            assert!(std::fs::read(&dest).unwrap() == *shared, "{copy}");
                            std::fs::remove_file(&dest).unwrap();
                        }
                        _ => {
                            // Errors are per call, never leaked to another thread.
                            let e = client
                                .get_object(
                                    &format!("{key}-missing"),
                                    &GetObjectOptions::default(),
                                    &mut Vec::new(),
                                )
                                .unwrap_err();
                            assert_eq!(e.status(), Status::Service);
                            assert_eq!(e.service().unwrap().code, "NoSuchKey");
                        }
                    }
                    ops.fetch_add(1, Ordering::Relaxed);
                }
                n
            }));
        }
        for h in handles {
            if let Err(p) = h.join() {
                stop.store(true, Ordering::Relaxed);
                std::panic::resume_unwind(p);
            }
        }
    });
    let n = ops.load(Ordering::Relaxed);
    eprintln!(
        "8 threads (faults {fault_percent:?}%): {n} operations, {} progress callbacks",
        callbacks.load(Ordering::Relaxed)
    );
    assert!(n >= 16, "every thread made progress ({n} ops)");
    if fault_percent.is_some() {
        let fired = env.server.stats().faults_fired;
        eprintln!("{fired} faults fired");
        assert!(fired >= 5, "the faults must actually fire ({fired})");
    }
}
