//! The open conversation: its head with the actions (start / accept / hold / decline,
//! transfer, invite, close), room details, the thread and the composer.

use super::state::InboxState;
use crate::components::{format_time, Composer, MessageList, TypingLine, Viewer};
use leptos::prelude::*;
use switchboard_domain::ConversationStatus;
use switchboard_wire::inbox::{ChannelStatus, ContactChannel, ReplyWindowState, TemplateInfo};
use switchboard_wire::ConversationSummary;
use uuid::Uuid;

#[component]
pub(super) fn Room(id: Uuid) -> impl IntoView {
    let state = expect_context::<InboxState>();
    let me = state.me_id();
    let summary = Memo::new(move |_| state.summary_of(id));
    let field = move |f: fn(&ConversationSummary) -> String| {
        move || summary.with(|s| s.as_ref().map(f).unwrap_or_default())
    };
    let status = move || summary.with(|s| s.as_ref().map(|s| s.status));
    let closed = move || status() == Some(ConversationStatus::Closed);
    let comments = move || summary.with(|s| s.as_ref().is_some_and(|s| s.is_comment_thread()));
    // The post a comment conversation is about, as the filter names it.
    let post = move || {
        let id = summary.with(|s| s.as_ref().and_then(|s| s.post))?;
        state.posts.with(|p| p.iter().find(|p| p.id == id).cloned())
    };
    let waiting = move || summary.with(|s| s.as_ref().is_some_and(|s| s.waiting_for(me)));
    let open = move || status() == Some(ConversationStatus::Open);
    let panel = RwSignal::new(None::<&'static str>);
    let contact = Signal::derive(move || summary.with(|s| s.as_ref().map(|s| s.contact_id)));
    // A suggested contact to review in the merge panel; bumped after a merge.
    let merge_with = RwSignal::new(None::<Uuid>);
    let merged = RwSignal::new(0u32);
    let channel = RwSignal::new(None::<ChannelStatus>);
    // The channel's window moves with the contact's messages: read it again when one comes.
    Effect::new(move |_| {
        let _active = summary.with(|s| s.as_ref().map(|s| s.active_channel));
        let _inbound = state.thread.with(|t| {
            t.messages()
                .filter(|m| m.sender.kind == switchboard_domain::SenderKind::Visitor)
                .count()
        });
        #[cfg(feature = "browser")]
        leptos::task::spawn_local(async move {
            if let Ok(s) = super::channel_status(id).await {
                let _ = channel.try_set(Some(s));
            }
        });
    });
    // The ways the contact is known, read again when the conversation changes.
    let chips = RwSignal::new(Vec::<ContactChannel>::new());
    Effect::new(move |_| {
        let _changed = summary.with(|s| s.as_ref().map(|s| (s.active_channel, s.revision)));
        let _merged = merged.get();
        #[cfg(feature = "browser")]
        leptos::task::spawn_local(async move {
            if let Ok(c) = super::contact_channels(id).await {
                let _ = chips.try_set(c);
            }
        });
    });
    let choose = move |to: switchboard_domain::Channel| {
        #[cfg(feature = "browser")]
        leptos::task::spawn_local(async move {
            state.error.set(None);
            if let Err(e) = super::choose_reply_channel(id, to).await {
                state.error.set(Some(e.to_string()));
            }
        });
        #[cfg(not(feature = "browser"))]
        let _ = to;
    };
    let window_closed = move || {
        channel.with(|c| {
            matches!(
                c,
                Some(ChannelStatus {
                    window: ReplyWindowState::Closed { .. },
                    ..
                })
            )
        })
    };
    let on_send = Callback::new(move |body: String| {
        #[cfg(feature = "browser")]
        super::live::send(state, id, body);
        #[cfg(not(feature = "browser"))]
        let _ = body;
    });
    let draft = RwSignal::new(String::new());
    let canned = crate::canned::CannedState::new(id, draft, on_send, state.error);
    let replies_blocked =
        Signal::derive(move || (closed() || window_closed()) && !state.internal.get());
    let uploading = RwSignal::new(false);
    let on_file = Callback::new(move |picked: crate::attachments::Picked| {
        #[cfg(feature = "browser")]
        super::live::send_file(state, id, picked, uploading);
        #[cfg(not(feature = "browser"))]
        let _ = picked;
    });
    let on_typing = Callback::new(move |on: bool| {
        #[cfg(feature = "browser")]
        super::live::typing(state, id, on);
        #[cfg(not(feature = "browser"))]
        let _ = on;
    });
    let on_retry = Callback::new(move |msg: Uuid| {
        #[cfg(feature = "browser")]
        super::live::retry(state, id, msg);
        #[cfg(not(feature = "browser"))]
        let _ = msg;
    });
    let act = move |action: &'static str| {
        move |_| {
            #[cfg(feature = "browser")]
            super::live::act(state, id, action);
            #[cfg(not(feature = "browser"))]
            let _ = action;
        }
    };
    let toggle = move |name: &'static str| {
        move |_| panel.update(|p| *p = if *p == Some(name) { None } else { Some(name) })
    };
    view! {
        <div class="thread-head">
            // On a phone the room takes the screen: back to the list.
            <button class="ghost room-back" data-testid="room-back" aria-label="Back to the list"
                on:click=move |_| state.selected.set(None)>"‹"</button>
            <div>
                <h2 data-testid="thread-title">{field(|s| s.contact_name.clone())}</h2>
                <span class="muted">
                    {field(|s| {
                        let mut parts = vec![];
                        parts.extend(s.contact_email.clone());
                        parts.extend(s.contact_phone.clone());
                        parts.push(s.active_channel.label().to_string());
                        parts.join(" · ")
                    })}
                </span>
                <div class="channel-chips" data-testid="channel-chips" role="group" aria-label="Reply on">
                    <For each=move || chips.get() key=|c| (c.channel, c.address.clone(), c.active, c.unavailable.clone()) let:c>
                        {
                            let to = c.channel;
                            let title = match (&c.unavailable, c.active) {
                                (Some(why), _) => why.clone(),
                                (None, true) => format!("Replies go on {}", to.label()),
                                (None, false) => format!("Reply on {} from now on", to.label()),
                            };
                            view! {
                                <button class="channel-chip" class:active=c.active aria-pressed=c.active.to_string()
                                    data-testid=format!("chip-{}", to.as_str()) title=title
                                    disabled={ let fixed = c.active || c.unavailable.is_some(); move || fixed || closed() }
                                    on:click=move |_| choose(to)>
                                    <strong>{to.label()}</strong>" "{c.address.clone()}
                                </button>
                            }
                        }
                    </For>
                </div>
                {move || post().map(|p| view! {
                    <span class="muted post-ref" data-testid="room-post">
                        " · On "
                        {match p.url.clone() {
                            Some(url) => view! { <a href=url target="_blank" rel="noopener noreferrer">{p.label()}</a> }.into_any(),
                            None => view! { <span>{p.label()}</span> }.into_any(),
                        }}
                    </span>
                })}
            </div>
            <span class="spacer"></span>
            <Show when=waiting>
                <button class="primary" data-testid="room-accept" on:click=act("accept")>"Start chat"</button>
            </Show>
            <Show when=move || closed() && summary.with(|s| s.as_ref().is_some_and(|s| s.contact_phone.is_some())) && state.switch_to.with(|c| c.contains(&switchboard_domain::Channel::Sms))>
                <button class="primary" data-testid="reconnect-sms" title="Text the contact and reopen this conversation, assigned to you" on:click=move |_| {
                    leptos::task::spawn_local(async move {
                        state.error.set(None);
                        match super::reconnect(id, switchboard_domain::Channel::Sms).await {
                            Ok(()) => state.folder.set(super::Folder::Engaged),
                            Err(e) => state.error.set(Some(e.to_string())),
                        }
                    });
                }>"Reconnect by SMS"</button>
            </Show>
            <Show when=move || open() && summary.with(|s| s.as_ref().is_some_and(|s| s.active_channel == switchboard_domain::Channel::Web))>
                <For each=move || state.switch_to.get() key=|c| *c let:to>
                    <button class="ghost" data-testid=format!("ask-switch-{}", to.as_str())
                        title="The visitor's widget asks for their number" on:click=move |_| {
                        leptos::task::spawn_local(async move {
                            state.error.set(None);
                            if let Err(e) = super::ask_to_switch(id, to).await {
                                state.error.set(Some(e.to_string()));
                            }
                        });
                    }>{format!("Ask to switch to {}", to.label())}</button>
                </For>
            </Show>
            <Show when=open>
                <button class="ghost" data-testid="transfer" on:click=toggle("transfer")>"Transfer"</button>
                <button class="ghost" data-testid="invite" on:click=toggle("invite")>"Invite"</button>
            </Show>
            <button class="ghost" data-testid="previous-open" on:click=toggle("previous")>"Previous chats"</button>
            <button class="ghost" data-testid="merge-open" title="The same person wrote from somewhere else: file them as one contact"
                on:click=move |_| {
                    merge_with.set(None);
                    panel.update(|p| *p = if *p == Some("merge") { None } else { Some("merge") });
                }>"Merge"</button>
            <button class="ghost" data-testid="details" on:click=toggle("details")>"Details"</button>
            <Show when=move || !closed()>
                <button class="ghost" data-testid="close-conversation" on:click=act("close")>"Close"</button>
            </Show>
        </div>
        {move || state.error.get().map(|e| view! { <p class="form-error banner" role="alert" data-testid="room-error">{e}</p> })}
        <super::contacts::MergePrompt contact refresh=merged on_review=Callback::new(move |other| {
            merge_with.set(Some(other));
            panel.set(Some("merge"));
        })/>
        {move || match panel.get() {
            Some("transfer") => view! { <TransferPanel id on_done=Callback::new(move |_| panel.set(None))/> }.into_any(),
            Some("invite") => view! { <InvitePanel id on_done=Callback::new(move |_| panel.set(None))/> }.into_any(),
            Some("details") => view! { <Details summary/> }.into_any(),
            // Not following the contact: the merge itself may move this conversation to the
            // other contact before its answer comes, and the panel must see it through.
            Some("merge") => match contact.get_untracked() {
                Some(c) => view! {
                    <super::contacts::MergePanel contact=c with=merge_with.get_untracked() on_done=Callback::new(move |done: bool| {
                        panel.set(None);
                        if done {
                            merged.update(|n| *n += 1);
                        }
                    })/>
                }.into_any(),
                None => ().into_any(),
            },
            Some("previous") => match contact.get_untracked() {
                Some(c) => view! { <super::contacts::PreviousChats contact=c current=id/> }.into_any(),
                None => ().into_any(),
            },
            _ => ().into_any(),
        }}
        <MessageList thread=state.thread viewer=Viewer::Agent on_retry has_older=state.has_older comments=Signal::derive(comments) on_remove=Callback::new(move |message_id| {
            leptos::task::spawn_local(async move {
                state.error.set(None);
                if let Err(e) = super::delete_comment(id, message_id).await {
                    state.error.set(Some(e.to_string()));
                }
            });
        }) on_older=Callback::new(move |_| {
            #[cfg(feature = "browser")]
            super::live::load_older(state, id);
        })/>
        <TypingLine typing=state.typing/>
        <ChannelBar id channel/>
        <div class="reply-bar">
            <label class="toggle">
                <input type="checkbox" data-testid="internal-toggle" prop:checked=state.internal
                    on:change=move |e| state.internal.set(event_target_checked(&e))/>
                "Internal note (agents only)"
            </label>
            <crate::canned::CannedPicker canned disabled=replies_blocked/>
            <Show when=move || comments() && !state.internal.get()>
                <span class="reply-as" data-testid="reply-as">
                    "Answer the comment "
                    <label><input type="radio" name="reply-as" data-testid="reply-public" prop:checked=move || !state.private_reply.get()
                        on:change=move |_| state.private_reply.set(false)/>" publicly"</label>
                    <label><input type="radio" name="reply-as" data-testid="reply-private" prop:checked=move || state.private_reply.get()
                        on:change=move |_| state.private_reply.set(true)/>" by private message (once per comment)"</label>
                </span>
            </Show>
        </div>
        <crate::canned::CannedSuggestions canned/>
        <Composer
            on_send
            on_typing
            on_file
            uploading
            draft
            on_key=Callback::new(move |ev: leptos::ev::KeyboardEvent| canned.on_key(&ev))
            disabled=replies_blocked
            placeholder=Signal::derive(move || {
                if state.internal.get() { "Write a note only agents will see…".to_string() }
                else if closed() { "This conversation is closed.".to_string() }
                else if window_closed() { "Free text can't be sent now (see above).".to_string() }
                else if waiting() { "Reply to start this chat…".to_string() }
                else { "Reply…".to_string() }
            })
        />
    }
}

#[component]
fn TransferPanel(id: Uuid, on_done: Callback<()>) -> impl IntoView {
    let state = expect_context::<InboxState>();
    let to = RwSignal::new(String::new());
    let comment = RwSignal::new(String::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Ok(target) = Uuid::parse_str(&to.get_untracked()) else {
            state
                .error
                .set(Some("Pick an Online agent to transfer to.".into()));
            return;
        };
        #[cfg(feature = "browser")]
        super::live::transfer(state, id, target, comment.get_untracked(), on_done);
        #[cfg(not(feature = "browser"))]
        let _ = (target, on_done, id);
    };
    view! {
        <form class="panel" data-testid="transfer-panel" on:submit=submit>
            <strong>"Transfer to"</strong>
            <select data-testid="transfer-to" on:change=move |e| to.set(event_target_value(&e)) prop:value=to>
                <option value="">"Choose an Online agent…"</option>
                {move || state.online_colleagues().into_iter().map(|a| view! {
                    <option value=a.id.to_string()>{format!("{} ({} chats)", a.name, a.active_chats)}</option>
                }).collect_view()}
            </select>
            <textarea rows="2" data-testid="transfer-comment" placeholder="Comment for your colleague (the visitor never sees it)"
                on:input=move |e| comment.set(event_target_value(&e)) prop:value=comment></textarea>
            <div class="panel-actions">
                <button type="submit" class="primary" data-testid="transfer-submit">"Transfer"</button>
                <button type="button" class="ghost" on:click=move |_| on_done.run(())>"Cancel"</button>
            </div>
        </form>
    }
}

#[component]
fn InvitePanel(id: Uuid, on_done: Callback<()>) -> impl IntoView {
    let state = expect_context::<InboxState>();
    let who = RwSignal::new(String::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Ok(agent) = Uuid::parse_str(&who.get_untracked()) else {
            state
                .error
                .set(Some("Pick an Online agent to invite.".into()));
            return;
        };
        #[cfg(feature = "browser")]
        super::live::invite(state, id, agent, on_done);
        #[cfg(not(feature = "browser"))]
        let _ = (agent, on_done, id);
    };
    view! {
        <form class="panel" data-testid="invite-panel" on:submit=submit>
            <strong>"Invite into this chat"</strong>
            <select data-testid="invite-who" on:change=move |e| who.set(event_target_value(&e)) prop:value=who>
                <option value="">"Choose an Online agent…"</option>
                {move || state.online_colleagues().into_iter().map(|a| view! {
                    <option value=a.id.to_string()>{a.name}</option>
                }).collect_view()}
            </select>
            <div class="panel-actions">
                <button type="submit" class="primary" data-testid="invite-submit">"Invite"</button>
                <button type="button" class="ghost" on:click=move |_| on_done.run(())>"Cancel"</button>
            </div>
        </form>
    }
}

#[component]
fn Details(summary: Memo<Option<ConversationSummary>>) -> impl IntoView {
    view! {
        <div class="panel details" data-testid="room-details">
            {move || summary.get().map(|s| view! {
                <dl>
                    <dt>"Contact"</dt><dd>{s.contact_name.clone()}</dd>
                    <dt>"Email"</dt><dd>{s.contact_email.clone().unwrap_or_else(|| "—".into())}</dd>
                    <dt>"Phone"</dt><dd>{s.contact_phone.clone().unwrap_or_else(|| "—".into())}</dd>
                    <dt>"Channel"</dt><dd>{s.active_channel.label()}</dd>
                    <dt>"Status"</dt><dd>{s.status.as_str()}</dd>
                    <dt>"Started"</dt><dd>{format_time(s.created_at)}</dd>
                </dl>
                <strong>"Participants"</strong>
                <ul class="participants" data-testid="participants">
                    <li>{s.contact_name.clone()} <span class="muted">" · visitor"</span></li>
                    {s.participants.iter().map(|p| view! {
                        <li data-testid="participant">{p.name.clone()} <span class="muted">{format!(" · {}", p.role.as_str())}</span></li>
                    }).collect_view()}
                </ul>
            })}
            // Outside the summary's re-render: the note it writes changes the summary.
            {summary.get_untracked().map(|s| view! { <WidgetSignOut id=s.id/> })}
        </div>
    }
}

/// Signs the contact out of the chat widget on every device, after a confirmation.
#[component]
fn WidgetSignOut(id: Uuid) -> impl IntoView {
    let state = expect_context::<InboxState>();
    let asking = RwSignal::new(false);
    let done = RwSignal::new(false);
    let confirm = move |_| {
        leptos::task::spawn_local(async move {
            state.error.set(None);
            match super::contacts::sign_out_visitor(id).await {
                Ok(()) => done.set(true),
                Err(e) => state.error.set(Some(e.to_string())),
            }
            asking.set(false);
        });
    };
    view! {
        <div class="widget-sign-out">
            <Show when=move || !done.get() fallback=|| view! {
                <p class="muted" data-testid="signed-out">"Signed out: their widget starts afresh."</p>
            }>
                <Show when=move || asking.get() fallback=move || view! {
                    <button class="ghost" data-testid="sign-out-visitor"
                        title="A shared computer, a link that leaked: their chat widget forgets them on every device"
                        on:click=move |_| asking.set(true)>"Sign out of the widget"</button>
                }>
                    <p>"Their chat widget forgets them on every device; they can start a new chat."</p>
                    <button class="danger" data-testid="sign-out-confirm" on:click=confirm>"Sign out"</button>
                    <button class="ghost" on:click=move |_| asking.set(false)>"Cancel"</button>
                </Show>
            </Show>
        </div>
    }
}

/// "3 h 12 min", "8 min", "under a minute".
fn time_left(ms: i64) -> String {
    let minutes = ms / 60_000;
    match (minutes / 60, minutes % 60) {
        (0, 0) => "under a minute".into(),
        (0, m) => format!("{m} min"),
        (h, m) => format!("{h} h {m} min"),
    }
}

/// The channel's reply window above the composer: the time left, or why free text can't go
/// and the approved templates that can.
#[component]
fn ChannelBar(id: Uuid, channel: RwSignal<Option<ChannelStatus>>) -> impl IntoView {
    let state = expect_context::<InboxState>();
    move || {
        let status = channel.get()?;
        let label = status.channel.label();
        Some(match status.window {
            ReplyWindowState::Unlimited => ().into_any(),
            ReplyWindowState::Open { closes_at, tag_only } => view! {
                <p class="window" data-testid="window" data-state="open">
                    {move || format!("{label} reply window: {} left", time_left(closes_at - state.now.get()))}
                    {tag_only.then_some(" (as a personal answer: the human-agent tag is added)")}
                </p>
            }
            .into_any(),
            ReplyWindowState::Closed { reason, templates } => view! {
                <div class="window closed" data-testid="window" data-state="closed">
                    <p>{reason}</p>
                    {templates.then(|| view! { <TemplatePicker id templates=status.templates.clone()/> })}
                </div>
            }
            .into_any(),
        })
    }
}

#[component]
fn TemplatePicker(id: Uuid, templates: Vec<TemplateInfo>) -> impl IntoView {
    let state = expect_context::<InboxState>();
    let templates = StoredValue::new(templates);
    let chosen = RwSignal::new(0usize);
    let values = RwSignal::new(Vec::<String>::new());
    let current = move || templates.with_value(|t| t.get(chosen.get()).cloned());
    let preview = move || {
        current().map(|t| {
            let mut text = t.text.clone();
            values.with(|v| {
                for (i, value) in v.iter().enumerate().filter(|(_, v)| !v.trim().is_empty()) {
                    text = text.replace(&format!("{{{{{}}}}}", i + 1), value);
                }
            });
            text
        })
    };
    let ready = move || {
        current().is_some_and(|t| {
            values.with(|v| v.len() == t.parameters && v.iter().all(|x| !x.trim().is_empty()))
        })
    };
    let send = move |_| {
        let Some(t) = current() else { return };
        let parameters = values.get_untracked();
        #[cfg(feature = "browser")]
        leptos::task::spawn_local(async move {
            state.error.set(None);
            let client_msg_id = crate::realtime::client::new_uuid();
            match super::send_template(id, client_msg_id, t.name, t.language, parameters).await {
                Ok(message) => {
                    state.thread.update(|th| {
                        th.apply(message);
                    });
                    values.set(vec![]);
                }
                Err(e) => state.error.set(Some(e.to_string())),
            }
        });
        #[cfg(not(feature = "browser"))]
        let _ = (t, parameters, id, state);
    };
    view! {
        <div class="template-picker" data-testid="template-picker">
            <select data-testid="template-select" on:change=move |ev| {
                chosen.set(event_target_value(&ev).parse().unwrap_or(0));
                values.set(vec![]);
            }>
                {templates.get_value().into_iter().enumerate().map(|(i, t)| view! {
                    <option value=i.to_string()>{format!("{} ({})", t.name, t.language)}</option>
                }).collect_view()}
            </select>
            {move || current().map(|t| (1..=t.parameters).map(|n| view! {
                <input data-testid="template-param" placeholder=format!("Value for {{{{{n}}}}}")
                    prop:value=move || values.with(|v| v.get(n - 1).cloned().unwrap_or_default())
                    on:input=move |ev| values.update(|v| {
                        if v.len() < t.parameters { v.resize(t.parameters, String::new()); }
                        v[n - 1] = event_target_value(&ev);
                    })/>
            }).collect_view())}
            <p class="template-preview" data-testid="template-preview">{preview}</p>
            <button class="primary" data-testid="send-template" disabled=move || !ready() on:click=send>"Send template"</button>
        </div>
    }
}
