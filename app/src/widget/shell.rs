//! The widget's page of its own: its HTML shell and the root its bundle mounts.
//!
//! The widget runs on customers' sites, on their visitors' phones, so it is not a route of the
//! agents' application: `/widget` is this shell, whose scripts load the widget's own
//! WebAssembly bundle (`frontend/widget`, built as [`BUNDLE`]), and the bundle renders the chat
//! in the browser. The server renders only a placeholder: the chat's first state depends on
//! the visitor's stored token, which only the browser has, so rendering it on the server would
//! gain nothing, and leaving hydration out keeps its code out of the bundle. A visitor never
//! downloads the inbox, the admin pages or the router.

use leptos::prelude::*;
use leptos_meta::provide_meta_context;

/// The widget's bundle's plain name in the site's `pkg/` directory (`BUNDLE.js`, `BUNDLE.wasm`).
pub const BUNDLE: &str = "switchboard-widget";

/// The whole `/widget` document.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    // The application's loading script, pointed at the widget's bundle (whose entry mounts
    // rather than hydrates).
    let bundles = crate::Bundles::current();
    let head = bundles.head(options, &bundles.widget);
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <title>"Chat · Switchboard"</title>
                {head}
            </head>
            <body>
                // Until the bundle mounts the chat (it removes this).
                <div id="widget-boot" class="widget">
                    <div class="widget-body loading">"Loading…"</div>
                </div>
            </body>
        </html>
    }
}

/// What the widget's bundle mounts: the chat.
#[component]
pub fn WidgetRoot() -> impl IntoView {
    provide_meta_context();
    view! { <super::WidgetPage/> }
}
