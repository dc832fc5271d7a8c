//! Shared by the benchmarks: fixed inputs and the SigV4 lower bound.
#![allow(dead_code)]

use std::hint::black_box;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_credential_types::Credentials;
use aws_sigv4::sign::v4;
use sha2::{Digest, Sha256};

pub const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
pub const EXPIRY: Duration = Duration::from_secs(43200);

pub fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_718_452_800)
}

pub fn plain_credentials() -> Credentials {
    Credentials::new("AKIDEXAMPLE", SECRET, None, None, "bench")
}

/// The work any SigV4 presign must do: hash the canonical request, derive the signing
/// key (four HMACs) and sign the string to sign (one HMAC), with hex encoding.
pub fn sigv4_lower_bound() -> String {
    let canonical_request = "POST\n/\nAction=CallWithBearerToken&X-Amz-Algorithm=AWS4-HMAC-SHA256&\
        X-Amz-Credential=AKIDEXAMPLE%2F20240615%2Fus-west-2%2Fbedrock%2Faws4_request&\
        X-Amz-Date=20240615T120000Z&X-Amz-Expires=43200&X-Amz-SignedHeaders=host\n\
        host:bedrock.amazonaws.com\n\nhost\n\
        e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    let hash = Sha256::digest(black_box(canonical_request).as_bytes());
    let mut string_to_sign = String::from(
        "AWS4-HMAC-SHA256\n20240615T120000Z\n20240615/us-west-2/bedrock/aws4_request\n",
    );
    for byte in hash {
        string_to_sign.push_str(&format!("{byte:02x}"));
    }
    let key = v4::generate_signing_key(black_box(SECRET), now(), "us-west-2", "bedrock");
    v4::calculate_signature(key, string_to_sign.as_bytes())
}
