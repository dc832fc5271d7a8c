#![doc = include_str!("../README.md")]
//!
//! # Crate layout
//!
//! | module | what it holds |
//! |---|---|
//! | [`Service`], [`KeyKind`] (`service`) | the AWS services that take API keys, and each one's facts in one table |
//! | [`generate_token`], [`generate_service_token`] (`mint`) | the pure minting function and its validation |
//! | [`Minter`] (`minter`) | minting that keeps the day's signing keys |
//! | [`BedrockToken`] (`token`) | the minted token: redacted `Debug`, zeroized text |
//! | [`TokenProvider`], [`KeepFresh`], [`ProviderStatus`] (`provider/`: `builder`, `source`, `cache`, `refresh`, `background`, `events`) | a cache (`refresh`, `cache`) in front of a token source (`source`: credentials, region, role, mint), built by `builder` |
//! | [`prefer_bearer_auth`], `ProvideToken` for [`TokenProvider`] (`sdk`) | AWS SDK integration |
//! | [`TokenInfo`], [`LongTermKeyInfo`], [`KeyInfo`] (`inspect`) | parsing a key back into its facts |
//! | [`SessionPolicy`], [`ModelPolicy`] (`policy`, feature `default-chain`) | session policies for the assume-role step |
//! | `role` (feature `default-chain`) | the assume-role step of [`TokenProviderBuilder::assume_role`] |
//! | `names` | AWS name rules, one function each: IAM names, account ids, partitions, regions, aliases |
//! | [`Error`], [`ErrorKind`] (`error`) | the one error type |
//! | [`gateway`] (`gateway/`: `key`, `tls`, `framing`, `forward`, `server`; feature `gateway`) | the local gateway that forwards requests with a fresh key |
//! | [`LongTermKeys`], [`LongTermKey`], [`KeyMetadata`] (`long_term`, feature `long-term`) | long-term keys: IAM service-specific credentials |
//! | `src/bin/bedrock-token/` (feature `cli`, not part of the library) | the `bedrock-token` command, a file per subcommand family |
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

// Without them only `Failure::in_chain` is used (credentials providers' errors).
#[cfg_attr(
    not(any(feature = "default-chain", feature = "long-term")),
    allow(dead_code)
)]
mod aws_error;
#[cfg(feature = "default-chain")]
mod endpoint;
mod error;
#[cfg(feature = "gateway")]
#[cfg_attr(docsrs, doc(cfg(feature = "gateway")))]
pub mod gateway;
mod inspect;
#[cfg(feature = "long-term")]
mod long_term;
mod mint;
mod minter;
mod names;
#[cfg(feature = "default-chain")]
mod policy;
mod provider;
#[cfg(feature = "default-chain")]
mod role;
mod sdk;
mod service;
mod token;

/// Re-exported for [`LongTermKeys::new`], so the client matches this crate's version.
#[cfg(feature = "long-term")]
#[cfg_attr(docsrs, doc(cfg(feature = "long-term")))]
pub use aws_sdk_iam;
/// Re-exported from `aws-types` for [`TokenProviderBuilder::region`].
pub use aws_types::region::Region;
#[cfg(feature = "default-chain")]
#[cfg_attr(docsrs, doc(cfg(feature = "default-chain")))]
pub use endpoint::check_endpoint_settings;
pub use error::{Error, ErrorKind, Input};
pub use inspect::{KeyInfo, LongTermKeyInfo, TokenInfo};
#[cfg(feature = "long-term")]
#[cfg_attr(docsrs, doc(cfg(feature = "long-term")))]
pub use long_term::{
    AuditRequest, AuditedKey, Finding, KeyMatch, RevokeAction, UserPermissions,
    DEFAULT_EXPIRING_WITHIN, DEFAULT_OLDER_THAN,
};
#[cfg(feature = "long-term")]
#[cfg_attr(docsrs, doc(cfg(feature = "long-term")))]
pub use long_term::{
    CreateKeyRequest, CreatedKey, KeyMetadata, KeyStatus, LongTermKey, LongTermKeys,
    BEDROCK_LIMITED_ACCESS_POLICY_ARN, BEDROCK_SERVICE_NAME, MAX_KEYS_PER_USER, MAX_KEY_AGE_DAYS,
    MAX_LIST_PAGES, MAX_LIST_TIME,
};
pub use mint::{
    generate_service_token, generate_token, DEFAULT_EXPIRY, HOST, MAX_CLOCK_SKEW, MAX_EXPIRY,
    MIN_EXPIRY, SERVICE, TOKEN_PREFIX,
};
pub use minter::Minter;
#[cfg(feature = "default-chain")]
#[cfg_attr(docsrs, doc(cfg(feature = "default-chain")))]
pub use policy::{
    ModelPolicy, SessionPolicy, INFERENCE_PROFILE_PREFIXES, MAX_SESSION_POLICY_CHARS,
};
#[cfg(feature = "default-chain")]
pub use provider::{provide_service_token, provide_token};
pub use provider::{
    Builder as TokenProviderBuilder, KeepFresh, ProviderStatus, TokenProvider,
    DEFAULT_LOAD_TIMEOUT, DEFAULT_MIN_VALIDITY, DEFAULT_REFRESH_JITTER, DEFAULT_REFRESH_WINDOW,
};
#[cfg(feature = "default-chain")]
#[cfg_attr(docsrs, doc(cfg(feature = "default-chain")))]
pub use role::{
    DEFAULT_ROLE_SESSION_NAME_PREFIX, MAX_ROLE_SESSION_DURATION, MIN_ROLE_SESSION_DURATION,
};
pub use sdk::prefer_bearer_auth;
pub use service::{KeyKind, Service};
pub use token::BedrockToken;
