//! The site's static files (`LEPTOS_SITE_ROOT`): the bundles and style pages load under
//! content-hashed names, kept for a year; the precompressed copy the browser takes; and how
//! long every answer may be kept.
//!
//! The names are hashed by the server, not the build: at start-up it reads each bundle and the
//! style sheet and serves their files also under `/pkg/<hash>/`, the paths its pages ask for
//! (`app::Bundles`). A bundle is its JavaScript, its WebAssembly, and every file they name
//! beside or below them (`"./<path>"`): wasm-bindgen's snippets, the widget's chunk loader
//! and the chunks it fetches on first use. One directory per bundle keeps those relative names working, so a chunk joins the
//! very module instance the page loaded. A new build gives new paths, so those answers never
//! need revalidating; every node of one build computes the same ones. The plain names keep
//! working (revalidated on each use).

use app::state::AppState;
use app::Bundles;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use leptos::prelude::LeptosOptions;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use tower::ServiceExt;
use tower_http::services::ServeDir;

pub const NO_STORE: &str = "no-store";
/// A content-hashed name: its content never changes.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// What the site root holds under hashed names.
#[derive(Clone, Default)]
pub struct Assets {
    /// The names pages use.
    pub bundles: Bundles,
    /// Hashed path -> the file's own path (both from the site root, with a leading `/`).
    aliases: Arc<HashMap<String, String>>,
}

/// The first 16 hex digits of the SHA-256 of these files' contents, if all can be read.
fn digest(files: &[std::path::PathBuf]) -> Option<String> {
    let mut hash = Sha256::new();
    for file in files {
        hash.update(std::fs::read(file).ok()?);
        // Where one file ends: two files' contents never read as the same pair.
        hash.update([0]);
    }
    Some(hex::encode(&hash.finalize()[..8]))
}

/// The files a script names beside itself or below (`"./<path>"` or `'./<path>'`: wasm-bindgen's
/// imports of its snippets, a chunk loader, the chunks it fetches), never above.
fn named_beside(script: &str) -> impl Iterator<Item = &str> {
    script.match_indices("./").filter_map(|(at, _)| {
        // A string that starts there: `"./` or `'./`.
        let quote = at.checked_sub(1).map(|q| script.as_bytes()[q])?;
        if quote != b'"' && quote != b'\'' {
            return None;
        }
        let rest = &script[at + 2..];
        let end = rest.find(quote as char)?;
        let path = &rest[..end];
        let plain = path.split('/').all(|segment| {
            !segment.is_empty()
                && !segment.starts_with('.')
                && segment
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        });
        plain.then_some(path)
    })
}

/// A bundle's files (paths in `dir`): `<name>.js`, `<name>.wasm` and what its scripts name
/// beside or below them, followed from script to script. None if its script is missing.
fn bundle_files(dir: &Path, name: &str) -> Option<Vec<String>> {
    let mut files = vec![format!("{name}.js"), format!("{name}.wasm")];
    let mut i = 0;
    while i < files.len() {
        if files[i].ends_with(".js") {
            let script = std::fs::read_to_string(dir.join(&files[i])).ok()?;
            for named in named_beside(&script) {
                if !files.iter().any(|f| f == named) && dir.join(named).is_file() {
                    files.push(named.to_string());
                }
            }
        }
        i += 1;
    }
    Some(files)
}

impl Assets {
    /// Reads the bundles and the style sheet under the site root (a few megabytes, once, at
    /// start-up). What is missing keeps its plain name.
    pub fn scan(options: &LeptosOptions) -> Assets {
        let pkg = options.site_pkg_dir.trim_matches('/');
        let dir = Path::new(&*options.site_root).join(pkg);
        let mut aliases = HashMap::new();
        // Serves `files` also under `/pkg/<hash>/`; returns `<hash>/<name>`.
        let mut hashed = |name: &str, files: Vec<String>| -> Option<String> {
            let hash = digest(&files.iter().map(|f| dir.join(f)).collect::<Vec<_>>())?;
            for file in &files {
                aliases.insert(format!("/{pkg}/{hash}/{file}"), format!("/{pkg}/{file}"));
                if let Some(stem) = file.strip_suffix(".wasm").filter(|s| *s == name) {
                    // What leptos's hydration scripts ask for in a build not made by
                    // cargo-leptos (the tests'): wasm-bindgen's own name.
                    aliases.insert(
                        format!("/{pkg}/{hash}/{stem}_bg.wasm"),
                        format!("/{pkg}/{file}"),
                    );
                }
            }
            Some(format!("{hash}/{name}"))
        };
        let plain = Bundles::default();
        let output = &*options.output_name;
        let mut bundle = |name: &str| bundle_files(&dir, name).and_then(|f| hashed(name, f));
        let app = bundle(output).map_or(plain.app, Arc::from);
        let widget = bundle(app::widget::BUNDLE).map_or(plain.widget, Arc::from);
        let css = format!("{output}.css");
        let style = hashed(&css, vec![css.clone()]).map_or(plain.style, Arc::from);
        let bundles = Bundles { app, widget, style };
        tracing::debug!(?bundles, "static files");
        Assets {
            bundles,
            aliases: Arc::new(aliases),
        }
    }

    /// The file a hashed path names.
    fn resolve(&self, path: &str) -> Option<&str> {
        self.aliases.get(path).map(String::as_str)
    }
}

/// How long a file under the site root may be cached by its plain name: the bundles keep
/// their names from build to build, so browsers keep them but ask each time whether they
/// changed (a `304` when not); the widget's loader is named by customers' pages, so a new one
/// must reach them within minutes; the icons may be kept an hour.
fn cache_policy(path: &str) -> &'static str {
    if path.starts_with("/pkg/") {
        "public, no-cache"
    } else if path == "/widget.js" {
        "public, max-age=300"
    } else {
        "public, max-age=3600"
    }
}

/// A static file (the precompressed `.br` or `.gz` beside it when the browser takes it, and
/// `304` to a conditional request when unchanged), else the app's "not found" page. Every
/// answer says how long it may be kept.
pub async fn static_or_page(assets: Assets, state: State<AppState>, req: Request) -> Response {
    let path = req.uri().path().to_string();
    let (file, policy) = match assets.resolve(&path) {
        Some(file) => (file.to_string(), IMMUTABLE),
        None => (path.clone(), cache_policy(&path)),
    };
    if matches!(*req.method(), Method::GET | Method::HEAD) {
        let (mut parts, body) = req.into_parts();
        let Ok(uri) = Uri::builder().path_and_query(file.as_str()).build() else {
            let uri = parts.uri.clone();
            return not_found(uri, state, Request::from_parts(parts, body)).await;
        };
        let asked = std::mem::replace(&mut parts.uri, uri);
        let served = ServeDir::new(&*state.leptos_options.site_root)
            .precompressed_br()
            .precompressed_gzip()
            .append_index_html_on_directories(false)
            .oneshot(Request::from_parts(parts, body))
            .await;
        match served {
            Ok(res) if res.status() != StatusCode::NOT_FOUND => {
                let mut res = res.map(axum::body::Body::new);
                if res.status().is_success() || res.status() == StatusCode::NOT_MODIFIED {
                    // The answer depends on what the browser accepts: caches keep one copy
                    // per encoding.
                    let headers = res.headers_mut();
                    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
                    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
                } else {
                    res.headers_mut()
                        .insert(header::CACHE_CONTROL, HeaderValue::from_static(NO_STORE));
                }
                return res;
            }
            Ok(_) => {}
            Err(e) => match e {},
        }
        let mut req = Request::new(axum::body::Body::empty());
        *req.uri_mut() = asked.clone();
        return not_found(asked, state, req).await;
    }
    let uri = req.uri().clone();
    not_found(uri, state, req).await
}

/// The app's "not found" page (never kept).
async fn not_found(uri: Uri, state: State<AppState>, req: Request) -> Response {
    let handler = leptos_axum::file_and_error_handler::<AppState, _>(app::shell);
    let mut res = handler(uri, state, req).await.into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(NO_STORE));
    res
}

#[cfg(test)]
mod tests {
    use super::named_beside;

    #[test]
    fn a_script_names_files_beside_it_and_below_never_above() {
        let glue = r#"import * as import1 from "./__wasm_split.js"
            import { f } from './snippets/app-1a2b/inline0.js';
            fetch(new URL("./split_room.wasm", import.meta.url));
            import "../outside.js"; import "./.hidden.js"; import "./a//b.js";
            const url = "https://example.com/./x"; // not a file beside"#;
        assert_eq!(
            named_beside(glue).collect::<Vec<_>>(),
            [
                "__wasm_split.js",
                "snippets/app-1a2b/inline0.js",
                "split_room.wasm"
            ]
        );
    }
}
