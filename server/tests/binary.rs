//! The `qcos-server` binary: arguments, the listening line, loopback-only by default.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_qcos-server");

#[test]
fn binary_prints_its_address_and_serves() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(BIN)
        .args(["--data-dir"])
        .arg(dir.path())
        .args([
            "--listen",
            "127.0.0.1:0",
            "--secret-id",
            "AKIDbin",
            "--secret-key",
            "binSECRET",
            "--region",
            "ap-beijing",
            "--auto-create-buckets",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let endpoint = line
        .trim()
        .strip_prefix("qcos-server listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();
    assert!(endpoint.starts_with("http://127.0.0.1:"), "{endpoint}");

    // A signed HEAD Bucket on an auto-created bucket answers with the configured region.
    let host = "bin-1250000000.cos.ap-beijing.myqcloud.com";
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let auth = qcos::auth::authorization(
        "AKIDbin",
        "binSECRET",
        qcos::auth::KeyTime {
            start: now - 60,
            end: now + 600,
        },
        "HEAD",
        "/",
        &[],
        &[("Host", host)],
    );
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let resp = agent
        .head(format!("{endpoint}/"))
        .header("Host", host)
        .header("Authorization", &auth)
        .call()
        .unwrap();
    let status = resp.status().as_u16();
    let region = resp
        .headers()
        .get("x-cos-bucket-region")
        .map(|v| v.to_str().unwrap().to_string());
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(status, 200);
    assert_eq!(region.as_deref(), Some("ap-beijing"));
}

#[test]
fn binary_refuses_bad_arguments() {
    let dir = tempfile::tempdir().unwrap();
    let base = |listen: &str| {
        let mut c = Command::new(BIN);
        c.arg("--data-dir")
            .arg(dir.path())
            .args(["--listen", listen, "--secret-id", "a", "--secret-key", "b"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        c
    };
    let out = base("0.0.0.0:0").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--allow-non-loopback"));
    let out = Command::new(BIN).arg("--bogus").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--bogus"));
    let out = Command::new(BIN)
        .args(["--listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("--data-dir is required"));
}
