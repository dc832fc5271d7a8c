//! `TokenProvider`: builder, caching and refresh, the keep-fresh task, events and status,
//! the real default chains, and the assume-role step against the STS stand-in.
//!
//! One test binary per area; each declares the shared stand-ins (`tests/support`) once.

#[path = "../support/mod.rs"]
mod support;

mod default_chain;
mod keep_fresh;
mod provider;
mod provider_events;
mod scoped;
