//! Object tagging and ACL between qcos and the official Python SDK
//! (`cos-python-sdk-v5`, pinned in `common::pyenv`), both against one qcos-server:
//! the SDK reads tags and an ACL that qcos set, and qcos reads those the SDK set
//! (`tests/interop/tagging_acl.py`). This also checks that qcos-server accepts the
//! SDK's requests as they are (its PUT ?tagging carries no Content-MD5).

mod common;

use std::time::Duration;

use common::pyenv::{self, json_str};
use qcos::auth::Credentials;
use qcos::{Body, CannedAcl, Client, Config, ObjectAcl, PutObjectOptions};
use qcos_server::{Server, ServerConfig, TEST_SECRET_ID, TEST_SECRET_KEY};

const REGION: &str = "ap-guangzhou";
const BUCKET: &str = "interop-tags-1250000000";

#[test]
fn official_python_sdk_and_qcos_share_tags_and_acl() {
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
        "from-qcos.txt",
        Body::Bytes(b"qcos"),
        &PutObjectOptions::default(),
    )
    .unwrap();
    let tags = vec![
        ("made-by".to_string(), "qcos".to_string()),
        ("k 2".to_string(), "v&2".to_string()),
    ];
    c.put_object_tagging("from-qcos.txt", &tags, None).unwrap();
    c.put_object_acl(
        "from-qcos.txt",
        &ObjectAcl {
            canned: Some(CannedAcl::PublicRead),
            grant_read: vec!["100000000002".into()],
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
        "tagging_acl.py",
        &[],
        input.as_bytes(),
        Duration::from_secs(300),
    );
    assert_eq!(out.trim(), "OK", "{out}");

    // What the SDK set, as qcos reads it.
    assert_eq!(
        c.get_object_tagging("from-sdk.txt", None).unwrap(),
        vec![
            ("made-by".to_string(), "sdk".to_string()),
            ("中文".to_string(), "值".to_string())
        ]
    );
    let p = c.get_object_acl("from-sdk.txt").unwrap();
    assert_eq!(p.canned.as_deref(), Some("private"));
    assert!(
        p.grants.iter().any(|g| g.permission == "FULL_CONTROL"
            && g.id.as_deref() == Some("qcs::cam::uin/100000000003:uin/100000000003")),
        "{p:?}"
    );
    assert!(
        c.get_object_tagging("scratch.txt", None)
            .unwrap()
            .is_empty()
    );
    server.stop();
}
