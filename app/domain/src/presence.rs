//! An agent's presence: Online takes chats, Away and Offline do not. The agent chooses it;
//! the system changes it only in ways the agent's return undoes (`auto`).

use crate::routing::Presence;
use serde::{Deserialize, Serialize};

/// What is stored of an agent's presence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentPresence {
    pub presence: Presence,
    /// Set by the system (idle, last connection gone), not chosen.
    pub auto: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PresenceCommand {
    /// The agent chose (the picker, signing in, signing out).
    Choose(Presence),
    /// The browser saw no activity for the configured time.
    Idle,
    /// Activity again after an automatic Away.
    Active,
    /// The agent's last connection went (after a grace period), or its server died.
    Gone,
    /// A connection opened again.
    Back,
}

/// The new presence, or `None` when the command changes nothing. The idle detector only
/// moves Online to Away and back: it never overrides a choice.
pub fn decide_presence(current: AgentPresence, command: PresenceCommand) -> Option<AgentPresence> {
    use Presence::*;
    let next = match command {
        PresenceCommand::Choose(p) => AgentPresence {
            presence: p,
            auto: false,
        },
        PresenceCommand::Idle if current.presence == Online => AgentPresence {
            presence: Away,
            auto: true,
        },
        PresenceCommand::Active if current.presence == Away && current.auto => AgentPresence {
            presence: Online,
            auto: false,
        },
        PresenceCommand::Gone if current.presence != Offline => AgentPresence {
            presence: Offline,
            auto: true,
        },
        PresenceCommand::Back if current.presence == Offline && current.auto => AgentPresence {
            presence: Online,
            auto: false,
        },
        _ => return None,
    };
    (next != current).then_some(next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Presence::*;

    fn p(presence: Presence, auto: bool) -> AgentPresence {
        AgentPresence { presence, auto }
    }

    #[test]
    fn choices_always_apply_once() {
        assert_eq!(
            decide_presence(p(Offline, false), PresenceCommand::Choose(Online)),
            Some(p(Online, false))
        );
        assert_eq!(
            decide_presence(p(Online, false), PresenceCommand::Choose(Online)),
            None
        );
        assert_eq!(
            decide_presence(p(Away, true), PresenceCommand::Choose(Away)),
            Some(p(Away, false)),
            "now chosen"
        );
    }

    #[test]
    fn idle_and_back_only_between_online_and_automatic_away() {
        assert_eq!(
            decide_presence(p(Online, false), PresenceCommand::Idle),
            Some(p(Away, true))
        );
        assert_eq!(decide_presence(p(Away, false), PresenceCommand::Idle), None);
        assert_eq!(
            decide_presence(p(Away, true), PresenceCommand::Active),
            Some(p(Online, false))
        );
        assert_eq!(
            decide_presence(p(Away, false), PresenceCommand::Active),
            None,
            "a chosen Away stays"
        );
        assert_eq!(
            decide_presence(p(Offline, false), PresenceCommand::Active),
            None,
            "never overrides Offline"
        );
    }

    #[test]
    fn leaving_sets_offline_and_returning_restores_only_an_automatic_offline() {
        assert_eq!(
            decide_presence(p(Online, false), PresenceCommand::Gone),
            Some(p(Offline, true))
        );
        assert_eq!(
            decide_presence(p(Offline, false), PresenceCommand::Gone),
            None
        );
        assert_eq!(
            decide_presence(p(Offline, true), PresenceCommand::Back),
            Some(p(Online, false))
        );
        assert_eq!(
            decide_presence(p(Offline, false), PresenceCommand::Back),
            None,
            "signed out stays out"
        );
        assert_eq!(decide_presence(p(Away, false), PresenceCommand::Back), None);
    }
}
