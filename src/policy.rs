//! Session policies for the assume-role step: a policy document given as JSON, or one
//! generated to allow Bedrock inference on named models only.
//!
//! A session policy can only narrow what the role allows (the role session gets the
//! intersection of the role's policies and the session policy); it never grants more.

use std::fmt;

use crate::mint::validate_region;
use crate::names::{self, partition_of};
use crate::{Error, ErrorKind, Input};

/// The most characters AWS accepts in a session policy (the `Policy` parameter of
/// `AssumeRole`), counted on the text as sent, whitespace included.
pub const MAX_SESSION_POLICY_CHARS: usize = 2048;

/// Prefixes of cross-region (system-defined) inference profile ids, as in
/// `us.anthropic.claude-3-haiku-20240307-v1:0`.
///
/// An id with one of these prefixes is allowed as an inference profile and as the
/// foundation model behind it (in any region, since the profile routes requests to
/// other regions). An id with any other prefix is taken as a foundation model id.
pub const INFERENCE_PROFILE_PREFIXES: &[&str] =
    &["us", "us-gov", "eu", "apac", "jp", "au", "global"];

/// The IAM actions a generated policy allows on the named models. AWS documents that
/// `InvokeModel` and `InvokeModelWithResponseStream` authorize the Converse API (and the
/// OpenAI-compatible chat completions on `bedrock-runtime`); `bedrock:Converse` and
/// `bedrock:ConverseStream` are listed too, so that the policy keeps working should
/// Bedrock authorize those calls under their own names. An action IAM does not know
/// grants nothing.
const INVOKE_ACTIONS: [&str; 4] = [
    "bedrock:InvokeModel",
    "bedrock:InvokeModelWithResponseStream",
    "bedrock:Converse",
    "bedrock:ConverseStream",
];

/// An inline session policy for the role session: what
/// [`TokenProviderBuilder::session_policy`](crate::TokenProviderBuilder::session_policy)
/// sends to STS as the `AssumeRole` `Policy` parameter.
///
/// Either a document you wrote ([`SessionPolicy::from_json`]) or one generated from model
/// ids ([`ModelPolicy`], which converts into this type). Validated when the provider is
/// built, or by [`SessionPolicy::to_json`].
#[derive(Clone, PartialEq, Eq)]
pub struct SessionPolicy(Repr);

#[derive(Clone, PartialEq, Eq)]
enum Repr {
    Json(String),
    Models(ModelPolicy),
}

impl SessionPolicy {
    /// A policy document as IAM JSON text, sent to STS as it is (whitespace counts toward
    /// the [`MAX_SESSION_POLICY_CHARS`] limit).
    ///
    /// It must be a well-formed JSON object with a `Statement`, at most 2048 characters,
    /// of tab, line breaks and U+0020 to U+00FF only (what STS accepts). STS checks the
    /// policy grammar itself (`MalformedPolicyDocument`), and its packed size
    /// (`PackedPolicyTooLarge`) when the role is assumed.
    pub fn from_json(document: impl Into<String>) -> Self {
        Self(Repr::Json(document.into()))
    }

    /// Shorthand for [`ModelPolicy::new`].
    pub fn allow_models<I, S>(model_ids: I) -> ModelPolicy
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        ModelPolicy::new(model_ids)
    }

    /// The policy text that would be sent to STS, after validation.
    ///
    /// For a [`ModelPolicy`] with neither region nor partition set, the partition is
    /// `aws` here; a provider derives it from the token's region instead.
    pub fn to_json(&self) -> Result<String, Error> {
        self.render(None)
    }

    /// The policy text, the partition of a model policy following `token_region` unless
    /// the policy sets its own.
    pub(crate) fn render(&self, token_region: Option<&str>) -> Result<String, Error> {
        match &self.0 {
            Repr::Json(document) => {
                check_document(document)?;
                Ok(document.clone())
            }
            Repr::Models(models) => models.render(token_region),
        }
    }
}

impl From<ModelPolicy> for SessionPolicy {
    fn from(policy: ModelPolicy) -> Self {
        Self(Repr::Models(policy))
    }
}

impl fmt::Debug for SessionPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Json(document) => f
                .debug_struct("SessionPolicy")
                .field("json_chars", &document.chars().count())
                .finish(),
            Repr::Models(models) => f.debug_tuple("SessionPolicy").field(models).finish(),
        }
    }
}

/// A session policy that allows Bedrock inference on the named models only, and calls
/// with a Bedrock API key (bearer token).
///
/// For each model id it allows `bedrock:InvokeModel` and
/// `bedrock:InvokeModelWithResponseStream` (which also authorize `Converse` and
/// `ConverseStream`) on:
///
/// - a foundation model id (`anthropic.claude-3-haiku-20240307-v1:0`):
///   `arn:<partition>:bedrock:<region>::foundation-model/<id>`;
/// - a cross-region inference profile id (`us.anthropic.claude-3-haiku-20240307-v1:0`,
///   see [`INFERENCE_PROFILE_PREFIXES`]): the profile,
///   `arn:<partition>:bedrock:<region>:<account>:inference-profile/<id>`, and the
///   foundation model behind it in any region, `arn:<partition>:bedrock:*::foundation-model/<id
///   without the prefix>` (a profile routes requests to other regions, and Bedrock checks
///   both).
///
/// and `bedrock:CallWithBearerToken` on `*`, which every call with an API key needs.
/// Region and account default to `*`. The partition is [`ModelPolicy::partition`], else
/// the one of [`ModelPolicy::region`], else (in a provider) the one of the token's region,
/// else `aws`.
///
/// Models of the OpenAI-compatible Mantle endpoint (`bedrock-mantle.<region>.api.aws`)
/// have their own ids and IAM service; see [`ModelPolicy::mantle_models`].
///
/// Model ids are checked: non-empty, at most 256 characters of ASCII letters, digits and
/// `.` `-` `_` `:`; no ARNs (write those into a policy for [`SessionPolicy::from_json`]);
/// the IAM wildcards `*` and `?` only after [`ModelPolicy::allow_wildcards`].
///
/// ```
/// use aws_bedrock_token_generator::ModelPolicy;
///
/// let json = ModelPolicy::new(["us.anthropic.claude-3-haiku-20240307-v1:0"]).to_json()?;
/// assert!(json.contains(r#""arn:aws:bedrock:*:*:inference-profile/us.anthropic.claude-3-haiku-20240307-v1:0""#));
/// assert!(json.contains(r#""arn:aws:bedrock:*::foundation-model/anthropic.claude-3-haiku-20240307-v1:0""#));
/// # Ok::<(), aws_bedrock_token_generator::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ModelPolicy {
    models: Vec<String>,
    mantle_models: Vec<String>,
    region: Option<String>,
    account_id: Option<String>,
    partition: Option<String>,
    wildcards: bool,
}

impl ModelPolicy {
    /// Allows these Bedrock model ids and cross-region inference profile ids (duplicates
    /// are dropped; order is kept).
    pub fn new<I, S>(model_ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self::default().models(model_ids)
    }

    /// Allows these model ids too.
    pub fn models<I, S>(mut self, model_ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        push_unique(&mut self.models, model_ids);
        self
    }

    /// Names the models allowed through the Mantle endpoint
    /// (`bedrock-mantle.<region>.api.aws`, OpenAI-compatible) by their Mantle ids such
    /// as `openai.gpt-oss-120b`. Without this, the Mantle statement names the same ids as
    /// the Bedrock one.
    ///
    /// Adds `bedrock-mantle:CreateInference` on Mantle projects
    /// (`arn:<partition>:bedrock-mantle:<region>:<account>:project/*`), limited to these
    /// models by the `bedrock-mantle:Model` condition key, and
    /// `bedrock-mantle:CallWithBearerToken`. The values that key takes are not
    /// documented in detail; if Mantle denies a model you allowed, check its id with the
    /// Mantle models list, or write the policy yourself. The condition can only deny
    /// more, never allow another model.
    pub fn mantle_models<I, S>(mut self, model_ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        push_unique(&mut self.mantle_models, model_ids);
        self
    }

    /// Limits the model and inference profile ARNs to this region (default: any, `*`).
    /// The foundation models behind a cross-region inference profile stay in any region.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// Limits inference profile and Mantle project ARNs to this 12-digit account
    /// (default: any, `*`).
    pub fn account_id(mut self, account_id: impl Into<String>) -> Self {
        self.account_id = Some(account_id.into());
        self
    }

    /// The ARN partition: `aws`, `aws-cn`, `aws-us-gov`, ... (default: see the type docs).
    pub fn partition(mut self, partition: impl Into<String>) -> Self {
        self.partition = Some(partition.into());
        self
    }

    /// Accepts the IAM wildcards `*` and `?` in model ids, e.g. `anthropic.claude-*`
    /// (default: refused, so that a stray `*` cannot allow every model).
    pub fn allow_wildcards(mut self, allow: bool) -> Self {
        self.wildcards = allow;
        self
    }

    /// The policy document, compact JSON, after validation.
    pub fn to_json(&self) -> Result<String, Error> {
        self.render(None)
    }

    fn render(&self, token_region: Option<&str>) -> Result<String, Error> {
        if self.models.is_empty() && self.mantle_models.is_empty() {
            return Err(invalid(
                "the model policy allows no model: pass at least one model id (e.g. \
                 `anthropic.claude-3-haiku-20240307-v1:0`)"
                    .to_owned(),
            ));
        }
        for id in self.models.iter().chain(&self.mantle_models) {
            self.check_model_id(id)?;
        }
        let region = match &self.region {
            Some(region) => {
                validate_region(region).map_err(|e| {
                    Error::new(e.kind(), format!("in the model policy's region: {e}"))
                        .about(Input::SessionPolicy)
                })?;
                region.as_str()
            }
            None => "*",
        };
        let account = match &self.account_id {
            Some(account) => {
                if !names::is_account_id(account) {
                    return Err(invalid(format!(
                        "invalid account id {:?} in the model policy: an AWS account id is 12 \
                         digits, e.g. `123456789012`",
                        account.escape_debug().to_string()
                    )));
                }
                account.as_str()
            }
            None => "*",
        };
        let partition = match &self.partition {
            Some(partition) => {
                check_partition(partition)?;
                partition.as_str()
            }
            None => partition_of(self.region.as_deref().or(token_region).unwrap_or("")),
        };

        let mut resources = Vec::new();
        for id in &self.models {
            match split_profile_prefix(id) {
                Some(model) => {
                    resources.push(format!(
                        "arn:{partition}:bedrock:{region}:{account}:inference-profile/{id}"
                    ));
                    resources.push(format!(
                        "arn:{partition}:bedrock:*::foundation-model/{model}"
                    ));
                }
                None => resources.push(format!(
                    "arn:{partition}:bedrock:{region}::foundation-model/{id}"
                )),
            }
        }
        let mut statements = Vec::new();
        if !resources.is_empty() {
            statements.push(format!(
                r#"{{"Sid":"InvokeNamedModels","Effect":"Allow","Action":{},"Resource":{}}}"#,
                json_list(INVOKE_ACTIONS),
                json_list(&resources)
            ));
        }
        let mut bearer_actions = Vec::new();
        if !self.models.is_empty() {
            bearer_actions.push("bedrock:CallWithBearerToken");
        }
        // The OpenAI-compatible Mantle endpoint takes the same key: allow the matching
        // `bedrock-mantle:` actions, for the Mantle ids if given, else the same ids.
        let mantle_models = if self.mantle_models.is_empty() {
            &self.models
        } else {
            &self.mantle_models
        };
        if !mantle_models.is_empty() {
            let operator = if mantle_models.iter().any(|m| m.contains(['*', '?'])) {
                "StringLike"
            } else {
                "StringEquals"
            };
            statements.push(format!(
                r#"{{"Sid":"MantleNamedModels","Effect":"Allow","Action":"bedrock-mantle:CreateInference","Resource":{},"Condition":{{"{operator}":{{"bedrock-mantle:Model":{}}}}}}}"#,
                json_string(&format!(
                    "arn:{partition}:bedrock-mantle:{region}:{account}:project/*"
                )),
                json_list(mantle_models)
            ));
            bearer_actions.push("bedrock-mantle:CallWithBearerToken");
        }
        statements.push(format!(
            r#"{{"Sid":"CallWithBearerToken","Effect":"Allow","Action":{},"Resource":"*"}}"#,
            json_list(&bearer_actions)
        ));
        let document = format!(
            r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
            statements.join(",")
        );
        check_size(&document)?;
        Ok(document)
    }

    fn check_model_id(&self, id: &str) -> Result<(), Error> {
        if id.is_empty() {
            return Err(invalid(
                "a model id in the model policy is empty: pass ids such as \
                 `anthropic.claude-3-haiku-20240307-v1:0`"
                    .to_owned(),
            ));
        }
        let shown = || {
            let mut s: String = id.chars().take(80).collect();
            if s.len() < id.len() {
                s.push_str("...");
            }
            format!("{:?}", s)
        };
        if id.starts_with("arn:") {
            return Err(invalid(format!(
                "the model policy takes model ids, not ARNs ({}): pass the id (e.g. \
                 `anthropic.claude-3-haiku-20240307-v1:0`), or write a policy document naming \
                 the ARN",
                shown()
            )));
        }
        if id.len() > 256 {
            return Err(invalid(format!(
                "model id {} is longer than 256 characters",
                shown()
            )));
        }
        if let Some(bad) = id.chars().find(|&c| {
            !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':' | '*' | '?'))
        }) {
            return Err(invalid(format!(
                "model id {} contains {:?}: model ids are ASCII letters, digits and `.` `-` \
                 `_` `:` only",
                shown(),
                bad
            )));
        }
        if !self.wildcards && id.contains(['*', '?']) {
            return Err(invalid(format!(
                "model id {} contains an IAM wildcard (`*` or `?`), which would allow more than \
                 one model: name each model",
                shown()
            )));
        }
        Ok(())
    }
}

fn push_unique<I, S>(list: &mut Vec<String>, ids: I)
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    for id in ids {
        let id = id.into();
        if !list.contains(&id) {
            list.push(id);
        }
    }
}

/// `Some(model id)` when `id` starts with a cross-region inference profile prefix.
fn split_profile_prefix(id: &str) -> Option<&str> {
    let (prefix, model) = id.split_once('.')?;
    (INFERENCE_PROFILE_PREFIXES.contains(&prefix) && !model.is_empty()).then_some(model)
}

fn check_partition(partition: &str) -> Result<(), Error> {
    if names::is_partition(partition) {
        Ok(())
    } else {
        Err(invalid(format!(
            "invalid ARN partition {:?} in the model policy: use `aws`, `aws-cn`, `aws-us-gov` \
             or another `aws-...` partition",
            partition.escape_debug().to_string()
        )))
    }
}

/// Checks a policy document given as text: characters, size, JSON, shape.
fn check_document(document: &str) -> Result<(), Error> {
    if let Some(bad) = document
        .chars()
        .find(|&c| !matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{ff}'))
    {
        return Err(invalid(format!(
            "the session policy contains the character U+{:04X}, which AWS does not accept in \
             a session policy (only tab, line breaks and U+0020 to U+00FF)",
            u32::from(bad)
        )));
    }
    check_size(document)?;
    let value: serde_json::Value = serde_json::from_str(document).map_err(|e| {
        // Where, not serde_json's text: that may quote the document.
        invalid(format!(
            "the session policy is not well-formed JSON (at line {} column {}); fix the \
             document",
            e.line(),
            e.column()
        ))
    })?;
    if !value
        .as_object()
        .is_some_and(|o| o.contains_key("Statement"))
    {
        return Err(invalid(
            "the session policy is not an IAM policy: it must be a JSON object with a \
             `Statement` (and `\"Version\": \"2012-10-17\"`)"
                .to_owned(),
        ));
    }
    Ok(())
}

fn check_size(document: &str) -> Result<(), Error> {
    let chars = document.chars().count();
    if chars > MAX_SESSION_POLICY_CHARS {
        return Err(invalid(format!(
            "the session policy is {chars} characters, more than the {MAX_SESSION_POLICY_CHARS} \
             AWS accepts: allow fewer models, or shorten the document (whitespace counts)"
        )));
    }
    Ok(())
}

fn invalid(message: String) -> Error {
    Error::new(ErrorKind::InvalidConfig, message).about(Input::SessionPolicy)
}

fn json_string(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}

fn json_list<I, S>(items: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let items: Vec<String> = items.into_iter().map(|s| json_string(s.as_ref())).collect();
    match &items[..] {
        [one] => one.clone(),
        _ => format!("[{}]", items.join(",")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HAIKU: &str = "anthropic.claude-3-haiku-20240307-v1:0";
    const US_HAIKU: &str = "us.anthropic.claude-3-haiku-20240307-v1:0";

    fn parses(json: &str) -> serde_json::Value {
        serde_json::from_str(json).expect("well-formed JSON")
    }

    #[test]
    fn one_foundation_model() {
        let json = ModelPolicy::new([HAIKU]).to_json().unwrap();
        assert_eq!(
            json,
            r#"{"Version":"2012-10-17","Statement":[{"Sid":"InvokeNamedModels","Effect":"Allow","Action":["bedrock:InvokeModel","bedrock:InvokeModelWithResponseStream","bedrock:Converse","bedrock:ConverseStream"],"Resource":"arn:aws:bedrock:*::foundation-model/anthropic.claude-3-haiku-20240307-v1:0"},{"Sid":"MantleNamedModels","Effect":"Allow","Action":"bedrock-mantle:CreateInference","Resource":"arn:aws:bedrock-mantle:*:*:project/*","Condition":{"StringEquals":{"bedrock-mantle:Model":"anthropic.claude-3-haiku-20240307-v1:0"}}},{"Sid":"CallWithBearerToken","Effect":"Allow","Action":["bedrock:CallWithBearerToken","bedrock-mantle:CallWithBearerToken"],"Resource":"*"}]}"#
        );
        parses(&json);
    }

    #[test]
    fn inference_profile_also_allows_its_foundation_model_in_any_region() {
        let json = ModelPolicy::new([US_HAIKU, HAIKU, US_HAIKU])
            .region("us-west-2")
            .account_id("123456789012")
            .to_json()
            .unwrap();
        assert_eq!(
            json,
            r#"{"Version":"2012-10-17","Statement":[{"Sid":"InvokeNamedModels","Effect":"Allow","Action":["bedrock:InvokeModel","bedrock:InvokeModelWithResponseStream","bedrock:Converse","bedrock:ConverseStream"],"Resource":["arn:aws:bedrock:us-west-2:123456789012:inference-profile/us.anthropic.claude-3-haiku-20240307-v1:0","arn:aws:bedrock:*::foundation-model/anthropic.claude-3-haiku-20240307-v1:0","arn:aws:bedrock:us-west-2::foundation-model/anthropic.claude-3-haiku-20240307-v1:0"]},{"Sid":"MantleNamedModels","Effect":"Allow","Action":"bedrock-mantle:CreateInference","Resource":"arn:aws:bedrock-mantle:us-west-2:123456789012:project/*","Condition":{"StringEquals":{"bedrock-mantle:Model":["us.anthropic.claude-3-haiku-20240307-v1:0","anthropic.claude-3-haiku-20240307-v1:0"]}}},{"Sid":"CallWithBearerToken","Effect":"Allow","Action":["bedrock:CallWithBearerToken","bedrock-mantle:CallWithBearerToken"],"Resource":"*"}]}"#
        );
        parses(&json);
    }

    #[test]
    fn every_geo_prefix_is_a_profile() {
        for prefix in INFERENCE_PROFILE_PREFIXES {
            let id = format!("{prefix}.amazon.nova-micro-v1:0");
            let json = ModelPolicy::new([&id]).to_json().unwrap();
            assert!(
                json.contains(&format!(r#""arn:aws:bedrock:*:*:inference-profile/{id}""#)),
                "{json}"
            );
            assert!(
                json.contains(r#""arn:aws:bedrock:*::foundation-model/amazon.nova-micro-v1:0""#)
            );
        }
        // A provider name is not a geo prefix.
        let json = ModelPolicy::new(["meta.llama3-8b-instruct-v1:0"])
            .to_json()
            .unwrap();
        assert!(!json.contains("inference-profile"), "{json}");
    }

    #[test]
    fn partition_follows_region_unless_given() {
        let render = |p: ModelPolicy, token_region: Option<&str>| {
            SessionPolicy::from(p).render(token_region).unwrap()
        };
        let cn = render(ModelPolicy::new([HAIKU]).region("cn-north-1"), None);
        assert!(
            cn.contains(r#""arn:aws-cn:bedrock:cn-north-1::foundation-model/"#),
            "{cn}"
        );
        let gov = render(ModelPolicy::new([HAIKU]), Some("us-gov-west-1"));
        assert!(
            gov.contains(r#""arn:aws-us-gov:bedrock:*::foundation-model/"#),
            "{gov}"
        );
        let own = render(
            ModelPolicy::new([HAIKU]).region("us-east-1"),
            Some("cn-north-1"),
        );
        assert!(own.contains(r#""arn:aws:bedrock:us-east-1::"#), "{own}");
        let explicit = render(
            ModelPolicy::new([HAIKU]).partition("aws-iso"),
            Some("us-east-1"),
        );
        assert!(
            explicit.contains(r#""arn:aws-iso:bedrock:*::"#),
            "{explicit}"
        );
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
        }
    }

    #[test]
    fn mantle_models_add_mantle_statements() {
        let json = ModelPolicy::new([HAIKU])
            .mantle_models(["openai.gpt-oss-120b"])
            .to_json()
            .unwrap();
        assert_eq!(
            json,
            r#"{"Version":"2012-10-17","Statement":[{"Sid":"InvokeNamedModels","Effect":"Allow","Action":["bedrock:InvokeModel","bedrock:InvokeModelWithResponseStream","bedrock:Converse","bedrock:ConverseStream"],"Resource":"arn:aws:bedrock:*::foundation-model/anthropic.claude-3-haiku-20240307-v1:0"},{"Sid":"MantleNamedModels","Effect":"Allow","Action":"bedrock-mantle:CreateInference","Resource":"arn:aws:bedrock-mantle:*:*:project/*","Condition":{"StringEquals":{"bedrock-mantle:Model":"openai.gpt-oss-120b"}}},{"Sid":"CallWithBearerToken","Effect":"Allow","Action":["bedrock:CallWithBearerToken","bedrock-mantle:CallWithBearerToken"],"Resource":"*"}]}"#
        );
        parses(&json);
        let only_mantle = ModelPolicy::default()
            .mantle_models(["openai.gpt-*", "google.gemma-4-31b"])
            .allow_wildcards(true)
            .to_json()
            .unwrap();
        assert_eq!(
            only_mantle,
            r#"{"Version":"2012-10-17","Statement":[{"Sid":"MantleNamedModels","Effect":"Allow","Action":"bedrock-mantle:CreateInference","Resource":"arn:aws:bedrock-mantle:*:*:project/*","Condition":{"StringLike":{"bedrock-mantle:Model":["openai.gpt-*","google.gemma-4-31b"]}}},{"Sid":"CallWithBearerToken","Effect":"Allow","Action":"bedrock-mantle:CallWithBearerToken","Resource":"*"}]}"#
        );
    }

    #[test]
    fn bad_model_policies_are_refused_with_the_reason() {
        let cases: Vec<(ModelPolicy, &str)> = vec![
            (ModelPolicy::default(), "allows no model"),
            (ModelPolicy::new([""]), "empty"),
            (ModelPolicy::new(["anthropic.*"]), "name each model"),
            (ModelPolicy::new(["a\"b"]), "contains '\"'"),
            (ModelPolicy::new(["a\\b"]), "contains '\\\\'"),
            (ModelPolicy::new(["a b"]), "contains ' '"),
            (ModelPolicy::new(["modèle"]), "contains 'è'"),
            (
                ModelPolicy::new(["arn:aws:bedrock:us-east-1:123456789012:custom-model/x"]),
                "not ARNs",
            ),
            (ModelPolicy::new(["a".repeat(257)]), "longer than 256"),
            (
                ModelPolicy::new([HAIKU]).region("US East"),
                "model policy's region",
            ),
            (ModelPolicy::new([HAIKU]).account_id("1234"), "12 digits"),
            (ModelPolicy::new([HAIKU]).partition("gcp"), "partition"),
            (ModelPolicy::new([HAIKU]).partition("aws-"), "partition"),
            (ModelPolicy::new([HAIKU]).partition("aws--"), "partition"),
        ];
        for (policy, why) in cases {
            let e = policy.to_json().unwrap_err();
            assert!(
                matches!(
                    e.kind(),
                    ErrorKind::InvalidConfig | ErrorKind::InvalidRegion
                ),
                "{e:?}"
            );
            assert!(e.to_string().contains(why), "{why}: {e}");
        }
        // Wildcards once allowed.
        let json = ModelPolicy::new(["anthropic.claude-*"])
            .allow_wildcards(true)
            .to_json()
            .unwrap();
        assert!(json.contains(r#""arn:aws:bedrock:*::foundation-model/anthropic.claude-*""#));
    }

    #[test]
    fn too_many_models_exceed_the_size_limit() {
        let ids: Vec<String> = (0..40)
            .map(|n| format!("anthropic.claude-model-number-{n:02}-v1:0"))
            .collect();
        let e = ModelPolicy::new(&ids).to_json().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidConfig);
        assert!(e.to_string().contains("more than the 2048"), "{e}");
        ModelPolicy::new(&ids[..10]).to_json().unwrap();
    }

    #[test]
    fn raw_documents_are_checked_and_kept_as_given() {
        let doc = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"bedrock:*\", \"Resource\": \"*\"}]\n}";
        assert_eq!(SessionPolicy::from_json(doc).to_json().unwrap(), doc);
        let cases = [
            ("{\"Statement\": [", "not well-formed JSON"),
            ("{\"Statement\": []} trailing", "not well-formed JSON"),
            ("[]", "JSON object with a `Statement`"),
            (
                "{\"Version\": \"2012-10-17\"}",
                "JSON object with a `Statement`",
            ),
            ("{\"Statement\": \"\u{2028}\"}", "U+2028"),
            ("{\"Statement\": \"\u{1}\"}", "U+0001"),
        ];
        for (doc, why) in cases {
            let e = SessionPolicy::from_json(doc).to_json().unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidConfig);
            assert!(e.to_string().contains(why), "{why}: {e}");
        }
        let big = format!("{{\"Statement\": [], \"Pad\": \"{}\"}}", " ".repeat(2048));
        let e = SessionPolicy::from_json(big).to_json().unwrap_err();
        assert!(e.to_string().contains("more than the 2048"), "{e}");
        // Latin-1 is accepted (STS's character range), counted in characters.
        let latin = format!("{{\"Statement\": [], \"Pad\": \"{}\"}}", "é".repeat(2000));
        SessionPolicy::from_json(latin).to_json().unwrap();
    }

    #[test]
    fn debug_is_short() {
        assert_eq!(
            format!("{:?}", SessionPolicy::from_json("{\"Statement\":[]}")),
            "SessionPolicy { json_chars: 16 }"
        );
        assert!(format!("{:?}", SessionPolicy::from(ModelPolicy::new([HAIKU]))).contains(HAIKU));
    }
}
