//! skiff's wire layer against real frames from the Linux kernel (tests/fixtures/linux/,
//! see its README.md). Every expected value below is read off the tshark dissection in
//! the `NAME.txt` beside each `NAME.pcap`, never off skiff's own output.
//!
//! For every frame: parse layer by layer with every checksum verified, compare the exact
//! field values, re-emit from the parsed reprs into a fresh buffer and compare byte for
//! byte, flip single bits and expect the right checksum to catch them, and run the
//! whole-frame dissector.

use skiff::pcap::PcapReader;
use skiff::wire::frame::dissect_ethernet;
use skiff::wire::{
    ArpOperation, ArpPacket, ArpRepr, ChecksumCapabilities, Error, EthernetAddress, EthernetFrame,
    EthernetProtocol, EthernetRepr, Icmpv4DstUnreachable, Icmpv4Packet, Icmpv4Repr, Icmpv6Packet,
    Icmpv6Repr, IpAddress, IpProtocol, Ipv4Address, Ipv4Options, Ipv4Packet, Ipv4Repr, Ipv6Address,
    Ipv6Packet, Ipv6Repr, NdiscLinkLayerAddress, NdiscNeighborFlags, NdiscRepr, SeqNumber,
    TcpFlags, TcpPacket, TcpRepr, TcpTimestampRepr, UdpPacket, UdpRepr,
};

const ARP: &[u8] = include_bytes!("fixtures/linux/arp.pcap");
const ICMPV4_ECHO: &[u8] = include_bytes!("fixtures/linux/icmpv4_echo.pcap");
const ICMPV4_FRAG: &[u8] = include_bytes!("fixtures/linux/icmpv4_frag.pcap");
const ICMPV4_PORT_UNREACHABLE: &[u8] =
    include_bytes!("fixtures/linux/icmpv4_port_unreachable.pcap");
const IPV6_NDP: &[u8] = include_bytes!("fixtures/linux/ipv6_ndp.pcap");
const TCP_HANDSHAKE: &[u8] = include_bytes!("fixtures/linux/tcp_handshake.pcap");
const TCP_IPV6: &[u8] = include_bytes!("fixtures/linux/tcp_ipv6.pcap");
const TCP_RST: &[u8] = include_bytes!("fixtures/linux/tcp_rst.pcap");
const UDP: &[u8] = include_bytes!("fixtures/linux/udp.pcap");

/// Every fixture with its name and frame count (README.md's table).
const FIXTURES: [(&str, &[u8], usize); 9] = [
    ("arp", ARP, 2),
    ("icmpv4_echo", ICMPV4_ECHO, 4),
    ("icmpv4_frag", ICMPV4_FRAG, 6),
    ("icmpv4_port_unreachable", ICMPV4_PORT_UNREACHABLE, 2),
    ("ipv6_ndp", IPV6_NDP, 4),
    ("tcp_handshake", TCP_HANDSHAKE, 10),
    ("tcp_ipv6", TCP_IPV6, 10),
    ("tcp_rst", TCP_RST, 2),
    ("udp", UDP, 2),
];

const MAC_A: EthernetAddress = EthernetAddress([0x02, 0, 0, 0, 0, 0x01]);
const MAC_B: EthernetAddress = EthernetAddress([0x02, 0, 0, 0, 0, 0x02]);
const IP4_A: Ipv4Address = Ipv4Address::new(192, 0, 2, 1);
const IP4_B: Ipv4Address = Ipv4Address::new(192, 0, 2, 2);
const IP6_A: Ipv6Address = Ipv6Address::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1);
const IP6_B: Ipv6Address = Ipv6Address::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 2);
const HELLO_SKIFF: &[u8] = b"hello skiff\n";

// ---------------------------------------------------------------------------------------
// Reading, parsing and re-emitting whole frames.

/// The frames of a capture, after checking its link type and frame count.
fn frames(pcap: &[u8], count: usize) -> Vec<&[u8]> {
    let reader = PcapReader::new(pcap).expect("pcap global header");
    assert_eq!(reader.link_type(), skiff::pcap::PcapLinkType::Ethernet);
    let frames: Vec<&[u8]> = reader
        .map(|record| {
            let record = record.expect("pcap record");
            // Captured whole (snaplen 0 / -s 0): nothing was cut.
            assert_eq!(record.orig_len as usize, record.data.len());
            record.data
        })
        .collect();
    assert_eq!(frames.len(), count, "frame count");
    frames
}

/// The layer a parse failed at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layer {
    Ethernet,
    Arp,
    Ipv4,
    Ipv6,
    Tcp,
    Udp,
    Icmpv4,
    Icmpv6,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Net {
    Arp(ArpRepr),
    V4(Ipv4Repr),
    V6(Ipv6Repr),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum L4<'a> {
    Tcp(TcpRepr<'a>),
    Udp(UdpRepr, &'a [u8]),
    Icmpv4(Icmpv4Repr<'a>),
    Icmpv6(Icmpv6Repr<'a>),
    /// An IPv4 fragment's bytes: no transport header can be read before reassembly.
    Fragment(&'a [u8]),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Layers<'a> {
    eth: EthernetRepr,
    net: Net,
    l4: Option<L4<'a>>,
}

impl<'a> Layers<'a> {
    fn ipv4(&self) -> Ipv4Repr {
        match self.net {
            Net::V4(ip) => ip,
            other => panic!("not IPv4: {other:?}"),
        }
    }
    fn ipv6(&self) -> Ipv6Repr {
        match self.net {
            Net::V6(ip) => ip,
            other => panic!("not IPv6: {other:?}"),
        }
    }
    fn tcp(&self) -> TcpRepr<'a> {
        match self.l4 {
            Some(L4::Tcp(tcp)) => tcp,
            other => panic!("not TCP: {other:?}"),
        }
    }
    fn udp(&self) -> (UdpRepr, &'a [u8]) {
        match self.l4 {
            Some(L4::Udp(udp, payload)) => (udp, payload),
            other => panic!("not UDP: {other:?}"),
        }
    }
    fn icmpv4(&self) -> Icmpv4Repr<'a> {
        match self.l4 {
            Some(L4::Icmpv4(icmp)) => icmp,
            other => panic!("not ICMPv4: {other:?}"),
        }
    }
    fn icmpv6(&self) -> Icmpv6Repr<'a> {
        match self.l4 {
            Some(L4::Icmpv6(icmp)) => icmp,
            other => panic!("not ICMPv6: {other:?}"),
        }
    }
}

/// Parses a frame layer by layer with every checksum verified.
fn parse(frame: &[u8]) -> Result<Layers<'_>, (Layer, Error)> {
    let caps = ChecksumCapabilities::default();
    let at = |layer| move |e| (layer, e);
    let view = EthernetFrame::new_checked(frame).map_err(at(Layer::Ethernet))?;
    let eth = EthernetRepr::parse(&view).map_err(at(Layer::Ethernet))?;
    let payload = &frame[eth.buffer_len()..];
    let (net, l4) = match eth.ethertype {
        EthernetProtocol::Arp => {
            let view = ArpPacket::new_checked(payload).map_err(at(Layer::Arp))?;
            (
                Net::Arp(ArpRepr::parse(&view).map_err(at(Layer::Arp))?),
                None,
            )
        }
        EthernetProtocol::Ipv4 => {
            let view = Ipv4Packet::new_checked(payload).map_err(at(Layer::Ipv4))?;
            let ip = Ipv4Repr::parse(&view, &caps).map_err(at(Layer::Ipv4))?;
            let data = &payload[ip.buffer_len()..usize::from(ip.total_len())];
            let (src, dst) = (IpAddress::V4(ip.src_addr), IpAddress::V4(ip.dst_addr));
            let l4 = if ip.is_fragment() {
                L4::Fragment(data)
            } else if ip.next_header == IpProtocol::Icmp {
                let view = Icmpv4Packet::new_checked(data).map_err(at(Layer::Icmpv4))?;
                L4::Icmpv4(Icmpv4Repr::parse(&view, &caps).map_err(at(Layer::Icmpv4))?)
            } else {
                transport(ip.next_header, data, src, dst)?
            };
            (Net::V4(ip), Some(l4))
        }
        EthernetProtocol::Ipv6 => {
            let view = Ipv6Packet::new_checked(payload).map_err(at(Layer::Ipv6))?;
            let ip = Ipv6Repr::parse(&view).map_err(at(Layer::Ipv6))?;
            // No extension headers in these captures: the upper layer follows directly.
            let data = &payload[ip.buffer_len()..ip.buffer_len() + ip.payload_len];
            let (src, dst) = (IpAddress::V6(ip.src_addr), IpAddress::V6(ip.dst_addr));
            let l4 = if ip.next_header == IpProtocol::Icmpv6 {
                let view = Icmpv6Packet::new_checked(data).map_err(at(Layer::Icmpv6))?;
                let repr = Icmpv6Repr::parse(&ip.src_addr, &ip.dst_addr, &view, &caps)
                    .map_err(at(Layer::Icmpv6))?;
                L4::Icmpv6(repr)
            } else {
                transport(ip.next_header, data, src, dst)?
            };
            (Net::V6(ip), Some(l4))
        }
        _ => return Err((Layer::Ethernet, Error::Unsupported)),
    };
    Ok(Layers { eth, net, l4 })
}

fn transport(
    protocol: IpProtocol,
    data: &[u8],
    src: IpAddress,
    dst: IpAddress,
) -> Result<L4<'_>, (Layer, Error)> {
    let caps = ChecksumCapabilities::default();
    match protocol {
        IpProtocol::Tcp => {
            let view = TcpPacket::new_checked(data).map_err(|e| (Layer::Tcp, e))?;
            let repr = TcpRepr::parse(&view, &src, &dst, &caps).map_err(|e| (Layer::Tcp, e))?;
            Ok(L4::Tcp(repr))
        }
        IpProtocol::Udp => {
            let view = UdpPacket::new_checked(data).map_err(|e| (Layer::Udp, e))?;
            let repr = UdpRepr::parse(&view, &src, &dst, &caps).map_err(|e| (Layer::Udp, e))?;
            Ok(L4::Udp(repr, &data[8..usize::from(view.len())]))
        }
        other => panic!("no {other} in these captures"),
    }
}

/// Re-emits a parsed frame into a fresh zeroed buffer of `len` bytes, every checksum
/// computed by skiff.
fn emit(layers: &Layers, len: usize) -> Vec<u8> {
    let caps = ChecksumCapabilities::default();
    let mut buf = vec![0u8; len];
    layers
        .eth
        .emit(&mut EthernetFrame::new_unchecked(&mut buf[..]));
    let net = &mut buf[layers.eth.buffer_len()..];
    match (layers.net, layers.l4) {
        (Net::Arp(arp), None) => {
            assert_eq!(arp.buffer_len(), net.len());
            arp.emit(&mut ArpPacket::new_unchecked(net));
        }
        (Net::V4(ip), Some(l4)) => {
            assert_eq!(usize::from(ip.total_len()), net.len());
            ip.emit(&mut Ipv4Packet::new_unchecked(&mut *net), &caps);
            let (src, dst) = (IpAddress::V4(ip.src_addr), IpAddress::V4(ip.dst_addr));
            emit_l4(l4, &mut net[ip.buffer_len()..], src, dst);
        }
        (Net::V6(ip), Some(l4)) => {
            assert_eq!(ip.buffer_len() + ip.payload_len, net.len());
            ip.emit(&mut Ipv6Packet::new_unchecked(&mut *net));
            let (src, dst) = (IpAddress::V6(ip.src_addr), IpAddress::V6(ip.dst_addr));
            emit_l4(l4, &mut net[ip.buffer_len()..], src, dst);
        }
        other => panic!("inconsistent layers {other:?}"),
    }
    buf
}

fn emit_l4(l4: L4, buf: &mut [u8], src: IpAddress, dst: IpAddress) {
    let caps = ChecksumCapabilities::default();
    match l4 {
        L4::Tcp(tcp) => {
            assert_eq!(tcp.buffer_len(), buf.len());
            tcp.emit(&mut TcpPacket::new_unchecked(buf), &src, &dst, &caps);
        }
        L4::Udp(udp, payload) => {
            assert_eq!(udp.buffer_len(payload.len()), buf.len());
            let fill = |area: &mut [u8]| area[..payload.len()].copy_from_slice(payload);
            udp.emit(
                &mut UdpPacket::new_unchecked(buf),
                &src,
                &dst,
                payload.len(),
                fill,
                &caps,
            );
        }
        L4::Icmpv4(icmp) => {
            assert_eq!(icmp.buffer_len(), buf.len());
            icmp.emit(&mut Icmpv4Packet::new_unchecked(buf), &caps);
        }
        L4::Icmpv6(icmp) => {
            assert_eq!(icmp.buffer_len(), buf.len());
            let (IpAddress::V6(src), IpAddress::V6(dst)) = (src, dst) else {
                panic!("ICMPv6 over IPv4");
            };
            icmp.emit(&src, &dst, &mut Icmpv6Packet::new_unchecked(buf), &caps);
        }
        L4::Fragment(data) => buf.copy_from_slice(data),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn assert_bytes_eq(what: &str, produced: &[u8], expected: &[u8]) {
    if produced != expected {
        let at = produced
            .iter()
            .zip(expected)
            .position(|(p, e)| p != e)
            .unwrap_or(produced.len().min(expected.len()));
        panic!(
            "{what}: first difference at byte {at}\nexpected: {}\nproduced: {}",
            hex(expected),
            hex(produced)
        );
    }
}

/// Every frame of a fixture parses (checksums verified) and re-emits byte for byte.
fn assert_round_trips(name: &str, pcap: &[u8], count: usize) {
    for (i, frame) in frames(pcap, count).into_iter().enumerate() {
        let layers = parse(frame).unwrap_or_else(|e| panic!("{name} frame {}: {e:?}", i + 1));
        let what = format!("{name} frame {} re-emitted", i + 1);
        assert_bytes_eq(&what, &emit(&layers, frame.len()), frame);
    }
}

fn flipped(frame: &[u8], at: usize, mask: u8) -> Vec<u8> {
    let mut bytes = frame.to_vec();
    bytes[at] ^= mask;
    bytes
}

/// Where a frame's transport bytes are: the IP payload, for unfragmented IP frames.
fn transport_range(frame: &[u8]) -> Option<(core::ops::Range<usize>, Layer)> {
    let layers = parse(frame).expect("valid frame");
    let start = layers.eth.buffer_len();
    match (layers.net, layers.l4?) {
        (_, L4::Fragment(_)) => None,
        (Net::V4(ip), l4) => Some((
            start + ip.buffer_len()..start + usize::from(ip.total_len()),
            layer_of(l4),
        )),
        (Net::V6(ip), l4) => Some((
            start + ip.buffer_len()..start + ip.buffer_len() + ip.payload_len,
            layer_of(l4),
        )),
        (Net::Arp(_), _) => None,
    }
}

fn layer_of(l4: L4) -> Layer {
    match l4 {
        L4::Tcp(_) => Layer::Tcp,
        L4::Udp(..) => Layer::Udp,
        L4::Icmpv4(_) => Layer::Icmpv4,
        L4::Icmpv6(_) => Layer::Icmpv6,
        L4::Fragment(_) => unreachable!(),
    }
}

/// One flipped bit anywhere in the IPv4 header fails the IPv4 header checksum, and one
/// in the transport header or payload fails the transport checksum (TCP, UDP, ICMPv4
/// and ICMPv6 all cover their whole message). ARP has no checksum; fragments are
/// checked after reassembly in their own test.
fn assert_bit_flips_fail_checksums(name: &str, pcap: &[u8], count: usize) {
    for (i, frame) in frames(pcap, count).into_iter().enumerate() {
        let what = format!("{name} frame {}", i + 1);
        let layers = parse(frame).expect("valid frame");
        if let Net::V4(_) = layers.net {
            // Identification (byte 4) and TTL (byte 8): no length depends on them, so
            // the checksum is the only thing that can notice.
            for (at, mask) in [(14 + 4, 0x01), (14 + 8, 0x80)] {
                let bad = flipped(frame, at, mask);
                assert_eq!(parse(&bad), Err((Layer::Ipv4, Error::Checksum)), "{what}");
            }
        }
        let Some((range, layer)) = transport_range(frame) else {
            continue;
        };
        // The second byte (low byte of the source port, or the ICMP code) and the last
        // (payload or the last option byte). Not the ICMP type: a different type has a
        // different minimum length, which may be checked (Truncated) before the sum.
        for (at, mask) in [(range.start + 1, 0x01), (range.end - 1, 0x80)] {
            let bad = flipped(frame, at, mask);
            assert_eq!(
                parse(&bad),
                Err((layer, Error::Checksum)),
                "{what}: bit {mask:#04x} of byte {at} flipped"
            );
        }
    }
}

/// An IPv4 header as Linux sent every one in these captures: no options, TTL 64, DSCP
/// and ECN 0, not a fragment. Tests override the rest with struct update syntax.
fn ipv4(
    src_addr: Ipv4Address,
    dst_addr: Ipv4Address,
    next_header: IpProtocol,
    payload_len: usize,
    ident: u16,
    dont_frag: bool,
) -> Ipv4Repr {
    Ipv4Repr {
        src_addr,
        dst_addr,
        next_header,
        payload_len,
        hop_limit: 64,
        dscp: 0,
        ecn: 0,
        ident,
        dont_frag,
        more_frags: false,
        frag_offset: 0,
        options: Ipv4Options::EMPTY,
    }
}

fn ipv4_view(frame: &[u8]) -> Ipv4Packet<&[u8]> {
    Ipv4Packet::new_checked(&frame[14..]).expect("IPv4 header")
}

fn ipv6_frame_payload(frame: &[u8]) -> &[u8] {
    &frame[14 + 40..]
}

// ---------------------------------------------------------------------------------------
// arp.pcap

#[test]
fn linux_arp_request_and_reply_parse_to_who_has_and_is_at() {
    let frames = frames(ARP, 2);
    let request = parse(frames[0]).unwrap();
    assert_eq!(
        request.eth,
        EthernetRepr {
            src_addr: MAC_A,
            dst_addr: EthernetAddress::BROADCAST,
            ethertype: EthernetProtocol::Arp,
            vlan: None,
        }
    );
    assert_eq!(
        request.net,
        Net::Arp(ArpRepr::EthernetIpv4 {
            operation: ArpOperation::Request,
            source_hardware_addr: MAC_A,
            source_protocol_addr: IP4_A,
            // tshark: "Target MAC address: Broadcast (ff:ff:ff:ff:ff:ff)" (arping's choice).
            target_hardware_addr: EthernetAddress::BROADCAST,
            target_protocol_addr: IP4_B,
        })
    );
    let reply = parse(frames[1]).unwrap();
    assert_eq!(
        reply.eth,
        EthernetRepr {
            src_addr: MAC_B,
            dst_addr: MAC_A,
            ethertype: EthernetProtocol::Arp,
            vlan: None,
        }
    );
    assert_eq!(
        reply.net,
        Net::Arp(ArpRepr::EthernetIpv4 {
            operation: ArpOperation::Reply,
            source_hardware_addr: MAC_B,
            source_protocol_addr: IP4_B,
            target_hardware_addr: MAC_A,
            target_protocol_addr: IP4_A,
        })
    );
    // 42 bytes on the wire: veth does not pad to 60, and ARP ends at byte 28.
    assert_eq!(frames[0].len(), 42);
    assert_eq!(frames[1].len(), 42);
}

#[test]
fn linux_arp_frames_reemit_byte_for_byte() {
    assert_round_trips("arp", ARP, 2);
}

// ---------------------------------------------------------------------------------------
// icmpv4_echo.pcap

#[test]
fn linux_icmpv4_echo_pairs_parse_to_ident_0x618e_seq_1_and_2_with_56_data_bytes() {
    let frames = frames(ICMPV4_ECHO, 4);
    // (ident, DF, IPv4 checksum, ICMP checksum, seq), from icmpv4_echo.txt.
    let expected = [
        (0x8fde, true, 0x26c7, 0xc92f, 1),
        (0x92d2, false, 0x63d3, 0xd12f, 1),
        (0x8ff7, true, 0x26ae, 0xe917, 2),
        (0x92fc, false, 0x63a9, 0xf117, 2),
    ];
    for (i, (frame, (ident, df, ip_sum, icmp_sum, seq))) in frames.iter().zip(expected).enumerate()
    {
        let layers = parse(frame).unwrap();
        let request = i % 2 == 0;
        let (src_mac, dst_mac, src, dst) = if request {
            (MAC_A, MAC_B, IP4_A, IP4_B)
        } else {
            (MAC_B, MAC_A, IP4_B, IP4_A)
        };
        assert_eq!(frame.len(), 98);
        assert_eq!(
            (layers.eth.src_addr, layers.eth.dst_addr),
            (src_mac, dst_mac)
        );
        assert_eq!(layers.eth.ethertype, EthernetProtocol::Ipv4);
        assert_eq!(
            layers.ipv4(),
            ipv4(src, dst, IpProtocol::Icmp, 64, ident, df)
        );
        let view = ipv4_view(frame);
        assert_eq!((view.total_len(), view.checksum()), (84, ip_sum));
        assert!(view.verify_checksum());
        let icmp = Icmpv4Packet::new_checked(view.payload()).unwrap();
        assert_eq!((icmp.msg_code(), icmp.checksum()), (0, icmp_sum));
        // tshark shows an 8-byte timestamp then "Data (48 bytes)": 56 data bytes in all.
        match layers.icmpv4() {
            Icmpv4Repr::EchoRequest {
                ident,
                seq_no,
                data,
            } if request => {
                assert_eq!((ident, seq_no, data.len()), (0x618e, seq, 56));
            }
            Icmpv4Repr::EchoReply {
                ident,
                seq_no,
                data,
            } if !request => {
                assert_eq!((ident, seq_no, data.len()), (0x618e, seq, 56));
                // RFC 792: the reply echoes the request's data.
                let asked = parse(frames[i - 1]).unwrap().icmpv4();
                let Icmpv4Repr::EchoRequest { data: asked, .. } = asked else {
                    panic!("frame {i} is not a request");
                };
                assert_eq!(data, asked);
            }
            other => panic!("frame {}: {other:?}", i + 1),
        }
    }
}

#[test]
fn linux_icmpv4_echo_frames_reemit_byte_for_byte() {
    assert_round_trips("icmpv4_echo", ICMPV4_ECHO, 4);
}

#[test]
fn linux_icmpv4_echo_frames_with_a_flipped_bit_fail_their_checksums() {
    assert_bit_flips_fail_checksums("icmpv4_echo", ICMPV4_ECHO, 4);
}

// ---------------------------------------------------------------------------------------
// icmpv4_frag.pcap

/// Reassembles the ICMP message carried by three fragments (in order, no overlap).
fn reassemble(fragments: &[&[u8]]) -> Vec<u8> {
    let mut message = Vec::new();
    for frame in fragments {
        let ip = parse(frame).unwrap().ipv4();
        assert_eq!(usize::from(ip.frag_offset), message.len(), "contiguous");
        let Some(L4::Fragment(data)) = parse(frame).unwrap().l4 else {
            panic!("not a fragment");
        };
        message.extend_from_slice(data);
    }
    message
}

#[test]
fn linux_icmpv4_fragments_share_ident_with_offsets_0_1480_2960_and_mf_on_all_but_last() {
    let frames = frames(ICMPV4_FRAG, 6);
    // (ident, IPv4 checksum) per frame; offsets, MF and lengths repeat per datagram.
    let expected = [
        (0x90ed, 0x4030),
        (0x90ed, 0x3f77),
        (0x90ed, 0x6456),
        (0x931a, 0x3e03),
        (0x931a, 0x3d4a),
        (0x931a, 0x6229),
    ];
    let shape = [(0, true, 1480), (1480, true, 1480), (2960, false, 48)];
    for (i, (frame, (ident, ip_sum))) in frames.iter().zip(expected).enumerate() {
        let (offset, more, len) = shape[i % 3];
        let from_a = i < 3;
        let (src, dst) = if from_a {
            (IP4_A, IP4_B)
        } else {
            (IP4_B, IP4_A)
        };
        let layers = parse(frame).unwrap();
        assert_eq!(layers.eth.src_addr, if from_a { MAC_A } else { MAC_B });
        assert_eq!(
            layers.ipv4(),
            Ipv4Repr {
                more_frags: more,
                frag_offset: offset,
                // Fragmented, so DF is clear (ping lets the kernel fragment).
                ..ipv4(src, dst, IpProtocol::Icmp, len, ident, false)
            }
        );
        let view = ipv4_view(frame);
        assert_eq!(view.checksum(), ip_sum);
        assert_eq!(usize::from(view.total_len()), 20 + len);
        assert_eq!(frame.len(), 14 + 20 + len);
        assert_eq!(layers.l4, Some(L4::Fragment(&frame[34..])));
    }
}

#[test]
fn linux_icmpv4_fragments_reassemble_to_an_echo_with_3000_data_bytes_and_a_valid_checksum() {
    let frames = frames(ICMPV4_FRAG, 6);
    let caps = ChecksumCapabilities::default();
    // (type, ICMP checksum from frame 3 / 6 of the txt, which tshark shows reassembled).
    for (fragments, request, icmp_sum) in
        [(&frames[..3], true, 0x2c36), (&frames[3..], false, 0x3436)]
    {
        let message = reassemble(fragments);
        assert_eq!(message.len(), 3008);
        let view = Icmpv4Packet::new_checked(&message[..]).unwrap();
        assert_eq!(view.checksum(), icmp_sum);
        let repr = Icmpv4Repr::parse(&view, &caps).unwrap();
        let (ident, seq_no, data) = match repr {
            Icmpv4Repr::EchoRequest {
                ident,
                seq_no,
                data,
            } if request => (ident, seq_no, data),
            Icmpv4Repr::EchoReply {
                ident,
                seq_no,
                data,
            } if !request => (ident, seq_no, data),
            other => panic!("{other:?}"),
        };
        // tshark: "Data (2992 bytes)" after ping's 8-byte timestamp.
        assert_eq!((ident, seq_no, data.len()), (0x62c8, 1, 3000));
        let mut out = vec![0u8; repr.buffer_len()];
        repr.emit(&mut Icmpv4Packet::new_unchecked(&mut out[..]), &caps);
        assert_bytes_eq("reassembled echo re-emitted", &out, &message);
    }
}

#[test]
fn linux_icmpv4_fragment_with_a_flipped_bit_fails_the_reassembled_icmp_checksum() {
    let frames = frames(ICMPV4_FRAG, 6);
    let caps = ChecksumCapabilities::default();
    // A bit in the middle fragment: only the ICMP checksum over the reassembled
    // message can see it, since the fragment's own IPv4 header is intact.
    let bad = flipped(frames[1], 14 + 20 + 700, 0x10);
    assert!(parse(&bad).is_ok());
    let message = reassemble(&[frames[0], &bad, frames[2]]);
    let view = Icmpv4Packet::new_checked(&message[..]).unwrap();
    assert_eq!(Icmpv4Repr::parse(&view, &caps), Err(Error::Checksum));
    // And in every fragment's IPv4 header.
    for (i, frame) in frames.iter().enumerate() {
        let bad = flipped(frame, 14 + 4, 0x01);
        assert_eq!(
            parse(&bad),
            Err((Layer::Ipv4, Error::Checksum)),
            "frame {}",
            i + 1
        );
    }
}

#[test]
fn linux_icmpv4_fragments_reemit_byte_for_byte() {
    assert_round_trips("icmpv4_frag", ICMPV4_FRAG, 6);
}

// ---------------------------------------------------------------------------------------
// icmpv4_port_unreachable.pcap

/// The UDP datagram of frame 1: 40000 > 9, length 20, checksum 0x58aa, "hello skiff\n".
const UNREACHABLE_UDP: [u8; 20] = [
    0x9c, 0x40, 0x00, 0x09, 0x00, 0x14, 0x58, 0xaa, b'h', b'e', b'l', b'l', b'o', b' ', b's', b'k',
    b'i', b'f', b'f', b'\n',
];

fn quoted_udp_header() -> Ipv4Repr {
    ipv4(IP4_A, IP4_B, IpProtocol::Udp, 20, 0xe11f, true)
}

#[test]
fn linux_udp_to_closed_port_9_parses_with_hello_skiff_payload() {
    let frames = frames(ICMPV4_PORT_UNREACHABLE, 2);
    let layers = parse(frames[0]).unwrap();
    assert_eq!(frames[0].len(), 54);
    assert_eq!((layers.eth.src_addr, layers.eth.dst_addr), (MAC_A, MAC_B));
    assert_eq!(layers.ipv4(), quoted_udp_header());
    assert_eq!(ipv4_view(frames[0]).checksum(), 0xd5a1);
    let (udp, payload) = layers.udp();
    assert_eq!((udp.src_port, udp.dst_port), (40000, 9));
    assert_eq!(payload, HELLO_SKIFF);
    assert_eq!(&frames[0][34..], &UNREACHABLE_UDP);
    let view = UdpPacket::new_checked(&frames[0][34..]).unwrap();
    assert_eq!((view.len(), view.checksum()), (20, 0x58aa));
}

#[test]
fn linux_port_unreachable_quotes_the_ipv4_header_and_whole_udp_datagram() {
    let frames = frames(ICMPV4_PORT_UNREACHABLE, 2);
    let layers = parse(frames[1]).unwrap();
    assert_eq!(frames[1].len(), 82);
    assert_eq!((layers.eth.src_addr, layers.eth.dst_addr), (MAC_B, MAC_A));
    assert_eq!(
        layers.ipv4(),
        Ipv4Repr {
            // tshark: "Differentiated Services Field: 0xc0 (DSCP: CS6...)": Linux sends
            // ICMP errors as internetwork control (IPTOS_PREC_INTERNETCONTROL).
            dscp: 48,
            ..ipv4(IP4_B, IP4_A, IpProtocol::Icmp, 48, 0x9432, false)
        }
    );
    let view = ipv4_view(frames[1]);
    assert_eq!((view.total_len(), view.checksum()), (68, 0x61c3));
    let icmp = Icmpv4Packet::new_checked(view.payload()).unwrap();
    assert_eq!((icmp.msg_code(), icmp.checksum()), (3, 0x8126));
    assert_eq!(
        layers.icmpv4(),
        Icmpv4Repr::DstUnreachable {
            reason: Icmpv4DstUnreachable::PortUnreachable,
            next_hop_mtu: 0,
            header: quoted_udp_header(),
            data: &UNREACHABLE_UDP,
        }
    );
    // The quote is frame 1's IP datagram, byte for byte (quoted checksum 0xd5a1 intact).
    assert_eq!(&frames[1][14 + 20 + 8..], &frames[0][14..]);
}

#[test]
fn linux_icmpv4_port_unreachable_frames_reemit_byte_for_byte() {
    assert_round_trips("icmpv4_port_unreachable", ICMPV4_PORT_UNREACHABLE, 2);
}

#[test]
fn linux_icmpv4_port_unreachable_frames_with_a_flipped_bit_fail_their_checksums() {
    assert_bit_flips_fail_checksums("icmpv4_port_unreachable", ICMPV4_PORT_UNREACHABLE, 2);
    // A bit inside the quoted IPv4 header is covered by the outer ICMP checksum.
    let frames = frames(ICMPV4_PORT_UNREACHABLE, 2);
    let bad = flipped(frames[1], 14 + 20 + 8 + 4, 0x01);
    assert_eq!(parse(&bad), Err((Layer::Icmpv4, Error::Checksum)));
}

// ---------------------------------------------------------------------------------------
// ipv6_ndp.pcap

#[test]
fn linux_neighbor_solicitation_targets_2001_db8_2_with_source_link_layer_option() {
    let frames = frames(IPV6_NDP, 4);
    let layers = parse(frames[0]).unwrap();
    assert_eq!(frames[0].len(), 86);
    assert_eq!(
        layers.eth,
        EthernetRepr {
            src_addr: MAC_A,
            // 33:33 + the low 32 bits of ff02::1:ff00:2 (RFC 2464 §7).
            dst_addr: EthernetAddress([0x33, 0x33, 0xff, 0x00, 0x00, 0x02]),
            ethertype: EthernetProtocol::Ipv6,
            vlan: None,
        }
    );
    assert_eq!(
        layers.ipv6(),
        Ipv6Repr {
            src_addr: IP6_A,
            dst_addr: Ipv6Address::new(0xff02, 0, 0, 0, 0, 1, 0xff00, 2),
            next_header: IpProtocol::Icmpv6,
            payload_len: 32,
            hop_limit: 255,
            traffic_class: 0,
            flow_label: 0,
        }
    );
    let icmp = Icmpv6Packet::new_checked(ipv6_frame_payload(frames[0])).unwrap();
    assert_eq!((icmp.msg_code(), icmp.checksum()), (0, 0x1c27));
    assert_eq!(
        layers.icmpv6(),
        Icmpv6Repr::Ndisc(NdiscRepr::NeighborSolicit {
            target_addr: IP6_B,
            lladdr: Some(NdiscLinkLayerAddress([2, 0, 0, 0, 0, 1])),
        })
    );
}

#[test]
fn linux_neighbor_advertisement_is_solicited_override_with_target_link_layer_option() {
    let frames = frames(IPV6_NDP, 4);
    let layers = parse(frames[1]).unwrap();
    assert_eq!(frames[1].len(), 86);
    assert_eq!((layers.eth.src_addr, layers.eth.dst_addr), (MAC_B, MAC_A));
    assert_eq!(
        layers.ipv6(),
        Ipv6Repr {
            src_addr: IP6_B,
            dst_addr: IP6_A,
            next_header: IpProtocol::Icmpv6,
            payload_len: 32,
            hop_limit: 255,
            traffic_class: 0,
            flow_label: 0,
        }
    );
    let icmp = Icmpv6Packet::new_checked(ipv6_frame_payload(frames[1])).unwrap();
    assert_eq!((icmp.msg_code(), icmp.checksum()), (0, 0x8a71));
    // tshark: "Flags: 0x60000000, Solicited, Override", Router not set.
    assert_eq!(
        layers.icmpv6(),
        Icmpv6Repr::Ndisc(NdiscRepr::NeighborAdvert {
            flags: NdiscNeighborFlags::SOLICITED | NdiscNeighborFlags::OVERRIDE,
            target_addr: IP6_B,
            lladdr: Some(NdiscLinkLayerAddress([2, 0, 0, 0, 0, 2])),
        })
    );
}

#[test]
fn linux_icmpv6_echo_pair_carries_flow_labels_and_ident_0x6380_seq_1() {
    let frames = frames(IPV6_NDP, 4);
    // (from A, flow label, ICMPv6 checksum)
    for (frame, (from_a, flow, sum)) in frames[2..]
        .iter()
        .zip([(true, 0x67347, 0x1749), (false, 0xe9749, 0x1649)])
    {
        let layers = parse(frame).unwrap();
        assert_eq!(frame.len(), 118);
        let (src, dst) = if from_a {
            (IP6_A, IP6_B)
        } else {
            (IP6_B, IP6_A)
        };
        assert_eq!(
            layers.ipv6(),
            Ipv6Repr {
                src_addr: src,
                dst_addr: dst,
                next_header: IpProtocol::Icmpv6,
                payload_len: 64,
                hop_limit: 64,
                traffic_class: 0,
                flow_label: flow,
            }
        );
        let icmp = Icmpv6Packet::new_checked(ipv6_frame_payload(frame)).unwrap();
        assert_eq!((icmp.msg_code(), icmp.checksum()), (0, sum));
        let (ident, seq_no, data) = match layers.icmpv6() {
            Icmpv6Repr::EchoRequest {
                ident,
                seq_no,
                data,
            } if from_a => (ident, seq_no, data),
            Icmpv6Repr::EchoReply {
                ident,
                seq_no,
                data,
            } if !from_a => (ident, seq_no, data),
            other => panic!("{other:?}"),
        };
        assert_eq!((ident, seq_no, data.len()), (0x6380, 1, 56));
        assert_eq!(data, &frames[2][14 + 40 + 8..], "the reply echoes the data");
    }
}

#[test]
fn linux_ipv6_ndp_frames_reemit_byte_for_byte() {
    assert_round_trips("ipv6_ndp", IPV6_NDP, 4);
}

#[test]
fn linux_ipv6_ndp_frames_with_a_flipped_bit_fail_their_checksums() {
    assert_bit_flips_fail_checksums("ipv6_ndp", IPV6_NDP, 4);
}

// ---------------------------------------------------------------------------------------
// tcp_handshake.pcap, tcp_ipv6.pcap, tcp_rst.pcap

/// One segment as tshark shows it.
struct Segment {
    from_a: bool,
    seq: u32,
    ack: Option<u32>,
    flags: TcpFlags,
    window: u16,
    checksum: u16,
    ts: Option<(u32, u32)>,
    payload: &'static [u8],
}

#[allow(clippy::too_many_arguments)]
const fn seg(
    from_a: bool,
    seq: u32,
    ack: Option<u32>,
    flags: TcpFlags,
    window: u16,
    checksum: u16,
    ts: Option<(u32, u32)>,
    payload: &'static [u8],
) -> Segment {
    Segment {
        from_a,
        seq,
        ack,
        flags,
        window,
        checksum,
        ts,
        payload,
    }
}

const SYN: TcpFlags = TcpFlags::SYN;
const SYN_ACK: TcpFlags = TcpFlags::SYN.union(TcpFlags::ACK);
const ACK: TcpFlags = TcpFlags::ACK;
const PSH_ACK: TcpFlags = TcpFlags::PSH.union(TcpFlags::ACK);
const FIN_ACK: TcpFlags = TcpFlags::FIN.union(TcpFlags::ACK);
const RST_ACK: TcpFlags = TcpFlags::RST.union(TcpFlags::ACK);
const FROM_A: &[u8] = b"hello from A\n";
const FROM_B: &[u8] = b"hello from B\n";

/// Checks one segment and its options; `mss` is expected on SYNs only, with SACK
/// permitted and window scale 10, exactly as Linux sends them.
fn assert_segment(what: &str, tcp: &TcpRepr, ports: (u16, u16), want: &Segment, mss: u16) {
    let (a, b) = ports;
    let ports = if want.from_a { (a, b) } else { (b, a) };
    assert_eq!((tcp.src_port, tcp.dst_port), ports, "{what}: ports");
    assert_eq!(tcp.seq_number, SeqNumber(want.seq), "{what}: seq");
    assert_eq!(tcp.ack_number, want.ack.map(SeqNumber), "{what}: ack");
    assert_eq!(tcp.flags, want.flags, "{what}: flags");
    assert_eq!(tcp.window_len, want.window, "{what}: window");
    assert_eq!(tcp.urgent_pointer, 0, "{what}: urgent pointer");
    let ts = want
        .ts
        .map(|(tsval, tsecr)| TcpTimestampRepr { tsval, tsecr });
    assert_eq!(tcp.timestamp, ts, "{what}: timestamps");
    let syn = want.flags.contains(TcpFlags::SYN);
    assert_eq!(tcp.max_seg_size, syn.then_some(mss), "{what}: MSS");
    assert_eq!(tcp.window_scale, syn.then_some(10), "{what}: window scale");
    assert_eq!(tcp.sack_permitted, syn, "{what}: SACK permitted");
    assert_eq!(tcp.sack_ranges, [None; 4], "{what}: SACK blocks");
    assert_eq!(tcp.payload, want.payload, "{what}: payload");
}

fn tcp_checksum(segment: &[u8]) -> u16 {
    TcpPacket::new_checked(segment).unwrap().checksum()
}

#[rustfmt::skip]
const HANDSHAKE: [Segment; 10] = [
    seg(true, 93717395, None, SYN, 64240, 0x442a, Some((1080656041, 0)), b""),
    seg(false, 473823451, Some(93717396), SYN_ACK, 65160, 0xe30f, Some((1493954380, 1080656041)), b""),
    seg(true, 93717396, Some(473823452), ACK, 63, 0x1029, Some((1080656041, 1493954380)), b""),
    seg(true, 93717396, Some(473823452), PSH_ACK, 63, 0xcc00, Some((1080656041, 1493954380)), FROM_A),
    seg(false, 473823452, Some(93717409), ACK, 64, 0x101b, Some((1493954380, 1080656041)), b""),
    seg(false, 473823452, Some(93717409), PSH_ACK, 64, 0xcbf0, Some((1493954381, 1080656041)), FROM_B),
    seg(true, 93717409, Some(473823465), ACK, 63, 0x100d, Some((1080656042, 1493954381)), b""),
    seg(true, 93717409, Some(473823465), FIN_ACK, 63, 0x0fa8, Some((1080656142, 1493954381)), b""),
    seg(false, 473823465, Some(93717410), FIN_ACK, 64, 0x0f42, Some((1493954481, 1080656142)), b""),
    seg(true, 93717410, Some(473823466), ACK, 63, 0x0f43, Some((1080656142, 1493954481)), b""),
];

#[test]
fn linux_tcp_handshake_segments_match_tshark_seq_ack_flags_window_and_timestamps() {
    let frames = frames(TCP_HANDSHAKE, 10);
    // (IPv4 ident, IPv4 checksum) per frame. Linux sends the SYN-ACK with ident 0 (DF
    // set, no per-socket counter yet).
    let ip = [
        (0x64ca, 0x51ee),
        (0x0000, 0xb6b8),
        (0x64cb, 0x51f5),
        (0x64cc, 0x51e7),
        (0xd92e, 0xdd91),
        (0xd92f, 0xdd83),
        (0x64cd, 0x51f3),
        (0x64ce, 0x51f2),
        (0xd930, 0xdd8f),
        (0x64cf, 0x51f1),
    ];
    for (i, ((frame, want), (ident, ip_sum))) in frames.iter().zip(&HANDSHAKE).zip(ip).enumerate() {
        let what = format!("tcp_handshake frame {}", i + 1);
        let layers = parse(frame).unwrap();
        let (src_mac, dst_mac, src, dst) = if want.from_a {
            (MAC_A, MAC_B, IP4_A, IP4_B)
        } else {
            (MAC_B, MAC_A, IP4_B, IP4_A)
        };
        assert_eq!(
            (layers.eth.src_addr, layers.eth.dst_addr),
            (src_mac, dst_mac)
        );
        assert_eq!(layers.eth.ethertype, EthernetProtocol::Ipv4);
        // Header 40 bytes on SYNs (20 bytes of options), 32 after (NOP,NOP,TS).
        let tcp_len = if want.flags.contains(TcpFlags::SYN) {
            40
        } else {
            32
        };
        let payload_len = tcp_len + want.payload.len();
        assert_eq!(
            layers.ipv4(),
            ipv4(src, dst, IpProtocol::Tcp, payload_len, ident, true),
            "{what}"
        );
        assert_eq!(ipv4_view(frame).checksum(), ip_sum, "{what}");
        assert_eq!(frame.len(), 14 + 20 + payload_len, "{what}");
        let tcp = layers.tcp();
        assert_segment(&what, &tcp, (40001, 7777), want, 1460);
        assert_eq!(tcp.header_len(), tcp_len, "{what}");
        assert_eq!(tcp_checksum(&frame[34..]), want.checksum, "{what}");
    }
}

#[test]
fn linux_syn_options_parse_to_mss_1460_sack_ts_ws10() {
    let frames = frames(TCP_HANDSHAKE, 10);
    let syn = parse(frames[0]).unwrap().tcp();
    assert_eq!(syn.max_seg_size, Some(1460));
    assert!(syn.sack_permitted);
    assert_eq!(
        syn.timestamp,
        Some(TcpTimestampRepr {
            tsval: 1080656041,
            tsecr: 0
        })
    );
    assert_eq!(syn.window_scale, Some(10));
    // Linux's layout: MSS; SACK-permitted; timestamps; NOP; window scale (20 bytes),
    // which is also the layout TcpRepr::emit writes.
    let options = TcpPacket::new_checked(&frames[0][34..])
        .unwrap()
        .options()
        .to_vec();
    assert_eq!(
        options,
        [
            0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0x40, 0x69, 0x80, 0xa9, 0x00, 0x00,
            0x00, 0x00, 0x01, 0x03, 0x03, 0x0a
        ]
    );
}

#[test]
fn linux_tcp_handshake_frames_reemit_byte_for_byte() {
    assert_round_trips("tcp_handshake", TCP_HANDSHAKE, 10);
}

#[test]
fn linux_tcp_handshake_frames_with_a_flipped_bit_fail_their_checksums() {
    assert_bit_flips_fail_checksums("tcp_handshake", TCP_HANDSHAKE, 10);
}

#[rustfmt::skip]
const OVER_IPV6: [Segment; 10] = [
    seg(true, 2547101556, None, SYN, 64800, 0xb43c, Some((685379708, 0)), b""),
    seg(false, 3162964079, Some(2547101557), SYN_ACK, 64260, 0x2740, Some((2990088151, 685379708)), b""),
    seg(true, 2547101557, Some(3162964080), ACK, 64, 0x50c0, Some((685379708, 2990088151)), b""),
    seg(true, 2547101557, Some(3162964080), PSH_ACK, 64, 0x0c98, Some((685379708, 2990088151)), FROM_A),
    seg(false, 3162964080, Some(2547101570), ACK, 63, 0x50b4, Some((2990088151, 685379708)), b""),
    seg(false, 3162964080, Some(2547101570), PSH_ACK, 63, 0x0c8b, Some((2990088151, 685379708)), FROM_B),
    seg(true, 2547101570, Some(3162964093), ACK, 64, 0x50a6, Some((685379708, 2990088151)), b""),
    seg(true, 2547101570, Some(3162964093), FIN_ACK, 64, 0x503f, Some((685379810, 2990088151)), b""),
    seg(false, 3162964093, Some(2547101571), FIN_ACK, 63, 0x4fd9, Some((2990088253, 685379810)), b""),
    seg(true, 2547101571, Some(3162964094), ACK, 64, 0x4fd8, Some((685379810, 2990088253)), b""),
];

#[test]
fn linux_tcp_over_ipv6_segments_carry_mss_1440_and_per_direction_flow_labels() {
    let frames = frames(TCP_IPV6, 10);
    for (i, (frame, want)) in frames.iter().zip(&OVER_IPV6).enumerate() {
        let what = format!("tcp_ipv6 frame {}", i + 1);
        let layers = parse(frame).unwrap();
        let (src_mac, src, dst, flow) = if want.from_a {
            (MAC_A, IP6_A, IP6_B, 0x28030)
        } else {
            (MAC_B, IP6_B, IP6_A, 0x5ae49)
        };
        assert_eq!(layers.eth.src_addr, src_mac, "{what}");
        assert_eq!(layers.eth.ethertype, EthernetProtocol::Ipv6, "{what}");
        let tcp_len = if want.flags.contains(TcpFlags::SYN) {
            40
        } else {
            32
        };
        let payload_len = tcp_len + want.payload.len();
        assert_eq!(
            layers.ipv6(),
            Ipv6Repr {
                src_addr: src,
                dst_addr: dst,
                next_header: IpProtocol::Tcp,
                payload_len,
                hop_limit: 64,
                traffic_class: 0,
                flow_label: flow,
            },
            "{what}"
        );
        assert_eq!(frame.len(), 14 + 40 + payload_len, "{what}");
        let tcp = layers.tcp();
        assert_segment(&what, &tcp, (40001, 7777), want, 1440);
        assert_eq!(
            tcp_checksum(ipv6_frame_payload(frame)),
            want.checksum,
            "{what}"
        );
    }
}

#[test]
fn linux_tcp_ipv6_frames_reemit_byte_for_byte() {
    assert_round_trips("tcp_ipv6", TCP_IPV6, 10);
}

#[test]
fn linux_tcp_ipv6_frames_with_a_flipped_bit_fail_their_checksums() {
    assert_bit_flips_fail_checksums("tcp_ipv6", TCP_IPV6, 10);
}

#[test]
fn linux_rst_ack_to_a_closed_port_has_seq_0_window_0_and_no_options() {
    let frames = frames(TCP_RST, 2);
    let syn = parse(frames[0]).unwrap();
    let want = seg(
        true,
        160275241,
        None,
        SYN,
        64240,
        0xd1f1,
        Some((470915586, 0)),
        b"",
    );
    assert_segment("tcp_rst SYN", &syn.tcp(), (40003, 9), &want, 1460);
    assert_eq!(syn.ipv4().ident, 0xce5a);
    assert_eq!(ipv4_view(frames[0]).checksum(), 0xe85d);
    assert_eq!(tcp_checksum(&frames[0][34..]), 0xd1f1);

    let rst = parse(frames[1]).unwrap();
    assert_eq!(frames[1].len(), 54);
    assert_eq!((rst.eth.src_addr, rst.eth.dst_addr), (MAC_B, MAC_A));
    assert_eq!(rst.ipv4(), ipv4(IP4_B, IP4_A, IpProtocol::Tcp, 20, 0, true));
    assert_eq!(ipv4_view(frames[1]).checksum(), 0xb6cc);
    // RFC 9293 §3.10.7.1: a RST answering a segment without ACK has SEQ=0 and ACKs
    // SEG.SEQ + SEG.LEN (the SYN's ISN + 1).
    let tcp = rst.tcp();
    let want = seg(false, 0, Some(160275242), RST_ACK, 0, 0xeac8, None, b"");
    // A RST carries no options, so assert_segment's SYN-option checks all see "absent".
    assert_segment("tcp_rst RST,ACK", &tcp, (40003, 9), &want, 0);
    assert_eq!(tcp.header_len(), 20);
    assert_eq!(tcp_checksum(&frames[1][34..]), 0xeac8);
}

#[test]
fn linux_tcp_rst_frames_reemit_byte_for_byte() {
    assert_round_trips("tcp_rst", TCP_RST, 2);
}

#[test]
fn linux_tcp_rst_frames_with_a_flipped_bit_fail_their_checksums() {
    assert_bit_flips_fail_checksums("tcp_rst", TCP_RST, 2);
}

// ---------------------------------------------------------------------------------------
// udp.pcap

#[test]
fn linux_udp_over_ipv4_and_ipv6_carries_hello_skiff_from_40002_to_5000() {
    let frames = frames(UDP, 2);
    let v4 = parse(frames[0]).unwrap();
    assert_eq!(frames[0].len(), 54);
    assert_eq!((v4.eth.src_addr, v4.eth.dst_addr), (MAC_A, MAC_B));
    assert_eq!(
        v4.ipv4(),
        ipv4(IP4_A, IP4_B, IpProtocol::Udp, 20, 0xe607, true)
    );
    let view = ipv4_view(frames[0]);
    assert_eq!((view.total_len(), view.checksum()), (40, 0xd0b9));
    let (udp, payload) = v4.udp();
    assert_eq!(
        (udp.src_port, udp.dst_port, payload),
        (40002, 5000, HELLO_SKIFF)
    );
    let datagram = UdpPacket::new_checked(&frames[0][34..]).unwrap();
    assert_eq!((datagram.len(), datagram.checksum()), (20, 0x4529));

    let v6 = parse(frames[1]).unwrap();
    assert_eq!(frames[1].len(), 74);
    assert_eq!((v6.eth.src_addr, v6.eth.dst_addr), (MAC_A, MAC_B));
    assert_eq!(v6.eth.ethertype, EthernetProtocol::Ipv6);
    assert_eq!(
        v6.ipv6(),
        Ipv6Repr {
            src_addr: IP6_A,
            dst_addr: IP6_B,
            next_header: IpProtocol::Udp,
            payload_len: 20,
            hop_limit: 64,
            traffic_class: 0,
            flow_label: 0xc49ec,
        }
    );
    let (udp, payload) = v6.udp();
    assert_eq!(
        (udp.src_port, udp.dst_port, payload),
        (40002, 5000, HELLO_SKIFF)
    );
    let datagram = UdpPacket::new_checked(ipv6_frame_payload(frames[1])).unwrap();
    assert_eq!((datagram.len(), datagram.checksum()), (20, 0x6db8));
}

#[test]
fn linux_udp_frames_reemit_byte_for_byte() {
    assert_round_trips("udp", UDP, 2);
}

#[test]
fn linux_udp_frames_with_a_flipped_bit_fail_their_checksums() {
    assert_bit_flips_fail_checksums("udp", UDP, 2);
}

// ---------------------------------------------------------------------------------------
// The whole-frame dissector.

/// Text each frame's one-line dissection must contain.
const DISSECTION_KEYS: [(&str, &[&str]); 9] = [
    (
        "arp",
        &[
            "ARP who-has 192.0.2.2 tell 192.0.2.1",
            "ARP 192.0.2.2 is-at 02:00:00:00:00:02",
        ],
    ),
    (
        "icmpv4_echo",
        &[
            "ICMPv4 echo request id=24974 seq=1 len=56",
            "ICMPv4 echo reply id=24974 seq=1 len=56",
            "ICMPv4 echo request id=24974 seq=2 len=56",
            "ICMPv4 echo reply id=24974 seq=2 len=56",
        ],
    ),
    (
        "icmpv4_frag",
        &[
            "id=37101 MF | fragment of ICMP off=0 len=1480 MF",
            "id=37101 MF off=1480 | fragment of ICMP off=1480 len=1480 MF",
            "id=37101 off=2960 | fragment of ICMP off=2960 len=48",
            "id=37658 MF | fragment of ICMP off=0 len=1480 MF",
            "id=37658 MF off=1480 | fragment of ICMP off=1480 len=1480 MF",
            "id=37658 off=2960 | fragment of ICMP off=2960 len=48",
        ],
    ),
    (
        "icmpv4_port_unreachable",
        &[
            "UDP 192.0.2.1:40000 > 192.0.2.2:9 len=12",
            "dst unreachable (port unreachable)",
        ],
    ),
    (
        "ipv6_ndp",
        &[
            "neighbor solicitation target=2001:db8::2 slla=02:00:00:00:00:01",
            "neighbor advertisement target=2001:db8::2 S O tlla=02:00:00:00:00:02",
            "ICMPv6 echo request id=25472 seq=1 len=56",
            "ICMPv6 echo reply id=25472 seq=1 len=56",
        ],
    ),
    (
        "tcp_handshake",
        &[
            "[SYN] seq=93717395 ",
            "[SYN,ACK] seq=473823451 ack=93717396 ",
            "[ACK] seq=93717396 ack=473823452 ",
            "[PSH,ACK] seq=93717396 ack=473823452 win=63 len=13 ",
            "[ACK] seq=473823452 ack=93717409 ",
            "[PSH,ACK] seq=473823452 ack=93717409 win=64 len=13 ",
            "[ACK] seq=93717409 ack=473823465 ",
            "[FIN,ACK] seq=93717409 ack=473823465 ",
            "[FIN,ACK] seq=473823465 ack=93717410 ",
            "[ACK] seq=93717410 ack=473823466 ",
        ],
    ),
    (
        "tcp_ipv6",
        &[
            "TCP [2001:db8::1]:40001 > [2001:db8::2]:7777 [SYN] seq=2547101556 ",
            "[SYN,ACK] seq=3162964079 ack=2547101557 ",
            "[ACK] seq=2547101557 ack=3162964080 ",
            "[PSH,ACK] seq=2547101557 ack=3162964080 win=64 len=13 ",
            "[ACK] seq=3162964080 ack=2547101570 ",
            "[PSH,ACK] seq=3162964080 ack=2547101570 win=63 len=13 ",
            "[ACK] seq=2547101570 ack=3162964093 ",
            "[FIN,ACK] seq=2547101570 ack=3162964093 ",
            "[FIN,ACK] seq=3162964093 ack=2547101571 ",
            "[ACK] seq=2547101571 ack=3162964094 ",
        ],
    ),
    (
        "tcp_rst",
        &[
            "[SYN] seq=160275241 win=64240 mss=1460 ws=10 sackOK",
            "[RST,ACK] seq=0 ack=160275242 win=0",
        ],
    ),
    (
        "udp",
        &[
            "UDP 192.0.2.1:40002 > 192.0.2.2:5000 len=12",
            "UDP [2001:db8::1]:40002 > [2001:db8::2]:5000 len=12",
        ],
    ),
];

#[test]
fn linux_every_frame_dissects_to_a_line_with_its_key_fields() {
    let caps = ChecksumCapabilities::default();
    for ((name, pcap, count), (key_name, keys)) in FIXTURES.iter().zip(DISSECTION_KEYS) {
        assert_eq!(*name, key_name);
        let frames = frames(pcap, *count);
        assert_eq!(frames.len(), keys.len(), "{name}");
        for (i, (frame, key)) in frames.iter().zip(keys).enumerate() {
            let line = dissect_ethernet(frame, &caps)
                .unwrap_or_else(|e| panic!("{name} frame {}: {e}", i + 1))
                .to_string();
            assert!(
                line.contains(key),
                "{name} frame {}: {line:?} lacks {key:?}",
                i + 1
            );
            assert!(!line.contains("invalid"), "{name} frame {}: {line}", i + 1);
        }
    }
}

fn dissection(pcap: &[u8], count: usize, index: usize) -> String {
    let frames = frames(pcap, count);
    let frame = dissect_ethernet(frames[index], &ChecksumCapabilities::default()).unwrap();
    frame.to_string()
}

#[test]
fn linux_syn_dissects_to_the_tcpdump_style_line() {
    assert_eq!(
        dissection(TCP_HANDSHAKE, 10, 0),
        "TCP 192.0.2.1:40001 > 192.0.2.2:7777 [SYN] seq=93717395 win=64240 mss=1460 ws=10 \
         sackOK ts=1080656041/0"
    );
    assert_eq!(
        dissection(TCP_HANDSHAKE, 10, 3),
        "TCP 192.0.2.1:40001 > 192.0.2.2:7777 [PSH,ACK] seq=93717396 ack=473823452 win=63 \
         len=13 ts=1080656041/1493954380"
    );
    assert_eq!(
        dissection(TCP_RST, 2, 1),
        "TCP 192.0.2.2:9 > 192.0.2.1:40003 [RST,ACK] seq=0 ack=160275242 win=0"
    );
}

#[test]
fn linux_arp_ndp_icmp_and_fragment_frames_dissect_to_exact_lines() {
    assert_eq!(
        dissection(ARP, 2, 0),
        "ARP who-has 192.0.2.2 tell 192.0.2.1 (02:00:00:00:00:01)"
    );
    let frames = frames(ARP, 2);
    let caps = ChecksumCapabilities::default();
    assert_eq!(
        format!("{:#}", dissect_ethernet(frames[1], &caps).unwrap()),
        "EthernetII 02:00:00:00:00:02 > 02:00:00:00:00:01 type=ARP | \
         ARP 192.0.2.2 is-at 02:00:00:00:00:02"
    );
    assert_eq!(
        dissection(IPV6_NDP, 4, 0),
        "IPv6 2001:db8::1 > ff02::1:ff00:2 next=ICMPv6 hlim=255 len=32 | \
         ICMPv6 neighbor solicitation target=2001:db8::2 slla=02:00:00:00:00:01"
    );
    assert_eq!(
        dissection(IPV6_NDP, 4, 1),
        "IPv6 2001:db8::2 > 2001:db8::1 next=ICMPv6 hlim=255 len=32 | \
         ICMPv6 neighbor advertisement target=2001:db8::2 S O tlla=02:00:00:00:00:02"
    );
    assert_eq!(
        dissection(ICMPV4_PORT_UNREACHABLE, 2, 1),
        "IPv4 192.0.2.2 > 192.0.2.1 proto=ICMP ttl=64 len=68 id=37938 | \
         ICMPv4 dst unreachable (port unreachable) for \
         IPv4 192.0.2.1 > 192.0.2.2 proto=UDP ttl=64 len=40 id=57631 DF"
    );
    assert_eq!(
        dissection(ICMPV4_FRAG, 6, 1),
        "IPv4 192.0.2.1 > 192.0.2.2 proto=ICMP ttl=64 len=1500 id=37101 MF off=1480 | \
         fragment of ICMP off=1480 len=1480 MF"
    );
    assert_eq!(
        dissection(UDP, 2, 1),
        "UDP [2001:db8::1]:40002 > [2001:db8::2]:5000 len=12"
    );
}

#[test]
fn linux_segment_with_a_flipped_bit_dissects_as_invalid_with_a_bad_checksum() {
    let frames = frames(TCP_HANDSHAKE, 10);
    let bad = flipped(frames[3], frames[3].len() - 1, 0x01);
    let line = dissect_ethernet(&bad, &ChecksumCapabilities::default())
        .unwrap()
        .to_string();
    assert!(line.ends_with("| TCP invalid (bad checksum)"), "{line}");
}
