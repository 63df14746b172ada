//! An in-memory device whose transmitted frames come back as received ones: one interface
//! talking to itself, for demos and tests that need no OS device.

use alloc::collections::VecDeque;
use alloc::vec::Vec;
use core::cell::RefCell;

use super::{Device, DeviceCapabilities, Medium, RxToken, TxToken};
use crate::time::Instant;

/// A loopback device with a bounded queue. Frame buffers are recycled, so a loop in
/// steady state allocates nothing after the first `capacity` frames.
#[derive(Debug)]
pub struct Loopback {
    medium: Medium,
    mtu: usize,
    capacity: usize,
    queue: RefCell<VecDeque<Vec<u8>>>,
    spare: RefCell<Vec<Vec<u8>>>,
    dropped: RefCell<u64>,
}

impl Loopback {
    /// A loopback for `medium` holding at most `capacity` frames in flight; frames sent
    /// while it is full are dropped and counted ([`Loopback::dropped`]).
    pub fn new(medium: Medium, capacity: usize) -> Loopback {
        Loopback {
            medium,
            mtu: 65535,
            capacity,
            queue: RefCell::new(VecDeque::with_capacity(capacity)),
            spare: RefCell::new(Vec::new()),
            dropped: RefCell::new(0),
        }
    }

    /// Sets the largest frame, link header included (default 65535).
    pub fn set_mtu(&mut self, mtu: usize) {
        self.mtu = mtu;
    }

    /// Frames dropped because the queue was full.
    pub fn dropped(&self) -> u64 {
        *self.dropped.borrow()
    }

    /// Frames waiting to be received.
    pub fn queued(&self) -> usize {
        self.queue.borrow().len()
    }
}

/// A frame taken from the loopback queue.
#[derive(Debug)]
pub struct LoopbackRxToken<'a> {
    frame: Vec<u8>,
    spare: &'a RefCell<Vec<Vec<u8>>>,
}

/// Room in the loopback queue.
#[derive(Debug)]
pub struct LoopbackTxToken<'a> {
    device: &'a Loopback,
}

impl Device for Loopback {
    type RxToken<'a> = LoopbackRxToken<'a>;
    type TxToken<'a> = LoopbackTxToken<'a>;

    fn receive(&mut self, _now: Instant) -> Option<(Self::RxToken<'_>, Self::TxToken<'_>)> {
        let frame = self.queue.get_mut().pop_front()?;
        let this = &*self;
        Some((
            LoopbackRxToken {
                frame,
                spare: &this.spare,
            },
            LoopbackTxToken { device: this },
        ))
    }

    fn transmit(&mut self, _now: Instant) -> Option<Self::TxToken<'_>> {
        Some(LoopbackTxToken { device: self })
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::new(self.medium, self.mtu);
        // Nothing corrupts a frame in memory; checksums are still computed by default
        // so that captures of loopback traffic verify in Wireshark.
        caps.max_burst_size = None;
        caps
    }
}

impl RxToken for LoopbackRxToken<'_> {
    fn consume<R, F>(self, f: F) -> R
    where
        F: FnOnce(&[u8]) -> R,
    {
        let result = f(&self.frame);
        self.spare.borrow_mut().push(self.frame);
        result
    }
}

impl TxToken for LoopbackTxToken<'_> {
    fn consume<R, F>(self, len: usize, f: F) -> R
    where
        F: FnOnce(&mut [u8]) -> R,
    {
        let mut frame = self.device.spare.borrow_mut().pop().unwrap_or_default();
        frame.clear();
        frame.resize(len, 0);
        let result = f(&mut frame);
        let mut queue = self.device.queue.borrow_mut();
        if queue.len() < self.device.capacity {
            queue.push_back(frame);
        } else {
            *self.device.dropped.borrow_mut() += 1;
            self.device.spare.borrow_mut().push(frame);
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transmitted_frames_come_back_in_order() {
        let mut dev = Loopback::new(Medium::Ethernet, 4);
        for i in 0..3u8 {
            dev.transmit(Instant::ZERO)
                .unwrap()
                .consume(3, |buf| buf.fill(i));
        }
        for i in 0..3u8 {
            let (rx, _tx) = dev.receive(Instant::ZERO).unwrap();
            rx.consume(|frame| assert_eq!(frame, &[i, i, i]));
        }
        assert!(dev.receive(Instant::ZERO).is_none());
    }

    #[test]
    fn a_full_queue_drops_and_counts_instead_of_growing() {
        let mut dev = Loopback::new(Medium::Ip, 2);
        for _ in 0..5 {
            dev.transmit(Instant::ZERO).unwrap().consume(10, |_| ());
        }
        assert_eq!(dev.queued(), 2);
        assert_eq!(dev.dropped(), 3);
    }

    #[test]
    fn buffers_are_recycled_after_receive() {
        let mut dev = Loopback::new(Medium::Ethernet, 2);
        dev.transmit(Instant::ZERO).unwrap().consume(100, |_| ());
        let (rx, _) = dev.receive(Instant::ZERO).unwrap();
        rx.consume(|_| ());
        assert_eq!(dev.spare.borrow().len(), 1);
        dev.transmit(Instant::ZERO)
            .unwrap()
            .consume(50, |buf| assert_eq!(buf.len(), 50));
        assert_eq!(dev.spare.borrow().len(), 0);
    }
}
