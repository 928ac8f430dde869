//! Who a visitor says they are, validated once at the edge.

use serde::{Deserialize, Serialize};

pub const NAME_MAX_CHARS: usize = 100;
pub const EMAIL_MAX_CHARS: usize = 254;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum ContactError {
    #[error("Please tell us your name.")]
    NameMissing,
    #[error("Your name can be at most {NAME_MAX_CHARS} characters.")]
    NameTooLong,
    #[error("A name can't hold control or text-direction characters.")]
    NameInvalid,
    #[error("Please enter an email address.")]
    EmailMissing,
    #[error("“{0}” does not look like an email address.")]
    EmailInvalid(String),
    #[error("“{0}” does not look like a phone number: use digits, optionally starting with + and the country code.")]
    PhoneInvalid(String),
    #[error("Please enter a phone number.")]
    PhoneMissing,
    #[error("Start the number with + and its country code (such as +1 500 555 0006), so we can text it.")]
    PhoneNeedsCountryCode,
}

impl ContactError {
    /// A stable machine-readable name.
    pub fn code(&self) -> &'static str {
        match self {
            ContactError::NameMissing => "name_missing",
            ContactError::NameTooLong => "name_too_long",
            ContactError::NameInvalid => "name_invalid",
            ContactError::EmailMissing => "email_missing",
            ContactError::EmailInvalid(_) => "email_invalid",
            ContactError::PhoneInvalid(_) => "phone_invalid",
            ContactError::PhoneMissing => "phone_missing",
            ContactError::PhoneNeedsCountryCode => "phone_needs_country_code",
        }
    }
}

/// Contact details as entered in the pre-chat form, normalised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactDetails {
    pub name: String,
    pub email: String,
    /// E.164-like: an optional leading `+` and 7 to 15 digits.
    pub phone: Option<String>,
}

impl ContactDetails {
    /// Validates and normalises raw form input: trims, lowercases the email, strips phone
    /// punctuation (spaces, dashes, dots, parentheses).
    pub fn parse(name: &str, email: &str, phone: &str) -> Result<Self, ContactError> {
        let name = name.trim();
        if name.is_empty() {
            return Err(ContactError::NameMissing);
        }
        if name.chars().count() > NAME_MAX_CHARS {
            return Err(ContactError::NameTooLong);
        }
        if name.chars().any(forbidden_in_names) {
            return Err(ContactError::NameInvalid);
        }
        let email = parse_email(email)?;
        let phone = parse_phone(phone)?;
        Ok(Self {
            name: name.to_string(),
            email,
            phone,
        })
    }
}

/// Characters no name may hold: controls (newlines, escapes) and the invisible marks that
/// reverse how text reads (a name that makes "Alice" look like "ecilA", or moves what follows).
pub fn forbidden_in_names(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}'
        )
}

/// A name from elsewhere (a provider's profile): what no name may hold taken out.
pub fn clean_name(raw: &str) -> String {
    raw.chars()
        .filter(|c| !forbidden_in_names(*c))
        .collect::<String>()
        .trim()
        .to_string()
}

/// What a refusal repeats of the input: at most this many characters.
const ECHO_MAX_CHARS: usize = 64;

fn echo(raw: &str) -> String {
    crate::clip(raw, ECHO_MAX_CHARS)
}

pub fn parse_email(raw: &str) -> Result<String, ContactError> {
    let email = raw.trim().to_lowercase();
    if email.is_empty() {
        return Err(ContactError::EmailMissing);
    }
    let valid = email.chars().count() <= EMAIL_MAX_CHARS
        && !email.chars().any(char::is_whitespace)
        && match email.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            }
            None => false,
        };
    if valid {
        Ok(email)
    } else {
        Err(ContactError::EmailInvalid(echo(raw.trim())))
    }
}

/// An empty phone is fine (it is optional); anything else must be a plausible number.
pub fn parse_phone(raw: &str) -> Result<Option<String>, ContactError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    let mut out = String::with_capacity(trimmed.len());
    for (i, c) in trimmed.chars().enumerate() {
        match c {
            '+' if i == 0 => out.push('+'),
            '0'..='9' => out.push(c),
            ' ' | '-' | '.' | '(' | ')' => {}
            _ => return Err(ContactError::PhoneInvalid(echo(trimmed))),
        }
    }
    let digits = out.trim_start_matches('+').len();
    if (7..=15).contains(&digits) {
        Ok(Some(out))
    } else {
        Err(ContactError::PhoneInvalid(echo(trimmed)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_valid_details() {
        let c = ContactDetails::parse("  Ada Lovelace ", " Ada@Example.COM ", "+44 (20) 7946-0958")
            .unwrap();
        assert_eq!(c.name, "Ada Lovelace");
        assert_eq!(c.email, "ada@example.com");
        assert_eq!(c.phone.as_deref(), Some("+442079460958"));
    }

    #[test]
    fn phone_is_optional() {
        assert_eq!(
            ContactDetails::parse("Ada", "a@b.co", "  ").unwrap().phone,
            None
        );
    }

    #[test]
    fn names_hold_no_control_or_direction_characters_and_refusals_echo_little() {
        for bad in [
            "Ada\nLovelace",
            "Ada\u{202E}ecalevol",
            "Eve\u{2066}x",
            "A\u{0007}",
        ] {
            assert_eq!(
                ContactDetails::parse(bad, "a@b.co", ""),
                Err(ContactError::NameInvalid),
                "{bad:?}"
            );
        }
        assert!(ContactDetails::parse("Zoë 李 O'Neil-Smith", "a@b.co", "").is_ok());
        assert_eq!(clean_name(" Eve\u{202E}lyn\n "), "Evelyn");
        let long = format!("{}@", "x".repeat(10_000));
        match parse_email(&long) {
            Err(ContactError::EmailInvalid(echoed)) => {
                assert_eq!(echoed.chars().count(), ECHO_MAX_CHARS + 1)
            }
            other => panic!("{other:?}"),
        }
        match parse_phone(&"9".repeat(5000)) {
            Err(ContactError::PhoneInvalid(echoed)) => assert!(echoed.chars().count() <= 65),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn rejects_bad_input_with_a_reason() {
        assert_eq!(
            ContactDetails::parse(" ", "a@b.co", ""),
            Err(ContactError::NameMissing)
        );
        assert_eq!(
            ContactDetails::parse(&"x".repeat(101), "a@b.co", ""),
            Err(ContactError::NameTooLong)
        );
        assert_eq!(
            ContactDetails::parse("Ada", "", ""),
            Err(ContactError::EmailMissing)
        );
        for bad in [
            "ada", "ada@", "@x.io", "a@b", "a b@c.io", "a@b@c.io", "a@.io", "a@io.",
        ] {
            assert!(
                matches!(parse_email(bad), Err(ContactError::EmailInvalid(_))),
                "{bad}"
            );
        }
        for bad in [
            "12345",
            "call me",
            "+1 555 abc 1234",
            "1+5551234567",
            "1234567890123456",
        ] {
            assert!(
                matches!(parse_phone(bad), Err(ContactError::PhoneInvalid(_))),
                "{bad}"
            );
        }
    }
}
