//! The page's reactive state, shared by the components and the browser code (which both
//! depend on it; it depends on neither): the room, its windowed log, the connection, who
//! is typing.

pub mod conn;
pub mod log_view;
pub mod room;
pub mod typing;

use leptos::prelude::*;

/// True in the browser after hydration.
#[derive(Clone, Copy)]
pub struct Hydrated(pub RwSignal<bool>);
