//! Files in the browser: picking one in a composer, uploading it (checked by the server against
//! the admin's rules), and showing a conversation's files to a visitor, fetched with the
//! visitor token in a header (never in a URL) and shown from a blob URL.

use leptos::prelude::*;
use switchboard_domain::Attachment;
use uuid::Uuid;

/// A file the user picked (the browser's `File`; nothing on the server).
#[derive(Clone)]
pub struct Picked {
    pub name: String,
    #[cfg(feature = "browser")]
    pub file: web_sys::File,
}

/// The visitor token, for the widget's files (the widget provides it).
#[derive(Clone, Copy)]
pub struct VisitorToken(pub Signal<Option<String>>);

/// The composer's "Attach a file" button: a file input behind a label.
#[component]
pub fn AttachButton(
    on_file: Callback<Picked>,
    #[prop(into)] disabled: Signal<bool>,
    #[prop(into)] busy: Signal<bool>,
) -> impl IntoView {
    let picked = move |ev: leptos::ev::Event| {
        #[cfg(feature = "browser")]
        {
            use wasm_bindgen::JsCast;
            let Some(input) = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            else {
                return;
            };
            if let Some(file) = input.files().and_then(|f| f.get(0)) {
                on_file.run(Picked {
                    name: file.name(),
                    file,
                });
            }
            // The same file may be picked again.
            input.set_value("");
        }
        #[cfg(not(feature = "browser"))]
        let _ = (ev, on_file);
    };
    view! {
        <label class="attach" class:busy=move || busy.get() title="Attach a file" data-testid="composer-attach">
            <input type="file" class="visually-hidden" data-testid="composer-file"
                disabled=move || disabled.get() || busy.get() on:change=picked/>
            <svg aria-hidden="true" width="18" height="18" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">
                <path d="M21.44 11.05l-9.19 9.19a6 6 0 0 1-8.49-8.49l9.19-9.19a4 4 0 0 1 5.66 5.66l-9.2 9.19a2 2 0 0 1-2.83-2.83l8.49-8.48"/>
            </svg>
            <span class="visually-hidden">"Attach a file"</span>
        </label>
    }
}

/// Uploads a picked file to `path` for `conversation_id` (with the visitor token when
/// given), and says what the server made of it.
#[cfg(feature = "browser")]
pub async fn upload(
    path: &str,
    conversation_id: Uuid,
    token: Option<&str>,
    picked: &Picked,
) -> Result<switchboard_wire::files::UploadedFile, crate::error::ApiError> {
    use crate::error::ApiError;
    let name = String::from(js_sys::encode_uri_component(&picked.name));
    let url = format!("{path}?conversation_id={conversation_id}&name={name}");
    let mut request = gloo_net::http::Request::post(&url);
    if let Some(t) = token {
        request = request.header(switchboard_wire::files::VISITOR_TOKEN_HEADER, t);
    }
    let file: &wasm_bindgen::JsValue = picked.file.as_ref();
    let response = request
        .body(file.clone())
        .map_err(|e| ApiError::Transport(e.to_string()))?
        .send()
        .await
        .map_err(|e| ApiError::Transport(e.to_string()))?;
    if response.ok() {
        response
            .json()
            .await
            .map_err(|e| ApiError::Transport(e.to_string()))
    } else {
        let status = response.status();
        Err(response
            .json::<ApiError>()
            .await
            .unwrap_or_else(|_| ApiError::Transport(format!("the upload failed (HTTP {status})"))))
    }
}

/// Uploads a picked file, then sends it with `send(file_id, client_msg_id)`, retried with
/// backoff while the failure is worth a retry (the client id makes it stored once). The
/// upload's refusal (a rule broken) comes back as is.
#[cfg(feature = "browser")]
pub async fn upload_and_send<F, Fut>(
    path: &str,
    conversation_id: Uuid,
    token: Option<&str>,
    picked: &Picked,
    send: F,
) -> Result<switchboard_domain::Message, crate::error::ApiError>
where
    F: Fn(Uuid, Uuid) -> Fut,
    Fut: std::future::Future<Output = Result<switchboard_domain::Message, crate::error::ApiError>>,
{
    let up = upload(path, conversation_id, token, picked).await?;
    let client_msg_id = crate::realtime::client::new_uuid();
    let mut attempt = 0u32;
    loop {
        match send(up.id, client_msg_id).await {
            Err(e) if e.is_retryable() && attempt < 5 => {
                attempt += 1;
                gloo_timers::future::TimeoutFuture::new(500 << attempt).await;
            }
            other => return other,
        }
    }
}

/// A file of the visitor's conversation, as the widget shows it: pictures as a thumbnail,
/// anything else as a download link with its name and size.
#[component]
pub fn VisitorFile(message_id: Uuid, attachment: Attachment) -> impl IntoView {
    let url = RwSignal::new(None::<String>);
    let failed = RwSignal::new(false);
    let label = attachment.label();
    let size = attachment.size.map(crate::components::format_size);
    let picture = attachment.kind.is_picture();
    #[cfg(feature = "browser")]
    {
        let token = use_context::<VisitorToken>().and_then(|t| t.0.get_untracked());
        let mime = attachment.mime.clone().unwrap_or_default();
        leptos::task::spawn_local(async move {
            match fetch_blob_url(message_id, token, &mime).await {
                Some(u) => url.set(Some(u)),
                None => failed.set(true),
            }
        });
        on_cleanup(move || {
            if let Some(u) = url.get_untracked() {
                let _ = web_sys::Url::revoke_object_url(&u);
            }
        });
    }
    #[cfg(not(feature = "browser"))]
    let _ = message_id;
    let name = label.clone();
    view! {
        <div class="attachment" data-testid="attachment" data-kind=attachment.kind.as_str()>
            {move || match (url.get(), picture) {
                (Some(u), true) => {
                    let src = u.clone();
                    Some(view! {
                        <a href=u download=name.clone() target="_blank" rel="noopener">
                            <img class="attachment-image" data-testid="attachment-image" src=src alt=name.clone()/>
                        </a>
                    }.into_any())
                }
                _ => None,
            }}
            {move || {
                let (label, size) = (label.clone(), size.clone());
                match url.get() {
                    Some(u) => view! {
                        <a class="attachment-file" data-testid="attachment-file" href=u download=label.clone()>
                            {label.clone()}
                            {size.map(|s| view! { <span class="muted">{format!(" · {s}")}</span> })}
                        </a>
                    }.into_any(),
                    None => view! {
                        <span class="attachment-file" data-testid="attachment-file">
                            {label.clone()}
                            {move || failed.get().then_some(" (could not be loaded)")}
                        </span>
                    }.into_any(),
                }
            }}
        </div>
    }
}

#[cfg(feature = "browser")]
async fn fetch_blob_url(message_id: Uuid, token: Option<String>, mime: &str) -> Option<String> {
    let token = token?;
    let url = format!(
        "{}/{message_id}",
        switchboard_wire::files::VISITOR_MEDIA_PATH
    );
    let response = gloo_net::http::Request::get(&url)
        .header(switchboard_wire::files::VISITOR_TOKEN_HEADER, &token)
        .send()
        .await
        .ok()?;
    if !response.ok() {
        return None;
    }
    let bytes = response.binary().await.ok()?;
    let array = js_sys::Uint8Array::from(bytes.as_slice());
    let parts = js_sys::Array::of1(&array);
    let options = web_sys::BlobPropertyBag::new();
    // Only what a browser renders as media keeps its type; the rest downloads.
    let shown = mime.starts_with("image/") && mime != "image/svg+xml";
    options.set_type(if shown {
        mime
    } else {
        "application/octet-stream"
    });
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options).ok()?;
    web_sys::Url::create_object_url_with_blob(&blob).ok()
}
