//! The AWS services that take API keys, and each one's facts in one table.
//!
//! AWS documents API keys as a family: "API keys for AWS services" in the IAM User Guide
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_api_keys_for_aws_services.html>).
//! Short-term keys (SigV4-presigned `CallWithBearerToken` requests, up to 12 hours) exist
//! for Amazon Bedrock, Claude Platform on AWS and Amazon SageMaker AI; long-term keys (IAM
//! service-specific credentials) for every service here but SageMaker AI.
//!
//! Every fact in [`FACTS`] names the AWS page it comes from. Where AWS does not say, the
//! fact is `None`: it is left out rather than guessed.

use std::fmt;
use std::str::FromStr;

use crate::{Error, ErrorKind};

/// An AWS service that takes API keys. [`Service::Bedrock`] is the default everywhere.
///
/// New services may be added in minor releases, so `match` on it with a wildcard arm.
///
/// ```
/// use aws_bedrock_token_generator::Service;
///
/// let s: Service = "claude-platform".parse()?;
/// assert_eq!(s, Service::ClaudePlatform);
/// assert_eq!(s.display_name(), "Claude Platform on AWS");
/// assert_eq!(s.token_prefix(), Some("aws-external-anthropic-api-key-"));
/// assert_eq!(Service::default(), Service::Bedrock);
/// # Ok::<(), aws_bedrock_token_generator::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
#[non_exhaustive]
pub enum Service {
    /// Amazon Bedrock: short-term (`bedrock-api-key-…`) and long-term (`ABSK…`) keys.
    #[default]
    Bedrock,
    /// Claude Platform on AWS: short-term (`aws-external-anthropic-api-key-…`) and
    /// long-term (`AEAA…`) keys.
    ClaudePlatform,
    /// Amazon CloudWatch (OTLP metrics): long-term keys only.
    CloudWatch,
    /// Amazon CloudWatch Logs (HTTP ingestion endpoints): long-term keys only.
    CloudWatchLogs,
    /// AWS X-Ray (OTLP traces): long-term keys only.
    XRay,
    /// Amazon SageMaker AI (real-time endpoints' OpenAI-compatible path): short-term keys
    /// only (`sagemaker-api-key-…`).
    SageMaker,
}

/// The kinds of API key AWS offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyKind {
    /// A SigV4-presigned request, valid up to 12 hours.
    ShortTerm,
    /// An IAM service-specific credential.
    LongTerm,
}

/// What a short-term key of a service is signed for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ShortTerm {
    /// The host the presigned `POST /?Action=CallWithBearerToken` is signed for.
    pub host: &'static str,
    /// The SigV4 service name in the credential scope.
    pub signing_name: &'static str,
    /// The prefix in front of the base64 of the presigned URL.
    pub token_prefix: &'static str,
}

/// One service's facts. `None`: AWS does not document it (see the module docs).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Facts {
    pub service: Service,
    pub display_name: &'static str,
    pub cli_name: &'static str,
    pub cli_aliases: &'static [&'static str],
    pub short_term: Option<ShortTerm>,
    pub iam_service_name: Option<&'static str>,
    /// The ARN (partition `aws`) of the AWS managed policy the console attaches to a
    /// key's IAM user.
    pub managed_policy_arn: Option<&'static str>,
    pub long_term_prefix: Option<&'static str>,
    /// Whether AWS documents long-term keys (IAM service-specific credentials).
    pub long_term: bool,
    /// The regional endpoint requests with a key go to, `{region}` standing for the
    /// region and `{dns_suffix}` for its partition's DNS suffix
    /// ([`names::dns_suffix`](crate::names::dns_suffix)).
    pub runtime_url: Option<&'static str>,
    /// The regional endpoint of the service's control plane (Bedrock's model and
    /// inference-profile reads), in the same form as [`Facts::runtime_url`].
    pub control_plane_url: Option<&'static str>,
    /// Where the service's OpenAI-compatible API is, under [`Facts::runtime_url`].
    pub openai_path: Option<&'static str>,
    pub key_variable: Option<&'static str>,
    /// How the console names the IAM users it creates for long-term keys.
    pub console_user_prefix: Option<&'static str>,
}

/// The facts, one row per service, in [`Service`] order.
pub(crate) const FACTS: [Facts; 6] = [
    Facts {
        service: Service::Bedrock,
        display_name: "Amazon Bedrock",
        cli_name: "bedrock",
        cli_aliases: &[],
        // Host, SigV4 name and prefix: the official generator (PyPI
        // `aws-bedrock-token-generator`) that "Generate Amazon Bedrock API keys" points to,
        // https://docs.aws.amazon.com/bedrock/latest/userguide/api-keys.html
        // (checked byte for byte by tests/keys/conformance.rs).
        short_term: Some(ShortTerm {
            host: "bedrock.amazonaws.com",
            signing_name: "bedrock",
            token_prefix: "bedrock-api-key-",
        }),
        // https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_bedrock.html
        // (`--service-name bedrock.amazonaws.com`).
        iam_service_name: Some("bedrock.amazonaws.com"),
        // IAM User Guide, API keys for AWS services, "Supported services" table:
        // https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_api_keys_for_aws_services.html
        managed_policy_arn: Some("arn:aws:iam::aws:policy/AmazonBedrockLimitedAccess"),
        // The key text of long-term Bedrock keys (`ABSK` + base64(`<alias>:<secret>`)),
        // as issued by IAM (not stated on an AWS page).
        long_term_prefix: Some("ABSK"),
        long_term: true,
        // AWS General Reference, Amazon Bedrock endpoints and quotas ("Amazon Bedrock
        // runtime APIs"): https://docs.aws.amazon.com/general/latest/gr/bedrock.html
        runtime_url: Some("https://bedrock-runtime.{region}.{dns_suffix}"),
        // The same page ("Amazon Bedrock control plane APIs"): bedrock.REGION.amazonaws.com.
        control_plane_url: Some("https://bedrock.{region}.{dns_suffix}"),
        // "Supported Regions and models for ... OpenAI Chat Completions API" (Amazon Bedrock
        // User Guide): https://docs.aws.amazon.com/bedrock/latest/userguide/inference-chat-completions.html
        openai_path: Some("/openai/v1"),
        // "Use an Amazon Bedrock API key":
        // https://docs.aws.amazon.com/bedrock/latest/userguide/api-keys-use.html
        key_variable: Some("AWS_BEARER_TOKEN_BEDROCK"),
        // The users the Bedrock console creates for long-term keys (`BedrockAPIKey-xxxx`),
        // as issued (not stated on an AWS page).
        console_user_prefix: Some("BedrockAPIKey-"),
    },
    Facts {
        service: Service::ClaudePlatform,
        display_name: "Claude Platform on AWS",
        cli_name: "claude-platform",
        cli_aliases: &["aws-external-anthropic"],
        // Claude Platform on AWS User Guide, Authentication:
        // https://docs.aws.amazon.com/claude-platform/latest/userguide/authentication.html
        // and its official generator, PyPI `token-generator-for-aws-external-anthropic`
        // (checked byte for byte by tests/keys/conformance.rs).
        short_term: Some(ShortTerm {
            host: "aws-external-anthropic.amazonaws.com",
            signing_name: "aws-external-anthropic",
            token_prefix: "aws-external-anthropic-api-key-",
        }),
        // IAM User Guide, API keys for AWS services (see above).
        iam_service_name: Some("aws-external-anthropic.amazonaws.com"),
        // IAM User Guide, API keys for AWS services, and the policy's page:
        // https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AnthropicInferenceAccess.html
        managed_policy_arn: Some("arn:aws:iam::aws:policy/AnthropicInferenceAccess"),
        // The key text of long-term Claude Platform keys, as issued by IAM (not stated on
        // an AWS page).
        long_term_prefix: Some("AEAA"),
        long_term: true,
        // The Authentication page above: the regional endpoint.
        runtime_url: Some("https://aws-external-anthropic.{region}.api.aws"),
        control_plane_url: None,
        openai_path: None,
        // Not on an AWS page: the variable the Anthropic SDK's `AnthropicAWS` client reads
        // (its source, anthropic 2.10.0), which the Authentication page above points to
        // for client configuration.
        key_variable: Some("ANTHROPIC_AWS_API_KEY"),
        // The users the Claude Platform on AWS console creates (`AeaApiKey-…`), as issued
        // (not stated on an AWS page).
        console_user_prefix: Some("AeaApiKey-"),
    },
    Facts {
        service: Service::CloudWatch,
        display_name: "Amazon CloudWatch",
        cli_name: "cloudwatch",
        cli_aliases: &[],
        short_term: None,
        // IAM User Guide, API keys for AWS services, "Generating a long-term API key (AWS
        // CLI)": "For Amazon CloudWatch: ... --service-name cloudwatch.amazonaws.com"; and
        // the Metrics page below, step 2.
        iam_service_name: Some("cloudwatch.amazonaws.com"),
        // "Setting up bearer token authentication for Metrics":
        // https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-OTLP-MetricsBearerTokenAuth.html
        managed_policy_arn: Some("arn:aws:iam::aws:policy/CloudWatchAPIKeyAccess"),
        long_term_prefix: None,
        long_term: true,
        runtime_url: None,
        control_plane_url: None,
        openai_path: None,
        key_variable: None,
        console_user_prefix: None,
    },
    Facts {
        service: Service::CloudWatchLogs,
        display_name: "Amazon CloudWatch Logs",
        cli_name: "cloudwatch-logs",
        cli_aliases: &[],
        short_term: None,
        // IAM User Guide, API keys for AWS services, "Generating a long-term API key (AWS
        // CLI)": "For Amazon CloudWatch Logs: ... --service-name logs.amazonaws.com"; and
        // the page below, step 2.
        iam_service_name: Some("logs.amazonaws.com"),
        // "Setting up bearer token authentication" (CloudWatch Logs):
        // https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CWL_HTTP_Endpoints_BearerTokenAuth.html
        managed_policy_arn: Some("arn:aws:iam::aws:policy/CloudWatchLogsAPIKeyAccess"),
        long_term_prefix: None,
        long_term: true,
        runtime_url: None,
        control_plane_url: None,
        openai_path: None,
        key_variable: None,
        console_user_prefix: None,
    },
    Facts {
        service: Service::XRay,
        display_name: "AWS X-Ray",
        cli_name: "xray",
        cli_aliases: &[],
        short_term: None,
        // "Setting up bearer token authentication for traces": "an IAM service-specific
        // credential for `xray.amazonaws.com`",
        // https://docs.aws.amazon.com/xray/latest/devguide/xray-opentelemetry-bearer-token.html
        iam_service_name: Some("xray.amazonaws.com"),
        // https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSXRayAPIKeyAccess.html
        // ("Grants permissions to call AWS X-Ray using API key authentication").
        managed_policy_arn: Some("arn:aws:iam::aws:policy/AWSXRayAPIKeyAccess"),
        long_term_prefix: None,
        long_term: true,
        runtime_url: None,
        control_plane_url: None,
        openai_path: None,
        key_variable: None,
        console_user_prefix: None,
    },
    Facts {
        service: Service::SageMaker,
        display_name: "Amazon SageMaker AI",
        cli_name: "sagemaker",
        cli_aliases: &["sagemaker-ai"],
        // Host, SigV4 name and prefix: the official generator, PyPI `sagemaker-core` 2.27.0,
        // `sagemaker/core/token_generator/token_generator.py` (`DEFAULT_HOST`,
        // `SERVICE_NAME`, `AUTH_PREFIX`), which "Invoke endpoints with OpenAI-compatible
        // APIs" uses:
        // https://docs.aws.amazon.com/sagemaker/latest/dg/realtime-endpoints-openai-compatible.html
        // (checked byte for byte by tests/keys/conformance.rs).
        short_term: Some(ShortTerm {
            host: "sagemaker.amazonaws.com",
            signing_name: "sagemaker",
            token_prefix: "sagemaker-api-key-",
        }),
        // The IAM User Guide's table of services with API keys has no SageMaker AI row, and
        // the page above: "No additional secrets or API keys are required".
        iam_service_name: None,
        managed_policy_arn: None,
        long_term_prefix: None,
        long_term: false,
        // The page above: "The base URL follows this format:
        // https://runtime.sagemaker.{REGION}.amazonaws.com/endpoints/{ENDPOINT_NAME}/openai/v1"
        // (an inference component: `.../endpoints/{ENDPOINT_NAME}/inference-components/
        // {IC_NAME}/openai/v1`).
        runtime_url: Some("https://runtime.sagemaker.{region}.{dns_suffix}"),
        control_plane_url: None,
        openai_path: Some("/endpoints/{endpoint}/openai/v1"),
        // Not on an AWS page (which advises against keeping tokens in environment
        // variables, and names none): the AWS SDKs' convention for bearer keys,
        // `AWS_BEARER_TOKEN_<SigV4 name>` (as `AWS_BEARER_TOKEN_BEDROCK`). Deliberately
        // not the OpenAI SDKs' `OPENAI_API_KEY`: with no base URL set, they would send an
        // AWS key to OpenAI.
        key_variable: Some("AWS_BEARER_TOKEN_SAGEMAKER"),
        console_user_prefix: None,
    },
];

impl Service {
    /// Every service, in a fixed order (Bedrock first).
    pub const ALL: [Service; 6] = [
        Service::Bedrock,
        Service::ClaudePlatform,
        Service::CloudWatch,
        Service::CloudWatchLogs,
        Service::XRay,
        Service::SageMaker,
    ];

    pub(crate) fn facts(self) -> &'static Facts {
        // FACTS is in the same order as ALL (checked by a test).
        let facts = &FACTS[self as usize];
        debug_assert_eq!(facts.service, self);
        facts
    }

    /// The name AWS gives the service, e.g. "Amazon Bedrock", "Claude Platform on AWS".
    pub fn display_name(self) -> &'static str {
        self.facts().display_name
    }

    /// The short name used on command lines and in configuration, e.g. `bedrock`,
    /// `claude-platform`. [`Service::from_str`] accepts it (and a few aliases).
    pub fn name(self) -> &'static str {
        self.facts().cli_name
    }

    /// Other names [`Service::from_str`] accepts (`aws-external-anthropic` for Claude
    /// Platform on AWS, its SigV4 name).
    pub fn aliases(self) -> &'static [&'static str] {
        self.facts().cli_aliases
    }

    /// Whether AWS offers keys of this kind for the service.
    pub fn supports(self, kind: KeyKind) -> bool {
        match kind {
            KeyKind::ShortTerm => self.facts().short_term.is_some(),
            KeyKind::LongTerm => self.facts().long_term,
        }
    }

    pub(crate) fn short_term(self) -> Option<&'static ShortTerm> {
        self.facts().short_term.as_ref()
    }

    /// The host a short-term key is signed for (`bedrock.amazonaws.com`), or `None` for a
    /// service without short-term keys.
    pub fn signing_host(self) -> Option<&'static str> {
        self.short_term().map(|s| s.host)
    }

    /// The SigV4 service name of a short-term key's credential scope (`bedrock`,
    /// `aws-external-anthropic`), or `None` for a service without short-term keys.
    pub fn signing_name(self) -> Option<&'static str> {
        self.short_term().map(|s| s.signing_name)
    }

    /// The prefix of a short-term key (`bedrock-api-key-`), or `None` for a service
    /// without short-term keys.
    pub fn token_prefix(self) -> Option<&'static str> {
        self.short_term().map(|s| s.token_prefix)
    }

    /// The IAM service name of the service's long-term keys (`ServiceName` in IAM's
    /// service-specific credential calls), or `None` where AWS does not document it.
    pub fn iam_service_name(self) -> Option<&'static str> {
        self.facts().iam_service_name
    }

    /// The name of the AWS managed policy the console attaches to the IAM user of a
    /// long-term key (`AmazonBedrockLimitedAccess`), where AWS documents one.
    pub fn managed_policy(self) -> Option<&'static str> {
        self.managed_policy_arn()
            .and_then(|arn| arn.rsplit('/').next())
    }

    /// [`Service::managed_policy`] as an ARN in the `aws` partition (in other
    /// partitions, pass the policy's ARN there).
    pub fn managed_policy_arn(self) -> Option<&'static str> {
        self.facts().managed_policy_arn
    }

    /// The prefix of the service's long-term key text (`ABSK`, `AEAA`), where known.
    pub fn long_term_prefix(self) -> Option<&'static str> {
        self.facts().long_term_prefix
    }

    /// The service's regional endpoint for requests with a key, in `region` and its
    /// partition: `https://bedrock-runtime.us-west-2.amazonaws.com`,
    /// `https://bedrock-runtime.cn-north-1.amazonaws.com.cn`,
    /// `https://aws-external-anthropic.us-west-2.api.aws`,
    /// `https://runtime.sagemaker.us-west-2.amazonaws.com`; `None` where this crate does
    /// not know it.
    pub fn runtime_url(self, region: &str) -> Option<String> {
        self.facts().runtime_url.map(|t| endpoint(t, region))
    }

    /// The service's control-plane endpoint in `region` and its partition
    /// (`https://bedrock.us-west-2.amazonaws.com`), where keys are also accepted; `None`
    /// where this crate does not know one.
    pub fn control_plane_url(self, region: &str) -> Option<String> {
        self.facts().control_plane_url.map(|t| endpoint(t, region))
    }

    /// The path of the service's OpenAI-compatible API under [`Service::runtime_url`]:
    /// `/openai/v1` for Bedrock; for SageMaker AI `/endpoints/{endpoint}/openai/v1`, where
    /// `{endpoint}` stands for the endpoint's name (an inference component's is
    /// `/endpoints/{endpoint}/inference-components/{component}/openai/v1`).
    pub fn openai_path(self) -> Option<&'static str> {
        self.facts().openai_path
    }

    /// The environment variable clients read the service's key from
    /// (`AWS_BEARER_TOKEN_BEDROCK`; `ANTHROPIC_AWS_API_KEY` for Claude Platform on AWS;
    /// `AWS_BEARER_TOKEN_SAGEMAKER` for SageMaker AI, after the AWS SDKs' convention).
    pub fn key_variable(self) -> Option<&'static str> {
        self.facts().key_variable
    }

    /// How the service's console names the IAM users it creates for long-term keys
    /// (`BedrockAPIKey-`, `AeaApiKey-`), where known.
    pub fn console_user_prefix(self) -> Option<&'static str> {
        self.facts().console_user_prefix
    }

    /// The service whose long-term key prefix (`ABSK`, `AEAA`) `key` starts with. Only the
    /// prefix is looked at: see [`LongTermKeyInfo::parse`](crate::LongTermKeyInfo::parse)
    /// for a full check.
    pub fn from_long_term_key(key: &str) -> Option<Service> {
        Service::ALL
            .into_iter()
            .find(|s| s.long_term_prefix().is_some_and(|p| key.starts_with(p)))
    }

    /// The service whose short-term key prefix `key` starts with, and its short-term facts.
    pub(crate) fn from_short_term_key(key: &str) -> Option<(Service, &'static ShortTerm)> {
        Service::ALL.into_iter().find_map(|s| {
            s.short_term()
                .filter(|t| key.starts_with(t.token_prefix))
                .map(|t| (s, t))
        })
    }

    /// The service whose IAM service name is `name`.
    pub fn from_iam_service_name(name: &str) -> Option<Service> {
        Service::ALL
            .into_iter()
            .find(|s| s.iam_service_name() == Some(name))
    }

    /// A typed error for asking `self` for a kind of key it does not have.
    pub(crate) fn unsupported(self, what: &str) -> Error {
        Error::new(
            ErrorKind::UnsupportedService,
            format!("{} has no {what}", self.display_name()),
        )
    }
}

/// `template` with `{region}` and `{dns_suffix}` filled in for `region`.
fn endpoint(template: &str, region: &str) -> String {
    let suffix = crate::names::dns_suffix(crate::names::partition_of(region));
    template
        .replace("{region}", region)
        .replace("{dns_suffix}", suffix)
}

impl fmt::Display for Service {
    /// The display name, e.g. "Claude Platform on AWS".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.display_name())
    }
}

impl FromStr for Service {
    type Err = Error;

    /// Accepts [`Service::name`] or one of [`Service::aliases`], ASCII case-insensitively.
    fn from_str(s: &str) -> Result<Self, Error> {
        let s = s.trim();
        Service::ALL
            .into_iter()
            .find(|svc| {
                svc.name().eq_ignore_ascii_case(s)
                    || svc.aliases().iter().any(|a| a.eq_ignore_ascii_case(s))
            })
            .ok_or_else(|| {
                let names: Vec<&str> = Service::ALL.iter().map(|s| s.name()).collect();
                Error::new(
                    ErrorKind::UnsupportedService,
                    format!("unknown service name; use one of: {}", names.join(", ")),
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_in_enum_order_and_names_are_unique() {
        for (i, s) in Service::ALL.into_iter().enumerate() {
            assert_eq!(FACTS[i].service, s);
            assert_eq!(s.facts().service, s);
        }
        let mut names: Vec<&str> = Service::ALL
            .iter()
            .flat_map(|s| std::iter::once(s.name()).chain(s.aliases().iter().copied()))
            .collect();
        let n = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), n);
    }

    #[test]
    fn bedrock_facts_match_the_crate_constants() {
        let b = Service::Bedrock;
        assert_eq!(b.signing_host(), Some("bedrock.amazonaws.com"));
        assert_eq!(b.signing_name(), Some("bedrock"));
        assert_eq!(b.token_prefix(), Some("bedrock-api-key-"));
        assert_eq!(b.display_name(), "Amazon Bedrock");
        assert_eq!(b.key_variable(), Some("AWS_BEARER_TOKEN_BEDROCK"));
    }

    #[test]
    fn parses_names_and_aliases() {
        for (text, s) in [
            ("bedrock", Service::Bedrock),
            ("claude-platform", Service::ClaudePlatform),
            ("aws-external-anthropic", Service::ClaudePlatform),
            ("Claude-Platform", Service::ClaudePlatform),
            ("cloudwatch", Service::CloudWatch),
            ("cloudwatch-logs", Service::CloudWatchLogs),
            ("xray", Service::XRay),
            ("sagemaker", Service::SageMaker),
            ("SageMaker-AI", Service::SageMaker),
        ] {
            assert_eq!(text.parse::<Service>().unwrap(), s, "{text}");
        }
        let e = "anthropic".parse::<Service>().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::UnsupportedService);
        assert!(e.to_string().contains("bedrock, claude-platform"), "{e}");
    }

    #[test]
    fn prefixes_find_their_service() {
        assert_eq!(
            Service::from_short_term_key("aws-external-anthropic-api-key-x").map(|s| s.0),
            Some(Service::ClaudePlatform)
        );
        assert_eq!(
            Service::from_short_term_key("bedrock-api-key-x").map(|s| s.0),
            Some(Service::Bedrock)
        );
        assert_eq!(
            Service::from_long_term_key("AEAAxyz"),
            Some(Service::ClaudePlatform)
        );
        assert_eq!(
            Service::from_long_term_key("ABSKxyz"),
            Some(Service::Bedrock)
        );
        assert_eq!(Service::from_long_term_key("AKIA"), None);
        assert_eq!(
            Service::from_short_term_key("sagemaker-api-key-x").map(|s| s.0),
            Some(Service::SageMaker)
        );
        assert!(Service::SageMaker.supports(KeyKind::ShortTerm));
        assert!(!Service::SageMaker.supports(KeyKind::LongTerm));
        assert_eq!(Service::SageMaker.display_name(), "Amazon SageMaker AI");
        assert_eq!(
            Service::SageMaker.runtime_url("eu-west-1").as_deref(),
            Some("https://runtime.sagemaker.eu-west-1.amazonaws.com")
        );
        // The partition's DNS suffix, not always amazonaws.com.
        assert_eq!(
            Service::Bedrock.runtime_url("cn-north-1").as_deref(),
            Some("https://bedrock-runtime.cn-north-1.amazonaws.com.cn")
        );
        assert_eq!(
            Service::Bedrock
                .control_plane_url("us-gov-west-1")
                .as_deref(),
            Some("https://bedrock.us-gov-west-1.amazonaws.com")
        );
        assert_eq!(
            Service::Bedrock
                .control_plane_url("us-isof-south-1")
                .as_deref(),
            Some("https://bedrock.us-isof-south-1.csp.hci.ic.gov")
        );
        assert_eq!(Service::SageMaker.control_plane_url("us-east-1"), None);
        assert_eq!(
            Service::from_iam_service_name("logs.amazonaws.com"),
            Some(Service::CloudWatchLogs)
        );
        assert_eq!(
            Service::from_iam_service_name("cloudwatch.amazonaws.com"),
            Some(Service::CloudWatch)
        );
        assert_eq!(
            Service::from_iam_service_name("aws-external-anthropic.amazonaws.com"),
            Some(Service::ClaudePlatform)
        );
        assert!(!Service::XRay.supports(KeyKind::ShortTerm));
        assert!(Service::XRay.supports(KeyKind::LongTerm));
        assert_eq!(
            Service::ClaudePlatform.managed_policy_arn(),
            Some("arn:aws:iam::aws:policy/AnthropicInferenceAccess")
        );
        assert_eq!(
            Service::CloudWatchLogs.managed_policy(),
            Some("CloudWatchLogsAPIKeyAccess")
        );
    }
}
