//! Switchboard's web layer: Leptos pages (rendered on the server, hydrated in the browser),
//! thin server functions over the engine, and the websocket adapter.
//!
//! A map: `auth/` sign-in and sessions · `widget/` the visitor's chat · `inbox/` the agents'
//! inbox · `admin/` settings and reports · `simulator/` the provider simulator (demo mode) ·
//! `realtime/` the socket endpoints and the browser's client. The rules are in `switchboard-domain` (`app/domain`), the wire types in
//! `switchboard-wire` (`app/wire`), everything server-side in `switchboard-engine`
//! (`app/engine`).

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
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{Redirect, Route, Router, Routes};
use leptos_router::{path, SsrMode};

pub fn shell(options: LeptosOptions) -> impl IntoView {
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
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
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
        <Stylesheet id="leptos" href="/pkg/switchboard.css"/>
        <Title text="Switchboard"/>
        <Router>
            <Routes fallback=|| view! { <NotFound/> }>
                <Route path=path!("/") view=|| view! { <Redirect path="/inbox"/> }/>
                <Route path=path!("/login") view=auth::LoginPage/>
                // Agent pages wait for their data before sending HTML (SsrMode::Async): nested
                // suspense boundaries streamed out of order can fail to hydrate on a busy machine.
                <Route path=path!("/inbox") view=inbox::InboxPage ssr=SsrMode::Async/>
                <Route path=path!("/widget") view=widget::WidgetPage/>
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
