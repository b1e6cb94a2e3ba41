//! Renderers of a plan: `plan.csv`, `plan.json`, `plan.html` (with the capacity
//! curves as inline SVG) and the table printed on stdout. Pure functions from
//! [`PlanResults`] to bytes.

use std::fmt::Write;

use maud::{Markup, PreEscaped, html};

use crate::display::{text_pct as pct, text0 as f0, text1 as f1};
use crate::plan::value::Tested;
use crate::plan::{AreaPlan, Band, CurvePoint, LeverKind, PlanResults, fmt_value};
use crate::report::charts::{self, Corner, Curve, Frontier};
use crate::report::page::Shell;

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
    format!("{}£{}k", if k < 0 { "-" } else { "" }, group(k.abs()))
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

fn lever_of(a: &AreaPlan, kind: LeverKind) -> Option<&crate::plan::LeverPlan> {
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
    w.write_record(csv_header(res)).expect("in-memory CSV");
    for a in &res.areas {
        w.write_record(csv_area_row(res, a)).expect("in-memory CSV");
    }
    w.write_record(csv_programme_row(res))
        .expect("in-memory CSV");
    w.into_inner().expect("writing to memory cannot fail")
}

/// The columns of `plan.csv`: the area's, each discipline's, then the costs.
fn csv_header(res: &PlanResults) -> Vec<String> {
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
    header
}

/// An area's row of `plan.csv`.
fn csv_area_row(res: &PlanResults, a: &AreaPlan) -> Vec<String> {
    let coach = lever_of(a, LeverKind::CoachFte);
    let cap = lever_of(a, LeverKind::CaseloadCap);
    let lever_cells = |l: Option<&crate::plan::LeverPlan>| match l {
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
    row
}

/// The programme's row of `plan.csv`: the areas summed.
fn csv_programme_row(res: &PlanResults) -> Vec<String> {
    let p = &res.programme;
    let role = |r: &str| p.roles.iter().find(|x| x.role == r);
    let fte = |r: Option<&crate::plan::RoleTotal>| match r {
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
    row
}

/// `levers.csv`: per area, each lever raised by one step from the scenario's
/// staffing, with common random numbers.
pub fn levers_csv(res: &PlanResults) -> Vec<u8> {
    levers_csv_of(&res.levers, res.cost_limit_gbp)
}

/// `levers.csv` from lever tests alone (as `workwell run --levers` writes it), with the
/// stop rule `limit` deciding which levers help.
pub fn levers_csv_of(levers: &[crate::plan::value::AreaLevers], limit: f64) -> Vec<u8> {
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
    let mut s = table_heading(res);
    for a in &res.areas {
        s.push_str(&table_area_line(res, a));
    }
    let _ = writeln!(s, "{}", "-".repeat(185));
    s.push_str(&table_totals(res));
    if let Some(al) = &res.allocation {
        s.push_str(&allocation_text(al));
    }
    s.push_str(&programme_text(res));
    s
}

/// The table's title lines and column headings.
fn table_heading(res: &PlanResults) -> String {
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
    s
}

/// An area's line of the table.
fn table_area_line(res: &PlanResults, a: &AreaPlan) -> String {
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
    format!(
        "{:<40} {:<10} {:>12} {:>15} {:>9} {:>9} {:>9} {:>8} {:>6}d {:>8} {:>9}  {:<24} {}\n",
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
    )
}

/// The table's key, the totals, and why each infeasible area is.
fn table_totals(res: &PlanResults) -> String {
    let mut s = String::new();
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
fn allocation_text(al: &crate::plan::value::budget::Allocation) -> String {
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
        grant_areas_text(res),
        p.budget_gbp
            .map_or(String::new(), |b| format!("; budget {}", money(Some(b)))),
    );
    let _ = writeln!(s, "Stop rule: {}", limit_text(res));
    s
}

/// A chart inline, or a note saying why there is none.
fn chart_or_note(svg: Result<String, String>, what: &str) -> Markup {
    match svg {
        Ok(svg) => html! { (PreEscaped(svg)) },
        Err(m) => html! { p class="note" { (what) ": no chart (" (m) ")" } },
    }
}

fn curve_charts(res: &PlanResults, a: &AreaPlan) -> Markup {
    if a.curve.is_empty() {
        return html! {};
    }
    let planned = a
        .levers
        .iter()
        .find(|l| l.label == a.curve_lever)
        .map(|l| l.planned);
    let pts = |f: fn(&CurvePoint) -> Band| {
        a.curve
            .iter()
            .map(|p| {
                let b = f(p);
                (p.value, b.mean, b.p10, b.p90)
            })
            .collect()
    };
    let starts = Curve {
        title: "Starts by the end date",
        x_label: &a.curve_lever,
        y_label: "starts",
        points: pts(|p| p.starts),
        reference: a.target.map(|t| (t, format!("target {}", fmt_value(t)))),
        planned,
        legend: Corner::LowerRight,
    };
    let wait = Curve {
        title: "Wait to assessment, 90th percentile",
        x_label: &a.curve_lever,
        y_label: "days",
        points: pts(|p| p.wait_p90),
        reference: Some((
            res.options.wait_days,
            format!("standard {} d", fmt_value(res.options.wait_days)),
        )),
        planned,
        legend: Corner::UpperRight,
    };
    html! {
        div class="charts" {
            (chart_or_note(charts::curve(&starts), starts.title))
            (chart_or_note(charts::curve(&wait), wait.title))
        }
    }
}

/// FTE to one decimal place.
fn fte(x: f64) -> String {
    fmt_value((x * 10.0).round() / 10.0)
}

/// " (3 of 5 areas give one)" when not every area gives a grant.
fn grant_areas_text(res: &PlanResults) -> String {
    let p = &res.programme;
    if p.grant_areas < res.areas.len() {
        format!(
            " ({} of {} give one)",
            p.grant_areas,
            crate::display::count(res.areas.len(), "area", "areas")
        )
    } else {
        String::new()
    }
}

/// The programme section of `plan.html`.
fn programme_html(res: &PlanResults) -> Markup {
    let p = &res.programme;
    let end = &res.end;
    html! {
        h2 id="programme" { "Programme" }
        table class="figures" {
            tr { th { "staff" } th { "FTE now" } th { "FTE planned" } th { "cost per year planned" } }
            @for r in &p.roles {
                tr {
                    td { (r.role) } td { (fte(r.current_fte)) } td { b { (fte(r.planned_fte)) } }
                    td { (money(Some(r.cost_per_year_gbp))) }
                }
            }
            tr { td { b { "all staff" } } td {} td {} td { b { (money(Some(p.cost_per_year_gbp))) } } }
        }
        table class="figures" {
            tr { th { "programme" } th { "planned" } }
            tr {
                td { "expected starts by " (end) }
                td { b { (count(Some(p.starts_mean))) } " (10th-90th percentile " (count(p.starts_p10)) " to " (count(p.starts_p90)) ")" }
            }
            tr { td { "sum of area targets" } td { (count(p.target)) } }
            tr { td { "staff cost to " (end) " as simulated" } td { (money(Some(p.staff_cost_gbp))) } }
            tr { td { "staff cost per start" } td { (money(p.cost_per_start_gbp)) } }
            tr {
                td { "staff cost per year, planned (scenario's staffing)" }
                td { (money(Some(p.cost_per_year_gbp))) " (" (money(Some(p.current_cost_per_year_gbp))) ")" }
            }
            tr { td { "grants" (grant_areas_text(res)) } td { (money(p.grant_gbp)) } }
            tr {
                td { "budget" }
                td { (p.budget_gbp.map_or("none given (planned to targets)".into(), |b| money(Some(b)))) }
            }
            tr { td { "stop rule" } td { (limit_text(res)) } }
        }
        p class="note" {
            "Staff cost only: grants also pay for management, premises and the \
             rest. The programme's starts are the areas' summed replication by replication (a \
             national uncertain parameter takes the same value in every area of a replication), so \
             the interval carries the areas' shared uncertainty."
        }
    }
}

/// The frontier chart's data: programme starts (mean, 10th-90th percentile) against
/// programme staff cost (thousands of pounds) along the allocation path.
fn frontier(al: &crate::plan::value::budget::Allocation) -> Frontier {
    let mut points: Vec<(f64, f64, f64, f64)> = vec![(
        al.start_cost_gbp / 1000.0,
        al.start_starts,
        al.start_starts_p10_p90.0,
        al.start_starts_p10_p90.1,
    )];
    points.extend(al.path.iter().map(|i| {
        (
            i.programme_cost_gbp / 1000.0,
            i.programme_starts,
            i.programme_starts_p10,
            i.programme_starts_p90,
        )
    }));
    Frontier {
        points,
        chosen: al.steps,
        budget_k: al.budget_gbp / 1000.0,
    }
}

/// An extra-starts figure with its 95% interval: "12 (3 to 20)".
fn extra_starts(e: &crate::plan::value::Paired) -> String {
    format!(
        "{} ({})",
        f0(Some(e.mean)),
        e.ci95.map_or("n/a".into(), |(lo, hi)| format!(
            "{} to {}",
            f0(Some(lo)),
            f0(Some(hi))
        ))
    )
}

/// The budget allocation section: the frontier chart and the steps bought.
fn allocation_html(al: &crate::plan::value::budget::Allocation) -> Markup {
    html! {
        h2 id="frontier" { "Cost-effectiveness frontier" }
        p {
            "From the scenario's staffing (" (money(Some(al.start_cost_gbp))) " to the end date, "
            (count(Some(al.start_starts))) " starts), the budget of " (money(Some(al.budget_gbp)))
            " buys one step at a time: the step, in any area, with the most extra starts per pound among \
             those whose extra starts are above zero (95% interval) and whose cost per extra start is \
             within the stop rule (" (money(Some(al.cost_limit_gbp))) "). " (al.steps) " steps bought, "
            (money(Some(al.left_gbp))) " left; it stopped because " (al.stopped)
            ". The chart continues past the budget with the steps more money would buy next."
        }
        div class="chart" {
            @match charts::frontier(&frontier(al)) {
                Ok(svg) => { (PreEscaped(svg)) }
                Err(m) => { p class="note" { "No frontier chart (" (m) ")." } }
            }
        }
        div class="table-wrap" { table class="figures" {
            tr {
                th { "step" } th { "area" } th { "what" } th { "extra starts (95% interval)" }
                th { "extra cost to end" } th { "cost per extra start" } th { "programme cost" }
                th { "programme starts" }
            }
            @for (i, inc) in al.path.iter().enumerate() {
                @let t = &inc.test;
                tr class=[(!inc.within_budget).then_some("note")] {
                    td { (i + 1) @if !inc.within_budget { " (beyond)" } }
                    td { (inc.area) }
                    td { (t.label) ": " (t.step) }
                    td { (extra_starts(&t.extra_starts)) }
                    td { (money(t.extra_cost_gbp)) }
                    td { (money(t.cost_per_extra_start_gbp)) }
                    td { (money(Some(inc.programme_cost_gbp))) }
                    td { (count(Some(inc.programme_starts))) }
                }
            }
        } }
    }
}

/// Which replications the lever tests' figures come from, in one sentence.
fn lever_reps_text(res: &PlanResults) -> Markup {
    let n = res.options.replications;
    let k = crate::plan::screening_reps(n);
    if res.options.budget_gbp.is_none() && k < n {
        html! {
            "A step clearly not helping (its extra starts less its extra cost at the stop rule \
             wholly below zero in the 95% interval) is reported from the first " (k)
            " replications, the others from all " (n) " (the " code { "replications" }
            " column of " code { "levers.csv" } ")."
        }
    } else {
        html! { "Every step is reported from all " (n) " replications." }
    }
}

/// Every area's lever tests at the scenario's staffing.
fn levers_html(res: &PlanResults) -> Markup {
    html! {
        h2 id="levers" { "What limits each area" }
        p {
            "Each lever raised by one step from the scenario's staffing, on the same \
             replications (common random numbers): the extra starts by the end date with the 95% \
             interval of the paired difference, the extra staff cost to the end date and the cost \
             per extra start. A step costs about one coach a year: one coach, or that much of an MDT \
             discipline; contact hours and the caseload cap are raised by what one more coach would \
             add and priced as that coach; 10% more referrals is a check of what more demand would \
             give, not something to buy. The area is " em { "limited by" } " the coach or MDT step with \
             the most extra starts per pound whose interval is above zero and whose cost per extra \
             start is within the stop rule (" (limit_text(res)) "); by demand when there is none. "
            (lever_reps_text(res))
        }
        div class="table-wrap" { table class="figures" {
            tr {
                th { "area" } th { "step" } th { "extra starts (95% interval)" }
                th { "extra cost to end" } th { "cost per extra start" }
            }
            @for al in &res.levers {
                @for (k, t) in al.tests.iter().enumerate() {
                    tr {
                        td {
                            @if k == 0 { b { (al.area) } br; "limited by " (al.binding) }
                        }
                        td class=[(al.binding_lever == Some(t.lever)).then_some("ok")] { (t.label) ": " (t.step) }
                        td { (extra_starts(&t.extra_starts)) }
                        td { (money(t.extra_cost_gbp)) }
                        td { (money(t.cost_per_extra_start_gbp)) }
                    }
                }
            }
        } }
    }
}

/// `plan.html`: a summary table, then per area the levers, the criteria, the cost
/// against the grant and the capacity curves.
pub fn html(res: &PlanResults) -> Vec<u8> {
    html_with_note(res, None)
}

/// [`html`] with a note shown in a box under the title (that the scenario planned is
/// uncalibrated while a calibrated version exists).
pub fn html_with_note(res: &PlanResults, note: Option<&str>) -> Vec<u8> {
    let title = format!("Capacity plan: {}", res.scenario);
    let shell = Shell {
        title: &title,
        heading: &title,
        header: html! {
            @if let Some(n) = note {
                p id="uncalibrated" class="alert" { b { "Note." } " " (n) }
            }
        },
        footer: None,
    };
    let body = html! {
        (intro(res))
        (summary_table(res))
        (programme_html(res))
        @if let Some(al) = &res.allocation { (allocation_html(al)) }
        (levers_html(res))
        @for (i, a) in res.areas.iter().enumerate() { (area_html(res, i, a)) }
    };
    crate::report::page::render(&shell, body).into_bytes()
}

/// What the plan is, how it was searched, and the MDT wait standards.
fn intro(res: &PlanResults) -> Markup {
    let o = &res.options;
    let stds: Vec<String> = res
        .disciplines
        .iter()
        .zip(&res.mdt_wait_days)
        .map(|(d, w)| format!("{} {} days", d.replace('_', " "), fmt_value(*w)))
        .collect();
    html! {
        p {
            "For each area, the least-cost staffing (funded FTE x salary plus on-costs per \
             year, as in the scenario) such that the probability of reaching the area target by "
            (res.end) " is at least " (pct(Some(o.confidence)))
            ", the mean 90th-percentile wait to assessment is at most " (fmt_value(o.wait_days))
            " days and the mean 90th-percentile wait to each staffed MDT discipline's first \
             session is within its standard. Each candidate is simulated on the same "
            (o.replications) " replications (seed " (res.seed) "): common random numbers. The search gallops and bisects \
             each lever on a grid (coach FTE step " (fmt_value(o.coach_step)) ", MDT FTE step "
            (fmt_value(o.mdt_step)) "), alternating coach and MDT, then checks all criteria jointly and lowers each lever while they hold. "
            em { "Binds" } " names the criteria that fail one grid step below the plan. The \
             capacity curves use the first " (crate::plan::screening_reps(o.replications)) " of the replications."
        }
        @if !stds.is_empty() {
            p class="note" { "MDT wait standards: " (stds.join(", ")) "." }
        }
    }
}

/// The summary table: a row per area, with its notes.
fn summary_table(res: &PlanResults) -> Markup {
    html! {
        h2 { "Summary" }
        div class="table-wrap" { table class="figures" {
            tr {
                th { "area" } th { "status" } th { "coach FTE" } th { "MDT FTE" sup { "*" } }
                th { "cost per year" } th { "staff cost to end" } th { "grant" } th { "covered" }
                th { "P(reach)" } th { "wait p90 (d)" } th { "cost per extra start" sup { "\u{2020}" } }
                th { "limited by" } th { "binds" }
            }
            @for (i, a) in res.areas.iter().enumerate() {
                tr {
                    td { a href=(format!("#area-{i}")) { (a.name) } }
                    td class=(if a.feasible { "ok" } else { "bad" }) { (status(res, a)) }
                    td {
                        @match lever_of(a, LeverKind::CoachFte) {
                            Some(l) => { (fmt_value(l.current)) " \u{2192} " (fmt_value(l.planned)) }
                            None => { "-" }
                        }
                    }
                    td { (mdt_short(res, a)) }
                    td { (gbp_k(Some(a.cost_per_year_gbp))) }
                    td { (gbp_k(a.planned.staff_cost_gbp.mean)) }
                    td { (gbp_k(a.grant_gbp)) }
                    td {
                        @match a.grant_covers {
                            Some(true) => { span class="ok" { "yes" } }
                            Some(false) => { span class="bad" { "no" } }
                            None => { "-" }
                        }
                    }
                    td { (pct(a.planned.p_reach.map(|p| p.0))) }
                    td { (f1(a.planned.wait_p90.mean)) }
                    td { (marginal_text(a)) }
                    td { (limited_by(res, a)) }
                    td { (binding(a)) }
                }
            }
        } }
        p class="note" {
            sup { "*" } "MDT FTE in the order " (res.disciplines.join(", ").replace('_', " ")) ". "
            em { "Limited by" } " is what one more step of staffing shows binds the area at the scenario's \
             staffing (see " a href="#levers" { "What limits each area" } "). "
            sup { "\u{2020}" } "Of the last coach step up to the plan (one coach FTE), on the same \
             replications; \"no gain\" when that step adds no start. " em { "Covered" } ": whether the \
             area's grant covers its planned staff cost to the end date (\"-\" without a grant). \
             Staff costs, P(reach) (the share of replications reaching the target) and the \
             90th-percentile wait are means across replications."
        }
    }
}

/// One area's section: its levers, its criteria, the plan in a sentence and its
/// capacity curves.
fn area_html(res: &PlanResults, i: usize, a: &AreaPlan) -> Markup {
    let class = if a.feasible { "ok" } else { "bad" };
    let costs: Vec<String> = a
        .levers
        .iter()
        .filter(|l| l.cost_per_year_gbp > 0.0)
        .map(|l| format!("{}: {}", l.label, l.cost_note))
        .collect();
    html! {
        h2 id=(format!("area-{i}")) { (a.name) ": " span class=(class) { (status(res, a)) } }
        @if let Some(t) = a.target {
            p class="note" { "Target " (fmt_value(t)) " starts (" (a.target_source) ")." }
        }
        @for r in &a.reasons { p class="bad" { (r) } }
        (area_levers_table(res, a))
        (criteria_table(a))
        (area_plan_text(a))
        (curve_charts(res, a))
        p class="note" { (a.simulations) " candidate staffings simulated. Costs: " (costs.join("; ")) "." }
    }
}

/// The last step of a lever up to the plan, in words.
fn last_step(res: &PlanResults, l: &crate::plan::LeverPlan) -> String {
    let Some(m) = &l.marginal else {
        return "-".into();
    };
    format!(
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
    )
}

fn area_levers_table(res: &PlanResults, a: &AreaPlan) -> Markup {
    html! {
        div class="table-wrap" { table class="figures" {
            tr {
                th { "lever" } th { "scenario" } th { "planned" } th { "search bound" }
                th { "cost per unit per year" }
                th { "last step to the plan: extra starts (95% interval), cost per extra start" }
                th { "binds" }
            }
            @for l in &a.levers {
                tr {
                    td { (l.label) }
                    td { (fmt_value(l.current)) }
                    td { b { (fmt_value(l.planned)) } }
                    td { (fmt_value(l.max)) }
                    td title=(l.cost_note) {
                        (gbp_k(Some(l.cost_per_year_gbp))) " ("
                        (if l.cost_sourced { "sourced" } else { "assumption" }) ")"
                    }
                    td { (last_step(res, l)) }
                    td { (binds_text(&l.binds)) }
                }
            }
        } }
    }
}

fn criteria_table(a: &AreaPlan) -> Markup {
    html! {
        table class="figures" {
            tr { th { "criterion" } th { "planned" } th { "95% interval" } th { "at the search bound" } th { "met" } }
            @for c in &a.criteria {
                @let fmt = |v: Option<f64>| if c.name == "target" { pct(v) } else { f1(v) };
                tr {
                    td { (c.description) }
                    td { (fmt(c.value)) }
                    td { (c.interval.map_or("-".into(), |(lo, hi)| format!("{} to {}", fmt(Some(lo)), fmt(Some(hi))))) }
                    td { (fmt(c.best)) }
                    td class=(if c.met { "ok" } else { "bad" }) {
                        (if c.met { "yes" } else if c.feasible { "no" } else { "no (infeasible)" })
                    }
                }
            }
        }
    }
}

/// The area's plan in a sentence: starts, utilisation, cost against the grant.
fn area_plan_text(a: &AreaPlan) -> Markup {
    let p = &a.planned;
    html! {
        p {
            "Starts by the end date " (f0(p.starts.mean)) " (mean; 10th-90th percentile "
            (f0(p.starts.p10)) " to " (f0(p.starts.p90)) "); caseload utilisation "
            (pct(p.caseload_utilisation)) ", coach hours " (pct(p.hours_utilisation))
            " (means). Planned staff cost " (gbp_k(Some(a.cost_per_year_gbp)))
            " a year (scenario's staffing " (gbp_k(Some(a.current_cost_per_year_gbp))) "); "
            (gbp_k(p.staff_cost_gbp.mean))
            " to the end date as simulated (recruitment ramp and vacancies included)"
            @match (a.grant_gbp, a.grant_headroom_gbp) {
                (Some(g), Some(h)) => {
                    "; grant " (gbp_k(Some(g))) " (" (a.grant_source) "), "
                    (if h >= 0.0 { "leaving" } else { "short by" }) " " (gbp_k(Some(h.abs())))
                    " for other costs"
                }
                _ => { "; no grant given in the scenario" }
            }
            "."
        }
    }
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
