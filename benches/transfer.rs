//! Transfer benchmark: qcos against references measured in the same run.
//!
//! Run it with `benches/run.sh` (which builds the release `qcos-server`, provides curl,
//! wrk, the official Python and Node SDKs, then runs `cargo bench --bench transfer`).
//! It is never part of `cargo test`: without cargo bench's `--bench` argument the binary
//! only prints how to run it. See docs/BENCHMARKS.md for what is measured and why.
//!
//! One process (this one, the driver) starts the release `qcos-server` as a separate
//! process with its data directory on /dev/shm, writes a source file there, then runs
//! every client as its own child process and measures it with `wait4`: wall time is the
//! transfer as timed by the client itself (so interpreter start-up is not counted
//! against the SDKs), CPU is the child's user + system time, peak RSS its `ru_maxrss`.
//! The server's CPU time over each measurement is read from /proc. Every upload is
//! checked (size and CRC-64 reported by the server) and every download compared with
//! the source (CRC-64 of the file written), so nothing can be faster by being wrong.
//!
//! The qcos client runs as this same binary re-executed as `transfer child ...`.

use std::collections::BTreeMap;
use std::fmt;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use qcos::auth::{Credentials, KeyTime, PresignInput, UrlBase, presign_url};
use qcos::client::{Body, PutObjectOptions};
use qcos::transfer::{DownloadOptions, UploadOptions, UploadSource};
use qcos::{Client, Config, GetObjectOptions};

const BUCKET: &str = "bench-1250000000";
const REGION: &str = "ap-guangzhou";
const MIB: u64 = 1 << 20;
const SECRET_ID_VAR: &str = "QCOS_BENCH_SECRET_ID";
const SECRET_KEY_VAR: &str = "QCOS_BENCH_SECRET_KEY";

type Res<T> = std::result::Result<T, String>;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("child") {
        return match child::main(&args[1..]) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("qcos bench child: {e}");
                ExitCode::FAILURE
            }
        };
    }
    if !args.iter().any(|a| a == "--bench") {
        println!(
            "transfer benchmark: run it with benches/run.sh (or `cargo bench --bench transfer`); \
             it is not a test and does nothing under `cargo test`."
        );
        return ExitCode::SUCCESS;
    }
    let result = driver::main();
    driver::cleanup();
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            // Measured and printed; some target was missed or some reference failed.
            // Not an error of the benchmark itself.
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("\nBENCHMARK FAILED: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Credentials shared by the driver, the server and every client (passed through the
/// environment, never on a command line).
fn credentials_from_env() -> Res<Credentials> {
    let id = std::env::var(SECRET_ID_VAR).map_err(|_| format!("{SECRET_ID_VAR} is not set"))?;
    let key = std::env::var(SECRET_KEY_VAR).map_err(|_| format!("{SECRET_KEY_VAR} is not set"))?;
    Ok(Credentials::new(id, key))
}

fn client_config(endpoint: &str, chunk: u64, parallel: usize) -> Res<Config> {
    let mut c = Config::new(REGION, BUCKET);
    c.endpoint = Some(endpoint.to_string());
    c.credentials = Some(credentials_from_env()?);
    c.chunk_size = chunk;
    c.chunk_parallel_limit = parallel;
    Ok(c)
}

fn parse_size(s: &str) -> Res<u64> {
    let s = s.trim();
    let (num, mult) = match s.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let m = match c.to_ascii_uppercase() {
                'K' => 1 << 10,
                'M' => 1 << 20,
                'G' => 1 << 30,
                _ => return Err(format!("size {s:?}: unknown suffix {c:?} (use K, M or G)")),
            };
            (&s[..i], m)
        }
        _ => (s, 1),
    };
    num.parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .filter(|&n| n > 0)
        .ok_or_else(|| format!("size {s:?} is not a positive number of bytes (e.g. 256M, 1G)"))
}

/// The client side of one measurement, run in a child process.
mod child {
    use super::*;

    /// `measure USAGE_FILE PROGRAM ARGS...`: run PROGRAM (stdio inherited), write its CPU
    /// seconds and peak RSS bytes to USAGE_FILE, exit with its status.
    fn measure(args: &[String]) -> Res<()> {
        let usage_file = arg(args, 1, "usage file")?;
        let prog = arg(args, 2, "program")?;
        let mut cmd = Command::new(prog);
        cmd.args(&args[3..]);
        let run = super::driver::run_direct_inherit(&mut cmd)?;
        fs::write(usage_file, format!("{:.6} {}\n", run.cpu, run.rss))
            .map_err(|e| format!("{usage_file}: {e}"))?;
        run.status
    }

    fn arg<'a>(args: &'a [String], i: usize, what: &str) -> Res<&'a str> {
        args.get(i)
            .map(String::as_str)
            .ok_or_else(|| format!("missing argument {i} ({what})"))
    }

    fn num<T: std::str::FromStr>(s: &str, what: &str) -> Res<T> {
        s.parse()
            .map_err(|_| format!("{what}: {s:?} is not a number"))
    }

    /// `upload ENDPOINT FILE KEY CHUNK PARALLEL`, `download ENDPOINT KEY DEST CHUNK
    /// PARALLEL`, `small ENDPOINT KEY SECONDS`, `baseline ENDPOINT KEY`.
    pub fn main(args: &[String]) -> Res<()> {
        let mode = arg(args, 0, "mode")?;
        if mode == "measure" {
            return measure(args);
        }
        let endpoint = arg(args, 1, "endpoint")?;
        match mode {
            "upload" => {
                let file = arg(args, 2, "file")?;
                let key = arg(args, 3, "key")?;
                let chunk = num(arg(args, 4, "chunk")?, "chunk")?;
                let parallel = num(arg(args, 5, "parallel")?, "parallel")?;
                let client = Client::new(client_config(endpoint, chunk, parallel)?)
                    .map_err(|e| e.to_string())?;
                let t = Instant::now();
                let out = client
                    .upload_file(
                        key,
                        UploadSource::File(Path::new(file)),
                        &UploadOptions::default(),
                        None,
                    )
                    .map_err(|e| format!("upload_file: {e}"))?;
                let secs = t.elapsed().as_secs_f64();
                println!("elapsed={secs:.6} parts={} crc64={}", out.parts, out.crc64);
            }
            "download" => {
                let key = arg(args, 2, "key")?;
                let dest = arg(args, 3, "dest")?;
                let chunk = num(arg(args, 4, "chunk")?, "chunk")?;
                let parallel = num(arg(args, 5, "parallel")?, "parallel")?;
                let client = Client::new(client_config(endpoint, chunk, parallel)?)
                    .map_err(|e| e.to_string())?;
                let t = Instant::now();
                let out = client
                    .download_file(key, Path::new(dest), &DownloadOptions::default(), None)
                    .map_err(|e| format!("download_file: {e}"))?;
                let secs = t.elapsed().as_secs_f64();
                println!(
                    "elapsed={secs:.6} ranges={} crc64_verified={}",
                    out.ranges, out.crc64_verified
                );
            }
            "small" => {
                let key = arg(args, 2, "key")?;
                let secs: f64 = num(arg(args, 3, "seconds")?, "seconds")?;
                let client =
                    Client::new(client_config(endpoint, 8 * MIB, 2)?).map_err(|e| e.to_string())?;
                let body = vec![b'x'; 1024];
                let opts = PutObjectOptions::default();
                // One request first so the connection is open, as wrk's is.
                client
                    .put_object(key, Body::Bytes(&body), &opts)
                    .map_err(|e| format!("put_object: {e}"))?;
                let t = Instant::now();
                let mut n = 0u64;
                while t.elapsed().as_secs_f64() < secs {
                    client
                        .put_object(key, Body::Bytes(&body), &opts)
                        .map_err(|e| format!("put_object #{n}: {e}"))?;
                    n += 1;
                }
                let el = t.elapsed().as_secs_f64();
                println!("elapsed={el:.6} ops={n}");
            }
            "baseline" => {
                let key = arg(args, 2, "key")?;
                let client =
                    Client::new(client_config(endpoint, 8 * MIB, 2)?).map_err(|e| e.to_string())?;
                let body = vec![b'x'; 1024];
                let t = Instant::now();
                client
                    .put_object(key, Body::Bytes(&body), &PutObjectOptions::default())
                    .map_err(|e| format!("put_object: {e}"))?;
                client
                    .head_object(key, &GetObjectOptions::default())
                    .map_err(|e| format!("head_object: {e}"))?;
                println!("elapsed={:.6}", t.elapsed().as_secs_f64());
            }
            "presign" => {
                // For reproducing a reference by hand: a path-style presigned URL valid 6 h.
                let method = arg(args, 2, "method")?;
                let key = arg(args, 3, "key")?;
                println!(
                    "{}",
                    super::driver::presigned(&credentials_from_env()?, endpoint, method, key)?
                );
            }
            other => return Err(format!("unknown mode {other:?}")),
        }
        Ok(())
    }
}

/// The driver: server, references, measurements, table, ratios.
mod driver {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
    pub enum Tool {
        Qcos,
        Curl,
        Python,
        Node,
    }

    impl Tool {
        pub const ALL: [Tool; 4] = [Tool::Qcos, Tool::Curl, Tool::Python, Tool::Node];
        fn name(self) -> &'static str {
            match self {
                Tool::Qcos => "qcos",
                Tool::Curl => "curl",
                Tool::Python => "python-sdk",
                Tool::Node => "node-sdk",
            }
        }
        fn label(self) -> &'static str {
            match self {
                Tool::Qcos => "qcos (Rust API, release)",
                Tool::Curl => "curl, presigned URL, 1 stream",
                Tool::Python => "cos-python-sdk-v5 upload/download_file",
                Tool::Node => "cos-nodejs-sdk-v5 uploadFile/downloadFile",
            }
        }
    }

    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
    pub enum Phase {
        Upload,
        Download,
    }

    impl fmt::Display for Phase {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(match self {
                Phase::Upload => "upload",
                Phase::Download => "download",
            })
        }
    }

    /// One measured child process.
    #[derive(Debug, Clone, Copy)]
    pub struct Sample {
        /// Transfer time as timed by the client.
        secs: f64,
        /// User + system CPU seconds of the client process (and its reaped children).
        cpu: f64,
        /// Peak resident set of the client, bytes.
        rss: u64,
        /// CPU seconds the server used meanwhile.
        server_cpu: f64,
    }

    struct Settings {
        size: u64,
        runs: usize,
        chunk: u64,
        parallel: usize,
        small_secs: f64,
        dir: PathBuf,
        server_bin: PathBuf,
        python: Option<PathBuf>,
        node_modules: PathBuf,
        tools: Vec<Tool>,
        small: bool,
        /// The server makes ETags from CRC-64 instead of MD5 (`QCOS_BENCH_ETAG=crc64`).
        etag_crc64: bool,
        repo: PathBuf,
    }

    fn env_or(name: &str, default: &str) -> String {
        std::env::var(name).unwrap_or_else(|_| default.to_string())
    }

    impl Settings {
        fn from_env() -> Res<Settings> {
            let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
            let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
            // <target>/release/deps/transfer-HASH -> <target>/release/qcos-server
            let default_server = exe
                .parent()
                .and_then(Path::parent)
                .map(|p| p.join("qcos-server"))
                .unwrap_or_else(|| repo.join("target/release/qcos-server"));
            let target = exe
                .parent()
                .and_then(Path::parent)
                .and_then(Path::parent)
                .map(Path::to_path_buf)
                .unwrap_or_else(|| repo.join("target"));
            let size = parse_size(&env_or("QCOS_BENCH_SIZE", "1G"))?;
            let runs: usize = env_or("QCOS_BENCH_RUNS", "3")
                .parse()
                .ok()
                .filter(|&n| n > 0)
                .ok_or("QCOS_BENCH_RUNS must be a positive integer")?;
            let defaults = Config::new(REGION, BUCKET);
            let chunk = match std::env::var("QCOS_BENCH_CHUNK") {
                Ok(s) => parse_size(&s)?,
                Err(_) => defaults.chunk_size,
            };
            if chunk % MIB != 0 {
                return Err(format!(
                    "chunk size {chunk} must be a whole number of MiB (the Python SDK takes MB)"
                ));
            }
            let parallel: usize = match std::env::var("QCOS_BENCH_PARALLEL") {
                Ok(s) => s
                    .parse()
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or("QCOS_BENCH_PARALLEL must be a positive integer")?,
                Err(_) => defaults.chunk_parallel_limit,
            };
            let small_secs: f64 = env_or("QCOS_BENCH_SMALL_SECS", "5")
                .parse()
                .ok()
                .filter(|&s: &f64| s > 0.0)
                .ok_or("QCOS_BENCH_SMALL_SECS must be a positive number")?;
            let python = std::env::var_os("QCOS_BENCH_PYTHON")
                .map(PathBuf::from)
                .or_else(|| {
                    let p = target.join("interop-venv/bin/python");
                    p.exists().then_some(p)
                });
            let node_modules = std::env::var_os("QCOS_BENCH_NODE_MODULES")
                .map(PathBuf::from)
                .unwrap_or_else(|| target.join("bench-node/node_modules"));
            let tools = match std::env::var("QCOS_BENCH_ONLY") {
                Ok(list) => {
                    let mut v = vec![Tool::Qcos];
                    for name in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                        let t = Tool::ALL
                            .into_iter()
                            .find(|t| t.name() == name || t.name().starts_with(name))
                            .ok_or_else(|| format!("QCOS_BENCH_ONLY: unknown client {name:?}"))?;
                        if !v.contains(&t) {
                            v.push(t);
                        }
                    }
                    v
                }
                Err(_) => Tool::ALL.to_vec(),
            };
            let etag_crc64 = match env_or("QCOS_BENCH_ETAG", "md5").as_str() {
                "md5" => false,
                "crc64" => true,
                other => {
                    return Err(format!(
                        "QCOS_BENCH_ETAG is {other:?}: use md5 (as COS) or crc64 (server benchmark mode)"
                    ));
                }
            };
            Ok(Settings {
                size,
                runs,
                chunk,
                parallel,
                small_secs,
                dir: PathBuf::from(env_or("QCOS_BENCH_DIR", "/dev/shm/qcos-bench")),
                server_bin: std::env::var_os("QCOS_BENCH_SERVER")
                    .map(PathBuf::from)
                    .unwrap_or(default_server),
                python,
                node_modules,
                tools,
                small: env_or("QCOS_BENCH_SMALL", "1") != "0",
                etag_crc64,
                repo,
            })
        }
    }

    /// The server process; killed (by its own pid) when dropped.
    struct ServerProc {
        child: Child,
        endpoint: String,
        addr: SocketAddr,
    }

    impl Drop for ServerProc {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    impl ServerProc {
        fn start(s: &Settings, id: &str, key: &str) -> Res<ServerProc> {
            if !s.server_bin.exists() {
                return Err(format!(
                    "{} does not exist: build it with `cargo build --release -p qcos-server` \
                     (benches/run.sh does)",
                    s.server_bin.display()
                ));
            }
            let port = TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .map_err(|e| format!("finding a free port: {e}"))?
                .port();
            let addr = SocketAddr::from(([127, 0, 0, 1], port));
            let log = File::create(s.dir.join("server.log")).map_err(|e| e.to_string())?;
            let mut cmd = Command::new(&s.server_bin);
            if s.etag_crc64 {
                cmd.arg("--etag-from-crc64");
            }
            let child = cmd
                .arg("--data-dir")
                .arg(s.dir.join("data"))
                .arg("--listen")
                .arg(addr.to_string())
                .arg("--secret-id")
                .arg(id)
                .arg("--region")
                .arg(REGION)
                .env("QCOS_SERVER_SECRET_KEY", key)
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .map_err(|e| format!("starting {}: {e}", s.server_bin.display()))?;
            let mut server = ServerProc {
                child,
                endpoint: format!("http://{addr}"),
                addr,
            };
            let deadline = Instant::now() + Duration::from_secs(20);
            loop {
                if TcpStream::connect(server.addr).is_ok() {
                    return Ok(server);
                }
                if let Ok(Some(st)) = server.child.try_wait() {
                    let log = fs::read_to_string(s.dir.join("server.log")).unwrap_or_default();
                    return Err(format!("qcos-server exited ({st}): {log}"));
                }
                if Instant::now() > deadline {
                    return Err("qcos-server did not start listening within 20 s".into());
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }

        /// User + system CPU seconds of the server so far.
        fn cpu(&self) -> f64 {
            let stat =
                fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap_or_default();
            // Fields after the parenthesised command name: state is field 3; utime and
            // stime are fields 14 and 15.
            let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
            let f: Vec<&str> = rest.split_whitespace().collect();
            let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
            // SAFETY: sysconf has no preconditions.
            let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
            (ticks(11) + ticks(12)) / hz.max(1.0)
        }
    }

    struct ChildRun {
        stdout: String,
        cpu: f64,
        rss: u64,
        wall: f64,
    }

    /// Run `cmd` to completion and measure it. It runs under `transfer measure`, a fresh
    /// small process that starts it and reports its `wait4` usage: Linux records the
    /// spawning process's peak RSS into a `vfork`ed child's `ru_maxrss` at exec, so a
    /// child spawned directly by this (large) driver would inherit the driver's peak.
    fn run_child(cmd: &mut Command, errlog: &Path) -> Res<ChildRun> {
        let usage_file = errlog.with_extension("usage");
        let _ = fs::remove_file(&usage_file);
        let mut wrapped = Command::new(std::env::current_exe().map_err(|e| e.to_string())?);
        wrapped
            .arg("child")
            .arg("measure")
            .arg(&usage_file)
            .arg(cmd.get_program())
            .args(cmd.get_args());
        for (k, v) in cmd.get_envs() {
            match v {
                Some(v) => wrapped.env(k, v),
                None => wrapped.env_remove(k),
            };
        }
        let r = run_direct(&mut wrapped, errlog)?;
        let usage = fs::read_to_string(&usage_file)
            .map_err(|e| format!("{}: {e}", usage_file.display()))?;
        let mut it = usage.split_whitespace();
        let cpu = it.next().and_then(|v| v.parse().ok());
        let rss = it.next().and_then(|v| v.parse().ok());
        match (cpu, rss) {
            (Some(cpu), Some(rss)) => Ok(ChildRun {
                stdout: r.stdout,
                cpu,
                rss,
                wall: r.wall,
            }),
            _ => Err(format!("bad usage record {usage:?}")),
        }
    }

    /// A path-style presigned URL for `key` on the server at `endpoint`, valid 6 hours.
    pub(crate) fn presigned(
        creds: &Credentials,
        endpoint: &str,
        method: &str,
        key: &str,
    ) -> Res<String> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_err(|e| e.to_string())?
            .as_secs() as i64;
        let base = UrlBase::path_style(endpoint, BUCKET).map_err(|e| e.to_string())?;
        presign_url(
            Some(creds),
            KeyTime {
                start: now - 60,
                end: now + 6 * 3600,
            },
            &base,
            &PresignInput::new(method, key),
        )
        .map_err(|e| e.to_string())
    }

    /// How a waited-for child ended and what it used.
    pub(crate) struct Waited {
        pub(crate) status: Res<()>,
        pub(crate) cpu: f64,
        pub(crate) rss: u64,
    }

    /// Reap `child` with `wait4`.
    fn wait4(child: Child, program: &std::ffi::OsStr) -> Res<Waited> {
        let pid = child.id() as libc::pid_t;
        let mut status: libc::c_int = 0;
        // SAFETY: rusage is plain data; wait4 fills it for our own child.
        let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
        let r = loop {
            // SAFETY: valid pointers to locals; pid is our un-reaped child.
            let r = unsafe { libc::wait4(pid, &mut status, 0, &mut ru) };
            if r == -1 && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                continue;
            }
            break r;
        };
        // The child is reaped; std's handle must not wait for it again (dropping does not).
        drop(child);
        if r != pid {
            return Err(format!("wait4: {}", io::Error::last_os_error()));
        }
        let status = if libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0 {
            Ok(())
        } else if libc::WIFEXITED(status) {
            Err(format!(
                "{program:?} failed (exit status {})",
                libc::WEXITSTATUS(status)
            ))
        } else {
            Err(format!(
                "{program:?} failed (signal {})",
                libc::WTERMSIG(status)
            ))
        };
        let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
        Ok(Waited {
            status,
            cpu: tv(ru.ru_utime) + tv(ru.ru_stime),
            rss: ru.ru_maxrss as u64 * 1024,
        })
    }

    /// Run `cmd` with inherited stdio (the `measure` wrapper's side).
    pub(crate) fn run_direct_inherit(cmd: &mut Command) -> Res<Waited> {
        let child = cmd
            .spawn()
            .map_err(|e| format!("cannot start {:?}: {e}", cmd.get_program()))?;
        wait4(child, cmd.get_program())
    }

    /// Run `cmd` to completion, stdout captured, stderr to `errlog`, measured with
    /// `wait4` (its `ru_maxrss` includes this process's peak: see [`run_child`]).
    fn run_direct(cmd: &mut Command, errlog: &Path) -> Res<ChildRun> {
        let err = File::create(errlog).map_err(|e| format!("{}: {e}", errlog.display()))?;
        let t = Instant::now();
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(err)
            .spawn()
            .map_err(|e| format!("cannot start {:?}: {e}", cmd.get_program()))?;
        let mut stdout = String::new();
        if let Some(mut o) = child.stdout.take() {
            let _ = o.read_to_string(&mut stdout);
        }
        let w = wait4(child, cmd.get_program())?;
        let wall = t.elapsed().as_secs_f64();
        if let Err(e) = w.status {
            let log = fs::read_to_string(errlog).unwrap_or_default();
            let lines: Vec<&str> = log.lines().collect();
            let tail = lines[lines.len().saturating_sub(15)..].join("\n");
            return Err(format!("{e}: {tail}"));
        }
        Ok(ChildRun {
            stdout,
            cpu: w.cpu,
            rss: w.rss,
            wall,
        })
    }

    /// `name=value` from a child's output.
    fn field(out: &str, name: &str) -> Option<f64> {
        out.split_whitespace()
            .filter_map(|w| w.split_once('='))
            .filter(|(k, _)| *k == name)
            .filter_map(|(_, v)| v.parse().ok())
            .next_back()
    }

    fn file_crc(path: &Path) -> Res<(u64, u64)> {
        let mut f = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut buf = vec![0u8; 8 << 20];
        let mut c = qcos::crc64::Crc64::new();
        let mut n = 0u64;
        loop {
            let k = f
                .read(&mut buf)
                .map_err(|e| format!("{}: {e}", path.display()))?;
            if k == 0 {
                break;
            }
            c.update(&buf[..k]);
            n += k as u64;
        }
        Ok((c.finish(), n))
    }

    fn write_source(path: &Path, size: u64) -> Res<u64> {
        let mut f = File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15 ^ size;
        let mut buf = vec![0u8; 8 << 20];
        let mut left = size;
        let mut c = qcos::crc64::Crc64::new();
        while left > 0 {
            let n = left.min(buf.len() as u64) as usize;
            for w in buf[..n].chunks_mut(8) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let b = x.to_le_bytes();
                w.copy_from_slice(&b[..w.len()]);
            }
            f.write_all(&buf[..n])
                .map_err(|e| format!("{}: {e}", path.display()))?;
            c.update(&buf[..n]);
            left -= n as u64;
        }
        Ok(c.finish())
    }

    /// Touch and free `bytes` + 64 MiB of memory right before a measurement, so that
    /// every client's transfer (whose bytes land in tmpfs pages, on the client's side
    /// for a download and the server's for an upload) starts with the same supply of
    /// free pages the guest already holds. On this VM, freed pages are handed back to
    /// the host after a while (virtio-balloon free page reporting) and the next first
    /// touch of each is a host fault: without this, the same curl download varied from
    /// 0.36 to 1.9 GB/s with the rounds' timing.
    fn warm_free_memory(bytes: u64) {
        let v = vec![1u8; bytes as usize + (64 << 20)];
        std::hint::black_box(&v);
        drop(v);
    }

    fn median(v: &mut [f64]) -> f64 {
        v.sort_by(|a, b| a.total_cmp(b));
        let n = v.len();
        if n == 0 {
            f64::NAN
        } else if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        }
    }

    struct Bench {
        s: Settings,
        server: ServerProc,
        client: Client,
        creds: Credentials,
        src: PathBuf,
        src_crc: u64,
        samples: BTreeMap<(Phase, Tool), Vec<Sample>>,
        failed: BTreeMap<(Phase, Tool), String>,
    }

    impl Bench {
        fn presigned(&self, method: &str, key: &str) -> Res<String> {
            presigned(&self.creds, &self.server.endpoint, method, key)
        }

        fn secret_env(&self, cmd: &mut Command) {
            cmd.env(SECRET_ID_VAR, &self.creds.secret_id)
                .env(SECRET_KEY_VAR, self.creds.secret_key.expose());
        }

        fn command(&self, tool: Tool, phase: Phase, key: &str, path: &Path) -> Res<Command> {
            let port = self.server.addr.port().to_string();
            let chunk = self.s.chunk.to_string();
            let parallel = self.s.parallel.to_string();
            let op = match phase {
                Phase::Upload => "upload",
                Phase::Download => "download",
            };
            let mut cmd;
            match tool {
                Tool::Qcos => {
                    cmd = Command::new(std::env::current_exe().map_err(|e| e.to_string())?);
                    cmd.arg("child").arg(op).arg(&self.server.endpoint);
                    match phase {
                        Phase::Upload => cmd.arg(path).arg(key),
                        Phase::Download => cmd.arg(key).arg(path),
                    };
                    cmd.arg(&chunk).arg(&parallel);
                }
                Tool::Curl => {
                    cmd = Command::new("curl");
                    cmd.args(["-sS", "--fail", "-w", "elapsed=%{time_total}\\n"]);
                    match phase {
                        Phase::Upload => {
                            // No `Expect: 100-continue` round trip (a presigned PUT needs none).
                            cmd.args(["-o", "/dev/null", "-H", "Expect:", "-T"])
                                .arg(path)
                                .arg(self.presigned("PUT", key)?);
                        }
                        Phase::Download => {
                            cmd.arg("-o").arg(path).arg(self.presigned("GET", key)?);
                        }
                    }
                }
                Tool::Python => {
                    let py = self.s.python.as_ref().ok_or(
                        "no Python venv with cos-python-sdk-v5: set QCOS_BENCH_PYTHON (benches/run.sh \
                         creates one)",
                    )?;
                    cmd = Command::new(py);
                    cmd.arg(self.s.repo.join("benches/sdk_python.py"))
                        .arg(op)
                        .arg(&port)
                        .arg(BUCKET)
                        .arg(REGION)
                        .arg(key)
                        .arg(path)
                        .arg((self.s.chunk / MIB).to_string())
                        .arg(&parallel);
                }
                Tool::Node => {
                    if !self.s.node_modules.join("cos-nodejs-sdk-v5").exists() {
                        return Err(format!(
                            "cos-nodejs-sdk-v5 is not installed under {} (benches/run.sh installs it)",
                            self.s.node_modules.display()
                        ));
                    }
                    cmd = Command::new("node");
                    cmd.env("NODE_PATH", &self.s.node_modules)
                        .arg(self.s.repo.join("benches/sdk_node.js"))
                        .arg(op)
                        .arg(&port)
                        .arg(BUCKET)
                        .arg(REGION)
                        .arg(key)
                        .arg(path)
                        .arg(&chunk)
                        .arg(&parallel);
                }
            }
            self.secret_env(&mut cmd);
            Ok(cmd)
        }

        fn measure(&mut self, tool: Tool, phase: Phase, round: usize) -> Res<Sample> {
            let key = format!("bench/{}-{phase}-{round}", tool.name());
            let dl = self.s.dir.join(format!("dl-{}", tool.name()));
            let (key, path) = match phase {
                Phase::Upload => (key, self.src.clone()),
                Phase::Download => ("bench/download-source".to_string(), dl.clone()),
            };
            let _ = fs::remove_file(&dl);
            warm_free_memory(self.s.size);
            let mut cmd = self.command(tool, phase, &key, &path)?;
            let errlog = self.s.dir.join(format!("{}-{phase}.stderr", tool.name()));
            let cpu0 = self.server.cpu();
            let r = run_child(&mut cmd, &errlog)?;
            let server_cpu = self.server.cpu() - cpu0;
            let secs = field(&r.stdout, "elapsed").ok_or_else(|| {
                format!(
                    "{} printed no elapsed time: {:?}",
                    tool.name(),
                    r.stdout.trim()
                )
            })?;
            if !(secs > 0.0 && secs <= r.wall + 0.5) {
                return Err(format!(
                    "{} reported {secs} s for a run of {} s",
                    tool.name(),
                    r.wall
                ));
            }
            // Check the result: nothing counts unless the bytes are right.
            match phase {
                Phase::Upload => {
                    let info = self
                        .client
                        .head_object(&key, &GetObjectOptions::default())
                        .map_err(|e| format!("HEAD after {} upload: {e}", tool.name()))?;
                    if info.content_length != self.s.size {
                        return Err(format!(
                            "{} uploaded {} bytes, not {}",
                            tool.name(),
                            info.content_length,
                            self.s.size
                        ));
                    }
                    if info.crc64 != Some(self.src_crc) {
                        return Err(format!(
                            "{} upload: server CRC-64 {:?} differs from the source's {}",
                            tool.name(),
                            info.crc64,
                            self.src_crc
                        ));
                    }
                    self.client
                        .delete_object(&key)
                        .map_err(|e| format!("DELETE {key}: {e}"))?;
                }
                Phase::Download => {
                    let (crc, n) = file_crc(&dl)?;
                    if n != self.s.size || crc != self.src_crc {
                        return Err(format!(
                            "{} download: {n} bytes with CRC-64 {crc}, expected {} bytes with {}",
                            tool.name(),
                            self.s.size,
                            self.src_crc
                        ));
                    }
                    let _ = fs::remove_file(&dl);
                }
            }
            Ok(Sample {
                secs,
                cpu: r.cpu,
                rss: r.rss,
                server_cpu,
            })
        }

        fn round(&mut self, phase: Phase, round: usize) {
            for tool in self.s.tools.clone() {
                if self.failed.contains_key(&(phase, tool)) {
                    continue;
                }
                match self.measure(tool, phase, round) {
                    Ok(sample) => {
                        eprintln!(
                            "  {phase:<8} {:<11} run {}: {:8.1} MB/s  cpu {:.2} s  rss {:.0} MiB",
                            tool.name(),
                            round + 1,
                            self.s.size as f64 / sample.secs / 1e6,
                            sample.cpu,
                            sample.rss as f64 / MIB as f64
                        );
                        self.samples.entry((phase, tool)).or_default().push(sample);
                    }
                    Err(e) => {
                        eprintln!("  {phase:<8} {:<11} FAILED: {e}", tool.name());
                        self.failed.insert((phase, tool), e);
                    }
                }
            }
        }

        fn med(&self, phase: Phase, tool: Tool, f: impl Fn(&Sample) -> f64) -> Option<f64> {
            let v = self.samples.get(&(phase, tool))?;
            if v.is_empty() {
                return None;
            }
            let mut xs: Vec<f64> = v.iter().map(f).collect();
            Some(median(&mut xs))
        }

        /// When `target` × the reference's speed is more than this machine could carry for
        /// qcos at all, say so with the figures. The ceiling assumes perfect use of every
        /// core by qcos and the server together: cores / (qcos client CPU-s per GB +
        /// server CPU-s per GB while serving qcos), both medians of this run. Nothing
        /// reaches it (curl, one stream, does not), so a target above it cannot be met
        /// here by any client, however fast.
        fn beyond_machine(&self, phase: Phase, tool: Tool, target: f64) -> Option<String> {
            let gb = self.s.size as f64 / 1e9;
            let cores = std::thread::available_parallelism().ok()?.get() as f64;
            let cpu = self.med(phase, Tool::Qcos, |x| x.cpu)? / gb;
            let server = self.med(phase, Tool::Qcos, |x| x.server_cpu)? / gb;
            let reference = gb * 1e3 / self.med(phase, tool, |x| x.secs)?;
            let needed = target * reference;
            let ceiling = cores * 1e3 / (cpu + server);
            (needed > ceiling).then(|| {
                format!(
                    "beyond this machine: {target} × {reference:.0} MB/s = {needed:.0} MB/s, \
                     but {cores} cores / (qcos {cpu:.2} + server {server:.2} CPU-s/GB) \
                     allow at most {ceiling:.0} MB/s"
                )
            })
        }

        /// Median over rounds of (qcos's value / tool's value), using only rounds where
        /// both ran: neighbours in time share the machine's state.
        fn ratio(
            &self,
            phase: Phase,
            tool: Tool,
            f: impl Fn(&Sample) -> f64,
        ) -> Option<(f64, usize)> {
            let a = self.samples.get(&(phase, Tool::Qcos))?;
            let b = self.samples.get(&(phase, tool))?;
            let mut v: Vec<f64> = a.iter().zip(b).map(|(x, y)| f(x) / f(y)).collect();
            if v.is_empty() {
                return None;
            }
            let n = v.len();
            Some((median(&mut v), n))
        }
    }

    struct Small {
        qcos: Res<(f64, ChildRun)>,
        wrk: Res<(f64, ChildRun)>,
    }

    fn small_puts(b: &Bench) -> Small {
        let key = "bench/small-1k";
        let secs = b.s.small_secs;
        let qcos = (|| {
            let mut cmd = Command::new(std::env::current_exe().map_err(|e| e.to_string())?);
            cmd.arg("child")
                .arg("small")
                .arg(&b.server.endpoint)
                .arg(key)
                .arg(secs.to_string());
            b.secret_env(&mut cmd);
            let r = run_child(&mut cmd, &b.s.dir.join("qcos-small.stderr"))?;
            let ops = field(&r.stdout, "ops").ok_or("no ops count")?;
            let el = field(&r.stdout, "elapsed").ok_or("no elapsed time")?;
            Ok((ops / el, r))
        })();
        let wrk = (|| {
            let url = b.presigned("PUT", key)?;
            // The URL must work before its rate means anything.
            let probe = Command::new("curl")
                .args(["-sS", "-o", "/dev/null", "-w", "%{http_code}", "-T", "-"])
                .arg(&url)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .and_then(|mut c| {
                    c.stdin.take().map(|mut i| i.write_all(&[b'x'; 1024]));
                    c.wait_with_output()
                })
                .map_err(|e| format!("curl probe: {e}"))?;
            let code = String::from_utf8_lossy(&probe.stdout).to_string();
            if code.trim() != "200" {
                return Err(format!("a presigned PUT answered HTTP {code}"));
            }
            let mut cmd = Command::new("wrk");
            cmd.args(["-c1", "-t1"])
                .arg(format!("-d{}s", secs.ceil() as u64))
                .arg("-s")
                .arg(b.s.repo.join("benches/wrk_put.lua"))
                .arg(&url);
            let r = run_child(&mut cmd, &b.s.dir.join("wrk.stderr"))
                .map_err(|e| format!("{e} (is wrk installed? apt-get install -y wrk)"))?;
            let out = &r.stdout;
            let grab = |label: &str| {
                out.lines()
                    .find_map(|l| l.trim().strip_prefix(label))
                    .map(|v| v.trim().to_string())
            };
            if let Some(n) = grab("Non-2xx or 3xx responses:") {
                return Err(format!("wrk got {n} non-2xx answers:\n{out}"));
            }
            if let Some(e) = grab("Socket errors:") {
                return Err(format!("wrk socket errors: {e}\n{out}"));
            }
            let rate: f64 = grab("Requests/sec:")
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| format!("no Requests/sec in wrk output:\n{out}"))?;
            Ok((rate, r))
        })();
        let info = b.client.head_object(key, &GetObjectOptions::default());
        let qcos = qcos.and_then(|q| match &info {
            Ok(i) if i.content_length == 1024 => Ok(q),
            Ok(i) => Err(format!("object is {} bytes, not 1024", i.content_length)),
            Err(e) => Err(format!("HEAD: {e}")),
        });
        Small { qcos, wrk }
    }

    fn mbs(size: u64, secs: f64) -> f64 {
        size as f64 / secs / 1e6
    }

    fn verdict(ok: bool) -> &'static str {
        if ok { "MET" } else { "MISSED" }
    }

    pub fn main() -> Res<bool> {
        let s = Settings::from_env()?;
        if !s.dir.starts_with("/dev/shm") {
            eprintln!(
                "note: {} is not on /dev/shm; disk speed will be part of the figures",
                s.dir.display()
            );
        }
        if s.dir.exists() {
            fs::remove_dir_all(&s.dir).map_err(|e| format!("{}: {e}", s.dir.display()))?;
        }
        fs::create_dir_all(&s.dir).map_err(|e| format!("{}: {e}", s.dir.display()))?;
        let nonce = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
            ^ std::process::id() as u128;
        let id = format!("AKIDbench{:x}", nonce & 0xffff_ffff);
        let key = format!("benchkey{:032x}", nonce.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        // SAFETY (set_var): single-threaded here; children inherit these.
        unsafe {
            std::env::set_var(SECRET_ID_VAR, &id);
            std::env::set_var(SECRET_KEY_VAR, &key);
        }
        let creds = credentials_from_env()?;
        let server = ServerProc::start(&s, &id, &key)?;
        let client = Client::new(client_config(&server.endpoint, s.chunk, s.parallel)?)
            .map_err(|e| e.to_string())?;
        client
            .create_bucket()
            .map_err(|e| format!("create bucket: {e}"))?;

        let src = s.dir.join("source.bin");
        eprintln!(
            "writing a {} byte source file to {} ...",
            s.size,
            src.display()
        );
        let src_crc = write_source(&src, s.size)?;
        // The object every client downloads, uploaded once.
        client
            .upload_file(
                "bench/download-source",
                UploadSource::File(&src),
                &UploadOptions::default(),
                None,
            )
            .map_err(|e| format!("uploading the download source: {e}"))?;

        let mut b = Bench {
            s,
            server,
            client,
            creds,
            src,
            src_crc,
            samples: BTreeMap::new(),
            failed: BTreeMap::new(),
        };

        // Fixed overhead of a qcos client process (no part buffers): the RSS bound's
        // constant term.
        let baseline = {
            let mut cmd = Command::new(std::env::current_exe().map_err(|e| e.to_string())?);
            cmd.arg("child")
                .arg("baseline")
                .arg(&b.server.endpoint)
                .arg("bench/baseline");
            b.secret_env(&mut cmd);
            let mut v = Vec::new();
            for _ in 0..3 {
                v.push(run_child(&mut cmd, &b.s.dir.join("baseline.stderr"))?.rss);
            }
            v.into_iter().max().unwrap_or(0)
        };

        // The smallest peak RSS the wrapper can see (its own, inherited at exec).
        let floor = run_child(&mut Command::new("true"), &b.s.dir.join("true.stderr"))?.rss;

        for round in 0..b.s.runs {
            eprintln!("round {}/{}", round + 1, b.s.runs);
            b.round(Phase::Upload, round);
            b.round(Phase::Download, round);
        }
        let small = if b.s.small {
            eprintln!("1 KiB PUTs, one connection, {} s each ...", b.s.small_secs);
            Some(small_puts(&b))
        } else {
            None
        };

        // ---- report ----
        let s = &b.s;
        let gb = s.size as f64 / 1e9;
        println!();
        println!(
            "qcos transfer benchmark: {} bytes ({:.3} GB), part size {} MiB, parallel {}, \
             {} run(s) each, medians; server: {} on {}, ETags from {}",
            s.size,
            gb,
            s.chunk / MIB,
            s.parallel,
            s.runs,
            s.server_bin.display(),
            s.dir.display(),
            if s.etag_crc64 {
                "CRC-64 (benchmark mode: the server skips MD5)"
            } else {
                "MD5 (as COS)"
            }
        );
        println!();
        println!(
            "| phase | client | MB/s | client CPU s/GB | peak RSS MiB | server CPU s/GB | runs |"
        );
        println!("|---|---|---:|---:|---:|---:|---:|");
        for phase in [Phase::Upload, Phase::Download] {
            for &tool in &s.tools {
                if let Some(e) = b.failed.get(&(phase, tool)) {
                    println!(
                        "| {phase} | {} | could not run: {} | | | | |",
                        tool.label(),
                        e.replace('\n', " ").replace('|', "/")
                    );
                    continue;
                }
                let (Some(secs), Some(cpu), Some(rss), Some(scpu)) = (
                    b.med(phase, tool, |x| x.secs),
                    b.med(phase, tool, |x| x.cpu),
                    b.med(phase, tool, |x| x.rss as f64),
                    b.med(phase, tool, |x| x.server_cpu),
                ) else {
                    continue;
                };
                println!(
                    "| {phase} | {} | {:.0} | {:.2} | {:.1} | {:.2} | {} |",
                    tool.label(),
                    mbs(s.size, secs),
                    cpu / gb,
                    rss / MIB as f64,
                    scpu / gb,
                    b.samples[&(phase, tool)].len()
                );
            }
        }
        let mut all_met = b.failed.is_empty();
        println!();
        println!("Ratios (median over runs of qcos / reference, same round) against the targets:");
        println!();
        println!("| ratio | value | target | |");
        println!("|---|---:|---|---|");
        let speed = |x: &Sample| 1.0 / x.secs;
        for phase in [Phase::Upload, Phase::Download] {
            for &tool in &s.tools[1..] {
                let target = match (phase, tool) {
                    (Phase::Upload, Tool::Curl) => 0.9,
                    (Phase::Download, Tool::Curl) => 1.0,
                    _ => 3.0,
                };
                match b.ratio(phase, tool, speed) {
                    Some((r, _)) => {
                        let ok = r >= target;
                        all_met &= ok;
                        let why = if ok {
                            String::new()
                        } else {
                            b.beyond_machine(phase, tool, target)
                                .map(|w| format!(": {w}"))
                                .unwrap_or_default()
                        };
                        println!(
                            "| {phase} speed qcos / {} | {r:.2} | ≥ {target} | {}{why} |",
                            tool.name(),
                            verdict(ok)
                        );
                    }
                    None => {
                        all_met = false;
                        println!(
                            "| {phase} speed qcos / {} | n/a | ≥ {target} | reference did not run |",
                            tool.name()
                        );
                    }
                }
            }
            if s.tools.contains(&Tool::Curl) {
                match b.ratio(phase, Tool::Curl, |x| x.cpu) {
                    Some((r, _)) => {
                        let ok = r <= 1.5;
                        all_met &= ok;
                        println!(
                            "| {phase} client CPU/GB qcos / curl | {r:.2} | ≤ 1.5 | {} |",
                            verdict(ok)
                        );
                    }
                    None => println!("| {phase} client CPU/GB qcos / curl | n/a | ≤ 1.5 | |"),
                }
            }
            if let Some(rss) = b
                .samples
                .get(&(phase, Tool::Qcos))
                .and_then(|v| v.iter().map(|x| x.rss).max())
            {
                let buffers = (s.parallel as u64 + 1) * s.chunk;
                let bound = buffers + baseline;
                let ok = rss <= bound;
                all_met &= ok;
                println!(
                    "| {phase} qcos peak RSS (max of runs) | {:.1} MiB | ≤ ({}+1)×{} MiB + {:.1} MiB = {:.1} MiB | {} |",
                    rss as f64 / MIB as f64,
                    s.parallel,
                    s.chunk / MIB,
                    baseline as f64 / MIB as f64,
                    bound as f64 / MIB as f64,
                    verdict(ok)
                );
            }
        }
        if let Some(small) = &small {
            match (&small.qcos, &small.wrk) {
                (Ok((q, _)), Ok((w, _))) => {
                    let r = q / w;
                    let ok = r >= 0.8;
                    all_met &= ok;
                    println!(
                        "| 1 KiB PUT rate qcos / wrk -c1 | {r:.2} ({q:.0}/s vs {w:.0}/s) | ≥ 0.8 | {} |",
                        verdict(ok)
                    );
                }
                (q, w) => {
                    all_met = false;
                    let why = |r: &Res<(f64, ChildRun)>| match r {
                        Ok((x, _)) => format!("{x:.0}/s"),
                        Err(e) => format!("failed: {}", e.replace('\n', " ")),
                    };
                    println!(
                        "| 1 KiB PUT rate qcos / wrk -c1 | n/a | ≥ 0.8 | qcos {}; wrk {} |",
                        why(q),
                        why(w)
                    );
                }
            }
            for (name, r) in [("qcos", &small.qcos), ("wrk", &small.wrk)] {
                if let Ok((rate, run)) = r {
                    println!(
                        "\n1 KiB PUTs, {name}: {rate:.0}/s, client CPU {:.2} s over {:.1} s, peak RSS {:.1} MiB",
                        run.cpu,
                        run.wall,
                        run.rss as f64 / MIB as f64
                    );
                }
            }
        }
        println!(
            "\nqcos client process fixed overhead (peak RSS of one 1 KiB PUT + HEAD, max of 3): {:.1} MiB",
            baseline as f64 / MIB as f64
        );
        println!(
            "peak RSS floor of the measuring wrapper (`true` measured the same way): {:.1} MiB",
            floor as f64 / MIB as f64
        );
        for ((phase, tool), e) in &b.failed {
            println!("\n{phase} {} could not run: {e}", tool.name());
        }
        println!(
            "\n{}",
            if all_met {
                "all targets met"
            } else {
                "some targets missed or some references could not run (see above)"
            }
        );
        Ok(all_met)
    }

    /// Free the memory the run used on /dev/shm (the big files), keeping the logs.
    pub fn cleanup() {
        let dir = PathBuf::from(env_or("QCOS_BENCH_DIR", "/dev/shm/qcos-bench"));
        let _ = fs::remove_dir_all(dir.join("data"));
        if let Ok(entries) = fs::read_dir(&dir) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if name == "source.bin" || name.starts_with("dl-") || name.starts_with(".dl-") {
                    let _ = fs::remove_file(e.path());
                }
            }
        }
    }
}
