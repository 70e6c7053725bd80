//! Typed values in a byte cache: a serde struct stored with its schema name and version.
//!
//! A cache outlives deploys. After a deploy that changes a struct, L2 still holds values written by
//! the old code; bytes can also be truncated or garbled. Reading such bytes must be a cache miss
//! (then the loader runs and the fresh value replaces them), never a crash and never a wrongly
//! shaped value. So every value is wrapped in an envelope `{"schema", "v", "data"}` and
//! [`decode`] checks name and version before it trusts `data`.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// A type that can be cached: its schema name and the version of its layout. Bump `VERSION`
/// whenever a change would make old bytes decode wrongly (a renamed, retyped or new required field).
pub trait Schema: Serialize + DeserializeOwned {
    /// A name that tells this type's values apart from others under a mistaken key.
    const NAME: &'static str;
    /// The layout version; values of any other version read as [`Decoded::OldSchema`].
    const VERSION: u32;
}

#[derive(Serialize)]
struct EnvelopeOut<'a, T> {
    schema: &'a str,
    v: u32,
    data: &'a T,
}

#[derive(Deserialize)]
struct EnvelopeIn {
    schema: String,
    v: u32,
    data: serde_json::Value,
}

/// What a cached byte string turned out to be.
#[derive(Debug, PartialEq)]
pub enum Decoded<T> {
    /// A current value.
    Value(T),
    /// A value of this type written with another layout version: treat as a miss and replace it.
    OldSchema {
        /// The version found.
        found: u32,
    },
    /// Bytes that are not a value of this type at all: treat as a miss and replace them.
    Corrupt(String),
}

/// The bytes to store for `value`.
///
/// ```
/// use cachelab::manager::{decode, encode, Decoded, Schema};
/// #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
/// struct User { id: u64, name: String }
/// impl Schema for User { const NAME: &'static str = "user"; const VERSION: u32 = 2; }
///
/// let bytes = encode(&User { id: 7, name: "Ada".into() });
/// assert_eq!(decode::<User>(&bytes), Decoded::Value(User { id: 7, name: "Ada".into() }));
/// // Bytes written by the previous deploy are a miss, not a crash:
/// let old = br#"{"schema":"user","v":1,"data":{"id":7,"full_name":"Ada"}}"#;
/// assert_eq!(decode::<User>(old), Decoded::OldSchema { found: 1 });
/// assert!(matches!(decode::<User>(b"\xff garbage"), Decoded::Corrupt(_)));
/// ```
pub fn encode<T: Schema>(value: &T) -> Vec<u8> {
    let envelope = EnvelopeOut {
        schema: T::NAME,
        v: T::VERSION,
        data: value,
    };
    // Serialising plain data to JSON fails only for maps with non-string keys or a failing custom
    // Serialize impl, both bugs in the type; an empty value then reads back as corrupt (a miss).
    serde_json::to_vec(&envelope).unwrap_or_default()
}

/// Reads bytes from the cache as a `T`, telling a current value from an old or corrupt one.
pub fn decode<T: Schema>(bytes: &[u8]) -> Decoded<T> {
    let envelope: EnvelopeIn = match serde_json::from_slice(bytes) {
        Ok(e) => e,
        Err(e) => return Decoded::Corrupt(format!("not an envelope: {e}")),
    };
    if envelope.schema != T::NAME {
        return Decoded::Corrupt(format!(
            "holds a `{}`, not a `{}`",
            envelope.schema,
            T::NAME
        ));
    }
    if envelope.v != T::VERSION {
        return Decoded::OldSchema { found: envelope.v };
    }
    match serde_json::from_value(envelope.data) {
        Ok(v) => Decoded::Value(v),
        Err(e) => Decoded::Corrupt(format!(
            "data does not fit `{}` v{}: {e}",
            T::NAME,
            T::VERSION
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::SimRng;

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Product {
        id: u64,
        price_cents: i64,
        tags: Vec<String>,
    }

    impl Schema for Product {
        const NAME: &'static str = "product";
        const VERSION: u32 = 3;
    }

    #[test]
    fn another_type_under_the_same_key_is_corrupt_not_misread() {
        #[derive(Serialize, Deserialize)]
        struct Other {
            id: u64,
        }
        impl Schema for Other {
            const NAME: &'static str = "other";
            const VERSION: u32 = 3;
        }
        assert!(matches!(
            decode::<Product>(&encode(&Other { id: 1 })),
            Decoded::Corrupt(_)
        ));
    }

    #[test]
    fn same_version_with_a_wrong_shape_is_corrupt() {
        let bytes = br#"{"schema":"product","v":3,"data":{"id":"seven"}}"#;
        assert!(matches!(decode::<Product>(bytes), Decoded::Corrupt(_)));
    }

    #[test]
    fn random_and_truncated_bytes_never_panic() {
        let good = encode(&Product {
            id: 1,
            price_cents: -5,
            tags: vec!["a".into()],
        });
        for cut in 0..good.len() {
            assert!(!matches!(
                decode::<Product>(&good[..cut]),
                Decoded::Value(_)
            ));
        }
        let mut rng = SimRng::new(99);
        for _ in 0..2_000 {
            let len = rng.below(64) as usize;
            let mut bytes: Vec<u8> = (0..len).map(|_| rng.below(256) as u8).collect();
            // Flip one byte of a real value too, so that near-misses are tried as well as noise.
            if rng.chance(0.5) {
                bytes = good.clone();
                let at = rng.below(bytes.len() as u64) as usize;
                bytes[at] ^= 1 << rng.below(8);
            }
            let _ = decode::<Product>(&bytes);
        }
    }
}
