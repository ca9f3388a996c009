//! The browser-facing side of qcos-server: bucket CORS (`?cors`), OPTIONS preflights and
//! CORS headers on actual responses; presigned URLs for every method; POST Object forms
//! (large files, `${filename}`, success actions); and the refusals that make handing
//! out URLs and policies safe (expired, another method, tampered query or header, a
//! policy reused for another key, a body outside the range), each with COS's error code.
//! Also GET Bucket with `max-keys=0`.

mod common;

use common::*;
use qcos::auth::{
    AuthForm, Credentials, KeyTime, Match, PostPolicy, PostPolicyInput, PresignInput, UrlBase,
    post_policy, presign_url,
};
use qcos_server::{Server, TEST_SECRET_ID, TEST_SECRET_KEY};

const ORIGIN: &str = "http://127.0.0.1:8123";

const CORS: &str = "<CORSConfiguration>\
    <CORSRule><ID>web</ID>\
      <AllowedOrigin>http://127.0.0.1:*</AllowedOrigin>\
      <AllowedMethod>PUT</AllowedMethod><AllowedMethod>POST</AllowedMethod>\
      <AllowedMethod>GET</AllowedMethod><AllowedMethod>HEAD</AllowedMethod>\
      <AllowedHeader>*</AllowedHeader>\
      <ExposeHeader>ETag</ExposeHeader><ExposeHeader>x-cos-request-id</ExposeHeader>\
      <MaxAgeSeconds>600</MaxAgeSeconds>\
    </CORSRule>\
    <CORSRule><AllowedOrigin>https://*.example.com</AllowedOrigin>\
      <AllowedMethod>GET</AllowedMethod>\
      <AllowedHeader>range</AllowedHeader>\
    </CORSRule>\
  </CORSConfiguration>";

fn put_cors(env: &Env, doc: &str) -> Resp {
    env.req("PUT", "")
        .flag("cors")
        .header("Content-MD5", &md5_b64(doc.as_bytes()))
        .header("Content-Type", "application/xml")
        .body(doc.as_bytes())
        .send()
}

/// An unsigned OPTIONS request, as a browser sends it.
fn preflight(env: &Env, key: &str, headers: &[(&str, &str)]) -> Resp {
    let mut r = env.req("OPTIONS", key).mode(SignMode::None);
    for (k, v) in headers {
        r = r.header(k, v);
    }
    r.send()
}

fn window() -> KeyTime {
    KeyTime {
        start: now() - 60,
        end: now() + 600,
    }
}

// ------------------------------------------------------------------------------------
// CORS

#[test]
fn cors_configuration_is_stored_returned_and_deleted() {
    let env = start();
    let r = env.req("GET", "").flag("cors").send();
    assert_eq!(r.status, 404, "{}", r.text());
    assert_eq!(r.code().as_deref(), Some("NoSuchCORSConfiguration"));

    // Content-MD5 is required, and must match.
    let r = env.req("PUT", "").flag("cors").body(CORS.as_bytes()).send();
    assert_eq!(
        (r.status, r.code().as_deref()),
        (400, Some("InvalidRequest")),
        "{}",
        r.text()
    );
    assert!(r.text().contains("Content-MD5"), "{}", r.text());
    let r = env
        .req("PUT", "")
        .flag("cors")
        .header("Content-MD5", &md5_b64(b"other"))
        .body(CORS.as_bytes())
        .send();
    assert_eq!((r.status, r.code().as_deref()), (400, Some("BadDigest")));

    // Bad documents are refused with a reason.
    let r = put_cors(&env, "<CORSConfiguration><CORSRule>");
    assert_eq!((r.status, r.code().as_deref()), (400, Some("MalformedXML")));
    let r = put_cors(
        &env,
        "<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin>\
         <AllowedMethod>PATCH</AllowedMethod></CORSRule></CORSConfiguration>",
    );
    assert_eq!(
        (r.status, r.code().as_deref()),
        (400, Some("InvalidArgument"))
    );
    assert!(r.text().contains("PATCH"), "{}", r.text());
    let r = put_cors(
        &env,
        "<CORSConfiguration><CORSRule><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>",
    );
    assert_eq!((r.status, r.code().as_deref()), (400, Some("MalformedXML")));
    assert!(r.text().contains("AllowedOrigin"), "{}", r.text());

    // Unsigned, it is refused like any other request.
    let r = env
        .req("PUT", "")
        .flag("cors")
        .mode(SignMode::None)
        .header("Content-MD5", &md5_b64(CORS.as_bytes()))
        .body(CORS.as_bytes())
        .send();
    assert_eq!((r.status, r.code().as_deref()), (403, Some("AccessDenied")));

    let r = put_cors(&env, CORS);
    assert_eq!(r.status, 200, "{}", r.text());
    let r = env.req("GET", "").flag("cors").send();
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.xml_all("AllowedOrigin"),
        ["http://127.0.0.1:*", "https://*.example.com"]
    );
    assert_eq!(
        r.xml_all("AllowedMethod"),
        ["PUT", "POST", "GET", "HEAD", "GET"]
    );
    assert_eq!(r.xml_all("ExposeHeader"), ["ETag", "x-cos-request-id"]);
    assert_eq!(r.xml("MaxAgeSeconds").as_deref(), Some("600"));
    assert_eq!(r.xml("ID").as_deref(), Some("web"));

    // ?cors is a bucket sub-resource only.
    let r = env.req("GET", "obj").flag("cors").send();
    assert_eq!(r.status, 501, "{}", r.text());

    // The configuration survives a restart.
    let dir = env.dir;
    env.server.stop();
    let env = Env {
        server: Server::start(config(dir.path())).unwrap(),
        dir,
        agent: agent(),
    };
    let r = env.req("GET", "").flag("cors").send();
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.xml_all("CORSRule").len(), 2);

    let r = env.req("DELETE", "").flag("cors").send();
    assert_eq!(r.status, 204, "{}", r.text());
    let r = env.req("GET", "").flag("cors").send();
    assert_eq!(r.code().as_deref(), Some("NoSuchCORSConfiguration"));
    // Deleting again is fine.
    assert_eq!(env.req("DELETE", "").flag("cors").send().status, 204);
}

#[test]
fn preflight_is_answered_from_the_rules() {
    let env = start();
    let ask = [
        ("Origin", ORIGIN),
        ("Access-Control-Request-Method", "PUT"),
        (
            "Access-Control-Request-Headers",
            "content-type,x-cos-meta-a",
        ),
    ];
    // No configuration: refused.
    let r = preflight(&env, "up/a.png", &ask);
    assert_eq!(
        (r.status, r.code().as_deref()),
        (403, Some("AccessForbidden")),
        "{}",
        r.text()
    );
    assert!(r.header("access-control-allow-origin").is_none());

    assert_eq!(put_cors(&env, CORS).status, 200);
    for key in ["up/a.png", ""] {
        let r = preflight(&env, key, &ask);
        assert_eq!(r.status, 200, "{key:?}: {}", r.text());
        assert_eq!(r.header("access-control-allow-origin"), Some(ORIGIN));
        assert_eq!(
            r.header("access-control-allow-methods"),
            Some("PUT,POST,GET,HEAD")
        );
        assert_eq!(
            r.header("access-control-allow-headers"),
            Some("content-type,x-cos-meta-a")
        );
        assert_eq!(
            r.header("access-control-expose-headers"),
            Some("ETag,x-cos-request-id")
        );
        assert_eq!(r.header("access-control-max-age"), Some("600"));
        assert!(r.header("vary").unwrap_or("").contains("Origin"));
        assert!(r.header("x-cos-request-id").is_some());
    }
    // Path-style addressing too.
    let r = env
        .req("OPTIONS", "up/a.png")
        .path_style()
        .mode(SignMode::None)
        .header("Origin", ORIGIN)
        .header("Access-Control-Request-Method", "POST")
        .send();
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.header("access-control-allow-headers").is_none());

    // The second rule: another origin, GET with range only.
    let r = preflight(
        &env,
        "k",
        &[
            ("Origin", "https://app.example.com"),
            ("Access-Control-Request-Method", "GET"),
            ("Access-Control-Request-Headers", "Range"),
        ],
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("access-control-allow-methods"), Some("GET"));
    assert!(r.header("access-control-max-age").is_none());

    // Refusals: unknown origin, method not allowed, header not allowed.
    for (origin, method, headers) in [
        ("http://evil.test", "PUT", ""),
        ("https://app.example.com", "PUT", ""),
        ("https://app.example.com", "DELETE", ""),
        ("https://app.example.com", "GET", "x-cos-meta-a"),
        (ORIGIN, "DELETE", ""),
    ] {
        let mut h = vec![
            ("Origin", origin),
            ("Access-Control-Request-Method", method),
        ];
        if !headers.is_empty() {
            h.push(("Access-Control-Request-Headers", headers));
        }
        let r = preflight(&env, "k", &h);
        assert_eq!(
            (r.status, r.code().as_deref()),
            (403, Some("AccessForbidden")),
            "{origin} {method} {headers}: {}",
            r.text()
        );
        assert!(r.header("access-control-allow-origin").is_none());
    }
    // Not a preflight at all.
    let r = preflight(&env, "k", &[("Origin", ORIGIN)]);
    assert_eq!(
        (r.status, r.code().as_deref()),
        (400, Some("InvalidRequest"))
    );
    assert!(r.text().contains("Access-Control-Request-Method"));
    let r = preflight(&env, "k", &[("Access-Control-Request-Method", "GET")]);
    assert_eq!(
        (r.status, r.code().as_deref()),
        (400, Some("InvalidRequest"))
    );
    // Another bucket.
    let r = env
        .req("OPTIONS", "k")
        .bucket(Some("nosuch-1250000000"))
        .mode(SignMode::None)
        .header("Origin", ORIGIN)
        .header("Access-Control-Request-Method", "GET")
        .send();
    assert_eq!((r.status, r.code().as_deref()), (404, Some("NoSuchBucket")));
}

#[test]
fn actual_responses_carry_cors_headers_for_allowed_origins() {
    let env = start();
    env.put("obj", b"cors body");
    // Before any configuration: no CORS headers.
    let r = env.req("GET", "obj").header("Origin", ORIGIN).send();
    assert_eq!(r.status, 200);
    assert!(r.header("access-control-allow-origin").is_none());

    assert_eq!(put_cors(&env, CORS).status, 200);
    let r = env.req("GET", "obj").header("Origin", ORIGIN).send();
    assert_eq!(
        (r.status, r.body.as_slice()),
        (200, b"cors body".as_slice())
    );
    assert_eq!(r.header("access-control-allow-origin"), Some(ORIGIN));
    assert_eq!(
        r.header("access-control-expose-headers"),
        Some("ETag,x-cos-request-id")
    );
    // PUT too, and errors (so a page can read the COS error code).
    let r = env
        .req("PUT", "obj2")
        .header("Origin", ORIGIN)
        .body(b"x")
        .send();
    assert_eq!(r.status, 200);
    assert_eq!(r.header("access-control-allow-origin"), Some(ORIGIN));
    let r = env
        .req("GET", "obj")
        .creds(TEST_SECRET_ID, "wrong")
        .header("Origin", ORIGIN)
        .send();
    assert_eq!(r.status, 403);
    assert_eq!(r.header("access-control-allow-origin"), Some(ORIGIN));
    assert_eq!(r.code().as_deref(), Some("SignatureDoesNotMatch"));

    // Without Origin, with an origin no rule allows, or a method no rule allows: none.
    let r = env.req("GET", "obj").send();
    assert!(r.header("access-control-allow-origin").is_none());
    let r = env
        .req("GET", "obj")
        .header("Origin", "http://evil.test")
        .send();
    assert_eq!(r.status, 200);
    assert!(r.header("access-control-allow-origin").is_none());
    let r = env.req("DELETE", "obj2").header("Origin", ORIGIN).send();
    assert_eq!(r.status, 204);
    assert!(r.header("access-control-allow-origin").is_none());
}

// ------------------------------------------------------------------------------------
// GET Bucket max-keys=0

#[test]
fn max_keys_zero_lists_nothing_and_is_not_truncated() {
    let env = start();
    for k in ["a", "b/c", "d"] {
        env.put(k, b"x");
    }
    for delimiter in [None, Some("/")] {
        let mut r = env.req("GET", "").query("max-keys", "0");
        if let Some(d) = delimiter {
            r = r.query("delimiter", d);
        }
        let r = r.send();
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(
            r.xml("IsTruncated").as_deref(),
            Some("false"),
            "{}",
            r.text()
        );
        assert_eq!(r.xml("MaxKeys").as_deref(), Some("0"));
        assert!(r.xml("NextMarker").is_none(), "{}", r.text());
        assert!(r.xml_all("Contents").is_empty(), "{}", r.text());
        assert!(r.xml_all("CommonPrefixes").is_empty(), "{}", r.text());
    }
    // max-keys=1 still pages with a NextMarker.
    let r = env.req("GET", "").query("max-keys", "1").send();
    assert_eq!(r.xml("IsTruncated").as_deref(), Some("true"));
    assert_eq!(r.xml("NextMarker").as_deref(), Some("a"));

    // The same for multipart uploads and parts.
    let r = env.req("POST", "mp").flag("uploads").send();
    let id = r.xml("UploadId").unwrap();
    let r = env
        .req("PUT", "mp")
        .query("partNumber", "1")
        .query("uploadId", &id)
        .body(b"part")
        .send();
    assert_eq!(r.status, 200);
    let r = env
        .req("GET", "")
        .flag("uploads")
        .query("max-uploads", "0")
        .send();
    assert_eq!(
        r.xml("IsTruncated").as_deref(),
        Some("false"),
        "{}",
        r.text()
    );
    assert!(r.xml("NextKeyMarker").is_none());
    let r = env
        .req("GET", "mp")
        .query("uploadId", &id)
        .query("max-parts", "0")
        .send();
    assert_eq!(
        r.xml("IsTruncated").as_deref(),
        Some("false"),
        "{}",
        r.text()
    );
    assert!(r.xml_all("Part").is_empty());
}

// ------------------------------------------------------------------------------------
// Presigned URLs

fn call(
    _env: &Env,
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> Resp {
    use std::io::Read;
    let mut b = ureq::http::Request::builder().method(method).uri(url);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    // Redirects (POST's success_action_redirect) are looked at, not followed.
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into();
    let mut resp = match body {
        Some(body) => agent.run(b.body(body.to_vec()).unwrap()),
        None => agent.run(b.body(()).unwrap()),
    }
    .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
    let status = resp.status().as_u16();
    let headers = resp
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    let mut body = Vec::new();
    if method != "HEAD" {
        resp.body_mut().as_reader().read_to_end(&mut body).unwrap();
    }
    Resp {
        status,
        headers,
        body,
    }
}

/// A server accepting the test key and a temporary key whose token needs escaping.
const TOKEN: &str = "tok+en/with=padding&more%20 and space==";

fn start_with_token() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.temporary
        .push(("AKIDweb".into(), "webSECRET".into(), TOKEN.into()));
    let env = Env {
        server: Server::start(cfg).unwrap(),
        dir,
        agent: agent(),
    };
    assert_eq!(env.req("PUT", "").send().status, 200);
    env
}

fn url(creds: &Credentials, base: &UrlBase, input: &PresignInput<'_>) -> String {
    url_kt(creds, window(), base, input)
}

fn url_kt(creds: &Credentials, kt: KeyTime, base: &UrlBase, input: &PresignInput<'_>) -> String {
    let u = presign_url(Some(creds), kt, base, input).unwrap();
    assert!(!u.contains(creds.secret_key.expose()), "secret in {u}");
    u
}

#[test]
fn presigned_urls_work_for_every_method() {
    let env = start_with_token();
    let endpoint = env.server.endpoint();
    let path_base = UrlBase::path_style(&endpoint, BUCKET).unwrap();
    let permanent = Credentials::new(TEST_SECRET_ID, TEST_SECRET_KEY);
    let temporary = Credentials::temporary("AKIDweb", "webSECRET", TOKEN, None, now() + 3600);

    for (creds, form) in [
        (&permanent, AuthForm::Query),
        (&temporary, AuthForm::Query),
        (&temporary, AuthForm::SignParam),
    ] {
        let tag = format!("{}/{form:?}", creds.secret_id);
        let key = format!("pre/{}/数据 (1)+x.bin", creds.secret_id);
        let body = data(3000, 7);
        let input = |method: &'static str| PresignInput {
            form,
            ..PresignInput::new(method, "")
        };
        if creds.security_token.is_some() {
            let u = url(
                creds,
                &path_base,
                &PresignInput {
                    key: &key,
                    ..input("GET")
                },
            );
            // The token is in the URL, percent-encoded.
            assert!(
                u.contains(
                    "x-cos-security-token=tok%2Ben%2Fwith%3Dpadding%26more%2520%20and%20space%3D%3D"
                ),
                "{u}"
            );
        }

        // PUT with a signed Content-Type.
        let ct = [("Content-Type", "application/x-test")];
        let put = url(
            creds,
            &path_base,
            &PresignInput {
                key: &key,
                headers: &ct,
                ..input("PUT")
            },
        );
        let r = call(&env, "PUT", &put, &ct, Some(&body));
        assert_eq!(r.status, 200, "{tag} PUT: {}", r.text());
        let etag = r.etag();

        // GET, with a signed response override; HEAD.
        let over = [(
            "response-content-disposition",
            "attachment; filename=\"a b.bin\"",
        )];
        let get = url(
            creds,
            &path_base,
            &PresignInput {
                key: &key,
                params: &over,
                ..input("GET")
            },
        );
        let r = call(&env, "GET", &get, &[], None);
        assert_eq!((r.status, &r.body), (200, &body), "{tag} GET");
        assert_eq!(
            r.header("content-disposition"),
            Some("attachment; filename=\"a b.bin\"")
        );
        assert_eq!(r.header("content-type"), Some("application/x-test"));
        let head = url(
            creds,
            &path_base,
            &PresignInput {
                key: &key,
                ..input("HEAD")
            },
        );
        let r = call(&env, "HEAD", &head, &[], None);
        assert_eq!((r.status, r.etag()), (200, etag.clone()), "{tag} HEAD");

        // GET Bucket (list) with signed parameters.
        let list_params = [("prefix", "pre/"), ("max-keys", "10")];
        let list = url(
            creds,
            &path_base,
            &PresignInput {
                params: &list_params,
                ..input("GET")
            },
        );
        let r = call(&env, "GET", &list, &[], None);
        assert_eq!(r.status, 200, "{tag} list: {}", r.text());
        assert!(r.xml_all("Key").contains(&key), "{}", r.text());

        // POST: a multipart upload initiated and completed through presigned URLs.
        let mkey = format!("{key}.multi");
        let init = url(
            creds,
            &path_base,
            &PresignInput {
                key: &mkey,
                params: &[("uploads", "")],
                ..input("POST")
            },
        );
        let r = call(&env, "POST", &init, &[], None);
        assert_eq!(r.status, 200, "{tag} initiate: {}", r.text());
        let id = r.xml("UploadId").unwrap();
        let part_params = [("partNumber", "1"), ("uploadId", id.as_str())];
        let part = url(
            creds,
            &path_base,
            &PresignInput {
                key: &mkey,
                params: &part_params,
                ..input("PUT")
            },
        );
        let r = call(&env, "PUT", &part, &[], Some(b"only part"));
        assert_eq!(r.status, 200, "{tag} part: {}", r.text());
        let done = format!(
            "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{}</ETag></Part></CompleteMultipartUpload>",
            r.etag()
        );
        let complete = url(
            creds,
            &path_base,
            &PresignInput {
                key: &mkey,
                params: &[("uploadId", id.as_str())],
                ..input("POST")
            },
        );
        let r = call(&env, "POST", &complete, &[], Some(done.as_bytes()));
        assert_eq!(r.status, 200, "{tag} complete: {}", r.text());
        assert!(r.text().contains("CompleteMultipartUploadResult"));

        // DELETE both.
        for k in [&key, &mkey] {
            let del = url(
                creds,
                &path_base,
                &PresignInput {
                    key: k,
                    ..input("DELETE")
                },
            );
            assert_eq!(
                call(&env, "DELETE", &del, &[], None).status,
                204,
                "{tag} DELETE"
            );
        }
        let r = call(&env, "GET", &get, &[], None);
        assert_eq!((r.status, r.code().as_deref()), (404, Some("NoSuchKey")));
    }
}

#[test]
fn presigned_url_refusals_carry_cos_error_codes() {
    let env = start_with_token();
    let base = UrlBase::path_style(&env.server.endpoint(), BUCKET).unwrap();
    let creds = Credentials::new(TEST_SECRET_ID, TEST_SECRET_KEY);
    let key = "sec/file.txt";
    env.put(key, b"keep me");
    let code = |r: &Resp| (r.status, r.code().unwrap_or_default());

    // Expired (and not yet valid) windows.
    let old = KeyTime {
        start: now() - 7200,
        end: now() - 3600,
    };
    let u = url_kt(&creds, old, &base, &PresignInput::new("GET", key));
    let r = call(&env, "GET", &u, &[], None);
    assert_eq!(code(&r), (403, "AccessDenied".into()));
    assert!(r.text().contains("Request has expired"), "{}", r.text());
    let future = KeyTime {
        start: now() + 3600,
        end: now() + 7200,
    };
    let u = url_kt(&creds, future, &base, &PresignInput::new("GET", key));
    assert_eq!(
        code(&call(&env, "GET", &u, &[], None)),
        (403, "RequestTimeTooSkewed".into())
    );

    // A URL used with another method.
    let get = url(&creds, &base, &PresignInput::new("GET", key));
    for m in ["DELETE", "PUT", "HEAD"] {
        let r = call(
            &env,
            m,
            &get,
            &[],
            if m == "PUT" {
                Some(b"evil".as_slice())
            } else {
                None
            },
        );
        assert_eq!(r.status, 403, "GET URL used for {m}");
        if m != "HEAD" {
            assert_eq!(r.code().as_deref(), Some("SignatureDoesNotMatch"), "{m}");
        }
    }
    // POST on an object has no meaning without a sub-resource; with one, the query
    // differs from what was signed.
    assert!(call(&env, "POST", &get, &[], Some(b"evil")).status >= 400);
    let r = call(&env, "POST", &format!("{get}&uploads"), &[], None);
    assert_eq!(
        r.code().as_deref(),
        Some("SignatureDoesNotMatch"),
        "{}",
        r.text()
    );
    let put = url(&creds, &base, &PresignInput::new("PUT", "sec/new.txt"));
    assert_eq!(
        code(&call(&env, "GET", &put, &[], None)),
        (403, "SignatureDoesNotMatch".into())
    );

    // The URL for one key used on another (path tampered).
    let other = get.replace("sec/file.txt", "sec/other.txt");
    assert_ne!(other, get);
    assert_eq!(
        code(&call(&env, "GET", &other, &[], None)),
        (403, "SignatureDoesNotMatch".into())
    );

    // A signed query parameter changed or dropped.
    let over = [("response-content-type", "text/plain")];
    let signed = url(
        &creds,
        &base,
        &PresignInput {
            params: &over,
            ..PresignInput::new("GET", key)
        },
    );
    assert_eq!(call(&env, "GET", &signed, &[], None).status, 200);
    let changed = signed.replace(
        "response-content-type=text%2Fplain",
        "response-content-type=text%2Fhtml",
    );
    assert_ne!(changed, signed);
    assert_eq!(
        code(&call(&env, "GET", &changed, &[], None)),
        (403, "SignatureDoesNotMatch".into())
    );
    let dropped = signed.replace("&response-content-type=text%2Fplain", "");
    assert_ne!(dropped, signed);
    assert_eq!(
        code(&call(&env, "GET", &dropped, &[], None)),
        (403, "SignatureDoesNotMatch".into())
    );
    // The signature, the key time or the SecretId changed.
    let sig_at = get.find("q-signature=").unwrap() + "q-signature=".len();
    let mut forged = get.clone();
    let c = if &forged[sig_at..sig_at + 1] == "0" {
        "1"
    } else {
        "0"
    };
    forged.replace_range(sig_at..sig_at + 1, c);
    assert_eq!(
        code(&call(&env, "GET", &forged, &[], None)),
        (403, "SignatureDoesNotMatch".into())
    );
    // The key time as the URL carries it (not recomputed from the clock, which may have
    // ticked since the URL was signed).
    let kt_at = get.find("q-key-time=").unwrap() + "q-key-time=".len();
    let kt = get[kt_at..].split('&').next().unwrap().to_string();
    let (start, end) = kt.split_once("%3B").unwrap();
    let end: i64 = end.parse().unwrap();
    let longer = get.replace(
        &format!("q-key-time={kt}"),
        &format!("q-key-time={start}%3B{}", end + 86400),
    );
    assert_ne!(longer, get);
    let r = call(&env, "GET", &longer, &[], None);
    assert_eq!(code(&r), (403, "SignatureDoesNotMatch".into()));
    let other_ak = get.replace(TEST_SECRET_ID, "AKIDnobody");
    assert_eq!(
        code(&call(&env, "GET", &other_ak, &[], None)),
        (403, "InvalidAccessKeyId".into())
    );

    // A signed header changed, or a signed header missing.
    let ct = [("Content-Type", "image/png")];
    let put = url(
        &creds,
        &base,
        &PresignInput {
            headers: &ct,
            ..PresignInput::new("PUT", "sec/img.png")
        },
    );
    let r = call(
        &env,
        "PUT",
        &put,
        &[("Content-Type", "text/html")],
        Some(b"<script>"),
    );
    assert_eq!(code(&r), (403, "SignatureDoesNotMatch".into()));
    let r = call(&env, "PUT", &put, &[], Some(b"<script>"));
    assert_eq!(r.status, 403, "{}", r.text());
    // Header-form Authorization: a metadata header changed after signing.
    let (u, headers) = env
        .req("PUT", "sec/meta")
        .header("x-cos-meta-owner", "alice")
        .prepare();
    let sent: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str(),
                if k == "x-cos-meta-owner" {
                    "mallory"
                } else {
                    v.as_str()
                },
            )
        })
        .collect();
    let r = call(&env, "PUT", &u, &sent, Some(b"x"));
    assert_eq!(code(&r), (403, "SignatureDoesNotMatch".into()));
    let honest: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(call(&env, "PUT", &u, &honest, Some(b"x")).status, 200);

    // Temporary credentials: token missing or another token.
    let tmp = Credentials::temporary("AKIDweb", "webSECRET", TOKEN, None, now() + 3600);
    let u = url(&tmp, &base, &PresignInput::new("GET", key));
    assert_eq!(call(&env, "GET", &u, &[], None).status, 200);
    let tok = u.find("&x-cos-security-token=").unwrap();
    let without = &u[..tok];
    assert_eq!(
        code(&call(&env, "GET", without, &[], None)),
        (403, "InvalidAccessKeyId".into())
    );
    let wrong = format!("{without}&x-cos-security-token=another");
    assert_eq!(
        code(&call(&env, "GET", &wrong, &[], None)),
        (403, "InvalidAccessKeyId".into())
    );

    // Nothing above changed the object; the secret key was in no error document.
    let r = env.get(key);
    assert_eq!((r.status, r.body.as_slice()), (200, b"keep me".as_slice()));
    assert_eq!(env.get("sec/img.png").status, 404);
    assert_eq!(env.get("sec/meta").body, b"x");
    assert_eq!(env.get("sec/new.txt").status, 404);
}

// ------------------------------------------------------------------------------------
// POST Object

const BOUNDARY: &str = "----WebKitFormBoundaryqcosWEB0123";

fn form(fields: &[(String, String)], file_name: &str, data: &[u8]) -> Vec<u8> {
    let mut b = Vec::new();
    for (k, v) in fields {
        b.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    b.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    b.extend_from_slice(data);
    b.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    b
}

fn post(env: &Env, fields: &[(String, String)], file_name: &str, data: &[u8]) -> Resp {
    let url = format!("{}/{BUCKET}/", env.server.endpoint());
    let ct = format!("multipart/form-data; boundary={BOUNDARY}");
    call(
        env,
        "POST",
        &url,
        &[("Content-Type", ct.as_str()), ("Origin", ORIGIN)],
        Some(&form(fields, file_name, data)),
    )
}

fn policy(input: &PostPolicyInput<'_>) -> PostPolicy {
    let creds = Credentials::new(TEST_SECRET_ID, TEST_SECRET_KEY);
    let p = post_policy(&creds, window(), input).unwrap();
    for (name, v) in &p.fields {
        assert!(!v.contains(TEST_SECRET_KEY), "secret in form field {name}");
    }
    assert!(!p.json.contains(TEST_SECRET_KEY));
    p
}

fn with(fields: &[(String, String)], name: &str, value: &str) -> Vec<(String, String)> {
    let mut f = fields.to_vec();
    match f.iter_mut().find(|(k, _)| k == name) {
        Some(e) => e.1 = value.to_string(),
        None => f.push((name.to_string(), value.to_string())),
    }
    f
}

#[test]
fn post_object_streams_a_large_file_and_answers_success_actions() {
    let env = start();
    assert_eq!(put_cors(&env, CORS).status, 200);
    // 12 MiB with bytes that look like the boundary's start, across read boundaries.
    let mut big = data(12 * 1024 * 1024 + 17, 3);
    let fake = format!("\r\n--{}", &BOUNDARY[..BOUNDARY.len() - 1]);
    for at in [
        0usize,
        65_530,
        262_140,
        5_000_000,
        big.len() - fake.len() - 1,
    ] {
        big[at..at + fake.len()].copy_from_slice(fake.as_bytes());
    }
    let p = policy(&PostPolicyInput {
        content_length_range: Some((1, 16 * 1024 * 1024)),
        content_type: Some(Match::Exact("application/x-big")),
        ..PostPolicyInput::new(BUCKET, Match::Prefix("big/"))
    });
    assert_eq!(p.get("key"), Some("big/${filename}"));
    let r = post(&env, &p.fields, "C:\\Users\\me\\movie 1.bin", &big);
    assert_eq!(r.status, 204, "{}", r.text());
    assert_eq!(r.header("access-control-allow-origin"), Some(ORIGIN));
    assert_eq!(r.etag(), format!("\"{}\"", md5_hex(&big)));
    let got = env.get("big/movie 1.bin");
    assert_eq!(got.status, 200);
    assert!(got.body == big, "stored bytes differ");
    assert_eq!(got.header("content-type"), Some("application/x-big"));

    // success_action_status 200 and 201, and the redirect.
    let p = policy(&PostPolicyInput::new(BUCKET, Match::Exact("s/one.txt")));
    let r = post(
        &env,
        &with(&p.fields, "success_action_status", "200"),
        "x",
        b"one",
    );
    assert_eq!((r.status, r.body.len()), (200, 0), "{}", r.text());
    let r = post(
        &env,
        &with(&p.fields, "success_action_status", "201"),
        "x",
        b"one",
    );
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.xml("Key").as_deref(), Some("s/one.txt"));
    assert_eq!(r.xml("Bucket").as_deref(), Some(BUCKET));
    assert_eq!(r.xml("ETag"), Some(format!("\"{}\"", md5_hex(b"one"))));
    let r = post(
        &env,
        &with(
            &p.fields,
            "success_action_redirect",
            "http://127.0.0.1:1/done",
        ),
        "x",
        b"one",
    );
    assert_eq!(r.status, 303, "{}", r.text());
    let loc = r.header("location").unwrap();
    assert!(
        loc.starts_with(&format!(
            "http://127.0.0.1:1/done?bucket={BUCKET}&key=s%2Fone.txt&etag="
        )),
        "{loc}"
    );
}

#[test]
fn post_object_refusals_carry_cos_error_codes() {
    let env = start();
    let code = |r: &Resp| (r.status, r.code().unwrap_or_default());
    let range = PostPolicyInput {
        content_length_range: Some((10, 100)),
        ..PostPolicyInput::new(BUCKET, Match::Exact("p/exact.txt"))
    };
    let p = policy(&range);
    let ok = data(50, 1);

    // A policy reused for another key, or outside its prefix.
    let r = post(&env, &with(&p.fields, "key", "p/other.txt"), "f", &ok);
    assert_eq!(code(&r), (403, "AccessDenied".into()), "{}", r.text());
    assert!(r.text().contains("key"), "{}", r.text());
    let pre = policy(&PostPolicyInput::new(BUCKET, Match::Prefix("user1/")));
    for k in ["user2/x", "x/user1/y", "../user1/x"] {
        let r = post(&env, &with(&pre.fields, "key", k), "f", &ok);
        assert_eq!(code(&r), (403, "AccessDenied".into()), "{k}: {}", r.text());
    }
    let r = post(
        &env,
        &with(&pre.fields, "key", "user1/deep/ok.txt"),
        "f",
        &ok,
    );
    assert_eq!(r.status, 204, "{}", r.text());
    // ${filename} may not escape the prefix either.
    let r = post(&env, &pre.fields, "ok name.txt", &ok);
    assert_eq!(r.status, 204, "{}", r.text());
    assert_eq!(env.get("user1/ok name.txt").body, ok);

    // A policy for another bucket.
    let elsewhere = policy(&PostPolicyInput::new("other-1250000000", Match::Prefix("")));
    let r = post(&env, &elsewhere.fields, "f", &ok);
    assert_eq!(code(&r), (403, "AccessDenied".into()), "{}", r.text());

    // A body outside content-length-range.
    let r = post(&env, &p.fields, "f", &data(101, 2));
    assert_eq!(code(&r), (400, "EntityTooLarge".into()), "{}", r.text());
    let r = post(&env, &p.fields, "f", &data(9, 2));
    assert_eq!(code(&r), (400, "EntityTooSmall".into()), "{}", r.text());
    // ... by a lot (refused while streaming).
    let r = post(&env, &p.fields, "f", &data(3 * 1024 * 1024, 2));
    assert_eq!(code(&r), (400, "EntityTooLarge".into()));
    assert_eq!(env.get("p/exact.txt").status, 404);

    // Content-Type condition.
    let typed = policy(&PostPolicyInput {
        content_type: Some(Match::Prefix("image/")),
        ..PostPolicyInput::new(BUCKET, Match::Exact("p/img"))
    });
    let r = post(
        &env,
        &with(&typed.fields, "Content-Type", "text/html"),
        "f",
        &ok,
    );
    assert_eq!(code(&r), (403, "AccessDenied".into()), "{}", r.text());
    let r = post(
        &env,
        &with(&typed.fields, "Content-Type", "image/gif"),
        "f",
        &ok,
    );
    assert_eq!(r.status, 204, "{}", r.text());

    // Tampered policy or signature; expired policy; unknown key; not a policy.
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let wider = p.json.replace("p/exact.txt", "p/other.txt");
    assert_ne!(wider, p.json);
    let tampered = with(
        &with(&p.fields, "policy", &b64.encode(&wider)),
        "key",
        "p/other.txt",
    );
    let r = post(&env, &tampered, "f", &ok);
    assert_eq!(
        code(&r),
        (403, "SignatureDoesNotMatch".into()),
        "{}",
        r.text()
    );
    let sig = p.get("q-signature").unwrap();
    let forged = format!(
        "{}{}",
        if sig.starts_with('0') { "1" } else { "0" },
        &sig[1..]
    );
    let r = post(&env, &with(&p.fields, "q-signature", &forged), "f", &ok);
    assert_eq!(code(&r), (403, "SignatureDoesNotMatch".into()));
    let creds = Credentials::new(TEST_SECRET_ID, TEST_SECRET_KEY);
    let expired = post_policy(
        &creds,
        KeyTime {
            start: now() - 7200,
            end: now() - 3600,
        },
        &range,
    )
    .unwrap();
    let r = post(&env, &expired.fields, "f", &ok);
    assert_eq!(code(&r), (403, "AccessDenied".into()), "{}", r.text());
    assert!(r.text().contains("expired"), "{}", r.text());
    let r = post(&env, &with(&p.fields, "q-ak", "AKIDnobody"), "f", &ok);
    assert_eq!(code(&r), (403, "InvalidAccessKeyId".into()));
    let r = post(&env, &with(&p.fields, "policy", "not base64!"), "f", &ok);
    assert_eq!(
        code(&r),
        (400, "InvalidPolicyDocument".into()),
        "{}",
        r.text()
    );
    let junk = post_policy(&creds, window(), &range).unwrap();
    let r = post(
        &env,
        &with(&junk.fields, "policy", &b64.encode("{\"conditions\":[]}")),
        "f",
        &ok,
    );
    assert!(r.status == 400 || r.status == 403, "{}", r.text());
    let r = post(
        &env,
        &p.fields
            .iter()
            .filter(|(k, _)| k != "policy")
            .cloned()
            .collect::<Vec<_>>(),
        "f",
        &ok,
    );
    assert_eq!(code(&r), (400, "InvalidArgument".into()), "{}", r.text());

    // Nothing was stored by any refused form; the secret is in no answer.
    assert_eq!(env.get("p/exact.txt").status, 404);
    assert_eq!(env.get("p/other.txt").status, 404);
    assert_eq!(env.get("p/img").status, 200);
}
