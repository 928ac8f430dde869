//! What the engine counts, through the `metrics` facade. Until the server installs a recorder
//! (its `/metrics` endpoint) every call here does nothing. Names, labels and their values are
//! fixed in this file: labels are only ever taken from closed sets (a channel, an event kind,
//! a reason below), never from input, so the number of series stays bounded.
//!
//! Gauges that describe the present (open sockets, the outbox) are not kept up to date on the
//! hot path: `Engine::gauges` reads them when they are scraped.

use switchboard_domain::{Channel, Millis, SenderKind};
use switchboard_wire::frames::Role;

pub const MESSAGES_STORED: &str = "switchboard_messages_stored_total";
pub const MESSAGES_DELIVERED: &str = "switchboard_messages_delivered_total";
pub const DELIVERY_SECONDS: &str = "switchboard_delivery_seconds";
pub const EVENTS: &str = "switchboard_events_total";
pub const ROUTING_DECISIONS: &str = "switchboard_routing_decisions_total";
pub const PROVIDER_SEND_FAILURES: &str = "switchboard_provider_send_failures_total";
pub const TIMER_LAG_SECONDS: &str = "switchboard_timer_lag_seconds";
pub const SOCKETS_OPEN: &str = "switchboard_sockets_open";
pub const OUTBOX_DEPTH: &str = "switchboard_outbox_depth";
pub const OUTBOX_OLDEST_SECONDS: &str = "switchboard_outbox_oldest_seconds";

/// Histogram buckets, in seconds, for the latencies above (1 ms to 30 s).
pub const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// Who a socket serves, as a label.
fn role(role: Role) -> &'static str {
    match role {
        Role::Visitor => "visitor",
        Role::Agent => "agent",
    }
}

/// Why a provider send did not go through, as a label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendFailure {
    /// The conversation has no address on that channel.
    NoAddress,
    /// The channel's account is not connected any more.
    Disconnected,
    /// The provider's reply window is closed (WhatsApp after 24 hours, Messenger after 7 days).
    OutsideWindow,
    /// The adapter could not build the request from this message.
    Unsendable,
    /// No answer: a timeout or a connection error.
    Unreachable,
    /// The provider refused it for good.
    Refused,
    /// The provider asked to try again later.
    Throttled,
    /// Still refused after the last attempt.
    GaveUp,
}

impl SendFailure {
    pub fn as_str(self) -> &'static str {
        match self {
            SendFailure::NoAddress => "no_address",
            SendFailure::Disconnected => "disconnected",
            SendFailure::OutsideWindow => "outside_window",
            SendFailure::Unsendable => "unsendable",
            SendFailure::Unreachable => "unreachable",
            SendFailure::Refused => "refused",
            SendFailure::Throttled => "throttled",
            SendFailure::GaveUp => "gave_up",
        }
    }
}

/// The events that record a routing decision, by name.
const ROUTING: [&str; 8] = [
    "queued",
    "offered",
    "assigned",
    "offer_lapsed",
    "queue_missed",
    "declined",
    "transferred",
    "released",
];

/// The routing outcome an event of this kind records, if it is one.
pub fn routing_outcome(kind: &'static str) -> Option<&'static str> {
    ROUTING.contains(&kind).then_some(kind)
}

/// An event committed (its kind as `Event::name` gives it).
pub fn event_committed(kind: &'static str) {
    metrics::counter!(EVENTS, "kind" => kind).increment(1);
    if let Some(outcome) = routing_outcome(kind) {
        metrics::counter!(ROUTING_DECISIONS, "outcome" => outcome).increment(1);
    }
}

/// A message committed.
pub fn message_stored(channel: Channel, sender: SenderKind) {
    metrics::counter!(
        MESSAGES_STORED,
        "channel" => channel.as_str(),
        "sender" => sender.as_str(),
    )
    .increment(1);
}

/// A message written to a socket, `stored_at` being when it was decided (and committed, a
/// moment later).
pub fn delivered_to_socket(to: Role, channel: Channel, stored_at: Millis, now: Millis) {
    metrics::counter!(
        MESSAGES_DELIVERED,
        "channel" => channel.as_str(),
        "to" => role(to),
    )
    .increment(1);
    metrics::histogram!(DELIVERY_SECONDS, "to" => role(to)).record(seconds_between(stored_at, now));
}

/// A message a provider accepted.
pub fn delivered_to_provider(channel: Channel) {
    metrics::counter!(MESSAGES_DELIVERED, "channel" => channel.as_str(), "to" => "provider")
        .increment(1);
}

pub fn send_failed(channel: Channel, why: SendFailure) {
    metrics::counter!(
        PROVIDER_SEND_FAILURES,
        "channel" => channel.as_str(),
        "reason" => why.as_str(),
    )
    .increment(1);
}

/// A routing timer fired `now`, due at `deadline`.
pub fn timer_fired(deadline: Millis, now: Millis) {
    metrics::histogram!(TIMER_LAG_SECONDS).record(seconds_between(deadline, now));
}

fn seconds_between(from: Millis, to: Millis) -> f64 {
    (to.saturating_sub(from)).max(0) as f64 / 1000.0
}

/// What the gauges show now (read when scraped).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Gauges {
    pub visitor_sockets: usize,
    pub agent_sockets: usize,
    /// Per kind of job: how many wait, and the oldest one's age in seconds.
    pub outbox: Vec<(String, u64, f64)>,
}

impl Gauges {
    /// The gauges in the Prometheus text format (kinds absent now read 0). They are written
    /// by the scrape itself, not kept in the process's recorder: they describe this server
    /// (its sockets), and two servers in one process (tests) must not read each other's.
    pub fn render(&self) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        let _ = writeln!(out, "# TYPE {SOCKETS_OPEN} gauge");
        for (who, n) in [
            (Role::Visitor, self.visitor_sockets),
            (Role::Agent, self.agent_sockets),
        ] {
            let _ = writeln!(out, "{SOCKETS_OPEN}{{role=\"{}\"}} {n}", role(who));
        }
        let per_kind: Vec<(&str, u64, f64)> = JOB_KINDS
            .iter()
            .map(|kind| {
                self.outbox
                    .iter()
                    .find(|(k, _, _)| k == kind)
                    .map_or((*kind, 0, 0.0), |(_, d, o)| (*kind, *d, *o))
            })
            .collect();
        let _ = writeln!(out, "\n# TYPE {OUTBOX_DEPTH} gauge");
        for (kind, depth, _) in &per_kind {
            let _ = writeln!(out, "{OUTBOX_DEPTH}{{kind=\"{kind}\"}} {depth}");
        }
        let _ = writeln!(out, "\n# TYPE {OUTBOX_OLDEST_SECONDS} gauge");
        for (kind, _, oldest) in &per_kind {
            let _ = writeln!(out, "{OUTBOX_OLDEST_SECONDS}{{kind=\"{kind}\"}} {oldest}");
        }
        out
    }
}

/// The kinds of outbox job (see `outbox::do_job`), each shown even when none waits.
pub const JOB_KINDS: [&str; 5] = [
    "route",
    "drain_queue",
    "inbound",
    "remove_comment",
    "deliver",
];

impl crate::Engine {
    /// The gauges as they are now: this node's sockets, and the outbox (every node's).
    pub async fn gauges(&self) -> crate::Result<Gauges> {
        use crate::store::entities::outbox;
        use sea_orm::sea_query::Expr;
        use sea_orm::{EntityTrait, QuerySelect};
        #[derive(sea_orm::FromQueryResult)]
        struct Waiting {
            kind: String,
            depth: i64,
            oldest: Option<i64>,
        }
        let (visitor_sockets, agent_sockets) = self.hub().sockets_by_role();
        let rows: Vec<Waiting> = outbox::Entity::find()
            .select_only()
            .column(outbox::Column::Kind)
            .column_as(Expr::col(outbox::Column::Id).count(), "depth")
            .column_as(Expr::col(outbox::Column::CreatedAt).min(), "oldest")
            .group_by(outbox::Column::Kind)
            .into_model()
            .all(&self.db().read)
            .await?;
        let now = crate::now();
        Ok(Gauges {
            visitor_sockets,
            agent_sockets,
            outbox: rows
                .into_iter()
                .map(|w| {
                    let age = w.oldest.map_or(0.0, |t| seconds_between(t, now));
                    (w.kind, w.depth.max(0) as u64, age)
                })
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routing_outcomes_are_the_routing_events_only() {
        use switchboard_domain::conversation::Event;
        let agent = uuid::Uuid::from_u128(1);
        let routing = [
            Event::Queued { deadline: 5 },
            Event::Offered { agent, deadline: 5 },
            Event::Assigned {
                agent,
                by_reply: false,
            },
            Event::OfferLapsed { agent },
            Event::QueueMissed { into_lead: false },
            Event::Declined {
                agent,
                withdrawn: true,
            },
            Event::Transferred {
                from: agent,
                to: agent,
            },
            Event::Released { agent },
        ];
        for e in &routing {
            assert_eq!(routing_outcome(e.name()), Some(e.name()));
        }
        for e in [
            Event::Reopened,
            Event::Closed { by: None },
            Event::SwitchConfirmed,
        ] {
            assert_eq!(routing_outcome(e.name()), None);
        }
    }

    #[test]
    fn gauges_render_every_kind_and_both_roles() {
        let text = Gauges {
            visitor_sockets: 3,
            agent_sockets: 1,
            outbox: vec![("deliver".into(), 7, 2.5)],
        }
        .render();
        assert!(
            text.contains("switchboard_sockets_open{role=\"visitor\"} 3\n"),
            "{text}"
        );
        assert!(
            text.contains("switchboard_sockets_open{role=\"agent\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("switchboard_outbox_depth{kind=\"deliver\"} 7\n"),
            "{text}"
        );
        assert!(
            text.contains("switchboard_outbox_oldest_seconds{kind=\"deliver\"} 2.5\n"),
            "{text}"
        );
        for kind in JOB_KINDS.iter().filter(|k| **k != "deliver") {
            assert!(
                text.contains(&format!("switchboard_outbox_depth{{kind=\"{kind}\"}} 0\n")),
                "{text}"
            );
        }
        // Each family is declared once.
        assert_eq!(
            text.matches("# TYPE switchboard_outbox_depth gauge")
                .count(),
            1
        );
    }

    #[test]
    fn latencies_are_never_negative() {
        assert_eq!(seconds_between(2_000, 1_000), 0.0);
        assert_eq!(seconds_between(1_000, 3_500), 2.5);
    }
}
