//! Signing for others, in C: `qcos_sign` (an Authorization for a request someone else
//! sends, the seed's `COS.getAuthorization`), `qcos_presign_url` (the seed's
//! `getObjectUrl`) and `qcos_post_policy` (the form fields of a browser POST upload).
//! The logic lives in `crate::auth::{presign, post_policy}`; this is the C shell.
//!
//! All three use the client's bucket, addressing (`UrlBase::for_config`), current
//! credentials (its provider is asked when they are missing or about to expire) and
//! server-corrected clock. The signature window is `[now - 60 s, now + expires]`
//! (back-dated a minute against clock skew, as the client's own requests are), or
//! `[start, start + expires]` when a start time is set; with temporary credentials it
//! never outlasts them.

use std::ffi::{CString, c_char};

use super::args::{
    Poisonable, arg_mut, arg_opt_ref, arg_out, arg_ref, arg_str, copy_out, free_box, into_box,
};
use super::client::qcos_client;
use super::entry::{entry, entry_value};
use super::last_error::c_string;
use crate::auth::{
    AuthForm, AuthInput, KeyTime, Match, PostPolicyInput, PresignInput, UrlBase, authorize,
    parse_authorization, post_policy, presign_url,
};
use crate::client::Client;
use crate::error::{Error, Result, Status};

/// Default lifetime of a signature, URL or policy: 900 s (the seed SDK's).
const DEFAULT_EXPIRES: i64 = 900;

/// Where `qcos_sign` puts the signature (`qcos_sign_options_set_form`).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum qcos_sign_form {
    /// The `Authorization` header (the default of `qcos_sign`). With temporary
    /// credentials the request must also send the header `x-cos-security-token`,
    /// which is signed: `qcos_signature_header_*` list it.
    Header = 0,
    /// The seven `q-*` fields as query parameters (the default of
    /// `qcos_presign_url`). With temporary credentials `x-cos-security-token` follows
    /// as a signed, percent-encoded query parameter.
    Query = 1,
    /// One `sign=` query parameter holding the encoded Authorization (the
    /// mini-program guide's form), then the token as for `QUERY`.
    SignParam = 2,
}

fn form_from(v: u32) -> Result<AuthForm> {
    match v {
        0 => Ok(AuthForm::Header),
        1 => Ok(AuthForm::Query),
        2 => Ok(AuthForm::SignParam),
        _ => Err(Error::invalid(
            "form",
            format!("{v} is not a qcos_sign_form (0 HEADER, 1 QUERY, 2 SIGN_PARAM)"),
        )),
    }
}

#[derive(Clone)]
pub(crate) struct SignOpts {
    params: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    expires: i64,
    start_time: Option<i64>,
    form: Option<AuthForm>,
    sign: bool,
}

impl Default for SignOpts {
    fn default() -> Self {
        SignOpts {
            params: Vec::new(),
            headers: Vec::new(),
            expires: DEFAULT_EXPIRES,
            start_time: None,
            form: None,
            sign: true,
        }
    }
}

/// Options of `qcos_sign` and `qcos_presign_url`: query parameters and headers to
/// sign, lifetime, start time, form. Pass NULL instead of a handle for all defaults.
/// A call copies what it needs, so one handle may serve many calls.
///
/// Methods: `qcos_sign_options_new`, `qcos_sign_options_free`,
/// `qcos_sign_options_add_param`, `_add_header`, `_set_expires`, `_set_start_time`,
/// `_set_form`, `_set_signed`.
///
/// Thread: one thread at a time; calls only read it, so several threads may pass the
/// same options at once if none modifies it meanwhile.
pub struct qcos_sign_options {
    inner: Poisonable<SignOpts>,
}

fn sign_update(
    opts: *mut qcos_sign_options,
    f: impl FnOnce(&mut SignOpts) -> Result<()>,
) -> Result<()> {
    arg_mut(opts, "opts")?.inner.with(f)
}

fn sign_opts(p: *const qcos_sign_options) -> Result<SignOpts> {
    match arg_opt_ref(p) {
        None => Ok(SignOpts::default()),
        Some(o) => o.inner.get().cloned(),
    }
}

fn check_expires(secs: i64) -> Result<()> {
    // Up to 100 years: beyond that an ISO 8601 expiration may leave the 4-digit years.
    if !(1..=100 * 366 * 86_400).contains(&secs) {
        return Err(Error::invalid(
            "expires",
            format!("{secs} s is not a lifetime (1 s to 100 years)"),
        ));
    }
    Ok(())
}

fn check_start(secs: i64) -> Result<()> {
    if !(0..=253_402_300_799).contains(&secs) {
        return Err(Error::invalid(
            "start_time",
            format!("{secs} is not a Unix time between 1970 and 9999"),
        ));
    }
    Ok(())
}

/// The window: `[start, start + expires]`, or `[now - 60, now + expires]`.
fn window(c: &Client, start: Option<i64>, expires: i64) -> Result<KeyTime> {
    let (s, base) = match start {
        Some(s) => (s, s),
        None => {
            let now = c.http().now();
            (now - 60, now)
        }
    };
    let end = base
        .checked_add(expires)
        .ok_or_else(|| Error::invalid("expires", "the window ends after the year 9999"))?;
    Ok(KeyTime { start: s, end })
}

/// Create signing options with every default: nothing extra signed, 900 s, starting
/// now (minus 60 s), the call's default form, signed.
///
/// `opts_out`: receives the handle; release it with `qcos_sign_options_free`.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` when `opts_out` is NULL.
/// Thread: any thread.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_sign_options_new(opts_out: *mut *mut qcos_sign_options) -> Status {
    entry(|| {
        arg_out(opts_out, "opts_out")?.write(into_box(qcos_sign_options {
            inner: Poisonable::new(SignOpts::default()),
        }));
        Ok(())
    })
}

/// Release signing options. NULL does nothing.
///
/// Thread: any thread, once no other thread uses `opts`.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_sign_options_free(opts: *mut qcos_sign_options) {
    entry_value((), || {
        free_box(opts);
        Ok(())
    })
}

/// Add a query parameter to sign (and, for `qcos_presign_url`, to put in the URL),
/// e.g. "response-content-disposition" = "attachment". A sub-resource flag such as
/// "uploads" has value "". Order is kept; names are unique (case-insensitively).
/// The names `sign` and `q-*` are reserved.
///
/// `name`, `value`: NUL-terminated UTF-8, copied.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL, bad UTF-8, empty
/// name); the options are then unchanged. Thread: one thread at a time per options.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_sign_options_add_param(
    opts: *mut qcos_sign_options,
    name: *const c_char,
    value: *const c_char,
) -> Status {
    entry(|| {
        let name = arg_str(name, "name")?;
        let value = arg_str(value, "value")?;
        if name.is_empty() {
            return Err(Error::invalid("name", "the parameter name is empty"));
        }
        sign_update(opts, |o| {
            o.params.push((name.to_string(), value.to_string()));
            Ok(())
        })
    })
}

/// Add a header to sign, e.g. "Content-Type" = "image/png". `Host` is always signed
/// (the client's host unless given here). `qcos_presign_url` signs every header
/// added, and whoever uses the URL must send exactly these values; `qcos_sign` signs
/// those the official SDKs sign (`host`, `x-cos-*`, `content-*`, `range`, `if-*`...)
/// and ignores others such as `User-Agent`, so a request's whole header list may be
/// passed.
///
/// `name`, `value`: NUL-terminated UTF-8, copied; a header token and a value without
/// CR, LF or control characters.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL, bad UTF-8, bad
/// name or value); the options are then unchanged. Thread: one thread at a time per
/// options.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_sign_options_add_header(
    opts: *mut qcos_sign_options,
    name: *const c_char,
    value: *const c_char,
) -> Status {
    entry(|| {
        let name = arg_str(name, "name")?;
        let value = arg_str(value, "value")?;
        crate::encode::validate_header(name, value)?;
        sign_update(opts, |o| {
            o.headers.push((name.to_string(), value.to_string()));
            Ok(())
        })
    })
}

/// How long the signature or URL is valid, in seconds after its start. Default 900.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL, `secs` not in 1 s
/// to 100 years). Thread: one thread at a time per options.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_sign_options_set_expires(opts: *mut qcos_sign_options, secs: i64) -> Status {
    entry(|| {
        check_expires(secs)?;
        sign_update(opts, |o| {
            o.expires = secs;
            Ok(())
        })
    })
}

/// Start the window at `unix_secs` (a pinned time: tests, or a URL valid from later)
/// instead of now minus 60 s; it then ends at `unix_secs + expires`.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL, a time before
/// 1970 or after 9999). Thread: one thread at a time per options.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_sign_options_set_start_time(
    opts: *mut qcos_sign_options,
    unix_secs: i64,
) -> Status {
    entry(|| {
        check_start(unix_secs)?;
        sign_update(opts, |o| {
            o.start_time = Some(unix_secs);
            Ok(())
        })
    })
}

/// Where the signature goes: a `qcos_sign_form` value. Default: `HEADER` for
/// `qcos_sign`, `QUERY` for `qcos_presign_url` (which refuses `HEADER`).
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL, unknown value).
/// Thread: one thread at a time per options.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_sign_options_set_form(opts: *mut qcos_sign_options, form: u32) -> Status {
    entry(|| {
        let f = form_from(form)?;
        sign_update(opts, |o| {
            o.form = Some(f);
            Ok(())
        })
    })
}

/// `qcos_presign_url` only: `false` gives a plain URL (with the parameters, without
/// signature or token) for public objects. Default `true`.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` when `opts` is NULL.
/// Thread: one thread at a time per options.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_sign_options_set_signed(opts: *mut qcos_sign_options, sign: bool) -> Status {
    entry(|| {
        sign_update(opts, |o| {
            o.sign = sign;
            Ok(())
        })
    })
}

fn pairs(v: &[(String, String)]) -> Vec<(&str, &str)> {
    v.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// Overwrite a string that may hold the security token before it is freed.
fn wipe(s: &mut CString) {
    let mut v = std::mem::take(s).into_bytes();
    zeroize::Zeroize::zeroize(&mut v);
}

/// An Authorization computed by `qcos_sign`.
///
/// Strings from the accessors are owned by the signature and valid until
/// `qcos_signature_free`.
///
/// Methods: `qcos_signature_authorization`, `_query`, `_header_count`,
/// `_header_name`, `_header_value`, `_start_time`, `_end_time`,
/// `qcos_signature_free`.
///
/// Thread: immutable; any number of threads may read it at once.
pub struct qcos_signature {
    authorization: CString,
    query: CString,
    headers: Vec<(CString, CString)>,
    key_time: KeyTime,
}

impl Drop for qcos_signature {
    fn drop(&mut self) {
        wipe(&mut self.query);
        for (_, v) in &mut self.headers {
            wipe(v);
        }
    }
}

/// Compute the Authorization for a request that someone else will send (a browser,
/// a mini program, another service), signed with the client's credentials: every
/// query parameter and the eligible headers of `opts`, `Host`, and the security token
/// when the credentials are temporary.
///
/// `client`: borrowed. `method`: e.g. "PUT". `key`: the object key, or "" for the
/// bucket itself. `opts`: borrowed, or NULL for defaults (header form, 900 s from
/// now). `sig_out`: receives the signature on success; release it with
/// `qcos_signature_free`.
///
/// What to send: with the header form, `Authorization: <qcos_signature_authorization>`
/// plus every `qcos_signature_header_*` pair (`Host` when none was given in `opts`,
/// `x-cos-security-token` with temporary credentials) plus the signed headers of
/// `opts`, exactly. With the query forms, append `qcos_signature_query` to the
/// request's own query string (which must hold the parameters of `opts`).
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL, bad UTF-8, bad
/// method or key, duplicate or reserved parameter, a start after the end);
/// `QCOS_STATUS_AUTH` (no credentials, a provider failure, temporary credentials that
/// expire before the window starts).
///
/// Thread: any thread. It may call the client's credentials provider (on this
/// thread); no request is sent.
///
/// ```c
/// qcos_signature *sig = NULL;
/// if (qcos_sign(client, "PUT", "uploads/a.png", NULL, &sig) == QCOS_STATUS_OK) {
///     printf("Authorization: %s\n", qcos_signature_authorization(sig));
///     qcos_signature_free(sig);
/// }
/// ```
#[unsafe(no_mangle)]
pub extern "C" fn qcos_sign(
    client: *const qcos_client,
    method: *const c_char,
    key: *const c_char,
    opts: *const qcos_sign_options,
    sig_out: *mut *mut qcos_signature,
) -> Status {
    entry(|| {
        let c = &arg_ref(client, "client")?.inner;
        let method = arg_str(method, "method")?;
        let key = arg_str(key, "key")?;
        let o = sign_opts(opts)?;
        let out = arg_out(sig_out, "sig_out")?;
        let base = UrlBase::for_config(c.config())?;
        let creds = c.http().credentials()?;
        let kt = window(c, o.start_time, o.expires)?;
        let params = pairs(&o.params);
        let headers = pairs(&o.headers);
        let mut a = authorize(
            &creds,
            kt,
            &base,
            o.form.unwrap_or(AuthForm::Header),
            &AuthInput {
                method,
                key,
                params: &params,
                headers: &headers,
            },
        )?;
        let key_time = parse_authorization(&a.authorization)?.key_time;
        out.write(into_box(qcos_signature {
            authorization: c_string(&a.authorization),
            query: c_string(&a.query),
            headers: a
                .headers
                .iter()
                .map(|(k, v)| (c_string(k), c_string(v)))
                .collect(),
            key_time,
        }));
        // The signature holds its own copies (wiped by its Drop); clear these.
        a.wipe();
        Ok(())
    })
}

/// The `Authorization` string; NULL when `sig` is NULL. Owned by `sig`.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_signature_authorization(sig: *const qcos_signature) -> *const c_char {
    entry_value(std::ptr::null(), || {
        Ok(arg_ref(sig, "sig")?.authorization.as_ptr())
    })
}

/// The query string to append for the `QUERY` and `SIGN_PARAM` forms (no leading
/// `?` or `&`), "" for the header form; NULL when `sig` is NULL. Owned by `sig`.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_signature_query(sig: *const qcos_signature) -> *const c_char {
    entry_value(std::ptr::null(), || Ok(arg_ref(sig, "sig")?.query.as_ptr()))
}

/// The number of headers the request must carry besides those of the options (header
/// form only); 0 when `sig` is NULL.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_signature_header_count(sig: *const qcos_signature) -> usize {
    entry_value(0, || Ok(arg_ref(sig, "sig")?.headers.len()))
}

fn at<T>(v: &[T], i: usize) -> Result<&T> {
    v.get(i)
        .ok_or_else(|| Error::invalid("index", format!("{i} is out of range (count {})", v.len())))
}

/// The name of header `index`, or NULL when `sig` is NULL or `index` is out of
/// range. Owned by `sig`.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_signature_header_name(
    sig: *const qcos_signature,
    index: usize,
) -> *const c_char {
    entry_value(std::ptr::null(), || {
        Ok(at(&arg_ref(sig, "sig")?.headers, index)?.0.as_ptr())
    })
}

/// The value of header `index`, or NULL when `sig` is NULL or `index` is out of
/// range. Owned by `sig`.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_signature_header_value(
    sig: *const qcos_signature,
    index: usize,
) -> *const c_char {
    entry_value(std::ptr::null(), || {
        Ok(at(&arg_ref(sig, "sig")?.headers, index)?.1.as_ptr())
    })
}

/// When the signature becomes valid (Unix seconds); 0 when `sig` is NULL.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_signature_start_time(sig: *const qcos_signature) -> i64 {
    entry_value(0, || Ok(arg_ref(sig, "sig")?.key_time.start))
}

/// When the signature expires (Unix seconds); 0 when `sig` is NULL. It is earlier
/// than asked when temporary credentials expire first.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_signature_end_time(sig: *const qcos_signature) -> i64 {
    entry_value(0, || Ok(arg_ref(sig, "sig")?.key_time.end))
}

/// Release a signature (its copy of the security token is overwritten). NULL does
/// nothing.
///
/// Thread: any thread, once no other thread uses `sig`.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_signature_free(sig: *mut qcos_signature) {
    entry_value((), || {
        free_box(sig);
        Ok(())
    })
}

/// Build a presigned URL for `method` on `key` (the seed's `getObjectUrl`): anyone
/// holding it can make that one request until it expires, without credentials.
///
/// Layout: `{scheme}://{host}/{encoded key}?{q-* fields | sign=...}[&{params of
/// opts}][&x-cos-security-token=...]`. The host follows the client's configuration
/// (default host, `domain` template, accelerate, or the endpoint with the bucket in
/// the path). Every parameter of `opts` is signed; so are `host` and every header of
/// `opts`, which the user of the URL must send. With temporary credentials the token
/// is signed and percent-encoded (a `+`, `/` or `=` survives). The SecretKey never
/// appears in the URL.
///
/// `client`: borrowed. `method`: e.g. "GET" or "PUT". `key`: the object key ("" for
/// the bucket). `opts`: borrowed, or NULL for defaults (q-* form, 900 s). `buf`,
/// `cap`: the caller's buffer, borrowed; `(NULL, 0)` asks only for the length.
/// `len_out`: required; receives the URL's length without its NUL, on success and on
/// `QCOS_STATUS_BUFFER_TOO_SMALL` (the one case an output is written on failure; then
/// allocate `*len_out + 1` bytes and call again — the URL changes if the start time
/// is not pinned, but not its length unless a second passes a digit boundary, so
/// allocate a little more).
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_BUFFER_TOO_SMALL`;
/// `QCOS_STATUS_INVALID_ARGUMENT` (NULL, bad UTF-8, bad method/key/parameter/header,
/// the `HEADER` form); `QCOS_STATUS_AUTH` (no credentials, provider failure, expired
/// temporary credentials).
///
/// Thread: any thread; may call the credentials provider on this thread; sends no
/// request.
///
/// ```c
/// char url[2048]; size_t n;
/// if (qcos_presign_url(client, "GET", "report.pdf", NULL, url, sizeof url, &n) == QCOS_STATUS_OK)
///     puts(url);
/// ```
#[unsafe(no_mangle)]
pub extern "C" fn qcos_presign_url(
    client: *const qcos_client,
    method: *const c_char,
    key: *const c_char,
    opts: *const qcos_sign_options,
    buf: *mut c_char,
    cap: usize,
    len_out: *mut usize,
) -> Status {
    entry(|| {
        let c = &arg_ref(client, "client")?.inner;
        let method = arg_str(method, "method")?;
        let key = arg_str(key, "key")?;
        let o = sign_opts(opts)?;
        let base = UrlBase::for_config(c.config())?;
        let creds = if o.sign {
            Some(c.http().credentials()?)
        } else {
            None
        };
        let kt = window(c, o.start_time, o.expires)?;
        let params = pairs(&o.params);
        let headers = pairs(&o.headers);
        let mut url = presign_url(
            creds.as_ref(),
            kt,
            &base,
            &PresignInput {
                method,
                key,
                params: &params,
                headers: &headers,
                sign: o.sign,
                form: o.form.unwrap_or(AuthForm::Query),
            },
        )?;
        let r = copy_out(&url, buf, cap, len_out);
        zeroize::Zeroize::zeroize(&mut url);
        r
    })
}

#[derive(Clone)]
pub(crate) struct PolicyOpts {
    key: Option<(String, bool)>,
    range: Option<(u64, u64)>,
    content_type: Option<(String, bool)>,
    status: Option<u16>,
    fields: Vec<(String, String)>,
    expires: i64,
    start_time: Option<i64>,
}

impl Default for PolicyOpts {
    fn default() -> Self {
        PolicyOpts {
            key: None,
            range: None,
            content_type: None,
            status: None,
            fields: Vec::new(),
            expires: DEFAULT_EXPIRES,
            start_time: None,
        }
    }
}

/// What a POST Object upload may do: the key (exact or prefix, required), body size
/// range, content type, success status, more exact fields, lifetime.
///
/// Methods: `qcos_post_policy_options_new`, `_free`, `_set_key`, `_set_key_prefix`,
/// `_set_content_length_range`, `_set_content_type`, `_set_content_type_prefix`,
/// `_set_success_action_status`, `_add_field`, `_set_expires`, `_set_start_time`.
///
/// Thread: one thread at a time; `qcos_post_policy` only reads it.
pub struct qcos_post_policy_options {
    inner: Poisonable<PolicyOpts>,
}

fn policy_update(
    opts: *mut qcos_post_policy_options,
    f: impl FnOnce(&mut PolicyOpts) -> Result<()>,
) -> Result<()> {
    arg_mut(opts, "opts")?.inner.with(f)
}

/// Create POST policy options: no key yet (set one), no size or type limit, 900 s
/// from now.
///
/// `opts_out`: receives the handle; release it with `qcos_post_policy_options_free`.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` when `opts_out` is NULL.
/// Thread: any thread.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_post_policy_options_new(
    opts_out: *mut *mut qcos_post_policy_options,
) -> Status {
    entry(|| {
        arg_out(opts_out, "opts_out")?.write(into_box(qcos_post_policy_options {
            inner: Poisonable::new(PolicyOpts::default()),
        }));
        Ok(())
    })
}

/// Release POST policy options. NULL does nothing.
///
/// Thread: any thread, once no other thread uses `opts`.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_post_policy_options_free(opts: *mut qcos_post_policy_options) {
    entry_value((), || {
        free_box(opts);
        Ok(())
    })
}

fn set_string(
    opts: *mut qcos_post_policy_options,
    value: *const c_char,
    name: &'static str,
    f: impl FnOnce(&mut PolicyOpts, String),
) -> Status {
    entry(|| {
        let v = arg_str(value, name)?.to_string();
        policy_update(opts, |o| {
            f(o, v);
            Ok(())
        })
    })
}

/// Allow exactly this key. Replaces an earlier key or prefix.
///
/// `key`: NUL-terminated UTF-8, copied; checked by `qcos_post_policy`.
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL, bad UTF-8).
/// Thread: one thread at a time per options.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_post_policy_options_set_key(
    opts: *mut qcos_post_policy_options,
    key: *const c_char,
) -> Status {
    set_string(opts, key, "key", |o, v| o.key = Some((v, false)))
}

/// Allow any key starting with `prefix` ("" allows any key in the bucket). The form's
/// `key` field is then `prefix${filename}` (COS puts the uploaded file's name there);
/// the uploader may replace it with any key under the prefix. Replaces an earlier key
/// or prefix.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL, bad UTF-8).
/// Thread: one thread at a time per options.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_post_policy_options_set_key_prefix(
    opts: *mut qcos_post_policy_options,
    prefix: *const c_char,
) -> Status {
    set_string(opts, prefix, "prefix", |o, v| o.key = Some((v, true)))
}

/// Limit the body to `min..=max` bytes (`content-length-range`).
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL, `min > max`).
/// Thread: one thread at a time per options.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_post_policy_options_set_content_length_range(
    opts: *mut qcos_post_policy_options,
    min: u64,
    max: u64,
) -> Status {
    entry(|| {
        if min > max {
            return Err(Error::invalid(
                "content_length_range",
                format!("the minimum {min} is larger than the maximum {max}"),
            ));
        }
        policy_update(opts, |o| {
            o.range = Some((min, max));
            Ok(())
        })
    })
}

/// Require exactly this `Content-Type`; it is also put in the form fields.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL, bad UTF-8).
/// Thread: one thread at a time per options.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_post_policy_options_set_content_type(
    opts: *mut qcos_post_policy_options,
    content_type: *const c_char,
) -> Status {
    set_string(opts, content_type, "content_type", |o, v| {
        o.content_type = Some((v, false))
    })
}

/// Require a `Content-Type` starting with `prefix` (e.g. "image/"); the uploader adds
/// the `Content-Type` field itself.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL, bad UTF-8).
/// Thread: one thread at a time per options.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_post_policy_options_set_content_type_prefix(
    opts: *mut qcos_post_policy_options,
    prefix: *const c_char,
) -> Status {
    set_string(opts, prefix, "prefix", |o, v| {
        o.content_type = Some((v, true))
    })
}

/// The status COS answers a successful upload with: 200, 201 or 204 (COS's default
/// is 204). Becomes a condition and a form field.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL, another value).
/// Thread: one thread at a time per options.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_post_policy_options_set_success_action_status(
    opts: *mut qcos_post_policy_options,
    status: u16,
) -> Status {
    entry(|| {
        if !matches!(status, 200 | 201 | 204) {
            return Err(Error::invalid(
                "success_action_status",
                format!("{status} is not one of 200, 201, 204"),
            ));
        }
        policy_update(opts, |o| {
            o.status = Some(status);
            Ok(())
        })
    })
}

/// Add an exact condition that is also a form field: `x-cos-meta-*`, other `x-cos-*`
/// (e.g. "x-cos-storage-class"), `acl`, `Cache-Control`, `Content-Disposition`,
/// `Content-Encoding`, `Expires`, `success_action_redirect`. Checked by
/// `qcos_post_policy`.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL, bad UTF-8).
/// Thread: one thread at a time per options.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_post_policy_options_add_field(
    opts: *mut qcos_post_policy_options,
    name: *const c_char,
    value: *const c_char,
) -> Status {
    entry(|| {
        let name = arg_str(name, "name")?.to_string();
        let value = arg_str(value, "value")?.to_string();
        policy_update(opts, |o| {
            o.fields.push((name, value));
            Ok(())
        })
    })
}

/// How long the policy is valid, in seconds after its start. Default 900.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL, not 1 s to 100
/// years). Thread: one thread at a time per options.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_post_policy_options_set_expires(
    opts: *mut qcos_post_policy_options,
    secs: i64,
) -> Status {
    entry(|| {
        check_expires(secs)?;
        policy_update(opts, |o| {
            o.expires = secs;
            Ok(())
        })
    })
}

/// Start the policy's window at `unix_secs` instead of now minus 60 s.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL, before 1970 or
/// after 9999). Thread: one thread at a time per options.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_post_policy_options_set_start_time(
    opts: *mut qcos_post_policy_options,
    unix_secs: i64,
) -> Status {
    entry(|| {
        check_start(unix_secs)?;
        policy_update(opts, |o| {
            o.start_time = Some(unix_secs);
            Ok(())
        })
    })
}

fn match_of(v: &str, prefix: bool) -> Match<'_> {
    if prefix {
        Match::Prefix(v)
    } else {
        Match::Exact(v)
    }
}

/// The form of a POST Object upload, made by `qcos_post_policy`: where to POST and
/// the fields to send (in order, before the `file` part, which goes last).
///
/// Strings from the accessors are owned by the form and valid until
/// `qcos_post_form_free`.
///
/// Methods: `qcos_post_form_url`, `_field_count`, `_field_name`, `_field_value`,
/// `_get`, `_policy_json`, `qcos_post_form_free`.
///
/// Thread: immutable; any number of threads may read it at once.
pub struct qcos_post_form {
    url: CString,
    policy_json: CString,
    fields: Vec<(CString, CString)>,
}

impl Drop for qcos_post_form {
    fn drop(&mut self) {
        wipe(&mut self.policy_json);
        for (_, v) in &mut self.fields {
            wipe(v);
        }
    }
}

/// Make the form fields of a browser POST Object upload, signed with the client's
/// credentials: `key`, `policy` (Base64 of the policy JSON: expiration, bucket, key
/// or prefix, the options' conditions, `q-sign-algorithm`, `q-ak`, `q-sign-time`, and
/// the token for temporary credentials), `q-sign-algorithm`, `q-ak`, `q-key-time`,
/// `q-signature`, then `x-cos-security-token`, `Content-Type`,
/// `success_action_status` and the extra fields when they apply. The SecretKey
/// appears in none of them.
///
/// `client`: borrowed. `opts`: borrowed, required (it names the key). `form_out`:
/// receives the form; release it with `qcos_post_form_free`.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL, no key set, bad
/// key, prefix, content type or field, a field given twice); `QCOS_STATUS_AUTH` (no
/// credentials, provider failure, expired temporary credentials).
///
/// Thread: any thread; may call the credentials provider on this thread.
///
/// ```c
/// qcos_post_policy_options *po = NULL; qcos_post_form *form = NULL;
/// qcos_post_policy_options_new(&po);
/// qcos_post_policy_options_set_key_prefix(po, "uploads/2026/");
/// qcos_post_policy_options_set_content_length_range(po, 1, 10 << 20);
/// if (qcos_post_policy(client, po, &form) == QCOS_STATUS_OK) {
///     for (size_t i = 0; i < qcos_post_form_field_count(form); i++)
///         printf("%s=%s\n", qcos_post_form_field_name(form, i), qcos_post_form_field_value(form, i));
///     qcos_post_form_free(form);
/// }
/// qcos_post_policy_options_free(po);
/// ```
#[unsafe(no_mangle)]
pub extern "C" fn qcos_post_policy(
    client: *const qcos_client,
    opts: *const qcos_post_policy_options,
    form_out: *mut *mut qcos_post_form,
) -> Status {
    entry(|| {
        let c = &arg_ref(client, "client")?.inner;
        let o = arg_ref(opts, "opts")?.inner.get()?.clone();
        let out = arg_out(form_out, "form_out")?;
        let (key, prefix) = o.key.as_ref().ok_or_else(|| {
            Error::invalid(
                "key",
                "no key: call qcos_post_policy_options_set_key or _set_key_prefix",
            )
        })?;
        let base = UrlBase::for_config(c.config())?;
        let creds = c.http().credentials()?;
        let kt = window(c, o.start_time, o.expires)?;
        let fields = pairs(&o.fields);
        let mut p = post_policy(
            &creds,
            kt,
            &PostPolicyInput {
                bucket: &c.config().bucket,
                key: match_of(key, *prefix),
                content_length_range: o.range,
                content_type: o.content_type.as_ref().map(|(v, p)| match_of(v, *p)),
                success_action_status: o.status,
                fields: &fields,
            },
        )?;
        out.write(into_box(qcos_post_form {
            url: c_string(&base.object_url("")),
            policy_json: c_string(&p.json),
            fields: p
                .fields
                .iter()
                .map(|(k, v)| (c_string(k), c_string(v)))
                .collect(),
        }));
        // The form holds its own copies (wiped by its Drop); clear these.
        p.wipe();
        Ok(())
    })
}

/// The URL to POST the form to (the bucket's root, e.g.
/// `https://examplebucket-1250000000.cos.ap-beijing.myqcloud.com/`); NULL when `form`
/// is NULL. Owned by `form`.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_post_form_url(form: *const qcos_post_form) -> *const c_char {
    entry_value(std::ptr::null(), || Ok(arg_ref(form, "form")?.url.as_ptr()))
}

/// The policy document (JSON) whose Base64 is the `policy` field, for logging or
/// checking; NULL when `form` is NULL. Owned by `form`.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_post_form_policy_json(form: *const qcos_post_form) -> *const c_char {
    entry_value(std::ptr::null(), || {
        Ok(arg_ref(form, "form")?.policy_json.as_ptr())
    })
}

/// The number of form fields; 0 when `form` is NULL.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_post_form_field_count(form: *const qcos_post_form) -> usize {
    entry_value(0, || Ok(arg_ref(form, "form")?.fields.len()))
}

/// The name of field `index`, or NULL when `form` is NULL or `index` is out of range.
/// Owned by `form`.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_post_form_field_name(
    form: *const qcos_post_form,
    index: usize,
) -> *const c_char {
    entry_value(std::ptr::null(), || {
        Ok(at(&arg_ref(form, "form")?.fields, index)?.0.as_ptr())
    })
}

/// The value of field `index`, or NULL when `form` is NULL or `index` is out of
/// range. Owned by `form`.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_post_form_field_value(
    form: *const qcos_post_form,
    index: usize,
) -> *const c_char {
    entry_value(std::ptr::null(), || {
        Ok(at(&arg_ref(form, "form")?.fields, index)?.1.as_ptr())
    })
}

/// The value of the field named `name` (exact match, e.g. "q-signature"), or NULL
/// when there is none or `form`/`name` is NULL or not UTF-8. Owned by `form`.
///
/// Thread: any.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_post_form_get(
    form: *const qcos_post_form,
    name: *const c_char,
) -> *const c_char {
    entry_value(std::ptr::null(), || {
        let form = arg_ref(form, "form")?;
        let name = arg_str(name, "name")?;
        Ok(form
            .fields
            .iter()
            .find(|(k, _)| k.to_str() == Ok(name))
            .map_or(std::ptr::null(), |(_, v)| v.as_ptr()))
    })
}

/// Release a form (its copies of the token are overwritten). NULL does nothing.
///
/// Thread: any thread, once no other thread uses `form`.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_post_form_free(form: *mut qcos_post_form) {
    entry_value((), || {
        free_box(form);
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use std::ffi::{CStr, CString};
    use std::sync::Arc;

    use super::*;
    use crate::auth::{Credentials, sign_policy};
    use crate::config::Config;
    use crate::ffi::args::into_arc;
    use crate::ffi::client::qcos_client_free;
    use crate::ffi::last_error;

    const ID: &str = "AKIDQjz3ltompVjBni5LitkWHFlFpwkn9U5q";
    const KEY: &str = "BQYIM75p8x0iWVFSIgqEKwFprpRSVHlz";
    const BUCKET: &str = "examplebucket-1250000000";
    const TOKEN: &str = "tok+en/=x";
    const T0: i64 = 1_557_989_151;

    fn client(creds: Credentials) -> *const qcos_client {
        let mut cfg = Config::new("ap-beijing", BUCKET);
        cfg.credentials = Some(creds);
        let inner = Client::new(cfg).unwrap();
        // Pin the client's clock to the vectors' time: the temporary credentials of these
        // tests are valid around T0, and the client refuses credentials expired "now".
        let real_now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        inner.http().set_clock_offset(T0 + 1 - real_now);
        into_arc(Arc::new(qcos_client { inner }))
    }

    fn s(p: *const c_char) -> String {
        assert!(!p.is_null());
        unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_string()
    }

    fn c(v: &str) -> CString {
        CString::new(v).unwrap()
    }

    fn pinned_opts() -> *mut qcos_sign_options {
        let mut o = std::ptr::null_mut();
        assert_eq!(qcos_sign_options_new(&mut o), Status::Ok);
        assert_eq!(qcos_sign_options_set_start_time(o, T0), Status::Ok);
        assert_eq!(qcos_sign_options_set_expires(o, 600), Status::Ok);
        o
    }

    #[test]
    fn presign_url_matches_the_rust_api_and_uses_the_caller_buffer() {
        let cl = client(Credentials::temporary(ID, KEY, TOKEN, None, T0 + 10_000));
        let o = pinned_opts();
        let (n1, v1) = (c("response-content-type"), c("text/plain"));
        assert_eq!(
            qcos_sign_options_add_param(o, n1.as_ptr(), v1.as_ptr()),
            Status::Ok
        );
        let (h1, hv1) = (c("Content-Type"), c("image/png"));
        assert_eq!(
            qcos_sign_options_add_header(o, h1.as_ptr(), hv1.as_ptr()),
            Status::Ok
        );
        let (get, key) = (c("GET"), c("dir/a b.txt"));

        // Length first, then the URL.
        let mut n = 0usize;
        let st = qcos_presign_url(
            cl,
            get.as_ptr(),
            key.as_ptr(),
            o,
            std::ptr::null_mut(),
            0,
            &mut n,
        );
        assert_eq!(st, Status::BufferTooSmall);
        assert!(n > 100);
        let mut buf = vec![0 as c_char; n];
        let mut n2 = 0usize;
        let st = qcos_presign_url(
            cl,
            get.as_ptr(),
            key.as_ptr(),
            o,
            buf.as_mut_ptr(),
            n,
            &mut n2,
        );
        assert_eq!(st, Status::BufferTooSmall, "no room for the NUL");
        assert_eq!(n2, n);
        let mut buf = vec![0 as c_char; n + 1];
        assert_eq!(
            qcos_presign_url(
                cl,
                get.as_ptr(),
                key.as_ptr(),
                o,
                buf.as_mut_ptr(),
                n + 1,
                &mut n2
            ),
            Status::Ok
        );
        let url = s(buf.as_ptr());
        assert_eq!(url.len(), n);

        let creds = Credentials::temporary(ID, KEY, TOKEN, None, T0 + 10_000);
        let base = UrlBase::virtual_hosted(true, BUCKET, "ap-beijing").unwrap();
        let expected = presign_url(
            Some(&creds),
            KeyTime {
                start: T0,
                end: T0 + 600,
            },
            &base,
            &PresignInput {
                params: &[("response-content-type", "text/plain")],
                headers: &[("Content-Type", "image/png")],
                ..PresignInput::new("GET", "dir/a b.txt")
            },
        )
        .unwrap();
        assert_eq!(url, expected);
        assert!(
            url.ends_with("&x-cos-security-token=tok%2Ben%2F%3Dx"),
            "{url}"
        );
        assert!(!url.contains(KEY));

        // Unsigned: a plain URL.
        assert_eq!(qcos_sign_options_set_signed(o, false), Status::Ok);
        assert_eq!(
            qcos_presign_url(
                cl,
                get.as_ptr(),
                key.as_ptr(),
                o,
                buf.as_mut_ptr(),
                n + 1,
                &mut n2
            ),
            Status::Ok
        );
        assert_eq!(
            s(buf.as_ptr()),
            "https://examplebucket-1250000000.cos.ap-beijing.myqcloud.com/dir/a%20b.txt?response-content-type=text%2Fplain"
        );
        // The header form makes no URL.
        assert_eq!(qcos_sign_options_set_signed(o, true), Status::Ok);
        assert_eq!(qcos_sign_options_set_form(o, 0), Status::Ok);
        assert_eq!(
            qcos_presign_url(
                cl,
                get.as_ptr(),
                key.as_ptr(),
                o,
                buf.as_mut_ptr(),
                n + 1,
                &mut n2
            ),
            Status::InvalidArgument
        );
        qcos_sign_options_free(o);
        qcos_client_free(cl);
    }

    #[test]
    fn sign_header_and_query_forms() {
        let cl = client(Credentials::temporary(ID, KEY, TOKEN, None, T0 + 300));
        let o = pinned_opts();
        let (put, key) = (c("PUT"), c("k"));
        let mut sig = std::ptr::null_mut();
        assert_eq!(
            qcos_sign(cl, put.as_ptr(), key.as_ptr(), o, &mut sig),
            Status::Ok
        );
        let auth = s(qcos_signature_authorization(sig));
        let p = parse_authorization(&auth).unwrap();
        assert_eq!(p.header_list, ["host", "x-cos-security-token"]);
        // Clamped to the temporary credentials' expiry.
        assert_eq!(qcos_signature_start_time(sig), T0);
        assert_eq!(qcos_signature_end_time(sig), T0 + 300);
        assert_eq!(s(qcos_signature_query(sig)), "");
        assert_eq!(qcos_signature_header_count(sig), 2);
        assert_eq!(s(qcos_signature_header_name(sig, 0)), "Host");
        assert_eq!(
            s(qcos_signature_header_value(sig, 0)),
            "examplebucket-1250000000.cos.ap-beijing.myqcloud.com"
        );
        assert_eq!(
            s(qcos_signature_header_name(sig, 1)),
            "x-cos-security-token"
        );
        assert_eq!(s(qcos_signature_header_value(sig, 1)), TOKEN);
        assert!(qcos_signature_header_name(sig, 2).is_null());
        assert!(!auth.contains(KEY));
        qcos_signature_free(sig);

        assert_eq!(qcos_sign_options_set_form(o, 2), Status::Ok);
        let mut sig = std::ptr::null_mut();
        assert_eq!(
            qcos_sign(cl, put.as_ptr(), key.as_ptr(), o, &mut sig),
            Status::Ok
        );
        let q = s(qcos_signature_query(sig));
        assert!(q.starts_with("sign=q-sign-algorithm%3Dsha1%26"), "{q}");
        assert!(q.ends_with("&x-cos-security-token=tok%2Ben%2F%3Dx"), "{q}");
        assert_eq!(qcos_signature_header_count(sig), 0);
        qcos_signature_free(sig);

        // Defaults (NULL options): a window around the client's clock.
        let mut sig = std::ptr::null_mut();
        let cl2 = client(Credentials::new(ID, KEY));
        assert_eq!(
            qcos_sign(cl2, put.as_ptr(), key.as_ptr(), std::ptr::null(), &mut sig),
            Status::Ok
        );
        let (st, en) = (qcos_signature_start_time(sig), qcos_signature_end_time(sig));
        assert_eq!(en - st, 960);
        qcos_signature_free(sig);
        qcos_sign_options_free(o);
        qcos_client_free(cl);
        qcos_client_free(cl2);
    }

    #[test]
    fn post_policy_form() {
        let cl = client(Credentials::temporary(ID, KEY, TOKEN, None, T0 + 10_000));
        let mut po = std::ptr::null_mut();
        assert_eq!(qcos_post_policy_options_new(&mut po), Status::Ok);
        let mut form = std::ptr::null_mut();
        // No key yet.
        assert_eq!(qcos_post_policy(cl, po, &mut form), Status::InvalidArgument);
        assert!(last_error::message().contains("set_key"));
        let prefix = c("uploads/");
        assert_eq!(
            qcos_post_policy_options_set_key_prefix(po, prefix.as_ptr()),
            Status::Ok
        );
        assert_eq!(
            qcos_post_policy_options_set_content_length_range(po, 1, 1024),
            Status::Ok
        );
        assert_eq!(
            qcos_post_policy_options_set_content_length_range(po, 9, 1),
            Status::InvalidArgument
        );
        let ct = c("image/png");
        assert_eq!(
            qcos_post_policy_options_set_content_type(po, ct.as_ptr()),
            Status::Ok
        );
        assert_eq!(
            qcos_post_policy_options_set_success_action_status(po, 201),
            Status::Ok
        );
        assert_eq!(
            qcos_post_policy_options_set_success_action_status(po, 302),
            Status::InvalidArgument
        );
        let (fname, fval) = (c("x-cos-meta-owner"), c("42"));
        assert_eq!(
            qcos_post_policy_options_add_field(po, fname.as_ptr(), fval.as_ptr()),
            Status::Ok
        );
        assert_eq!(qcos_post_policy_options_set_start_time(po, T0), Status::Ok);
        assert_eq!(qcos_post_policy_options_set_expires(po, 3600), Status::Ok);
        assert_eq!(qcos_post_policy(cl, po, &mut form), Status::Ok);

        assert_eq!(
            s(qcos_post_form_url(form)),
            "https://examplebucket-1250000000.cos.ap-beijing.myqcloud.com/"
        );
        let names: Vec<String> = (0..qcos_post_form_field_count(form))
            .map(|i| s(qcos_post_form_field_name(form, i)))
            .collect();
        assert_eq!(
            names,
            [
                "key",
                "policy",
                "q-sign-algorithm",
                "q-ak",
                "q-key-time",
                "q-signature",
                "x-cos-security-token",
                "Content-Type",
                "success_action_status",
                "x-cos-meta-owner"
            ]
        );
        let get = |n: &str| s(qcos_post_form_get(form, c(n).as_ptr()));
        assert_eq!(get("key"), "uploads/${filename}");
        assert_eq!(get("q-key-time"), format!("{T0};{}", T0 + 3600));
        let json = s(qcos_post_form_policy_json(form));
        assert!(
            json.contains("[\"starts-with\",\"$key\",\"uploads/\"]"),
            "{json}"
        );
        assert!(json.contains("[\"content-length-range\",1,1024]"), "{json}");
        let sig = sign_policy(
            KEY,
            KeyTime {
                start: T0,
                end: T0 + 3600,
            },
            json.as_bytes(),
        );
        assert_eq!(get("q-signature"), sig);
        assert!(qcos_post_form_get(form, c("nope").as_ptr()).is_null());
        for i in 0..qcos_post_form_field_count(form) {
            assert!(!s(qcos_post_form_field_value(form, i)).contains(KEY));
        }
        qcos_post_form_free(form);

        // A bad extra field is refused when the policy is made.
        let bad = c("User-Agent");
        assert_eq!(
            qcos_post_policy_options_add_field(po, bad.as_ptr(), fval.as_ptr()),
            Status::Ok
        );
        let mut form = std::ptr::null_mut();
        assert_eq!(qcos_post_policy(cl, po, &mut form), Status::InvalidArgument);
        assert!(form.is_null());
        qcos_post_policy_options_free(po);
        qcos_client_free(cl);
    }

    #[test]
    fn null_and_bad_arguments() {
        let cl = client(Credentials::new(ID, KEY));
        let (get, key) = (c("GET"), c("k"));
        let mut sig = std::ptr::null_mut();
        assert_eq!(
            qcos_sign(
                std::ptr::null(),
                get.as_ptr(),
                key.as_ptr(),
                std::ptr::null(),
                &mut sig
            ),
            Status::InvalidArgument
        );
        assert_eq!(
            qcos_sign(
                cl,
                std::ptr::null(),
                key.as_ptr(),
                std::ptr::null(),
                &mut sig
            ),
            Status::InvalidArgument
        );
        assert_eq!(
            qcos_sign(
                cl,
                get.as_ptr(),
                std::ptr::null(),
                std::ptr::null(),
                &mut sig
            ),
            Status::InvalidArgument
        );
        assert_eq!(
            qcos_sign(
                cl,
                get.as_ptr(),
                key.as_ptr(),
                std::ptr::null(),
                std::ptr::null_mut()
            ),
            Status::InvalidArgument
        );
        let bad_key = c("/abs");
        assert_eq!(
            qcos_sign(
                cl,
                get.as_ptr(),
                bad_key.as_ptr(),
                std::ptr::null(),
                &mut sig
            ),
            Status::InvalidArgument
        );
        assert!(sig.is_null());
        let mut n = 0;
        assert_eq!(
            qcos_presign_url(
                cl,
                get.as_ptr(),
                key.as_ptr(),
                std::ptr::null(),
                std::ptr::null_mut(),
                0,
                std::ptr::null_mut()
            ),
            Status::InvalidArgument
        );
        assert_eq!(
            qcos_presign_url(
                cl,
                get.as_ptr(),
                key.as_ptr(),
                std::ptr::null(),
                std::ptr::null_mut(),
                5,
                &mut n
            ),
            Status::InvalidArgument
        );
        let mut form = std::ptr::null_mut();
        assert_eq!(
            qcos_post_policy(cl, std::ptr::null(), &mut form),
            Status::InvalidArgument
        );

        let mut o = std::ptr::null_mut();
        assert_eq!(
            qcos_sign_options_new(std::ptr::null_mut()),
            Status::InvalidArgument
        );
        assert_eq!(qcos_sign_options_new(&mut o), Status::Ok);
        assert_eq!(qcos_sign_options_set_form(o, 3), Status::InvalidArgument);
        assert_eq!(qcos_sign_options_set_expires(o, 0), Status::InvalidArgument);
        assert_eq!(
            qcos_sign_options_set_start_time(o, -5),
            Status::InvalidArgument
        );
        let (hn, hv) = (c("x-cos-meta-a"), c("a\r\nb"));
        assert_eq!(
            qcos_sign_options_add_header(o, hn.as_ptr(), hv.as_ptr()),
            Status::InvalidArgument
        );
        assert_eq!(
            qcos_sign_options_add_param(o, c("").as_ptr(), hv.as_ptr()),
            Status::InvalidArgument
        );
        assert_eq!(
            qcos_sign_options_set_signed(std::ptr::null_mut(), true),
            Status::InvalidArgument
        );
        // A reserved parameter is refused at signing time with a message naming it.
        let q = c("q-ak");
        assert_eq!(
            qcos_sign_options_add_param(o, q.as_ptr(), key.as_ptr()),
            Status::Ok
        );
        assert_eq!(
            qcos_sign(cl, get.as_ptr(), key.as_ptr(), o, &mut sig),
            Status::InvalidArgument
        );
        assert!(
            last_error::message().contains("reserved"),
            "{}",
            last_error::message()
        );
        qcos_sign_options_free(o);

        // Accessors on NULL, frees of NULL.
        assert!(qcos_signature_authorization(std::ptr::null()).is_null());
        assert!(qcos_signature_query(std::ptr::null()).is_null());
        assert_eq!(qcos_signature_header_count(std::ptr::null()), 0);
        assert_eq!(qcos_signature_end_time(std::ptr::null()), 0);
        assert!(qcos_post_form_url(std::ptr::null()).is_null());
        assert_eq!(qcos_post_form_field_count(std::ptr::null()), 0);
        assert!(qcos_post_form_get(std::ptr::null(), key.as_ptr()).is_null());
        qcos_signature_free(std::ptr::null_mut());
        qcos_post_form_free(std::ptr::null_mut());
        qcos_sign_options_free(std::ptr::null_mut());
        qcos_post_policy_options_free(std::ptr::null_mut());

        // No credentials at all: an Auth failure, not a panic.
        let cfg = Config::new("ap-beijing", BUCKET);
        let nocreds = into_arc(Arc::new(qcos_client {
            inner: Client::new(cfg).unwrap(),
        }));
        assert_eq!(
            qcos_sign(
                nocreds,
                get.as_ptr(),
                key.as_ptr(),
                std::ptr::null(),
                &mut sig
            ),
            Status::Auth
        );
        qcos_client_free(nocreds);
        qcos_client_free(cl);
    }
}
