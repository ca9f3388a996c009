//! Hostile input through the C API (tests/c/hostile_api.c), built against the committed
//! header and the `libqcos.a` this `cargo test` built (see tests/c_api.rs for why that
//! archive is fresh), run under valgrind against an in-process qcos-server. Afterwards
//! the bucket is checked from Rust: nothing a refused call carried reached the server.

mod native;

use native::*;
use qcos_server::{TEST_SECRET_ID, TEST_SECRET_KEY};

const BUCKET: &str = "hostile-1250000000";

#[test]
fn hostile_input_through_the_c_api_under_valgrind() {
    hostile(Check::Valgrind);
}

/// The same program built with AddressSanitizer and UBSan against the cdylib.
#[test]
fn hostile_input_through_the_c_api_under_asan() {
    if Check::Asan.available() {
        hostile(Check::Asan);
    }
}

fn hostile(check: Check) {
    let build_dir = tempfile::tempdir().unwrap();
    let exe = check.build_c(
        &manifest_dir().join("tests/c/hostile_api.c"),
        build_dir.path(),
    );
    let server = start_server_with(REGION, false, None);
    let scratch = tempfile::tempdir().unwrap();
    let mut cmd = check.command_with(&exe, &Valgrind::default().error_exitcode(101));
    let mut env = cos_env(&server, BUCKET);
    env.push(("QCOS_TEST_DIR", scratch.path().display().to_string()));
    isolate(&mut cmd, &env);
    let out = cmd.output().expect("run the program");
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
    server.server.stop();
}
