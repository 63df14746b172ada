//! A fixed-capacity FIFO of datagrams for UDP, ICMP and raw sockets: a ring of packet
//! metadata over a ring of payload bytes, each payload stored contiguously.
//!
//! When a payload does not fit between the write position and the end of the byte
//! storage, the rest of the storage is filled with a padding entry and the payload starts
//! at index 0, as datagram queues usually do; padding is skipped on the way out.

use core::fmt;

use managed::ManagedSlice;

use super::{Empty, RingBuffer};

/// One entry of a [`PacketBuffer`]'s metadata ring: a datagram's header (endpoint
/// information and the like) and payload length, or padding that fills the byte storage
/// up to its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PacketMetadata<H> {
    size: usize,
    /// `None` marks padding: `size` bytes of payload storage that hold no datagram.
    header: Option<H>,
}

impl<H> PacketMetadata<H> {
    /// An unused slot, to fill metadata storage with: `[PacketMetadata::EMPTY; 16]`.
    pub const EMPTY: PacketMetadata<H> = PacketMetadata {
        size: 0,
        header: None,
    };
}

/// Why [`PacketBuffer::enqueue`] refused a datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EnqueueError {
    /// No room now (no metadata slot, or not enough contiguous payload space); it may fit
    /// after datagrams are dequeued.
    Full,
    /// The datagram is larger than the whole payload storage; it can never fit.
    TooBig,
}

impl fmt::Display for EnqueueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EnqueueError::Full => f.write_str("packet buffer full"),
            EnqueueError::TooBig => f.write_str("packet larger than the payload buffer"),
        }
    }
}

/// A FIFO of datagrams, each a header `H` and a contiguous payload, over two storages
/// fixed at construction: one [`PacketMetadata`] slot per datagram (plus one per wrap of
/// the payload storage) and the payload bytes. Nothing allocates; nothing panics.
#[derive(Debug)]
pub struct PacketBuffer<'a, H: 'a> {
    metadata_ring: RingBuffer<'a, PacketMetadata<H>>,
    payload_ring: RingBuffer<'a, u8>,
}

impl<'a, H: Copy + 'a> PacketBuffer<'a, H> {
    /// A buffer holding at most `metadata_storage.len()` entries (datagrams and padding)
    /// and `payload_storage.len()` payload bytes.
    pub fn new<MS, PS>(metadata_storage: MS, payload_storage: PS) -> PacketBuffer<'a, H>
    where
        MS: Into<ManagedSlice<'a, PacketMetadata<H>>>,
        PS: Into<ManagedSlice<'a, u8>>,
    {
        PacketBuffer {
            metadata_ring: RingBuffer::new(metadata_storage),
            payload_ring: RingBuffer::new(payload_storage),
        }
    }

    /// Whether no datagram is queued.
    pub fn is_empty(&self) -> bool {
        // Padding is only ever queued together with the datagram after it, and dequeued
        // together with it, so an empty metadata ring is the same as "no datagram".
        self.metadata_ring.is_empty()
    }

    /// Whether no further datagram can be queued, whatever its size.
    pub fn is_full(&self) -> bool {
        self.metadata_ring.is_full()
    }

    /// The most metadata entries (datagrams plus padding) the buffer can hold.
    pub fn packet_capacity(&self) -> usize {
        self.metadata_ring.capacity()
    }

    /// The size of the payload storage: the largest datagram that can ever be queued.
    pub fn payload_capacity(&self) -> usize {
        self.payload_ring.capacity()
    }

    /// Free payload bytes (a datagram this large may still need to wait if the free
    /// space is split by the wrap).
    pub fn payload_window(&self) -> usize {
        self.payload_ring.window()
    }

    /// Drops every queued datagram.
    pub fn clear(&mut self) {
        self.metadata_ring.clear();
        self.payload_ring.clear();
    }

    /// Queues a datagram of `size` bytes with `header` and returns its payload for the
    /// caller to fill (it holds stale bytes until then). `Err(TooBig)` when `size`
    /// exceeds [`PacketBuffer::payload_capacity`], `Err(Full)` when it does not fit now;
    /// on error nothing changes. Costs no copy; may queue one padding entry first.
    pub fn enqueue(&mut self, size: usize, header: H) -> Result<&mut [u8], EnqueueError> {
        if size > self.payload_ring.capacity() {
            return Err(EnqueueError::TooBig);
        }
        if self.metadata_ring.is_full() {
            return Err(EnqueueError::Full);
        }
        if self.metadata_ring.is_empty() {
            // Nothing is queued: start both rings over so the whole payload storage is
            // contiguous and no padding is needed.
            self.clear();
        }
        let contiguous = self.payload_ring.contiguous_window();
        if contiguous < size {
            // The payload does not fit before the end of storage. If it fits at the
            // start, pad to the end (one extra metadata slot) and wrap; otherwise the
            // buffer is full.
            let after_wrap = self.payload_ring.window().saturating_sub(contiguous);
            if self.metadata_ring.window() < 2 || after_wrap < size {
                return Err(EnqueueError::Full);
            }
            self.enqueue_padding(contiguous)?;
            if self.payload_ring.contiguous_window() < size {
                return Err(EnqueueError::Full);
            }
        }
        let meta = PacketMetadata {
            size,
            header: Some(header),
        };
        self.metadata_ring
            .enqueue_one(meta)
            .map_err(|_| EnqueueError::Full)?;
        Ok(self.payload_ring.enqueue_many(size))
    }

    /// Fills `size` bytes of payload storage with a padding entry, which dequeue skips.
    fn enqueue_padding(&mut self, size: usize) -> Result<(), EnqueueError> {
        if self.payload_ring.contiguous_window() < size {
            return Err(EnqueueError::Full);
        }
        self.metadata_ring
            .enqueue_one(PacketMetadata { size, header: None })
            .map_err(|_| EnqueueError::Full)?;
        self.payload_ring.enqueue_unallocated(size);
        Ok(())
    }

    /// Drops padding entries at the front, with the payload storage they cover.
    fn skip_padding(&mut self) {
        // Each iteration removes one metadata entry, so this ends.
        while let Some(&PacketMetadata { size, header: None }) = self.metadata_ring.get(0) {
            if self.metadata_ring.dequeue_one().is_err() {
                break;
            }
            self.payload_ring.dequeue_allocated(size);
        }
    }

    /// Removes the oldest datagram and returns its header and payload (valid until the
    /// next mutation of the buffer), or `Err(Empty)`. Costs no copy.
    pub fn dequeue(&mut self) -> Result<(H, &mut [u8]), Empty> {
        self.skip_padding();
        let meta = self.metadata_ring.dequeue_one()?;
        let header = meta.header.ok_or(Empty)?;
        Ok((header, self.payload_ring.dequeue_many_mut(meta.size)))
    }

    /// The oldest datagram's header and payload, left in the buffer, or `Err(Empty)`.
    pub fn peek(&self) -> Result<(H, &[u8]), Empty> {
        let mut offset = 0usize;
        for index in 0..self.metadata_ring.len() {
            let meta = self.metadata_ring.get(index).ok_or(Empty)?;
            match meta.header {
                None => offset = offset.saturating_add(meta.size),
                Some(header) => {
                    return Ok((header, self.payload_ring.get_allocated(offset, meta.size)));
                }
            }
        }
        Err(Empty)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;
    use std::vec::Vec;

    fn push(
        buffer: &mut PacketBuffer<'_, u16>,
        header: u16,
        data: &[u8],
    ) -> Result<(), EnqueueError> {
        buffer.enqueue(data.len(), header)?.copy_from_slice(data);
        Ok(())
    }

    fn pop(buffer: &mut PacketBuffer<'_, u16>) -> Result<(u16, Vec<u8>), Empty> {
        buffer.dequeue().map(|(h, p)| (h, p.to_vec()))
    }

    #[test]
    fn datagrams_come_out_in_order_with_their_headers_and_payloads() {
        let (mut meta, mut bytes) = ([PacketMetadata::EMPTY; 4], [0u8; 16]);
        let mut buffer = PacketBuffer::new(&mut meta[..], &mut bytes[..]);
        assert!(buffer.is_empty());
        assert_eq!(push(&mut buffer, 1, b"abc"), Ok(()));
        assert_eq!(push(&mut buffer, 2, b""), Ok(()));
        assert_eq!(push(&mut buffer, 3, b"defgh"), Ok(()));
        assert_eq!(
            buffer.peek().map(|(h, p)| (h, p.to_vec())),
            Ok((1, b"abc".to_vec()))
        );
        assert_eq!(pop(&mut buffer), Ok((1, b"abc".to_vec())));
        assert_eq!(pop(&mut buffer), Ok((2, Vec::new())));
        assert_eq!(pop(&mut buffer), Ok((3, b"defgh".to_vec())));
        assert_eq!(pop(&mut buffer), Err(Empty));
        assert_eq!(buffer.peek(), Err(Empty));
    }

    #[test]
    fn a_payload_that_does_not_fit_before_the_end_is_padded_and_stored_from_the_start() {
        let (mut meta, mut bytes) = ([PacketMetadata::EMPTY; 4], [0u8; 10]);
        let mut buffer = PacketBuffer::new(&mut meta[..], &mut bytes[..]);
        assert_eq!(push(&mut buffer, 1, b"123456"), Ok(()));
        assert_eq!(push(&mut buffer, 2, b"78"), Ok(()));
        assert_eq!(pop(&mut buffer), Ok((1, b"123456".to_vec())));
        // 2 bytes remain before the end and 6 at the start: a 5-byte payload pads the 2.
        assert_eq!(push(&mut buffer, 3, b"abcde"), Ok(()));
        assert_eq!(buffer.payload_window(), 1);
        assert_eq!(pop(&mut buffer), Ok((2, b"78".to_vec())));
        assert_eq!(
            buffer.peek().map(|(h, p)| (h, p.to_vec())),
            Ok((3, b"abcde".to_vec()))
        );
        assert_eq!(pop(&mut buffer), Ok((3, b"abcde".to_vec())));
        assert!(buffer.is_empty());
        assert_eq!(buffer.payload_window(), 10);
    }

    #[test]
    fn padding_is_refused_without_a_spare_metadata_slot_and_changes_nothing() {
        let (mut meta, mut bytes) = ([PacketMetadata::EMPTY; 3], [0u8; 10]);
        let mut buffer = PacketBuffer::new(&mut meta[..], &mut bytes[..]);
        assert_eq!(push(&mut buffer, 1, b"123456"), Ok(()));
        assert_eq!(push(&mut buffer, 2, b"78"), Ok(()));
        assert_eq!(pop(&mut buffer), Ok((1, b"123456".to_vec())));
        assert_eq!(push(&mut buffer, 9, b"x"), Ok(()));
        // One metadata slot left: a payload that would need padding does not fit.
        assert_eq!(push(&mut buffer, 3, b"abc"), Err(EnqueueError::Full));
        assert_eq!(buffer.payload_window(), 7);
        // One that fits before the end needs no padding.
        assert_eq!(push(&mut buffer, 4, b"y"), Ok(()));
        assert!(buffer.is_full());
        assert_eq!(push(&mut buffer, 5, b""), Err(EnqueueError::Full));
        for expected in [(2, b"78".to_vec()), (9, b"x".to_vec()), (4, b"y".to_vec())] {
            assert_eq!(pop(&mut buffer), Ok(expected));
        }
    }

    #[test]
    fn a_datagram_larger_than_the_payload_storage_is_too_big_even_when_empty() {
        let (mut meta, mut bytes) = ([PacketMetadata::EMPTY; 4], [0u8; 8]);
        let mut buffer = PacketBuffer::new(&mut meta[..], &mut bytes[..]);
        assert_eq!(buffer.enqueue(9, 1).err(), Some(EnqueueError::TooBig));
        assert_eq!(
            buffer.enqueue(usize::MAX, 1).err(),
            Some(EnqueueError::TooBig)
        );
        assert!(buffer.is_empty());
        assert_eq!(buffer.enqueue(8, 1).map(|p| p.len()), Ok(8));
        assert_eq!(buffer.enqueue(1, 2).err(), Some(EnqueueError::Full));
    }

    #[test]
    fn zero_capacity_buffers_refuse_everything_without_panicking() {
        let mut bytes = [0u8; 8];
        let mut no_slots = PacketBuffer::<u16>::new(&mut [][..], &mut bytes[..]);
        assert!(no_slots.is_full() && no_slots.is_empty());
        assert_eq!(no_slots.enqueue(1, 1).err(), Some(EnqueueError::Full));
        assert_eq!(no_slots.dequeue().err(), Some(Empty));
        let mut meta = [PacketMetadata::EMPTY; 2];
        let mut no_bytes = PacketBuffer::new(&mut meta[..], &mut [][..]);
        assert_eq!(no_bytes.enqueue(1, 1u16).err(), Some(EnqueueError::TooBig));
        assert_eq!(push(&mut no_bytes, 7, b""), Ok(()));
        assert_eq!(pop(&mut no_bytes), Ok((7, Vec::new())));
        assert_eq!(
            (no_bytes.packet_capacity(), no_bytes.payload_capacity()),
            (2, 0)
        );
    }

    #[test]
    fn random_interleaved_enqueue_and_dequeue_match_a_vecdeque_model() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut below = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        let (mut meta, mut bytes) = ([PacketMetadata::EMPTY; 5], [0u8; 64]);
        let mut buffer = PacketBuffer::new(&mut meta[..], &mut bytes[..]);
        let mut model: VecDeque<(u16, Vec<u8>)> = VecDeque::new();
        let (mut accepted, mut refused) = (0, 0);
        for op in 0..10_000u16 {
            if below(2) == 0 {
                let size = below(80);
                let data: Vec<u8> = (0..size).map(|i| (op as usize + i) as u8).collect();
                let was_empty = buffer.is_empty();
                match push(&mut buffer, op, &data) {
                    Ok(()) => {
                        accepted += 1;
                        model.push_back((op, data));
                    }
                    Err(EnqueueError::TooBig) => assert!(size > 64),
                    Err(EnqueueError::Full) => {
                        // An empty buffer takes any datagram that is not too big.
                        assert!(!was_empty && size <= 64);
                        refused += 1;
                    }
                }
            } else {
                let peeked = buffer.peek().map(|(h, p)| (h, p.to_vec())).ok();
                let popped = pop(&mut buffer).ok();
                assert_eq!(peeked, popped);
                assert_eq!(popped, model.pop_front());
            }
            let queued: usize = model.iter().map(|(_, d)| d.len()).sum();
            assert!(queued + buffer.payload_window() <= 64);
            assert_eq!(buffer.is_empty(), model.is_empty());
        }
        assert!(accepted > 1_000 && refused > 100, "{accepted} {refused}");
    }
}
