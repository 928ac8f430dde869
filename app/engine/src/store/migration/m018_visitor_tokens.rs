//! Visitor tokens that can be revoked, and start retries tied to the widget that began the
//! chat. On a visitor's web identity: `start_key`, the hash of the server-issued nonce the
//! widget started with (a retried start must bring the same nonce), and `revoked_before`:
//! tokens issued before it no longer work (an agent signed the visitor out); and
//! `started_from`, a keyed hash of the client address that started the chat (never the
//! address itself), which bounds how many open chats one address may hold.

use sea_orm_migration::prelude::*;

pub struct VisitorTokens;

impl MigrationName for VisitorTokens {
    fn name(&self) -> &str {
        "m018_visitor_tokens"
    }
}

#[derive(DeriveIden)]
enum ChannelIdentities {
    Table,
    StartKey,
    RevokedBefore,
    StartedFrom,
}

#[async_trait::async_trait]
impl MigrationTrait for VisitorTokens {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per statement.
        for column in [
            ColumnDef::new(ChannelIdentities::StartKey)
                .string()
                .null()
                .to_owned(),
            ColumnDef::new(ChannelIdentities::RevokedBefore)
                .big_integer()
                .null()
                .to_owned(),
            ColumnDef::new(ChannelIdentities::StartedFrom)
                .string()
                .null()
                .to_owned(),
        ] {
            m.alter_table(
                Table::alter()
                    .table(ChannelIdentities::Table)
                    .add_column(column)
                    .to_owned(),
            )
            .await?;
        }
        m.create_index(
            Index::create()
                .name("idx_channel_identities_started_from")
                .table(ChannelIdentities::Table)
                .col(ChannelIdentities::StartedFrom)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("idx_channel_identities_started_from")
                .table(ChannelIdentities::Table)
                .to_owned(),
        )
        .await?;
        for column in [
            ChannelIdentities::StartedFrom,
            ChannelIdentities::RevokedBefore,
            ChannelIdentities::StartKey,
        ] {
            m.alter_table(
                Table::alter()
                    .table(ChannelIdentities::Table)
                    .drop_column(column)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
