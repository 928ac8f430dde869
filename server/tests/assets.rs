//! Static files: the precompressed copy the browser takes, and how long each answer may be
//! kept (the bundle revalidated, the loader a few minutes, pages never).

mod support;

use support::*;

/// A site root with a bundle and the loader, each with a precompressed copy beside it (the
/// copies' contents only mark which file was sent).
fn site() -> std::path::PathBuf {
    let root = std::env::temp_dir().join(format!("switchboard-site-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(root.join("pkg")).unwrap();
    for (path, body) in [
        ("pkg/switchboard.wasm", "the bundle"),
        ("pkg/switchboard.wasm.br", "brotli copy"),
        ("pkg/switchboard.wasm.gz", "gzip copy"),
        ("widget.js", "the loader"),
        ("widget.js.gz", "gzip loader"),
    ] {
        std::fs::write(root.join(path), body).unwrap();
    }
    root
}

async fn get(url: String, accept: Option<&str>) -> (u16, String, String, String) {
    let mut req = http().get(url);
    if let Some(a) = accept {
        req = req.header("accept-encoding", a);
    }
    let res = req.send().await.unwrap();
    let header = |name: &str| {
        res.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    };
    let (encoding, cache) = (header("content-encoding"), header("cache-control"));
    if res.status().is_success() && !res.url().path().starts_with("/login") {
        assert_eq!(header("vary"), "accept-encoding", "{}", res.url());
    }
    (
        res.status().as_u16(),
        encoding,
        cache,
        res.text().await.unwrap(),
    )
}

#[tokio::test]
async fn assets_go_compressed_when_the_browser_takes_it_and_say_how_long_to_keep_them() {
    let (_, url) = databases().await.remove(0);
    let root = site();
    let site_root = root.display().to_string();
    let server = TestServer::start_configured(&url, |c| {
        c.leptos_options.site_root = site_root.as_str().into();
    })
    .await;
    let bundle = server.url("/pkg/switchboard.wasm");

    let (status, encoding, cache, body) = get(bundle.clone(), Some("gzip, deflate, br")).await;
    assert_eq!(
        (status, encoding.as_str(), body.as_str()),
        (200, "br", "brotli copy")
    );
    assert_eq!(cache, "public, no-cache");
    let (_, encoding, _, body) = get(bundle.clone(), Some("gzip")).await;
    assert_eq!((encoding.as_str(), body.as_str()), ("gzip", "gzip copy"));
    let (_, encoding, _, body) = get(bundle, None).await;
    assert_eq!((encoding.as_str(), body.as_str()), ("", "the bundle"));

    // The loader: customers' pages name it, so a new one must reach them within minutes.
    let (status, encoding, cache, body) = get(server.url("/widget.js"), Some("gzip, br")).await;
    assert_eq!(
        (status, encoding.as_str(), body.as_str()),
        (200, "gzip", "gzip loader")
    );
    assert_eq!(cache, "public, max-age=300");

    // Pages and what is not found are never kept.
    let (status, _, cache, _) = get(server.url("/login"), None).await;
    assert_eq!((status, cache.as_str()), (200, "no-store"));
    let (status, _, cache, _) = get(server.url("/pkg/nothing.js"), None).await;
    assert_eq!((status, cache.as_str()), (404, "no-store"));

    server.stop().await;
    let _ = std::fs::remove_dir_all(root);
}
