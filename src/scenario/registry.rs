//! The parameter registry: every key a scenario file may hold, declared once.
//!
//! A declaration ([`Param`]) gives the key path (relative to `[defaults]` or an area's
//! table for an area's keys, e.g. `coach.fte`; whole for the programme's, e.g.
//! `programme.start`), the kind of value, its domain, unit, label (plain words, as the
//! web form shows it), help text, plausible range with its source, and whether the
//! value may be a distribution, is a plan lever or may be fitted by `calibrate`.
//! A segment written `{route}`, `{status}`, `{barrier}`, `{outcome}` or
//! `{discipline}` stands for any one name of that kind, and the label names it in
//! words ([`words`]).
//!
//! The loader's domains, the plausibility warnings ([`super::plausible`]), the web
//! form's labels and units, "did you mean" for a key, and
//! `docs/reference/parameters.md` ([`reference_markdown`], checked by
//! `tests/reference.rs`) all come from [`PARAMS`].

use super::param::Domain;

/// The key of the table of defaults every MDT discipline inherits, in `[defaults]`
/// or an area's table.
pub const DISCIPLINE_DEFAULTS: &str = "mdt_defaults";

/// Where a key sits in a scenario file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// The top of the file.
    File,
    /// `[programme]`: the run.
    Programme,
    /// `[calibration]`: what `workwell calibrate` fits and how.
    Calibration,
    /// `[posterior]`: written by `workwell calibrate`.
    Posterior,
    /// `[defaults]` or an area's table `[areas."Name"]`.
    Area,
}

/// The kind of value a key holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A number or a distribution (drawn once per replication).
    Quantity,
    /// Days: a number, or a time distribution whose parameters may be distributions.
    Time,
    /// A count: a number of sessions, or a distribution of counts.
    Count,
    /// A plain number.
    Number,
    /// A whole number.
    Integer,
    /// One share of a mix whose shares sum to 1.
    Share,
    /// A list of numbers.
    Numbers,
    /// Text.
    Text,
    /// A list of texts.
    Texts,
    /// A date, YYYY-MM-DD.
    Date,
    /// A day of the year, MM-DD.
    MonthDay,
    /// A date or a number of days after the programme start, or a distribution of
    /// either.
    DateOrDays,
    /// Yes or no.
    Bool,
    /// A list of `{ date, fte }` changes of funded FTE.
    Steps,
    /// A list of rows of numbers.
    Rows,
}

impl Kind {
    /// Words for the reference.
    pub fn words(self) -> &'static str {
        match self {
            Kind::Quantity => "number or distribution",
            Kind::Time => "days, or a time distribution",
            Kind::Count => "count, or a distribution",
            Kind::Number => "number",
            Kind::Integer => "whole number",
            Kind::Share => "share of a mix",
            Kind::Numbers => "list of numbers",
            Kind::Text => "text",
            Kind::Texts => "list of texts",
            Kind::Date => "date YYYY-MM-DD",
            Kind::MonthDay => "month-day MM-DD",
            Kind::DateOrDays => "date or days, or a distribution",
            Kind::Bool => "true or false",
            Kind::Steps => "list of { date, fte }",
            Kind::Rows => "list of lists of numbers",
        }
    }
}

/// The range of values a scenario can reasonably hold. A value outside it is run as
/// asked but warned about.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Plausible {
    /// Lowest plausible value.
    pub low: f64,
    /// Highest plausible value.
    pub high: f64,
    /// Zero is also plausible: it switches the feature off (no cost recorded, no
    /// hours limit, no follow-ups) rather than being a value of the quantity.
    pub zero_is_off: bool,
    /// What the number is, with its unit (for the warning).
    pub what: &'static str,
    /// Where the range comes from.
    pub source: &'static str,
}

/// One key of a scenario file.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Param {
    /// Key path: relative to the area table for [`Section::Area`], whole otherwise;
    /// `{...}` segments stand for any name of that kind.
    pub key: &'static str,
    /// Where the key sits.
    pub section: Section,
    /// The kind of value.
    pub kind: Kind,
    /// The values allowed (numbers only).
    pub domain: Option<Domain>,
    /// Unit, in words (as the web form shows it).
    pub unit: &'static str,
    /// Label, in plain words (as the web form shows it).
    pub label: &'static str,
    /// What the value does.
    pub help: &'static str,
    /// Plausible range, with its source.
    pub plausible: Option<Plausible>,
    /// May be a distribution, drawn once per replication.
    pub uncertain: bool,
    /// A lever `workwell plan` moves.
    pub lever: bool,
    /// `workwell calibrate` may fit it (when given a distribution: its prior).
    pub calibrate: bool,
}

const fn decl(section: Section, kind: Kind, key: &'static str) -> Param {
    let drawn = matches!(
        kind,
        Kind::Quantity | Kind::Time | Kind::Count | Kind::DateOrDays
    );
    Param {
        key,
        section,
        kind,
        domain: None,
        unit: "",
        label: "",
        help: "",
        plausible: None,
        uncertain: drawn,
        lever: false,
        calibrate: drawn,
    }
}

/// An area's key.
const fn area(kind: Kind, key: &'static str) -> Param {
    decl(Section::Area, kind, key)
}

/// A key at the top of the file.
const fn file(kind: Kind, key: &'static str) -> Param {
    decl(Section::File, kind, key)
}

/// A key of `[programme]`.
const fn programme(kind: Kind, key: &'static str) -> Param {
    decl(Section::Programme, kind, key)
}

/// A key of `[calibration]`.
const fn calibration(kind: Kind, key: &'static str) -> Param {
    decl(Section::Calibration, kind, key)
}

/// A key of `[posterior]`.
const fn posterior(kind: Kind, key: &'static str) -> Param {
    decl(Section::Posterior, kind, key)
}

impl Param {
    const fn domain(mut self, d: Domain) -> Self {
        self.domain = Some(d);
        self
    }
    const fn words(mut self, label: &'static str, unit: &'static str) -> Self {
        self.label = label;
        self.unit = unit;
        self
    }
    const fn help(mut self, help: &'static str) -> Self {
        self.help = help;
        self
    }
    const fn range(
        mut self,
        low: f64,
        high: f64,
        what: &'static str,
        source: &'static str,
    ) -> Self {
        self.plausible = Some(Plausible {
            low,
            high,
            zero_is_off: false,
            what,
            source,
        });
        self
    }
    const fn zero_is_off(mut self) -> Self {
        if let Some(p) = &mut self.plausible {
            p.zero_is_off = true;
        }
        self
    }
    const fn lever(mut self) -> Self {
        self.lever = true;
        self
    }
    /// The key written for the reference: `{route}` as `<route>`.
    pub fn key_words(&self) -> String {
        self.key.replace('{', "<").replace('}', ">")
    }
}

use Domain::{Any, NonNegative, Positive, Probability};
use Kind::*;

const SHARE: &str = "share, 0 to 1";

/// Every key a scenario file may hold, in the order of the file.
pub static PARAMS: &[Param] = &[
    file(Text, "extends")
        .words("Extends", "a scenario file, relative to this one")
        .help("A base scenario this file changes: the base is read first and this file merged over it, table by table."),
    // [programme]
    programme(Text, "programme.name")
        .words("Short name", "letters, digits, hyphens, underscores or dots")
        .help("Names the default output folder and the scenario in reports."),
    programme(Text, "programme.description")
        .words("Description", "")
        .help("What the scenario is for (optional)."),
    programme(Date, "programme.start")
        .words("Start of the run", "")
        .help("Day 0: services go live, caseloads empty."),
    programme(Date, "programme.end")
        .words("End of the run", "")
        .help("The last day simulated (inclusive); at most 20 years after the start."),
    programme(Number, "programme.target_starts")
        .domain(NonNegative)
        .words("Programme target", "people starting support")
        .help("The programme's target of starts by the end date."),
    programme(Integer, "programme.seed")
        .words("Random seed", "any whole number")
        .help("Every random stream derives from it: the same seed gives the same results."),
    programme(Integer, "programme.replications")
        .words("Replications (simulated runs)", "runs")
        .help("Replications to run (at least 1); `-r` overrides it."),
    programme(Number, "programme.warmup_days")
        .domain(NonNegative)
        .words("Warm-up left out of every figure", "days")
        .help("Days at the start excluded from the statistics (above 0 only for steady-state studies; default 0)."),
    programme(Number, "programme.budget_gbp")
        .domain(Positive)
        .words("Budget over the counting window", "GBP")
        .help("Optional: the programme's budget, against which the staff cost is shown."),
    programme(MonthDay, "programme.festive_period.from")
        .words("Festive period: first day", "month-day, MM-DD")
        .help("First day of the festive period (default 12-24)."),
    programme(MonthDay, "programme.festive_period.to")
        .words("Festive period: last day", "month-day, MM-DD")
        .help("Last day of the festive period (default 01-01)."),
    programme(Texts, "programme.extra_holidays")
        .words("Local closure days beyond bank holidays", "dates YYYY-MM-DD, separated by commas")
        .help("Closure days beyond the England and Wales bank holidays, which are built in."),
    // [calibration]
    calibration(Texts, "calibration.parameters")
        .words("Parameters fitted to observed figures", "key paths, separated by commas")
        .help("The key paths `workwell calibrate` fits; each must be a distribution (its prior)."),
    calibration(Number, "calibration.exact_tolerance")
        .words("Tolerance of an exact fit", "")
        .help("How close a simulated figure must come to an observed figure given as one number."),
    calibration(Integer, "calibration.points")
        .words("Design points per area in each wave", "points")
        .help("Design points per area in each wave of the fit."),
    calibration(Integer, "calibration.replicates")
        .words("Replications at each design point", "runs")
        .help("Replications simulated at each design point."),
    calibration(Integer, "calibration.waves")
        .words("Waves of design and emulation", "waves")
        .help("Waves of design and emulation."),
    calibration(Integer, "calibration.samples")
        .words("Posterior samples kept", "samples")
        .help("Posterior samples written to `[posterior]`."),
    // [posterior]
    posterior(Text, "posterior.method")
        .words("Method", "")
        .help("How the posterior was fitted (written by `workwell calibrate`)."),
    posterior(Text, "posterior.observed")
        .words("Observed figures", "")
        .help("The observed file the posterior was fitted to."),
    posterior(Texts, "posterior.keys")
        .words("Keys", "key paths")
        .help("The key path of each column of the samples."),
    posterior(Numbers, "posterior.weights")
        .words("Weights", "")
        .help("The weight of each sample."),
    posterior(Rows, "posterior.samples")
        .words("Samples", "")
        .help("One row of values per sample; each replication takes one."),
    // an area
    area(DateOrDays, "launch")
        .domain(NonNegative)
        .words("Launch", "date YYYY-MM-DD, or days after the start")
        .help("The area's launch day: referrals and staff start then and their ramps run from it (default: the programme start).")
        .range(0.0, 3653.0, "days from the programme start to the area's launch", "definition: inside a run of at most ten years"),
    area(Number, "fit_notes_2023")
        .domain(NonNegative)
        .words("Fit notes issued in 2023", "fit notes")
        .help("The area's fit notes in 2023, which drive GP referrals (required unless `referrals.constant_rate_per_day` is given).")
        .range(10_000.0, 2_000_000.0, "fit notes issued in one area in 2023", "England issued almost 11 million in 2023 [press release]; the 42 ICBs from about 91,000 to 744,000 (Greater Manchester) [data/geography/fit_notes_by_icb.csv]; an area of 2 million would issue almost a fifth of England's, one of 10,000 a tenth of the smallest ICB's")
        .lever(),
    area(Number, "target_starts")
        .domain(NonNegative)
        .words("Target", "people starting support")
        .help("The area's target of starts by the end date.")
        .range(100.0, 50_000.0, "starts an area is to reach by the end date", "published pilot targets from 1,500 to 8,131 [local]; the roll-out's 250,000 split by fit notes gives areas up to about 17,000 [docs/national_rollout_2026.md]; the range is about a tenth of the smallest to three times the largest"),
    area(Text, "target_source")
        .words("Source of the target", "")
        .help("Where the target comes from."),
    area(Number, "grant_gbp")
        .domain(NonNegative)
        .words("Grant", "GBP")
        .help("The area's grant.")
        .range(100_000.0, 60_000_000.0, "GBP of an area's grant", "published pilot grants from 2 to 7 million [local]; the roll-out's 259 million split by fit notes gives areas up to about 17.5 million [docs/national_rollout_2026.md]; the range is a twentieth of the smallest to three times the largest"),
    area(Text, "grant_source")
        .words("Source of the grant", "")
        .help("Where the grant comes from."),
    // referrals
    area(Quantity, "referrals.constant_rate_per_day")
        .domain(NonNegative)
        .words("Constant referral rate (instead of fit notes)", "referrals a day")
        .help("A constant Poisson rate of referrals instead of fit notes (the queueing reductions); the fit-note referral keys are then not used.")
        .range(0.0, 2000.0, "referrals a day in one area", "assumption: about 50 times the busiest pilot area's baseline rate")
        .lever(),
    area(Quantity, "referrals.gp_propensity")
        .domain(Probability)
        .words("GP referrals per fit note", "referrals per fit note")
        .help("GP referrals per fit note once referral routes are established.")
        .range(0.0005, 0.05, "GP referrals per fit note", "the targets imply about 0.005 (59,000 starts from 4 million fit notes a year over 18 months) [prospectus; press release]; Fit for Work's pilots reached about 40% of what was expected [docs/MODEL.md section 2]; the range is a tenth to ten times that level"),
    area(Quantity, "referrals.area_multiplier")
        .domain(NonNegative)
        .words("Area's referral level", "times the programme's")
        .help("The area's multiplier on the GP referral propensity (default 1): its own key, so an area can vary around a programme-level propensity it inherits.")
        .range(0.25, 4.0, "an area's multiplier on the GP referral propensity", "assumption: published pilot areas issue from 0.14 to 0.30 fit notes per registered adult (about a factor of two either way of the middle) [data/geography/README.md]; a factor of four either way"),
    area(Quantity, "referrals.between_area_sd")
        .domain(NonNegative)
        .words("How much areas' referral levels differ", "standard deviation, log scale")
        .help("Spread between areas of the log GP referral propensity: one programme-level value, set in `[defaults]` (default 0).")
        .range(0.0, 1.0, "spread between areas of the log GP referral propensity", "assumption: 1 would put one area in twenty at more than 7 times or under a seventh of the typical area; GP practices' expected referral rates to Fit for Work ranged from 11% to 72% of eligible patients, and areas average over many practices [docs/sources.md: Hillage et al. 2014]"),
    area(Quantity, "referrals.area_effect")
        .domain(Any)
        .words("Area's own referral effect", "standard deviations from the typical area")
        .help("The area's standardised deviation from the programme's propensity, which is multiplied by `exp(between_area_sd x area_effect)`; set in the area's own table, else drawn Normal(0, 1) for the area.")
        .range(-3.0, 3.0, "an area's standardised deviation from the programme's GP referral propensity", "definition: a standard normal deviate; beyond 3 is rarer than one area in 300"),
    area(Quantity, "referrals.ramp_months")
        .domain(NonNegative)
        .words("Time for referral routes to build up", "months")
        .help("Months for the propensity to ramp linearly from its share at launch to full.")
        .range(0.0, 24.0, "months for referral routes to build", "assumption: one area had 60 referrals in its first five weeks [docs/MODEL.md section 2]; two years is the whole pilot"),
    area(Quantity, "referrals.ramp_start_fraction")
        .domain(Probability)
        .words("Referral level at launch", "share of the established level, 0 to 1")
        .help("The propensity at launch as a share of the established one.")
        .range(0.0, 1.0, "share of the established propensity at launch", "definition"),
    area(Quantity, "referrals.annual_growth")
        .domain(Any)
        .words("Growth of fit notes", "share a year (0.03 is 3%)")
        .help("Yearly growth of fit note volumes, compounding from mid-2023.")
        .range(-0.1, 0.15, "yearly growth of fit note volumes", "assumption: 11 million fit notes in 2023 and rising [press release]"),
    area(Numbers, "referrals.seasonal_index")
        .domain(NonNegative)
        .words("Monthly pattern of fit notes, January to December", "12 factors averaging 1, separated by commas")
        .help("Twelve monthly factors of fit note issue, January first, averaging 1."),
    area(Quantity, "referrals.non_working_day_factor")
        .domain(NonNegative)
        .words("Referrals on weekends and bank holidays", "times a working day's")
        .help("Referral rate on weekends and bank holidays relative to a working day.")
        .range(0.0, 1.0, "referral rate on non-working days relative to a working day", "assumption: GP surgeries and most services are closed at weekends"),
    area(Quantity, "referrals.festive_factor")
        .domain(NonNegative)
        .words("Referrals over the festive period", "times a normal day's")
        .help("Referral rate over the festive period relative to normal.")
        .range(0.0, 1.2, "referral rate over the festive period relative to normal", "a Scottish pilot saw an 18% fall in October-December [docs/MODEL.md section 3]"),
    area(Share, "referrals.source_mix.{route}")
        .domain(Probability)
        .words("Share of referrals from {route}", SHARE)
        .help("Shares of referrals by route, summing to 1; routes other than GPs are set relative to GP referrals."),
    area(Quantity, "referrals.trailblazer.gp_multiplier")
        .domain(NonNegative)
        .words("Fit note trailblazer: GP referrals", "times the level without it")
        .help("A fit note trailblazer's multiplier on GP referrals, from its start date.")
        .range(1.0, 5.0, "GP referral multiplier of a fit note trailblazer", "assumption"),
    area(Date, "referrals.trailblazer.start")
        .words("Fit note trailblazer: start", "")
        .help("The date the trailblazer starts."),
    // participants
    area(Share, "participants.status_mix.{status}")
        .domain(Probability)
        .words("Share of participants {status}", SHARE)
        .help("Shares of participants by employment status, summing to 1."),
    area(Share, "participants.barrier_mix.{barrier}")
        .domain(Probability)
        .words("Share whose main barrier is {barrier}", SHARE)
        .help("Shares of participants by main barrier to work, summing to 1."),
    // triage
    area(Time, "triage.delay_days")
        .domain(NonNegative)
        .words("Time from referral to first contact", "days")
        .help("Days of triage and first contact.")
        .range(0.0, 60.0, "days of triage and first contact", "assumption: about a working week in the baseline"),
    area(Quantity, "triage.ineligible")
        .domain(Probability)
        .words("Share of referrals not eligible", SHARE)
        .help("Share of referrals found ineligible at triage.")
        .range(0.0, 0.5, "share of referrals ineligible", "assumption [prospectus 4.8]"),
    area(Quantity, "triage.never_engage.{route}")
        .domain(Probability)
        .words("Share never engaging, referred by {route}", SHARE)
        .help("Share of eligible referrals who never engage, by route (every route is required).")
        .range(0.0, 0.8, "share of eligible referrals who never engage", "a Scottish pilot enrolled 92%, a WorkWell youth strand about half [docs/MODEL.md section 4]"),
    // waiting
    area(Time, "waiting.patience_days")
        .domain(NonNegative)
        .words("How long people wait before giving up", "days")
        .help("How long a person waits for the assessment before dropping out.")
        .range(5.0, 1000.0, "mean days a person waits before dropping out", "assumption"),
    // coach
    area(Quantity, "coach.fte")
        .domain(NonNegative)
        .words("Funded coach posts", "FTE")
        .help("Funded coach FTE.")
        .range(0.0, 150.0, "coach FTE in one area", "assumption: the largest pilot area (Greater Manchester, target 8,000) is staffed at about 42 [local]")
        .lever(),
    area(Quantity, "coach.fte_at_launch")
        .domain(Probability)
        .words("Share of coach posts filled at launch", "share of funded posts, 0 to 1")
        .help("Share of coaches in post at launch; the rest are recruited over `ramp_months`.")
        .range(0.0, 1.0, "share of coaches in post at launch", "definition"),
    area(Quantity, "coach.ramp_months")
        .domain(NonNegative)
        .words("Time to recruit all coaches", "months")
        .help("Months to recruit the coaches not in post at launch.")
        .range(0.0, 24.0, "months to recruit the coaches", "assumption"),
    area(Quantity, "coach.vacancy_rate")
        .domain(Probability)
        .words("Share of coach posts vacant", SHARE)
        .help("Share of funded coach posts vacant once recruited.")
        .range(0.0, 0.4, "share of coach posts vacant", "assumption: NHS and local-authority vacancy rates are around 10%"),
    area(Quantity, "coach.cost_per_fte_year")
        .domain(NonNegative)
        .words("Cost of one FTE of coaches", "GBP a year, with on-costs")
        .help("Salary plus on-costs per coach FTE a year (0: no cost recorded).")
        .range(20000.0, 100000.0, "GBP a year per coach FTE, with on-costs", "assumption: Agenda for Change bands 4-7 with on-costs")
        .zero_is_off(),
    area(Steps, "coach.fte_from")
        .domain(NonNegative)
        .words("Changes of funded coach posts", "dates and FTE")
        .help("Changes of funded FTE at dates, e.g. `[{ date = \"2026-10-01\", fte = 30 }]`: dates inside the run and in order. From each date, staff in post move to (1 - vacancy rate) x the new FTE: over `ramp_months` for an increase, at once for a cut.")
        .range(0.0, 150.0, "coach FTE from a date in one area (each step of `fte_from`)", "as `coach.fte`")
        .lever(),
    area(Quantity, "coach.caseload_cap_per_fte")
        .domain(NonNegative)
        .words("Largest caseload", "participants per coach FTE")
        .help("Active participants per coach FTE: places are the FTE in post times the cap, rounded down.")
        .range(5.0, 150.0, "active participants per coach FTE", "IPS fidelity: 20 or fewer; social prescribing link workers 200-250 a year [docs/MODEL.md section 3]")
        .lever(),
    area(Bool, "coach.hours_limit")
        .words("Limit bookings by coaches' contact hours", "yes or no")
        .help("Whether assessments and follow-ups need bookable coach hours."),
    area(Quantity, "coach.contact_hours_per_fte_week")
        .domain(NonNegative)
        .words("Contact hours", "hours a week per coach FTE")
        .help("Bookable contact hours per coach FTE a week (with `hours_limit`; 0: hours not limited).")
        .range(5.0, 37.5, "contact hours per coach FTE a week", "at most a 37.5-hour week")
        .zero_is_off()
        .lever(),
    area(Quantity, "coach.assessment_hours")
        .domain(Positive)
        .words("Length of a first assessment", "hours")
        .help("Hours of an initial assessment.")
        .range(0.25, 4.0, "hours of an initial assessment", "assumption"),
    area(Quantity, "coach.followup_hours")
        .domain(NonNegative)
        .words("Length of a follow-up", "hours")
        .help("Hours of a follow-up (0: no follow-ups booked).")
        .range(0.1, 3.0, "hours of a follow-up", "assumption [prospectus Annex C]")
        .zero_is_off(),
    area(Quantity, "coach.followup_interval_days")
        .domain(Positive)
        .words("Time between follow-ups", "days")
        .help("Days between follow-ups.")
        .range(3.0, 60.0, "days between follow-ups", "assumption [docs/MODEL.md section 4]"),
    // caseload
    area(Time, "caseload.time_days")
        .domain(NonNegative)
        .words("Length of a support plan", "days")
        .help("Time on the caseload until the plan completes.")
        .range(14.0, 365.0, "mean days on the caseload", "local models run 12 weeks, 20 weeks, 6 months [docs/MODEL.md section 4]"),
    area(Quantity, "caseload.disengage_prob")
        .domain(Probability)
        .words("Share of starters who disengage part-way", SHARE)
        .help("Share of starters who disengage part-way through their plan.")
        .range(0.0, 0.7, "share of starters who disengage part-way", "talking therapies: 37% of referrals complete [docs/MODEL.md section 4]"),
    // onward
    area(Quantity, "onward.prob")
        .domain(Probability)
        .words("Share of plans with an onward referral", SHARE)
        .help("Share of plans with an onward referral outside WorkWell (it adds delay only).")
        .range(0.0, 0.8, "share of plans with an onward referral", "assumption [prospectus Annex C]"),
    area(Time, "onward.delay_days")
        .domain(NonNegative)
        .words("Time the onward service takes", "days")
        .help("The delay an onward referral adds.")
        .range(0.0, 180.0, "mean days an onward referral adds", "assumption"),
    // outcomes
    area(Share, "outcomes.{status}.{outcome}")
        .domain(Probability)
        .words("Outcome for people {status}: {outcome}", SHARE)
        .help("Shares of outcomes at completion for each employment status, summing to 1."),
    // calendar
    area(Quantity, "calendar.annual_leave_fraction")
        .domain(Probability)
        .words("Staff time lost to leave, sickness and training", "share of working days, 0 to 1")
        .help("Share of staff working days lost to leave, sickness and training.")
        .range(0.0, 0.25, "share of working days lost to leave, sickness and training", "assumption: about 30 days of leave and 5% sickness"),
    area(Quantity, "calendar.festive_capacity_factor")
        .domain(NonNegative)
        .words("Staff capacity over the festive period", "times a normal day's")
        .help("Staff capacity over the festive period relative to normal.")
        .range(0.0, 1.0, "staff capacity over the festive period relative to normal", "definition"),
    // an MDT discipline (also the fields of `mdt_defaults`, but for `fte`, `fte_from`
    // and `need`)
    area(Quantity, "mdt.{discipline}.fte")
        .domain(NonNegative)
        .words("Funded posts", "FTE")
        .help("Funded FTE of the discipline (0: not offered).")
        .range(0.0, 50.0, "FTE of an MDT discipline in one area", "assumption")
        .lever(),
    area(Quantity, "mdt.{discipline}.fte_at_launch")
        .domain(Probability)
        .words("Share of posts filled at launch", "share of funded posts, 0 to 1")
        .help("Share of the discipline's staff in post at launch.")
        .range(0.0, 1.0, "share of MDT staff in post at launch", "definition"),
    area(Quantity, "mdt.{discipline}.ramp_months")
        .domain(NonNegative)
        .words("Time to recruit all staff", "months")
        .help("Months to recruit the staff not in post at launch.")
        .range(0.0, 24.0, "months to recruit MDT staff", "assumption"),
    area(Quantity, "mdt.{discipline}.vacancy_rate")
        .domain(Probability)
        .words("Share of posts vacant", SHARE)
        .help("Share of funded posts vacant once recruited.")
        .range(0.0, 0.4, "share of MDT posts vacant", "assumption"),
    area(Quantity, "mdt.{discipline}.cost_per_fte_year")
        .domain(NonNegative)
        .words("Cost of one FTE of staff", "GBP a year, with on-costs")
        .help("Salary plus on-costs per FTE a year (0: no cost recorded).")
        .range(20000.0, 120000.0, "GBP a year per MDT FTE, with on-costs", "assumption: Agenda for Change bands 5-8a with on-costs")
        .zero_is_off(),
    area(Steps, "mdt.{discipline}.fte_from")
        .domain(NonNegative)
        .words("Changes of funded posts", "dates and FTE")
        .help("Changes of the discipline's funded FTE at dates, as `coach.fte_from`.")
        .range(0.0, 50.0, "FTE of an MDT discipline from a date in one area (each step of `fte_from`)", "as `mdt.*.fte`")
        .lever(),
    area(Quantity, "mdt.{discipline}.sessions_per_fte_week")
        .domain(NonNegative)
        .words("Sessions", "sessions a week per FTE")
        .help("Sessions per FTE a week.")
        .range(5.0, 40.0, "sessions per MDT FTE a week", "assumption: 30-60 minute sessions in a 37.5-hour week"),
    area(Count, "mdt.{discipline}.sessions")
        .domain(NonNegative)
        .words("Sessions in a course", "sessions")
        .help("Sessions in a course: a count, or a count distribution of at most 100 sessions (more is an error).")
        .range(1.0, 20.0, "sessions in an MDT course", "press release user journey: four physiotherapy sessions; Wales in-work service up to six [prospectus Annex D]"),
    area(Quantity, "mdt.{discipline}.spacing_days")
        .domain(Positive)
        .words("Time between sessions", "days")
        .help("Days between sessions of a course.")
        .range(1.0, 42.0, "days between MDT sessions", "assumption: weekly or fortnightly"),
    area(Quantity, "mdt.{discipline}.dna_rate")
        .domain(Probability)
        .words("Share of sessions missed (did not attend)", SHARE)
        .help("Share of sessions missed (a fixed rate of 0.95 or more is an error: courses would almost never finish).")
        .range(0.0, 0.3, "share of MDT sessions missed", "talking therapies: about 9% [docs/MODEL.md section 3]"),
    area(Quantity, "mdt.{discipline}.referral_delay_days")
        .domain(NonNegative)
        .words("Time to refer within the team", "days")
        .help("Days from the assessment to joining the discipline's list.")
        .range(0.0, 60.0, "days from the assessment to joining an MDT list", "assumption"),
    area(Number, "mdt.{discipline}.need.{barrier}")
        .domain(Probability)
        .words("Need for a course: main barrier {barrier}", "probability, 0 to 1")
        .help("Probability that a participant with this main barrier needs a course (or a table by employment status)."),
    area(Number, "mdt.{discipline}.need.{barrier}.{status}")
        .domain(Probability)
        .words("Need for a course: main barrier {barrier}, {status}", "probability, 0 to 1")
        .help("Probability that a participant with this main barrier and status needs a course."),
];

/// The names a `{...}` segment stands for, in the model's order (`None` for
/// disciplines, which a scenario names itself).
pub fn names_of(placeholder: &str) -> Option<&'static [&'static str]> {
    use crate::model::{BARRIERS, OUTCOMES, ROUTES, STATUSES};
    match placeholder {
        "{route}" => Some(&ROUTES),
        "{status}" => Some(&STATUSES),
        "{barrier}" => Some(&BARRIERS),
        "{outcome}" => Some(&OUTCOMES),
        _ => None,
    }
}

/// A name of the kind `placeholder` (`{route}`, ...) in words, as labels use it.
pub fn words(placeholder: &str, k: &str) -> String {
    let plain = || k.replace('_', " ");
    match (placeholder, k) {
        ("{route}", "gp") => "GPs".into(),
        ("{route}", "self") => "self-referral".into(),
        ("{route}", "jcp") => "Jobcentre Plus".into(),
        ("{route}", "employer") => "employers".into(),
        ("{route}", "vcs") => "the voluntary and community sector".into(),
        ("{route}", "local_authority") => "local authorities".into(),
        ("{route}", "other_health") => "other health services".into(),
        ("{status}", "in_work") => "in work".into(),
        ("{status}", "off_sick") => "off sick".into(),
        ("{status}", "out_of_work") => "out of work".into(),
        ("{barrier}", "mental_health") => "mental health".into(),
        ("{barrier}", "msk") => "musculoskeletal".into(),
        ("{outcome}", "stayed_in_work") => "stayed in work".into(),
        ("{outcome}", "returned_to_work") => "returned to work".into(),
        ("{outcome}", "barriers_reduced") => "barriers to work reduced".into(),
        ("{outcome}", "no_change") => "no change".into(),
        ("{discipline}", "physio") => "physiotherapists".into(),
        ("{discipline}", "counsellor") => "counsellors".into(),
        ("{discipline}", "occupational_therapy") => "occupational therapists".into(),
        ("{discipline}", "employment_advisor") => "employment advisers".into(),
        ("{discipline}", "mdt_defaults") => "every discipline".into(),
        _ => plain(),
    }
}

fn is_placeholder(seg: &str) -> bool {
    seg.starts_with('{') && seg.ends_with('}')
}

/// The segments of a key path, unquoted (`mdt."a b".fte` is `mdt`, `a b`, `fte`).
fn segments(key: &str) -> Vec<String> {
    super::key::split_key(key).unwrap_or_else(|_| key.split('.').map(str::to_string).collect())
}

/// The declaration whose key matches the segments `segs` (a key relative to the area
/// for an area's keys, whole for the programme's; `mdt_defaults.x` matches the
/// disciplines' `mdt.{discipline}.x`), with the names its `{...}` segments stand for.
pub fn find_segments<S: AsRef<str>>(
    segs: &[S],
) -> Option<(&'static Param, Vec<(&'static str, String)>)> {
    let owned: Vec<&str>;
    let segs: Vec<&str> = segs.iter().map(AsRef::as_ref).collect();
    let segs = if segs.first() == Some(&DISCIPLINE_DEFAULTS) {
        owned = ["mdt", DISCIPLINE_DEFAULTS]
            .into_iter()
            .chain(segs[1..].iter().copied())
            .collect();
        &owned
    } else {
        &segs
    };
    PARAMS.iter().find_map(|p| {
        let pat: Vec<&'static str> = p.key.split('.').collect();
        if pat.len() != segs.len() {
            return None;
        }
        let mut named = Vec::new();
        for (a, b) in pat.iter().zip(segs.iter()) {
            if is_placeholder(a) {
                named.push((*a, b.to_string()));
            } else if a != b {
                return None;
            }
        }
        Some((p, named))
    })
}

/// The declaration of the key `key` (relative to the area for an area's keys,
/// whole for the programme's), e.g. `mdt.physio.dna_rate` or `programme.seed`.
pub fn find(key: &str) -> Option<&'static Param> {
    find_segments(&segments(key)).map(|(p, _)| p)
}

/// The declaration of a drawn parameter's key (`P::key`): its own, or for a part of
/// a time distribution (`caseload.time_days.mean`) the distribution's.
pub fn find_drawn(key: &str) -> Option<&'static Param> {
    find(key).or_else(|| key.rsplit_once('.').and_then(|(parent, _)| find(parent)))
}

/// The label of the key with segments `segs`, its `{...}` names in words.
pub fn label<S: AsRef<str>>(segs: &[S]) -> Option<(String, &'static str)> {
    let (p, named) = find_segments(segs)?;
    let mut label = p.label.to_string();
    for (ph, name) in named {
        label = label.replace(ph, &words(ph, &name));
    }
    Some((label, p.unit))
}

/// The full keys a user may write, for "did you mean": the programme's and
/// calibration's whole, an area's under `defaults.` (with `{...}` segments filled
/// with the names the model knows; disciplines as `<discipline>`).
pub fn known_keys() -> Vec<String> {
    let mut out = Vec::new();
    for p in PARAMS {
        let base = match p.section {
            Section::Area => format!("defaults.{}", p.key),
            _ => p.key.to_string(),
        };
        let mut keys = vec![String::new()];
        for (i, seg) in base.split('.').enumerate() {
            let choices: Vec<String> = match names_of(seg) {
                Some(names) => names.iter().map(|s| s.to_string()).collect(),
                None if is_placeholder(seg) => vec![seg.replace('{', "<").replace('}', ">")],
                None => vec![seg.to_string()],
            };
            keys = keys
                .iter()
                .flat_map(|k| {
                    choices.iter().map(move |c| {
                        if i == 0 {
                            c.clone()
                        } else {
                            format!("{k}.{c}")
                        }
                    })
                })
                .collect();
        }
        out.extend(keys);
    }
    out
}

/// Whether `pattern` (a declared key) matches `segs`: whole (`whole`), or as a table
/// above it (`segs` a proper prefix of the pattern).
fn pattern_matches(pattern: &str, segs: &[&str], whole: bool) -> bool {
    let pat: Vec<&str> = pattern.split('.').collect();
    let len_ok = if whole {
        pat.len() == segs.len()
    } else {
        pat.len() > segs.len()
    };
    len_ok
        && segs
            .iter()
            .zip(&pat)
            .all(|(s, p)| is_placeholder(p) || p == s)
}

/// Whether the key at `segs` (relative to the area for `section` [`Section::Area`],
/// whole otherwise) is one a scenario may hold: a declared key, a table of declared
/// keys, or a part of a declared parameter's distribution table (`...fte.max`).
fn holds(section: Section, segs: &[&str]) -> bool {
    if segs.is_empty() {
        return true;
    }
    let segs: Vec<&str> = if segs[0] == DISCIPLINE_DEFAULTS {
        ["mdt", DISCIPLINE_DEFAULTS]
            .into_iter()
            .chain(segs[1..].iter().copied())
            .collect()
    } else {
        segs.to_vec()
    };
    PARAMS.iter().filter(|p| p.section == section).any(|p| {
        pattern_matches(p.key, &segs, true)
            || pattern_matches(p.key, &segs, false)
            || ((p.uncertain || p.kind == Kind::DateOrDays)
                && (1..segs.len()).any(|n| pattern_matches(p.key, &segs[..n], true)))
    })
}

/// Checks a full key path as `--set` names it (its segments unquoted): an error
/// naming the closest key the registry declares when it names none.
pub fn check_full_key(segs: &[String]) -> Result<(), String> {
    let s: Vec<&str> = segs.iter().map(String::as_str).collect();
    let (section, rel, prefix): (Section, &[&str], String) = match s[..] {
        [] => return Ok(()),
        ["defaults", ..] => (Section::Area, &s[1..], "defaults".to_string()),
        ["areas"] => return Ok(()),
        ["areas", area, ..] => (Section::Area, &s[2..], super::key::join_key("areas", area)),
        ["programme", ..] => (Section::Programme, &s[..], String::new()),
        ["calibration", ..] => (Section::Calibration, &s[..], String::new()),
        ["posterior", ..] => (Section::Posterior, &s[..], String::new()),
        _ => (Section::File, &s[..], String::new()),
    };
    if holds(section, rel) {
        return Ok(());
    }
    let key = segs
        .iter()
        .fold(String::new(), |k, seg| super::key::join_key(&k, seg));
    // candidates written as the user wrote the start of the key
    let discipline = match rel {
        ["mdt", d, ..] => Some(super::key::key_segment(d)),
        _ => None,
    };
    let candidates: Vec<String> = known_keys()
        .into_iter()
        .filter_map(|k| match section {
            Section::Area => k.strip_prefix("defaults.").map(|r| {
                let r = match &discipline {
                    Some(d) => r.replace("<discipline>", d),
                    None => r.to_string(),
                };
                format!("{prefix}.{r}")
            }),
            _ => (!k.starts_with("defaults.")).then_some(k),
        })
        .collect();
    let hint = super::error::did_you_mean(&key, candidates.iter().map(String::as_str));
    Err(format!(
        "unknown key: a scenario has no `{key}` (docs/reference/parameters.md lists every key){hint}"
    ))
}

fn doc_number(x: f64) -> String {
    if x.fract() != 0.0 || x.abs() < 1000.0 {
        return x.to_string();
    }
    let digits = format!("{}", x.abs() as u64);
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if x < 0.0 { format!("-{out}") } else { out }
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|")
}

/// `docs/reference/parameters.md`: every key of a scenario file with its kind,
/// domain, unit and meaning, then the plausible ranges with their sources.
pub fn reference_markdown() -> String {
    let mut s = String::new();
    s.push_str(REFERENCE_HEAD);
    let sections = [
        (Section::File, "## The top of the file\n\n"),
        (Section::Programme, "## `[programme]`\n\n"),
        (Section::Calibration, "## `[calibration]`\n\n"),
        (
            Section::Area,
            "## `[defaults]` and `[areas.\"Name\"]`\n\nKeys relative to `[defaults]` (every area inherits them) or an area's own table. `<route>` is one of `gp, self, employer, jcp, vcs, local_authority, other_health`; `<status>` one of `in_work, off_sick, out_of_work`; `<barrier>` one of `mental_health, msk, other`; `<outcome>` one of `stayed_in_work, returned_to_work, barriers_reduced, no_change`; `<discipline>` any name the scenario gives an MDT discipline. `[mdt_defaults]` holds the fields every discipline takes when it does not give them itself (never `fte`, `fte_from` or `need`). Uncertain: the value may be a distribution, drawn once per replication (in `[defaults]` once for all areas that inherit it, in an area's table for that area alone); every uncertain parameter may be fitted by `workwell calibrate`. Lever: `workwell plan` moves it.\n\n",
        ),
        (
            Section::Posterior,
            "## `[posterior]`\n\nWritten by `workwell calibrate`; not typed by hand.\n\n",
        ),
    ];
    for (section, head) in sections {
        s.push_str(head);
        s.push_str("| key | kind | values | unit | label | meaning | uncertain | lever |\n");
        s.push_str("|---|---|---|---|---|---|---|---|\n");
        for p in PARAMS.iter().filter(|p| p.section == section) {
            s.push_str(&format!(
                "| `{}` | {} | {} | {} | {} | {} | {} | {} |\n",
                p.key_words(),
                p.kind.words(),
                p.domain.map_or("", Domain::describe),
                cell(p.unit),
                cell(p.label),
                cell(p.help),
                if p.uncertain { "yes" } else { "" },
                if p.lever { "yes" } else { "" },
            ));
        }
        s.push('\n');
    }
    s.push_str(PLAUSIBLE_HEAD);
    s.push_str("| key | plausible range | 0 = off | what | source |\n");
    s.push_str("|---|---|---|---|---|\n");
    for p in PARAMS {
        let Some(r) = &p.plausible else { continue };
        s.push_str(&format!(
            "| `{}` | {} to {} | {} | {} | {} |\n",
            p.key_words(),
            doc_number(r.low),
            doc_number(r.high),
            if r.zero_is_off { "yes" } else { "" },
            cell(r.what),
            cell(r.source),
        ));
    }
    s.push_str(SOURCES);
    s
}

const REFERENCE_HEAD: &str = "# Scenario parameters\n\n\
<!-- Generated from src/scenario/registry.rs by `UPDATE_REFERENCE=1 cargo test --test reference`; do not edit. -->\n\n\
Every key a scenario file may hold, declared once in `src/scenario/registry.rs`: the\n\
loader's checks, the plausibility warnings, the web form's labels and units and this page\n\
all come from that one table. How to write a scenario is in\n\
[the scenario guide](../guide/scenarios.md).\n\n";

const PLAUSIBLE_HEAD: &str = "## Plausible ranges\n\n\
Every numeric parameter of a scenario, and every count of an area (its fit notes,\n\
target, grant and each step of `fte_from`), has a range of values a WorkWell scenario can\n\
reasonably hold. A value outside it is run as asked, but `workwell validate`, `run`,\n\
`compare`, `plan`, `sweep` and `calibrate` list every such value together on stderr as\n\
warnings, each with the file and line (or `--set`) where it was set:\n\n\
```text\n\
warning: 1 value of scenario `baseline` outside its plausible range (docs/reference/parameters.md#plausible-ranges); check it:\n\
warning: --set: key `defaults.referrals.gp_propensity`: 0.45 is outside the plausible range 0.0005 to 0.05 for GP referrals per fit note, 9.0 times the highest (...)\n\
```\n\n\
A value that is impossible rather than implausible (a negative FTE, a probability\n\
above 1, shares that do not sum to 1, an MDT course of more than 100 sessions) is an\n\
error, with exit status 2, not a warning.\n\n\
How values are checked: a fixed number as it is; a distribution at its central value\n\
(its mean); a time distribution at its mean (its spread and shape are not checked).\n\
Where \"0 = off\" is marked, zero is also accepted: it switches the\n\
feature off (no cost recorded, hours not limited, no follow-ups). With\n\
`referrals.constant_rate_per_day` set (the queueing reductions), the fit-note referral\n\
parameters are not used and not checked. The queueing reductions in\n\
`scenarios/validation/` deliberately use short times on the caseload (5-10 days) and\n\
are warned about; the WorkWell scenarios in `scenarios/` give no warning (a test checks).\n\n";

const SOURCES: &str = r#"
### The sources, in brief

These are the facts the ranges rest on, taken from the project's conceptual model (which
cites the literature) and the programme documents named in `scenarios/baseline.toml`:

- **Prospectus** (WorkWell Prospectus, DWP/DHSC, 30 November 2023) and **press release**
  (DWP, 7 May 2024): around 59,000 participants by 31 March 2026; 4,032,621 fit notes in
  2023 across the 15 pilot areas, of about 11 million in England. With a referral-to-start
  conversion of about 0.6 and GP referrals 28% of all, the targets imply about 0.005 GP
  referrals per fit note.
- **Fit notes by area**: the 42 ICBs issued from about 91,000 to 744,000 each in 2023
  (`data/geography/fit_notes_by_icb.csv`: the 15 pilot areas as published, the rest of the
  11 million apportioned by registered population).
- **Targets and grants**: published pilot targets run from 1,500 to 8,131 starts and grants
  from GBP 2 million to 7 million (local announcements); the roll-out's 250,000 people and
  GBP 259 million, split by fit notes, give areas up to about 17,000 starts and GBP 17.5
  million.
- **Fit for Work** (2015-18): the national service received a small fraction of the GP
  referrals forecast, and its pilots about 40% of what was expected.
- **Referral ramp**: one area reported 60 referrals in its first five weeks.
- **Caseloads**: Individual Placement and Support scores full fidelity at 20 or fewer
  active clients per worker; social prescribing link workers carry 200-250 people a year
  at 6-12 contacts each.
- **Did-not-attend**: talking therapies report about 9%.
- **Festive dip**: a Scottish health and work pilot saw referrals fall 18% in
  October-December.
- **Engagement**: self-referrals are 3.5 times as likely to attend assessment as GP
  referrals in talking therapies; one WorkWell area's youth strand converted about half
  its referrals; a Scottish pilot enrolled 92%.
- **Time on caseload**: local models run 12 weeks, 20 weeks or 6 months.
- **Completion**: in talking therapies only 37% of referrals complete.
- **MDT courses**: the press release's user journey has four physiotherapy sessions; the
  Wales in-work service offers up to six.

Everything else is marked "assumption": a judgement of what a work and health service
could plausibly do, wide enough to hold every scenario considered so far and narrow
enough to catch a slipped decimal point or a percentage typed as a whole number.
"#;
