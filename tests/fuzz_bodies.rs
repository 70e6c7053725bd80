//! The fuzz targets' bodies (`cachelab::fuzz`) over seeded inputs, on stable: valid examples, and
//! the same examples with random bytes flipped, cut, or spliced in. `cargo +nightly fuzz run NAME`
//! explores much further; any crash it finds belongs here as a fixed case.

use cachelab::fuzz;
use cachelab::sim::SimRng;

/// `count` variations of each seed: random byte flips, truncations and insertions.
fn mutations(seeds: &[&[u8]], count: usize, rng_seed: u64) -> Vec<Vec<u8>> {
    let mut rng = SimRng::new(rng_seed);
    let mut out: Vec<Vec<u8>> = seeds.iter().map(|s| s.to_vec()).collect();
    for _ in 0..count {
        let mut m = seeds[rng.below(seeds.len() as u64) as usize].to_vec();
        for _ in 0..=rng.below(4) {
            let at = rng.below(m.len() as u64 + 1) as usize;
            match rng.below(3) {
                0 if at < m.len() => m[at] ^= 1 << rng.below(8),
                1 => m.truncate(at),
                _ => m.insert(at, rng.below(256) as u8),
            }
        }
        out.push(m);
    }
    out
}

#[test]
fn trace_replay_survives_mutated_traces() {
    let seeds: [&[u8]; 4] = [
        b"\x00time,key,size\n1,1,10\n2,2,10\n3,1,10\n4,3,4000\n5,1,10\n",
        b"\x02one\ntwo\none\nthree\n",
        b"\x81\x01\x00\x00\x00\x07\x00\x00\x00\x00\x00\x00\x00\x10\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff",
        b"\x04time,key,size\n0,0,1\n0,0x10,1\n0,18446744073709551615,4294967295\n",
    ];
    mutations(&seeds, 3_000, 1)
        .iter()
        .for_each(|input| fuzz::trace_replay(input));
    // zstd-compressed, read whole and streamed in chunks.
    let zstd = |pick: u8, plain: &[u8]| {
        let mut input = vec![pick];
        input.extend(ruzstd::encoding::compress_to_vec(
            plain,
            ruzstd::encoding::CompressionLevel::Fastest,
        ));
        input
    };
    let compressed = [zstd(0x10, &seeds[0][1..]), zstd(0x01, &seeds[2][1..])];
    let compressed: Vec<&[u8]> = compressed.iter().map(Vec::as_slice).collect();
    mutations(&compressed, 1_500, 3)
        .iter()
        .for_each(|input| fuzz::trace_replay(input));
}

#[test]
fn scenario_params_survive_mutated_settings() {
    // A slice, so that adding a seed is one line.
    let seeds: &[&[u8]] = &[
        b"stampede\nrate=50\nduration_s=2\nttl_s=0.5",
        b"consistency\nrate=90\nduration_s=2\nkeys=5\nl1_keys=3\nflush_ms=5\nbatch_size=2\ncrash_at_s=1",
        b"avalanche\nkeys=20\nrate=100\nduration_s=3\njitter=0.5",
        b"penetration\n{\"rate\": 80, \"duration_s\": \"2\", \"missing_share\": 0.5}",
        b"stampede\nclients=3\nthink_ms=0\nduration_s=1",
        b"nosuch\nrate=1",
        b"multilayer\nrate=100\nduration_s=2\ninstances=3\nkeys=50\nwarm_keys=10\nbroadcast_delay_ms=5",
        b"tags\nrate=50\nduration_s=2\nproducts=20\nqueries=100\nupdate_rate=5\nbucket_ms=500",
    ];
    mutations(seeds, 1_500, 2)
        .iter()
        .for_each(|input| fuzz::scenario_params(input));
}

#[test]
fn link_decode_accepts_only_what_the_core_accepts() {
    let seeds: [&[u8]; 4] = [
        b"?lesson=stampede&rate=250&ttl_s=0.5&seed=42",
        b"lesson=eviction&policies=lru%2Csieve&sizes=mrc",
        b"?rate=1e3&keys=%31%30&seed=18446744073709551615&x=%zz",
        b"?rate=+5&duration_s=600&skew=3&beta=0&grace_s=86400",
    ];
    mutations(&seeds, 3_000, 3)
        .iter()
        .for_each(|input| fuzz::link_decode(input));
}
