//! qcos-server is faithful to COS as the official Python SDK (`cos-python-sdk-v5`, pinned
//! in `common::pyenv`) sees it: the SDK, configured only with
//! `CosConfig(Region, SecretId, SecretKey, IP='127.0.0.1', Port=PORT, Scheme='http')`,
//! runs put/get/head/list/copy/delete/multi-delete, a multipart `upload_file` of more than
//! 20 MiB with several threads and a ranged, CRC-checked `download_file` against a
//! qcos-server started in-process on a free loopback port
//! (`tests/interop/sdk_server.py`). Every step must pass; a failing step's report carries
//! each HTTP error answer with the request that caused it.

mod common;

use std::time::Duration;

use common::pyenv::{self, json_str};
use qcos_server::{Server, ServerConfig};

const REGION: &str = "ap-guangzhou";
const BUCKET: &str = "interop-1250000000";
const SCRATCH_BUCKET: &str = "interop-scratch-1250000000";
const SECRET_ID: &str = "AKIDinteropPermanent";
const SECRET_KEY: &str = "interopPermanentSecretKey";
const TMP_SECRET_ID: &str = "AKIDinteropTemporary";
const TMP_SECRET_KEY: &str = "interopTemporarySecretKey";
const TOKEN: &str = "interop-session-token+/=";

/// 20 MiB plus an odd tail, so the last part is short.
const BIG_SIZE: u64 = 20 * 1024 * 1024 + 12_345;
/// The SDK's PartSize is in MiB: 6 parts for BIG_SIZE.
const PART_SIZE_MB: u64 = 4;
const THREADS: u32 = 3;

const STEPS: &[&str] = &[
    "create_bucket+head_bucket",
    "put_object",
    "get_object",
    "head_object",
    "missing_object_404",
    "list_objects",
    "copy_object",
    "delete_objects",
    "delete_object",
    "upload_file_multipart",
    "download_file_ranged",
    "multipart_low_level_abort",
    "temporary_credentials_token",
    "wrong_secret_key_403",
    "temporary_without_token_403",
    "cleanup+delete_bucket",
];

#[test]
fn official_python_sdk_against_qcos_server() {
    // Build (or find) the venv before the server starts.
    pyenv::venv_python();

    let dir = tempfile::tempdir().expect("temp dir");
    let work = dir.path().join("work");
    std::fs::create_dir_all(&work).expect("work dir");
    let mut cfg = ServerConfig::new(dir.path().join("data"));
    cfg.credentials = vec![(SECRET_ID.into(), SECRET_KEY.into())];
    cfg.temporary = vec![(TMP_SECRET_ID.into(), TMP_SECRET_KEY.into(), TOKEN.into())];
    cfg.region = REGION.into();
    let server = Server::start(cfg).expect("qcos-server starts on 127.0.0.1:0");
    let addr = server.addr();
    assert!(
        addr.ip().is_loopback(),
        "server listens on loopback: {addr}"
    );

    let input = format!(
        "{{\"port\":{},\"region\":{},\"bucket\":{},\"scratch_bucket\":{},\"secret_id\":{},\"secret_key\":{},\"tmp_secret_id\":{},\"tmp_secret_key\":{},\"token\":{},\"workdir\":{},\"big_size\":{},\"part_size_mb\":{},\"threads\":{}}}",
        addr.port(),
        json_str(REGION),
        json_str(BUCKET),
        json_str(SCRATCH_BUCKET),
        json_str(SECRET_ID),
        json_str(SECRET_KEY),
        json_str(TMP_SECRET_ID),
        json_str(TMP_SECRET_KEY),
        json_str(TOKEN),
        json_str(work.to_str().expect("temp path is UTF-8")),
        BIG_SIZE,
        PART_SIZE_MB,
        THREADS,
    );
    let out = pyenv::run_script(
        "sdk_server.py",
        &[],
        input.as_bytes(),
        Duration::from_secs(600),
    );

    let mut results = Vec::new();
    for line in out.lines().filter(|l| !l.is_empty()) {
        let f: Vec<&str> = line.splitn(4, '\t').collect();
        assert!(
            f.len() == 4 && f[0] == "STEP" && (f[2] == "OK" || f[2] == "FAIL"),
            "unexpected output line from sdk_server.py: {line:?}"
        );
        results.push((f[1].to_string(), f[2] == "OK", f[3].replace("\\n", "\n")));
    }
    for (n, ok, d) in &results {
        println!("{} {n} {d}", if *ok { "ok  " } else { "FAIL" });
    }
    let names: Vec<&str> = results.iter().map(|(n, _, _)| n.as_str()).collect();
    assert_eq!(names, STEPS, "the script ran every step, in order");

    let failed: Vec<String> = results
        .iter()
        .filter(|(_, ok, _)| !ok)
        .map(|(n, _, d)| format!("step {n} FAILED: {d}"))
        .collect();
    assert!(
        failed.is_empty(),
        "{} of {} steps of the official Python SDK failed against qcos-server:\n\n{}",
        failed.len(),
        results.len(),
        failed.join("\n\n")
    );

    // The multipart upload really was multipart, with the expected number of parts
    // (the SDK retries nothing here: every step had no error answer).
    let stats = server.stats();
    let parts = BIG_SIZE.div_ceil(PART_SIZE_MB * 1024 * 1024);
    assert!(parts >= 5, "several parts: {parts}");
    // upload_file's initiate and parts, plus the low-level step's initiate and 2 parts.
    assert_eq!(stats.get("initiate"), 2, "Initiate Multipart Upload count");
    assert_eq!(stats.get("upload_part"), parts + 2, "Upload Part count");
    assert_eq!(stats.get("complete"), 1, "one Complete Multipart Upload");
    assert!(
        stats.get("get_object") >= parts,
        "download_file fetched the big object in ranged parts (get_object count {})",
        stats.get("get_object")
    );
    server.stop();
}
