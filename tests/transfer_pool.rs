//! The client's worker pool against qcos-server: two uploads at once share one pool of
//! `chunk_parallel_limit × file_parallel_limit` named threads, each upload still keeps at
//! most `chunk_parallel_limit` parts in flight, and the pool's threads end with the client.
//!
//! One test in this binary, so the process's thread list holds only its threads.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use qcos::auth::Credentials;
use qcos::transfer::{UploadOptions, UploadSource};
use qcos::{Client, Config, GetObjectOptions};
use qcos_server::{FaultAction, FaultRule, Server, ServerConfig, TEST_SECRET_ID, TEST_SECRET_KEY};

const MIB: usize = 1 << 20;

fn data(n: usize, seed: u32) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

/// Names of this process's threads whose name starts with `prefix` (Linux: /proc).
fn threads_named(prefix: &str) -> usize {
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    dir.filter_map(|e| e.ok())
        .filter_map(|e| std::fs::read_to_string(e.path().join("comm")).ok())
        .filter(|n| n.trim_end().starts_with(prefix))
        .count()
}

#[test]
fn two_uploads_share_the_client_pool_and_keep_their_part_limit() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(ServerConfig::new(dir.path().join("data"))).unwrap();
    let mut cfg = Config::new("ap-guangzhou", "pool-1250000000");
    cfg.endpoint = Some(server.endpoint());
    cfg.credentials = Some(Credentials::new(TEST_SECRET_ID, TEST_SECRET_KEY));
    cfg.slice_size = MIB as u64;
    cfg.chunk_size = MIB as u64;
    cfg.chunk_parallel_limit = 2;
    cfg.file_parallel_limit = 3;
    cfg.copy_chunk_parallel_limit = 2;
    cfg.progress_interval_ms = 0;
    let client = Client::new(cfg).unwrap();
    client.create_bucket().unwrap();
    assert_eq!(client.worker_threads(), 6);
    // Nothing transferred in parts yet: no thread started.
    assert_eq!(threads_named("qcos-worker-"), 0);

    // Every Upload Part waits 500 ms at the server. Six parts, two at a time, take at
    // least three rounds (1.5 s) however large the pool; the pool of 6 would run the
    // twelve parts of both uploads in two rounds (1 s) if a transfer took what it could.
    const STALL: Duration = Duration::from_millis(500);
    server.faults().add(
        FaultRule::new(FaultAction::Stall(STALL))
            .method("PUT")
            .query_contains("partNumber")
            .times(0),
    );
    let sources: Vec<(String, Vec<u8>, std::path::PathBuf)> = (0..2)
        .map(|i| {
            let bytes = data(6 * MIB, 10 + i);
            let path = dir.path().join(format!("src{i}"));
            std::fs::File::create(&path)
                .unwrap()
                .write_all(&bytes)
                .unwrap();
            (format!("big/{i}"), bytes, path)
        })
        .collect();

    // While both run, watch the threads: only the client's pool, never a pool per transfer.
    let done = Arc::new(AtomicBool::new(false));
    let most_workers = Arc::new(AtomicUsize::new(0));
    let most_per_transfer = Arc::new(AtomicUsize::new(0));
    let watcher = {
        let (done, w, t) = (
            done.clone(),
            most_workers.clone(),
            most_per_transfer.clone(),
        );
        std::thread::spawn(move || {
            while !done.load(Ordering::SeqCst) {
                w.fetch_max(threads_named("qcos-worker-"), Ordering::SeqCst);
                t.fetch_max(threads_named("qcos-transfer-"), Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(20));
            }
        })
    };
    let took: Vec<Duration> = std::thread::scope(|s| {
        let runs: Vec<_> = sources
            .iter()
            .map(|(key, _, path)| {
                let client = &client;
                s.spawn(move || {
                    let t = Instant::now();
                    let out = client
                        .upload_file(
                            key,
                            UploadSource::File(path),
                            &UploadOptions::default(),
                            None,
                        )
                        .unwrap();
                    assert_eq!(out.parts, 6);
                    t.elapsed()
                })
            })
            .collect();
        runs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    done.store(true, Ordering::SeqCst);
    watcher.join().unwrap();

    for t in &took {
        assert!(
            *t >= STALL * 3,
            "an upload took {t:?}: more than 2 parts were in flight"
        );
    }
    assert_eq!(server.stats().get("upload_part"), 12);
    for (key, bytes, _) in &sources {
        let mut got = Vec::new();
        client
            .get_object(key, &GetObjectOptions::default(), &mut got)
            .unwrap();
        assert!(got == *bytes, "{key} differs");
    }
    if cfg!(target_os = "linux") {
        assert_eq!(most_per_transfer.load(Ordering::SeqCst), 0);
        assert_eq!(most_workers.load(Ordering::SeqCst), 6);
        assert_eq!(threads_named("qcos-worker-"), 6);
        // The last clone gone, the pool's threads are joined.
        let clone = client.clone();
        drop(client);
        assert_eq!(threads_named("qcos-worker-"), 6, "a clone keeps the pool");
        drop(clone);
        // `drop` joined every pool thread. A joined thread can still be listed in
        // /proc/self/task for a moment (the kernel wakes the joiner before it reaps the
        // thread), so give the listing a bounded time to catch up.
        let deadline = Instant::now() + Duration::from_secs(2);
        while threads_named("qcos-worker-") > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(threads_named("qcos-worker-"), 0);
    }
}
