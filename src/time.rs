//! Time as the stack sees it: an [`Instant`] on the caller's clock and a [`Duration`],
//! both in microseconds.
//!
//! Nothing in the core reads a clock. The caller passes `now` into every call that may
//! act on time; `skiff-phy::Clock` converts `std::time::Instant` for real programs, and the
//! simulator drives a virtual clock. Arithmetic operators saturate instead of panicking;
//! `checked_*` variants say when a result does not fit.

use core::fmt;
use core::ops::{Add, AddAssign, Div, Mul, Sub, SubAssign};

/// A point in time, in microseconds since an epoch the caller chose (often boot).
///
/// Signed so that differences and virtual clocks that start at zero need no special
/// cases; an `Instant` is only ever compared with others from the same clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Instant {
    micros: i64,
}

/// A span of time in microseconds. Never negative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration {
    micros: u64,
}

impl Instant {
    /// The clock's epoch.
    pub const ZERO: Instant = Instant { micros: 0 };
    /// The latest representable instant; useful as "never" in deadline arithmetic.
    pub const MAX: Instant = Instant { micros: i64::MAX };

    /// An instant `micros` microseconds after the epoch.
    pub const fn from_micros(micros: i64) -> Instant {
        Instant { micros }
    }

    /// An instant `millis` milliseconds after the epoch (saturating).
    pub const fn from_millis(millis: i64) -> Instant {
        Instant {
            micros: millis.saturating_mul(1_000),
        }
    }

    /// An instant `secs` seconds after the epoch (saturating).
    pub const fn from_secs(secs: i64) -> Instant {
        Instant {
            micros: secs.saturating_mul(1_000_000),
        }
    }

    /// Microseconds since the epoch.
    pub const fn total_micros(self) -> i64 {
        self.micros
    }

    /// Whole milliseconds since the epoch (rounded towards zero).
    pub const fn total_millis(self) -> i64 {
        self.micros / 1_000
    }

    /// Whole seconds since the epoch (rounded towards zero).
    pub const fn secs(self) -> i64 {
        self.micros / 1_000_000
    }

    /// The microsecond part within the current second, `0..1_000_000`
    /// (for negative instants, the distance below the next whole second is not used:
    /// this is `total_micros().rem_euclid(1_000_000)`).
    pub const fn subsec_micros(self) -> u32 {
        self.micros.rem_euclid(1_000_000) as u32
    }

    /// `self + d`, or `None` if it does not fit.
    pub fn checked_add(self, d: Duration) -> Option<Instant> {
        let d = i64::try_from(d.micros).ok()?;
        self.micros.checked_add(d).map(Instant::from_micros)
    }

    /// `self - d`, or `None` if it does not fit.
    pub fn checked_sub(self, d: Duration) -> Option<Instant> {
        let d = i64::try_from(d.micros).ok()?;
        self.micros.checked_sub(d).map(Instant::from_micros)
    }

    /// `self + d`, clamped to [`Instant::MAX`].
    pub fn saturating_add(self, d: Duration) -> Instant {
        self.checked_add(d).unwrap_or(Instant::MAX)
    }

    /// `self - d`, clamped to the smallest representable instant.
    pub fn saturating_sub(self, d: Duration) -> Instant {
        self.checked_sub(d).unwrap_or(Instant { micros: i64::MIN })
    }

    /// The time from `earlier` to `self`, or [`Duration::ZERO`] if `earlier` is later.
    pub fn saturating_duration_since(self, earlier: Instant) -> Duration {
        Duration::from_micros(self.micros.saturating_sub(earlier.micros).max(0) as u64)
    }

    /// The time from `earlier` to `self`, or `None` if `earlier` is later.
    pub fn checked_duration_since(self, earlier: Instant) -> Option<Duration> {
        let diff = self.micros.checked_sub(earlier.micros)?;
        u64::try_from(diff).ok().map(Duration::from_micros)
    }
}

impl fmt::Display for Instant {
    /// Seconds with six decimals, e.g. `12.000345s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.micros < 0 { "-" } else { "" };
        let abs = self.micros.unsigned_abs();
        write!(f, "{sign}{}.{:06}s", abs / 1_000_000, abs % 1_000_000)
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;
    /// Saturating: an instant past the end of time is [`Instant::MAX`].
    fn add(self, rhs: Duration) -> Instant {
        self.saturating_add(rhs)
    }
}

impl AddAssign<Duration> for Instant {
    fn add_assign(&mut self, rhs: Duration) {
        *self = *self + rhs;
    }
}

impl Sub<Duration> for Instant {
    type Output = Instant;
    /// Saturating at the smallest representable instant.
    fn sub(self, rhs: Duration) -> Instant {
        self.saturating_sub(rhs)
    }
}

impl SubAssign<Duration> for Instant {
    fn sub_assign(&mut self, rhs: Duration) {
        *self = *self - rhs;
    }
}

impl Sub<Instant> for Instant {
    type Output = Duration;
    /// The time between two instants, [`Duration::ZERO`] if `rhs` is later.
    fn sub(self, rhs: Instant) -> Duration {
        self.saturating_duration_since(rhs)
    }
}

impl Duration {
    /// No time at all.
    pub const ZERO: Duration = Duration { micros: 0 };
    /// The longest representable span.
    pub const MAX: Duration = Duration { micros: u64::MAX };

    /// A span of `micros` microseconds.
    pub const fn from_micros(micros: u64) -> Duration {
        Duration { micros }
    }

    /// A span of `millis` milliseconds (saturating).
    pub const fn from_millis(millis: u64) -> Duration {
        Duration {
            micros: millis.saturating_mul(1_000),
        }
    }

    /// A span of `secs` seconds (saturating).
    pub const fn from_secs(secs: u64) -> Duration {
        Duration {
            micros: secs.saturating_mul(1_000_000),
        }
    }

    /// Length in microseconds.
    pub const fn total_micros(self) -> u64 {
        self.micros
    }

    /// Length in whole milliseconds (rounded down).
    pub const fn total_millis(self) -> u64 {
        self.micros / 1_000
    }

    /// Length in whole seconds (rounded down).
    pub const fn secs(self) -> u64 {
        self.micros / 1_000_000
    }

    /// `self + rhs`, or `None` on overflow.
    pub const fn checked_add(self, rhs: Duration) -> Option<Duration> {
        match self.micros.checked_add(rhs.micros) {
            Some(micros) => Some(Duration { micros }),
            None => None,
        }
    }

    /// `self - rhs`, or `None` if `rhs` is longer.
    pub const fn checked_sub(self, rhs: Duration) -> Option<Duration> {
        match self.micros.checked_sub(rhs.micros) {
            Some(micros) => Some(Duration { micros }),
            None => None,
        }
    }

    /// `self * rhs`, or `None` on overflow.
    pub const fn checked_mul(self, rhs: u32) -> Option<Duration> {
        match self.micros.checked_mul(rhs as u64) {
            Some(micros) => Some(Duration { micros }),
            None => None,
        }
    }

    /// `self + rhs`, clamped to [`Duration::MAX`].
    pub const fn saturating_add(self, rhs: Duration) -> Duration {
        Duration {
            micros: self.micros.saturating_add(rhs.micros),
        }
    }

    /// `self - rhs`, clamped to [`Duration::ZERO`].
    pub const fn saturating_sub(self, rhs: Duration) -> Duration {
        Duration {
            micros: self.micros.saturating_sub(rhs.micros),
        }
    }

    /// `self * rhs`, clamped to [`Duration::MAX`].
    pub const fn saturating_mul(self, rhs: u32) -> Duration {
        Duration {
            micros: self.micros.saturating_mul(rhs as u64),
        }
    }
}

impl fmt::Display for Duration {
    /// The largest unit that keeps it readable: `250us`, `1.500ms`, `3.000250s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let us = self.micros;
        if us < 1_000 {
            write!(f, "{us}us")
        } else if us < 1_000_000 {
            write!(f, "{}.{:03}ms", us / 1_000, us % 1_000)
        } else {
            write!(f, "{}.{:06}s", us / 1_000_000, us % 1_000_000)
        }
    }
}

impl Add for Duration {
    type Output = Duration;
    /// Saturating.
    fn add(self, rhs: Duration) -> Duration {
        self.saturating_add(rhs)
    }
}

impl AddAssign for Duration {
    fn add_assign(&mut self, rhs: Duration) {
        *self = *self + rhs;
    }
}

impl Sub for Duration {
    type Output = Duration;
    /// Saturating at zero.
    fn sub(self, rhs: Duration) -> Duration {
        self.saturating_sub(rhs)
    }
}

impl SubAssign for Duration {
    fn sub_assign(&mut self, rhs: Duration) {
        *self = *self - rhs;
    }
}

impl Mul<u32> for Duration {
    type Output = Duration;
    /// Saturating.
    fn mul(self, rhs: u32) -> Duration {
        self.saturating_mul(rhs)
    }
}

impl Div<u32> for Duration {
    type Output = Duration;
    /// Division by zero gives [`Duration::MAX`] rather than a panic.
    fn div(self, rhs: u32) -> Duration {
        match self.micros.checked_div(rhs as u64) {
            Some(micros) => Duration { micros },
            None => Duration::MAX,
        }
    }
}

impl From<core::time::Duration> for Duration {
    /// Saturating at [`Duration::MAX`]; sub-microsecond parts are dropped.
    fn from(d: core::time::Duration) -> Duration {
        Duration {
            micros: u64::try_from(d.as_micros()).unwrap_or(u64::MAX),
        }
    }
}

impl From<Duration> for core::time::Duration {
    fn from(d: Duration) -> core::time::Duration {
        core::time::Duration::from_micros(d.micros)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::format;

    #[test]
    fn instant_plus_duration_saturates_instead_of_overflowing() {
        assert_eq!(Instant::MAX + Duration::from_secs(1), Instant::MAX);
        assert_eq!(
            Instant::from_micros(i64::MAX - 1).checked_add(Duration::from_micros(2)),
            None
        );
        assert_eq!(Instant::ZERO.checked_add(Duration::MAX), None);
    }

    #[test]
    fn instant_difference_never_goes_negative() {
        let a = Instant::from_millis(10);
        let b = Instant::from_millis(25);
        assert_eq!(b - a, Duration::from_millis(15));
        assert_eq!(a - b, Duration::ZERO);
        assert_eq!(a.checked_duration_since(b), None);
        assert_eq!(b.checked_duration_since(a), Some(Duration::from_millis(15)));
    }

    #[test]
    fn duration_arithmetic_is_saturating_and_checked() {
        assert_eq!(
            Duration::from_micros(5) - Duration::from_micros(7),
            Duration::ZERO
        );
        assert_eq!(Duration::MAX + Duration::from_micros(1), Duration::MAX);
        assert_eq!(Duration::MAX.checked_mul(2), None);
        assert_eq!(Duration::from_millis(3) * 2, Duration::from_millis(6));
        assert_eq!(Duration::from_secs(1) / 4, Duration::from_millis(250));
        assert_eq!(Duration::from_secs(1) / 0, Duration::MAX);
        assert_eq!(Duration::from_millis(u64::MAX), Duration::MAX);
    }

    #[test]
    fn units_convert_exactly() {
        assert_eq!(Instant::from_secs(2).total_micros(), 2_000_000);
        assert_eq!(Instant::from_micros(2_345_678).total_millis(), 2_345);
        assert_eq!(Instant::from_micros(2_345_678).secs(), 2);
        assert_eq!(Instant::from_micros(2_345_678).subsec_micros(), 345_678);
        assert_eq!(Duration::from_micros(1_999).total_millis(), 1);
        let std_d = core::time::Duration::from_nanos(1_500_999);
        assert_eq!(Duration::from(std_d), Duration::from_micros(1_500));
    }

    #[test]
    fn display_uses_readable_units() {
        assert_eq!(
            format!("{}", Instant::from_micros(12_000_345)),
            "12.000345s"
        );
        assert_eq!(
            format!("{}", Instant::from_micros(-1_500_000)),
            "-1.500000s"
        );
        assert_eq!(format!("{}", Duration::from_micros(250)), "250us");
        assert_eq!(format!("{}", Duration::from_micros(1_500)), "1.500ms");
        assert_eq!(format!("{}", Duration::from_micros(3_000_250)), "3.000250s");
    }
}
