//! Every integer column is 64 bits wide, so the entities use one integer type (`i64`) and
//! rows read the same through either SQLite driver. SQLite's integers are 64 bits already;
//! PostgreSQL's `integer` columns become `bigint`.

use sea_orm_migration::prelude::*;

pub struct WideIntegers;

impl MigrationName for WideIntegers {
    fn name(&self) -> &str {
        "m005_wide_integers"
    }
}

const COLUMNS: [(&str, &str); 3] = [
    ("accounts", "capacity"),
    ("outbox", "attempts"),
    ("presence_leases", "sockets"),
];

#[async_trait::async_trait]
impl MigrationTrait for WideIntegers {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() != sea_orm::DbBackend::Postgres {
            return Ok(());
        }
        for (table, column) in COLUMNS {
            m.get_connection()
                .execute_unprepared(&format!(
                    r#"ALTER TABLE "{table}" ALTER COLUMN "{column}" TYPE bigint"#
                ))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() != sea_orm::DbBackend::Postgres {
            return Ok(());
        }
        for (table, column) in COLUMNS {
            m.get_connection()
                .execute_unprepared(&format!(
                    r#"ALTER TABLE "{table}" ALTER COLUMN "{column}" TYPE integer"#
                ))
                .await?;
        }
        Ok(())
    }
}
