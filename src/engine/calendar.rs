//! Civil dates, England and Wales bank holidays, and a day-indexed simulation calendar.
//!
//! Dates are proleptic Gregorian. Day arithmetic goes through a count of days since
//! 1970-01-01 using Howard Hinnant's `days_from_civil` / `civil_from_days` algorithms,
//! which are exact for every representable year.
//!
//! [`Calendar`] maps simulation day indices (day 0 is the start date; time `t` in days
//! falls on day `floor(t)`) to dates and precomputes, per day, whether it is a working
//! day, a bank holiday or inside the festive period, its calendar-month index and its
//! week index, so that every query in the event loop is a table lookup.

use std::collections::HashSet;
use std::fmt;
use std::ops::Range;

/// A day of the week, Monday first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weekday {
    /// Monday.
    Mon,
    /// Tuesday.
    Tue,
    /// Wednesday.
    Wed,
    /// Thursday.
    Thu,
    /// Friday.
    Fri,
    /// Saturday.
    Sat,
    /// Sunday.
    Sun,
}

impl Weekday {
    /// All weekdays, Monday first.
    pub const ALL: [Weekday; 7] = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ];

    /// Days since Monday: 0 for Monday up to 6 for Sunday.
    #[inline]
    pub fn days_from_monday(self) -> u8 {
        self as u8
    }

    /// The weekday `n` days after Monday (`n` taken modulo 7).
    #[inline]
    pub fn from_days_from_monday(n: i64) -> Weekday {
        Weekday::ALL[n.rem_euclid(7) as usize]
    }

    /// True for Saturday and Sunday.
    #[inline]
    pub fn is_weekend(self) -> bool {
        matches!(self, Weekday::Sat | Weekday::Sun)
    }
}

/// A civil (proleptic Gregorian) date.
///
/// The fields are public for convenience; a value built by hand rather than through
/// [`Date::new`] or [`Date::parse`] may be invalid, and arithmetic on an invalid date
/// gives unspecified (but non-panicking) results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    /// The year (astronomical numbering: year 0 exists).
    pub year: i32,
    /// The month, 1 to 12.
    pub month: u8,
    /// The day of the month, 1 to 31.
    pub day: u8,
}

/// True when `year` is a Gregorian leap year.
#[inline]
fn is_leap_year(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

impl Date {
    /// The date `year-month-day`, or `None` if the month is not 1 to 12 or the day
    /// does not exist in that month (e.g. 2025-02-29).
    pub fn new(year: i32, month: u8, day: u8) -> Option<Date> {
        if !(1..=12).contains(&month) || day == 0 || day > Date::days_in_month(year, month) {
            return None;
        }
        Some(Date { year, month, day })
    }

    /// Parses a date written strictly as `YYYY-MM-DD`: exactly four year digits, two
    /// month digits and two day digits separated by `-`, with no sign, whitespace or
    /// other characters. Returns `None` if the text is malformed or the date invalid.
    pub fn parse(s: &str) -> Option<Date> {
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        fn digits(b: &[u8]) -> Option<u32> {
            b.iter().try_fold(0u32, |acc, &c| {
                c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
            })
        }
        let year = digits(&b[0..4])?;
        let month = digits(&b[5..7])?;
        let day = digits(&b[8..10])?;
        // All three fit: year <= 9999, month and day <= 99.
        Date::new(year as i32, month as u8, day as u8)
    }

    /// Days since 1970-01-01 (negative before it), by Howard Hinnant's
    /// `days_from_civil`.
    pub fn days_since_epoch(self) -> i64 {
        let m = i64::from(self.month);
        let d = i64::from(self.day);
        let y = i64::from(self.year) - i64::from(m <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400; // [0, 399]
        let mp = (m + 9) % 12; // March = 0
        let doy = (153 * mp + 2) / 5 + d - 1; // [0, 365]
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; // [0, 146096]
        era * 146_097 + doe - 719_468
    }

    /// The date `days` days after 1970-01-01 (before it if negative), by Howard
    /// Hinnant's `civil_from_days`. The inverse of [`Date::days_since_epoch`].
    ///
    /// The year is truncated to `i32`; day counts far beyond ±5.8 million years wrap.
    pub fn from_days_since_epoch(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097; // [0, 146096]
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
        let mp = (5 * doy + 2) / 153; // [0, 11]
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8; // [1, 31]
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8; // [1, 12]
        let year = yoe + era * 400 + i64::from(month <= 2);
        Date {
            year: year as i32,
            month,
            day,
        }
    }

    /// The date `n` days later (earlier if `n` is negative).
    #[inline]
    pub fn add_days(self, n: i64) -> Date {
        Date::from_days_since_epoch(self.days_since_epoch() + n)
    }

    /// The day of the week.
    #[inline]
    pub fn weekday(self) -> Weekday {
        // 1970-01-01 was a Thursday, three days after Monday.
        Weekday::from_days_from_monday(self.days_since_epoch() + 3)
    }

    /// The number of days in `month` of `year` (28 to 31), or 0 if `month` is not
    /// 1 to 12.
    pub fn days_in_month(year: i32, month: u8) -> u8 {
        match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if is_leap_year(year) => 29,
            2 => 28,
            _ => 0,
        }
    }

    /// The first day of this date's month.
    #[inline]
    pub fn first_of_month(self) -> Date {
        Date { day: 1, ..self }
    }
}

impl fmt::Display for Date {
    /// Writes `YYYY-MM-DD` (the year zero-padded to at least four digits).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// A calendar month, e.g. 2025-03. Display "YYYY-MM".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct YearMonth {
    /// The year.
    pub year: i32,
    /// The month, 1 to 12.
    pub month: u8,
}

impl YearMonth {
    /// The month containing `d`.
    #[inline]
    pub fn of(d: Date) -> Self {
        YearMonth {
            year: d.year,
            month: d.month,
        }
    }

    /// The following month (December is followed by January of the next year).
    #[inline]
    pub fn next(self) -> Self {
        if self.month >= 12 {
            YearMonth {
                year: self.year + 1,
                month: 1,
            }
        } else {
            YearMonth {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    /// The first day of the month.
    #[inline]
    pub fn first_day(self) -> Date {
        Date {
            year: self.year,
            month: self.month,
            day: 1,
        }
    }

    /// The number of days in the month.
    #[inline]
    pub fn days(self) -> u8 {
        Date::days_in_month(self.year, self.month)
    }
}

impl fmt::Display for YearMonth {
    /// Writes `YYYY-MM`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// Easter Sunday of `year` by the anonymous Gregorian computus (Meeus/Jones/Butcher).
pub fn easter_sunday(year: i32) -> Date {
    let y = i64::from(year);
    let a = y.rem_euclid(19);
    let b = y.div_euclid(100);
    let c = y.rem_euclid(100);
    let d = b.div_euclid(4);
    let e = b.rem_euclid(4);
    let f = (b + 8).div_euclid(25);
    let g = (b - f + 1).div_euclid(3);
    let h = (19 * a + b - d - g + 15).rem_euclid(30);
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k).rem_euclid(7);
    let m = (a + 11 * h + 22 * l) / 451;
    let n = h + l - 7 * m + 114;
    Date {
        year,
        month: (n / 31) as u8,
        day: (n % 31 + 1) as u8,
    }
}

/// The first `weekday` on or after `d`.
fn on_or_after(d: Date, weekday: Weekday) -> Date {
    let delta = i64::from(weekday.days_from_monday()) - i64::from(d.weekday().days_from_monday());
    d.add_days(delta.rem_euclid(7))
}

/// The last `weekday` on or before `d`.
fn on_or_before(d: Date, weekday: Weekday) -> Date {
    let delta = i64::from(d.weekday().days_from_monday()) - i64::from(weekday.days_from_monday());
    d.add_days(-delta.rem_euclid(7))
}

/// England and Wales bank holidays for a year, by rule: New Year's Day, Good Friday,
/// Easter Monday (Easter by the anonymous Gregorian computus), early May (first Monday of May),
/// spring (last Monday of May), summer (last Monday of August), Christmas Day, Boxing Day,
/// with substitute weekdays when Christmas/Boxing/New Year fall at a weekend (the UK rule:
/// 2026-12-26 is a Saturday so Boxing Day substitute is Monday 2026-12-28; 2027-12-25 Sat, 26 Sun -> 27 and 28).
/// Known one-off changes in years it may be asked about: 2020 early May moved to Fri 8 May;
/// 2022: spring bank holiday moved to Thu 2 June, extra Fri 3 June, extra Mon 19 Sept; 2023: extra Mon 8 May.
///
/// Also applied: the other one-off changes since 1995 (1995 early May moved to Mon 8 May;
/// 1999 extra Fri 31 Dec; 2002 spring moved to Tue 4 June, extra Mon 3 June; 2011 extra
/// Fri 29 April; 2012 spring moved to Mon 4 June, extra Tue 5 June). The current rules
/// are applied to every year, so results before 1978 (when the early May holiday began)
/// are not historical. The result is sorted and free of duplicates.
pub fn england_bank_holidays(year: i32) -> Vec<Date> {
    let ymd = |m: u8, d: u8| Date {
        year,
        month: m,
        day: d,
    };
    let mut out = Vec::with_capacity(10);

    // New Year's Day, or the next Monday if it falls at a weekend.
    let new_year = ymd(1, 1);
    out.push(if new_year.weekday().is_weekend() {
        on_or_after(new_year, Weekday::Mon)
    } else {
        new_year
    });

    let easter = easter_sunday(year);
    out.push(easter.add_days(-2));
    out.push(easter.add_days(1));

    // Early May: first Monday of May, with one-off moves.
    let mut early_may = on_or_after(ymd(5, 1), Weekday::Mon);
    match year {
        1995 => early_may = ymd(5, 8),
        2020 => early_may = ymd(5, 8),
        _ => {}
    }
    out.push(early_may);

    // Spring: last Monday of May, with one-off moves and extras.
    match year {
        2002 => out.extend([ymd(6, 3), ymd(6, 4)]),
        2012 => out.extend([ymd(6, 4), ymd(6, 5)]),
        2022 => out.extend([ymd(6, 2), ymd(6, 3)]),
        _ => out.push(on_or_before(ymd(5, 31), Weekday::Mon)),
    }

    // Summer: last Monday of August.
    out.push(on_or_before(ymd(8, 31), Weekday::Mon));

    // Christmas and Boxing Day with substitutes: a holiday at a weekend moves to the
    // next weekday not already a holiday.
    let christmas = ymd(12, 25);
    let (xmas, boxing) = match christmas.weekday() {
        // Sat 25, Sun 26 -> Mon 27, Tue 28.
        Weekday::Sat => (ymd(12, 27), ymd(12, 28)),
        // Sun 25, Mon 26 -> Boxing Day Mon 26, Christmas substitute Tue 27.
        Weekday::Sun => (ymd(12, 27), ymd(12, 26)),
        // Fri 25, Sat 26 -> Boxing Day substitute Mon 28.
        Weekday::Fri => (christmas, ymd(12, 28)),
        _ => (christmas, ymd(12, 26)),
    };
    out.push(xmas);
    out.push(boxing);

    // Other one-off extras.
    match year {
        1999 => out.push(ymd(12, 31)),
        2011 => out.push(ymd(4, 29)),
        2022 => out.push(ymd(9, 19)),
        2023 => out.push(ymd(5, 8)),
        _ => {}
    }

    out.sort_unstable();
    out.dedup();
    out
}

const WORKING: u8 = 1;
const BANK_HOLIDAY: u8 = 1 << 1;
const EXTRA_HOLIDAY: u8 = 1 << 2;
const FESTIVE: u8 = 1 << 3;

/// Day-indexed calendar for a simulation that starts on `start` (day 0 = start date, time t in
/// days, day index = floor(t)) and covers `n_days` days.
///
/// Every per-day and per-week property is precomputed by [`Calendar::new`], so queries
/// are O(1) table lookups.
///
/// # Panics
///
/// Methods taking a day index (`day`), month index or week index panic, through
/// ordinary slice indexing, when the index is out of range: days must be in
/// `0..n_days()`, months in `0..n_months()` and weeks in `0..n_weeks()`.
#[derive(Debug, Clone)]
pub struct Calendar {
    start: Date,
    start_days: i64,
    n_days: usize,
    /// Per-day bit flags (`WORKING`, `BANK_HOLIDAY`, `EXTRA_HOLIDAY`, `FESTIVE`).
    flags: Vec<u8>,
    /// Per-day calendar-month index.
    month_of_day: Vec<u32>,
    /// Per-day week index.
    week_of_day: Vec<u32>,
    /// The calendar months touched, in order.
    months: Vec<YearMonth>,
    /// `month_starts[i]..month_starts[i + 1]` are the days of month `i`; length
    /// `n_months + 1`.
    month_starts: Vec<usize>,
    /// Per-week count of Mon-Fri days that are not holidays (including days outside
    /// the horizon).
    week_working: Vec<u8>,
}

impl Calendar {
    /// `extra_holidays` are added non-working days (e.g. a scenario's own closures);
    /// `festive` is the festive period, given as (month, day) from and (month, day) to inclusive,
    /// wrapping over the year end, e.g. ((12, 24), (1, 1)).
    ///
    /// Bank holidays are England and Wales bank holidays ([`england_bank_holidays`]).
    /// If `from` is after `to` the period wraps over the year end; otherwise it is the
    /// days from `from` to `to` within one year.
    ///
    /// # Panics
    ///
    /// Panics if `n_days` does not fit in a `u32`.
    pub fn new(
        start: Date,
        n_days: usize,
        extra_holidays: &[Date],
        festive: ((u8, u8), (u8, u8)),
    ) -> Calendar {
        assert!(
            u32::try_from(n_days).is_ok(),
            "calendar horizon of {n_days} days is too long"
        );
        let start_days = start.days_since_epoch();
        let start_offset = i64::from(start.weekday().days_from_monday());
        let week_monday = start.add_days(-start_offset);
        let n_weeks = if n_days == 0 {
            0
        } else {
            (n_days - 1 + start_offset as usize) / 7 + 1
        };

        // Every date the calendar may ask about lies in the weeks covered.
        let first = week_monday;
        let last = week_monday.add_days(7 * n_weeks as i64);
        let bank: HashSet<Date> = (first.year..=last.year)
            .flat_map(england_bank_holidays)
            .collect();
        let extra: HashSet<Date> = extra_holidays.iter().copied().collect();

        let (from, to) = festive;
        let in_festive = |d: Date| {
            let md = (d.month, d.day);
            if from <= to {
                from <= md && md <= to
            } else {
                md >= from || md <= to
            }
        };

        let mut flags = Vec::with_capacity(n_days);
        let mut month_of_day = Vec::with_capacity(n_days);
        let mut week_of_day = Vec::with_capacity(n_days);
        let mut months = Vec::new();
        let mut month_starts = Vec::new();

        for day in 0..n_days {
            let date = Date::from_days_since_epoch(start_days + day as i64);
            let ym = YearMonth::of(date);
            if months.last() != Some(&ym) {
                months.push(ym);
                month_starts.push(day);
            }
            let mut f = 0u8;
            let is_bank = bank.contains(&date);
            let is_extra = extra.contains(&date);
            if is_bank {
                f |= BANK_HOLIDAY;
            }
            if is_extra {
                f |= EXTRA_HOLIDAY;
            }
            if !date.weekday().is_weekend() && !is_bank && !is_extra {
                f |= WORKING;
            }
            if in_festive(date) {
                f |= FESTIVE;
            }
            flags.push(f);
            month_of_day.push((months.len() - 1) as u32);
            week_of_day.push(((day + start_offset as usize) / 7) as u32);
        }
        month_starts.push(n_days);

        let week_working = (0..n_weeks)
            .map(|w| {
                let monday = week_monday.add_days(7 * w as i64);
                (0..5)
                    .map(|i| monday.add_days(i))
                    .filter(|d| !bank.contains(d) && !extra.contains(d))
                    .count() as u8
            })
            .collect();

        Calendar {
            start,
            start_days,
            n_days,
            flags,
            month_of_day,
            week_of_day,
            months,
            month_starts,
            week_working,
        }
    }

    /// The start date (day 0).
    #[inline]
    pub fn start(&self) -> Date {
        self.start
    }

    /// The number of days covered.
    #[inline]
    pub fn n_days(&self) -> usize {
        self.n_days
    }

    /// The date of day `day`. Computed, so it does not panic for `day >= n_days()`.
    #[inline]
    pub fn date(&self, day: usize) -> Date {
        Date::from_days_since_epoch(self.start_days + day as i64)
    }

    /// True if day `day` is Monday to Friday and neither a bank holiday nor an extra
    /// holiday. Panics if `day >= n_days()`.
    #[inline]
    pub fn is_working_day(&self, day: usize) -> bool {
        self.flags[day] & WORKING != 0
    }

    /// True if day `day` is an England and Wales bank holiday (including substitute
    /// days). Extra holidays given to [`Calendar::new`] do not count. Panics if
    /// `day >= n_days()`.
    #[inline]
    pub fn is_bank_holiday(&self, day: usize) -> bool {
        self.flags[day] & BANK_HOLIDAY != 0
    }

    /// True if day `day` is one of the extra holidays given to [`Calendar::new`].
    /// Panics if `day >= n_days()`.
    #[inline]
    pub fn is_extra_holiday(&self, day: usize) -> bool {
        self.flags[day] & EXTRA_HOLIDAY != 0
    }

    /// True if day `day` is inside the festive period. Panics if `day >= n_days()`.
    #[inline]
    pub fn is_festive(&self, day: usize) -> bool {
        self.flags[day] & FESTIVE != 0
    }

    /// The index of day `day`'s calendar month: 0 for the start date's month, 1 for
    /// the next, and so on. Panics if `day >= n_days()`.
    #[inline]
    pub fn month_index(&self, day: usize) -> usize {
        self.month_of_day[day] as usize
    }

    /// The number of calendar months touched by days `0..n_days()` (0 if `n_days()`
    /// is 0).
    #[inline]
    pub fn n_months(&self) -> usize {
        self.months.len()
    }

    /// The calendar month with index `index`. Panics if `index >= n_months()`.
    #[inline]
    pub fn month(&self, index: usize) -> YearMonth {
        self.months[index]
    }

    /// The simulation days of month `index` that lie inside `0..n_days()` (the first
    /// and last months may be partial). Panics if `index >= n_months()`.
    #[inline]
    pub fn month_day_range(&self, index: usize) -> Range<usize> {
        self.month_starts[index]..self.month_starts[index + 1]
    }

    /// The index of the Monday-based week containing day `day`: 0 for the week
    /// containing the start date, increasing by one each Monday. Panics if
    /// `day >= n_days()`.
    #[inline]
    pub fn week_index(&self, day: usize) -> usize {
        self.week_of_day[day] as usize
    }

    /// The number of weeks touched by days `0..n_days()` (0 if `n_days()` is 0).
    #[inline]
    pub fn n_weeks(&self) -> usize {
        self.week_working.len()
    }

    /// The number of working days in week `week`: the full Monday to Friday of that
    /// week, including days before the start or after the horizon, minus bank and
    /// extra holidays. Panics if `week >= n_weeks()`.
    #[inline]
    pub fn working_days_in_week(&self, week: usize) -> usize {
        usize::from(self.week_working[week])
    }

    /// The day index of `date`, or `None` when it is outside `0..n_days()`.
    #[inline]
    pub fn day_of(&self, date: Date) -> Option<usize> {
        let d = date.days_since_epoch() - self.start_days;
        usize::try_from(d).ok().filter(|&d| d < self.n_days)
    }

    /// The number of days from `start` to `end_inclusive`, both counted: `end - start + 1`
    /// (0 or negative if `end_inclusive` is before `start`).
    #[inline]
    pub fn days_between(start: Date, end_inclusive: Date) -> i64 {
        end_inclusive.days_since_epoch() - start.days_since_epoch() + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap_or_else(|| panic!("bad test date {s}"))
    }

    fn ds(list: &[&str]) -> Vec<Date> {
        list.iter().map(|s| d(s)).collect()
    }

    #[test]
    fn epoch_round_trip_1900_to_2100() {
        let mut expected = Date::new(1900, 1, 1).unwrap().days_since_epoch();
        let mut count = 0;
        for year in 1900..=2100 {
            for month in 1..=12u8 {
                for day in 1..=Date::days_in_month(year, month) {
                    let date = Date::new(year, month, day).unwrap();
                    let n = date.days_since_epoch();
                    assert_eq!(n, expected, "{date}");
                    assert_eq!(Date::from_days_since_epoch(n), date);
                    assert_eq!(date.add_days(1).add_days(-1), date);
                    expected += 1;
                    count += 1;
                }
            }
        }
        assert_eq!(count, 73_414);
        assert_eq!(Date::new(1970, 1, 1).unwrap().days_since_epoch(), 0);
        assert_eq!(d("1969-12-31").days_since_epoch(), -1);
        assert_eq!(d("2000-03-01").days_since_epoch(), 11_017);
        assert_eq!(Date::from_days_since_epoch(-719_468), d("0000-03-01"));
    }

    #[test]
    fn weekdays() {
        assert_eq!(d("2024-10-01").weekday(), Weekday::Tue);
        assert_eq!(d("1970-01-01").weekday(), Weekday::Thu);
        assert_eq!(d("1969-12-29").weekday(), Weekday::Mon);
        assert_eq!(d("2026-12-26").weekday(), Weekday::Sat);
        assert_eq!(d("2027-12-25").weekday(), Weekday::Sat);
        assert_eq!(d("2000-01-01").weekday(), Weekday::Sat);
    }

    #[test]
    fn validity_and_parse() {
        assert!(Date::new(2000, 2, 29).is_some());
        assert!(Date::new(1900, 2, 29).is_none());
        assert!(Date::new(2024, 2, 29).is_some());
        assert!(Date::new(2025, 2, 29).is_none());
        assert!(Date::new(2025, 4, 31).is_none());
        assert!(Date::new(2025, 13, 1).is_none());
        assert!(Date::new(2025, 0, 1).is_none());
        assert!(Date::new(2025, 1, 0).is_none());
        assert_eq!(Date::days_in_month(2025, 13), 0);

        assert_eq!(
            Date::parse("2024-10-01"),
            Some(Date {
                year: 2024,
                month: 10,
                day: 1
            })
        );
        for bad in [
            "2024-1-01",
            "2024-10-1",
            "24-10-01",
            "2024-02-30",
            "+024-10-01",
            " 2024-10-01",
            "2024-10-01 ",
            "2024/10/01",
            "2024-1a-01",
            "",
            "２024-10-01",
        ] {
            assert_eq!(Date::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn display_and_month_helpers() {
        assert_eq!(d("2024-03-05").to_string(), "2024-03-05");
        assert_eq!(d("0987-12-31").to_string(), "0987-12-31");
        let ym = YearMonth::of(d("2025-03-17"));
        assert_eq!(ym.to_string(), "2025-03");
        assert_eq!(ym.first_day(), d("2025-03-01"));
        assert_eq!(ym.days(), 31);
        assert_eq!(YearMonth::of(d("2024-12-01")).next().to_string(), "2025-01");
        assert_eq!(YearMonth::of(d("2024-02-10")).days(), 29);
        assert_eq!(d("2024-02-10").first_of_month(), d("2024-02-01"));
        assert_eq!(
            Calendar::days_between(d("2024-10-01"), d("2026-03-31")),
            547
        );
        assert_eq!(Calendar::days_between(d("2024-10-01"), d("2024-10-01")), 1);
    }

    #[test]
    fn easter() {
        for (y, s) in [
            (2019, "2019-04-21"),
            (2038, "2038-04-25"),
            (2024, "2024-03-31"),
            (2025, "2025-04-20"),
            (2000, "2000-04-23"),
            (1818, "1818-03-22"),
            (1943, "1943-04-25"),
            (2285, "2285-03-22"),
        ] {
            assert_eq!(easter_sunday(y), d(s), "{y}");
        }
    }

    #[test]
    fn bank_holidays_2024_to_2027() {
        let cases: [(i32, [&str; 8]); 4] = [
            (
                2024,
                [
                    "2024-01-01",
                    "2024-03-29",
                    "2024-04-01",
                    "2024-05-06",
                    "2024-05-27",
                    "2024-08-26",
                    "2024-12-25",
                    "2024-12-26",
                ],
            ),
            (
                2025,
                [
                    "2025-01-01",
                    "2025-04-18",
                    "2025-04-21",
                    "2025-05-05",
                    "2025-05-26",
                    "2025-08-25",
                    "2025-12-25",
                    "2025-12-26",
                ],
            ),
            (
                2026,
                [
                    "2026-01-01",
                    "2026-04-03",
                    "2026-04-06",
                    "2026-05-04",
                    "2026-05-25",
                    "2026-08-31",
                    "2026-12-25",
                    "2026-12-28",
                ],
            ),
            (
                2027,
                [
                    "2027-01-01",
                    "2027-03-26",
                    "2027-03-29",
                    "2027-05-03",
                    "2027-05-31",
                    "2027-08-30",
                    "2027-12-27",
                    "2027-12-28",
                ],
            ),
        ];
        for (year, list) in cases {
            assert_eq!(england_bank_holidays(year), ds(&list), "{year}");
        }
    }

    #[test]
    fn bank_holidays_one_offs_and_substitutes() {
        assert_eq!(
            england_bank_holidays(2020),
            ds(&[
                "2020-01-01",
                "2020-04-10",
                "2020-04-13",
                "2020-05-08",
                "2020-05-25",
                "2020-08-31",
                "2020-12-25",
                "2020-12-28",
            ])
        );
        assert_eq!(
            england_bank_holidays(2021),
            ds(&[
                "2021-01-01",
                "2021-04-02",
                "2021-04-05",
                "2021-05-03",
                "2021-05-31",
                "2021-08-30",
                "2021-12-27",
                "2021-12-28",
            ])
        );
        // New Year Saturday -> Mon 3 Jan; Christmas Sunday -> Boxing Mon 26, Tue 27.
        assert_eq!(
            england_bank_holidays(2022),
            ds(&[
                "2022-01-03",
                "2022-04-15",
                "2022-04-18",
                "2022-05-02",
                "2022-06-02",
                "2022-06-03",
                "2022-08-29",
                "2022-09-19",
                "2022-12-26",
                "2022-12-27",
            ])
        );
        // New Year Sunday -> Mon 2 Jan; coronation Mon 8 May.
        assert_eq!(
            england_bank_holidays(2023),
            ds(&[
                "2023-01-02",
                "2023-04-07",
                "2023-04-10",
                "2023-05-01",
                "2023-05-08",
                "2023-05-29",
                "2023-08-28",
                "2023-12-25",
                "2023-12-26",
            ])
        );
        for year in 1990..2100 {
            let list = england_bank_holidays(year);
            assert!(list.windows(2).all(|w| w[0] < w[1]), "{year}");
            assert!(
                list.iter()
                    .all(|h| !h.weekday().is_weekend() && h.year == year),
                "{year}"
            );
        }
    }

    fn sim() -> Calendar {
        Calendar::new(d("2024-10-01"), 547, &[], ((12, 24), (1, 1)))
    }

    #[test]
    fn calendar_months() {
        let cal = sim();
        assert_eq!(cal.start(), d("2024-10-01"));
        assert_eq!(cal.n_days(), 547);
        assert_eq!(cal.date(546), d("2026-03-31"));
        assert_eq!(cal.n_months(), 18);
        assert_eq!(cal.month(0).to_string(), "2024-10");
        assert_eq!(cal.month(3).to_string(), "2025-01");
        assert_eq!(cal.month(17).to_string(), "2026-03");
        assert_eq!(cal.month_day_range(0), 0..31);
        assert_eq!(cal.month_day_range(1), 31..61);
        let march = cal.day_of(d("2026-03-01")).unwrap();
        assert_eq!(cal.month_day_range(17), march..547);
        assert_eq!(cal.month_day_range(17).len(), 31);
        let mut covered = 0;
        for m in 0..cal.n_months() {
            let r = cal.month_day_range(m);
            assert_eq!(r.start, covered);
            for day in r.clone() {
                assert_eq!(cal.month_index(day), m);
                assert_eq!(YearMonth::of(cal.date(day)), cal.month(m));
            }
            covered = r.end;
        }
        assert_eq!(covered, 547);

        // A partial first month.
        let cal = Calendar::new(d("2024-10-15"), 20, &[], ((12, 24), (1, 1)));
        assert_eq!(cal.n_months(), 2);
        assert_eq!(cal.month_day_range(0), 0..17);
        assert_eq!(cal.month_day_range(1), 17..20);
    }

    #[test]
    fn calendar_days() {
        let cal = sim();
        let xmas = cal.day_of(d("2024-12-25")).unwrap();
        assert!(!cal.is_working_day(xmas));
        assert!(cal.is_bank_holiday(xmas));
        assert!(cal.is_working_day(0));
        assert!(!cal.is_bank_holiday(0));
        let sat = cal.day_of(d("2024-10-05")).unwrap();
        assert!(!cal.is_working_day(sat));
        assert!(!cal.is_bank_holiday(sat));
        let good_friday = cal.day_of(d("2025-04-18")).unwrap();
        assert!(!cal.is_working_day(good_friday));

        for day in 0..cal.n_days() {
            let date = cal.date(day);
            let inside = (date >= d("2024-12-24") && date <= d("2025-01-01"))
                || (date >= d("2025-12-24") && date <= d("2026-01-01"));
            assert_eq!(cal.is_festive(day), inside, "{date}");
            assert_eq!(cal.day_of(date), Some(day));
        }
        assert!(cal.is_festive(cal.day_of(d("2024-12-24")).unwrap()));
        assert!(cal.is_festive(cal.day_of(d("2025-01-01")).unwrap()));
        assert!(!cal.is_festive(cal.day_of(d("2024-12-23")).unwrap()));
        assert!(!cal.is_festive(cal.day_of(d("2025-01-02")).unwrap()));

        let october = cal.month_day_range(0);
        assert_eq!(october.filter(|&day| cal.is_working_day(day)).count(), 23);

        assert_eq!(cal.day_of(d("2024-09-30")), None);
        assert_eq!(cal.day_of(d("2026-04-01")), None);
        assert_eq!(cal.day_of(d("2026-03-31")), Some(546));
    }

    #[test]
    fn calendar_weeks() {
        let cal = sim();
        // 2024-10-01 is a Tuesday: week 0 runs Mon 30 Sept to Sun 6 Oct.
        assert_eq!(cal.week_index(0), 0);
        assert_eq!(cal.week_index(5), 0); // Sun 6 Oct
        assert_eq!(cal.week_index(6), 1); // Mon 7 Oct
        assert_eq!(cal.working_days_in_week(0), 5); // counts Mon 30 Sept
        let xmas_week = cal.week_index(cal.day_of(d("2024-12-23")).unwrap());
        assert_eq!(xmas_week, 12);
        assert_eq!(cal.working_days_in_week(xmas_week), 3);
        // Last week: Mon 30 Mar 2026 to Fri 3 Apr 2026 (Good Friday, past the horizon).
        let last = cal.week_index(546);
        assert_eq!(last, cal.n_weeks() - 1);
        assert_eq!(cal.n_weeks(), 79);
        assert_eq!(cal.working_days_in_week(last), 4);
        for day in 1..cal.n_days() {
            let step = cal.week_index(day) - cal.week_index(day - 1);
            let monday = cal.date(day).weekday() == Weekday::Mon;
            assert_eq!(step, usize::from(monday));
        }
    }

    #[test]
    fn calendar_extra_holidays_and_festive_forms() {
        let extra = [d("2024-10-15"), d("2024-10-19"), d("2030-01-01")];
        let cal = Calendar::new(d("2024-10-01"), 31, &extra, ((12, 24), (1, 1)));
        let day = cal.day_of(d("2024-10-15")).unwrap();
        assert!(!cal.is_working_day(day));
        assert!(!cal.is_bank_holiday(day));
        assert!(cal.is_extra_holiday(day));
        let october = cal.month_day_range(0);
        assert_eq!(october.filter(|&d| cal.is_working_day(d)).count(), 22);
        assert_eq!(cal.working_days_in_week(cal.week_index(day)), 4);

        // A non-wrapping festive period.
        let cal = Calendar::new(d("2024-12-01"), 31, &[], ((12, 20), (12, 31)));
        assert!(!cal.is_festive(18));
        assert!(cal.is_festive(19));
        assert!(cal.is_festive(30));

        // A start on a Sunday at New Year: the first week's Monday is in the previous year.
        let cal = Calendar::new(d("2023-01-01"), 2, &[], ((12, 24), (1, 1)));
        assert_eq!(cal.n_weeks(), 2);
        assert_eq!(cal.working_days_in_week(0), 3); // Mon 26 and Tue 27 Dec 2022 are holidays
        assert_eq!(cal.working_days_in_week(1), 4); // Mon 2 Jan 2023 substitute

        let empty = Calendar::new(d("2024-10-01"), 0, &[], ((12, 24), (1, 1)));
        assert_eq!(empty.n_months(), 0);
        assert_eq!(empty.n_weeks(), 0);
        assert_eq!(empty.day_of(d("2024-10-01")), None);
    }

    #[test]
    #[should_panic]
    fn out_of_range_day_panics() {
        sim().is_working_day(547);
    }
}
