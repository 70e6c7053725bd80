//! Server commands: PING ECHO INFO CONFIG DEBUG.

use super::args::{is, parse_i64};
use super::{arity_error, arity_ok, for_error};
use crate::sim::SimDuration;
use crate::tiers::l2::{info::info_text, MaxmemoryPolicy, Reply, L2};

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

/// `INFO [section...]`.
pub fn info(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    Reply::Raw(info_text(l2, &args[1..]))
}

/// The settings CONFIG GET and CONFIG SET know.
const PARAMS: [&str; 5] = [
    "maxmemory",
    "maxmemory-policy",
    "maxmemory-samples",
    "lfu-log-factor",
    "lfu-decay-time",
];

fn param_value(l2: &L2, name: &str) -> String {
    let c = &l2.config;
    match name {
        "maxmemory" => c.maxmemory.to_string(),
        "maxmemory-policy" => c.policy.name().to_string(),
        "maxmemory-samples" => c.samples.to_string(),
        "lfu-log-factor" => c.lfu_log_factor.to_string(),
        _ => c.lfu_decay_time.to_string(),
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

fn int_in(arg: &[u8], max: i64) -> Result<u32, String> {
    let n = parse_i64(arg).ok_or("argument couldn't be parsed into an integer")?;
    let min = 0;
    if !(min..=max).contains(&n) {
        return Err(format!(
            "argument must be between {min} and {max} inclusive"
        ));
    }
    Ok(n as u32)
}

/// Validates one CONFIG SET pair and returns how to apply it.
fn validate(name: &str, value: &[u8]) -> Result<impl FnOnce(&mut L2), String> {
    const INT_MAX: i64 = i32::MAX as i64;
    let setting: Box<dyn FnOnce(&mut L2)> = match name {
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
            let n = int_in(value, INT_MAX)?;
            if n == 0 {
                return Err(format!(
                    "argument must be between 1 and {INT_MAX} inclusive"
                ));
            }
            Box::new(move |l2: &mut L2| l2.config.samples = n)
        }
        "lfu-log-factor" => {
            let n = int_in(value, INT_MAX)?;
            Box::new(move |l2: &mut L2| l2.config.lfu_log_factor = n)
        }
        _ => {
            let n = int_in(value, INT_MAX)?;
            Box::new(move |l2: &mut L2| l2.config.lfu_decay_time = n)
        }
    };
    Ok(setting)
}

/// `CONFIG GET pattern...`, `CONFIG SET name value [name value...]`, `CONFIG RESETSTAT`.
pub fn config(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    let sub = &args[1];
    let (full_name, arity) = match () {
        _ if is(sub, "get") => ("config|get", -3),
        _ if is(sub, "set") => ("config|set", -4),
        _ if is(sub, "resetstat") => ("config|resetstat", 2),
        _ => {
            return Reply::err(format!(
                "unknown subcommand '{}'. Try CONFIG HELP.",
                for_error(sub, 128)
            ))
        }
    };
    if !arity_ok(arity, args.len()) || (full_name == "config|set" && args.len() % 2 == 1) {
        return arity_error(full_name);
    }
    match full_name {
        "config|get" => {
            let mut out = Vec::new();
            for name in PARAMS {
                if args[2..]
                    .iter()
                    .any(|p| super::args::glob_match(&p.to_ascii_lowercase(), name.as_bytes()))
                {
                    out.push(Reply::bulk(name));
                    out.push(Reply::bulk(param_value(l2, name)));
                }
            }
            Reply::Array(out)
        }
        "config|set" => {
            let mut settings = Vec::new();
            for pair in args[2..].chunks_exact(2) {
                let name = String::from_utf8_lossy(&pair[0]).to_ascii_lowercase();
                if !PARAMS.contains(&name.as_str()) {
                    return Reply::err(format!(
                        "Unknown option or number of arguments for CONFIG SET - '{}'",
                        for_error(&pair[0], usize::MAX)
                    ));
                }
                match validate(&name, &pair[1]) {
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
        _ => {
            l2.stats = Default::default();
            Reply::OK
        }
    }
}

/// C's `strtod` on a prefix: the longest leading part that is a number (0 if none).
fn strtod_prefix(arg: &[u8]) -> f64 {
    let text = String::from_utf8_lossy(arg);
    let text = text.trim_start();
    (1..=text.len().min(64))
        .rev()
        .filter(|&n| text.is_char_boundary(n))
        .find_map(|n| text[..n].parse::<f64>().ok())
        .unwrap_or(0.0)
}

/// The longest DEBUG SLEEP the model performs: 100 years of simulated time.
const MAX_SLEEP_SECS: f64 = 100.0 * 365.0 * 86_400.0;

/// `DEBUG SLEEP seconds`: moves the simulated clock forward (the real server blocks instead).
pub fn debug(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    match args {
        [_, sub, seconds] if is(sub, "sleep") => {
            let s = strtod_prefix(seconds);
            // Redis truncates to whole microseconds; negative and NaN sleep for no time.
            let s = if s.is_nan() {
                0.0
            } else {
                s.clamp(0.0, MAX_SLEEP_SECS)
            };
            let us = (s * 1e6) as u64;
            l2.advance_to(l2.now + SimDuration::from_micros(us));
            Reply::OK
        }
        _ => Reply::err(format!(
            "unknown subcommand or wrong number of arguments for '{}'. Try DEBUG HELP.",
            for_error(&args[1], 128)
        )),
    }
}
