//! Signature verification: every way a request can be signed, and every way it can fail.

mod common;

use common::*;

fn code(r: &Resp) -> (u16, String) {
    (r.status, r.code().unwrap_or_default())
}

#[test]
fn accepted_signature_forms() {
    let env = start();
    env.put("k", b"value");
    // Header form (default), query form, merged `sign=` form.
    assert_eq!(env.req("GET", "k").send().body, b"value");
    let r = env.req("GET", "k").mode(SignMode::Query).send();
    assert_eq!(r.status, 200, "{}", r.text());
    let r = env.req("GET", "k").mode(SignMode::Merged).send();
    assert_eq!(r.status, 200, "{}", r.text());
    // Presigned PUT.
    let r = env
        .req("PUT", "pre")
        .mode(SignMode::Query)
        .body(b"up")
        .send();
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(env.get("pre").body, b"up");
    // Signed query params with mixed case and values needing encoding.
    let r = env
        .req("GET", "k")
        .query(
            "response-content-disposition",
            "attachment; filename=\"a b.txt\"",
        )
        .send();
    assert_eq!(r.status, 200, "{}", r.text());
    // Temporary credentials with the token in a header, and in the query.
    let r = env
        .req("GET", "k")
        .creds(TMP_ID, TMP_KEY)
        .token(TMP_TOKEN)
        .send();
    assert_eq!(r.status, 200, "{}", r.text());
    let r = env
        .req("GET", "k")
        .creds(TMP_ID, TMP_KEY)
        .token(TMP_TOKEN)
        .mode(SignMode::Query)
        .send();
    assert_eq!(r.status, 200, "{}", r.text());
    // Token appended unsigned (JS SDK style) is accepted too.
    let r = env
        .req("GET", "k")
        .creds(TMP_ID, TMP_KEY)
        .unsigned_header("x-cos-security-token", TMP_TOKEN)
        .send();
    assert_eq!(r.status, 200, "{}", r.text());
    // Path-style requests may sign the full path or the key path.
    let r = env.req("GET", "k").path_style().send();
    assert_eq!(r.status, 200);
    let r = env
        .req("GET", "k")
        .path_style()
        .sign_path(&format!("/{BUCKET}/k"))
        .send();
    assert_eq!(r.status, 200);
}

#[test]
fn rejected_signatures() {
    let env = start();
    env.put("k", b"value");
    // Anonymous.
    let r = env.req("GET", "k").mode(SignMode::None).send();
    assert_eq!(code(&r), (403, "AccessDenied".into()));
    // Wrong secret key.
    let r = env
        .req("GET", "k")
        .creds(qcos_server::TEST_SECRET_ID, "wrong")
        .send();
    assert_eq!(code(&r), (403, "SignatureDoesNotMatch".into()));
    // Unknown SecretId.
    let r = env.req("GET", "k").creds("AKIDnobody", "x").send();
    assert_eq!(code(&r), (403, "InvalidAccessKeyId".into()));
    // Tampered query: a signed parameter's value changed after signing.
    let (url, headers) = env
        .req("GET", "k")
        .query("response-content-type", "text/plain")
        .prepare();
    let tampered = url.replace("text%2Fplain", "text%2Fhtml");
    assert_ne!(url, tampered);
    let mut b = ureq::http::Request::builder().method("GET").uri(&tampered);
    for (k, v) in &headers {
        b = b.header(k.as_str(), v.as_str());
    }
    let resp = env.agent.run(b.body(()).unwrap()).unwrap();
    assert_eq!(resp.status().as_u16(), 403);
    // Tampered presigned URL (query form): the key changed.
    let (url, _) = env.req("GET", "k").mode(SignMode::Query).prepare();
    let other = url.replacen("/k?", "/pre?", 1);
    let mut b = ureq::http::Request::builder().method("GET").uri(&other);
    b = b.header("Host", format!("{BUCKET}.cos.{REGION}.myqcloud.com"));
    let resp = env.agent.run(b.body(()).unwrap()).unwrap();
    assert_eq!(resp.status().as_u16(), 403);
    // A signed header changed in flight.
    let r = env
        .req("GET", "k")
        .header("x-cos-traffic-limit", "819200")
        .send();
    assert_eq!(r.status, 200);
    let (url, mut headers) = env.req("GET", "k").header("Range", "bytes=0-1").prepare();
    for h in headers.iter_mut() {
        if h.0 == "Range" {
            h.1 = "bytes=0-3".into();
        }
    }
    let mut b = ureq::http::Request::builder().method("GET").uri(&url);
    for (k, v) in &headers {
        b = b.header(k.as_str(), v.as_str());
    }
    let resp = env.agent.run(b.body(()).unwrap()).unwrap();
    assert_eq!(resp.status().as_u16(), 403);
    // Unsigned extra params are ignored by the signature check, signed ones cannot be
    // dropped: a request whose q-url-param-list names an absent parameter fails.
    let (url, headers) = env.req("GET", "k").query("prefix", "a").prepare();
    let dropped = url.replace("?prefix=a", "");
    assert_ne!(dropped, url);
    let mut b = ureq::http::Request::builder().method("GET").uri(&dropped);
    for (k, v) in &headers {
        b = b.header(k.as_str(), v.as_str());
    }
    let resp = env.agent.run(b.body(()).unwrap()).unwrap();
    assert_eq!(resp.status().as_u16(), 403);
    // Wrong method.
    let (url, headers) = env.req("GET", "k").prepare();
    let mut b = ureq::http::Request::builder().method("DELETE").uri(&url);
    for (k, v) in &headers {
        b = b.header(k.as_str(), v.as_str());
    }
    let resp = env.agent.run(b.body(()).unwrap()).unwrap();
    assert_eq!(resp.status().as_u16(), 403);
    assert_eq!(env.get("k").status, 200, "the object survived");
    // Malformed Authorization.
    let r = env
        .req("GET", "k")
        .mode(SignMode::None)
        .unsigned_header("Authorization", "garbage")
        .send();
    assert_eq!(r.status, 403);
}

#[test]
fn time_window_and_skew() {
    let env = start();
    env.put("k", b"v");
    let t = now();
    let r = env.req("GET", "k").key_time(t - 7200, t - 3600).send();
    assert_eq!(code(&r), (403, "AccessDenied".into()));
    assert_eq!(r.xml("Message").as_deref(), Some("Request has expired"));
    let r = env.req("GET", "k").key_time(t + 3600, t + 7200).send();
    assert_eq!(code(&r), (403, "RequestTimeTooSkewed".into()));
    // The server clock moves: a signature valid now fails when the server is an hour ahead.
    env.server.set_clock_skew(3600);
    let r = env.req("GET", "k").send();
    assert_eq!(r.xml("Message").as_deref(), Some("Request has expired"));
    let date = r.header("date").unwrap().to_string();
    let server_now = qcos_server_date(&date);
    assert!(
        (server_now - (now() + 3600)).abs() < 120,
        "Date reflects the skew: {date}"
    );
    // Signing with the server's time works again.
    let r = env
        .req("GET", "k")
        .key_time(server_now - 60, server_now + 600)
        .send();
    assert_eq!(r.status, 200);
    env.server.set_clock_skew(-3600);
    let r = env.req("GET", "k").send();
    assert_eq!(code(&r), (403, "RequestTimeTooSkewed".into()));
    env.server.set_clock_skew(0);
    assert_eq!(env.req("GET", "k").send().status, 200);
}

fn qcos_server_date(s: &str) -> i64 {
    // "Sun, 06 Nov 1994 08:49:37 GMT"
    let p: Vec<&str> = s.split_whitespace().collect();
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let d: i64 = p[1].parse().unwrap();
    let m = months.iter().position(|x| *x == p[2]).unwrap() as i64 + 1;
    let y: i64 = p[3].parse().unwrap();
    let hms: Vec<i64> = p[4].split(':').map(|x| x.parse().unwrap()).collect();
    // days from civil
    let (y2, m2) = if m <= 2 { (y - 1, m + 9) } else { (y, m - 3) };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let doy = (153 * m2 + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146097 + doe - 719468;
    days * 86400 + hms[0] * 3600 + hms[1] * 60 + hms[2]
}

#[test]
fn temporary_credentials_need_their_token() {
    let env = start();
    env.put("k", b"v");
    let r = env.req("GET", "k").creds(TMP_ID, TMP_KEY).send();
    assert_eq!(r.status, 403, "no token");
    let r = env
        .req("GET", "k")
        .creds(TMP_ID, TMP_KEY)
        .token("wrong-token")
        .send();
    assert_eq!(r.status, 403, "wrong token");
    // A permanent key does not need a token.
    assert_eq!(env.req("GET", "k").send().status, 200);
}

#[test]
fn host_must_be_signed() {
    let env = start();
    env.put("k", b"v");
    // Sign without host: build the Authorization by hand over no headers.
    let kt = qcos::auth::KeyTime {
        start: now() - 60,
        end: now() + 600,
    };
    let sig = qcos::auth::sign(
        qcos_server::TEST_SECRET_KEY,
        kt,
        &qcos::auth::SignRequest {
            method: "GET",
            path: "/k",
            params: &[],
            headers: &[],
        },
    );
    let auth = format!(
        "q-sign-algorithm=sha1&q-ak={}&q-sign-time={kt}&q-key-time={kt}&q-header-list=&q-url-param-list=&q-signature={}",
        qcos_server::TEST_SECRET_ID,
        sig.signature
    );
    let r = env
        .req("GET", "k")
        .mode(SignMode::None)
        .unsigned_header("Authorization", &auth)
        .send();
    assert_eq!(code(&r), (403, "AccessDenied".into()));
    assert!(r.xml("Message").unwrap().contains("host"));
}
