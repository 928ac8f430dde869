//! The admin page: agents, routing and widget settings, reports.

use crate::auth::AgentRole;
use leptos::prelude::*;
use leptos_router::components::Redirect;
use switchboard_domain::{BotAnswer, RoutingSettings};
use switchboard_domain::{MissedPolicy, RoutingMode};
use switchboard_wire::admin::{ReportData, TimeInStatus};
use switchboard_wire::inbox::AgentInfo;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tab {
    Agents,
    Routing,
    Reports,
    Channels,
    Responses,
}

#[component]
pub fn AdminPage() -> impl IntoView {
    let me = Resource::new(|| (), |_| crate::auth::current_agent());
    view! {
        <leptos_meta::Title text="Admin · Switchboard"/>
        <Suspense fallback=|| view! { <main class="center-page">"Loading…"</main> }>
            {move || me.get().map(|res| match res {
                Ok(Some(a)) if a.role == AgentRole::Admin => view! { <Admin/> }.into_any(),
                Ok(Some(_)) => view! {
                    <main class="center-page"><div class="card"><p>"Only admins can open this page."</p><a href="/inbox">"Back to the inbox"</a></div></main>
                }.into_any(),
                _ => view! { <Redirect path="/login"/> }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn Admin() -> impl IntoView {
    let tab = RwSignal::new(Tab::Agents);
    let tab_btn = move |t: Tab, label: &'static str| {
        view! {
            <button class=move || if tab.get() == t { "tab active" } else { "tab" }
                data-testid=format!("admin-tab-{}", label.to_lowercase())
                on:click=move |_| tab.set(t)>{label}</button>
        }
    };
    view! {
        <div class="admin">
            <header class="topbar">
                <span class="brand">"Switchboard"</span>
                <span class="muted">"Admin"</span>
                <span class="spacer"></span>
                <a class="ghost" href="/inbox">"Inbox"</a>
            </header>
            <nav class="folders admin-tabs">
                {tab_btn(Tab::Agents, "Agents")}
                {tab_btn(Tab::Routing, "Routing")}
                {tab_btn(Tab::Reports, "Reports")}
                {tab_btn(Tab::Channels, "Channels")}
                {tab_btn(Tab::Responses, "Responses")}
            </nav>
            <main class="admin-body">
                {move || match tab.get() {
                    Tab::Agents => view! { <Agents/> }.into_any(),
                    Tab::Routing => view! { <Routing/> }.into_any(),
                    Tab::Reports => view! { <Reports/> }.into_any(),
                    Tab::Channels => view! { <Channels/> }.into_any(),
                    Tab::Responses => view! { <crate::canned::CannedManager admin=true shared_first=true/> }.into_any(),
                }}
            </main>
        </div>
    }
}

#[component]
fn Agents() -> impl IntoView {
    let version = RwSignal::new(0u32);
    // Loaded by the browser after hydration (the server renders "Loading…"): a second
    // resource nested in the page's suspense boundary failed to hydrate on a busy machine.
    let agents = RwSignal::new(None::<Result<Vec<AgentInfo>, String>>);
    Effect::new(move |_| {
        version.track();
        #[cfg(feature = "browser")]
        leptos::task::spawn_local(async move {
            agents.set(Some(
                crate::inbox::list_agents().await.map_err(|e| e.to_string()),
            ));
        });
    });
    let error = RwSignal::new(None::<String>);
    let (email, name, password, role, capacity) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(AgentRole::Agent),
        RwSignal::new(3u32),
    );
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        #[cfg(feature = "browser")]
        leptos::task::spawn_local(async move {
            match super::create_agent(
                email.get_untracked(),
                name.get_untracked(),
                password.get_untracked(),
                role.get_untracked(),
                capacity.get_untracked(),
            )
            .await
            {
                Ok(_) => {
                    error.set(None);
                    email.set(String::new());
                    name.set(String::new());
                    password.set(String::new());
                    version.update(|v| *v += 1);
                }
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    };
    view! {
        <section class="card">
            <h2>"Agents"</h2>
            {move || error.get().map(|e| view! { <p class="form-error" role="alert" data-testid="admin-error">{e}</p> })}
            {move || match agents.get() {
                None => view! { <p class="muted">"Loading…"</p> }.into_any(),
                Some(Err(e)) => view! { <p class="form-error" role="alert">{format!("Could not load the agents: {e}")}</p> }.into_any(),
                Some(Ok(list)) => view! {
                    <table class="grid" data-testid="agents-table">
                        <thead><tr><th>"Name"</th><th>"Email"</th><th>"Role"</th><th>"Chat limit"</th><th>"Status"</th><th>"Chats now"</th><th>"Account"</th><th></th></tr></thead>
                        <tbody>
                            {list.into_iter().map(|a| view! {
                                <AgentRow agent=a error on_saved=Callback::new(move |_| version.update(|v| *v += 1))/>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any(),
            }}
            <form class="inline-form" on:submit=create data-testid="create-agent">
                <h3>"Add an agent"</h3>
                <input placeholder="Name" required prop:value=name on:input=move |e| name.set(event_target_value(&e))/>
                <input placeholder="Email" type="email" required prop:value=email on:input=move |e| email.set(event_target_value(&e))/>
                <input placeholder="Password (8+ characters)" type="password" required prop:value=password on:input=move |e| password.set(event_target_value(&e))/>
                <select on:change=move |e| role.set(AgentRole::parse(&event_target_value(&e)).unwrap_or(AgentRole::Agent))>
                    <option value="agent">"Agent"</option>
                    <option value="admin">"Admin"</option>
                </select>
                <input type="number" min="1" max="50" title="Concurrent chat limit" prop:value=move || capacity.get().to_string()
                    on:input=move |e| capacity.set(event_target_value(&e).parse().unwrap_or(0))/>
                <button type="submit" class="primary">"Add"</button>
            </form>
        </section>
    }
}

#[component]
fn AgentRow(
    agent: AgentInfo,
    error: RwSignal<Option<String>>,
    on_saved: Callback<()>,
) -> impl IntoView {
    let role = RwSignal::new(agent.role);
    let capacity = RwSignal::new(agent.capacity);
    let id = agent.id;
    let save = move |active: bool| {
        #[cfg(feature = "browser")]
        leptos::task::spawn_local(async move {
            match super::update_agent(id, role.get_untracked(), capacity.get_untracked(), active)
                .await
            {
                Ok(_) => {
                    error.set(None);
                    on_saved.run(());
                }
                Err(e) => error.set(Some(e.to_string())),
            }
        });
        #[cfg(not(feature = "browser"))]
        let _ = (active, on_saved, error, id);
    };
    let active = agent.active;
    view! {
        <tr class=if active { "" } else { "inactive" } data-testid="agent-row">
            <td>{agent.name.clone()}</td>
            <td>{agent.email.clone()}</td>
            <td>
                <select on:change=move |e| role.set(AgentRole::parse(&event_target_value(&e)).unwrap_or(AgentRole::Agent))>
                    <option value="agent" selected=agent.role == AgentRole::Agent>"Agent"</option>
                    <option value="admin" selected=agent.role == AgentRole::Admin>"Admin"</option>
                </select>
            </td>
            <td><input type="number" min="1" max="50" class="narrow" prop:value=move || capacity.get().to_string()
                on:input=move |e| capacity.set(event_target_value(&e).parse().unwrap_or(0))/></td>
            <td>{agent.presence.label()}</td>
            <td>{agent.active_chats}</td>
            <td>{if active { "active" } else { "deactivated" }}</td>
            <td class="actions">
                <button class="ghost small" on:click=move |_| save(active)>"Save"</button>
                <button class="ghost small" on:click=move |_| save(!active)>{if active { "Deactivate" } else { "Reactivate" }}</button>
            </td>
        </tr>
    }
}

#[component]
fn Routing() -> impl IntoView {
    let loaded = Resource::new(|| (), |_| super::get_settings());
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || loaded.get().map(|r| match r {
                Ok(s) => view! { <RoutingForm initial=s/> }.into_any(),
                Err(e) => view! { <p class="form-error">{e.to_string()}</p> }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn RoutingForm(initial: RoutingSettings) -> impl IntoView {
    let settings = RwSignal::new(initial);
    let status = RwSignal::new(None::<Result<String, String>>);
    let num = move |f: fn(&mut RoutingSettings) -> &mut u32| {
        move |e| settings.update(|s| *f(s) = event_target_value(&e).parse().unwrap_or(0))
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        #[cfg(feature = "browser")]
        leptos::task::spawn_local(async move {
            status.set(Some(
                match super::save_settings(settings.get_untracked()).await {
                    Ok(saved) => {
                        settings.set(saved);
                        Ok("Saved. New requests use these settings now.".into())
                    }
                    Err(e) => Err(e.to_string()),
                },
            ));
        });
    };
    view! {
        <form class="card settings" on:submit=save data-testid="routing-form">
            <h2>"Routing"</h2>
            <label>"Mode"
                <select data-testid="routing-mode" on:change=move |e| settings.update(|s| s.mode = RoutingMode::parse(&event_target_value(&e)).unwrap_or(RoutingMode::Broadcast))>
                    <option value="broadcast" selected=move || settings.get().mode == RoutingMode::Broadcast>"Broadcasting: every Online agent sees the queue"</option>
                    <option value="time_based" selected=move || settings.get().mode == RoutingMode::TimeBased>"Time-based: offer to one agent by free capacity"</option>
                </select>
            </label>
            <label>"Queue time (seconds)"
                <input type="number" data-testid="queue-timeout" prop:value=move || settings.get().queue_timeout_secs.to_string() on:input=num(|s| &mut s.queue_timeout_secs)/>
            </label>
            <label>"Acceptance time (seconds)"
                <input type="number" data-testid="accept-timeout" prop:value=move || settings.get().accept_timeout_secs.to_string() on:input=num(|s| &mut s.accept_timeout_secs)/>
            </label>
            <label>"When the queue time runs out"
                <select on:change=move |e| settings.update(|s| s.missed_policy = MissedPolicy::parse(&event_target_value(&e)).unwrap_or(MissedPolicy::StayQueued))>
                    <option value="stay_queued" selected=move || settings.get().missed_policy == MissedPolicy::StayQueued>"Keep it queued, flagged as missed"</option>
                    <option value="offline_lead" selected=move || settings.get().missed_policy == MissedPolicy::OfflineLead>"Turn it into an offline lead"</option>
                </select>
            </label>
            <label>"Automatic Away after (seconds idle)"
                <input type="number" prop:value=move || settings.get().auto_away_secs.to_string() on:input=num(|s| &mut s.auto_away_secs)/>
            </label>
            <h2>"Who sees what"</h2>
            <label class="toggle">
                <input type="checkbox" data-testid="agents-see-colleagues" prop:checked=move || settings.get().agents_see_colleagues
                    on:change=move |e| settings.update(|s| s.agents_see_colleagues = event_target_checked(&e))/>
                "Agents can read their colleagues' chats"
            </label>
            <small class="muted">"Agents always act only on the chats they hold or were invited to, and on the shared queue; admins on all. Off: agents read only those too."</small>
            <h2>"Files in chats"</h2>
            <label>"Allowed file types"
                <input data-testid="file-types" prop:value=move || settings.with(|s| s.files.extensions.join(", "))
                    on:change=move |e| settings.update(|s| s.files.extensions = event_target_value(&e).split([',', ' ']).filter(|x| !x.is_empty()).map(str::to_string).collect())/>
            </label>
            <small class="muted">{format!("Extensions agents and visitors may send; each file's content must match its extension. Known: {}.", switchboard_domain::files::known_extensions().join(", "))}</small>
            <label>"Largest file (MB)"
                <input type="number" min="1" max=switchboard_domain::files::MAX_FILE_BYTES / 1024 / 1024 data-testid="file-limit"
                    prop:value=move || settings.with(|s| (s.files.max_bytes / 1024 / 1024).max(1).to_string())
                    on:input=move |e| settings.update(|s| s.files.max_bytes = event_target_value(&e).parse::<u64>().unwrap_or(0) * 1024 * 1024)/>
            </label>
            <h2>"Chatbot"</h2>
            <label class="toggle">
                <input type="checkbox" prop:checked=move || settings.get().bot.enabled on:change=move |e| settings.update(|s| s.bot.enabled = event_target_checked(&e))/>
                "Greet visitors with the chatbot before the form"
            </label>
            <label>"Greeting"
                <input prop:value=move || settings.get().bot.greeting on:input=move |e| settings.update(|s| s.bot.greeting = event_target_value(&e))/>
            </label>
            {move || (0..settings.with(|s| s.bot.answers.len())).map(|i| view! {
                <div class="answer">
                    <input placeholder="Question" prop:value=move || settings.with(|s| s.bot.answers.get(i).map(|a| a.question.clone()).unwrap_or_default())
                        on:input=move |e| settings.update(|s| if let Some(a) = s.bot.answers.get_mut(i) { a.question = event_target_value(&e) })/>
                    <textarea rows="2" placeholder="Answer" prop:value=move || settings.with(|s| s.bot.answers.get(i).map(|a| a.answer.clone()).unwrap_or_default())
                        on:input=move |e| settings.update(|s| if let Some(a) = s.bot.answers.get_mut(i) { a.answer = event_target_value(&e) })></textarea>
                    <button type="button" class="ghost small" on:click=move |_| settings.update(|s| { if i < s.bot.answers.len() { s.bot.answers.remove(i); } })>"Remove"</button>
                </div>
            }).collect_view()}
            <button type="button" class="ghost" on:click=move |_| settings.update(|s| s.bot.answers.push(BotAnswer { question: String::new(), answer: String::new() }))>"Add an answer"</button>
            {move || status.get().map(|r| match r {
                Ok(m) => view! { <p class="ok" data-testid="settings-saved">{m}</p> }.into_any(),
                Err(e) => view! { <p class="form-error" role="alert">{e}</p> }.into_any(),
            })}
            <button type="submit" class="primary" data-testid="save-settings">"Save settings"</button>
        </form>
    }
}

fn duration(secs: Option<u64>) -> String {
    match secs {
        None => "—".into(),
        Some(s) if s < 60 => format!("{s}s"),
        Some(s) if s < 3600 => format!("{}m {:02}s", s / 60, s % 60),
        Some(s) => format!("{}h {:02}m", s / 3600, (s % 3600) / 60),
    }
}

#[component]
fn Reports() -> impl IntoView {
    // The range is typed as dates (UTC days), inclusive.
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let result = RwSignal::new(None::<Result<ReportData, String>>);
    let run = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (Some(f), Some(t)) = (
            day_millis(&from.get_untracked()),
            day_millis(&to.get_untracked()),
        ) else {
            result.set(Some(Err("Enter both dates.".into())));
            return;
        };
        #[cfg(feature = "browser")]
        leptos::task::spawn_local(async move {
            result.set(Some(
                super::report(f, t + 86_400_000)
                    .await
                    .map_err(|e| e.to_string()),
            ));
        });
        #[cfg(not(feature = "browser"))]
        let _ = (f, t);
    };
    #[cfg(feature = "browser")]
    {
        let today = js_sys::Date::new_0()
            .to_iso_string()
            .as_string()
            .unwrap_or_default();
        let day = today.get(..10).unwrap_or_default().to_string();
        from.set(day.clone());
        to.set(day);
    }
    view! {
        <section class="card">
            <h2>"Reports"</h2>
            <form class="inline-form" on:submit=run data-testid="report-form">
                <label>"From" <input type="date" prop:value=from on:input=move |e| from.set(event_target_value(&e))/></label>
                <label>"To" <input type="date" prop:value=to on:input=move |e| to.set(event_target_value(&e))/></label>
                <button type="submit" class="primary" data-testid="run-report">"Show"</button>
            </form>
            {move || result.get().map(|r| match r {
                Err(e) => view! { <p class="form-error">{e}</p> }.into_any(),
                Ok(rep) => view! {
                    <div class="kpis" data-testid="report-kpis">
                        <div><strong data-testid="kpi-closed">{rep.chats.closed}</strong><span>"closed chats"</span></div>
                        <div><strong>{duration(rep.chats.avg_first_response_secs)}</strong><span>"avg first response"</span></div>
                        <div><strong>{duration(rep.chats.avg_handle_secs)}</strong><span>"avg handle time"</span></div>
                        <div><strong data-testid="kpi-missed">{rep.chats.missed}</strong><span>"missed"</span></div>
                        <div><strong>{rep.chats.leads}</strong><span>"offline leads"</span></div>
                    </div>
                    <table class="grid" data-testid="time-in-status">
                        <thead><tr><th>"Agent"</th><th>"Online"</th><th>"Away"</th><th>"Offline"</th><th>"Missed"</th></tr></thead>
                        <tbody>
                            {rep.agents.into_iter().map(|a: TimeInStatus| view! {
                                <tr><td>{a.name}</td><td>{duration(Some(a.online_secs))}</td><td>{duration(Some(a.away_secs))}</td>
                                <td>{duration(Some(a.offline_secs))}</td><td>{a.missed}</td></tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any(),
            })}
        </section>
    }
}

/// `YYYY-MM-DD` to unix milliseconds at 00:00 UTC.
fn day_millis(day: &str) -> Option<i64> {
    let mut it = day.split('-');
    let (y, m, d): (i64, i64, i64) = (
        it.next()?.parse().ok()?,
        it.next()?.parse().ok()?,
        it.next()?.parse().ok()?,
    );
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some((era * 146_097 + doe - 719_468) * 86_400_000)
}

#[cfg(test)]
mod tests {
    #[test]
    fn days_convert_to_utc_midnight() {
        assert_eq!(super::day_millis("1970-01-01"), Some(0));
        assert_eq!(super::day_millis("2026-11-23"), Some(1_795_392_000_000));
        assert_eq!(super::day_millis("2024-02-29"), Some(1_709_164_800_000));
        assert_eq!(super::day_millis("2026-13-01"), None);
        assert_eq!(super::day_millis(""), None);
    }
}

/// The messaging channels: each provider's credentials (editable unless the environment sets
/// them; secrets are never shown in full), each connected account with where to point the
/// provider's webhook, and a connection test.
#[component]
fn Channels() -> impl IntoView {
    use switchboard_wire::admin::ChannelsOverview;
    let overview = RwSignal::new(None::<Result<ChannelsOverview, String>>);
    Effect::new(move |_| {
        #[cfg(feature = "browser")]
        leptos::task::spawn_local(async move {
            overview.set(Some(
                super::list_channels().await.map_err(|e| e.to_string()),
            ));
        });
    });
    let updated = Callback::new(move |o: ChannelsOverview| overview.set(Some(Ok(o))));
    view! {
        <section class="admin-section" data-testid="channels">
            <h2>"Messaging channels"</h2>
            {move || match overview.get() {
                None => view! { <p class="muted">"Loading…"</p> }.into_any(),
                Some(Err(e)) => view! { <p class="form-error">{e}</p> }.into_any(),
                Some(Ok(o)) => {
                    let intro = if o.simulated {
                        "Demo mode: every channel without saved credentials is connected to the built-in provider simulator. Open /simulator to play the customer."
                    } else {
                        "Enter each provider's credentials below; they apply at once. Settings the server's environment sets (SWITCHBOARD_TWILIO_*, SWITCHBOARD_META_*, …) are shown read-only."
                    };
                    let public_url = o.public_url.clone();
                    view! {
                        <p class="muted">{intro}</p>
                        {o.problem.clone().map(|p| view! { <p class="form-error" role="alert" data-testid="channels-problem">{p}</p> })}
                        <h3>"Connected accounts"</h3>
                        {o.accounts.is_empty().then(|| view! { <p data-testid="no-channels">"No channel is connected yet. Enter a provider's credentials below."</p> })}
                        <div class="channel-cards">
                            {o.accounts.into_iter().map(|a| view! { <ChannelCard account=a public_url=public_url.clone()/> }).collect_view()}
                        </div>
                        <h3>"Credentials"</h3>
                        <div class="channel-cards">
                            {o.sections.into_iter().map(|s| view! { <ChannelSettings section=s updated=updated/> }).collect_view()}
                        </div>
                    }.into_any()
                }
            }}
        </section>
    }
}

/// One provider's credentials as a form. A secret's field starts empty (left empty, the saved
/// one stays); what the environment sets is read-only.
#[component]
fn ChannelSettings(
    section: switchboard_wire::admin::ChannelSection,
    updated: Callback<switchboard_wire::admin::ChannelsOverview>,
) -> impl IntoView {
    use std::collections::BTreeMap;
    use switchboard_wire::admin::SettingSource;
    let id = section.id.clone();
    let values = RwSignal::new(
        section
            .fields
            .iter()
            .filter(|f| f.source != SettingSource::Environment)
            .map(|f| {
                let shown = if f.secret {
                    String::new()
                } else {
                    f.value.clone()
                };
                (f.var.clone(), shown)
            })
            .collect::<BTreeMap<String, String>>(),
    );
    let status = RwSignal::new(None::<Result<String, String>>);
    let busy = RwSignal::new(false);
    let editable = section.editable();
    let saved = section.saved();
    let source = if saved {
        SettingSource::Saved
    } else if section
        .fields
        .iter()
        .any(|f| f.source == SettingSource::Environment)
    {
        SettingSource::Environment
    } else if section
        .fields
        .iter()
        .any(|f| f.source == SettingSource::Simulator)
    {
        SettingSource::Simulator
    } else {
        SettingSource::Unset
    };
    let save = {
        let id = id.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            busy.set(true);
            status.set(None);
            let (id, values) = (id.clone(), values.get_untracked());
            leptos::task::spawn_local(async move {
                match super::save_channel_settings(id, values).await {
                    Ok(o) => {
                        status.set(Some(Ok("Saved: in effect now.".into())));
                        updated.run(o);
                    }
                    Err(e) => status.set(Some(Err(e.to_string()))),
                }
                busy.set(false);
            });
        }
    };
    let clear = {
        let id = id.clone();
        move |_| {
            busy.set(true);
            status.set(None);
            let id = id.clone();
            leptos::task::spawn_local(async move {
                match super::clear_channel_settings(id).await {
                    Ok(o) => updated.run(o),
                    Err(e) => status.set(Some(Err(e.to_string()))),
                }
                busy.set(false);
            });
        }
    };
    let fields = section
        .fields
        .into_iter()
        .map(|f| {
            let var = f.var.clone();
            let locked = f.source == SettingSource::Environment;
            let set = move |v: String| {
                let var = var.clone();
                values.update(|m| {
                    m.insert(var, v);
                })
            };
            let current = {
                let var = f.var.clone();
                move || values.with(|m| m.get(&var).cloned().unwrap_or_default())
            };
            let input = if locked {
                view! { <input disabled prop:value=f.value.clone() data-testid="setting-input"/> }.into_any()
            } else if !f.choices.is_empty() {
                let options = f.choices.clone();
                let current = current.clone();
                view! {
                    <select data-testid="setting-input" on:change=move |e| set(event_target_value(&e))>
                        {options.into_iter().map(|c| {
                            let is = {
                                let (c, current) = (c.clone(), current.clone());
                                move || current() == c || (current().is_empty() && c == "webhook")
                            };
                            view! { <option value=c.clone() selected=is>{c.clone()}</option> }
                        }).collect_view()}
                    </select>
                }.into_any()
            } else if f.multiline {
                view! { <textarea rows="3" data-testid="setting-input" prop:value=current on:input=move |e| set(event_target_value(&e))></textarea> }.into_any()
            } else if f.secret {
                let placeholder = if f.value.is_empty() {
                    "Not set".to_string()
                } else {
                    format!("{} (leave empty to keep)", f.value)
                };
                view! { <input type="password" autocomplete="off" data-testid="setting-input" placeholder=placeholder prop:value=current on:input=move |e| set(event_target_value(&e))/> }.into_any()
            } else {
                view! { <input data-testid="setting-input" prop:value=current on:input=move |e| set(event_target_value(&e))/> }.into_any()
            };
            view! {
                <label class="setting" data-testid="setting" data-var=f.var.clone() data-source=f.source.as_str()>
                    <span>{f.label.clone()} {locked.then(|| view! { <span class="chip">"Set by the environment"</span> })}</span>
                    {input}
                    <small class="muted">{f.hint.clone()}</small>
                </label>
            }
        })
        .collect_view();
    view! {
        <form class="card channel-card settings" on:submit=save data-testid="channel-settings" data-section=id.clone()>
            <h3>{section.title.clone()} <span class="chip" data-testid="settings-source">{source.label()}</span></h3>
            <p class="muted">{section.about.clone()}</p>
            {fields}
            {move || status.get().map(|r| match r {
                Ok(m) => view! { <p class="ok" data-testid="channel-settings-saved">{m}</p> }.into_any(),
                Err(e) => view! { <p class="form-error" role="alert" data-testid="channel-settings-error">{e}</p> }.into_any(),
            })}
            <div class="form-actions">
                {editable.then(|| view! { <button type="submit" class="primary" data-testid="channel-settings-save" disabled=move || busy.get()>"Save"</button> })}
                {saved.then(|| view! { <button type="button" class="ghost" data-testid="channel-settings-clear" disabled=move || busy.get() on:click=clear>"Remove saved credentials"</button> })}
            </div>
        </form>
    }
}

#[component]
fn ChannelCard(
    account: switchboard_wire::admin::ChannelAccountInfo,
    public_url: String,
) -> impl IntoView {
    let result = RwSignal::new(None::<switchboard_wire::admin::ChannelTest>);
    let testing = RwSignal::new(false);
    let (channel, address) = (account.channel, account.address.clone());
    let test = move |_| {
        testing.set(true);
        result.set(None);
        let address = address.clone();
        leptos::task::spawn_local(async move {
            let got = super::test_channel(channel, address)
                .await
                .unwrap_or_else(|e| switchboard_wire::admin::ChannelTest {
                    ok: false,
                    message: e.to_string(),
                });
            result.set(Some(got));
            testing.set(false);
        });
    };
    let webhook = match (&account.webhook_path, account.polling) {
        (_, true) => "None: this server fetches updates itself (long polling).".to_string(),
        (Some(path), false) => format!("{public_url}{path}"),
        (None, false) => "—".to_string(),
    };
    view! {
        <div class="card channel-card" data-testid="channel-card" data-channel=account.channel.as_str()>
            <h3>{account.name.clone()} <span class="chip">{account.channel.label()}</span></h3>
            <dl>
                <dt>"Account"</dt><dd data-testid="channel-address">{account.address.clone()}</dd>
                <dt>"Webhook URL"</dt><dd data-testid="channel-webhook"><code>{webhook}</code></dd>
                <dt>"API"</dt><dd><code>{account.api_base.clone()}</code></dd>
                <dt>"Credentials"</dt><dd data-testid="channel-credentials">{account.credentials.clone()}</dd>
                {(account.templates > 0).then(|| view! { <dt>"Templates"</dt><dd>{format!("{} approved", account.templates)}</dd> })}
            </dl>
            <button class="ghost" data-testid="channel-test" disabled=move || testing.get() on:click=test>"Test connection"</button>
            {move || result.get().map(|r| view! {
                <p class=if r.ok { "test-ok" } else { "form-error" } data-testid="channel-test-result" data-ok=r.ok.to_string()>{r.message}</p>
            })}
        </div>
    }
}
