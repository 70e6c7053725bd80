//! Cache keys for function results: stable, readable at the front, collision-resistant at the back.
//!
//! A key is `prefix:function:digest`, where the digest is the first 32 hex digits (128 bits) of
//! SHA-256 over the function name and a canonical encoding of its arguments. The encoding is the
//! arguments serialised as a JSON array with object keys sorted (serde_json's `Value` keeps maps
//! in a `BTreeMap`), so:
//! - the same arguments always give the same key, on every platform and in every run;
//! - a different order of arguments (`f(1, 2)` against `f(2, 1)`), a string against a number
//!   (`"1"` against `1`), or other nesting (`[[1], 2]` against `[1, [2]]`) gives other bytes, hence
//!   another digest;
//! - the digest has a fixed length however large the arguments are, so keys stay short.
//!
//! Integers of different widths with the same value encode alike (`1u8` and `1i64` are the same
//! argument), which is what a caller means; a float and an integer do not (`1.0` against `1`).
//! Likewise `None` and `()` both mean "nothing" and encode alike.

use serde::Serialize;
use sha2::{Digest, Sha256};

/// Hex digits of the digest kept in a key: 128 bits, far beyond any cache's key count.
pub const DIGEST_HEX_LEN: usize = 32;

/// The key under which `function(args)`'s result is cached.
///
/// ```
/// use cachelab::manager::function_key;
/// let a = function_key("app", "user_profile", &(42, "en")).unwrap();
/// assert!(a.starts_with("app:user_profile:"));
/// assert_eq!(a.len(), "app:user_profile:".len() + 32);
/// // The same call gives the same key; swapping the arguments gives another.
/// assert_eq!(a, function_key("app", "user_profile", &(42, "en")).unwrap());
/// assert_ne!(a, function_key("app", "user_profile", &("en", 42)).unwrap());
/// ```
pub fn function_key<A: Serialize + ?Sized>(
    prefix: &str,
    function: &str,
    args: &A,
) -> Result<String, serde_json::Error> {
    let canonical = canonical_args(args)?;
    let mut hasher = Sha256::new();
    // The name is length-prefixed so that no (name, args) pair can borrow bytes from the other.
    hasher.update((function.len() as u64).to_le_bytes());
    hasher.update(function.as_bytes());
    hasher.update(canonical.as_bytes());
    let digest = hasher.finalize();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!("{prefix}:{function}:{}", &hex[..DIGEST_HEX_LEN]))
}

/// The canonical text of `args`: JSON with object keys sorted.
fn canonical_args<A: Serialize + ?Sized>(args: &A) -> Result<String, serde_json::Error> {
    // Going through `Value` sorts object keys (and so `HashMap` arguments) deterministically.
    serde_json::to_value(args).and_then(|v| serde_json::to_string(&v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeSet, HashMap};

    fn key<A: Serialize + ?Sized>(args: &A) -> String {
        function_key("t", "f", args).unwrap()
    }

    #[test]
    fn argument_order_types_and_nesting_do_not_collide() {
        let keys = [
            key(&(1, 2)),
            key(&(2, 1)),
            key(&("1", 2)),
            key(&(1.0, 2)),
            key(&((1,), 2)),
            key(&(1, (2,))),
            key(&((1, 2),)),
            key(&("a,b",)),
            key(&("a", "b")),
            key(&(None::<u8>,)),
            key(&(true,)),
            key(&("true",)),
            key(&Vec::<u8>::new()),
            key(&("",)),
        ];
        let distinct: BTreeSet<_> = keys.iter().collect();
        assert_eq!(distinct.len(), keys.len(), "{keys:#?}");
    }

    #[test]
    fn the_function_name_is_part_of_the_digest() {
        assert_ne!(
            function_key("t", "f", &(1,)).unwrap(),
            function_key("t", "g", &(1,)).unwrap()
        );
        // Name and arguments cannot trade bytes.
        assert_ne!(
            function_key("t", "ab", &("c",)).unwrap().rsplit(':').next(),
            function_key("t", "a", &("bc",)).unwrap().rsplit(':').next()
        );
    }

    #[test]
    fn map_arguments_are_canonical_whatever_their_insertion_order() {
        let mut a = HashMap::new();
        let mut b = HashMap::new();
        for i in 0..50 {
            a.insert(format!("k{i}"), i);
        }
        for i in (0..50).rev() {
            b.insert(format!("k{i}"), i);
        }
        assert_eq!(key(&a), key(&b));
    }

    #[test]
    fn keys_are_stable_across_runs_and_platforms() {
        // A fixed value, checked independently with Python's hashlib:
        // sha256(le_u64(1) + b"f" + b'[42,"en"]')[:32]. If it changes, every cached result in a
        // deployed cache is orphaned.
        assert_eq!(key(&(42, "en")), "t:f:0dae8b64d584c17efabf15e4e216be01");
    }

    #[test]
    fn the_key_length_is_fixed_whatever_the_arguments() {
        let long = "x".repeat(10_000);
        assert_eq!(key(&(long,)).len(), key(&(1,)).len());
    }
}
