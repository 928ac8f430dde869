//! How long the write path takes per message, without HTTP or fan-out (a measurement aid).
use std::time::Instant;
use switchboard_domain::conversation::{Author, Command};
use switchboard_domain::{ContactDetails, MessageBody, Visibility};
use switchboard_engine::conversations::StartKind;
use switchboard_engine::{Engine, EngineConfig};
use uuid::Uuid;

fn cpu() -> f64 {
    let t = std::fs::read_to_string("/proc/self/stat").unwrap();
    let f: Vec<f64> = t[t.rfind(')').unwrap() + 2..]
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0.0))
        .collect();
    (f[11] + f[12]) / 100.0
}

#[tokio::main]
async fn main() {
    let dir = std::env::temp_dir().join(format!("sb-append-{}", Uuid::new_v4().simple()));
    let engine = Engine::open(EngineConfig::new(format!(
        "sqlite://{}/a.db",
        dir.display()
    )))
    .await
    .unwrap();
    let details = ContactDetails::parse("Ada", "ada@example.com", "").unwrap();
    let s = engine
        .start_web_conversation(
            &details,
            &MessageBody::parse("hi").unwrap(),
            Uuid::new_v4(),
            StartKind::Chat,
            &Default::default(),
        )
        .await
        .unwrap();
    let contact = engine
        .contact_of_visitor(s.visitor_id, switchboard_engine::now())
        .await
        .unwrap()
        .unwrap();
    let n = 3000;
    let (t0, c0) = (Instant::now(), cpu());
    for i in 0..n {
        let cmd = Command::Append {
            author: Author::Contact {
                contact_id: contact.id,
                name: "Ada".into(),
                via: switchboard_domain::Channel::Web,
            },
            body: MessageBody::parse(&format!("m{i}")).unwrap(),
            visibility: Visibility::Public,
            client_msg_id: Some(Uuid::new_v4()),
        };
        engine.append(s.conversation_id, cmd).await.unwrap();
    }
    let (wall, c1) = (t0.elapsed(), cpu());
    println!(
        "append: {:.0} µs wall, {:.0} µs CPU per message",
        wall.as_secs_f64() / n as f64 * 1e6,
        (c1 - c0) / n as f64 * 1e6
    );
    let (t0, c0) = (Instant::now(), cpu());
    for _ in 0..n {
        engine
            .contact_of_visitor(s.visitor_id, switchboard_engine::now())
            .await
            .unwrap();
    }
    println!(
        "contact lookup: {:.0} µs wall, {:.0} µs CPU",
        t0.elapsed().as_secs_f64() / n as f64 * 1e6,
        (cpu() - c0) / n as f64 * 1e6
    );
}
