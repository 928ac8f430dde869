//! Routing decisions as plain functions of a snapshot: who gets the next chat, where a
//! visitor stands in the queue, and what wait to promise them.

use crate::Millis;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// How new chats reach agents (an admin setting, switchable at runtime).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoutingMode {
    /// Every Online agent sees the request in the shared queue; the first to start it wins.
    Broadcast,
    /// The request is offered to one agent with free capacity, who must accept in time.
    TimeBased,
}

impl RoutingMode {
    pub fn as_str(self) -> &'static str {
        match self {
            RoutingMode::Broadcast => "broadcast",
            RoutingMode::TimeBased => "time_based",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Broadcast, Self::TimeBased]
            .into_iter()
            .find(|m| m.as_str() == s)
    }
}

/// What happens when a broadcast request waits in the queue past its time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MissedPolicy {
    /// It stays in the queue, flagged as missed.
    StayQueued,
    /// It becomes an offline lead; the visitor is told we will follow up.
    OfflineLead,
}

impl MissedPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            MissedPolicy::StayQueued => "stay_queued",
            MissedPolicy::OfflineLead => "offline_lead",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::StayQueued, Self::OfflineLead]
            .into_iter()
            .find(|m| m.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    Online,
    Away,
    Offline,
}

impl Presence {
    pub fn as_str(self) -> &'static str {
        match self {
            Presence::Online => "online",
            Presence::Away => "away",
            Presence::Offline => "offline",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Online, Self::Away, Self::Offline]
            .into_iter()
            .find(|p| p.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Presence::Online => "Online",
            Presence::Away => "Away",
            Presence::Offline => "Offline",
        }
    }
}

/// One agent as routing sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentLoad {
    pub id: Uuid,
    pub presence: Presence,
    /// Concurrent chats this agent takes at most.
    pub capacity: u32,
    /// Chats open with or offered to this agent now.
    pub active: u32,
    /// When they were last given a chat; `None` sorts as longest ago.
    pub last_assigned_at: Option<Millis>,
}

impl AgentLoad {
    fn has_room(&self) -> bool {
        self.presence == Presence::Online && self.active < self.capacity
    }
}

/// Agents who could take a chat, best first: Online with free capacity; the least loaded by
/// share of capacity; ties to whoever has waited longest since their last chat, then by id so
/// the order is deterministic. Agents in `missed_by` (they let this chat lapse or declined it)
/// come after everyone else with room, so a chat goes back to them only when nobody else can.
pub fn rank_agents(agents: &[AgentLoad], missed_by: &[Uuid]) -> Vec<Uuid> {
    let mut candidates: Vec<&AgentLoad> = agents.iter().filter(|a| a.has_room()).collect();
    candidates.sort_by(|a, b| {
        // a.active/a.capacity vs b.active/b.capacity, without floats.
        let load_a = a.active as u64 * b.capacity as u64;
        let load_b = b.active as u64 * a.capacity as u64;
        missed_by
            .contains(&a.id)
            .cmp(&missed_by.contains(&b.id))
            .then(load_a.cmp(&load_b))
            .then(
                a.last_assigned_at
                    .unwrap_or(i64::MIN)
                    .cmp(&b.last_assigned_at.unwrap_or(i64::MIN)),
            )
            .then(a.id.cmp(&b.id))
    });
    candidates.into_iter().map(|a| a.id).collect()
}

/// What to tell a waiting visitor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum WaitEstimate {
    /// Nobody is Online to take chats right now.
    NoAgents,
    /// Not enough recent history to say.
    Unknown,
    /// About this many seconds, rounded up to a minute.
    About { secs: u64 },
}

/// An honest estimate: recent average pick-up time, scaled by how many are ahead of this
/// visitor per Online agent. No history, no number.
pub fn wait_estimate(
    position: usize,
    online_agents: usize,
    recent_pickup_secs: &[u64],
) -> WaitEstimate {
    if online_agents == 0 {
        return WaitEstimate::NoAgents;
    }
    if recent_pickup_secs.is_empty() {
        return WaitEstimate::Unknown;
    }
    let avg = recent_pickup_secs.iter().sum::<u64>() / recent_pickup_secs.len() as u64;
    let rounds = (position as u64).div_ceil(online_agents as u64).max(1);
    let secs = (avg * rounds).max(1);
    WaitEstimate::About {
        secs: secs.div_ceil(60) * 60,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first choice.
    fn pick_agent(agents: &[AgentLoad], missed_by: &[Uuid]) -> Option<Uuid> {
        rank_agents(agents, missed_by).first().copied()
    }

    fn agent(
        n: u128,
        presence: Presence,
        capacity: u32,
        active: u32,
        last: Option<Millis>,
    ) -> AgentLoad {
        AgentLoad {
            id: Uuid::from_u128(n),
            presence,
            capacity,
            active,
            last_assigned_at: last,
        }
    }

    #[test]
    fn only_online_agents_with_room_get_chats() {
        let agents = [
            agent(1, Presence::Away, 5, 0, None),
            agent(2, Presence::Offline, 5, 0, None),
            agent(3, Presence::Online, 2, 2, None),
        ];
        assert_eq!(pick_agent(&agents, &[]), None);
        let mut more = agents.to_vec();
        more.push(agent(4, Presence::Online, 1, 0, Some(50)));
        assert_eq!(pick_agent(&more, &[]), Some(Uuid::from_u128(4)));
    }

    #[test]
    fn least_loaded_by_share_of_capacity_wins() {
        // 2 of 4 (50%) is lighter than 1 of 1 (100%) and heavier than 1 of 3 (33%).
        let agents = [
            agent(1, Presence::Online, 4, 2, Some(0)),
            agent(2, Presence::Online, 3, 1, Some(1000)),
            agent(3, Presence::Online, 2, 1, Some(0)),
        ];
        assert_eq!(pick_agent(&agents, &[]), Some(Uuid::from_u128(2)));
    }

    #[test]
    fn ties_go_to_who_waited_longest_then_by_id() {
        let agents = [
            agent(1, Presence::Online, 2, 1, Some(300)),
            agent(2, Presence::Online, 4, 2, Some(100)),
            agent(3, Presence::Online, 2, 1, Some(200)),
        ];
        assert_eq!(pick_agent(&agents, &[]), Some(Uuid::from_u128(2)));
        let never = [
            agent(5, Presence::Online, 2, 0, Some(1)),
            agent(6, Presence::Online, 2, 0, None),
        ];
        assert_eq!(
            pick_agent(&never, &[]),
            Some(Uuid::from_u128(6)),
            "never assigned counts as longest"
        );
        let same = [
            agent(8, Presence::Online, 2, 0, None),
            agent(7, Presence::Online, 2, 0, None),
        ];
        assert_eq!(pick_agent(&same, &[]), Some(Uuid::from_u128(7)));
    }

    #[test]
    fn a_missed_chat_does_not_go_back_while_others_are_free() {
        let agents = [
            agent(1, Presence::Online, 5, 0, None),
            agent(2, Presence::Online, 5, 3, Some(10)),
        ];
        assert_eq!(
            pick_agent(&agents, &[Uuid::from_u128(1)]),
            Some(Uuid::from_u128(2))
        );
        // Nobody else has room: it may go back rather than wait forever.
        let alone = [
            agent(1, Presence::Online, 5, 0, None),
            agent(2, Presence::Online, 3, 3, None),
        ];
        assert_eq!(
            pick_agent(&alone, &[Uuid::from_u128(1)]),
            Some(Uuid::from_u128(1))
        );
    }

    #[test]
    fn fairness_over_many_assignments() {
        // Three equal agents, nine chats in a row: each gets three, in rotation.
        let mut agents: Vec<AgentLoad> = (1..=3)
            .map(|n| agent(n, Presence::Online, 5, 0, None))
            .collect();
        let mut order = vec![];
        for t in 0..9 {
            let id = pick_agent(&agents, &[]).unwrap();
            let a = agents.iter_mut().find(|a| a.id == id).unwrap();
            a.active += 1;
            a.last_assigned_at = Some(t);
            order.push(id.as_u128());
        }
        assert_eq!(order, vec![1, 2, 3, 1, 2, 3, 1, 2, 3]);
        // Capacity is respected: with one slot left in total, only one more is placed.
        for a in &mut agents {
            a.capacity = 3;
        }
        agents[0].capacity = 4;
        assert_eq!(pick_agent(&agents, &[]), Some(Uuid::from_u128(1)));
        agents[0].active = 4;
        assert_eq!(pick_agent(&agents, &[]), None);
    }

    #[test]
    fn ranking_puts_who_passed_last() {
        let agents = [
            agent(1, Presence::Online, 5, 0, None),
            agent(2, Presence::Online, 5, 3, Some(10)),
            agent(3, Presence::Away, 5, 0, None),
        ];
        assert_eq!(
            rank_agents(&agents, &[Uuid::from_u128(1)]),
            vec![Uuid::from_u128(2), Uuid::from_u128(1)]
        );
        assert_eq!(
            rank_agents(&agents, &[]),
            vec![Uuid::from_u128(1), Uuid::from_u128(2)]
        );
    }

    #[test]
    fn an_honest_estimate() {
        assert_eq!(wait_estimate(1, 0, &[30]), WaitEstimate::NoAgents);
        assert_eq!(wait_estimate(1, 2, &[]), WaitEstimate::Unknown);
        assert_eq!(
            wait_estimate(1, 2, &[30, 90]),
            WaitEstimate::About { secs: 60 }
        );
        // Five ahead of me with two agents: three rounds of ~2 minutes.
        assert_eq!(
            wait_estimate(5, 2, &[120]),
            WaitEstimate::About { secs: 360 }
        );
    }

    #[test]
    fn names_round_trip() {
        for m in [RoutingMode::Broadcast, RoutingMode::TimeBased] {
            assert_eq!(RoutingMode::parse(m.as_str()), Some(m));
        }
        for p in [MissedPolicy::StayQueued, MissedPolicy::OfflineLead] {
            assert_eq!(MissedPolicy::parse(p.as_str()), Some(p));
        }
        for p in [Presence::Online, Presence::Away, Presence::Offline] {
            assert_eq!(Presence::parse(p.as_str()), Some(p));
        }
    }
}
