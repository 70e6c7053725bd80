//! Miss counts on the shared sample traces (`../shared/traces/`, read in place, never copied).
//!
//! Two kinds of evidence that the policies are libCacheSim's:
//! - `libcachesim_own_expectations`: libCacheSim's own test suite (`test/test_evictionAlgo.c` in
//!   repository `1a1a11a/libCacheSim`) hard-codes the miss count and missed bytes of each algorithm
//!   on its bundled trace `cloudPhysicsIO.oracleGeneral.bin` in byte mode at 128 MiB, 256 MiB, …,
//!   1 GiB. `cloudphysics.csv` holds the same requests with the same sizes, so every number must
//!   come out identical — and does, for LRU, FIFO, CLOCK, SIEVE, LFU, ARC, S3-FIFO and Belady.
//! - `object_mode_table`: the counts at 1, 5, 10 and 20 % of the unique keys (object mode), pinned
//!   here and in the README. The slow reference implementations in `tests/policy_reference.rs`
//!   agree with the fast ones on thousands of random traces.
//!
//! When the shared folder is missing (a checkout on its own), the tests print a line and pass.

use cachelab::policy::replay::{replay, run, Experiment};
use cachelab::policy::{build, Access, Capacity};
use cachelab::workload::{Request, TraceFormat, TraceReader};
use std::fs::File;
use std::io::BufReader;
use std::num::NonZeroU64;
use std::path::PathBuf;

fn trace_path(name: &str) -> Option<PathBuf> {
    let path = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/traces/")).join(name);
    if path.exists() {
        Some(path)
    } else {
        println!("skipped: {} not found", path.display());
        None
    }
}

/// The whole trace with each request's next access (for Belady; ignored by the others).
fn load(path: &PathBuf) -> Vec<Access> {
    let file = BufReader::new(File::open(path).expect("open trace"));
    let requests: Vec<Request> = TraceReader::new(file, TraceFormat::Csv)
        .collect::<Result<_, _>>()
        .expect("well-formed trace");
    Access::from_trace(&requests)
}

const MIB: u64 = 1 << 20;

/// One algorithm's expectations in libCacheSim's test: misses and missed bytes at 128 MiB × 1..=8.
struct Expected {
    policy: &'static str,
    misses: [u64; 8],
    miss_bytes: [u64; 8],
}

/// Copied from libCacheSim's `test/test_evictionAlgo.c`. Its LFU and Sieve rows are identical
/// there, and they are identical here too. S3-FIFO's row is the one that file gives for
/// `S3-FIFO` in the revisions contemporary with the reference commit (later revisions rename that
/// variant `S3FIFOv0` and give a newer S3-FIFO other numbers).
const LIBCACHESIM_BYTE_MODE: [Expected; 8] = [
    Expected {
        policy: "lru",
        misses: [93374, 89783, 83572, 81722, 72494, 72104, 71972, 71704],
        miss_bytes: [
            4214303232, 4061242368, 3778040320, 3660569600, 3100927488, 3078128640, 3075403776,
            3061662720,
        ],
    },
    Expected {
        policy: "fifo",
        misses: [93403, 89386, 84387, 84025, 72498, 72228, 72182, 72140],
        miss_bytes: [
            4213112832, 4052646400, 3829170176, 3807412736, 3093146112, 3079525888, 3079210496,
            3077547520,
        ],
    },
    Expected {
        policy: "clock",
        misses: [93313, 89775, 83411, 81328, 74815, 72283, 71927, 64456],
        miss_bytes: [
            4213887488, 4064512000, 3762650624, 3644467200, 3256760832, 3091688448, 3074241024,
            2697378816,
        ],
    },
    Expected {
        policy: "sieve",
        misses: [91699, 86720, 78578, 76707, 69945, 66221, 64445, 64376],
        miss_bytes: [
            4158632960, 3917211648, 3536227840, 3455379968, 3035580416, 2801699328, 2699456000,
            2696345600,
        ],
    },
    Expected {
        policy: "lfu",
        misses: [91699, 86720, 78578, 76707, 69945, 66221, 64445, 64376],
        miss_bytes: [
            4158632960, 3917211648, 3536227840, 3455379968, 3035580416, 2801699328, 2699456000,
            2696345600,
        ],
    },
    Expected {
        policy: "arc",
        misses: [90252, 85861, 78168, 74297, 67381, 65685, 64439, 64772],
        miss_bytes: [
            4068098560, 3821026816, 3525644800, 3296890368, 2868538880, 2771180032, 2699484672,
            2712971264,
        ],
    },
    Expected {
        policy: "s3fifo",
        misses: [89307, 82387, 77041, 76791, 71300, 70343, 70455, 70355],
        miss_bytes: [
            4040718336, 3703628800, 3353047552, 3282235904, 3038256128, 2980646912, 2984458752,
            2979649536,
        ],
    },
    Expected {
        policy: "belady",
        misses: [79256, 70724, 65481, 61594, 59645, 57599, 50873, 48974],
        miss_bytes: [
            3472532480, 2995165696, 2726689792, 2537648128, 2403427840, 2269212672, 2134992896,
            2029769728,
        ],
    },
];

#[test]
fn libcachesim_own_expectations() {
    let Some(path) = trace_path("cloudphysics.csv") else {
        return;
    };
    let trace = load(&path);
    for expected in &LIBCACHESIM_BYTE_MODE {
        for step in 1..=8 {
            let capacity = Capacity::Bytes(NonZeroU64::new(128 * MIB * step as u64).unwrap());
            let mut cache = build(expected.policy, capacity).unwrap();
            let counts = replay(cache.as_mut(), trace.iter().copied());
            assert_eq!(counts.requests, 113_872);
            assert_eq!(counts.request_bytes, 4_368_040_448);
            let at = format!("{} at {step} × 128 MiB", expected.policy);
            assert_eq!(counts.misses, expected.misses[step - 1], "misses, {at}");
            assert_eq!(
                counts.miss_bytes,
                expected.miss_bytes[step - 1],
                "bytes, {at}"
            );
        }
    }
}

const POLICIES: [&str; 9] = [
    "lru", "fifo", "clock", "sieve", "s3fifo", "lfu", "arc", "wtinylfu", "belady",
];

/// Object-mode misses at 1, 5, 10 and 20 % of the unique keys (the README's table): per policy
/// (in `POLICIES` order) at the four capacities `floor(unique × fraction)`.
const CLOUDPHYSICS_MISSES: [[u64; 4]; 9] = [
    [95420, 93897, 91657, 82547],
    [96518, 94122, 91716, 81172],
    [95332, 93829, 91599, 85213],
    [94419, 93052, 90040, 81557],
    [94559, 91396, 85691, 77208],
    [96765, 93052, 90040, 81557],
    [94229, 92392, 88002, 80004],
    [94802, 93410, 90139, 83054],
    [90263, 80078, 71620, 62049],
];
const ZIPF_MISSES: [[u64; 4]; 9] = [
    [515249, 357468, 287438, 215774],
    [556777, 396393, 323961, 248239],
    [503719, 347639, 278622, 209150],
    [421306, 296368, 241898, 187116],
    [419710, 291788, 238749, 187349],
    [426167, 296657, 241898, 187116],
    [423430, 295367, 241949, 189350],
    [421274, 291436, 238824, 185162],
    [353865, 224133, 172151, 125984],
];

#[test]
fn object_mode_table() {
    let traces = [
        (
            "cloudphysics.csv",
            [489, 2448, 4897, 9794],
            CLOUDPHYSICS_MISSES,
        ),
        ("zipf.csv", [806, 4033, 8066, 16133], ZIPF_MISSES),
    ];
    for (file, capacities, misses) in traces {
        let Some(path) = trace_path(file) else {
            return;
        };
        let experiment =
            Experiment::parse(&POLICIES.join(","), "0.01,0.05,0.1,0.2", false).unwrap();
        let open = || {
            File::open(&path)
                .map(BufReader::new)
                .map_err(|e| cachelab::Error::Parse {
                    what: file.to_string(),
                    detail: e.to_string(),
                })
        };
        let report = run(file, TraceFormat::Csv, open, &experiment).unwrap();
        let mut rows = report.rows.iter();
        for (policy, policy_misses) in POLICIES.iter().zip(misses) {
            for (capacity, miss) in capacities.iter().zip(policy_misses) {
                let row = rows.next().unwrap();
                assert_eq!(
                    (row.policy.as_str(), row.capacity, row.misses),
                    (*policy, *capacity, miss),
                    "{file}"
                );
            }
        }
    }
}
