//! Limits the scenario layer enforces so that the model never caps a value
//! silently: a value the model cannot represent is an error here, with the key.

use super::param::{P, TimeSpec};
use crate::model::TimeDist;

/// The longest MDT course, in sessions (the model counts a participant's sessions
/// in a byte per discipline).
pub const MAX_MDT_SESSIONS: f64 = 100.0;

/// The largest value a parameter can take (infinite for an unbounded distribution).
pub fn upper_bound(p: &P) -> f64 {
    super::param::support(&p.value).1
}

/// Checks an MDT course length (`mdt.<d>.sessions`): it must be a number of
/// sessions the model can count. A fixed or bounded count above
/// [`MAX_MDT_SESSIONS`] is an error; for a distribution without an upper bound
/// (exponential, gamma, ...) its mean must be within the limit, and rare draws beyond
/// it count as that many sessions.
pub fn check_sessions(spec: &TimeSpec) -> Result<(), String> {
    let over = |what: &str, v: f64| {
        Err(format!(
            "expected a course of at most {MAX_MDT_SESSIONS} sessions, found {what} {v}"
        ))
    };
    match spec {
        TimeSpec::Never => Err(format!(
            "expected a number of sessions (at most {MAX_MDT_SESSIONS}), found `never`"
        )),
        TimeSpec::Fixed(p) => {
            let hi = upper_bound(p);
            if hi > MAX_MDT_SESSIONS {
                return if p.is_uncertain() {
                    if hi.is_finite() {
                        over("values up to", hi)
                    } else {
                        Err(format!(
                            "expected a course of at most {MAX_MDT_SESSIONS} sessions, found a \
                             distribution without an upper bound ({}); give it a max",
                            p.text
                        ))
                    }
                } else {
                    over("", hi)
                };
            }
            Ok(())
        }
        TimeSpec::Empirical(TimeDist::Empirical { values, .. }, _) => {
            match values
                .iter()
                .copied()
                .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))))
            {
                Some(hi) if hi > MAX_MDT_SESSIONS => over("values up to", hi),
                _ => Ok(()),
            }
        }
        TimeSpec::Exponential(m) | TimeSpec::Gamma(m, _) | TimeSpec::LogNormal(m, _) => {
            let hi = upper_bound(m);
            if hi > MAX_MDT_SESSIONS {
                return over("a mean of up to", hi);
            }
            Ok(())
        }
        TimeSpec::Weibull(..) | TimeSpec::Empirical(..) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_above_100_are_an_error_not_capped() {
        assert!(check_sessions(&TimeSpec::Fixed(P::fixed("s", 100.0))).is_ok());
        let e = check_sessions(&TimeSpec::Fixed(P::fixed("s", 150.0))).unwrap_err();
        assert!(e.contains("at most 100") && e.contains("150"), "{e}");
        assert!(check_sessions(&TimeSpec::Never).is_err());
        assert!(check_sessions(&TimeSpec::Exponential(P::fixed("m", 120.0))).is_err());
        assert!(check_sessions(&TimeSpec::Exponential(P::fixed("m", 6.0))).is_ok());
    }
}
