//! Memory that held the SecretKey is cleared before it is freed (issue 7).
//!
//! This test binary installs a global allocator that scans every block on `dealloc` for
//! a canary SecretKey (and counts blocks holding the canary token, which is sent as a
//! request header and so is copied into buffers of the HTTP stack: reported only). The client is configured (through the Rust API and the
//! C API), signs requests (sent to a closed loopback port, so they are signed but go
//! nowhere), presigns a URL, and is freed; no freed block may still contain the
//! canary key. A copy of a secret that escaped its zeroizing `Secret` wrapper shows up here.
//!
//! One `#[test]` only: the allocator is global to this binary.

use std::alloc::{GlobalAlloc, Layout, System};
use std::ffi::CString;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

const KEY: &[u8] = b"QcosCanarySecretKey7f3a9bXYZ";
const TOKEN: &[u8] = b"QcosCanaryToken+4e1d/8c2a=";

static ARMED: AtomicBool = AtomicBool::new(false);
static KEY_FREED: AtomicUsize = AtomicUsize::new(0);
static TOKEN_FREED: AtomicUsize = AtomicUsize::new(0);

struct Scanning;

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.len() >= needle.len() && hay.windows(needle.len()).any(|w| w == needle)
}

unsafe impl GlobalAlloc for Scanning {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if ARMED.load(Ordering::Relaxed) {
            // SAFETY: the block is still ours until System.dealloc below.
            let block = unsafe { std::slice::from_raw_parts(ptr, layout.size()) };
            if contains(block, KEY) {
                KEY_FREED.fetch_add(1, Ordering::Relaxed);
            }
            if contains(block, TOKEN) {
                TOKEN_FREED.fetch_add(1, Ordering::Relaxed);
            }
        }
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Scanning = Scanning;

/// A loopback port with nothing listening (bound, then closed).
fn closed_port() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    format!("http://127.0.0.1:{port}")
}

fn exercise_rust_api(endpoint: &str) {
    use qcos::auth::Credentials;
    let key = std::str::from_utf8(KEY).unwrap();
    let token = std::str::from_utf8(TOKEN).unwrap();
    let mut cfg = qcos::Config::new("ap-guangzhou", "canary-1250000000");
    cfg.endpoint = Some(endpoint.to_string());
    cfg.max_retries = 0;
    cfg.credentials = Some(Credentials::temporary(
        "AKIDcanary",
        key,
        token,
        None,
        4_102_444_800,
    ));
    let client = qcos::Client::new(cfg).unwrap();
    let clone = client.clone();
    for _ in 0..3 {
        let e = clone.head_object("k", &Default::default()).unwrap_err();
        assert_eq!(e.status(), qcos::Status::Network, "{e}");
        let e = clone
            .put_object("k", qcos::Body::Bytes(b"x"), &Default::default())
            .unwrap_err();
        assert_eq!(e.status(), qcos::Status::Network, "{e}");
    }
    drop(clone);
    drop(client);
}

fn exercise_c_api(endpoint: &str) {
    use qcos::ffi::client::{qcos_client_free, qcos_client_head_object, qcos_client_new};
    use qcos::ffi::config::{
        qcos_config_new, qcos_config_set_endpoint, qcos_config_set_max_retries,
        qcos_config_set_temporary_credentials,
    };
    let c = |b: &[u8]| CString::new(b).unwrap();
    let (region, bucket, id) = (
        c(b"ap-guangzhou"),
        c(b"canary-1250000000"),
        c(b"AKIDcanary"),
    );
    let (key, token, ep, obj) = (c(KEY), c(TOKEN), c(endpoint.as_bytes()), c(b"k"));
    let mut cfg = std::ptr::null_mut();
    assert_eq!(
        qcos_config_new(region.as_ptr(), bucket.as_ptr(), &mut cfg),
        qcos::Status::Ok
    );
    assert_eq!(qcos_config_set_endpoint(cfg, ep.as_ptr()), qcos::Status::Ok);
    assert_eq!(qcos_config_set_max_retries(cfg, 0), qcos::Status::Ok);
    assert_eq!(
        qcos_config_set_temporary_credentials(
            cfg,
            id.as_ptr(),
            key.as_ptr(),
            token.as_ptr(),
            0,
            4_102_444_800
        ),
        qcos::Status::Ok
    );
    let mut client = std::ptr::null();
    assert_eq!(qcos_client_new(cfg, &mut client), qcos::Status::Ok);
    let mut info = std::ptr::null_mut();
    let st = qcos_client_head_object(client, obj.as_ptr(), std::ptr::null(), &mut info);
    assert_eq!(st, qcos::Status::Network);
    qcos_client_free(client);
    // The CStrings above are test-owned copies: clear them ourselves before they drop.
    for s in [key, token] {
        let mut v = s.into_bytes();
        v.iter_mut().for_each(|b| *b = 0);
    }
}

#[test]
fn secrets_are_cleared_before_their_memory_is_freed() {
    let endpoint = closed_port();
    ARMED.store(true, Ordering::SeqCst);
    exercise_rust_api(&endpoint);
    exercise_c_api(&endpoint);
    ARMED.store(false, Ordering::SeqCst);
    assert_eq!(
        KEY_FREED.load(Ordering::SeqCst),
        0,
        "a block holding the SecretKey was freed without being cleared"
    );
    // The token is different: it travels in the `x-cos-security-token` header, so the
    // HTTP stack's request buffers hold copies we do not own. Report, do not assert.
    eprintln!(
        "info: {} freed block(s) held the security token (request header buffers)",
        TOKEN_FREED.load(Ordering::SeqCst)
    );
}
