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
    /// Options beyond the port (TLS, a password).
    options: Vec<String>,
    /// Files the server needs (its certificate), removed with it.
    files: Option<std::path::PathBuf>,
    child: Option<Child>,
}

impl OwnServer {
    /// Starts a plain server and waits until it accepts connections.
    pub fn start() -> OwnServer {
        OwnServer::with_options(Vec::new(), None)
    }

    /// Starts a server that speaks only TLS, with a fresh self-signed certificate for 127.0.0.1
    /// (made with the `openssl` command), and requires `password`.
    pub fn start_tls(password: &str) -> OwnServer {
        let dir = std::env::temp_dir().join(unique_name("tls").replace(':', "-"));
        std::fs::create_dir_all(&dir).expect("a directory for the certificate");
        let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
        let made = Command::new("openssl")
            .args([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            ])
            .args([
                "-subj",
                "/CN=127.0.0.1",
                "-addext",
                "subjectAltName=IP:127.0.0.1",
            ])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("run openssl (is it installed?)");
        assert!(made.success(), "openssl could not make a certificate");
        let path = |p: &std::path::Path| p.to_string_lossy().into_owned();
        let options = [
            "--tls-port".to_owned(),
            String::new(), // the port: filled in by `with_options`
            "--port".to_owned(),
            "0".to_owned(),
            "--tls-cert-file".to_owned(),
            path(&cert),
            "--tls-key-file".to_owned(),
            path(&key),
            "--tls-ca-cert-file".to_owned(),
            path(&cert),
            "--tls-auth-clients".to_owned(),
            "no".to_owned(),
            "--requirepass".to_owned(),
            password.to_owned(),
        ];
        OwnServer::with_options(options.into(), Some(dir))
    }

    fn with_options(mut options: Vec<String>, files: Option<std::path::PathBuf>) -> OwnServer {
        let port = free_port();
        match options.iter().position(|o| o == "--tls-port") {
            Some(at) => options[at + 1] = port.to_string(),
            None => options.extend(["--port".to_owned(), port.to_string()]),
        }
        let mut server = OwnServer {
            port,
            options,
            files,
            child: None,
        };
        server.restart();
        server
    }

    /// Its address, `127.0.0.1:port`.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Its URL (plain servers).
    pub fn url(&self) -> String {
        format!("redis://{}/", self.address())
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
            .args(&self.options)
            .args(["--bind", "127.0.0.1"])
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
        if let Some(files) = &self.files {
            let _ = std::fs::remove_dir_all(files);
        }
    }
}

/// A cluster of this test's own (three masters, a replica each), stopped when dropped.
pub struct OwnCluster {
    dir: std::path::PathBuf,
    /// Its masters' URLs, comma-separated (`redis://127.0.0.1:PORT,…`).
    pub urls: String,
}

impl OwnCluster {
    /// Starts it with `scripts/redis-cluster.sh` and waits until it is ready.
    pub fn start() -> OwnCluster {
        let dir = std::env::temp_dir().join(unique_name("cluster").replace(':', "-"));
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/redis-cluster.sh");
        let out = Command::new(script)
            .arg("start")
            .arg(&dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let urls = String::from_utf8(out.stdout).unwrap().trim().to_string();
        OwnCluster { dir, urls }
    }

    /// Kills the master at `url` (`redis://127.0.0.1:PORT`) at once, as a crash would.
    pub fn kill_master(&self, url: &str) {
        let port = url.rsplit(':').next().unwrap();
        let pid = std::fs::read_to_string(self.dir.join(format!("node-{port}.pid"))).unwrap();
        let killed = Command::new("kill")
            .args(["-9", pid.trim()])
            .status()
            .unwrap();
        assert!(killed.success());
    }
}

impl Drop for OwnCluster {
    fn drop(&mut self) {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/redis-cluster.sh");
        let _ = Command::new(script).arg("stop").arg(&self.dir).status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
