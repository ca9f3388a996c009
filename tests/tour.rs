//! The README's main job, `cargo run --example tour`, must keep working: run the tour
//! binary that `cargo test` builds, against its own local qcos-server.

use std::path::PathBuf;
use std::process::Command;

fn tour_binary() -> PathBuf {
    // target/<profile>/deps/tour-<hash> -> target/<profile>/examples/tour
    let exe = std::env::current_exe().expect("test executable path");
    let profile_dir = exe
        .parent()
        .and_then(|d| d.parent())
        .expect("target/<profile>");
    profile_dir.join("examples").join("tour")
}

#[test]
fn the_tour_runs_end_to_end_against_a_local_server() {
    let bin = tour_binary();
    assert!(
        bin.exists(),
        "{} is missing: cargo test builds examples",
        bin.display()
    );
    let mut cmd = Command::new(&bin);
    for v in [
        "COS_SECRET_ID",
        "COS_SECRET_KEY",
        "COS_BUCKET",
        "COS_REGION",
        "COS_ENDPOINT",
    ] {
        cmd.env_remove(v);
    }
    let out = cmd.output().expect("run the tour");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "tour failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for expected in [
        "started a local qcos-server on http://127.0.0.1:",
        "PUT Bucket tour-1250000000: created",
        "paged listing (max-keys 1, following NextMarker): 3 objects",
        "identical to what was sent (CRC-64 verified)",
        "in 3 parts",
        "verified per part and for the whole object: true",
        "NoSuch",
        "refused before sending",
        "deleted 3 object(s), 0 error(s)",
        "objects left under qcos-tour/: 0",
        "Tour complete.",
    ] {
        assert!(
            stdout.contains(expected),
            "tour output lacks {expected:?}:\n{stdout}"
        );
    }
}
