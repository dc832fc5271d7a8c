//! `bedrock-token proxy` and `bedrock-token exec`, as real processes in front of the
//! Bedrock stand-in on 127.0.0.1 (which verifies every key it is sent).

use crate::support;

use std::io::{BufRead as _, BufReader};
use std::process::Stdio;

use aws_bedrock_token_generator::TokenInfo;
use aws_smithy_async::time::SystemTimeSource;
use support::bedrock::{Bedrock, Keys};
use support::cli::*;
use support::{AKID, SECRET};

async fn stand_in() -> Bedrock {
    Bedrock::start(
        Keys::default().with(AKID, SECRET, None),
        SystemTimeSource::new(),
    )
    .await
}

async fn converse(url: &str, key: &str) -> Result<String, String> {
    let config = aws_sdk_bedrockruntime::Config::builder()
        .region(aws_sdk_bedrockruntime::config::Region::new("us-west-2"))
        .endpoint_url(url)
        .bearer_token(aws_credential_types::Token::new(key, None))
        .auth_scheme_preference([
            aws_smithy_runtime_api::client::auth::http::HTTP_BEARER_AUTH_SCHEME_ID,
        ])
        .build();
    support::converse::converse(&aws_sdk_bedrockruntime::Client::from_conf(config)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_forwards_with_a_fresh_key_and_stops_on_sigterm() {
    let bedrock = stand_in().await;
    let mut env = CliEnv::with_env_credentials();
    env.set("RUST_LOG", "trace");
    let key_file = env.path("client-key");
    let key_path = key_file.display().to_string();
    let proxy = Proxy::start(
        &env,
        &[
            "proxy",
            "--listen",
            "127.0.0.1:0",
            "--upstream",
            &bedrock.url(),
            "--client-key-file",
            &key_path,
        ],
    );
    assert!(proxy.url.starts_with("http://127.0.0.1:"), "{}", proxy.url);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
        assert_eq!(
            mode & 0o777,
            0o600,
            "the created client key file is private"
        );
    }
    let client_key = std::fs::read_to_string(&key_file).unwrap();
    let client_key = client_key.trim_end();

    let text = converse(&proxy.url, client_key).await.unwrap();
    assert_eq!(text, "Hello from the stand-in");
    assert_eq!(bedrock.accepted(), 1);
    let presented = bedrock.presented_tokens();
    assert!(
        presented.iter().all(|t| t != client_key),
        "the client key never reaches the service"
    );
    assert!(presented.iter().all(|t| TokenInfo::parse(t).is_ok()));

    // A wrong client key: refused, nothing forwarded.
    let refused = converse(&proxy.url, "btgw-not-the-key-0123456789").await;
    assert!(refused.is_err());
    assert_eq!(bedrock.accepted() + bedrock.rejected(), 1);

    let (status, stderr) = proxy.stop();
    assert_eq!(status, Some(0), "{stderr}");
    assert!(stderr.contains("/converse"), "a request line: {stderr}");
    // At RUST_LOG=trace, only this crate's events: none of hyper's or the SDK's.
    for foreign in [
        "checkout",
        "pooling idle connection",
        "config file loaded",
        "handshake",
    ] {
        assert!(
            !stderr.contains(foreign),
            "a foreign event ({foreign}): {stderr}"
        );
    }
    assert!(
        stderr.contains("minted a new"),
        "the provider's events: {stderr}"
    );
    for secret in presented
        .iter()
        .map(String::as_str)
        .chain([client_key, SECRET])
    {
        assert!(!stderr.contains(secret), "a key in the log: {stderr}");
    }
}

#[test]
fn a_second_signal_stops_the_proxy_without_waiting_for_the_grace_period() {
    use std::io::{Read as _, Write as _};
    // An upstream that takes requests and never answers.
    let upstream = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let upstream_url = format!("http://{}", upstream.local_addr().unwrap());
    let (arrived, request_arrived) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let (mut held, _) = upstream.accept().unwrap();
        let mut buf = [0u8; 4096];
        let _ = held.read(&mut buf);
        arrived.send(()).unwrap();
        std::thread::sleep(std::time::Duration::from_secs(60));
        drop(held);
    });
    let env = CliEnv::with_env_credentials();
    let key_path = env.path("client-key").display().to_string();
    let mut proxy = Proxy::start(
        &env,
        &[
            "proxy",
            "--listen",
            "127.0.0.1:0",
            "--upstream",
            &upstream_url,
            "--client-key-file",
            &key_path,
            "--threads",
            "1",
        ],
    );
    let client_key = std::fs::read_to_string(&key_path).unwrap();
    let authority = proxy.url.trim_start_matches("http://").to_owned();
    let mut client = std::net::TcpStream::connect(&authority).unwrap();
    write!(
        client,
        "POST /model/m/converse HTTP/1.1\r\nHost: {authority}\r\nAuthorization: Bearer {}\r\nContent-Length: 0\r\n\r\n",
        client_key.trim_end()
    )
    .unwrap();
    request_arrived
        .recv_timeout(std::time::Duration::from_secs(10))
        .expect("the request never reached the upstream");

    let pid = rustix::process::Pid::from_raw(proxy.child.id() as i32).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
    // The request in flight holds the first shutdown for its grace period (10 s)...
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(
        proxy.child.try_wait().unwrap().is_none(),
        "it waits for the request"
    );
    // ...a second signal ends it at once.
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
    // Within 5 s (250 polls 20 ms apart), half the grace period.
    let status = (0..250)
        .find_map(|_| {
            let status = proxy.child.try_wait().unwrap();
            if status.is_none() {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            status
        })
        .expect("a second signal did not end the proxy");
    assert_eq!(status.code(), Some(143), "128 + SIGTERM");
    let mut stderr = String::new();
    proxy
        .child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(stderr.contains("second signal"), "{stderr}");
    assert!(!stderr.contains(client_key.trim_end()), "{stderr}");
}

#[test]
fn proxy_listens_on_loopback_only() {
    let env = CliEnv::with_env_credentials();
    let key = env.path("client-key").display().to_string();
    for listen in ["0.0.0.0:0", "[::]:0", "192.0.2.1:8080"] {
        let out = env.run(&[
            "proxy",
            "--listen",
            listen,
            "--upstream",
            "http://127.0.0.1:9",
            "--client-key-file",
            &key,
        ]);
        let err = failed(&out, 64);
        assert!(
            err.contains("--listen") && err.contains("loopback"),
            "{err}"
        );
        assert!(
            !std::path::Path::new(&key).exists(),
            "a key file was created"
        );
    }
}

/// `--tls-cert-out` writes the run's authority, and refuses to write through a symbolic
/// link (it overwrote the private file the link pointed at).
#[cfg(unix)]
#[test]
fn tls_cert_out_writes_the_authority_and_never_follows_a_link() {
    let env = CliEnv::with_env_credentials();
    let key = env.path("client-key").display().to_string();
    let private = env.path("private");
    std::fs::write(&private, "keep me").unwrap();
    let link = env.path("cert.pem");
    std::os::unix::fs::symlink(&private, &link).unwrap();
    let out = env.run_within(
        &[
            "proxy",
            "--tls",
            "--tls-cert-out",
            link.to_str().unwrap(),
            "--upstream",
            "http://127.0.0.1:9",
            "--client-key-file",
            &key,
        ],
        std::time::Duration::from_secs(60),
    );
    assert_eq!(out.status.code(), Some(74), "{}", stderr(&out));
    assert!(stderr(&out).contains("symbolic link"), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&private).unwrap(), "keep me");
}

#[test]
fn exec_gives_a_fresh_key_without_the_credentials_and_passes_the_status() {
    let env = CliEnv::with_env_credentials();
    let out_file = env.path("child-env");
    let script = format!(
        "env > '{}'; printf %s \"$AWS_BEARER_TOKEN_BEDROCK\"; exit 7",
        out_file.display()
    );
    let out = env.run(&["exec", "--", "sh", "-c", &script]);
    assert_eq!(out.status.code(), Some(7), "{}", stderr(&out));
    let info = TokenInfo::parse(&stdout(&out)).unwrap();
    assert_eq!((info.region(), info.access_key_id()), ("us-west-2", AKID));
    let child_env = std::fs::read_to_string(&out_file).unwrap();
    assert!(!child_env.contains("AWS_SECRET_ACCESS_KEY"), "{child_env}");
    assert!(!child_env.contains("AWS_ACCESS_KEY_ID"), "{child_env}");

    let out = env.run(&["exec", "--keep-credentials", "--", "sh", "-c", &script]);
    assert_eq!(out.status.code(), Some(7));
    let child_env = std::fs::read_to_string(&out_file).unwrap();
    assert!(child_env.contains(&format!("AWS_SECRET_ACCESS_KEY={SECRET}")));
}

/// Every service's key variable but the one exec sets, and every variable of the AWS
/// credential chains, stay out of the command's environment: with and without --proxy,
/// for each service with keys (an exported real key never reaches another service's
/// command). With --keep-credentials the credential variables stay; the keys do not.
#[test]
fn exec_leaves_no_other_key_or_credential_variable_to_the_command() {
    const KEY_VARS: [&str; 3] = [
        "AWS_BEARER_TOKEN_BEDROCK",
        "ANTHROPIC_AWS_API_KEY",
        "AWS_BEARER_TOKEN",
    ];
    const CREDENTIAL_VARS: [&str; 10] = [
        "AWS_SECURITY_TOKEN",
        "AWS_CREDENTIAL_EXPIRATION",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_ROLE_ARN",
        "AWS_ROLE_SESSION_NAME",
        "AWS_SESSION_TOKEN",
    ];
    let mut env = CliEnv::with_env_credentials();
    for var in KEY_VARS.iter().chain(&CREDENTIAL_VARS) {
        env.set(var, format!("canary-{var}"));
    }
    // The session token is checked by the stand-in only with --proxy; a canary is fine
    // for the key itself (it is signed, not verified, here).
    let out_file = env.path("child-env");
    let script = format!("env > '{}'", out_file.display());
    for service in ["bedrock", "claude-platform"] {
        for extra in [&[][..], &["--proxy"][..], &["--keep-credentials"][..]] {
            let mut args = vec!["exec", "--service", service];
            args.extend_from_slice(extra);
            args.extend(["--", "sh", "-c", &script]);
            let out = env.run(&args);
            assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
            let child = std::fs::read_to_string(&out_file).unwrap();
            let set = if service == "bedrock" {
                "AWS_BEARER_TOKEN_BEDROCK"
            } else {
                "ANTHROPIC_AWS_API_KEY"
            };
            assert!(child.contains(&format!("{set}=")), "{args:?}: {child}");
            for var in KEY_VARS {
                assert!(!child.contains(&format!("canary-{var}")), "{args:?}: {var}");
            }
            let keep = extra == ["--keep-credentials"];
            for var in CREDENTIAL_VARS {
                assert_eq!(
                    child.contains(&format!("{var}=canary-{var}")),
                    keep,
                    "{args:?}: {var}"
                );
            }
            assert_eq!(child.contains(SECRET), keep, "{args:?}");
        }
    }
}

#[test]
fn exec_with_service_claude_platform_sets_its_key_variable() {
    let env = CliEnv::with_env_credentials();
    let script = "printf '%s|%s' \"$ANTHROPIC_AWS_API_KEY\" \"${AWS_BEARER_TOKEN_BEDROCK-unset}\"";
    let out = env.run(&[
        "exec",
        "--service",
        "claude-platform",
        "--",
        "sh",
        "-c",
        script,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let printed = stdout(&out);
    let (key, bedrock) = printed.split_once('|').unwrap();
    assert_eq!(bedrock, "unset");
    let info = TokenInfo::parse(key).unwrap();
    assert_eq!(
        info.service(),
        aws_bedrock_token_generator::Service::ClaudePlatform
    );
}

#[test]
fn exec_statuses_for_missing_commands_and_signals() {
    let env = CliEnv::with_env_credentials();
    let out = env.run(&["exec", "--", "/nonexistent/command"]);
    assert_eq!(out.status.code(), Some(127), "{}", stderr(&out));
    assert!(stderr(&out).contains("not found"));
    let out = env.run(&["exec", "--", "sh", "-c", "kill -TERM $$"]);
    assert_eq!(out.status.code(), Some(128 + 15));
    // No command after `--`: a usage error.
    let out = env.run(&["exec"]);
    assert_eq!(out.status.code(), Some(64), "{}", stderr(&out));
}

#[cfg(unix)]
#[test]
fn exec_passes_signals_on_to_the_command() {
    let env = CliEnv::with_env_credentials();
    let mut child = env
        .command(&[
            "exec",
            "--",
            "sh",
            "-c",
            "trap 'exit 42' TERM; echo ready; while :; do sleep 0.05; done",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line, "ready\n");
    let pid = rustix::process::Pid::from_raw(child.id() as i32).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(42), "{}", stderr(&out));
}

/// With `--service claude-platform` the command gets the gateway in
/// `ANTHROPIC_AWS_BASE_URL` and the client key in `ANTHROPIC_AWS_API_KEY`; a Messages
/// call through it reaches the service with a real Claude Platform key (the stand-in
/// checks its signature for service `aws-external-anthropic`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_proxy_for_claude_platform_sets_its_variables() {
    let platform = stand_in().await;
    let env = CliEnv::with_env_credentials();
    let call = r#"
import json, os, ssl, urllib.request
ctx = ssl.create_default_context(cafile=os.environ["SSL_CERT_FILE"])
assert "AWS_BEARER_TOKEN_BEDROCK" not in os.environ
req = urllib.request.Request(
    os.environ["ANTHROPIC_AWS_BASE_URL"] + "/v1/messages",
    data=json.dumps({"model": "m", "max_tokens": 1, "messages": []}).encode(),
    headers={"Authorization": "Bearer " + os.environ["ANTHROPIC_AWS_API_KEY"],
             "anthropic-workspace-id": "wrkspc_EXAMPLE",
             "Content-Type": "application/json"},
    method="POST")
print(urllib.request.urlopen(req, context=ctx).status)
"#;
    let script = format!("python3 -c '{}'", call.replace('\'', r"'\''"));
    let url = platform.url();
    let out = env
        .run_beside(&[
            "exec",
            "--proxy",
            "--service",
            "claude-platform",
            "--upstream",
            &url,
            "--",
            "sh",
            "-c",
            &script,
        ])
        .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), "200");
    assert_eq!((platform.accepted(), platform.rejected()), (1, 0));
    assert_eq!(platform.workspaces(), ["wrkspc_EXAMPLE"]);
    assert!(platform.presented_tokens()[0].starts_with("aws-external-anthropic-api-key-"));
}

/// The command gets a gateway, a client key for this run and a CA bundle, never a real
/// key or the credentials; an HTTPS call from it (Python's standard library, verifying
/// the certificate through SSL_CERT_FILE) reaches the service with a real key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_proxy_gives_the_command_a_gateway_and_no_real_key() {
    let bedrock = stand_in().await;
    let env = CliEnv::with_env_credentials();
    let out_file = env.path("child-env");
    let call = r#"
import json, os, ssl, urllib.request
ctx = ssl.create_default_context(cafile=os.environ["SSL_CERT_FILE"])
req = urllib.request.Request(
    os.environ["AWS_ENDPOINT_URL_BEDROCK_RUNTIME"] + "/model/m/converse",
    data=json.dumps({"messages": []}).encode(),
    headers={"Authorization": "Bearer " + os.environ["AWS_BEARER_TOKEN_BEDROCK"],
             "Content-Type": "application/json"},
    method="POST")
print(urllib.request.urlopen(req, context=ctx).status)
"#;
    let script = format!(
        "env > '{}'; test -s \"$AWS_CA_BUNDLE\" && test -s \"$NODE_EXTRA_CA_CERTS\" && python3 -c '{}'",
        out_file.display(),
        call.replace('\'', r"'\''")
    );
    let url = bedrock.url();
    let out = env
        .run_beside(&[
            "exec",
            "--proxy",
            "--upstream",
            &url,
            "--",
            "sh",
            "-c",
            &script,
        ])
        .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), "200");
    assert_eq!(bedrock.accepted(), 1);

    let child_env = std::fs::read_to_string(&out_file).unwrap();
    let var = |name: &str| {
        child_env
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name}=")))
            .unwrap_or_else(|| panic!("{name} not set: {child_env}"))
            .to_owned()
    };
    let gateway = var("AWS_ENDPOINT_URL_BEDROCK_RUNTIME");
    assert!(gateway.starts_with("https://127.0.0.1:"), "{gateway}");
    assert_eq!(var("ANTHROPIC_BEDROCK_BASE_URL"), gateway);
    assert_eq!(var("BEDROCK_TOKEN_PROXY_URL"), gateway);
    let client_key = var("AWS_BEARER_TOKEN_BEDROCK");
    assert!(TokenInfo::parse(&client_key).is_err(), "not a real key");
    assert!(bedrock.presented_tokens().iter().all(|t| *t != client_key));
    for name in [
        "AWS_CA_BUNDLE",
        "SSL_CERT_FILE",
        "REQUESTS_CA_BUNDLE",
        "CURL_CA_BUNDLE",
    ] {
        assert_eq!(var(name), var("AWS_CA_BUNDLE"));
    }
    assert!(!child_env.contains(SECRET) && !child_env.contains("AWS_ACCESS_KEY_ID"));
    // The bundle and certificate are removed when the run ends.
    assert!(!std::path::Path::new(&var("AWS_CA_BUNDLE")).exists());
    assert!(!std::path::Path::new(&var("NODE_EXTRA_CA_CERTS")).exists());
}

/// curl finds the gateway's authority through CURL_CA_BUNDLE; `--log FILE` collects the
/// gateway's lines (requests, control-plane routing) there and nothing of them reaches
/// the command's output; no line holds a key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_proxy_log_goes_to_its_file_and_curl_trusts_the_gateway() {
    if std::process::Command::new("curl")
        .arg("--version")
        .output()
        .is_err()
    {
        assert!(std::env::var_os("CI").is_none(), "curl is not installed");
        eprintln!("skipped: no curl");
        return;
    }
    let bedrock = stand_in().await;
    let env = CliEnv::with_env_credentials();
    let log = env.path("gateway.log");
    let url = bedrock.url();
    let script = r#"curl -sS -o /dev/null -w '%{http_code}
' -X POST         -H "Authorization: Bearer $AWS_BEARER_TOKEN_BEDROCK" -H 'Content-Type: application/json'         -d '{"messages":[]}' "$AWS_ENDPOINT_URL_BEDROCK_RUNTIME/model/m/converse"
        curl -sS -o /dev/null -w '%{http_code}
'         -H "Authorization: Bearer $AWS_BEARER_TOKEN_BEDROCK"         "$AWS_ENDPOINT_URL_BEDROCK_RUNTIME/inference-profiles?typeEquals=SYSTEM_DEFINED""#;
    let out = env
        .run_beside(&[
            "exec",
            "--proxy",
            "--upstream",
            &url,
            "--control-plane",
            &url,
            "--log",
            log.to_str().unwrap(),
            "--",
            "sh",
            "-c",
            script,
        ])
        .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // The control-plane read went to --control-plane (here the stand-in, which answers
    // ListInferenceProfiles) with the same key.
    assert_eq!(stdout(&out).lines().collect::<Vec<_>>(), ["200", "200"]);
    assert!(!stderr(&out).contains("request"), "{}", stderr(&out));
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(
        logged.contains("path=/model/m/converse status=200"),
        "{logged}"
    );
    assert!(
        logged.contains("path=/inference-profiles status=200"),
        "{logged}"
    );
    assert_eq!(bedrock.distinct_tokens(), 1);
    for token in bedrock.presented_tokens() {
        assert!(!logged.contains(&token), "{logged}");
    }
    assert!(!logged.contains(SECRET));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&log).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "{mode:o}");
    }
}

/// What an HTTP/2-only HTTPS upstream saw: each request's version and `Authorization`,
/// and the TCP connections it accepted; `goaway` makes it close its open connections
/// gracefully (a `GOAWAY`), as servers do with old ones.
#[derive(Default)]
struct H2Seen {
    requests: std::sync::Mutex<Vec<(http::Version, String)>>,
    connections: std::sync::atomic::AtomicUsize,
    goaway: tokio::sync::Notify,
}

/// An HTTPS upstream on 127.0.0.1 that offers only `h2` by ALPN, with a certificate for
/// 127.0.0.1 written to `cert_file` (for the gateway's `SSL_CERT_FILE`); its URL.
async fn h2_upstream(cert_file: &std::path::Path, seen: std::sync::Arc<H2Seen>) -> String {
    use std::sync::atomic::Ordering;
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let cert = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    std::fs::write(cert_file, cert.pem()).unwrap();
    let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .unwrap();
    config.alpn_protocols = vec![b"h2".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("https://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            seen.connections.fetch_add(1, Ordering::SeqCst);
            let (acceptor, seen) = (acceptor.clone(), seen.clone());
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let goaway = seen.clone();
                let service = hyper::service::service_fn(
                    move |req: hyper::Request<hyper::body::Incoming>| {
                        let auth = req
                            .headers()
                            .get("authorization")
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .to_owned();
                        seen.requests.lock().unwrap().push((req.version(), auth));
                        async {
                            Ok::<_, std::convert::Infallible>(hyper::Response::new(
                                http_body_util::Full::new(hyper::body::Bytes::from_static(
                                    b"{\"ok\":true}",
                                )),
                            ))
                        }
                    },
                );
                let conn =
                    hyper::server::conn::http2::Builder::new(hyper_util::rt::TokioExecutor::new())
                        .serve_connection(hyper_util::rt::TokioIo::new(tls), service);
                let mut conn = std::pin::pin!(conn);
                tokio::select! {
                    _ = conn.as_mut() => return,
                    () = goaway.goaway.notified() => conn.as_mut().graceful_shutdown(),
                }
                let _ = conn.await;
            });
        }
    });
    url
}

/// A `proxy` (one thread) in front of an [`h2_upstream`]; what that upstream sees, and
/// the proxy's client key. The environment lives as long as the test holds it.
async fn proxy_before_h2_upstream() -> (CliEnv, std::sync::Arc<H2Seen>, Proxy, String) {
    let seen = std::sync::Arc::new(H2Seen::default());
    let mut env = CliEnv::with_env_credentials();
    let cert_file = env.path("upstream.pem");
    let upstream = h2_upstream(&cert_file, seen.clone()).await;
    // The gateway verifies the upstream with the system's roots: here, this file.
    env.set("SSL_CERT_FILE", &cert_file);
    let key_path = env.path("client-key").display().to_string();
    let proxy = Proxy::start(
        &env,
        &[
            "proxy",
            "--upstream",
            &upstream,
            "--client-key-file",
            &key_path,
            "--threads",
            "1",
        ],
    );
    let client_key = std::fs::read_to_string(&key_path).unwrap();
    let client_key = client_key.trim_end().to_owned();
    (env, seen, proxy, client_key)
}

/// One request with `Connection: close` on a new connection to `proxy_url`; its status.
async fn get_status(proxy_url: &str, client_key: &str) -> u16 {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let authority = proxy_url.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(authority).await.unwrap();
    let request = format!(
        "GET /model/m/converse HTTP/1.1\r\nHost: {authority}\r\nAuthorization: Bearer \
         {client_key}\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    tokio::time::timeout(
        std::time::Duration::from_secs(10),
        stream.read_to_string(&mut answer),
    )
    .await
    .unwrap()
    .unwrap();
    answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_shares_one_http2_connection_to_an_upstream_that_chose_it() {
    let (_env, seen, proxy, client_key) = proxy_before_h2_upstream().await;
    let connections = || seen.connections.load(std::sync::atomic::Ordering::SeqCst);
    // Requests at once before any connection: those that connected at the same time
    // share the first connection made (the others close unused).
    let burst =
        || futures_util::future::join_all((0..6).map(|_| get_status(&proxy.url, &client_key)));
    assert_eq!(burst().await, vec![200; 6]);
    let first = connections();
    assert!((1..=6).contains(&first), "{first}");
    // From then on, every request goes on the one kept connection.
    for _ in 0..3 {
        assert_eq!(burst().await, vec![200; 6]);
    }
    assert_eq!(connections(), first, "no new connection while one is kept");
    let requests = seen.requests.lock().unwrap().clone();
    assert_eq!(requests.len(), 24);
    for (version, auth) in &requests {
        assert_eq!(*version, http::Version::HTTP_2);
        assert!(
            auth.starts_with("Bearer bedrock-api-key-"),
            "the real key goes on"
        );
    }
    let (status, _) = proxy.stop();
    assert_eq!(status, Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_replaces_an_http2_connection_the_upstream_closes() {
    let (_env, seen, proxy, client_key) = proxy_before_h2_upstream().await;
    let connections = || seen.connections.load(std::sync::atomic::Ordering::SeqCst);
    assert_eq!(get_status(&proxy.url, &client_key).await, 200);
    assert_eq!(get_status(&proxy.url, &client_key).await, 200);
    assert_eq!(connections(), 1);
    // The upstream says GOAWAY: requests go on a new connection, and none fails for it
    // (one the closing connection no longer takes is handed back unsent).
    seen.goaway.notify_waiters();
    let mut replaced = false;
    for _ in 0..100 {
        assert_eq!(get_status(&proxy.url, &client_key).await, 200);
        if connections() == 2 {
            replaced = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(replaced, "no new connection after the upstream's GOAWAY");
    for _ in 0..3 {
        assert_eq!(get_status(&proxy.url, &client_key).await, 200);
    }
    assert_eq!(connections(), 2, "the new connection is kept");
    let (status, _) = proxy.stop();
    assert_eq!(status, Some(0));
}

/// With a profile selected, a failure to load credentials at start-up is explained by
/// `proxy`, `exec` and `exec --proxy` as by plain `bedrock-token` (same status, same
/// message), never as a panic: a missing profile, one without credentials, a failing
/// `credential_process`.
#[test]
fn start_up_failures_with_a_profile_are_explained_by_every_command() {
    let cases: [(&str, &str, i32, &str); 3] = [
        (
            "[profile other]\nregion = us-east-1\n",
            "missing",
            78,
            "not found",
        ),
        (
            "[profile empty]\nregion = us-east-1\n",
            "empty",
            78,
            "no AWS credentials",
        ),
        (
            "[profile broken]\nregion = us-east-1\ncredential_process = sh -c 'exit 3'\n",
            "broken",
            69,
            "credential_process",
        ),
    ];
    for (config, profile, status, says) in cases {
        let env = CliEnv::bare();
        env.write_config(config);
        let key_file = env.path("client-key").display().to_string();
        let plain = env.run(&["--profile", profile]);
        let expected = failed(&plain, status);
        assert!(expected.contains(says), "{profile}: {expected}");
        for args in [
            vec![
                "proxy",
                "--client-key-file",
                &key_file,
                "--profile",
                profile,
            ],
            vec!["exec", "--profile", profile, "--", "true"],
            vec!["exec", "--proxy", "--profile", profile, "--", "true"],
        ] {
            let out = env.run_within(&args, std::time::Duration::from_secs(60));
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(status), "{args:?}: {err}");
            assert!(!err.contains("panicked"), "{args:?}: {err}");
            // `proxy` logs the provider's events before the error.
            assert_eq!(err.lines().last(), Some(expected.trim_end()), "{args:?}");
        }
    }
}

/// `exec --service sagemaker` gives the command a SageMaker AI key in
/// `AWS_BEARER_TOKEN_SAGEMAKER`, never in the OpenAI SDKs' `OPENAI_API_KEY` (which they
/// would send to OpenAI without a base URL); with `--proxy` and one endpoint's runtime URL
/// as upstream, `OPENAI_BASE_URL` and `OPENAI_API_KEY` (the client key) point an OpenAI
/// client at the gateway, which calls the endpoint with a real SageMaker key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_with_service_sagemaker_plain_and_through_the_gateway() {
    let env = CliEnv::with_env_credentials();
    let script = "printf '%s|%s|%s' \"$AWS_BEARER_TOKEN_SAGEMAKER\" \"${AWS_BEARER_TOKEN_BEDROCK-unset}\" \"${OPENAI_API_KEY-unset}\"";
    let out = env
        .run_beside(&["exec", "--service", "sagemaker", "--", "sh", "-c", script])
        .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let printed = stdout(&out);
    let parts: Vec<&str> = printed.split('|').collect();
    assert_eq!(parts[1..], ["unset", "unset"]);
    assert_eq!(
        TokenInfo::parse(parts[0]).unwrap().service(),
        aws_bedrock_token_generator::Service::SageMaker
    );

    let stand_in = stand_in().await;
    let upstream = format!("{}/endpoints/my-endpoint", stand_in.url());
    let call = r#"
import json, os, ssl, urllib.request
ctx = ssl.create_default_context(cafile=os.environ["SSL_CERT_FILE"])
req = urllib.request.Request(
    os.environ["OPENAI_BASE_URL"] + "/chat/completions",
    data=json.dumps({"model": "", "messages": [{"role": "user", "content": "Hi"}]}).encode(),
    headers={"Authorization": "Bearer " + os.environ["OPENAI_API_KEY"],
             "Content-Type": "application/json"},
    method="POST")
print(json.load(urllib.request.urlopen(req, context=ctx))["choices"][0]["message"]["content"])
"#;
    let call_file = env.path("call.py");
    std::fs::write(&call_file, call).unwrap();
    let out = env
        .run_beside(&[
            "exec",
            "--proxy",
            "--service",
            "sagemaker",
            "--upstream",
            &upstream,
            "--",
            "sh",
            "-c",
            &format!("python3 '{}'", call_file.display()),
        ])
        .await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert_eq!(stdout(&out).trim(), "Hello from the stand-in");
    assert_eq!((stand_in.accepted(), stand_in.rejected()), (1, 0));
    assert!(stand_in.presented_tokens()[0].starts_with("sagemaker-api-key-"));
}

/// `proxy --service sagemaker` in front of all of a region's endpoints: clients name the
/// endpoint in the path, and the stand-in (verifying for service `sagemaker`) answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_with_service_sagemaker_serves_every_endpoint_by_its_path() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let stand_in = stand_in().await;
    let env = CliEnv::with_env_credentials();
    let key_path = env.path("client-key").display().to_string();
    let upstream = stand_in.url();
    let proxy = Proxy::start(
        &env,
        &[
            "proxy",
            "--service",
            "sagemaker",
            "--upstream",
            &upstream,
            "--client-key-file",
            &key_path,
        ],
    );
    let client_key = std::fs::read_to_string(&key_path).unwrap();
    let authority = proxy.url.trim_start_matches("http://").to_owned();
    for endpoint in ["first-endpoint", "second-endpoint/inference-components/ic"] {
        let body = r#"{"model":"","messages":[{"role":"user","content":"Hi"}]}"#;
        let request = format!(
            "POST /endpoints/{endpoint}/openai/v1/chat/completions HTTP/1.1\r\nHost: \
             {authority}\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            client_key.trim(),
            body.len()
        );
        let mut stream = tokio::net::TcpStream::connect(&authority).await.unwrap();
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "{endpoint}: {answer}");
        assert!(answer.contains("Hello from the stand-in"), "{answer}");
    }
    let (_, log) = proxy.stop();
    assert_eq!((stand_in.accepted(), stand_in.rejected()), (2, 0));
    for key in stand_in.presented_tokens() {
        assert!(key.starts_with("sagemaker-api-key-"), "{key}");
        assert!(!log.contains(&key));
    }
}

/// A command that is a file but not a program is told as such (126), not as an
/// "uncategorized error".
#[cfg(unix)]
#[test]
fn exec_explains_a_command_that_is_not_a_program() {
    use std::os::unix::fs::PermissionsExt as _;
    let env = CliEnv::with_env_credentials();
    let not_a_program = env.path("not-a-program");
    std::fs::write(&not_a_program, "just some text\n").unwrap();
    std::fs::set_permissions(&not_a_program, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = env.run(&["exec", "--", not_a_program.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(126), "{}", stderr(&out));
    assert!(stderr(&out).contains("not a program"), "{}", stderr(&out));
    let not_executable = env.path("not-executable");
    std::fs::write(&not_executable, "#!/bin/sh\n").unwrap();
    let out = env.run(&["exec", "--", not_executable.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(126), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("permission denied"),
        "{}",
        stderr(&out)
    );
}

/// A `credential_process` that hangs past the load timeout is ended with the run that
/// abandoned it (aws-config leaves it running): counted alive while the load waits, gone
/// once `proxy` or `exec` has given up and exited.
#[cfg(target_os = "linux")]
#[test]
fn a_hung_credential_process_does_not_outlive_the_run() {
    for args in [
        vec!["proxy", "--timeout", "1s", "--client-key-file", "KEYFILE"],
        vec!["exec", "--timeout", "1s", "--", "true"],
        vec!["exec", "--proxy", "--timeout", "1s", "--", "true"],
    ] {
        let env = CliEnv::bare();
        let pid_file = env.path("pid");
        env.write_config(&format!(
            "[default]\nregion = us-west-2\ncredential_process = sh -c 'echo $$ > {}; exec sleep 60'\n",
            pid_file.display()
        ));
        let key_file = env.path("client-key").display().to_string();
        let args: Vec<&str> = args
            .iter()
            .map(|a| {
                if *a == "KEYFILE" {
                    key_file.as_str()
                } else {
                    a
                }
            })
            .collect();
        let child = env
            .command(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The credential process starts, and is alive while the load waits for it.
        let mut pid = None;
        for _ in 0..500 {
            pid = std::fs::read_to_string(&pid_file)
                .ok()
                .and_then(|t| t.trim().parse::<u32>().ok());
            if pid.is_some() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let pid = pid.expect("the credential process never started");
        assert!(running(pid), "{args:?}");
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(69), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("timed out"), "{}", stderr(&out));
        // Gone once the run ended (killed; reaped by whoever adopted it).
        let mut gone = false;
        for _ in 0..200 {
            if !running(pid) {
                gone = true;
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert!(gone, "{args:?}: the credential process outlived the run");
    }
}

/// Whether process `pid` exists and is not a zombie.
#[cfg(target_os = "linux")]
fn running(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            stat.rsplit_once(')')
                .map(|(_, rest)| !rest.trim_start().starts_with('Z'))
        })
        .unwrap_or(false)
}

/// A run killed with SIGKILL leaves its private directory behind (certificates only):
/// the next `exec --proxy` removes such directories, whose lock nobody holds any more,
/// and no other (a live run's, whose lock is held; one without a lock file; others').
#[cfg(target_os = "linux")]
#[test]
fn exec_proxy_removes_the_directories_of_killed_runs() {
    let mut env = CliEnv::with_env_credentials();
    let temp = env.path("tmp");
    std::fs::create_dir(&temp).unwrap();
    env.set("TMPDIR", &temp);
    let abandoned = temp.join("bedrock-token-999999999-0123456789abcdef");
    let live = temp.join("bedrock-token-999999998-0123456789abcdef");
    let unlocked = temp.join("bedrock-token-999999997-0123456789abcdef");
    let unrelated = temp.join("bedrock-token-notes");
    for dir in [&abandoned, &live, &unlocked, &unrelated] {
        std::fs::create_dir(dir).unwrap();
        std::fs::write(dir.join("gateway-ca.pem"), "x").unwrap();
    }
    for dir in [&abandoned, &live, &unrelated] {
        std::fs::write(dir.join("lock"), "").unwrap();
    }
    // The live run holds its lock.
    let held = std::fs::File::open(live.join("lock")).unwrap();
    rustix::fs::flock(&held, rustix::fs::FlockOperation::NonBlockingLockExclusive).unwrap();
    let out = env.run(&[
        "exec",
        "--proxy",
        "--upstream",
        "http://127.0.0.1:9",
        "--",
        "true",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!abandoned.exists());
    assert!(live.exists() && unlocked.exists() && unrelated.exists());
    // And its own is gone too.
    assert_eq!(std::fs::read_dir(&temp).unwrap().count(), 3);
    drop(held);
}
