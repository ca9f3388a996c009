//! Object tagging and object ACL (cos-protocol.md §6.18).
//!
//! - `PUT /{key}?tagging` replaces the tag set (a `Content-MD5`, when sent, must match
//!   the body: `400 BadDigest`; it is not required, since the official Python SDK's
//!   `put_object_tagging` sends none):
//!   `<Tagging><TagSet><Tag><Key/><Value/></Tag>…</TagSet></Tagging>`. More than 10 tags
//!   is `400 BadRequest`; an empty, too long (key > 128, value > 256 characters) or
//!   repeated key is `400 InvalidTag`; anything that is not that document is
//!   `400 MalformedXML`. `GET` answers the document, or `404 NoSuchTagSet` when the
//!   object has no tags; `DELETE` removes them (204).
//! - `PUT /{key}?acl` takes `x-cos-acl` (`default|private|public-read`) and/or
//!   `x-cos-grant-read|-read-acp|-write-acp|-full-control` (`id="…",id="…"`); the grants
//!   replace the previous ones. An ACL in the body is `501 NotImplemented`. `GET`
//!   answers the `<AccessControlPolicy>`: the owner (the server's single account) with
//!   FULL_CONTROL, `AllUsers` READ for `public-read`, then each grant; plus the
//!   `x-cos-acl` header.
//! - A missing key is `404 NoSuchKey`; a `versionId` other than `null` is
//!   `404 NoSuchVersion` (no versioning here). Tags and ACL go away when the object is
//!   written again (PUT, Copy, Complete).

use md5::{Digest, Md5};

use super::{
    Cx, Fail, HResult, OWNER_ID, OWNER_NAME, XML_DECL, el, err, parse_md5_header, parse_xml,
    store_err,
};
use crate::http::{Body, Response};

const MAX_TAGS: usize = 10;
const MAX_TAG_KEY_CHARS: usize = 128;
const MAX_TAG_VALUE_CHARS: usize = 256;
pub(super) const ALL_USERS: &str = "http://cam.qcloud.com/groups/global/AllUsers";
pub(super) const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// `x-cos-grant-*` headers and the permission each grants, in GET's order.
const GRANT_HEADERS: [(&str, &str); 4] = [
    ("x-cos-grant-full-control", "FULL_CONTROL"),
    ("x-cos-grant-read", "READ"),
    ("x-cos-grant-read-acp", "READ_ACP"),
    ("x-cos-grant-write-acp", "WRITE_ACP"),
];

fn invalid_tag(msg: impl Into<String>) -> Fail {
    err(400, "InvalidTag", msg).into()
}

pub(super) fn malformed(msg: impl Into<String>) -> Fail {
    err(400, "MalformedXML", msg).into()
}

fn elems<'a, 'i>(n: roxmltree::Node<'a, 'i>) -> Vec<roxmltree::Node<'a, 'i>> {
    n.children().filter(|c| c.is_element()).collect()
}

/// Parse and check an object's `<Tagging>` document.
fn parse_tagging(text: &[u8]) -> Result<Vec<(String, String)>, Fail> {
    parse_tag_set(text, MAX_TAGS, "Object")
}

/// Parse and check a `<Tagging>` document of at most `max` tags (`owner`: "Object" or
/// "Bucket", for the error message).
pub(super) fn parse_tag_set(
    text: &[u8],
    max: usize,
    owner: &str,
) -> Result<Vec<(String, String)>, Fail> {
    let doc = parse_xml(text)?;
    let root = doc.root_element();
    if root.tag_name().name() != "Tagging" {
        return Err(malformed("The root element must be Tagging."));
    }
    let sets = elems(root);
    let [set] = sets.as_slice() else {
        return Err(malformed("Tagging must hold exactly one TagSet."));
    };
    if set.tag_name().name() != "TagSet" {
        return Err(malformed("Tagging must hold exactly one TagSet."));
    }
    let mut tags: Vec<(String, String)> = Vec::new();
    for tag in elems(*set) {
        if tag.tag_name().name() != "Tag" {
            return Err(malformed(format!(
                "TagSet holds <{}>; only Tag elements are allowed.",
                tag.tag_name().name()
            )));
        }
        let mut key = None;
        let mut value = None;
        for f in elems(tag) {
            let text = f
                .descendants()
                .filter(|d| d.is_text())
                .map(|d| d.text().unwrap_or(""))
                .collect::<String>();
            let slot = match f.tag_name().name() {
                "Key" => &mut key,
                "Value" => &mut value,
                other => {
                    return Err(malformed(format!(
                        "Tag holds <{other}>; only Key and Value are allowed."
                    )));
                }
            };
            if slot.replace(text).is_some() {
                return Err(malformed("A Tag has more than one Key or Value."));
            }
        }
        let (Some(key), Some(value)) = (key, value) else {
            return Err(malformed("Every Tag needs a Key and a Value."));
        };
        tags.push((key, value));
    }
    if tags.len() > max {
        return Err(err(
            400,
            "BadRequest",
            format!("{owner} tags cannot be greater than {max}."),
        )
        .into());
    }
    for (i, (k, v)) in tags.iter().enumerate() {
        if k.is_empty() {
            return Err(invalid_tag("The TagKey you have provided is empty."));
        }
        if k.chars().count() > MAX_TAG_KEY_CHARS {
            return Err(invalid_tag(format!(
                "The TagKey you have provided is longer than {MAX_TAG_KEY_CHARS} characters."
            )));
        }
        if v.chars().count() > MAX_TAG_VALUE_CHARS {
            return Err(invalid_tag(format!(
                "The TagValue you have provided is longer than {MAX_TAG_VALUE_CHARS} characters."
            )));
        }
        if tags[..i].iter().any(|(k2, _)| k2 == k) {
            return Err(invalid_tag(
                "Cannot provide multiple Tags with the same key.",
            ));
        }
    }
    Ok(tags)
}

/// `id="a",id="b"` → `["a", "b"]`.
pub(super) fn parse_grantees(header: &str, v: &str) -> Result<Vec<String>, Fail> {
    let bad = || {
        Fail::from(err(
            400,
            "InvalidArgument",
            format!("{header} {v:?} must be id=\"…\" entries separated by commas."),
        ))
    };
    let mut out = Vec::new();
    for part in v.split(',') {
        let part = part.trim();
        let (name, val) = part.split_once('=').ok_or_else(bad)?;
        if !name.trim().eq_ignore_ascii_case("id") {
            return Err(bad());
        }
        let val = val.trim();
        let id = val
            .strip_prefix('"')
            .and_then(|s| s.strip_suffix('"'))
            .ok_or_else(bad)?;
        if id.is_empty() || id.contains('"') {
            return Err(bad());
        }
        out.push(id.to_string());
    }
    Ok(out)
}

/// A grantee id as COS lists it: `qcs::cam::uin/X:uin/X` for a bare account number.
pub(super) fn canonical_id(id: &str) -> String {
    if id.starts_with("qcs::") {
        id.to_string()
    } else {
        format!("qcs::cam::uin/{id}:uin/{id}")
    }
}

pub(super) fn user_grant(id: &str, perm: &str) -> String {
    format!(
        "<Grant><Grantee xmlns:xsi=\"{XSI}\" xsi:type=\"CanonicalUser\">{}{}</Grantee>{}</Grant>",
        el("ID", id),
        el("DisplayName", id),
        el("Permission", perm)
    )
}

impl Cx<'_> {
    /// The object's current version: `versionId` may only name it (`null`).
    fn check_version(&self) -> Result<(), Fail> {
        match self.req.param("versionId") {
            None | Some("") | Some("null") => Ok(()),
            Some(v) => Err(err(
                404,
                "NoSuchVersion",
                format!("The version {v:?} does not exist (qcos-server keeps no versions)."),
            )
            .into()),
        }
    }

    pub(super) fn put_tagging(&mut self, body: &mut Body<'_>) -> HResult {
        self.check_version()?;
        let want = parse_md5_header(self.req)?;
        let text = self.small_body(body)?;
        let got: [u8; 16] = Md5::digest(&text).into();
        if want.is_some_and(|want| want != got) {
            return Err(err(
                400,
                "BadDigest",
                "The Content-MD5 you specified did not match what was received.",
            )
            .into());
        }
        let tags = parse_tagging(&text)?;
        self.sh
            .store
            .update_attrs(&self.bucket, &self.key, |a| a.tags = tags)
            .map_err(store_err)?;
        Ok(Response::new(200))
    }

    pub(super) fn get_tagging(&mut self) -> HResult {
        self.check_version()?;
        let obj = self
            .sh
            .store
            .get_object(&self.bucket, &self.key)
            .map_err(store_err)?;
        if obj.attrs.tags.is_empty() {
            return Err(err(
                404,
                "NoSuchTagSet",
                "There is no tag set associated with the object.",
            )
            .into());
        }
        let mut x = String::from("<Tagging><TagSet>");
        for (k, v) in &obj.attrs.tags {
            x.push_str(&format!("<Tag>{}{}</Tag>", el("Key", k), el("Value", v)));
        }
        x.push_str("</TagSet></Tagging>");
        Ok(Response::xml(200, format!("{XML_DECL}{x}")))
    }

    pub(super) fn delete_tagging(&mut self) -> HResult {
        self.check_version()?;
        self.sh
            .store
            .update_attrs(&self.bucket, &self.key, |a| a.tags.clear())
            .map_err(store_err)?;
        Ok(Response::new(204))
    }

    pub(super) fn put_acl(&mut self, body: &mut Body<'_>) -> HResult {
        let req = self.req;
        let canned = match req.header("x-cos-acl") {
            None => None,
            Some(v) => match v.trim() {
                c @ ("default" | "private" | "public-read") => Some(c.to_string()),
                other => {
                    return Err(err(
                        400,
                        "InvalidArgument",
                        format!("x-cos-acl {other:?} is not one of default, private, public-read."),
                    )
                    .into());
                }
            },
        };
        let mut grants = Vec::new();
        for (h, perm) in GRANT_HEADERS {
            if let Some(v) = req.header(h) {
                for id in parse_grantees(h, v)? {
                    grants.push((perm.to_string(), id));
                }
            }
        }
        let text = self.small_body(body)?;
        if !text.iter().all(u8::is_ascii_whitespace) {
            return Err(err(
                501,
                "NotImplemented",
                "An ACL in the request body is not implemented by qcos-server; use the x-cos-acl and x-cos-grant-* headers.",
            )
            .into());
        }
        if canned.is_none() && grants.is_empty() {
            return Err(err(
                400,
                "InvalidRequest",
                "PUT Object ACL needs x-cos-acl or an x-cos-grant-* header.",
            )
            .into());
        }
        self.sh
            .store
            .update_attrs(&self.bucket, &self.key, |a| {
                a.canned_acl = canned;
                a.grants = grants;
            })
            .map_err(store_err)?;
        Ok(Response::new(200))
    }

    pub(super) fn get_acl(&mut self) -> HResult {
        let obj = self
            .sh
            .store
            .get_object(&self.bucket, &self.key)
            .map_err(store_err)?;
        let canned = obj.attrs.canned_acl.as_deref().unwrap_or("default");
        let mut x = format!(
            "<AccessControlPolicy><Owner>{}{}</Owner><AccessControlList>",
            el("ID", OWNER_ID),
            el("DisplayName", OWNER_NAME)
        );
        x.push_str(&user_grant(OWNER_ID, "FULL_CONTROL"));
        if canned == "public-read" {
            x.push_str(&format!(
                "<Grant><Grantee xmlns:xsi=\"{XSI}\" xsi:type=\"Group\">{}</Grantee>{}</Grant>",
                el("URI", ALL_USERS),
                el("Permission", "READ")
            ));
        }
        for (perm, id) in &obj.attrs.grants {
            x.push_str(&user_grant(&canonical_id(id), perm));
        }
        x.push_str("</AccessControlList></AccessControlPolicy>");
        Ok(Response::xml(200, format!("{XML_DECL}{x}")).header("x-cos-acl", canned.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(r: Result<Vec<(String, String)>, Fail>) -> String {
        match r {
            Err(Fail::Cos(e)) => e.code,
            Err(Fail::Abort) => "abort".into(),
            Ok(_) => "ok".into(),
        }
    }

    #[test]
    fn tagging_documents() {
        let ok = b"<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag><Tag><Key>b</Key><Value></Value></Tag></TagSet></Tagging>";
        assert_eq!(
            parse_tagging(ok).ok().unwrap(),
            vec![("a".into(), "1".into()), ("b".into(), String::new())]
        );
        let dup = b"<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag><Tag><Key>a</Key><Value>2</Value></Tag></TagSet></Tagging>";
        assert_eq!(code(parse_tagging(dup)), "InvalidTag");
        let many: String = (0..11)
            .map(|i| format!("<Tag><Key>k{i}</Key><Value>v</Value></Tag>"))
            .collect();
        let many = format!("<Tagging><TagSet>{many}</TagSet></Tagging>");
        assert_eq!(code(parse_tagging(many.as_bytes())), "BadRequest");
        assert_eq!(code(parse_tagging(b"<Tagging><TagSet>")), "MalformedXML");
        assert_eq!(code(parse_tagging(b"<Other/>")), "MalformedXML");
        assert_eq!(
            code(parse_tagging(
                b"<Tagging><TagSet><Tag><Key>a</Key></Tag></TagSet></Tagging>"
            )),
            "MalformedXML"
        );
        let long = format!(
            "<Tagging><TagSet><Tag><Key>{}</Key><Value>v</Value></Tag></TagSet></Tagging>",
            "k".repeat(129)
        );
        assert_eq!(code(parse_tagging(long.as_bytes())), "InvalidTag");
        assert_eq!(
            code(parse_tagging(
                b"<Tagging><TagSet><Tag><Key></Key><Value>v</Value></Tag></TagSet></Tagging>"
            )),
            "InvalidTag"
        );
    }

    #[test]
    fn grant_headers() {
        assert_eq!(
            parse_grantees("h", "id=\"1\", id=\"qcs::cam::uin/2:uin/2\"")
                .ok()
                .unwrap(),
            vec!["1".to_string(), "qcs::cam::uin/2:uin/2".to_string()]
        );
        for bad in ["", "1", "id=1", "id=\"\"", "uri=\"x\""] {
            assert!(parse_grantees("h", bad).is_err(), "{bad}");
        }
        assert_eq!(canonical_id("7"), "qcs::cam::uin/7:uin/7");
    }
}
