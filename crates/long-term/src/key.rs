//! The long-term key (secret) and its metadata (not secret).

use std::fmt;
use std::time::SystemTime;

use aws_sdk_iam::primitives::DateTime;
use aws_sdk_iam::types::{
    ServiceSpecificCredential, ServiceSpecificCredentialMetadata, StatusType,
};

use crate::names;
use crate::LongTermKeyInfo;
use crate::Service;
use crate::{Error, ErrorKind};

use super::request::validate_key_id;

/// A long-term Amazon Bedrock API key: the `ABSK...` text IAM returns once, when the key
/// is created or reset.
///
/// Send it as `Authorization: Bearer <key>`, or hand it to `aws-sdk-bedrockruntime`
/// (it converts into [`aws_credential_types::Token`]).
///
/// Like [`BedrockToken`](aws_bedrock_token_generator::BedrockToken), the text lives in zeroize-on-drop memory,
/// `Debug` prints `** redacted **`, and there is deliberately no `Display`: read the text
/// with [`LongTermKey::as_str`] only where you send or store it.
#[derive(Clone)]
pub struct LongTermKey {
    inner: aws_credential_types::Token,
}

impl LongTermKey {
    pub(crate) fn new(text: String, expires_at: Option<SystemTime>) -> Self {
        Self {
            inner: aws_credential_types::Token::new(text, expires_at),
        }
    }

    /// The key text, exactly as IAM returned it (`ABSK...`).
    ///
    /// **Security warning:** this is a long-lived bearer credential. Anyone holding it
    /// can call Amazon Bedrock as its IAM user until it expires, is deactivated or is
    /// deleted, and IAM never shows it again. Do not log it, print it, or put it in error
    /// messages, URLs or version control; store it in a secret manager.
    pub fn as_str(&self) -> &str {
        self.inner.token()
    }
}

impl fmt::Debug for LongTermKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LongTermKey")
            .field("key", &"** redacted **")
            .finish()
    }
}

impl From<LongTermKey> for aws_credential_types::Token {
    fn from(key: LongTermKey) -> Self {
        key.inner
    }
}

/// A key just created or reset: the secret, shown this once, and its metadata.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct CreatedKey {
    /// The key text. IAM will not return it again: keep it now or reset the key later.
    pub key: LongTermKey,
    /// The key's id, user, status and dates.
    pub metadata: KeyMetadata,
}

/// Whether IAM accepts a long-term key.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyStatus {
    /// The key can be used.
    Active,
    /// The key was deactivated; activate it again to use it.
    Inactive,
    /// The key is past its expiration date.
    Expired,
    /// A status this crate does not know yet, as IAM spelled it.
    Other(String),
}

impl KeyStatus {
    /// IAM's spelling: `Active`, `Inactive`, `Expired`, or the unknown value.
    pub fn as_str(&self) -> &str {
        match self {
            KeyStatus::Active => "Active",
            KeyStatus::Inactive => "Inactive",
            KeyStatus::Expired => "Expired",
            KeyStatus::Other(other) => other,
        }
    }

    fn from_iam(status: &StatusType) -> Self {
        match status {
            StatusType::Active => KeyStatus::Active,
            StatusType::Inactive => KeyStatus::Inactive,
            StatusType::Expired => KeyStatus::Expired,
            other => KeyStatus::Other(other.as_str().to_owned()),
        }
    }
}

impl fmt::Display for KeyStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What IAM tells about a long-term key, without the key itself.
///
/// A field is `None` when IAM's answer did not have it: nothing is made up for it (the
/// AWS SDK fills a missing date with 1970-01-01T00:00:00Z and a missing status with
/// `no value was set`; both are read as missing).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct KeyMetadata {
    /// The service the key is for, from IAM's `ServiceName` (`None`: a service name this
    /// crate does not know, or none).
    pub service: Option<Service>,
    /// The key's id (`ACCA...`): what activate, deactivate, reset and delete take.
    pub id: Option<String>,
    /// The IAM user the key belongs to.
    pub user_name: Option<String>,
    /// The key's public alias, `<user>-at-<account id>` (IAM's `ServiceCredentialAlias`).
    pub alias: Option<String>,
    /// The 12-digit AWS account id, read from the alias when it has one.
    pub account_id: Option<String>,
    /// Whether the key is active, inactive or expired.
    pub status: Option<KeyStatus>,
    /// When the key was created (or last reset, as IAM reports it).
    pub created_at: Option<SystemTime>,
    /// When the key stops working, if it was created with an age.
    pub expires_at: Option<SystemTime>,
}

/// What the AWS SDK puts in a missing required status (its "error correction").
const NO_STATUS: &str = "no value was set";

impl KeyMetadata {
    /// Whether the key no longer works at `now`: IAM says `Expired`, or its
    /// expiration date has passed.
    pub fn is_expired_at(&self, now: SystemTime) -> bool {
        self.status == Some(KeyStatus::Expired) || self.expires_at.is_some_and(|at| now >= at)
    }

    pub(crate) fn from_listed(m: ServiceSpecificCredentialMetadata) -> Result<Self, Error> {
        Self::from_parts(
            &m.service_name,
            m.service_specific_credential_id,
            m.user_name,
            m.service_credential_alias,
            &m.status,
            &m.create_date,
            m.expiration_date.as_ref(),
        )
    }

    fn from_parts(
        service_name: &str,
        id: String,
        user_name: String,
        alias: Option<String>,
        status: &StatusType,
        created: &DateTime,
        expires: Option<&DateTime>,
    ) -> Result<Self, Error> {
        let present = |s: String| Some(s).filter(|s| !s.is_empty());
        let alias = alias.and_then(present);
        let account_id = alias.as_deref().and_then(account_from_alias);
        // The SDK's stand-in for a missing creation date: the epoch itself.
        let created = Some(created).filter(|d| **d != DateTime::from_secs(0));
        Ok(Self {
            service: Service::from_iam_service_name(service_name),
            created_at: created.map(|c| system_time(c, "creation")).transpose()?,
            expires_at: expires.map(|e| system_time(e, "expiration")).transpose()?,
            account_id,
            alias,
            status: (status.as_str() != NO_STATUS).then(|| KeyStatus::from_iam(status)),
            user_name: present(user_name),
            id: present(id),
        })
    }
}

impl CreatedKey {
    /// From the credential IAM returned to CreateServiceSpecificCredential or
    /// ResetServiceSpecificCredential (`action`) for `user` (the one time it carries the
    /// secret). Key text that is not a well-formed long-term key is refused unseen: it
    /// could hold anything, terminal control sequences included.
    pub(crate) fn from_iam(
        mut c: ServiceSpecificCredential,
        action: &'static str,
        user: &str,
    ) -> Result<Self, Error> {
        let secret = c.service_credential_secret.take().filter(|s| !s.is_empty());
        let metadata = KeyMetadata::from_parts(
            &c.service_name,
            c.service_specific_credential_id,
            c.user_name,
            c.service_credential_alias,
            &c.status,
            &c.create_date,
            c.expiration_date.as_ref(),
        )?;
        let key = match metadata.id.as_deref() {
            Some(id) if validate_key_id(id).is_ok() => format!("key `{id}`"),
            _ => "a key IAM gave no usable id for".to_owned(),
        };
        let Some(secret) = secret else {
            return Err(Error::new(
                ErrorKind::Iam,
                format!(
                    "IAM's answer to {action} for {key} of IAM user `{user}` carried no key \
                     text; reset the key to get new key text, or delete it"
                ),
            )
            .during(action));
        };
        if !well_formed_key(metadata.service, &secret) {
            let what = match metadata.service {
                None | Some(Service::Bedrock) => "long-term Bedrock API key".to_owned(),
                Some(other) => format!("long-term {other} API key"),
            };
            let prefix = metadata
                .service
                .unwrap_or(Service::Bedrock)
                .long_term_prefix()
                .map_or_else(|| "base64".to_owned(), |p| format!("`{p}` and base64"));
            return Err(Error::new(
                ErrorKind::Iam,
                format!(
                    "IAM's answer to {action} for {key} of IAM user `{user}` carried key text \
                     that is not a well-formed {what} ({prefix}), so it is not returned and \
                     not shown; delete that key, or reset it to get new key text"
                ),
            )
            .during(action));
        }
        Ok(Self {
            key: LongTermKey::new(secret, metadata.expires_at),
            metadata,
        })
    }
}

/// Whether `text` is a long-term key of `service` (Bedrock when IAM named no known
/// service) as IAM makes them: the service's prefix (`ABSK`, `AEAA`) and standard base64
/// only (no whitespace or control characters anywhere), decoding to `<alias>:<secret>` as
/// [`LongTermKeyInfo::parse`] reads it. For a service whose prefix is not known: letters,
/// digits and `+/=` only, so that it is safe to print.
fn well_formed_key(service: Option<Service>, text: &str) -> bool {
    let base64 = |b: u8| b.is_ascii_alphanumeric() || b"+/=".contains(&b);
    let service = service.unwrap_or(Service::Bedrock);
    let Some(prefix) = service.long_term_prefix() else {
        return !text.is_empty() && text.bytes().all(base64);
    };
    let Some(encoded) = text.strip_prefix(prefix) else {
        return false;
    };
    !encoded.is_empty()
        && encoded.bytes().all(base64)
        && LongTermKeyInfo::parse(text).is_ok_and(|info| info.service() == service)
}

/// The account id in an alias `<user>-at-<12 digits>` ([`names::split_alias`]).
fn account_from_alias(alias: &str) -> Option<String> {
    names::split_alias(alias).map(|(_, account)| account.to_owned())
}

fn system_time(t: &DateTime, what: &str) -> Result<SystemTime, Error> {
    SystemTime::try_from(*t).map_err(|_| {
        Error::new(
            ErrorKind::Iam,
            format!("IAM returned a key {what} date this platform cannot represent"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn key_debug_is_redacted_and_pinned() {
        let k = LongTermKey::new("ABSKSECRETTEXT".into(), None);
        assert_eq!(format!("{k:?}"), r#"LongTermKey { key: "** redacted **" }"#);
        assert!(!format!("{k:#?}").contains("SECRETTEXT"));
        assert_eq!(k.as_str(), "ABSKSECRETTEXT");
    }

    #[test]
    fn key_converts_into_sdk_token_with_expiry() {
        let at = UNIX_EPOCH + Duration::from_secs(99);
        let k = LongTermKey::new("ABSKx".into(), Some(at));
        let t: aws_credential_types::Token = k.into();
        assert_eq!(t.token(), "ABSKx");
        assert_eq!(t.expiration(), Some(at));
    }

    #[test]
    fn account_id_comes_from_the_alias() {
        let f = |s| account_from_alias(s);
        assert_eq!(f("alice-at-123456789012").as_deref(), Some("123456789012"));
        assert_eq!(
            f("bob-at-home-at-123456789012").as_deref(),
            Some("123456789012")
        );
        assert_eq!(
            f("carol-at-123456789012-v1").as_deref(),
            Some("123456789012")
        );
        assert_eq!(f("dave-at-12345678901"), None);
        assert_eq!(f("erin-at-1234567890123"), None);
        assert_eq!(f("frank"), None);
        assert_eq!(f("-at-"), None);
    }

    #[test]
    fn status_keeps_unknown_values() {
        assert_eq!(KeyStatus::from_iam(&StatusType::Active), KeyStatus::Active);
        assert_eq!(
            KeyStatus::from_iam(&StatusType::Inactive),
            KeyStatus::Inactive
        );
        assert_eq!(
            KeyStatus::from_iam(&StatusType::Expired),
            KeyStatus::Expired
        );
        let other = KeyStatus::from_iam(&StatusType::from("Paused"));
        assert_eq!(other, KeyStatus::Other("Paused".into()));
        assert_eq!(other.to_string(), "Paused");
    }

    #[test]
    fn expired_by_status_or_date() {
        let at = UNIX_EPOCH + Duration::from_secs(100);
        let mut m = KeyMetadata {
            service: Some(Service::Bedrock),
            id: Some("ACCAEXAMPLEEXAMPLE01".into()),
            user_name: Some("alice".into()),
            alias: None,
            account_id: None,
            status: Some(KeyStatus::Active),
            created_at: Some(UNIX_EPOCH),
            expires_at: Some(at),
        };
        assert!(!m.is_expired_at(at - Duration::from_secs(1)));
        assert!(m.is_expired_at(at));
        m.expires_at = None;
        assert!(!m.is_expired_at(at));
        m.status = Some(KeyStatus::Expired);
        assert!(m.is_expired_at(UNIX_EPOCH));
        m.status = None;
        assert!(!m.is_expired_at(UNIX_EPOCH));
    }

    #[test]
    fn missing_fields_stay_missing() {
        // What the SDK makes of a list entry with nothing but an alias.
        let listed = ServiceSpecificCredentialMetadata::builder()
            .user_name("")
            .status(StatusType::from(NO_STATUS))
            .create_date(DateTime::from_fractional_secs(0, 0.0))
            .service_specific_credential_id("")
            .service_name("")
            .service_credential_alias("alice-at-123456789012")
            .build()
            .unwrap();
        let m = KeyMetadata::from_listed(listed).unwrap();
        assert_eq!(m.id, None);
        assert_eq!(m.user_name, None);
        assert_eq!(m.status, None);
        assert_eq!(m.created_at, None);
        assert_eq!(m.expires_at, None);
        assert_eq!(m.account_id.as_deref(), Some("123456789012"));
    }

    #[test]
    fn key_text_must_be_absk_and_base64() {
        use base64::Engine as _;
        let good = format!(
            "ABSK{}",
            base64::engine::general_purpose::STANDARD.encode("alice-at-123456789012:SECRET")
        );
        assert!(well_formed_key(Some(Service::Bedrock), &good));
        assert!(well_formed_key(None, &good));
        // Each service's own prefix, and only its own.
        let claude = good.replacen("ABSK", "AEAA", 1);
        assert!(well_formed_key(Some(Service::ClaudePlatform), &claude));
        assert!(!well_formed_key(Some(Service::Bedrock), &claude));
        assert!(!well_formed_key(Some(Service::ClaudePlatform), &good));
        // No known prefix: printable base64 only.
        assert!(well_formed_key(Some(Service::XRay), &good));
        assert!(!well_formed_key(
            Some(Service::XRay),
            &format!("{good}\u{1b}[2J")
        ));
        for bad in [
            String::new(),
            "ABSK".into(),
            good.replacen("ABSK", "absk", 1),
            format!("{good}\n"),
            format!(" {good}"),
            format!("{good}\u{1b}[2J"),
            format!("ABSK\u{7}{}", &good[4..]),
            good[..good.len() - 3].to_owned(),
            format!(
                "ABSK{}",
                base64::engine::general_purpose::STANDARD.encode("no colon")
            ),
        ] {
            assert!(!well_formed_key(Some(Service::Bedrock), &bad), "{bad:?}");
        }
    }

    #[test]
    fn created_key_without_secret_is_an_error_naming_the_key() {
        let c = ServiceSpecificCredential::builder()
            .create_date(DateTime::from_secs(0))
            .service_name("bedrock.amazonaws.com")
            .service_user_name("alice-at-123456789012")
            .service_password("")
            .service_specific_credential_id("ACCAEXAMPLEEXAMPLE01")
            .user_name("alice")
            .status(StatusType::Active)
            .build()
            .unwrap();
        let e = CreatedKey::from_iam(c, "CreateServiceSpecificCredential", "alice").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Iam);
        assert!(e.to_string().contains("key `ACCAEXAMPLEEXAMPLE01`"), "{e}");
        assert!(e.to_string().contains("`alice`"), "{e}");
    }
}
