//! Long-term keys through `LongTermKeys` against the IAM stand-in.
//!
//! One test binary per area; the shared stand-ins are the `bedrock-token-test-support` crate.

use bedrock_token_test_support as support;

mod long_term;
mod long_term_audit;
