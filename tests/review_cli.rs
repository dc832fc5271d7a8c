//! Adversarial review of the `bedrock-token` CLI: token text never echoed, statuses.
#![cfg(feature = "cli")]

mod support;

use std::time::Duration;

use aws_bedrock_token_generator::generate_token;
use support::cli::*;
use support::*;

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
