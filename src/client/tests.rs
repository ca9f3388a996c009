//! Request building, without a server.

use super::*;
use crate::Status;
use crate::auth::{Credentials, KeyTime, parse_authorization};
use crate::encode::query_string;
use crate::http::signed_headers;

fn client() -> Client {
    let mut c = Config::new("ap-guangzhou", "examplebucket-1250000000");
    c.credentials = Some(Credentials::new("AKIDtest", "SKtest"));
    Client::new(c).unwrap()
}

fn h<'r>(req: &'r Request<'_>, name: &str) -> Option<&'r str> {
    req.header_value(name)
}

#[test]
fn put_object_headers_metadata_and_md5() {
    let c = client();
    let opts = PutObjectOptions {
        content_type: Some("text/plain".into()),
        cache_control: Some("no-cache".into()),
        storage_class: Some("STANDARD_IA".into()),
        meta: vec![("Author".into(), "qcos".into())],
        check_content_md5: Some(true),
        add_meta_md5: Some(true),
        traffic_limit: Some(819200),
        headers: vec![("x-cos-tagging".into(), "a=b".into())],
        ..Default::default()
    };
    let req = c
        .put_object_request("dir/hello world.txt", Body::Bytes(b"hello"), &opts)
        .unwrap();
    assert_eq!(req.method, Method::Put);
    assert_eq!(req.target, Target::Object("dir/hello world.txt".into()));
    assert_eq!(h(&req, "content-type"), Some("text/plain"));
    assert_eq!(h(&req, "cache-control"), Some("no-cache"));
    assert_eq!(h(&req, "x-cos-storage-class"), Some("STANDARD_IA"));
    assert_eq!(h(&req, "x-cos-meta-author"), Some("qcos"));
    assert_eq!(h(&req, "x-cos-traffic-limit"), Some("819200"));
    assert_eq!(h(&req, "x-cos-tagging"), Some("a=b"));
    // MD5("hello") = 5d41402abc4b2a76b9719d911017c592
    assert_eq!(h(&req, "content-md5"), Some("XUFAKrxLKna5cZ2REBfFkg=="));
    assert_eq!(
        h(&req, "x-cos-meta-md5"),
        Some("5d41402abc4b2a76b9719d911017c592")
    );
    assert_eq!(req.body.len(), 5);

    // Defaults: octet-stream, no MD5.
    let req = c
        .put_object_request("k", Body::Bytes(b""), &PutObjectOptions::default())
        .unwrap();
    assert_eq!(h(&req, "content-type"), Some("application/octet-stream"));
    assert!(h(&req, "content-md5").is_none());
}

#[test]
fn put_object_refuses_bad_input_before_sending() {
    let c = client();
    let bad_meta = PutObjectOptions {
        meta: vec![("a".into(), "x\r\nx-evil: 1".into())],
        ..Default::default()
    };
    let e = c
        .put_object_request("k", Body::Bytes(b""), &bad_meta)
        .unwrap_err();
    assert_eq!(e.status(), Status::InvalidArgument);
    let underscore = PutObjectOptions {
        meta: vec![("a_b".into(), "x".into())],
        ..Default::default()
    };
    assert!(
        c.put_object_request("k", Body::Bytes(b""), &underscore)
            .is_err()
    );
    let dup = PutObjectOptions {
        content_type: Some("a/b".into()),
        headers: vec![("Content-Type".into(), "c/d".into())],
        ..Default::default()
    };
    let e = c
        .put_object_request("k", Body::Bytes(b""), &dup)
        .unwrap_err();
    assert!(e.to_string().contains("twice"), "{e}");
    for hdr in ["Host", "authorization", "Content-Length"] {
        let o = PutObjectOptions {
            headers: vec![(hdr.into(), "x".into())],
            ..Default::default()
        };
        let e = c.put_object_request("k", Body::Bytes(b""), &o).unwrap_err();
        assert!(e.to_string().contains("set by qcos"), "{e}");
    }
    for key in ["", "/abs", "a/../b", "a\nb"] {
        let e = c
            .put_object_request(key, Body::Bytes(b""), &PutObjectOptions::default())
            .unwrap_err();
        assert_eq!(e.status(), Status::InvalidArgument, "{key:?}");
    }
    let e = c
        .put_object_request(
            "k",
            Body::File(Path::new("/nonexistent/qcos/file")),
            &PutObjectOptions::default(),
        )
        .unwrap_err();
    assert_eq!(e.status(), Status::Io);
}

#[test]
fn reader_bodies_are_buffered_only_for_md5() {
    let c = client();
    let mut r: &[u8] = b"abcdef";
    let req = c
        .put_object_request(
            "k",
            Body::Reader {
                reader: &mut r,
                len: 6,
            },
            &PutObjectOptions::default(),
        )
        .unwrap();
    assert!(!req.body.is_replayable());
    let mut r: &[u8] = b"abcdef";
    let opts = PutObjectOptions {
        check_content_md5: Some(true),
        ..Default::default()
    };
    let req = c
        .put_object_request(
            "k",
            Body::Reader {
                reader: &mut r,
                len: 6,
            },
            &opts,
        )
        .unwrap();
    assert!(req.body.is_replayable());
    assert_eq!(req.body.len(), 6);
    let mut short: &[u8] = b"abc";
    let e = c
        .put_object_request(
            "k",
            Body::Reader {
                reader: &mut short,
                len: 6,
            },
            &opts,
        )
        .unwrap_err();
    assert_eq!(e.status(), Status::Io);
}

#[test]
fn get_object_query_and_conditions() {
    let c = client();
    let opts = GetObjectOptions {
        range: Some((10, Some(19))),
        if_none_match: Some("\"abc\"".into()),
        response_content_type: Some("text/plain".into()),
        response_content_disposition: Some("attachment; filename=\"a b\"".into()),
        version_id: Some("v1".into()),
        ..Default::default()
    };
    let req = c.get_object_request("a/b.txt", &opts).unwrap();
    assert_eq!(h(&req, "range"), Some("bytes=10-19"));
    assert_eq!(h(&req, "if-none-match"), Some("\"abc\""));
    let q = query_string(&req.query);
    assert_eq!(
        q,
        "versionId=v1&response-content-disposition=attachment%3B%20filename%3D%22a%20b%22&response-content-type=text%2Fplain"
    );
    let open = GetObjectOptions {
        range: Some((5, None)),
        ..Default::default()
    };
    let req = c.get_object_request("k", &open).unwrap();
    assert_eq!(h(&req, "range"), Some("bytes=5-"));
    let bad = GetObjectOptions {
        range: Some((5, Some(4))),
        ..Default::default()
    };
    assert!(c.get_object_request("k", &bad).is_err());
    // Keys that normalise to the bucket root are refused for GET.
    for root in ["/", "a/..", "./"] {
        let e = c
            .get_object_request(root, &GetObjectOptions::default())
            .unwrap_err();
        assert_eq!(e.status(), Status::InvalidArgument, "{root:?}");
    }
    // HEAD drops the range.
    let req = c.head_object_request("k", &opts).unwrap();
    assert_eq!(req.method, Method::Head);
    assert!(h(&req, "range").is_none());
}

#[test]
fn delete_objects_body_has_md5_and_limits() {
    let c = client();
    let req = c.delete_objects_request(&["a", "b&c"], false).unwrap();
    assert_eq!(req.method, Method::Post);
    assert_eq!(query_string(&req.query), "delete");
    let RequestBody::Bytes(body) = &req.body else {
        panic!("XML body expected")
    };
    let body = body.to_vec();
    assert_eq!(
        String::from_utf8(body.clone()).unwrap(),
        "<Delete><Quiet>false</Quiet><Object><Key>a</Key></Object><Object><Key>b&amp;c</Key></Object></Delete>"
    );
    assert_eq!(h(&req, "content-md5"), Some(b64(&md5_of(&body)).as_str()));
    assert_eq!(h(&req, "content-type"), Some("application/xml"));
    assert!(c.delete_objects_request(&[], true).is_err());
    let many: Vec<String> = (0..1001).map(|i| format!("k{i}")).collect();
    let refs: Vec<&str> = many.iter().map(|s| s.as_str()).collect();
    assert!(c.delete_objects_request(&refs, true).is_err());
    assert!(c.delete_objects_request(&["ok", "/bad"], true).is_err());
}

#[test]
fn copy_source_and_directive() {
    let c = client();
    let src = CopySource {
        bucket: "src-1250000000".into(),
        region: "ap-beijing".into(),
        key: "dir/a b+c.txt".into(),
        version_id: Some("v=1".into()),
    };
    let req = c
        .copy_object_request("dst", &src, &CopyObjectOptions::default())
        .unwrap();
    assert_eq!(
        h(&req, "x-cos-copy-source"),
        Some("src-1250000000.cos.ap-beijing.myqcloud.com/dir/a%20b%2Bc.txt?versionId=v%3D1")
    );
    assert_eq!(h(&req, "x-cos-metadata-directive"), Some("Copy"));
    assert!(h(&req, "content-type").is_none());
    let replace = CopyObjectOptions {
        metadata_directive_replace: true,
        tagging_directive_replace: false,
        put: PutObjectOptions {
            content_type: Some("image/png".into()),
            meta: vec![("x".into(), "1".into())],
            ..Default::default()
        },
    };
    let req = c.copy_object_request("dst", &src, &replace).unwrap();
    assert_eq!(h(&req, "x-cos-metadata-directive"), Some("Replaced"));
    assert_eq!(h(&req, "content-type"), Some("image/png"));
    assert_eq!(h(&req, "x-cos-meta-x"), Some("1"));
    let bad = CopySource {
        bucket: "Bad".into(),
        ..src
    };
    let e = c
        .copy_object_request("dst", &bad, &CopyObjectOptions::default())
        .unwrap_err();
    assert!(e.to_string().contains("bucket"));
}

#[test]
fn list_request_sends_every_parameter_and_signs_it() {
    let c = client();
    let opts = ListObjectsOptions {
        prefix: "dir/".into(),
        delimiter: "/".into(),
        marker: "dir/a".into(),
        max_keys: Some(2),
    };
    let req = c.list_objects_request(&opts).unwrap();
    let q = query_string(&req.query);
    assert_eq!(
        q,
        "delimiter=%2F&encoding-type=url&marker=dir%2Fa&max-keys=2&prefix=dir%2F"
    );
    let addr = c.http().address(&req.target, &q).unwrap();
    let hs = signed_headers(
        &req,
        &addr,
        &Credentials::new("i", "k"),
        KeyTime { start: 1, end: 2 },
        false,
    );
    let authz = &hs.iter().find(|(k, _)| k == "authorization").unwrap().1;
    let p = parse_authorization(authz).unwrap();
    assert_eq!(
        p.url_param_list,
        ["delimiter", "encoding-type", "marker", "max-keys", "prefix"]
    );
    assert_eq!(p.header_list, ["host"]);
    let bad = ListObjectsOptions {
        max_keys: Some(0),
        ..Default::default()
    };
    assert!(c.list_objects_request(&bad).is_err());
}

#[test]
fn multipart_requests() {
    let c = client();
    let req = c
        .upload_part_request(
            "big.bin",
            "UPLOAD1",
            7,
            Body::Bytes(b"part"),
            &UploadPartOptions {
                content_md5: true,
                traffic_limit: None,
            },
        )
        .unwrap();
    assert_eq!(query_string(&req.query), "partNumber=7&uploadId=UPLOAD1");
    assert!(h(&req, "content-md5").is_some());
    assert!(h(&req, "content-type").is_none());
    assert!(h(&req, "x-cos-meta-md5").is_none());
    for n in [0, 10_001] {
        assert!(
            c.upload_part_request("k", "U", n, Body::Bytes(b""), &UploadPartOptions::default())
                .is_err()
        );
    }
    assert!(
        c.upload_part_request("k", "", 1, Body::Bytes(b""), &UploadPartOptions::default())
            .is_err()
    );

    let req = c
        .complete_request("big.bin", "U", &[(2, "\"bb\"".into()), (1, "aa".into())])
        .unwrap();
    assert!(req.long_running);
    assert_eq!(query_string(&req.query), "uploadId=U");
    let RequestBody::Bytes(body) = &req.body else {
        panic!("XML body expected")
    };
    assert_eq!(
        std::str::from_utf8(body).unwrap(),
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&quot;aa&quot;</ETag></Part><Part><PartNumber>2</PartNumber><ETag>&quot;bb&quot;</ETag></Part></CompleteMultipartUpload>"
    );
    assert!(c.complete_request("k", "U", &[]).is_err());
    assert!(
        c.complete_request("k", "U", &[(1, "a".into()), (1, "b".into())])
            .is_err()
    );
    assert!(c.complete_request("k", "U", &[(1, "\"\"".into())]).is_err());
}

#[test]
fn bucketless_client_only_lists_buckets() {
    let mut cfg = Config::new("ap-guangzhou", "");
    cfg.credentials = Some(Credentials::new("i", "k"));
    let c = Client::new(cfg).unwrap();
    let e = c.head_bucket().unwrap_err();
    assert_eq!(e.status(), Status::InvalidArgument);
    assert!(e.to_string().contains("no bucket"));
}

#[test]
fn client_is_send_sync_and_debug_hides_secrets() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Client>();
    let c = client();
    let d = format!("{c:?}");
    assert!(!d.contains("SKtest"), "{d}");
}

#[test]
fn file_range_bodies_are_checked_and_hashed() {
    let c = client();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("f");
    std::fs::write(&p, b"0123456789").unwrap();
    let opts = PutObjectOptions {
        check_content_md5: Some(true),
        ..Default::default()
    };
    let req = c
        .put_object_request(
            "k",
            Body::FileRange {
                path: &p,
                offset: 2,
                len: 5,
            },
            &opts,
        )
        .unwrap();
    assert_eq!(req.body.len(), 5);
    assert!(req.body.is_replayable());
    assert_eq!(h(&req, "content-md5").unwrap(), b64(&md5_of(b"23456")));
    for (offset, len) in [(8, 5), (u64::MAX, 2)] {
        let e = c
            .put_object_request(
                "k",
                Body::FileRange {
                    path: &p,
                    offset,
                    len,
                },
                &opts,
            )
            .unwrap_err();
        assert_eq!(e.status(), Status::InvalidArgument, "{e}");
    }
    let e = c
        .put_object_request("k", Body::File(dir.path()), &opts)
        .unwrap_err();
    assert!(e.to_string().contains("not a regular file"), "{e}");
}

/// The InvalidArgument message of `r`, which must have failed with one.
fn invalid_msg<T: std::fmt::Debug>(r: Result<T>) -> String {
    match r {
        Err(e @ Error::InvalidArgument { .. }) => e.to_string(),
        other => panic!("expected InvalidArgument, got {other:?}"),
    }
}

#[test]
fn names_differing_only_in_case_are_refused_naming_both() {
    let c = client();
    let put = |opts: &PutObjectOptions| c.put_object_request("k", Body::Bytes(b"x"), opts);
    // Two metadata entries the service would merge into one.
    let m = invalid_msg(put(&PutObjectOptions {
        meta: vec![("Author".into(), "a".into()), ("author".into(), "b".into())],
        ..Default::default()
    }));
    assert!(m.contains("\"Author\"") && m.contains("\"author\""), "{m}");
    // Two extra headers.
    let m = invalid_msg(put(&PutObjectOptions {
        headers: vec![
            ("X-Cos-Acl".into(), "private".into()),
            ("x-cos-tagging".into(), "a=b".into()),
            ("x-COS-acl".into(), "public-read".into()),
        ],
        ..Default::default()
    }));
    assert!(
        m.contains("\"X-Cos-Acl\"") && m.contains("\"x-COS-acl\""),
        "{m}"
    );
    // A metadata entry and a header spelling the same x-cos-meta- name.
    let m = invalid_msg(put(&PutObjectOptions {
        meta: vec![("author".into(), "a".into())],
        headers: vec![("X-Cos-Meta-Author".into(), "b".into())],
        ..Default::default()
    }));
    assert!(
        m.contains("\"x-cos-meta-author\"") && m.contains("\"X-Cos-Meta-Author\""),
        "{m}"
    );
    // An option field and a header.
    let m = invalid_msg(put(&PutObjectOptions {
        cache_control: Some("no-cache".into()),
        headers: vec![("Cache-Control".into(), "max-age=1".into())],
        ..Default::default()
    }));
    assert!(
        m.contains("cache_control") && m.contains("\"Cache-Control\""),
        "{m}"
    );
    // The same spelling twice.
    let m = invalid_msg(put(&PutObjectOptions {
        headers: vec![
            ("x-cos-acl".into(), "a".into()),
            ("x-cos-acl".into(), "b".into()),
        ],
        ..Default::default()
    }));
    assert!(m.contains("\"x-cos-acl\" is given twice"), "{m}");
    // Initiate Multipart Upload builds its headers the same way.
    let m = invalid_msg(put_headers(
        &PutObjectOptions {
            meta: vec![("Tag".into(), "1".into()), ("TAG".into(), "2".into())],
            ..Default::default()
        },
        true,
    ));
    assert!(m.contains("\"Tag\"") && m.contains("\"TAG\""), "{m}");
    // Copies: when replacing and when keeping the source's metadata.
    let src = CopySource {
        bucket: "src-1250000000".into(),
        region: "ap-beijing".into(),
        key: "a".into(),
        version_id: None,
    };
    for replace in [true, false] {
        let opts = CopyObjectOptions {
            metadata_directive_replace: replace,
            tagging_directive_replace: false,
            put: PutObjectOptions {
                meta: vec![("Owner".into(), "a".into()), ("owner".into(), "b".into())],
                ..Default::default()
            },
        };
        let m = invalid_msg(c.copy_object_request("dst", &src, &opts));
        assert!(m.contains("\"Owner\"") && m.contains("\"owner\""), "{m}");
        let opts = CopyObjectOptions {
            metadata_directive_replace: replace,
            tagging_directive_replace: false,
            put: PutObjectOptions {
                headers: vec![
                    ("X-Cos-Acl".into(), "a".into()),
                    ("x-cos-acl".into(), "b".into()),
                ],
                ..Default::default()
            },
        };
        let m = invalid_msg(c.copy_object_request("dst", &src, &opts));
        assert!(
            m.contains("\"X-Cos-Acl\"") && m.contains("\"x-cos-acl\""),
            "{m}"
        );
    }
    // A name qcos computes itself when asked to.
    let m = invalid_msg(put(&PutObjectOptions {
        meta: vec![("MD5".into(), "x".into())],
        add_meta_md5: Some(true),
        ..Default::default()
    }));
    assert!(
        m.contains("x-cos-meta-md5") && m.contains("add_meta_md5"),
        "{m}"
    );
    let m = invalid_msg(put(&PutObjectOptions {
        headers: vec![("Content-MD5".into(), "x".into())],
        check_content_md5: Some(true),
        ..Default::default()
    }));
    assert!(
        m.contains("content-md5") && m.contains("check_content_md5"),
        "{m}"
    );
    // Distinct names stay fine.
    put(&PutObjectOptions {
        meta: vec![("a".into(), "1".into()), ("a-b".into(), "2".into())],
        headers: vec![("x-cos-acl".into(), "private".into())],
        ..Default::default()
    })
    .unwrap();
}
