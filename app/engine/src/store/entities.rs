//! sea-orm entities, one module a table. Timestamps are unix milliseconds (BIGINT) so the
//! same rows mean the same thing on SQLite and PostgreSQL. Enum-like columns hold the
//! domain's names (`as_str`); `codec` reads them back strictly.

pub mod account {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "accounts")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        #[sea_orm(unique)]
        pub email: String,
        pub name: String,
        /// `admin` or `agent`.
        pub role: String,
        pub password_hash: String,
        pub active: bool,
        pub created_at: i64,
        /// `online`, `away` or `offline`.
        pub presence: String,
        /// Set automatically (idle, last tab closed); restored when the agent is back.
        pub presence_auto: bool,
        pub presence_since: i64,
        /// Concurrent chats this agent takes at most.
        pub capacity: i64,
        pub last_assigned_at: Option<i64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod contact {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "contacts")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub name: String,
        pub email: Option<String>,
        pub phone: Option<String>,
        pub created_at: i64,
        /// The contact this one was merged into; none for a contact in use.
        pub merged_into: Option<Uuid>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// One way to reach a contact: a web visitor id, a phone number, a WhatsApp id…
pub mod channel_identity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "channel_identities")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub contact_id: Uuid,
        pub channel: String,
        pub address: String,
        pub created_at: i64,
        /// Web visitors: the hash of the nonce their widget started with.
        pub start_key: Option<String>,
        /// Web visitors: tokens issued before this (ms) no longer work.
        pub revoked_before: Option<i64>,
        /// Web visitors: a keyed hash of the address that started the chat.
        pub started_from: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod conversation {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "conversations")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub contact_id: Uuid,
        pub status: String,
        pub active_channel: String,
        pub assignee_id: Option<Uuid>,
        /// The seq of the newest message; bumped in the same transaction as each insert.
        pub last_seq: i64,
        pub preview: String,
        pub last_sender: Option<String>,
        pub last_message_at: i64,
        pub created_at: i64,
        pub updated_at: i64,
        pub closed_at: Option<i64>,
        /// Time-based routing: the agent this chat is offered to.
        pub offered_to: Option<Uuid>,
        /// When the running timer (queue or acceptance) fires; none when no timer runs.
        pub deadline: Option<i64>,
        /// The queue timer ran out before anyone took it.
        pub missed: bool,
        /// An offline lead: left through the offline form or given up by the queue.
        pub lead: bool,
        pub queued_at: i64,
        pub accepted_at: Option<i64>,
        pub first_response_at: Option<i64>,
        /// The number of events so far; every write compares and sets it.
        pub revision: i64,
        /// Room members as JSON (`[{"agent":…,"role":…}]`); `conversation_participants`
        /// mirrors it for queries.
        #[sea_orm(column_type = "Text")]
        pub members: String,
        /// Agents who passed in this round of routing, as a JSON array of ids;
        /// `conversation_passes` keeps every pass for queries and reports.
        #[sea_orm(column_type = "Text")]
        pub passed_by: String,
        /// The post a comment conversation is about (`posts`).
        pub post_id: Option<Uuid>,
        /// The chat switch in progress (the domain's JSON).
        pub switch: Option<String>,
        /// The web visitor who began it (a web chat; set once). Their widget resumes it, even
        /// after their contact was merged with others.
        pub visitor_id: Option<Uuid>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod message {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "messages")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub conversation_id: Uuid,
        pub seq: i64,
        pub sender_kind: String,
        pub sender_id: Option<Uuid>,
        pub sender_name: String,
        #[sea_orm(column_type = "Text")]
        pub body: String,
        pub visibility: String,
        pub channel: String,
        pub client_msg_id: Option<Uuid>,
        pub created_at: i64,
        /// Provider channels: `queued`, `sent`, `delivered`, `read` or `failed`.
        pub delivery_status: Option<String>,
        #[sea_orm(column_type = "Text", nullable)]
        pub delivery_reason: Option<String>,
        pub provider_message_id: Option<String>,
        /// The contact's address the message came from or went to (E.164, PSID…).
        pub address: Option<String>,
        /// The comment an agent's message answers, and whether privately.
        pub reply_to_comment: Option<String>,
        pub reply_private: Option<bool>,
        /// JSON: the template it was sent as (name, language, parameters).
        #[sea_orm(column_type = "Text", nullable)]
        pub template: Option<String>,
        /// A contact's comment deleted from the post.
        pub removed: Option<bool>,
        /// The file the message carries, as the inbox shows it (JSON).
        #[sea_orm(column_type = "Text", nullable)]
        pub attachment: Option<String>,
        /// Where a contact's file is fetched from: the adapter's `MediaSource` (JSON).
        #[sea_orm(column_type = "Text", nullable)]
        pub media_source: Option<String>,
        /// What the contact did to it since: `edited`, `withdrawn`, `hidden`.
        pub altered: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// How far each agent has read each conversation (for unread and the waiting colour).
pub mod conversation_read {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "conversation_reads")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub conversation_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub account_id: Uuid,
        pub read_seq: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// tower-sessions records for signed-in agents.
pub mod session {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "sessions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        #[sea_orm(column_type = "Text")]
        pub data: String,
        pub expires_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod setting {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "settings")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub key: String,
        #[sea_orm(column_type = "Text")]
        pub value: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// An agent passed on a chat: its timer ran out on them (`missed`) or they `declined` it.
pub mod conversation_pass {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "conversation_passes")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub conversation_id: Uuid,
        pub account_id: Uuid,
        pub reason: String,
        pub at: i64,
        /// False once the conversation was reopened (a new round of routing).
        pub active: bool,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Agents in a chat room: its owner and invited colleagues.
pub mod conversation_participant {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "conversation_participants")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub conversation_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub account_id: Uuid,
        /// `owner` or `invited`.
        pub role: String,
        pub joined_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Every presence an agent had, and when: the time-in-status report reads it.
pub mod presence_log {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "presence_log")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub account_id: Uuid,
        pub presence: String,
        pub started_at: i64,
        pub ended_at: Option<i64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A conversation's events, one row per revision, in one transaction with the change.
pub mod conversation_event {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "conversation_events")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub conversation_id: Uuid,
        pub revision: i64,
        pub kind: String,
        /// The domain event as JSON.
        #[sea_orm(column_type = "Text")]
        pub payload: String,
        /// Where the conversation is in inboxes after this event (JSON `Placement`).
        #[sea_orm(column_type = "Text")]
        pub placement: String,
        /// Where it was before, when this event moved it.
        #[sea_orm(column_type = "Text", nullable)]
        pub moved_from: Option<String>,
        pub created_at: i64,
        /// PostgreSQL: the writing transaction's id; 0 on SQLite.
        pub tx: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Events of agents (presence), for the dispatchers of every node.
pub mod agent_event {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "agent_events")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub account_id: Uuid,
        pub kind: String,
        #[sea_orm(column_type = "Text")]
        pub payload: String,
        pub created_at: i64,
        pub tx: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Follow-up work written with the change that asked for it, done by a reactor.
pub mod outbox {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "outbox")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        /// `route`, `drain_queue`, `deliver` or `inbound`.
        pub kind: String,
        pub conversation_id: Option<Uuid>,
        #[sea_orm(unique)]
        pub dedupe_key: Option<String>,
        pub due_at: i64,
        pub attempts: i64,
        #[sea_orm(column_type = "Text", nullable)]
        pub last_error: Option<String>,
        pub created_at: i64,
        /// `deliver`: the message to send.
        pub message_id: Option<Uuid>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Which node holds sockets of which agent, until when (renewed while they are open).
pub mod presence_lease {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "presence_leases")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub node_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub account_id: Uuid,
        pub sockets: i64,
        pub expires_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A connected provider account: which of our addresses conversations run on.
pub mod channel_account {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "channel_accounts")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub channel: String,
        /// The adapter that sends for it (`twilio_sms`, `whatsapp_cloud`…).
        pub adapter: String,
        pub address: String,
        pub name: String,
        /// JSON: API base URL and credentials. Never sent to a browser in full.
        #[sea_orm(column_type = "Text")]
        pub settings: String,
        /// `env` (read-only, from the environment or demo mode) or `admin`.
        pub source: String,
        pub created_at: i64,
        pub updated_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A webhook event, stored once by its provider key and processed from here.
pub mod inbound_event {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "inbound_events")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        #[sea_orm(unique)]
        pub dedupe_key: String,
        pub channel: String,
        pub account: String,
        /// The normalised event (`switchboard_channels::Inbound`) as JSON.
        #[sea_orm(column_type = "Text")]
        pub payload: String,
        pub received_at: i64,
        pub processed_at: Option<i64>,
        pub attempts: i64,
        #[sea_orm(column_type = "Text", nullable)]
        pub last_error: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A conversation on a provider channel: our account, the contact's address, the thread.
pub mod conversation_link {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "conversation_links")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub conversation_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub channel: String,
        pub account: String,
        pub contact_address: String,
        /// The post a comment conversation is about.
        pub thread: Option<String>,
        pub last_inbound_at: Option<i64>,
        pub created_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A Page or Instagram post that comment conversations are about.
pub mod post {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "posts")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub channel: String,
        /// The account (Page or Instagram account id) it was posted on.
        pub account: String,
        /// The provider's post or media id.
        pub external_id: String,
        pub created_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A provider's message id to ours.
pub mod provider_message {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "provider_messages")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub channel: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub provider_message_id: String,
        pub message_id: Uuid,
        pub conversation_id: Uuid,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A file an agent or visitor uploaded (the bytes are in the file store).
pub mod file {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "files")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub conversation_id: Uuid,
        /// `agent:<id>` or `contact:<id>`.
        pub uploader: String,
        pub filename: String,
        pub mime: String,
        pub size: i64,
        pub kind: String,
        pub storage_key: String,
        /// The message that sent it; none until sent.
        pub message_id: Option<Uuid>,
        pub created_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A canned response: the team's (`owner_key` nil) or one agent's.
pub mod canned_response {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "canned_responses")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub owner_key: Uuid,
        pub title: String,
        pub shortcut: String,
        pub body: String,
        pub created_at: i64,
        pub updated_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
