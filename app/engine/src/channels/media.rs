//! A contact's file, fetched from the provider when an agent opens it: the adapter says how
//! (credentials, and a second step where the provider first says where the file is), the
//! engine makes the calls, capped in time and size. Nothing is stored: the provider keeps the
//! file, and a link that expired (Meta's CDN, WhatsApp after 7 days) says so in plain words.

use crate::error::{EngineError, Missing, Result};
use crate::store::codec;
use crate::store::entities::{conversation_link, message};
use crate::Engine;
use sea_orm::EntityTrait;
use std::time::Duration;
use switchboard_channels::media::{Follow, MAX_MEDIA_BYTES};
use switchboard_channels::{HttpRequest, MediaSource};
use switchboard_domain::{Attachment, Channel};
use uuid::Uuid;

/// One call for a file may take this long.
const MEDIA_TIMEOUT: Duration = Duration::from_secs(20);

/// A file as the provider gave it.
#[derive(Debug)]
pub struct Media {
    pub attachment: Attachment,
    /// As the provider labelled it (the caller decides what a browser may render).
    pub content_type: Option<String>,
    pub bytes: Vec<u8>,
}

impl Engine {
    /// The conversation a message is in (who may see its file is the caller's rule).
    pub async fn message_conversation(&self, message_id: Uuid) -> Result<Uuid> {
        Ok(message::Entity::find_by_id(message_id)
            .one(&self.db().read)
            .await?
            .ok_or(EngineError::NotFound(Missing::Message))?
            .conversation_id)
    }

    /// The conversation a message is in, and whether it is public (what a visitor may see).
    pub async fn message_visibility(&self, message_id: Uuid) -> Result<(Uuid, bool)> {
        let row = message::Entity::find_by_id(message_id)
            .one(&self.db().read)
            .await?
            .ok_or(EngineError::NotFound(Missing::Message))?;
        Ok((
            row.conversation_id,
            row.visibility == switchboard_domain::Visibility::Public.as_str(),
        ))
    }

    /// A message's file: from our store, or fetched from the provider that holds it.
    pub async fn media(&self, message_id: Uuid) -> Result<Media> {
        // A file uploaded here (an agent's or a web visitor's) is in our own store.
        if let Some(file) = self.stored_file(message_id).await? {
            return Ok(Media {
                content_type: file.attachment.mime.clone(),
                attachment: file.attachment,
                bytes: file.bytes.to_vec(),
            });
        }
        let row = message::Entity::find_by_id(message_id)
            .one(&self.db().read)
            .await?
            .ok_or(EngineError::NotFound(Missing::Message))?;
        let (Some(attachment), Some(source)) = (row.attachment.as_deref(), row.media_source) else {
            return Err(EngineError::NotFound(Missing::Message));
        };
        let attachment: Attachment = serde_json::from_str(attachment)
            .map_err(|e| EngineError::Corrupt(format!("messages.attachment {message_id}: {e}")))?;
        let source: MediaSource = serde_json::from_str(&source).map_err(|e| {
            EngineError::Corrupt(format!("messages.media_source {message_id}: {e}"))
        })?;
        let channel = codec::parse("messages", "channel", &row.channel, Channel::parse)?;
        let link = conversation_link::Entity::find_by_id((
            row.conversation_id,
            channel.as_str().to_string(),
        ))
        .one(&self.db().read)
        .await?
        .ok_or_else(|| {
            EngineError::Provider(format!(
                "This conversation has no {} account to fetch the file from.",
                channel.label()
            ))
        })?;
        let connected = self
            .channels()
            .find(channel, &link.account)
            .ok_or_else(|| {
                EngineError::Provider(format!(
                    "The {} account {} is not connected any more.",
                    channel.label(),
                    link.account
                ))
            })?;
        let provider = channel.label();
        let first = connected
            .adapter
            .media_request(&source, &connected.account)
            .ok_or_else(|| {
                EngineError::Provider(format!("{provider} gave no way to fetch this file."))
            })?;
        let (content_type, bytes) = self.fetch(&first, provider).await?;
        let (content_type, bytes) = match connected.adapter.media_follow(&bytes, &connected.account)
        {
            Follow::File => (content_type, bytes),
            Follow::Then(next) => self.fetch(&next, provider).await?,
            Follow::Fail(reason) => return Err(EngineError::Provider(reason)),
        };
        Ok(Media {
            attachment,
            content_type,
            bytes,
        })
    }

    /// One GET, its body read up to the cap.
    async fn fetch(
        &self,
        request: &HttpRequest,
        provider: &str,
    ) -> Result<(Option<String>, Vec<u8>)> {
        let unreachable = |e: reqwest::Error| {
            tracing::warn!(error = %e, "fetching a file failed");
            EngineError::Provider(format!("{provider} could not be reached for the file."))
        };
        let mut response = self
            .send(request, MEDIA_TIMEOUT)
            .await
            .map_err(unreachable)?;
        let status = response.status();
        if !status.is_success() {
            return Err(EngineError::Provider(match status.as_u16() {
                401 | 403 | 404 | 410 => format!(
                    "{provider} no longer has this file (it answered {}); links to files expire.",
                    status.as_u16()
                ),
                s => format!("{provider} did not give the file (it answered {s})."),
            }));
        }
        if response.content_length().unwrap_or(0) > MAX_MEDIA_BYTES {
            return Err(too_big(provider));
        }
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(unreachable)? {
            if (bytes.len() + chunk.len()) as u64 > MAX_MEDIA_BYTES {
                return Err(too_big(provider));
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok((content_type, bytes))
    }
}

fn too_big(provider: &str) -> EngineError {
    EngineError::Provider(format!(
        "The file is larger than {} MB; open it in {provider}.",
        MAX_MEDIA_BYTES / 1024 / 1024
    ))
}
