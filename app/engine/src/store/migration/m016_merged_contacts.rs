//! Merged contacts: a contact merged into another keeps its row, pointing at the contact it
//! became (`merged_into`, always the last one: earlier merges are pointed on), so a visitor
//! token or an open socket that still names it finds the kept contact. A web chat remembers
//! the visitor who began it, so their widget resumes their own chat, not another of the
//! merged contact's.

use sea_orm_migration::prelude::*;

pub struct MergedContacts;

impl MigrationName for MergedContacts {
    fn name(&self) -> &str {
        "m016_merged_contacts"
    }
}

#[derive(DeriveIden)]
enum Contacts {
    Table,
    MergedInto,
}

#[derive(DeriveIden)]
enum Conversations {
    Table,
    VisitorId,
}

#[async_trait::async_trait]
impl MigrationTrait for MergedContacts {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Contacts::Table)
                .add_column(ColumnDef::new(Contacts::MergedInto).uuid().null())
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_contacts_merged_into")
                .table(Contacts::Table)
                .col(Contacts::MergedInto)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Conversations::Table)
                .add_column(ColumnDef::new(Conversations::VisitorId).uuid().null())
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_conversations_visitor")
                .table(Conversations::Table)
                .col(Conversations::VisitorId)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("idx_conversations_visitor")
                .table(Conversations::Table)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Conversations::Table)
                .drop_column(Conversations::VisitorId)
                .to_owned(),
        )
        .await?;
        m.drop_index(
            Index::drop()
                .name("idx_contacts_merged_into")
                .table(Contacts::Table)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Contacts::Table)
                .drop_column(Contacts::MergedInto)
                .to_owned(),
        )
        .await
    }
}
