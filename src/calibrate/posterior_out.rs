//! The posterior as written out: the `[posterior]` table of a calibrated scenario,
//! `posterior.csv`, and the calibrated scenario's text.

use super::{Fit, METHOD, Problem};
use crate::observed::Observed;

/// The `[posterior]` table of a calibrated scenario: keys, weights and samples (the
/// parameter columns; derived ones are in `posterior.csv` only).
pub fn posterior_toml(problem: &Problem, fit: &Fit, observed: &str) -> String {
    let cols = problem.columns();
    let params: Vec<usize> = (0..cols.len()).filter(|&c| cols[c].parameter).collect();
    let mut s = String::new();
    s.push_str("[posterior]\n");
    s.push_str(&format!("method = {}\n", toml_str(METHOD)));
    s.push_str(&format!("observed = {}\n", toml_str(observed)));
    let keys: Vec<String> = params.iter().map(|&c| toml_str(&cols[c].key)).collect();
    s.push_str(&format!("keys = [{}]\n", keys.join(", ")));
    let w = 1.0 / fit.samples.len().max(1) as f64;
    let ws: Vec<String> = fit.samples.iter().map(|_| format!("{w:?}")).collect();
    s.push_str(&format!("weights = [{}]\n", ws.join(", ")));
    s.push_str("samples = [\n");
    for t in &fit.samples {
        let values = problem.column_values(t);
        let v: Vec<String> = params.iter().map(|&c| format!("{:?}", values[c])).collect();
        s.push_str(&format!("  [{}],\n", v.join(", ")));
    }
    s.push_str("]\n");
    s
}

/// `posterior.csv`: one row per posterior sample; one column per calibrated parameter
/// named by its `--set` key path, then each area's effective GP referral propensity
/// (`effective_gp_propensity:<area>`: the programme's propensity times the area's
/// factor and any multiplier it states), then `weight`.
pub fn posterior_csv(problem: &Problem, fit: &Fit) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = problem.columns().into_iter().map(|c| c.key).collect();
    header.push("weight".into());
    w.write_record(&header).expect("writing to memory");
    let wt = 1.0 / fit.samples.len().max(1) as f64;
    for t in &fit.samples {
        let mut row: Vec<String> = problem
            .column_values(t)
            .iter()
            .map(|x| format!("{x:?}"))
            .collect();
        row.push(format!("{wt:?}"));
        w.write_record(&row).expect("writing to memory");
    }
    w.into_inner().expect("writing to memory")
}

fn toml_str(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// The calibrated scenario as TOML: the scenario as given, resolved (every file of
/// its `extends` chain merged, every `--set` applied, sources kept as comments), named
/// `<name>-calibrated`, with the posterior sample its replications draw from and a
/// header recording the observed file, the method, the seed and the diagnostics.
pub fn calibrated_toml(problem: &Problem, fit: &Fit, observed: &Observed, seed: u64) -> String {
    let sc = &problem.scenario;
    let mut merged = sc.merged.clone();
    merged.table.remove("posterior");
    let name = format!("{}-calibrated", sc.name.trim_end_matches("-calibrated"));
    if let Some(toml::Value::Table(p)) = merged.table.get_mut("programme") {
        p.insert("name".into(), toml::Value::String(name.clone()));
        p.insert(
            "description".into(),
            toml::Value::String(format!(
                "{} calibrated to the observed figures in {}",
                sc.name,
                observed.file.display()
            )),
        );
    }
    let files: Vec<String> = sc.files.iter().map(|f| f.display().to_string()).collect();
    let mut header = format!(
        "Calibrated scenario `{name}`, written by `workwell calibrate`.\n\
         Base: {} (resolved: every file of its extends chain merged and every --set applied).\n\
         Observed figures: {} ({} row{}):\n",
        files.join(" <- "),
        observed.file.display(),
        observed.rows.len(),
        if observed.rows.len() == 1 { "" } else { "s" }
    );
    for o in &observed.rows {
        header.push_str(&format!(
            "  line {}: {} [{}]\n",
            o.line,
            o.describe(),
            o.source
        ));
    }
    let checks: Vec<String> = fit
        .waves
        .iter()
        .skip(1)
        .map(|w| format!("{:.1}%", 100.0 * w.within3))
        .collect();
    header.push_str(&format!(
        "Method: {METHOD}.\n\
         Seed {seed}; {} waves of {} design points per area x {} replications; {} simulations of one area; \
         emulators checked on the next wave's simulations: {} within 3 standard deviations; \
         {} posterior samples, largest split R-hat {:.3}.\n\
         Calibrated parameters (posterior columns): {}.\n\
         Replication i draws posterior sample j by weight from its own stream (seed, i), so the\n\
         calibrated parameters keep their joint distribution; every other parameter is drawn as\n\
         in the base scenario (an area without a column draws its own effect, with the sample's\n\
         spread between areas). To refresh when new management information is published, add the\n\
         figures to the observed file and run `workwell calibrate` on the base scenario again.",
        fit.waves.len(),
        fit.points,
        fit.replicates,
        fit.simulations,
        if checks.is_empty() { "n/a".to_string() } else { checks.join(", ") },
        fit.samples.len(),
        fit.rhat(),
        problem
            .columns()
            .iter()
            .filter(|c| c.parameter)
            .map(|c| c.key.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    ));
    let mut text = crate::scenario::source::render_resolved(&merged, &header);
    text.push('\n');
    text.push_str(
        "# The posterior: a weighted joint sample of the calibrated parameters (columns named by\n",
    );
    text.push_str("# their --set key paths; `defaults.*` is the programme-level value every area inheriting\n");
    text.push_str("# it uses, `areas.\"<name>\".*` one area's own value).\n");
    text.push_str(&posterior_toml(
        problem,
        fit,
        &observed.file.display().to_string(),
    ));
    text
}
