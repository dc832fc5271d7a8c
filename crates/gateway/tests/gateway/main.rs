//! The gateway in process, against the Bedrock stand-in.
//!
//! One test binary per area; the shared stand-ins are the `bedrock-token-test-support` crate.

use bedrock_token_test_support as support;

mod gateway;
