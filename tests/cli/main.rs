//! The `bedrock-token` binary, run as a real process with an isolated environment and
//! test-owned AWS config files, against loopback stand-ins only: one module per area.
//!
//! One test binary per area; each declares the shared stand-ins (`tests/support`) once.

#[path = "../support/mod.rs"]
mod support;

mod cli;
mod cli_cache;
mod cli_canary;
mod cli_clients;
mod cli_gateway;
mod cli_long_term;
mod cli_long_term_audit;
mod cli_messages;
mod cli_role;
