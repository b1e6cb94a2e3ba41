//! Staff cost against the programme's budget (`programme.budget_gbp`), over the
//! counting window: the figures the report headline, `summary.json` and the terminal
//! share, and their wording.

use serde_json::{Value, json};

use crate::display::{self, date};
use crate::model::metrics::m;
use crate::run::RunResults;

/// The programme's staff cost against its budget, across replications.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AgainstBudget {
    /// The budget (GBP).
    pub budget_gbp: f64,
    /// Mean staff cost over the counting window (GBP).
    pub mean: f64,
    /// 10th and 90th percentiles of the staff cost across replications (the 80%
    /// interval), when there are enough replications.
    pub i80: Option<(f64, f64)>,
}

impl AgainstBudget {
    /// The figures of a run with a budget and a staff cost; `None` otherwise.
    pub fn of(res: &RunResults) -> Option<Self> {
        let budget_gbp = res.budget_gbp?;
        let s = res
            .programme()
            .summary(res.layout.len(), res.total_period(), m::COST);
        let mean = display::finite(s.mean())?;
        let i80 = s.quantile(0.10).zip(s.quantile(0.90));
        Some(Self {
            budget_gbp,
            mean,
            i80: i80.filter(|(a, b)| a.is_finite() && b.is_finite()),
        })
    }

    /// A share of the budget as a percentage, e.g. `62%`.
    fn pct(&self, v: f64) -> String {
        format!("{:.0}%", 100.0 * v / self.budget_gbp)
    }

    /// One line for the terminal, e.g. `staff cost 1 Oct 2026 to 30 Sep 2029: mean
    /// GBP 160.3m [10th-90th percentile 159.0m-161.8m] = 62% [61%-62%] of the budget
    /// of GBP 259.0m ...`.
    pub fn text(&self, res: &RunResults) -> String {
        let range = self.i80.map_or(String::new(), |(lo, hi)| {
            format!(" [10th-90th percentile {}-{}]", millions(lo), millions(hi))
        });
        let share = self.i80.map_or(String::new(), |(lo, hi)| {
            format!(" [{}-{}]", self.pct(lo), self.pct(hi))
        });
        format!(
            "staff cost {} to {}: mean GBP {}{range}, {}{share} of the budget of GBP {} ({}; staff in post only: the rest of a budget pays management, premises and the like)",
            date(res.window.0),
            date(res.window.1),
            millions(self.mean),
            self.pct(self.mean),
            millions(self.budget_gbp),
            self.verdict(),
        )
    }

    /// Whether the staff cost fits: within the budget in the 90th percentile, in the
    /// mean only, or not even in the mean.
    pub fn verdict(&self) -> &'static str {
        match self.i80 {
            Some((_, hi)) if hi <= self.budget_gbp => {
                "within the budget in at least 9 of 10 futures"
            }
            _ if self.mean <= self.budget_gbp => "within the budget on average only",
            _ => "over the budget on average",
        }
    }

    /// The `budget` object of `summary.json`'s programme.
    pub fn json(&self) -> Value {
        let share = |v: f64| v / self.budget_gbp;
        json!({
            "budget_gbp": self.budget_gbp,
            "staff_cost_gbp": {
                "mean": self.mean,
                "p10": self.i80.map(|x| x.0),
                "p90": self.i80.map(|x| x.1),
            },
            "share_of_budget": {
                "mean": share(self.mean),
                "p10": self.i80.map(|x| share(x.0)),
                "p90": self.i80.map(|x| share(x.1)),
            },
            "note": "staff cost (coaches and MDT in post) over the counting window, against the programme's budget_gbp; p10 to p90 is the 80% interval across replications",
        })
    }
}

/// An amount in millions with one decimal, e.g. `160.3m`.
pub fn millions(v: f64) -> String {
    format!("{}m", display::dec(v / 1e6, 1))
}

/// The counting window for a heading: `counts from 1 Oct 2026` when a warm-up
/// excludes the days before, else `None`.
pub fn counting_note(res: &RunResults) -> Option<String> {
    (res.warmup_days > 0.0).then(|| {
        format!(
            "counts from {} (a warm-up of {} days before it is excluded)",
            date(res.window.0),
            display::dec(res.warmup_days, 0)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_verdict_reads_the_90th_percentile_then_the_mean() {
        let b = |mean: f64, i80: Option<(f64, f64)>| AgainstBudget {
            budget_gbp: 100.0,
            mean,
            i80,
        };
        assert_eq!(
            b(80.0, Some((70.0, 100.0))).verdict(),
            "within the budget in at least 9 of 10 futures"
        );
        assert_eq!(
            b(95.0, Some((85.0, 105.0))).verdict(),
            "within the budget on average only"
        );
        assert_eq!(b(95.0, None).verdict(), "within the budget on average only");
        assert_eq!(
            b(101.0, Some((90.0, 110.0))).verdict(),
            "over the budget on average"
        );
        assert_eq!(millions(160_380_449.0), "160.4m");
    }
}
