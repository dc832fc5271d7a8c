//! Keeping the token fresh with no caller: a Tokio task that replaces the cached token
//! at its refresh point, so that [`TokenProvider::cached`] always has one to give.

use std::fmt;
use std::time::Duration;

use aws_smithy_async::rt::sleep::AsyncSleep;

use super::cache::MIN_RETRY_BACKOFF;
use super::TokenProvider;
use crate::Error;

/// The longest the task sleeps at once, so that it notices a clock that jumped.
const MAX_NAP: Duration = Duration::from_secs(60);

/// The background task started by [`TokenProvider::keep_fresh`]. It stops when this handle
/// is dropped or [`KeepFresh::stop`] is called; it never outlives the handle.
#[must_use = "the background refresh stops when this handle is dropped"]
pub struct KeepFresh {
    task: tokio::task::JoinHandle<()>,
}

impl KeepFresh {
    /// Stops the task (also what dropping the handle does).
    pub fn stop(self) {}

    /// Whether the task is still running (it runs until stopped).
    pub fn is_running(&self) -> bool {
        !self.task.is_finished()
    }
}

impl Drop for KeepFresh {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl fmt::Debug for KeepFresh {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeepFresh")
            .field("running", &self.is_running())
            .finish()
    }
}

impl TokenProvider {
    /// Starts a Tokio task that keeps this provider's token fresh with no caller: it loads
    /// a token at once, then a new one at each refresh point, and after a failure retries
    /// with the provider's backoff (1 s doubling to 60 s). Read the token synchronously
    /// with [`TokenProvider::cached`], for example in an HTTP header callback or a gRPC
    /// interceptor that cannot `.await`.
    ///
    /// The task runs on the current Tokio runtime until the returned handle is dropped or
    /// stopped. It uses the provider's own refresh machinery (one load at a time, shared
    /// with `token()` callers), so running it next to `token()` callers costs no extra
    /// loads.
    ///
    /// Fails with [`ErrorKind::InvalidConfig`](crate::ErrorKind::InvalidConfig) outside a
    /// Tokio runtime with the time driver.
    ///
    /// ```no_run
    /// # async fn f() -> Result<(), aws_bedrock_token_generator::Error> {
    /// use aws_bedrock_token_generator::TokenProvider;
    ///
    /// let provider = TokenProvider::builder().build()?;
    /// let _refresher = provider.keep_fresh()?;
    /// provider.token().await?; // optional: wait for the first token, fail fast
    /// // Later, in synchronous code:
    /// if let Some(token) = provider.cached() {
    ///     // set `Authorization: Bearer {token.as_str()}`
    /// }
    /// # Ok(()) }
    /// ```
    pub fn keep_fresh(&self) -> Result<KeepFresh, Error> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| no_runtime_error())?;
        let sleep = self.timer(true)?;
        let provider = self.clone();
        let task = runtime.spawn(async move {
            loop {
                let nap = match provider.next_refresh_in() {
                    Some(wait) if !wait.is_zero() => wait,
                    _ => match provider.load_now().await {
                        Ok(_) => continue,
                        // The provider's own backoff (one count for this task and the
                        // `token()` callers). Over already (the clock jumped, or another
                        // load succeeded meanwhile): look again after the shortest one.
                        Err(_) => provider.backoff_left().unwrap_or(MIN_RETRY_BACKOFF),
                    },
                };
                sleep.sleep(nap.min(MAX_NAP)).await;
            }
        });
        Ok(KeepFresh { task })
    }
}

fn no_runtime_error() -> Error {
    Error::new(
        crate::ErrorKind::InvalidConfig,
        "keep_fresh() needs a Tokio runtime to run its task on: call it from inside one \
         (for example in #[tokio::main])",
    )
}
