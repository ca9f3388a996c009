//! Object tagging and object ACL (cos-protocol.md §6.18): PUT/GET/DELETE `?tagging`,
//! PUT/GET `?acl`. Requests are built as values (`*_request`), then sent.

use std::borrow::Cow;

use super::{
    AccessControlPolicy, Client, MAX_OBJECT_TAGS, MAX_TAG_KEY_CHARS, MAX_TAG_VALUE_CHARS,
    ObjectAcl, b64, md5_of,
};
use crate::encode::validate_header;
use crate::error::{Error, Result};
use crate::http::{Method, Request, RequestBody};
use crate::xml;

/// Characters an XML 1.0 document cannot carry (and control characters, which COS
/// refuses in tags anyway).
fn bad_tag_char(c: char) -> bool {
    c.is_control() || matches!(c, '\u{FFFE}' | '\u{FFFF}')
}

/// Check a tag set against COS's rules before anything is sent: at most
/// [`MAX_OBJECT_TAGS`] tags, keys non-empty and unique, keys at most
/// [`MAX_TAG_KEY_CHARS`] and values at most [`MAX_TAG_VALUE_CHARS`] characters, no control
/// characters. The error names the tag and the rule.
pub fn validate_tags(tags: &[(String, String)]) -> Result<()> {
    validate_tag_set(tags, MAX_OBJECT_TAGS, "object")
}

/// The rules of [`validate_tags`] with at most `max` tags per `owner` ("object",
/// "bucket"); shared by object and bucket tagging.
pub(super) fn validate_tag_set(tags: &[(String, String)], max: usize, owner: &str) -> Result<()> {
    if tags.len() > max {
        return Err(Error::invalid(
            "tags",
            format!(
                "{} tags given; COS keeps at most {max} tags per {owner}",
                tags.len()
            ),
        ));
    }
    for (i, (k, v)) in tags.iter().enumerate() {
        if k.is_empty() {
            return Err(Error::invalid(
                "tags",
                format!("the key of tag {i} is empty"),
            ));
        }
        let klen = k.chars().count();
        if klen > MAX_TAG_KEY_CHARS {
            return Err(Error::invalid(
                "tags",
                format!(
                    "the key of tag {i} has {klen} characters; COS allows at most {MAX_TAG_KEY_CHARS}"
                ),
            ));
        }
        let vlen = v.chars().count();
        if vlen > MAX_TAG_VALUE_CHARS {
            return Err(Error::invalid(
                "tags",
                format!(
                    "the value of tag {k:?} has {vlen} characters; COS allows at most {MAX_TAG_VALUE_CHARS}"
                ),
            ));
        }
        if let Some(c) = k.chars().chain(v.chars()).find(|&c| bad_tag_char(c)) {
            return Err(Error::invalid(
                "tags",
                format!(
                    "tag {k:?} contains U+{:04X} (a control character or one XML cannot carry)",
                    c as u32
                ),
            ));
        }
        if tags[..i].iter().any(|(k2, _)| k2 == k) {
            return Err(Error::invalid(
                "tags",
                format!("the tag key {k:?} is given twice; keys must be unique"),
            ));
        }
    }
    Ok(())
}

fn check_version_id(v: Option<&str>) -> Result<Option<&str>> {
    match v {
        None => Ok(None),
        Some("") => Err(Error::invalid(
            "version_id",
            "the version id is empty (pass None for the current version)",
        )),
        Some(v) if v.chars().any(char::is_control) => Err(Error::invalid(
            "version_id",
            "the version id contains a control character",
        )),
        Some(v) => Ok(Some(v)),
    }
}

/// One `x-cos-grant-*` header value: `id="a",id="b"`.
fn grant_header(name: &str, ids: &[String]) -> Result<String> {
    let mut out = String::new();
    for id in ids {
        if id.is_empty() {
            return Err(Error::invalid(
                "acl",
                format!("an empty grantee id in {name}"),
            ));
        }
        if let Some(c) = id
            .chars()
            .find(|&c| !(' '..='~').contains(&c) || c == '"' || c == ',')
        {
            return Err(Error::invalid(
                "acl",
                format!(
                    "the grantee id {id:?} in {name} contains {c:?}; ids are printable ASCII without '\"' or ','"
                ),
            ));
        }
        if !out.is_empty() {
            out.push(',');
        }
        out.push_str("id=\"");
        out.push_str(id);
        out.push('"');
    }
    validate_header(name, &out)?;
    Ok(out)
}

/// Add `x-cos-acl` (when `canned`) and each non-empty `x-cos-grant-*` list to `req`
/// (PUT Object ACL and PUT Bucket ACL). At least one of them must be set.
pub(super) fn acl_headers(
    mut req: Request<'static>,
    canned: Option<&str>,
    grants: &[(&str, &Vec<String>)],
) -> Result<Request<'static>> {
    let mut any = false;
    if let Some(c) = canned {
        req = req.header("x-cos-acl", c);
        any = true;
    }
    for (name, ids) in grants {
        if !ids.is_empty() {
            req = req.header(name, grant_header(name, ids)?);
            any = true;
        }
    }
    if !any {
        return Err(Error::invalid(
            "acl",
            "neither a canned ACL nor any grant is set; there is nothing to send",
        ));
    }
    Ok(req)
}

/// The canned ACL from a GET `?acl` answer's `x-cos-acl` header, when sent.
pub(super) fn canned_of(resp: &crate::http::Response) -> Option<String> {
    resp.header("x-cos-acl")
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

impl Client {
    /// PUT Object tagging request: the `<Tagging>` body with its `Content-MD5`.
    pub fn put_object_tagging_request(
        &self,
        key: &str,
        tags: &[(String, String)],
        version_id: Option<&str>,
    ) -> Result<Request<'static>> {
        let target = self.object_key(key)?;
        let version_id = check_version_id(version_id)?;
        validate_tags(tags)?;
        let body = xml::tagging_body(tags).into_bytes();
        let mut req = Request::new(Method::Put, target).query("tagging", None);
        if let Some(v) = version_id {
            req = req.query("versionId", Some(v));
        }
        Ok(req
            .header("content-type", "application/xml")
            .header("content-md5", b64(&md5_of(&body)))
            .body(RequestBody::Bytes(Cow::Owned(body))))
    }

    /// PUT Object tagging: replace the object's tags with `tags` (`versionId` when
    /// given).
    ///
    /// Checked before sending (an [`Error::InvalidArgument`] naming the problem): at
    /// most [`MAX_OBJECT_TAGS`] (10) tags; keys non-empty and unique; a key at most
    /// [`MAX_TAG_KEY_CHARS`] (128) characters, a value at most [`MAX_TAG_VALUE_CHARS`]
    /// (256) characters (Unicode scalar values); no control characters. An empty
    /// `tags` sends an empty `<TagSet>`. COS may refuse other characters with
    /// `InvalidTag`. A missing key is `404 NoSuchKey`.
    pub fn put_object_tagging(
        &self,
        key: &str,
        tags: &[(String, String)],
        version_id: Option<&str>,
    ) -> Result<()> {
        self.inner
            .send(self.put_object_tagging_request(key, tags, version_id)?)?;
        Ok(())
    }

    fn tagging_request(
        &self,
        method: Method,
        key: &str,
        version_id: Option<&str>,
    ) -> Result<Request<'static>> {
        let target = self.object_key(key)?;
        let version_id = check_version_id(version_id)?;
        let mut req = Request::new(method, target).query("tagging", None);
        if let Some(v) = version_id {
            req = req.query("versionId", Some(v));
        }
        Ok(req)
    }

    /// GET Object tagging: the object's tags, in COS's order. An object without tags
    /// (COS answers `404 NoSuchTagSet`) gives an empty vector; every other error,
    /// `404 NoSuchKey` included, is returned.
    pub fn get_object_tagging(
        &self,
        key: &str,
        version_id: Option<&str>,
    ) -> Result<Vec<(String, String)>> {
        match self
            .inner
            .send(self.tagging_request(Method::Get, key, version_id)?)
        {
            Ok(resp) => xml::parse_tagging(&resp.body),
            Err(Error::Service(s)) if s.code == "NoSuchTagSet" => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    /// DELETE Object tagging: remove every tag of the object (COS answers 204).
    pub fn delete_object_tagging(&self, key: &str, version_id: Option<&str>) -> Result<()> {
        self.inner
            .send(self.tagging_request(Method::Delete, key, version_id)?)?;
        Ok(())
    }

    /// PUT Object ACL request: `x-cos-acl` and the `x-cos-grant-*` headers, no body.
    pub fn put_object_acl_request(&self, key: &str, acl: &ObjectAcl) -> Result<Request<'static>> {
        let target = self.object_key(key)?;
        acl_headers(
            Request::new(Method::Put, target).query("acl", None),
            acl.canned.map(|c| c.as_str()),
            &[
                ("x-cos-grant-read", &acl.grant_read),
                ("x-cos-grant-read-acp", &acl.grant_read_acp),
                ("x-cos-grant-write-acp", &acl.grant_write_acp),
                ("x-cos-grant-full-control", &acl.grant_full_control),
            ],
        )
    }

    /// PUT Object ACL: set the object's canned ACL and/or grants from `acl` (sent as
    /// headers; the grants replace the object's previous ones). Grantee ids must be
    /// printable ASCII without `"` or `,`; at least one of the canned ACL and the grant
    /// lists must be set. A missing key is `404 NoSuchKey`.
    pub fn put_object_acl(&self, key: &str, acl: &ObjectAcl) -> Result<()> {
        self.inner.send(self.put_object_acl_request(key, acl)?)?;
        Ok(())
    }

    /// GET Object ACL: the object's owner and grants, and its canned ACL from the
    /// `x-cos-acl` response header when COS sends one.
    pub fn get_object_acl(&self, key: &str) -> Result<AccessControlPolicy> {
        let target = self.object_key(key)?;
        let resp = self
            .inner
            .send(Request::new(Method::Get, target).query("acl", None))?;
        let mut p = xml::parse_access_control_policy(&resp.body)?;
        p.canned = canned_of(&resp);
        Ok(p)
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

    fn tags(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn put_tagging_request_has_body_md5_and_version() {
        let req = client()
            .put_object_tagging_request("a.txt", &tags(&[("k", "v&")]), Some("v1"))
            .unwrap();
        assert_eq!(req.method, Method::Put);
        assert_eq!(
            req.query,
            vec![
                ("tagging".to_string(), None),
                ("versionId".to_string(), Some("v1".to_string()))
            ]
        );
        let RequestBody::Bytes(body) = &req.body else {
            panic!("body {:?}", req.body)
        };
        assert_eq!(
            std::str::from_utf8(body).unwrap(),
            "<Tagging><TagSet><Tag><Key>k</Key><Value>v&amp;</Value></Tag></TagSet></Tagging>"
        );
        assert_eq!(
            req.header_value("content-md5"),
            Some(b64(&md5_of(body)).as_str())
        );
        assert_eq!(req.header_value("content-type"), Some("application/xml"));
    }

    #[test]
    fn tag_rules() {
        assert!(validate_tags(&[]).is_ok());
        let ten: Vec<(String, String)> =
            (0..10).map(|i| (format!("k{i}"), String::new())).collect();
        assert!(validate_tags(&ten).is_ok());
        let mut eleven = ten.clone();
        eleven.push(("x".into(), "y".into()));
        let e = validate_tags(&eleven).unwrap_err();
        assert_eq!(e.status(), Status::InvalidArgument);
        assert!(e.to_string().contains("11 tags"), "{e}");
        // Characters, not bytes: 128 three-byte characters are fine.
        assert!(validate_tags(&[("键".repeat(128), "值".repeat(256))]).is_ok());
        assert!(validate_tags(&[("键".repeat(129), String::new())]).is_err());
        assert!(validate_tags(&[("k".into(), "值".repeat(257))]).is_err());
        for bad in ["\u{FFFE}", "\u{0}", "\t"] {
            let e = validate_tags(&[("k".into(), bad.into())]).unwrap_err();
            assert!(e.to_string().contains("U+"), "{e}");
        }
        // Keys are compared exactly (COS tag keys are case-sensitive).
        assert!(validate_tags(&tags(&[("a", "1"), ("A", "2")])).is_ok());
    }

    #[test]
    fn acl_request_headers() {
        let acl = ObjectAcl {
            canned: Some(super::super::CannedAcl::Private),
            grant_read: vec!["1".into(), "qcs::cam::uin/2:uin/2".into()],
            grant_full_control: vec!["3".into()],
            ..Default::default()
        };
        let req = client().put_object_acl_request("a.txt", &acl).unwrap();
        assert_eq!(req.query, vec![("acl".to_string(), None)]);
        assert_eq!(req.header_value("x-cos-acl"), Some("private"));
        assert_eq!(
            req.header_value("x-cos-grant-read"),
            Some("id=\"1\",id=\"qcs::cam::uin/2:uin/2\"")
        );
        assert_eq!(
            req.header_value("x-cos-grant-full-control"),
            Some("id=\"3\"")
        );
        assert_eq!(req.header_value("x-cos-grant-read-acp"), None);
        assert!(matches!(req.body, RequestBody::Empty));
        let e = client()
            .put_object_acl_request("a.txt", &ObjectAcl::default())
            .unwrap_err();
        assert_eq!(e.status(), Status::InvalidArgument);
        let e = client()
            .put_object_acl_request(
                "a.txt",
                &ObjectAcl {
                    grant_write_acp: vec!["x\ny".into()],
                    ..Default::default()
                },
            )
            .unwrap_err();
        assert!(e.to_string().contains("x-cos-grant-write-acp"), "{e}");
    }
}
