//! The device a simulated node sees: two bounded frame queues that the [`Network`]
//! fills (receive side) and drains (transmit side) around each poll.
//!
//! [`Network`]: super::Network

use alloc::collections::VecDeque;
use alloc::vec::Vec;

use crate::phy::{Device, DeviceCapabilities, Medium, RxToken, TxToken};
use crate::time::Instant;

/// Default largest frame: a 1500-byte IP MTU plus the 14-byte Ethernet header.
pub const SIM_DEFAULT_MTU: usize = 1514;

/// Default number of frames each queue of a [`SimDevice`] holds.
pub const SIM_DEFAULT_QUEUE_LEN: usize = 64;

/// What a [`SimDevice`] dropped because a queue was full.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SimDeviceStats {
    /// Frames the network delivered while the receive queue was full (the node did not
    /// read fast enough).
    pub rx_overflow: u64,
    /// Frames the node sent while the transmit queue was full (it sent more frames in one
    /// poll than the queue holds).
    pub tx_overflow: u64,
}

/// An Ethernet [`Device`] backed by two bounded in-memory queues, owned by one node of a
/// [`Network`](super::Network).
///
/// The network pushes arriving frames onto the receive queue and, after each poll of the
/// node, takes every frame from the transmit queue onto the node's links. Both queues hold
/// at most `queue_len` frames; beyond that a frame is dropped and counted
/// ([`SimDevice::stats`]). `transmit` always hands out a token, like a NIC whose ring
/// overruns rather than pushes back.
#[derive(Debug, Clone)]
pub struct SimDevice {
    mtu: usize,
    queue_len: usize,
    rx: VecDeque<Vec<u8>>,
    tx: TxQueue,
    rx_overflow: u64,
}

/// The transmit side, split out so that a transmit token can borrow it while a receive
/// token owns its frame.
#[derive(Debug, Clone)]
struct TxQueue {
    frames: VecDeque<Vec<u8>>,
    limit: usize,
    overflow: u64,
}

impl Default for SimDevice {
    fn default() -> Self {
        SimDevice::new(SIM_DEFAULT_MTU, SIM_DEFAULT_QUEUE_LEN)
    }
}

impl SimDevice {
    /// A device whose largest frame is `mtu` bytes (link header included) and whose
    /// queues hold `queue_len` frames each.
    pub fn new(mtu: usize, queue_len: usize) -> SimDevice {
        SimDevice {
            mtu,
            queue_len,
            rx: VecDeque::new(),
            tx: TxQueue {
                frames: VecDeque::new(),
                limit: queue_len,
                overflow: 0,
            },
            rx_overflow: 0,
        }
    }

    /// The largest frame the device reports in its capabilities.
    pub fn mtu(&self) -> usize {
        self.mtu
    }

    /// Frames waiting to be received by the node.
    pub fn rx_queued(&self) -> usize {
        self.rx.len()
    }

    /// Frames the node sent that the network has not yet taken.
    pub fn tx_queued(&self) -> usize {
        self.tx.frames.len()
    }

    /// Overflow counters for both queues.
    pub fn stats(&self) -> SimDeviceStats {
        SimDeviceStats {
            rx_overflow: self.rx_overflow,
            tx_overflow: self.tx.overflow,
        }
    }

    /// Puts a frame on the receive queue, as the wire would; drops and counts it when the
    /// queue is full. Returns whether it was queued.
    pub fn inject(&mut self, frame: Vec<u8>) -> bool {
        if self.rx.len() >= self.queue_len {
            self.rx_overflow = self.rx_overflow.saturating_add(1);
            return false;
        }
        self.rx.push_back(frame);
        true
    }

    /// Takes the oldest frame the node sent, if any.
    pub fn take_transmitted(&mut self) -> Option<Vec<u8>> {
        self.tx.frames.pop_front()
    }
}

/// A received frame, owned by the token until it is consumed.
#[derive(Debug)]
pub struct SimRxToken {
    frame: Vec<u8>,
}

/// Room for one frame on a [`SimDevice`]'s transmit queue.
#[derive(Debug)]
pub struct SimTxToken<'a> {
    queue: &'a mut TxQueue,
}

impl Device for SimDevice {
    type RxToken<'a> = SimRxToken;
    type TxToken<'a> = SimTxToken<'a>;

    fn receive(&mut self, _now: Instant) -> Option<(Self::RxToken<'_>, Self::TxToken<'_>)> {
        let frame = self.rx.pop_front()?;
        Some((
            SimRxToken { frame },
            SimTxToken {
                queue: &mut self.tx,
            },
        ))
    }

    fn transmit(&mut self, _now: Instant) -> Option<Self::TxToken<'_>> {
        Some(SimTxToken {
            queue: &mut self.tx,
        })
    }

    fn capabilities(&self) -> DeviceCapabilities {
        DeviceCapabilities::new(Medium::Ethernet, self.mtu)
    }
}

impl RxToken for SimRxToken {
    fn consume<R, F>(self, f: F) -> R
    where
        F: FnOnce(&[u8]) -> R,
    {
        f(&self.frame)
    }
}

impl TxToken for SimTxToken<'_> {
    fn consume<R, F>(self, len: usize, f: F) -> R
    where
        F: FnOnce(&mut [u8]) -> R,
    {
        let mut frame = alloc::vec![0u8; len];
        let result = f(&mut frame);
        if self.queue.frames.len() < self.queue.limit {
            self.queue.frames.push_back(frame);
        } else {
            self.queue.overflow = self.queue.overflow.saturating_add(1);
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sent_frames_wait_on_the_transmit_queue_in_order() {
        let mut dev = SimDevice::new(1514, 4);
        for i in 0..3u8 {
            dev.transmit(Instant::ZERO)
                .unwrap()
                .consume(2, |b| b.fill(i));
        }
        assert_eq!(dev.tx_queued(), 3);
        for i in 0..3u8 {
            assert_eq!(dev.take_transmitted(), Some(alloc::vec![i, i]));
        }
        assert_eq!(dev.take_transmitted(), None);
    }

    #[test]
    fn full_queues_drop_and_count() {
        let mut dev = SimDevice::new(1514, 2);
        for _ in 0..5 {
            dev.transmit(Instant::ZERO).unwrap().consume(1, |_| ());
            dev.inject(alloc::vec![1]);
        }
        assert_eq!(
            dev.stats(),
            SimDeviceStats {
                rx_overflow: 3,
                tx_overflow: 3
            }
        );
        let (rx, tx) = dev.receive(Instant::ZERO).unwrap();
        assert_eq!(rx.consume(|f| f.to_vec()), alloc::vec![1]);
        tx.consume(1, |_| ());
        assert_eq!(dev.stats().tx_overflow, 4);
        assert_eq!(dev.capabilities().max_transmission_unit, 1514);
    }
}
