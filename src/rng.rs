//! Named random streams: a leaf that everything which draws imports and that imports
//! nothing of the crate's own.
//!
//! Every stream is seeded from a 64-bit key derived from (scenario seed, area,
//! replication, purpose[, discipline]) by SplitMix64 mixing, so results do not depend
//! on thread count, on scheduling, or on the order areas are simulated; two scenarios
//! run with the same seed share common random numbers; and each process of an area
//! (arrivals, triage, patience, ...) and each MDT discipline draws from a stream of its
//! own, so that a change to one part changes nothing else.

use rand::SeedableRng;

/// The random number generator used everywhere: Xoshiro256++ (named, stable across
/// releases, fast, 256-bit state).
pub type Rng = rand_xoshiro::Xoshiro256PlusPlus;

/// What a stream is used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u64)]
pub enum Purpose {
    /// Arrival times.
    Arrivals = 1,
    /// Route, employment status and main barrier of each referral.
    Attributes = 2,
    /// Triage outcome and triage delay.
    Triage = 5,
    /// Patience while waiting for the assessment.
    Patience = 6,
    /// Time on the caseload and disengagement.
    Caseload = 7,
    /// Onward referral and its delay.
    Onward = 8,
    /// Outcome at completion.
    Outcome = 9,
    /// One MDT discipline's needs, course lengths and did-not-attends (keyed further by
    /// the discipline's name).
    Mdt = 4,
    /// Which posterior sample a replication of a calibrated scenario uses.
    Posterior = 10,
    /// Calibration: perturbations, acceptance and resampling.
    Calibration = 11,
    /// Designed samples of parameter points (a Latin hypercube).
    Design = 12,
}

/// FNV-1a hash of bytes: stable across Rust versions and platforms (unlike the
/// standard library's hasher), used to turn names into stream keys.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// SplitMix64 finaliser.
#[inline]
fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Mixes several words into one well-scrambled key.
pub fn mix(words: &[u64]) -> u64 {
    let mut h = 0x6A09_E667_F3BC_C909u64;
    for w in words {
        h = splitmix(h ^ splitmix(*w));
    }
    h
}

/// The generator for one (seed, area, replication, purpose).
pub fn stream(seed: u64, area: &str, replication: u64, purpose: Purpose) -> Rng {
    Rng::seed_from_u64(mix(&[
        seed,
        fnv1a(area.as_bytes()),
        replication,
        purpose as u64,
    ]))
}

/// The stream of one MDT discipline of an area in one replication.
pub fn discipline_stream(seed: u64, area: &str, replication: u64, discipline: &str) -> Rng {
    Rng::seed_from_u64(mix(&[
        seed,
        fnv1a(area.as_bytes()),
        replication,
        Purpose::Mdt as u64,
        fnv1a(discipline.as_bytes()),
    ]))
}

/// A generator for a purpose that is not tied to an area, keyed by further words
/// (for example a calibration generation and particle).
pub fn keyed(seed: u64, purpose: Purpose, words: &[u64]) -> Rng {
    let mut all = vec![seed, purpose as u64];
    all.extend_from_slice(words);
    Rng::seed_from_u64(mix(&all))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng as _;

    #[test]
    fn value_stability() {
        // Guards the stream derivation: changing it changes every published result.
        assert_eq!(fnv1a(b"Frimley"), 0xff5b_993f_1165_5187);
        let mut r = stream(20241001, "Frimley", 0, Purpose::Arrivals);
        let first = r.next_u64();
        let mut again = stream(20241001, "Frimley", 0, Purpose::Arrivals);
        assert_eq!(first, again.next_u64());
        let mut other = stream(20241001, "Frimley", 0, Purpose::Patience);
        assert_ne!(first, other.next_u64());
    }
}
