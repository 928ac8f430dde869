//! The size of one socket session's future, allocated per open socket (a measurement aid).
use switchboard_engine::delivery::session::{self, Inbound, Outbound, Peer};
use switchboard_engine::{Engine, EngineConfig};

#[tokio::main]
async fn main() {
    let dir = std::env::temp_dir().join(format!("sb-size-{}", uuid::Uuid::new_v4().simple()));
    let engine = Engine::open(EngineConfig::new(format!(
        "sqlite://{}/a.db",
        dir.display()
    )))
    .await
    .unwrap();
    let (sink, _rx) = futures::channel::mpsc::channel::<Outbound>(1);
    let (_tx, stream) = futures::channel::mpsc::channel::<Inbound>(1);
    let fut = session::run(
        engine,
        Peer::Visitor {
            contact_id: uuid::Uuid::nil(),
        },
        None,
        sink,
        stream,
        Default::default(),
    );
    println!("session future: {} bytes", std::mem::size_of_val(&fut));
}
