//! The COS operations, driven over HTTP with signed requests.

mod common;

use common::*;
use qcos::crc64;

#[test]
fn put_get_head_delete_object() {
    let env = start();
    let body = data(100_000, 1);
    let r = env
        .req("PUT", "dir/hello world+中文.txt")
        .header("Content-Type", "text/plain")
        .header("x-cos-meta-color", "blue")
        .header("Cache-Control", "no-cache")
        .header("Content-MD5", &md5_b64(&body))
        .body(&body)
        .send();
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.etag(), format!("\"{}\"", md5_hex(&body)));
    assert_eq!(r.crc(), Some(crc64::checksum(&body)));
    assert_eq!(r.header("server"), Some("tencent-cos"));
    assert!(r.header("x-cos-request-id").is_some_and(|v| !v.is_empty()));
    assert!(r.header("date").is_some_and(|v| v.ends_with("GMT")));

    let g = env.get("dir/hello world+中文.txt");
    assert_eq!(g.status, 200);
    assert_eq!(g.body, body);
    assert_eq!(g.header("content-type"), Some("text/plain"));
    assert_eq!(g.header("x-cos-meta-color"), Some("blue"));
    assert_eq!(g.header("cache-control"), Some("no-cache"));
    assert_eq!(g.header("content-length"), Some("100000"));
    assert_eq!(g.crc(), Some(crc64::checksum(&body)));
    assert!(g.header("last-modified").is_some());
    assert_eq!(g.header("x-cos-storage-class"), None);

    let h = env.req("HEAD", "dir/hello world+中文.txt").send();
    assert_eq!(h.status, 200);
    assert_eq!(h.header("content-length"), Some("100000"));
    assert_eq!(h.etag(), r.etag());

    // Path-style addressing reaches the same object.
    let p = env
        .req("GET", "dir/hello world+中文.txt")
        .path_style()
        .send();
    assert_eq!(p.status, 200);
    assert_eq!(p.body, body);

    let d = env.req("DELETE", "dir/hello world+中文.txt").send();
    assert_eq!(d.status, 204);
    let g = env.get("dir/hello world+中文.txt");
    assert_eq!(g.status, 404);
    assert_eq!(g.code().as_deref(), Some("NoSuchKey"));
    assert!(
        g.xml("RequestId")
            .is_some_and(|id| Some(id.as_str()) == g.header("x-cos-request-id"))
    );
    assert!(g.xml("TraceId").is_some());
    assert!(g.xml("Resource").unwrap().contains(BUCKET));
    assert_eq!(g.header("content-type"), Some("application/xml"));
    // HEAD of a missing key: 404, no body.
    let h = env.req("HEAD", "dir/hello world+中文.txt").send();
    assert_eq!(h.status, 404);
    assert!(h.body.is_empty());
    // Deleting a missing key still succeeds.
    assert_eq!(env.req("DELETE", "nothing-here").send().status, 204);
}

#[test]
fn put_edge_cases() {
    let env = start();
    // Empty object.
    let r = env.put("empty", b"");
    assert_eq!(r.etag(), "\"d41d8cd98f00b204e9800998ecf8427e\"");
    assert_eq!(r.crc(), Some(0));
    let g = env.get("empty");
    assert_eq!((g.status, g.body.len()), (200, 0));
    // Overwrite.
    env.put("k", b"one");
    env.put("k", b"two!");
    assert_eq!(env.get("k").body, b"two!");
    // Bad Content-MD5 → BadDigest, old object intact.
    let r = env
        .req("PUT", "k")
        .header("Content-MD5", &md5_b64(b"other"))
        .body(b"three")
        .send();
    assert_eq!((r.status, r.code().as_deref()), (400, Some("BadDigest")));
    let r = env
        .req("PUT", "k")
        .header("Content-MD5", "notbase64!")
        .body(b"x")
        .send();
    assert_eq!(
        (r.status, r.code().as_deref()),
        (400, Some("InvalidDigest"))
    );
    assert_eq!(env.get("k").body, b"two!");
    // Missing bucket.
    let r = env
        .req("PUT", "k")
        .bucket(Some("nobucket-1250000000"))
        .body(b"x")
        .send();
    assert_eq!((r.status, r.code().as_deref()), (404, Some("NoSuchBucket")));
    // Keys with dots, slashes, unicode and reserved characters round-trip.
    for key in ["a/../b", "./x", "a//b", "sp ace/+%?#~!*'()", "ключ/值"] {
        env.put(key, key.as_bytes());
        assert_eq!(env.get(key).body, key.as_bytes(), "{key}");
    }
    // Storage class and bad storage class.
    let r = env
        .req("PUT", "ia")
        .header("x-cos-storage-class", "STANDARD_IA")
        .body(b"1")
        .send();
    assert_eq!(r.status, 200);
    assert_eq!(
        env.req("HEAD", "ia").send().header("x-cos-storage-class"),
        Some("STANDARD_IA")
    );
    let r = env
        .req("PUT", "ia")
        .header("x-cos-storage-class", "GOLD")
        .body(b"1")
        .send();
    assert_eq!(r.status, 400);
    // Too long a key.
    let long = "k".repeat(851);
    let r = env.req("PUT", &long).body(b"1").send();
    assert_eq!((r.status, r.code().as_deref()), (400, Some("KeyTooLong")));
}

#[test]
fn range_and_conditional_get() {
    let env = start();
    let body = data(1000, 2);
    let etag = env.put("r", &body).etag();
    let g = env.req("GET", "r").header("Range", "bytes=10-19").send();
    assert_eq!(g.status, 206);
    assert_eq!(g.body, &body[10..20]);
    assert_eq!(g.header("content-range"), Some("bytes 10-19/1000"));
    assert_eq!(g.header("content-length"), Some("10"));
    let g = env.req("GET", "r").header("Range", "bytes=990-").send();
    assert_eq!((g.status, g.body.as_slice()), (206, &body[990..]));
    let g = env.req("GET", "r").header("Range", "bytes=-5").send();
    assert_eq!((g.status, g.body.as_slice()), (206, &body[995..]));
    let g = env
        .req("GET", "r")
        .header("Range", "bytes=1000-2000")
        .send();
    assert_eq!((g.status, g.code().as_deref()), (416, Some("InvalidRange")));

    let g = env.req("GET", "r").header("If-Match", &etag).send();
    assert_eq!(g.status, 200);
    let g = env.req("GET", "r").header("If-Match", "\"0000\"").send();
    assert_eq!(
        (g.status, g.code().as_deref()),
        (412, Some("PreconditionFailed"))
    );
    let g = env.req("GET", "r").header("If-None-Match", &etag).send();
    assert_eq!(g.status, 304);
    assert!(g.body.is_empty());
    let g = env
        .req("GET", "r")
        .header("If-None-Match", "\"other\"")
        .send();
    assert_eq!(g.status, 200);
    let future = "Fri, 01 Jan 2100 00:00:00 GMT";
    let past = "Thu, 01 Jan 1970 00:00:00 GMT";
    assert_eq!(
        env.req("GET", "r")
            .header("If-Modified-Since", future)
            .send()
            .status,
        304
    );
    assert_eq!(
        env.req("GET", "r")
            .header("If-Modified-Since", past)
            .send()
            .status,
        200
    );
    assert_eq!(
        env.req("GET", "r")
            .header("If-Unmodified-Since", past)
            .send()
            .status,
        412
    );
    assert_eq!(
        env.req("GET", "r")
            .header("If-Unmodified-Since", future)
            .send()
            .status,
        200
    );
    assert_eq!(
        env.req("HEAD", "r")
            .header("If-None-Match", &etag)
            .send()
            .status,
        304
    );

    // response-* overrides.
    let g = env
        .req("GET", "r")
        .query("response-content-type", "application/x-test")
        .query(
            "response-content-disposition",
            "attachment; filename=\"a.bin\"",
        )
        .query("response-cache-control", "max-age=5")
        .send();
    assert_eq!(g.status, 200);
    assert_eq!(g.header("content-type"), Some("application/x-test"));
    assert_eq!(
        g.header("content-disposition"),
        Some("attachment; filename=\"a.bin\"")
    );
    assert_eq!(g.header("cache-control"), Some("max-age=5"));
}

#[test]
fn listing_with_prefix_delimiter_and_pages() {
    let env = start();
    let keys = [
        "a/1",
        "a/2",
        "a/b/3",
        "b/1",
        "c",
        "d/x/y",
        "e&<special>",
        "f",
    ];
    for k in keys {
        env.put(k, k.as_bytes());
    }
    let l = env.req("GET", "").send();
    assert_eq!(l.status, 200, "{}", l.text());
    assert_eq!(l.xml_all("Key"), keys);
    assert_eq!(l.xml("IsTruncated").as_deref(), Some("false"));
    assert_eq!(l.xml("Name").as_deref(), Some(BUCKET));
    assert_eq!(l.xml_all("Size")[0], "3");

    let l = env.req("GET", "").query("delimiter", "/").send();
    assert_eq!(l.xml_all("Key"), ["c", "e&<special>", "f"]);
    let cps: Vec<String> = l
        .xml_all("Prefix")
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect();
    assert_eq!(cps, ["a/", "b/", "d/"]);

    let l = env
        .req("GET", "")
        .query("prefix", "a/")
        .query("delimiter", "/")
        .send();
    assert_eq!(l.xml_all("Key"), ["a/1", "a/2"]);
    assert!(l.xml_all("Prefix").contains(&"a/b/".to_string()));

    // Pagination: 3 entries per page with delimiter; follow NextMarker.
    let mut marker = String::new();
    let mut seen = Vec::new();
    for _ in 0..10 {
        let l = env
            .req("GET", "")
            .query("delimiter", "/")
            .query("max-keys", "2")
            .query("marker", &marker)
            .send();
        let doc_text = l.text();
        let doc = roxmltree::Document::parse(&doc_text).unwrap();
        for n in doc.descendants() {
            if n.has_tag_name("Key") {
                seen.push(n.text().unwrap().to_string());
            }
            if n.has_tag_name("CommonPrefixes") {
                seen.push(n.first_element_child().unwrap().text().unwrap().to_string());
            }
        }
        if l.xml("IsTruncated").as_deref() != Some("true") {
            break;
        }
        marker = l.xml("NextMarker").unwrap();
    }
    seen.sort();
    assert_eq!(seen, ["a/", "b/", "c", "d/", "e&<special>", "f"]);

    // encoding-type=url encodes keys.
    let l = env
        .req("GET", "")
        .query("prefix", "e")
        .query("encoding-type", "url")
        .send();
    assert_eq!(l.xml_all("Key"), ["e%26%3Cspecial%3E"]);
    assert_eq!(l.xml("EncodingType").as_deref(), Some("url"));
    // max-keys over 1000 is clamped; bad max-keys is refused.
    let l = env.req("GET", "").query("max-keys", "5000").send();
    assert_eq!(l.xml("MaxKeys").as_deref(), Some("1000"));
    let l = env.req("GET", "").query("max-keys", "x").send();
    assert_eq!(
        (l.status, l.code().as_deref()),
        (400, Some("InvalidArgument"))
    );
    // Path-style listing.
    let l = env.req("GET", "").path_style().query("prefix", "b/").send();
    assert_eq!(l.xml_all("Key"), ["b/1"]);
}

#[test]
fn buckets_and_service() {
    let env = start();
    let r = env.req("PUT", "").send();
    assert_eq!(
        (r.status, r.code().as_deref()),
        (409, Some("BucketAlreadyOwnedByYou"))
    );
    let r = env
        .req("PUT", "")
        .bucket(Some("other-1250000000"))
        .path_style()
        .send();
    assert_eq!(r.status, 200);
    let h = env.req("HEAD", "").bucket(Some("other-1250000000")).send();
    assert_eq!(h.status, 200);
    assert_eq!(h.header("x-cos-bucket-region"), Some(REGION));
    assert_eq!(
        env.req("HEAD", "")
            .bucket(Some("missing-1250000000"))
            .send()
            .status,
        404
    );
    let s = env.req("GET", "").bucket(None).send();
    assert_eq!(s.status, 200, "{}", s.text());
    assert_eq!(s.xml_all("Name"), ["other-1250000000", BUCKET]);
    assert_eq!(s.xml("Location").as_deref(), Some(REGION));
    assert!(s.xml("CreationDate").unwrap().ends_with('Z'));
    // Service on a plain host too.
    let s = env
        .req("GET", "")
        .bucket(None)
        .host(&format!("127.0.0.1:{}", env.port()))
        .send();
    assert_eq!(s.xml_all("Name").len(), 2);
    let s = env
        .req("GET", "")
        .bucket(None)
        .host("cos.ap-guangzhou.myqcloud.com")
        .send();
    assert_eq!(s.xml_all("Name").len(), 2);
    // The accelerate and tencentcos.cn hosts address buckets too.
    env.put("via-host", b"x");
    for host in [
        format!("{BUCKET}.cos.accelerate.myqcloud.com"),
        format!("{BUCKET}.cos.{REGION}.tencentcos.cn"),
        format!("{BUCKET}.example.test:8080"),
    ] {
        let g = env.req("GET", "via-host").host(&host).send();
        assert_eq!(
            (g.status, g.body.as_slice()),
            (200, b"x".as_slice()),
            "{host}"
        );
    }
    env.req("DELETE", "via-host").send();

    env.put("x", b"1");
    let r = env.req("DELETE", "").send();
    assert_eq!(
        (r.status, r.code().as_deref()),
        (409, Some("BucketNotEmpty"))
    );
    env.req("DELETE", "x").send();
    assert_eq!(env.req("DELETE", "").send().status, 204);
    let r = env.req("DELETE", "").send();
    assert_eq!((r.status, r.code().as_deref()), (404, Some("NoSuchBucket")));
    let r = env
        .req("PUT", "")
        .bucket(Some("Bad_Name"))
        .path_style()
        .send();
    assert_eq!(
        (r.status, r.code().as_deref()),
        (400, Some("InvalidBucketName"))
    );
    // Unsupported sub-resources → 501.
    let r = env
        .req("GET", "")
        .bucket(Some("other-1250000000"))
        .flag("lifecycle")
        .send();
    assert_eq!(
        (r.status, r.code().as_deref()),
        (501, Some("NotImplemented"))
    );
    // Object tagging is implemented (ops/tagging_acl.rs): a bad document is refused as
    // such; so are bucket tagging and ACL (ops/bucket_config.rs).
    let r = env
        .req("PUT", "k")
        .bucket(Some("other-1250000000"))
        .flag("tagging")
        .body(b"<x/>")
        .send();
    assert_eq!((r.status, r.code().as_deref()), (400, Some("MalformedXML")));
    let r = env
        .req("GET", "")
        .bucket(Some("other-1250000000"))
        .flag("tagging")
        .send();
    assert_eq!((r.status, r.code().as_deref()), (404, Some("NoSuchTagSet")));
    // Bucket tagging needs Content-MD5, as bucket CORS does.
    let r = env
        .req("PUT", "")
        .bucket(Some("other-1250000000"))
        .flag("tagging")
        .body(b"<Tagging><TagSet></TagSet></Tagging>")
        .send();
    assert_eq!(
        (r.status, r.code().as_deref()),
        (400, Some("InvalidRequest"))
    );
    let r = env
        .req("GET", "")
        .bucket(Some("other-1250000000"))
        .flag("acl")
        .send();
    assert_eq!(r.status, 200);
    assert_eq!(r.header("x-cos-acl"), Some("private"));
    // A bucket's canned ACL may not be `default` (that is an object's).
    let r = env
        .req("PUT", "")
        .bucket(Some("other-1250000000"))
        .flag("acl")
        .header("x-cos-acl", "default")
        .send();
    assert_eq!(
        (r.status, r.code().as_deref()),
        (400, Some("InvalidArgument"))
    );
    // Other verbs on those sub-resources stay unsupported.
    let r = env
        .req("DELETE", "")
        .bucket(Some("other-1250000000"))
        .flag("acl")
        .send();
    assert_eq!(
        (r.status, r.code().as_deref()),
        (501, Some("NotImplemented"))
    );
}

#[test]
fn delete_multiple() {
    let env = start();
    for k in ["m1", "m2", "m3"] {
        env.put(k, b"x");
    }
    let xml = "<Delete><Quiet>false</Quiet><Object><Key>m1</Key></Object><Object><Key>m2</Key></Object><Object><Key>absent</Key></Object></Delete>";
    let r = env
        .req("POST", "")
        .flag("delete")
        .body(xml.as_bytes())
        .send();
    assert_eq!(
        (r.status, r.code().as_deref()),
        (400, Some("InvalidRequest")),
        "Content-MD5 is mandatory"
    );
    let r = env
        .req("POST", "")
        .flag("delete")
        .header("Content-Type", "application/xml")
        .header("Content-MD5", &md5_b64(xml.as_bytes()))
        .body(xml.as_bytes())
        .send();
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.xml_all("Key"), ["m1", "m2", "absent"]);
    assert_eq!(env.get("m1").status, 404);
    assert_eq!(env.get("m3").status, 200);
    let quiet = "<Delete><Quiet>true</Quiet><Object><Key>m3</Key></Object></Delete>";
    let r = env
        .req("POST", "")
        .flag("delete")
        .header("Content-MD5", &md5_b64(quiet.as_bytes()))
        .body(quiet.as_bytes())
        .send();
    assert_eq!(r.status, 200);
    assert!(r.xml_all("Deleted").is_empty());
    assert_eq!(env.get("m3").status, 404);
    let bad = "<Delete><Object>";
    let r = env
        .req("POST", "")
        .flag("delete")
        .header("Content-MD5", &md5_b64(bad.as_bytes()))
        .body(bad.as_bytes())
        .send();
    assert_eq!((r.status, r.code().as_deref()), (400, Some("MalformedXML")));
    let r = env
        .req("POST", "")
        .flag("delete")
        .header("Content-MD5", &md5_b64(b"other"))
        .body(quiet.as_bytes())
        .send();
    assert_eq!((r.status, r.code().as_deref()), (400, Some("BadDigest")));
}

#[test]
fn copy_object() {
    let env = start();
    env.req("PUT", "").bucket(Some("dst-1250000000")).send();
    let body = data(5000, 3);
    env.req("PUT", "src/a b+c")
        .header("Content-Type", "image/png")
        .header("x-cos-meta-k", "v")
        .body(&body)
        .send();
    let source = format!("{BUCKET}.cos.{REGION}.myqcloud.com/src/a%20b%2Bc");
    let r = env
        .req("PUT", "copy1")
        .header("x-cos-copy-source", &source)
        .send();
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.xml("ETag").unwrap(), format!("\"{}\"", md5_hex(&body)));
    assert_eq!(r.xml("CRC64").unwrap(), crc64::checksum(&body).to_string());
    assert!(r.xml("LastModified").unwrap().ends_with('Z'));
    let g = env.get("copy1");
    assert_eq!(g.body, body);
    assert_eq!(g.header("content-type"), Some("image/png"));
    assert_eq!(g.header("x-cos-meta-k"), Some("v"));
    // Other bucket with Replaced metadata.
    let r = env
        .req("PUT", "copy2")
        .bucket(Some("dst-1250000000"))
        .header("x-cos-copy-source", &source)
        .header("x-cos-metadata-directive", "Replaced")
        .header("Content-Type", "text/plain")
        .header("x-cos-meta-new", "1")
        .send();
    assert_eq!(r.status, 200, "{}", r.text());
    let g = env
        .req("GET", "copy2")
        .bucket(Some("dst-1250000000"))
        .send();
    assert_eq!(g.body, body);
    assert_eq!(g.header("content-type"), Some("text/plain"));
    assert_eq!(g.header("x-cos-meta-new"), Some("1"));
    assert_eq!(g.header("x-cos-meta-k"), None);
    // Copy onto itself needs Replaced.
    let selfsrc = format!("{BUCKET}.cos.{REGION}.myqcloud.com/copy1");
    let r = env
        .req("PUT", "copy1")
        .header("x-cos-copy-source", &selfsrc)
        .send();
    assert_eq!(
        (r.status, r.code().as_deref()),
        (400, Some("InvalidRequest"))
    );
    let r = env
        .req("PUT", "copy1")
        .header("x-cos-copy-source", &selfsrc)
        .header("x-cos-metadata-directive", "Replaced")
        .header("x-cos-storage-class", "STANDARD_IA")
        .send();
    assert_eq!(r.status, 200);
    assert_eq!(
        env.req("HEAD", "copy1")
            .send()
            .header("x-cos-storage-class"),
        Some("STANDARD_IA")
    );
    // Missing source, bad source, failed precondition.
    let r = env
        .req("PUT", "c3")
        .header(
            "x-cos-copy-source",
            &format!("{BUCKET}.cos.{REGION}.myqcloud.com/none"),
        )
        .send();
    assert_eq!((r.status, r.code().as_deref()), (404, Some("NoSuchKey")));
    let r = env
        .req("PUT", "c3")
        .header("x-cos-copy-source", "garbage")
        .send();
    assert_eq!(r.status, 400);
    let r = env
        .req("PUT", "c3")
        .header("x-cos-copy-source", &source)
        .header("x-cos-copy-source-If-Match", "\"nope\"")
        .send();
    assert_eq!(r.status, 412);
}

fn initiate(env: &Env, key: &str) -> String {
    let r = env
        .req("POST", key)
        .flag("uploads")
        .header("x-cos-meta-m", "1")
        .header("Content-Type", "video/mp4")
        .send();
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.xml("Key").as_deref(), Some(key));
    r.xml("UploadId").unwrap()
}

fn upload_part(env: &Env, key: &str, id: &str, n: u32, body: &[u8]) -> common::Resp {
    env.req("PUT", key)
        .query("partNumber", &n.to_string())
        .query("uploadId", id)
        .body(body)
        .send()
}

fn complete_xml(parts: &[(u32, String)]) -> String {
    let mut x = String::from("<CompleteMultipartUpload>");
    for (n, e) in parts {
        x.push_str(&format!(
            "<Part><PartNumber>{n}</PartNumber><ETag>{e}</ETag></Part>"
        ));
    }
    x + "</CompleteMultipartUpload>"
}

#[test]
fn multipart_upload_complete() {
    let env = start();
    let id = initiate(&env, "big");
    let mib = 1024 * 1024;
    let parts: Vec<Vec<u8>> = vec![data(mib, 10), data(mib + 7, 11), data(1234, 12)];
    let mut listed = Vec::new();
    // Upload out of order; re-upload part 2.
    for n in [3u32, 1, 2, 2] {
        let p = &parts[n as usize - 1];
        let r = upload_part(&env, "big", &id, n, p);
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.etag(), format!("\"{}\"", md5_hex(p)));
        assert_eq!(r.crc(), Some(crc64::checksum(p)));
    }
    for (i, p) in parts.iter().enumerate() {
        listed.push((i as u32 + 1, format!("\"{}\"", md5_hex(p))));
    }
    assert_eq!(env.server.stats().get("upload_part"), 4);

    // List Parts with pagination.
    let l = env
        .req("GET", "big")
        .query("uploadId", &id)
        .query("max-parts", "2")
        .send();
    assert_eq!(l.status, 200, "{}", l.text());
    assert_eq!(l.xml_all("PartNumber"), ["1", "2"]);
    assert_eq!(l.xml("IsTruncated").as_deref(), Some("true"));
    assert_eq!(l.xml("NextPartNumberMarker").as_deref(), Some("2"));
    let l = env
        .req("GET", "big")
        .query("uploadId", &id)
        .query("part-number-marker", "2")
        .send();
    assert_eq!(l.xml_all("PartNumber"), ["3"]);
    assert_eq!(l.xml_all("Size"), ["1234"]);
    assert_eq!(l.xml("IsTruncated").as_deref(), Some("false"));

    // Complete errors.
    let bad_order = complete_xml(&[listed[1].clone(), listed[0].clone()]);
    let r = env
        .req("POST", "big")
        .query("uploadId", &id)
        .body(bad_order.as_bytes())
        .send();
    assert_eq!(
        (r.status, r.code().as_deref()),
        (400, Some("InvalidPartOrder"))
    );
    let gap = complete_xml(&[listed[0].clone(), listed[2].clone()]);
    let r = env
        .req("POST", "big")
        .query("uploadId", &id)
        .body(gap.as_bytes())
        .send();
    assert_eq!((r.status, r.code().as_deref()), (400, Some("InvalidPart")));
    let wrong = complete_xml(&[(1, "\"00\"".into()), listed[1].clone(), listed[2].clone()]);
    let r = env
        .req("POST", "big")
        .query("uploadId", &id)
        .body(wrong.as_bytes())
        .send();
    assert_eq!((r.status, r.code().as_deref()), (400, Some("InvalidPart")));
    let r = env
        .req("POST", "big")
        .query("uploadId", &id)
        .body(b"<Complete")
        .send();
    assert_eq!((r.status, r.code().as_deref()), (400, Some("MalformedXML")));
    let r = env
        .req("POST", "big")
        .query("uploadId", "nope")
        .body(complete_xml(&listed).as_bytes())
        .send();
    assert_eq!((r.status, r.code().as_deref()), (404, Some("NoSuchUpload")));

    let r = env
        .req("POST", "big")
        .query("uploadId", &id)
        .body(complete_xml(&listed).as_bytes())
        .send();
    assert_eq!(r.status, 200, "{}", r.text());
    let etag = r.xml("ETag").unwrap();
    assert!(etag.starts_with('"') && etag.ends_with("-3\""), "{etag}");
    let whole: Vec<u8> = parts.concat();
    let mut crc = 0;
    for p in &parts {
        crc = crc64::combine(crc, crc64::checksum(p), p.len() as u64);
    }
    assert_eq!(crc, crc64::checksum(&whole));
    assert_eq!(r.crc(), Some(crc));
    assert_eq!(r.xml("Key").as_deref(), Some("big"));
    let g = env.get("big");
    assert_eq!(g.body.len(), whole.len());
    assert!(g.body == whole);
    assert_eq!(g.etag(), etag);
    assert_eq!(g.crc(), Some(crc));
    assert_eq!(g.header("x-cos-meta-m"), Some("1"));
    assert_eq!(g.header("content-type"), Some("video/mp4"));
    // The upload is gone.
    let l = env.req("GET", "big").query("uploadId", &id).send();
    assert_eq!((l.status, l.code().as_deref()), (404, Some("NoSuchUpload")));

    // Ranges across and inside parts (a multipart object keeps its parts as segments).
    for (a, b) in [
        (mib - 10, mib + 10),
        (0, mib - 1),
        (mib, 2 * mib + 6),
        (2 * mib + 7, whole.len() - 1),
        (5, 5),
    ] {
        let g = env
            .req("GET", "big")
            .header("Range", &format!("bytes={a}-{b}"))
            .send();
        assert_eq!(g.status, 206);
        assert!(g.body == whole[a..=b], "range {a}-{b}");
    }
    let g = env.req("GET", "big").header("Range", "bytes=-1240").send();
    assert!(g.body == whole[whole.len() - 1240..]);
    // Copy of a multipart object, then the source is deleted: the copy stays whole.
    let src = format!("{BUCKET}.cos.{REGION}.myqcloud.com/big");
    let c = env
        .req("PUT", "big-copy")
        .header("x-cos-copy-source", &src)
        .send();
    assert_eq!(c.status, 200, "{}", c.text());
    assert_eq!(c.xml("ETag").unwrap(), etag);
    assert_eq!(env.req("DELETE", "big").send().status, 204);
    let g = env.get("big-copy");
    assert!(g.body == whole);
    assert_eq!(g.crc(), Some(crc));
    // Part copy from a multipart source, across its segment boundary.
    let id2 = initiate(&env, "from-mp");
    let r = env
        .req("PUT", "from-mp")
        .query("partNumber", "1")
        .query("uploadId", &id2)
        .header(
            "x-cos-copy-source",
            &format!("{BUCKET}.cos.{REGION}.myqcloud.com/big-copy"),
        )
        .header(
            "x-cos-copy-source-range",
            &format!("bytes={}-{}", mib - 100, mib + 99),
        )
        .send();
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.xml("ETag").unwrap(),
        format!("\"{}\"", md5_hex(&whole[mib - 100..mib + 100]))
    );
    env.req("DELETE", "from-mp").query("uploadId", &id2).send();
    // Deleting everything leaves no data files behind.
    assert_eq!(env.req("DELETE", "big-copy").send().status, 204);
    let mut stack = vec![env.dir.path().to_path_buf()];
    let mut data_files = Vec::new();
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "data") {
                data_files.push(p);
            }
        }
    }
    assert!(data_files.is_empty(), "{data_files:?}");
}

#[test]
fn multipart_small_parts_abort_and_list_uploads() {
    let env = start();
    let id = initiate(&env, "small");
    let a = data(1000, 1);
    let b = data(1000, 2);
    let ea = upload_part(&env, "small", &id, 1, &a).etag();
    let eb = upload_part(&env, "small", &id, 2, &b).etag();
    let r = env
        .req("POST", "small")
        .query("uploadId", &id)
        .body(complete_xml(&[(1, ea), (2, eb)]).as_bytes())
        .send();
    assert_eq!(
        (r.status, r.code().as_deref()),
        (400, Some("EntityTooSmall"))
    );
    let r = upload_part(&env, "small", &id, 0, b"x");
    assert_eq!(r.status, 400);
    let r = upload_part(&env, "small", "unknown", 1, b"x");
    assert_eq!((r.status, r.code().as_deref()), (404, Some("NoSuchUpload")));

    // Several uploads, listed with markers and prefix.
    let id2 = initiate(&env, "small");
    let id3 = initiate(&env, "dir/other");
    let id4 = initiate(&env, "zeta");
    let l = env.req("GET", "").flag("uploads").send();
    assert_eq!(l.status, 200, "{}", l.text());
    assert_eq!(l.xml_all("Key"), ["dir/other", "small", "small", "zeta"]);
    let l = env
        .req("GET", "")
        .flag("uploads")
        .query("prefix", "sm")
        .send();
    assert_eq!(l.xml_all("UploadId").len(), 2);
    let l = env
        .req("GET", "")
        .flag("uploads")
        .query("delimiter", "/")
        .send();
    assert_eq!(l.xml_all("Key"), ["small", "small", "zeta"]);
    let l = env
        .req("GET", "")
        .flag("uploads")
        .query("max-uploads", "2")
        .send();
    assert_eq!(l.xml("IsTruncated").as_deref(), Some("true"));
    let (km, um) = (
        l.xml("NextKeyMarker").unwrap(),
        l.xml("NextUploadIdMarker").unwrap(),
    );
    assert_eq!(km, "small");
    let l = env
        .req("GET", "")
        .flag("uploads")
        .query("key-marker", &km)
        .query("upload-id-marker", &um)
        .send();
    let rest = l.xml_all("Key");
    assert_eq!(rest, ["small", "zeta"]);
    let _ = (id2, id3, id4);

    // Bucket with uploads is not empty.
    let r = env.req("DELETE", "").send();
    assert_eq!(r.code().as_deref(), Some("BucketNotEmpty"));
    // Abort.
    assert_eq!(
        env.req("DELETE", "small")
            .query("uploadId", &id)
            .send()
            .status,
        204
    );
    let r = env.req("DELETE", "small").query("uploadId", &id).send();
    assert_eq!((r.status, r.code().as_deref()), (404, Some("NoSuchUpload")));
    assert_eq!(env.server.stats().get("abort"), 2);
}

#[test]
fn upload_part_copy() {
    let env = start();
    let src = data(3 * 1024 * 1024 + 100, 9);
    env.put("source", &src);
    let id = initiate(&env, "assembled");
    let source = format!("{BUCKET}.cos.{REGION}.myqcloud.com/source");
    let mut etags = Vec::new();
    let ranges = [
        (0u64, 2 * 1024 * 1024 - 1),
        (2 * 1024 * 1024, src.len() as u64 - 1),
    ];
    for (i, (a, b)) in ranges.iter().enumerate() {
        let r = env
            .req("PUT", "assembled")
            .query("partNumber", &(i + 1).to_string())
            .query("uploadId", &id)
            .header("x-cos-copy-source", &source)
            .header("x-cos-copy-source-range", &format!("bytes={a}-{b}"))
            .send();
        assert_eq!(r.status, 200, "{}", r.text());
        let slice = &src[*a as usize..=*b as usize];
        assert_eq!(r.xml("ETag").unwrap(), format!("\"{}\"", md5_hex(slice)));
        assert_eq!(r.crc(), Some(crc64::checksum(slice)));
        etags.push((i as u32 + 1, r.xml("ETag").unwrap()));
    }
    let r = env
        .req("PUT", "assembled")
        .query("partNumber", "3")
        .query("uploadId", &id)
        .header("x-cos-copy-source", &source)
        .header("x-cos-copy-source-range", "bytes=5-999999999")
        .send();
    assert_eq!(r.status, 400);
    let r = env
        .req("POST", "assembled")
        .query("uploadId", &id)
        .body(complete_xml(&etags).as_bytes())
        .send();
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.crc(), Some(crc64::checksum(&src)));
    assert!(env.get("assembled").body == src);
    assert_eq!(env.server.stats().get("upload_part_copy"), 3);
}

#[test]
fn auto_create_buckets() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.auto_create_buckets = true;
    let server = qcos_server::Server::start(cfg).unwrap();
    let env = Env {
        server,
        dir,
        agent: agent(),
    };
    env.put("k", b"v");
    assert_eq!(env.get("k").body, b"v");
}

#[test]
fn large_object_streams() {
    // ~20 MiB through PUT, ranged GET and multipart parts.
    let env = start();
    let body = data(20 * 1024 * 1024 + 3, 77);
    let r = env.put("huge", &body);
    assert_eq!(r.crc(), Some(crc64::checksum(&body)));
    let g = env.get("huge");
    assert!(g.body == body);
    let g = env
        .req("GET", "huge")
        .header("Range", "bytes=10000000-10999999")
        .send();
    assert!(g.body == body[10_000_000..11_000_000]);
}

#[test]
fn benchmark_etag_mode_makes_etags_from_crc64_and_still_checks_content_md5() {
    let env = start_with(|c| c.etag_from_crc64 = true);
    let crc_etag = |b: &[u8]| format!("\"{:016x}{:016x}\"", crc64::checksum(b), b.len());
    // Small and large (pipelined-size) bodies, without Content-MD5.
    for (i, len) in [0usize, 5, 3 << 20].into_iter().enumerate() {
        let body = data(len, i as u32);
        let r = env.req("PUT", "bench/o").body(&body).send();
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.etag(), crc_etag(&body));
        assert_eq!(r.crc(), Some(crc64::checksum(&body)));
        let g = env.get("bench/o");
        assert_eq!(g.body, body);
        assert_eq!(g.etag(), crc_etag(&body));
    }
    // With Content-MD5 the MD5 is computed and checked (and becomes the ETag).
    let body = data(70_000, 9);
    let r = env
        .req("PUT", "bench/m")
        .header("Content-MD5", &md5_b64(&body))
        .body(&body)
        .send();
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.etag(), format!("\"{}\"", md5_hex(&body)));
    let r = env
        .req("PUT", "bench/m")
        .header("Content-MD5", &md5_b64(b"other bytes"))
        .body(&body)
        .send();
    assert_eq!(r.status, 400);
    assert_eq!(r.code().as_deref(), Some("BadDigest"));
    // Parts get the same ETags, and Complete accepts them.
    let id = initiate(&env, "bench/mp");
    let p1 = data(1 << 20, 1);
    let p2 = data(1000, 2);
    let e1 = upload_part(&env, "bench/mp", &id, 1, &p1).etag();
    let e2 = upload_part(&env, "bench/mp", &id, 2, &p2).etag();
    assert_eq!(e1, crc_etag(&p1));
    assert_eq!(e2, crc_etag(&p2));
    let c = env
        .req("POST", "bench/mp")
        .query("uploadId", &id)
        .body(complete_xml(&[(1, e1), (2, e2)]).as_bytes())
        .send();
    assert_eq!(c.status, 200, "{}", c.text());
    let g = env.get("bench/mp");
    assert_eq!(g.body, [p1, p2].concat());
}
