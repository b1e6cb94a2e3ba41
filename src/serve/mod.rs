//! The web front end (`workwell serve`).

pub mod form;
