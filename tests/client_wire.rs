//! What goes on the wire, checked with a scripted loopback peer: the Host header sent
//! with an endpoint override, the signed header list, the retry marker, and a Complete
//! Multipart Upload answered with whitespace and an `<Error>` inside a 200.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use qcos::auth::{Credentials, parse_authorization};
use qcos::{Body, Client, Config, PutObjectOptions, Status};

/// One captured request: the head lines (request line first) and the body.
#[derive(Debug, Clone)]
struct Captured {
    head: Vec<String>,
    body: Vec<u8>,
}

impl Captured {
    fn header(&self, name: &str) -> Option<String> {
        self.head.iter().skip(1).find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_string())
        })
    }
}

/// Serves the scripted raw responses in order (one per request, keep-alive), records
/// every request.
fn scripted(responses: Vec<String>) -> (String, Arc<Mutex<Vec<Captured>>>, JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen2 = seen.clone();
    let handle = std::thread::spawn(move || {
        let mut script = responses.into_iter();
        'conns: while let Ok((stream, _)) = listener.accept() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut out = stream;
            loop {
                let mut head = Vec::new();
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        continue 'conns;
                    }
                    let line = line.trim_end().to_string();
                    if line.is_empty() {
                        break;
                    }
                    head.push(line);
                }
                let mut cap = Captured {
                    head,
                    body: Vec::new(),
                };
                let len: usize = cap
                    .header("content-length")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                cap.body.resize(len, 0);
                reader.read_exact(&mut cap.body).unwrap();
                seen2.lock().unwrap().push(cap);
                match script.next() {
                    Some(r) => {
                        out.write_all(r.as_bytes()).unwrap();
                        out.flush().unwrap();
                    }
                    None => return,
                }
                if script.len() == 0 {
                    return;
                }
            }
        }
    });
    (endpoint, seen, handle)
}

fn response(status: &str, headers: &[(&str, &str)], body: &str) -> String {
    let mut r = format!("HTTP/1.1 {status}\r\n");
    for (k, v) in headers {
        r.push_str(&format!("{k}: {v}\r\n"));
    }
    r.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    r
}

fn client(endpoint: &str) -> Client {
    let mut cfg = Config::new("ap-guangzhou", "wire-1250000000");
    cfg.endpoint = Some(endpoint.to_string());
    cfg.credentials = Some(Credentials::new("AKIDwire", "wireSecret"));
    cfg.retry_base_delay_ms = 1;
    Client::new(cfg).unwrap()
}

#[test]
fn endpoint_override_sends_and_signs_the_real_cos_host_and_marks_retries() {
    let slow = response(
        "503 Service Unavailable",
        &[
            ("x-cos-request-id", "r1"),
            ("Content-Type", "application/xml"),
        ],
        "<Error><Code>SlowDown</Code><Message>slow</Message></Error>",
    );
    let ok = response(
        "200 OK",
        &[
            ("x-cos-request-id", "r2"),
            ("ETag", "\"5d41402abc4b2a76b9719d911017c592\""),
            (
                "x-cos-hash-crc64ecma",
                &qcos::crc64::checksum(b"hello").to_string(),
            ),
        ],
        "",
    );
    let (endpoint, seen, handle) = scripted(vec![slow, ok]);
    let c = client(&endpoint);
    let out = c
        .put_object(
            "dir/a b.txt",
            Body::Bytes(b"hello"),
            &PutObjectOptions {
                meta: vec![("x".into(), "1".into())],
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(out.request_id, "r2");
    handle.join().unwrap();
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 2);
    for (i, req) in seen.iter().enumerate() {
        assert_eq!(req.head[0], "PUT /dir/a%20b.txt HTTP/1.1");
        assert_eq!(
            req.header("host").as_deref(),
            Some("wire-1250000000.cos.ap-guangzhou.myqcloud.com"),
            "ureq sends our Host, not the endpoint's"
        );
        assert_eq!(req.body, b"hello");
        let authz = parse_authorization(&req.header("authorization").unwrap()).unwrap();
        assert!(authz.header_list.contains(&"host".to_string()));
        assert!(authz.header_list.contains(&"x-cos-meta-x".to_string()));
        assert!(authz.header_list.contains(&"content-length".to_string()));
        assert_eq!(req.header("x-cos-sdk-retry").is_some(), i == 1);
        if i == 1 {
            assert!(authz.header_list.contains(&"x-cos-sdk-retry".to_string()));
        }
        assert!(!req.head.iter().any(|l| l.contains("wireSecret")));
    }
}

#[test]
fn complete_with_error_inside_200_after_whitespace_fails() {
    let body = format!(
        "{}<?xml version='1.0' encoding='utf-8' ?>\n<Error><Code>InternalError</Code><Message>merge failed</Message><RequestId>in-body</RequestId></Error>",
        " ".repeat(300)
    );
    let r = response("200 OK", &[("x-cos-request-id", "hdr")], &body);
    let (endpoint, seen, handle) = scripted(vec![r]);
    let c = client(&endpoint);
    let e = c
        .complete_multipart_upload("big", "UPLOAD", &[(1, "\"aa\"".into())])
        .unwrap_err();
    handle.join().unwrap();
    assert_eq!(e.status(), Status::Service);
    let s = e.service().unwrap();
    assert_eq!(
        (s.http_status, s.code.as_str(), s.request_id.as_str()),
        (200, "InternalError", "in-body")
    );
    let seen = seen.lock().unwrap();
    assert_eq!(seen[0].head[0], "POST /big?uploadId=UPLOAD HTTP/1.1");
    assert_eq!(
        String::from_utf8(seen[0].body.clone()).unwrap(),
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&quot;aa&quot;</ETag></Part></CompleteMultipartUpload>"
    );
    assert!(seen[0].header("content-md5").is_some());
}

fn copy_error_200() -> String {
    response(
        "200 OK",
        &[("x-cos-request-id", "c1")],
        "<Error><Code>InternalError</Code><Message>copy failed</Message></Error>",
    )
}

fn src() -> qcos::CopySource {
    qcos::CopySource {
        bucket: "src-1250000000".into(),
        region: "ap-beijing".into(),
        key: "a".into(),
        version_id: None,
    }
}

#[test]
fn copy_with_error_inside_200_fails_after_retries() {
    let (endpoint, seen, handle) = scripted(vec![copy_error_200(), copy_error_200()]);
    let mut cfg = Config::new("ap-guangzhou", "wire-1250000000");
    cfg.endpoint = Some(endpoint);
    cfg.credentials = Some(Credentials::new("AKIDwire", "wireSecret"));
    cfg.retry_base_delay_ms = 1;
    cfg.max_retries = 1;
    let c = Client::new(cfg).unwrap();
    let e = c
        .copy_object("b", &src(), &qcos::CopyObjectOptions::default())
        .unwrap_err();
    handle.join().unwrap();
    let s = e.service().unwrap();
    assert_eq!(
        (s.http_status, s.code.as_str(), s.request_id.as_str()),
        (200, "InternalError", "c1")
    );
    assert_eq!(seen.lock().unwrap().len(), 2);
}

#[test]
fn copy_with_temporary_error_inside_200_is_sent_again() {
    let ok = response(
        "200 OK",
        &[("x-cos-request-id", "c2")],
        "<CopyPartResult><ETag>\"abc\"</ETag><LastModified>2024-01-01T00:00:00Z</LastModified></CopyPartResult>",
    );
    let (endpoint, seen, handle) = scripted(vec![copy_error_200(), ok]);
    let c = client(&endpoint);
    let part = c
        .upload_part_copy("b", "UP", 3, &src(), Some((0, 99)))
        .unwrap();
    handle.join().unwrap();
    assert_eq!(part.etag, "\"abc\"");
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].head[0], "PUT /b?partNumber=3&uploadId=UP HTTP/1.1");
    assert_eq!(
        seen[0].header("x-cos-copy-source-range").as_deref(),
        Some("bytes=0-99")
    );
    assert_eq!(
        seen[0].header("x-cos-copy-source").as_deref(),
        Some("src-1250000000.cos.ap-beijing.myqcloud.com/a")
    );
    assert!(seen[0].header("x-cos-sdk-retry").is_none());
    assert_eq!(seen[1].header("x-cos-sdk-retry").as_deref(), Some("true"));
}

fn list_page(truncated: bool, next_marker: Option<&str>, keys: &[&str]) -> String {
    let mut body = format!(
        "<ListBucketResult><Name>wire-1250000000</Name><MaxKeys>2</MaxKeys>\
         <IsTruncated>{truncated}</IsTruncated>"
    );
    if let Some(m) = next_marker {
        body.push_str(&format!("<NextMarker>{m}</NextMarker>"));
    }
    for k in keys {
        body.push_str(&format!(
            "<Contents><Key>{k}</Key><Size>1</Size></Contents>"
        ));
    }
    body.push_str("</ListBucketResult>");
    response("200 OK", &[("Content-Type", "application/xml")], &body)
}

/// The pages the pager yields (at most 10, so a pager that loops still ends the test).
fn pages(c: &Client, marker: &str) -> Vec<qcos::Result<qcos::ListObjectsPage>> {
    c.list_objects_pages(qcos::ListObjectsOptions {
        marker: marker.into(),
        ..Default::default()
    })
    .take(10)
    .collect()
}

fn protocol_message(r: &qcos::Result<qcos::ListObjectsPage>) -> String {
    match r {
        Err(e @ qcos::Error::Protocol(_)) => e.to_string(),
        other => panic!("expected a protocol error, got {other:?}"),
    }
}

#[test]
fn list_pager_refuses_a_marker_that_goes_back() {
    let (endpoint, seen, handle) = scripted(vec![
        list_page(
            true,
            Some("photos/b.jpg"),
            &["photos/a.jpg", "photos/b.jpg"],
        ),
        // Claims more pages but sends the pager back before where it was.
        list_page(true, Some("photos/a.jpg"), &["photos/a.jpg"]),
    ]);
    let c = client(&endpoint);
    let got = pages(&c, "");
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[0].as_ref().unwrap().objects.len(), 2);
    let m = protocol_message(&got[1]);
    assert!(
        m.contains("\"photos/b.jpg\"") && m.contains("\"photos/a.jpg\""),
        "{m}"
    );
    assert_eq!(seen.lock().unwrap().len(), 2, "no request after the error");
    assert!(seen.lock().unwrap()[1].head[0].contains("marker=photos%2Fb.jpg"));
    handle.join().unwrap();
}

#[test]
fn list_pager_refuses_a_truncated_page_with_nothing_to_continue_from() {
    let (endpoint, seen, handle) = scripted(vec![list_page(true, None, &[])]);
    let c = client(&endpoint);
    let got = pages(&c, "logs/2024-12-31.gz");
    assert_eq!(got.len(), 1, "{got:?}");
    let m = protocol_message(&got[0]);
    assert!(
        m.contains("\"logs/2024-12-31.gz\""),
        "names the marker: {m}"
    );
    assert_eq!(seen.lock().unwrap().len(), 1);
    handle.join().unwrap();
}

#[test]
fn list_pager_refuses_the_same_page_again() {
    // No NextMarker: the pager continues after the last key, then gets that page again.
    let (endpoint, seen, handle) = scripted(vec![
        list_page(true, None, &["k1"]),
        list_page(true, None, &["k1"]),
    ]);
    let c = client(&endpoint);
    let got = pages(&c, "");
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[0].as_ref().unwrap().next_marker, "k1");
    let m = protocol_message(&got[1]);
    assert!(m.contains("marker \"k1\""), "{m}");
    assert_eq!(seen.lock().unwrap().len(), 2);
    handle.join().unwrap();
}

#[test]
fn body_crc_is_computed_while_sending_unless_the_caller_hashed_the_bytes() {
    let ok = || response("200 OK", &[("x-cos-request-id", "R")], "");
    let (endpoint, seen, _h) = scripted(vec![ok(), ok()]);
    let c = client(&endpoint);
    let data = b"bytes hashed once".to_vec();
    let put = |hash: bool| {
        let req = c
            .put_object_request("k", Body::Bytes(&data), &PutObjectOptions::default())
            .unwrap();
        let req = if hash { req } else { req.without_body_crc() };
        c.http().send(req).unwrap()
    };
    assert_eq!(put(true).sent_crc64, Some(qcos::crc64::checksum(&data)));
    assert_eq!(put(false).sent_crc64, None);
    // Either way the same bytes went out.
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 2);
    assert!(seen.iter().all(|r| r.body == data));
}
