//! Keeping the token fresh with no caller: a Tokio task that replaces the cached token
//! at its refresh point, so that `TokenProvider::cached` always has one to give.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use aws_smithy_async::rt::sleep::AsyncSleep;

use super::cache::MIN_RETRY_BACKOFF;
use super::refresh::Cache;
use super::source::Source;
use crate::Error;

/// The longest the task sleeps at once, so that it notices a clock that jumped.
const MAX_NAP: Duration = Duration::from_secs(60);

/// The background task started by [`TokenProvider::keep_fresh`](crate::TokenProvider::keep_fresh). It stops when this handle
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

/// Starts the keep-fresh task on `cache` (see `TokenProvider::keep_fresh`). It drives the
/// cache's own refresh machinery: its loads, and its one failure count and backoff.
pub(super) fn keep_fresh<S: Source>(cache: &Arc<Cache<S>>) -> Result<KeepFresh, Error> {
    let runtime = tokio::runtime::Handle::try_current().map_err(|_| no_runtime_error())?;
    let sleep = cache.timer(true)?;
    let cache = Arc::clone(cache);
    let task = runtime.spawn(async move {
        loop {
            let nap = match cache.next_refresh_in() {
                Some(wait) if !wait.is_zero() => wait,
                _ => match cache.load_now().await {
                    Ok(_) => continue,
                    // The cache's own backoff (one count for this task and the `token()`
                    // callers). Over already (the clock jumped, or another load
                    // succeeded meanwhile): look again after the shortest one.
                    Err(_) => cache.backoff_left().unwrap_or(MIN_RETRY_BACKOFF),
                },
            };
            sleep.sleep(nap.min(MAX_NAP)).await;
        }
    });
    Ok(KeepFresh { task })
}

fn no_runtime_error() -> Error {
    Error::new(
        crate::ErrorKind::InvalidConfig,
        "keep_fresh() needs a Tokio runtime to run its task on: call it from inside one \
         (for example in #[tokio::main])",
    )
}
