//! The clients users run, unchanged, through `exec --proxy` (HTTPS) and through `proxy`
//! on plain HTTP, against the Bedrock stand-in that verifies every key it is sent and
//! speaks what Bedrock Runtime speaks (JSON, AWS event streams, server-sent events, the
//! control plane's ListInferenceProfiles).
//!
//! Installed by `.ci/run`: the Python clients by `scripts/clients/setup.sh`
//! (BEDROCK_TOKEN_CLIENTS_PYTHON), the JavaScript clients and three Claude Code builds
//! (2.1.100, the last Node build; 2.1.197, native on Bun 1.4.3, which refuses a
//! self-signed leaf as a trust anchor; 2.1.332, native on a newer Bun) by
//! `scripts/clients/setup-node.sh` (BEDROCK_TOKEN_CLIENTS_NODE). Where they are not
//! installed the tests say so and pass, except under CI, where they fail.

use crate::support;

use std::path::PathBuf;
use std::process::Output;

use aws_bedrock_token_generator::TokenInfo;
use aws_smithy_async::time::SystemTimeSource;
use support::bedrock::{Bedrock, Keys};
use support::cli::*;
use support::{AKID, SECRET};

/// The Claude Code builds `setup-node.sh` installs, each under `claude/VERSION`.
const CLAUDE_CODE: [&str; 3] = ["2.1.100", "2.1.197", "2.1.332"];
/// What every answer of the stand-in says.
const HELLO: &str = "Hello from the stand-in";

/// The installed clients under `variable`, or `None` (outside CI) when not installed.
fn installed(variable: &str, setup: &str) -> Option<PathBuf> {
    match std::env::var_os(variable) {
        Some(path) => Some(PathBuf::from(path)),
        None if std::env::var_os("CI").is_some() => {
            panic!("{variable} is not set under CI: run {setup} (it must install every client)")
        }
        None => {
            eprintln!("skipped: {variable} is not set ({setup})");
            None
        }
    }
}

async fn stand_in() -> Bedrock {
    Bedrock::start(
        Keys::default().with(AKID, SECRET, None),
        SystemTimeSource::new(),
    )
    .await
}

/// An environment with the test's credentials and the caller's `PATH` (for `node`).
fn env() -> CliEnv {
    let mut env = CliEnv::with_env_credentials();
    if let Some(path) = std::env::var_os("PATH") {
        env.set("PATH", path);
    }
    env
}

/// `bedrock-token exec --proxy` with the stand-in as upstream and control plane, and the
/// gateway's log in `log`, running `command`.
async fn exec_proxy(env: &CliEnv, bedrock: &Bedrock, log: &str, command: &[&str]) -> Output {
    let url = bedrock.url();
    let mut args = vec![
        "exec",
        "--proxy",
        "--upstream",
        &url,
        "--control-plane",
        &url,
        "--log",
        log,
        "--",
    ];
    args.extend_from_slice(command);
    env.run_beside(&args).await
}

/// Every line of `out` that names a client says it succeeded with the stand-in's text.
fn assert_clients_ok(out: &Output, clients: &[&str]) {
    let printed = stdout(out);
    assert_eq!(out.status.code(), Some(0), "{printed}{}", stderr(out));
    for client in clients {
        assert!(
            printed.contains(&format!("{client} ok: {HELLO}")),
            "{client}: {printed}"
        );
    }
}

/// Every key the stand-in was sent is a real, verified key (none is the client key), and
/// the gateway's log holds none of them.
fn assert_real_keys_only(bedrock: &Bedrock, log: &str) {
    assert_eq!(bedrock.rejected(), 0);
    let presented = bedrock.presented_tokens();
    assert!(!presented.is_empty());
    let logged = std::fs::read_to_string(log).unwrap_or_default();
    for token in &presented {
        assert!(TokenInfo::parse(token).is_ok(), "not a real key: {token}");
        assert!(
            !logged.contains(token.as_str()),
            "a key in the log: {logged}"
        );
    }
    assert!(!logged.contains("bedrock-api-key-") && !logged.contains(SECRET));
    assert!(!logged.contains(aws_bedrock_token_gateway::CLIENT_KEY_PREFIX));
}

/// A `proxy` on plain HTTP in front of the stand-in, and its client key.
struct PlainProxy {
    proxy: Proxy,
    url: String,
    key: String,
}

impl PlainProxy {
    fn start(env: &CliEnv, bedrock: &Bedrock) -> PlainProxy {
        let key_file = env.path("client-key");
        let url = bedrock.url();
        let proxy = Proxy::start(
            env,
            &[
                "proxy",
                "--upstream",
                &url,
                "--control-plane",
                &url,
                "--client-key-file",
                key_file.to_str().unwrap(),
            ],
        );
        assert!(proxy.url.starts_with("http://"), "printed {:?}", proxy.url);
        PlainProxy {
            url: proxy.url.clone(),
            proxy,
            key: std::fs::read_to_string(key_file).unwrap().trim().to_owned(),
        }
    }

    /// `program args…` pointed at the proxy the way its users point clients at it.
    async fn run(&self, env: &CliEnv, program: &str, args: &[&str]) -> Output {
        let mut command = env.program(program, args);
        command
            .env("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", &self.url)
            .env("ANTHROPIC_BEDROCK_BASE_URL", &self.url)
            .env("BEDROCK_TOKEN_PROXY_URL", &self.url)
            .env("AWS_BEARER_TOKEN_BEDROCK", &self.key)
            .env("AWS_REGION", "us-west-2")
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY");
        tokio::task::spawn_blocking(move || command.output().unwrap())
            .await
            .unwrap()
    }

    /// SIGTERM; its log (standard error), which must hold no key.
    fn stop(self) -> String {
        let (_, log) = self.proxy.stop();
        assert!(!log.contains(&self.key));
        log
    }
}

const PYTHON_CLIENTS: [&str; 4] = ["boto3", "anthropic-bedrock", "openai", "openai-stream"];
const NODE_CLIENTS: [&str; 6] = [
    "anthropic-bedrock",
    "anthropic-bedrock-stream",
    "aws-sdk-converse",
    "aws-sdk-converse-stream",
    "aws-sdk-invoke",
    "aws-sdk-invoke-stream",
];

/// boto3, the Anthropic SDK's Bedrock client and the OpenAI SDK for Python (streamed
/// too: server-sent events): through `exec --proxy` all of them; through plain-HTTP
/// `proxy` those that send a bearer key over plain HTTP (boto3 refuses to: "Bearer
/// authorization requires an HTTPS endpoint").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_clients_through_exec_proxy_and_plain_http() {
    let Some(python) = installed("BEDROCK_TOKEN_CLIENTS_PYTHON", "scripts/clients/setup.sh") else {
        return;
    };
    let python = python.to_string_lossy().into_owned();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../scripts/clients/clients.py"
    );
    let bedrock = stand_in().await;
    let env = env();
    let log = env.path("gateway.log").display().to_string();
    let out = exec_proxy(&env, &bedrock, &log, &[&python, script]).await;
    assert_clients_ok(&out, &PYTHON_CLIENTS);
    assert_eq!(bedrock.accepted(), PYTHON_CLIENTS.len());

    let proxy = PlainProxy::start(&env, &bedrock);
    let out = proxy
        .run(
            &env,
            &python,
            &[script, "anthropic-bedrock", "openai", "openai-stream"],
        )
        .await;
    assert_clients_ok(&out, &["anthropic-bedrock", "openai", "openai-stream"]);
    let proxy_log = proxy.stop();
    assert_eq!(bedrock.accepted(), PYTHON_CLIENTS.len() + 3);
    std::fs::write(
        &log,
        format!("{}{proxy_log}", std::fs::read_to_string(&log).unwrap()),
    )
    .unwrap();
    assert_real_keys_only(&bedrock, &log);
}

/// The Anthropic SDK's Bedrock client and the AWS SDK for JavaScript (which speaks HTTP/2
/// by default, over TLS by ALPN and to `http://` endpoints with prior knowledge), each
/// call streaming and not: through `exec --proxy` and through plain-HTTP `proxy`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn javascript_clients_through_exec_proxy_and_plain_http() {
    let Some(dir) = installed(
        "BEDROCK_TOKEN_CLIENTS_NODE",
        "scripts/clients/setup-node.sh",
    ) else {
        return;
    };
    let script = dir.join("node/clients.mjs").display().to_string();
    let bedrock = stand_in().await;
    let env = env();
    let log = env.path("gateway.log").display().to_string();
    let out = exec_proxy(&env, &bedrock, &log, &["node", &script]).await;
    assert_clients_ok(&out, &NODE_CLIENTS);
    assert_eq!(bedrock.accepted(), NODE_CLIENTS.len());
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.contains("converse-stream status=200"), "{logged}");

    let proxy = PlainProxy::start(&env, &bedrock);
    let out = proxy.run(&env, "node", &[&script]).await;
    assert_clients_ok(&out, &NODE_CLIENTS);
    let proxy_log = proxy.stop();
    assert_eq!(bedrock.accepted(), 2 * NODE_CLIENTS.len());
    std::fs::write(&log, format!("{logged}{proxy_log}")).unwrap();
    assert_real_keys_only(&bedrock, &log);
}

/// Claude Code, Node and native builds, `claude -p` through `exec --proxy` (its HTTPS
/// gateway and per-run certificate authority) and through plain-HTTP `proxy`: it lists
/// inference profiles on the control plane, probes models with InvokeModel and streams
/// its answer with InvokeModelWithResponseStream, each with a real, verified key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claude_code_builds_through_exec_proxy_and_plain_http() {
    let Some(dir) = installed(
        "BEDROCK_TOKEN_CLIENTS_NODE",
        "scripts/clients/setup-node.sh",
    ) else {
        return;
    };
    let runner = dir.join("claude.sh").display().to_string();
    for version in CLAUDE_CODE {
        let build = dir.join("claude").join(version).display().to_string();
        let bedrock = stand_in().await;
        let env = env();
        let log = env.path("gateway.log").display().to_string();
        let out = exec_proxy(&env, &bedrock, &log, &[&runner, &build]).await;
        assert_eq!(
            out.status.code(),
            Some(0),
            "Claude Code {version}: {}{}",
            stdout(&out),
            stderr(&out)
        );
        assert!(stdout(&out).contains(HELLO), "{version}: {}", stdout(&out));
        let logged = std::fs::read_to_string(&log).unwrap();
        assert!(
            logged.contains("invoke-with-response-stream status=200"),
            "{version}: {logged}"
        );
        assert!(
            logged.contains("path=/inference-profiles status=200"),
            "{version}: {logged}"
        );
        let through_exec = bedrock.accepted();

        let proxy = PlainProxy::start(&env, &bedrock);
        let out = proxy.run(&env, &runner, &[&build]).await;
        assert_eq!(
            out.status.code(),
            Some(0),
            "Claude Code {version} over plain HTTP: {}{}",
            stdout(&out),
            stderr(&out)
        );
        assert!(stdout(&out).contains(HELLO), "{version}: {}", stdout(&out));
        let proxy_log = proxy.stop();
        assert!(bedrock.accepted() > through_exec);
        std::fs::write(&log, format!("{logged}{proxy_log}")).unwrap();
        assert_real_keys_only(&bedrock, &log);
    }
}
