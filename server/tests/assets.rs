//! Static files: the precompressed copy the browser takes, how long each answer may be kept
//! (the bundle revalidated, the loader a few minutes, pages never), and the content-hashed
//! names pages load the bundles by (kept for good).

mod support;

use support::*;

/// A site root with a bundle and the loader, each with a precompressed copy beside it (the
/// copies' contents only mark which file was sent).
fn site() -> std::path::PathBuf {
    let root = std::env::temp_dir().join(format!("switchboard-site-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(root.join("pkg")).unwrap();
    for (path, body) in [
        ("pkg/switchboard.js", "the glue"),
        ("pkg/switchboard.css", "the style"),
        ("pkg/switchboard-widget.js", "the widget's glue"),
        ("pkg/switchboard-widget.wasm", "the widget's bundle"),
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
    // Files, not pages, vary by encoding.
    if res.status().is_success() && !matches!(res.url().path(), "/login" | "/widget") {
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

/// The path a page loads `<stem>.<…>.<ext>` by (an attribute's whole value).
fn named(page: &str, stem: &str, ext: &str) -> Option<String> {
    page.split('"')
        .find(|v| v.starts_with(&format!("/pkg/{stem}.")) && v.ends_with(&format!(".{ext}")))
        .map(str::to_string)
}

#[tokio::test]
async fn pages_load_bundles_by_content_hashed_names_kept_for_good() {
    let (_, url) = databases().await.remove(0);
    let root = site();
    let site_root = root.display().to_string();
    let start = || {
        TestServer::start_configured(&url, |c| {
            c.leptos_options.site_root = site_root.as_str().into();
        })
    };
    let server = start().await;
    let (status, _, _, login) = get(server.url("/login"), None).await;
    assert_eq!(status, 200);
    let js = named(&login, "switchboard", "js").expect("the bundle's glue");
    let wasm = named(&login, "switchboard", "wasm").expect("the bundle");
    let css = named(&login, "switchboard", "css").expect("the style sheet");
    // One hash for the glue and its WebAssembly (they are loaded as a pair), 16 hex digits.
    let hash = js
        .strip_prefix("/pkg/switchboard.")
        .and_then(|h| h.strip_suffix(".js"))
        .unwrap()
        .to_string();
    assert_eq!(hash.len(), 16, "{js}");
    assert!(hash.bytes().all(|b| b.is_ascii_hexdigit()), "{js}");
    // (`_bg.wasm` in a build not made by cargo-leptos, as this test's.)
    assert!(
        wasm.starts_with(&format!("/pkg/switchboard.{hash}")),
        "{wasm}"
    );
    assert_ne!(
        css,
        format!("/pkg/switchboard.{hash}.css"),
        "the style has its own"
    );

    let immutable = "public, max-age=31536000, immutable";
    for (path, body) in [(&js, "the glue"), (&css, "the style")] {
        let (status, _, cache, got) = get(server.url(path), None).await;
        assert_eq!(
            (status, cache.as_str(), got.as_str()),
            (200, immutable, body)
        );
    }
    // The precompressed copy under the hashed name too.
    let (status, encoding, cache, got) = get(server.url(&wasm), Some("br")).await;
    assert_eq!(
        (status, encoding.as_str(), cache.as_str(), got.as_str()),
        (200, "br", immutable, "brotli copy")
    );
    // A name no build of these files has is not found (and not kept).
    let (status, _, cache, _) = get(server.url("/pkg/switchboard.0123456789abcdef.js"), None).await;
    assert_eq!((status, cache.as_str()), (404, "no-store"));

    // The widget's page loads the widget's bundle, by its own hashed name.
    let (status, _, _, widget) = get(server.url("/widget"), None).await;
    assert_eq!(status, 200);
    let glue = named(&widget, "switchboard-widget", "js").expect("the widget's glue");
    assert_ne!(glue, "/pkg/switchboard-widget.js");
    assert!(
        named(&widget, "switchboard", "js").is_none(),
        "not the app's bundle"
    );
    let (status, _, cache, got) = get(server.url(&glue), None).await;
    assert_eq!(
        (status, cache.as_str(), got.as_str()),
        (200, immutable, "the widget's glue")
    );

    // Plain names are revalidated: unchanged, a conditional request gets a 304.
    let res = http()
        .get(server.url("/pkg/switchboard.js"))
        .send()
        .await
        .unwrap();
    let modified = res.headers()["last-modified"].clone();
    let res = http()
        .get(server.url("/pkg/switchboard.js"))
        .header("if-modified-since", modified)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 304);
    assert_eq!(res.headers()["cache-control"], "public, no-cache");
    server.stop().await;

    // A new build, new names; the old ones are gone.
    std::fs::write(root.join("pkg/switchboard.wasm"), "the next bundle").unwrap();
    let server = start().await;
    let (_, _, _, login) = get(server.url("/login"), None).await;
    let next = named(&login, "switchboard", "js").unwrap();
    assert_ne!(next, js);
    assert_eq!(
        named(&login, "switchboard", "css").unwrap(),
        css,
        "the style did not change"
    );
    assert_eq!(get(server.url(&js), None).await.0, 404);
    assert_eq!(get(server.url(&next), None).await.3, "the glue");
    server.stop().await;
    let _ = std::fs::remove_dir_all(root);
}
