//! Server commands: PING ECHO INFO CONFIG DEBUG.

use super::args::{c_str, glob_match, is, is_name, parse_i64, strtod};
use super::{arity_error, arity_ok, for_error};
use crate::sim::SimDuration;
use crate::tiers::l2::{info::info_text, MaxmemoryPolicy, Reply, DATABASES, L2};

/// `PING [message]`.
pub fn ping(_l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    match args {
        [_] => Reply::Status("PONG"),
        [_, message] => Reply::bulk(message),
        _ => arity_error("ping"),
    }
}

/// `ECHO message`.
pub fn echo(_l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    Reply::bulk(&args[1])
}

/// `SELECT index`: one of [`DATABASES`] databases.
pub fn select(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    let Some(n) = parse_i64(&args[1]) else {
        return Reply::err("value is not an integer or out of range");
    };
    match usize::try_from(n) {
        Ok(n) if n < DATABASES => {
            l2.select_db(n);
            Reply::OK
        }
        _ => Reply::err("DB index is out of range"),
    }
}

/// `TIME`: the simulated clock as Unix seconds and microseconds (see `L2Config::epoch_ms`).
pub fn time(l2: &mut L2, _args: &[Vec<u8>]) -> Reply {
    let us = l2.config.epoch_ms as u128 * 1_000 + l2.now.as_micros() as u128;
    Reply::bulks([(us / 1_000_000).to_string(), (us % 1_000_000).to_string()])
}

/// `COMMAND COUNT`: how many commands the model knows (real Redis 7.0 knows about 240).
pub fn command(_l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    match &args[1..] {
        [sub] if is_name(sub, "count") => Reply::Int(super::command_names().count() as i64),
        [] => {
            Reply::err("the playground answers only COMMAND COUNT; type HELP for its command table")
        }
        [sub, ..] => Reply::err(format!(
            "unknown subcommand '{}'. Try COMMAND HELP.",
            for_error(sub, 128)
        )),
    }
}

/// `CLIENT SETNAME name` and `CLIENT GETNAME` (the console is the only client).
pub fn client(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    let sub = &args[1];
    if is_name(sub, "setname") {
        let [_, _, name] = args else {
            return arity_error("client|setname");
        };
        if name.iter().any(|&b| !(b'!'..=b'~').contains(&b)) {
            return Reply::err(
                "Client names cannot contain spaces, newlines or special characters.",
            );
        }
        l2.client.name = (!name.is_empty()).then(|| name.clone());
        Reply::OK
    } else if is_name(sub, "getname") {
        if args.len() != 2 {
            return arity_error("client|getname");
        }
        l2.client.name.as_ref().map_or(Reply::Nil, Reply::bulk)
    } else {
        Reply::err(format!(
            "unknown subcommand '{}'. Try CLIENT HELP.",
            for_error(sub, 128)
        ))
    }
}

/// `INFO [section...]`.
pub fn info(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    Reply::Raw(info_text(l2, &args[1..]))
}

/// The settings CONFIG GET and CONFIG SET know: the model's own, then those whose value the
/// playground fixes (see [`FIXED`]).
const PARAMS: [&str; 10] = [
    "maxmemory",
    "maxmemory-policy",
    "maxmemory-samples",
    "lfu-log-factor",
    "lfu-decay-time",
    "maxmemory-clients",
    "maxmemory-eviction-tenacity",
    "hz",
    "save",
    "appendonly",
];

/// Settings that exist so that a learner's `CONFIG GET` and copied `CONFIG SET` lines work, but
/// whose value the model cannot change: `(name, value, why)`. Setting the value shown succeeds;
/// any other valid value is refused with `why`.
const FIXED: [(&str, &str, &str); 5] = [
    (
        "maxmemory-clients",
        "0",
        "the playground does not model client buffers, so it has no client memory to limit",
    ),
    (
        "maxmemory-eviction-tenacity",
        "10",
        "the playground evicts until under maxmemory in one go; it does not model Redis's time budget for eviction",
    ),
    (
        "hz",
        "10",
        "the playground runs the active expiry cycle 10 times per simulated second and does not model other rates",
    ),
    (
        "save",
        "",
        "the playground keeps data in memory only and does not model RDB snapshots",
    ),
    (
        "appendonly",
        "no",
        "the playground keeps data in memory only and does not model the append-only file",
    ),
];

fn param_value(l2: &L2, name: &str) -> String {
    let c = &l2.config;
    match name {
        "maxmemory" => c.maxmemory.to_string(),
        "maxmemory-policy" => c.policy.name().to_string(),
        "maxmemory-samples" => c.samples.to_string(),
        "lfu-log-factor" => c.lfu_log_factor.to_string(),
        "lfu-decay-time" => c.lfu_decay_time.to_string(),
        fixed => FIXED
            .iter()
            .find(|(n, ..)| *n == fixed)
            .map_or("", |(_, v, _)| v)
            .to_string(),
    }
}

/// Redis's `memtoull`: digits with an optional unit (`b`, `k`, `kb`, `m`, `mb`, `g`, `gb`).
fn parse_memory(arg: &[u8]) -> Option<u64> {
    let digits = arg.iter().take_while(|b| b.is_ascii_digit()).count();
    let unit = std::str::from_utf8(&arg[digits..])
        .ok()?
        .to_ascii_lowercase();
    let multiplier: u64 = match unit.as_str() {
        "" | "b" => 1,
        "k" => 1_000,
        "kb" => 1_024,
        "m" => 1_000_000,
        "mb" => 1 << 20,
        "g" => 1_000_000_000,
        "gb" => 1 << 30,
        _ => return None,
    };
    let n: u64 = if digits == 0 {
        0
    } else {
        std::str::from_utf8(&arg[..digits]).ok()?.parse().ok()?
    };
    n.checked_mul(multiplier)
}

/// How a validated CONFIG SET pair changes the model.
type Apply = Box<dyn FnOnce(&mut L2)>;

/// An integer setting within `min..=max`, with Redis's two error texts.
fn int_in(arg: &[u8], min: i64, max: i64) -> Result<u32, String> {
    let n = parse_i64(arg).ok_or("argument couldn't be parsed into an integer")?;
    if !(min..=max).contains(&n) {
        return Err(format!(
            "argument must be between {min} and {max} inclusive"
        ));
    }
    Ok(n as u32)
}

/// Validates one CONFIG SET pair (Redis's checks, then the playground's for fixed settings) and
/// returns how to apply it.
fn validate(name: &str, value: &[u8]) -> Result<Apply, String> {
    const INT_MAX: i64 = i32::MAX as i64;
    let setting: Apply = match name {
        "maxmemory" => {
            let n = parse_memory(value).ok_or("argument must be a memory value")?;
            Box::new(move |l2: &mut L2| l2.config.maxmemory = n)
        }
        "maxmemory-policy" => {
            let text = String::from_utf8_lossy(value);
            let p = MaxmemoryPolicy::from_name(&text).ok_or_else(|| {
                let names: Vec<_> = MaxmemoryPolicy::ALL.iter().map(|p| p.name()).collect();
                format!(
                    "argument(s) must be one of the following: {}",
                    names.join(", ")
                )
            })?;
            Box::new(move |l2: &mut L2| {
                l2.config.policy = p;
                l2.evict.clear_pool();
            })
        }
        "maxmemory-samples" => {
            let n = int_in(value, 1, INT_MAX)?;
            Box::new(move |l2: &mut L2| l2.config.samples = n)
        }
        "lfu-log-factor" => {
            let n = int_in(value, 0, INT_MAX)?;
            Box::new(move |l2: &mut L2| l2.config.lfu_log_factor = n)
        }
        "lfu-decay-time" => {
            let n = int_in(value, 0, INT_MAX)?;
            Box::new(move |l2: &mut L2| l2.config.lfu_decay_time = n)
        }
        fixed => {
            let Some((_, shown, why)) = FIXED.iter().find(|(n, ..)| *n == fixed) else {
                return Err("argument is not a setting of the playground".into());
            };
            // Redis's own check first, so a malformed value gets Redis's error.
            let same = match fixed {
                "maxmemory-clients" => {
                    parse_memory(value).ok_or("argument must be a memory value")? == 0
                }
                "maxmemory-eviction-tenacity" => int_in(value, 0, 100)? == 10,
                "hz" => {
                    // Redis clamps hz into 1..=500 after the range check.
                    int_in(value, 0, INT_MAX)?.clamp(1, 500) == 10
                }
                "appendonly" => {
                    let v = String::from_utf8_lossy(value).to_ascii_lowercase();
                    if v != "yes" && v != "no" {
                        return Err("argument must be 'yes' or 'no'".into());
                    }
                    v == "no"
                }
                _ => value.is_empty(),
            };
            if !same {
                return Err(format!("{why} (it stays {shown:?})"));
            }
            Box::new(|_: &mut L2| {})
        }
    };
    Ok(setting)
}

/// `CONFIG GET pattern...`, `CONFIG SET name value [name value...]`, `CONFIG RESETSTAT`.
pub fn config(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    let sub = &args[1];
    let (full_name, arity) = match () {
        _ if is_name(sub, "get") => ("config|get", -3),
        _ if is_name(sub, "set") => ("config|set", -4),
        _ if is_name(sub, "resetstat") => ("config|resetstat", 2),
        _ => {
            return Reply::err(format!(
                "unknown subcommand '{}'. Try CONFIG HELP.",
                for_error(sub, 128)
            ))
        }
    };
    if !arity_ok(arity, args.len()) {
        return arity_error(full_name);
    }
    if full_name == "config|set" && args.len() % 2 == 1 {
        return super::args::syntax_error();
    }
    match full_name {
        "config|get" => config_get(l2, &args[2..]),
        "config|set" => config_set(l2, &args[2..]),
        _ => {
            l2.stats = Default::default();
            Reply::OK
        }
    }
}

/// The setting named `arg` (ignoring case), if the model has it.
fn param_named(arg: &[u8]) -> Option<&'static str> {
    PARAMS.into_iter().find(|p| is_name(arg, p))
}

/// Redis's `configGetCommand`: a name without glob characters is looked up and echoed as typed;
/// a pattern matches names ignoring case. Each setting appears once.
fn config_get(l2: &L2, patterns: &[Vec<u8>]) -> Reply {
    let mut matched: Vec<(Vec<u8>, &str)> = Vec::new();
    for p in patterns {
        let is_glob = p.iter().any(|b| matches!(b, b'[' | b'*' | b'?'));
        if !is_glob {
            if let Some(name) = param_named(p) {
                if matched.iter().all(|(_, n)| *n != name) {
                    matched.push((p.clone(), name));
                }
            }
            continue;
        }
        let lower = p.to_ascii_lowercase();
        for name in PARAMS {
            if matched.iter().all(|(_, n)| *n != name) && glob_match(&lower, name.as_bytes()) {
                matched.push((name.as_bytes().to_vec(), name));
            }
        }
    }
    let mut out = Vec::new();
    for (shown, name) in matched {
        out.push(Reply::bulk(shown));
        out.push(Reply::bulk(param_value(l2, name)));
    }
    Reply::Array(out)
}

/// Redis's `configSetCommand`: the first unknown or repeated name in argument order refuses the
/// whole command; then each value is checked in order, and only if all pass are they applied.
fn config_set(l2: &mut L2, pairs: &[Vec<u8>]) -> Reply {
    let mut names: Vec<&str> = Vec::new();
    for pair in pairs.chunks_exact(2) {
        let Some(name) = param_named(&pair[0]) else {
            return Reply::err(format!(
                "Unknown option or number of arguments for CONFIG SET - '{}'",
                for_error(&pair[0], usize::MAX)
            ));
        };
        if names.contains(&name) {
            return Reply::err(format!(
                "CONFIG SET failed (possibly related to argument '{}') - duplicate parameter",
                for_error(&pair[0], usize::MAX)
            ));
        }
        names.push(name);
    }
    let mut settings = Vec::new();
    for (name, pair) in names.iter().zip(pairs.chunks_exact(2)) {
        match validate(name, &pair[1]) {
            Ok(apply) => settings.push(apply),
            Err(why) => {
                return Reply::err(format!(
                    "CONFIG SET failed (possibly related to argument '{name}') - {why}"
                ))
            }
        }
    }
    for apply in settings {
        apply(l2);
    }
    Reply::OK
}

/// The longest DEBUG SLEEP the model performs: 100 years of simulated time.
const MAX_SLEEP_SECS: f64 = 100.0 * 365.0 * 86_400.0;

/// `DEBUG SLEEP seconds`: moves the simulated clock forward (the real server blocks instead).
pub fn debug(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    match args {
        [_, sub, seconds] if is(sub, "sleep") => {
            let s = strtod(c_str(seconds)).0;
            // Redis truncates to whole microseconds; negative and NaN sleep for no time.
            let s = if s.is_nan() {
                0.0
            } else {
                s.clamp(0.0, MAX_SLEEP_SECS)
            };
            let us = (s * 1e6) as u64;
            l2.sleep(SimDuration::from_micros(us));
            Reply::OK
        }
        _ => Reply::err(format!(
            "unknown subcommand or wrong number of arguments for '{}'. Try DEBUG HELP.",
            for_error(&args[1], 128)
        )),
    }
}
