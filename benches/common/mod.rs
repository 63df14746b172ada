//! What the stack benches share: two skiff stacks joined by an in-memory Ethernet cable
//! (the device of `examples/loopback.rs`, with spent frame buffers recycled so the
//! steady state allocates nothing), and a host bundling an interface with its sockets.

#![allow(dead_code)]

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use skiff::iface::{Config, Interface};
use skiff::phy::{Device, DeviceCapabilities, Medium, RxToken, TxToken};
use skiff::socket::SocketSet;
use skiff::time::{Duration, Instant};
use skiff::wire::{ChecksumCapabilities, EthernetAddress, IpCidr};

/// The cable's MTU as an Ethernet frame length (1500 bytes of IP plus 14 of header).
pub const FRAME_MTU: usize = 1514;

type Queue = Rc<RefCell<VecDeque<Vec<u8>>>>;
type Spares = Rc<RefCell<Vec<Vec<u8>>>>;

/// One end of the cable. Frames it sends wait in the other end's queue; spent frame
/// buffers go back to a shared pool and are reused for the next frame sent.
pub struct CableEnd {
    rx: Queue,
    tx: Queue,
    spare: Spares,
}

/// Frame buffers (and queue slots) the cable sets aside at the start, like a NIC's
/// descriptor ring: more than both directions of a 256 KiB window hold in flight, so
/// the pool and the queues never grow during a measurement.
pub const RING: usize = 1024;

/// Two connected cable ends.
pub fn cable() -> (CableEnd, CableEnd) {
    let ab: Queue = Rc::new(RefCell::new(VecDeque::with_capacity(RING)));
    let ba: Queue = Rc::new(RefCell::new(VecDeque::with_capacity(RING)));
    let spare: Spares = Rc::new(RefCell::new(
        (0..RING).map(|_| Vec::with_capacity(FRAME_MTU)).collect(),
    ));
    (
        CableEnd {
            rx: ba.clone(),
            tx: ab.clone(),
            spare: spare.clone(),
        },
        CableEnd {
            rx: ab,
            tx: ba,
            spare,
        },
    )
}

/// A received frame; its buffer returns to the pool once the stack has read it.
pub struct Frame(Vec<u8>, Spares);
/// Room for one frame to send.
pub struct Slot(Queue, Spares);

impl RxToken for Frame {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        let result = f(&self.0);
        self.1.borrow_mut().push(self.0);
        result
    }
}

impl TxToken for Slot {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        // Every buffer is born MTU-sized, so a recycled ACK's buffer never has to grow
        // to carry a full segment (which would be a reallocation in the steady state).
        let mut frame = self
            .1
            .borrow_mut()
            .pop()
            .unwrap_or_else(|| Vec::with_capacity(FRAME_MTU));
        frame.clear();
        frame.resize(len, 0);
        let result = f(&mut frame);
        self.0.borrow_mut().push_back(frame);
        result
    }
}

impl Device for CableEnd {
    type RxToken<'a> = Frame;
    type TxToken<'a> = Slot;

    fn receive(&mut self, _now: Instant) -> Option<(Frame, Slot)> {
        let frame = self.rx.borrow_mut().pop_front()?;
        Some((Frame(frame, self.spare.clone()), self.slot()))
    }

    fn transmit(&mut self, _now: Instant) -> Option<Slot> {
        Some(self.slot())
    }

    fn capabilities(&self) -> DeviceCapabilities {
        // Memory does not corrupt frames: checksums are left to the (imaginary) hardware,
        // as on a real loopback.
        let mut caps = DeviceCapabilities::new(Medium::Ethernet, FRAME_MTU);
        caps.checksum = ChecksumCapabilities::ignored();
        caps
    }
}

impl CableEnd {
    fn slot(&self) -> Slot {
        Slot(self.tx.clone(), self.spare.clone())
    }

    /// Frames waiting to be received at this end.
    pub fn pending(&self) -> usize {
        self.rx.borrow().len()
    }
}

/// An interface (192.0.2.`n`/24), its sockets and its end of the cable.
pub struct Host {
    pub iface: Interface<'static>,
    pub sockets: SocketSet<'static>,
    pub device: CableEnd,
}

impl Host {
    /// A host with room for `sockets` sockets.
    pub fn new(device: CableEnd, n: u8, sockets: usize) -> Host {
        Host::with_config(device, n, sockets, |_| ())
    }

    /// [`Host::new`] with the interface's configuration adjusted by `adjust` first.
    pub fn with_config(
        mut device: CableEnd,
        n: u8,
        sockets: usize,
        adjust: impl FnOnce(&mut Config),
    ) -> Host {
        let mac = EthernetAddress([0x02, 0, 0, 0, 0, n]);
        let seed = u64::from(n) * 0x9e37_79b9;
        let mut config = Config::new(mac, seed);
        adjust(&mut config);
        let mut iface = Interface::new(config, &mut device, Instant::ZERO);
        let cidr: IpCidr = format!("192.0.2.{n}/24").parse().expect("CIDR literal");
        assert!(iface.add_ip_addr(cidr));
        Host {
            iface,
            sockets: SocketSet::with_capacity(sockets, seed),
            device,
        }
    }

    pub fn poll(&mut self, now: Instant) {
        self.iface.poll(now, &mut self.device, &mut self.sockets);
    }
}

/// The next virtual instant for a pair of hosts: a small step while frames are on the
/// cable or a socket wants to send, else the earliest deadline of either stack.
pub fn next_instant(now: Instant, a: &Host, b: &Host) -> Instant {
    let step = now + Duration::from_micros(10);
    let in_flight = a.device.pending() > 0 || b.device.pending() > 0;
    let next = [
        a.iface.poll_at(now, &a.sockets),
        b.iface.poll_at(now, &b.sockets),
    ]
    .into_iter()
    .flatten()
    .min();
    match (in_flight, next) {
        (false, Some(at)) => at.max(step),
        _ => step,
    }
}
