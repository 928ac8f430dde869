//! Switchboard's web layer: Leptos pages (rendered on the server, hydrated in the browser),
//! thin server functions over the engine, and the websocket adapter.
//!
//! A map: `auth/` sign-in and sessions · `widget/` the visitor's chat (a page and a bundle of
//! its own, outside the application's router) · `inbox/` the agents' inbox · `admin/` settings
//! and reports · `simulator/` the provider simulator (demo mode) · `realtime/` the socket
//! endpoints and the browser's client. The rules are in `switchboard-domain` (`app/domain`),
//! the wire types in `switchboard-wire` (`app/wire`), everything server-side in
//! `switchboard-engine` (`app/engine`).

#![recursion_limit = "256"]

pub mod admin;
pub mod attachments;
pub mod auth;
pub mod canned;
pub mod components;
pub mod emoji;
pub mod error;
#[cfg(feature = "ssr")]
pub mod files;
pub mod inbox;
pub mod realtime;
pub mod simulator;
pub mod widget;

#[cfg(feature = "ssr")]
pub mod state;

pub use switchboard_domain as domain;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::components::{Redirect, Route, Router, Routes};
use leptos_router::{path, SsrMode};

/// The names pages load the bundles and the style sheet by, in the site's `pkg/` directory:
/// under a content hash (`<hash>/switchboard`) when the server found the files at start-up
/// (`server/src/assets.rs`, in the render's context), else the plain names.
#[derive(Debug, Clone, PartialEq)]
pub struct Bundles {
    /// The application's bundle (`<app>.js`, `<app>.wasm`).
    pub app: std::sync::Arc<str>,
    /// The widget's bundle.
    pub widget: std::sync::Arc<str>,
    /// The style sheet's file name.
    pub style: std::sync::Arc<str>,
}

impl Default for Bundles {
    fn default() -> Self {
        Bundles {
            app: "switchboard".into(),
            widget: widget::BUNDLE.into(),
            style: "switchboard.css".into(),
        }
    }
}

impl Bundles {
    /// The names in this render's context.
    pub fn current() -> Bundles {
        use_context::<Bundles>().unwrap_or_default()
    }

    /// For a page's `<head>`: the style sheet's link, and leptos's script that loads `bundle`
    /// (one of these names) and calls its entry.
    pub fn head(&self, mut options: LeptosOptions, bundle: &std::sync::Arc<str>) -> impl IntoView {
        let href = format!("/{}/{}", options.site_pkg_dir.trim_matches('/'), self.style);
        options.output_name = bundle.clone();
        view! {
            <link id="leptos" rel="stylesheet" href=href/>
            <HydrationScripts options/>
        }
    }
}

pub fn shell(options: LeptosOptions) -> impl IntoView {
    let bundles = Bundles::current();
    let head = bundles.head(options.clone(), &bundles.app);
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <link rel="manifest" href="/manifest.webmanifest"/>
                <link rel="apple-touch-icon" href="/icons/icon-192.png"/>
                <meta name="theme-color" content="#2f5bea"/>
                <AutoReload options/>
                {head}
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Title text="Switchboard"/>
        <Router>
            <Routes fallback=|| view! { <NotFound/> }>
                <Route path=path!("/") view=|| view! { <Redirect path="/inbox"/> }/>
                <Route path=path!("/login") view=auth::LoginPage/>
                // Agent pages wait for their data before sending HTML (SsrMode::Async): nested
                // suspense boundaries streamed out of order can fail to hydrate on a busy machine.
                <Route path=path!("/inbox") view=inbox::InboxPage ssr=SsrMode::Async/>
                <Route path=path!("/admin") view=admin::AdminPage ssr=SsrMode::Async/>
                <Route path=path!("/responses") view=canned::CannedPage ssr=SsrMode::Async/>
                <Route path=path!("/simulator") view=simulator::SimulatorPage/>
            </Routes>
        </Router>
    }
}

#[component]
fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
        resp.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <main class="center-page">
            <div class="card">
                <h1>"Page not found"</h1>
                <p><a href="/inbox">"Go to the inbox"</a></p>
            </div>
        </main>
    }
}
