//! Canned responses in the engine: the team's shared library, which admins keep, and each
//! agent's personal responses, which nobody else sees (another agent's personal response does
//! not exist for you, admins included). Using one fills its placeholders on the server, with
//! the conversation's contact and the agent using it.

use crate::error::{EngineError, Missing, Result, Rule};
use crate::store::entities::canned_response as row;
use crate::store::is_unique_violation;
use crate::Engine;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder,
};
use switchboard_domain::canned::{CannedDraft, CannedError, CannedResponse};
use uuid::Uuid;

/// The most responses one library may hold (a long list helps nobody).
pub const LIBRARY_MAX: u64 = 500;

/// Who changes a response: their id, and whether they may keep the shared library.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Editor {
    pub id: Uuid,
    pub admin: bool,
}

/// Which library a new response goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Library {
    Shared,
    Personal,
}

fn response_of(r: row::Model) -> CannedResponse {
    CannedResponse {
        id: r.id,
        title: r.title,
        shortcut: r.shortcut,
        text: r.body,
        owner: (!r.owner_key.is_nil()).then_some(r.owner_key),
        updated_at: r.updated_at,
    }
}

impl Engine {
    /// The responses an agent may use: the shared ones and their own.
    pub async fn canned_for(&self, agent: Uuid) -> Result<Vec<CannedResponse>> {
        let rows = row::Entity::find()
            .filter(
                Condition::any()
                    .add(row::Column::OwnerKey.eq(Uuid::nil()))
                    .add(row::Column::OwnerKey.eq(agent)),
            )
            .order_by_asc(row::Column::Shortcut)
            .all(&self.db().read)
            .await?;
        Ok(rows.into_iter().map(response_of).collect())
    }

    /// One response the agent may use (or change): shared, or theirs.
    async fn canned_row(&self, agent: Uuid, id: Uuid) -> Result<row::Model> {
        row::Entity::find_by_id(id)
            .one(&self.db().read)
            .await?
            .filter(|r| r.owner_key.is_nil() || r.owner_key == agent)
            .ok_or(EngineError::NotFound(Missing::Canned))
    }

    /// Creates a response (`id` none) or changes one. Shared ones are the admins' to keep.
    pub async fn save_canned(
        &self,
        by: Editor,
        id: Option<Uuid>,
        library: Library,
        draft: CannedDraft,
    ) -> Result<CannedResponse> {
        let now = crate::now();
        let owner_key = match id {
            Some(id) => self.canned_row(by.id, id).await?.owner_key,
            None if library == Library::Shared => Uuid::nil(),
            None => by.id,
        };
        if owner_key.is_nil() && !by.admin {
            return Err(EngineError::Forbidden);
        }
        // A personal shortcut may not hide a shared one: `/refund` means one thing.
        if !owner_key.is_nil() {
            let shared = row::Entity::find()
                .filter(row::Column::OwnerKey.eq(Uuid::nil()))
                .filter(row::Column::Shortcut.eq(draft.shortcut.as_str()))
                .one(&self.db().read)
                .await?;
            if shared.is_some() {
                return Err(Rule::Canned(CannedError::ShortcutTaken(draft.shortcut)).into());
            }
        }
        if id.is_none() {
            let held = row::Entity::find()
                .filter(row::Column::OwnerKey.eq(owner_key))
                .count(&self.db().read)
                .await?;
            if held >= LIBRARY_MAX {
                return Err(Rule::CannedLibraryFull(LIBRARY_MAX).into());
            }
        }
        let model = row::ActiveModel {
            id: Set(id.unwrap_or_else(Uuid::now_v7)),
            owner_key: Set(owner_key),
            title: Set(draft.title.clone()),
            shortcut: Set(draft.shortcut.clone()),
            body: Set(draft.text.clone()),
            created_at: if id.is_some() {
                sea_orm::ActiveValue::NotSet
            } else {
                Set(now)
            },
            updated_at: Set(now),
        };
        let written = match id {
            Some(_) => model.update(&self.db().write).await,
            None => model.insert(&self.db().write).await,
        };
        match written {
            Ok(r) => Ok(response_of(r)),
            Err(e) if is_unique_violation(&e) => {
                Err(Rule::Canned(CannedError::ShortcutTaken(draft.shortcut)).into())
            }
            Err(e) => Err(e.into()),
        }
    }

    pub async fn delete_canned(&self, by: Editor, id: Uuid) -> Result<()> {
        let r = self.canned_row(by.id, id).await?;
        if r.owner_key.is_nil() && !by.admin {
            return Err(EngineError::Forbidden);
        }
        row::Entity::delete_by_id(id).exec(&self.db().write).await?;
        Ok(())
    }

    /// A response's text for this conversation, placeholders filled: the contact's first
    /// name and the agent's name.
    pub async fn canned_text(
        &self,
        agent: &switchboard_domain::conversation::AgentRef,
        id: Uuid,
        conversation_id: Uuid,
    ) -> Result<String> {
        let response = response_of(self.canned_row(agent.id, id).await?);
        let summary = self.summary(conversation_id).await?;
        Ok(response.fill(&summary.contact_name, &agent.name))
    }
}
