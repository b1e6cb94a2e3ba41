//! The discrete-event kernel: simulation time, a totally ordered event queue and a
//! calendar that maps simulation days to dates.
//!
//! The engine knows nothing of WorkWell, files, serde or threads. Time is an `f64`
//! number of days since the start of the run (day 0 is the start date, time `t` falls
//! on day `floor(t)`).

pub mod calendar;
pub mod queue;

pub use calendar::{Calendar, Date, Weekday, YearMonth};
pub use queue::{EventQueue, Scheduled};
