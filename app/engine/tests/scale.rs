//! The inbox's read paths at scale, on SQLite and (with `TEST_POSTGRES_URL`) PostgreSQL:
//! keyset pagination returns every row exactly once, ties on the time included (an agent's
//! own chats too: assigned and invited into, merged), and a seeded
//! database reads back through the engine (listed, searched, opened, its timers fired).

use sea_orm::sea_query::Expr;
use sea_orm::ActiveValue::Set;
use sea_orm::{ColumnTrait, ConnectionTrait, Database, EntityTrait, QueryFilter};
use std::collections::HashSet;
use switchboard_domain::ConversationStatus as S;
use switchboard_engine::conversations::{ListCursor, ListQuery};
use switchboard_engine::seed::SeedPlan;
use switchboard_engine::store::entities::{conversation, conversation_participant};
use switchboard_engine::{Engine, EngineConfig};
use uuid::Uuid;

/// Fresh databases, one per backend; the PostgreSQL one is dropped by `drop_postgres`.
async fn databases() -> Vec<(String, String)> {
    let dir = std::env::temp_dir().join(format!("sb-scale-{}", Uuid::new_v4().simple()));
    let mut out = vec![(
        "sqlite".to_string(),
        format!("sqlite://{}/s.db", dir.display()),
    )];
    match std::env::var("TEST_POSTGRES_URL") {
        Ok(base) if !base.is_empty() => {
            let name = format!("sb_test_{}", Uuid::new_v4().simple());
            let admin = Database::connect(format!("{base}/postgres"))
                .await
                .expect("connect to PostgreSQL");
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .expect("create test database");
            out.push(("postgres".to_string(), format!("{base}/{name}")));
        }
        _ if std::env::var("SWITCHBOARD_REQUIRE_POSTGRES").is_ok_and(|v| v == "1") => {
            panic!("SWITCHBOARD_REQUIRE_POSTGRES=1 but TEST_POSTGRES_URL is not set")
        }
        _ => eprintln!("note: TEST_POSTGRES_URL not set; testing SQLite only"),
    }
    out
}

async fn drop_postgres(url: &str) {
    if let (Ok(base), Some(name)) = (std::env::var("TEST_POSTGRES_URL"), url.rsplit('/').next()) {
        if url.starts_with("postgres") {
            if let Ok(admin) = Database::connect(format!("{base}/postgres")).await {
                let _ = admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await;
            }
        }
    }
}

fn small() -> SeedPlan {
    SeedPlan {
        agents: 5,
        contacts: 120,
        history: 600,
        queued: 90,
        ..SeedPlan::default()
    }
}

/// Every page of a listing, by cursor: the rows in the order they came.
async fn walk(engine: &Engine, q: &ListQuery) -> Vec<(i64, Uuid)> {
    let mut out = vec![];
    let mut after = None;
    loop {
        let rows = engine
            .list_summaries(&ListQuery { after, ..q.clone() })
            .await
            .expect("a page");
        assert!(rows.len() as u64 <= q.limit);
        let Some(last) = rows.last() else { break };
        after = Some(ListCursor::after(last));
        out.extend(rows.iter().map(|r| (r.last_message_at, r.id)));
    }
    out
}

fn assert_once_in_order(backend: &str, rows: &[(i64, Uuid)], expected: usize) {
    let ids: HashSet<Uuid> = rows.iter().map(|r| r.1).collect();
    assert_eq!(ids.len(), rows.len(), "{backend}: a row came twice");
    assert_eq!(rows.len(), expected, "{backend}: rows missing or extra");
    for pair in rows.windows(2) {
        assert!(pair[0] > pair[1], "{backend}: out of order {pair:?}");
    }
}

#[tokio::test]
async fn keyset_pages_return_every_row_once_with_ties() {
    for (backend, url) in databases().await {
        let engine = Engine::open(EngineConfig::new(&url)).await.expect("open");
        engine
            .seed(&small(), switchboard_engine::now())
            .await
            .expect("seed");
        // Ties: a third of history shares one time, another third another (pages of 50 end
        // inside both runs).
        let db = &engine.db().write;
        for (k, at) in [(0u8, 1_700_000_000_000i64), (1, 1_700_000_000_001)] {
            let ids: Vec<Uuid> = conversation::Entity::find()
                .filter(conversation::Column::Status.eq("closed"))
                .all(&engine.db().read)
                .await
                .unwrap()
                .into_iter()
                .filter(|c| c.id.as_u128() % 3 == k as u128)
                .map(|c| c.id)
                .collect();
            conversation::Entity::update_many()
                .col_expr(conversation::Column::LastMessageAt, Expr::value(at))
                .filter(conversation::Column::Id.is_in(ids))
                .exec(db)
                .await
                .unwrap();
        }
        let history = ListQuery {
            statuses: vec![S::Closed],
            lead: Some(false),
            limit: 50,
            ..Default::default()
        };
        let rows = walk(&engine, &history).await;
        assert_once_in_order(&backend, &rows, 600);
        assert!(
            rows.iter().filter(|r| r.0 == 1_700_000_000_000).count() > 100,
            "{backend}: the ties are there"
        );

        // Several statuses: one query each, merged into one order.
        let both = ListQuery {
            statuses: vec![S::Queued, S::Closed],
            ..history.clone()
        };
        assert_once_in_order(&backend, &walk(&engine, &both).await, 690);
        // Pages of one row, and a filter.
        let one = ListQuery {
            statuses: vec![S::Queued],
            limit: 1,
            ..history.clone()
        };
        assert_once_in_order(&backend, &walk(&engine, &one).await, 90);
        let web = ListQuery {
            channel: Some(switchboard_domain::Channel::Web),
            limit: 7,
            ..history.clone()
        };
        assert_once_in_order(&backend, &walk(&engine, &web).await, 100);

        // One agent's ("Mine"): the chats assigned to them and the rooms they were invited
        // into (the room mirror), merged into one order, by keyset, with the ties above.
        let me = engine.agents().await.expect("agents")[0].id;
        let closed = conversation::Entity::find()
            .filter(conversation::Column::Status.eq("closed"))
            .all(&engine.db().read)
            .await
            .unwrap();
        let own: HashSet<Uuid> = closed
            .iter()
            .filter(|c| c.assignee_id == Some(me))
            .map(|c| c.id)
            .collect();
        let invited: HashSet<Uuid> = closed
            .iter()
            .filter(|c| c.assignee_id != Some(me))
            .take(30)
            .map(|c| c.id)
            .collect();
        for id in &invited {
            conversation_participant::Entity::insert(conversation_participant::ActiveModel {
                conversation_id: Set(*id),
                account_id: Set(me),
                role: Set("invited".into()),
                joined_at: Set(0),
            })
            .exec(db)
            .await
            .unwrap();
        }
        let mine = ListQuery {
            involving: Some(me),
            limit: 7,
            ..history.clone()
        };
        let rows = walk(&engine, &mine).await;
        assert!(own.len() > 50, "{backend}: {}", own.len());
        assert_once_in_order(&backend, &rows, own.len() + invited.len());
        assert!(rows
            .iter()
            .all(|r| own.contains(&r.1) || invited.contains(&r.1)));
        drop_postgres(&url).await;
    }
}

#[tokio::test]
async fn a_seeded_database_reads_back_through_the_engine() {
    for (backend, url) in databases().await {
        let engine = Engine::open(EngineConfig::new(&url)).await.expect("open");
        let plan = small();
        let seeded = engine
            .seed(&plan, switchboard_engine::now())
            .await
            .expect("seed");
        assert_eq!(seeded.conversations, 690, "{backend}");
        assert!(
            engine.seed(&plan, switchboard_engine::now()).await.is_err(),
            "{backend}: seeding twice is refused"
        );
        let agents = engine.agents().await.expect("agents");
        assert_eq!(agents.len(), 5, "{backend}");
        let me = agents[0].id;

        let history = engine
            .list_summaries(&ListQuery {
                statuses: vec![S::Closed],
                lead: Some(false),
                limit: 300,
                ..Default::default()
            })
            .await
            .expect("history");
        assert_eq!(history.len(), 300, "{backend}");
        let first = &history[0];
        assert!(first.assignee_name.is_some(), "{backend}: {first:?}");
        let page = engine
            .message_page(first.id, None, true, 50)
            .await
            .expect("open");
        assert!(page.messages.len() >= 4, "{backend}: {page:?}");
        assert_eq!(page.messages.last().map(|m| m.seq), Some(first.last_seq));

        let mine = engine
            .list_summaries(&ListQuery {
                statuses: vec![S::Closed],
                lead: Some(false),
                involving: Some(me),
                limit: 300,
                ..Default::default()
            })
            .await
            .expect("mine");
        assert_eq!(mine.len(), 120, "{backend}: a fifth of history each");
        assert!(mine.iter().all(|s| s.assignee_id == Some(me)));

        // Search: a name (many contacts), an email's part, phone digits, and nothing.
        let hits = engine
            .search_contacts("Lovelace", 20)
            .await
            .expect("search");
        assert_eq!(hits.len(), 20, "{backend}");
        assert!(hits.iter().all(|h| h.name.contains("Lovelace")));
        assert!(hits.iter().all(|h| h.conversation.is_some()), "{backend}");
        let hits = engine.search_contacts("ADA.LOVELACE0@", 20).await.unwrap();
        assert_eq!(hits.len(), 1, "{backend}: {hits:?}");
        let hits = engine.search_contacts("555 000 0042", 20).await.unwrap();
        assert_eq!(
            hits.iter().map(|h| h.phone.clone()).collect::<Vec<_>>(),
            vec![Some("+15550000042".to_string())],
            "{backend}"
        );
        assert!(engine.search_contacts("zz", 20).await.unwrap().is_empty());
        assert!(engine
            .search_contacts("nobody-like-this", 20)
            .await
            .unwrap()
            .is_empty());

        // The queue: waiting, with timers the tick finds by deadline.
        let queued = engine
            .list_summaries(&ListQuery {
                statuses: vec![S::Queued],
                lead: Some(false),
                not_passed_by: Some(me),
                limit: 300,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(queued.len(), 90, "{backend}");
        let mut deadlines: Vec<i64> = queued.iter().filter_map(|q| q.deadline).collect();
        deadlines.sort();
        assert_eq!(
            deadlines.len(),
            90,
            "{backend}: every queued chat has a timer"
        );
        assert_eq!(engine.fire_due_timers(deadlines[0] - 1).await.unwrap(), 0);
        assert_eq!(engine.fire_due_timers(deadlines[2]).await.unwrap(), 3);
        drop_postgres(&url).await;
    }
}
