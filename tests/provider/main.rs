//! `TokenProvider`: builder, caching and refresh, the keep-fresh task, events and status,
//! the real default chains, and the assume-role step against the STS stand-in.
//!
//! One test binary per area; the shared stand-ins are the `bedrock-token-test-support` crate.

// Unused where every module of this binary needs feature `default-chain` and it is off.
#[allow(unused_imports)]
use bedrock_token_test_support as support;

mod default_chain;
mod keep_fresh;
mod provider;
mod provider_events;
mod scoped;
