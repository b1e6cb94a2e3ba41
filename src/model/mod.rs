//! The WorkWell pathway for one area: referrals, triage, the wait for an initial
//! assessment, the coach caseload with follow-ups, MDT courses, onward referrals,
//! completion or disengagement.
//!
//! The model takes plain parameter values ([`AreaParams`], already drawn for one
//! replication) and a set of named random streams ([`Streams`]); it returns raw
//! per-month accumulators ([`AreaRun`]). It does no I/O.

pub mod dist;
pub mod inputs;
pub mod metrics;
pub mod params;
pub mod sim;

pub use dist::TimeDist;
pub use inputs::{AreaInputs, DisciplineInputs, MonthDays, ReferralInputs, StaffInputs};
pub use metrics::{AreaRun, Metric, MetricLayout, PeriodRaw, QueueStats};
pub use params::{AreaParams, CoachParams, DisciplineParams, FteProfile};
pub use sim::{AreaSimulator, Referral, Streams, Tape};

pub use crate::rng::Rng;

/// Referral routes into WorkWell.
pub const ROUTES: [&str; 7] = [
    "gp",
    "self",
    "employer",
    "jcp",
    "vcs",
    "local_authority",
    "other_health",
];
/// Number of referral routes.
pub const N_ROUTES: usize = ROUTES.len();
/// Index of the GP / primary care route in [`ROUTES`].
pub const ROUTE_GP: usize = 0;

/// Employment status at referral.
pub const STATUSES: [&str; 3] = ["in_work", "off_sick", "out_of_work"];
/// Number of employment statuses.
pub const N_STATUS: usize = STATUSES.len();

/// Main barrier to work.
pub const BARRIERS: [&str; 3] = ["mental_health", "msk", "other"];
/// Number of barrier groups.
pub const N_BARRIER: usize = BARRIERS.len();

/// Outcomes recorded at completion (assumptions: no official outcome data yet).
pub const OUTCOMES: [&str; 4] = [
    "stayed_in_work",
    "returned_to_work",
    "barriers_reduced",
    "no_change",
];
/// Number of outcome categories.
pub const N_OUTCOMES: usize = OUTCOMES.len();

/// Most MDT disciplines an area may define.
pub const MAX_DISCIPLINES: usize = 12;
