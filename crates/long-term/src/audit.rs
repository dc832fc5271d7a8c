//! Auditing an account's long-term keys: every key of every user, each with the findings
//! that apply. Read-only: only IAM `List*` calls.

use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, SystemTime};

use crate::names;
use crate::Service;
use crate::{Error, ErrorKind};

use super::errors::Call;
use super::key::{KeyMetadata, KeyStatus};
use super::pages::{all_pages, Page};
use super::LongTermKeys;

/// How soon an expiry must be for [`Finding::ExpiresSoon`] unless told otherwise: 30 days.
pub(crate) const DEFAULT_EXPIRING_WITHIN: Duration = Duration::from_secs(30 * 86_400);

/// How old a key must be for [`Finding::Old`] unless told otherwise: 90 days, AWS's
/// usual rotation period for long-term credentials.
pub(crate) const DEFAULT_OLDER_THAN: Duration = Duration::from_secs(90 * 86_400);

/// What [`LongTermKeys::audit`] looks at, and its thresholds.
///
/// ```
/// use std::time::Duration;
/// use aws_bedrock_token_generator::Service;
/// use aws_bedrock_token_long_term::AuditRequest;
///
/// let request = AuditRequest::new()
///     .service(Service::Bedrock)
///     .expiring_within(Duration::from_secs(7 * 86_400));
/// assert_eq!(request.selected_service(), Some(Service::Bedrock));
/// assert_eq!(request.older_than_age(), Duration::from_secs(90 * 86_400)); // the default
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRequest {
    service: Option<Service>,
    expiring_within: Duration,
    older_than: Duration,
}

impl Default for AuditRequest {
    fn default() -> Self {
        Self {
            service: None,
            expiring_within: DEFAULT_EXPIRING_WITHIN,
            older_than: DEFAULT_OLDER_THAN,
        }
    }
}

impl AuditRequest {
    /// Every service's keys; keys expiring within 30 days and keys older than 90 days
    /// have findings (see [`AuditRequest::expiring_within`], [`AuditRequest::older_than`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// Only `service`'s keys [default: every service whose IAM service name AWS documents,
    /// as [`LongTermKeys::list_service`] lists them].
    pub fn service(mut self, service: Service) -> Self {
        self.service = Some(service);
        self
    }

    /// A key expiring within `window` of the audit's time is [`Finding::ExpiresSoon`]
    /// (`Duration::ZERO`: never).
    pub fn expiring_within(mut self, window: Duration) -> Self {
        self.expiring_within = window;
        self
    }

    /// A key created more than `age` before the audit's time is [`Finding::Old`].
    pub fn older_than(mut self, age: Duration) -> Self {
        self.older_than = age;
        self
    }

    /// The service audited (`None`: every service).
    pub fn selected_service(&self) -> Option<Service> {
        self.service
    }

    /// The window of [`Finding::ExpiresSoon`].
    pub fn expiring_within_window(&self) -> Duration {
        self.expiring_within
    }

    /// The age of [`Finding::Old`].
    pub fn older_than_age(&self) -> Duration {
        self.older_than
    }

    /// The findings that apply at `now` to `key`, whose IAM user has `permissions`
    /// (`None`: not known, so [`Finding::BroadPermissions`] is not raised), in
    /// [`Finding::ALL`] order. Pure: no IAM call.
    pub fn findings(
        &self,
        key: &KeyMetadata,
        permissions: Option<&UserPermissions>,
        now: SystemTime,
    ) -> Vec<Finding> {
        let mut found = Vec::new();
        if key.is_expired_at(now) {
            found.push(Finding::Expired);
        } else {
            match key.expires_at {
                None => found.push(Finding::NeverExpires),
                Some(at) => {
                    let left = at.duration_since(now).unwrap_or_default();
                    if left <= self.expiring_within && !self.expiring_within.is_zero() {
                        found.push(Finding::ExpiresSoon);
                    }
                }
            }
        }
        let age = key
            .created_at
            .and_then(|created| now.duration_since(created).ok());
        if age.is_some_and(|age| age > self.older_than) {
            found.push(Finding::Old);
        }
        if key.status == Some(KeyStatus::Inactive) {
            found.push(Finding::Inactive);
        }
        if let (Some(service), Some(permissions)) = (key.service, permissions) {
            if permissions.is_broader_than(service) {
                found.push(Finding::BroadPermissions);
            }
        }
        if key.user_name.as_deref().is_some_and(is_console_user) {
            found.push(Finding::ConsoleUser);
        }
        found
    }
}

/// Whether `user` is named as the consoles name the users they create for long-term keys
/// (`BedrockAPIKey-…`, `AeaApiKey-…`).
pub(crate) fn is_console_user(user: &str) -> bool {
    Service::ALL
        .iter()
        .filter_map(|s| s.console_user_prefix())
        .any(|prefix| user.starts_with(prefix) && user.len() > prefix.len())
}

/// Something about a long-term key worth an administrator's attention.
///
/// [`Finding::code`] is the stable name (JSON output, scripts); new findings may come in
/// minor releases, so `match` with a wildcard arm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Finding {
    /// `never-expires`: the key has no expiration date.
    NeverExpires,
    /// `expires-soon`: the key expires within the audit's window.
    ExpiresSoon,
    /// `expired`: the key has expired but was not deleted.
    Expired,
    /// `old`: the key is older than the audit's age (it should have been rotated).
    Old,
    /// `inactive`: the key was deactivated but not deleted.
    Inactive,
    /// `broad-permissions`: the key's IAM user has permissions beyond the service's
    /// managed policy: other attached managed policies, inline policies, or group
    /// memberships. A long-term key can do whatever its user can in its service.
    BroadPermissions,
    /// `console-user`: the key's IAM user is named like one a console created
    /// (`BedrockAPIKey-…`, `AeaApiKey-…`).
    ConsoleUser,
}

impl Finding {
    /// Every finding, in the order [`AuditRequest::findings`] reports them.
    pub const ALL: [Finding; 7] = [
        Finding::NeverExpires,
        Finding::ExpiresSoon,
        Finding::Expired,
        Finding::Old,
        Finding::Inactive,
        Finding::BroadPermissions,
        Finding::ConsoleUser,
    ];

    /// The stable code: `never-expires`, `expires-soon`, `expired`, `old`, `inactive`,
    /// `broad-permissions`, `console-user`.
    pub fn code(self) -> &'static str {
        match self {
            Finding::NeverExpires => "never-expires",
            Finding::ExpiresSoon => "expires-soon",
            Finding::Expired => "expired",
            Finding::Old => "old",
            Finding::Inactive => "inactive",
            Finding::BroadPermissions => "broad-permissions",
            Finding::ConsoleUser => "console-user",
        }
    }

    /// The finding in words, e.g. "never expires".
    pub fn description(self) -> &'static str {
        match self {
            Finding::NeverExpires => "never expires",
            Finding::ExpiresSoon => "expires soon",
            Finding::Expired => "expired but not deleted",
            Finding::Old => "older than the rotation age",
            Finding::Inactive => "deactivated but not deleted",
            Finding::BroadPermissions => "its user has permissions beyond the service's policy",
            Finding::ConsoleUser => "its user was created by a console",
        }
    }
}

impl fmt::Display for Finding {
    /// The [`code`](Finding::code).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// What an IAM user may do besides its keys' service policy, as IAM lists it: attached
/// managed policies, inline policies, groups. Policy documents are not read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct UserPermissions {
    /// The ARNs of the managed policies attached to the user.
    pub attached_policy_arns: Vec<String>,
    /// The names of the user's inline policies.
    pub inline_policy_names: Vec<String>,
    /// The names of the groups the user is in (each group's policies apply to the user).
    pub group_names: Vec<String>,
}

impl UserPermissions {
    /// The attached policies other than `service`'s AWS managed policy
    /// ([`Service::managed_policy`], in any partition).
    pub fn extra_policy_arns(&self, service: Service) -> Vec<&str> {
        self.attached_policy_arns
            .iter()
            .map(String::as_str)
            .filter(|arn| !is_managed_policy_of(arn, service))
            .collect()
    }

    /// Whether the user may do more than `service`'s managed policy allows: another
    /// attached policy, an inline policy, or a group.
    pub fn is_broader_than(&self, service: Service) -> bool {
        !self.extra_policy_arns(service).is_empty()
            || !self.inline_policy_names.is_empty()
            || !self.group_names.is_empty()
    }
}

/// Whether `arn` is `service`'s AWS managed policy: `arn:<partition>:iam::aws:policy/<name>`
/// (a customer policy of the same name is not).
fn is_managed_policy_of(arn: &str, service: Service) -> bool {
    let Some(name) = service.managed_policy() else {
        return false;
    };
    matches!(
        names::parse_arn(arn),
        Some(names::Arn { partition, service: "iam", region: "", account: "aws", resource })
            if names::is_partition(partition) && resource.strip_prefix("policy/") == Some(name)
    )
}

/// One key of an audit, with what was found.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuditedKey {
    /// The key's metadata, as IAM lists it (never its text).
    pub key: KeyMetadata,
    /// What applies to it, in [`Finding::ALL`] order; empty when nothing does.
    pub findings: Vec<Finding>,
    /// Its user's permissions (`None`: the key names no user, or the user was deleted
    /// during the audit).
    pub permissions: Option<UserPermissions>,
}

impl LongTermKeys {
    /// Audits the account's long-term keys at `now`: every key of every user (of
    /// `request`'s service, or of every service whose IAM service name AWS documents), in
    /// [`LongTermKeys::list_service`] order, each with the [`Finding`]s that apply.
    ///
    /// Read-only: it calls only `iam:ListServiceSpecificCredentials`, and for each user
    /// with keys `iam:ListAttachedUserPolicies`, `iam:ListUserPolicies` and
    /// `iam:ListGroupsForUser`, each paginated and bounded as [`list`](Self::list) says.
    /// A denied call is an [`ErrorKind::AccessDenied`] error naming the IAM action. A
    /// user deleted during the audit has its permissions left unknown.
    pub async fn audit(
        &self,
        request: &AuditRequest,
        now: SystemTime,
    ) -> Result<Vec<AuditedKey>, Error> {
        let keys = self.list_service(request.service, None).await?;
        let mut permissions: BTreeMap<String, Option<UserPermissions>> = BTreeMap::new();
        for user in keys.iter().filter_map(|k| k.user_name.as_deref()) {
            if !permissions.contains_key(user) {
                // A name from IAM's listing: one its rules refuse is IAM's fault.
                super::request::from_iam(super::request::validate_user_name(user))?;
                let found = self.user_permissions(user).await?;
                permissions.insert(user.to_owned(), found);
            }
        }
        Ok(keys
            .into_iter()
            .map(|key| {
                let permissions = key
                    .user_name
                    .as_deref()
                    .and_then(|user| permissions.get(user).cloned().flatten());
                AuditedKey {
                    findings: request.findings(&key, permissions.as_ref(), now),
                    key,
                    permissions,
                }
            })
            .collect())
    }

    /// What IAM lists of `user`'s permissions; `None` if the user no longer exists.
    pub async fn user_permissions(&self, user: &str) -> Result<Option<UserPermissions>, Error> {
        super::request::validate_user_name(user)?;
        let client = self.client();
        let call = Call::new("ListAttachedUserPolicies", Some(user));
        let attached = all_pages(client, call, |marker| async move {
            let out = client
                .list_attached_user_policies()
                .user_name(user)
                .set_marker(marker)
                .send()
                .await
                .map_err(|e| call.error(e))?;
            Ok(Page {
                items: out
                    .attached_policies
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|p| p.policy_arn)
                    .collect(),
                truncated: out.is_truncated,
                marker: out.marker,
            })
        });
        let attached = match attached.await {
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
            other => other?,
        };
        let call = Call::new("ListUserPolicies", Some(user));
        let inline = all_pages(client, call, |marker| async move {
            let out = client
                .list_user_policies()
                .user_name(user)
                .set_marker(marker)
                .send()
                .await
                .map_err(|e| call.error(e))?;
            Ok(Page {
                items: out.policy_names,
                truncated: out.is_truncated,
                marker: out.marker,
            })
        });
        let inline = match inline.await {
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
            other => other?,
        };
        let call = Call::new("ListGroupsForUser", Some(user));
        let groups = all_pages(client, call, |marker| async move {
            let out = client
                .list_groups_for_user()
                .user_name(user)
                .set_marker(marker)
                .send()
                .await
                .map_err(|e| call.error(e))?;
            Ok(Page {
                items: out.groups.into_iter().map(|g| g.group_name).collect(),
                truncated: out.is_truncated,
                marker: out.marker,
            })
        });
        let groups = match groups.await {
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
            other => other?,
        };
        Ok(Some(UserPermissions {
            attached_policy_arns: attached,
            inline_policy_names: inline,
            group_names: groups,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    const NOW: Duration = Duration::from_secs(1_718_452_800);
    const DAY: Duration = Duration::from_secs(86_400);

    fn key(created_days_ago: u64, expires_in_days: Option<i64>, status: KeyStatus) -> KeyMetadata {
        let now = UNIX_EPOCH + NOW;
        KeyMetadata {
            service: Some(Service::Bedrock),
            id: Some("ACCAEXAMPLEEXAMPLE01".into()),
            user_name: Some("alice".into()),
            alias: Some("alice-at-123456789012".into()),
            account_id: Some("123456789012".into()),
            status: Some(status),
            created_at: Some(now - DAY * created_days_ago as u32),
            expires_at: expires_in_days.map(|d| {
                if d >= 0 {
                    now + DAY * d as u32
                } else {
                    now - DAY * (-d) as u32
                }
            }),
        }
    }

    fn found(k: &KeyMetadata, p: Option<&UserPermissions>) -> Vec<&'static str> {
        AuditRequest::new()
            .findings(k, p, UNIX_EPOCH + NOW)
            .into_iter()
            .map(Finding::code)
            .collect()
    }

    #[test]
    fn each_date_finding_where_it_applies() {
        use KeyStatus::*;
        assert!(found(&key(10, Some(31), Active), None).is_empty());
        assert_eq!(found(&key(10, Some(30), Active), None), ["expires-soon"]);
        assert_eq!(found(&key(10, None, Active), None), ["never-expires"]);
        assert_eq!(found(&key(10, Some(0), Active), None), ["expired"]);
        assert_eq!(found(&key(10, Some(5), Expired), None), ["expired"]);
        assert_eq!(found(&key(90, Some(100), Active), None), Vec::<&str>::new());
        assert_eq!(found(&key(91, Some(100), Active), None), ["old"]);
        assert_eq!(found(&key(1, Some(100), Inactive), None), ["inactive"]);
        assert_eq!(
            found(&key(400, None, Inactive), None),
            ["never-expires", "old", "inactive"]
        );
        // A zero window: nothing expires "soon".
        let k = key(1, Some(0), Active);
        let none = AuditRequest::new()
            .expiring_within(Duration::ZERO)
            .findings(&k, None, UNIX_EPOCH + NOW + DAY);
        assert_eq!(none, [Finding::Expired]);
    }

    #[test]
    fn broad_permissions_and_console_users() {
        let limited = "arn:aws:iam::aws:policy/AmazonBedrockLimitedAccess";
        let mut p = UserPermissions {
            attached_policy_arns: vec![limited.into()],
            ..UserPermissions::default()
        };
        let k = key(1, Some(100), KeyStatus::Active);
        assert!(found(&k, Some(&p)).is_empty());
        p.attached_policy_arns
            .push("arn:aws-cn:iam::aws:policy/AmazonBedrockLimitedAccess".into());
        assert!(found(&k, Some(&p)).is_empty(), "any partition");
        for extra in [
            |p: &mut UserPermissions| {
                p.attached_policy_arns
                    .push("arn:aws:iam::123456789012:policy/AmazonBedrockLimitedAccess".into())
            },
            |p: &mut UserPermissions| p.inline_policy_names.push("x".into()),
            |p: &mut UserPermissions| p.group_names.push("admins".into()),
        ] {
            let mut q = p.clone();
            extra(&mut q);
            assert_eq!(found(&k, Some(&q)), ["broad-permissions"]);
        }
        // Another service's policy is beyond a Bedrock key's.
        let mut claude = k.clone();
        claude.service = Some(Service::ClaudePlatform);
        assert_eq!(found(&claude, Some(&p)), ["broad-permissions"]);

        for (user, console) in [
            ("BedrockAPIKey-x1y2", true),
            ("AeaApiKey-abcd", true),
            ("BedrockAPIKey-", false),
            ("bedrockapikey-x", false),
            ("alice", false),
        ] {
            let mut k = k.clone();
            k.user_name = Some(user.into());
            assert_eq!(found(&k, None) == ["console-user"], console, "{user}");
        }
    }

    #[test]
    fn codes_are_the_contract() {
        let codes: Vec<&str> = Finding::ALL.iter().map(|f| f.code()).collect();
        assert_eq!(
            codes,
            [
                "never-expires",
                "expires-soon",
                "expired",
                "old",
                "inactive",
                "broad-permissions",
                "console-user"
            ]
        );
        assert_eq!(Finding::Old.to_string(), "old");
    }
}
