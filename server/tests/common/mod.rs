//! Test helpers: a server in a temp dir and a small signed-request builder on ureq.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use qcos::auth::{KeyTime, authorization};
use qcos::encode::{key_to_path, query_string};
use qcos_server::{RunningServer, Server, ServerConfig, TEST_SECRET_ID, TEST_SECRET_KEY};

pub const BUCKET: &str = "test-1250000000";
pub const REGION: &str = "ap-guangzhou";
pub const TMP_ID: &str = "AKIDtmpKEY";
pub const TMP_KEY: &str = "tmpSECRET";
pub const TMP_TOKEN: &str = "token-abc";

pub struct Env {
    pub server: RunningServer,
    pub dir: tempfile::TempDir,
    pub agent: ureq::Agent,
}

pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

pub fn config(dir: &std::path::Path) -> ServerConfig {
    let mut cfg = ServerConfig::new(dir);
    cfg.temporary = vec![(TMP_ID.into(), TMP_KEY.into(), TMP_TOKEN.into())];
    cfg
}

/// A server with bucket [`BUCKET`] created.
pub fn start() -> Env {
    start_with(|_| {})
}

/// [`start`] with a configuration changed by `f`.
pub fn start_with(f: impl FnOnce(&mut ServerConfig)) -> Env {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    f(&mut cfg);
    let server = Server::start(cfg).unwrap();
    let env = Env {
        server,
        dir,
        agent: agent(),
    };
    let r = env.req("PUT", "").send();
    assert_eq!(r.status, 200, "create bucket: {}", r.text());
    env
}

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    /// Text of the first element with this name.
    pub fn xml(&self, name: &str) -> Option<String> {
        let t = self.text();
        let doc = roxmltree::Document::parse(&t).ok()?;
        doc.descendants()
            .find(|n| n.has_tag_name(name))
            .map(|n| n.text().unwrap_or("").to_string())
    }
    /// Texts of every element with this name.
    pub fn xml_all(&self, name: &str) -> Vec<String> {
        let t = self.text();
        let doc = roxmltree::Document::parse(&t).expect("well-formed XML");
        doc.descendants()
            .filter(|n| n.has_tag_name(name))
            .map(|n| n.text().unwrap_or("").to_string())
            .collect()
    }
    pub fn code(&self) -> Option<String> {
        self.xml("Code")
    }
    pub fn etag(&self) -> String {
        self.header("etag").unwrap_or("").to_string()
    }
    pub fn crc(&self) -> Option<u64> {
        self.header("x-cos-hash-crc64ecma")
            .and_then(|v| v.parse().ok())
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum SignMode {
    Header,
    Query,
    Merged,
    None,
}

pub struct Req<'a> {
    env: &'a Env,
    method: String,
    bucket: Option<String>,
    key: String,
    path_style: bool,
    query: Vec<(String, Option<String>)>,
    extra_query: Vec<(String, Option<String>)>,
    headers: Vec<(String, String)>,
    unsigned_headers: Vec<(String, String)>,
    body: Option<Vec<u8>>,
    id: String,
    secret: String,
    token: Option<String>,
    key_time: Option<KeyTime>,
    mode: SignMode,
    host: Option<String>,
    sign_path: Option<String>,
}

impl Env {
    /// A request for `key` ("" = bucket level) in [`BUCKET`], virtual-hosted, signed in
    /// the Authorization header with the test key.
    pub fn req(&self, method: &str, key: &str) -> Req<'_> {
        Req {
            env: self,
            method: method.to_string(),
            bucket: Some(BUCKET.to_string()),
            key: key.to_string(),
            path_style: false,
            query: Vec::new(),
            extra_query: Vec::new(),
            headers: Vec::new(),
            unsigned_headers: Vec::new(),
            body: None,
            id: TEST_SECRET_ID.to_string(),
            secret: TEST_SECRET_KEY.to_string(),
            token: None,
            key_time: None,
            mode: SignMode::Header,
            host: None,
            sign_path: None,
        }
    }

    pub fn put(&self, key: &str, data: &[u8]) -> Resp {
        let r = self.req("PUT", key).body(data).send();
        assert_eq!(r.status, 200, "put {key}: {}", r.text());
        r
    }

    pub fn get(&self, key: &str) -> Resp {
        self.req("GET", key).send()
    }

    pub fn port(&self) -> u16 {
        self.server.addr().port()
    }
}

impl<'a> Req<'a> {
    pub fn bucket(mut self, b: Option<&str>) -> Self {
        self.bucket = b.map(|s| s.to_string());
        self
    }
    pub fn path_style(mut self) -> Self {
        self.path_style = true;
        self
    }
    pub fn query(mut self, k: &str, v: &str) -> Self {
        self.query.push((k.to_string(), Some(v.to_string())));
        self
    }
    pub fn flag(mut self, k: &str) -> Self {
        self.query.push((k.to_string(), None));
        self
    }
    /// A query parameter added after signing (not covered by the signature).
    pub fn unsigned_query(mut self, k: &str, v: &str) -> Self {
        self.extra_query.push((k.to_string(), Some(v.to_string())));
        self
    }
    pub fn header(mut self, k: &str, v: &str) -> Self {
        self.headers.push((k.to_string(), v.to_string()));
        self
    }
    /// A header sent but never signed.
    pub fn unsigned_header(mut self, k: &str, v: &str) -> Self {
        self.unsigned_headers.push((k.to_string(), v.to_string()));
        self
    }
    pub fn body(mut self, b: &[u8]) -> Self {
        self.body = Some(b.to_vec());
        self
    }
    pub fn creds(mut self, id: &str, secret: &str) -> Self {
        self.id = id.to_string();
        self.secret = secret.to_string();
        self
    }
    pub fn token(mut self, t: &str) -> Self {
        self.token = Some(t.to_string());
        self
    }
    pub fn key_time(mut self, start: i64, end: i64) -> Self {
        self.key_time = Some(KeyTime { start, end });
        self
    }
    pub fn mode(mut self, m: SignMode) -> Self {
        self.mode = m;
        self
    }
    pub fn host(mut self, h: &str) -> Self {
        self.host = Some(h.to_string());
        self
    }
    pub fn sign_path(mut self, p: &str) -> Self {
        self.sign_path = Some(p.to_string());
        self
    }

    /// Build the URL, the headers (Host included) and the Authorization.
    pub fn prepare(&self) -> (String, Vec<(String, String)>) {
        let port = self.env.port();
        let (path, host) = match (&self.bucket, self.path_style) {
            (Some(b), false) => (
                if self.key.is_empty() {
                    "/".to_string()
                } else {
                    key_to_path(&self.key)
                },
                format!("{b}.cos.{REGION}.myqcloud.com"),
            ),
            (Some(b), true) => (
                format!(
                    "/{b}{}",
                    if self.key.is_empty() {
                        "/".to_string()
                    } else {
                        key_to_path(&self.key)
                    }
                ),
                format!("127.0.0.1:{port}"),
            ),
            (None, _) => ("/".to_string(), "service.cos.myqcloud.com".to_string()),
        };
        let host = self.host.clone().unwrap_or(host);
        let mut headers: Vec<(String, String)> = vec![("Host".into(), host)];
        headers.extend(self.headers.iter().cloned());
        let mut query = self.query.clone();
        if let (Some(t), SignMode::Query | SignMode::Merged) = (&self.token, self.mode) {
            query.push(("x-cos-security-token".into(), Some(t.clone())));
        } else if let Some(t) = &self.token {
            headers.push(("x-cos-security-token".into(), t.clone()));
        }
        let kt = self.key_time.unwrap_or(KeyTime {
            start: now() - 60,
            end: now() + 600,
        });
        let params: Vec<(&str, &str)> = query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_deref().unwrap_or("")))
            .collect();
        let hdrs: Vec<(&str, &str)> = headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let sign_path = self
            .sign_path
            .clone()
            .unwrap_or_else(|| format!("/{}", self.key));
        let auth = authorization(
            &self.id,
            &self.secret,
            kt,
            &self.method,
            &sign_path,
            &params,
            &hdrs,
        );
        match self.mode {
            SignMode::Header => headers.push(("Authorization".into(), auth)),
            SignMode::Query => {
                for part in auth.split('&') {
                    let (k, v) = part.split_once('=').unwrap();
                    query.push((k.to_string(), Some(v.to_string())));
                }
            }
            SignMode::Merged => query.push(("sign".into(), Some(auth))),
            SignMode::None => {}
        }
        query.extend(self.extra_query.iter().cloned());
        headers.extend(self.unsigned_headers.iter().cloned());
        let qs = query_string(&query);
        let url = format!(
            "http://127.0.0.1:{port}{path}{}{qs}",
            if qs.is_empty() { "" } else { "?" }
        );
        (url, headers)
    }

    pub fn send(self) -> Resp {
        let (url, headers) = self.prepare();
        let mut b = ureq::http::Request::builder()
            .method(self.method.as_str())
            .uri(&url);
        for (k, v) in &headers {
            b = b.header(k.as_str(), v.as_str());
        }
        let result = match &self.body {
            Some(body) => self.env.agent.run(b.body(body.as_slice()).unwrap()),
            None => self.env.agent.run(b.body(()).unwrap()),
        };
        let mut resp = result.unwrap_or_else(|e| panic!("{} {url}: {e}", self.method));
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
            .collect();
        let mut body = Vec::new();
        if self.method != "HEAD" {
            resp.body_mut().as_reader().read_to_end(&mut body).unwrap();
        }
        Resp {
            status,
            headers,
            body,
        }
    }
}

/// Deterministic test bytes.
pub fn data(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2654435761).wrapping_add(12345);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

pub fn md5_hex(b: &[u8]) -> String {
    use md5::{Digest, Md5};
    Md5::digest(b).iter().map(|x| format!("{x:02x}")).collect()
}

pub fn md5_b64(b: &[u8]) -> String {
    use base64::Engine;
    use md5::{Digest, Md5};
    base64::engine::general_purpose::STANDARD.encode(Md5::digest(b))
}

/// Send raw bytes on a new connection and read until the server closes or `wait`
/// passes. Returns what was read.
pub fn raw(env: &Env, bytes: &[u8], wait: Duration) -> Vec<u8> {
    let mut s = TcpStream::connect(env.server.addr()).unwrap();
    s.set_read_timeout(Some(wait)).unwrap();
    s.write_all(bytes).unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 65536];
    loop {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(_) => break,
        }
    }
    out
}

/// A signed raw request head (virtual-hosted, Authorization header).
pub fn raw_head(
    method: &str,
    key: &str,
    query: &[(&str, &str)],
    headers: &[(&str, &str)],
) -> String {
    let host = format!("{BUCKET}.cos.{REGION}.myqcloud.com");
    let mut hs: Vec<(&str, &str)> = vec![("Host", host.as_str())];
    hs.extend_from_slice(headers);
    let auth = authorization(
        TEST_SECRET_ID,
        TEST_SECRET_KEY,
        KeyTime {
            start: now() - 60,
            end: now() + 600,
        },
        method,
        &format!("/{key}"),
        query,
        &hs,
    );
    let q: Vec<(String, Option<String>)> = query
        .iter()
        .map(|(k, v)| (k.to_string(), Some(v.to_string())))
        .collect();
    let qs = query_string(&q);
    let mut head = format!(
        "{method} {}{}{qs} HTTP/1.1\r\n",
        key_to_path(key),
        if qs.is_empty() { "" } else { "?" }
    );
    for (k, v) in &hs {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!("Authorization: {auth}\r\n"));
    head
}
