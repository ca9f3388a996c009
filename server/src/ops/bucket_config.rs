//! Bucket tagging and bucket ACL (cos-protocol.md §6.18, bucket level). Bucket CORS is
//! `cors.rs` plus `put_cors`/`preflight` in `ops.rs`.
//!
//! - `PUT /?tagging` replaces the bucket's tag set; `Content-MD5` is required (as for
//!   `PUT /?cors`; the official SDKs send it): missing is `400 InvalidRequest`, wrong
//!   `400 BadDigest`. The document rules are those of object tagging with at most 50
//!   tags (more: `400 BadRequest`). `GET` answers the document or `404 NoSuchTagSet`;
//!   `DELETE` removes the tags (204).
//! - `PUT /?acl` takes `x-cos-acl` (`private|public-read|public-read-write`) and/or
//!   `x-cos-grant-read|-write|-read-acp|-write-acp|-full-control`; they replace the
//!   previous ACL. An ACL in the body is `501 NotImplemented`. `GET` answers the
//!   `<AccessControlPolicy>`: the owner with FULL_CONTROL, `AllUsers` READ for
//!   `public-read` (and WRITE too for `public-read-write`), then each grant; plus the
//!   `x-cos-acl` header (`private` when never set).
//!
//! Both are kept in the bucket's `bucket.meta` (`Store::update_bucket_attrs`). The
//! server does not enforce ACLs: every request must be signed by its one account.

use md5::{Digest, Md5};

use super::tagging_acl::{ALL_USERS, XSI, canonical_id, parse_grantees, parse_tag_set, user_grant};
use super::{Cx, HResult, OWNER_ID, OWNER_NAME, XML_DECL, el, err, parse_md5_header, store_err};
use crate::http::{Body, Response};

const MAX_BUCKET_TAGS: usize = 50;
const BUCKET_CANNED: [&str; 3] = ["private", "public-read", "public-read-write"];

/// `x-cos-grant-*` headers of a bucket ACL and the permission each grants, in GET's
/// order.
const BUCKET_GRANT_HEADERS: [(&str, &str); 5] = [
    ("x-cos-grant-full-control", "FULL_CONTROL"),
    ("x-cos-grant-read", "READ"),
    ("x-cos-grant-write", "WRITE"),
    ("x-cos-grant-read-acp", "READ_ACP"),
    ("x-cos-grant-write-acp", "WRITE_ACP"),
];

fn group_grant(perm: &str) -> String {
    format!(
        "<Grant><Grantee xmlns:xsi=\"{XSI}\" xsi:type=\"Group\">{}</Grantee>{}</Grant>",
        el("URI", ALL_USERS),
        el("Permission", perm)
    )
}

impl Cx<'_> {
    pub(super) fn put_bucket_tagging(&mut self, body: &mut Body<'_>) -> HResult {
        let want = parse_md5_header(self.req)?.ok_or_else(|| {
            err(
                400,
                "InvalidRequest",
                "Missing required header for this request: Content-MD5.",
            )
        })?;
        let text = self.small_body(body)?;
        let got: [u8; 16] = Md5::digest(&text).into();
        if want != got {
            return Err(err(
                400,
                "BadDigest",
                "The Content-MD5 you specified did not match what was received.",
            )
            .into());
        }
        let tags = parse_tag_set(&text, MAX_BUCKET_TAGS, "Bucket")?;
        self.sh
            .store
            .update_bucket_attrs(&self.bucket, |a| a.tags = tags)
            .map_err(store_err)?;
        Ok(Response::new(200))
    }

    pub(super) fn get_bucket_tagging(&mut self) -> HResult {
        let attrs = self
            .sh
            .store
            .bucket_attrs(&self.bucket)
            .map_err(store_err)?;
        if attrs.tags.is_empty() {
            return Err(err(
                404,
                "NoSuchTagSet",
                "There is no tag set associated with the bucket.",
            )
            .into());
        }
        let mut x = String::from("<Tagging><TagSet>");
        for (k, v) in &attrs.tags {
            x.push_str(&format!("<Tag>{}{}</Tag>", el("Key", k), el("Value", v)));
        }
        x.push_str("</TagSet></Tagging>");
        Ok(Response::xml(200, format!("{XML_DECL}{x}")))
    }

    pub(super) fn delete_bucket_tagging(&mut self) -> HResult {
        self.sh
            .store
            .update_bucket_attrs(&self.bucket, |a| a.tags.clear())
            .map_err(store_err)?;
        Ok(Response::new(204))
    }

    pub(super) fn put_bucket_acl(&mut self, body: &mut Body<'_>) -> HResult {
        let req = self.req;
        let canned = match req.header("x-cos-acl") {
            None => None,
            Some(v) => match v.trim() {
                c if BUCKET_CANNED.contains(&c) => Some(c.to_string()),
                other => {
                    return Err(err(
                        400,
                        "InvalidArgument",
                        format!(
                            "x-cos-acl {other:?} is not one of private, public-read, public-read-write."
                        ),
                    )
                    .into());
                }
            },
        };
        let mut grants = Vec::new();
        for (h, perm) in BUCKET_GRANT_HEADERS {
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
                "PUT Bucket ACL needs x-cos-acl or an x-cos-grant-* header.",
            )
            .into());
        }
        self.sh
            .store
            .update_bucket_attrs(&self.bucket, |a| {
                a.canned_acl = canned;
                a.grants = grants;
            })
            .map_err(store_err)?;
        Ok(Response::new(200))
    }

    pub(super) fn get_bucket_acl(&mut self) -> HResult {
        let attrs = self
            .sh
            .store
            .bucket_attrs(&self.bucket)
            .map_err(store_err)?;
        let canned = attrs.canned_acl.as_deref().unwrap_or("private");
        let mut x = format!(
            "<AccessControlPolicy><Owner>{}{}</Owner><AccessControlList>",
            el("ID", OWNER_ID),
            el("DisplayName", OWNER_NAME)
        );
        x.push_str(&user_grant(OWNER_ID, "FULL_CONTROL"));
        if matches!(canned, "public-read" | "public-read-write") {
            x.push_str(&group_grant("READ"));
        }
        if canned == "public-read-write" {
            x.push_str(&group_grant("WRITE"));
        }
        for (perm, id) in &attrs.grants {
            x.push_str(&user_grant(&canonical_id(id), perm));
        }
        x.push_str("</AccessControlList></AccessControlPolicy>");
        Ok(Response::xml(200, format!("{XML_DECL}{x}")).header("x-cos-acl", canned.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::Fail;

    #[test]
    fn bucket_tag_limit_is_fifty() {
        let doc = |n: usize| {
            let tags: String = (0..n)
                .map(|i| format!("<Tag><Key>k{i}</Key><Value>v</Value></Tag>"))
                .collect();
            format!("<Tagging><TagSet>{tags}</TagSet></Tagging>")
        };
        assert_eq!(
            parse_tag_set(doc(50).as_bytes(), MAX_BUCKET_TAGS, "Bucket")
                .ok()
                .unwrap()
                .len(),
            50
        );
        match parse_tag_set(doc(51).as_bytes(), MAX_BUCKET_TAGS, "Bucket") {
            Err(Fail::Cos(e)) => {
                assert_eq!(e.code, "BadRequest");
                assert!(e.message.contains("Bucket tags"), "{}", e.message);
            }
            _ => panic!("51 tags accepted"),
        }
    }
}
