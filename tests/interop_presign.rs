//! Presigned URLs, `Authorization` strings for others, and POST Object policies against
//! the official Python SDK (`cos-python-sdk-v5`, pinned in `common::pyenv`), with a
//! pinned sign time. Run by `tests/interop/presign_cases.py`.
//!
//! - `get_presigned_url`: our `presign_url` must be byte-identical, except where the SDK
//!   departs from the documented rule; those cases assert our behaviour and show the
//!   SDK's: it leaves the security token out of the URL unless the caller adds it to
//!   `Params` (then ours is identical to it), writes a space in a parameter value as `+`
//!   (we write `%20`, cos-protocol.md §2.1), and rewrites `./` in a key as `.%2F`.
//! - `get_auth`: our `authorize` (header form) must be byte-identical. The SDK does not
//!   sign the token by itself; we do, so the SDK is given the token header explicitly.
//! - POST policies (the SDK has none): Python decodes our `policy` field with `base64`,
//!   parses it with `json`, compares it with the conditions we meant, and recomputes
//!   `q-signature` by the documented rule — an independent check of our JSON escaping.
//! - Against qcos-server in-process (module `server`): presigned PUT/GET/HEAD/DELETE
//!   work; another method, a changed parameter, key, header or signature, an expired or
//!   not-yet-valid window, a wrong key are refused; a `+`/`/`/`=` token survives where
//!   the SDKs' raw or missing token is refused; the C functions end to end.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::pyenv::{self, json_str};
use qcos::auth::{
    AuthForm, AuthInput, Credentials, KeyTime, Match, PostPolicyInput, PresignInput, UrlBase,
    authorize, iso8601_utc, post_policy, presign_url,
};
use qcos::encode::{parse_query, percent_decode};

const BUCKET: &str = "examplebucket-1250000000";
const REGION: &str = "ap-beijing";
const SECRET_ID: &str = "AKIDQjz3ltompVjBni5LitkWHFlFpwkn9U5q";
const SECRET_KEY: &str = "BQYIM75p8x0iWVFSIgqEKwFprpRSVHlz";
const NOW: i64 = 1_557_989_211;
/// A token with every character that breaks naive URL handling.
const TOKEN: &str = "s0meT0ken+with/slash=and+plus==";

#[derive(Clone)]
struct Case {
    id: String,
    method: &'static str,
    key: String,
    params: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    token: Option<String>,
    /// Give the token to the SDK in `Params` (URL cases) / `Headers` (auth cases).
    token_to_sdk: bool,
    now: i64,
    expire: i64,
    https: bool,
    domain: Option<String>,
}

fn case(id: &str, method: &'static str, key: &str) -> Case {
    Case {
        id: id.to_string(),
        method,
        key: key.to_string(),
        params: Vec::new(),
        headers: Vec::new(),
        token: None,
        token_to_sdk: false,
        now: NOW,
        expire: 300,
        https: true,
        domain: None,
    }
}

impl Case {
    fn param(mut self, k: &str, v: &str) -> Case {
        self.params.push((k.into(), v.into()));
        self
    }
    fn header(mut self, k: &str, v: &str) -> Case {
        self.headers.push((k.into(), v.into()));
        self
    }
    fn token(mut self, t: &str, to_sdk: bool) -> Case {
        self.token = Some(t.into());
        self.token_to_sdk = to_sdk;
        self
    }
    fn time(mut self, now: i64, expire: i64) -> Case {
        self.now = now;
        self.expire = expire;
        self
    }
    fn http(mut self) -> Case {
        self.https = false;
        self
    }
    fn domain(mut self, d: &str) -> Case {
        self.domain = Some(d.into());
        self
    }
    /// The Python SDK signs KeyTime = now-60 ; now+expire.
    fn key_time(&self) -> KeyTime {
        KeyTime {
            start: self.now - 60,
            end: self.now + self.expire,
        }
    }
    fn creds(&self) -> Credentials {
        match &self.token {
            Some(t) => Credentials::temporary(SECRET_ID, SECRET_KEY, t, None, 4_000_000_000),
            None => Credentials::new(SECRET_ID, SECRET_KEY),
        }
    }
    fn base(&self) -> UrlBase {
        match &self.domain {
            Some(d) => UrlBase::from_domain(self.https, d, BUCKET, REGION).unwrap(),
            None => UrlBase::virtual_hosted(self.https, BUCKET, REGION).unwrap(),
        }
    }
    fn pairs(v: &[(String, String)]) -> Vec<(&str, &str)> {
        v.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
    }
    fn our_url(&self) -> String {
        let params = Self::pairs(&self.params);
        let headers = Self::pairs(&self.headers);
        let input = PresignInput {
            params: &params,
            headers: &headers,
            ..PresignInput::new(self.method, &self.key)
        };
        presign_url(Some(&self.creds()), self.key_time(), &self.base(), &input)
            .unwrap_or_else(|e| panic!("{}: {e}", self.id))
    }
    fn our_auth(&self) -> String {
        let params = Self::pairs(&self.params);
        let headers = Self::pairs(&self.headers);
        let req = AuthInput {
            method: self.method,
            key: &self.key,
            params: &params,
            headers: &headers,
        };
        authorize(
            &self.creds(),
            self.key_time(),
            &self.base(),
            AuthForm::Header,
            &req,
        )
        .unwrap_or_else(|e| panic!("{}: {e}", self.id))
        .authorization
    }
    /// `sdk_extra` names where the token goes for the SDK: "params", "headers" or none.
    fn to_json(&self, sdk_extra: &str) -> String {
        let mut params = self.params.clone();
        let mut headers = self.headers.clone();
        if let (Some(t), true) = (&self.token, self.token_to_sdk) {
            match sdk_extra {
                "params" => params.push(("x-cos-security-token".into(), t.clone())),
                _ => headers.push(("x-cos-security-token".into(), t.clone())),
            }
        }
        let list = |v: &[(String, String)]| {
            v.iter()
                .map(|(k, v)| format!("[{},{}]", json_str(k), json_str(v)))
                .collect::<Vec<_>>()
                .join(",")
        };
        let opt = |o: &Option<String>| o.as_deref().map(json_str).unwrap_or("null".into());
        format!(
            "{{\"id\":{},\"method\":{},\"bucket\":{},\"region\":{},\"key\":{},\"params\":[{}],\"headers\":[{}],\"secret_id\":{},\"secret_key\":{},\"token\":{},\"now\":{},\"expire\":{},\"scheme\":{},\"domain\":{}}}",
            json_str(&self.id),
            json_str(self.method),
            json_str(BUCKET),
            json_str(REGION),
            json_str(&self.key),
            list(&params),
            list(&headers),
            json_str(SECRET_ID),
            json_str(SECRET_KEY),
            opt(&self.token),
            self.now,
            self.expire,
            json_str(if self.https { "https" } else { "http" }),
            opt(&self.domain),
        )
    }
}

/// URL cases where ours must equal the SDK's byte for byte.
fn identical_url_cases() -> Vec<Case> {
    vec![
        case("get-simple", "GET", "exampleobject"),
        case("put-nested", "PUT", "dir/sub/file.txt"),
        case("chinese-parens", "GET", "exampleobject(腾讯云)"),
        case("specials", "GET", "a+b%c?d#e~f!g*h'i(j)k&l=m;n,o:p@q$r"),
        case("spaces-in-key", "GET", "my file name.txt"),
        case("double-slash-and-folder", "PUT", "a//b/folder/"),
        case("unreserved", "GET", "A-Z_a.z~0-9"),
        case("delete", "DELETE", "old/object.bin"),
        case("head", "HEAD", "x.json"),
        case("post", "POST", "x.bin").param("uploads", ""),
        case("response-overrides", "GET", "report.pdf")
            .param(
                "response-content-disposition",
                "attachment;filename=report.pdf",
            )
            .param("response-content-type", "application/octet-stream")
            .param("response-cache-control", "no-cache"),
        case("mixed-case-params", "GET", "v.txt").param("versionId", "MTg0NDUxNTc1NjIzMTQ1MDAwODg"),
        case("upload-part", "PUT", "big.iso")
            .param("partNumber", "7")
            .param(
                "uploadId",
                "1585130821cbb7df1d11846c073ad648e8f33b087cec2381df437acdc833cf654b9ecc6361",
            ),
        case("param-specials", "GET", "k").param("x-cos-meta-q", "a/b=c&d+e~f"),
        case("empty-param-value", "GET", "k").param("acl", ""),
        case("content-type-header", "PUT", "img/photo.png").header("Content-Type", "image/png"),
        case("md5-and-meta", "PUT", "f.txt")
            .header("Content-MD5", "1B2M2Y8AsgTpgAmY7PhCfg==")
            .header("x-cos-meta-Author", "Zhang San")
            .header("x-cos-acl", "private"),
        case("http-scheme", "GET", "plain.txt").http(),
        case("custom-domain", "GET", "cdn/asset.js").domain("static.example.com"),
        case("custom-domain-http-put", "PUT", "u.bin")
            .domain("upload.example.com")
            .http(),
        case("long-expiry", "GET", "k").time(1_700_000_000, 7 * 24 * 3600),
        case("other-time", "PUT", "k2").time(1_234_567_890, 60),
        case("token-in-params", "GET", "secret/doc.txt").token(TOKEN, true),
        case("token-in-params-with-params", "PUT", "up/x.png")
            .param("response-content-type", "image/png")
            .header("Content-Type", "image/png")
            .token(TOKEN, true),
        case("plain-token", "GET", "k").token("AbCdEf0123456789", true),
    ]
}

fn auth_cases() -> Vec<Case> {
    vec![
        case("a-get", "GET", "exampleobject"),
        case("a-put-headers", "PUT", "dir/a b.txt")
            .header("Content-Type", "text/plain; charset=utf-8")
            .header("Content-Length", "13")
            .header("User-Agent", "curl/8.0")
            .header("x-cos-meta-Name", "值")
            .header("x-cos-storage-class", "STANDARD_IA"),
        case("a-multipart", "PUT", "big.iso")
            .param("partNumber", "1")
            .param("uploadId", "abc123"),
        case("a-list-uploads", "GET", "")
            .param("uploads", "")
            .param("prefix", "a/"),
        case("a-delete-chinese", "DELETE", "文件/名(1).txt"),
        case("a-range-if", "GET", "k")
            .header("Range", "bytes=0-99")
            .header("If-None-Match", "\"etag\""),
        case("a-domain", "GET", "k").domain("cdn.example.com"),
        case("a-token", "PUT", "k").token(TOKEN, true),
        case("a-token-time", "POST", "k")
            .param("uploads", "")
            .token(TOKEN, true)
            .time(1_700_000_000, 3600),
    ]
}

fn run_sdk(
    urls: &[String],
    auths: &[String],
    policies: &[String],
) -> HashMap<(String, String), String> {
    let input = format!(
        "{{\"urls\":[{}],\"auths\":[{}],\"policies\":[{}]}}",
        urls.join(","),
        auths.join(","),
        policies.join(",")
    );
    let out = pyenv::run_script(
        "presign_cases.py",
        &[],
        input.as_bytes(),
        Duration::from_secs(300),
    );
    let mut m = HashMap::new();
    for line in out.lines().filter(|l| !l.is_empty()) {
        let mut it = line.splitn(3, '\t');
        let (kind, id, val) = (
            it.next().unwrap(),
            it.next().unwrap(),
            it.next().unwrap_or(""),
        );
        m.insert((kind.to_string(), id.to_string()), val.to_string());
    }
    m
}

fn query_of(url: &str) -> Vec<(String, Option<String>)> {
    parse_query(url.split_once('?').map(|x| x.1).unwrap_or("")).unwrap()
}

fn q<'a>(pairs: &'a [(String, Option<String>)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .and_then(|(_, v)| v.as_deref())
}

#[test]
fn presign_and_auth_match_official_python_sdk() {
    let urls = identical_url_cases();
    // Cases where the SDK departs from the documented rule.
    let no_token = case("token-not-given-to-sdk", "GET", "secret/doc.txt").token(TOKEN, false);
    let space = case("space-in-param", "GET", "k").param(
        "response-content-disposition",
        "attachment; filename=\"a b.txt\"",
    );
    let dot_slash = case("dot-slash-key", "GET", "a./b");
    let mut url_json: Vec<String> = urls.iter().map(|c| c.to_json("params")).collect();
    for c in [&no_token, &space, &dot_slash] {
        url_json.push(c.to_json("params"));
    }
    let auths = auth_cases();
    let auth_json: Vec<String> = auths.iter().map(|c| c.to_json("headers")).collect();
    let sdk = run_sdk(&url_json, &auth_json, &[]);
    let get = |kind: &str, id: &str| -> String {
        sdk.get(&(kind.to_string(), id.to_string()))
            .unwrap_or_else(|| panic!("the SDK gave no {kind} for {id}"))
            .clone()
    };

    let mut mismatches = Vec::new();
    for c in &urls {
        let (ours, theirs) = (c.our_url(), get("url", &c.id));
        assert!(!ours.contains(SECRET_KEY));
        if ours != theirs {
            mismatches.push(format!("{}:\n  ours: {ours}\n  sdk:  {theirs}", c.id));
        }
    }
    for c in &auths {
        let (ours, theirs) = (c.our_auth(), get("auth", &c.id));
        if ours != theirs {
            mismatches.push(format!("{}:\n  ours: {ours}\n  sdk:  {theirs}", c.id));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of {} cases differ from the official SDK:\n{}",
        mismatches.len(),
        urls.len() + auths.len(),
        mismatches.join("\n")
    );

    // 1. Temporary credentials, token not put in Params by hand: the SDK's URL has no
    //    token at all (COS refuses it). Ours carries it, signed and percent-encoded, and
    //    is exactly the SDK's URL when the token is given to it explicitly.
    let (ours, theirs) = (no_token.our_url(), get("url", &no_token.id));
    assert!(!theirs.contains("x-cos-security-token"), "{theirs}");
    assert!(theirs.contains("q-url-param-list=&"), "{theirs}");
    assert!(
        ours.ends_with("&x-cos-security-token=s0meT0ken%2Bwith%2Fslash%3Dand%2Bplus%3D%3D"),
        "{ours}"
    );
    assert!(
        ours.contains("q-url-param-list=x-cos-security-token&"),
        "{ours}"
    );
    assert_eq!(q(&query_of(&ours), "x-cos-security-token"), Some(TOKEN));
    assert_eq!(ours, get("url", "token-in-params"));
    // The JS SDK appends the token raw: a server decoding `+` as a space gets another
    // token. Show what that would do to ours.
    let raw = format!(
        "{}&x-cos-security-token={TOKEN}",
        ours.rsplit_once('&').unwrap().0
    );
    assert_ne!(q(&query_of(&raw), "x-cos-security-token"), Some(TOKEN));

    // 2. A space in a parameter value: the SDK writes `+` (form encoding), we write `%20`
    //    (§2.1). Same signature, same decoded values.
    let (ours, theirs) = (space.our_url(), get("url", &space.id));
    assert!(
        theirs.contains("attachment%3B+filename%3D%22a+b.txt%22"),
        "{theirs}"
    );
    assert!(
        ours.contains("attachment%3B%20filename%3D%22a%20b.txt%22"),
        "{ours}"
    );
    assert_eq!(ours, theirs.replace('+', "%20"));
    assert_eq!(query_of(&ours), query_of(&theirs));

    // 3. `./` in a key: the SDK writes `.%2F`; we keep `/` (only all-dot segments are
    //    escaped). The path decodes the same and the signature is the same.
    let (ours, theirs) = (dot_slash.our_url(), get("url", &dot_slash.id));
    assert!(theirs.contains("/a.%2Fb?"), "{theirs}");
    assert!(ours.contains("/a./b?"), "{ours}");
    assert_eq!(ours, theirs.replace(".%2F", "./"));
    let path = |u: &str| percent_decode(u.split_once('?').unwrap().0).unwrap();
    assert_eq!(path(&ours), path(&theirs));
}

/// The conditions a policy input means, written as JSON by the test (not by the
/// library), for Python to compare after parsing ours.
struct PolicyCase<'a> {
    id: &'a str,
    creds: Credentials,
    kt: KeyTime,
    input: PostPolicyInput<'a>,
    expect_conditions: Vec<String>,
}

#[test]
fn post_policies_parse_and_verify_in_python() {
    let kt = KeyTime {
        start: NOW - 60,
        end: NOW + 3600,
    };
    let extra = [
        (
            "x-cos-meta-note",
            "quote \" backslash \\ tab \t 腾讯 \u{2028} end",
        ),
        ("x-cos-storage-class", "STANDARD_IA"),
        ("Cache-Control", "max-age=60"),
    ];
    let weird_token = "tok\"en+/=\\";
    let cases = vec![
        PolicyCase {
            id: "exact",
            creds: Credentials::new(SECRET_ID, SECRET_KEY),
            kt,
            input: PostPolicyInput {
                content_length_range: Some((0, 10 * 1024 * 1024)),
                content_type: Some(Match::Exact("image/png")),
                ..PostPolicyInput::new(BUCKET, Match::Exact("uploads/2026/照片 \"1\".png"))
            },
            expect_conditions: vec![
                format!("{{\"key\":{}}}", json_str("uploads/2026/照片 \"1\".png")),
                "[\"content-length-range\",0,10485760]".into(),
                "{\"Content-Type\":\"image/png\"}".into(),
            ],
        },
        PolicyCase {
            id: "prefix-temporary",
            creds: Credentials::temporary(SECRET_ID, SECRET_KEY, weird_token, None, NOW + 100_000),
            kt,
            input: PostPolicyInput {
                content_type: Some(Match::Prefix("image/")),
                success_action_status: Some(201),
                fields: &extra,
                ..PostPolicyInput::new(BUCKET, Match::Prefix("user/42/"))
            },
            expect_conditions: {
                let mut v = vec![
                    "[\"starts-with\",\"$key\",\"user/42/\"]".to_string(),
                    "[\"starts-with\",\"$Content-Type\",\"image/\"]".into(),
                    "{\"success_action_status\":\"201\"}".into(),
                    format!("{{\"x-cos-security-token\":{}}}", json_str(weird_token)),
                ];
                for (k, val) in &extra {
                    // json_str leaves U+2028 raw, which JSON allows.
                    v.push(format!("{{{}:{}}}", json_str(k), json_str(val)));
                }
                v
            },
        },
        PolicyCase {
            id: "any-key-in-bucket",
            creds: Credentials::new(SECRET_ID, SECRET_KEY),
            kt,
            input: PostPolicyInput::new(BUCKET, Match::Prefix("")),
            expect_conditions: vec!["[\"starts-with\",\"$key\",\"\"]".into()],
        },
    ];
    let mut json = Vec::new();
    for c in &cases {
        let p = post_policy(&c.creds, c.kt, &c.input).unwrap();
        let fields = p
            .fields
            .iter()
            .map(|(k, v)| format!("[{},{}]", json_str(k), json_str(v)))
            .collect::<Vec<_>>()
            .join(",");
        let kt_s = c.kt.to_string();
        let mut conds = vec![
            "{\"q-sign-algorithm\":\"sha1\"}".to_string(),
            format!("{{\"q-ak\":{}}}", json_str(SECRET_ID)),
            format!("{{\"q-sign-time\":{}}}", json_str(&kt_s)),
            format!("{{\"bucket\":{}}}", json_str(BUCKET)),
        ];
        conds.extend(c.expect_conditions.iter().cloned());
        json.push(format!(
            "{{\"id\":{},\"fields\":[{fields}],\"secret_key\":{},\"expect\":{{\"expiration\":{},\"conditions\":[{}]}}}}",
            json_str(c.id),
            json_str(SECRET_KEY),
            json_str(&iso8601_utc(c.kt.end).unwrap()),
            conds.join(",")
        ));
    }
    let sdk = run_sdk(&[], &[], &json);
    for c in &cases {
        let verdict = sdk
            .get(&("policy".to_string(), c.id.to_string()))
            .unwrap_or_else(|| panic!("no verdict for {}", c.id));
        assert_eq!(verdict, "ok", "policy case {}", c.id);
    }
}

// ---------------------------------------------------------------------------------------
// Against qcos-server (in-process on 127.0.0.1:0): the URLs and signatures work, and
// every tampering is refused. The server verifies with the library's signer, which the
// tests above pin to the official SDK; what these add is the wire: path-style URLs, the
// query parsing of the q-* fields and of the token, and the refusals.

mod server {
    use std::time::{SystemTime, UNIX_EPOCH};

    use qcos::auth::{
        AuthForm, AuthInput, Credentials, KeyTime, PresignInput, UrlBase, authorize, presign_url,
    };
    use qcos_server::{RunningServer, Server, ServerConfig, TEST_SECRET_ID, TEST_SECRET_KEY};

    const BUCKET: &str = "presign-1250000000";
    const TMP_ID: &str = "AKIDqcosTMPpresign";
    const TMP_KEY: &str = "qcosTMPpresignKEY";
    /// A token with `+`, `/` and `=`, as real STS tokens have.
    const TMP_TOKEN: &str = "Tok+en/with+plus=slash/and=equals==";

    struct Srv {
        server: RunningServer,
        _data: tempfile::TempDir,
    }

    fn start() -> Srv {
        let data = tempfile::tempdir().unwrap();
        let mut cfg = ServerConfig::new(data.path().join("data"));
        cfg.region = "ap-beijing".into();
        cfg.auto_create_buckets = true;
        cfg.temporary = vec![(TMP_ID.into(), TMP_KEY.into(), TMP_TOKEN.into())];
        Srv {
            server: Server::start(cfg).expect("start qcos-server"),
            _data: data,
        }
    }

    fn agent() -> ureq::Agent {
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .proxy(None)
            .build()
            .new_agent()
    }

    fn now() -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64
    }

    fn window() -> KeyTime {
        KeyTime {
            start: now() - 60,
            end: now() + 900,
        }
    }

    /// (status, body) of one request.
    fn call(
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> (u16, String) {
        let req = ureq::http::Request::builder().method(method).uri(url);
        let req = headers.iter().fold(req, |r, (k, v)| r.header(*k, *v));
        let resp = match body {
            Some(b) => agent().run(req.body(b.to_vec()).unwrap()),
            None => agent().run(req.body(()).unwrap()),
        }
        .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
        let status = resp.status().as_u16();
        let text = resp.into_body().read_to_string().unwrap_or_default();
        (status, text)
    }

    fn presign(
        creds: &Credentials,
        kt: KeyTime,
        base: &UrlBase,
        input: &PresignInput<'_>,
    ) -> String {
        let url = presign_url(Some(creds), kt, base, input).unwrap();
        assert!(!url.contains(creds.secret_key.expose()), "{url}");
        url
    }

    #[test]
    fn presigned_urls_work_and_tampering_is_refused() {
        let srv = start();
        let base = UrlBase::path_style(&srv.server.endpoint(), BUCKET).unwrap();
        let creds = Credentials::new(TEST_SECRET_ID, TEST_SECRET_KEY);
        let key = "dir/报告 (final)+v2.txt";
        let body = b"hello from a presigned PUT".as_slice();

        // Upload with a URL that binds the Content-Type.
        let ct = [("Content-Type", "text/plain")];
        let put = presign(
            &creds,
            window(),
            &base,
            &PresignInput {
                headers: &ct,
                ..PresignInput::new("PUT", key)
            },
        );
        let (st, text) = call("PUT", &put, &[("Content-Type", "text/html")], Some(body));
        assert_eq!(st, 403, "another Content-Type must be refused: {text}");
        assert!(text.contains("SignatureDoesNotMatch"), "{text}");
        let (st, text) = call("PUT", &put, &ct, Some(body));
        assert_eq!(st, 200, "{text}");

        // Download, with a signed response override.
        let rp = [("response-content-disposition", "attachment")];
        let get = presign(
            &creds,
            window(),
            &base,
            &PresignInput {
                params: &rp,
                ..PresignInput::new("GET", key)
            },
        );
        let (st, text) = call("GET", &get, &[], None);
        assert_eq!((st, text.as_bytes()), (200, body));

        // The same URL with another method, a changed parameter, another key, a
        // forged signature: refused.
        for (method, url) in [
            ("DELETE", get.clone()),
            ("PUT", get.clone()),
            ("GET", get.replace("attachment", "inline")),
            ("GET", get.replace("/dir/", "/other/")),
            ("GET", {
                let (head, sig) = get.split_once("q-signature=").unwrap();
                let flipped = if sig.starts_with('0') { "1" } else { "0" };
                format!("{head}q-signature={flipped}{}", &sig[1..])
            }),
        ] {
            let b = if method == "PUT" { Some(body) } else { None };
            let (st, text) = call(method, &url, &[], b);
            assert_eq!(st, 403, "{method} {url}: {text}");
        }
        // An expired window, and one that has not started yet.
        let old = KeyTime {
            start: now() - 7200,
            end: now() - 3600,
        };
        let (st, text) = call(
            "GET",
            &presign(&creds, old, &base, &PresignInput::new("GET", key)),
            &[],
            None,
        );
        assert_eq!(st, 403);
        assert!(text.contains("Request has expired"), "{text}");
        let later = KeyTime {
            start: now() + 3600,
            end: now() + 7200,
        };
        let (st, _) = call(
            "GET",
            &presign(&creds, later, &base, &PresignInput::new("GET", key)),
            &[],
            None,
        );
        assert_eq!(st, 403);

        // A wrong secret key signs a URL the server refuses.
        let wrong = Credentials::new(TEST_SECRET_ID, "not-the-key");
        let (st, text) = call(
            "GET",
            &presign(&wrong, window(), &base, &PresignInput::new("GET", key)),
            &[],
            None,
        );
        assert_eq!(st, 403, "{text}");

        // The single `sign=` parameter form.
        let sp = presign(
            &creds,
            window(),
            &base,
            &PresignInput {
                form: AuthForm::SignParam,
                ..PresignInput::new("GET", key)
            },
        );
        assert!(sp.contains("?sign=q-sign-algorithm%3Dsha1%26"), "{sp}");
        let (st, text) = call("GET", &sp, &[], None);
        assert_eq!((st, text.as_bytes()), (200, body));

        // A plain URL: the bucket is private, so the server refuses it.
        let plain = presign_url(
            None,
            window(),
            &base,
            &PresignInput {
                sign: false,
                ..PresignInput::new("GET", key)
            },
        )
        .unwrap();
        assert!(!plain.contains('?'), "{plain}");
        assert_eq!(call("GET", &plain, &[], None).0, 403);

        // HEAD and DELETE URLs.
        let head = presign(&creds, window(), &base, &PresignInput::new("HEAD", key));
        assert_eq!(call("HEAD", &head, &[], None).0, 200);
        let del = presign(&creds, window(), &base, &PresignInput::new("DELETE", key));
        assert_eq!(call("DELETE", &del, &[], None).0, 204);
        assert_eq!(call("GET", &get, &[], None).0, 404);
    }

    #[test]
    fn temporary_credentials_token_survives_where_the_sdks_fail() {
        let srv = start();
        let base = UrlBase::path_style(&srv.server.endpoint(), BUCKET).unwrap();
        let tmp = Credentials::temporary(TMP_ID, TMP_KEY, TMP_TOKEN, None, now() + 3600);
        let key = "tmp/object.bin";
        let body = b"uploaded with temporary credentials".as_slice();

        let put = presign(&tmp, window(), &base, &PresignInput::new("PUT", key));
        assert!(
            put.contains(
                "x-cos-security-token=Tok%2Ben%2Fwith%2Bplus%3Dslash%2Fand%3Dequals%3D%3D"
            ),
            "{put}"
        );
        let (st, text) = call("PUT", &put, &[], Some(body));
        assert_eq!(st, 200, "{text}");
        let get = presign(&tmp, window(), &base, &PresignInput::new("GET", key));
        let (st, text) = call("GET", &get, &[], None);
        assert_eq!((st, text.as_bytes()), (200, body));

        // The JS SDK's way: the token appended raw. `+` arrives as a space: refused.
        let (signed, _) = get.split_once("&x-cos-security-token=").unwrap();
        let raw = format!("{signed}&x-cos-security-token={TMP_TOKEN}");
        assert_eq!(call("GET", &raw, &[], None).0, 403);
        // The Python SDK's way without Params: no token at all. Refused.
        assert_eq!(call("GET", signed, &[], None).0, 403);
        // Another token: refused (it is signed, and it is not the credentials').
        let other = get.replace("Tok%2Ben", "Tok%2Bex");
        assert_eq!(call("GET", &other, &[], None).0, 403);

        // Header form (qcos_sign): Authorization + the signed token header.
        let a = authorize(
            &tmp,
            window(),
            &base,
            AuthForm::Header,
            &AuthInput {
                method: "GET",
                key,
                params: &[],
                headers: &[],
            },
        )
        .unwrap();
        let url = base.object_url(key);
        let mut hs: Vec<(&str, &str)> = vec![("Authorization", a.authorization.as_str())];
        hs.extend(
            a.headers
                .iter()
                .filter(|(k, _)| k != "Host")
                .map(|(k, v)| (k.as_str(), v.as_str())),
        );
        let (st, text) = call("GET", &url, &hs, None);
        assert_eq!((st, text.as_bytes()), (200, body));
        // Without the token header: refused.
        assert_eq!(call("GET", &url, &hs[..1], None).0, 403);

        // Query form (qcos_sign): the q-* fields and the token appended to the URL.
        let q = authorize(
            &tmp,
            window(),
            &base,
            AuthForm::Query,
            &AuthInput {
                method: "GET",
                key,
                params: &[],
                headers: &[],
            },
        )
        .unwrap();
        let (st, _) = call("GET", &format!("{url}?{}", q.query), &[], None);
        assert_eq!(st, 200);
    }

    /// The C functions (called from Rust here) with a client pointed at the server.
    #[test]
    fn c_api_sign_presign_and_policy() {
        use qcos::Status;
        use qcos::ffi::client::{qcos_client_free, qcos_client_new};
        use qcos::ffi::config::{
            qcos_config_new, qcos_config_set_endpoint, qcos_config_set_temporary_credentials,
        };
        use qcos::ffi::sign::*;
        use std::ffi::{CStr, CString, c_char};

        fn c(s: &str) -> CString {
            CString::new(s).unwrap()
        }
        fn s(p: *const c_char) -> String {
            assert!(!p.is_null());
            unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_string()
        }

        let srv = start();
        let mut cfg = std::ptr::null_mut();
        assert_eq!(
            qcos_config_new(c("ap-beijing").as_ptr(), c(BUCKET).as_ptr(), &mut cfg),
            Status::Ok
        );
        assert_eq!(
            qcos_config_set_endpoint(cfg, c(&srv.server.endpoint()).as_ptr()),
            Status::Ok
        );
        assert_eq!(
            qcos_config_set_temporary_credentials(
                cfg,
                c(TMP_ID).as_ptr(),
                c(TMP_KEY).as_ptr(),
                c(TMP_TOKEN).as_ptr(),
                0,
                now() + 3600
            ),
            Status::Ok
        );
        let mut client = std::ptr::null();
        assert_eq!(qcos_client_new(cfg, &mut client), Status::Ok);
        let key = c("c api/файл+1.txt");
        let body = b"bytes put through qcos_presign_url".as_slice();

        let url = |method: &str, opts: *const qcos_sign_options| -> String {
            let mut buf = vec![0 as c_char; 4096];
            let mut n = 0usize;
            let st = qcos_presign_url(
                client,
                c(method).as_ptr(),
                key.as_ptr(),
                opts,
                buf.as_mut_ptr(),
                buf.len(),
                &mut n,
            );
            assert_eq!(st, Status::Ok);
            s(buf.as_ptr())
        };
        let put = url("PUT", std::ptr::null());
        assert!(
            put.starts_with(&format!("{}/{BUCKET}/c%20api/", srv.server.endpoint())),
            "{put}"
        );
        assert!(!put.contains(TMP_KEY));
        assert_eq!(call("PUT", &put, &[], Some(body)).0, 200);
        let (st, text) = call("GET", &url("GET", std::ptr::null()), &[], None);
        assert_eq!((st, text.as_bytes()), (200, body));

        // An expired window set through the options.
        let mut o = std::ptr::null_mut();
        assert_eq!(qcos_sign_options_new(&mut o), Status::Ok);
        assert_eq!(
            qcos_sign_options_set_start_time(o, now() - 4000),
            Status::Ok
        );
        assert_eq!(qcos_sign_options_set_expires(o, 60), Status::Ok);
        assert_eq!(call("GET", &url("GET", o), &[], None).0, 403);
        qcos_sign_options_free(o);

        // qcos_sign, header form: send Authorization and the listed headers.
        let mut sig = std::ptr::null_mut();
        assert_eq!(
            qcos_sign(
                client,
                c("GET").as_ptr(),
                key.as_ptr(),
                std::ptr::null(),
                &mut sig
            ),
            Status::Ok
        );
        let auth = s(qcos_signature_authorization(sig));
        let mut headers = vec![("Authorization".to_string(), auth)];
        for i in 0..qcos_signature_header_count(sig) {
            let (k, v) = (
                s(qcos_signature_header_name(sig, i)),
                s(qcos_signature_header_value(sig, i)),
            );
            if k != "Host" {
                headers.push((k, v));
            }
        }
        qcos_signature_free(sig);
        let hs: Vec<(&str, &str)> = headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let plain = {
            let mut o = std::ptr::null_mut();
            assert_eq!(qcos_sign_options_new(&mut o), Status::Ok);
            assert_eq!(qcos_sign_options_set_signed(o, false), Status::Ok);
            let u = url("GET", o);
            qcos_sign_options_free(o);
            u
        };
        let (st, text) = call("GET", &plain, &hs, None);
        assert_eq!((st, text.as_bytes()), (200, body));
        // The same Authorization for another object: refused.
        let other = plain.replace("c%20api", "other");
        assert_eq!(call("GET", &other, &hs, None).0, 403);

        // qcos_post_policy: the form points at the bucket through the endpoint.
        let mut po = std::ptr::null_mut();
        assert_eq!(qcos_post_policy_options_new(&mut po), Status::Ok);
        assert_eq!(
            qcos_post_policy_options_set_key_prefix(po, c("browser/").as_ptr()),
            Status::Ok
        );
        let mut form = std::ptr::null_mut();
        assert_eq!(qcos_post_policy(client, po, &mut form), Status::Ok);
        assert_eq!(
            s(qcos_post_form_url(form)),
            format!("{}/{BUCKET}/", srv.server.endpoint())
        );
        let get = |n: &str| s(qcos_post_form_get(form, c(n).as_ptr()));
        assert_eq!(get("x-cos-security-token"), TMP_TOKEN);
        assert_eq!(get("q-ak"), TMP_ID);
        let kt = qcos::auth::KeyTime::parse(&get("q-key-time")).unwrap();
        let json = s(qcos_post_form_policy_json(form));
        assert_eq!(
            get("q-signature"),
            qcos::auth::sign_policy(TMP_KEY, kt, json.as_bytes())
        );
        qcos_post_form_free(form);
        qcos_post_policy_options_free(po);
        qcos_client_free(client);
    }

    const BOUNDARY: &str = "----qcosFormBoundary7MA4YWxkTrZu0gW";

    /// A multipart/form-data body: the fields, then the file part last.
    fn form_body(fields: &[(String, String)], file_name: &str, data: &[u8]) -> Vec<u8> {
        let mut b = Vec::new();
        for (k, v) in fields {
            b.extend_from_slice(
                format!(
                    "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                )
                .as_bytes(),
            );
        }
        b.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: image/jpeg\r\n\r\n"
            )
            .as_bytes(),
        );
        b.extend_from_slice(data);
        b.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
        b
    }

    fn post_form(
        srv: &Srv,
        fields: &[(String, String)],
        file_name: &str,
        data: &[u8],
    ) -> (u16, String, Vec<(String, String)>) {
        let url = format!("{}/{BUCKET}/", srv.server.endpoint());
        let ct = format!("multipart/form-data; boundary={BOUNDARY}");
        let req = ureq::http::Request::builder()
            .method("POST")
            .uri(&url)
            .header("Content-Type", ct)
            .body(form_body(fields, file_name, data))
            .unwrap();
        let resp = agent().run(req).unwrap();
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
            .collect();
        let text = resp.into_body().read_to_string().unwrap_or_default();
        (status, text, headers)
    }

    fn with(fields: &[(String, String)], name: &str, value: &str) -> Vec<(String, String)> {
        let mut f = fields.to_vec();
        match f.iter_mut().find(|(k, _)| k == name) {
            Some(e) => e.1 = value.to_string(),
            None => f.push((name.to_string(), value.to_string())),
        }
        f
    }

    #[test]
    fn post_object_with_our_policy() {
        use qcos::auth::{Match, PostPolicyInput, post_policy};
        let srv = start();
        let base = UrlBase::path_style(&srv.server.endpoint(), BUCKET).unwrap();
        let creds = Credentials::new(TEST_SECRET_ID, TEST_SECRET_KEY);
        // Bytes that look like the start of a boundary, across read-buffer sizes.
        let mut data = Vec::new();
        for i in 0..20_000u32 {
            data.extend_from_slice(
                format!("\r\n--{}{i}", &BOUNDARY[..i as usize % BOUNDARY.len()]).as_bytes(),
            );
        }
        assert!(data.len() > 300_000);
        let extra = [("x-cos-meta-owner", "user 42")];
        let p = post_policy(
            &creds,
            window(),
            &PostPolicyInput {
                content_length_range: Some((1, 1_000_000)),
                content_type: Some(Match::Exact("image/jpeg")),
                fields: &extra,
                ..PostPolicyInput::new(BUCKET, Match::Prefix("browser/"))
            },
        )
        .unwrap();
        let (st, text, headers) = post_form(&srv, &p.fields, "photo 1.jpg", &data);
        assert_eq!(st, 204, "{text}");
        let location = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("location"))
            .unwrap()
            .1
            .clone();
        assert!(
            location.ends_with("/presign-1250000000/browser/photo%201.jpg"),
            "{location}"
        );
        // The bytes and the metadata are stored.
        let get = presign(
            &creds,
            window(),
            &base,
            &PresignInput::new("GET", "browser/photo 1.jpg"),
        );
        let resp = agent().get(&get).call().unwrap();
        assert_eq!(resp.status().as_u16(), 200);
        assert_eq!(resp.headers().get("content-type").unwrap(), "image/jpeg");
        assert_eq!(resp.headers().get("x-cos-meta-owner").unwrap(), "user 42");
        assert_eq!(resp.into_body().read_to_vec().unwrap(), data);

        // A key outside the prefix; the policy reused for it: refused.
        let (st, text, _) = post_form(
            &srv,
            &with(&p.fields, "key", "private/x.jpg"),
            "x.jpg",
            b"x",
        );
        assert_eq!(st, 403, "{text}");
        assert!(
            text.contains("AccessDenied") && text.contains("$key"),
            "{text}"
        );
        // A body over or under the range.
        let big = post_policy(
            &creds,
            window(),
            &PostPolicyInput {
                content_length_range: Some((2, 10)),
                ..PostPolicyInput::new(BUCKET, Match::Exact("small.bin"))
            },
        )
        .unwrap();
        let (st, text, _) = post_form(&srv, &big.fields, "a", &[7u8; 11]);
        assert_eq!(st, 400, "{text}");
        assert!(text.contains("EntityTooLarge"), "{text}");
        let (st, text, _) = post_form(&srv, &big.fields, "a", b"1");
        assert!(st == 400 && text.contains("EntityTooSmall"), "{st} {text}");
        assert_eq!(post_form(&srv, &big.fields, "a", b"0123456789").0, 204);
        // Another Content-Type than the policy's.
        let (st, _, _) = post_form(
            &srv,
            &with(&p.fields, "Content-Type", "text/html"),
            "x.jpg",
            b"x",
        );
        assert_eq!(st, 403);
        // An expired policy.
        let old = KeyTime {
            start: now() - 7200,
            end: now() - 3600,
        };
        let expired = post_policy(
            &creds,
            old,
            &PostPolicyInput::new(BUCKET, Match::Exact("late")),
        )
        .unwrap();
        let (st, text, _) = post_form(&srv, &expired.fields, "a", b"x");
        assert!(st == 403 && text.contains("expired"), "{st} {text}");
        // A tampered policy or signature, an unknown or wrong key.
        let forged = with(&p.fields, "q-signature", &"0".repeat(40));
        let (st, text, _) = post_form(&srv, &forged, "x.jpg", b"x");
        assert!(
            st == 403 && text.contains("SignatureDoesNotMatch"),
            "{text}"
        );
        let wrong = post_policy(
            &Credentials::new(TEST_SECRET_ID, "nope"),
            window(),
            &PostPolicyInput::new(BUCKET, Match::Exact("w")),
        )
        .unwrap();
        assert_eq!(post_form(&srv, &wrong.fields, "a", b"x").0, 403);
        let nobody = post_policy(
            &Credentials::new("AKIDnobody", "k"),
            window(),
            &PostPolicyInput::new(BUCKET, Match::Exact("w")),
        )
        .unwrap();
        let (st, text, _) = post_form(&srv, &nobody.fields, "a", b"x");
        assert!(st == 403 && text.contains("InvalidAccessKeyId"), "{text}");
        // No file part, no policy: refused as malformed.
        let url = format!("{}/{BUCKET}/", srv.server.endpoint());
        let body = format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nk\r\n--{BOUNDARY}--\r\n"
        );
        let resp = agent()
            .post(&url)
            .header(
                "Content-Type",
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .send(body.as_bytes())
            .unwrap();
        assert_eq!(resp.status().as_u16(), 400);
        let fields: Vec<_> = p
            .fields
            .iter()
            .filter(|(k, _)| k != "policy")
            .cloned()
            .collect();
        assert_eq!(post_form(&srv, &fields, "x.jpg", b"x").0, 400);
    }

    #[test]
    fn post_object_status_redirect_and_temporary_credentials() {
        use qcos::auth::{Match, PostPolicyInput, post_policy};
        let srv = start();
        let tmp = Credentials::temporary(TMP_ID, TMP_KEY, TMP_TOKEN, None, now() + 3600);
        let p = post_policy(
            &tmp,
            window(),
            &PostPolicyInput {
                success_action_status: Some(201),
                ..PostPolicyInput::new(BUCKET, Match::Prefix("t/"))
            },
        )
        .unwrap();
        assert!(!p.fields.iter().any(|(_, v)| v.contains(TMP_KEY)));
        let (st, text, _) = post_form(&srv, &p.fields, "a+b.txt", b"temporary");
        assert_eq!(st, 201, "{text}");
        assert!(
            text.contains("<Key>t/a+b.txt</Key>") && text.contains("<ETag>"),
            "{text}"
        );
        // Without the token, or with the `+` turned into a space: refused.
        let no_token: Vec<_> = p
            .fields
            .iter()
            .filter(|(k, _)| k != "x-cos-security-token")
            .cloned()
            .collect();
        assert_eq!(post_form(&srv, &no_token, "a", b"x").0, 403);
        let spaced = with(
            &p.fields,
            "x-cos-security-token",
            &TMP_TOKEN.replace('+', " "),
        );
        assert_eq!(post_form(&srv, &spaced, "a", b"x").0, 403);

        let creds = Credentials::new(TEST_SECRET_ID, TEST_SECRET_KEY);
        let redirect = [("success_action_redirect", "https://app.example/done?x=1")];
        let p = post_policy(
            &creds,
            window(),
            &PostPolicyInput {
                fields: &redirect,
                ..PostPolicyInput::new(BUCKET, Match::Exact("r/done.txt"))
            },
        )
        .unwrap();
        let (st, text, headers) = post_form(&srv, &p.fields, "f", b"redirected");
        assert_eq!(st, 303, "{text}");
        let loc = &headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("location"))
            .unwrap()
            .1;
        assert!(
            loc.starts_with(
                "https://app.example/done?x=1&bucket=presign-1250000000&key=r%2Fdone.txt&etag=%22"
            ),
            "{loc}"
        );
    }
}
