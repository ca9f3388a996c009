//! Bucket configuration end to end against qcos-server: bucket CORS (a rule set by the
//! client makes the server answer OPTIONS preflights by it), bucket ACL and bucket
//! tagging round trips (kept across a server restart), "none set" read as empty, a
//! missing bucket as an error, and bad input refused by the client before anything is
//! sent, with the problem named.

mod client_common;

use std::io::{Read, Write};
use std::net::TcpStream;

use client_common::*;
use qcos::{BucketAcl, BucketCannedAcl, Client, CorsRule, Error, Status};

const ALL_USERS: &str = "http://cam.qcloud.com/groups/global/AllUsers";

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

fn ops(env: &Env, name: &str) -> u64 {
    env.server.stats().ops.get(name).copied().unwrap_or(0)
}

fn invalid_message(e: Error) -> String {
    assert_eq!(e.status(), Status::InvalidArgument, "{e}");
    e.to_string()
}

fn service_code(e: &Error) -> (u16, String) {
    let s = e
        .service()
        .unwrap_or_else(|| panic!("not a service error: {e}"));
    (s.http_status, s.code.clone())
}

/// An unsigned OPTIONS preflight for `bucket`/`key`, as a browser sends it: the status
/// and the response headers (names lowercased).
fn preflight(
    env: &Env,
    bucket: &str,
    key: &str,
    origin: &str,
    method: &str,
    headers: Option<&str>,
) -> (u16, Vec<(String, String)>) {
    let addr = env
        .server
        .endpoint()
        .trim_start_matches("http://")
        .to_string();
    let mut conn = TcpStream::connect(&addr).expect("connect");
    let mut req = format!(
        "OPTIONS /{key} HTTP/1.1\r\nHost: {bucket}.cos.{REGION}.myqcloud.com\r\n\
         Origin: {origin}\r\nAccess-Control-Request-Method: {method}\r\n"
    );
    if let Some(h) = headers {
        req.push_str(&format!("Access-Control-Request-Headers: {h}\r\n"));
    }
    req.push_str("Content-Length: 0\r\nConnection: close\r\n\r\n");
    conn.write_all(req.as_bytes()).expect("send");
    let mut resp = Vec::new();
    conn.read_to_end(&mut resp).expect("read");
    let text = String::from_utf8_lossy(&resp);
    let head = text.split("\r\n\r\n").next().unwrap_or("");
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    let hdrs = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    (status, hdrs)
}

fn header<'a>(h: &'a [(String, String)], name: &str) -> Option<&'a str> {
    h.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn web_rule() -> CorsRule {
    CorsRule {
        id: Some("web".into()),
        allowed_origins: s(&["https://*.example.com", "http://127.0.0.1:8080"]),
        allowed_methods: s(&["put", "GET"]),
        allowed_headers: s(&["content-type", "x-cos-meta-*"]),
        expose_headers: s(&["ETag", "Content-Length", "x-cos-request-id"]),
        max_age_seconds: Some(600),
    }
}

fn any_head_rule() -> CorsRule {
    CorsRule {
        allowed_origins: s(&["*"]),
        allowed_methods: s(&["HEAD"]),
        ..Default::default()
    }
}

#[test]
fn cors_round_trip_drives_preflights() {
    let env = start();
    let bucket = "cors-1250000000";
    let c = env.client_with_bucket(bucket);

    // None set: an empty list (NoSuchCORSConfiguration), and preflights are refused.
    assert!(c.get_bucket_cors().unwrap().is_empty());
    let (st, _) = preflight(&env, bucket, "k", "https://a.example.com", "PUT", None);
    assert_eq!(st, 403);

    c.put_bucket_cors(&[web_rule(), any_head_rule()])
        .expect("put cors");
    let got = c.get_bucket_cors().unwrap();
    let mut want = web_rule();
    want.allowed_methods = s(&["PUT", "GET"]);
    assert_eq!(got, vec![want, any_head_rule()]);

    // The server answers preflights by those rules.
    let (st, h) = preflight(
        &env,
        bucket,
        "up/a.png",
        "https://app.example.com",
        "PUT",
        Some("Content-Type, x-cos-meta-a"),
    );
    assert_eq!(st, 200, "{h:?}");
    assert_eq!(
        header(&h, "access-control-allow-origin"),
        Some("https://app.example.com")
    );
    assert_eq!(header(&h, "access-control-allow-methods"), Some("PUT,GET"));
    assert_eq!(
        header(&h, "access-control-allow-headers"),
        Some("content-type,x-cos-meta-a")
    );
    assert_eq!(
        header(&h, "access-control-expose-headers"),
        Some("ETag,Content-Length,x-cos-request-id")
    );
    assert_eq!(header(&h, "access-control-max-age"), Some("600"));
    // A header the rule does not allow, a method no rule allows, an unknown origin.
    let (st, _) = preflight(
        &env,
        bucket,
        "k",
        "https://app.example.com",
        "PUT",
        Some("x-other"),
    );
    assert_eq!(st, 403);
    let (st, _) = preflight(&env, bucket, "k", "https://app.example.com", "DELETE", None);
    assert_eq!(st, 403);
    let (st, _) = preflight(&env, bucket, "k", "https://evil.test", "PUT", None);
    assert_eq!(st, 403);
    // The second rule: HEAD from anywhere, no max age.
    let (st, h) = preflight(&env, bucket, "k", "https://evil.test", "HEAD", None);
    assert_eq!(st, 200);
    assert_eq!(header(&h, "access-control-allow-methods"), Some("HEAD"));
    assert_eq!(header(&h, "access-control-max-age"), None);

    // PUT replaces the whole configuration.
    c.put_bucket_cors(&[any_head_rule()]).unwrap();
    assert_eq!(c.get_bucket_cors().unwrap(), vec![any_head_rule()]);
    let (st, _) = preflight(&env, bucket, "k", "https://app.example.com", "PUT", None);
    assert_eq!(st, 403);

    // DELETE removes it (twice is fine); preflights are refused again.
    c.delete_bucket_cors().unwrap();
    assert!(c.get_bucket_cors().unwrap().is_empty());
    c.delete_bucket_cors().unwrap();
    let (st, _) = preflight(&env, bucket, "k", "https://evil.test", "HEAD", None);
    assert_eq!(st, 403);
}

#[test]
fn cors_bad_rules_are_refused_before_sending() {
    let env = start();
    let c = env.client_with_bucket("cors-1250000001");
    let before = ops(&env, "put_cors");
    let with = |f: &dyn Fn(&mut CorsRule)| {
        let mut r = web_rule();
        f(&mut r);
        invalid_message(c.put_bucket_cors(&[any_head_rule(), r]).unwrap_err())
    };
    let m = invalid_message(c.put_bucket_cors(&[]).unwrap_err());
    assert!(m.contains("no CORS rule"), "{m}");
    let m = with(&|r| r.allowed_origins.clear());
    assert!(m.contains("rule 2: no allowed origin"), "{m}");
    let m = with(&|r| r.allowed_methods = s(&["GET", "PATCH"]));
    assert!(
        m.contains("\"PATCH\" is not one of GET, PUT, POST, DELETE, HEAD"),
        "{m}"
    );
    let m = with(&|r| r.allowed_methods.clear());
    assert!(m.contains("no allowed method"), "{m}");
    let m = with(&|r| r.allowed_origins = s(&["https://a.example.com\r\nX-Evil: 1"]));
    assert!(m.contains("allowed origin") && m.contains("'\\r'"), "{m}");
    let m = with(&|r| r.allowed_headers = s(&["x-a\n"]));
    assert!(m.contains("allowed header"), "{m}");
    let m = with(&|r| r.expose_headers = s(&[""]));
    assert!(m.contains("empty expose header"), "{m}");
    let m = with(&|r| r.allowed_origins = s(&["http://*.*.com"]));
    assert!(m.contains("more than one '*'"), "{m}");
    assert_eq!(
        ops(&env, "put_cors"),
        before,
        "refused rules must not reach the server"
    );
    // Nothing was set.
    assert!(c.get_bucket_cors().unwrap().is_empty());
}

#[test]
fn bucket_acl_round_trip() {
    let env = start();
    let c = env.client_with_bucket("acl-1250000000");

    // Never set: private, the owner has FULL_CONTROL.
    let p = c.get_bucket_acl().unwrap();
    assert_eq!(p.canned.as_deref(), Some("private"));
    assert!(p.owner_id.contains("100000000001"), "{p:?}");
    assert_eq!(p.grants.len(), 1);
    assert_eq!(p.grants[0].permission, "FULL_CONTROL");
    assert_eq!(p.grants[0].id.as_deref(), Some(p.owner_id.as_str()));

    c.put_bucket_acl(&BucketAcl {
        canned: Some(BucketCannedAcl::PublicReadWrite),
        grant_write: s(&["100000000002"]),
        grant_read_acp: s(&["qcs::cam::uin/100000000001:uin/100000000003"]),
        ..Default::default()
    })
    .unwrap();
    let p = c.get_bucket_acl().unwrap();
    assert_eq!(p.canned.as_deref(), Some("public-read-write"));
    let summary: Vec<(String, String)> = p
        .grants
        .iter()
        .map(|g| {
            (
                g.permission.clone(),
                g.id.clone().or(g.uri.clone()).unwrap_or_default(),
            )
        })
        .collect();
    assert!(
        summary.contains(&("READ".into(), ALL_USERS.into())),
        "{summary:?}"
    );
    assert!(
        summary.contains(&("WRITE".into(), ALL_USERS.into())),
        "{summary:?}"
    );
    assert!(
        summary.contains(&(
            "WRITE".into(),
            "qcs::cam::uin/100000000002:uin/100000000002".into()
        )),
        "{summary:?}"
    );
    assert!(
        summary.contains(&(
            "READ_ACP".into(),
            "qcs::cam::uin/100000000001:uin/100000000003".into()
        )),
        "{summary:?}"
    );
    let group = p.grants.iter().find(|g| g.uri.is_some()).unwrap();
    assert_eq!(group.grantee_type, "Group");

    // A new PUT replaces the ACL: grants only, the canned ACL goes back to private.
    c.put_bucket_acl(&BucketAcl {
        grant_full_control: s(&["100000000004"]),
        ..Default::default()
    })
    .unwrap();
    let p = c.get_bucket_acl().unwrap();
    assert_eq!(p.canned.as_deref(), Some("private"));
    assert_eq!(p.grants.len(), 2, "{p:?}");
    assert_eq!(
        p.grants[1].id.as_deref(),
        Some("qcs::cam::uin/100000000004:uin/100000000004")
    );

    // Refused before sending.
    let before = ops(&env, "put_bucket_acl");
    let m = invalid_message(c.put_bucket_acl(&BucketAcl::default()).unwrap_err());
    assert!(m.contains("nothing to send"), "{m}");
    let m = invalid_message(
        c.put_bucket_acl(&BucketAcl {
            grant_write: s(&["1\r\nx-evil: 1"]),
            ..Default::default()
        })
        .unwrap_err(),
    );
    assert!(m.contains("x-cos-grant-write"), "{m}");
    let m = invalid_message(
        c.put_bucket_acl(&BucketAcl {
            grant_read: s(&[""]),
            ..Default::default()
        })
        .unwrap_err(),
    );
    assert!(m.contains("empty grantee id"), "{m}");
    assert_eq!(ops(&env, "put_bucket_acl"), before);
}

#[test]
fn bucket_tagging_round_trip_and_restart() {
    let env = start();
    let bucket = "btags-1250000000";
    let c = env.client_with_bucket(bucket);

    // None set: NoSuchTagSet reads as an empty set.
    assert!(c.get_bucket_tagging().unwrap().is_empty());

    // 50 tags (the bucket maximum, above the object one), with characters XML escapes.
    let mut tags: Vec<(String, String)> = (0..48)
        .map(|i| (format!("k{i}"), format!("v{i}")))
        .collect();
    tags.push(("a&b <c>".into(), "\"q\" 'v' & 中文".into()));
    tags.push(("键".repeat(128), "值".repeat(256)));
    c.put_bucket_tagging(&tags).expect("put bucket tagging");
    assert_eq!(c.get_bucket_tagging().unwrap(), tags);

    // Set an ACL too, then restart: both are kept in the bucket's metadata.
    c.put_bucket_acl(&BucketAcl {
        canned: Some(BucketCannedAcl::PublicRead),
        ..Default::default()
    })
    .unwrap();
    let data_dir = env.dir.path().join("data");
    let cfg = env.config(bucket);
    let Env { server, dir } = env;
    server.stop();
    let server = qcos_server::Server::start(qcos_server::ServerConfig::new(data_dir)).unwrap();
    let mut cfg = cfg;
    cfg.endpoint = Some(server.endpoint());
    let c = Client::new(cfg).unwrap();
    assert_eq!(c.get_bucket_tagging().unwrap(), tags);
    assert_eq!(
        c.get_bucket_acl().unwrap().canned.as_deref(),
        Some("public-read")
    );

    // PUT replaces the set; DELETE removes it (twice is fine).
    let one = vec![("only".to_string(), "one".to_string())];
    c.put_bucket_tagging(&one).unwrap();
    assert_eq!(c.get_bucket_tagging().unwrap(), one);
    c.delete_bucket_tagging().unwrap();
    assert!(c.get_bucket_tagging().unwrap().is_empty());
    c.delete_bucket_tagging().unwrap();

    // Bucket tags are not object tags.
    c.put_object("obj", qcos::Body::Bytes(b"x"), &Default::default())
        .unwrap();
    c.put_bucket_tagging(&one).unwrap();
    assert!(c.get_object_tagging("obj", None).unwrap().is_empty());
    server.stop();
    drop(dir);
}

#[test]
fn bucket_tagging_bad_sets_are_refused_before_sending() {
    let env = start();
    let c = env.client_with_bucket("btags-1250000001");
    let before = ops(&env, "put_bucket_tagging");
    let many: Vec<(String, String)> = (0..51).map(|i| (format!("k{i}"), "v".into())).collect();
    let m = invalid_message(c.put_bucket_tagging(&many).unwrap_err());
    assert!(
        m.contains("51 tags") && m.contains("at most 50 tags per bucket"),
        "{m}"
    );
    let dup = vec![
        ("a".to_string(), "1".to_string()),
        ("a".to_string(), "2".to_string()),
    ];
    let m = invalid_message(c.put_bucket_tagging(&dup).unwrap_err());
    assert!(m.contains("\"a\" is given twice"), "{m}");
    let m = invalid_message(
        c.put_bucket_tagging(&[("k".into(), "v\r\nx".into())])
            .unwrap_err(),
    );
    assert!(m.contains("U+000D"), "{m}");
    let m = invalid_message(
        c.put_bucket_tagging(&[(String::new(), "v".into())])
            .unwrap_err(),
    );
    assert!(m.contains("key of tag 0 is empty"), "{m}");
    assert_eq!(ops(&env, "put_bucket_tagging"), before);
    assert!(c.get_bucket_tagging().unwrap().is_empty());
}

#[test]
fn missing_bucket_is_an_error_not_an_empty_configuration() {
    let env = start();
    let c = Client::new(env.config("absent-1250000000")).unwrap();
    for e in [
        c.get_bucket_cors().unwrap_err(),
        c.get_bucket_tagging().unwrap_err(),
        c.get_bucket_acl().unwrap_err(),
        c.delete_bucket_cors().unwrap_err(),
        c.put_bucket_tagging(&[("a".into(), "b".into())])
            .unwrap_err(),
    ] {
        assert_eq!(service_code(&e), (404, "NoSuchBucket".to_string()), "{e}");
    }
}
