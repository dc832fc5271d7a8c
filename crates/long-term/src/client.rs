//! The IAM calls behind long-term keys.

use std::fmt;

use aws_sdk_iam::config::retry::RetryConfig;
use aws_sdk_iam::types::StatusType;
use aws_types::region::Region;
use aws_types::SdkConfig;

use crate::{Error, ErrorKind};

use super::errors::{Call, Done, CREATE_KEY, RESET_KEY};
use super::key::{CreatedKey, KeyMetadata};
use super::pages::{all_pages, Page};
use super::request::iam_service_name;
use super::request::{validate_key_id, validate_user_name, CreateKeyRequest};
use crate::Service;

const LIST: &str = "ListServiceSpecificCredentials";

/// Creates and manages long-term Amazon Bedrock API keys through IAM.
///
/// A long-term key is an IAM service-specific credential for `bedrock.amazonaws.com`,
/// tied to an IAM user; IAM allows two per user. Every method makes the IAM calls with
/// the client's credentials, so those need the matching `iam:` permissions
/// (`iam:CreateServiceSpecificCredential`, `iam:ListServiceSpecificCredentials`, ...;
/// with [`CreateKeyRequest::create_user`] also `iam:CreateUser` and
/// `iam:AttachUserPolicy`). Failures are [`Error`]s whose [`ErrorKind`] tells
/// [`NotFound`](ErrorKind::NotFound), [`LimitExceeded`](ErrorKind::LimitExceeded),
/// [`AccessDenied`](ErrorKind::AccessDenied) and the rest apart, and whose message names
/// the user, key or IAM action involved. No error ever contains key text.
///
/// ```no_run
/// # async fn run() -> Result<(), aws_bedrock_token_long_term::Error> {
/// use aws_bedrock_token_long_term::LongTermKeys;
///
/// let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
/// let keys = LongTermKeys::from_conf(&config);
/// for key in keys.list(Some("bedrock-explorer")).await? {
///     println!("{:?} {:?} expires {:?}", key.id, key.status, key.expires_at);
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct LongTermKeys {
    client: aws_sdk_iam::Client,
}

impl fmt::Debug for LongTermKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The client's own Debug is its whole runtime configuration: too much to be useful.
        f.debug_struct("LongTermKeys")
            .field("region", &self.client.config().region())
            .finish_non_exhaustive()
    }
}

impl LongTermKeys {
    /// Uses `client` for every IAM call.
    pub fn new(client: aws_sdk_iam::Client) -> Self {
        Self { client }
    }

    /// Builds an IAM client from `config` (credentials, endpoint overrides such as
    /// `AWS_ENDPOINT_URL_IAM`, retries, timeouts). IAM is a global service: without a
    /// region in `config`, `us-east-1` is used, which reaches IAM in the `aws` partition.
    /// Without a behavior version in `config`, the latest is used.
    pub fn from_conf(config: &SdkConfig) -> Self {
        let mut builder = aws_sdk_iam::config::Builder::from(config);
        if config.region().is_none() {
            builder.set_region(Some(Region::from_static("us-east-1")));
        }
        if config.behavior_version().is_none() {
            builder.set_behavior_version(Some(aws_sdk_iam::config::BehaviorVersion::latest()));
        }
        Self::new(aws_sdk_iam::Client::from_conf(builder.build()))
    }

    /// The IAM client in use.
    pub fn client(&self) -> &aws_sdk_iam::Client {
        &self.client
    }

    /// Creates a long-term key: optionally the IAM user and its policies first (see
    /// [`CreateKeyRequest`]), then the key, with `CredentialAgeDays` set.
    ///
    /// The request is checked before any IAM call ([`ErrorKind::InvalidKeyAge`],
    /// [`ErrorKind::InvalidArgument`]). If a step after creating the user fails, the
    /// error message lists what was already done (user created, policies attached);
    /// nothing is rolled back.
    ///
    /// The key in the result is shown this once by IAM. The CreateServiceSpecificCredential
    /// call is sent once, never retried: IAM may have created a key although the call
    /// failed (a timeout, a lost connection, a server error), and a retry would create a
    /// second one. Such an error says so ([`Error::may_have_issued_key`]): list the user's
    /// keys before creating another. Key text that is not a well-formed long-term key
    /// (`ABSK` and base64) is an error naming the key id, and is not returned.
    pub async fn create(&self, request: &CreateKeyRequest) -> Result<CreatedKey, Error> {
        request.validate()?;
        let user = request.user_name();
        let mut done = Done::default();
        if request.creates_user() {
            // Sent once: a retry after IAM created the user would answer
            // EntityAlreadyExists and hide that this run created it.
            self.client
                .create_user()
                .user_name(user)
                .customize()
                .config_override(once())
                .send()
                .await
                .map_err(|e| Call::new("CreateUser", Some(user)).error(e))?;
            done.user_created = Some(user);
        }
        for arn in request.effective_policy_arns() {
            self.client
                .attach_user_policy()
                .user_name(user)
                .policy_arn(arn)
                .send()
                .await
                .map_err(|e| {
                    done.annotate(
                        Call::new("AttachUserPolicy", Some(user))
                            .policy(arn)
                            .error(e),
                    )
                })?;
            done.attached.push(arn);
        }
        // Validated above: at most 36 600, so it fits.
        let age = request.age_days() as i32;
        let call = Call::new(CREATE_KEY, Some(user));
        let out = self
            .client
            .create_service_specific_credential()
            .user_name(user)
            .service_name(iam_service_name(request.key_service())?)
            .credential_age_days(age)
            .customize()
            .config_override(once())
            .send()
            .await
            .map_err(|e| done.annotate(call.error(e)))?;
        let credential = out
            .service_specific_credential
            .ok_or_else(|| done.annotate(empty_answer(call)))?;
        CreatedKey::from_iam(credential, CREATE_KEY, user).map_err(|e| done.annotate(e))
    }

    /// The long-term Bedrock keys of IAM user `user_name`, or of every user in the
    /// account with `None`, following IAM's pagination. Never includes key text.
    ///
    /// An IAM that keeps saying the list goes on cannot keep this listing forever: after
    /// [`MAX_LIST_PAGES`](super::MAX_LIST_PAGES) pages, a marker it gave before, or [`MAX_LIST_TIME`](super::MAX_LIST_TIME) in all
    /// (timed with the client's sleep implementation), the listing ends with an
    /// [`ErrorKind::Iam`] error naming the bound.
    pub async fn list(&self, user_name: Option<&str>) -> Result<Vec<KeyMetadata>, Error> {
        self.list_service(Some(Service::Bedrock), user_name).await
    }

    /// [`list`](Self::list) for the long-term keys of `service`, or with `None`, of every
    /// service whose IAM service name AWS documents ([`Service::iam_service_name`]): one
    /// filtered listing per service, in [`Service::ALL`] order, each key's
    /// [`KeyMetadata::service`] naming its service. (Without a service name, IAM would
    /// also list other services' service-specific credentials, such as CodeCommit's Git
    /// credentials.) A service whose IAM service name is not documented is an
    /// [`ErrorKind::UnsupportedService`] error.
    pub async fn list_service(
        &self,
        service: Option<Service>,
        user_name: Option<&str>,
    ) -> Result<Vec<KeyMetadata>, Error> {
        let names: Vec<&'static str> = match service {
            Some(service) => vec![iam_service_name(service)?],
            None => Service::ALL
                .iter()
                .filter_map(|s| s.iam_service_name())
                .collect(),
        };
        let mut keys = Vec::new();
        for name in names {
            keys.extend(self.list_one(name, user_name).await?);
        }
        Ok(keys)
    }

    /// The keys of one IAM service name, bounded as [`list`](Self::list) says.
    async fn list_one(
        &self,
        service_name: &'static str,
        user_name: Option<&str>,
    ) -> Result<Vec<KeyMetadata>, Error> {
        if let Some(user) = user_name {
            validate_user_name(user)?;
        }
        let call = Call::new(LIST, user_name);
        all_pages(&self.client, call, |marker| async move {
            let request = self
                .client
                .list_service_specific_credentials()
                .service_name(service_name)
                .set_marker(marker);
            let request = match call.user {
                Some(user) => request.user_name(user),
                None => request.all_users(true),
            };
            let out = request.send().await.map_err(|e| call.error(e))?;
            let items = out
                .service_specific_credentials
                .unwrap_or_default()
                .into_iter()
                .map(KeyMetadata::from_listed)
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Page {
                items,
                truncated: out.is_truncated,
                marker: out.marker,
            })
        })
        .await
    }

    /// Makes key `key_id` of `user_name` usable again.
    pub async fn activate(&self, user_name: &str, key_id: &str) -> Result<(), Error> {
        self.set_status(user_name, key_id, StatusType::Active).await
    }

    /// Stops key `key_id` of `user_name` from working until it is activated again.
    pub async fn deactivate(&self, user_name: &str, key_id: &str) -> Result<(), Error> {
        self.set_status(user_name, key_id, StatusType::Inactive)
            .await
    }

    /// Replaces the secret of key `key_id` of `user_name`: the old key text stops working
    /// and the new one is returned, this once.
    ///
    /// Like [`create`](Self::create), the call is sent once, never retried, and an error
    /// after which IAM may have reset the key says so ([`Error::may_have_issued_key`]).
    pub async fn reset(&self, user_name: &str, key_id: &str) -> Result<CreatedKey, Error> {
        validate_user_name(user_name)?;
        validate_key_id(key_id)?;
        let call = Call::new(RESET_KEY, Some(user_name)).key(key_id);
        let out = self
            .client
            .reset_service_specific_credential()
            .user_name(user_name)
            .service_specific_credential_id(key_id)
            .customize()
            .config_override(once())
            .send()
            .await
            .map_err(|e| call.error(e))?;
        let credential = out
            .service_specific_credential
            .ok_or_else(|| empty_answer(call))?;
        CreatedKey::from_iam(credential, RESET_KEY, user_name)
    }

    /// Deletes key `key_id` of `user_name` for good.
    pub async fn delete(&self, user_name: &str, key_id: &str) -> Result<(), Error> {
        validate_user_name(user_name)?;
        validate_key_id(key_id)?;
        self.client
            .delete_service_specific_credential()
            .user_name(user_name)
            .service_specific_credential_id(key_id)
            .send()
            .await
            .map_err(|e| {
                Call::new("DeleteServiceSpecificCredential", Some(user_name))
                    .key(key_id)
                    .error(e)
            })?;
        Ok(())
    }

    async fn set_status(
        &self,
        user_name: &str,
        key_id: &str,
        status: StatusType,
    ) -> Result<(), Error> {
        validate_user_name(user_name)?;
        validate_key_id(key_id)?;
        self.client
            .update_service_specific_credential()
            .user_name(user_name)
            .service_specific_credential_id(key_id)
            .status(status)
            .send()
            .await
            .map_err(|e| {
                Call::new("UpdateServiceSpecificCredential", Some(user_name))
                    .key(key_id)
                    .error(e)
            })?;
        Ok(())
    }
}

/// The per-call configuration of calls that create something: sent once, never retried (a
/// retried CreateServiceSpecificCredential after IAM created the key makes a second key;
/// a retried CreateUser answers that the user already exists).
fn once() -> aws_sdk_iam::config::Builder {
    aws_sdk_iam::config::Builder::default().retry_config(RetryConfig::disabled())
}

/// IAM answered `call` (a create or reset) with success but no credential.
fn empty_answer(call: Call<'_>) -> Error {
    call.unsure(
        Error::new(
            ErrorKind::Iam,
            format!(
                "IAM's answer to {} for {} held no credential",
                call.action,
                call.subject()
            ),
        )
        .during(call.action),
    )
}
