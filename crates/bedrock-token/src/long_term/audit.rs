//! `bedrock-token long-term audit`: every long-term key of the account with its findings,
//! as a table or JSON. Read-only; exit status 0 when nothing is found, 1 when anything is.

use std::time::{Duration, SystemTime};

use aws_bedrock_token_generator::Service;
use aws_bedrock_token_long_term::{AuditRequest, AuditedKey, ErrorKind, Finding};
use clap::ValueEnum;

use crate::clock::{human, rfc3339_clamped};
use crate::output;
use crate::settings::Settings;
use crate::{Failure, Status};

use super::{cell, About};

const DAY: Duration = Duration::from_secs(86_400);

/// The IAM actions audit calls, for the message about a denied one.
const READ_ACTIONS: &str = "iam:ListServiceSpecificCredentials, iam:ListAttachedUserPolicies, \
                            iam:ListUserPolicies and iam:ListGroupsForUser";

pub(crate) const AFTER_HELP: &str = "\
Findings (the JSON codes):
  never-expires      the key has no expiration date
  expires-soon       it expires within --expiring-within
  expired            it has expired but was not deleted
  old                it was created longer ago than --older-than
  inactive           it was deactivated but not deleted
  broad-permissions  its IAM user has more than the service's managed policy (another
                     attached policy, an inline policy, or a group): a long-term key can
                     do whatever its user can
  console-user       its user is named like one a console created (BedrockAPIKey-...,
                     AeaApiKey-...)

Examples:
  bedrock-token long-term audit
  bedrock-token long-term audit --service bedrock --older-than 30d --format json

Read-only: calls only iam:ListServiceSpecificCredentials, iam:ListAttachedUserPolicies,
iam:ListUserPolicies and iam:ListGroupsForUser. Never shows key text.

Exit status:
  0   no key has a finding
  1   at least one key has a finding (for cron and CI alerts)
  64  usage: bad flag value
  69  IAM failed or timed out
  77  access denied: the message names the IAM action
  78  AWS configuration: no or rejected credentials, an unusable IAM endpoint";

/// `bedrock-token long-term audit`.
#[derive(clap::Args, Debug)]
pub(crate) struct AuditArgs {
    /// Only this service's keys (bedrock, claude-platform, cloudwatch, cloudwatch-logs,
    /// xray) [default: every service's]
    #[arg(long, value_name = "NAME", value_parser = super::parse_service)]
    service: Option<Service>,
    /// Report keys expiring within this long: a number and a unit, d, h, m or s (30d,
    /// 12h); 0d reports none
    #[arg(long, value_name = "DURATION", value_parser = parse_age, default_value = "30d")]
    expiring_within: Duration,
    /// Report keys created longer ago than this (90d is AWS's usual rotation period)
    #[arg(long, value_name = "DURATION", value_parser = parse_age, default_value = "90d")]
    older_than: Duration,
    /// Output format
    #[arg(long, value_enum, default_value_t = AuditFormat::Table)]
    format: AuditFormat,
}

/// How `audit` prints the keys.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum AuditFormat {
    /// Aligned columns with a header, the findings spelled out
    Table,
    /// An array of `{"id", "user_name", "service", "status", "created_at", "expires_at",
    /// "findings"}`, findings as codes
    Json,
}

/// `30d`, `12h`, `90m`, `45s`: 0 to 36 600 days. The message does not repeat the input.
fn parse_age(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, unit) = s.split_at(split);
    let unit_secs: u64 = match unit {
        "d" => 86_400,
        "h" => 3_600,
        "m" => 60,
        "s" => 1,
        _ => {
            return Err(
                "expected a whole number and a unit, d, h, m or s: 30d, 12h, 90m".to_owned(),
            )
        }
    };
    let max = u64::from(aws_bedrock_token_long_term::MAX_KEY_AGE_DAYS) * 86_400;
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(unit_secs))
        .filter(|secs| *secs <= max)
        .map(Duration::from_secs)
        .ok_or_else(|| "expected a whole number and a unit, from 0d to 36600d".to_owned())
}

/// Runs `bedrock-token long-term audit`.
pub(crate) fn run(args: AuditArgs, s: &Settings, now: SystemTime) -> Result<Status, Failure> {
    let mut request = AuditRequest::new()
        .expiring_within(args.expiring_within)
        .older_than(args.older_than);
    if let Some(service) = args.service {
        request = request.service(service);
    }
    let runtime = crate::runtime()?;
    let keys = super::connect(&runtime, s, now)?;
    let audited = runtime.block_on(keys.audit(&request, now)).map_err(|e| {
        let mut failure = super::explain(&e, s, About::new("audit", None));
        if e.kind() == ErrorKind::AccessDenied {
            failure
                .message
                .push_str(&format!("; audit needs read access only: {READ_ACTIONS}"));
        }
        failure
    })?;
    output::print(&match args.format {
        AuditFormat::Table => table(&audited, &request),
        AuditFormat::Json => {
            let array: Vec<_> = audited.iter().map(json).collect();
            format!("{}\n", serde_json::Value::from(array))
        }
    })?;
    let flagged = audited.iter().filter(|k| !k.findings.is_empty()).count();
    if flagged == 0 {
        return Ok(Status::Ok);
    }
    output::note(&format!(
        "{flagged} of {} long-term keys have findings",
        audited.len()
    ));
    Ok(Status::Findings)
}

/// A key's JSON object, in the documented order; a field IAM's answer did not have is
/// `null`.
fn json(a: &AuditedKey) -> serde_json::Value {
    let m = &a.key;
    let mut object = serde_json::Map::new();
    object.insert("id".into(), m.id.as_deref().into());
    object.insert("user_name".into(), m.user_name.as_deref().into());
    object.insert("service".into(), m.service.map(|s| s.name()).into());
    object.insert(
        "status".into(),
        m.status.as_ref().map(|s| s.as_str()).into(),
    );
    object.insert(
        "created_at".into(),
        m.created_at.map(rfc3339_clamped).into(),
    );
    object.insert(
        "expires_at".into(),
        m.expires_at.map(rfc3339_clamped).into(),
    );
    let codes: Vec<&str> = a.findings.iter().map(|f| f.code()).collect();
    object.insert("findings".into(), codes.into());
    object.into()
}

/// The keys as aligned columns under a header, the findings spelled out in the last.
fn table(keys: &[AuditedKey], request: &AuditRequest) -> String {
    let header = [
        "ID",
        "SERVICE",
        "USER NAME",
        "STATUS",
        "CREATED AT",
        "EXPIRES AT",
        "FINDINGS",
    ]
    .map(String::from);
    let missing = || "-".to_owned();
    let rows: Vec<[String; 7]> = std::iter::once(header)
        .chain(keys.iter().map(|a| {
            let m = &a.key;
            let findings: Vec<String> = a
                .findings
                .iter()
                .map(|f| spelled_out(*f, a, request))
                .collect();
            [
                m.id.as_deref().map_or_else(missing, cell),
                m.service.map_or_else(missing, |s| s.name().to_owned()),
                m.user_name.as_deref().map_or_else(missing, cell),
                m.status
                    .as_ref()
                    .map_or_else(missing, |status| cell(status.as_str())),
                m.created_at.map_or_else(missing, rfc3339_clamped),
                m.expires_at.map_or_else(|| "never".into(), rfc3339_clamped),
                if findings.is_empty() {
                    missing()
                } else {
                    findings.join(", ")
                },
            ]
        }))
        .collect();
    super::aligned(&rows)
}

/// A finding in words, with the audit's thresholds and, for broad permissions, what the
/// user has beyond the service's policy.
fn spelled_out(finding: Finding, a: &AuditedKey, request: &AuditRequest) -> String {
    match finding {
        Finding::NeverExpires => "never expires".into(),
        Finding::ExpiresSoon => {
            format!("expires within {}", span(request.expiring_within_window()))
        }
        Finding::Expired => "expired, not deleted".into(),
        Finding::Old => format!("older than {}", span(request.older_than_age())),
        Finding::Inactive => "inactive, not deleted".into(),
        Finding::BroadPermissions => broad(a),
        Finding::ConsoleUser => "console-created user".into(),
        _ => finding.description().into(),
    }
}

/// `user has more than AmazonBedrockLimitedAccess (policies A B; inline P; groups G)`.
fn broad(a: &AuditedKey) -> String {
    let (Some(service), Some(p)) = (a.key.service, &a.permissions) else {
        return Finding::BroadPermissions.description().into();
    };
    let name = |arn: &str| arn.rsplit('/').next().unwrap_or(arn).to_owned();
    let mut parts = Vec::new();
    let extra: Vec<String> = p.extra_policy_arns(service).into_iter().map(name).collect();
    for (what, names) in [
        ("policies", extra),
        ("inline", p.inline_policy_names.clone()),
        ("groups", p.group_names.clone()),
    ] {
        if !names.is_empty() {
            parts.push(format!("{what} {}", cell(&names.join(" "))));
        }
    }
    format!(
        "user has more than {} ({})",
        service.managed_policy().unwrap_or("the service's policy"),
        parts.join("; ")
    )
}

/// `30d` for whole days, otherwise `1h 2m`.
fn span(d: Duration) -> String {
    if d.as_secs().is_multiple_of(DAY.as_secs()) {
        format!("{}d", d.as_secs() / DAY.as_secs())
    } else {
        human(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_need_a_unit_and_stay_in_range() {
        assert_eq!(parse_age("30d"), Ok(DAY * 30));
        assert_eq!(parse_age("12h"), Ok(Duration::from_secs(43_200)));
        assert_eq!(parse_age("0d"), Ok(Duration::ZERO));
        assert_eq!(parse_age("36600d"), Ok(DAY * 36_600));
        for bad in [
            "30",
            "36601d",
            "-1d",
            "1.5d",
            "d",
            "",
            "1w",
            "99999999999999999999d",
        ] {
            assert!(parse_age(bad).is_err(), "{bad}");
        }
        assert!(!parse_age("7dXYZ").unwrap_err().contains("XYZ"));
        assert_eq!(span(DAY * 30), "30d");
        assert_eq!(span(Duration::from_secs(5400)), "1h 30m");
    }
}
