//! A Bloom filter of the keys that exist, consulted before the database: "no" is certain (the
//! query is skipped), "maybe" lets the query through — and for a key that does not exist, that
//! "maybe" is a false positive, whose rate the run measures.

/// A fixed-size Bloom filter over `u64` keys, with `hashes` probes by double hashing.
#[derive(Clone, Debug)]
pub struct Bloom {
    bits: Vec<u64>,
    len_bits: u64,
    hashes: u32,
    inserted: u64,
}

/// SplitMix64's finaliser: a fixed, platform-independent mix of 64 bits.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Bloom {
    /// A filter sized for `keys` keys at `bits_per_key` bits each (at least 64 bits in all),
    /// with the number of probes that minimises false positives for that size.
    pub fn new(keys: u64, bits_per_key: u64) -> Self {
        let len_bits = keys.saturating_mul(bits_per_key).max(64);
        let hashes =
            libm::round(bits_per_key as f64 * core::f64::consts::LN_2).clamp(1.0, 16.0) as u32;
        Bloom {
            bits: vec![0; len_bits.div_ceil(64) as usize],
            len_bits,
            hashes,
            inserted: 0,
        }
    }

    fn probes(&self, key: u64) -> impl Iterator<Item = u64> + '_ {
        let h1 = mix(key);
        let h2 = mix(key ^ 0x9E37_79B9_7F4A_7C15) | 1;
        (0..u64::from(self.hashes))
            .map(move |i| h1.wrapping_add(i.wrapping_mul(h2)) % self.len_bits)
    }

    /// Adds `key`.
    pub fn insert(&mut self, key: u64) {
        let probes: Vec<u64> = self.probes(key).collect();
        for bit in probes {
            self.bits[(bit / 64) as usize] |= 1 << (bit % 64);
        }
        self.inserted += 1;
    }

    /// False if `key` was certainly never inserted.
    ///
    /// ```
    /// use cachelab::strategy::Bloom;
    /// let mut b = Bloom::new(1000, 10);
    /// (0..1000).for_each(|k| b.insert(k));
    /// assert!((0..1000).all(|k| b.may_contain(k)));      // no false negatives
    /// let fp = (1000..101_000).filter(|&k| b.may_contain(k)).count() as f64 / 100_000.0;
    /// assert!(fp < 2.0 * b.expected_fpr(), "{fp}");       // about 1 % at 10 bits a key
    /// ```
    pub fn may_contain(&self, key: u64) -> bool {
        self.probes(key)
            .all(|bit| self.bits[(bit / 64) as usize] & (1 << (bit % 64)) != 0)
    }

    /// Size in bits.
    pub fn len_bits(&self) -> u64 {
        self.len_bits
    }

    /// Probes per key.
    pub fn hashes(&self) -> u32 {
        self.hashes
    }

    /// The textbook false-positive rate for what was inserted: `(1 - e^(-k n / m))^k`.
    pub fn expected_fpr(&self) -> f64 {
        let k = f64::from(self.hashes);
        let fill = 1.0 - libm::exp(-k * self.inserted as f64 / self.len_bits as f64);
        libm::pow(fill, k)
    }
}
