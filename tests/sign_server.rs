//! `examples/sign_server/sign_server.c` (a C program on libqcos.a) end to end: it runs
//! against an in-process qcos-server with temporary credentials (a token with `+`, `/`
//! and `=`), hands out presigned PUT URLs, Authorizations and POST forms, and uploads
//! made with them land on the server byte for byte. Its refusals (extension, size,
//! method) and the server's (wrong size, wrong type, another key) are checked, and it
//! runs once more under valgrind.

mod native;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use native::*;
use qcos::auth::{Credentials, KeyTime, PresignInput, UrlBase, presign_url};

const REGION: &str = "ap-beijing";
const BUCKET: &str = "signserver-1250000000";
const TMP_ID: &str = "AKIDqcosSignServer";
const TMP_KEY: &str = "qcosSignServerKEY";
const TMP_TOKEN: &str = "sign+server/token=with+specials==";

fn build(out_dir: &Path) -> PathBuf {
    build_c(
        &manifest_dir().join("examples/sign_server/sign_server.c"),
        out_dir,
    )
}

fn start_cos() -> TestServer {
    start_server_with(REGION, true, Some((TMP_ID, TMP_KEY, TMP_TOKEN)))
}

/// Start the sign server (optionally under valgrind); returns it and its base URL.
fn start_sign_server(
    exe: &Path,
    cos: &TestServer,
    max_requests: u32,
    under_valgrind: bool,
) -> (Child, String) {
    let mut cmd = if under_valgrind {
        valgrind(exe)
    } else {
        Command::new(exe)
    };
    let env = cos_env_for(
        cos.endpoint(),
        REGION,
        BUCKET,
        TMP_ID,
        TMP_KEY,
        Some(TMP_TOKEN),
    );
    let mut child = isolate(&mut cmd, &env)
        .args([
            "--max-requests",
            &max_requests.to_string(),
            "--max-size",
            "1048576",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start sign_server");
    let base = listening_base(child.stdout.as_mut().unwrap());
    (child, base)
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .proxy(None)
        .build()
        .new_agent()
}

fn get(url: &str) -> (u16, String) {
    let resp = agent().get(url).call().unwrap();
    let st = resp.status().as_u16();
    (st, resp.into_body().read_to_string().unwrap())
}

fn send(method: &str, url: &str, headers: &[(String, String)], body: Vec<u8>) -> (u16, String) {
    let req = ureq::http::Request::builder().method(method).uri(url);
    let req = headers.iter().fold(req, |r, (k, v)| r.header(k, v));
    let resp = agent().run(req.body(body).unwrap()).unwrap();
    let st = resp.status().as_u16();
    (st, resp.into_body().read_to_string().unwrap_or_default())
}

/// The JSON string value at `i` (just after its opening quote): unescaped, and the
/// index after its closing quote.
fn json_string_at(s: &str, mut i: usize) -> (String, usize) {
    let b = s.as_bytes();
    let mut out = String::new();
    while b[i] != b'"' {
        if b[i] == b'\\' {
            match b[i + 1] {
                b'u' => {
                    let cp = u32::from_str_radix(&s[i + 2..i + 6], 16).unwrap();
                    out.push(char::from_u32(cp).unwrap());
                    i += 6;
                }
                c => {
                    out.push(match c {
                        b'n' => '\n',
                        b't' => '\t',
                        b'r' => '\r',
                        other => other as char,
                    });
                    i += 2;
                }
            }
        } else {
            let ch = s[i..].chars().next().unwrap();
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    (out, i + 1)
}

/// The members of the flat JSON object starting at `s[start]` (`{`), string values only.
fn json_object(s: &str, start: usize) -> Vec<(String, String)> {
    let b = s.as_bytes();
    assert_eq!(b[start], b'{', "{s}");
    let mut i = start + 1;
    let mut out = Vec::new();
    while b[i] != b'}' {
        if b[i] == b',' {
            i += 1;
        }
        assert_eq!(b[i], b'"', "{s} at {i}");
        let (k, j) = json_string_at(s, i + 1);
        assert_eq!(b[j], b':');
        if b[j + 1] == b'{' {
            // A nested object: skip it (read separately).
            let close = s[j + 1..].find('}').unwrap() + j + 1;
            i = close + 1;
            continue;
        }
        let (v, k2) = json_string_at(s, j + 2);
        out.push((k, v));
        i = k2;
    }
    out
}

fn member<'a>(m: &'a [(String, String)], name: &str) -> &'a str {
    m.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no {name} in {m:?}"))
}

fn nested(s: &str, name: &str) -> Vec<(String, String)> {
    let at = s
        .find(&format!("\"{name}\":{{"))
        .unwrap_or_else(|| panic!("no {name} in {s}"));
    json_object(s, at + name.len() + 3)
}

/// Read an object back with our own presigned GET.
fn read_back(cos: &TestServer, key: &str) -> (u16, Vec<u8>, String) {
    let base = UrlBase::path_style(&cos.endpoint(), BUCKET).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let creds = Credentials::temporary(TMP_ID, TMP_KEY, TMP_TOKEN, None, now + 3600);
    let kt = KeyTime {
        start: now - 60,
        end: now + 600,
    };
    let url = presign_url(Some(&creds), kt, &base, &PresignInput::new("GET", key)).unwrap();
    let resp = agent().get(&url).call().unwrap();
    let st = resp.status().as_u16();
    let ct = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (st, resp.into_body().read_to_vec().unwrap(), ct)
}

/// Kills the sign server if a test fails before it exits (no orphan processes).
struct Running(Option<Child>);

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(mut c) = self.0.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

const BOUNDARY: &str = "----signServerTestBoundary";

fn multipart(fields: &[(String, String)], data: &[u8]) -> Vec<u8> {
    let mut b = Vec::new();
    for (k, v) in fields {
        b.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    b.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x\"\r\n\r\n"
        )
        .as_bytes(),
    );
    b.extend_from_slice(data);
    b.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    b
}

/// The whole flow; `requests` is how many requests it makes of the sign server.
fn exercise(base: &str, cos: &TestServer) -> u32 {
    let mut requests = 0;
    let mut ask = |q: &str| {
        requests += 1;
        get(&format!("{base}/sign?{q}"))
    };

    // 1. A presigned PUT: the signed type and length must be used.
    let body = b"a PNG, honestly".to_vec();
    let (st, json) = ask(&format!("ext=PNG&size={}", body.len()));
    assert_eq!(st, 200, "{json}");
    let top = json_object(&json, 0);
    let key = member(&top, "key").to_string();
    assert!(
        key.starts_with("uploads/20") && key.ends_with(".png"),
        "{key}"
    );
    assert_eq!(member(&top, "method"), "PUT");
    assert!(!json.contains(TMP_KEY), "the SecretKey leaked: {json}");
    let url = member(&top, "url").to_string();
    assert!(
        url.contains("x-cos-security-token=sign%2Bserver%2Ftoken%3Dwith%2Bspecials%3D%3D"),
        "{url}"
    );
    let headers = nested(&json, "headers");
    assert_eq!(member(&headers, "Content-Type"), "image/png");
    assert_eq!(member(&headers, "Content-Length"), body.len().to_string());
    assert_eq!(member(&headers, "x-cos-security-token"), TMP_TOKEN);
    let ct = vec![("Content-Type".to_string(), "image/png".to_string())];
    // Another type, or another size, than what was signed: refused.
    let wrong_ct = vec![("Content-Type".to_string(), "text/html".to_string())];
    assert_eq!(send("PUT", &url, &wrong_ct, body.clone()).0, 403);
    let mut longer = body.clone();
    longer.push(b'!');
    assert_eq!(send("PUT", &url, &ct, longer).0, 403);
    let (st, text) = send("PUT", &url, &ct, body.clone());
    assert_eq!(st, 200, "{text}");
    assert_eq!(
        read_back(cos, &key),
        (200, body.clone(), "image/png".to_string())
    );

    // 2. The same kind of answer used through its Authorization header instead.
    let (st, json) = ask("ext=txt&size=5&method=put");
    assert_eq!(st, 200, "{json}");
    let top = json_object(&json, 0);
    let key2 = member(&top, "key").to_string();
    let mut hs: Vec<(String, String)> = nested(&json, "headers")
        .into_iter()
        .filter(|(k, _)| k != "Content-Length")
        .collect();
    hs.push(("Authorization".into(), member(&top, "authorization").into()));
    let (st, text) = send("PUT", member(&top, "object_url"), &hs, b"hello".to_vec());
    assert_eq!(st, 200, "{text}");
    assert_eq!(read_back(cos, &key2).1, b"hello");

    // 3. A POST form: upload within the size, over it, and for another key.
    let (st, json) = ask("ext=jpg&size=100&method=post");
    assert_eq!(st, 200, "{json}");
    let top = json_object(&json, 0);
    let key3 = member(&top, "key").to_string();
    let form_url = member(&top, "url").to_string();
    assert_eq!(form_url, format!("{}/{BUCKET}/", cos.endpoint()));
    let fields = nested(&json, "fields");
    let names: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        [
            "key",
            "policy",
            "q-sign-algorithm",
            "q-ak",
            "q-key-time",
            "q-signature",
            "x-cos-security-token",
            "Content-Type"
        ]
    );
    let form_ct = vec![(
        "Content-Type".to_string(),
        format!("multipart/form-data; boundary={BOUNDARY}"),
    )];
    let (st, text) = send(
        "POST",
        &form_url,
        &form_ct,
        multipart(&fields, &[0xFF; 101]),
    );
    assert!(st == 400 && text.contains("EntityTooLarge"), "{st} {text}");
    let mut other = fields.clone();
    other[0].1 = "uploads/elsewhere.jpg".into();
    assert_eq!(
        send("POST", &form_url, &form_ct, multipart(&other, b"x")).0,
        403
    );
    let jpeg = vec![0xD8u8; 100];
    let (st, text) = send("POST", &form_url, &form_ct, multipart(&fields, &jpeg));
    assert_eq!(st, 204, "{text}");
    assert_eq!(read_back(cos, &key3), (200, jpeg, "image/jpeg".to_string()));

    // 4. Refusals of the sign server itself.
    for (q, want) in [
        ("ext=exe&size=10", "extension"),
        ("ext=png&size=0", "size"),
        ("ext=png&size=1048577", "size"),
        ("ext=png&size=-1", "size"),
        ("ext=png", "size"),
        ("size=10", "ext"),
        ("ext=png&size=10&method=delete", "method"),
        ("ext=%zz&size=10", "ext"),
    ] {
        let (st, text) = ask(q);
        assert_eq!(st, 400, "{q}: {text}");
        assert!(text.contains(want), "{q}: {text}");
    }
    requests += 1;
    assert_eq!(get(&format!("{base}/other")).0, 404);
    requests
}

#[test]
fn sign_server_example_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let exe = build(dir.path());
    let cos = start_cos();
    // Count the requests with a first pass whose server does not stop by itself.
    let (child, base) = start_sign_server(&exe, &cos, 1000, false);
    let _guard = Running(Some(child));
    let n = exercise(&base, &cos);
    assert!(n > 10);
}

#[test]
fn sign_server_example_is_clean_under_valgrind() {
    if !require_valgrind() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let exe = build(dir.path());
    let cos = start_cos();
    // exercise() makes 12 requests; the server exits cleanly after them.
    let (child, base) = start_sign_server(&exe, &cos, 12, true);
    let mut guard = Running(Some(child));
    let n = exercise(&base, &cos);
    assert_eq!(n, 12);
    let status = guard.0.take().unwrap().wait().unwrap();
    assert!(status.success(), "sign_server under valgrind: {status}");
}
