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
