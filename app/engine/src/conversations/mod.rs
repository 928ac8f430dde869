//! Conversations: the write path (`write`: one transaction per command), the read models
//! (`read`: rows, listings, history, replay) and contacts (`contacts`: identities, starting a
//! web conversation, search; `merge`: two contacts filed as one).

pub mod contacts;
pub mod merge;
pub mod read;
pub mod write;

pub use contacts::{ContactRef, OpenCaps, StartKind, StartOptions, WebStart};
pub use read::{ListCursor, ListQuery};
pub use write::{Appended, Outcome};
