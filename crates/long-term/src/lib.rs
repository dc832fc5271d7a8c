//! Long-term Amazon Bedrock API keys: IAM service-specific credentials for
//! `bedrock.amazonaws.com` and the other services that take them, managed through
//! `aws-sdk-iam`. Short-term keys are minted by
//! [`aws-bedrock-token-generator`](aws_bedrock_token_generator).
//!
//! | file | what it holds |
//! |---|---|
//! | `client` | [`LongTermKeys`]: the IAM calls (create, list, activate, deactivate, reset, delete) |
//! | `request` | [`CreateKeyRequest`] and the checks made before any IAM call |
//! | `key` | [`LongTermKey`] (the secret), [`KeyMetadata`], [`KeyStatus`], [`CreatedKey`] |
//! | `error` | this crate's [`Error`], [`ErrorKind`], [`Input`] |
//! | `errors` | IAM failures mapped to [`Error`] |
//! | `audit` | [`LongTermKeys::audit`]: every key of the account with its [`Finding`]s |
//! | `revoke` | [`LongTermKeys::revoke`]: a leaked key, found from its text by alias |
//! | `pages` | IAM's pagination for any list call, bounded as `list` is |
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use aws_bedrock_token_generator::{aws_error, names, KeyKind, LongTermKeyInfo, Service};
/// Re-exported for [`LongTermKeys::new`], so the client matches this crate's version.
pub use aws_sdk_iam;

mod audit;
mod client;
mod error;
mod errors;
mod key;
mod pages;
mod request;
mod revoke;

pub use audit::{AuditRequest, AuditedKey, Finding, UserPermissions};
pub use client::LongTermKeys;
pub use error::{Error, ErrorKind, Input};
pub use key::{CreatedKey, KeyMetadata, KeyStatus, LongTermKey};
pub use request::CreateKeyRequest;
pub use revoke::{KeyMatch, RevokeAction};

/// The AWS managed policy that the Bedrock console attaches to the users of long-term keys
/// (the `aws` partition's ARN), from the service table.
fn bedrock_limited_access_policy_arn() -> &'static str {
    // Always `Some` for Bedrock; a unit test checks it is a valid policy ARN.
    Service::Bedrock.managed_policy_arn().unwrap_or_default()
}

/// The longest lifetime IAM allows for a long-term key: 36 600 days (about 100 years).
pub const MAX_KEY_AGE_DAYS: u32 = 36_600;

/// The most long-term Bedrock keys IAM allows per user.
pub const MAX_KEYS_PER_USER: usize = 2;

/// The most pages [`LongTermKeys::list`] asks IAM for before it gives up.
///
/// An account has at most 5 000 IAM users (IAM's quota) with at most
/// [`MAX_KEYS_PER_USER`] keys each: 10 000 keys, 100 pages at IAM's default of 100 items a
/// page. IAM may return fewer items than that on a page, so ten times as many are allowed;
/// an IAM (or stand-in) that says the list goes on beyond that is answering wrongly.
pub const MAX_LIST_PAGES: usize = 1_000;

/// The longest [`LongTermKeys::list`] spends on one listing, all pages together, before it
/// gives up (timed with the IAM client's sleep implementation). Listing the largest
/// account takes seconds; each call also has the client's own timeouts.
pub const MAX_LIST_TIME: std::time::Duration = std::time::Duration::from_secs(300);

/// The README's examples, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
