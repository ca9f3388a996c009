//! Shared support of the `bindings_*` tests: where this cargo run put the C
//! libraries, a qcos-server to talk to, running a child with a deadline.
#![allow(dead_code)]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use qcos_server::{RunningServer, Server, ServerConfig};

pub const REGION: &str = "ap-guangzhou";
pub const TMP_ID: &str = "AKIDqcosTMP";
pub const TMP_KEY: &str = "qcosTMPsecretKEY";
pub const TMP_TOKEN: &str = "qcos-test-token-0123456789";

/// The system libraries a static link of libqcos.a needs (what `rustc --print
/// native-static-libs` reports; `tests/c_api.rs` checks the list stays current).
pub const NATIVE_STATIC_LIBS: &[&str] = &[
    "-lgcc_s",
    "-lutil",
    "-lrt",
    "-lpthread",
    "-lm",
    "-ldl",
    "-lc",
];

pub fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `target/<profile>/deps/`, the directory of the running test executable, where
/// this same cargo run wrote `libqcos.a` and `libqcos.so` (the lib target has crate
/// types rlib, cdylib and staticlib, all made by the rustc run that made the rlib
/// this test links). `target/<profile>/libqcos.*` may be stale: never used.
pub fn deps_dir() -> PathBuf {
    std::env::current_exe()
        .expect("current_exe")
        .parent()
        .expect("the test executable's directory")
        .to_path_buf()
}

pub fn shared_lib() -> PathBuf {
    let p = deps_dir().join("libqcos.so");
    assert!(
        p.is_file(),
        "{} missing (Cargo.toml must keep crate-type \"cdylib\")",
        p.display()
    );
    p
}

pub fn static_lib() -> PathBuf {
    let p = deps_dir().join("libqcos.a");
    assert!(
        p.is_file(),
        "{} missing (Cargo.toml must keep crate-type \"staticlib\")",
        p.display()
    );
    p
}

pub struct TestServer {
    pub server: RunningServer,
    _data: tempfile::TempDir,
}

impl TestServer {
    pub fn endpoint(&self) -> String {
        self.server.endpoint()
    }
}

/// An in-process qcos-server on 127.0.0.1:0 accepting the test keys and one set of
/// temporary keys ([`TMP_ID`], [`TMP_KEY`], [`TMP_TOKEN`]).
pub fn start_server(auto_create_buckets: bool) -> TestServer {
    let data = tempfile::tempdir().expect("tempdir");
    let mut cfg = ServerConfig::new(data.path().join("data"));
    cfg.region = REGION.to_string();
    cfg.auto_create_buckets = auto_create_buckets;
    cfg.temporary = vec![(TMP_ID.into(), TMP_KEY.into(), TMP_TOKEN.into())];
    let server = Server::start(cfg).expect("start qcos-server");
    TestServer {
        server,
        _data: data,
    }
}

/// The variables a C/C++ example reads through `qcos_config_from_env`.
pub fn cos_env(server: &TestServer, bucket: &str) -> Vec<(&'static str, String)> {
    vec![
        ("COS_ENDPOINT", server.endpoint()),
        ("COS_REGION", REGION.to_string()),
        ("COS_BUCKET", bucket.to_string()),
        ("COS_SECRET_ID", qcos_server::TEST_SECRET_ID.to_string()),
        ("COS_SECRET_KEY", qcos_server::TEST_SECRET_KEY.to_string()),
    ]
}

/// Clear every variable that could point a child at something else than the test
/// server, then set `env`.
pub fn isolate(cmd: &mut Command, env: &[(&str, String)]) {
    for var in [
        "COS_SECURITY_TOKEN",
        "COS_PATH_STYLE",
        "COS_ENDPOINT",
        "COS_BUCKET",
        "COS_REGION",
        "COS_SECRET_ID",
        "COS_SECRET_KEY",
        "QCOS_LIBRARY",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost");
    cmd.envs(env.iter().map(|(k, v)| (*k, v.as_str())));
}

/// Run `cmd` with no stdin, collecting its output; kill it after `timeout`.
pub fn run_with_deadline(cmd: &mut Command, timeout: Duration) -> Output {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
    let mut out = child.stdout.take().expect("piped");
    let mut err = child.stderr.take().expect("piped");
    let o = thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let e = thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait().expect("wait for child") {
            Some(s) => break s,
            None if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "{cmd:?} did not finish within {timeout:?} and was killed\n--- stdout\n{}\n--- stderr\n{}",
                    String::from_utf8_lossy(&o.join().unwrap_or_default()),
                    String::from_utf8_lossy(&e.join().unwrap_or_default())
                );
            }
            None => thread::sleep(Duration::from_millis(50)),
        }
    };
    Output {
        status,
        stdout: o.join().unwrap_or_default(),
        stderr: e.join().unwrap_or_default(),
    }
}

pub fn assert_success(what: &str, out: &Output) {
    assert!(
        out.status.success(),
        "{what} failed ({}):\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A required tool, or a failure saying how to install it (never a skip).
pub fn require_tool(tool: &str, probe_arg: &str, install_hint: &str) {
    let ok = Command::new(tool)
        .arg(probe_arg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "`{tool}` is required by this test: {install_hint}");
}

/// The C header without comments and preprocessor lines, split into top-level
/// declarations (the text after the last brace of each `;`-terminated chunk), each
/// with its whitespace collapsed.
fn header_declarations(header: &str) -> Vec<String> {
    let mut text = String::with_capacity(header.len());
    let mut rest = header;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("/*") {
            rest = after.find("*/").map_or("", |i| &after[i + 2..]);
            text.push(' ');
        } else if let Some(after) = rest.strip_prefix("//") {
            rest = after.find('\n').map_or("", |i| &after[i..]);
        } else {
            let c = rest.chars().next().unwrap();
            text.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    let text: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n");
    text.split(';')
        .map(|chunk| {
            let tail = chunk.rsplit(['{', '}']).next().unwrap_or(chunk);
            tail.split_whitespace().collect::<Vec<_>>().join(" ")
        })
        .filter(|d| !d.is_empty())
        .collect()
}

/// Every function the header declares: `(name, "ret name(params);")`.
pub fn header_functions(header: &str) -> Vec<(String, String)> {
    header_declarations(header)
        .into_iter()
        .filter(|d| !d.starts_with("typedef") && d.contains('('))
        .filter_map(|d| {
            let open = d.find('(')?;
            let name = d[..open].rsplit([' ', '*']).next()?.to_string();
            name.starts_with("qcos_").then(|| {
                let sig = d.replace("( ", "(").replace(" )", ")");
                (name, format!("{sig};"))
            })
        })
        .collect()
}

/// The ABI of the header, one line per item: every function signature, every
/// callback typedef, every enum constant with its value, in header order.
pub fn header_abi(header: &str) -> Vec<String> {
    let mut out = Vec::new();
    for d in header_declarations(header) {
        if d.starts_with("typedef") && d.contains("(*") {
            out.push(format!("{d};"));
        }
    }
    out.extend(header_functions(header).into_iter().map(|(_, s)| s));
    // Enum constants: `QCOS_X = N` anywhere outside comments.
    for d in header_declarations(&header.replace(['{', '}', ','], ";")) {
        if let Some((name, value)) = d.split_once(" = ") {
            if name.starts_with("QCOS_") && !name.contains(' ') {
                out.push(format!("enum {name} = {value};"));
            }
        }
    }
    out
}
