//! The model reduced to queues with known answers: Erlang C (M/M/c) and Erlang A
//! (M/M/c+M), three parameter sets each (`scenarios/validation/`). Each replication
//! gives one estimate of each figure; the theory must lie inside the 99.9%
//! confidence interval of the mean of those estimates (Student t). A companion check
//! shows the same interval rejects the theory for one caseload place fewer, so the
//! tolerance is tight enough to matter.

use workwell::model::MetricLayout;
use workwell::run::{Workspace, run_replication};
use workwell::scenario;
use workwell::stats::queueing::{MmcQueue, QueueFigures};
use workwell::stats::summary::Summary;

const LEVEL: f64 = 0.999;

struct Estimates {
    p_wait: Summary,
    p_abandon: Summary,
    mean_wait: Summary,
    mean_wait_served: Summary,
    utilisation: Summary,
}

fn simulate(file: &str) -> (Estimates, MmcQueue) {
    let sc = scenario::load(format!("scenarios/validation/{file}.toml").as_ref(), &[])
        .expect("validation scenario loads");
    let layout = MetricLayout::new(&sc.disciplines);
    let mut ws = Workspace::new();
    let mut e = Estimates {
        p_wait: Summary::new(),
        p_abandon: Summary::new(),
        mean_wait: Summary::new(),
        mean_wait_served: Summary::new(),
        utilisation: Summary::new(),
    };
    for rep in 0..u64::from(sc.replications) {
        let r = run_replication(&sc, &layout, rep, &mut ws).expect("runs");
        let q = r.queues[0];
        let n = q.resolved as f64;
        let served = (q.resolved - q.abandoned) as f64;
        e.p_wait.push(1.0 - q.immediate as f64 / n);
        e.p_abandon.push(q.abandoned as f64 / n);
        e.mean_wait.push(q.queue_time_sum / n);
        e.mean_wait_served.push(q.served_wait_sum / served);
        e.utilisation.push(q.busy_integral / q.places_integral);
    }
    // the parameters, read back from the drawn scenario
    let d = sc.draw(0, 0).unwrap().params;
    let lambda = d.referral_rate[0];
    let mu = 1.0 / d.caseload_time.mean();
    let c = d.coach.places[0];
    let theta = if d.patience.is_never() {
        0.0
    } else {
        1.0 / d.patience.mean()
    };
    (e, MmcQueue::new(lambda, mu, c, theta).unwrap())
}

fn inside(s: &Summary, truth: f64) -> bool {
    let (lo, hi) = s.mean_ci(LEVEL).expect("at least two replications");
    lo <= truth && truth <= hi
}

fn check(file: &str, erlang_a: bool) {
    let (e, q) = simulate(file);
    let f: QueueFigures = q.figures().unwrap();
    let mut fails = Vec::new();
    let mut cmp = |name: &str, s: &Summary, truth: f64| {
        let (lo, hi) = s.mean_ci(LEVEL).unwrap();
        println!(
            "{file} {name}: simulated {:.5} (99.9% CI {lo:.5} to {hi:.5}), theory {truth:.5}",
            s.mean().unwrap()
        );
        if !(lo <= truth && truth <= hi) {
            fails.push(name.to_string());
        }
    };
    cmp("P(wait)", &e.p_wait, f.p_wait);
    cmp("mean wait (all)", &e.mean_wait, f.mean_wait);
    cmp(
        "mean wait (served)",
        &e.mean_wait_served,
        f.mean_wait_served,
    );
    cmp("utilisation", &e.utilisation, f.utilisation);
    if erlang_a {
        cmp("P(abandon)", &e.p_abandon, f.p_abandon);
    } else {
        assert_eq!(e.p_abandon.max(), Some(0.0), "nobody abandons in Erlang C");
    }
    assert!(fails.is_empty(), "{file}: outside the interval: {fails:?}");

    // power: one place fewer is a different queue, and the interval must say so
    let fewer = MmcQueue::new(q.lambda, q.mu, q.servers - 1, q.theta).unwrap();
    if let Ok(g) = fewer.figures() {
        assert!(
            !inside(&e.p_wait, g.p_wait) || !inside(&e.mean_wait, g.mean_wait),
            "{file}: the interval cannot tell c from c-1"
        );
    }
}

#[test]
fn erlang_c_1_moderate_load() {
    check("erlang_c_1", false);
}

#[test]
fn erlang_c_2_few_places() {
    check("erlang_c_2", false);
}

#[test]
fn erlang_c_3_many_places_heavy_load() {
    check("erlang_c_3", false);
}

#[test]
fn erlang_a_1_overloaded() {
    check("erlang_a_1", true);
}

#[test]
fn erlang_a_2_critically_loaded() {
    check("erlang_a_2", true);
}

#[test]
fn erlang_a_3_large_overloaded() {
    check("erlang_a_3", true);
}
