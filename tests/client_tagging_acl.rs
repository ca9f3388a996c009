//! Object tagging and object ACL end to end against qcos-server: round trips, limits
//! refused by the client (with the problem named) and by the server (raw requests),
//! tags and ACL dropped on overwrite, missing keys, NoSuchTagSet as "no tags".

mod client_common;

use std::borrow::Cow;

use base64::Engine;
use client_common::*;
use md5::{Digest, Md5};
use qcos::http::{Method, Request, RequestBody, Target};
use qcos::{Body, CannedAcl, Client, Error, ObjectAcl, PutObjectOptions, Status};

fn tags(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn put(c: &Client, key: &str, data: &[u8]) {
    c.put_object(key, Body::Bytes(data), &PutObjectOptions::default())
        .expect("put");
}

fn service_code(e: &Error) -> (u16, String) {
    let s = e
        .service()
        .unwrap_or_else(|| panic!("not a service error: {e}"));
    (s.http_status, s.code.clone())
}

fn invalid_message(e: Error) -> String {
    assert_eq!(e.status(), Status::InvalidArgument, "{e}");
    e.to_string()
}

#[test]
fn tagging_round_trip_overwrite_and_delete() {
    let env = start();
    let c = env.client_with_bucket("tags-1250000000");
    put(&c, "a/obj.txt", b"hello");

    // No tags yet: NoSuchTagSet reads as an empty set.
    assert!(c.get_object_tagging("a/obj.txt", None).unwrap().is_empty());

    let t = tags(&[
        ("project", "qcos"),
        ("a&b <c>", "\"quoted\" 'v' & more"),
        ("中文 键", "值"),
        ("empty", ""),
    ]);
    c.put_object_tagging("a/obj.txt", &t, None)
        .expect("put tagging");
    assert_eq!(c.get_object_tagging("a/obj.txt", None).unwrap(), t);
    // The current version can be named "null" (no versioning on qcos-server).
    assert_eq!(c.get_object_tagging("a/obj.txt", Some("null")).unwrap(), t);

    // PUT replaces the whole set.
    let t2 = tags(&[("only", "one")]);
    c.put_object_tagging("a/obj.txt", &t2, None).unwrap();
    assert_eq!(c.get_object_tagging("a/obj.txt", None).unwrap(), t2);

    // The maximum (10 tags, 128-char key, 256-char value) is accepted.
    let mut max: Vec<(String, String)> =
        (0..9).map(|i| (format!("k{i}"), format!("v{i}"))).collect();
    max.push(("键".repeat(128), "值".repeat(256)));
    c.put_object_tagging("a/obj.txt", &max, None).unwrap();
    assert_eq!(c.get_object_tagging("a/obj.txt", None).unwrap(), max);

    // Survives a server restart (kept in the object's metadata).
    let data_dir = env.dir.path().join("data");
    let endpoint_cfg = env.config("tags-1250000000");
    let Env { server, dir } = env;
    server.stop();
    let server = qcos_server::Server::start(qcos_server::ServerConfig::new(data_dir)).unwrap();
    let mut cfg = endpoint_cfg;
    cfg.endpoint = Some(server.endpoint());
    let c = Client::new(cfg).unwrap();
    assert_eq!(c.get_object_tagging("a/obj.txt", None).unwrap(), max);

    // DELETE removes them; a second DELETE is fine.
    c.delete_object_tagging("a/obj.txt", None).unwrap();
    assert!(c.get_object_tagging("a/obj.txt", None).unwrap().is_empty());
    c.delete_object_tagging("a/obj.txt", None).unwrap();

    // A new PUT of the object drops its tags.
    c.put_object_tagging("a/obj.txt", &t2, None).unwrap();
    put(&c, "a/obj.txt", b"new data");
    assert!(c.get_object_tagging("a/obj.txt", None).unwrap().is_empty());

    // The data is untouched by tagging.
    let mut out = Vec::new();
    c.get_object("a/obj.txt", &Default::default(), &mut out)
        .unwrap();
    assert_eq!(out, b"new data");
    server.stop();
    drop(dir);
}

#[test]
fn tagging_missing_key_and_version_are_404() {
    let env = start();
    let c = env.client_with_bucket("tags-1250000001");
    let t = tags(&[("a", "1")]);
    for e in [
        c.put_object_tagging("nope", &t, None).unwrap_err(),
        c.get_object_tagging("nope", None).unwrap_err(),
        c.delete_object_tagging("nope", None).unwrap_err(),
    ] {
        assert_eq!(service_code(&e), (404, "NoSuchKey".to_string()), "{e}");
    }
    put(&c, "k", b"x");
    let e = c.get_object_tagging("k", Some("v-123")).unwrap_err();
    assert_eq!(service_code(&e), (404, "NoSuchVersion".to_string()));
}

#[test]
fn tagging_limits_are_refused_before_sending() {
    let env = start();
    let c = env.client_with_bucket("tags-1250000002");
    put(&c, "k", b"x");
    let before = env
        .server
        .stats()
        .ops
        .get("put_tagging")
        .copied()
        .unwrap_or(0);

    let eleven: Vec<(String, String)> = (0..11).map(|i| (format!("k{i}"), "v".into())).collect();
    let m = invalid_message(c.put_object_tagging("k", &eleven, None).unwrap_err());
    assert!(m.contains("11 tags") && m.contains("at most 10"), "{m}");

    let m = invalid_message(
        c.put_object_tagging("k", &tags(&[("a", "1"), ("b", "2"), ("a", "3")]), None)
            .unwrap_err(),
    );
    assert!(m.contains("\"a\" is given twice"), "{m}");

    let m = invalid_message(
        c.put_object_tagging("k", &tags(&[("", "1")]), None)
            .unwrap_err(),
    );
    assert!(m.contains("key of tag 0 is empty"), "{m}");

    let long_key = vec![("k".repeat(129), "v".to_string())];
    let m = invalid_message(c.put_object_tagging("k", &long_key, None).unwrap_err());
    assert!(
        m.contains("129 characters") && m.contains("at most 128"),
        "{m}"
    );

    let long_value = vec![("k".to_string(), "v".repeat(257))];
    let m = invalid_message(c.put_object_tagging("k", &long_value, None).unwrap_err());
    assert!(
        m.contains("value of tag \"k\"") && m.contains("at most 256"),
        "{m}"
    );

    let m = invalid_message(
        c.put_object_tagging("k", &tags(&[("a\nb", "1")]), None)
            .unwrap_err(),
    );
    assert!(m.contains("U+000A"), "{m}");

    let m = invalid_message(c.get_object_tagging("k", Some("")).unwrap_err());
    assert!(m.contains("version id is empty"), "{m}");
    let m = invalid_message(c.get_object_tagging("", None).unwrap_err());
    assert!(m.contains("key"), "{m}");

    let after = env
        .server
        .stats()
        .ops
        .get("put_tagging")
        .copied()
        .unwrap_or(0);
    assert_eq!(before, after, "a refused tag set must not reach the server");
}

/// Send a PUT ?tagging with any body and its right MD5, or the `md5` given.
fn raw_put_tagging(c: &Client, key: &str, body: &str, md5: Option<String>) -> Error {
    let digest = base64::engine::general_purpose::STANDARD.encode(Md5::digest(body.as_bytes()));
    let mut req = Request::new(Method::Put, Target::Object(key.into()))
        .query("tagging", None)
        .header("content-type", "application/xml");
    req = req.header("content-md5", md5.unwrap_or(digest));
    let req = req.body(RequestBody::Bytes(Cow::Owned(body.as_bytes().to_vec())));
    c.http()
        .send(req)
        .expect_err("the server must refuse this tag set")
}

#[test]
fn server_refuses_bad_tag_sets() {
    let env = start();
    let c = env.client_with_bucket("tags-1250000003");
    put(&c, "k", b"x");
    let tag = |k: &str, v: &str| format!("<Tag><Key>{k}</Key><Value>{v}</Value></Tag>");
    let doc = |inner: &str| format!("<Tagging><TagSet>{inner}</TagSet></Tagging>");

    let eleven: String = (0..11).map(|i| tag(&format!("k{i}"), "v")).collect();
    let cases = [
        (doc(&eleven), "BadRequest"),
        (doc(&(tag("a", "1") + &tag("a", "2"))), "InvalidTag"),
        (doc(&tag("", "1")), "InvalidTag"),
        (doc(&tag(&"k".repeat(129), "1")), "InvalidTag"),
        (doc(&tag("k", &"v".repeat(257))), "InvalidTag"),
        ("<Tagging><TagSet><Tag>".to_string(), "MalformedXML"),
        ("<NotTagging/>".to_string(), "MalformedXML"),
        (doc("<Tag><Key>a</Key></Tag>"), "MalformedXML"),
    ];
    for (body, code) in cases {
        let e = raw_put_tagging(&c, "k", &body, None);
        assert_eq!(service_code(&e), (400, code.to_string()), "{body}: {e}");
    }
    let good = doc(&tag("a", "1"));
    let wrong = base64::engine::general_purpose::STANDARD.encode([0u8; 16]);
    let e = raw_put_tagging(&c, "k", &good, Some(wrong));
    assert_eq!(service_code(&e), (400, "BadDigest".to_string()));
    let e = raw_put_tagging(&c, "k", &good, Some("not base64!".into()));
    assert_eq!(service_code(&e), (400, "InvalidDigest".to_string()));
    // Nothing was stored by the refused requests.
    assert!(c.get_object_tagging("k", None).unwrap().is_empty());

    // Without Content-MD5 the tag set is taken (the official Python SDK sends none).
    let req = Request::new(Method::Put, Target::Object("k".into()))
        .query("tagging", None)
        .body(RequestBody::Bytes(Cow::Owned(good.into_bytes())));
    c.http()
        .send(req)
        .expect("PUT ?tagging without Content-MD5");
    assert_eq!(
        c.get_object_tagging("k", None).unwrap(),
        tags(&[("a", "1")])
    );
}

#[test]
fn acl_round_trip_and_overwrite() {
    let env = start();
    let c = env.client_with_bucket("acl-1250000000");
    put(&c, "doc.txt", b"hello");

    // Never set: the owner has FULL_CONTROL, canned "default".
    let p = c.get_object_acl("doc.txt").unwrap();
    assert_eq!(p.owner_id, "qcs::cam::uin/100000000001:uin/100000000001");
    assert_eq!(p.canned.as_deref(), Some("default"));
    assert_eq!(p.grants.len(), 1);
    assert_eq!(p.grants[0].grantee_type, "CanonicalUser");
    assert_eq!(p.grants[0].id.as_deref(), Some(p.owner_id.as_str()));
    assert_eq!(p.grants[0].permission, "FULL_CONTROL");

    let acl = ObjectAcl {
        canned: Some(CannedAcl::PublicRead),
        grant_read: vec!["100000000002".into(), "100000000003".into()],
        grant_write_acp: vec!["qcs::cam::uin/100000000004:uin/100000000004".into()],
        ..Default::default()
    };
    c.put_object_acl("doc.txt", &acl).unwrap();
    let p = c.get_object_acl("doc.txt").unwrap();
    assert_eq!(p.canned.as_deref(), Some("public-read"));
    let got: Vec<(String, Option<String>, Option<String>, String)> = p
        .grants
        .iter()
        .map(|g| {
            (
                g.grantee_type.clone(),
                g.id.clone(),
                g.uri.clone(),
                g.permission.clone(),
            )
        })
        .collect();
    let user = |id: &str, perm: &str| {
        (
            "CanonicalUser".to_string(),
            Some(id.to_string()),
            None,
            perm.to_string(),
        )
    };
    assert_eq!(
        got,
        vec![
            user(
                "qcs::cam::uin/100000000001:uin/100000000001",
                "FULL_CONTROL"
            ),
            (
                "Group".to_string(),
                None,
                Some("http://cam.qcloud.com/groups/global/AllUsers".to_string()),
                "READ".to_string()
            ),
            user("qcs::cam::uin/100000000002:uin/100000000002", "READ"),
            user("qcs::cam::uin/100000000003:uin/100000000003", "READ"),
            user("qcs::cam::uin/100000000004:uin/100000000004", "WRITE_ACP"),
        ]
    );

    // A later PUT replaces the ACL: private, one full-control grant.
    let acl2 = ObjectAcl {
        canned: Some(CannedAcl::Private),
        grant_full_control: vec!["100000000005".into()],
        grant_read_acp: vec!["100000000006".into()],
        ..Default::default()
    };
    c.put_object_acl("doc.txt", &acl2).unwrap();
    let p = c.get_object_acl("doc.txt").unwrap();
    assert_eq!(p.canned.as_deref(), Some("private"));
    let perms: Vec<&str> = p.grants.iter().map(|g| g.permission.as_str()).collect();
    assert_eq!(perms, ["FULL_CONTROL", "FULL_CONTROL", "READ_ACP"]);

    // Overwriting the object drops its ACL.
    put(&c, "doc.txt", b"again");
    let p = c.get_object_acl("doc.txt").unwrap();
    assert_eq!(p.canned.as_deref(), Some("default"));
    assert_eq!(p.grants.len(), 1);
}

#[test]
fn acl_errors() {
    let env = start();
    let c = env.client_with_bucket("acl-1250000001");
    let acl = ObjectAcl {
        canned: Some(CannedAcl::Private),
        ..Default::default()
    };
    let e = c.put_object_acl("missing", &acl).unwrap_err();
    assert_eq!(service_code(&e), (404, "NoSuchKey".to_string()));
    let e = c.get_object_acl("missing").unwrap_err();
    assert_eq!(service_code(&e), (404, "NoSuchKey".to_string()));

    put(&c, "k", b"x");
    let before = env.server.stats().ops.get("put_acl").copied().unwrap_or(0);
    let m = invalid_message(c.put_object_acl("k", &ObjectAcl::default()).unwrap_err());
    assert!(m.contains("nothing to send"), "{m}");
    for bad in ["1\r\nx-evil: 1", "a\"b", "a,b", "", "中"] {
        let acl = ObjectAcl {
            grant_read: vec![bad.into()],
            ..Default::default()
        };
        let m = invalid_message(c.put_object_acl("k", &acl).unwrap_err());
        assert!(m.contains("x-cos-grant-read"), "{bad:?}: {m}");
    }
    let after = env.server.stats().ops.get("put_acl").copied().unwrap_or(0);
    assert_eq!(before, after);

    // The server's own checks, through raw requests.
    let raw = |h: &[(&str, &str)]| {
        let mut req = Request::new(Method::Put, Target::Object("k".into())).query("acl", None);
        for (n, v) in h {
            req = req.header(n, *v);
        }
        c.http().send(req).expect_err("refused")
    };
    let e = raw(&[("x-cos-acl", "public-read-write")]);
    assert_eq!(service_code(&e), (400, "InvalidArgument".to_string()));
    let e = raw(&[("x-cos-grant-read", "id=1")]);
    assert_eq!(service_code(&e), (400, "InvalidArgument".to_string()));
    let e = raw(&[]);
    assert_eq!(service_code(&e), (400, "InvalidRequest".to_string()));
    // Nothing changed.
    assert_eq!(
        c.get_object_acl("k").unwrap().canned.as_deref(),
        Some("default")
    );
}

#[test]
fn tagging_and_acl_are_independent() {
    let env = start();
    let c = env.client_with_bucket("both-1250000000");
    put(&c, "k", b"x");
    let t = tags(&[("a", "1")]);
    c.put_object_tagging("k", &t, None).unwrap();
    c.put_object_acl(
        "k",
        &ObjectAcl {
            canned: Some(CannedAcl::PublicRead),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(c.get_object_tagging("k", None).unwrap(), t);
    c.delete_object_tagging("k", None).unwrap();
    assert_eq!(
        c.get_object_acl("k").unwrap().canned.as_deref(),
        Some("public-read")
    );
    // Deleting the object removes both.
    c.delete_object("k").unwrap();
    let e = c.get_object_acl("k").unwrap_err();
    assert_eq!(service_code(&e), (404, "NoSuchKey".to_string()));
}
