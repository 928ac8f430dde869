//! Visitor tokens and start nonces, both signed with the server's key (in the database or
//! the environment).
//!
//! A token is `v2.<visitor id>.<issued at, Unix ms>.<HMAC-SHA256, base64url>`. A visitor proves
//! who they are with it, not with a guessable id. It lasts [`TOKEN_LIFETIME_MS`] and is
//! renewed silently while in use (every resume hands out a fresh one); an agent can revoke a
//! visitor's tokens (signing them out of the widget), which the engine checks against the
//! issue time.
//!
//! A start nonce, `n1.<random>.<issued at>.<HMAC>`, is handed to the widget with its
//! configuration. A start carries it, the conversation keeps its hash, and a retried start
//! (same first message id) is answered with the visitor's token only if it brings the same
//! nonce: what agents see of a chat (its first message's id, the email) opens nothing.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use uuid::Uuid;

type HmacSha256 = Hmac<Sha256>;

/// A token works this long after it was issued (30 days).
pub const TOKEN_LIFETIME_MS: i64 = 30 * 24 * 3600 * 1000;
/// A start nonce works this long after it was issued (a day: a form left open overnight).
pub const NONCE_LIFETIME_MS: i64 = 24 * 3600 * 1000;
/// Clocks of several nodes may differ this much.
const SKEW_MS: i64 = 5 * 60 * 1000;

/// A genuine, unexpired token's contents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VisitorToken {
    pub visitor_id: Uuid,
    pub issued_at: i64,
}

impl VisitorToken {
    pub fn expires_at(&self) -> i64 {
        self.issued_at.saturating_add(TOKEN_LIFETIME_MS)
    }
}

fn mac(secret: &[u8], purpose: &[u8], parts: &[&[u8]]) -> HmacSha256 {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(purpose);
    for p in parts {
        mac.update(&(p.len() as u32).to_be_bytes());
        mac.update(p);
    }
    mac
}

fn signed(secret: &[u8], purpose: &[u8], parts: &[&[u8]]) -> String {
    URL_SAFE_NO_PAD.encode(mac(secret, purpose, parts).finalize().into_bytes())
}

/// Whether `sig` signs `parts` (compared in constant time).
fn genuine(secret: &[u8], purpose: &[u8], parts: &[&[u8]], sig: &str) -> bool {
    URL_SAFE_NO_PAD
        .decode(sig)
        .is_ok_and(|sig| mac(secret, purpose, parts).verify_slice(&sig).is_ok())
}

/// The four dot-separated parts of a token or nonce with this prefix.
fn split<'a>(text: &'a str, prefix: &str) -> Option<(&'a str, i64, &'a str)> {
    let mut parts = text.trim().split('.');
    let (p, body, at, sig) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if p != prefix || parts.next().is_some() {
        return None;
    }
    Some((body, at.parse().ok()?, sig))
}

fn fresh(issued_at: i64, lifetime: i64, now: i64) -> bool {
    issued_at <= now + SKEW_MS && now < issued_at.saturating_add(lifetime)
}

const TOKEN: &[u8] = b"switchboard-visitor-v2";
const NONCE: &[u8] = b"switchboard-start-nonce";

pub fn issue(secret: &[u8], visitor_id: Uuid, now: i64) -> String {
    let id = visitor_id.simple().to_string();
    let at = now.to_string();
    let sig = signed(secret, TOKEN, &[id.as_bytes(), at.as_bytes()]);
    format!("v2.{id}.{at}.{sig}")
}

/// The contents of a genuine token that has not expired; `None` for anything forged,
/// truncated, malformed or too old.
pub fn verify(secret: &[u8], token: &str, now: i64) -> Option<VisitorToken> {
    let (id, issued_at, sig) = split(token, "v2")?;
    let visitor_id = Uuid::try_parse(id).ok()?;
    if !genuine(
        secret,
        TOKEN,
        &[id.as_bytes(), issued_at.to_string().as_bytes()],
        sig,
    ) || !fresh(issued_at, TOKEN_LIFETIME_MS, now)
    {
        return None;
    }
    Some(VisitorToken {
        visitor_id,
        issued_at,
    })
}

/// A keyed hash of a client address, to count what one address holds without storing it.
pub fn address_key(secret: &[u8], ip: std::net::IpAddr) -> String {
    signed(
        secret,
        b"switchboard-client-address",
        &[ip.to_string().as_bytes()],
    )
}

/// A new start nonce.
pub fn nonce(secret: &[u8], now: i64) -> String {
    let random = URL_SAFE_NO_PAD.encode(Uuid::new_v4().as_bytes());
    let at = now.to_string();
    let sig = signed(secret, NONCE, &[random.as_bytes(), at.as_bytes()]);
    format!("n1.{random}.{at}.{sig}")
}

/// The key a start keeps for a genuine, fresh nonce: its hash (the nonce itself is never
/// stored). `None` for anything else.
pub fn start_key(secret: &[u8], nonce: &str, now: i64) -> Option<String> {
    let (random, issued_at, sig) = split(nonce, "n1")?;
    if !genuine(
        secret,
        NONCE,
        &[random.as_bytes(), issued_at.to_string().as_bytes()],
        sig,
    ) || !fresh(issued_at, NONCE_LIFETIME_MS, now)
    {
        return None;
    }
    let digest = Sha256::digest(nonce.trim().as_bytes());
    Some(URL_SAFE_NO_PAD.encode(digest))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000_000;

    #[test]
    fn genuine_tokens_verify_until_they_expire_and_forgeries_never() {
        let id = Uuid::new_v4();
        let t = issue(b"secret-one", id, NOW);
        let expected = Some(VisitorToken {
            visitor_id: id,
            issued_at: NOW,
        });
        assert_eq!(verify(b"secret-one", &t, NOW), expected);
        assert_eq!(
            verify(b"secret-one", &t, NOW + TOKEN_LIFETIME_MS - 1),
            expected
        );
        assert_eq!(
            verify(b"secret-one", &t, NOW + TOKEN_LIFETIME_MS),
            None,
            "expired"
        );
        assert_eq!(
            verify(b"secret-one", &t, NOW - SKEW_MS - 1),
            None,
            "from the future"
        );
        assert_eq!(verify(b"secret-two", &t, NOW), None, "another key");
        let other = Uuid::new_v4();
        let forged = t.replace(&id.simple().to_string(), &other.simple().to_string());
        assert_eq!(verify(b"secret-one", &forged, NOW), None, "another id");
        let younger = t.replace(&NOW.to_string(), &(NOW + 1000).to_string());
        assert_eq!(verify(b"secret-one", &younger, NOW), None, "another time");
        assert_eq!(verify(b"secret-one", &t[..t.len() - 2], NOW), None, "cut");
        assert_eq!(verify(b"secret-one", "v2.abc.1.def", NOW), None);
        assert_eq!(verify(b"secret-one", "", NOW), None);
        assert_eq!(verify(b"secret-one", &format!("{t}.extra"), NOW), None);
        // The old unversioned-time format is not accepted.
        assert_eq!(
            verify(b"secret-one", &format!("v1.{}.abc", id.simple()), NOW),
            None
        );
    }

    #[test]
    fn a_nonce_gives_one_stable_key_while_fresh_and_none_when_forged_or_old() {
        let n = nonce(b"k", NOW);
        let key = start_key(b"k", &n, NOW + 1000).expect("fresh");
        assert_eq!(start_key(b"k", &n, NOW + 2000), Some(key.clone()), "stable");
        assert!(!key.contains(&n), "the key is not the nonce");
        assert_ne!(
            start_key(b"k", &nonce(b"k", NOW), NOW),
            Some(key),
            "each nonce its own"
        );
        assert_eq!(start_key(b"other", &n, NOW), None, "another key");
        assert_eq!(
            start_key(b"k", &n, NOW + NONCE_LIFETIME_MS),
            None,
            "too old"
        );
        assert_eq!(
            start_key(b"k", &issue(b"k", Uuid::nil(), NOW), NOW),
            None,
            "a token"
        );
        assert_eq!(start_key(b"k", "n1.a.1.b", NOW), None);
    }
}
