//! Long-term keys (feature `long-term`) through `LongTermKeys` against the IAM stand-in.
//!
//! One test binary per area; each declares the shared stand-ins (`tests/support`) once.

#[path = "../support/mod.rs"]
mod support;

mod long_term;
mod long_term_audit;
