//! Production mode seeds nothing; `server create-admin` makes the first account.

mod support;

use support::*;

fn run_cli(db_url: &str, args: &[&str], password: Option<&str>) -> std::process::Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_server"));
    cmd.args(args)
        .env("DATABASE_URL", db_url)
        .env("SWITCHBOARD_MODE", "production")
        .env("RUST_LOG", "error");
    match password {
        Some(p) => cmd.env("SWITCHBOARD_ADMIN_PASSWORD", p),
        None => cmd.env_remove("SWITCHBOARD_ADMIN_PASSWORD"),
    };
    cmd.stdin(std::process::Stdio::null())
        .output()
        .expect("run server binary")
}

#[tokio::test]
async fn production_mode_starts_empty_and_create_admin_makes_the_first_admin() {
    for (backend, url) in databases().await {
        let server = TestServer::start_production(&url).await;
        let a = AgentClient::anonymous();
        assert_eq!(
            login(&a.http, &server, "admin@demo.test", PASSWORD).await,
            422,
            "{backend}: no demo accounts"
        );

        let out = run_cli(
            &url,
            &[
                "create-admin",
                "--email",
                "Boss@Example.com",
                "--name",
                "Bo Boss",
            ],
            Some("long-enough-pw"),
        );
        assert!(
            out.status.success(),
            "{backend}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout)
            .contains("created admin Bo Boss <boss@example.com>"));

        let again = run_cli(
            &url,
            &[
                "create-admin",
                "--email",
                "boss@example.com",
                "--name",
                "Bo",
            ],
            Some("long-enough-pw"),
        );
        assert!(
            !again.status.success(),
            "{backend}: duplicate email refused"
        );
        assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));

        let short = run_cli(
            &url,
            &["create-admin", "--email", "x@example.com", "--name", "X"],
            Some("short"),
        );
        assert!(!short.status.success());
        assert!(String::from_utf8_lossy(&short.stderr).contains("at least 8 characters"));

        let missing = run_cli(
            &url,
            &["create-admin", "--email", "x@example.com"],
            Some("long-enough-pw"),
        );
        assert!(!missing.status.success());
        assert!(String::from_utf8_lossy(&missing.stderr).contains("needs --email and --name"));

        let status = login(&a.http, &server, "boss@example.com", "long-enough-pw").await;
        assert!(
            status == 200 || status == 302,
            "{backend}: the new admin signs in ({status})"
        );
        let me: Option<serde_json::Value> =
            call_ok(&a.http, &server, "auth/me", serde_json::json!({})).await;
        assert_eq!(me.unwrap()["role"], "admin");
    }
}
