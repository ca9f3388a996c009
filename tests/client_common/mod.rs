//! Shared setup for the client integration tests: a qcos-server on 127.0.0.1:0 with a
//! temporary data directory, and client configurations pointing at it.
#![allow(dead_code)]

use qcos::auth::Credentials;
use qcos::{Client, Config};
use qcos_server::{RunningServer, Server, ServerConfig, TEST_SECRET_ID, TEST_SECRET_KEY};

pub const REGION: &str = "ap-guangzhou";

pub struct Env {
    pub server: RunningServer,
    pub dir: tempfile::TempDir,
}

/// Start a server; `tweak` adjusts its config (temporary keys, skew, ...).
pub fn start_with(tweak: impl FnOnce(&mut ServerConfig)) -> Env {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut cfg = ServerConfig::new(dir.path().join("data"));
    tweak(&mut cfg);
    let server = Server::start(cfg).expect("start qcos-server");
    Env { server, dir }
}

pub fn start() -> Env {
    start_with(|_| {})
}

impl Env {
    /// A virtual-host configuration: connect to the server, send the real COS Host.
    pub fn config(&self, bucket: &str) -> Config {
        let mut c = Config::new(REGION, bucket);
        c.endpoint = Some(self.server.endpoint());
        c.credentials = Some(Credentials::new(TEST_SECRET_ID, TEST_SECRET_KEY));
        c.retry_base_delay_ms = 10;
        c
    }

    /// A client for `bucket`, creating the bucket.
    pub fn client_with_bucket(&self, bucket: &str) -> Client {
        let c = Client::new(self.config(bucket)).expect("client");
        c.create_bucket().expect("create bucket");
        c
    }
}
