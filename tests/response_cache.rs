//! Scenario `response-cache`: the right rules serve no wrong answer, each pitfall does, and
//! normalising the query is what makes the hit ratio. Checked at seeds 1 and 2.

use cachelab::scenario::{run, run_only, Report, ResponseCacheReport};

const SEEDS: [u64; 2] = [1, 2];

fn cache<'a>(r: &'a Report, name: &str) -> &'a ResponseCacheReport {
    r.variant(name)
        .unwrap()
        .section::<ResponseCacheReport>()
        .unwrap()
}

#[test]
fn the_correct_rules_never_serve_a_wrong_response() {
    for seed in SEEDS {
        let r = run("response-cache", &[], seed).unwrap();
        let c = cache(&r, "correct");
        println!("seed {seed}: correct {c:?}");
        assert_eq!(c.wrong_responses, 0);
        assert_eq!(
            (
                c.skipped_posts,
                c.stale_errors,
                c.other_users_data,
                c.stale_data
            ),
            (0, 0, 0, 0)
        );
        // It does cache: most answers come from L2, and the backend did fail now and then.
        assert!(
            r.variant("correct").unwrap().summary.hit_ratio > 0.7,
            "seed {seed}"
        );
        assert!(c.backend_errors > 0, "seed {seed}");
        // Nothing but GETs is answered from the cache.
        let posts = c
            .endpoints
            .iter()
            .find(|e| e.endpoint == "POST /orders")
            .unwrap();
        assert_eq!(posts.cache_hits, 0);
        assert_eq!(posts.backend_calls, c.posts);
    }
}

#[test]
fn each_pitfall_serves_its_kind_of_wrong_response() {
    for seed in SEEDS {
        let r = run("response-cache", &[], seed).unwrap();
        let post = cache(&r, "cache-post");
        let errors = cache(&r, "cache-errors");
        let shared = cache(&r, "ignore-user");
        println!(
            "seed {seed}: skipped posts {}, stale errors {}, other users' data {}",
            post.skipped_posts, errors.stale_errors, shared.other_users_data
        );
        // Replayed POSTs: the orders were never placed.
        assert!(post.skipped_posts > 0 && post.wrong_responses == post.skipped_posts);
        assert!(post.backend_calls < cache(&r, "correct").backend_calls);
        // Stored 500s served after the backend recovered.
        assert!(errors.stale_errors > 0 && errors.wrong_responses == errors.stale_errors);
        // One user's order list served to another.
        assert!(shared.other_users_data > 0 && shared.wrong_responses == shared.other_users_data);
        for name in ["cache-post", "cache-errors", "ignore-user"] {
            let v = r.variant(name).unwrap();
            assert_eq!(v.summary.stale_reads, cache(&r, name).wrong_responses);
        }
    }
}

#[test]
fn raw_query_strings_lower_the_hit_ratio_and_escape_invalidation() {
    for seed in SEEDS {
        let r = run("response-cache", &[], seed).unwrap();
        let (correct, raw) = (
            r.variant("correct").unwrap(),
            r.variant("no-normalise").unwrap(),
        );
        let (c, n) = (cache(&r, "correct"), cache(&r, "no-normalise"));
        println!(
            "seed {seed}: hit ratio {:.3} vs {:.3}, backend {} vs {}, keys {} vs {}",
            correct.summary.hit_ratio,
            raw.summary.hit_ratio,
            c.backend_calls,
            n.backend_calls,
            c.max_entries,
            n.max_entries
        );
        assert!(raw.summary.hit_ratio < correct.summary.hit_ratio - 0.2);
        assert!(n.backend_calls > 2 * c.backend_calls);
        assert!(n.max_entries > 2 * c.max_entries);
        // An order list stored under a tracking-parameter spelling survives the deletion of the
        // plain address: stale data, but never another user's.
        assert!(n.stale_data > 0 && n.other_users_data == 0);
        // Without tracking parameters, only the order of parameters differs.
        let quiet = [("tracking_share".to_string(), "0".to_string())];
        let r = run("response-cache", &quiet, seed).unwrap();
        assert_eq!(cache(&r, "no-normalise").wrong_responses, 0);
        assert!(
            r.variant("no-normalise").unwrap().summary.hit_ratio
                < r.variant("correct").unwrap().summary.hit_ratio
        );
    }
}

#[test]
fn the_chapters_middleware_breaks_both_rules_at_once() {
    for seed in 1..=5 {
        let r = run("response-cache", &[], seed).unwrap();
        let (chapter, correct) = (cache(&r, "chapter"), cache(&r, "correct"));
        let (raw, shared) = (cache(&r, "no-normalise"), cache(&r, "ignore-user"));
        // No user in the key: order lists go to the wrong user, as with ignore-user ...
        assert!(chapter.other_users_data > 100, "seed {seed}: {chapter:?}");
        assert_eq!((correct.other_users_data, raw.other_users_data), (0, 0));
        // ... and the raw query in the key: answers stored under one spelling miss for another,
        // as with no-normalise; keys that normalise never do.
        assert!(
            chapter.spelling_misses * 5 > chapter.gets,
            "seed {seed}: {} of {} GETs",
            chapter.spelling_misses,
            chapter.gets
        );
        assert!(raw.spelling_misses > 0, "seed {seed}");
        assert_eq!((correct.spelling_misses, shared.spelling_misses), (0, 0));
        // Together: far more wrong answers than no-normalise (though fewer than ignore-user,
        // whose one shared entry per address is not split by spellings), and a hit ratio far
        // below the correct rules'.
        assert!(chapter.wrong_responses > raw.wrong_responses, "seed {seed}");
        let hit = |name| r.variant(name).unwrap().summary.hit_ratio;
        assert!(hit("chapter") + 0.2 < hit("correct"), "seed {seed}");
        assert!(chapter.backend_calls > correct.backend_calls, "seed {seed}");
        // Only GETs that came back 200 are stored, as the chapter's middleware says.
        assert_eq!((chapter.skipped_posts, chapter.stale_errors), (0, 0));
    }
}

#[test]
fn parameter_order_alone_splits_the_chapters_entries() {
    // No tracking parameters at all: every spelling miss is a listing asked for with its
    // parameters in another order.
    let given = [("tracking_share".to_string(), "0".to_string())];
    let only = ["chapter".to_string(), "correct".to_string()];
    for seed in 1..=5 {
        let r = run_only("response-cache", &given, seed, &only).unwrap();
        let chapter = cache(&r, "chapter");
        assert!(chapter.spelling_misses > 500, "seed {seed}: {chapter:?}");
        assert_eq!(cache(&r, "correct").spelling_misses, 0);
    }
}

#[test]
fn counters_add_up() {
    let r = run("response-cache", &[], 1).unwrap();
    for v in &r.variants {
        let c = v.section::<ResponseCacheReport>().unwrap();
        assert_eq!(c.gets + c.posts, v.summary.requests, "{}", v.name);
        assert_eq!(c.cache_hits + c.backend_calls, v.summary.requests);
        assert_eq!(c.backend_calls, v.summary.db_queries);
        assert_eq!(c.backend_errors, v.summary.errors);
        let per_endpoint: u64 = c.endpoints.iter().map(|e| e.requests).sum();
        assert_eq!(per_endpoint, v.summary.requests);
        assert_eq!(
            c.wrong_responses,
            c.skipped_posts + c.stale_errors + c.other_users_data + c.stale_data
        );
        assert_eq!(c.samples.len(), 8);
    }
}

#[test]
fn bad_parameters_are_refused_by_name() {
    let err = |k: &str, v: &str| {
        run("response-cache", &[(k.to_string(), v.to_string())], 1)
            .unwrap_err()
            .to_string()
    };
    assert!(err("error_share", "1.5").contains("`error_share` must be between 0 and 1"));
    assert!(err("users", "0").contains("`users` must be between 1 and 100000"));
    let slow_median = [
        ("db_p50_ms".to_string(), "80".to_string()),
        ("db_p99_ms".to_string(), "40".to_string()),
    ];
    let e = run("response-cache", &slow_median, 1)
        .unwrap_err()
        .to_string();
    assert!(e.contains("`db_p99_ms` must be between 80"), "{e}");
    // Knobs of the lab bench that this scenario does not use are not offered.
    assert!(err("l1_keys", "10").contains("unknown parameter `l1_keys`"));
    let too_many = [
        ("rate".to_string(), "1000000".to_string()),
        ("duration_s".to_string(), "600".to_string()),
    ];
    let e = run("response-cache", &too_many, 1).unwrap_err().to_string();
    assert!(e.contains("5000000"), "{e}");
}
