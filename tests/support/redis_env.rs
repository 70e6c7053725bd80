//! What the redis suites (`tests/redis_*.rs`) share: the servers `make test` provides, and a
//! `redis-server` of a test's own that it may stop and start again.
#![allow(dead_code)] // each suite uses the part it needs

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The single server's URL (`CACHELAB_REDIS_URL`), or `None` (with a note) when none was given.
pub fn redis_url() -> Option<String> {
    env_or_note("CACHELAB_REDIS_URL")
}

/// The cluster's node URLs, comma-separated (`CACHELAB_REDIS_CLUSTER_URLS`), or `None` (with a
/// note) when no cluster was started.
pub fn cluster_urls() -> Option<String> {
    env_or_note("CACHELAB_REDIS_CLUSTER_URLS")
}

fn env_or_note(name: &str) -> Option<String> {
    let value = std::env::var(name).ok();
    if value.is_none() {
        eprintln!("skipped: set {name} (make test does) to run the redis suites");
    }
    value
}

/// A name no other test run uses, for key prefixes: runs never see each other's keys.
pub fn unique_name(what: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    format!("cachelab-test:{what}:{}:{nanos}", std::process::id())
}

/// A loopback port nothing listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("bind a free loopback port")
        .port()
}

/// A `redis-server` on a free loopback port, owned by one test: stop it, start it again on the same
/// port (empty: it keeps nothing on disk). Dropping it stops it.
pub struct OwnServer {
    port: u16,
    child: Option<Child>,
}

impl OwnServer {
    /// Starts a server and waits until it accepts connections.
    pub fn start() -> OwnServer {
        let mut server = OwnServer {
            port: free_port(),
            child: None,
        };
        server.restart();
        server
    }

    /// Its URL.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Kills the server at once (no shutdown handshake), as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on its port and waits until it accepts connections.
    pub fn restart(&mut self) {
        self.kill();
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--dir", "/tmp"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start redis-server (is it installed?)");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(5);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for OwnServer {
    fn drop(&mut self) {
        self.kill();
    }
}
