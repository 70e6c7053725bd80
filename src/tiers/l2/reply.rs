//! Replies, and how `redis-cli --no-raw` prints them.

/// One reply, as the RESP2 protocol carries it.
#[derive(Clone, Debug, PartialEq)]
pub enum Reply {
    /// A status line such as `OK` or `PONG`.
    Status(&'static str),
    /// An error line, starting with its code (`ERR ...`, `WRONGTYPE ...`).
    Error(String),
    /// An integer.
    Int(i64),
    /// A bulk string: any bytes.
    Bulk(Vec<u8>),
    /// The null bulk string.
    Nil,
    /// An array of replies.
    Array(Vec<Reply>),
    /// Text that redis-cli prints raw, as it does for `INFO` (lines end in `\r\n`).
    Raw(String),
}

impl Reply {
    /// `OK`.
    pub const OK: Reply = Reply::Status("OK");

    /// An error reply `ERR <message>`.
    pub fn err(message: impl std::fmt::Display) -> Reply {
        Reply::Error(format!("ERR {message}"))
    }

    /// A bulk string from anything byte-like.
    pub fn bulk(bytes: impl AsRef<[u8]>) -> Reply {
        Reply::Bulk(bytes.as_ref().to_vec())
    }

    /// An array of bulk strings.
    pub fn bulks<I: IntoIterator<Item = B>, B: AsRef<[u8]>>(items: I) -> Reply {
        Reply::Array(items.into_iter().map(Reply::bulk).collect())
    }

    /// True for error replies.
    pub fn is_error(&self) -> bool {
        matches!(self, Reply::Error(_))
    }

    /// The exact bytes `redis-cli --no-raw` writes for this reply, final newline included.
    ///
    /// ```
    /// use cachelab::tiers::l2::Reply;
    /// let r = Reply::Array(vec![Reply::bulk("a"), Reply::Int(2), Reply::Nil]);
    /// assert_eq!(r.to_cli(), b"1) \"a\"\n2) (integer) 2\n3) (nil)\n");
    /// assert_eq!(Reply::bulk("tab\there").to_cli(), b"\"tab\\there\"\n");
    /// ```
    pub fn to_cli(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write_cli(&mut out, "");
        out
    }

    /// The same text as a `String` without the final newline (for the page and for tests).
    pub fn to_cli_string(&self) -> String {
        let text = String::from_utf8_lossy(&self.to_cli()).into_owned();
        match text.strip_suffix('\n') {
            Some(t) => t.to_string(),
            None => text,
        }
    }

    /// redis-cli's `cliFormatReplyTTY`: nested arrays indent by the width of their parent's
    /// numbering, and numbers are right-aligned to the widest index.
    fn write_cli(&self, out: &mut Vec<u8>, prefix: &str) {
        match self {
            Reply::Status(s) => out.extend_from_slice(s.as_bytes()),
            Reply::Error(e) => {
                out.extend_from_slice(b"(error) ");
                out.extend_from_slice(e.as_bytes());
            }
            Reply::Int(n) => out.extend_from_slice(format!("(integer) {n}").as_bytes()),
            Reply::Bulk(b) => quote_into(out, b),
            Reply::Nil => out.extend_from_slice(b"(nil)"),
            Reply::Raw(text) => {
                // Raw output gets no newline of its own.
                out.extend_from_slice(text.as_bytes());
                return;
            }
            Reply::Array(items) if items.is_empty() => out.extend_from_slice(b"(empty array)"),
            Reply::Array(items) => {
                let width = items.len().to_string().len();
                let nested = format!("{prefix}{}", " ".repeat(width + 2));
                for (i, item) in items.iter().enumerate() {
                    let lead = if i == 0 { "" } else { prefix };
                    out.extend_from_slice(format!("{lead}{:>width$}) ", i + 1).as_bytes());
                    item.write_cli(out, &nested);
                }
                return;
            }
        }
        out.push(b'\n');
    }
}

/// redis-cli's `sdscatrepr`: a double-quoted string with C-style escapes and `\xHH` for bytes
/// that are not printable ASCII.
fn quote_into(out: &mut Vec<u8>, bytes: &[u8]) {
    out.push(b'"');
    for &b in bytes {
        match b {
            b'\\' | b'"' => out.extend_from_slice(&[b'\\', b]),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x07 => out.extend_from_slice(b"\\a"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x20..=0x7e => out.push(b),
            _ => out.extend_from_slice(format!("\\x{b:02x}").as_bytes()),
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_arrays_indent_like_redis_cli() {
        let keys: Vec<String> = (1..=10).map(|i| format!("k{i}")).collect();
        let scan = Reply::Array(vec![Reply::bulk("0"), Reply::bulks(&keys)]);
        let text = String::from_utf8(scan.to_cli()).unwrap();
        // As redis-cli printed a SCAN of ten keys.
        assert!(text.starts_with("1) \"0\"\n2)  1) \"k1\"\n    2) \"k2\"\n"));
        assert!(text.ends_with("\n   10) \"k10\"\n"));
        let empty = Reply::Array(vec![Reply::bulk("0"), Reply::Array(vec![])]);
        assert_eq!(empty.to_cli(), b"1) \"0\"\n2) (empty array)\n");
    }

    #[test]
    fn scalars_print_as_redis_cli_does() {
        assert_eq!(Reply::OK.to_cli(), b"OK\n");
        assert_eq!(
            Reply::err("syntax error").to_cli(),
            b"(error) ERR syntax error\n"
        );
        assert_eq!(Reply::Nil.to_cli(), b"(nil)\n");
        assert_eq!(
            Reply::bulk(b"\xff\x00\"\\").to_cli(),
            b"\"\\xff\\x00\\\"\\\\\"\n"
        );
        assert_eq!(Reply::Raw("# Stats\r\n".into()).to_cli(), b"# Stats\r\n");
    }
}
