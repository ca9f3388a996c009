//! File uploads whose parts go straight from the file to the socket (no part buffer:
//! `MultipartStore::upload_part_from_file`), against qcos-server on loopback: the bytes
//! and CRC-64 match the buffered path's, and a file that changes under the upload is
//! refused instead of being uploaded as a mix.

use std::io::Write;

use qcos::auth::Credentials;
use qcos::transfer::{Progress, UploadOptions, UploadSource};
use qcos::{Client, Config, GetObjectOptions, Status};
use qcos_server::{RunningServer, Server, ServerConfig, TEST_SECRET_ID, TEST_SECRET_KEY};

const MIB: usize = 1 << 20;
const BUCKET: &str = "fileparts-1250000000";

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

fn client(server: &RunningServer) -> Client {
    let mut c = Config::new("ap-guangzhou", BUCKET);
    c.endpoint = Some(server.endpoint());
    c.credentials = Some(Credentials::new(TEST_SECRET_ID, TEST_SECRET_KEY));
    c.retry_base_delay_ms = 5;
    c.chunk_size = MIB as u64;
    c.slice_size = MIB as u64;
    c.chunk_parallel_limit = 3;
    c.chunk_retry_times = 1;
    c.progress_interval_ms = 0;
    let c = Client::new(c).expect("client");
    c.create_bucket().expect("create bucket");
    c
}

fn get(c: &Client, key: &str) -> Vec<u8> {
    let mut out = Vec::new();
    c.get_object(key, &GetObjectOptions::default(), &mut out)
        .expect("get");
    out
}

#[test]
fn direct_and_buffered_parts_store_the_same_bytes_and_crc() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(ServerConfig::new(dir.path().join("data"))).unwrap();
    let c = client(&server);
    let bytes = data(7 * MIB + 12_345, 1);
    let path = dir.path().join("src.bin");
    std::fs::write(&path, &bytes).unwrap();

    // No MD5 asked: parts are sent from the file.
    let direct = c
        .upload_file(
            "direct",
            UploadSource::File(&path),
            &UploadOptions::default(),
            None,
        )
        .unwrap();
    // Content-MD5 on every part: the buffered path.
    let buffered = c
        .upload_file(
            "buffered",
            UploadSource::File(&path),
            &UploadOptions {
                check_content_md5: Some(true),
                ..UploadOptions::default()
            },
            None,
        )
        .unwrap();
    assert_eq!(direct.parts, 8);
    assert_eq!(buffered.parts, 8);
    assert!(direct.crc64_verified && buffered.crc64_verified);
    assert_eq!(direct.crc64, qcos::crc64::checksum(&bytes));
    assert_eq!(direct.crc64, buffered.crc64);
    assert_eq!(get(&c, "direct"), bytes);
    assert_eq!(get(&c, "buffered"), bytes);
    server.stop();
}

fn changed_under_the_upload(change: impl Fn(&std::path::Path) + Send + 'static) {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(ServerConfig::new(dir.path().join("data"))).unwrap();
    let c = client(&server);
    let path = dir.path().join("src.bin");
    std::fs::write(&path, data(12 * MIB, 2)).unwrap();
    let p = path.clone();
    let mut changed = false;
    // The progress callback runs on the calling thread before the parts are done.
    let mut cb = |_: &Progress| {
        if !changed {
            changed = true;
            change(&p);
        }
        true
    };
    let r = c.upload_file(
        "changed",
        UploadSource::File(&path),
        &UploadOptions::default(),
        Some(&mut cb),
    );
    assert!(changed, "the progress callback never ran");
    let e = r.expect_err("a file changed during the upload must not upload");
    // Whether the change made a part fail (a shorter file ends its body early) or was
    // seen after a part, the error names it.
    assert_eq!(e.status(), Status::InvalidState, "{e}");
    assert!(e.to_string().contains("changed during the upload"), "{e}");
    assert!(
        c.head_object("changed", &GetObjectOptions::default())
            .is_err(),
        "no object may appear"
    );
    server.stop();
}

#[test]
fn a_file_that_grows_during_the_upload_is_refused() {
    changed_under_the_upload(|p| {
        let mut f = std::fs::OpenOptions::new().append(true).open(p).unwrap();
        f.write_all(b"more").unwrap();
    });
}

#[test]
fn a_file_that_shrinks_during_the_upload_is_refused() {
    changed_under_the_upload(|p| {
        let f = std::fs::OpenOptions::new().write(true).open(p).unwrap();
        f.set_len(3 * MIB as u64 + 7).unwrap();
    });
}
