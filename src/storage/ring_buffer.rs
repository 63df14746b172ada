//! A fixed-capacity FIFO ring over caller-provided storage, the receive and send queues
//! of stream sockets.
//!
//! Besides FIFO element and slice operations it offers the zero-copy closures behind
//! `send_with`/`recv_with`, and random access into both the queued data (TCP
//! retransmission reads unacknowledged bytes at an offset) and the free space past the
//! end (TCP places out-of-order segments there before they become contiguous).

use core::cmp;
use core::ops::Range;

use managed::ManagedSlice;

use super::{Empty, Full};

/// A FIFO ring of `T` over storage fixed at construction.
///
/// The read position only moves when data is dequeued (or on [`RingBuffer::clear`]), so
/// bytes placed past the end with [`RingBuffer::write_unallocated`] stay where they were
/// written across any number of enqueues and dequeues. No operation allocates, and none
/// panics: requests beyond what fits are cut short, and a zero-capacity ring is always
/// both empty and full.
#[derive(Debug)]
pub struct RingBuffer<'a, T: 'a> {
    storage: ManagedSlice<'a, T>,
    /// Index of the oldest element; `< capacity`, or 0 when the capacity is 0.
    read_at: usize,
    /// Number of queued elements; `<= capacity`.
    length: usize,
}

/// The storage index `by` elements after `pos` in a ring of `cap` elements.
///
/// `pos` must be `< cap` (or anything when `cap == 0`); `by` may be any value. Written so
/// that nothing overflows even for rings of `usize::MAX` zero-sized elements.
fn advance(pos: usize, by: usize, cap: usize) -> usize {
    if cap == 0 {
        return 0;
    }
    let by = by % cap;
    let until_end = cap.saturating_sub(pos);
    if by >= until_end {
        by - until_end
    } else {
        pos + by
    }
}

/// Copies as much of `src` as fits into the front of `dst`; returns the count copied.
fn copy_prefix<T: Copy>(dst: &mut [T], src: &[T]) -> usize {
    let n = cmp::min(dst.len(), src.len());
    if let (Some(d), Some(s)) = (dst.get_mut(..n), src.get(..n)) {
        d.copy_from_slice(s);
    }
    n
}

impl<'a, T: 'a> RingBuffer<'a, T> {
    /// A ring over `storage`; its length is the capacity, and it starts empty. The
    /// current contents of `storage` are ignored (they are overwritten as data arrives).
    pub fn new<S: Into<ManagedSlice<'a, T>>>(storage: S) -> RingBuffer<'a, T> {
        RingBuffer {
            storage: storage.into(),
            read_at: 0,
            length: 0,
        }
    }

    /// The number of elements the ring can hold; fixed for its lifetime.
    pub fn capacity(&self) -> usize {
        self.storage.len()
    }

    /// The number of elements queued.
    pub fn len(&self) -> usize {
        self.length
    }

    /// The free space: how many more elements fit (in up to two pieces).
    pub fn window(&self) -> usize {
        self.capacity().saturating_sub(self.length)
    }

    /// The free space reachable without wrapping: the most a single
    /// [`RingBuffer::enqueue_many`] can hand out right now.
    pub fn contiguous_window(&self) -> usize {
        let write_at = advance(self.read_at, self.length, self.capacity());
        cmp::min(self.window(), self.capacity().saturating_sub(write_at))
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.length == 0
    }

    /// Whether no more elements fit (always true for a zero-capacity ring).
    pub fn is_full(&self) -> bool {
        self.window() == 0
    }

    /// Forgets every queued element and moves the read position back to the start of the
    /// storage, so the whole capacity is contiguous again. Touches no element.
    pub fn clear(&mut self) {
        self.read_at = 0;
        self.length = 0;
    }

    /// Appends one element, or `Err(Full)` when there is no room.
    pub fn enqueue_one(&mut self, value: T) -> Result<(), Full> {
        if self.is_full() {
            return Err(Full);
        }
        let at = advance(self.read_at, self.length, self.capacity());
        let slot = self.storage.get_mut(at).ok_or(Full)?;
        *slot = value;
        self.length += 1;
        Ok(())
    }

    /// Calls `f` with the largest contiguous free region at the end of the queue; `f`
    /// fills a prefix of it and returns how many elements it wrote (cut to the region's
    /// length if larger) and a result of its own. Those elements become queued. Zero
    /// copy: this is how a socket's `send_with` writes straight into the ring. The
    /// region may be shorter than [`RingBuffer::window`] when the free space wraps; call
    /// again for the rest.
    pub fn enqueue_many_with<'b, R, F>(&'b mut self, f: F) -> (usize, R)
    where
        F: FnOnce(&'b mut [T]) -> (usize, R),
    {
        let cap = self.capacity();
        let write_at = advance(self.read_at, self.length, cap);
        let size = cmp::min(self.window(), cap.saturating_sub(write_at));
        let region = self
            .storage
            .get_mut(write_at..write_at.saturating_add(size))
            .unwrap_or_default();
        let (written, result) = f(region);
        let written = cmp::min(written, size);
        self.length += written;
        (written, result)
    }

    /// Reserves the largest contiguous free run of at most `max` elements at the end and
    /// counts it as queued; returns its storage range.
    fn reserve_back(&mut self, max: usize) -> Range<usize> {
        let write_at = advance(self.read_at, self.length, self.capacity());
        let size = cmp::min(max, self.contiguous_window());
        self.length += size;
        write_at..write_at.saturating_add(size)
    }

    /// Counts up to `max` elements of contiguous free space as queued and returns them for
    /// the caller to fill; their current contents are whatever the storage held. Returns
    /// fewer than `max` (possibly none) when the free space is shorter or wraps.
    pub fn enqueue_many(&mut self, max: usize) -> &mut [T] {
        let range = self.reserve_back(max);
        self.storage.get_mut(range).unwrap_or_default()
    }

    /// Calls `f` with the largest contiguous run of queued elements from the front; `f`
    /// returns how many it consumed (cut to the run's length if larger) and a result of
    /// its own. Those elements are dequeued. Zero copy: this is how a socket's
    /// `recv_with` reads straight from the ring. The run may be shorter than
    /// [`RingBuffer::len`] when the data wraps; call again for the rest.
    pub fn dequeue_many_with<'b, R, F>(&'b mut self, f: F) -> (usize, R)
    where
        F: FnOnce(&'b [T]) -> (usize, R),
    {
        let cap = self.capacity();
        let read_at = self.read_at;
        let size = cmp::min(self.length, cap.saturating_sub(read_at));
        let data = self
            .storage
            .get(read_at..read_at.saturating_add(size))
            .unwrap_or_default();
        let (consumed, result) = f(data);
        let consumed = cmp::min(consumed, size);
        self.read_at = advance(read_at, consumed, cap);
        self.length -= consumed;
        (consumed, result)
    }

    /// Dequeues the longest contiguous run of at most `max` elements from the front;
    /// returns its storage range.
    fn take_front(&mut self, max: usize) -> Range<usize> {
        let cap = self.capacity();
        let start = self.read_at;
        let size = cmp::min(max, cmp::min(self.length, cap.saturating_sub(start)));
        self.read_at = advance(start, size, cap);
        self.length -= size;
        start..start.saturating_add(size)
    }

    /// Dequeues up to `max` contiguous elements from the front and returns them (valid
    /// until the next mutation). Returns fewer than `max` when the data is shorter or
    /// wraps; call again for the rest.
    pub fn dequeue_many(&mut self, max: usize) -> &[T] {
        let range = self.take_front(max);
        self.storage.get(range).unwrap_or_default()
    }

    /// As [`RingBuffer::dequeue_many`], but the returned elements are mutable (the
    /// packet buffer hands datagram payloads out this way).
    pub(super) fn dequeue_many_mut(&mut self, max: usize) -> &mut [T] {
        let range = self.take_front(max);
        self.storage.get_mut(range).unwrap_or_default()
    }

    /// The element `index` places after the front, if that many are queued.
    pub(super) fn get(&self, index: usize) -> Option<&T> {
        if index >= self.length {
            return None;
        }
        self.storage
            .get(advance(self.read_at, index, self.capacity()))
    }

    /// The contiguous part of the free space that starts `offset` elements past the end
    /// of the queued data, at most `size` long; empty when `offset` is at or beyond the
    /// free space. Writing there does not enqueue anything: TCP places out-of-order data
    /// this way and later calls [`RingBuffer::enqueue_unallocated`].
    pub fn get_unallocated(&mut self, offset: usize, size: usize) -> &mut [T] {
        let cap = self.capacity();
        let window = self.window();
        if offset >= window {
            return &mut [];
        }
        // offset < window, so length + offset < cap: no overflow.
        let start = advance(self.read_at, self.length + offset, cap);
        let size = cmp::min(size, cmp::min(window - offset, cap - start));
        self.storage
            .get_mut(start..start + size)
            .unwrap_or_default()
    }

    /// The contiguous part of the queued data that starts `offset` elements after the
    /// front, at most `size` long; empty when `offset` is at or beyond the queued length.
    /// TCP reads unacknowledged bytes for (re)transmission this way.
    pub fn get_allocated(&self, offset: usize, size: usize) -> &[T] {
        let cap = self.capacity();
        if offset >= self.length {
            return &[];
        }
        let start = advance(self.read_at, offset, cap);
        let size = cmp::min(size, cmp::min(self.length - offset, cap - start));
        self.storage.get(start..start + size).unwrap_or_default()
    }

    /// Counts up to `count` elements of free space (as previously written with
    /// [`RingBuffer::write_unallocated`] or [`RingBuffer::get_unallocated`]) as queued;
    /// returns how many, which is less than `count` only when the ring is that full.
    pub fn enqueue_unallocated(&mut self, count: usize) -> usize {
        let count = cmp::min(count, self.window());
        self.length += count;
        count
    }

    /// Drops up to `count` elements from the front without reading them (TCP: bytes the
    /// peer acknowledged); returns how many were dropped.
    pub fn dequeue_allocated(&mut self, count: usize) -> usize {
        let count = cmp::min(count, self.length);
        self.read_at = advance(self.read_at, count, self.capacity());
        self.length -= count;
        count
    }
}

impl<'a, T: Copy + 'a> RingBuffer<'a, T> {
    /// Removes and returns the oldest element, or `Err(Empty)`.
    pub fn dequeue_one(&mut self) -> Result<T, Empty> {
        if self.is_empty() {
            return Err(Empty);
        }
        let value = *self.storage.get(self.read_at).ok_or(Empty)?;
        self.read_at = advance(self.read_at, 1, self.capacity());
        self.length -= 1;
        Ok(value)
    }

    /// Appends as much of `data` as fits (copying in up to two pieces across the wrap);
    /// returns how many elements were queued.
    pub fn enqueue_slice(&mut self, data: &[T]) -> usize {
        let mut done = 0;
        // Free space is at most two contiguous pieces: up to the end, then from the start.
        for _ in 0..2 {
            let rest = data.get(done..).unwrap_or_default();
            if rest.is_empty() {
                break;
            }
            let range = self.reserve_back(rest.len());
            let dst = self.storage.get_mut(range).unwrap_or_default();
            done += copy_prefix(dst, rest);
        }
        done
    }

    /// Moves up to `data.len()` elements from the front into `data` (in up to two pieces
    /// across the wrap); returns how many were dequeued.
    pub fn dequeue_slice(&mut self, data: &mut [T]) -> usize {
        let mut done = 0;
        for _ in 0..2 {
            let rest = data.get_mut(done..).unwrap_or_default();
            if rest.is_empty() {
                break;
            }
            let range = self.take_front(rest.len());
            let src = self.storage.get(range).unwrap_or_default();
            done += copy_prefix(rest, src);
        }
        done
    }

    /// Copies `data` into the free space starting `offset` elements past the end of the
    /// queued data, without enqueuing it (in up to two pieces across the wrap); returns
    /// how many elements were written, cut short where the free space ends.
    pub fn write_unallocated(&mut self, offset: usize, data: &[T]) -> usize {
        let first = copy_prefix(self.get_unallocated(offset, data.len()), data);
        let rest = data.get(first..).unwrap_or_default();
        if first == 0 || rest.is_empty() {
            return first;
        }
        let Some(offset) = offset.checked_add(first) else {
            return first;
        };
        first + copy_prefix(self.get_unallocated(offset, rest.len()), rest)
    }

    /// Copies queued data starting `offset` elements after the front into `data`,
    /// without dequeuing it (in up to two pieces across the wrap); returns how many
    /// elements were copied, cut short where the queued data ends.
    pub fn read_allocated(&self, offset: usize, data: &mut [T]) -> usize {
        let first = copy_prefix(data, self.get_allocated(offset, usize::MAX));
        let Some(rest) = data.get_mut(first..) else {
            return first;
        };
        if first == 0 || rest.is_empty() {
            return first;
        }
        let Some(offset) = offset.checked_add(first) else {
            return first;
        };
        first + copy_prefix(rest, self.get_allocated(offset, usize::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;
    use std::vec;
    use std::vec::Vec;

    /// A ring of capacity 8 whose read position sits at 5: the next 3 bytes go at the end
    /// of storage and anything after that wraps to the start.
    fn ring_at_5(storage: &mut [u8]) -> RingBuffer<'_, u8> {
        let mut ring = RingBuffer::new(storage);
        assert_eq!(ring.enqueue_slice(&[0; 5]), 5);
        assert_eq!(ring.dequeue_allocated(5), 5);
        ring
    }

    #[test]
    fn zero_capacity_ring_is_both_empty_and_full_and_moves_nothing() {
        let mut ring = RingBuffer::<u8>::new(&mut [][..]);
        assert!(ring.is_empty() && ring.is_full());
        assert_eq!((ring.capacity(), ring.len(), ring.window()), (0, 0, 0));
        assert_eq!(ring.contiguous_window(), 0);
        assert_eq!(ring.enqueue_one(1), Err(Full));
        assert_eq!(ring.dequeue_one(), Err(Empty));
        assert_eq!(ring.enqueue_slice(&[1, 2, 3]), 0);
        assert_eq!(ring.dequeue_slice(&mut [0; 3]), 0);
        assert_eq!(
            ring.enqueue_many_with(|buf| (buf.len() + 5, buf.len())),
            (0, 0)
        );
        assert_eq!(ring.dequeue_many_with(|buf| (9, buf.len())), (0, 0));
        assert!(ring.enqueue_many(4).is_empty());
        assert!(ring.dequeue_many(4).is_empty());
        assert!(ring.get_allocated(0, 4).is_empty());
        assert!(ring.get_unallocated(0, 4).is_empty());
        assert_eq!(ring.read_allocated(0, &mut [0; 4]), 0);
        assert_eq!(ring.write_unallocated(0, &[1, 2]), 0);
        assert_eq!(ring.enqueue_unallocated(3), 0);
        assert_eq!(ring.dequeue_allocated(3), 0);
        assert!(ring.is_empty());
    }

    #[test]
    fn elements_come_out_in_order_and_full_and_empty_are_reported_at_the_edges() {
        let mut storage = [0u8; 3];
        let mut ring = RingBuffer::new(&mut storage[..]);
        assert_eq!(ring.dequeue_one(), Err(Empty));
        for round in 0..5u8 {
            for i in 0..3 {
                assert_eq!(ring.enqueue_one(round * 10 + i), Ok(()));
            }
            assert!(ring.is_full());
            assert_eq!(ring.enqueue_one(99), Err(Full));
            assert_eq!(ring.dequeue_one(), Ok(round * 10));
            assert_eq!(ring.enqueue_one(round * 10 + 3), Ok(()));
            for i in 1..4 {
                assert_eq!(ring.dequeue_one(), Ok(round * 10 + i));
            }
            assert!(ring.is_empty());
            assert_eq!(ring.dequeue_one(), Err(Empty));
        }
    }

    #[test]
    fn a_one_element_ring_alternates_between_full_and_empty() {
        let mut storage = [0u32; 1];
        let mut ring = RingBuffer::new(&mut storage[..]);
        for i in 0..4 {
            assert_eq!(ring.enqueue_one(i), Ok(()));
            assert_eq!(ring.enqueue_one(i), Err(Full));
            assert_eq!(ring.dequeue_one(), Ok(i));
            assert_eq!(ring.dequeue_one(), Err(Empty));
        }
    }

    #[test]
    fn enqueue_slice_and_dequeue_slice_copy_across_the_wrap_in_two_pieces() {
        let mut storage = [0u8; 8];
        let mut ring = ring_at_5(&mut storage);
        assert_eq!(ring.contiguous_window(), 3);
        assert_eq!(ring.enqueue_slice(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), 8);
        assert!(ring.is_full());
        assert_eq!(ring.enqueue_slice(&[11]), 0);
        let mut out = [0u8; 10];
        assert_eq!(ring.dequeue_slice(&mut out), 8);
        assert_eq!(out, [1, 2, 3, 4, 5, 6, 7, 8, 0, 0]);
        assert!(ring.is_empty());
    }

    #[test]
    fn enqueue_many_with_exposes_only_the_contiguous_free_region_and_clamps_overclaims() {
        let mut storage = [0u8; 8];
        let mut ring = ring_at_5(&mut storage);
        let (n, seen) = ring.enqueue_many_with(|free| {
            free.copy_from_slice(&[1, 2, 3]);
            (100, free.len())
        });
        assert_eq!((n, seen), (3, 3));
        let (n, seen) = ring.enqueue_many_with(|free| {
            free[..2].copy_from_slice(&[4, 5]);
            (2, free.len())
        });
        assert_eq!((n, seen), (2, 5));
        assert_eq!(ring.len(), 5);
        let mut out = [0u8; 5];
        assert_eq!(ring.read_allocated(0, &mut out), 5);
        assert_eq!(out, [1, 2, 3, 4, 5]);
    }

    #[test]
    fn dequeue_many_with_exposes_only_the_contiguous_data_and_clamps_overclaims() {
        let mut storage = [0u8; 8];
        let mut ring = ring_at_5(&mut storage);
        assert_eq!(ring.enqueue_slice(&[1, 2, 3, 4, 5]), 5);
        let (n, first) = ring.dequeue_many_with(|data| (1, data.to_vec()));
        assert_eq!((n, first), (1, vec![1, 2, 3]));
        let (n, rest) = ring.dequeue_many_with(|data| (usize::MAX, data.to_vec()));
        assert_eq!((n, rest), (2, vec![2, 3]));
        let (n, wrapped) = ring.dequeue_many_with(|data| (data.len(), data.to_vec()));
        assert_eq!((n, wrapped), (2, vec![4, 5]));
        assert!(ring.is_empty());
    }

    #[test]
    fn enqueue_many_and_dequeue_many_stop_at_the_wrap() {
        let mut storage = [0u8; 8];
        let mut ring = ring_at_5(&mut storage);
        let first = ring.enqueue_many(6);
        assert_eq!(first.len(), 3);
        first.copy_from_slice(&[1, 2, 3]);
        let second = ring.enqueue_many(6);
        assert_eq!(second.len(), 5);
        second.copy_from_slice(&[4, 5, 6, 7, 8]);
        assert!(ring.enqueue_many(1).is_empty());
        assert_eq!(ring.dequeue_many(2), &[1, 2]);
        assert_eq!(ring.dequeue_many(10), &[3]);
        assert_eq!(ring.dequeue_many(10), &[4, 5, 6, 7, 8]);
        assert!(ring.dequeue_many(10).is_empty());
    }

    #[test]
    fn allocated_data_is_readable_at_any_offset_across_the_wrap_without_dequeuing() {
        let mut storage = [0u8; 8];
        let mut ring = ring_at_5(&mut storage);
        assert_eq!(ring.enqueue_slice(&[1, 2, 3, 4, 5, 6]), 6);
        assert_eq!(ring.get_allocated(0, 10), &[1, 2, 3]);
        assert_eq!(ring.get_allocated(1, 1), &[2]);
        assert_eq!(ring.get_allocated(3, 10), &[4, 5, 6]);
        assert_eq!(ring.get_allocated(5, 10), &[6]);
        assert!(ring.get_allocated(6, 10).is_empty());
        assert!(ring.get_allocated(usize::MAX, usize::MAX).is_empty());
        let mut out = [0u8; 4];
        assert_eq!(ring.read_allocated(1, &mut out), 4);
        assert_eq!(out, [2, 3, 4, 5]);
        assert_eq!(ring.read_allocated(4, &mut out), 2);
        assert_eq!(out[..2], [5, 6]);
        assert_eq!(ring.read_allocated(usize::MAX, &mut out), 0);
        assert_eq!(ring.len(), 6);
        assert_eq!(ring.dequeue_allocated(100), 6);
    }

    #[test]
    fn out_of_order_data_written_past_the_end_is_delivered_in_order_after_the_gap_fills() {
        let mut storage = [0u8; 8];
        let mut ring = ring_at_5(&mut storage);
        assert_eq!(ring.enqueue_slice(&[1]), 1);
        // Bytes 4..7 of the stream arrive before 2..4; they straddle the wrap.
        assert_eq!(ring.write_unallocated(2, &[4, 5, 6]), 3);
        assert_eq!(ring.len(), 1);
        assert_eq!(ring.write_unallocated(0, &[2, 3]), 2);
        assert_eq!(ring.enqueue_unallocated(5), 5);
        let mut out = [0u8; 8];
        assert_eq!(ring.dequeue_slice(&mut out), 6);
        assert_eq!(out[..6], [1, 2, 3, 4, 5, 6]);
    }

    #[test]
    fn free_space_access_is_cut_at_the_window_and_ignores_offsets_beyond_it() {
        let mut storage = [0u8; 8];
        let mut ring = ring_at_5(&mut storage);
        assert_eq!(ring.enqueue_slice(&[1, 2]), 2);
        assert_eq!(ring.get_unallocated(0, 100).len(), 1);
        assert_eq!(ring.get_unallocated(1, 100).len(), 5);
        assert_eq!(ring.get_unallocated(5, 100).len(), 1);
        assert!(ring.get_unallocated(6, 100).is_empty());
        assert!(ring.get_unallocated(usize::MAX, usize::MAX).is_empty());
        assert_eq!(ring.write_unallocated(4, &[9, 9, 9, 9]), 2);
        assert_eq!(ring.write_unallocated(usize::MAX, &[9]), 0);
        assert_eq!(ring.enqueue_unallocated(usize::MAX), 6);
        assert!(ring.is_full());
        assert_eq!(ring.get_allocated(6, 2), &[9, 9]);
    }

    #[test]
    fn clear_forgets_the_data_and_makes_the_whole_capacity_contiguous() {
        let mut storage = [0u8; 8];
        let mut ring = ring_at_5(&mut storage);
        assert_eq!(ring.enqueue_slice(&[1, 2]), 2);
        ring.clear();
        assert!(ring.is_empty());
        assert_eq!(ring.contiguous_window(), 8);
        assert_eq!(ring.enqueue_many(8).len(), 8);
    }

    /// A tiny xorshift generator: deterministic, no dependency.
    struct XorShift(u64);
    impl XorShift {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % (n as u64).max(1)) as usize
        }
    }

    #[test]
    fn random_mixed_operations_match_a_vecdeque_model() {
        let mut rng = XorShift(0x5eed_1234_abcd_0001);
        for capacity in [0usize, 1, 2, 7, 16, 64] {
            let mut storage = vec![0u8; capacity];
            let mut ring = RingBuffer::new(&mut storage[..]);
            let mut model: VecDeque<u8> = VecDeque::new();
            let mut next = 0u8;
            for _ in 0..5_000 {
                let n = rng.below(capacity + 3);
                match rng.below(6) {
                    0 => {
                        let data: Vec<u8> = (0..n).map(|i| next.wrapping_add(i as u8)).collect();
                        let done = ring.enqueue_slice(&data);
                        assert_eq!(done, n.min(capacity - model.len()));
                        model.extend(&data[..done]);
                    }
                    1 => {
                        let mut out = vec![0u8; n];
                        let done = ring.dequeue_slice(&mut out);
                        let expected: Vec<u8> = model.drain(..n.min(model.len())).collect();
                        assert_eq!(&out[..done], &expected[..]);
                    }
                    2 => {
                        let (done, _) = ring.enqueue_many_with(|free| {
                            let k = n.min(free.len());
                            for (i, b) in free[..k].iter_mut().enumerate() {
                                *b = next.wrapping_add(i as u8);
                            }
                            (k, ())
                        });
                        model.extend((0..done).map(|i| next.wrapping_add(i as u8)));
                    }
                    3 => {
                        let (done, got) =
                            ring.dequeue_many_with(|d| (n, d[..n.min(d.len())].to_vec()));
                        let expected: Vec<u8> = model.drain(..done).collect();
                        assert_eq!(got, expected);
                    }
                    4 => {
                        let mut out = vec![0u8; n];
                        let offset = rng.below(capacity + 2);
                        let done = ring.read_allocated(offset, &mut out);
                        let expected: Vec<u8> =
                            model.iter().skip(offset).take(n).copied().collect();
                        assert_eq!(&out[..done], &expected[..]);
                    }
                    _ => {
                        let offset = rng.below(capacity + 2);
                        let data: Vec<u8> = (0..n).map(|i| next ^ i as u8).collect();
                        let done = ring.write_unallocated(offset, &data);
                        let window = capacity - model.len();
                        assert_eq!(done, n.min(window.saturating_sub(offset)));
                        if offset == 0 {
                            assert_eq!(ring.enqueue_unallocated(done), done);
                            model.extend(&data[..done]);
                        }
                    }
                }
                next = next.wrapping_add(31);
                assert_eq!(ring.len(), model.len());
                assert_eq!(ring.window(), capacity - model.len());
                assert!(ring.contiguous_window() <= ring.window());
            }
        }
    }
}
