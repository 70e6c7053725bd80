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

/// True if `arg` is `word`, ignoring ASCII case.
pub fn is(arg: &[u8], word: &str) -> bool {
    arg.eq_ignore_ascii_case(word.as_bytes())
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

/// C's `strtod` over the whole argument, as Redis uses it: `inf`, `-inf`, exponents; rejects
/// NaN, leading blanks, trailing text and values that overflow or underflow. (Hexadecimal
/// floats, which `strtod` also reads, are not accepted.)
pub fn parse_f64(s: &[u8]) -> Option<f64> {
    let text = std::str::from_utf8(s).ok()?;
    if text.starts_with(|c: char| c.is_ascii_whitespace()) {
        return None;
    }
    let x: f64 = text.parse().ok()?;
    let lower = text.to_ascii_lowercase();
    let spelled_infinite = lower.trim_start_matches(['+', '-']).starts_with("inf");
    let mantissa = lower.split('e').next().unwrap_or("");
    let underflow = x == 0.0 && mantissa.bytes().any(|b| (b'1'..=b'9').contains(&b));
    if x.is_nan() || (x.is_infinite() && !spelled_infinite) || underflow {
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
        assert!(glob_match(b"*", b""));
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
