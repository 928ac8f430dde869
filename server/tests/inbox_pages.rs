//! A folder a page at a time (`inbox/list` with its cursor), on SQLite and PostgreSQL: every
//! row once, in order, whatever the page size; the last page says there is no next one; and
//! one row on its own (`inbox/row`).

mod support;

use serde_json::{json, Value};
use std::collections::HashSet;
use support::*;

/// Every page of a folder by cursor: the pages' sizes and the rows in the order they came.
async fn walk(a: &AgentClient, server: &TestServer, folder: &str) -> (Vec<usize>, Vec<Value>) {
    let (mut sizes, mut rows, mut after) = (vec![], vec![], Value::Null);
    loop {
        let page: FolderPage = call_ok(
            &a.http,
            server,
            "inbox/list",
            json!({"folder": folder, "filter": list_filter(), "after": after}),
        )
        .await;
        sizes.push(page.rows.len());
        rows.extend(page.rows);
        match page.next {
            Some(next) => after = next,
            None => return (sizes, rows),
        }
        assert!(sizes.len() < 20, "the pages never end: {sizes:?}");
    }
}

#[tokio::test]
async fn a_folder_pages_by_cursor_and_gives_every_row_once() {
    for (backend, url) in databases().await {
        let server = TestServer::start_configured(&url, |c| c.test_inbox_page = Some(3)).await;
        let mut started = HashSet::new();
        for i in 0..8 {
            let chat = start_chat(&server, &format!("Pat {i}"), "hello").await;
            started.insert(chat["conversation_id"].as_str().unwrap().to_string());
        }
        let a = agent(&server, "agent1@demo.test").await;

        let (sizes, rows) = walk(&a, &server, "queued").await;
        assert_eq!(sizes, vec![3, 3, 2], "{backend}");
        let ids: Vec<String> = rows
            .iter()
            .map(|r| r["summary"]["id"].as_str().unwrap().to_string())
            .collect();
        let once: HashSet<String> = ids.iter().cloned().collect();
        assert_eq!(once.len(), ids.len(), "{backend}: a row came twice");
        assert_eq!(once, started, "{backend}: rows missing or extra");
        let keys: Vec<(i64, String)> = rows
            .iter()
            .map(|r| {
                let s = &r["summary"];
                (
                    s["last_message_at"].as_i64().unwrap(),
                    s["id"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        for pair in keys.windows(2) {
            assert!(pair[0] > pair[1], "{backend}: newest first {pair:?}");
        }

        // A page exactly full at the end says so: no empty page after it.
        let chat = start_chat(&server, "Pat 8", "hello").await;
        started.insert(chat["conversation_id"].as_str().unwrap().to_string());
        let (sizes, rows) = walk(&a, &server, "queued").await;
        assert_eq!(sizes, vec![3, 3, 3], "{backend}");
        assert_eq!(rows.len(), started.len(), "{backend}");

        // A cursor the client sent back is only a position: a made-up one lists what is
        // older than it, and an empty folder is one page with no next.
        let page: FolderPage = call_ok(
            &a.http,
            &server,
            "inbox/list",
            json!({"folder": "queued", "filter": list_filter(),
                   "after": {"last_message_at": 0, "id": uuid::Uuid::nil()}}),
        )
        .await;
        assert!(page.rows.is_empty() && page.next.is_none(), "{backend}");
        let page: FolderPage = call_ok(
            &a.http,
            &server,
            "inbox/list",
            json!({"folder": "history", "filter": list_filter()}),
        )
        .await;
        assert!(page.rows.is_empty() && page.next.is_none(), "{backend}");

        // One row on its own (what a live update about a row beyond the loaded pages fetches),
        // with how far this agent read it.
        let conv = chat["conversation_id"].as_str().unwrap();
        let row: Value = call_ok(
            &a.http,
            &server,
            "inbox/row",
            json!({"conversation_id": conv}),
        )
        .await;
        assert_eq!(row["summary"]["id"], conv, "{backend}");
        assert_eq!(row["summary"]["contact_name"], "Pat 8", "{backend}");
        assert_eq!(row["read_seq"], 0, "{backend}");
        let _: Value = call_ok(
            &a.http,
            &server,
            "inbox/read",
            json!({"conversation_id": conv, "seq": 1}),
        )
        .await;
        let row: Value = call_ok(
            &a.http,
            &server,
            "inbox/row",
            json!({"conversation_id": conv}),
        )
        .await;
        assert_eq!(row["read_seq"], 1, "{backend}");
        server.stop().await;
    }
}
