//! Background workers run supervised: a panic is logged and the worker restarted after a
//! pause; cancellation stops them all, and the tracker waits until they have.

use std::future::Future;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

const RESTART_PAUSE: Duration = Duration::from_secs(1);

/// Spawns `make()` and restarts it whenever it panics or returns before cancellation.
pub fn supervise<F, Fut>(
    tracker: &TaskTracker,
    token: &CancellationToken,
    name: &'static str,
    make: F,
) where
    F: Fn(CancellationToken) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let token = token.clone();
    tracker.spawn(async move {
        loop {
            let run = tokio::spawn(make(token.clone()));
            let abort = run.abort_handle();
            let result = tokio::select! {
                r = run => r,
                _ = token.cancelled() => {
                    // Give the worker a moment to finish its step, then stop it.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    abort.abort();
                    return;
                }
            };
            if token.is_cancelled() {
                return;
            }
            match result {
                Err(e) if e.is_panic() => {
                    tracing::error!(worker = name, "worker panicked; restarting")
                }
                Err(_) => tracing::warn!(worker = name, "worker stopped; restarting"),
                Ok(()) => tracing::warn!(worker = name, "worker returned; restarting"),
            }
            tokio::select! {
                _ = token.cancelled() => return,
                _ = tokio::time::sleep(RESTART_PAUSE) => {}
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;

    #[tokio::test(start_paused = true)]
    async fn a_panicking_worker_is_restarted_and_cancellation_stops_it() {
        let tracker = TaskTracker::new();
        let token = CancellationToken::new();
        let runs = Arc::new(AtomicU32::new(0));
        let counted = runs.clone();
        supervise(&tracker, &token, "test", move |token| {
            let runs = counted.clone();
            async move {
                if runs.fetch_add(1, Ordering::SeqCst) == 0 {
                    panic!("first run fails");
                }
                token.cancelled().await;
            }
        });
        tokio::time::sleep(Duration::from_secs(3)).await;
        assert_eq!(
            runs.load(Ordering::SeqCst),
            2,
            "restarted once after the panic"
        );
        token.cancel();
        tracker.close();
        tokio::time::timeout(Duration::from_secs(5), tracker.wait())
            .await
            .expect("stopped");
    }
}
