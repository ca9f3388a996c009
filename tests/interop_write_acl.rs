//! ACL and tags set at write time, and the ACL as a document, between qcos and the
//! official Python SDK (`cos-python-sdk-v5`, pinned in `common::pyenv`), both against
//! one qcos-server: the SDK reads what qcos wrote (PUT with `x-cos-acl` /
//! `x-cos-grant-*` / `x-cos-tagging`, a multipart upload whose Initiate carried them,
//! a copy with replaced tags, an `<AccessControlPolicy>` body), and qcos reads what the
//! SDK wrote the same ways (`tests/interop/write_acl.py`).

mod common;

use std::time::Duration;

use common::pyenv::{self, json_str};
use qcos::auth::Credentials;
use qcos::transfer::{ObjectAttrs, UploadOptions, UploadSource};
use qcos::{
    AccessControlPolicy, Body, CannedAcl, Client, Config, CopyObjectOptions, CopySource, Grant,
    ObjectAcl, PutObjectOptions,
};
use qcos_server::{Server, ServerConfig, TEST_SECRET_ID, TEST_SECRET_KEY};

const REGION: &str = "ap-guangzhou";
const BUCKET: &str = "interop-wacl-1250000000";
const OWNER: &str = "qcs::cam::uin/100000000001:uin/100000000001";

fn tags(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn user(id: &str, perm: &str) -> Grant {
    Grant {
        grantee_type: "CanonicalUser".into(),
        id: Some(id.into()),
        uri: None,
        permission: perm.into(),
    }
}

#[test]
fn official_python_sdk_reads_what_qcos_wrote_and_back() {
    pyenv::venv_python();
    let dir = tempfile::tempdir().expect("temp dir");
    let mut cfg = ServerConfig::new(dir.path().join("data"));
    cfg.region = REGION.into();
    let server = Server::start(cfg).expect("qcos-server starts");
    let addr = server.addr();
    assert!(addr.ip().is_loopback(), "{addr}");

    let mut c = Config::new(REGION, BUCKET);
    c.endpoint = Some(server.endpoint());
    c.credentials = Some(Credentials::new(TEST_SECRET_ID, TEST_SECRET_KEY));
    let c = Client::new(c).unwrap();
    c.create_bucket().unwrap();

    c.put_object(
        "q-put.txt",
        Body::Bytes(b"qcos"),
        &PutObjectOptions {
            acl: ObjectAcl {
                canned: Some(CannedAcl::PublicRead),
                grant_read: vec!["100000000002".into()],
                ..Default::default()
            },
            tagging: tags(&[("made-by", "qcos"), ("k 2", "v&2=3"), ("中文", "值")]),
            ..Default::default()
        },
    )
    .unwrap();
    let big = dir.path().join("big.bin");
    std::fs::write(&big, vec![7u8; 2 * 1024 * 1024 + 1]).unwrap();
    let out = c
        .upload_file(
            "q-big.bin",
            UploadSource::File(&big),
            &UploadOptions {
                attrs: ObjectAttrs {
                    acl: ObjectAcl {
                        canned: Some(CannedAcl::Private),
                        ..Default::default()
                    },
                    tagging: tags(&[("kind", "multipart")]),
                    ..Default::default()
                },
                slice_size: Some(1024 * 1024),
                chunk_size: Some(1024 * 1024),
                ..Default::default()
            },
            None,
        )
        .unwrap();
    assert!(out.parts >= 2, "{out:?}");
    c.copy_object(
        "q-copy.txt",
        &CopySource {
            bucket: BUCKET.into(),
            region: REGION.into(),
            key: "q-put.txt".into(),
            version_id: None,
        },
        &CopyObjectOptions {
            tagging_directive_replace: true,
            put: PutObjectOptions {
                tagging: tags(&[("copied", "yes")]),
                ..Default::default()
            },
            ..Default::default()
        },
    )
    .unwrap();
    c.put_object(
        "q-policy.txt",
        Body::Bytes(b"x"),
        &PutObjectOptions::default(),
    )
    .unwrap();
    c.put_object_acl_policy(
        "q-policy.txt",
        &AccessControlPolicy {
            owner_id: OWNER.into(),
            grants: vec![
                user(OWNER, "FULL_CONTROL"),
                user("qcs::cam::uin/100000000001:uin/100000000007", "WRITE"),
                Grant {
                    grantee_type: "Group".into(),
                    id: None,
                    uri: Some("http://cam.qcloud.com/groups/global/AllUsers".into()),
                    permission: "READ".into(),
                },
            ],
            ..Default::default()
        },
    )
    .unwrap();

    let input = format!(
        "{{\"port\":{},\"region\":{},\"bucket\":{},\"secret_id\":{},\"secret_key\":{}}}",
        addr.port(),
        json_str(REGION),
        json_str(BUCKET),
        json_str(TEST_SECRET_ID),
        json_str(TEST_SECRET_KEY),
    );
    let out = pyenv::run_script(
        "write_acl.py",
        &[],
        input.as_bytes(),
        Duration::from_secs(300),
    );
    assert_eq!(out.trim(), "OK", "{out}");

    // What the SDK wrote, as qcos reads it.
    assert_eq!(
        c.get_object_tagging("s-put.txt", None).unwrap(),
        tags(&[("sdk", "1"), ("a b", "c&d")])
    );
    let p = c.get_object_acl("s-put.txt").unwrap();
    assert_eq!(p.canned.as_deref(), Some("public-read"));
    assert!(
        p.grants.contains(&user(
            "qcs::cam::uin/100000000003:uin/100000000003",
            "FULL_CONTROL"
        )),
        "{p:?}"
    );
    assert_eq!(
        c.get_object_acl("s-policy.txt").unwrap().grants,
        vec![
            user(OWNER, "FULL_CONTROL"),
            user("qcs::cam::uin/100000000001:uin/100000000004", "READ_ACP"),
        ]
    );
    server.stop();
}
