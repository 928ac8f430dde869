//! The write path's hot statements, with their SQL written once per shape.
//!
//! sea-query builds a statement's SQL anew every time: for the four statements of a message
//! (load the conversation, insert the message, compare-and-set the conversation, insert the
//! event) that measured 11% of the server's CPU per message. These helpers take the same
//! entities and active models as sea-orm's builders, write the SQL of each shape (backend,
//! table, which columns, how many rows, which lock) the first time it is seen, keep it, and
//! bind the values. A statement means exactly what the builder's would; which values are
//! bound follows sea-orm's rules (an insert takes what is set or unchanged, an update what
//! is set).

use super::Backend;
use sea_orm::sea_query::Value;
use sea_orm::{
    ActiveModelTrait, ActiveValue, ConnectionTrait, DbErr, EntityTrait, ExecResult,
    FromQueryResult, IdenStatic, Iterable, Statement,
};
use std::any::TypeId;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, OnceLock};

/// How a row is taken by a transaction that reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RowLock {
    /// No lock (SQLite: one writer at a time anyway).
    None,
    /// `FOR UPDATE`: wait for whoever holds it.
    Wait,
    /// `FOR UPDATE SKIP LOCKED`: no row if another transaction holds it.
    SkipLocked,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Shape {
    /// Columns by their position in the entity, as a bit set.
    Insert {
        backend: Backend,
        table: TypeId,
        columns: u64,
        rows: usize,
    },
    /// `SET` the columns of the bit set `WHERE` the key columns (by position) are equal.
    Update {
        backend: Backend,
        table: TypeId,
        columns: u64,
        keys: u64,
    },
    /// Every column of one row by its key column (by position).
    Select {
        backend: Backend,
        table: TypeId,
        key: usize,
        lock: RowLock,
    },
}

fn shapes() -> &'static Mutex<HashMap<Shape, Arc<str>>> {
    static SHAPES: OnceLock<Mutex<HashMap<Shape, Arc<str>>>> = OnceLock::new();
    SHAPES.get_or_init(Default::default)
}

/// The SQL of a shape, written by `write` the first time.
fn sql_of(shape: Shape, write: impl FnOnce() -> String) -> Arc<str> {
    let mut known = shapes().lock().unwrap_or_else(|p| p.into_inner());
    known
        .entry(shape)
        .or_insert_with(|| Arc::from(write()))
        .clone()
}

fn db_backend(backend: Backend) -> sea_orm::DbBackend {
    match backend {
        Backend::Sqlite => sea_orm::DbBackend::Sqlite,
        Backend::Postgres => sea_orm::DbBackend::Postgres,
    }
}

/// Writes the `n`th placeholder (1-based).
fn placeholder(sql: &mut String, backend: Backend, n: usize) {
    match backend {
        Backend::Sqlite => sql.push('?'),
        Backend::Postgres => {
            let _ = write!(sql, "${n}");
        }
    }
}

fn table_of<E: EntityTrait>() -> String {
    E::default().table_name().to_string()
}

fn column_names<E: EntityTrait>(set: u64) -> Vec<String> {
    E::Column::iter()
        .enumerate()
        .filter(|(i, _)| set & (1 << i) != 0)
        .map(|(_, c)| c.as_str().to_string())
        .collect()
}

/// A table's columns, in the entity's order (a shape names them by position, as bits).
fn columns<E: EntityTrait>() -> Result<Vec<E::Column>, DbErr> {
    let columns: Vec<E::Column> = E::Column::iter().collect();
    if columns.len() > 64 {
        return Err(DbErr::Custom(
            "prebuilt statements take tables of at most 64 columns".into(),
        ));
    }
    Ok(columns)
}

fn position<E: EntityTrait>(columns: &[E::Column], key: &E::Column) -> Result<usize, DbErr> {
    columns
        .iter()
        .position(|c| c.as_str() == key.as_str())
        .ok_or_else(|| DbErr::Custom(format!("unknown column {}", key.as_str())))
}

fn insert_sql(backend: Backend, table: &str, names: &[String], rows: usize) -> String {
    let mut sql = format!("INSERT INTO \"{table}\" (");
    sql.push_str(
        &names
            .iter()
            .map(|n| format!("\"{n}\""))
            .collect::<Vec<_>>()
            .join(", "),
    );
    sql.push_str(") VALUES ");
    let mut n = 0;
    for r in 0..rows {
        sql.push_str(if r == 0 { "(" } else { ", (" });
        for c in 0..names.len() {
            if c > 0 {
                sql.push_str(", ");
            }
            n += 1;
            placeholder(&mut sql, backend, n);
        }
        sql.push(')');
    }
    sql
}

fn update_sql(backend: Backend, table: &str, set: &[String], keys: &[String]) -> String {
    let mut sql = format!("UPDATE \"{table}\" SET ");
    let mut n = 0;
    for (k, name) in set.iter().enumerate() {
        if k > 0 {
            sql.push_str(", ");
        }
        n += 1;
        let _ = write!(sql, "\"{name}\" = ");
        placeholder(&mut sql, backend, n);
    }
    for (k, name) in keys.iter().enumerate() {
        sql.push_str(if k == 0 { " WHERE " } else { " AND " });
        n += 1;
        let _ = write!(sql, "\"{table}\".\"{name}\" = ");
        placeholder(&mut sql, backend, n);
    }
    sql
}

fn select_sql(backend: Backend, table: &str, names: &[String], key: &str, lock: RowLock) -> String {
    let names: Vec<String> = names
        .iter()
        .map(|n| format!("\"{table}\".\"{n}\""))
        .collect();
    let mut sql = format!(
        "SELECT {} FROM \"{table}\" WHERE \"{table}\".\"{key}\" = ",
        names.join(", ")
    );
    placeholder(&mut sql, backend, 1);
    sql.push_str(match lock {
        RowLock::None => "",
        RowLock::Wait => " FOR UPDATE",
        RowLock::SkipLocked => " FOR UPDATE SKIP LOCKED",
    });
    sql
}

/// Inserts rows that set the same columns, in one statement.
pub async fn insert<A, C>(conn: &C, backend: Backend, rows: &[A]) -> Result<ExecResult, DbErr>
where
    A: ActiveModelTrait,
    C: ConnectionTrait,
{
    let Some(first) = rows.first() else {
        return Err(DbErr::Custom("an insert of no rows".into()));
    };
    let columns = columns::<A::Entity>()?;
    let mut set = 0u64;
    for (i, c) in columns.iter().enumerate() {
        if !matches!(first.get(*c), ActiveValue::NotSet) {
            set |= 1 << i;
        }
    }
    let per_row = set.count_ones() as usize;
    let mut values: Vec<Value> = Vec::with_capacity(per_row * rows.len());
    for row in rows {
        for (i, c) in columns.iter().enumerate() {
            match (set & (1 << i) != 0, row.get(*c)) {
                (true, ActiveValue::Set(v) | ActiveValue::Unchanged(v)) => values.push(v),
                (false, ActiveValue::NotSet) => {}
                _ => {
                    return Err(DbErr::Custom(
                        "rows of one insert must set the same columns".into(),
                    ))
                }
            }
        }
    }
    let shape = Shape::Insert {
        backend,
        table: TypeId::of::<A::Entity>(),
        columns: set,
        rows: rows.len(),
    };
    let sql = sql_of(shape, || {
        insert_sql(
            backend,
            &table_of::<A::Entity>(),
            &column_names::<A::Entity>(set),
            rows.len(),
        )
    });
    conn.execute(Statement::from_sql_and_values(
        db_backend(backend),
        &*sql,
        values,
    ))
    .await
}

/// `UPDATE … SET` the columns `changes` sets `WHERE` each key column equals its value: a
/// compare-and-set when a key is a revision. Returns the rows it changed.
pub async fn update<A, C>(
    conn: &C,
    backend: Backend,
    changes: &A,
    keys: &[(<A::Entity as EntityTrait>::Column, Value)],
) -> Result<u64, DbErr>
where
    A: ActiveModelTrait,
    C: ConnectionTrait,
{
    let columns = columns::<A::Entity>()?;
    let mut set = 0u64;
    let mut values = vec![];
    for (i, c) in columns.iter().enumerate() {
        if let ActiveValue::Set(v) = changes.get(*c) {
            set |= 1 << i;
            values.push(v);
        }
    }
    if set == 0 {
        return Err(DbErr::Custom("an update that sets nothing".into()));
    }
    // Keys bind in column order, whatever order they were given in.
    let mut keyed: Vec<(usize, Value)> = Vec::with_capacity(keys.len());
    for (key, value) in keys {
        keyed.push((position::<A::Entity>(&columns, key)?, value.clone()));
    }
    keyed.sort_by_key(|(i, _)| *i);
    let key_set = keyed.iter().fold(0u64, |bits, (i, _)| bits | 1 << i);
    if key_set.count_ones() as usize != keys.len() {
        return Err(DbErr::Custom("an update keyed twice by one column".into()));
    }
    values.extend(keyed.into_iter().map(|(_, v)| v));
    let shape = Shape::Update {
        backend,
        table: TypeId::of::<A::Entity>(),
        columns: set,
        keys: key_set,
    };
    let sql = sql_of(shape, || {
        update_sql(
            backend,
            &table_of::<A::Entity>(),
            &column_names::<A::Entity>(set),
            &column_names::<A::Entity>(key_set),
        )
    });
    Ok(conn
        .execute(Statement::from_sql_and_values(
            db_backend(backend),
            &*sql,
            values,
        ))
        .await?
        .rows_affected())
}

/// The row whose `key` column equals `value`, taken with `lock`.
pub async fn find<E, C>(
    conn: &C,
    backend: Backend,
    key: E::Column,
    value: Value,
    lock: RowLock,
) -> Result<Option<E::Model>, DbErr>
where
    E: EntityTrait,
    E::Model: FromQueryResult,
    C: ConnectionTrait,
{
    let position = position::<E>(&columns::<E>()?, &key)?;
    let lock = if backend == Backend::Sqlite {
        RowLock::None
    } else {
        lock
    };
    let shape = Shape::Select {
        backend,
        table: TypeId::of::<E>(),
        key: position,
        lock,
    };
    let sql = sql_of(shape, || {
        select_sql(
            backend,
            &table_of::<E>(),
            &column_names::<E>(u64::MAX),
            key.as_str(),
            lock,
        )
    });
    match conn
        .query_one(Statement::from_sql_and_values(
            db_backend(backend),
            &*sql,
            [value],
        ))
        .await?
    {
        Some(row) => Ok(Some(E::Model::from_query_result(&row, "")?)),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::entities::conversation;

    fn names(n: &[&str]) -> Vec<String> {
        n.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn sql_per_backend() {
        let cols = names(&["a", "b"]);
        assert_eq!(
            insert_sql(Backend::Sqlite, "t", &cols, 2),
            r#"INSERT INTO "t" ("a", "b") VALUES (?, ?), (?, ?)"#
        );
        assert_eq!(
            insert_sql(Backend::Postgres, "t", &cols, 2),
            r#"INSERT INTO "t" ("a", "b") VALUES ($1, $2), ($3, $4)"#
        );
        assert_eq!(
            update_sql(Backend::Postgres, "t", &cols, &names(&["id", "revision"])),
            r#"UPDATE "t" SET "a" = $1, "b" = $2 WHERE "t"."id" = $3 AND "t"."revision" = $4"#
        );
        assert_eq!(
            update_sql(Backend::Sqlite, "t", &names(&["a"]), &names(&["id"])),
            r#"UPDATE "t" SET "a" = ? WHERE "t"."id" = ?"#
        );
        assert_eq!(
            select_sql(Backend::Postgres, "t", &cols, "id", RowLock::SkipLocked),
            r#"SELECT "t"."a", "t"."b" FROM "t" WHERE "t"."id" = $1 FOR UPDATE SKIP LOCKED"#
        );
        assert_eq!(
            select_sql(Backend::Sqlite, "t", &cols, "id", RowLock::None),
            r#"SELECT "t"."a", "t"."b" FROM "t" WHERE "t"."id" = ?"#
        );
    }

    #[test]
    fn columns_follow_the_entity_and_keys_bind_in_column_order() {
        use sea_orm::ActiveValue::Set;
        let all = column_names::<conversation::Entity>(u64::MAX);
        assert_eq!(all.first().map(String::as_str), Some("id"));
        assert!(
            all.contains(&"revision".to_string())
                && all.len() == conversation::Column::iter().count()
        );
        // Bits name columns by position.
        let revision = all.iter().position(|n| n == "revision").unwrap();
        assert_eq!(
            column_names::<conversation::Entity>(1 | 1 << revision),
            names(&["id", "revision"])
        );
        let changes = conversation::ActiveModel {
            last_seq: Set(3),
            ..Default::default()
        };
        assert!(matches!(
            changes.get(conversation::Column::Preview),
            ActiveValue::NotSet
        ));
    }
}
