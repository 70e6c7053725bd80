//! Argument parsing shared by the commands, with Redis's rules and error texts.

use super::super::Reply;

/// `ERR syntax error`.
pub fn syntax_error() -> Reply {
    Reply::err("syntax error")
}

/// `WRONGTYPE ...`.
pub fn wrong_type() -> Reply {
    super::super::L2Error::WrongType.into()
}

/// `ERR value is not an integer or out of range`.
pub fn not_an_integer() -> Reply {
    Reply::err("value is not an integer or out of range")
}

/// True if `arg` is `word`, ignoring ASCII case, compared as C's `strcasecmp` compares: up to
/// the first NUL byte. Redis reads options this way, so `"NX\x00zz"` is the option `NX`.
pub fn is(arg: &[u8], word: &str) -> bool {
    c_str(arg).eq_ignore_ascii_case(word.as_bytes())
}

/// True if `arg` is `name` over its whole length, ignoring ASCII case: how Redis finds commands
/// and subcommands (a dictionary of length-aware strings, where a NUL byte is just a byte).
pub fn is_name(arg: &[u8], name: &str) -> bool {
    arg.eq_ignore_ascii_case(name.as_bytes())
}

/// The bytes up to the first NUL (all of them if there is none): what C's string functions see.
pub fn c_str(arg: &[u8]) -> &[u8] {
    arg.iter()
        .position(|&b| b == 0)
        .map_or(arg, |end| &arg[..end])
}

/// Redis's `string2ll`: an optional `-`, then digits without leading zeros; no `+`, no blanks.
///
/// ```
/// use cachelab::tiers::l2::parse_i64;
/// assert_eq!(parse_i64(b"-42"), Some(-42));
/// assert_eq!(parse_i64(b"007"), None);
/// assert_eq!(parse_i64(b"+1"), None);
/// assert_eq!(parse_i64(b"9223372036854775808"), None);
/// ```
pub fn parse_i64(s: &[u8]) -> Option<i64> {
    if s == b"0" {
        return Some(0);
    }
    let digits = s.strip_prefix(b"-").unwrap_or(s);
    if !matches!(digits.first(), Some(b'1'..=b'9')) || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(s).ok()?.parse().ok()
}

/// An integer argument, or Redis's error.
pub fn int_arg(s: &[u8]) -> Result<i64, Reply> {
    parse_i64(s).ok_or_else(not_an_integer)
}

/// C's `strtod` on a prefix of `s`: the value, how many bytes it read (0 if no number starts
/// there) and whether it set `ERANGE` (the value overflowed to infinity or underflowed to zero).
/// It skips leading blanks and reads decimal and hexadecimal (`0x1p3`) numbers, `inf`,
/// `infinity` and `nan` in any case. Hexadecimal mantissas keep their first 16 digits.
pub fn strtod(s: &[u8]) -> (f64, usize, bool) {
    let blanks = s
        .iter()
        .take_while(|b| matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'))
        .count();
    let mut i = blanks;
    let negative = s.get(i) == Some(&b'-');
    if matches!(s.get(i), Some(b'-' | b'+')) {
        i += 1;
    }
    let sign = if negative { -1.0 } else { 1.0 };
    let rest = &s[i..];
    let starts =
        |word: &[u8]| rest.len() >= word.len() && rest[..word.len()].eq_ignore_ascii_case(word);
    if starts(b"infinity") {
        return (sign * f64::INFINITY, i + 8, false);
    }
    if starts(b"inf") {
        return (sign * f64::INFINITY, i + 3, false);
    }
    if starts(b"nan") {
        let mut end = i + 3;
        if s.get(end) == Some(&b'(') {
            let inner = s[end + 1..]
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
                .count();
            if s.get(end + 1 + inner) == Some(&b')') {
                end += inner + 2;
            }
        }
        return (f64::NAN, end, false);
    }
    let hex_digits = |from: usize| {
        s[from..]
            .iter()
            .take_while(|b| b.is_ascii_hexdigit())
            .count()
    };
    if (starts(b"0x"))
        && (hex_digits(i + 2) > 0 || (s.get(i + 2) == Some(&b'.') && hex_digits(i + 3) > 0))
    {
        return strtod_hex(s, i + 2, sign);
    }
    let digits = |from: usize| s[from..].iter().take_while(|b| b.is_ascii_digit()).count();
    let int = digits(i);
    let mut end = i + int;
    let mut frac = 0;
    if s.get(end) == Some(&b'.') {
        frac = digits(end + 1);
        if int + frac > 0 {
            end += 1 + frac;
        }
    }
    if int + frac == 0 {
        return (0.0, 0, false);
    }
    if matches!(s.get(end), Some(b'e' | b'E')) {
        let mut e = end + 1;
        if matches!(s.get(e), Some(b'-' | b'+')) {
            e += 1;
        }
        let exp = digits(e);
        if exp > 0 {
            end = e + exp;
        }
    }
    let text = std::str::from_utf8(&s[i..end]).unwrap_or("0");
    let x: f64 = text.parse().unwrap_or(0.0);
    let nonzero = s[i..end]
        .iter()
        .take_while(|b| !matches!(b, b'e' | b'E'))
        .any(|b| (b'1'..=b'9').contains(b));
    let erange = x.is_infinite() || (x == 0.0 && nonzero);
    (sign * x, end, erange)
}

/// The hexadecimal part of [`strtod`], from the first digit after `0x`.
fn strtod_hex(s: &[u8], mut i: usize, sign: f64) -> (f64, usize, bool) {
    let (mut mantissa, mut exp2, mut kept, mut seen_point) = (0u64, 0i64, 0, false);
    let mut nonzero = false;
    while let Some(&b) = s.get(i) {
        if b == b'.' && !seen_point {
            seen_point = true;
        } else if let Some(d) = (b as char).to_digit(16) {
            nonzero |= d != 0;
            if kept < 16 {
                if mantissa != 0 || d != 0 {
                    kept += 1;
                }
                mantissa = mantissa * 16 + d as u64;
                if seen_point {
                    exp2 -= 4;
                }
            } else if !seen_point {
                exp2 += 4;
            }
        } else {
            break;
        }
        i += 1;
    }
    if matches!(s.get(i), Some(b'p' | b'P')) {
        let mut e = i + 1;
        let negative = s.get(e) == Some(&b'-');
        if matches!(s.get(e), Some(b'-' | b'+')) {
            e += 1;
        }
        let n = s[e..].iter().take_while(|b| b.is_ascii_digit()).count();
        if n > 0 {
            let p: i64 = std::str::from_utf8(&s[e..e + n])
                .ok()
                .and_then(|t| t.parse().ok())
                .unwrap_or(i64::MAX / 2);
            exp2 = exp2.saturating_add(if negative { -p } else { p });
            i = e + n;
        }
    }
    let x = mantissa as f64 * 2f64.powi(exp2.clamp(-2_000, 2_000) as i32);
    let erange = x.is_infinite() || (x == 0.0 && nonzero);
    (sign * x, i, erange)
}

/// Redis's `string2d`: [`strtod`] over the whole argument, refusing leading blanks, trailing
/// text, NaN and values that overflow or underflow to zero.
pub fn parse_f64(s: &[u8]) -> Option<f64> {
    let (x, read, erange) = strtod(s);
    let blank = s
        .first()
        .is_some_and(|b| b.is_ascii_whitespace() || *b == 0x0b);
    let out_of_range = erange && (x.is_infinite() || x == 0.0);
    if s.is_empty() || blank || read != s.len() || out_of_range || x.is_nan() {
        return None;
    }
    Some(x)
}

/// A float argument, or `ERR value is not a valid float`.
pub fn float_arg(s: &[u8]) -> Result<f64, Reply> {
    parse_f64(s).ok_or_else(|| Reply::err("value is not a valid float"))
}

/// Redis's `d2string` (RESP2 doubles): integers without a fraction, else `%.17g`.
///
/// ```
/// use cachelab::tiers::l2::format_double;
/// assert_eq!(format_double(3.0), "3");
/// assert_eq!(format_double(0.1), "0.10000000000000001");
/// assert_eq!(format_double(1.5e20), "1.5e+20");
/// assert_eq!(format_double(f64::NEG_INFINITY), "-inf");
/// ```
pub fn format_double(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf" } else { "-inf" }.into();
    }
    if x == 0.0 {
        return if x.is_sign_negative() { "-0" } else { "0" }.into();
    }
    const LIMIT: f64 = 4_503_599_627_370_496.0; // 2^52
    if x > -LIMIT && x < LIMIT && x == (x as i64) as f64 {
        return (x as i64).to_string();
    }
    format_g17(x)
}

/// Redis's `ld2string` in its human mode (`%.17Lf`, trailing zeros trimmed), as INCRBYFLOAT
/// and HINCRBYFLOAT print. Redis computes these in `long double` (80-bit on x86-64); the model
/// in `f64`, so results that are not exact in 53 bits differ in their last digits.
///
/// ```
/// use cachelab::tiers::l2::format_long_double;
/// assert_eq!(format_long_double(2.5), "2.5");
/// assert_eq!(format_long_double(-0.0), "0");
/// assert_eq!(format_long_double(1e20), "100000000000000000000");
/// ```
pub fn format_long_double(x: f64) -> String {
    let text = format!("{x:.17}");
    let trimmed = text.trim_end_matches('0').trim_end_matches('.');
    if trimmed == "-0" {
        "0".into()
    } else {
        trimmed.to_string()
    }
}

/// C's `%.17g`.
fn format_g17(x: f64) -> String {
    let sci = format!("{x:.16e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let trim = |s: String| -> String {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    };
    if (-4..17).contains(&exp) {
        trim(format!("{x:.prec$}", prec = (16 - exp) as usize))
    } else {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{}e{sign}{:02}", trim(mantissa.to_string()), exp.abs())
    }
}

/// Redis's `stringmatchlen`: glob matching with `*`, `?`, `[...]` (ranges, `^` negation) and
/// `\` escapes.
///
/// ```
/// use cachelab::tiers::l2::glob_match;
/// assert!(glob_match(b"user:*", b"user:42"));
/// assert!(glob_match(b"h[ae]llo", b"hallo"));
/// assert!(!glob_match(b"h[^e]llo", b"hello"));
/// assert!(glob_match(b"a\\*", b"a*"));
/// ```
pub fn glob_match(pattern: &[u8], s: &[u8]) -> bool {
    glob_from(pattern, s, 0, &mut false)
}

/// `give_up` is Redis's `skipLongerMatches`: once a `*` has failed against every suffix, longer
/// prefixes cannot do better, which keeps patterns like `*a*a*a*b` from taking exponential time.
fn glob_from(mut p: &[u8], mut s: &[u8], depth: u32, give_up: &mut bool) -> bool {
    // Redis bounds the recursion too (its `nesting` limit).
    if depth > 1_000 {
        return false;
    }
    // Redis's loop runs only while both are non-empty: an empty name matches only an empty
    // pattern (so `KEYS **` skips a key named ""; `KEYS *` and `SCAN` without MATCH never ask).
    if s.is_empty() {
        return p.is_empty();
    }
    while let Some(&c) = p.first() {
        match c {
            b'*' => {
                while p.len() > 1 && p[1] == b'*' {
                    p = &p[1..];
                }
                if p.len() == 1 {
                    return true;
                }
                for start in 0..s.len() {
                    if glob_from(&p[1..], &s[start..], depth + 1, give_up) {
                        return true;
                    }
                    if *give_up {
                        return false;
                    }
                }
                *give_up = true;
                return false;
            }
            b'?' => {
                if s.is_empty() {
                    return false;
                }
                s = &s[1..];
            }
            b'[' => {
                let Some(&ch) = s.first() else {
                    return false;
                };
                p = &p[1..];
                let negate = p.first() == Some(&b'^');
                if negate {
                    p = &p[1..];
                }
                let mut matched = false;
                loop {
                    match p {
                        [b'\\', e, ..] => {
                            p = &p[1..];
                            matched |= *e == ch;
                        }
                        [b']', ..] => break,
                        [] => {
                            // An unclosed class: Redis steps back onto the last character.
                            break;
                        }
                        [lo, b'-', hi, ..] => {
                            let (lo, hi) = if lo <= hi { (*lo, *hi) } else { (*hi, *lo) };
                            matched |= (lo..=hi).contains(&ch);
                            p = &p[2..];
                        }
                        [x, ..] => matched |= *x == ch,
                    }
                    p = &p[1..];
                }
                if matched == negate {
                    return false;
                }
                s = &s[1..];
                if p.is_empty() {
                    return s.is_empty();
                }
            }
            b'\\' if p.len() >= 2 => {
                p = &p[1..];
                if s.first() != Some(&p[0]) {
                    return false;
                }
                s = &s[1..];
            }
            _ => {
                if s.first() != Some(&c) {
                    return false;
                }
                s = &s[1..];
            }
        }
        p = &p[1..];
        if s.is_empty() {
            return p.iter().all(|&b| b == b'*');
        }
    }
    s.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_parse_like_strtod_with_redis_checks() {
        assert_eq!(parse_f64(b"1.5"), Some(1.5));
        assert_eq!(parse_f64(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_f64(b"+Inf"), Some(f64::INFINITY));
        assert_eq!(parse_f64(b"1e400"), None);
        assert_eq!(parse_f64(b"1e-400"), None);
        assert_eq!(parse_f64(b"0e5"), Some(0.0));
        assert_eq!(parse_f64(b"nan"), None);
        assert_eq!(parse_f64(b" 1"), None);
        assert_eq!(parse_f64(b"1x"), None);
        assert_eq!(parse_f64(b"0x10"), Some(16.0));
        assert_eq!(parse_f64(b"-0x1.8p1"), Some(-3.0));
        assert_eq!(parse_f64(b"1."), Some(1.0));
        assert_eq!(parse_f64(b".5e1"), Some(5.0));
        assert_eq!(parse_f64(b"1e"), None);
        assert_eq!(parse_f64(b""), None);
    }

    #[test]
    fn strtod_reads_prefixes_like_c() {
        assert_eq!(strtod(b" 1"), (1.0, 2, false));
        assert_eq!(strtod(b""), (0.0, 0, false));
        assert_eq!(strtod(b"("), (0.0, 0, false));
        assert_eq!(strtod(b"-1e400"), (f64::NEG_INFINITY, 6, true));
        assert!(strtod(b"1e-400").2);
        assert_eq!(strtod(b"0x1"), (1.0, 3, false));
        assert_eq!(strtod(b"0x"), (0.0, 1, false));
        assert_eq!(strtod(b"1e+"), (1.0, 1, false));
        assert_eq!(strtod(b"Infinity!").1, 8);
        assert!(strtod(b"nan(x1)").0.is_nan() && strtod(b"nan(x1)").1 == 7);
    }

    #[test]
    fn options_compare_as_c_strings() {
        assert!(is(b"NX\x00zz", "nx") && !is_name(b"NX\x00zz", "nx"));
        assert_eq!(c_str(b"ab"), b"ab");
    }

    #[test]
    fn doubles_format_like_percent_17g() {
        assert_eq!(
            format_double(123456789012345678.0),
            "1.2345678901234568e+17"
        );
        assert_eq!(format_double(1.0 + 0.1), "1.1000000000000001");
        assert_eq!(format_double(0.0001), "0.0001");
        assert_eq!(format_double(0.00001), "1.0000000000000001e-05");
        assert_eq!(format_double(-2.5), "-2.5");
        assert_eq!(format_double(4503599627370496.0), "4503599627370496");
    }

    #[test]
    fn glob_edge_cases() {
        assert!(!glob_match(b"*", b"") && !glob_match(b"**", b""));
        assert!(glob_match(b"", b""));
        assert!(glob_match(b"a*b*c", b"axxbyyc"));
        assert!(!glob_match(b"a?", b"a"));
        assert!(glob_match(b"[a-c]x", b"bx"));
        assert!(glob_match(b"[c-a]x", b"bx"));
        assert!(!glob_match(b"abc", b"ab"));
        assert!(glob_match(b"a*", b"a"));
        let hostile = [b"*a".repeat(30), b"*b".to_vec()].concat();
        assert!(!glob_match(&hostile, &b"a".repeat(100)));
    }
}
