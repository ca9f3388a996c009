//! The per-language pages in `docs/` show complete examples that the suite builds
//! and runs: each page's example block must equal the example file (which
//! `tests/c_api.rs`, `tests/bindings_cpp.rs`, `tests/bindings_python.rs` and
//! `tests/bindings_install.rs` run), and the Rust example runs here against
//! qcos-server.

mod native;

#[path = "../examples/quickstart.rs"]
#[allow(dead_code)]
mod quickstart;

use native::*;

/// The fenced code blocks of a Markdown text, with their info strings.
fn code_blocks(md: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut current: Option<(String, String)> = None;
    for line in md.lines() {
        match (&mut current, line.strip_prefix("```")) {
            (None, Some(info)) => current = Some((info.trim().to_string(), String::new())),
            (Some(_), Some("")) => out.push(current.take().unwrap()),
            (Some((_, body)), _) => {
                body.push_str(line);
                body.push('\n');
            }
            (None, None) => {}
        }
    }
    out
}

#[test]
fn each_language_page_shows_its_tested_example() {
    for (page, lang, example) in [
        ("docs/c.md", "c", "examples/c/quickstart.c"),
        ("docs/cpp.md", "cpp", "examples/cpp/quickstart.cpp"),
        ("docs/python.md", "python", "examples/python/quickstart.py"),
        ("docs/rust.md", "rust", "examples/quickstart.rs"),
    ] {
        let md = std::fs::read_to_string(manifest_dir().join(page)).unwrap();
        let code = std::fs::read_to_string(manifest_dir().join(example)).unwrap();
        let blocks = code_blocks(&md);
        assert!(
            blocks
                .iter()
                .any(|(info, body)| info == lang && *body == code),
            "{page} must show {example} verbatim in a ```{lang} block (copy the file into the page)"
        );
    }
}

#[test]
fn rust_example_runs_against_qcos_server() {
    let server = start_server(false);
    let mut cfg = qcos::Config::new(REGION, "rustquick-1250000000");
    cfg.endpoint = Some(server.endpoint());
    cfg.credentials = Some(qcos::auth::Credentials::new(
        qcos_server::TEST_SECRET_ID,
        qcos_server::TEST_SECRET_KEY,
    ));
    let client = qcos::Client::new(cfg).unwrap();
    client.create_bucket().unwrap();
    quickstart::run(&client).expect("examples/quickstart.rs failed");
    // It cleaned up after itself.
    let left = client
        .list_objects(&qcos::ListObjectsOptions::default())
        .unwrap();
    assert!(left.objects.is_empty(), "left behind: {:?}", left.objects);
}
