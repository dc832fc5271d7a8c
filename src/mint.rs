//! Minting: one pure function from credentials, region, expiry and time to a token.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_credential_types::Credentials;
use aws_sigv4::sign::v4;
use base64::Engine as _;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha2::{Digest, Sha256};

use crate::service::ShortTerm;
use crate::{BedrockToken, Error, ErrorKind, Service};

/// The longest expiry Bedrock accepts: 12 hours.
pub const MAX_EXPIRY: Duration = Duration::from_secs(12 * 60 * 60);
/// The shortest expiry: 1 second.
pub const MIN_EXPIRY: Duration = Duration::from_secs(1);
/// The expiry used when none is given: 12 hours, as in the official generators
/// (documented on [`crate::TokenProviderBuilder::expiry`]).
pub(crate) const DEFAULT_EXPIRY: Duration = MAX_EXPIRY;
/// How far a token's signing time may lie ahead of the current time: 5 minutes, the clock
/// skew AWS tolerates in SigV4 requests.
///
/// A token signed more than this after the current time (by a machine whose clock runs
/// ahead, or with an injected time) is not yet valid: Bedrock rejects it until the clocks
/// agree. [`TokenInfo::is_not_yet_valid_at`](crate::TokenInfo::is_not_yet_valid_at)
/// applies this bound, and [`crate::TokenProvider`] replaces a cached token that fails it.
pub const MAX_CLOCK_SKEW: Duration = Duration::from_secs(300);

pub(crate) const ACTION_QUERY: &str = "Action=CallWithBearerToken";
pub(crate) const VERSION_SUFFIX: &str = "&Version=1";
const ALGORITHM: &str = "AWS4-HMAC-SHA256";
const SIGNED_HEADERS: &str = "&X-Amz-SignedHeaders=host";
/// SHA-256 of the empty request body.
const EMPTY_BODY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
/// Latest signing time SigV4 can express (`X-Amz-Date` has a 4-digit year).
const LATEST_SIGNING_SECS: u64 = 253_402_300_799; // 9999-12-31T23:59:59Z

/// RFC 3986 unreserved characters stay, everything else is percent-encoded:
/// the encoding SigV4 uses for query values.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Mints a Bedrock API key. Pure: no I/O and no clock read; `now` is the signing time.
///
/// This is the counterpart of the official Java and JavaScript `getToken`. Use it when you
/// already hold credentials and a clock; use [`crate::TokenProvider`] to resolve
/// credentials and cache tokens.
///
/// - `expiry` must be between 1 second and 12 hours. Fractional seconds are truncated
///   (1.9 s becomes `X-Amz-Expires=1`), so the token never outlives what you asked for;
///   anything under 1 s, or over 12 h, is [`ErrorKind::InvalidExpiry`].
/// - `region` must be an AWS region name such as `us-east-1` (lower-case letters, digits
///   and single hyphens). It goes into the credential scope; the host is always
///   `bedrock.amazonaws.com`.
/// - `now` is truncated to whole seconds, as SigV4's `X-Amz-Date` is.
///
/// The token is valid until `min(signing time + expiry, credentials' expiry)`, which
/// [`BedrockToken::expires_at`] reports.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use aws_credential_types::Credentials;
/// use aws_bedrock_token_generator::generate_token;
///
/// let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", None, None, "example");
/// let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_718_452_800);
/// let token = generate_token(&creds, "us-west-2", Duration::from_secs(900), now)?;
/// assert!(token.as_str().starts_with("bedrock-api-key-"));
/// assert_eq!(token.expires_at(), now + Duration::from_secs(900));
/// # Ok::<(), aws_bedrock_token_generator::Error>(())
/// ```
pub fn generate_token(
    credentials: &Credentials,
    region: &str,
    expiry: Duration,
    now: SystemTime,
) -> Result<BedrockToken, Error> {
    generate_service_token(Service::Bedrock, credentials, region, expiry, now)
}

/// Mints a short-term API key for `service`, as [`generate_token`] does for Amazon
/// Bedrock. Pure: no I/O and no clock read; `now` is the signing time.
///
/// The key is `<prefix><base64 of the presigned URL>`, signed for the service's host and
/// SigV4 name ([`Service::token_prefix`], [`Service::signing_host`],
/// [`Service::signing_name`]); the same checks and bounds apply as for
/// [`generate_token`]. A service without short-term keys is
/// [`ErrorKind::UnsupportedService`].
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use aws_credential_types::Credentials;
/// use aws_bedrock_token_generator::{generate_service_token, Service};
///
/// let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", None, None, "example");
/// let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_718_452_800);
/// let key = generate_service_token(Service::ClaudePlatform, &creds, "us-west-2", Duration::from_secs(900), now)?;
/// assert!(key.as_str().starts_with("aws-external-anthropic-api-key-"));
/// # Ok::<(), aws_bedrock_token_generator::Error>(())
/// ```
pub fn generate_service_token(
    service: Service,
    credentials: &Credentials,
    region: &str,
    expiry: Duration,
    now: SystemTime,
) -> Result<BedrockToken, Error> {
    mint(
        service,
        credentials,
        region,
        expiry,
        now,
        &|target, time| derive_signing_key(credentials, time, region, target.signing_name),
    )
}

/// A SigV4 signing key (HMAC-SHA256 output), wiped when dropped.
pub(crate) type SigningKey = zeroize::Zeroizing<[u8; 32]>;

/// The signing key of `credentials` for the UTC day of `time`, `region` and
/// `signing_name`: four HMACs (aws-sigv4 derives it).
pub(crate) fn derive_signing_key(
    credentials: &Credentials,
    time: SystemTime,
    region: &str,
    signing_name: &str,
) -> SigningKey {
    let derived =
        v4::generate_signing_key(credentials.secret_access_key(), time, region, signing_name);
    let mut key = SigningKey::new([0; 32]);
    key.copy_from_slice(derived.as_ref());
    key
}

/// [`generate_service_token`] with the signing key from `signing_key` (given the
/// service's short-term facts and the signing time, whole seconds): derived anew, or a
/// [`crate::Minter`]'s.
pub(crate) fn mint(
    service: Service,
    credentials: &Credentials,
    region: &str,
    expiry: Duration,
    now: SystemTime,
    signing_key: &dyn Fn(&ShortTerm, SystemTime) -> SigningKey,
) -> Result<BedrockToken, Error> {
    let Some(target) = service.short_term() else {
        return Err(service.unsupported("short-term API keys; create a long-term key instead"));
    };
    let expiry = validate_expiry(expiry)?;
    validate_region(region)?;
    validate_credentials(credentials)?;
    let signing_time = signing_time(now)?;
    if let Some(cred_expiry) = credentials.expiry() {
        // Compared with the real time, not the truncated signing time: credentials that
        // expire at T+0.5 s must not yield a token at T+0.9 s that is already dead.
        if cred_expiry <= now {
            return Err(Error::new(
                ErrorKind::CredentialsExpired,
                "the AWS credentials had already expired at the signing time; \
                 refresh them (for example `aws sso login`, or renew the session) and mint again",
            ));
        }
    }

    let key = signing_key(target, signing_time);
    let url = presigned_url(target, credentials, region, expiry, signing_time, &key);
    let mut text = String::with_capacity(target.token_prefix.len() + url.len().div_ceil(3) * 4);
    text.push_str(target.token_prefix);
    base64::engine::general_purpose::STANDARD.encode_string(url.as_bytes(), &mut text);

    let requested_end = signing_time + expiry;
    let expires_at = credentials
        .expiry()
        .map_or(requested_end, |c| c.min(requested_end));
    Ok(BedrockToken::new(
        text,
        expires_at,
        service,
        aws_types::region::Region::new(region.to_owned()),
    ))
}

/// Presigns `POST https://bedrock.amazonaws.com/?Action=CallWithBearerToken` (SigV4,
/// query parameters) and returns the URL without its scheme, with `&Version=1` appended.
///
/// The request is always the same shape, so its canonical form is written out here
/// directly; aws-sigv4 derives the signing key and computes the signature. (Going through
/// aws-sigv4's general request signer costs about 2 µs more per token for parsing and
/// sorting a request we already know; `tests/sigv4_oracle.rs` checks this function against
/// that signer on arbitrary inputs, and `tests/keys/conformance.rs` against the official
/// generators.)
///
/// Parameters are emitted in botocore's order: `Action`, the signing parameters,
/// `X-Amz-Security-Token` if any, then `X-Amz-Signature`. That makes our tokens byte-for-byte
/// equal to the Python generator's, with or without a session token. (The JavaScript
/// generator sorts all keys; the signature is the same either way, since SigV4 signs the
/// sorted canonical query.)
fn presigned_url(
    target: &ShortTerm,
    credentials: &Credentials,
    region: &str,
    expiry: Duration,
    signing_time: SystemTime,
    key: &[u8; 32],
) -> String {
    let amz_date = amz_date(signing_time);
    let ShortTerm {
        host, signing_name, ..
    } = *target;
    let scope = format!("{}/{region}/{signing_name}/aws4_request", &amz_date[..8]);
    let credential = format!("{}/{scope}", credentials.access_key_id());
    let expires = expiry.as_secs().to_string();

    // Values are URI-encoded; the canonical query sorts parameters by name, which puts
    // X-Amz-Security-Token before X-Amz-SignedHeaders.
    let mut common = String::with_capacity(256);
    common.push_str(ACTION_QUERY);
    push_param(&mut common, "X-Amz-Algorithm", ALGORITHM);
    push_param(&mut common, "X-Amz-Credential", &credential);
    push_param(&mut common, "X-Amz-Date", &amz_date);
    push_param(&mut common, "X-Amz-Expires", &expires);
    let mut session = String::new();
    if let Some(token) = credentials.session_token() {
        push_param(&mut session, "X-Amz-Security-Token", token);
    }
    let canonical_query = [common.as_str(), &session, SIGNED_HEADERS].concat();

    // The canonical request is hashed as it is written (no string of it is built).
    let mut hash = Sha256::new();
    for part in [
        "POST\n/\n",
        &canonical_query,
        "\nhost:",
        host,
        "\n\nhost\n",
        EMPTY_BODY_SHA256,
    ] {
        hash.update(part.as_bytes());
    }
    let mut string_to_sign = String::with_capacity(ALGORITHM.len() + scope.len() + 90);
    for part in [ALGORITHM, "\n", &amz_date, "\n", &scope, "\n"] {
        string_to_sign.push_str(part);
    }
    string_to_sign.push_str(&hex::encode(hash.finalize()));
    let signature = v4::calculate_signature(key, string_to_sign.as_bytes());

    // URL: host, path, then the query in botocore's order.
    let mut url = String::with_capacity(canonical_query.len() + 128);
    url.push_str(host);
    url.push_str("/?");
    url.push_str(&common);
    url.push_str(SIGNED_HEADERS);
    url.push_str(&session);
    push_param(&mut url, "X-Amz-Signature", &signature);
    url.push_str(VERSION_SUFFIX);
    url
}

fn push_param(url: &mut String, name: &str, value: &str) {
    url.push('&');
    url.push_str(name);
    url.push('=');
    url.extend(utf8_percent_encode(value, QUERY_VALUE));
}

/// `YYYYMMDDTHHMMSSZ`, the SigV4 date format. `t` is within years 1970 to 9999.
fn amz_date(t: SystemTime) -> String {
    let t = time::OffsetDateTime::from(t);
    let mut date = String::with_capacity(16);
    // Written digit by digit: `format!` with widths costs more than the rest together.
    let digits = |date: &mut String, value: u32, width: u32| {
        for place in (0..width).rev() {
            let digit = value / 10u32.pow(place) % 10;
            date.push(char::from(b'0' + digit as u8));
        }
    };
    digits(&mut date, t.year().unsigned_abs(), 4);
    digits(&mut date, u32::from(u8::from(t.month())), 2);
    digits(&mut date, u32::from(t.day()), 2);
    date.push('T');
    digits(&mut date, u32::from(t.hour()), 2);
    digits(&mut date, u32::from(t.minute()), 2);
    digits(&mut date, u32::from(t.second()), 2);
    date.push('Z');
    date
}

/// Checks an expiry and returns it in whole seconds.
pub(crate) fn validate_expiry(expiry: Duration) -> Result<Duration, Error> {
    if expiry < MIN_EXPIRY || expiry > MAX_EXPIRY {
        return Err(Error::new(
            ErrorKind::InvalidExpiry,
            format!(
                "invalid token expiry {expiry:?}: a short-term API key must be valid for \
                 1 to 43200 seconds (12 hours); pass a Duration in that range"
            ),
        ));
    }
    Ok(Duration::from_secs(expiry.as_secs()))
}

/// Checks that `region` looks like an AWS region name ([`crate::names::is_region`]):
/// lower-case ASCII letters and digits in groups joined by single hyphens, starting with a
/// letter, at most 63 characters.
pub(crate) fn validate_region(region: &str) -> Result<(), Error> {
    let valid = crate::names::is_region(region);
    if valid {
        Ok(())
    } else {
        Err(Error::new(
            ErrorKind::InvalidRegion,
            format!(
                "invalid AWS region {region:?}: use a region name such as `us-east-1` \
                 (lower-case letters, digits and single hyphens)"
            ),
        ))
    }
}

/// Checks the credentials before they are used: no empty field, no whitespace or
/// control character in any of them (a trailing `\r` or newline from a file is the usual
/// culprit, and would otherwise surface as a signature mismatch at Bedrock), and an access
/// key id of ASCII letters and digits only. The messages name the field, never its value.
fn validate_credentials(credentials: &Credentials) -> Result<(), Error> {
    const AKID: (&str, &str) = ("access key id", "AWS_ACCESS_KEY_ID");
    const SECRET: (&str, &str) = ("secret access key", "AWS_SECRET_ACCESS_KEY");
    const SESSION: (&str, &str) = ("session token", "AWS_SESSION_TOKEN");
    let akid = credentials.access_key_id();
    let fields = [
        (AKID, Some(akid)),
        (SECRET, Some(credentials.secret_access_key())),
        (SESSION, credentials.session_token()),
    ];
    let blank = |v: &str| v.chars().any(|c| c.is_whitespace() || c.is_control());
    let ((field, var), problem) = if akid.is_empty() {
        (AKID, "is empty")
    } else if credentials.secret_access_key().is_empty() {
        (SECRET, "is empty")
    } else if credentials.session_token() == Some("") {
        (
            SESSION,
            "is empty (pass None when there is no session token)",
        )
    } else if let Some((field, _)) = fields.iter().find(|(_, v)| v.is_some_and(blank)) {
        (
            *field,
            "contains whitespace or a control character (often a trailing `\\r` or newline \
             from a file with Windows line endings); remove it",
        )
    } else if !akid.bytes().all(|b| b.is_ascii_alphanumeric()) {
        (
            AKID,
            "may contain only ASCII letters and digits (it looks like `AKIA...` or `ASIA...`); \
             copy it again",
        )
    } else {
        return Ok(());
    };
    Err(Error::new(
        ErrorKind::InvalidCredentials,
        format!("invalid AWS credentials: the {field} {problem}; check {var} or the profile"),
    ))
}

/// `now` truncated to whole seconds, checked to be expressible as an `X-Amz-Date`.
fn signing_time(now: SystemTime) -> Result<SystemTime, Error> {
    match now.duration_since(UNIX_EPOCH) {
        Ok(d) if d.as_secs() <= LATEST_SIGNING_SECS => {
            Ok(UNIX_EPOCH + Duration::from_secs(d.as_secs()))
        }
        _ => Err(Error::new(
            ErrorKind::InvalidSigningTime,
            "the signing time must be between 1970-01-01 and 9999-12-31 UTC; check the clock or time source",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds() -> Credentials {
        Credentials::new(
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            None,
            None,
            "example",
        )
    }

    fn t(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn expiry_bounds_and_truncation() {
        assert_eq!(
            validate_expiry(Duration::from_secs(1)).unwrap(),
            Duration::from_secs(1)
        );
        assert_eq!(
            validate_expiry(Duration::from_millis(1999)).unwrap(),
            Duration::from_secs(1)
        );
        assert_eq!(validate_expiry(MAX_EXPIRY).unwrap(), MAX_EXPIRY);
        for bad in [
            Duration::ZERO,
            Duration::from_millis(500),
            Duration::from_millis(999),
            MAX_EXPIRY + Duration::from_nanos(1),
            Duration::MAX,
        ] {
            let e = validate_expiry(bad).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidExpiry, "{bad:?}");
            assert!(e.to_string().contains("1 to 43200 seconds"), "{e}");
        }
    }

    #[test]
    fn region_syntax() {
        for ok in [
            "us-east-1",
            "us-gov-west-1",
            "cn-north-1",
            "us-isob-east-1",
            "eu-isoe-west-1",
            "local",
        ] {
            validate_region(ok).unwrap();
        }
        for bad in [
            "",
            "US-EAST-1",
            "us east 1",
            "US WEST/2",
            "us-west-2/",
            "us-west-2?x",
            "us-west-\n2",
            "us--east-1",
            "-us-east-1",
            "us-east-1-",
            "1us-east",
            "us_east_1",
            "us-east-1\0",
            "ü-east-1",
        ] {
            let e = validate_region(bad).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidRegion, "{bad:?}");
            assert!(e.to_string().contains("us-east-1"), "{e}");
        }
        assert_eq!(
            validate_region(&"a".repeat(64)).unwrap_err().kind(),
            ErrorKind::InvalidRegion
        );
    }

    #[test]
    fn rejects_unusable_credentials_without_echoing_secrets() {
        let c = |akid: &str, secret: &str, session: Option<&str>| {
            Credentials::new(akid, secret, session.map(str::to_owned), None, "test")
        };
        let cases = [
            (c("", "SECRETVALUE", None), "the access key id is empty"),
            (c("AKIDEXAMPLE", "", None), "the secret access key is empty"),
            (
                c("AKIDEXAMPLE", "SECRETVALUE", Some("")),
                "the session token is empty (pass None",
            ),
            (
                c("AKIDVALUE\r", "SECRETVALUE", None),
                "the access key id contains whitespace or a control character",
            ),
            (
                c(" AKIDVALUE", "SECRETVALUE", None),
                "the access key id contains whitespace",
            ),
            (
                c("AKIDVALUE", "SECRETVALUE\r", None),
                "the secret access key contains whitespace or a control character (often a \
                 trailing `\\r`",
            ),
            (
                c("AKIDVALUE", "SECRET\u{a0}VALUE", None),
                "the secret access key contains whitespace",
            ),
            (
                c("AKIDVALUE", "SECRET\0VALUE", None),
                "the secret access key contains whitespace or a control character",
            ),
            (
                c("AKIDVALUE", "SECRETVALUE", Some("SESSIONVALUE\n")),
                "the session token contains whitespace",
            ),
            (
                c("AKIDVALUE", "SECRETVALUE", Some("SESSION\u{85}VALUE")),
                "the session token contains whitespace",
            ),
            (
                c("AKID-VALUE", "SECRETVALUE", None),
                "the access key id may contain only ASCII letters and digits",
            ),
            (
                c("AKIDVALUÉ", "SECRETVALUE", None),
                "the access key id may contain only ASCII letters and digits",
            ),
            (
                c("AKID/VALUE", "SECRETVALUE", None),
                "the access key id may contain only ASCII letters and digits",
            ),
        ];
        for (creds, expected) in cases {
            let e = generate_token(&creds, "us-east-1", MAX_EXPIRY, t(1_700_000_000)).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidCredentials);
            let shown = format!("{e} {e:?}");
            assert!(shown.contains(expected), "{shown}");
            for secret in ["SECRETVALUE", "SESSIONVALUE", "AKIDVALUE", "VALU"] {
                assert!(!shown.contains(secret), "{shown}");
            }
        }
        // Anything else printable is fine in the secret key and the session token.
        generate_token(
            &c(
                "AKIDEXAMPLE09az",
                "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~é",
                Some("é€/+="),
            ),
            "us-east-1",
            MAX_EXPIRY,
            t(1_700_000_000),
        )
        .unwrap();
    }

    #[test]
    fn expired_credentials_are_rejected() {
        let c = Credentials::new("AKIDEXAMPLE", "SECRET", None, Some(t(1000)), "test");
        assert_eq!(
            generate_token(&c, "us-east-1", MAX_EXPIRY, t(1000))
                .unwrap_err()
                .kind(),
            ErrorKind::CredentialsExpired
        );
        // One second earlier it works, and the credentials bound the token's life.
        let tok = generate_token(&c, "us-east-1", MAX_EXPIRY, t(999)).unwrap();
        assert_eq!(tok.expires_at(), t(1000));
    }

    #[test]
    fn expires_at_is_signing_time_plus_expiry() {
        let now = t(1_700_000_000) + Duration::from_millis(999);
        let tok = generate_token(&creds(), "us-east-1", Duration::from_secs(60), now).unwrap();
        assert_eq!(tok.expires_at(), t(1_700_000_060));
    }

    #[test]
    fn signing_time_range() {
        assert_eq!(
            generate_token(
                &creds(),
                "us-east-1",
                MAX_EXPIRY,
                UNIX_EPOCH - Duration::from_secs(1)
            )
            .unwrap_err()
            .kind(),
            ErrorKind::InvalidSigningTime
        );
        assert_eq!(
            generate_token(
                &creds(),
                "us-east-1",
                MAX_EXPIRY,
                t(LATEST_SIGNING_SECS + 1)
            )
            .unwrap_err()
            .kind(),
            ErrorKind::InvalidSigningTime
        );
        generate_token(&creds(), "us-east-1", MAX_EXPIRY, t(LATEST_SIGNING_SECS)).unwrap();
        generate_token(&creds(), "us-east-1", MAX_EXPIRY, UNIX_EPOCH).unwrap();
    }
}
