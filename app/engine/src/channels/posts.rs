//! The posts comment conversations are about, for the inbox's post filter.

use crate::error::Result;
use crate::store::codec;
use crate::Engine;
use sea_orm::{ConnectionTrait, FromQueryResult, Statement};
use switchboard_domain::Channel;
use switchboard_wire::inbox::PostInfo;
use uuid::Uuid;

/// Posts a filter offers at most (the most recently commented).
pub const POSTS_LISTED: u64 = 50;

#[derive(FromQueryResult)]
struct Row {
    id: Uuid,
    channel: String,
    external_id: String,
    conversations: i64,
    last_comment_at: i64,
}

impl Engine {
    /// Posts with comment conversations, most recently commented first.
    pub async fn posts(&self) -> Result<Vec<PostInfo>> {
        let db = &self.db().read;
        let sql = format!(
            "SELECT p.id AS id, p.channel AS channel, p.external_id AS external_id, \
             COUNT(c.id) AS conversations, MAX(c.last_message_at) AS last_comment_at \
             FROM posts p JOIN conversations c ON c.post_id = p.id \
             GROUP BY p.id, p.channel, p.external_id \
             ORDER BY last_comment_at DESC LIMIT {POSTS_LISTED}"
        );
        let rows = Row::find_by_statement(Statement::from_string(db.get_database_backend(), sql))
            .all(db)
            .await?;
        rows.into_iter()
            .map(|r| {
                let channel = codec::parse("posts", "channel", &r.channel, Channel::parse)?;
                Ok(PostInfo {
                    id: r.id,
                    url: post_url(channel, &r.external_id),
                    channel,
                    external_id: r.external_id,
                    conversations: r.conversations.max(0) as u64,
                    last_comment_at: r.last_comment_at,
                })
            })
            .collect()
    }
}

/// A Facebook Page post id (`{page}_{post}`) opens at facebook.com; an Instagram media id
/// makes no public link by itself.
fn post_url(channel: Channel, external_id: &str) -> Option<String> {
    let safe =
        !external_id.is_empty() && external_id.chars().all(|c| c.is_ascii_digit() || c == '_');
    (channel == Channel::PageComment && safe)
        .then(|| format!("https://www.facebook.com/{external_id}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_well_formed_facebook_post_id_makes_a_link() {
        assert_eq!(
            post_url(Channel::PageComment, "1234_5678").as_deref(),
            Some("https://www.facebook.com/1234_5678")
        );
        assert_eq!(post_url(Channel::PageComment, "12/../x"), None);
        assert_eq!(post_url(Channel::Instagram, "17890000"), None);
    }
}
