//! Files on messages: what the inbox shows of one (`attachment`, the domain's JSON) and, for a
//! contact's file that stays with the provider, where to fetch it (`media_source`, the
//! adapter's JSON). Both empty and unindexed for text messages.

use sea_orm_migration::prelude::*;

pub struct Attachments;

impl MigrationName for Attachments {
    fn name(&self) -> &str {
        "m012_attachments"
    }
}

#[derive(DeriveIden)]
enum Messages {
    Table,
    Attachment,
    MediaSource,
}

#[async_trait::async_trait]
impl MigrationTrait for Attachments {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for column in [Messages::Attachment, Messages::MediaSource] {
            m.alter_table(
                Table::alter()
                    .table(Messages::Table)
                    .add_column(ColumnDef::new(column).text().null())
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for column in [Messages::Attachment, Messages::MediaSource] {
            m.alter_table(
                Table::alter()
                    .table(Messages::Table)
                    .drop_column(column)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
