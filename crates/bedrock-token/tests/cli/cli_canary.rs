//! Canaries: a secret planted in every credential source the default chain reads
//! (environment, shared credentials file, SSO token cache, web-identity token file,
//! `credential_process` output, container endpoint token, session policy), then every
//! failure path driven (each endpoint variable empty, blank, unparseable, unreachable, or
//! a hostile stand-in that echoes the request back). The canary must show in no stdout,
//! stderr or cache file, nothing may panic, and a malformed setting is a configuration
//! error (78) that names the variable.

use crate::support;

use std::path::Path;
use std::process::Output;

use support::cli::*;
use support::http::{respond, Server};
use support::sts::ROLE_ARN;

/// The endpoint variables a run may read (IAM for `long-term`, STS for roles and web
/// identity, SSO for SSO profiles, and the global one).
const ENDPOINT_VARS: [&str; 4] = [
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_STS",
    "AWS_ENDPOINT_URL_SSO",
    "AWS_ENDPOINT_URL_IAM",
];

/// Each source's canary is distinct, so a failure names the source that leaked; as long
/// and as random-looking as the secrets they stand for (a secret key is 40 characters).
fn canary(source: &str) -> String {
    format!(
        "CANARY{}0wJalrXUtnFEMIK7MDENGbPxRfiCYzq81k",
        source.to_uppercase().replace('-', "")
    )
}

/// One credential source, with its canary planted.
fn source(name: &str, hostile: &str) -> CliEnv {
    let secret = canary(name);
    let mut env = CliEnv::bare();
    env.set("AWS_REGION", "us-west-2");
    match name {
        "environment" => {
            env.set("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE");
            env.set("AWS_SECRET_ACCESS_KEY", &secret);
        }
        // Sent in every signed request (x-amz-security-token), so echoed back by a
        // hostile endpoint; a successful mint prints it inside the token, so only
        // failures are checked for it.
        "session-token" => {
            env.set("AWS_ACCESS_KEY_ID", "ASIAEXAMPLEEXAMPLE01");
            env.set(
                "AWS_SECRET_ACCESS_KEY",
                "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            );
            env.set("AWS_SESSION_TOKEN", &secret);
        }
        "shared-file" => env.write_credentials(&format!(
            "[default]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = {secret}\n"
        )),
        "sso" => {
            env.write_config(
                "[default]\nsso_session = s\nsso_account_id = 123456789012\n\
                 sso_role_name = r\nregion = us-west-2\n\n[sso-session s]\n\
                 sso_start_url = https://example.awsapps.com/start\nsso_region = us-west-2\n",
            );
            let cache = env.path(".aws/sso/cache");
            std::fs::create_dir_all(&cache).unwrap();
            // The file name is the SHA-1 of the session name `s`.
            std::fs::write(
                cache.join("a0f1490a20d0211c997b44bc357e1972deab8ae3.json"),
                format!(
                    r#"{{"accessToken":"{secret}","expiresAt":"2099-01-01T00:00:00Z","region":"us-west-2","startUrl":"https://example.awsapps.com/start"}}"#
                ),
            )
            .unwrap();
        }
        "web-identity" => {
            let file = env.path("web-identity-token");
            std::fs::write(&file, &secret).unwrap();
            env.set("AWS_WEB_IDENTITY_TOKEN_FILE", &file);
            env.set("AWS_ROLE_ARN", ROLE_ARN);
        }
        "credential-process" => {
            let script = env.path("process.sh");
            // Malformed output holding the secret, and the secret on stderr.
            std::fs::write(
                &script,
                format!(
                    "#!/bin/sh\necho '{secret}' >&2\nprintf '%s' '{{\"Version\": 1, \
                     \"AccessKeyId\": \"AKIDEXAMPLE\", \"SecretAccessKey\": \"{secret}\"'\n"
                ),
            )
            .unwrap();
            make_executable(&script);
            env.write_config(&format!(
                "[default]\nregion = us-west-2\ncredential_process = {}\n",
                script.display()
            ));
        }
        "container" => {
            env.set(
                "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                format!("{hostile}/credentials"),
            );
            env.set("AWS_CONTAINER_AUTHORIZATION_TOKEN", &secret);
        }
        _ => unreachable!("{name}"),
    }
    env
}

#[cfg(unix)]
fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700)).unwrap();
}

/// A stand-in for every AWS endpoint that answers each request with the request
/// itself (headers and body, so every credential that was sent) in an unreadable body.
async fn hostile() -> Server {
    Server::start(|req: support::http::Request| async move {
        let mut echo = format!("{} {}\n", req.method(), req.uri());
        for (name, value) in req.headers() {
            echo.push_str(&format!("{name}: {}\n", value.to_str().unwrap_or("?")));
        }
        echo.push_str(&String::from_utf8_lossy(req.body()));
        respond(200, "text/xml", format!("<Garbage>{echo}</Garbage>"))
    })
    .await
}

/// A stand-in that refuses every request with an AWS error whose code, message and
/// request id are the request itself (what an echoing proxy in the way would send).
async fn hostile_error() -> Server {
    Server::start(|req: support::http::Request| async move {
        let mut echo = String::new();
        for (name, value) in req.headers() {
            echo.push_str(&format!("{name}: {} ", value.to_str().unwrap_or("?")));
        }
        echo.push_str(&String::from_utf8_lossy(req.body()));
        let echo = support::iam::xml(&echo);
        let mut response = respond(
            400,
            "text/xml",
            format!(
                "<ErrorResponse><Error><Type>Sender</Type><Code>{echo}</Code>\
                 <Message>{echo}</Message></Error><RequestId>{echo}</RequestId></ErrorResponse>"
            ),
        );
        let id = echo
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .take(60)
            .collect::<String>();
        response
            .headers_mut()
            .insert("x-amzn-requestid", id.parse().unwrap());
        response
    })
    .await
}

/// A loopback URL nothing listens on.
fn closed_port() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    url
}

/// Files the run wrote under HOME (the cache), as text.
fn written_files(home: &Path, out: &mut Vec<(String, String)>) {
    let Ok(entries) = std::fs::read_dir(home) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            written_files(&path, out);
        } else if path.components().any(|c| c.as_os_str() == ".cache") {
            let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
            out.push((path.display().to_string(), text));
        }
    }
}

fn check(what: &str, env: &CliEnv, out: &Output, secrets: &[String]) {
    let (stdout, stderr) = (stdout(out), stderr(out));
    assert_ne!(out.status.code(), Some(101), "{what}: panicked: {stderr}");
    assert!(
        !stderr.contains("panicked"),
        "{what}: a panic reached stderr: {stderr}"
    );
    let mut files = Vec::new();
    written_files(env.home.path(), &mut files);
    for secret in secrets {
        assert!(!stdout.contains(secret), "{what}: stdout leaks: {stdout}");
        assert!(!stderr.contains(secret), "{what}: stderr leaks: {stderr}");
        for (path, text) in &files {
            assert!(!text.contains(secret), "{what}: {path} leaks");
        }
    }
    if out.status.code() != Some(0) {
        assert_eq!(
            stderr.lines().count(),
            1,
            "{what}: one line on stderr: {stderr}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_canary_escapes_any_failure() {
    let hostile = hostile().await;
    let hostile_error = hostile_error().await;
    let closed = closed_port();
    let policy_canary = canary("policy");
    let faults: Vec<(&str, String, bool)> = vec![
        ("empty", String::new(), true),
        ("blank", "   ".into(), true),
        ("trailing space", format!("{} ", hostile.url()), true),
        ("unparseable", "not a url".into(), true),
        ("unreachable", closed.clone(), false),
        ("hostile", hostile.url(), false),
        ("hostile error", hostile_error.url(), false),
    ];
    let sources = [
        "session-token",
        "environment",
        "shared-file",
        "sso",
        "web-identity",
        "credential-process",
        "container",
    ];
    for name in sources {
        for (fault, value, malformed) in &faults {
            for faulty in ENDPOINT_VARS {
                let mut env = source(name, &hostile.url());
                for var in ENDPOINT_VARS {
                    env.set(var, hostile.url());
                }
                env.set(faulty, value);
                let policy = env.path("policy.json");
                std::fs::write(
                    &policy,
                    format!(
                        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"{policy_canary}","Effect":"Allow","Action":"bedrock:InvokeModel","Resource":"*"}}]}}"#
                    ),
                )
                .unwrap();
                let policy = policy.display().to_string();
                let leaked = format!(
                    "ABSK{}",
                    base64::Engine::encode(
                        &base64::engine::general_purpose::STANDARD,
                        format!("alice-at-123456789012:{}", canary("revoked-key"))
                    )
                );
                let runs: [&[&str]; 5] = [
                    &["--cache", "--timeout", "3s"],
                    &[
                        "--role-arn",
                        ROLE_ARN,
                        "--session-policy",
                        &policy,
                        "--cache",
                        "--timeout",
                        "3s",
                    ],
                    &["long-term", "list", "--timeout", "3s"],
                    &["long-term", "audit", "--timeout", "3s"],
                    &["long-term", "revoke", "-", "--timeout", "3s"],
                ];
                for args in runs {
                    let what = format!("{name}, {faulty} {fault}, {args:?}");
                    let out = if args.contains(&"revoke") {
                        // The leaked key on stdin, as the README advises.
                        tokio::task::block_in_place(|| env.run_stdin(args, &leaked))
                    } else {
                        env.run_beside(args).await
                    };
                    let mut secrets =
                        vec![policy_canary.clone(), canary("revoked-key"), leaked.clone()];
                    // A minted token carries its session token: not a leak.
                    if !(name == "session-token" && out.status.success()) {
                        secrets.push(canary(name));
                    }
                    check(&what, &env, &out, &secrets);
                    if *malformed {
                        let err = failed(&out, 78);
                        assert!(err.contains(faulty), "{what}: names the variable: {err}");
                    }
                }
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_profile_endpoints_are_configuration_errors() {
    let hostile = hostile().await;
    for (config, place) in [
        ("endpoint_url =\n", "`endpoint_url` of profile `default`"),
        ("endpoint_url = http://x y\n", "`endpoint_url` of profile `default`"),
        (
            "services = s\n[services s]\niam =\n  endpoint_url = nope\nsts =\n  endpoint_url = nope\n",
            "in section `[services s]`",
        ),
    ] {
        let mut env = CliEnv::with_env_credentials();
        env.write_config(&format!("[default]\nregion = us-west-2\n{config}"));
        env.set("AWS_ENDPOINT_URL_STS", hostile.url());
        for args in [
            &[][..],
            &["--role-arn", ROLE_ARN][..],
            &["long-term", "list"][..],
        ] {
            let out = env.run_beside(args).await;
            let err = failed(&out, 78);
            assert!(err.contains(place), "{config:?} {args:?}: {err}");
        }
    }
    assert_eq!(hostile.hits(), 0, "nothing was sent");
}

/// A FIFO (or a directory) as an AWS config file would block aws-config for ever; a
/// configuration error at once instead. `/dev/null` stays fine.
#[test]
fn config_files_that_are_not_regular_files() {
    let mut env = CliEnv::with_env_credentials();
    let fifo = env.path("fifo");
    mkfifo(&fifo);
    for var in ["AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"] {
        for path in [fifo.clone(), env.path("")] {
            env.set(var, &path);
            for args in [&[][..], &["long-term", "list"][..]] {
                let out = env.run_within(args, std::time::Duration::from_secs(20));
                let err = failed(&out, 78);
                assert!(
                    err.contains(var) && err.contains("not a regular file"),
                    "{err}"
                );
            }
        }
        env.set(var, "/dev/null");
        ok(&env.run(&[]));
    }
}
