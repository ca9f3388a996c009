//! Fuzz checks shared by the cargo-fuzz targets (`fuzz/fuzz_targets/*.rs`) and the
//! stable deterministic driver (`tests/reliability_fuzz.rs`). Each check takes arbitrary
//! bytes and panics only when a parser or encoder breaks one of its properties (or
//! panics itself).
#![allow(dead_code)]

use qcos::auth::{KeyTime, SignRequest, authorization, parse_authorization, sign};
use qcos::encode::{
    key_simplifies_to_root, key_to_path, parse_query, percent_decode, query_decode, query_string,
    uri_encode, validate_bucket, validate_header, validate_key, validate_region,
};
use qcos::xml;

/// A check: arbitrary bytes in, a panic when a property breaks.
pub type Check = fn(&[u8]);

/// Every check, by the name of its fuzz target.
pub const TARGETS: &[(&str, Check)] = &[
    ("xml_responses", xml_responses),
    ("error_document", error_document),
    ("key_encoding", key_encoding),
    ("signer", signer),
    ("request_bodies", request_bodies),
    ("small_parsers", small_parsers),
    ("post_policy", post_policy_form),
];

/// Split fuzz input into `n` strings at 0xFF bytes (lossy UTF-8).
fn fields(data: &[u8], n: usize) -> Vec<String> {
    let mut v: Vec<String> = data
        .splitn(n, |b| *b == 0xFF)
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .collect();
    v.resize(n, String::new());
    v
}

/// Every XML response parser on arbitrary bytes: an answer or an error, never a panic;
/// an error is a protocol error with a message.
pub fn xml_responses(data: &[u8]) {
    let status = 200 + (data.first().copied().unwrap_or(0) as u16 % 8);
    let body = data.get(1..).unwrap_or(&[]);
    let check = |what: &str, e: Option<qcos::Error>| {
        if let Some(e) = e {
            assert!(!e.to_string().is_empty(), "{what}: empty message");
        }
    };
    check("list_objects", xml::parse_list_objects(body).err());
    check("list_buckets", xml::parse_list_buckets(body).err());
    check("initiate", xml::parse_initiate(body).err());
    check("complete", xml::parse_complete(body, status).err());
    check("copy", xml::parse_copy_result(body, status).err());
    check("delete", xml::parse_delete_result(body).err());
    check("list_parts", xml::parse_list_parts(body).err());
    check("list_uploads", xml::parse_list_uploads(body).err());
    if let Ok(page) = xml::parse_list_objects(body) {
        for o in &page.objects {
            let _ = (&o.key, o.size);
        }
    }
}

/// The error document parser on arbitrary bytes and on generated documents.
pub fn error_document(data: &[u8]) {
    let status = 400 + (data.first().copied().unwrap_or(0) as u16 % 200);
    let body = data.get(1..).unwrap_or(&[]);
    if let Some(e) = xml::parse_error(body, status) {
        assert_eq!(e.http_status, status);
        let _ = e.is_retryable();
        let _ = e.is_clock_skew();
    }
    let _ = xml::error_in_success(body, status);
    // A document built from the fields round-trips (fields trimmed, as the parser does).
    let f = fields(body, 3);
    let doc = format!(
        "<?xml version='1.0' encoding='utf-8' ?>\n<Error><Code>{}</Code><Message>{}</Message><RequestId>{}</RequestId></Error>",
        xml::escape(&f[0]),
        xml::escape(&f[1]),
        xml::escape(&f[2])
    );
    if f.iter().all(|s| xml_chars_ok(s)) {
        let e = xml::parse_error(doc.as_bytes(), status)
            .unwrap_or_else(|| panic!("a well-formed error document was not parsed: {doc:?}"));
        assert_eq!(e.code, f[0].trim(), "{doc:?}");
        assert_eq!(e.message, f[1].trim(), "{doc:?}");
        assert_eq!(e.request_id, f[2].trim(), "{doc:?}");
    }
}

/// Characters XML 1.0 can carry at all (escaped or not).
fn xml_chars_ok(s: &str) -> bool {
    s.chars().all(|c| {
        matches!(c, '\t' | '\n' | '\r')
            || ('\u{20}'..='\u{D7FF}').contains(&c)
            || ('\u{E000}'..='\u{FFFD}').contains(&c)
            || c >= '\u{10000}'
    })
}

/// Key and query encoding: round trips, and the key checks agree with each other.
pub fn key_encoding(data: &[u8]) {
    let s = String::from_utf8_lossy(data);
    let s = s.as_ref();
    // uri_encode is decodable and only uses the unreserved set and %XX.
    let enc = uri_encode(s);
    assert!(
        enc.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.~%".contains(&b)),
        "{enc:?}"
    );
    assert_eq!(
        percent_decode(&enc).as_deref(),
        Some(s),
        "uri_encode round trip"
    );
    // The wire path decodes back to "/" + key and never contains a dot segment.
    let path = key_to_path(s);
    assert_eq!(
        percent_decode(&path).as_deref(),
        Some(format!("/{s}").as_str())
    );
    assert!(
        !path.split('/').any(|seg| seg == "." || seg == ".."),
        "dot segment on the wire: {path:?}"
    );
    assert!(!path.contains(['\r', '\n', ' ', '?', '#']), "{path:?}");
    // A valid key never simplifies to the bucket root, has no control characters, and
    // can be carried in XML (Delete Multiple Objects).
    if validate_key(s).is_ok() {
        assert!(!s.is_empty() && !s.starts_with('/'));
        assert!(!s.chars().any(char::is_control));
        if key_simplifies_to_root(s) {
            // Only keys made of `/`, `\`, `.`-segments can; a valid key has none of
            // `.`/`..` segments split by '/', but a backslash may hide one.
            assert!(s.contains('\\'), "valid key {s:?} simplifies to root");
        }
        // (U+FFFE/U+FFFF cannot be in XML at all: Client::delete_objects refuses them,
        // see the regression test `delete_objects_refuses_keys_xml_cannot_carry`.)
        if xml_chars_ok(s) {
            let body = xml::delete_body(&[(s, None)], true);
            let doc = roxmltree::Document::parse(&body)
                .unwrap_or_else(|e| panic!("delete body for a valid key {s:?} is not XML: {e}"));
            let key = doc
                .descendants()
                .find(|n| n.has_tag_name("Key"))
                .and_then(|n| n.text())
                .unwrap_or("");
            assert_eq!(key, s, "key through the Delete body");
        }
    } else {
        let e = validate_key(s).unwrap_err();
        assert_eq!(e.status(), qcos::Status::InvalidArgument);
    }
    let _ = percent_decode(s);
    let _ = query_decode(s);
    // Query strings round trip through parse_query.
    let f = fields(data, 4);
    let params = vec![
        (f[0].clone(), Some(f[1].clone())),
        (f[2].clone(), None),
        ("k".to_string(), Some(f[3].clone())),
    ];
    let q = query_string(&params);
    let back = parse_query(&q).expect("our own query string parses");
    let want: Vec<_> = params
        .into_iter()
        .filter(|(k, v)| !(k.is_empty() && v.is_none()))
        .collect();
    assert_eq!(back, want, "query round trip of {q:?}");
    if let Some(pairs) = parse_query(s) {
        let _ = query_string(&pairs);
    }
    // Header checks refuse CR/LF.
    if validate_header(&f[0], &f[1]).is_ok() {
        assert!(!f[0].contains(['\r', '\n', ':']) && !f[1].contains(['\r', '\n', '\0']));
    }
    let _ = validate_bucket(s);
    let _ = validate_region(s);
}

/// The signer: parse_authorization on arbitrary strings; sign → format → parse round
/// trips; the signature changes when the secret does.
pub fn signer(data: &[u8]) {
    let s = String::from_utf8_lossy(data);
    if let Ok(p) = parse_authorization(&s) {
        assert!(p.header_list.iter().all(|h| h.to_lowercase() == *h));
    }
    let _ = KeyTime::parse(&s);
    let f = fields(data, 7);
    let kt = KeyTime {
        start: data.len() as i64,
        end: data.len() as i64 + 900,
    };
    let params = [(f[2].as_str(), f[3].as_str()), ("uploadId", f[4].as_str())];
    let hname = format!("x-cos-{}", f[5]);
    let headers = [
        ("host", "b-1250000000.cos.ap-guangzhou.myqcloud.com"),
        (hname.as_str(), f[6].as_str()),
    ];
    let path = format!("/{}", f[1]);
    let req = SignRequest {
        method: "PUT",
        path: &path,
        params: &params,
        headers: &headers,
    };
    let sig = sign(&f[0], kt, &req);
    assert_eq!(sig.signature.len(), 40);
    assert!(sig.signature.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(sig, sign(&f[0], kt, &req), "deterministic");
    assert_ne!(
        sig.signature,
        sign(&format!("{}x", f[0]), kt, &req).signature
    );
    let auth = authorization("AKIDfuzz", &f[0], kt, "PUT", &path, &params, &headers);
    assert!(!auth.contains(['\r', '\n']), "{auth:?}");
    // The Authorization is made of encoded names, digits and hex: a secret with any other
    // character cannot be in it.
    if f[0].len() >= 8
        && f[0]
            .chars()
            .any(|c| !(c.is_ascii_alphanumeric() || "-_.~%;=&".contains(c)))
    {
        assert!(!auth.contains(f[0].as_str()), "secret in {auth:?}");
    }
    let p = parse_authorization(&auth).expect("our own Authorization parses");
    assert_eq!(p.secret_id, "AKIDfuzz");
    assert_eq!((p.key_time, p.sign_time), (kt, kt));
    assert_eq!(p.signature, sig.signature);
    // The parser drops empty names (an empty parameter name signs as an empty list
    // entry): compare the non-empty ones.
    let names = |l: &str| -> Vec<String> {
        l.split(';')
            .filter(|x| !x.is_empty())
            .map(str::to_string)
            .collect()
    };
    assert_eq!(p.header_list, names(&sig.header_list));
    assert_eq!(p.url_param_list, names(&sig.url_param_list));
}

/// Request bodies (Delete, Complete) are well-formed XML carrying the exact values.
pub fn request_bodies(data: &[u8]) {
    let f = fields(data, 3);
    let etag = f[0].clone();
    let body = xml::complete_body(&[(1, etag.clone()), (2, "\"abc\"".into())]);
    if xml_chars_ok(&etag) {
        let doc = roxmltree::Document::parse(&body)
            .unwrap_or_else(|e| panic!("complete body not XML for {etag:?}: {e}"));
        let got = doc
            .descendants()
            .find(|n| n.has_tag_name("ETag"))
            .and_then(|n| n.text())
            .unwrap_or("")
            .to_string();
        assert_eq!(got, xml::quote_etag(&etag));
    }
    let keys = [f[1].as_str(), f[2].as_str()];
    let body = xml::delete_body(&[(keys[0], Some(keys[1])), (keys[1], None)], false);
    if keys.iter().all(|k| xml_chars_ok(k)) {
        let doc = roxmltree::Document::parse(&body)
            .unwrap_or_else(|e| panic!("delete body not XML for {keys:?}: {e}"));
        let got: Vec<&str> = doc
            .descendants()
            .filter(|n| n.has_tag_name("Key"))
            .map(|n| n.text().unwrap_or(""))
            .collect();
        assert_eq!(got, [keys[0], keys[1]]);
    }
    let _ = xml::create_bucket_body(Some(&f[0]), Some(&f[1]));
}

/// Small header and configuration parsers.
pub fn small_parsers(data: &[u8]) {
    let s = String::from_utf8_lossy(data);
    let _ = qcos::crc64::parse_header(&s);
    let _ = qcos::http::parse_http_date(&s);
    let _ = qcos::config::parse_endpoint(&s);
    let f = fields(data, 3);
    let d = qcos::config::expand_domain(&f[0], &f[1], &f[2]);
    let _ = qcos::config::domain_host(&d);
    let _ = qcos::config::Config::from_lookup(|k| match k {
        "COS_REGION" => Some(f[0].clone()),
        "COS_BUCKET" => Some(f[1].clone()),
        "COS_ENDPOINT" => Some(f[2].clone()),
        _ => None,
    })
    .and_then(|c| c.validate());
}

/// POST policy building and form verification: whatever the caller's conditions, a
/// policy we build verifies against its own form (the server side of the same code),
/// tampering with its key outside the condition is refused, and arbitrary forms never
/// panic the verifier.
pub fn post_policy_form(data: &[u8]) {
    use qcos::auth::{
        Credentials, Match, PostPolicyInput, iso8601_utc, parse_iso8601_utc, post_policy,
        verify_post_form,
    };
    const BUCKET: &str = "fuzz-1250000000";
    let f = fields(data, 6);
    let creds = Credentials::new("AKIDfuzz", "fuzz-secret-key");
    let kt = KeyTime {
        start: 1_700_000_000,
        end: 1_700_000_000 + 600 + (data.len() as i64 % 5000),
    };
    let prefix = data.first().is_some_and(|b| b & 1 == 1);
    let key = if prefix {
        Match::Prefix(&f[0])
    } else {
        Match::Exact(&f[0])
    };
    let extra = [(f[3].as_str(), f[4].as_str())];
    let input = PostPolicyInput {
        content_type: (!f[1].is_empty()).then_some(Match::Exact(f[1].as_str())),
        content_length_range: data.get(1).map(|b| (0, *b as u64 * 1000)),
        fields: if f[3].is_empty() { &[] } else { &extra },
        ..PostPolicyInput::new(BUCKET, key)
    };
    let lookup = |id: &str| (id == "AKIDfuzz").then(|| ("fuzz-secret-key".to_string(), None));
    match post_policy(&creds, kt, &input) {
        Ok(p) => {
            assert!(!p.json.contains("fuzz-secret-key"));
            let file = if f[2].is_empty() {
                "file.bin"
            } else {
                f[2].as_str()
            };
            let now = kt.start + 1;
            let checked = verify_post_form(&p.fields, BUCKET, file, lookup, now)
                .unwrap_or_else(|e| panic!("our own policy was refused: {e:?}\n{}", p.json));
            if prefix {
                assert!(checked.key.starts_with(f[0].as_str()), "{checked:?}");
            } else {
                assert_eq!(checked.key, f[0]);
            }
            // Another bucket, a later time, a key outside the condition: refused.
            assert!(verify_post_form(&p.fields, "other-1250000000", file, lookup, now).is_err());
            assert!(verify_post_form(&p.fields, BUCKET, file, lookup, kt.end + 1).is_err());
            let mut tampered = p.fields.clone();
            // (An empty prefix allows any key: nothing to step outside of.)
            if let Some(k) = tampered
                .iter_mut()
                .find(|(k, _)| k == "key")
                .filter(|_| !f[0].is_empty())
            {
                k.1 = format!("\u{1}{}", k.1);
                assert!(verify_post_form(&tampered, BUCKET, file, lookup, now).is_err());
            }
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
    // Arbitrary forms.
    let form: Vec<(String, String)> = f.chunks(2).map(|c| (c[0].clone(), c[1].clone())).collect();
    let _ = verify_post_form(&form, BUCKET, &f[5], lookup, 1_700_000_100);
    // ISO 8601 round trip and arbitrary parse.
    let _ = parse_iso8601_utc(&f[5]);
    let t = u64::from_le_bytes({
        let mut b = [0u8; 8];
        for (i, x) in data.iter().take(8).enumerate() {
            b[i] = *x;
        }
        b
    }) % 253_402_300_799;
    if let Ok(s) = iso8601_utc(t as i64) {
        assert_eq!(parse_iso8601_utc(&s), Some(t as i64), "{s}");
    }
}
