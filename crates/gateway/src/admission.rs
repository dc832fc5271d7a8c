//! Connection slots: a connection starts *unproven* and becomes *proven* with its first
//! request that presents the client key. Each kind has a budget of its own, so that
//! connections without the key (any local process can open them) never keep a keyed
//! client out:
//!
//! - at most `max_unproven` unproven connections: a new one closes the oldest (an idle
//!   socket held open to fill the slots is the first to go, and a client that sends its
//!   keyed request at once is out of reach by then);
//! - at most `max_connections` proven ones: beyond it a keyed request waits for a slot,
//!   as connections used to wait in the listen backlog.
//!
//! An unproven connection also has little time: its first request head within the header
//! read timeout, and one refused request closes it (HTTP/1) or buys it no time (HTTP/2).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::{Notify, OnceCell, OwnedSemaphorePermit, Semaphore};

/// The slots of one gateway, shared by its threads.
pub(super) struct Slots {
    /// Proven connections.
    proven: Arc<Semaphore>,
    max_unproven: usize,
    /// Unproven connections, oldest first, each with its eviction signal and whether it
    /// has sent anything yet.
    unproven: Mutex<VecDeque<Unproven>>,
    next_id: AtomicU64,
}

impl Slots {
    pub(super) fn new(max_connections: usize, max_unproven: usize) -> Arc<Self> {
        Arc::new(Slots {
            proven: Arc::new(Semaphore::new(max_connections)),
            max_unproven,
            unproven: Mutex::new(VecDeque::new()),
            next_id: AtomicU64::new(0),
        })
    }

    /// A new connection's admission: unproven, closing the oldest unproven connection
    /// if there is no room.
    pub(super) fn admit(self: &Arc<Self>) -> Arc<Admission> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let evicted = Arc::new(Notify::new());
        {
            let mut queue = lock(&self.unproven);
            while queue.len() >= self.max_unproven {
                // The oldest that has sent nothing, else the oldest.
                let at = queue.iter().position(|u| !u.active).unwrap_or(0);
                match queue.remove(at) {
                    Some(oldest) => oldest.evicted.notify_one(),
                    None => break,
                }
            }
            queue.push_back(Unproven {
                id,
                evicted: evicted.clone(),
                active: false,
            });
        }
        Arc::new(Admission {
            slots: self.clone(),
            id,
            evicted,
            proven: OnceCell::new(),
            left: std::sync::atomic::AtomicBool::new(false),
        })
    }

    /// Removes `id` from the unproven queue; false if it was evicted meanwhile.
    fn leave(&self, id: u64) -> bool {
        let mut queue = lock(&self.unproven);
        match queue.iter().position(|u| u.id == id) {
            Some(at) => {
                queue.remove(at);
                true
            }
            None => false,
        }
    }

    /// Marks `id` as having sent its first bytes.
    fn activate(&self, id: u64) {
        if let Some(u) = lock(&self.unproven).iter_mut().find(|u| u.id == id) {
            u.active = true;
        }
    }

    /// How many connections are unproven now.
    #[cfg(test)]
    fn unproven(&self) -> usize {
        lock(&self.unproven).len()
    }
}

/// An unproven connection in the queue.
struct Unproven {
    id: u64,
    evicted: Arc<Notify>,
    /// Whether its first bytes have arrived: a client with the key sends at once, a
    /// socket held open to fill the slots need not, and goes first.
    active: bool,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// One connection's place: unproven until [`Admission::prove`], then a proven slot
/// until the connection ends (when this is dropped).
pub(super) struct Admission {
    slots: Arc<Slots>,
    id: u64,
    evicted: Arc<Notify>,
    /// The proven slot once taken; `None` inside if the connection was evicted first.
    proven: OnceCell<Option<OwnedSemaphorePermit>>,
    /// Whether it has left the unproven queue (a wait for a proven slot that was given up,
    /// by a reset HTTP/2 stream, is taken up again by the next keyed request).
    left: std::sync::atomic::AtomicBool,
}

impl Admission {
    /// The connection's first bytes have arrived.
    pub(super) fn activate(&self) {
        self.slots.activate(self.id);
    }

    /// Resolves when the connection is closed to make room, which happens only while it
    /// is unproven.
    pub(super) async fn evicted(&self) {
        self.evicted.notified().await;
    }

    /// Called with each request that presented the client key: the first one moves the
    /// connection to a proven slot, waiting for one if all are taken. False if the
    /// connection was evicted before (the request must then not be served).
    pub(super) async fn prove(&self) -> bool {
        self.proven
            .get_or_init(|| async {
                if !self.left.load(Ordering::Relaxed) {
                    if !self.slots.leave(self.id) {
                        return None;
                    }
                    self.left.store(true, Ordering::Relaxed);
                }
                self.slots.proven.clone().acquire_owned().await.ok()
            })
            .await
            .is_some()
    }
}

impl Drop for Admission {
    fn drop(&mut self) {
        if !self.left.load(Ordering::Relaxed) {
            self.slots.leave(self.id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_oldest_unproven_connection_makes_room_and_proven_ones_are_kept() {
        let slots = Slots::new(1, 2);
        let first = slots.admit();
        let second = slots.admit();
        assert_eq!(slots.unproven(), 2);
        // A third evicts the first, not the second.
        let third = slots.admit();
        assert_eq!(slots.unproven(), 2);
        tokio::time::timeout(std::time::Duration::from_secs(1), first.evicted())
            .await
            .unwrap();
        assert!(
            !first.prove().await,
            "an evicted connection cannot be proven"
        );
        // Proving leaves the unproven queue: no later admission evicts it.
        assert!(second.prove().await);
        assert!(second.prove().await, "proven once, for every later request");
        assert_eq!(slots.unproven(), 1);
        // The only proven slot is taken: the next keyed connection waits for it, out of
        // reach of evictions meanwhile.
        let waiting = tokio::spawn({
            let third = third.clone();
            async move { third.prove().await }
        });
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert!(!waiting.is_finished());
        let _more: Vec<_> = (0..5).map(|_| slots.admit()).collect();
        let not_evicted =
            tokio::time::timeout(std::time::Duration::from_millis(50), second.evicted()).await;
        assert!(not_evicted.is_err());
        drop(second);
        assert!(waiting.await.unwrap());
    }

    #[tokio::test]
    async fn connections_that_sent_nothing_are_evicted_first() {
        let slots = Slots::new(4, 2);
        let active = slots.admit();
        active.activate();
        let idle = slots.admit();
        let _new = slots.admit();
        tokio::time::timeout(std::time::Duration::from_secs(1), idle.evicted())
            .await
            .unwrap();
        let not_evicted =
            tokio::time::timeout(std::time::Duration::from_millis(50), active.evicted()).await;
        assert!(not_evicted.is_err());
    }

    #[tokio::test]
    async fn a_given_up_wait_for_a_slot_is_taken_up_by_the_next_request() {
        let slots = Slots::new(1, 4);
        let holder = slots.admit();
        assert!(holder.prove().await);
        let waiting = slots.admit();
        // A keyed request that waits, then is dropped (its stream reset).
        let gave_up =
            tokio::time::timeout(std::time::Duration::from_millis(50), waiting.prove()).await;
        assert!(gave_up.is_err());
        drop(holder);
        assert!(
            waiting.prove().await,
            "the next keyed request gets the slot"
        );
    }

    #[tokio::test]
    async fn a_dropped_connection_leaves_its_place() {
        let slots = Slots::new(4, 4);
        let admissions: Vec<_> = (0..3).map(|_| slots.admit()).collect();
        assert_eq!(slots.unproven(), 3);
        drop(admissions);
        assert_eq!(slots.unproven(), 0);
    }
}
