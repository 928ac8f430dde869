//! The widget's WebAssembly entry: renders the chat into the `/widget` page
//! (`app::widget::shell`). Built on its own by `.ci/widget` beside the application's bundle
//! (`frontend`), with `app`'s `csr` feature: it reaches only the widget's components, and
//! carries none of leptos's hydration code.

/// Called by the page's loading script (leptos's, which names its entry `hydrate`): takes the
/// server's placeholder away and mounts the chat.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    let document = leptos::prelude::document();
    if let Some(boot) = document.get_element_by_id("widget-boot") {
        boot.remove();
    }
    leptos::mount::mount_to_body(app::widget::WidgetRoot);
    // A marker for tests (and a hook for styles): the page is interactive from here on.
    if let Some(body) = document.body() {
        let _ = body.set_attribute("data-hydrated", "true");
    }
}
