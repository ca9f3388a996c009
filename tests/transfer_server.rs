//! The transfer engine through the real client against qcos-server on loopback: sizes
//! around the part boundaries, parallel parts, resume after a part that failed past its
//! retries, cancel with both leftover choices, injected CRC mismatches, streams, ranged
//! parallel downloads and copies.

use std::io::Write;
use std::time::{Duration, Instant};

use qcos::auth::Credentials;
use qcos::transfer::{
    CopyOptions, CopySource, DownloadOptions, Leftover, Progress, UploadOptions, UploadSource,
};
use qcos::{Client, Config, Error, GetObjectOptions, Status};
use qcos_server::{
    FaultAction, FaultRule, RunningServer, Server, ServerConfig, TEST_SECRET_ID, TEST_SECRET_KEY,
};

const MIB: usize = 1 << 20;
const BUCKET: &str = "transfer-1250000000";

struct Env {
    server: RunningServer,
    dir: tempfile::TempDir,
}

fn start() -> Env {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Server::start(ServerConfig::new(dir.path().join("data"))).expect("server");
    Env { server, dir }
}

impl Env {
    fn config(&self) -> Config {
        let mut c = Config::new("ap-guangzhou", BUCKET);
        c.endpoint = Some(self.server.endpoint());
        c.credentials = Some(Credentials::new(TEST_SECRET_ID, TEST_SECRET_KEY));
        c.retry_base_delay_ms = 5;
        c.max_retries = 0;
        c.chunk_size = MIB as u64;
        c.slice_size = MIB as u64;
        c.chunk_parallel_limit = 3;
        c.chunk_retry_times = 1;
        c.progress_interval_ms = 0;
        c
    }

    fn client_with(&self, tweak: impl FnOnce(&mut Config)) -> Client {
        let mut cfg = self.config();
        tweak(&mut cfg);
        let c = Client::new(cfg).expect("client");
        if c.head_bucket().is_err() {
            c.create_bucket().expect("create bucket");
        }
        c
    }

    fn client(&self) -> Client {
        self.client_with(|_| {})
    }

    fn file(&self, name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let p = self.dir.path().join(name);
        let mut f = std::fs::File::create(&p).unwrap();
        f.write_all(bytes).unwrap();
        p
    }

    fn ops(&self, op: &str) -> u64 {
        self.server.stats().get(op)
    }
}

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

fn get(c: &Client, key: &str) -> Vec<u8> {
    let mut out = Vec::new();
    c.get_object(key, &GetObjectOptions::default(), &mut out)
        .expect("get");
    out
}

fn multipart_opts() -> UploadOptions {
    UploadOptions {
        slice_size: Some(0),
        ..UploadOptions::default()
    }
}

#[test]
fn upload_sizes_around_the_part_boundaries() {
    let env = start();
    let c = env.client();
    for (i, n) in [0, 1, MIB, MIB + 1, 5 * MIB + 4321].into_iter().enumerate() {
        let bytes = data(n, i as u32);
        let path = env.file(&format!("f{i}"), &bytes);
        let key = format!("sizes/{n}");
        let before = env.ops("upload_part");
        let out = c
            .upload_file(&key, UploadSource::File(&path), &multipart_opts(), None)
            .unwrap();
        assert_eq!(get(&c, &key), bytes, "size {n}");
        assert_eq!(out.size, n as u64);
        assert_eq!(out.crc64, qcos::crc64::checksum(&bytes));
        assert!(out.crc64_verified, "the server sends CRC-64");
        let parts = n.div_ceil(MIB) as u64;
        assert_eq!(out.parts as u64, parts, "size {n}");
        assert_eq!(env.ops("upload_part") - before, parts, "size {n}");
    }
    // Below slice_size: one PUT.
    let bytes = data(1000, 9);
    let path = env.file("small", &bytes);
    let puts = env.ops("put_object");
    let out = c
        .upload_file(
            "small",
            UploadSource::File(&path),
            &UploadOptions::default(),
            None,
        )
        .unwrap();
    assert_eq!(out.parts, 0);
    assert_eq!(env.ops("put_object") - puts, 1);
    assert_eq!(get(&c, "small"), bytes);
    assert!(c.list_multipart_uploads("").unwrap().is_empty());
}

#[test]
fn parts_go_up_in_parallel() {
    let env = start();
    let c = env.client();
    let bytes = data(6 * MIB, 1);
    let path = env.file("p", &bytes);
    // Every part waits 400 ms at the server: one at a time would take at least 2.4 s.
    env.server.faults().add(
        FaultRule::new(FaultAction::Stall(Duration::from_millis(400)))
            .method("PUT")
            .query_contains("partNumber")
            .times(0),
    );
    let t = Instant::now();
    let out = c
        .upload_file(
            "p",
            UploadSource::File(&path),
            &UploadOptions::default(),
            None,
        )
        .unwrap();
    let took = t.elapsed();
    assert_eq!(out.parts, 6);
    assert!(
        took < Duration::from_millis(2400),
        "parts were not parallel: {took:?}"
    );
    assert_eq!(get(&c, "p"), bytes);
}

#[test]
fn resume_after_a_part_fails_past_its_retries_sends_only_missing_parts() {
    let env = start();
    let c = env.client_with(|c| c.chunk_parallel_limit = 2);
    let bytes = data(10 * MIB + 77, 2);
    let path = env.file("r", &bytes);
    env.server.faults().add(
        FaultRule::new(FaultAction::Status {
            http_status: 503,
            code: "ServiceUnavailable".into(),
            message: "injected".into(),
        })
        .method("PUT")
        .query_contains("partNumber=7")
        .times(0),
    );
    let e = c
        .upload_file(
            "r",
            UploadSource::File(&path),
            &UploadOptions::default(),
            None,
        )
        .unwrap_err();
    assert_eq!(e.status(), Status::Service, "{e}");
    assert_eq!(
        env.server.faults().fired(0),
        2,
        "1 attempt + chunk_retry_times 1"
    );
    let uploads = c.list_multipart_uploads("r").unwrap();
    assert_eq!(uploads.len(), 1, "the upload is kept for resume");
    let first = c.list_parts("r", &uploads[0].upload_id).unwrap();
    // Part 7 starts only once a slot frees, so parts 1-5 are stored; part 6 may have
    // been stopped mid-body when part 7's failure ended the call.
    assert!(
        (1..=5).all(|n| first.iter().any(|p| p.part_number == n))
            && !first.iter().any(|p| p.part_number == 7),
        "{first:?}"
    );

    env.server.faults().clear();
    let before = env.ops("upload_part");
    let out = c
        .upload_file(
            "r",
            UploadSource::File(&path),
            &UploadOptions::default(),
            None,
        )
        .unwrap();
    let sent = env.ops("upload_part") - before;
    assert_eq!(out.parts, 11);
    assert_eq!(out.resumed_parts as usize, first.len());
    assert_eq!(
        sent,
        11 - first.len() as u64,
        "only the missing parts are sent"
    );
    assert_eq!(
        out.upload_id.as_deref(),
        Some(uploads[0].upload_id.as_str())
    );
    assert_eq!(get(&c, "r"), bytes);
    assert!(c.list_multipart_uploads("r").unwrap().is_empty());
}

#[test]
fn cancel_with_both_leftover_choices() {
    let env = start();
    let c = env.client_with(|c| c.chunk_parallel_limit = 2);
    let bytes = data(8 * MIB, 3);
    let path = env.file("c", &bytes);
    for (key, choice) in [
        ("keep", Leftover::KeepForResume),
        ("abort", Leftover::Abort),
    ] {
        let caller = std::thread::current().id();
        let mut cb = |p: &Progress| {
            assert_eq!(std::thread::current().id(), caller);
            p.loaded < 2 * MIB as u64
        };
        let opts = UploadOptions {
            on_cancel: choice,
            ..UploadOptions::default()
        };
        let e = c
            .upload_file(key, UploadSource::File(&path), &opts, Some(&mut cb))
            .unwrap_err();
        assert!(matches!(e, Error::Cancelled(_)), "{e}");
        let left = c.list_multipart_uploads(key).unwrap();
        match choice {
            Leftover::KeepForResume => {
                assert_eq!(left.len(), 1);
                let parts = c.list_parts(key, &left[0].upload_id).unwrap();
                assert!(parts.len() < 8, "cancel did not stop the upload");
            }
            Leftover::Abort => assert!(left.is_empty(), "{left:?}"),
        }
        assert!(c.head_object(key, &GetObjectOptions::default()).is_err());
    }
    // The kept one resumes.
    let out = c
        .upload_file(
            "keep",
            UploadSource::File(&path),
            &UploadOptions::default(),
            None,
        )
        .unwrap();
    // Progress counts bytes sent: at the cancel at least one part had gone out whole.
    assert!(out.resumed_parts >= 1);
    assert_eq!(get(&c, "keep"), bytes);
}

#[test]
fn an_injected_crc_mismatch_is_an_integrity_error() {
    let env = start();
    let c = env.client();
    let bytes = data(3 * MIB, 4);
    let path = env.file("x", &bytes);
    env.server.faults().add(
        FaultRule::new(FaultAction::WrongCrc64)
            .method("PUT")
            .query_contains("partNumber=2")
            .times(0),
    );
    let e = c
        .upload_file(
            "x",
            UploadSource::File(&path),
            &UploadOptions::default(),
            None,
        )
        .unwrap_err();
    assert_eq!(e.status(), Status::Integrity, "{e}");
    env.server.faults().clear();
    // On Complete: the object exists but the call does not report success.
    env.server.faults().add(
        FaultRule::new(FaultAction::WrongCrc64)
            .method("POST")
            .query_contains("uploadId")
            .times(0),
    );
    let e = c
        .upload_file(
            "y",
            UploadSource::File(&path),
            &UploadOptions::default(),
            None,
        )
        .unwrap_err();
    assert_eq!(e.status(), Status::Integrity, "{e}");
    env.server.faults().clear();
    // On a single PUT.
    env.server.faults().add(
        FaultRule::new(FaultAction::WrongCrc64)
            .method("PUT")
            .times(0),
    );
    let small = env.file("s", &data(100, 5));
    let e = c
        .upload_file(
            "z",
            UploadSource::File(&small),
            &UploadOptions::default(),
            None,
        )
        .unwrap_err();
    assert_eq!(e.status(), Status::Integrity, "{e}");
}

#[test]
fn streaming_upload_of_unknown_length() {
    let env = start();
    let c = env.client();
    for (i, n) in [0usize, 10, 3 * MIB + 5].into_iter().enumerate() {
        let bytes = data(n, 10 + i as u32);
        let mut r = &bytes[..];
        let key = format!("stream/{n}");
        let out = c
            .upload_file(
                &key,
                UploadSource::Stream(&mut r),
                &UploadOptions::default(),
                None,
            )
            .unwrap();
        assert_eq!(out.size, n as u64);
        assert_eq!(get(&c, &key), bytes);
        assert_eq!(
            out.parts as usize,
            if n <= MIB { 0 } else { n.div_ceil(MIB) }
        );
    }
    // A reader of known length.
    let bytes = data(2 * MIB + 3, 20);
    let mut r = &bytes[..];
    let out = c
        .upload_file(
            "reader",
            UploadSource::Reader {
                reader: &mut r,
                len: bytes.len() as u64,
            },
            &UploadOptions::default(),
            None,
        )
        .unwrap();
    assert_eq!(out.parts, 3);
    assert_eq!(get(&c, "reader"), bytes);
}

#[test]
fn ranged_parallel_download_matches_byte_for_byte() {
    let env = start();
    let c = env.client();
    let bytes = data(7 * MIB + 123, 6);
    let src = env.file("src", &bytes);
    c.upload_file(
        "d",
        UploadSource::File(&src),
        &UploadOptions::default(),
        None,
    )
    .unwrap();
    let gets = env.ops("get_object");
    let dest = env.dir.path().join("out/dest.bin");
    std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
    let mut last = None;
    let mut cb = |p: &Progress| {
        last = Some(*p);
        true
    };
    let out = c
        .download_file("d", &dest, &DownloadOptions::default(), Some(&mut cb))
        .unwrap();
    assert_eq!(std::fs::read(&dest).unwrap(), bytes);
    assert_eq!(out.ranges, 8);
    assert!(out.crc64_verified);
    assert_eq!(env.ops("get_object") - gets, 8);
    assert_eq!(last.unwrap().loaded, bytes.len() as u64);
    assert_eq!(
        std::fs::read_dir(dest.parent().unwrap()).unwrap().count(),
        1
    );

    let mut buf = vec![0u8; bytes.len()];
    let out = c
        .download_to_buffer("d", &mut buf, &DownloadOptions::default(), None)
        .unwrap();
    assert_eq!(out.size as usize, bytes.len());
    assert_eq!(buf, bytes);

    // Ranges cut short past their retries: an error, nothing at the destination, and
    // the next call fetches only the ranges still missing.
    let dest2 = env.dir.path().join("out/dest2.bin");
    env.server.faults().add(
        FaultRule::new(FaultAction::TruncatedBody)
            .method("GET")
            .nth(4)
            .times(0),
    );
    let e = c
        .download_file("d", &dest2, &DownloadOptions::default(), None)
        .unwrap_err();
    assert_ne!(e.status(), Status::Ok);
    assert!(!dest2.exists());
    let journal = env.dir.path().join("out/.dest2.bin.qcos-download.journal");
    assert!(
        journal.exists(),
        "the interrupted download is kept for resume"
    );
    env.server.faults().clear();
    let gets = env.ops("get_object");
    let out = c
        .download_file("d", &dest2, &DownloadOptions::default(), None)
        .unwrap();
    assert!(out.resumed_ranges >= 1, "{out:?}");
    assert_eq!(env.ops("get_object") - gets, 8 - out.resumed_ranges as u64);
    assert_eq!(std::fs::read(&dest2).unwrap(), bytes);
    assert!(!journal.exists());
    assert_eq!(
        std::fs::read_dir(dest.parent().unwrap()).unwrap().count(),
        2
    );
}

#[test]
fn copy_below_and_above_copy_slice_size() {
    let env = start();
    let c = env.client_with(|c| {
        c.copy_slice_size = 2 * MIB as u64;
        c.copy_chunk_size = MIB as u64;
        c.copy_chunk_parallel_limit = 3;
    });
    let small = data(MIB, 7);
    let big = data(5 * MIB + 11, 8);
    let opts = UploadOptions {
        attrs: qcos::transfer::ObjectAttrs {
            content_type: Some("text/plain".into()),
            meta: vec![("origin".into(), "test".into())],
            ..Default::default()
        },
        ..UploadOptions::default()
    };
    c.upload_file(
        "small",
        UploadSource::File(&env.file("s", &small)),
        &opts,
        None,
    )
    .unwrap();
    c.upload_file("big", UploadSource::File(&env.file("b", &big)), &opts, None)
        .unwrap();
    let src = |k: &str| CopySource {
        bucket: BUCKET.into(),
        region: "ap-guangzhou".into(),
        key: k.into(),
        version_id: None,
    };
    let copies = env.ops("copy_object");
    let out = c
        .slice_copy("small2", &src("small"), &CopyOptions::default(), None)
        .unwrap();
    assert_eq!(out.parts, 0);
    assert_eq!(env.ops("copy_object") - copies, 1);
    assert_eq!(get(&c, "small2"), small);

    let part_copies = env.ops("upload_part_copy");
    let out = c
        .slice_copy("big2", &src("big"), &CopyOptions::default(), None)
        .unwrap();
    assert_eq!(out.parts, 6);
    assert_eq!(env.ops("upload_part_copy") - part_copies, 6);
    assert_eq!(get(&c, "big2"), big);
    let info = c.head_object("big2", &GetObjectOptions::default()).unwrap();
    assert_eq!(info.content_type, "text/plain");
    assert!(
        info.meta.contains(&("origin".into(), "test".into())),
        "{:?}",
        info.meta
    );
    assert_eq!(info.crc64, Some(qcos::crc64::checksum(&big)));
}

#[test]
fn content_md5_and_meta_md5_through_the_server() {
    use md5::Digest;
    let env = start();
    let c = env.client_with(|c| {
        c.upload_check_content_md5 = true;
        c.upload_add_meta_md5 = true;
    });
    for (key, n) in [("md5-small", 1000), ("md5-big", 3 * MIB + 1)] {
        let bytes = data(n, 30);
        let path = env.file(key, &bytes);
        let opts = UploadOptions::from(&qcos::PutObjectOptions {
            content_type: Some("application/x-test".into()),
            ..Default::default()
        });
        c.upload_file(key, UploadSource::File(&path), &opts, None)
            .unwrap();
        let info = c.head_object(key, &GetObjectOptions::default()).unwrap();
        let want: String = md5::Md5::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert!(info.meta.contains(&("md5".into(), want)), "{:?}", info.meta);
        assert_eq!(info.content_type, "application/x-test");
        assert_eq!(get(&c, key), bytes);
    }
}
