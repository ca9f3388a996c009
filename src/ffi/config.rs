//! `qcos_config` (every client option, one typed setter each) and `qcos_credentials`.

use std::ffi::{c_char, c_void};
use std::sync::Arc;

use super::args::{Poisonable, arg_mut, arg_opt_str, arg_out, arg_str, free_box, into_box};
use super::callbacks::{CallbackProvider, qcos_credentials_cb};
use super::entry::entry;
use crate::auth::{Credentials, Secret};
use crate::config::{Config, Protocol};
use crate::encode::{validate_bucket, validate_region};
use crate::error::{Error, Result, Status};

/// Options for a client, built before the client: where to connect, how to
/// authenticate, timeouts, retries and transfer tuning. Create it with
/// `qcos_config_new` or `qcos_config_from_env`, set options with the
/// `qcos_config_set_*` functions, then give it to `qcos_client_new` (which consumes
/// it) or release it with `qcos_config_free`.
///
/// Every setter checks its value and leaves the config unchanged when it returns an
/// error; `qcos_client_new` checks the whole.
///
/// Thread: one thread at a time; may be moved between threads.
pub struct qcos_config {
    pub(crate) inner: Poisonable<Config>,
}

/// Protocol values for `qcos_config_set_protocol`.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum qcos_protocol {
    /// HTTPS through rustls (the default; real COS).
    Https = 0,
    /// Plain HTTP (local servers such as qcos-server).
    Http = 1,
}

/// Credentials being returned by a `qcos_credentials_cb` provider. qcos creates it,
/// passes it to the callback, and owns it: fill it with `qcos_credentials_set`, never
/// free it, never keep it after the callback returns.
///
/// Thread: only the thread running the callback, only during the callback.
#[derive(Default)]
pub struct qcos_credentials {
    pub(crate) creds: Option<Credentials>,
    /// Why the last `qcos_credentials_set` failed, for the provider's error.
    pub(crate) error: Option<String>,
}

fn build_credentials(
    secret_id: *const c_char,
    secret_key: *const c_char,
    token: *const c_char,
    start_time: i64,
    expired_time: i64,
) -> Result<Credentials> {
    let id = arg_str(secret_id, "secret_id")?;
    let key = arg_str(secret_key, "secret_key")?;
    let token = arg_opt_str(token, "token")?;
    if start_time < 0 || expired_time < 0 {
        return Err(Error::invalid(
            "credentials",
            "start_time and expired_time are Unix seconds (0 = not given), not negative",
        ));
    }
    if token.is_none() && (start_time != 0 || expired_time != 0) {
        return Err(Error::invalid(
            "credentials",
            "start_time and expired_time apply only to temporary credentials (with a token)",
        ));
    }
    let c = Credentials {
        secret_id: id.to_string(),
        secret_key: Secret::new(key),
        security_token: token.map(Secret::new),
        start_time: (start_time != 0).then_some(start_time),
        expired_time: (expired_time != 0).then_some(expired_time),
    };
    c.validate()?;
    Ok(c)
}

fn new_config(cfg: Config, cfg_out: *mut *mut qcos_config) -> Result<()> {
    let out = arg_out(cfg_out, "cfg_out")?;
    out.write(into_box(qcos_config {
        inner: Poisonable::new(cfg),
    }));
    Ok(())
}

/// Create a configuration with every default, for `bucket` in `region`.
///
/// `region`: a COS region id such as "ap-guangzhou" (copied).
/// `bucket`: the bucket in its long form "name-APPID" such as
/// "examplebucket-1250000000" (copied), or "" for a client that only lists buckets.
/// `cfg_out`: receives the new config on success; release it with `qcos_config_free`
/// or give it to `qcos_client_new`.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` when a pointer is NULL,
/// a string is not UTF-8, or the region or bucket name is malformed (the last error
/// says why, e.g. "invalid bucket: ... must end with -APPID").
///
/// Thread: any thread.
///
/// ```c
/// qcos_config *cfg = NULL;
/// if (qcos_config_new("ap-guangzhou", "examplebucket-1250000000", &cfg) != QCOS_STATUS_OK)
///     fprintf(stderr, "%s\n", qcos_last_error_message());
/// ```
#[unsafe(no_mangle)]
pub extern "C" fn qcos_config_new(
    region: *const c_char,
    bucket: *const c_char,
    cfg_out: *mut *mut qcos_config,
) -> Status {
    entry(|| {
        let region = arg_str(region, "region")?;
        let bucket = arg_str(bucket, "bucket")?;
        validate_region(region)?;
        if !bucket.is_empty() {
            validate_bucket(bucket)?;
        }
        new_config(Config::new(region, bucket), cfg_out)
    })
}

/// Create a configuration from environment variables: `COS_REGION` (required),
/// `COS_BUCKET`, `COS_SECRET_ID` and `COS_SECRET_KEY` (both or neither),
/// `COS_SECURITY_TOKEN` (temporary credentials; needs both keys), `COS_ENDPOINT`
/// (e.g. "http://127.0.0.1:9000" for a local qcos-server), and one variable per
/// option, named after its setter: `COS_PROTOCOL` ("http"/"https"; an endpoint's own
/// scheme wins), `COS_DOMAIN`, `COS_PATH_STYLE`, `COS_USE_ACCELERATE`,
/// `COS_AUTO_SWITCH_HOST`, `COS_SERVICE_DOMAIN`, `COS_TIMEOUT_MS`,
/// `COS_CONNECT_TIMEOUT_MS`, `COS_IO_TIMEOUT_MS`, `COS_MAX_RETRIES` (0-100),
/// `COS_RETRY_BASE_DELAY_MS`, `COS_USER_AGENT`, `COS_CORRECT_CLOCK_SKEW`,
/// `COS_SIGN_EXPIRES_SECS` (at least 1), `COS_CREDENTIAL_REFRESH_MARGIN_SECS`,
/// `COS_SLICE_SIZE`, `COS_CHUNK_SIZE` (1 MiB-5 GiB), `COS_CHUNK_PARALLEL_LIMIT`,
/// `COS_FILE_PARALLEL_LIMIT`, `COS_CHUNK_RETRY_TIMES` (0-100), `COS_COPY_SLICE_SIZE`,
/// `COS_COPY_CHUNK_SIZE` (1 MiB-5 GiB), `COS_COPY_CHUNK_PARALLEL_LIMIT` (parallel
/// limits 1-1024), `COS_PROGRESS_INTERVAL_MS`, `COS_UPLOAD_QUEUE_SIZE`,
/// `COS_UPLOAD_CHECK_CONTENT_MD5`, `COS_UPLOAD_ADD_META_MD5`. Numbers are plain
/// decimal integers (bytes, milliseconds or seconds as named); booleans are
/// "1"/"true"/"yes"/"on" or "0"/"false"/"no"/"off" (any case). Unset or empty
/// variables keep their defaults; setters may change options afterwards.
///
/// `cfg_out`: receives the new config on success (release with `qcos_config_free`
/// or give to `qcos_client_new`).
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` when `cfg_out` is NULL,
/// `COS_REGION` is missing, or a variable holds a bad value (not a number, negative,
/// out of range, not a boolean: the message names the variable and the problem, and
/// never shows the value of `COS_SECRET_KEY` or `COS_SECURITY_TOKEN`);
/// `QCOS_STATUS_AUTH` for malformed credentials.
///
/// Thread: any thread; reads the process environment.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_config_from_env(cfg_out: *mut *mut qcos_config) -> Status {
    entry(|| {
        arg_out(cfg_out, "cfg_out")?;
        new_config(Config::from_env()?, cfg_out)
    })
}

/// Release a configuration that was not given to `qcos_client_new`. NULL does
/// nothing. A registered credential provider is not called.
///
/// Thread: any thread, once no other thread uses `cfg`.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_config_free(cfg: *mut qcos_config) {
    super::entry::entry_value((), || {
        free_box(cfg);
        Ok(())
    })
}

/// Apply `f` to a copy, check the copy, and keep it only if it is valid.
fn update(cfg: *mut qcos_config, f: impl FnOnce(&mut Config) -> Result<()>) -> Result<()> {
    let cfg = arg_mut(cfg, "cfg")?;
    cfg.inner.with(|c| {
        let mut next = c.clone();
        f(&mut next)?;
        next.validate()?;
        *c = next;
        Ok(())
    })
}

/// Set the region (e.g. "ap-beijing"), replacing the one given to `qcos_config_new`.
///
/// `region`: copied. Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT`
/// (NULL, bad UTF-8, malformed region). Thread: one thread at a time per config.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_config_set_region(cfg: *mut qcos_config, region: *const c_char) -> Status {
    entry(|| {
        arg_mut(cfg, "cfg")?;
        let region = arg_str(region, "region")?;
        validate_region(region)?;
        update(cfg, |c| {
            c.region = region.to_string();
            Ok(())
        })
    })
}

/// Set the bucket ("name-APPID", or "" for a client that only lists buckets).
///
/// `bucket`: copied. Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT`
/// (NULL, bad UTF-8, malformed name). Thread: one thread at a time per config.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_config_set_bucket(cfg: *mut qcos_config, bucket: *const c_char) -> Status {
    entry(|| {
        arg_mut(cfg, "cfg")?;
        let bucket = arg_str(bucket, "bucket")?;
        if !bucket.is_empty() {
            validate_bucket(bucket)?;
        }
        update(cfg, |c| {
            c.bucket = bucket.to_string();
            Ok(())
        })
    })
}

/// Use permanent credentials (SecretId and SecretKey of a CAM key). Default: none
/// (requests need credentials, or a provider, or they fail with `QCOS_STATUS_AUTH`).
///
/// `secret_id`, `secret_key`: copied; the key is zeroed when released and never
/// appears in messages.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL, bad UTF-8);
/// `QCOS_STATUS_AUTH` (empty, or containing whitespace).
/// Thread: one thread at a time per config.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_config_set_credentials(
    cfg: *mut qcos_config,
    secret_id: *const c_char,
    secret_key: *const c_char,
) -> Status {
    entry(|| {
        arg_mut(cfg, "cfg")?;
        let creds = build_credentials(secret_id, secret_key, std::ptr::null(), 0, 0)?;
        update(cfg, |c| {
            c.credentials = Some(creds);
            Ok(())
        })
    })
}

/// Use temporary credentials from STS: TmpSecretId, TmpSecretKey and the
/// SecurityToken (sent as `x-cos-security-token`).
///
/// `token`: required here (use `qcos_config_set_credentials` for permanent keys).
/// `start_time`, `expired_time`: Unix seconds, 0 when unknown. When a provider is
/// also set, it is asked for new credentials once `expired_time` comes within the
/// refresh margin.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL, bad UTF-8,
/// negative times); `QCOS_STATUS_AUTH` (empty id/key, expiry not after start).
/// Thread: one thread at a time per config.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_config_set_temporary_credentials(
    cfg: *mut qcos_config,
    secret_id: *const c_char,
    secret_key: *const c_char,
    token: *const c_char,
    start_time: i64,
    expired_time: i64,
) -> Status {
    entry(|| {
        arg_mut(cfg, "cfg")?;
        arg_str(token, "token")?;
        let creds = build_credentials(secret_id, secret_key, token, start_time, expired_time)?;
        update(cfg, |c| {
            c.credentials = Some(creds);
            Ok(())
        })
    })
}

/// Register a credential provider: `cb(user_data, out)` is called when the client
/// has no credentials or they expire within the refresh margin, and its result is
/// cached. See `qcos_credentials_cb` for its contract and thread. Default: none.
///
/// `cb`: required (not NULL). `user_data`: passed back to every call, never read by
/// qcos; it must stay valid until the client made from this config and every
/// `qcos_list` made from that client are freed (or until the config is freed, if it
/// never becomes a client).
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` when `cfg` or `cb` is
/// NULL. Thread: one thread at a time per config.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_config_set_credentials_provider(
    cfg: *mut qcos_config,
    cb: qcos_credentials_cb,
    user_data: *mut c_void,
) -> Status {
    entry(|| {
        arg_mut(cfg, "cfg")?;
        let provider = CallbackProvider::new(cb, user_data)?;
        update(cfg, |c| {
            c.credential_provider = Some(Arc::new(provider));
            Ok(())
        })
    })
}

/// Fill the credentials a provider callback returns. Call it once from inside a
/// `qcos_credentials_cb`, then return 0 from the callback.
///
/// `out`: the pointer the callback received (borrowed).
/// `secret_id`, `secret_key`: NUL-terminated UTF-8, copied (the SecretKey is kept in
/// memory that is zeroed when released and never appears in messages).
/// `token`: the security token of temporary credentials (copied, sent as
/// `x-cos-security-token`), or NULL for permanent credentials.
/// `start_time`, `expired_time`: Unix seconds of the temporary credentials'
/// `StartTime` and `ExpiredTime`, 0 when unknown; must be 0 without a token. The
/// client asks the provider again once `expired_time` is within the refresh margin.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` (NULL, bad UTF-8,
/// negative times, times without a token); `QCOS_STATUS_AUTH` (empty id or key,
/// whitespace in them, expiry before start). On failure `out` stays empty and the
/// reason is also reported by the request that needed the credentials.
///
/// Thread: the thread running the callback.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_credentials_set(
    out: *mut qcos_credentials,
    secret_id: *const c_char,
    secret_key: *const c_char,
    token: *const c_char,
    start_time: i64,
    expired_time: i64,
) -> Status {
    entry(|| {
        let out = arg_mut(out, "out")?;
        match build_credentials(secret_id, secret_key, token, start_time, expired_time) {
            Ok(c) => {
                out.creds = Some(c);
                out.error = None;
                Ok(())
            }
            Err(e) => {
                out.error = Some(e.to_string());
                Err(e)
            }
        }
    })
}

/// Choose the scheme: `QCOS_PROTOCOL_HTTPS` (default) or `QCOS_PROTOCOL_HTTP`. An
/// endpoint or domain that starts with "http://" or "https://" overrides it.
///
/// `protocol`: a `qcos_protocol` value. Statuses: `QCOS_STATUS_OK`;
/// `QCOS_STATUS_INVALID_ARGUMENT` (NULL `cfg`, unknown value).
/// Thread: one thread at a time per config.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_config_set_protocol(cfg: *mut qcos_config, protocol: u32) -> Status {
    entry(|| {
        arg_mut(cfg, "cfg")?;
        let p = match protocol {
            x if x == qcos_protocol::Https as u32 => Protocol::Https,
            x if x == qcos_protocol::Http as u32 => Protocol::Http,
            other => {
                return Err(Error::invalid(
                    "protocol",
                    format!(
                        "{other} is not a qcos_protocol value (QCOS_PROTOCOL_HTTPS = 0, QCOS_PROTOCOL_HTTP = 1)"
                    ),
                ));
            }
        };
        update(cfg, |c| {
            c.protocol = p;
            Ok(())
        })
    })
}

/// Set a host template replacing "{Bucket}.cos.{Region}.myqcloud.com", e.g.
/// "{Bucket}.cos-internal.{Region}.tencentcos.cn". Placeholders (case-insensitive):
/// {Bucket}, {BucketName}, {AppId}, {Region}. It may start with "http://" or
/// "https://". Default: none. NULL removes it.
///
/// `domain`: copied. Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT`
/// (bad UTF-8, does not expand to `host[:port]`). Thread: one thread at a time per config.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_config_set_domain(cfg: *mut qcos_config, domain: *const c_char) -> Status {
    entry(|| {
        arg_mut(cfg, "cfg")?;
        let d = arg_opt_str(domain, "domain")?;
        update(cfg, |c| {
            c.domain = d.map(str::to_string);
            Ok(())
        })
    })
}

/// Connect to this endpoint instead of the COS host: `http(s)://host[:port]`, e.g.
/// "http://127.0.0.1:9000" for a local qcos-server. Without path style the request
/// still carries and signs the real "Host: {Bucket}.cos.{Region}.myqcloud.com", as
/// the official SDKs' IP/Port option does. Default: none. NULL removes it.
///
/// `endpoint`: copied. Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT`
/// (bad UTF-8, not `scheme://host[:port]`). Thread: one thread at a time per config.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_config_set_endpoint(
    cfg: *mut qcos_config,
    endpoint: *const c_char,
) -> Status {
    entry(|| {
        arg_mut(cfg, "cfg")?;
        let e = arg_opt_str(endpoint, "endpoint")?;
        update(cfg, |c| {
            c.endpoint = e.map(str::to_string);
            Ok(())
        })
    })
}

/// Set the User-Agent header. Default "qcos/VERSION".
///
/// `user_agent`: copied. Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT`
/// (NULL, bad UTF-8, CR/LF or other control characters).
/// Thread: one thread at a time per config.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_config_set_user_agent(
    cfg: *mut qcos_config,
    user_agent: *const c_char,
) -> Status {
    entry(|| {
        arg_mut(cfg, "cfg")?;
        let ua = arg_str(user_agent, "user_agent")?;
        update(cfg, |c| {
            c.user_agent = ua.to_string();
            Ok(())
        })
    })
}

/// Use path-style addressing: the bucket is the first path segment and Host is the
/// endpoint's host:port. Default false (virtual-hosted).
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` when `cfg` is NULL or
/// the value is out of range (the config is then unchanged).
/// Thread: one thread at a time per config.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_config_set_path_style(cfg: *mut qcos_config, value: bool) -> Status {
    entry(|| {
        arg_mut(cfg, "cfg")?;
        update(cfg, |c| {
            c.path_style = value;
            Ok(())
        })
    })
}

/// Use the global acceleration host {Bucket}.cos.accelerate.myqcloud.com. Default
/// false.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` when `cfg` is NULL or
/// the value is out of range (the config is then unchanged).
/// Thread: one thread at a time per config.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_config_set_use_accelerate(cfg: *mut qcos_config, value: bool) -> Status {
    entry(|| {
        arg_mut(cfg, "cfg")?;
        update(cfg, |c| {
            c.use_accelerate = value;
            Ok(())
        })
    })
}

/// Whole-request timeout in milliseconds (connect, send, receive the whole body); 0 =
/// none. Default 0, so long transfers are not cut off; stalls are caught by the I/O
/// timeout.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` when `cfg` is NULL or
/// the value is out of range (the config is then unchanged).
/// Thread: one thread at a time per config.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_config_set_timeout_ms(cfg: *mut qcos_config, value: u64) -> Status {
    entry(|| {
        arg_mut(cfg, "cfg")?;
        update(cfg, |c| {
            c.timeout_ms = value;
            Ok(())
        })
    })
}

/// Connection and TLS handshake timeout in milliseconds; 0 = none. Default 10000.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` when `cfg` is NULL or
/// the value is out of range (the config is then unchanged).
/// Thread: one thread at a time per config.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_config_set_connect_timeout_ms(cfg: *mut qcos_config, value: u64) -> Status {
    entry(|| {
        arg_mut(cfg, "cfg")?;
        update(cfg, |c| {
            c.connect_timeout_ms = value;
            Ok(())
        })
    })
}

/// Longest wait for any single socket read or write, in milliseconds; 0 = none. Default
/// 60000.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` when `cfg` is NULL or
/// the value is out of range (the config is then unchanged).
/// Thread: one thread at a time per config.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_config_set_io_timeout_ms(cfg: *mut qcos_config, value: u64) -> Status {
    entry(|| {
        arg_mut(cfg, "cfg")?;
        update(cfg, |c| {
            c.io_timeout_ms = value;
            Ok(())
        })
    })
}

/// Extra attempts for a retryable failure (network error, timeout, 5xx, SlowDown) of a
/// request whose body can be replayed. Default 3 (4 attempts).
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` when `cfg` is NULL or
/// the value is out of range (the config is then unchanged).
/// Thread: one thread at a time per config.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_config_set_max_retries(cfg: *mut qcos_config, value: u32) -> Status {
    entry(|| {
        arg_mut(cfg, "cfg")?;
        update(cfg, |c| {
            c.max_retries = value;
            Ok(())
        })
    })
}

/// First retry delay in milliseconds; it doubles each retry (capped at 10 s) with
/// jitter. Default 200.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` when `cfg` is NULL or
/// the value is out of range (the config is then unchanged).
/// Thread: one thread at a time per config.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_config_set_retry_base_delay_ms(cfg: *mut qcos_config, value: u64) -> Status {
    entry(|| {
        arg_mut(cfg, "cfg")?;
        update(cfg, |c| {
            c.retry_base_delay_ms = value;
            Ok(())
        })
    })
}

/// Learn the server's clock from its Date header and sign with it; re-sign and resend
/// once on RequestTimeTooSkewed. Default true.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` when `cfg` is NULL or
/// the value is out of range (the config is then unchanged).
/// Thread: one thread at a time per config.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_config_set_correct_clock_skew(cfg: *mut qcos_config, value: bool) -> Status {
    entry(|| {
        arg_mut(cfg, "cfg")?;
        update(cfg, |c| {
            c.correct_clock_skew = value;
            Ok(())
        })
    })
}

/// Lifetime of each request signature in seconds; must be positive. Default 900.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` when `cfg` is NULL or
/// the value is out of range (the config is then unchanged).
/// Thread: one thread at a time per config.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_config_set_sign_expires_secs(cfg: *mut qcos_config, value: i64) -> Status {
    entry(|| {
        arg_mut(cfg, "cfg")?;
        update(cfg, |c| {
            c.sign_expires_secs = value;
            Ok(())
        })
    })
}

/// Temporary credentials expiring within this many seconds are refreshed through the
/// provider before use; must not be negative. Default 60.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` when `cfg` is NULL or
/// the value is out of range (the config is then unchanged).
/// Thread: one thread at a time per config.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_config_set_credential_refresh_margin_secs(
    cfg: *mut qcos_config,
    value: i64,
) -> Status {
    entry(|| {
        arg_mut(cfg, "cfg")?;
        update(cfg, |c| {
            c.credential_refresh_margin_secs = value;
            Ok(())
        })
    })
}

/// Files larger than this many bytes are uploaded in parts by the transfer engine.
/// Default 1048576 (1 MiB).
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` when `cfg` is NULL or
/// the value is out of range (the config is then unchanged).
/// Thread: one thread at a time per config.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_config_set_slice_size(cfg: *mut qcos_config, value: u64) -> Status {
    entry(|| {
        arg_mut(cfg, "cfg")?;
        update(cfg, |c| {
            c.slice_size = value;
            Ok(())
        })
    })
}

/// Part size in bytes of multipart uploads, 1 MiB to 5 GiB. Default 8388608 (8 MiB).
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` when `cfg` is NULL or
/// the value is out of range (the config is then unchanged).
/// Thread: one thread at a time per config.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_config_set_chunk_size(cfg: *mut qcos_config, value: u64) -> Status {
    entry(|| {
        arg_mut(cfg, "cfg")?;
        update(cfg, |c| {
            c.chunk_size = value;
            Ok(())
        })
    })
}

/// Parts uploaded at once per file; at least 1. Default 2.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` when `cfg` is NULL or
/// the value is out of range (the config is then unchanged).
/// Thread: one thread at a time per config.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_config_set_chunk_parallel_limit(
    cfg: *mut qcos_config,
    value: usize,
) -> Status {
    entry(|| {
        arg_mut(cfg, "cfg")?;
        update(cfg, |c| {
            c.chunk_parallel_limit = value;
            Ok(())
        })
    })
}

/// Files uploaded at once by the task queue; at least 1. Default 3.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` when `cfg` is NULL or
/// the value is out of range (the config is then unchanged).
/// Thread: one thread at a time per config.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_config_set_file_parallel_limit(
    cfg: *mut qcos_config,
    value: usize,
) -> Status {
    entry(|| {
        arg_mut(cfg, "cfg")?;
        update(cfg, |c| {
            c.file_parallel_limit = value;
            Ok(())
        })
    })
}

/// Extra attempts per part, part copy and complete. Default 2.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` when `cfg` is NULL or
/// the value is out of range (the config is then unchanged).
/// Thread: one thread at a time per config.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_config_set_chunk_retry_times(cfg: *mut qcos_config, value: u32) -> Status {
    entry(|| {
        arg_mut(cfg, "cfg")?;
        update(cfg, |c| {
            c.chunk_retry_times = value;
            Ok(())
        })
    })
}

/// Sources up to this many bytes are copied with one PUT Object - Copy; larger ones in
/// parts. Default 10485760 (10 MiB).
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` when `cfg` is NULL or
/// the value is out of range (the config is then unchanged).
/// Thread: one thread at a time per config.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_config_set_copy_slice_size(cfg: *mut qcos_config, value: u64) -> Status {
    entry(|| {
        arg_mut(cfg, "cfg")?;
        update(cfg, |c| {
            c.copy_slice_size = value;
            Ok(())
        })
    })
}

/// Part size in bytes of multipart copies, 1 MiB to 5 GiB. Default 10485760 (10 MiB).
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` when `cfg` is NULL or
/// the value is out of range (the config is then unchanged).
/// Thread: one thread at a time per config.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_config_set_copy_chunk_size(cfg: *mut qcos_config, value: u64) -> Status {
    entry(|| {
        arg_mut(cfg, "cfg")?;
        update(cfg, |c| {
            c.copy_chunk_size = value;
            Ok(())
        })
    })
}

/// Upload Part - Copy calls at once; at least 1. Default 20.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` when `cfg` is NULL or
/// the value is out of range (the config is then unchanged).
/// Thread: one thread at a time per config.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_config_set_copy_chunk_parallel_limit(
    cfg: *mut qcos_config,
    value: usize,
) -> Status {
    entry(|| {
        arg_mut(cfg, "cfg")?;
        update(cfg, |c| {
            c.copy_chunk_parallel_limit = value;
            Ok(())
        })
    })
}

/// Minimum interval between progress callbacks in milliseconds. Default 1000.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` when `cfg` is NULL or
/// the value is out of range (the config is then unchanged).
/// Thread: one thread at a time per config.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_config_set_progress_interval_ms(
    cfg: *mut qcos_config,
    value: u64,
) -> Status {
    entry(|| {
        arg_mut(cfg, "cfg")?;
        update(cfg, |c| {
            c.progress_interval_ms = value;
            Ok(())
        })
    })
}

/// Finished tasks kept in the task list. Default 10000.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` when `cfg` is NULL or
/// the value is out of range (the config is then unchanged).
/// Thread: one thread at a time per config.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_config_set_upload_queue_size(cfg: *mut qcos_config, value: usize) -> Status {
    entry(|| {
        arg_mut(cfg, "cfg")?;
        update(cfg, |c| {
            c.upload_queue_size = value;
            Ok(())
        })
    })
}

/// Send Content-MD5 with PUT Object and every part, so COS checks the bytes. Default
/// false (MD5 costs CPU).
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` when `cfg` is NULL or
/// the value is out of range (the config is then unchanged).
/// Thread: one thread at a time per config.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_config_set_upload_check_content_md5(
    cfg: *mut qcos_config,
    value: bool,
) -> Status {
    entry(|| {
        arg_mut(cfg, "cfg")?;
        update(cfg, |c| {
            c.upload_check_content_md5 = value;
            Ok(())
        })
    })
}

/// Store the hex MD5 of the whole body as the x-cos-meta-md5 metadata. Default false.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` when `cfg` is NULL or
/// the value is out of range (the config is then unchanged).
/// Thread: one thread at a time per config.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_config_set_upload_add_meta_md5(
    cfg: *mut qcos_config,
    value: bool,
) -> Status {
    entry(|| {
        arg_mut(cfg, "cfg")?;
        update(cfg, |c| {
            c.upload_add_meta_md5 = value;
            Ok(())
        })
    })
}

/// Backup-domain switching (on by default, as in the seed SDK cos-js-sdk-v5): when a
/// request to the default host "{Bucket}.cos.{Region}.myqcloud.com" fails in a way
/// that did not come from COS (a network error or timeout, or a 5xx or 301/302/307
/// answer without an x-cos-request-id), its retry goes to
/// "{Bucket}.cos.{Region}.tencentcos.cn" instead, re-signed for that Host. Per request:
/// the next request starts on the primary host again. Never with a domain template,
/// acceleration, path style or for GET Service; with an endpoint only the Host header
/// changes (the connection still goes to the endpoint). Presigned URLs are not
/// affected. `value`: true (the default) to switch, false to always retry the same host.
///
/// Statuses: `QCOS_STATUS_OK`; `QCOS_STATUS_INVALID_ARGUMENT` when `cfg` is NULL or
/// the value is out of range (the config is then unchanged).
/// Thread: one thread at a time per config.
///
/// ```c
/// qcos_config_set_auto_switch_host(cfg, false);  // always retry the primary host
/// ```
#[unsafe(no_mangle)]
pub extern "C" fn qcos_config_set_auto_switch_host(cfg: *mut qcos_config, value: bool) -> Status {
    entry(|| {
        arg_mut(cfg, "cfg")?;
        update(cfg, |c| {
            c.auto_switch_host = value;
            Ok(())
        })
    })
}

/// Set the host for GET Service (qcos_client_list_buckets) instead of
/// "service.cos.myqcloud.com", e.g. "service.cos.tencentcos.cn" or
/// "cos.{Region}.myqcloud.com". A `host[:port]` template: {Region} and {AppId}
/// (case-insensitive, single or double braces) become the region and the APPID suffix
/// of the bucket ({AppId} needs a bucket). It is the signed Host; with an endpoint the
/// connection still goes to the endpoint. Default: none. NULL removes it.
///
/// `service_domain`: copied. Statuses: `QCOS_STATUS_OK`;
/// `QCOS_STATUS_INVALID_ARGUMENT` when `cfg` is NULL, the text is not UTF-8, or it is
/// not a `host[:port]` template: empty, a scheme ("https://..."), a path, query or user
/// info, CR/LF or another control character, a placeholder other than {Region} and
/// {AppId}, {AppId} without a bucket, a bad port (the last error names the problem;
/// the config is then unchanged). Thread: one thread at a time per config.
///
/// ```c
/// qcos_config_set_service_domain(cfg, "cos.{Region}.tencentcos.cn");
/// ```
#[unsafe(no_mangle)]
pub extern "C" fn qcos_config_set_service_domain(
    cfg: *mut qcos_config,
    service_domain: *const c_char,
) -> Status {
    entry(|| {
        arg_mut(cfg, "cfg")?;
        let d = arg_opt_str(service_domain, "service_domain")?;
        update(cfg, |c| {
            c.service_domain = d.map(str::to_string);
            Ok(())
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_cfg() -> *mut qcos_config {
        let mut p: *mut qcos_config = std::ptr::null_mut();
        assert_eq!(
            qcos_config_new(
                c"ap-guangzhou".as_ptr(),
                c"examplebucket-1250000000".as_ptr(),
                &mut p
            ),
            Status::Ok
        );
        p
    }

    fn chunk_size(p: *mut qcos_config) -> u64 {
        arg_mut(p, "cfg").unwrap().inner.get().unwrap().chunk_size
    }

    #[test]
    fn a_refused_value_leaves_the_config_unchanged() {
        let p = new_cfg();
        assert_eq!(qcos_config_set_chunk_size(p, 4 << 20), Status::Ok);
        assert_eq!(chunk_size(p), 4 << 20);
        assert_eq!(qcos_config_set_chunk_size(p, 10), Status::InvalidArgument);
        assert_eq!(chunk_size(p), 4 << 20);
        assert_eq!(
            qcos_config_set_bucket(p, c"Bad_Name".as_ptr()),
            Status::InvalidArgument
        );
        let bucket = arg_mut(p, "cfg")
            .unwrap()
            .inner
            .get()
            .unwrap()
            .bucket
            .clone();
        assert_eq!(bucket, "examplebucket-1250000000");
        qcos_config_free(p);
    }

    #[test]
    fn credentials_are_built_and_checked() {
        let p = new_cfg();
        assert_eq!(
            qcos_config_set_temporary_credentials(
                p,
                c"AKIDtmp".as_ptr(),
                c"key".as_ptr(),
                c"tok".as_ptr(),
                100,
                200
            ),
            Status::Ok
        );
        let c = arg_mut(p, "cfg")
            .unwrap()
            .inner
            .get()
            .unwrap()
            .credentials
            .clone()
            .unwrap();
        assert_eq!(c.secret_id, "AKIDtmp");
        assert_eq!(c.security_token.as_ref().map(|t| t.expose()), Some("tok"));
        assert_eq!((c.start_time, c.expired_time), (Some(100), Some(200)));
        // Times without a token make no sense.
        assert_eq!(
            qcos_credentials_set(
                &mut qcos_credentials::default(),
                c"i".as_ptr(),
                c"k".as_ptr(),
                std::ptr::null(),
                0,
                5
            ),
            Status::InvalidArgument
        );
        qcos_config_free(p);
    }

    #[test]
    fn domain_switch_and_service_domain_setters() {
        let p = new_cfg();
        let get = |p: *mut qcos_config| arg_mut(p, "cfg").unwrap().inner.get().unwrap().clone();
        assert!(get(p).auto_switch_host, "on by default");
        assert_eq!(qcos_config_set_auto_switch_host(p, false), Status::Ok);
        assert!(!get(p).auto_switch_host);
        assert_eq!(
            qcos_config_set_auto_switch_host(std::ptr::null_mut(), true),
            Status::InvalidArgument
        );
        assert_eq!(
            qcos_config_set_service_domain(p, c"cos.{Region}.tencentcos.cn".as_ptr()),
            Status::Ok
        );
        assert_eq!(
            get(p).service_domain.as_deref(),
            Some("cos.{Region}.tencentcos.cn")
        );
        for bad in [
            c"https://service.cos.myqcloud.com",
            c"service.cos.myqcloud.com/x",
            c"service.cos.myqcloud.com\r\nX: y",
            c"{Bucket}.example.com",
            c"",
        ] {
            assert_eq!(
                qcos_config_set_service_domain(p, bad.as_ptr()),
                Status::InvalidArgument,
                "{bad:?}"
            );
            assert!(
                super::super::last_error::message().contains("service_domain"),
                "{bad:?}"
            );
        }
        assert_eq!(
            get(p).service_domain.as_deref(),
            Some("cos.{Region}.tencentcos.cn"),
            "a refused value leaves the config unchanged"
        );
        assert_eq!(
            qcos_config_set_service_domain(p, std::ptr::null()),
            Status::Ok
        );
        assert_eq!(get(p).service_domain, None);
        qcos_config_free(p);
    }

    #[test]
    fn client_new_consumes_the_config_even_on_failure() {
        // A NULL output still consumes (frees) the config: nothing leaks, no double free.
        let p = new_cfg();
        assert_eq!(
            super::super::client::qcos_client_new(p, std::ptr::null_mut()),
            Status::InvalidArgument
        );
    }
}
