//! Conversation tests for the interface: hand-built frames in, the exact frames (or
//! silence and a named counter) out. Each test cites the CONFORMANCE.md item it checks.

mod common;

use common::build::*;
use common::{Dut, dissect, mac};
use skiff::socket::udp;
use skiff::time::Duration;
use skiff::wire::frame::{Network, Transport};
use skiff::wire::*;

const PEER_MAC: EthernetAddress = EthernetAddress([0x02, 0, 0, 0, 0, 2]);

fn arp(
    op: ArpOperation,
    src_mac: EthernetAddress,
    src_ip: Ipv4Address,
    dst_ip: Ipv4Address,
) -> Vec<u8> {
    let repr = ArpRepr::EthernetIpv4 {
        operation: op,
        source_hardware_addr: src_mac,
        source_protocol_addr: src_ip,
        target_hardware_addr: EthernetAddress([0; 6]),
        target_protocol_addr: dst_ip,
    };
    let mut buf = vec![0u8; repr.buffer_len()];
    repr.emit(&mut ArpPacket::new_unchecked(&mut buf[..]));
    let dst = if op == ArpOperation::Request {
        EthernetAddress::BROADCAST
    } else {
        mac(1)
    };
    ethernet(src_mac, dst, EthernetProtocol::Arp, &buf)
}

/// Teaches the interface the peer's MAC for both IP versions, so replies go out at once.
fn learn_peer(dut: &mut Dut) {
    dut.feed(arp(ArpOperation::Request, PEER_MAC, v4(2), v4(1)));
    let ns = Icmpv6Repr::Ndisc(NdiscRepr::NeighborSolicit {
        target_addr: v6(1),
        lladdr: Some(NdiscLinkLayerAddress(PEER_MAC.0)),
    });
    dut.feed(frame6(
        ip6(v6(2), v6(1), IpProtocol::Icmpv6, 255),
        &icmpv6(v6(2), v6(1), &ns),
    ));
}

fn echo_request(data: &[u8]) -> Vec<u8> {
    icmpv4(&Icmpv4Repr::EchoRequest {
        ident: 0x1234,
        seq_no: 7,
        data,
    })
}

#[test]
fn arp_request_for_our_address_gets_a_unicast_reply_from_us() {
    // C2.3: op 2, our MAC and IP as sender, the requester's as target, unicast to it.
    let mut dut = Dut::new();
    let out = dut.feed(arp(ArpOperation::Request, PEER_MAC, v4(2), v4(1)));
    assert_eq!(out.len(), 1);
    let f = dissect(&out[0]);
    assert_eq!(f.ethernet.unwrap().dst_addr, PEER_MAC);
    let Network::Arp(ArpRepr::EthernetIpv4 {
        operation,
        source_hardware_addr,
        source_protocol_addr,
        target_hardware_addr,
        target_protocol_addr,
    }) = f.network
    else {
        panic!("not ARP: {f}")
    };
    assert_eq!(operation, ArpOperation::Reply);
    assert_eq!(
        (source_hardware_addr, source_protocol_addr),
        (mac(1), v4(1))
    );
    assert_eq!(
        (target_hardware_addr, target_protocol_addr),
        (PEER_MAC, v4(2))
    );
    assert_eq!(
        out[0].len(),
        60,
        "short frames are padded to the minimum (C1.4)"
    );
}

#[test]
fn arp_request_for_another_host_creates_no_cache_entry() {
    // C2.2: neither cached nor aimed at us: no entry.
    let mut dut = Dut::new();
    let out = dut.feed(arp(ArpOperation::Request, PEER_MAC, v4(2), v4(99)));
    assert!(out.is_empty());
    assert_eq!(dut.iface.neighbors().iter().count(), 0);
    assert_eq!(dut.iface.counters().arp_rx_not_for_us, 1);
}

#[test]
fn arp_claiming_our_own_address_is_counted_as_a_conflict_and_never_cached() {
    // C2.4
    let mut dut = Dut::new();
    let out = dut.feed(arp(ArpOperation::Request, PEER_MAC, v4(1), v4(1)));
    assert!(out.is_empty());
    assert_eq!(dut.iface.counters().arp_conflicts, 1);
    assert_eq!(dut.iface.neighbors().iter().count(), 0);
}

#[test]
fn arp_probe_from_the_unspecified_address_is_answered_but_not_cached() {
    // C2.5 (RFC 5227): the prober must learn of the conflict.
    let mut dut = Dut::new();
    let out = dut.feed(arp(
        ArpOperation::Request,
        PEER_MAC,
        Ipv4Address::UNSPECIFIED,
        v4(1),
    ));
    assert_eq!(out.len(), 1);
    assert_eq!(dut.iface.neighbors().iter().count(), 0);
}

#[test]
fn unresolved_neighbour_is_asked_once_per_second_three_times_then_given_up() {
    // C2.7: no ARP flood; bounded retries; queued packets dropped and counted.
    let mut dut = Dut::new();
    let mut s = udp::Socket::with_capacity(8, 4096);
    s.bind(5000).unwrap();
    let h = dut.sockets.add_socket(s).unwrap();
    let to: core::net::SocketAddr = "192.0.2.9:7".parse().unwrap();
    dut.sockets
        .get_mut_as::<udp::Socket>(h)
        .unwrap()
        .send_slice(b"a", to)
        .unwrap();
    let first = dut.poll();
    assert_eq!(first.len(), 1, "one ARP request");
    dut.sockets
        .get_mut_as::<udp::Socket>(h)
        .unwrap()
        .send_slice(b"b", to)
        .unwrap();
    assert!(
        dut.advance(Duration::from_millis(500)).is_empty(),
        "no second request within 1 s"
    );
    assert_eq!(
        dut.advance(Duration::from_millis(500)).len(),
        1,
        "retransmitted after 1 s"
    );
    assert_eq!(
        dut.advance(Duration::from_secs(1)).len(),
        1,
        "third and last request"
    );
    assert!(dut.advance(Duration::from_secs(1)).is_empty());
    assert_eq!(dut.iface.counters().arp_tx_requests, 3);
    assert_eq!(
        dut.iface.counters().neighbor_unresolved,
        2,
        "both waiting datagrams dropped"
    );
}

#[test]
fn an_unresolvable_neighbour_does_not_hold_up_traffic_to_another() {
    // C2.9
    let mut dut = Dut::new();
    learn_peer(&mut dut);
    let mut s = udp::Socket::with_capacity(8, 4096);
    s.bind(5000).unwrap();
    let h = dut.sockets.add_socket(s).unwrap();
    {
        let mut s = dut.sockets.get_mut_as::<udp::Socket>(h).unwrap();
        s.send_slice(
            b"to nobody",
            "192.0.2.9:7".parse::<core::net::SocketAddr>().unwrap(),
        )
        .unwrap();
        s.send_slice(
            b"to the peer",
            "192.0.2.2:7".parse::<core::net::SocketAddr>().unwrap(),
        )
        .unwrap();
    }
    let out = dut.poll();
    let udp_to_peer = out
        .iter()
        .map(|f| dissect(f))
        .filter(|f| matches!(f.transport, Some(Transport::Udp { .. })))
        .count();
    assert_eq!(
        udp_to_peer, 1,
        "the datagram to the known peer left at once"
    );
}

#[test]
fn echo_request_is_answered_from_the_address_it_was_sent_to_with_identical_data() {
    // C5.9, C3.7 (TTL 64 on what we originate; a TTL-1 request is still answered).
    let mut dut = Dut::new();
    learn_peer(&mut dut);
    let mut ip = ip4(v4(2), v4(1), IpProtocol::Icmp);
    ip.hop_limit = 1;
    let out = dut.feed(frame4(ip, &echo_request(b"0123456789")));
    assert_eq!(out.len(), 1);
    let f = dissect(&out[0]);
    let (
        Network::Ipv4(reply_ip),
        Some(Transport::Icmpv4(Icmpv4Repr::EchoReply {
            ident,
            seq_no,
            data,
        })),
    ) = (f.network, f.transport)
    else {
        panic!("not an echo reply: {f}")
    };
    assert_eq!(
        (reply_ip.src_addr, reply_ip.dst_addr, reply_ip.hop_limit),
        (v4(1), v4(2), 64)
    );
    assert_eq!((ident, seq_no, data), (0x1234, 7, &b"0123456789"[..]));
}

#[test]
fn echo_request_to_the_broadcast_address_is_ignored_by_default() {
    // C5.9 MAY, documented policy (Config::answer_broadcast_echo).
    let mut dut = Dut::new();
    learn_peer(&mut dut);
    let frame = ethernet(
        PEER_MAC,
        EthernetAddress::BROADCAST,
        EthernetProtocol::Ipv4,
        &ipv4(ip4(v4(2), v4(255), IpProtocol::Icmp), &echo_request(b"x")),
    );
    assert!(dut.feed(frame).is_empty());
}

#[test]
fn ipv4_header_with_a_bad_checksum_is_dropped_and_counted() {
    // C3.3
    let mut dut = Dut::new();
    let mut frame = frame4(ip4(v4(2), v4(1), IpProtocol::Icmp), &echo_request(b"x"));
    frame[14 + 8] ^= 0x01; // TTL, inside the header checksum
    assert!(dut.feed(frame).is_empty());
    assert_eq!(dut.iface.counters().ipv4_bad_checksum, 1);
}

#[test]
fn ipv4_total_length_beyond_the_frame_is_dropped() {
    // C3.2 [!]
    let mut dut = Dut::new();
    let mut packet = ipv4(ip4(v4(2), v4(1), IpProtocol::Icmp), &echo_request(b"x"));
    packet[2..4].copy_from_slice(&1000u16.to_be_bytes());
    let mut header = Ipv4Packet::new_unchecked(&mut packet[..]);
    header.fill_checksum();
    assert!(
        dut.feed(ethernet(PEER_MAC, mac(1), EthernetProtocol::Ipv4, &packet))
            .is_empty()
    );
    assert_eq!(dut.iface.counters().ipv4_bad_header, 1);
}

#[test]
fn datagrams_from_loopback_multicast_or_broadcast_sources_are_dropped() {
    // C3.4
    let mut dut = Dut::new();
    for src in [
        Ipv4Address::new(127, 0, 0, 1),
        Ipv4Address::new(224, 0, 0, 1),
        Ipv4Address::BROADCAST,
        v4(255),
    ] {
        assert!(
            dut.feed(frame4(
                ip4(src, v4(1), IpProtocol::Icmp),
                &echo_request(b"x")
            ))
            .is_empty()
        );
    }
    assert_eq!(dut.iface.counters().ipv4_bad_src, 4);
}

#[test]
fn datagram_to_another_address_is_dropped() {
    // C3.5
    let mut dut = Dut::new();
    assert!(
        dut.feed(frame4(
            ip4(v4(2), v4(3), IpProtocol::Icmp),
            &echo_request(b"x")
        ))
        .is_empty()
    );
    assert_eq!(dut.iface.counters().ipv4_not_for_us, 1);
}

#[test]
fn ethernet_padding_is_not_taken_as_ip_payload() {
    // C1.4 [!]: a 1-byte UDP datagram rides in a frame padded to 60 bytes; its checksum
    // only verifies over the real length.
    let mut dut = Dut::new();
    let mut s = udp::Socket::with_capacity(4, 1024);
    s.bind(7).unwrap();
    let h = dut.sockets.add_socket(s).unwrap();
    let frame = frame4(
        ip4(v4(2), v4(1), IpProtocol::Udp),
        &udp(v4(2).into(), v4(1).into(), 9, 7, b"!"),
    );
    assert_eq!(frame.len(), 60);
    dut.feed(frame);
    let mut buf = [0u8; 16];
    let (n, _) = dut
        .sockets
        .get_mut_as::<udp::Socket>(h)
        .unwrap()
        .recv_slice(&mut buf)
        .unwrap();
    assert_eq!(&buf[..n], b"!");
}

#[test]
fn frames_for_another_mac_or_from_a_multicast_mac_are_dropped() {
    // C1.2, C1.3
    let mut dut = Dut::new();
    let packet = ipv4(ip4(v4(2), v4(1), IpProtocol::Icmp), &echo_request(b"x"));
    assert!(
        dut.feed(ethernet(PEER_MAC, mac(3), EthernetProtocol::Ipv4, &packet))
            .is_empty()
    );
    assert!(
        dut.feed(ethernet(
            EthernetAddress([0x01, 0, 0x5e, 0, 0, 1]),
            mac(1),
            EthernetProtocol::Ipv4,
            &packet
        ))
        .is_empty()
    );
    assert_eq!(dut.iface.counters().rx_not_for_us, 1);
    assert_eq!(dut.iface.counters().rx_bad_link_header, 1);
}

#[test]
fn udp_to_a_closed_port_gets_port_unreachable_quoting_the_datagram_unchanged() {
    // D1.5, C5.2
    let mut dut = Dut::new();
    learn_peer(&mut dut);
    let datagram = udp(v4(2).into(), v4(1).into(), 4000, 9, b"hello");
    let packet = ipv4(ip4(v4(2), v4(1), IpProtocol::Udp), &datagram);
    let out = dut.feed(ethernet(PEER_MAC, mac(1), EthernetProtocol::Ipv4, &packet));
    assert_eq!(out.len(), 1);
    let f = dissect(&out[0]);
    let Some(Transport::Icmpv4(Icmpv4Repr::DstUnreachable {
        reason,
        header,
        data,
        ..
    })) = f.transport
    else {
        panic!("not port unreachable: {f}")
    };
    assert_eq!(reason, Icmpv4DstUnreachable::PortUnreachable);
    assert_eq!(
        (header.src_addr, header.dst_addr, header.ident),
        (v4(2), v4(1), 0)
    );
    assert_eq!(
        data,
        &datagram[..],
        "the whole datagram is quoted unchanged"
    );
}

#[test]
fn no_icmp_error_answers_a_datagram_sent_to_broadcast() {
    // C5.3
    let mut dut = Dut::new();
    learn_peer(&mut dut);
    let datagram = udp(v4(2).into(), v4(255).into(), 4000, 9, b"hello");
    let bcast = ethernet(
        PEER_MAC,
        EthernetAddress::BROADCAST,
        EthernetProtocol::Ipv4,
        &ipv4(ip4(v4(2), v4(255), IpProtocol::Udp), &datagram),
    );
    assert!(dut.feed(bcast).is_empty());
    assert!(dut.iface.counters().icmpv4_errors_suppressed >= 1);
}

#[test]
fn icmp_errors_are_rate_limited_by_a_token_bucket() {
    // C5.11: burst 10, then nothing until tokens refill.
    let mut dut = Dut::new();
    learn_peer(&mut dut);
    let datagram = udp(v4(2).into(), v4(1).into(), 4000, 9, b"x");
    let frame = frame4(ip4(v4(2), v4(1), IpProtocol::Udp), &datagram);
    let mut errors = 0;
    for _ in 0..30 {
        errors += dut.feed(frame.clone()).len();
    }
    assert_eq!(errors, 10);
    assert_eq!(dut.iface.counters().icmpv4_errors_rate_limited, 20);
    dut.advance(Duration::from_secs(1));
    assert_eq!(dut.feed(frame).len(), 1, "tokens refill at 10 per second");
}

#[test]
fn unknown_ip_protocol_gets_protocol_unreachable() {
    // C3.15
    let mut dut = Dut::new();
    learn_peer(&mut dut);
    let out = dut.feed(frame4(
        ip4(v4(2), v4(1), IpProtocol::Unknown(253)),
        b"abcdefgh",
    ));
    let f = dissect(&out[0]);
    assert!(
        matches!(
            f.transport,
            Some(Transport::Icmpv4(Icmpv4Repr::DstUnreachable {
                reason: Icmpv4DstUnreachable::ProtoUnreachable,
                ..
            }))
        ),
        "{f}"
    );
}

#[test]
fn tcp_syn_to_a_closed_port_gets_rst_ack_acknowledging_the_syn() {
    // CORE-7: ACK bit off: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
    let mut dut = Dut::new();
    learn_peer(&mut dut);
    let syn = TcpRepr {
        src_port: 40000,
        dst_port: 80,
        flags: TcpFlags::SYN,
        seq_number: SeqNumber(1000),
        ack_number: None,
        window_len: 1024,
        window_scale: None,
        max_seg_size: Some(1460),
        sack_permitted: false,
        sack_ranges: [None; 4],
        timestamp: None,
        urgent_pointer: 0,
        payload: &[],
    };
    let mut seg = vec![0u8; syn.buffer_len()];
    syn.emit(
        &mut TcpPacket::new_unchecked(&mut seg[..]),
        &v4(2).into(),
        &v4(1).into(),
        &CAPS,
    );
    let out = dut.feed(frame4(ip4(v4(2), v4(1), IpProtocol::Tcp), &seg));
    let f = dissect(&out[0]);
    let Some(Transport::Tcp(rst)) = f.transport else {
        panic!("{f}")
    };
    assert_eq!(rst.flags, TcpFlags::RST | TcpFlags::ACK);
    assert_eq!(
        (rst.seq_number, rst.ack_number),
        (SeqNumber(0), Some(SeqNumber(1001)))
    );
    assert_eq!((rst.src_port, rst.dst_port), (80, 40000));
    // A RST is never answered.
    let rst_in = TcpRepr {
        flags: TcpFlags::RST,
        max_seg_size: None,
        ..syn
    };
    let mut seg = vec![0u8; rst_in.buffer_len()];
    rst_in.emit(
        &mut TcpPacket::new_unchecked(&mut seg[..]),
        &v4(2).into(),
        &v4(1).into(),
        &CAPS,
    );
    assert!(
        dut.feed(frame4(ip4(v4(2), v4(1), IpProtocol::Tcp), &seg))
            .is_empty()
    );
}

#[test]
fn neighbour_solicitation_for_our_address_gets_a_solicited_override_advert() {
    // C9.7
    let mut dut = Dut::new();
    let ns = Icmpv6Repr::Ndisc(NdiscRepr::NeighborSolicit {
        target_addr: v6(1),
        lladdr: Some(NdiscLinkLayerAddress(PEER_MAC.0)),
    });
    let out = dut.feed(frame6(
        ip6(v6(2), v6(1).solicited_node(), IpProtocol::Icmpv6, 255),
        &icmpv6(v6(2), v6(1).solicited_node(), &ns),
    ));
    assert_eq!(out.len(), 1);
    let f = dissect(&out[0]);
    let Some(Transport::Icmpv6(Icmpv6Repr::Ndisc(NdiscRepr::NeighborAdvert {
        flags,
        target_addr,
        lladdr,
    }))) = f.transport
    else {
        panic!("{f}")
    };
    assert_eq!(
        flags,
        NdiscNeighborFlags::SOLICITED | NdiscNeighborFlags::OVERRIDE
    );
    assert_eq!(target_addr, v6(1));
    assert_eq!(lladdr, Some(NdiscLinkLayerAddress(mac(1).0)));
    let Network::Ipv6(ip) = f.network else {
        panic!()
    };
    assert_eq!((ip.dst_addr, ip.hop_limit), (v6(2), 255));
    // The solicitor was learned STALE; sending the advert used the entry, which moves it
    // to DELAY (RFC 4861 §7.3.3).
    let entry = dut
        .iface
        .neighbors()
        .iter()
        .next()
        .expect("the solicitor was learned");
    assert_eq!(entry.state, skiff::iface::NeighborState::Delay);
}

#[test]
fn neighbour_discovery_with_a_hop_limit_below_255_is_ignored() {
    // C9.1
    let mut dut = Dut::new();
    let ns = Icmpv6Repr::Ndisc(NdiscRepr::NeighborSolicit {
        target_addr: v6(1),
        lladdr: Some(NdiscLinkLayerAddress(PEER_MAC.0)),
    });
    let out = dut.feed(frame6(
        ip6(v6(2), v6(1), IpProtocol::Icmpv6, 64),
        &icmpv6(v6(2), v6(1), &ns),
    ));
    assert!(out.is_empty());
    assert_eq!(dut.iface.counters().ndp_rx_invalid, 1);
}

#[test]
fn an_unsolicited_advert_creates_no_neighbour_entry() {
    // C9.8
    let mut dut = Dut::new();
    let na = Icmpv6Repr::Ndisc(NdiscRepr::NeighborAdvert {
        flags: NdiscNeighborFlags::OVERRIDE,
        target_addr: v6(2),
        lladdr: Some(NdiscLinkLayerAddress(PEER_MAC.0)),
    });
    dut.feed(frame6(
        ip6(v6(2), IPV6_LINK_LOCAL_ALL_NODES, IpProtocol::Icmpv6, 255),
        &icmpv6(v6(2), IPV6_LINK_LOCAL_ALL_NODES, &na),
    ));
    assert_eq!(dut.iface.neighbors().iter().count(), 0);
}

#[test]
fn ipv6_echo_to_all_nodes_is_answered_from_our_unicast_address() {
    // C8.9
    let mut dut = Dut::new();
    learn_peer(&mut dut);
    let echo = Icmpv6Repr::EchoRequest {
        ident: 1,
        seq_no: 2,
        data: b"multi",
    };
    let dst = IPV6_LINK_LOCAL_ALL_NODES;
    let frame = ethernet(
        PEER_MAC,
        EthernetAddress::from_ipv6_multicast(dst).unwrap(),
        EthernetProtocol::Ipv6,
        &ipv6(
            ip6(v6(2), dst, IpProtocol::Icmpv6, 64),
            &icmpv6(v6(2), dst, &echo),
        ),
    );
    let out = dut.feed(frame);
    let f = dissect(&out[0]);
    let Network::Ipv6(ip) = f.network else {
        panic!()
    };
    assert_eq!(ip.src_addr, v6(1));
    assert!(matches!(
        f.transport,
        Some(Transport::Icmpv6(Icmpv6Repr::EchoReply {
            data: b"multi",
            ..
        }))
    ));
}

#[test]
fn ipv6_with_an_unknown_next_header_gets_parameter_problem_pointing_at_byte_6() {
    // C6.6
    let mut dut = Dut::new();
    learn_peer(&mut dut);
    let out = dut.feed(frame6(
        ip6(v6(2), v6(1), IpProtocol::Unknown(253), 64),
        b"????????",
    ));
    let f = dissect(&out[0]);
    let Some(Transport::Icmpv6(Icmpv6Repr::ParamProblem {
        reason, pointer, ..
    })) = f.transport
    else {
        panic!("{f}")
    };
    assert_eq!(
        (reason, pointer),
        (Icmpv6ParamProblem::UnrecognizedNxtHdr, 6)
    );
}

#[test]
fn udp_over_ipv6_with_a_zero_checksum_is_dropped() {
    // D1.4
    let mut dut = Dut::new();
    let mut s = udp::Socket::with_capacity(4, 1024);
    s.bind(7).unwrap();
    dut.sockets.add_socket(s).unwrap();
    let mut datagram = udp(v6(2).into(), v6(1).into(), 9, 7, b"zero");
    datagram[6..8].copy_from_slice(&[0, 0]);
    dut.feed(frame6(ip6(v6(2), v6(1), IpProtocol::Udp, 64), &datagram));
    assert_eq!(dut.iface.counters().udp_bad_checksum, 1);
    assert_eq!(dut.iface.counters().udp_rx, 0);
}

#[test]
fn udp_over_ipv4_with_a_zero_checksum_is_accepted() {
    // D1.3
    let mut dut = Dut::new();
    let mut s = udp::Socket::with_capacity(4, 1024);
    s.bind(7).unwrap();
    dut.sockets.add_socket(s).unwrap();
    let mut datagram = udp(v4(2).into(), v4(1).into(), 9, 7, b"zero");
    datagram[6..8].copy_from_slice(&[0, 0]);
    dut.feed(frame4(ip4(v4(2), v4(1), IpProtocol::Udp), &datagram));
    assert_eq!(dut.iface.counters().udp_rx, 1);
}

#[test]
fn a_poll_takes_at_most_the_frame_budget() {
    let mut dut = Dut::with_config(|c| c.frame_budget = 10);
    for _ in 0..25 {
        dut.dev.rx.push_back(frame4(
            ip4(v4(2), v4(3), IpProtocol::Icmp),
            &echo_request(b"x"),
        ));
    }
    dut.poll();
    assert_eq!(dut.iface.counters().rx_frames, 10);
    assert_eq!(dut.dev.rx.len(), 15);
}

#[test]
fn poll_at_is_none_when_idle_and_now_when_a_socket_has_data() {
    let mut dut = Dut::new();
    assert_eq!(dut.iface.poll_at(dut.now, &dut.sockets), None);
    let mut s = udp::Socket::with_capacity(4, 1024);
    s.bind(7).unwrap();
    let h = dut.sockets.add_socket(s).unwrap();
    dut.sockets
        .get_mut_as::<udp::Socket>(h)
        .unwrap()
        .send_slice(
            b"x",
            "192.0.2.9:9".parse::<core::net::SocketAddr>().unwrap(),
        )
        .unwrap();
    assert_eq!(dut.iface.poll_at(dut.now, &dut.sockets), Some(dut.now));
    dut.poll();
    // Now waiting for ARP: the next retransmission one second later.
    assert_eq!(
        dut.iface.poll_at(dut.now, &dut.sockets),
        Some(dut.now + Duration::from_secs(1))
    );
}

fn frame6_raw(next: IpProtocol, payload: &[u8]) -> Vec<u8> {
    frame6(ip6(v6(2), v6(1), next, 64), payload)
}

#[test]
fn unknown_hop_by_hop_option_of_type_10_gets_parameter_problem_code_2_at_the_option() {
    // C6.7: option type 0x9e (top bits 10): discard and send Parameter Problem code 2
    // pointing at the option type (40 + 2).
    let mut dut = Dut::new();
    learn_peer(&mut dut);
    let mut payload = vec![17, 0, 0x9e, 4, 0, 0, 0, 0];
    payload.extend(udp(v6(2).into(), v6(1).into(), 9, 9, b"x"));
    let out = dut.feed(frame6_raw(IpProtocol::HopByHop, &payload));
    let f = dissect(&out[0]);
    let Some(Transport::Icmpv6(Icmpv6Repr::ParamProblem {
        reason, pointer, ..
    })) = f.transport
    else {
        panic!("{f}")
    };
    assert_eq!(
        (reason, pointer),
        (Icmpv6ParamProblem::UnrecognizedOption, 42)
    );
}

#[test]
fn unknown_hop_by_hop_option_of_type_01_is_dropped_silently() {
    // C6.7: top bits 01.
    let mut dut = Dut::new();
    learn_peer(&mut dut);
    let mut payload = vec![17, 0, 0x5e, 4, 0, 0, 0, 0];
    payload.extend(udp(v6(2).into(), v6(1).into(), 9, 9, b"x"));
    assert!(
        dut.feed(frame6_raw(IpProtocol::HopByHop, &payload))
            .is_empty()
    );
    assert_eq!(dut.iface.counters().ipv6_bad_ext_header, 1);
}

#[test]
fn routing_header_with_segments_left_gets_parameter_problem_code_0() {
    // C6.8: a host never forwards; pointer at the Routing Type (40 + 2).
    let mut dut = Dut::new();
    learn_peer(&mut dut);
    let payload = [59, 0, 4, 1, 0, 0, 0, 0];
    let out = dut.feed(frame6_raw(IpProtocol::Ipv6Route, &payload));
    let f = dissect(&out[0]);
    let Some(Transport::Icmpv6(Icmpv6Repr::ParamProblem {
        reason, pointer, ..
    })) = f.transport
    else {
        panic!("{f}")
    };
    assert_eq!(
        (reason, pointer),
        (Icmpv6ParamProblem::ErroneousHdrField, 42)
    );
}

#[test]
fn duplicate_address_detection_probe_is_answered_to_all_nodes_without_the_solicited_flag() {
    // C9.2, C9.7: NS from :: to our solicited-node group; the NA goes to ff02::1, S=0.
    let mut dut = Dut::new();
    let group = v6(1).solicited_node();
    let ns = Icmpv6Repr::Ndisc(NdiscRepr::NeighborSolicit {
        target_addr: v6(1),
        lladdr: None,
    });
    let frame = ethernet(
        PEER_MAC,
        EthernetAddress::from_ipv6_multicast(group).unwrap(),
        EthernetProtocol::Ipv6,
        &ipv6(
            ip6(Ipv6Address::UNSPECIFIED, group, IpProtocol::Icmpv6, 255),
            &icmpv6(Ipv6Address::UNSPECIFIED, group, &ns),
        ),
    );
    let out = dut.feed(frame);
    let f = dissect(&out[0]);
    let Network::Ipv6(ip) = f.network else {
        panic!()
    };
    assert_eq!(ip.dst_addr, IPV6_LINK_LOCAL_ALL_NODES);
    let Some(Transport::Icmpv6(Icmpv6Repr::Ndisc(NdiscRepr::NeighborAdvert { flags, .. }))) =
        f.transport
    else {
        panic!("{f}")
    };
    assert_eq!(flags, NdiscNeighborFlags::OVERRIDE);
    assert_eq!(
        dut.iface.neighbors().iter().count(),
        0,
        "the unspecified address is never cached"
    );
}

fn fragment(ident: u16, offset: u16, more: bool, data: &[u8]) -> Vec<u8> {
    let mut ip = ip4(v4(2), v4(1), IpProtocol::Icmp);
    ip.ident = ident;
    ip.frag_offset = offset;
    ip.more_frags = more;
    frame4(ip, data)
}

#[test]
fn out_of_order_fragments_of_an_echo_request_are_reassembled_and_answered() {
    // C4.1, C4.3
    let mut dut = Dut::new();
    learn_peer(&mut dut);
    let data: Vec<u8> = (0..2000u32).map(|i| i as u8).collect();
    let icmp = echo_request(&data);
    assert!(dut.feed(fragment(9, 1480, false, &icmp[1480..])).is_empty());
    let out = dut.feed(fragment(9, 0, true, &icmp[..1480]));
    let replies = out
        .iter()
        .filter(|f| dissect(f).to_string().contains("fragment of ICMP"))
        .count();
    assert_eq!(replies, 2, "the 2008-byte reply goes out in two fragments");
    assert_eq!(dut.iface.counters().ipv4_reassembled, 1);
}

#[test]
fn overlapping_fragments_kill_the_datagram() {
    // C4.7 (judgement, mirroring RFC 5722): no reply, counted.
    let mut dut = Dut::new();
    learn_peer(&mut dut);
    let icmp = echo_request(&[7u8; 2000]);
    dut.feed(fragment(10, 0, true, &icmp[..1480]));
    let mut overlapping = icmp[1472..].to_vec();
    overlapping[0] ^= 0xff;
    assert!(dut.feed(fragment(10, 1472, false, &overlapping)).is_empty());
    assert!(
        dut.feed(fragment(10, 1480, false, &icmp[1480..]))
            .is_empty(),
        "later fragments of it are dropped too"
    );
    assert_eq!(dut.iface.counters().ipv4_reassembled, 0);
    assert!(dut.iface.counters().ipv4_reassembly_dropped >= 2);
}

#[test]
fn reassembly_timeout_sends_time_exceeded_only_when_fragment_0_arrived() {
    // C4.4, C4.5
    let mut dut = Dut::new();
    learn_peer(&mut dut);
    let icmp = echo_request(&[1u8; 2000]);
    dut.feed(fragment(11, 0, true, &icmp[..1480]));
    dut.feed(fragment(12, 1480, false, &icmp[1480..]));
    // Neighbour timers also fire in those 61 s; keep only the ICMPv4 answers.
    let out: Vec<_> = dut
        .advance(Duration::from_secs(61))
        .into_iter()
        .filter(|f| dissect(f).to_string().contains("ICMPv4"))
        .collect();
    assert_eq!(
        out.len(),
        1,
        "one Time Exceeded, for the datagram whose fragment 0 came"
    );
    let f = dissect(&out[0]);
    let Some(Transport::Icmpv4(Icmpv4Repr::TimeExceeded { reason, header, .. })) = f.transport
    else {
        panic!("{f}")
    };
    assert_eq!(
        (reason, header.ident),
        (Icmpv4TimeExceeded::FragExpired, 11)
    );
    assert_eq!(dut.iface.counters().reassembly_timeouts, 2);
}
