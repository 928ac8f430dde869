//! The Page and Instagram posts comment conversations are about, so the inbox can filter by
//! post: one row per post and account, and each comment conversation names its post. Web chat
//! and DMs leave `post_id` empty, and the index holds only the rows that have one.

use sea_orm::{ConnectionTrait, Statement};
use sea_orm_migration::prelude::*;
use uuid::Uuid;

pub struct Posts;

impl MigrationName for Posts {
    fn name(&self) -> &str {
        "m011_posts"
    }
}

#[derive(DeriveIden)]
enum Posts_ {
    #[sea_orm(iden = "posts")]
    Table,
    Id,
    Channel,
    Account,
    ExternalId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Conversations {
    Table,
    PostId,
}

#[async_trait::async_trait]
impl MigrationTrait for Posts {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Posts_::Table)
                .col(ColumnDef::new(Posts_::Id).uuid().not_null().primary_key())
                .col(ColumnDef::new(Posts_::Channel).string().not_null())
                .col(ColumnDef::new(Posts_::Account).string().not_null())
                .col(ColumnDef::new(Posts_::ExternalId).string().not_null())
                .col(ColumnDef::new(Posts_::CreatedAt).big_integer().not_null())
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("posts_by_provider_id")
                .table(Posts_::Table)
                .col(Posts_::Channel)
                .col(Posts_::Account)
                .col(Posts_::ExternalId)
                .unique()
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Conversations::Table)
                .add_column(ColumnDef::new(Conversations::PostId).uuid().null())
                .to_owned(),
        )
        .await?;
        let db = m.get_connection();
        let backend = m.get_database_backend();
        db.execute(Statement::from_string(
            backend,
            "CREATE INDEX conversations_by_post ON conversations (post_id) WHERE post_id IS NOT NULL",
        ))
        .await?;

        // Comment conversations from before: their post from the link that started them.
        let links = db
            .query_all(Statement::from_string(
                backend,
                "SELECT conversation_id, channel, account, thread, created_at FROM conversation_links WHERE thread IS NOT NULL ORDER BY created_at",
            ))
            .await?;
        let mut known: Vec<((String, String, String), Uuid)> = vec![];
        let p = |n: usize| match backend {
            sea_orm::DbBackend::Postgres => format!("${n}"),
            _ => "?".to_string(),
        };
        for row in links {
            let conversation: Uuid = row.try_get("", "conversation_id")?;
            let channel: String = row.try_get("", "channel")?;
            let account: String = row.try_get("", "account")?;
            let thread: String = row.try_get("", "thread")?;
            let created_at: i64 = row.try_get("", "created_at")?;
            let key = (channel.clone(), account.clone(), thread.clone());
            let post = match known.iter().find(|(k, _)| *k == key) {
                Some((_, id)) => *id,
                None => {
                    let id = Uuid::now_v7();
                    db.execute(Statement::from_sql_and_values(
                        backend,
                        format!(
                            "INSERT INTO posts (id, channel, account, external_id, created_at) VALUES ({}, {}, {}, {}, {})",
                            p(1), p(2), p(3), p(4), p(5)
                        ),
                        [id.into(), channel.into(), account.into(), thread.into(), created_at.into()],
                    ))
                    .await?;
                    known.push((key, id));
                    id
                }
            };
            db.execute(Statement::from_sql_and_values(
                backend,
                format!(
                    "UPDATE conversations SET post_id = {} WHERE id = {}",
                    p(1),
                    p(2)
                ),
                [post.into(), conversation.into()],
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection()
            .execute(Statement::from_string(
                m.get_database_backend(),
                "DROP INDEX conversations_by_post",
            ))
            .await?;
        m.alter_table(
            Table::alter()
                .table(Conversations::Table)
                .drop_column(Conversations::PostId)
                .to_owned(),
        )
        .await?;
        m.drop_table(Table::drop().table(Posts_::Table).to_owned())
            .await
    }
}
