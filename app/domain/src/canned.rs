//! Canned responses: saved answers agents send often. Each has a title, a shortcut (typed as
//! `/shortcut` in the composer) and a text with placeholders filled in when used. Admins keep
//! the team's shared library; every agent may keep personal ones that only they see.

use crate::message::BODY_MAX_CHARS;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub const TITLE_MAX_CHARS: usize = 80;
pub const SHORTCUT_MAX_CHARS: usize = 32;

/// The placeholders a text may use, filled in when the response is used.
pub const PLACEHOLDERS: [&str; 2] = ["{visitor_name}", "{agent_name}"];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum CannedError {
    #[error("Give the response a title.")]
    TitleMissing,
    #[error("A title can be at most {TITLE_MAX_CHARS} characters.")]
    TitleTooLong,
    #[error("Give the response a shortcut, such as “refund”.")]
    ShortcutMissing,
    #[error("A shortcut is at most {SHORTCUT_MAX_CHARS} letters, digits, - or _ (“{0}” is not).")]
    ShortcutInvalid(String),
    #[error("Write the response's text.")]
    TextMissing,
    #[error("A response can be at most {BODY_MAX_CHARS} characters.")]
    TextTooLong,
    #[error("{{{0}}} is not a placeholder: use {{visitor_name}} or {{agent_name}}.")]
    UnknownPlaceholder(String),
    #[error("The shortcut /{0} is taken already.")]
    ShortcutTaken(String),
}

impl CannedError {
    /// A stable machine-readable name.
    pub fn code(&self) -> &'static str {
        match self {
            CannedError::TitleMissing => "title_missing",
            CannedError::TitleTooLong => "title_too_long",
            CannedError::ShortcutMissing => "shortcut_missing",
            CannedError::ShortcutInvalid(_) => "shortcut_invalid",
            CannedError::TextMissing => "text_missing",
            CannedError::TextTooLong => "text_too_long",
            CannedError::UnknownPlaceholder(_) => "unknown_placeholder",
            CannedError::ShortcutTaken(_) => "shortcut_taken",
        }
    }
}

/// A response as entered, validated and normalised: trimmed, the shortcut lowercased and
/// without its leading `/`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CannedDraft {
    pub title: String,
    pub shortcut: String,
    pub text: String,
}

impl CannedDraft {
    pub fn parse(title: &str, shortcut: &str, text: &str) -> Result<Self, CannedError> {
        let title = title.trim();
        if title.is_empty() {
            return Err(CannedError::TitleMissing);
        }
        if title.chars().count() > TITLE_MAX_CHARS {
            return Err(CannedError::TitleTooLong);
        }
        let shortcut = parse_shortcut(shortcut)?;
        let text = text.trim();
        if text.is_empty() {
            return Err(CannedError::TextMissing);
        }
        if text.chars().count() > BODY_MAX_CHARS {
            return Err(CannedError::TextTooLong);
        }
        if let Some(unknown) = placeholders(text).find(|p| !PLACEHOLDERS.contains(&p.as_str())) {
            return Err(CannedError::UnknownPlaceholder(
                unknown.trim_matches(['{', '}']).to_string(),
            ));
        }
        Ok(Self {
            title: title.to_string(),
            shortcut,
            text: text.to_string(),
        })
    }
}

pub fn parse_shortcut(raw: &str) -> Result<String, CannedError> {
    let s = raw.trim();
    let s = s.strip_prefix('/').unwrap_or(s).to_lowercase();
    if s.is_empty() {
        return Err(CannedError::ShortcutMissing);
    }
    let ok = s.chars().count() <= SHORTCUT_MAX_CHARS
        && s.chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '_');
    if !ok {
        return Err(CannedError::ShortcutInvalid(raw.trim().to_string()));
    }
    Ok(s)
}

/// Every `{word}` in a text (word characters only: a lone brace or `{ }` is plain text).
fn placeholders(text: &str) -> impl Iterator<Item = String> + '_ {
    text.match_indices('{').filter_map(move |(i, _)| {
        let rest = &text[i + 1..];
        let end = rest.find('}')?;
        let word = &rest[..end];
        (!word.is_empty() && word.chars().all(|c| c.is_alphanumeric() || c == '_'))
            .then(|| format!("{{{word}}}"))
    })
}

/// A saved response, as agents see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CannedResponse {
    pub id: Uuid,
    pub title: String,
    pub shortcut: String,
    pub text: String,
    /// The agent it belongs to; none for the team's shared ones.
    pub owner: Option<Uuid>,
    pub updated_at: crate::Millis,
}

impl CannedResponse {
    pub fn shared(&self) -> bool {
        self.owner.is_none()
    }

    /// Whether a search (case-insensitive, any of title, shortcut and text) finds it. A
    /// leading `/` searches shortcuts only, from their start.
    pub fn matches(&self, query: &str) -> bool {
        let q = query.trim().to_lowercase();
        if let Some(prefix) = q.strip_prefix('/') {
            return self.shortcut.starts_with(prefix);
        }
        q.is_empty()
            || self.title.to_lowercase().contains(&q)
            || self.shortcut.contains(&q)
            || self.text.to_lowercase().contains(&q)
    }

    /// The text with its placeholders filled: the visitor's first name (or "there" when we
    /// do not know it) and the agent's name.
    pub fn fill(&self, visitor_name: &str, agent_name: &str) -> String {
        fill(&self.text, visitor_name, agent_name)
    }
}

pub fn fill(text: &str, visitor_name: &str, agent_name: &str) -> String {
    let visitor = visitor_name.split_whitespace().next().unwrap_or("there");
    text.replace("{visitor_name}", visitor)
        .replace("{agent_name}", agent_name)
}

/// Responses in the order the composer lists them: the agent's own first, then the team's,
/// each by shortcut; those a search finds.
pub fn listed<'a>(all: &'a [CannedResponse], query: &str) -> Vec<&'a CannedResponse> {
    let mut found: Vec<&CannedResponse> = all.iter().filter(|c| c.matches(query)).collect();
    found.sort_by(|a, b| {
        (a.shared(), &a.shortcut, &a.title).cmp(&(b.shared(), &b.shortcut, &b.title))
    });
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(shortcut: &str, owner: Option<u128>, text: &str) -> CannedResponse {
        CannedResponse {
            id: Uuid::from_u128(1),
            title: format!("About {shortcut}"),
            shortcut: shortcut.into(),
            text: text.into(),
            owner: owner.map(Uuid::from_u128),
            updated_at: 0,
        }
    }

    #[test]
    fn a_draft_is_trimmed_and_its_shortcut_normalised() {
        let d =
            CannedDraft::parse("  Refunds ", " /Refund-Policy ", " Hi {visitor_name}! ").unwrap();
        assert_eq!(
            (d.title.as_str(), d.shortcut.as_str(), d.text.as_str()),
            ("Refunds", "refund-policy", "Hi {visitor_name}!")
        );
    }

    #[test]
    fn a_draft_names_what_is_wrong() {
        assert_eq!(
            CannedDraft::parse(" ", "a", "b"),
            Err(CannedError::TitleMissing)
        );
        assert_eq!(
            CannedDraft::parse(&"t".repeat(81), "a", "b"),
            Err(CannedError::TitleTooLong)
        );
        assert_eq!(
            CannedDraft::parse("t", "/", "b"),
            Err(CannedError::ShortcutMissing)
        );
        assert_eq!(
            CannedDraft::parse("t", "two words", "b"),
            Err(CannedError::ShortcutInvalid("two words".into()))
        );
        assert_eq!(
            CannedDraft::parse("t", &"s".repeat(33), "b"),
            Err(CannedError::ShortcutInvalid("s".repeat(33)))
        );
        assert_eq!(
            CannedDraft::parse("t", "s", "  "),
            Err(CannedError::TextMissing)
        );
        assert_eq!(
            CannedDraft::parse("t", "s", &"x".repeat(4001)),
            Err(CannedError::TextTooLong)
        );
        let unknown = CannedDraft::parse("t", "s", "Hi {visitor} from {agent_name}").unwrap_err();
        assert_eq!(unknown, CannedError::UnknownPlaceholder("visitor".into()));
        assert_eq!(
            unknown.to_string(),
            "{visitor} is not a placeholder: use {visitor_name} or {agent_name}."
        );
        // Braces that are not a placeholder are plain text.
        assert!(CannedDraft::parse("t", "s", "a { b } and {} and {x y}").is_ok());
    }

    #[test]
    fn placeholders_are_filled_with_the_first_name_and_the_agent() {
        let r = response(
            "hi",
            None,
            "Hi {visitor_name}, {agent_name} here. {visitor_name}?",
        );
        assert_eq!(r.fill("Ada Lovelace", "Sam"), "Hi Ada, Sam here. Ada?");
        assert_eq!(r.fill("  ", "Sam"), "Hi there, Sam here. there?");
    }

    #[test]
    fn the_list_searches_every_field_and_puts_the_agents_own_first() {
        let all = vec![
            response("refund", None, "Refunds take 5 days"),
            response("hours", None, "We open at 9"),
            response("bye", Some(7), "Bye {visitor_name}"),
            response("ref-mine", Some(7), "My refund words"),
        ];
        let shortcuts = |q: &str| -> Vec<String> {
            listed(&all, q).iter().map(|c| c.shortcut.clone()).collect()
        };
        assert_eq!(shortcuts(""), ["bye", "ref-mine", "hours", "refund"]);
        assert_eq!(shortcuts("REFUND"), ["ref-mine", "refund"]);
        assert_eq!(shortcuts("open at"), ["hours"]);
        assert_eq!(shortcuts("about bye"), ["bye"]);
        // "/" looks at shortcuts only, from their start.
        assert_eq!(shortcuts("/ref"), ["ref-mine", "refund"]);
        assert_eq!(shortcuts("/fund"), Vec::<String>::new());
        assert_eq!(shortcuts("/"), ["bye", "ref-mine", "hours", "refund"]);
    }
}
