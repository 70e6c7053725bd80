//! The chapter's cache manager, piece by piece: keys for cached functions ([`function_key`]) and
//! typed values that survive schema changes ([`encode`], [`decode`]).

mod key;
mod typed;

pub use key::{function_key, DIGEST_HEX_LEN};
pub use typed::{decode, encode, Decoded, Schema};
