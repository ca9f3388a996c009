//! A real browser uploads straight to qcos-server with what the C sign server hands out.
//!
//! qcos-server runs in-process with a temporary key; `examples/sign_server` (C, linked
//! with libqcos.a) runs on another loopback port with that key in its environment and
//! serves the page in `tests/web/`. The bucket gets a CORS rule for the page's origin.
//! Headless Chromium (Debian's `/usr/bin/chromium`, driven by playwright-core from npm,
//! installed by this test into `<target>/web-node-<version>`) opens the page, which
//! - asks the sign server for a presigned PUT URL and uploads with `fetch`,
//! - asks for an Authorization and uploads with `fetch` to the plain object URL,
//! - asks for a POST policy and uploads a `FormData` with `fetch`,
//! - sends a body over the policy's size (refused: `EntityTooLarge`, readable via CORS),
//! - and submits a real `<form>` whose `success_action_redirect` brings it back.
//!
//! The test then reads every object back from the server and compares the bytes, checks
//! that the secret key was in none of the sign server's answers, removes the CORS rule
//! and checks that the browser is now stopped by the preflight.
//!
//! Needs `node`, `npm` (first run: network to the npm registry) and `/usr/bin/chromium`
//! (or `CHROMIUM`). When one is missing the test prints a SKIPPED line and passes,
//! unless `QCOS_REQUIRE_ALL=1` (as CI sets), where it fails with what to install.

mod native;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use native::*;
use qcos::auth::{Credentials, KeyTime, PresignInput, UrlBase, presign_url};
use qcos_server::{RunningServer, TEST_SECRET_ID, TEST_SECRET_KEY};

const REGION: &str = "ap-shanghai";
const BUCKET: &str = "browser-1250000000";
const TMP_ID: &str = "AKIDqcosBrowser";
const TMP_KEY: &str = "qcosBrowserSecretKEY";
const TMP_TOKEN: &str = "browser+token/with=specials==";
/// Pinned; 1.56 is the newest that still runs on Node 18 (Debian 12's nodejs).
const PLAYWRIGHT_VERSION: &str = "1.56.1";
/// Sizes of the presigned-URL PUT, the Authorization PUT, the fetch POST and the form.
const SIZES: [usize; 4] = [300_000, 1234, 70_001, 5000];
/// `<target>/<profile>/deps/<test exe>` → `<target>`.
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent()
        .and_then(Path::parent)
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| manifest_dir().join("target"))
}

/// Skip (or, with QCOS_REQUIRE_ALL=1, fail) because a tool is missing.
fn missing(what: &str) {
    let hint = "install them with: apt-get install -y chromium nodejs npm \
                (playwright-core is installed from npm by the test itself)";
    if std::env::var("QCOS_REQUIRE_ALL").as_deref() == Ok("1") {
        panic!("web_browser: {what}; QCOS_REQUIRE_ALL=1 requires this test to run: {hint}");
    }
    // Straight to the process's stderr, past the test harness's output capture, so the
    // skip shows in a plain `cargo test` run.
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "\n!!!!! SKIPPED web_browser: {what} ({hint}; set QCOS_REQUIRE_ALL=1 to make this a failure) !!!!!\n"
    );
}

fn runs(cmd: &str, arg: &str) -> bool {
    Command::new(cmd)
        .arg(arg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// `<target>/web-node/node_modules`, installing playwright-core the first time (into a
/// temporary directory renamed into place, so a half install is never used).
fn playwright_modules() -> Result<PathBuf, String> {
    let dir = target_dir().join(format!("web-node-{PLAYWRIGHT_VERSION}"));
    let modules = dir.join("node_modules");
    if modules.join("playwright-core/package.json").is_file() {
        return Ok(modules);
    }
    let tmp = target_dir().join(format!("web-node.tmp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).map_err(|e| format!("cannot create {}: {e}", tmp.display()))?;
    let out = Command::new("npm")
        .args([
            "install",
            "--no-audit",
            "--no-fund",
            "--no-save",
            "--loglevel=error",
            "--prefix",
        ])
        .arg(&tmp)
        .arg(format!("playwright-core@{PLAYWRIGHT_VERSION}"))
        .output()
        .map_err(|e| format!("cannot run npm: {e}"))?;
    if !out.status.success()
        || !tmp
            .join("node_modules/playwright-core/package.json")
            .is_file()
    {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(format!(
            "npm install playwright-core@{PLAYWRIGHT_VERSION} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    if std::fs::rename(&tmp, &dir).is_err() {
        // Another run installed it meanwhile.
        let _ = std::fs::remove_dir_all(&tmp);
    }
    if modules.join("playwright-core/package.json").is_file() {
        Ok(modules)
    } else {
        Err(format!("{} has no playwright-core", modules.display()))
    }
}

fn build_sign_server(out_dir: &Path) -> PathBuf {
    compile_static(
        "cc",
        &["-std=c11", "-O1"],
        &[],
        &manifest_dir().join("examples/sign_server/sign_server.c"),
        out_dir,
    )
}

/// A qcos-server with the temporary key the sign server signs with.
fn start_cos() -> TestServer {
    start_server_with(REGION, false, Some((TMP_ID, TMP_KEY, TMP_TOKEN)))
}

/// A child process killed (by its own handle) when dropped.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_sign_server(exe: &Path, cos: &RunningServer) -> (Proc, String) {
    let mut cmd = Command::new(exe);
    let env = cos_env_for(
        cos.endpoint(),
        REGION,
        BUCKET,
        TMP_ID,
        TMP_KEY,
        Some(TMP_TOKEN),
    );
    isolate(&mut cmd, &env)
        .args(["--max-size", "1048576", "--static"])
        .arg(manifest_dir().join("tests/web"))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let mut child = Proc(cmd.spawn().expect("start sign_server"));
    let base = listening_base(child.0.stdout.as_mut().unwrap());
    (child, base)
}

/// Run the driver; its `name=value` lines.
fn drive(
    modules: &Path,
    page: &str,
    profile: &Path,
    mode: &str,
    extra: &[String],
) -> Vec<(String, String)> {
    let mut cmd = Command::new("node");
    no_proxy(&mut cmd)
        .arg(manifest_dir().join("tests/web/driver.js"))
        .arg(page)
        .arg(profile)
        .arg(mode)
        .args(extra)
        .env("NODE_PATH", modules)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Ok(c) = std::env::var("CHROMIUM") {
        cmd.env("CHROMIUM", c);
    }
    let mut child = Proc(cmd.spawn().expect("start node"));
    let mut out = child.0.stdout.take().unwrap();
    let mut err = child.0.stderr.take().unwrap();
    let o = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let e = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + Duration::from_secs(240);
    let status = loop {
        if let Some(s) = child.0.try_wait().unwrap() {
            break Some(s);
        }
        if Instant::now() > deadline {
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    drop(child);
    let (stdout, stderr) = (o.join().unwrap(), e.join().unwrap());
    match status {
        Some(s) if s.success() => {}
        other => panic!(
            "the browser driver failed ({other:?}).\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}"
        ),
    }
    eprintln!("{stderr}");
    stdout
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn value<'a>(r: &'a [(String, String)], name: &str) -> &'a str {
    r.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("the driver reported no {name}: {r:#?}"))
}

/// The bytes the page uploads: byte i of upload `seed` is (i*31 + seed*7 + (i>>8)) & 255.
fn pattern(n: usize, seed: usize) -> Vec<u8> {
    (0..n)
        .map(|i| ((i * 31 + seed * 7 + (i >> 8)) & 255) as u8)
        .collect()
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .proxy(None)
        .build()
        .new_agent()
}

/// A signed request with the server's permanent key: (status, body, headers).
fn call(
    cos: &RunningServer,
    method: &str,
    key: &str,
    params: &[(&str, &str)],
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> (u16, Vec<u8>) {
    let base = UrlBase::path_style(&cos.endpoint(), BUCKET).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let url = presign_url(
        Some(&Credentials::new(TEST_SECRET_ID, TEST_SECRET_KEY)),
        KeyTime {
            start: now - 60,
            end: now + 600,
        },
        &base,
        &PresignInput {
            params,
            headers,
            ..PresignInput::new(method, key)
        },
    )
    .unwrap();
    let mut b = ureq::http::Request::builder().method(method).uri(&url);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    let resp = match body {
        Some(body) => agent().run(b.body(body.to_vec()).unwrap()),
        None => agent().run(b.body(()).unwrap()),
    }
    .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
    let status = resp.status().as_u16();
    let mut out = Vec::new();
    resp.into_body()
        .into_reader()
        .read_to_end(&mut out)
        .unwrap();
    (status, out)
}

fn put_cors(cos: &RunningServer, origin: &str) {
    use base64::Engine;
    use md5::{Digest, Md5};
    let doc = format!(
        "<CORSConfiguration><CORSRule><ID>page</ID><AllowedOrigin>{origin}</AllowedOrigin>\
         <AllowedMethod>PUT</AllowedMethod><AllowedMethod>POST</AllowedMethod>\
         <AllowedMethod>GET</AllowedMethod><AllowedMethod>HEAD</AllowedMethod>\
         <AllowedHeader>*</AllowedHeader>\
         <ExposeHeader>ETag</ExposeHeader><ExposeHeader>x-cos-request-id</ExposeHeader>\
         <MaxAgeSeconds>60</MaxAgeSeconds></CORSRule></CORSConfiguration>"
    );
    let md5 = base64::engine::general_purpose::STANDARD.encode(Md5::digest(doc.as_bytes()));
    let (st, body) = call(
        cos,
        "PUT",
        "",
        &[("cors", "")],
        &[("Content-MD5", &md5)],
        Some(doc.as_bytes()),
    );
    assert_eq!(st, 200, "PUT ?cors: {}", String::from_utf8_lossy(&body));
}

fn assert_stored(cos: &RunningServer, key: &str, want: &[u8], what: &str) {
    let (st, got) = call(cos, "GET", key, &[], &[], None);
    assert_eq!(
        st,
        200,
        "{what}: GET {key}: {}",
        String::from_utf8_lossy(&got)
    );
    assert!(
        got == want,
        "{what}: {key} holds {} bytes that differ from the {} uploaded",
        got.len(),
        want.len()
    );
}

#[test]
fn browser_uploads_with_presigned_url_authorization_and_post_policy() {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !Path::new(&chromium).is_file() {
        return missing(&format!(
            "{chromium} (Debian package chromium) is not installed"
        ));
    }
    if !runs("node", "--version") || !runs("npm", "--version") {
        return missing("node and npm are not installed");
    }
    let modules = match playwright_modules() {
        Ok(m) => m,
        Err(e) => return missing(&e),
    };

    let work = tempfile::tempdir().unwrap();
    let cos = start_cos();
    assert_eq!(call(&cos, "PUT", "", &[], &[], None).0, 200);
    let exe = build_sign_server(work.path());
    let (_sign, base) = start_sign_server(&exe, &cos);
    put_cors(&cos, &base);

    let page = format!("{base}/index.html");
    let sizes = format!("{},{},{}", SIZES[0], SIZES[1], SIZES[2]);
    let r = drive(
        &modules,
        &page,
        &work.path().join("profile"),
        "upload",
        &[sizes, SIZES[3].to_string()],
    );
    eprintln!("browser: {}", value(&r, "user_agent"));
    assert!(
        r.iter().all(|(k, _)| k != "error"),
        "the page reported an error: {r:#?}"
    );

    // Each upload: the page saw success and the ETag (exposed by CORS); the server holds
    // exactly the bytes.
    let cos_host = cos.addr().to_string();
    for (name, seed, size) in [
        ("put_url", 1, SIZES[0]),
        ("put_auth", 2, SIZES[1]),
        ("post_fetch", 3, SIZES[2]),
    ] {
        let want = pattern(size, seed);
        let status = value(&r, &format!("{name}.status"));
        assert_eq!(
            status,
            if name == "post_fetch" { "201" } else { "200" },
            "{name}: {r:#?}"
        );
        let key = value(&r, &format!("{name}.key"));
        assert!(key.starts_with("uploads/"), "{key}");
        assert_eq!(value(&r, &format!("{name}.host")), cos_host);
        assert_eq!(
            value(&r, &format!("{name}.etag")),
            etag_of(&want),
            "{name}: the page must read the ETag"
        );
        assert_stored(&cos, key, &want, name);
    }
    assert_eq!(
        value(&r, "post_fetch.stored_key"),
        value(&r, "post_fetch.key")
    );
    // The body over the size: refused, nothing stored.
    assert_eq!(value(&r, "too_large.status"), "400");
    assert_eq!(value(&r, "too_large.code"), "EntityTooLarge");
    let (st, _) = call(&cos, "HEAD", value(&r, "too_large.key"), &[], &[], None);
    assert_eq!(st, 404);

    // The real form: redirected to done.html with bucket, key and ETag.
    let key = value(&r, "form.key");
    let want = pattern(SIZES[3], 5);
    assert!(value(&r, "form.url").starts_with(&format!("{base}/done.html?bucket={BUCKET}&key=")));
    assert_eq!(value(&r, "form.done.key"), key);
    assert_eq!(value(&r, "form.done.bucket"), BUCKET);
    assert_eq!(value(&r, "form.done.etag"), etag_of(&want));
    assert_stored(&cos, key, &want, "form");

    // The sign server never handed out the secret key.
    let answers: Vec<&str> = r
        .iter()
        .filter(|(k, _)| k.starts_with("sign_response_"))
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(answers.len(), 4, "{answers:?}");
    for a in &answers {
        assert!(!a.contains(TMP_KEY), "the secret key leaked: {a}");
        assert!(a.contains("uploads/"), "{a}");
    }

    // Without a CORS rule for the page's origin, the browser is stopped.
    let (st, _) = call(&cos, "DELETE", "", &[("cors", "")], &[], None);
    assert_eq!(st, 204);
    let r = drive(
        &modules,
        &page,
        &work.path().join("profile2"),
        "blocked",
        &[],
    );
    assert_eq!(value(&r, "blocked"), "true", "{r:#?}");
    let (st, _) = call(&cos, "HEAD", value(&r, "blocked_key"), &[], &[], None);
    assert_eq!(st, 404, "a preflight-refused PUT must not store anything");
}

/// `"<hex MD5>"`.
fn etag_of(b: &[u8]) -> String {
    use md5::{Digest, Md5};
    let hex: String = Md5::digest(b).iter().map(|x| format!("{x:02x}")).collect();
    format!("\"{hex}\"")
}

fn get(url: &str) -> (u16, String, String) {
    let resp = agent().get(url).call().unwrap();
    let st = resp.status().as_u16();
    let ct = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    (st, ct, resp.into_body().read_to_string().unwrap())
}

/// What the page relies on, checked without a browser: the sign server serves the page's
/// files (and nothing outside them), answers `/presign` and `/post-policy` with the
/// host, and keeps the secret to itself.
#[test]
fn sign_server_serves_the_page_and_signs_without_leaking_the_secret() {
    let work = tempfile::tempdir().unwrap();
    let cos = start_cos();
    let exe = build_sign_server(work.path());
    let (_sign, base) = start_sign_server(&exe, &cos);

    let index = std::fs::read_to_string(manifest_dir().join("tests/web/index.html")).unwrap();
    for path in ["/", "/index.html"] {
        let (st, ct, body) = get(&format!("{base}{path}"));
        assert_eq!(
            (st, ct.as_str()),
            (200, "text/html; charset=utf-8"),
            "{path}"
        );
        assert_eq!(body, index);
    }
    let (st, ct, body) = get(&format!("{base}/app.js"));
    assert_eq!((st, ct.as_str()), (200, "text/javascript; charset=utf-8"));
    assert!(body.contains("prepareForm"));
    // Nothing outside the directory, no other file types, no missing files.
    for path in [
        "/../Cargo.toml",
        "/..%2fCargo.toml",
        "/driver.js/../index.html",
        "/web_browser.rs",
        "/nothing.html",
        "/.hidden.html",
    ] {
        let (st, _, body) = get(&format!("{base}{path}"));
        assert_eq!(st, 404, "{path}: {body}");
    }

    let host = cos.addr().to_string();
    let (st, _, put) = get(&format!("{base}/presign?ext=PNG&size=10"));
    assert_eq!(st, 200, "{put}");
    assert!(put.starts_with("{\"method\":\"PUT\""), "{put}");
    assert!(put.contains(&format!("\"host\":\"{host}\"")), "{put}");
    assert!(put.contains("\"Content-Type\":\"image/png\""), "{put}");
    let (st, _, post) = get(&format!("{base}/post-policy?ext=txt&size=10"));
    assert_eq!(st, 200, "{post}");
    assert!(post.starts_with("{\"method\":\"POST\""), "{post}");
    assert!(post.contains(&format!("\"host\":\"{host}\"")), "{post}");
    assert!(post.contains("\"fields\":{\"key\":\"uploads/"), "{post}");
    for answer in [&put, &post] {
        assert!(!answer.contains(TMP_KEY), "the secret key leaked: {answer}");
    }
    // The allow list and the size cap hold on the new routes too.
    let (st, _, body) = get(&format!("{base}/presign?ext=exe&size=10"));
    assert_eq!(st, 400, "{body}");
    let (st, _, body) = get(&format!("{base}/post-policy?ext=png&size=1048577"));
    assert_eq!(st, 400, "{body}");
    assert!(!body.contains(TMP_KEY));
}
