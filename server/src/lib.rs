//! qcos-server: a local COS-compatible server (XML API) for tests, examples and
//! benchmarks.
//!
//! It stores objects on disk under a data directory, verifies every request's COS v5
//! signature with the `qcos` signer, and answers with COS's headers, XML and error
//! documents. HTTP/1.1 is served on `std::net` with one thread per connection; request
//! and response bodies stream to and from disk. Tests script faults with [`Faults`] and
//! read per-operation counters with [`RunningServer::stats`].
//!
//! Behaviour worth knowing:
//! - **Addressing.** A Host whose first label is a bucket name `name-APPID` followed by a
//!   dot (`{bucket}.cos.{region}.myqcloud.com`, `.cos.accelerate.myqcloud.com`,
//!   `.tencentcos.cn`, or any other domain) is virtual-hosted: the path is the key. Any
//!   other Host (an IP, `localhost`, `service.cos.myqcloud.com`, `cos.{region}...`) is
//!   path-style: the first path segment is the bucket; `GET /` is GET Service.
//! - **Signatures.** Every request must be signed (header `Authorization`, the `q-*`
//!   query fields, or `sign=`). The key time must cover the server clock (real clock +
//!   skew; a start up to 60 s ahead is tolerated): a window that ended, or starts a
//!   little ahead, is `403 AccessDenied "Request has expired"`; one starting more than
//!   15 min ahead is `403 RequestTimeTooSkewed`. `host` must be in `q-header-list`. The
//!   signed path is the decoded path; for path-style requests both `/{bucket}/{key}` and
//!   `/{key}` are accepted. Temporary keys need a matching `x-cos-security-token`
//!   (header or query) else `403 InvalidAccessKeyId`.
//! - **Integrity.** ETag = quoted hex MD5 (multipart: `"hex-N"`, hex = MD5 of the
//!   binary part MD5s); `x-cos-hash-crc64ecma` = CRC-64/XZ, for multipart objects the
//!   combination of the part CRCs. Bodies of 4 MiB and more are MD5-hashed on a helper
//!   thread while they are received.
//! - **Storage.** Writes go to a temporary file and are switched in by renaming the
//!   metadata, so an interrupted upload leaves the previous object intact. Multipart
//!   objects keep their parts as segments (Complete is O(parts)); copies hard-link the
//!   data. Nothing is fsync'ed: this is a test server.
//! - **CORS.** `PUT/GET/DELETE /?cors` keep a bucket's `<CORSConfiguration>` (PUT needs
//!   `Content-MD5`). `OPTIONS` preflights (unsigned, as browsers send them) are answered
//!   from its rules: `200` with `Access-Control-Allow-Origin/-Methods/-Headers/
//!   -Expose-Headers/-Max-Age`, `403 AccessForbidden` when no rule (or no configuration)
//!   allows the origin, method and headers. Other requests carrying an `Origin` that a
//!   rule allows get `Access-Control-Allow-Origin` and `-Expose-Headers` on their
//!   response, errors included.
//! - **Object tagging and ACL.** `PUT/GET/DELETE /{key}?tagging` (a PUT's
//!   `Content-MD5`, when sent, must match; at most 10 tags, unique keys) and `PUT/GET /{key}?acl` (headers
//!   `x-cos-acl`, `x-cos-grant-*`), kept in the object's metadata and dropped when the
//!   object is written again (`ops/tagging_acl.rs`).
//! - **Bucket tagging and ACL.** `PUT/GET/DELETE /?tagging` (PUT needs `Content-MD5`; at
//!   most 50 tags) and `PUT/GET /?acl` (`x-cos-acl: private|public-read|
//!   public-read-write`, `x-cos-grant-*` including `-write`), kept in the bucket's
//!   `bucket.meta` (`ops/bucket_config.rs`). ACLs are stored and reported, not enforced.
//! - **Not implemented** (answered `501 NotImplemented`): versioning, lifecycle and the
//!   other bucket configurations.
//! - **Faults and records.** [`FaultRule`]s match on method, path, query and `Host`
//!   (`host_contains`: fail only `*.myqcloud.com` and let a client's switch to the
//!   backup domain `*.tencentcos.cn` through); [`FaultAction::ForeignStatus`] answers
//!   as a gateway would (no `x-cos-request-id`). [`Stats::recent`] keeps the last
//!   [`RECENT_REQUESTS`] requests with their Host and `x-cos-sdk-retry` marker.
//! - Set `QCOS_SERVER_LOG=1` to log every request to stderr.
//!
//! ```no_run
//! let dir = std::env::temp_dir().join("qcos-server-doc");
//! let server = qcos_server::Server::start(qcos_server::ServerConfig::new(dir)).unwrap();
//! println!("{}", server.endpoint());
//! server.stop();
//! ```

mod auth;
mod cors;
mod faults;
mod http;
mod ops;
mod store;
mod util;

use std::collections::HashMap;
use std::fmt;
use std::io::{self, BufReader};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

pub use faults::{FaultAction, FaultRule, Faults, RECENT_REQUESTS, SeenRequest, Stats};

/// The SecretId that [`ServerConfig::new`] accepts.
pub const TEST_SECRET_ID: &str = "AKIDqcosTEST";
/// The SecretKey that [`ServerConfig::new`] accepts.
pub const TEST_SECRET_KEY: &str = "qcosTESTsecretKEY";

/// How to run a server.
#[derive(Clone)]
pub struct ServerConfig {
    /// Where objects, metadata and multipart parts live (created if missing).
    pub data_dir: PathBuf,
    /// Address to listen on; `127.0.0.1:0` picks a free port.
    pub listen: SocketAddr,
    /// Permanent keys accepted: `(secret_id, secret_key)`.
    pub credentials: Vec<(String, String)>,
    /// Temporary keys accepted: `(tmp_secret_id, tmp_secret_key, token)`; requests signed
    /// with them must carry `x-cos-security-token: token`.
    pub temporary: Vec<(String, String, String)>,
    /// Region answered in `x-cos-bucket-region`, `Location` and error resources.
    pub region: String,
    /// Server clock = real clock + this many seconds.
    pub clock_skew_secs: i64,
    /// Create a bucket on first use instead of answering `NoSuchBucket`.
    pub auto_create_buckets: bool,
    /// Benchmark mode: the ETag of a PUT body or an uploaded part is made of its CRC-64
    /// and size (`"<crc64 hex><size hex>"`, 32 hex digits) instead of its MD5, which COS
    /// uses. It spares the server ~1.3 CPU-s per GB, so that a benchmark on a machine
    /// shared by client and server measures the clients. A `Content-MD5` header is still
    /// checked. Off by default; `--etag-from-crc64` on the command line.
    pub etag_from_crc64: bool,
}

impl ServerConfig {
    /// Listen on `127.0.0.1:0`, accept [`TEST_SECRET_ID`]/[`TEST_SECRET_KEY`], region
    /// `ap-guangzhou`, no skew, no auto-created buckets.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        ServerConfig {
            data_dir: data_dir.into(),
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            credentials: vec![(TEST_SECRET_ID.to_string(), TEST_SECRET_KEY.to_string())],
            temporary: Vec::new(),
            region: "ap-guangzhou".to_string(),
            clock_skew_secs: 0,
            auto_create_buckets: false,
            etag_from_crc64: false,
        }
    }
}

impl fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Secret keys and tokens are never printed.
        f.debug_struct("ServerConfig")
            .field("data_dir", &self.data_dir)
            .field("listen", &self.listen)
            .field(
                "credentials",
                &self
                    .credentials
                    .iter()
                    .map(|(id, _)| id)
                    .collect::<Vec<_>>(),
            )
            .field(
                "temporary",
                &self
                    .temporary
                    .iter()
                    .map(|(id, _, _)| id)
                    .collect::<Vec<_>>(),
            )
            .field("region", &self.region)
            .field("clock_skew_secs", &self.clock_skew_secs)
            .field("auto_create_buckets", &self.auto_create_buckets)
            .field("etag_from_crc64", &self.etag_from_crc64)
            .finish()
    }
}

/// State shared by the acceptor and the connection threads.
pub(crate) struct Shared {
    pub region: String,
    pub auto_create_buckets: bool,
    pub etag_from_crc64: bool,
    pub store: store::Store,
    pub verifier: auth::Verifier,
    pub faults: Faults,
    pub stats: faults::StatsCell,
    pub skew: AtomicI64,
    pub stopping: AtomicBool,
    pub conns: Mutex<HashMap<u64, TcpStream>>,
    pub log: bool,
}

impl Shared {
    /// The server's clock, Unix seconds.
    pub fn now(&self) -> i64 {
        util::unix_now() + self.skew.load(Ordering::Relaxed)
    }
    pub fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }
    /// Sleep up to `d`, waking early when the server stops.
    pub fn sleep(&self, d: Duration) {
        let end = std::time::Instant::now() + d;
        while !self.is_stopping() {
            let now = std::time::Instant::now();
            if now >= end {
                break;
            }
            std::thread::sleep((end - now).min(Duration::from_millis(20)));
        }
    }
}

/// Entry point: [`Server::start`].
pub struct Server;

impl Server {
    /// Open the data directory (rebuilding the index from disk), bind, and serve on
    /// background threads until [`RunningServer::stop`] or drop.
    pub fn start(cfg: ServerConfig) -> io::Result<RunningServer> {
        if cfg.credentials.is_empty() && cfg.temporary.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "qcos-server needs at least one credential to verify signatures",
            ));
        }
        if qcos::encode::validate_region(&cfg.region).is_err() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{:?} is not a region id (e.g. ap-guangzhou)", cfg.region),
            ));
        }
        let store = store::Store::open(&cfg.data_dir)?;
        let listener = TcpListener::bind(cfg.listen)?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            region: cfg.region.clone(),
            auto_create_buckets: cfg.auto_create_buckets,
            etag_from_crc64: cfg.etag_from_crc64,
            store,
            verifier: auth::Verifier::new(&cfg.credentials, &cfg.temporary),
            faults: Faults::default(),
            stats: faults::StatsCell::default(),
            skew: AtomicI64::new(cfg.clock_skew_secs),
            stopping: AtomicBool::new(false),
            conns: Mutex::new(HashMap::new()),
            log: std::env::var_os("QCOS_SERVER_LOG").is_some(),
        });
        let sh = shared.clone();
        let acceptor = std::thread::Builder::new()
            .name("qcos-server-accept".into())
            .spawn(move || accept_loop(sh, listener))?;
        Ok(RunningServer {
            addr,
            shared,
            acceptor: Some(acceptor),
        })
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn accept_loop(sh: Arc<Shared>, listener: TcpListener) {
    static NEXT_ID: AtomicU64 = AtomicU64::new(1);
    let mut workers: Vec<JoinHandle<()>> = Vec::new();
    for conn in listener.incoming() {
        if sh.is_stopping() {
            break;
        }
        let stream = match conn {
            Ok(s) => s,
            Err(e) => {
                if sh.log {
                    eprintln!("qcos-server: accept failed: {e}");
                }
                // Avoid spinning on persistent errors such as EMFILE.
                std::thread::sleep(Duration::from_millis(10));
                continue;
            }
        };
        workers.retain(|w| !w.is_finished());
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        match stream.try_clone() {
            Ok(c) => {
                lock(&sh.conns).insert(id, c);
            }
            Err(_) => continue,
        }
        let sh2 = sh.clone();
        match std::thread::Builder::new()
            .name("qcos-server-conn".into())
            .spawn(move || {
                ops::serve_connection(&sh2, stream);
                lock(&sh2.conns).remove(&id);
            }) {
            Ok(h) => workers.push(h),
            Err(_) => {
                lock(&sh.conns).remove(&id);
            }
        }
    }
    drop(listener);
    // Wake every connection thread blocked on its socket, then wait for all of them.
    for (_, c) in lock(&sh.conns).drain() {
        let _ = c.shutdown(Shutdown::Both);
    }
    for w in workers {
        let _ = w.join();
    }
}

/// A server running on background threads. Dropping it stops it.
pub struct RunningServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

impl RunningServer {
    /// The bound address (with the real port when the config asked for port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR`, for a client's endpoint setting.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Fault injection rules.
    pub fn faults(&self) -> &Faults {
        &self.shared.faults
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> Stats {
        self.shared.stats.snapshot()
    }

    /// Set the server clock to real clock + `secs`.
    pub fn set_clock_skew(&self, secs: i64) {
        self.shared.skew.store(secs, Ordering::Relaxed);
    }

    /// Stop accepting, close every open connection and join all threads.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        let Some(acceptor) = self.acceptor.take() else {
            return;
        };
        self.shared.stopping.store(true, Ordering::SeqCst);
        // Wake the accept loop with a connection to ourselves.
        let mut wake = self.addr;
        if wake.ip().is_unspecified() {
            wake.set_ip(if wake.is_ipv4() {
                std::net::Ipv4Addr::LOCALHOST.into()
            } else {
                std::net::Ipv6Addr::LOCALHOST.into()
            });
        }
        let _ = TcpStream::connect_timeout(&wake, Duration::from_secs(2));
        // Shut down connections now too, so threads stop even while the acceptor wakes.
        for c in lock(&self.shared.conns).values() {
            let _ = c.shutdown(Shutdown::Both);
        }
        let _ = acceptor.join();
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

impl fmt::Debug for RunningServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunningServer")
            .field("addr", &self.addr)
            .finish()
    }
}

#[doc(hidden)]
pub use http::BUF as IO_BUFFER_SIZE;

// Keep the reader type in one place for ops.rs.
pub(crate) type ConnReader = BufReader<TcpStream>;
