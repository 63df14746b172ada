//! Conversation tests (packetdrill style): a scripted device whose receive queue the test
//! fills with hand-built frames, an interface under test at a virtual time, and builders
//! for the frames a peer would send, all made with skiff's own emitters.
//!
//! The host under test is 192.0.2.1/24 and 2001:db8::1/64 at 02:00:00:00:00:01; the peer
//! is 192.0.2.2 / 2001:db8::2 at 02:00:00:00:00:02.

use std::collections::VecDeque;

use skiff::iface::{Config, Counters, Interface};
use skiff::phy::{Device, DeviceCapabilities, Medium, RxToken, TxToken};
use skiff::socket::{SocketHandle, SocketSet, udp};
use skiff::time::{Duration, Instant};
use skiff::wire::frame::{Frame, dissect_ethernet};
use skiff::wire::*;

/// Our MAC address.
pub const US_MAC: EthernetAddress = EthernetAddress([0x02, 0, 0, 0, 0, 1]);
/// The peer's MAC address.
pub const PEER_MAC: EthernetAddress = EthernetAddress([0x02, 0, 0, 0, 0, 2]);

/// 192.0.2.`last`.
pub fn v4(last: u8) -> Ipv4Address {
    Ipv4Address::new(192, 0, 2, last)
}

/// 2001:db8::`last`.
pub fn v6(last: u16) -> Ipv6Address {
    Ipv6Address::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, last)
}

/// A device whose received frames the test scripts and whose sent frames it collects.
#[derive(Default)]
pub struct ScriptDevice {
    /// Frames the interface will receive, in order.
    pub inbox: VecDeque<Vec<u8>>,
    /// Frames the interface sent, oldest first.
    pub outbox: Vec<Vec<u8>>,
}

/// A received frame.
pub struct ScriptRx(Vec<u8>);

/// Room for one sent frame.
pub struct ScriptTx<'a>(&'a mut Vec<Vec<u8>>);

impl RxToken for ScriptRx {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(&self.0)
    }
}

impl TxToken for ScriptTx<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let mut frame = vec![0u8; len];
        let r = f(&mut frame);
        self.0.push(frame);
        r
    }
}

impl Device for ScriptDevice {
    type RxToken<'a> = ScriptRx;
    type TxToken<'a> = ScriptTx<'a>;

    fn receive(&mut self, _now: Instant) -> Option<(ScriptRx, ScriptTx<'_>)> {
        let frame = self.inbox.pop_front()?;
        Some((ScriptRx(frame), ScriptTx(&mut self.outbox)))
    }

    fn transmit(&mut self, _now: Instant) -> Option<ScriptTx<'_>> {
        Some(ScriptTx(&mut self.outbox))
    }

    fn capabilities(&self) -> DeviceCapabilities {
        DeviceCapabilities::new(Medium::Ethernet, 1514)
    }
}

/// The interface under test, its sockets, its scripted device and the virtual clock.
pub struct Script {
    pub iface: Interface<'static>,
    pub sockets: SocketSet<'static>,
    pub dev: ScriptDevice,
    pub now: Instant,
}

impl Default for Script {
    fn default() -> Self {
        Self::new()
    }
}

impl Script {
    /// A host with the default configuration.
    pub fn new() -> Script {
        Self::with_config(|_| ())
    }

    /// A host whose configuration `adjust` changes first.
    pub fn with_config(adjust: impl FnOnce(&mut Config)) -> Script {
        let mut dev = ScriptDevice::default();
        let mut config = Config::new(US_MAC, 7);
        adjust(&mut config);
        let mut iface = Interface::new(config, &mut dev, Instant::ZERO);
        assert!(iface.add_ip_addr("192.0.2.1/24".parse().unwrap()));
        assert!(iface.add_ip_addr("2001:db8::1/64".parse().unwrap()));
        Script {
            iface,
            sockets: SocketSet::with_capacity(8, 7),
            dev,
            now: Instant::ZERO,
        }
    }

    /// Queues a frame for the interface without polling.
    pub fn push(&mut self, frame: Vec<u8>) {
        self.dev.inbox.push_back(frame);
    }

    /// Polls once at the current time; returns the frames sent.
    pub fn poll(&mut self) -> Vec<Vec<u8>> {
        self.iface.poll(self.now, &mut self.dev, &mut self.sockets);
        std::mem::take(&mut self.dev.outbox)
    }

    /// Delivers one frame now and returns what the interface sent in answer.
    pub fn exchange(&mut self, frame: Vec<u8>) -> Vec<Vec<u8>> {
        self.push(frame);
        self.poll()
    }

    /// Moves the clock to `at` after the start and polls.
    pub fn at(&mut self, at: Duration) -> Vec<Vec<u8>> {
        self.now = Instant::ZERO + at;
        self.poll()
    }

    /// Moves the clock on by `by` and polls.
    pub fn advance(&mut self, by: Duration) -> Vec<Vec<u8>> {
        self.now += by;
        self.poll()
    }

    /// The interface's counters.
    pub fn counters(&self) -> &Counters {
        self.iface.counters()
    }

    /// Binds a UDP socket to `port` on every address.
    pub fn udp_socket(&mut self, port: u16) -> SocketHandle {
        let mut s = udp::Socket::with_capacity(8, 8192);
        s.bind(port).unwrap();
        self.sockets.add_socket(s).unwrap()
    }

    /// Queues a UDP datagram on a socket.
    pub fn udp_send(&mut self, h: SocketHandle, data: &[u8], to: &str) {
        let to: core::net::SocketAddr = to.parse().unwrap();
        self.sockets
            .get_mut_as::<udp::Socket>(h)
            .unwrap()
            .send_slice(data, to)
            .unwrap();
    }

    /// Takes one datagram from a socket.
    pub fn udp_recv(&mut self, h: SocketHandle) -> Option<(Vec<u8>, udp::UdpMetadata)> {
        let mut buf = vec![0u8; 65536];
        let (n, meta) = self
            .sockets
            .get_mut_as::<udp::Socket>(h)
            .unwrap()
            .recv_slice(&mut buf)
            .ok()?;
        buf.truncate(n);
        Some((buf, meta))
    }

    /// Teaches the interface the peer's MAC for both IP versions (an ARP request and an
    /// NS from the peer), so that answers leave at once; discards the NA/ARP replies.
    pub fn learn_peer(&mut self) {
        self.exchange(arp_frame(
            ArpOperation::Request,
            PEER_MAC,
            v4(2),
            EthernetAddress([0; 6]),
            v4(1),
        ));
        let ns = Icmpv6Repr::Ndisc(NdiscRepr::NeighborSolicit {
            target_addr: v6(1),
            lladdr: Some(NdiscLinkLayerAddress(PEER_MAC.0)),
        });
        self.exchange(frame6(
            ip6(v6(2), v6(1), IpProtocol::Icmpv6, 255),
            &icmpv6(v6(2), v6(1), &ns),
        ));
    }
}

/// An Ethernet II frame, zero-padded to the 60-byte minimum.
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
    let header = eth.buffer_len();
    let mut frame = vec![0u8; (header + payload.len()).max(ETHERNET_MIN_FRAME_LEN)];
    eth.emit(&mut EthernetFrame::new_unchecked(&mut frame[..]));
    frame[header..header + payload.len()].copy_from_slice(payload);
    frame
}

/// An ARP packet in a frame (broadcast for requests, unicast to us for replies).
pub fn arp_frame(
    operation: ArpOperation,
    src_mac: EthernetAddress,
    src_ip: Ipv4Address,
    target_mac: EthernetAddress,
    target_ip: Ipv4Address,
) -> Vec<u8> {
    let repr = ArpRepr::EthernetIpv4 {
        operation,
        source_hardware_addr: src_mac,
        source_protocol_addr: src_ip,
        target_hardware_addr: target_mac,
        target_protocol_addr: target_ip,
    };
    let mut buf = vec![0u8; repr.buffer_len()];
    repr.emit(&mut ArpPacket::new_unchecked(&mut buf[..]));
    let dst = if operation == ArpOperation::Request {
        EthernetAddress::BROADCAST
    } else {
        US_MAC
    };
    ethernet(src_mac, dst, EthernetProtocol::Arp, &buf)
}

/// A plain IPv4 header (TTL 64, ident 0) for `payload_len` to be filled in by `ipv4`.
pub fn ip4(src: Ipv4Address, dst: Ipv4Address, protocol: IpProtocol) -> Ipv4Repr {
    Ipv4Repr::new(src, dst, protocol, 0, 64)
}

/// An IPv6 header.
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

/// An IPv4 packet carrying `payload` (its `payload_len` is set here).
pub fn ipv4(ip: Ipv4Repr, payload: &[u8]) -> Vec<u8> {
    let ip = Ipv4Repr {
        payload_len: payload.len(),
        ..ip
    };
    let mut packet = vec![0u8; ip.buffer_len() + payload.len()];
    ip.emit(
        &mut Ipv4Packet::new_unchecked(&mut packet[..]),
        &ChecksumCapabilities::default(),
    );
    packet[ip.buffer_len()..].copy_from_slice(payload);
    packet
}

/// An IPv6 packet carrying `payload` (its `payload_len` is set here).
pub fn ipv6(ip: Ipv6Repr, payload: &[u8]) -> Vec<u8> {
    let ip = Ipv6Repr {
        payload_len: payload.len(),
        ..ip
    };
    let mut packet = vec![0u8; IPV6_HEADER_LEN + payload.len()];
    ip.emit(&mut Ipv6Packet::new_unchecked(&mut packet[..]));
    packet[IPV6_HEADER_LEN..].copy_from_slice(payload);
    packet
}

/// A UDP datagram with a correct checksum.
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
        &ChecksumCapabilities::default(),
    );
    buf
}

/// A TCP segment with a correct checksum.
pub fn tcp(src: IpAddress, dst: IpAddress, repr: &TcpRepr<'_>) -> Vec<u8> {
    let mut buf = vec![0u8; repr.buffer_len()];
    repr.emit(
        &mut TcpPacket::new_unchecked(&mut buf[..]),
        &src,
        &dst,
        &ChecksumCapabilities::default(),
    );
    buf
}

/// A bare TCP header: no options, window 1024.
pub fn tcp_repr(
    sport: u16,
    dport: u16,
    flags: TcpFlags,
    seq: u32,
    ack: Option<u32>,
) -> TcpRepr<'static> {
    TcpRepr {
        src_port: sport,
        dst_port: dport,
        flags,
        seq_number: SeqNumber(seq),
        ack_number: ack.map(SeqNumber),
        window_len: 1024,
        window_scale: None,
        max_seg_size: None,
        sack_permitted: false,
        sack_ranges: [None; 4],
        timestamp: None,
        urgent_pointer: 0,
        payload: &[],
    }
}

/// An ICMPv4 message with a correct checksum.
pub fn icmpv4(repr: &Icmpv4Repr<'_>) -> Vec<u8> {
    let mut buf = vec![0u8; repr.buffer_len()];
    repr.emit(
        &mut Icmpv4Packet::new_unchecked(&mut buf[..]),
        &ChecksumCapabilities::default(),
    );
    buf
}

/// An ICMPv4 echo request, ident 0x1234 seq 7.
pub fn echo4(data: &[u8]) -> Vec<u8> {
    icmpv4(&Icmpv4Repr::EchoRequest {
        ident: 0x1234,
        seq_no: 7,
        data,
    })
}

/// An ICMPv6 message with a correct checksum.
pub fn icmpv6(src: Ipv6Address, dst: Ipv6Address, repr: &Icmpv6Repr<'_>) -> Vec<u8> {
    let mut buf = vec![0u8; repr.buffer_len()];
    repr.emit(
        &src,
        &dst,
        &mut Icmpv6Packet::new_unchecked(&mut buf[..]),
        &ChecksumCapabilities::default(),
    );
    buf
}

/// A Hop-by-Hop or Destination Options header holding `option`, followed by `next`.
pub fn options_header(next: IpProtocol, option: Ipv6OptionRepr<'_>) -> Vec<u8> {
    let mut area = vec![0u8; option.buffer_len()];
    option.emit(&mut area);
    let repr = Ipv6OptionsRepr {
        next_header: next,
        options: &area,
    };
    let mut buf = vec![0u8; repr.buffer_len()];
    repr.emit(&mut Ipv6ExtHeader::new_unchecked(&mut buf[..]));
    buf
}

/// A frame from the peer to us carrying an IPv4 packet.
pub fn frame4(ip: Ipv4Repr, payload: &[u8]) -> Vec<u8> {
    ethernet(PEER_MAC, US_MAC, EthernetProtocol::Ipv4, &ipv4(ip, payload))
}

/// A frame from the peer to us carrying an IPv6 packet.
pub fn frame6(ip: Ipv6Repr, payload: &[u8]) -> Vec<u8> {
    ethernet(PEER_MAC, US_MAC, EthernetProtocol::Ipv6, &ipv6(ip, payload))
}

/// An NA for `target` from it, with the given flags, unicast to us.
pub fn na_frame(target: Ipv6Address, flags: NdiscNeighborFlags, mac: EthernetAddress) -> Vec<u8> {
    let na = Icmpv6Repr::Ndisc(NdiscRepr::NeighborAdvert {
        flags,
        target_addr: target,
        lladdr: Some(NdiscLinkLayerAddress(mac.0)),
    });
    ethernet(
        mac,
        US_MAC,
        EthernetProtocol::Ipv6,
        &ipv6(
            ip6(target, v6(1), IpProtocol::Icmpv6, 255),
            &icmpv6(target, v6(1), &na),
        ),
    )
}

/// Parses a frame the interface sent, down to its transport header, verifying every
/// checksum; panics with the bytes when it does not parse.
pub fn dissect(frame: &[u8]) -> Frame<'_> {
    dissect_ethernet(frame, &ChecksumCapabilities::default())
        .unwrap_or_else(|e| panic!("the interface sent an undecodable frame ({e}): {frame:02x?}"))
}

/// The single frame of `out`, or a panic listing what was sent.
pub fn only(out: &[Vec<u8>]) -> &[u8] {
    match out {
        [one] => one,
        _ => panic!(
            "expected exactly one frame, the interface sent {}: {:#?}",
            out.len(),
            out.iter()
                .map(
                    |f| match dissect_ethernet(f, &ChecksumCapabilities::default()) {
                        Ok(d) => d.to_string(),
                        Err(e) => format!("undecodable ({e})"),
                    }
                )
                .collect::<Vec<_>>()
        ),
    }
}

/// Asserts that nothing was sent.
pub fn silent(out: &[Vec<u8>]) {
    assert!(
        out.is_empty(),
        "expected silence, the interface sent {}: {:?}",
        out.len(),
        out.iter()
            .map(
                |f| match dissect_ethernet(f, &ChecksumCapabilities::default()) {
                    Ok(d) => d.to_string(),
                    Err(e) => format!("undecodable ({e})"),
                }
            )
            .collect::<Vec<_>>()
    );
}
