//! The engine against the in-memory fake: planning, parallelism, bounded buffers, retries,
//! resume, cancel, integrity, streams, downloads and copies.

use std::io::Write;
use std::sync::atomic::Ordering;
use std::time::Duration;

use super::fake::{Fake, FaultKind, Op};
use super::*;
use crate::Error;

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

fn cfg() -> TransferConfig {
    TransferConfig {
        slice_size: 0,
        chunk_size: MIB as u64,
        chunk_parallel_limit: 3,
        chunk_retry_times: 2,
        progress_interval_ms: 0,
        ..TransferConfig::default()
    }
}

fn file_with(bytes: &[u8]) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(bytes).unwrap();
    f.flush().unwrap();
    f
}

fn up_file(
    store: &Fake,
    key: &str,
    bytes: &[u8],
    opts: &UploadOptions,
) -> crate::Result<UploadOutput> {
    let f = file_with(bytes);
    upload(store, key, UploadSource::File(f.path()), opts, None)
}

#[test]
fn file_sizes_around_the_part_boundaries() {
    for (i, n) in [0, 1, MIB, MIB + 1, 5 * MIB + 12_345]
        .into_iter()
        .enumerate()
    {
        let store = Fake::new(cfg());
        let bytes = data(n, i as u32);
        let out = up_file(&store, "k", &bytes, &UploadOptions::default()).unwrap();
        assert_eq!(store.object("k").unwrap(), bytes, "size {n}");
        assert_eq!(out.size, n as u64);
        assert_eq!(out.crc64, crate::crc64::checksum(&bytes));
        assert!(out.crc64_verified);
        let expected_parts = if n == 0 { 0 } else { n.div_ceil(MIB) as u32 };
        assert_eq!(out.parts, expected_parts, "size {n}");
        assert_eq!(store.parts_sent().len(), expected_parts as usize);
        assert_eq!(out.upload_id.is_some(), n > 0);
        assert_eq!(store.uploads(), 0);
    }
}

#[test]
fn small_sources_use_one_put() {
    let store = Fake::new(TransferConfig {
        slice_size: 2 * MIB as u64,
        ..cfg()
    });
    let bytes = data(MIB + 5, 1);
    let out = up_file(&store, "k", &bytes, &UploadOptions::default()).unwrap();
    assert_eq!(out.parts, 0);
    assert_eq!(store.count(|o| *o == Op::Put), 1);
    assert_eq!(store.count(|o| *o == Op::Initiate), 0);
    assert_eq!(store.object("k").unwrap(), bytes);
}

#[test]
fn parts_run_in_parallel_with_bounded_buffers() {
    let mut store = Fake::new(cfg());
    store.part_delay = Duration::from_millis(30);
    let bytes = data(12 * MIB + 7, 2);
    let out = up_file(&store, "k", &bytes, &UploadOptions::default()).unwrap();
    assert_eq!(out.parts, 13);
    assert_eq!(store.object("k").unwrap(), bytes);
    let max = store.max_in_flight.load(Ordering::SeqCst);
    assert!((2..=3).contains(&max), "max in flight {max}");
    // Buffers are reused: never more than parallel + 1 distinct part buffers.
    let distinct = store.distinct_part_buffers();
    assert!(distinct <= 4, "{distinct} distinct buffers");
}

#[test]
fn reader_of_known_length_and_its_errors() {
    let store = Fake::new(cfg());
    let bytes = data(3 * MIB + 3, 3);
    let mut r = &bytes[..];
    let out = upload(
        &store,
        "k",
        UploadSource::Reader {
            reader: &mut r,
            len: bytes.len() as u64,
        },
        &UploadOptions::default(),
        None,
    )
    .unwrap();
    assert_eq!(out.parts, 4);
    assert_eq!(store.object("k").unwrap(), bytes);
    // Buffers are reused for readers too: at most parallel + 1.
    assert!(store.distinct_part_buffers() <= 4);

    let mut short = &bytes[..2 * MIB];
    let e = upload(
        &store,
        "short",
        UploadSource::Reader {
            reader: &mut short,
            len: bytes.len() as u64,
        },
        &UploadOptions::default(),
        None,
    )
    .unwrap_err();
    assert!(e.to_string().contains("ended after"), "{e}");
    let mut long = &bytes[..];
    let e = upload(
        &store,
        "long",
        UploadSource::Reader {
            reader: &mut long,
            len: 2 * MIB as u64,
        },
        &UploadOptions::default(),
        None,
    )
    .unwrap_err();
    assert!(e.to_string().contains("more than"), "{e}");
    assert!(store.object("short").is_none() && store.object("long").is_none());
}

#[test]
fn streams_of_unknown_length() {
    for (i, n) in [0usize, 100, MIB, MIB + 1, 3 * MIB + MIB / 2]
        .into_iter()
        .enumerate()
    {
        let store = Fake::new(TransferConfig {
            slice_size: 1000,
            ..cfg()
        });
        let bytes = data(n, 10 + i as u32);
        // A reader that hands out odd-sized pieces, like a pipe.
        struct Trickle<'a>(&'a [u8]);
        impl std::io::Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let n = buf.len().min(self.0.len()).min(70_001);
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut r = Trickle(&bytes);
        let mut last = None;
        let mut cb = |p: &Progress| {
            last = Some(*p);
            true
        };
        let out = upload(
            &store,
            "s",
            UploadSource::Stream(&mut r),
            &UploadOptions::default(),
            Some(&mut cb),
        )
        .unwrap();
        assert_eq!(store.object("s").unwrap(), bytes, "size {n}");
        assert_eq!(out.size, n as u64);
        let parts = if n <= 1000 { 0 } else { n.div_ceil(MIB) as u32 };
        assert_eq!(out.parts, parts, "size {n}");
        let last = last.unwrap();
        assert_eq!(last.loaded, n as u64);
        assert_eq!(last.total, Some(n as u64));
        assert_eq!(last.percent, 1.0);
    }
}

#[test]
fn a_part_failing_past_its_retries_then_resume_sends_only_missing_parts() {
    let mut c = cfg();
    c.chunk_parallel_limit = 2;
    let store = Fake::new(c);
    let bytes = data(10 * MIB + 99, 4);
    let f = file_with(&bytes);
    store.fault(Op::UploadPart(7), 3, FaultKind::Retryable);
    let e = upload(
        &store,
        "k",
        UploadSource::File(f.path()),
        &UploadOptions::default(),
        None,
    )
    .unwrap_err();
    assert!(e.service().is_some_and(|s| s.http_status == 500), "{e}");
    assert_eq!(store.count(|o| *o == Op::UploadPart(7)), 3); // 1 + 2 retries
    assert_eq!(store.uploads(), 1, "kept for resume");
    let sent_first: Vec<u32> = store.parts_sent();
    let uploaded: std::collections::HashSet<u32> =
        sent_first.iter().copied().filter(|n| *n != 7).collect();
    store.reset_calls();

    let out = upload(
        &store,
        "k",
        UploadSource::File(f.path()),
        &UploadOptions::default(),
        None,
    )
    .unwrap();
    assert_eq!(store.object("k").unwrap(), bytes);
    assert_eq!(out.parts, 11);
    assert_eq!(out.resumed_parts as usize, uploaded.len());
    let second: Vec<u32> = store.parts_sent();
    assert!(second.contains(&7));
    for n in &second {
        assert!(!uploaded.contains(n), "part {n} sent again");
    }
    assert_eq!(second.len() + uploaded.len(), 11);
    assert_eq!(store.count(|o| *o == Op::Initiate), 0);
    assert_eq!(store.uploads(), 0);
}

#[test]
fn retryable_failures_within_the_budget_succeed() {
    let store = Fake::new(cfg());
    let bytes = data(8 * MIB, 5);
    store.fault(Op::UploadPart(7), 2, FaultKind::Retryable);
    store.fault(Op::UploadPart(2), 1, FaultKind::WrongCrc);
    let out = up_file(&store, "k", &bytes, &UploadOptions::default()).unwrap();
    assert_eq!(out.parts, 8);
    assert_eq!(store.count(|o| *o == Op::UploadPart(7)), 3);
    assert_eq!(store.count(|o| *o == Op::UploadPart(2)), 2);
    assert_eq!(store.object("k").unwrap(), bytes);
}

#[test]
fn fatal_errors_are_not_retried_and_abort_on_error_cleans_up() {
    let store = Fake::new(cfg());
    let bytes = data(4 * MIB, 6);
    store.fault(Op::UploadPart(3), 1, FaultKind::Fatal);
    let opts = UploadOptions {
        on_error: Leftover::Abort,
        ..UploadOptions::default()
    };
    let e = up_file(&store, "k", &bytes, &opts).unwrap_err();
    assert!(e.service().is_some_and(|s| s.code == "AccessDenied"), "{e}");
    assert_eq!(store.count(|o| *o == Op::UploadPart(3)), 1);
    assert_eq!(store.uploads(), 0);
    assert_eq!(store.count(|o| *o == Op::Abort), 1);
}

#[test]
fn wrong_crc_past_retries_is_an_integrity_error() {
    let store = Fake::new(cfg());
    let bytes = data(3 * MIB, 7);
    store.fault(Op::UploadPart(2), 3, FaultKind::WrongCrc);
    let e = up_file(&store, "k", &bytes, &UploadOptions::default()).unwrap_err();
    assert_eq!(e.status(), crate::Status::Integrity, "{e}");
    assert!(store.object("k").is_none());

    let store = Fake::new(cfg());
    store.fault(Op::Complete, 1, FaultKind::WrongCrc);
    let e = up_file(&store, "k", &bytes, &UploadOptions::default()).unwrap_err();
    assert_eq!(e.status(), crate::Status::Integrity, "{e}");

    let store = Fake::new(TransferConfig {
        slice_size: 10 * MIB as u64,
        ..cfg()
    });
    store.fault(Op::Put, 3, FaultKind::WrongCrc);
    let e = up_file(&store, "k", &bytes, &UploadOptions::default()).unwrap_err();
    assert_eq!(e.status(), crate::Status::Integrity, "{e}");
}

#[test]
fn cancel_keeps_or_aborts_the_upload() {
    for choice in [Leftover::KeepForResume, Leftover::Abort] {
        let mut c = cfg();
        c.chunk_parallel_limit = 2;
        let mut store = Fake::new(c);
        store.part_delay = Duration::from_millis(20);
        let bytes = data(12 * MIB, 8);
        let f = file_with(&bytes);
        let mut calls = 0;
        let mut cb = |p: &Progress| {
            calls += 1;
            p.loaded < 2 * MIB as u64
        };
        let opts = UploadOptions {
            on_cancel: choice,
            ..UploadOptions::default()
        };
        let e = upload(
            &store,
            "k",
            UploadSource::File(f.path()),
            &opts,
            Some(&mut cb),
        )
        .unwrap_err();
        assert_eq!(e.status(), crate::Status::Cancelled, "{e}");
        let sent = store.parts_sent().len();
        assert!(
            sent < 12,
            "cancel did not stop the upload ({sent} parts sent)"
        );
        assert!(store.object("k").is_none());
        match choice {
            Leftover::Abort => assert_eq!(store.uploads(), 0),
            Leftover::KeepForResume => {
                assert_eq!(store.uploads(), 1);
                store.reset_calls();
                let out = upload(
                    &store,
                    "k",
                    UploadSource::File(f.path()),
                    &UploadOptions::default(),
                    None,
                )
                .unwrap();
                assert_eq!(store.object("k").unwrap(), bytes);
                // Progress counts bytes sent, so at the cancel at least one part was whole.
                assert!(out.resumed_parts >= 1);
                assert_eq!(store.parts_sent().len() as u32, 12 - out.resumed_parts);
            }
        }
    }
}

#[test]
fn resume_resends_parts_whose_bytes_changed_and_ignores_misfit_uploads() {
    let store = Fake::new(cfg());
    let mut bytes = data(4 * MIB + 10, 9);
    let f = file_with(&bytes);
    store.fault(Op::UploadPart(4), 3, FaultKind::Retryable);
    store.fault(Op::UploadPart(5), 3, FaultKind::Retryable);
    upload(
        &store,
        "k",
        UploadSource::File(f.path()),
        &UploadOptions::default(),
        None,
    )
    .unwrap_err();
    // Another upload of the same key with a different part size does not fit.
    let other = store.initiate("k", &ObjectAttrs::default()).unwrap();
    store
        .upload_part(
            "k",
            &other,
            1,
            &[1, 2, 3],
            None,
            None,
            &PartWatch::new(&Default::default(), &Default::default()),
        )
        .unwrap();
    store.clear_faults();
    store.reset_calls();
    // The local file changes inside part 2 before the second call.
    bytes[MIB + 5] ^= 0x55;
    let f = file_with(&bytes);
    let out = upload(
        &store,
        "k",
        UploadSource::File(f.path()),
        &UploadOptions::default(),
        None,
    )
    .unwrap();
    assert_eq!(store.object("k").unwrap(), bytes);
    let mut sent = store.parts_sent();
    sent.sort();
    assert!(
        sent.contains(&2),
        "changed part 2 must be re-sent: {sent:?}"
    );
    assert!(sent.contains(&5));
    assert!(!sent.contains(&1) && !sent.contains(&3), "{sent:?}");
    assert_eq!(out.resumed_parts, 5 - sent.len() as u32);
    // The misfit upload was left alone.
    assert_eq!(store.uploads(), 1);
}

#[test]
fn resume_false_starts_a_new_upload() {
    let store = Fake::new(cfg());
    let bytes = data(3 * MIB, 11);
    let f = file_with(&bytes);
    store.fault(Op::UploadPart(3), 3, FaultKind::Retryable);
    upload(
        &store,
        "k",
        UploadSource::File(f.path()),
        &UploadOptions::default(),
        None,
    )
    .unwrap_err();
    store.reset_calls();
    let opts = UploadOptions {
        resume: false,
        ..UploadOptions::default()
    };
    upload(&store, "k", UploadSource::File(f.path()), &opts, None).unwrap();
    assert_eq!(store.parts_sent().len(), 3);
    assert_eq!(store.count(|o| *o == Op::ListUploads), 0);
}

#[test]
fn a_file_changed_during_the_upload_is_refused() {
    let bytes = data(6 * MIB, 12);
    let f = file_with(&bytes);
    let path = f.path().to_path_buf();
    let mut store = Fake::new(TransferConfig {
        chunk_parallel_limit: 1,
        ..cfg()
    });
    store.on_part = Some(Box::new(move |n| {
        if n == 2 {
            let mut h = std::fs::OpenOptions::new()
                .append(true)
                .open(&path)
                .unwrap();
            h.write_all(b"more").unwrap();
        }
    }));
    let e = upload(
        &store,
        "k",
        UploadSource::File(f.path()),
        &UploadOptions::default(),
        None,
    )
    .unwrap_err();
    assert_eq!(e.status(), crate::Status::InvalidState, "{e}");
    assert!(e.to_string().contains("changed during the upload"), "{e}");
    assert!(store.object("k").is_none());
}

#[test]
fn content_md5_is_sent_when_asked() {
    let store = Fake::new(TransferConfig {
        upload_check_content_md5: true,
        ..cfg()
    });
    let bytes = data(2 * MIB + 1, 13);
    up_file(&store, "k", &bytes, &UploadOptions::default()).unwrap();
    let sent = store.md5_sent();
    assert_eq!(sent.len(), 3);
    assert!(sent.iter().all(|(_, md5)| *md5));
    let store = Fake::new(cfg());
    up_file(&store, "k", &bytes, &UploadOptions::default()).unwrap();
    assert!(store.md5_sent().iter().all(|(_, md5)| !*md5));
}

#[test]
fn meta_md5_is_the_md5_of_the_whole_file() {
    let store = Fake::new(TransferConfig {
        upload_add_meta_md5: true,
        ..cfg()
    });
    let bytes = data(2 * MIB + 1, 14);
    up_file(&store, "k", &bytes, &UploadOptions::default()).unwrap();
    use md5::Digest;
    let want = super::run::hex(&md5::Md5::digest(&bytes));
    let attrs = store.object_attrs("k").unwrap();
    assert!(attrs.meta.contains(&("md5".to_string(), want)), "{attrs:?}");
    let mut r = &bytes[..];
    let e = upload(
        &store,
        "s",
        UploadSource::Stream(&mut r),
        &UploadOptions::default(),
        None,
    )
    .unwrap_err();
    assert_eq!(e.status(), crate::Status::InvalidArgument);
}

#[test]
fn progress_is_monotonic_and_ends_at_the_total() {
    let store = Fake::new(cfg());
    let bytes = data(5 * MIB + 1, 15);
    let f = file_with(&bytes);
    let mut seen = Vec::new();
    let caller = std::thread::current().id();
    let mut cb = |p: &Progress| {
        assert_eq!(
            std::thread::current().id(),
            caller,
            "callback off the calling thread"
        );
        seen.push(*p);
        true
    };
    upload(
        &store,
        "k",
        UploadSource::File(f.path()),
        &UploadOptions::default(),
        Some(&mut cb),
    )
    .unwrap();
    assert!(seen.windows(2).all(|w| w[0].loaded <= w[1].loaded));
    let last = seen.last().unwrap();
    assert_eq!(last.loaded, bytes.len() as u64);
    assert_eq!(last.percent, 1.0);
}

#[test]
fn download_parallel_ranges_byte_for_byte() {
    let mut store = Fake::new(cfg());
    store.part_delay = Duration::from_millis(10);
    let bytes = data(7 * MIB + 3, 16);
    store.insert("obj", bytes.clone(), ObjectAttrs::default());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.bin");
    let mut last = None;
    let mut cb = |p: &Progress| {
        last = Some(*p);
        true
    };
    let out = download_file(
        &store,
        "obj",
        &path,
        &DownloadOptions::default(),
        Some(&mut cb),
    )
    .unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
    assert_eq!(out.ranges, 8);
    assert!(out.crc64_verified);
    assert_eq!(last.unwrap().loaded, bytes.len() as u64);
    assert!(store.max_in_flight.load(Ordering::SeqCst) >= 2);
    // Only the destination remains: the temporary file was renamed.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);

    let mut buf = vec![0u8; bytes.len() + 10];
    let out =
        download_to_buffer(&store, "obj", &mut buf, &DownloadOptions::default(), None).unwrap();
    assert_eq!(out.size, bytes.len() as u64);
    assert_eq!(&buf[..bytes.len()], &bytes[..]);
    let mut small = vec![0u8; 10];
    let e = download_to_buffer(&store, "obj", &mut small, &DownloadOptions::default(), None)
        .unwrap_err();
    assert!(matches!(e, Error::BufferTooSmall { needed, .. } if needed == bytes.len() as u64));
}

#[test]
fn small_and_empty_downloads_use_one_get() {
    let store = Fake::new(TransferConfig {
        slice_size: MIB as u64,
        ..cfg()
    });
    let dir = tempfile::tempdir().unwrap();
    for n in [0usize, 1, 1000] {
        let bytes = data(n, 17);
        store.insert("o", bytes.clone(), ObjectAttrs::default());
        store.reset_calls();
        let path = dir.path().join(format!("o{n}"));
        let out = download_file(&store, "o", &path, &DownloadOptions::default(), None).unwrap();
        assert_eq!(out.ranges, 1);
        assert_eq!(store.count(|o| *o == Op::Get), 1);
        assert_eq!(std::fs::read(&path).unwrap(), bytes);
    }
}

#[test]
fn a_corrupt_download_leaves_nothing_at_the_path() {
    let store = Fake::new(TransferConfig {
        chunk_retry_times: 0,
        ..cfg()
    });
    let bytes = data(3 * MIB, 18);
    store.insert("obj", bytes, ObjectAttrs::default());
    store.fault(Op::Get, 1, FaultKind::CorruptBody);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.bin");
    let e = download_file(&store, "obj", &path, &DownloadOptions::default(), None).unwrap_err();
    assert_eq!(e.status(), crate::Status::Integrity, "{e}");
    assert!(!path.exists());
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "temp file left behind"
    );
    // A failing range past its retries also leaves nothing when not resumable.
    store.fault(Op::Get, 5, FaultKind::Retryable);
    let no_resume = DownloadOptions {
        resume: false,
        ..DownloadOptions::default()
    };
    let e = download_file(&store, "obj", &path, &no_resume, None).unwrap_err();
    assert!(e.service().is_some(), "{e}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    let store = Fake::new(cfg());
    let bytes = data(3 * MIB, 19);
    store.insert("obj", bytes.clone(), ObjectAttrs::default());
    store.fault(Op::Get, 1, FaultKind::CorruptBody);
    // A corrupt range is only detectable in the combined CRC, so the whole download fails.
    let e = download_file(&store, "obj", &path, &DownloadOptions::default(), None).unwrap_err();
    assert_eq!(e.status(), crate::Status::Integrity);
    download_file(&store, "obj", &path, &DownloadOptions::default(), None).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
}

#[test]
fn download_cancel_leaves_nothing() {
    let mut store = Fake::new(TransferConfig {
        chunk_parallel_limit: 1,
        ..cfg()
    });
    store.part_delay = Duration::from_millis(20);
    store.insert("obj", data(6 * MIB, 20), ObjectAttrs::default());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.bin");
    let mut cb = |p: &Progress| p.loaded < MIB as u64;
    let opts = DownloadOptions {
        resume: false,
        ..DownloadOptions::default()
    };
    let e = download_file(&store, "obj", &path, &opts, Some(&mut cb)).unwrap_err();
    assert_eq!(e.status(), crate::Status::Cancelled);
    assert!(store.count(|o| *o == Op::Get) < 6);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn copy_below_and_above_the_copy_slice_size() {
    let store = Fake::new(TransferConfig {
        copy_slice_size: 2 * MIB as u64,
        copy_chunk_size: MIB as u64,
        copy_chunk_parallel_limit: 3,
        ..cfg()
    });
    let attrs = ObjectAttrs {
        content_type: Some("text/plain".into()),
        meta: vec![("a".into(), "1".into())],
        ..ObjectAttrs::default()
    };
    let small = data(MIB, 21);
    let big = data(5 * MIB + 17, 22);
    store.insert("small", small.clone(), attrs.clone());
    store.insert("big", big.clone(), attrs.clone());
    let src = |k: &str| CopySource {
        bucket: "b-1250000000".into(),
        region: "ap-guangzhou".into(),
        key: k.into(),
        version_id: None,
    };
    let out = slice_copy(
        &store,
        "small2",
        &src("small"),
        &CopyOptions::default(),
        None,
    )
    .unwrap();
    assert_eq!(out.parts, 0);
    assert_eq!(store.count(|o| *o == Op::Copy), 1);
    assert_eq!(store.object("small2").unwrap(), small);

    store.fault(Op::PartCopy(2), 1, FaultKind::Retryable);
    let out = slice_copy(&store, "big2", &src("big"), &CopyOptions::default(), None).unwrap();
    assert_eq!(out.parts, 6);
    assert_eq!(out.crc64, Some(crate::crc64::checksum(&big)));
    assert_eq!(store.object("big2").unwrap(), big);
    assert_eq!(
        store.object_attrs("big2").unwrap(),
        attrs,
        "metadata carried over"
    );
    assert_eq!(store.count(|o| matches!(o, Op::PartCopy(_))), 7);
}

#[test]
fn a_complete_whose_answer_was_lost_is_recognised() {
    let store = Fake::new(cfg());
    let bytes = data(3 * MIB + 1, 23);
    store.fault(Op::Complete, 1, FaultKind::LostAnswer);
    let out = up_file(&store, "k", &bytes, &UploadOptions::default()).unwrap();
    assert_eq!(store.count(|o| *o == Op::Complete), 2);
    assert_eq!(out.crc64, crate::crc64::checksum(&bytes));
    assert_eq!(store.object("k").unwrap(), bytes);
}

#[test]
fn the_traffic_limit_is_shared_by_the_parts_in_flight() {
    let mut store = Fake::new(TransferConfig {
        chunk_parallel_limit: 4,
        ..cfg()
    });
    store.part_delay = Duration::from_millis(10);
    let bytes = data(6 * MIB, 24);
    let opts = UploadOptions {
        traffic_limit: Some(8_192_000),
        ..UploadOptions::default()
    };
    up_file(&store, "k", &bytes, &opts).unwrap();
    let limits = store.traffic_limits();
    assert_eq!(limits.len(), 6);
    assert!(limits.iter().all(|l| *l == Some(2_048_000)), "{limits:?}");
    assert!(store.max_in_flight.load(Ordering::SeqCst) <= 4);
    // A budget too small for four shares at COS's minimum runs fewer parts at once.
    let mut store = Fake::new(TransferConfig {
        chunk_parallel_limit: 4,
        ..cfg()
    });
    store.part_delay = Duration::from_millis(10);
    let opts = UploadOptions {
        traffic_limit: Some(1_000_000),
        ..UploadOptions::default()
    };
    up_file(&store, "k", &bytes, &opts).unwrap();
    assert!(store.traffic_limits().iter().all(|l| *l == Some(1_000_000)));
    assert_eq!(store.max_in_flight.load(Ordering::SeqCst), 1);
}

fn names_in(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn an_interrupted_download_resumes_with_only_the_missing_ranges() {
    let store = Fake::new(TransferConfig {
        chunk_parallel_limit: 2,
        chunk_retry_times: 0,
        ..cfg()
    });
    let bytes = data(8 * MIB + 5, 25);
    store.insert("obj", bytes.clone(), ObjectAttrs::default());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.bin");
    // The 5th GET fails: the download stops; its temporary file and journal stay.
    store.fault_nth(Op::Get, 5, FaultKind::Retryable);
    let e = download_file(&store, "obj", &path, &DownloadOptions::default(), None).unwrap_err();
    assert!(e.service().is_some(), "{e}");
    assert!(!path.exists());
    assert_eq!(
        names_in(dir.path()),
        [".out.bin.qcos-download", ".out.bin.qcos-download.journal"]
    );
    assert!(
        store.count(|o| *o == Op::Get) < 9,
        "the failure did not stop the download"
    );
    // Damage the first range on disk: it must be fetched again.
    {
        use std::os::unix::fs::FileExt;
        let tmp = dir.path().join(".out.bin.qcos-download");
        let f = std::fs::OpenOptions::new().write(true).open(tmp).unwrap();
        f.write_all_at(&[0xAA; 10], 3).unwrap();
    }
    store.reset_calls();
    let mut first = None;
    let mut cb = |p: &Progress| {
        first.get_or_insert(*p);
        true
    };
    let out = download_file(
        &store,
        "obj",
        &path,
        &DownloadOptions::default(),
        Some(&mut cb),
    )
    .unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
    let gets = store.count(|o| *o == Op::Get) as u32;
    assert_eq!(out.ranges, 9);
    assert!(out.resumed_ranges >= 2, "{out:?}");
    assert_eq!(
        gets + out.resumed_ranges,
        9,
        "only missing ranges are fetched"
    );
    // Progress starts from the resumed bytes.
    assert_eq!(
        first.unwrap().loaded,
        out.resumed_ranges as u64 * MIB as u64
    );
    assert_eq!(names_in(dir.path()), ["out.bin"]);
}

#[test]
fn a_changed_object_restarts_the_download() {
    let store = Fake::new(TransferConfig {
        chunk_retry_times: 0,
        chunk_parallel_limit: 1,
        ..cfg()
    });
    store.insert("obj", data(4 * MIB, 26), ObjectAttrs::default());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.bin");
    store.fault_nth(Op::Get, 3, FaultKind::Retryable);
    download_file(&store, "obj", &path, &DownloadOptions::default(), None).unwrap_err();
    let bytes = data(4 * MIB, 27);
    store.insert("obj", bytes.clone(), ObjectAttrs::default());
    store.reset_calls();
    let out = download_file(&store, "obj", &path, &DownloadOptions::default(), None).unwrap();
    assert_eq!(out.resumed_ranges, 0);
    assert_eq!(store.count(|o| *o == Op::Get), 4);
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
    assert_eq!(names_in(dir.path()), ["out.bin"]);
}

#[test]
fn bad_sources_are_refused_clearly() {
    let store = Fake::new(cfg());
    let dir = tempfile::tempdir().unwrap();
    let e = upload(
        &store,
        "k",
        UploadSource::File(dir.path()),
        &UploadOptions::default(),
        None,
    )
    .unwrap_err();
    assert_eq!(e.status(), crate::Status::InvalidArgument);
    assert!(e.to_string().contains("not a regular file"), "{e}");
    let missing = dir.path().join("missing");
    let e = upload(
        &store,
        "k",
        UploadSource::File(&missing),
        &UploadOptions::default(),
        None,
    )
    .unwrap_err();
    assert_eq!(e.status(), crate::Status::Io);
    assert!(e.to_string().contains("missing"), "{e}");
    assert_eq!(store.count(|_| true), 0, "nothing was sent");
}

#[test]
fn a_stream_grows_its_part_size_as_it_goes() {
    let store = Fake::new(TransferConfig {
        chunk_parallel_limit: 2,
        ..cfg()
    });
    let bytes = data(12 * MIB + 3, 28);
    let mut r = &bytes[..];
    let opts = UploadOptions {
        stream_every: 2, // double every 2 parts instead of every 1000
        ..UploadOptions::default()
    };
    let out = upload(&store, "s", UploadSource::Stream(&mut r), &opts, None).unwrap();
    assert_eq!(store.object("s").unwrap(), bytes);
    let sizes: Vec<usize> = store.part_sizes().into_iter().map(|(_, n)| n).collect();
    assert_eq!(sizes, [MIB, MIB, 2 * MIB, 2 * MIB, 4 * MIB, 2 * MIB + 3]);
    assert_eq!(out.parts, 6);
    // At most parallel + 1 buffers ever existed (each grown in place as parts grow).
    assert!(
        store.distinct_part_buffers() <= 3 + 3,
        "{}",
        store.distinct_part_buffers()
    );
}

#[test]
fn progress_moves_within_a_part_and_cancel_stops_parts_mid_body() {
    let mut store = Fake::new(TransferConfig {
        chunk_size: 4 * MIB as u64,
        chunk_parallel_limit: 2,
        ..cfg()
    });
    // Each 256 KiB piece of a part takes 25 ms to "send".
    store.part_delay = Duration::from_millis(100);
    let bytes = data(16 * MIB, 29);
    let f = file_with(&bytes);
    let mut seen = Vec::new();
    let mut cb = |p: &Progress| {
        seen.push(p.loaded);
        p.loaded < MIB as u64
    };
    let e = upload(
        &store,
        "k",
        UploadSource::File(f.path()),
        &UploadOptions::default(),
        Some(&mut cb),
    )
    .unwrap_err();
    assert_eq!(e.status(), crate::Status::Cancelled, "{e}");
    // Bytes were reported while the first parts were still going out...
    assert!(
        seen.iter().any(|l| *l > 0 && l % (4 * MIB as u64) != 0),
        "{seen:?}"
    );
    // ...and the parts in flight stopped mid-body: none of them completed.
    let id = store.list_uploads("k").unwrap()[0].upload_id.clone();
    assert!(store.list_parts("k", &id).unwrap().is_empty());
    assert_eq!(store.parts_sent().len(), 2);
}

#[test]
fn a_cancelled_download_resumes() {
    let mut store = Fake::new(TransferConfig {
        chunk_parallel_limit: 1,
        ..cfg()
    });
    store.part_delay = Duration::from_millis(10);
    let bytes = data(6 * MIB + 1, 31);
    store.insert("obj", bytes.clone(), ObjectAttrs::default());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.bin");
    let mut cb = |p: &Progress| p.loaded < 2 * MIB as u64;
    let e = download_file(
        &store,
        "obj",
        &path,
        &DownloadOptions::default(),
        Some(&mut cb),
    )
    .unwrap_err();
    assert_eq!(e.status(), crate::Status::Cancelled, "{e}");
    assert!(!path.exists());
    assert_eq!(
        names_in(dir.path()),
        [".out.bin.qcos-download", ".out.bin.qcos-download.journal"]
    );
    store.reset_calls();
    let out = download_file(&store, "obj", &path, &DownloadOptions::default(), None).unwrap();
    assert!(out.resumed_ranges >= 2, "{out:?}");
    assert_eq!(
        store.count(|o| *o == Op::Get) as u32 + out.resumed_ranges,
        7
    );
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
    assert_eq!(names_in(dir.path()), ["out.bin"]);
}

#[test]
fn a_source_larger_than_cos_allows_is_refused_before_anything_is_sent() {
    let store = Fake::new(cfg());
    let mut r = std::io::empty();
    let e = upload(
        &store,
        "k",
        UploadSource::Reader {
            reader: &mut r,
            len: MAX_PARTS * MAX_PART_SIZE + 1,
        },
        &UploadOptions::default(),
        None,
    )
    .unwrap_err();
    assert_eq!(e.status(), crate::Status::InvalidArgument, "{e}");
    assert_eq!(store.count(|_| true), 0);
}

#[test]
fn transfers_share_a_larger_pool_and_keep_their_own_parallel_limit() {
    use std::sync::{Arc, Mutex};
    // One pool of 8 threads, as a client's, shared by an upload and a download at once,
    // each limited to 2 parts in flight.
    let pool = Arc::new(
        rayon::ThreadPoolBuilder::new()
            .num_threads(8)
            .thread_name(|i| format!("shared-{i}"))
            .build()
            .unwrap(),
    );
    let two = TransferConfig {
        chunk_parallel_limit: 2,
        ..cfg()
    };
    let seen = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut up = Fake::new(two.clone());
    up.pool = Some(pool.clone());
    up.part_delay = Duration::from_millis(20);
    let names = seen.clone();
    up.on_part = Some(Box::new(move |_| {
        let name = std::thread::current().name().unwrap_or("").to_string();
        names.lock().unwrap().push(name);
    }));
    let mut down = Fake::new(two);
    down.pool = Some(pool.clone());
    down.part_delay = Duration::from_millis(20);
    let stored = data(10 * MIB + 3, 7);
    down.insert("obj", stored.clone(), ObjectAttrs::default());
    let bytes = data(10 * MIB + 5, 8);
    let mut buf = vec![0u8; stored.len()];
    std::thread::scope(|s| {
        let a = s.spawn(|| up_file(&up, "k", &bytes, &UploadOptions::default()));
        let b = s.spawn(|| {
            download_to_buffer(&down, "obj", &mut buf, &DownloadOptions::default(), None)
        });
        assert_eq!(a.join().unwrap().unwrap().parts, 11);
        b.join().unwrap().unwrap();
    });
    assert_eq!(up.object("k").unwrap(), bytes);
    assert_eq!(buf, stored);
    for (what, store) in [("upload", &up), ("download", &down)] {
        let max = store.max_in_flight.load(Ordering::SeqCst);
        assert!((1..=2).contains(&max), "{what}: {max} parts in flight");
    }
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 11);
    assert!(
        seen.iter().all(|n| n.starts_with("shared-")),
        "parts ran off the store's pool: {seen:?}"
    );
}

#[test]
fn a_client_runs_parts_on_its_own_named_pool() {
    let mut c = crate::Config::new("ap-guangzhou", "b-1250000000");
    c.chunk_parallel_limit = 2;
    c.file_parallel_limit = 3;
    c.copy_chunk_parallel_limit = 4;
    let client = crate::Client::new(c).unwrap();
    assert_eq!(client.worker_threads(), 6);
    let pool = MultipartStore::pool(&client).expect("the client has a pool");
    assert_eq!(pool.current_num_threads(), 6);
    let mut names = pool.broadcast(|_| std::thread::current().name().unwrap().to_string());
    names.sort();
    assert_eq!(
        names,
        (0..6)
            .map(|i| format!("qcos-worker-{i}"))
            .collect::<Vec<_>>()
    );
    // Built once, shared by clones.
    let clone = client.clone();
    let again = MultipartStore::pool(&clone).unwrap();
    assert!(std::ptr::eq(pool, again));
}

fn copy_src(k: &str) -> CopySource {
    CopySource {
        bucket: "b-1250000000".into(),
        region: "ap-guangzhou".into(),
        key: k.into(),
        version_id: None,
    }
}

/// A multipart copy cancelled midway keeps its upload; `slice_copy_resume` continues it
/// without copying the parts the service has again.
#[test]
fn a_cancelled_multipart_copy_resumes_without_copying_parts_again() {
    let mut store = Fake::new(TransferConfig {
        copy_slice_size: MIB as u64,
        copy_chunk_size: MIB as u64,
        copy_chunk_parallel_limit: 2,
        ..cfg()
    });
    store.part_delay = Duration::from_millis(10);
    let bytes = data(8 * MIB + 99, 31);
    store.insert("src", bytes.clone(), ObjectAttrs::default());
    let etag = MultipartStore::head(&store, "src").unwrap().etag;
    let mut cb = |p: &Progress| p.loaded < 2 * MIB as u64;
    let e = slice_copy(
        &store,
        "dst",
        &copy_src("src"),
        &CopyOptions::default(),
        Some(&mut cb),
    )
    .unwrap_err();
    assert_eq!(e.status(), crate::Status::Cancelled, "{e}");
    let uploads = MultipartStore::list_uploads(&store, "dst").unwrap();
    assert_eq!(uploads.len(), 1, "the upload is kept");
    let uid = uploads[0].upload_id.clone();
    assert!(e.to_string().contains(&uid), "{e}");
    let kept = MultipartStore::list_parts(&store, "dst", &uid)
        .unwrap()
        .len();
    assert!(
        (2..9).contains(&kept),
        "{kept} parts copied before the cancel"
    );
    store.reset_calls();
    let mut first_report = None;
    let mut cb = |p: &Progress| {
        first_report.get_or_insert(p.loaded);
        true
    };
    let resume = CopyResume {
        upload_id: uid.clone(),
        source_etag: etag,
    };
    let out = slice_copy_resume(
        &store,
        "dst",
        &copy_src("src"),
        &CopyOptions::default(),
        Some(&resume),
        Some(&mut cb),
    )
    .unwrap();
    assert_eq!(out.upload_id.as_deref(), Some(uid.as_str()));
    assert_eq!((out.parts, out.resumed_parts), (9, kept as u32));
    assert_eq!(
        store.count(|o| matches!(o, Op::PartCopy(_))),
        9 - kept,
        "parts the service had were copied again"
    );
    assert_eq!(store.count(|o| *o == Op::Initiate), 0);
    // The kept parts count as done from the first report.
    assert_eq!(first_report, Some(kept as u64 * MIB as u64));
    assert_eq!(store.object("dst").unwrap(), bytes);
    assert_eq!(out.crc64, Some(crate::crc64::checksum(&bytes)));
    assert_eq!(store.uploads(), 0);
}

/// A resume whose source changed (another ETag) aborts the stale upload and copies
/// everything again; one whose upload is gone starts a new one.
#[test]
fn a_copy_resume_of_a_changed_source_or_a_gone_upload_starts_over() {
    let store = Fake::new(TransferConfig {
        copy_slice_size: MIB as u64,
        copy_chunk_size: MIB as u64,
        ..cfg()
    });
    let old = data(3 * MIB, 32);
    store.insert("src", old.clone(), ObjectAttrs::default());
    let old_etag = MultipartStore::head(&store, "src").unwrap().etag;
    let uid = MultipartStore::initiate(&store, "dst", &ObjectAttrs::default()).unwrap();
    MultipartStore::upload_part_copy(
        &store,
        "dst",
        &uid,
        1,
        &copy_src("src"),
        (0, MIB as u64 - 1),
    )
    .unwrap();
    let new = data(3 * MIB, 33);
    store.insert("src", new.clone(), ObjectAttrs::default());
    store.reset_calls();
    let resume = CopyResume {
        upload_id: uid.clone(),
        source_etag: old_etag,
    };
    let out = slice_copy_resume(
        &store,
        "dst",
        &copy_src("src"),
        &CopyOptions::default(),
        Some(&resume),
        None,
    )
    .unwrap();
    assert_eq!(out.resumed_parts, 0);
    assert_ne!(out.upload_id.as_deref(), Some(uid.as_str()));
    assert_eq!(
        store.count(|o| *o == Op::Abort),
        1,
        "the stale upload is aborted"
    );
    assert_eq!(store.count(|o| matches!(o, Op::PartCopy(_))), 3);
    assert_eq!(store.object("dst").unwrap(), new);
    assert_eq!(store.uploads(), 0);
    // An upload the service no longer has: a new one, nothing aborted.
    store.reset_calls();
    let etag = MultipartStore::head(&store, "src").unwrap().etag;
    let gone = CopyResume {
        upload_id: "no-such-upload".into(),
        source_etag: etag,
    };
    let out = slice_copy_resume(
        &store,
        "dst2",
        &copy_src("src"),
        &CopyOptions::default(),
        Some(&gone),
        None,
    )
    .unwrap();
    assert_eq!((out.parts, out.resumed_parts), (3, 0));
    assert_eq!(store.count(|o| *o == Op::Initiate), 1);
    assert_eq!(store.count(|o| *o == Op::Abort), 0);
    assert_eq!(store.object("dst2").unwrap(), new);
}

/// The ACL and tags of an upload reach the object through Initiate (multipart) or the
/// single PUT; a copy sets its own ACL and keeps (multipart: reads and re-sets on
/// Initiate) or replaces the source's tags.
#[test]
fn acl_and_tags_reach_initiate_put_and_copies() {
    use crate::client::{CannedAcl, ObjectAcl};
    let store = Fake::new(TransferConfig {
        slice_size: MIB as u64,
        copy_slice_size: 2 * MIB as u64,
        copy_chunk_size: MIB as u64,
        ..cfg()
    });
    let acl = ObjectAcl {
        canned: Some(CannedAcl::Private),
        grant_read: vec!["100000000002".into()],
        ..Default::default()
    };
    let tags = vec![("k".to_string(), "v".to_string())];
    let opts = UploadOptions {
        attrs: ObjectAttrs {
            acl: acl.clone(),
            tagging: tags.clone(),
            ..ObjectAttrs::default()
        },
        ..UploadOptions::default()
    };
    for (key, len) in [("multi", 3 * MIB + 1), ("single", 10)] {
        let bytes = data(len, 7);
        let mut r = &bytes[..];
        upload(
            &store,
            key,
            UploadSource::Reader {
                reader: &mut r,
                len: len as u64,
            },
            &opts,
            None,
        )
        .unwrap();
        let a = store.object_attrs(key).unwrap();
        assert_eq!((a.acl, a.tagging), (acl.clone(), tags.clone()), "{key}");
    }
    let src = |k: &str| CopySource {
        bucket: "b-1250000000".into(),
        region: "ap-guangzhou".into(),
        key: k.into(),
        version_id: None,
    };
    let public = ObjectAcl {
        canned: Some(CannedAcl::PublicRead),
        ..Default::default()
    };
    let replaced = vec![("new".to_string(), "tag".to_string())];
    for (from, to) in [("multi", "multi-copy"), ("single", "single-copy")] {
        // Tags kept, ACL the copy's own.
        slice_copy(
            &store,
            to,
            &src(from),
            &CopyOptions {
                acl: public.clone(),
                ..CopyOptions::default()
            },
            None,
        )
        .unwrap();
        let a = store.object_attrs(to).unwrap();
        assert_eq!((a.acl, a.tagging), (public.clone(), tags.clone()), "{to}");
        // Tags replaced, no ACL.
        slice_copy(
            &store,
            to,
            &src(from),
            &CopyOptions {
                tagging: Some(replaced.clone()),
                ..CopyOptions::default()
            },
            None,
        )
        .unwrap();
        let a = store.object_attrs(to).unwrap();
        assert_eq!(
            (a.acl, a.tagging),
            (ObjectAcl::default(), replaced.clone()),
            "{to}"
        );
    }
    // The multipart upload and the two multipart copies went through Initiate (Upload
    // Part takes no attributes at all); the small ones did not.
    assert_eq!(store.count(|o| *o == Op::Initiate), 3);
}
