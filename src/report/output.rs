//! The one place that writes output folders, built so that it never deletes or moves
//! anything this program did not write, and so that an interrupted run (even
//! `kill -9`) leaves either the old complete output or the new complete one.
//!
//! - A run writes into a new hidden folder beside the destination,
//!   `.NAME.partial-PID-N`, whose first file is the marker [`MARKER`].
//! - An existing destination is replaced only if it is a folder carrying the marker
//!   (written by an earlier run); a folder without it, a plain file, a link or
//!   anything else is refused with [`OutputError::Refused`] and left untouched.
//! - On commit the new folder takes the destination's place: a plain rename when
//!   there is none; otherwise, on Linux, an atomic exchange of the two folders
//!   (`renameat2` with `RENAME_EXCHANGE`), after which the old output, now under the
//!   hidden name, is deleted. Where the exchange is unsupported the old folder is
//!   first renamed to `.NAME.old-PID-N`; if the process dies between the two renames,
//!   the next start puts it back.
//! - At every start, hidden folders of this form left by processes that are no
//!   longer alive (no `/proc/PID`) are deleted (or, for an `.old` folder whose
//!   destination is missing, renamed back into place).

use std::fs;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

/// The marker file every output folder carries: it says the folder was written by
/// this program and may be replaced by a later run.
pub const MARKER: &str = ".workwell-output";

/// Why an output folder could not be written.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// The destination exists and is not an output folder of this program: bad
    /// input, nothing was touched.
    #[error("{}: {reason}; it was left untouched. Choose another --out (or remove it yourself)", path.display())]
    Refused {
        /// The destination.
        path: PathBuf,
        /// What it is.
        reason: String,
    },
    /// The workbook could not be made from the folder's CSV files.
    #[error("{0}")]
    Workbook(#[from] super::workbook::WorkbookError),
    /// A file could not be written, created or moved.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The system's reason.
        source: std::io::Error,
    },
}

fn io<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> OutputError + 'a {
    move |source| OutputError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// An output folder being written.
#[derive(Debug)]
pub struct OutputDir {
    tmp: PathBuf,
    dest: PathBuf,
    committed: bool,
}

/// The name of [`OutputDir::scratch`]'s file while it exists.
const SCRATCH: &str = ".scratch";

static SERIAL: AtomicU32 = AtomicU32::new(0);

impl OutputDir {
    /// Starts writing an output folder that will become `dest`; `command` (the
    /// subcommand that writes it, not its arguments, so that the folder's bytes do not
    /// depend on the thread count or on sharding) is recorded in the marker file. Refuses a destination that
    /// exists and is not a marked output folder, before any work is done.
    pub fn create(dest: &Path, command: &str) -> Result<Self, OutputError> {
        let (parent, name) = split(dest);
        fs::create_dir_all(&parent).map_err(io("create the folder", &parent))?;
        clean_stale(&parent);
        check_replaceable(dest)?;
        let tmp = parent.join(format!(
            ".{name}.partial-{}-{}",
            std::process::id(),
            SERIAL.fetch_add(1, Ordering::Relaxed)
        ));
        if fs::symlink_metadata(&tmp).is_ok() {
            // left by an earlier process that had our PID: ours to clear only if it
            // is one of our folders
            if !is_ours(&tmp) {
                return Err(OutputError::Refused {
                    path: tmp,
                    reason: "exists and is not an output folder of workwell".into(),
                });
            }
            remove_ours(&tmp).map_err(io("remove the stale folder", &tmp))?;
        }
        fs::create_dir(&tmp).map_err(io("create the folder", &tmp))?;
        let dir = Self {
            tmp,
            dest: dest.to_path_buf(),
            committed: false,
        };
        let marker = format!(
            "This folder was written by workwell {}; a later run may replace it.\ncommand: {}\n",
            env!("CARGO_PKG_VERSION"),
            command.replace(['\n', '\r'], " ")
        );
        dir.write(MARKER, marker.as_bytes())?;
        Ok(dir)
    }

    /// The folder being written (hidden until [`OutputDir::commit`]).
    pub fn path(&self) -> &Path {
        &self.tmp
    }

    /// Writes a whole file.
    pub fn write(&self, name: &str, bytes: &[u8]) -> Result<(), OutputError> {
        let p = self.tmp.join(name);
        fs::write(&p, bytes).map_err(io("write", &self.dest.join(name)))?;
        Ok(())
    }

    /// Opens a file for streaming writes; write errors should be reported with
    /// [`OutputDir::write_error`].
    pub fn stream(&self, name: &str) -> Result<std::io::BufWriter<fs::File>, OutputError> {
        let f =
            fs::File::create(self.tmp.join(name)).map_err(io("write", &self.dest.join(name)))?;
        Ok(std::io::BufWriter::new(f))
    }

    /// A scratch file for working data (read and written, never part of the output):
    /// created in the hidden folder and unlinked at once where the system allows
    /// it, so that it goes when the process ends, whatever happens; otherwise
    /// removed before the folder is committed. One per output folder.
    pub fn scratch(&self) -> Result<fs::File, OutputError> {
        let p = self.tmp.join(SCRATCH);
        let f = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&p)
            .map_err(io("create the scratch file", &p))?;
        let _ = fs::remove_file(&p);
        Ok(f)
    }

    /// Writes [`workbook::FILE`](super::workbook::FILE) from the folder's CSV files
    /// (in name order), when it has any.
    fn write_workbook(&self) -> Result<(), OutputError> {
        let mut names: Vec<String> = fs::read_dir(&self.tmp)
            .map_err(io("read", &self.tmp))?
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".csv") && !n.starts_with('.'))
            .collect();
        if names.is_empty() {
            return Ok(());
        }
        names.sort();
        let mut files = Vec::with_capacity(names.len());
        for n in names {
            let p = self.tmp.join(&n);
            let len = fs::metadata(&p).map_err(io("read", &p))?.len();
            let bytes = if len > super::workbook::MAX_CSV_BYTES {
                None
            } else {
                Some(fs::read(&p).map_err(io("read", &p))?)
            };
            files.push((n, bytes));
        }
        let book = super::workbook::workbook(&files)?;
        self.write(super::workbook::FILE, &book)
    }

    /// The error of a failed write to the streaming file `name`, naming the file.
    pub fn write_error(&self, name: &str, source: std::io::Error) -> OutputError {
        OutputError::Io {
            action: "write",
            path: self.dest.join(name),
            source,
        }
    }

    /// Moves the finished folder into place, replacing a previous output folder of
    /// this program (never anything else).
    pub fn commit(mut self) -> Result<PathBuf, OutputError> {
        // where an open file cannot be unlinked, the scratch file is still here
        let _ = fs::remove_file(self.tmp.join(SCRATCH));
        self.write_workbook()?;
        let meta = match fs::symlink_metadata(&self.dest) {
            Ok(m) => Some(m),
            Err(e) if e.kind() == ErrorKind::NotFound => None,
            Err(e) => return Err(io("read", &self.dest)(e)),
        };
        if meta.is_none() {
            fs::rename(&self.tmp, &self.dest)
                .map_err(io("move the output folder to", &self.dest))?;
            self.committed = true;
            return Ok(self.dest.clone());
        }
        // something appeared or changed while we ran: look again
        check_replaceable(&self.dest)?;
        if exchange(&self.tmp, &self.dest).map_err(io("move the output folder to", &self.dest))? {
            // the old output is now at `tmp`, hidden; a kill while deleting it
            // leaves a stale folder the next start removes
            // (the new output is in place: a failure to delete the old one leaves a
            // hidden folder the next start removes, not a failed run)
            self.committed = true;
            let _ = remove_ours(&self.tmp);
            return Ok(self.dest.clone());
        }
        // no atomic exchange here: move the old one aside, then the new one in
        let hidden = self
            .tmp
            .file_name()
            .map(|n| n.to_string_lossy().replacen(".partial-", ".old-", 1))
            .unwrap_or_default();
        let old = self.tmp.with_file_name(hidden);
        fs::rename(&self.dest, &old).map_err(io("move aside the old output", &self.dest))?;
        if let Err(e) = fs::rename(&self.tmp, &self.dest) {
            let _ = fs::rename(&old, &self.dest);
            return Err(io("move the output folder to", &self.dest)(e));
        }
        self.committed = true;
        let _ = remove_ours(&old);
        Ok(self.dest.clone())
    }
}

impl Drop for OutputDir {
    fn drop(&mut self) {
        if !self.committed {
            let _ = remove_ours(&self.tmp);
        }
    }
}

/// The destination's parent folder (`.` for a bare name) and its file name.
fn split(dest: &Path) -> (PathBuf, String) {
    let parent = dest
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    (parent, name)
}

/// Whether `p` is a real folder (not a link) that carries the marker, or is empty
/// (a folder this program created and was killed before it wrote the marker).
fn is_ours(p: &Path) -> bool {
    let Ok(m) = fs::symlink_metadata(p) else {
        return false;
    };
    if !m.is_dir() {
        return false;
    }
    if fs::symlink_metadata(p.join(MARKER)).is_ok_and(|m| m.is_file()) {
        return true;
    }
    fs::read_dir(p).is_ok_and(|mut d| d.next().is_none())
}

/// Refuses a destination that exists and is not a marked output folder.
fn check_replaceable(dest: &Path) -> Result<(), OutputError> {
    let refuse = |reason: &str| {
        Err(OutputError::Refused {
            path: dest.to_path_buf(),
            reason: reason.to_string(),
        })
    };
    let m = match fs::symlink_metadata(dest) {
        Ok(m) => m,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io("read", dest)(e)),
    };
    if m.file_type().is_symlink() {
        return refuse("is a symbolic link, not an output folder of workwell");
    }
    if !m.is_dir() {
        return refuse("exists and is a file, not an output folder");
    }
    if !fs::symlink_metadata(dest.join(MARKER)).is_ok_and(|m| m.is_file()) {
        return refuse(&format!(
            "exists and is not an output folder of workwell (it has no {MARKER} marker, \
             so it may hold files workwell did not write)"
        ));
    }
    Ok(())
}

/// Deletes the output folder `p` (one of ours), its marker last: a process killed
/// while deleting leaves a folder that still has its marker (or is empty), which
/// the next start recognises as ours and removes; `fs::remove_dir_all` alone could
/// take the marker first and leave files no later run would touch.
fn remove_ours(p: &Path) -> std::io::Result<()> {
    for e in fs::read_dir(p)? {
        let e = e?;
        if e.file_name() == MARKER {
            continue;
        }
        if e.file_type()?.is_dir() {
            fs::remove_dir_all(e.path())?;
        } else {
            fs::remove_file(e.path())?;
        }
    }
    match fs::remove_file(p.join(MARKER)) {
        Err(e) if e.kind() != ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    fs::remove_dir(p)
}

/// Whether the process `pid` is alive; `None` where this cannot be told.
fn alive(pid: u32) -> Option<bool> {
    if !Path::new("/proc/self").exists() {
        return None;
    }
    Some(Path::new(&format!("/proc/{pid}")).exists())
}

/// Deletes the hidden folders in `parent` left by dead processes, for any
/// destination (an `.old` folder whose destination is missing is put back instead).
fn clean_stale(parent: &Path) {
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    let me = std::process::id();
    for e in entries.flatten() {
        let file = e.file_name().to_string_lossy().into_owned();
        let Some((name, old, pid)) = parse_hidden(&file) else {
            continue;
        };
        if pid == me || alive(pid) != Some(false) {
            continue;
        }
        let p = e.path();
        if !is_ours(&p) {
            continue;
        }
        let dest = parent.join(name);
        if old && fs::symlink_metadata(&dest).is_err() {
            let _ = fs::rename(&p, &dest);
        } else {
            let _ = remove_ours(&p);
        }
    }
}

/// One file written atomically: into a hidden temporary file beside it, renamed into
/// place by [`commit`](Self::commit) (replacing any previous file of that name), and
/// removed if dropped uncommitted.
#[derive(Debug)]
pub struct AtomicFile {
    tmp: PathBuf,
    dest: PathBuf,
    file: Option<std::io::BufWriter<fs::File>>,
}

impl AtomicFile {
    /// Starts writing `dest`, creating its folder if needed.
    pub fn create(dest: &Path) -> std::io::Result<Self> {
        let parent = dest
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        fs::create_dir_all(parent)?;
        let name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "out".into());
        let tmp = parent.join(format!(".{name}.partial-{}", std::process::id()));
        let file = std::io::BufWriter::new(fs::File::create(&tmp)?);
        Ok(Self {
            tmp,
            dest: dest.to_path_buf(),
            file: Some(file),
        })
    }

    /// The writer.
    pub fn writer(&mut self) -> &mut std::io::BufWriter<fs::File> {
        self.file.as_mut().expect("open until committed")
    }

    /// Flushes, syncs and renames the file into place.
    pub fn commit(mut self) -> std::io::Result<PathBuf> {
        let file = self.file.take().expect("open until committed");
        let file = file.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        drop(file);
        fs::rename(&self.tmp, &self.dest)?;
        Ok(self.dest.clone())
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.file.is_some() {
            self.file = None;
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

/// Splits `.NAME.partial-PID-N` or `.NAME.old-PID-N` into (NAME, is old, PID).
fn parse_hidden(file: &str) -> Option<(&str, bool, u32)> {
    let rest = file.strip_prefix('.')?;
    let (name, old, tail) = if let Some(i) = rest.rfind(".partial-") {
        (&rest[..i], false, &rest[i + ".partial-".len()..])
    } else if let Some(i) = rest.rfind(".old-") {
        (&rest[..i], true, &rest[i + ".old-".len()..])
    } else {
        return None;
    };
    let (pid, serial) = tail.split_once('-')?;
    if name.is_empty() || serial.parse::<u32>().is_err() {
        return None;
    }
    Some((name, old, pid.parse().ok()?))
}

/// Swaps two folders atomically; `Ok(false)` where the system cannot.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<bool> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    use rustix::io::Errno;
    match renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE) {
        Ok(()) => Ok(true),
        Err(e) if e == Errno::INVAL || e == Errno::NOSYS || e == Errno::NOTSUP => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Swaps two folders atomically; `Ok(false)` where the system cannot.
#[cfg(not(target_os = "linux"))]
fn exchange(_a: &Path, _b: &Path) -> std::io::Result<bool> {
    Ok(false)
}

/// Appends bytes to a streaming file.
pub fn append(w: &mut impl Write, bytes: &[u8]) -> std::io::Result<()> {
    w.write_all(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marked(dir: &Path) {
        fs::create_dir_all(dir).unwrap();
        fs::write(dir.join(MARKER), "workwell").unwrap();
    }

    fn hidden(parent: &Path) -> Vec<String> {
        fs::read_dir(parent)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with('.'))
            .collect()
    }

    #[test]
    fn existing_folder_without_marker_is_refused_and_untouched() {
        let t = tempfile::tempdir().unwrap();
        let dest = t.path().join("Documents");
        fs::create_dir(&dest).unwrap();
        fs::write(dest.join("thesis.docx"), "precious").unwrap();
        let e = OutputDir::create(&dest, "test").unwrap_err();
        assert!(matches!(e, OutputError::Refused { .. }), "{e}");
        assert!(e.to_string().contains("not an output folder"), "{e}");
        assert_eq!(
            fs::read_to_string(dest.join("thesis.docx")).unwrap(),
            "precious"
        );
        assert_eq!(fs::read_dir(&dest).unwrap().count(), 1);
        assert!(hidden(t.path()).is_empty());
    }

    #[test]
    fn plain_file_is_refused_and_untouched() {
        let t = tempfile::tempdir().unwrap();
        let dest = t.path().join("notes.txt");
        fs::write(&dest, "precious").unwrap();
        let e = OutputDir::create(&dest, "test").unwrap_err();
        assert!(matches!(e, OutputError::Refused { .. }));
        assert!(e.to_string().contains("is a file"), "{e}");
        assert_eq!(fs::read_to_string(&dest).unwrap(), "precious");
        assert!(hidden(t.path()).is_empty());
    }

    #[test]
    fn destination_that_becomes_a_file_during_the_run_is_refused() {
        // the destination appears as a plain file while the run is writing
        let t = tempfile::tempdir().unwrap();
        let dest = t.path().join("out");
        let dir = OutputDir::create(&dest, "test").unwrap();
        dir.write("a.txt", b"new").unwrap();
        fs::write(&dest, "precious").unwrap();
        assert!(matches!(
            dir.commit().unwrap_err(),
            OutputError::Refused { .. }
        ));
        assert_eq!(fs::read_to_string(&dest).unwrap(), "precious");
        assert!(hidden(t.path()).is_empty());
    }

    #[test]
    fn symlink_is_refused() {
        let t = tempfile::tempdir().unwrap();
        let real = t.path().join("real");
        marked(&real);
        let dest = t.path().join("link");
        std::os::unix::fs::symlink(&real, &dest).unwrap();
        assert!(matches!(
            OutputDir::create(&dest, "test").unwrap_err(),
            OutputError::Refused { .. }
        ));
        assert!(real.join(MARKER).exists());
    }

    #[test]
    fn marked_folder_is_replaced() {
        let t = tempfile::tempdir().unwrap();
        let dest = t.path().join("out");
        let first = OutputDir::create(&dest, "first").unwrap();
        first.write("a.txt", b"old").unwrap();
        first.write("only_old.txt", b"old").unwrap();
        first.commit().unwrap();
        let second = OutputDir::create(&dest, "second").unwrap();
        second.write("a.txt", b"new").unwrap();
        assert_eq!(second.commit().unwrap(), dest);
        assert_eq!(fs::read_to_string(dest.join("a.txt")).unwrap(), "new");
        assert!(!dest.join("only_old.txt").exists());
        assert!(
            fs::read_to_string(dest.join(MARKER))
                .unwrap()
                .contains("second")
        );
        assert!(hidden(t.path()).is_empty(), "{:?}", hidden(t.path()));
    }

    #[test]
    fn dropped_without_commit_leaves_nothing() {
        let t = tempfile::tempdir().unwrap();
        let dest = t.path().join("out");
        let d = OutputDir::create(&dest, "test").unwrap();
        d.write("a.txt", b"x").unwrap();
        drop(d);
        assert!(!dest.exists());
        assert!(hidden(t.path()).is_empty());
    }

    /// A PID that no process has: beyond the kernel's maximum.
    const DEAD: u32 = 4_194_305;

    #[test]
    fn stale_partial_of_a_dead_pid_is_removed() {
        let t = tempfile::tempdir().unwrap();
        let dest = t.path().join("out");
        let stale = t.path().join(format!(".out.partial-{DEAD}-0"));
        marked(&stale);
        fs::write(stale.join("summary.json"), "half").unwrap();
        let empty = t.path().join(format!(".out.partial-{DEAD}-1"));
        fs::create_dir(&empty).unwrap();
        // not ours (no marker, not empty): kept
        let foreign = t.path().join(format!(".out.partial-{DEAD}-2"));
        fs::create_dir(&foreign).unwrap();
        fs::write(foreign.join("x"), "x").unwrap();
        // a live process's (our own parent's): kept
        let live = t.path().join(format!(
            ".out.partial-{}-0",
            std::os::unix::process::parent_id()
        ));
        marked(&live);
        // a stale folder of another destination in the same parent
        let other = t.path().join(format!(".other.v2.partial-{DEAD}-7"));
        marked(&other);
        let d = OutputDir::create(&dest, "test").unwrap();
        d.commit().unwrap();
        assert!(!stale.exists() && !empty.exists() && !other.exists());
        assert!(foreign.exists() && live.exists());
        assert_eq!(parse_hidden(".a.b.partial-12-3"), Some(("a.b", false, 12)));
        assert_eq!(parse_hidden(".x.old-5-0"), Some(("x", true, 5)));
        assert_eq!(parse_hidden(".x.partial-5"), None);
        assert_eq!(parse_hidden("x.partial-5-0"), None);
    }

    #[test]
    fn old_output_of_a_process_killed_between_renames_is_put_back() {
        let t = tempfile::tempdir().unwrap();
        let dest = t.path().join("out");
        let old = t.path().join(format!(".out.old-{DEAD}-0"));
        marked(&old);
        fs::write(old.join("a.txt"), "old").unwrap();
        let d = OutputDir::create(&dest, "test").unwrap();
        // the previous complete output is back before this run replaces it
        assert_eq!(fs::read_to_string(dest.join("a.txt")).unwrap(), "old");
        d.write("a.txt", b"new").unwrap();
        d.commit().unwrap();
        assert_eq!(fs::read_to_string(dest.join("a.txt")).unwrap(), "new");
        assert!(hidden(t.path()).is_empty());
    }

    #[test]
    fn write_errors_name_the_file() {
        let t = tempfile::tempdir().unwrap();
        let dest = t.path().join("out");
        let d = OutputDir::create(&dest, "test").unwrap();
        let e = d.write("no/such/sub.txt", b"x").unwrap_err();
        assert!(!matches!(e, OutputError::Refused { .. }));
        assert!(e.to_string().contains("sub.txt"), "{e}");
    }
}
