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
//!   replace the previous ones. Or (not both) an `<AccessControlPolicy>` body: its
//!   grants (`CanonicalUser` with `<ID>`, `Group` with `<URI>`; at most 1000;
//!   permissions `READ|WRITE|FULL_CONTROL|READ_ACP|WRITE_ACP`) replace the whole ACL
//!   and GET lists exactly them (`400 MalformedXML` for a document that is not one,
//!   `400 InvalidArgument` for a bad grant). `GET` answers the
//!   `<AccessControlPolicy>`: for a header-set ACL the owner (the server's single
//!   account) with FULL_CONTROL, `AllUsers` READ for `public-read`, then each grant;
//!   plus the `x-cos-acl` header.
//! - Writes carry them too (cos-protocol.md §6.1, §6.6, §6.10): PUT Object, Initiate
//!   Multipart Upload (for the object Complete makes), POST Object (form fields) and
//!   APPEND (the first) take `x-cos-acl`, `x-cos-grant-*` and `x-cos-tagging`
//!   (`k1=v1&k2=v2`, URL-encoded; bad encoding `400 InvalidArgument`, the tag rules as
//!   above). PUT Object - Copy takes the ACL from its request (never the source's) and
//!   the tags from the source (`x-cos-tagging-directive: Copy`, the default) or from
//!   its `x-cos-tagging` (`Replaced`).
//! - A missing key is `404 NoSuchKey`; a `versionId` other than `null` is
//!   `404 NoSuchVersion` (no versioning here). Tags and ACL are replaced by those of
//!   the request when the object is written again (PUT, Copy, Complete).

use md5::{Digest, Md5};

use super::{
    CosError, Cx, Fail, HResult, OWNER_ID, OWNER_NAME, XML_DECL, el, err, parse_md5_header,
    parse_xml, store_err,
};
use crate::http::{Body, Request, Response};
use crate::store::PolicyGrant;

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

fn invalid_tag(msg: impl Into<String>) -> CosError {
    err(400, "InvalidTag", msg)
}

pub(super) fn malformed(msg: impl Into<String>) -> Fail {
    err(400, "MalformedXML", msg).into()
}

/// Most grants one `<AccessControlPolicy>` may hold.
const MAX_POLICY_GRANTS: usize = 1000;
const PERMISSIONS: [&str; 5] = ["READ", "WRITE", "FULL_CONTROL", "READ_ACP", "WRITE_ACP"];

/// COS's rules for a tag set: at most `max` tags (10 for an object, 50 for a bucket;
/// `owner` is "Object" or "Bucket" for the message), keys non-empty, unique and at
/// most 128 characters, values at most 256.
fn check_tags(tags: &[(String, String)], max: usize, owner: &str) -> Result<(), CosError> {
    if tags.len() > max {
        return Err(err(
            400,
            "BadRequest",
            format!("{owner} tags cannot be greater than {max}."),
        ));
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
    Ok(())
}

/// One part of `x-cos-tagging`: `+` is a space, `%XX` a byte, UTF-8 overall.
fn form_decode(s: &str) -> Option<String> {
    qcos::encode::percent_decode(&s.replace('+', "%20"))
}

/// The tags of `x-cos-tagging` (`k1=v1&k2=v2`, URL-encoded), checked; `None` when
/// the header is absent.
pub(crate) fn tags_from_header(req: &Request) -> Result<Option<Vec<(String, String)>>, CosError> {
    let Some(v) = req.header("x-cos-tagging") else {
        return Ok(None);
    };
    let mut tags = Vec::new();
    for part in v.trim().split('&').filter(|p| !p.is_empty()) {
        let (k, val) = part.split_once('=').unwrap_or((part, ""));
        let (Some(k), Some(val)) = (form_decode(k), form_decode(val)) else {
            return Err(err(
                400,
                "InvalidArgument",
                format!("x-cos-tagging {v:?} is not URL-encoded key=value pairs joined by '&'."),
            ));
        };
        if k.chars().chain(val.chars()).any(char::is_control) {
            return Err(invalid_tag("A tag contains a control character."));
        }
        tags.push((k, val));
    }
    check_tags(&tags, MAX_TAGS, "Object")?;
    Ok(Some(tags))
}

/// The canned ACL (`x-cos-acl`) and the `(permission, id)` grants (`x-cos-grant-*`)
/// of a request.
pub(crate) type HeaderAcl = (Option<String>, Vec<(String, String)>);

/// `x-cos-acl` and `x-cos-grant-*` of a request, checked.
pub(crate) fn acl_from_headers(req: &Request) -> Result<HeaderAcl, CosError> {
    let canned = match req.header("x-cos-acl") {
        None => None,
        Some(v) => match v.trim() {
            c @ ("default" | "private" | "public-read") => Some(c.to_string()),
            other => {
                return Err(err(
                    400,
                    "InvalidArgument",
                    format!("x-cos-acl {other:?} is not one of default, private, public-read."),
                ));
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
    Ok((canned, grants))
}

fn attr<'a>(n: roxmltree::Node<'a, '_>, local: &str) -> Option<&'a str> {
    n.attributes()
        .find(|a| a.name() == local)
        .map(|a| a.value())
}

fn child<'a, 'i>(n: roxmltree::Node<'a, 'i>, name: &str) -> Vec<roxmltree::Node<'a, 'i>> {
    elems(n)
        .into_iter()
        .filter(|c| c.tag_name().name() == name)
        .collect()
}

/// Parse and check an `<AccessControlPolicy>` body: its grants, in order.
fn parse_policy(text: &[u8]) -> Result<Vec<PolicyGrant>, Fail> {
    let doc = parse_xml(text)?;
    let root = doc.root_element();
    if root.tag_name().name() != "AccessControlPolicy" {
        return Err(malformed("The root element must be AccessControlPolicy."));
    }
    let text_of = |n: roxmltree::Node<'_, '_>| -> String {
        n.descendants()
            .filter(|d| d.is_text())
            .map(|d| d.text().unwrap_or(""))
            .collect::<String>()
            .trim()
            .to_string()
    };
    let owner = child(root, "Owner");
    let [owner] = owner.as_slice() else {
        return Err(malformed("AccessControlPolicy must hold one Owner."));
    };
    let owner_id = child(*owner, "ID");
    if owner_id.len() != 1 || text_of(owner_id[0]).is_empty() {
        return Err(malformed("Owner must hold one non-empty ID."));
    }
    let lists = child(root, "AccessControlList");
    let [list] = lists.as_slice() else {
        return Err(malformed(
            "AccessControlPolicy must hold one AccessControlList.",
        ));
    };
    let mut out = Vec::new();
    for g in elems(*list) {
        if g.tag_name().name() != "Grant" {
            return Err(malformed(format!(
                "AccessControlList holds <{}>; only Grant elements are allowed.",
                g.tag_name().name()
            )));
        }
        let grantee = child(g, "Grantee");
        let perm = child(g, "Permission");
        let ([grantee], [perm]) = (grantee.as_slice(), perm.as_slice()) else {
            return Err(malformed(
                "Every Grant needs one Grantee and one Permission.",
            ));
        };
        let permission = text_of(*perm);
        if !PERMISSIONS.contains(&permission.as_str()) {
            return Err(err(
                400,
                "InvalidArgument",
                format!("Permission {permission:?} is not one of READ, WRITE, FULL_CONTROL, READ_ACP, WRITE_ACP."),
            )
            .into());
        }
        let (group, name) = match attr(*grantee, "type") {
            Some("CanonicalUser") => (false, "ID"),
            Some("Group") => (true, "URI"),
            other => {
                return Err(err(
                    400,
                    "InvalidArgument",
                    format!("Grantee xsi:type {other:?} is not CanonicalUser or Group."),
                )
                .into());
            }
        };
        let who = child(*grantee, name);
        let [who] = who.as_slice() else {
            return Err(err(
                400,
                "InvalidArgument",
                format!(
                    "A {} grantee needs one <{name}>.",
                    if group { "Group" } else { "CanonicalUser" }
                ),
            )
            .into());
        };
        let who = text_of(*who);
        if who.is_empty() || who.chars().any(char::is_control) {
            return Err(err(
                400,
                "InvalidArgument",
                format!("A grantee's <{name}> is empty or holds a control character."),
            )
            .into());
        }
        out.push(PolicyGrant {
            permission,
            group,
            who,
        });
    }
    if out.len() > MAX_POLICY_GRANTS {
        return Err(err(
            400,
            "InvalidArgument",
            format!("An ACL holds at most {MAX_POLICY_GRANTS} grants."),
        )
        .into());
    }
    Ok(out)
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
    check_tags(&tags, max, owner)?;
    Ok(tags)
}

/// `id="a",id="b"` → `["a", "b"]`.
pub(super) fn parse_grantees(header: &str, v: &str) -> Result<Vec<String>, CosError> {
    let bad = || {
        err(
            400,
            "InvalidArgument",
            format!("{header} {v:?} must be id=\"…\" entries separated by commas."),
        )
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
        let (canned, grants) = acl_from_headers(req)?;
        let text = self.small_body(body)?;
        if !text.iter().all(u8::is_ascii_whitespace) {
            if canned.is_some() || !grants.is_empty() {
                return Err(err(
                    400,
                    "InvalidRequest",
                    "PUT Object ACL takes the ACL from headers or from an AccessControlPolicy body, not both.",
                )
                .into());
            }
            let want = parse_md5_header(req)?;
            let got: [u8; 16] = Md5::digest(&text).into();
            if want.is_some_and(|want| want != got) {
                return Err(err(
                    400,
                    "BadDigest",
                    "The Content-MD5 you specified did not match what was received.",
                )
                .into());
            }
            let policy = parse_policy(&text)?;
            self.sh
                .store
                .update_attrs(&self.bucket, &self.key, |a| {
                    a.canned_acl = None;
                    a.grants.clear();
                    a.policy = Some(policy);
                })
                .map_err(store_err)?;
            return Ok(Response::new(200));
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
                a.policy = None;
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
        let mut x = format!(
            "<AccessControlPolicy><Owner>{}{}</Owner><AccessControlList>",
            el("ID", OWNER_ID),
            el("DisplayName", OWNER_NAME)
        );
        if let Some(policy) = &obj.attrs.policy {
            // Exactly the grants of the document that was put.
            let mut public = false;
            for g in policy {
                if g.group {
                    public |= g.who == ALL_USERS && g.permission == "READ";
                    x.push_str(&format!(
                        "<Grant><Grantee xmlns:xsi=\"{XSI}\" xsi:type=\"Group\">{}</Grantee>{}</Grant>",
                        el("URI", &g.who),
                        el("Permission", &g.permission)
                    ));
                } else {
                    x.push_str(&user_grant(&g.who, &g.permission));
                }
            }
            x.push_str("</AccessControlList></AccessControlPolicy>");
            let canned = if public { "public-read" } else { "private" };
            return Ok(Response::xml(200, format!("{XML_DECL}{x}"))
                .header("x-cos-acl", canned.to_string()));
        }
        let canned = obj.attrs.canned_acl.as_deref().unwrap_or("default");
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

    #[test]
    fn policy_documents() {
        let g = |t: &str, inner: &str, perm: &str| {
            format!(
                "<Grant><Grantee xmlns:xsi=\"{XSI}\" xsi:type=\"{t}\">{inner}</Grantee><Permission>{perm}</Permission></Grant>"
            )
        };
        let doc = |grants: &str| {
            format!(
                "<AccessControlPolicy><Owner><ID>o</ID></Owner><AccessControlList>{grants}</AccessControlList></AccessControlPolicy>"
            )
        };
        let ok = doc(&(g("CanonicalUser", "<ID> u1 </ID>", "WRITE")
            + &g("Group", &format!("<URI>{ALL_USERS}</URI>"), "READ")));
        let p = parse_policy(ok.as_bytes()).ok().unwrap();
        assert_eq!(
            p,
            vec![
                PolicyGrant {
                    permission: "WRITE".into(),
                    group: false,
                    who: "u1".into()
                },
                PolicyGrant {
                    permission: "READ".into(),
                    group: true,
                    who: ALL_USERS.into()
                },
            ]
        );
        let code = |body: String| match parse_policy(body.as_bytes()) {
            Err(Fail::Cos(e)) => e.code,
            Err(Fail::Abort) => "abort".into(),
            Ok(_) => "ok".into(),
        };
        assert_eq!(code(doc("")), "ok");
        assert_eq!(
            code("<AccessControlPolicy><AccessControlList/></AccessControlPolicy>".into()),
            "MalformedXML"
        );
        assert_eq!(
            code(doc(&g("CanonicalUser", "<URI>x</URI>", "READ"))),
            "InvalidArgument"
        );
        assert_eq!(
            code(doc(&g("CanonicalUser", "<ID>1</ID>", "read"))),
            "InvalidArgument"
        );
        assert_eq!(code(doc("<Other/>")), "MalformedXML");
        assert_eq!(
            code(doc(&g("CanonicalUser", "<ID>1</ID>", "READ").repeat(1001))),
            "InvalidArgument"
        );
    }

    #[test]
    fn tagging_headers() {
        let empty = Request {
            method: "PUT".into(),
            raw_path: "/k".into(),
            raw_query: String::new(),
            query: Vec::new(),
            headers: Vec::new(),
            http11: true,
        };
        let req = |v: &str| {
            let mut r = empty.clone();
            r.headers.push(("x-cos-tagging".into(), v.into()));
            r
        };
        assert_eq!(
            tags_from_header(&req("a%20b=c%26d&e+f=&g")).ok().unwrap(),
            Some(vec![
                ("a b".to_string(), "c&d".to_string()),
                ("e f".to_string(), String::new()),
                ("g".to_string(), String::new()),
            ])
        );
        assert_eq!(tags_from_header(&empty).ok().unwrap(), None);
        assert_eq!(
            tags_from_header(&req("a=%E4")).err().unwrap().code,
            "InvalidArgument"
        );
        assert_eq!(
            tags_from_header(&req("a=1&a=2")).err().unwrap().code,
            "InvalidTag"
        );
        assert_eq!(
            tags_from_header(&req("a=%0A")).err().unwrap().code,
            "InvalidTag"
        );
    }
}
