//! Request traces: readers for the formats cache researchers share, streamed one request at a time.
//!
//! - **CSV**: by default `time,key,size` (the shared sample traces), with libCacheSim's column
//!   options ([`CsvOptions`], the same `time-col=1, obj-id-col=2, ...` text that libCacheSim's
//!   `-t` takes): which 1-based column holds the time, the id and the size, whether there is a
//!   header, the delimiter, and whether ids are numbers or strings (hashed as libCacheSim hashes
//!   them: XXH3-64 of the field's bytes).
//! - **oracleGeneral** (libCacheSim's binary format): 24-byte little-endian records `u32 time,
//!   u64 key, u32 size, i64 next access`. The next-access field (the 1-based position of the
//!   key's next record, -1 if none, as libCacheSim writes it) is offered beside each request
//!   ([`TraceReader::recorded_next`]), so that Belady can run in the same single pass;
//!   [`next_accesses`] recomputes it from the requests where a format has none.
//! - **Text**: one key per line; a key that is not a decimal number is hashed (FNV-1a) to one.
//!   Every request has size 1 and its line number as time.
//!
//! Any of them may be zstd-compressed (`.zst`, how the public trace collections are shipped):
//! [`open`] looks at the first bytes for zstd's magic number and decompresses with a pure-Rust
//! decoder (`ruzstd`), so the same code runs in the browser.
//!
//! As in libCacheSim, requests of size 0 are skipped. A malformed line or record is an error that
//! names the line (or record) and what was wrong with it.

use crate::error::{Error, Result};
use std::io::{BufRead, Read};
use std::num::NonZeroUsize;

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

/// The on-disk format of a trace (after decompression).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TraceFormat {
    /// Delimited lines, by default `time,key,size` (see [`CsvOptions`]).
    Csv,
    /// libCacheSim's 24-byte oracleGeneral records.
    Oracle,
    /// One key per line.
    Text,
}

/// The names [`TraceFormat::parse`] knows.
pub const FORMAT_NAMES: [&str; 3] = ["csv", "oracle", "text"];

impl TraceFormat {
    /// Parses `csv`, `oracle` (or `oracleGeneral`, `bin`) or `text` (or `txt`).
    pub fn parse(name: &str) -> Result<TraceFormat> {
        match name.trim().to_ascii_lowercase().as_str() {
            "csv" => Ok(TraceFormat::Csv),
            "oracle" | "oraclegeneral" | "oraclegeneralbin" | "bin" => Ok(TraceFormat::Oracle),
            "text" | "txt" => Ok(TraceFormat::Text),
            _ => Err(Error::UnknownName {
                kind: "trace format",
                name: name.to_string(),
                known: FORMAT_NAMES.iter().map(|s| s.to_string()).collect(),
            }),
        }
    }

    /// The format a file name names, if it names one, ignoring a trailing `.zst` or `.zstd`:
    /// `.csv`, `.txt`, `.bin` or any name containing `oracleGeneral` (libCacheSim's own rule).
    ///
    /// ```
    /// use cachelab::workload::TraceFormat;
    /// assert_eq!(TraceFormat::from_name("zipf.csv"), Some(TraceFormat::Csv));
    /// assert_eq!(TraceFormat::from_name("w01.oracleGeneral.zst"), Some(TraceFormat::Oracle));
    /// assert_eq!(TraceFormat::from_name("cluster52.bin.zst"), Some(TraceFormat::Oracle));
    /// assert_eq!(TraceFormat::from_name("keys.txt"), Some(TraceFormat::Text));
    /// assert_eq!(TraceFormat::from_name("trace"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<TraceFormat> {
        let lower = name.to_ascii_lowercase();
        let base = lower
            .strip_suffix(".zst")
            .or_else(|| lower.strip_suffix(".zstd"))
            .unwrap_or(&lower);
        if base.contains("oraclegeneral") || base.ends_with(".bin") {
            Some(TraceFormat::Oracle)
        } else if base.ends_with(".csv") {
            Some(TraceFormat::Csv)
        } else if base.ends_with(".txt") {
            Some(TraceFormat::Text)
        } else {
            None
        }
    }

    /// The format a file name suggests, text when it names none (see [`TraceFormat::from_name`]).
    ///
    /// ```
    /// use cachelab::workload::TraceFormat;
    /// assert_eq!(TraceFormat::from_file_name("cloudPhysicsIO.oracleGeneral.bin"), TraceFormat::Oracle);
    /// assert_eq!(TraceFormat::from_file_name("keys"), TraceFormat::Text);
    /// ```
    pub fn from_file_name(name: &str) -> TraceFormat {
        TraceFormat::from_name(name).unwrap_or(TraceFormat::Text)
    }

    /// The format the first bytes of a (decompressed) trace look like: control bytes other than
    /// line endings and tabs mean binary records (oracleGeneral); a first line with a comma or a
    /// tab is CSV; anything else is one key a line.
    ///
    /// ```
    /// use cachelab::workload::TraceFormat;
    /// assert_eq!(TraceFormat::sniff(b"time,key,size\n1,2,3\n"), TraceFormat::Csv);
    /// assert_eq!(TraceFormat::sniff(b"user:1\nuser:2\n"), TraceFormat::Text);
    /// assert_eq!(TraceFormat::sniff(&[1, 0, 0, 0, 7, 0]), TraceFormat::Oracle);
    /// ```
    pub fn sniff(head: &[u8]) -> TraceFormat {
        if head
            .iter()
            .any(|&b| b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t'))
        {
            return TraceFormat::Oracle;
        }
        let first_line = head.split(|&b| b == b'\n').next().unwrap_or(&[]);
        if first_line.iter().any(|&b| b == b',' || b == b'\t') {
            TraceFormat::Csv
        } else {
            TraceFormat::Text
        }
    }
}

/// Whether a trace's bytes are compressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    /// Plain bytes.
    None,
    /// A zstd stream (one or more frames).
    Zstd,
}

/// The four bytes every zstd frame starts with (RFC 8878, section 3.1.1).
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

impl Compression {
    /// What the first bytes say: the name is not trusted (a `.zst` file that is not zstd is read
    /// as what it is).
    ///
    /// ```
    /// use cachelab::workload::Compression;
    /// assert_eq!(Compression::detect(&[0x28, 0xb5, 0x2f, 0xfd, 0]), Compression::Zstd);
    /// assert_eq!(Compression::detect(b"1,2,3"), Compression::None);
    /// ```
    pub fn detect(head: &[u8]) -> Compression {
        if head.starts_with(&ZSTD_MAGIC) {
            Compression::Zstd
        } else {
            Compression::None
        }
    }
}

/// How to read a CSV trace: libCacheSim's reader parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CsvOptions {
    /// 1-based column of the time; `None`: each request's line number.
    pub time_col: Option<NonZeroUsize>,
    /// 1-based column of the object id.
    pub id_col: NonZeroUsize,
    /// 1-based column of the size; `None`: every object has size 1.
    pub size_col: Option<NonZeroUsize>,
    /// Whether line 1 is a header; `None`: decided from line 1 as libCacheSim decides (more
    /// digits than letters means data).
    pub header: Option<bool>,
    /// The field delimiter; `None`: the one of tab, comma, `|`, `:` that line 1 has most of,
    /// weighted 4, 3, 2, 1 in that order (libCacheSim's rule).
    pub delimiter: Option<u8>,
    /// Ids are unsigned numbers (decimal, or hex with `0x`); otherwise each id field's bytes are
    /// hashed with XXH3-64, as libCacheSim does (its default build, `HASH_TYPE XXHASH3`).
    pub id_is_num: bool,
}

impl Default for CsvOptions {
    /// `time,key,size` with numeric keys, the delimiter and header detected.
    fn default() -> Self {
        CsvOptions {
            time_col: NonZeroUsize::new(1),
            id_col: NonZeroUsize::MIN.saturating_add(1),
            size_col: NonZeroUsize::new(3),
            header: None,
            delimiter: None,
            id_is_num: true,
        }
    }
}

impl CsvOptions {
    /// Parses libCacheSim's reader-parameter text, as its `cachesim -t` takes it:
    /// `time-col=1, obj-id-col=2, obj-size-col=3, has-header=true, delimiter=,, obj-id-is-num=true`
    /// (keys with `_` or `-`, `header` for `has-header`, booleans as true/false/1/0/yes/no,
    /// `delimiter=\t` for a tab, a column of 0 for none). Keys not given keep their defaults
    /// ([`CsvOptions::default`]); unlike libCacheSim, whose `obj-id-is-num` defaults to false,
    /// ids are numbers unless the text says otherwise.
    ///
    /// ```
    /// use cachelab::workload::CsvOptions;
    /// let o = CsvOptions::parse("time-col=2, obj-id-col=1, obj-size-col=0, delimiter=\\t, has-header=false, obj-id-is-num=false").unwrap();
    /// assert_eq!((o.time_col.map(|c| c.get()), o.id_col.get(), o.size_col), (Some(2), 1, None));
    /// assert_eq!((o.delimiter, o.header, o.id_is_num), (Some(b'\t'), Some(false), false));
    /// assert_eq!(CsvOptions::parse("delimiter=,, obj-id-col=3").unwrap().delimiter, Some(b','));
    /// assert!(CsvOptions::parse("obj-id-col=0").is_err());
    /// assert!(CsvOptions::parse("colour=blue").unwrap_err().to_string().contains("colour"));
    /// ```
    pub fn parse(text: &str) -> Result<CsvOptions> {
        let mut options = CsvOptions::default();
        let mut rest = text.trim();
        while !rest.is_empty() {
            let (key, after) = rest.split_once('=').ok_or_else(|| Error::Parse {
                what: format!("trace parameters {text:?}"),
                detail: format!("expected key=value, found {rest:?}"),
            })?;
            let key = key.trim().replace('_', "-").to_ascii_lowercase();
            // `delimiter=,` is a comma, not an empty value followed by a separator.
            let (value, after) = if key == "delimiter" && after.starts_with(',') {
                (",", &after[1..])
            } else {
                after.split_once(',').unwrap_or((after, ""))
            };
            let value = value.trim();
            rest = after.trim_start_matches([' ', ',']);
            let bad = |allowed: &str| Error::Parse {
                what: format!("trace parameter `{key}`"),
                detail: format!("{value:?} is not {allowed}"),
            };
            let column = || -> Result<Option<NonZeroUsize>> {
                value
                    .parse::<usize>()
                    .map(NonZeroUsize::new)
                    .map_err(|_| bad("a column number (1 for the first, 0 for none)"))
            };
            let boolean = || match value.to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" | "y" => Ok(true),
                "false" | "0" | "no" | "n" => Ok(false),
                _ => Err(bad("true or false")),
            };
            match key.as_str() {
                "time-col" | "time-field" => options.time_col = column()?,
                "obj-id-col" | "obj-id-field" => {
                    options.id_col =
                        column()?.ok_or_else(|| bad("a column number from 1 (ids are required)"))?
                }
                "obj-size-col" | "obj-size-field" | "size-col" => options.size_col = column()?,
                "obj-id-is-num" => options.id_is_num = boolean()?,
                "header" | "has-header" => options.header = Some(boolean()?),
                "delimiter" => {
                    options.delimiter = Some(match value {
                        "\\t" => b'\t',
                        "" | "\\" => b',',
                        v if v.len() == 1 && v.is_ascii() => v.as_bytes()[0],
                        _ => return Err(bad("one ASCII character or \\t")),
                    })
                }
                _ => {
                    return Err(Error::UnknownName {
                        kind: "trace parameter",
                        name: key,
                        known: [
                            "time-col",
                            "obj-id-col",
                            "obj-size-col",
                            "has-header",
                            "delimiter",
                            "obj-id-is-num",
                        ]
                        .map(String::from)
                        .to_vec(),
                    })
                }
            }
        }
        Ok(options)
    }

    /// The highest column a line must have.
    fn columns(&self) -> usize {
        [self.time_col, Some(self.id_col), self.size_col]
            .into_iter()
            .flatten()
            .map(NonZeroUsize::get)
            .max()
            .unwrap_or(1)
    }
}

/// libCacheSim's delimiter detection on a first line.
fn detect_delimiter(first_line: &[u8]) -> u8 {
    let candidates = [(b'\t', 4), (b',', 3), (b'|', 2), (b':', 1)];
    let mut best = (b',', 0);
    for (delimiter, weight) in candidates {
        let score = first_line.iter().filter(|&&b| b == delimiter).count() * weight;
        if score > best.1 {
            best = (delimiter, score);
        }
    }
    best.0
}

/// libCacheSim's header detection: more digits than letters is data; fewer digits than letters
/// that cannot be hex digits is a header; anything between is a header too.
fn detect_header(first_line: &[u8]) -> bool {
    let digits = first_line.iter().filter(|b| b.is_ascii_digit()).count();
    let letters = first_line
        .iter()
        .filter(|b| b.is_ascii_alphabetic())
        .count();
    digits <= letters
}

/// How to read a trace: its format (`None`: from the name, else the first bytes) and, for CSV,
/// its columns. A bare [`TraceFormat`] converts into one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReadOptions {
    /// The format, if the user named one.
    pub format: Option<TraceFormat>,
    /// How CSV lines are read.
    pub csv: CsvOptions,
}

impl From<TraceFormat> for ReadOptions {
    fn from(format: TraceFormat) -> Self {
        ReadOptions {
            format: Some(format),
            csv: CsvOptions::default(),
        }
    }
}

/// Opens a trace for reading: decompresses it if its first bytes are zstd's, and reads it as
/// `format`, or else as its (decompressed) name or first bytes suggest.
///
/// ```
/// use cachelab::workload::{open, Request};
/// let reader = open(&b"time,key,size\n1,42,4000\n"[..], "t.csv", Default::default()).unwrap();
/// let requests: Vec<Request> = reader.collect::<Result<_, _>>().unwrap();
/// assert_eq!(requests, [Request { time: 1, key: 42, size: 4000 }]);
/// ```
pub fn open<'a, R: BufRead + 'a>(
    mut input: R,
    name: &str,
    options: ReadOptions,
) -> Result<TraceReader<Box<dyn BufRead + 'a>>> {
    let ReadOptions { format, csv } = options;
    let io = |e: std::io::Error| Error::Parse {
        what: format!("trace {name}"),
        detail: e.to_string(),
    };
    let head = input.fill_buf().map_err(io)?;
    let mut input: Box<dyn BufRead + 'a> = match Compression::detect(head) {
        Compression::None => Box::new(input),
        Compression::Zstd => Box::new(std::io::BufReader::with_capacity(
            1 << 16,
            ZstdFrames::new(input),
        )),
    };
    let format = match format.or_else(|| TraceFormat::from_name(name)) {
        Some(format) => format,
        None => TraceFormat::sniff(input.fill_buf().map_err(io)?),
    };
    Ok(TraceReader::with_csv(input, format, csv))
}

/// A zstd stream of one or more frames (`zstd` writes one; `pzstd` and concatenated files have
/// several), decompressed by `ruzstd`.
struct ZstdFrames<R: BufRead> {
    state: ZstdState<R>,
}

enum ZstdState<R: BufRead> {
    /// Between frames: the source.
    Between(R),
    /// Inside a frame.
    Frame(Box<ruzstd::decoding::StreamingDecoder<R, ruzstd::decoding::FrameDecoder>>),
    /// After an error, or while switching states.
    Done,
}

impl<R: BufRead> ZstdFrames<R> {
    fn new(input: R) -> Self {
        ZstdFrames {
            state: ZstdState::Between(input),
        }
    }
}

impl<R: BufRead> Read for ZstdFrames<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            match std::mem::replace(&mut self.state, ZstdState::Done) {
                ZstdState::Done => return Ok(0),
                ZstdState::Between(mut source) => {
                    if source.fill_buf()?.is_empty() {
                        return Ok(0);
                    }
                    let decoder = ruzstd::decoding::StreamingDecoder::new(source).map_err(|e| {
                        std::io::Error::new(std::io::ErrorKind::InvalidData, format!("zstd: {e}"))
                    })?;
                    self.state = ZstdState::Frame(Box::new(decoder));
                }
                ZstdState::Frame(mut decoder) => {
                    let n = decoder.read(buf)?;
                    if n > 0 || buf.is_empty() {
                        self.state = ZstdState::Frame(decoder);
                        return Ok(n);
                    }
                    self.state = ZstdState::Between(decoder.into_inner());
                }
            }
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
    csv: CsvOptions,
    /// Lines (or records) consumed so far.
    position: u64,
    buf: Vec<u8>,
    skipped_zero_size: u64,
    /// Bytes of (decompressed) input consumed so far.
    bytes_read: u64,
    failed: bool,
    /// The last oracleGeneral record's raw next-access field.
    next_field: i64,
}

impl<R: BufRead> TraceReader<R> {
    /// A reader of `format` over `input` (CSV with the default `time,key,size` columns).
    pub fn new(input: R, format: TraceFormat) -> Self {
        TraceReader::with_csv(input, format, CsvOptions::default())
    }

    /// A reader of `format` over `input`, reading CSV as `csv` says.
    pub fn with_csv(input: R, format: TraceFormat, csv: CsvOptions) -> Self {
        TraceReader {
            input,
            format,
            csv,
            position: 0,
            buf: Vec::with_capacity(64),
            skipped_zero_size: 0,
            bytes_read: 0,
            failed: false,
            next_field: -1,
        }
    }

    /// For the request just returned, where the trace says its key is requested next: the
    /// 0-based record index, [`crate::policy::Access::NEVER`] for never, `Ok(None)` for a
    /// format without the field (CSV, text). A field that does not point after its own record
    /// (a file written without next-access information holds zeros) is an error naming the
    /// record.
    ///
    /// ```
    /// use cachelab::workload::{write_oracle, Request, TraceFormat, TraceReader};
    /// let r = |key| Request { time: 1, key, size: 8 };
    /// let mut bytes = Vec::new();
    /// write_oracle(&mut bytes, &[r(1), r(2), r(1)]).unwrap();
    /// let mut reader = TraceReader::new(&bytes[..], TraceFormat::Oracle);
    /// let mut next = Vec::new();
    /// while let Some(request) = reader.next() {
    ///     request.unwrap();
    ///     next.push(reader.recorded_next().unwrap().unwrap());
    /// }
    /// assert_eq!(next, [2, u64::MAX, u64::MAX]);
    /// bytes[16..24].copy_from_slice(&0i64.to_le_bytes());
    /// let mut reader = TraceReader::new(&bytes[..], TraceFormat::Oracle);
    /// reader.next().unwrap().unwrap();
    /// assert!(reader.recorded_next().unwrap_err().to_string().contains("record 1"));
    /// ```
    pub fn recorded_next(&self) -> Result<Option<u64>> {
        match self.format {
            TraceFormat::Csv | TraceFormat::Text => Ok(None),
            TraceFormat::Oracle => match self.next_field {
                i64::MAX => Ok(Some(u64::MAX)),
                field if field < 0 => Ok(Some(u64::MAX)),
                // 1-based, and after this record (whose 1-based position is `position`).
                field if field as u64 > self.position => Ok(Some(field as u64 - 1)),
                field => Err(self.error(format!(
                    "its next-access field {field} does not point after the record (was the \
                     file written without next-access information?)"
                ))),
            },
        }
    }

    /// The input, so that a chunked reader can hand it the next chunk.
    pub(crate) fn input_mut(&mut self) -> &mut R {
        &mut self.input
    }

    /// Requests of size 0 skipped so far.
    pub fn skipped_zero_size(&self) -> u64 {
        self.skipped_zero_size
    }

    /// Bytes of the (decompressed) trace read so far.
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read
    }

    /// The format being read.
    pub fn format(&self) -> TraceFormat {
        self.format
    }

    fn error(&self, detail: impl Into<String>) -> Error {
        let unit = match self.format {
            TraceFormat::Oracle => "record",
            TraceFormat::Csv | TraceFormat::Text => "line",
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
                    self.bytes_read += read as u64;
                    self.position += 1;
                    let line = std::mem::take(&mut self.buf);
                    let parsed = match trim_line(&line) {
                        [] => None,
                        line if self.format == TraceFormat::Csv => self.parse_csv(line)?,
                        line => Some(self.parse_text(line)?),
                    };
                    self.buf = line;
                    match parsed {
                        Some(request) => request,
                        None => continue,
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
    fn parse_csv(&mut self, line: &[u8]) -> Result<Option<Request>> {
        if self.position == 1 {
            if self.csv.delimiter.is_none() {
                self.csv.delimiter = Some(detect_delimiter(line));
            }
            if *self.csv.header.get_or_insert_with(|| detect_header(line)) {
                return Ok(None);
            }
        }
        let delimiter = self.csv.delimiter.unwrap_or(b',');
        let wanted = self.csv.columns();
        let mut time = None;
        let mut key = None;
        let mut size = None;
        let mut found = 0;
        for (i, field) in line.split(|&b| b == delimiter).enumerate() {
            found = i + 1;
            let field = unquote(field.trim_ascii());
            if self.csv.time_col.is_some_and(|c| c.get() == found) {
                time = Some(field);
            }
            if self.csv.id_col.get() == found {
                key = Some(field);
            }
            if self.csv.size_col.is_some_and(|c| c.get() == found) {
                size = Some(field);
            }
        }
        let Some(key) = key.filter(|_| found >= wanted) else {
            let shown = if delimiter == b'\t' {
                "\\t".to_string()
            } else {
                char::from(delimiter).to_string()
            };
            return Err(self.error(format!(
                "expected at least {wanted} fields separated by {shown:?} (columns: time {}, id {}, size {}), found {found}",
                column_name(self.csv.time_col),
                self.csv.id_col,
                column_name(self.csv.size_col),
            )));
        };
        let bad = |name: &str, field: &[u8], what: &str| {
            self.error(format!(
                "{name} {:?} is not {what}",
                String::from_utf8_lossy(field)
            ))
        };
        let time = match time {
            Some(field) => {
                parse_time(field).ok_or_else(|| bad("time", field, "an unsigned decimal number"))?
            }
            None => self.position,
        };
        let key = if self.csv.id_is_num {
            parse_id(key).ok_or_else(|| {
                bad(
                    "key",
                    key,
                    "an unsigned decimal (or 0x hex) integer (use obj-id-is-num=false for string ids)",
                )
            })?
        } else {
            xxhash_rust::xxh3::xxh3_64(key)
        };
        let size = match size {
            Some(field) => {
                let n = parse_decimal(field)
                    .ok_or_else(|| bad("size", field, "an unsigned decimal integer"))?;
                u32::try_from(n)
                    .map_err(|_| self.error(format!("size {n} does not fit in 32 bits")))?
            }
            None => 1,
        };
        Ok(Some(Request { time, key, size }))
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

    /// One oracleGeneral record; `None` at a clean end of input. Records are decoded straight
    /// from the reader's buffer when a whole one is there (almost always), copied otherwise.
    fn read_record(&mut self) -> Result<Option<Request>> {
        let whole = match self.input.fill_buf() {
            Ok(buffered) if buffered.len() >= ORACLE_RECORD => {
                Some(decode_record(&buffered[..ORACLE_RECORD]))
            }
            Ok(_) => None,
            Err(e) => {
                let message = e.to_string();
                return Err(self.error(message));
            }
        };
        if let Some((request, next)) = whole {
            self.next_field = next;
            self.input.consume(ORACLE_RECORD);
            self.position += 1;
            self.bytes_read += ORACLE_RECORD as u64;
            return Ok(Some(request));
        }
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
        self.bytes_read += filled as u64;
        if filled < ORACLE_RECORD {
            return Err(self.error(format!(
                "truncated: {filled} of {ORACLE_RECORD} bytes (is this an oracleGeneral file?)"
            )));
        }
        let (request, next) = decode_record(&record);
        self.next_field = next;
        Ok(Some(request))
    }
}

/// One 24-byte oracleGeneral record, and its raw next-access field.
#[inline]
fn decode_record(record: &[u8]) -> (Request, i64) {
    let mut time = [0u8; 4];
    let mut key = [0u8; 8];
    let mut size = [0u8; 4];
    let mut next = [0u8; 8];
    time.copy_from_slice(&record[0..4]);
    key.copy_from_slice(&record[4..12]);
    size.copy_from_slice(&record[12..16]);
    next.copy_from_slice(&record[16..24]);
    let request = Request {
        time: u64::from(u32::from_le_bytes(time)),
        key: u64::from_le_bytes(key),
        size: u32::from_le_bytes(size),
    };
    (request, i64::from_le_bytes(next))
}

/// Writes requests as oracleGeneral records, with each record's next-access field as
/// libCacheSim writes it: the 1-based position of the key's next request, -1 if none.
///
/// ```
/// use cachelab::workload::{write_oracle, Request, TraceFormat, TraceReader};
/// let requests = [Request { time: 3, key: 9, size: 512 }, Request { time: 4, key: 9, size: 512 }];
/// let mut bytes = Vec::new();
/// write_oracle(&mut bytes, &requests).unwrap();
/// assert_eq!(bytes[16..24], 2i64.to_le_bytes(), "the next request for key 9 is the 2nd");
/// assert_eq!(bytes[40..48], (-1i64).to_le_bytes());
/// let back: Vec<Request> = TraceReader::new(&bytes[..], TraceFormat::Oracle).collect::<Result<_, _>>().unwrap();
/// assert_eq!(back, requests);
/// ```
pub fn write_oracle(out: &mut impl std::io::Write, requests: &[Request]) -> Result<()> {
    for (r, next) in requests.iter().zip(next_accesses(requests)) {
        let time = u32::try_from(r.time).map_err(|_| Error::Parse {
            what: "oracleGeneral record".into(),
            detail: format!("time {} does not fit in 32 bits", r.time),
        })?;
        let next = if next == u64::MAX {
            -1
        } else {
            next as i64 + 1
        };
        let mut record = [0u8; ORACLE_RECORD];
        record[0..4].copy_from_slice(&time.to_le_bytes());
        record[4..12].copy_from_slice(&r.key.to_le_bytes());
        record[12..16].copy_from_slice(&r.size.to_le_bytes());
        record[16..24].copy_from_slice(&next.to_le_bytes());
        out.write_all(&record).map_err(|e| Error::Parse {
            what: "oracleGeneral output".into(),
            detail: e.to_string(),
        })?;
    }
    Ok(())
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

/// A column number for messages, `none` when absent.
fn column_name(column: Option<NonZeroUsize>) -> String {
    column.map_or_else(|| "none".to_string(), |c| c.to_string())
}

/// A field without the double quotes around it, if it has them.
fn unquote(field: &[u8]) -> &[u8] {
    match field {
        [b'"', inner @ .., b'"'] => inner,
        _ => field,
    }
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

/// A time field: an unsigned integer, or a decimal fraction truncated to one (libCacheSim reads
/// times with `atof`).
fn parse_time(field: &[u8]) -> Option<u64> {
    parse_decimal(field).or_else(|| match field.iter().position(|&b| b == b'.') {
        Some(dot) => {
            let (whole, fraction) = (&field[..dot], &field[dot + 1..]);
            let whole = if whole.is_empty() {
                Some(0)
            } else {
                parse_decimal(whole)
            };
            whole.filter(|_| fraction.iter().all(u8::is_ascii_digit))
        }
        None => None,
    })
}

/// A numeric id: decimal, or hexadecimal after `0x` (libCacheSim reads ids with `strtoull(s,
/// 0)`; its octal reading of a leading 0 is not followed: `010` is ten here).
fn parse_id(field: &[u8]) -> Option<u64> {
    match field {
        [b'0', b'x' | b'X', hex @ ..] if !hex.is_empty() => hex.iter().try_fold(0u64, |acc, &b| {
            let digit = char::from(b).to_digit(16)?;
            acc.checked_mul(16)?.checked_add(u64::from(digit))
        }),
        _ => parse_decimal(field),
    }
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
            (b"1,2,3\n1,2\n", "line 2: expected at least 3 fields"),
            (b"1,2,3\n1;2;3\n", "line 2: expected at least 3 fields"),
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

    #[test]
    fn string_ids_hash_as_libcachesim_hashes_them() {
        let options = CsvOptions::parse("obj-id-is-num=false").unwrap();
        let requests: Vec<Request> =
            TraceReader::with_csv(&b"1,,5\n2,abc,5\n3,abc,5\n"[..], TraceFormat::Csv, options)
                .collect::<Result<_>>()
                .unwrap();
        // XXH3-64 of the empty input with seed 0: the reference vector of the XXH3 spec.
        assert_eq!(requests[0].key, 0x2d06_8005_38d3_94c2);
        assert_eq!(requests[1].key, requests[2].key);
        // Hex ids as libCacheSim's strtoull reads them; fractional times truncated as atof.
        let hex: Vec<Request> = TraceReader::new(&b"1.75,0x1f,5\n"[..], TraceFormat::Csv)
            .collect::<Result<_>>()
            .unwrap();
        assert_eq!((hex[0].time, hex[0].key), (1, 31));
    }

    #[test]
    fn zstd_streams_of_several_frames_decode_and_a_cut_one_is_an_error() {
        let text = (0..5_000)
            .map(|i| format!("{}\n", i % 97))
            .collect::<String>();
        let (a, b) = text.split_at(text.len() / 2);
        let frame = |part: &str| {
            ruzstd::encoding::compress_to_vec(
                part.as_bytes(),
                ruzstd::encoding::CompressionLevel::Fastest,
            )
        };
        let mut both = frame(a);
        both.extend(frame(b));
        let read = |bytes: &[u8]| -> Result<Vec<Request>> {
            open(bytes, "keys.txt.zst", ReadOptions::default())?.collect()
        };
        let plain = read(text.as_bytes()).unwrap();
        assert_eq!(read(&both).unwrap(), plain);
        assert_eq!(plain.len(), 5_000);
        let cut = &both[..both.len() / 3];
        assert!(read(cut).is_err());
    }
}
