//! Every client operation end to end against qcos-server, in both addressing modes:
//! virtual host through an endpoint override (the real COS Host is sent and signed) and
//! path style.

mod client_common;

use std::io::Write;

use client_common::*;
use qcos::{
    Body, Client, CopyObjectOptions, CopySource, GetObjectOptions, ListObjectsOptions,
    PutObjectOptions, Status, UploadPartOptions,
};

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

fn get_bytes(c: &Client, key: &str, opts: &GetObjectOptions) -> Vec<u8> {
    let mut out = Vec::new();
    c.get_object(key, opts, &mut out).expect("get");
    out
}

fn exercise(c: &Client, work: &std::path::Path) {
    let bucket = c.config().bucket.clone();
    let head = c.head_bucket().expect("head bucket");
    assert_eq!(head.region.as_deref(), Some(REGION));
    assert!(!head.request_id.is_empty());

    // PUT from bytes, with metadata, MD5s and a content type.
    let data = pattern(100_000, 1);
    let opts = PutObjectOptions {
        content_type: Some("text/plain".into()),
        meta: vec![("author".into(), "qcos".into())],
        check_content_md5: Some(true),
        add_meta_md5: Some(true),
        ..Default::default()
    };
    let put = c
        .put_object("dir/a b+c 腾讯.txt", Body::Bytes(&data), &opts)
        .expect("put bytes");
    assert_eq!(put.crc64, Some(qcos::crc64::checksum(&data)));
    assert!(put.etag.starts_with('"'));
    assert!(!put.request_id.is_empty());

    // PUT from a file and from a reader.
    let file = work.join("upload.bin");
    std::fs::write(&file, pattern(300_000, 2)).unwrap();
    c.put_object(
        "dir/file.bin",
        Body::File(&file),
        &PutObjectOptions::default(),
    )
    .expect("put file");
    let reader_data = pattern(70_000, 3);
    let mut r: &[u8] = &reader_data;
    c.put_object(
        "dir/sub/reader.bin",
        Body::Reader {
            reader: &mut r,
            len: reader_data.len() as u64,
        },
        &PutObjectOptions::default(),
    )
    .expect("put reader");
    c.put_object("top.txt", Body::Bytes(b"top"), &PutObjectOptions::default())
        .unwrap();
    c.put_object("empty", Body::Bytes(b""), &PutObjectOptions::default())
        .unwrap();

    // GET whole, range, to a buffer, to a file.
    assert_eq!(
        get_bytes(c, "dir/a b+c 腾讯.txt", &GetObjectOptions::default()),
        data
    );
    let range = GetObjectOptions {
        range: Some((10, Some(19))),
        ..Default::default()
    };
    assert_eq!(get_bytes(c, "dir/a b+c 腾讯.txt", &range), &data[10..20]);
    let tail = GetObjectOptions {
        range: Some((99_990, None)),
        ..Default::default()
    };
    assert_eq!(get_bytes(c, "dir/a b+c 腾讯.txt", &tail), &data[99_990..]);
    let mut buf = vec![0u8; 70_000];
    let (info, n) = c
        .get_object_to_buffer("dir/sub/reader.bin", &mut buf, &GetObjectOptions::default())
        .expect("get to buffer");
    assert_eq!(n, 70_000);
    assert_eq!(buf, reader_data);
    assert_eq!(info.content_length, 70_000);
    let mut small = vec![0u8; 10];
    let e = c
        .get_object_to_buffer(
            "dir/sub/reader.bin",
            &mut small,
            &GetObjectOptions::default(),
        )
        .unwrap_err();
    assert_eq!(e.status(), Status::BufferTooSmall);
    assert!(
        matches!(
            e,
            qcos::Error::BufferTooSmall {
                needed: 70_000,
                capacity: 10
            }
        ),
        "{e}"
    );
    let (_, n) = c
        .get_object_to_buffer("empty", &mut small, &GetObjectOptions::default())
        .unwrap();
    assert_eq!(n, 0);
    let dest = work.join("down.bin");
    let info = c
        .get_object_to_file("dir/file.bin", &dest, &GetObjectOptions::default())
        .expect("get to file");
    assert_eq!(std::fs::read(&dest).unwrap(), pattern(300_000, 2));
    assert_eq!(
        info.crc64,
        Some(qcos::crc64::checksum(&pattern(300_000, 2)))
    );

    // response-* overrides.
    let ov = GetObjectOptions {
        response_content_type: Some("application/x-test".into()),
        response_content_disposition: Some("attachment; filename=\"x.txt\"".into()),
        ..Default::default()
    };
    let info = c.get_object("top.txt", &ov, &mut std::io::sink()).unwrap();
    assert_eq!(info.content_type, "application/x-test");

    // HEAD with metadata; If-None-Match → 304.
    let h = c
        .head_object("dir/a b+c 腾讯.txt", &GetObjectOptions::default())
        .expect("head");
    assert_eq!(h.content_length, 100_000);
    assert_eq!(h.content_type, "text/plain");
    assert!(
        h.meta.contains(&("author".into(), "qcos".into())),
        "{:?}",
        h.meta
    );
    let md5_meta = h
        .meta
        .iter()
        .find(|(k, _)| k == "md5")
        .map(|(_, v)| v.clone());
    assert_eq!(md5_meta.as_deref().map(str::len), Some(32));
    assert_eq!(h.crc64, Some(qcos::crc64::checksum(&data)));
    let cond = GetObjectOptions {
        if_none_match: Some(h.etag.clone()),
        ..Default::default()
    };
    let e = c
        .get_object("dir/a b+c 腾讯.txt", &cond, &mut std::io::sink())
        .unwrap_err();
    assert_eq!(e.service().map(|s| s.http_status), Some(304), "{e}");

    // LIST: prefixes, delimiter, pages.
    let page = c
        .list_objects(&ListObjectsOptions {
            prefix: "dir/".into(),
            delimiter: "/".into(),
            ..Default::default()
        })
        .expect("list");
    let keys: Vec<&str> = page.objects.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(keys, ["dir/a b+c 腾讯.txt", "dir/file.bin"]);
    assert_eq!(page.common_prefixes, ["dir/sub/"]);
    assert!(!page.is_truncated);
    let pages: Vec<_> = c
        .list_objects_pages(ListObjectsOptions {
            max_keys: Some(2),
            ..Default::default()
        })
        .collect::<Result<_, _>>()
        .expect("pages");
    assert_eq!(pages.len(), 3, "5 objects in pages of 2");
    let all: Vec<String> = pages
        .iter()
        .flat_map(|p| p.objects.iter().map(|o| o.key.clone()))
        .collect();
    assert_eq!(
        all,
        [
            "dir/a b+c 腾讯.txt",
            "dir/file.bin",
            "dir/sub/reader.bin",
            "empty",
            "top.txt"
        ]
    );

    // COPY (metadata copied, then replaced).
    let src = CopySource {
        bucket: bucket.clone(),
        region: REGION.into(),
        key: "dir/a b+c 腾讯.txt".into(),
        version_id: None,
    };
    let cp = c
        .copy_object("copy.txt", &src, &CopyObjectOptions::default())
        .expect("copy");
    assert!(!cp.etag.is_empty());
    assert_eq!(get_bytes(c, "copy.txt", &GetObjectOptions::default()), data);
    let h = c
        .head_object("copy.txt", &GetObjectOptions::default())
        .unwrap();
    assert!(h.meta.contains(&("author".into(), "qcos".into())));
    let replace = CopyObjectOptions {
        metadata_directive_replace: true,
        tagging_directive_replace: false,
        put: PutObjectOptions {
            content_type: Some("image/png".into()),
            meta: vec![("k".into(), "v".into())],
            ..Default::default()
        },
    };
    c.copy_object(
        "copy.txt",
        &CopySource {
            key: "copy.txt".into(),
            ..src.clone()
        },
        &replace,
    )
    .expect("copy onto itself");
    let h = c
        .head_object("copy.txt", &GetObjectOptions::default())
        .unwrap();
    assert_eq!(h.content_type, "image/png");
    assert!(h.meta.contains(&("k".into(), "v".into())), "{:?}", h.meta);
    assert!(!h.meta.iter().any(|(k, _)| k == "author"));

    // Multipart: two parts (the first ≥ 1 MiB), list, complete, read back.
    let part1 = pattern(1024 * 1024, 4);
    let part2 = pattern(12_345, 5);
    let id = c
        .initiate_multipart_upload("big.bin", &PutObjectOptions::default())
        .expect("initiate");
    let p2_first = c
        .upload_part(
            "big.bin",
            &id,
            2,
            Body::Bytes(&part2),
            &UploadPartOptions::default(),
        )
        .expect("part 2");
    let p1 = c
        .upload_part(
            "big.bin",
            &id,
            1,
            Body::Bytes(&part1),
            &UploadPartOptions {
                content_md5: true,
                traffic_limit: None,
            },
        )
        .expect("part 1");
    assert_eq!(p1.crc64, Some(qcos::crc64::checksum(&part1)));
    // Re-upload part 2 from a range of a file (replaces the first upload of part 2).
    let part_file = work.join("parts.bin");
    let mut both = pattern(1000, 9);
    both.extend_from_slice(&part2);
    std::fs::write(&part_file, &both).unwrap();
    let p2 = c
        .upload_part(
            "big.bin",
            &id,
            2,
            Body::FileRange {
                path: &part_file,
                offset: 1000,
                len: part2.len() as u64,
            },
            &UploadPartOptions::default(),
        )
        .expect("part 2 from a file range");
    assert_eq!(p2.crc64, Some(qcos::crc64::checksum(&part2)));
    assert_eq!(p2.etag, p2_first.etag, "same bytes, same part ETag");
    let parts = c.list_parts("big.bin", &id).expect("list parts");
    assert_eq!(
        parts.iter().map(|p| p.part_number).collect::<Vec<_>>(),
        [1, 2]
    );
    assert_eq!(parts[1].size, 12_345);
    let ups = c.list_multipart_uploads("big").expect("list uploads");
    assert!(ups.iter().any(|u| u.upload_id == id && u.key == "big.bin"));
    let done = c
        .complete_multipart_upload(
            "big.bin",
            &id,
            &[(2, p2.etag.clone()), (1, p1.etag.clone())],
        )
        .expect("complete");
    let mut whole = part1.clone();
    whole.extend_from_slice(&part2);
    if let Some(crc) = done.crc64 {
        assert_eq!(crc, qcos::crc64::checksum(&whole));
    }
    assert_eq!(get_bytes(c, "big.bin", &GetObjectOptions::default()), whole);
    // Upload Part - Copy, then abort.
    let id2 = c
        .initiate_multipart_upload("copied-part.bin", &PutObjectOptions::default())
        .unwrap();
    let src_big = CopySource {
        key: "big.bin".into(),
        ..src.clone()
    };
    let pc = c
        .upload_part_copy(
            "copied-part.bin",
            &id2,
            1,
            &src_big,
            Some((0, 1024 * 1024 - 1)),
        )
        .expect("upload part copy");
    assert!(!pc.etag.is_empty());
    c.abort_multipart_upload("copied-part.bin", &id2)
        .expect("abort");
    let e = c.list_parts("copied-part.bin", &id2).unwrap_err();
    assert_eq!(e.service().map(|s| s.code.as_str()), Some("NoSuchUpload"));

    // DELETE one and many.
    c.delete_object("top.txt").expect("delete");
    let e = c
        .head_object("top.txt", &GetObjectOptions::default())
        .unwrap_err();
    assert_eq!(e.service().map(|s| s.http_status), Some(404));
    let del = c
        .delete_objects(
            &[
                "dir/a b+c 腾讯.txt",
                "dir/file.bin",
                "dir/sub/reader.bin",
                "empty",
                "copy.txt",
                "big.bin",
            ],
            false,
        )
        .expect("delete many");
    assert_eq!(del.deleted.len(), 6, "{del:?}");
    assert!(del.errors.is_empty());
    let left = c.list_objects(&ListObjectsOptions::default()).unwrap();
    assert!(left.objects.is_empty(), "{:?}", left.objects);

    // GET Service lists the bucket; DELETE Bucket.
    let buckets = c.list_buckets().expect("list buckets");
    assert!(buckets.iter().any(|b| b.name == bucket), "{buckets:?}");
    c.delete_bucket().expect("delete bucket");
    let e = c.head_bucket().unwrap_err();
    assert_eq!(e.service().map(|s| s.http_status), Some(404));
}

#[test]
fn every_operation_virtual_host_through_endpoint_override() {
    let env = start();
    let c = env.client_with_bucket("vhost-1250000000");
    exercise(&c, env.dir.path());
}

#[test]
fn every_operation_path_style() {
    let env = start();
    let mut cfg = env.config("pathstyle-1250000000");
    cfg.path_style = true;
    let c = Client::new(cfg).unwrap();
    c.create_bucket().unwrap();
    exercise(&c, env.dir.path());
}

#[test]
fn one_client_from_many_threads() {
    let env = start();
    let c = env.client_with_bucket("threads-1250000000");
    std::thread::scope(|s| {
        for t in 0..4 {
            let c = c.clone();
            s.spawn(move || {
                for i in 0..10 {
                    let key = format!("t{t}/o{i}");
                    let body = pattern(1000 + i, t as u8);
                    c.put_object(&key, Body::Bytes(&body), &PutObjectOptions::default())
                        .unwrap();
                    let mut out = Vec::new();
                    c.get_object(&key, &GetObjectOptions::default(), &mut out)
                        .unwrap();
                    assert_eq!(out, body);
                }
            });
        }
    });
    let n: usize = c
        .list_objects_pages(ListObjectsOptions::default())
        .map(|p| p.unwrap().objects.len())
        .sum();
    assert_eq!(n, 40);
    let _ = std::io::stdout().flush();
}
