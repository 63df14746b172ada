//! Wireshark as an independent judge of skiff's emitters.
//!
//! Every frame here is built with skiff's own `*Repr::emit` (no hand-written header
//! bytes) and checksums computed by skiff (`ChecksumCapabilities::default()`), written
//! with `PcapWriter` into temporary captures (Ethernet with micro- and nanosecond
//! timestamps, and raw IP), then dissected by `tshark` with checksum validation on. The
//! test fails on any malformed packet, bad checksum or Warning/Error expert message, and
//! checks the protocol stack and a few decoded fields of every frame.
//!
//! Skipped (with a message) when `tshark` is not installed, unless
//! `SKIFF_REQUIRE_TSHARK=1`, as in CI.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::process::Command;

use skiff::pcap::{PcapLinkType, PcapTimestamp, PcapWriter};
use skiff::time::Instant;
use skiff::wire::*;

const MAC_A: EthernetAddress = EthernetAddress([0x02, 0x00, 0x00, 0x00, 0x00, 0x01]);
const MAC_B: EthernetAddress = EthernetAddress([0x02, 0x00, 0x00, 0x00, 0x00, 0x02]);
const V4_A: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
const V4_B: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 2);
const V4_ROUTER: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 254);
const V6_A: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1);
const V6_B: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 2);
const LL_A: Ipv6Addr = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1);
const LL_B: Ipv6Addr = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 2);
/// Solicited-node multicast group of `LL_B` (RFC 4291 §2.7.1).
const SNM_B: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 1, 0xff00, 2);

const TCP_MSS: u16 = 1460;
const TCP_WSCALE: u8 = 7;
const TCP_TSVAL: u32 = 0x0102_0304;
const RA_MTU: u32 = 1480;
const PTB_MTU: u32 = 1280;
const FRAG_NEEDED_MTU: u16 = 1400;

/// Every checksum computed in software, as a stack without offload sends.
fn caps() -> ChecksumCapabilities {
    ChecksumCapabilities::default()
}

/// One test frame: the Ethernet frame, the IP packet inside it (for the raw capture; None
/// for ARP), and the `frame.protocols` tshark must report for the Ethernet frame.
struct Frame {
    name: &'static str,
    eth: Vec<u8>,
    ip: Option<Vec<u8>>,
    protocols: &'static str,
}

// ---------------------------------------------------------------------------------------
// Builders: each allocates the exact buffer and calls the skiff emitter.

fn ethernet(
    src: EthernetAddress,
    dst: EthernetAddress,
    ethertype: EthernetProtocol,
    vlan: Option<u16>,
    payload: &[u8],
) -> Vec<u8> {
    let repr = EthernetRepr {
        src_addr: src,
        dst_addr: dst,
        ethertype,
        vlan: vlan.map(|vid| EthernetVlanTag {
            pcp: 3,
            dei: false,
            vid,
        }),
    };
    // Short frames are zero-padded to the 60-byte minimum.
    let mut buffer = vec![0u8; repr.padded_len(payload.len())];
    let mut frame = EthernetFrame::new_unchecked(&mut buffer[..]);
    repr.emit(&mut frame);
    frame.payload_mut()[..payload.len()].copy_from_slice(payload);
    buffer
}

fn ipv4(repr: Ipv4Repr, payload: &[u8]) -> Vec<u8> {
    assert_eq!(repr.payload_len, payload.len());
    let mut buffer = vec![0u8; repr.buffer_len() + payload.len()];
    let mut packet = Ipv4Packet::new_unchecked(&mut buffer[..]);
    repr.emit(&mut packet, &caps());
    packet.payload_mut().copy_from_slice(payload);
    buffer
}

fn ipv4_plain(src: Ipv4Addr, dst: Ipv4Addr, proto: IpProtocol, payload: &[u8]) -> Vec<u8> {
    let mut repr = Ipv4Repr::new(src, dst, proto, payload.len(), 64);
    repr.ident = 0x1234;
    repr.dont_frag = true;
    ipv4(repr, payload)
}

fn ipv6_repr(src: Ipv6Addr, dst: Ipv6Addr, next: IpProtocol, payload_len: usize) -> Ipv6Repr {
    Ipv6Repr {
        src_addr: src,
        dst_addr: dst,
        next_header: next,
        payload_len,
        hop_limit: 64,
        traffic_class: 0,
        flow_label: 0x12345,
    }
}

fn ipv6(repr: Ipv6Repr, payload: &[u8]) -> Vec<u8> {
    assert_eq!(repr.payload_len, payload.len());
    let mut buffer = vec![0u8; repr.buffer_len() + payload.len()];
    let mut packet = Ipv6Packet::new_unchecked(&mut buffer[..]);
    repr.emit(&mut packet);
    packet.payload_mut().copy_from_slice(payload);
    buffer
}

fn udp(src: IpAddress, dst: IpAddress, sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let repr = UdpRepr {
        src_port: sport,
        dst_port: dport,
    };
    let mut buffer = vec![0u8; repr.buffer_len(payload.len())];
    let mut packet = UdpPacket::new_unchecked(&mut buffer[..]);
    let fill = |area: &mut [u8]| area.copy_from_slice(payload);
    repr.emit(&mut packet, &src, &dst, payload.len(), fill, &caps());
    buffer
}

fn tcp(src: IpAddress, dst: IpAddress, repr: &TcpRepr) -> Vec<u8> {
    let mut buffer = vec![0u8; repr.buffer_len()];
    repr.emit(
        &mut TcpPacket::new_unchecked(&mut buffer[..]),
        &src,
        &dst,
        &caps(),
    );
    buffer
}

fn icmpv4(repr: &Icmpv4Repr) -> Vec<u8> {
    let mut buffer = vec![0u8; repr.buffer_len()];
    repr.emit(&mut Icmpv4Packet::new_unchecked(&mut buffer[..]), &caps());
    buffer
}

fn icmpv6(src: Ipv6Addr, dst: Ipv6Addr, repr: &Icmpv6Repr) -> Vec<u8> {
    let mut buffer = vec![0u8; repr.buffer_len()];
    repr.emit(
        &src,
        &dst,
        &mut Icmpv6Packet::new_unchecked(&mut buffer[..]),
        &caps(),
    );
    buffer
}

fn v4(a: Ipv4Addr) -> IpAddress {
    IpAddress::V4(a)
}

fn v6(a: Ipv6Addr) -> IpAddress {
    IpAddress::V6(a)
}

/// The MAC of the host owning `addr` (the router's is B's), or the group's MAC.
fn mac_of(addr: IpAddress) -> EthernetAddress {
    match addr {
        IpAddress::V6(group) if group.is_multicast() => {
            EthernetAddress::from_ipv6_multicast(group).expect("a multicast group")
        }
        IpAddress::V4(V4_A) | IpAddress::V6(V6_A | LL_A) => MAC_A,
        _ => MAC_B,
    }
}

/// An IPv4 frame between the MACs of its addresses, with the expected protocol stack.
fn frame_v4(name: &'static str, protocols: &'static str, packet: Vec<u8>) -> Frame {
    let header = Ipv4Packet::new_checked(&packet[..]).expect("emitted IPv4");
    let (src, dst) = (mac_of(v4(header.src_addr())), mac_of(v4(header.dst_addr())));
    let eth = ethernet(src, dst, EthernetProtocol::Ipv4, None, &packet);
    Frame {
        name,
        eth,
        ip: Some(packet),
        protocols,
    }
}

/// An IPv6 frame between the MACs of its addresses, with the expected protocol stack.
fn frame_v6(name: &'static str, protocols: &'static str, packet: Vec<u8>) -> Frame {
    let header = Ipv6Packet::new_checked(&packet[..]).expect("emitted IPv6");
    let (src, dst) = (mac_of(v6(header.src_addr())), mac_of(v6(header.dst_addr())));
    let eth = ethernet(src, dst, EthernetProtocol::Ipv6, None, &packet);
    Frame {
        name,
        eth,
        ip: Some(packet),
        protocols,
    }
}

// The protocol stacks (`frame.protocols`) Wireshark reports. TCP payload without a
// dissector for its port is a field of `tcp`, not a `data` layer.
const ARP: &str = "eth:ethertype:arp";
const IP_ICMP: &str = "eth:ethertype:ip:icmp:data";
const IP_ICMP_UDP: &str = "eth:ethertype:ip:icmp:ip:udp:data";
const IP_UDP: &str = "eth:ethertype:ip:udp:data";
const IP_FRAGMENT: &str = "eth:ethertype:ip:data";
const IP_TCP: &str = "eth:ethertype:ip:tcp";
const VLAN_IP_UDP: &str = "eth:ethertype:vlan:ethertype:ip:udp:data";
const IP6_TCP: &str = "eth:ethertype:ipv6:tcp";
const IP6_ICMP: &str = "eth:ethertype:ipv6:icmpv6:data";
const IP6_NDP: &str = "eth:ethertype:ipv6:icmpv6";
const IP6_ICMP_UDP: &str = "eth:ethertype:ipv6:icmpv6:ipv6:udp:data";
const IP6_UDP: &str = "eth:ethertype:ipv6:udp:data";
const IP6_HBH_UDP: &str = "eth:ethertype:ipv6:ipv6.hopopts:udp:data";
const IP6_FRAGMENT: &str = "eth:ethertype:ipv6:ipv6.fraghdr:data";
const IP6_FRAGMENT_UDP: &str = "eth:ethertype:ipv6:ipv6.fraghdr:udp:data";

fn tcp_base<'a>(flags: TcpFlags, seq: u32, ack: Option<u32>, payload: &'a [u8]) -> TcpRepr<'a> {
    TcpRepr {
        src_port: 49152,
        dst_port: 80,
        flags,
        seq_number: SeqNumber(seq),
        ack_number: ack.map(SeqNumber),
        window_len: 64240,
        window_scale: None,
        max_seg_size: None,
        sack_permitted: false,
        sack_ranges: [None; 4],
        timestamp: None,
        urgent_pointer: 0,
        payload,
    }
}

// ---------------------------------------------------------------------------------------
// The frames, one protocol feature each.

fn arp_frames() -> Vec<Frame> {
    let arp = |operation, sha, spa, tha, tpa| {
        let repr = ArpRepr::EthernetIpv4 {
            operation,
            source_hardware_addr: sha,
            source_protocol_addr: spa,
            target_hardware_addr: tha,
            target_protocol_addr: tpa,
        };
        let mut buffer = vec![0u8; repr.buffer_len()];
        repr.emit(&mut ArpPacket::new_unchecked(&mut buffer[..]));
        buffer
    };
    let zero = EthernetAddress([0; 6]);
    let request = arp(ArpOperation::Request, MAC_A, V4_A, zero, V4_B);
    let reply = arp(ArpOperation::Reply, MAC_B, V4_B, MAC_A, V4_A);
    let arp_frame = |name, src, dst, payload: &[u8]| Frame {
        name,
        eth: ethernet(src, dst, EthernetProtocol::Arp, None, payload),
        ip: None,
        protocols: ARP,
    };
    vec![
        arp_frame("ARP request", MAC_A, EthernetAddress::BROADCAST, &request),
        arp_frame("ARP reply", MAC_B, MAC_A, &reply),
    ]
}

fn icmpv4_frames() -> Vec<Frame> {
    // Odd lengths here and below exercise the checksum of a trailing odd byte.
    let data: Vec<u8> = (0u8..33).collect();
    let echo = |reply: bool| {
        let (ident, seq_no, data) = (0x4242, 1, &data[..]);
        let repr = match reply {
            false => Icmpv4Repr::EchoRequest {
                ident,
                seq_no,
                data,
            },
            true => Icmpv4Repr::EchoReply {
                ident,
                seq_no,
                data,
            },
        };
        let (src, dst) = if reply { (V4_B, V4_A) } else { (V4_A, V4_B) };
        ipv4_plain(src, dst, IpProtocol::Icmp, &icmpv4(&repr))
    };
    // The datagram B's port unreachable quotes: A's whole UDP datagram.
    let datagram = udp(v4(V4_A), v4(V4_B), 40000, 40001, b"nobody listens here");
    let quoted = Ipv4Repr::new(V4_A, V4_B, IpProtocol::Udp, datagram.len(), 64);
    let unreachable = Icmpv4Repr::DstUnreachable {
        reason: Icmpv4DstUnreachable::PortUnreachable,
        next_hop_mtu: 0,
        header: quoted,
        data: &datagram,
    };
    // A router's fragmentation-needed for a 1500-byte DF datagram: the quote holds the
    // IPv4 header and the first 8 bytes of the UDP header, as RFC 792 requires.
    let big = udp(v4(V4_A), v4(V4_B), 40000, 40001, &[0x55; 1472]);
    let mut big_header = Ipv4Repr::new(V4_A, V4_B, IpProtocol::Udp, big.len(), 64);
    big_header.dont_frag = true;
    let frag_needed = Icmpv4Repr::DstUnreachable {
        reason: Icmpv4DstUnreachable::FragRequired,
        next_hop_mtu: FRAG_NEEDED_MTU,
        header: big_header,
        data: &big[..8],
    };
    let from_router = ipv4_plain(V4_ROUTER, V4_A, IpProtocol::Icmp, &icmpv4(&frag_needed));
    let unreachable = ipv4_plain(V4_B, V4_A, IpProtocol::Icmp, &icmpv4(&unreachable));
    vec![
        frame_v4("ICMPv4 echo request", IP_ICMP, echo(false)),
        frame_v4("ICMPv4 echo reply", IP_ICMP, echo(true)),
        frame_v4(
            "ICMPv4 port unreachable quoting UDP",
            IP_ICMP_UDP,
            unreachable,
        ),
        // Only 8 bytes of UDP are quoted: no payload, so no `data` layer.
        frame_v4(
            "ICMPv4 fragmentation needed",
            "eth:ethertype:ip:icmp:ip:udp",
            from_router,
        ),
    ]
}

fn ipv4_udp_frames() -> Vec<Frame> {
    // Router Alert (RFC 2113): `Ipv4Options` takes the options area as bytes and
    // validates it; there is no per-option emitter.
    let options = Ipv4Options::new(&[148, 4, 0, 0]).expect("valid Router Alert");
    let ra_udp = udp(v4(V4_A), v4(V4_B), 40000, 40002, b"with router alert");
    let mut ra = Ipv4Repr::new(V4_A, V4_B, IpProtocol::Udp, ra_udp.len(), 64);
    ra.options = options;

    // One 48-byte UDP datagram in two 24-byte fragments (offsets in bytes, multiples
    // of 8); the UDP checksum covers the whole datagram.
    let whole = udp(v4(V4_A), v4(V4_B), 40000, 40003, &[0xab; 40]);
    let fragment = |offset: usize, more: bool| {
        let part = &whole[offset..offset + 24];
        let mut repr = Ipv4Repr::new(V4_A, V4_B, IpProtocol::Udp, part.len(), 64);
        repr.ident = 0x4321;
        repr.frag_offset = offset as u16;
        repr.more_frags = more;
        ipv4(repr, part)
    };
    let plain = udp(v4(V4_A), v4(V4_B), 40000, 40004, b"hello, wireshark");
    let tagged = udp(v4(V4_A), v4(V4_B), 40000, 40005, b"tagged");
    let tagged_ip = ipv4_plain(V4_A, V4_B, IpProtocol::Udp, &tagged);
    vec![
        frame_v4("IPv4 Router Alert + UDP", IP_UDP, ipv4(ra, &ra_udp)),
        frame_v4("IPv4 first fragment", IP_FRAGMENT, fragment(0, true)),
        frame_v4("IPv4 last fragment", IP_UDP, fragment(24, false)),
        frame_v4(
            "UDP/IPv4",
            IP_UDP,
            ipv4_plain(V4_A, V4_B, IpProtocol::Udp, &plain),
        ),
        Frame {
            name: "802.1Q VLAN 100 UDP/IPv4",
            eth: ethernet(MAC_A, MAC_B, EthernetProtocol::Ipv4, Some(100), &tagged_ip),
            ip: Some(tagged_ip),
            protocols: VLAN_IP_UDP,
        },
    ]
}

fn tcp_frames() -> Vec<Frame> {
    let (a, b) = (v4(V4_A), v4(V4_B));
    let ts = |tsval, tsecr| Some(TcpTimestampRepr { tsval, tsecr });
    let mut syn = tcp_base(TcpFlags::SYN, 1000, None, &[]);
    syn.max_seg_size = Some(TCP_MSS);
    syn.sack_permitted = true;
    syn.timestamp = ts(TCP_TSVAL, 0);
    syn.window_scale = Some(TCP_WSCALE);
    let mut syn_ack = tcp_base(TcpFlags::SYN, 5000, Some(1001), &[]);
    (syn_ack.src_port, syn_ack.dst_port) = (80, 49152);
    syn_ack.max_seg_size = Some(1400);
    syn_ack.sack_permitted = true;
    syn_ack.timestamp = ts(0x0a0b_0c0d, TCP_TSVAL);
    syn_ack.window_scale = Some(8);
    let mut data = tcp_base(TcpFlags::PSH, 1001, Some(5001), b"0123456789abcdefg");
    data.timestamp = ts(TCP_TSVAL + 1, 0x0a0b_0c0d);
    let mut sack = tcp_base(TcpFlags::empty(), 1018, Some(5001), &[]);
    sack.timestamp = ts(TCP_TSVAL + 2, 0x0a0b_0c0e);
    sack.sack_ranges = [Some((6001, 7001)), Some((8001, 9001)), None, None];
    let fin = tcp_base(TcpFlags::FIN, 1018, Some(5001), &[]);
    let rst = tcp_base(TcpFlags::RST, 1019, None, &[]);
    let mut syn6 = syn;
    syn6.timestamp = None;
    let tcp6 = tcp(v6(V6_A), v6(V6_B), &syn6);
    let tcp6 = ipv6(ipv6_repr(V6_A, V6_B, IpProtocol::Tcp, tcp6.len()), &tcp6);
    let a_to_b = |repr: &TcpRepr| ipv4_plain(V4_A, V4_B, IpProtocol::Tcp, &tcp(a, b, repr));
    let b_to_a = |repr: &TcpRepr| ipv4_plain(V4_B, V4_A, IpProtocol::Tcp, &tcp(b, a, repr));
    vec![
        frame_v4("TCP SYN", IP_TCP, a_to_b(&syn)),
        frame_v4("TCP SYN-ACK", IP_TCP, b_to_a(&syn_ack)),
        frame_v4("TCP ACK with data", IP_TCP, a_to_b(&data)),
        frame_v4("TCP ACK with SACK", IP_TCP, a_to_b(&sack)),
        frame_v4("TCP FIN", IP_TCP, a_to_b(&fin)),
        frame_v4("TCP RST", IP_TCP, a_to_b(&rst)),
        frame_v6("TCP/IPv6 SYN", IP6_TCP, tcp6),
    ]
}

/// An ICMPv6 packet in IPv6, with the hop limit NDP requires (255) for every message.
fn icmpv6_packet(src: Ipv6Addr, dst: Ipv6Addr, repr: &Icmpv6Repr) -> Vec<u8> {
    let message = icmpv6(src, dst, repr);
    let mut header = ipv6_repr(src, dst, IpProtocol::Icmpv6, message.len());
    header.hop_limit = NDISC_HOP_LIMIT;
    ipv6(header, &message)
}

fn icmpv6_frames() -> Vec<Frame> {
    let data: Vec<u8> = (0u8..31).collect();
    let (ident, seq_no) = (0x6666, 7);
    let request = Icmpv6Repr::EchoRequest {
        ident,
        seq_no,
        data: &data,
    };
    let reply = Icmpv6Repr::EchoReply {
        ident,
        seq_no,
        data: &data,
    };
    let lladdr = |mac: EthernetAddress| Some(NdiscLinkLayerAddress(mac.0));
    let ns = NdiscRepr::NeighborSolicit {
        target_addr: LL_B,
        lladdr: lladdr(MAC_A),
    };
    let na = NdiscRepr::NeighborAdvert {
        flags: NdiscNeighborFlags::SOLICITED | NdiscNeighborFlags::OVERRIDE,
        target_addr: LL_B,
        lladdr: lladdr(MAC_B),
    };
    let rs = NdiscRepr::RouterSolicit {
        lladdr: lladdr(MAC_A),
    };
    let prefix = NdiscPrefixInformation {
        prefix_len: 64,
        flags: NdiscPrefixInfoFlags::ON_LINK | NdiscPrefixInfoFlags::ADDRCONF,
        valid_lifetime: 86400,
        preferred_lifetime: 14400,
        prefix: Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0),
    };
    let ra = NdiscRepr::RouterAdvert {
        hop_limit: 64,
        flags: NdiscRouterFlags::OTHER,
        router_lifetime: 1800,
        reachable_time: 30000,
        retrans_time: 1000,
        lladdr: lladdr(MAC_B),
        mtu: Some(RA_MTU),
        prefix_infos: [Some(prefix), None, None, None],
    };
    let (all_nodes, all_routers) = (IPV6_LINK_LOCAL_ALL_NODES, IPV6_LINK_LOCAL_ALL_ROUTERS);
    let nd = |name, src, dst, repr| {
        frame_v6(
            name,
            IP6_NDP,
            icmpv6_packet(src, dst, &Icmpv6Repr::Ndisc(repr)),
        )
    };
    let mut frames = vec![
        frame_v6(
            "ICMPv6 echo request",
            IP6_ICMP,
            icmpv6_packet(V6_A, V6_B, &request),
        ),
        frame_v6(
            "ICMPv6 echo reply",
            IP6_ICMP,
            icmpv6_packet(V6_B, V6_A, &reply),
        ),
        nd("NDP neighbor solicitation", LL_A, SNM_B, ns),
        nd("NDP neighbor advertisement", LL_B, LL_A, na),
        nd("NDP router solicitation", LL_A, all_routers, rs),
        nd("NDP router advertisement", LL_B, all_nodes, ra),
    ];
    frames.extend(icmpv6_error_frames());
    frames
}

fn icmpv6_error_frames() -> Vec<Frame> {
    // Packet Too Big for a 1500-byte packet, quoting as much as fits in the minimum MTU
    // (RFC 4443 §2.4(c)).
    let big = udp(v6(V6_A), v6(V6_B), 40000, 40001, &[0x66; 1452]);
    let big_header = ipv6_repr(V6_A, V6_B, IpProtocol::Udp, big.len());
    let quote_len = IPV6_MIN_MTU - 40 - 8 - 40;
    let ptb = Icmpv6Repr::PktTooBig {
        mtu: PTB_MTU,
        header: big_header,
        data: &big[..quote_len],
    };
    // Port unreachable quoting a whole small datagram.
    let small = udp(v6(V6_A), v6(V6_B), 40000, 40001, b"nobody listens here");
    let unreachable = Icmpv6Repr::DstUnreachable {
        reason: Icmpv6DstUnreachable::PortUnreachable,
        header: ipv6_repr(V6_A, V6_B, IpProtocol::Udp, small.len()),
        data: &small,
    };
    let ptb = icmpv6_packet(V6_B, V6_A, &ptb);
    let unreachable = icmpv6_packet(V6_B, V6_A, &unreachable);
    vec![
        frame_v6("ICMPv6 packet too big", IP6_ICMP_UDP, ptb),
        frame_v6("ICMPv6 port unreachable", IP6_ICMP_UDP, unreachable),
    ]
}

fn ipv6_frames() -> Vec<Frame> {
    let plain = udp(v6(V6_A), v6(V6_B), 40000, 40004, b"hello, wireshark");
    let plain_packet = ipv6(ipv6_repr(V6_A, V6_B, IpProtocol::Udp, plain.len()), &plain);

    // Hop-by-Hop with Router Alert; the emitter pads the header to 8 bytes with PadN.
    let mut alert = [0u8; 4];
    Ipv6OptionRepr::RouterAlert(0).emit(&mut alert);
    let hbh = Ipv6OptionsRepr {
        next_header: IpProtocol::Udp,
        options: &alert,
    };
    let hbh_udp = udp(v6(V6_A), v6(V6_B), 40000, 40002, b"hop by hop");
    let mut hbh_bytes = vec![0u8; hbh.buffer_len()];
    hbh.emit(&mut Ipv6ExtHeader::new_unchecked(&mut hbh_bytes[..]));
    hbh_bytes.extend_from_slice(&hbh_udp);
    let hbh_packet = ipv6(
        ipv6_repr(V6_A, V6_B, IpProtocol::HopByHop, hbh_bytes.len()),
        &hbh_bytes,
    );

    // One 48-byte UDP datagram in two fragments of 24 bytes behind Fragment headers.
    let whole = udp(v6(V6_A), v6(V6_B), 40000, 40003, &[0xcd; 40]);
    let fragment = |offset: usize, more_frags: bool| {
        let repr = Ipv6FragmentRepr {
            next_header: IpProtocol::Udp,
            frag_offset: offset as u16,
            more_frags,
            ident: 0xdead_beef,
        };
        let mut bytes = vec![0u8; repr.buffer_len()];
        repr.emit(&mut Ipv6FragmentHeader::new_unchecked(&mut bytes[..]));
        bytes.extend_from_slice(&whole[offset..offset + 24]);
        ipv6(
            ipv6_repr(V6_A, V6_B, IpProtocol::Ipv6Frag, bytes.len()),
            &bytes,
        )
    };
    vec![
        frame_v6("UDP/IPv6", IP6_UDP, plain_packet),
        frame_v6("IPv6 hop-by-hop + UDP", IP6_HBH_UDP, hbh_packet),
        frame_v6("IPv6 first fragment", IP6_FRAGMENT, fragment(0, true)),
        frame_v6("IPv6 last fragment", IP6_FRAGMENT_UDP, fragment(24, false)),
    ]
}

fn all_frames() -> Vec<Frame> {
    let mut frames = arp_frames();
    frames.extend(icmpv4_frames());
    frames.extend(ipv4_udp_frames());
    frames.extend(tcp_frames());
    frames.extend(icmpv6_frames());
    frames.extend(ipv6_frames());
    frames
}

// ---------------------------------------------------------------------------------------
// Captures and tshark.

/// First frame's time: 2023-11-14 22:13:20.000123 UTC; then one per millisecond.
const BASE_MICROS: i64 = 1_700_000_000_000_123;

fn timestamp(index: usize) -> Instant {
    Instant::from_micros(BASE_MICROS + 1000 * index as i64)
}

fn write_capture(path: &Path, link: PcapLinkType, resolution: PcapTimestamp, frames: &[&[u8]]) {
    let mut writer = PcapWriter::new(Vec::new(), link, resolution, 65535);
    for (index, frame) in frames.iter().enumerate() {
        writer.write_frame(timestamp(index), frame);
    }
    std::fs::write(path, writer.into_sink()).expect("write capture");
}

/// Removes the temporary directory however the test ends.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn tshark_installed() -> bool {
    Command::new("tshark")
        .arg("--version")
        .output()
        .is_ok_and(|out| out.status.success())
}

/// Runs tshark on `file` with checksum validation on and sequence analysis off (it would
/// comment on our hand-picked sequence numbers, not on the encoding).
fn tshark(file: &Path, args: &[&str]) -> String {
    let out = Command::new("tshark")
        .arg("-r")
        .arg(file)
        .args(["-o", "ip.check_checksum:TRUE"])
        .args(["-o", "tcp.check_checksum:TRUE"])
        .args(["-o", "udp.check_checksum:TRUE"])
        .args(["-o", "tcp.analyze_sequence_numbers:FALSE"])
        .args(args)
        .output()
        .expect("run tshark");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "tshark failed on {}: {stderr}",
        file.display()
    );
    String::from_utf8(out.stdout).expect("tshark prints UTF-8")
}

/// `-T fields` output as rows of columns (tab-separated, occurrences joined by `|`).
fn tshark_fields(file: &Path, fields: &[&str]) -> Vec<Vec<String>> {
    let mut args = vec!["-T", "fields", "-E", "aggregator=|", "-E", "occurrence=a"];
    for field in fields {
        args.extend(["-e", field]);
    }
    tshark(file, &args)
        .lines()
        .map(|line| line.split('\t').map(str::to_owned).collect())
        .collect()
}

/// The expert message Wireshark attaches to every RST, at Warning severity. An RST is
/// what the frame is meant to be, not an encoding fault.
const EXPECTED_WARNING: &str = "Connection reset (RST)";
const SEVERITY_WARNING: u32 = 0x0060_0000;

/// `frame.protocols` of the raw-IP capture: the Ethernet stack without the link layers.
fn raw_protocols(eth: &str) -> String {
    let ip = eth
        .trim_start_matches("eth:ethertype:")
        .trim_start_matches("vlan:ethertype:");
    format!("raw:{ip}")
}

/// Checks one capture: frame count, protocol stacks, expert messages, and that nothing is
/// malformed or has a bad checksum. Returns the `-V` output.
fn check_capture(file: &Path, expected: &[(&str, String)]) -> String {
    let fields = [
        "frame.number",
        "frame.protocols",
        "_ws.expert.severity",
        "_ws.expert.message",
    ];
    let rows = tshark_fields(file, &fields);
    assert_eq!(
        rows.len(),
        expected.len(),
        "frame count of {}",
        file.display()
    );
    for (row, (name, protocols)) in rows.iter().zip(expected) {
        assert_eq!(
            &row[1], protocols,
            "frame {} ({name}) protocol stack",
            row[0]
        );
        let messages: Vec<&str> = row[3].split('|').collect();
        for (severity, message) in row[2].split('|').filter(|s| !s.is_empty()).zip(messages) {
            let severity: u32 = severity.parse().expect("numeric severity");
            // Chat and Note are commentary ("Connection establish request"); Warning
            // and Error would point at the encoding, except the RST one.
            assert!(
                severity < SEVERITY_WARNING || message == EXPECTED_WARNING,
                "frame {} ({name}): expert {severity:#x} {message}",
                row[0]
            );
        }
    }
    let verbose = tshark(file, &["-V"]);
    for bad in [
        "Malformed",
        "[Checksum Status: Bad]",
        "[Header checksum status: Bad]",
        "incorrect",
        "Expert Info (Error",
    ] {
        assert!(
            !verbose.contains(bad),
            "{} contains {bad:?}:\n{verbose}",
            file.display()
        );
    }
    let warnings = verbose.matches("Expert Info (Warning").count();
    assert_eq!(
        warnings,
        verbose
            .matches("(Warning/Sequence): Connection reset (RST)")
            .count()
    );
    verbose
}

/// Checksum statuses per frame (Wireshark's enum: 0 bad, 1 good, 2 unverified, 3 absent),
/// counted per protocol over the whole capture.
fn checksum_counts(file: &Path) -> Vec<(&'static str, usize, usize)> {
    let fields = [
        "ip.checksum.status",
        "icmp.checksum.status",
        "udp.checksum.status",
        "tcp.checksum.status",
        "icmpv6.checksum.status",
    ];
    let rows = tshark_fields(file, &fields);
    fields
        .iter()
        .enumerate()
        .map(|(column, field)| {
            let values = rows.iter().flat_map(|row| row[column].split('|'));
            let values: Vec<&str> = values.filter(|v| !v.is_empty()).collect();
            let good = values.iter().filter(|v| **v == "1").count();
            let bad = values.iter().filter(|v| **v == "0").count();
            (*field, good, bad)
        })
        .collect()
}

/// Fields Wireshark decoded, as (frame name, field, value skiff emitted); `|` joins
/// repeated occurrences in one frame. Fragment offsets are in Wireshark's 8-byte units.
/// The values are the ones the builders above use (`TCP_MSS`, `RA_MTU`, ...).
#[rustfmt::skip]
const EXPECTED_FIELDS: &[(&str, &str, &str)] = &[
    ("ARP request", "arp.opcode", "1"),
    ("ARP reply", "arp.opcode", "2"),
    ("ARP reply", "arp.src.proto_ipv4", "192.0.2.2"),
    ("ICMPv4 echo request", "icmp.ident", "16962"),
    ("ICMPv4 port unreachable quoting UDP", "icmp.code", "3"),
    ("ICMPv4 fragmentation needed", "icmp.mtu", "1400"),
    ("IPv4 Router Alert + UDP", "ip.opt.ra", "0"),
    ("IPv4 first fragment", "ip.flags.mf", "1"),
    ("IPv4 last fragment", "ip.frag_offset", "3"),
    ("IPv4 last fragment", "ip.reassembled.length", "48"),
    ("802.1Q VLAN 100 UDP/IPv4", "vlan.id", "100"),
    ("TCP SYN", "tcp.options.mss_val", "1460"),
    ("TCP SYN", "tcp.options.wscale.shift", "7"),
    ("TCP SYN", "tcp.options.sack_perm", "0402"),
    ("TCP SYN", "tcp.options.timestamp.tsval", "16909060"),
    ("TCP SYN-ACK", "tcp.options.timestamp.tsecr", "16909060"),
    ("TCP ACK with data", "tcp.len", "17"),
    ("TCP ACK with SACK", "tcp.options.sack_le", "6001|8001"),
    ("TCP ACK with SACK", "tcp.options.sack_re", "7001|9001"),
    ("TCP FIN", "tcp.flags.fin", "1"),
    ("TCP RST", "tcp.flags.reset", "1"),
    ("TCP/IPv6 SYN", "tcp.options.mss_val", "1460"),
    ("ICMPv6 echo reply", "icmpv6.echo.sequence_number", "7"),
    ("NDP neighbor solicitation", "icmpv6.nd.ns.target_address", "fe80::2"),
    ("NDP neighbor solicitation", "icmpv6.opt.linkaddr", "02:00:00:00:00:01"),
    ("NDP neighbor advertisement", "icmpv6.nd.na.target_address", "fe80::2"),
    ("NDP neighbor advertisement", "icmpv6.nd.na.flag.s", "1"),
    ("NDP neighbor advertisement", "icmpv6.nd.na.flag.o", "1"),
    ("NDP neighbor advertisement", "icmpv6.nd.na.flag.r", "0"),
    ("NDP neighbor advertisement", "icmpv6.opt.linkaddr", "02:00:00:00:00:02"),
    ("NDP router solicitation", "icmpv6.opt.linkaddr", "02:00:00:00:00:01"),
    ("NDP router advertisement", "icmpv6.opt.mtu", "1480"),
    ("NDP router advertisement", "icmpv6.opt.prefix", "2001:db8::"),
    ("NDP router advertisement", "icmpv6.opt.prefix.length", "64"),
    ("NDP router advertisement", "icmpv6.nd.ra.router_lifetime", "1800"),
    ("ICMPv6 packet too big", "icmpv6.mtu", "1280"),
    ("ICMPv6 port unreachable", "icmpv6.code", "4"),
    ("IPv6 hop-by-hop + UDP", "ipv6.opt.router_alert", "0"),
    ("IPv6 first fragment", "ipv6.fraghdr.more", "1"),
    ("IPv6 last fragment", "ipv6.fraghdr.offset", "3"),
    ("IPv6 last fragment", "ipv6.reassembled.length", "48"),
    ("UDP/IPv6", "udp.length", "24"),
];

/// Checks [`EXPECTED_FIELDS`] in a capture holding `frames` (name, protocol stack), in
/// order. Frames and layers not in the capture (ARP, VLAN in the raw one) are passed over.
fn check_fields(file: &Path, frames: &[(&str, String)]) {
    let mut fields: Vec<&str> = EXPECTED_FIELDS.iter().map(|(_, field, _)| *field).collect();
    fields.sort_unstable();
    fields.dedup();
    let rows = tshark_fields(file, &fields);
    for (name, field, value) in EXPECTED_FIELDS {
        let Some(index) = frames.iter().position(|(n, _)| n == name) else {
            continue;
        };
        let layer = field.split('.').next().expect("a protocol");
        if !frames[index].1.split(':').any(|p| p == layer) {
            continue;
        }
        let column = fields.iter().position(|f| f == field).expect("requested");
        let frame = index + 1;
        assert_eq!(
            rows[index][column], *value,
            "{field} of frame {frame} ({name})"
        );
    }
}

#[test]
fn wireshark_dissects_every_frame_skiff_emits_without_complaint() {
    if !tshark_installed() {
        assert!(
            std::env::var("SKIFF_REQUIRE_TSHARK").as_deref() != Ok("1"),
            "SKIFF_REQUIRE_TSHARK=1 but tshark is not on PATH"
        );
        println!("skipped: tshark not installed");
        return;
    }
    let name = format!("skiff-tshark-{}", std::process::id());
    let dir = TempDir(std::env::temp_dir().join(name));
    std::fs::create_dir_all(&dir.0).expect("create temp dir");
    let frames = all_frames();
    for frame in &frames {
        assert!(
            frame.eth.len() >= ETHERNET_MIN_FRAME_LEN,
            "{} is padded",
            frame.name
        );
    }
    let eth: Vec<&[u8]> = frames.iter().map(|f| &f.eth[..]).collect();
    let ip: Vec<&[u8]> = frames.iter().filter_map(|f| f.ip.as_deref()).collect();
    let (micros, nanos, raw) = (
        dir.0.join("us.pcap"),
        dir.0.join("ns.pcap"),
        dir.0.join("raw.pcap"),
    );
    write_capture(&micros, PcapLinkType::Ethernet, PcapTimestamp::Micros, &eth);
    write_capture(&nanos, PcapLinkType::Ethernet, PcapTimestamp::Nanos, &eth);
    write_capture(&raw, PcapLinkType::Raw, PcapTimestamp::Micros, &ip);

    let eth_expected: Vec<(&str, String)> = frames
        .iter()
        .map(|f| (f.name, f.protocols.to_owned()))
        .collect();
    let raw_expected: Vec<(&str, String)> = frames
        .iter()
        .filter(|f| f.ip.is_some())
        .map(|f| (f.name, raw_protocols(f.protocols)))
        .collect();
    let verbose = check_capture(&micros, &eth_expected);
    check_capture(&nanos, &eth_expected);
    let raw_verbose = check_capture(&raw, &raw_expected);

    // Good checksums, by protocol: 15 IPv4 headers plus 2 quoted in ICMP errors; 4 ICMP;
    // UDP 5 over IPv4 (one quoted, one reassembled) and 4 over IPv6 (one quoted, one
    // reassembled); 7 TCP; 8 ICMPv6. The UDP headers quoted by the two "too big"
    // errors are cut short, so Wireshark cannot verify them (status 2): no bad ones.
    let counts = [
        ("ip.checksum.status", 17, 0),
        ("icmp.checksum.status", 4, 0),
        ("udp.checksum.status", 9, 0),
        ("tcp.checksum.status", 7, 0),
        ("icmpv6.checksum.status", 8, 0),
    ];
    for file in [&micros, &nanos, &raw] {
        assert_eq!(checksum_counts(file), counts, "{}", file.display());
    }
    for text in [&verbose, &raw_verbose] {
        assert_eq!(
            text.matches("[Checksum Status: Good]").count(),
            4 + 9 + 7 + 8
        );
        assert_eq!(text.matches("[Header checksum status: Good]").count(), 17);
        assert_eq!(text.matches("[Checksum Status: Unverified]").count(), 2);
    }

    check_fields(&micros, &eth_expected);
    check_fields(&raw, &raw_expected);

    // Both resolutions carry the same instants (skiff time is in microseconds).
    let epoch = |file: &Path| tshark_fields(file, &["frame.time_epoch"]);
    let (us_times, ns_times) = (epoch(&micros), epoch(&nanos));
    assert_eq!(us_times, ns_times);
    assert_eq!(us_times[0][0], "1700000000.000123000");
    let last = us_times.len() - 1;
    assert_eq!(us_times[last][0], format!("1700000000.{:03}123000", last));
}
