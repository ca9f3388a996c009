//! `qcos-server --data-dir DIR --listen 127.0.0.1:PORT --secret-id ID --secret-key KEY
//! [--region R] [--auto-create-buckets] [--allow-non-loopback] [--etag-from-crc64]`

use std::net::SocketAddr;
use std::process::ExitCode;

use qcos_server::{Server, ServerConfig};

const USAGE: &str =
    "usage: qcos-server --data-dir DIR --listen 127.0.0.1:PORT --secret-id ID --secret-key KEY \
[--region REGION] [--auto-create-buckets] [--allow-non-loopback] [--etag-from-crc64]

Serves the COS XML API from DIR. The secret key can also come from QCOS_SERVER_SECRET_KEY.
--etag-from-crc64 (benchmarks only) makes ETags from CRC-64 and size instead of MD5.
Set QCOS_SERVER_LOG=1 to log every request to stderr.";

fn parse(args: &[String]) -> Result<ServerConfig, String> {
    let mut data_dir = None;
    let mut listen: Option<SocketAddr> = None;
    let mut secret_id = None;
    let mut secret_key = std::env::var("QCOS_SERVER_SECRET_KEY").ok();
    let mut region = None;
    let mut auto = false;
    let mut non_loopback = false;
    let mut etag_from_crc64 = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match a.as_str() {
            "--data-dir" => data_dir = Some(value(a)?),
            "--listen" => {
                let v = value(a)?;
                listen = Some(v.parse().map_err(|_| {
                    format!("--listen {v:?} is not an address like 127.0.0.1:9000")
                })?);
            }
            "--secret-id" => secret_id = Some(value(a)?),
            "--secret-key" => secret_key = Some(value(a)?),
            "--region" => region = Some(value(a)?),
            "--auto-create-buckets" => auto = true,
            "--allow-non-loopback" => non_loopback = true,
            "--etag-from-crc64" => etag_from_crc64 = true,
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    let data_dir = data_dir.ok_or("--data-dir is required")?;
    let listen = listen.ok_or("--listen is required")?;
    let secret_id = secret_id.ok_or("--secret-id is required")?;
    let secret_key = secret_key.ok_or("--secret-key is required")?;
    if secret_id.is_empty() || secret_key.is_empty() {
        return Err("--secret-id and --secret-key must not be empty".into());
    }
    if !listen.ip().is_loopback() && !non_loopback {
        return Err(format!(
            "refusing to listen on {listen}, which is not a loopback address (pass --allow-non-loopback to insist)"
        ));
    }
    let mut cfg = ServerConfig::new(data_dir);
    cfg.listen = listen;
    cfg.credentials = vec![(secret_id, secret_key)];
    if let Some(r) = region {
        cfg.region = r;
    }
    cfg.auto_create_buckets = auto;
    cfg.etag_from_crc64 = etag_from_crc64;
    Ok(cfg)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let cfg = match parse(&args) {
        Ok(c) => c,
        Err(msg) => {
            if !msg.is_empty() {
                eprintln!("qcos-server: {msg}");
            }
            eprintln!("{USAGE}");
            return if msg.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            };
        }
    };
    let server = match Server::start(cfg) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("qcos-server: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("qcos-server listening on {}", server.endpoint());
    use std::io::Write;
    let _ = std::io::stdout().flush();
    loop {
        std::thread::park();
    }
}
