//! Files agents and visitors upload: the bytes live in the file store under `storage_key` (a
//! generated name); the row says what the file is, whose conversation it belongs to, who
//! uploaded it, and (once sent) the message that carries it.

use sea_orm_migration::prelude::*;

pub struct Files;

impl MigrationName for Files {
    fn name(&self) -> &str {
        "m014_files"
    }
}

#[derive(DeriveIden)]
enum Files_ {
    #[sea_orm(iden = "files")]
    Table,
    Id,
    ConversationId,
    Uploader,
    Filename,
    Mime,
    Size,
    Kind,
    StorageKey,
    MessageId,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Files {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Files_::Table)
                .col(ColumnDef::new(Files_::Id).uuid().not_null().primary_key())
                .col(ColumnDef::new(Files_::ConversationId).uuid().not_null())
                .col(ColumnDef::new(Files_::Uploader).string().not_null())
                .col(ColumnDef::new(Files_::Filename).string().not_null())
                .col(ColumnDef::new(Files_::Mime).string().not_null())
                .col(ColumnDef::new(Files_::Size).big_integer().not_null())
                .col(ColumnDef::new(Files_::Kind).string().not_null())
                .col(ColumnDef::new(Files_::StorageKey).string().not_null())
                .col(ColumnDef::new(Files_::MessageId).uuid().null())
                .col(ColumnDef::new(Files_::CreatedAt).big_integer().not_null())
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("files_message")
                .table(Files_::Table)
                .col(Files_::MessageId)
                .unique()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Files_::Table).to_owned())
            .await
    }
}
