//! Report arithmetic: plain sums over intervals, clipped to the report's range.

use crate::Millis;

/// How much of `[start, end)` (an open interval ends at `now`) falls inside `[from, to)`.
pub fn overlap_millis(
    start: Millis,
    end: Option<Millis>,
    from: Millis,
    to: Millis,
    now: Millis,
) -> Millis {
    let end = end.unwrap_or(now);
    (end.min(to) - start.max(from)).max(0)
}

/// The mean of some durations in whole seconds; `None` for none.
pub fn mean_secs(durations_millis: &[Millis]) -> Option<u64> {
    if durations_millis.is_empty() {
        return None;
    }
    let total: i128 = durations_millis.iter().map(|d| (*d).max(0) as i128).sum();
    Some((total / durations_millis.len() as i128 / 1000) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_are_clipped_to_the_range() {
        assert_eq!(
            overlap_millis(0, Some(100), 10, 50, 1000),
            40,
            "covers the range"
        );
        assert_eq!(overlap_millis(20, Some(30), 10, 50, 1000), 10, "inside");
        assert_eq!(overlap_millis(0, Some(5), 10, 50, 1000), 0, "before");
        assert_eq!(overlap_millis(60, None, 10, 50, 1000), 0, "after");
        assert_eq!(
            overlap_millis(40, None, 10, 100, 70),
            30,
            "still running: ends now"
        );
    }

    #[test]
    fn means_are_whole_seconds() {
        assert_eq!(mean_secs(&[]), None);
        assert_eq!(mean_secs(&[1000, 3000]), Some(2));
        assert_eq!(mean_secs(&[1500]), Some(1));
    }
}
