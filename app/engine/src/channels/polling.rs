//! Long polling, for accounts configured to fetch their events instead of receiving webhooks
//! (Telegram `getUpdates`, for machines without a public URL). What a poll brings is stored
//! exactly as a webhook's events are (once each by key, processed by the reactor); the offset
//! that confirms them to the provider moves on only after they are stored, so a crash in
//! between makes the provider send them again and the keys drop the repeats.

use crate::Engine;
use std::time::{Duration, Instant};
use switchboard_channels::telegram::poll::{get_updates, read_updates, Polled};
use switchboard_domain::Channel;
use tokio_util::sync::CancellationToken;

/// How long the provider may hold one poll open waiting for updates.
const WAIT_S: u32 = 25;
/// Our own timeout on that call: the wait plus room for the answer.
const CALL_TIMEOUT: Duration = Duration::from_secs(WAIT_S as u64 + 10);
/// Polls that come back empty at once are spaced this much (a provider that doesn't hold).
const MIN_INTERVAL: Duration = Duration::from_secs(1);
/// With several nodes one polls: the holder of this PostgreSQL advisory lock (a provider lets
/// one poller at a time; Telegram answers 409 to a second).
const POLL_LOCK: i64 = 0x5357_4254_504f_4c4c; // "SWBTPOLL"
/// How often the worker looks whether the channel settings changed.
const RECHECK: Duration = Duration::from_secs(1);
/// How often a standby node tries to take over polling.
const STANDBY_RETRY: Duration = Duration::from_secs(3);

impl Engine {
    /// The accounts that poll, in the channels in effect.
    fn polling_accounts(&self) -> Vec<String> {
        self.channels()
            .iter()
            .filter(|c| c.poll && c.channel() == Channel::Telegram)
            .map(|c| c.account.address.clone())
            .collect()
    }

    /// The polling worker: one loop per polling account, until cancelled. With several nodes
    /// on PostgreSQL, only the node holding the polling lock polls; the others stand by and
    /// take over within seconds when it goes (its connection, and so its lock, goes with it).
    /// When an admin changes the channel settings, the loops start again on the new ones.
    pub(crate) async fn run_polling(self, token: CancellationToken) {
        loop {
            // Nothing polls: wait until something does (no lock, no connection held).
            while self.polling_accounts().is_empty() {
                tokio::select! {
                    _ = token.cancelled() => return,
                    _ = tokio::time::sleep(RECHECK) => {}
                }
            }
            let _lease = match self.db().postgres_pool() {
                Some(pool) => match lead_polling(pool, &token).await {
                    Some(lease) => Some(lease),
                    None => return, // cancelled while standing by
                },
                None => None,
            };
            let live = self.channels();
            let round = token.child_token();
            let loops = self
                .polling_accounts()
                .into_iter()
                .map(|address| self.clone().poll_telegram(address, round.clone()));
            let changed = async {
                loop {
                    tokio::time::sleep(RECHECK).await;
                    if !std::sync::Arc::ptr_eq(&self.channels(), &live) {
                        return;
                    }
                }
            };
            tokio::pin!(changed);
            tokio::select! {
                _ = token.cancelled() => return,
                _ = &mut changed => {}
                // Every loop gave up (a refused token): wait for new settings.
                _ = futures::future::join_all(loops) => tokio::select! {
                    _ = token.cancelled() => return,
                    _ = &mut changed => {}
                },
            }
            round.cancel();
            tracing::info!("channel settings changed: polling starts again");
        }
    }

    async fn poll_telegram(self, address: String, token: CancellationToken) {
        let mut offset: Option<i64> = None;
        let mut failures: u32 = 0;
        loop {
            let Some(connected) = self.channels().find(Channel::Telegram, &address) else {
                return;
            };
            let started = Instant::now();
            let wait = match get_updates(&connected.account, offset, WAIT_S) {
                Err(e) => {
                    tracing::error!(error = %e, bot = address, "telegram polling cannot start");
                    return;
                }
                Ok(request) => {
                    let answer = tokio::select! {
                        _ = token.cancelled() => return,
                        answer = self.call(&request, CALL_TIMEOUT) => answer,
                    };
                    match answer {
                        Err(e) => {
                            tracing::warn!(error = %e, bot = address, "telegram getUpdates failed");
                            Some(backoff(&mut failures))
                        }
                        Ok((status, _, body)) => {
                            match read_updates(status, &body, &address) {
                                Polled::Updates {
                                    events,
                                    next_offset,
                                } => match self.receive(&events).await {
                                    Ok(new) => {
                                        if new > 0 {
                                            tracing::debug!(
                                                bot = address,
                                                new,
                                                "telegram updates stored"
                                            );
                                        }
                                        offset = next_offset.or(offset);
                                        failures = 0;
                                        (events.is_empty() && started.elapsed() < MIN_INTERVAL)
                                            .then_some(MIN_INTERVAL)
                                    }
                                    // Not stored: ask again from the same offset.
                                    Err(e) => {
                                        tracing::warn!(error = %e, bot = address, "could not store telegram updates");
                                        Some(backoff(&mut failures))
                                    }
                                },
                                Polled::Conflict { description } => {
                                    tracing::warn!(bot = address, description, "telegram polling conflicts with a webhook or another poller");
                                    Some(Duration::from_secs(30))
                                }
                                Polled::Unauthorized { description } => {
                                    tracing::error!(
                                        bot = address,
                                        description,
                                        "telegram refused the bot token"
                                    );
                                    Some(Duration::from_secs(60))
                                }
                                Polled::Retry { after } => {
                                    Some(after.unwrap_or_else(|| backoff(&mut failures)))
                                }
                            }
                        }
                    }
                }
            };
            if let Some(wait) = wait {
                tokio::select! {
                    _ = token.cancelled() => return,
                    _ = tokio::time::sleep(wait) => {}
                }
            }
        }
    }
}

/// 1 s, 2 s, 4 s… up to a minute.
/// Waits until this node holds the polling lock; the connection that holds it is returned
/// (detached from the pool, so closing it, or the process dying, frees the lock).
async fn lead_polling(
    pool: &sea_orm::sqlx::PgPool,
    token: &CancellationToken,
) -> Option<sea_orm::sqlx::PgConnection> {
    let mut standing_by = false;
    loop {
        match pool.acquire().await {
            Ok(mut conn) => {
                let held =
                    sea_orm::sqlx::query_scalar::<_, bool>("SELECT pg_try_advisory_lock($1)")
                        .bind(POLL_LOCK)
                        .fetch_one(&mut *conn)
                        .await;
                match held {
                    Ok(true) => {
                        tracing::info!("this node polls the providers (it holds the polling lock)");
                        return Some(conn.detach());
                    }
                    Ok(false) if !standing_by => {
                        standing_by = true;
                        tracing::info!("another node polls the providers; this one stands by");
                    }
                    Ok(false) => {}
                    Err(e) => tracing::warn!(error = %e, "cannot ask for the polling lock"),
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot ask for the polling lock"),
        }
        tokio::select! {
            _ = token.cancelled() => return None,
            _ = tokio::time::sleep(STANDBY_RETRY) => {}
        }
    }
}

fn backoff(failures: &mut u32) -> Duration {
    *failures = failures.saturating_add(1);
    Duration::from_secs(1u64 << (*failures - 1).min(6)).min(Duration::from_secs(60))
}
