//! Statistics: streaming summaries across replications, wait histograms within a
//! replication, and queueing theory (Erlang C and Erlang A) to validate against.
//! A leaf module: it depends on nothing else in the crate.

pub mod histogram;
pub mod linalg;
pub mod queueing;
pub mod summary;

pub use summary::Summary;
