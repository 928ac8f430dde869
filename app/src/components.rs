//! Pieces the widget and the inbox share: the message thread, the connection badge, and
//! sending with retries.

use crate::realtime::ConnState;
use leptos::prelude::*;
use switchboard_domain::{DeliveryStatus, Message, PendingState, SenderKind, Thread, Visibility};

/// Whose eyes a thread is drawn for: "mine" is on the right.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer {
    Visitor,
    Agent,
}

pub fn format_time(millis: i64) -> String {
    let d = local(millis);
    format!("{:02}:{:02}", d.hour, d.minute)
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// "2 Dec 2026, 14:05".
pub fn format_day_time(millis: i64) -> String {
    let d = local(millis);
    format!(
        "{} {} {}, {:02}:{:02}",
        d.day,
        MONTHS[d.month as usize % 12],
        d.year,
        d.hour,
        d.minute
    )
}

/// A message's time: "14:05" today, "2 Dec, 14:05" earlier this year, "2 Dec 2025, 14:05"
/// before that.
pub fn format_stamp(millis: i64, now: i64) -> String {
    let (d, today) = (local(millis), local(now));
    if (d.year, d.month, d.day) == (today.year, today.month, today.day) {
        format_time(millis)
    } else if d.year == today.year {
        format!(
            "{} {}, {:02}:{:02}",
            d.day,
            MONTHS[d.month as usize % 12],
            d.hour,
            d.minute
        )
    } else {
        format_day_time(millis)
    }
}

/// The day a moment falls on, by the reader's clock (for day separators).
pub fn day_of(millis: i64) -> (i64, u32, u32) {
    let d = local(millis);
    (d.year, d.month, d.day)
}

/// "Today", "Yesterday", or "Wed 2 Dec 2026".
pub fn day_label(millis: i64, now: i64) -> String {
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    let day = day_of(millis);
    if day == day_of(now) {
        return "Today".into();
    }
    if day == day_of(now - 86_400_000) {
        return "Yesterday".into();
    }
    let d = local(millis);
    // Days since 1970-01-01 (a Thursday), by the reader's calendar.
    let days = days_from_civil(d.year, d.month + 1, d.day);
    format!(
        "{} {} {} {}",
        WEEKDAYS[days.rem_euclid(7) as usize],
        d.day,
        MONTHS[d.month as usize % 12],
        d.year
    )
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm; `month` from 1).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Now, in unix milliseconds, by the reader's clock.
pub fn clock_now() -> i64 {
    #[cfg(feature = "browser")]
    return js_sys::Date::now() as i64;
    #[cfg(not(feature = "browser"))]
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A moment as the reader's clock shows it (the browser's local time; UTC on the server).
struct Local {
    year: i64,
    /// 0 for January.
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
}

#[cfg(feature = "browser")]
fn local(millis: i64) -> Local {
    // The browser's local time, without pulling in a date library.
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(millis as f64));
    Local {
        year: i64::from(d.get_full_year()),
        month: d.get_month(),
        day: d.get_date(),
        hour: d.get_hours(),
        minute: d.get_minutes(),
    }
}

#[cfg(not(feature = "browser"))]
fn local(millis: i64) -> Local {
    // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    let secs = millis.div_euclid(1000);
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    Local {
        year,
        month: month - 1,
        day,
        hour: (rest / 3600) as u32,
        minute: ((rest / 60) % 60) as u32,
    }
}

fn bubble_class(m: &Message, viewer: Viewer) -> &'static str {
    match (m.sender.kind, m.visibility, viewer) {
        (_, Visibility::Internal, _) => "msg internal",
        (SenderKind::System, _, _) => "msg system",
        (SenderKind::Visitor, _, Viewer::Visitor) | (SenderKind::Agent, _, Viewer::Agent) => {
            "msg mine"
        }
        _ => "msg theirs",
    }
}

/// A conversation's messages, newest at the bottom. With `has_older`, a button at the top
/// (and scrolling to the top) asks for the page before the first shown.
#[component]
pub fn MessageList(
    thread: RwSignal<Thread>,
    viewer: Viewer,
    #[prop(into)] on_retry: Callback<uuid::Uuid>,
    #[prop(optional, into)] has_older: Signal<bool>,
    #[prop(optional)] on_older: Option<Callback<()>>,
    /// Offers "Delete comment" on the contact's comments, while `comments` says the
    /// conversation is about a post (agents only).
    #[prop(optional)]
    on_remove: Option<Callback<uuid::Uuid>>,
    #[prop(optional, into)] comments: Signal<bool>,
) -> impl IntoView {
    let list_ref = NodeRef::<leptos::html::Div>::new();
    // Keep the newest message in view when one arrives; when older ones are added above,
    // keep the reader where they were.
    let height = StoredValue::new(0i32);
    Effect::new(move |last: Option<(u64, u64, usize)>| {
        let now = thread.with(|t| (t.oldest(), t.watermark(), t.pending().len()));
        if let Some(el) = list_ref.get() {
            match last {
                Some((oldest, newest, pending))
                    if (newest, pending) == (now.1, now.2) && oldest != now.0 =>
                {
                    el.set_scroll_top(el.scroll_top() + el.scroll_height() - height.get_value());
                }
                Some(same) if same == now => {}
                _ => el.set_scroll_top(el.scroll_height()),
            }
            height.set_value(el.scroll_height());
        }
        now
    });
    let older = move || {
        if let Some(cb) = on_older {
            cb.run(());
        }
    };
    let on_scroll = move |_| {
        if let Some(el) = list_ref.get_untracked() {
            if el.scroll_top() <= 0 && has_older.get_untracked() {
                older();
            }
        }
    };
    view! {
        <div class="messages" node_ref=list_ref data-testid="messages" on:scroll=on_scroll>
            <Show when=move || has_older.get() && on_older.is_some()>
                <button class="link older" data-testid="older-messages" on:click=move |_| older()>"Show earlier messages"</button>
            </Show>
            <For
                each=move || thread.with(|t| t.messages().cloned().collect::<Vec<_>>())
                key=|m| m.seq
                children=move |m: Message| {
                    let class = bubble_class(&m, viewer);
                    let show_name = m.sender.kind != SenderKind::System;
                    // A day's first message carries the day above it (older pages may move it).
                    let (seq, at) = (m.seq, m.created_at);
                    let day = move || {
                        let first = thread.with(|t| {
                            t.messages()
                                .rev()
                                .find(|x| x.seq < seq)
                                .is_none_or(|prev| day_of(prev.created_at) != day_of(at))
                        });
                        first.then(|| view! {
                            <div class="day" role="separator" data-testid="day-separator">{day_label(at, clock_now())}</div>
                        })
                    };
                    view! {
                        {day}
                        <div class=class data-seq=m.seq data-testid="message">
                            {show_name.then(|| view! { <span class="who">{m.sender.name.clone()}</span> })}
                            {(m.visibility == Visibility::Internal).then(|| view! { <span class="tag">"Internal note"</span> })}
                            {m.reply_to.as_ref().map(|r| view! {
                                <span class="tag" data-testid="reply-kind">{if r.private { "Private reply" } else { "Comment reply" }}</span>
                            })}
                            {match (&m.attachment, viewer) {
                                (Some(a), Viewer::Agent) => {
                                    let seq = m.seq;
                                    let a = a.clone();
                                    // A file the contact deleted is gone from view too.
                                    (move || {
                                        let gone = thread.with(|t| {
                                            t.text(seq).is_some_and(|(_, x)| x == Some(switchboard_domain::Altered::Withdrawn))
                                        });
                                        (!gone).then(|| attachment_view(m.id, &a))
                                    }).into_any()
                                }
                                (Some(a), Viewer::Visitor) => view! {
                                    <crate::attachments::VisitorFile message_id=m.id attachment=a.clone()/>
                                }.into_any(),
                                _ => body_view(thread, m.seq).into_any(),
                            }}
                            {altered_tag(thread, m.seq)}
                            <span class="time" title=format_day_time(m.created_at)>{format_stamp(m.created_at, clock_now())}</span>
                            {(viewer == Viewer::Agent && m.delivery.is_some()).then(|| delivery_line(thread, m.seq))}
                            {
                                let (seq, id) = (m.seq, m.id);
                                let contact_wrote = viewer == Viewer::Agent
                                    && m.sender.kind == SenderKind::Visitor
                                    && m.channel.has_comments();
                                move || (contact_wrote && comments.get())
                                    .then_some(on_remove)
                                    .flatten()
                                    .map(|remove| comment_actions(thread, seq, id, remove))
                            }
                        </div>
                    }
                }
            />
            <For
                each=move || thread.with(|t| t.pending().to_vec())
                key=|p| (p.client_msg_id, p.attempts, matches!(p.state, PendingState::Failed(_)))
                children=move |p| {
                    let id = p.client_msg_id;
                    let failed = match &p.state {
                        PendingState::Failed(e) => Some(e.clone()),
                        PendingState::Sending => None,
                    };
                    view! {
                        <div class="msg mine pending" data-testid="pending-message">
                            <p class="body">{p.body.clone()}</p>
                            {match failed {
                                None => view! { <span class="time">"Sending…"</span> }.into_any(),
                                Some(e) => view! {
                                    <span class="time failed">
                                        {e} " "
                                        <button class="link" on:click=move |_| on_retry.run(id)>"Retry"</button>
                                    </span>
                                }.into_any(),
                            }}
                        </div>
                    }
                }
            />
        </div>
    }
}

/// A contact's comment: deleted from its post, or a button to delete it.
fn comment_actions(
    thread: RwSignal<Thread>,
    seq: u64,
    id: uuid::Uuid,
    remove: Callback<uuid::Uuid>,
) -> impl IntoView {
    move || {
        if thread.with(|t| t.removed(seq)) {
            view! { <span class="tag removed" data-testid="removed">"Deleted from the post"</span> }
                .into_any()
        } else {
            view! { <button class="link delete-comment" data-testid="delete-comment" on:click=move |_| remove.run(id)>"Delete comment"</button> }.into_any()
        }
    }
}

/// A message's text, kept up to date when its author edits or deletes it.
fn body_view(thread: RwSignal<Thread>, seq: u64) -> impl IntoView {
    move || {
        let (text, altered) = thread.with(|t| {
            t.text(seq)
                .map(|(b, a)| (b.to_string(), a))
                .unwrap_or_default()
        });
        match altered {
            Some(switchboard_domain::Altered::Withdrawn) => view! {
                <p class="body withdrawn" data-testid="withdrawn">"The contact deleted this message."</p>
            }
            .into_any(),
            _ => view! { <p class="body">{text}</p> }.into_any(),
        }
    }
}

/// "Edited", "Deleted by the contact", "Hidden on the post".
fn altered_tag(thread: RwSignal<Thread>, seq: u64) -> impl IntoView {
    move || {
        thread
            .with(|t| t.text(seq).and_then(|(_, a)| a))
            .map(|a| view! { <span class="tag" data-testid="altered" data-altered=a.as_str()>{a.label()}</span> })
    }
}

/// Where the server gives a message's file (to signed-in agents).
pub fn media_url(message_id: uuid::Uuid) -> String {
    format!("/media/{message_id}")
}

/// "340 KB", "1.2 MB".
pub fn format_size(bytes: u64) -> String {
    switchboard_domain::files::human_size(bytes)
}

/// A message's file: pictures as a thumbnail opening the full size, audio and video with the
/// browser's player, anything else as a link with its name and size. The body names it, so
/// lists and previews read well too.
fn attachment_view(message_id: uuid::Uuid, a: &switchboard_domain::Attachment) -> impl IntoView {
    use switchboard_domain::MediaKind;
    let url = media_url(message_id);
    let label = a.label();
    let size = a.size.map(format_size);
    let link = {
        let (url, label) = (url.clone(), label.clone());
        view! {
            <a class="attachment-file" data-testid="attachment-file" href=url target="_blank" rel="noopener">
                {label}
                {size.map(|s| view! { <span class="muted">{format!(" · {s}")}</span> })}
            </a>
        }
    };
    let player = match a.kind {
        k if k.is_picture() => Some(view! {
            <a href=url.clone() target="_blank" rel="noopener">
                <img class="attachment-image" data-testid="attachment-image" src=url.clone() alt=label.clone() loading="lazy"/>
            </a>
        }.into_any()),
        MediaKind::Video => Some(view! { <video class="attachment-media" controls preload="metadata" src=url.clone()></video> }.into_any()),
        MediaKind::Audio => Some(view! { <audio class="attachment-media" controls preload="none" src=url.clone()></audio> }.into_any()),
        _ => None,
    };
    view! {
        <div class="attachment" data-testid="attachment" data-kind=format!("{:?}", a.kind).to_lowercase()>
            {player}
            {link}
        </div>
    }
}

/// How far an agent's message on a provider channel got, kept up to date as receipts come.
fn delivery_line(thread: RwSignal<Thread>, seq: u64) -> impl IntoView {
    let delivery = move || thread.with(|t| t.delivery(seq).cloned());
    let status = move || delivery().map(|d| d.status.as_str()).unwrap_or("queued");
    let text = move || match delivery() {
        None => String::new(),
        Some(d) => match d.status {
            DeliveryStatus::Queued => "Sending…".into(),
            DeliveryStatus::Sent => "Sent".into(),
            DeliveryStatus::Delivered => "Delivered".into(),
            DeliveryStatus::Read => "Read".into(),
            DeliveryStatus::Failed => format!(
                "Not delivered: {}",
                d.reason
                    .unwrap_or_else(|| "the provider refused it.".into())
            ),
        },
    };
    view! {
        <span
            class=move || format!("delivery delivery-{}", status())
            data-testid="delivery"
            data-status=status
        >{text}</span>
    }
}

#[component]
pub fn ConnectionBadge(state: RwSignal<ConnState>) -> impl IntoView {
    view! {
        <span
            class=move || format!("conn conn-{}", state.get().as_str())
            data-testid="connection"
            data-state=move || state.get().as_str()
            title=move || state.get().label()
        >
            <span class="dot"></span>
            <span class="label">{move || state.get().label()}</span>
        </span>
    }
}

/// A message box: Enter sends, Shift+Enter starts a new line. With `on_typing`, it says when
/// its user starts typing (repeated while typing goes on) and stops (sent, blurred, emptied or
/// paused); see `realtime::typing::Pulse`.
#[component]
pub fn Composer(
    #[prop(into)] on_send: Callback<String>,
    #[prop(into)] placeholder: Signal<String>,
    #[prop(optional, into)] disabled: Signal<bool>,
    #[prop(optional)] on_typing: Option<Callback<bool>>,
    /// Offers "Attach a file"; the callback gets what was picked.
    #[prop(optional)]
    on_file: Option<Callback<crate::attachments::Picked>>,
    /// A file is being uploaded.
    #[prop(optional, into)]
    uploading: Signal<bool>,
    /// The text being written, when its owner wants to read or set it (canned responses).
    #[prop(optional)]
    draft: Option<RwSignal<String>>,
    /// Sees each key first; `true` when it took the key (a suggestion list's arrows and Enter).
    #[prop(optional)]
    on_key: Option<Callback<leptos::ev::KeyboardEvent, bool>>,
) -> impl IntoView {
    use crate::realtime::typing::Pulse;
    let text = draft.unwrap_or_else(|| RwSignal::new(String::new()));
    let pulse = StoredValue::new(Pulse::default());
    let area = NodeRef::<leptos::html::Textarea>::new();
    // An emoji goes where the cursor is (at the end when the box never had focus).
    let on_pick = Callback::new(move |emoji: String| {
        let current = text.get_untracked();
        let at = area
            .get_untracked()
            .and_then(|el| el.selection_start().ok().flatten())
            .map(|utf16| {
                // The browser counts UTF-16 units; find the byte offset.
                let mut units = 0u32;
                current
                    .char_indices()
                    .find(|(_, c)| {
                        let before = units;
                        units += c.len_utf16() as u32;
                        before >= utf16
                    })
                    .map_or(current.len(), |(i, _)| i)
            })
            .unwrap_or(current.len());
        let mut next = current.clone();
        next.insert_str(at, &emoji);
        text.set(next);
        if let Some(el) = area.get_untracked() {
            let _ = el.focus();
            let cursor = next_cursor(&current[..at], &emoji);
            let _ = el.set_selection_range(cursor, cursor);
        }
    });
    let tell = move |change: Option<Option<bool>>| {
        if let (Some(cb), Some(Some(on))) = (on_typing, change) {
            cb.run(on);
        }
    };
    let send = move || {
        let body = text.get_untracked();
        if body.trim().is_empty() {
            return;
        }
        tell(pulse.try_update_value(Pulse::stop));
        on_send.run(body);
        text.set(String::new());
    };
    let input = move |value: String| {
        let has_text = !value.trim().is_empty();
        text.set(value);
        if on_typing.is_none() {
            return;
        }
        let now = browser_now();
        tell(pulse.try_update_value(|p| p.input(has_text, now)));
        #[cfg(feature = "browser")]
        leptos::task::spawn_local(async move {
            let wait = crate::realtime::typing::PAUSE_MS as u32 + 100;
            gloo_timers::future::TimeoutFuture::new(wait).await;
            let now = browser_now();
            tell(pulse.try_update_value(|p| p.idle(now)));
        });
    };
    view! {
        <form class="composer" on:submit=move |ev| { ev.prevent_default(); send(); }>
            <textarea
                rows="2"
                node_ref=area
                data-testid="composer-input"
                placeholder=move || placeholder.get()
                prop:value=move || text.get()
                disabled=move || disabled.get()
                maxlength=switchboard_domain::message::BODY_MAX_CHARS
                on:input=move |ev| input(event_target_value(&ev))
                on:blur=move |_| tell(pulse.try_update_value(Pulse::stop))
                on:keydown=move |ev| {
                    if on_key.is_some_and(|k| k.run(ev.clone())) {
                        ev.prevent_default();
                        return;
                    }
                    if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
                        ev.prevent_default();
                        send();
                    }
                }
            ></textarea>
            <crate::emoji::EmojiPicker on_pick disabled/>
            {on_file.map(|on_file| view! { <crate::attachments::AttachButton on_file disabled busy=uploading/> })}
            <button type="submit" class="primary" data-testid="composer-send" disabled=move || disabled.get()>"Send"</button>
        </form>
    }
}

/// Where the cursor goes after inserting `inserted` after `before` (UTF-16 units, as the
/// browser counts).
fn next_cursor(before: &str, inserted: &str) -> u32 {
    (before.encode_utf16().count() + inserted.encode_utf16().count()) as u32
}

/// The browser's clock in milliseconds (0 on the server, where nobody types).
pub fn browser_now() -> f64 {
    #[cfg(feature = "browser")]
    {
        js_sys::Date::now()
    }
    #[cfg(not(feature = "browser"))]
    {
        0.0
    }
}

/// "Ana is typing…" under a conversation, while anyone is (the signal's owner keeps it fresh
/// with `realtime::typing::keep_fresh`).
#[component]
pub fn TypingLine(typing: RwSignal<crate::realtime::typing::Typing>) -> impl IntoView {
    view! {
        <p class="typing-line" data-testid="typing" aria-live="polite">
            {move || typing.with(|t| t.line()).unwrap_or_default()}
        </p>
    }
}

/// Sends a message in the background until the server confirms it. Transient failures are
/// retried with backoff under the same client id, so the server stores it once; a refusal
/// (say, too long) is shown on the message with a Retry button.
#[cfg(feature = "browser")]
pub fn deliver<F, Fut>(thread: RwSignal<Thread>, client_msg_id: uuid::Uuid, body: String, send: F)
where
    F: Fn(uuid::Uuid, String) -> Fut + 'static,
    Fut: std::future::Future<Output = Result<Message, crate::error::ApiError>> + 'static,
{
    leptos::task::spawn_local(async move {
        let mut attempt: u32 = 0;
        loop {
            match send(client_msg_id, body.clone()).await {
                Ok(message) => {
                    thread.update(|t| {
                        t.apply(message);
                    });
                    return;
                }
                Err(e) if e.is_retryable() && attempt < 10 => {
                    attempt += 1;
                    thread
                        .update(|t| t.mark_failed(client_msg_id, "Not sent yet, retrying…".into()));
                    let wait = (500u32 << attempt.min(5)).min(10_000);
                    gloo_timers::future::TimeoutFuture::new(wait).await;
                    thread.update(|t| {
                        t.retry(client_msg_id);
                    });
                }
                Err(e) => {
                    thread.update(|t| t.mark_failed(client_msg_id, e.to_string()));
                    return;
                }
            }
        }
    });
}

#[cfg(all(test, not(feature = "browser")))]
mod tests {
    use super::*;

    #[test]
    fn times_read_as_the_day_they_are_on() {
        // 2026-12-02 14:05:00 UTC and 2025-02-28 23:59:00 UTC.
        let t = 1_796_220_300_000;
        assert_eq!(format_time(t), "14:05");
        assert_eq!(format_day_time(t), "2 Dec 2026, 14:05");
        assert_eq!(format_stamp(t, t + 60_000), "14:05");
        assert_eq!(format_stamp(t - 86_400_000, t), "1 Dec, 14:05");
        assert_eq!(format_stamp(1_740_787_140_000, t), "28 Feb 2025, 23:59");
        assert_eq!(format_day_time(951_782_400_000), "29 Feb 2000, 00:00");
        assert_eq!(day_label(t, t + 1000), "Today");
        assert_eq!(day_label(t - 86_400_000, t), "Yesterday");
        assert_eq!(day_label(t - 2 * 86_400_000, t), "Mon 30 Nov 2026");
        assert_eq!(day_label(951_782_400_000, t), "Tue 29 Feb 2000");
        assert_eq!(days_from_civil(1970, 1, 1), 0);
    }
}
