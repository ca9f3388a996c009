//! HTTP framing, fault injection, persistence and shutdown.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::*;
use qcos::crc64;
use qcos_server::{FaultAction, FaultRule, Server};

fn status_of(resp: &[u8]) -> u16 {
    let s = String::from_utf8_lossy(resp);
    s.split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

#[test]
fn chunked_body_and_expect_continue() {
    let env = start();
    // Chunked PUT.
    let head = raw_head("PUT", "chunked", &[], &[("Transfer-Encoding", "chunked")]);
    let mut msg = head.into_bytes();
    msg.extend_from_slice(
        b"Connection: close\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n",
    );
    let out = raw(&env, &msg, Duration::from_secs(10));
    assert_eq!(status_of(&out), 200, "{}", String::from_utf8_lossy(&out));
    assert_eq!(env.get("chunked").body, b"hello world");

    // Expect: 100-continue: the server answers 100 before reading the body.
    let head = raw_head(
        "PUT",
        "expect",
        &[],
        &[("Content-Length", "4"), ("Expect", "100-continue")],
    );
    let mut s = TcpStream::connect(env.server.addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(b"Connection: close\r\n\r\n").unwrap();
    let mut buf = [0u8; 25];
    s.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"HTTP/1.1 100 Continue\r\n\r\n");
    s.write_all(b"data").unwrap();
    let mut rest = Vec::new();
    s.read_to_end(&mut rest).unwrap();
    assert_eq!(status_of(&rest), 200, "{}", String::from_utf8_lossy(&rest));
    assert_eq!(env.get("expect").body, b"data");

    // Expect: 100-continue on a request refused before its body: no 100, an error, close.
    let mut s = TcpStream::connect(env.server.addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(b"PUT /x HTTP/1.1\r\nHost: test-1250000000.cos.ap-guangzhou.myqcloud.com\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n").unwrap();
    let mut resp = Vec::new();
    s.read_to_end(&mut resp).unwrap();
    assert_eq!(status_of(&resp), 403);
    assert!(String::from_utf8_lossy(&resp).contains("Connection: close"));
}

#[test]
fn keep_alive_head_and_framing() {
    let env = start();
    env.put("k", b"0123456789");
    // Two pipelined requests on one connection: GET then HEAD, then close.
    let mut msg = raw_head("GET", "k", &[], &[]).into_bytes();
    msg.extend_from_slice(b"\r\n");
    msg.extend_from_slice(raw_head("HEAD", "k", &[], &[]).as_bytes());
    msg.extend_from_slice(b"Connection: close\r\n\r\n");
    let out = String::from_utf8(raw(&env, &msg, Duration::from_secs(10))).unwrap();
    assert_eq!(out.matches("HTTP/1.1 200 OK").count(), 2, "{out}");
    assert_eq!(out.matches("Content-Length: 10").count(), 2);
    assert_eq!(
        out.matches("0123456789").count(),
        1,
        "HEAD sends no body: {out}"
    );
    assert!(out.ends_with("\r\n\r\n"), "{out}");
    // 204 carries Content-Length: 0.
    let mut msg = raw_head("DELETE", "k", &[], &[]).into_bytes();
    msg.extend_from_slice(b"Connection: close\r\n\r\n");
    let out = String::from_utf8(raw(&env, &msg, Duration::from_secs(10))).unwrap();
    assert!(out.starts_with("HTTP/1.1 204"), "{out}");
    assert!(out.contains("Content-Length: 0\r\n"));
    assert!(out.contains("x-cos-request-id: "));
    // Garbage gets a 400 and a close, not a crash.
    let out = raw(&env, b"NOT HTTP\r\n\r\n", Duration::from_secs(10));
    assert_eq!(status_of(&out), 400);
    let out = raw(
        &env,
        b"GET / HTTP/1.1\r\nbad header line\r\n\r\n",
        Duration::from_secs(10),
    );
    assert_eq!(status_of(&out), 400);
    let out = raw(
        &env,
        b"PUT /k HTTP/1.1\r\nHost: x\r\nContent-Length: zz\r\n\r\n",
        Duration::from_secs(10),
    );
    assert_eq!(status_of(&out), 400);
    // The server still works.
    env.put("k2", b"ok");
}

#[test]
fn fault_status_and_counting() {
    let env = start();
    env.server.faults().add(FaultRule {
        method: Some("PUT".into()),
        path_contains: Some("flaky".into()),
        query_contains: None,
        host_contains: None,
        nth: 2,
        times: 2,
        action: FaultAction::Status {
            http_status: 503,
            code: "SlowDown".into(),
            message: "Please reduce your request rate.".into(),
        },
    });
    let mut statuses = Vec::new();
    for i in 0..5 {
        let r = env
            .req("PUT", "flaky")
            .body(format!("v{i}").as_bytes())
            .send();
        if r.status == 503 {
            assert_eq!(r.code().as_deref(), Some("SlowDown"));
            assert!(r.header("x-cos-request-id").is_some());
        }
        statuses.push(r.status);
    }
    assert_eq!(statuses, [200, 503, 503, 200, 200]);
    assert_eq!(env.get("flaky").body, b"v4");
    assert_eq!(env.server.faults().fired(0), 2);
    let st = env.server.stats();
    assert_eq!(st.get("put_object"), 5, "{st:?}");
    assert_eq!(
        (st.get("put_bucket"), st.errors, st.faults_fired),
        (1, 2, 2)
    );
}

#[test]
fn fault_resets_leave_old_object_intact() {
    let env = start();
    let old = data(100, 1);
    env.put("obj", &old);
    // Large enough for the pipelined (helper-thread MD5) receive path.
    let new = data(6 * 1024 * 1024, 2);

    env.server
        .faults()
        .add(FaultRule::new(FaultAction::ResetMidBody).method("PUT"));
    let fresh = agent();
    let (url, headers) = env.req("PUT", "obj").prepare();
    let mut b = ureq::http::Request::builder().method("PUT").uri(&url);
    for (k, v) in &headers {
        b = b.header(k.as_str(), v.as_str());
    }
    assert!(
        fresh.run(b.body(new.as_slice()).unwrap()).is_err(),
        "connection reset mid-body"
    );
    assert_eq!(env.get("obj").body, old);

    env.server
        .faults()
        .add(FaultRule::new(FaultAction::ResetBeforeBody).method("PUT"));
    let (url, headers) = env.req("PUT", "obj").prepare();
    let mut b = ureq::http::Request::builder().method("PUT").uri(&url);
    for (k, v) in &headers {
        b = b.header(k.as_str(), v.as_str());
    }
    assert!(
        agent().run(b.body(new.as_slice()).unwrap()).is_err(),
        "reset before body"
    );
    assert_eq!(env.get("obj").body, old);

    // Rules are spent: the next PUT works.
    env.put("obj", &new);
    assert!(env.get("obj").body == new);
    // No temp files left behind.
    let tmp: Vec<_> = std::fs::read_dir(env.dir.path().join("tmp"))
        .unwrap()
        .collect();
    assert!(tmp.is_empty(), "{tmp:?}");
}

type RawGet = (u16, Vec<(String, String)>, Result<Vec<u8>, String>);

fn get_raw(env: &Env, key: &str) -> RawGet {
    let (url, headers) = env.req("GET", key).prepare();
    let mut b = ureq::http::Request::builder().method("GET").uri(&url);
    for (k, v) in &headers {
        b = b.header(k.as_str(), v.as_str());
    }
    let mut resp = agent().run(b.body(()).unwrap()).expect("response head");
    let hs = resp
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap().to_string()))
        .collect();
    let mut body = Vec::new();
    let r = resp.body_mut().as_reader().read_to_end(&mut body);
    (
        resp.status().as_u16(),
        hs,
        r.map(|_| body).map_err(|e| e.to_string()),
    )
}

#[test]
fn fault_response_body_faults() {
    let env = start();
    let body = data(300_000, 5);
    env.put("g", &body);
    for action in [FaultAction::ResetMidBody, FaultAction::TruncatedBody] {
        env.server.faults().clear();
        env.server
            .faults()
            .add(FaultRule::new(action.clone()).method("GET"));
        let (status, _, got) = get_raw(&env, "g");
        assert_eq!(status, 200);
        assert!(got.is_err(), "{action:?}: the body must come up short");
        assert!(
            get_raw(&env, "g").2.unwrap() == body,
            "later GETs are whole"
        );
    }
    // Stall delays, then answers normally.
    env.server
        .faults()
        .add(FaultRule::new(FaultAction::Stall(Duration::from_millis(400))).method("HEAD"));
    let t = Instant::now();
    assert_eq!(env.req("HEAD", "g").send().status, 200);
    assert!(t.elapsed() >= Duration::from_millis(350));
}

#[test]
fn fault_reset_after_bytes_cuts_at_that_byte_k_times() {
    use std::io::Read;
    let env = start();
    let body = data(300_000, 7);
    env.put("n", &body);
    env.server.faults().add(
        FaultRule::new(FaultAction::ResetAfterBytes(1000))
            .method("GET")
            .times(2),
    );
    for round in 0..3 {
        let (url, headers) = env.req("GET", "n").prepare();
        let mut b = ureq::http::Request::builder().method("GET").uri(&url);
        for (k, v) in &headers {
            b = b.header(k.as_str(), v.as_str());
        }
        let mut resp = agent().run(b.body(()).unwrap()).expect("response head");
        assert_eq!(resp.status().as_u16(), 200);
        let mut reader = resp.body_mut().as_reader();
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        let ended = loop {
            match reader.read(&mut buf) {
                Ok(0) => break Ok(()),
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(e) => break Err(e),
            }
        };
        if round < 2 {
            assert!(ended.is_err(), "round {round}: the body must come up short");
            assert_eq!(
                got,
                body[..1000],
                "round {round}: exactly the first 1000 bytes"
            );
        } else {
            assert!(ended.is_ok(), "after k cuts the body is whole");
            assert!(got == body);
        }
    }
    assert_eq!(env.server.faults().fired(0), 2);
}

#[test]
fn fault_wrong_checksums_and_xml() {
    let env = start();
    let body = data(1000, 6);
    env.server
        .faults()
        .add(FaultRule::new(FaultAction::WrongCrc64).method("PUT"));
    let r = env.put("c", &body);
    assert_ne!(r.crc(), Some(crc64::checksum(&body)));
    assert_eq!(
        env.req("HEAD", "c").send().crc(),
        Some(crc64::checksum(&body)),
        "stored CRC is right"
    );

    env.server
        .faults()
        .add(FaultRule::new(FaultAction::WrongEtag).method("GET"));
    let g = env.get("c");
    assert_eq!(g.body, body);
    assert_ne!(g.etag(), format!("\"{}\"", md5_hex(&body)));

    env.server
        .faults()
        .add(FaultRule::new(FaultAction::MalformedXml).query_contains("prefix"));
    let l = env.req("GET", "").query("prefix", "").send();
    assert_eq!(l.status, 200);
    assert!(
        roxmltree::Document::parse(&l.text()).is_err(),
        "{}",
        l.text()
    );
    let l = env.req("GET", "").query("prefix", "").send();
    assert!(roxmltree::Document::parse(&l.text()).is_ok());

    // WrongEtag on Complete rewrites the ETag in the XML body.
    let r = env.req("POST", "mp").flag("uploads").send();
    let id = r.xml("UploadId").unwrap();
    let p = env
        .req("PUT", "mp")
        .query("partNumber", "1")
        .query("uploadId", &id)
        .body(b"abc")
        .send();
    let xml = format!(
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{}</ETag></Part></CompleteMultipartUpload>",
        p.etag()
    );
    env.server.faults().add(
        FaultRule::new(FaultAction::WrongEtag)
            .method("POST")
            .query_contains("uploadId"),
    );
    let c = env
        .req("POST", "mp")
        .query("uploadId", &id)
        .body(xml.as_bytes())
        .send();
    assert_eq!(c.status, 200, "{}", c.text());
    assert_ne!(
        c.xml("ETag"),
        env.req("HEAD", "mp")
            .send()
            .header("etag")
            .map(String::from)
    );
}

#[test]
fn persistence_across_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (upload_id, part_etag);
    {
        let server = Server::start(config(dir.path())).unwrap();
        let env = Env {
            server,
            dir: tempfile::tempdir().unwrap(),
            agent: agent(),
        };
        assert_eq!(env.req("PUT", "").send().status, 200);
        env.req("PUT", "a/1")
            .header("x-cos-meta-x", "y")
            .header("Content-Type", "text/x")
            .body(b"one")
            .send();
        env.put("a/2", b"two");
        env.put("gone", b"x");
        env.req("DELETE", "gone").send();
        let r = env.req("POST", "mp").flag("uploads").send();
        upload_id = r.xml("UploadId").unwrap();
        part_etag = env
            .req("PUT", "mp")
            .query("partNumber", "1")
            .query("uploadId", &upload_id)
            .body(b"part")
            .send()
            .etag();
        // A completed two-part object survives the restart too.
        let r = env.req("POST", "two").flag("uploads").send();
        let id = r.xml("UploadId").unwrap();
        let p1 = data(1024 * 1024, 1);
        let e1 = env
            .req("PUT", "two")
            .query("partNumber", "1")
            .query("uploadId", &id)
            .body(&p1)
            .send()
            .etag();
        let e2 = env
            .req("PUT", "two")
            .query("partNumber", "2")
            .query("uploadId", &id)
            .body(b"tail")
            .send()
            .etag();
        let xml = format!(
            "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{e1}</ETag></Part><Part><PartNumber>2</PartNumber><ETag>{e2}</ETag></Part></CompleteMultipartUpload>"
        );
        assert_eq!(
            env.req("POST", "two")
                .query("uploadId", &id)
                .body(xml.as_bytes())
                .send()
                .status,
            200
        );
        env.server.stop();
    }
    // Debris of a crash: a temp file and an orphan data file are cleaned at start.
    std::fs::write(dir.path().join("tmp").join("leftover.data"), b"junk").unwrap();
    let orphan_dir = dir.path().join("buckets").join(BUCKET).join("o").join("zz");
    std::fs::create_dir_all(&orphan_dir).unwrap();
    std::fs::write(orphan_dir.join("orphan.123.data"), b"junk").unwrap();
    let server = Server::start(config(dir.path())).unwrap();
    assert!(!dir.path().join("tmp").join("leftover.data").exists());
    assert!(!orphan_dir.join("orphan.123.data").exists());
    let env = Env {
        server,
        dir: tempfile::tempdir().unwrap(),
        agent: agent(),
    };
    let g = env.get("a/1");
    assert_eq!(g.body, b"one");
    assert_eq!(g.header("x-cos-meta-x"), Some("y"));
    assert_eq!(g.header("content-type"), Some("text/x"));
    assert_eq!(
        env.req("GET", "").send().xml_all("Key"),
        ["a/1", "a/2", "two"]
    );
    let mut whole = data(1024 * 1024, 1);
    whole.extend_from_slice(b"tail");
    let g = env.get("two");
    assert!(g.body == whole);
    assert_eq!(g.crc(), Some(qcos::crc64::checksum(&whole)));
    let l = env.req("GET", "mp").query("uploadId", &upload_id).send();
    assert_eq!(l.xml_all("ETag"), std::slice::from_ref(&part_etag));
    let xml = format!(
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{part_etag}</ETag></Part></CompleteMultipartUpload>"
    );
    let c = env
        .req("POST", "mp")
        .query("uploadId", &upload_id)
        .body(xml.as_bytes())
        .send();
    assert_eq!(c.status, 200, "{}", c.text());
    assert_eq!(env.get("mp").body, b"part");
}

#[test]
fn stop_closes_listener_and_connections() {
    let env = start();
    env.put("k", b"v");
    let addr = env.server.addr();
    // An idle keep-alive connection and a stalled request are both ended by stop().
    let mut idle = TcpStream::connect(addr).unwrap();
    idle.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    env.server
        .faults()
        .add(FaultRule::new(FaultAction::Stall(Duration::from_secs(600))).method("GET"));
    let stalled = std::thread::spawn({
        let mut msg = raw_head("GET", "k", &[], &[]).into_bytes();
        msg.extend_from_slice(b"\r\n");
        move || {
            let mut s = TcpStream::connect(addr).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
            s.write_all(&msg).unwrap();
            let mut out = Vec::new();
            let _ = s.read_to_end(&mut out);
            out
        }
    });
    std::thread::sleep(Duration::from_millis(200));
    let t = Instant::now();
    let Env {
        server,
        dir: _dir,
        agent: _,
    } = env;
    server.stop();
    assert!(
        t.elapsed() < Duration::from_secs(15),
        "stop() returned promptly"
    );
    let mut b = [0u8; 1];
    assert_eq!(idle.read(&mut b).unwrap_or(0), 0, "idle connection closed");
    let _ = stalled.join().unwrap();
    assert!(
        TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_err(),
        "nothing accepts any more"
    );
}

#[test]
fn concurrent_clients() {
    let env = start();
    std::thread::scope(|s| {
        for t in 0..6u32 {
            let env = &env;
            s.spawn(move || {
                for i in 0..15u32 {
                    let own = format!("t{t}/k{i}");
                    let body = data(1000 + (t * 100 + i) as usize, t * 1000 + i);
                    env.put(&own, &body);
                    assert!(env.get(&own).body == body);
                    // Everyone also overwrites one shared key; any complete version may win.
                    let shared = data(5000, t);
                    env.put("shared", &shared);
                    let g = env.get("shared");
                    assert_eq!(g.status, 200);
                    assert_eq!(g.etag(), format!("\"{}\"", md5_hex(&g.body)));
                }
            });
        }
    });
    let l = env.req("GET", "").query("max-keys", "1000").send();
    assert_eq!(l.xml_all("Key").len(), 6 * 15 + 1);
    assert_eq!(env.server.stats().get("put_object"), 6 * 15 * 2);
}
