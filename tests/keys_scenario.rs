//! Scenario `keys`: the claims of its lesson, as relations that hold at seeds 1 to 5.

use cachelab::manager::birthday_bound;
use cachelab::scenario::{run, KeyOutcome, KeysReport, Report, VariantReport};

const SEEDS: [u64; 5] = [1, 2, 3, 4, 5];

fn keys<'a>(r: &'a Report, name: &str) -> (&'a VariantReport, &'a KeysReport) {
    let v = r.variant(name).unwrap();
    (v, v.section::<KeysReport>().unwrap())
}

#[test]
fn bound_arguments_hit_more_than_the_chapters_key_and_serve_no_wrong_value() {
    for seed in SEEDS {
        let r = run("keys", &[], seed).unwrap();
        let (chapter, c) = keys(&r, "chapter-key");
        let (bound, b) = keys(&r, "bound-args");
        println!("seed {seed}: chapter {} {c:?}", chapter.summary.hit_ratio);
        println!("seed {seed}: bound {} {b:?}", bound.summary.hit_ratio);
        assert!(
            bound.summary.hit_ratio > chapter.summary.hit_ratio,
            "seed {seed}"
        );
        assert_eq!(bound.summary.wrong_values, 0, "seed {seed}");
        assert_eq!(b.shared_keys, 0, "seed {seed}");
        // One key per call under bound-args; several spellings per call under the chapter's key.
        assert_eq!(b.distinct_keys, b.distinct_calls, "seed {seed}");
        assert!(c.distinct_texts > b.distinct_calls, "seed {seed}");
        // The gap has two causes the report counts: spellings that miss, and None reloaded.
        assert!(c.spelling_misses > 0 && c.none_reloads > 0, "seed {seed}");
        assert_eq!((b.spelling_misses, b.none_reloads), (0, 0), "seed {seed}");
        // The chapter's key serves wrong values too, but only through one name in two modules.
        assert!(chapter.summary.wrong_values > 0, "seed {seed}");
        assert_eq!(c.wrong_from_digest, 0, "seed {seed}");
        assert_eq!(c.digest_collisions, 0, "seed {seed}");
    }
}

#[test]
fn a_short_digest_serves_wrong_values_through_collisions() {
    for seed in SEEDS {
        let r = run("keys", &[], seed).unwrap();
        let (short, s) = keys(&r, "short-digest");
        println!("seed {seed}: short {s:?}");
        assert!(s.digest_collisions > 0, "seed {seed}");
        assert!(s.wrong_from_digest > 0, "seed {seed}");
        assert_eq!(short.summary.wrong_values, s.wrong_values);
        // The run made more keys than the birthday bound of its digest: a collision was likely.
        assert_eq!(s.digest_bits, 16);
        assert!(s.distinct_texts as f64 > s.birthday_bound, "seed {seed}");
        assert!(s.collision_probability > 0.99, "seed {seed}");
    }
}

#[test]
fn the_report_names_the_birthday_bound_of_each_digest() {
    let r = run("keys", &[("short_digest_hex".into(), "6".into())], 1).unwrap();
    let bits: Vec<u32> = r
        .variants
        .iter()
        .map(|v| v.section::<KeysReport>().unwrap().digest_bits)
        .collect();
    assert_eq!(bits, [64, 256, 24]);
    for v in &r.variants {
        let k = v.section::<KeysReport>().unwrap();
        assert_eq!(k.birthday_bound, birthday_bound(k.digest_bits));
    }
    let (_, chapter) = keys(&r, "chapter-key");
    // 64 bits: even odds only past five billion keys.
    assert!(chapter.birthday_bound > 5e9 && chapter.collision_probability < 1e-9);
}

#[test]
fn samples_show_the_first_calls_with_their_keys() {
    let r = run("keys", &[], 1).unwrap();
    let (_, c) = keys(&r, "chapter-key");
    assert_eq!(c.samples.len(), cachelab::scenario::KEY_SAMPLES);
    assert_eq!(c.samples[0].outcome, KeyOutcome::Miss);
    assert!(c.samples.iter().all(|s| s.key.split(':').count() == 3));
}

#[test]
fn wrong_values_are_a_field_of_every_summary() {
    // Scenarios that cannot serve another call's value report 0.
    let quick = [("duration_s".to_string(), "2".to_string())];
    let r = run("stampede", &quick, 1).unwrap();
    assert!(r.variants.iter().all(|v| v.summary.wrong_values == 0));
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["variants"][0]["summary"]["wrong_values"], 0);
}

#[test]
fn unknown_values_are_refused_with_the_allowed_range() {
    let err = run("keys", &[("short_digest_hex".into(), "17".into())], 1).unwrap_err();
    assert!(err
        .to_string()
        .contains("`short_digest_hex` must be between 1 and 16"));
}

#[path = "support/cli.rs"]
mod cli;

#[test]
fn the_cli_prints_a_calls_key_under_each_scheme() {
    let out = cli::cachelab(&["key", "get_products", "books", "--kw", "limit=10"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    // The chapter's key is what its Python prints for this call.
    assert!(
        text.contains("chapter-key   products:get_products:49c8eb0e96cda722"),
        "{text}"
    );
    assert!(text.contains("products:catalog.get_products:"), "{text}");
    assert!(
        text.contains("short-digest  products:get_products:49c8\n"),
        "{text}"
    );
    // Spelled another way, the same call: another chapter key, the same bound one.
    let key = |args: &[&str]| {
        let out = cli::cachelab(args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let bound = ["--scheme", "bound-args"];
    assert_eq!(
        key(&[&["key", "get_products", "books"][..], &bound].concat()),
        key(&[
            &[
                "key",
                "get_products",
                "--kw",
                "category=books",
                "--kw",
                "limit=10"
            ][..],
            &bound
        ]
        .concat())
    );
    assert_ne!(
        key(&["key", "get_products", "books", "--scheme", "chapter-key"]),
        key(&[
            "key",
            "get_products",
            "books",
            "10",
            "--scheme",
            "chapter-key"
        ])
    );
    let json = cli::cachelab_json(&["key", "users.get_by_id", "-3", "--json"]);
    assert_eq!(json["call"], "users.get_by_id(-3)");
    assert_eq!(json["keys"][1]["digest_bits"], 256);
}

#[test]
fn the_cli_refuses_a_bad_call_naming_the_field() {
    for (args, expected) in [
        (
            &["key", "get_by_id", "7"][..],
            "users.get_by_id, products.get_by_id",
        ),
        (
            &["key", "get_products", "a", "--kw", "colour=red"][..],
            "unknown keyword argument `colour`; known: category, limit",
        ),
        (
            &["key", "get_products", "a", "--kw", "category=b"][..],
            "--kw category",
        ),
        (&["key", "get_products", "a", "1", "2"][..], "argument 3"),
        (
            &["key", "get_products", "a", "--scheme", "md5"][..],
            "unknown scheme `md5`; known: chapter-key, bound-args, short-digest",
        ),
        (
            &["key", "get_products", "a", "--short-hex", "0"][..],
            "`short_digest_hex` must be between 1 and 16",
        ),
    ] {
        let out = cli::cachelab(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
}

#[test]
fn cachelab_run_keys_prints_the_schemes_numbers() {
    let out = cli::cachelab(&["run", "keys", "--seed", "1"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("256-bit digest: even odds of a collision at 4.007e38 keys"),
        "{text}"
    );
}
