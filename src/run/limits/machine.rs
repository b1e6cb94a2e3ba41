//! The memory this process may still use, read from the machine before a run: what
//! the machine has available (`MemAvailable`), what its control group allows (cgroup
//! v2 `memory.max` less `memory.current`, or v1 `memory.limit_in_bytes` less
//! `memory.usage_in_bytes`, the tightest of the process's group and every group
//! above it: a Slurm job's `--mem`, a container's limit), and what its resource
//! limits on address space and data leave (`ulimit -v`, `ulimit -d`: the soft
//! `RLIMIT_AS` and `RLIMIT_DATA` less the process's `VmSize` and `VmData` now).
//!
//! Each reading is separate and pure where it can be (the parsers take the files'
//! text), so that the rules are tested without the machine; only [`read`] looks at
//! `/proc` and `/sys`. A limit that cannot be read is not checked.

use std::path::{Path, PathBuf};

/// What a limit counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counts {
    /// Memory in use (resident): what the machine and a cgroup count.
    Resident,
    /// Address space: every mapping, touched or not (thread stacks, allocator arenas,
    /// the room vectors grew into).
    AddressSpace,
    /// Writable private memory (the data limit): address space less the
    /// allocator's reserved, inaccessible arenas.
    Data,
}

/// Where a limit comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// `MemAvailable` in `/proc/meminfo`.
    Available,
    /// A cgroup v2 group's `memory.max`.
    CgroupV2 {
        /// The group's folder.
        dir: PathBuf,
        /// `memory.max`, bytes.
        max: f64,
    },
    /// A cgroup v1 group's `memory.limit_in_bytes`.
    CgroupV1 {
        /// The group's folder.
        dir: PathBuf,
        /// `memory.limit_in_bytes`, bytes.
        max: f64,
    },
    /// The soft `RLIMIT_AS` (`ulimit -v`).
    AddressSpace {
        /// The limit, bytes.
        max: f64,
    },
    /// The soft `RLIMIT_DATA` (`ulimit -d`).
    Data {
        /// The limit, bytes.
        max: f64,
    },
}

impl Source {
    /// What the limit counts.
    pub fn counts(&self) -> Counts {
        match self {
            Source::Available | Source::CgroupV2 { .. } | Source::CgroupV1 { .. } => {
                Counts::Resident
            }
            Source::AddressSpace { .. } => Counts::AddressSpace,
            Source::Data { .. } => Counts::Data,
        }
    }

    /// The limit in words, e.g. "the cgroup memory limit of 4.0 GiB (memory.max of
    /// /sys/fs/cgroup/job_1)".
    pub fn describe(&self) -> String {
        match self {
            Source::Available => "the memory available on this machine (MemAvailable)".into(),
            Source::CgroupV2 { dir, max } => format!(
                "the cgroup memory limit of {} (memory.max of {}, a Slurm job's --mem or a \
                 container's limit)",
                super::bytes(*max),
                dir.display()
            ),
            Source::CgroupV1 { dir, max } => format!(
                "the cgroup memory limit of {} (memory.limit_in_bytes of {}, a Slurm job's \
                 --mem or a container's limit)",
                super::bytes(*max),
                dir.display()
            ),
            Source::AddressSpace { max } => format!(
                "the address-space limit of {} (ulimit -v, RLIMIT_AS)",
                super::bytes(*max)
            ),
            Source::Data { max } => format!(
                "the data limit of {} (ulimit -d, RLIMIT_DATA)",
                super::bytes(*max)
            ),
        }
    }

    /// How to give the run more of it.
    pub fn raise(&self) -> &'static str {
        match self {
            Source::Available => "free memory or use a larger machine",
            Source::CgroupV2 { .. } | Source::CgroupV1 { .. } => {
                "ask for more memory (under Slurm, a larger --mem)"
            }
            Source::AddressSpace { .. } => "raise the address-space limit (ulimit -v)",
            Source::Data { .. } => "raise the data limit (ulimit -d)",
        }
    }
}

/// A limit on the memory this process may still use.
#[derive(Debug, Clone, PartialEq)]
pub struct MemoryLimit {
    /// Where it comes from.
    pub source: Source,
    /// Bytes the process may still add under it.
    pub left: f64,
}

/// Every memory limit this process is under, read now (none where nothing can be
/// read: another system, or no `/proc`).
pub fn read() -> Vec<MemoryLimit> {
    let mut out = Vec::new();
    let text = |p: &Path| std::fs::read_to_string(p).ok();
    if let Some(avail) = text(Path::new("/proc/meminfo")).and_then(|t| meminfo(&t, "MemAvailable:"))
    {
        out.push(MemoryLimit {
            source: Source::Available,
            left: avail,
        });
    }
    if let (Some(groups), Some(mounts)) = (
        text(Path::new("/proc/self/cgroup")),
        text(Path::new("/proc/self/mountinfo")),
    ) {
        out.extend(cgroup_limit(&groups, &mounts, &text));
    }
    let status = text(Path::new("/proc/self/status")).unwrap_or_default();
    for (limit, field) in rlimits() {
        let used = meminfo(&status, field).unwrap_or(0.0);
        let max = match limit {
            Source::AddressSpace { max } | Source::Data { max } => max,
            _ => continue,
        };
        out.push(MemoryLimit {
            left: (max - used).max(0.0),
            source: limit,
        });
    }
    out
}

/// The soft address-space and data limits, with the `/proc/self/status` field of
/// what the process uses of each now.
#[cfg(target_os = "linux")]
fn rlimits() -> Vec<(Source, &'static str)> {
    use rustix::process::{Resource, getrlimit};
    let soft = |r| getrlimit(r).current.map(|b| b as f64);
    let mut out = Vec::new();
    if let Some(max) = soft(Resource::As) {
        out.push((Source::AddressSpace { max }, "VmSize:"));
    }
    if let Some(max) = soft(Resource::Data) {
        out.push((Source::Data { max }, "VmData:"));
    }
    out
}

#[cfg(not(target_os = "linux"))]
fn rlimits() -> Vec<(Source, &'static str)> {
    Vec::new()
}

/// A `Name:   1234 kB` field of `/proc/meminfo` or `/proc/self/status`, in bytes.
pub fn meminfo(text: &str, field: &str) -> Option<f64> {
    let line = text.lines().find(|l| l.starts_with(field))?;
    let kb: f64 = line[field.len()..]
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    Some(kb * 1024.0)
}

/// Which cgroup hierarchy holds the memory controller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// The unified hierarchy (`memory.max`, `memory.current`).
    V2,
    /// The memory controller's own hierarchy (`memory.limit_in_bytes`,
    /// `memory.usage_in_bytes`).
    V1,
}

/// The process's group in each hierarchy that can limit memory, from
/// `/proc/self/cgroup` (`ID:CONTROLLERS:PATH` lines): the v1 hierarchy whose
/// controllers include `memory`, and the v2 one (`0::PATH`).
pub fn parse_proc_cgroup(text: &str) -> Vec<(Version, String)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let mut f = line.splitn(3, ':');
        let (Some(id), Some(controllers), Some(path)) = (f.next(), f.next(), f.next()) else {
            continue;
        };
        if id == "0" && controllers.is_empty() {
            out.push((Version::V2, path.to_string()));
        } else if controllers.split(',').any(|c| c == "memory") {
            out.push((Version::V1, path.to_string()));
        }
    }
    out
}

/// Where a cgroup hierarchy is mounted, from `/proc/self/mountinfo`: the mount
/// point and the group the mount shows at its root (not `/` inside some
/// containers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    /// Which hierarchy.
    pub version: Version,
    /// The group shown at the mount point.
    pub root: String,
    /// The mount point.
    pub point: PathBuf,
}

/// The cgroup mounts of `/proc/self/mountinfo`: every `cgroup2` mount, and every
/// `cgroup` mount with the `memory` option.
pub fn parse_mountinfo(text: &str) -> Vec<Mount> {
    let mut out = Vec::new();
    for line in text.lines() {
        // ID PARENT MAJ:MIN ROOT POINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER
        let Some((left, right)) = line.split_once(" - ") else {
            continue;
        };
        let l: Vec<&str> = left.split(' ').collect();
        let r: Vec<&str> = right.split(' ').collect();
        if l.len() < 5 || r.is_empty() {
            continue;
        }
        let version = match r[0] {
            "cgroup2" => Version::V2,
            "cgroup"
                if r.get(2)
                    .is_some_and(|o| o.split(',').any(|o| o == "memory")) =>
            {
                Version::V1
            }
            _ => continue,
        };
        out.push(Mount {
            version,
            root: unescape(l[3]),
            point: PathBuf::from(unescape(l[4])),
        });
    }
    out
}

/// Undoes mountinfo's octal escapes (`\040` for a space).
fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 3 < b.len()
            && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c))
        {
            let v = (b[i + 1] - b'0') * 64 + (b[i + 2] - b'0') * 8 + (b[i + 3] - b'0');
            out.push(v);
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The folders of the process's group and of every group above it up to the mount
/// point, the process's own first; `None` when the group is not under the mount.
pub fn group_dirs(mount: &Mount, path: &str) -> Option<Vec<PathBuf>> {
    let rel = if mount.root == "/" {
        path
    } else {
        let rest = path.strip_prefix(mount.root.as_str())?;
        if !(rest.is_empty() || rest.starts_with('/')) {
            return None;
        }
        rest
    };
    let parts: Vec<&str> = rel
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    if parts.contains(&"..") {
        return None;
    }
    let mut dirs = Vec::new();
    for n in (0..=parts.len()).rev() {
        let mut d = mount.point.clone();
        d.extend(&parts[..n]);
        dirs.push(d);
    }
    Some(dirs)
}

/// A memory limit file's value in bytes: `None` for no limit (`max` in v2; v1's
/// largest value, about 2^63, and anything from 2^62 up).
pub fn parse_limit(text: &str) -> Option<f64> {
    let t = text.trim();
    if t == "max" {
        return None;
    }
    let v: u64 = t.parse().ok()?;
    (v < 1 << 62).then_some(v as f64)
}

/// The tightest cgroup memory limit of the process: among its group and those
/// above it, in each hierarchy with the memory controller, the one leaving the
/// fewest bytes (limit less usage). `read` gives a file's text.
pub fn cgroup_limit(
    proc_cgroup: &str,
    mountinfo: &str,
    read: &dyn Fn(&Path) -> Option<String>,
) -> Option<MemoryLimit> {
    let mounts = parse_mountinfo(mountinfo);
    let mut best: Option<MemoryLimit> = None;
    for (version, path) in parse_proc_cgroup(proc_cgroup) {
        let (max_file, used_file) = match version {
            Version::V2 => ("memory.max", "memory.current"),
            Version::V1 => ("memory.limit_in_bytes", "memory.usage_in_bytes"),
        };
        for mount in mounts.iter().filter(|m| m.version == version) {
            let Some(dirs) = group_dirs(mount, &path) else {
                continue;
            };
            for dir in dirs {
                let Some(max) = read(&dir.join(max_file)).and_then(|t| parse_limit(&t)) else {
                    continue;
                };
                let used = read(&dir.join(used_file))
                    .and_then(|t| t.trim().parse::<f64>().ok())
                    .unwrap_or(0.0);
                let left = (max - used).max(0.0);
                if best.as_ref().is_none_or(|b| left < b.left) {
                    let source = match version {
                        Version::V2 => Source::CgroupV2 { dir, max },
                        Version::V1 => Source::CgroupV1 { dir, max },
                    };
                    best = Some(MemoryLimit { source, left });
                }
            }
        }
    }
    best
}

/// Glibc's malloc arenas: each thread that allocates gets an arena of its own, up to
/// `MALLOC_ARENA_MAX` (default 8 per core), and each arena reserves 64 MiB of address
/// space (`HEAP_MAX_SIZE`) however little it uses.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn malloc_arenas() -> Option<(usize, f64)> {
    let max = std::env::var("MALLOC_ARENA_MAX")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| 8 * online_cpus());
    Some((max, 64.0 * 1024.0 * 1024.0))
}

/// No arenas of reserved address space to count (another allocator).
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn malloc_arenas() -> Option<(usize, f64)> {
    None
}

/// Processors online (what glibc sizes its arena limit by), not only those this
/// process may use.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn online_cpus() -> usize {
    std::fs::read_to_string("/sys/devices/system/cpu/online")
        .ok()
        .and_then(|t| cpu_list_len(&t))
        .or_else(|| std::thread::available_parallelism().ok().map(usize::from))
        .unwrap_or(1)
}

/// The number of processors in a list such as `0-3,8,10-11`.
pub fn cpu_list_len(text: &str) -> Option<usize> {
    let mut n = 0;
    for part in text.trim().split(',') {
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b): (usize, usize) = (a.parse().ok()?, b.parse().ok()?);
                n += b.checked_sub(a)? + 1;
            }
            None => {
                part.parse::<usize>().ok()?;
                n += 1;
            }
        }
    }
    Some(n)
}

/// The stack of each new thread: `RUST_MIN_STACK` when set (the standard library
/// and rayon use it), otherwise the standard library's 2 MiB, plus a guard page.
pub fn thread_stack_bytes() -> f64 {
    let stack = std::env::var("RUST_MIN_STACK")
        .ok()
        .and_then(|v| v.trim().parse::<f64>().ok())
        .unwrap_or(2.0 * 1024.0 * 1024.0);
    stack + 4096.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn meminfo_fields_are_read_in_bytes() {
        let t = "MemTotal:       16000000 kB\nMemAvailable:    8000000 kB\n";
        assert_eq!(meminfo(t, "MemAvailable:"), Some(8_192_000_000.0));
        assert_eq!(meminfo("MemTotal: 1 kB\n", "MemAvailable:"), None);
        let status = "Name:\tworkwell\nVmPeak:\t  213848 kB\nVmSize:\t  159536 kB\n";
        assert_eq!(meminfo(status, "VmSize:"), Some(159_536.0 * 1024.0));
    }

    #[test]
    fn proc_self_cgroup_gives_the_v2_group_and_the_v1_memory_group() {
        let v2 = "0::/user.slice/user-1000.slice/session-3.scope\n";
        assert_eq!(
            parse_proc_cgroup(v2),
            [(
                Version::V2,
                "/user.slice/user-1000.slice/session-3.scope".into()
            )]
        );
        let hybrid = "9:name=systemd:/\n8:pids:/\n4:memory:/slurm/uid_0/job_7/step_0\n\
                      3:cpu,cpuacct:/slurm\n0::/\n";
        assert_eq!(
            parse_proc_cgroup(hybrid),
            [
                (Version::V1, "/slurm/uid_0/job_7/step_0".into()),
                (Version::V2, "/".into())
            ]
        );
        // a v1 line naming memory among others; a malformed line is skipped
        assert_eq!(
            parse_proc_cgroup("5:cpu,memory:/a\nnonsense\n"),
            [(Version::V1, "/a".into())]
        );
    }

    #[test]
    fn mountinfo_gives_the_cgroup_mounts() {
        let t = "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n\
                 35 31 0:32 / /sys/fs/cgroup/memory rw,relatime shared:9 - cgroup cgroup rw,memory\n\
                 36 31 0:33 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n\
                 41 31 0:38 /job\\04042 /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n";
        assert_eq!(
            parse_mountinfo(t),
            [
                Mount {
                    version: Version::V1,
                    root: "/".into(),
                    point: "/sys/fs/cgroup/memory".into()
                },
                Mount {
                    version: Version::V2,
                    root: "/job 42".into(),
                    point: "/sys/fs/cgroup/unified".into()
                },
            ]
        );
    }

    #[test]
    fn group_folders_run_from_the_group_up_to_the_mount() {
        let m = Mount {
            version: Version::V2,
            root: "/".into(),
            point: "/sys/fs/cgroup".into(),
        };
        assert_eq!(
            group_dirs(&m, "/a/b").unwrap(),
            [
                PathBuf::from("/sys/fs/cgroup/a/b"),
                "/sys/fs/cgroup/a".into(),
                "/sys/fs/cgroup".into()
            ]
        );
        assert_eq!(
            group_dirs(&m, "/").unwrap(),
            [PathBuf::from("/sys/fs/cgroup")]
        );
        // a mount showing a group below the root: the path is taken relative to it
        let inner = Mount {
            root: "/docker/abc".into(),
            ..m.clone()
        };
        assert_eq!(
            group_dirs(&inner, "/docker/abc/x").unwrap(),
            [PathBuf::from("/sys/fs/cgroup/x"), "/sys/fs/cgroup".into()]
        );
        assert_eq!(group_dirs(&inner, "/docker/abcd"), None);
        assert_eq!(group_dirs(&m, "/../.."), None);
    }

    #[test]
    fn limit_files_without_a_limit_are_none() {
        assert_eq!(parse_limit("max\n"), None);
        assert_eq!(parse_limit("9223372036854771712\n"), None);
        assert_eq!(parse_limit("4294967296\n"), Some(4_294_967_296.0));
        assert_eq!(parse_limit("garbage"), None);
    }

    fn files(list: &[(&str, &str)]) -> impl Fn(&Path) -> Option<String> + use<> {
        let map: HashMap<PathBuf, String> = list
            .iter()
            .map(|(p, t)| (PathBuf::from(p), t.to_string()))
            .collect();
        move |p: &Path| map.get(p).cloned()
    }

    const V2_MOUNT: &str = "30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n";

    #[test]
    fn the_tightest_v2_group_on_the_way_up_is_the_limit() {
        // the job allows 8 GiB with 1 GiB used; its parent 6 GiB with 5.5 GiB used
        // (other jobs): the parent leaves less
        let gib = 1u64 << 30;
        let read = files(&[
            (
                "/sys/fs/cgroup/slurm/job_7/memory.max",
                &format!("{}", 8 * gib),
            ),
            (
                "/sys/fs/cgroup/slurm/job_7/memory.current",
                &format!("{gib}"),
            ),
            ("/sys/fs/cgroup/slurm/memory.max", &format!("{}", 6 * gib)),
            (
                "/sys/fs/cgroup/slurm/memory.current",
                &format!("{}", 5 * gib + gib / 2),
            ),
            ("/sys/fs/cgroup/memory.max", "max"),
        ]);
        let l = cgroup_limit("0::/slurm/job_7\n", V2_MOUNT, &read).unwrap();
        assert_eq!(l.left, (gib / 2) as f64);
        assert_eq!(
            l.source,
            Source::CgroupV2 {
                dir: "/sys/fs/cgroup/slurm".into(),
                max: (6 * gib) as f64
            }
        );
        assert!(
            l.source
                .describe()
                .contains("memory.max of /sys/fs/cgroup/slurm")
        );
        // no limit anywhere: none
        let read = files(&[("/sys/fs/cgroup/slurm/job_7/memory.max", "max\n")]);
        assert_eq!(cgroup_limit("0::/slurm/job_7\n", V2_MOUNT, &read), None);
    }

    #[test]
    fn a_v1_memory_group_is_read_from_its_own_hierarchy() {
        let mounts = "35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n\
                      41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n";
        let read = files(&[
            (
                "/sys/fs/cgroup/memory/job/memory.limit_in_bytes",
                "2147483648\n",
            ),
            (
                "/sys/fs/cgroup/memory/job/memory.usage_in_bytes",
                "147483648\n",
            ),
            (
                "/sys/fs/cgroup/memory/memory.limit_in_bytes",
                "9223372036854771712\n",
            ),
            // the v2 hierarchy has no memory controller here: no files
        ]);
        let l = cgroup_limit("4:memory:/job\n0::/\n", mounts, &read).unwrap();
        assert_eq!(l.left, 2e9);
        assert!(matches!(l.source, Source::CgroupV1 { max, .. } if max == 2147483648.0));
    }

    #[test]
    fn cpu_lists_are_counted() {
        assert_eq!(cpu_list_len("0-3,8,10-11\n"), Some(7));
        assert_eq!(cpu_list_len("0\n"), Some(1));
        assert_eq!(cpu_list_len("x"), None);
    }
}
