//! Bounded storage for sockets and reassembly: byte rings, datagram queues and
//! out-of-order range tracking, all over memory the caller provides.
//!
//! Every type here takes its storage at construction (a [`managed::ManagedSlice`]: a
//! borrowed `&mut [T]` without a heap, or an owned `Vec<T>` with the `alloc` feature) and
//! never grows it, so steady state allocates nothing (DESIGN rules 3 and 5). Every
//! operation is total: zero-capacity storage, oversize requests and offsets near
//! `usize::MAX` give `0`, an empty slice or a small error, never a panic.
//!
//! - [`RingBuffer`]: a FIFO of `Copy` elements (bytes for TCP streams) with slice,
//!   zero-copy and random-access APIs.
//! - [`PacketBuffer`]: a FIFO of datagrams, each a header plus a contiguous payload.
//! - [`Assembler`]: which byte ranges past a base offset have arrived.
//!
//! A receive path placing an out-of-order segment, then the one that fills the gap:
//!
//! ```
//! use skiff::storage::{Assembler, RingBuffer};
//!
//! let mut storage = [0u8; 16];
//! let mut rx = RingBuffer::new(&mut storage[..]);
//! let mut assembler = Assembler::new();
//!
//! // Bytes 3..6 arrive first: store them past the end, note the range.
//! assert_eq!(rx.write_unallocated(3, b"def"), 3);
//! assembler.add(3, 3).unwrap();
//! assert_eq!(assembler.peek_front(), 0);
//!
//! // Bytes 0..3 arrive: now 6 contiguous bytes can be handed to the reader.
//! assert_eq!(rx.write_unallocated(0, b"abc"), 3);
//! assembler.add(0, 3).unwrap();
//! rx.enqueue_unallocated(assembler.remove_front());
//! let mut out = [0u8; 8];
//! assert_eq!(rx.dequeue_slice(&mut out), 6);
//! assert_eq!(&out[..6], b"abcdef");
//! ```

use core::fmt;

mod assembler;
mod packet_buffer;
mod ring_buffer;

pub use assembler::{ASSEMBLER_MAX_RANGES, Assembler, AssemblerIter};
pub use packet_buffer::{EnqueueError, PacketBuffer, PacketMetadata};
pub use ring_buffer::RingBuffer;

/// The buffer has no room for what was asked to be added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Full;

/// The buffer holds nothing to take out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Empty;

/// Adding a range would need more than [`ASSEMBLER_MAX_RANGES`] separate ranges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TooManyHoles;

impl fmt::Display for Full {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("buffer full")
    }
}

impl fmt::Display for Empty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("buffer empty")
    }
}

impl fmt::Display for TooManyHoles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("too many holes in assembler")
    }
}
