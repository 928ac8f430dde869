//! `switchboard-bench`: load against a running server, through the same requests and socket
//! frames the widget and the inbox use.
//!
//!   switchboard-bench load --url http://127.0.0.1:3000 [--conversations 100] [--rate 1000]
//!                          [--duration 20] [--drain 5] [--pid PID] [--receiver agent|visitor] [--send socket|http]
//!   switchboard-bench idle --url http://127.0.0.1:3000 [--sockets 1000] [--pid PID]
//!   switchboard-bench seed --database URL [--history 100000] [--queued 10000] [--agents 200] [--contacts 25000]
//!   switchboard-bench reads --database URL [--samples 200]
//!   switchboard-bench routing [--agents 200] [--samples 100000]
//!
//! Load: conversation k is a web chat started with `visitor/start` and accepted by an agent.
//! The visitor writes a `send` frame on its socket, as the widget does (or, with `--send
//! http`, posts `visitor/send` with at most 6 requests in flight, like a browser) at a fixed
//! total rate (open loop: latency counts from when a message was due, so a slow server is not
//! hidden); the receiver is the agent's socket subscribed to that conversation (or a second
//! socket of the visitor). Prints achieved msg/s, p50/p99/max one-way latency, lost,
//! duplicated and misrouted messages, and (with --pid) server CPU per message.
//! Idle: sockets that only keep their heartbeat; with --pid, server memory per socket.
//! Seed, reads, routing: the inbox at scale, in the engine itself (see `scale.rs`).
//! Exits 1 when anything was lost, duplicated or misrouted.

mod client;
mod idle;
mod load;
mod procfs;
mod scale;

use std::collections::HashMap;

pub struct Args(HashMap<String, String>);

impl Args {
    fn parse(raw: &[String]) -> Result<Self, String> {
        let mut map = HashMap::new();
        let mut it = raw.iter();
        while let Some(k) = it.next() {
            let key = k
                .strip_prefix("--")
                .ok_or_else(|| format!("unexpected argument {k:?}"))?;
            let v = it.next().ok_or_else(|| format!("--{key} needs a value"))?;
            map.insert(key.to_string(), v.clone());
        }
        Ok(Args(map))
    }

    pub fn str(&self, key: &str, default: &str) -> String {
        self.0
            .get(key)
            .cloned()
            .unwrap_or_else(|| default.to_string())
    }

    pub fn num<T: std::str::FromStr>(&self, key: &str, default: T) -> Result<T, String> {
        match self.0.get(key) {
            Some(v) => v
                .parse()
                .map_err(|_| format!("--{key} {v:?} is not a number")),
            None => Ok(default),
        }
    }
}

const USAGE: &str = "usage:
  switchboard-bench load --url URL [--conversations N] [--rate MSG_PER_S] [--duration S] [--drain S]
                         [--pid SERVER_PID] [--receiver agent|visitor] [--send socket|http] [--body-bytes N]
  switchboard-bench idle --url URL [--sockets N] [--pid SERVER_PID]
  switchboard-bench seed --database URL [--history N] [--queued N] [--agents N] [--contacts N]
  switchboard-bench reads --database URL [--samples N]
  switchboard-bench routing [--agents N] [--samples N]
  (demo accounts: --agents agent1@demo.test,agent2@demo.test --admin admin@demo.test --password switchboard)";

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let raw: Vec<String> = std::env::args().skip(1).collect();
    let Some(mode) = raw.first().cloned() else {
        eprintln!("{USAGE}");
        return std::process::ExitCode::from(2);
    };
    let args = match Args::parse(&raw[1..]) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}\n{USAGE}");
            return std::process::ExitCode::from(2);
        }
    };
    let result = match mode.as_str() {
        "load" => load::run(&args).await,
        "idle" => idle::run(&args).await,
        "seed" => scale::seed(&args).await,
        "reads" => scale::reads(&args).await,
        "routing" => scale::routing(&args).await,
        _ => Err(format!("unknown mode {mode:?}\n{USAGE}")),
    };
    match result {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::from(2)
        }
    }
}
