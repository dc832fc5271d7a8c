//! The AWS SDK integration and the examples, against loopback stand-ins.
//!
//! One test binary per area; each declares the shared stand-ins (`tests/support`) once.

#[path = "../support/mod.rs"]
mod support;

mod examples;
mod sdk;
