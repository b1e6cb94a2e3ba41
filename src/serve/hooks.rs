//! Progress and cancellation of a command run on behalf of someone else (a job of
//! the web front end): counters read while the command runs, and a flag the command
//! checks between replications (or batches of them). The command line passes idle
//! hooks.

use std::sync::Mutex;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicBool, AtomicU64};

/// Progress counters and a cancellation flag shared with a running command.
#[derive(Debug, Default)]
pub struct Hooks {
    /// Units of work finished (replications, areas or particles).
    pub done: AtomicU64,
    /// Units of work of the current stage (0 while unknown).
    pub total: AtomicU64,
    /// The current stage, as shown beside the progress ("calibrating: generation 2").
    pub stage: Mutex<String>,
    /// Set to ask the command to stop; it then fails with [`Cancelled`].
    pub cancel: AtomicBool,
}

impl Hooks {
    /// Records progress: `done` of `total`.
    pub fn set(&self, done: u64, total: u64) {
        self.total.store(total, Relaxed);
        self.done.store(done, Relaxed);
    }

    /// Names the current stage.
    pub fn stage(&self, stage: &str) {
        if let Ok(mut s) = self.stage.lock() {
            stage.clone_into(&mut s);
        }
    }

    /// True once cancellation was asked for.
    pub fn cancelled(&self) -> bool {
        self.cancel.load(Relaxed)
    }

    /// Unwinds out of the running command once cancellation was asked for, for
    /// commands whose library calls take no stop flag (a plan's search, a
    /// calibration): called from their progress callbacks, it stops them within one
    /// area or particle. The job runner catches the unwinding (with
    /// `catch_unwind`); `resume_unwind` runs no panic hook, so nothing is printed.
    /// Never unwinds for the command line, whose hooks are never cancelled.
    pub fn unwind_if_cancelled(&self) {
        if self.cancelled() {
            std::panic::resume_unwind(Box::new(Cancelled));
        }
    }

    /// Fails with [`Cancelled`] once cancellation was asked for.
    pub fn check(&self) -> Result<(), Cancelled> {
        if self.cancelled() {
            return Err(Cancelled);
        }
        Ok(())
    }
}

/// A command stopped because its cancellation was asked for.
#[derive(Debug, thiserror::Error)]
#[error("cancelled")]
pub struct Cancelled;
