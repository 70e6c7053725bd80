//! A Redis Cluster of three masters (`scripts/redis-cluster.sh`, which `make test` starts and
//! passes in `CACHELAB_REDIS_CLUSTER_URLS`): the cluster connection routes keys of every slot,
//! hash-tagged keys share a slot (so one script may touch both), the monitor and the clean-up
//! reach every master, and the rate-limit scripts run unchanged.
#![cfg(feature = "redis")]

#[path = "support/redis_env.rs"]
mod redis_env;

use cachelab::ratelimit::{FailMode, Rule, Scope, TokenBucket};
use cachelab::redis::monitor::{delete_matching, list_keys, server_stats};
use cachelab::redis::ratelimit::{Algorithm, RedisRateLimiter};
use cachelab::redis::{connect, Connection, Target};
use cachelab::sim::SimTime;
use redis::AsyncCommands;

/// How `redis-cli --cluster create` splits the 16384 slots over three masters.
const FIRST_SLOT_OF_MASTER: [u16; 3] = [0, 5461, 10923];

async fn cluster() -> Option<Connection> {
    let urls = redis_env::cluster_urls()?;
    let target: Target = urls.parse().expect("valid CACHELAB_REDIS_CLUSTER_URLS");
    assert!(target.is_cluster(), "{target}");
    Some(connect(&target, 1).await.expect("connect to the cluster"))
}

async fn slot_of(conn: &mut Connection, key: &str) -> u16 {
    redis::cmd("CLUSTER")
        .arg("KEYSLOT")
        .arg(key)
        .query_async(conn)
        .await
        .expect("CLUSTER KEYSLOT")
}

/// Which master (0, 1 or 2) serves `slot`.
fn master_of(slot: u16) -> usize {
    FIRST_SLOT_OF_MASTER
        .iter()
        .rposition(|&first| slot >= first)
        .unwrap()
}

#[tokio::test]
async fn keys_of_every_slot_are_written_read_and_listed_from_all_masters() {
    let Some(mut conn) = cluster().await else {
        return;
    };
    let prefix = redis_env::unique_name("cluster");
    let keys: Vec<String> = (0..30).map(|i| format!("{prefix}:{i}")).collect();
    let mut masters_used = [0u32; 3];
    for (i, key) in keys.iter().enumerate() {
        let () = conn.set(key, i).await.unwrap();
        masters_used[master_of(slot_of(&mut conn, key).await)] += 1;
    }
    assert!(masters_used.iter().all(|&n| n > 0), "{masters_used:?}");
    for (i, key) in keys.iter().enumerate() {
        let value: usize = conn.get(key).await.unwrap();
        assert_eq!(value, i);
    }

    let stats = server_stats(&mut conn).await.unwrap();
    assert_eq!(stats.nodes, 3);
    assert!(stats.keys >= 30, "{stats:?}");
    let listing = list_keys(&mut conn, &format!("{prefix}:*"), 1_000)
        .await
        .unwrap();
    assert!(!listing.truncated);
    let mut expected = keys.clone();
    expected.sort();
    let listed: Vec<String> = listing.keys.into_iter().map(|k| k.key).collect();
    assert_eq!(listed, expected);
    // The limit holds across masters too.
    let some = list_keys(&mut conn, &format!("{prefix}:*"), 12)
        .await
        .unwrap();
    assert_eq!((some.keys.len(), some.truncated), (12, true));

    // Clean-up by pattern reaches every master too.
    assert_eq!(
        delete_matching(&mut conn, &format!("{prefix}:*"))
            .await
            .unwrap(),
        30
    );
    let left = list_keys(&mut conn, &format!("{prefix}:*"), 1_000)
        .await
        .unwrap();
    assert!(left.keys.is_empty());
}

#[tokio::test]
async fn hash_tagged_keys_share_a_slot_so_one_script_may_use_both() {
    let Some(mut conn) = cluster().await else {
        return;
    };
    let id = redis_env::unique_name("order");
    let (lock, value) = (format!("x{{{id}}}"), format!("y{{{id}}}"));
    assert_eq!(
        slot_of(&mut conn, &lock).await,
        slot_of(&mut conn, &value).await
    );

    // Set the value only if the lock is ours: two keys in one atomic script.
    let guarded_set = redis::Script::new(
        "if redis.call('GET', KEYS[1]) == ARGV[1] then \
           return redis.call('SET', KEYS[2], ARGV[2]) end return false",
    );
    let () = conn.set(&lock, "me").await.unwrap();
    let reply: Option<String> = guarded_set
        .key(&lock)
        .key(&value)
        .arg("me")
        .arg("42")
        .invoke_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(reply.as_deref(), Some("OK"));
    let stored: String = conn.get(&value).await.unwrap();
    assert_eq!(stored, "42");

    // Without the tag the two keys hash apart, and the same script is refused (CROSSSLOT: by the
    // cluster client already, as the server would).
    let (bare_lock, bare_value) = (format!("x:{id}"), format!("y:{id}"));
    assert_ne!(
        slot_of(&mut conn, &bare_lock).await,
        slot_of(&mut conn, &bare_value).await
    );
    let refused = guarded_set
        .key(&bare_lock)
        .key(&bare_value)
        .arg("me")
        .arg("42")
        .invoke_async::<Option<String>>(&mut conn)
        .await
        .unwrap_err();
    assert!(
        refused.to_string().to_lowercase().contains("crossslot"),
        "{refused}"
    );

    for key in [&lock, &value] {
        let _: u64 = conn.del(key).await.unwrap();
    }
}

#[tokio::test]
async fn rate_limit_scripts_run_on_the_cluster() {
    let Some(conn) = cluster().await else {
        return;
    };
    let endpoint = redis_env::unique_name("writes");
    let limiter = RedisRateLimiter::new(
        conn,
        Rule::new(Scope::User, &endpoint),
        Algorithm::TokenBucket(TokenBucket::new(3, 60_000).unwrap()),
        FailMode::Closed,
    );
    // Several subjects, so that their keys land on different masters.
    for subject in ["a", "b", "c", "d", "e", "f"] {
        let mut admitted = 0;
        for _ in 0..5 {
            let decision = limiter
                .try_check(SimTime(1_000_000), subject)
                .await
                .unwrap();
            admitted += u32::from(decision.allowed);
        }
        assert_eq!(admitted, 3, "subject {subject}");
    }
}
