//! A `TokenProvider` with an explicit region, profile and expiry.
//!
//! ```sh
//! cargo run --example token_provider -- us-west-2 my-profile 3600
//! ```
//! Arguments (all optional): region (default us-east-1), profile name (default, or "": the
//! default chain's profile), expiry in seconds (default 3600).

use std::time::Duration;

use aws_bedrock_token_generator::{Region, TokenProvider};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let region = args.next().unwrap_or_else(|| "us-east-1".to_owned());
    let profile = args.next().filter(|p| !p.is_empty());
    let expiry_secs: u64 = match args.next().map(|s| s.parse()) {
        None => 3600,
        Some(Ok(secs)) => secs,
        Some(Err(_)) => fail("the expiry must be a whole number of seconds"),
    };

    let mut builder = TokenProvider::builder()
        .region(Region::new(region))
        .expiry(Duration::from_secs(expiry_secs));
    if let Some(profile) = profile {
        builder = builder.profile_name(profile);
    }
    let provider = builder.build().unwrap_or_else(|e| fail(&e.to_string()));

    // The second call is served from the cache: same token.
    let first = provider
        .token()
        .await
        .unwrap_or_else(|e| fail(&e.to_string()));
    let second = provider
        .token()
        .await
        .unwrap_or_else(|e| fail(&e.to_string()));
    assert_eq!(first.as_str(), second.as_str());
    eprintln!("{provider:?}");
    println!("{}", first.as_str());
}

fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    std::process::exit(1)
}
