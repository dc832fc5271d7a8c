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
