#![doc = include_str!("../README.md")]
//!
//! # Crate layout
//!
//! | module | what it holds |
//! |---|---|
//! | [`generate_token`] (`mint`) | the pure minting function and its validation |
//! | [`BedrockToken`] (`token`) | the minted token: redacted `Debug`, zeroized text |
//! | [`TokenProvider`] (`provider`) | credential/region resolution, caching and refresh |
//! | [`prefer_bearer_auth`], `ProvideToken` for [`TokenProvider`] (`sdk`) | AWS SDK integration |
//! | [`TokenInfo`] (`inspect`) | parsing a token back into its facts |
//! | [`Error`], [`ErrorKind`] (`error`) | the one error type |
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod error;
mod inspect;
mod mint;
mod provider;
mod sdk;
mod token;

/// Re-exported from `aws-types` for [`TokenProviderBuilder::region`].
pub use aws_types::region::Region;
pub use error::{Error, ErrorKind};
pub use inspect::TokenInfo;
pub use mint::{
    generate_token, DEFAULT_EXPIRY, HOST, MAX_EXPIRY, MIN_EXPIRY, SERVICE, TOKEN_PREFIX,
};
#[cfg(feature = "default-chain")]
pub use provider::provide_token;
pub use provider::{
    Builder as TokenProviderBuilder, TokenProvider, DEFAULT_LOAD_TIMEOUT, DEFAULT_REFRESH_JITTER,
    DEFAULT_REFRESH_WINDOW,
};
pub use sdk::prefer_bearer_auth;
pub use token::BedrockToken;
