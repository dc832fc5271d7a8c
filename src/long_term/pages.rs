//! Following IAM's pagination (`Marker` and `IsTruncated`) for any list call, with the
//! bounds [`LongTermKeys::list`](super::LongTermKeys::list) documents: at most
//! [`MAX_LIST_PAGES`] pages, no marker twice, [`MAX_LIST_TIME`] in all.

use std::collections::HashSet;
use std::future::Future;

use aws_smithy_async::future::timeout::Timeout;
use aws_smithy_async::rt::sleep::{default_async_sleep, AsyncSleep};

use super::errors::Call;
use super::{MAX_LIST_PAGES, MAX_LIST_TIME};
use crate::error::{Error, ErrorKind};

/// One page of a list answer.
pub(crate) struct Page<T> {
    pub items: Vec<T>,
    /// IAM's `IsTruncated`: the list goes on.
    pub truncated: bool,
    /// Where the next page starts.
    pub marker: Option<String>,
}

/// Every item of `call`'s list: `page(marker)` asks IAM for one page, starting at
/// `marker` (`None`: the first page). Bounded as the module docs say, timed with
/// `client`'s sleep implementation; a bound reached is an [`ErrorKind::Iam`] error
/// naming it.
pub(crate) async fn all_pages<T, F, Fut>(
    client: &aws_sdk_iam::Client,
    call: Call<'_>,
    page: F,
) -> Result<Vec<T>, Error>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<Page<T>, Error>>,
{
    let pages = every_page(call, page);
    let Some(sleep) = client.config().sleep_impl().or_else(default_async_sleep) else {
        return pages.await;
    };
    Timeout::new(pages, sleep.sleep(MAX_LIST_TIME))
        .await
        .unwrap_or_else(|_elapsed| {
            Err(Error::new(
                ErrorKind::Iam,
                format!(
                    "IAM {} for {} did not finish within {} minutes, the most a listing may \
                     take (IAM kept saying the list goes on, or answered very slowly); gave up",
                    call.action,
                    call.subject(),
                    MAX_LIST_TIME.as_secs() / 60
                ),
            ))
        })
}

async fn every_page<T, F, Fut>(call: Call<'_>, mut page: F) -> Result<Vec<T>, Error>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<Page<T>, Error>>,
{
    let mut items = Vec::new();
    let mut marker: Option<String> = None;
    // Every marker seen: one that comes round again would list forever.
    let mut seen = HashSet::new();
    for _ in 0..MAX_LIST_PAGES {
        let answer = page(marker.take()).await?;
        items.extend(answer.items);
        if !answer.truncated {
            return Ok(items);
        }
        match answer.marker.filter(|m| !m.is_empty()) {
            Some(next) if seen.insert(next.clone()) => marker = Some(next),
            _ => {
                return Err(Error::new(
                    ErrorKind::Iam,
                    format!(
                        "IAM {} for {} said the list goes on but gave no new marker to \
                         continue from (none, or one it had given before); gave up",
                        call.action,
                        call.subject()
                    ),
                ))
            }
        }
    }
    Err(Error::new(
        ErrorKind::Iam,
        format!(
            "IAM {} for {} still said the list goes on after {MAX_LIST_PAGES} pages; gave up",
            call.action,
            call.subject()
        ),
    ))
}
