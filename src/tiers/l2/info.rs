//! The `INFO` text: the sections `stats`, `memory` and `keyspace`, in Redis's format (`# Name`
//! headers, `field:value` lines ending in `\r\n`, a blank line between sections). Only the fields
//! listed here exist; `avg_ttl` is the exact mean of the remaining TTLs in milliseconds, where
//! Redis keeps a running estimate.

use super::L2;

/// The sections the model has, in Redis's order.
const SECTIONS: [&str; 3] = ["memory", "stats", "keyspace"];

/// The INFO text for the requested section names (none, `default`, `all` or `everything`: all of
/// them). Unknown names contribute nothing, as in Redis.
pub(super) fn info_text(l2: &L2, requested: &[Vec<u8>]) -> String {
    let wants = |section: &str| {
        requested.is_empty()
            || requested.iter().any(|r| {
                ["default", "all", "everything", section]
                    .iter()
                    .any(|name| r.eq_ignore_ascii_case(name.as_bytes()))
            })
    };
    let mut out = String::new();
    for section in SECTIONS.into_iter().filter(|s| wants(s)) {
        if !out.is_empty() {
            out.push_str("\r\n");
        }
        let body = match section {
            "memory" => memory(l2),
            "stats" => stats(l2),
            _ => keyspace(l2),
        };
        out.push_str(&body);
    }
    out
}

fn lines(title: &str, fields: &[(&str, String)]) -> String {
    let mut out = format!("# {title}\r\n");
    for (name, value) in fields {
        out.push_str(&format!("{name}:{value}\r\n"));
    }
    out
}

fn memory(l2: &L2) -> String {
    lines(
        "Memory",
        &[
            ("used_memory", l2.used_memory.to_string()),
            ("maxmemory", l2.config.maxmemory.to_string()),
            ("maxmemory_policy", l2.config.policy.name().to_string()),
        ],
    )
}

fn stats(l2: &L2) -> String {
    let s = l2.stats;
    lines(
        "Stats",
        &[
            ("expired_keys", s.expired_keys.to_string()),
            ("evicted_keys", s.evicted_keys.to_string()),
            ("keyspace_hits", s.keyspace_hits.to_string()),
            ("keyspace_misses", s.keyspace_misses.to_string()),
        ],
    )
}

fn keyspace(l2: &L2) -> String {
    let mut out = String::from("# Keyspace\r\n");
    for n in 0..super::DATABASES {
        let Some(db) = l2.db_at(n).filter(|d| d.len() > 0) else {
            continue;
        };
        let (keys, expires) = (db.len(), db.volatile_len());
        let total_ms: u128 = (0..expires)
            .filter_map(|j| db.entry(db.volatile_slot(j)).expires_at)
            .map(|d| (l2.remaining_us(d) / 1_000) as u128)
            .sum();
        let avg_ttl = if expires == 0 {
            0
        } else {
            total_ms / expires as u128
        };
        out.push_str(&format!(
            "db{n}:keys={keys},expires={expires},avg_ttl={avg_ttl}\r\n"
        ));
    }
    out
}
