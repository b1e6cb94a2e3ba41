//! Which resource limits an area's starts: the binding constraint, classified from
//! utilisation. A resource used at or above [`NEAR_FULL`] of its capacity is full;
//! see [`binding`] for which full resource binds. When none does, the area is
//! limited by demand (referrals), not capacity.

use std::fmt;

/// Utilisation at or above which a resource counts as binding.
pub const NEAR_FULL: f64 = 0.9;

/// Months at the end of the run whose utilisation decides the constraint: the state
/// once recruitment has ramped up, not the empty start.
pub const LAST_MONTHS: usize = 3;

/// What limits an area's starts and waits.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Constraint {
    /// Coach caseload places (caseload cap x coach FTE).
    CoachPlaces,
    /// Coach contact hours for assessments and follow-ups.
    CoachHours,
    /// Session slots of one MDT discipline.
    Mdt(String),
    /// No resource near full: referrals limit starts.
    #[default]
    Demand,
}

impl fmt::Display for Constraint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Constraint::CoachPlaces => write!(f, "coach caseload places"),
            Constraint::CoachHours => write!(f, "coach hours"),
            Constraint::Mdt(d) => write!(f, "MDT: {}", d.replace('_', " ")),
            Constraint::Demand => write!(f, "demand (referrals)"),
        }
    }
}

/// Utilisation of each resource of an area (`None` where not available, e.g. a
/// discipline the area does not have).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Utilisation {
    /// Caseload / caseload places.
    pub caseload: Option<f64>,
    /// Coach hours used / available.
    pub hours: Option<f64>,
    /// Per MDT discipline: slots used / available.
    pub mdt: Vec<(String, Option<f64>)>,
}

/// The binding constraint of an area and the other resources that are full.
#[derive(Debug, Clone, PartialEq)]
pub struct Binding {
    /// What limits starts.
    pub constraint: Constraint,
    /// Its utilisation (`None` for demand).
    pub utilisation: Option<f64>,
    /// Other resources at or above the threshold, fullest first: for example an MDT
    /// discipline whose waiting list grows while caseload places are still free, so
    /// it lengthens MDT waits without limiting starts.
    pub also_full: Vec<(Constraint, f64)>,
}

/// A full resource and its utilisation.
type Full = (Constraint, f64);

/// Classifies an area from its utilisation. Resources at or above `threshold` are
/// full (missing or non-finite values never are).
///
/// - Coach caseload places full and an MDT discipline full: the fullest MDT
///   discipline binds, since participants whose plan waits for its sessions stay on
///   the caseload and hold the places.
/// - Otherwise a full coach resource binds (the fuller of places and hours; ties go
///   to places).
/// - Otherwise demand binds: referrals, not capacity, limit starts. A full MDT
///   discipline is then listed in [`Binding::also_full`]: it makes MDT waits grow
///   but does not limit starts.
pub fn binding(u: &Utilisation, threshold: f64) -> Binding {
    let full = |v: Option<f64>| v.filter(|v| v.is_finite() && *v >= threshold);
    let mut coach: Vec<(Constraint, f64)> = Vec::new();
    if let Some(v) = full(u.caseload) {
        coach.push((Constraint::CoachPlaces, v));
    }
    if let Some(v) = full(u.hours) {
        coach.push((Constraint::CoachHours, v));
    }
    let mut mdt: Vec<(Constraint, f64)> = u
        .mdt
        .iter()
        .filter_map(|(d, v)| full(*v).map(|v| (Constraint::Mdt(d.clone()), v)))
        .collect();
    // fullest first, keeping the given order on ties
    coach.sort_by(|a, b| b.1.total_cmp(&a.1));
    mdt.sort_by(|a, b| b.1.total_cmp(&a.1));
    let places_full = full(u.caseload).is_some();
    let (first, rest): (Option<Full>, Vec<Full>) = if places_full && !mdt.is_empty() {
        let first = mdt.remove(0);
        (Some(first), coach.into_iter().chain(mdt).collect())
    } else if !coach.is_empty() {
        let first = coach.remove(0);
        (Some(first), coach.into_iter().chain(mdt).collect())
    } else {
        (None, mdt)
    };
    match first {
        Some((c, v)) => Binding {
            constraint: c,
            utilisation: Some(v),
            also_full: rest,
        },
        None => Binding {
            constraint: Constraint::Demand,
            utilisation: None,
            also_full: rest,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(caseload: f64, hours: f64, mdt: &[(&str, f64)]) -> Utilisation {
        Utilisation {
            caseload: Some(caseload),
            hours: Some(hours),
            mdt: mdt.iter().map(|(d, v)| (d.to_string(), Some(*v))).collect(),
        }
    }

    #[test]
    fn a_full_mdt_discipline_binds_when_it_holds_caseload_places() {
        let b = binding(
            &u(0.95, 0.7, &[("physio", 0.99), ("counsellor", 0.92)]),
            NEAR_FULL,
        );
        assert_eq!(b.constraint, Constraint::Mdt("physio".into()));
        assert_eq!(b.utilisation, Some(0.99));
        assert_eq!(
            b.also_full,
            vec![
                (Constraint::CoachPlaces, 0.95),
                (Constraint::Mdt("counsellor".into()), 0.92)
            ]
        );
    }

    #[test]
    fn a_full_mdt_discipline_with_free_places_does_not_limit_starts() {
        let b = binding(&u(0.7, 0.6, &[("occupational_therapy", 0.99)]), NEAR_FULL);
        assert_eq!(b.constraint, Constraint::Demand);
        assert_eq!(b.utilisation, None);
        assert_eq!(
            b.also_full,
            vec![(Constraint::Mdt("occupational_therapy".into()), 0.99)]
        );
    }

    #[test]
    fn the_fuller_coach_resource_binds() {
        assert_eq!(
            binding(&u(0.97, 0.92, &[("physio", 0.5)]), NEAR_FULL).constraint,
            Constraint::CoachPlaces
        );
        let b = binding(&u(0.5, 0.92, &[("physio", 0.95)]), NEAR_FULL);
        assert_eq!(b.constraint, Constraint::CoachHours);
        assert_eq!(b.also_full, vec![(Constraint::Mdt("physio".into()), 0.95)]);
    }

    #[test]
    fn nothing_near_full_means_demand() {
        let b = binding(&u(0.6, 0.7, &[("physio", 0.89)]), NEAR_FULL);
        assert_eq!(b.constraint, Constraint::Demand);
        assert!(b.also_full.is_empty());
    }

    #[test]
    fn missing_and_nan_values_never_bind() {
        let x = Utilisation {
            caseload: None,
            hours: Some(f64::NAN),
            mdt: vec![("counsellor".into(), None)],
        };
        assert_eq!(binding(&x, NEAR_FULL).constraint, Constraint::Demand);
    }

    #[test]
    fn ties_go_to_coach_places_first() {
        assert_eq!(
            binding(&u(0.95, 0.95, &[]), NEAR_FULL).constraint,
            Constraint::CoachPlaces
        );
    }

    #[test]
    fn labels() {
        assert_eq!(
            Constraint::Mdt("occupational_therapy".into()).to_string(),
            "MDT: occupational therapy"
        );
        assert_eq!(Constraint::Demand.to_string(), "demand (referrals)");
    }
}
