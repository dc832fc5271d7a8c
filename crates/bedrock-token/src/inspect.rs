//! `bedrock-token inspect`: a token's facts and whether it is valid now.
//!
//! Exit status 0 valid (or a long-term key), 1 expired or not yet valid, 2 not a valid
//! Bedrock API key. Never prints the signature, the session token, a long-term key's
//! secret, or anything unprintable.

use std::fmt::Write as _;
use std::io::Read as _;
use std::time::SystemTime;

use aws_bedrock_token_generator::{LongTermKeyInfo, Service, TokenInfo};

use crate::clock::{human, rfc3339_or_words};
use crate::output::{print, printable};
use crate::{Failure, Status};

/// Reading stdin stops here: no key is anywhere near this long.
const MAX_INPUT: u64 = 64 * 1024;

/// Runs `inspect` on `token` (`-`: stdin; none: `AWS_BEARER_TOKEN_BEDROCK`).
pub(crate) fn run(token: Option<String>, now: SystemTime) -> Result<Status, Failure> {
    let token = read(token)?;
    let token = token.trim();
    // The library's parser for each kind; `TokenInfo` tells what is wrong with anything
    // that is not a long-term key.
    let long_term = Service::ALL
        .iter()
        .filter_map(|s| s.long_term_prefix())
        .any(|p| token.starts_with(p));
    if long_term {
        let info = LongTermKeyInfo::parse(token).map_err(|e| invalid(&e.to_string()))?;
        print(&describe_long_term(&info))?;
        return Ok(Status::Ok);
    }
    let info = TokenInfo::parse(token).map_err(|e| invalid(&e.to_string()))?;
    let (report, status) = describe(&info, now);
    print(&report)?;
    Ok(status)
}

fn read(token: Option<String>) -> Result<String, Failure> {
    match token.as_deref() {
        Some("-") => {
            let mut input = Vec::new();
            std::io::stdin()
                .take(MAX_INPUT)
                .read_to_end(&mut input)
                .map_err(|e| {
                    Failure::new(Status::Io, format!("cannot read the token from stdin: {e}"))
                })?;
            String::from_utf8(input)
                .map_err(|_| invalid("not a valid Bedrock API key: stdin is not UTF-8 text"))
        }
        Some(token) => Ok(token.to_owned()),
        None => match std::env::var("AWS_BEARER_TOKEN_BEDROCK") {
            Ok(token) => Ok(token),
            Err(std::env::VarError::NotUnicode(_)) => Err(invalid(
                "not a valid Bedrock API key: AWS_BEARER_TOKEN_BEDROCK is not UTF-8 text",
            )),
            Err(std::env::VarError::NotPresent) => Err(Failure::new(
                Status::Usage,
                "no token given: pass it as an argument, `-` to read stdin, or set \
                 AWS_BEARER_TOKEN_BEDROCK",
            )),
        },
    }
}

fn invalid(message: &str) -> Failure {
    Failure::new(Status::InvalidKey, message)
}

/// The report of `inspect` for a long-term key: its alias and, for IAM's
/// `<user>-at-<account id>` aliases, the user and account. Never the secret (the parser
/// does not keep it). The key carries no region or expiry: IAM keeps its status.
fn describe_long_term(info: &LongTermKeyInfo) -> String {
    let mut out = format!(
        "long-term {} API key (an IAM service-specific credential): it carries no region \
         or expiry\n",
        short_name(info.service())
    );
    let _ = writeln!(out, "  service:        {}", info.service());
    let _ = writeln!(out, "  alias:          {}", printable(info.alias()));
    match (info.user_name(), info.account_id()) {
        (Some(user), Some(account)) => {
            let _ = writeln!(out, "  IAM user:       {}", printable(user));
            let _ = writeln!(out, "  account id:     {}", printable(account));
            let _ = writeln!(
                out,
                "  status, expiry: in IAM; see `bedrock-token long-term list --user-name {}{}`",
                printable(user),
                service_flag(info.service())
            );
        }
        _ => {
            let _ = writeln!(
                out,
                "  IAM user:       unknown (the alias is not `<user>-at-<account id>`)"
            );
            let _ = writeln!(
                out,
                "  status, expiry: in IAM; see `bedrock-token long-term list{}`",
                service_flag(info.service())
            );
        }
    }
    out
}

/// "Bedrock" as before for Bedrock's keys, the display name for the others.
fn short_name(service: Service) -> &'static str {
    match service {
        Service::Bedrock => "Bedrock",
        other => other.display_name(),
    }
}

/// ` --service NAME` for services other than the default.
fn service_flag(service: Service) -> String {
    if service == Service::Bedrock {
        String::new()
    } else {
        format!(" --service {}", service.name())
    }
}

/// The report of `inspect` and its status. Never contains the signature or session token.
fn describe(info: &TokenInfo, now: SystemTime) -> (String, Status) {
    let (state, status) = if info.is_not_yet_valid_at(now) {
        (
            format!(
                "NOT YET VALID: signed {} in the future (check this machine's clock and the signer's)",
                human(info.signed_at().duration_since(now).unwrap_or_default())
            ),
            Status::NotValidNow,
        )
    } else if info.is_expired_at(now) {
        (
            format!(
                "EXPIRED {} ago",
                human(now.duration_since(info.expires_at()).unwrap_or_default())
            ),
            Status::NotValidNow,
        )
    } else {
        (
            format!(
                "valid, expires in {}",
                human(info.expires_at().duration_since(now).unwrap_or_default())
            ),
            Status::Ok,
        )
    };
    let mut out = format!("{} API key: {state}\n", short_name(info.service()));
    let _ = writeln!(out, "  service:        {}", info.service());
    let _ = writeln!(out, "  region:         {}", printable(info.region()));
    let _ = writeln!(out, "  access key id:  {}", printable(info.access_key_id()));
    let _ = writeln!(
        out,
        "  signed at:      {}",
        rfc3339_or_words(info.signed_at())
    );
    let _ = writeln!(
        out,
        "  expires at:     {} (requested expiry {})",
        rfc3339_or_words(info.expires_at()),
        human(info.expiry())
    );
    let _ = writeln!(
        out,
        "  session token:  {}",
        if info.has_session_token() {
            "yes (temporary credentials: the key stops working when they expire, which may be sooner)"
        } else {
            "no (long-term access key)"
        }
    );
    (out, status)
}
