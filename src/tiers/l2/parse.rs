//! redis-cli's line splitting (`sdssplitargs`): words separated by blanks; `"double quotes"` with
//! backslash escapes (`\n \r \t \b \a \xHH`, and `\` before any other character stands for that
//! character); `'single quotes'` where only `\'` is an escape. A closing quote must be followed by
//! a blank or the end of the line, and an unclosed quote is an error — redis-cli then prints
//! `Invalid argument(s)` and sends nothing.

/// The line could not be split (an unbalanced quote, or a closing quote followed by a character).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidArguments;

impl std::fmt::Display for InvalidArguments {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Invalid argument(s)")
    }
}

impl std::error::Error for InvalidArguments {}

/// C's `isspace` in the C locale.
fn is_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

fn hex_value(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// Splits one line into arguments as redis-cli does. A NUL byte ends the line, as it ends a C
/// string.
///
/// ```
/// use cachelab::tiers::l2::split_args;
/// let args = split_args(br#"SET "a b" 'it\'s' "\x41\n""#).unwrap();
/// assert_eq!(args, vec![b"SET".to_vec(), b"a b".to_vec(), b"it's".to_vec(), b"A\n".to_vec()]);
/// assert!(split_args(b"GET \"open").is_err());
/// ```
pub fn split_args(line: &[u8]) -> Result<Vec<Vec<u8>>, InvalidArguments> {
    let line = match line.iter().position(|&b| b == 0) {
        Some(end) => &line[..end],
        None => line,
    };
    let at = |i: usize| line.get(i).copied();
    let mut args = Vec::new();
    let mut i = 0;
    loop {
        while at(i).is_some_and(is_blank) {
            i += 1;
        }
        if i >= line.len() {
            return Ok(args);
        }
        let mut word = Vec::new();
        let (mut in_double, mut in_single) = (false, false);
        loop {
            let c = at(i);
            if in_double {
                match (c, at(i + 1)) {
                    (None, _) => return Err(InvalidArguments),
                    (Some(b'\\'), Some(b'x'))
                        if at(i + 2).and_then(hex_value).is_some()
                            && at(i + 3).and_then(hex_value).is_some() =>
                    {
                        let hi = at(i + 2).and_then(hex_value).unwrap_or(0);
                        let lo = at(i + 3).and_then(hex_value).unwrap_or(0);
                        word.push(hi * 16 + lo);
                        i += 3;
                    }
                    (Some(b'\\'), Some(e)) => {
                        word.push(match e {
                            b'n' => b'\n',
                            b'r' => b'\r',
                            b't' => b'\t',
                            b'b' => 0x08,
                            b'a' => 0x07,
                            other => other,
                        });
                        i += 1;
                    }
                    (Some(b'"'), next) => {
                        if next.is_some_and(|n| !is_blank(n)) {
                            return Err(InvalidArguments);
                        }
                        i += 1;
                        break;
                    }
                    (Some(b), _) => word.push(b),
                }
            } else if in_single {
                match (c, at(i + 1)) {
                    (None, _) => return Err(InvalidArguments),
                    (Some(b'\\'), Some(b'\'')) => {
                        word.push(b'\'');
                        i += 1;
                    }
                    (Some(b'\''), next) => {
                        if next.is_some_and(|n| !is_blank(n)) {
                            return Err(InvalidArguments);
                        }
                        i += 1;
                        break;
                    }
                    (Some(b), _) => word.push(b),
                }
            } else {
                match c {
                    // sdssplitargs ends a bare word only at these four (not at \v or \f).
                    None | Some(b' ' | b'\n' | b'\r' | b'\t') => break,
                    Some(b'"') => in_double = true,
                    Some(b'\'') => in_single = true,
                    Some(b) => word.push(b),
                }
            }
            i += 1;
        }
        args.push(word);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(s: &str) -> Result<Vec<String>, InvalidArguments> {
        split_args(s.as_bytes()).map(|v| {
            v.into_iter()
                .map(|a| String::from_utf8_lossy(&a).into_owned())
                .collect()
        })
    }

    #[test]
    fn quoting_follows_sdssplitargs() {
        assert_eq!(split("  a   b ").unwrap(), ["a", "b"]);
        assert_eq!(split(r#"a"b c"d"#), Err(InvalidArguments));
        assert_eq!(split(r#"a"b c""#).unwrap(), ["ab c"]);
        assert_eq!(split(r#""\q\"" '\n'"#).unwrap(), ["q\"", "\\n"]);
        assert_eq!(split(r#""\x4""#).unwrap(), ["x4"]);
        assert_eq!(split("'open"), Err(InvalidArguments));
        assert_eq!(split("\"a\"b"), Err(InvalidArguments));
        assert_eq!(split("").unwrap(), Vec::<String>::new());
        assert_eq!(split("\"\"").unwrap(), [""]);
        assert_eq!(split("a\0b c").unwrap(), ["a"]);
        assert_eq!(
            split("\"ends in backslash\\").unwrap_err(),
            InvalidArguments
        );
    }
}
