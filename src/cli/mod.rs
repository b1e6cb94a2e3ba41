//! Subcommands of the binary beyond `run` and `validate`, one file each.

pub mod calibrate;
pub mod common;
pub mod compare;
pub mod plan;
