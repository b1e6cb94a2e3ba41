//! Jobs: each is a command line of `workwell` (run, compare, plan or calibrate),
//! run by the binary's own subcommands (see [`Execute`]) into the job's folder
//! `DATA/jobs/ID/out/`. A bounded queue feeds a fixed number of worker threads;
//! progress and cancellation go through [`Hooks`]. Job metadata is kept as `DATA/jobs/ID/job.json`, so finished jobs
//! outlive the server; a job that was queued or running when the server stopped is
//! marked interrupted.

use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use serde::{Deserialize, Serialize};

use super::hooks::Hooks;

/// Runs a job's command line (`workwell ARGS`, without the program name) into the
/// output folder given, reporting to the hooks; an error is the lines the command
/// line would print. The binary supplies it: its own subcommands, parsed by their
/// own argument definitions, so a job writes what the command writes.
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
    /// Where it is.
    pub state: State,
    /// Why it failed, if it did.
    pub message: String,
    /// When it was asked for (seconds since 1970).
    pub created: u64,
    /// Seconds it ran for, once finished.
    pub seconds: f64,
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

/// A job: its record and its live progress.
#[derive(Debug, Clone)]
pub struct Job {
    /// Its record.
    pub meta: Meta,
    /// Its progress and cancellation flag.
    pub hooks: Arc<Hooks>,
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
    /// Whole percent finished (100 once done).
    pub percent: u32,
    /// The current stage, if named.
    pub stage: String,
    /// Why it failed, if it did.
    pub message: String,
}

/// Why a job was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// The queue is full.
    #[error("the job queue is full ({0} jobs waiting): wait for a job to finish or cancel one")]
    Full(usize),
    /// The job's folder could not be made.
    #[error("cannot create the job folder: {0}")]
    Io(String),
}

struct Inner {
    jobs: BTreeMap<u64, Job>,
    queue: VecDeque<u64>,
    next: u64,
}

/// The jobs of a data folder and the workers running them.
pub struct Jobs {
    dir: PathBuf,
    execute: Arc<Execute>,
    max_queued: usize,
    inner: Mutex<Inner>,
    ready: Condvar,
}

impl Jobs {
    /// Loads the jobs recorded in `dir` and starts `workers` worker threads that run
    /// queued jobs with `execute`; at most `max_queued` jobs wait.
    pub fn start(
        dir: &Path,
        workers: usize,
        max_queued: usize,
        execute: Arc<Execute>,
    ) -> Arc<Self> {
        let mut jobs = BTreeMap::new();
        if let Ok(rd) = std::fs::read_dir(dir) {
            for e in rd.filter_map(Result::ok) {
                let Ok(text) = std::fs::read_to_string(e.path().join("job.json")) else {
                    continue;
                };
                let Ok(mut meta) = serde_json::from_str::<Meta>(&text) else {
                    continue;
                };
                if e.file_name().to_str() != Some(&meta.id.to_string()) {
                    continue;
                }
                if !meta.state.is_final() {
                    meta.state = State::Interrupted;
                    meta.message = "the server stopped before the job finished".into();
                    let _ = write_meta(dir, &meta);
                }
                let hooks = Arc::new(Hooks::default());
                jobs.insert(meta.id, Job { meta, hooks });
            }
        }
        let next = jobs.keys().next_back().map_or(1, |k| k + 1);
        let me = Arc::new(Jobs {
            dir: dir.to_path_buf(),
            execute,
            max_queued,
            inner: Mutex::new(Inner {
                jobs,
                queue: VecDeque::new(),
                next,
            }),
            ready: Condvar::new(),
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
    /// (an uploaded CSV); [`Jobs::submit`] then queues it.
    pub fn reserve(&self) -> Result<u64, SubmitError> {
        let mut g = self.lock();
        if g.queue.len() >= self.max_queued {
            return Err(SubmitError::Full(g.queue.len()));
        }
        let id = g.next;
        g.next += 1;
        std::fs::create_dir_all(self.job_dir(id)).map_err(|e| SubmitError::Io(e.to_string()))?;
        Ok(id)
    }

    /// Queues job `id` (from [`Jobs::reserve`]) running `workwell ARGS`.
    pub fn submit(
        &self,
        id: u64,
        kind: Kind,
        scenarios: Vec<String>,
        args: Vec<String>,
    ) -> Result<(), SubmitError> {
        let mut g = self.lock();
        if g.queue.len() >= self.max_queued {
            return Err(SubmitError::Full(g.queue.len()));
        }
        let meta = Meta {
            id,
            kind,
            scenarios,
            args,
            state: State::Queued,
            message: String::new(),
            created: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            seconds: 0.0,
        };
        write_meta(&self.dir, &meta).map_err(|e| SubmitError::Io(e.to_string()))?;
        g.jobs.insert(
            id,
            Job {
                meta,
                hooks: Arc::new(Hooks::default()),
            },
        );
        g.queue.push_back(id);
        drop(g);
        self.ready.notify_one();
        Ok(())
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
        let (done, total) = (j.hooks.done.load(Relaxed), j.hooks.total.load(Relaxed));
        let percent = match j.meta.state {
            State::Done => 100,
            _ if total == 0 => 0,
            _ => ((done.min(total) * 100) / total).min(99) as u32,
        };
        Some(Progress {
            state: j.meta.state,
            done,
            total,
            percent,
            stage: j.hooks.stage.lock().map(|s| s.clone()).unwrap_or_default(),
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
                true
            }
            State::Running => {
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

    fn work(&self) {
        loop {
            let (meta, hooks) = {
                let mut g = self.lock();
                let id = loop {
                    if let Some(id) = g.queue.pop_front() {
                        break id;
                    }
                    g = self.ready.wait(g).unwrap_or_else(|e| e.into_inner());
                };
                let Some(j) = g.jobs.get_mut(&id) else {
                    continue;
                };
                j.meta.state = State::Running;
                let _ = write_meta(&self.dir, &j.meta);
                (j.meta.clone(), Arc::clone(&j.hooks))
            };
            let started = std::time::Instant::now();
            let out = self.out_dir(meta.id);
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                (self.execute)(&meta.args, &out, &hooks)
            }));
            let (state, message) = match result {
                Ok(Ok(())) => (State::Done, String::new()),
                Ok(Err(_)) | Err(_) if hooks.cancelled() => {
                    (State::Cancelled, "cancelled while running".to_string())
                }
                Ok(Err(lines)) => (State::Failed, lines.join("\n")),
                Err(_) => (
                    State::Failed,
                    "the job stopped on an internal error (a bug: please report it)".into(),
                ),
            };
            let mut g = self.lock();
            if let Some(j) = g.jobs.get_mut(&meta.id) {
                j.meta.state = state;
                j.meta.message = message;
                j.meta.seconds = started.elapsed().as_secs_f64();
                let _ = write_meta(&self.dir, &j.meta);
            }
        }
    }
}

fn write_meta(dir: &Path, meta: &Meta) -> std::io::Result<()> {
    let d = dir.join(meta.id.to_string());
    std::fs::create_dir_all(&d)?;
    let tmp = d.join("job.json.tmp");
    let mut text = serde_json::to_string_pretty(meta).map_err(std::io::Error::other)?;
    text.push('\n');
    std::fs::write(&tmp, text)?;
    std::fs::rename(tmp, d.join("job.json"))
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

    fn submit(jobs: &Jobs, n: &str) -> Result<u64, SubmitError> {
        let id = jobs.reserve()?;
        jobs.submit(id, Kind::Run, vec!["x".into()], vec![n.into()])?;
        Ok(id)
    }

    #[test]
    fn jobs_run_in_order_report_progress_and_outlive_the_queue() {
        let dir = tempfile::tempdir().unwrap();
        let jobs = Jobs::start(dir.path(), 1, 2, counting());
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
        // the records are on disk, and a new queue over the folder finds them
        let again = Jobs::start(dir.path(), 1, 2, counting());
        assert_eq!(again.get(a).unwrap().state, State::Done);
        assert_eq!(again.get(b).unwrap().state, State::Failed);
        assert_eq!(submit(&again, "1").unwrap(), b + 1);
    }

    #[test]
    fn the_queue_is_bounded_and_cancels() {
        let dir = tempfile::tempdir().unwrap();
        let jobs = Jobs::start(dir.path(), 1, 2, counting());
        let running = submit(&jobs, "100000").unwrap();
        let t = Instant::now();
        while jobs.progress(running).unwrap().state != State::Running {
            assert!(t.elapsed() < Duration::from_secs(10));
            std::thread::sleep(Duration::from_millis(2));
        }
        let q1 = submit(&jobs, "1").unwrap();
        let _q2 = submit(&jobs, "1").unwrap();
        assert!(matches!(submit(&jobs, "1"), Err(SubmitError::Full(2))));
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
    fn unfinished_jobs_are_interrupted_by_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let meta = Meta {
            id: 7,
            kind: Kind::Plan,
            scenarios: vec!["x".into()],
            args: vec!["plan".into(), "x.toml".into()],
            state: State::Running,
            message: String::new(),
            created: 0,
            seconds: 0.0,
        };
        write_meta(dir.path(), &meta).unwrap();
        // a folder that is not a job, and a record under another number, are ignored
        std::fs::create_dir_all(dir.path().join("junk")).unwrap();
        std::fs::create_dir_all(dir.path().join("8")).unwrap();
        std::fs::write(dir.path().join("8/job.json"), "{ not json").unwrap();
        let jobs = Jobs::start(dir.path(), 1, 2, counting());
        let m = jobs.get(7).unwrap();
        assert_eq!(m.state, State::Interrupted);
        assert_eq!(jobs.list().len(), 1);
        assert_eq!(m.command(), "workwell plan x.toml");
    }

    #[test]
    fn commands_quote_what_a_shell_would_split() {
        let m = Meta {
            id: 1,
            kind: Kind::Run,
            scenarios: vec![],
            args: vec!["run".into(), "my data/a.toml".into(), "it's".into()],
            state: State::Done,
            message: String::new(),
            created: 0,
            seconds: 0.0,
        };
        assert_eq!(m.command(), "workwell run 'my data/a.toml' 'it'\\''s'");
    }
}
