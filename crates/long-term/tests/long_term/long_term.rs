//! Long-term keys: the real aws-sdk-iam client, driven by `LongTermKeys`, against the
//! IAM stand-in on 127.0.0.1 (tests/support/iam.rs).

use crate::support;

use std::error::Error as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_bedrock_token_long_term::aws_sdk_iam;
use aws_bedrock_token_long_term::{
    CreateKeyRequest, Error, ErrorKind, KeyStatus, LongTermKeys, MAX_LIST_PAGES, MAX_LIST_TIME,
};

/// The AWS managed policy attached by default (the service table's fact).
const BEDROCK_LIMITED_ACCESS_POLICY_ARN: &str =
    "arn:aws:iam::aws:policy/AmazonBedrockLimitedAccess";
use aws_sdk_iam::config::retry::RetryConfig;
use aws_sdk_iam::config::timeout::TimeoutConfig;
use aws_sdk_iam::config::{BehaviorVersion, Region};
use aws_smithy_async::rt::sleep::{AsyncSleep, Sleep};
use support::iam::{Iam, ACCOUNT, LIMITED_ACCESS, READ_ONLY};
use support::*;

const DAY: Duration = Duration::from_secs(86_400);
const CREATE: &str = "CreateServiceSpecificCredential";

/// A client of the IAM stand-in `iam`, with static fake credentials.
pub(crate) fn keys(iam: &Iam) -> LongTermKeys {
    let config = aws_sdk_iam::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(iam.url())
        .credentials_provider(static_creds())
        .build();
    LongTermKeys::new(aws_sdk_iam::Client::from_conf(config))
}

/// A client for `iam` that retries (standard retries, 3 attempts, 1 ms backoff) and
/// gives each call `timeout`.
fn retrying_keys(iam: &Iam, timeout: Duration) -> LongTermKeys {
    let config = aws_sdk_iam::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(iam.url())
        .credentials_provider(static_creds())
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(3)
                .with_initial_backoff(Duration::from_millis(1)),
        )
        .timeout_config(
            TimeoutConfig::builder()
                .operation_attempt_timeout(timeout)
                .build(),
        )
        .build();
    LongTermKeys::new(aws_sdk_iam::Client::from_conf(config))
}

async fn stand_in() -> (Iam, LongTermKeys) {
    let iam = Iam::start(start()).await;
    let keys = keys(&iam);
    (iam, keys)
}

/// The error's Display and Debug, for message checks and leak checks.
fn text(e: &Error) -> String {
    format!("{e} || {e:?}")
}

#[tokio::test]
async fn create_with_a_new_user_makes_the_three_calls_in_order() {
    let (iam, keys) = stand_in().await;
    let request = CreateKeyRequest::new("explorer", 30).create_user(true);
    let created = keys.create(&request).await.unwrap();

    assert_eq!(
        iam.actions(),
        ["CreateUser", "AttachUserPolicy", CREATE],
        "one user, the default policy, then the key"
    );
    let calls = iam.calls();
    assert_eq!(calls[0].param("UserName"), Some("explorer"));
    assert_eq!(calls[1].param("PolicyArn"), Some(LIMITED_ACCESS));
    assert_eq!(calls[1].param("UserName"), Some("explorer"));
    assert_eq!(calls[2].param("UserName"), Some("explorer"));
    assert_eq!(calls[2].param("ServiceName"), Some("bedrock.amazonaws.com"));
    assert_eq!(calls[2].param("CredentialAgeDays"), Some("30"));
    for call in &calls {
        assert_eq!(call.param("Version"), Some("2010-05-08"));
        let auth = call.authorization.as_deref().expect("SigV4-signed");
        assert!(
            auth.contains(&format!("Credential={AKID}/"))
                && auth.contains("/us-east-1/iam/aws4_request"),
            "{auth}"
        );
    }
    assert_eq!(iam.policies_of("explorer"), [LIMITED_ACCESS]);

    let stored = iam.key(created.metadata.id.as_deref().unwrap());
    assert_eq!(created.key.as_str(), stored.secret);
    assert!(created.key.as_str().starts_with("ABSK"));
    let m = &created.metadata;
    assert_eq!(m.user_name.as_deref(), Some("explorer"));
    assert_eq!(m.alias.as_deref(), Some("explorer-at-123456789012"));
    assert_eq!(m.account_id.as_deref(), Some(ACCOUNT));
    assert_eq!(m.status, Some(KeyStatus::Active));
    assert_eq!(m.created_at, Some(start()));
    assert_eq!(m.expires_at, Some(start() + DAY * 30));

    // The key converts into the SDK's bearer token, with its expiry.
    let token: aws_credential_types::Token = created.key.clone().into();
    assert_eq!(token.token(), stored.secret);
    assert_eq!(token.expiration(), Some(start() + DAY * 30));
}

#[tokio::test]
async fn create_for_an_existing_user_attaches_only_the_given_policies() {
    let (iam, keys) = stand_in().await;
    iam.add_user("alice");
    keys.create(&CreateKeyRequest::new("alice", 1))
        .await
        .unwrap();
    assert_eq!(iam.actions(), [CREATE], "no user, no default policy");
    assert!(iam.policies_of("alice").is_empty());

    let request = CreateKeyRequest::new("alice", 36_600).policy_arn(READ_ONLY);
    keys.create(&request).await.unwrap();
    assert_eq!(iam.actions(), [CREATE, "AttachUserPolicy", CREATE]);
    assert_eq!(iam.calls()[1].param("PolicyArn"), Some(READ_ONLY));
    assert_eq!(iam.calls()[2].param("CredentialAgeDays"), Some("36600"));
    assert_eq!(iam.policies_of("alice"), [READ_ONLY]);
}

#[tokio::test]
async fn given_policies_replace_the_default_for_a_new_user() {
    let (iam, keys) = stand_in().await;
    let request = CreateKeyRequest::new("bob", 7)
        .create_user(true)
        .policy_arn(READ_ONLY)
        .policy_arn(BEDROCK_LIMITED_ACCESS_POLICY_ARN);
    keys.create(&request).await.unwrap();
    let attached: Vec<_> = iam
        .calls()
        .iter()
        .filter(|c| c.action == "AttachUserPolicy")
        .map(|c| c.param("PolicyArn").unwrap().to_owned())
        .collect();
    assert_eq!(attached, [READ_ONLY, LIMITED_ACCESS]);
}

#[tokio::test]
async fn list_one_user_or_all_users_across_pages() {
    let (iam, keys) = stand_in().await;
    iam.add_user("alice");
    iam.add_user("bob");
    let a1 = keys
        .create(&CreateKeyRequest::new("alice", 1))
        .await
        .unwrap();
    let a2 = keys
        .create(&CreateKeyRequest::new("alice", 2))
        .await
        .unwrap();
    let b1 = keys.create(&CreateKeyRequest::new("bob", 3)).await.unwrap();
    iam.set_page_size(1);
    let before = iam.calls().len();

    let alice = keys.list(Some("alice")).await.unwrap();
    assert_eq!(alice, [a1.metadata.clone(), a2.metadata.clone()]);
    let list_calls = &iam.calls()[before..];
    assert_eq!(list_calls.len(), 2, "two pages of one");
    assert_eq!(list_calls[0].param("UserName"), Some("alice"));
    assert_eq!(list_calls[0].param("AllUsers"), None);
    assert_eq!(
        list_calls[0].param("ServiceName"),
        Some("bedrock.amazonaws.com")
    );
    assert_eq!(list_calls[0].param("Marker"), None);
    assert_eq!(list_calls[1].param("Marker"), Some("page-1"));

    let before = iam.calls().len();
    let all = keys.list(None).await.unwrap();
    assert_eq!(all, [a1.metadata, a2.metadata, b1.metadata]);
    let list_calls = &iam.calls()[before..];
    assert_eq!(list_calls.len(), 3);
    assert!(list_calls
        .iter()
        .all(|c| c.param("AllUsers") == Some("true")));
    assert!(list_calls.iter().all(|c| c.param("UserName").is_none()));

    assert!(keys.list(Some("carol")).await.is_err());
    iam.add_user("carol");
    assert!(keys.list(Some("carol")).await.unwrap().is_empty());
}

#[tokio::test]
async fn deactivate_activate_reset_delete() {
    let (iam, keys) = stand_in().await;
    iam.add_user("alice");
    let created = keys
        .create(&CreateKeyRequest::new("alice", 5))
        .await
        .unwrap();
    let id = created.metadata.id.as_deref().unwrap();

    keys.deactivate("alice", id).await.unwrap();
    let update = iam.calls().pop().unwrap();
    assert_eq!(update.action, "UpdateServiceSpecificCredential");
    assert_eq!(update.param("Status"), Some("Inactive"));
    assert_eq!(update.param("ServiceSpecificCredentialId"), Some(id));
    assert_eq!(
        keys.list(Some("alice")).await.unwrap()[0].status,
        Some(KeyStatus::Inactive)
    );

    keys.activate("alice", id).await.unwrap();
    assert_eq!(iam.key(id).status, "Active");
    assert_eq!(
        keys.list(Some("alice")).await.unwrap()[0].status,
        Some(KeyStatus::Active)
    );

    let reset = keys.reset("alice", id).await.unwrap();
    assert_eq!(
        iam.calls().pop().unwrap().action,
        "ResetServiceSpecificCredential"
    );
    assert_eq!(reset.metadata.id.as_deref(), Some(id));
    assert_ne!(reset.key.as_str(), created.key.as_str(), "a new secret");
    assert_eq!(reset.key.as_str(), iam.key(id).secret);

    keys.delete("alice", id).await.unwrap();
    assert_eq!(
        iam.calls().pop().unwrap().action,
        "DeleteServiceSpecificCredential"
    );
    assert!(iam.keys().is_empty());
    assert!(keys.list(Some("alice")).await.unwrap().is_empty());

    let e = keys.delete("alice", id).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert!(
        e.to_string().contains(id) && e.to_string().contains("alice"),
        "{e}"
    );
}

#[tokio::test]
async fn a_third_key_hits_the_limit_with_a_way_out() {
    let (iam, keys) = stand_in().await;
    iam.add_user("alice");
    for _ in 0..2 {
        keys.create(&CreateKeyRequest::new("alice", 1))
            .await
            .unwrap();
    }
    let e = keys
        .create(&CreateKeyRequest::new("alice", 1))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::LimitExceeded);
    let msg = e.to_string();
    for needle in ["`alice`", "(2)", "list", "delete", "reset"] {
        assert!(msg.contains(needle), "{needle} missing: {msg}");
    }
    assert_eq!(iam.keys().len(), 2);
    assert_eq!(iam.actions().len(), 3, "not retried");
}

#[tokio::test]
async fn unknown_user_says_how_to_create_it() {
    let (iam, keys) = stand_in().await;
    let e = keys
        .create(&CreateKeyRequest::new("ghost", 1))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    let msg = e.to_string();
    assert!(msg.contains("`ghost` does not exist"), "{msg}");
    assert!(msg.contains("have it created with the key"), "{msg}");
    assert!(
        !msg.contains("create_user") && !msg.contains("--"),
        "library terms only: {msg}"
    );
    assert!(
        msg.contains("cannot be found"),
        "IAM's own words too: {msg}"
    );
    assert_eq!(iam.actions(), [CREATE]);
    assert!(!iam.has_user("ghost"));

    let e = keys
        .deactivate("ghost", "ACCAEXAMPLEKEY000001")
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);

    let e = keys
        .create(
            &CreateKeyRequest::new("ghost", 1)
                .create_user(true)
                .policy_arn("arn:aws:iam::aws:policy/NoSuchPolicy"),
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert!(e.to_string().contains("NoSuchPolicy"), "{e}");
}

/// IAM answers `NoSuchEntity` for a key call both when the key and when the user does not
/// exist; `Error::input` must not name the key id when it was the user that was missing.
#[tokio::test]
async fn a_missing_user_is_not_reported_as_a_bad_key_id() {
    let (_iam, keys) = stand_in().await;
    let e = keys
        .deactivate("ghost", "ACCAEXAMPLEKEY000001")
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert!(e.to_string().contains("user with name ghost"), "{e}");
    assert_ne!(
        e.input(),
        Some(aws_bedrock_token_long_term::Input::KeyId),
        "{e}"
    );
}

#[tokio::test]
async fn access_denied_names_the_iam_action() {
    let (iam, keys) = stand_in().await;
    iam.add_user("alice");
    iam.deny(CREATE);
    iam.deny("ListServiceSpecificCredentials");
    let e = keys
        .create(&CreateKeyRequest::new("alice", 1))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AccessDenied);
    let msg = e.to_string();
    assert!(msg.contains("iam:CreateServiceSpecificCredential"), "{msg}");
    assert!(msg.contains("`alice`"), "{msg}");
    assert!(
        msg.contains("iam:ServiceSpecificCredentialAgeDays"),
        "{msg}"
    );
    assert_eq!(iam.actions(), [CREATE], "not retried");

    let e = keys.list(None).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AccessDenied);
    assert!(
        e.to_string()
            .contains("iam:ListServiceSpecificCredentials on all users"),
        "{e}"
    );
}

#[tokio::test]
async fn bad_input_is_rejected_before_any_iam_call() {
    let (iam, keys) = stand_in().await;
    for days in [0, 36_601] {
        let e = keys
            .create(&CreateKeyRequest::new("alice", days).create_user(true))
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidKeyAge);
        assert!(e.to_string().contains("1 to 36600 days"), "{e}");
    }
    let e = keys
        .create(&CreateKeyRequest::new("no spaces", 1))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    let e = keys
        .create(&CreateKeyRequest::new("alice", 1).policy_arn("AmazonBedrockLimitedAccess"))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert_eq!(
        keys.list(Some("")).await.unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );

    // A key pasted where its id belongs is refused, and not echoed.
    let pasted = "ABSKZXhwbG9yZXItYXQtMTIzNDU2Nzg5MDEyOlNFQ1JFVA==";
    for e in [
        keys.delete("alice", pasted).await.unwrap_err(),
        keys.reset("alice", pasted).await.unwrap_err(),
        keys.activate("alice", pasted).await.unwrap_err(),
        keys.deactivate("alice", pasted).await.unwrap_err(),
    ] {
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        assert!(!text(&e).contains("ZXhwbG9y"), "{e:?}");
    }
    assert_eq!(iam.server.hits(), 0, "no request reached IAM");
    assert!(iam.calls().is_empty());
}

#[tokio::test]
async fn a_failure_after_create_user_says_what_was_done() {
    let (iam, keys) = stand_in().await;
    iam.deny("AttachUserPolicy");
    let e = keys
        .create(&CreateKeyRequest::new("carol", 1).create_user(true))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AccessDenied);
    let msg = e.to_string();
    assert!(msg.contains("iam:AttachUserPolicy"), "{msg}");
    assert!(
        msg.contains("Already done: created IAM user `carol`"),
        "{msg}"
    );
    assert!(
        msg.contains("create the key without creating the user"),
        "{msg}"
    );
    assert!(!msg.contains("create_user") && !msg.contains("--"), "{msg}");
    assert!(!msg.contains("attached"), "nothing was attached: {msg}");
    assert!(iam.has_user("carol"));

    let (iam, keys) = stand_in().await;
    iam.deny(CREATE);
    let e = keys
        .create(&CreateKeyRequest::new("dave", 1).create_user(true))
        .await
        .unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains(&format!(
            "created IAM user `dave`; attached `{LIMITED_ACCESS}`"
        )),
        "{msg}"
    );

    // The user exists now: creating it again is refused with the way forward.
    let e = keys
        .create(&CreateKeyRequest::new("dave", 1).create_user(true))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists);
    assert!(
        e.to_string()
            .contains("create the key without creating the user"),
        "{e}"
    );
    assert!(
        !e.to_string().contains("Already done"),
        "nothing done this time: {e}"
    );
}

#[tokio::test]
async fn no_key_text_in_any_error_or_debug_output() {
    let (iam, keys) = stand_in().await;
    iam.add_user("alice");
    let mut seen = Vec::new();
    let a = keys
        .create(&CreateKeyRequest::new("alice", 1))
        .await
        .unwrap();
    let b = keys
        .create(&CreateKeyRequest::new("alice", 1))
        .await
        .unwrap();
    let a_id = a.metadata.id.clone().unwrap();
    let b_id = b.metadata.id.clone().unwrap();
    let reset = keys.reset("alice", &a_id).await.unwrap();
    seen.push(format!("{a:?} {a:#?} {b:?} {reset:?} {:?}", reset.key));
    seen.push(format!("{:?}", keys.list(Some("alice")).await.unwrap()));
    seen.push(format!("{:?}", keys.list(None).await.unwrap()));
    assert_eq!(
        format!("{keys:?}"),
        "LongTermKeys { region: Some(Region(\"us-east-1\")), .. }"
    );
    seen.push(text(
        &keys
            .create(&CreateKeyRequest::new("alice", 1))
            .await
            .unwrap_err(),
    ));
    iam.deny("ResetServiceSpecificCredential");
    seen.push(text(&keys.reset("alice", &b_id).await.unwrap_err()));
    seen.push(text(
        &keys.delete("alice", a.key.as_str()).await.unwrap_err(),
    ));

    let secrets = iam.secrets();
    assert_eq!(secrets.len(), 3);
    for s in &seen {
        assert!(s.contains("ACCA") || s.contains("alice"), "not empty: {s}");
        assert!(!s.contains("SECRETEXAMPLE"), "{s}");
        for secret in &secrets {
            assert!(!s.contains(&secret[4..24]), "key text leaked: {s}");
        }
    }
    assert!(seen[0].contains("** redacted **"));
}

#[tokio::test]
async fn an_unreadable_answer_carrying_a_key_is_reported_without_it() {
    let (iam, keys) = stand_in().await;
    iam.add_user("alice");
    iam.garble(CREATE);
    let e = keys
        .create(&CreateKeyRequest::new("alice", 1))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Iam);
    assert!(
        e.to_string()
            .contains("a key may have been created: list the user's keys to check"),
        "{e}"
    );
    assert!(e.may_have_issued_key());
    assert!(e.source().is_none(), "no cause that could quote the answer");
    let created = iam.keys();
    assert_eq!(created.len(), 1, "IAM did create it");
    assert!(!text(&e).contains(&created[0].secret[4..24]), "{e:?}");
    assert!(!text(&e).contains("garbled"), "{e:?}");

    // Where the answer holds no key, nothing of the SDK's error is kept either.
    iam.garble("ListServiceSpecificCredentials");
    let e = keys.list(Some("alice")).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Iam);
    assert_eq!(
        e.to_string(),
        "IAM's answer to ListServiceSpecificCredentials for IAM user `alice` could not be \
         read (it does not follow IAM's protocol); check the IAM endpoint setting \
         (AWS_ENDPOINT_URL_IAM / AWS_ENDPOINT_URL / profile endpoint_url)"
    );
    assert!(!e.may_have_issued_key(), "listing makes no key");
    assert!(e.source().is_none());
}

#[tokio::test]
async fn unreachable_iam_is_an_iam_error_naming_the_action() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let config = aws_sdk_iam::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(format!("http://127.0.0.1:{port}"))
        .credentials_provider(static_creds())
        .retry_config(aws_sdk_iam::config::retry::RetryConfig::disabled())
        .build();
    let keys = LongTermKeys::new(aws_sdk_iam::Client::from_conf(config));
    let e = keys.list(None).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Iam);
    assert_eq!(
        e.to_string(),
        "IAM ListServiceSpecificCredentials for every user's keys failed: IAM could not be \
         reached, or the connection was lost; check the network and the IAM endpoint setting \
         (AWS_ENDPOINT_URL_IAM / AWS_ENDPOINT_URL / profile endpoint_url)",
        "our words only, none of the SDK's chain"
    );
    assert!(e.source().is_none());

    // A failed connection may have been lost after the request went out: a create says
    // that a key may exist.
    let e = keys
        .create(&CreateKeyRequest::new("alice", 1))
        .await
        .unwrap_err();
    assert!(e.may_have_issued_key(), "{e}");
    assert!(e.to_string().contains("a key may have been created"), "{e}");
}

#[tokio::test]
async fn from_conf_defaults_region_and_behavior_version() {
    let iam = Iam::start(start()).await;
    let config = aws_types::SdkConfig::builder()
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(static_creds()),
        )
        .endpoint_url(iam.url())
        .build();
    let keys = LongTermKeys::from_conf(&config);
    assert_eq!(
        keys.client().config().region().map(|r| r.as_ref()),
        Some("us-east-1")
    );
    iam.add_user("alice");
    assert!(keys.list(Some("alice")).await.unwrap().is_empty());
}

#[tokio::test]
async fn aws_endpoint_url_iam_reaches_the_stand_in_through_aws_config() {
    let env = support::env::IsolatedEnv::new(
        "[default]\nregion = us-east-1\n",
        &format!("[default]\naws_access_key_id = {AKID}\naws_secret_access_key = {SECRET}\n"),
    )
    .await;
    let iam = Iam::start(start()).await;
    env.set("AWS_ENDPOINT_URL_IAM", iam.url());
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let keys = LongTermKeys::from_conf(&config);
    let created = keys
        .create(&CreateKeyRequest::new("envuser", 90).create_user(true))
        .await
        .unwrap();
    assert_eq!(created.metadata.expires_at, Some(start() + DAY * 90));
    assert_eq!(iam.actions(), ["CreateUser", "AttachUserPolicy", CREATE]);
}

/// An IAM that creates the key and then answers 500 gets the call once: the SDK's retry
/// would create a second key. The error says a key may exist.
#[tokio::test]
async fn create_and_reset_are_never_retried() {
    let iam = Iam::start(start()).await;
    let keys = retrying_keys(&iam, Duration::from_secs(10));
    iam.add_user("alice");

    // The client does retry other calls: a list answered 500 is sent three times.
    iam.fail_after("ListServiceSpecificCredentials", 500, "ServiceFailure");
    keys.list(Some("alice")).await.unwrap_err();
    assert_eq!(iam.actions().len(), 3, "{:?}", iam.actions());

    let before = iam.actions().len();
    iam.fail_after(CREATE, 500, "ServiceFailure");
    let e = keys
        .create(&CreateKeyRequest::new("alice", 1))
        .await
        .unwrap_err();
    assert_eq!(iam.actions()[before..], [CREATE], "sent once");
    assert_eq!(iam.keys().len(), 1, "exactly one key: IAM made it");
    assert_eq!(e.kind(), ErrorKind::Iam);
    assert!(e.may_have_issued_key());
    let msg = e.to_string();
    assert!(
        msg.contains("a key may have been created: list the user's keys to check"),
        "{msg}"
    );
    assert!(msg.contains("(IAM ServiceFailure: "), "{msg}");

    let id = iam.keys()[0].id.clone();
    let before = iam.actions().len();
    iam.fail_after("ResetServiceSpecificCredential", 503, "ServiceUnavailable");
    let e = keys.reset("alice", &id).await.unwrap_err();
    assert_eq!(
        iam.actions()[before..],
        ["ResetServiceSpecificCredential"],
        "sent once"
    );
    assert!(e.may_have_issued_key());
    assert!(e.to_string().contains("the key may have been reset"), "{e}");
    assert!(!text(&e).contains(&iam.keys()[0].secret[4..24]), "{e:?}");
}

/// A create whose answer comes after the timeout: IAM made the key, and the error says so.
#[tokio::test]
async fn a_create_that_times_out_says_a_key_may_exist() {
    let iam = Iam::start(start()).await;
    let keys = retrying_keys(&iam, Duration::from_millis(300));
    iam.add_user("alice");
    iam.delay(CREATE, Duration::from_secs(3));
    let e = keys
        .create(&CreateKeyRequest::new("alice", 1))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::IamTimeout);
    assert!(e.may_have_issued_key());
    assert!(
        e.to_string().starts_with(
            "IAM CreateServiceSpecificCredential for IAM user `alice` timed out; a key may \
             have been created"
        ),
        "{e}"
    );
    assert_eq!(iam.actions(), [CREATE], "not retried after the timeout");
    assert_eq!(iam.keys().len(), 1);
}

/// Key text that is not `ABSK` and base64 (here with terminal control sequences) is
/// refused: the error names the key id, and holds nothing of the text.
#[tokio::test]
async fn malformed_key_text_is_refused_unseen() {
    let (iam, keys) = stand_in().await;
    iam.add_user("alice");
    let bad = "ABSK\u{1b}[2J\u{7}QmFkS2V5VGV4dA==\nINJECTED";
    iam.bad_key_text(bad);
    let e = keys
        .create(&CreateKeyRequest::new("alice", 1))
        .await
        .unwrap_err();
    let id = iam.keys()[0].id.clone();
    let reset = keys.reset("alice", &id).await.unwrap_err();
    for e in [e, reset] {
        assert_eq!(e.kind(), ErrorKind::Iam);
        let all = text(&e);
        assert!(
            all.contains(&format!("key `{id}` of IAM user `alice`")),
            "{all}"
        );
        assert!(all.contains("delete that key, or reset it"), "{all}");
        for piece in ["\u{1b}", "\u{7}", "[2J", "QmFk", "INJECTED", "\\u{1b}"] {
            assert!(!all.contains(piece), "{piece:?} in {all}");
        }
        assert!(e.source().is_none());
    }
}

/// IAM's codes for rejected credentials are credential errors, not IAM failures.
#[tokio::test]
async fn rejected_credentials_are_credential_errors() {
    for (status, code, kind) in [
        (403, "InvalidClientTokenId", ErrorKind::InvalidCredentials),
        (403, "SignatureDoesNotMatch", ErrorKind::InvalidCredentials),
        (400, "IncompleteSignature", ErrorKind::InvalidCredentials),
        (
            400,
            "UnrecognizedClientException",
            ErrorKind::InvalidCredentials,
        ),
        (403, "ExpiredToken", ErrorKind::CredentialsExpired),
        (400, "ExpiredTokenException", ErrorKind::CredentialsExpired),
    ] {
        let (iam, keys) = stand_in().await;
        iam.reject_all(status, code);
        let e = keys.list(None).await.unwrap_err();
        assert_eq!(e.kind(), kind, "{code}: {e}");
        assert!(e.to_string().contains(&format!("(IAM {code}: ")), "{e}");
        let e = keys
            .create(&CreateKeyRequest::new("alice", 1))
            .await
            .unwrap_err();
        assert_eq!(e.kind(), kind, "{code}: {e}");
        assert!(!e.may_have_issued_key(), "a 4xx: nothing was made");
    }
}

/// An IAM that answers every page with a fresh marker cannot keep `list` going: it
/// stops after `MAX_LIST_PAGES` pages.
#[tokio::test]
async fn endless_pages_end_after_the_page_limit() {
    let (iam, keys) = stand_in().await;
    iam.endless_pages();
    let e = keys.list(None).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Iam);
    assert!(
        e.to_string()
            .contains(&format!("after {MAX_LIST_PAGES} pages")),
        "{e}"
    );
    assert_eq!(iam.calls().len(), MAX_LIST_PAGES);
}

/// A sleep that ends after `real` of real time whatever it is asked for, recording what
/// it was asked: the client's clock for `list`'s time limit.
#[derive(Debug, Clone)]
struct QuickSleep {
    real: Duration,
    asked: Arc<Mutex<Vec<Duration>>>,
}

impl AsyncSleep for QuickSleep {
    fn sleep(&self, duration: Duration) -> Sleep {
        self.asked.lock().unwrap().push(duration);
        Sleep::new(tokio::time::sleep(self.real))
    }
}

/// The listing as a whole is timed with the client's sleep implementation: when it ends
/// before the pages do, the listing stops with an error naming the time limit.
#[tokio::test]
async fn endless_pages_end_after_the_time_limit() {
    let iam = Iam::start(start()).await;
    iam.add_user("alice");
    iam.endless_pages();
    // Pages slow enough that the page limit is far off when the clock runs out.
    iam.delay("ListServiceSpecificCredentials", Duration::from_millis(5));
    let sleep = QuickSleep {
        real: Duration::from_millis(300),
        asked: Arc::default(),
    };
    let config = aws_sdk_iam::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(iam.url())
        .credentials_provider(static_creds())
        .sleep_impl(sleep.clone())
        .build();
    let keys = LongTermKeys::new(aws_sdk_iam::Client::from_conf(config));
    let e = keys.list(Some("alice")).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Iam);
    assert!(
        e.to_string().starts_with(
            "listing IAM user `alice` did not finish within 5 minutes, the most a listing may \
             take"
        ),
        "{e}"
    );
    assert!(sleep.asked.lock().unwrap().contains(&MAX_LIST_TIME));
    let pages = iam.calls().len();
    assert!((1..MAX_LIST_PAGES).contains(&pages), "{pages} pages");
}

/// A request the SDK cannot send to its endpoint is told in this crate's words: none of
/// the SDK's error chain, which for an endpoint it cannot apply holds a `Debug` dump of
/// the request, body included (here with a planted canary in the user name).
#[tokio::test]
async fn an_unusable_endpoint_is_told_without_the_sdk_chain() {
    // The endpoint rules refuse a custom endpoint with FIPS; the SDK cannot apply a
    // malformed URL to the request.
    for (url, fips) in [
        ("http://127.0.0.1:9/CANARY", true),
        ("not a url CANARY", false),
    ] {
        let config = aws_sdk_iam::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(url)
            .use_fips(fips)
            .credentials_provider(static_creds())
            .build();
        let keys = LongTermKeys::new(aws_sdk_iam::Client::from_conf(config));
        let e = keys
            .create(&CreateKeyRequest::new("USERCANARY", 1))
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidEndpoint, "{e}");
        assert_eq!(
            e.to_string(),
            "the IAM CreateServiceSpecificCredential request could not be built: check the \
             IAM endpoint setting (AWS_ENDPOINT_URL_IAM / AWS_ENDPOINT_URL / profile \
             endpoint_url)"
        );
        assert!(e.source().is_none());
        assert!(!e.may_have_issued_key(), "never sent");
        let all = text(&e);
        for sdk_text in ["CANARY", "FIPS", "Request {", "SdkBody", "Action="] {
            assert!(!all.contains(sdk_text), "{sdk_text} in {all}");
        }
    }
}

#[tokio::test]
async fn create_for_claude_platform_sends_its_service_name_and_attaches_its_policy() {
    use aws_bedrock_token_generator::{LongTermKeyInfo, Service};
    use support::iam::ANTHROPIC_INFERENCE;

    let (iam, keys) = stand_in().await;
    let request = CreateKeyRequest::new("claude-user", 30)
        .service(Service::ClaudePlatform)
        .create_user(true);
    assert_eq!(request.effective_policy_arns(), [ANTHROPIC_INFERENCE]);
    let created = keys.create(&request).await.unwrap();
    assert_eq!(iam.actions(), ["CreateUser", "AttachUserPolicy", CREATE]);
    let calls = iam.calls();
    assert_eq!(calls[1].param("PolicyArn"), Some(ANTHROPIC_INFERENCE));
    assert_eq!(
        calls[2].param("ServiceName"),
        Some("aws-external-anthropic.amazonaws.com")
    );
    assert_eq!(iam.policies_of("claude-user"), [ANTHROPIC_INFERENCE]);
    assert!(created.key.as_str().starts_with("AEAA"));
    assert_eq!(created.metadata.service, Some(Service::ClaudePlatform));
    let info = LongTermKeyInfo::parse(created.key.as_str()).unwrap();
    assert_eq!(info.service(), Service::ClaudePlatform);
    assert_eq!(info.user_name(), Some("claude-user"));

    // Bedrock stays the default, with its own policy.
    let bedrock = CreateKeyRequest::new("b", 1).create_user(true);
    assert_eq!(bedrock.key_service(), Service::Bedrock);
    assert_eq!(
        bedrock.effective_policy_arns(),
        [BEDROCK_LIMITED_ACCESS_POLICY_ARN]
    );
}

#[tokio::test]
async fn a_service_without_long_term_keys_is_refused_before_any_call() {
    use aws_bedrock_token_generator::Service;
    use aws_bedrock_token_long_term::Input;

    let (iam, keys) = stand_in().await;
    iam.add_user("alice");
    // Amazon SageMaker AI: short-term keys only. (CloudWatch and CloudWatch Logs, once
    // refused here for want of a documented IAM service name, now have theirs.)
    for service in [Service::SageMaker] {
        let e = keys
            .create(&CreateKeyRequest::new("alice", 30).service(service))
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::UnsupportedService);
        assert_eq!(e.input(), Some(Input::Service));
        assert!(
            e.to_string().starts_with(&format!(
                "{} has no long-term API keys",
                service.display_name()
            )),
            "{e}"
        );
        let e = keys
            .list_service(Some(service), Some("alice"))
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::UnsupportedService);
    }
    assert!(iam.calls().is_empty());
}

#[tokio::test]
async fn list_by_service_filters_and_without_one_lists_every_service() {
    use aws_bedrock_token_generator::Service;

    let (iam, keys) = stand_in().await;
    iam.add_user("alice");
    keys.create(&CreateKeyRequest::new("alice", 30))
        .await
        .unwrap();
    keys.create(&CreateKeyRequest::new("alice", 30).service(Service::ClaudePlatform))
        .await
        .unwrap();
    keys.create(&CreateKeyRequest::new("alice", 30).service(Service::XRay))
        .await
        .unwrap();

    let bedrock = keys.list(Some("alice")).await.unwrap();
    assert_eq!(bedrock.len(), 1);
    assert_eq!(bedrock[0].service, Some(Service::Bedrock));
    let claude = keys
        .list_service(Some(Service::ClaudePlatform), Some("alice"))
        .await
        .unwrap();
    assert_eq!(claude.len(), 1);
    assert_eq!(claude[0].service, Some(Service::ClaudePlatform));
    assert_eq!(
        iam.calls().last().unwrap().param("ServiceName"),
        Some("aws-external-anthropic.amazonaws.com")
    );

    let before = iam.calls().len();
    let all = keys.list_service(None, Some("alice")).await.unwrap();
    let services: Vec<_> = all.iter().map(|k| k.service).collect();
    assert_eq!(
        services,
        [
            Some(Service::Bedrock),
            Some(Service::ClaudePlatform),
            Some(Service::XRay)
        ]
    );
    let asked: Vec<_> = iam.calls()[before..]
        .iter()
        .map(|c| c.param("ServiceName").map(str::to_owned))
        .collect();
    assert_eq!(
        asked,
        [
            Some("bedrock.amazonaws.com".to_owned()),
            Some("aws-external-anthropic.amazonaws.com".to_owned()),
            Some("cloudwatch.amazonaws.com".to_owned()),
            Some("logs.amazonaws.com".to_owned()),
            Some("xray.amazonaws.com".to_owned())
        ]
    );
}
