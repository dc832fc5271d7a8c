//! The default command: mint a token (or take it from the `--cache`) and print it.

use std::time::SystemTime;

use aws_bedrock_token_generator::{Region, Service, SessionPolicy, TokenInfo, TokenProvider};

use crate::cache::{Cache, Entry};
use crate::settings::Settings;
use crate::{clock, errors, output, Failure, Format, MintArgs, Status};

/// Runs the default command.
pub(crate) fn run(args: &MintArgs, now: SystemTime) -> Result<Status, Failure> {
    let settings = Settings::new(&args.source)?;
    let cache = if args.cache {
        Cache::locate(&settings)
            .map_err(|why| output::warning(&why))
            .ok()
    } else {
        None
    };
    // A cache hit loads no credentials and starts no runtime.
    if let Some(entry) = cache.as_ref().and_then(|c| c.lookup(now)) {
        output::print_line(&format(args.format, settings.service, &entry))?;
        return Ok(Status::Ok);
    }
    let entry = mint(&settings)?;
    if let Some(cache) = &cache {
        if let Err(why) = cache.store(&entry, now) {
            output::warning(&why);
        }
    }
    output::print_line(&format(args.format, settings.service, &entry))?;
    Ok(Status::Ok)
}

fn mint(settings: &Settings) -> Result<Entry, Failure> {
    let provider = provider(settings)?;
    let runtime = crate::runtime()?;
    let token = runtime
        .block_on(provider.token())
        .map_err(|e| errors::explain(&e, settings))?;
    // With a role, the key ends with the role session: warn when that is before the
    // requested expiry (the key's own X-Amz-Expires, read back from it).
    let cut_short = || {
        TokenInfo::parse(token.as_str()).is_ok_and(|info| token.expires_at() < info.expires_at())
    };
    if settings.role.is_some() && settings.expiry_given && cut_short() {
        output::warning(&format!(
            "the role session ends at {}, before the requested --expiry: the key expires \
             with it (expires_at)",
            clock::rfc3339_clamped(token.expires_at())
        ));
    }
    Ok(Entry {
        token: token.as_str().to_owned(),
        expires_at: token.expires_at(),
        region: token.region().to_string(),
    })
}

/// The token provider for `settings` (built, not yet loaded).
pub(crate) fn provider(settings: &Settings) -> Result<TokenProvider, Failure> {
    let mut builder = TokenProvider::builder().service(settings.service);
    // With a role and no --expiry, STS picks the session length (1 h by default) and the
    // token ends with the session; an explicit --expiry also asks STS for that length.
    if settings.expiry_given || settings.role.is_none() {
        builder = builder.expiry(settings.expiry);
    }
    if let Some(role) = &settings.role {
        builder = builder.assume_role(&role.arn);
        if let Some(name) = &role.session_name {
            builder = builder.role_session_name(name);
        }
        if let Some(document) = &role.policy_document {
            builder = builder.session_policy(SessionPolicy::from_json(document.clone()));
        } else if !role.allow_models.is_empty() {
            builder = builder.session_policy(SessionPolicy::allow_models(&role.allow_models));
        }
    }
    if let Some(region) = &settings.region {
        builder = builder.region(Region::new(region.clone()));
    }
    if let Some(profile) = &settings.profile {
        builder = builder.profile_name(profile);
    }
    builder = builder.load_timeout(settings.timeout.unwrap_or(crate::settings::DEFAULT_TIMEOUT));
    builder.build().map_err(|e| errors::explain(&e, settings))
}

/// The line to print for `entry`.
fn format(format: Format, service: Service, entry: &Entry) -> String {
    let text = &entry.token;
    match format {
        Format::Token => text.to_owned(),
        Format::Export => format!(
            "export {}={}",
            service.key_variable().unwrap_or("AWS_BEARER_TOKEN_BEDROCK"),
            shell_quote(text)
        ),
        // Every value is from a JSON-safe alphabet: base64, an RFC 3339 time, a region
        // name (checked by the parser), a service name (`bedrock`, `claude-platform`).
        Format::Json => format!(
            r#"{{"token":"{text}","expires_at":"{}","region":"{}","service":"{}"}}"#,
            clock::rfc3339_clamped(entry.expires_at),
            entry.region,
            service.name()
        ),
    }
}

/// Single-quotes `s` for a POSIX shell.
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(shell_quote("a'b"), r"'a'\''b'");
        assert_eq!(
            shell_quote("bedrock-api-key-YQ=="),
            "'bedrock-api-key-YQ=='"
        );
    }
}
