//! The report of one variant: what every run measures (headline numbers, series, the busiest
//! keys, the monitor's view, step mode's events), what the lab bench measures when a scenario
//! asks for it (a traced hot key, reads for missing keys, a Bloom filter), and the scenario's own
//! numbers as one tagged [`Section`]. The lab bench and the faces read reports through this
//! type and never name a scenario.

use super::catalog::{Section, SectionOf};
use crate::manager::Monitoring;
use crate::metrics::{Event, HotKeyReport, MissingKeysReport, Series, Summary};
use serde::Serialize;

/// A Bloom filter's size and how it did on keys that do not exist.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BloomReport {
    /// Size in bits.
    pub bits: u64,
    /// Probes per key.
    pub hashes: u32,
    /// The textbook false-positive rate for its size and contents.
    pub expected_fpr: f64,
    /// Share of lookups for missing keys that it let through.
    pub measured_fpr: f64,
    /// Lookups for missing keys.
    pub missing_checked: u64,
    /// Of those, let through to the database.
    pub missing_passed: u64,
}

/// One variant's results.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct VariantReport {
    /// The variant.
    pub name: String,
    /// Headline numbers.
    pub summary: Summary,
    /// Per-bucket numbers.
    pub series: Series,
    /// The traced hot key's loads per expiry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hot_key: Option<HotKeyReport>,
    /// Reads for keys that do not exist.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missing_keys: Option<MissingKeysReport>,
    /// The Bloom filter's false-positive rate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bloom: Option<BloomReport>,
    /// The keys the database was queried for most, busiest first.
    pub db_busiest_keys: Vec<KeyQueries>,
    /// Step mode: the first events of the run in time order (absent unless asked for).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<Event>,
    /// The shared cache's counters and alerts, as a monitor polling `INFO` saw them (every lab
    /// run has it; a custom runner fills it with [`crate::manager::run_monitored`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub monitoring: Option<Monitoring>,
    /// The scenario's own section, if it has one, under the scenario's key (`"tags": {..}`,
    /// `"consistency": {..}`, …; see [`Section`]).
    #[serde(flatten)]
    pub section: Option<Section>,
}

impl VariantReport {
    /// A report with only the headline numbers and series; a bench fills in what it has with
    /// struct update syntax (`VariantReport { section: Some(tags.into()), ..basic }`).
    pub(crate) fn basic(name: &str, summary: Summary, series: Series) -> VariantReport {
        VariantReport {
            name: name.to_string(),
            summary,
            series,
            hot_key: None,
            missing_keys: None,
            bloom: None,
            db_busiest_keys: Vec::new(),
            events: Vec::new(),
            monitoring: None,
            section: None,
        }
    }

    /// The scenario's own section of type `T` (say [`super::TagsReport`]), if this variant's
    /// report has one.
    ///
    /// ```
    /// use cachelab::scenario::{run, ConsistencyReport, TagsReport};
    /// let quick = [("duration_s".to_string(), "2".to_string())];
    /// let report = run("consistency", &quick, 1).unwrap();
    /// assert!(report.variants[0].section::<ConsistencyReport>().is_some());
    /// assert!(report.variants[0].section::<TagsReport>().is_none());
    /// ```
    pub fn section<T: SectionOf>(&self) -> Option<&T> {
        self.section.as_ref().and_then(T::of)
    }
}

/// Database queries for one key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct KeyQueries {
    /// The key.
    pub key: u64,
    /// Queries issued for it.
    pub queries: u64,
}
