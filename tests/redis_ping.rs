//! The `redis` feature reaches a real server: `make test` starts `redis-server` on a free loopback
//! port and passes its URL in `CACHELAB_REDIS_URL`.
#![cfg(feature = "redis")]

#[path = "support/redis_env.rs"]
mod redis_env;

#[tokio::test]
async fn the_server_answers_ping() {
    let Some(url) = redis_env::redis_url() else {
        return;
    };
    let target: cachelab::redis::Target = url.parse().expect("a valid CACHELAB_REDIS_URL");
    let mut conn = cachelab::redis::connect(&target, 2)
        .await
        .expect("connect to redis-server");
    // Twice, so that both pooled connections answer.
    for _ in 0..2 {
        assert_eq!(cachelab::redis::ping(&mut conn).await.unwrap(), "PONG");
    }
}
