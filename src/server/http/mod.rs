//! The HTTP edge: one file per resource, each a thin layer that reads the request, asks
//! the domain (`server::domain`) or the hub, and answers. The JSON API a bot uses (rooms,
//! messages, history, accounts, sessions, bots, invites, users), the server-rendered
//! pages (`pages`: a room; `forms`: everything that works without JavaScript), the theme
//! toggle, health and the OpenAPI document. The router that mounts them is in
//! `server::startup`.

pub mod accounts;
pub mod bots;
pub mod direct;
pub mod forms;
pub mod health;
pub mod history;
pub mod invites;
pub mod messages;
pub mod openapi;
pub mod pages;
pub mod rooms;
pub mod sessions;
pub mod theme;
pub mod topic;
pub mod users;
