//! Ends the `credential_process` commands that outlive the load that ran them.
//!
//! aws-config (1.13) runs a profile's `credential_process` with `tokio::process` and does
//! not kill it when the load is dropped: a load abandoned at its timeout leaves its
//! process running, one more per retry, and they outlive `proxy` itself. This crate
//! cannot reach those processes through aws-config, so `proxy` and `exec` look for them
//! among their own children: a child that runs `sh -c …`, as aws-config starts a
//! `credential_process`, and is not `exec`'s command; one still there after the load
//! timeout (and a margin) has been abandoned. It is ended with its descendants, and every
//! remaining one when the run ends. Nothing is done when this process is PID 1 (in a
//! container, every orphan becomes its child), nor outside Linux (it reads `/proc`).

use std::collections::HashMap;
use std::time::Duration;

use tokio::time::Instant;

/// How often children are looked at.
pub(super) const SWEEP_EVERY: Duration = Duration::from_secs(5);
/// Added to the load timeout before a child counts as abandoned.
const MARGIN: Duration = Duration::from_secs(5);

/// The children seen, since when; and the one child to spare (`exec`'s command).
pub(super) struct Reaper {
    seen: HashMap<u32, Instant>,
    spared: Option<u32>,
    grace: Duration,
}

impl Reaper {
    /// A reaper for loads that time out after `load_timeout`.
    pub(super) fn new(load_timeout: Duration) -> Self {
        Reaper {
            seen: HashMap::new(),
            spared: None,
            grace: load_timeout + MARGIN,
        }
    }

    /// Never ends `pid` (the command `exec` runs).
    pub(super) fn spare(&mut self, pid: Option<u32>) {
        self.spared = pid;
    }

    /// Ends the children seen for longer than the grace period; how many.
    pub(super) fn sweep(&mut self, now: Instant) -> usize {
        let children = self.children();
        self.seen.retain(|pid, _| children.contains(pid));
        let mut ended = 0;
        for pid in children {
            let since = *self.seen.entry(pid).or_insert(now);
            if now.duration_since(since) >= self.grace {
                end_tree(pid);
                self.seen.remove(&pid);
                ended += 1;
            }
        }
        ended
    }

    /// Ends every child but the spared one, at the end of the run.
    pub(super) fn end_all(&mut self) {
        for pid in self.children() {
            end_tree(pid);
        }
        self.seen.clear();
    }

    fn children(&self) -> Vec<u32> {
        if std::process::id() == 1 {
            return Vec::new();
        }
        let mut children = children_of("self");
        children.retain(|pid| Some(*pid) != self.spared && runs_a_shell_command(*pid));
        children
    }
}

/// A [`Reaper`] sweeping every [`SWEEP_EVERY`] on the current runtime; when dropped (the
/// run ends, however), it ends every child left but the spared one.
pub(super) struct Reaping {
    reaper: std::sync::Arc<std::sync::Mutex<Reaper>>,
    task: tokio::task::JoinHandle<()>,
}

impl Reaping {
    /// Starts sweeping (within a Tokio runtime).
    pub(super) fn start(load_timeout: Duration) -> Self {
        let reaper = std::sync::Arc::new(std::sync::Mutex::new(Reaper::new(load_timeout)));
        let sweeping = reaper.clone();
        let task = tokio::spawn(async move {
            let mut every = tokio::time::interval(SWEEP_EVERY);
            loop {
                let now = every.tick().await;
                lock(&sweeping).sweep(now);
            }
        });
        Reaping { reaper, task }
    }

    /// Never ends `pid` (the command `exec` runs).
    pub(super) fn spare(&self, pid: Option<u32>) {
        lock(&self.reaper).spare(pid);
    }
}

impl Drop for Reaping {
    fn drop(&mut self) {
        self.task.abort();
        lock(&self.reaper).end_all();
    }
}

fn lock(reaper: &std::sync::Mutex<Reaper>) -> std::sync::MutexGuard<'_, Reaper> {
    reaper
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The children of process `pid` (`self` for this one), from every one of its threads.
fn children_of(pid: &str) -> Vec<u32> {
    let mut children = Vec::new();
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return children;
    };
    for task in tasks.flatten() {
        if let Ok(text) = std::fs::read_to_string(task.path().join("children")) {
            children.extend(
                text.split_whitespace()
                    .filter_map(|p| p.parse::<u32>().ok()),
            );
        }
    }
    children.sort_unstable();
    children.dedup();
    children
}

/// Whether process `pid` runs `sh -c …`, as aws-config starts a `credential_process`.
fn runs_a_shell_command(pid: u32) -> bool {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .is_ok_and(|cmdline| cmdline.starts_with(b"sh\0-c\0"))
}

/// Ends `pid` and its descendants (`sh -c` may have started the command as a child).
fn end_tree(pid: u32) {
    #[cfg(unix)]
    {
        for child in children_of(&pid.to_string()) {
            end_tree(child);
        }
        if let Some(pid) = i32::try_from(pid)
            .ok()
            .and_then(rustix::process::Pid::from_raw)
        {
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
        }
    }
    #[cfg(not(unix))]
    let _ = pid;
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    fn alive(child: &mut std::process::Child) -> bool {
        matches!(child.try_wait(), Ok(None))
    }

    #[tokio::test]
    async fn children_past_the_grace_period_are_ended_and_the_spared_one_is_not() {
        let mut spared = std::process::Command::new("sh")
            .args(["-c", "sleep 30; true"])
            .spawn()
            .unwrap();
        // Not `sh -c …`: not a credential process, never ended.
        let mut other = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        // A grandchild too: the shell's own child.
        let mut hung = std::process::Command::new("sh")
            .args(["-c", "sleep 30; true"])
            .spawn()
            .unwrap();
        // Until they have exec'd, /proc shows this process's command line for them.
        for _ in 0..500 {
            if runs_a_shell_command(hung.id()) && runs_a_shell_command(spared.id()) {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let mut reaper = Reaper::new(Duration::from_secs(1));
        reaper.spare(Some(spared.id()));
        let start = Instant::now();
        assert_eq!(reaper.sweep(start), 0, "first seen now");
        assert_eq!(
            reaper.sweep(start + Duration::from_secs(5)),
            0,
            "within the grace"
        );
        assert!(alive(&mut hung));
        assert_eq!(reaper.sweep(start + Duration::from_secs(6)), 1);
        let status = hung.wait().unwrap();
        assert!(!status.success());
        assert!(alive(&mut spared));
        reaper.end_all();
        assert!(alive(&mut spared), "end_all spares it too");
        assert!(alive(&mut other), "only shell commands are ended");
        for child in [&mut spared, &mut other] {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }
}
