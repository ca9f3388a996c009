//! The form fields of a POST Object upload (browser / mini-program direct upload,
//! cos-protocol.md §4; C `qcos_post_policy`). Pure: the time window comes in.
//!
//! The policy is a JSON document written here byte by byte (no serializer, so what is
//! hashed is exactly what is sent):
//!
//! ```text
//! {"expiration":"2019-05-16T08:45:51.000Z","conditions":[{"q-sign-algorithm":"sha1"},
//!  {"q-ak":"AKID…"},{"q-sign-time":"1557989151;1557996351"},{"bucket":"examplebucket-1250000000"},
//!  {"key":"a.png"} or ["starts-with","$key","uploads/"],["content-length-range",0,1048576],
//!  {"Content-Type":"image/png"} or ["starts-with","$Content-Type","image/"],
//!  {"success_action_status":"201"},{"x-cos-security-token":"…"},{"x-cos-meta-a":"b"}…]}
//! ```
//!
//! `expiration` is the end of the key time. `policy` = standard Base64 of those exact
//! bytes; `q-signature` = hex(HMAC-SHA1(SignKey, hex(SHA1(policy JSON)))) with
//! SignKey = hex(HMAC-SHA1(SecretKey, KeyTime)).

use std::fmt;

use base64::Engine;

use super::credentials::Credentials;
use super::presign::{SECURITY_TOKEN, effective_key_time};
use super::sign::{KeyTime, hex_hmac_sha1, hex_sha1};
use crate::encode::{validate_bucket, validate_header, validate_key};
use crate::error::{Error, Result};

/// An exact value or a prefix (`["starts-with", "$field", prefix]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Match<'a> {
    Exact(&'a str),
    Prefix(&'a str),
}

/// What a POST Object upload may do.
#[derive(Debug, Clone, Copy)]
pub struct PostPolicyInput<'a> {
    /// The bucket (`name-APPID`), an exact condition.
    pub bucket: &'a str,
    /// The object key: exact, or a prefix (the form's `key` field is then
    /// `prefix${filename}`, which COS fills with the uploaded file's name; the uploader
    /// may replace it with any key under the prefix). An empty prefix allows any key.
    pub key: Match<'a>,
    /// Smallest and largest body allowed, bytes (`content-length-range`).
    pub content_length_range: Option<(u64, u64)>,
    /// The `Content-Type` the object must be stored with. An exact value is also put in
    /// the form fields; with a prefix the uploader adds a `Content-Type` field itself.
    pub content_type: Option<Match<'a>>,
    /// `success_action_status` (200, 201 or 204): an exact condition and a form field.
    pub success_action_status: Option<u16>,
    /// More exact conditions that are also form fields: `x-cos-meta-*`, other `x-cos-*`
    /// headers (`x-cos-storage-class`, `x-cos-acl`...), `acl`, `Cache-Control`,
    /// `Content-Disposition`, `Content-Encoding`, `Expires`, `success_action_redirect`.
    pub fields: &'a [(&'a str, &'a str)],
}

impl<'a> PostPolicyInput<'a> {
    /// A policy for `bucket` and `key` with no other condition.
    pub fn new(bucket: &'a str, key: Match<'a>) -> Self {
        PostPolicyInput {
            bucket,
            key,
            content_length_range: None,
            content_type: None,
            success_action_status: None,
            fields: &[],
        }
    }
}

/// The result: the policy JSON and the form fields, in order.
#[derive(Clone, PartialEq, Eq)]
pub struct PostPolicy {
    /// The policy document (its Base64 is the `policy` field).
    pub json: String,
    /// `(name, value)` form fields, in this order: `key`, `policy`, `q-sign-algorithm`,
    /// `q-ak`, `q-key-time`, `q-signature`, then when applicable `x-cos-security-token`,
    /// `Content-Type`, `success_action_status`, and the extra fields as given. The
    /// uploader sends them all, then the `file` part last.
    pub fields: Vec<(String, String)>,
}

impl PostPolicy {
    /// The value of the form field `name` (exact name).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

impl fmt::Debug for PostPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The security token is in both the JSON and the fields: show field names only.
        f.debug_struct("PostPolicy")
            .field(
                "fields",
                &self.fields.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

/// Unix seconds as ISO 8601 UTC with milliseconds, `2019-05-16T08:45:51.000Z`. Years
/// 1970 to 9999.
pub fn iso8601_utc(secs: i64) -> Result<String> {
    if !(0..=253_402_300_799).contains(&secs) {
        return Err(Error::invalid(
            "expiration",
            format!("{secs} is outside the years 1970 to 9999"),
        ));
    }
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    // Days since 1970-01-01 to a civil date (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    Ok(format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.000Z",
        sod / 3600,
        sod % 3600 / 60,
        sod % 60
    ))
}

/// Append `s` as a JSON string literal.
fn json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || c == '\u{7f}' || c == '\u{2028}' || c == '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn exact(out: &mut Vec<String>, name: &str, value: &str) {
    let mut s = String::from("{");
    json_str(&mut s, name);
    s.push(':');
    json_str(&mut s, value);
    s.push('}');
    out.push(s);
}

fn starts_with(out: &mut Vec<String>, name: &str, prefix: &str) {
    let mut s = String::from("[\"starts-with\",");
    json_str(&mut s, &format!("${name}"));
    s.push(',');
    json_str(&mut s, prefix);
    s.push(']');
    out.push(s);
}

fn cond(out: &mut Vec<String>, name: &str, m: Match<'_>) {
    match m {
        Match::Exact(v) => exact(out, name, v),
        Match::Prefix(p) => starts_with(out, name, p),
    }
}

const RESERVED: &[&str] = &[
    "key",
    "policy",
    "file",
    "bucket",
    "content-type",
    "success_action_status",
    SECURITY_TOKEN,
    "content-length-range",
];

fn validate_extra_field(name: &str, value: &str) -> Result<()> {
    validate_header(name, value)?;
    let lower = name.to_ascii_lowercase();
    if lower.starts_with("q-") || RESERVED.contains(&lower.as_str()) {
        return Err(Error::invalid(
            "policy field",
            format!("{name:?} is set by the policy itself; use the dedicated option"),
        ));
    }
    let allowed = lower.starts_with("x-cos-")
        || matches!(
            lower.as_str(),
            "acl"
                | "cache-control"
                | "content-disposition"
                | "content-encoding"
                | "expires"
                | "success_action_redirect"
        );
    if !allowed {
        return Err(Error::invalid(
            "policy field",
            format!(
                "{name:?} cannot be a POST Object policy condition (allowed: x-cos-*, acl, \
                 Cache-Control, Content-Disposition, Content-Encoding, Expires, success_action_redirect)"
            ),
        ));
    }
    Ok(())
}

fn validate_prefix(what: &'static str, p: &str) -> Result<()> {
    if let Some(c) = p.chars().find(|c| c.is_control()) {
        return Err(Error::invalid(
            what,
            format!(
                "the prefix contains the control character U+{:04X}",
                c as u32
            ),
        ));
    }
    Ok(())
}

/// The `q-signature` of a POST Object policy: hex(HMAC-SHA1(SignKey, hex(SHA1(policy))))
/// with SignKey = hex(HMAC-SHA1(SecretKey, KeyTime)). `policy_json` is the exact policy
/// text (the Base64-decoded `policy` field). A server verifying a POST Object upload
/// recomputes this and compares.
pub fn sign_policy(secret_key: &str, key_time: KeyTime, policy_json: &[u8]) -> String {
    let sign_key = hex_hmac_sha1(secret_key.as_bytes(), key_time.to_string().as_bytes());
    hex_hmac_sha1(sign_key.as_bytes(), hex_sha1(policy_json).as_bytes())
}

/// The form fields of a POST Object upload signed with `creds` over `key_time` (clamped
/// to the expiry of temporary credentials; the policy expires at its end).
pub fn post_policy(
    creds: &Credentials,
    key_time: KeyTime,
    input: &PostPolicyInput<'_>,
) -> Result<PostPolicy> {
    creds.validate()?;
    let kt = effective_key_time(creds, key_time)?;
    validate_bucket(input.bucket)?;
    let form_key = match input.key {
        Match::Exact(k) => {
            validate_key(k)?;
            if k.contains("${filename}") {
                return Err(Error::invalid(
                    "key",
                    "a key with ${filename} is only known at upload time: use a prefix condition",
                ));
            }
            k.to_string()
        }
        Match::Prefix(p) => {
            if p.starts_with('/') || p.starts_with('\\') {
                return Err(Error::invalid(
                    "key",
                    "the key prefix must not start with '/' or '\\'",
                ));
            }
            validate_prefix("key", p)?;
            format!("{p}${{filename}}")
        }
    };
    if let Some((lo, hi)) = input.content_length_range {
        if lo > hi {
            return Err(Error::invalid(
                "content_length_range",
                format!("the minimum {lo} is larger than the maximum {hi}"),
            ));
        }
    }
    if let Some(m) = input.content_type {
        let (Match::Exact(v) | Match::Prefix(v)) = m;
        validate_header("Content-Type", v)?;
    }
    if let Some(s) = input.success_action_status {
        if !matches!(s, 200 | 201 | 204) {
            return Err(Error::invalid(
                "success_action_status",
                format!("{s} is not one of 200, 201, 204"),
            ));
        }
    }
    let mut seen: Vec<String> = Vec::new();
    for (k, v) in input.fields {
        validate_extra_field(k, v)?;
        let lower = k.to_ascii_lowercase();
        if seen.contains(&lower) {
            return Err(Error::invalid(
                "policy field",
                format!("{k:?} is given twice"),
            ));
        }
        seen.push(lower);
    }

    let key_time = kt.to_string();
    let token = creds.security_token.as_ref().map(|t| t.expose());
    let mut conds: Vec<String> = Vec::new();
    exact(&mut conds, "q-sign-algorithm", "sha1");
    exact(&mut conds, "q-ak", &creds.secret_id);
    exact(&mut conds, "q-sign-time", &key_time);
    exact(&mut conds, "bucket", input.bucket);
    cond(&mut conds, "key", input.key);
    if let Some((lo, hi)) = input.content_length_range {
        conds.push(format!("[\"content-length-range\",{lo},{hi}]"));
    }
    if let Some(m) = input.content_type {
        cond(&mut conds, "Content-Type", m);
    }
    let status = input.success_action_status.map(|s| s.to_string());
    if let Some(s) = &status {
        exact(&mut conds, "success_action_status", s);
    }
    if let Some(t) = token {
        exact(&mut conds, SECURITY_TOKEN, t);
    }
    for (k, v) in input.fields {
        exact(&mut conds, k, v);
    }
    let mut json = String::from("{\"expiration\":");
    json_str(&mut json, &iso8601_utc(kt.end)?);
    json.push_str(",\"conditions\":[");
    json.push_str(&conds.join(","));
    json.push_str("]}");

    let signature = sign_policy(creds.secret_key.expose(), kt, json.as_bytes());
    let policy = base64::engine::general_purpose::STANDARD.encode(json.as_bytes());

    let mut fields: Vec<(String, String)> = vec![
        ("key".into(), form_key),
        ("policy".into(), policy),
        ("q-sign-algorithm".into(), "sha1".into()),
        ("q-ak".into(), creds.secret_id.clone()),
        ("q-key-time".into(), key_time),
        ("q-signature".into(), signature),
    ];
    if let Some(t) = token {
        fields.push((SECURITY_TOKEN.into(), t.into()));
    }
    if let Some(Match::Exact(ct)) = input.content_type {
        fields.push(("Content-Type".into(), ct.into()));
    }
    if let Some(s) = status {
        fields.push(("success_action_status".into(), s));
    }
    for (k, v) in input.fields {
        fields.push((k.to_string(), v.to_string()));
    }
    Ok(PostPolicy { json, fields })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "AKIDQjz3ltompVjBni5LitkWHFlFpwkn9U5q";
    const KEY: &str = "BQYIM75p8x0iWVFSIgqEKwFprpRSVHlz";
    const BUCKET: &str = "examplebucket-1250000000";
    const KT: KeyTime = KeyTime {
        start: 1557989151,
        end: 1557996351,
    };

    fn decode(p: &PostPolicy) -> String {
        let b = base64::engine::general_purpose::STANDARD
            .decode(p.get("policy").unwrap())
            .unwrap();
        String::from_utf8(b).unwrap()
    }

    /// What COS does: decode the policy, recompute the signature from the form fields.
    fn verify(fields: &[(String, String)], secret: &str) -> bool {
        let get = |n: &str| fields.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
        let json = base64::engine::general_purpose::STANDARD
            .decode(get("policy").unwrap())
            .unwrap();
        let kt = get("q-key-time").unwrap();
        let sk = hex_hmac_sha1(secret.as_bytes(), kt.as_bytes());
        hex_hmac_sha1(sk.as_bytes(), hex_sha1(&json).as_bytes()) == get("q-signature").unwrap()
    }

    /// The worked example of the POST Object page ("Signature protection use case"):
    /// its policy text (pretty-printed, as Base64 in the page), KeyTime and Signature.
    #[test]
    fn documented_worked_example() {
        let policy_b64 = "ewogICAgImV4cGlyYXRpb24iOiAiMjAxOS0wOC0zMFQwOTozODoxMi40MTRaIiwKICAgICJjb25kaXRpb25zIjogWwogICAgICAgIHsgImFjbCI6ICJkZWZhdWx0IiB9LAogICAgICAgIHsgImJ1Y2tldCI6ICJleGFtcGxlYnVja2V0LTEyNTAwMDAwMDAiIH0sCiAgICAgICAgWyAic3RhcnRzLXdpdGgiLCAiJGtleSIsICJmb2xkZXIvc3ViZm9sZGVyLyIgXSwKICAgICAgICBbICJzdGFydHMtd2l0aCIsICIkQ29udGVudC1UeXBlIiwgImltYWdlLyIgXSwKICAgICAgICBbICJzdGFydHMtd2l0aCIsICIkc3VjY2Vzc19hY3Rpb25fcmVkaXJlY3QiLCAiaHR0cHM6Ly9teS53ZWJzaXRlLyIgXSwKICAgICAgICBbICJlcSIsICIkeC1jb3Mtc2VydmVyLXNpZGUtZW5jcnlwdGlvbiIsICJBRVMyNTYiIF0sCiAgICAgICAgeyAicS1zaWduLWFsZ29yaXRobSI6ICJzaGExIiB9LAogICAgICAgIHsgInEtYWsiOiAiQUtJRFFqejNsdG9tcFZqQm5pNUxpdGtXSEZsRnB3a245VTVxIiB9LAogICAgICAgIHsgInEtc2lnbi10aW1lIjogIjE1NjcxNTA2OTI7MTU2NzE1Nzg5MiIgfQogICAgXQp9";
        let json = base64::engine::general_purpose::STANDARD
            .decode(policy_b64)
            .unwrap();
        assert!(json.starts_with(b"{\n    \"expiration\": \"2019-08-30T09:38:12.414Z\""));
        let kt = KeyTime {
            start: 1567150692,
            end: 1567157892,
        };
        assert_eq!(
            hex_hmac_sha1(KEY.as_bytes(), b"1567150692;1567157892"),
            "39acc8c9f34ba5b19bce4e965b370cd3f62d2fba"
        );
        assert_eq!(hex_sha1(&json), "d5d903b8360468bc81c1311f134989bc8c8b5b89");
        assert_eq!(
            sign_policy(KEY, kt, &json),
            "7758dc9a832e9d301dca704cacbf9d9f8172fdef"
        );
        assert_eq!(
            base64::engine::general_purpose::STANDARD.encode(&json),
            policy_b64
        );
    }

    #[test]
    fn iso8601() {
        assert_eq!(iso8601_utc(0).unwrap(), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            iso8601_utc(951_782_400).unwrap(),
            "2000-02-29T00:00:00.000Z"
        );
        assert_eq!(
            iso8601_utc(1_567_157_892).unwrap(),
            "2019-08-30T09:38:12.000Z"
        );
        assert_eq!(
            iso8601_utc(1_557_996_351).unwrap(),
            "2019-05-16T08:45:51.000Z"
        );
        assert_eq!(
            iso8601_utc(4_102_444_799).unwrap(),
            "2099-12-31T23:59:59.000Z"
        );
        assert_eq!(
            iso8601_utc(253_402_300_799).unwrap(),
            "9999-12-31T23:59:59.000Z"
        );
        assert!(iso8601_utc(-1).is_err());
        assert!(iso8601_utc(253_402_300_800).is_err());
    }

    #[test]
    fn exact_policy_document_and_signature() {
        let creds = Credentials::new(ID, KEY);
        let input = PostPolicyInput {
            content_length_range: Some((1, 1048576)),
            content_type: Some(Match::Exact("image/png")),
            ..PostPolicyInput::new(BUCKET, Match::Exact("exampleobject(腾讯云).png"))
        };
        let p = post_policy(&creds, KT, &input).unwrap();
        assert_eq!(
            p.json,
            "{\"expiration\":\"2019-05-16T08:45:51.000Z\",\"conditions\":[{\"q-sign-algorithm\":\"sha1\"},\
             {\"q-ak\":\"AKIDQjz3ltompVjBni5LitkWHFlFpwkn9U5q\"},{\"q-sign-time\":\"1557989151;1557996351\"},\
             {\"bucket\":\"examplebucket-1250000000\"},{\"key\":\"exampleobject(腾讯云).png\"},\
             [\"content-length-range\",1,1048576],{\"Content-Type\":\"image/png\"}]}"
        );
        assert_eq!(decode(&p), p.json);
        let names: Vec<&str> = p.fields.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            names,
            [
                "key",
                "policy",
                "q-sign-algorithm",
                "q-ak",
                "q-key-time",
                "q-signature",
                "Content-Type"
            ]
        );
        assert_eq!(p.get("key"), Some("exampleobject(腾讯云).png"));
        assert_eq!(p.get("q-key-time"), Some("1557989151;1557996351"));
        // The documented steps, computed independently.
        let sk = hex_hmac_sha1(KEY.as_bytes(), b"1557989151;1557996351");
        let sig = hex_hmac_sha1(sk.as_bytes(), hex_sha1(p.json.as_bytes()).as_bytes());
        assert_eq!(p.get("q-signature"), Some(sig.as_str()));
        assert!(verify(&p.fields, KEY));
        assert!(!verify(&p.fields, "another-secret"));
    }

    #[test]
    fn prefix_token_escaping_and_extras() {
        let creds = Credentials::temporary(ID, KEY, "to\"k+en/=\\", None, KT.end + 10);
        let extra = [
            ("x-cos-meta-note", "a \"quoted\"\tvalue"),
            ("x-cos-storage-class", "STANDARD_IA"),
        ];
        let input = PostPolicyInput {
            content_type: Some(Match::Prefix("image/")),
            success_action_status: Some(201),
            fields: &extra,
            ..PostPolicyInput::new(BUCKET, Match::Prefix("uploads/2026/"))
        };
        let p = post_policy(&creds, KT, &input).unwrap();
        let j = decode(&p);
        assert_eq!(j, p.json);
        assert!(
            j.contains("[\"starts-with\",\"$key\",\"uploads/2026/\"]"),
            "{j}"
        );
        assert!(
            j.contains("[\"starts-with\",\"$Content-Type\",\"image/\"]"),
            "{j}"
        );
        assert!(j.contains("{\"success_action_status\":\"201\"}"), "{j}");
        assert!(
            j.contains("{\"x-cos-security-token\":\"to\\\"k+en/=\\\\\"}"),
            "{j}"
        );
        assert!(
            j.contains("{\"x-cos-meta-note\":\"a \\\"quoted\\\"\\tvalue\"}"),
            "{j}"
        );
        assert_eq!(p.get("key"), Some("uploads/2026/${filename}"));
        assert_eq!(p.get(SECURITY_TOKEN), Some("to\"k+en/=\\"));
        assert_eq!(p.get("Content-Type"), None);
        assert_eq!(p.get("success_action_status"), Some("201"));
        assert_eq!(p.get("x-cos-storage-class"), Some("STANDARD_IA"));
        assert!(verify(&p.fields, KEY));
        let dbg = format!("{p:?}");
        assert!(!dbg.contains("k+en") && !dbg.contains(KEY), "{dbg}");
        for (_, v) in &p.fields {
            assert!(!v.contains(KEY));
        }
        assert!(!p.json.contains(KEY));
    }

    #[test]
    fn temporary_credentials_clamp_expiration() {
        let creds = Credentials::temporary(ID, KEY, "t", None, KT.start + 3600);
        let p = post_policy(&creds, KT, &PostPolicyInput::new(BUCKET, Match::Exact("k"))).unwrap();
        assert_eq!(p.get("q-key-time"), Some("1557989151;1557992751"));
        assert!(
            p.json
                .starts_with("{\"expiration\":\"2019-05-16T07:45:51.000Z\""),
            "{}",
            p.json
        );
    }

    #[test]
    fn tampering_is_detected() {
        let creds = Credentials::new(ID, KEY);
        let p = post_policy(
            &creds,
            KT,
            &PostPolicyInput::new(BUCKET, Match::Prefix("a/")),
        )
        .unwrap();
        // A policy rewritten to allow another prefix no longer matches its signature.
        let forged = p.json.replace("\"a/\"", "\"\"");
        let mut fields = p.fields.clone();
        fields[1].1 = base64::engine::general_purpose::STANDARD.encode(forged.as_bytes());
        assert!(!verify(&fields, KEY));
        let mut fields = p.fields.clone();
        fields[4].1 = "1557989151;1999999999".into();
        assert!(!verify(&fields, KEY));
    }

    #[test]
    fn bad_inputs_say_why() {
        let creds = Credentials::new(ID, KEY);
        let cases: Vec<(PostPolicyInput<'_>, &str)> = vec![
            (
                PostPolicyInput::new("Bad_Bucket", Match::Exact("k")),
                "bucket",
            ),
            (PostPolicyInput::new(BUCKET, Match::Exact("")), "key"),
            (
                PostPolicyInput::new(BUCKET, Match::Exact("a/${filename}")),
                "prefix",
            ),
            (PostPolicyInput::new(BUCKET, Match::Prefix("/a")), "key"),
            (
                PostPolicyInput {
                    content_length_range: Some((10, 1)),
                    ..PostPolicyInput::new(BUCKET, Match::Exact("k"))
                },
                "content_length_range",
            ),
            (
                PostPolicyInput {
                    success_action_status: Some(302),
                    ..PostPolicyInput::new(BUCKET, Match::Exact("k"))
                },
                "success_action_status",
            ),
            (
                PostPolicyInput {
                    fields: &[("policy", "x")],
                    ..PostPolicyInput::new(BUCKET, Match::Exact("k"))
                },
                "policy",
            ),
            (
                PostPolicyInput {
                    fields: &[("q-ak", "x")],
                    ..PostPolicyInput::new(BUCKET, Match::Exact("k"))
                },
                "q-ak",
            ),
            (
                PostPolicyInput {
                    fields: &[("User-Agent", "x")],
                    ..PostPolicyInput::new(BUCKET, Match::Exact("k"))
                },
                "cannot",
            ),
            (
                PostPolicyInput {
                    fields: &[("x-cos-meta-a", "x\ny")],
                    ..PostPolicyInput::new(BUCKET, Match::Exact("k"))
                },
                "header",
            ),
            (
                PostPolicyInput {
                    fields: &[("x-cos-meta-a", "1"), ("X-Cos-Meta-A", "2")],
                    ..PostPolicyInput::new(BUCKET, Match::Exact("k"))
                },
                "twice",
            ),
        ];
        for (input, want) in cases {
            let e = post_policy(&creds, KT, &input).unwrap_err();
            assert!(e.to_string().contains(want), "{e} / {want}");
        }
        let e = post_policy(
            &creds,
            KeyTime { start: 5, end: 5 },
            &PostPolicyInput::new(BUCKET, Match::Exact("k")),
        )
        .unwrap_err();
        assert!(e.to_string().contains("key_time"), "{e}");
    }
}
