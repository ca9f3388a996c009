//! Pure XML: request bodies out, response documents in (roxmltree, DTDs refused).
//!
//! Parsing is tolerant the way COS needs: a namespace on the root is ignored (elements are
//! matched by local name), element names are matched case-insensitively (`Encoding-type` vs
//! `Encoding-Type`), leading whitespace is skipped (Complete Multipart Upload streams
//! spaces before its document), and repeated elements may appear once or many times.
//! Anything that is not the expected document becomes [`Error::Protocol`]; a COS `<Error>`
//! document where a result was expected (possible inside an HTTP 200 for copy and
//! complete) becomes [`Error::Service`]. Nothing here panics on input.

use roxmltree::{Document, Node};

use crate::encode::percent_decode;
use crate::error::{Error, Result, ServiceError};

// ----------------------------------------------------------------------------------------
// Output types shared with the client API.

/// One object of a GET Bucket listing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectSummary {
    pub key: String,
    pub size: u64,
    /// With its double quotes, as COS sends it.
    pub etag: String,
    /// ISO 8601, as COS sends it.
    pub last_modified: String,
    pub storage_class: String,
}

/// One page of GET Bucket.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListObjectsPage {
    pub objects: Vec<ObjectSummary>,
    pub common_prefixes: Vec<String>,
    pub is_truncated: bool,
    /// Where the next page starts (`NextMarker`, or the last key/prefix when COS omits it
    /// on a truncated page); empty when not truncated.
    pub next_marker: String,
}

/// A bucket of GET Service.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BucketSummary {
    pub name: String,
    /// The `Location` element: the bucket's region.
    pub region: String,
    pub creation_date: String,
}

/// One page of GET Service.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListBucketsPage {
    pub buckets: Vec<BucketSummary>,
    pub is_truncated: bool,
    pub next_marker: String,
}

/// A key COS could not delete in Delete Multiple Objects.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeleteError {
    pub key: String,
    pub code: String,
    pub message: String,
}

/// The answer of Delete Multiple Objects.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeleteObjectsOutput {
    /// Keys reported deleted (empty in quiet mode).
    pub deleted: Vec<String>,
    pub errors: Vec<DeleteError>,
}

/// The body of a successful Complete Multipart Upload.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CompleteResult {
    pub location: String,
    pub bucket: String,
    pub key: String,
    pub etag: String,
}

/// The body of PUT Object - Copy (`CopyObjectResult`) or Upload Part - Copy
/// (`CopyPartResult`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CopyResult {
    pub etag: String,
    pub last_modified: String,
    pub crc64: Option<u64>,
    pub version_id: Option<String>,
}

/// One uploaded part (List Parts).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PartInfo {
    pub part_number: u32,
    pub etag: String,
    pub size: u64,
    pub last_modified: String,
}

/// One page of List Parts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListPartsPage {
    pub parts: Vec<PartInfo>,
    pub is_truncated: bool,
    pub next_part_number_marker: String,
}

/// One unfinished multipart upload (List Multipart Uploads).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UploadInfo {
    pub key: String,
    pub upload_id: String,
    pub storage_class: String,
    pub initiated: String,
}

/// One page of List Multipart Uploads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListUploadsPage {
    pub uploads: Vec<UploadInfo>,
    pub common_prefixes: Vec<String>,
    pub is_truncated: bool,
    pub next_key_marker: String,
    pub next_upload_id_marker: String,
}

// ----------------------------------------------------------------------------------------
// Request bodies.

/// Escape text for an XML element or attribute value. CR is written as a character
/// reference so that parsers keep it.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
    out
}

/// `<Delete>` body of Delete Multiple Objects: `(key, version_id)` pairs.
pub fn delete_body(objects: &[(&str, Option<&str>)], quiet: bool) -> String {
    let mut s = String::with_capacity(64 + objects.len() * 48);
    s.push_str("<Delete><Quiet>");
    s.push_str(if quiet { "true" } else { "false" });
    s.push_str("</Quiet>");
    for (key, version) in objects {
        s.push_str("<Object><Key>");
        s.push_str(&escape(key));
        s.push_str("</Key>");
        if let Some(v) = version {
            s.push_str("<VersionId>");
            s.push_str(&escape(v));
            s.push_str("</VersionId>");
        }
        s.push_str("</Object>");
    }
    s.push_str("</Delete>");
    s
}

/// An ETag as COS expects it in Complete: with double quotes (added when missing).
pub fn quote_etag(etag: &str) -> String {
    let t = etag.trim();
    if t.len() >= 2 && t.starts_with('"') && t.ends_with('"') {
        t.to_string()
    } else {
        format!("\"{}\"", t.trim_matches('"'))
    }
}

/// Compact `<CompleteMultipartUpload>` body (no whitespace between tags: some deployments
/// cap this body at 1 MB). `parts` must already be in ascending part-number order.
pub fn complete_body(parts: &[(u32, String)]) -> String {
    let mut s = String::with_capacity(32 + parts.len() * 85);
    s.push_str("<CompleteMultipartUpload>");
    for (n, etag) in parts {
        s.push_str("<Part><PartNumber>");
        s.push_str(&n.to_string());
        s.push_str("</PartNumber><ETag>");
        s.push_str(&escape(&quote_etag(etag)));
        s.push_str("</ETag></Part>");
    }
    s.push_str("</CompleteMultipartUpload>");
    s
}

/// `<CreateBucketConfiguration>` for PUT Bucket, only when a zone or architecture is
/// requested (`None` means: send no body).
pub fn create_bucket_body(az: Option<&str>, arch: Option<&str>) -> Option<String> {
    if az.is_none() && arch.is_none() {
        return None;
    }
    let mut s = String::from("<CreateBucketConfiguration>");
    if let Some(a) = az {
        s.push_str("<BucketAZConfig>");
        s.push_str(&escape(a));
        s.push_str("</BucketAZConfig>");
    }
    if let Some(a) = arch {
        s.push_str("<BucketArchConfig>");
        s.push_str(&escape(a));
        s.push_str("</BucketArchConfig>");
    }
    s.push_str("</CreateBucketConfiguration>");
    Some(s)
}

// ----------------------------------------------------------------------------------------
// Parsing helpers.

fn protocol(what: &str, why: impl std::fmt::Display) -> Error {
    Error::Protocol(format!("{what}: {why}"))
}

fn text_of(body: &[u8]) -> Result<&str> {
    let s = std::str::from_utf8(body)
        .map_err(|e| protocol("response body", format!("not UTF-8 ({e})")))?;
    Ok(s.trim_start_matches('\u{feff}').trim_start())
}

fn parse_doc<'a>(text: &'a str, what: &str) -> Result<Document<'a>> {
    if text.is_empty() {
        return Err(protocol(what, "the response body is empty"));
    }
    Document::parse(text).map_err(|e| protocol(what, format!("malformed XML ({e})")))
}

fn is(node: &Node<'_, '_>, name: &str) -> bool {
    node.is_element() && node.tag_name().name().eq_ignore_ascii_case(name)
}

fn child<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    node.children().find(|c| is(c, name))
}

fn children<'a, 'i: 'a>(
    node: Node<'a, 'i>,
    name: &'a str,
) -> impl Iterator<Item = Node<'a, 'i>> + 'a {
    node.children().filter(move |c| is(c, name))
}

/// Concatenated text of an element (untrimmed: keys may start or end with spaces).
fn text(node: Node<'_, '_>) -> String {
    let mut s = String::new();
    for d in node.descendants().filter(|d| d.is_text()) {
        s.push_str(d.text().unwrap_or(""));
    }
    s
}

fn child_text(node: Node<'_, '_>, name: &str) -> String {
    child(node, name).map(text).unwrap_or_default()
}

fn opt_child_text(node: Node<'_, '_>, name: &str) -> Option<String> {
    child(node, name).map(text).filter(|s| !s.is_empty())
}

fn bool_child(node: Node<'_, '_>, name: &str, what: &str) -> Result<bool> {
    match child_text(node, name).trim() {
        "" => Ok(false),
        t if t.eq_ignore_ascii_case("true") => Ok(true),
        t if t.eq_ignore_ascii_case("false") => Ok(false),
        t => Err(protocol(what, format!("<{name}> is {t:?}, not true/false"))),
    }
}

fn num_child<T: std::str::FromStr>(node: Node<'_, '_>, name: &str, what: &str) -> Result<T> {
    let t = child_text(node, name);
    t.trim()
        .parse()
        .map_err(|_| protocol(what, format!("<{name}> is {t:?}, not a number")))
}

/// The root element, checked against the expected name. An `<Error>` root is returned as
/// the service error it describes (`status` is the HTTP status it came with).
fn root<'a, 'i>(doc: &'a Document<'i>, expected: &str, status: u16) -> Result<Node<'a, 'i>> {
    let r = doc.root_element();
    if is(&r, "Error") && !expected.eq_ignore_ascii_case("Error") {
        return Err(Error::from(error_from_node(r, status)));
    }
    if !is(&r, expected) {
        return Err(protocol(
            expected,
            format!("expected <{expected}>, got <{}>", r.tag_name().name()),
        ));
    }
    Ok(r)
}

fn error_from_node(r: Node<'_, '_>, status: u16) -> ServiceError {
    ServiceError {
        http_status: status,
        code: child_text(r, "Code").trim().to_string(),
        message: child_text(r, "Message").trim().to_string(),
        resource: child_text(r, "Resource").trim().to_string(),
        request_id: child_text(r, "RequestId").trim().to_string(),
        trace_id: child_text(r, "TraceId").trim().to_string(),
    }
}

// ----------------------------------------------------------------------------------------
// Response documents.

/// Parse a COS `<Error>` document. `None` when the body is not one (empty, not XML, other
/// root): the caller then derives the error from the status and headers.
pub fn parse_error(body: &[u8], status: u16) -> Option<ServiceError> {
    let text = text_of(body).ok()?;
    let doc = Document::parse(text).ok()?;
    let r = doc.root_element();
    is(&r, "Error").then(|| error_from_node(r, status))
}

/// A COS `<Error>` inside a 2xx body (copy and complete can answer so), as an error.
pub fn error_in_success(body: &[u8], status: u16) -> Option<Error> {
    parse_error(body, status).map(Error::from)
}

fn decoder(root: Node<'_, '_>, what: &'static str) -> impl Fn(String) -> Result<String> {
    let url = child_text(root, "EncodingType")
        .trim()
        .eq_ignore_ascii_case("url")
        || child_text(root, "Encoding-Type")
            .trim()
            .eq_ignore_ascii_case("url");
    move |s: String| {
        if url {
            percent_decode(&s)
                .ok_or_else(|| protocol(what, format!("{s:?} is not valid URL encoding")))
        } else {
            Ok(s)
        }
    }
}

/// `ListBucketResult` (GET Bucket). URL-encoded fields are decoded when
/// `EncodingType` is `url`.
pub fn parse_list_objects(body: &[u8]) -> Result<ListObjectsPage> {
    const W: &str = "ListBucketResult";
    let doc = parse_doc(text_of(body)?, W)?;
    let r = root(&doc, W, 200)?;
    let dec = decoder(r, W);
    let mut page = ListObjectsPage {
        is_truncated: bool_child(r, "IsTruncated", W)?,
        ..Default::default()
    };
    for c in children(r, "Contents") {
        let size_text = child_text(c, "Size");
        page.objects.push(ObjectSummary {
            key: dec(child_text(c, "Key"))?,
            size: size_text
                .trim()
                .parse()
                .map_err(|_| protocol(W, format!("<Size> is {size_text:?}, not a number")))?,
            etag: child_text(c, "ETag"),
            last_modified: child_text(c, "LastModified"),
            storage_class: child_text(c, "StorageClass"),
        });
    }
    for p in children(r, "CommonPrefixes") {
        for q in children(p, "Prefix") {
            page.common_prefixes.push(dec(text(q))?);
        }
    }
    if page.is_truncated {
        page.next_marker = dec(child_text(r, "NextMarker"))?;
        if page.next_marker.is_empty() {
            // S3 rule: continue after the greatest key or prefix of this page.
            let last_key = page.objects.last().map(|o| o.key.as_str()).unwrap_or("");
            let last_prefix = page
                .common_prefixes
                .last()
                .map(|s| s.as_str())
                .unwrap_or("");
            page.next_marker = last_key.max(last_prefix).to_string();
        }
        if page.next_marker.is_empty() {
            return Err(protocol(
                W,
                "the page is truncated but has no NextMarker, key or prefix to continue from",
            ));
        }
    }
    Ok(page)
}

/// `ListAllMyBucketsResult` (GET Service).
pub fn parse_list_buckets(body: &[u8]) -> Result<ListBucketsPage> {
    const W: &str = "ListAllMyBucketsResult";
    let doc = parse_doc(text_of(body)?, W)?;
    let r = root(&doc, W, 200)?;
    let mut page = ListBucketsPage {
        is_truncated: bool_child(r, "IsTruncated", W)?,
        next_marker: child_text(r, "NextMarker"),
        ..Default::default()
    };
    if let Some(bs) = child(r, "Buckets") {
        for b in children(bs, "Bucket") {
            page.buckets.push(BucketSummary {
                name: child_text(b, "Name"),
                region: child_text(b, "Location"),
                creation_date: child_text(b, "CreationDate"),
            });
        }
    }
    Ok(page)
}

/// `InitiateMultipartUploadResult`: the UploadId.
pub fn parse_initiate(body: &[u8]) -> Result<String> {
    const W: &str = "InitiateMultipartUploadResult";
    let doc = parse_doc(text_of(body)?, W)?;
    let r = root(&doc, W, 200)?;
    let id = child_text(r, "UploadId").trim().to_string();
    if id.is_empty() {
        return Err(protocol(W, "no <UploadId>"));
    }
    Ok(id)
}

/// `CompleteMultipartUploadResult`. An `<Error>` (COS may send one inside a 200 after
/// streaming whitespace) becomes [`Error::Service`] with `status`; a result without an
/// ETag is a failure too.
pub fn parse_complete(body: &[u8], status: u16) -> Result<CompleteResult> {
    const W: &str = "CompleteMultipartUploadResult";
    let doc = parse_doc(text_of(body)?, W)?;
    let r = root(&doc, W, status)?;
    let res = CompleteResult {
        location: child_text(r, "Location"),
        bucket: child_text(r, "Bucket"),
        key: child_text(r, "Key"),
        etag: child_text(r, "ETag"),
    };
    if res.etag.trim().is_empty() {
        return Err(protocol(W, "no <ETag>: the upload was not completed"));
    }
    Ok(res)
}

/// `CopyObjectResult` or `CopyPartResult`. `<Error>` in a 200 → [`Error::Service`];
/// no ETag → [`Error::Protocol`].
pub fn parse_copy_result(body: &[u8], status: u16) -> Result<CopyResult> {
    let doc = parse_doc(text_of(body)?, "CopyObjectResult")?;
    let r = doc.root_element();
    let r = if is(&r, "CopyPartResult") {
        r
    } else {
        root(&doc, "CopyObjectResult", status)?
    };
    let what = "copy result";
    let crc = child_text(r, "CRC64");
    let res = CopyResult {
        etag: child_text(r, "ETag"),
        last_modified: child_text(r, "LastModified"),
        crc64: match crc.trim() {
            "" => None,
            t => Some(
                crate::crc64::parse_header(t)
                    .ok_or_else(|| protocol(what, format!("<CRC64> is {t:?}, not a number")))?,
            ),
        },
        version_id: opt_child_text(r, "VersionId"),
    };
    if res.etag.trim().is_empty() {
        return Err(protocol(what, "no <ETag>: the copy did not complete"));
    }
    Ok(res)
}

/// `DeleteResult` of Delete Multiple Objects.
pub fn parse_delete_result(body: &[u8]) -> Result<DeleteObjectsOutput> {
    const W: &str = "DeleteResult";
    let text = text_of(body)?;
    let doc = parse_doc(text, W)?;
    let r = root(&doc, W, 200)?;
    let mut out = DeleteObjectsOutput::default();
    for d in children(r, "Deleted") {
        out.deleted.push(child_text(d, "Key"));
    }
    for e in children(r, "Error") {
        out.errors.push(DeleteError {
            key: child_text(e, "Key"),
            code: child_text(e, "Code"),
            message: child_text(e, "Message"),
        });
    }
    Ok(out)
}

/// `ListPartsResult` (List Parts).
pub fn parse_list_parts(body: &[u8]) -> Result<ListPartsPage> {
    const W: &str = "ListPartsResult";
    let doc = parse_doc(text_of(body)?, W)?;
    let r = root(&doc, W, 200)?;
    let mut page = ListPartsPage {
        is_truncated: bool_child(r, "IsTruncated", W)?,
        next_part_number_marker: child_text(r, "NextPartNumberMarker").trim().to_string(),
        ..Default::default()
    };
    for p in children(r, "Part") {
        page.parts.push(PartInfo {
            part_number: num_child(p, "PartNumber", W)?,
            etag: child_text(p, "ETag"),
            size: num_child(p, "Size", W)?,
            last_modified: child_text(p, "LastModified"),
        });
    }
    if page.is_truncated && page.next_part_number_marker.is_empty() {
        page.next_part_number_marker = page
            .parts
            .last()
            .map(|p| p.part_number.to_string())
            .ok_or_else(|| protocol(W, "truncated page without NextPartNumberMarker or parts"))?;
    }
    Ok(page)
}

/// `ListMultipartUploadsResult` (List Multipart Uploads).
pub fn parse_list_uploads(body: &[u8]) -> Result<ListUploadsPage> {
    const W: &str = "ListMultipartUploadsResult";
    let doc = parse_doc(text_of(body)?, W)?;
    let r = root(&doc, W, 200)?;
    let dec = decoder(r, W);
    let mut page = ListUploadsPage {
        is_truncated: bool_child(r, "IsTruncated", W)?,
        next_key_marker: dec(child_text(r, "NextKeyMarker"))?,
        next_upload_id_marker: dec(child_text(r, "NextUploadIdMarker"))?,
        ..Default::default()
    };
    for u in children(r, "Upload") {
        page.uploads.push(UploadInfo {
            key: dec(child_text(u, "Key"))?,
            upload_id: dec(child_text(u, "UploadId"))?,
            storage_class: child_text(u, "StorageClass"),
            initiated: child_text(u, "Initiated"),
        });
    }
    for p in children(r, "CommonPrefixes") {
        for q in children(p, "Prefix") {
            page.common_prefixes.push(dec(text(q))?);
        }
    }
    if page.is_truncated && page.next_key_marker.is_empty() {
        let last = page
            .uploads
            .last()
            .ok_or_else(|| protocol(W, "truncated page without NextKeyMarker or uploads"))?;
        page.next_key_marker = last.key.clone();
        page.next_upload_id_marker = last.upload_id.clone();
    }
    Ok(page)
}

// ----------------------------------------------------------------------------------------
// Object tagging and ACL (§6.18).

/// One grant of an object's ACL, as GET Object ACL lists it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grant {
    /// `xsi:type` of the grantee: `CanonicalUser` (an account, with an `id`) or `Group`
    /// (with a `uri`, e.g. `http://cam.qcloud.com/groups/global/AllUsers`).
    pub grantee_type: String,
    /// The grantee's `<ID>`, e.g. `qcs::cam::uin/100000000001:uin/100000000001`.
    pub id: Option<String>,
    /// The grantee's `<URI>` (groups).
    pub uri: Option<String>,
    /// `READ`, `WRITE`, `FULL_CONTROL`, `READ_ACP` or `WRITE_ACP`.
    pub permission: String,
}

/// The answer of GET Object ACL.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccessControlPolicy {
    /// `<Owner><ID>`.
    pub owner_id: String,
    /// `<Owner><DisplayName>` (may be empty).
    pub owner_display_name: String,
    /// The grants, in the order COS lists them.
    pub grants: Vec<Grant>,
    /// The `x-cos-acl` response header (`default`, `private`, `public-read`), when sent.
    pub canned: Option<String>,
}

/// `<Tagging>` body of PUT Object tagging. The caller has validated the tags.
pub fn tagging_body(tags: &[(String, String)]) -> String {
    let mut s = String::with_capacity(32 + tags.len() * 48);
    s.push_str("<Tagging><TagSet>");
    for (k, v) in tags {
        s.push_str("<Tag><Key>");
        s.push_str(&escape(k));
        s.push_str("</Key><Value>");
        s.push_str(&escape(v));
        s.push_str("</Value></Tag>");
    }
    s.push_str("</TagSet></Tagging>");
    s
}

/// `<AccessControlPolicy>` body of PUT Object ACL. The caller has validated the policy;
/// `canned` is not part of the document.
pub fn access_control_policy_body(p: &AccessControlPolicy) -> String {
    const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";
    let mut s = String::with_capacity(160 + p.grants.len() * 200);
    s.push_str("<AccessControlPolicy><Owner><ID>");
    s.push_str(&escape(&p.owner_id));
    s.push_str("</ID>");
    if !p.owner_display_name.is_empty() {
        s.push_str("<DisplayName>");
        s.push_str(&escape(&p.owner_display_name));
        s.push_str("</DisplayName>");
    }
    s.push_str("</Owner><AccessControlList>");
    for g in &p.grants {
        s.push_str("<Grant><Grantee xmlns:xsi=\"");
        s.push_str(XSI);
        s.push_str("\" xsi:type=\"");
        s.push_str(&escape(&g.grantee_type));
        s.push_str("\">");
        if let Some(id) = &g.id {
            s.push_str("<ID>");
            s.push_str(&escape(id));
            s.push_str("</ID>");
        }
        if let Some(uri) = &g.uri {
            s.push_str("<URI>");
            s.push_str(&escape(uri));
            s.push_str("</URI>");
        }
        s.push_str("</Grantee><Permission>");
        s.push_str(&escape(&g.permission));
        s.push_str("</Permission></Grant>");
    }
    s.push_str("</AccessControlList></AccessControlPolicy>");
    s
}

/// `Tagging` (GET Object tagging): the `(key, value)` pairs in document order.
pub fn parse_tagging(body: &[u8]) -> Result<Vec<(String, String)>> {
    const W: &str = "Tagging";
    let doc = parse_doc(text_of(body)?, W)?;
    let r = root(&doc, W, 200)?;
    let mut out = Vec::new();
    for set in children(r, "TagSet") {
        for t in children(set, "Tag") {
            if child(t, "Key").is_none() {
                return Err(protocol(W, "a <Tag> without <Key>"));
            }
            out.push((child_text(t, "Key"), child_text(t, "Value")));
        }
    }
    Ok(out)
}

/// `AccessControlPolicy` (GET Object ACL). `canned` is left `None` (it is a header).
pub fn parse_access_control_policy(body: &[u8]) -> Result<AccessControlPolicy> {
    const W: &str = "AccessControlPolicy";
    let doc = parse_doc(text_of(body)?, W)?;
    let r = root(&doc, W, 200)?;
    let owner = child(r, "Owner").ok_or_else(|| protocol(W, "no <Owner>"))?;
    let mut out = AccessControlPolicy {
        owner_id: child_text(owner, "ID").trim().to_string(),
        owner_display_name: child_text(owner, "DisplayName").trim().to_string(),
        ..Default::default()
    };
    for list in children(r, "AccessControlList") {
        for g in children(list, "Grant") {
            let grantee =
                child(g, "Grantee").ok_or_else(|| protocol(W, "a <Grant> without <Grantee>"))?;
            // `xsi:type`, matched by local name whatever the prefix or namespace.
            let grantee_type = grantee
                .attributes()
                .find(|a| a.name() == "type")
                .map(|a| a.value().to_string())
                .unwrap_or_default();
            let id = opt_child_text(grantee, "ID").map(|s| s.trim().to_string());
            let uri = opt_child_text(grantee, "URI").map(|s| s.trim().to_string());
            if id.is_none() && uri.is_none() {
                return Err(protocol(W, "a <Grantee> with neither <ID> nor <URI>"));
            }
            out.grants.push(Grant {
                grantee_type,
                id,
                uri,
                permission: child_text(g, "Permission").trim().to_string(),
            });
        }
    }
    Ok(out)
}

// ----------------------------------------------------------------------------------------
// Bucket CORS (§6.19).

/// One `<CORSRule>` of a bucket's CORS configuration (PUT/GET Bucket CORS).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CorsRule {
    /// `<ID>`: a name for the rule (at most 255 characters); `None` sends none.
    pub id: Option<String>,
    /// `<AllowedOrigin>`s, e.g. `https://*.example.com` (one `*` allowed); at least one.
    pub allowed_origins: Vec<String>,
    /// `<AllowedMethod>`s: `GET`, `PUT`, `POST`, `DELETE`, `HEAD`; at least one.
    pub allowed_methods: Vec<String>,
    /// `<AllowedHeader>`s a preflight may ask for (`*` for any).
    pub allowed_headers: Vec<String>,
    /// `<ExposeHeader>`s a browser may read, e.g. `ETag`, `x-cos-request-id`.
    pub expose_headers: Vec<String>,
    /// `<MaxAgeSeconds>`: how long a browser may cache a preflight's answer.
    pub max_age_seconds: Option<u64>,
}

/// `<CORSConfiguration>` body of PUT Bucket CORS. The caller has validated the rules.
pub fn cors_body(rules: &[CorsRule]) -> String {
    let mut s = String::from("<CORSConfiguration>");
    let el = |s: &mut String, tag: &str, v: &str| {
        s.push('<');
        s.push_str(tag);
        s.push('>');
        s.push_str(&escape(v));
        s.push_str("</");
        s.push_str(tag);
        s.push('>');
    };
    for r in rules {
        s.push_str("<CORSRule>");
        if let Some(id) = &r.id {
            el(&mut s, "ID", id);
        }
        for (tag, list) in [
            ("AllowedOrigin", &r.allowed_origins),
            ("AllowedMethod", &r.allowed_methods),
            ("AllowedHeader", &r.allowed_headers),
            ("ExposeHeader", &r.expose_headers),
        ] {
            for v in list {
                el(&mut s, tag, v);
            }
        }
        if let Some(a) = r.max_age_seconds {
            el(&mut s, "MaxAgeSeconds", &a.to_string());
        }
        s.push_str("</CORSRule>");
    }
    s.push_str("</CORSConfiguration>");
    s
}

/// `CORSConfiguration` (GET Bucket CORS): the rules in document order (values trimmed).
pub fn parse_cors(body: &[u8]) -> Result<Vec<CorsRule>> {
    const W: &str = "CORSConfiguration";
    let doc = parse_doc(text_of(body)?, W)?;
    let r = root(&doc, W, 200)?;
    let list = |n: Node<'_, '_>, name: &str| -> Vec<String> {
        children(n, name)
            .map(|c| text(c).trim().to_string())
            .filter(|v| !v.is_empty())
            .collect()
    };
    let mut out = Vec::new();
    for rule in children(r, "CORSRule") {
        let max_age_seconds = match opt_child_text(rule, "MaxAgeSeconds") {
            None => None,
            Some(v) => Some(v.trim().parse::<u64>().map_err(|_| {
                protocol(
                    W,
                    format!("MaxAgeSeconds {v:?} is not a non-negative integer"),
                )
            })?),
        };
        out.push(CorsRule {
            id: opt_child_text(rule, "ID").map(|s| s.trim().to_string()),
            allowed_origins: list(rule, "AllowedOrigin"),
            allowed_methods: list(rule, "AllowedMethod"),
            allowed_headers: list(rule, "AllowedHeader"),
            expose_headers: list(rule, "ExposeHeader"),
            max_age_seconds,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Status;

    #[test]
    fn escaping_and_bodies() {
        assert_eq!(escape("a&b<c>\"d'\r"), "a&amp;b&lt;c&gt;&quot;d&apos;&#13;");
        let b = delete_body(&[("a&b.txt", None), ("c", Some("v1"))], true);
        assert_eq!(
            b,
            "<Delete><Quiet>true</Quiet><Object><Key>a&amp;b.txt</Key></Object>\
             <Object><Key>c</Key><VersionId>v1</VersionId></Object></Delete>"
        );
        // The body round-trips through a real parser.
        let doc = Document::parse(&b).unwrap();
        let keys: Vec<String> = doc
            .descendants()
            .filter(|n| n.has_tag_name("Key"))
            .map(text)
            .collect();
        assert_eq!(keys, ["a&b.txt", "c"]);
        let c = complete_body(&[(1, "abc".into()), (2, "\"def\"".into())]);
        assert_eq!(
            c,
            "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&quot;abc&quot;</ETag></Part>\
             <Part><PartNumber>2</PartNumber><ETag>&quot;def&quot;</ETag></Part></CompleteMultipartUpload>"
        );
        assert!(!c.contains(' ') && !c.contains('\n'));
        assert_eq!(quote_etag("\"x\""), "\"x\"");
        assert_eq!(quote_etag("x\""), "\"x\"");
        assert_eq!(create_bucket_body(None, None), None);
        assert_eq!(
            create_bucket_body(Some("MAZ"), None).unwrap(),
            "<CreateBucketConfiguration><BucketAZConfig>MAZ</BucketAZConfig></CreateBucketConfiguration>"
        );
    }

    #[test]
    fn error_documents() {
        let doc = br#"<?xml version='1.0' encoding='utf-8' ?>
<Error>
  <Code>NoSuchKey</Code>
  <Message>The specified key does not exist.</Message>
  <Resource>examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com/x.txt</Resource>
  <RequestId>NjA2NmQ0ZDNfMmM4OGY3MDlfNWQ0M18x</RequestId>
  <TraceId>OGVmYzZiMmQzYjA2OWNhODk0NTRkMTBiOWVmMDAxODc0OWRkZjk0ZDM1NmI1M2E2MTRlY2MzZDhmNmI5MWI1OTQyYWVlY2QwZTk2MDVmZDQ3MmI2Y2I4ZmI5ZmM4ODFjYmRkMmZmNzk1YjUxODZhZmZlNzNhNTQzYjRiYzQ3ZTA=</TraceId>
</Error>"#;
        let e = parse_error(doc, 404).unwrap();
        assert_eq!(e.code, "NoSuchKey");
        assert_eq!(e.http_status, 404);
        assert_eq!(e.request_id, "NjA2NmQ0ZDNfMmM4OGY3MDlfNWQ0M18x");
        assert!(e.trace_id.starts_with("OGVm"));
        assert!(e.resource.ends_with("/x.txt"));
        // Namespaced, lowercase element names, missing TraceId.
        let ns = br#"<error xmlns="http://www.qcloud.com/document/product/436/7751"><code>SlowDown</code><message>Please reduce</message></error>"#;
        let e = parse_error(ns, 503).unwrap();
        assert_eq!((e.code.as_str(), e.trace_id.as_str()), ("SlowDown", ""));
        for junk in [
            &b""[..],
            b"<html>oops</html>",
            b"<Error><Code>",
            b"\xff\xfe",
            b"{\"code\":1}",
        ] {
            assert!(parse_error(junk, 500).is_none(), "{junk:?}");
        }
    }

    #[test]
    fn list_objects_plain_and_url_encoded() {
        let doc = br#"<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://www.qcloud.com/document/product/436/7751">
  <Name>examplebucket-1250000000</Name>
  <Prefix>dir/</Prefix><Marker></Marker><MaxKeys>2</MaxKeys><Delimiter>/</Delimiter>
  <IsTruncated>true</IsTruncated>
  <NextMarker>dir/b.txt</NextMarker>
  <Contents>
    <Key>dir/a.txt</Key><LastModified>2024-01-02T03:04:05.000Z</LastModified>
    <ETag>"d41d8cd98f00b204e9800998ecf8427e"</ETag><Size>0</Size>
    <Owner><ID>1250000000</ID><DisplayName>1250000000</DisplayName></Owner>
    <StorageClass>STANDARD</StorageClass>
  </Contents>
  <Contents><Key>dir/b.txt</Key><Size>12345678901</Size><ETag>"x-3"</ETag><StorageClass>STANDARD_IA</StorageClass></Contents>
  <CommonPrefixes><Prefix>dir/sub/</Prefix></CommonPrefixes>
</ListBucketResult>"#;
        let p = parse_list_objects(doc).unwrap();
        assert_eq!(p.objects.len(), 2);
        assert_eq!(p.objects[1].size, 12_345_678_901);
        assert_eq!(p.objects[0].etag, "\"d41d8cd98f00b204e9800998ecf8427e\"");
        assert_eq!(p.common_prefixes, ["dir/sub/"]);
        assert!(p.is_truncated);
        assert_eq!(p.next_marker, "dir/b.txt");

        let enc =
            br#"<ListBucketResult><EncodingType>url</EncodingType><IsTruncated>false</IsTruncated>
<Contents><Key>%E8%85%BE%20a%2Bb%26c</Key><Size>1</Size></Contents>
<CommonPrefixes><Prefix>p%2F%0A/</Prefix></CommonPrefixes></ListBucketResult>"#;
        let p = parse_list_objects(enc).unwrap();
        assert_eq!(p.objects[0].key, "腾 a+b&c");
        assert_eq!(p.common_prefixes, ["p/\n/"]);
        assert_eq!(p.next_marker, "");

        // Truncated without NextMarker: fall back to the greatest key or prefix.
        let t = br#"<ListBucketResult><IsTruncated>true</IsTruncated>
<Contents><Key>a</Key><Size>1</Size></Contents><CommonPrefixes><Prefix>b/</Prefix></CommonPrefixes></ListBucketResult>"#;
        assert_eq!(parse_list_objects(t).unwrap().next_marker, "b/");
        let empty_trunc = b"<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>";
        assert_eq!(
            parse_list_objects(empty_trunc).unwrap_err().status(),
            Status::Protocol
        );
    }

    #[test]
    fn malformed_documents_are_protocol_errors() {
        let cases: &[&[u8]] = &[
            b"",
            b"   ",
            b"not xml",
            b"<ListBucketResult><Contents>",
            b"<ListBucketResult><IsTruncated>maybe</IsTruncated></ListBucketResult>",
            b"<ListBucketResult><Contents><Key>k</Key><Size>-1</Size></Contents></ListBucketResult>",
            b"<ListBucketResult><EncodingType>url</EncodingType><Contents><Key>%zz</Key><Size>1</Size></Contents></ListBucketResult>",
            b"<Other/>",
            b"<!DOCTYPE x [<!ENTITY a 'b'>]><ListBucketResult>&a;</ListBucketResult>",
            b"\xff\xff",
        ];
        for c in cases {
            let e = parse_list_objects(c).unwrap_err();
            assert_eq!(
                e.status(),
                Status::Protocol,
                "{:?}: {e}",
                String::from_utf8_lossy(c)
            );
        }
        assert_eq!(
            parse_initiate(b"<InitiateMultipartUploadResult/>")
                .unwrap_err()
                .status(),
            Status::Protocol
        );
        assert_eq!(
            parse_list_parts(
                b"<ListPartsResult><Part><PartNumber>x</PartNumber></Part></ListPartsResult>"
            )
            .unwrap_err()
            .status(),
            Status::Protocol
        );
        assert_eq!(
            parse_list_buckets(b"<ListAllMyBucketsResult>")
                .unwrap_err()
                .status(),
            Status::Protocol
        );
        assert_eq!(
            parse_delete_result(b"<x/>").unwrap_err().status(),
            Status::Protocol
        );
        assert_eq!(parse_list_uploads(b"<ListMultipartUploadsResult><IsTruncated>true</IsTruncated></ListMultipartUploadsResult>").unwrap_err().status(), Status::Protocol);
    }

    #[test]
    fn list_buckets() {
        let doc = br#"<?xml version="1.0" encoding="UTF-8"?>
<ListAllMyBucketsResult>
  <Owner><ID>qcs::cam::uin/100000000001:uin/100000000001</ID><DisplayName>100000000001</DisplayName></Owner>
  <Buckets>
    <Bucket><Name>examplebucket1-1250000000</Name><Location>ap-beijing</Location><CreationDate>2019-05-24T11:49:50Z</CreationDate><BucketType>cos</BucketType></Bucket>
    <Bucket><Name>examplebucket2-1250000000</Name><Location>ap-guangzhou</Location><CreationDate>2019-05-24T11:49:51Z</CreationDate></Bucket>
  </Buckets>
</ListAllMyBucketsResult>"#;
        let p = parse_list_buckets(doc).unwrap();
        assert_eq!(p.buckets.len(), 2);
        assert_eq!(p.buckets[1].region, "ap-guangzhou");
        assert!(!p.is_truncated);
        let none = b"<ListAllMyBucketsResult><Owner/><Buckets/></ListAllMyBucketsResult>";
        assert!(parse_list_buckets(none).unwrap().buckets.is_empty());
    }

    #[test]
    fn initiate_and_complete() {
        let doc = br#"<InitiateMultipartUploadResult xmlns="http://www.qcloud.com/document/product/436/7751"><Bucket>b-1</Bucket><Key>k</Key><UploadId>1585130821cbb7df1d11846c073ad648e8f33b087cec2381df437acdc833cf654b9ecc6361</UploadId></InitiateMultipartUploadResult>"#;
        assert!(parse_initiate(doc).unwrap().starts_with("1585130821"));

        let ok = b"\n    \n   <?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CompleteMultipartUploadResult><Location>b-1.cos.ap-guangzhou.myqcloud.com/k</Location><Bucket>b-1</Bucket><Key>k</Key><ETag>\"aa-2\"</ETag></CompleteMultipartUploadResult>";
        let r = parse_complete(ok, 200).unwrap();
        assert_eq!(r.etag, "\"aa-2\"");
        assert_eq!(r.key, "k");

        let err = b"          <?xml version='1.0' encoding='utf-8' ?>\n<Error><Code>InternalError</Code><Message>merge failed</Message><RequestId>req-1</RequestId></Error>";
        let e = parse_complete(err, 200).unwrap_err();
        let s = e.service().unwrap();
        assert_eq!(
            (s.http_status, s.code.as_str(), s.request_id.as_str()),
            (200, "InternalError", "req-1")
        );
        assert!(e.is_retryable());
        let no_etag =
            b"<CompleteMultipartUploadResult><Key>k</Key></CompleteMultipartUploadResult>";
        assert_eq!(
            parse_complete(no_etag, 200).unwrap_err().status(),
            Status::Protocol
        );
        assert_eq!(
            parse_complete(b"    ", 200).unwrap_err().status(),
            Status::Protocol
        );
    }

    #[test]
    fn copy_results() {
        let doc = br#"<CopyObjectResult><ETag>"ee8de918d05640145b18f70f4c3aa602"</ETag><CRC64>16749565679157681890</CRC64><LastModified>2020-03-24T09:37:52Z</LastModified><VersionId>MTg0NDUx</VersionId></CopyObjectResult>"#;
        let r = parse_copy_result(doc, 200).unwrap();
        assert_eq!(r.crc64, Some(16749565679157681890));
        assert_eq!(r.version_id.as_deref(), Some("MTg0NDUx"));
        let part = br#"<CopyPartResult><ETag>"ab"</ETag><LastModified>2020-03-24T09:37:52Z</LastModified></CopyPartResult>"#;
        let r = parse_copy_result(part, 200).unwrap();
        assert_eq!((r.etag.as_str(), r.crc64), ("\"ab\"", None));
        let err = b"<Error><Code>InternalError</Code><Message>copy failed</Message></Error>";
        assert_eq!(
            parse_copy_result(err, 200).unwrap_err().status(),
            Status::Service
        );
        let bad_crc = b"<CopyObjectResult><ETag>\"a\"</ETag><CRC64>x</CRC64></CopyObjectResult>";
        assert_eq!(
            parse_copy_result(bad_crc, 200).unwrap_err().status(),
            Status::Protocol
        );
        assert_eq!(
            parse_copy_result(b"<CopyObjectResult/>", 200)
                .unwrap_err()
                .status(),
            Status::Protocol
        );
        assert!(error_in_success(err, 200).is_some());
        assert!(error_in_success(part, 200).is_none());
    }

    #[test]
    fn delete_result() {
        let doc = br#"<?xml version='1.0' encoding='utf-8' ?>
<DeleteResult>
  <Deleted><Key>example-object-1.jpg</Key></Deleted>
  <Deleted><Key>a &amp; b</Key><DeleteMarker>true</DeleteMarker><DeleteMarkerVersionId>MTg0</DeleteMarkerVersionId></Deleted>
  <Error><Key>example-object-2.jpg</Key><Code>AccessDenied</Code><Message>Access Denied</Message></Error>
</DeleteResult>"#;
        let r = parse_delete_result(doc).unwrap();
        assert_eq!(r.deleted, ["example-object-1.jpg", "a & b"]);
        assert_eq!(r.errors.len(), 1);
        assert_eq!(r.errors[0].code, "AccessDenied");
        let quiet = b"<DeleteResult/>";
        assert_eq!(
            parse_delete_result(quiet).unwrap(),
            DeleteObjectsOutput::default()
        );
    }

    #[test]
    fn list_parts_and_uploads() {
        let doc = br#"<ListPartsResult><Bucket>b-1</Bucket><Encoding-type>url</Encoding-type><Key>k</Key><UploadId>u</UploadId>
<Initiator><ID>x</ID></Initiator><StorageClass>Standard</StorageClass><PartNumberMarker>0</PartNumberMarker>
<NextPartNumberMarker>2</NextPartNumberMarker><MaxParts>2</MaxParts><IsTruncated>true</IsTruncated>
<Part><PartNumber>1</PartNumber><LastModified>2019-12-09T03:36:44.000Z</LastModified><ETag>"aa"</ETag><Size>1048576</Size></Part>
<Part><PartNumber>2</PartNumber><LastModified>2019-12-09T03:36:45.000Z</LastModified><ETag>"bb"</ETag><Size>5</Size></Part>
</ListPartsResult>"#;
        let p = parse_list_parts(doc).unwrap();
        assert_eq!(p.parts.len(), 2);
        assert_eq!(p.parts[0].size, 1_048_576);
        assert_eq!(p.next_part_number_marker, "2");
        assert!(p.is_truncated);

        let up = br#"<ListMultipartUploadsResult><Bucket>b-1</Bucket><Encoding-Type>url</Encoding-Type><KeyMarker/><UploadIdMarker/>
<NextKeyMarker>dir%2Fb</NextKeyMarker><NextUploadIdMarker>u2</NextUploadIdMarker><MaxUploads>2</MaxUploads><IsTruncated>true</IsTruncated><Prefix/><Delimiter/>
<Upload><Key>dir%2Fa%20b</Key><UploadId>u1</UploadId><StorageClass>STANDARD</StorageClass><Initiated>2019-12-09T03:36:44.000Z</Initiated></Upload>
<Upload><Key>dir/b</Key><UploadId>u2</UploadId><StorageClass>STANDARD</StorageClass><Initiated>2019-12-09T03:36:45.000Z</Initiated></Upload>
</ListMultipartUploadsResult>"#;
        let p = parse_list_uploads(up).unwrap();
        assert_eq!(p.uploads[0].key, "dir/a b");
        assert_eq!(p.next_key_marker, "dir/b");
        assert_eq!(p.next_upload_id_marker, "u2");
        let plain = b"<ListMultipartUploadsResult><IsTruncated>false</IsTruncated></ListMultipartUploadsResult>";
        assert!(parse_list_uploads(plain).unwrap().uploads.is_empty());
    }
}

#[cfg(test)]
mod tagging_acl_tests {
    use super::*;

    #[test]
    fn tagging_body_escapes_and_parses_back() {
        let tags = vec![
            ("a&b".to_string(), "<v>".to_string()),
            ("键 2".to_string(), "\"q\" 'x'".to_string()),
            ("empty".to_string(), String::new()),
        ];
        let body = tagging_body(&tags);
        assert!(
            body.contains("<Key>a&amp;b</Key><Value>&lt;v&gt;</Value>"),
            "{body}"
        );
        assert_eq!(parse_tagging(body.as_bytes()).unwrap(), tags);
        let none = b"<Tagging><TagSet/></Tagging>";
        assert!(parse_tagging(none).unwrap().is_empty());
        assert!(matches!(
            parse_tagging(b"<Tagging><TagSet><Tag><Value>v</Value></Tag></TagSet></Tagging>"),
            Err(Error::Protocol(_))
        ));
        assert!(matches!(
            parse_tagging(b"<Other/>"),
            Err(Error::Protocol(_))
        ));
    }

    #[test]
    fn access_control_policy_body_parses_back() {
        let p = AccessControlPolicy {
            owner_id: "qcs::cam::uin/1:uin/1".into(),
            owner_display_name: "a&b".into(),
            grants: vec![
                Grant {
                    grantee_type: "CanonicalUser".into(),
                    id: Some("qcs::cam::uin/2:uin/<2>".into()),
                    uri: None,
                    permission: "READ".into(),
                },
                Grant {
                    grantee_type: "Group".into(),
                    id: None,
                    uri: Some("http://cam.qcloud.com/groups/global/AllUsers".into()),
                    permission: "READ_ACP".into(),
                },
            ],
            canned: Some("private".into()),
        };
        let body = access_control_policy_body(&p);
        assert!(body.contains("xsi:type=\"Group\""), "{body}");
        assert!(!body.contains("private"), "{body}");
        let back = parse_access_control_policy(body.as_bytes()).unwrap();
        assert_eq!(back, AccessControlPolicy { canned: None, ..p });
    }

    #[test]
    fn access_control_policy_parses_users_and_groups() {
        let doc = br#"<AccessControlPolicy><Owner><ID>qcs::cam::uin/1:uin/1</ID><DisplayName>1</DisplayName></Owner>
<AccessControlList>
<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>qcs::cam::uin/1:uin/1</ID></Grantee><Permission>FULL_CONTROL</Permission></Grant>
<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group"><URI>http://cam.qcloud.com/groups/global/AllUsers</URI></Grantee><Permission>READ</Permission></Grant>
</AccessControlList></AccessControlPolicy>"#;
        let p = parse_access_control_policy(doc).unwrap();
        assert_eq!(p.owner_id, "qcs::cam::uin/1:uin/1");
        assert_eq!(p.grants.len(), 2);
        assert_eq!(p.grants[0].grantee_type, "CanonicalUser");
        assert_eq!(p.grants[0].id.as_deref(), Some("qcs::cam::uin/1:uin/1"));
        assert_eq!(p.grants[0].permission, "FULL_CONTROL");
        assert_eq!(p.grants[1].grantee_type, "Group");
        assert_eq!(
            p.grants[1].uri.as_deref(),
            Some("http://cam.qcloud.com/groups/global/AllUsers")
        );
        assert!(p.grants[1].id.is_none());
        assert!(matches!(
            parse_access_control_policy(b"<AccessControlPolicy/>"),
            Err(Error::Protocol(_))
        ));
    }
}
