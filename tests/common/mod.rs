//! Helpers shared by the interface tests: a pair of interfaces joined by an in-memory
//! wire, and a scripted device for conversation tests.

#![allow(dead_code)]

pub mod script;

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use skiff::iface::{Config, Interface};
use skiff::phy::{Device, DeviceCapabilities, Medium, RxToken, TxToken};
use skiff::socket::SocketSet;
use skiff::time::{Duration, Instant};
use skiff::wire::{ChecksumCapabilities, EthernetAddress, IpCidr};

/// One end of an in-memory Ethernet cable: what it sends appears at the other end.
pub struct WireEnd {
    rx: Rc<RefCell<VecDeque<Vec<u8>>>>,
    tx: Rc<RefCell<VecDeque<Vec<u8>>>>,
    pub mtu: usize,
    pub sent: Rc<RefCell<Vec<Vec<u8>>>>,
}

impl WireEnd {
    /// The frames waiting to be received at this end, to drop or reorder in a test.
    pub fn incoming(&self) -> std::cell::RefMut<'_, VecDeque<Vec<u8>>> {
        self.rx.borrow_mut()
    }
}

pub fn cable() -> (WireEnd, WireEnd) {
    let a_to_b = Rc::new(RefCell::new(VecDeque::new()));
    let b_to_a = Rc::new(RefCell::new(VecDeque::new()));
    (
        WireEnd {
            rx: b_to_a.clone(),
            tx: a_to_b.clone(),
            mtu: 1514,
            sent: Default::default(),
        },
        WireEnd {
            rx: a_to_b,
            tx: b_to_a,
            mtu: 1514,
            sent: Default::default(),
        },
    )
}

pub struct QueueRx(Vec<u8>);
pub struct QueueTx<'a>(&'a WireEnd);

impl RxToken for QueueRx {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(&self.0)
    }
}

impl TxToken for QueueTx<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let mut frame = vec![0u8; len];
        let r = f(&mut frame);
        self.0.sent.borrow_mut().push(frame.clone());
        self.0.tx.borrow_mut().push_back(frame);
        r
    }
}

impl Device for WireEnd {
    type RxToken<'a> = QueueRx;
    type TxToken<'a> = QueueTx<'a>;

    fn receive(&mut self, _now: Instant) -> Option<(QueueRx, QueueTx<'_>)> {
        let frame = self.rx.borrow_mut().pop_front()?;
        Some((QueueRx(frame), QueueTx(self)))
    }

    fn transmit(&mut self, _now: Instant) -> Option<QueueTx<'_>> {
        Some(QueueTx(self))
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::new(Medium::Ethernet, self.mtu);
        caps.checksum = ChecksumCapabilities::default();
        caps
    }
}

pub fn mac(last: u8) -> EthernetAddress {
    EthernetAddress([0x02, 0, 0, 0, 0, last])
}

/// A host: an interface, its sockets and its end of a cable.
pub struct Host {
    pub iface: Interface<'static>,
    pub sockets: SocketSet<'static>,
    pub dev: WireEnd,
}

impl Host {
    pub fn new(mut dev: WireEnd, last: u8, seed: u64) -> Host {
        let mut iface = Interface::new(Config::new(mac(last), seed), &mut dev, Instant::ZERO);
        let v4: IpCidr = format!("192.0.2.{last}/24").parse().unwrap();
        let v6: IpCidr = format!("2001:db8::{last}/64").parse().unwrap();
        assert!(iface.add_ip_addr(v4));
        assert!(iface.add_ip_addr(v6));
        Host {
            iface,
            sockets: SocketSet::with_capacity(16, seed),
            dev,
        }
    }

    pub fn poll(&mut self, now: Instant) {
        self.iface.poll(now, &mut self.dev, &mut self.sockets);
    }
}

/// Polls both hosts, advancing a virtual clock by `step` each round, `rounds` times.
pub fn run(a: &mut Host, b: &mut Host, now: &mut Instant, rounds: usize, step: Duration) {
    for _ in 0..rounds {
        a.poll(*now);
        b.poll(*now);
        *now += step;
    }
}
