//! A whole trace parsed once into a compact in-memory form, so that every later pass (the
//! capacities' fractions, each cache of a sweep, the miss-ratio curve, the analysis) reads memory
//! instead of parsing the file again.
//!
//! Each request keeps a dense `u32` id (the order in which its key first appeared); keys and
//! sizes are stored once per id. Only a trace in which some key changes size keeps a size per
//! request. That is 4 bytes a request (8 with varying sizes) plus 12 a key, against 24 for an
//! oracleGeneral record — and the dense ids let one-pass algorithms index arrays instead of
//! hashing keys.

use super::{Request, TraceReader, TraceStats};
use crate::error::{Error, Result};
use crate::policy::{Access, FxMap};
use std::borrow::Cow;
use std::io::BufRead;

/// A trace in memory. See the [module docs](self).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodedTrace {
    ids: Vec<u32>,
    keys: Vec<u64>,
    /// Each key's size at its first request.
    key_sizes: Vec<u32>,
    /// Each request's size, only once some key has been seen with two sizes.
    sizes: Option<Vec<u32>>,
    stats: TraceStats,
    /// The first and last requests' times.
    time_span: [u64; 2],
    /// Each request's next access as the file recorded it (oracleGeneral), when every field
    /// was consistent and no record was skipped.
    recorded_next: Option<Vec<u32>>,
}

/// The most requests (and keys) a decoded trace holds: request indices and ids are `u32`s, and
/// `u32::MAX` is kept free for "never".
pub const MAX_DECODED_REQUESTS: u64 = u32::MAX as u64 - 1;

impl DecodedTrace {
    /// Reads every request. Returns `Ok(None)` as soon as there are more than `max_requests`
    /// (capped at [`MAX_DECODED_REQUESTS`]): the caller then streams the trace instead. An empty
    /// trace is an error, as in [`TraceStats::scan`].
    ///
    /// ```
    /// use cachelab::workload::{DecodedTrace, TraceFormat, TraceReader};
    /// let read = |max| DecodedTrace::decode(TraceReader::new("1\n2\n1\n".as_bytes(), TraceFormat::Text), max);
    /// let trace = read(10).unwrap().unwrap();
    /// assert_eq!((trace.len(), trace.unique()), (3, 2));
    /// assert_eq!(trace.ids(), [0, 1, 0]);
    /// assert!(read(2).unwrap().is_none(), "too many requests: stream instead");
    /// ```
    pub fn decode(
        requests: impl Iterator<Item = Result<Request>>,
        max_requests: u64,
    ) -> Result<Option<DecodedTrace>> {
        let max_requests = max_requests.min(MAX_DECODED_REQUESTS);
        let mut index = FxMap::<u32>::default();
        let mut trace = DecodedTrace {
            ids: Vec::new(),
            keys: Vec::new(),
            key_sizes: Vec::new(),
            sizes: None,
            stats: TraceStats::default(),
            time_span: [0, 0],
            recorded_next: None,
        };
        for request in requests {
            let request = request?;
            if trace.ids.len() as u64 >= max_requests {
                return Ok(None);
            }
            let fresh = trace.keys.len() as u32;
            let id = *index.entry(request.key).or_insert(fresh);
            if id == fresh {
                trace.keys.push(request.key);
                trace.key_sizes.push(request.size);
                trace.stats.unique_keys += 1;
                trace.stats.unique_bytes += u64::from(request.size);
            } else if trace.sizes.is_none() && trace.key_sizes[id as usize] != request.size {
                // The first key to change size: from here on, sizes are kept per request.
                let sizes = trace
                    .ids
                    .iter()
                    .map(|&id| trace.key_sizes[id as usize])
                    .collect();
                trace.sizes = Some(sizes);
            }
            if let Some(sizes) = &mut trace.sizes {
                sizes.push(request.size);
            }
            if trace.ids.is_empty() {
                trace.time_span[0] = request.time;
            }
            trace.time_span[1] = request.time;
            trace.ids.push(id);
            trace.stats.requests += 1;
            trace.stats.total_bytes += u64::from(request.size);
        }
        if trace.ids.is_empty() {
            return Err(Error::Parse {
                what: "trace".into(),
                detail: "it holds no requests".into(),
            });
        }
        Ok(Some(trace))
    }

    /// [`DecodedTrace::decode`] of a reader's requests, keeping the next-access field of an
    /// oracleGeneral file ([`TraceReader::recorded_next`]) so that Belady needs no pass of its
    /// own. The field is dropped (and recomputed when needed) if a record skipped for size 0
    /// shifts the positions, or if any field is inconsistent.
    pub fn decode_reader<R: BufRead>(
        mut reader: TraceReader<R>,
        max_requests: u64,
    ) -> Result<Option<DecodedTrace>> {
        let mut recorded = Vec::new();
        let mut consistent = true;
        let requests = std::iter::from_fn(|| {
            let request = reader.next()?;
            if request.is_ok() && consistent {
                match reader.recorded_next() {
                    Ok(Some(next)) => recorded.push(u32::try_from(next).unwrap_or(u32::MAX)),
                    Ok(None) | Err(_) => consistent = false,
                }
            }
            Some(request)
        });
        let Some(mut trace) = DecodedTrace::decode(requests, max_requests)? else {
            return Ok(None);
        };
        let len = trace.len();
        let shifted = reader.skipped_zero_size() > 0;
        // A field past the end (a truncated trace) is not this trace's future either.
        if consistent
            && !shifted
            && recorded.len() == len
            && recorded
                .iter()
                .all(|&n| n == u32::MAX || (n as usize) < len)
        {
            trace.recorded_next = Some(recorded);
        }
        Ok(Some(trace))
    }

    /// Whether the next accesses come from the file's own field.
    pub fn has_recorded_next(&self) -> bool {
        self.recorded_next.is_some()
    }

    /// Each request's next access: the file's field when it had one, else
    /// [`DecodedTrace::next_accesses`].
    pub fn future(&self) -> Cow<'_, [u32]> {
        match &self.recorded_next {
            Some(next) => Cow::Borrowed(next),
            None => Cow::Owned(self.next_accesses()),
        }
    }

    /// Requests, unique keys and bytes.
    pub fn stats(&self) -> TraceStats {
        self.stats
    }

    /// The first and last requests' times, in the trace's unit.
    pub fn time_span(&self) -> [u64; 2] {
        self.time_span
    }

    /// Requests in the trace.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Always false: an empty trace is refused when decoding.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Distinct keys.
    pub fn unique(&self) -> usize {
        self.keys.len()
    }

    /// Each request's dense id (`0..unique()`, in order of first appearance).
    pub fn ids(&self) -> &[u32] {
        &self.ids
    }

    /// The key of dense id `id`.
    pub fn key(&self, id: u32) -> u64 {
        self.keys[id as usize]
    }

    /// The size of key `id` at its first request.
    pub fn key_size(&self, id: u32) -> u32 {
        self.key_sizes[id as usize]
    }

    /// The size of request `i`.
    #[inline]
    pub fn size(&self, i: usize) -> u32 {
        match &self.sizes {
            Some(sizes) => sizes[i],
            None => self.key_sizes[self.ids[i] as usize],
        }
    }

    /// Request `i` as a policy sees it (its next access unknown).
    #[inline]
    pub fn access(&self, i: usize) -> Access {
        Access::new(self.keys[self.ids[i] as usize], self.size(i))
    }

    /// Every request in order, as policies see them.
    pub fn accesses(&self) -> impl Iterator<Item = Access> + '_ {
        (0..self.ids.len()).map(|i| self.access(i))
    }

    /// For each request, the index of the next request for the same key, `u32::MAX` if none
    /// (Belady's future knowledge), in one backward pass over the ids.
    ///
    /// ```
    /// use cachelab::workload::{DecodedTrace, TraceFormat, TraceReader};
    /// let trace = DecodedTrace::decode(TraceReader::new("5\n6\n5\n".as_bytes(), TraceFormat::Text), 10).unwrap().unwrap();
    /// assert_eq!(trace.next_accesses(), [2, u32::MAX, u32::MAX]);
    /// ```
    pub fn next_accesses(&self) -> Vec<u32> {
        let mut later = vec![u32::MAX; self.keys.len()];
        let mut next = vec![u32::MAX; self.ids.len()];
        for (i, &id) in self.ids.iter().enumerate().rev() {
            next[i] = later[id as usize];
            later[id as usize] = i as u32;
        }
        next
    }

    /// Request `i` with its next access from [`DecodedTrace::next_accesses`].
    #[inline]
    pub fn access_with_next(&self, i: usize, next: &[u32]) -> Access {
        let next_access = match next[i] {
            u32::MAX => Access::NEVER,
            j => u64::from(j),
        };
        Access {
            next_access,
            ..self.access(i)
        }
    }

    /// The requests whose key `keep` accepts, as a trace of their own (ids renumbered), or
    /// `None` if it accepts none: the spatially sampled trace of SHARDS and MiniSim.
    pub fn sample(&self, keep: impl Fn(u64) -> bool) -> Option<DecodedTrace> {
        let kept: Vec<bool> = self.keys.iter().map(|&k| keep(k)).collect();
        let requests = (0..self.ids.len())
            .filter(|&i| kept[self.ids[i] as usize])
            .map(|i| {
                Ok(Request {
                    time: i as u64,
                    key: self.keys[self.ids[i] as usize],
                    size: self.size(i),
                })
            });
        DecodedTrace::decode(requests, MAX_DECODED_REQUESTS)
            .ok()
            .flatten()
    }

    /// Bytes its vectors hold.
    pub fn memory_bytes(&self) -> usize {
        self.ids.capacity() * 4
            + self.keys.capacity() * 8
            + self.key_sizes.capacity() * 4
            + self.sizes.as_ref().map_or(0, |s| s.capacity() * 4)
            + self.recorded_next.as_ref().map_or(0, |s| s.capacity() * 4)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(requests: &[(u64, u32)]) -> DecodedTrace {
        let requests = requests
            .iter()
            .map(|&(key, size)| Ok(Request { time: 0, key, size }));
        DecodedTrace::decode(requests, u64::MAX).unwrap().unwrap()
    }

    #[test]
    fn sizes_are_kept_per_key_until_one_changes() {
        let same = decode(&[(7, 10), (8, 20), (7, 10)]);
        assert!(same.sizes.is_none());
        assert_eq!(
            (0..3).map(|i| same.size(i)).collect::<Vec<_>>(),
            [10, 20, 10]
        );
        let varying = decode(&[(7, 10), (8, 20), (7, 30), (8, 20)]);
        assert_eq!(
            varying
                .accesses()
                .map(|a| (a.key, a.size))
                .collect::<Vec<_>>(),
            [(7, 10), (8, 20), (7, 30), (8, 20)]
        );
        let stats = varying.stats();
        assert_eq!((stats.unique_bytes, stats.total_bytes), (30, 80));
    }

    #[test]
    fn a_sample_keeps_the_accepted_keys_in_order() {
        let trace = decode(&[(1, 1), (2, 1), (3, 1), (2, 1), (1, 1)]);
        let odd = trace.sample(|k| k % 2 == 1).unwrap();
        assert_eq!(odd.accesses().map(|a| a.key).collect::<Vec<_>>(), [1, 3, 1]);
        assert!(trace.sample(|_| false).is_none());
        assert!(DecodedTrace::decode(std::iter::empty(), 10).is_err());
    }
}
