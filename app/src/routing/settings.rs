//! Routing and widget settings an admin changes at runtime, stored as one JSON document.

use serde::{Deserialize, Serialize};
use switchboard_domain::{MissedPolicy, RoutingMode};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BotAnswer {
    pub question: String,
    pub answer: String,
}

/// The chatbot that greets visitors before the pre-chat form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BotSettings {
    pub enabled: bool,
    pub greeting: String,
    pub answers: Vec<BotAnswer>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoutingSettings {
    pub mode: RoutingMode,
    /// Broadcast: how long a request waits in the queue before it counts as missed.
    pub queue_timeout_secs: u32,
    /// Time-based: how long an agent has to accept an offered chat.
    pub accept_timeout_secs: u32,
    pub missed_policy: MissedPolicy,
    /// Idle time after which an Online agent is set Away.
    pub auto_away_secs: u32,
    pub bot: BotSettings,
}

impl Default for RoutingSettings {
    fn default() -> Self {
        Self {
            mode: RoutingMode::Broadcast,
            queue_timeout_secs: 180,
            accept_timeout_secs: 30,
            missed_policy: MissedPolicy::StayQueued,
            auto_away_secs: 300,
            bot: BotSettings { enabled: false, greeting: "Hi! How can we help you today?".into(), answers: vec![] },
        }
    }
}

pub const TIMEOUT_RANGE: std::ops::RangeInclusive<u32> = 5..=3600;

impl RoutingSettings {
    /// The settings the demo starts with: broadcasting, and a chatbot with a few answers.
    pub fn demo() -> Self {
        Self {
            bot: BotSettings {
                enabled: true,
                greeting: "Hi! I'm the Acme assistant. Pick a question, or talk to a person.".into(),
                answers: vec![
                    BotAnswer {
                        question: "When will my order ship?".into(),
                        answer: "Orders placed before 2 pm ship the same working day; you get a tracking link by email.".into(),
                    },
                    BotAnswer {
                        question: "How do returns work?".into(),
                        answer: "You can return anything within 30 days. Start a return from your order page.".into(),
                    },
                ],
            },
            ..Self::default()
        }
    }

    /// Checks an admin's edit; the error says what to fix.
    pub fn validate(&self) -> Result<(), String> {
        for (name, v) in [
            ("Queue time", self.queue_timeout_secs),
            ("Acceptance time", self.accept_timeout_secs),
            ("Auto-away time", self.auto_away_secs),
        ] {
            if !TIMEOUT_RANGE.contains(&v) {
                return Err(format!(
                    "{name} must be between {} and {} seconds.",
                    TIMEOUT_RANGE.start(),
                    TIMEOUT_RANGE.end()
                ));
            }
        }
        if self.bot.enabled && self.bot.greeting.trim().is_empty() {
            return Err("The chatbot needs a greeting.".into());
        }
        for a in &self.bot.answers {
            if a.question.trim().is_empty() || a.answer.trim().is_empty() {
                return Err("Every chatbot answer needs a question and an answer.".into());
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_names_the_problem() {
        assert!(RoutingSettings::default().validate().is_ok());
        assert!(RoutingSettings::demo().validate().is_ok());
        let mut s = RoutingSettings { accept_timeout_secs: 2, ..RoutingSettings::default() };
        assert!(s.validate().unwrap_err().contains("Acceptance time"));
        s.accept_timeout_secs = 30;
        s.bot.enabled = true;
        s.bot.greeting = " ".into();
        assert!(s.validate().unwrap_err().contains("greeting"));
    }
}
