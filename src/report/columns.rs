//! What every column of every CSV file the program writes means, and its unit: the
//! workbook's "Columns" sheet and the units in its headers. Metric columns take their
//! unit and description from the metric's one definition (`model::metrics`).

use crate::model::MetricLayout;

/// A column's unit (empty for text) and what it holds.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnDoc {
    /// The unit, e.g. `people`, `days`, `GBP`, `share 0-1`; empty for text.
    pub unit: String,
    /// What the column holds.
    pub text: String,
}

fn doc(unit: &str, text: &str) -> Option<ColumnDoc> {
    Some(ColumnDoc {
        unit: unit.to_string(),
        text: text.to_string(),
    })
}

/// A metric's unit and description, by its name (`starts`, `mdt.physio.wait_p90_days`).
fn metric(name: &str) -> Option<ColumnDoc> {
    let disciplines: Vec<String> = name
        .strip_prefix("mdt.")
        .and_then(|r| r.split_once('.'))
        .map(|(d, _)| vec![d.to_string()])
        .unwrap_or_default();
    let layout = MetricLayout::new(&disciplines);
    let m = layout.metrics().iter().find(|m| m.name == name)?;
    let unit = match m.unit {
        "1" => "share 0-1",
        u => u,
    };
    doc(unit, &m.description)
}

/// A statistic suffix of a summary column and what it adds to the description.
const STATS: [(&str, &str); 6] = [
    ("_mean", "mean across replications"),
    (
        "_ci95_low",
        "lower end of the 95% confidence interval of the mean",
    ),
    (
        "_ci95_high",
        "upper end of the 95% confidence interval of the mean",
    ),
    ("_p10", "10th percentile across replications"),
    ("_p50", "median (50th percentile) across replications"),
    ("_p90", "90th percentile across replications"),
];

/// `<metric>_<statistic>`, as in `area_month.csv` and `sweep.csv`.
fn metric_stat(column: &str) -> Option<ColumnDoc> {
    let (base, what) = STATS
        .iter()
        .find_map(|(suffix, what)| column.strip_suffix(suffix).map(|b| (b, *what)))?;
    if base == "reached_target" {
        let text = match what {
            "mean across replications" => "share of replications reaching the target".to_string(),
            w => format!(
                "{} (Wilson interval of the share)",
                w.replace(" of the mean", "")
            ),
        };
        return doc("share 0-1", &text);
    }
    let m = metric(base)?;
    Some(ColumnDoc {
        unit: m.unit,
        text: format!("{}: {what}", m.text),
    })
}

/// The column `column` of the output file `file`, or `None` when it is not known.
pub fn describe(file: &str, column: &str) -> Option<ColumnDoc> {
    if let Some(d) = common(column) {
        return Some(d);
    }
    match file {
        "area_month.csv" => match column {
            "month" => doc(
                "",
                "calendar month (YYYY-MM), or `all` for the whole run after any warm-up",
            ),
            _ => metric_stat(column),
        },
        "replications.csv" => match column {
            "events" => doc(
                "events",
                "events the simulation processed for this area in this replication",
            ),
            _ => match column.strip_prefix("param:") {
                Some(k) => doc(
                    "",
                    &format!(
                        "value the uncertain parameter `{k}` took in this replication (empty where the area's value is fixed)"
                    ),
                ),
                None => metric(column).map(|m| ColumnDoc {
                    unit: m.unit,
                    text: format!("{} (whole run, this replication)", m.text),
                }),
            },
        },
        "compare.csv" => compare(column),
        "sweep.csv" | "sweep_areas.csv" => match column {
            "point" => doc(
                "",
                "the point's number, from 1 (its row in the points file)",
            ),
            _ => metric_stat(column).or_else(|| {
                doc(
                    "",
                    &format!("the point's value of the parameter `{column}` (a --set key path)"),
                )
            }),
        },
        "posterior.csv" => match column {
            "weight" => doc("share 0-1", "the sample's weight (weights sum to 1)"),
            _ if column.starts_with("effective_gp_propensity:") => doc(
                "referrals per fit note",
                "the area's effective GP referral propensity in this sample: the programme's propensity times exp(spread between areas x the area's effect), times any multiplier the area states",
            ),
            _ => doc(
                "",
                &format!(
                    "posterior sample of the calibrated parameter `{column}` (its --set key path)"
                ),
            ),
        },
        "sensitivity.csv" => sensitivity(column),
        "groups.csv" => groups(column),
        "levers.csv" => levers(column),
        "plan.csv" => plan(column),
        "reallocation.csv" => reallocation(column),
        "observed.csv" => observed(column),
        "observed_check.csv" => observed_check(column),
        _ => None,
    }
}

/// Columns that mean the same in every file.
fn common(column: &str) -> Option<ColumnDoc> {
    match column {
        "area" => doc(
            "",
            "area (integrated care board) name, or `Programme` for all areas together",
        ),
        "replication" => doc("", "replication number, from 0"),
        "replications" => doc("replications", "replications the figures come from"),
        _ => None,
    }
}

fn compare(column: &str) -> Option<ColumnDoc> {
    match column {
        "scenario" => doc("", "the compared scenario's name"),
        "baseline" => doc("", "the baseline scenario's name (the first scenario)"),
        "measure" => doc(
            "",
            "what is compared: a whole-run metric, reached_target (1 when the target is reached), or cost_per_extra_start_gbp (difference in staff cost / difference in starts)",
        ),
        "comparable" => doc("", "false when the area is in only one of the scenarios"),
        "baseline_mean" => doc(
            "measure's unit",
            "mean of the measure across the baseline's replications",
        ),
        "scenario_mean" => doc(
            "measure's unit",
            "mean of the measure across the scenario's replications",
        ),
        "difference" => doc(
            "measure's unit",
            "mean over replications of (scenario - baseline); for cost_per_extra_start_gbp, the ratio of the mean differences in staff cost and starts",
        ),
        "paired_ci95_low" => doc(
            "measure's unit",
            "lower end of the 95% confidence interval of the difference from the paired replications (common random numbers); Fieller's interval for cost_per_extra_start_gbp",
        ),
        "paired_ci95_high" => doc("measure's unit", "upper end of the same interval"),
        "unpaired_ci95_low" => doc(
            "measure's unit",
            "lower end of Welch's 95% interval treating the runs as independent, for contrast",
        ),
        "unpaired_ci95_high" => doc("measure's unit", "upper end of Welch's interval"),
        "pairs" => doc(
            "replications",
            "replications with a value in both scenarios",
        ),
        "clear" => doc("", "true when the paired interval excludes zero"),
        "note" => doc("", "a caveat, or why there is no interval"),
        _ => None,
    }
}

fn sensitivity(column: &str) -> Option<ColumnDoc> {
    match column {
        "output" => doc("", "the output whose uncertainty is explained"),
        "parameter" => doc("", "the uncertain parameter (its key)"),
        "prcc" => doc(
            "-1 to 1",
            "partial rank correlation coefficient of the parameter with the output",
        ),
        "prcc_ci95_low" => doc("-1 to 1", "lower end of its 95% interval (Fisher z)"),
        "prcc_ci95_high" => doc("-1 to 1", "upper end of its 95% interval"),
        "parameters" => doc("parameters", "uncertain parameters in the analysis"),
        _ => None,
    }
}

fn groups(column: &str) -> Option<ColumnDoc> {
    match column {
        "group_by" => doc("", "the footprint column the areas are grouped by"),
        "group" => doc("", "the group (footprint) name"),
        "areas" => doc("", "the areas in the group, with their population shares"),
        "target_starts" => doc(
            "people",
            "the group's target: its areas' targets by the same shares",
        ),
        "starts_mean" => doc(
            "people",
            "starts in the results window, mean across replications",
        ),
        "starts_p10" => doc("people", "starts, 10th percentile across replications"),
        "starts_p50" => doc("people", "starts, median across replications"),
        "starts_p90" => doc("people", "starts, 90th percentile across replications"),
        "starts_over_target" => doc("share", "mean starts / target"),
        "p_reach" => doc(
            "share 0-1",
            "share of replications in which the group reaches its target",
        ),
        _ => None,
    }
}

fn levers(column: &str) -> Option<ColumnDoc> {
    match column {
        "lever" => doc("", "the lever raised one step"),
        "step" => doc("", "the step it was raised by"),
        "extra_cost_gbp" => doc("GBP", "mean extra staff cost to the end date (paired)"),
        "extra_starts_mean" => doc("people", "mean extra starts by the end date (paired)"),
        "extra_starts_ci95_low" => doc(
            "people",
            "lower end of the 95% interval of the extra starts",
        ),
        "extra_starts_ci95_high" => doc("people", "upper end of that interval"),
        "cost_per_extra_start_gbp" => doc("GBP", "extra cost / extra starts"),
        "extra_cost_per_year_gbp" => doc("GBP a year", "the step's cost for a year"),
        "from" => doc("lever's unit", "the lever's value before the step"),
        "to" => doc("lever's unit", "its value after the step"),
        "priced" => doc("", "how the step is priced"),
        "helps" => doc("", "whether the step helps within the stop rule"),
        "binding" => doc("", "whether it is the area's binding constraint"),
        _ => None,
    }
}

fn plan(column: &str) -> Option<ColumnDoc> {
    if let Some(rest) = column.strip_prefix("mdt.")
        && let Some((d, field)) = rest.split_once('.')
    {
        let text = match field {
            "fte_current" => "FTE in the scenario",
            "fte_planned" => "FTE planned",
            "fte_binds" => "whether this discipline's FTE binds",
            "wait_standard_days" => "wait standard to the first session",
            "wait_p90_days_mean" => {
                "90th-percentile wait to the first session at the plan, mean across replications"
            }
            _ => return None,
        };
        let unit = match field {
            "fte_binds" => "",
            f if f.starts_with("fte") => "FTE",
            _ => "days",
        };
        return doc(unit, &format!("{d}: {text}"));
    }
    match column {
        "status" => doc(
            "",
            "feasible, infeasible or within budget: whether the plan meets the criteria",
        ),
        "target_starts" => doc("people", "the area's target of starts by the end date"),
        "confidence" => doc(
            "share 0-1",
            "the probability of reaching the target asked for",
        ),
        "p_reach" => doc(
            "share 0-1",
            "probability of reaching the target at the planned staffing",
        ),
        "p_reach_ci95_low" => doc("share 0-1", "lower end of its 95% Wilson interval"),
        "p_reach_ci95_high" => doc("share 0-1", "upper end of that interval"),
        "starts_mean" => doc(
            "people",
            "starts by the end date at the plan, mean across replications",
        ),
        "starts_p10" => doc(
            "people",
            "10th percentile of those starts across replications",
        ),
        "starts_p90" => doc("people", "90th percentile of those starts"),
        "wait_standard_days" => doc(
            "days",
            "the standard for the 90th-percentile wait to assessment",
        ),
        "wait_p90_days_mean" => doc(
            "days",
            "90th-percentile wait to assessment at the plan, mean across replications",
        ),
        "coach_fte_current" => doc("FTE", "coach FTE in the scenario"),
        "coach_fte_planned" => doc("FTE", "coach FTE planned"),
        "coach_fte_binds" => doc("", "whether coach FTE binds"),
        "caseload_cap_current" => doc("people per FTE", "caseload cap in the scenario"),
        "caseload_cap_planned" => doc("people per FTE", "caseload cap planned"),
        "caseload_cap_binds" => doc("", "whether the cap binds"),
        "coach_marginal_cost_per_extra_start_gbp" => {
            doc("GBP", "cost per extra start of the last coach step")
        }
        "cost_per_year_gbp" => doc("GBP a year", "staff cost a year at the planned staffing"),
        "current_cost_per_year_gbp" => {
            doc("GBP a year", "staff cost a year at the scenario's staffing")
        }
        "staff_cost_to_end_gbp" => doc("GBP", "simulated staff cost to the end date at the plan"),
        "grant_gbp" => doc("GBP", "the area's grant"),
        "grant_covers" => doc("", "whether the grant covers the planned staff cost"),
        "grant_headroom_gbp" => doc("GBP", "grant less planned staff cost"),
        "limited_by" => doc("", "what limits the area (a lever or demand)"),
        "reasons" => doc("", "why the plan is what it is"),
        "simulations" => doc("simulations", "staffings simulated by the search"),
        _ => None,
    }
}

fn reallocation(column: &str) -> Option<ColumnDoc> {
    match column {
        "coach_fte_scenario" => doc("FTE", "coach FTE in the scenario"),
        "scale" => doc(
            "times",
            "the area's staffing as a multiple of the scenario's",
        ),
        "coach_fte" => doc("FTE", "coach FTE reallocated"),
        "cost_scenario_gbp" => doc(
            "GBP",
            "staff cost to the end date at the scenario's staffing",
        ),
        "cost_gbp" => doc("GBP", "staff cost to the end date reallocated"),
        "starts_scenario" => doc("people", "mean starts at the scenario's staffing"),
        "starts" => doc("people", "mean starts reallocated"),
        "last_step_starts_per_1000_gbp" => doc(
            "people per GBP 1,000",
            "extra starts per GBP 1,000 of the last step bought",
        ),
        _ => None,
    }
}

fn observed(column: &str) -> Option<ColumnDoc> {
    match column {
        "period_end" => doc("", "the month end the figure refers to (YYYY-MM-DD)"),
        "metric" => doc("", "the metric observed (a metric of area_month.csv)"),
        "low" => doc(
            "metric's unit",
            "the figure, or the lower end of its interval",
        ),
        "high" => doc(
            "metric's unit",
            "the upper end (equal to low for an exact figure, empty for at least low)",
        ),
        "source" => doc("", "where the figure comes from"),
        _ => None,
    }
}

fn observed_check(column: &str) -> Option<ColumnDoc> {
    let unit = "metric's unit";
    match column {
        "observed_low" | "observed_high" => observed(column.trim_start_matches("observed_")),
        "observed_value" => doc(
            unit,
            "the value compared: the middle of the figure's interval, or its lower bound for an at-least figure",
        ),
        "simulated_mean" => doc(
            unit,
            "mean of the figure across the run's replications (its prediction)",
        ),
        "simulated_sd" => doc(
            unit,
            "standard deviation of the figure across the replications",
        ),
        "p2_5" | "p10" | "p50" | "p90" | "p97_5" => doc(
            unit,
            &format!(
                "{} percentile of the figure across the replications",
                match column {
                    "p2_5" => "2.5th",
                    "p10" => "10th",
                    "p50" => "50th",
                    "p90" => "90th",
                    _ => "97.5th",
                }
            ),
        ),
        "limit_99_8_low" | "limit_99_8_high" => doc(
            unit,
            "99.8% limit: 0.1th or 99.9th percentile of a log-normal (normal where a replication gives 0) with the replications' mean and sd",
        ),
        "predictive_percentile" => doc(
            "share 0-1",
            "share of the prediction below the observed value (from the fitted distribution outside the simulated range)",
        ),
        "outside_95" => doc(
            "yes/no",
            "the observed figure lies wholly outside its 95% limits (2.5th to 97.5th percentile)",
        ),
        "flag" => doc(
            "",
            "Making Data Count: special cause (high or low) beyond the 99.8% limits, common cause inside them",
        ),
        "replications" => doc("replications", "replications the prediction rests on"),
        _ => observed(column),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_columns_take_the_metric_definition() {
        let d = describe("area_month.csv", "starts_p90").unwrap();
        assert_eq!(d.unit, "people");
        assert!(
            d.text.ends_with("90th percentile across replications"),
            "{d:?}"
        );
        let d = describe("area_month.csv", "mdt.physio.wait_p90_days_mean").unwrap();
        assert_eq!(d.unit, "days");
        assert_eq!(
            describe("area_month.csv", "caseload_utilisation_mean")
                .unwrap()
                .unit,
            "share 0-1"
        );
        assert!(describe("area_month.csv", "no_such_metric_mean").is_none());
        assert!(describe("replications.csv", "param:launch").is_some());
        assert_eq!(
            describe("plan.csv", "mdt.counsellor.fte_planned")
                .unwrap()
                .unit,
            "FTE"
        );
    }
}
