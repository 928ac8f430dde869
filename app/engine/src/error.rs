//! The engine's errors: typed, so the web layer maps each to an HTTP status once.

use switchboard_domain::conversation::Refusal;
use switchboard_domain::settings::SettingsError;
use switchboard_domain::{ContactError, MessageError};

/// A rule an input broke; nothing was written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rule {
    #[error(transparent)]
    Contact(#[from] ContactError),
    #[error(transparent)]
    Message(#[from] MessageError),
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error(transparent)]
    File(#[from] switchboard_domain::files::FileRefusal),
    #[error("A name is required.")]
    NameMissing,
    #[error("A password needs at least {0} characters.")]
    PasswordTooShort(usize),
    #[error("The chat limit must be between 1 and {0}.")]
    CapacityOutOfRange(u32),
    #[error("You cannot demote or deactivate your own account.")]
    SelfDemotion,
    #[error("The report's end must come after its start.")]
    ReportRange,
    #[error("That email and password do not match an active account.")]
    BadCredentials,
    #[error("That message id is already taken; please send again.")]
    StartIdTaken,
    #[error("The form expired; please send again.")]
    StartExpired,
    #[error("You already have chats open with us; please go on in one of them.")]
    TooManyOpenChats,
    #[error("There is no approved template named {0} for this account.")]
    UnknownTemplate(String),
    #[error("This template needs {expected} values, none of them empty.")]
    TemplateParameters { expected: usize },
    /// Channel settings that don't make a working configuration: why, in plain words.
    #[error("{0}")]
    ChannelSettings(String),
    #[error("{0} is set by the server's environment and cannot be changed here.")]
    SetByEnvironment(String),
    #[error("There is no setting {0}.")]
    UnknownSetting(String),
    #[error("That file was sent already; attach it again to send it once more.")]
    FileSent,
    #[error("No {0} number is connected, so the chat can't move there.")]
    NoChannel(String),
    #[error("This contact left no phone number (with its country code) to text.")]
    NoPhone,
    #[error("{0}")]
    ChannelUnavailable(String),
    #[error(transparent)]
    Canned(#[from] switchboard_domain::canned::CannedError),
    #[error("A library holds at most {0} responses; remove some first.")]
    CannedLibraryFull(u64),
    #[error("Pick two different contacts to merge.")]
    MergeSame,
    #[error("{0} was merged into another contact already.")]
    AlreadyMerged(String),
    #[error("This contact never chatted from the website, so there is no widget to sign out of.")]
    NoWidgetVisitor,
}

impl Rule {
    /// A stable machine-readable name.
    pub fn code(&self) -> &'static str {
        match self {
            Rule::Contact(e) => e.code(),
            Rule::Message(e) => e.code(),
            Rule::Settings(e) => e.code(),
            Rule::File(e) => e.code(),
            Rule::NameMissing => "name_missing",
            Rule::PasswordTooShort(_) => "password_too_short",
            Rule::CapacityOutOfRange(_) => "capacity_out_of_range",
            Rule::SelfDemotion => "self_demotion",
            Rule::ReportRange => "report_range",
            Rule::BadCredentials => "bad_credentials",
            Rule::StartIdTaken => "start_id_taken",
            Rule::StartExpired => "start_expired",
            Rule::TooManyOpenChats => "too_many_open_chats",
            Rule::UnknownTemplate(_) => "unknown_template",
            Rule::TemplateParameters { .. } => "template_parameters",
            Rule::ChannelSettings(_) => "channel_settings",
            Rule::SetByEnvironment(_) => "set_by_environment",
            Rule::UnknownSetting(_) => "unknown_setting",
            Rule::FileSent => "file_sent",
            Rule::NoChannel(_) => "no_channel",
            Rule::NoPhone => "no_phone",
            Rule::ChannelUnavailable(_) => "channel_unavailable",
            Rule::Canned(e) => e.code(),
            Rule::CannedLibraryFull(_) => "canned_library_full",
            Rule::MergeSame => "merge_same",
            Rule::AlreadyMerged(_) => "already_merged",
            Rule::NoWidgetVisitor => "no_widget_visitor",
        }
    }
}

/// What a caller asked for that does not exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    Conversation,
    Agent,
    Account,
    Contact,
    Message,
    File,
    Canned,
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The domain refused the command in the conversation's current state.
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error(transparent)]
    Invalid(#[from] Rule),
    #[error("no such {0:?}")]
    NotFound(Missing),
    #[error("An account for {0} already exists.")]
    AccountExists(String),
    /// Not signed in, or the account is deactivated.
    #[error("not signed in")]
    Unauthorized,
    /// Too many tries: come back in `retry_after_secs`.
    #[error("too many requests; retry in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    /// Signed in, but this is not theirs to do (the shared library is the admins' to keep).
    #[error("forbidden")]
    Forbidden,
    #[error("database: {0}")]
    Db(#[from] sea_orm::DbErr),
    /// A stored value the code does not know: never guessed, always reported.
    #[error("stored data is not valid: {0}")]
    Corrupt(String),
    /// A message with this client id is stored already (a retried send).
    #[error("duplicate message {0}")]
    DuplicateMessage(uuid::Uuid),
    /// Another writer changed the conversation first; the transaction was rolled back and
    /// can be tried again.
    #[error("concurrent change")]
    Contended,
    /// Several nodes on one SQLite database: refused.
    #[error(
        "another Switchboard node is already using the SQLite database {0}. SQLite serves a single node; \
         to run several nodes, point every node's DATABASE_URL at one PostgreSQL database"
    )]
    SqliteTaken(String),
    /// The engine's configuration cannot work (an unknown channel adapter, an account twice).
    #[error("configuration: {0}")]
    Config(String),
    #[error("internal: {0}")]
    Internal(String),
    /// A provider did not give what we asked for (a contact's file); why, in plain words.
    #[error("{0}")]
    Provider(String),
}

impl From<ContactError> for EngineError {
    fn from(e: ContactError) -> Self {
        EngineError::Invalid(Rule::Contact(e))
    }
}

impl From<MessageError> for EngineError {
    fn from(e: MessageError) -> Self {
        EngineError::Invalid(Rule::Message(e))
    }
}

impl From<SettingsError> for EngineError {
    fn from(e: SettingsError) -> Self {
        EngineError::Invalid(Rule::Settings(e))
    }
}

impl EngineError {
    /// Whether the transaction failed before committing anything and may simply run again.
    pub fn is_transient(&self) -> bool {
        match self {
            EngineError::Contended => true,
            EngineError::Db(e) => crate::store::is_transient(e),
            _ => false,
        }
    }
}

pub type Result<T, E = EngineError> = std::result::Result<T, E>;

/// The wire's error for a refusal or failure, mapped once for every caller (HTTP server
/// functions and socket frames). Failures that are not the caller's get logged here.
impl From<&EngineError> for switchboard_wire::ApiError {
    fn from(e: &EngineError) -> Self {
        use switchboard_wire::ApiError;
        match e {
            EngineError::Unauthorized => ApiError::Unauthorized,
            EngineError::Forbidden => ApiError::Forbidden,
            EngineError::RateLimited { retry_after_secs } => ApiError::RateLimited {
                retry_after_secs: *retry_after_secs,
            },
            // Someone else's conversation does not exist for you.
            EngineError::Refused(r @ Refusal::NotYourConversation) => {
                ApiError::NotFound(r.to_string())
            }
            EngineError::Refused(
                r @ (Refusal::SelfTransfer | Refusal::NotOnline { .. } | Refusal::Message(_)),
            ) => ApiError::invalid(r.code(), r.to_string()),
            EngineError::Refused(r) => ApiError::conflict(r.code(), r.to_string()),
            EngineError::Invalid(rule) => ApiError::invalid(rule.code(), rule.to_string()),
            EngineError::NotFound(m) => ApiError::NotFound(
                match m {
                    Missing::Conversation => "That conversation does not exist.",
                    Missing::Agent => "No such agent.",
                    Missing::Account => "No such account.",
                    Missing::Contact => "No such contact.",
                    Missing::Message => "No such message.",
                    Missing::File => "No such file (or the link expired).",
                    Missing::Canned => "No such canned response.",
                }
                .into(),
            ),
            EngineError::AccountExists(_) => ApiError::conflict("account_exists", e.to_string()),
            EngineError::Provider(reason) => ApiError::Upstream(reason.clone()),
            err => {
                tracing::error!(%err, "engine error");
                ApiError::Internal
            }
        }
    }
}
