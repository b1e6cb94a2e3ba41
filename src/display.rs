//! Formatting shared by every renderer (the report's, the plan's, the calibration's
//! and the terminal's): numbers with thousands
//! separators, percentages, months as dates, intervals that say "not available"
//! instead of NaN, and HTML escaping.

use crate::engine::{Date, YearMonth};

/// Text shown where a value or an interval cannot be computed.
pub const NA: &str = "n/a";

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A finite value, or `None`.
pub fn finite(x: Option<f64>) -> Option<f64> {
    x.filter(|v| v.is_finite())
}

/// Escapes text for HTML and SVG content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A whole number with thousands separators, e.g. `52,310`; `-` for negatives.
pub fn int(v: f64) -> String {
    let r = v.round();
    let neg = r < 0.0;
    let digits = format!("{:.0}", r.abs());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if neg && out != "0" {
        format!("-{out}")
    } else {
        out
    }
}

/// `n` and the noun in the right number: `1 area`, `2 areas`, `0 areas`.
pub fn count(n: usize, one: &str, many: &str) -> String {
    format!("{} {}", int(n as f64), if n == 1 { one } else { many })
}

/// A number with `decimals` places and thousands separators in the whole part.
pub fn dec(v: f64, decimals: usize) -> String {
    if decimals == 0 {
        return int(v);
    }
    let s = format!("{:.*}", decimals, v.abs());
    let (whole, frac) = s.split_once('.').unwrap_or((&s, ""));
    let w = int(whole.parse::<f64>().unwrap_or(0.0));
    let sign = if v < 0.0 && s.chars().any(|c| c.is_ascii_digit() && c != '0') {
        "-"
    } else {
        ""
    };
    format!("{sign}{w}.{frac}")
}

/// How a quantity is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A count, e.g. starts: whole numbers with separators.
    Count,
    /// A share shown as a percentage with no decimals.
    Percent,
    /// Percentage points (for differences of shares).
    Points,
    /// Days with one decimal.
    Days,
    /// Pounds sterling, whole.
    Gbp,
    /// A plain number with one decimal.
    Decimal,
}

impl Unit {
    /// Formats a value in this unit; [`NA`] when missing or not finite.
    pub fn fmt(self, x: Option<f64>) -> String {
        let Some(v) = finite(x) else {
            return NA.to_string();
        };
        match self {
            Unit::Count => int(v),
            Unit::Percent => format!("{:.0}%", v * 100.0),
            Unit::Points => format!("{} pts", dec(v * 100.0, 1)),
            Unit::Days => format!("{} d", dec(v, 1)),
            Unit::Gbp => {
                let s = int(v);
                match s.strip_prefix('-') {
                    Some(abs) => format!("-£{abs}"),
                    None => format!("£{s}"),
                }
            }
            Unit::Decimal => dec(v, 1),
        }
    }

    /// Formats a signed difference in this unit, with an explicit `+`.
    pub fn fmt_signed(self, x: Option<f64>) -> String {
        let s = self.fmt(x);
        match finite(x) {
            Some(v) if v > 0.0 && !s.starts_with('-') && s != "0" && s != "0%" => format!("+{s}"),
            _ => s,
        }
    }

    /// Formats an interval `low – high`, or [`NA`] when either end is missing.
    pub fn fmt_interval(self, ci: Option<(f64, f64)>) -> String {
        match ci {
            Some((a, b)) if a.is_finite() && b.is_finite() => {
                format!("{} – {}", self.fmt(Some(a)), self.fmt(Some(b)))
            }
            _ => NA.to_string(),
        }
    }

    /// Formats a signed interval, each end with its sign.
    pub fn fmt_signed_interval(self, ci: Option<(f64, f64)>) -> String {
        match ci {
            Some((a, b)) if a.is_finite() && b.is_finite() => format!(
                "{} to {}",
                self.fmt_signed(Some(a)),
                self.fmt_signed(Some(b))
            ),
            _ => NA.to_string(),
        }
    }
}

/// A month as `Oct 2024`.
pub fn month(m: YearMonth) -> String {
    format!(
        "{} {}",
        MONTHS[usize::from(m.month.clamp(1, 12)) - 1],
        m.year
    )
}

/// A date as `31 Mar 2026`.
pub fn date(d: Date) -> String {
    format!(
        "{} {} {}",
        d.day,
        MONTHS[usize::from(d.month.clamp(1, 12)) - 1],
        d.year
    )
}

/// A month's three-letter name.
pub fn month_abbr(m: YearMonth) -> &'static str {
    MONTHS[usize::from(m.month.clamp(1, 12)) - 1]
}

/// The month `k` months after `first`.
pub fn month_after(first: YearMonth, k: usize) -> YearMonth {
    let mut m = first;
    for _ in 0..k {
        m = m.next();
    }
    m
}

/// Shortens a label to at most `max` characters, ending in an ellipsis when cut;
/// " and " becomes " & " first.
pub fn short(label: &str, max: usize) -> String {
    let s = if label.chars().count() > max {
        label.replace(" and ", " & ")
    } else {
        label.to_string()
    };
    if s.chars().count() <= max {
        return s;
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out = out.trim_end_matches([' ', ',', '&']).to_string();
    out.push('…');
    out
}

/// A whole number for a plain-text table, `-` when not available.
pub fn text0(x: Option<f64>) -> String {
    finite(x).map_or("-".into(), |v| format!("{v:.0}"))
}

/// One decimal for a plain-text table, `-` when not available.
pub fn text1(x: Option<f64>) -> String {
    finite(x).map_or("-".into(), |v| format!("{v:.1}"))
}

/// A share as a whole percentage for a plain-text table, `-` when not available.
pub fn text_pct(x: Option<f64>) -> String {
    finite(x).map_or("-".into(), |v| format!("{:.0}%", v * 100.0))
}

/// A file-name-safe form of a name: lower-case ASCII letters and digits, `-` for
/// anything else.
pub fn slug(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_a_planner_writes_them() {
        assert_eq!(int(52310.4), "52,310");
        assert_eq!(int(999.0), "999");
        assert_eq!(int(-1234.0), "-1,234");
        assert_eq!(int(-0.2), "0");
        assert_eq!(dec(1234.56, 1), "1,234.6");
        assert_eq!(dec(-0.04, 1), "0.0");
        assert_eq!(dec(-2.5, 1), "-2.5");
        assert_eq!(Unit::Percent.fmt(Some(0.123)), "12%");
        assert_eq!(Unit::Count.fmt(Some(f64::NAN)), NA);
        assert_eq!(Unit::Count.fmt(None), NA);
        assert_eq!(Unit::Count.fmt_signed(Some(1500.0)), "+1,500");
        assert_eq!(Unit::Count.fmt_signed(Some(-1500.0)), "-1,500");
        assert_eq!(Unit::Days.fmt_interval(Some((1.0, f64::NAN))), NA);
        assert_eq!(Unit::Points.fmt_signed(Some(0.05)), "+5.0 pts");
        assert_eq!(Unit::Gbp.fmt_signed(Some(-7.2)), "-£7");
        assert_eq!(Unit::Gbp.fmt_signed(Some(1234.0)), "+£1,234");
    }

    #[test]
    fn months_are_dates() {
        let m = YearMonth {
            year: 2024,
            month: 10,
        };
        assert_eq!(month(m), "Oct 2024");
        assert_eq!(month(month_after(m, 3)), "Jan 2025");
        assert_eq!(date(Date::new(2026, 3, 31).unwrap()), "31 Mar 2026");
    }

    #[test]
    fn long_labels_are_shortened() {
        assert_eq!(short("Frimley", 20), "Frimley");
        let s = short("Bristol, North Somerset and South Gloucestershire", 28);
        assert!(s.chars().count() <= 28 && s.ends_with('…'), "{s}");
        assert!(s.starts_with("Bristol, North Somerset &"), "{s}");
    }

    #[test]
    fn escaping() {
        assert_eq!(esc("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
    }
}
