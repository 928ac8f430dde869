//! Answers to comments: which comment an agent's message answers and whether privately (a
//! direct message to its author, once per comment). Empty and unindexed for everything else.

use sea_orm_migration::prelude::*;

pub struct CommentReplies;

impl MigrationName for CommentReplies {
    fn name(&self) -> &str {
        "m008_comment_replies"
    }
}

#[derive(DeriveIden)]
enum Messages {
    Table,
    ReplyToComment,
    ReplyPrivate,
}

#[async_trait::async_trait]
impl MigrationTrait for CommentReplies {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Messages::Table)
                .add_column(ColumnDef::new(Messages::ReplyToComment).string().null())
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Messages::Table)
                .add_column(ColumnDef::new(Messages::ReplyPrivate).boolean().null())
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Messages::Table)
                .drop_column(Messages::ReplyPrivate)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Messages::Table)
                .drop_column(Messages::ReplyToComment)
                .to_owned(),
        )
        .await
    }
}
