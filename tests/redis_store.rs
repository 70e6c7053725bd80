//! The one shared-cache interface on a real Redis (`RedisStore`) against the L2 model (`SimL2`):
//! the same commands, pipelines and scripts (the four rate limiters' steps, set-if-newer, the
//! admin reset) and the tags built on them answer the same — on one `redis-server` and on the
//! three-master cluster, where a pipeline spans slots and a script's keys share one.
#![cfg(feature = "redis")]

#[path = "support/model_store.rs"]
mod model_store;
#[path = "support/redis_env.rs"]
mod redis_env;

use cachelab::manager::Tags;
use cachelab::ratelimit::{
    decide, reset_subject, FixedWindow, Limiter, Quota, Rule, Scope, SlidingCounter, SlidingLog,
    TokenBucket,
};
use cachelab::redis::monitor::delete_matching;
use cachelab::redis::{connect, Connection, RedisStore, Target};
use cachelab::sim::{SimDuration, SimTime};
use cachelab::strategy::{
    CachedEntry, Cmd, ExtendIfOwner, ReleaseAny, ReleaseIfOwner, Released, SetIfNewer, SetWhen,
    Slot, Store, TokenLock,
};
use cachelab::tiers::l2::Reply;
use model_store::ModelStore;

/// A store on one server or on the cluster, under a prefix of its own, and its connection.
async fn store(url: &str, cluster: bool, what: &str) -> (RedisStore<Connection>, Connection) {
    let target: Target = url.parse().expect("a valid redis URL");
    let conn = connect(&target, 1).await.expect("connect");
    let prefix = format!("{}:", redis_env::unique_name(what));
    let store = RedisStore::new(conn.clone(), prefix)
        .expect("a valid prefix")
        .on_cluster(cluster);
    (store, conn)
}

/// Runs every check on `store`, then deletes its keys.
async fn check_everything(store: RedisStore<Connection>, mut conn: Connection) {
    commands_answer_as_the_model(&store).await;
    for name in ["fixed", "log", "counter", "bucket"] {
        limiter_steps_decide_as_the_model(&store, name).await;
    }
    set_if_newer_answers_as_the_model(&store).await;
    lock_scripts_answer_as_the_model(&store).await;
    tags_flush_and_prune_as_the_model(&store).await;
    the_reset_deletes_what_the_model_deletes(&store).await;
    let left = delete_matching(&mut conn, &format!("{}*", store.prefix()))
        .await
        .expect("clean up");
    assert!(left > 0, "the checks wrote keys under the prefix");
}

#[tokio::test]
async fn on_one_server() {
    let Some(url) = redis_env::redis_url() else {
        return;
    };
    let (store, conn) = store(&url, false, "store").await;
    check_everything(store, conn).await;
}

#[tokio::test]
async fn on_the_cluster() {
    let Some(urls) = redis_env::cluster_urls() else {
        return;
    };
    let (store, conn) = store(&urls, true, "store-cluster").await;
    check_everything(store, conn).await;
}

const T0: SimTime = SimTime(0);

async fn commands_answer_as_the_model(redis: &RedisStore<Connection>) {
    let model = ModelStore::new();
    let secs = SimDuration::from_secs;
    let set = |key, value, ttl, when| Cmd::Set {
        key,
        value,
        ttl,
        when,
    };
    let abc: &[&[u8]] = &[b"a", b"b", b"c"];
    let ad: &[&[u8]] = &[b"a", b"d"];
    let bz: &[&[u8]] = &[b"b", b"zz"];
    let x: &[&[u8]] = &[b"x"];
    let fields: &[(&[u8], &[u8])] = &[(b"tokens", b"3"), (b"ts", b"100")];
    let cmds = [
        set(b"str", b"v", Some(secs(60)), SetWhen::Always),
        set(b"str", b"w", None, SetWhen::Absent),
        set(b"str", b"x", Some(secs(60)), SetWhen::Present),
        set(b"nope", b"x", None, SetWhen::Present),
        Cmd::Get(b"str"),
        Cmd::Get(b"nope"),
        Cmd::Exists(b"str"),
        Cmd::Exists(b"nope"),
        Cmd::IncrBy(b"c", 5),
        Cmd::IncrBy(b"c", -2),
        Cmd::IncrBy(b"str", 1),
        Cmd::SAdd(b"s", abc),
        Cmd::SAdd(b"s", ad),
        Cmd::SRem(b"s", bz),
        Cmd::SMembers(b"s"),
        Cmd::SCard(b"s"),
        Cmd::SAdd(b"c", x),
        Cmd::ZAdd {
            key: b"z",
            score: 5,
            member: b"a",
        },
        Cmd::ZAdd {
            key: b"z",
            score: 9,
            member: b"b",
        },
        Cmd::ZAdd {
            key: b"z",
            score: 7,
            member: b"c",
        },
        Cmd::ZCard(b"z"),
        Cmd::ZLast(b"z"),
        Cmd::ZRemUpTo(b"z", 7),
        Cmd::ZLast(b"z"),
        Cmd::ZLast(b"nope"),
        Cmd::HSet(b"h", fields),
        Cmd::HGet(b"h", b"tokens"),
        Cmd::HGet(b"h", b"nope"),
        Cmd::Expire(b"s", secs(10)),
        Cmd::Ttl(b"s"),
        Cmd::Persist(b"s"),
        Cmd::Ttl(b"s"),
        Cmd::Ttl(b"nope"),
        Cmd::Del(b"str"),
        Cmd::Del(b"str"),
    ];
    let expected = model.run(T0, model.store.pipeline(&cmds)).unwrap();
    let got = redis.pipeline(&cmds).await.expect("Redis answers");
    assert_eq!(got.len(), cmds.len());
    for ((cmd, want), got) in cmds.iter().zip(&expected).zip(&got) {
        match (want, got) {
            (Reply::Error(_), got) => assert!(got.is_error(), "{cmd:?}: {got:?}"),
            // PTTL: the model's microseconds, Redis's milliseconds (and a few passing).
            (Reply::Int(want), Reply::Int(got)) if matches!(cmd, Cmd::Ttl(_)) && *want > 0 => {
                assert!(want - got < 50_000 && got <= want, "{cmd:?}: {want} {got}")
            }
            (want, got) => assert_eq!(want, got, "{cmd:?}"),
        }
    }
    // The typed methods over the same commands.
    assert_eq!(redis.smembers(b"s").await.unwrap(), [b"a", b"c", b"d"]);
    assert_eq!(redis.incr_by(b"c", 1).await.unwrap(), 4);
    assert!(redis.ttl(b"s").await.unwrap().is_none());
}

/// 300 requests from three subjects with irregular gaps (see `redis_ratelimit.rs`: the real run
/// is far shorter than any expiry the steps set, so Redis's own clock removes nothing).
fn scripted_requests() -> Vec<(SimTime, &'static str)> {
    let subjects = ["alice", "bob", "10.0.0.1"];
    let mut now_ms = 1_000_000u64;
    (0..300u64)
        .map(|i| {
            now_ms += (i * 7_919 + 13) % 600 * u64::from(i % 5 != 0);
            let subject = subjects[((i * i + i / 7) % 3) as usize];
            (SimTime(now_ms * 1_000), subject)
        })
        .collect()
}

fn limiter(name: &str) -> Box<dyn Limiter> {
    let quota = Quota::new(3, 2_000).unwrap();
    match name {
        "fixed" => Box::new(FixedWindow::new(quota)),
        "log" => Box::new(SlidingLog::new(quota)),
        "counter" => Box::new(SlidingCounter::new(quota)),
        "bucket" => Box::new(TokenBucket::new(3, 1_000).unwrap()),
        other => panic!("no limiter {other}"),
    }
}

async fn limiter_steps_decide_as_the_model(redis: &RedisStore<Connection>, name: &str) {
    let model = ModelStore::new();
    let (mut on_model, mut on_redis) = (limiter(name), limiter(name));
    let rule = Rule::new(Scope::User, name);
    let mut admitted = 0;
    for (index, (now, subject)) in scripted_requests().into_iter().enumerate() {
        let key = rule.key(subject);
        let want = model.run(now, decide(&mut *on_model, &model.store, now, &key));
        let got = decide(&mut *on_redis, redis, now, &key).await;
        let want = want.unwrap();
        assert_eq!(got.expect("Redis answers"), want, "{name}: request {index}");
        admitted += usize::from(want.allowed);
    }
    assert!((30..290).contains(&admitted), "{name}: {admitted}");
}

/// The lock-safety scenario's release and renewal scripts: whose lock each finds and what it
/// leaves, step for step as on the model.
async fn lock_scripts_answer_as_the_model(redis: &RedisStore<Connection>) {
    let model = ModelStore::new();
    let (a, b) = (1u64.to_be_bytes(), 2u64.to_be_bytes());
    let lock = TokenLock::key(7);
    let ttl = Some(SimDuration::from_secs(30));
    #[derive(Debug)]
    enum Step {
        Take([u8; 8]),
        Any([u8; 8]),
        IfOwner([u8; 8]),
        Extend([u8; 8]),
    }
    let steps = [
        Step::Take(a),
        Step::IfOwner(b),
        Step::Extend(b),
        Step::Extend(a),
        Step::Any(b),
        Step::Any(a),
        Step::Take(a),
        Step::Take(b),
        Step::IfOwner(a),
        Step::IfOwner(a),
        Step::Extend(a),
    ];
    for (i, step) in steps.iter().enumerate() {
        let (want, got) = match *step {
            Step::Take(t) => (
                format!("{:?}", model.run(T0, model.store.set_nx(&lock, &t, ttl))),
                format!("{:?}", redis.set_nx(&lock, &t, ttl).await),
            ),
            Step::Any(t) => (
                format!(
                    "{:?}",
                    model.run(T0, ReleaseAny::new(7, t).eval_on(&model.store))
                ),
                format!("{:?}", ReleaseAny::new(7, t).eval_on(redis).await),
            ),
            Step::IfOwner(t) => (
                format!(
                    "{:?}",
                    model.run(T0, ReleaseIfOwner::new(7, t).eval_on(&model.store))
                ),
                format!("{:?}", ReleaseIfOwner::new(7, t).eval_on(redis).await),
            ),
            Step::Extend(t) => {
                let extend = ExtendIfOwner::new(7, t, SimDuration::from_secs(60));
                (
                    format!("{:?}", model.run(T0, model.store.eval(&extend))),
                    format!("{:?}", redis.eval(&extend).await),
                )
            }
        };
        assert_eq!(got, want, "step {i}: {step:?}");
    }
    let ours = model.run(T0, ReleaseIfOwner::new(7, a).eval_on(&model.store));
    assert_eq!(ours.unwrap(), Released::Absent);
}

async fn set_if_newer_answers_as_the_model(redis: &RedisStore<Connection>) {
    let model = ModelStore::new();
    let entry = |v| {
        Slot::Entry(CachedEntry {
            version: Some(v),
            fresh_until: SimTime(77),
            load_time: SimDuration(5),
        })
    };
    let missing = Slot::Entry(CachedEntry {
        version: None,
        fresh_until: SimTime(1),
        load_time: SimDuration(1),
    });
    let steps = [
        entry(1),
        Slot::Marker(3),
        entry(2),
        Slot::Marker(3),
        entry(3),
        entry(3),
        Slot::Marker(2),
        Slot::Marker(4),
        missing,
        entry(5),
    ];
    for (i, slot) in steps.into_iter().enumerate() {
        let step = SetIfNewer {
            key: b"versioned",
            slot,
            ttl: Some(SimDuration::from_secs(30)),
        };
        let want = model.run(T0, step.run_on(&model.store)).unwrap();
        let got = step.run_on(redis).await.expect("Redis answers");
        assert_eq!(got, want, "step {i}: {slot:?}");
        let held = model.run(T0, model.store.get(b"versioned")).unwrap();
        assert_eq!(redis.get(b"versioned").await.unwrap(), held, "step {i}");
    }
    // Bytes that are no slot count as absent.
    redis.set(b"versioned", b"junk", None).await.unwrap();
    let step = SetIfNewer {
        key: b"versioned",
        slot: Slot::Marker(1),
        ttl: None,
    };
    assert!(step.run_on(redis).await.unwrap());
}

async fn tags_flush_and_prune_as_the_model(redis: &RedisStore<Connection>) {
    let model = ModelStore::new();
    let tags = Tags::new("shop");
    let ttl = Some(SimDuration::from_secs(60));
    // Forty keys over three tags, so that the product tags pass the pruning floor.
    let mut seen = Vec::new();
    for i in 0..40u32 {
        let key = format!("page:{i}");
        let names = [format!("product:{}", i % 2), "catalog".to_string()];
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let (key, html) = (key.as_bytes(), b"html");
        model
            .run(T0, tags.set(&model.store, key, html, ttl, &names))
            .unwrap();
        let on_redis = tags.set(redis, key, html, ttl, &names).await;
        on_redis.expect("Redis answers");
        if i % 3 == 0 {
            // A page that goes away on its own (evicted, say): its tags still name it.
            model.run(T0, model.store.del(key)).unwrap();
            redis.del(key).await.unwrap();
        }
    }
    for tag in ["product:0", "product:1", "catalog"] {
        let members = model.run(T0, tags.members(&model.store, tag)).unwrap();
        assert_eq!(tags.members(redis, tag).await.unwrap(), members, "{tag}");
    }
    let pruned = model.run(T0, tags.prune(&model.store, "catalog")).unwrap();
    assert_eq!(tags.prune(redis, "catalog").await.unwrap(), pruned);
    seen.push(pruned);
    let flushed = model
        .run(T0, tags.invalidate_tag(&model.store, "product:0"))
        .unwrap();
    assert_eq!(
        tags.invalidate_tag(redis, "product:0").await.unwrap(),
        flushed
    );
    seen.push(flushed);
    // The adds pruned the catalogue once already (at 33 members); the product tags never grew
    // past the floor.
    assert_eq!(seen, [3, 13]);
    assert!(!redis.exists(b"page:2").await.unwrap());
    assert!(redis.exists(b"page:1").await.unwrap());
}

async fn the_reset_deletes_what_the_model_deletes(redis: &RedisStore<Connection>) {
    let model = ModelStore::new();
    let now = SimTime(5_000_000);
    for id in ["42", "43", "4*"] {
        for (endpoint, algorithm) in [("reads", "log"), ("writes", "counter")] {
            let key = Rule::new(Scope::User, endpoint).key(id);
            let (mut on_model, mut on_redis) = (limiter(algorithm), limiter(algorithm));
            model
                .run(now, decide(&mut *on_model, &model.store, now, &key))
                .unwrap();
            decide(&mut *on_redis, redis, now, &key).await.unwrap();
        }
    }
    for (scope, id, want) in [
        (Scope::User, "4*", 2),
        (Scope::Ip, "42", 0),
        (Scope::User, "42", 2),
    ] {
        let on_model = model
            .run(now, reset_subject(&model.store, scope, id))
            .unwrap();
        assert_eq!(on_model, want, "{id}");
        assert_eq!(reset_subject(redis, scope, id).await.unwrap(), want, "{id}");
    }
}
