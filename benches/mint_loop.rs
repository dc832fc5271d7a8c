//! Times `generate_token` (one-shot: the whole SigV4 work), a warm `Minter` (the day's
//! signing key kept) and the SigV4 lower bound in plain loops, interleaved, and prints
//! `<one-shot µs> <warm µs> <lower bound µs>` on one line, for benches/compare.py, which
//! times the official Python and JS generators the same way in the same run.
//!
//! `cargo bench --bench mint_loop -- <iterations>`

mod support;

use std::hint::black_box;

use aws_bedrock_token_generator::{generate_token, Minter};
use support::{now, plain_credentials, sigv4_lower_bound, EXPIRY};

fn main() {
    let iterations: u32 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(20_000);
    let creds = plain_credentials();
    let minter = Minter::new();
    let mint = || black_box(generate_token(black_box(&creds), "us-west-2", EXPIRY, now()).unwrap());
    let warm = || {
        black_box(
            minter
                .generate_token(black_box(&creds), "us-west-2", EXPIRY, now())
                .unwrap(),
        )
    };
    // Three rounds, interleaved, each figure the best of its rounds: the machine's other
    // load falls on all of them alike.
    let (mut mint_us, mut warm_us, mut bound_us) = (f64::MAX, f64::MAX, f64::MAX);
    for _ in 0..3 {
        mint_us = mint_us.min(micros_per_call(iterations, mint));
        warm_us = warm_us.min(micros_per_call(iterations, warm));
        bound_us = bound_us.min(micros_per_call(iterations, || {
            black_box(sigv4_lower_bound())
        }));
    }
    println!("{mint_us:.3} {warm_us:.3} {bound_us:.3}");
}

fn micros_per_call<T>(iterations: u32, mut f: impl FnMut() -> T) -> f64 {
    for _ in 0..iterations / 10 {
        f();
    }
    #[allow(clippy::disallowed_methods)] // a benchmark measures wall time
    let start = std::time::Instant::now();
    for _ in 0..iterations {
        f();
    }
    start.elapsed().as_secs_f64() * 1e6 / f64::from(iterations)
}
