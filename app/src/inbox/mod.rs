//! The agent inbox: folders, the open room, and the server functions behind them. Every
//! function here refuses anonymous callers. The page is `view` (layout), `list` (folders,
//! filters, rows), `room` (the open conversation), `state` (what they share), `rows` (how
//! live updates merge into a listing) and `live` (the browser's side: socket, actions).

mod alerts;
mod contacts;
mod list;
#[cfg(feature = "browser")]
mod live;
mod room;
pub mod rows;
mod state;
mod view;

pub use view::InboxPage;

use crate::error::ApiError;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use switchboard_domain::{Message, Presence};
use switchboard_wire::inbox::{
    AgentInfo, ContactHit, ConversationDetail, FolderPage, InboxContext, MessagePage, PageCursor,
};
use switchboard_wire::ConversationSummary;
use uuid::Uuid;

pub use switchboard_domain::{Filter, Folder, InboxView, Scope};

/// How many messages a conversation opens on; older ones load on request.
#[cfg(feature = "ssr")]
const PAGE: u64 = 50;

#[cfg(feature = "ssr")]
fn agent_ref(a: &switchboard_wire::AgentProfile) -> switchboard_domain::conversation::AgentRef {
    crate::auth::ssr::agent_ref(a)
}

/// One page of a folder, newest activity first: the first without `after`, then each after
/// the previous page's `next`.
#[server(endpoint = "inbox/list", input = Json, output = Json)]
pub async fn list_conversations(
    folder: Folder,
    filter: Filter,
    after: Option<PageCursor>,
) -> Result<FolderPage, ApiError> {
    use crate::error::{respond, AppError};
    use switchboard_domain::ConversationStatus as S;
    use switchboard_engine::conversations::{ListCursor, ListQuery};
    respond(
        async {
            let agent = crate::auth::ssr::require_agent().await?;
            let state = crate::state::AppState::from_context()?;
            let (statuses, lead) = match folder {
                Folder::Queued => (vec![S::Queued], Some(false)),
                Folder::Engaged => (vec![S::Offered, S::Open], Some(false)),
                Folder::History => (vec![S::Closed], Some(false)),
                Folder::Leads => (S::ALL.to_vec(), Some(true)),
            };
            // Another operator's inbox is the admins'; without colleagues' chats, "All" is
            // the agent's own (the shared queue is in its own folder).
            let viewer = state.engine.viewer_of(&agent).await?;
            let scope = viewer.scope(filter.scope).ok_or(AppError::Forbidden)?;
            let who = match scope {
                _ if !folder.scoped() => None,
                Scope::All => None,
                Scope::Mine => Some(agent.id),
                Scope::Operator(id) => Some(id),
            };
            let q = ListQuery {
                statuses,
                lead,
                channel: filter.channel,
                post: filter.post,
                involving: who,
                not_passed_by: (folder == Folder::Queued).then_some(agent.id),
                after: after.map(|c| ListCursor {
                    last_message_at: c.last_message_at,
                    id: c.id,
                }),
                // One row more than the page: whether there is a next page, without a count.
                limit: state.inbox_page.saturating_add(1),
            };
            let mut summaries = state.engine.list_summaries(&q).await?;
            let more = summaries.len() as u64 > state.inbox_page;
            summaries.truncate(state.inbox_page as usize);
            // Cut before "Unread" leaves rows out: the next page starts after the last row
            // read from the folder, shown or not.
            let next = more
                .then(|| summaries.last().map(PageCursor::after))
                .flatten();
            let rows = rows_read_by(&state, agent.id, summaries)
                .await?
                .into_iter()
                .filter(|r| !filter.unread_only || r.read_seq < r.summary.last_seq)
                .collect();
            Ok(FolderPage { rows, next })
        }
        .await,
    )
}

/// Start chat / Accept (and Put on hold, which is the same on the server: the client
/// simply stays where it is).
#[server(endpoint = "inbox/accept", input = Json, output = Json)]
pub async fn accept_chat(conversation_id: Uuid) -> Result<ConversationSummary, ApiError> {
    use switchboard_domain::conversation::Command;
    crate::error::respond(
        async {
            let agent = crate::auth::ssr::require_agent().await?;
            let state = crate::state::AppState::from_context()?;
            state
                .engine
                .execute(
                    conversation_id,
                    Command::Accept {
                        agent: agent_ref(&agent),
                    },
                )
                .await?;
            Ok(state.engine.summary(conversation_id).await?)
        }
        .await,
    )
}

#[server(endpoint = "inbox/decline", input = Json, output = Json)]
pub async fn decline_chat(conversation_id: Uuid) -> Result<(), ApiError> {
    use switchboard_domain::conversation::Command;
    crate::error::respond(
        async {
            let agent = crate::auth::ssr::require_agent().await?;
            let state = crate::state::AppState::from_context()?;
            state
                .engine
                .execute(conversation_id, Command::Decline { agent: agent.id })
                .await?;
            Ok(())
        }
        .await,
    )
}

#[server(endpoint = "inbox/transfer", input = Json, output = Json)]
pub async fn transfer_chat(
    conversation_id: Uuid,
    to: Uuid,
    comment: String,
) -> Result<ConversationSummary, ApiError> {
    crate::error::respond(
        async {
            let agent = crate::auth::ssr::require_access(
                conversation_id,
                switchboard_domain::access::Access::Act,
            )
            .await?;
            let state = crate::state::AppState::from_context()?;
            state
                .engine
                .transfer(conversation_id, agent_ref(&agent), to, &comment)
                .await?;
            Ok(state.engine.summary(conversation_id).await?)
        }
        .await,
    )
}

#[server(endpoint = "inbox/invite", input = Json, output = Json)]
pub async fn invite_agent(
    conversation_id: Uuid,
    agent_id: Uuid,
) -> Result<ConversationSummary, ApiError> {
    crate::error::respond(
        async {
            let agent = crate::auth::ssr::require_access(
                conversation_id,
                switchboard_domain::access::Access::Act,
            )
            .await?;
            let state = crate::state::AppState::from_context()?;
            state
                .engine
                .invite(conversation_id, agent_ref(&agent), agent_id)
                .await?;
            Ok(state.engine.summary(conversation_id).await?)
        }
        .await,
    )
}

/// Sets the signed-in agent's presence; `auto` is the browser's idle detector speaking,
/// which may only move Online to Away and back.
#[server(endpoint = "inbox/presence", input = Json, output = Json)]
pub async fn set_presence(presence: Presence, auto: bool) -> Result<(), ApiError> {
    use switchboard_domain::presence::PresenceCommand;
    crate::error::respond(
        async {
            let agent = crate::auth::ssr::require_agent().await?;
            let state = crate::state::AppState::from_context()?;
            let command = match (auto, presence) {
                (false, p) => PresenceCommand::Choose(p),
                (true, Presence::Away) => PresenceCommand::Idle,
                (true, Presence::Online) => PresenceCommand::Active,
                (true, Presence::Offline) => return Ok(()),
            };
            state.engine.set_presence(agent.id, command).await?;
            Ok(())
        }
        .await,
    )
}

#[server(endpoint = "inbox/agents", input = Json, output = Json)]
pub async fn list_agents() -> Result<Vec<AgentInfo>, ApiError> {
    crate::error::respond(
        async {
            crate::auth::ssr::require_agent().await?;
            let state = crate::state::AppState::from_context()?;
            Ok(state.engine.agents().await?)
        }
        .await,
    )
}

#[server(endpoint = "inbox/setup", input = Json, output = Json)]
pub async fn inbox_setup() -> Result<InboxContext, ApiError> {
    crate::error::respond(
        async {
            let me = crate::auth::ssr::require_agent().await?;
            let state = crate::state::AppState::from_context()?;
            let settings = state.engine.settings().await?;
            let viewer = state.engine.viewer_of(&me).await?;
            let mut agents = state.engine.agents().await?;
            agents.retain(|a| a.active);
            Ok(InboxContext {
                agents,
                auto_away_secs: settings.auto_away_secs,
                mode: settings.mode,
                posts: state.engine.posts().await?,
                switch_to: state.engine.switch_targets(),
                sees_colleagues: viewer.admin || viewer.sees_colleagues,
            })
        }
        .await,
    )
}

/// Quick search of contacts by name, email or phone.
#[server(endpoint = "inbox/search", input = Json, output = Json)]
pub async fn search_contacts(query: String) -> Result<Vec<ContactHit>, ApiError> {
    crate::error::respond(
        async {
            crate::auth::ssr::require_agent().await?;
            let state = crate::state::AppState::from_context()?;
            Ok(state.engine.search_contacts(&query, 20).await?)
        }
        .await,
    )
}

/// One conversation's row as this agent's list shows it: for a live update about a row the
/// loaded pages miss (a new chat whose row has not come yet, or one beyond the pages loaded),
/// so the list gains that row instead of starting over from its first page.
#[server(endpoint = "inbox/row", input = Json, output = Json)]
pub async fn conversation_row(
    conversation_id: Uuid,
) -> Result<switchboard_wire::InboxRow, ApiError> {
    crate::error::respond(
        async {
            let agent = crate::auth::ssr::require_access(
                conversation_id,
                switchboard_domain::access::Access::Read,
            )
            .await?;
            let state = crate::state::AppState::from_context()?;
            let summary = state.engine.summary(conversation_id).await?;
            let mut rows = rows_read_by(&state, agent.id, vec![summary]).await?;
            rows.pop()
                .ok_or_else(|| crate::error::AppError::Internal("one row per summary".into()))
        }
        .await,
    )
}

/// Inbox rows: each summary with how far this agent has read it (one query for all).
#[cfg(feature = "ssr")]
async fn rows_read_by(
    state: &crate::state::AppState,
    agent: Uuid,
    summaries: Vec<switchboard_wire::ConversationSummary>,
) -> Result<Vec<switchboard_wire::InboxRow>, crate::error::AppError> {
    let ids: Vec<Uuid> = summaries.iter().map(|s| s.id).collect();
    let reads = state.engine.read_positions(agent, &ids).await?;
    Ok(summaries
        .into_iter()
        .map(|summary| switchboard_wire::InboxRow {
            read_seq: reads.get(&summary.id).copied().unwrap_or(0),
            summary,
        })
        .collect())
}

/// A conversation's row and its latest messages (older ones with `conversation_history`).
#[server(endpoint = "inbox/conversation", input = Json, output = Json)]
pub async fn open_conversation(conversation_id: Uuid) -> Result<ConversationDetail, ApiError> {
    crate::error::respond(
        async {
            crate::auth::ssr::require_access(
                conversation_id,
                switchboard_domain::access::Access::Read,
            )
            .await?;
            let state = crate::state::AppState::from_context()?;
            let summary = state.engine.summary(conversation_id).await?;
            let page = state
                .engine
                .message_page(conversation_id, None, true, PAGE)
                .await?;
            Ok(ConversationDetail { summary, page })
        }
        .await,
    )
}

/// Messages before `before_seq`, oldest first.
#[server(endpoint = "inbox/history", input = Json, output = Json)]
pub async fn conversation_history(
    conversation_id: Uuid,
    before_seq: u64,
) -> Result<MessagePage, ApiError> {
    crate::error::respond(
        async {
            crate::auth::ssr::require_access(
                conversation_id,
                switchboard_domain::access::Access::Read,
            )
            .await?;
            let state = crate::state::AppState::from_context()?;
            state.engine.state(conversation_id).await?.ok_or(
                switchboard_engine::EngineError::NotFound(
                    switchboard_engine::Missing::Conversation,
                ),
            )?;
            Ok(state
                .engine
                .message_page(conversation_id, Some(before_seq), true, PAGE)
                .await?)
        }
        .await,
    )
}

/// Sends an agent reply (or, with `internal`, a note only agents see). Replying to a queued
/// conversation takes it. Retrying with the same `client_msg_id` stores it once.
#[server(endpoint = "inbox/send", input = Json, output = Json)]
pub async fn send_agent_message(
    conversation_id: Uuid,
    client_msg_id: Uuid,
    body: String,
    internal: bool,
) -> Result<Message, ApiError> {
    use switchboard_domain::conversation::{Author, Command};
    use switchboard_domain::{MessageBody, Visibility};
    crate::error::respond(
        async {
            let agent = crate::auth::ssr::require_access(
                conversation_id,
                switchboard_domain::access::Access::Act,
            )
            .await?;
            let state = crate::state::AppState::from_context()?;
            let body = MessageBody::parse(&body)?;
            let visibility = if internal {
                Visibility::Internal
            } else {
                Visibility::Public
            };
            let command = Command::Append {
                author: Author::Agent(agent_ref(&agent)),
                body,
                visibility,
                client_msg_id: Some(client_msg_id),
            };
            let message = state
                .engine
                .append(conversation_id, command)
                .await?
                .message()
                .clone();
            state
                .engine
                .mark_read(conversation_id, agent.id, message.seq)
                .await?;
            Ok(message)
        }
        .await,
    )
}

/// Sends a file the agent uploaded (`POST /api/files`) in its conversation; `internal` makes
/// it an internal note's file. Retrying with the same `client_msg_id` stores it once.
#[server(endpoint = "inbox/send-file", input = Json, output = Json)]
pub async fn send_agent_file(
    conversation_id: Uuid,
    file_id: Uuid,
    client_msg_id: Uuid,
    internal: bool,
) -> Result<Message, ApiError> {
    use switchboard_domain::Visibility;
    crate::error::respond(
        async {
            let agent = crate::auth::ssr::require_access(
                conversation_id,
                switchboard_domain::access::Access::Act,
            )
            .await?;
            let state = crate::state::AppState::from_context()?;
            let visibility = if internal {
                Visibility::Internal
            } else {
                Visibility::Public
            };
            let message = state
                .engine
                .share_file(
                    conversation_id,
                    file_id,
                    switchboard_engine::files::Sharer::Agent(agent_ref(&agent)),
                    visibility,
                    client_msg_id,
                )
                .await?
                .message()
                .clone();
            state
                .engine
                .mark_read(conversation_id, agent.id, message.seq)
                .await?;
            Ok(message)
        }
        .await,
    )
}

/// Invites the visitor of a web chat to move it to `to` (SMS): their widget opens the phone
/// request, and the switch follows as if they had clicked "Switch to SMS".
#[server(endpoint = "inbox/ask-switch", input = Json, output = Json)]
pub async fn ask_to_switch(
    conversation_id: Uuid,
    to: switchboard_domain::Channel,
) -> Result<(), ApiError> {
    crate::error::respond(
        async {
            let agent = crate::auth::ssr::require_access(
                conversation_id,
                switchboard_domain::access::Access::Act,
            )
            .await?;
            let state = crate::state::AppState::from_context()?;
            state
                .engine
                .ask_to_switch(conversation_id, agent_ref(&agent), to)
                .await?;
            Ok(())
        }
        .await,
    )
}

/// The ways the conversation's contact is known, the one replies go on marked.
#[server(endpoint = "inbox/contact-channels", input = Json, output = Json)]
pub async fn contact_channels(
    conversation_id: Uuid,
) -> Result<Vec<switchboard_wire::inbox::ContactChannel>, ApiError> {
    crate::error::respond(
        async {
            crate::auth::ssr::require_access(
                conversation_id,
                switchboard_domain::access::Access::Read,
            )
            .await?;
            let state = crate::state::AppState::from_context()?;
            Ok(state.engine.contact_channels(conversation_id).await?)
        }
        .await,
    )
}

/// Replies go on `to` from now on: another way the contact is known.
#[server(endpoint = "inbox/reply-channel", input = Json, output = Json)]
pub async fn choose_reply_channel(
    conversation_id: Uuid,
    to: switchboard_domain::Channel,
) -> Result<(), ApiError> {
    crate::error::respond(
        async {
            let agent = crate::auth::ssr::require_access(
                conversation_id,
                switchboard_domain::access::Access::Act,
            )
            .await?;
            let state = crate::state::AppState::from_context()?;
            state
                .engine
                .choose_reply_channel(conversation_id, agent_ref(&agent), to)
                .await?;
            Ok(())
        }
        .await,
    )
}

/// Reconnects an ended chat or a lead by SMS at the contact's number: it reopens assigned to
/// the agent once the text goes out; if it cannot, the thread says why.
#[server(endpoint = "inbox/reconnect", input = Json, output = Json)]
pub async fn reconnect(
    conversation_id: Uuid,
    to: switchboard_domain::Channel,
) -> Result<(), ApiError> {
    crate::error::respond(
        async {
            let agent = crate::auth::ssr::require_access(
                conversation_id,
                switchboard_domain::access::Access::Read,
            )
            .await?;
            let state = crate::state::AppState::from_context()?;
            state
                .engine
                .reconnect(conversation_id, agent_ref(&agent), to)
                .await?;
            Ok(())
        }
        .await,
    )
}

/// Deletes a contact's comment from its post (an abusive or sensitive one); agents see a note
/// at once and the comment marked deleted once the provider confirms.
#[server(endpoint = "inbox/delete-comment", input = Json, output = Json)]
pub async fn delete_comment(conversation_id: Uuid, message_id: Uuid) -> Result<(), ApiError> {
    crate::error::respond(
        async {
            let agent = crate::auth::ssr::require_access(
                conversation_id,
                switchboard_domain::access::Access::Act,
            )
            .await?;
            let state = crate::state::AppState::from_context()?;
            state
                .engine
                .remove_comment(conversation_id, agent_ref(&agent), message_id)
                .await?;
            Ok(())
        }
        .await,
    )
}

/// What the composer needs about the conversation's channel: the reply window and templates.
#[server(endpoint = "inbox/channel-status", input = Json, output = Json)]
pub async fn channel_status(
    conversation_id: Uuid,
) -> Result<switchboard_wire::inbox::ChannelStatus, ApiError> {
    crate::error::respond(
        async {
            crate::auth::ssr::require_access(
                conversation_id,
                switchboard_domain::access::Access::Read,
            )
            .await?;
            let state = crate::state::AppState::from_context()?;
            Ok(state.engine.channel_status(conversation_id).await?)
        }
        .await,
    )
}

/// Sends one of the account's approved templates (WhatsApp, also outside the reply window).
/// Retrying with the same `client_msg_id` stores it once.
#[server(endpoint = "inbox/send-template", input = Json, output = Json)]
pub async fn send_template(
    conversation_id: Uuid,
    client_msg_id: Uuid,
    name: String,
    language: String,
    parameters: Vec<String>,
) -> Result<Message, ApiError> {
    crate::error::respond(
        async {
            let agent = crate::auth::ssr::require_access(
                conversation_id,
                switchboard_domain::access::Access::Act,
            )
            .await?;
            let state = crate::state::AppState::from_context()?;
            let message = state
                .engine
                .send_template(
                    conversation_id,
                    agent_ref(&agent),
                    &name,
                    &language,
                    parameters,
                    client_msg_id,
                )
                .await?
                .message()
                .clone();
            state
                .engine
                .mark_read(conversation_id, agent.id, message.seq)
                .await?;
            Ok(message)
        }
        .await,
    )
}

/// Answers the contact's latest comment in a comment conversation: publicly under it, or
/// with `private`, by a direct message to its author (once per comment). Retrying with the
/// same `client_msg_id` stores it once.
#[server(endpoint = "inbox/answer-comment", input = Json, output = Json)]
pub async fn answer_comment(
    conversation_id: Uuid,
    client_msg_id: Uuid,
    body: String,
    private: bool,
) -> Result<Message, ApiError> {
    crate::error::respond(
        async {
            let agent = crate::auth::ssr::require_access(
                conversation_id,
                switchboard_domain::access::Access::Act,
            )
            .await?;
            let state = crate::state::AppState::from_context()?;
            let body = switchboard_domain::MessageBody::parse(&body)?;
            let message = state
                .engine
                .answer_comment(
                    conversation_id,
                    agent_ref(&agent),
                    body,
                    private,
                    client_msg_id,
                )
                .await?
                .message()
                .clone();
            state
                .engine
                .mark_read(conversation_id, agent.id, message.seq)
                .await?;
            Ok(message)
        }
        .await,
    )
}

#[server(endpoint = "inbox/close", input = Json, output = Json)]
pub async fn close_conversation(conversation_id: Uuid) -> Result<ConversationSummary, ApiError> {
    use switchboard_domain::conversation::Command;
    crate::error::respond(
        async {
            let agent = crate::auth::ssr::require_access(
                conversation_id,
                switchboard_domain::access::Access::Act,
            )
            .await?;
            let state = crate::state::AppState::from_context()?;
            state
                .engine
                .execute(
                    conversation_id,
                    Command::Close {
                        agent: agent_ref(&agent),
                    },
                )
                .await?;
            Ok(state.engine.summary(conversation_id).await?)
        }
        .await,
    )
}

#[server(endpoint = "inbox/read", input = Json, output = Json)]
pub async fn mark_read(conversation_id: Uuid, seq: u64) -> Result<(), ApiError> {
    crate::error::respond(
        async {
            let agent = crate::auth::ssr::require_access(
                conversation_id,
                switchboard_domain::access::Access::Read,
            )
            .await?;
            let state = crate::state::AppState::from_context()?;
            Ok(state
                .engine
                .mark_read(conversation_id, agent.id, seq)
                .await?)
        }
        .await,
    )
}
