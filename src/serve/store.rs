//! The data folder: saved scenarios (`DATA/scenarios/NAME.toml`, never overwritten,
//! so every past job's command still reruns it) and jobs (`DATA/jobs/ID/`), and the
//! bundled scenarios beside the program. Every name that reaches a path here has
//! passed [`check_name`]: identifiers, never paths.

use std::path::{Path, PathBuf};

/// The longest scenario or job name.
pub const NAME_MAX: usize = 64;

/// Checks that `name` is an identifier (`[A-Za-z0-9_-]{1,64}`) and so can never
/// name anything but a file in the folder it is joined to.
pub fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > NAME_MAX {
        return Err(format!(
            "a name has 1 to {NAME_MAX} characters, found {}",
            name.len()
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
    {
        return Err(format!(
            "a name has only letters, digits, `_` and `-`, found {:?}",
            c
        ));
    }
    Ok(())
}

/// Where a scenario comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// A scenario shipped with the program (`scenarios/*.toml`).
    Bundled,
    /// A scenario saved in the data folder.
    Saved,
}

/// A scenario file the front end offers.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Its name: the file name without `.toml`.
    pub name: String,
    /// Its file, as the command line would name it.
    pub path: PathBuf,
    /// Bundled or saved.
    pub origin: Origin,
}

/// The data folder and the bundled scenarios.
#[derive(Debug, Clone)]
pub struct Store {
    /// The data folder.
    pub data: PathBuf,
    /// The bundled scenarios' folder, if found.
    pub bundled: Option<PathBuf>,
}

impl Store {
    /// Opens (creating) the data folder; `bundled` is the bundled scenarios' folder.
    pub fn open(data: &Path, bundled: Option<PathBuf>) -> std::io::Result<Self> {
        for sub in ["scenarios", "jobs"] {
            std::fs::create_dir_all(data.join(sub))?;
        }
        Ok(Store {
            data: data.to_path_buf(),
            bundled,
        })
    }

    /// The folder of saved scenarios.
    pub fn saved_dir(&self) -> PathBuf {
        self.data.join("scenarios")
    }

    /// The folder of jobs.
    pub fn jobs_dir(&self) -> PathBuf {
        self.data.join("jobs")
    }

    /// Every scenario: the bundled ones, then the saved ones, each sorted by name.
    pub fn list(&self) -> Vec<Entry> {
        let mut all = Vec::new();
        if let Some(b) = &self.bundled {
            all.extend(list_dir(b, Origin::Bundled));
        }
        all.extend(list_dir(&self.saved_dir(), Origin::Saved));
        all
    }

    /// The scenario called `name` (a bundled one first).
    pub fn find(&self, name: &str) -> Option<Entry> {
        check_name(name).ok()?;
        self.list().into_iter().find(|e| e.name == name)
    }

    /// Where a scenario saved as `name` goes.
    pub fn saved_path(&self, name: &str) -> PathBuf {
        self.saved_dir().join(format!("{name}.toml"))
    }

    /// Saves `text` as the new scenario `name`; never replaces a scenario.
    pub fn save(&self, name: &str, text: &str) -> Result<PathBuf, String> {
        check_name(name)?;
        if self.find(name).is_some() {
            return Err(format!(
                "a scenario called `{name}` exists already; saved scenarios are never \
                 replaced (so every job reruns as it ran): choose a new name"
            ));
        }
        let path = self.saved_path(name);
        let tmp = self.saved_dir().join(format!(".{name}.toml.tmp"));
        // written whole under a temporary name, then linked into place: the link
        // fails if the name was taken meanwhile, so nothing is ever replaced
        let linked = std::fs::write(&tmp, text).and_then(|()| std::fs::hard_link(&tmp, &path));
        let _ = std::fs::remove_file(&tmp);
        match linked {
            Ok(()) => Ok(path),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(format!(
                "a scenario called `{name}` exists already; choose a new name"
            )),
            Err(e) => Err(format!("cannot write {}: {e}", path.display())),
        }
    }
}

fn list_dir(dir: &Path, origin: Origin) -> Vec<Entry> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut v: Vec<Entry> = rd
        .filter_map(Result::ok)
        .filter_map(|e| {
            let file = e.file_name().into_string().ok()?;
            let name = file.strip_suffix(".toml")?;
            check_name(name).ok()?;
            e.file_type().ok()?.is_file().then(|| Entry {
                name: name.to_string(),
                path: dir.join(&file),
                origin,
            })
        })
        .collect();
    v.sort_by(|a, b| a.name.cmp(&b.name));
    v
}

/// The bundled scenarios' folder: `scenarios/` in the working folder, else beside
/// the program's project (`target/*/workwell` -> `../../scenarios`), as a path
/// relative to the working folder when it is below it.
pub fn find_bundled() -> Option<PathBuf> {
    let here = Path::new("scenarios");
    if here.is_dir() {
        return Some(here.to_path_buf());
    }
    let exe = std::env::current_exe().ok()?;
    exe.ancestors()
        .skip(1)
        .take(4)
        .map(|a| a.join("scenarios"))
        .find(|d| d.is_dir())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_identifiers_never_paths() {
        for ok in ["baseline", "a-b_C9", &"x".repeat(64)] {
            assert!(check_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "..",
            "../etc",
            "a/b",
            "a\\b",
            "a.toml",
            "é",
            "a b",
            &"x".repeat(65),
        ] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn saving_never_replaces_and_lists_saved_after_bundled() {
        let dir = tempfile::tempdir().unwrap();
        let bundled = dir.path().join("bundled");
        std::fs::create_dir_all(&bundled).unwrap();
        std::fs::write(bundled.join("base.toml"), "b").unwrap();
        std::fs::write(bundled.join("not a name.toml"), "b").unwrap();
        std::fs::write(bundled.join("notes.txt"), "b").unwrap();
        let store = Store::open(&dir.path().join("data"), Some(bundled)).unwrap();
        assert!(store.save("mine", "one").is_ok());
        assert!(store.save("mine", "two").is_err());
        assert!(store.save("base", "two").is_err());
        assert!(store.save("../up", "two").is_err());
        assert_eq!(
            std::fs::read_to_string(store.saved_path("mine")).unwrap(),
            "one"
        );
        let names: Vec<(String, Origin)> = store
            .list()
            .into_iter()
            .map(|e| (e.name, e.origin))
            .collect();
        assert_eq!(
            names,
            [
                ("base".to_string(), Origin::Bundled),
                ("mine".to_string(), Origin::Saved)
            ]
        );
        assert!(store.find("../base").is_none());
        // no temporary file is left behind
        assert_eq!(std::fs::read_dir(store.saved_dir()).unwrap().count(), 1);
    }
}
