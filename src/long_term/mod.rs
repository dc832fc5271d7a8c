//! Long-term Amazon Bedrock API keys: IAM service-specific credentials for
//! `bedrock.amazonaws.com` (feature `long-term`).
//!
//! | file | what it holds |
//! |---|---|
//! | `client` | [`LongTermKeys`]: the IAM calls (create, list, activate, deactivate, reset, delete) |
//! | `request` | [`CreateKeyRequest`] and the checks made before any IAM call |
//! | `key` | [`LongTermKey`] (the secret), [`KeyMetadata`], [`KeyStatus`], [`CreatedKey`] |
//! | `errors` | IAM failures mapped to the crate's [`Error`](crate::Error) |
//! | `audit` | [`LongTermKeys::audit`]: every key of the account with its [`Finding`]s |
//! | `revoke` | [`LongTermKeys::revoke`]: a leaked key, found from its text by alias |
//! | `pages` | IAM's pagination for any list call, bounded as `list` is |
#![cfg_attr(docsrs, doc(cfg(feature = "long-term")))]

mod audit;
mod client;
mod errors;
mod key;
mod pages;
mod request;
mod revoke;

pub use audit::{
    AuditRequest, AuditedKey, Finding, UserPermissions, DEFAULT_EXPIRING_WITHIN, DEFAULT_OLDER_THAN,
};
pub use client::LongTermKeys;
pub use key::{CreatedKey, KeyMetadata, KeyStatus, LongTermKey};
pub use request::CreateKeyRequest;
pub use revoke::{KeyMatch, RevokeAction};

/// The IAM service name of Amazon Bedrock API keys (`ServiceName` in IAM's
/// service-specific credential calls).
/// ([`Service::Bedrock`](crate::Service::Bedrock)'s
/// [`iam_service_name`](crate::Service::iam_service_name)).
pub const BEDROCK_SERVICE_NAME: &str = match crate::service::FACTS[0].iam_service_name {
    Some(name) => name,
    None => panic!("Bedrock has an IAM service name"),
};

/// The AWS managed policy that the Bedrock console attaches to the users of long-term
/// keys, and that [`CreateKeyRequest`] attaches to a user it creates unless told otherwise.
///
/// This is the ARN in the `aws` partition; in other partitions (China, GovCloud) pass
/// the policy's ARN there with [`CreateKeyRequest::policy_arn`].
///
/// [`Service::Bedrock`](crate::Service::Bedrock)'s
/// [`managed_policy_arn`](crate::Service::managed_policy_arn).
pub const BEDROCK_LIMITED_ACCESS_POLICY_ARN: &str =
    match crate::service::FACTS[0].managed_policy_arn {
        Some(arn) => arn,
        None => panic!("Bedrock has a managed policy"),
    };

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
