//! The browser's websocket: reconnects with exponential backoff and jitter, sends
//! heartbeats, notices a dead link by silence, and reports its state for the UI. What to
//! (re)subscribe on each open is the caller's `on_open`, which reads the current watermark.
//! Frames are decoded as `F`: the inbox reads every [`ServerFrame`], the widget only its own
//! (`VisitorFrame`), which keeps the agents' types out of its bundle.

use super::ConnState;
use leptos::prelude::*;
use std::cell::RefCell;
use std::rc::Rc;
use switchboard_wire::frames::{ClientFrame, ServerFrame, HEARTBEAT_SECS};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{CloseEvent, MessageEvent, WebSocket};

type OnOpen<F> = Rc<dyn Fn(&LiveSocket<F>)>;
type OnFrame<F> = Rc<dyn Fn(F)>;
type OnSignedOut = Rc<dyn Fn()>;

struct Inner<F> {
    url: String,
    ws: Option<WebSocket>,
    /// Bumped on every new socket so stale handlers of an old one do nothing.
    generation: u32,
    failures: u32,
    last_heard_ms: f64,
    stopped: bool,
    state: RwSignal<ConnState>,
    on_open: OnOpen<F>,
    on_frame: OnFrame<F>,
    on_signed_out: OnSignedOut,
}

pub struct LiveSocket<F = ServerFrame> {
    inner: Rc<RefCell<Inner<F>>>,
}

impl<F> Clone for LiveSocket<F> {
    fn clone(&self) -> Self {
        LiveSocket {
            inner: self.inner.clone(),
        }
    }
}

fn now_ms() -> f64 {
    js_sys_now()
}

fn js_sys_now() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .unwrap_or(0.0)
}

/// Turns a path like `/ws/agent` into a ws:// or wss:// URL on this page's host.
pub fn socket_url(path_and_query: &str) -> String {
    let location = web_sys::window().map(|w| w.location());
    let (proto, host) = match location {
        Some(l) => (
            l.protocol().unwrap_or_default(),
            l.host().unwrap_or_default(),
        ),
        None => (String::new(), String::new()),
    };
    let scheme = if proto == "https:" { "wss" } else { "ws" };
    format!("{scheme}://{host}{path_and_query}")
}

/// Backoff before attempt `failures` (1-based): 0.5s, 1s, 2s… capped at 15s, with jitter.
fn backoff_ms(failures: u32) -> u32 {
    let base = 500u32
        .saturating_mul(1 << failures.saturating_sub(1).min(5))
        .min(15_000);
    let jitter = (js_sys_random() * (base as f64) * 0.3) as u32;
    base + jitter
}

fn js_sys_random() -> f64 {
    let mut b = [0u8; 2];
    if let Some(c) = web_sys::window().and_then(|w| w.crypto().ok()) {
        let _ = c.get_random_values_with_u8_array(&mut b);
    }
    u16::from_le_bytes(b) as f64 / u16::MAX as f64
}

impl<F: serde::de::DeserializeOwned + 'static> LiveSocket<F> {
    /// `on_signed_out`: the server closed the socket for good ([`CLOSE_SIGNED_OUT`]: the
    /// session or token ended); the socket stops reconnecting.
    ///
    /// [`CLOSE_SIGNED_OUT`]: switchboard_wire::frames::CLOSE_SIGNED_OUT
    pub fn start(
        url: String,
        state: RwSignal<ConnState>,
        on_open: impl Fn(&LiveSocket<F>) + 'static,
        on_frame: impl Fn(F) + 'static,
        on_signed_out: impl Fn() + 'static,
    ) -> Self {
        let live = LiveSocket {
            inner: Rc::new(RefCell::new(Inner {
                url,
                ws: None,
                generation: 0,
                failures: 0,
                last_heard_ms: now_ms(),
                stopped: false,
                state,
                on_open: Rc::new(on_open),
                on_frame: Rc::new(on_frame),
                on_signed_out: Rc::new(on_signed_out),
            })),
        };
        live.open();
        live.spawn_heartbeat();
        live
    }

    /// Sends a frame if connected; returns whether it went out.
    pub fn send(&self, frame: &ClientFrame) -> bool {
        let inner = self.inner.borrow();
        match (&inner.ws, serde_json::to_string(frame)) {
            (Some(ws), Ok(text)) if ws.ready_state() == WebSocket::OPEN => {
                ws.send_with_str(&text).is_ok()
            }
            _ => false,
        }
    }

    pub fn stop(&self) {
        let mut inner = self.inner.borrow_mut();
        inner.stopped = true;
        if let Some(ws) = inner.ws.take() {
            let _ = ws.close();
        }
    }

    fn open(&self) {
        let (url, generation, state) = {
            let mut inner = self.inner.borrow_mut();
            if inner.stopped {
                return;
            }
            inner.generation += 1;
            (inner.url.clone(), inner.generation, inner.state)
        };
        state.set(ConnState::Connecting);
        let ws = match WebSocket::new(&url) {
            Ok(ws) => ws,
            Err(_) => {
                self.schedule_reconnect(generation);
                return;
            }
        };

        let this = self.clone();
        let onopen = Closure::<dyn FnMut()>::new(move || {
            if this.inner.borrow().generation != generation {
                return;
            }
            let (state, on_open) = {
                let mut inner = this.inner.borrow_mut();
                inner.failures = 0;
                inner.last_heard_ms = now_ms();
                (inner.state, inner.on_open.clone())
            };
            state.set(ConnState::Online);
            on_open(&this);
        });
        ws.set_onopen(Some(onopen.as_ref().unchecked_ref()));
        onopen.forget();

        let this = self.clone();
        let onmessage = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            if this.inner.borrow().generation != generation {
                return;
            }
            this.inner.borrow_mut().last_heard_ms = now_ms();
            let Some(text) = e.data().as_string() else {
                return;
            };
            // From bytes, as server functions decode their answers: one reader's code in the
            // bundle, not two.
            if let Ok(frame) = serde_json::from_slice::<F>(text.as_bytes()) {
                let on_frame = this.inner.borrow().on_frame.clone();
                on_frame(frame);
            }
        });
        ws.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
        onmessage.forget();

        let this = self.clone();
        let onclose = Closure::<dyn FnMut(CloseEvent)>::new(move |e: CloseEvent| {
            if e.code() == switchboard_wire::frames::CLOSE_SIGNED_OUT {
                this.stop();
                let on_signed_out = this.inner.borrow().on_signed_out.clone();
                on_signed_out();
                return;
            }
            this.schedule_reconnect(generation);
        });
        ws.set_onclose(Some(onclose.as_ref().unchecked_ref()));
        onclose.forget();

        self.inner.borrow_mut().ws = Some(ws);
    }

    fn schedule_reconnect(&self, generation: u32) {
        let (delay, state) = {
            let mut inner = self.inner.borrow_mut();
            if inner.stopped || inner.generation != generation {
                return;
            }
            inner.ws = None;
            inner.failures += 1;
            (backoff_ms(inner.failures), inner.state)
        };
        let this = self.clone();
        leptos::task::spawn_local(async move {
            let mut left = delay;
            while left > 0 {
                state.set(ConnState::Reconnecting {
                    in_secs: left.div_ceil(1000),
                });
                let step = left.min(1000);
                gloo_timers::future::TimeoutFuture::new(step).await;
                left -= step;
            }
            if this.inner.borrow().generation == generation {
                this.open();
            }
        });
    }

    fn spawn_heartbeat(&self) {
        let this = self.clone();
        leptos::task::spawn_local(async move {
            loop {
                gloo_timers::future::TimeoutFuture::new((HEARTBEAT_SECS * 1000) as u32).await;
                let (stopped, silent_for, ws) = {
                    let inner = this.inner.borrow();
                    (
                        inner.stopped,
                        now_ms() - inner.last_heard_ms,
                        inner.ws.clone(),
                    )
                };
                if stopped {
                    return;
                }
                let Some(ws) = ws else { continue };
                if ws.ready_state() != WebSocket::OPEN {
                    continue;
                }
                if silent_for > (HEARTBEAT_SECS as f64) * 2500.0 {
                    // A half-open link: no pong for too long. Closing triggers the reconnect.
                    let _ = ws.close();
                } else {
                    this.send(&ClientFrame::Ping);
                }
            }
        });
    }
}

/// A random v4 UUID from the browser's CSPRNG.
pub fn new_uuid() -> uuid::Uuid {
    let mut bytes = [0u8; 16];
    if let Some(c) = web_sys::window().and_then(|w| w.crypto().ok()) {
        let _ = c.get_random_values_with_u8_array(&mut bytes);
    }
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}
