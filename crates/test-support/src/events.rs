//! A `tracing` subscriber that records every event (level, target, every field as text),
//! installed for the current thread only: use it on a current-thread runtime, where the
//! provider's spawned loads run on the test's thread too.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::{DefaultGuard, Interest};
use tracing::{Event, Level, Metadata, Subscriber};

/// One recorded event. `fields` includes the message, as `message`.
#[derive(Clone, Debug)]
pub struct Captured {
    pub level: Level,
    pub target: String,
    pub fields: Vec<(String, String)>,
}

impl Captured {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn message(&self) -> &str {
        self.field("message").unwrap_or_default()
    }
}

type Hook = Box<dyn Fn(&Captured) + Send + Sync>;

/// The events recorded so far, and how many [`Events::take`] has returned; clones share
/// them.
#[derive(Clone, Default)]
pub struct Events(
    Arc<Mutex<Vec<Captured>>>,
    Arc<Mutex<usize>>,
    /// The fields of every span created or recorded to (kept apart from the events).
    Arc<Mutex<Vec<Captured>>>,
);

impl Events {
    /// Starts recording on this thread until the guard is dropped.
    pub fn capture() -> (Self, DefaultGuard) {
        Self::capture_calling(|_| {})
    }

    /// Every thread's events for the rest of the process, recorded by the global default
    /// subscriber, installed by the first caller; every test of a binary that calls this
    /// shares the record (each finds its own events by what is unique to them).
    /// Thread-local capture misses events that a test's tasks emit while callsites' cached
    /// interest is being rebuilt by other threads.
    pub fn global() -> Self {
        static GLOBAL: std::sync::OnceLock<Events> = std::sync::OnceLock::new();
        GLOBAL.get_or_init(Self::capture_global).clone()
    }

    /// Starts recording every thread's events for the rest of the process (the global
    /// default: once per binary; see [`Events::global`]).
    fn capture_global() -> Self {
        let events = Events::default();
        let subscriber = Recorder {
            events: events.clone(),
            hook: Box::new(|_| {}),
            next_span: AtomicU64::new(1),
        };
        tracing::subscriber::set_global_default(subscriber)
            .expect("one global capture per test binary");
        events
    }

    /// The same, and calls `hook` with each event as it is emitted (before recording it).
    pub fn capture_calling(
        hook: impl Fn(&Captured) + Send + Sync + 'static,
    ) -> (Self, DefaultGuard) {
        let events = Events::default();
        let subscriber = Recorder {
            events: events.clone(),
            hook: Box::new(hook),
            next_span: AtomicU64::new(1),
        };
        let guard = tracing::subscriber::set_default(subscriber);
        // Callsites first hit by another test's thread, with no subscriber there, may have
        // cached "never": have every callsite ask again, this subscriber included.
        tracing::callsite::rebuild_interest_cache();
        (events, guard)
    }

    /// What was recorded since the last call (all of it stays in [`Events::all`]).
    pub fn take(&self) -> Vec<Captured> {
        let all = self.0.lock().unwrap();
        let mut taken = self.1.lock().unwrap();
        let new = all[*taken..].to_vec();
        *taken = all.len();
        new
    }

    /// Everything recorded so far.
    pub fn all(&self) -> Vec<Captured> {
        self.0.lock().unwrap().clone()
    }

    /// The fields given to spans so far (at creation or recorded later).
    pub fn spans(&self) -> Vec<Captured> {
        self.2.lock().unwrap().clone()
    }
}

struct Recorder {
    events: Events,
    hook: Hook,
    next_span: AtomicU64,
}

struct Fields<'a>(&'a mut Vec<(String, String)>);

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.push((field.name().to_owned(), value.to_owned()));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.push((field.name().to_owned(), format!("{value:?}")));
    }
}

impl Subscriber for Recorder {
    fn register_callsite(&self, _: &'static Metadata<'static>) -> Interest {
        Interest::always()
    }

    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, attributes: &Attributes<'_>) -> Id {
        let mut fields = Vec::new();
        attributes.record(&mut Fields(&mut fields));
        self.events.2.lock().unwrap().push(Captured {
            level: *attributes.metadata().level(),
            target: attributes.metadata().target().to_owned(),
            fields,
        });
        Id::from_u64(self.next_span.fetch_add(1, Ordering::Relaxed))
    }

    fn record(&self, _: &Id, values: &Record<'_>) {
        let mut fields = Vec::new();
        values.record(&mut Fields(&mut fields));
        self.events.2.lock().unwrap().push(Captured {
            level: Level::TRACE,
            target: String::new(),
            fields,
        });
    }

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut fields = Vec::new();
        event.record(&mut Fields(&mut fields));
        let captured = Captured {
            level: *event.metadata().level(),
            target: event.metadata().target().to_owned(),
            fields,
        };
        (self.hook)(&captured);
        self.events.0.lock().unwrap().push(captured);
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}
