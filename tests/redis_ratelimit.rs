//! The Redis-backed rate limiters (`cachelab::redis::ratelimit`) against a real `redis-server`:
//! the same decisions as the model's limiters on a scripted sequence, and the fail mode while the
//! server is down, then recovery when it returns.
#![cfg(feature = "redis")]

#[path = "support/model_store.rs"]
mod model_store;
#[path = "support/redis_env.rs"]
mod redis_env;

use cachelab::ratelimit::{
    decide, Decision, FailMode, Limiter, OutageCounts, Quota, Rule, Scope, SlidingLog, TokenBucket,
};
use cachelab::redis::ratelimit::{unix_time, Algorithm, RedisRateLimiter};
use cachelab::redis::{connect, Connection, Target};
use cachelab::sim::SimTime;
use model_store::ModelStore;
use std::time::{Duration, Instant};

/// 400 requests from three subjects, `(time, subject)`, with irregular gaps of 0 to 0.6 s (some
/// at the same instant), so that windows fill, slide and empty. Times are scripted: the real run
/// takes well under a second, far less than any expiry the scripts set, so the server's own clock
/// never removes a key the model still has.
fn scripted_requests() -> Vec<(SimTime, &'static str)> {
    let subjects = ["alice", "bob", "10.0.0.1"];
    let mut now_ms = 1_000_000u64;
    (0..400u64)
        .map(|i| {
            now_ms += (i * 7_919 + 13) % 600 * u64::from(i % 5 != 0);
            (
                SimTime(now_ms * 1_000),
                subjects[((i * i + i / 7) % 3) as usize],
            )
        })
        .collect()
}

/// Runs the scripted requests through the model limiter and the Redis one; returns how many
/// were admitted, failing at the first request where the two disagree.
async fn same_decisions(conn: &Connection, model: &mut dyn Limiter, algorithm: Algorithm) -> usize {
    let rule = Rule::new(Scope::User, &redis_env::unique_name("limits"));
    let live = RedisRateLimiter::new(conn.clone(), rule.clone(), algorithm, FailMode::Closed);
    let l2 = ModelStore::new();
    let mut admitted = 0;
    for (index, (now, subject)) in scripted_requests().into_iter().enumerate() {
        let key = rule.key(subject);
        let expected = l2
            .run(now, decide(&mut *model, &l2.store, now, &key))
            .unwrap();
        let got = live.try_check(now, subject).await.expect("Redis answers");
        assert_eq!(got, expected, "request {index} by {subject} at {now:?}");
        admitted += usize::from(got.allowed);
    }
    assert_eq!(live.outages(), OutageCounts::default());
    admitted
}

async fn connect_to(url: &str) -> Connection {
    let target: Target = url.parse().expect("a valid redis URL");
    connect(&target, 2).await.expect("connect to redis-server")
}

#[tokio::test]
async fn the_sliding_log_script_decides_as_the_model() {
    let Some(url) = redis_env::redis_url() else {
        return;
    };
    let conn = connect_to(&url).await;
    let quota = Quota::new(3, 2_000).unwrap();
    let admitted = same_decisions(
        &conn,
        &mut SlidingLog::new(quota),
        Algorithm::SlidingLog(quota),
    )
    .await;
    assert_eq!(admitted, 248);
}

#[tokio::test]
async fn the_token_bucket_script_decides_as_the_model() {
    let Some(url) = redis_env::redis_url() else {
        return;
    };
    let conn = connect_to(&url).await;
    let bucket = TokenBucket::new(3, 1_000).unwrap();
    let admitted = same_decisions(&conn, &mut bucket.clone(), Algorithm::TokenBucket(bucket)).await;
    assert_eq!(admitted, 263);
}

#[tokio::test]
async fn outages_follow_the_fail_mode_and_end_when_the_server_returns() {
    if redis_env::redis_url().is_none() {
        return;
    }
    let mut server = redis_env::OwnServer::start();
    let conn = connect_to(&server.url()).await;
    let quota = Quota::new(3, 60_000).unwrap();
    let limiter = |fail_mode| {
        RedisRateLimiter::new(
            conn.clone(),
            Rule::new(Scope::Ip, &format!("writes-{fail_mode:?}")),
            Algorithm::SlidingLog(quota),
            fail_mode,
        )
    };
    let (open, closed) = (limiter(FailMode::Open), limiter(FailMode::Closed));
    let admitted = |decisions: &[Decision]| decisions.iter().filter(|d| d.allowed).count();

    let mut before = (Vec::new(), Vec::new());
    for _ in 0..4 {
        before.0.push(open.check(unix_time(), "10.0.0.7").await);
        before.1.push(closed.check(unix_time(), "10.0.0.7").await);
    }
    assert_eq!((admitted(&before.0), admitted(&before.1)), (3, 3));

    server.kill();
    let started = Instant::now();
    let mut during = (Vec::new(), Vec::new());
    for _ in 0..5 {
        during.0.push(open.check(unix_time(), "10.0.0.7").await);
        during.1.push(closed.check(unix_time(), "10.0.0.7").await);
    }
    // Fail open admits everything (even past the quota), fail closed nothing; all are counted.
    assert_eq!((admitted(&during.0), admitted(&during.1)), (5, 0));
    assert_eq!(
        open.outages(),
        OutageCounts {
            allowed: 5,
            denied: 0
        }
    );
    assert_eq!(
        closed.outages(),
        OutageCounts {
            allowed: 0,
            denied: 5
        }
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "deciding without the server took {:?}",
        started.elapsed()
    );

    server.restart();
    let deadline = Instant::now() + Duration::from_secs(10);
    while open.try_check(unix_time(), "probe").await.is_err() {
        assert!(Instant::now() < deadline, "no reconnection within 10 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The restarted server is empty: Redis decides again, from a fresh log.
    let after = closed.check(unix_time(), "10.0.0.7").await;
    assert_eq!((after.allowed, after.remaining), (true, 2));
    assert_eq!(
        closed.outages(),
        OutageCounts {
            allowed: 0,
            denied: 5
        }
    );
}
