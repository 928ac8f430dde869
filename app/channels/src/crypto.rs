//! The three signing primitives the providers use, plus a constant-time comparison.
//! Comparisons must not short-circuit on the first differing byte, or a forger could learn
//! a valid signature one byte at a time from response timings.

use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// HMAC-SHA1 (Twilio). HMAC accepts keys of any length, so construction cannot fail; the
/// fallback keeps this total without an `expect`.
pub(crate) fn hmac_sha1(key: &[u8], message: &[u8]) -> Vec<u8> {
    match Hmac::<Sha1>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(message);
            mac.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

/// HMAC-SHA256 (Meta).
pub(crate) fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(message);
            mac.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

/// Lowercase hex SHA-256 (Twilio's `bodySHA256`, fallback dedupe keys).
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Constant-time equality; an empty expected value never matches (it would mean a
/// misconfigured secret, which must fail closed).
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    !a.is_empty() && a.len() == b.len() && bool::from(a.ct_eq(b))
}
