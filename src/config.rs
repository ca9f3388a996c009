//! Client configuration: where to connect, how to authenticate, timeouts, retries, and
//! the transfer options the multipart engine reads. Pure: no I/O except [`Config::from_env`],
//! which reads environment variables.
//!
//! Every default is documented on its field. The transfer defaults follow the seed SDK
//! (cos-js-sdk-v5) except where a native client on a small machine measured better
//! (see `PERFORMANCE.md`): `chunk_size` 8 MiB and `chunk_parallel_limit` 2.

use std::fmt;
use std::sync::Arc;

use crate::auth::{CredentialProvider, Credentials, Secret};
use crate::encode::{validate_bucket, validate_region};
use crate::error::{Error, Result};

/// URL scheme used to reach COS. Default [`Protocol::Https`].
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Protocol {
    /// Plain HTTP (for local servers such as qcos-server).
    Http,
    /// HTTPS through rustls (real COS).
    #[default]
    Https,
}

impl Protocol {
    /// `"http"` or `"https"`.
    pub fn scheme(self) -> &'static str {
        match self {
            Protocol::Http => "http",
            Protocol::Https => "https",
        }
    }
    /// Port used when none is given.
    pub fn default_port(self) -> u16 {
        match self {
            Protocol::Http => 80,
            Protocol::Https => 443,
        }
    }
}

/// One mebibyte.
pub const MIB: u64 = 1024 * 1024;

/// Everything a [`crate::Client`] needs. Build with [`Config::new`] and set fields.
#[derive(Clone)]
pub struct Config {
    /// Region id such as `ap-guangzhou` (required; checked by `encode::validate_region`).
    pub region: String,
    /// Bucket in the long form `name-APPID` (checked by `encode::validate_bucket`).
    /// May be empty for a client that only lists buckets (GET Service); bucket and object
    /// operations then fail with `InvalidArgument`.
    pub bucket: String,
    /// Permanent or temporary credentials. With a `credential_provider` too, these are
    /// used first and the provider is asked once they expire within
    /// `credential_refresh_margin_secs`.
    pub credentials: Option<Credentials>,
    /// Called lazily when there are no credentials or they expire within
    /// `credential_refresh_margin_secs`; the result is cached.
    pub credential_provider: Option<Arc<dyn CredentialProvider>>,
    /// Scheme for the default and `domain` hosts. Default `Https`. An `endpoint` carries
    /// its own scheme, which wins.
    pub protocol: Protocol,
    /// Host template replacing `{Bucket}.cos.{Region}.myqcloud.com`. Placeholders
    /// (case-insensitive, `{x}` or `{{x}}`): `{Bucket}` (name-APPID), `{BucketName}`,
    /// `{AppId}`, `{Region}`; other `{...}` are removed. May start with `http://` or
    /// `https://`, which then overrides `protocol`. Default: none.
    pub domain: Option<String>,
    /// `http(s)://host[:port]` to connect to instead of the COS host, e.g.
    /// `http://127.0.0.1:9000`. Without `path_style` the request still carries (and signs)
    /// the real virtual-hosted `Host: {Bucket}.cos.{Region}.myqcloud.com`, as the official
    /// SDKs' IP/Port setting does. With `https://` the TLS connection is made to (and
    /// the certificate checked for) the endpoint's host. Default: none.
    pub endpoint: Option<String>,
    /// Path-style addressing: the bucket is the first path segment (`/{bucket}/{key}`) and
    /// `Host` is the endpoint's `host[:port]` (or `cos.{Region}.myqcloud.com` without an
    /// endpoint). Default false.
    pub path_style: bool,
    /// Use the global acceleration host `{Bucket}.cos.accelerate.myqcloud.com`. Default false.
    pub use_accelerate: bool,
    /// Backup-domain switching (cos-protocol.md §7.3): when a request to the default
    /// host `{Bucket}.cos.{Region}.myqcloud.com` fails in a way that did not come from
    /// COS (a network error or timeout, or a 5xx or 301/302/307 answer without an
    /// `x-cos-request-id`), its next attempt goes to the backup host
    /// `{Bucket}.cos.{Region}.tencentcos.cn` instead: same path and query, re-signed for
    /// the new `Host`, with `x-cos-sdk-retry: true` as every retry. Only the default host
    /// form switches: not a `domain` template, not `use_accelerate`, not `path_style`,
    /// not GET Service. With an `endpoint` the connection still goes to the endpoint;
    /// only the `Host` header (and so the signature) changes. Presigned URLs are never
    /// affected.
    ///
    /// The switch is per request, as in the official SDKs: once a request switched, its
    /// remaining attempts stay on the backup host, and the client's next request starts
    /// on the primary host again (a flapping network path should not pin a long-lived
    /// client to the backup domain). A request with a one-shot body (Upload Part, APPEND)
    /// is not sent again by the HTTP layer; when it fails that way, the same request's
    /// next send by its caller (the transfer engine's part retry) starts on the backup
    /// host instead.
    ///
    /// Default **true**, as in the seed SDK (cos-js-sdk-v5 `AutoSwitchHost`, §10.1),
    /// whose defaults this config follows; the Python and Go SDKs default to false. It
    /// only changes attempts that are retries of failures COS never answered, so it
    /// cannot turn a COS answer into something else, and the backup domain serves the
    /// same buckets with the same keys.
    pub auto_switch_host: bool,
    /// Host for GET Service (list buckets) instead of `service.cos.myqcloud.com`, e.g.
    /// `service.cos.tencentcos.cn` or `cos.{Region}.myqcloud.com` (§1.1). A `host[:port]`
    /// template: `{Region}` and `{AppId}` (case-insensitive, `{x}` or `{{x}}`, the JS
    /// SDK's `ServiceDomain` placeholders) become the region and the APPID suffix of
    /// `bucket` (`{AppId}` needs a bucket). No scheme (it comes from `protocol` or the
    /// `endpoint`), path, query, user info, other placeholders, CR/LF or control
    /// characters. It is the signed `Host`; with an `endpoint` the connection still goes
    /// to the endpoint. Default: none.
    pub service_domain: Option<String>,
    /// Whole-request timeout in milliseconds (connect, send, receive the whole body);
    /// 0 = none. Default 0, as in the seed SDK: large transfers must not be cut off by a
    /// fixed budget; stalls are caught by `io_timeout_ms`.
    pub timeout_ms: u64,
    /// Connection (and TLS handshake) timeout in milliseconds; 0 = none. Default 10000.
    pub connect_timeout_ms: u64,
    /// Longest wait for any single socket read or write, in milliseconds; 0 = none.
    /// Catches a stalled peer without limiting the length of a transfer. Default 60000.
    /// (Complete Multipart Upload waits at least 1200 s, as the Python SDK does: COS
    /// may take that long to merge parts.)
    pub io_timeout_ms: u64,
    /// Extra attempts for a retryable failure (network error, timeout, 5xx, SlowDown) of
    /// a request whose body can be replayed. Default 3 (4 attempts), as the official SDKs.
    pub max_retries: u32,
    /// First retry delay in milliseconds; doubles each retry (capped at 10 s) with full
    /// jitter in `[d/2, d]`. Default 200.
    pub retry_base_delay_ms: u64,
    /// `User-Agent` header. Default `qcos/{version}`.
    pub user_agent: String,
    /// Learn the server's clock from `Date` and sign with it; re-sign and resend once on
    /// `RequestTimeTooSkewed` / `Request has expired`. Default true.
    pub correct_clock_skew: bool,
    /// Lifetime of each request signature in seconds (the start is back-dated 60 s).
    /// Default 900 (the JS SDK's).
    pub sign_expires_secs: i64,
    /// Temporary credentials expiring within this many seconds are refreshed through the
    /// provider before use. Default 60 (the JS SDK's).
    pub credential_refresh_margin_secs: i64,
    /// Files larger than this are uploaded in parts. Default 1 MiB (seed SDK).
    pub slice_size: u64,
    /// Part size of multipart uploads. Default 8 MiB (seed: 1 MiB): on the reference
    /// machine 8 MiB parts gave the best throughput; smaller parts pay a round trip per MiB.
    pub chunk_size: u64,
    /// Parts (or ranges) in flight at once per transfer. Default 2 (seed: 3): two
    /// workers saturate two cores; more did not help in the benchmark. Each transfer keeps
    /// to this limit whatever the size of the client's worker pool.
    pub chunk_parallel_limit: usize,
    /// Files uploaded at once by the task queue. Default 3 (seed).
    ///
    /// With `chunk_parallel_limit` it sizes the client's worker pool: each client owns
    /// one rayon pool of `max(chunk_parallel_limit × file_parallel_limit,
    /// copy_chunk_parallel_limit)` threads (at most 64, named `qcos-worker-N`), started on
    /// the first multipart transfer and shared by all the client's transfers.
    pub file_parallel_limit: usize,
    /// Extra attempts per part / part copy / complete. Default 2 (seed).
    pub chunk_retry_times: u32,
    /// Sources up to this size are copied with one PUT Object - Copy. Default 10 MiB (seed).
    pub copy_slice_size: u64,
    /// Part size of multipart copies. Default 10 MiB (seed).
    pub copy_chunk_size: u64,
    /// Upload Part - Copy calls at once per copy. Default 20 (seed; they move no data
    /// locally). Also a lower bound of the client's worker pool size.
    pub copy_chunk_parallel_limit: usize,
    /// Minimum interval between progress callbacks, milliseconds. Default 1000 (seed).
    pub progress_interval_ms: u64,
    /// Finished tasks kept in the task list. Default 10000 (seed).
    pub upload_queue_size: usize,
    /// Send `Content-MD5` with PUT Object and every part. Default false (seed): MD5 costs
    /// about 1.3 CPU-seconds per GB.
    pub upload_check_content_md5: bool,
    /// Store the hex MD5 of the whole body as `x-cos-meta-md5`. Default false (seed).
    pub upload_add_meta_md5: bool,
}

impl Config {
    /// A configuration with every default; nothing is checked until [`Config::validate`]
    /// (which [`crate::Client::new`] calls).
    pub fn new(region: &str, bucket: &str) -> Config {
        Config {
            region: region.to_string(),
            bucket: bucket.to_string(),
            credentials: None,
            credential_provider: None,
            protocol: Protocol::Https,
            domain: None,
            endpoint: None,
            path_style: false,
            use_accelerate: false,
            auto_switch_host: true,
            service_domain: None,
            timeout_ms: 0,
            connect_timeout_ms: 10_000,
            io_timeout_ms: 60_000,
            max_retries: 3,
            retry_base_delay_ms: 200,
            user_agent: format!("qcos/{}", env!("CARGO_PKG_VERSION")),
            correct_clock_skew: true,
            sign_expires_secs: 900,
            credential_refresh_margin_secs: 60,
            slice_size: MIB,
            chunk_size: 8 * MIB,
            chunk_parallel_limit: 2,
            file_parallel_limit: 3,
            chunk_retry_times: 2,
            copy_slice_size: 10 * MIB,
            copy_chunk_size: 10 * MIB,
            copy_chunk_parallel_limit: 20,
            progress_interval_ms: 1000,
            upload_queue_size: 10_000,
            upload_check_content_md5: false,
            upload_add_meta_md5: false,
        }
    }

    /// A configuration from the environment (see [`ENV_VARS`] for the whole table):
    /// `COS_REGION` (required), `COS_BUCKET`, `COS_SECRET_ID` + `COS_SECRET_KEY` (both
    /// or neither), `COS_SECURITY_TOKEN` (temporary credentials; needs the keys),
    /// `COS_ENDPOINT` (e.g. `http://127.0.0.1:9000`), and one variable per option:
    /// `COS_PROTOCOL`, `COS_DOMAIN`, `COS_PATH_STYLE`, `COS_USE_ACCELERATE`,
    /// `COS_AUTO_SWITCH_HOST`, `COS_SERVICE_DOMAIN`, `COS_TIMEOUT_MS`,
    /// `COS_CONNECT_TIMEOUT_MS`, `COS_IO_TIMEOUT_MS`, `COS_MAX_RETRIES`,
    /// `COS_RETRY_BASE_DELAY_MS`, `COS_USER_AGENT`, `COS_CORRECT_CLOCK_SKEW`,
    /// `COS_SIGN_EXPIRES_SECS`, `COS_CREDENTIAL_REFRESH_MARGIN_SECS`, `COS_SLICE_SIZE`,
    /// `COS_CHUNK_SIZE`, `COS_CHUNK_PARALLEL_LIMIT`, `COS_FILE_PARALLEL_LIMIT`,
    /// `COS_CHUNK_RETRY_TIMES`, `COS_COPY_SLICE_SIZE`, `COS_COPY_CHUNK_SIZE`,
    /// `COS_COPY_CHUNK_PARALLEL_LIMIT`, `COS_PROGRESS_INTERVAL_MS`,
    /// `COS_UPLOAD_QUEUE_SIZE`, `COS_UPLOAD_CHECK_CONTENT_MD5`, `COS_UPLOAD_ADD_META_MD5`.
    ///
    /// An unset or empty variable keeps the option's default. Numbers are plain
    /// decimal integers (sizes in bytes, times in milliseconds or seconds as named);
    /// booleans are `1`/`true`/`yes`/`on` or `0`/`false`/`no`/`off` (any case);
    /// `COS_PROTOCOL` is `http` or `https` (an endpoint's own scheme wins). A bad value
    /// (not a number, negative, out of range, not a boolean) is an `InvalidArgument`
    /// error naming the variable and what is wrong with it; the values of
    /// `COS_SECRET_KEY` and `COS_SECURITY_TOKEN` never appear in a message. The result
    /// is validated.
    pub fn from_env() -> Result<Config> {
        Self::from_lookup(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
    }

    /// [`Config::from_env`] with an explicit variable lookup (for tests).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Config> {
        let region = get("COS_REGION").ok_or_else(|| {
            Error::invalid(
                "config",
                "COS_REGION is not set (a region id such as ap-guangzhou)",
            )
        })?;
        let bucket = get("COS_BUCKET").unwrap_or_default();
        let mut cfg = Config::new(&region, &bucket);
        // The secrets go straight into `Secret`s, which clear them when dropped (on
        // every path, the error paths included).
        let token = get("COS_SECURITY_TOKEN").map(Secret::new);
        match (get("COS_SECRET_ID"), get("COS_SECRET_KEY").map(Secret::new)) {
            (Some(id), Some(key)) => {
                cfg.credentials = Some(Credentials {
                    secret_id: id,
                    secret_key: key,
                    security_token: token,
                    start_time: None,
                    expired_time: None,
                });
            }
            (None, None) => {
                if token.is_some() {
                    return Err(Error::invalid(
                        "config",
                        "COS_SECURITY_TOKEN is set but COS_SECRET_ID and COS_SECRET_KEY are not \
                         (a token belongs to temporary keys)",
                    ));
                }
            }
            (Some(_), None) => {
                return Err(Error::invalid(
                    "config",
                    "COS_SECRET_ID is set but COS_SECRET_KEY is not",
                ));
            }
            (None, Some(_)) => {
                return Err(Error::invalid(
                    "config",
                    "COS_SECRET_KEY is set but COS_SECRET_ID is not",
                ));
            }
        }
        let env = EnvReader { get: &get };
        if let Some(p) = env.raw("COS_PROTOCOL") {
            cfg.protocol = match p.trim().to_ascii_lowercase().as_str() {
                "http" => Protocol::Http,
                "https" => Protocol::Https,
                _ => {
                    return Err(Error::invalid(
                        "COS_PROTOCOL",
                        format!("{} is not a protocol (use http or https)", shown(&p)),
                    ));
                }
            };
        }
        cfg.endpoint = env.raw("COS_ENDPOINT");
        if let Some(ep) = &cfg.endpoint {
            cfg.protocol = parse_endpoint(ep)
                .map_err(|e| rename(e, "endpoint", "COS_ENDPOINT"))?
                .protocol;
        }
        cfg.domain = env.raw("COS_DOMAIN");
        cfg.service_domain = env.raw("COS_SERVICE_DOMAIN");
        if let Some(ua) = env.raw("COS_USER_AGENT") {
            cfg.user_agent = ua;
        }
        env.boolean("COS_PATH_STYLE", &mut cfg.path_style)?;
        env.boolean("COS_USE_ACCELERATE", &mut cfg.use_accelerate)?;
        env.boolean("COS_AUTO_SWITCH_HOST", &mut cfg.auto_switch_host)?;
        env.boolean("COS_CORRECT_CLOCK_SKEW", &mut cfg.correct_clock_skew)?;
        env.boolean(
            "COS_UPLOAD_CHECK_CONTENT_MD5",
            &mut cfg.upload_check_content_md5,
        )?;
        env.boolean("COS_UPLOAD_ADD_META_MD5", &mut cfg.upload_add_meta_md5)?;
        env.number("COS_TIMEOUT_MS", 0, u64::MAX, &mut cfg.timeout_ms)?;
        env.number(
            "COS_CONNECT_TIMEOUT_MS",
            0,
            u64::MAX,
            &mut cfg.connect_timeout_ms,
        )?;
        env.number("COS_IO_TIMEOUT_MS", 0, u64::MAX, &mut cfg.io_timeout_ms)?;
        env.number("COS_MAX_RETRIES", 0, MAX_ENV_RETRIES, &mut cfg.max_retries)?;
        env.number(
            "COS_RETRY_BASE_DELAY_MS",
            0,
            u64::MAX,
            &mut cfg.retry_base_delay_ms,
        )?;
        env.number(
            "COS_SIGN_EXPIRES_SECS",
            1,
            i64::MAX,
            &mut cfg.sign_expires_secs,
        )?;
        env.number(
            "COS_CREDENTIAL_REFRESH_MARGIN_SECS",
            0,
            i64::MAX,
            &mut cfg.credential_refresh_margin_secs,
        )?;
        env.number("COS_SLICE_SIZE", 0, u64::MAX, &mut cfg.slice_size)?;
        env.number("COS_CHUNK_SIZE", MIB, 5 * 1024 * MIB, &mut cfg.chunk_size)?;
        env.number(
            "COS_CHUNK_PARALLEL_LIMIT",
            1,
            MAX_ENV_PARALLEL,
            &mut cfg.chunk_parallel_limit,
        )?;
        env.number(
            "COS_FILE_PARALLEL_LIMIT",
            1,
            MAX_ENV_PARALLEL,
            &mut cfg.file_parallel_limit,
        )?;
        env.number(
            "COS_CHUNK_RETRY_TIMES",
            0,
            MAX_ENV_RETRIES,
            &mut cfg.chunk_retry_times,
        )?;
        env.number("COS_COPY_SLICE_SIZE", 0, u64::MAX, &mut cfg.copy_slice_size)?;
        env.number(
            "COS_COPY_CHUNK_SIZE",
            MIB,
            5 * 1024 * MIB,
            &mut cfg.copy_chunk_size,
        )?;
        env.number(
            "COS_COPY_CHUNK_PARALLEL_LIMIT",
            1,
            MAX_ENV_PARALLEL,
            &mut cfg.copy_chunk_parallel_limit,
        )?;
        env.number(
            "COS_PROGRESS_INTERVAL_MS",
            0,
            u64::MAX,
            &mut cfg.progress_interval_ms,
        )?;
        env.number(
            "COS_UPLOAD_QUEUE_SIZE",
            0,
            usize::MAX,
            &mut cfg.upload_queue_size,
        )?;
        // Whole-config checks; an error about an option read from a variable names
        // the variable.
        cfg.validate().map_err(|e| {
            [
                ("domain", "COS_DOMAIN"),
                ("service_domain", "COS_SERVICE_DOMAIN"),
                ("user_agent", "COS_USER_AGENT"),
                ("endpoint", "COS_ENDPOINT"),
            ]
            .into_iter()
            .fold(e, |e, (field, var)| rename(e, field, var))
        })?;
        Ok(cfg)
    }

    /// Check every field; the message says which one is wrong and why.
    pub fn validate(&self) -> Result<()> {
        validate_region(&self.region)?;
        if !self.bucket.is_empty() {
            validate_bucket(&self.bucket)?;
        }
        if let Some(c) = &self.credentials {
            c.validate()?;
        }
        if let Some(ep) = &self.endpoint {
            parse_endpoint(ep)?;
        }
        if let Some(d) = &self.domain {
            let host = expand_domain(d, "examplebucket-1250000000", &self.region);
            let (_, host) = split_scheme(&host);
            validate_host_port(host).map_err(|why| {
                Error::invalid(
                    "domain",
                    format!("{d:?} does not expand to a host[:port]: {why}"),
                )
            })?;
        }
        if let Some(sd) = &self.service_domain {
            service_host(sd, &self.bucket, &self.region)?;
        }
        if self.sign_expires_secs <= 0 {
            return Err(Error::invalid(
                "sign_expires_secs",
                "must be positive (the signature lifetime in seconds)",
            ));
        }
        if self.credential_refresh_margin_secs < 0 {
            return Err(Error::invalid(
                "credential_refresh_margin_secs",
                "must not be negative",
            ));
        }
        if self.user_agent.chars().any(|c| c.is_control()) {
            return Err(Error::invalid(
                "user_agent",
                "contains CR, LF or another control character",
            ));
        }
        if self.chunk_size < MIB || self.copy_chunk_size < MIB {
            return Err(Error::invalid(
                "chunk_size",
                "COS parts must be at least 1 MiB (chunk_size and copy_chunk_size)",
            ));
        }
        if self.chunk_size > 5 * 1024 * MIB || self.copy_chunk_size > 5 * 1024 * MIB {
            return Err(Error::invalid(
                "chunk_size",
                "COS parts must be at most 5 GiB (chunk_size and copy_chunk_size)",
            ));
        }
        if self.chunk_parallel_limit == 0
            || self.file_parallel_limit == 0
            || self.copy_chunk_parallel_limit == 0
        {
            return Err(Error::invalid(
                "parallel limit",
                "chunk_parallel_limit, file_parallel_limit and copy_chunk_parallel_limit must be at least 1",
            ));
        }
        Ok(())
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("region", &self.region)
            .field("bucket", &self.bucket)
            .field("credentials", &self.credentials)
            .field(
                "credential_provider",
                &self.credential_provider.as_ref().map(|_| "<provider>"),
            )
            .field("protocol", &self.protocol)
            .field("domain", &self.domain)
            .field("endpoint", &self.endpoint)
            .field("path_style", &self.path_style)
            .field("use_accelerate", &self.use_accelerate)
            .field("auto_switch_host", &self.auto_switch_host)
            .field("service_domain", &self.service_domain)
            .field("timeout_ms", &self.timeout_ms)
            .field("connect_timeout_ms", &self.connect_timeout_ms)
            .field("io_timeout_ms", &self.io_timeout_ms)
            .field("max_retries", &self.max_retries)
            .field("user_agent", &self.user_agent)
            .field("correct_clock_skew", &self.correct_clock_skew)
            .field("chunk_size", &self.chunk_size)
            .field("chunk_parallel_limit", &self.chunk_parallel_limit)
            .finish_non_exhaustive()
    }
}

/// The environment variables [`Config::from_env`] reads, each with the option it sets
/// (for documentation and tests; `COS_SECRET_KEY` and `COS_SECURITY_TOKEN` are secrets
/// whose values never appear in an error).
pub const ENV_VARS: &[(&str, &str)] = &[
    ("COS_REGION", "region (required)"),
    ("COS_BUCKET", "bucket"),
    (
        "COS_SECRET_ID",
        "credentials: SecretId (with COS_SECRET_KEY)",
    ),
    (
        "COS_SECRET_KEY",
        "credentials: SecretKey (with COS_SECRET_ID)",
    ),
    ("COS_SECURITY_TOKEN", "credentials: token of temporary keys"),
    ("COS_ENDPOINT", "endpoint"),
    ("COS_PROTOCOL", "protocol (http or https)"),
    ("COS_DOMAIN", "domain"),
    ("COS_PATH_STYLE", "path_style (boolean)"),
    ("COS_USE_ACCELERATE", "use_accelerate (boolean)"),
    ("COS_AUTO_SWITCH_HOST", "auto_switch_host (boolean)"),
    ("COS_SERVICE_DOMAIN", "service_domain"),
    ("COS_TIMEOUT_MS", "timeout_ms"),
    ("COS_CONNECT_TIMEOUT_MS", "connect_timeout_ms"),
    ("COS_IO_TIMEOUT_MS", "io_timeout_ms"),
    ("COS_MAX_RETRIES", "max_retries (0..=100)"),
    ("COS_RETRY_BASE_DELAY_MS", "retry_base_delay_ms"),
    ("COS_USER_AGENT", "user_agent"),
    ("COS_CORRECT_CLOCK_SKEW", "correct_clock_skew (boolean)"),
    ("COS_SIGN_EXPIRES_SECS", "sign_expires_secs (at least 1)"),
    (
        "COS_CREDENTIAL_REFRESH_MARGIN_SECS",
        "credential_refresh_margin_secs",
    ),
    ("COS_SLICE_SIZE", "slice_size (bytes)"),
    ("COS_CHUNK_SIZE", "chunk_size (bytes, 1 MiB..=5 GiB)"),
    (
        "COS_CHUNK_PARALLEL_LIMIT",
        "chunk_parallel_limit (1..=1024)",
    ),
    ("COS_FILE_PARALLEL_LIMIT", "file_parallel_limit (1..=1024)"),
    ("COS_CHUNK_RETRY_TIMES", "chunk_retry_times (0..=100)"),
    ("COS_COPY_SLICE_SIZE", "copy_slice_size (bytes)"),
    (
        "COS_COPY_CHUNK_SIZE",
        "copy_chunk_size (bytes, 1 MiB..=5 GiB)",
    ),
    (
        "COS_COPY_CHUNK_PARALLEL_LIMIT",
        "copy_chunk_parallel_limit (1..=1024)",
    ),
    ("COS_PROGRESS_INTERVAL_MS", "progress_interval_ms"),
    ("COS_UPLOAD_QUEUE_SIZE", "upload_queue_size"),
    (
        "COS_UPLOAD_CHECK_CONTENT_MD5",
        "upload_check_content_md5 (boolean)",
    ),
    ("COS_UPLOAD_ADD_META_MD5", "upload_add_meta_md5 (boolean)"),
];

/// Upper bound of the retry counts read from the environment: a typo such as
/// `COS_MAX_RETRIES=1000000` should be an error, not an endless retry loop.
const MAX_ENV_RETRIES: u32 = 100;
/// Upper bound of the parallel limits read from the environment (the worker pool is
/// capped at 64 threads anyway).
const MAX_ENV_PARALLEL: usize = 1024;

/// A value for an error message: quoted, at most 40 characters (never used for the
/// secret variables).
fn shown(v: &str) -> String {
    let mut cut: String = v.chars().take(40).collect();
    if cut.len() < v.len() {
        cut.push('…');
    }
    format!("{cut:?}")
}

/// An `InvalidArgument` about `field` renamed to be about the variable `var`.
fn rename(e: Error, field: &str, var: &'static str) -> Error {
    match e {
        Error::InvalidArgument { what, why } if what == field => {
            Error::InvalidArgument { what: var, why }
        }
        e => e,
    }
}

/// Typed reads of the non-secret variables of [`Config::from_lookup`].
struct EnvReader<'a, F: Fn(&str) -> Option<String>> {
    get: &'a F,
}

impl<F: Fn(&str) -> Option<String>> EnvReader<'_, F> {
    fn raw(&self, var: &str) -> Option<String> {
        (self.get)(var).filter(|v| !v.is_empty())
    }

    /// A boolean variable into `out`, when set.
    fn boolean(&self, var: &'static str, out: &mut bool) -> Result<()> {
        let Some(v) = self.raw(var) else {
            return Ok(());
        };
        *out = match v.trim().to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => true,
            "0" | "false" | "no" | "off" => false,
            _ => {
                return Err(Error::invalid(
                    var,
                    format!(
                        "{} is not a boolean (use 1, true, yes, on or 0, false, no, off)",
                        shown(&v)
                    ),
                ));
            }
        };
        Ok(())
    }

    /// A decimal integer variable in `min..=max` into `out`, when set.
    fn number<T>(&self, var: &'static str, min: T, max: T, out: &mut T) -> Result<()>
    where
        T: std::str::FromStr + PartialOrd + fmt::Display + Copy,
    {
        let Some(v) = self.raw(var) else {
            return Ok(());
        };
        let t = v.trim();
        let digits = t.strip_prefix('+').unwrap_or(t);
        let bad = |why: String| Error::invalid(var, format!("{} {why}", shown(&v)));
        if let Some(rest) = digits.strip_prefix('-') {
            if !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad("is negative (it must be a whole number ≥ 0)".into()));
            }
        }
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("is not a whole number (decimal digits only)".into()));
        }
        let n: T = digits
            .parse()
            .map_err(|_| bad(format!("is too large (at most {max})")))?;
        if n < min {
            return Err(bad(format!("is too small (at least {min})")));
        }
        if n > max {
            return Err(bad(format!("is too large (at most {max})")));
        }
        *out = n;
        Ok(())
    }
}

/// A parsed `endpoint`: scheme, host (IPv6 keeps its brackets) and port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub protocol: Protocol,
    pub host: String,
    pub port: Option<u16>,
}

impl Endpoint {
    /// `host` or `host:port` as a `Host` header / URL authority.
    pub fn authority(&self) -> String {
        match self.port {
            Some(p) if p != self.protocol.default_port() => format!("{}:{p}", self.host),
            _ => self.host.clone(),
        }
    }
    /// `scheme://authority`.
    pub fn base_url(&self) -> String {
        format!("{}://{}", self.protocol.scheme(), self.authority())
    }
}

fn split_scheme(s: &str) -> (Option<Protocol>, &str) {
    let lower = s.to_ascii_lowercase();
    if lower.starts_with("http://") {
        (Some(Protocol::Http), &s[7..])
    } else if lower.starts_with("https://") {
        (Some(Protocol::Https), &s[8..])
    } else {
        (None, s)
    }
}

/// Check `host[:port]`; returns the split parts.
fn validate_host_port(s: &str) -> std::result::Result<(String, Option<u16>), String> {
    if s.is_empty() {
        return Err("the host is empty".into());
    }
    let (host, port) = if let Some(rest) = s.strip_prefix('[') {
        let (h, after) = rest
            .split_once(']')
            .ok_or("an IPv6 address needs a closing ']'")?;
        if h.is_empty()
            || !h
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
        {
            return Err(format!("[{h}] is not an IPv6 address"));
        }
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':').ok_or("unexpected text after ']'")?),
        };
        (format!("[{h}]"), port)
    } else {
        match s.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), Some(p)),
            None => (s.to_string(), None),
        }
    };
    if !host.starts_with('[') {
        if host.is_empty() {
            return Err("the host is empty".into());
        }
        if let Some(c) = host
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '.' || *c == '_'))
        {
            return Err(format!(
                "the host {host:?} contains {c:?} (a path, query or credentials are not allowed)"
            ));
        }
    }
    let port = match port {
        None => None,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 => Some(n),
            _ => return Err(format!("the port {p:?} is not a number in 1..=65535")),
        },
    };
    Ok((host, port))
}

/// Parse and check an endpoint: `http(s)://host[:port]`, optionally with one trailing `/`,
/// and nothing else (no path, query or user info).
pub fn parse_endpoint(ep: &str) -> Result<Endpoint> {
    let bad = |why: String| Error::invalid("endpoint", format!("{ep:?}: {why}"));
    let (proto, rest) = split_scheme(ep.trim());
    let protocol = proto.ok_or_else(|| {
        bad("must start with http:// or https://, e.g. http://127.0.0.1:9000".into())
    })?;
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.contains('/') || rest.contains('?') || rest.contains('#') {
        return Err(bad(
            "must be scheme://host[:port] with no path or query".into()
        ));
    }
    if rest.contains('@') {
        return Err(bad("must not contain user info".into()));
    }
    let (host, port) = validate_host_port(rest).map_err(bad)?;
    Ok(Endpoint {
        protocol,
        host,
        port,
    })
}

/// Expand a `domain` template (JS SDK rules): `{{x}}` then `{x}`, case-insensitive, for
/// Bucket, BucketName, AppId, Region; any other `{...}` is removed; a trailing `/` is
/// stripped.
pub fn expand_domain(template: &str, bucket: &str, region: &str) -> String {
    let (name, appid) = bucket.rsplit_once('-').unwrap_or((bucket, ""));
    let value = |key: &str| -> String {
        match key.to_ascii_lowercase().as_str() {
            "bucket" => bucket.to_string(),
            "bucketname" => name.to_string(),
            "appid" => appid.to_string(),
            "region" => region.to_string(),
            _ => String::new(),
        }
    };
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open..];
        let double = after.starts_with("{{");
        let inner_start = if double { 2 } else { 1 };
        let close = if double { "}}" } else { "}" };
        match after[inner_start..].find(close) {
            Some(end) => {
                let key = &after[inner_start..inner_start + end];
                out.push_str(&value(key.trim_matches(['{', '}'])));
                rest = &after[inner_start + end + close.len()..];
            }
            None => {
                out.push_str(after);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    while out.ends_with('/') {
        out.pop();
    }
    out
}

/// The host for GET Service from a `service_domain` template: `{Region}` and `{AppId}`
/// (case-insensitive, single or double braces) replaced, the result checked as
/// `host[:port]`. The error names the problem (scheme, path, control character,
/// unknown placeholder, `{AppId}` without a bucket, bad host or port).
pub fn service_host(template: &str, bucket: &str, region: &str) -> Result<String> {
    let bad = |why: String| Error::invalid("service_domain", format!("{template:?}: {why}"));
    if template.is_empty() {
        return Err(bad(
            "is empty (give a host such as service.cos.myqcloud.com, or no service_domain)".into(),
        ));
    }
    if let Some(c) = template.chars().find(|c| c.is_control()) {
        return Err(bad(format!(
            "contains {c:?} (CR, LF and other control characters are not allowed)"
        )));
    }
    if template.contains("://") {
        return Err(bad(
            "must be a host[:port] without a scheme (the scheme comes from protocol or endpoint)"
                .into(),
        ));
    }
    if let Some(c) = template
        .chars()
        .find(|c| matches!(c, '/' | '?' | '#' | '@' | ' '))
    {
        return Err(bad(format!(
            "contains {c:?}: a path, query, user info or space is not allowed (only host[:port])"
        )));
    }
    let appid = bucket.rsplit_once('-').map(|(_, a)| a).unwrap_or("");
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find(['{', '}']) {
        out.push_str(&rest[..open]);
        let after = &rest[open..];
        if after.starts_with('}') {
            return Err(bad("has a '}' without a matching '{'".into()));
        }
        let double = after.starts_with("{{");
        let (inner_start, close) = if double { (2, "}}") } else { (1, "}") };
        let Some(end) = after[inner_start..].find(close) else {
            return Err(bad("has a '{' without a matching '}'".into()));
        };
        let key = &after[inner_start..inner_start + end];
        match key.to_ascii_lowercase().as_str() {
            "region" => out.push_str(region),
            "appid" if appid.is_empty() => {
                return Err(bad(
                    "uses {AppId} but no bucket \"name-APPID\" is configured to take it from"
                        .into(),
                ));
            }
            "appid" => out.push_str(appid),
            _ => {
                return Err(bad(format!(
                    "unknown placeholder {{{key}}} (only {{Region}} and {{AppId}} are defined)"
                )));
            }
        }
        rest = &after[inner_start + end + close.len()..];
    }
    out.push_str(rest);
    validate_host_port(&out)
        .map_err(|why| bad(format!("does not expand to a host[:port]: {why}")))?;
    Ok(out)
}

/// Split an expanded domain into an optional scheme override and the host.
pub fn domain_host(expanded: &str) -> (Option<Protocol>, String) {
    let (p, h) = split_scheme(expanded);
    (p, h.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_documented_values() {
        let c = Config::new("ap-guangzhou", "examplebucket-1250000000");
        assert_eq!(c.protocol, Protocol::Https);
        assert_eq!(c.chunk_size, 8 * MIB);
        assert_eq!(c.chunk_parallel_limit, 2);
        assert_eq!(c.slice_size, MIB);
        assert_eq!(c.max_retries, 3);
        assert!(c.correct_clock_skew);
        assert!(c.validate().is_ok());
        assert!(Config::new("ap-guangzhou", "").validate().is_ok());
    }

    #[test]
    fn validation_says_why() {
        let e = Config::new("ap guangzhou", "b-1").validate().unwrap_err();
        assert!(e.to_string().contains("region"), "{e}");
        let e = Config::new("ap-guangzhou", "Bad_Bucket")
            .validate()
            .unwrap_err();
        assert!(e.to_string().contains("bucket"), "{e}");
        let mut c = Config::new("ap-guangzhou", "b-1");
        c.endpoint = Some("127.0.0.1:9000".into());
        let e = c.validate().unwrap_err().to_string();
        assert!(e.contains("endpoint") && e.contains("http://"), "{e}");
        c.endpoint = Some("http://127.0.0.1:9000/path".into());
        assert!(c.validate().unwrap_err().to_string().contains("no path"));
        c.endpoint = Some("http://127.0.0.1:0".into());
        assert!(c.validate().unwrap_err().to_string().contains("port"));
        c.endpoint = Some("http://u:p@host".into());
        assert!(c.validate().is_err());
        c.endpoint = Some("http://127.0.0.1:9000/".into());
        assert!(c.validate().is_ok());
        c.domain = Some("{Bucket}.cos.{Region}.x.com/path".into());
        assert!(c.validate().unwrap_err().to_string().contains("domain"));
        c.domain = Some("https://{Bucket}.cos.{Region}.x.com".into());
        assert!(c.validate().is_ok());
        let mut c = Config::new("ap-guangzhou", "b-1");
        c.chunk_size = 1000;
        assert!(c.validate().is_err());
        let mut c = Config::new("ap-guangzhou", "b-1");
        c.credentials = Some(Credentials::new("", "k"));
        assert_eq!(c.validate().unwrap_err().status(), crate::Status::Auth);
    }

    #[test]
    fn endpoints_parse() {
        let e = parse_endpoint("http://127.0.0.1:9000").unwrap();
        assert_eq!(e.protocol, Protocol::Http);
        assert_eq!(e.authority(), "127.0.0.1:9000");
        let e = parse_endpoint("HTTPS://cos.example.com").unwrap();
        assert_eq!(e.base_url(), "https://cos.example.com");
        let e = parse_endpoint("http://[::1]:8080").unwrap();
        assert_eq!(e.authority(), "[::1]:8080");
        let e = parse_endpoint("http://h:80").unwrap();
        assert_eq!(e.authority(), "h");
        for bad in [
            "",
            "ftp://h",
            "http://",
            "http://h:x",
            "http://h:70000",
            "http://h?x",
        ] {
            assert!(parse_endpoint(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn domain_templates() {
        let b = "examplebucket-1250000000";
        assert_eq!(
            expand_domain("{Bucket}.cos.{Region}.myqcloud.com", b, "ap-beijing"),
            "examplebucket-1250000000.cos.ap-beijing.myqcloud.com"
        );
        assert_eq!(
            expand_domain("{{bucketname}}-{APPID}.{unknown}x.com/", b, "r"),
            "examplebucket-1250000000.x.com"
        );
        assert_eq!(expand_domain("plain.com", b, "r"), "plain.com");
        assert_eq!(expand_domain("broken{x", b, "r"), "broken{x");
    }

    #[test]
    fn backup_switching_is_on_by_default_and_service_domain_off() {
        let c = Config::new("ap-guangzhou", "b-1250000000");
        assert!(c.auto_switch_host);
        assert_eq!(c.service_domain, None);
        let d = format!("{c:?}");
        assert!(d.contains("auto_switch_host: true"), "{d}");
    }

    #[test]
    fn service_domain_templates() {
        let b = "examplebucket-1250000000";
        assert_eq!(
            service_host("service.cos.tencentcos.cn", b, "ap-beijing").unwrap(),
            "service.cos.tencentcos.cn"
        );
        assert_eq!(
            service_host("cos.{Region}.myqcloud.com", b, "ap-beijing").unwrap(),
            "cos.ap-beijing.myqcloud.com"
        );
        assert_eq!(
            service_host("{{appid}}.svc.{{REGION}}.example.com:8443", b, "r-1").unwrap(),
            "1250000000.svc.r-1.example.com:8443"
        );
        assert_eq!(
            service_host("cos.{Region}.myqcloud.com", "", "ap-beijing").unwrap(),
            "cos.ap-beijing.myqcloud.com",
            "{{Region}} needs no bucket"
        );
        for (bad, why) in [
            ("", "empty"),
            ("https://service.cos.myqcloud.com", "scheme"),
            ("service.cos.myqcloud.com/x", "path"),
            ("service.cos.myqcloud.com?x", "query"),
            ("u@service.cos.myqcloud.com", "user info"),
            ("service.cos.myqcloud.com\r\nX-Evil: 1", "control"),
            ("service.cos.myqcloud.com\n", "control"),
            ("{Bucket}.cos.myqcloud.com", "unknown placeholder {Bucket}"),
            ("cos.{Region.myqcloud.com", "without a matching '}'"),
            ("cos.Region}.myqcloud.com", "without a matching '{'"),
            ("service.cos.myqcloud.com:99999", "port"),
            ("bad_host!.com", "host"),
        ] {
            let e = service_host(bad, b, "ap-beijing").unwrap_err();
            assert_eq!(e.status(), crate::Status::InvalidArgument, "{bad:?}");
            let msg = e.to_string();
            assert!(
                msg.contains("service_domain") && msg.contains(why),
                "{bad:?}: {msg}"
            );
        }
        let e = service_host("{AppId}.cos.myqcloud.com", "", "r").unwrap_err();
        assert!(e.to_string().contains("no bucket"), "{e}");
        // Config::validate checks it.
        let mut c = Config::new("ap-beijing", "");
        c.service_domain = Some("svc.{AppId}.example.com".into());
        assert!(
            c.validate()
                .unwrap_err()
                .to_string()
                .contains("service_domain")
        );
        c.bucket = b.into();
        assert!(c.validate().is_ok());
    }

    #[test]
    fn from_env_lookup() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        let c = Config::from_lookup(env(&[
            ("COS_REGION", "ap-guangzhou"),
            ("COS_BUCKET", "b-1"),
            ("COS_SECRET_ID", "AKID"),
            ("COS_SECRET_KEY", "SeKr1tValue"),
            ("COS_SECURITY_TOKEN", "tok"),
            ("COS_ENDPOINT", "http://127.0.0.1:9"),
        ]))
        .unwrap();
        assert_eq!(c.bucket, "b-1");
        assert_eq!(c.protocol, Protocol::Http);
        let cred = c.credentials.as_ref().unwrap();
        assert_eq!(cred.security_token.as_ref().unwrap().expose(), "tok");
        assert!(!format!("{c:?}").contains("SeKr1t"));
        assert!(Config::from_lookup(env(&[("COS_BUCKET", "b-1")])).is_err());
        let e =
            Config::from_lookup(env(&[("COS_REGION", "r"), ("COS_SECRET_ID", "x")])).unwrap_err();
        assert!(e.to_string().contains("COS_SECRET_KEY"));
    }

    fn lookup(pairs: Vec<(&'static str, String)>) -> impl Fn(&str) -> Option<String> {
        move |k: &str| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone())
    }

    fn base_env() -> Vec<(&'static str, String)> {
        vec![
            ("COS_REGION", "ap-guangzhou".into()),
            ("COS_BUCKET", "b-1250000000".into()),
            ("COS_SECRET_ID", "AKIDenv".into()),
            ("COS_SECRET_KEY", "SeKr1tEnvKey".into()),
        ]
    }

    #[test]
    fn from_env_maps_every_option() {
        let mut env = base_env();
        for (k, v) in [
            ("COS_PROTOCOL", "HTTP"),
            ("COS_DOMAIN", "{Bucket}.cos.{Region}.example.com"),
            ("COS_PATH_STYLE", "yes"),
            ("COS_USE_ACCELERATE", "On"),
            ("COS_AUTO_SWITCH_HOST", "false"),
            ("COS_SERVICE_DOMAIN", "service.cos.tencentcos.cn"),
            ("COS_TIMEOUT_MS", "120000"),
            ("COS_CONNECT_TIMEOUT_MS", " 2500 "),
            ("COS_IO_TIMEOUT_MS", "0"),
            ("COS_MAX_RETRIES", "7"),
            ("COS_RETRY_BASE_DELAY_MS", "+50"),
            ("COS_USER_AGENT", "my-app/1.0"),
            ("COS_CORRECT_CLOCK_SKEW", "0"),
            ("COS_SIGN_EXPIRES_SECS", "3600"),
            ("COS_CREDENTIAL_REFRESH_MARGIN_SECS", "0"),
            ("COS_SLICE_SIZE", "5242880"),
            ("COS_CHUNK_SIZE", "2097152"),
            ("COS_CHUNK_PARALLEL_LIMIT", "4"),
            ("COS_FILE_PARALLEL_LIMIT", "5"),
            ("COS_CHUNK_RETRY_TIMES", "6"),
            ("COS_COPY_SLICE_SIZE", "1048576"),
            ("COS_COPY_CHUNK_SIZE", "3145728"),
            ("COS_COPY_CHUNK_PARALLEL_LIMIT", "9"),
            ("COS_PROGRESS_INTERVAL_MS", "250"),
            ("COS_UPLOAD_QUEUE_SIZE", "42"),
            ("COS_UPLOAD_CHECK_CONTENT_MD5", "TRUE"),
            ("COS_UPLOAD_ADD_META_MD5", "1"),
        ] {
            env.push((k, v.to_string()));
        }
        let c = Config::from_lookup(lookup(env)).unwrap();
        assert_eq!(c.protocol, Protocol::Http);
        assert_eq!(
            c.domain.as_deref(),
            Some("{Bucket}.cos.{Region}.example.com")
        );
        assert!(c.path_style && c.use_accelerate && !c.auto_switch_host);
        assert_eq!(
            c.service_domain.as_deref(),
            Some("service.cos.tencentcos.cn")
        );
        assert_eq!(
            (c.timeout_ms, c.connect_timeout_ms, c.io_timeout_ms),
            (120_000, 2500, 0)
        );
        assert_eq!((c.max_retries, c.retry_base_delay_ms), (7, 50));
        assert_eq!(c.user_agent, "my-app/1.0");
        assert!(!c.correct_clock_skew);
        assert_eq!(
            (c.sign_expires_secs, c.credential_refresh_margin_secs),
            (3600, 0)
        );
        assert_eq!((c.slice_size, c.chunk_size), (5 * MIB, 2 * MIB));
        assert_eq!(
            (
                c.chunk_parallel_limit,
                c.file_parallel_limit,
                c.chunk_retry_times
            ),
            (4, 5, 6)
        );
        assert_eq!(
            (
                c.copy_slice_size,
                c.copy_chunk_size,
                c.copy_chunk_parallel_limit
            ),
            (MIB, 3 * MIB, 9)
        );
        assert_eq!((c.progress_interval_ms, c.upload_queue_size), (250, 42));
        assert!(c.upload_check_content_md5 && c.upload_add_meta_md5);
        // Every variable of the table is read (the table and the code agree).
        let read = std::cell::RefCell::new(Vec::new());
        let _ = Config::from_lookup(|k: &str| {
            read.borrow_mut().push(k.to_string());
            base_env()
                .into_iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v)
                .or_else(|| (k == "COS_SECURITY_TOKEN").then(|| "tok".to_string()))
        })
        .unwrap();
        for (var, _) in ENV_VARS {
            assert!(read.borrow().iter().any(|r| r == var), "{var} never read");
        }
        for r in read.borrow().iter() {
            assert!(ENV_VARS.iter().any(|(v, _)| v == r), "{r} not in ENV_VARS");
        }
    }

    #[test]
    fn from_env_unset_and_empty_keep_defaults() {
        let mut env = base_env();
        env.push(("COS_TIMEOUT_MS", String::new()));
        env.push(("COS_AUTO_SWITCH_HOST", String::new()));
        let c = Config::from_lookup(lookup(env)).unwrap();
        let d = Config::new("ap-guangzhou", "b-1250000000");
        assert_eq!(c.timeout_ms, d.timeout_ms);
        assert_eq!(c.auto_switch_host, d.auto_switch_host);
        assert_eq!(c.chunk_size, d.chunk_size);
        assert_eq!(c.protocol, Protocol::Https);
        // An endpoint's scheme wins over COS_PROTOCOL.
        let mut env = base_env();
        env.push(("COS_PROTOCOL", "https".into()));
        env.push(("COS_ENDPOINT", "http://127.0.0.1:9".into()));
        assert_eq!(
            Config::from_lookup(lookup(env)).unwrap().protocol,
            Protocol::Http
        );
    }

    #[test]
    fn from_env_bad_values_name_the_variable() {
        for (var, value, why) in [
            ("COS_TIMEOUT_MS", "abc", "is not a whole number"),
            ("COS_TIMEOUT_MS", "1.5", "is not a whole number"),
            ("COS_TIMEOUT_MS", "10ms", "is not a whole number"),
            ("COS_CONNECT_TIMEOUT_MS", "-1", "is negative"),
            ("COS_IO_TIMEOUT_MS", "99999999999999999999999", "too large"),
            ("COS_MAX_RETRIES", "4294967296", "too large"),
            ("COS_MAX_RETRIES", "101", "at most 100"),
            ("COS_CHUNK_RETRY_TIMES", "-", "is not a whole number"),
            ("COS_SIGN_EXPIRES_SECS", "0", "at least 1"),
            ("COS_SIGN_EXPIRES_SECS", "-900", "is negative"),
            ("COS_CREDENTIAL_REFRESH_MARGIN_SECS", "-5", "is negative"),
            ("COS_CHUNK_SIZE", "1000", "at least 1048576"),
            ("COS_CHUNK_SIZE", "6000000000", "at most 5368709120"),
            ("COS_COPY_CHUNK_SIZE", "1KiB", "is not a whole number"),
            ("COS_CHUNK_PARALLEL_LIMIT", "0", "at least 1"),
            ("COS_FILE_PARALLEL_LIMIT", "2000", "at most 1024"),
            (
                "COS_COPY_CHUNK_PARALLEL_LIMIT",
                "x",
                "is not a whole number",
            ),
            ("COS_UPLOAD_QUEUE_SIZE", "-3", "is negative"),
            ("COS_PATH_STYLE", "maybe", "is not a boolean"),
            ("COS_USE_ACCELERATE", "2", "is not a boolean"),
            ("COS_AUTO_SWITCH_HOST", "enabled", "is not a boolean"),
            ("COS_CORRECT_CLOCK_SKEW", "y", "is not a boolean"),
            ("COS_UPLOAD_CHECK_CONTENT_MD5", "truee", "is not a boolean"),
            ("COS_UPLOAD_ADD_META_MD5", "-1", "is not a boolean"),
            ("COS_PROTOCOL", "ftp", "is not a protocol"),
            ("COS_ENDPOINT", "127.0.0.1:9000", "http://"),
            ("COS_DOMAIN", "{Bucket}.x.com/path", "host"),
            ("COS_SERVICE_DOMAIN", "https://svc.example.com", "scheme"),
            ("COS_USER_AGENT", "app\r\nX-Evil: 1", "control"),
        ] {
            let mut env = base_env();
            env.push((var, value.to_string()));
            let e = Config::from_lookup(lookup(env)).unwrap_err();
            assert_eq!(
                e.status(),
                crate::Status::InvalidArgument,
                "{var}={value:?}"
            );
            let msg = e.to_string();
            assert!(
                msg.contains(var) && msg.contains(why),
                "{var}={value:?}: {msg}"
            );
            assert!(!msg.contains("SeKr1t"), "{msg}");
        }
        // A long value is cut in the message.
        let mut env = base_env();
        env.push(("COS_TIMEOUT_MS", "x".repeat(500)));
        let msg = Config::from_lookup(lookup(env)).unwrap_err().to_string();
        assert!(msg.len() < 200, "{msg}");
        // A token without keys is refused, and its value is not shown.
        let e = Config::from_lookup(lookup(vec![
            ("COS_REGION", "ap-guangzhou".into()),
            ("COS_SECURITY_TOKEN", "T0kenS3cret".into()),
        ]))
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("COS_SECURITY_TOKEN") && !e.contains("T0ken"),
            "{e}"
        );
        // Bad credentials never echo the key or the token.
        let mut env = base_env();
        env[2].1 = String::new() + "AKID with space";
        env.push(("COS_SECURITY_TOKEN", "T0kenS3cret\n".into()));
        let m = Config::from_lookup(lookup(env)).unwrap_err().to_string();
        assert!(!m.contains("SeKr1t") && !m.contains("T0ken"), "{m}");
    }
}
