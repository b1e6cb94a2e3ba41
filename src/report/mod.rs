//! Output: renderers are pure functions from results to bytes (JSON, CSV, text);
//! [`output`] is the one place that writes files, atomically.

pub mod budget;
pub mod calibration;
pub mod charts;
pub mod columns;
pub mod compare;
pub mod csv_out;
pub mod groups;
pub mod html;
pub mod json;
pub mod output;
pub mod page;
pub mod plan;
pub mod provenance;
pub mod sensitivity;
pub mod site_check;
pub mod sweep;
pub mod table;
pub mod workbook;

use crate::stats::Summary;

/// Mean, 95% confidence interval of the mean and 10th/50th/90th percentiles of a
/// summary; `None` where not available (too few values).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stat {
    /// Mean across replications.
    pub mean: Option<f64>,
    /// 95% confidence interval of the mean (Student t).
    pub ci95: Option<(f64, f64)>,
    /// 10th percentile across replications.
    pub p10: Option<f64>,
    /// Median across replications.
    pub p50: Option<f64>,
    /// 90th percentile across replications.
    pub p90: Option<f64>,
    /// Replications with a value.
    pub n: u64,
}

impl Stat {
    /// From a summary.
    pub fn of(s: &Summary) -> Self {
        Self {
            mean: s.mean(),
            ci95: s.mean_ci(0.95),
            p10: s.quantile(0.10),
            p50: s.quantile(0.50),
            p90: s.quantile(0.90),
            n: s.count(),
        }
    }
}
