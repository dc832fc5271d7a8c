//! The AWS SDK integration and the examples, against loopback stand-ins.
//!
//! One test binary per area; the shared stand-ins are the `bedrock-token-test-support` crate.

// Unused where every module of this binary needs feature `default-chain` and it is off.
#[allow(unused_imports)]
use bedrock_token_test_support as support;

mod examples;
mod sdk;
