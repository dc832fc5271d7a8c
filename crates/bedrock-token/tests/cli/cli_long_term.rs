//! `bedrock-token long-term …` and `inspect` on long-term keys, run as real processes
//! with an isolated environment against the IAM stand-in on 127.0.0.1
//! (tests/support/iam.rs), reached through `AWS_ENDPOINT_URL_IAM` or `AWS_ENDPOINT_URL`.
//!
//! The stand-in runs in the test's multi-thread runtime; the child process is waited for
//! on a blocking thread, so the stand-in answers while it runs.

use crate::support;

use std::process::{Output, Stdio};
use std::time::Duration;

use serde_json::Value;
use support::cli::*;
use support::iam::{Iam, ACCOUNT, LIMITED_ACCESS, READ_ONLY};
use support::*;

const CREATE: &str = "CreateServiceSpecificCredential";
const KEY_FIELDS: [&str; 8] = [
    "key",
    "id",
    "service",
    "user_name",
    "alias",
    "status",
    "created_at",
    "expires_at",
];

/// A stand-in with its clock at [`start`], and an environment with the example keys,
/// no region, and `AWS_ENDPOINT_URL_IAM` pointing at the stand-in.
async fn setup() -> (Iam, CliEnv) {
    let iam = Iam::start(start()).await;
    let mut env = CliEnv::bare();
    env.set("AWS_ACCESS_KEY_ID", AKID)
        .set("AWS_SECRET_ACCESS_KEY", SECRET)
        .set("AWS_ENDPOINT_URL_IAM", iam.url());
    (iam, env)
}

/// Runs `bedrock-token long-term <args>` and checks that its stderr holds no key text
/// the stand-in ever handed out.
async fn long_term(iam: &Iam, env: &CliEnv, args: &[&str]) -> Output {
    let mut all = vec!["long-term"];
    all.extend_from_slice(args);
    let out = env.run_beside(&all).await;
    assert_stderr_clean(&out, iam);
    out
}

fn assert_stderr_clean(out: &Output, iam: &Iam) {
    let err = stderr(out);
    assert!(!err.contains("SECRETEXAMPLE"), "{err}");
    for secret in iam.secrets() {
        let chars: Vec<char> = secret.chars().collect();
        for piece in chars.windows(16) {
            let piece: String = piece.iter().collect();
            assert!(!err.contains(&piece), "{piece:?} in {err:?}");
        }
    }
}

/// stdout holds none of the key texts the stand-in handed out.
fn assert_no_key_in_stdout(out: &Output, iam: &Iam) {
    let text = stdout(out);
    assert!(!text.contains("ABSK"), "{text}");
    for secret in iam.secrets() {
        assert!(!text.contains(&secret[4..24]), "{text}");
    }
}

fn json(out: &Output) -> Value {
    let text = ok(out);
    assert_eq!(text.lines().count(), 1, "{text}");
    serde_json::from_str(&text).unwrap()
}

fn field_names(v: &Value) -> Vec<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn create_prints_the_key_alone_or_one_json_object() {
    let (iam, env) = setup().await;
    iam.add_user("alice");

    let out = long_term(
        &iam,
        &env,
        &["create", "--user-name", "alice", "--days", "30"],
    )
    .await;
    let printed = ok(&out);
    let secret = &iam.keys()[0].secret;
    assert_eq!(
        printed,
        format!("{secret}\n"),
        "the key, a newline, nothing else"
    );
    assert!(printed.starts_with("ABSK"));
    assert_eq!(iam.actions(), [CREATE], "an existing user: no CreateUser");
    let call = &iam.calls()[0];
    assert_eq!(call.param("UserName"), Some("alice"));
    assert_eq!(call.param("ServiceName"), Some("bedrock.amazonaws.com"));
    assert_eq!(call.param("CredentialAgeDays"), Some("30"));
    let auth = call.authorization.as_deref().unwrap();
    assert!(
        auth.contains(&format!("Credential={AKID}/")) && auth.contains("/us-east-1/iam/"),
        "IAM is global: no region needed, us-east-1 signs: {auth}"
    );

    let out = long_term(
        &iam,
        &env,
        &[
            "create",
            "--user-name",
            "alice",
            "--days",
            "36600",
            "--format",
            "json",
        ],
    )
    .await;
    let v = json(&out);
    assert_eq!(field_names(&v), KEY_FIELDS);
    let stored = iam.key(v["id"].as_str().unwrap());
    assert_eq!(v["key"], stored.secret.as_str());
    assert_eq!(v["id"], "ACCAEXAMPLEKEY000002");
    assert_eq!(v["user_name"], "alice");
    assert_eq!(v["alias"], format!("alice-at-{ACCOUNT}").as_str());
    assert_eq!(v["status"], "Active");
    assert_eq!(v["created_at"], "2024-06-15T12:00:00Z");
    // 36 600 days after 2024-06-15.
    assert_eq!(v["expires_at"], "2124-08-30T12:00:00Z");
    assert_eq!(iam.calls()[1].param("CredentialAgeDays"), Some("36600"));
}

#[tokio::test(flavor = "multi_thread")]
async fn create_user_comes_first_then_the_policies_then_the_key() {
    let (iam, env) = setup().await;
    let args = [
        "create",
        "--user-name",
        "explorer",
        "--days",
        "7",
        "--create-user",
    ];
    ok(&long_term(&iam, &env, &args).await);
    assert_eq!(iam.actions(), ["CreateUser", "AttachUserPolicy", CREATE]);
    assert_eq!(iam.calls()[1].param("PolicyArn"), Some(LIMITED_ACCESS));
    assert_eq!(iam.policies_of("explorer"), [LIMITED_ACCESS]);

    // Given policies replace the default, in the order given.
    let args = [
        "create",
        "--user-name",
        "bob",
        "--days",
        "1",
        "--create-user",
        "--policy-arn",
        READ_ONLY,
        "--policy-arn",
        LIMITED_ACCESS,
    ];
    ok(&long_term(&iam, &env, &args).await);
    let calls = &iam.calls()[3..];
    let actions: Vec<&str> = calls.iter().map(|c| c.action.as_str()).collect();
    assert_eq!(
        actions,
        ["CreateUser", "AttachUserPolicy", "AttachUserPolicy", CREATE]
    );
    assert_eq!(calls[1].param("PolicyArn"), Some(READ_ONLY));
    assert_eq!(calls[2].param("PolicyArn"), Some(LIMITED_ACCESS));

    // The user exists now: creating it again is refused, and says how to go on.
    let err = failed(&long_term(&iam, &env, &args).await, 73);
    assert!(
        err.contains("already exists") && err.contains("leave out --create-user"),
        "{err}"
    );
    assert!(!err.contains("create_user(true)"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_third_key_is_refused_with_a_way_out() {
    let (iam, env) = setup().await;
    iam.add_user("alice");
    let args = ["create", "--user-name", "alice", "--days", "1"];
    for _ in 0..2 {
        ok(&long_term(&iam, &env, &args).await);
    }
    let err = failed(&long_term(&iam, &env, &args).await, 73);
    assert!(
        err.contains("`alice`")
            && err.contains("(2)")
            && err.contains("bedrock-token long-term list --user-name alice")
            && err.contains("delete"),
        "{err}"
    );
    assert_eq!(iam.keys().len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_user_or_key_is_status_67_and_suggests_create_user() {
    let (iam, env) = setup().await;
    let err = failed(
        &long_term(
            &iam,
            &env,
            &["create", "--user-name", "ghost", "--days", "3"],
        )
        .await,
        67,
    );
    assert!(
        err.contains("`ghost` does not exist") && err.contains("--create-user"),
        "{err}"
    );
    assert!(!err.contains("create_user(true)"), "{err}");
    assert_eq!(iam.actions(), [CREATE]);

    let err = failed(
        &long_term(&iam, &env, &["list", "--user-name", "ghost"]).await,
        67,
    );
    assert!(err.contains("`ghost`"), "{err}");

    iam.add_user("alice");
    for command in ["activate", "deactivate", "reset", "delete"] {
        let args = [
            command,
            "--user-name",
            "alice",
            "--id",
            "ACCAEXAMPLEKEY999999",
        ];
        let err = failed(&long_term(&iam, &env, &args).await, 67);
        assert!(
            err.contains("no long-term Bedrock key `ACCAEXAMPLEKEY999999`"),
            "{command}: {err}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn access_denied_is_status_77_and_names_the_iam_action() {
    let (iam, env) = setup().await;
    iam.add_user("alice");
    iam.deny(CREATE);
    iam.deny("ListServiceSpecificCredentials");
    let err = failed(
        &long_term(
            &iam,
            &env,
            &["create", "--user-name", "alice", "--days", "3"],
        )
        .await,
        77,
    );
    assert!(
        err.contains("access denied") && err.contains("iam:CreateServiceSpecificCredential"),
        "{err}"
    );
    let err = failed(&long_term(&iam, &env, &["list"]).await, 77);
    assert!(
        err.contains("iam:ListServiceSpecificCredentials") && err.contains("all users"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_days_and_arguments_make_no_iam_call() {
    let (iam, mut env) = setup().await;
    iam.add_user("alice");
    for days in ["0", "36601", "-5", "abc", "1.5", "", "99999999999999999999"] {
        let args = ["create", "--user-name", "alice", "--days", days];
        let err = failed(&long_term(&iam, &env, &args).await, 64);
        assert!(
            err.contains("--days") && err.contains("1 to 36600"),
            "{days}: {err}"
        );
    }
    let err = failed(
        &long_term(&iam, &env, &["create", "--user-name", "alice"]).await,
        64,
    );
    assert!(err.contains("--days"), "{err}");
    for args in [
        &["create", "--user-name", "a/b", "--days", "1"][..],
        &[
            "create",
            "--user-name",
            "alice",
            "--days",
            "1",
            "--policy-arn",
            "nope",
        ],
        &["reset", "--user-name", "alice", "--id", "short"],
        &["delete", "--user-name", "", "--id", "ACCAEXAMPLEKEY000001"],
        &["list", "--format", "yaml"],
        &[
            "create",
            "--user-name",
            "alice",
            "--days",
            "1",
            "--format",
            "table",
        ],
        &["activate", "--user-name", "alice"],
        &["list", "--profile", ""],
    ] {
        failed(&long_term(&iam, &env, args).await, 64);
    }
    assert!(iam.calls().is_empty(), "{:?}", iam.actions());

    // --days is checked before credentials are even looked for.
    env.unset("AWS_ACCESS_KEY_ID")
        .unset("AWS_SECRET_ACCESS_KEY");
    let args = ["create", "--user-name", "alice", "--days", "0"];
    failed(&long_term(&iam, &env, &args).await, 64);
    assert!(iam.calls().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn list_as_table_and_json_never_shows_key_text() {
    let (iam, env) = setup().await;
    iam.add_user("alice");
    iam.add_user("bob");
    for (user, days) in [("alice", "1"), ("alice", "2"), ("bob", "3")] {
        ok(&long_term(&iam, &env, &["create", "--user-name", user, "--days", days]).await);
    }
    let deactivate = [
        "deactivate",
        "--user-name",
        "alice",
        "--id",
        "ACCAEXAMPLEKEY000002",
    ];
    long_term(&iam, &env, &deactivate).await;

    let out = long_term(&iam, &env, &["list", "--format", "json"]).await;
    assert_no_key_in_stdout(&out, &iam);
    let all = json(&out);
    let all = all.as_array().unwrap();
    assert_eq!(all.len(), 3);
    for key in all {
        assert_eq!(field_names(key), KEY_FIELDS[1..], "no `key` in a list");
    }
    assert_eq!(all[1]["id"], "ACCAEXAMPLEKEY000002");
    assert_eq!(all[1]["status"], "Inactive");
    assert_eq!(all[2]["user_name"], "bob");
    assert_eq!(all[2]["expires_at"], "2024-06-18T12:00:00Z");
    assert_eq!(iam.calls().last().unwrap().param("AllUsers"), Some("true"));

    let out = long_term(
        &iam,
        &env,
        &["list", "--user-name", "alice", "--format", "json"],
    )
    .await;
    let alice = json(&out);
    assert_eq!(alice.as_array().unwrap().len(), 2);
    assert_eq!(iam.calls().last().unwrap().param("UserName"), Some("alice"));

    for args in [&["list"][..], &["list", "--format", "table"]] {
        let out = long_term(&iam, &env, args).await;
        assert_no_key_in_stdout(&out, &iam);
        let table = ok(&out);
        let rows: Vec<Vec<&str>> = table
            .lines()
            .map(|l| {
                l.split("  ")
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .collect()
            })
            .collect();
        assert_eq!(
            rows[0],
            [
                "ID",
                "SERVICE",
                "USER NAME",
                "ALIAS",
                "STATUS",
                "CREATED AT",
                "EXPIRES AT"
            ]
        );
        assert_eq!(rows.len(), 4, "{table}");
        assert_eq!(
            rows[2],
            [
                "ACCAEXAMPLEKEY000002",
                "bedrock",
                "alice",
                "alice-at-123456789012",
                "Inactive",
                "2024-06-15T12:00:00Z",
                "2024-06-17T12:00:00Z"
            ]
        );
        // Aligned: every column starts at the same offset on every line.
        let at = |line: &str, cell: &str| line.find(cell).unwrap();
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(at(lines[0], "STATUS"), at(lines[1], "Active"));
        assert_eq!(at(lines[0], "STATUS"), at(lines[2], "Inactive"));
    }

    // No keys: the header alone, or an empty array.
    iam.add_user("carol");
    let table = ok(&long_term(&iam, &env, &["list", "--user-name", "carol"]).await);
    assert_eq!(table.lines().count(), 1, "{table}");
    let out = long_term(
        &iam,
        &env,
        &["list", "--user-name", "carol", "--format", "json"],
    )
    .await;
    assert_eq!(ok(&out), "[]\n");
}

/// IAM answers with odd values (escapes, key text where none belongs, endless pagination,
/// missing fields), from a one-answer IAM stand-in.
mod odd_iam_answers {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use aws_bedrock_token_long_term::MAX_LIST_PAGES;
    use base64::Engine as _;

    use super::support;
    use support::cli::*;
    use support::http::{respond, Server};
    use support::*;

    /// An IAM endpoint that answers every call with `body` (a ListServiceSpecificCredentials
    /// answer).
    async fn iam_answering(body: String) -> (Server, CliEnv) {
        let server = Server::start(move |_req| {
            let response = respond(200, "text/xml", body.clone());
            async move { response }
        })
        .await;
        let mut env = CliEnv::bare();
        env.set("AWS_ACCESS_KEY_ID", AKID)
            .set("AWS_SECRET_ACCESS_KEY", SECRET)
            .set("AWS_ENDPOINT_URL_IAM", server.url());
        (server, env)
    }

    fn list_answer(user: &str, alias: &str, status: &str) -> String {
        format!(
            "<ListServiceSpecificCredentialsResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">\
             <ListServiceSpecificCredentialsResult><IsTruncated>false</IsTruncated>\
             <ServiceSpecificCredentials><member><UserName>{user}</UserName>\
             <Status>{status}</Status><ServiceUserName>{alias}</ServiceUserName>\
             <ServiceCredentialAlias>{alias}</ServiceCredentialAlias>\
             <CreateDate>2024-06-15T12:00:00Z</CreateDate>\
             <ServiceSpecificCredentialId>ACCAEXAMPLEKEY000001</ServiceSpecificCredentialId>\
             <ServiceName>bedrock.amazonaws.com</ServiceName></member></ServiceSpecificCredentials>\
             </ListServiceSpecificCredentialsResult><ResponseMetadata><RequestId>r</RequestId>\
             </ResponseMetadata></ListServiceSpecificCredentialsResponse>"
        )
    }

    /// A user name in IAM's answer that is not a valid one (a garbled or hostile answer)
    /// is IAM's fault, not a bad flag: `audit` has no `--user-name`, and exit 64 says
    /// "usage error".
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_bad_user_name_in_iams_answer_is_not_blamed_on_a_flag() {
        let (_server, env) =
            iam_answering(list_answer(&"u".repeat(65), "u-at-123456789012", "Active")).await;
        let out = env.run_beside(&["long-term", "audit"]).await;
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(!err.contains("--user-name"), "{err}");
        assert_ne!(out.status.code(), Some(64), "{err}");
    }

    /// Control characters, bidi overrides and unicode in what IAM says never reach the
    /// terminal through the table.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_table_escapes_whatever_iam_says() {
        let (_server, env) = iam_answering(list_answer(
            "al&#x1b;[31mice\u{202e}é",
            "x&#x7;-at-123456789012",
            "Act&#x9;ive",
        ))
        .await;
        let table = ok(&env.run_beside(&["long-term", "list"]).await);
        assert!(
            table
                .chars()
                .all(|c| c == '\n' || c == ' ' || c.is_ascii_graphic()),
            "{table:?}"
        );
        assert!(table.contains(r"al\u{1b}[31mice\u{202e}\u{e9}"), "{table}");
    }

    /// A key in a field of a list answer (a garbled or hostile answer) is not shown by the
    /// table, which goes to a terminal; stderr is redacted the same way.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_table_shows_no_key_text_even_where_iam_puts_one() {
        let key = format!(
            "ABSK{}",
            base64::engine::general_purpose::STANDARD
                .encode("alice-at-123456789012:SECRETEXAMPLE0001wJalrXUtnFEMIK7MDENG")
        );
        let (_server, env) = iam_answering(list_answer("alice", &key, "Active")).await;
        let out = env.run_beside(&["long-term", "list"]).await;
        let table = ok(&out);
        assert_not_echoed(&out, &key);
        assert!(table.contains("<redacted>"), "{table}");
    }

    /// An IAM that keeps saying "truncated" with markers that go round in a cycle (A, B, A,
    /// …) must not keep the command listing forever.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_pagination_cycle_ends_in_an_error() {
        let server = Server::start(|req: support::http::Request| {
            let body = String::from_utf8_lossy(req.body()).into_owned();
            let next = if body.contains("Marker=A") { "B" } else { "A" };
            let answer = list_answer("alice", "alice-at-123456789012", "Active").replace(
                "<IsTruncated>false</IsTruncated>",
                &format!("<IsTruncated>true</IsTruncated><Marker>{next}</Marker>"),
            );
            let response = respond(200, "text/xml", answer);
            async move { response }
        })
        .await;
        let mut env = CliEnv::bare();
        env.set("AWS_ACCESS_KEY_ID", AKID)
            .set("AWS_SECRET_ACCESS_KEY", SECRET)
            .set("AWS_ENDPOINT_URL_IAM", server.url());
        let out = env.run_beside(&["long-term", "list"]).await;
        let err = failed(&out, 69);
        assert!(err.contains("marker"), "{err}");
        assert!(server.hits() <= 3, "{} calls", server.hits());
    }

    /// An IAM that answers every page with a marker it never gave before keeps no listing
    /// going forever: the command gives up after the page limit, naming it.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn fresh_markers_forever_end_after_the_page_limit() {
        let pages = Arc::new(AtomicUsize::new(0));
        let counter = pages.clone();
        let server = Server::start(move |_req| {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            let answer = list_answer("alice", "alice-at-123456789012", "Active").replace(
                "<IsTruncated>false</IsTruncated>",
                &format!("<IsTruncated>true</IsTruncated><Marker>fresh-{n}</Marker>"),
            );
            let response = respond(200, "text/xml", answer);
            async move { response }
        })
        .await;
        let mut env = CliEnv::bare();
        env.set("AWS_ACCESS_KEY_ID", AKID)
            .set("AWS_SECRET_ACCESS_KEY", SECRET)
            .set("AWS_ENDPOINT_URL_IAM", server.url());
        let out = env.run_beside(&["long-term", "list"]).await;
        let err = failed(&out, 69);
        assert!(
            err.contains(&format!("after {MAX_LIST_PAGES} pages")) && err.contains("gave up"),
            "{err}"
        );
        assert_eq!(server.hits(), MAX_LIST_PAGES);
    }

    /// A list entry without id, user, status or creation date (the SDK fills them with "",
    /// "no value was set" and 1970-01-01): shown as missing, never as those made-up values.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn missing_fields_are_shown_as_missing() {
        let answer = "<ListServiceSpecificCredentialsResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">\
             <ListServiceSpecificCredentialsResult><IsTruncated>false</IsTruncated>\
             <ServiceSpecificCredentials><member>\
             <ServiceCredentialAlias>alice-at-123456789012</ServiceCredentialAlias>\
             <ServiceName>bedrock.amazonaws.com</ServiceName></member></ServiceSpecificCredentials>\
             </ListServiceSpecificCredentialsResult><ResponseMetadata><RequestId>r</RequestId>\
             </ResponseMetadata></ListServiceSpecificCredentialsResponse>"
            .to_owned();
        let (_server, env) = iam_answering(answer).await;
        let table = ok(&env.run_beside(&["long-term", "list"]).await);
        let rows: Vec<Vec<&str>> = table
            .lines()
            .map(|l| l.split_whitespace().collect())
            .collect();
        assert_eq!(
            rows[1],
            [
                "-",
                "bedrock",
                "-",
                "alice-at-123456789012",
                "-",
                "-",
                "never"
            ],
            "{table}"
        );
        let json = ok(&env
            .run_beside(&["long-term", "list", "--format", "json"])
            .await);
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        let key = &v[0];
        for field in ["id", "user_name", "status", "created_at", "expires_at"] {
            assert!(key[field].is_null(), "{field}: {json}");
        }
        assert_eq!(key["alias"], "alice-at-123456789012");
        for made_up in ["1970", "no value was set"] {
            assert!(
                !table.contains(made_up) && !json.contains(made_up),
                "{made_up}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn deactivate_activate_reset_delete() {
    let (iam, env) = setup().await;
    iam.add_user("alice");
    let first = ok(&long_term(
        &iam,
        &env,
        &["create", "--user-name", "alice", "--days", "5"],
    )
    .await);
    let id = iam.keys()[0].id.clone();
    let key = ["--user-name", "alice", "--id", id.as_str()];
    let with = |command: &'static str| {
        let mut args = vec![command];
        args.extend_from_slice(&key);
        args
    };

    for (command, status) in [("deactivate", "Inactive"), ("activate", "Active")] {
        let out = long_term(&iam, &env, &with(command)).await;
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(stdout(&out), "");
        assert_eq!(
            stderr(&out),
            format!("bedrock-token: {command}d long-term key {id} of IAM user alice\n")
        );
        assert_eq!(iam.key(&id).status, status);
        let call = iam.calls().pop().unwrap();
        assert_eq!(call.action, "UpdateServiceSpecificCredential");
        assert_eq!(call.param("Status"), Some(status));
        assert_eq!(call.param("ServiceSpecificCredentialId"), Some(id.as_str()));
    }

    let reset = ok(&long_term(&iam, &env, &with("reset")).await);
    assert_ne!(reset, first);
    assert_eq!(reset, format!("{}\n", iam.key(&id).secret));
    assert_eq!(
        iam.calls().pop().unwrap().action,
        "ResetServiceSpecificCredential"
    );
    let mut args = with("reset");
    args.extend(["--format", "json"]);
    let v = json(&long_term(&iam, &env, &args).await);
    assert_eq!(field_names(&v), KEY_FIELDS);
    assert_eq!(v["key"], iam.key(&id).secret.as_str());
    assert_eq!(v["id"], id.as_str());

    let out = long_term(&iam, &env, &with("delete")).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "");
    assert_eq!(
        stderr(&out),
        format!("bedrock-token: deleted long-term key {id} of IAM user alice\n")
    );
    assert!(iam.keys().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_generic_aws_endpoint_url_works_too() {
    let (iam, mut env) = setup().await;
    env.unset("AWS_ENDPOINT_URL_IAM")
        .set("AWS_ENDPOINT_URL", iam.url());
    iam.add_user("alice");
    let out = long_term(
        &iam,
        &env,
        &["create", "--user-name", "alice", "--days", "2"],
    )
    .await;
    assert_eq!(ok(&out), format!("{}\n", iam.keys()[0].secret));
    assert_eq!(iam.actions(), [CREATE]);
}

#[tokio::test(flavor = "multi_thread")]
async fn profile_credentials_win_over_the_environment_and_region_is_honoured() {
    let (iam, env) = setup().await;
    iam.add_user("alice");
    env.write_config("[profile dev]\nregion = eu-west-1\n");
    env.write_credentials(
        "[dev]\naws_access_key_id = AKIDDEVEXAMPLE\naws_secret_access_key = devSECRETexample\n",
    );
    // Either side of the subcommand.
    for args in [
        &["list", "--profile", "dev"][..],
        &["--profile", "dev", "list"],
    ] {
        ok(&long_term(&iam, &env, args).await);
        let call = iam.calls().pop().unwrap();
        let auth = call.authorization.unwrap();
        assert!(
            auth.contains("Credential=AKIDDEVEXAMPLE/") && auth.contains("/eu-west-1/iam/"),
            "{auth}"
        );
    }
    let err = failed(
        &long_term(&iam, &env, &["list", "--profile", "nope"]).await,
        78,
    );
    assert!(
        err.contains("profile \"nope\" (from --profile) not found"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn credential_failures_read_as_for_minting() {
    let (iam, mut env) = setup().await;
    env.unset("AWS_ACCESS_KEY_ID")
        .unset("AWS_SECRET_ACCESS_KEY");
    let err = failed(&long_term(&iam, &env, &["list"]).await, 78);
    assert!(err.contains("no AWS credentials"), "{err}");

    env.write_config("[default]\ncredential_process = sleep 3\n");
    let err = failed(
        &long_term(&iam, &env, &["list", "--timeout", "1"]).await,
        69,
    );
    assert!(
        err.contains("loading AWS credentials timed out after 1s") && err.contains("--timeout"),
        "{err}"
    );
    assert!(iam.calls().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_iam_endpoint_that_never_answers_times_out() {
    let silent = support::http::Server::start(|_| std::future::pending()).await;
    let (iam, mut env) = setup().await;
    env.set("AWS_ENDPOINT_URL_IAM", silent.url());
    let err = failed(
        &long_term(&iam, &env, &["list", "--timeout", "1"]).await,
        69,
    );
    assert!(
        err.contains("ListServiceSpecificCredentials")
            && err.contains("timed out")
            && err.contains("--timeout"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn no_key_text_in_any_error() {
    let (iam, env) = setup().await;
    iam.add_user("alice");
    ok(&long_term(
        &iam,
        &env,
        &["create", "--user-name", "alice", "--days", "1"],
    )
    .await);
    let key = iam.keys()[0].secret.clone();
    let id = iam.keys()[0].id.clone();

    // An answer the SDK cannot read, with the new key text in it.
    iam.garble(CREATE);
    let out = long_term(
        &iam,
        &env,
        &["create", "--user-name", "alice", "--days", "1"],
    )
    .await;
    let err = failed(&out, 69);
    assert!(
        err.contains("a key may have been created")
            && err.contains("to list them: `bedrock-token long-term list --user-name alice`"),
        "{err}"
    );
    iam.garble("ResetServiceSpecificCredential");
    let out = long_term(&iam, &env, &["reset", "--user-name", "alice", "--id", &id]).await;
    failed(&out, 69);

    // A key where an id or a name belongs is refused unseen, before any call.
    let calls = iam.calls().len();
    for args in [
        &["reset", "--user-name", "alice", "--id", &key][..],
        &["delete", "--user-name", &key, "--id", &id],
        &["create", "--user-name", "alice", "--days", &key],
        &["list", "--user-name", &key],
        &["list", &key],
        &[&key],
    ] {
        let out = long_term(&iam, &env, args).await;
        assert_not_echoed(&out, &key);
        let err = failed(&out, 64);
        assert!(
            err.contains("looks like an AWS API key (not shown)"),
            "{err}"
        );
    }
    assert_eq!(iam.calls().len(), calls);
}

#[tokio::test(flavor = "multi_thread")]
async fn inspect_a_long_term_key_shows_alias_user_and_account_never_the_secret() {
    let (iam, env) = setup().await;
    iam.add_user("BedrockAPIKey-x1y2");
    let args = ["create", "--user-name", "BedrockAPIKey-x1y2", "--days", "9"];
    let key = ok(&long_term(&iam, &env, &args).await);
    let key = key.trim_end();

    let from_arg = env.run_beside(&["inspect", key]).await;
    let from_stdin = env.run_stdin(&["inspect", "-"], &format!("{key}\n"));
    let mut from_var = CliEnv::bare();
    from_var.set("AWS_BEARER_TOKEN_BEDROCK", key);
    let from_var = from_var.run_beside(&["inspect"]).await;
    for out in [from_arg, from_stdin, from_var] {
        let report = ok(&out);
        assert!(report.starts_with("long-term Bedrock API key"), "{report}");
        assert!(
            report.contains("alias:          BedrockAPIKey-x1y2-at-123456789012"),
            "{report}"
        );
        assert!(
            report.contains("IAM user:       BedrockAPIKey-x1y2"),
            "{report}"
        );
        assert!(report.contains("account id:     123456789012"), "{report}");
        assert!(
            report.contains("bedrock-token long-term list --user-name BedrockAPIKey-x1y2"),
            "{report}"
        );
        assert!(!report.contains("SECRETEXAMPLE"), "{report}");
        assert_not_echoed(&out, key);
    }

    // A broken long-term key is status 2, told without echoing it.
    let broken = &key[..key.len() - 3];
    let out = env.run_beside(&["inspect", broken]).await;
    assert_not_echoed(&out, key);
    let err = failed(&out, 2);
    assert!(
        err.contains("not a valid long-term Bedrock API key"),
        "{err}"
    );
}

/// Runs `bedrock-token long-term <args>` with stdout a pipe nobody reads: its read end is
/// closed before the process starts, so every write to it fails (broken pipe).
async fn long_term_unread(iam: &Iam, env: &CliEnv, args: &[&str]) -> Output {
    let mut all = vec!["long-term"];
    all.extend_from_slice(args);
    let mut command = env.command(&all);
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    command.stdout(writer).stderr(Stdio::piped());
    let out = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();
    assert_stderr_clean(&out, iam);
    out
}

/// `create … | head -c0`: the key exists in IAM and nobody saw it. That is an error
/// (74) naming the key and the way to get rid of it, not a quiet success.
#[tokio::test(flavor = "multi_thread")]
async fn a_key_nobody_could_read_is_an_error_naming_it() {
    let (iam, env) = setup().await;
    iam.add_user("alice");
    for format in ["token", "json"] {
        let args = [
            "create",
            "--user-name",
            "alice",
            "--days",
            "1",
            "--format",
            format,
        ];
        let err = failed(&long_term_unread(&iam, &env, &args).await, 74);
        let id = iam.keys().last().unwrap().id.clone();
        assert!(
            err.contains(&format!(
                "the long-term key {id} of IAM user alice was created, but writing it to stdout \
                 failed"
            )) && err.contains("nobody has seen it")
                && err.contains(&format!(
                    "`bedrock-token long-term delete --user-name alice --id {id}`"
                )),
            "{err}"
        );
    }
    assert_eq!(iam.keys().len(), 2, "both keys exist in IAM");

    let id = iam.keys()[0].id.clone();
    let args = ["reset", "--user-name", "alice", "--id", &id];
    let err = failed(&long_term_unread(&iam, &env, &args).await, 74);
    assert!(
        err.contains(&format!(
            "the long-term key {id} of IAM user alice was reset, but writing its new text to \
             stdout failed"
        )) && err.contains(&format!(
            "reset it again (`bedrock-token long-term reset --user-name alice --id {id}`)"
        )),
        "{err}"
    );

    // Where nothing is lost (a list), a reader that went away is still no error.
    let out = long_term_unread(&iam, &env, &["list"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stderr(&out), "");
}

/// IAM creates the key and then answers 500: the CLI does not retry (no second key), says
/// a key may exist and how to check, with status 69.
#[tokio::test(flavor = "multi_thread")]
async fn a_create_that_iam_carried_out_before_failing_is_not_retried() {
    let (iam, env) = setup().await;
    iam.add_user("alice");
    iam.fail_after(CREATE, 500, "ServiceFailure");
    let args = ["create", "--user-name", "alice", "--days", "1"];
    let err = failed(&long_term(&iam, &env, &args).await, 69);
    assert_eq!(iam.actions(), [CREATE], "one call");
    assert_eq!(iam.keys().len(), 1, "one key");
    assert!(
        err.contains("a key may have been created: list the user's keys to check")
            && err.contains("to list them: `bedrock-token long-term list --user-name alice`"),
        "{err}"
    );

    let id = iam.keys()[0].id.clone();
    iam.fail_after("ResetServiceSpecificCredential", 500, "ServiceFailure");
    let err = failed(
        &long_term(&iam, &env, &["reset", "--user-name", "alice", "--id", &id]).await,
        69,
    );
    assert_eq!(iam.actions()[1..], ["ResetServiceSpecificCredential"]);
    assert!(
        err.contains("the key may have been reset")
            && err.contains(&format!(
                "run `bedrock-token long-term reset --user-name alice --id {id}` again"
            )),
        "{err}"
    );
}

/// IAM makes the key but answers after `--timeout`: the message says a key may exist.
#[tokio::test(flavor = "multi_thread")]
async fn a_create_answered_after_the_timeout_says_a_key_may_exist() {
    let (iam, env) = setup().await;
    iam.add_user("alice");
    iam.delay(CREATE, Duration::from_secs(4));
    let args = [
        "create",
        "--user-name",
        "alice",
        "--days",
        "1",
        "--timeout",
        "1",
    ];
    let err = failed(&long_term(&iam, &env, &args).await, 69);
    assert!(
        err.contains("IAM CreateServiceSpecificCredential for IAM user `alice` timed out")
            && err.contains("a key may have been created")
            && err.contains("to list them: `bedrock-token long-term list --user-name alice`")
            && err.contains("raise --timeout"),
        "{err}"
    );
    assert_eq!(iam.actions(), [CREATE]);
    assert_eq!(iam.keys().len(), 1);
}

/// Key text from IAM that is not `ABSK` and base64 never reaches the terminal: an error
/// (69) naming the key id.
#[tokio::test(flavor = "multi_thread")]
async fn malformed_key_text_never_reaches_the_terminal() {
    let (iam, env) = setup().await;
    iam.add_user("alice");
    let bad = "ABSK\u{1b}[2J\u{7}QmFkS2V5VGV4dA==\n\u{1b}]0;INJECTED\u{7}";
    iam.bad_key_text(bad);
    let create = long_term(
        &iam,
        &env,
        &["create", "--user-name", "alice", "--days", "1"],
    )
    .await;
    let id = iam.keys()[0].id.clone();
    let reset = long_term(
        &iam,
        &env,
        &[
            "reset",
            "--user-name",
            "alice",
            "--id",
            &id,
            "--format",
            "json",
        ],
    )
    .await;
    for out in [create, reset] {
        let err = failed(&out, 69);
        assert!(
            err.contains(&format!("key `{id}` of IAM user `alice`"))
                && err.contains("delete that key, or reset it"),
            "{err}"
        );
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        for piece in [
            "\u{1b}", "\u{7}", "[2J", "QmFk", "INJECTED", "\\u{1b}", "\\u{7}",
        ] {
            assert!(!all.contains(piece), "{piece:?} in {all:?}");
        }
    }
}

/// Credentials IAM rejects as invalid or expired are an AWS configuration problem (78),
/// told as such, with where the credentials came from.
#[tokio::test(flavor = "multi_thread")]
async fn rejected_credentials_are_status_78() {
    for (status, code, says) in [
        (403, "InvalidClientTokenId", "invalid"),
        (403, "SignatureDoesNotMatch", "invalid"),
        (400, "IncompleteSignature", "invalid"),
        (400, "UnrecognizedClientException", "invalid"),
        (403, "ExpiredToken", "expired"),
        (400, "ExpiredTokenException", "expired"),
    ] {
        let (iam, env) = setup().await;
        iam.reject_all(status, code);
        let err = failed(
            &long_term(&iam, &env, &["list", "--user-name", "alice"]).await,
            78,
        );
        assert!(
            err.contains(&format!(
                "the AWS credentials {}",
                if says == "invalid" {
                    "as invalid"
                } else {
                    "have expired"
                }
            )) && err.contains(&format!("(IAM {code}: "))
                && err.contains(
                    "the credentials came from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
                ),
            "{code}: {err}"
        );
        if says == "expired" {
            assert!(err.contains("aws sso login"), "{err}");
        }
    }
}

/// Messages in the command's terms: no builder methods, no escaped ellipsis, no empty
/// user name when listing every user's keys.
#[tokio::test(flavor = "multi_thread")]
async fn messages_name_flags_not_methods_and_no_empty_user() {
    let (iam, env) = setup().await;
    iam.reject_all(404, "NoSuchEntity");
    let err = failed(&long_term(&iam, &env, &["list"]).await, 67);
    assert!(err.contains("every user's keys"), "{err}");
    assert!(!err.contains("``") && !err.contains("IAM user `"), "{err}");

    let err = failed(
        &long_term(
            &iam,
            &env,
            &["reset", "--user-name", "alice", "--id", "short"],
        )
        .await,
        64,
    );
    assert!(err.contains("(`ACCA...`)"), "{err}");
    assert!(
        !err.contains("\\u{2026}") && !err.contains('\u{2026}'),
        "{err}"
    );
}

/// `create >&-` or `> /dev/null`: the Rust runtime gives a closed stdout `/dev/null`, so
/// the key would be written nowhere with success. Refused before any IAM call.
#[tokio::test(flavor = "multi_thread")]
async fn a_discarded_stdout_is_refused_before_asking_iam() {
    let (iam, env) = setup().await;
    iam.add_user("alice");
    let bin = support::cli::bin();
    for (how, args) in [
        (
            "closed",
            vec!["create", "--user-name", "alice", "--days", "1"],
        ),
        (
            "/dev/null",
            vec!["create", "--user-name", "alice", "--days", "1"],
        ),
        (
            "closed",
            vec![
                "reset",
                "--user-name",
                "alice",
                "--id",
                "ACCAEXAMPLEEXAMPLE01",
            ],
        ),
    ] {
        let mut all = vec!["-c", r#"exec "$0" long-term "$@" >&-"#, bin.as_str()];
        if how == "/dev/null" {
            all[1] = r#"exec "$0" long-term "$@" > /dev/null"#;
        }
        all.extend_from_slice(&args);
        let mut command = env.program("sh", &all);
        let out = tokio::task::spawn_blocking(move || command.output().unwrap())
            .await
            .unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(74), "{how} {args:?}: {err}");
        assert!(err.contains("stdout is closed or /dev/null"), "{err}");
    }
    assert!(iam.keys().is_empty(), "no key was made");
    assert!(
        !iam.actions()
            .iter()
            .any(|a| a.contains("ServiceSpecificCredential")),
        "{:?}",
        iam.actions()
    );
}

#[tokio::test]
async fn create_and_list_per_service() {
    use support::iam::ANTHROPIC_INFERENCE;

    let (iam, env) = setup().await;
    let out = long_term(
        &iam,
        &env,
        &[
            "create",
            "--service",
            "claude-platform",
            "--user-name",
            "claude-user",
            "--days",
            "7",
            "--create-user",
            "--format",
            "json",
        ],
    )
    .await;
    let v = json(&out);
    assert_eq!(v["service"], "claude-platform");
    assert!(v["key"].as_str().unwrap().starts_with("AEAA"));
    let calls = iam.calls();
    assert_eq!(calls[1].param("PolicyArn"), Some(ANTHROPIC_INFERENCE));
    assert_eq!(
        calls[2].param("ServiceName"),
        Some("aws-external-anthropic.amazonaws.com")
    );
    // The alias of the SigV4 name is accepted too.
    long_term(
        &iam,
        &env,
        &[
            "create",
            "--service",
            "aws-external-anthropic",
            "--user-name",
            "claude-user",
            "--days",
            "7",
        ],
    )
    .await;
    iam.add_user("alice");
    long_term(
        &iam,
        &env,
        &["create", "--user-name", "alice", "--days", "7"],
    )
    .await;

    let out = long_term(
        &iam,
        &env,
        &["list", "--service", "claude-platform", "--format", "json"],
    )
    .await;
    let listed = json(&out);
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 2);
    assert!(listed.iter().all(|k| k["service"] == "claude-platform"));
    assert_eq!(
        iam.calls().last().unwrap().param("ServiceName"),
        Some("aws-external-anthropic.amazonaws.com")
    );

    // Without --service: every service's keys, with the service column.
    let table = ok(&long_term(&iam, &env, &["list"]).await);
    let services: Vec<&str> = table
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().nth(1).unwrap())
        .collect();
    assert_eq!(
        services,
        ["bedrock", "claude-platform", "claude-platform"],
        "{table}"
    );
    assert!(table.lines().next().unwrap().contains("SERVICE"), "{table}");

    // A service without long-term keys: refused before any IAM call.
    let before = iam.calls().len();
    let out = long_term(
        &iam,
        &env,
        &[
            "create",
            "--service",
            "sagemaker",
            "--user-name",
            "alice",
            "--days",
            "7",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(64), "a usage error");
    assert!(
        stderr(&out).contains("Amazon SageMaker AI has no long-term API keys"),
        "{}",
        stderr(&out)
    );
    assert_eq!(iam.calls().len(), before);
    let err = failed(
        &long_term(&iam, &env, &["list", "--service", "lambda"]).await,
        64,
    );
    assert!(err.contains("unknown service name"), "{err}");
}
