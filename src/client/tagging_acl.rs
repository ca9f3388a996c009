//! Object tagging and object ACL (cos-protocol.md §6.18): PUT/GET/DELETE `?tagging`,
//! PUT/GET `?acl`. Requests are built as values (`*_request`), then sent.

use std::borrow::Cow;

use super::{
    AccessControlPolicy, Client, MAX_ACL_GRANTS, MAX_OBJECT_TAGS, MAX_TAG_KEY_CHARS,
    MAX_TAG_VALUE_CHARS, ObjectAcl, b64, md5_of,
};
use crate::encode::{uri_encode, validate_header};
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

/// The `x-cos-acl` (when `canned`) and non-empty `x-cos-grant-*` headers, in that
/// order (none when nothing is set). Shared by object and bucket ACLs.
fn grant_headers(
    canned: Option<&str>,
    grants: &[(&str, &Vec<String>)],
) -> Result<Vec<(String, String)>> {
    let mut h = Vec::new();
    if let Some(c) = canned {
        h.push(("x-cos-acl".to_string(), c.to_string()));
    }
    for (name, ids) in grants {
        if !ids.is_empty() {
            h.push((name.to_string(), grant_header(name, ids)?));
        }
    }
    Ok(h)
}

/// `req` with the ACL headers of `canned` and `grants` (PUT Object ACL and PUT Bucket
/// ACL). At least one of them must be set.
pub(super) fn acl_request(
    mut req: Request<'static>,
    canned: Option<&str>,
    grants: &[(&str, &Vec<String>)],
) -> Result<Request<'static>> {
    let headers = grant_headers(canned, grants)?;
    if headers.is_empty() {
        return Err(Error::invalid(
            "acl",
            "neither a canned ACL nor any grant is set; there is nothing to send",
        ));
    }
    req.headers.extend(headers);
    Ok(req)
}

/// The canned ACL from a GET `?acl` answer's `x-cos-acl` header, when sent.
pub(super) fn canned_of(resp: &crate::http::Response) -> Option<String> {
    resp.header("x-cos-acl")
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// The `x-cos-acl` and `x-cos-grant-*` headers of `acl`, in that order (none when
/// `acl` is empty). Used by PUT Object ACL and by every write that carries an ACL.
pub(crate) fn acl_headers(acl: &ObjectAcl) -> Result<Vec<(String, String)>> {
    grant_headers(acl.canned.map(|c| c.as_str()), &object_grants(acl))
}

/// The `x-cos-grant-*` header of each of `acl`'s grant lists.
fn object_grants(acl: &ObjectAcl) -> [(&'static str, &Vec<String>); 4] {
    [
        (ACL_GRANT_HEADERS[0], &acl.grant_read),
        (ACL_GRANT_HEADERS[1], &acl.grant_read_acp),
        (ACL_GRANT_HEADERS[2], &acl.grant_write_acp),
        (ACL_GRANT_HEADERS[3], &acl.grant_full_control),
    ]
}

/// The headers an [`ObjectAcl`] may send, lowercase.
pub(crate) const ACL_GRANT_HEADERS: [&str; 4] = [
    "x-cos-grant-read",
    "x-cos-grant-read-acp",
    "x-cos-grant-write-acp",
    "x-cos-grant-full-control",
];

/// `x-cos-tagging` value of `tags`: `k1=v1&k2=v2`, each key and value percent-encoded
/// (every byte outside `A-Z a-z 0-9 - _ . ~`). The tags are checked with
/// [`validate_tags`] first; an empty set gives an empty string.
pub fn encode_tagging(tags: &[(String, String)]) -> Result<String> {
    validate_tags(tags)?;
    let mut out = String::new();
    for (k, v) in tags {
        if !out.is_empty() {
            out.push('&');
        }
        out.push_str(&uri_encode(k));
        out.push('=');
        out.push_str(&uri_encode(v));
    }
    Ok(out)
}

/// Permissions an `<AccessControlPolicy>` grant may give.
const PERMISSIONS: [&str; 5] = ["READ", "WRITE", "FULL_CONTROL", "READ_ACP", "WRITE_ACP"];

/// Check an `<AccessControlPolicy>` before it is sent (see
/// [`Client::put_object_acl_policy`]).
pub(crate) fn validate_policy(p: &AccessControlPolicy) -> Result<()> {
    let text_ok = |what: String, s: &str| -> Result<()> {
        match s.chars().find(|&c| bad_tag_char(c)) {
            Some(c) => Err(Error::invalid(
                "policy",
                format!("{what} contains U+{:04X} (a control character)", c as u32),
            )),
            None => Ok(()),
        }
    };
    if p.owner_id.trim().is_empty() {
        return Err(Error::invalid(
            "policy",
            "owner_id is empty; COS needs the owner's <ID> (get_object_acl returns it)",
        ));
    }
    text_ok("owner_id".into(), &p.owner_id)?;
    text_ok("owner_display_name".into(), &p.owner_display_name)?;
    if p.grants.len() > MAX_ACL_GRANTS {
        return Err(Error::invalid(
            "policy",
            format!(
                "{} grants given; COS keeps at most {MAX_ACL_GRANTS}",
                p.grants.len()
            ),
        ));
    }
    for (i, g) in p.grants.iter().enumerate() {
        let nonempty = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.trim().is_empty());
        match g.grantee_type.as_str() {
            "CanonicalUser" => {
                if !nonempty(&g.id) || g.uri.is_some() {
                    return Err(Error::invalid(
                        "policy",
                        format!(
                            "grant {i}: a CanonicalUser grantee needs a non-empty id and no uri"
                        ),
                    ));
                }
            }
            "Group" => {
                if !nonempty(&g.uri) || g.id.is_some() {
                    return Err(Error::invalid(
                        "policy",
                        format!("grant {i}: a Group grantee needs a non-empty uri and no id"),
                    ));
                }
            }
            other => {
                return Err(Error::invalid(
                    "policy",
                    format!("grant {i}: grantee_type {other:?} is not CanonicalUser or Group"),
                ));
            }
        }
        for (what, v) in [("id", &g.id), ("uri", &g.uri)] {
            if let Some(v) = v {
                text_ok(format!("grant {i}'s {what}"), v)?;
            }
        }
        if !PERMISSIONS.contains(&g.permission.as_str()) {
            return Err(Error::invalid(
                "policy",
                format!(
                    "grant {i}: permission {:?} is not one of READ, WRITE, FULL_CONTROL, READ_ACP, WRITE_ACP",
                    g.permission
                ),
            ));
        }
    }
    Ok(())
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
        acl_request(
            Request::new(Method::Put, target).query("acl", None),
            acl.canned.map(|c| c.as_str()),
            &object_grants(acl),
        )
    }

    /// PUT Object ACL request with an `<AccessControlPolicy>` body (see
    /// [`Client::put_object_acl_policy`]).
    pub fn put_object_acl_policy_request(
        &self,
        key: &str,
        policy: &AccessControlPolicy,
    ) -> Result<Request<'static>> {
        let target = self.object_key(key)?;
        validate_policy(policy)?;
        let body = xml::access_control_policy_body(policy).into_bytes();
        Ok(Request::new(Method::Put, target)
            .query("acl", None)
            .header("content-type", "application/xml")
            .header("content-md5", b64(&md5_of(&body)))
            .body(RequestBody::Bytes(Cow::Owned(body))))
    }

    /// PUT Object ACL with the ACL as an `<AccessControlPolicy>` document in the body
    /// (the form [`Client::get_object_acl`] returns), instead of headers: the grants
    /// replace all of the object's grants, exactly as listed (list the owner's
    /// `FULL_CONTROL` too if it should stay).
    ///
    /// Checked before sending (an [`Error::InvalidArgument`] naming the grant and the
    /// problem): `owner_id` non-empty; at most [`MAX_ACL_GRANTS`] (1000) grants; each
    /// grant's `grantee_type` is `CanonicalUser` with an `id` and no `uri`, or `Group`
    /// with a `uri` and no `id`; `permission` is one of `READ`, `WRITE`,
    /// `FULL_CONTROL`, `READ_ACP`, `WRITE_ACP`; no control characters anywhere.
    /// `policy.canned` (a response header of GET) is not sent. A missing key is
    /// `404 NoSuchKey`.
    pub fn put_object_acl_policy(&self, key: &str, policy: &AccessControlPolicy) -> Result<()> {
        self.inner
            .send(self.put_object_acl_policy_request(key, policy)?)?;
        Ok(())
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

    fn acl() -> ObjectAcl {
        ObjectAcl {
            canned: Some(super::super::CannedAcl::PublicRead),
            grant_read: vec!["100000000002".into()],
            ..Default::default()
        }
    }

    #[test]
    fn tagging_header_encoding() {
        assert_eq!(
            encode_tagging(&tags(&[("a b", "1&2=3"), ("键", ""), ("x+y", "~._-")])).unwrap(),
            "a%20b=1%262%3D3&%E9%94%AE=&x%2By=~._-"
        );
        assert_eq!(encode_tagging(&[]).unwrap(), "");
        let e = encode_tagging(&tags(&[("", "v")])).unwrap_err();
        assert_eq!(e.status(), Status::InvalidArgument);
    }

    #[test]
    fn writes_carry_acl_and_tags_but_parts_do_not() {
        use crate::client::{Body, CopyObjectOptions, CopySource, PutObjectOptions};
        let c = client();
        let opts = PutObjectOptions {
            acl: acl(),
            tagging: tags(&[("project", "qcos"), ("team", "a b")]),
            ..Default::default()
        };
        let check = |req: &Request<'_>| {
            assert_eq!(req.header_value("x-cos-acl"), Some("public-read"));
            assert_eq!(
                req.header_value("x-cos-grant-read"),
                Some("id=\"100000000002\"")
            );
            assert_eq!(
                req.header_value("x-cos-tagging"),
                Some("project=qcos&team=a%20b")
            );
        };
        check(&c.put_object_request("k", Body::Bytes(b"x"), &opts).unwrap());
        check(
            &c.append_object_request("k", 0, Body::Bytes(b"x"), &opts)
                .unwrap(),
        );
        let part = c
            .upload_part_request("k", "up", 1, Body::Bytes(b"x"), &Default::default())
            .unwrap();
        assert_eq!(part.header_value("x-cos-acl"), None);
        assert_eq!(part.header_value("x-cos-tagging"), None);

        // Copy: the ACL always; the tags only with the Replaced directive.
        let src = CopySource {
            bucket: "examplebucket-1250000000".into(),
            region: "ap-guangzhou".into(),
            key: "src".into(),
            version_id: None,
        };
        let mut copy = CopyObjectOptions {
            put: PutObjectOptions {
                acl: acl(),
                ..Default::default()
            },
            ..Default::default()
        };
        let req = c.copy_object_request("k", &src, &copy).unwrap();
        assert_eq!(req.header_value("x-cos-acl"), Some("public-read"));
        assert_eq!(req.header_value("x-cos-tagging-directive"), None);
        assert_eq!(req.header_value("x-cos-tagging"), None);
        copy.put.tagging = tags(&[("a", "1")]);
        let e = c.copy_object_request("k", &src, &copy).unwrap_err();
        assert!(e.to_string().contains("tagging_directive_replace"), "{e}");
        copy.tagging_directive_replace = true;
        let req = c.copy_object_request("k", &src, &copy).unwrap();
        assert_eq!(
            req.header_value("x-cos-tagging-directive"),
            Some("Replaced")
        );
        assert_eq!(req.header_value("x-cos-tagging"), Some("a=1"));
        assert_eq!(req.header_value("x-cos-metadata-directive"), Some("Copy"));
        // Replaced with no tags: the destination ends up without tags.
        copy.put.tagging.clear();
        let req = c.copy_object_request("k", &src, &copy).unwrap();
        assert_eq!(
            req.header_value("x-cos-tagging-directive"),
            Some("Replaced")
        );
        assert_eq!(req.header_value("x-cos-tagging"), None);
    }

    #[test]
    fn typed_options_and_extra_headers_conflict() {
        use crate::client::{Body, PutObjectOptions};
        let c = client();
        // The old way still works alone.
        let old = PutObjectOptions {
            headers: vec![
                ("x-cos-acl".into(), "private".into()),
                ("x-cos-tagging".into(), "a=1".into()),
            ],
            ..Default::default()
        };
        let req = c.put_object_request("k", Body::Bytes(b"x"), &old).unwrap();
        assert_eq!(req.header_value("x-cos-acl"), Some("private"));
        assert_eq!(req.header_value("x-cos-tagging"), Some("a=1"));
        for (header, field) in [
            ("X-Cos-Acl", "acl"),
            ("x-cos-grant-full-control", "acl"),
            ("x-cos-tagging", "tagging"),
        ] {
            let o = PutObjectOptions {
                acl: acl(),
                tagging: tags(&[("a", "1")]),
                headers: vec![(header.into(), "id=\"1\"".into())],
                ..Default::default()
            };
            let e = c
                .put_object_request("k", Body::Bytes(b"x"), &o)
                .unwrap_err();
            assert_eq!(e.status(), Status::InvalidArgument);
            let m = e.to_string();
            assert!(
                m.contains(header) && m.contains(&format!("`{field}`")),
                "{m}"
            );
            assert!(crate::client::check_user_names(&o).is_err());
        }
        // Invalid tags are refused before anything is sent.
        let bad = PutObjectOptions {
            tagging: tags(&[("k", "v"), ("k", "w")]),
            ..Default::default()
        };
        let e = c
            .put_object_request("k", Body::Bytes(b"x"), &bad)
            .unwrap_err();
        assert!(e.to_string().contains("given twice"), "{e}");
    }

    #[test]
    fn policy_request_and_checks() {
        use crate::client::Grant;
        let user = |id: &str, perm: &str| Grant {
            grantee_type: "CanonicalUser".into(),
            id: Some(id.into()),
            uri: None,
            permission: perm.into(),
        };
        let p = AccessControlPolicy {
            owner_id: "qcs::cam::uin/1:uin/1".into(),
            grants: vec![
                user("qcs::cam::uin/1:uin/1", "FULL_CONTROL"),
                Grant {
                    grantee_type: "Group".into(),
                    id: None,
                    uri: Some("http://cam.qcloud.com/groups/global/AllUsers".into()),
                    permission: "READ".into(),
                },
            ],
            ..Default::default()
        };
        let req = client().put_object_acl_policy_request("a.txt", &p).unwrap();
        assert_eq!(req.query, vec![("acl".to_string(), None)]);
        let RequestBody::Bytes(body) = &req.body else {
            panic!("body {:?}", req.body)
        };
        assert_eq!(
            req.header_value("content-md5"),
            Some(b64(&md5_of(body)).as_str())
        );
        assert_eq!(
            xml::parse_access_control_policy(body).unwrap().grants,
            p.grants
        );
        let bad = |f: &dyn Fn(&mut AccessControlPolicy), what: &str| {
            let mut q = p.clone();
            f(&mut q);
            let e = client()
                .put_object_acl_policy_request("a.txt", &q)
                .unwrap_err();
            assert_eq!(e.status(), Status::InvalidArgument);
            assert!(e.to_string().contains(what), "{e}");
        };
        bad(&|q| q.owner_id.clear(), "owner_id");
        bad(&|q| q.grants[0].permission = "ALL".into(), "\"ALL\"");
        bad(
            &|q| q.grants[0].grantee_type = "Anyone".into(),
            "\"Anyone\"",
        );
        bad(&|q| q.grants[0].id = None, "grant 0");
        bad(&|q| q.grants[1].id = Some("x".into()), "grant 1");
        bad(&|q| q.grants[0].id = Some("a\nb".into()), "control");
        bad(
            &|q| q.grants = vec![user("1", "READ"); MAX_ACL_GRANTS + 1],
            "1001 grants",
        );
        let mut max = p.clone();
        max.grants = vec![user("1", "READ"); MAX_ACL_GRANTS];
        assert!(
            client()
                .put_object_acl_policy_request("a.txt", &max)
                .is_ok()
        );
    }
}
