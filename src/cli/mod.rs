//! Subcommands of the binary beyond `validate`, one file each.

pub mod calibrate;
pub mod common;
pub mod compare;
pub mod merge;
pub mod plan;
pub mod run;
pub mod serve;
pub mod sweep;
