//! Which Bedrock API key goes upstream: the provider's current one (loaded within the
//! token wait), its header values, and a new one loaded when the upstream refuses it.

use http::header::HeaderValue;
use http::StatusCode;
use zeroize::Zeroizing;

use super::answer::Refusal;
use super::Shared;
use crate::LOG_TARGET;
use aws_bedrock_token_generator::BedrockToken;
use aws_bedrock_token_generator::ErrorKind as CoreErrorKind;

/// A key and its header values (`Bearer <key>` and the key alone), marked sensitive.
pub(crate) struct KeyHeaders {
    key: BedrockToken,
    bearer: HeaderValue,
    api_key: HeaderValue,
}

/// How often refusals may make the gateway load a new key.
pub(super) const REFUSAL_RELOAD_INTERVAL: std::time::Duration = std::time::Duration::from_secs(30);

/// The upstream answered 401 or 403: a new key is loaded in the background, at most once
/// per [`REFUSAL_RELOAD_INTERVAL`]. The refused key is not dropped: if no new one
/// can be made (a credential outage), it stays in service while it is valid, since a 403
/// is as often about the request as about the key (a model the principal may not use).
pub(super) fn key_refused(shared: &Shared, status: StatusCode) {
    let now = tokio::time::Instant::now();
    {
        let mut last = shared
            .refused
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if last.is_some_and(|at| now.duration_since(at) < REFUSAL_RELOAD_INTERVAL) {
            return;
        }
        *last = Some(now);
    }
    tracing::info!(
        target: LOG_TARGET,
        status = status.as_u16(),
        "the upstream refused the key: loading a new one (the refused one stays in service \
         until then, or while no new one can be made)"
    );
    let provider = shared.provider.clone();
    let load = async move {
        let _ = provider.refresh().await;
    };
    match &shared.loads {
        Some(loads) => drop(loads.spawn(load)),
        None => drop(tokio::spawn(load)),
    }
}

/// The provider's cached key, or one it loads within the token wait.
/// Why no key could be had: the kind of the provider's failure (for the `kind` field of
/// the answer and the health check) and its message, which never holds a secret.
pub(super) struct KeyFailure {
    pub(super) kind: CoreErrorKind,
    pub(super) message: String,
}

impl From<aws_bedrock_token_generator::Error> for KeyFailure {
    fn from(e: aws_bedrock_token_generator::Error) -> Self {
        KeyFailure {
            kind: e.kind(),
            message: e.to_string(),
        }
    }
}

pub(super) async fn current_key(shared: &Shared) -> Result<BedrockToken, KeyFailure> {
    if let Some(key) = shared.provider.cached() {
        return Ok(key);
    }
    let wait = shared.limits.token_wait;
    let loaded = match &shared.loads {
        Some(loads) => {
            let provider = shared.provider.clone();
            let load = loads.spawn(async move { provider.token().await });
            tokio::time::timeout(wait, async {
                match load.await {
                    Ok(result) => result.map_err(KeyFailure::from),
                    Err(e) => Err(KeyFailure {
                        kind: CoreErrorKind::Internal,
                        message: if e.is_panic() {
                            "loading a key panicked"
                        } else {
                            "loading a key ended without an outcome (the gateway is stopping)"
                        }
                        .to_owned(),
                    }),
                }
            })
            .await
        }
        None => {
            tokio::time::timeout(wait, async {
                shared.provider.token().await.map_err(KeyFailure::from)
            })
            .await
        }
    };
    match loaded {
        Ok(result) => result,
        Err(_) => Err(KeyFailure {
            kind: CoreErrorKind::CredentialsTimeout,
            message: format!(
                "no key could be made within {} s: loading credentials is slow or stuck",
                wait.as_secs_f64()
            ),
        }),
    }
}

/// The header values for `key`: the cached ones if it is the key last sent.
pub(super) fn key_headers(
    shared: &Shared,
    key: &BedrockToken,
) -> Result<(HeaderValue, HeaderValue), Refusal> {
    let mut cached = shared
        .key_headers
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(c) = cached.as_ref().filter(|c| c.key.as_str() == key.as_str()) {
        return Ok((c.bearer.clone(), c.api_key.clone()));
    }
    let bearer = secret_value(&Zeroizing::new(format!("Bearer {}", key.as_str())))?;
    let api_key = secret_value(key.as_str())?;
    *cached = Some(KeyHeaders {
        key: key.clone(),
        bearer: bearer.clone(),
        api_key: api_key.clone(),
    });
    Ok((bearer, api_key))
}

fn secret_value(text: &str) -> Result<HeaderValue, Refusal> {
    let mut value = HeaderValue::from_str(text).map_err(|_| {
        Refusal::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the key cannot be sent in a header",
        )
    })?;
    value.set_sensitive(true);
    Ok(value)
}
