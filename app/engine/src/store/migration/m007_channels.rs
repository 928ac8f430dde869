//! Provider channels (SMS, WhatsApp, Messenger, Page comments, Instagram, Telegram):
//! - `channel_accounts`: each connected account (a Twilio number, a WhatsApp phone number id,
//!   a Page, an Instagram account, a Telegram bot) — which of our addresses a conversation
//!   runs on, with its settings;
//! - `inbound_events`: every webhook event, stored once by the provider's event id and
//!   processed from here (the webhook is acknowledged as soon as it is stored);
//! - `conversation_links`: per conversation and channel, our account and the contact's address
//!   on it (and the post a comment thread is about), with the contact's last inbound time
//!   for reply windows;
//! - `provider_messages`: a provider's message id to our message (status callbacks, replies);
//! - `messages` gain the delivery state, the provider's id and the address used; the columns
//!   stay empty and unindexed for web chat, so its write path touches no new page;
//! - `outbox` rows can name a message (`deliver` jobs).

use sea_orm_migration::prelude::*;

pub struct Channels;

impl MigrationName for Channels {
    fn name(&self) -> &str {
        "m007_channels"
    }
}

#[derive(DeriveIden)]
enum ChannelAccounts {
    Table,
    Id,
    Channel,
    Adapter,
    Address,
    Name,
    Settings,
    Source,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum InboundEvents {
    Table,
    Id,
    DedupeKey,
    Channel,
    Account,
    Payload,
    ReceivedAt,
    ProcessedAt,
    Attempts,
    LastError,
}

#[derive(DeriveIden)]
enum ConversationLinks {
    Table,
    ConversationId,
    Channel,
    Account,
    ContactAddress,
    Thread,
    LastInboundAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ProviderMessages {
    Table,
    Channel,
    ProviderMessageId,
    MessageId,
    ConversationId,
}

#[derive(DeriveIden)]
enum Messages {
    Table,
    DeliveryStatus,
    DeliveryReason,
    ProviderMessageId,
    Address,
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    MessageId,
}

#[async_trait::async_trait]
impl MigrationTrait for Channels {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(ChannelAccounts::Table)
                .col(
                    ColumnDef::new(ChannelAccounts::Id)
                        .uuid()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(ChannelAccounts::Channel).string().not_null())
                .col(ColumnDef::new(ChannelAccounts::Adapter).string().not_null())
                .col(ColumnDef::new(ChannelAccounts::Address).string().not_null())
                .col(ColumnDef::new(ChannelAccounts::Name).string().not_null())
                .col(ColumnDef::new(ChannelAccounts::Settings).text().not_null())
                .col(ColumnDef::new(ChannelAccounts::Source).string().not_null())
                .col(
                    ColumnDef::new(ChannelAccounts::CreatedAt)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(ChannelAccounts::UpdatedAt)
                        .big_integer()
                        .not_null(),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_channel_accounts_address")
                .table(ChannelAccounts::Table)
                .col(ChannelAccounts::Channel)
                .col(ChannelAccounts::Address)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(InboundEvents::Table)
                .col(
                    ColumnDef::new(InboundEvents::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(InboundEvents::DedupeKey)
                        .string()
                        .not_null()
                        .unique_key(),
                )
                .col(ColumnDef::new(InboundEvents::Channel).string().not_null())
                .col(ColumnDef::new(InboundEvents::Account).string().not_null())
                .col(ColumnDef::new(InboundEvents::Payload).text().not_null())
                .col(
                    ColumnDef::new(InboundEvents::ReceivedAt)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(InboundEvents::ProcessedAt)
                        .big_integer()
                        .null(),
                )
                .col(
                    ColumnDef::new(InboundEvents::Attempts)
                        .big_integer()
                        .not_null()
                        .default(0),
                )
                .col(ColumnDef::new(InboundEvents::LastError).text().null())
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_inbound_events_pending")
                .table(InboundEvents::Table)
                .col(InboundEvents::ProcessedAt)
                .col(InboundEvents::Id)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ConversationLinks::Table)
                .col(
                    ColumnDef::new(ConversationLinks::ConversationId)
                        .uuid()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(ConversationLinks::Channel)
                        .string()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(ConversationLinks::Account)
                        .string()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(ConversationLinks::ContactAddress)
                        .string()
                        .not_null(),
                )
                .col(ColumnDef::new(ConversationLinks::Thread).string().null())
                .col(
                    ColumnDef::new(ConversationLinks::LastInboundAt)
                        .big_integer()
                        .null(),
                )
                .col(
                    ColumnDef::new(ConversationLinks::CreatedAt)
                        .big_integer()
                        .not_null(),
                )
                .primary_key(
                    Index::create()
                        .col(ConversationLinks::ConversationId)
                        .col(ConversationLinks::Channel),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_conversation_links_contact")
                .table(ConversationLinks::Table)
                .col(ConversationLinks::Channel)
                .col(ConversationLinks::Account)
                .col(ConversationLinks::ContactAddress)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ProviderMessages::Table)
                .col(
                    ColumnDef::new(ProviderMessages::Channel)
                        .string()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(ProviderMessages::ProviderMessageId)
                        .string()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(ProviderMessages::MessageId)
                        .uuid()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(ProviderMessages::ConversationId)
                        .uuid()
                        .not_null(),
                )
                .primary_key(
                    Index::create()
                        .col(ProviderMessages::Channel)
                        .col(ProviderMessages::ProviderMessageId),
                )
                .to_owned(),
        )
        .await?;

        for col in [
            Messages::DeliveryStatus,
            Messages::DeliveryReason,
            Messages::ProviderMessageId,
            Messages::Address,
        ] {
            let def = match col {
                Messages::DeliveryReason => ColumnDef::new(col).text().null().to_owned(),
                _ => ColumnDef::new(col).string().null().to_owned(),
            };
            m.alter_table(
                Table::alter()
                    .table(Messages::Table)
                    .add_column(def)
                    .to_owned(),
            )
            .await?;
        }
        m.alter_table(
            Table::alter()
                .table(Outbox::Table)
                .add_column(ColumnDef::new(Outbox::MessageId).uuid().null())
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Outbox::Table)
                .drop_column(Outbox::MessageId)
                .to_owned(),
        )
        .await?;
        for col in [
            Messages::DeliveryStatus,
            Messages::DeliveryReason,
            Messages::ProviderMessageId,
            Messages::Address,
        ] {
            m.alter_table(
                Table::alter()
                    .table(Messages::Table)
                    .drop_column(col)
                    .to_owned(),
            )
            .await?;
        }
        m.drop_table(Table::drop().table(ProviderMessages::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(ConversationLinks::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(InboundEvents::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(ChannelAccounts::Table).to_owned())
            .await
    }
}
