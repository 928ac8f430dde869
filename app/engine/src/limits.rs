//! Abuse limits: how often one client address may try to sign in or start chats, how many
//! wrong passwords an account takes before it waits, and how many passwords are hashed at
//! once. An address limit is a token bucket per address: a burst, then a steady rate. A
//! refusal says when to come back. Limits are per node: several nodes behind a balancer allow
//! a client up to that many times as much.

use crate::error::{EngineError, Result};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// Sign-in attempts per client address: 20 at once, then one every 6 s.
pub const LOGIN_PER_IP: (u32, Duration) = (20, Duration::from_secs(6));
/// Wrong passwords an account takes within [`FAILURE_WINDOW`] before it must wait.
pub const FAILURES_PER_ACCOUNT: usize = 5;
pub const FAILURE_WINDOW: Duration = Duration::from_secs(300);
/// Chats started and messages left (the offline form) per client address: 10, then one a
/// minute.
pub const STARTS_PER_IP: (u32, Duration) = (10, Duration::from_secs(60));
/// Messages a visitor (a contact, however many tabs and tokens) writes: 20 at once, then
/// two a second. No one types faster; a script flooding a chat does.
pub const MESSAGES_PER_VISITOR: (u32, Duration) = (20, Duration::from_millis(500));
/// Chats (and left messages) open at once per email, and per client address.
pub const OPEN_CHATS_PER_EMAIL: u64 = 3;
pub const OPEN_CHATS_PER_IP: u64 = 10;
/// Open sockets per agent account, and per contact (a visitor's tabs and devices), per node.
pub const SOCKETS_PER_PERSON: usize = 20;
/// Open sockets per client address, per node.
pub const SOCKETS_PER_IP: usize = 100;
/// Password hashes computed at once (19 MiB each); more wait, for a while.
pub const HASHING_AT_ONCE: usize = 4;
const HASHING_WAIT: Duration = Duration::from_secs(5);

fn quota((burst, every): (u32, Duration)) -> Quota {
    let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
    Quota::with_period(every)
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
        .allow_burst(burst)
}

/// One limit over many keys, which forgets idle keys now and then.
pub struct Limit<K: Hash + Eq + Clone> {
    buckets: DefaultKeyedRateLimiter<K>,
    checks: AtomicU64,
}

impl<K: Hash + Eq + Clone> Limit<K> {
    fn new(rule: (u32, Duration)) -> Self {
        Self {
            buckets: RateLimiter::keyed(quota(rule)),
            checks: AtomicU64::new(0),
        }
    }

    /// Takes one from the key's bucket, or says how long until there is one.
    pub fn check(&self, key: &K) -> Result<()> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % 4096 == 4095 {
            self.buckets.retain_recent();
        }
        self.buckets.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            EngineError::RateLimited {
                retry_after_secs: wait.as_secs().max(1),
            }
        })
    }
}

/// Recent wrong passwords per account (by email, known or not): a sliding window.
#[derive(Default)]
pub struct Failures(Mutex<HashMap<String, VecDeque<Instant>>>);

/// Accounts remembered at most; beyond, the oldest entries go first.
const FAILURES_KEPT: usize = 10_000;

impl Failures {
    /// Refused while the account has had too many wrong passwords lately.
    pub fn check(&self, account: &str) -> Result<()> {
        let now = Instant::now();
        let Ok(mut map) = self.0.lock() else {
            return Ok(());
        };
        let Some(recent) = map.get_mut(account) else {
            return Ok(());
        };
        while recent
            .front()
            .is_some_and(|t| now.duration_since(*t) >= FAILURE_WINDOW)
        {
            recent.pop_front();
        }
        if recent.len() < FAILURES_PER_ACCOUNT {
            return Ok(());
        }
        let oldest = recent.front().copied().unwrap_or(now);
        let wait = FAILURE_WINDOW.saturating_sub(now.duration_since(oldest));
        Err(EngineError::RateLimited {
            retry_after_secs: wait.as_secs().max(1),
        })
    }

    pub fn failed(&self, account: &str) {
        if let Ok(mut map) = self.0.lock() {
            if map.len() >= FAILURES_KEPT && !map.contains_key(account) {
                let now = Instant::now();
                map.retain(|_, r| {
                    r.back()
                        .is_some_and(|t| now.duration_since(*t) < FAILURE_WINDOW)
                });
                if map.len() >= FAILURES_KEPT {
                    return;
                }
            }
            let recent = map.entry(account.to_string()).or_default();
            recent.push_back(Instant::now());
            if recent.len() > FAILURES_PER_ACCOUNT {
                recent.pop_front();
            }
        }
    }
}

/// How many of something one key holds at once (open sockets per address): a slot is taken
/// with [`Concurrent::take`] and given back when its guard drops.
pub struct Concurrent<K: Hash + Eq + Clone> {
    held: std::sync::Arc<Mutex<HashMap<K, usize>>>,
    max: usize,
}

/// A slot of a [`Concurrent`] limit, given back on drop.
pub struct Slot<K: Hash + Eq + Clone> {
    held: std::sync::Arc<Mutex<HashMap<K, usize>>>,
    key: K,
}

impl<K: Hash + Eq + Clone> Concurrent<K> {
    fn new(max: usize) -> Self {
        Self {
            held: Default::default(),
            max,
        }
    }

    /// A slot for `key`, or `RateLimited` when it holds the most it may.
    pub fn take(&self, key: &K) -> Result<Slot<K>> {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        let n = held.entry(key.clone()).or_insert(0);
        if *n >= self.max {
            return Err(EngineError::RateLimited {
                retry_after_secs: 30,
            });
        }
        *n += 1;
        Ok(Slot {
            held: self.held.clone(),
            key: key.clone(),
        })
    }
}

impl<K: Hash + Eq + Clone> Drop for Slot<K> {
    fn drop(&mut self) {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = held.get_mut(&self.key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                held.remove(&self.key);
            }
        }
    }
}

/// Every limit of this node.
pub struct Limits {
    pub login_ip: Limit<IpAddr>,
    pub login_failures: Failures,
    pub starts_ip: Limit<IpAddr>,
    /// By contact id.
    pub visitor_messages: Limit<uuid::Uuid>,
    pub sockets_ip: Concurrent<IpAddr>,
    hashing: Semaphore,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            login_ip: Limit::new(LOGIN_PER_IP),
            login_failures: Failures::default(),
            starts_ip: Limit::new(STARTS_PER_IP),
            visitor_messages: Limit::new(MESSAGES_PER_VISITOR),
            sockets_ip: Concurrent::new(SOCKETS_PER_IP),
            hashing: Semaphore::new(HASHING_AT_ONCE),
        }
    }
}

impl Limits {
    /// A turn to hash a password, waited for a few seconds at most.
    pub async fn hashing_turn(&self) -> Result<tokio::sync::SemaphorePermit<'_>> {
        match tokio::time::timeout(HASHING_WAIT, self.hashing.acquire()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(EngineError::RateLimited {
                retry_after_secs: 2,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_a_wait_per_key() {
        let limit: Limit<u8> = Limit::new((3, Duration::from_secs(60)));
        for _ in 0..3 {
            assert!(limit.check(&1).is_ok());
        }
        match limit.check(&1) {
            Err(EngineError::RateLimited { retry_after_secs }) => {
                assert!((1..=60).contains(&retry_after_secs), "{retry_after_secs}")
            }
            other => panic!("{other:?}"),
        }
        assert!(limit.check(&2).is_ok(), "another key has its own bucket");
    }

    #[test]
    fn an_account_waits_after_five_wrong_passwords_whoever_tries() {
        let f = Failures::default();
        for _ in 0..FAILURES_PER_ACCOUNT {
            assert!(f.check("ada@x.io").is_ok());
            f.failed("ada@x.io");
        }
        match f.check("ada@x.io") {
            Err(EngineError::RateLimited { retry_after_secs }) => {
                assert!(retry_after_secs > 200 && retry_after_secs <= 300)
            }
            other => panic!("{other:?}"),
        }
        assert!(f.check("bo@x.io").is_ok());
    }

    #[test]
    fn a_key_holds_at_most_so_many_slots_and_gets_them_back() {
        let c: Concurrent<u8> = Concurrent::new(2);
        let a = c.take(&1).unwrap();
        let _b = c.take(&1).unwrap();
        assert!(c.take(&1).is_err());
        assert!(c.take(&2).is_ok(), "another key");
        drop(a);
        assert!(c.take(&1).is_ok(), "given back");
    }

    #[tokio::test]
    async fn hashing_waits_for_a_turn() {
        let limits = Limits::default();
        let mut held = vec![];
        for _ in 0..HASHING_AT_ONCE {
            held.push(limits.hashing_turn().await.unwrap());
        }
        assert!(limits.hashing.try_acquire().is_err());
        drop(held.pop());
        assert!(limits.hashing_turn().await.is_ok());
    }
}
