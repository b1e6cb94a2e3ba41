//! Sensitivity analysis: the Fisher interval's coverage under no relation, and on the
//! baseline the parameter known to dominate (the national referral propensity).

use workwell::report::{html, sensitivity as render};
use workwell::run::{self, Aggregate, RunOptions, RunResults};
use workwell::scenario::{self, Scenario};
use workwell::sensitivity::{Collector, Sensitivity, prcc};

fn uniforms(seed: u64, n: usize) -> Vec<f64> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (0..n)
        .map(|_| {
            s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = s;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            (z >> 11) as f64 / (1u64 << 53) as f64
        })
        .collect()
}

/// With y depending on x1 only, the 95% interval of PRCC(x2) and PRCC(x3) covers
/// zero in about 95% of 400 independent samples of 60 (with the n - 2 - p degrees of
/// freedom; the binomial 99.9% range for 800 intervals is about 92.6% to 97.2%).
#[test]
fn fisher_intervals_cover_zero_at_their_level() {
    let (trials, n) = (400, 60);
    let mut covered = 0;
    for t in 0..trials {
        let x1 = uniforms(10 * t + 1, n);
        let x2 = uniforms(10 * t + 2, n);
        let x3 = uniforms(10 * t + 3, n);
        let e = uniforms(10 * t + 4, n);
        let y: Vec<f64> = x1.iter().zip(&e).map(|(a, b)| a * a + b).collect();
        let r = prcc(&[x1, x2, x3], &y);
        for k in [1, 2] {
            let (lo, hi) = r[k].ci95.unwrap();
            if lo <= 0.0 && 0.0 <= hi {
                covered += 1;
            }
        }
    }
    let share = f64::from(covered) / f64::from(2 * trials as u32);
    println!("coverage {share:.3}");
    assert!((0.926..=0.972).contains(&share), "coverage {share}");
}

/// `replications` of `sc` with their sensitivity analysis.
fn run_with_sensitivity(sc: &Scenario, replications: u32) -> (RunResults, Sensitivity) {
    let opts = RunOptions {
        replications,
        threads: None,
    };
    let mut agg = Aggregate::new(sc);
    let mut c = Collector::new(sc);
    run::run_each(sc, &opts, &|_| {}, &mut |r| {
        agg.push(r).map_err(|e| e.to_string())?;
        c.push(r);
        Ok(())
    })
    .unwrap();
    (agg.finish().unwrap(), c.finish())
}

/// On the baseline most of the spread of programme starts comes from the national
/// GP referral propensity (README): it must top the analysis, with a positive PRCC.
#[test]
fn the_baseline_spread_is_driven_by_the_referral_propensity() {
    let sc = scenario::load("scenarios/baseline.toml".as_ref(), &[]).unwrap();
    let (res, s) = run_with_sensitivity(&sc, 40);
    for r in &s.outputs[0].rows {
        println!("{:<60} {:?} {:?}", r.input.label(), r.prcc, r.ci95);
    }
    let top = s.narrows_most().expect("some parameter matters");
    assert_eq!(top.input.key, "referrals.gp_propensity");
    assert_eq!(top.input.area, None, "set nationally");
    assert!(top.prcc.unwrap() > 0.5);

    let page = html::render_extra(
        &sc,
        &res,
        html::Extras {
            sensitivity: Some(&s),
            ..html::Extras::default()
        },
    );
    let text = String::from_utf8(page.html).unwrap();
    assert!(text.contains("What drives the uncertainty"));
    assert!(text.contains("What to measure next:</b> referrals.gp_propensity (national)"));
    assert!(
        page.charts
            .iter()
            .any(|(n, _)| n == "chart-sensitivity.svg")
    );
    let csv = String::from_utf8(render::csv(&s)).unwrap();
    assert!(csv.starts_with("output,parameter,area,prcc,prcc_ci95_low,prcc_ci95_high"));
    assert_eq!(csv.lines().count(), 1 + 2 * s.outputs[0].rows.len());
}

/// On a calibrated run the propensity still drives the spread, but calibration has
/// already pinned it down as far as the figures allow: the report must not advise
/// measuring it next, and says why.
#[test]
fn a_calibrated_run_does_not_advise_measuring_what_was_calibrated() {
    let sc = scenario::load("scenarios/calibrated.toml".as_ref(), &[]).unwrap();
    let (res, s) = run_with_sensitivity(&sc, 80);
    let top = s.narrows_most().expect("some parameter matters");
    assert_eq!(top.input.key, "referrals.gp_propensity");
    let page = html::render_extra(
        &sc,
        &res,
        html::Extras {
            sensitivity: Some(&s),
            ..html::Extras::default()
        },
    );
    let text = String::from_utf8(page.html).unwrap();
    assert!(!text.contains("What to measure next:</b> referrals.gp_propensity"));
    assert!(text.contains("referrals.gp_propensity (national) drives the most uncertainty"));
    assert!(text.contains("but is already calibrated"));
}
