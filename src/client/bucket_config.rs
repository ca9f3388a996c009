//! Bucket configuration: bucket CORS (cos-protocol.md §6.19, `PUT/GET/DELETE /?cors`),
//! bucket ACL (§6.18, `PUT/GET /?acl`) and bucket tagging (`PUT/GET/DELETE /?tagging`).
//! Requests are built as values (`*_request`), then sent. The tag rules and the ACL
//! headers are shared with object tagging/ACL (`tagging_acl.rs`).

use std::borrow::Cow;

use super::tagging_acl::{acl_request, canned_of, validate_tag_set};
use super::{AccessControlPolicy, Client, b64, md5_of};
use crate::error::{Error, Result};
use crate::http::{Method, Request, RequestBody, Target};
use crate::xml::{self, CorsRule};

/// Most tags one bucket can carry (COS: 50).
pub const MAX_BUCKET_TAGS: usize = 50;
/// Most rules one bucket CORS configuration can hold (COS: 100).
pub const MAX_CORS_RULES: usize = 100;
/// Longest CORS rule `<ID>`, in characters.
pub const MAX_CORS_RULE_ID_CHARS: usize = 255;
/// The methods a CORS rule may allow.
pub const CORS_METHODS: [&str; 5] = ["GET", "PUT", "POST", "DELETE", "HEAD"];

/// A canned ACL (`x-cos-acl`) of a bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BucketCannedAcl {
    /// `private`: only the owner (and grants) may access the bucket.
    Private,
    /// `public-read`: anyone may list and read the bucket's objects.
    PublicRead,
    /// `public-read-write`: anyone may also write objects.
    PublicReadWrite,
}

impl BucketCannedAcl {
    /// The header value: `private`, `public-read` or `public-read-write`.
    pub fn as_str(self) -> &'static str {
        match self {
            BucketCannedAcl::Private => "private",
            BucketCannedAcl::PublicRead => "public-read",
            BucketCannedAcl::PublicReadWrite => "public-read-write",
        }
    }

    /// Parse a header value (exactly `private`, `public-read` or `public-read-write`).
    pub fn parse(s: &str) -> Option<BucketCannedAcl> {
        match s {
            "private" => Some(BucketCannedAcl::Private),
            "public-read" => Some(BucketCannedAcl::PublicRead),
            "public-read-write" => Some(BucketCannedAcl::PublicReadWrite),
            _ => None,
        }
    }
}

/// What PUT Bucket ACL sets: a canned ACL and/or explicit grants, sent as headers
/// (`x-cos-acl`, `x-cos-grant-*`). Grant lists hold grantee ids as in
/// [`ObjectAcl`](super::ObjectAcl); a bucket also has `x-cos-grant-write`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BucketAcl {
    /// `x-cos-acl`; `None` sends no canned ACL.
    pub canned: Option<BucketCannedAcl>,
    /// `x-cos-grant-read`: may list and read the bucket's objects.
    pub grant_read: Vec<String>,
    /// `x-cos-grant-write`: may write (and delete) the bucket's objects.
    pub grant_write: Vec<String>,
    /// `x-cos-grant-read-acp`: may read the bucket's ACL.
    pub grant_read_acp: Vec<String>,
    /// `x-cos-grant-write-acp`: may change the bucket's ACL.
    pub grant_write_acp: Vec<String>,
    /// `x-cos-grant-full-control`: all of the above.
    pub grant_full_control: Vec<String>,
}

/// Check a bucket tag set before anything is sent: the rules of
/// [`validate_tags`](super::validate_tags) with at most [`MAX_BUCKET_TAGS`] (50) tags.
pub fn validate_bucket_tags(tags: &[(String, String)]) -> Result<()> {
    validate_tag_set(tags, MAX_BUCKET_TAGS, "bucket")
}

/// A list of a [`CorsRule`] (the C API adds values field by field).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CorsField {
    AllowedOrigin,
    AllowedMethod,
    AllowedHeader,
    ExposeHeader,
}

/// Check one value of `field` of rule number `rule` (from 1): methods are one of
/// [`CORS_METHODS`] in any case; the others are checked by [`check_cors_value`].
pub(crate) fn check_cors_field(rule: usize, field: CorsField, v: &str) -> Result<()> {
    match field {
        CorsField::AllowedOrigin => check_cors_value(rule, "allowed origin", v, true),
        CorsField::AllowedHeader => check_cors_value(rule, "allowed header", v, true),
        CorsField::ExposeHeader => check_cors_value(rule, "expose header", v, false),
        CorsField::AllowedMethod => {
            if CORS_METHODS.contains(&v.to_ascii_uppercase().as_str()) {
                Ok(())
            } else {
                Err(Error::invalid(
                    "cors",
                    format!(
                        "rule {rule}: the method {v:?} is not one of GET, PUT, POST, DELETE, HEAD"
                    ),
                ))
            }
        }
    }
}

/// Check a CORS rule id: at most [`MAX_CORS_RULE_ID_CHARS`] characters, no control
/// characters.
pub(crate) fn check_cors_id(rule: usize, id: &str) -> Result<()> {
    let len = id.chars().count();
    if len > MAX_CORS_RULE_ID_CHARS {
        return Err(Error::invalid(
            "cors",
            format!(
                "rule {rule}: the id has {len} characters; COS allows at most {MAX_CORS_RULE_ID_CHARS}"
            ),
        ));
    }
    if let Some(c) = id.chars().find(|c| c.is_control()) {
        return Err(Error::invalid(
            "cors",
            format!(
                "rule {rule}: the id contains the control character U+{:04X}",
                c as u32
            ),
        ));
    }
    Ok(())
}

/// One CORS value (origin, header name): non-empty, printable ASCII without `,`
/// (COS lists them comma-separated in `Access-Control-*` headers) and at most one `*`
/// when `wildcard`.
fn check_cors_value(rule: usize, what: &str, v: &str, wildcard: bool) -> Result<()> {
    if v.trim().is_empty() {
        return Err(Error::invalid(
            "cors",
            format!("rule {rule}: an empty {what}"),
        ));
    }
    if let Some(c) = v.chars().find(|&c| !(' '..='~').contains(&c) || c == ',') {
        return Err(Error::invalid(
            "cors",
            format!(
                "rule {rule}: the {what} {v:?} contains {c:?}; CORS values are printable ASCII without ','"
            ),
        ));
    }
    if v.trim() != v {
        return Err(Error::invalid(
            "cors",
            format!("rule {rule}: the {what} {v:?} starts or ends with a space"),
        ));
    }
    if wildcard && v.matches('*').count() > 1 {
        return Err(Error::invalid(
            "cors",
            format!("rule {rule}: the {what} {v:?} has more than one '*' (COS allows one)"),
        ));
    }
    if !wildcard && v.contains('*') {
        return Err(Error::invalid(
            "cors",
            format!("rule {rule}: the {what} {v:?} contains '*', which is not allowed there"),
        ));
    }
    Ok(())
}

/// Check CORS rules before anything is sent and return them with their methods in
/// upper case: 1 to [`MAX_CORS_RULES`] rules; each with at least one origin and one
/// method from [`CORS_METHODS`] (any case); origins and allowed headers non-empty,
/// printable ASCII without `,`, at most one `*`; expose headers the same without `*`;
/// an id of at most [`MAX_CORS_RULE_ID_CHARS`] characters without control characters.
/// Rules are numbered from 1 in the errors.
pub fn validate_cors_rules(rules: &[CorsRule]) -> Result<Vec<CorsRule>> {
    if rules.is_empty() {
        return Err(Error::invalid(
            "cors",
            "no CORS rule given (use delete_bucket_cors to remove the configuration)",
        ));
    }
    if rules.len() > MAX_CORS_RULES {
        return Err(Error::invalid(
            "cors",
            format!(
                "{} CORS rules given; COS keeps at most {MAX_CORS_RULES}",
                rules.len()
            ),
        ));
    }
    let mut out = Vec::with_capacity(rules.len());
    for (i, r) in rules.iter().enumerate() {
        let n = i + 1;
        if let Some(id) = &r.id {
            check_cors_id(n, id)?;
        }
        if r.allowed_origins.is_empty() {
            return Err(Error::invalid(
                "cors",
                format!("rule {n}: no allowed origin (give at least one, e.g. \"*\")"),
            ));
        }
        for o in &r.allowed_origins {
            check_cors_field(n, CorsField::AllowedOrigin, o)?;
        }
        if r.allowed_methods.is_empty() {
            return Err(Error::invalid(
                "cors",
                format!("rule {n}: no allowed method (GET, PUT, POST, DELETE, HEAD)"),
            ));
        }
        let mut methods: Vec<String> = Vec::with_capacity(r.allowed_methods.len());
        for m in &r.allowed_methods {
            check_cors_field(n, CorsField::AllowedMethod, m)?;
            let up = m.to_ascii_uppercase();
            if !methods.contains(&up) {
                methods.push(up);
            }
        }
        for h in &r.allowed_headers {
            check_cors_field(n, CorsField::AllowedHeader, h)?;
        }
        for h in &r.expose_headers {
            check_cors_field(n, CorsField::ExposeHeader, h)?;
        }
        out.push(CorsRule {
            allowed_methods: methods,
            ..r.clone()
        });
    }
    Ok(out)
}

impl Client {
    /// PUT Bucket CORS request: the `<CORSConfiguration>` body with its `Content-MD5`
    /// (COS requires it).
    pub fn put_bucket_cors_request(&self, rules: &[CorsRule]) -> Result<Request<'static>> {
        let rules = validate_cors_rules(rules)?;
        let body = xml::cors_body(&rules).into_bytes();
        Ok(Request::new(Method::Put, Target::Bucket)
            .query("cors", None)
            .header("content-type", "application/xml")
            .header("content-md5", b64(&md5_of(&body)))
            .body(RequestBody::Bytes(Cow::Owned(body))))
    }

    /// PUT Bucket CORS: replace the bucket's CORS configuration with `rules`.
    ///
    /// Checked before sending (an [`Error::InvalidArgument`] naming the rule and the
    /// problem): see [`validate_cors_rules`]. Methods are sent in upper case.
    pub fn put_bucket_cors(&self, rules: &[CorsRule]) -> Result<()> {
        self.inner.send(self.put_bucket_cors_request(rules)?)?;
        Ok(())
    }

    /// GET Bucket CORS: the bucket's CORS rules, in COS's order. A bucket without a
    /// CORS configuration (COS answers `404 NoSuchCORSConfiguration`) gives an empty
    /// vector, as [`get_object_tagging`](Client::get_object_tagging) does for
    /// `NoSuchTagSet`; every other error (`404 NoSuchBucket` included) is returned.
    pub fn get_bucket_cors(&self) -> Result<Vec<CorsRule>> {
        match self
            .inner
            .send(Request::new(Method::Get, Target::Bucket).query("cors", None))
        {
            Ok(resp) => xml::parse_cors(&resp.body),
            Err(Error::Service(s)) if s.code == "NoSuchCORSConfiguration" => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    /// DELETE Bucket CORS: remove the bucket's CORS configuration (COS answers 204,
    /// also when there was none).
    pub fn delete_bucket_cors(&self) -> Result<()> {
        self.inner
            .send(Request::new(Method::Delete, Target::Bucket).query("cors", None))?;
        Ok(())
    }

    /// PUT Bucket ACL request: `x-cos-acl` and the `x-cos-grant-*` headers, no body.
    pub fn put_bucket_acl_request(&self, acl: &BucketAcl) -> Result<Request<'static>> {
        acl_request(
            Request::new(Method::Put, Target::Bucket).query("acl", None),
            acl.canned.map(|c| c.as_str()),
            &[
                ("x-cos-grant-read", &acl.grant_read),
                ("x-cos-grant-write", &acl.grant_write),
                ("x-cos-grant-read-acp", &acl.grant_read_acp),
                ("x-cos-grant-write-acp", &acl.grant_write_acp),
                ("x-cos-grant-full-control", &acl.grant_full_control),
            ],
        )
    }

    /// PUT Bucket ACL: set the bucket's canned ACL and/or grants from `acl` (sent as
    /// headers; they replace the bucket's previous ACL). Grantee ids must be printable
    /// ASCII without `"` or `,`; at least one of the canned ACL and the grant lists
    /// must be set.
    pub fn put_bucket_acl(&self, acl: &BucketAcl) -> Result<()> {
        self.inner.send(self.put_bucket_acl_request(acl)?)?;
        Ok(())
    }

    /// GET Bucket ACL: the bucket's owner and grants, and its canned ACL from the
    /// `x-cos-acl` response header when COS sends one.
    pub fn get_bucket_acl(&self) -> Result<AccessControlPolicy> {
        let resp = self
            .inner
            .send(Request::new(Method::Get, Target::Bucket).query("acl", None))?;
        let mut p = xml::parse_access_control_policy(&resp.body)?;
        p.canned = canned_of(&resp);
        Ok(p)
    }

    /// PUT Bucket tagging request: the `<Tagging>` body with its `Content-MD5`.
    pub fn put_bucket_tagging_request(
        &self,
        tags: &[(String, String)],
    ) -> Result<Request<'static>> {
        validate_bucket_tags(tags)?;
        let body = xml::tagging_body(tags).into_bytes();
        Ok(Request::new(Method::Put, Target::Bucket)
            .query("tagging", None)
            .header("content-type", "application/xml")
            .header("content-md5", b64(&md5_of(&body)))
            .body(RequestBody::Bytes(Cow::Owned(body))))
    }

    /// PUT Bucket tagging: replace the bucket's tags with `tags`.
    ///
    /// Checked before sending (an [`Error::InvalidArgument`] naming the problem): at
    /// most [`MAX_BUCKET_TAGS`] (50) tags, and the key/value rules of
    /// [`put_object_tagging`](Client::put_object_tagging). An empty `tags` sends an
    /// empty `<TagSet>`.
    pub fn put_bucket_tagging(&self, tags: &[(String, String)]) -> Result<()> {
        self.inner.send(self.put_bucket_tagging_request(tags)?)?;
        Ok(())
    }

    /// GET Bucket tagging: the bucket's tags, in COS's order. A bucket without tags
    /// (COS answers `404 NoSuchTagSet`) gives an empty vector; every other error is
    /// returned.
    pub fn get_bucket_tagging(&self) -> Result<Vec<(String, String)>> {
        match self
            .inner
            .send(Request::new(Method::Get, Target::Bucket).query("tagging", None))
        {
            Ok(resp) => xml::parse_tagging(&resp.body),
            Err(Error::Service(s)) if s.code == "NoSuchTagSet" => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    /// DELETE Bucket tagging: remove every tag of the bucket (COS answers 204).
    pub fn delete_bucket_tagging(&self) -> Result<()> {
        self.inner
            .send(Request::new(Method::Delete, Target::Bucket).query("tagging", None))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Credentials;
    use crate::config::Config;
    use crate::error::Status;

    fn client() -> Client {
        let mut c = Config::new("ap-guangzhou", "examplebucket-1250000000");
        c.credentials = Some(Credentials::new("AKIDtest", "SKtest"));
        Client::new(c).unwrap()
    }

    fn rule() -> CorsRule {
        CorsRule {
            id: Some("web".into()),
            allowed_origins: vec!["https://*.example.com".into()],
            allowed_methods: vec!["put".into(), "GET".into(), "PUT".into()],
            allowed_headers: vec!["*".into()],
            expose_headers: vec!["ETag".into(), "x-cos-request-id".into()],
            max_age_seconds: Some(600),
        }
    }

    fn err_of(rules: &[CorsRule]) -> String {
        let e = client().put_bucket_cors_request(rules).unwrap_err();
        assert_eq!(e.status(), Status::InvalidArgument);
        e.to_string()
    }

    #[test]
    fn cors_request_body_md5_and_methods() {
        let req = client().put_bucket_cors_request(&[rule()]).unwrap();
        assert_eq!(req.method, Method::Put);
        assert!(matches!(req.target, Target::Bucket));
        assert_eq!(req.query, vec![("cors".to_string(), None)]);
        let RequestBody::Bytes(body) = &req.body else {
            panic!("body {:?}", req.body)
        };
        assert_eq!(
            std::str::from_utf8(body).unwrap(),
            "<CORSConfiguration><CORSRule><ID>web</ID>\
             <AllowedOrigin>https://*.example.com</AllowedOrigin>\
             <AllowedMethod>PUT</AllowedMethod><AllowedMethod>GET</AllowedMethod>\
             <AllowedHeader>*</AllowedHeader>\
             <ExposeHeader>ETag</ExposeHeader><ExposeHeader>x-cos-request-id</ExposeHeader>\
             <MaxAgeSeconds>600</MaxAgeSeconds></CORSRule></CORSConfiguration>"
        );
        assert_eq!(
            req.header_value("content-md5"),
            Some(b64(&md5_of(body)).as_str())
        );
        // What we send is what we read back.
        let parsed = xml::parse_cors(body).unwrap();
        assert_eq!(parsed, validate_cors_rules(&[rule()]).unwrap());
    }

    #[test]
    fn cors_refusals_name_the_problem() {
        assert!(err_of(&[]).contains("no CORS rule"));
        let r = |f: &dyn Fn(&mut CorsRule)| {
            let mut r = rule();
            f(&mut r);
            err_of(&[rule(), r])
        };
        let e = r(&|r| r.allowed_origins.clear());
        assert!(
            e.contains("rule 2") && e.contains("no allowed origin"),
            "{e}"
        );
        let e = r(&|r| r.allowed_methods = vec!["PATCH".into()]);
        assert!(e.contains("\"PATCH\""), "{e}");
        let e = r(&|r| r.allowed_methods.clear());
        assert!(e.contains("no allowed method"), "{e}");
        let e = r(&|r| r.allowed_origins.push("http://a\r\nb".into()));
        assert!(e.contains("allowed origin") && e.contains("'\\r'"), "{e}");
        let e = r(&|r| r.allowed_origins.push(String::new()));
        assert!(e.contains("empty allowed origin"), "{e}");
        let e = r(&|r| r.allowed_headers.push("x-*-*".into()));
        assert!(e.contains("more than one '*'"), "{e}");
        let e = r(&|r| r.expose_headers.push("x-*".into()));
        assert!(e.contains("expose header"), "{e}");
        let e = r(&|r| r.id = Some("i".repeat(256)));
        assert!(e.contains("256 characters"), "{e}");
        let e = r(&|r| r.id = Some("a\nb".into()));
        assert!(e.contains("control character"), "{e}");
        let many = vec![rule(); MAX_CORS_RULES + 1];
        assert!(err_of(&many).contains("101 CORS rules"));
    }

    #[test]
    fn bucket_acl_request_headers() {
        let acl = BucketAcl {
            canned: Some(BucketCannedAcl::PublicReadWrite),
            grant_write: vec!["2".into()],
            ..Default::default()
        };
        let req = client().put_bucket_acl_request(&acl).unwrap();
        assert!(matches!(req.target, Target::Bucket));
        assert_eq!(req.query, vec![("acl".to_string(), None)]);
        assert_eq!(req.header_value("x-cos-acl"), Some("public-read-write"));
        assert_eq!(req.header_value("x-cos-grant-write"), Some("id=\"2\""));
        assert_eq!(req.header_value("x-cos-grant-read"), None);
        let e = client()
            .put_bucket_acl_request(&BucketAcl::default())
            .unwrap_err();
        assert_eq!(e.status(), Status::InvalidArgument);
        let e = client()
            .put_bucket_acl_request(&BucketAcl {
                grant_write: vec!["1\r\n".into()],
                ..Default::default()
            })
            .unwrap_err();
        assert!(e.to_string().contains("x-cos-grant-write"), "{e}");
        for c in [
            BucketCannedAcl::Private,
            BucketCannedAcl::PublicRead,
            BucketCannedAcl::PublicReadWrite,
        ] {
            assert_eq!(BucketCannedAcl::parse(c.as_str()), Some(c));
        }
        assert_eq!(BucketCannedAcl::parse("default"), None);
    }

    #[test]
    fn bucket_tagging_request_and_rules() {
        let tags: Vec<(String, String)> = (0..MAX_BUCKET_TAGS)
            .map(|i| (format!("k{i}"), format!("v{i}")))
            .collect();
        let req = client().put_bucket_tagging_request(&tags).unwrap();
        assert!(matches!(req.target, Target::Bucket));
        assert_eq!(req.query, vec![("tagging".to_string(), None)]);
        let RequestBody::Bytes(body) = &req.body else {
            panic!("body {:?}", req.body)
        };
        assert_eq!(xml::parse_tagging(body).unwrap(), tags);
        assert_eq!(
            req.header_value("content-md5"),
            Some(b64(&md5_of(body)).as_str())
        );
        let mut more = tags.clone();
        more.push(("x".into(), "y".into()));
        let e = client().put_bucket_tagging_request(&more).unwrap_err();
        assert!(e.to_string().contains("51 tags") && e.to_string().contains("per bucket"));
        let dup = vec![("a".to_string(), "1".to_string()); 2];
        let e = client().put_bucket_tagging_request(&dup).unwrap_err();
        assert!(e.to_string().contains("twice"), "{e}");
        let e = client()
            .put_bucket_tagging_request(&[("a".into(), "x\r\ny".into())])
            .unwrap_err();
        assert!(e.to_string().contains("U+000D"), "{e}");
        // Object tags keep their own limit of 10.
        assert!(super::super::validate_tags(&tags).is_err());
    }
}
