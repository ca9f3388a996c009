//! Errors: service errors carry their fields, bad input is refused before anything is
//! sent, secrets never appear in messages.

mod client_common;

use client_common::*;
use qcos::auth::Credentials;
use qcos::{Body, Client, Config, GetObjectOptions, PutObjectOptions, Status};

#[test]
fn no_such_key_carries_code_status_and_request_id() {
    let env = start();
    let c = env.client_with_bucket("errs-1250000000");
    let e = c
        .get_object("missing.txt", &GetObjectOptions::default(), &mut Vec::new())
        .unwrap_err();
    assert_eq!(e.status(), Status::Service);
    let s = e.service().unwrap();
    assert_eq!((s.http_status, s.code.as_str()), (404, "NoSuchKey"));
    assert!(!s.request_id.is_empty(), "{s:?}");
    assert!(e.to_string().contains(&s.request_id));
    // HEAD errors have no body: derived from the status, request id from the header.
    let e = c
        .head_object("missing.txt", &GetObjectOptions::default())
        .unwrap_err();
    let s = e.service().unwrap();
    assert_eq!(s.http_status, 404);
    assert!(!s.code.is_empty() && !s.request_id.is_empty(), "{s:?}");
    // A missing bucket.
    let other = Client::new(env.config("nobucket-1250000000")).unwrap();
    let e = other
        .put_object("k", Body::Bytes(b"x"), &PutObjectOptions::default())
        .unwrap_err();
    assert_eq!(e.service().map(|s| s.code.as_str()), Some("NoSuchBucket"));
}

#[test]
fn bad_names_are_refused_before_sending() {
    let env = start();
    let before = env.server.stats();
    for bucket in ["Bad_Bucket", "nobucketappid", "x-"] {
        let e = Client::new(env.config(bucket)).unwrap_err();
        assert_eq!(e.status(), Status::InvalidArgument);
        assert!(e.to_string().contains("bucket"), "{e}");
    }
    let e = Client::new(Config::new("not a region", "b-1")).unwrap_err();
    assert!(e.to_string().contains("region"), "{e}");
    let c = Client::new(env.config("fine-1250000000")).unwrap();
    for key in ["", "/lead", "a/../b"] {
        let e = c
            .put_object(key, Body::Bytes(b"x"), &PutObjectOptions::default())
            .unwrap_err();
        assert_eq!(e.status(), Status::InvalidArgument, "{key:?}");
    }
    let e = c
        .get_object("a/..", &GetObjectOptions::default(), &mut Vec::new())
        .unwrap_err();
    assert_eq!(e.status(), Status::InvalidArgument);
    let e = c
        .put_object(
            "k",
            Body::Bytes(b"x"),
            &PutObjectOptions {
                meta: vec![("m".into(), "a\r\nx-cos-acl: public-read".into())],
                ..Default::default()
            },
        )
        .unwrap_err();
    assert_eq!(e.status(), Status::InvalidArgument);
    // Nothing reached the server.
    assert_eq!(env.server.stats(), before);
}

#[test]
fn wrong_secret_is_a_signature_error_without_the_secret() {
    let env = start();
    env.client_with_bucket("sig-1250000000");
    let mut cfg = env.config("sig-1250000000");
    cfg.credentials = Some(Credentials::new(
        qcos_server::TEST_SECRET_ID,
        "TotallyWrongSecretValue",
    ));
    let c = Client::new(cfg).unwrap();
    let e = c.head_bucket().unwrap_err();
    assert_eq!(e.service().map(|s| s.http_status), Some(403));
    let e = c
        .put_object("k", Body::Bytes(b"x"), &PutObjectOptions::default())
        .unwrap_err();
    assert_eq!(
        e.service().map(|s| s.code.as_str()),
        Some("SignatureDoesNotMatch")
    );
    let text = format!("{e} {e:?}");
    assert!(!text.contains("TotallyWrongSecretValue"), "{text}");
}

#[test]
fn no_credentials_is_an_auth_error() {
    let env = start();
    let mut cfg = env.config("nocreds-1250000000");
    cfg.credentials = None;
    let c = Client::new(cfg).unwrap();
    let e = c.head_bucket().unwrap_err();
    assert_eq!(e.status(), Status::Auth);
}

#[test]
fn connection_refused_is_a_network_error_naming_the_host() {
    // Bind and drop a listener to get a port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut cfg = Config::new(REGION, "net-1250000000");
    cfg.endpoint = Some(format!("http://127.0.0.1:{port}"));
    cfg.credentials = Some(Credentials::new("id", "key"));
    cfg.max_retries = 1;
    cfg.retry_base_delay_ms = 1;
    let c = Client::new(cfg).unwrap();
    let e = c.head_bucket().unwrap_err();
    assert_eq!(e.status(), Status::Network, "{e}");
    assert!(e.to_string().contains(&format!("127.0.0.1:{port}")), "{e}");
}
