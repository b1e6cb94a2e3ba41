//! NHS geography for reports: which footprint (the ICB in force on 1 April 2026, the
//! 2027 footprint, the 2025 cluster or the NHS region) each area belongs to, and the
//! sums of a run's per-replication starts by footprint.
//!
//! The table is `data/geography/icb_footprints.csv` (bundled into the program; another
//! file with the same columns can be given): one row per ICB, or per part of an ICB
//! split between footprints, with the part's population share `share_2026`. An area of
//! a scenario is an ICB of that table by name. A split ICB's starts go to its parts'
//! footprints by those shares (starts per head assumed equal across its parts, as for
//! fit notes); summing per replication before taking percentiles keeps each
//! footprint's percentiles those of the footprint, not sums of the areas' percentiles.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::model::metrics::m;
use crate::run::RepResult;
use crate::scenario::{Scenario, ScenarioError};
use crate::stats::summary::Summary;

/// The bundled footprint table.
pub const BUNDLED: &str = include_str!("../data/geography/icb_footprints.csv");
/// How the bundled table is named in messages and reports.
pub const BUNDLED_NAME: &str = "data/geography/icb_footprints.csv";

/// What areas can be grouped by: a column of the footprint table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    /// The ICB footprints in force on 1 April 2026.
    Footprint2026,
    /// The footprints from 1 April 2027 (where unpublished, the 2026 footprint).
    Footprint2027,
    /// The shared leadership clusters of 2025/26.
    Cluster2025,
    /// NHS England regions.
    Region,
}

impl GroupBy {
    /// Every choice, in the order help lists them.
    pub const ALL: [GroupBy; 4] = [
        GroupBy::Footprint2026,
        GroupBy::Footprint2027,
        GroupBy::Cluster2025,
        GroupBy::Region,
    ];

    /// The column of the table (also the value of `--group-by`).
    pub fn column(self) -> &'static str {
        match self {
            GroupBy::Footprint2026 => "footprint_2026",
            GroupBy::Footprint2027 => "footprint_2027",
            GroupBy::Cluster2025 => "cluster_2025",
            GroupBy::Region => "nhs_region",
        }
    }

    /// How a planner names the grouping.
    pub fn title(self) -> &'static str {
        match self {
            GroupBy::Footprint2026 => "ICB footprint on 1 April 2026",
            GroupBy::Footprint2027 => "ICB footprint from 1 April 2027",
            GroupBy::Cluster2025 => "ICB cluster, 2025/26",
            GroupBy::Region => "NHS England region",
        }
    }

    /// Parses a `--group-by` value; the message lists the choices.
    pub fn parse(s: &str) -> Result<GroupBy, String> {
        GroupBy::ALL
            .into_iter()
            .find(|g| g.column() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = GroupBy::ALL.iter().map(|g| g.column()).collect();
                let mut msg = format!("expected one of {}, found `{s}`", names.join(", "));
                if let Some(best) = names
                    .iter()
                    .filter(|n| strsim::jaro_winkler(n, s) > 0.8)
                    .max_by(|a, b| {
                        strsim::jaro_winkler(a, s).total_cmp(&strsim::jaro_winkler(b, s))
                    })
                {
                    msg.push_str(&format!("; did you mean `{best}`?"));
                }
                msg
            })
    }
}

/// One row of the footprint table: an ICB or part of one.
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    /// Line in the file (1-based, the header is line 1).
    pub line: usize,
    /// The ICB's short name.
    pub icb: String,
    /// Population share of this part (1 for a whole ICB).
    pub share: f64,
    /// `nhs_region`.
    pub region: String,
    /// `cluster_2025`.
    pub cluster_2025: String,
    /// `footprint_2026`.
    pub footprint_2026: String,
    /// `footprint_2027`.
    pub footprint_2027: String,
}

impl Part {
    fn group(&self, by: GroupBy) -> &str {
        match by {
            GroupBy::Footprint2026 => &self.footprint_2026,
            GroupBy::Footprint2027 => &self.footprint_2027,
            GroupBy::Cluster2025 => &self.cluster_2025,
            GroupBy::Region => &self.region,
        }
    }
}

/// The footprint table, checked: shares in (0, 1], each ICB's shares adding up to 1.
#[derive(Debug, Clone)]
pub struct Geography {
    /// Where the table comes from (a path, or [`BUNDLED_NAME`]).
    pub file: PathBuf,
    /// Rows in file order.
    pub parts: Vec<Part>,
}

const COLUMNS: [&str; 6] = [
    "icb",
    "share_2026",
    "nhs_region",
    "cluster_2025",
    "footprint_2026",
    "footprint_2027",
];

impl Geography {
    /// The bundled table.
    pub fn bundled() -> Geography {
        Geography::parse(BUNDLED, Path::new(BUNDLED_NAME)).expect("the bundled table is valid")
    }

    /// Reads a table with the columns of the bundled one.
    pub fn load(file: &Path) -> Result<Geography, ScenarioError> {
        let text = std::fs::read_to_string(file)
            .map_err(|e| ScenarioError::new(file, None, "", format!("cannot read: {e}")))?;
        Geography::parse(&text, file)
    }

    /// Parses a table's text; `file` names it in errors.
    pub fn parse(text: &str, file: &Path) -> Result<Geography, ScenarioError> {
        let err = |line: Option<usize>, column: &str, msg: String| {
            let key = if column.is_empty() {
                String::new()
            } else {
                format!("column `{column}`")
            };
            ScenarioError::new(file, line, key, msg)
        };
        let mut rd = csv::ReaderBuilder::new()
            .flexible(false)
            .from_reader(text.as_bytes());
        let header = rd
            .headers()
            .map_err(|e| err(Some(1), "", format!("cannot read the header: {e}")))?
            .clone();
        let mut col = [0usize; 6];
        for (i, name) in COLUMNS.iter().enumerate() {
            col[i] = header.iter().position(|h| h == *name).ok_or_else(|| {
                err(
                    Some(1),
                    name,
                    format!("missing column `{name}`; expected the columns of {BUNDLED_NAME}"),
                )
            })?;
        }
        let mut parts = Vec::new();
        for rec in rd.records() {
            let rec = rec.map_err(|e| {
                let line = e.position().map(|p| p.line() as usize);
                err(line, "", format!("not a valid CSV row: {e}"))
            })?;
            let line = rec.position().map_or(0, |p| p.line() as usize);
            let cell = |i: usize| rec.get(col[i]).unwrap_or("").trim().to_string();
            for (i, name) in COLUMNS.iter().enumerate() {
                if cell(i).is_empty() {
                    return Err(err(
                        Some(line),
                        name,
                        "expected a value, found an empty cell".into(),
                    ));
                }
            }
            let raw = cell(1);
            let share: f64 = raw
                .parse()
                .ok()
                .filter(|s: &f64| s.is_finite() && *s > 0.0 && *s <= 1.0)
                .ok_or_else(|| {
                    err(
                        Some(line),
                        "share_2026",
                        format!("expected a share above 0 and at most 1, found `{raw}`"),
                    )
                })?;
            parts.push(Part {
                line,
                icb: cell(0),
                share,
                region: cell(2),
                cluster_2025: cell(3),
                footprint_2026: cell(4),
                footprint_2027: cell(5),
            });
        }
        let mut sums: BTreeMap<&str, (f64, usize)> = BTreeMap::new();
        for p in &parts {
            let e = sums.entry(&p.icb).or_insert((0.0, p.line));
            e.0 += p.share;
        }
        for (icb, (sum, line)) in sums {
            if (sum - 1.0).abs() > 1e-9 {
                return Err(err(
                    Some(line),
                    "share_2026",
                    format!("the shares of `{icb}` add up to {sum}, expected 1"),
                ));
            }
        }
        Ok(Geography {
            file: file.to_path_buf(),
            parts,
        })
    }
}

/// Each area's parts in groups: the grouping of one scenario by one column.
#[derive(Debug, Clone)]
pub struct Grouping {
    /// What the groups are.
    pub by: GroupBy,
    /// The table used.
    pub file: PathBuf,
    /// Group names, in name order.
    pub groups: Vec<String>,
    /// Per area (scenario order): `(group index, share)`.
    pub members: Vec<Vec<(usize, f64)>>,
}

impl Grouping {
    /// Groups the areas of `sc`; an area that is not an ICB of the table is an error
    /// naming it and `flag`.
    pub fn new(
        geo: &Geography,
        by: GroupBy,
        sc: &Scenario,
        flag: &str,
    ) -> Result<Grouping, ScenarioError> {
        let mut names: Vec<String> = Vec::new();
        let mut raw: Vec<Vec<(String, f64)>> = Vec::new();
        for a in &sc.areas {
            let parts: Vec<(String, f64)> = geo
                .parts
                .iter()
                .filter(|p| p.icb == a.name)
                .map(|p| (p.group(by).to_string(), p.share))
                .collect();
            if parts.is_empty() {
                let mut msg = format!(
                    "area `{}` is not an ICB of {}; grouping needs every area of the scenario to be one",
                    a.name,
                    geo.file.display()
                );
                if let Some(best) = geo
                    .parts
                    .iter()
                    .map(|p| p.icb.as_str())
                    .max_by(|x, y| {
                        strsim::jaro_winkler(x, &a.name)
                            .total_cmp(&strsim::jaro_winkler(y, &a.name))
                    })
                    .filter(|b| strsim::jaro_winkler(b, &a.name) > 0.8)
                {
                    msg.push_str(&format!("; did you mean `{best}`?"));
                }
                return Err(ScenarioError::new(flag, None, "", msg));
            }
            names.extend(parts.iter().map(|(g, _)| g.clone()));
            raw.push(parts);
        }
        names.sort();
        names.dedup();
        let members = raw
            .into_iter()
            .map(|parts| {
                let mut out: Vec<(usize, f64)> = Vec::new();
                for (g, share) in parts {
                    let i = names.binary_search(&g).expect("collected above");
                    match out.iter_mut().find(|(j, _)| *j == i) {
                        Some(e) => e.1 += share,
                        None => out.push((i, share)),
                    }
                }
                out
            })
            .collect();
        Ok(Grouping {
            by,
            file: geo.file.clone(),
            groups: names,
            members,
        })
    }
}

/// One group's results across replications.
#[derive(Debug, Clone)]
pub struct GroupResult {
    /// The group's name.
    pub name: String,
    /// The areas in it, with the share of each that belongs to it.
    pub areas: Vec<(String, f64)>,
    /// The group's target: its areas' targets by their shares (`None` if no area has one).
    pub target: Option<f64>,
    /// Starts in the results window, across replications.
    pub starts: Summary,
    /// Replications in which the group's cumulative starts reached its target by the end.
    pub reached: u64,
}

/// Sums each replication's starts by group, in replication order.
#[derive(Debug, Clone)]
pub struct GroupCollector {
    by: GroupBy,
    file: PathBuf,
    members: Vec<Vec<(usize, f64)>>,
    n_months: usize,
    n_metrics: usize,
    results: Vec<GroupResult>,
    replications: u64,
}

impl GroupCollector {
    /// An empty collector for `grouping` of `sc`.
    pub fn new(sc: &Scenario, grouping: &Grouping) -> GroupCollector {
        let mut results: Vec<GroupResult> = grouping
            .groups
            .iter()
            .map(|g| GroupResult {
                name: g.clone(),
                areas: Vec::new(),
                target: None,
                starts: Summary::new(),
                reached: 0,
            })
            .collect();
        for (a, parts) in grouping.members.iter().enumerate() {
            let area = &sc.areas[a];
            for &(g, share) in parts {
                let r = &mut results[g];
                r.areas.push((area.name.clone(), share));
                if let Some(t) = area.target_starts {
                    r.target = Some(r.target.unwrap_or(0.0) + share * t);
                }
            }
        }
        GroupCollector {
            by: grouping.by,
            file: grouping.file.clone(),
            members: grouping.members.clone(),
            n_months: sc.calendar.n_months(),
            n_metrics: crate::model::MetricLayout::new(&sc.disciplines).len(),
            results,
            replications: 0,
        }
    }

    /// Adds one replication.
    pub fn push(&mut self, r: &RepResult) {
        let whole = self.n_months * self.n_metrics;
        let mut starts = vec![0.0; self.results.len()];
        let mut cumulative = vec![0.0; self.results.len()];
        for (a, parts) in self.members.iter().enumerate() {
            let vals = &r.metrics[a + 1][whole..];
            for &(g, share) in parts {
                starts[g] += share * vals[m::STARTS];
                cumulative[g] += share * vals[m::CUMULATIVE_STARTS];
            }
        }
        for (g, res) in self.results.iter_mut().enumerate() {
            res.starts.push(starts[g]);
            if res.target.is_some_and(|t| cumulative[g] >= t) {
                res.reached += 1;
            }
        }
        self.replications += 1;
    }

    /// The groups' results.
    pub fn finish(self) -> GroupResults {
        GroupResults {
            by: self.by,
            file: self.file,
            replications: self.replications,
            groups: self.results,
        }
    }
}

/// A run's starts by group.
#[derive(Debug, Clone)]
pub struct GroupResults {
    /// What the groups are.
    pub by: GroupBy,
    /// The table used.
    pub file: PathBuf,
    /// Replications summed.
    pub replications: u64,
    /// In name order.
    pub groups: Vec<GroupResult>,
}

impl GroupResults {
    /// The groups ordered by mean starts against target (lowest first, groups without
    /// a target last, then by name): those furthest from their share first.
    pub fn by_shortfall(&self) -> Vec<&GroupResult> {
        let ratio = |g: &GroupResult| match (g.target, g.starts.mean()) {
            (Some(t), Some(s)) if t > 0.0 => s / t,
            _ => f64::INFINITY,
        };
        let mut v: Vec<&GroupResult> = self.groups.iter().collect();
        v.sort_by(|a, b| ratio(a).total_cmp(&ratio(b)).then(a.name.cmp(&b.name)));
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &str = "icb,share_2026,nhs_region,cluster_2025,footprint_2026,footprint_2027,notes\n\
        A,1,R1,C1,F1,F1,x\n\
        B,0.25,R1,C1,F1,F1,x\n\
        B,0.75,R2,C2,F2,F2,x\n";

    #[test]
    fn bundled_table_is_valid_and_covers_42_icbs() {
        let g = Geography::bundled();
        let mut icbs: Vec<&str> = g.parts.iter().map(|p| p.icb.as_str()).collect();
        icbs.sort();
        icbs.dedup();
        assert_eq!(icbs.len(), 42);
    }

    #[test]
    fn shares_must_add_up_to_one() {
        let bad = TABLE.replace("B,0.75", "B,0.70");
        let e = Geography::parse(&bad, Path::new("t.csv"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("t.csv") && e.contains("`B` add up to 0.95"),
            "{e}"
        );
        let e = Geography::parse(&TABLE.replace("A,1", "A,x"), Path::new("t.csv"))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("t.csv:2: column `share_2026`") && e.contains("`x`"),
            "{e}"
        );
        let e = Geography::parse("icb,share_2026\nA,1\n", Path::new("t.csv"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("missing column `nhs_region`"), "{e}");
    }

    #[test]
    fn group_by_parses_and_suggests() {
        assert_eq!(GroupBy::parse("footprint_2026"), Ok(GroupBy::Footprint2026));
        let e = GroupBy::parse("footprint_206").unwrap_err();
        assert!(e.contains("did you mean `footprint_2026`"), "{e}");
    }

    #[test]
    fn parts_sum_by_share() {
        let g = Geography::parse(TABLE, Path::new("t.csv")).unwrap();
        let b: Vec<(&str, f64)> = g
            .parts
            .iter()
            .filter(|p| p.icb == "B")
            .map(|p| (p.group(GroupBy::Footprint2026), p.share))
            .collect();
        assert_eq!(b, vec![("F1", 0.25), ("F2", 0.75)]);
    }
}
