//! Ensemble's HTTP edge: the JSON API under `/api/v1/`, `/healthz`, `/metrics`, the web
//! interface teachers use (server-rendered pages at `/`), and the typed client the CLI
//! uses. Only this crate knows HTTP; statuses are decided in [`error::ApiError`] alone.

mod admin;
pub mod client;
pub mod daemon;
pub mod error;
mod http_metrics;
pub mod mentoring;
mod records;
pub mod search;
pub mod server;
mod state;
mod urlencoded;
pub mod views;
pub mod web;

pub use client::{Client, ClientError};
pub use daemon::Daemon;
pub use server::{router, serve};
