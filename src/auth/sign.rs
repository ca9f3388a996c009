//! The COS v5 request signature (`q-sign-algorithm=sha1`), exactly as the "Request
//! Signature" page and the official Python SDK compute it.

use std::fmt;

use hmac::{Hmac, KeyInit, Mac};
use sha1::{Digest, Sha1};

use zeroize::Zeroizing;

use crate::encode::{uri_encode, uri_encode_into};
use crate::error::{Error, Result};

/// The signature's validity window, Unix seconds: rendered `start;end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyTime {
    pub start: i64,
    pub end: i64,
}

impl fmt::Display for KeyTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{};{}", self.start, self.end)
    }
}

impl KeyTime {
    /// Parse `start;end`.
    pub fn parse(s: &str) -> Option<KeyTime> {
        let (a, b) = s.split_once(';')?;
        Some(KeyTime {
            start: a.parse().ok()?,
            end: b.parse().ok()?,
        })
    }
}

/// What gets signed. `path` is the *decoded* path (`/` + raw key, `/` for bucket-level
/// requests). `params` and `headers` are exactly the entries to sign (a bare query flag
/// has value `""`).
#[derive(Debug, Clone, Copy)]
pub struct SignRequest<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub params: &'a [(&'a str, &'a str)],
    pub headers: &'a [(&'a str, &'a str)],
}

/// The pieces of a signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    pub header_list: String,
    pub url_param_list: String,
    pub signature: String,
}

/// Lowercase hex of HMAC-SHA1.
pub fn hex_hmac_sha1(key: &[u8], msg: &[u8]) -> String {
    let mut mac = <Hmac<Sha1> as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(msg);
    hex(&mac.finalize().into_bytes())
}

/// Lowercase hex of SHA-1.
pub fn hex_sha1(msg: &[u8]) -> String {
    hex(&Sha1::digest(msg))
}

fn hex(b: &[u8]) -> String {
    const H: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(b.len() * 2);
    for &x in b {
        s.push(H[(x >> 4) as usize] as char);
        s.push(H[(x & 15) as usize] as char);
    }
    s
}

/// Encode, lowercase the names, sort by encoded name: `(k1=v1&k2=v2, k1;k2)`. A value
/// may be the security token: every buffer holding values is sized up front (no
/// reallocation leaves a copy in a freed block) and cleared when dropped.
fn canonical(pairs: &[(&str, &str)]) -> (Zeroizing<String>, String) {
    let mut enc: Vec<(String, Zeroizing<String>)> = pairs
        .iter()
        .map(|(k, v)| {
            let mut value = Zeroizing::new(String::new());
            uri_encode_into(v, &mut value);
            (uri_encode(k).to_lowercase(), value)
        })
        .collect();
    enc.sort_by(|a, b| (a.0.as_str(), a.1.as_str()).cmp(&(b.0.as_str(), b.1.as_str())));
    let mut joined = Zeroizing::new(String::with_capacity(
        enc.iter().map(|(k, v)| k.len() + v.len() + 2).sum(),
    ));
    for (i, (k, v)) in enc.iter().enumerate() {
        if i > 0 {
            joined.push('&');
        }
        joined.push_str(k);
        joined.push('=');
        joined.push_str(v);
    }
    let names = enc
        .iter()
        .map(|(k, _)| k.as_str())
        .collect::<Vec<_>>()
        .join(";");
    (joined, names)
}

/// Sign exactly the given params and headers with `secret_key` over `key_time`.
pub fn sign(secret_key: &str, key_time: KeyTime, req: &SignRequest<'_>) -> Signature {
    let kt = key_time.to_string();
    let sign_key = hex_hmac_sha1(secret_key.as_bytes(), kt.as_bytes());
    let (params, param_list) = canonical(req.params);
    let (headers, header_list) = canonical(req.headers);
    // "method\npath\nparams\nheaders\n", built in a buffer of the exact size and
    // cleared afterwards (the headers may hold the security token).
    let method = req.method.to_lowercase();
    let mut http_string = Zeroizing::new(String::with_capacity(
        method.len() + req.path.len() + params.len() + headers.len() + 4,
    ));
    for part in [method.as_str(), req.path, params.as_str(), headers.as_str()] {
        http_string.push_str(part);
        http_string.push('\n');
    }
    let string_to_sign = format!("sha1\n{kt}\n{}\n", hex_sha1(http_string.as_bytes()));
    Signature {
        header_list,
        url_param_list: param_list,
        signature: hex_hmac_sha1(sign_key.as_bytes(), string_to_sign.as_bytes()),
    }
}

/// The headers COS SDKs sign: a fixed list (the official Python/Node SDK's) plus every
/// `x-cos-*` and `x-ci-*` header. `host` is always in the list.
pub fn should_sign_header(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.starts_with("x-cos-")
        || n.starts_with("x-ci-")
        || matches!(
            n.as_str(),
            "cache-control"
                | "content-disposition"
                | "content-encoding"
                | "content-length"
                | "content-md5"
                | "content-type"
                | "expect"
                | "expires"
                | "host"
                | "if-match"
                | "if-modified-since"
                | "if-none-match"
                | "if-unmodified-since"
                | "origin"
                | "range"
                | "transfer-encoding"
                | "pic-operations"
        )
}

/// The `Authorization` value for a request: signs every given query parameter and every
/// header that [`should_sign_header`] accepts.
pub fn authorization(
    secret_id: &str,
    secret_key: &str,
    key_time: KeyTime,
    method: &str,
    path: &str,
    params: &[(&str, &str)],
    headers: &[(&str, &str)],
) -> String {
    let signed_headers: Vec<(&str, &str)> = headers
        .iter()
        .copied()
        .filter(|(k, _)| should_sign_header(k))
        .collect();
    let sig = sign(
        secret_key,
        key_time,
        &SignRequest {
            method,
            path,
            params,
            headers: &signed_headers,
        },
    );
    format_authorization(secret_id, key_time, &sig)
}

/// Render the single-line `Authorization` string.
pub fn format_authorization(secret_id: &str, key_time: KeyTime, sig: &Signature) -> String {
    format!(
        "q-sign-algorithm=sha1&q-ak={secret_id}&q-sign-time={key_time}&q-key-time={key_time}&q-header-list={}&q-url-param-list={}&q-signature={}",
        sig.header_list, sig.url_param_list, sig.signature
    )
}

/// The fields of an `Authorization` string, as a server checks them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedAuthorization {
    pub secret_id: String,
    pub sign_time: KeyTime,
    pub key_time: KeyTime,
    /// Lowercased header names, in the order given.
    pub header_list: Vec<String>,
    /// Lowercased parameter names, in the order given.
    pub url_param_list: Vec<String>,
    pub signature: String,
}

/// Parse an `Authorization` string (header form, or the `q-*` query fields joined by `&`
/// after decoding).
pub fn parse_authorization(s: &str) -> Result<ParsedAuthorization> {
    let bad = |why: &str| Error::invalid("authorization", why.to_string());
    let mut alg = None;
    let (mut ak, mut st, mut kt, mut hl, mut pl, mut sig) = (None, None, None, None, None, None);
    for part in s.trim().split('&') {
        let (k, v) = part
            .split_once('=')
            .ok_or_else(|| bad("a field has no '='"))?;
        match k {
            "q-sign-algorithm" => alg = Some(v),
            "q-ak" => ak = Some(v),
            "q-sign-time" => st = Some(v),
            "q-key-time" => kt = Some(v),
            "q-header-list" => hl = Some(v),
            "q-url-param-list" => pl = Some(v),
            "q-signature" => sig = Some(v),
            _ => {}
        }
    }
    if alg != Some("sha1") {
        return Err(bad("q-sign-algorithm must be sha1"));
    }
    let list = |v: Option<&str>| -> Vec<String> {
        v.unwrap_or("")
            .split(';')
            .filter(|x| !x.is_empty())
            .map(|x| x.to_lowercase())
            .collect()
    };
    Ok(ParsedAuthorization {
        secret_id: ak.ok_or_else(|| bad("q-ak is missing"))?.to_string(),
        sign_time: st
            .and_then(KeyTime::parse)
            .ok_or_else(|| bad("q-sign-time is missing or malformed"))?,
        key_time: kt
            .and_then(KeyTime::parse)
            .ok_or_else(|| bad("q-key-time is missing or malformed"))?,
        header_list: list(hl),
        url_param_list: list(pl),
        signature: sig
            .ok_or_else(|| bad("q-signature is missing"))?
            .to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_and_sha1_vectors() {
        // RFC 2202 test case 2 and FIPS 180 "abc".
        assert_eq!(
            hex_hmac_sha1(b"Jefe", b"what do ya want for nothing?"),
            "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"
        );
        assert_eq!(hex_sha1(b"abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
    }

    #[test]
    fn canonical_form_sorts_encoded_lowercased_names() {
        let (s, l) = canonical(&[("uploadId", "AbC"), ("partNumber", "1"), ("acl", "")]);
        assert_eq!(s.as_str(), "acl=&partnumber=1&uploadid=AbC");
        assert_eq!(l, "acl;partnumber;uploadid");
        let (s, _) = canonical(&[("x-cos-grant-read", "uin=\"100000000011\"")]);
        assert_eq!(s.as_str(), "x-cos-grant-read=uin%3D%22100000000011%22");
    }

    #[test]
    fn authorization_shape_and_roundtrip_parse() {
        let kt = KeyTime {
            start: 1557989151,
            end: 1557996351,
        };
        let a = authorization(
            "AKIDQjz3ltompVjBni5LitkWHFlFpwkn9U5q",
            "BQYIM75p8x0iWVFSIgqEKwFprpRSVHlz",
            kt,
            "PUT",
            "/exampleobject(腾讯云)",
            &[],
            &[
                ("Content-Type", "text/plain"),
                (
                    "Host",
                    "examplebucket-1250000000.cos.ap-beijing.myqcloud.com",
                ),
                ("x-cos-acl", "private"),
                ("User-Agent", "not signed"),
            ],
        );
        assert!(a.starts_with("q-sign-algorithm=sha1&q-ak=AKIDQjz3ltompVjBni5LitkWHFlFpwkn9U5q&q-sign-time=1557989151;1557996351&q-key-time=1557989151;1557996351&q-header-list=content-type;host;x-cos-acl&q-url-param-list=&q-signature="), "{a}");
        let p = parse_authorization(&a).unwrap();
        assert_eq!(p.header_list, ["content-type", "host", "x-cos-acl"]);
        assert_eq!(p.key_time, kt);
        assert_eq!(p.signature.len(), 40);
        assert!(parse_authorization("q-sign-algorithm=md5&q-ak=x").is_err());
    }

    #[test]
    fn should_sign_rule() {
        for h in [
            "Host",
            "x-cos-meta-A",
            "X-CI-x",
            "Content-MD5",
            "content-type",
            "Range",
            "If-Match",
        ] {
            assert!(should_sign_header(h), "{h}");
        }
        for h in [
            "user-agent",
            "accept",
            "connection",
            "date",
            "authorization",
        ] {
            assert!(!should_sign_header(h), "{h}");
        }
    }
}
