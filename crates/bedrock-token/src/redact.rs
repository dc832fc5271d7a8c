//! Keeping AWS API keys (every service's) out of everything the command prints.
//!
//! Two layers. [`screen`] refuses what clap parsed wherever a value looks like a key and a
//! key does not belong (it belongs only in the token of `inspect` and `long-term revoke`),
//! and [`screen_refused`] does the same for a command line clap refused; usage errors are
//! built from clap's error context, never its rendered text (`report.rs`), so no value is
//! quoted that was not screened. [`redact`] then blanks anything key-like in every message
//! written to stderr, whatever its origin.

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
    match key_like_runs(message) {
        Cow::Borrowed(message) => long_runs(message),
        Cow::Owned(out) => Cow::Owned(long_runs(&out).into_owned()),
    }
}

/// The most characters of standard base64 (letters, digits, `+/=`) shown in one run: a
/// piece of a key cut anywhere past its start (the second half of a short-term key holds
/// its access key id, scope and signature) is such a run, and so is a secret access key;
/// nothing this command says is. (The rule the core applies to what AWS says.)
const LONG_RUN: usize = 32;

/// `message` with every run of [`LONG_RUN`] or more base64 characters replaced by
/// [`PLACEHOLDER`].
fn long_runs(message: &str) -> Cow<'_, str> {
    let is_run_char = |b: u8| b.is_ascii_alphanumeric() || b"+/=".contains(&b);
    let bytes = message.as_bytes();
    let mut out = String::new();
    let (mut start, mut shown) = (0, 0);
    for i in 0..=bytes.len() {
        if i < bytes.len() && is_run_char(bytes[i]) {
            continue;
        }
        if i - start >= LONG_RUN {
            out.push_str(&message[shown..start]);
            out.push_str(PLACEHOLDER);
            shown = i;
        }
        start = i + 1;
    }
    if shown == 0 {
        return Cow::Borrowed(message);
    }
    out.push_str(&message[shown..]);
    Cow::Owned(out)
}

/// `message` with every run of key characters that looks like a key replaced.
fn key_like_runs(message: &str) -> Cow<'_, str> {
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

/// The arguments where a key belongs: the token of `inspect` and of `long-term revoke`
/// (by the subcommands' path and the argument's id).
fn key_belongs(path: &[String], id: &str) -> bool {
    let path: Vec<&str> = path.iter().map(String::as_str).collect();
    matches!(
        (path.as_slice(), id),
        (["inspect"], "token") | (["long-term", "revoke"], "key")
    )
}

/// The subcommands `matches` went into (`["long-term", "create"]`).
pub(crate) fn subcommand_path(matches: &clap::ArgMatches) -> Vec<String> {
    let mut path = Vec::new();
    let mut next = matches.subcommand();
    while let Some((name, sub)) = next {
        path.push(name.to_owned());
        next = sub.subcommand();
    }
    path
}

/// Refuses any value clap parsed that looks like a key, except the token of `inspect`
/// and of `long-term revoke`, naming where it was found (the flag whose value it is) but
/// never showing it. `command` must be built (so that the global flags of a subcommand
/// family are known to its subcommands).
pub(crate) fn screen(matches: &clap::ArgMatches, command: &clap::Command) -> Result<(), Failure> {
    let mut path = Vec::new();
    let (mut m, mut cmd) = (matches, command);
    loop {
        for arg in cmd.get_arguments() {
            let id = arg.get_id().as_str();
            if key_belongs(&path, id) {
                continue;
            }
            let Ok(Some(values)) = m.try_get_raw(id) else {
                continue;
            };
            for value in values {
                refuse_if_key(&value.to_string_lossy(), || match arg.get_long() {
                    Some(long) => format!("the value of --{long}"),
                    None => "an argument".to_owned(),
                })?;
            }
        }
        let Some((name, sub)) = m.subcommand() else {
            return Ok(());
        };
        let Some(sub_cmd) = cmd.find_subcommand(name) else {
            return Ok(());
        };
        path.push(name.to_owned());
        (m, cmd) = (sub, sub_cmd);
    }
}

/// For a command line clap refused (`e`), or asked help of: refuses any argument that
/// looks like a key, whatever else is wrong, without showing it. What clap did parse
/// (`lenient`, parsed ignoring errors) is screened as on success; an argument clap could
/// not place is named by the flag it is the value of (`--flag=KEY`, or after a `--flag`
/// that takes a value), else as "an argument". What follows the token of `inspect` or
/// `long-term revoke` is never shown (it is often the rest of a token split by a space).
pub(crate) fn screen_refused(
    e: &clap::Error,
    args: &[OsString],
    lenient: Option<&clap::ArgMatches>,
    command: &clap::Command,
) -> Result<(), Failure> {
    let path = lenient.map(subcommand_path).unwrap_or_default();
    if let Some(matches) = lenient {
        screen(matches, command)?;
    }
    let scope = path
        .iter()
        .try_fold(command, |c, name| c.find_subcommand(name))
        .unwrap_or(command);
    if let (
        Some(name @ ("inspect" | "long-term revoke")),
        clap::error::ErrorKind::UnknownArgument,
    ) = (key_place(&path), e.kind())
    {
        let extra = match e.get(clap::error::ContextKind::InvalidArg) {
            Some(clap::error::ContextValue::String(s)) => s.as_str(),
            _ => "",
        };
        if !extra.starts_with('-') || looks_like_key(extra) {
            return Err(Failure::new(
                Status::Usage,
                if looks_like_key(extra) {
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
    }
    // The token clap placed where a key belongs (not refused for being one).
    let placed = lenient.and_then(|m| {
        let (leaf, id) = match key_place(&path)? {
            "inspect" => (m.subcommand()?.1, "token"),
            _ => (m.subcommand()?.1.subcommand()?.1, "key"),
        };
        leaf.try_get_raw(id).ok().flatten()?.next()
    });
    let mut placed_seen = false;
    for (i, arg) in args.iter().enumerate().skip(1) {
        if Some(arg.as_os_str()) == placed && !placed_seen {
            placed_seen = true;
            continue;
        }
        let text = arg.to_string_lossy();
        let previous = args[i - 1].to_string_lossy();
        refuse_if_key(&text, || {
            let flag = match text.strip_prefix("--").and_then(|t| t.split_once('=')) {
                Some((name, _)) => Some(name),
                None => previous.strip_prefix("--").filter(|p| !p.contains('=')),
            };
            match flag.and_then(|name| long_flag_taking_value(scope, name)) {
                Some(long) => format!("the value of --{long}"),
                None => "an argument".to_owned(),
            }
        })?;
    }
    Ok(())
}

/// `inspect` or `long-term revoke`, if `path` is one of them (where a key belongs).
fn key_place(path: &[String]) -> Option<&'static str> {
    if key_belongs(path, "token") {
        Some("inspect")
    } else if key_belongs(path, "key") {
        Some("long-term revoke")
    } else {
        None
    }
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

    /// Any piece of a key past its start (which no prefix rule can recognise) is still
    /// not shown in a message: it is a long base64 run.
    #[test]
    fn pieces_of_a_key_past_its_start_are_not_shown() {
        use aws_bedrock_token_generator::generate_service_token;
        use aws_credential_types::Credentials;
        let creds = Credentials::new(
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            None,
            None,
            "t",
        );
        let now = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_718_452_800);
        for service in [
            Service::Bedrock,
            Service::ClaudePlatform,
            Service::SageMaker,
        ] {
            let key = generate_service_token(
                service,
                &creds,
                "us-west-2",
                std::time::Duration::from_secs(60),
                now,
            )
            .unwrap();
            let key = key.as_str();
            for cut in [17, 30, key.len() / 2, key.len() - 40] {
                let piece = &key[cut..];
                let message = format!("invalid --region \"{piece}\": use a region name");
                let shown = redact(&message);
                assert!(!shown.contains(&piece[..20]), "{cut}: {shown}");
                assert!(
                    !shown.contains(&piece[piece.len() - 20..]),
                    "{cut}: {shown}"
                );
            }
        }
        // Ordinary messages are left alone: paths, ARNs, request ids, regions.
        for plain in [
            "cannot read /home/alice/.aws/config (not a regular file)",
            "arn:aws:iam::123456789012:role/bedrock-sandbox",
            "IAM NoSuchEntity: no user; request id 11111111-2222-3333-4444-555555555555",
        ] {
            assert_eq!(redact(plain), plain);
        }
        assert_eq!(redact(&"a".repeat(31)), "a".repeat(31));
        assert_eq!(
            redact(&format!("x {} y", "a".repeat(32))),
            format!("x {PLACEHOLDER} y")
        );
    }

    #[test]
    fn only_the_argument_of_inspect_may_hold_a_key() {
        let screen = |args: &[&str]| {
            let args: Vec<OsString> = std::iter::once("bedrock-token")
                .chain(args.iter().copied())
                .map(OsString::from)
                .collect();
            match crate::parse(&args) {
                Err(Err(failure)) => Err(failure.message),
                _ => Ok(()),
            }
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
