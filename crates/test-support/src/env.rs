//! Process environment isolation for tests that run the real default chains.
//!
//! Every test using it holds one lock for its whole run (the environment is
//! process-global), starts from an environment with no `AWS_*` variables, instance
//! metadata disabled, and config/credentials files that the test owns.

use std::path::PathBuf;

use tokio::sync::{Mutex, MutexGuard};

static LOCK: Mutex<()> = Mutex::const_new(());

pub struct IsolatedEnv {
    pub dir: tempfile::TempDir,
    _guard: MutexGuard<'static, ()>,
}

impl IsolatedEnv {
    /// `config` and `credentials` are the contents of the test-owned AWS files.
    pub async fn new(config: &str, credentials: &str) -> IsolatedEnv {
        let guard = LOCK.lock().await;
        for (key, _) in std::env::vars() {
            if key.starts_with("AWS_") {
                std::env::remove_var(key);
            }
        }
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("config"), config).unwrap();
        std::fs::write(dir.path().join("credentials"), credentials).unwrap();
        std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
        std::env::set_var("AWS_CONFIG_FILE", dir.path().join("config"));
        std::env::set_var(
            "AWS_SHARED_CREDENTIALS_FILE",
            dir.path().join("credentials"),
        );
        // Keep HOME-based lookups (SSO cache, ~/.aws) inside the test directory too.
        std::env::set_var("HOME", dir.path());
        IsolatedEnv { dir, _guard: guard }
    }

    pub fn set(&self, key: &str, value: impl AsRef<std::ffi::OsStr>) {
        std::env::set_var(key, value);
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}
