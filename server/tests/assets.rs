//! Static files: the precompressed copy the browser takes, how long each answer may be kept
//! (the bundle revalidated, the loader a few minutes, pages never), and the content-hashed
//! paths pages load the bundles by (kept for good), chunks loaded on first use included.

mod support;

use support::*;

/// A site root with the bundles and the loader, some with a precompressed copy beside them
/// (the copies' contents only mark which file was sent). The widget's bundle is split: its
/// glue imports a chunk loader beside it, which fetches a chunk beside it.
fn site() -> std::path::PathBuf {
    let root = std::env::temp_dir().join(format!("switchboard-site-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(root.join("pkg")).unwrap();
    for (path, body) in [
        ("pkg/switchboard.js", "the glue"),
        ("pkg/switchboard.css", "the style"),
        (
            "pkg/switchboard-widget.js",
            "the widget's glue, import \"./__wasm_split.js\"",
        ),
        (
            "pkg/__wasm_split.js",
            "import \"./switchboard-widget.js\"; fetch(\"./split_room.wasm\")",
        ),
        ("pkg/split_room.wasm", "the chat room"),
        ("pkg/split_room.wasm.br", "the chat room, brotli"),
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

/// The path a page loads `<stem>.<ext>` by under a hash (an attribute's whole value), and
/// that hash. (`_bg.wasm` for the WebAssembly in a build not made by cargo-leptos, as this
/// test's.)
fn named(page: &str, stem: &str, ext: &str) -> Option<(String, String)> {
    page.split('"').find_map(|v| {
        let rest = v.strip_prefix("/pkg/")?;
        let (hash, file) = rest.split_once('/')?;
        let wanted = [format!("{stem}.{ext}"), format!("{stem}_bg.{ext}")];
        wanted
            .contains(&file.to_string())
            .then(|| (v.to_string(), hash.to_string()))
    })
}

#[tokio::test]
async fn pages_load_bundles_by_content_hashed_paths_kept_for_good() {
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
    let (js, hash) = named(&login, "switchboard", "js").expect("the bundle's glue");
    let (wasm, wasm_hash) = named(&login, "switchboard", "wasm").expect("the bundle");
    let (css, css_hash) = named(&login, "switchboard", "css").expect("the style sheet");
    // One hash for the glue and its WebAssembly (they are loaded as a pair), 16 hex digits.
    assert_eq!(hash.len(), 16, "{js}");
    assert!(hash.bytes().all(|b| b.is_ascii_hexdigit()), "{js}");
    assert_eq!(wasm_hash, hash);
    assert_ne!(css_hash, hash, "the style has its own");

    let immutable = "public, max-age=31536000, immutable";
    for (path, body) in [(&js, "the glue"), (&css, "the style")] {
        let (status, _, cache, got) = get(server.url(path), None).await;
        assert_eq!(
            (status, cache.as_str(), got.as_str()),
            (200, immutable, body)
        );
    }
    // The precompressed copy under the hashed path too.
    let (status, encoding, cache, got) = get(server.url(&wasm), Some("br")).await;
    assert_eq!(
        (status, encoding.as_str(), cache.as_str(), got.as_str()),
        (200, "br", immutable, "brotli copy")
    );
    // A hash no build of these files has is not found (and not kept), nor is a file of
    // another bundle under this one's hash.
    for path in [
        "/pkg/0123456789abcdef/switchboard.js".to_string(),
        format!("/pkg/{hash}/__wasm_split.js"),
        format!("/pkg/{hash}/switchboard.css"),
    ] {
        let (status, _, cache, _) = get(server.url(&path), None).await;
        assert_eq!((status, cache.as_str()), (404, "no-store"), "{path}");
    }

    // The widget's page loads the widget's bundle, under its own hash, and the chunk loader
    // and the chunk its glue names are there beside it.
    let (status, _, _, widget) = get(server.url("/widget"), None).await;
    assert_eq!(status, 200);
    let (glue, widget_hash) =
        named(&widget, "switchboard-widget", "js").expect("the widget's glue");
    assert_ne!(widget_hash, hash);
    assert!(
        named(&widget, "switchboard", "js").is_none(),
        "not the app's bundle"
    );
    let (status, _, cache, got) = get(server.url(&glue), None).await;
    assert_eq!((status, cache.as_str()), (200, immutable));
    assert!(got.starts_with("the widget's glue"), "{got}");
    let loader = format!("/pkg/{widget_hash}/__wasm_split.js");
    let (status, _, cache, got) = get(server.url(&loader), None).await;
    assert_eq!((status, cache.as_str()), (200, immutable));
    assert!(got.contains("split_room.wasm"), "{got}");
    let chunk = format!("/pkg/{widget_hash}/split_room.wasm");
    let (status, encoding, cache, got) = get(server.url(&chunk), Some("br")).await;
    assert_eq!(
        (status, encoding.as_str(), cache.as_str(), got.as_str()),
        (200, "br", immutable, "the chat room, brotli")
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

    // A new build, new paths; the old ones are gone. A new chunk alone gives its bundle a
    // new hash, and leaves the others' as they were.
    std::fs::write(root.join("pkg/switchboard.wasm"), "the next bundle").unwrap();
    std::fs::write(root.join("pkg/split_room.wasm"), "the next chat room").unwrap();
    let server = start().await;
    let (_, _, _, login) = get(server.url("/login"), None).await;
    let (next, _) = named(&login, "switchboard", "js").unwrap();
    assert_ne!(next, js);
    assert_eq!(
        named(&login, "switchboard", "css").unwrap().0,
        css,
        "the style did not change"
    );
    assert_eq!(get(server.url(&js), None).await.0, 404);
    assert_eq!(get(server.url(&next), None).await.3, "the glue");
    let (_, _, _, widget) = get(server.url("/widget"), None).await;
    let (_, next_widget) = named(&widget, "switchboard-widget", "js").unwrap();
    assert_ne!(next_widget, widget_hash);
    assert_eq!(get(server.url(&chunk), None).await.0, 404);
    let chunk = format!("/pkg/{next_widget}/split_room.wasm");
    assert_eq!(get(server.url(&chunk), None).await.3, "the next chat room");
    server.stop().await;
    let _ = std::fs::remove_dir_all(root);
}
