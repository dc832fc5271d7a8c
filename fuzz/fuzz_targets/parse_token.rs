//! `TokenInfo::parse` on arbitrary input: it must return, never panic, and any token it
//! accepts must describe itself consistently.
//!
//! `cargo fuzz run parse_token` (needs a nightly compiler, or RUSTC_BOOTSTRAP=1).
#![no_main]

use aws_bedrock_token_generator::{ErrorKind, TokenInfo};
use base64::Engine as _;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        check(text);
    }
    // Most inputs fail at base64; also feed the bytes as the decoded URL.
    let encoded = base64::engine::general_purpose::STANDARD.encode(data);
    check(&format!("bedrock-api-key-{encoded}"));
});

fn check(token: &str) {
    match TokenInfo::parse(token) {
        Ok(info) => {
            assert!(!info.region().is_empty());
            assert!(!info.access_key_id().is_empty());
            assert!(info.expiry().as_secs() >= 1 && info.expiry().as_secs() <= 43_200);
            assert!(info.expires_at() > info.signed_at());
        }
        Err(e) => assert_eq!(e.kind(), ErrorKind::InvalidToken),
    }
}
