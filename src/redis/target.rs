//! Where the real Redis is: the `--redis-url` value parsed into a [`Target`], and [`connect`], which
//! opens a [`Connection`] to it.
//!
//! One URL means one server; several URLs separated by commas are seed nodes of a Redis Cluster, and
//! the cluster client then learns the slot map from them and sends each key to the master that owns
//! its slot. Both kinds of connection implement `redis::aio::ConnectionLike` and `Clone`, so the code
//! above them (a store, a rate limiter, the monitor) is written once for both.
//!
//! # Passwords never leak
//! A URL may carry `user:password@`. The password is needed to log in and for nothing else, so
//! every way a target can be shown — `Display`, `Debug`, the errors of parsing and connecting —
//! prints `***` in its place. Errors coming from the redis crate pass through [`Target::redact`]
//! before they reach the user, in case a future version of the crate starts quoting its URL. Reports
//! and logs only ever print a `Target` through `Display`, so they inherit the redaction.
//!
//! # TLS
//! `rediss://` connects over TLS (rustls with the system's root certificates). For a server with a
//! self-signed certificate, the redis crate's `#insecure` fragment (`rediss://host:6380/#insecure`)
//! skips certificate verification; use it only on a test machine.

use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use redis::{Cmd, Pipeline, RedisFuture, Value};

use crate::error::{Error, Result};

/// The command-line flag the URL comes from; every parse error names it.
const FIELD: &str = "--redis-url";

/// What a password is shown as.
const REDACTED: &str = "***";

/// The port Redis listens on when the URL names none.
const DEFAULT_PORT: u16 = 6379;

/// The most connections [`connect`] opens to one server: enough to spread a lab's tasks, few enough
/// that a typo cannot exhaust the server's `maxclients`.
pub const MAX_CONNECTIONS: usize = 64;

/// How long connecting (a TLS handshake included), and then each reply, may take before the call
/// fails. Short, because a cache that answers slowly is treated as down (the caller falls back to
/// the database), and a stopped server should be noticed within a second, not after the OS's TCP
/// timeout.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
const RESPONSE_TIMEOUT: Duration = Duration::from_millis(500);

/// A Redis deployment to connect to: one server, or the seed nodes of a Redis Cluster.
///
/// Parse it from the `--redis-url` value with [`Target::parse`] (or `str::parse`).
///
/// ```
/// use cachelab::redis::Target;
///
/// let one: Target = "redis://alice:s3cret@127.0.0.1:6380/2".parse().unwrap();
/// assert!(!one.is_cluster());
/// assert_eq!(one.to_string(), "redis://alice:***@127.0.0.1:6380/2");
///
/// let cluster: Target = "redis://10.0.0.1:7000,redis://10.0.0.2:7000".parse().unwrap();
/// assert!(cluster.is_cluster());
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Target {
    /// Each node's full URL, password included: private, and only handed to the redis crate.
    nodes: Vec<url::Url>,
}

impl Target {
    /// Parses a `--redis-url` value: `redis[s]://[user[:password]@]host[:port][/db]`, or several such
    /// URLs separated by commas for the seed nodes of a Redis Cluster (database 0 only).
    ///
    /// Errors name `--redis-url`, the node at fault and what is wrong, with any password redacted.
    pub fn parse(value: &str) -> Result<Target> {
        let value = value.trim();
        if value.is_empty() {
            return Err(parse_error(
                "is empty; expected redis://[user:password@]host[:port][/db], or several such \
                 URLs separated by commas for a Redis Cluster",
            ));
        }
        let parts: Vec<&str> = value.split(',').map(str::trim).collect();
        let cluster = parts.len() > 1;
        let mut nodes = Vec::with_capacity(parts.len());
        for (index, part) in parts.iter().enumerate() {
            let node = parse_node(part, cluster).map_err(|why| {
                let shown = redact_userinfo(part);
                if cluster {
                    parse_error(&format!("node {} (`{shown}`) {why}", index + 1))
                } else {
                    parse_error(&format!("`{shown}` {why}"))
                }
            })?;
            nodes.push(node);
        }
        let first = &nodes[0];
        if let Some(other) = nodes.iter().find(|node| node.scheme() != first.scheme()) {
            return Err(parse_error(&format!(
                "mixes {}:// and {}://; every node of a cluster uses the same scheme",
                first.scheme(),
                other.scheme()
            )));
        }
        if nodes
            .iter()
            .any(|node| node.username() != first.username() || node.password() != first.password())
        {
            return Err(parse_error(
                "gives the cluster nodes different users or passwords; a cluster has one",
            ));
        }
        Ok(Target { nodes })
    }

    /// Whether this is a Redis Cluster (more than one node given).
    pub fn is_cluster(&self) -> bool {
        self.nodes.len() > 1
    }

    /// Whether the connection is encrypted (`rediss://`).
    pub fn is_tls(&self) -> bool {
        self.nodes[0].scheme() == "rediss"
    }

    /// The nodes' URLs as they may be shown, passwords redacted.
    pub fn redacted_nodes(&self) -> Vec<String> {
        self.nodes.iter().map(redacted_url).collect()
    }

    /// `text` with this target's password (as written in the URL, and percent-decoded) replaced by
    /// `***`. Every error from the redis crate goes through it before it is shown.
    pub fn redact(&self, text: &str) -> String {
        let mut text = text.to_owned();
        if let Some(password) = self.nodes[0].password() {
            let decoded = percent_decode(password);
            for secret in [password, decoded.as_str()] {
                if !secret.is_empty() {
                    text = text.replace(secret, REDACTED);
                }
            }
        }
        text
    }

    /// A redis error as the crate's error, redacted.
    pub(crate) fn store_error(&self, what: &str, error: &redis::RedisError) -> Error {
        Error::Store {
            detail: self.redact(&format!("{what} {self}: {error}")),
        }
    }
}

impl FromStr for Target {
    type Err = Error;

    fn from_str(value: &str) -> Result<Target> {
        Target::parse(value)
    }
}

impl fmt::Display for Target {
    /// The nodes' URLs separated by commas, as they were given but with `***` for the password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted_nodes().join(","))
    }
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Target")
            .field("nodes", &self.redacted_nodes())
            .finish()
    }
}

/// A `--redis-url` parse error.
fn parse_error(detail: &str) -> Error {
    Error::Parse {
        what: FIELD.to_owned(),
        detail: detail.to_owned(),
    }
}

/// Parses and checks one node's URL; the error says what is wrong (the caller adds which node).
fn parse_node(text: &str, in_cluster: bool) -> std::result::Result<url::Url, String> {
    if text.is_empty() {
        return Err("is empty (two commas in a row, or a trailing comma?)".to_owned());
    }
    let mut node = url::Url::parse(text).map_err(|error| format!("is not a URL: {error}"))?;
    match node.scheme() {
        "redis" | "rediss" => {}
        other => {
            return Err(format!(
                "has the scheme `{other}`; use redis:// or rediss:// (TLS)"
            ))
        }
    }
    if node.host_str().is_none_or(str::is_empty) {
        return Err("has no host".to_owned());
    }
    if node.port() == Some(0) {
        return Err("has port 0; give the port the server listens on".to_owned());
    }
    if node.port().is_none() {
        node.set_port(Some(DEFAULT_PORT))
            .map_err(|()| "cannot take a port".to_owned())?;
    }
    let database = match node.path().trim_start_matches('/') {
        "" => 0,
        db => db.parse::<u16>().map_err(|_| {
            format!("has the path `/{db}`; the path is the database number, e.g. /0")
        })?,
    };
    if in_cluster && database != 0 {
        return Err(format!(
            "selects database {database}; a Redis Cluster has only database 0"
        ));
    }
    if node.query().is_some() {
        return Err("has a query string (`?…`), which cachelab does not use".to_owned());
    }
    match node.fragment() {
        None => {}
        Some("insecure") if node.scheme() == "rediss" => {}
        Some(other) => {
            return Err(format!(
                "has the fragment `#{other}`; only rediss:// takes one, `#insecure`"
            ))
        }
    }
    Ok(node)
}

/// A parsed URL with its password replaced by `***`.
fn redacted_url(node: &url::Url) -> String {
    let mut shown = node.clone();
    if shown.password().is_some() {
        // Only fails for URLs that cannot have credentials, which a parsed node always can.
        let _ = shown.set_password(Some(REDACTED));
    }
    shown.to_string()
}

/// Unparsed text (which may not be a valid URL) with anything after `user:` in its user part
/// replaced by `***`, so that even a malformed URL is echoed without its password.
fn redact_userinfo(text: &str) -> String {
    let Some(scheme_end) = text.find("://") else {
        return text.to_owned();
    };
    let authority_start = scheme_end + 3;
    let rest = &text[authority_start..];
    let authority_len = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let Some(at) = rest[..authority_len].rfind('@') else {
        return text.to_owned();
    };
    match rest[..at].find(':') {
        Some(colon) => format!(
            "{}{}{REDACTED}{}",
            &text[..authority_start],
            &rest[..=colon],
            &rest[at..]
        ),
        None => text.to_owned(),
    }
}

/// Decodes `%XX` escapes (the form a password takes inside a URL).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| text.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// An open connection to a [`Target`]: clone it freely (clones share the sockets) and use it as
/// any `redis::aio::ConnectionLike`.
#[derive(Clone)]
pub enum Connection {
    /// One server, through a small pool of self-reconnecting connections used in turn.
    Single(NodePool),
    /// A Redis Cluster: the redis crate's cluster client, which routes each command to the master
    /// owning its key's slot and follows `MOVED` redirections.
    Cluster(ClusterConnection),
}

/// A round-robin pool of [`ConnectionManager`]s to one server. Each manager multiplexes many
/// concurrent requests over one socket and reconnects by itself after the server comes back;
/// several of them spread the load of many tasks over several sockets. Each command (or pipeline)
/// goes to the next socket, so nothing may rely on state kept by one connection (`SELECT`,
/// `WATCH`, `SUBSCRIBE`); a pipeline travels whole on one socket, so a `MULTI`/`EXEC` pipeline
/// stays a transaction, and a script is one command anyway.
#[derive(Clone)]
pub struct NodePool {
    managers: Arc<[ConnectionManager]>,
    next: Arc<AtomicUsize>,
}

impl NodePool {
    /// The manager whose turn it is.
    fn pick(&self) -> ConnectionManager {
        let turn = self.next.fetch_add(1, Ordering::Relaxed);
        self.managers[turn % self.managers.len()].clone()
    }
}

impl ConnectionLike for Connection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Connection::Single(pool) => {
                let mut manager = pool.pick();
                Box::pin(async move { manager.req_packed_command(cmd).await })
            }
            Connection::Cluster(cluster) => cluster.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Connection::Single(pool) => {
                let mut manager = pool.pick();
                Box::pin(async move { manager.req_packed_commands(pipeline, offset, count).await })
            }
            Connection::Cluster(cluster) => cluster.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Connection::Single(pool) => pool.managers[0].get_db(),
            Connection::Cluster(cluster) => cluster.get_db(),
        }
    }
}

/// Connects to `target`: to one server with `connections` pooled connections (1 to
/// [`MAX_CONNECTIONS`]), or to a Redis Cluster through the cluster client (which keeps one
/// multiplexed connection per node, so `connections` is only checked).
///
/// Fails if no server answers within a second; afterwards the connection reconnects by itself,
/// and commands sent while the server is down fail quickly instead of hanging.
pub async fn connect(target: &Target, connections: usize) -> Result<Connection> {
    Error::check_range(
        "connections",
        connections as f64,
        1.0,
        MAX_CONNECTIONS as f64,
        "",
    )?;
    if target.is_cluster() {
        let client = ClusterClient::builder(target.nodes.iter().map(url::Url::as_str))
            .connection_timeout(CONNECT_TIMEOUT)
            .response_timeout(RESPONSE_TIMEOUT)
            .build()
            .map_err(|error| {
                target.store_error("cannot configure the cluster client for", &error)
            })?;
        let cluster = client
            .get_async_connection()
            .await
            .map_err(|error| target.store_error("cannot connect to", &error))?;
        return Ok(Connection::Cluster(cluster));
    }
    let mut managers = Vec::with_capacity(connections);
    for _ in 0..connections {
        managers.push(open_manager(target, target.nodes[0].as_str()).await?);
    }
    Ok(Connection::Single(NodePool {
        managers: managers.into(),
        next: Arc::new(AtomicUsize::new(0)),
    }))
}

/// One self-reconnecting connection to the node at `url` (which belongs to `target`, whose
/// password redacts the errors).
async fn open_manager(target: &Target, url: &str) -> Result<ConnectionManager> {
    let client =
        redis::Client::open(url).map_err(|error| target.store_error("cannot configure", &error))?;
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(CONNECT_TIMEOUT))
        .set_response_timeout(Some(RESPONSE_TIMEOUT))
        // Reconnect attempts after the server went away: few and quick, so that a request arriving
        // during an outage fails fast (and the caller degrades) instead of waiting out a long
        // back-off; the next request after the server returns triggers a fresh attempt.
        .set_number_of_retries(1)
        .set_min_delay(Duration::from_millis(10))
        .set_max_delay(Duration::from_millis(100));
    ConnectionManager::new_with_config(client, config)
        .await
        .map_err(|error| target.store_error("cannot connect to", &error))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_err(value: &str) -> String {
        Target::parse(value).unwrap_err().to_string()
    }

    #[test]
    fn a_single_url_is_one_node_with_defaults_filled_in() {
        let target = Target::parse("redis://localhost").unwrap();
        assert!(!target.is_cluster());
        assert!(!target.is_tls());
        assert_eq!(target.to_string(), "redis://localhost:6379");
        let target = Target::parse(" rediss://cache.example:6380/3 ").unwrap();
        assert!(target.is_tls());
        assert_eq!(target.to_string(), "rediss://cache.example:6380/3");
    }

    #[test]
    fn commas_make_a_cluster() {
        let target = Target::parse("redis://127.0.0.1:7000, redis://127.0.0.1:7001").unwrap();
        assert!(target.is_cluster());
        assert_eq!(
            target.redacted_nodes(),
            ["redis://127.0.0.1:7000", "redis://127.0.0.1:7001"]
        );
    }

    #[test]
    fn a_password_never_shows() {
        let value = "redis://alice:pa%40ss-w0rd@127.0.0.1:6380/1";
        let target = Target::parse(value).unwrap();
        for shown in [
            target.to_string(),
            format!("{target:?}"),
            target.redacted_nodes().join(" "),
            target.redact("AUTH alice pa@ss-w0rd failed; url redis://alice:pa%40ss-w0rd@h"),
        ] {
            assert!(!shown.contains("pa@ss-w0rd"), "{shown}");
            assert!(!shown.contains("pa%40ss-w0rd"), "{shown}");
            assert!(!shown.contains("w0rd"), "{shown}");
        }
        assert_eq!(target.to_string(), "redis://alice:***@127.0.0.1:6380/1");
        // A password without a user (Redis before ACLs).
        let target = Target::parse("redis://:hunter2@h:1,redis://:hunter2@h:2").unwrap();
        assert_eq!(target.to_string(), "redis://:***@h:1,redis://:***@h:2");
        assert!(!format!("{target:?}").contains("hunter2"));
    }

    #[test]
    fn errors_name_the_flag_and_the_fault_without_the_password() {
        let cases = [
            ("", "is empty"),
            ("http://u:hunter2@h:1", "scheme `http`"),
            ("redis://u:hunter2@h:1/x", "the path is the database number"),
            ("redis://u:hunter2@h:0", "port 0"),
            ("redis://u:hunter2@h:99999", "is not a URL"),
            ("redis://u:hunter2@h:1?db=2", "query string"),
            ("redis://u:hunter2@h:1/#insecure", "only rediss://"),
            ("redis://u:hunter2@h:1,", "node 2"),
            (
                "redis://u:hunter2@h:1,redis://u:hunter2@h:2/1",
                "only database 0",
            ),
            (
                "redis://u:hunter2@h:1,rediss://u:hunter2@h:2",
                "mixes redis:// and rediss://",
            ),
            (
                "redis://u:hunter2@h:1,redis://u:other@h:2",
                "different users or passwords",
            ),
            ("127.0.0.1:6379", "is not a URL"),
            ("redis://u:hunter2@", "is not a URL"),
        ];
        for (value, expected) in cases {
            let message = parse_err(value);
            assert!(message.starts_with("--redis-url: "), "{value}: {message}");
            assert!(message.contains(expected), "{value}: {message}");
            assert!(!message.contains("hunter2"), "{value}: {message}");
        }
        assert!(parse_err("redis://u:hunter2@h:1,ftp://x").contains("node 2 (`ftp://x`)"));
        assert!(parse_err("redis://u:hunter2@h:99999").contains("`redis://u:***@h:99999`"));
    }

    #[test]
    fn malformed_text_is_echoed_without_its_password() {
        assert_eq!(
            redact_userinfo("redis://u:p@ss@h:1/x"),
            "redis://u:***@h:1/x"
        );
        assert_eq!(redact_userinfo("redis://u@h:1"), "redis://u@h:1");
        assert_eq!(redact_userinfo("redis://h:1/a@b"), "redis://h:1/a@b");
        assert_eq!(redact_userinfo("no scheme:p@h"), "no scheme:p@h");
        assert_eq!(percent_decode("a%40b%zz%4"), "a@b%zz%4");
    }

    #[tokio::test]
    async fn connection_counts_outside_the_range_are_refused() {
        let target = Target::parse("redis://127.0.0.1:1").unwrap();
        for count in [0, MAX_CONNECTIONS + 1] {
            let Err(error) = connect(&target, count).await else {
                panic!("{count} connections accepted");
            };
            assert!(error.to_string().contains("`connections`"), "{error}");
        }
    }

    #[tokio::test]
    async fn a_refused_connection_is_an_error_without_the_password() {
        // Nothing listens on port 1.
        let target = Target::parse("redis://bob:topsecret@127.0.0.1:1").unwrap();
        let Err(error) = connect(&target, 1).await else {
            panic!("connected to port 1");
        };
        let message = error.to_string();
        assert!(
            message.contains("cannot connect to redis://bob:***@127.0.0.1:1"),
            "{message}"
        );
        assert!(!message.contains("topsecret"), "{message}");
    }
}
