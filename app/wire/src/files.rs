//! Files sent in chats: what an upload answers, and where uploads go.

use serde::{Deserialize, Serialize};
use switchboard_domain::Attachment;
use uuid::Uuid;

/// An agent's upload: `POST` the bytes with `?conversation_id=…&name=…`.
pub const AGENT_UPLOAD_PATH: &str = "/api/files";
/// A visitor's upload, with the visitor token in [`VISITOR_TOKEN_HEADER`].
pub const VISITOR_UPLOAD_PATH: &str = "/api/visitor/files";
/// A file in the visitor's conversation: `GET` this path with the message id after it.
pub const VISITOR_MEDIA_PATH: &str = "/api/visitor/media";
/// Carries the visitor token where a URL must not (uploads, file reads).
pub const VISITOR_TOKEN_HEADER: &str = "x-switchboard-visitor";

/// A file uploaded and checked, ready to send (by its id) in a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadedFile {
    pub id: Uuid,
    pub attachment: Attachment,
}
