//! Following IAM's pagination (`Marker` and `IsTruncated`) for any list call, with the
//! bounds [`LongTermKeys::list`](super::LongTermKeys::list) documents: at most
//! [`MAX_LIST_PAGES`] pages, no marker twice, [`MAX_LIST_TIME`] in all.

use std::collections::HashSet;
use std::future::Future;

use aws_smithy_async::future::timeout::Timeout;
use aws_smithy_async::rt::sleep::{default_async_sleep, AsyncSleep};

use super::errors::Call;
use super::{MAX_LIST_PAGES, MAX_LIST_TIME};
use crate::{Error, ErrorKind};

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
                    "listing {} did not finish within {} minutes, the most a listing may \
                     take (IAM {} kept saying the list goes on, or answered very slowly); \
                     gave up",
                    call.subject(),
                    MAX_LIST_TIME.as_secs() / 60,
                    call.action,
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

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::FutureExt as _;

    fn run<F, Fut>(page: F) -> Result<Vec<u32>, Error>
    where
        F: FnMut(Option<String>) -> Fut,
        Fut: Future<Output = Result<Page<u32>, Error>>,
    {
        every_page(Call::new("ListUserPolicies", Some("alice")), page)
            .now_or_never()
            .expect("the pages are ready at once")
    }

    #[test]
    fn follows_markers_to_the_last_page() {
        let items = run(|marker| async move {
            let n: u32 = marker.map_or(0, |m| m.parse().unwrap());
            Ok(Page {
                items: vec![n],
                truncated: n < 4,
                marker: Some((n + 1).to_string()),
            })
        })
        .unwrap();
        assert_eq!(items, [0, 1, 2, 3, 4]);
    }

    #[test]
    fn a_marker_given_twice_or_none_ends_the_listing() {
        for marker in [Some("same".to_owned()), None, Some(String::new())] {
            let e = run(|_| {
                let marker = marker.clone();
                async move {
                    Ok(Page {
                        items: vec![1],
                        truncated: true,
                        marker,
                    })
                }
            })
            .unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Iam);
            assert!(e.to_string().contains("no new marker"), "{e}");
            assert!(
                e.to_string()
                    .contains("ListUserPolicies for IAM user `alice`"),
                "{e}"
            );
        }
    }

    #[test]
    fn endless_pages_end_after_the_page_limit() {
        let mut asked = 0;
        let e = run(|_| {
            asked += 1;
            let fresh = asked.to_string();
            async move {
                Ok(Page {
                    items: vec![],
                    truncated: true,
                    marker: Some(fresh),
                })
            }
        })
        .unwrap_err();
        assert_eq!(asked, MAX_LIST_PAGES);
        assert!(e.to_string().contains("after 1000 pages"), "{e}");
    }

    #[test]
    fn a_failed_page_is_the_listings_error() {
        let e = run(|_| async { Err(Error::new(ErrorKind::AccessDenied, "denied")) }).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::AccessDenied);
    }
}
