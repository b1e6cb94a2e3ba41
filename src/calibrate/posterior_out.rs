//! The posterior as written out: the `[posterior]` table of a calibrated scenario,
//! `posterior.csv`, and the calibrated scenario's text.

use super::{Fit, METHOD, Problem};
use crate::observed::Observed;

/// The `[posterior]` table of a calibrated scenario: keys, weights and samples.
pub fn posterior_toml(problem: &Problem, fit: &Fit, observed: &str) -> String {
    let mut s = String::new();
    s.push_str("[posterior]\n");
    s.push_str(&format!("method = {}\n", toml_str(METHOD)));
    s.push_str(&format!("observed = {}\n", toml_str(observed)));
    let keys: Vec<String> = problem.columns.iter().map(|c| toml_str(&c.key)).collect();
    s.push_str(&format!("keys = [{}]\n", keys.join(", ")));
    let w: Vec<String> = fit.weights.iter().map(|w| format!("{w:?}")).collect();
    s.push_str(&format!("weights = [{}]\n", w.join(", ")));
    s.push_str("samples = [\n");
    for t in &fit.particles {
        let v: Vec<String> = problem
            .column_values(t)
            .iter()
            .map(|x| format!("{x:?}"))
            .collect();
        s.push_str(&format!("  [{}],\n", v.join(", ")));
    }
    s.push_str("]\n");
    s
}

/// `posterior.csv`: one row per sample, one column per calibrated parameter named by
/// its `--set` key path, plus `weight`.
pub fn posterior_csv(problem: &Problem, fit: &Fit) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = problem.columns.iter().map(|c| c.key.clone()).collect();
    header.push("weight".into());
    w.write_record(&header).expect("writing to memory");
    for (t, wt) in fit.particles.iter().zip(&fit.weights) {
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
    let last = fit.generations.last();
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
    header.push_str(&format!(
        "Method: {METHOD}.\n\
         Seed {seed}; {} particles x {} replicates; {} generations; {} simulations; final tolerance {}; \
         final effective sample size {:.0}; last acceptance rate {}.\n\
         Calibrated parameters (posterior columns): {}.\n\
         Replication i draws posterior sample j by weight from its own stream (seed, i), so the\n\
         calibrated parameters keep their joint distribution; every other parameter is drawn as\n\
         in the base scenario. To refresh when new management information is published, add the\n\
         figures to the observed file and run `workwell calibrate` on the base scenario again.",
        fit.particles.len(),
        fit.distances.first().map_or(0, Vec::len),
        fit.generations.len(),
        fit.simulations,
        crate::scenario::param::fmt_num(fit.epsilon),
        fit.ess(),
        last.map_or("n/a".to_string(), |g| if g.acceptance.is_nan() {
            "n/a".into()
        } else {
            format!("{:.1}%", 100.0 * g.acceptance)
        }),
        problem
            .columns
            .iter()
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
