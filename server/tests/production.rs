//! Production defaults (hardening item 7): no demo outside demo mode, `Secure` cookies behind
//! an https public URL, and sessions that end when idle and after a fixed lifetime.

mod support;

use std::time::Duration;
use support::*;

#[tokio::test]
async fn production_mode_has_no_demo_accounts_no_demo_page_and_no_simulator() {
    for (backend, url) in databases().await {
        let server = TestServer::start_production(&url).await;
        let client = http();
        let demo = client.get(server.url("/demo")).send().await.unwrap();
        assert_eq!(demo.status(), 404, "{backend}: /demo in production");
        let page = client.get(server.url("/demo.html")).send().await.unwrap();
        assert_eq!(page.status(), 404, "{backend}: the demo page as a file");
        let simulator = client
            .post(server.url("/simulator/api/twilio/2010-04-01/Accounts/AC1/Messages.json"))
            .form(&[("To", "+15550001"), ("Body", "hi")])
            .send()
            .await
            .unwrap();
        assert!(
            simulator.status() == 404,
            "{backend}: the simulator answers in production: {}",
            simulator.status()
        );
        let status = login(&client, &server, "admin@demo.test", PASSWORD).await;
        assert_eq!(
            status, 422,
            "{backend}: the demo admin signs in in production"
        );
        server.stop().await;

        // The same database in demo mode (on loopback): the demo is all there.
        let server = TestServer::start(&url).await;
        let demo = http().get(server.url("/demo")).send().await.unwrap();
        assert_eq!(demo.status(), 200, "{backend}: /demo in demo mode");
        assert!(demo.text().await.unwrap().contains("widget.js"));
        let status = login(&http(), &server, "admin@demo.test", PASSWORD).await;
        assert!(
            status == 200 || status == 302,
            "{backend}: demo sign-in {status}"
        );
        server.stop().await;
    }
}

fn session_cookie(res: &reqwest::Response) -> String {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("switchboard_session="))
        .expect("a session cookie")
}

async fn sign_in(client: &reqwest::Client, server: &TestServer) -> reqwest::Response {
    client
        .post(server.url("/api/auth/login"))
        .header("accept", "application/json")
        .form(&[("email", "agent1@demo.test"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_session_cookie_is_secure_when_the_public_url_is_https() {
    let (_, url) = databases().await.remove(0);
    let server = TestServer::start(&url).await;
    let plain = session_cookie(&sign_in(&http(), &server).await);
    assert!(!plain.contains("Secure"), "plain http, yet: {plain}");
    assert!(
        plain.contains("HttpOnly") && plain.contains("SameSite=Lax"),
        "{plain}"
    );
    server.stop().await;

    let server = TestServer::start_configured(&url, |c| {
        c.channels.public_url = "https://support.example.com".into();
    })
    .await;
    let secure = session_cookie(&sign_in(&http(), &server).await);
    assert!(secure.contains("Secure"), "https public URL, yet: {secure}");
    server.stop().await;
}

/// Whether this client's session still names an agent.
async fn signed_in(client: &reqwest::Client, server: &TestServer) -> bool {
    let (status, me) = call(client, server, "auth/me", serde_json::json!({})).await;
    assert_eq!(status, 200, "{me}");
    !me.is_null()
}

#[tokio::test]
async fn a_session_ends_when_idle_and_after_its_lifetime_even_when_used() {
    for (backend, url) in databases().await {
        let server = TestServer::start_configured(&url, |c| {
            c.session_idle = Duration::from_secs(2);
            c.session_lifetime = Duration::from_secs(5);
        })
        .await;
        // Idle: unused for longer than 2 s, the session is gone.
        let idle = http();
        sign_in(&idle, &server).await;
        assert!(signed_in(&idle, &server).await, "{backend}");
        tokio::time::sleep(Duration::from_millis(2600)).await;
        assert!(
            !signed_in(&idle, &server).await,
            "{backend}: idle session lives on"
        );

        // Used every 0.7 s, the session lives past the idle time, up to its lifetime.
        let busy = http();
        sign_in(&busy, &server).await;
        let started = std::time::Instant::now();
        let mut alive_until = Duration::ZERO;
        while started.elapsed() < Duration::from_secs(8) {
            if !signed_in(&busy, &server).await {
                break;
            }
            alive_until = started.elapsed();
            tokio::time::sleep(Duration::from_millis(700)).await;
        }
        assert!(
            alive_until > Duration::from_secs(3),
            "{backend}: a used session ended at {alive_until:?}, before its lifetime"
        );
        assert!(
            alive_until < Duration::from_secs(6),
            "{backend}: a used session outlived its 5 s lifetime ({alive_until:?})"
        );
        server.stop().await;
    }
}

#[tokio::test]
async fn pages_carry_a_content_security_policy_and_only_the_widget_may_be_framed() {
    let (_, url) = databases().await.remove(0);
    let server = TestServer::start(&url).await;
    for (path, framable) in [("/login", false), ("/inbox", false), ("/widget", true)] {
        let res = http().get(server.url(path)).send().await.unwrap();
        let policy = res
            .headers()
            .get("content-security-policy")
            .unwrap_or_else(|| panic!("{path}: no policy"))
            .to_str()
            .unwrap()
            .to_string();
        assert_eq!(res.headers()["x-content-type-options"], "nosniff", "{path}");
        let html = res.text().await.unwrap();
        // Every inline script carries the nonce the policy names, and only that one.
        let nonce = policy
            .split("'nonce-")
            .nth(1)
            .and_then(|rest| rest.split('\'').next())
            .unwrap_or_else(|| panic!("{path}: no nonce in {policy}"));
        let scripts: Vec<&str> = html.split("<script").skip(1).collect();
        assert!(!scripts.is_empty(), "{path}");
        for s in scripts {
            let tag = s.split('>').next().unwrap();
            assert!(tag.contains(&format!("nonce=\"{nonce}\"")), "{path}: {tag}");
        }
        assert!(policy.contains("object-src 'none'") && policy.contains("base-uri 'none'"));
        let ancestors = if framable {
            "frame-ancestors *"
        } else {
            "frame-ancestors 'none'"
        };
        assert!(policy.contains(ancestors), "{path}: {policy}");
        // A fresh nonce per page.
        let again = http().get(server.url(path)).send().await.unwrap();
        let second = again.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_string();
        assert_ne!(second, policy, "{path}: the same nonce twice");
    }
    server.stop().await;
}
