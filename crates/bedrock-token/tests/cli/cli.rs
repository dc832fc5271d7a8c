//! The real `bedrock-token` binary, run with an isolated environment and test-owned
//! AWS config files (instance metadata disabled; nothing leaves the machine): minting,
//! output formats, `inspect`, flags, exit statuses and stdout handling. Messages and
//! redaction: `cli_messages`; `--cache`: `cli_cache`.

use crate::support;

use std::process::Stdio;
use std::time::Duration;

use aws_bedrock_token_generator::{generate_token, Service, TokenInfo};
use aws_smithy_async::time::{SystemTimeSource, TimeSource};
use support::cli::*;
use support::*;

fn now() -> std::time::SystemTime {
    SystemTimeSource::new().now()
}

#[test]
fn prints_only_the_token_and_a_newline() {
    let out = ok(&CliEnv::with_env_credentials().run(&[]));
    assert!(out.ends_with('\n') && out.lines().count() == 1, "{out:?}");
    let info = TokenInfo::parse(out.trim_end()).unwrap();
    assert_eq!((info.region(), info.access_key_id()), ("us-west-2", AKID));
    assert_eq!(info.expiry(), Duration::from_secs(43200));
}

#[test]
fn region_profile_and_expiry_flags() {
    let mut env = CliEnv::bare();
    env.write_config("[profile dev]\nregion = eu-west-1\n");
    env.write_credentials(
        "[dev]\naws_access_key_id = AKIDDEVEXAMPLE\naws_secret_access_key = devSECRETexample\n",
    );
    env.set("AWS_REGION", "us-east-1");
    for (args, region, expiry) in [
        (vec!["--profile", "dev"], "us-east-1", 43200),
        (
            vec![
                "--profile",
                "dev",
                "--region",
                "ap-south-1",
                "--expiry",
                "15m",
            ],
            "ap-south-1",
            900,
        ),
        (
            vec!["--profile", "dev", "--expiry", "900"],
            "us-east-1",
            900,
        ),
        (
            vec!["--profile", "dev", "--expiry", "1h"],
            "us-east-1",
            3600,
        ),
        (
            vec!["--profile", "dev", "--expiry", "12h"],
            "us-east-1",
            43200,
        ),
    ] {
        let info = TokenInfo::parse(ok(&env.run(&args)).trim_end()).unwrap();
        assert_eq!(info.region(), region, "{args:?}");
        assert_eq!(info.access_key_id(), "AKIDDEVEXAMPLE");
        assert_eq!(info.expiry().as_secs(), expiry, "{args:?}");
    }
}

#[test]
fn export_format_evals_in_a_shell() {
    let env = CliEnv::with_env_credentials();
    let line = ok(&env.run(&["--format", "export"]));
    assert!(
        line.starts_with("export AWS_BEARER_TOKEN_BEDROCK='bedrock-api-key-"),
        "{line}"
    );
    let script = format!(
        "eval \"$({} --format export)\" && printf %s \"$AWS_BEARER_TOKEN_BEDROCK\"",
        env!("CARGO_BIN_EXE_bedrock-token")
    );
    let token = ok(&env.program("/bin/sh", &["-c", &script]).output().unwrap());
    TokenInfo::parse(&token).unwrap();
}

#[test]
fn json_format() {
    let before = now();
    let out = ok(&CliEnv::with_env_credentials().run(&["--format", "json", "--expiry", "1h"]));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let token = v["token"].as_str().unwrap();
    let info = TokenInfo::parse(token).unwrap();
    assert_eq!(v["region"], "us-west-2");
    let expires_at = v["expires_at"].as_str().unwrap();
    assert!(
        expires_at.ends_with('Z') && expires_at.len() == 20,
        "{expires_at}"
    );
    let expected = time::OffsetDateTime::from(info.expires_at());
    assert_eq!(
        expires_at,
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            expected.year(),
            u8::from(expected.month()),
            expected.day(),
            expected.hour(),
            expected.minute(),
            expected.second()
        )
    );
    assert!(info.expires_at() >= before + Duration::from_secs(3599));
    // token, expires_at, region and service.
    assert_eq!(v.as_object().unwrap().len(), 4);
    assert_eq!(v["service"], "bedrock");
}

#[test]
fn inspect_valid_expired_and_invalid() {
    let env = CliEnv::bare();
    let fresh = generate_token(
        &session_creds(None),
        "us-gov-west-1",
        Duration::from_secs(3600),
        now(),
    )
    .unwrap();
    let out = ok(&env.run(&["inspect", fresh.as_str()]));
    assert!(
        out.contains("valid, expires in 59m") || out.contains("valid, expires in 1h"),
        "{out}"
    );
    for fact in ["us-gov-west-1", ASIA, "session token:  yes"] {
        assert!(out.contains(fact), "{out}");
    }
    let url = String::from_utf8(
        base64::Engine::decode(
            &base64::engine::general_purpose::STANDARD,
            &fresh.as_str()[16..],
        )
        .unwrap(),
    )
    .unwrap();
    let signature = url.split("X-Amz-Signature=").nth(1).unwrap()[..64].to_owned();
    assert!(!out.contains(&signature) && !out.contains("FwoGZXIvYXdzEXAMPLESESSIONTOKEN"));

    let old = generate_token(
        &static_creds(),
        "us-east-1",
        Duration::from_secs(900),
        start(),
    )
    .unwrap();
    let out = env.run(&["inspect", old.as_str()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("EXPIRED"), "{}", stdout(&out));

    for bad in [
        "nope",
        "bedrock-api-key-!!!",
        "bedrock-api-key-YmVkcm9jaw==",
    ] {
        let err = failed(&env.run(&["inspect", bad]), 2);
        assert!(
            err.starts_with("bedrock-token: error: not a valid Bedrock API key"),
            "{err}"
        );
    }
}

#[test]
fn inspect_reads_stdin_and_the_environment_variable() {
    let token = generate_token(
        &static_creds(),
        "eu-north-1",
        Duration::from_secs(600),
        now(),
    )
    .unwrap();
    let env = CliEnv::bare();
    assert!(
        ok(&env.run_stdin(&["inspect", "-"], &format!("{}\n", token.as_str())))
            .contains("eu-north-1")
    );
    let mut with_var = CliEnv::bare();
    with_var.set("AWS_BEARER_TOKEN_BEDROCK", token.as_str());
    assert!(ok(&with_var.run(&["inspect"])).contains("eu-north-1"));
    let err = failed(&CliEnv::bare().run(&["inspect"]), 64);
    assert!(err.contains("AWS_BEARER_TOKEN_BEDROCK"), "{err}");
}

#[test]
fn usage_configuration_and_credential_failures_have_their_own_statuses() {
    let env = CliEnv::with_env_credentials();
    for expiry in ["0", "13h", "abc", "1d", "43201"] {
        let err = failed(&env.run(&["--expiry", expiry]), 64);
        assert!(err.contains("--expiry"), "{err}");
    }
    for timeout in ["0", "2h", "3601", "soon"] {
        let err = failed(&env.run(&["--timeout", timeout]), 64);
        assert!(err.contains("--timeout"), "{err}");
    }
    let err = failed(&env.run(&["--region", "US WEST/2"]), 64);
    assert!(err.contains("invalid --region"), "{err}");
    let err = failed(&env.run(&["--format", "yaml"]), 64);
    assert!(err.contains("--format"), "{err}");
    for args in [&["--bogus"][..], &["extra"], &["--cache", "inspect"]] {
        failed(&env.run(args), 64);
    }

    let mut no_region = CliEnv::bare();
    no_region
        .set("AWS_ACCESS_KEY_ID", AKID)
        .set("AWS_SECRET_ACCESS_KEY", SECRET);
    let err = failed(&no_region.run(&[]), 78);
    assert!(
        err.contains("--region") && err.contains("AWS_REGION"),
        "{err}"
    );

    let mut no_creds = CliEnv::bare();
    no_creds.set("AWS_REGION", "us-east-1");
    let err = failed(&no_creds.run(&[]), 78);
    assert!(err.contains("AWS_ACCESS_KEY_ID"), "{err}");

    let mut broken = CliEnv::bare();
    broken.write_config("[default]\nregion = us-east-1\ncredential_process = sh -c 'exit 3'\n");
    broken.set("AWS_REGION", "us-east-1");
    let err = failed(&broken.run(&[]), 69);
    assert!(err.contains("loading AWS credentials failed"), "{err}");
}

#[test]
fn timeout_flag_limits_the_credential_load() {
    let env = CliEnv::with_env_credentials();
    TokenInfo::parse(ok(&env.run(&["--timeout", "90s"])).trim_end()).unwrap();

    let mut slow = CliEnv::bare();
    slow.write_config("[default]\nregion = us-east-1\ncredential_process = sleep 3\n");
    slow.set("AWS_REGION", "us-east-1");
    let err = failed(&slow.run(&["--timeout", "1"]), 69);
    assert!(
        err.contains("timed out after 1s") && err.contains("--timeout"),
        "{err}"
    );
}

#[test]
fn inspect_not_yet_valid_far_future_and_long_term_keys() {
    let env = CliEnv::bare();
    let hour = Duration::from_secs(3600);
    let future = generate_token(&static_creds(), "us-east-1", hour, now() + hour).unwrap();
    let out = env.run(&["inspect", future.as_str()]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report = stdout(&out);
    assert!(
        report.starts_with("Bedrock API key: NOT YET VALID: signed ")
            && report.contains("in the future"),
        "{report}"
    );

    // Within the allowed clock skew: valid.
    let skewed = generate_token(
        &static_creds(),
        "us-east-1",
        hour,
        now() + Duration::from_secs(200),
    )
    .unwrap();
    assert!(ok(&env.run(&["inspect", skewed.as_str()])).contains("valid, expires in"));

    // 9999-12-31T23:00:00Z, the last hour a SigV4 date can name; it expires in the year 10000.
    let last = std::time::UNIX_EPOCH + Duration::from_secs(253_402_297_200);
    let far = generate_token(
        &static_creds(),
        "us-east-1",
        Duration::from_secs(43200),
        last,
    )
    .unwrap();
    let out = stdout(&env.run(&["inspect", far.as_str()]));
    assert!(
        out.contains("signed at:      9999-12-31T23:00:00Z"),
        "{out}"
    );
    assert!(
        out.contains("expires at:     after 9999-12-31T23:59:59Z"),
        "{out}"
    );

    let key = format!(
        "ABSK{}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            "BedrockAPIKey-abcd-at-123456789012:c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"
        )
    );
    let out = env.run(&["inspect", &key]);
    assert!(ok(&out).starts_with("long-term Bedrock API key"));
    assert_not_echoed(&out, &key);
    let err = failed(&env.run(&["inspect", "ABSK!!!!not-base64!!!!"]), 2);
    assert!(err.contains("ABSK"), "{err}");
}

#[test]
fn a_closed_stdout_ends_quietly_and_keeps_the_status() {
    let env = CliEnv::with_env_credentials();
    let expired = generate_token(
        &static_creds(),
        "us-east-1",
        Duration::from_secs(900),
        start(),
    )
    .unwrap();
    for (args, code) in [
        (&[][..], 0),
        (&["--help"], 0),
        (&["inspect", expired.as_str()], 1),
    ] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader); // every write gets EPIPE
        let out = env
            .command(args)
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(code), "{args:?}");
        assert_eq!(stderr(&out), "", "{args:?}");
    }
}

#[test]
#[cfg(target_os = "linux")]
fn other_write_errors_are_io_errors() {
    let env = CliEnv::with_env_credentials();
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let out = env
        .command(&[])
        .stdout(full)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(74), "{err}");
    assert!(
        err.starts_with("bedrock-token: error: cannot write to stdout"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1);
}

#[test]
fn help_and_version() {
    let env = CliEnv::bare();
    let help = ok(&env.run(&["--help"]));
    for s in [
        "Examples:",
        "--region",
        "--profile",
        "--expiry",
        "--timeout",
        "--format",
        "--cache",
        "inspect",
        "eval",
        "Exit status:",
        "64  usage",
        "69  the credential source",
        "74  I/O error",
        "78  AWS configuration",
    ] {
        assert!(help.contains(s), "{s}");
    }
    assert!(ok(&env.run(&["inspect", "--help"]))
        .contains("0 valid, 1 expired or not yet valid, 2 not a valid Bedrock API key"));
    assert_eq!(
        ok(&env.run(&["--version"])).trim(),
        format!("bedrock-token {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn json_names_the_service_and_bedrock_stays_the_default() {
    let out = ok(&CliEnv::with_env_credentials().run(&["--format", "json"]));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["service"], "bedrock");
    let info = TokenInfo::parse(v["token"].as_str().unwrap()).unwrap();
    assert_eq!(info.service(), Service::Bedrock);
    let out = ok(&CliEnv::with_env_credentials().run(&["--service", "bedrock"]));
    assert!(out.starts_with("bedrock-api-key-"), "{out}");
}

#[test]
fn service_claude_platform_mints_its_keys_in_every_format() {
    let env = CliEnv::with_env_credentials();
    for name in ["claude-platform", "aws-external-anthropic"] {
        let out = ok(&env.run(&["--service", name, "--format", "json", "--expiry", "1h"]));
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["service"], "claude-platform");
        assert_eq!(v["region"], "us-west-2");
        let token = v["token"].as_str().unwrap();
        assert!(
            token.starts_with("aws-external-anthropic-api-key-"),
            "{token}"
        );
        let info = TokenInfo::parse(token).unwrap();
        assert_eq!(info.service(), Service::ClaudePlatform);
        assert_eq!(info.expiry(), Duration::from_secs(3600));
    }
    let out = ok(&env.run(&["--service", "claude-platform", "--format", "export"]));
    assert!(
        out.starts_with("export ANTHROPIC_AWS_API_KEY='aws-external-anthropic-api-key-"),
        "{out}"
    );
    // Bedrock's export is unchanged.
    let out = ok(&env.run(&["--format", "export"]));
    assert!(
        out.starts_with("export AWS_BEARER_TOKEN_BEDROCK='bedrock-api-key-"),
        "{out}"
    );
    let token = ok(&env.run(&["--service", "claude-platform"]));
    assert!(
        token.starts_with("aws-external-anthropic-api-key-"),
        "{token}"
    );
}

/// `--service sagemaker`: Amazon SageMaker AI keys in every format
/// (`AWS_BEARER_TOKEN_SAGEMAKER` for `export`), named by `inspect`, cached apart from
/// Bedrock's.
#[test]
fn service_sagemaker_mints_inspects_and_caches_its_keys() {
    let env = CliEnv::with_env_credentials();
    for name in ["sagemaker", "sagemaker-ai"] {
        let out = ok(&env.run(&["--service", name, "--format", "json", "--expiry", "15m"]));
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["service"], "sagemaker");
        assert_eq!(v["region"], "us-west-2");
        let token = v["token"].as_str().unwrap();
        assert!(token.starts_with("sagemaker-api-key-"), "{token}");
        let info = TokenInfo::parse(token).unwrap();
        assert_eq!(info.service(), Service::SageMaker);
        assert_eq!(info.expiry(), Duration::from_secs(900));
    }
    let out = ok(&env.run(&["--service", "sagemaker", "--format", "export"]));
    assert!(
        out.starts_with("export AWS_BEARER_TOKEN_SAGEMAKER='sagemaker-api-key-"),
        "{out}"
    );
    let token = ok(&env.run(&["--service", "sagemaker"]));
    let report = ok(&env.run(&["inspect", token.trim_end()]));
    assert!(
        report.starts_with("Amazon SageMaker AI API key: valid, expires in "),
        "{report}"
    );
    assert!(
        report.contains("  service:        Amazon SageMaker AI\n"),
        "{report}"
    );
    // No long-term keys: refused before any call.
    let err = failed(
        &env.run(&[
            "long-term",
            "create",
            "--service",
            "sagemaker",
            "--user-name",
            "u",
            "--days",
            "7",
        ]),
        64,
    );
    assert!(err.contains("SageMaker AI"), "{err}");
}

#[test]
fn service_without_short_term_keys_or_unknown_is_a_usage_error() {
    let env = CliEnv::with_env_credentials();
    for (name, says) in [
        ("cloudwatch", "Amazon CloudWatch has no short-term API keys"),
        ("xray", "AWS X-Ray has no short-term API keys"),
        (
            "anthropic",
            "unknown service name; use one of: bedrock, claude-platform",
        ),
    ] {
        let err = failed(&env.run(&["--service", name]), 64);
        assert!(err.contains(says), "{name}: {err}");
    }
}

#[test]
fn inspect_names_the_service() {
    let env = CliEnv::with_env_credentials();
    let token = ok(&env.run(&["--service", "claude-platform"]));
    let report = ok(&env.run(&["inspect", &token]));
    assert!(
        report.starts_with("Claude Platform on AWS API key: valid, expires in "),
        "{report}"
    );
    assert!(
        report.contains("  service:        Claude Platform on AWS\n"),
        "{report}"
    );
    let token = ok(&env.run(&[]));
    let report = ok(&env.run(&["inspect", &token]));
    assert!(report.starts_with("Bedrock API key: valid"), "{report}");
    assert!(
        report.contains("  service:        Amazon Bedrock\n"),
        "{report}"
    );

    let long = format!(
        "AEAA{}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            "AeaApiKey-abcd-at-123456789012:c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"
        )
    );
    let report = ok(&env.run(&["inspect", &long]));
    assert!(
        report.starts_with("long-term Claude Platform on AWS API key"),
        "{report}"
    );
    assert!(
        report.contains("  IAM user:       AeaApiKey-abcd\n"),
        "{report}"
    );
    assert!(
        report.contains("long-term list --user-name AeaApiKey-abcd --service claude-platform"),
        "{report}"
    );
    assert!(!report.contains("c2VjcmV0"), "{report}");
}

// Adversarial review: token text split across lines or arguments is never echoed, and
// --cache keys on the identity the default chain picks.

fn token() -> String {
    generate_token(
        &static_creds(),
        "us-west-2",
        Duration::from_secs(3600),
        start(),
    )
    .unwrap()
    .as_str()
    .to_owned()
}

/// A token pasted with a line break (or a space) into AWS_REGION or AWS_PROFILE: the
/// message naming the bad value must not show the part after the break either.
#[test]
fn a_token_split_across_lines_in_an_environment_variable_is_not_echoed() {
    let token = token();
    for sep in ["\n", " ", "\r\n"] {
        let split = format!("{}{sep}{}", &token[..24], &token[24..]);
        for var in ["AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"] {
            let mut env = CliEnv::bare();
            if var == "AWS_PROFILE" {
                env.set("AWS_REGION", "us-west-2");
            }
            env.set(var, &split);
            let out = env.run(&[]);
            failed(&out, 78);
            assert_not_echoed(&out, &token[24..]);
        }
    }
}

/// `--cache` promises a separate entry per set of settings, but the key leaves out the
/// variables that pick another identity through the default chain (container credentials,
/// web identity). Two container endpoints handing out two roles' credentials: the second
/// run must not get the first role's token from the cache.
#[tokio::test]
async fn cache_does_not_hand_out_another_identitys_token() {
    use support::http::{respond, Server};
    async fn endpoint(akid: &'static str) -> Server {
        Server::start(move |_req| async move {
            respond(
                200,
                "application/json",
                format!(
                    r#"{{"AccessKeyId":"{akid}","SecretAccessKey":"{SECRET}","Token":"{SESSION}","Expiration":"2099-01-01T00:00:00Z"}}"#
                ),
            )
        })
        .await
    }
    let role_a = endpoint("ASIAROLEAEXAMPLE0001").await;
    let role_b = endpoint("ASIAROLEBEXAMPLE0002").await;
    let mut env = CliEnv::bare();
    env.set("AWS_REGION", "us-west-2");
    let mut run_with = |server: &Server| {
        env.set(
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            format!("{}/credentials", server.url()),
        );
        let cmd = env.command(&["--cache"]);
        async move {
            let out = tokio::process::Command::from(cmd).output().await.unwrap();
            let token = ok(&out);
            aws_bedrock_token_generator::TokenInfo::parse(token.trim())
                .unwrap()
                .access_key_id()
                .to_owned()
        }
    };
    assert_eq!(run_with(&role_a).await, "ASIAROLEAEXAMPLE0001");
    assert_eq!(
        run_with(&role_b).await,
        "ASIAROLEBEXAMPLE0002",
        "the cache served role A's token to a run configured for role B"
    );
}

/// `bedrock-token inspect $TOKEN` with a token that holds a space (a wrapped paste, or
/// unquoted): the shell splits it, and the second half, which carries the signature, must
/// not be quoted back in the usage error.
#[test]
fn the_rest_of_a_token_split_into_two_arguments_is_not_echoed() {
    let token = token();
    let env = CliEnv::bare();
    let out = env.run(&["inspect", &token[..40], &token[40..]]);
    failed(&out, 64);
    assert_not_echoed(&out, &token[40..]);
}

/// `--generate`: bash loads the completion script (and completes a subcommand with it);
/// the man page names every subcommand; a KIND that does not exist is a usage error.
#[test]
fn generated_completions_load_and_the_man_page_names_every_subcommand() {
    let env = CliEnv::bare();
    let script = ok(&env.run(&["--generate", "complete-bash"]));
    let file = env.path("bedrock-token.bash");
    std::fs::write(&file, script).unwrap();
    let check = format!(
        "source '{}' && complete -p bedrock-token && COMP_WORDS=(bedrock-token long-te) \
         COMP_CWORD=1 COMP_LINE='bedrock-token long-te' COMP_POINT=21 \
         && _bedrock__token bedrock-token long-te bedrock-token && printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        file.display()
    );
    let out = std::process::Command::new("bash")
        .args(["--norc", "-c", &check])
        .output()
        .unwrap();
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{printed}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        printed.contains("-F _bedrock__token bedrock-token"),
        "{printed}"
    );
    assert!(printed.lines().any(|l| l == "long-term"), "{printed}");

    let man = ok(&env.run(&["--generate", "man"])).replace("\\-", "-");
    assert!(man.starts_with(".ie") || man.contains(".TH"), "{man}");
    for section in [
        "BEDROCK-TOKEN INSPECT",
        "BEDROCK-TOKEN PROXY",
        "BEDROCK-TOKEN EXEC",
        "BEDROCK-TOKEN LONG-TERM",
        "BEDROCK-TOKEN LONG-TERM CREATE",
        "BEDROCK-TOKEN LONG-TERM AUDIT",
        "BEDROCK-TOKEN LONG-TERM REVOKE",
    ] {
        assert!(man.contains(&format!(".SH \"{section}\"")), "{section}");
    }
    for kind in ["complete-zsh", "complete-fish", "complete-powershell"] {
        assert!(ok(&env.run(&["--generate", kind])).contains("bedrock-token"));
    }
    let err = failed(&env.run(&["--generate", "complete-tcsh"]), 64);
    assert!(err.contains("complete-bash"), "{err}");
    failed(
        &env.run(&["--generate", "man", "--region", "us-west-2"]),
        64,
    );
}
