//! Jobs: each is a command line of `workwell` (run, compare, plan or calibrate),
//! run by the command line's own subcommands ([`crate::cli::job::execute`]) into the job's folder
//! `DATA/jobs/ID/out/`. A bounded queue feeds a fixed number of worker threads;
//! progress and cancellation go through [`Hooks`]. Each job's record is kept as
//! `DATA/jobs/ID/job.json`, written at every change of state, so that jobs outlive
//! the server:
//!
//! - a job queued when the server stopped (however it stopped) is queued again at
//!   the next start, in the order it was asked for;
//! - a job running when the server was killed is run again from its start (its
//!   outputs depend only on its command line, so the rerun writes what the first run
//!   would have), after the partial output folder it left is removed (only folders
//!   carrying the output marker, in the job's own folder); a job the server was
//!   running when killed twice is not started a third time (it may be what stopped
//!   the server) but marked interrupted, with a Rerun button;
//! - on SIGTERM or Ctrl-C ([`Jobs::stop`]) no job is taken any more, the running one
//!   is asked to stop and goes back to the queue, and the server exits once it has
//!   stopped (or after a bounded wait).

use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use serde::{Deserialize, Serialize};

use crate::cli::hooks::Hooks;
use crate::report::output::AtomicFile;

/// Runs a job's command line (`workwell ARGS`, without the program name) into the
/// output folder given, reporting to the hooks; an error is the lines the command
/// line would print. [`crate::cli::job::execute`] runs the subcommands themselves,
/// parsed by their own argument definitions, so a job writes what the command
/// writes; tests give others.
pub type Execute = dyn Fn(&[String], &Path, &Hooks) -> Result<(), Vec<String>> + Send + Sync;

/// What a job runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// `workwell run`
    Run,
    /// `workwell compare`
    Compare,
    /// `workwell plan`
    Plan,
    /// `workwell calibrate`
    Calibrate,
}

impl Kind {
    /// The subcommand's name.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Run => "run",
            Kind::Compare => "compare",
            Kind::Plan => "plan",
            Kind::Calibrate => "calibrate",
        }
    }

    /// The report page the job writes.
    pub fn report(self) -> &'static str {
        match self {
            Kind::Run => "report.html",
            Kind::Compare => "compare.html",
            Kind::Plan => "plan.html",
            Kind::Calibrate => "calibration.html",
        }
    }
}

/// Where a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// Waiting for a worker.
    Queued,
    /// Being run.
    Running,
    /// Finished: its outputs are in its folder.
    Done,
    /// Stopped by an error (see the message).
    Failed,
    /// Stopped on request.
    Cancelled,
    /// Queued or running when the server stopped.
    Interrupted,
}

impl State {
    /// True once the job will not change again.
    pub fn is_final(self) -> bool {
        !matches!(self, State::Queued | State::Running)
    }

    /// Its name, as shown and sent.
    pub fn name(self) -> &'static str {
        match self {
            State::Queued => "queued",
            State::Running => "running",
            State::Done => "done",
            State::Failed => "failed",
            State::Cancelled => "cancelled",
            State::Interrupted => "interrupted",
        }
    }
}

/// A job's record, kept as `job.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Meta {
    /// Its identifier (a number).
    pub id: u64,
    /// What it runs.
    pub kind: Kind,
    /// The scenarios it runs, by name.
    pub scenarios: Vec<String>,
    /// The command line that reruns it, after `workwell` (without `--out`).
    pub args: Vec<String>,
    /// What it runs, in words (replications, seed), as the jobs list shows it.
    #[serde(default)]
    pub what: String,
    /// Where it is.
    pub state: State,
    /// Why it failed, if it did.
    pub message: String,
    /// When it was asked for (seconds since 1970).
    pub created: u64,
    /// When it last started running (seconds since 1970), once it has.
    #[serde(default)]
    pub started: Option<u64>,
    /// Seconds it ran for, once finished.
    pub seconds: f64,
    /// How many times it has been started (a run cut short by a server stopping
    /// counts only when the server was killed).
    #[serde(default)]
    pub attempts: u32,
    /// The job it reruns, if it is a rerun.
    #[serde(default)]
    pub rerun_of: Option<u64>,
}

impl Meta {
    /// The command line that reruns the job, each argument quoted when needed.
    pub fn command(&self) -> String {
        let mut s = String::from("workwell");
        for a in &self.args {
            s.push(' ');
            if a.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./=:".contains(c))
            {
                s.push_str(a);
            } else {
                s.push('\'');
                s.push_str(&a.replace('\'', "'\\''"));
                s.push('\'');
            }
        }
        s
    }
}

/// Seconds since 1970.
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A job: its record and its live progress.
#[derive(Debug, Clone)]
pub struct Job {
    /// Its record.
    pub meta: Meta,
    /// Its progress and cancellation flag.
    pub hooks: Arc<Hooks>,
    /// Cancellation was asked for by someone (not by the server stopping).
    pub cancel_asked: bool,
    /// When it started running in this process.
    pub since: Option<std::time::Instant>,
}

/// A snapshot of a job's progress.
#[derive(Debug, Clone, Serialize)]
pub struct Progress {
    /// Where the job is.
    pub state: State,
    /// Work finished in the current stage.
    pub done: u64,
    /// Work of the current stage (0 while unknown).
    pub total: u64,
    /// Whole percent of the whole job finished (100 once done; below 100 until
    /// then).
    pub percent: u32,
    /// True while the job runs a stage whose size is not known (the bar then shows
    /// activity rather than a fraction).
    pub unknown: bool,
    /// The current stage, in words ("simulating replications: 40 of 100").
    pub stage: String,
    /// Seconds it has been running (while it runs) or ran for.
    pub seconds: f64,
    /// Why it failed, if it did.
    pub message: String,
}

/// Why a job was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// The queue is full.
    #[error("the job queue is full ({0} jobs waiting): wait for a job to finish or cancel one")]
    Full(usize),
    /// The server is stopping.
    #[error("the server is stopping and takes no new jobs: ask again once it has restarted")]
    Stopping,
    /// The job's folder could not be made.
    #[error("cannot create the job folder: {0}")]
    Io(String),
}

struct Inner {
    jobs: BTreeMap<u64, Job>,
    queue: VecDeque<u64>,
    next: u64,
    stopping: bool,
}

/// The jobs of a data folder and the workers running them.
pub struct Jobs {
    dir: PathBuf,
    execute: Arc<Execute>,
    max_queued: usize,
    inner: Mutex<Inner>,
    ready: Condvar,
    changed: Condvar,
}

/// A job interrupted this often by the server stopping is not started again
/// unasked.
const MAX_ATTEMPTS: u32 = 2;

impl Jobs {
    /// Loads the jobs recorded in `dir` (queuing again those that were queued or
    /// running, see the module documentation) and starts `workers` worker threads
    /// that run queued jobs; at most `max_queued` jobs wait.
    pub fn start(dir: &Path, workers: usize, max_queued: usize) -> Arc<Self> {
        Self::start_with(dir, workers, max_queued, Arc::new(crate::cli::job::execute))
    }

    /// As [`Jobs::start`], running jobs with `execute`.
    pub fn start_with(
        dir: &Path,
        workers: usize,
        max_queued: usize,
        execute: Arc<Execute>,
    ) -> Arc<Self> {
        let (jobs, queue, next) = restore(dir);
        let me = Arc::new(Jobs {
            dir: dir.to_path_buf(),
            execute,
            max_queued,
            inner: Mutex::new(Inner {
                jobs,
                queue,
                next,
                stopping: false,
            }),
            ready: Condvar::new(),
            changed: Condvar::new(),
        });
        for i in 0..workers.max(1) {
            let j = Arc::clone(&me);
            std::thread::Builder::new()
                .name(format!("job-worker-{i}"))
                .spawn(move || j.work())
                .expect("a worker thread starts");
        }
        me
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // a panic while holding the lock leaves plain data behind: keep going
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The folder of job `id`.
    pub fn job_dir(&self, id: u64) -> PathBuf {
        self.dir.join(id.to_string())
    }

    /// The output folder of job `id`.
    pub fn out_dir(&self, id: u64) -> PathBuf {
        self.job_dir(id).join("out")
    }

    /// Reserves a job number and its folder, for files the job's command line names
    /// (an uploaded CSV); [`Jobs::submit`] then queues it, or [`Jobs::release`]
    /// gives the folder up.
    pub fn reserve(&self) -> Result<u64, SubmitError> {
        let mut g = self.lock();
        if g.stopping {
            return Err(SubmitError::Stopping);
        }
        if g.queue.len() >= self.max_queued {
            return Err(SubmitError::Full(g.queue.len()));
        }
        let id = g.next;
        g.next += 1;
        std::fs::create_dir(self.job_dir(id)).map_err(|e| SubmitError::Io(e.to_string()))?;
        Ok(id)
    }

    /// Removes the folder of job `id`, reserved and never submitted, with what the
    /// server wrote in it.
    pub fn release(&self, id: u64) {
        if self.lock().jobs.contains_key(&id) {
            return;
        }
        let _ = std::fs::remove_dir_all(self.job_dir(id));
    }

    /// Queues job `id` (from [`Jobs::reserve`]) running `workwell ARGS`; `what`
    /// says in words what it runs.
    pub fn submit(
        &self,
        id: u64,
        kind: Kind,
        scenarios: Vec<String>,
        args: Vec<String>,
        what: String,
    ) -> Result<(), SubmitError> {
        self.submit_meta(Meta {
            id,
            kind,
            scenarios,
            args,
            what,
            state: State::Queued,
            message: String::new(),
            created: now(),
            started: None,
            seconds: 0.0,
            attempts: 0,
            rerun_of: None,
        })
    }

    fn submit_meta(&self, meta: Meta) -> Result<(), SubmitError> {
        let mut g = self.lock();
        if g.stopping {
            return Err(SubmitError::Stopping);
        }
        if g.queue.len() >= self.max_queued {
            return Err(SubmitError::Full(g.queue.len()));
        }
        let id = meta.id;
        write_meta(&self.dir, &meta).map_err(|e| SubmitError::Io(e.to_string()))?;
        g.jobs.insert(id, Job::new(meta));
        g.queue.push_back(id);
        drop(g);
        self.ready.notify_one();
        Ok(())
    }

    /// Queues a new job running job `id`'s command line again (from its start,
    /// into a folder of its own). Returns the new job's number.
    pub fn rerun(&self, id: u64) -> Result<Option<u64>, SubmitError> {
        let Some(old) = self.get(id) else {
            return Ok(None);
        };
        let new = self.reserve()?;
        let meta = Meta {
            id: new,
            state: State::Queued,
            message: String::new(),
            created: now(),
            started: None,
            seconds: 0.0,
            attempts: 0,
            rerun_of: Some(id),
            ..old
        };
        if let Err(e) = self.submit_meta(meta) {
            self.release(new);
            return Err(e);
        }
        Ok(Some(new))
    }

    /// Every job, newest first.
    pub fn list(&self) -> Vec<Meta> {
        self.lock()
            .jobs
            .values()
            .rev()
            .map(|j| j.meta.clone())
            .collect()
    }

    /// Job `id`'s record.
    pub fn get(&self, id: u64) -> Option<Meta> {
        self.lock().jobs.get(&id).map(|j| j.meta.clone())
    }

    /// Job `id`'s progress.
    pub fn progress(&self, id: u64) -> Option<Progress> {
        let g = self.lock();
        let j = g.jobs.get(&id)?;
        let h = &j.hooks;
        let (done, total) = (h.done.load(Relaxed), h.total.load(Relaxed));
        let overall = h.overall();
        let running = j.meta.state == State::Running;
        let percent = match j.meta.state {
            State::Done => 100,
            _ => ((overall * 100.0).floor() as u32).min(99),
        };
        let named = h.stage.lock().map(|s| s.clone()).unwrap_or_default();
        let stage = match j.meta.state {
            State::Queued => {
                let ahead = g.queue.iter().position(|q| *q == id).unwrap_or(0)
                    + g.jobs
                        .values()
                        .filter(|o| o.meta.state == State::Running)
                        .count();
                format!(
                    "waiting for {} job{} ahead of it",
                    ahead,
                    if ahead == 1 { "" } else { "s" }
                )
            }
            State::Running if total > 0 && done >= total && overall >= 1.0 => {
                "writing the report and files".to_string()
            }
            State::Running if total > 0 && done > 0 => {
                let unit = h.unit.lock().map(|u| u.clone()).unwrap_or_default();
                let unit = if unit.is_empty() {
                    unit
                } else {
                    format!(" {unit}")
                };
                format!("{named}: {done} of {total}{unit}")
            }
            State::Running => named,
            State::Done => "finished".to_string(),
            s => s.name().to_string(),
        };
        Some(Progress {
            state: j.meta.state,
            done,
            total,
            percent,
            // until the first whole percent is done, the bar shows activity
            unknown: running && (total == 0 || done == 0 || percent == 0),
            stage,
            seconds: match j.since {
                Some(t) if running => t.elapsed().as_secs_f64(),
                _ => j.meta.seconds,
            },
            message: j.meta.message.clone(),
        })
    }

    /// Asks job `id` to stop: a queued job is dropped at once, a running one stops
    /// at its next check. Returns false for an unknown or finished job.
    pub fn cancel(&self, id: u64) -> bool {
        let mut g = self.lock();
        let Some(j) = g.jobs.get_mut(&id) else {
            return false;
        };
        match j.meta.state {
            State::Queued => {
                j.meta.state = State::Cancelled;
                j.meta.message = "cancelled before it started".into();
                let _ = write_meta(&self.dir, &j.meta);
                g.queue.retain(|q| *q != id);
                drop(g);
                self.changed.notify_all();
                true
            }
            State::Running => {
                j.cancel_asked = true;
                j.hooks.cancel.store(true, Relaxed);
                true
            }
            _ => false,
        }
    }

    /// Jobs waiting, jobs running, and the most that may wait.
    pub fn counts(&self) -> (usize, usize, usize) {
        let g = self.lock();
        let running = g
            .jobs
            .values()
            .filter(|j| j.meta.state == State::Running)
            .count();
        (g.queue.len(), running, self.max_queued)
    }

    /// Stops taking jobs (submissions are refused with [`SubmitError::Stopping`])
    /// and asks the running job to stop; it goes back to the queue, kept on disk
    /// with every queued job for the next start.
    pub fn stop(&self) {
        let mut g = self.lock();
        g.stopping = true;
        for j in g.jobs.values_mut() {
            if j.meta.state == State::Running {
                j.hooks.cancel.store(true, Relaxed);
            }
        }
        drop(g);
        self.ready.notify_all();
        self.changed.notify_all();
    }

    /// True once [`Jobs::stop`] was called.
    pub fn is_stopping(&self) -> bool {
        self.lock().stopping
    }

    /// Waits until no job is running, at most `bound`; true if none is.
    pub fn wait_idle(&self, bound: std::time::Duration) -> bool {
        let deadline = std::time::Instant::now() + bound;
        let mut g = self.lock();
        loop {
            if !g.jobs.values().any(|j| j.meta.state == State::Running) {
                return true;
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return false;
            }
            g = self
                .changed
                .wait_timeout(g, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// The next job to run, marked running; `None` once the server stops.
    fn take(&self) -> Option<(Meta, Arc<Hooks>)> {
        let mut g = self.lock();
        loop {
            if g.stopping {
                return None;
            }
            if let Some(id) = g.queue.pop_front() {
                let Some(j) = g.jobs.get_mut(&id) else {
                    continue;
                };
                // named until the command names its first stage
                j.hooks.stage("starting");
                j.meta.state = State::Running;
                j.meta.started = Some(now());
                j.meta.attempts += 1;
                j.since = Some(std::time::Instant::now());
                let _ = write_meta(&self.dir, &j.meta);
                return Some((j.meta.clone(), Arc::clone(&j.hooks)));
            }
            g = self.ready.wait(g).unwrap_or_else(|e| e.into_inner());
        }
    }

    fn work(&self) {
        while let Some((meta, hooks)) = self.take() {
            let started = std::time::Instant::now();
            let out = self.out_dir(meta.id);
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                (self.execute)(&meta.args, &out, &hooks)
            }));
            let mut g = self.lock();
            let stopping = g.stopping;
            let Some(j) = g.jobs.get_mut(&meta.id) else {
                continue;
            };
            let cancelled = hooks.cancelled();
            let (state, message) = match result {
                Ok(Ok(())) if j.meta.attempts > 1 => (
                    State::Done,
                    "the server stopped while this job ran: it ran again from its start, so \
                     its outputs are those of one whole run"
                        .to_string(),
                ),
                Ok(Ok(())) => (State::Done, String::new()),
                Ok(Err(_)) | Err(_) if cancelled && !j.cancel_asked && stopping => {
                    // stopped by the server stopping, not by its own doing: it runs
                    // again from its start at the next start
                    j.meta.attempts = j.meta.attempts.saturating_sub(1);
                    (
                        State::Queued,
                        "stopped with the server; it runs again from its start when the \
                         server restarts"
                            .to_string(),
                    )
                }
                Ok(Err(_)) | Err(_) if cancelled => {
                    (State::Cancelled, "cancelled while running".to_string())
                }
                Ok(Err(lines)) => (State::Failed, lines.join("\n")),
                Err(_) => (
                    State::Failed,
                    "the job stopped on an internal error (a bug: please report it)".into(),
                ),
            };
            j.meta.state = state;
            j.meta.message = message;
            j.meta.seconds = started.elapsed().as_secs_f64();
            let _ = write_meta(&self.dir, &j.meta);
            drop(g);
            self.changed.notify_all();
        }
    }
}

impl Job {
    fn new(meta: Meta) -> Self {
        Job {
            meta,
            hooks: Arc::new(Hooks::default()),
            cancel_asked: false,
            since: None,
        }
    }
}

/// The jobs recorded in `dir`, the queue to resume (queued jobs and, once, a job
/// that was running: see the module documentation), and the next job number.
fn restore(dir: &Path) -> (BTreeMap<u64, Job>, VecDeque<u64>, u64) {
    let mut jobs = BTreeMap::new();
    let mut highest = 0;
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let Some(id) = e.file_name().to_str().and_then(|n| n.parse::<u64>().ok()) else {
            continue;
        };
        // a number reserved and never submitted is not given out again
        highest = highest.max(id);
        let Ok(text) = std::fs::read_to_string(e.path().join("job.json")) else {
            continue;
        };
        let Ok(mut meta) = serde_json::from_str::<Meta>(&text) else {
            continue;
        };
        if meta.id != id {
            continue;
        }
        if meta.state == State::Running {
            clear_partial(&e.path());
            if meta.attempts >= MAX_ATTEMPTS {
                meta.state = State::Interrupted;
                meta.message = format!(
                    "the server stopped {} times while this job ran, so it was not started \
                     again (it may be what stopped the server, for example by using up the \
                     machine's memory); rerun it if you wish",
                    meta.attempts
                );
            } else {
                meta.state = State::Queued;
                meta.message = "the server stopped while this job ran: it runs again from its \
                                start"
                    .into();
            }
            let _ = write_meta(dir, &meta);
        }
        jobs.insert(id, Job::new(meta));
    }
    let queue = jobs
        .values()
        .filter(|j| j.meta.state == State::Queued)
        .map(|j| j.meta.id)
        .collect();
    (jobs, queue, highest + 1)
}

/// Removes what an interrupted job left in its folder `dir`: output folders being
/// written (hidden `.out.partial-*` / `.out.old-*` folders carrying the output
/// marker) and the temporary files of [`AtomicFile`] (the record, an upload).
/// Nothing else is touched.
fn clear_partial(dir: &Path) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let path = e.path();
        let partial = name.starts_with(".out.partial-") || name.starts_with(".out.old-");
        let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
        if partial && is_dir && path.join(crate::report::output::MARKER).is_file() {
            let _ = std::fs::remove_dir_all(&path);
        } else if is_atomic_temp(&name) && e.file_type().is_ok_and(|t| t.is_file()) {
            let _ = std::fs::remove_file(&path);
        }
    }
}

/// `.NAME.partial-PID`: a file [`AtomicFile`] was writing.
fn is_atomic_temp(name: &str) -> bool {
    name.starts_with('.')
        && name.rsplit_once(".partial-").is_some_and(|(n, pid)| {
            n.len() > 1 && !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit())
        })
}

/// Writes job `meta`'s record, whole or not at all.
fn write_meta(dir: &Path, meta: &Meta) -> std::io::Result<()> {
    let mut text = serde_json::to_vec_pretty(meta).map_err(std::io::Error::other)?;
    text.push(b'\n');
    write_atomic(&dir.join(meta.id.to_string()).join("job.json"), &text)
}

/// Writes `bytes` as the file `path`, whole or not at all ([`AtomicFile`]).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut f = AtomicFile::create(path)?;
    f.writer().write_all(bytes)?;
    f.commit().map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    /// A job that counts to the number in its first argument, checking the flag.
    fn counting() -> Arc<Execute> {
        Arc::new(|args: &[String], out: &Path, hooks: &Hooks| {
            let n: u64 = args[0].parse().map_err(|_| vec!["not a number".into()])?;
            for i in 1..=n {
                if hooks.cancelled() {
                    return Err(vec!["cancelled".into()]);
                }
                std::thread::sleep(Duration::from_millis(5));
                hooks.set(i, n);
            }
            std::fs::create_dir_all(out).map_err(|e| vec![e.to_string()])?;
            Ok(())
        })
    }

    fn wait(jobs: &Jobs, id: u64) -> Progress {
        let t = Instant::now();
        loop {
            let p = jobs.progress(id).unwrap();
            if p.state.is_final() {
                return p;
            }
            assert!(t.elapsed() < Duration::from_secs(30));
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    fn wait_running(jobs: &Jobs, id: u64) {
        let t = Instant::now();
        while jobs.progress(id).unwrap().state != State::Running {
            assert!(t.elapsed() < Duration::from_secs(10));
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    fn submit(jobs: &Jobs, n: &str) -> Result<u64, SubmitError> {
        let id = jobs.reserve()?;
        jobs.submit(
            id,
            Kind::Run,
            vec!["x".into()],
            vec![n.into()],
            String::new(),
        )?;
        Ok(id)
    }

    fn meta(id: u64, state: State, attempts: u32) -> Meta {
        Meta {
            id,
            kind: Kind::Plan,
            scenarios: vec!["x".into()],
            args: vec!["3".into()],
            what: String::new(),
            state,
            message: String::new(),
            created: 0,
            started: None,
            seconds: 0.0,
            attempts,
            rerun_of: None,
        }
    }

    #[test]
    fn jobs_run_in_order_report_progress_and_outlive_the_queue() {
        let dir = tempfile::tempdir().unwrap();
        let jobs = Jobs::start_with(dir.path(), 1, 2, counting());
        let a = submit(&jobs, "3").unwrap();
        let b = submit(&jobs, "oops").unwrap();
        let p = wait(&jobs, a);
        assert_eq!(
            (p.state, p.done, p.total, p.percent),
            (State::Done, 3, 3, 100)
        );
        let p = wait(&jobs, b);
        assert_eq!(p.state, State::Failed);
        assert_eq!(p.message, "not a number");
        let m = jobs.get(a).unwrap();
        assert!(m.started.is_some() && m.attempts == 1);
        // the records are on disk, and a new queue over the folder finds them
        let again = Jobs::start_with(dir.path(), 1, 2, counting());
        assert_eq!(again.get(a).unwrap().state, State::Done);
        assert_eq!(again.get(b).unwrap().state, State::Failed);
        assert_eq!(submit(&again, "1").unwrap(), b + 1);
        // a rerun is a new job with the same command line
        let r = again.rerun(a).unwrap().unwrap();
        assert_eq!(wait(&again, r).state, State::Done);
        let m = again.get(r).unwrap();
        assert_eq!(
            (m.args.clone(), m.rerun_of),
            (vec!["3".to_string()], Some(a))
        );
        assert!(again.rerun(999).unwrap().is_none());
    }

    #[test]
    fn the_queue_is_bounded_and_cancels() {
        let dir = tempfile::tempdir().unwrap();
        let jobs = Jobs::start_with(dir.path(), 1, 2, counting());
        let running = submit(&jobs, "100000").unwrap();
        wait_running(&jobs, running);
        let q1 = submit(&jobs, "1").unwrap();
        let _q2 = submit(&jobs, "1").unwrap();
        assert!(matches!(submit(&jobs, "1"), Err(SubmitError::Full(2))));
        // the refused job's number is not left with a folder
        assert!(!jobs.job_dir(q1 + 2).exists());
        // a queued job is dropped at once, freeing its place
        assert!(jobs.cancel(q1));
        assert_eq!(jobs.progress(q1).unwrap().state, State::Cancelled);
        submit(&jobs, "1").unwrap();
        // a running one stops at its next check
        assert!(jobs.cancel(running));
        assert_eq!(wait(&jobs, running).state, State::Cancelled);
        assert!(!jobs.cancel(running));
        assert!(!jobs.cancel(9999));
    }

    #[test]
    fn a_restart_resumes_queued_jobs_and_reruns_a_running_one_once() {
        let dir = tempfile::tempdir().unwrap();
        // as a killed server leaves them: one running (with a partial output folder),
        // one queued, one running for the second time
        for m in [
            meta(7, State::Running, 1),
            meta(8, State::Queued, 0),
            meta(9, State::Running, 2),
        ] {
            write_meta(dir.path(), &m).unwrap();
        }
        let partial = dir.path().join("7/.out.partial-4242-0");
        std::fs::create_dir_all(&partial).unwrap();
        std::fs::write(partial.join(crate::report::output::MARKER), "w").unwrap();
        // what the server did not write stays
        let theirs = dir.path().join("7/.out.partial-4242-1");
        std::fs::create_dir_all(&theirs).unwrap();
        std::fs::write(dir.path().join("7/.job.json.partial-4242"), "{").unwrap();
        std::fs::write(dir.path().join("7/notes.txt"), "mine").unwrap();
        // a folder that is not a job, a damaged record and a reserved number
        std::fs::create_dir_all(dir.path().join("junk")).unwrap();
        std::fs::create_dir_all(dir.path().join("10")).unwrap();
        std::fs::write(dir.path().join("10/job.json"), "{ not json").unwrap();
        std::fs::create_dir_all(dir.path().join("11")).unwrap();
        let jobs = Jobs::start_with(dir.path(), 1, 2, counting());
        assert!(!partial.exists());
        assert!(!dir.path().join("7/.job.json.partial-4242").exists());
        assert!(theirs.exists() && dir.path().join("7/notes.txt").exists());
        assert_eq!(wait(&jobs, 7).state, State::Done);
        assert_eq!(wait(&jobs, 8).state, State::Done);
        let m = jobs.get(9).unwrap();
        assert_eq!(m.state, State::Interrupted);
        assert!(m.message.contains("2 times"), "{}", m.message);
        assert_eq!(jobs.list().len(), 3);
        assert_eq!(jobs.get(7).unwrap().command(), "workwell 3");
        assert_eq!(submit(&jobs, "1").unwrap(), 12);
    }

    #[test]
    fn stopping_refuses_jobs_and_keeps_the_running_one_for_the_next_start() {
        let dir = tempfile::tempdir().unwrap();
        let jobs = Jobs::start_with(dir.path(), 1, 3, counting());
        let running = submit(&jobs, "100000").unwrap();
        wait_running(&jobs, running);
        let queued = submit(&jobs, "2").unwrap();
        jobs.stop();
        assert!(jobs.wait_idle(Duration::from_secs(10)));
        assert!(matches!(submit(&jobs, "1"), Err(SubmitError::Stopping)));
        let m = jobs.get(running).unwrap();
        assert_eq!((m.state, m.attempts), (State::Queued, 0), "{}", m.message);
        assert_eq!(jobs.get(queued).unwrap().state, State::Queued);
        // the next server runs both, in the order they were asked for
        drop(jobs);
        let next = Jobs::start_with(dir.path(), 1, 3, counting());
        next.cancel(running);
        assert_eq!(wait(&next, running).state, State::Cancelled);
        assert_eq!(wait(&next, queued).state, State::Done);
    }

    #[test]
    fn commands_quote_what_a_shell_would_split() {
        let m = Meta {
            args: vec!["run".into(), "my data/a.toml".into(), "it's".into()],
            ..meta(1, State::Done, 1)
        };
        assert_eq!(m.command(), "workwell run 'my data/a.toml' 'it'\\''s'");
        assert!(is_atomic_temp(".job.json.partial-12"));
        for no in [
            "job.json.partial-12",
            ".job.json.partial-",
            ".partial-1",
            ".a.partial-1x",
        ] {
            assert!(!is_atomic_temp(no), "{no}");
        }
    }
}
