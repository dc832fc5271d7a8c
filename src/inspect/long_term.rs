//! Long-term keys: `ABSK` + base64 of `<alias>:<secret>` (IAM service-specific credentials
//! for Amazon Bedrock).

use std::fmt;

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use zeroize::Zeroizing;

use crate::names::{self, MAX_ALIAS_LEN};
use crate::{Error, ErrorKind, Service};

/// The length of every known long-term prefix (`ABSK`, `AEAA`).
pub(crate) const LONG_TERM_PREFIX_LEN: usize = 4;

/// Standard base64; padding optional (the prefix scanners such as gitleaks accept both).
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The public facts of a long-term Amazon Bedrock API key (`ABSK…`): its alias and, when
/// the alias has IAM's usual `<user name>-at-<account id>` form, the IAM user name and the
/// 12-digit AWS account id.
///
/// A long-term key is an IAM service-specific credential: `ABSK` followed by the standard
/// base64 of `<alias>:<secret>`. [`LongTermKeyInfo::parse`] reads the alias and drops the
/// secret: it is not part of this type, so neither `Debug` nor `Display` can show it.
/// Whether the key is active, and when it expires, only IAM knows.
///
/// Every field is printable ASCII: the alias may only contain the characters of IAM user
/// names (letters, digits and `_+=,.@-`) and at most 200 of them; anything else is an
/// [`ErrorKind::InvalidToken`] error.
///
/// ```
/// use aws_bedrock_token_generator::LongTermKeyInfo;
/// use base64::Engine as _;
///
/// // A made-up key: IAM returns the real one once, when it creates the key.
/// let key = format!(
///     "ABSK{}",
///     base64::engine::general_purpose::STANDARD
///         .encode("BedrockAPIKey-x1y2-at-123456789012:EXAMPLESECRETEXAMPLESECRET")
/// );
/// let info = LongTermKeyInfo::parse(&key)?;
/// assert_eq!(info.alias(), "BedrockAPIKey-x1y2-at-123456789012");
/// assert_eq!(info.user_name(), Some("BedrockAPIKey-x1y2"));
/// assert_eq!(info.account_id(), Some("123456789012"));
/// assert!(!format!("{info:?} {info}").contains("EXAMPLESECRET"));
/// # Ok::<(), aws_bedrock_token_generator::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LongTermKeyInfo {
    service: Service,
    alias: String,
    user_name: Option<String>,
    account_id: Option<String>,
}

impl LongTermKeyInfo {
    /// Parses an `ABSK…` (Amazon Bedrock) or `AEAA…` (Claude Platform on AWS) string
    /// (surrounding whitespace is ignored). Never panics;
    /// anything that is not a well-formed long-term key is an [`ErrorKind::InvalidToken`]
    /// error saying what is wrong, without echoing the input.
    ///
    /// The secret part must be present (non-empty) but is not checked further; it is
    /// decoded into memory that is wiped before this function returns.
    pub fn parse(key: &str) -> Result<Self, Error> {
        let key = key.trim();
        let Some(service) = Service::from_long_term_key(key) else {
            return Err(super::unknown_key(key).unwrap_or_else(|| {
                let bedrock = Service::Bedrock.long_term_prefix().unwrap_or_default();
                invalid(
                    Service::Bedrock,
                    &format!("it does not start with `{bedrock}`"),
                )
            }));
        };
        Self::parse_for(service, key)
    }

    /// `service` is the one whose long-term prefix `key` starts with.
    fn parse_for(service: Service, key: &str) -> Result<Self, Error> {
        let prefix = service.long_term_prefix().unwrap_or_default();
        let encoded = key
            .strip_prefix(prefix)
            .ok_or_else(|| invalid(service, &format!("it does not start with `{prefix}`")))?;
        let decoded = Zeroizing::new(BASE64.decode(encoded).map_err(|_| {
            invalid(
                service,
                &format!("the text after `{prefix}` is not valid standard base64"),
            )
        })?);
        let mut parts = decoded.splitn(2, |&b| b == b':');
        let (Some(alias), Some(secret)) = (parts.next(), parts.next()) else {
            return Err(invalid(
                service,
                "the decoded key has no `:` after the alias",
            ));
        };
        if alias.is_empty() {
            return Err(invalid(service, "the alias before the `:` is empty"));
        }
        if secret.is_empty() {
            return Err(invalid(service, "the secret after the `:` is empty"));
        }
        if alias.len() > MAX_ALIAS_LEN {
            return Err(invalid(
                service,
                "the alias before the `:` is longer than 200 characters, the most IAM's \
                 aliases have",
            ));
        }
        if !alias
            .iter()
            .all(|&b| names::is_iam_name_char(char::from(b)))
        {
            return Err(invalid(
                service,
                "the alias before the `:` has characters other than letters, digits and \
                 `_+=,.@-` (the characters of IAM user names)",
            ));
        }
        // ASCII only (checked above), so this cannot fail.
        let alias = std::str::from_utf8(alias)
            .map_err(|_| invalid(service, "the alias before the `:` is not ASCII"))?
            .to_owned();
        let (user_name, account_id) = match names::split_alias(&alias) {
            Some((user, account)) => (Some(user.to_owned()), Some(account.to_owned())),
            None => (None, None),
        };
        Ok(Self {
            service,
            alias,
            user_name,
            account_id,
        })
    }

    /// The service the key is for, from its prefix: [`Service::Bedrock`] for `ABSK…`,
    /// [`Service::ClaudePlatform`] for `AEAA…`.
    pub fn service(&self) -> Service {
        self.service
    }

    /// The key's alias, IAM's `ServiceCredentialAlias`: `<user name>-at-<account id>` for
    /// the keys IAM creates. Not a secret, but it names the user and the account.
    pub fn alias(&self) -> &str {
        &self.alias
    }

    /// The IAM user the key belongs to: the alias before its last `-at-` and 12 digits
    /// (which may be followed by a suffix that does not start with a digit); otherwise
    /// `None`.
    pub fn user_name(&self) -> Option<&str> {
        self.user_name.as_deref()
    }

    /// The 12-digit AWS account id after the alias's last `-at-` followed by 12 digits, if
    /// there is one.
    pub fn account_id(&self) -> Option<&str> {
        self.account_id.as_deref()
    }
}

impl fmt::Display for LongTermKeyInfo {
    /// A summary for people: the alias, and the user and account when known. No secret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "alias {}", self.alias)?;
        if let (Some(user), Some(account)) = (&self.user_name, &self.account_id) {
            write!(f, ", IAM user {user}, account {account}")?;
        }
        Ok(())
    }
}

fn invalid(service: Service, reason: &str) -> Error {
    let name = match service {
        Service::Bedrock => "Bedrock",
        other => other.display_name(),
    };
    Error::new(
        ErrorKind::InvalidToken,
        format!("not a valid long-term {name} API key: {reason}"),
    )
}
