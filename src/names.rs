//! AWS name rules, one function each: IAM names, account ids, ARN partitions, regions and
//! the aliases of long-term keys. Every check of such a name in the crate goes through
//! here, so that two places cannot disagree; the callers make the error, since they know
//! which input the name came from.
//!
//! Each rule names the AWS page it comes from. The checks are on bytes or ASCII
//! characters only: any multi-byte character fails every rule here.

/// The longest IAM user name and IAM role name: 64 characters.
/// (IAM API Reference, `CreateUser` and `CreateRole`, `UserName` / `RoleName`:
/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateUser.html>.)
pub const MAX_IAM_NAME_LEN: usize = 64;

/// The length of an AWS account id: 12 digits
/// (<https://docs.aws.amazon.com/accounts/latest/reference/manage-acct-identifiers.html>).
const ACCOUNT_ID_LEN: usize = 12;

/// The longest region name accepted: 63 characters (a DNS label, since the region is part
/// of every endpoint host name).
const MAX_REGION_LEN: usize = 63;

/// The characters of IAM user, role and role session names, `[\w+=,.@-]` with `\w` ASCII
/// (IAM API Reference, `UserName`: "upper and lowercase alphanumeric characters with no
/// spaces. You can also include any of the following characters: _+=,.@-";
/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateUser.html>).
pub fn is_iam_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '+' | '=' | ',' | '.' | '@' | '-')
}

/// `min` to `max` characters, each [`is_iam_name_char`] (all ASCII, so bytes are
/// characters).
fn is_iam_name(name: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&name.len()) && name.chars().all(is_iam_name_char)
}

/// An IAM user name: 1 to 64 [IAM name characters](is_iam_name_char).
pub fn is_iam_user_name(name: &str) -> bool {
    is_iam_name(name, 1, MAX_IAM_NAME_LEN)
}

/// An IAM role name: 1 to 64 [IAM name characters](is_iam_name_char)
/// (<https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html>).
#[cfg_attr(not(feature = "default-chain"), allow(dead_code))]
pub fn is_iam_role_name(name: &str) -> bool {
    is_iam_name(name, 1, MAX_IAM_NAME_LEN)
}

/// A role session name: 2 to 64 [IAM name characters](is_iam_name_char) (STS API
/// Reference, `AssumeRole`, `RoleSessionName`:
/// <https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html>).
#[cfg_attr(not(feature = "default-chain"), allow(dead_code))]
pub fn is_role_session_name(name: &str) -> bool {
    is_iam_name(name, 2, MAX_IAM_NAME_LEN)
}

/// An AWS account id: exactly 12 ASCII digits (leading zeros included).
pub fn is_account_id(id: &str) -> bool {
    id.len() == ACCOUNT_ID_LEN && id.bytes().all(|b| b.is_ascii_digit())
}

/// Groups of lower-case ASCII letters and digits joined by single hyphens: no empty
/// group, so no leading, trailing or doubled hyphen.
fn is_hyphenated_lower_alnum(s: &str) -> bool {
    s.split('-').all(|group| {
        !group.is_empty()
            && group
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    })
}

/// An ARN partition: `aws`, or `aws-` followed by groups of lower-case letters and
/// digits joined by single hyphens (`aws-cn`, `aws-us-gov`, `aws-iso`, `aws-iso-b`,
/// `aws-iso-e`, `aws-iso-f`, `aws-eusc`; "Amazon Resource Names (ARNs)",
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html>, and the
/// partitions of the AWS SDKs' `partitions.json`). `aws--` and `aws-cn-` are not.
pub fn is_partition(partition: &str) -> bool {
    partition == "aws"
        || partition
            .strip_prefix("aws-")
            .is_some_and(is_hyphenated_lower_alnum)
}

/// A region name as the AWS SDKs accept it: groups of lower-case ASCII letters and
/// digits joined by single hyphens, starting with a letter, at most 63 characters
/// (`us-east-1`, `us-gov-west-1`, `eusc-de-east-1`; also the SDKs' `local`).
pub fn is_region(region: &str) -> bool {
    !region.is_empty()
        && region.len() <= MAX_REGION_LEN
        && region.starts_with(|c: char| c.is_ascii_lowercase())
        && is_hyphenated_lower_alnum(region)
}

/// The ARN partition of a region, by the region patterns of the AWS partitions file
/// (`aws` for anything else, including an empty region).
pub fn partition_of(region: &str) -> &'static str {
    const PARTITIONS: [(&str, &str); 7] = [
        ("cn-", "aws-cn"),
        ("us-gov-", "aws-us-gov"),
        ("us-iso-", "aws-iso"),
        ("us-isob-", "aws-iso-b"),
        ("us-isof-", "aws-iso-f"),
        ("eu-isoe-", "aws-iso-e"),
        ("eusc-", "aws-eusc"),
    ];
    PARTITIONS
        .iter()
        .find(|(prefix, _)| region.starts_with(prefix))
        .map_or("aws", |&(_, partition)| partition)
}

/// The DNS suffix of a partition's regional endpoints (`dnsSuffix` in the AWS SDKs'
/// `partitions.json`, the partition table every SDK's endpoint rules read): `aws` and
/// `aws-us-gov` `amazonaws.com`, `aws-cn` `amazonaws.com.cn`, `aws-iso` `c2s.ic.gov`,
/// `aws-iso-b` `sc2s.sgov.gov`, `aws-iso-e` `cloud.adc-e.uk`, `aws-iso-f`
/// `csp.hci.ic.gov`, `aws-eusc` `amazonaws.eu`; `amazonaws.com` for any other.
pub fn dns_suffix(partition: &str) -> &'static str {
    match partition {
        "aws-cn" => "amazonaws.com.cn",
        "aws-iso" => "c2s.ic.gov",
        "aws-iso-b" => "sc2s.sgov.gov",
        "aws-iso-e" => "cloud.adc-e.uk",
        "aws-iso-f" => "csp.hci.ic.gov",
        "aws-eusc" => "amazonaws.eu",
        _ => "amazonaws.com",
    }
}

/// The six fields of an ARN, `arn:<partition>:<service>:<region>:<account>:<resource>`
/// ("Amazon Resource Names (ARNs)",
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html>). The resource
/// is the rest, colons included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arn<'a> {
    /// `aws`, `aws-cn`, ... (not checked: see [`is_partition`]).
    pub partition: &'a str,
    /// The service namespace (`iam`, `bedrock`).
    pub service: &'a str,
    /// The region, empty for global resources (IAM's).
    pub region: &'a str,
    /// The account id, `aws` for AWS managed policies, or empty.
    pub account: &'a str,
    /// The resource (`role/name`, `policy/name`, ...).
    pub resource: &'a str,
}

/// The longest ARN IAM takes (`RoleArn`, `PolicyArn`: 20 to 2048 characters).
pub const MAX_ARN_LEN: usize = 2048;

/// `arn` split into its fields: `None` unless it starts with `arn:`, has six fields and is
/// at most [`MAX_ARN_LEN`] long. The fields are not checked: each caller applies the rules
/// of the resource it expects (a role name, a policy name).
pub fn parse_arn(arn: &str) -> Option<Arn<'_>> {
    if arn.len() > MAX_ARN_LEN {
        return None;
    }
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(partition), Some(service), Some(region), Some(account), Some(resource)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    Some(Arn {
        partition,
        service,
        region,
        account,
        resource,
    })
}

/// What an AWS access key id says about its credentials, by its prefix ("Understanding
/// unique ID prefixes", IAM User Guide:
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-unique-ids>).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessKeyKind {
    /// `AKIA`: an IAM user's long-term access key.
    LongTerm,
    /// `ASIA`: temporary credentials (a role or federated session, from STS).
    Temporary,
}

/// The kind of access key `id` is, if it is `AKIA` or `ASIA` followed by 16 to 124 ASCII
/// letters and digits (IAM's `AccessKeyId`: 16 to 128 characters); `None` for anything else.
pub fn access_key_kind(id: &str) -> Option<AccessKeyKind> {
    if !(20..=128).contains(&id.len()) || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    match &id[..4] {
        "AKIA" => Some(AccessKeyKind::LongTerm),
        "ASIA" => Some(AccessKeyKind::Temporary),
        _ => None,
    }
}

/// The id of a service-specific credential (a long-term key's id, `ACCA…`): 20 to 128
/// characters of `[\w]` (ASCII letters, digits, `_`; IAM API Reference,
/// `ServiceSpecificCredentialId`:
/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_ServiceSpecificCredential.html>).
pub fn is_key_id(id: &str) -> bool {
    (20..=128).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// The longest long-term key alias accepted: IAM's `ServiceCredentialAlias` allows up to
/// 200 characters (a user name of at most 64, `-at-`, a 12-digit account id and a
/// suffix).
pub const MAX_ALIAS_LEN: usize = 200;

/// A long-term key's alias (IAM's `ServiceCredentialAlias`) into the IAM user name and the
/// account id, when it has the form `<user name>-at-<12 digits>`, possibly followed by a
/// suffix that does not start with a digit. IAM documents the alias as "the IAM user name
/// and a suffix containing version and creation information", and the names of
/// service-specific credentials as "the IAM user's name combined with the ID number of the
/// AWS account, as in jane-at-123456789012"
/// (<https://docs.aws.amazon.com/IAM/latest/APIReference/API_ServiceSpecificCredential.html>).
/// The user part is everything before the last `-at-` that is followed by 12 digits, and
/// must be an [IAM user name](is_iam_user_name). `None` for any other alias.
pub fn split_alias(alias: &str) -> Option<(&str, &str)> {
    alias.rmatch_indices("-at-").find_map(|(at, sep)| {
        let user = &alias[..at];
        let rest = &alias[at + sep.len()..];
        let account = rest.get(..ACCOUNT_ID_LEN)?;
        let suffix = &rest[ACCOUNT_ID_LEN..];
        let ends = !suffix.starts_with(|c: char| c.is_ascii_digit());
        (is_iam_user_name(user) && is_account_id(account) && ends).then_some((user, account))
    })
}

#[cfg(test)]
mod tests {

    #[test]
    fn arns_split_into_six_fields() {
        let arn = parse_arn("arn:aws:iam::aws:policy/AmazonBedrockLimitedAccess").unwrap();
        assert_eq!(
            (
                arn.partition,
                arn.service,
                arn.region,
                arn.account,
                arn.resource
            ),
            ("aws", "iam", "", "aws", "policy/AmazonBedrockLimitedAccess")
        );
        let arn = parse_arn("arn:aws:bedrock:us-east-1::foundation-model/a.b:0").unwrap();
        assert_eq!(arn.resource, "foundation-model/a.b:0");
        for bad in [
            "",
            "arn:aws:iam::123456789012",
            "urn:aws:iam::1:role/x",
            &format!("arn:aws:iam::123456789012:role/{}", "a".repeat(2048)),
        ] {
            assert_eq!(parse_arn(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn access_key_kinds_by_prefix() {
        assert_eq!(
            access_key_kind("AKIAEXAMPLEEXAMPLE01"),
            Some(AccessKeyKind::LongTerm)
        );
        assert_eq!(
            access_key_kind("ASIAEXAMPLEEXAMPLE01"),
            Some(AccessKeyKind::Temporary)
        );
        for bad in [
            "AKIA",
            "AKIDEXAMPLE",
            "AIDAEXAMPLEEXAMPLE01",
            "AKIA-EXAMPLE-EXAMPLE-1",
            "AKIAÉXAMPLEEXAMPLE1",
            "",
        ] {
            assert_eq!(access_key_kind(bad), None, "{bad:?}");
        }
        assert_eq!(access_key_kind(&format!("AKIA{}", "A".repeat(125))), None);
    }
    use super::*;
    use proptest::prelude::*;

    /// Inputs every rule must refuse (none is a valid name of any kind).
    const HOSTILE: [&str; 9] = [
        "",
        "ü",
        "名前",
        "a\u{0}b",
        "a\nb",
        "a\u{7f}b",
        "a b",
        "😀",
        "a\u{200b}b",
    ];

    #[test]
    fn iam_names() {
        for ok in ["a", "alice", "Bedrock_API+Key=1,2.3@x-y", &"x".repeat(64)] {
            assert!(is_iam_user_name(ok), "{ok:?}");
            assert!(is_iam_role_name(ok), "{ok:?}");
        }
        for bad in ["alice/bob", "a:b", "a*b", "é", &"x".repeat(65)] {
            assert!(!is_iam_user_name(bad), "{bad:?}");
            assert!(!is_iam_role_name(bad), "{bad:?}");
        }
        assert!(!is_role_session_name("a"));
        assert!(is_role_session_name("ab"));
        assert!(is_role_session_name(&"a".repeat(64)));
        assert!(!is_role_session_name(&"a".repeat(65)));
        // 64 characters of two bytes each: 128 bytes, and not IAM characters anyway.
        assert!(!is_iam_user_name(&"é".repeat(32)));
        for bad in HOSTILE {
            assert!(!is_iam_user_name(bad), "{bad:?}");
            assert!(!is_iam_role_name(bad), "{bad:?}");
            assert!(!is_role_session_name(bad), "{bad:?}");
        }
        assert!(!is_iam_user_name(&"a".repeat(1 << 20)));
    }

    #[test]
    fn account_ids() {
        assert!(is_account_id("123456789012"));
        assert!(is_account_id("000000000000"));
        for bad in [
            "12345678901",
            "1234567890123",
            "12345678901x",
            "12345678901\u{661}", // ARABIC-INDIC DIGIT ONE: a digit, but not ASCII
            " 23456789012",
            "123456789012\n",
            &"1".repeat(1 << 20),
        ] {
            assert!(!is_account_id(bad), "{bad:?}");
        }
        for bad in HOSTILE {
            assert!(!is_account_id(bad), "{bad:?}");
        }
    }

    #[test]
    fn partitions() {
        for ok in [
            "aws",
            "aws-cn",
            "aws-us-gov",
            "aws-iso",
            "aws-iso-b",
            "aws-iso-e",
            "aws-iso-f",
            "aws-eusc",
        ] {
            assert!(is_partition(ok), "{ok:?}");
        }
        for bad in [
            "aws-", "aws--", "aws--cn", "aws-cn-", "aws-CN", "AWS", "awsx", "gcp", "aws-c n",
            "aws-ü", " aws", "aws\n",
        ] {
            assert!(!is_partition(bad), "{bad:?}");
        }
        for bad in HOSTILE {
            assert!(!is_partition(bad), "{bad:?}");
        }
    }

    #[test]
    fn regions() {
        for ok in [
            "us-east-1",
            "us-gov-west-1",
            "cn-north-1",
            "us-isob-east-1",
            "eu-isoe-west-1",
            "eusc-de-east-1",
            "local",
            &"a".repeat(63),
        ] {
            assert!(is_region(ok), "{ok:?}");
        }
        for bad in [
            "US-EAST-1",
            "us--east-1",
            "-us-east-1",
            "us-east-1-",
            "1us-east",
            "us_east_1",
            "us-west-2/",
            &"a".repeat(64),
        ] {
            assert!(!is_region(bad), "{bad:?}");
        }
        for bad in HOSTILE {
            assert!(!is_region(bad), "{bad:?}");
        }
    }

    #[test]
    fn partition_of_regions() {
        for (region, partition) in [
            ("us-east-1", "aws"),
            ("", "aws"),
            ("cn-northwest-1", "aws-cn"),
            ("us-gov-east-1", "aws-us-gov"),
            ("us-iso-east-1", "aws-iso"),
            ("us-isob-east-1", "aws-iso-b"),
            ("us-isof-south-1", "aws-iso-f"),
            ("eu-isoe-west-1", "aws-iso-e"),
            ("eusc-de-east-1", "aws-eusc"),
        ] {
            assert_eq!(partition_of(region), partition, "{region}");
            assert!(is_partition(partition_of(region)));
        }
    }

    #[test]
    fn key_ids() {
        assert!(is_key_id("ACCAEXAMPLEEXAMPLE01"));
        assert!(is_key_id(&"A_1".repeat(42)));
        for bad in [
            "ACCAEXAMPLEEXAMPLE0",
            "ACCA-EXAMPLE-EXAMPLE-01",
            "ACCAEXAMPLEEXAMPLEÉ1",
            "ACCAEXAMPLEEXAMPLE01\n",
            &"A".repeat(129),
        ] {
            assert!(!is_key_id(bad), "{bad:?}");
        }
        for bad in HOSTILE {
            assert!(!is_key_id(bad), "{bad:?}");
        }
    }

    #[test]
    fn aliases_split_on_the_last_account_id() {
        assert_eq!(
            split_alias("alice-at-123456789012"),
            Some(("alice", "123456789012"))
        );
        // A suffix after the account id (IAM: "version and creation information").
        for suffixed in [
            "alice-at-123456789012-x",
            "alice-at-123456789012-v1",
            "alice-at-123456789012+1",
            "alice-at-123456789012-at-x",
        ] {
            assert_eq!(
                split_alias(suffixed),
                Some(("alice", "123456789012")),
                "{suffixed}"
            );
        }
        assert_eq!(
            split_alias("bob-at-home-at-123456789012-z1"),
            Some(("bob-at-home", "123456789012"))
        );
        assert_eq!(
            split_alias("bob-at-home-at-000000000000"),
            Some(("bob-at-home", "000000000000"))
        );
        let long_user = "u".repeat(64);
        let alias = format!("{long_user}-at-123456789012");
        assert_eq!(split_alias(&alias), Some((&long_user[..], "123456789012")));
        for other in [
            "alice",
            "-at-123456789012",
            "alice-at-12345678901",
            "alice-at-1234567890123",
            "alice-at-12345678901x",
            "alice-AT-123456789012",
            "al ice-at-123456789012",
            "alicé-at-123456789012",
            &format!("{}-at-123456789012", "u".repeat(65)),
        ] {
            assert_eq!(split_alias(other), None, "{other}");
        }
        for bad in HOSTILE {
            assert_eq!(split_alias(bad), None, "{bad:?}");
        }
    }

    proptest! {
        /// Every rule agrees with its regular expression, on any string.
        #[test]
        fn rules_match_their_patterns(s in any::<String>()) {
            let iam = !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c));
            prop_assert_eq!(is_iam_user_name(&s), iam && s.len() <= 64);
            prop_assert_eq!(is_role_session_name(&s), iam && (2..=64).contains(&s.len()));
            prop_assert_eq!(is_account_id(&s), s.len() == 12 && s.chars().all(|c| c.is_ascii_digit()));
            prop_assert_eq!(
                is_key_id(&s),
                (20..=128).contains(&s.chars().count()) && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            );
            if !s.is_ascii() {
                prop_assert!(!is_partition(&s) && !is_region(&s) && split_alias(&s).is_none());
            }
        }

        #[test]
        fn iam_name_pattern(s in "[A-Za-z0-9_+=,.@-]{1,64}") {
            prop_assert!(is_iam_user_name(&s));
            prop_assert!(is_iam_role_name(&s));
        }

        #[test]
        fn valid_aliases_split(user in "[A-Za-z0-9_+=,.@-]{1,64}", account in "[0-9]{12}") {
            let alias = format!("{user}-at-{account}");
            prop_assert_eq!(split_alias(&alias), Some((&user[..], &account[..])));
        }

        #[test]
        fn partitions_and_regions_match_their_patterns(s in "[a-z0-9-]{0,70}") {
            let groups = !s.is_empty() && s.split('-').all(|g| !g.is_empty());
            prop_assert_eq!(
                is_region(&s),
                groups && s.len() <= 63 && s.starts_with(|c: char| c.is_ascii_lowercase())
            );
            let partition = s == "aws" || s.strip_prefix("aws-").is_some_and(|r| !r.is_empty() && r.split('-').all(|g| !g.is_empty()));
            prop_assert_eq!(is_partition(&s), partition);
        }
    }
}
