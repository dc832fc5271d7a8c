//! `bedrock-token long-term revoke [KEY|-]`: revoke a leaked key from its text.
//!
//! A long-term key is found by its alias among its user's credentials for its service and
//! deactivated (or deleted); a short-term key cannot be revoked by itself, so what that
//! means is explained, and only with `--apply` is the IAM user access key that signed it
//! deactivated. The key text is read once, parsed (which keeps no secret) and wiped; it
//! is never printed.

use std::io::Read as _;
use std::time::SystemTime;

use aws_bedrock_token_generator::{names, KeyInfo, LongTermKeyInfo, TokenInfo};
use aws_bedrock_token_long_term::{KeyMatch, KeyMetadata, KeyStatus, RevokeAction};
use zeroize::Zeroizing;

use crate::clock::{human, rfc3339_or_words};
use crate::output;
use crate::settings::Settings;
use crate::{Failure, Status};

use super::{cell, About};

/// Reading stdin stops here: no key is anywhere near this long.
const MAX_INPUT: u64 = 64 * 1024;

/// How many candidates an ambiguity message names.
const MAX_NAMED: usize = 10;

pub(crate) const AFTER_HELP: &str = "\
Examples:
  pbpaste | bedrock-token long-term revoke -           deactivate the leaked key
  bedrock-token long-term revoke --delete - < leaked.txt
  echo \"$TOKEN\" | bedrock-token long-term revoke --apply -

Read the key from stdin (`-`, the default): a key on the command line can be seen by
other users of the machine. The key is never printed.

Long-term keys (ABSK..., AEAA...): the key's alias names its IAM user; the one credential
of that user (or, failing that, of any user) for the key's service with the same alias is
deactivated (UpdateServiceSpecificCredential, Status=Inactive), or deleted with --delete.
Nothing else is touched. If the alias does not pick out exactly one credential, nothing
is changed and the candidates' ids are listed.

Short-term keys (bedrock-api-key-..., aws-external-anthropic-api-key-...): such a key
cannot be revoked by itself; it stops working when it expires. The command says which
access key signed it and changes nothing; with --apply, an IAM user's access key (AKIA...)
that signed a key still valid is deactivated (UpdateAccessKey), which stops everything
signed with it. A key signed with temporary credentials (ASIA...) dies with its session:
revoke the role's older sessions instead.

IAM permissions: iam:ListServiceSpecificCredentials and iam:UpdateServiceSpecificCredential
(iam:DeleteServiceSpecificCredential with --delete); with --apply iam:GetAccessKeyLastUsed
and iam:UpdateAccessKey. Nothing is called for a short-term key without --apply.

Exit status:
  0   revoked (or, for a short-term key, explained)
  2   not an API key this command knows
  64  usage: bad flags (--delete with a short-term key, --apply for an ASIA key)
  65  the key's alias matches more than one credential: nothing was changed
  67  no matching credential (deleted already, another account's, or never issued)
  69  IAM failed or timed out
  74  stdin could not be read
  77  access denied: the message names the IAM action
  78  AWS configuration: no or rejected credentials, an unusable IAM endpoint";

/// `bedrock-token long-term revoke`.
#[derive(clap::Args, Debug)]
pub(crate) struct RevokeArgs {
    /// The leaked key, or `-` to read it from stdin (recommended: a command line can be
    /// seen by other users) [default: -]
    #[arg(value_name = "KEY|-")]
    key: Option<String>,
    /// Delete the long-term key instead of deactivating it
    #[arg(long)]
    delete: bool,
    /// For a short-term key signed by an IAM user's access key (AKIA...): deactivate that
    /// access key, which stops everything signed with it
    #[arg(long)]
    apply: bool,
}

/// Runs `bedrock-token long-term revoke`.
pub(crate) fn run(args: RevokeArgs, s: &Settings, now: SystemTime) -> Result<Status, Failure> {
    let info = {
        let text = read(args.key.as_deref())?;
        KeyInfo::parse(&text).map_err(|e| Failure::new(Status::InvalidKey, e.to_string()))?
    };
    if args.key.as_deref().is_some_and(|k| k != "-") {
        output::warning(
            "the key was given on the command line, where other users of this machine can \
             see it; pipe it in with `bedrock-token long-term revoke -` instead",
        );
    }
    match info {
        KeyInfo::LongTerm(info) => long_term(&info, &args, s, now),
        KeyInfo::ShortTerm(info) => short_term(&info, &args, s, now),
        _ => Err(Failure::new(
            Status::InvalidKey,
            "this kind of API key cannot be revoked by this command",
        )),
    }
}

/// The key text: the argument, or stdin for `-` or no argument. Wiped when dropped.
fn read(key: Option<&str>) -> Result<Zeroizing<String>, Failure> {
    if let Some(key) = key.filter(|k| *k != "-") {
        return Ok(Zeroizing::new(key.to_owned()));
    }
    let mut input = Zeroizing::new(Vec::new());
    std::io::stdin()
        .take(MAX_INPUT)
        .read_to_end(&mut input)
        .map_err(|e| Failure::new(Status::Io, format!("cannot read the key from stdin: {e}")))?;
    let text = std::str::from_utf8(&input).map_err(|_| {
        Failure::new(
            Status::InvalidKey,
            "not an API key: stdin is not UTF-8 text",
        )
    })?;
    if text.trim().is_empty() {
        return Err(Failure::new(
            Status::Usage,
            "no key on stdin: pipe the leaked key in, e.g. `pbpaste | bedrock-token long-term \
             revoke -`",
        ));
    }
    Ok(Zeroizing::new(text.to_owned()))
}

fn long_term(
    info: &LongTermKeyInfo,
    args: &RevokeArgs,
    s: &Settings,
    now: SystemTime,
) -> Result<Status, Failure> {
    let action = if args.delete {
        RevokeAction::Delete
    } else {
        RevokeAction::Deactivate
    };
    let runtime = crate::runtime()?;
    let keys = super::connect(&runtime, s, now)?;
    let outcome = runtime
        .block_on(keys.revoke(info, action))
        .map_err(|e| super::explain(&e, s, About::new("revoke", info.user_name())))?;
    let service = info.service();
    let alias = cell(info.alias());
    match outcome {
        KeyMatch::Found(key) => {
            let (id, user) = id_and_user(&key);
            let message = match action {
                RevokeAction::Delete => format!(
                    "deleted long-term {service} key {id} of IAM user {user}: the leaked key \
                     no longer works"
                ),
                _ => format!(
                    "deactivated long-term {service} key {id} of IAM user {user}{was}: the \
                     leaked key no longer works; once nothing needs it, delete it with \
                     `bedrock-token long-term delete --user-name {user} --id {id}`",
                    was = if key.status == Some(KeyStatus::Inactive) {
                        " (it was inactive already)"
                    } else {
                        ""
                    }
                ),
            };
            output::note(&message);
            Ok(Status::Ok)
        }
        KeyMatch::Ambiguous(candidates) => {
            let mut named: Vec<String> = candidates
                .iter()
                .take(MAX_NAMED)
                .map(|k| {
                    let (id, user) = id_and_user(k);
                    format!("{id} (IAM user {user})")
                })
                .collect();
            if candidates.len() > MAX_NAMED {
                named.push(format!("and {} more", candidates.len() - MAX_NAMED));
            }
            Err(Failure::new(
                Status::Ambiguous,
                format!(
                    "the key's alias `{alias}` does not pick out one {service} key: {} \
                     credentials may be it: {}; nothing was changed. Find the leaked one \
                     (for example by when it was created) and revoke it by id with \
                     `bedrock-token long-term deactivate --user-name USER --id ID`",
                    candidates.len(),
                    named.join(", ")
                ),
            ))
        }
        _ => Err(Failure::new(
            Status::NotFound,
            format!(
                "no long-term {service} key with alias `{alias}` in this account: it was \
                 deleted already, belongs to another account{account}, or was never issued \
                 by IAM; nothing was changed",
                account = info
                    .account_id()
                    .map_or_else(String::new, |a| format!(" (the key names account {a})"))
            ),
        )),
    }
}

/// A listed key's id and user, printable (IAM's answer is not trusted to be).
fn id_and_user(key: &KeyMetadata) -> (String, String) {
    (
        key.id.as_deref().map_or_else(|| "?".to_owned(), cell),
        key.user_name
            .as_deref()
            .map_or_else(|| "?".to_owned(), cell),
    )
}

fn short_term(
    info: &TokenInfo,
    args: &RevokeArgs,
    s: &Settings,
    now: SystemTime,
) -> Result<Status, Failure> {
    if args.delete {
        return Err(Failure::new(
            Status::Usage,
            "--delete is for long-term keys: a short-term key is not stored anywhere to be \
             deleted; it expires (run without --delete to see what revoking it means)",
        ));
    }
    let service = info.service();
    let akid = info.access_key_id();
    let temporary = info.has_session_token()
        || names::access_key_kind(akid) != Some(names::AccessKeyKind::LongTerm);
    let signed = if temporary {
        format!("signed with temporary credentials, access key {akid}")
    } else {
        format!("signed with IAM user access key {akid}")
    };
    if info.is_expired_at(now) {
        output::note(&format!(
            "this is a short-term {service} API key {signed}; it expired at {}, so it no \
             longer works and there is nothing to revoke; nothing was changed (if the access \
             key itself leaked, deactivate it in IAM)",
            rfc3339_or_words(info.expires_at())
        ));
        return Ok(Status::Ok);
    }
    let until = format!(
        "it works until {} (in {})",
        rfc3339_or_words(info.expires_at()),
        human(info.expires_at().duration_since(now).unwrap_or_default())
    );
    if temporary {
        let explained = format!(
            "this is a short-term {service} API key {signed}, which cannot be deactivated: \
             {until}, or until those credentials expire if that is sooner. To cut it off \
             sooner, revoke the role's older sessions (the IAM console's \"Revoke active \
             sessions\" on the role, which attaches the AWSRevokeOlderSessions policy)"
        );
        if args.apply {
            return Err(Failure::new(
                Status::Usage,
                format!(
                    "{explained}; --apply deactivates only an IAM user's access key \
                     (AKIA...), so nothing was changed"
                ),
            ));
        }
        output::note(&format!("{explained}; nothing was changed"));
        return Ok(Status::Ok);
    }
    if !args.apply {
        output::note(&format!(
            "this is a short-term {service} API key {signed}; it cannot be revoked by itself: \
             {until}. Until then, deactivating access key {akid} stops it, and everything \
             else signed with that access key: run this again with --apply to do that (IAM \
             UpdateAccessKey); nothing was changed"
        ));
        return Ok(Status::Ok);
    }
    let runtime = crate::runtime()?;
    let keys = super::connect(&runtime, s, now)?;
    let user = runtime
        .block_on(keys.deactivate_access_key(akid))
        .map_err(|e| super::explain(&e, s, About::new("revoke", None)))?;
    output::note(&format!(
        "deactivated access key {akid} of IAM user {}: the short-term key, and everything \
         else signed with this access key, no longer works; give the user's other programs \
         a new access key",
        cell(&user)
    ));
    Ok(Status::Ok)
}
