//! ACL and tags set at write time (cos-protocol.md §6.1, §6.6, §6.10, §6.18) and the
//! ACL as an `<AccessControlPolicy>` body, end to end against qcos-server: PUT Object,
//! a multipart `upload_file` (Initiate carries them, Complete makes the object), the
//! single-PUT path of `upload_file`, PUT Object - Copy and multipart `slice_copy` with
//! the tagging directive Copy and Replaced, POST Object form fields, tags refused by the
//! client before anything is sent and by the server from a raw request, and the policy
//! document round trip.

mod client_common;

use client_common::*;
use qcos::auth::{Credentials, KeyTime, Match, PostPolicyInput, post_policy};
use qcos::http::{Method, Request, Target};
use qcos::transfer::{CopyOptions, ObjectAttrs, UploadOptions, UploadSource};
use qcos::{
    AccessControlPolicy, Body, CannedAcl, Client, CopyObjectOptions, CopySource, Error, Grant,
    ObjectAcl, PutObjectOptions, Status, encode_tagging,
};
use qcos_server::{TEST_SECRET_ID, TEST_SECRET_KEY};

const OWNER: &str = "qcs::cam::uin/100000000001:uin/100000000001";
const ALL_USERS: &str = "http://cam.qcloud.com/groups/global/AllUsers";

fn tags(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn acl(canned: CannedAcl, read: &[&str]) -> ObjectAcl {
    ObjectAcl {
        canned: Some(canned),
        grant_read: read.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    }
}

/// (grantee type, id or uri, permission) of each grant, in order.
fn grants(c: &Client, key: &str) -> (Option<String>, Vec<(String, String, String)>) {
    let p = c.get_object_acl(key).expect("get acl");
    (
        p.canned,
        p.grants
            .iter()
            .map(|g| {
                (
                    g.grantee_type.clone(),
                    g.id.clone().or(g.uri.clone()).unwrap_or_default(),
                    g.permission.clone(),
                )
            })
            .collect(),
    )
}

fn user(id: &str, perm: &str) -> (String, String, String) {
    ("CanonicalUser".into(), id.into(), perm.into())
}

fn group(uri: &str, perm: &str) -> (String, String, String) {
    ("Group".into(), uri.into(), perm.into())
}

fn source(key: &str, bucket: &str) -> CopySource {
    CopySource {
        bucket: bucket.into(),
        region: REGION.into(),
        key: key.into(),
        version_id: None,
    }
}

#[test]
fn put_object_with_acl_and_tags() {
    let env = start();
    let c = env.client_with_bucket("wacl-1250000000");
    let t = tags(&[("project", "qcos"), ("a&b=c d", "中文 +%")]);
    let opts = PutObjectOptions {
        acl: acl(CannedAcl::PublicRead, &["100000000002"]),
        tagging: t.clone(),
        ..Default::default()
    };
    c.put_object("doc.txt", Body::Bytes(b"hello"), &opts)
        .expect("put with acl and tags");
    assert_eq!(c.get_object_tagging("doc.txt", None).unwrap(), t);
    assert_eq!(
        grants(&c, "doc.txt"),
        (
            Some("public-read".into()),
            vec![
                user(OWNER, "FULL_CONTROL"),
                group(ALL_USERS, "READ"),
                user("qcs::cam::uin/100000000002:uin/100000000002", "READ"),
            ]
        )
    );

    // The free-form headers still work on their own (the old way).
    let old = PutObjectOptions {
        headers: vec![
            ("x-cos-acl".into(), "private".into()),
            ("x-cos-tagging".into(), "k=v".into()),
        ],
        ..Default::default()
    };
    c.put_object("old.txt", Body::Bytes(b"x"), &old).unwrap();
    assert_eq!(
        c.get_object_tagging("old.txt", None).unwrap(),
        tags(&[("k", "v")])
    );
    assert_eq!(grants(&c, "old.txt").0.as_deref(), Some("private"));

    // Both at once: refused before anything is sent, naming the two.
    let both = PutObjectOptions {
        acl: acl(CannedAcl::Private, &[]),
        headers: vec![("X-Cos-Acl".into(), "public-read".into())],
        ..Default::default()
    };
    let e = c
        .put_object("both.txt", Body::Bytes(b"x"), &both)
        .unwrap_err();
    assert_eq!(e.status(), Status::InvalidArgument, "{e}");
    assert!(
        e.to_string().contains("`acl`") && e.to_string().contains("X-Cos-Acl"),
        "{e}"
    );
    assert!(c.head_object("both.txt", &Default::default()).is_err());

    // A plain overwrite starts over without them.
    c.put_object(
        "doc.txt",
        Body::Bytes(b"again"),
        &PutObjectOptions::default(),
    )
    .unwrap();
    assert!(c.get_object_tagging("doc.txt", None).unwrap().is_empty());
    assert_eq!(grants(&c, "doc.txt").1.len(), 1);
}

#[test]
fn invalid_tags_are_refused_by_the_client_and_the_server() {
    let env = start();
    let c = env.client_with_bucket("wacl-1250000001");
    let eleven: Vec<(String, String)> = (0..11).map(|i| (format!("k{i}"), "v".into())).collect();
    for (bad, what) in [
        (eleven, "11 tags"),
        (tags(&[("", "v")]), "empty"),
        (tags(&[("a", "1"), ("a", "2")]), "given twice"),
        (tags(&[("k", "a\u{1}b")]), "U+0001"),
    ] {
        let opts = PutObjectOptions {
            tagging: bad.clone(),
            ..Default::default()
        };
        let e = c.put_object("t.txt", Body::Bytes(b"x"), &opts).unwrap_err();
        assert_eq!(e.status(), Status::InvalidArgument, "{e}");
        assert!(e.to_string().contains(what), "{what}: {e}");
        let e = c.initiate_multipart_upload("t.txt", &opts).unwrap_err();
        assert_eq!(e.status(), Status::InvalidArgument, "{e}");
    }
    assert!(c.list_multipart_uploads("").unwrap().is_empty());
    assert!(c.head_object("t.txt", &Default::default()).is_err());

    // The server checks the header of a raw request as COS does.
    let raw = |tagging: &str| -> Error {
        let req = Request::new(Method::Put, Target::Object("raw.txt".into()))
            .header("x-cos-tagging", tagging)
            .body(qcos::http::RequestBody::Bytes(std::borrow::Cow::Borrowed(
                b"x",
            )));
        c.http().send(req).unwrap_err()
    };
    let cases = [
        ("a=1&a=2", "InvalidTag"),
        ("=v", "InvalidTag"),
        ("a=%zz", "InvalidArgument"),
        ("a=%FF", "InvalidArgument"),
        (
            &(0..11)
                .map(|i| format!("k{i}=v"))
                .collect::<Vec<_>>()
                .join("&"),
            "BadRequest",
        ),
        (&format!("{}=v", "k".repeat(129)), "InvalidTag"),
    ];
    for (header, code) in cases {
        let e = raw(header);
        let s = e.service().unwrap_or_else(|| panic!("{header}: {e}"));
        assert_eq!((s.http_status, s.code.as_str()), (400, code), "{header}");
    }
    let e = {
        let req = Request::new(Method::Put, Target::Object("raw.txt".into()))
            .header("x-cos-acl", "everyone");
        c.http().send(req).unwrap_err()
    };
    assert_eq!(e.service().unwrap().code, "InvalidArgument", "{e}");
    assert!(c.head_object("raw.txt", &Default::default()).is_err());
}

#[test]
fn upload_file_multipart_and_single_put_carry_acl_and_tags() {
    let env = start();
    let c = env.client_with_bucket("wacl-1250000002");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.bin");
    let data: Vec<u8> = (0..(2 * 1024 * 1024 + 123))
        .map(|i| (i % 251) as u8)
        .collect();
    std::fs::write(&path, &data).unwrap();
    let t = tags(&[("kind", "multipart"), ("size", "2 MiB")]);
    let attrs = ObjectAttrs {
        content_type: Some("application/x-test".into()),
        acl: ObjectAcl {
            grant_full_control: vec!["100000000009".into()],
            ..acl(CannedAcl::Private, &[])
        },
        tagging: t.clone(),
        ..Default::default()
    };
    let opts = UploadOptions {
        attrs: attrs.clone(),
        slice_size: Some(1024 * 1024),
        chunk_size: Some(1024 * 1024),
        ..Default::default()
    };
    let out = c
        .upload_file("up/big.bin", UploadSource::File(&path), &opts, None)
        .expect("multipart upload");
    assert_eq!(out.parts, 3, "{out:?}");
    assert_eq!(c.get_object_tagging("up/big.bin", None).unwrap(), t);
    assert_eq!(
        grants(&c, "up/big.bin"),
        (
            Some("private".into()),
            vec![
                user(OWNER, "FULL_CONTROL"),
                user(
                    "qcs::cam::uin/100000000009:uin/100000000009",
                    "FULL_CONTROL"
                ),
            ]
        )
    );
    assert_eq!(
        c.get_object_to_buffer_vec("up/big.bin"),
        data,
        "the bytes are intact"
    );

    // The same options on a file small enough for one PUT.
    let small = dir.path().join("small.bin");
    std::fs::write(&small, b"small").unwrap();
    let out = c
        .upload_file("up/small.bin", UploadSource::File(&small), &opts, None)
        .expect("single put");
    assert_eq!(out.parts, 0, "{out:?}");
    assert_eq!(c.get_object_tagging("up/small.bin", None).unwrap(), t);
    assert_eq!(grants(&c, "up/small.bin").0.as_deref(), Some("private"));

    // From PUT Object options (the Rust conversion keeps the ACL and tags).
    let popts = PutObjectOptions {
        acl: acl(CannedAcl::PublicRead, &[]),
        tagging: tags(&[("from", "put-options")]),
        ..Default::default()
    };
    let mut uo = UploadOptions::from(&popts);
    uo.slice_size = Some(1024 * 1024);
    uo.chunk_size = Some(1024 * 1024);
    c.upload_file("up/conv.bin", UploadSource::File(&path), &uo, None)
        .unwrap();
    assert_eq!(
        c.get_object_tagging("up/conv.bin", None).unwrap(),
        popts.tagging
    );
    assert_eq!(grants(&c, "up/conv.bin").0.as_deref(), Some("public-read"));
}

trait GetVec {
    fn get_object_to_buffer_vec(&self, key: &str) -> Vec<u8>;
}

impl GetVec for Client {
    fn get_object_to_buffer_vec(&self, key: &str) -> Vec<u8> {
        let mut out = Vec::new();
        self.get_object(key, &Default::default(), &mut out)
            .expect("get");
        out
    }
}

#[test]
fn copy_object_tagging_directive_copy_and_replaced() {
    let env = start();
    let bucket = "wacl-1250000003";
    let c = env.client_with_bucket(bucket);
    let src_tags = tags(&[("origin", "source"), ("n", "1")]);
    c.put_object(
        "src.txt",
        Body::Bytes(b"source bytes"),
        &PutObjectOptions {
            acl: acl(CannedAcl::PublicRead, &["100000000002"]),
            tagging: src_tags.clone(),
            meta: vec![("m".into(), "1".into())],
            ..Default::default()
        },
    )
    .unwrap();
    let src = source("src.txt", bucket);

    // Default: tags copied, the ACL not (the destination inherits the bucket's).
    c.copy_object("copy1.txt", &src, &CopyObjectOptions::default())
        .unwrap();
    assert_eq!(c.get_object_tagging("copy1.txt", None).unwrap(), src_tags);
    assert_eq!(
        grants(&c, "copy1.txt"),
        (Some("default".into()), vec![user(OWNER, "FULL_CONTROL")])
    );

    // Copy directive with an ACL of its own.
    c.copy_object(
        "copy2.txt",
        &src,
        &CopyObjectOptions {
            put: PutObjectOptions {
                acl: acl(CannedAcl::Private, &["100000000003"]),
                ..Default::default()
            },
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(c.get_object_tagging("copy2.txt", None).unwrap(), src_tags);
    assert_eq!(
        grants(&c, "copy2.txt"),
        (
            Some("private".into()),
            vec![
                user(OWNER, "FULL_CONTROL"),
                user("qcs::cam::uin/100000000003:uin/100000000003", "READ"),
            ]
        )
    );

    // Replaced: the request's tags; metadata still copied.
    let new_tags = tags(&[("origin", "copy")]);
    c.copy_object(
        "copy3.txt",
        &src,
        &CopyObjectOptions {
            tagging_directive_replace: true,
            put: PutObjectOptions {
                tagging: new_tags.clone(),
                ..Default::default()
            },
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(c.get_object_tagging("copy3.txt", None).unwrap(), new_tags);
    let info = c.head_object("copy3.txt", &Default::default()).unwrap();
    assert_eq!(info.meta, vec![("m".to_string(), "1".to_string())]);

    // Replaced with no tags: none.
    c.copy_object(
        "copy4.txt",
        &src,
        &CopyObjectOptions {
            tagging_directive_replace: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert!(c.get_object_tagging("copy4.txt", None).unwrap().is_empty());

    // Tags with the Copy directive: refused by the client (COS would ignore them).
    let e = c
        .copy_object(
            "copy5.txt",
            &src,
            &CopyObjectOptions {
                put: PutObjectOptions {
                    tagging: new_tags.clone(),
                    ..Default::default()
                },
                ..Default::default()
            },
        )
        .unwrap_err();
    assert!(e.to_string().contains("tagging_directive_replace"), "{e}");

    // Onto itself: changing only the tags needs the Replaced tagging directive.
    c.copy_object(
        "src.txt",
        &src,
        &CopyObjectOptions {
            tagging_directive_replace: true,
            put: PutObjectOptions {
                tagging: new_tags.clone(),
                ..Default::default()
            },
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(c.get_object_tagging("src.txt", None).unwrap(), new_tags);
    let e = c
        .copy_object("src.txt", &src, &CopyObjectOptions::default())
        .unwrap_err();
    assert_eq!(e.service().unwrap().code, "InvalidRequest", "{e}");
}

#[test]
fn slice_copy_multipart_keeps_or_replaces_tags_and_sets_acl() {
    let env = start();
    let bucket = "wacl-1250000004";
    let c = env.client_with_bucket(bucket);
    let data: Vec<u8> = (0..(2 * 1024 * 1024 + 7))
        .map(|i| (i % 253) as u8)
        .collect();
    let src_tags = tags(&[("origin", "big source")]);
    c.put_object(
        "big.bin",
        Body::Bytes(&data),
        &PutObjectOptions {
            tagging: src_tags.clone(),
            ..Default::default()
        },
    )
    .unwrap();
    let src = source("big.bin", bucket);
    let multipart = CopyOptions {
        copy_slice_size: Some(1024 * 1024),
        copy_chunk_size: Some(1024 * 1024),
        ..Default::default()
    };

    // Copy directive: the source's tags are read and set on Initiate; the ACL given.
    let out = c
        .slice_copy(
            "copy-a.bin",
            &src,
            &CopyOptions {
                acl: acl(CannedAcl::PublicRead, &[]),
                ..multipart.clone()
            },
            None,
        )
        .expect("multipart copy");
    assert!(out.parts >= 2, "{out:?}");
    assert_eq!(c.get_object_tagging("copy-a.bin", None).unwrap(), src_tags);
    assert_eq!(grants(&c, "copy-a.bin").0.as_deref(), Some("public-read"));

    // Replaced.
    let t = tags(&[("origin", "replaced")]);
    c.slice_copy(
        "copy-b.bin",
        &src,
        &CopyOptions {
            tagging: Some(t.clone()),
            ..multipart.clone()
        },
        None,
    )
    .unwrap();
    assert_eq!(c.get_object_tagging("copy-b.bin", None).unwrap(), t);
    assert_eq!(grants(&c, "copy-b.bin").0.as_deref(), Some("default"));

    // Single PUT Object - Copy path of slice_copy, both directives.
    let single = CopyOptions::default();
    c.slice_copy(
        "copy-c.bin",
        &src,
        &CopyOptions {
            acl: acl(CannedAcl::Private, &[]),
            ..single.clone()
        },
        None,
    )
    .unwrap();
    assert_eq!(c.get_object_tagging("copy-c.bin", None).unwrap(), src_tags);
    assert_eq!(grants(&c, "copy-c.bin").0.as_deref(), Some("private"));
    c.slice_copy(
        "copy-d.bin",
        &src,
        &CopyOptions {
            tagging: Some(Vec::new()),
            ..single
        },
        None,
    )
    .unwrap();
    assert!(c.get_object_tagging("copy-d.bin", None).unwrap().is_empty());

    // A caller who may copy but may not read the source's tags: the multipart copy
    // that would carry them over says so, and one given its tags never reads them.
    env.server.faults().add(
        qcos_server::FaultRule::new(qcos_server::FaultAction::Status {
            http_status: 403,
            code: "AccessDenied".into(),
            message: "Access Denied.".into(),
        })
        .method("GET")
        .path_contains("big.bin")
        .query_contains("tagging"),
    );
    let e = c
        .slice_copy("copy-e.bin", &src, &multipart, None)
        .unwrap_err();
    let s = e.service().expect("the service's refusal");
    assert_eq!((s.http_status, s.code.as_str()), (403, "AccessDenied"));
    assert!(s.message.contains("CopyOptions::tagging"), "{e}");
    c.slice_copy(
        "copy-e.bin",
        &src,
        &CopyOptions {
            tagging: Some(t.clone()),
            ..multipart
        },
        None,
    )
    .unwrap();
    assert_eq!(c.get_object_tagging("copy-e.bin", None).unwrap(), t);
}

#[test]
fn acl_policy_body_round_trip() {
    let env = start();
    let c = env.client_with_bucket("wacl-1250000005");
    c.put_object("p.txt", Body::Bytes(b"x"), &PutObjectOptions::default())
        .unwrap();
    let policy = AccessControlPolicy {
        owner_id: OWNER.into(),
        grants: vec![
            Grant {
                grantee_type: "CanonicalUser".into(),
                id: Some(OWNER.into()),
                uri: None,
                permission: "FULL_CONTROL".into(),
            },
            Grant {
                grantee_type: "CanonicalUser".into(),
                id: Some("qcs::cam::uin/100000000001:uin/100000000007".into()),
                uri: None,
                permission: "WRITE".into(),
            },
            Grant {
                grantee_type: "Group".into(),
                id: None,
                uri: Some(ALL_USERS.into()),
                permission: "READ".into(),
            },
            Grant {
                grantee_type: "CanonicalUser".into(),
                id: Some("100000000008".into()),
                uri: None,
                permission: "READ_ACP".into(),
            },
        ],
        ..Default::default()
    };
    c.put_object_acl_policy("p.txt", &policy)
        .expect("put acl body");
    let got = c.get_object_acl("p.txt").unwrap();
    assert_eq!(got.owner_id, OWNER);
    assert_eq!(got.grants, policy.grants, "exactly the grants put");
    assert_eq!(got.canned.as_deref(), Some("public-read"));

    // What GET returned can be put back as it is.
    c.put_object_acl_policy("p.txt", &got).unwrap();
    assert_eq!(c.get_object_acl("p.txt").unwrap().grants, policy.grants);

    // Headers replace a document ACL (and the other way round).
    c.put_object_acl("p.txt", &acl(CannedAcl::Private, &[]))
        .unwrap();
    assert_eq!(
        grants(&c, "p.txt"),
        (Some("private".into()), vec![user(OWNER, "FULL_CONTROL")])
    );
    let only_owner = AccessControlPolicy {
        grants: policy.grants[..1].to_vec(),
        ..policy.clone()
    };
    c.put_object_acl_policy("p.txt", &only_owner).unwrap();
    assert_eq!(
        grants(&c, "p.txt"),
        (Some("private".into()), vec![user(OWNER, "FULL_CONTROL")])
    );

    // Survives a server restart (kept in the object's metadata).
    c.put_object_acl_policy("p.txt", &policy).unwrap();
    let data_dir = env.dir.path().join("data");
    let cfg = env.config("wacl-1250000005");
    let Env { server, dir } = env;
    server.stop();
    let server = qcos_server::Server::start(qcos_server::ServerConfig::new(data_dir)).unwrap();
    let mut cfg = cfg;
    cfg.endpoint = Some(server.endpoint());
    let c2 = Client::new(cfg).unwrap();
    assert_eq!(c2.get_object_acl("p.txt").unwrap().grants, policy.grants);
    drop(dir);

    // Refused before sending: the message names the grant.
    let mut bad = policy.clone();
    bad.grants[2].permission = "EVERYTHING".into();
    let e = c2.put_object_acl_policy("p.txt", &bad).unwrap_err();
    assert_eq!(e.status(), Status::InvalidArgument);
    assert!(e.to_string().contains("grant 2"), "{e}");
    let e = c2
        .put_object_acl_policy("missing.txt", &policy)
        .unwrap_err();
    assert_eq!(e.service().unwrap().code, "NoSuchKey", "{e}");
}

#[test]
fn acl_policy_body_refused_by_the_server_when_malformed() {
    let env = start();
    let c = env.client_with_bucket("wacl-1250000006");
    c.put_object("p.txt", Body::Bytes(b"x"), &PutObjectOptions::default())
        .unwrap();
    let send = |body: &str, header: Option<(&str, &str)>| -> Error {
        let mut req = Request::new(Method::Put, Target::Object("p.txt".into()))
            .query("acl", None)
            .header("content-type", "application/xml")
            .body(qcos::http::RequestBody::Bytes(std::borrow::Cow::Owned(
                body.as_bytes().to_vec(),
            )));
        if let Some((k, v)) = header {
            req = req.header(k, v);
        }
        c.http().send(req).unwrap_err()
    };
    let grant = |t: &str, inner: &str, perm: &str| {
        format!(
            "<Grant><Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"{t}\">{inner}</Grantee><Permission>{perm}</Permission></Grant>"
        )
    };
    let doc = |owner: &str, grants: &str| {
        format!(
            "<AccessControlPolicy><Owner><ID>{owner}</ID></Owner><AccessControlList>{grants}</AccessControlList></AccessControlPolicy>"
        )
    };
    let cases = [
        (doc("", ""), "MalformedXML"),
        ("<Other/>".to_string(), "MalformedXML"),
        (
            doc("o", &grant("CanonicalUser", "<ID>1</ID>", "ALL")),
            "InvalidArgument",
        ),
        (
            doc("o", &grant("Group", "<ID>1</ID>", "READ")),
            "InvalidArgument",
        ),
        (
            doc("o", &grant("Robot", "<ID>1</ID>", "READ")),
            "InvalidArgument",
        ),
        (
            doc(
                "o",
                &grant("CanonicalUser", "<ID>1</ID>", "READ").repeat(1001),
            ),
            "InvalidArgument",
        ),
    ];
    for (body, code) in cases {
        let e = send(&body, None);
        let s = e.service().unwrap_or_else(|| panic!("{e}"));
        assert_eq!((s.http_status, s.code.as_str()), (400, code), "{body:.200}");
    }
    // Headers and a body at once.
    let e = send(
        &doc("o", &grant("CanonicalUser", "<ID>1</ID>", "READ")),
        Some(("x-cos-acl", "private")),
    );
    assert_eq!(e.service().unwrap().code, "InvalidRequest", "{e}");
    // 1000 grants are fine.
    let ok = doc(
        "o",
        &grant("CanonicalUser", "<ID>1</ID>", "READ").repeat(1000),
    );
    let req = Request::new(Method::Put, Target::Object("p.txt".into()))
        .query("acl", None)
        .body(qcos::http::RequestBody::Bytes(std::borrow::Cow::Owned(
            ok.into_bytes(),
        )));
    c.http().send(req).expect("1000 grants");
    assert_eq!(c.get_object_acl("p.txt").unwrap().grants.len(), 1000);
}

#[test]
fn post_object_form_fields_carry_acl_and_tags() {
    let env = start();
    let bucket = "wacl-1250000007";
    let c = env.client_with_bucket(bucket);
    let t = tags(&[("via", "post form"), ("k", "v&w")]);
    let tagging = encode_tagging(&t).unwrap();
    let fields = [
        ("x-cos-acl", "public-read"),
        ("x-cos-tagging", tagging.as_str()),
    ];
    let creds = Credentials::new(TEST_SECRET_ID, TEST_SECRET_KEY);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let p = post_policy(
        &creds,
        KeyTime {
            start: now - 60,
            end: now + 600,
        },
        &PostPolicyInput {
            fields: &fields,
            ..PostPolicyInput::new(bucket, Match::Exact("form.txt"))
        },
    )
    .unwrap();
    const BOUNDARY: &str = "----qcosWriteAclBoundary";
    let mut body = Vec::new();
    for (k, v) in &p.fields {
        body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f.txt\"\r\n\r\nform bytes\r\n--{BOUNDARY}--\r\n"
        )
        .as_bytes(),
    );
    let agent = ureq::Agent::new_with_config(
        ureq::config::Config::builder()
            .http_status_as_error(false)
            .build(),
    );
    let req = ureq::http::Request::builder()
        .method("POST")
        .uri(format!("{}/{bucket}/", env.server.endpoint()))
        .header(
            "Content-Type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(body)
        .unwrap();
    let resp = agent.run(req).unwrap();
    let status = resp.status().as_u16();
    assert_eq!(
        status,
        204,
        "{}",
        resp.into_body().read_to_string().unwrap_or_default()
    );
    assert_eq!(c.get_object_tagging("form.txt", None).unwrap(), t);
    assert_eq!(grants(&c, "form.txt").0.as_deref(), Some("public-read"));
}
