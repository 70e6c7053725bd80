//! A redis-cli session over the model: what `cachelab console` and the page's console run.
//!
//! [`Console::line`] behaves as `redis-cli --no-raw` does when it reads commands from a pipe: a
//! blank line prints nothing; a line it cannot split prints `Invalid argument(s)`; a leading
//! number repeats the command (`3 INCR n`); `quit` and `exit` end the session; anything else is
//! sent to the model and the reply printed. Two things come from redis-cli's interactive mode:
//! a command (with its repeats) that took half a second or more of simulated time is followed
//! by its duration, `(0.60s)`; and `HELP`, `HELP command` and `HELP @group` are answered by the
//! console from the model's own command table (redis-cli answers from its built-in table). Its
//! `connect`, `clear` and `:set` lines are not emulated: here they are sent as commands.

use super::command::{command_help, not_modelled_names, CommandHelp, Group};
use super::{split_args, L2};
use crate::sim::SimDuration;
use serde::Serialize;

/// The most repetitions a leading number may ask for (redis-cli has no limit; the model keeps
/// a page responsive).
pub const MAX_REPEAT: i64 = 100_000;

/// What one input line produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineOutput {
    /// Exactly what redis-cli would print for the line (often nothing).
    pub text: Vec<u8>,
    /// True when the line ends the session (`quit`, `exit`).
    pub quit: bool,
}

/// One row of the page's key table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KeyRow {
    /// The key's name (bytes that are not UTF-8 shown as U+FFFD).
    pub key: String,
    /// What `TYPE` would answer.
    #[serde(rename = "type")]
    pub type_name: &'static str,
    /// Milliseconds left, or -1 for no TTL.
    pub ttl_ms: i64,
}

/// A redis-cli session over an [`L2`].
#[derive(Debug, Default)]
pub struct Console {
    l2: L2,
}

impl Console {
    /// A session over an empty model with default settings.
    pub fn new() -> Self {
        Self::default()
    }

    /// A session over `l2`.
    pub fn with_l2(l2: L2) -> Self {
        Console { l2 }
    }

    /// The model.
    pub fn l2(&self) -> &L2 {
        &self.l2
    }

    /// Runs one line as redis-cli would and returns what it would print.
    ///
    /// ```
    /// use cachelab::tiers::l2::Console;
    /// let mut c = Console::new();
    /// assert_eq!(c.line(b"SET n 10").text, b"OK\n");
    /// assert_eq!(c.line(b"2 INCR n").text, b"(integer) 11\n(integer) 12\n");
    /// assert_eq!(c.line(b"GET 'n").text, b"Invalid argument(s)\n");
    /// assert_eq!(c.line(b"   ").text, b"");
    /// assert!(c.line(b"quit").quit);
    /// ```
    pub fn line(&mut self, line: &[u8]) -> LineOutput {
        let mut out = LineOutput {
            text: Vec::new(),
            quit: false,
        };
        let args = match split_args(line) {
            Ok(args) => args,
            Err(e) => {
                out.text = format!("{e}\n").into_bytes();
                return out;
            }
        };
        let Some(first) = args.first() else {
            return out;
        };
        if first.eq_ignore_ascii_case(b"quit") || first.eq_ignore_ascii_case(b"exit") {
            out.quit = true;
            return out;
        }
        if first.eq_ignore_ascii_case(b"help") {
            out.text = help_text(args.get(1).map(|a| &a[..])).into_bytes();
            return out;
        }
        let (repeat, command) = match repeat_count(&args) {
            Some(Ok(n)) => (n, &args[1..]),
            Some(Err(())) => {
                out.text = b"Invalid redis-cli repeat command option value.\n".to_vec();
                return out;
            }
            None => (1, &args[..]),
        };
        let before = self.l2.now();
        for _ in 0..repeat {
            out.text.extend(self.l2.exec_args(command).to_cli());
        }
        // redis-cli measures in whole milliseconds and prints from 500 ms on.
        let elapsed_ms = (self.l2.now() - before).as_micros() / 1_000;
        if elapsed_ms >= 500 {
            out.text
                .extend(format!("({:.2}s)\n", elapsed_ms as f64 / 1e3).into_bytes());
        }
        out
    }

    /// redis-cli's prompt: the database when not 0, and `(TX)` inside MULTI.
    ///
    /// ```
    /// use cachelab::tiers::l2::Console;
    /// let mut c = Console::new();
    /// c.line(b"SELECT 2");
    /// c.line(b"MULTI");
    /// assert_eq!(c.prompt(), "127.0.0.1:6379[2](TX)> ");
    /// ```
    pub fn prompt(&self) -> String {
        let db = match self.l2.selected_db() {
            0 => String::new(),
            n => format!("[{n}]"),
        };
        let tx = if self.l2.in_transaction() { "(TX)" } else { "" };
        format!("127.0.0.1:6379{db}{tx}> ")
    }

    /// Runs one line and returns its output as text without the final newline (for the page).
    pub fn exec(&mut self, line: &str) -> String {
        let text = String::from_utf8_lossy(&self.line(line.as_bytes()).text).into_owned();
        text.strip_suffix('\n').map(str::to_string).unwrap_or(text)
    }

    /// Moves simulated time forward by `ms` milliseconds (negative or NaN: not at all).
    pub fn advance_ms(&mut self, ms: f64) {
        let d = SimDuration::from_secs_f64(ms / 1e3);
        self.l2.advance_to(self.l2.now() + d);
    }

    /// The live keys, sorted, with their type and remaining TTL (reading them changes nothing).
    pub fn keys(&self) -> Vec<KeyRow> {
        self.l2.key_rows()
    }
}

/// The console's `HELP` text: an overview, one command (`HELP set`) or a family (`HELP @list`).
pub fn help_text(topic: Option<&[u8]>) -> String {
    let all: Vec<CommandHelp> = command_help().collect();
    let block = |c: &CommandHelp| {
        format!(
            "\n  {} {}\n  summary: {}\n  group: {}\n",
            c.name.to_ascii_uppercase(),
            c.syntax,
            c.summary,
            c.group.name()
        )
    };
    let Some(topic) = topic else {
        let mut out = format!(
            "This console runs cachelab's model of Redis 7.0 on simulated time: {} commands.\n\
             Type HELP <command> for one of them, or HELP @<group> for a family:\n",
            all.len()
        );
        for group in Group::ALL {
            let names: Vec<String> = all
                .iter()
                .filter(|c| c.group == group)
                .map(|c| c.name.to_ascii_uppercase())
                .collect();
            out.push_str(&format!("  @{}: {}\n", group.name(), names.join(" ")));
        }
        out.push_str(&format!(
            "Not modelled, answered with an error that says why: {}\n\
             Simulated time moves only with DEBUG SLEEP, a BLPOP/BRPOP timeout or the page's buttons.\n",
            not_modelled_names().join(" ")
        ));
        return out;
    };
    let text = String::from_utf8_lossy(topic).to_ascii_lowercase();
    if let Some(group) = text.strip_prefix('@') {
        let blocks: String = all
            .iter()
            .filter(|c| c.group.name() == group)
            .map(block)
            .collect();
        if !blocks.is_empty() {
            return blocks;
        }
    } else if let Some(c) = all.iter().find(|c| c.name == text) {
        return block(c);
    }
    format!("No help for '{text}': the playground does not know it. Type HELP for the list.\n")
}

/// redis-cli's repeat prefix: `Some(Ok(n))` when the first of several words is a whole number
/// (`Some(Err)` if it is not a usable count), `None` when there is no prefix.
fn repeat_count(args: &[Vec<u8>]) -> Option<Result<i64, ()>> {
    let first = args.first()?;
    if args.len() < 2 {
        return None;
    }
    // strtol: optional blanks and sign, then digits; the whole word must be consumed.
    let text = std::str::from_utf8(first).ok()?;
    let trimmed = text.trim_start();
    let unsigned = trimmed.strip_prefix(['+', '-']).unwrap_or(trimmed);
    if !unsigned.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if unsigned.is_empty() {
        // strtol read nothing, so the end pointer is at the end only for an empty word.
        return text.is_empty().then_some(Err(()));
    }
    match trimmed.parse::<i64>() {
        Ok(n) if (1..=MAX_REPEAT).contains(&n) => Some(Ok(n)),
        _ => Some(Err(())),
    }
}

impl L2 {
    /// The live keys, sorted, as rows for a key table.
    pub fn key_rows(&self) -> Vec<KeyRow> {
        let mut rows: Vec<KeyRow> = self
            .db
            .slots()
            .filter(|&i| !self.is_expired(i))
            .map(|i| {
                let e = self.db.entry(i);
                KeyRow {
                    key: String::from_utf8_lossy(self.db.key(i)).into_owned(),
                    type_name: e.value.type_name(),
                    ttl_ms: e
                        .expires_at
                        .map_or(-1, |d| (self.remaining_us(d) / 1_000) as i64),
                }
            })
            .collect();
        rows.sort_by(|a, b| a.key.cmp(&b.key));
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeat_prefix_follows_redis_cli() {
        let mut c = Console::new();
        assert_eq!(c.line(b"3 PING").text, b"PONG\nPONG\nPONG\n");
        assert_eq!(
            c.line(b"0 PING").text,
            b"Invalid redis-cli repeat command option value.\n"
        );
        assert_eq!(
            c.line(b"\"\" PING").text,
            b"Invalid redis-cli repeat command option value.\n"
        );
        // A lone number is a command, not a count.
        assert!(c
            .line(b"3")
            .text
            .starts_with(b"(error) ERR unknown command '3'"));
        assert!(c
            .line(b"3x PING")
            .text
            .starts_with(b"(error) ERR unknown command '3x'"));
    }

    #[test]
    fn slow_commands_print_their_duration_like_redis_cli() {
        let mut c = Console::new();
        assert_eq!(c.line(b"DEBUG SLEEP 0.6").text, b"OK\n(0.60s)\n");
        assert_eq!(c.line(b"DEBUG SLEEP 0.4").text, b"OK\n");
        assert_eq!(c.line(b"2 DEBUG SLEEP 0.3").text, b"OK\nOK\n(0.60s)\n");
        assert_eq!(c.line(b"BLPOP q 1.5").text, b"(nil)\n(1.50s)\n");
    }

    #[test]
    fn help_comes_from_the_command_table() {
        let mut c = Console::new();
        let all = String::from_utf8(c.line(b"HELP").text).unwrap();
        assert!(all.contains("@list: LPUSH RPUSH"), "{all}");
        assert!(all.contains("EVAL"), "{all}");
        let set = String::from_utf8(c.line(b"help SET").text).unwrap();
        assert!(set.starts_with("\n  SET key value [NX|XX]"), "{set}");
        assert!(set.contains("group: string"));
        let tx = String::from_utf8(c.line(b"HELP @transactions").text).unwrap();
        assert!(tx.contains("MULTI") && tx.contains("WATCH"));
        assert!(String::from_utf8(c.line(b"HELP nope").text)
            .unwrap()
            .starts_with("No help for 'nope'"));
    }

    #[test]
    fn key_rows_show_type_and_ttl_without_touching() {
        let mut c = Console::new();
        c.line(b"SET a 1 PX 1500");
        c.line(b"SADD s x");
        c.advance_ms(500.0);
        let rows = c.keys();
        assert_eq!(
            rows,
            vec![
                KeyRow {
                    key: "a".into(),
                    type_name: "string",
                    ttl_ms: 1000
                },
                KeyRow {
                    key: "s".into(),
                    type_name: "set",
                    ttl_ms: -1
                },
            ]
        );
        assert_eq!(c.l2().stats().keyspace_hits, 0);
        c.advance_ms(2_000.0);
        assert_eq!(c.keys().len(), 1);
        assert_eq!(c.exec("TTL a"), "(integer) -2");
    }
}
