//! Shared test helpers: fake credentials, a scriptable credentials provider, and
//! (in submodules) loopback stand-ins for AWS endpoints.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{future, ProvideCredentials};
use aws_credential_types::Credentials;

pub const AKID: &str = "AKIDEXAMPLE";
pub const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
pub const ASIA: &str = "ASIAEXAMPLEEXAMPLE01";
pub const SESSION: &str = "FwoGZXIvYXdzEXAMPLESESSIONTOKEN+abc/def==";

/// 2024-06-15T12:00:00Z.
pub fn start() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_718_452_800)
}

pub fn static_creds() -> Credentials {
    Credentials::new(AKID, SECRET, None, None, "test")
}

pub fn session_creds(expiry: Option<SystemTime>) -> Credentials {
    Credentials::new(ASIA, SECRET, Some(SESSION.to_owned()), expiry, "test")
}

/// A clock the test sets, forwards or backwards (aws-smithy-async's ManualTimeSource
/// refuses to go back).
#[derive(Clone, Debug)]
pub struct TestClock(Arc<Mutex<SystemTime>>);

impl TestClock {
    pub fn new(at: SystemTime) -> Self {
        Self(Arc::new(Mutex::new(at)))
    }
    pub fn set(&self, at: SystemTime) {
        *self.0.lock().unwrap() = at;
    }
    pub fn advance(&self, by: Duration) {
        *self.0.lock().unwrap() += by;
    }
    pub fn get(&self) -> SystemTime {
        *self.0.lock().unwrap()
    }
}

impl aws_smithy_async::time::TimeSource for TestClock {
    fn now(&self) -> SystemTime {
        self.get()
    }
}

/// What [`ScriptedCredentials`] does on its next call.
#[derive(Clone)]
pub enum Next {
    Ok(Credentials),
    Fail,
    NotLoaded,
    /// Never answers (the load timeout must cut it off).
    Hang,
    /// Panics inside the provider's future.
    Panic,
}

/// A credentials provider whose behaviour the test changes between calls, and which
/// counts calls.
#[derive(Clone, Debug)]
pub struct ScriptedCredentials {
    calls: Arc<AtomicUsize>,
    next: Arc<Mutex<NextCell>>,
    delay: Duration,
}

#[derive(Debug)]
struct NextCell(Option<Next>);

impl std::fmt::Debug for Next {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Next::Ok(_) => "Ok",
            Next::Fail => "Fail",
            Next::NotLoaded => "NotLoaded",
            Next::Hang => "Hang",
            Next::Panic => "Panic",
        })
    }
}

impl ScriptedCredentials {
    pub fn new(next: Next) -> Self {
        Self {
            calls: Arc::default(),
            next: Arc::new(Mutex::new(NextCell(Some(next)))),
            delay: Duration::ZERO,
        }
    }

    /// Each load takes `delay` on Tokio's clock (use with a paused runtime).
    pub fn with_delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    pub fn set(&self, next: Next) {
        self.next.lock().unwrap().0 = Some(next);
    }

    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

impl ProvideCredentials for ScriptedCredentials {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let next = self.next.lock().unwrap().0.clone().expect("scripted");
        let delay = self.delay;
        future::ProvideCredentials::new(async move {
            // Yield (or wait) so that concurrent callers really overlap with the load.
            tokio::task::yield_now().await;
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            match next {
                Next::Ok(c) => Ok(c),
                Next::Fail => Err(CredentialsError::provider_error("scripted failure")),
                Next::NotLoaded => Err(CredentialsError::not_loaded("scripted: none")),
                Next::Hang => std::future::pending().await,
                Next::Panic => panic!("scripted panic in a credentials provider"),
            }
        })
    }
}
pub mod bedrock;
pub mod converse;
pub mod env;
pub mod events;
pub mod http;
pub mod iam;
pub mod keys;
pub mod sigv4;
pub mod sts;
pub mod upstream;
