//! Prints a Bedrock API key minted from the default credential and region chains.
//!
//! ```sh
//! AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY \
//!   AWS_REGION=us-west-2 cargo run --example provide_token
//! ```

#[tokio::main(flavor = "current_thread")]
async fn main() {
    match aws_bedrock_token_generator::provide_token().await {
        Ok(token) => println!("{}", token.as_str()),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}
