//! A trace read from chunks pushed in as they arrive (the browser's `File.stream()`), rather than
//! pulled from a reader: each chunk's complete lines (or 24-byte records) are parsed at once and
//! the rest waits for the next chunk, so memory holds one chunk and a partial line, never the file.
//!
//! The same [`TraceReader`] parses them, fed one chunk at a time, so line numbers, header and
//! delimiter detection and errors are those of the pulled reader. zstd-compressed input is
//! decompressed block by block as its bytes arrive ([`ZstdPush`]): `ruzstd`'s decoder pulls from
//! a reader and cannot wait for bytes that have not come yet, so a block is handed to it only
//! once all of it is here (a block is at most 128 KiB compressed), and memory holds the decoder's
//! window, never the whole file.

use super::trace::{Compression, ReadOptions, Request, TraceFormat, TraceReader};
use crate::error::{Error, Result};
use ruzstd::decoding::{BlockDecodingStrategy, FrameDecoder};
use std::io::Cursor;

/// See the [module docs](self).
pub struct ChunkedReader {
    options: ReadOptions,
    /// Created at the first chunk (whose bytes tell the format when the options do not).
    reader: Option<TraceReader<Cursor<Vec<u8>>>>,
    /// Bytes after the last complete line or record (decompressed).
    tail: Vec<u8>,
    bytes: u64,
    /// Whether the input is zstd-compressed: `None` until its first four bytes are here.
    zstd: Option<Option<ZstdPush>>,
}

impl ChunkedReader {
    /// A reader of a trace in `options`' format (else the first chunk's bytes say).
    pub fn new(options: ReadOptions) -> Self {
        ChunkedReader {
            options,
            reader: None,
            tail: Vec::new(),
            bytes: 0,
            zstd: None,
        }
    }

    /// The format the lines or records are read as, once the first bytes have told it.
    pub fn format(&self) -> Option<TraceFormat> {
        self.reader.as_ref().map(TraceReader::format)
    }

    /// Appends `chunk` (decompressed if the input is zstd) to the tail; `false` while there are
    /// too few bytes to tell whether the input is compressed.
    fn take(&mut self, chunk: &[u8]) -> Result<bool> {
        match &mut self.zstd {
            Some(Some(zstd)) => zstd.push(chunk, &mut self.tail)?,
            Some(None) => self.tail.extend_from_slice(chunk),
            None => {
                self.tail.extend_from_slice(chunk);
                if self.tail.len() < 4 {
                    return Ok(false);
                }
                let head = std::mem::take(&mut self.tail);
                let zstd = match Compression::detect(&head) {
                    Compression::Zstd => {
                        let mut zstd = ZstdPush::default();
                        zstd.push(&head, &mut self.tail)?;
                        Some(zstd)
                    }
                    Compression::None => {
                        self.tail = head;
                        None
                    }
                };
                self.zstd = Some(zstd);
            }
        }
        Ok(true)
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
        if !self.take(chunk)? {
            return Ok(()); // too few bytes to tell the compression yet
        }
        let reader = match &mut self.reader {
            Some(reader) => reader,
            None => {
                if self.tail.len() < 4 && self.options.format.is_none() {
                    return Ok(()); // too few bytes to tell the format yet
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
        if let Some(Some(zstd)) = &self.zstd {
            zstd.finish()?;
        }
        if self.reader.is_none() {
            if self.tail.is_empty() {
                return Ok(());
            }
            // Fewer than four bytes (decompressed) in all: read them as the options or the bytes
            // say.
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

/// zstd decompression fed by chunks: the compressed bytes wait in `input` until a whole frame
/// header or block is there, which `ruzstd` then decodes from memory. Frames follow each other
/// (`pzstd` and concatenated files have several); skippable frames are skipped.
#[derive(Default)]
struct ZstdPush {
    decoder: FrameDecoder,
    /// Compressed bytes not decoded yet.
    input: Vec<u8>,
    /// Bytes read from the start of the stream, for the position in an error.
    read: u64,
    frame: ZstdFrame,
}

#[derive(Clone, Copy, Default, PartialEq, Eq)]
enum ZstdFrame {
    /// Before a frame (or at the end of the stream).
    #[default]
    Between,
    /// In a skippable frame, with this many bytes of it still to come.
    Skipping(u64),
    /// Inside a frame; whether it ends with a 4-byte checksum.
    Inside { checksum: bool },
}

/// Skippable frames' magic numbers are 0x184D2A50 to 0x184D2A5F (RFC 8878, section 3.1.2).
const SKIPPABLE_MAGIC: u32 = 0x184D_2A50;
/// A frame's magic number (the bytes `28 b5 2f fd`).
const ZSTD_FRAME_MAGIC: u32 = 0xFD2F_B528;

impl ZstdPush {
    /// Decompresses what `chunk` completes, appending it to `out`.
    fn push(&mut self, chunk: &[u8], out: &mut Vec<u8>) -> Result<()> {
        self.input.extend_from_slice(chunk);
        let mut at = 0;
        let result = self.decode(&mut at, out);
        self.input.drain(..at);
        self.read += at as u64;
        result
    }

    /// Decodes the whole headers and blocks from `input[*at..]`, moving `at` past them.
    fn decode(&mut self, at: &mut usize, out: &mut Vec<u8>) -> Result<()> {
        loop {
            let rest = &self.input[*at..];
            match self.frame {
                ZstdFrame::Skipping(left) => {
                    let n = left.min(rest.len() as u64);
                    *at += n as usize;
                    if n < left {
                        self.frame = ZstdFrame::Skipping(left - n);
                        return Ok(());
                    }
                    self.frame = ZstdFrame::Between;
                }
                ZstdFrame::Between => {
                    let Some(magic) = rest.first_chunk::<4>().map(|m| u32::from_le_bytes(*m))
                    else {
                        return Ok(());
                    };
                    if magic & !0xF == SKIPPABLE_MAGIC {
                        let Some(len) = rest.get(4..8) else {
                            return Ok(());
                        };
                        let len = u32::from_le_bytes([len[0], len[1], len[2], len[3]]);
                        *at += 8;
                        self.frame = ZstdFrame::Skipping(u64::from(len));
                        continue;
                    }
                    if magic != ZSTD_FRAME_MAGIC {
                        return Err(zstd_error(
                            self.read + *at as u64,
                            "what follows the last frame is not another frame",
                        ));
                    }
                    let Some(&descriptor) = rest.get(4) else {
                        return Ok(());
                    };
                    let header = frame_header_len(descriptor);
                    if rest.len() < header {
                        return Ok(());
                    }
                    let position = self.read + *at as u64;
                    self.decoder
                        .reset(&rest[..header])
                        .map_err(|e| zstd_error(position, e))?;
                    *at += header;
                    self.frame = ZstdFrame::Inside {
                        checksum: descriptor & 0b100 != 0,
                    };
                }
                ZstdFrame::Inside { checksum } => {
                    let Some(&[b0, b1, b2]) = rest.first_chunk::<3>() else {
                        return Ok(());
                    };
                    let header = u32::from_le_bytes([b0, b1, b2, 0]);
                    let last = header & 1 == 1;
                    let size = (header >> 3) as usize;
                    // Block types: 0 raw, 1 RLE (one byte repeated), 2 compressed, 3 reserved
                    // (which the decoder refuses).
                    let body = if (header >> 1) & 0b11 == 1 { 1 } else { size };
                    let need = 3 + body + if last && checksum { 4 } else { 0 };
                    if rest.len() < need {
                        return Ok(());
                    }
                    let position = self.read + *at as u64;
                    let mut block = &rest[..need];
                    self.decoder
                        .decode_blocks(&mut block, BlockDecodingStrategy::UptoBlocks(1))
                        .map_err(|e| zstd_error(position, e))?;
                    *at += need - block.len();
                    // Everything beyond the window the next blocks may refer back to (all of
                    // it after the last block).
                    self.decoder
                        .collect_to_writer(&mut *out)
                        .map_err(|e| zstd_error(position, e))?;
                    if last {
                        self.frame = ZstdFrame::Between;
                    }
                }
            }
        }
    }

    /// Checks that the stream ended between frames.
    fn finish(&self) -> Result<()> {
        if self.frame == ZstdFrame::Between && self.input.is_empty() {
            return Ok(());
        }
        Err(Error::Parse {
            what: "trace".into(),
            detail: format!(
                "the zstd stream is truncated: it ends inside a frame, after {} bytes",
                self.read + self.input.len() as u64
            ),
        })
    }
}

/// The length of a frame header from its descriptor byte (RFC 8878, section 3.1.1.1): magic
/// number and descriptor, then the window byte unless the frame is a single segment, the
/// dictionary id and the content size.
fn frame_header_len(descriptor: u8) -> usize {
    let single_segment = descriptor & 0b10_0000 != 0;
    let window = usize::from(!single_segment);
    let dictionary = [0, 1, 2, 4][usize::from(descriptor & 0b11)];
    let content_size = match descriptor >> 6 {
        0 => usize::from(single_segment),
        1 => 2,
        2 => 4,
        _ => 8,
    };
    5 + window + dictionary + content_size
}

fn zstd_error(position: u64, e: impl std::fmt::Display) -> Error {
    Error::Parse {
        what: "trace".into(),
        detail: format!("zstd data at byte {position}: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every request of `bytes` read in chunks of `chunk` bytes.
    fn read(bytes: &[u8], chunk: usize) -> Result<Vec<(Request, Option<u64>)>> {
        let mut reader = ChunkedReader::new(ReadOptions::default());
        let mut all = Vec::new();
        let mut each = |r, next| {
            all.push((r, next));
            Ok(())
        };
        for piece in bytes.chunks(chunk) {
            reader.push(piece, &mut each)?;
        }
        reader.finish(&mut each)?;
        Ok(all)
    }

    #[test]
    fn zstd_in_chunks_of_any_size_reads_as_the_whole_file() {
        let zst: &[u8] = include_bytes!("../../www/traces/cloudphysics.oracleGeneral.zst");
        let whole: Vec<(Request, Option<u64>)> = {
            let mut reader = super::super::open(zst, "t", ReadOptions::default()).unwrap();
            let mut all = Vec::new();
            while let Some(r) = reader.next() {
                all.push((r.unwrap(), reader.recorded_next().unwrap()));
            }
            all
        };
        assert_eq!(whole.len(), 113_872);
        for chunk in [1, 3, 24, 4093, 65_536, 1 << 22] {
            assert!(read(zst, chunk).unwrap() == whole, "chunks of {chunk}");
        }
        // Two frames (as pzstd writes), a skippable frame between them, and ruzstd's own
        // encoder's output rather than the zstd program's.
        let plain = b"time,key,size\n1,4,10\n2,7,10\n3,4,10\n";
        let frame = compress(plain);
        let mut two = frame.clone();
        two.extend_from_slice(&[0x5a, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 9, 9, 9]);
        two.extend_from_slice(&compress(b"4,9,10\n"));
        for chunk in [1, 2, 5, 1000] {
            let keys: Vec<u64> = read(&two, chunk)
                .unwrap()
                .iter()
                .map(|(r, _)| r.key)
                .collect();
            assert_eq!(keys, [4, 7, 4, 9], "chunks of {chunk}");
        }
        // A stream cut inside a frame is named, wherever the cut falls.
        for cut in [5, frame.len() - 1] {
            let err = read(&frame[..cut], 3).unwrap_err().to_string();
            assert!(err.contains("zstd stream is truncated"), "{cut}: {err}");
        }
        let mut bad = frame.clone();
        bad.extend_from_slice(b"not zstd");
        let err = read(&bad, 7).unwrap_err().to_string();
        assert!(err.contains("zstd data at byte"), "{err}");
    }

    fn compress(plain: &[u8]) -> Vec<u8> {
        ruzstd::encoding::compress_to_vec(plain, ruzstd::encoding::CompressionLevel::Fastest)
    }
}
