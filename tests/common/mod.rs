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

/// A device driven by the test: frames pushed with `feed` are received by the
/// interface, frames it sends are collected for `take_sent`.
#[derive(Default)]
pub struct ScriptDevice {
    pub rx: VecDeque<Vec<u8>>,
    pub sent: Rc<RefCell<Vec<Vec<u8>>>>,
}

pub struct ScriptTx(Rc<RefCell<Vec<Vec<u8>>>>);

impl TxToken for ScriptTx {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let mut frame = vec![0u8; len];
        let r = f(&mut frame);
        self.0.borrow_mut().push(frame);
        r
    }
}

impl Device for ScriptDevice {
    type RxToken<'a> = QueueRx;
    type TxToken<'a> = ScriptTx;

    fn receive(&mut self, _now: Instant) -> Option<(QueueRx, ScriptTx)> {
        let frame = self.rx.pop_front()?;
        Some((QueueRx(frame), ScriptTx(self.sent.clone())))
    }

    fn transmit(&mut self, _now: Instant) -> Option<ScriptTx> {
        Some(ScriptTx(self.sent.clone()))
    }

    fn capabilities(&self) -> DeviceCapabilities {
        DeviceCapabilities::new(Medium::Ethernet, 1514)
    }
}

/// The host under test: 192.0.2.1/24 and 2001:db8::1/64 at 02:00:00:00:00:01, with a
/// scripted device. Peers are 192.0.2.2 / 2001:db8::2 at 02:00:00:00:00:02.
pub struct Dut {
    pub iface: Interface<'static>,
    pub sockets: SocketSet<'static>,
    pub dev: ScriptDevice,
    pub now: Instant,
}

impl Dut {
    pub fn new() -> Dut {
        Self::with_config(|_| ())
    }

    pub fn with_config(adjust: impl FnOnce(&mut Config)) -> Dut {
        let mut dev = ScriptDevice::default();
        let mut config = Config::new(mac(1), 7);
        adjust(&mut config);
        let mut iface = Interface::new(config, &mut dev, Instant::ZERO);
        iface.add_ip_addr("192.0.2.1/24".parse().unwrap());
        iface.add_ip_addr("2001:db8::1/64".parse().unwrap());
        Dut {
            iface,
            sockets: SocketSet::with_capacity(8, 7),
            dev,
            now: Instant::ZERO,
        }
    }

    /// Feeds one frame and polls; returns what the interface sent.
    pub fn feed(&mut self, frame: Vec<u8>) -> Vec<Vec<u8>> {
        self.dev.rx.push_back(frame);
        self.poll()
    }

    pub fn poll(&mut self) -> Vec<Vec<u8>> {
        self.iface.poll(self.now, &mut self.dev, &mut self.sockets);
        self.dev.sent.borrow_mut().drain(..).collect()
    }

    pub fn advance(&mut self, by: Duration) -> Vec<Vec<u8>> {
        self.now += by;
        self.poll()
    }
}

impl Default for Dut {
    fn default() -> Self {
        Self::new()
    }
}

pub mod build {
    //! Frames built with skiff's own emitters.
    use skiff::wire::*;

    pub const CAPS: ChecksumCapabilities = ChecksumCapabilities {
        ipv4: Checksum::Both,
        udp: Checksum::Both,
        tcp: Checksum::Both,
        icmpv4: Checksum::Both,
        icmpv6: Checksum::Both,
    };

    pub fn v4(last: u8) -> Ipv4Address {
        Ipv4Address::new(192, 0, 2, last)
    }

    pub fn v6(last: u16) -> Ipv6Address {
        Ipv6Address::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, last)
    }

    pub fn ethernet(
        src: EthernetAddress,
        dst: EthernetAddress,
        ethertype: EthernetProtocol,
        payload: &[u8],
    ) -> Vec<u8> {
        let eth = EthernetRepr {
            src_addr: src,
            dst_addr: dst,
            ethertype,
            vlan: None,
        };
        let mut frame = vec![0u8; (eth.buffer_len() + payload.len()).max(ETHERNET_MIN_FRAME_LEN)];
        eth.emit(&mut EthernetFrame::new_unchecked(&mut frame[..]));
        frame[eth.buffer_len()..eth.buffer_len() + payload.len()].copy_from_slice(payload);
        frame
    }

    /// An IPv4 packet with `payload`, from `src` to `dst`.
    pub fn ipv4(ip: Ipv4Repr, payload: &[u8]) -> Vec<u8> {
        let mut ip = ip;
        ip.payload_len = payload.len();
        let mut packet = vec![0u8; ip.buffer_len() + payload.len()];
        let rest = IpRepr::Ipv4(ip).emit(&mut packet, &CAPS);
        rest.copy_from_slice(payload);
        packet
    }

    pub fn ipv6(ip: Ipv6Repr, payload: &[u8]) -> Vec<u8> {
        let mut ip = ip;
        ip.payload_len = payload.len();
        let mut packet = vec![0u8; IPV6_HEADER_LEN + payload.len()];
        let rest = IpRepr::Ipv6(ip).emit(&mut packet, &CAPS);
        rest.copy_from_slice(payload);
        packet
    }

    pub fn ip4(src: Ipv4Address, dst: Ipv4Address, protocol: IpProtocol) -> Ipv4Repr {
        Ipv4Repr::new(src, dst, protocol, 0, 64)
    }

    pub fn ip6(src: Ipv6Address, dst: Ipv6Address, next: IpProtocol, hop_limit: u8) -> Ipv6Repr {
        Ipv6Repr {
            src_addr: src,
            dst_addr: dst,
            next_header: next,
            payload_len: 0,
            hop_limit,
            traffic_class: 0,
            flow_label: 0,
        }
    }

    pub fn udp(src: IpAddress, dst: IpAddress, sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
        let repr = UdpRepr {
            src_port: sport,
            dst_port: dport,
        };
        let mut buf = vec![0u8; repr.buffer_len(payload.len())];
        repr.emit(
            &mut UdpPacket::new_unchecked(&mut buf[..]),
            &src,
            &dst,
            payload.len(),
            |p| p.copy_from_slice(payload),
            &CAPS,
        );
        buf
    }

    pub fn icmpv4(repr: &Icmpv4Repr<'_>) -> Vec<u8> {
        let mut buf = vec![0u8; repr.buffer_len()];
        repr.emit(&mut Icmpv4Packet::new_unchecked(&mut buf[..]), &CAPS);
        buf
    }

    pub fn icmpv6(src: Ipv6Address, dst: Ipv6Address, repr: &Icmpv6Repr<'_>) -> Vec<u8> {
        let mut buf = vec![0u8; repr.buffer_len()];
        repr.emit(
            &src,
            &dst,
            &mut Icmpv6Packet::new_unchecked(&mut buf[..]),
            &CAPS,
        );
        buf
    }

    /// A whole Ethernet frame from the peer (02:..:02) to us (02:..:01) with an IPv4 packet.
    pub fn frame4(ip: Ipv4Repr, payload: &[u8]) -> Vec<u8> {
        ethernet(
            super::mac(2),
            super::mac(1),
            EthernetProtocol::Ipv4,
            &ipv4(ip, payload),
        )
    }

    pub fn frame6(ip: Ipv6Repr, payload: &[u8]) -> Vec<u8> {
        ethernet(
            super::mac(2),
            super::mac(1),
            EthernetProtocol::Ipv6,
            &ipv6(ip, payload),
        )
    }
}

/// Parses a frame the interface sent, down to the transport, or panics with the bytes.
pub fn dissect(frame: &[u8]) -> skiff::wire::frame::Frame<'_> {
    skiff::wire::frame::dissect_ethernet(frame, &ChecksumCapabilities::default())
        .unwrap_or_else(|e| panic!("the interface sent an undecodable frame ({e}): {frame:02x?}"))
}
