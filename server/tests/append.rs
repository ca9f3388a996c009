//! APPEND Object on the wire: positions, the 409 answers and their headers, object
//! types, PUT over an appendable object, and persistence across a restart.

mod common;

use common::*;
use qcos::crc64;
use qcos_server::Server;

fn append(env: &Env, key: &str, position: u64, data: &[u8]) -> Resp {
    env.req("POST", key)
        .flag("append")
        .query("position", &position.to_string())
        .body(data)
        .send()
}

#[test]
fn appends_grow_an_appendable_object() {
    let env = start();
    let a = data(70_000, 1);
    let r = env
        .req("POST", "log")
        .flag("append")
        .query("position", "0")
        .header("Content-Type", "text/plain")
        .header("x-cos-meta-origin", "first")
        .header("Content-MD5", &md5_b64(&a))
        .body(&a)
        .send();
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("x-cos-next-append-position"), Some("70000"));
    assert_eq!(r.crc(), Some(crc64::checksum(&a)));
    let first_etag = r.etag();
    assert!(first_etag.starts_with('"') && first_etag.len() == 34);

    // Later appends keep the first one's metadata; an empty append is allowed.
    let b = b"tail bytes";
    let r = env
        .req("POST", "log")
        .flag("append")
        .query("position", "70000")
        .header("Content-Type", "image/png")
        .body(b)
        .send();
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("x-cos-next-append-position"), Some("70010"));
    assert_ne!(r.etag(), first_etag);
    let r = append(&env, "log", 70_010, b"");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("x-cos-next-append-position"), Some("70010"));

    let mut whole = a.clone();
    whole.extend_from_slice(b);
    let g = env.get("log");
    assert_eq!(g.status, 200);
    assert!(g.body == whole);
    assert_eq!(g.crc(), Some(crc64::checksum(&whole)));
    assert_eq!(g.header("x-cos-object-type"), Some("appendable"));
    assert_eq!(g.header("content-type"), Some("text/plain"));
    assert_eq!(g.header("x-cos-meta-origin"), Some("first"));
    assert_eq!(g.etag(), r.etag());
    // A range across the two segments.
    let g = env
        .req("GET", "log")
        .header("Range", "bytes=69995-70004")
        .send();
    assert_eq!(g.status, 206);
    assert_eq!(g.body, whole[69_995..70_005]);
    let h = env.req("HEAD", "log").send();
    assert_eq!(h.header("x-cos-object-type"), Some("appendable"));
    assert_eq!(h.header("content-length"), Some("70010"));
    // A Content-MD5 that does not match the chunk is refused and appends nothing.
    let r = env
        .req("POST", "log")
        .flag("append")
        .query("position", "70010")
        .header("Content-MD5", &md5_b64(b"other"))
        .body(b"chunk")
        .send();
    assert_eq!((r.status, r.code().as_deref()), (400, Some("BadDigest")));
    assert_eq!(
        env.req("HEAD", "log").send().header("content-length"),
        Some("70010")
    );
}

#[test]
fn wrong_positions_and_normal_objects_are_409() {
    let env = start();
    assert_eq!(append(&env, "k", 0, b"12345").status, 200);
    for wrong in [0u64, 4, 6, 1 << 40] {
        let r = append(&env, "k", wrong, b"x");
        assert_eq!(
            (r.status, r.code().as_deref()),
            (409, Some("PositionNotEqualToLength")),
            "position {wrong}"
        );
        assert_eq!(r.header("x-cos-next-append-position"), Some("5"));
    }
    // A missing key only takes position 0.
    let r = append(&env, "missing", 3, b"x");
    assert_eq!(r.status, 409);
    assert_eq!(r.header("x-cos-next-append-position"), Some("0"));
    assert_eq!(env.get("missing").status, 404);
    // Not a number.
    let r = append(&env, "k", 0, b"x");
    assert_eq!(r.status, 409);
    let r = env
        .req("POST", "k")
        .flag("append")
        .query("position", "-1")
        .body(b"x")
        .send();
    assert_eq!(
        (r.status, r.code().as_deref()),
        (400, Some("InvalidArgument"))
    );

    // A normal object is not appendable; a PUT over an appendable one makes it normal.
    env.put("normal", b"abc");
    assert_eq!(
        env.req("HEAD", "normal").send().header("x-cos-object-type"),
        Some("normal")
    );
    let r = append(&env, "normal", 3, b"d");
    assert_eq!(
        (r.status, r.code().as_deref()),
        (409, Some("ObjectNotAppendable"))
    );
    env.put("k", b"replaced");
    let h = env.req("HEAD", "k").send();
    assert_eq!(h.header("x-cos-object-type"), Some("normal"));
    let r = append(&env, "k", 8, b"x");
    assert_eq!(r.code().as_deref(), Some("ObjectNotAppendable"));
    assert_eq!(env.get("k").body, b"replaced");
    // Deleted, the key can be appended to from 0 again.
    env.req("DELETE", "k").send();
    assert_eq!(append(&env, "k", 0, b"new").status, 200);
}

#[test]
fn appendable_objects_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut whole = Vec::new();
    {
        let env = Env {
            server: Server::start(config(dir.path())).unwrap(),
            dir: tempfile::tempdir().unwrap(),
            agent: agent(),
        };
        assert_eq!(env.req("PUT", "").send().status, 200);
        for i in 0..3u32 {
            let chunk = data(1000 + i as usize, i);
            let r = append(&env, "log", whole.len() as u64, &chunk);
            assert_eq!(r.status, 200, "{}", r.text());
            whole.extend_from_slice(&chunk);
        }
        env.server.stop();
    }
    let env = Env {
        server: Server::start(config(dir.path())).unwrap(),
        dir: tempfile::tempdir().unwrap(),
        agent: agent(),
    };
    let g = env.get("log");
    assert!(g.body == whole);
    assert_eq!(g.crc(), Some(crc64::checksum(&whole)));
    assert_eq!(g.header("x-cos-object-type"), Some("appendable"));
    let r = append(&env, "log", whole.len() as u64, b"more");
    assert_eq!(r.status, 200, "{}", r.text());
    whole.extend_from_slice(b"more");
    assert_eq!(env.get("log").crc(), Some(crc64::checksum(&whole)));
}

#[test]
fn an_append_keeps_the_objects_tags() {
    let env = start();
    assert_eq!(append(&env, "log", 0, b"one").status, 200);
    let tagging = b"<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag></TagSet></Tagging>";
    let r = env.req("PUT", "log").flag("tagging").body(tagging).send();
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(append(&env, "log", 3, b"two").status, 200);
    let g = env.req("GET", "log").flag("tagging").send();
    assert_eq!(g.status, 200, "{}", g.text());
    assert_eq!(g.xml_all("Key"), ["k"]);
    assert_eq!(env.get("log").body, b"onetwo");
    // Tagging rewrote the metadata: the object is still appendable.
    assert_eq!(
        env.req("HEAD", "log").send().header("x-cos-object-type"),
        Some("appendable")
    );
}
