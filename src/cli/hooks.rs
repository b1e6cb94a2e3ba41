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
    /// The share of the whole job the current stage covers (see [`Hooks::phase`]);
    /// `None`: all of it.
    pub span: Mutex<Option<(f64, f64)>>,
    /// What the counters count, as shown after them ("replications"); empty for
    /// no word. A new [`Hooks::phase`] clears it.
    pub unit: Mutex<String>,
}

impl Hooks {
    /// Starts a stage that covers the share `from` to `to` (fractions of the whole
    /// job, 0 to 1) of the work: its progress counts from `from` up to `to`, so the
    /// overall fraction only goes forward across stages (a calibration's
    /// generations, then its projections).
    pub fn phase(&self, stage: &str, from: f64, to: f64) {
        if let Ok(mut s) = self.span.lock() {
            *s = Some((from.clamp(0.0, 1.0), to.clamp(from.clamp(0.0, 1.0), 1.0)));
        }
        self.set(0, 0);
        self.stage(stage);
        self.unit("");
    }

    /// Names what the counters count ("replications").
    pub fn unit(&self, unit: &str) {
        if let Ok(mut u) = self.unit.lock() {
            unit.clone_into(&mut u);
        }
    }

    /// The fraction of the whole job finished (0 to 1), from the current stage's
    /// share and its counters.
    pub fn overall(&self) -> f64 {
        let (done, total) = (self.done.load(Relaxed), self.total.load(Relaxed));
        let within = if total == 0 {
            0.0
        } else {
            done.min(total) as f64 / total as f64
        };
        let (from, to) = self.span.lock().ok().and_then(|s| *s).unwrap_or((0.0, 1.0));
        from + (to - from) * within
    }

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_overall_fraction_goes_forward_across_stages() {
        let h = Hooks::default();
        assert_eq!(h.overall(), 0.0);
        h.set(5, 10);
        assert_eq!(h.overall(), 0.5);
        h.phase("first", 0.0, 0.4);
        assert_eq!(h.overall(), 0.0);
        h.set(10, 10);
        assert!((h.overall() - 0.4).abs() < 1e-12);
        h.phase("second", 0.4, 1.0);
        assert!((h.overall() - 0.4).abs() < 1e-12);
        h.set(1, 2);
        assert!((h.overall() - 0.7).abs() < 1e-12);
        assert_eq!(h.stage.lock().unwrap().as_str(), "second");
        // counters beyond the total, and shares out of order, stay within the stage
        h.set(9, 2);
        assert!((h.overall() - 1.0).abs() < 1e-12);
        h.phase("odd", 0.8, 0.2);
        h.set(1, 1);
        assert!((h.overall() - 0.8).abs() < 1e-12);
    }
}

/// A command stopped because its cancellation was asked for.
#[derive(Debug, thiserror::Error)]
#[error("cancelled")]
pub struct Cancelled;
