//! The inbox at scale (issue 11), measured in the engine (server time, no HTTP):
//!
//! - `seed`: fills a database (SQLite file or PostgreSQL URL) with agents Online, contacts,
//!   conversations in history and queued ones with their timers (`Engine::seed`).
//! - `reads`: on a seeded database, p50/p99 of a folder page (the first, and one deep in
//!   History by cursor), contact search, opening a conversation on its latest 50 messages,
//!   and a routing tick with the queue full (nothing due; then 10 due each).
//! - `routing`: the pure routing decision (`rank_agents`) with N agents, per chat.
//!
//! Each prints percentiles; none asserts a time.

use crate::Args;
use std::time::{Duration, Instant};
use switchboard_domain::routing::rank_agents;
use switchboard_domain::{AgentLoad, ConversationStatus as S, Presence};
use switchboard_engine::conversations::{ListCursor, ListQuery};
use switchboard_engine::seed::SeedPlan;
use switchboard_engine::{Engine, EngineConfig};
use switchboard_wire::ConversationSummary;
use uuid::Uuid;

/// The inbox's page size (`LIST_LIMIT` in `app/src/inbox`) and a conversation's first page.
const PAGE: u64 = 300;
const MESSAGES: u64 = 50;

async fn open(url: &str) -> Result<Engine, String> {
    let mut config = EngineConfig::new(url);
    // A tool on the database, not a node: no claim on a SQLite file.
    config.serves = false;
    Engine::open(config).await.map_err(|e| e.to_string())
}

fn database(args: &Args) -> Result<String, String> {
    let url = args.str("database", "");
    if url.is_empty() {
        return Err("--database URL is needed (sqlite:///path.db or postgres://…/db)".into());
    }
    Ok(url)
}

pub async fn seed(args: &Args) -> Result<bool, String> {
    let url = database(args)?;
    let defaults = SeedPlan::default();
    let plan = SeedPlan {
        agents: args.num("agents", defaults.agents)?,
        contacts: args.num("contacts", defaults.contacts)?,
        history: args.num("history", defaults.history)?,
        queued: args.num("queued", defaults.queued)?,
        ..defaults
    };
    let t0 = Instant::now();
    let engine = open(&url).await?;
    let seeded = engine
        .seed(&plan, switchboard_engine::now())
        .await
        .map_err(|e| e.to_string())?;
    println!(
        "seeded {} agents, {} contacts, {} conversations ({} history, {} queued), {} messages, {} events in {:.1} s",
        seeded.agents,
        seeded.contacts,
        seeded.conversations,
        plan.history,
        plan.queued,
        seeded.messages,
        seeded.events,
        t0.elapsed().as_secs_f64()
    );
    Ok(true)
}

/// p50 and p99 of samples, printed as one line.
fn report(path: &str, samples: &mut [Duration]) {
    samples.sort();
    let at = |q: f64| {
        let i = ((samples.len() as f64 * q).ceil() as usize).clamp(1, samples.len()) - 1;
        samples[i].as_secs_f64() * 1000.0
    };
    println!(
        "{path:<44} n={:<5} p50 {:>8.3} ms  p99 {:>8.3} ms  max {:>8.3} ms",
        samples.len(),
        at(0.50),
        at(0.99),
        at(1.0)
    );
}

fn folder(statuses: &[S], after: Option<ListCursor>) -> ListQuery {
    ListQuery {
        statuses: statuses.to_vec(),
        lead: Some(false),
        after,
        limit: PAGE,
        ..Default::default()
    }
}

/// One folder page as `inbox/list` reads it: the rows and the agent's read positions.
async fn page(
    engine: &Engine,
    agent: Uuid,
    q: ListQuery,
) -> Result<Vec<ConversationSummary>, String> {
    let rows = engine.list_summaries(&q).await.map_err(|e| e.to_string())?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    engine
        .read_positions(agent, &ids)
        .await
        .map_err(|e| e.to_string())?;
    Ok(rows)
}

async fn timed<T, F, Fut>(samples: usize, mut f: F) -> Result<Vec<Duration>, String>
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = Result<T, String>>,
{
    let mut out = Vec::with_capacity(samples);
    for i in 0..samples {
        let t = Instant::now();
        f(i).await?;
        out.push(t.elapsed());
    }
    Ok(out)
}

pub async fn reads(args: &Args) -> Result<bool, String> {
    let url = database(args)?;
    let n: usize = args.num("samples", 200)?;
    let engine = open(&url).await?;
    let agents = engine.agents().await.map_err(|e| e.to_string())?;
    let Some(agent) = agents.first().map(|a| a.id) else {
        return Err("no agents: seed the database first (switchboard-bench seed)".into());
    };

    // Walk History page by page: every row once, and a cursor deep in it.
    let t = Instant::now();
    let (mut seen, mut pages, mut after, mut deep, mut sample) =
        (0usize, 0usize, None, None, vec![]);
    loop {
        let rows = page(&engine, agent, folder(&[S::Closed], after)).await?;
        let Some(last) = rows.last() else { break };
        seen += rows.len();
        pages += 1;
        after = Some(ListCursor::after(last));
        if pages == 150 {
            deep = after;
        }
        sample.extend(rows.iter().step_by(37).map(|r| r.id));
    }
    println!(
        "History walked by cursor: {seen} rows in {pages} pages of {PAGE}, {:.1} ms a page",
        t.elapsed().as_secs_f64() * 1000.0 / pages.max(1) as f64
    );
    if sample.is_empty() {
        return Err("History is empty: seed the database first".into());
    }

    let mut s = timed(n, |_| page(&engine, agent, folder(&[S::Closed], None))).await?;
    report("listing: History, first page", &mut s);
    if let Some(deep) = deep {
        let mut s = timed(n, |_| {
            page(&engine, agent, folder(&[S::Closed], Some(deep)))
        })
        .await?;
        report("listing: History, page 151 (by cursor)", &mut s);
    }
    let mut s = timed(n, |_| async {
        let q = ListQuery {
            not_passed_by: Some(agent),
            ..folder(&[S::Queued], None)
        };
        page(&engine, agent, q).await
    })
    .await?;
    report("listing: Queued, first page", &mut s);
    let mut s = timed(n, |_| {
        page(&engine, agent, folder(&[S::Offered, S::Open], None))
    })
    .await?;
    report("listing: Engaged, first page", &mut s);
    let mut s = timed(n, |_| async {
        let q = ListQuery {
            involving: Some(agent),
            ..folder(&[S::Closed], None)
        };
        page(&engine, agent, q).await
    })
    .await?;
    report("listing: History, Mine, first page", &mut s);

    let queries = [
        "lovelace",
        "grace.hopper",
        "hopper1234",
        "5550012",
        "nobody-like-this",
    ];
    let mut s = timed(n, |i| {
        let engine = engine.clone();
        async move {
            engine
                .search_contacts(queries[i % queries.len()], 20)
                .await
                .map_err(|e| e.to_string())
        }
    })
    .await?;
    report("contact search (20 hits at most)", &mut s);

    let mut s = timed(n, |i| {
        let (engine, id) = (engine.clone(), sample[(i * 7919) % sample.len()]);
        async move {
            engine.summary(id).await.map_err(|e| e.to_string())?;
            let page = engine
                .message_page(id, None, true, MESSAGES)
                .await
                .map_err(|e| e.to_string())?;
            if page.messages.is_empty() {
                return Err(format!("conversation {id} opened without messages"));
            }
            Ok(())
        }
    })
    .await?;
    report("open a conversation (latest 50 messages)", &mut s);

    // The queue's deadlines, soonest first (read from the Queued folder, by cursor).
    let mut deadlines = vec![];
    let mut after = None;
    loop {
        let rows = engine
            .list_summaries(&folder(&[S::Queued], after))
            .await
            .map_err(|e| e.to_string())?;
        let Some(last) = rows.last() else { break };
        after = Some(ListCursor::after(last));
        deadlines.extend(rows.iter().filter_map(|r| r.deadline));
    }
    deadlines.sort();
    println!("queue: {} waiting with a timer", deadlines.len());
    if let Some(&first) = deadlines.first() {
        let mut s = timed(n, |_| {
            let engine = engine.clone();
            async move {
                engine
                    .fire_due_timers(first - 1)
                    .await
                    .map_err(|e| e.to_string())
            }
        })
        .await?;
        report("routing tick, queue full, none due", &mut s);
        // Ticks that each find 10 timers due (they fire: those chats miss the queue).
        let ticks = (deadlines.len() / 10).min(20);
        let mut s = Vec::with_capacity(ticks);
        for k in 0..ticks {
            let now = deadlines[k * 10 + 9];
            let t = Instant::now();
            let fired = engine
                .fire_due_timers(now)
                .await
                .map_err(|e| e.to_string())?;
            s.push(t.elapsed());
            if fired == 0 {
                return Err(format!("a tick at {now} fired nothing"));
            }
        }
        if !s.is_empty() {
            report("routing tick, 10 due (fired)", &mut s);
        }
    }
    Ok(true)
}

/// The pure routing decision with `--agents` agents (default 200), per chat.
pub async fn routing(args: &Args) -> Result<bool, String> {
    let agents: usize = args.num("agents", 200)?;
    let n: usize = args.num("samples", 100_000)?;
    let loads: Vec<AgentLoad> = (0..agents)
        .map(|i| AgentLoad {
            id: Uuid::from_u128(i as u128 * 0x9E37_79B9_7F4A_7C15 + 1),
            presence: if i % 10 == 9 {
                Presence::Away
            } else {
                Presence::Online
            },
            capacity: 5,
            active: (i % 5) as u32,
            last_assigned_at: Some(i as i64 * 1000),
        })
        .collect();
    let passed: Vec<Uuid> = loads
        .iter()
        .skip(3)
        .step_by(14)
        .take(2)
        .map(|a| a.id)
        .collect();
    let mut s = Vec::with_capacity(n);
    let mut chosen = 0usize;
    for i in 0..n {
        let missed = if i % 4 == 0 { &passed[..] } else { &[][..] };
        let t = Instant::now();
        let ranked = rank_agents(std::hint::black_box(&loads), missed);
        s.push(t.elapsed());
        chosen += ranked.len();
    }
    std::hint::black_box(chosen);
    report(&format!("routing decision, {agents} agents"), &mut s);
    Ok(true)
}
