//! Files agents and visitors send. An upload is checked against the admin's rules (extension,
//! size, and content matching the extension by its magic bytes) before anything is kept; the
//! bytes go to the file store (a local folder outside the web root, or an S3-compatible bucket
//! several nodes share) under a generated name, and a row says what the file is and whose
//! conversation it belongs to. Sending it is one transaction: the message naming it, and the
//! file bound to that message. Providers fetch an agent's file by a signed, expiring URL.

use crate::conversations::contacts::ContactRef;
use crate::conversations::write::{retrying, Appended, Tx};
use crate::error::{EngineError, Missing, Result, Rule};
use crate::store::entities::{file, message};
use crate::Engine;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use object_store::path::Path as StorePath;
use object_store::ObjectStore;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use sha2::Sha256;
use std::sync::Arc;
use switchboard_domain::conversation::{decide, AgentRef, Command, Event};
use switchboard_domain::files::{extension, signatures_for, Content};
use switchboard_domain::{Attachment, MediaKind, Visibility};
use switchboard_wire::files::UploadedFile;
use uuid::Uuid;

/// How long a provider may fetch an agent's file by its signed URL.
pub const URL_LIFETIME_MS: i64 = 7 * 24 * 3600 * 1000;
/// The `settings` row keeping the key that signs file URLs.
const URL_KEY: &str = "file_url_key";

/// Where file bytes are kept.
#[derive(Clone)]
pub struct FileStore {
    store: Arc<dyn ObjectStore>,
    /// Where, for the log.
    pub location: String,
}

impl FileStore {
    /// `s3://bucket/prefix` (credentials, region and endpoint from the usual `AWS_*`
    /// variables), or a local folder (created if missing).
    pub fn open(location: &str) -> Result<Self> {
        let store: Arc<dyn ObjectStore> = if location.starts_with("s3://") {
            Arc::new(
                object_store::aws::AmazonS3Builder::from_env()
                    .with_url(location)
                    .build()
                    .map_err(|e| EngineError::Config(format!("file store {location}: {e}")))?,
            )
        } else {
            std::fs::create_dir_all(location).map_err(|e| {
                EngineError::Config(format!("cannot create the file folder {location}: {e}"))
            })?;
            Arc::new(
                object_store::local::LocalFileSystem::new_with_prefix(location)
                    .map_err(|e| EngineError::Config(format!("file store {location}: {e}")))?,
            )
        };
        Ok(Self {
            store,
            location: location.to_string(),
        })
    }

    /// An in-memory store (engine tests).
    pub fn in_memory() -> Self {
        Self {
            store: Arc::new(object_store::memory::InMemory::new()),
            location: "memory".into(),
        }
    }

    async fn put(&self, key: &str, bytes: bytes::Bytes) -> Result<()> {
        self.store
            .put(&StorePath::from(key), bytes.into())
            .await
            .map_err(|e| EngineError::Internal(format!("file store: {e}")))?;
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<bytes::Bytes> {
        let got = self
            .store
            .get(&StorePath::from(key))
            .await
            .map_err(|e| match e {
                object_store::Error::NotFound { .. } => EngineError::Corrupt(format!(
                    "file {key} is recorded but missing from the store"
                )),
                e => EngineError::Internal(format!("file store: {e}")),
            })?;
        got.bytes()
            .await
            .map_err(|e| EngineError::Internal(format!("file store: {e}")))
    }

    async fn delete(&self, key: &str) {
        if let Err(e) = self.store.delete(&StorePath::from(key)).await {
            tracing::warn!(error = %e, key, "could not delete a file nobody will use");
        }
    }
}

/// What a file's content is, by its magic bytes: the signatures its name's extension calls for
/// are looked for first (a .docx is a zip too).
pub fn sniff(filename: &str, bytes: &[u8]) -> Content {
    if let Some(ext) = extension(filename) {
        for sig in signatures_for(&ext) {
            if infer::is(bytes, sig) {
                return Content::Typed {
                    extension: sig.to_string(),
                };
            }
        }
    }
    match infer::get(bytes) {
        Some(t) => Content::Typed {
            extension: t.extension().to_string(),
        },
        None if std::str::from_utf8(bytes).is_ok() => Content::Text,
        None => Content::Unknown,
    }
}

/// Who uploads or sends a file.
#[derive(Debug, Clone)]
pub enum Sharer {
    Agent(AgentRef),
    Contact(ContactRef),
}

impl Sharer {
    fn key(&self) -> String {
        match self {
            Sharer::Agent(a) => format!("agent:{}", a.id),
            Sharer::Contact(c) => format!("contact:{}", c.id),
        }
    }
}

/// A stored file with its bytes.
#[derive(Debug)]
pub struct StoredFile {
    pub attachment: Attachment,
    pub conversation_id: Uuid,
    pub bytes: bytes::Bytes,
}

fn attachment_of(row: &file::Model) -> Result<Attachment> {
    Ok(Attachment {
        kind: MediaKind::parse(&row.kind)
            .ok_or_else(|| EngineError::Corrupt(format!("files.kind {:?}", row.kind)))?,
        filename: Some(row.filename.clone()),
        mime: Some(row.mime.clone()),
        size: Some(row.size as u64),
    })
}

impl Engine {
    pub(crate) fn files(&self) -> &FileStore {
        &self.inner.files
    }

    /// Checks a file against the admin's rules and keeps it for `conversation_id`. A refused
    /// file names the rule it broke, and nothing is kept.
    pub async fn upload(
        &self,
        conversation_id: Uuid,
        by: &Sharer,
        filename: &str,
        bytes: bytes::Bytes,
    ) -> Result<UploadedFile> {
        let rules = self.settings().await?.files;
        let attachment = rules
            .check(filename, bytes.len() as u64, &sniff(filename, &bytes))
            .map_err(Rule::File)?;
        if self.state(conversation_id).await?.is_none() {
            return Err(EngineError::NotFound(Missing::Conversation));
        }
        let id = Uuid::now_v7();
        let key = format!("{}/{}", conversation_id.simple(), id.simple());
        self.files().put(&key, bytes.clone()).await?;
        let row = file::ActiveModel {
            id: Set(id),
            conversation_id: Set(conversation_id),
            uploader: Set(by.key()),
            filename: Set(attachment.filename.clone().unwrap_or_default()),
            mime: Set(attachment.mime.clone().unwrap_or_default()),
            size: Set(bytes.len() as i64),
            kind: Set(attachment.kind.as_str().into()),
            storage_key: Set(key.clone()),
            message_id: Set(None),
            created_at: Set(crate::now()),
        };
        if let Err(e) = row.insert(&self.db().write).await {
            self.files().delete(&key).await;
            return Err(e.into());
        }
        tracing::info!(conversation = %conversation_id, file = %id, size = bytes.len(), "file uploaded");
        Ok(UploadedFile { id, attachment })
    }

    /// Sends an uploaded file in its conversation: the message naming it and the file bound to
    /// it, in one transaction. Sent again with the same `client_msg_id`, the stored message
    /// comes back. Only the uploader may send a file, and only once.
    pub async fn share_file(
        &self,
        conversation_id: Uuid,
        file_id: Uuid,
        by: Sharer,
        visibility: Visibility,
        client_msg_id: Uuid,
    ) -> Result<Appended> {
        let result = retrying(|| async {
            let now = crate::now();
            let mut tx = Tx::begin(self).await?;
            let row = file::Entity::find_by_id(file_id)
                .one(&tx.txn)
                .await?
                .filter(|f| f.conversation_id == conversation_id && f.uploader == by.key())
                .ok_or(EngineError::NotFound(Missing::File))?;
            if row.message_id.is_some() {
                // Sent already: by this very request (a retry), or refused below.
                return Err(EngineError::DuplicateMessage(client_msg_id));
            }
            let attachment = attachment_of(&row)?;
            let command = match &by {
                Sharer::Agent(agent) => Command::AgentShares {
                    agent: agent.clone(),
                    attachment,
                    visibility,
                    client_msg_id: Some(client_msg_id),
                },
                Sharer::Contact(contact) => Command::ContactShares {
                    contact_id: contact.id,
                    name: contact.name.clone(),
                    attachment,
                    client_msg_id: Some(client_msg_id),
                },
            };
            let state = tx
                .load(conversation_id, crate::conversations::write::Lock::Wait)
                .await?
                .ok_or(EngineError::NotFound(Missing::Conversation))?;
            let decision = decide(&state, &command, now, &mut Uuid::now_v7)?;
            let outcome = tx.apply(&state, decision, now).await?;
            let message = outcome
                .events
                .iter()
                .find_map(|e| match e {
                    Event::MessageAppended { message } => Some(message.clone()),
                    _ => None,
                })
                .ok_or_else(|| EngineError::Internal("a share appended nothing".into()))?;
            file::ActiveModel {
                id: Set(file_id),
                message_id: Set(Some(message.id)),
                ..Default::default()
            }
            .update(&tx.txn)
            .await?;
            tx.commit().await?;
            Ok(Appended::New(message))
        })
        .await;
        match result {
            Err(EngineError::DuplicateMessage(client_msg_id)) => {
                let row = message::Entity::find()
                    .filter(message::Column::ConversationId.eq(conversation_id))
                    .filter(message::Column::ClientMsgId.eq(client_msg_id))
                    .one(&self.db().read)
                    .await?;
                let bound = file::Entity::find_by_id(file_id)
                    .one(&self.db().read)
                    .await?
                    .and_then(|f| f.message_id);
                match row {
                    Some(row) if bound == Some(row.id) => {
                        Ok(Appended::Duplicate(crate::store::codec::message_of(row)?))
                    }
                    Some(_) => Err(Rule::StartIdTaken.into()),
                    None => Err(Rule::FileSent.into()),
                }
            }
            other => other,
        }
    }

    /// The file a message carries, if it was uploaded here.
    pub async fn stored_file(&self, message_id: Uuid) -> Result<Option<StoredFile>> {
        let Some(row) = file::Entity::find()
            .filter(file::Column::MessageId.eq(message_id))
            .one(&self.db().read)
            .await?
        else {
            return Ok(None);
        };
        self.read_file(row).await.map(Some)
    }

    async fn read_file(&self, row: file::Model) -> Result<StoredFile> {
        Ok(StoredFile {
            attachment: attachment_of(&row)?,
            conversation_id: row.conversation_id,
            bytes: self.files().get(&row.storage_key).await?,
        })
    }

    /// The key that signs file URLs, made once and kept in the database (every node signs
    /// alike).
    async fn url_key(&self) -> Result<Vec<u8>> {
        let key = self
            .setting_or_init(URL_KEY, || {
                use rand::RngCore;
                let mut k = [0u8; 32];
                rand::thread_rng().fill_bytes(&mut k);
                base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(k)
            })
            .await?;
        Ok(key.into_bytes())
    }

    fn signature(key: &[u8], file_id: Uuid, expires: i64) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key");
        mac.update(format!("file:{file_id}:{expires}").as_bytes());
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    /// A URL a provider can fetch the message's file from until `now + URL_LIFETIME_MS`, under
    /// the public URL.
    pub(crate) async fn file_url(&self, message_id: Uuid, now: i64) -> Result<Option<String>> {
        let Some(row) = file::Entity::find()
            .filter(file::Column::MessageId.eq(message_id))
            .one(&self.db().read)
            .await?
        else {
            return Ok(None);
        };
        let expires = now + URL_LIFETIME_MS;
        let sig = Self::signature(&self.url_key().await?, row.id, expires);
        let base = self.channels().config.public_url.clone();
        let name: String = row
            .filename
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        Ok(Some(format!(
            "{base}/files/{}/{name}?expires={expires}&signature={sig}",
            row.id
        )))
    }

    /// The file a signed URL names, if its signature holds and it has not expired.
    pub async fn file_by_url(
        &self,
        file_id: Uuid,
        expires: i64,
        signature: &str,
        now: i64,
    ) -> Result<StoredFile> {
        let expected = Self::signature(&self.url_key().await?, file_id, expires);
        let same = expected.len() == signature.len()
            && expected
                .bytes()
                .zip(signature.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0;
        if !same || expires < now {
            return Err(EngineError::NotFound(Missing::File));
        }
        let row = file::Entity::find_by_id(file_id)
            .one(&self.db().read)
            .await?
            .filter(|f| f.message_id.is_some())
            .ok_or(EngineError::NotFound(Missing::File))?;
        self.read_file(row).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_is_told_by_its_magic_bytes() {
        let png = [
            0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D,
        ];
        assert_eq!(
            sniff("x.png", &png),
            Content::Typed {
                extension: "png".into()
            }
        );
        assert_eq!(
            sniff("x.jpg", b"%PDF-1.7\n"),
            Content::Typed {
                extension: "pdf".into()
            }
        );
        assert_eq!(sniff("notes.txt", "héllo, world".as_bytes()), Content::Text);
        assert_eq!(
            sniff("x.bin", &[0xff, 0xfe, 0x00, 0x81, 0x00]),
            Content::Unknown
        );
        let exe = [b'M', b'Z', 0x90, 0, 3, 0, 0, 0, 4, 0, 0, 0, 0xff, 0xff];
        assert_eq!(
            sniff("cat.jpg", &exe),
            Content::Typed {
                extension: "exe".into()
            }
        );
    }

    #[test]
    fn a_signature_holds_only_for_its_file_and_expiry() {
        let id = Uuid::from_u128(1);
        let sig = Engine::signature(b"key", id, 100);
        assert_eq!(sig, Engine::signature(b"key", id, 100));
        assert_ne!(sig, Engine::signature(b"key", id, 101));
        assert_ne!(sig, Engine::signature(b"key", Uuid::from_u128(2), 100));
        assert_ne!(sig, Engine::signature(b"other", id, 100));
    }
}
