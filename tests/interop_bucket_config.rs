//! Bucket CORS, ACL and tagging between qcos and the official Python SDK
//! (`cos-python-sdk-v5`, pinned in `common::pyenv`), both against one qcos-server:
//! the SDK reads the configuration qcos set on one bucket, and qcos reads what the SDK
//! set on another (`tests/interop/bucket_config.py`). This also checks that
//! qcos-server accepts the SDK's requests as they are and answers "nothing set" with
//! the error codes the SDK expects.

mod common;

use std::time::Duration;

use common::pyenv::{self, json_str};
use qcos::auth::Credentials;
use qcos::{BucketAcl, BucketCannedAcl, Client, Config, CorsRule};
use qcos_server::{Server, ServerConfig, TEST_SECRET_ID, TEST_SECRET_KEY};

const REGION: &str = "ap-guangzhou";
const QCOS_BUCKET: &str = "interop-bcfg-qcos-1250000000";
const SDK_BUCKET: &str = "interop-bcfg-sdk-1250000000";

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

#[test]
fn official_python_sdk_and_qcos_share_bucket_configuration() {
    pyenv::venv_python();
    let dir = tempfile::tempdir().expect("temp dir");
    let mut cfg = ServerConfig::new(dir.path().join("data"));
    cfg.region = REGION.into();
    let server = Server::start(cfg).expect("qcos-server starts");
    let addr = server.addr();
    assert!(addr.ip().is_loopback(), "{addr}");

    let client = |bucket: &str| {
        let mut c = Config::new(REGION, bucket);
        c.endpoint = Some(server.endpoint());
        c.credentials = Some(Credentials::new(TEST_SECRET_ID, TEST_SECRET_KEY));
        let c = Client::new(c).unwrap();
        c.create_bucket().unwrap();
        c
    };
    let q = client(QCOS_BUCKET);
    let sdk = client(SDK_BUCKET);

    q.put_bucket_cors(&[
        CorsRule {
            id: Some("web".into()),
            allowed_origins: s(&["https://app.example.com"]),
            allowed_methods: s(&["PUT", "GET"]),
            allowed_headers: s(&["*"]),
            expose_headers: s(&["ETag", "x-cos-request-id"]),
            max_age_seconds: Some(600),
        },
        CorsRule {
            allowed_origins: s(&["*"]),
            allowed_methods: s(&["HEAD"]),
            ..Default::default()
        },
    ])
    .unwrap();
    q.put_bucket_tagging(&[
        ("made-by".to_string(), "qcos".to_string()),
        ("k 2".to_string(), "v&2".to_string()),
    ])
    .unwrap();
    q.put_bucket_acl(&BucketAcl {
        canned: Some(BucketCannedAcl::PublicReadWrite),
        grant_write: s(&["100000000002"]),
        ..Default::default()
    })
    .unwrap();

    let input = format!(
        "{{\"port\":{},\"region\":{},\"qcos_bucket\":{},\"sdk_bucket\":{},\"secret_id\":{},\"secret_key\":{}}}",
        addr.port(),
        json_str(REGION),
        json_str(QCOS_BUCKET),
        json_str(SDK_BUCKET),
        json_str(TEST_SECRET_ID),
        json_str(TEST_SECRET_KEY),
    );
    let out = pyenv::run_script(
        "bucket_config.py",
        &[],
        input.as_bytes(),
        Duration::from_secs(300),
    );
    assert_eq!(out.trim(), "OK", "{out}");

    // What the SDK set, as qcos reads it.
    assert_eq!(
        sdk.get_bucket_cors().unwrap(),
        vec![CorsRule {
            id: Some("sdk".into()),
            allowed_origins: s(&["http://localhost:3000"]),
            allowed_methods: s(&["POST", "DELETE"]),
            allowed_headers: vec![],
            expose_headers: s(&["Content-Length"]),
            max_age_seconds: Some(60),
        }]
    );
    assert_eq!(
        sdk.get_bucket_tagging().unwrap(),
        vec![
            ("made-by".to_string(), "sdk".to_string()),
            ("中文".to_string(), "值".to_string())
        ]
    );
    let p = sdk.get_bucket_acl().unwrap();
    assert_eq!(p.canned.as_deref(), Some("public-read"));
    assert!(
        p.grants.iter().any(|g| g.permission == "WRITE"
            && g.id.as_deref() == Some("qcs::cam::uin/100000000005:uin/100000000005")),
        "{p:?}"
    );
    // The SDK deleted qcos's tags and CORS rules: qcos reads "none".
    assert!(q.get_bucket_tagging().unwrap().is_empty());
    assert!(q.get_bucket_cors().unwrap().is_empty());
    server.stop();
}
