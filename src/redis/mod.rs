//! The real-Redis face (feature `redis`, native only): connects the same strategies to a live
//! `redis-server`.

use redis::aio::ConnectionManager;

/// Opens a self-reconnecting connection to `url` (`redis://host:port/db`).
pub async fn connect(url: &str) -> redis::RedisResult<ConnectionManager> {
    let client = redis::Client::open(url)?;
    ConnectionManager::new(client).await
}

/// Sends `PING` and returns the server's answer (`"PONG"`).
pub async fn ping(conn: &mut ConnectionManager) -> redis::RedisResult<String> {
    redis::cmd("PING").query_async(conn).await
}
