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

impl ExactSizeIterator for AssemblerIter<'_> {}

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

#[cfg(test)]
mod tests {
    use super::*;
    use std::format;
    use std::vec::Vec;

    fn ranges(assembler: &Assembler) -> Vec<(usize, usize)> {
        assembler.iter_data(0).collect()
    }

    #[test]
    fn in_order_data_is_available_at_the_front_and_removing_it_shifts_the_base() {
        let mut asm = Assembler::new();
        assert!(asm.is_empty());
        assert_eq!(asm.add(0, 4), Ok(()));
        assert_eq!(asm.add(10, 2), Ok(()));
        assert_eq!(asm.peek_front(), 4);
        assert_eq!(asm.remove_front(), 4);
        assert_eq!(ranges(&asm), [(6, 8)]);
        assert_eq!(asm.peek_front(), 0);
        assert_eq!(asm.remove_front(), 0);
        assert_eq!(ranges(&asm), [(6, 8)]);
    }

    #[test]
    fn overlapping_and_touching_ranges_merge_into_one() {
        let mut asm = Assembler::new();
        for (offset, size) in [(10, 2), (20, 5), (30, 1), (40, 3)] {
            assert_eq!(asm.add(offset, size), Ok(()));
        }
        assert_eq!(format!("{asm}"), "[ 10..12 20..25 30..31 40..43 ]");
        // Touching on the left, on the right, and an exact duplicate.
        assert_eq!(asm.add(8, 2), Ok(()));
        assert_eq!(asm.add(25, 1), Ok(()));
        assert_eq!(asm.add(30, 1), Ok(()));
        assert_eq!(ranges(&asm), [(8, 12), (20, 26), (30, 31), (40, 43)]);
        // One range spanning three islands and the holes between them.
        assert_eq!(asm.add(22, 19), Ok(()));
        assert_eq!(ranges(&asm), [(8, 12), (20, 43)]);
        // Filling the hole at the front joins everything.
        assert_eq!(asm.add(0, 20), Ok(()));
        assert_eq!(ranges(&asm), [(0, 43)]);
        assert_eq!(asm.add(5, 0), Ok(()));
        assert_eq!(asm.remove_front(), 43);
        assert!(asm.is_empty());
    }

    #[test]
    fn too_many_holes_is_refused_and_leaves_the_state_unchanged() {
        let mut asm = Assembler::new();
        for i in 0..ASSEMBLER_MAX_RANGES {
            assert_eq!(asm.add(i * 10 + 1, 5), Ok(()));
        }
        let before = asm.clone();
        assert_eq!(asm.add(1_000, 1), Err(TooManyHoles));
        assert_eq!(asm.add(8, 1), Err(TooManyHoles));
        assert_eq!(asm, before);
        // Data that touches an existing range still merges when the table is full.
        assert_eq!(asm.add(6, 2), Ok(()));
        assert_eq!(asm.add(0, 1), Ok(()));
        assert_eq!(asm.remove_front(), 8);
        assert_eq!(asm.iter_data(0).len(), ASSEMBLER_MAX_RANGES - 1);
        assert_eq!(asm.add(1_000, 1), Ok(()));
    }

    #[test]
    fn offsets_near_usize_max_saturate_instead_of_overflowing() {
        let mut asm = Assembler::new();
        assert_eq!(asm.add(usize::MAX - 2, 10), Ok(()));
        assert_eq!(asm.add(usize::MAX, usize::MAX), Ok(()));
        assert_eq!(ranges(&asm), [(usize::MAX - 2, usize::MAX)]);
        assert!(asm.overlaps(usize::MAX - 1, usize::MAX));
        assert!(asm.contains(usize::MAX - 2, 2));
        assert!(!asm.overlaps(0, usize::MAX - 2));
        assert_eq!(
            asm.iter_data(5).collect::<Vec<_>>(),
            [(usize::MAX, usize::MAX)]
        );
        assert_eq!(asm.add(0, usize::MAX), Ok(()));
        assert_eq!(asm.remove_front(), usize::MAX);
        assert!(asm.is_empty());
    }

    #[test]
    fn overlap_and_containment_distinguish_duplicates_from_partial_overlaps() {
        let mut asm = Assembler::new();
        assert_eq!(asm.add(8, 8), Ok(()));
        assert!(asm.contains(8, 8) && asm.contains(10, 2) && asm.contains(3, 0));
        assert!(!asm.contains(7, 2) && !asm.contains(15, 2));
        assert!(asm.overlaps(7, 2) && asm.overlaps(15, 2) && asm.overlaps(0, 100));
        assert!(!asm.overlaps(0, 8) && !asm.overlaps(16, 8) && !asm.overlaps(10, 0));
    }

    #[test]
    fn iter_data_offsets_every_range_for_sack_blocks() {
        let mut asm = Assembler::new();
        assert_eq!(asm.add(5, 5), Ok(()));
        assert_eq!(asm.add(20, 1), Ok(()));
        let blocks: Vec<_> = asm.iter_data(1_000).collect();
        assert_eq!(blocks, [(1_005, 1_010), (1_020, 1_021)]);
    }

    /// The runs of `true` in a bitmap, as half-open ranges.
    fn runs(bitmap: &[bool]) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut start = None;
        for (i, &bit) in bitmap.iter().chain([false].iter()).enumerate() {
            match (bit, start) {
                (true, None) => start = Some(i),
                (false, Some(s)) => {
                    out.push((s, i));
                    start = None;
                }
                _ => {}
            }
        }
        out
    }

    #[test]
    fn random_adds_and_front_removals_match_a_bitmap_of_received_bytes() {
        let mut state = 0x0123_4567_89ab_cdefu64;
        let mut below = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        let (mut refused, mut removed) = (0, 0);
        for _ in 0..300 {
            let mut asm = Assembler::new();
            let mut model = std::vec![false; 400];
            for _ in 0..200 {
                if below(16) == 0 {
                    let n = model.iter().take_while(|&&b| b).count();
                    assert_eq!(asm.peek_front(), n);
                    assert_eq!(asm.remove_front(), n);
                    model.drain(..n);
                    model.resize(400, false);
                    removed += n;
                } else {
                    // Small pieces over a wide window, so the range table often fills up.
                    let offset = if below(3) == 0 { below(20) } else { below(390) };
                    let size = below(4);
                    let (lo, hi) = (offset, offset + size);
                    assert_eq!(asm.overlaps(offset, size), model[lo..hi].iter().any(|&b| b));
                    let all = model[lo..hi].iter().all(|&b| b);
                    assert_eq!(asm.contains(offset, size), all);
                    let mut next = model.clone();
                    next[lo..hi].iter_mut().for_each(|b| *b = true);
                    match asm.add(offset, size) {
                        Ok(()) => model = next,
                        Err(TooManyHoles) => {
                            assert!(runs(&next).len() > ASSEMBLER_MAX_RANGES);
                            refused += 1;
                        }
                    }
                }
                assert_eq!(ranges(&asm), runs(&model));
            }
        }
        assert!(refused > 100 && removed > 1_000, "{refused} {removed}");
    }
}
