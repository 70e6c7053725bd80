//! Scenario `memory`: Redis under `maxmemory`. The cached rows' working set is larger than the
//! memory limit, and logins write sessions without a TTL beside them. The variants are
//! `maxmemory-policy` settings: refuse writes when full, evict any key by recency or frequency,
//! or evict only keys with a TTL — which cannot touch the sessions, so they crowd the cache out.

use super::common::{explain, faulty_lab, lab_params, param, zipf};
use super::contract::{variants, Experiment, VariantSet};
use super::driver::Driver;
use super::lab::{report, LabConfig};
use super::params::{ParamSpec, Params};
use super::report::VariantReport;
use crate::error::{Error, Result};
use crate::metrics::Outcome;
use crate::sim::Runtime;
use crate::strategy::{self, data_key, int_of, Cmd, Store};
use crate::tiers::l2::{commands, L2Config, MaxmemoryPolicy, Reply};
use crate::workload::Op;
use serde::Serialize;
use std::cell::Cell;
use std::rc::Rc;

/// Scenario `memory`.
pub(super) struct Memory;

variants! {
    /// Redis's `maxmemory-policy`.
    pub(super) enum Policy {
        NoEviction = "noeviction": "evict nothing: a write that needs memory is refused with an OOM error",
        AllKeysLru = "allkeys-lru": "evict the least recently used key, sessions included",
        AllKeysLfu = "allkeys-lfu": "evict the least frequently used key, sessions included",
        VolatileLru = "volatile-lru": "evict the least recently used key that has a TTL (never a session)",
        VolatileTtl = "volatile-ttl": "evict the key with a TTL that expires soonest (never a session)",
    }
}

impl Policy {
    fn maxmemory_policy(self) -> MaxmemoryPolicy {
        match self {
            Policy::NoEviction => MaxmemoryPolicy::NoEviction,
            Policy::AllKeysLru => MaxmemoryPolicy::AllKeysLru,
            Policy::AllKeysLfu => MaxmemoryPolicy::AllKeysLfu,
            Policy::VolatileLru => MaxmemoryPolicy::VolatileLru,
            Policy::VolatileTtl => MaxmemoryPolicy::VolatileTtl,
        }
    }
}

/// How many of the hottest cached rows the report looks inside.
const HOTTEST: u64 = 3;

impl Experiment for Memory {
    type Variant = Policy;
    const NAME: &'static str = "memory";
    const ABOUT: &'static str =
        "The cached rows do not fit under maxmemory, and logins store sessions without a TTL \
         beside them: what each maxmemory-policy evicts, refuses and costs.";

    fn params() -> Vec<ParamSpec> {
        let specs = lab_params(
            &[
                ("duration_s", 30.0),
                ("rate", 1_000.0),
                ("db_p50_ms", 5.0),
                ("db_p99_ms", 20.0),
                ("db_pool", 32.0),
                ("keys", 20_000.0),
                ("skew", 0.9),
                ("ttl_s", 10.0),
                ("write_share", 0.05),
                ("alert_hit_ratio", 0.0),
                ("alert_memory_mb", 0.9),
            ],
            &[
                param(
                    "maxmemory_mb",
                    "L2's maxmemory: the data (the model's estimate) it keeps at most",
                    "MB",
                    1.0,
                    0.01,
                    1_000.0,
                    false,
                ),
                param(
                    "session_bytes",
                    "size of one session's value",
                    "bytes",
                    512.0,
                    1.0,
                    100_000.0,
                    true,
                ),
            ],
        );
        explain(
            specs,
            "write_share",
            "share of requests that log a user in: a new session written to L2 without a TTL \
             (the rest read cached rows)",
        )
    }

    const LIVE: &'static str = "Rows and sessions are written to the real server, whose maxmemory \
        is set for the run (CONFIG SET) to its used_memory at the start plus maxmemory_mb (the \
        model counts only the run's data, a real server its own overhead too), with the variant's \
        maxmemory-policy, and both are put back afterwards; so run it against a redis-server (or \
        cluster) of its own, whose other keys it could evict. On a cluster each master gets its \
        own used_memory plus maxmemory_mb split evenly over the masters (the slots spread the keys \
        evenly) and evicts on its own, among its own keys only. Live, the memory and eviction \
        series and the hottest keys' MEMORY USAGE and OBJECT FREQ are left out (a server's INFO \
        counts more than the run); what is left at the end is counted with EXISTS.";

    fn run_on<D: Driver>(p: &Params, variant: Policy, seed: u64, d: &D) -> Result<VariantReport> {
        let config = configure(p, variant)?;
        let sessions = Rc::new(Sessions {
            bytes: vec![b's'; p.get_u64("session_bytes")? as usize],
            ..Sessions::default()
        });
        let logins = sessions.clone();
        let (ctx, monitoring) = d.run_lab_with(&config, seed, |ctx| {
            let serving = ctx.clone();
            Ok(move |op| {
                let (ctx, sessions) = (serving.clone(), logins.clone());
                async move {
                    match op {
                        Op::Read(_) => strategy::serve(ctx, op).await,
                        Op::Write(_) => sessions.login(&ctx, op).await,
                    }
                }
            })
        })?;
        // The monitor sampled the model's memory and evictions at each bucket's end.
        let samples: Vec<(u64, u64)> = monitoring.as_ref().map_or_else(Vec::new, |m| {
            let mut evicted = 0;
            m.series
                .used_memory_bytes
                .iter()
                .zip(&m.series.evicted_keys)
                .map(|(&used, &n)| {
                    evicted += n;
                    (used, evicted)
                })
                .collect()
        });
        let base = report(variant.name(), &ctx, &config, monitoring);
        let store = ctx.l2.inner().inner();
        let end = match d.model(store) {
            Some(model) => EndState::of_model(&mut model.borrow_mut(), &config, &sessions),
            None => d.block_on(EndState::of_store(store, &config, &sessions))?,
        };
        let section = MemoryReport::new(&config, &samples, &sessions, base.summary.l2_errors, end);
        Ok(VariantReport {
            section: Some(section.into()),
            ..base
        })
    }
}

/// The lab bench of `variant`: cold (the rows do not fit, so nothing is warmed), L2 limited.
fn configure(p: &Params, variant: Policy) -> Result<LabConfig> {
    let mut lab = faulty_lab(p, zipf(p)?)?;
    lab.warm = false;
    lab.l2_config = L2Config {
        maxmemory: (p.get("maxmemory_mb")? * 1e6) as u64,
        policy: variant.maxmemory_policy(),
        ..L2Config::default()
    };
    Ok(lab)
}

/// Logins: each writes a new session key without a TTL.
#[derive(Default)]
struct Sessions {
    bytes: Vec<u8>,
    /// Logins started: the next session's number.
    started: Cell<u64>,
    written: Cell<u64>,
    refused: Cell<u64>,
}

impl Sessions {
    fn key(n: u64) -> [u8; 9] {
        let mut k = [b's'; 9];
        k[1..].copy_from_slice(&n.to_be_bytes());
        k
    }

    /// One login: `SET session value` (no TTL). A refused write fails the login.
    async fn login<S: Store + 'static, R: Runtime>(&self, ctx: &strategy::Ctx<S, R>, op: Op) {
        let arrived = ctx.sim.now();
        let n = self.started.get();
        self.started.set(n + 1);
        let stored = ctx.l2.set(&Self::key(n), &self.bytes, None).await;
        let outcome = match stored {
            Ok(()) => {
                self.written.set(self.written.get() + 1);
                Outcome::Write
            }
            Err(_) => {
                self.refused.set(self.refused.get() + 1);
                ctx.metrics.borrow_mut().record_l2_error(ctx.sim.now());
                Outcome::Error
            }
        };
        ctx.metrics
            .borrow_mut()
            .record_request(op, arrived, ctx.sim.now(), outcome);
    }
}

/// One cached row as the console shows it: `MEMORY USAGE` and `OBJECT FREQ` of its key.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct KeyLook {
    /// The row (0 is the most popular).
    pub row: u64,
    /// `MEMORY USAGE`: the model's estimate in bytes (none if the key is not cached).
    pub memory_usage: Option<i64>,
    /// `OBJECT FREQ`: its LFU counter (only under an LFU policy, and if cached).
    pub object_freq: Option<i64>,
}

/// What maxmemory and its policy did.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MemoryReport {
    /// The limit, in bytes.
    pub maxmemory_bytes: u64,
    /// Used memory at the end of each bucket, bytes.
    pub used_memory_bytes: Vec<u64>,
    /// Keys evicted per second in each bucket.
    pub evicted_per_s: Vec<f64>,
    /// Cache fills refused with an OOM error (counted among the L2 errors; the reader still had
    /// its row from the database).
    pub refused_fills: u64,
    /// Sessions written.
    pub sessions_written: u64,
    /// Logins whose session was refused (OOM): failed requests.
    pub sessions_refused: u64,
    /// Sessions written and then evicted: users logged out by the cache.
    pub sessions_evicted: u64,
    /// Cached rows in L2 at the end.
    pub rows_cached_at_end: u64,
    /// Sessions in L2 at the end.
    pub sessions_at_end: u64,
    /// The hottest rows' keys, looked at with the console's commands at the end.
    pub hottest: Vec<KeyLook>,
}

/// What L2 holds at the end of a run.
struct EndState {
    sessions: u64,
    rows: u64,
    hottest: Vec<KeyLook>,
}

impl EndState {
    /// Read from the model, as the console's commands would, without touching a key's clock.
    fn of_model(l2: &mut crate::tiers::L2, config: &LabConfig, sessions: &Sessions) -> EndState {
        let sessions_at_end = (0..sessions.started.get())
            .filter(|&n| {
                let args = [b"EXISTS".to_vec(), Sessions::key(n).to_vec()];
                int(l2.exec_command(&commands::EXISTS, &args)) == Some(1)
            })
            .count() as u64;
        let look = |l2: &mut crate::tiers::L2, command, args: &[&[u8]]| {
            int(l2.exec_command(
                command,
                &args.iter().map(|a| a.to_vec()).collect::<Vec<_>>(),
            ))
        };
        let hottest = (0..HOTTEST.min(config.mix.popularity.keys()))
            .map(|row| {
                let key = data_key(row);
                KeyLook {
                    row,
                    memory_usage: look(l2, &commands::MEMORY, &[b"MEMORY", b"USAGE", &key]),
                    object_freq: look(l2, &commands::OBJECT, &[b"OBJECT", b"FREQ", &key]),
                }
            })
            .collect();
        EndState {
            sessions: sessions_at_end,
            rows: l2.dbsize() - sessions_at_end,
            hottest,
        }
    }

    /// Read through the store (a real server): `EXISTS` of every session and row, pipelined.
    /// The hottest keys' `MEMORY USAGE` and `OBJECT FREQ` are not among the store's commands.
    async fn of_store<S: Store>(
        store: &S,
        config: &LabConfig,
        sessions: &Sessions,
    ) -> Result<EndState> {
        let session_keys: Vec<[u8; 9]> = (0..sessions.started.get()).map(Sessions::key).collect();
        let row_keys: Vec<[u8; 9]> = (0..config.mix.popularity.keys()).map(data_key).collect();
        let count = |keys: Vec<[u8; 9]>| async move {
            let mut found = 0;
            for chunk in keys.chunks(EXISTS_PIPELINE) {
                let asks: Vec<Cmd> = chunk.iter().map(|k| Cmd::Exists(k)).collect();
                for reply in store.pipeline(&asks).await? {
                    found += u64::from(int_of("EXISTS", reply)? == 1);
                }
            }
            Ok::<u64, Error>(found)
        };
        let sessions_at_end = count(session_keys).await?;
        let rows = count(row_keys).await?;
        let hottest = (0..HOTTEST.min(config.mix.popularity.keys()))
            .map(|row| KeyLook {
                row,
                memory_usage: None,
                object_freq: None,
            })
            .collect();
        Ok(EndState {
            sessions: sessions_at_end,
            rows,
            hottest,
        })
    }
}

/// `EXISTS` commands in one pipeline when counting what is left live.
const EXISTS_PIPELINE: usize = 1_000;

impl MemoryReport {
    fn new(
        config: &LabConfig,
        samples: &[(u64, u64)],
        sessions: &Sessions,
        l2_errors: u64,
        end: EndState,
    ) -> MemoryReport {
        let per_s = config.bucket.as_secs_f64().max(1e-9);
        let mut last_evicted = 0;
        let evicted_per_s = samples
            .iter()
            .map(|&(_, evicted)| {
                let n = evicted - last_evicted;
                last_evicted = evicted;
                n as f64 / per_s
            })
            .collect();
        let written = sessions.written.get();
        MemoryReport {
            maxmemory_bytes: config.l2_config.maxmemory,
            used_memory_bytes: samples.iter().map(|&(used, _)| used).collect(),
            evicted_per_s,
            refused_fills: l2_errors - sessions.refused.get(),
            sessions_written: written,
            sessions_refused: sessions.refused.get(),
            sessions_evicted: written - end.sessions,
            rows_cached_at_end: end.rows,
            sessions_at_end: end.sessions,
            hottest: end.hottest,
        }
    }

    /// One line: what the policy refused and evicted.
    pub fn headline(&self) -> String {
        format!(
            "maxmemory {} bytes: {} fills refused (OOM), {} of {} logins refused, {} sessions \
             evicted; at the end {} rows and {} sessions in L2",
            self.maxmemory_bytes,
            self.refused_fills,
            self.sessions_refused,
            self.sessions_written + self.sessions_refused,
            self.sessions_evicted,
            self.rows_cached_at_end,
            self.sessions_at_end
        )
    }
}

fn int(reply: Reply) -> Option<i64> {
    match reply {
        Reply::Int(n) => Some(n),
        _ => None,
    }
}
