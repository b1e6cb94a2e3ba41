//! Renderers of a plan: `plan.csv`, `plan.json`, `plan.html` (with the capacity
//! curves as inline SVG) and the table printed on stdout. Pure functions from
//! [`PlanResults`] to bytes.

use std::fmt::Write;

use plotters::prelude::*;

use super::value::Tested;
use super::{AreaPlan, Band, CurvePoint, LeverKind, PlanResults, fmt_value};
use crate::display::{esc, text_pct as pct, text0 as f0, text1 as f1};

fn cell(x: Option<f64>) -> String {
    match x {
        Some(v) if v.is_finite() => format!("{v}"),
        _ => String::new(),
    }
}

/// Money in thousands of pounds, e.g. `£1,234k`.
fn gbp_k(x: Option<f64>) -> String {
    let Some(v) = x.filter(|v| v.is_finite()) else {
        return "-".into();
    };
    let k = (v / 1000.0).round() as i64;
    let digits = k.abs().to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{}£{grouped}k", if k < 0 { "-" } else { "" })
}

/// "feasible" or "infeasible"; with a budget, whether the staffing bought meets the
/// criteria ("met" or "missed").
fn status(res: &PlanResults, a: &AreaPlan) -> &'static str {
    match (res.allocation.is_some(), a.feasible) {
        (false, true) => "feasible",
        (false, false) => "infeasible",
        (true, true) => "met",
        (true, false) => "missed",
    }
}

fn lever_of(a: &AreaPlan, kind: LeverKind) -> Option<&super::LeverPlan> {
    a.levers.iter().find(|l| l.kind == kind)
}

/// A criterion's name as a planner would say it: `mdt.physio.wait` is
/// "physio wait".
fn plain(name: &str) -> String {
    match name {
        "target" => "target".into(),
        "wait" => "assessment wait".into(),
        "saturation" => "achievable starts".into(),
        other => match other
            .strip_prefix("mdt.")
            .and_then(|x| x.strip_suffix(".wait"))
        {
            Some(d) => format!("{} wait", d.replace('_', " ")),
            None => other.replace('_', " "),
        },
    }
}

fn binds_text(binds: &[String]) -> String {
    binds
        .iter()
        .map(|b| plain(b))
        .collect::<Vec<_>>()
        .join(" + ")
}

/// What binds the area as a whole: the criteria binding its coach lever (or the
/// first lever).
fn binding(a: &AreaPlan) -> String {
    let l = lever_of(a, LeverKind::CoachFte)
        .or_else(|| lever_of(a, LeverKind::CaseloadCap))
        .or(a.levers.first());
    l.map_or("-".into(), |l| binds_text(&l.binds))
}

/// `plan.csv`: one row per area planned.
pub fn csv(res: &PlanResults) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = [
        "area",
        "status",
        "target_starts",
        "confidence",
        "p_reach",
        "p_reach_ci95_low",
        "p_reach_ci95_high",
        "starts_mean",
        "starts_p10",
        "starts_p90",
        "wait_standard_days",
        "wait_p90_days_mean",
        "coach_fte_current",
        "coach_fte_planned",
        "coach_fte_binds",
        "caseload_cap_current",
        "caseload_cap_planned",
        "caseload_cap_binds",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for d in &res.disciplines {
        for s in [
            "fte_current",
            "fte_planned",
            "fte_binds",
            "wait_standard_days",
            "wait_p90_days_mean",
        ] {
            header.push(format!("mdt.{d}.{s}"));
        }
    }
    header.extend(
        [
            "cost_per_year_gbp",
            "current_cost_per_year_gbp",
            "staff_cost_to_end_gbp",
            "grant_gbp",
            "grant_covers",
            "grant_headroom_gbp",
            "simulations",
            "reasons",
            "coach_marginal_cost_per_extra_start_gbp",
            "limited_by",
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    w.write_record(&header).expect("in-memory CSV");
    for a in &res.areas {
        let coach = lever_of(a, LeverKind::CoachFte);
        let cap = lever_of(a, LeverKind::CaseloadCap);
        let lever_cells = |l: Option<&super::LeverPlan>| match l {
            Some(l) => vec![
                cell(Some(l.current)),
                cell(Some(l.planned)),
                l.binds.join(" + "),
            ],
            None => vec![String::new(); 3],
        };
        let mut row = vec![
            a.name.clone(),
            status(res, a).to_string(),
            cell(a.target),
            cell(a.target.map(|_| res.options.confidence)),
            cell(a.planned.p_reach.map(|p| p.0)),
            cell(a.planned.p_reach.map(|p| p.1.0)),
            cell(a.planned.p_reach.map(|p| p.1.1)),
            cell(a.planned.starts.mean),
            cell(a.planned.starts.p10),
            cell(a.planned.starts.p90),
            cell(Some(res.options.wait_days)),
            cell(a.planned.wait_p90.mean),
        ];
        row.extend(lever_cells(coach));
        row.extend(lever_cells(cap));
        for d in 0..res.disciplines.len() {
            row.extend(lever_cells(lever_of(a, LeverKind::MdtFte(d))));
            let w = a.planned.mdt_wait_p90.get(d).copied().flatten();
            row.push(cell(w.map(|_| res.mdt_wait_days[d])));
            row.push(cell(w.and_then(|b| b.mean)));
        }
        row.extend([
            cell(Some(a.cost_per_year_gbp)),
            cell(Some(a.current_cost_per_year_gbp)),
            cell(a.planned.staff_cost_gbp.mean),
            cell(a.grant_gbp),
            a.grant_covers.map_or(String::new(), |c| c.to_string()),
            cell(a.grant_headroom_gbp),
            a.simulations.to_string(),
            a.reasons.join(" | "),
            cell(
                coach
                    .and_then(|l| l.marginal.as_ref())
                    .and_then(|m| m.cost_per_extra_start_gbp),
            ),
            limited_by(res, a),
        ]);
        w.write_record(&row).expect("in-memory CSV");
    }
    // the programme: the areas summed
    let p = &res.programme;
    let role = |r: &str| p.roles.iter().find(|x| x.role == r);
    let fte = |r: Option<&super::RoleTotal>| match r {
        Some(r) => vec![
            cell(Some(r.current_fte)),
            cell(Some(r.planned_fte)),
            String::new(),
        ],
        None => vec![String::new(); 3],
    };
    let mut row = vec![
        "Programme".to_string(),
        String::new(),
        cell(p.target),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        cell(Some(p.starts_mean)),
        cell(p.starts_p10),
        cell(p.starts_p90),
        String::new(),
        String::new(),
    ];
    row.extend(fte(role("coach")));
    row.extend(vec![String::new(); 3]);
    for d in &res.disciplines {
        row.extend(fte(role(&d.replace('_', " "))));
        row.extend(vec![String::new(); 2]);
    }
    row.extend([
        cell(Some(p.cost_per_year_gbp)),
        cell(Some(p.current_cost_per_year_gbp)),
        cell(Some(p.staff_cost_gbp)),
        cell(p.grant_gbp),
        String::new(),
        String::new(),
        res.areas
            .iter()
            .map(|a| a.simulations)
            .sum::<usize>()
            .to_string(),
        p.budget_gbp
            .map_or(String::new(), |b| format!("budget {}", fmt_value(b))),
        String::new(),
        String::new(),
    ]);
    w.write_record(&row).expect("in-memory CSV");
    w.into_inner().expect("writing to memory cannot fail")
}

/// `levers.csv`: per area, each lever raised by one step from the scenario's
/// staffing, with common random numbers.
pub fn levers_csv(res: &PlanResults) -> Vec<u8> {
    levers_csv_of(&res.levers, res.cost_limit_gbp)
}

/// `levers.csv` from lever tests alone (as `workwell run --levers` writes it), with the
/// stop rule `limit` deciding which levers help.
pub fn levers_csv_of(levers: &[super::value::AreaLevers], limit: f64) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let header = [
        "area",
        "lever",
        "step",
        "extra_cost_gbp",
        "extra_starts_mean",
        "extra_starts_ci95_low",
        "extra_starts_ci95_high",
        "cost_per_extra_start_gbp",
        "extra_cost_per_year_gbp",
        "from",
        "to",
        "priced",
        "helps",
        "binding",
        "replications",
    ];
    w.write_record(header)
        .expect("writing to memory cannot fail");
    for al in levers {
        for t in &al.tests {
            let priced = match t.lever {
                Tested::CoachFte | Tested::MdtFte(_) => "bought",
                Tested::ContactHours | Tested::CaseloadCap => "shadow price of one coach",
                Tested::Demand => "check, not bought",
            };
            let rec = [
                al.area.clone(),
                t.label.clone(),
                t.step.clone(),
                cell(t.extra_cost_gbp.map(round2)),
                cell(Some(round2(t.extra_starts.mean))),
                cell(t.extra_starts.ci95.map(|c| round2(c.0))),
                cell(t.extra_starts.ci95.map(|c| round2(c.1))),
                cell(t.cost_per_extra_start_gbp.map(round2)),
                cell(t.extra_cost_per_year_gbp.map(round2)),
                fmt_value(t.from),
                fmt_value(t.to),
                priced.to_string(),
                t.helps(limit).to_string(),
                (al.binding_lever == Some(t.lever)).to_string(),
                t.replications.to_string(),
            ];
            w.write_record(&rec).expect("writing to memory cannot fail");
        }
    }
    w.into_inner().expect("writing to memory cannot fail")
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// The cost per extra start of the coach lever's last step up to the plan (the
/// marginal cost of the recommendation), e.g. `£412`.
fn marginal_text(a: &AreaPlan) -> String {
    let m = lever_of(a, LeverKind::CoachFte).and_then(|l| l.marginal.as_ref());
    match m {
        Some(m) => match m.cost_per_extra_start_gbp {
            Some(c) => money(Some(c)),
            None => "no gain".into(),
        },
        None => "-".into(),
    }
}

/// The binding constraint of area `i` named by its lever tests.
fn limited_by(res: &PlanResults, a: &AreaPlan) -> String {
    res.levers
        .iter()
        .find(|l| l.area == a.name)
        .map_or("-".into(), |l| l.binding.clone())
}

/// `plan.json`: everything, including the curves and the options.
pub fn json(res: &PlanResults) -> Vec<u8> {
    let mut v = serde_json::to_vec_pretty(res).expect("plan results serialise");
    v.push(b'\n');
    v
}

fn mdt_short(res: &PlanResults, a: &AreaPlan) -> String {
    let parts: Vec<String> = (0..res.disciplines.len())
        .filter_map(|d| lever_of(a, LeverKind::MdtFte(d)).map(|l| fmt_value(l.planned)))
        .collect();
    if parts.is_empty() {
        "-".into()
    } else {
        parts.join("/")
    }
}

/// The table printed after planning.
pub fn table(res: &PlanResults) -> String {
    let mut s = String::new();
    let mdt_names: Vec<&str> = res.disciplines.iter().map(String::as_str).collect();
    let _ = writeln!(
        s,
        "Plan for `{}` to {}: P(reach target) >= {}, assessment wait p90 <= {} days; {} (seed {}) per candidate",
        res.scenario,
        res.end,
        pct(Some(res.options.confidence)),
        fmt_value(res.options.wait_days),
        crate::display::count(
            res.options.replications as usize,
            "replication",
            "replications"
        ),
        res.seed
    );
    let has_mdt = res.areas.iter().any(|a| {
        a.levers
            .iter()
            .any(|l| matches!(l.kind, LeverKind::MdtFte(_)))
    });
    if has_mdt {
        let _ = writeln!(s, "MDT FTE: {}", mdt_names.join("/").replace('_', " "));
    }
    let _ = writeln!(
        s,
        "{:<40} {:<10} {:>12} {:>15} {:>9} {:>9} {:>9} {:>8} {:>7} {:>8} {:>9}  {:<24} binds",
        "area",
        "status",
        "coach FTE",
        "MDT FTE",
        "cost/yr",
        "to end",
        "grant",
        "P(reach)",
        "wait90",
        "covered",
        "£/start+",
        "limited by",
    );
    let _ = writeln!(s, "{}", "-".repeat(185));
    for a in &res.areas {
        let coach = lever_of(a, LeverKind::CoachFte).map_or("-".into(), |l| {
            format!("{} -> {}", fmt_value(l.current), fmt_value(l.planned))
        });
        let covered = match a.grant_covers {
            Some(true) => "yes",
            Some(false) => "NO",
            None => "-",
        };
        let mut name = a.name.clone();
        if name.chars().count() > 40 {
            name = name.chars().take(39).collect::<String>() + "…";
        }
        let _ = writeln!(
            s,
            "{:<40} {:<10} {:>12} {:>15} {:>9} {:>9} {:>9} {:>8} {:>6}d {:>8} {:>9}  {:<24} {}",
            name,
            status(res, a),
            coach,
            mdt_short(res, a),
            gbp_k(Some(a.cost_per_year_gbp)),
            gbp_k(a.planned.staff_cost_gbp.mean),
            gbp_k(a.grant_gbp),
            pct(a.planned.p_reach.map(|p| p.0)),
            f1(a.planned.wait_p90.mean),
            covered,
            marginal_text(a),
            limited_by(res, a),
            binding(a)
        );
    }
    let _ = writeln!(s, "{}", "-".repeat(185));
    let _ = writeln!(
        s,
        "cost/yr: planned staff cost a year; to end: simulated staff cost to the end date, mean across replications; grant: the area's grant; covered: whether the grant covers the cost to the end date (- without a grant); P(reach): share of replications reaching the target; wait90: 90th-percentile wait to assessment, mean across replications; £/start+: mean cost per extra start of the last coach step"
    );
    let total_now: f64 = res.areas.iter().map(|a| a.current_cost_per_year_gbp).sum();
    let staff: f64 = res
        .areas
        .iter()
        .filter_map(|a| a.planned.staff_cost_gbp.mean)
        .sum();
    let _ = writeln!(
        s,
        "{} of {} {}; planned staff {} a year (scenario's staffing {}), {} to {} as simulated",
        res.areas.iter().filter(|a| a.feasible).count(),
        crate::display::count(res.areas.len(), "area", "areas"),
        if res.allocation.is_some() {
            "meet their criteria with the staffing bought"
        } else {
            "feasible"
        },
        gbp_k(Some(res.cost_per_year_gbp())),
        gbp_k(Some(total_now)),
        gbp_k(Some(staff)),
        res.end
    );
    for a in res.areas.iter().filter(|a| !a.feasible) {
        for r in &a.reasons {
            let _ = writeln!(s, "  {}: {r}", a.name);
        }
    }
    if let Some(al) = &res.allocation {
        s.push_str(&allocation_text(al));
    }
    s.push_str(&programme_text(res));
    s
}

fn money(v: Option<f64>) -> String {
    match v.filter(|v| v.is_finite()) {
        Some(v) => format!("£{}", group(v.round() as i64)),
        None => "-".into(),
    }
}

fn group(v: i64) -> String {
    let digits = v.abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    format!("{}{out}", if v < 0 { "-" } else { "" })
}

fn count(v: Option<f64>) -> String {
    v.filter(|v| v.is_finite())
        .map_or("-".into(), |v| group(v.round() as i64))
}

/// The stop rule in words.
fn limit_text(res: &PlanResults) -> String {
    if res.cost_limit_gbp.is_finite() {
        format!(
            "{} per extra start ({})",
            money(Some(res.cost_limit_gbp)),
            res.cost_limit_rule
        )
    } else {
        "none (staff cost nothing in this scenario)".into()
    }
}

/// The allocation in a few lines of text.
fn allocation_text(al: &super::value::budget::Allocation) -> String {
    let mut s = String::new();
    let bought = &al.path[..al.steps];
    let _ = writeln!(
        s,
        "Budget {} to the end date: the scenario's staffing costs {}; {} steps bought, {} left; {}.",
        money(Some(al.budget_gbp)),
        money(Some(al.start_cost_gbp)),
        bought.len(),
        money(Some(al.left_gbp)),
        al.stopped
    );
    for (i, inc) in bought.iter().enumerate() {
        let _ = writeln!(
            s,
            "  {:>3}. {:<40} {:<46} +{:>6} starts  {:>8} per extra start",
            i + 1,
            inc.area,
            format!("{} {}", inc.test.label, inc.test.step),
            f0(Some(inc.test.extra_starts.mean)),
            money(inc.test.cost_per_extra_start_gbp)
        );
    }
    s
}

/// The programme totals in a few lines of text.
fn programme_text(res: &PlanResults) -> String {
    let p = &res.programme;
    let mut s = String::new();
    let roles: Vec<String> = p
        .roles
        .iter()
        .map(|r| {
            format!(
                "{} {} -> {}",
                r.role,
                fmt_value((r.current_fte * 10.0).round() / 10.0),
                fmt_value((r.planned_fte * 10.0).round() / 10.0)
            )
        })
        .collect();
    let _ = writeln!(
        s,
        "Programme staff (FTE, scenario -> plan): {}",
        roles.join("; ")
    );
    let _ = writeln!(
        s,
        "Programme: {} a year (scenario's staffing {}), {} to {} as simulated (mean); starts {} \
         (mean; 10th-90th percentile {} to {}){}; staff cost per start {}; grants {}{}{}",
        money(Some(p.cost_per_year_gbp)),
        money(Some(p.current_cost_per_year_gbp)),
        money(Some(p.staff_cost_gbp)),
        res.end,
        count(Some(p.starts_mean)),
        count(p.starts_p10),
        count(p.starts_p90),
        p.target.map_or(String::new(), |t| format!(
            " against targets of {}",
            count(Some(t))
        )),
        money(p.cost_per_start_gbp),
        money(p.grant_gbp),
        if p.grant_areas < res.areas.len() {
            format!(
                " ({} of {} give one)",
                p.grant_areas,
                crate::display::count(res.areas.len(), "area", "areas")
            )
        } else {
            String::new()
        },
        p.budget_gbp
            .map_or(String::new(), |b| format!("; budget {}", money(Some(b)))),
    );
    let _ = writeln!(s, "Stop rule: {}", limit_text(res));
    s
}

/// One capacity-curve chart: mean with a 10th-90th percentile band against the
/// lever, a horizontal reference line (target or standard) and a vertical line at
/// the planned value.
struct Chart<'a> {
    title: &'a str,
    x_label: &'a str,
    y_label: &'a str,
    points: Vec<(f64, Band)>,
    reference: Option<(f64, String)>,
    planned: Option<f64>,
    legend: SeriesLabelPosition,
}

fn draw(c: &Chart<'_>, buf: &mut String) -> Result<(), String> {
    let pts: Vec<(f64, f64, f64, f64)> = c
        .points
        .iter()
        .filter_map(|(x, b)| {
            let m = b.mean.filter(|v| v.is_finite())?;
            Some((*x, m, b.p10.unwrap_or(m), b.p90.unwrap_or(m)))
        })
        .collect();
    if pts.is_empty() {
        return Err("no data".into());
    }
    let x0 = pts.iter().map(|p| p.0).fold(f64::INFINITY, f64::min);
    let x1 = pts.iter().map(|p| p.0).fold(f64::NEG_INFINITY, f64::max);
    let (x0, x1) = if x1 > x0 {
        (x0, x1)
    } else {
        (x0 - 1.0, x1 + 1.0)
    };
    let mut y1 = pts.iter().map(|p| p.3).fold(0.0_f64, f64::max);
    if let Some((r, _)) = &c.reference {
        y1 = y1.max(*r);
    }
    let y1 = if y1 > 0.0 { y1 * 1.1 } else { 1.0 };
    let e = |e: &dyn std::fmt::Display| e.to_string();
    let root = SVGBackend::with_string(buf, (460, 300)).into_drawing_area();
    root.fill(&WHITE).map_err(|x| e(&x))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(c.title, ("sans-serif", 15))
        .margin(8)
        .x_label_area_size(36)
        .y_label_area_size(56)
        .build_cartesian_2d(x0..x1, 0.0..y1)
        .map_err(|x| e(&x))?;
    chart
        .configure_mesh()
        .x_desc(c.x_label)
        .y_desc(c.y_label)
        .x_label_formatter(&|v| fmt_value((v * 100.0).round() / 100.0))
        .y_label_formatter(&|v| format!("{v:.0}"))
        .light_line_style(WHITE)
        .draw()
        .map_err(|x| e(&x))?;
    let blue = RGBColor(31, 119, 180);
    let mut band: Vec<(f64, f64)> = pts.iter().map(|p| (p.0, p.3)).collect();
    band.extend(pts.iter().rev().map(|p| (p.0, p.2)));
    chart
        .draw_series(std::iter::once(Polygon::new(band, blue.mix(0.2).filled())))
        .map_err(|x| e(&x))?
        .label("10th-90th percentile")
        .legend(move |(x, y)| {
            Rectangle::new([(x, y - 4), (x + 14, y + 4)], blue.mix(0.2).filled())
        });
    chart
        .draw_series(LineSeries::new(
            pts.iter().map(|p| (p.0, p.1)),
            blue.stroke_width(2),
        ))
        .map_err(|x| e(&x))?
        .label("mean")
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 14, y)], blue.stroke_width(2)));
    chart
        .draw_series(
            pts.iter()
                .map(|p| Circle::new((p.0, p.1), 3, blue.filled())),
        )
        .map_err(|x| e(&x))?;
    if let Some((r, label)) = &c.reference {
        let red = RGBColor(214, 39, 40);
        chart
            .draw_series(LineSeries::new(
                vec![(x0, *r), (x1, *r)],
                red.stroke_width(1),
            ))
            .map_err(|x| e(&x))?
            .label(label.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 14, y)], red));
    }
    if let Some(p) = c.planned {
        let green = RGBColor(44, 160, 44);
        chart
            .draw_series(LineSeries::new(
                vec![(p, 0.0), (p, y1)],
                green.stroke_width(2),
            ))
            .map_err(|x| e(&x))?
            .label(format!("planned {}", fmt_value(p)))
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 14, y)], green.stroke_width(2))
            });
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .position(c.legend.clone())
        .draw()
        .map_err(|x| e(&x))?;
    root.present().map_err(|x| e(&x))?;
    Ok(())
}

/// The chart as an SVG string (a short note instead when there is nothing to draw).
fn svg(c: &Chart<'_>) -> String {
    let mut buf = String::new();
    match draw(c, &mut buf) {
        Ok(()) => buf,
        Err(m) => format!(
            "<p class=\"note\">{}: no chart ({})</p>",
            esc(c.title),
            esc(&m)
        ),
    }
}

/// The cost-effectiveness frontier: programme starts (mean, 10th-90th percentile
/// band) against programme staff cost to the end date along the allocation path,
/// the budget's point marked and the budget drawn as a vertical line.
fn draw_frontier(al: &super::value::budget::Allocation, buf: &mut String) -> Result<(), String> {
    let mut pts: Vec<(f64, f64, f64, f64)> = vec![(
        al.start_cost_gbp / 1000.0,
        al.start_starts,
        al.start_starts_p10_p90.0,
        al.start_starts_p10_p90.1,
    )];
    pts.extend(al.path.iter().map(|i| {
        (
            i.programme_cost_gbp / 1000.0,
            i.programme_starts,
            i.programme_starts_p10,
            i.programme_starts_p90,
        )
    }));
    let chosen = pts[al.steps];
    let budget = al.budget_gbp / 1000.0;
    let x0 = pts[0].0.min(budget);
    let x1 = pts.last().map_or(x0, |p| p.0).max(budget);
    let (x0, x1) = if x1 > x0 {
        let pad = 0.05 * (x1 - x0);
        (x0 - pad, x1 + pad)
    } else {
        (x0 - 1.0, x1 + 1.0)
    };
    let ys = pts
        .iter()
        .flat_map(|p| [p.1, p.2, p.3])
        .filter(|v| v.is_finite());
    let (y0, y1) = ys.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
        (a.min(v), b.max(v))
    });
    let pad = (0.1 * (y1 - y0)).max(1.0);
    let (y0, y1) = ((y0 - pad).max(0.0), y1 + pad);
    let e = |e: &dyn std::fmt::Display| e.to_string();
    let root = SVGBackend::with_string(buf, (760, 340)).into_drawing_area();
    root.fill(&WHITE).map_err(|x| e(&x))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "Programme starts against programme staff cost",
            ("sans-serif", 15),
        )
        .margin(8)
        .x_label_area_size(36)
        .y_label_area_size(64)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(|x| e(&x))?;
    chart
        .configure_mesh()
        .x_desc("staff cost to the end date, £ thousand")
        .y_desc("starts by the end date")
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_label_formatter(&|v| format!("{v:.0}"))
        .light_line_style(WHITE)
        .draw()
        .map_err(|x| e(&x))?;
    let blue = RGBColor(31, 119, 180);
    let band: Vec<(f64, f64, f64)> = pts
        .iter()
        .filter(|p| p.2.is_finite() && p.3.is_finite())
        .map(|p| (p.0, p.2, p.3))
        .collect();
    if band.len() >= 2 {
        let mut poly: Vec<(f64, f64)> = band.iter().map(|p| (p.0, p.2)).collect();
        poly.extend(band.iter().rev().map(|p| (p.0, p.1)));
        chart
            .draw_series(std::iter::once(Polygon::new(poly, blue.mix(0.15).filled())))
            .map_err(|x| e(&x))?
            .label("10th-90th percentile across replications")
            .legend(move |(x, y)| {
                Rectangle::new([(x, y - 4), (x + 14, y + 4)], blue.mix(0.15).filled())
            });
    }
    chart
        .draw_series(LineSeries::new(
            pts.iter().map(|p| (p.0, p.1)),
            blue.stroke_width(2),
        ))
        .map_err(|x| e(&x))?
        .label("mean starts, step by step")
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 14, y)], blue.stroke_width(2)));
    chart
        .draw_series(
            pts.iter()
                .map(|p| Circle::new((p.0, p.1), 3, blue.filled())),
        )
        .map_err(|x| e(&x))?;
    let red = RGBColor(214, 39, 40);
    chart
        .draw_series(LineSeries::new(
            vec![(budget, y0), (budget, y1)],
            red.stroke_width(1),
        ))
        .map_err(|x| e(&x))?
        .label(format!("budget £{:.0}k", budget))
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 14, y)], red));
    let green = RGBColor(44, 160, 44);
    chart
        .draw_series(std::iter::once(TriangleMarker::new(
            (chosen.0, chosen.1),
            9,
            green.filled(),
        )))
        .map_err(|x| e(&x))?
        .label(format!("chosen: £{:.0}k, {:.0} starts", chosen.0, chosen.1))
        .legend(move |(x, y)| TriangleMarker::new((x + 7, y), 6, green.filled()));
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .position(SeriesLabelPosition::LowerRight)
        .draw()
        .map_err(|x| e(&x))?;
    root.present().map_err(|x| e(&x))?;
    Ok(())
}

/// The frontier chart as SVG (a note when there is nothing to draw).
pub fn frontier_svg(al: &super::value::budget::Allocation) -> String {
    let mut buf = String::new();
    match draw_frontier(al, &mut buf) {
        Ok(()) => buf,
        Err(m) => format!("<p class=\"note\">No frontier chart ({}).</p>", esc(&m)),
    }
}

fn curve_charts(res: &PlanResults, a: &AreaPlan) -> String {
    if a.curve.is_empty() {
        return String::new();
    }
    let planned = a
        .levers
        .iter()
        .find(|l| l.label == a.curve_lever)
        .map(|l| l.planned);
    let pts = |f: fn(&CurvePoint) -> Band| a.curve.iter().map(|p| (p.value, f(p))).collect();
    let starts = Chart {
        title: "Starts by the end date",
        x_label: &a.curve_lever,
        y_label: "starts",
        points: pts(|p| p.starts),
        reference: a.target.map(|t| (t, format!("target {}", fmt_value(t)))),
        planned,
        legend: SeriesLabelPosition::LowerRight,
    };
    let wait = Chart {
        title: "Wait to assessment, 90th percentile",
        x_label: &a.curve_lever,
        y_label: "days",
        points: pts(|p| p.wait_p90),
        reference: Some((
            res.options.wait_days,
            format!("standard {} d", fmt_value(res.options.wait_days)),
        )),
        planned,
        legend: SeriesLabelPosition::UpperRight,
    };
    format!(
        "<div class=\"charts\">{}{}</div>\n",
        svg(&starts),
        svg(&wait)
    )
}

/// The programme section of `plan.html`.
fn programme_html(res: &PlanResults) -> String {
    let p = &res.programme;
    let mut s = String::from(
        "<h2 id=\"programme\">Programme</h2>\n<table><tr><th>staff</th><th>FTE now</th>\
         <th>FTE planned</th><th>cost per year planned</th></tr>\n",
    );
    for r in &p.roles {
        let _ = writeln!(
            s,
            "<tr><td>{}</td><td>{}</td><td><b>{}</b></td><td>{}</td></tr>",
            esc(&r.role),
            fmt_value((r.current_fte * 10.0).round() / 10.0),
            fmt_value((r.planned_fte * 10.0).round() / 10.0),
            money(Some(r.cost_per_year_gbp))
        );
    }
    let _ = writeln!(
        s,
        "<tr><td><b>all staff</b></td><td></td><td></td><td><b>{}</b></td></tr></table>",
        money(Some(p.cost_per_year_gbp))
    );
    let _ = writeln!(
        s,
        "<table><tr><th>programme</th><th>planned</th></tr>\
         <tr><td>expected starts by {end}</td><td><b>{}</b> (10th-90th percentile {} to {})</td></tr>\
         <tr><td>sum of area targets</td><td>{}</td></tr>\
         <tr><td>staff cost to {end} as simulated</td><td>{}</td></tr>\
         <tr><td>staff cost per start</td><td>{}</td></tr>\
         <tr><td>staff cost per year, planned (scenario's staffing)</td><td>{} ({})</td></tr>\
         <tr><td>grants{}</td><td>{}</td></tr>\
         <tr><td>budget</td><td>{}</td></tr>\
         <tr><td>stop rule</td><td>{}</td></tr></table>",
        count(Some(p.starts_mean)),
        count(p.starts_p10),
        count(p.starts_p90),
        count(p.target),
        money(Some(p.staff_cost_gbp)),
        money(p.cost_per_start_gbp),
        money(Some(p.cost_per_year_gbp)),
        money(Some(p.current_cost_per_year_gbp)),
        if p.grant_areas < res.areas.len() {
            format!(
                " ({} of {} give one)",
                p.grant_areas,
                crate::display::count(res.areas.len(), "area", "areas")
            )
        } else {
            String::new()
        },
        money(p.grant_gbp),
        p.budget_gbp
            .map_or("none given (planned to targets)".into(), |b| money(Some(b))),
        esc(&limit_text(res)),
        end = esc(&res.end),
    );
    let _ = writeln!(
        s,
        "<p class=\"note\">Staff cost only: grants also pay for management, premises and the \
         rest. The programme's starts are the areas' summed replication by replication (a \
         national uncertain parameter takes the same value in every area of a replication), so \
         the interval carries the areas' shared uncertainty.</p>"
    );
    s
}

/// The budget allocation section: the frontier chart and the steps bought.
fn allocation_html(al: &super::value::budget::Allocation) -> String {
    let mut s = String::from("<h2 id=\"frontier\">Cost-effectiveness frontier</h2>\n");
    let _ = writeln!(
        s,
        "<p>From the scenario's staffing ({} to the end date, {} starts), the budget of {} buys \
         one step at a time: the step, in any area, with the most extra starts per pound among \
         those whose extra starts are above zero (95% interval) and whose cost per extra start is \
         within the stop rule ({}). {} steps bought, {} left; it stopped because {}. The chart continues past the \
         budget with the steps more money would buy next.</p>",
        money(Some(al.start_cost_gbp)),
        count(Some(al.start_starts)),
        money(Some(al.budget_gbp)),
        money(Some(al.cost_limit_gbp)),
        al.steps,
        money(Some(al.left_gbp)),
        esc(&al.stopped)
    );
    let _ = writeln!(s, "<div class=\"chart\">{}</div>", frontier_svg(al));
    let _ = writeln!(
        s,
        "<table><tr><th>step</th><th>area</th><th>what</th><th>extra starts (95% interval)</th>\
         <th>extra cost to end</th><th>cost per extra start</th><th>programme cost</th>\
         <th>programme starts</th></tr>"
    );
    for (i, inc) in al.path.iter().enumerate() {
        let t = &inc.test;
        let _ = writeln!(
            s,
            "<tr{}><td>{}</td><td>{}</td><td>{}: {}</td><td>{} ({})</td><td>{}</td><td>{}</td>\
             <td>{}</td><td>{}</td></tr>",
            if inc.within_budget {
                ""
            } else {
                " class=\"note\""
            },
            if inc.within_budget {
                (i + 1).to_string()
            } else {
                format!("{} (beyond)", i + 1)
            },
            esc(&inc.area),
            esc(&t.label),
            esc(&t.step),
            f0(Some(t.extra_starts.mean)),
            t.extra_starts.ci95.map_or("n/a".into(), |(lo, hi)| format!(
                "{} to {}",
                f0(Some(lo)),
                f0(Some(hi))
            )),
            money(t.extra_cost_gbp),
            money(t.cost_per_extra_start_gbp),
            money(Some(inc.programme_cost_gbp)),
            count(Some(inc.programme_starts)),
        );
    }
    s.push_str("</table>\n");
    s
}

/// Which replications the lever tests' figures come from, in one sentence.
fn lever_reps_text(res: &PlanResults) -> String {
    let n = res.options.replications;
    let k = super::eval::screening_reps(n);
    if res.options.budget_gbp.is_none() && k < n {
        format!(
            "A step clearly not helping (its extra starts less its extra cost at the stop rule \
             wholly below zero in the 95% interval) is reported from the first {k} replications, \
             the others from all {n} (the <code>replications</code> column of \
             <code>levers.csv</code>)."
        )
    } else {
        format!("Every step is reported from all {n} replications.")
    }
}

/// Every area's lever tests at the scenario's staffing.
fn levers_html(res: &PlanResults) -> String {
    let mut s = String::from("<h2 id=\"levers\">What limits each area</h2>\n");
    let _ = writeln!(
        s,
        "<p>Each lever raised by one step from the scenario's staffing, on the same \
         replications (common random numbers): the extra starts by the end date with the 95% \
         interval of the paired difference, the extra staff cost to the end date and the cost \
         per extra start. A step costs about one coach a year: one coach, or that much of an MDT \
         discipline; contact hours and the caseload cap are raised by what one more coach would \
         add and priced as that coach; 10% more referrals is a check of what more demand would \
         give, not something to buy. The area is <em>limited by</em> the coach or MDT step with \
         the most extra starts per pound whose interval is above zero and whose cost per extra \
         start is within the stop rule ({}); by demand when there is none. {}</p>",
        esc(&limit_text(res)),
        lever_reps_text(res)
    );
    s.push_str(
        "<table><tr><th>area</th><th>step</th><th>extra starts (95% interval)</th>\
         <th>extra cost to end</th><th>cost per extra start</th></tr>\n",
    );
    for al in &res.levers {
        for (k, t) in al.tests.iter().enumerate() {
            let area = if k == 0 {
                format!(
                    "<b>{}</b><br>limited by {}",
                    esc(&al.area),
                    esc(&al.binding)
                )
            } else {
                String::new()
            };
            let _ = writeln!(
                s,
                "<tr><td>{area}</td><td{}>{}: {}</td><td>{} ({})</td><td>{}</td><td>{}</td></tr>",
                if al.binding_lever == Some(t.lever) {
                    " class=\"ok\""
                } else {
                    ""
                },
                esc(&t.label),
                esc(&t.step),
                f0(Some(t.extra_starts.mean)),
                t.extra_starts.ci95.map_or("n/a".into(), |(lo, hi)| format!(
                    "{} to {}",
                    f0(Some(lo)),
                    f0(Some(hi))
                )),
                money(t.extra_cost_gbp),
                money(t.cost_per_extra_start_gbp),
            );
        }
    }
    s.push_str("</table>\n");
    s
}

/// `plan.html`: a summary table, then per area the levers, the criteria, the cost
/// against the grant and the capacity curves.
pub fn html(res: &PlanResults) -> Vec<u8> {
    html_with_note(res, None)
}

/// [`html`] with a note shown in a box under the title (that the scenario planned is
/// uncalibrated while a calibrated version exists).
pub fn html_with_note(res: &PlanResults, note: Option<&str>) -> Vec<u8> {
    let mut s = String::new();
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Capacity plan: {name}</title>\n<style>\
         body{{font-family:sans-serif;max-width:1000px;margin:2em auto;color:#222}}\
         table{{border-collapse:collapse;margin:0.5em 0 1em}}\
         td,th{{border-bottom:1px solid #ddd;padding:3px 8px;text-align:right}}\
         td:first-child,th:first-child{{text-align:left}}\
         .bad{{color:#b00}} .ok{{color:#070}} .note{{color:#555;font-size:0.9em}}\
         .charts{{display:flex;flex-wrap:wrap;gap:8px}}\
         svg{{max-width:100%;height:auto}}\
         @media(max-width:640px){{body{{margin:1em 0.75em}}table{{display:block;overflow-x:auto}}\
         .charts,.chart{{overflow-x:auto}}.charts svg,.chart svg{{max-width:none;flex:none}}}}\
         @page{{size:A4;margin:12mm}}\
         @media print{{body{{max-width:none;margin:0;font-size:9pt}}table{{font-size:8pt}}\
         h2{{break-after:avoid}}tr,svg,.charts{{break-inside:avoid}}a{{color:inherit;text-decoration:none}}}}\
         </style></head><body>\n<h1>Capacity plan: {name}</h1>\n",
        name = esc(&res.scenario)
    );
    if let Some(n) = note {
        let _ = writeln!(
            s,
            "<p id=\"uncalibrated\" style=\"border:3px solid #b00;padding:0.5em 1em\"><b>Note.</b> {}</p>",
            esc(n)
        );
    }
    let o = &res.options;
    let _ = writeln!(
        s,
        "<p>For each area, the least-cost staffing (funded FTE x salary plus on-costs per \
         year, as in the scenario) such that the probability of reaching the area target by \
         {end} is at least {conf}, the mean 90th-percentile wait to assessment is at most \
         {w} days and the mean 90th-percentile wait to each staffed MDT discipline's first \
         session is within its standard. Each candidate is simulated on the same {r} \
         replications (seed {seed}): common random numbers. The search gallops and bisects \
         each lever on a grid (coach FTE step {cs}, MDT FTE step {ms}), alternating coach and \
         MDT, then checks all criteria jointly and lowers each lever while they hold. \
         <em>Binds</em> names the criteria that fail one grid step below the plan. The \
         capacity curves use the first {sr} of the replications.</p>",
        end = esc(&res.end),
        conf = pct(Some(o.confidence)),
        w = fmt_value(o.wait_days),
        r = o.replications,
        sr = super::eval::screening_reps(o.replications),
        seed = res.seed,
        cs = fmt_value(o.coach_step),
        ms = fmt_value(o.mdt_step),
    );
    let stds: Vec<String> = res
        .disciplines
        .iter()
        .zip(&res.mdt_wait_days)
        .map(|(d, w)| format!("{} {} days", esc(&d.replace('_', " ")), fmt_value(*w)))
        .collect();
    if !stds.is_empty() {
        let _ = writeln!(
            s,
            "<p class=\"note\">MDT wait standards: {}.</p>",
            stds.join(", ")
        );
    }
    let _ = writeln!(
        s,
        "<h2>Summary</h2>\n<table><tr><th>area</th><th>status</th><th>coach FTE</th>\
         <th>MDT FTE<sup>*</sup></th><th>cost per year</th><th>staff cost to end</th><th>grant</th>\
         <th>covered</th><th>P(reach)</th><th>wait p90 (d)</th><th>cost per extra start<sup>&dagger;</sup></th>\
         <th>limited by</th><th>binds</th></tr>",
    );
    for (i, a) in res.areas.iter().enumerate() {
        let coach = lever_of(a, LeverKind::CoachFte).map_or("-".into(), |l| {
            format!("{} &rarr; {}", fmt_value(l.current), fmt_value(l.planned))
        });
        let covered = match a.grant_covers {
            Some(true) => "<span class=\"ok\">yes</span>",
            Some(false) => "<span class=\"bad\">no</span>",
            None => "-",
        };
        let _ = writeln!(
            s,
            "<tr><td><a href=\"#area-{i}\">{}</a></td><td class=\"{}\">{}</td><td>{coach}</td>\
             <td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{covered}</td><td>{}</td>\
             <td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&a.name),
            if a.feasible { "ok" } else { "bad" },
            status(res, a),
            mdt_short(res, a),
            gbp_k(Some(a.cost_per_year_gbp)),
            gbp_k(a.planned.staff_cost_gbp.mean),
            gbp_k(a.grant_gbp),
            pct(a.planned.p_reach.map(|p| p.0)),
            f1(a.planned.wait_p90.mean),
            esc(&marginal_text(a)),
            esc(&limited_by(res, a)),
            esc(&binding(a)),
        );
    }
    let _ = writeln!(
        s,
        "</table>\n<p class=\"note\"><sup>*</sup>MDT FTE in the order {}. <em>Limited \
         by</em> is what one more step of staffing shows binds the area at the scenario's \
         staffing (see <a href=\"#levers\">What limits each area</a>). \
         <sup>&dagger;</sup>Of the last coach step up to the plan (one coach FTE), on the same \
         replications; \"no gain\" when that step adds no start. <em>Covered</em>: whether the \
         area's grant covers its planned staff cost to the end date (\"-\" without a grant). \
         Staff costs, P(reach) (the share of replications reaching the target) and the \
         90th-percentile wait are means across replications.</p>",
        esc(&res.disciplines.join(", ").replace('_', " "))
    );
    s.push_str(&programme_html(res));
    if let Some(al) = &res.allocation {
        s.push_str(&allocation_html(al));
    }
    s.push_str(&levers_html(res));
    for (i, a) in res.areas.iter().enumerate() {
        let _ = writeln!(
            s,
            "<h2 id=\"area-{i}\">{}: <span class=\"{}\">{}</span></h2>",
            esc(&a.name),
            if a.feasible { "ok" } else { "bad" },
            status(res, a)
        );
        if let Some(t) = a.target {
            let _ = writeln!(
                s,
                "<p class=\"note\">Target {} starts ({}).</p>",
                fmt_value(t),
                esc(&a.target_source)
            );
        }
        for r in &a.reasons {
            let _ = writeln!(s, "<p class=\"bad\">{}</p>", esc(r));
        }
        let _ = writeln!(
            s,
            "<table><tr><th>lever</th><th>scenario</th><th>planned</th><th>search bound</th>\
             <th>cost per unit per year</th><th>last step to the plan: extra starts \
             (95% interval), cost per extra start</th><th>binds</th></tr>"
        );
        for l in &a.levers {
            let last = match &l.marginal {
                Some(m) => format!(
                    "from {}: {} ({}{}), {}",
                    fmt_value(m.from),
                    f0(Some(m.extra_starts.mean)),
                    m.extra_starts.ci95.map_or("n/a".into(), |(lo, hi)| format!(
                        "{} to {}",
                        f0(Some(lo)),
                        f0(Some(hi))
                    )),
                    if m.replications < res.options.replications {
                        format!("; first {} replications", m.replications)
                    } else {
                        String::new()
                    },
                    m.cost_per_extra_start_gbp
                        .map_or("no extra start".into(), |c| money(Some(c)))
                ),
                None => "-".into(),
            };
            let _ = writeln!(
                s,
                "<tr><td>{}</td><td>{}</td><td><b>{}</b></td><td>{}</td>\
                 <td title=\"{}\">{} ({})</td><td>{last}</td><td>{}</td></tr>",
                esc(&l.label),
                fmt_value(l.current),
                fmt_value(l.planned),
                fmt_value(l.max),
                esc(&l.cost_note),
                gbp_k(Some(l.cost_per_year_gbp)),
                if l.cost_sourced {
                    "sourced"
                } else {
                    "assumption"
                },
                esc(&binds_text(&l.binds))
            );
        }
        let _ = writeln!(
            s,
            "</table>\n<table><tr><th>criterion</th><th>planned</th><th>95% interval</th>\
             <th>at the search bound</th><th>met</th></tr>"
        );
        for c in &a.criteria {
            let fmt = |v: Option<f64>| {
                if c.name == "target" { pct(v) } else { f1(v) }
            };
            let _ = writeln!(
                s,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"{}\">{}</td></tr>",
                esc(&c.description),
                fmt(c.value),
                c.interval.map_or("-".into(), |(lo, hi)| format!(
                    "{} to {}",
                    fmt(Some(lo)),
                    fmt(Some(hi))
                )),
                fmt(c.best),
                if c.met { "ok" } else { "bad" },
                if c.met {
                    "yes"
                } else if c.feasible {
                    "no"
                } else {
                    "no (infeasible)"
                }
            );
        }
        let p = &a.planned;
        let _ = writeln!(
            s,
            "</table>\n<p>Starts by the end date {} (mean; 10th-90th percentile {} to {}); caseload \
             utilisation {}, coach hours {} (means). Planned staff cost {} a year (scenario's staffing \
             {}); {} to the end date as simulated (recruitment ramp and vacancies included){}.</p>",
            f0(p.starts.mean),
            f0(p.starts.p10),
            f0(p.starts.p90),
            pct(p.caseload_utilisation),
            pct(p.hours_utilisation),
            gbp_k(Some(a.cost_per_year_gbp)),
            gbp_k(Some(a.current_cost_per_year_gbp)),
            gbp_k(p.staff_cost_gbp.mean),
            match (a.grant_gbp, a.grant_headroom_gbp) {
                (Some(g), Some(h)) => format!(
                    "; grant {} ({}), {} {} for other costs",
                    gbp_k(Some(g)),
                    esc(&a.grant_source),
                    if h >= 0.0 { "leaving" } else { "short by" },
                    gbp_k(Some(h.abs()))
                ),
                _ => "; no grant given in the scenario".into(),
            }
        );
        s.push_str(&curve_charts(res, a));
        let _ = writeln!(
            s,
            "<p class=\"note\">{} candidate staffings simulated. Costs: {}.</p>",
            a.simulations,
            a.levers
                .iter()
                .filter(|l| l.cost_per_year_gbp > 0.0)
                .map(|l| format!("{}: {}", esc(&l.label), esc(&l.cost_note)))
                .collect::<Vec<_>>()
                .join("; ")
        );
    }
    let _ = writeln!(s, "</body></html>");
    s.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::gbp_k;

    #[test]
    fn money_is_grouped_in_thousands() {
        assert_eq!(gbp_k(Some(1_234_567.0)), "£1,235k");
        assert_eq!(gbp_k(Some(-2_500.0)), "-£3k");
        assert_eq!(gbp_k(Some(999.0)), "£1k");
        assert_eq!(gbp_k(None), "-");
    }
}
