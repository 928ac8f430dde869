//! `server` runs Switchboard; `server create-admin` adds an admin account.

use server::config::Config;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const USAGE: &str = "usage:
  server                      run Switchboard (configured by environment variables, see README)
  server create-admin --email EMAIL --name NAME
                              create an admin; the password is read from SWITCHBOARD_ADMIN_PASSWORD
                              or, if unset, from the first line of standard input";

fn main() -> std::process::ExitCode {
    let workers = match server::config::worker_threads(
        std::env::var("SWITCHBOARD_WORKER_THREADS").ok().as_deref(),
        std::thread::available_parallelism().map_or(1, |n| n.get()),
    ) {
        Ok(n) => n,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime.block_on(run()),
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> std::process::ExitCode {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,sqlx=warn,sea_orm=warn".into());
    // One line per request and per committed event; as JSON objects for a log pipeline.
    let writer = server::observe::BatchedStderr::start();
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer.clone())
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    match std::env::var("SWITCHBOARD_LOG_FORMAT").as_deref() {
        Ok("json") => logs.json().flatten_event(true).init(),
        Ok("text") | Err(_) => logs.init(),
        Ok(other) => {
            logs.init();
            tracing::warn!(
                "SWITCHBOARD_LOG_FORMAT is json or text, not {:?}: writing text",
                switchboard_domain::clip(other, 32)
            );
        }
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let result = match args.first().map(String::as_str) {
        None | Some("serve") => server::serve(config).await.map_err(|e| e.to_string()),
        Some("create-admin") => create_admin(&config, &args[1..]).await,
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            Ok(())
        }
        Some(other) => Err(format!("unknown command {other:?}\n{USAGE}")),
    };
    writer.flush();
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn flag(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

async fn create_admin(config: &Config, args: &[String]) -> Result<(), String> {
    let (Some(email), Some(name)) = (flag(args, "--email"), flag(args, "--name")) else {
        return Err(format!("create-admin needs --email and --name\n{USAGE}"));
    };
    let password = match std::env::var("SWITCHBOARD_ADMIN_PASSWORD") {
        Ok(p) => p,
        Err(_) => {
            eprint!("Password for {email}: ");
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .map_err(|e| e.to_string())?;
            line.trim_end_matches(['\r', '\n']).to_string()
        }
    };
    // A one-off write: it may run beside a serving node.
    let mut engine_config = switchboard_engine::EngineConfig::new(config.database_url.clone());
    engine_config.serves = false;
    let engine = switchboard_engine::Engine::open(engine_config)
        .await
        .map_err(|e| e.to_string())?;
    let profile = engine
        .create_account(
            &email,
            &name,
            &password,
            switchboard_wire::AgentRole::Admin,
            3,
        )
        .await
        .map_err(|e| e.to_string())?;
    println!("created admin {} <{}>", profile.name, profile.email);
    Ok(())
}
