//! Watching the shared cache as an operator would: poll its `INFO`-style counters once per time
//! bucket, report the totals, and raise an alert when the hit ratio of a bucket drops below a
//! floor or the memory in use passes a mark.
//!
//! Everything here reads the L2 model's own counters ([`L2::stats`], [`L2::used_memory`],
//! [`L2::dbsize`]), the numbers a dashboard gets from Redis's `INFO stats`, `INFO memory` and
//! `DBSIZE`. So the hit ratio is the *server's* (`keyspace_hits / (keyspace_hits +
//! keyspace_misses)`): every `GET` that found nothing counts, including a lock waiter's polls,
//! and reads an L1 answered never reach it.
//!
//! Alerts are edge-triggered, as an alerting rule with a "resolved" state is: an alert fires in
//! the first bucket in which its condition holds, and fires again only after a bucket in which the
//! condition was false. A long outage is one alert, not one per bucket. A bucket in which nobody
//! read L2 says nothing about the hit ratio and leaves that alert's state as it was.
//!
//! Sampling never touches the simulation: [`run_monitored`] runs the executor up to each bucket's
//! end, reads the counters, and goes on, so a monitored run gives the very same numbers as an
//! unmonitored one.

use crate::sim::{Executor, SimDuration, SimTime};
use crate::tiers::l2::L2Stats;
use crate::tiers::L2;
use serde::Serialize;
use std::cell::RefCell;

/// Bytes in a megabyte as the thresholds count them (10^6, as `alert_memory_mb` says).
const BYTES_PER_MB: f64 = 1e6;

/// When to alert. A threshold of zero turns its alert off.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct AlertThresholds {
    /// Alert when a bucket's L2 hit ratio falls below this (0 = never).
    pub hit_ratio: f64,
    /// Alert when L2's used memory passes this many megabytes (10^6 bytes; 0 = never).
    pub memory_mb: f64,
}

/// What an [`Alert`] is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// The hit ratio of a bucket fell below `alert_hit_ratio`.
    HitRatioLow,
    /// Used memory passed `alert_memory_mb`.
    MemoryHigh,
}

/// One alert that fired.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Alert {
    /// Start of the bucket in which it fired, in seconds (as in the series' `t_s`).
    pub time_s: f64,
    /// What crossed its threshold.
    pub kind: AlertKind,
    /// The value that crossed it: a hit ratio, or megabytes in use at the bucket's end.
    pub value: f64,
    /// The threshold it crossed.
    pub threshold: f64,
}

/// The monitoring section of a report: the shared cache's counters at the end of the run and
/// the alerts raised on the way.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Monitoring {
    /// L2's hit ratio over the run: keyspace hits over keyspace lookups (0 without lookups).
    pub hit_ratio: f64,
    /// Lookups that found their key.
    pub keyspace_hits: u64,
    /// Lookups that did not.
    pub keyspace_misses: u64,
    /// Bytes in use at the end (the model's estimate of the data).
    pub used_memory_bytes: u64,
    /// The most bytes in use at any bucket's end.
    pub peak_used_memory_bytes: u64,
    /// Keys at the end.
    pub keys: u64,
    /// The most keys at any bucket's end.
    pub peak_keys: u64,
    /// Keys removed to stay under `maxmemory`.
    pub evicted_keys: u64,
    /// Keys removed because their TTL passed.
    pub expired_keys: u64,
    /// The alerts, in time order.
    pub alerts: Vec<Alert>,
    /// The same counters bucket by bucket, as a dashboard would chart them.
    pub series: MonitoringSeries,
}

/// The shared cache's counters per bucket, one value per sample: what happened in the bucket
/// (hits, misses, evictions, expirations) and what L2 held at its end (memory, keys).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct MonitoringSeries {
    /// Start of each bucket, in seconds (as in the report's series).
    pub t_s: Vec<f64>,
    /// Lookups that found their key, in the bucket.
    pub keyspace_hits: Vec<u64>,
    /// Lookups that did not, in the bucket.
    pub keyspace_misses: Vec<u64>,
    /// Hits over lookups in the bucket (`None`: nobody read L2).
    pub hit_ratio: Vec<Option<f64>>,
    /// Bytes in use at the bucket's end.
    pub used_memory_bytes: Vec<u64>,
    /// Keys at the bucket's end.
    pub keys: Vec<u64>,
    /// Keys evicted in the bucket.
    pub evicted_keys: Vec<u64>,
    /// Keys expired in the bucket.
    pub expired_keys: Vec<u64>,
}

/// Polls one L2 per bucket and keeps what a [`Monitoring`] section needs.
///
/// ```
/// use cachelab::manager::{AlertKind, AlertThresholds, Monitor};
/// use cachelab::sim::{SimDuration, SimTime};
/// use cachelab::tiers::L2;
///
/// let mut l2 = L2::new();
/// let alerts = AlertThresholds { hit_ratio: 0.9, memory_mb: 0.0 };
/// let mut monitor = Monitor::new(SimDuration::from_secs(1), alerts, &l2);
/// l2.set(b"k", b"v", None).unwrap();
/// l2.get(b"k").unwrap();
/// monitor.sample(&l2, SimTime::ZERO); // bucket [0 s, 1 s): one hit, ratio 1
/// l2.get(b"gone").unwrap();
/// monitor.sample(&l2, SimTime(1_000_000)); // bucket [1 s, 2 s): one miss, ratio 0
/// let report = monitor.finish(&l2);
/// assert_eq!(report.hit_ratio, 0.5);
/// assert_eq!(report.alerts.len(), 1);
/// assert_eq!((report.alerts[0].time_s, report.alerts[0].kind), (1.0, AlertKind::HitRatioLow));
/// ```
#[derive(Clone, Debug)]
pub struct Monitor {
    bucket: SimDuration,
    thresholds: AlertThresholds,
    last: L2Stats,
    peak_memory: u64,
    peak_keys: u64,
    hit_ratio_firing: bool,
    memory_firing: bool,
    alerts: Vec<Alert>,
    series: MonitoringSeries,
    /// The start of the first bucket not sampled yet.
    open_bucket: SimTime,
}

impl Monitor {
    /// A monitor of buckets `bucket` wide that starts counting from `l2`'s counters now.
    pub fn new(bucket: SimDuration, thresholds: AlertThresholds, l2: &L2) -> Self {
        Monitor {
            bucket: SimDuration(bucket.as_micros().max(1)),
            thresholds,
            last: l2.stats(),
            peak_memory: l2.used_memory(),
            peak_keys: l2.dbsize(),
            hit_ratio_firing: false,
            memory_firing: false,
            alerts: Vec::new(),
            series: MonitoringSeries::default(),
            open_bucket: SimTime::ZERO,
        }
    }

    /// The bucket width.
    pub fn bucket(&self) -> SimDuration {
        self.bucket
    }

    /// Closes the bucket that started at `bucket_start`: reads `l2`'s counters, compares the
    /// lookups since the previous sample with the hit-ratio floor and the memory in use with the
    /// mark, and records any alert that starts firing.
    pub fn sample(&mut self, l2: &L2, bucket_start: SimTime) {
        self.open_bucket = bucket_start + self.bucket;
        let now = l2.stats();
        let hits = now.keyspace_hits - self.last.keyspace_hits;
        let misses = now.keyspace_misses - self.last.keyspace_misses;
        let lookups = hits + misses;
        let used = l2.used_memory();
        let keys = l2.dbsize();
        self.peak_memory = self.peak_memory.max(used);
        self.peak_keys = self.peak_keys.max(keys);
        let time_s = bucket_start.as_secs_f64();
        let series = &mut self.series;
        series.t_s.push(time_s);
        series.keyspace_hits.push(hits);
        series.keyspace_misses.push(misses);
        series
            .hit_ratio
            .push((lookups > 0).then(|| hits as f64 / lookups as f64));
        series.used_memory_bytes.push(used);
        series.keys.push(keys);
        series
            .evicted_keys
            .push(now.evicted_keys - self.last.evicted_keys);
        series
            .expired_keys
            .push(now.expired_keys - self.last.expired_keys);
        self.last = now;
        let floor = self.thresholds.hit_ratio;
        if lookups > 0 && floor > 0.0 {
            let ratio = hits as f64 / lookups as f64;
            let alert = Alert {
                time_s,
                kind: AlertKind::HitRatioLow,
                value: ratio,
                threshold: floor,
            };
            Self::edge(
                &mut self.alerts,
                &mut self.hit_ratio_firing,
                ratio < floor,
                alert,
            );
        }
        let mark = self.thresholds.memory_mb;
        if mark > 0.0 {
            let mb = used as f64 / BYTES_PER_MB;
            let alert = Alert {
                time_s,
                kind: AlertKind::MemoryHigh,
                value: mb,
                threshold: mark,
            };
            Self::edge(&mut self.alerts, &mut self.memory_firing, mb > mark, alert);
        }
    }

    /// Records `alert` when its condition starts to hold (`firing` was false): one alert per
    /// episode, however many buckets it lasts.
    fn edge(alerts: &mut Vec<Alert>, firing: &mut bool, holds: bool, alert: Alert) {
        if holds && !*firing {
            alerts.push(alert);
        }
        *firing = holds;
    }

    /// For a bench that walks through its requests itself rather than on an executor: closes
    /// every bucket that ended at or before `now`. Called before the bench handles what happens
    /// at `now`, the counters then hold exactly the commands of those buckets.
    ///
    /// ```
    /// use cachelab::manager::{AlertThresholds, Monitor};
    /// use cachelab::sim::{SimDuration, SimTime};
    /// use cachelab::tiers::L2;
    /// let mut l2 = L2::new();
    /// let floor = AlertThresholds { hit_ratio: 0.5, memory_mb: 0.0 };
    /// let mut monitor = Monitor::new(SimDuration::from_secs(1), floor, &l2);
    /// l2.get(b"missing").unwrap(); // at 0.2 s: a miss in bucket [0 s, 1 s)
    /// monitor.catch_up(&l2, SimTime(2_500_000)); // closes [0, 1) and [1, 2)
    /// let report = monitor.finish(&l2);
    /// assert_eq!(report.alerts.len(), 1);
    /// assert_eq!(report.alerts[0].time_s, 0.0);
    /// ```
    pub fn catch_up(&mut self, l2: &L2, now: SimTime) {
        while self.open_bucket + self.bucket <= now {
            self.sample(l2, self.open_bucket);
        }
    }

    /// The monitoring section, with `l2`'s counters at the end of the run.
    pub fn finish(self, l2: &L2) -> Monitoring {
        let s = l2.stats();
        let lookups = s.keyspace_hits + s.keyspace_misses;
        Monitoring {
            hit_ratio: if lookups == 0 {
                0.0
            } else {
                s.keyspace_hits as f64 / lookups as f64
            },
            keyspace_hits: s.keyspace_hits,
            keyspace_misses: s.keyspace_misses,
            used_memory_bytes: l2.used_memory(),
            peak_used_memory_bytes: self.peak_memory.max(l2.used_memory()),
            keys: l2.dbsize(),
            peak_keys: self.peak_keys.max(l2.dbsize()),
            evicted_keys: s.evicted_keys,
            expired_keys: s.expired_keys,
            alerts: self.alerts,
            series: self.series,
        }
    }
}

/// Runs `exec` to the end, sampling `l2` with `monitor` at the end of every bucket that starts
/// before `horizon`, and returns the monitoring section. Work left after the horizon (the last
/// requests finishing) counts in the totals but gets no bucket of its own, as in the series.
///
/// ```
/// use cachelab::manager::{run_monitored, AlertThresholds, Monitor};
/// use cachelab::sim::{Executor, SimDuration, SimTime};
/// use cachelab::tiers::L2;
/// use std::{cell::RefCell, rc::Rc};
///
/// let exec = Executor::new();
/// let l2 = Rc::new(RefCell::new(L2::new()));
/// let (sim, store) = (exec.sim().clone(), l2.clone());
/// exec.sim().spawn_detached(async move {
///     for i in 0..30u32 {
///         sim.sleep(SimDuration::from_millis(100)).await;
///         let mut l2 = store.borrow_mut();
///         l2.advance_to(sim.now());
///         l2.set(&i.to_be_bytes(), &[0; 1_000], None).unwrap();
///     }
/// });
/// // Alert once the data passes 0.02 MB: each key holds about 1 KB.
/// let alerts = AlertThresholds { hit_ratio: 0.0, memory_mb: 0.02 };
/// let monitor = Monitor::new(SimDuration::from_secs(1), alerts, &l2.borrow());
/// let report = run_monitored(&exec, &l2, SimTime(3_000_000), monitor);
/// assert_eq!(report.keys, 30);
/// assert_eq!(report.alerts.len(), 1);
/// assert_eq!(report.alerts[0].time_s, 1.0); // the 19th key, written at 1.9 s, passes it
/// ```
pub fn run_monitored(
    exec: &Executor,
    l2: &RefCell<L2>,
    horizon: SimTime,
    mut monitor: Monitor,
) -> Monitoring {
    let width = monitor.bucket().as_micros();
    let buckets = horizon.as_micros().div_ceil(width);
    for i in 0..buckets {
        let start = SimTime(i * width);
        exec.run_until(SimTime(start.as_micros() + width));
        monitor.sample(&l2.borrow(), start);
    }
    exec.run();
    monitor.finish(&l2.borrow())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn thresholds(hit_ratio: f64) -> AlertThresholds {
        AlertThresholds {
            hit_ratio,
            memory_mb: 0.0,
        }
    }

    #[test]
    fn a_long_dip_is_one_alert_and_a_second_dip_another() {
        let mut l2 = L2::new();
        l2.set(b"k", b"v", None).unwrap();
        let mut monitor = Monitor::new(SimDuration::from_secs(1), thresholds(0.5), &l2);
        // Buckets: hit, miss, miss, (no reads), miss, hit, miss.
        let reads: [Option<&[u8]>; 7] = [
            Some(b"k"),
            Some(b"x"),
            Some(b"x"),
            None,
            Some(b"x"),
            Some(b"k"),
            Some(b"x"),
        ];
        for (i, read) in reads.iter().enumerate() {
            if let Some(key) = read {
                l2.get(key).unwrap();
            }
            monitor.sample(&l2, SimTime(i as u64 * 1_000_000));
        }
        let times: Vec<f64> = monitor
            .finish(&l2)
            .alerts
            .iter()
            .map(|a| a.time_s)
            .collect();
        assert_eq!(times, [1.0, 6.0]);
    }

    #[test]
    fn the_series_has_each_buckets_counters() {
        let mut l2 = L2::new();
        let mut monitor = Monitor::new(SimDuration::from_secs(1), thresholds(0.0), &l2);
        l2.set(b"k", b"v", None).unwrap();
        l2.get(b"k").unwrap();
        l2.get(b"x").unwrap();
        monitor.sample(&l2, SimTime::ZERO);
        monitor.sample(&l2, SimTime(1_000_000));
        l2.del(b"k");
        l2.get(b"k").unwrap();
        monitor.sample(&l2, SimTime(2_000_000));
        let s = monitor.finish(&l2).series;
        assert_eq!(s.t_s, [0.0, 1.0, 2.0]);
        assert_eq!(
            (s.keyspace_hits, s.keyspace_misses),
            (vec![1, 0, 0], vec![1, 0, 1])
        );
        assert_eq!(s.hit_ratio, [Some(0.5), None, Some(0.0)]);
        assert_eq!(s.keys, [1, 1, 0]);
        assert!(s.used_memory_bytes[0] > 0 && s.used_memory_bytes[2] == 0);
    }

    #[test]
    fn zero_thresholds_never_alert() {
        let mut l2 = L2::new();
        let mut monitor = Monitor::new(SimDuration::from_secs(1), thresholds(0.0), &l2);
        l2.set(b"k", &[0; 10_000], None).unwrap();
        l2.get(b"missing").unwrap();
        monitor.sample(&l2, SimTime::ZERO);
        let report = monitor.finish(&l2);
        assert!(report.alerts.is_empty());
        assert_eq!((report.keyspace_misses, report.keys), (1, 1));
    }
}
