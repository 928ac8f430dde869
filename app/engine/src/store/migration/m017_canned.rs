//! Canned responses: the team's shared answers (`owner_key` nil) and each agent's personal
//! ones (`owner_key` their id). A shortcut is unique within its owner's library.

use sea_orm_migration::prelude::*;

pub struct Canned;

impl MigrationName for Canned {
    fn name(&self) -> &str {
        "m017_canned"
    }
}

#[derive(DeriveIden)]
enum CannedResponses {
    Table,
    Id,
    /// The agent it belongs to, or the nil uuid for the team's (never null, so the unique
    /// index covers shared ones too).
    OwnerKey,
    Title,
    Shortcut,
    Body,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Canned {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(CannedResponses::Table)
                .col(
                    ColumnDef::new(CannedResponses::Id)
                        .uuid()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(CannedResponses::OwnerKey).uuid().not_null())
                .col(ColumnDef::new(CannedResponses::Title).string().not_null())
                .col(
                    ColumnDef::new(CannedResponses::Shortcut)
                        .string()
                        .not_null(),
                )
                .col(ColumnDef::new(CannedResponses::Body).text().not_null())
                .col(
                    ColumnDef::new(CannedResponses::CreatedAt)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(CannedResponses::UpdatedAt)
                        .big_integer()
                        .not_null(),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_canned_shortcut")
                .table(CannedResponses::Table)
                .col(CannedResponses::OwnerKey)
                .col(CannedResponses::Shortcut)
                .unique()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(CannedResponses::Table).to_owned())
            .await
    }
}
