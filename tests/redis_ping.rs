//! The `redis` feature reaches a real server: `make test` starts `redis-server` on a free loopback
//! port and passes its URL in `CACHELAB_REDIS_URL`.
#![cfg(feature = "redis")]

/// The server's URL, or `None` (with a note) when no server was provided.
fn redis_url() -> Option<String> {
    let url = std::env::var("CACHELAB_REDIS_URL").ok();
    if url.is_none() {
        eprintln!("skipped: set CACHELAB_REDIS_URL (make test does) to run the redis suites");
    }
    url
}

#[tokio::test]
async fn the_server_answers_ping() {
    let Some(url) = redis_url() else { return };
    let mut conn = cachelab::redis::connect(&url)
        .await
        .expect("connect to redis-server");
    assert_eq!(cachelab::redis::ping(&mut conn).await.unwrap(), "PONG");
}
