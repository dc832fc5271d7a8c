//! Keeping AWS API keys (every service's) out of everything the command prints.
//!
//! Two layers. [`screen_args`] refuses, before clap parses them (so that no clap text,
//! suggestion or error context ever holds one), arguments that look like
//! a key anywhere a key does not belong, so neither clap nor this command can quote one
//! (the one place a key belongs is the argument of `inspect`). [`redact`] then blanks
//! anything key-like in every message written to stderr, whatever its origin.

use std::borrow::Cow;
use std::ffi::OsString;

use aws_bedrock_token_generator::Service;

use crate::{Failure, Status};

/// What replaces key-like text in messages.
pub(crate) const PLACEHOLDER: &str = "<redacted>";

/// The base64 with which the body of every short-term key starts (so a key that lost its
/// prefix is still recognised): of its signing host (`bedrock.amazonaws.com`,
/// `aws-external-anthropic.amazonaws.com`, `sagemaker.amazonaws.com`) and, to a whole
/// number of 3-byte groups, the `/` after it, so that it does not depend on what follows
/// (checked by a test).
const SHORT_TERM_BODIES: [&str; 3] = [
    "YmVkcm9jay5hbWF6b25hd3MuY29t",
    "YXdzLWV4dGVybmFsLWFudGhyb3BpYy5hbWF6b25hd3MuY29t",
    "c2FnZW1ha2VyLmFtYXpvbmF3cy5jb20v",
];

/// Whether `s` holds an API key of any service or a recognisable piece of one: a
/// short-term prefix (`bedrock-api-key-`, `aws-external-anthropic-api-key-`,
/// `sagemaker-api-key-`, any case)
/// followed by at least 4 more characters, the base64 text every short-term key's body
/// starts with, or a long-term prefix (`ABSK`, `AEAA`) followed by at least 8 base64
/// characters, or a long-term key's body without its prefix (base64 of
/// `<user>-at-<12 digits>:<secret>`). (A bare prefix alone is not a secret.)
pub(crate) fn looks_like_key(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    let short_term = Service::ALL
        .iter()
        .filter_map(|svc| svc.token_prefix())
        .any(|prefix| {
            lower
                .match_indices(prefix)
                .any(|(i, p)| lower.len() - (i + p.len()) >= 4)
        });
    let long_term = Service::ALL
        .iter()
        .filter_map(|svc| svc.long_term_prefix())
        .any(|prefix| {
            s.match_indices(prefix).any(|(i, p)| {
                s[i + p.len()..]
                    .bytes()
                    .take_while(|&b| is_base64(b))
                    .count()
                    >= 8
            })
        });
    short_term
        || long_term
        || SHORT_TERM_BODIES.iter().any(|b| s.contains(b))
        || has_long_term_body(s)
}

/// Whether `s` has a run of base64 that decodes (from any of its first four characters,
/// so a run cut at its start is found too; unpadded) to the end of a long-term key's
/// alias and the start of its secret (see [`holds_alias_end`]).
fn has_long_term_body(s: &str) -> bool {
    use base64::Engine as _;
    // Padding (`=`) ends a run: `--flag=<body>` is a run of its own.
    s.split(|c: char| !(c.is_ascii_alphanumeric() || c == '+' || c == '/'))
        .filter(|run| run.len() >= 24)
        .any(|run| {
            (0..4).any(|skip| {
                let body = &run[skip..];
                let body = &body[..body.len() / 4 * 4];
                base64::engine::general_purpose::STANDARD_NO_PAD
                    .decode(body)
                    .is_ok_and(|bytes| holds_alias_end(&bytes))
            })
        })
}

/// Whether `bytes` hold `-at-<12 digits>`, then the alias's suffix if any (IAM name
/// characters, as the library's alias rule allows), then `:`.
fn holds_alias_end(bytes: &[u8]) -> bool {
    let is_name = |b: &u8| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(b);
    bytes.windows(16).enumerate().any(|(i, w)| {
        w.starts_with(b"-at-")
            && w[4..].iter().all(u8::is_ascii_digit)
            && bytes[i + 16..]
                .iter()
                .find(|b| !is_name(b))
                .is_some_and(|&b| b == b':')
    })
}

fn is_base64(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=')
}

/// Characters that can be part of a key, or glued to one in an argument (`--flag=KEY`).
fn is_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=' | '-' | '_')
}

/// `message` with every run of key characters that [`looks_like_key`] replaced by
/// [`PLACEHOLDER`].
pub(crate) fn redact(message: &str) -> Cow<'_, str> {
    if !looks_like_key(message) {
        return Cow::Borrowed(message);
    }
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while !rest.is_empty() {
        let run_len = rest.find(|c| !is_key_char(c)).unwrap_or(rest.len());
        let (run, after) = rest.split_at(run_len);
        out.push_str(if looks_like_key(run) {
            PLACEHOLDER
        } else {
            run
        });
        let gap_len = after.find(is_key_char).unwrap_or(after.len());
        out.push_str(&after[..gap_len]);
        rest = &after[gap_len..];
    }
    Cow::Owned(out)
}

/// Refuses any argument that looks like a key, except the one argument of `inspect` and
/// of `long-term revoke`,
/// naming where it was found (the flag whose value it is, in the subcommand it is given
/// to) but never showing it.
pub(crate) fn screen_args(
    args: &[OsString],
    command: &clap::Command,
) -> Result<Vec<String>, Failure> {
    // The (sub)command whose flags apply; `command` should be built, so that the global
    // flags of a subcommand family are known to its subcommands.
    let mut scope = command;
    let mut place = Place::Commands;
    // The long flag waiting for its value, if the previous argument was one.
    let mut pending: Option<&str> = None;
    let mut only_positionals = false;
    // The subcommands named, for the `--help` a usage error points to.
    let mut path = Vec::new();
    for arg in args.iter().skip(1) {
        let arg = arg.to_string_lossy();
        if let Some(flag) = pending.take() {
            refuse_if_key(&arg, || format!("the value of --{flag}"))?;
            continue;
        }
        if !only_positionals && arg == "--" {
            only_positionals = true;
            continue;
        }
        if !only_positionals && arg.starts_with("--") {
            let (name, value) = match arg[2..].split_once('=') {
                Some((name, value)) => (name, Some(value)),
                None => (&arg[2..], None),
            };
            match (long_flag_taking_value(scope, name), value) {
                (Some(flag), Some(value)) => {
                    refuse_if_key(value, || format!("the value of --{flag}"))?
                }
                (Some(flag), None) => pending = Some(flag),
                (None, _) => refuse_if_key(&arg, || "an argument".to_owned())?,
            }
            continue;
        }
        if !only_positionals && arg.starts_with('-') && arg != "-" {
            refuse_if_key(&arg, || "an argument".to_owned())?;
            continue;
        }
        place = match place {
            Place::Commands => match scope.find_subcommand(arg.as_ref()) {
                Some(sub) => {
                    let is_inspect = std::ptr::eq(scope, command) && sub.get_name() == "inspect";
                    let is_revoke = scope.get_name() == "long-term"
                        && command
                            .find_subcommand("long-term")
                            .is_some_and(|l| std::ptr::eq(scope, l))
                        && sub.get_name() == "revoke";
                    scope = sub;
                    path.push(sub.get_name().to_owned());
                    if is_inspect {
                        Place::Inspect("inspect")
                    } else if is_revoke {
                        Place::Inspect("long-term revoke")
                    } else {
                        Place::Commands
                    }
                }
                None => {
                    refuse_if_key(&arg, || "an argument".to_owned())?;
                    Place::Elsewhere
                }
            },
            // The one place a key belongs.
            Place::Inspect(name) => Place::AfterInspectToken(name),
            // Nothing may follow it, and what does is often the rest of a token that
            // was split by a space (which on its own looks like no key): never show it.
            Place::AfterInspectToken(name) => {
                return Err(Failure::new(
                    Status::Usage,
                    if looks_like_key(&arg) {
                        format!(
                            "{name} takes one token, and the next argument looks like an AWS API \
                             key (not shown); pipe the key to `bedrock-token {name} -`"
                        )
                    } else {
                        format!(
                            "{name} takes one token, but more arguments followed (not shown): \
                             if the token holds spaces or line breaks, quote it or pipe it to \
                             `bedrock-token {name} -`"
                        )
                    },
                ));
            }
            Place::Elsewhere => {
                refuse_if_key(&arg, || "an argument".to_owned())?;
                Place::Elsewhere
            }
        };
    }
    Ok(path)
}

/// Where a positional argument would land.
#[derive(Clone, Copy)]
enum Place {
    /// Where the name of a subcommand of `scope` goes.
    Commands,
    /// The argument of `inspect` or `long-term revoke` (the command named).
    Inspect(&'static str),
    /// After that argument.
    AfterInspectToken(&'static str),
    /// Anywhere else (clap rejects it).
    Elsewhere,
}

/// The name of `scope`'s long flag `name` if it takes a value.
fn long_flag_taking_value<'a>(scope: &'a clap::Command, name: &str) -> Option<&'a str> {
    scope
        .get_arguments()
        .filter(|a| a.get_action().takes_values())
        .filter_map(|a| a.get_long())
        .find(|long| *long == name)
}

fn refuse_if_key(arg: &str, what: impl FnOnce() -> String) -> Result<(), Failure> {
    if !looks_like_key(arg) {
        return Ok(());
    }
    Err(Failure::new(
        Status::Usage,
        format!(
            "{} looks like an AWS API key (not shown); to check a key, pipe it to \
             `bedrock-token inspect -`",
            what()
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29tLz9BY3Rpb249Q2FsbA==";

    #[test]
    fn a_long_term_key_without_its_prefix_is_recognised() {
        use base64::Engine as _;
        let b64 = |text: &str| base64::engine::general_purpose::STANDARD.encode(text);
        for text in [
            "alice-at-123456789012:wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEYsecret",
            "BedrockAPIKey-abcd-at-123456789012:c2VjcmV0c2VjcmV0c2VjcmV0",
            "bob-at-000000000000:s",
        ] {
            let body = b64(text);
            assert!(looks_like_key(&body), "{text}");
            for cut in 1..4 {
                assert!(looks_like_key(&body[cut..]), "{text} cut by {cut}");
            }
            assert!(looks_like_key(&format!("--older-than={body}")), "{text}");
        }
        for not in [
            b64("alice-at-12345678901:short account id, not an alias"),
            b64("just some ordinary text that happens to be base64"),
            "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=".to_owned(),
            "30d".to_owned(),
        ] {
            assert!(!looks_like_key(&not), "{not}");
        }
    }

    #[test]
    fn what_looks_like_a_key() {
        for yes in [
            KEY,
            &KEY.to_uppercase(),
            "bedrock-api-key-abcd",
            "xYmVkcm9jay5hbWF6b25hd3MuY29tLz9",
            "ABSKQmVkcm9ja0FQSUtleS0",
            "--region=ABSKQmVkcm9ja0FQ",
            "aws-external-anthropic-api-key-abcd",
            "AWS-EXTERNAL-ANTHROPIC-API-KEY-ABCD",
            "xYXdzLWV4dGVybmFsLWFudGhyb3BpYy5hbWF6b25hd3MuY29tLz9",
            "AEAAQWVhQXBpS2V5LUVY",
            "--profile=AEAAQWVhQXBpS2V5",
        ] {
            assert!(looks_like_key(yes), "{yes}");
        }
        for no in [
            "bedrock-api-key-",
            "`bedrock-api-key-` x",
            "us-east-1",
            "ABSK",
            "ABSKabc",
            "ABSK-long-profile-name",
            "aws-external-anthropic-api-key-",
            "AEAA",
            "AEAAabc",
            "12h",
        ] {
            assert!(!looks_like_key(no), "{no}");
        }
    }

    #[test]
    fn the_short_term_bodies_are_each_hosts_base64() {
        use base64::Engine as _;
        let hosts: Vec<&str> = Service::ALL
            .iter()
            .filter_map(|s| s.signing_host())
            .collect();
        assert_eq!(hosts.len(), SHORT_TERM_BODIES.len());
        for (host, body) in hosts.iter().zip(SHORT_TERM_BODIES) {
            // What every key's URL starts with, cut to whole 3-byte groups.
            let start = format!("{host}/?Action=CallWithBearerToken");
            let whole = host.len().div_ceil(3) * 3;
            assert_eq!(
                base64::engine::general_purpose::STANDARD.encode(&start[..whole]),
                body
            );
        }
    }

    #[test]
    fn redaction_keeps_the_rest_of_the_message() {
        assert_eq!(
            redact(&format!("invalid value '{KEY}' for '--expiry'")),
            "invalid value '<redacted>' for '--expiry'"
        );
        assert_eq!(
            redact(&format!("a --region={KEY}\nb ABSKQmVkcm9ja0FQ.")),
            "a <redacted>\nb <redacted>."
        );
        let plain = "it does not start with `bedrock-api-key-`";
        assert!(matches!(redact(plain), Cow::Borrowed(p) if p == plain));
    }

    #[test]
    fn only_the_argument_of_inspect_may_hold_a_key() {
        use clap::CommandFactory as _;
        let mut command = crate::Cli::command();
        command.build();
        let screen = |args: &[&str]| {
            let args: Vec<OsString> = std::iter::once("bedrock-token")
                .chain(args.iter().copied())
                .map(OsString::from)
                .collect();
            screen_args(&args, &command).map_err(|f| f.message)
        };
        for allowed in [
            &["inspect", KEY][..],
            &["inspect", "--", KEY],
            &["--region", "us-east-1", "--expiry=1h"],
            &["--profile", "inspect"],
            &["long-term", "list", "--user-name", "inspect"],
            &["long-term", "revoke", KEY],
            &["long-term", "--profile", "p", "revoke", "--delete", KEY],
        ] {
            assert!(screen(allowed).is_ok(), "{allowed:?}");
        }
        for (refused, what) in [
            (&[KEY][..], "an argument"),
            (
                &["inspect", "-", KEY],
                "inspect takes one token, and the next argument",
            ),
            (&["--profile", "inspect", KEY], "an argument"),
            (
                &["inspect", KEY, "X1NpZ25hdHVyZT1kZWFkYmVlZg"],
                "inspect takes one token, but more arguments followed (not shown)",
            ),
            (&["--region", KEY], "the value of --region"),
            (
                &["--timeout=x", &format!("--expiry={KEY}")],
                "the value of --expiry",
            ),
            (&[&format!("--nope={KEY}")], "an argument"),
            (
                &["long-term", "reset", "--user-name", "a", "--id", KEY],
                "the value of --id",
            ),
            (
                &["long-term", "create", "--user-name", KEY],
                "the value of --user-name",
            ),
            (
                &["long-term", "list", &format!("--profile={KEY}")],
                "the value of --profile",
            ),
            (&["long-term", "inspect", KEY], "an argument"),
            (&["long-term", KEY], "an argument"),
            (&["help", "inspect", KEY], "an argument"),
            (&["revoke", KEY], "an argument"),
            (&["long-term", "list", "revoke", KEY], "an argument"),
            (
                &["long-term", "revoke", KEY, "X1NpZ25hdHVyZT1kZWFkYmVlZg"],
                "long-term revoke takes one token, but more arguments followed",
            ),
        ] {
            let message = screen(refused).unwrap_err();
            assert!(message.starts_with(what), "{refused:?}: {message}");
            assert!(!message.contains("YmVk"), "{message}");
        }
    }
}
