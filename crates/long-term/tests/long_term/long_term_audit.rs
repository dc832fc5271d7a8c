//! Auditing and revoking long-term keys (`LongTermKeys::audit`, `revoke`, `find_key`,
//! `deactivate_access_key`): the real aws-sdk-iam client against the IAM stand-in on
//! 127.0.0.1 (tests/support/iam.rs), with the audit's clock injected.

use crate::support;

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use aws_bedrock_token_generator::{LongTermKeyInfo, Service};
use aws_bedrock_token_long_term::{
    AuditRequest, AuditedKey, ErrorKind, Finding, KeyMatch, KeyStatus, RevokeAction,
};
use support::iam::{Iam, ACCOUNT, ANTHROPIC_INFERENCE, LIMITED_ACCESS, READ_ONLY};
use support::*;

const DAY: Duration = Duration::from_secs(86_400);
const BEDROCK: &str = "bedrock.amazonaws.com";
const CLAUDE: &str = "aws-external-anthropic.amazonaws.com";

use crate::long_term::keys;

fn ago(days: u32) -> SystemTime {
    start() - DAY * days
}

fn later(days: u32) -> SystemTime {
    start() + DAY * days
}

/// Key id → its finding codes.
fn codes(audited: &[AuditedKey]) -> BTreeMap<String, Vec<&'static str>> {
    audited
        .iter()
        .map(|a| {
            (
                a.key.id.clone().unwrap(),
                a.findings.iter().map(|f| f.code()).collect(),
            )
        })
        .collect()
}

#[tokio::test]
async fn each_finding_is_raised_exactly_where_it_applies() {
    let iam = Iam::start(start()).await;
    let mut expected: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    let mut add =
        |user: &str, service: &str, status: &str, created, expires, found: &[&'static str]| {
            let key = iam.add_key(user, service, status, created, expires);
            expected.insert(key.id, found.to_vec());
        };
    let fine = Some(later(60));
    add("clean", BEDROCK, "Active", ago(10), fine, &[]);
    add(
        "forever",
        BEDROCK,
        "Active",
        ago(10),
        None,
        &["never-expires"],
    );
    add(
        "soon",
        BEDROCK,
        "Active",
        ago(10),
        Some(later(29)),
        &["expires-soon"],
    );
    // The window's edge is inside it; a day beyond is not.
    add(
        "edge",
        BEDROCK,
        "Active",
        ago(10),
        Some(later(30)),
        &["expires-soon"],
    );
    add("beyond", BEDROCK, "Active", ago(10), Some(later(31)), &[]);
    add(
        "lapsed",
        BEDROCK,
        "Active",
        ago(40),
        Some(ago(1)),
        &["expired"],
    );
    add(
        "marked",
        BEDROCK,
        "Expired",
        ago(40),
        Some(later(5)),
        &["expired"],
    );
    add("old", BEDROCK, "Active", ago(91), fine, &["old"]);
    add("ninety", BEDROCK, "Active", ago(90), fine, &[]);
    add("paused", BEDROCK, "Inactive", ago(10), fine, &["inactive"]);
    add(
        "wide",
        BEDROCK,
        "Active",
        ago(10),
        fine,
        &["broad-permissions"],
    );
    add(
        "inline",
        BEDROCK,
        "Active",
        ago(10),
        fine,
        &["broad-permissions"],
    );
    add(
        "grouped",
        BEDROCK,
        "Active",
        ago(10),
        fine,
        &["broad-permissions"],
    );
    add(
        "BedrockAPIKey-x1y2",
        BEDROCK,
        "Active",
        ago(10),
        fine,
        &["console-user"],
    );
    add(
        "AeaApiKey-ab12",
        CLAUDE,
        "Active",
        ago(10),
        fine,
        &["console-user"],
    );
    add("claude", CLAUDE, "Active", ago(10), fine, &[]);
    // Bedrock's policy is beyond what a Claude Platform key's user needs.
    add(
        "claude-wide",
        CLAUDE,
        "Active",
        ago(10),
        fine,
        &["broad-permissions"],
    );
    add(
        "BedrockAPIKey-worst",
        BEDROCK,
        "Inactive",
        ago(400),
        None,
        &[
            "never-expires",
            "old",
            "inactive",
            "broad-permissions",
            "console-user",
        ],
    );
    for user in [
        "clean",
        "forever",
        "soon",
        "edge",
        "beyond",
        "lapsed",
        "marked",
        "old",
        "ninety",
        "paused",
        "wide",
        "inline",
        "grouped",
        "BedrockAPIKey-x1y2",
        "BedrockAPIKey-worst",
        "claude-wide",
    ] {
        iam.attach(user, LIMITED_ACCESS);
    }
    iam.attach("AeaApiKey-ab12", ANTHROPIC_INFERENCE);
    iam.attach("claude", ANTHROPIC_INFERENCE);
    iam.attach("wide", READ_ONLY);
    iam.put_inline_policy("inline", "AllowEverything");
    iam.add_to_group("grouped", "developers");
    iam.add_to_group("BedrockAPIKey-worst", "admins");

    let audited = keys(&iam)
        .audit(&AuditRequest::new(), start())
        .await
        .unwrap();
    assert_eq!(codes(&audited), expected);
    // Bedrock's keys, then Claude Platform's (X-Ray has none here).
    let services: Vec<_> = audited.iter().map(|a| a.key.service.unwrap()).collect();
    let first_claude = services
        .iter()
        .position(|s| *s == Service::ClaudePlatform)
        .unwrap();
    assert!(services[..first_claude]
        .iter()
        .all(|s| *s == Service::Bedrock));
    assert!(services[first_claude..]
        .iter()
        .all(|s| *s == Service::ClaudePlatform));
    let wide = audited
        .iter()
        .find(|a| a.key.user_name.as_deref() == Some("wide"))
        .unwrap();
    let permissions = wide.permissions.as_ref().unwrap();
    assert_eq!(permissions.extra_policy_arns(Service::Bedrock), [READ_ONLY]);

    // Read-only: List calls and nothing else.
    let actions = iam.actions();
    assert!(actions.iter().all(|a| a.starts_with("List")), "{actions:?}");
    assert!(iam.keys().iter().all(|k| k.status != "Deleted"));
    let per_user = actions.iter().filter(|a| *a == "ListGroupsForUser").count();
    assert_eq!(per_user, 18, "one listing per user");
}

#[tokio::test]
async fn thresholds_and_the_service_come_from_the_request() {
    let iam = Iam::start(start()).await;
    let a = iam.add_key("alice", BEDROCK, "Active", ago(20), Some(later(5)));
    let c = iam.add_key("carol", CLAUDE, "Active", ago(20), Some(later(50)));
    iam.attach("alice", LIMITED_ACCESS);
    iam.attach("carol", ANTHROPIC_INFERENCE);
    let request = AuditRequest::new()
        .older_than(DAY * 19)
        .expiring_within(DAY * 60);
    let audited = keys(&iam).audit(&request, start()).await.unwrap();
    let found = codes(&audited);
    assert_eq!(found[&a.id], ["expires-soon", "old"]);
    assert_eq!(found[&c.id], ["expires-soon", "old"]);

    let request = AuditRequest::new()
        .service(Service::ClaudePlatform)
        .expiring_within(Duration::ZERO);
    let before = iam.calls().len();
    let audited = keys(&iam).audit(&request, start()).await.unwrap();
    assert_eq!(audited.len(), 1);
    assert_eq!(codes(&audited)[&c.id], Vec::<&str>::new());
    let listed: Vec<_> = iam.calls()[before..]
        .iter()
        .filter(|c| c.action == "ListServiceSpecificCredentials")
        .map(|c| c.param("ServiceName").unwrap().to_owned())
        .collect();
    assert_eq!(listed, [CLAUDE]);

    // The clock is the caller's: a year later the same key is old and expired.
    let audited = keys(&iam)
        .audit(&AuditRequest::new(), later(365))
        .await
        .unwrap();
    assert_eq!(codes(&audited)[&a.id], ["expired", "old"]);
}

#[tokio::test]
async fn audit_follows_the_pages_of_keys_and_of_each_users_permissions() {
    let iam = Iam::start(start()).await;
    iam.set_page_size(1);
    let mut ids = Vec::new();
    for user in ["u1", "u2", "u3", "u4"] {
        for _ in 0..2 {
            ids.push(
                iam.add_key(user, BEDROCK, "Active", ago(1), Some(later(60)))
                    .id,
            );
        }
        // The Bedrock policy sorts first: whatever is beyond it is on a later page.
        iam.attach(user, LIMITED_ACCESS);
    }
    iam.attach("u2", READ_ONLY);
    iam.put_inline_policy("u3", "a-first");
    iam.put_inline_policy("u3", "b-second");
    iam.add_to_group("u4", "a-first");
    iam.add_to_group("u4", "b-second");

    let audited = keys(&iam)
        .audit(&AuditRequest::new(), start())
        .await
        .unwrap();
    let listed: Vec<String> = audited.iter().map(|a| a.key.id.clone().unwrap()).collect();
    assert_eq!(listed, ids, "every key, across 8 pages");
    let broad: Vec<&str> = audited
        .iter()
        .filter(|a| a.findings == [Finding::BroadPermissions])
        .map(|a| a.key.user_name.as_deref().unwrap())
        .collect();
    assert_eq!(broad, ["u2", "u2", "u3", "u3", "u4", "u4"]);
    let u3 = audited[4].permissions.as_ref().unwrap();
    assert_eq!(u3.inline_policy_names, ["a-first", "b-second"]);
    let u4 = audited[6].permissions.as_ref().unwrap();
    assert_eq!(u4.group_names, ["a-first", "b-second"]);
    assert_eq!(u4.attached_policy_arns, [LIMITED_ACCESS]);
    let marked = |action: &str| {
        iam.calls()
            .iter()
            .filter(|c| c.action == action && c.param("Marker").is_some())
            .count()
    };
    assert!(marked("ListServiceSpecificCredentials") >= 7);
    assert_eq!(marked("ListAttachedUserPolicies"), 1, "u2's second page");
    assert_eq!(marked("ListUserPolicies"), 1);
    assert_eq!(marked("ListGroupsForUser"), 1);
    // Each user's permissions are listed once, though each has two keys.
    let first_pages = iam
        .calls()
        .iter()
        .filter(|c| c.action == "ListUserPolicies" && c.param("Marker").is_none())
        .count();
    assert_eq!(first_pages, 4);
}

#[tokio::test]
async fn a_denied_list_call_is_named() {
    for action in [
        "ListServiceSpecificCredentials",
        "ListAttachedUserPolicies",
        "ListUserPolicies",
        "ListGroupsForUser",
    ] {
        let iam = Iam::start(start()).await;
        iam.add_key("alice", BEDROCK, "Active", ago(1), None);
        iam.deny(action);
        let e = keys(&iam)
            .audit(&AuditRequest::new(), start())
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::AccessDenied, "{e}");
        assert!(e.to_string().contains(&format!("iam:{action}")), "{e}");
    }
}

/// `alice` with two Bedrock keys; the second's alias has the `+1` marker public notes
/// describe (IAM does not document the suffix; the match is exact either way).
async fn two_keys() -> (Iam, String, String, String) {
    let iam = Iam::start(start()).await;
    let first = iam.add_key("alice", BEDROCK, "Active", ago(5), None).id;
    let second = iam.add_key("alice", BEDROCK, "Active", ago(1), None).id;
    let text = iam.set_alias(&second, Some(&format!("alice-at-{ACCOUNT}+1")));
    (iam, first, second, text)
}

#[tokio::test]
async fn revoke_deactivates_exactly_the_matching_key() {
    let (iam, first, second, text) = two_keys().await;
    let info = LongTermKeyInfo::parse(&text).unwrap();
    let found = keys(&iam)
        .revoke(&info, RevokeAction::Deactivate)
        .await
        .unwrap();
    let KeyMatch::Found(key) = found else {
        panic!("{found:?}")
    };
    assert_eq!(key.id.as_deref(), Some(second.as_str()));
    assert_eq!(key.status, Some(KeyStatus::Active), "as listed before");
    assert_eq!(iam.key(&second).status, "Inactive");
    assert_eq!(iam.key(&first).status, "Active", "the other key untouched");
    assert_eq!(
        iam.actions(),
        [
            "ListServiceSpecificCredentials",
            "UpdateServiceSpecificCredential"
        ]
    );
    let calls = iam.calls();
    // The whole account is searched: only it shows the alias is no other user's too.
    assert_eq!(calls[0].param("AllUsers"), Some("true"));
    assert_eq!(calls[0].param("ServiceName"), Some(BEDROCK));
    assert_eq!(
        calls[1].param("ServiceSpecificCredentialId"),
        Some(second.as_str())
    );
    assert_eq!(calls[1].param("Status"), Some("Inactive"));
}

#[tokio::test]
async fn revoke_with_delete_deletes_only_that_key() {
    let (iam, first, second, _) = two_keys().await;
    let text = iam.set_alias(&first, Some(&format!("alice-at-{ACCOUNT}")));
    let info = LongTermKeyInfo::parse(&text).unwrap();
    let found = keys(&iam)
        .revoke(&info, RevokeAction::Delete)
        .await
        .unwrap();
    assert!(matches!(found, KeyMatch::Found(ref k) if k.id.as_deref() == Some(first.as_str())));
    let left: Vec<String> = iam.keys().into_iter().map(|k| k.id).collect();
    assert_eq!(left, [second.as_str()]);
    assert_eq!(iam.key(&second).status, "Active");
    assert_eq!(iam.actions()[1], "DeleteServiceSpecificCredential");
}

#[tokio::test]
async fn no_match_changes_nothing() {
    let (iam, first, _, text) = two_keys().await;
    let info = LongTermKeyInfo::parse(&text).unwrap();
    let keys = keys(&iam);
    keys.delete("alice", &iam.keys()[1].id).await.unwrap();
    let before = iam.calls().len();
    // Deleted already: every user's keys are searched; nothing matches.
    assert_eq!(
        keys.revoke(&info, RevokeAction::Deactivate).await.unwrap(),
        KeyMatch::NotFound
    );
    let actions: Vec<String> = iam.actions()[before..].to_vec();
    assert_eq!(actions, ["ListServiceSpecificCredentials"]);
    assert_eq!(iam.calls()[before].param("AllUsers"), Some("true"));
    // Another account's key: its user does not exist here.
    let foreign = iam.set_alias(&first, Some("mallory-at-999999999999"));
    iam.set_alias(&first, Some(&format!("alice-at-{ACCOUNT}")));
    let info = LongTermKeyInfo::parse(&foreign).unwrap();
    assert_eq!(
        keys.revoke(&info, RevokeAction::Delete).await.unwrap(),
        KeyMatch::NotFound
    );
    let changes: Vec<String> = iam
        .actions()
        .into_iter()
        .filter(|a| !a.starts_with("List"))
        .collect();
    assert_eq!(
        changes,
        ["DeleteServiceSpecificCredential"],
        "only the test's own"
    );
    assert_eq!(iam.key(&first).status, "Active");
    assert_eq!(iam.keys().len(), 1);
}

#[tokio::test]
async fn an_alias_that_picks_out_no_single_key_is_refused() {
    // Two keys listed with the same alias (as the stand-in gives by default).
    let iam = Iam::start(start()).await;
    let first = iam.add_key("alice", BEDROCK, "Active", ago(5), None);
    let second = iam.add_key("alice", BEDROCK, "Active", ago(1), None);
    let info = LongTermKeyInfo::parse(&first.secret).unwrap();
    let found = keys(&iam)
        .revoke(&info, RevokeAction::Deactivate)
        .await
        .unwrap();
    let KeyMatch::Ambiguous(candidates) = found else {
        panic!("{found:?}")
    };
    let ids: Vec<&str> = candidates
        .iter()
        .map(|k| k.id.as_deref().unwrap())
        .collect();
    assert_eq!(ids, [first.id.as_str(), second.id.as_str()]);
    // A key listed without an alias cannot be ruled out either.
    iam.set_alias(&second.id, None);
    let found = keys(&iam).find_key(&info).await.unwrap();
    assert!(
        matches!(found, KeyMatch::Ambiguous(ref c) if c.len() == 2),
        "{found:?}"
    );
    assert!(
        iam.actions().iter().all(|a| a.starts_with("List")),
        "{:?}",
        iam.actions()
    );
    assert!(iam.keys().iter().all(|k| k.status == "Active"));
}

#[tokio::test]
async fn a_claude_platform_key_is_found_among_its_services_keys() {
    let iam = Iam::start(start()).await;
    let bedrock = iam.add_key("alice", BEDROCK, "Active", ago(5), None);
    let claude = iam.add_key("alice", CLAUDE, "Active", ago(5), None);
    assert!(claude.secret.starts_with("AEAA"));
    let info = LongTermKeyInfo::parse(&claude.secret).unwrap();
    assert_eq!(info.service(), Service::ClaudePlatform);
    let found = keys(&iam)
        .revoke(&info, RevokeAction::Deactivate)
        .await
        .unwrap();
    assert!(matches!(found, KeyMatch::Found(ref k) if k.id == Some(claude.id.clone())));
    assert_eq!(iam.key(&claude.id).status, "Inactive");
    assert_eq!(
        iam.key(&bedrock.id).status,
        "Active",
        "same alias, other service"
    );
    assert_eq!(iam.calls()[0].param("ServiceName"), Some(CLAUDE));
}

/// Another user's key with the same alias (a second key's alias suffix is not
/// documented, and `+` is allowed in user names): found only by searching the whole
/// account, and refused rather than guessed.
#[tokio::test]
async fn an_alias_shared_with_another_users_key_is_refused() {
    let iam = Iam::start(start()).await;
    let alias = format!("alice+1-at-{ACCOUNT}");
    let second_of_alice = iam.add_key("alice", BEDROCK, "Active", ago(5), None);
    iam.set_alias(&second_of_alice.id, Some(&alias));
    let first_of_alice1 = iam.add_key("alice+1", BEDROCK, "Active", ago(5), None);
    let text = iam.set_alias(&first_of_alice1.id, Some(&alias));
    let info = LongTermKeyInfo::parse(&text).unwrap();
    let found = keys(&iam)
        .revoke(&info, RevokeAction::Deactivate)
        .await
        .unwrap();
    assert!(
        matches!(found, KeyMatch::Ambiguous(ref c) if c.len() == 2),
        "{found:?}"
    );
    assert_eq!(iam.key(&second_of_alice.id).status, "Active");
    assert_eq!(iam.key(&first_of_alice1.id).status, "Active");
    assert!(iam.actions().iter().all(|a| a.starts_with("List")));
}

#[tokio::test]
async fn an_alias_naming_no_user_is_searched_among_every_users_keys() {
    let iam = Iam::start(start()).await;
    let key = iam.add_key("bob", BEDROCK, "Active", ago(5), None);
    iam.add_key("carol", BEDROCK, "Active", ago(5), None);
    let text = iam.set_alias(&key.id, Some("legacy-alias"));
    let info = LongTermKeyInfo::parse(&text).unwrap();
    let found = keys(&iam)
        .revoke(&info, RevokeAction::Deactivate)
        .await
        .unwrap();
    assert!(matches!(found, KeyMatch::Found(ref k) if k.user_name.as_deref() == Some("bob")));
    assert_eq!(iam.calls()[0].param("AllUsers"), Some("true"));
    assert_eq!(iam.calls()[1].param("UserName"), Some("bob"));
    assert_eq!(iam.key(&key.id).status, "Inactive");
}

#[tokio::test]
async fn an_access_key_is_deactivated_by_id_after_finding_its_user() {
    let iam = Iam::start(start()).await;
    iam.add_access_key("builder", "AKIAEXAMPLEEXAMPLE01");
    iam.add_access_key("other", "AKIAEXAMPLEEXAMPLE02");
    let keys = keys(&iam);
    let user = keys
        .deactivate_access_key("AKIAEXAMPLEEXAMPLE01")
        .await
        .unwrap();
    assert_eq!(user, "builder");
    assert_eq!(iam.actions(), ["GetAccessKeyLastUsed", "UpdateAccessKey"]);
    let update = &iam.calls()[1];
    assert_eq!(update.param("UserName"), Some("builder"));
    assert_eq!(update.param("AccessKeyId"), Some("AKIAEXAMPLEEXAMPLE01"));
    assert_eq!(update.param("Status"), Some("Inactive"));
    assert_eq!(iam.access_key("AKIAEXAMPLEEXAMPLE01").status, "Inactive");
    assert_eq!(iam.access_key("AKIAEXAMPLEEXAMPLE02").status, "Active");

    let e = keys
        .deactivate_access_key("AKIAEXAMPLEEXAMPLE99")
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    assert!(
        e.to_string()
            .contains("`AKIAEXAMPLEEXAMPLE99` does not exist"),
        "{e}"
    );

    let before = iam.calls().len();
    let e = keys.deactivate_access_key(ASIA).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(e.to_string().contains("older sessions"), "{e}");
    assert_eq!(iam.calls().len(), before, "refused before any call");
}

#[tokio::test]
async fn no_key_text_in_any_result_or_error() {
    let (iam, _, _, text) = two_keys().await;
    iam.deny("UpdateServiceSpecificCredential");
    let info = LongTermKeyInfo::parse(&text).unwrap();
    let e = keys(&iam)
        .revoke(&info, RevokeAction::Deactivate)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AccessDenied);
    assert!(
        e.to_string()
            .contains("iam:UpdateServiceSpecificCredential"),
        "{e}"
    );
    let found = keys(&iam).find_key(&info).await.unwrap();
    let audited = keys(&iam)
        .audit(&AuditRequest::new(), start())
        .await
        .unwrap();
    let all = format!("{e} {e:?} {found:?} {info:?} {audited:?}");
    for secret in iam.secrets() {
        assert!(!all.contains(&secret[4..]), "{all}");
    }
    assert!(!all.contains("SECRETEXAMPLE"), "{all}");
}
