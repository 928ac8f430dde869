//! Schema migrations, run at start-up. Written with sea-query so one definition serves
//! SQLite and PostgreSQL; each records its name in the database (keep the names).

mod m001_foundation;
mod m002_routing;
mod m003_revision;
mod m004_engine;
mod m005_wide_integers;
mod m006_lean_indexes;
mod m007_channels;
mod m008_comment_replies;
mod m009_templates;
mod m010_removed_comments;
mod m011_posts;
mod m012_attachments;
mod m013_contact_changes;
mod m014_files;
mod m015_switch;
mod m016_merged_contacts;
mod m017_canned;
mod m018_visitor_tokens;
mod m019_scale_indexes;
mod m020_mine_indexes;

use sea_orm_migration::prelude::*;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m001_foundation::Foundation),
            Box::new(m002_routing::Routing),
            Box::new(m003_revision::Revision),
            Box::new(m004_engine::Engine),
            Box::new(m005_wide_integers::WideIntegers),
            Box::new(m006_lean_indexes::LeanIndexes),
            Box::new(m007_channels::Channels),
            Box::new(m008_comment_replies::CommentReplies),
            Box::new(m009_templates::Templates),
            Box::new(m010_removed_comments::RemovedComments),
            Box::new(m011_posts::Posts),
            Box::new(m012_attachments::Attachments),
            Box::new(m013_contact_changes::ContactChanges),
            Box::new(m014_files::Files),
            Box::new(m015_switch::Switch),
            Box::new(m016_merged_contacts::MergedContacts),
            Box::new(m017_canned::Canned),
            Box::new(m018_visitor_tokens::VisitorTokens),
            Box::new(m019_scale_indexes::ScaleIndexes),
            Box::new(m020_mine_indexes::MineIndexes),
        ]
    }
}
