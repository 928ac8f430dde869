//! Routing and widget settings an admin changes at runtime, stored as one JSON document.

use crate::routing::{MissedPolicy, RoutingMode};
use serde::{Deserialize, Serialize};

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
    /// Which files agents and visitors may send.
    #[serde(default)]
    pub files: crate::files::FileRules,
    /// Agents read colleagues' conversations (they act only on their own and the shared
    /// ones either way; see `access`).
    #[serde(default = "yes")]
    pub agents_see_colleagues: bool,
}

fn yes() -> bool {
    true
}

impl Default for RoutingSettings {
    fn default() -> Self {
        Self {
            mode: RoutingMode::Broadcast,
            queue_timeout_secs: 180,
            accept_timeout_secs: 30,
            missed_policy: MissedPolicy::StayQueued,
            auto_away_secs: 300,
            bot: BotSettings {
                enabled: false,
                greeting: "Hi! How can we help you today?".into(),
                answers: vec![],
            },
            files: crate::files::FileRules::default(),
            agents_see_colleagues: true,
        }
    }
}

pub const TIMEOUT_RANGE: std::ops::RangeInclusive<u32> = 5..=3600;
pub const GREETING_MAX_CHARS: usize = 500;
pub const QUESTION_MAX_CHARS: usize = 200;
pub const ANSWER_MAX_CHARS: usize = 2000;
pub const ANSWERS_MAX: usize = 20;

/// What is wrong with an admin's edit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    #[error("{field} must be between {min} and {max} seconds.", min = TIMEOUT_RANGE.start(), max = TIMEOUT_RANGE.end())]
    TimeoutOutOfRange { field: &'static str },
    #[error("The chatbot needs a greeting.")]
    GreetingMissing,
    #[error("The greeting can be at most {GREETING_MAX_CHARS} characters.")]
    GreetingTooLong,
    #[error("Every chatbot answer needs a question and an answer.")]
    AnswerIncomplete,
    #[error("A chatbot question can be at most {QUESTION_MAX_CHARS} characters and an answer {ANSWER_MAX_CHARS}.")]
    AnswerTooLong,
    #[error("The chatbot can have at most {ANSWERS_MAX} answers.")]
    TooManyAnswers,
    #[error(transparent)]
    Files(#[from] crate::files::FileRulesError),
}

impl SettingsError {
    /// A stable machine-readable name.
    pub fn code(&self) -> &'static str {
        match self {
            SettingsError::TimeoutOutOfRange { .. } => "timeout_out_of_range",
            SettingsError::GreetingMissing => "greeting_missing",
            SettingsError::GreetingTooLong => "greeting_too_long",
            SettingsError::AnswerIncomplete => "answer_incomplete",
            SettingsError::AnswerTooLong => "answer_too_long",
            SettingsError::TooManyAnswers => "too_many_answers",
            SettingsError::Files(e) => e.code(),
        }
    }
}

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
    pub fn validate(&self) -> Result<(), SettingsError> {
        self.files.validate()?;
        for (field, v) in [
            ("Queue time", self.queue_timeout_secs),
            ("Acceptance time", self.accept_timeout_secs),
            ("Auto-away time", self.auto_away_secs),
        ] {
            if !TIMEOUT_RANGE.contains(&v) {
                return Err(SettingsError::TimeoutOutOfRange { field });
            }
        }
        if self.bot.enabled && self.bot.greeting.trim().is_empty() {
            return Err(SettingsError::GreetingMissing);
        }
        if self.bot.greeting.chars().count() > GREETING_MAX_CHARS {
            return Err(SettingsError::GreetingTooLong);
        }
        if self.bot.answers.len() > ANSWERS_MAX {
            return Err(SettingsError::TooManyAnswers);
        }
        for a in &self.bot.answers {
            if a.question.trim().is_empty() || a.answer.trim().is_empty() {
                return Err(SettingsError::AnswerIncomplete);
            }
            if a.question.chars().count() > QUESTION_MAX_CHARS
                || a.answer.chars().count() > ANSWER_MAX_CHARS
            {
                return Err(SettingsError::AnswerTooLong);
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
        let mut s = RoutingSettings {
            accept_timeout_secs: 2,
            ..RoutingSettings::default()
        };
        assert_eq!(
            s.validate(),
            Err(SettingsError::TimeoutOutOfRange {
                field: "Acceptance time"
            })
        );
        assert!(s
            .validate()
            .unwrap_err()
            .to_string()
            .contains("between 5 and 3600"));
        s.accept_timeout_secs = 30;
        s.bot.enabled = true;
        s.bot.greeting = " ".into();
        assert_eq!(s.validate(), Err(SettingsError::GreetingMissing));
        s.bot.greeting = "x".repeat(GREETING_MAX_CHARS + 1);
        assert_eq!(s.validate(), Err(SettingsError::GreetingTooLong));
        s.bot.greeting = "Hi".into();
        s.bot.answers = vec![BotAnswer {
            question: "q".into(),
            answer: " ".into(),
        }];
        assert_eq!(s.validate(), Err(SettingsError::AnswerIncomplete));
        s.bot.answers = vec![BotAnswer {
            question: "q".into(),
            answer: "a".repeat(ANSWER_MAX_CHARS + 1),
        }];
        assert_eq!(s.validate(), Err(SettingsError::AnswerTooLong));
        s.bot.answers = vec![
            BotAnswer {
                question: "q".into(),
                answer: "a".into()
            };
            ANSWERS_MAX + 1
        ];
        assert_eq!(s.validate(), Err(SettingsError::TooManyAnswers));
    }
}
