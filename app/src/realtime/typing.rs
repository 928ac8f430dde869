//! Typing indicators in the browser, both sides. `Pulse` decides when a composer tells the
//! server (a start, repeated while typing goes on, and one stop on send, blur, an emptied box
//! or a pause); `Typing` is who is typing now as shown under a conversation, each entry
//! fading by itself if its refresh never comes. Both take the time as an argument.

use switchboard_wire::frames::{Typist, TYPING_REFRESH_SECS, TYPING_TTL_SECS};
use uuid::Uuid;

/// A pause this long in typing counts as a stop.
pub const PAUSE_MS: f64 = 5_000.0;
const REFRESH_MS: f64 = (TYPING_REFRESH_SECS * 1000) as f64;
const TTL_MS: f64 = (TYPING_TTL_SECS * 1000) as f64;

/// The composer's side: what to send, if anything.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Pulse {
    /// When a start was last sent, while typing is on.
    on_since: Option<f64>,
    last_input: f64,
}

impl Pulse {
    /// The box changed; `Some(true)` to say typing (again), `Some(false)` when it was emptied.
    pub fn input(&mut self, has_text: bool, now: f64) -> Option<bool> {
        self.last_input = now;
        match (has_text, self.on_since) {
            (false, Some(_)) => {
                self.on_since = None;
                Some(false)
            }
            (false, None) => None,
            (true, Some(at)) if now - at < REFRESH_MS => None,
            (true, _) => {
                self.on_since = Some(now);
                Some(true)
            }
        }
    }

    /// Sent, blurred or left: a stop if typing was on.
    pub fn stop(&mut self) -> Option<bool> {
        self.on_since.take().map(|_| false)
    }

    /// A timer's check: a stop if nothing was typed for [`PAUSE_MS`].
    pub fn idle(&mut self, now: f64) -> Option<bool> {
        if self.on_since.is_some() && now - self.last_input >= PAUSE_MS {
            self.stop()
        } else {
            None
        }
    }
}

/// Who is typing in the conversation on screen.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Typing {
    /// (agent id, or none for the contact), name, shown until.
    now: Vec<(Option<Uuid>, String, f64)>,
}

impl Typing {
    pub fn apply(&mut self, typist: &Typist, on: bool, now: f64) {
        let key = match typist {
            Typist::Contact { .. } => None,
            Typist::Agent { id, .. } => Some(*id),
        };
        self.now.retain(|(k, _, _)| *k != key);
        if on {
            self.now
                .push((key, typist.name().to_string(), now + TTL_MS));
        }
    }

    /// A message from them arrived: they stopped typing.
    pub fn clear(&mut self, agent: Option<Uuid>) {
        self.now.retain(|(k, _, _)| *k != agent);
    }

    pub fn reset(&mut self) {
        self.now.clear();
    }

    /// Whether something shown was not refreshed in time.
    pub fn stale(&self, now: f64) -> bool {
        self.now.iter().any(|(_, _, until)| *until <= now)
    }

    /// Drops what was not refreshed in time; whether anything changed.
    pub fn expire(&mut self, now: f64) -> bool {
        let before = self.now.len();
        self.now.retain(|(_, _, until)| *until > now);
        self.now.len() != before
    }

    pub fn is_empty(&self) -> bool {
        self.now.is_empty()
    }

    /// "Ana is typing…", "Ana and Bo are typing…", "Several people are typing…".
    pub fn line(&self) -> Option<String> {
        match self.now.as_slice() {
            [] => None,
            [(_, a, _)] => Some(format!("{a} is typing…")),
            [(_, a, _), (_, b, _)] => Some(format!("{a} and {b} are typing…")),
            _ => Some("Several people are typing…".into()),
        }
    }
}

/// Fades entries whose refresh did not come, once a second, for as long as the signal lives.
#[cfg(feature = "browser")]
pub fn keep_fresh(typing: leptos::prelude::RwSignal<Typing>) {
    use leptos::prelude::*;
    leptos::task::spawn_local(async move {
        loop {
            gloo_timers::future::TimeoutFuture::new(1000).await;
            let now = js_sys::Date::now();
            match typing.try_with_untracked(|t| t.stale(now)) {
                None => return, // the page is gone
                Some(true) => typing.update(|t| {
                    t.expire(now);
                }),
                Some(false) => {}
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_composer_says_typing_once_per_refresh_and_stops_once() {
        let mut p = Pulse::default();
        assert_eq!(p.input(true, 0.0), Some(true));
        assert_eq!(p.input(true, 1000.0), None, "throttled");
        assert_eq!(
            p.input(true, REFRESH_MS),
            Some(true),
            "refreshed while typing"
        );
        assert_eq!(p.idle(REFRESH_MS + 1000.0), None, "not a pause yet");
        assert_eq!(p.idle(REFRESH_MS + PAUSE_MS), Some(false), "a pause stops");
        assert_eq!(p.idle(REFRESH_MS + PAUSE_MS + 1.0), None, "once");
        assert_eq!(p.input(true, 20_000.0), Some(true));
        assert_eq!(p.stop(), Some(false), "sent");
        assert_eq!(p.stop(), None);
        assert_eq!(p.input(true, 21_000.0), Some(true));
        assert_eq!(p.input(false, 21_500.0), Some(false), "emptied");
        assert_eq!(p.input(false, 22_000.0), None);
    }

    #[test]
    fn typing_shows_who_and_fades_without_a_refresh() {
        let ana = Typist::Agent {
            id: Uuid::from_u128(1),
            name: "Ana".into(),
        };
        let vi = Typist::Contact { name: "Vi".into() };
        let mut t = Typing::default();
        assert_eq!(t.line(), None);
        t.apply(&ana, true, 0.0);
        assert_eq!(t.line().as_deref(), Some("Ana is typing…"));
        t.apply(&vi, true, 1000.0);
        assert_eq!(t.line().as_deref(), Some("Ana and Vi are typing…"));
        t.apply(&ana, true, 5000.0);
        assert!(!t.stale(TTL_MS));
        assert!(t.stale(TTL_MS + 1000.0));
        assert!(t.expire(TTL_MS + 1000.0), "Vi was not refreshed");
        assert_eq!(t.line().as_deref(), Some("Ana is typing…"));
        t.clear(Some(Uuid::from_u128(1)));
        assert!(t.is_empty(), "her message arrived");
        t.apply(&vi, true, 0.0);
        t.apply(&vi, false, 10.0);
        assert!(t.is_empty(), "stopped");
    }
}
