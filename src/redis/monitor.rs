//! Monitoring a real Redis the way a service's metrics endpoint does: the server's own counters
//! (`INFO stats` and `INFO memory`, plus `DBSIZE`) as a typed [`ServerStats`], and a listing of
//! the keys under a pattern with each key's TTL and type ([`list_keys`]). [`delete_matching`]
//! walks the same way to clean up a run's keys.
//!
//! # Why `SCAN`, never `KEYS`
//! Redis runs commands one at a time. `KEYS pattern` walks the whole keyspace in one command, so on
//! a server holding millions of keys it blocks every other client — the very cache the listing is
//! meant to observe — for as long as the walk takes. `SCAN` walks the keyspace in small steps, one
//! cursor per call, and other clients' commands run between the steps. The price is that a key
//! created or deleted during the walk may or may not be listed, which is fine for monitoring. The
//! listing also stops once it has `limit` keys, so a pattern that matches everything cannot make
//! the answer (or the pipelined `PTTL`/`TYPE` that follow each step) unbounded.
//!
//! # Clusters
//! In a Redis Cluster each master holds only its own slots' keys and its own counters, so both
//! functions ask every master (found with `CLUSTER NODES`) in turn: [`server_stats`] sums the
//! counters, and [`list_keys`] and [`delete_matching`] scan each master's keyspace.

use redis::aio::ConnectionLike;
use redis::cluster_routing::{RoutingInfo, SingleNodeRoutingInfo};
use redis::{Cmd, FromRedisValue, Pipeline, Value};
use serde::Serialize;

use super::Connection;
use crate::error::{Error, Result};

/// The most keys one listing returns.
pub const MAX_LIST_LIMIT: u64 = 100_000;

/// How many keys `SCAN` is asked to look at per step: small enough that one step never blocks
/// the server noticeably, large enough that a listing takes few round trips.
const SCAN_STEP: u64 = 200;

/// A server's (or, for a cluster, all masters' summed) cache counters, as `INFO` reports them.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ServerStats {
    /// How many servers were asked (1, or the cluster's masters).
    pub nodes: u64,
    /// Reads that found their key (`keyspace_hits`).
    pub hits: u64,
    /// Reads that did not (`keyspace_misses`).
    pub misses: u64,
    /// `hits / (hits + misses)`, or `None` before the first read.
    pub hit_ratio: Option<f64>,
    /// Keys removed to stay under `maxmemory` (`evicted_keys`).
    pub evicted_keys: u64,
    /// Keys removed because their TTL ran out (`expired_keys`).
    pub expired_keys: u64,
    /// Bytes the server's allocator holds for data and overhead (`used_memory`).
    pub used_memory: u64,
    /// The memory limit (`maxmemory`, 0 when unlimited).
    pub max_memory: u64,
    /// Keys in the selected database (`DBSIZE`).
    pub keys: u64,
}

impl ServerStats {
    /// Reads the counters out of the text `INFO stats` and `INFO memory` answer (`field:value`
    /// lines under `# Section` headers); `keys` comes from `DBSIZE`. A missing field counts as 0,
    /// a field that is not a number is an error.
    ///
    /// ```
    /// use cachelab::redis::monitor::ServerStats;
    /// let info = "# Stats\r\nkeyspace_hits:3\r\nkeyspace_misses:1\r\nevicted_keys:0\r\n";
    /// let stats = ServerStats::from_info(info, 7).unwrap();
    /// assert_eq!((stats.hits, stats.misses, stats.keys), (3, 1, 7));
    /// assert_eq!(stats.hit_ratio, Some(0.75));
    /// ```
    pub fn from_info(info: &str, keys: u64) -> Result<ServerStats> {
        let mut stats = ServerStats {
            nodes: 1,
            keys,
            ..ServerStats::default()
        };
        for line in info.lines() {
            let Some((field, value)) = line.trim_end().split_once(':') else {
                continue;
            };
            let slot = match field {
                "keyspace_hits" => &mut stats.hits,
                "keyspace_misses" => &mut stats.misses,
                "evicted_keys" => &mut stats.evicted_keys,
                "expired_keys" => &mut stats.expired_keys,
                "used_memory" => &mut stats.used_memory,
                "maxmemory" => &mut stats.max_memory,
                _ => continue,
            };
            *slot = value.parse().map_err(|_| Error::Parse {
                what: "INFO reply".to_owned(),
                detail: format!("`{field}` is not a count: {value:?}"),
            })?;
        }
        stats.hit_ratio = hit_ratio(stats.hits, stats.misses);
        Ok(stats)
    }

    /// Adds another node's counters to these (the memory limit too: the cluster's total).
    fn add(&mut self, other: &ServerStats) {
        self.nodes += other.nodes;
        self.hits += other.hits;
        self.misses += other.misses;
        self.evicted_keys += other.evicted_keys;
        self.expired_keys += other.expired_keys;
        self.used_memory += other.used_memory;
        self.max_memory += other.max_memory;
        self.keys += other.keys;
        self.hit_ratio = hit_ratio(self.hits, self.misses);
    }
}

fn hit_ratio(hits: u64, misses: u64) -> Option<f64> {
    let reads = hits + misses;
    (reads > 0).then(|| hits as f64 / reads as f64)
}

/// One key of a listing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KeyInfo {
    /// The key (bytes that are not UTF-8 shown as `\u{FFFD}`).
    pub key: String,
    /// Its type as `TYPE` names it: string, hash, zset, list, set, stream.
    pub kind: String,
    /// Milliseconds until it expires, or `None` if it never does.
    pub ttl_ms: Option<u64>,
}

/// The keys a listing found, sorted, and whether it stopped at its limit.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct KeyListing {
    /// The keys, sorted by name.
    pub keys: Vec<KeyInfo>,
    /// Whether the scan stopped at the limit (more keys may match).
    pub truncated: bool,
}

/// One server to ask: the only one, or a cluster master by address.
pub(super) enum Node {
    Only,
    Master { host: String, port: u16 },
}

impl Node {
    /// Sends `cmd` to this node.
    pub(super) async fn query<T: FromRedisValue>(
        &self,
        conn: &mut Connection,
        cmd: Cmd,
    ) -> Result<T> {
        let value = match (self, conn) {
            (Node::Master { host, port }, Connection::Cluster(cluster)) => {
                let route = SingleNodeRoutingInfo::ByAddress {
                    host: host.clone(),
                    port: *port,
                };
                cluster
                    .route_command(cmd, RoutingInfo::SingleNode(route))
                    .await
            }
            (_, conn) => conn.req_packed_command(&cmd).await,
        }
        .map_err(|error| command_error(&error))?;
        redis::from_redis_value(value).map_err(|error| Error::Store {
            detail: format!("unexpected reply: {error}"),
        })
    }

    /// Sends `pipeline` to this node and returns its replies.
    async fn pipeline(&self, conn: &mut Connection, pipeline: Pipeline) -> Result<Vec<Value>> {
        let count = pipeline.len();
        match (self, conn) {
            (Node::Master { host, port }, Connection::Cluster(cluster)) => {
                let route = SingleNodeRoutingInfo::ByAddress {
                    host: host.clone(),
                    port: *port,
                };
                cluster.route_pipeline(pipeline, 0, count, route).await
            }
            (_, conn) => conn.req_packed_commands(&pipeline, 0, count).await,
        }
        .map_err(|error| command_error(&error))
    }
}

/// A failed command as a store error (command errors carry the server's reply, never the URL).
fn command_error(error: &redis::RedisError) -> Error {
    Error::Store {
        detail: error.to_string(),
    }
}

/// The servers to ask: the one server, or every master of the cluster.
pub(super) async fn nodes(conn: &mut Connection) -> Result<Vec<Node>> {
    let Connection::Cluster(cluster) = conn else {
        return Ok(vec![Node::Only]);
    };
    let listing = cluster
        .route_command(
            redis::cmd("CLUSTER").arg("NODES").clone(),
            RoutingInfo::SingleNode(SingleNodeRoutingInfo::RandomPrimary),
        )
        .await
        .map_err(|error| command_error(&error))?;
    let listing: String = redis::from_redis_value(listing).map_err(|error| Error::Store {
        detail: format!("unexpected CLUSTER NODES reply: {error}"),
    })?;
    let masters = masters_of(&listing);
    if masters.is_empty() {
        return Err(Error::Store {
            detail: "CLUSTER NODES lists no healthy master".to_owned(),
        });
    }
    Ok(masters
        .into_iter()
        .map(|(host, port)| Node::Master { host, port })
        .collect())
}

/// The healthy masters' addresses in a `CLUSTER NODES` listing, whose lines read
/// `id host:port@cport[,hostname] flags master-id ping pong epoch state slots...`.
fn masters_of(listing: &str) -> Vec<(String, u16)> {
    let mut masters: Vec<(String, u16)> = listing
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let address = fields.nth(1)?;
            let flags = fields.next()?;
            let flags: Vec<&str> = flags.split(',').collect();
            if !flags.contains(&"master") || flags.iter().any(|f| f.starts_with("fail")) {
                return None;
            }
            let host_port = address.split(['@', ',']).next()?;
            let (host, port) = host_port.rsplit_once(':')?;
            Some((host.to_owned(), port.parse().ok()?))
        })
        .collect();
    masters.sort();
    masters
}

/// The server's counters: `INFO stats`, `INFO memory` and `DBSIZE` from the one server, or summed
/// over every master of a cluster.
pub async fn server_stats(conn: &mut Connection) -> Result<ServerStats> {
    let mut total = ServerStats::default();
    for node in nodes(conn).await? {
        let stats: String = node
            .query(conn, redis::cmd("INFO").arg("stats").clone())
            .await?;
        let memory: String = node
            .query(conn, redis::cmd("INFO").arg("memory").clone())
            .await?;
        let keys: u64 = node.query(conn, redis::cmd("DBSIZE")).await?;
        total.add(&ServerStats::from_info(
            &format!("{stats}\n{memory}"),
            keys,
        )?);
    }
    Ok(total)
}

/// Lists up to `limit` keys (1 to [`MAX_LIST_LIMIT`]) matching the glob `pattern` (`*` for all),
/// with each key's type and TTL, walking the keyspace with `SCAN` (on every master of a cluster) and
/// asking `TYPE` and `PTTL` for each step's keys in one pipelined round trip. A key that expires
/// between the two is left out.
pub async fn list_keys(conn: &mut Connection, pattern: &str, limit: u64) -> Result<KeyListing> {
    Error::check_range("limit", limit as f64, 1.0, MAX_LIST_LIMIT as f64, "keys")?;
    let mut listing = KeyListing::default();
    'nodes: for node in nodes(conn).await? {
        let mut cursor = 0u64;
        loop {
            let (next, keys) = scan_step(conn, &node, cursor, pattern).await?;
            let room = (limit - listing.keys.len() as u64) as usize;
            let taken = keys.len().min(room);
            listing
                .keys
                .extend(describe(conn, &node, &keys[..taken]).await?);
            if taken < keys.len() {
                listing.truncated = true;
                break 'nodes;
            }
            if next == 0 {
                break;
            }
            if listing.keys.len() as u64 >= limit {
                listing.truncated = true;
                break 'nodes;
            }
            cursor = next;
        }
    }
    listing.keys.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(listing)
}

/// Deletes every key matching the glob `pattern` (on every master of a cluster) and returns how
/// many went: the clean-up after a run whose keys share a prefix. Walks with `SCAN` and deletes each
/// step's keys with one pipelined round of `UNLINK` (which frees the memory in the background), so
/// the server is never blocked by one big command.
pub async fn delete_matching(conn: &mut Connection, pattern: &str) -> Result<u64> {
    let mut deleted = 0;
    for node in nodes(conn).await? {
        let mut cursor = 0u64;
        loop {
            let (next, keys) = scan_step(conn, &node, cursor, pattern).await?;
            if !keys.is_empty() {
                let mut pipeline = redis::pipe();
                for key in &keys {
                    // One key per command: keys of different slots may not share one.
                    pipeline.cmd("UNLINK").arg(key);
                }
                for reply in node.pipeline(conn, pipeline).await? {
                    deleted +=
                        redis::from_redis_value::<u64>(reply).map_err(|error| Error::Store {
                            detail: format!("unexpected UNLINK reply: {error}"),
                        })?;
                }
            }
            if next == 0 {
                break;
            }
            cursor = next;
        }
    }
    Ok(deleted)
}

/// One `SCAN` step on `node` from `cursor`: the next cursor (0 when the walk is over) and the
/// step's keys matching `pattern`.
async fn scan_step(
    conn: &mut Connection,
    node: &Node,
    cursor: u64,
    pattern: &str,
) -> Result<(u64, Vec<Vec<u8>>)> {
    let scan = redis::cmd("SCAN")
        .arg(cursor)
        .arg("MATCH")
        .arg(pattern)
        .arg("COUNT")
        .arg(SCAN_STEP)
        .clone();
    node.query(conn, scan).await
}

/// `TYPE` and `PTTL` of `keys`, pipelined on `node`; keys gone meanwhile are left out.
async fn describe(conn: &mut Connection, node: &Node, keys: &[Vec<u8>]) -> Result<Vec<KeyInfo>> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let mut pipeline = redis::pipe();
    for key in keys {
        pipeline.cmd("TYPE").arg(key).cmd("PTTL").arg(key);
    }
    let replies = node.pipeline(conn, pipeline).await?;
    let mut described = Vec::with_capacity(keys.len());
    for (key, pair) in keys.iter().zip(replies.chunks(2)) {
        let [kind, ttl] = pair else {
            return Err(Error::Store {
                detail: "a pipelined TYPE/PTTL reply is missing".to_owned(),
            });
        };
        let kind: String = redis::from_redis_value_ref(kind).map_err(|error| Error::Store {
            detail: format!("unexpected TYPE reply: {error}"),
        })?;
        let ttl: i64 = redis::from_redis_value_ref(ttl).map_err(|error| Error::Store {
            detail: format!("unexpected PTTL reply: {error}"),
        })?;
        // PTTL: -2 the key is gone, -1 it has no expiry.
        if ttl == -2 || kind == "none" {
            continue;
        }
        described.push(KeyInfo {
            key: String::from_utf8_lossy(key).into_owned(),
            kind,
            ttl_ms: u64::try_from(ttl).ok(),
        });
    }
    Ok(described)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_fields_are_read_and_a_bad_one_named() {
        let info = "# Stats\r\nkeyspace_hits:10\r\nkeyspace_misses:30\r\nexpired_keys:4\r\n\
                    evicted_keys:2\r\n# Memory\r\nused_memory:1048576\r\nmaxmemory:0\r\n\
                    used_memory_human:1.00M\r\n";
        let stats = ServerStats::from_info(info, 5).unwrap();
        assert_eq!(
            stats,
            ServerStats {
                nodes: 1,
                hits: 10,
                misses: 30,
                hit_ratio: Some(0.25),
                evicted_keys: 2,
                expired_keys: 4,
                used_memory: 1_048_576,
                max_memory: 0,
                keys: 5,
            }
        );
        assert_eq!(ServerStats::from_info("", 0).unwrap().hit_ratio, None);
        let error = ServerStats::from_info("keyspace_hits:lots", 0).unwrap_err();
        assert!(error.to_string().contains("`keyspace_hits`"), "{error}");
    }

    #[test]
    fn cluster_totals_add_up() {
        let mut total = ServerStats::from_info("keyspace_hits:1\nkeyspace_misses:1", 2).unwrap();
        total.add(&ServerStats::from_info("keyspace_hits:2\nkeyspace_misses:0", 3).unwrap());
        assert_eq!(
            (total.nodes, total.hits, total.misses, total.keys),
            (2, 3, 1, 5)
        );
        assert_eq!(total.hit_ratio, Some(0.75));
    }

    #[test]
    fn only_healthy_masters_are_scanned() {
        let listing = "\
a1 127.0.0.1:7001@17001 myself,master - 0 0 1 connected 0-5460
b2 127.0.0.1:7002@17002,node-b master - 0 0 2 connected 5461-10922
c3 127.0.0.1:7003@17003 slave b2 0 0 2 connected
d4 127.0.0.1:7004@17004 master,fail - 0 0 3 disconnected
e5 ::1:7005@17005 master - 0 0 4 connected 10923-16383
";
        assert_eq!(
            masters_of(listing),
            [
                ("127.0.0.1".to_owned(), 7001),
                ("127.0.0.1".to_owned(), 7002),
                ("::1".to_owned(), 7005)
            ]
        );
    }
}
