//! Adversarial review of the refresh state machine (TokenProvider).

mod support;

use std::time::Duration;

use aws_bedrock_token_generator::{Region, TokenProvider, TokenProviderBuilder};
use aws_smithy_async::test_util::ManualTimeSource;
use support::*;

const HOUR: Duration = Duration::from_secs(3600);

fn builder(creds: &ScriptedCredentials, clock: &ManualTimeSource) -> TokenProviderBuilder {
    TokenProvider::builder()
        .region(Region::new("us-west-2"))
        .credentials_provider(creds.clone())
        .time_source(clock.clone())
        .expiry(HOUR)
        .refresh_jitter(Duration::ZERO)
}

fn paused_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap()
}

/// A provider shared by several runtimes (a `static` provider used by several
/// `#[tokio::test]`s, or one runtime per request in a sync program): a load that was
/// in flight when its runtime shut down must not wedge the provider nor panic in the next
/// runtime's callers.
#[test]
fn a_load_orphaned_by_a_runtime_shutdown_does_not_wedge_the_provider() {
    let clock = ManualTimeSource::new(start());
    let creds = ScriptedCredentials::new(Next::Hang);
    let provider = builder(&creds, &clock).build().unwrap();

    let first = paused_runtime();
    first.block_on(async {
        // The caller gives up (its own deadline) while the load hangs.
        let r = tokio::time::timeout(Duration::from_millis(10), provider.token()).await;
        assert!(r.is_err(), "the load hangs");
    });
    drop(first); // the spawned load is dropped with its runtime

    creds.set(Next::Ok(static_creds()));
    let second = paused_runtime();
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        second.block_on(async {
            tokio::time::timeout(Duration::from_secs(30), provider.token()).await
        })
    }));
    let outcome = outcome.expect("no panic reaches a caller");
    let token = outcome.expect("the next runtime's caller is not stuck behind a dead load");
    assert!(token.is_ok(), "{token:?}");
}
