//! The `bedrock-token` binary, run as a real process with an isolated environment and
//! test-owned AWS config files, against loopback stand-ins only: one module per area.
//!
//! One test binary per area; the shared stand-ins are the `bedrock-token-test-support` crate; `support::cli` runs the binary.

mod support {
    pub use bedrock_token_test_support::*;
    pub mod cli;
}

mod cli;
mod cli_cache;
mod cli_canary;
mod cli_clients;
mod cli_gateway;
mod cli_long_term;
mod cli_long_term_audit;
mod cli_messages;
mod cli_role;
