//! Signing for others: an `Authorization` for any request (the seed's
//! `COS.getAuthorization`, C `qcos_sign`) and presigned URLs (the seed's `getObjectUrl`,
//! C `qcos_presign_url`). Pure: credentials and the time window come in as arguments.
//!
//! # The security token
//!
//! With temporary credentials the token must travel with the request as
//! `x-cos-security-token`. We **sign it**: in the header form it is added to the signed
//! headers (it matches `x-cos-*`, as the official Python and Go SDKs do for requests),
//! in the URL forms it is added to the signed query parameters (it appears in
//! `q-url-param-list`, as the Go SDK's `GetPresignedURL2` does). A signed token cannot
//! be swapped for another on the way. COS (and qcos-server) accept a signed or an
//! unsigned token. In a URL its value is percent-encoded with [`uri_encode`](crate::encode::uri_encode), so a `+`,
//! `/` or `=` in a token survives (`+` → `%2B`; a raw `+` would be decoded as a space).
//! Of the official SDKs, Python's `get_presigned_url` leaves the token out unless the
//! caller passes it in `Params`, and the JS SDK appends it unencoded.
//!
//! # URL layout
//!
//! `{scheme}://{host}{path}?{q-* fields | sign=…}[&{params}][&x-cos-security-token=…]`:
//! the authorization fields first, then the extra parameters in the order given, then
//! the token. With the token passed as the last parameter this is byte-identical to the
//! Python SDK's `get_presigned_url` (it differs only in writing a space in a parameter
//! value as `+` where we write `%20`, the documented encoding of §2.1).

use std::fmt;

use super::credentials::Credentials;
use super::sign::{KeyTime, SignRequest, format_authorization, sign};
use crate::config::{Config, Protocol, domain_host, expand_domain, parse_endpoint};
use crate::encode::{key_to_path, uri_encode_into, validate_bucket, validate_header, validate_key};
use crate::error::{Error, Result};

/// Name of the security-token header and query parameter.
pub const SECURITY_TOKEN: &str = "x-cos-security-token";

/// Where a request for a bucket goes: the scheme, the host (the URL authority, which is
/// also the `Host` that gets signed) and, for path-style addressing, the bucket as the
/// first path segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlBase {
    https: bool,
    host: String,
    bucket_in_path: Option<String>,
}

impl UrlBase {
    /// Any host (`host` or `host:port`, IPv6 in brackets), virtual-hosted unless
    /// `bucket_in_path` is given.
    pub fn new(https: bool, host: &str, bucket_in_path: Option<&str>) -> Result<UrlBase> {
        validate_host(host)?;
        if let Some(b) = bucket_in_path {
            validate_bucket(b)?;
        }
        Ok(UrlBase {
            https,
            host: host.to_string(),
            bucket_in_path: bucket_in_path.map(str::to_string),
        })
    }

    /// The default COS host `{bucket}.cos.{region}.myqcloud.com`.
    pub fn virtual_hosted(https: bool, bucket: &str, region: &str) -> Result<UrlBase> {
        validate_bucket(bucket)?;
        crate::encode::validate_region(region)?;
        UrlBase::new(https, &format!("{bucket}.cos.{region}.myqcloud.com"), None)
    }

    /// A custom domain template (JS SDK semantics, cos-protocol.md §1.2): `{Bucket}`,
    /// `{BucketName}`, `{AppId}`, `{Region}` (case-insensitive, single or double braces)
    /// are replaced, any other `{…}` is removed, a trailing `/` is stripped. A leading
    /// `http://` or `https://` in the template overrides `https`.
    pub fn from_domain(https: bool, template: &str, bucket: &str, region: &str) -> Result<UrlBase> {
        let (scheme, host) = domain_host(&expand_domain(template, bucket, region));
        let https = scheme.map_or(https, |p| p == Protocol::Https);
        UrlBase::new(https, &host, None).map_err(|e| {
            Error::invalid(
                "domain",
                format!("the domain template {template:?} expands to {host:?}: {e}"),
            )
        })
    }

    /// Path-style addressing through an endpoint `http(s)://host[:port]` (e.g. a local
    /// qcos-server): the URL is `{endpoint}/{bucket}/{key}`, and the signed path is
    /// `/{bucket}/{key}`.
    pub fn path_style(endpoint: &str, bucket: &str) -> Result<UrlBase> {
        let e = endpoint.trim();
        let lower = e.to_ascii_lowercase();
        let (https, rest) = if lower.starts_with("https://") {
            (true, &e[8..])
        } else if lower.starts_with("http://") {
            (false, &e[7..])
        } else {
            return Err(Error::invalid(
                "endpoint",
                format!("{endpoint:?} must start with http:// or https://"),
            ));
        };
        let host = rest.strip_suffix('/').unwrap_or(rest);
        UrlBase::new(https, host, Some(bucket))
    }

    /// The base for URLs of a client configuration's bucket: `endpoint` (always path
    /// style: a URL is used as is, so its host must be what the request carries, and a
    /// plain endpoint only tells buckets apart by path), else path style on
    /// `cos.{region}.myqcloud.com`, else the `domain` template, else the accelerate or
    /// default host. The scheme is `protocol` unless the endpoint or domain names one.
    pub fn for_config(cfg: &Config) -> Result<UrlBase> {
        if cfg.bucket.is_empty() {
            return Err(Error::invalid(
                "bucket",
                "no bucket is configured; URLs and signatures are for a bucket's objects",
            ));
        }
        let https = cfg.protocol == Protocol::Https;
        if let Some(ep) = &cfg.endpoint {
            let ep = parse_endpoint(ep)?;
            return UrlBase::new(
                ep.protocol == Protocol::Https,
                &ep.authority(),
                Some(&cfg.bucket),
            );
        }
        if cfg.path_style {
            return UrlBase::new(
                https,
                &format!("cos.{}.myqcloud.com", cfg.region),
                Some(&cfg.bucket),
            );
        }
        if let Some(d) = &cfg.domain {
            return UrlBase::from_domain(https, d, &cfg.bucket, &cfg.region);
        }
        let region = if cfg.use_accelerate {
            "accelerate"
        } else {
            cfg.region.as_str()
        };
        UrlBase::virtual_hosted(https, &cfg.bucket, region)
    }

    /// `https` or `http`.
    pub fn scheme(&self) -> &'static str {
        if self.https { "https" } else { "http" }
    }

    /// The host (URL authority), which is also the `Host` that gets signed.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The wire path of `key` (`""` for the bucket itself).
    pub fn url_path(&self, key: &str) -> String {
        let p = if key.is_empty() {
            "/".to_string()
        } else {
            key_to_path(key)
        };
        match &self.bucket_in_path {
            Some(b) => format!("/{b}{p}"),
            None => p,
        }
    }

    /// The decoded path that gets signed: `/` + key, with `/{bucket}` first in path style.
    pub fn sign_path(&self, key: &str) -> String {
        match &self.bucket_in_path {
            Some(b) => format!("/{b}/{key}"),
            None => format!("/{key}"),
        }
    }

    /// `scheme://host/path` of `key`, with no query.
    pub fn object_url(&self, key: &str) -> String {
        format!("{}://{}{}", self.scheme(), self.host, self.url_path(key))
    }
}

fn validate_host(host: &str) -> Result<()> {
    let bad = |why: String| Err(Error::invalid("host", why));
    if host.is_empty() {
        return bad("the host is empty".into());
    }
    if let Some(c) = host
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':' | '[' | ']')))
    {
        return bad(format!(
            "{host:?} contains {c:?}; a host is name[:port] with no scheme, path, query or user info"
        ));
    }
    Ok(())
}

/// Where the signature goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthForm {
    /// The `Authorization` header. With temporary credentials the request must also
    /// carry the header `x-cos-security-token` (which is signed).
    Header,
    /// The seven `q-*` fields as query parameters, each value encoded with [`uri_encode`](crate::encode::uri_encode).
    Query,
    /// One `sign` query parameter holding the `Authorization` string encoded with [`uri_encode`](crate::encode::uri_encode).
    SignParam,
}

/// A request to authorize: method, object key (`""` for the bucket), the query
/// parameters it will send (all signed; a bare flag such as `acl` has value `""`) and
/// its headers.
#[derive(Debug, Clone, Copy)]
pub struct AuthInput<'a> {
    pub method: &'a str,
    pub key: &'a str,
    pub params: &'a [(&'a str, &'a str)],
    pub headers: &'a [(&'a str, &'a str)],
}

/// A computed authorization.
#[derive(Clone, PartialEq, Eq)]
pub struct Authorized {
    /// The `Authorization` string (the same signature whatever the form).
    pub authorization: String,
    /// [`AuthForm::Header`]: the headers the request must carry besides its own
    /// (`x-cos-security-token` with temporary credentials; `Host` when none was given).
    /// Empty for the query forms.
    pub headers: Vec<(String, String)>,
    /// [`AuthForm::Query`] / [`AuthForm::SignParam`]: the query string to add to the
    /// request's own parameters (`q-…` or `sign=…`, then `x-cos-security-token=…`), no
    /// leading `?` or `&`. Empty for the header form.
    pub query: String,
}

impl Authorized {
    /// Overwrite the copies of the security token this result holds (`query` and the
    /// `headers` values) before dropping it: for callers that are done with it and own
    /// no other use for the token (the C API's `qcos_sign` calls it once it has copied
    /// what it returns).
    pub fn wipe(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.query);
        for (_, v) in &mut self.headers {
            zeroize::Zeroize::zeroize(v);
        }
    }
}

impl fmt::Debug for Authorized {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The token may be in `headers` and `query`: show names only.
        f.debug_struct("Authorized")
            .field("authorization", &self.authorization)
            .field(
                "headers",
                &self.headers.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            )
            .field("query", &format_args!("<{} bytes>", self.query.len()))
            .finish()
    }
}

/// Check and adjust the window: `end > start >= 0`; with temporary credentials the end
/// is clamped to their expiry (a signature made with them is worth nothing after it).
pub(super) fn effective_key_time(creds: &Credentials, kt: KeyTime) -> Result<KeyTime> {
    if kt.start < 0 {
        return Err(Error::invalid(
            "key_time",
            format!("the signature window starts at {} (before 1970)", kt.start),
        ));
    }
    if kt.end <= kt.start {
        return Err(Error::invalid(
            "key_time",
            format!(
                "the signature window ends ({}) at or before it starts ({}): it would be expired at once",
                kt.end, kt.start
            ),
        ));
    }
    match creds.expired_time {
        Some(e) if e <= kt.start => Err(Error::Auth(format!(
            "the temporary credentials expired at {e}, before the signature window starts ({})",
            kt.start
        ))),
        Some(e) => Ok(KeyTime {
            start: kt.start,
            end: kt.end.min(e),
        }),
        None => Ok(kt),
    }
}

fn validate_method(method: &str) -> Result<()> {
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(Error::invalid(
            "method",
            format!("{method:?} is not an HTTP method (letters only, e.g. GET, PUT)"),
        ));
    }
    Ok(())
}

fn validate_object_key(key: &str) -> Result<()> {
    if key.is_empty() {
        Ok(())
    } else {
        validate_key(key)
    }
}

/// Refuse duplicate names (signing them is ambiguous) and names that collide with the
/// authorization fields.
fn validate_params(params: &[(&str, &str)]) -> Result<()> {
    let mut seen: Vec<String> = Vec::with_capacity(params.len());
    for (k, v) in params {
        if k.is_empty() {
            return Err(Error::invalid(
                "query",
                "a query parameter has an empty name",
            ));
        }
        if k.chars().chain(v.chars()).any(char::is_control) {
            return Err(Error::invalid(
                "query",
                format!("query parameter {k:?} contains a control character"),
            ));
        }
        let lower = k.to_ascii_lowercase();
        if lower.starts_with("q-") || lower == "sign" {
            return Err(Error::invalid(
                "query",
                format!("{k:?} is reserved for the signature itself"),
            ));
        }
        if seen.contains(&lower) {
            return Err(Error::invalid(
                "query",
                format!("query parameter {k:?} is given twice"),
            ));
        }
        seen.push(lower);
    }
    Ok(())
}

fn find<'a>(pairs: &'a [(&'a str, &'a str)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| *v)
}

/// The token must match the credentials' when the caller also passed one.
fn check_token(given: Option<&str>, token: &str, place: &str) -> Result<()> {
    match given {
        Some(g) if g != token => Err(Error::invalid(
            "security token",
            format!("the {SECURITY_TOKEN} {place} differs from the credentials' token"),
        )),
        _ => Ok(()),
    }
}

/// Append `k=v` (both encoded) to a query string. The value may be the security token:
/// it is encoded straight into `out`, which reserves the worst case first, so no
/// temporary or reallocated buffer keeps a copy.
fn query_pair(out: &mut String, k: &str, v: &str) {
    out.reserve(k.len().saturating_mul(3) + v.len().saturating_mul(3) + 2);
    if !out.is_empty() {
        out.push('&');
    }
    uri_encode_into(k, out);
    out.push('=');
    uri_encode_into(v, out);
}

/// The authorization rendered for a URL: the `q-*` fields (each value encoded), or
/// `sign=` + the encoded whole.
fn auth_query(form: AuthForm, authorization: &str) -> String {
    let mut q = String::with_capacity(authorization.len() + 32);
    match form {
        AuthForm::SignParam => query_pair(&mut q, "sign", authorization),
        _ => {
            for field in authorization.split('&') {
                let (k, v) = field.split_once('=').unwrap_or((field, ""));
                query_pair(&mut q, k, v);
            }
        }
    }
    q
}

/// Authorize a request (C `qcos_sign`): sign every query parameter, `Host` (from
/// `headers` when given, else `base.host()`), and every header that
/// [`super::should_sign_header`] accepts, over `key_time` (clamped to the expiry of
/// temporary credentials). With temporary credentials the token is signed too: as the
/// header `x-cos-security-token` in the header form, as the query parameter in the
/// URL forms (see the module docs).
pub fn authorize(
    creds: &Credentials,
    key_time: KeyTime,
    base: &UrlBase,
    form: AuthForm,
    req: &AuthInput<'_>,
) -> Result<Authorized> {
    creds.validate()?;
    let kt = effective_key_time(creds, key_time)?;
    validate_method(req.method)?;
    validate_object_key(req.key)?;
    validate_params(req.params)?;
    for (k, v) in req.headers {
        validate_header(k, v)?;
    }
    let token = creds.security_token.as_ref().map(|t| t.expose());

    let mut headers: Vec<(&str, &str)> = req
        .headers
        .iter()
        .copied()
        .filter(|(k, _)| super::should_sign_header(k))
        .collect();
    let mut extra_headers: Vec<(String, String)> = Vec::new();
    if find(&headers, "host").is_none() {
        headers.push(("host", base.host()));
        extra_headers.push(("Host".into(), base.host().into()));
    }
    let mut params: Vec<(&str, &str)> = req.params.to_vec();
    let mut token_query = None;
    if let Some(t) = token {
        match form {
            AuthForm::Header => {
                check_token(find(&headers, SECURITY_TOKEN), t, "header")?;
                if find(&headers, SECURITY_TOKEN).is_none() {
                    headers.push((SECURITY_TOKEN, t));
                    extra_headers.push((SECURITY_TOKEN.into(), t.into()));
                }
            }
            AuthForm::Query | AuthForm::SignParam => {
                check_token(find(&params, SECURITY_TOKEN), t, "query parameter")?;
                if find(&params, SECURITY_TOKEN).is_none() {
                    params.push((SECURITY_TOKEN, t));
                    token_query = Some(t);
                }
            }
        }
    }
    let path = base.sign_path(req.key);
    let sig = sign(
        creds.secret_key.expose(),
        kt,
        &SignRequest {
            method: req.method,
            path: &path,
            params: &params,
            headers: &headers,
        },
    );
    let authorization = format_authorization(&creds.secret_id, kt, &sig);
    Ok(match form {
        AuthForm::Header => Authorized {
            authorization,
            headers: extra_headers,
            query: String::new(),
        },
        AuthForm::Query | AuthForm::SignParam => {
            let mut query = auth_query(form, &authorization);
            if let Some(t) = token_query {
                query_pair(&mut query, SECURITY_TOKEN, t);
            }
            Authorized {
                authorization,
                headers: Vec::new(),
                query,
            }
        }
    })
}

/// What to presign.
#[derive(Debug, Clone, Copy)]
pub struct PresignInput<'a> {
    /// The method the URL is for (`GET` to download, `PUT` to upload, ...).
    pub method: &'a str,
    /// Object key (`""` for the bucket itself).
    pub key: &'a str,
    /// Extra query parameters (e.g. `response-content-disposition`): written into the URL
    /// and signed, so they cannot be changed.
    pub params: &'a [(&'a str, &'a str)],
    /// Headers to sign besides `host` (e.g. `content-type`); whoever uses the URL must
    /// send exactly these values. All of them are signed.
    pub headers: &'a [(&'a str, &'a str)],
    /// `false`: a plain URL with the parameters and no signature (public objects).
    pub sign: bool,
    /// [`AuthForm::Query`] (the default of the SDKs) or [`AuthForm::SignParam`].
    pub form: AuthForm,
}

impl<'a> PresignInput<'a> {
    /// A signed URL in the `q-*` form with no extra parameters or headers.
    pub fn new(method: &'a str, key: &'a str) -> Self {
        PresignInput {
            method,
            key,
            params: &[],
            headers: &[],
            sign: true,
            form: AuthForm::Query,
        }
    }
}

/// A presigned URL (C `qcos_presign_url`, the seed's `getObjectUrl`). See the module
/// docs for the layout and the token. `creds` may be `None` only when `sign` is false.
pub fn presign_url(
    creds: Option<&Credentials>,
    key_time: KeyTime,
    base: &UrlBase,
    input: &PresignInput<'_>,
) -> Result<String> {
    validate_method(input.method)?;
    validate_object_key(input.key)?;
    validate_params(input.params)?;
    for (k, v) in input.headers {
        validate_header(k, v)?;
    }
    let mut url = base.object_url(input.key);
    let mut query = String::new();
    if input.sign {
        let creds = creds
            .ok_or_else(|| Error::Auth("a signed URL needs credentials; none were given".into()))?;
        creds.validate()?;
        let kt = effective_key_time(creds, key_time)?;
        if input.form == AuthForm::Header {
            return Err(Error::invalid(
                "form",
                "a URL carries its signature in the query (q-* fields or sign=), not a header",
            ));
        }
        let mut headers: Vec<(&str, &str)> = input.headers.to_vec();
        if find(&headers, "host").is_none() {
            headers.push(("host", base.host()));
        }
        let mut params: Vec<(&str, &str)> = input.params.to_vec();
        let token = creds.security_token.as_ref().map(|t| t.expose());
        let mut add_token = None;
        if let Some(t) = token {
            check_token(find(&params, SECURITY_TOKEN), t, "query parameter")?;
            if find(&params, SECURITY_TOKEN).is_none() {
                params.push((SECURITY_TOKEN, t));
                add_token = Some(t);
            }
        }
        let path = base.sign_path(input.key);
        let sig = sign(
            creds.secret_key.expose(),
            kt,
            &SignRequest {
                method: input.method,
                path: &path,
                params: &params,
                headers: &headers,
            },
        );
        let authorization = format_authorization(&creds.secret_id, kt, &sig);
        query = auth_query(input.form, &authorization);
        for (k, v) in input.params {
            query_pair(&mut query, k, v);
        }
        if let Some(t) = add_token {
            query_pair(&mut query, SECURITY_TOKEN, t);
        }
    } else {
        for (k, v) in input.params {
            query_pair(&mut query, k, v);
        }
    }
    if !query.is_empty() {
        url.push('?');
        url.push_str(&query);
    }
    // The query may hold the security token; the URL (the caller's) keeps its copy.
    zeroize::Zeroize::zeroize(&mut query);
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{hex_hmac_sha1, hex_sha1, parse_authorization};
    use crate::encode::{parse_query, percent_decode};

    const ID: &str = "AKIDQjz3ltompVjBni5LitkWHFlFpwkn9U5q";
    const KEY: &str = "BQYIM75p8x0iWVFSIgqEKwFprpRSVHlz";
    const BUCKET: &str = "examplebucket-1250000000";
    const KT: KeyTime = KeyTime {
        start: 1557989151,
        end: 1557996351,
    };
    const TOKEN: &str = "tok+en/with=sp ace&amp+";

    fn base() -> UrlBase {
        UrlBase::virtual_hosted(true, BUCKET, "ap-beijing").unwrap()
    }

    /// What a server does with a URL: split it, find the authorization, check the
    /// window against `now`, and recompute the signature from the names it lists.
    fn verify_url(
        url: &str,
        method: &str,
        secret: &str,
        headers: &[(&str, &str)],
        now: i64,
    ) -> std::result::Result<(), String> {
        let rest = url.split_once("://").ok_or("no scheme")?.1;
        let (hostpath, raw_q) = rest.split_once('?').unwrap_or((rest, ""));
        let slash = hostpath.find('/').ok_or("no path")?;
        let (host, wire_path) = hostpath.split_at(slash);
        let path = percent_decode(wire_path).ok_or("bad path")?;
        let q = parse_query(raw_q).ok_or("bad query")?;
        let auth = match q.iter().find(|(k, _)| k == "sign") {
            Some((_, v)) => v.clone().unwrap_or_default(),
            None => q
                .iter()
                .filter(|(k, _)| k.starts_with("q-"))
                .map(|(k, v)| format!("{k}={}", v.clone().unwrap_or_default()))
                .collect::<Vec<_>>()
                .join("&"),
        };
        let p = parse_authorization(&auth).map_err(|e| e.to_string())?;
        if now > p.key_time.end || now < p.key_time.start {
            return Err("expired".into());
        }
        let mut hs: Vec<(&str, &str)> = vec![("host", host)];
        hs.extend_from_slice(headers);
        let mut sh = Vec::new();
        for n in &p.header_list {
            sh.push(
                *hs.iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(n))
                    .ok_or(format!("header {n} missing"))?,
            );
        }
        let mut sp = Vec::new();
        for n in &p.url_param_list {
            let (k, v) = q
                .iter()
                .find(|(k, _)| k.to_lowercase() == *n)
                .ok_or(format!("param {n} missing"))?;
            sp.push((k.as_str(), v.as_deref().unwrap_or("")));
        }
        let sig = sign(
            secret,
            p.key_time,
            &SignRequest {
                method,
                path: &path,
                params: &sp,
                headers: &sh,
            },
        );
        if sig.signature == p.signature {
            Ok(())
        } else {
            Err("signature mismatch".into())
        }
    }

    #[test]
    fn presigned_get_layout_and_verification() {
        let creds = Credentials::new(ID, KEY);
        let params = [(
            "response-content-disposition",
            "attachment; filename=\"a b.txt\"",
        )];
        let input = PresignInput {
            params: &params,
            ..PresignInput::new("GET", "dir/exampleobject(腾讯云) +.txt")
        };
        let url = presign_url(Some(&creds), KT, &base(), &input).unwrap();
        assert!(
            url.starts_with("https://examplebucket-1250000000.cos.ap-beijing.myqcloud.com/dir/exampleobject%28%E8%85%BE%E8%AE%AF%E4%BA%91%29%20%2B.txt?q-sign-algorithm=sha1&q-ak=AKIDQjz3ltompVjBni5LitkWHFlFpwkn9U5q&q-sign-time=1557989151%3B1557996351&q-key-time=1557989151%3B1557996351&q-header-list=host&q-url-param-list=response-content-disposition&q-signature="),
            "{url}"
        );
        assert!(
            url.ends_with(
                "&response-content-disposition=attachment%3B%20filename%3D%22a%20b.txt%22"
            ),
            "{url}"
        );
        verify_url(&url, "GET", KEY, &[], KT.start + 10).unwrap();
        // Another method, a window that has passed, a tampered parameter: all refused.
        assert!(verify_url(&url, "PUT", KEY, &[], KT.start + 10).is_err());
        assert_eq!(
            verify_url(&url, "GET", KEY, &[], KT.end + 1).unwrap_err(),
            "expired"
        );
        let tampered = url.replace("attachment", "inline");
        assert_eq!(
            verify_url(&tampered, "GET", KEY, &[], KT.start + 10).unwrap_err(),
            "signature mismatch"
        );
        let other_key = url.replace("/dir/", "/dir2/");
        assert!(verify_url(&other_key, "GET", KEY, &[], KT.start + 10).is_err());
        assert!(!url.contains(KEY));
    }

    #[test]
    fn signature_matches_an_independent_computation() {
        // Recompute the documented steps by hand for a presigned PUT.
        let creds = Credentials::new(ID, KEY);
        let url = presign_url(
            Some(&creds),
            KT,
            &base(),
            &PresignInput::new("PUT", "a.txt"),
        )
        .unwrap();
        let kt = "1557989151;1557996351";
        let http = "put\n/a.txt\n\nhost=examplebucket-1250000000.cos.ap-beijing.myqcloud.com\n";
        let sts = format!("sha1\n{kt}\n{}\n", hex_sha1(http.as_bytes()));
        let sig = hex_hmac_sha1(
            hex_hmac_sha1(KEY.as_bytes(), kt.as_bytes()).as_bytes(),
            sts.as_bytes(),
        );
        assert!(
            url.ends_with(&format!("&q-url-param-list=&q-signature={sig}")),
            "{url}"
        );
    }

    #[test]
    fn temporary_token_is_signed_and_survives_encoding() {
        let creds = Credentials::temporary(ID, KEY, TOKEN, None, KT.end + 100);
        let url = presign_url(Some(&creds), KT, &base(), &PresignInput::new("GET", "k")).unwrap();
        assert!(
            url.contains("&q-url-param-list=x-cos-security-token&"),
            "{url}"
        );
        assert!(
            url.ends_with("&x-cos-security-token=tok%2Ben%2Fwith%3Dsp%20ace%26amp%2B"),
            "{url}"
        );
        let q = parse_query(url.split_once('?').unwrap().1).unwrap();
        let tok = q
            .iter()
            .find(|(k, _)| k == SECURITY_TOKEN)
            .unwrap()
            .1
            .clone();
        assert_eq!(tok.as_deref(), Some(TOKEN));
        verify_url(&url, "GET", KEY, &[], KT.start).unwrap();
        let swapped = url.replace("tok%2Ben", "tok%2Bex");
        assert!(verify_url(&swapped, "GET", KEY, &[], KT.start).is_err());
        assert!(!url.contains(KEY));
        // Given by the caller too: same value is fine, another is refused.
        let same = [(SECURITY_TOKEN, TOKEN)];
        let u2 = presign_url(
            Some(&creds),
            KT,
            &base(),
            &PresignInput {
                params: &same,
                ..PresignInput::new("GET", "k")
            },
        )
        .unwrap();
        assert_eq!(u2, url);
        let other = [(SECURITY_TOKEN, "x")];
        assert!(
            presign_url(
                Some(&creds),
                KT,
                &base(),
                &PresignInput {
                    params: &other,
                    ..PresignInput::new("GET", "k")
                }
            )
            .is_err()
        );
    }

    #[test]
    fn temporary_credentials_clamp_and_expire() {
        let creds = Credentials::temporary(ID, KEY, "t", None, KT.start + 100);
        let url = presign_url(Some(&creds), KT, &base(), &PresignInput::new("GET", "k")).unwrap();
        assert!(url.contains("q-key-time=1557989151%3B1557989251"), "{url}");
        let gone = Credentials::temporary(ID, KEY, "t", None, KT.start);
        let e = presign_url(Some(&gone), KT, &base(), &PresignInput::new("GET", "k")).unwrap_err();
        assert!(e.to_string().contains("expired"), "{e}");
    }

    #[test]
    fn expired_or_empty_window_is_refused() {
        let creds = Credentials::new(ID, KEY);
        for kt in [
            KeyTime { start: 10, end: 10 },
            KeyTime { start: 10, end: 5 },
            KeyTime { start: -1, end: 5 },
        ] {
            let e =
                presign_url(Some(&creds), kt, &base(), &PresignInput::new("GET", "k")).unwrap_err();
            assert!(e.to_string().contains("key_time"), "{e}");
            assert!(
                authorize(
                    &creds,
                    kt,
                    &base(),
                    AuthForm::Header,
                    &AuthInput {
                        method: "GET",
                        key: "k",
                        params: &[],
                        headers: &[]
                    }
                )
                .is_err()
            );
        }
    }

    #[test]
    fn signed_headers_must_be_sent() {
        let creds = Credentials::new(ID, KEY);
        let hs = [("Content-Type", "image/png")];
        let url = presign_url(
            Some(&creds),
            KT,
            &base(),
            &PresignInput {
                headers: &hs,
                ..PresignInput::new("PUT", "up/x.png")
            },
        )
        .unwrap();
        assert!(url.contains("q-header-list=content-type%3Bhost&"), "{url}");
        verify_url(&url, "PUT", KEY, &[("content-type", "image/png")], KT.start).unwrap();
        assert!(verify_url(&url, "PUT", KEY, &[("content-type", "text/html")], KT.start).is_err());
        assert!(verify_url(&url, "PUT", KEY, &[], KT.start).is_err());
    }

    #[test]
    fn sign_param_form_and_plain_url() {
        let creds = Credentials::new(ID, KEY);
        let input = PresignInput {
            form: AuthForm::SignParam,
            ..PresignInput::new("GET", "k")
        };
        let url = presign_url(Some(&creds), KT, &base(), &input).unwrap();
        assert!(
            url.contains("/k?sign=q-sign-algorithm%3Dsha1%26q-ak%3D"),
            "{url}"
        );
        verify_url(&url, "GET", KEY, &[], KT.start).unwrap();
        let p = [("a", "b c")];
        let plain = presign_url(
            None,
            KT,
            &base(),
            &PresignInput {
                sign: false,
                params: &p,
                ..PresignInput::new("GET", "k")
            },
        )
        .unwrap();
        assert_eq!(
            plain,
            "https://examplebucket-1250000000.cos.ap-beijing.myqcloud.com/k?a=b%20c"
        );
        assert!(presign_url(None, KT, &base(), &PresignInput::new("GET", "k")).is_err());
        let hdr = PresignInput {
            form: AuthForm::Header,
            ..PresignInput::new("GET", "k")
        };
        assert!(presign_url(Some(&creds), KT, &base(), &hdr).is_err());
    }

    #[test]
    fn hosts_domains_and_path_style() {
        let d = UrlBase::from_domain(
            true,
            "{BucketName}-{AppId}.{{Region}}.example.com/",
            BUCKET,
            "ap-beijing",
        )
        .unwrap();
        assert_eq!(
            d.object_url("a b"),
            "https://examplebucket-1250000000.ap-beijing.example.com/a%20b"
        );
        let d =
            UrlBase::from_domain(true, "http://cdn.example.com{x}", BUCKET, "ap-beijing").unwrap();
        assert_eq!(d.object_url(""), "http://cdn.example.com/");
        assert!(UrlBase::from_domain(true, "evil.com/path?", BUCKET, "r").is_err());
        let p = UrlBase::path_style("http://127.0.0.1:9000/", BUCKET).unwrap();
        assert_eq!(
            p.object_url("a/../b"),
            "http://127.0.0.1:9000/examplebucket-1250000000/a/%2E%2E/b"
        );
        assert_eq!(p.sign_path("x/y"), "/examplebucket-1250000000/x/y");
        assert_eq!(p.host(), "127.0.0.1:9000");
        let creds = Credentials::new(ID, KEY);
        let url = presign_url(Some(&creds), KT, &p, &PresignInput::new("GET", "x/y")).unwrap();
        assert!(
            url.starts_with("http://127.0.0.1:9000/examplebucket-1250000000/x/y?q-sign-algorithm=")
        );
        verify_url(&url, "GET", KEY, &[], KT.start).unwrap();
        assert!(UrlBase::path_style("ftp://h", BUCKET).is_err());
        assert!(UrlBase::virtual_hosted(true, "Bad", "ap-beijing").is_err());
        assert!(UrlBase::new(true, "a@b", None).is_err());

        let mut cfg = Config::new("ap-beijing", BUCKET);
        assert_eq!(UrlBase::for_config(&cfg).unwrap(), base());
        cfg.use_accelerate = true;
        assert_eq!(
            UrlBase::for_config(&cfg).unwrap().host(),
            "examplebucket-1250000000.cos.accelerate.myqcloud.com"
        );
        cfg.domain = Some("http://{Bucket}.img.example.com".into());
        assert_eq!(
            UrlBase::for_config(&cfg).unwrap().object_url("k"),
            "http://examplebucket-1250000000.img.example.com/k"
        );
        cfg.path_style = true;
        assert_eq!(
            UrlBase::for_config(&cfg).unwrap().object_url("k"),
            "https://cos.ap-beijing.myqcloud.com/examplebucket-1250000000/k"
        );
        cfg.endpoint = Some("http://127.0.0.1:9000".into());
        cfg.path_style = false;
        assert_eq!(
            UrlBase::for_config(&cfg).unwrap().object_url("k"),
            "http://127.0.0.1:9000/examplebucket-1250000000/k"
        );
        cfg.bucket.clear();
        assert!(UrlBase::for_config(&cfg).is_err());
    }

    #[test]
    fn authorize_forms() {
        let creds = Credentials::temporary(ID, KEY, TOKEN, Some(1), KT.end);
        let params = [("uploadId", "abc"), ("partNumber", "2")];
        let headers = [
            ("Content-Length", "5"),
            ("User-Agent", "x"),
            ("x-cos-meta-a", "b"),
        ];
        let req = AuthInput {
            method: "PUT",
            key: "k",
            params: &params,
            headers: &headers,
        };
        let h = authorize(&creds, KT, &base(), AuthForm::Header, &req).unwrap();
        let p = parse_authorization(&h.authorization).unwrap();
        assert_eq!(
            p.header_list,
            [
                "content-length",
                "host",
                "x-cos-meta-a",
                "x-cos-security-token"
            ]
        );
        assert_eq!(p.url_param_list, ["partnumber", "uploadid"]);
        assert_eq!(
            h.headers,
            [
                ("Host".to_string(), base().host().to_string()),
                (SECURITY_TOKEN.to_string(), TOKEN.to_string())
            ]
        );
        assert!(h.query.is_empty());
        let dbg = format!("{h:?}");
        assert!(!dbg.contains("tok+en") && !dbg.contains(KEY), "{dbg}");

        let q = authorize(&creds, KT, &base(), AuthForm::Query, &req).unwrap();
        let pq = parse_authorization(&q.authorization).unwrap();
        assert_eq!(pq.header_list, ["content-length", "host", "x-cos-meta-a"]);
        assert_eq!(
            pq.url_param_list,
            ["partnumber", "uploadid", "x-cos-security-token"]
        );
        assert!(q.query.starts_with("q-sign-algorithm=sha1&q-ak="));
        assert!(
            q.query
                .ends_with("&x-cos-security-token=tok%2Ben%2Fwith%3Dsp%20ace%26amp%2B")
        );
        // The query form is a working URL once the request's own parameters are added.
        let url = format!(
            "{}?uploadId=abc&partNumber=2&{}",
            base().object_url("k"),
            q.query
        );
        verify_url(
            &url,
            "PUT",
            KEY,
            &[("content-length", "5"), ("x-cos-meta-a", "b")],
            KT.start,
        )
        .unwrap();

        let s = authorize(&creds, KT, &base(), AuthForm::SignParam, &req).unwrap();
        assert_eq!(s.authorization, q.authorization);
        assert!(s.query.starts_with("sign=q-sign-algorithm%3Dsha1%26"));
        for out in [&h, &q, &s] {
            assert!(!out.authorization.contains(KEY) && !out.query.contains(KEY));
        }
    }

    #[test]
    fn bad_inputs_say_why() {
        let creds = Credentials::new(ID, KEY);
        let cases: Vec<(PresignInput<'_>, &str)> = vec![
            (PresignInput::new("G T", "k"), "method"),
            (PresignInput::new("GET", "/k"), "key"),
            (
                PresignInput {
                    params: &[("q-ak", "x")],
                    ..PresignInput::new("GET", "k")
                },
                "reserved",
            ),
            (
                PresignInput {
                    params: &[("a", "1"), ("A", "2")],
                    ..PresignInput::new("GET", "k")
                },
                "twice",
            ),
            (
                PresignInput {
                    headers: &[("x-cos-meta-a", "b\r\nX: y")],
                    ..PresignInput::new("GET", "k")
                },
                "header",
            ),
        ];
        for (input, want) in cases {
            let e = presign_url(Some(&creds), KT, &base(), &input).unwrap_err();
            assert!(e.to_string().contains(want), "{e} / {want}");
        }
        let e = presign_url(
            Some(&Credentials::new(ID, "")),
            KT,
            &base(),
            &PresignInput::new("GET", "k"),
        )
        .unwrap_err();
        assert!(e.to_string().contains("SecretKey"), "{e}");
    }
}
