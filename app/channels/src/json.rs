//! Lenient navigation of provider JSON. Providers add fields and vary types between API
//! versions (timestamps as strings or numbers, ids as numbers or strings), so parsers read a
//! `serde_json::Value` and take what they understand instead of deserialising into strict
//! structs that would reject a whole batch over one unexpected field.

use serde_json::Value;

/// A string field, also accepting numbers (ids are sometimes numeric).
pub(crate) fn str_of(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A nested string field by path, e.g. `["sender", "id"]`.
pub(crate) fn str_at(v: &Value, path: &[&str]) -> Option<String> {
    let (last, parents) = path.split_last()?;
    let mut cur = v;
    for p in parents {
        cur = cur.get(*p)?;
    }
    str_of(cur, last)
}

/// An integer field given as a number or a numeric string.
pub(crate) fn int_of(v: &Value, key: &str) -> Option<i64> {
    match v.get(key)? {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.is_finite() && f.abs() < 9.0e15)
                .map(|f| f as i64)
        }),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

pub(crate) fn u64_of(v: &Value, key: &str) -> Option<u64> {
    int_of(v, key).and_then(|i| u64::try_from(i).ok())
}

pub(crate) fn bool_of(v: &Value, key: &str) -> bool {
    match v.get(key) {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s == "true",
        _ => false,
    }
}

/// The array at `key`, or an empty slice when absent or not an array.
pub(crate) fn arr<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    match v.get(key) {
        Some(Value::Array(a)) => a.as_slice(),
        _ => &[],
    }
}

/// Unix seconds -> millis, refusing values that would overflow.
pub(crate) fn secs_to_ms(secs: i64) -> Option<i64> {
    secs.checked_mul(1000)
}

/// A stable key for an item that carries no provider id: the same bytes on a retried
/// delivery give the same JSON value and so the same hash.
pub(crate) fn content_key(v: &Value) -> String {
    let text = serde_json::to_string(v).unwrap_or_default();
    let hex = crate::crypto::sha256_hex(text.as_bytes());
    format!("sha256:{}", hex.get(..32).unwrap_or(&hex))
}

/// Serialises JSON with every non-ASCII character escaped as `\uXXXX` (lowercase hex,
/// surrogate pairs above U+FFFF). Meta historically signed this rendering; fakes emit it so
/// the signature holds under either reading.
pub fn to_ascii_json(v: &Value) -> Vec<u8> {
    let text = serde_json::to_string(v).unwrap_or_default();
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut buf = [0u16; 2];
            for unit in c.encode_utf16(&mut buf) {
                out.push_str(&format!("\\u{:04x}", unit));
            }
        }
    }
    out.into_bytes()
}
