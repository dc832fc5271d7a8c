//! Adversarial review of `bedrock-token long-term …`: IAM answers with odd values, as a
//! real process against a one-answer IAM stand-in on 127.0.0.1.
#![cfg(feature = "cli")]

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use aws_bedrock_token_generator::MAX_LIST_PAGES;
use base64::Engine as _;
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
