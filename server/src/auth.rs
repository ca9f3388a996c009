//! Server-side verification of COS v5 request signatures, reusing the library's signer.

use std::collections::HashMap;

use qcos::auth::{ParsedAuthorization, SignRequest, parse_authorization, sign};
use qcos::encode::uri_encode;

use crate::http::Request;

/// Signature windows starting more than this far in the server's future are refused as
/// `RequestTimeTooSkewed`.
pub const MAX_FUTURE_SKEW: i64 = 15 * 60;
/// A window starting slightly in the future (client clock a little ahead) is accepted.
pub const START_TOLERANCE: i64 = 60;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthError {
    Anonymous,
    Malformed(String),
    UnknownKey,
    Expired,
    TooSkewed,
    HostNotSigned,
    BadToken,
    Mismatch(String),
}

impl AuthError {
    /// (status, code, message) of the COS error document.
    pub fn describe(&self) -> (u16, &'static str, String) {
        match self {
            AuthError::Anonymous => (403, "AccessDenied", "Access Denied. The request carries no signature (anonymous access is not allowed).".into()),
            AuthError::Malformed(m) => (403, "AccessDenied", format!("The Authorization is malformed: {m}")),
            AuthError::UnknownKey => (403, "InvalidAccessKeyId", "The SecretId (q-ak) is not known to this server.".into()),
            AuthError::Expired => (403, "AccessDenied", "Request has expired".into()),
            AuthError::TooSkewed => (403, "RequestTimeTooSkewed", "The difference between the request time and the server's time is too large.".into()),
            AuthError::HostNotSigned => (403, "AccessDenied", "The signature must cover the host header (q-header-list lacks host).".into()),
            AuthError::BadToken => (403, "InvalidAccessKeyId", "Temporary credentials need a matching x-cos-security-token.".into()),
            AuthError::Mismatch(m) => (403, "SignatureDoesNotMatch", format!("The calculated signature does not match the provided one. {m}")),
        }
    }
}

struct Key {
    secret: String,
    token: Option<String>,
}

/// The keys this server accepts.
pub struct Verifier {
    keys: HashMap<String, Key>,
}

impl Verifier {
    pub fn new(permanent: &[(String, String)], temporary: &[(String, String, String)]) -> Self {
        let mut keys = HashMap::new();
        for (id, secret) in permanent {
            keys.insert(
                id.clone(),
                Key {
                    secret: secret.clone(),
                    token: None,
                },
            );
        }
        for (id, secret, token) in temporary {
            keys.insert(
                id.clone(),
                Key {
                    secret: secret.clone(),
                    token: Some(token.clone()),
                },
            );
        }
        Verifier { keys }
    }

    /// The SecretKey and (for temporary keys) the token of `secret_id`, for checks that
    /// do not go through an Authorization (POST Object forms).
    pub fn secret(&self, secret_id: &str) -> Option<(String, Option<String>)> {
        self.keys
            .get(secret_id)
            .map(|k| (k.secret.clone(), k.token.clone()))
    }

    /// The authorization string of a request: the `Authorization` header, the `sign`
    /// query parameter, or the `q-*` query fields.
    fn authorization(req: &Request) -> Option<String> {
        if let Some(a) = req.header("authorization") {
            return Some(a.to_string());
        }
        if let Some(s) = req.param("sign") {
            return Some(s.to_string());
        }
        if req.has_param("q-sign-algorithm") || req.has_param("q-signature") {
            let fields: Vec<String> = req
                .query
                .iter()
                .filter(|(k, _)| k.starts_with("q-"))
                .map(|(k, v)| format!("{k}={}", v.as_deref().unwrap_or("")))
                .collect();
            return Some(fields.join("&"));
        }
        None
    }

    /// Verify `req`. `paths` are the decoded paths the client may have signed (the first
    /// that verifies wins). `now` is the server's clock (Unix seconds).
    pub fn verify(&self, req: &Request, paths: &[&str], now: i64) -> Result<(), AuthError> {
        let Some(auth) = Self::authorization(req) else {
            return Err(AuthError::Anonymous);
        };
        let p: ParsedAuthorization =
            parse_authorization(&auth).map_err(|e| AuthError::Malformed(e.to_string()))?;
        let key = self.keys.get(&p.secret_id).ok_or(AuthError::UnknownKey)?;
        for kt in [p.key_time, p.sign_time] {
            if kt.start > now + MAX_FUTURE_SKEW {
                return Err(AuthError::TooSkewed);
            }
            if kt.start > now + START_TOLERANCE || now > kt.end {
                return Err(AuthError::Expired);
            }
        }
        if !p.header_list.iter().any(|h| h == "host") {
            return Err(AuthError::HostNotSigned);
        }
        if let Some(token) = &key.token {
            let sent = req
                .header("x-cos-security-token")
                .or_else(|| req.param("x-cos-security-token"));
            if sent != Some(token.as_str()) {
                return Err(AuthError::BadToken);
            }
        }
        let mut headers: Vec<(&str, &str)> = Vec::with_capacity(p.header_list.len());
        for name in &p.header_list {
            let found = req
                .headers
                .iter()
                .find(|(k, _)| uri_encode(k).to_lowercase() == *name);
            match found {
                Some((k, v)) => headers.push((k.as_str(), v.as_str())),
                None => {
                    return Err(AuthError::Mismatch(format!(
                        "Header {name:?} is listed in q-header-list but was not sent."
                    )));
                }
            }
        }
        let mut params: Vec<(&str, &str)> = Vec::with_capacity(p.url_param_list.len());
        for name in &p.url_param_list {
            let found = req
                .query
                .iter()
                .find(|(k, _)| uri_encode(k).to_lowercase() == *name);
            match found {
                Some((k, v)) => params.push((k.as_str(), v.as_deref().unwrap_or(""))),
                None => {
                    return Err(AuthError::Mismatch(format!(
                        "Parameter {name:?} is listed in q-url-param-list but was not sent."
                    )));
                }
            }
        }
        for path in paths {
            let sig = sign(
                &key.secret,
                p.key_time,
                &SignRequest {
                    method: &req.method,
                    path,
                    params: &params,
                    headers: &headers,
                },
            );
            if constant_time_eq(sig.signature.as_bytes(), p.signature.as_bytes()) {
                return Ok(());
            }
        }
        Err(AuthError::Mismatch(String::new()))
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
