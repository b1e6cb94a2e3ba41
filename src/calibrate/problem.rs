//! What is calibrated against what: the programme-level parameters, each area's own
//! block of parameters (its referral effect, its launch date, anything it sets for
//! itself), the observations, and, per area, the outputs its simulation must give
//! (its own figures, and its part of every programme figure).
//!
//! The parameter vector `theta` is laid out as the programme-level values first, then
//! each area's block. An area's referral effect is written centred when the area has
//! figures of its own (its log effective propensity `eta`, a priori
//! `Normal(ln p, sigma^2)`), so that the data pin it directly, and non-centred
//! otherwise (the standard normal `z`, its log propensity `ln p + sigma z`), so that it
//! follows the programme's values; the posterior is written out in the scenario's
//! terms (`z`) either way.

use crate::model::MetricLayout;
use crate::model::metrics::Aggregation;
use crate::observed::{Observation, Observed};
use crate::scenario::param::{self, Domain, Value};
use crate::scenario::posterior::{Scope, find, parse_key};
use crate::scenario::registry;
use crate::scenario::source::join_key;
use crate::scenario::{Override, ParamId, Scenario, ScenarioError};

/// The key of the GP referral propensity, relative to an area.
pub const PROPENSITY: &str = "referrals.gp_propensity";
/// The key of the spread between areas.
pub const SPREAD: &str = "referrals.between_area_sd";
/// The key of an area's own effect.
pub const EFFECT: &str = "referrals.area_effect";

/// What a programme-level parameter is to the hierarchy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The programme's (typical area's) GP referral propensity.
    Propensity,
    /// The spread between areas of the log propensity.
    Spread,
    /// Any other parameter every area inheriting it shares.
    Plain,
}

/// A calibrated parameter with its prior.
#[derive(Debug, Clone)]
pub struct Param {
    /// The `--set` key path.
    pub key: String,
    /// The key relative to an area table.
    pub rel: String,
    /// Its prior (the scenario's distribution).
    pub prior: Value,
    /// The values it may take.
    pub domain: Domain,
    /// The parameter.
    pub id: ParamId,
    /// Its role (own parameters of an area are `Plain`).
    pub role: Role,
}

impl Param {
    /// Log prior density (up to a constant); minus infinity outside the support.
    pub fn log_prior(&self, x: f64) -> f64 {
        let d = param::density(&self.prior, x);
        if d > 0.0 { d.ln() } else { f64::NEG_INFINITY }
    }
}

/// How an area's referral effect enters the parameter vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// No dimension: the area's effect is its fixed value.
    None,
    /// The area's log effective propensity (areas with figures of their own).
    Centred,
    /// The area's standard normal effect (areas without).
    NonCentred,
}

/// How an output of an area's simulation grows with its referrals, for the
/// emulator's referral feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Not a count of people (a wait, a utilisation).
    No,
    /// A count in the output's month.
    Month,
    /// A running total from the start of the results window.
    Cumulative,
}

/// One output of an area's simulation: the value of a metric in a month.
#[derive(Debug, Clone)]
pub struct Output {
    /// The target it is for (its own figure, or the programme figure it adds to).
    pub target: usize,
    /// Metric index.
    pub metric: usize,
    /// Month index.
    pub month: usize,
    /// How it grows with referrals.
    pub flow: Flow,
    /// For a running total of a scenario with a warm-up, observed after it: the month
    /// whose value is subtracted (the last before the warm-up ends), since the
    /// calibration's runs have no warm-up and count from launch.
    pub since: Option<usize>,
}

impl Output {
    /// The output's value in a run's metrics (`(n_months + 1) x n_metrics`).
    pub fn value(&self, metrics: &[f64], n_metrics: usize) -> f64 {
        let v = metrics[self.month * n_metrics + self.metric];
        match self.since {
            Some(s) => v - metrics[s * n_metrics + self.metric],
            None => v,
        }
    }
}

/// One area's part of the problem.
#[derive(Debug, Clone)]
pub struct Block {
    /// The area's index in the scenario.
    pub area: usize,
    /// Its name.
    pub name: String,
    /// Index in `theta` of its first dimension.
    pub offset: usize,
    /// Its referral effect's dimension.
    pub effect: Effect,
    /// Its effect when it has no dimension (the scenario's central value).
    pub fixed_effect: f64,
    /// Its own calibrated parameters (after the effect, in `theta`).
    pub own: Vec<Param>,
    /// The programme-level `Plain` parameters it inherits (indices into `globals`):
    /// inputs of its simulation.
    pub globals: Vec<usize>,
    /// Whether its propensity is the programme's calibrated one (then its log
    /// propensity is its first simulation input).
    pub propensity: bool,
    /// Index among the simulation inputs of its launch day, when that is calibrated.
    pub launch_input: Option<usize>,
    /// Its outputs: its own figures first, then its part of each programme figure.
    pub outputs: Vec<Output>,
    /// How many of the outputs are its own figures.
    pub n_own: usize,
}

impl Block {
    /// Dimensions of `theta` it holds.
    pub fn len(&self) -> usize {
        usize::from(self.effect != Effect::None) + self.own.len()
    }
    /// True when it holds no dimension.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Inputs of its simulation (the emulator's inputs).
    pub fn n_inputs(&self) -> usize {
        usize::from(self.propensity) + self.globals.len() + self.own.len()
    }
}

/// An observation as the likelihood reads it.
#[derive(Debug, Clone)]
pub struct Target {
    /// The observation.
    pub obs: Observation,
    /// Lower end of the interval.
    pub low: f64,
    /// Upper end (infinite for "at least").
    pub high: f64,
    /// The interval's middle (the value the Gaussian approximation centres on).
    pub mid: f64,
    /// The interval read as measurement error: the variance of a uniform over it.
    pub var: f64,
}

impl Target {
    /// True for an "at least" figure.
    pub fn lower_only(&self) -> bool {
        !self.high.is_finite()
    }
    /// How far `x` lies outside the interval, relative to its scale (0 inside).
    pub fn distance(&self, x: f64) -> f64 {
        if !x.is_finite() {
            return f64::INFINITY;
        }
        let scale = self
            .low
            .abs()
            .max(if self.high.is_finite() {
                self.high.abs()
            } else {
                0.0
            })
            .max(1.0);
        ((self.low - x).max(x - self.high).max(0.0)) / scale
    }
}

/// A column of the posterior as written out.
#[derive(Debug, Clone)]
pub struct Column {
    /// The `--set` key path (or, for a derived column, its label).
    pub key: String,
    /// True for a parameter of the scenario (a `[posterior]` column); false for a
    /// derived figure (an area's effective propensity) written to `posterior.csv`.
    pub parameter: bool,
    /// The area it belongs to, if any.
    pub area: Option<usize>,
}

/// Where the spread between areas comes from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Spread {
    /// A dimension of `theta`.
    Dim(usize),
    /// The scenario's fixed value.
    Fixed(f64),
}

/// What is calibrated against what.
#[derive(Debug, Clone)]
pub struct Problem {
    /// The scenario as given.
    pub scenario: Scenario,
    /// The scenario without any posterior it carried: calibration starts again from
    /// the priors.
    pub base: Scenario,
    /// The base scenario ending at the last observed month, without any warm-up (what
    /// each design point runs: figures observed during a warm-up, such as the pilots'
    /// in the roll-out, count too).
    pub short: Scenario,
    /// Metric layout of the run.
    pub layout: MetricLayout,
    /// The programme-level calibrated parameters (`theta[..globals.len()]`).
    pub globals: Vec<Param>,
    /// The programme's propensity among the globals, when calibrated.
    pub propensity: Option<usize>,
    /// The spread between areas.
    pub spread: Spread,
    /// One block per area with a dimension or an output.
    pub blocks: Vec<Block>,
    /// The observations.
    pub targets: Vec<Target>,
    /// The programme figures, in the order of every block's programme outputs.
    pub programme: Vec<usize>,
    /// Length of `theta`.
    pub dim: usize,
}

fn scenario_error(sc: &Scenario, m: impl Into<String>) -> ScenarioError {
    sc.merged.error("calibration.parameters", m)
}

impl Problem {
    /// Sets up the calibration of `sc` against `observed`.
    pub fn new(sc: &Scenario, observed: &Observed) -> Result<Self, ScenarioError> {
        let mut base = sc.clone();
        base.posterior = None;
        let wanted = wanted(&base)?;
        let layout = MetricLayout::new(&base.disciplines);
        let (globals, own_keys) = split_wanted(&base, &wanted);
        let propensity = globals.iter().position(|g| g.role == Role::Propensity);
        let spread = spread_of(&base, &globals, propensity)?;
        let targets = targets_of(&base, observed);
        let warm = warm_up(&base, &targets, observed)?;
        let programme = programme_targets(&layout, &targets, observed)?;
        let outputs = Outputs {
            layout: &layout,
            targets: &targets,
            programme: &programme,
            warm,
        };
        let mut blocks = Vec::new();
        let mut offset = globals.len();
        for a in 0..base.areas.len() {
            let ctx = BlockInputs {
                globals: &globals,
                own_keys: &own_keys,
                propensity: propensity.is_some(),
            };
            let block = block_of(&base, a, offset, &ctx, &outputs, observed)?;
            if block.is_empty() && block.outputs.is_empty() {
                continue;
            }
            offset += block.len();
            blocks.push(block);
        }
        if offset == 0 {
            return Err(scenario_error(
                &base,
                "nothing to calibrate: no parameter is given as a distribution",
            ));
        }
        let last = targets.iter().map(|t| t.obs.month).max().unwrap_or(0);
        let short = short_scenario(&base, last)?;
        Ok(Self {
            scenario: sc.clone(),
            base,
            short,
            layout,
            globals,
            propensity,
            spread,
            blocks,
            targets,
            programme,
            dim: offset,
        })
    }

    /// The spread between areas in `theta`.
    pub fn sigma(&self, theta: &[f64]) -> f64 {
        match self.spread {
            Spread::Dim(i) => theta[i],
            Spread::Fixed(v) => v,
        }
    }

    /// The log of the programme's propensity in `theta` (0 when not calibrated).
    pub fn log_propensity(&self, theta: &[f64]) -> f64 {
        self.propensity.map_or(0.0, |i| theta[i].max(1e-300).ln())
    }

    /// Block `b`'s log propensity in `theta` (its effective propensity before any
    /// multiplier the area states itself).
    pub fn block_log_propensity(&self, theta: &[f64], b: &Block) -> f64 {
        let lp = self.log_propensity(theta);
        match b.effect {
            Effect::Centred => theta[b.offset],
            Effect::NonCentred => lp + self.sigma(theta) * theta[b.offset],
            Effect::None => lp + self.sigma(theta) * b.fixed_effect,
        }
    }

    /// Block `b`'s simulation inputs in `theta`: its log propensity (when calibrated),
    /// the programme-level parameters it inherits, its own parameters.
    pub fn inputs(&self, theta: &[f64], b: &Block) -> Vec<f64> {
        let mut x = Vec::with_capacity(b.n_inputs());
        if b.propensity {
            x.push(self.block_log_propensity(theta, b));
        }
        x.extend(b.globals.iter().map(|&g| theta[g]));
        let first = b.offset + usize::from(b.effect != Effect::None);
        x.extend_from_slice(&theta[first..first + b.own.len()]);
        x
    }

    /// The typed values block `b`'s simulation uses for inputs `x`.
    pub fn overrides(&self, b: &Block, x: &[f64]) -> Vec<Override> {
        let spec = &self.base.areas[b.area];
        let mut out = Vec::with_capacity(x.len() + 1);
        let mut i = 0;
        if b.propensity {
            out.push(Override {
                param: spec.gp_propensity.id,
                value: x[0].exp().min(1.0),
            });
            // the effect is in the propensity given: the area's own factor is 1
            out.push(Override {
                param: spec.area_effect.id,
                value: 0.0,
            });
            i = 1;
        }
        for &g in &b.globals {
            let p = &self.globals[g];
            out.push(Override {
                param: p.id,
                value: clamp_to(p.domain, x[i]),
            });
            i += 1;
        }
        for p in &b.own {
            out.push(Override {
                param: p.id,
                value: clamp_to(p.domain, x[i]),
            });
            i += 1;
        }
        out
    }

    /// The programme-level part of the log prior density.
    pub fn log_prior_globals(&self, theta: &[f64]) -> f64 {
        self.globals
            .iter()
            .zip(theta)
            .map(|(p, x)| p.log_prior(*x))
            .sum()
    }

    /// Block `b`'s part of the log prior density (its effect's depends on the
    /// programme's propensity and spread).
    pub fn log_prior_block(&self, theta: &[f64], b: &Block) -> f64 {
        let mut lp = match b.effect {
            Effect::None => 0.0,
            Effect::NonCentred => -0.5 * theta[b.offset].powi(2),
            Effect::Centred => {
                let s = self.sigma(theta);
                if s.is_nan() || s <= 0.0 {
                    return f64::NEG_INFINITY;
                }
                let z = (theta[b.offset] - self.log_propensity(theta)) / s;
                -0.5 * z * z - s.ln()
            }
        };
        let first = b.offset + usize::from(b.effect != Effect::None);
        for (k, p) in b.own.iter().enumerate() {
            lp += p.log_prior(theta[first + k]);
        }
        lp
    }

    /// The whole log prior density.
    pub fn log_prior(&self, theta: &[f64]) -> f64 {
        self.log_prior_globals(theta)
            + self
                .blocks
                .iter()
                .map(|b| self.log_prior_block(theta, b))
                .sum::<f64>()
    }

    /// One draw of `theta` from the prior.
    pub fn sample_prior(&self, rng: &mut crate::rng::Rng) -> Vec<f64> {
        let mut theta = vec![0.0; self.dim];
        for (g, p) in self.globals.iter().enumerate() {
            theta[g] = param::sample(&p.prior, rng);
        }
        for b in &self.blocks {
            let first = b.offset + usize::from(b.effect != Effect::None);
            if b.effect != Effect::None {
                let z: f64 = rand_distr::Distribution::sample(&rand_distr::StandardNormal, rng);
                theta[b.offset] = match b.effect {
                    Effect::Centred => self.log_propensity(&theta) + self.sigma(&theta) * z,
                    _ => z,
                };
            }
            for (k, p) in b.own.iter().enumerate() {
                theta[first + k] = param::sample(&p.prior, rng);
            }
        }
        theta
    }

    /// The columns of the posterior: the `[posterior]` columns (the programme-level
    /// parameters, then each area's effect and own parameters), then each area's
    /// effective propensity (derived).
    pub fn columns(&self) -> Vec<Column> {
        let mut cols: Vec<Column> = self
            .globals
            .iter()
            .map(|g| Column {
                key: g.key.clone(),
                parameter: true,
                area: None,
            })
            .collect();
        for b in &self.blocks {
            let area_key = join_key("areas", &b.name);
            if b.effect != Effect::None {
                cols.push(Column {
                    key: format!("{area_key}.{EFFECT}"),
                    parameter: true,
                    area: Some(b.area),
                });
            }
            cols.extend(b.own.iter().map(|p| Column {
                key: p.key.clone(),
                parameter: true,
                area: Some(b.area),
            }));
        }
        for b in self.blocks.iter().filter(|b| b.propensity) {
            cols.push(Column {
                key: format!("effective_gp_propensity:{}", b.name),
                parameter: false,
                area: Some(b.area),
            });
        }
        cols
    }

    /// The values of [`columns`](Self::columns) for `theta`.
    pub fn column_values(&self, theta: &[f64]) -> Vec<f64> {
        let mut v: Vec<f64> = self
            .globals
            .iter()
            .zip(theta)
            .map(|(g, x)| clamp_to(g.domain, *x))
            .collect();
        let lp = self.log_propensity(theta);
        let s = self.sigma(theta);
        for b in &self.blocks {
            match b.effect {
                Effect::None => {}
                Effect::NonCentred => v.push(theta[b.offset]),
                Effect::Centred => v.push(if s > 0.0 {
                    (theta[b.offset] - lp) / s
                } else {
                    0.0
                }),
            }
            let first = b.offset + usize::from(b.effect != Effect::None);
            for (k, p) in b.own.iter().enumerate() {
                v.push(clamp_to(p.domain, theta[first + k]));
            }
        }
        for b in self.blocks.iter().filter(|b| b.propensity) {
            let multiplier = self.base.areas[b.area].area_multiplier.central();
            v.push(self.block_log_propensity(theta, b).exp() * multiplier);
        }
        v
    }

    /// The block of area `a`, if it has one.
    pub fn block_of(&self, a: usize) -> Option<&Block> {
        self.blocks.iter().find(|b| b.area == a)
    }
}

/// The programme-level calibrated parameters, and the (area, key) of each area's own.
fn split_wanted(base: &Scenario, wanted: &[(Scope, String)]) -> (Vec<Param>, Vec<(usize, String)>) {
    let mut globals: Vec<Param> = Vec::new();
    let mut own_keys: Vec<(usize, String)> = Vec::new();
    for (scope, rel) in wanted {
        match scope {
            Scope::Programme => {
                let p = base
                    .areas
                    .iter()
                    .find_map(|a| find(a, rel).filter(|p| p.shared))
                    .expect("wanted() checked the parameter");
                let role = match rel.as_str() {
                    PROPENSITY => Role::Propensity,
                    SPREAD => Role::Spread,
                    _ => Role::Plain,
                };
                globals.push(Param {
                    key: format!("defaults.{rel}"),
                    rel: rel.clone(),
                    prior: p.value.clone(),
                    domain: p.domain,
                    id: p.id,
                    role,
                });
            }
            Scope::Area(a) => own_keys.push((*a, rel.clone())),
        }
    }
    (globals, own_keys)
}

/// Where the spread between areas comes from: a calibrated dimension (only with the
/// propensity) or the scenario's value.
fn spread_of(
    base: &Scenario,
    globals: &[Param],
    propensity: Option<usize>,
) -> Result<Spread, ScenarioError> {
    match globals.iter().position(|g| g.role == Role::Spread) {
        Some(_) if propensity.is_none() => Err(scenario_error(
            base,
            format!(
                "`{SPREAD}` is calibrated only with `{PROPENSITY}`: add it to the calibrated parameters"
            ),
        )),
        Some(i) => Ok(Spread::Dim(i)),
        None => Ok(Spread::Fixed(
            base.areas
                .first()
                .map_or(0.0, |a| a.between_area_sd.central()),
        )),
    }
}

/// The observations as the likelihood reads them: an exact figure gets the scenario's
/// relative tolerance, an interval is read as uniform measurement error.
fn targets_of(base: &Scenario, observed: &Observed) -> Vec<Target> {
    let tol = base.calibration.exact_tolerance;
    observed
        .rows
        .iter()
        .map(|o| {
            let (low, high) = match o.high {
                Some(h) if h <= o.low => (o.low * (1.0 - tol), o.low * (1.0 + tol)),
                Some(h) => (o.low, h),
                None => (o.low, f64::INFINITY),
            };
            let (mid, var) = if high.is_finite() {
                ((low + high) / 2.0, (high - low).powi(2) / 12.0)
            } else {
                (low, 0.0)
            };
            Target {
                obs: o.clone(),
                low,
                high,
                mid,
                var,
            }
        })
        .collect()
}

/// A warm-up's first recorded month, which must start on the 1st when a figure lies
/// after it (the calibration's runs count from launch: a running total after the
/// warm-up is its difference from the month before).
fn warm_up(
    base: &Scenario,
    targets: &[Target],
    observed: &Observed,
) -> Result<Option<usize>, ScenarioError> {
    let warm = base.warmup_days;
    if warm <= 0.0 {
        return Ok(None);
    }
    let day = (warm.ceil() as usize).min(base.calendar.n_days() - 1);
    let m = base.calendar.month_index(day);
    let starts_month = day == 0 || base.calendar.month_index(day - 1) != m;
    if let Some(t) = targets
        .iter()
        .find(|t| t.obs.month >= m && (!starts_month || warm.fract() != 0.0))
    {
        return Err(ScenarioError::new(
            &observed.file,
            Some(t.obs.line),
            "period_end",
            format!(
                "the scenario's warm-up ({warm} days) ends inside a month, so a month's figures after it cannot be compared with a run counted from launch; end the warm-up on the first day of a month"
            ),
        ));
    }
    Ok(Some(m))
}

/// The programme's figures, each a sum of the areas' (a ratio or a quantile is not).
fn programme_targets(
    layout: &MetricLayout,
    targets: &[Target],
    observed: &Observed,
) -> Result<Vec<usize>, ScenarioError> {
    let programme: Vec<usize> = (0..targets.len())
        .filter(|&t| targets[t].obs.area.is_none())
        .collect();
    for &t in &programme {
        let m = &layout.metrics()[targets[t].obs.metric];
        if matches!(m.aggregation, Aggregation::Ratio | Aggregation::Quantile) {
            return Err(ScenarioError::new(
                &observed.file,
                Some(targets[t].obs.line),
                "metric",
                format!(
                    "a programme figure of `{}` cannot be calibrated: it is not a sum of the areas' figures, so the areas cannot be fitted one by one; give the areas' own figures instead",
                    m.name
                ),
            ));
        }
    }
    Ok(programme)
}

/// What a block's outputs are made from.
struct Outputs<'a> {
    layout: &'a MetricLayout,
    targets: &'a [Target],
    programme: &'a [usize],
    warm: Option<usize>,
}

impl Outputs<'_> {
    fn flow(&self, metric: usize) -> Flow {
        match self.layout.metrics()[metric].aggregation {
            Aggregation::Sum => Flow::Month,
            Aggregation::Cumulative => Flow::Cumulative,
            _ => Flow::No,
        }
    }

    /// The output for target `t`.
    fn output(&self, t: usize) -> Output {
        let o = &self.targets[t].obs;
        let flow = self.flow(o.metric);
        Output {
            target: t,
            metric: o.metric,
            month: o.month,
            flow,
            since: match self.warm {
                Some(m) if m > 0 && o.month >= m && flow == Flow::Cumulative => Some(m - 1),
                _ => None,
            },
        }
    }
}

/// What the blocks share: the programme-level parameters and the areas' own keys.
struct BlockInputs<'a> {
    globals: &'a [Param],
    own_keys: &'a [(usize, String)],
    propensity: bool,
}

/// Area `a`'s block, its dimensions from `offset`.
fn block_of(
    base: &Scenario,
    a: usize,
    offset: usize,
    ctx: &BlockInputs<'_>,
    outputs: &Outputs<'_>,
    observed: &Observed,
) -> Result<Block, ScenarioError> {
    let spec = &base.areas[a];
    let own_rows: Vec<usize> = (0..outputs.targets.len())
        .filter(|&t| outputs.targets[t].obs.area == Some(a))
        .collect();
    let inherits = |rel: &str| find(spec, rel).is_some_and(|p| p.shared && p.is_uncertain());
    let prop = ctx.propensity && inherits(PROPENSITY);
    let effect_param = &spec.area_effect;
    let effect = match (
        prop && effect_param.is_uncertain() && !effect_param.shared,
        own_rows.is_empty(),
    ) {
        (false, _) => Effect::None,
        (true, true) => Effect::NonCentred,
        (true, false) => Effect::Centred,
    };
    let own: Vec<Param> = ctx
        .own_keys
        .iter()
        .filter(|(x, _)| *x == a)
        .map(|(_, rel)| {
            let p = find(spec, rel).expect("wanted() checked the parameter");
            Param {
                key: format!("{}.{rel}", join_key("areas", &spec.name)),
                rel: rel.clone(),
                prior: p.value.clone(),
                domain: p.domain,
                id: p.id,
                role: Role::Plain,
            }
        })
        .collect();
    let globals: Vec<usize> = (0..ctx.globals.len())
        .filter(|&g| ctx.globals[g].role == Role::Plain && inherits(&ctx.globals[g].rel))
        .collect();
    let launch_input = own
        .iter()
        .position(|p| p.rel == "launch")
        .map(|k| usize::from(prop) + globals.len() + k);
    let mut block_outputs: Vec<Output> = own_rows.iter().map(|&t| outputs.output(t)).collect();
    let n_own = block_outputs.len();
    block_outputs.extend(outputs.programme.iter().map(|&t| outputs.output(t)));
    let block = Block {
        area: a,
        name: spec.name.clone(),
        offset,
        effect,
        fixed_effect: effect_param.central(),
        own,
        globals,
        propensity: prop,
        launch_input,
        outputs: block_outputs,
        n_own,
    };
    if n_own > 0 && block.is_empty() && !block.propensity && block.globals.is_empty() {
        return Err(ScenarioError::new(
            &observed.file,
            Some(outputs.targets[own_rows[0]].obs.line),
            "area",
            format!(
                "the area `{}` has figures of its own but nothing calibrated acts on it: give it an uncertain parameter to fit (for example `{}` in [defaults.referrals] with `{PROPENSITY}` calibrated, or its own `launch` as a distribution)",
                spec.name, SPREAD
            ),
        ));
    }
    Ok(block)
}

/// The base scenario ending at the last observed month, without any warm-up.
fn short_scenario(base: &Scenario, last: usize) -> Result<Scenario, ScenarioError> {
    let end = base.calendar.month(last);
    let mut sets = Vec::new();
    if base.calendar.month(base.calendar.n_months() - 1) != end {
        sets.push(format!(
            "programme.end={:04}-{:02}-{:02}",
            end.year,
            end.month,
            end.days()
        ));
    }
    if base.warmup_days > 0.0 {
        sets.push("programme.warmup_days=0".to_string());
    }
    if sets.is_empty() {
        Ok(base.clone())
    } else {
        base.with_sets(&sets)
    }
}

/// The parameters to calibrate, by scope and key relative to the area: those
/// `[calibration] parameters` names (every uncertain one when it names none), with the
/// spread between areas added whenever the GP referral propensity is calibrated and
/// the spread is uncertain.
fn wanted(sc: &Scenario) -> Result<Vec<(Scope, String)>, ScenarioError> {
    let spec = &sc.calibration;
    let mut wanted: Vec<(Scope, String)> = Vec::new();
    let add = |scope: Scope, rel: String, wanted: &mut Vec<(Scope, String)>| {
        if !wanted.contains(&(scope, rel.clone())) {
            wanted.push((scope, rel));
        }
    };
    let scope_of = |a: usize, shared: bool| {
        if shared {
            Scope::Programme
        } else {
            Scope::Area(a)
        }
    };
    if spec.parameters.is_empty() {
        for (a, area) in sc.areas.iter().enumerate() {
            for p in area.params() {
                // an area's effect is part of the propensity's hierarchy, added below;
                // the registry says which parameters calibration may fit
                let fits = registry::find_drawn(&p.key).is_some_and(|r| r.calibrate);
                if p.is_uncertain() && fits && &*p.key != EFFECT {
                    add(scope_of(a, p.shared), p.key.to_string(), &mut wanted);
                }
            }
        }
    } else {
        for k in &spec.parameters {
            if k.starts_with("defaults.") || k.starts_with("areas.") {
                let (scope, rel) = parse_key(k, &sc.areas).map_err(|m| scenario_error(sc, m))?;
                add(scope, rel, &mut wanted);
                continue;
            }
            let mut any = false;
            for (a, area) in sc.areas.iter().enumerate() {
                let Some(p) = find(area, k) else { continue };
                any = true;
                add(scope_of(a, p.shared), k.clone(), &mut wanted);
            }
            if !any {
                return Err(scenario_error(
                    sc,
                    format!("`{k}` is not a parameter of this scenario"),
                ));
            }
        }
    }
    wanted.retain(|(_, rel)| rel != EFFECT);
    let propensity_wanted = wanted.contains(&(Scope::Programme, PROPENSITY.to_string()));
    let spread_uncertain = sc
        .areas
        .iter()
        .any(|a| a.between_area_sd.is_uncertain() && a.between_area_sd.shared);
    if propensity_wanted && spread_uncertain {
        add(Scope::Programme, SPREAD.to_string(), &mut wanted);
    }
    for (scope, rel) in &wanted {
        let p = match scope {
            Scope::Programme => sc
                .areas
                .iter()
                .find_map(|a| find(a, rel).filter(|p| p.shared)),
            Scope::Area(a) => find(&sc.areas[*a], rel),
        };
        let key = match scope {
            Scope::Programme => format!("defaults.{rel}"),
            Scope::Area(a) => format!("{}.{rel}", join_key("areas", &sc.areas[*a].name)),
        };
        let Some(p) = p else {
            return Err(scenario_error(
                sc,
                format!("`{key}` is not a parameter of this scenario"),
            ));
        };
        if !p.is_uncertain() {
            return Err(scenario_error(
                sc,
                format!(
                    "`{key}` is a fixed value ({}); give it a distribution (its prior) to calibrate it",
                    p.text
                ),
            ));
        }
    }
    Ok(wanted)
}

/// A value moved into a domain.
pub fn clamp_to(domain: Domain, v: f64) -> f64 {
    let (lo, hi) = domain.bounds();
    let v = v.clamp(lo, hi);
    if domain == Domain::Positive && v <= 0.0 {
        f64::MIN_POSITIVE
    } else {
        v
    }
}

/// Weighted quantile of `values` (weights need not be normalised).
pub fn weighted_quantile(values: &[f64], weights: &[f64], q: f64) -> f64 {
    let mut pairs: Vec<(f64, f64)> = values
        .iter()
        .zip(weights)
        .filter(|(v, w)| v.is_finite() && **w > 0.0)
        .map(|(v, w)| (*v, *w))
        .collect();
    if pairs.is_empty() {
        return f64::NAN;
    }
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total: f64 = pairs.iter().map(|p| p.1).sum();
    let want = q * total;
    let mut acc = 0.0;
    for (v, w) in &pairs {
        acc += w;
        if acc >= want - 1e-12 * total {
            return *v;
        }
    }
    pairs.last().map_or(f64::NAN, |p| p.0)
}

/// Weighted mean and standard deviation.
pub fn weighted_mean_sd(values: &[f64], weights: &[f64]) -> (f64, f64) {
    let total: f64 = weights.iter().sum();
    if total <= 0.0 {
        return (f64::NAN, f64::NAN);
    }
    let mean = values.iter().zip(weights).map(|(v, w)| v * w).sum::<f64>() / total;
    let var = values
        .iter()
        .zip(weights)
        .map(|(v, w)| w * (v - mean).powi(2))
        .sum::<f64>()
        / total;
    (mean, var.sqrt())
}
