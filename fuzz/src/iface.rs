//! The `iface_ingress` target: arbitrary frames into a configured `Interface` over
//! several polls with fuzzed time steps.
//!
//! Input format, repeated: one byte of time step (in units of 37 ms, so a run spans
//! neighbour and reassembly timeouts), two bytes of frame length (big endian, capped by
//! what is left), then the frame. Invariants checked after every poll: no panic; every
//! frame the interface sends dissects as a valid frame with correct checksums (skiff
//! never emits garbage, whatever it was fed); the neighbour cache stays within its
//! capacity; the receive counter matches the frames fed; `poll_at` never lies in the past
//! by more than one poll.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use skiff::iface::{Config, Interface};
use skiff::phy::{Device, DeviceCapabilities, Medium, RxToken, TxToken};
use skiff::socket::{SocketSet, icmp, raw, udp};
use skiff::time::{Duration, Instant};
use skiff::wire::{ChecksumCapabilities, EthernetAddress, IpAddress, IpProtocol, frame};

/// A device fed from a queue; what the interface sends is collected in `sent`.
pub(crate) struct FuzzDevice {
    pub(crate) rx: VecDeque<Vec<u8>>,
    pub(crate) sent: Rc<RefCell<Vec<Vec<u8>>>>,
}

pub(crate) struct Rx(Vec<u8>);
pub(crate) struct Tx(Rc<RefCell<Vec<Vec<u8>>>>);

impl RxToken for Rx {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(&self.0)
    }
}

impl TxToken for Tx {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let mut frame = vec![0u8; len];
        let r = f(&mut frame);
        self.0.borrow_mut().push(frame);
        r
    }
}

impl Device for FuzzDevice {
    type RxToken<'a> = Rx;
    type TxToken<'a> = Tx;

    fn receive(&mut self, _now: Instant) -> Option<(Rx, Tx)> {
        let frame = self.rx.pop_front()?;
        Some((Rx(frame), Tx(self.sent.clone())))
    }

    fn transmit(&mut self, _now: Instant) -> Option<Tx> {
        Some(Tx(self.sent.clone()))
    }

    fn capabilities(&self) -> DeviceCapabilities {
        DeviceCapabilities::new(Medium::Ethernet, 1514)
    }
}

pub(crate) const OUR_MAC: EthernetAddress = EthernetAddress([0x02, 0, 0, 0, 0, 0x01]);

/// The target body.
pub fn iface_ingress(data: &[u8]) {
    let sent = Rc::new(RefCell::new(Vec::new()));
    let mut device = FuzzDevice {
        rx: VecDeque::new(),
        sent: sent.clone(),
    };
    let mut config = Config::new(OUR_MAC, 0x5eed);
    config.neighbor_cache_entries = 8;
    config.neighbor_queue_packets = 8;
    config.reassembly_slots = 2;
    config.reassembly_buffer_len = 9000;
    let mut iface = Interface::new(config, &mut device, Instant::ZERO);
    for cidr in ["192.0.2.1/24", "2001:db8::1/64", "fe80::1/64"] {
        iface.add_ip_addr(cidr.parse().expect("valid literal"));
    }
    let _ = iface
        .routes_mut()
        .add_default_ipv4_route("192.0.2.254".parse().expect("valid literal"));
    let _ = iface
        .routes_mut()
        .add_default_ipv6_route("fe80::fe".parse().expect("valid literal"));

    let mut sockets = SocketSet::with_capacity(8, 1);
    let mut echo = udp::Socket::with_capacity(4, 4096);
    let _ = echo.bind(7);
    let echo = sockets.add_socket(echo).expect("room");
    let mut ping = icmp::Socket::with_capacity(4, 2048);
    let _ = ping.bind(0x1234);
    // A request to an unresolved neighbour keeps resolution and queueing in play.
    let _ = ping.send_echo_request("192.0.2.2".parse::<IpAddress>().expect("valid"), 1, b"fuzz");
    let _ = ping.send_echo_request(
        "2001:db8::2".parse::<IpAddress>().expect("valid"),
        2,
        b"fuzz",
    );
    sockets.add_socket(ping).expect("room");
    sockets
        .add_socket(raw::Socket::with_capacity(
            false,
            IpProtocol::Unknown(253),
            4,
            4096,
        ))
        .expect("room");

    let mut now = Instant::ZERO;
    let mut fed = 0u64;
    let mut rest = data;
    let mut polls = 0;
    while rest.len() >= 3 && polls < 64 {
        polls += 1;
        let step = u64::from(rest[0]) * 37;
        let len = usize::from(u16::from_be_bytes([rest[1], rest[2]])).min(rest.len() - 3);
        let frame = &rest[3..3 + len];
        rest = &rest[3 + len..];
        device.rx.push_back(frame.to_vec());
        fed += 1;
        now += Duration::from_millis(step);
        iface.poll(now, &mut device, &mut sockets);
        // Echo whatever the UDP socket got, to exercise egress to arbitrary peers.
        if let Some(mut s) = sockets.get_mut_as::<udp::Socket>(echo) {
            let mut buf = [0u8; 2048];
            while let Ok((n, meta)) = s.recv_slice(&mut buf) {
                let _ = s.send_slice(&buf[..n], meta.remote);
            }
        }
        check(&iface, &sockets, now, fed, &sent);
    }
    // Let every timer fire: retransmissions, failures, reassembly timeouts.
    for _ in 0..8 {
        now += Duration::from_secs(20);
        iface.poll(now, &mut device, &mut sockets);
        check(&iface, &sockets, now, fed, &sent);
    }
}

fn check(
    iface: &Interface<'_>,
    sockets: &SocketSet<'_>,
    now: Instant,
    fed: u64,
    sent: &Rc<RefCell<Vec<Vec<u8>>>>,
) {
    assert_eq!(
        iface.counters().rx_frames,
        fed,
        "every frame fed is received once"
    );
    assert!(iface.neighbors().len() <= iface.neighbors().capacity());
    if let Some(at) = iface.poll_at(now, sockets) {
        assert!(
            at >= now - Duration::from_secs(1),
            "poll_at {at} far behind now {now}"
        );
    }
    for out in sent.borrow_mut().drain(..) {
        match frame::dissect_ethernet(&out, &ChecksumCapabilities::default()) {
            Ok(f) => {
                if let Some(frame::Transport::Invalid { protocol, error }) = f.transport {
                    panic!("skiff sent an invalid {protocol} payload ({error}): {out:02x?}");
                }
                assert_eq!(
                    f.ethernet.map(|e| e.src_addr),
                    Some(OUR_MAC),
                    "sent from our MAC"
                );
            }
            Err(e) => panic!("skiff sent an undecodable frame ({e}): {out:02x?}"),
        }
    }
}
