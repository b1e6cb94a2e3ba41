//! `area_month.csv` and `replications.csv`.

use super::Stat;
use crate::model::metrics::m;
use crate::run::{RepResult, RunResults};
use crate::scenario::{ParamId, Scenario};

fn cell(x: Option<f64>) -> String {
    match x {
        Some(v) if v.is_finite() => format!("{v}"),
        _ => String::new(),
    }
}

fn finish(w: csv::Writer<Vec<u8>>) -> Vec<u8> {
    w.into_inner().expect("writing to memory cannot fail")
}

/// Renders `area_month.csv`: one row per entity (programme first) and month, plus a
/// row with month `all` for the whole window; for every metric its mean, 95% CI and
/// 10th/50th/90th percentiles across replications.
pub fn area_month(res: &RunResults) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["area".to_string(), "month".to_string()];
    for metric in res.layout.metrics() {
        for s in ["mean", "ci95_low", "ci95_high", "p10", "p50", "p90"] {
            header.push(format!("{}_{s}", metric.name));
        }
    }
    w.write_record(&header).expect("in-memory CSV");
    let n = res.layout.len();
    for e in &res.entities {
        for p in 0..=res.months.len() {
            let label = if p < res.months.len() {
                res.months[p].to_string()
            } else {
                "all".to_string()
            };
            let mut row = vec![e.name.clone(), label];
            for k in 0..n {
                let s = Stat::of(e.summary(n, p, k));
                row.push(cell(s.mean));
                row.push(cell(s.ci95.map(|c| c.0)));
                row.push(cell(s.ci95.map(|c| c.1)));
                row.push(cell(s.p10));
                row.push(cell(s.p50));
                row.push(cell(s.p90));
            }
            w.write_record(&row).expect("in-memory CSV");
        }
    }
    finish(w)
}

/// The whole-window metrics in `replications.csv`, in column order; the column
/// names are the metrics' own names.
const REP_METRICS: [usize; 15] = [
    m::REFERRALS,
    m::INELIGIBLE,
    m::NOT_ENGAGED,
    m::DROPPED,
    m::STARTS,
    m::COMPLETIONS,
    m::DISENGAGED,
    m::WAITING_END,
    m::CASELOAD_END,
    m::WAIT_MEAN,
    m::WAIT_P90,
    m::CASELOAD_UTIL,
    m::HOURS_UTIL,
    m::COST,
    m::COST_PER_START,
];

/// Renders `replications.csv` one replication at a time: one row per area with its
/// whole-window totals and the uncertain parameter values drawn for it.
#[derive(Debug, Clone)]
pub struct ReplicationsCsv {
    areas: Vec<String>,
    keys: Vec<String>,
    /// The typed id of each of `keys`, to find its value among those drawn.
    ids: Vec<ParamId>,
    n_metrics: usize,
    n_months: usize,
}

impl ReplicationsCsv {
    /// The renderer for a scenario's runs.
    pub fn new(sc: &Scenario) -> Self {
        let keys = sc.uncertain_keys();
        Self {
            areas: sc.areas.iter().map(|a| a.name.clone()).collect(),
            ids: keys.iter().map(|k| ParamId::of(k)).collect(),
            keys,
            n_metrics: crate::model::MetricLayout::new(&sc.disciplines).len(),
            n_months: sc.calendar.n_months(),
        }
    }

    /// The header line.
    pub fn header(&self) -> Vec<u8> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let mut h = vec!["replication".to_string(), "area".to_string()];
        let fixed = crate::model::MetricLayout::fixed();
        h.extend(REP_METRICS.iter().map(|&k| fixed[k].name.clone()));
        h.push("events".into());
        h.extend(self.keys.iter().map(|k| format!("param:{k}")));
        w.write_record(&h).expect("in-memory CSV");
        finish(w)
    }

    /// The rows of one replication.
    pub fn rows(&self, r: &RepResult) -> Vec<u8> {
        let mut w = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(Vec::new());
        for (a, name) in self.areas.iter().enumerate() {
            let vals = &r.metrics[a + 1][self.n_months * self.n_metrics..];
            let mut row = vec![r.rep.to_string(), name.clone()];
            row.extend(REP_METRICS.iter().map(|&k| cell(Some(vals[k]))));
            row.push(r.ledgers[a].events.to_string());
            for id in &self.ids {
                let v = r.drawn[a].iter().find(|d| d.id == *id).map(|d| d.value);
                row.push(cell(v));
            }
            w.write_record(&row).expect("in-memory CSV");
        }
        finish(w)
    }
}
