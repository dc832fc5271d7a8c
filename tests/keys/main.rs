//! The keys themselves: minting conformance with the official generators and with
//! aws-sigv4, parsing back into facts (unit and property tests), and secrets never shown.
//!
//! One test binary per area; each declares the shared stand-ins (`tests/support`) once.

#[path = "../support/mod.rs"]
mod support;

mod conformance;
mod inspect;
mod inspect_props;
mod minter;
mod secrets;
mod sigv4_oracle;
