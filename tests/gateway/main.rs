//! The gateway (feature `gateway`) in process, against the Bedrock stand-in.
//!
//! One test binary per area; each declares the shared stand-ins (`tests/support`) once.

#[path = "../support/mod.rs"]
mod support;

mod gateway;
