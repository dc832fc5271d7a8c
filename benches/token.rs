//! Criterion benchmarks: minting, the SigV4 lower bound, and TokenProvider cache hits.
//!
//! `cargo bench --bench token`. The targets (issues 2 and 3): minting within 3x of the
//! lower bound; a cache hit under 200 ns; two threads hitting the cache take no lock
//! (`cache_hit/two_threads_per_call` shows the per-call time each thread sees).

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

mod support;

use aws_bedrock_token_generator::{generate_token, BedrockToken, Minter, Region, TokenProvider};
use aws_credential_types::Credentials;
use aws_smithy_async::time::StaticTimeSource;
use criterion::{criterion_group, criterion_main, Criterion};
use support::{now, plain_credentials, sigv4_lower_bound, EXPIRY, SECRET};

fn mint(c: &mut Criterion) {
    let plain = plain_credentials();
    let session = Credentials::new(
        "ASIAEXAMPLEEXAMPLE01",
        SECRET,
        Some("FwoGZXIvYXdzEXAMPLE+abc/def==".repeat(12)),
        None,
        "bench",
    );
    let expiry = EXPIRY;
    c.bench_function("generate_token", |b| {
        b.iter(|| generate_token(black_box(&plain), "us-west-2", expiry, now()).unwrap())
    });
    c.bench_function("generate_token/session_token", |b| {
        b.iter(|| generate_token(black_box(&session), "us-west-2", expiry, now()).unwrap())
    });
    let minter = Minter::new();
    c.bench_function("minter_warm", |b| {
        b.iter(|| {
            minter
                .generate_token(black_box(&plain), "us-west-2", expiry, now())
                .unwrap()
        })
    });
    c.bench_function("sigv4_lower_bound", |b| b.iter(sigv4_lower_bound));
}

/// Polls `token()` once: a cache hit completes without suspending.
fn hit(provider: &TokenProvider) -> BedrockToken {
    let mut fut = pin!(provider.token());
    match fut.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(token) => token.unwrap(),
        Poll::Pending => panic!("not a cache hit"),
    }
}

fn cache(c: &mut Criterion) {
    let provider = TokenProvider::builder()
        .region(Region::new("us-west-2"))
        .credentials_provider(plain_credentials())
        .time_source(StaticTimeSource::new(now()))
        .build()
        .unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    rt.block_on(provider.token()).unwrap(); // warm
    c.bench_function("cache_hit", |b| b.iter(|| hit(black_box(&provider))));
    c.bench_function("cache_hit/two_threads_per_call", |b| {
        b.iter_custom(|iters| {
            let per_thread = iters.max(1);
            let start = std::sync::Barrier::new(2);
            #[allow(clippy::disallowed_methods)] // a benchmark measures wall time
            std::thread::scope(|s| {
                let handles: Vec<_> = (0..2)
                    .map(|_| {
                        s.spawn(|| {
                            start.wait();
                            let t = std::time::Instant::now();
                            for _ in 0..per_thread {
                                black_box(hit(&provider));
                            }
                            t.elapsed()
                        })
                    })
                    .collect();
                // Per-call time as seen by each thread: equal to the single-thread figure
                // if the threads do not serialise.
                handles
                    .into_iter()
                    .map(|h| h.join().unwrap())
                    .max()
                    .unwrap()
            })
        })
    });
}

criterion_group!(benches, mint, cache);
criterion_main!(benches);
