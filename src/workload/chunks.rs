//! A trace read from chunks pushed in as they arrive (the browser's `File.stream()`), rather than
//! pulled from a reader: each chunk's complete lines (or 24-byte records) are parsed at once and
//! the rest waits for the next chunk, so memory holds one chunk and a partial line, never the file.
//!
//! The same [`TraceReader`] parses them, fed one chunk at a time, so line numbers, header and
//! delimiter detection and errors are those of the pulled reader. zstd-compressed input is
//! refused here (its decoder pulls; decompress first, or read the file whole).

use super::trace::{Compression, ReadOptions, Request, TraceFormat, TraceReader};
use crate::error::{Error, Result};
use std::io::Cursor;

/// See the [module docs](self).
pub struct ChunkedReader {
    options: ReadOptions,
    /// Created at the first chunk (whose bytes tell the format when the options do not).
    reader: Option<TraceReader<Cursor<Vec<u8>>>>,
    /// Bytes after the last complete line or record.
    tail: Vec<u8>,
    bytes: u64,
}

impl ChunkedReader {
    /// A reader of a trace in `options`' format (else the first chunk's bytes say).
    pub fn new(options: ReadOptions) -> Self {
        ChunkedReader {
            options,
            reader: None,
            tail: Vec::new(),
            bytes: 0,
        }
    }

    /// Bytes pushed so far.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Parses the complete lines or records of `tail + chunk`, calling `each(request, recorded
    /// next access)` for each (see [`TraceReader::recorded_next`]).
    ///
    /// ```
    /// use cachelab::workload::{ChunkedReader, Request, TraceFormat};
    /// let mut reader = ChunkedReader::new(TraceFormat::Csv.into());
    /// let mut keys = Vec::new();
    /// for chunk in ["time,key,size\n1,4", "2,10\n2,7,", "5\n3,42,10"] {
    ///     reader.push(chunk.as_bytes(), &mut |r: Request, _| Ok(keys.push(r.key))).unwrap();
    /// }
    /// reader.finish(&mut |r: Request, _| Ok(keys.push(r.key))).unwrap();
    /// assert_eq!(keys, [42, 7, 42]);
    /// ```
    pub fn push(
        &mut self,
        chunk: &[u8],
        each: &mut dyn FnMut(Request, Option<u64>) -> Result<()>,
    ) -> Result<()> {
        self.bytes += chunk.len() as u64;
        self.tail.extend_from_slice(chunk);
        let reader = match &mut self.reader {
            Some(reader) => reader,
            None => {
                if self.tail.len() < 4 && self.options.format.is_none() {
                    return Ok(()); // too few bytes to tell the format yet
                }
                if Compression::detect(&self.tail) == Compression::Zstd {
                    return Err(Error::Parse {
                        what: "trace".into(),
                        detail: "a zstd-compressed trace cannot be read in chunks: \
                                 decompress it first (zstd -d), or read it whole"
                            .into(),
                    });
                }
                let format = self
                    .options
                    .format
                    .unwrap_or_else(|| TraceFormat::sniff(&self.tail));
                self.reader.insert(TraceReader::with_csv(
                    Cursor::new(Vec::new()),
                    format,
                    self.options.csv,
                ))
            }
        };
        let complete = match reader.format() {
            TraceFormat::Oracle => self.tail.len() / 24 * 24,
            TraceFormat::Csv | TraceFormat::Text => self
                .tail
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1),
        };
        let rest = self.tail.split_off(complete);
        let whole = std::mem::replace(&mut self.tail, rest);
        Self::drain(reader, whole, each)
    }

    /// Parses what is left (a last line without a newline; a partial record is an error naming
    /// it). An empty trace is not an error here: the caller counts requests.
    pub fn finish(
        &mut self,
        each: &mut dyn FnMut(Request, Option<u64>) -> Result<()>,
    ) -> Result<()> {
        if self.reader.is_none() {
            if self.tail.is_empty() {
                return Ok(());
            }
            // Fewer than four bytes in all: read them as the options or the bytes say.
            let format = self
                .options
                .format
                .unwrap_or_else(|| TraceFormat::sniff(&self.tail));
            self.reader = Some(TraceReader::with_csv(
                Cursor::new(Vec::new()),
                format,
                self.options.csv,
            ));
        }
        let whole = std::mem::take(&mut self.tail);
        match &mut self.reader {
            Some(reader) => Self::drain(reader, whole, each),
            None => Ok(()),
        }
    }

    fn drain(
        reader: &mut TraceReader<Cursor<Vec<u8>>>,
        bytes: Vec<u8>,
        each: &mut dyn FnMut(Request, Option<u64>) -> Result<()>,
    ) -> Result<()> {
        *reader.input_mut() = Cursor::new(bytes);
        while let Some(request) = reader.next() {
            let request = request?;
            each(request, reader.recorded_next()?)?;
        }
        Ok(())
    }
}
