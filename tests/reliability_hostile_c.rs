//! Hostile input through the C API (tests/c/hostile_api.c), built against the committed
//! header and the `libqcos.a` this `cargo test` built (see tests/c_api.rs for why that
//! archive is fresh), run under valgrind against an in-process qcos-server. Afterwards
//! the bucket is checked from Rust: nothing a refused call carried reached the server.

use std::path::{Path, PathBuf};
use std::process::Command;

use qcos_server::{Server, ServerConfig, TEST_SECRET_ID, TEST_SECRET_KEY};

const NATIVE_STATIC_LIBS: &[&str] = &[
    "-lgcc_s",
    "-lutil",
    "-lrt",
    "-lpthread",
    "-lm",
    "-ldl",
    "-lc",
];
const REGION: &str = "ap-guangzhou";
const BUCKET: &str = "hostile-1250000000";

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn static_lib() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let lib = exe.parent().unwrap().join("libqcos.a");
    assert!(lib.is_file(), "{} not found", lib.display());
    lib
}

fn build(src: &Path, out: &Path) -> PathBuf {
    let exe = out.join("hostile_api");
    let o = Command::new("cc")
        .args([
            "-std=c11",
            "-g",
            "-O0",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-pedantic",
        ])
        .arg("-I")
        .arg(manifest_dir().join("include"))
        .arg(src)
        .arg(static_lib())
        .args(NATIVE_STATIC_LIBS)
        .arg("-o")
        .arg(&exe)
        .output()
        .expect("run cc");
    assert!(
        o.status.success(),
        "compiling {}:\n{}",
        src.display(),
        String::from_utf8_lossy(&o.stderr)
    );
    exe
}

#[test]
fn hostile_input_through_the_c_api_under_valgrind() {
    let build_dir = tempfile::tempdir().unwrap();
    let exe = build(
        &manifest_dir().join("tests/c/hostile_api.c"),
        build_dir.path(),
    );
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(ServerConfig::new(data.path().join("data"))).unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let probe = Command::new("valgrind").arg("--version").output();
    assert!(
        probe.is_ok_and(|o| o.status.success()),
        "valgrind is required (apt-get install valgrind)"
    );
    let mut cmd = Command::new("valgrind");
    cmd.args([
        "--leak-check=full",
        "--errors-for-leak-kinds=definite,indirect",
        "--error-exitcode=101",
        "--quiet",
    ])
    .arg(&exe);
    for v in ["COS_SECURITY_TOKEN", "COS_PATH_STYLE"] {
        cmd.env_remove(v);
    }
    cmd.env("COS_ENDPOINT", server.endpoint())
        .env("COS_REGION", REGION)
        .env("COS_BUCKET", BUCKET)
        .env("COS_SECRET_ID", TEST_SECRET_ID)
        .env("COS_SECRET_KEY", TEST_SECRET_KEY)
        .env("QCOS_TEST_DIR", scratch.path());
    let out = cmd.output().expect("run valgrind");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains(" 0 failed"),
        "hostile_api failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        out.status
    );
    assert!(
        stderr.is_empty(),
        "stderr (library or valgrind output):\n{stderr}"
    );

    // Nothing refused reached the bucket: it is empty (every legal object was deleted).
    let mut cfg = qcos::Config::new(REGION, BUCKET);
    cfg.endpoint = Some(server.endpoint());
    cfg.credentials = Some(qcos::auth::Credentials::new(
        TEST_SECRET_ID,
        TEST_SECRET_KEY,
    ));
    let client = qcos::Client::new(cfg).unwrap();
    let page = client
        .list_objects(&qcos::ListObjectsOptions::default())
        .unwrap();
    let keys: Vec<_> = page.objects.iter().map(|o| o.key.as_str()).collect();
    assert!(keys.is_empty(), "objects left in the bucket: {keys:?}");
    // Refused calls sent nothing: the only PUTs are the legal ones the program makes
    // (13 odd keys, "inj", the 850-byte key, "r", "p").
    let puts = server.stats().get("put_object");
    assert_eq!(puts, 17, "PUT Object requests that reached the server");
    assert!(
        std::fs::read_dir(scratch.path()).unwrap().next().is_none(),
        "files left in the scratch directory"
    );
    server.stop();
}
