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
    /// Overwrite the document and every field value (the security token is in the
    /// `x-cos-security-token` field, the document and so the `policy` field) before
    /// dropping the result: for callers that copied out what they need (the C API's
    /// `qcos_post_policy` does).
    pub fn wipe(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.json);
        for (_, v) in &mut self.fields {
            zeroize::Zeroize::zeroize(v);
        }
    }

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
    // Room for the worst case (every byte escaped as \u00XX), so that a value holding
    // the security token is never reallocated into a freed block.
    let mut s = String::with_capacity((name.len() + value.len()).saturating_mul(6) + 8);
    s.push('{');
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
            // COS fills every `${filename}` of the form's key, so a prefix holding one
            // could never match its own `starts-with` condition (found by fuzzing).
            if p.contains("${filename}") {
                return Err(Error::invalid(
                    "key",
                    "the key prefix must not contain ${filename} (it is appended after the prefix)",
                ));
            }
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
    // The conditions may hold the security token: the document is written into a
    // buffer of its final size (no reallocation leaves a copy behind) and the
    // conditions are cleared once copied.
    let mut json = String::with_capacity(96 + conds.iter().map(|c| c.len() + 1).sum::<usize>());
    json.push_str("{\"expiration\":");
    json_str(&mut json, &iso8601_utc(kt.end)?);
    json.push_str(",\"conditions\":[");
    for (i, c) in conds.iter_mut().enumerate() {
        if i > 0 {
            json.push(',');
        }
        json.push_str(c);
        zeroize::Zeroize::zeroize(c);
    }
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

// ---------------------------------------------------------------------------------------
// The server side: checking a POST Object form against its policy (what COS does; used
// by qcos-server). Pure: the secrets come from a lookup, the time is an argument.

/// Largest decoded policy document accepted, bytes.
pub const MAX_POLICY_BYTES: usize = 64 * 1024;

/// Why a POST Object form is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PostPolicyError {
    /// A required form field is missing or malformed (400 `InvalidArgument`).
    MissingField(String),
    /// The policy is not Base64 of a policy document (400 `InvalidPolicyDocument`).
    BadPolicy(String),
    /// `q-ak` is not known (403 `InvalidAccessKeyId`).
    UnknownKey,
    /// Temporary key without its token, or another token (403 `InvalidAccessKeyId`).
    BadToken,
    /// The policy or the key time has expired, or the key time has not begun
    /// (403 `AccessDenied`).
    Expired,
    /// A condition does not hold (403 `AccessDenied`); the text names it.
    ConditionFailed(String),
    /// `q-signature` is not the signature of the policy (403 `SignatureDoesNotMatch`).
    SignatureMismatch,
    /// The file is larger than `content-length-range` allows (400 `EntityTooLarge`).
    TooLarge,
    /// The file is smaller than `content-length-range` allows (400 `EntityTooSmall`).
    TooSmall,
}

impl PostPolicyError {
    /// (HTTP status, COS error Code, Message) of the error document.
    pub fn describe(&self) -> (u16, &'static str, String) {
        match self {
            PostPolicyError::MissingField(m) => (400, "InvalidArgument", m.clone()),
            PostPolicyError::BadPolicy(m) => {
                (400, "InvalidPolicyDocument", format!("Invalid Policy: {m}"))
            }
            PostPolicyError::UnknownKey => (
                403,
                "InvalidAccessKeyId",
                "The q-ak of the form is not known.".into(),
            ),
            PostPolicyError::BadToken => (
                403,
                "InvalidAccessKeyId",
                "Temporary credentials need a matching x-cos-security-token form field.".into(),
            ),
            PostPolicyError::Expired => (
                403,
                "AccessDenied",
                "Invalid according to Policy: Policy expired.".into(),
            ),
            PostPolicyError::ConditionFailed(m) => (
                403,
                "AccessDenied",
                format!("Invalid according to Policy: Policy Condition failed: {m}"),
            ),
            PostPolicyError::SignatureMismatch => (
                403,
                "SignatureDoesNotMatch",
                "The calculated signature does not match the provided one.".into(),
            ),
            PostPolicyError::TooLarge => (
                400,
                "EntityTooLarge",
                "Condition key content-length-range doesn't match the value".into(),
            ),
            PostPolicyError::TooSmall => (
                400,
                "EntityTooSmall",
                "Condition key content-length-range doesn't match the value".into(),
            ),
        }
    }
}

/// A form whose policy, signature and conditions hold (but for the body's length,
/// known only once it has been read: see [`CheckedPost::check_length`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedPost {
    /// The SecretId that signed it.
    pub secret_id: String,
    /// The object key, `${filename}` replaced by the uploaded file's name.
    pub key: String,
    /// `content-length-range` of the policy.
    pub content_length_range: Option<(u64, u64)>,
    /// The policy's expiration, Unix seconds.
    pub expiration: i64,
}

impl CheckedPost {
    /// Check the body's length against `content-length-range`.
    pub fn check_length(&self, len: u64) -> std::result::Result<(), PostPolicyError> {
        match self.content_length_range {
            Some((lo, _)) if len < lo => Err(PostPolicyError::TooSmall),
            Some((_, hi)) if len > hi => Err(PostPolicyError::TooLarge),
            _ => Ok(()),
        }
    }
}

/// Parse ISO 8601 UTC `YYYY-MM-DDTHH:MM:SS[.fff]Z` into Unix seconds.
pub fn parse_iso8601_utc(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = s.get(r)?;
        if !t.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        t.parse().ok()
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let rest = &s[19..];
    let rest = match rest.strip_prefix('.') {
        Some(frac) => {
            let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return None;
            }
            &frac[digits..]
        }
        None => rest,
    };
    if rest != "Z" || !(1..=12).contains(&mo) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let mdays = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if d < 1 || d > mdays[(mo - 1) as usize] {
        return None;
    }
    // Civil date to days since 1970-01-01 (H. Hinnant's algorithm).
    let yy = if mo <= 2 { y - 1 } else { y };
    let era = yy.div_euclid(400);
    let yoe = yy - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + h * 3600 + mi * 60 + se)
}

/// A JSON value of a policy document.
#[derive(Debug, Clone, PartialEq)]
enum Json {
    Null,
    Bool(bool),
    /// Kept as written; conditions compare numbers as text or as integers.
    Num(String),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

/// A small strict JSON parser (RFC 8259) with a nesting limit.
struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    depth: usize,
}

impl Parser<'_> {
    fn parse(text: &str) -> std::result::Result<Json, String> {
        let mut p = Parser {
            s: text.as_bytes(),
            i: 0,
            depth: 0,
        };
        let v = p.value()?;
        p.ws();
        if p.i != p.s.len() {
            return Err(format!("unexpected text at byte {}", p.i));
        }
        Ok(v)
    }

    fn ws(&mut self) {
        while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        self.ws();
        if self.s.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn lit(&mut self, word: &str, v: Json) -> std::result::Result<Json, String> {
        if self.s[self.i..].starts_with(word.as_bytes()) {
            self.i += word.len();
            Ok(v)
        } else {
            Err(format!("unexpected text at byte {}", self.i))
        }
    }

    fn value(&mut self) -> std::result::Result<Json, String> {
        self.ws();
        match self.s.get(self.i) {
            None => Err("unexpected end".into()),
            Some(b'{') | Some(b'[') => {
                self.depth += 1;
                if self.depth > 32 {
                    return Err("nested too deeply".into());
                }
                let open = self.s[self.i];
                self.i += 1;
                let v = if open == b'{' {
                    self.object()?
                } else {
                    self.array()?
                };
                self.depth -= 1;
                Ok(v)
            }
            Some(b'"') => Ok(Json::Str(self.string()?)),
            Some(b't') => self.lit("true", Json::Bool(true)),
            Some(b'f') => self.lit("false", Json::Bool(false)),
            Some(b'n') => self.lit("null", Json::Null),
            Some(c) if *c == b'-' || c.is_ascii_digit() => self.number(),
            Some(_) => Err(format!("unexpected character at byte {}", self.i)),
        }
    }

    fn object(&mut self) -> std::result::Result<Json, String> {
        let mut members = Vec::new();
        if self.eat(b'}') {
            return Ok(Json::Obj(members));
        }
        loop {
            self.ws();
            if self.s.get(self.i) != Some(&b'"') {
                return Err(format!("expected a member name at byte {}", self.i));
            }
            let k = self.string()?;
            if !self.eat(b':') {
                return Err(format!("expected ':' at byte {}", self.i));
            }
            members.push((k, self.value()?));
            if self.eat(b',') {
                continue;
            }
            if self.eat(b'}') {
                return Ok(Json::Obj(members));
            }
            return Err(format!("expected ',' or '}}' at byte {}", self.i));
        }
    }

    fn array(&mut self) -> std::result::Result<Json, String> {
        let mut items = Vec::new();
        if self.eat(b']') {
            return Ok(Json::Arr(items));
        }
        loop {
            items.push(self.value()?);
            if self.eat(b',') {
                continue;
            }
            if self.eat(b']') {
                return Ok(Json::Arr(items));
            }
            return Err(format!("expected ',' or ']' at byte {}", self.i));
        }
    }

    fn number(&mut self) -> std::result::Result<Json, String> {
        let start = self.i;
        if self.s.get(self.i) == Some(&b'-') {
            self.i += 1;
        }
        let digits = |p: &mut Self| {
            let s = p.i;
            while p.i < p.s.len() && p.s[p.i].is_ascii_digit() {
                p.i += 1;
            }
            p.i - s
        };
        let int = digits(self);
        if int == 0 || (int > 1 && self.s[self.i - int] == b'0') {
            return Err(format!("bad number at byte {start}"));
        }
        if self.s.get(self.i) == Some(&b'.') {
            self.i += 1;
            if digits(self) == 0 {
                return Err(format!("bad number at byte {start}"));
            }
        }
        if matches!(self.s.get(self.i), Some(b'e') | Some(b'E')) {
            self.i += 1;
            if matches!(self.s.get(self.i), Some(b'+') | Some(b'-')) {
                self.i += 1;
            }
            if digits(self) == 0 {
                return Err(format!("bad number at byte {start}"));
            }
        }
        let text = std::str::from_utf8(&self.s[start..self.i]).map_err(|e| e.to_string())?;
        Ok(Json::Num(text.to_string()))
    }

    fn hex4(&mut self) -> std::result::Result<u32, String> {
        let h = self
            .s
            .get(self.i..self.i + 4)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .ok_or_else(|| format!("bad \\u escape at byte {}", self.i))?;
        self.i += 4;
        Ok(h)
    }

    fn string(&mut self) -> std::result::Result<String, String> {
        self.i += 1; // the opening quote
        let mut out: Vec<u8> = Vec::new();
        loop {
            let Some(&c) = self.s.get(self.i) else {
                return Err("unterminated string".into());
            };
            self.i += 1;
            match c {
                b'"' => return String::from_utf8(out).map_err(|_| "a string is not UTF-8".into()),
                b'\\' => {
                    let Some(&e) = self.s.get(self.i) else {
                        return Err("unterminated string".into());
                    };
                    self.i += 1;
                    let ch = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let hi = self.hex4()?;
                            let cp = if (0xD800..0xDC00).contains(&hi) {
                                if self.s.get(self.i..self.i + 2) != Some(b"\\u") {
                                    return Err("a lone surrogate in a \\u escape".into());
                                }
                                self.i += 2;
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return Err("a lone surrogate in a \\u escape".into());
                                }
                                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                            } else {
                                hi
                            };
                            char::from_u32(cp).ok_or("a lone surrogate in a \\u escape")?
                        }
                        _ => return Err(format!("bad escape at byte {}", self.i - 1)),
                    };
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                }
                c if c < 0x20 => return Err("a control character in a string".into()),
                c => out.push(c),
            }
        }
    }
}

/// A condition value as text: strings as they are, numbers as written.
fn cond_text(v: &Json) -> Option<&str> {
    match v {
        Json::Str(s) | Json::Num(s) => Some(s),
        _ => None,
    }
}

fn range_bound(v: &Json) -> Option<u64> {
    match v {
        Json::Num(s) => s.parse().ok(),
        Json::Str(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Check a POST Object form the way COS does: required fields, the signer's key and
/// token, the signature over the exact policy bytes, the expiration and key time, and
/// every condition of the policy against the form (`key` after `${filename}` is
/// replaced by `file_name`; `bucket` against `bucket`; `q-sign-time` against the
/// `q-key-time` field). Form field names match case-insensitively. `lookup` gives the
/// SecretKey and, for temporary keys, the token of a SecretId. The body's length is
/// checked afterwards with [`CheckedPost::check_length`].
pub fn verify_post_form(
    fields: &[(String, String)],
    bucket: &str,
    file_name: &str,
    lookup: impl Fn(&str) -> Option<(String, Option<String>)>,
    now: i64,
) -> std::result::Result<CheckedPost, PostPolicyError> {
    use PostPolicyError as E;
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    let required = |name: &str| {
        field(name).ok_or_else(|| E::MissingField(format!("The form field {name} is missing.")))
    };
    let key_field = required("key")?;
    let policy_b64 = required("policy")?;
    let alg = required("q-sign-algorithm")?;
    let ak = required("q-ak")?;
    let kt_text = required("q-key-time")?;
    let signature = required("q-signature")?;
    if alg != "sha1" {
        return Err(E::MissingField("q-sign-algorithm must be sha1.".into()));
    }
    let kt = KeyTime::parse(kt_text)
        .ok_or_else(|| E::MissingField("q-key-time must be start;end (Unix seconds).".into()))?;
    let (secret, token) = lookup(ak).ok_or(E::UnknownKey)?;
    if let Some(t) = &token {
        if field(SECURITY_TOKEN) != Some(t.as_str()) {
            return Err(E::BadToken);
        }
    }
    let json = base64::engine::general_purpose::STANDARD
        .decode(policy_b64.trim())
        .map_err(|_| E::BadPolicy("the policy field is not standard Base64".into()))?;
    if json.len() > MAX_POLICY_BYTES {
        return Err(E::BadPolicy(format!(
            "the policy is larger than {MAX_POLICY_BYTES} bytes"
        )));
    }
    let expected = sign_policy(&secret, kt, &json);
    let same = expected.len() == signature.len()
        && expected
            .bytes()
            .zip(signature.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    if !same {
        return Err(E::SignatureMismatch);
    }
    let text =
        std::str::from_utf8(&json).map_err(|_| E::BadPolicy("the policy is not UTF-8".into()))?;
    let doc = Parser::parse(text).map_err(E::BadPolicy)?;
    let Json::Obj(members) = doc else {
        return Err(E::BadPolicy("the policy is not a JSON object".into()));
    };
    let member = |n: &str| members.iter().find(|(k, _)| k == n).map(|(_, v)| v);
    let expiration = match member("expiration") {
        Some(Json::Str(s)) => parse_iso8601_utc(s)
            .ok_or_else(|| E::BadPolicy(format!("expiration {s:?} is not ISO 8601 UTC")))?,
        _ => return Err(E::BadPolicy("expiration is missing".into())),
    };
    let Some(Json::Arr(conditions)) = member("conditions") else {
        return Err(E::BadPolicy("conditions is missing or not an array".into()));
    };
    if now > expiration || now > kt.end || kt.start > now + 60 {
        return Err(E::Expired);
    }
    let key = key_field.replace("${filename}", file_name);
    // The value a condition on `name` is checked against.
    let actual = |name: &str| -> Option<String> {
        match name.to_ascii_lowercase().as_str() {
            "bucket" => Some(bucket.to_string()),
            "key" => Some(key.clone()),
            "q-sign-time" => Some(kt_text.to_string()),
            _ => field(name).map(str::to_string),
        }
    };
    let mut range = None;
    let mut mandatory = [
        ("q-sign-algorithm", false),
        ("q-ak", false),
        ("q-sign-time", false),
    ];
    for c in conditions {
        let (op, name, want) = match c {
            Json::Obj(m) if m.len() == 1 => {
                let (n, v) = &m[0];
                let v = cond_text(v).ok_or_else(|| {
                    E::BadPolicy(format!("the condition on {n:?} has no string value"))
                })?;
                ("eq", n.as_str(), v)
            }
            Json::Arr(a) if a.len() == 3 => match (&a[0], &a[1], &a[2]) {
                (Json::Str(op), lo, hi) if op.eq_ignore_ascii_case("content-length-range") => {
                    let (lo, hi) = range_bound(lo).zip(range_bound(hi)).ok_or_else(|| {
                        E::BadPolicy("content-length-range needs two non-negative integers".into())
                    })?;
                    range = Some((lo, hi));
                    continue;
                }
                (Json::Str(op), Json::Str(n), v) if n.starts_with('$') => {
                    let op = match op.to_ascii_lowercase().as_str() {
                        "eq" => "eq",
                        "starts-with" => "starts-with",
                        other => {
                            return Err(E::BadPolicy(format!("unknown condition {other:?}")));
                        }
                    };
                    let v = cond_text(v).ok_or_else(|| {
                        E::BadPolicy(format!("the condition on {n:?} has no string value"))
                    })?;
                    (op, &n[1..], v)
                }
                _ => return Err(E::BadPolicy("a condition has an unknown form".into())),
            },
            _ => return Err(E::BadPolicy("a condition has an unknown form".into())),
        };
        for (m, seen) in &mut mandatory {
            if name.eq_ignore_ascii_case(m) {
                if op != "eq" {
                    return Err(E::BadPolicy(format!("{m} must be an exact condition")));
                }
                *seen = true;
            }
        }
        let got = actual(name);
        let ok = match (op, got.as_deref()) {
            ("eq", Some(g)) => g == want,
            ("starts-with", Some(g)) => g.starts_with(want),
            _ => false,
        };
        if !ok {
            return Err(E::ConditionFailed(format!(
                "[\"{op}\", \"${name}\", {want:?}]"
            )));
        }
    }
    if let Some((m, _)) = mandatory.iter().find(|(_, seen)| !seen) {
        return Err(E::BadPolicy(format!("the policy lacks the {m} condition")));
    }
    if let Some((lo, hi)) = range {
        if lo > hi {
            return Err(E::BadPolicy("content-length-range: min > max".into()));
        }
    }
    Ok(CheckedPost {
        secret_id: ak.to_string(),
        key,
        content_length_range: range,
        expiration,
    })
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

    fn lookup(id: &str) -> Option<(String, Option<String>)> {
        match id {
            ID => Some((KEY.to_string(), None)),
            "AKIDtmp" => Some(("tmpkey".to_string(), Some("tok+en/=".to_string()))),
            _ => None,
        }
    }

    fn set(fields: &mut [(String, String)], name: &str, value: &str) {
        fields.iter_mut().find(|(k, _)| k == name).unwrap().1 = value.to_string();
    }

    #[test]
    fn verify_accepts_what_we_sign_and_enforces_conditions() {
        let creds = Credentials::new(ID, KEY);
        let input = PostPolicyInput {
            content_length_range: Some((1, 100)),
            content_type: Some(Match::Exact("image/png")),
            ..PostPolicyInput::new(BUCKET, Match::Prefix("uploads/"))
        };
        let p = post_policy(&creds, KT, &input).unwrap();
        let now = KT.start + 5;
        let ok = verify_post_form(&p.fields, BUCKET, "cat.png", lookup, now).unwrap();
        assert_eq!(ok.key, "uploads/cat.png");
        assert_eq!(ok.secret_id, ID);
        assert_eq!(ok.content_length_range, Some((1, 100)));
        assert_eq!(ok.expiration, KT.end);
        assert_eq!(ok.check_length(100), Ok(()));
        assert_eq!(ok.check_length(101), Err(PostPolicyError::TooLarge));
        assert_eq!(ok.check_length(0), Err(PostPolicyError::TooSmall));
        assert_eq!(PostPolicyError::TooLarge.describe().1, "EntityTooLarge");

        // The uploader picks another key under the prefix: fine; outside: refused.
        let mut f = p.fields.clone();
        set(&mut f, "key", "uploads/deep/x.png");
        assert_eq!(
            verify_post_form(&f, BUCKET, "a", lookup, now).unwrap().key,
            "uploads/deep/x.png"
        );
        set(&mut f, "key", "private/x.png");
        let e = verify_post_form(&f, BUCKET, "a", lookup, now).unwrap_err();
        assert!(
            matches!(&e, PostPolicyError::ConditionFailed(m) if m.contains("$key")),
            "{e:?}"
        );
        assert_eq!(e.describe().0, 403);
        // Another Content-Type, another bucket, a missing field.
        let mut f = p.fields.clone();
        set(&mut f, "Content-Type", "text/html");
        assert!(matches!(
            verify_post_form(&f, BUCKET, "a", lookup, now),
            Err(PostPolicyError::ConditionFailed(_))
        ));
        assert!(matches!(
            verify_post_form(&p.fields, "other-1250000000", "a", lookup, now),
            Err(PostPolicyError::ConditionFailed(_))
        ));
        let f: Vec<_> = p
            .fields
            .iter()
            .filter(|(k, _)| k != "Content-Type")
            .cloned()
            .collect();
        assert!(matches!(
            verify_post_form(&f, BUCKET, "a", lookup, now),
            Err(PostPolicyError::ConditionFailed(_))
        ));
        let f: Vec<_> = p
            .fields
            .iter()
            .filter(|(k, _)| k != "q-signature")
            .cloned()
            .collect();
        assert!(matches!(
            verify_post_form(&f, BUCKET, "a", lookup, now),
            Err(PostPolicyError::MissingField(_))
        ));
        // Field names are matched case-insensitively.
        let f: Vec<_> = p
            .fields
            .iter()
            .map(|(k, v)| (k.to_uppercase(), v.clone()))
            .collect();
        assert!(verify_post_form(&f, BUCKET, "a", lookup, now).is_ok());
    }

    #[test]
    fn verify_refuses_reuse_tampering_expiry_and_wrong_keys() {
        let creds = Credentials::new(ID, KEY);
        let p = post_policy(
            &creds,
            KT,
            &PostPolicyInput::new(BUCKET, Match::Exact("a.txt")),
        )
        .unwrap();
        let now = KT.start + 5;
        assert!(verify_post_form(&p.fields, BUCKET, "x", lookup, now).is_ok());
        // Reused for another key.
        let mut f = p.fields.clone();
        set(&mut f, "key", "b.txt");
        assert!(matches!(
            verify_post_form(&f, BUCKET, "x", lookup, now),
            Err(PostPolicyError::ConditionFailed(_))
        ));
        // Expired, or not yet valid.
        assert_eq!(
            verify_post_form(&p.fields, BUCKET, "x", lookup, KT.end + 1),
            Err(PostPolicyError::Expired)
        );
        assert_eq!(
            verify_post_form(&p.fields, BUCKET, "x", lookup, KT.start - 3600),
            Err(PostPolicyError::Expired)
        );
        // A policy rewritten to allow any key, re-encoded: the signature no longer holds.
        let forged = p
            .json
            .replace("{\"key\":\"a.txt\"}", "[\"starts-with\",\"$key\",\"\"]");
        let mut f = p.fields.clone();
        set(
            &mut f,
            "policy",
            &base64::engine::general_purpose::STANDARD.encode(forged),
        );
        set(&mut f, "key", "anything");
        assert_eq!(
            verify_post_form(&f, BUCKET, "x", lookup, now),
            Err(PostPolicyError::SignatureMismatch)
        );
        // A longer key time with the old signature.
        let mut f = p.fields.clone();
        set(
            &mut f,
            "q-key-time",
            &format!("{};{}", KT.start, KT.end + 86400),
        );
        assert_eq!(
            verify_post_form(&f, BUCKET, "x", lookup, now),
            Err(PostPolicyError::SignatureMismatch)
        );
        // Signed with another secret, or an unknown SecretId.
        let other = post_policy(
            &Credentials::new(ID, "wrong"),
            KT,
            &PostPolicyInput::new(BUCKET, Match::Exact("a.txt")),
        )
        .unwrap();
        assert_eq!(
            verify_post_form(&other.fields, BUCKET, "x", lookup, now),
            Err(PostPolicyError::SignatureMismatch)
        );
        let unknown = post_policy(
            &Credentials::new("AKIDnobody", KEY),
            KT,
            &PostPolicyInput::new(BUCKET, Match::Exact("a.txt")),
        )
        .unwrap();
        assert_eq!(
            verify_post_form(&unknown.fields, BUCKET, "x", lookup, now),
            Err(PostPolicyError::UnknownKey)
        );
        // Not Base64.
        let mut f = p.fields.clone();
        set(&mut f, "policy", "%%%");
        assert!(matches!(
            verify_post_form(&f, BUCKET, "x", lookup, now),
            Err(PostPolicyError::BadPolicy(_))
        ));
    }

    #[test]
    fn verify_temporary_credentials_need_their_token() {
        let creds = Credentials::temporary("AKIDtmp", "tmpkey", "tok+en/=", None, KT.end);
        let p = post_policy(&creds, KT, &PostPolicyInput::new(BUCKET, Match::Exact("a"))).unwrap();
        let now = KT.start;
        assert!(verify_post_form(&p.fields, BUCKET, "x", lookup, now).is_ok());
        let mut f = p.fields.clone();
        set(&mut f, SECURITY_TOKEN, "tok en/=");
        assert_eq!(
            verify_post_form(&f, BUCKET, "x", lookup, now),
            Err(PostPolicyError::BadToken)
        );
        let f: Vec<_> = p
            .fields
            .iter()
            .filter(|(k, _)| k != SECURITY_TOKEN)
            .cloned()
            .collect();
        assert_eq!(
            verify_post_form(&f, BUCKET, "x", lookup, now),
            Err(PostPolicyError::BadToken)
        );
    }

    /// The POST Object page's worked example, pretty-printed with `eq` arrays and
    /// prefix conditions, verified as COS would with a form that satisfies it.
    #[test]
    fn verify_documented_worked_example() {
        let policy_b64 = "ewogICAgImV4cGlyYXRpb24iOiAiMjAxOS0wOC0zMFQwOTozODoxMi40MTRaIiwKICAgICJjb25kaXRpb25zIjogWwogICAgICAgIHsgImFjbCI6ICJkZWZhdWx0IiB9LAogICAgICAgIHsgImJ1Y2tldCI6ICJleGFtcGxlYnVja2V0LTEyNTAwMDAwMDAiIH0sCiAgICAgICAgWyAic3RhcnRzLXdpdGgiLCAiJGtleSIsICJmb2xkZXIvc3ViZm9sZGVyLyIgXSwKICAgICAgICBbICJzdGFydHMtd2l0aCIsICIkQ29udGVudC1UeXBlIiwgImltYWdlLyIgXSwKICAgICAgICBbICJzdGFydHMtd2l0aCIsICIkc3VjY2Vzc19hY3Rpb25fcmVkaXJlY3QiLCAiaHR0cHM6Ly9teS53ZWJzaXRlLyIgXSwKICAgICAgICBbICJlcSIsICIkeC1jb3Mtc2VydmVyLXNpZGUtZW5jcnlwdGlvbiIsICJBRVMyNTYiIF0sCiAgICAgICAgeyAicS1zaWduLWFsZ29yaXRobSI6ICJzaGExIiB9LAogICAgICAgIHsgInEtYWsiOiAiQUtJRFFqejNsdG9tcFZqQm5pNUxpdGtXSEZsRnB3a245VTVxIiB9LAogICAgICAgIHsgInEtc2lnbi10aW1lIjogIjE1NjcxNTA2OTI7MTU2NzE1Nzg5MiIgfQogICAgXQp9";
        let fields: Vec<(String, String)> = [
            ("key", "folder/subfolder/${filename}"),
            ("acl", "default"),
            ("Content-Type", "image/jpeg"),
            ("success_action_redirect", "https://my.website/done"),
            ("x-cos-server-side-encryption", "AES256"),
            ("policy", policy_b64),
            ("q-sign-algorithm", "sha1"),
            ("q-ak", ID),
            ("q-key-time", "1567150692;1567157892"),
            ("q-signature", "7758dc9a832e9d301dca704cacbf9d9f8172fdef"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let ok = verify_post_form(&fields, BUCKET, "photo.jpg", lookup, 1567150700).unwrap();
        assert_eq!(ok.key, "folder/subfolder/photo.jpg");
        assert_eq!(ok.expiration, 1567157892);
        let mut f = fields.clone();
        set(&mut f, "x-cos-server-side-encryption", "SM4");
        assert!(
            matches!(verify_post_form(&f, BUCKET, "p", lookup, 1567150700), Err(PostPolicyError::ConditionFailed(m)) if m.contains("x-cos-server-side-encryption"))
        );
        let mut f = fields.clone();
        set(&mut f, "success_action_redirect", "https://evil.example/");
        assert!(verify_post_form(&f, BUCKET, "p", lookup, 1567150700).is_err());
        assert_eq!(
            verify_post_form(&fields, BUCKET, "p", lookup, 1567157893),
            Err(PostPolicyError::Expired)
        );
    }

    #[test]
    fn policy_json_parser_and_document_checks() {
        let kt = KT;
        let sign_fields = |json: &str| -> Vec<(String, String)> {
            [("key", "k"), ("q-sign-algorithm", "sha1"), ("q-ak", ID)]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .chain([
                    (
                        "policy".to_string(),
                        base64::engine::general_purpose::STANDARD.encode(json),
                    ),
                    ("q-key-time".to_string(), kt.to_string()),
                    (
                        "q-signature".to_string(),
                        sign_policy(KEY, kt, json.as_bytes()),
                    ),
                ])
                .collect()
        };
        let mandatory = format!(
            "{{\"q-sign-algorithm\":\"sha1\"}},{{\"q-ak\":\"{ID}\"}},{{\"q-sign-time\":\"{kt}\"}}"
        );
        let exp = iso8601_utc(kt.end).unwrap();
        let now = kt.start + 1;
        // Escapes, surrogate pairs and numbers parse; "k" is matched through \u escapes.
        let json = format!(
            "{{\"expiration\":\"{exp}\",\"conditions\":[{mandatory},{{\"\\u006bey\":\"\\u006b\"}},[\"content-length-range\",0,1e3],{{\"x-cos-meta-e\":\"\\ud83d\\ude00\\n\"}}]}}"
        );
        let mut f = sign_fields(&json);
        f.push(("x-cos-meta-e".into(), "😀\n".into()));
        let r = verify_post_form(&f, BUCKET, "x", lookup, now);
        // 1e3 is not an integer bound.
        assert!(matches!(r, Err(PostPolicyError::BadPolicy(_))), "{r:?}");
        let json = json.replace("1e3", "1000");
        let mut f = sign_fields(&json);
        f.push(("x-cos-meta-e".into(), "😀\n".into()));
        assert_eq!(
            verify_post_form(&f, BUCKET, "x", lookup, now)
                .unwrap()
                .content_length_range,
            Some((0, 1000))
        );
        // Malformed documents, each signed correctly so only the parser can refuse them.
        for bad in [
            "".to_string(),
            "[]".into(),
            format!("{{\"expiration\":\"{exp}\"}}"),
            format!("{{\"expiration\":\"tomorrow\",\"conditions\":[{mandatory}]}}"),
            format!("{{\"expiration\":\"{exp}\",\"conditions\":[{mandatory},]}}"),
            format!(
                "{{\"expiration\":\"{exp}\",\"conditions\":[{mandatory},[\"in\",\"$key\",\"k\"]]}}"
            ),
            format!(
                "{{\"expiration\":\"{exp}\",\"conditions\":[{mandatory},{{\"key\":\"\\ud800\"}}]}}"
            ),
            format!(
                "{{\"expiration\":\"{exp}\",\"conditions\":[{mandatory},{{\"key\":\"k\"}}]}} x"
            ),
            format!("{{\"expiration\":\"{exp}\",\"conditions\":[{{\"q-ak\":\"{ID}\"}}]}}"),
            format!(
                "{{\"expiration\":\"{exp}\",\"conditions\":{}{}}}",
                "[".repeat(40),
                "]".repeat(40)
            ),
        ] {
            let r = verify_post_form(&sign_fields(&bad), BUCKET, "x", lookup, now);
            assert!(
                matches!(r, Err(PostPolicyError::BadPolicy(_))),
                "{bad}: {r:?}"
            );
        }
    }

    #[test]
    fn iso8601_parse_roundtrip() {
        for t in [
            0,
            951_782_400,
            1_557_996_351,
            1_567_157_892,
            4_102_444_799,
            253_402_300_799,
        ] {
            assert_eq!(parse_iso8601_utc(&iso8601_utc(t).unwrap()), Some(t));
        }
        assert_eq!(
            parse_iso8601_utc("2019-08-30T09:38:12.414Z"),
            Some(1_567_157_892)
        );
        assert_eq!(
            parse_iso8601_utc("2019-08-30T09:38:12Z"),
            Some(1_567_157_892)
        );
        for bad in [
            "2019-02-29T00:00:00Z",
            "2019-13-01T00:00:00Z",
            "2019-08-30 09:38:12Z",
            "2019-08-30T09:38:12",
            "2019-08-30T09:38:12.Z",
            "2019-08-30T24:00:00Z",
            "+019-08-30T09:38:12Z",
        ] {
            assert_eq!(parse_iso8601_utc(bad), None, "{bad}");
        }
    }
}
