//! `bedrock-token`: mint and inspect short-term Amazon Bedrock API keys.
//! Build with `cargo install aws-bedrock-token-generator --features cli`.

fn main() -> std::process::ExitCode {
    aws_bedrock_token_generator::cli::main()
}
