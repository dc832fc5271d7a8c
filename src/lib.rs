#![doc = include_str!("../README.md")]
//!
//! # Crate layout
//!
//! | module | what it holds |
//! |---|---|
//! | [`Service`], [`KeyKind`] (`service`) | the AWS services that take API keys, and each one's facts per partition in one table |
//! | [`names`] | AWS name rules, one function each: IAM names, account ids, ARNs, access key kinds, partitions, regions, aliases |
//! | [`generate_token`], [`generate_service_token`] (`mint`) | the pure minting function and its validation |
//! | [`Minter`] (`minter`) | minting that keeps the day's signing keys |
//! | [`BedrockToken`] (`token`) | the minted token, which knows its service and region: redacted `Debug`, zeroized text |
//! | [`TokenProvider`], [`KeepFresh`], [`ProviderStatus`] (`provider/`: `builder`, `source`, `cache`, `refresh`, `background`, `events`, `role`, `policy`) | a cache (`refresh`, `cache`) in front of a token source (`source`: credentials, region, role, mint), built by `builder` |
//! | [`prefer_bearer_auth`], `ProvideToken` for [`TokenProvider`] (`sdk`) | AWS SDK integration |
//! | [`TokenInfo`], [`LongTermKeyInfo`], [`KeyInfo`] (`inspect`) | parsing a key back into its facts |
//! | [`SessionPolicy`], [`ModelPolicy`] (feature `default-chain`) | session policies for the assume-role step |
//! | [`Error`], [`ErrorKind`] (`error`) | the core's error type |
//! | [`aws_error`] | what an AWS service said when it refused a call, vetted for display |
//!
//! The other products are crates of their own in the same workspace:
//! `aws-bedrock-token-gateway` (the local gateway), `aws-bedrock-token-long-term` (IAM
//! long-term keys) and `bedrock-token` (the command-line tool).
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod aws_error;
#[cfg(feature = "default-chain")]
mod endpoint;
mod error;
mod inspect;
mod mint;
mod minter;
pub mod names;
#[cfg(feature = "default-chain")]
mod policy;
mod provider;
#[cfg(feature = "default-chain")]
mod role;
mod sdk;
mod service;
mod token;

/// Re-exported from `aws-types` for [`TokenProviderBuilder::region`].
pub use aws_types::region::Region;
#[cfg(feature = "default-chain")]
#[cfg_attr(docsrs, doc(cfg(feature = "default-chain")))]
pub use endpoint::check_endpoint_settings;
pub use error::{Error, ErrorKind, Input};
pub use inspect::{rfc3339, KeyInfo, LongTermKeyInfo, TokenInfo};
pub use mint::{generate_service_token, generate_token, MAX_CLOCK_SKEW, MAX_EXPIRY, MIN_EXPIRY};
pub use minter::Minter;
#[cfg(feature = "default-chain")]
#[cfg_attr(docsrs, doc(cfg(feature = "default-chain")))]
pub use policy::{
    ModelPolicy, SessionPolicy, INFERENCE_PROFILE_PREFIXES, MAX_SESSION_POLICY_CHARS,
};
#[cfg(feature = "default-chain")]
pub use provider::{provide_service_token, provide_token};
pub use provider::{Builder as TokenProviderBuilder, KeepFresh, ProviderStatus, TokenProvider};
#[cfg(feature = "default-chain")]
#[cfg_attr(docsrs, doc(cfg(feature = "default-chain")))]
pub use role::{MAX_ROLE_SESSION_DURATION, MIN_ROLE_SESSION_DURATION};
pub use sdk::prefer_bearer_auth;
pub use service::{KeyKind, Service};
pub use token::BedrockToken;

/// The library guide's examples (docs/library.md), compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../docs/library.md")]
struct LibraryGuideDoctests;
