//! TCP sequence numbers: 32-bit values compared modulo 2^32 (RFC 9293 §3.4, RFC 1982).
//!
//! `a < b` means `b` is ahead of `a` by less than 2^31. Two numbers exactly 2^31 apart
//! are unordered, and `partial_cmp` says so with `None` rather than picking a side.

use core::cmp::Ordering;
use core::fmt;
use core::ops::{Add, AddAssign, Sub};

/// A TCP sequence or acknowledgment number. Arithmetic wraps; ordering is circular.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SeqNumber(pub u32);

impl SeqNumber {
    /// The signed distance from `earlier` to `self`: positive when `self` is ahead.
    /// Numbers exactly 2^31 apart give `i32::MIN`.
    pub const fn distance_from(self, earlier: SeqNumber) -> i32 {
        self.0.wrapping_sub(earlier.0) as i32
    }

    /// `self + n`, wrapping modulo 2^32.
    pub const fn wrapping_add(self, n: u32) -> SeqNumber {
        SeqNumber(self.0.wrapping_add(n))
    }

    /// `self - n`, wrapping modulo 2^32.
    pub const fn wrapping_sub(self, n: u32) -> SeqNumber {
        SeqNumber(self.0.wrapping_sub(n))
    }

    /// The number of octets from `earlier` up to `self`, or `None` if `self` is not ahead
    /// of (or equal to) `earlier`.
    pub fn bytes_since(self, earlier: SeqNumber) -> Option<usize> {
        let d = self.distance_from(earlier);
        if d >= 0 { Some(d as usize) } else { None }
    }

    /// Whether `self` lies in the half-open window `[start, start + len)`, compared
    /// modulo 2^32. A zero-length window contains nothing.
    pub fn in_window(self, start: SeqNumber, len: u32) -> bool {
        self.0.wrapping_sub(start.0) < len
    }

    /// The later of two numbers (the first one if unordered).
    pub fn max(self, other: SeqNumber) -> SeqNumber {
        if other > self { other } else { self }
    }

    /// The earlier of two numbers (the first one if unordered).
    pub fn min(self, other: SeqNumber) -> SeqNumber {
        if other < self { other } else { self }
    }
}

impl PartialOrd for SeqNumber {
    fn partial_cmp(&self, other: &SeqNumber) -> Option<Ordering> {
        match self.distance_from(*other) {
            0 => Some(Ordering::Equal),
            i32::MIN => None,
            d if d > 0 => Some(Ordering::Greater),
            _ => Some(Ordering::Less),
        }
    }
}

impl Add<usize> for SeqNumber {
    type Output = SeqNumber;
    /// Wraps modulo 2^32; lengths above 2^32 wrap too (no TCP segment is that long).
    fn add(self, rhs: usize) -> SeqNumber {
        SeqNumber(self.0.wrapping_add(rhs as u32))
    }
}

impl AddAssign<usize> for SeqNumber {
    fn add_assign(&mut self, rhs: usize) {
        *self = *self + rhs;
    }
}

impl Sub<usize> for SeqNumber {
    type Output = SeqNumber;
    /// Wraps modulo 2^32.
    fn sub(self, rhs: usize) -> SeqNumber {
        SeqNumber(self.0.wrapping_sub(rhs as u32))
    }
}

impl fmt::Display for SeqNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordering_survives_the_wrap_at_2_pow_32() {
        // CONFORMANCE A.0: sequence comparisons across the wrap, ISN 0xFFFFFF00.
        let isn = SeqNumber(0xffff_ff00);
        let later = isn + 0x200;
        assert_eq!(later, SeqNumber(0x100));
        assert!(later > isn);
        assert!(isn < later);
        assert_eq!(later.distance_from(isn), 0x200);
        assert_eq!(later.bytes_since(isn), Some(0x200));
        assert_eq!(isn.bytes_since(later), None);
        assert_eq!(isn.max(later), later);
        assert_eq!(later.min(isn), isn);
    }

    #[test]
    fn numbers_exactly_half_the_space_apart_are_unordered() {
        let a = SeqNumber(0);
        let b = SeqNumber(0x8000_0000);
        assert_eq!(a.partial_cmp(&b), None);
        assert_eq!(b.partial_cmp(&a), None);
        assert!(a.partial_cmp(&b).is_none() && a != b);
        let c = SeqNumber(0x7fff_ffff);
        assert!(c > a);
    }

    #[test]
    fn window_membership_is_half_open_and_wraps() {
        let start = SeqNumber(u32::MAX - 1);
        assert!(start.in_window(start, 4));
        assert!(SeqNumber(1).in_window(start, 4));
        assert!(!SeqNumber(2).in_window(start, 4));
        assert!(!start.in_window(start, 0));
        assert!(!(start - 1).in_window(start, 4));
    }
}
