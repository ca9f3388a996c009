//! Pure encoding: how keys, query strings and header values are written on the wire
//! and how COS's signature encodes them. No I/O.

use crate::error::{Error, Result};

/// Longest object key COS accepts, in UTF-8 bytes.
pub const MAX_KEY_BYTES: usize = 850;

const HEX: &[u8; 16] = b"0123456789ABCDEF";

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~')
}

fn encode_with(s: &str, keep_slash: bool, out: &mut String) {
    for &b in s.as_bytes() {
        if is_unreserved(b) || (keep_slash && b == b'/') {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(HEX[(b >> 4) as usize] as char);
            out.push(HEX[(b & 15) as usize] as char);
        }
    }
}

/// COS's signature `UrlEncode`: every byte outside `A-Z a-z 0-9 - _ . ~` becomes `%XX`
/// with uppercase hex (space is `%20`, `/` is `%2F`). Also the safe wire encoding of a
/// query value.
pub fn uri_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    encode_with(s, false, &mut out);
    out
}

/// [`uri_encode`] appended to `out`, which first reserves room for the worst case
/// (every byte encoded), so that encoding a secret (the security token) never
/// reallocates `out` and leaves a partial copy in a freed buffer.
pub fn uri_encode_into(s: &str, out: &mut String) {
    out.reserve(s.len().saturating_mul(3));
    encode_with(s, false, out);
}

/// The wire path of an object: `/` + the key with each byte outside the unreserved set
/// and `/` percent-encoded. A path segment made only of dots (`.`, `..`) is encoded as
/// `%2E...` so that no HTTP layer can resolve it as a dot segment and address another
/// object.
pub fn key_to_path(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 8);
    out.push('/');
    for (i, seg) in key.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        if !seg.is_empty() && seg.bytes().all(|b| b == b'.') {
            for _ in 0..seg.len() {
                out.push_str("%2E");
            }
        } else {
            encode_with(seg, false, &mut out);
        }
    }
    out
}

/// Percent-decode (used by the server and for `encoding-type=url` listings).
/// Returns `None` for a malformed escape or bytes that are not UTF-8.
pub fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let h = b.get(i + 1..i + 3)?;
            let v = u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok()?;
            out.push(v);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Percent-decode a query component, where `+` also means space.
pub fn query_decode(s: &str) -> Option<String> {
    percent_decode(&s.replace('+', "%20"))
}

/// A query string from `(name, value)` pairs: `name=value` or a bare `name` for a
/// sub-resource flag (`value == None`). Both parts are [`uri_encode`]d. Order is kept:
/// callers put the sub-resource first because COS routes on the first parameter.
pub fn query_string(params: &[(String, Option<String>)]) -> String {
    let mut out = String::new();
    for (i, (k, v)) in params.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        encode_with(k, false, &mut out);
        if let Some(v) = v {
            out.push('=');
            encode_with(v, false, &mut out);
        }
    }
    out
}

/// Parse a raw query string into decoded `(name, value)` pairs (`None` for a bare flag).
pub fn parse_query(q: &str) -> Option<Vec<(String, Option<String>)>> {
    let mut out = Vec::new();
    for part in q.split('&').filter(|p| !p.is_empty()) {
        match part.split_once('=') {
            Some((k, v)) => out.push((query_decode(k)?, Some(query_decode(v)?))),
            None => out.push((query_decode(part)?, None)),
        }
    }
    Some(out)
}

/// Check an object key: 1..=850 bytes, not starting with `/` or `\`, no control
/// characters, no `.` or `..` segment (which different HTTP stacks resolve differently,
/// so the object addressed would be ambiguous).
pub fn validate_key(key: &str) -> Result<()> {
    if key.is_empty() {
        return Err(Error::invalid("key", "the object key is empty"));
    }
    if key.len() > MAX_KEY_BYTES {
        return Err(Error::invalid(
            "key",
            format!(
                "the object key is {} bytes; COS allows at most {MAX_KEY_BYTES}",
                key.len()
            ),
        ));
    }
    if key.starts_with('/') || key.starts_with('\\') {
        return Err(Error::invalid(
            "key",
            "the object key must not start with '/' or '\\'",
        ));
    }
    if let Some(c) = key.chars().find(|c| c.is_control()) {
        return Err(Error::invalid(
            "key",
            format!(
                "the object key contains the control character U+{:04X}",
                c as u32
            ),
        ));
    }
    if key.split('/').any(|s| s == "." || s == "..") {
        return Err(Error::invalid(
            "key",
            "the object key has a '.' or '..' path segment, which would address another object",
        ));
    }
    Ok(())
}

/// The seed SDKs' `ObjectKeySimplifyCheck`: true when the key, normalised as a POSIX
/// path (`.`/`..` merged, empty segments dropped), is the bucket root — a GET of such a
/// key would silently become a bucket listing.
pub fn key_simplifies_to_root(key: &str) -> bool {
    let mut stack: Vec<&str> = Vec::new();
    for seg in key.split(['/', '\\']) {
        match seg {
            "" | "." => {}
            ".." => {
                stack.pop();
            }
            s => stack.push(s),
        }
    }
    stack.is_empty()
}

/// Check a header name (RFC 7230 token) and value (no CR, LF, NUL or other control
/// characters except tab), so no caller input can inject a header.
pub fn validate_header(name: &str, value: &str) -> Result<()> {
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
    {
        return Err(Error::invalid(
            "header",
            format!("{name:?} is not a valid header name"),
        ));
    }
    if value.chars().any(|c| c.is_control() && c != '\t') {
        return Err(Error::invalid(
            "header",
            format!("the value of header {name:?} contains CR, LF or another control character"),
        ));
    }
    Ok(())
}

/// Check a bucket name in COS's long form `name-APPID`: lowercase letters, digits and
/// `-`, not starting or ending with `-`, ending in `-` + the numeric APPID.
pub fn validate_bucket(bucket: &str) -> Result<()> {
    let bad = |why: String| Err(Error::invalid("bucket", why));
    if bucket.is_empty() {
        return bad("the bucket name is empty".into());
    }
    if bucket.len() > 63 {
        return bad(format!("{bucket:?} is longer than 63 characters"));
    }
    if let Some(c) = bucket
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        return bad(format!(
            "{bucket:?} contains {c:?}; only lowercase letters, digits and '-' are allowed"
        ));
    }
    let Some((name, appid)) = bucket.rsplit_once('-') else {
        return bad(format!(
            "{bucket:?} must have the form name-APPID, e.g. examplebucket-1250000000"
        ));
    };
    if name.is_empty() || name.starts_with('-') || name.ends_with('-') {
        return bad(format!(
            "{bucket:?}: the name part must not be empty or start/end with '-'"
        ));
    }
    if appid.is_empty() || !appid.bytes().all(|b| b.is_ascii_digit()) {
        return bad(format!(
            "{bucket:?} must end with -APPID (digits), e.g. examplebucket-1250000000"
        ));
    }
    Ok(())
}

/// Check a region id such as `ap-guangzhou`: lowercase letters, digits and `-`, not a
/// host fragment.
pub fn validate_region(region: &str) -> Result<()> {
    let bad = |why: String| Err(Error::invalid("region", why));
    if region.is_empty() {
        return bad("the region is empty".into());
    }
    if region.len() > 40 {
        return bad(format!("{region:?} is longer than 40 characters"));
    }
    if region.contains("cos.") {
        return bad(format!(
            "{region:?} looks like a host; pass the region id, e.g. ap-guangzhou"
        ));
    }
    if !region
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        || region.starts_with('-')
        || region.ends_with('-')
    {
        return bad(format!(
            "{region:?} is not a region id (lowercase letters, digits and '-', e.g. ap-guangzhou)"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_encode_matches_cos_rule() {
        assert_eq!(uri_encode("a b/c"), "a%20b%2Fc");
        assert_eq!(uri_encode("-_.~AZaz09"), "-_.~AZaz09");
        assert_eq!(
            uri_encode("!'()*+,;=:\"#?%&"),
            "%21%27%28%29%2A%2B%2C%3B%3D%3A%22%23%3F%25%26"
        );
        assert_eq!(uri_encode("腾"), "%E8%85%BE");
        assert_eq!(uri_encode(""), "");
    }

    #[test]
    fn key_paths_keep_slashes_and_protect_dot_segments() {
        assert_eq!(key_to_path("a/b c.txt"), "/a/b%20c.txt");
        assert_eq!(key_to_path("a//b"), "/a//b");
        assert_eq!(key_to_path("a/../b"), "/a/%2E%2E/b");
        assert_eq!(key_to_path("./x"), "/%2E/x");
        assert_eq!(key_to_path("..."), "/%2E%2E%2E");
        assert_eq!(key_to_path("a.b/.c"), "/a.b/.c");
        assert_eq!(key_to_path("dir/"), "/dir/");
    }

    #[test]
    fn percent_decode_roundtrips_and_rejects_bad_escapes() {
        for s in ["a b", "腾讯云/x?y=z&w", "%+", ""] {
            assert_eq!(percent_decode(&uri_encode(s)).as_deref(), Some(s));
        }
        assert_eq!(percent_decode("%zz"), None);
        assert_eq!(percent_decode("%4"), None);
        assert_eq!(percent_decode("%FF"), None);
        assert_eq!(query_decode("a+b").as_deref(), Some("a b"));
    }

    #[test]
    fn query_string_flags_and_values() {
        let q = vec![
            ("uploads".to_string(), None),
            ("prefix".to_string(), Some("a b/".to_string())),
            ("marker".to_string(), Some(String::new())),
        ];
        let s = query_string(&q);
        assert_eq!(s, "uploads&prefix=a%20b%2F&marker=");
        assert_eq!(parse_query(&s).unwrap(), q);
    }

    #[test]
    fn key_validation() {
        assert!(validate_key("a/b/c.txt").is_ok());
        assert!(validate_key("腾讯云 (1).txt").is_ok());
        for bad in [
            "", "/a", "\\a", "a/../b", "./a", "a/.", "a\nb", "a\rb", "a\u{18}",
        ] {
            let e = validate_key(bad).unwrap_err();
            assert_eq!(e.status(), crate::Status::InvalidArgument, "{bad:?}");
        }
        assert!(validate_key(&"k".repeat(851)).is_err());
        assert!(validate_key(&"k".repeat(850)).is_ok());
    }

    #[test]
    fn simplify_check() {
        for root in [
            "",
            "/",
            "./",
            "a/..",
            "a/b/../../",
            "//",
            ".",
            "../..",
            "\\",
        ] {
            assert!(key_simplifies_to_root(root), "{root:?}");
        }
        for ok in ["a", "a/../b", "./a", "a/"] {
            assert!(!key_simplifies_to_root(ok), "{ok:?}");
        }
    }

    #[test]
    fn header_validation_blocks_injection() {
        assert!(validate_header("x-cos-meta-a", "v\tw").is_ok());
        assert!(validate_header("x-cos-meta-a", "v\r\nX-Evil: 1").is_err());
        assert!(validate_header("x-cos-meta-a", "v\n").is_err());
        assert!(validate_header("x-cos-meta-a", "v\0").is_err());
        assert!(validate_header("bad name", "v").is_err());
        assert!(validate_header("", "v").is_err());
        assert!(validate_header("x:y", "v").is_err());
    }

    #[test]
    fn bucket_and_region_validation() {
        assert!(validate_bucket("examplebucket-1250000000").is_ok());
        assert!(validate_bucket("a-b-1").is_ok());
        for bad in [
            "",
            "Example-125",
            "example",
            "example-",
            "-x-1",
            "x--1",
            "x-12a",
            "x_y-1",
            "x.y-1",
        ] {
            let msg = validate_bucket(bad).unwrap_err().to_string();
            assert!(msg.contains("bucket"), "{bad:?}: {msg}");
        }
        assert!(validate_region("ap-guangzhou").is_ok());
        assert!(validate_region("accelerate").is_ok());
        for bad in [
            "",
            "AP-guangzhou",
            "cos.ap-guangzhou",
            "ap guangzhou",
            "ap/x",
            "-ap",
        ] {
            assert!(validate_region(bad).is_err(), "{bad:?}");
        }
    }
}
