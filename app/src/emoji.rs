//! The composers' emoji picker: a button that opens a searchable grid by category; a pick goes
//! where the cursor is.

use leptos::prelude::*;

/// Emoji by category, each with the words a search finds it by.
pub const EMOJI: &[(&str, &[(&str, &str)])] = &[
    (
        "Smileys",
        &[
            ("😀", "grinning smile happy"),
            ("😊", "smiling blush happy"),
            ("🙂", "slight smile"),
            ("😉", "wink"),
            ("😂", "joy laughing tears"),
            ("🤣", "rolling laughing"),
            ("😍", "heart eyes love"),
            ("🤔", "thinking"),
            ("😅", "sweat smile relief"),
            ("😮", "surprised wow"),
            ("😢", "crying sad"),
            ("😞", "disappointed sad"),
            ("😡", "angry"),
            ("😴", "sleeping tired"),
            ("🙏", "pray thanks please"),
            ("🤝", "handshake deal"),
        ],
    ),
    (
        "Gestures",
        &[
            ("👍", "thumbs up yes ok like"),
            ("👎", "thumbs down no dislike"),
            ("👌", "ok perfect"),
            ("👋", "wave hello bye"),
            ("👏", "clap applause"),
            ("🙌", "raised hands celebrate"),
            ("💪", "strong muscle"),
            ("✌️", "victory peace"),
        ],
    ),
    (
        "Symbols",
        &[
            ("❤️", "heart love"),
            ("✅", "check done yes"),
            ("❌", "cross no wrong"),
            ("⚠️", "warning"),
            ("❓", "question"),
            ("❗", "exclamation important"),
            ("⭐", "star favourite"),
            ("🎉", "party celebrate tada"),
            ("🔥", "fire hot"),
            ("💯", "hundred perfect"),
        ],
    ),
    (
        "Things",
        &[
            ("📦", "package parcel box delivery"),
            ("🚚", "truck delivery shipping"),
            ("💳", "credit card payment"),
            ("🧾", "receipt invoice"),
            ("📧", "email mail"),
            ("📞", "phone call"),
            ("📱", "mobile phone"),
            ("💻", "laptop computer"),
            ("🔑", "key password"),
            ("🔒", "lock secure"),
            ("⏰", "alarm clock time"),
            ("📅", "calendar date"),
            ("🎁", "gift present"),
            ("☕", "coffee"),
        ],
    ),
];

/// The emoji whose words contain every word of `query` (all of them for an empty query).
pub fn search(query: &str) -> Vec<(&'static str, &'static str)> {
    let words: Vec<String> = query.split_whitespace().map(|w| w.to_lowercase()).collect();
    EMOJI
        .iter()
        .flat_map(|(_, list)| list.iter().copied())
        .filter(|(_, names)| words.iter().all(|w| names.contains(w.as_str())))
        .collect()
}

/// The picker's button and its popover; `on_pick` gets the emoji.
#[component]
pub fn EmojiPicker(
    on_pick: Callback<String>,
    #[prop(into)] disabled: Signal<bool>,
) -> impl IntoView {
    let open = RwSignal::new(false);
    let query = RwSignal::new(String::new());
    let pick = move |e: &'static str| {
        on_pick.run(e.to_string());
        open.set(false);
        query.set(String::new());
    };
    view! {
        <div class="emoji">
            <button type="button" class="emoji-button" data-testid="emoji-button" title="Emoji" aria-label="Emoji"
                aria-expanded=move || open.get().to_string()
                disabled=move || disabled.get() on:click=move |_| {
                    // Each opening starts from the whole grid.
                    query.set(String::new());
                    open.update(|o| *o = !*o);
                }>
                <svg aria-hidden="true" width="18" height="18" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">
                    <circle cx="12" cy="12" r="10"/><path d="M8 14s1.5 2 4 2 4-2 4-2"/><line x1="9" y1="9" x2="9.01" y2="9"/><line x1="15" y1="9" x2="15.01" y2="9"/>
                </svg>
            </button>
            <Show when=move || open.get()>
                <div class="emoji-popover" data-testid="emoji-picker" role="dialog" aria-label="Emoji"
                    on:keydown=move |ev| if ev.key() == "Escape" { open.set(false); }>
                    <input type="search" placeholder="Search emoji" data-testid="emoji-search" autofocus
                        prop:value=query on:input=move |e| query.set(event_target_value(&e))/>
                    {move || {
                        let q = query.get();
                        if q.trim().is_empty() {
                            EMOJI.iter().map(|(category, list)| view! {
                                <p class="emoji-category">{*category}</p>
                                <div class="emoji-grid">
                                    {list.iter().map(|(e, names)| view! {
                                        <button type="button" class="emoji-cell" data-testid="emoji" title=*names on:click=move |_| pick(e)>{*e}</button>
                                    }).collect_view()}
                                </div>
                            }).collect_view().into_any()
                        } else {
                            let found = search(&q);
                            if found.is_empty() {
                                view! { <p class="muted">"No emoji matches."</p> }.into_any()
                            } else {
                                view! {
                                    <div class="emoji-grid">
                                        {found.into_iter().map(|(e, names)| view! {
                                            <button type="button" class="emoji-cell" data-testid="emoji" title=names on:click=move |_| pick(e)>{e}</button>
                                        }).collect_view()}
                                    </div>
                                }.into_any()
                            }
                        }
                    }}
                </div>
            </Show>
        </div>
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn search_finds_by_every_word() {
        assert_eq!(super::search("thumbs up").first().map(|e| e.0), Some("👍"));
        assert_eq!(super::search("PARCEL").first().map(|e| e.0), Some("📦"));
        assert!(super::search("no such thing").is_empty());
        assert_eq!(
            super::search("").len(),
            super::EMOJI.iter().map(|c| c.1.len()).sum::<usize>()
        );
    }
}
