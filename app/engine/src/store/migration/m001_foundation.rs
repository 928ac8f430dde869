//! The foundation: accounts, contacts and their channel identities, conversations,
//! messages with the two rules of delivery (one per seq, one per client id), read positions,
//! sessions and settings.

use sea_orm_migration::prelude::*;

pub struct Foundation;

impl MigrationName for Foundation {
    // Named when this file was `migration.rs`; the name is what databases recorded.
    fn name(&self) -> &str {
        "migration"
    }
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
    Email,
    Name,
    Role,
    PasswordHash,
    Active,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Contacts {
    Table,
    Id,
    Name,
    Email,
    Phone,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ChannelIdentities {
    Table,
    Id,
    ContactId,
    Channel,
    Address,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Conversations {
    Table,
    Id,
    ContactId,
    Status,
    ActiveChannel,
    AssigneeId,
    LastSeq,
    Preview,
    LastSender,
    LastMessageAt,
    CreatedAt,
    UpdatedAt,
    ClosedAt,
}

#[derive(DeriveIden)]
enum Messages {
    Table,
    Id,
    ConversationId,
    Seq,
    SenderKind,
    SenderId,
    SenderName,
    Body,
    Visibility,
    Channel,
    ClientMsgId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ConversationReads {
    Table,
    ConversationId,
    AccountId,
    ReadSeq,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
    Data,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum Settings {
    Table,
    Key,
    Value,
}

fn uuid_pk<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col)
        .uuid()
        .not_null()
        .primary_key()
        .to_owned()
}

fn millis<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col).big_integer().not_null().to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Foundation {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Accounts::Table)
                .col(uuid_pk(Accounts::Id))
                .col(
                    ColumnDef::new(Accounts::Email)
                        .string()
                        .not_null()
                        .unique_key(),
                )
                .col(ColumnDef::new(Accounts::Name).string().not_null())
                .col(ColumnDef::new(Accounts::Role).string().not_null())
                .col(ColumnDef::new(Accounts::PasswordHash).string().not_null())
                .col(
                    ColumnDef::new(Accounts::Active)
                        .boolean()
                        .not_null()
                        .default(true),
                )
                .col(millis(Accounts::CreatedAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Contacts::Table)
                .col(uuid_pk(Contacts::Id))
                .col(ColumnDef::new(Contacts::Name).string().not_null())
                .col(ColumnDef::new(Contacts::Email).string().null())
                .col(ColumnDef::new(Contacts::Phone).string().null())
                .col(millis(Contacts::CreatedAt))
                .to_owned(),
        )
        .await?;
        for (name, col) in [
            ("idx_contacts_email", Contacts::Email),
            ("idx_contacts_phone", Contacts::Phone),
        ] {
            m.create_index(
                Index::create()
                    .name(name)
                    .table(Contacts::Table)
                    .col(col)
                    .to_owned(),
            )
            .await?;
        }

        m.create_table(
            Table::create()
                .table(ChannelIdentities::Table)
                .col(uuid_pk(ChannelIdentities::Id))
                .col(
                    ColumnDef::new(ChannelIdentities::ContactId)
                        .uuid()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(ChannelIdentities::Channel)
                        .string()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(ChannelIdentities::Address)
                        .string()
                        .not_null(),
                )
                .col(millis(ChannelIdentities::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(ChannelIdentities::Table, ChannelIdentities::ContactId)
                        .to(Contacts::Table, Contacts::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_channel_identities_address")
                .table(ChannelIdentities::Table)
                .col(ChannelIdentities::Channel)
                .col(ChannelIdentities::Address)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Conversations::Table)
                .col(uuid_pk(Conversations::Id))
                .col(ColumnDef::new(Conversations::ContactId).uuid().not_null())
                .col(ColumnDef::new(Conversations::Status).string().not_null())
                .col(
                    ColumnDef::new(Conversations::ActiveChannel)
                        .string()
                        .not_null(),
                )
                .col(ColumnDef::new(Conversations::AssigneeId).uuid().null())
                .col(
                    ColumnDef::new(Conversations::LastSeq)
                        .big_integer()
                        .not_null()
                        .default(0),
                )
                .col(
                    ColumnDef::new(Conversations::Preview)
                        .string()
                        .not_null()
                        .default(""),
                )
                .col(ColumnDef::new(Conversations::LastSender).string().null())
                .col(millis(Conversations::LastMessageAt))
                .col(millis(Conversations::CreatedAt))
                .col(millis(Conversations::UpdatedAt))
                .col(ColumnDef::new(Conversations::ClosedAt).big_integer().null())
                .foreign_key(
                    ForeignKey::create()
                        .from(Conversations::Table, Conversations::ContactId)
                        .to(Contacts::Table, Contacts::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Conversations::Table, Conversations::AssigneeId)
                        .to(Accounts::Table, Accounts::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_conversations_status_recent")
                .table(Conversations::Table)
                .col(Conversations::Status)
                .col(Conversations::LastMessageAt)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_conversations_contact")
                .table(Conversations::Table)
                .col(Conversations::ContactId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Messages::Table)
                .col(uuid_pk(Messages::Id))
                .col(ColumnDef::new(Messages::ConversationId).uuid().not_null())
                .col(ColumnDef::new(Messages::Seq).big_integer().not_null())
                .col(ColumnDef::new(Messages::SenderKind).string().not_null())
                .col(ColumnDef::new(Messages::SenderId).uuid().null())
                .col(ColumnDef::new(Messages::SenderName).string().not_null())
                .col(ColumnDef::new(Messages::Body).text().not_null())
                .col(ColumnDef::new(Messages::Visibility).string().not_null())
                .col(ColumnDef::new(Messages::Channel).string().not_null())
                .col(ColumnDef::new(Messages::ClientMsgId).uuid().null())
                .col(millis(Messages::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Messages::Table, Messages::ConversationId)
                        .to(Conversations::Table, Conversations::Id),
                )
                .to_owned(),
        )
        .await?;
        // The two rules of delivery, enforced by the database itself: one message per seq,
        // and one message per client id (a retried send cannot be stored twice).
        m.create_index(
            Index::create()
                .name("uq_messages_seq")
                .table(Messages::Table)
                .col(Messages::ConversationId)
                .col(Messages::Seq)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_messages_client_msg_id")
                .table(Messages::Table)
                .col(Messages::ConversationId)
                .col(Messages::ClientMsgId)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_messages_client_msg_id")
                .table(Messages::Table)
                .col(Messages::ClientMsgId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ConversationReads::Table)
                .col(
                    ColumnDef::new(ConversationReads::ConversationId)
                        .uuid()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(ConversationReads::AccountId)
                        .uuid()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(ConversationReads::ReadSeq)
                        .big_integer()
                        .not_null(),
                )
                .primary_key(
                    Index::create()
                        .col(ConversationReads::ConversationId)
                        .col(ConversationReads::AccountId),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Sessions::Table)
                .col(
                    ColumnDef::new(Sessions::Id)
                        .string()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(Sessions::Data).text().not_null())
                .col(millis(Sessions::ExpiresAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Settings::Table)
                .col(
                    ColumnDef::new(Settings::Key)
                        .string()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(Settings::Value).text().not_null())
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            Settings::Table.into_iden(),
            Sessions::Table.into_iden(),
            ConversationReads::Table.into_iden(),
            Messages::Table.into_iden(),
            Conversations::Table.into_iden(),
            ChannelIdentities::Table.into_iden(),
            Contacts::Table.into_iden(),
            Accounts::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
