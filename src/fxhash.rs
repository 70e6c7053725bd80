//! A fast, deterministic hasher for the simulator's own hash maps (the policies' key index, the L2
//! model's keyspace).

use std::hash::Hasher;

/// A multiplicative hasher in the style of rustc's FxHash, for `u64` keys.
///
/// SipHash (std's default) resists hash flooding, which a simulator replaying a trace does not
/// need, and costs several times more per lookup. One multiply spreads the key into the high bits;
/// the final rotation brings them down to the low bits the table indexes with, so keys that share
/// their low bits (block addresses aligned to 4 KiB, say) still spread over the table.
#[derive(Clone, Copy, Default)]
pub struct FxHasher {
    hash: u64,
}

const FX_SEED: u64 = 0xf135_7aea_2e62_a9c5;

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.hash = (self.hash ^ value).wrapping_mul(FX_SEED);
    }

    fn finish(&self) -> u64 {
        self.hash.rotate_left(26)
    }
}
