//! The one place that writes files. A run writes into a hidden temporary folder
//! beside the destination and renames it into place only when everything is
//! written, so a failed or interrupted run never leaves a half-written output folder.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// An output folder being written.
#[derive(Debug)]
pub struct OutputDir {
    tmp: PathBuf,
    dest: PathBuf,
    committed: bool,
}

impl OutputDir {
    /// Starts writing an output folder that will become `dest`.
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
        if tmp.exists() {
            fs::remove_dir_all(&tmp)?;
        }
        fs::create_dir(&tmp)?;
        Ok(Self {
            tmp,
            dest: dest.to_path_buf(),
            committed: false,
        })
    }

    /// Writes a whole file.
    pub fn write(&self, name: &str, bytes: &[u8]) -> std::io::Result<()> {
        fs::write(self.tmp.join(name), bytes)
    }

    /// Opens a file for streaming writes.
    pub fn stream(&self, name: &str) -> std::io::Result<std::io::BufWriter<fs::File>> {
        Ok(std::io::BufWriter::new(fs::File::create(
            self.tmp.join(name),
        )?))
    }

    /// Moves the finished folder into place, replacing any previous one.
    pub fn commit(mut self) -> std::io::Result<PathBuf> {
        let old = self.tmp.with_file_name(format!(
            ".{}.old-{}",
            self.dest
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            std::process::id()
        ));
        if self.dest.exists() {
            fs::rename(&self.dest, &old)?;
        }
        if let Err(e) = fs::rename(&self.tmp, &self.dest) {
            if old.exists() {
                let _ = fs::rename(&old, &self.dest);
            }
            return Err(e);
        }
        self.committed = true;
        if old.exists() {
            fs::remove_dir_all(&old)?;
        }
        Ok(self.dest.clone())
    }
}

impl Drop for OutputDir {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.tmp);
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

/// Appends bytes to a streaming file.
pub fn append(w: &mut impl Write, bytes: &[u8]) -> std::io::Result<()> {
    w.write_all(bytes)
}
