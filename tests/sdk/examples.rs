//! Runs the examples as the README says, against loopback stand-ins only, with example
//! credentials in a test-owned environment.
#![cfg(feature = "default-chain")]

use crate::support;

use std::path::PathBuf;
use std::process::{Command, Output};

use aws_bedrock_token_generator::TokenInfo;
use aws_smithy_async::time::SystemTimeSource;
use support::bedrock::{Bedrock, Keys};
use support::*;

/// target/<profile>/examples/<name>, built by `cargo test` before the tests run.
fn example(name: &str) -> PathBuf {
    let dir = std::env::current_exe().unwrap();
    let dir = dir.parent().unwrap().parent().unwrap();
    let path = dir.join("examples").join(name);
    assert!(
        path.exists(),
        "{} not built: run through `cargo test`",
        path.display()
    );
    path
}

fn run(name: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let home = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(example(name));
    cmd.args(args)
        .env_clear()
        .env("HOME", home.path())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", home.path().join("config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            home.path().join("credentials"),
        )
        .env("AWS_ACCESS_KEY_ID", AKID)
        .env("AWS_SECRET_ACCESS_KEY", SECRET)
        .env("AWS_REGION", "us-west-2");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

/// [`run`] on a blocking thread, so that stand-ins on the test's runtime keep answering.
async fn run_beside(name: &'static str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        run(name, &args, &env)
    })
    .await
    .unwrap()
}

/// Neither stdout nor stderr shows the secret key, or any key the stand-in received
/// (whole, its base64 text, or its signature).
fn assert_nothing_secret(out: &Output, bedrock: &Bedrock) {
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let tokens = bedrock.presented_tokens();
    assert!(!tokens.is_empty(), "the stand-in received no key");
    let mut secrets = vec![SECRET.to_owned(), "bedrock-api-key-".to_owned()];
    for token in tokens {
        let signature = support::sigv4::decode_url(&token)
            .split('&')
            .find_map(|kv| kv.strip_prefix("X-Amz-Signature="))
            .unwrap()
            .to_owned();
        secrets.push(token["bedrock-api-key-".len()..][..40].to_owned());
        secrets.push(signature);
    }
    for secret in &secrets {
        assert!(
            !text.contains(secret.as_str()),
            "output leaks {secret:?}: {text}"
        );
    }
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "status {:?}, stderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[test]
fn provide_token_prints_a_token() {
    let out = stdout(&run("provide_token", &[], &[]));
    let info = TokenInfo::parse(out.trim_end()).unwrap();
    assert_eq!((info.region(), info.access_key_id()), ("us-west-2", AKID));
    assert_eq!(out.lines().count(), 1);
}

#[test]
fn token_provider_uses_region_and_expiry() {
    let out = stdout(&run("token_provider", &["eu-west-1", "", "900"], &[]));
    let info = TokenInfo::parse(out.trim_end()).unwrap();
    assert_eq!(info.region(), "eu-west-1");
    assert_eq!(info.expiry().as_secs(), 900);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn converse_examples_talk_to_the_stand_in() {
    let bedrock = Bedrock::start(
        Keys::default().with(AKID, SECRET, None),
        SystemTimeSource::new(),
    )
    .await;
    let url = bedrock.url();
    for name in ["converse", "sdk_converse"] {
        let out = run_beside(name, &["Hello"], &[("BEDROCK_ENDPOINT", &url)]).await;
        assert_eq!(stdout(&out).trim_end(), "Hello from the stand-in", "{name}");
    }
    assert_eq!(bedrock.accepted(), 2);
}

fn stand_in_keys() -> Keys {
    Keys::default().with(AKID, SECRET, None)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_hook_authorizes_each_request_from_the_cached_key() {
    let bedrock = Bedrock::start(stand_in_keys(), SystemTimeSource::new()).await;
    let out = run_beside(
        "request_hook",
        &["Hello", "Again", "Once more"],
        &[("BEDROCK_ENDPOINT", &bedrock.url())],
    )
    .await;
    assert_eq!(
        stdout(&out).lines().collect::<Vec<_>>(),
        ["Hello from the stand-in"; 3]
    );
    // Three requests, each verified, all with the one key keep_fresh() cached.
    assert_eq!(
        (
            bedrock.accepted(),
            bedrock.rejected(),
            bedrock.distinct_tokens()
        ),
        (3, 0, 1)
    );
    assert_nothing_secret(&out, &bedrock);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_interceptor_refuses_without_a_key_then_authorizes_each_call() {
    let bedrock = Bedrock::start(stand_in_keys(), SystemTimeSource::new()).await;
    let out = run_beside(
        "grpc_interceptor",
        &[],
        &[("BEDROCK_ENDPOINT", &bedrock.url())],
    )
    .await;
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 7, "{text}");
    assert_eq!(lines[0], "before keep_fresh: call refused, Unauthenticated");
    for (n, pair) in lines[1..].chunks(2).enumerate() {
        let facts = pair[0]
            .strip_prefix(&format!(
                "call {}: authorization set, a key for us-west-2 that expires at ",
                n + 1
            ))
            .unwrap_or_else(|| panic!("{text}"));
        assert!(facts.ends_with('Z') && facts.len() == 20, "{facts}");
        assert_eq!(pair[1], format!("call {}: Hello from the stand-in", n + 1));
    }
    assert_eq!(
        (
            bedrock.accepted(),
            bedrock.rejected(),
            bedrock.distinct_tokens()
        ),
        (3, 0, 1)
    );
    assert_nothing_secret(&out, &bedrock);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openai_compatible_calls_chat_completions_with_the_key() {
    let bedrock = Bedrock::start(stand_in_keys(), SystemTimeSource::new()).await;
    // bedrock-runtime's base path, then bedrock-mantle's.
    for (path, model) in [("/openai/v1", None), ("/v1/", Some("openai.gpt-oss-20b"))] {
        let base = format!("{}{path}", bedrock.url());
        let mut env = vec![("BEDROCK_OPENAI_BASE_URL", base.as_str())];
        env.extend(model.map(|m| ("BEDROCK_OPENAI_MODEL", m)));
        let out = run_beside("openai_compatible", &["Hi there"], &env).await;
        assert_eq!(stdout(&out), "Hello from the stand-in\n", "{path}");
        assert_nothing_secret(&out, &bedrock);
    }
    assert_eq!((bedrock.accepted(), bedrock.rejected()), (2, 0));
    let requests = bedrock.chat_requests();
    let expected = |model: &str| {
        serde_json::json!({
            "model": model,
            "messages": [{ "role": "user", "content": "Hi there" }]
        })
    };
    assert_eq!(
        requests,
        [
            expected("openai.gpt-oss-20b-1:0"),
            expected("openai.gpt-oss-20b")
        ]
    );
}

/// The SageMaker AI example against the stand-in, which verifies each key for SigV4
/// service `sagemaker` (a Bedrock key there is refused): an endpoint, then an inference
/// component of it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sagemaker_chat_calls_an_endpoints_openai_path_with_a_sagemaker_key() {
    let bedrock = Bedrock::start(stand_in_keys(), SystemTimeSource::new()).await;
    let url = bedrock.url();
    let out = run_beside(
        "sagemaker_chat",
        &["my-endpoint", "Hi there"],
        &[("SAGEMAKER_RUNTIME_URL", &url)],
    )
    .await;
    assert_eq!(
        stdout(&out),
        "Hello from the stand-in\n",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run_beside(
        "sagemaker_chat",
        &["my-endpoint", "Hi there"],
        &[
            ("SAGEMAKER_RUNTIME_URL", &url),
            ("SAGEMAKER_INFERENCE_COMPONENT", "my-component"),
        ],
    )
    .await;
    assert_eq!(
        stdout(&out),
        "Hello from the stand-in\n",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!((bedrock.accepted(), bedrock.rejected()), (2, 0));
    let keys = bedrock.presented_tokens();
    assert!(
        keys.iter().all(|k| k.starts_with("sagemaker-api-key-")),
        "{keys:?}"
    );
    assert_eq!(
        bedrock.chat_requests()[0]["messages"][0]["content"],
        "Hi there"
    );
    assert_nothing_secret(&out, &bedrock);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openai_compatible_reports_a_rejected_key_without_showing_it() {
    // The stand-in knows another secret for this access key id: the signature is wrong.
    let bedrock = Bedrock::start(
        Keys::default().with(AKID, "OtherSecretEXAMPLEKEYwJalrXUtnFEMI/K7MDENG", None),
        SystemTimeSource::new(),
    )
    .await;
    let base = format!("{}/openai/v1", bedrock.url());
    let out = run_beside(
        "openai_compatible",
        &[],
        &[("BEDROCK_OPENAI_BASE_URL", &base)],
    )
    .await;
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("401 Unauthorized: The request signature we calculated does not match"),
        "{err}"
    );
    assert!(err.contains("the key is for us-west-2"), "{err}");
    assert!(err.contains("bedrock:CallWithBearerToken"), "{err}");
    assert_eq!((bedrock.accepted(), bedrock.rejected()), (0, 1));
    assert_nothing_secret(&out, &bedrock);
}

#[test]
fn no_region_fails_with_a_clear_message() {
    let out = run("provide_token", &[], &[("AWS_REGION", "")]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("AWS_REGION"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claude_platform_messages_example_talks_to_the_stand_in() {
    let platform = Bedrock::start(stand_in_keys(), SystemTimeSource::new()).await;
    let url = platform.url();
    let out = run_beside(
        "claude_platform_messages",
        &["Hello"],
        &[
            ("ANTHROPIC_AWS_BASE_URL", &url),
            ("ANTHROPIC_AWS_WORKSPACE_ID", "wrkspc_EXAMPLE"),
        ],
    )
    .await;
    assert_eq!(stdout(&out).trim_end(), "Hello from the stand-in");
    // The stand-in checked the key's signature for service `aws-external-anthropic`.
    assert_eq!((platform.accepted(), platform.rejected()), (1, 0));
    assert_eq!(platform.workspaces(), ["wrkspc_EXAMPLE"]);
    let presented = platform.presented_tokens();
    assert!(presented[0].starts_with("aws-external-anthropic-api-key-"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!text.contains(SECRET) && !text.contains(&presented[0][..40]));

    // Without a workspace id the example says what to set.
    let out = run_beside(
        "claude_platform_messages",
        &["Hello"],
        &[("ANTHROPIC_AWS_BASE_URL", &url)],
    )
    .await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("ANTHROPIC_AWS_WORKSPACE_ID"));
}
