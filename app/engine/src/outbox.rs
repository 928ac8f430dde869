//! The reactor: does the follow-up work that commands wrote to the outbox. A job is claimed
//! with a lease (its due time moves on), so a node that dies mid-job leaves it to another node
//! once the lease runs out; handlers are idempotent (routing re-checks the conversation), so
//! doing a job twice is harmless. Claiming releases the job's dedupe key: a new request for
//! the same job queues behind the one being done instead of being lost.

use crate::channels::outbound::Sent;
use crate::error::{EngineError, Result};
use crate::store::entities::outbox;
use crate::store::Backend;
use crate::Engine;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DbBackend, EntityTrait, QueryFilter, Statement};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How long a claimed job is left to its node before another may take it.
const LEASE_MS: i64 = 30_000;
const MAX_BACKOFF_MS: i64 = 60_000;

const CLAIM_SQLITE: &str =
    "UPDATE outbox SET dedupe_key = NULL, due_at = ?, attempts = attempts + 1 \
     WHERE id = (SELECT id FROM outbox WHERE due_at <= ? ORDER BY due_at, id LIMIT 1) RETURNING *";
const CLAIM_POSTGRES: &str = "UPDATE outbox SET dedupe_key = NULL, due_at = $1, attempts = attempts + 1 \
     WHERE id = (SELECT id FROM outbox WHERE due_at <= $2 ORDER BY due_at, id LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING *";

/// 1 s, 2 s, 4 s… up to a minute, by attempts made (the claim counts one).
fn backoff_ms(attempts: i64) -> i64 {
    (1_000i64 << (attempts - 1).clamp(0, 6)).min(MAX_BACKOFF_MS)
}

impl Engine {
    async fn claim_job(&self, now: i64) -> Result<Option<outbox::Model>> {
        let (backend, sql) = match self.db().backend {
            Backend::Sqlite => (DbBackend::Sqlite, CLAIM_SQLITE),
            Backend::Postgres => (DbBackend::Postgres, CLAIM_POSTGRES),
        };
        let stmt =
            Statement::from_sql_and_values(backend, sql, [(now + LEASE_MS).into(), now.into()]);
        Ok(outbox::Entity::find()
            .from_raw_sql(stmt)
            .one(&self.db().write)
            .await?)
    }

    /// Does a job; `Some(after)` asks for it to be tried again later (a provider said
    /// "not now"), at least `after` from now when the provider named a time.
    async fn do_job(&self, job: &outbox::Model) -> Result<Option<Option<Duration>>> {
        match (job.kind.as_str(), job.conversation_id, job.message_id) {
            ("route", Some(id), _) => self.route(id, false).await.map(|_| None),
            ("drain_queue", _, _) => self.drain_queue().await.map(|_| None),
            ("inbound", _, _) => self.process_inbound().await.map(|_| None),
            ("remove_comment", Some(conversation), Some(message)) => match self
                .remove_comment_job(conversation, message, job.attempts)
                .await?
            {
                Sent::Done => Ok(None),
                Sent::Retry(after) => Ok(Some(after)),
            },
            ("deliver", _, Some(message)) => match self.deliver(message, job.attempts).await? {
                Sent::Done => Ok(None),
                Sent::Retry(after) => Ok(Some(after)),
            },
            (kind, _, _) => Err(EngineError::Corrupt(format!("outbox.kind = {kind:?}"))),
        }
    }

    /// Claims and does one due job; `false` when there was none.
    pub async fn work_once(&self) -> Result<bool> {
        let now = crate::now();
        let Some(job) = self.claim_job(now).await? else {
            return Ok(false);
        };
        match self.do_job(&job).await {
            Ok(None) => {
                outbox::Entity::delete_by_id(job.id)
                    .exec(&self.db().write)
                    .await?;
            }
            Ok(Some(after)) => {
                let backoff = backoff_ms(job.attempts);
                let wait = after.map_or(backoff, |a| (a.as_millis() as i64).max(backoff));
                tracing::info!(
                    job = job.id,
                    kind = job.kind,
                    attempts = job.attempts,
                    wait_ms = wait,
                    "provider said not now; will retry"
                );
                outbox::Entity::update_many()
                    .col_expr(outbox::Column::DueAt, Expr::value(now + wait))
                    .col_expr(
                        outbox::Column::LastError,
                        Expr::value("provider asked to retry later"),
                    )
                    .filter(outbox::Column::Id.eq(job.id))
                    .exec(&self.db().write)
                    .await?;
            }
            Err(e @ EngineError::Corrupt(_)) => {
                tracing::error!(error = %e, job = job.id, "dropping a job that cannot be done");
                outbox::Entity::delete_by_id(job.id)
                    .exec(&self.db().write)
                    .await?;
            }
            Err(e) => {
                let backoff = backoff_ms(job.attempts);
                tracing::warn!(error = %e, job = job.id, kind = job.kind, attempts = job.attempts, "job failed; will retry");
                outbox::Entity::update_many()
                    .col_expr(outbox::Column::DueAt, Expr::value(now + backoff))
                    .col_expr(outbox::Column::LastError, Expr::value(e.to_string()))
                    .filter(outbox::Column::Id.eq(job.id))
                    .exec(&self.db().write)
                    .await?;
            }
        }
        Ok(true)
    }

    /// The reactor worker: woken by commits that wrote work, and polling for jobs that fell
    /// due (retries, leases of a dead node).
    pub(crate) async fn run_reactor(self, token: CancellationToken) {
        loop {
            tokio::select! {
                _ = token.cancelled() => return,
                _ = self.bus().signals().work.notified() => {}
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
            for _ in 0..200 {
                if token.is_cancelled() {
                    return;
                }
                match self.work_once().await {
                    Ok(true) => continue,
                    Ok(false) => break,
                    Err(e) => {
                        tracing::warn!(error = %e, "reactor failed; trying again");
                        break;
                    }
                }
            }
        }
    }
}
