//! The fuzz checks on stable Rust: every input kept under
//! `tests/reliability_fuzz/regressions/<target>/` (inputs that once crashed a target, and
//! seeds), then a deterministic random-input driver (seeded byte strings biased towards
//! the interesting characters and XML fragments) for a bounded number of inputs per
//! target. cargo-fuzz runs the same checks coverage-guided: `scripts/fuzz.sh`.

#[path = "reliability_fuzz/checks.rs"]
mod checks;

use std::path::Path;

fn run_file(target: &str, f: fn(&[u8]), path: &Path) {
    let data = std::fs::read(path).unwrap();
    let r = std::panic::catch_unwind(|| f(&data));
    assert!(
        r.is_ok(),
        "{target}: regression input {} fails",
        path.display()
    );
}

#[test]
fn regression_inputs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reliability_fuzz/regressions");
    let mut n = 0;
    for (name, f) in checks::TARGETS {
        let dir = root.join(name);
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in rd {
            run_file(name, *f, &e.unwrap().path());
            n += 1;
        }
    }
    assert!(n > 0, "no regression inputs found under {}", root.display());
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const PIECES: &[&str] = &[
    "<",
    ">",
    "</",
    "/>",
    "&amp;",
    "&#13;",
    "&#0;",
    "&#xFFFE;",
    "&lt;",
    "<?xml version='1.0'?>",
    "<Error>",
    "</Error>",
    "<Code>",
    "</Code>",
    "<Message>",
    "<ListBucketResult>",
    "<Contents>",
    "<Key>",
    "</Key>",
    "<Size>",
    "18446744073709551616",
    "-1",
    "<EncodingType>url</EncodingType>",
    "<IsTruncated>true</IsTruncated>",
    "<UploadId>",
    "<ETag>",
    "\"",
    "%",
    "%2",
    "%E2%82",
    "%2F",
    "%ZZ",
    "/",
    "..",
    ".",
    "./",
    "\\",
    "\r\n",
    "\0",
    "\u{7f}",
    "\u{85}",
    "\u{FFFE}",
    "\u{FFFF}",
    "é",
    "𝄞",
    "q-sign-algorithm=sha1",
    "&",
    "=",
    ";",
    "q-ak=",
    "q-key-time=1;2",
    "q-sign-time=",
    "q-header-list=",
    "q-signature=",
    "+",
    " ",
    "?",
    "#",
    "http://",
    "https://",
    "{bucket}",
    "{region}",
    ":",
    "[::1]",
    "Sun, 06 Nov 1994 08:49:37 GMT",
    "\u{ff}",
];

fn input(rng: &mut Rng) -> Vec<u8> {
    let mut v = Vec::new();
    let parts = rng.below(24);
    for _ in 0..parts {
        match rng.below(4) {
            0 => {
                for _ in 0..rng.below(8) {
                    v.push(rng.next() as u8);
                }
            }
            1 => v.push(0xFF), // field separator of the checks
            _ => v.extend_from_slice(PIECES[rng.below(PIECES.len())].as_bytes()),
        }
    }
    v
}

#[test]
fn deterministic_random_inputs() {
    let per_target: usize = std::env::var("QCOS_FUZZ_ITERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3000);
    for (i, (name, f)) in checks::TARGETS.iter().enumerate() {
        let mut rng = Rng(0x5EED ^ i as u64);
        for n in 0..per_target {
            let data = input(&mut rng);
            let r = std::panic::catch_unwind(|| f(&data));
            assert!(
                r.is_ok(),
                "{name}: input #{n} fails; keep it as a regression: {:?}",
                String::from_utf8_lossy(&data)
            );
        }
    }
}

/// Found by the key_encoding target: a key valid for COS can contain U+FFFE or U+FFFF,
/// which no XML 1.0 document can carry, so Delete Multiple Objects would send malformed
/// XML. It is refused up front, naming the key and the way out.
#[test]
fn delete_objects_refuses_keys_xml_cannot_carry() {
    let mut cfg = qcos::Config::new("ap-guangzhou", "b-1250000000");
    cfg.credentials = Some(qcos::auth::Credentials::new("AKIDx", "secret"));
    let client = qcos::Client::new(cfg).unwrap();
    for key in ["a\u{FFFE}b", "\u{FFFF}"] {
        assert!(qcos::encode::validate_key(key).is_ok());
        let e = client
            .delete_objects_request(&["fine", key], true)
            .unwrap_err();
        assert_eq!(e.status(), qcos::Status::InvalidArgument);
        assert!(e.to_string().contains("delete_object"), "{e}");
    }
    assert!(
        client
            .delete_objects_request(&["fine", "a/é/𝄞"], true)
            .is_ok()
    );
}

/// Found by the post_policy target: a key prefix containing `${filename}` built a policy
/// that its own form could never satisfy (COS replaces every `${filename}` in the form's
/// key, not in the condition). Refused when building.
#[test]
fn post_policy_refuses_a_prefix_with_filename_placeholder() {
    use qcos::auth::{Credentials, KeyTime, Match, PostPolicyInput, post_policy};
    let creds = Credentials::new("AKIDx", "secret");
    let kt = KeyTime {
        start: 1_700_000_000,
        end: 1_700_000_600,
    };
    let e = post_policy(
        &creds,
        kt,
        &PostPolicyInput::new("b-1250000000", Match::Prefix("up/${filename}/x")),
    )
    .unwrap_err();
    assert_eq!(e.status(), qcos::Status::InvalidArgument);
    assert!(e.to_string().contains("${filename}"), "{e}");
    assert!(
        post_policy(
            &creds,
            kt,
            &PostPolicyInput::new("b-1250000000", Match::Prefix("up/"))
        )
        .is_ok()
    );
}
