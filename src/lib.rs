//! # workwell
//!
//! A parallel discrete-event simulation of the WorkWell work-and-health pilots in
//! England: referral flows driven by each area's fit note volumes, triage, the wait
//! for an initial assessment with a Work and Health Coach (which needs a caseload
//! place and a bookable slot in the coaches' contact hours), time on the caseload with
//! follow-ups, courses of multidisciplinary-team (MDT) sessions, onward referrals,
//! completion or disengagement. It projects starts against the 59,000 target with
//! uncertainty from two sources: chance (replications) and not knowing the
//! parameters (distributions drawn once per replication).
//!
//! The crate's layers, each using only those before it (`tests/layers.rs` checks):
//!
//! - [`rng`]: named random streams; [`engine`]: clock, totally ordered event
//!   queue, calendar, no WorkWell knowledge; [`stats`]: streaming summaries,
//!   histograms, Erlang C / Erlang A. Leaves.
//! - [`display`]: numbers, shares, months and dates as text, for every renderer;
//!   [`model`]: the pathway of one area for one replication, from plain parameters.
//! - [`scenario`]: scenario files to a validated [`scenario::Scenario`].
//! - [`run`]: replications in parallel, aggregation, shards, sweeps; [`observed`]:
//!   observed figures (management information) read from CSV, checked against the
//!   scenario and matched to the simulated metric each refers to.
//! - [`geography`]: which NHS footprint each area belongs to, and starts summed by
//!   footprint per replication; [`calibrate`]: fitting parameters to observed
//!   figures; [`sensitivity`]: which uncertain inputs drive the projection (partial
//!   rank correlation coefficients); [`plan`]: capacity planning, the least-cost
//!   staffing meeting each area's target and wait standards, levers tested by
//!   experiment, budget allocation, the binding constraint.
//! - `report` (feature `app`): pure renderers from results to bytes (JSON, CSV,
//!   HTML with SVG charts), and the one writer of files.
//! - `cli` (feature `app`): the subcommands, from their arguments to their output
//!   folders, for the binary and the web front end alike.
//! - `serve` (feature `serve`): the web front end (`workwell serve`): routes,
//!   pages and a job queue running the subcommands.
//! - [`error`]: the kind of every error type (bad input or a failure of the
//!   system), which decides the exit status.
//!
//! Without default features only the simulation core is built (every layer up to
//! [`plan`], and [`error`]), without the renderers' and the web front end's
//! dependencies.
//!
//! ```no_run
//! use workwell::{run, scenario};
//! let sc = scenario::load("scenarios/baseline.toml".as_ref(), &[]).unwrap();
//! let opts = run::RunOptions { replications: 20, threads: None };
//! let results = run::run(&sc, &opts, &|_| {}).unwrap();
//! let starts = results.total(0, "starts").unwrap();
//! println!("mean starts {:.0}", starts.mean().unwrap());
//! ```
#![warn(missing_docs)]

pub mod calibrate;
#[cfg(feature = "app")]
pub mod cli;
pub mod display;
pub mod engine;
pub mod error;
pub mod geography;
pub mod model;
pub mod observed;
pub mod plan;
#[cfg(feature = "app")]
pub mod report;
pub mod rng;
pub mod run;
pub mod scenario;
pub mod sensitivity;
#[cfg(feature = "serve")]
pub mod serve;
pub mod stats;
