//! `bedrock-token long-term audit` and `long-term revoke`, run as real processes with an
//! isolated environment against the IAM stand-in on 127.0.0.1 (tests/support/iam.rs).
//!
//! The command reads the real clock, so keys are placed days away from it: no run is
//! anywhere near a threshold.

use crate::support;

use std::io::Write as _;
use std::process::{Output, Stdio};
use std::time::{Duration, SystemTime};

use aws_bedrock_token_generator::generate_token;
use aws_credential_types::Credentials;
use aws_smithy_async::time::{SystemTimeSource, TimeSource};
use serde_json::Value;
use support::cli::*;
use support::iam::{Iam, ACCOUNT, ANTHROPIC_INFERENCE, LIMITED_ACCESS, READ_ONLY};
use support::*;

const DAY: Duration = Duration::from_secs(86_400);
const BEDROCK: &str = "bedrock.amazonaws.com";
const CLAUDE: &str = "aws-external-anthropic.amazonaws.com";
const FIELDS: [&str; 7] = [
    "id",
    "user_name",
    "service",
    "status",
    "created_at",
    "expires_at",
    "findings",
];

fn now() -> SystemTime {
    SystemTimeSource::new().now()
}

async fn setup() -> (Iam, CliEnv) {
    let iam = Iam::start(start()).await;
    let mut env = CliEnv::bare();
    env.set("AWS_ACCESS_KEY_ID", AKID)
        .set("AWS_SECRET_ACCESS_KEY", SECRET)
        .set("AWS_ENDPOINT_URL_IAM", iam.url());
    (iam, env)
}

/// Runs `bedrock-token long-term <args>` with `input` on stdin, off the runtime's
/// threads, and checks that neither stdout nor stderr holds any key text the stand-in
/// ever handed out.
async fn long_term(iam: &Iam, env: &CliEnv, args: &[&str], input: &str) -> Output {
    let mut all = vec!["long-term"];
    all.extend_from_slice(args);
    let mut command = env.command(&all);
    let input = input.to_owned();
    let out = tokio::task::spawn_blocking(move || {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let _ = child.stdin.take().unwrap().write_all(input.as_bytes());
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap();
    for secret in iam.secrets() {
        assert_not_echoed(&out, &secret);
    }
    let all = format!("{}{}", stdout(&out), stderr(&out));
    assert!(!all.contains("SECRETEXAMPLE"), "{all}");
    out
}

fn json(out: &Output) -> Vec<Value> {
    let text = stdout(out);
    assert_eq!(text.lines().count(), 1, "{text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    v.as_array().unwrap().clone()
}

fn codes(v: &Value) -> Vec<&str> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn audit_exit_status_is_0_for_nothing_found_and_1_for_findings() {
    let (iam, env) = setup().await;
    let audit = ["audit", "--format", "json"];
    assert_eq!(ok(&long_term(&iam, &env, &audit, "").await), "[]\n");

    let now = now();
    let clean = iam.add_key(
        "alice",
        BEDROCK,
        "Active",
        now - DAY * 10,
        Some(now + DAY * 60),
    );
    iam.attach("alice", LIMITED_ACCESS);
    let out = long_term(&iam, &env, &audit, "").await;
    ok(&out);
    let keys = json(&out);
    assert_eq!(keys.len(), 1);
    let names: Vec<&str> = keys[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(names, FIELDS, "the documented fields, in order");
    assert_eq!(keys[0]["id"], clean.id.as_str());
    assert_eq!(keys[0]["user_name"], "alice");
    assert_eq!(keys[0]["service"], "bedrock");
    assert_eq!(keys[0]["status"], "Active");
    assert!(codes(&keys[0]).is_empty());

    let forever = iam.add_key("bob", BEDROCK, "Active", now - DAY * 10, None);
    iam.attach("bob", LIMITED_ACCESS);
    let out = long_term(&iam, &env, &audit, "").await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        "bedrock-token: 1 of 2 long-term keys have findings\n"
    );
    let keys = json(&out);
    assert_eq!(keys[1]["id"], forever.id.as_str());
    assert_eq!(keys[1]["expires_at"], Value::Null);
    assert_eq!(codes(&keys[1]), ["never-expires"]);
    assert!(codes(&keys[0]).is_empty(), "only where it applies");
    assert!(iam.actions().iter().all(|a| a.starts_with("List")));
}

#[tokio::test(flavor = "multi_thread")]
async fn audit_table_spells_every_finding_out() {
    let (iam, env) = setup().await;
    let now = now();
    let fine = Some(now + DAY * 60);
    let rows = [
        ("clean", "Active", now - DAY * 10, fine, "-"),
        ("forever", "Active", now - DAY * 10, None, "never expires"),
        (
            "soon",
            "Active",
            now - DAY * 10,
            Some(now + DAY * 10),
            "expires within 30d",
        ),
        (
            "lapsed",
            "Active",
            now - DAY * 40,
            Some(now - DAY),
            "expired, not deleted",
        ),
        ("aged", "Active", now - DAY * 200, fine, "older than 90d"),
        (
            "paused",
            "Inactive",
            now - DAY * 10,
            fine,
            "inactive, not deleted",
        ),
        (
            "wide",
            "Active",
            now - DAY * 10,
            fine,
            "user has more than AmazonBedrockLimitedAccess (policies AmazonBedrockReadOnly; \
             inline AllowAll; groups admins)",
        ),
        (
            "BedrockAPIKey-x1y2",
            "Active",
            now - DAY * 10,
            fine,
            "console-created user",
        ),
    ];
    for (user, status, created, expires, _) in rows {
        iam.add_key(user, BEDROCK, status, created, expires);
        iam.attach(user, LIMITED_ACCESS);
    }
    iam.attach("wide", READ_ONLY);
    iam.put_inline_policy("wide", "AllowAll");
    iam.add_to_group("wide", "admins");

    let out = long_term(&iam, &env, &["audit"], "").await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let table = stdout(&out);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), rows.len() + 1, "{table}");
    for word in [
        "ID",
        "SERVICE",
        "USER NAME",
        "STATUS",
        "CREATED AT",
        "EXPIRES AT",
        "FINDINGS",
    ] {
        assert!(lines[0].contains(word), "{table}");
    }
    let findings_at = lines[0].find("FINDINGS").unwrap();
    for ((user, ..), line) in rows.iter().zip(&lines[1..]) {
        assert!(line.contains(&format!(" {user} ")), "{line}");
    }
    for ((_, _, _, _, spelled), line) in rows.iter().zip(&lines[1..]) {
        assert_eq!(&line[findings_at..], *spelled, "{table}");
    }
    assert!(
        lines[2].contains("never"),
        "EXPIRES AT of a key without expiry"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn audit_flags_set_the_thresholds_and_the_service() {
    let (iam, env) = setup().await;
    let now = now();
    let bedrock = iam.add_key(
        "alice",
        BEDROCK,
        "Active",
        now - DAY * 10,
        Some(now + DAY * 20),
    );
    let claude = iam.add_key(
        "carol",
        CLAUDE,
        "Active",
        now - DAY * 10,
        Some(now + DAY * 60),
    );
    iam.attach("alice", LIMITED_ACCESS);
    iam.attach("carol", ANTHROPIC_INFERENCE);

    let out = long_term(&iam, &env, &["audit", "--format", "json"], "").await;
    let keys = json(&out);
    assert_eq!(codes(&keys[0]), ["expires-soon"]);
    assert!(codes(&keys[1]).is_empty());

    let args = [
        "audit",
        "--older-than",
        "5d",
        "--expiring-within",
        "0d",
        "--format",
        "json",
    ];
    let keys = json(&long_term(&iam, &env, &args, "").await);
    assert_eq!(codes(&keys[0]), ["old"]);
    assert_eq!(codes(&keys[1]), ["old"]);

    let args = [
        "audit",
        "--service",
        "claude-platform",
        "--expiring-within",
        "1440h",
        "--format",
        "json",
    ];
    let out = long_term(&iam, &env, &args, "").await;
    assert_eq!(out.status.code(), Some(1));
    let keys = json(&out);
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0]["id"], claude.id.as_str());
    assert_eq!(codes(&keys[0]), ["expires-soon"]);
    assert_ne!(keys[0]["id"], bedrock.id.as_str());

    let before = iam.calls().len();
    for args in [
        &["audit", "--older-than", "30"][..],
        &["audit", "--expiring-within", "36601d"],
        &["audit", "--service", "sagemaker"],
        &["audit", "--format", "yaml"],
    ] {
        let err = failed(&long_term(&iam, &env, args, "").await, 64);
        assert!(!err.contains("panicked"), "{err}");
    }
    assert_eq!(iam.calls().len(), before, "no IAM call for bad flags");
}

#[tokio::test(flavor = "multi_thread")]
async fn audit_names_a_denied_action() {
    let (iam, env) = setup().await;
    iam.add_key("alice", BEDROCK, "Active", now(), None);
    iam.deny("ListUserPolicies");
    let err = failed(&long_term(&iam, &env, &["audit"], "").await, 77);
    assert!(
        err.contains("iam:ListUserPolicies on user `alice`") && err.contains("read access only"),
        "{err}"
    );
}

/// `alice` with two Bedrock keys, the second with its own alias; returns their ids and
/// the second's text.
fn two_keys(iam: &Iam) -> (String, String, String) {
    let now = now();
    let first = iam
        .add_key("alice", BEDROCK, "Active", now - DAY * 5, None)
        .id;
    let second = iam.add_key("alice", BEDROCK, "Active", now - DAY, None).id;
    let text = iam.set_alias(&second, Some(&format!("alice-at-{ACCOUNT}+1")));
    (first, second, text)
}

#[tokio::test(flavor = "multi_thread")]
async fn revoke_from_stdin_deactivates_exactly_the_matching_key() {
    let (iam, env) = setup().await;
    let (first, second, text) = two_keys(&iam);
    let out = long_term(&iam, &env, &["revoke", "-"], &format!("{text}\n")).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "");
    let err = stderr(&out);
    assert!(
        err.starts_with(&format!(
            "bedrock-token: deactivated long-term Amazon Bedrock key {second} of IAM user alice: \
             the leaked key no longer works"
        )) && err.contains(&format!("long-term delete --user-name alice --id {second}")),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert_eq!(iam.key(&second).status, "Inactive");
    assert_eq!(iam.key(&first).status, "Active");
    let updates: Vec<_> = iam
        .calls()
        .into_iter()
        .filter(|c| !c.action.starts_with("List"))
        .collect();
    assert_eq!(updates.len(), 1);
    assert_eq!(updates[0].action, "UpdateServiceSpecificCredential");
    assert_eq!(
        updates[0].param("ServiceSpecificCredentialId"),
        Some(second.as_str())
    );

    // No argument reads stdin too.
    let out = long_term(&iam, &env, &["revoke"], &text).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("(it was inactive already)"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn revoke_delete_then_no_match_is_67() {
    let (iam, env) = setup().await;
    let (first, second, text) = two_keys(&iam);
    let out = long_term(&iam, &env, &["revoke", "--delete", "-"], &text).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).starts_with(&format!(
            "bedrock-token: deleted long-term Amazon Bedrock key {second} of IAM user alice"
        )),
        "{}",
        stderr(&out)
    );
    let left: Vec<String> = iam.keys().into_iter().map(|k| k.id).collect();
    assert_eq!(left, [first.as_str()]);
    assert_eq!(iam.key(&first).status, "Active");

    let before = iam.calls().len();
    let err = failed(&long_term(&iam, &env, &["revoke", "-"], &text).await, 67);
    assert!(
        err.contains(&format!(
            "no long-term Amazon Bedrock key with alias `alice-at-{ACCOUNT}+1`"
        )) && err.contains("nothing was changed"),
        "{err}"
    );
    assert!(iam.calls()[before..]
        .iter()
        .all(|c| c.action.starts_with("List")));
    assert_eq!(iam.key(&first).status, "Active");
}

#[tokio::test(flavor = "multi_thread")]
async fn revoke_refuses_an_alias_matching_two_keys_and_lists_them() {
    let (iam, env) = setup().await;
    let now = now();
    let first = iam.add_key("alice", BEDROCK, "Active", now - DAY * 5, None);
    let second = iam.add_key("alice", BEDROCK, "Active", now - DAY, None);
    let err = failed(
        &long_term(&iam, &env, &["revoke", "-"], &first.secret).await,
        65,
    );
    assert!(
        err.contains(&format!(
            "{} (IAM user alice), {} (IAM user alice)",
            first.id, second.id
        )) && err.contains("nothing was changed")
            && err.contains("long-term deactivate --user-name USER --id ID"),
        "{err}"
    );
    assert!(iam.actions().iter().all(|a| a.starts_with("List")));
    assert!(iam.keys().iter().all(|k| k.status == "Active"));
}

#[tokio::test(flavor = "multi_thread")]
async fn revoke_a_claude_platform_key_among_its_own_services_keys() {
    let (iam, env) = setup().await;
    let bedrock = iam.add_key("alice", BEDROCK, "Active", now(), None);
    let claude = iam.add_key("alice", CLAUDE, "Active", now(), None);
    let out = long_term(&iam, &env, &["revoke", "-"], &claude.secret).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!(
            "deactivated long-term Claude Platform on AWS key {} of IAM user alice",
            claude.id
        )),
        "{}",
        stderr(&out)
    );
    assert_eq!(iam.key(&claude.id).status, "Inactive");
    assert_eq!(iam.key(&bedrock.id).status, "Active");
    assert_eq!(iam.calls()[0].param("ServiceName"), Some(CLAUDE));
}

#[tokio::test(flavor = "multi_thread")]
async fn revoke_takes_the_key_as_an_argument_with_a_warning() {
    let (iam, env) = setup().await;
    let (_, second, text) = two_keys(&iam);
    let out = long_term(&iam, &env, &["revoke", &text], "").await;
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("bedrock-token: warning: the key was given on the command line"),
        "{err}"
    );
    assert_eq!(iam.key(&second).status, "Inactive");
    // Nothing may follow the key (a split key's second half is not shown).
    let err = failed(
        &long_term(&iam, &env, &["revoke", &text, "tail"], "").await,
        64,
    );
    assert!(err.contains("long-term revoke takes one token"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn revoke_refuses_what_is_not_a_key() {
    let (iam, env) = setup().await;
    let err = failed(&long_term(&iam, &env, &["revoke", "-"], "hello").await, 2);
    assert!(err.contains("not an AWS API key"), "{err}");
    let err = failed(&long_term(&iam, &env, &["revoke", "-"], "  \n").await, 64);
    assert!(err.contains("no key on stdin"), "{err}");
    assert!(iam.calls().is_empty());
}

fn short_term_key(creds: &Credentials, signed: SystemTime, expiry: Duration) -> String {
    generate_token(creds, "us-east-1", expiry, signed)
        .unwrap()
        .as_str()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_short_term_key_is_explained_and_its_access_key_deactivated_only_with_apply() {
    let (iam, mut env) = setup().await;
    let akia = "AKIAEXAMPLEEXAMPLE01";
    iam.add_access_key("builder", akia);
    let creds = Credentials::new(akia, SECRET, None, None, "test");
    let token = short_term_key(&creds, now(), Duration::from_secs(3600));

    // Without --apply: explained, nothing called (no credentials needed).
    env.unset("AWS_ACCESS_KEY_ID")
        .unset("AWS_SECRET_ACCESS_KEY");
    let out = long_term(&iam, &env, &["revoke", "-"], &token).await;
    assert_not_echoed(&out, &token);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("signed with IAM user access key {akia}"))
            && err.contains("cannot be revoked by itself")
            && err.contains("--apply")
            && err.contains("nothing was changed"),
        "{err}"
    );
    assert!(iam.calls().is_empty(), "{:?}", iam.actions());

    // --delete makes no sense for it.
    failed(
        &long_term(&iam, &env, &["revoke", "--delete", "-"], &token).await,
        64,
    );
    assert!(iam.calls().is_empty());

    // With --apply: the access key's user is found, and that key deactivated.
    env.set("AWS_ACCESS_KEY_ID", AKID)
        .set("AWS_SECRET_ACCESS_KEY", SECRET);
    let out = long_term(&iam, &env, &["revoke", "--apply", "-"], &token).await;
    assert_not_echoed(&out, &token);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!(
            "deactivated access key {akia} of IAM user builder"
        )),
        "{}",
        stderr(&out)
    );
    assert_eq!(iam.actions(), ["GetAccessKeyLastUsed", "UpdateAccessKey"]);
    assert_eq!(iam.calls()[1].param("Status"), Some("Inactive"));
    assert_eq!(iam.access_key(akia).status, "Inactive");

    // An access key this account does not have: 67.
    let other = Credentials::new("AKIAEXAMPLEEXAMPLE99", SECRET, None, None, "test");
    let token = short_term_key(&other, now(), Duration::from_secs(3600));
    let err = failed(
        &long_term(&iam, &env, &["revoke", "--apply", "-"], &token).await,
        67,
    );
    assert!(err.contains("AKIAEXAMPLEEXAMPLE99"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn temporary_and_expired_short_term_keys_are_never_acted_on() {
    let (iam, env) = setup().await;
    let session = session_creds(None);
    let token = short_term_key(&session, now(), Duration::from_secs(3600));
    let out = long_term(&iam, &env, &["revoke", "-"], &token).await;
    assert_not_echoed(&out, &token);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("temporary credentials, access key {ASIA}"))
            && err.contains("older sessions")
            && err.contains("nothing was changed"),
        "{err}"
    );
    let err = failed(
        &long_term(&iam, &env, &["revoke", "--apply", "-"], &token).await,
        64,
    );
    assert!(
        err.contains("--apply deactivates only an IAM user's access key"),
        "{err}"
    );

    let creds = Credentials::new("AKIAEXAMPLEEXAMPLE01", SECRET, None, None, "test");
    let old = short_term_key(&creds, now() - DAY, Duration::from_secs(900));
    let out = long_term(&iam, &env, &["revoke", "--apply", "-"], &old).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("nothing to revoke"),
        "{}",
        stderr(&out)
    );
    assert!(iam.calls().is_empty(), "{:?}", iam.actions());
}

/// An IAM that refuses every call with an AccessDenied whose message is the request
/// itself (headers, the session token among them, and body).
async fn echoing_iam() -> support::http::Server {
    support::http::Server::start(|req: support::http::Request| async move {
        let mut echo = String::new();
        for (name, value) in req.headers() {
            echo.push_str(&format!("{name}: {} ", value.to_str().unwrap_or("?")));
        }
        echo.push_str(&String::from_utf8_lossy(req.body()));
        support::http::respond(
            403,
            "text/xml",
            format!(
                "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>\
                 <Message>{}</Message></Error><RequestId>r-1</RequestId></ErrorResponse>",
                support::iam::xml(&echo)
            ),
        )
    })
    .await
}

/// A session-token canary sent with every call, echoed back by IAM: in no output of
/// audit, revoke or revoke --apply, which fail as access denied.
#[tokio::test(flavor = "multi_thread")]
async fn an_echoing_iam_leaks_no_credential_into_audit_or_revoke() {
    let canary = "CANARYSESSIONTOKEN0wJalrXUtnFEMIK7MDENGbPxRfiCYzq81k";
    let hostile = echoing_iam().await;
    let iam = Iam::start(start()).await;
    let key = iam.add_key("alice", BEDROCK, "Active", now(), None);
    let creds = Credentials::new("AKIAEXAMPLEEXAMPLE01", SECRET, None, None, "test");
    let token = short_term_key(&creds, now(), Duration::from_secs(3600));
    let mut env = CliEnv::bare();
    env.set("AWS_ACCESS_KEY_ID", ASIA)
        .set("AWS_SECRET_ACCESS_KEY", SECRET)
        .set("AWS_SESSION_TOKEN", canary)
        .set("AWS_ENDPOINT_URL_IAM", hostile.url());
    for (args, input) in [
        (&["audit"][..], ""),
        (&["revoke", "-"], key.secret.as_str()),
        (&["revoke", "--apply", "-"], token.as_str()),
    ] {
        let out = long_term(&iam, &env, args, input).await;
        assert_not_echoed(&out, canary);
        assert_not_echoed(&out, SECRET);
        assert_not_echoed(&out, &token);
        let err = failed(&out, 77);
        assert!(err.contains("access denied"), "{args:?}: {err}");
    }
    assert!(hostile.hits() >= 3);
}
