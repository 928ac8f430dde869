//! Visitor tokens: `v1.<visitor id>.<HMAC-SHA256 of it, base64url>`. A visitor proves who they
//! are with this token, not with a guessable id; the key lives in the database (or env).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

type HmacSha256 = Hmac<Sha256>;
const PREFIX: &str = "v1";

fn mac(secret: &[u8], visitor_id: &Uuid) -> HmacSha256 {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(b"switchboard-visitor:");
    mac.update(visitor_id.as_bytes());
    mac
}

pub fn issue(secret: &[u8], visitor_id: Uuid) -> String {
    let sig = mac(secret, &visitor_id).finalize().into_bytes();
    format!(
        "{PREFIX}.{}.{}",
        visitor_id.simple(),
        URL_SAFE_NO_PAD.encode(sig)
    )
}

/// The visitor id of a genuine token; `None` for anything forged, truncated or malformed.
pub fn verify(secret: &[u8], token: &str) -> Option<Uuid> {
    let mut parts = token.trim().split('.');
    let (prefix, id, sig) = (parts.next()?, parts.next()?, parts.next()?);
    if prefix != PREFIX || parts.next().is_some() {
        return None;
    }
    let visitor_id = Uuid::try_parse(id).ok()?;
    let sig = URL_SAFE_NO_PAD.decode(sig).ok()?;
    // verify_slice compares in constant time.
    mac(secret, &visitor_id).verify_slice(&sig).ok()?;
    Some(visitor_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn genuine_tokens_verify_and_forgeries_do_not() {
        let id = Uuid::new_v4();
        let t = issue(b"secret-one", id);
        assert_eq!(verify(b"secret-one", &t), Some(id));
        assert_eq!(verify(b"secret-two", &t), None, "another key");
        let other = Uuid::new_v4();
        let forged = t.replace(&id.simple().to_string(), &other.simple().to_string());
        assert_eq!(
            verify(b"secret-one", &forged),
            None,
            "another id, same signature"
        );
        assert_eq!(verify(b"secret-one", &t[..t.len() - 2]), None, "truncated");
        assert_eq!(verify(b"secret-one", "v1.abc.def"), None);
        assert_eq!(verify(b"secret-one", ""), None);
        assert_eq!(verify(b"secret-one", &format!("{t}.extra")), None);
    }
}
