//! The README's main job: a guided tour of qcos.
//!
//! With `COS_SECRET_ID`, `COS_SECRET_KEY`, `COS_BUCKET` and `COS_REGION` in the
//! environment it runs against real COS (objects under `qcos-tour/`, removed at the end).
//! Without them it starts `qcos-server` on a free loopback port with a temporary data
//! directory and runs the same steps there.
//!
//! Run: `cargo run --example tour`

use std::time::Instant;

use qcos::auth::Credentials;
use qcos::transfer::{DownloadOptions, Progress, UploadOptions, UploadSource};
use qcos::{
    Body, Client, Config, CopyObjectOptions, CopySource, GetObjectOptions, ListObjectsOptions,
    PutObjectOptions,
};

const PREFIX: &str = "qcos-tour/";

fn main() {
    if let Err(e) = run() {
        eprintln!("\ntour failed: {e}");
        if let Some(s) = e.service() {
            eprintln!(
                "  HTTP {} {} request id {:?}",
                s.http_status, s.code, s.request_id
            );
        }
        std::process::exit(1);
    }
}

fn step(n: u32, what: &str) {
    println!("\n[{n}] {what}");
}

fn run() -> qcos::Result<()> {
    let real = [
        "COS_SECRET_ID",
        "COS_SECRET_KEY",
        "COS_BUCKET",
        "COS_REGION",
    ]
    .iter()
    .all(|v| std::env::var(v).is_ok_and(|s| !s.is_empty()));

    // Keep the local server (and its temporary directory) alive for the whole tour.
    let mut _local = None;
    let cfg = if real {
        let cfg = Config::from_env()?;
        println!(
            "qcos tour against real COS: bucket {} in {}",
            cfg.bucket, cfg.region
        );
        cfg
    } else {
        let dir = tempfile::tempdir().map_err(|e| qcos::Error::io("temporary directory", e))?;
        let server = qcos_server::Server::start(qcos_server::ServerConfig::new(dir.path()))
            .map_err(|e| qcos::Error::io("starting qcos-server", e))?;
        println!(
            "No COS credentials in the environment (COS_SECRET_ID, COS_SECRET_KEY, COS_BUCKET, COS_REGION):\n\
             started a local qcos-server on {} with data in {}",
            server.endpoint(),
            dir.path().display()
        );
        let mut cfg = Config::new("ap-guangzhou", "tour-1250000000");
        // Connect to the local server but send and sign the real COS Host, exactly as
        // real COS would receive the request.
        cfg.endpoint = Some(server.endpoint());
        cfg.credentials = Some(Credentials::new(
            qcos_server::TEST_SECRET_ID,
            qcos_server::TEST_SECRET_KEY,
        ));
        _local = Some((server, dir));
        cfg
    };
    let client = Client::new(cfg)?;
    let bucket = client.config().bucket.clone();

    step(1, "the bucket");
    if real {
        let info = client.head_bucket()?;
        println!(
            "    HEAD Bucket {bucket}: exists (region {:?})",
            info.region
        );
    } else {
        client.create_bucket()?;
        println!("    PUT Bucket {bucket}: created");
        let buckets = client.list_buckets()?;
        println!(
            "    GET Service: {} bucket(s): {:?}",
            buckets.len(),
            buckets.iter().map(|b| b.name.as_str()).collect::<Vec<_>>()
        );
    }

    step(
        2,
        "PUT Object: three small objects, one with metadata and a content type",
    );
    let greeting = format!("Hello from qcos {}!\n", env!("CARGO_PKG_VERSION"));
    let opts = PutObjectOptions {
        content_type: Some("text/plain; charset=utf-8".into()),
        meta: vec![("author".into(), "qcos-tour".into())],
        check_content_md5: Some(true),
        ..Default::default()
    };
    for name in ["hello.txt", "docs/a.txt", "docs/b 你好.txt"] {
        let key = format!("{PREFIX}{name}");
        let out = client.put_object(&key, Body::Bytes(greeting.as_bytes()), &opts)?;
        println!(
            "    PUT {key:<28} ETag {}  CRC-64 {}  (checked against the bytes sent)",
            out.etag,
            out.crc64
                .map(|c| c.to_string())
                .unwrap_or_else(|| "-".into())
        );
    }

    step(
        3,
        "GET Bucket: list with a delimiter, then follow pages of one key each",
    );
    let page = client.list_objects(&ListObjectsOptions {
        prefix: PREFIX.into(),
        delimiter: "/".into(),
        ..Default::default()
    })?;
    for o in &page.objects {
        println!(
            "    object  {:<28} {:>4} bytes  {}",
            o.key, o.size, o.last_modified
        );
    }
    for p in &page.common_prefixes {
        println!("    prefix  {p}");
    }
    let mut n = 0;
    for page in client.list_objects_pages(ListObjectsOptions {
        prefix: PREFIX.into(),
        max_keys: Some(1),
        ..Default::default()
    }) {
        let page = page?;
        n += page.objects.len();
    }
    println!("    paged listing (max-keys 1, following NextMarker): {n} objects");

    step(4, "GET Object into memory, and HEAD Object");
    let key = format!("{PREFIX}hello.txt");
    let mut body = Vec::new();
    let info = client.get_object(&key, &GetObjectOptions::default(), &mut body)?;
    assert_eq!(body, greeting.as_bytes(), "downloaded bytes differ");
    println!(
        "    GET  {key}: {} bytes, identical to what was sent (CRC-64 verified)",
        body.len()
    );
    let head = client.head_object(&key, &GetObjectOptions::default())?;
    println!(
        "    HEAD {key}: type {:?}, meta {:?}, request id {}",
        head.content_type, head.meta, info.request_id
    );
    let mut part = Vec::new();
    client.get_object(
        &key,
        &GetObjectOptions {
            range: Some((0, Some(4))),
            ..Default::default()
        },
        &mut part,
    )?;
    println!(
        "    GET  {key} bytes=0-4: {:?}",
        String::from_utf8_lossy(&part)
    );

    step(
        5,
        "PUT Object - Copy, then GET it into a file (written atomically)",
    );
    let copy_key = format!("{PREFIX}hello-copy.txt");
    let cfg = client.config();
    let copied = client.copy_object(
        &copy_key,
        &CopySource {
            bucket: cfg.bucket.clone(),
            region: cfg.region.clone(),
            key: key.clone(),
            version_id: None,
        },
        &CopyObjectOptions::default(),
    )?;
    println!("    COPY {key} -> {copy_key}: ETag {}", copied.etag);
    let local = std::env::temp_dir().join(format!("qcos-tour-{}.txt", std::process::id()));
    client.get_object_to_file(&copy_key, &local, &GetObjectOptions::default())?;
    let on_disk = std::fs::read(&local).map_err(|e| qcos::Error::io("reading the download", e))?;
    assert_eq!(on_disk, greeting.as_bytes());
    println!("    GET  {copy_key} -> {}: identical", local.display());
    let _ = std::fs::remove_file(&local);

    step(
        6,
        "upload_file / download_file: a 20 MiB file as a parallel multipart upload",
    );
    let dir = tempfile::tempdir().map_err(|e| qcos::Error::io("temporary directory", e))?;
    let src = dir.path().join("big.bin");
    let data: Vec<u8> = (0..20u32 * 1024 * 1024)
        .map(|i| (i.wrapping_mul(2654435761) >> 24) as u8)
        .collect();
    std::fs::write(&src, &data).map_err(|e| qcos::Error::io("writing the sample file", e))?;
    let big_key = format!("{PREFIX}big.bin");
    let mut last = -1i64;
    let mut progress = |p: &Progress| {
        let pct = (p.percent * 100.0) as i64;
        if pct / 25 != last / 25 {
            println!(
                "    ... {pct:>3}% ({} of {} bytes, {:.1} MB/s)",
                p.loaded,
                p.total.unwrap_or(0),
                p.speed / 1e6
            );
            last = pct;
        }
        true // returning false cancels the transfer
    };
    let t = Instant::now();
    let up = client.upload_file(
        &big_key,
        UploadSource::File(&src),
        &UploadOptions::default(),
        Some(&mut progress),
    )?;
    println!(
        "    uploaded {} bytes in {} parts in {:?}; CRC-64 {} verified per part and for the whole object: {}",
        up.size,
        up.parts,
        t.elapsed(),
        up.crc64,
        up.crc64_verified
    );
    let dst = dir.path().join("big.copy");
    let down = client.download_file(&big_key, &dst, &DownloadOptions::default(), None)?;
    let back = std::fs::read(&dst).map_err(|e| qcos::Error::io("reading the download", e))?;
    assert_eq!(back, data, "downloaded bytes differ");
    println!(
        "    downloaded in {} ranged GETs into a temp file renamed into place after its CRC-64 matched: identical",
        down.ranges
    );
    client.delete_object(&big_key)?;

    step(7, "errors carry COS's code and request id");
    match client.head_object(&format!("{PREFIX}missing"), &GetObjectOptions::default()) {
        Err(e) => println!("    HEAD missing object: {e}"),
        Ok(_) => println!("    HEAD missing object unexpectedly succeeded"),
    }
    match client.put_object(
        "/leading-slash",
        Body::Bytes(b""),
        &PutObjectOptions::default(),
    ) {
        Err(e) => println!("    refused before sending: {e}"),
        Ok(_) => println!("    a key with a leading '/' was unexpectedly accepted"),
    }

    step(8, "Delete Multiple Objects, then DELETE Object");
    let keys: Vec<String> = ["docs/a.txt", "docs/b 你好.txt", "hello-copy.txt"]
        .iter()
        .map(|k| format!("{PREFIX}{k}"))
        .collect();
    let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    let t = Instant::now();
    let del = client.delete_objects(&refs, false)?;
    println!(
        "    deleted {} object(s), {} error(s) in {:?}",
        del.deleted.len(),
        del.errors.len(),
        t.elapsed()
    );
    client.delete_object(&key)?;
    println!("    DELETE {key}");
    let left = client.list_objects(&ListObjectsOptions {
        prefix: PREFIX.into(),
        ..Default::default()
    })?;
    println!("    objects left under {PREFIX}: {}", left.objects.len());

    if !real {
        client.delete_bucket()?;
        println!("    DELETE Bucket {bucket}");
    }
    println!("\nTour complete.");
    Ok(())
}
