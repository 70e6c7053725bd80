//! The chapter's cache manager, piece by piece: keys for cached functions ([`function_key`], and
//! the decorator's key schemes compared in [`Call::key`]),
//! typed values that survive schema changes ([`encode`], [`decode`]), and the cache-aside read
//! over any store ([`remember`], [`cached_call`]), tags that flush groups of keys ([`Tags`]), and
//! a monitor of the shared cache's counters with alerts ([`Monitor`]).

mod call_key;
mod key;
mod monitor;
mod remember;
mod tags;
mod typed;

pub use call_key::{
    birthday_bound, call_keys, call_keys_text, collision_probability, find_function, function_list,
    parse_call, split_call, Call, CallKeys, FunctionInfo, KeyScheme, PyFunction, PyValue,
    SchemeKey, CHAPTER_DIGEST_HEX, FULL_DIGEST_HEX, FUNCTIONS, SCHEMES,
};
pub use key::{function_key, DIGEST_HEX_LEN};
pub use monitor::{
    run_monitored, Alert, AlertKind, AlertThresholds, Monitor, Monitoring, MonitoringSeries,
};
pub use remember::{cached_call, remember, Recalled, Remembered};
pub use tags::{Tags, PRUNE_FLOOR};
pub use typed::{decode, encode, Decoded, Schema};
