//! The keys themselves: minting conformance with the official generators and with
//! aws-sigv4, parsing back into facts (unit and property tests), and secrets never shown.
//!
//! One test binary per area; the shared stand-ins are the `bedrock-token-test-support` crate.

use bedrock_token_test_support as support;

mod conformance;
mod inspect;
mod inspect_props;
mod minter;
mod secrets;
mod sigv4_oracle;
