//! Tracks which byte ranges past a base offset have arrived, for out-of-order TCP data
//! (RFC 9293 §3.10.7.4) and SACK blocks (RFC 2018), and for IP fragment reassembly
//! (RFC 791, RFC 8200 §4.5) including overlap detection (RFC 5722).
//!
//! The ranges live in a fixed array of [`ASSEMBLER_MAX_RANGES`] entries: no allocation,
//! and constant worst-case cost per call.

use core::fmt;

use super::TooManyHoles;

/// How many separate (non-touching) ranges of received data an [`Assembler`] can track.
/// Data arriving as a 33rd island is refused; the sender retransmits it later.
pub const ASSEMBLER_MAX_RANGES: usize = 32;

/// A set of received byte ranges, as offsets from a base that [`Assembler::remove_front`]
/// moves forward.
///
/// Ranges are kept sorted, non-empty, and merged whenever they overlap or touch, so a
/// `[start, end)` pair in the array always has a hole before and after it. Offsets come
/// from the wire: every sum saturates at `usize::MAX`, and no call panics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assembler {
    /// Sorted `(start, end)` half-open ranges; entries at `count..` are unused.
    ranges: [(usize, usize); ASSEMBLER_MAX_RANGES],
    count: usize,
}

impl Default for Assembler {
    fn default() -> Assembler {
        Assembler::new()
    }
}

impl Assembler {
    /// An assembler with nothing received.
    pub const fn new() -> Assembler {
        Assembler {
            ranges: [(0, 0); ASSEMBLER_MAX_RANGES],
            count: 0,
        }
    }

    /// The ranges in use, sorted.
    fn used(&self) -> &[(usize, usize)] {
        self.ranges.get(..self.count).unwrap_or_default()
    }

    /// Forgets everything received.
    pub fn clear(&mut self) {
        self.count = 0;
    }

    /// Whether nothing is recorded past the base offset.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Records that bytes `[offset, offset + size)` arrived, merging with every range it
    /// overlaps or touches. The end saturates at `usize::MAX`. If the data would form a
    /// new island when [`ASSEMBLER_MAX_RANGES`] ranges already exist, returns
    /// `Err(TooManyHoles)` and changes nothing. `size == 0` records nothing.
    pub fn add(&mut self, offset: usize, size: usize) -> Result<(), TooManyHoles> {
        if size == 0 {
            return Ok(());
        }
        let (start, end) = (offset, offset.saturating_add(size));
        let used = self.used();
        // First range that ends at or after `start` (touching counts as merging) and first
        // range that starts strictly after `end`: the ranges in between join the new one.
        let first = used
            .iter()
            .position(|&(_, e)| e >= start)
            .unwrap_or(used.len());
        let last = used
            .iter()
            .position(|&(s, _)| s > end)
            .unwrap_or(used.len());
        if first >= last {
            // An island between ranges (or past the last one).
            if self.count >= ASSEMBLER_MAX_RANGES {
                return Err(TooManyHoles);
            }
            self.insert(first, (start, end));
            return Ok(());
        }
        let (Some(&(first_start, _)), Some(&(_, last_end))) = (used.get(first), used.get(last - 1))
        else {
            return Ok(());
        };
        let merged = (start.min(first_start), end.max(last_end));
        if let Some(slot) = self.ranges.get_mut(first) {
            *slot = merged;
        }
        self.remove(first + 1, last - first - 1);
        Ok(())
    }

    /// Inserts `range` at `index`, shifting the later ranges up; caller checked the room.
    fn insert(&mut self, index: usize, range: (usize, usize)) {
        if let Some(tail) = self.ranges.get_mut(index..=self.count) {
            tail.rotate_right(1);
            if let Some(slot) = tail.first_mut() {
                *slot = range;
            }
            self.count += 1;
        }
    }

    /// Removes `n` ranges from `index`, shifting the later ranges down.
    fn remove(&mut self, index: usize, n: usize) {
        if n == 0 {
            return;
        }
        if let Some(tail) = self.ranges.get_mut(index..self.count) {
            let n = n.min(tail.len());
            tail.rotate_left(n);
            self.count -= n;
        }
    }

    /// How many contiguous bytes are available from offset 0 (0 if byte 0 has not
    /// arrived), without changing anything.
    pub fn peek_front(&self) -> usize {
        match self.used().first() {
            Some(&(0, end)) => end,
            _ => 0,
        }
    }

    /// Removes the contiguous run at offset 0 and returns its length (0 if byte 0 has not
    /// arrived); every remaining offset shifts down by that length, so offset 0 becomes
    /// the first byte not yet received. Costs one shift of the range array.
    pub fn remove_front(&mut self) -> usize {
        let taken = self.peek_front();
        if taken == 0 {
            return 0;
        }
        self.remove(0, 1);
        let count = self.count;
        for (start, end) in self.ranges.iter_mut().take(count) {
            // Later ranges start past a hole after `taken`, so this never saturates.
            *start = start.saturating_sub(taken);
            *end = end.saturating_sub(taken);
        }
        taken
    }

    /// Whether any byte of `[offset, offset + size)` was already received (IP reassembly
    /// drops a datagram whose fragments overlap, RFC 5722). `size == 0` never overlaps.
    pub fn overlaps(&self, offset: usize, size: usize) -> bool {
        let end = offset.saturating_add(size);
        size != 0 && self.used().iter().any(|&(s, e)| s < end && offset < e)
    }

    /// Whether every byte of `[offset, offset + size)` was already received (an exact
    /// duplicate). `size == 0` is always contained.
    pub fn contains(&self, offset: usize, size: usize) -> bool {
        let end = offset.saturating_add(size);
        size == 0 || self.used().iter().any(|&(s, e)| s <= offset && end <= e)
    }

    /// The received ranges as `(start, end)` half-open pairs, in order, with
    /// `first_offset` added to each (saturating): TCP passes the sequence offset of the
    /// assembler's base to build SACK blocks.
    pub fn iter_data(&self, first_offset: usize) -> AssemblerIter<'_> {
        AssemblerIter {
            ranges: self.used().iter(),
            first_offset,
        }
    }
}

/// Iterator over an [`Assembler`]'s received ranges; see [`Assembler::iter_data`].
#[derive(Debug, Clone)]
pub struct AssemblerIter<'a> {
    ranges: core::slice::Iter<'a, (usize, usize)>,
    first_offset: usize,
}

impl Iterator for AssemblerIter<'_> {
    type Item = (usize, usize);

    fn next(&mut self) -> Option<(usize, usize)> {
        let &(start, end) = self.ranges.next()?;
        Some((
            start.saturating_add(self.first_offset),
            end.saturating_add(self.first_offset),
        ))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.ranges.size_hint()
    }
}

impl fmt::Display for Assembler {
    /// The received ranges, e.g. `[ 0..4 6..10 ]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[ ")?;
        for &(start, end) in self.used() {
            write!(f, "{start}..{end} ")?;
        }
        f.write_str("]")
    }
}
