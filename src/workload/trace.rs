//! Request traces: readers for the formats cache researchers share, streamed one request at a time.
//!
//! - **CSV** `time,key,size` (the shared sample traces): an optional header line (recognised by a
//!   first field that is not a number), then three unsigned integers per line.
//! - **oracleGeneral** (libCacheSim's binary format): 24-byte little-endian records `u32 time,
//!   u64 key, u32 size, i64 next access`. The next-access field is ignored: [`next_accesses`]
//!   recomputes it from the requests themselves.
//! - **Text**: one key per line; a key that is not a decimal number is hashed (FNV-1a) to one.
//!   Every request has size 1 and its line number as time.
//!
//! As in libCacheSim, requests of size 0 are skipped. A malformed line or record is an error that
//! names the line (or record) and what was wrong with it.

use crate::error::{Error, Result};
use std::io::BufRead;

/// One request of a trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Request {
    /// When it happened, in the trace's own unit (seconds for the shared traces).
    pub time: u64,
    /// The object's id.
    pub key: u64,
    /// The object's size in bytes (1 for text traces).
    pub size: u32,
}

/// The on-disk format of a trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TraceFormat {
    /// `time,key,size` lines.
    Csv,
    /// libCacheSim's 24-byte oracleGeneral records.
    Oracle,
    /// One key per line.
    Text,
}

impl TraceFormat {
    /// Parses `csv`, `oracle` (or `oracleGeneral`, `bin`) or `text` (or `txt`).
    pub fn parse(name: &str) -> Result<TraceFormat> {
        match name.trim().to_ascii_lowercase().as_str() {
            "csv" => Ok(TraceFormat::Csv),
            "oracle" | "oraclegeneral" | "bin" => Ok(TraceFormat::Oracle),
            "text" | "txt" => Ok(TraceFormat::Text),
            _ => Err(Error::UnknownName {
                kind: "trace format",
                name: name.to_string(),
                known: vec!["csv".into(), "oracle".into(), "text".into()],
            }),
        }
    }

    /// The format a file name suggests: `.csv` is CSV, `.bin` or `.oracleGeneral` (possibly
    /// followed by `.bin`) is oracleGeneral, anything else is text.
    ///
    /// ```
    /// use cachelab::workload::TraceFormat;
    /// assert_eq!(TraceFormat::from_file_name("zipf.csv"), TraceFormat::Csv);
    /// assert_eq!(TraceFormat::from_file_name("cloudPhysicsIO.oracleGeneral.bin"), TraceFormat::Oracle);
    /// assert_eq!(TraceFormat::from_file_name("keys.txt"), TraceFormat::Text);
    /// ```
    pub fn from_file_name(name: &str) -> TraceFormat {
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".csv") {
            TraceFormat::Csv
        } else if lower.ends_with(".bin") || lower.ends_with(".oraclegeneral") {
            TraceFormat::Oracle
        } else {
            TraceFormat::Text
        }
    }
}

/// Size of one oracleGeneral record.
const ORACLE_RECORD: usize = 24;

/// A streaming reader: an iterator of requests over any `BufRead`.
///
/// ```
/// use cachelab::workload::{Request, TraceFormat, TraceReader};
/// let csv = "time,key,size\n1,42,4000\n2,7,512\n";
/// let requests: Vec<Request> = TraceReader::new(csv.as_bytes(), TraceFormat::Csv)
///     .collect::<Result<_, _>>()
///     .unwrap();
/// assert_eq!(requests[1], Request { time: 2, key: 7, size: 512 });
///
/// // A bad line is reported with its number and the reason.
/// let err = TraceReader::new("1,42,4000\n2,x,1\n".as_bytes(), TraceFormat::Csv)
///     .collect::<Result<Vec<_>, _>>()
///     .unwrap_err();
/// assert!(err.to_string().contains("line 2"), "{err}");
/// ```
pub struct TraceReader<R> {
    input: R,
    format: TraceFormat,
    /// Lines (or records) consumed so far.
    position: u64,
    buf: Vec<u8>,
    skipped_zero_size: u64,
    failed: bool,
}

impl<R: BufRead> TraceReader<R> {
    /// A reader of `format` over `input`.
    pub fn new(input: R, format: TraceFormat) -> Self {
        TraceReader {
            input,
            format,
            position: 0,
            buf: Vec::with_capacity(64),
            skipped_zero_size: 0,
            failed: false,
        }
    }

    /// Requests of size 0 skipped so far.
    pub fn skipped_zero_size(&self) -> u64 {
        self.skipped_zero_size
    }

    fn error(&self, detail: impl Into<String>) -> Error {
        let unit = match self.format {
            TraceFormat::Oracle => "record",
            _ => "line",
        };
        Error::Parse {
            what: format!("trace {unit} {}", self.position),
            detail: detail.into(),
        }
    }

    /// The next request, `Ok(None)` at the end.
    fn read_one(&mut self) -> Result<Option<Request>> {
        loop {
            let request = match self.format {
                TraceFormat::Oracle => match self.read_record()? {
                    Some(request) => request,
                    None => return Ok(None),
                },
                TraceFormat::Csv | TraceFormat::Text => {
                    self.buf.clear();
                    let read = self
                        .input
                        .read_until(b'\n', &mut self.buf)
                        .map_err(|e| self.error(e.to_string()))?;
                    if read == 0 {
                        return Ok(None);
                    }
                    self.position += 1;
                    let line = trim_line(&self.buf);
                    if line.is_empty() {
                        continue;
                    }
                    match self.format {
                        TraceFormat::Csv => match self.parse_csv(line)? {
                            Some(request) => request,
                            None => continue,
                        },
                        _ => self.parse_text(line)?,
                    }
                }
            };
            if request.size == 0 {
                self.skipped_zero_size += 1;
            } else {
                return Ok(Some(request));
            }
        }
    }

    /// One CSV line; `None` for the header.
    fn parse_csv(&self, line: &[u8]) -> Result<Option<Request>> {
        let mut fields = line.split(|&b| b == b',');
        let (Some(time), Some(key), Some(size), None) =
            (fields.next(), fields.next(), fields.next(), fields.next())
        else {
            let n = line.split(|&b| b == b',').count();
            return Err(self.error(format!("expected 3 fields `time,key,size`, found {n}")));
        };
        if self.position == 1 && parse_decimal(time).is_none() {
            return Ok(None);
        }
        let number = |name: &str, field: &[u8]| {
            parse_decimal(field).ok_or_else(|| {
                self.error(format!(
                    "{name} {:?} is not an unsigned decimal integer",
                    String::from_utf8_lossy(field)
                ))
            })
        };
        let size = number("size", size)?;
        let size = u32::try_from(size)
            .map_err(|_| self.error(format!("size {size} does not fit in 32 bits")))?;
        Ok(Some(Request {
            time: number("time", time)?,
            key: number("key", key)?,
            size,
        }))
    }

    /// One text line: its key, size 1. Control bytes or invalid UTF-8 mean the file is not text
    /// (a binary or compressed trace read with the wrong format), which must not pass silently
    /// as a trace of hashed garbage.
    fn parse_text(&self, line: &[u8]) -> Result<Request> {
        let binary = line.iter().find(|&&b| b < 0x20 && b != b'\t');
        if let Some(b) = binary {
            return Err(self.error(format!(
                "byte 0x{b:02x} is not text: is this a binary trace? (try --format oracle)"
            )));
        }
        if std::str::from_utf8(line).is_err() {
            return Err(self.error("not valid UTF-8 text: is this a binary or compressed trace?"));
        }
        Ok(Request {
            time: self.position,
            key: text_key(line),
            size: 1,
        })
    }

    /// One oracleGeneral record; `None` at a clean end of input.
    fn read_record(&mut self) -> Result<Option<Request>> {
        let mut record = [0u8; ORACLE_RECORD];
        let mut filled = 0;
        while filled < ORACLE_RECORD {
            match self.input.read(&mut record[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.error(e.to_string())),
            }
        }
        if filled == 0 {
            return Ok(None);
        }
        self.position += 1;
        if filled < ORACLE_RECORD {
            return Err(self.error(format!(
                "truncated: {filled} of {ORACLE_RECORD} bytes (is this an oracleGeneral file?)"
            )));
        }
        let u32_at = |at: usize| {
            u32::from_le_bytes([record[at], record[at + 1], record[at + 2], record[at + 3]])
        };
        let mut key = [0u8; 8];
        key.copy_from_slice(&record[4..12]);
        Ok(Some(Request {
            time: u64::from(u32_at(0)),
            key: u64::from_le_bytes(key),
            size: u32_at(12),
        }))
    }
}

impl<R: BufRead> Iterator for TraceReader<R> {
    type Item = Result<Request>;

    fn next(&mut self) -> Option<Result<Request>> {
        if self.failed {
            return None;
        }
        match self.read_one() {
            Ok(request) => request.map(Ok),
            Err(e) => {
                // An error ends the stream: the position after it is unreliable.
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}

/// Strips the line ending (`\n` or `\r\n`) and surrounding spaces.
fn trim_line(line: &[u8]) -> &[u8] {
    line.trim_ascii()
}

/// An unsigned decimal integer with no sign, spaces or overflow.
fn parse_decimal(field: &[u8]) -> Option<u64> {
    if field.is_empty() {
        return None;
    }
    field.iter().try_fold(0u64, |acc, &b| {
        let digit = b.checked_sub(b'0').filter(|d| *d <= 9)?;
        acc.checked_mul(10)?.checked_add(u64::from(digit))
    })
}

/// A text trace's key: the number itself, or the FNV-1a hash of the line.
fn text_key(line: &[u8]) -> u64 {
    parse_decimal(line).unwrap_or_else(|| {
        line.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
            (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        })
    })
}

/// What a first pass over a trace learns: enough to turn fractions into capacities.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TraceStats {
    /// Requests (size-0 requests excluded).
    pub requests: u64,
    /// Distinct keys.
    pub unique_keys: u64,
    /// Sum of each key's first-seen size: the working set in bytes.
    pub unique_bytes: u64,
    /// Sum of all requests' sizes.
    pub total_bytes: u64,
}

impl TraceStats {
    /// Streams a trace once; an empty trace is an error.
    ///
    /// ```
    /// use cachelab::workload::{TraceFormat, TraceReader, TraceStats};
    /// let stats = TraceStats::scan(TraceReader::new("1\n2\n1\n".as_bytes(), TraceFormat::Text)).unwrap();
    /// assert_eq!((stats.requests, stats.unique_keys), (3, 2));
    /// assert!(TraceStats::scan(TraceReader::new("".as_bytes(), TraceFormat::Text)).is_err());
    /// ```
    pub fn scan(requests: impl Iterator<Item = Result<Request>>) -> Result<TraceStats> {
        let mut seen = crate::policy::FxMap::<()>::default();
        let mut stats = TraceStats::default();
        for request in requests {
            let request = request?;
            stats.requests += 1;
            stats.total_bytes += u64::from(request.size);
            if seen.insert(request.key, ()).is_none() {
                stats.unique_keys += 1;
                stats.unique_bytes += u64::from(request.size);
            }
        }
        if stats.requests == 0 {
            return Err(Error::Parse {
                what: "trace".into(),
                detail: "it holds no requests".into(),
            });
        }
        Ok(stats)
    }
}

/// For each request, the index of the next request for the same key (`u64::MAX` if none): what
/// Belady needs, computed in one backward pass.
///
/// ```
/// use cachelab::workload::{next_accesses, Request};
/// let r = |key| Request { time: 0, key, size: 1 };
/// assert_eq!(next_accesses(&[r(1), r(2), r(1)]), [2, u64::MAX, u64::MAX]);
/// ```
pub fn next_accesses(requests: &[Request]) -> Vec<u64> {
    let mut next = vec![u64::MAX; requests.len()];
    let mut later = crate::policy::FxMap::<u64>::default();
    for (i, request) in requests.iter().enumerate().rev() {
        if let Some(j) = later.insert(request.key, i as u64) {
            next[i] = j;
        }
    }
    next
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &[u8], format: TraceFormat) -> Result<Vec<Request>> {
        TraceReader::new(text, format).collect()
    }

    #[test]
    fn csv_header_is_optional_and_crlf_and_zero_sizes_are_handled() {
        let with = read(
            b"time,key,size\r\n5,0,10\r\n6,1,0\r\n7,2,3\r\n",
            TraceFormat::Csv,
        )
        .unwrap();
        let without = read(b"5,0,10\n7,2,3", TraceFormat::Csv).unwrap();
        assert_eq!(with, without);
        assert_eq!(with.len(), 2, "the size-0 request is skipped");
    }

    #[test]
    fn malformed_csv_lines_name_the_line_and_the_problem() {
        let cases: [(&[u8], &str); 4] = [
            (b"1,2,3\n1,2\n", "line 2: expected 3 fields"),
            (b"1,2,3\n1,2,3,4\n", "line 2: expected 3 fields"),
            (b"1,2,3\n1,-2,3\n", "line 2: key \"-2\""),
            (
                b"1,2,3\n\n1,2,99999999999\n",
                "line 3: size 99999999999 does not fit",
            ),
        ];
        for (text, expected) in cases {
            let err = read(text, TraceFormat::Csv).unwrap_err().to_string();
            assert!(err.contains(expected), "{err} lacks {expected}");
        }
        // A header is only a header on line 1.
        assert!(read(b"1,2,3\ntime,key,size\n", TraceFormat::Csv).is_err());
    }

    #[test]
    fn oracle_records_decode_and_a_partial_record_is_an_error() {
        let mut bytes = Vec::new();
        for (time, key, size) in [(1u32, 77u64, 512u32), (2, 78, 0), (3, 79, 8)] {
            bytes.extend_from_slice(&time.to_le_bytes());
            bytes.extend_from_slice(&key.to_le_bytes());
            bytes.extend_from_slice(&size.to_le_bytes());
            bytes.extend_from_slice(&(-1i64).to_le_bytes());
        }
        let requests = read(&bytes, TraceFormat::Oracle).unwrap();
        assert_eq!(
            requests,
            [
                Request {
                    time: 1,
                    key: 77,
                    size: 512
                },
                Request {
                    time: 3,
                    key: 79,
                    size: 8
                },
            ]
        );
        bytes.truncate(bytes.len() - 5);
        let err = read(&bytes, TraceFormat::Oracle).unwrap_err().to_string();
        assert!(err.contains("record 3: truncated: 19 of 24"), "{err}");
    }

    #[test]
    fn text_keys_are_numbers_or_stable_hashes() {
        let requests = read(b"12\nuser:1\n\nuser:1\n", TraceFormat::Text).unwrap();
        assert_eq!(requests.len(), 3);
        assert_eq!(requests[0].key, 12);
        assert_eq!(requests[1].key, requests[2].key);
        assert_ne!(requests[1].key, 12);
        let err = read(b"1\n\x00\x01\x02\n", TraceFormat::Text)
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 2: byte 0x00 is not text"), "{err}");
        assert!(read(b"\xff\xfe\n", TraceFormat::Text).is_err());
    }
}
