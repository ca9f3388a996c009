//! Directory transfers through the queue (`Queue::upload_dir`, `Queue::download_prefix`)
//! against qcos-server on loopback: a tree with nested and empty directories, empty
//! files and unicode names goes up and comes back byte for byte; hostile keys stored on
//! the server (`..`, absolute, empty and `.` segments, backslashes, control characters,
//! a file/directory collision, a symbolic link already in the target) make
//! `download_prefix` refuse, naming the key, with nothing queued and nothing written;
//! symbolic links in an uploaded tree are skipped; bad file names and a full queue
//! queue nothing.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use qcos::auth::Credentials;
use qcos::http::{Method, Request, RequestBody, Target};
use qcos::queue::{Queue, TaskId, TaskState};
use qcos::transfer::{DownloadOptions, UploadOptions};
use qcos::{Client, Config, Error, GetObjectOptions, ListObjectsOptions};
use qcos_server::{RunningServer, Server, ServerConfig, TEST_SECRET_ID, TEST_SECRET_KEY};

const REGION: &str = "ap-guangzhou";
const LONG: Duration = Duration::from_secs(120);

struct Env {
    server: RunningServer,
    dir: tempfile::TempDir,
}

fn start() -> Env {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Server::start(ServerConfig::new(dir.path().join("data"))).expect("server");
    Env { server, dir }
}

impl Env {
    fn client(&self, bucket: &str, tweak: impl FnOnce(&mut Config)) -> Client {
        let mut c = Config::new(REGION, bucket);
        c.endpoint = Some(self.server.endpoint());
        c.credentials = Some(Credentials::new(TEST_SECRET_ID, TEST_SECRET_KEY));
        c.retry_base_delay_ms = 5;
        c.file_parallel_limit = 3;
        tweak(&mut c);
        let client = Client::new(c).expect("client");
        if client.head_bucket().is_err() {
            client.create_bucket().expect("create bucket");
        }
        client
    }

    /// A fresh directory in the test's temporary directory.
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

fn put(c: &Client, key: &str, data: &[u8]) {
    c.put_object(key, qcos::Body::Bytes(data), &Default::default())
        .unwrap();
}

/// PUT an object whose key the client's checks would refuse: straight through the HTTP
/// layer, as another tool could have stored it.
fn put_raw(c: &Client, key: &str, data: &[u8]) {
    let req = Request::new(Method::Put, Target::Object(key.into()))
        .body(RequestBody::Bytes(Cow::Owned(data.to_vec())));
    c.http()
        .send(req)
        .unwrap_or_else(|e| panic!("raw PUT {key:?}: {e}"));
}

fn keys(c: &Client, prefix: &str) -> Vec<String> {
    let mut out = Vec::new();
    let opts = ListObjectsOptions {
        prefix: prefix.into(),
        ..Default::default()
    };
    for page in c.list_objects_pages(opts) {
        out.extend(page.unwrap().objects.into_iter().map(|o| o.key));
    }
    out
}

fn get(c: &Client, key: &str) -> Vec<u8> {
    let mut got = Vec::new();
    c.get_object(key, &GetObjectOptions::default(), &mut got)
        .unwrap();
    got
}

fn wait_all(q: &Queue, ids: impl IntoIterator<Item = TaskId>) {
    for id in ids {
        let info = q.wait(id, Some(LONG)).expect("wait");
        assert_eq!(
            info.state,
            TaskState::Succeeded,
            "task {id} ({}): {:?}",
            info.key,
            info.error
        );
    }
}

/// Every entry under `root`: relative path -> Some(bytes) for a file, None for a
/// directory (symbolic links are not followed).
fn snapshot(root: &Path) -> BTreeMap<String, Option<Vec<u8>>> {
    fn go(root: &Path, dir: &Path, out: &mut BTreeMap<String, Option<Vec<u8>>>) {
        for e in fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            let ft = e.file_type().unwrap();
            if ft.is_dir() {
                out.insert(rel, None);
                go(root, &p, out);
            } else if ft.is_symlink() {
                out.insert(rel, Some(b"<symlink>".to_vec()));
            } else {
                out.insert(rel, Some(fs::read(&p).unwrap()));
            }
        }
    }
    let mut out = BTreeMap::new();
    if root.exists() {
        go(root, root, &mut out);
    }
    out
}

fn bytes(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed) ^ (i >> 11) as u8)
        .collect()
}

/// The test tree: nested directories, empty files, unicode names, a file of a few MiB
/// (multipart with the default part size? no: a plain upload, but several ranges).
fn make_tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("a.txt", b"hello".to_vec()),
        ("empty", Vec::new()),
        ("sub/b.bin", bytes(300_000, 1)),
        ("sub/deeper/c.bin", bytes(3 << 20, 2)),
        ("sub/deeper/empty.txt", Vec::new()),
        ("日本語/ファイル.txt", "中身".as_bytes().to_vec()),
        ("ü n i/c o d e é.md", b"# title\n".to_vec()),
        ("with space/..dots..", b"dots".to_vec()),
    ];
    let mut out = BTreeMap::new();
    for (rel, data) in files {
        let p = root.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(&p, &data).unwrap();
        out.insert(rel.to_string(), data);
    }
    out
}

#[test]
fn a_tree_goes_up_and_comes_back_byte_for_byte() {
    let env = start();
    let c = env.client("dirs-1250000001", |_| {});
    let q = Queue::new(c.clone()).unwrap();
    let src = env.path("src");
    let files = make_tree(&src);
    fs::create_dir_all(src.join("empty-dir/also-empty")).unwrap();

    let queued = q
        .upload_dir(&src, "tree/", UploadOptions::default())
        .expect("upload_dir");
    // Sorted, depth first, one task per file, key = prefix + relative path.
    let want: Vec<(PathBuf, String)> = files
        .keys()
        .map(|rel| (src.join(rel), format!("tree/{rel}")))
        .collect();
    let got: Vec<(PathBuf, String)> = queued
        .iter()
        .map(|(p, k, _)| (p.clone(), k.clone()))
        .collect();
    assert_eq!(got, want);
    wait_all(&q, queued.iter().map(|t| t.2));
    let mut listed = keys(&c, "tree/");
    listed.sort();
    let mut want_keys: Vec<String> = want.iter().map(|w| w.1.clone()).collect();
    want_keys.sort();
    assert_eq!(listed, want_keys, "empty directories make no object");
    for (rel, data) in &files {
        assert_eq!(&get(&c, &format!("tree/{rel}")), data, "{rel}");
    }

    // A directory marker makes a directory (and nothing is queued for it).
    put(&c, "tree/marker-dir/", b"");
    put(&c, "tree/marker-dir/nested/", b"");

    let dst = env.path("dst");
    let down = q
        .download_prefix("tree/", &dst, DownloadOptions::default())
        .expect("download_prefix");
    let mut want_down: Vec<(String, PathBuf)> = files
        .keys()
        .map(|rel| (format!("tree/{rel}"), dst.join(rel)))
        .collect();
    want_down.sort();
    let got_down: Vec<(String, PathBuf)> = down
        .iter()
        .map(|(k, p, _)| (k.clone(), p.clone()))
        .collect();
    assert_eq!(got_down, want_down);
    wait_all(&q, down.iter().map(|t| t.2));

    let mut expect = snapshot(&src);
    expect.remove("empty-dir");
    expect.remove("empty-dir/also-empty");
    expect.insert("marker-dir".into(), None);
    expect.insert("marker-dir/nested".into(), None);
    assert_eq!(snapshot(&dst), expect, "the downloaded tree");

    // A prefix without the trailing slash maps the rest of the key as it is.
    let dst2 = env.path("dst2");
    let down = q
        .download_prefix("tree/sub/dee", &dst2, DownloadOptions::default())
        .unwrap();
    wait_all(&q, down.iter().map(|t| t.2));
    assert_eq!(
        fs::read(dst2.join("per/c.bin")).unwrap(),
        files["sub/deeper/c.bin"]
    );
    // Nothing under the prefix: nothing queued, the directory is made.
    let dst3 = env.path("dst3");
    assert!(
        q.download_prefix("nothing-here/", &dst3, DownloadOptions::default())
            .unwrap()
            .is_empty()
    );
    assert!(dst3.is_dir());
}

#[test]
fn download_prefix_lists_every_page() {
    let env = start();
    let c = env.client("pages-1250000002", |_| {});
    // More than one page of GET Bucket (1000 keys).
    for i in 0..1003 {
        put(&c, &format!("many/{i:05}"), format!("{i}").as_bytes());
    }
    let q = Queue::new(c.clone()).unwrap();
    let dst = env.path("many");
    let down = q
        .download_prefix("many/", &dst, DownloadOptions::default())
        .unwrap();
    assert_eq!(down.len(), 1003);
    wait_all(&q, down.iter().map(|t| t.2));
    for i in [0, 999, 1000, 1002] {
        assert_eq!(
            fs::read_to_string(dst.join(format!("{i:05}"))).unwrap(),
            format!("{i}")
        );
    }
}

/// Store `hostile` (and a harmless key beside it) under `prefix`, then check that
/// `download_prefix` refuses naming the hostile key, queues nothing and writes nothing
/// inside `dir` or next to it.
fn assert_refused(env: &Env, c: &Client, q: &Queue, prefix: &str, hostile: &str, want: &str) {
    put(c, &format!("{prefix}fine.txt"), b"fine");
    put_raw(c, hostile, b"evil");
    assert!(
        keys(c, prefix).iter().any(|k| k == hostile),
        "the server stores {hostile:?}"
    );
    let outside = env.path("outside");
    fs::create_dir_all(&outside).unwrap();
    let dir = outside.join("target");
    fs::create_dir_all(&dir).unwrap();
    let tasks_before = q.tasks().len();

    let e = q
        .download_prefix(prefix, &dir, DownloadOptions::default())
        .expect_err(hostile);
    let msg = e.to_string();
    assert!(
        matches!(e, Error::InvalidArgument { .. }),
        "{hostile:?}: {e:?}"
    );
    assert!(
        msg.contains(&format!("{hostile:?}")),
        "names the key: {msg}"
    );
    assert!(msg.contains(want), "{hostile:?}: {msg} (want {want:?})");
    assert_eq!(
        q.tasks().len(),
        tasks_before,
        "nothing queued for {hostile:?}"
    );
    assert!(
        snapshot(&dir).is_empty(),
        "nothing written in the directory"
    );
    let mut only_target = BTreeMap::new();
    only_target.insert("target".to_string(), None);
    assert_eq!(snapshot(&outside), only_target, "nothing written beside it");
    assert!(!env.path("escape").exists() && !outside.join("escape").exists());
    let req = Request::new(Method::Delete, Target::Object(hostile.into()));
    c.http().send(req).unwrap();
    assert!(!keys(c, prefix).iter().any(|k| k == hostile));
}

#[test]
fn hostile_keys_are_refused_before_anything_is_queued() {
    let env = start();
    let c = env.client("hostile-1250000003", |_| {});
    let q = Queue::new(c.clone()).unwrap();
    let cases = [
        ("h1/", "h1/a/../../escape", "\"..\" path segment"),
        ("h2/", "h2/../escape", "\"..\" path segment"),
        ("h3/", "h3//abs", "absolute path"),
        ("h4/", "h4/a//b", "empty path segment"),
        ("h5/", "h5/./x", "\".\" path segment"),
        ("h6/", "h6/a\\b", "'\\'"),
        ("h7/", "h7/a\u{1}b", "U+0001"),
        ("h8/", "h8/nul\u{0}x", "U+0000"),
        ("h9/", "h9/new\nline", "U+000A"),
        ("h10/", "h10/..", "\"..\" path segment"),
        ("h11/", "h11/a/..\\..\\x", "'\\'"),
    ];
    for (prefix, hostile, want) in cases {
        assert_refused(&env, &c, &q, prefix, hostile, want);
    }
    // `a` and `a/b` cannot both be written.
    put(&c, "col/a", b"file");
    put(&c, "col/a/b", b"under it");
    let dir = env.path("col");
    let e = q
        .download_prefix("col/", &dir, DownloadOptions::default())
        .unwrap_err();
    assert!(e.to_string().contains("\"col/a\""), "{e}");
    assert!(e.to_string().contains("both a file and a directory"), "{e}");
    assert!(q.tasks().is_empty());
    assert!(!dir.exists(), "nothing created");
    // The object named exactly as the prefix has no name under the directory.
    put(&c, "exact", b"x");
    let e = q
        .download_prefix("exact", &env.path("exact"), DownloadOptions::default())
        .unwrap_err();
    assert!(e.to_string().contains("no name under the prefix"), "{e}");
    assert!(q.tasks().is_empty());
}

#[cfg(unix)]
#[test]
fn a_symbolic_link_already_in_the_target_is_not_followed() {
    let env = start();
    let c = env.client("links-1250000004", |_| {});
    let q = Queue::new(c.clone()).unwrap();
    put(&c, "p/ok.txt", b"ok");
    put(&c, "p/sub/x", b"evil");
    let outside = env.path("elsewhere");
    fs::create_dir_all(&outside).unwrap();
    let dir = env.path("target");
    fs::create_dir_all(&dir).unwrap();
    std::os::unix::fs::symlink(&outside, dir.join("sub")).unwrap();
    let e = q
        .download_prefix("p/", &dir, DownloadOptions::default())
        .unwrap_err();
    assert!(e.to_string().contains("\"p/sub/x\""), "{e}");
    assert!(e.to_string().contains("symbolic link"), "{e}");
    assert!(q.tasks().is_empty());
    assert!(
        snapshot(&outside).is_empty(),
        "nothing written through the link"
    );
    assert!(!dir.join("ok.txt").exists());

    // A link where a file would go is refused too (the download would replace it).
    fs::remove_file(dir.join("sub")).unwrap();
    std::os::unix::fs::symlink(outside.join("f"), dir.join("ok.txt")).unwrap();
    let e = q
        .download_prefix("p/", &dir, DownloadOptions::default())
        .unwrap_err();
    assert!(e.to_string().contains("\"p/ok.txt\""), "{e}");
    assert!(q.tasks().is_empty());
}

#[cfg(unix)]
#[test]
fn symbolic_links_in_an_uploaded_tree_are_skipped() {
    let env = start();
    let c = env.client("uplinks-1250000005", |_| {});
    let q = Queue::new(c.clone()).unwrap();
    let src = env.path("src");
    fs::create_dir_all(src.join("real")).unwrap();
    fs::write(src.join("real/file"), b"real").unwrap();
    let secret = env.path("secret");
    fs::create_dir_all(&secret).unwrap();
    fs::write(secret.join("private"), b"private").unwrap();
    std::os::unix::fs::symlink(secret.join("private"), src.join("link-to-file")).unwrap();
    std::os::unix::fs::symlink(&secret, src.join("link-to-dir")).unwrap();
    std::os::unix::fs::symlink(src.join("missing"), src.join("dangling")).unwrap();
    let queued = q.upload_dir(&src, "up/", UploadOptions::default()).unwrap();
    let got: Vec<&str> = queued.iter().map(|t| t.1.as_str()).collect();
    assert_eq!(got, ["up/real/file"]);
    wait_all(&q, queued.iter().map(|t| t.2));
    assert_eq!(keys(&c, "up/"), ["up/real/file"]);
}

#[cfg(unix)]
#[test]
fn bad_file_names_queue_nothing() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let env = start();
    let c = env.client("badnames-1250000006", |_| {});
    let q = Queue::new(c.clone()).unwrap();

    let src = env.path("latin1");
    fs::create_dir_all(src.join("a")).unwrap();
    fs::write(src.join("a/fine"), b"x").unwrap();
    let bad = src.join("a").join(OsStr::from_bytes(b"caf\xe9"));
    fs::write(&bad, b"x").unwrap();
    let e = q
        .upload_dir(&src, "p/", UploadOptions::default())
        .unwrap_err();
    assert!(matches!(e, Error::InvalidArgument { .. }), "{e:?}");
    assert!(e.to_string().contains("not UTF-8"), "{e}");
    assert!(e.to_string().contains(&bad.display().to_string()), "{e}");
    assert!(q.tasks().is_empty());

    for (name, want) in [
        ("back\\slash", "'\\'"),
        ("ctl\u{1}char", "U+0001"),
        ("new\nline", "U+000A"),
    ] {
        let src = env.path("names");
        let _ = fs::remove_dir_all(&src);
        fs::create_dir_all(&src).unwrap();
        fs::write(src.join("aaa"), b"x").unwrap();
        fs::write(src.join(name), b"x").unwrap();
        let e = q
            .upload_dir(&src, "p/", UploadOptions::default())
            .unwrap_err();
        assert!(
            e.to_string()
                .contains(&src.join(name).display().to_string()),
            "{e}"
        );
        assert!(e.to_string().contains(want), "{e}");
        assert!(q.tasks().is_empty());
    }
    // A prefix that makes every key invalid.
    let src = env.path("plain");
    fs::create_dir_all(&src).unwrap();
    fs::write(src.join("f"), b"x").unwrap();
    let e = q
        .upload_dir(&src, "/abs/", UploadOptions::default())
        .unwrap_err();
    assert!(e.to_string().contains("\"/abs/f\""), "{e}");
    // Too long a key.
    let e = q
        .upload_dir(&src, &"k".repeat(850), UploadOptions::default())
        .unwrap_err();
    assert!(e.to_string().contains("850"), "{e}");
    // Not a directory.
    let e = q
        .upload_dir(&src.join("f"), "p/", UploadOptions::default())
        .unwrap_err();
    assert!(e.to_string().contains("not a directory"), "{e}");
    assert!(q.tasks().is_empty());
    assert!(keys(&c, "").is_empty(), "nothing uploaded");
}

#[test]
fn a_queue_too_small_for_the_tree_queues_nothing() {
    let env = start();
    let c = env.client("small-1250000007", |cfg| cfg.upload_queue_size = 2);
    let q = Queue::new(c.clone()).unwrap();
    let src = env.path("three");
    fs::create_dir_all(&src).unwrap();
    for n in ["1", "2", "3"] {
        fs::write(src.join(n), n).unwrap();
    }
    let e = q
        .upload_dir(&src, "t/", UploadOptions::default())
        .unwrap_err();
    assert!(matches!(e, Error::InvalidState(_)), "{e:?}");
    assert!(e.to_string().contains("upload_queue_size is 2"), "{e}");
    assert!(q.tasks().is_empty());
    for n in ["1", "2", "3"] {
        put(&c, &format!("t/{n}"), n.as_bytes());
    }
    let dst = env.path("back");
    let e = q
        .download_prefix("t/", &dst, DownloadOptions::default())
        .unwrap_err();
    assert!(matches!(e, Error::InvalidState(_)), "{e:?}");
    assert!(q.tasks().is_empty());
    assert!(!dst.exists());
    // Shut down: refused.
    q.shutdown();
    let e = q
        .upload_dir(&src, "t/", UploadOptions::default())
        .unwrap_err();
    assert!(matches!(e, Error::InvalidState(_)), "{e:?}");
}
