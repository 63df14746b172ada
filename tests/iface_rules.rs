//! Conversation tests for the interface, one per CONFORMANCE.md rule (sections C1-C9, D1
//! and the TCP answer for closed ports): hand-built frames go in at given times, and the
//! test asserts the exact frames that come out, or silence and the named counter that
//! moved. The host under test is 192.0.2.1/24, 2001:db8::1/64 at 02:00:00:00:00:01.

mod common;

use common::script::*;
use skiff::iface::NeighborState;
use skiff::time::Duration;
use skiff::wire::frame::{Network, Transport};
use skiff::wire::*;

const SECOND: Duration = Duration::from_secs(1);

/// The IPv4 header and transport of a frame we sent, or a panic.
fn ipv4_of(frame: &[u8]) -> (Ipv4Repr, Option<Transport<'_>>) {
    let f = dissect(frame);
    match f.network {
        Network::Ipv4(ip) => (ip, f.transport),
        _ => panic!("not IPv4: {f}"),
    }
}

/// The IPv6 header and ICMPv6 message of a frame we sent, or a panic.
fn icmpv6_of(frame: &[u8]) -> (Ipv6Repr, Icmpv6Repr<'_>) {
    let f = dissect(frame);
    match (f.network, f.transport) {
        (Network::Ipv6(ip), Some(Transport::Icmpv6(icmp))) => (ip, icmp),
        _ => panic!("not ICMPv6: {f}"),
    }
}

/// The ARP packet of a frame we sent, with the frame's destination MAC.
fn arp_of(frame: &[u8]) -> (EthernetAddress, ArpRepr) {
    let f = dissect(frame);
    match f.network {
        Network::Arp(arp) => (f.ethernet.unwrap().dst_addr, arp),
        _ => panic!("not ARP: {f}"),
    }
}

/// A UDP datagram from the peer to `dst` port `dport`, in a frame to our MAC.
fn udp4_to(dst: Ipv4Address, dport: u16, data: &[u8]) -> Vec<u8> {
    frame4(
        ip4(v4(2), dst, IpProtocol::Udp),
        &udp(v4(2).into(), dst.into(), 4000, dport, data),
    )
}

// ---------------------------------------------------------------- C1 Ethernet

#[test]
fn a_frame_shorter_than_an_ethernet_header_is_dropped_and_counted() {
    // C1.1
    let mut s = Script::new();
    silent(&s.exchange(vec![0xff; 13]));
    assert_eq!(s.counters().rx_truncated, 1);
}

#[test]
fn an_802_3_length_frame_is_dropped_and_counted() {
    // C1.1: EtherType < 0x0600 is a length, not a protocol.
    let mut s = Script::new();
    let mut frame = frame4(ip4(v4(2), v4(1), IpProtocol::Icmp), &echo4(b"x"));
    frame[12..14].copy_from_slice(&46u16.to_be_bytes());
    silent(&s.exchange(frame));
    assert_eq!(s.counters().rx_unsupported, 1);
    assert_eq!(s.counters().ipv4_rx, 0);
}

#[test]
fn an_unknown_ethertype_is_dropped_and_counted() {
    // C1.1: 0x88b5 (local experimental) and a VLAN tag, which skiff does not speak.
    let mut s = Script::new();
    let packet = ipv4(ip4(v4(2), v4(1), IpProtocol::Icmp), &echo4(b"x"));
    silent(&s.exchange(ethernet(
        PEER_MAC,
        US_MAC,
        EthernetProtocol::Unknown(0x88b5),
        &packet,
    )));
    silent(&s.exchange(ethernet(
        PEER_MAC,
        US_MAC,
        EthernetProtocol::Vlan,
        &[&[0, 5, 0x08, 0][..], &packet].concat(),
    )));
    assert_eq!(s.counters().rx_unsupported, 2);
}

#[test]
fn a_frame_to_another_mac_is_ignored() {
    // C1.2
    let mut s = Script::new();
    s.learn_peer();
    let packet = ipv4(ip4(v4(2), v4(1), IpProtocol::Icmp), &echo4(b"x"));
    let other = EthernetAddress([0x02, 0, 0, 0, 0, 3]);
    silent(&s.exchange(ethernet(PEER_MAC, other, EthernetProtocol::Ipv4, &packet)));
    // A multicast MAC of a group we did not join reaches IP, which finds no group of ours.
    let group = EthernetAddress([0x01, 0, 0x5e, 0, 0, 9]);
    let to_group = ipv4(
        ip4(v4(2), Ipv4Address::new(224, 0, 0, 9), IpProtocol::Icmp),
        &echo4(b"x"),
    );
    silent(&s.exchange(ethernet(PEER_MAC, group, EthernetProtocol::Ipv4, &to_group)));
    assert_eq!(s.counters().rx_not_for_us, 1);
    assert_eq!(s.counters().ipv4_not_for_us, 1);
    assert_eq!(s.counters().icmpv4_echo_replies, 0);
}

#[test]
fn a_frame_from_a_multicast_or_broadcast_source_mac_is_dropped() {
    // C1.3
    let mut s = Script::new();
    let packet = ipv4(ip4(v4(2), v4(1), IpProtocol::Icmp), &echo4(b"x"));
    for src in [
        EthernetAddress([0x01, 0, 0x5e, 0, 0, 1]),
        EthernetAddress::BROADCAST,
    ] {
        silent(&s.exchange(ethernet(src, US_MAC, EthernetProtocol::Ipv4, &packet)));
    }
    assert_eq!(s.counters().rx_bad_link_header, 2);
    assert_eq!(s.counters().ipv4_rx, 0);
}

#[test]
fn a_udp_datagram_in_a_padded_60_byte_frame_is_trimmed_to_its_ip_length() {
    // C1.4 [!]: the padding is garbage, so the UDP checksum verifies only without it.
    let mut s = Script::new();
    let h = s.udp_socket(7);
    let mut frame = udp4_to(v4(1), 7, b"!");
    assert_eq!(frame.len(), 60);
    frame[14 + 29..].fill(0xa5);
    silent(&s.exchange(frame));
    let (data, _) = s.udp_recv(h).expect("the datagram was delivered");
    assert_eq!(data, b"!");
    assert_eq!(s.counters().udp_bad_checksum, 0);
}

#[test]
fn an_echo_request_in_a_padded_frame_is_answered_without_the_padding() {
    // C1.4 [!]: ICMP has no length of its own; only the IP total length bounds it.
    let mut s = Script::new();
    s.learn_peer();
    let mut frame = frame4(ip4(v4(2), v4(1), IpProtocol::Icmp), &echo4(b"ab"));
    frame[14 + 30..].fill(0xa5);
    let out = s.exchange(frame);
    let (_, t) = ipv4_of(only(&out));
    let Some(Transport::Icmpv4(Icmpv4Repr::EchoReply { data, .. })) = t else {
        panic!("not an echo reply: {t:?}")
    };
    assert_eq!(data, b"ab");
}

// ---------------------------------------------------------------- C2 ARP

#[test]
fn an_arp_packet_with_hardware_length_5_is_ignored() {
    // C2.1
    let mut s = Script::new();
    let mut frame = arp_frame(
        ArpOperation::Request,
        PEER_MAC,
        v4(2),
        EthernetAddress([0; 6]),
        v4(1),
    );
    frame[14 + 4] = 5;
    silent(&s.exchange(frame));
    assert_eq!(s.counters().arp_rx_invalid, 1);
    assert_eq!(s.iface.neighbors().iter().count(), 0);
}

#[test]
fn an_arp_request_for_another_host_from_an_unknown_sender_creates_no_entry() {
    // C2.2: neither cached nor aimed at us.
    let mut s = Script::new();
    silent(&s.exchange(arp_frame(
        ArpOperation::Request,
        PEER_MAC,
        v4(2),
        EthernetAddress([0; 6]),
        v4(99),
    )));
    assert_eq!(s.iface.neighbors().iter().count(), 0);
    assert_eq!(s.counters().arp_rx_not_for_us, 1);
}

#[test]
fn an_arp_request_for_us_adds_the_sender_to_the_cache() {
    // C2.2: the target is ours, so the sender is added.
    let mut s = Script::new();
    s.exchange(arp_frame(
        ArpOperation::Request,
        PEER_MAC,
        v4(2),
        EthernetAddress([0; 6]),
        v4(1),
    ));
    let entries: Vec<_> = s.iface.neighbors().iter().collect();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].addr, IpAddress::V4(v4(2)));
    assert_eq!(entries[0].hw, Some(PEER_MAC));
}

#[test]
fn an_arp_packet_from_a_cached_sender_refreshes_its_mac_even_when_not_for_us() {
    // C2.2: "if the sender IP is already cached, refresh its MAC".
    let mut s = Script::new();
    s.learn_peer();
    let moved = EthernetAddress([0x02, 0, 0, 0, 0, 0x22]);
    silent(&s.exchange(arp_frame(
        ArpOperation::Request,
        moved,
        v4(2),
        EthernetAddress([0; 6]),
        v4(99),
    )));
    let entry = s
        .iface
        .neighbors()
        .iter()
        .find(|e| e.addr == IpAddress::V4(v4(2)))
        .unwrap();
    assert_eq!(entry.hw, Some(moved));
}

#[test]
fn an_arp_request_for_our_address_gets_a_unicast_reply() {
    // C2.3: op 2, our MAC and IP as sender, the requester's as target, unicast to it.
    let mut s = Script::new();
    let out = s.exchange(arp_frame(
        ArpOperation::Request,
        PEER_MAC,
        v4(2),
        EthernetAddress([0; 6]),
        v4(1),
    ));
    let frame = only(&out);
    assert_eq!(frame.len(), 60, "padded to the minimum frame (C1.4)");
    assert_eq!(dissect(frame).ethernet.unwrap().src_addr, US_MAC);
    assert_eq!(
        arp_of(frame),
        (
            PEER_MAC,
            ArpRepr::EthernetIpv4 {
                operation: ArpOperation::Reply,
                source_hardware_addr: US_MAC,
                source_protocol_addr: v4(1),
                target_hardware_addr: PEER_MAC,
                target_protocol_addr: v4(2),
            }
        )
    );
    assert_eq!(s.counters().arp_tx_replies, 1);
}

#[test]
fn an_arp_packet_claiming_our_address_is_counted_as_a_conflict_and_not_cached() {
    // C2.4 (RFC 5227)
    let mut s = Script::new();
    silent(&s.exchange(arp_frame(
        ArpOperation::Request,
        PEER_MAC,
        v4(1),
        EthernetAddress([0; 6]),
        v4(1),
    )));
    assert_eq!(s.counters().arp_conflicts, 1);
    assert_eq!(s.iface.neighbors().iter().count(), 0);
}

#[test]
fn an_arp_probe_from_0_0_0_0_for_our_address_is_answered_and_not_cached() {
    // C2.5: the prober learns of the conflict; the unspecified address is never cached.
    let mut s = Script::new();
    let out = s.exchange(arp_frame(
        ArpOperation::Request,
        PEER_MAC,
        Ipv4Address::UNSPECIFIED,
        EthernetAddress([0; 6]),
        v4(1),
    ));
    let (dst, arp) = arp_of(only(&out));
    assert_eq!(dst, PEER_MAC);
    assert_eq!(
        arp,
        ArpRepr::EthernetIpv4 {
            operation: ArpOperation::Reply,
            source_hardware_addr: US_MAC,
            source_protocol_addr: v4(1),
            target_hardware_addr: PEER_MAC,
            target_protocol_addr: Ipv4Address::UNSPECIFIED,
        }
    );
    assert_eq!(s.iface.neighbors().iter().count(), 0);
}

#[test]
fn an_unresolved_neighbour_is_asked_once_a_second_three_times_then_given_up() {
    // C2.7: at most one request per second, a bounded number of tries; the queued
    // datagrams are then dropped and counted.
    let mut s = Script::new();
    let h = s.udp_socket(5000);
    s.udp_send(h, b"a", "192.0.2.9:7");
    let request = ArpRepr::EthernetIpv4 {
        operation: ArpOperation::Request,
        source_hardware_addr: US_MAC,
        source_protocol_addr: v4(1),
        target_hardware_addr: EthernetAddress([0; 6]),
        target_protocol_addr: v4(9),
    };
    let out = s.poll();
    assert_eq!(arp_of(only(&out)), (EthernetAddress::BROADCAST, request));
    s.udp_send(h, b"b", "192.0.2.9:7");
    silent(&s.at(Duration::from_millis(500)));
    silent(&s.at(Duration::from_millis(999)));
    assert_eq!(
        arp_of(only(&s.at(SECOND))).1,
        request,
        "second try after 1 s"
    );
    silent(&s.at(Duration::from_millis(1500)));
    assert_eq!(
        arp_of(only(&s.at(Duration::from_secs(2)))).1,
        request,
        "third try"
    );
    assert_eq!(s.counters().neighbor_unresolved, 0);
    silent(&s.at(Duration::from_secs(3)));
    assert_eq!(s.counters().arp_tx_requests, 3);
    assert_eq!(
        s.counters().neighbor_unresolved,
        2,
        "both datagrams dropped"
    );
    assert!(
        s.iface
            .neighbors()
            .iter()
            .all(|e| e.addr != IpAddress::V4(v4(9)))
    );
}

#[test]
fn an_unresolvable_neighbour_does_not_hold_up_a_datagram_to_another() {
    // C2.9 [!]
    let mut s = Script::new();
    s.learn_peer();
    let h = s.udp_socket(5000);
    s.udp_send(h, b"to nobody", "192.0.2.9:7");
    s.udp_send(h, b"to the peer", "192.0.2.2:7");
    let out = s.poll();
    assert_eq!(out.len(), 2, "an ARP request and the datagram to the peer");
    let (dst, arp) = arp_of(&out[0]);
    assert_eq!(dst, EthernetAddress::BROADCAST);
    assert!(
        matches!(arp, ArpRepr::EthernetIpv4 { target_protocol_addr, .. } if target_protocol_addr == v4(9))
    );
    let (ip, t) = ipv4_of(&out[1]);
    assert_eq!(ip.dst_addr, v4(2));
    assert!(matches!(t, Some(Transport::Udp { payload, .. }) if payload == b"to the peer"));
}

// ---------------------------------------------------------------- C3 IPv4

#[test]
fn an_ipv4_frame_whose_header_says_another_version_is_dropped() {
    // C3.1: version 5, and version 6 under the IPv4 EtherType, are both discarded.
    let mut s = Script::new();
    s.learn_peer();
    let mut v5 = frame4(ip4(v4(2), v4(1), IpProtocol::Icmp), &echo4(b"x"));
    v5[14] = 0x55;
    silent(&s.exchange(v5));
    let echo6 = icmpv6(
        v6(2),
        v6(1),
        &Icmpv6Repr::EchoRequest {
            ident: 1,
            seq_no: 1,
            data: b"x",
        },
    );
    let v6_packet = ipv6(ip6(v6(2), v6(1), IpProtocol::Icmpv6, 64), &echo6);
    silent(&s.exchange(ethernet(
        PEER_MAC,
        US_MAC,
        EthernetProtocol::Ipv4,
        &v6_packet,
    )));
    assert_eq!(s.counters().ipv4_bad_header, 2);
    assert_eq!(s.counters().icmpv4_echo_replies, 0);
    assert_eq!(s.counters().icmpv6_echo_replies, 0);
}

#[test]
fn an_ipv4_header_with_ihl_below_5_or_a_total_length_beyond_the_frame_is_dropped() {
    // C3.2 [!]
    let mut s = Script::new();
    s.learn_peer();
    let good = ipv4(ip4(v4(2), v4(1), IpProtocol::Icmp), &echo4(b"x"));
    let mut ihl4 = good.clone();
    ihl4[0] = 0x44;
    let mut too_long = good.clone();
    too_long[2..4].copy_from_slice(&1000u16.to_be_bytes());
    let mut shorter_than_header = good.clone();
    shorter_than_header[2..4].copy_from_slice(&16u16.to_be_bytes());
    for mut packet in [ihl4, too_long, shorter_than_header] {
        Ipv4Packet::new_unchecked(&mut packet[..]).fill_checksum();
        silent(&s.exchange(ethernet(PEER_MAC, US_MAC, EthernetProtocol::Ipv4, &packet)));
    }
    assert_eq!(s.counters().ipv4_bad_header, 3);
}

#[test]
fn an_ipv4_header_with_a_bad_checksum_is_dropped() {
    // C3.3
    let mut s = Script::new();
    s.learn_peer();
    let mut frame = frame4(ip4(v4(2), v4(1), IpProtocol::Icmp), &echo4(b"x"));
    frame[14 + 10] ^= 0x01;
    silent(&s.exchange(frame));
    assert_eq!(s.counters().ipv4_bad_checksum, 1);
}

#[test]
fn datagrams_from_loopback_multicast_broadcast_or_subnet_broadcast_sources_are_dropped() {
    // C3.4
    let mut s = Script::new();
    s.learn_peer();
    for src in [
        Ipv4Address::new(127, 0, 0, 1),
        Ipv4Address::new(224, 0, 0, 1),
        Ipv4Address::BROADCAST,
        v4(255),
    ] {
        silent(&s.exchange(frame4(ip4(src, v4(1), IpProtocol::Icmp), &echo4(b"x"))));
    }
    assert_eq!(s.counters().ipv4_bad_src, 4);
}

#[test]
fn a_datagram_to_another_address_is_dropped() {
    // C3.5
    let mut s = Script::new();
    s.learn_peer();
    silent(&s.exchange(frame4(ip4(v4(2), v4(3), IpProtocol::Icmp), &echo4(b"x"))));
    assert_eq!(s.counters().ipv4_not_for_us, 1);
}

#[test]
fn replies_use_ttl_64_and_a_request_with_ttl_1_is_still_answered() {
    // C3.7
    let mut s = Script::new();
    s.learn_peer();
    let mut ip = ip4(v4(2), v4(1), IpProtocol::Icmp);
    ip.hop_limit = 1;
    let out = s.exchange(frame4(ip, &echo4(b"ttl")));
    let (reply, _) = ipv4_of(only(&out));
    assert_eq!(reply.hop_limit, 64);
}

#[test]
fn an_unknown_protocol_gets_protocol_unreachable() {
    // C3.15
    let mut s = Script::new();
    s.learn_peer();
    let ip = ip4(v4(2), v4(1), IpProtocol::Unknown(253));
    let out = s.exchange(frame4(ip, b"abcdefgh"));
    let (reply, t) = ipv4_of(only(&out));
    assert_eq!((reply.src_addr, reply.dst_addr), (v4(1), v4(2)));
    let Some(Transport::Icmpv4(Icmpv4Repr::DstUnreachable {
        reason,
        header,
        data,
        ..
    })) = t
    else {
        panic!("not an unreachable: {t:?}")
    };
    assert_eq!(reason, Icmpv4DstUnreachable::ProtoUnreachable);
    assert_eq!(
        header,
        Ipv4Repr {
            payload_len: 8,
            ..ip
        }
    );
    assert_eq!(data, b"abcdefgh");
    assert_eq!(s.counters().ipv4_unknown_protocol, 1);
}

// ---------------------------------------------------------------- C4 reassembly

/// An echo request of 32 data bytes (40 ICMP bytes) cut at `cut` into two fragments.
fn echo_fragments(
    ident: u16,
    first: core::ops::Range<usize>,
    second: core::ops::Range<usize>,
) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let data: Vec<u8> = (0..32u8).collect();
    let icmp = echo4(&data);
    let frag = |range: core::ops::Range<usize>, more: bool| {
        let mut ip = ip4(v4(2), v4(1), IpProtocol::Icmp);
        ip.ident = ident;
        ip.frag_offset = range.start as u16;
        ip.more_frags = more;
        frame4(ip, &icmp[range])
    };
    (frag(first, true), frag(second, false), data)
}

#[test]
fn out_of_order_fragments_of_an_echo_request_are_reassembled_and_answered() {
    // C4.1, C4.3
    let mut s = Script::new();
    s.learn_peer();
    let (first, last, data) = echo_fragments(0x99, 0..24, 24..40);
    silent(&s.exchange(last));
    let out = s.exchange(first);
    let (reply, t) = ipv4_of(only(&out));
    assert!(!reply.is_fragment());
    let Some(Transport::Icmpv4(Icmpv4Repr::EchoReply {
        ident,
        seq_no,
        data: echoed,
    })) = t
    else {
        panic!("not an echo reply: {t:?}")
    };
    assert_eq!((ident, seq_no, echoed), (0x1234, 7, &data[..]));
    assert_eq!(s.counters().ipv4_reassembled, 1);
}

#[test]
fn overlapping_fragments_drop_the_whole_datagram() {
    // C4.7 (judgement: drop on any overlap, as RFC 5722 does for IPv6)
    let mut s = Script::new();
    s.learn_peer();
    let (first, overlapping_last, _) = echo_fragments(0x77, 0..24, 16..40);
    let (_, proper_last, _) = echo_fragments(0x77, 0..24, 24..40);
    silent(&s.exchange(first));
    silent(&s.exchange(overlapping_last));
    silent(&s.exchange(proper_last));
    assert_eq!(s.counters().icmpv4_echo_replies, 0);
    assert!(s.counters().ipv4_reassembly_dropped >= 1);
}

#[test]
fn a_reassembly_timeout_sends_time_exceeded_quoting_fragment_zero() {
    // C4.4: after 60 s, Time Exceeded code 1 quoting fragment 0's header and 8 bytes.
    let mut s = Script::new();
    s.learn_peer();
    let (first, _, _) = echo_fragments(0x55, 0..24, 24..40);
    let quoted_packet = first[14..14 + 20 + 8].to_vec();
    silent(&s.exchange(first));
    // The peer's entry goes stale and is probed meanwhile; refresh it before the timeout.
    s.at(Duration::from_millis(59_500));
    s.learn_peer();
    silent(&s.at(Duration::from_millis(59_999)));
    let out = s.at(Duration::from_secs(60));
    let frame = only(&out);
    let (reply, t) = ipv4_of(frame);
    assert_eq!((reply.src_addr, reply.dst_addr), (v4(1), v4(2)));
    let Some(Transport::Icmpv4(Icmpv4Repr::TimeExceeded { reason, .. })) = t else {
        panic!("not time exceeded: {t:?}")
    };
    assert_eq!(reason, Icmpv4TimeExceeded::FragExpired);
    assert_eq!(
        &frame[14 + 20 + 8..],
        &quoted_packet[..],
        "fragment 0 quoted unchanged"
    );
    assert_eq!(s.counters().reassembly_timeouts, 1);
}

#[test]
fn a_reassembly_timeout_without_fragment_zero_sends_nothing() {
    // C4.5, C5.3: no error for a non-initial fragment. (The peer is not in the cache, so
    // an error would show as an ARP request.)
    let mut s = Script::new();
    let (_, last, _) = echo_fragments(0x56, 0..24, 24..40);
    silent(&s.exchange(last));
    silent(&s.at(Duration::from_secs(61)));
    assert_eq!(s.counters().reassembly_timeouts, 1);
    assert_eq!(s.counters().icmpv4_errors_tx, 0);
}

#[test]
fn an_ipv6_reassembly_timeout_sends_time_exceeded_code_1_quoting_fragment_zero() {
    // C7.4: the IPv6 twin of C4.4.
    let mut s = Script::new();
    let data: Vec<u8> = (0..32u8).collect();
    let echo = echo6(v6(2), v6(1), &data);
    let frag = Ipv6FragmentRepr {
        next_header: IpProtocol::Icmpv6,
        frag_offset: 0,
        more_frags: true,
        ident: 0x1234_5678,
    };
    let mut header = vec![0u8; frag.buffer_len()];
    frag.emit(&mut Ipv6FragmentHeader::new_unchecked(&mut header[..]));
    let first = frame6(
        ip6(v6(2), v6(1), IpProtocol::Ipv6Frag, 64),
        &[&header[..], &echo[..24]].concat(),
    );
    let quoted_packet = first[14..14 + 40 + 8 + 8].to_vec();
    s.exchange(first);
    s.at(Duration::from_millis(59_500));
    s.learn_peer();
    silent(&s.at(Duration::from_millis(59_999)));
    let out = s.at(Duration::from_secs(60));
    let frame = only(&out);
    let (ip, icmp) = icmpv6_of(frame);
    assert_eq!((ip.src_addr, ip.dst_addr), (v6(1), v6(2)));
    assert!(matches!(
        icmp,
        Icmpv6Repr::TimeExceeded {
            reason: Icmpv6TimeExceeded::FragReassemExceeded,
            ..
        }
    ));
    assert_eq!(&frame[14 + 40 + 8..], &quoted_packet[..]);
}

// ---------------------------------------------------------------- C5 ICMPv4

#[test]
fn an_error_quotes_the_datagram_unchanged_and_never_exceeds_576_bytes() {
    // C5.2 [!], D1.5
    let mut s = Script::new();
    s.learn_peer();
    let data: Vec<u8> = (0..1000u32).map(|i| i as u8).collect();
    let frame = udp4_to(v4(1), 9, &data);
    let original = frame[14..].to_vec();
    let out = s.exchange(frame);
    let frame = only(&out);
    let (reply, t) = ipv4_of(frame);
    assert_eq!(usize::from(reply.total_len()), 576);
    assert!(matches!(
        t,
        Some(Transport::Icmpv4(Icmpv4Repr::DstUnreachable {
            reason: Icmpv4DstUnreachable::PortUnreachable,
            ..
        }))
    ));
    let quote = &frame[14 + 20 + 8..];
    assert_eq!(quote, &original[..quote.len()], "quoted unchanged");
    assert_eq!(quote.len(), 576 - 28);
}

#[test]
fn udp_to_a_closed_port_over_ipv4_gets_port_unreachable() {
    // D1.5: type 3 code 3, from the address the datagram went to.
    let mut s = Script::new();
    s.learn_peer();
    let datagram = udp(v4(2).into(), v4(1).into(), 4000, 9, b"hello");
    let ip = ip4(v4(2), v4(1), IpProtocol::Udp);
    let out = s.exchange(frame4(ip, &datagram));
    let (reply, t) = ipv4_of(only(&out));
    assert_eq!((reply.src_addr, reply.dst_addr), (v4(1), v4(2)));
    assert_eq!(
        t,
        Some(Transport::Icmpv4(Icmpv4Repr::DstUnreachable {
            reason: Icmpv4DstUnreachable::PortUnreachable,
            next_hop_mtu: 0,
            header: Ipv4Repr {
                payload_len: datagram.len(),
                ..ip
            },
            data: &datagram,
        }))
    );
    assert_eq!(s.counters().udp_no_socket, 1);
    assert_eq!(s.counters().icmpv4_errors_tx, 1);
}

#[test]
fn no_icmp_error_answers_an_icmp_error() {
    // C5.3: a fragmented Destination Unreachable whose reassembly times out would
    // earn a Time Exceeded; it must not. (The peer is not in the cache, so an error
    // would show as an ARP request.)
    let mut s = Script::new();
    let inner = ipv4(ip4(v4(1), v4(2), IpProtocol::Udp), &[0u8; 8]);
    let error = icmpv4(&Icmpv4Repr::DstUnreachable {
        reason: Icmpv4DstUnreachable::PortUnreachable,
        next_hop_mtu: 0,
        header: Ipv4Repr::parse_quoted(&inner).unwrap().0,
        data: &inner[20..],
    });
    let mut ip = ip4(v4(2), v4(1), IpProtocol::Icmp);
    ip.ident = 0x42;
    ip.more_frags = true;
    silent(&s.exchange(frame4(ip, &error[..24])));
    silent(&s.at(Duration::from_secs(61)));
    assert_eq!(s.counters().reassembly_timeouts, 1);
    assert_eq!(s.counters().icmpv4_errors_tx, 0);
    assert_eq!(s.counters().icmpv4_errors_suppressed, 1);
}

#[test]
fn no_icmp_error_answers_a_datagram_to_a_broadcast_address() {
    // C5.3: the subnet and the limited broadcast, even in a frame unicast to our MAC.
    let mut s = Script::new();
    s.learn_peer();
    silent(&s.exchange(udp4_to(v4(255), 9, b"x")));
    silent(&s.exchange(udp4_to(Ipv4Address::BROADCAST, 9, b"x")));
    assert_eq!(s.counters().udp_no_socket, 2);
    assert_eq!(s.counters().icmpv4_errors_suppressed, 2);
}

#[test]
fn no_icmp_error_answers_a_link_broadcast_frame() {
    // C5.3: a unicast IP datagram that arrived in a link-layer broadcast.
    let mut s = Script::new();
    s.learn_peer();
    let mut frame = udp4_to(v4(1), 9, b"x");
    frame[..6].copy_from_slice(&EthernetAddress::BROADCAST.0);
    silent(&s.exchange(frame));
    assert_eq!(s.counters().udp_no_socket, 1);
    assert_eq!(s.counters().icmpv4_errors_suppressed, 1);
}

#[test]
fn no_icmp_error_answers_a_datagram_from_0_0_0_0() {
    // C5.3: the source does not name a single host.
    let mut s = Script::new();
    s.learn_peer();
    let src = Ipv4Address::UNSPECIFIED;
    silent(&s.exchange(frame4(
        ip4(src, v4(1), IpProtocol::Udp),
        &udp(src.into(), v4(1).into(), 68, 9, b"x"),
    )));
    assert_eq!(s.counters().icmpv4_errors_suppressed, 1);
}

#[test]
fn an_echo_reply_comes_from_the_address_the_request_went_to_with_identical_data() {
    // C5.9
    let mut s = Script::new();
    assert!(s.iface.add_ip_addr("192.0.2.7/24".parse().unwrap()));
    s.learn_peer();
    let data: Vec<u8> = (0..200u8).collect();
    let out = s.exchange(frame4(ip4(v4(2), v4(7), IpProtocol::Icmp), &echo4(&data)));
    let (reply, t) = ipv4_of(only(&out));
    assert_eq!((reply.src_addr, reply.dst_addr), (v4(7), v4(2)));
    assert_eq!(
        t,
        Some(Transport::Icmpv4(Icmpv4Repr::EchoReply {
            ident: 0x1234,
            seq_no: 7,
            data: &data,
        }))
    );
}

#[test]
fn an_echo_request_to_broadcast_is_ignored_by_default() {
    // C5.9 MAY: documented policy, Config::answer_broadcast_echo = false.
    let mut s = Script::new();
    s.learn_peer();
    let packet = ipv4(ip4(v4(2), v4(255), IpProtocol::Icmp), &echo4(b"x"));
    silent(&s.exchange(ethernet(
        PEER_MAC,
        EthernetAddress::BROADCAST,
        EthernetProtocol::Ipv4,
        &packet,
    )));
    assert_eq!(s.counters().icmpv4_echo_replies, 0);
}

#[test]
fn icmp_errors_are_rate_limited_to_a_burst_of_10_then_refilled_over_time() {
    // C5.11: 100 closed-port datagrams in one instant earn 10 errors.
    let mut s = Script::new();
    s.learn_peer();
    let mut errors = 0;
    for i in 0..100u16 {
        errors += s.exchange(udp4_to(v4(1), 1000 + i, b"x")).len();
    }
    assert_eq!(errors, 10);
    assert_eq!(s.counters().icmpv4_errors_rate_limited, 90);
    silent(&s.exchange(udp4_to(v4(1), 9, b"x")));
    assert_eq!(s.counters().icmpv4_errors_rate_limited, 91);
    // Nothing is allowed until a token has refilled: 100 ms at 10 per second.
    s.push(udp4_to(v4(1), 9, b"x"));
    assert_eq!(s.advance(Duration::from_millis(100)).len(), 1);
    assert_eq!(s.counters().icmpv4_errors_tx, 11);
}

// ---------------------------------------------------------------- C6 IPv6

/// An ICMPv6 echo request, ident 0x4321 seq 3.
fn echo6(src: Ipv6Address, dst: Ipv6Address, data: &[u8]) -> Vec<u8> {
    icmpv6(
        src,
        dst,
        &Icmpv6Repr::EchoRequest {
            ident: 0x4321,
            seq_no: 3,
            data,
        },
    )
}

#[test]
fn an_ipv6_payload_length_beyond_the_frame_is_dropped() {
    // C6.1
    let mut s = Script::new();
    s.learn_peer();
    let mut frame = frame6(
        ip6(v6(2), v6(1), IpProtocol::Icmpv6, 64),
        &echo6(v6(2), v6(1), b"x"),
    );
    frame[14 + 4..14 + 6].copy_from_slice(&200u16.to_be_bytes());
    silent(&s.exchange(frame));
    assert_eq!(s.counters().ipv6_bad_header, 1);
}

#[test]
fn an_ipv6_packet_from_a_multicast_source_is_dropped() {
    // C6.3
    let mut s = Script::new();
    s.learn_peer();
    let src = Ipv6Address::new(0xff02, 0, 0, 0, 0, 0, 0, 1);
    silent(&s.exchange(frame6(
        ip6(src, v6(1), IpProtocol::Icmpv6, 64),
        &echo6(src, v6(1), b"x"),
    )));
    assert_eq!(s.counters().ipv6_bad_src, 1);
}

/// The Parameter Problem a frame we sent carries, with the IPv6 header it quotes.
fn param_problem_of(frame: &[u8]) -> (Ipv6Repr, Icmpv6ParamProblem, u32, Vec<u8>) {
    let (ip, icmp) = icmpv6_of(frame);
    let Icmpv6Repr::ParamProblem {
        reason,
        pointer,
        header,
        data,
    } = icmp
    else {
        panic!("not a parameter problem: {icmp:?}")
    };
    assert_eq!((ip.src_addr, ip.dst_addr, ip.hop_limit), (v6(1), v6(2), 64));
    let _ = header;
    (header, reason, pointer, data.to_vec())
}

#[test]
fn an_unknown_next_header_gets_parameter_problem_code_1_pointing_at_byte_6() {
    // C6.6
    let mut s = Script::new();
    s.learn_peer();
    let ip = ip6(v6(2), v6(1), IpProtocol::Unknown(253), 64);
    let out = s.exchange(frame6(ip, b"abcdefgh"));
    let (header, reason, pointer, data) = param_problem_of(only(&out));
    assert_eq!(reason, Icmpv6ParamProblem::UnrecognizedNxtHdr);
    assert_eq!(pointer, 6);
    assert_eq!(
        header,
        Ipv6Repr {
            payload_len: 8,
            ..ip
        }
    );
    assert_eq!(data, b"abcdefgh");
}

#[test]
fn an_unknown_hop_by_hop_option_with_action_01_is_dropped_silently() {
    // C6.7
    let mut s = Script::new();
    s.learn_peer();
    let hbh = options_header(
        IpProtocol::Icmpv6,
        Ipv6OptionRepr::Unknown {
            option_type: 0x7e,
            data: &[0; 4],
        },
    );
    let packet = [hbh, echo6(v6(2), v6(1), b"x")].concat();
    silent(&s.exchange(frame6(ip6(v6(2), v6(1), IpProtocol::HopByHop, 64), &packet)));
    assert_eq!(s.counters().ipv6_bad_ext_header, 1);
    assert_eq!(s.counters().icmpv6_errors_suppressed, 0);
}

#[test]
fn an_unknown_hop_by_hop_option_with_action_10_gets_parameter_problem_code_2() {
    // C6.7: the pointer names the option type: 40 (IPv6) + 2 (HBH next/len).
    let mut s = Script::new();
    s.learn_peer();
    let hbh = options_header(
        IpProtocol::Icmpv6,
        Ipv6OptionRepr::Unknown {
            option_type: 0x9e,
            data: &[0; 4],
        },
    );
    let packet = [hbh, echo6(v6(2), v6(1), b"x")].concat();
    let out = s.exchange(frame6(ip6(v6(2), v6(1), IpProtocol::HopByHop, 64), &packet));
    let (_, reason, pointer, data) = param_problem_of(only(&out));
    assert_eq!(reason, Icmpv6ParamProblem::UnrecognizedOption);
    assert_eq!(pointer, 42);
    assert_eq!(data, packet);
}

#[test]
fn a_routing_header_with_segments_left_gets_parameter_problem_code_0() {
    // C6.8: pointer at the Routing Type, 40 + 2.
    let mut s = Script::new();
    s.learn_peer();
    let routing = Ipv6RoutingRepr {
        next_header: IpProtocol::Icmpv6,
        routing_type: Ipv6RoutingType::Srh,
        segments_left: 1,
        data: &[0; 20],
    };
    let mut rh = vec![0u8; routing.buffer_len()];
    routing.emit(&mut Ipv6ExtHeader::new_unchecked(&mut rh[..]));
    let packet = [rh, echo6(v6(2), v6(1), b"x")].concat();
    let out = s.exchange(frame6(
        ip6(v6(2), v6(1), IpProtocol::Ipv6Route, 64),
        &packet,
    ));
    let (_, reason, pointer, _) = param_problem_of(only(&out));
    assert_eq!(reason, Icmpv6ParamProblem::ErroneousHdrField);
    assert_eq!(pointer, 42);
}

// ---------------------------------------------------------------- C8 ICMPv6

#[test]
fn no_icmpv6_error_answers_an_icmpv6_error_behind_an_extension_header() {
    // C8.4 e.1: a Destination Unreachable behind a Hop-by-Hop header with an unknown
    // option of action 10 earns no Parameter Problem.
    let mut s = Script::new();
    s.learn_peer();
    let inner = ipv6(ip6(v6(1), v6(2), IpProtocol::Udp, 64), &[0u8; 8]);
    let error = icmpv6(
        v6(2),
        v6(1),
        &Icmpv6Repr::DstUnreachable {
            reason: Icmpv6DstUnreachable::PortUnreachable,
            header: Ipv6Repr::parse(&Ipv6Packet::new_checked(&inner[..]).unwrap()).unwrap(),
            data: &inner[40..],
        },
    );
    let hbh = options_header(
        IpProtocol::Icmpv6,
        Ipv6OptionRepr::Unknown {
            option_type: 0x9e,
            data: &[0; 4],
        },
    );
    let packet = [hbh, error].concat();
    silent(&s.exchange(frame6(ip6(v6(2), v6(1), IpProtocol::HopByHop, 64), &packet)));
    assert_eq!(s.counters().icmpv6_errors_tx, 0);
    assert_eq!(s.counters().icmpv6_errors_suppressed, 1);
}

#[test]
fn no_icmpv6_error_answers_a_packet_to_a_multicast_address() {
    // C8.4 e.3: UDP to a closed port at ff02::1.
    let mut s = Script::new();
    s.learn_peer();
    let all = IPV6_LINK_LOCAL_ALL_NODES;
    let frame = ethernet(
        PEER_MAC,
        EthernetAddress([0x33, 0x33, 0, 0, 0, 1]),
        EthernetProtocol::Ipv6,
        &ipv6(
            ip6(v6(2), all, IpProtocol::Udp, 64),
            &udp(v6(2).into(), all.into(), 4000, 9, b"x"),
        ),
    );
    silent(&s.exchange(frame));
    assert_eq!(s.counters().udp_no_socket, 1);
    assert_eq!(s.counters().icmpv6_errors_suppressed, 1);
}

#[test]
fn parameter_problem_code_2_answers_a_multicast_packet_from_a_unicast_address() {
    // C8.4 exception for options of action 10, and C8.10: sent from our unicast address.
    let mut s = Script::new();
    s.learn_peer();
    let all = IPV6_LINK_LOCAL_ALL_NODES;
    let hbh = options_header(
        IpProtocol::Icmpv6,
        Ipv6OptionRepr::Unknown {
            option_type: 0x9e,
            data: &[0; 4],
        },
    );
    let packet = [hbh, echo6(v6(2), all, b"x")].concat();
    let out = s.exchange(ethernet(
        PEER_MAC,
        EthernetAddress([0x33, 0x33, 0, 0, 0, 1]),
        EthernetProtocol::Ipv6,
        &ipv6(ip6(v6(2), all, IpProtocol::HopByHop, 64), &packet),
    ));
    let (_, reason, pointer, _) = param_problem_of(only(&out));
    assert_eq!(
        (reason, pointer),
        (Icmpv6ParamProblem::UnrecognizedOption, 42)
    );
}

#[test]
fn an_echo_request_to_all_nodes_is_answered_from_our_unicast_address() {
    // C8.9
    let mut s = Script::new();
    s.learn_peer();
    let all = IPV6_LINK_LOCAL_ALL_NODES;
    let out = s.exchange(ethernet(
        PEER_MAC,
        EthernetAddress([0x33, 0x33, 0, 0, 0, 1]),
        EthernetProtocol::Ipv6,
        &ipv6(
            ip6(v6(2), all, IpProtocol::Icmpv6, 64),
            &echo6(v6(2), all, b"ping"),
        ),
    ));
    let frame = only(&out);
    assert_eq!(dissect(frame).ethernet.unwrap().dst_addr, PEER_MAC);
    let (ip, icmp) = icmpv6_of(frame);
    assert_eq!((ip.src_addr, ip.dst_addr), (v6(1), v6(2)));
    assert_eq!(
        icmp,
        Icmpv6Repr::EchoReply {
            ident: 0x4321,
            seq_no: 3,
            data: b"ping",
        }
    );
}

#[test]
fn udp_to_a_closed_port_over_ipv6_gets_port_unreachable_code_4() {
    // D1.5, C8.6
    let mut s = Script::new();
    s.learn_peer();
    let datagram = udp(v6(2).into(), v6(1).into(), 4000, 9, b"hello");
    let ip = ip6(v6(2), v6(1), IpProtocol::Udp, 64);
    let out = s.exchange(frame6(ip, &datagram));
    let (reply, icmp) = icmpv6_of(only(&out));
    assert_eq!((reply.src_addr, reply.dst_addr), (v6(1), v6(2)));
    assert_eq!(
        icmp,
        Icmpv6Repr::DstUnreachable {
            reason: Icmpv6DstUnreachable::PortUnreachable,
            header: Ipv6Repr {
                payload_len: datagram.len(),
                ..ip
            },
            data: &datagram,
        }
    );
}

// ---------------------------------------------------------------- C9 NDP

/// An NS for `target` from `src` to `dst`, with hop limit `hops`.
fn ns_frame(
    src: Ipv6Address,
    dst: Ipv6Address,
    target: Ipv6Address,
    slla: bool,
    hops: u8,
) -> Vec<u8> {
    let ns = Icmpv6Repr::Ndisc(NdiscRepr::NeighborSolicit {
        target_addr: target,
        lladdr: slla.then_some(NdiscLinkLayerAddress(PEER_MAC.0)),
    });
    let dst_mac = if dst.is_multicast() {
        let o = dst.octets();
        EthernetAddress([0x33, 0x33, o[12], o[13], o[14], o[15]])
    } else {
        US_MAC
    };
    ethernet(
        PEER_MAC,
        dst_mac,
        EthernetProtocol::Ipv6,
        &ipv6(
            ip6(src, dst, IpProtocol::Icmpv6, hops),
            &icmpv6(src, dst, &ns),
        ),
    )
}

#[test]
fn a_neighbour_solicitation_with_hop_limit_64_is_ignored() {
    // C9.1
    let mut s = Script::new();
    silent(&s.exchange(ns_frame(v6(2), v6(1), v6(1), true, 64)));
    assert_eq!(s.counters().ndp_rx_invalid, 1);
    assert_eq!(s.iface.neighbors().iter().count(), 0);
}

#[test]
fn a_solicitation_for_our_address_gets_a_solicited_override_advert_and_the_sender_is_stale() {
    // C9.7: the entry is created STALE; sending the NA through it then moves it to
    // DELAY (RFC 4861 §7.3.3), as Linux does.
    let mut s = Script::new();
    let out = s.exchange(ns_frame(v6(2), v6(1).solicited_node(), v6(1), true, 255));
    let frame = only(&out);
    assert_eq!(dissect(frame).ethernet.unwrap().dst_addr, PEER_MAC);
    let (ip, icmp) = icmpv6_of(frame);
    assert_eq!(
        (ip.src_addr, ip.dst_addr, ip.hop_limit),
        (v6(1), v6(2), 255)
    );
    assert_eq!(
        icmp,
        Icmpv6Repr::Ndisc(NdiscRepr::NeighborAdvert {
            flags: NdiscNeighborFlags::SOLICITED | NdiscNeighborFlags::OVERRIDE,
            target_addr: v6(1),
            lladdr: Some(NdiscLinkLayerAddress(US_MAC.0)),
        })
    );
    let entries: Vec<_> = s.iface.neighbors().iter().collect();
    assert_eq!(entries.len(), 1);
    assert_eq!(
        (entries[0].addr, entries[0].hw, entries[0].state),
        (IpAddress::V6(v6(2)), Some(PEER_MAC), NeighborState::Delay)
    );
}

#[test]
fn a_duplicate_address_probe_is_answered_to_all_nodes_without_the_solicited_flag() {
    // C9.7, C9.2: NS from :: to our solicited-node group, no SLLA.
    let mut s = Script::new();
    let unspecified = Ipv6Address::UNSPECIFIED;
    let out = s.exchange(ns_frame(
        unspecified,
        v6(1).solicited_node(),
        v6(1),
        false,
        255,
    ));
    let frame = only(&out);
    assert_eq!(
        dissect(frame).ethernet.unwrap().dst_addr,
        EthernetAddress([0x33, 0x33, 0, 0, 0, 1])
    );
    let (ip, icmp) = icmpv6_of(frame);
    assert_eq!(
        (ip.src_addr, ip.dst_addr),
        (v6(1), IPV6_LINK_LOCAL_ALL_NODES)
    );
    assert_eq!(
        icmp,
        Icmpv6Repr::Ndisc(NdiscRepr::NeighborAdvert {
            flags: NdiscNeighborFlags::OVERRIDE,
            target_addr: v6(1),
            lladdr: Some(NdiscLinkLayerAddress(US_MAC.0)),
        })
    );
    assert_eq!(s.iface.neighbors().iter().count(), 0);
}

#[test]
fn an_unsolicited_advert_creates_no_neighbour_entry() {
    // C9.8
    let mut s = Script::new();
    silent(&s.exchange(na_frame(v6(2), NdiscNeighborFlags::OVERRIDE, PEER_MAC)));
    assert_eq!(s.iface.neighbors().iter().count(), 0);
}

#[test]
fn a_solicited_advert_resolves_a_pending_neighbour_and_releases_the_queued_datagram() {
    // C9.6, C9.8: multicast NS to the solicited-node group with our SLLA; the NA makes
    // the entry REACHABLE and the datagram leaves to the advertised MAC.
    let mut s = Script::new();
    let h = s.udp_socket(5000);
    s.udp_send(h, b"queued", "[2001:db8::9]:7");
    let out = s.poll();
    let frame = only(&out);
    let group = v6(9).solicited_node();
    assert_eq!(
        dissect(frame).ethernet.unwrap().dst_addr,
        EthernetAddress([0x33, 0x33, 0xff, 0, 0, 9])
    );
    let (ip, icmp) = icmpv6_of(frame);
    assert_eq!(
        (ip.src_addr, ip.dst_addr, ip.hop_limit),
        (v6(1), group, 255)
    );
    assert_eq!(
        icmp,
        Icmpv6Repr::Ndisc(NdiscRepr::NeighborSolicit {
            target_addr: v6(9),
            lladdr: Some(NdiscLinkLayerAddress(US_MAC.0)),
        })
    );
    let their_mac = EthernetAddress([0x02, 0, 0, 0, 0, 9]);
    let flags = NdiscNeighborFlags::SOLICITED | NdiscNeighborFlags::OVERRIDE;
    let out = s.exchange(na_frame(v6(9), flags, their_mac));
    let frame = only(&out);
    assert_eq!(dissect(frame).ethernet.unwrap().dst_addr, their_mac);
    let t = dissect(frame).transport;
    assert!(matches!(t, Some(Transport::Udp { payload, .. }) if payload == b"queued"));
    let entry = s
        .iface
        .neighbors()
        .iter()
        .find(|e| e.addr == IpAddress::V6(v6(9)))
        .unwrap();
    assert_eq!(
        (entry.hw, entry.state),
        (Some(their_mac), NeighborState::Reachable)
    );
}

// ---------------------------------------------------------------- D1 UDP

#[test]
fn a_udp_length_below_8_or_beyond_the_ip_payload_is_dropped() {
    // D1.1 [!]
    let mut s = Script::new();
    s.learn_peer();
    let h = s.udp_socket(7);
    for len in [7u16, 100] {
        let mut datagram = udp(v4(2).into(), v4(1).into(), 4000, 7, b"abcd");
        datagram[4..6].copy_from_slice(&len.to_be_bytes());
        datagram[6..8].fill(0);
        silent(&s.exchange(frame4(ip4(v4(2), v4(1), IpProtocol::Udp), &datagram)));
    }
    assert_eq!(s.counters().udp_bad_length, 2);
    assert!(s.udp_recv(h).is_none());
}

#[test]
fn a_udp_length_below_the_ip_payload_bounds_the_data() {
    // D1.1: only UDP-length bytes count.
    let mut s = Script::new();
    let h = s.udp_socket(7);
    let mut datagram = udp(v4(2).into(), v4(1).into(), 4000, 7, b"abcd");
    datagram.extend_from_slice(b"trailer");
    silent(&s.exchange(frame4(ip4(v4(2), v4(1), IpProtocol::Udp), &datagram)));
    assert_eq!(s.udp_recv(h).unwrap().0, b"abcd");
}

#[test]
fn a_zero_udp_checksum_over_ipv4_is_accepted() {
    // D1.3
    let mut s = Script::new();
    let h = s.udp_socket(7);
    let mut datagram = udp(v4(2).into(), v4(1).into(), 4000, 7, b"no sum");
    datagram[6..8].fill(0);
    silent(&s.exchange(frame4(ip4(v4(2), v4(1), IpProtocol::Udp), &datagram)));
    assert_eq!(s.udp_recv(h).unwrap().0, b"no sum");
}

#[test]
fn a_zero_udp_checksum_over_ipv6_is_dropped() {
    // D1.4
    let mut s = Script::new();
    let h = s.udp_socket(7);
    let mut datagram = udp(v6(2).into(), v6(1).into(), 4000, 7, b"no sum");
    datagram[6..8].fill(0);
    silent(&s.exchange(frame6(ip6(v6(2), v6(1), IpProtocol::Udp, 64), &datagram)));
    assert!(s.udp_recv(h).is_none());
    assert_eq!(s.counters().udp_bad_checksum, 1);
}

#[test]
fn a_udp_checksum_that_computes_to_zero_goes_out_as_ffff() {
    // D1.2: the payload word is chosen so that the one's-complement sum is 0xffff.
    let mut s = Script::new();
    s.learn_peer();
    let h = s.udp_socket(5000);
    let probe = udp(v4(1).into(), v4(2).into(), 5000, 7, &[0, 0]);
    let word = [probe[6], probe[7]];
    s.udp_send(h, &word, "192.0.2.2:7");
    let out = s.poll();
    let frame = only(&out);
    assert_eq!(&frame[14 + 20 + 6..14 + 20 + 8], &[0xff, 0xff]);
    assert!(matches!(
        dissect(frame).transport,
        Some(Transport::Udp { .. })
    ));
}

#[test]
fn a_socket_sees_the_broadcast_address_a_datagram_was_sent_to() {
    // D1.7
    let mut s = Script::new();
    let h = s.udp_socket(7);
    for dst in [Ipv4Address::BROADCAST, v4(255), v4(1)] {
        let mut frame = udp4_to(dst, 7, b"hi");
        if dst != v4(1) {
            frame[..6].copy_from_slice(&EthernetAddress::BROADCAST.0);
        }
        silent(&s.exchange(frame));
        let (data, meta) = s.udp_recv(h).expect("delivered");
        assert_eq!(data, b"hi");
        assert_eq!(meta.local_addr, Some(IpAddress::V4(dst)));
        assert_eq!(meta.remote, "192.0.2.2:4000".parse().unwrap());
    }
}

/// An unbound UDP socket added to `s`.
fn unbound_udp(s: &mut Script) -> skiff::socket::SocketHandle {
    s.sockets
        .add_socket(skiff::socket::udp::Socket::with_capacity(8, 8192))
        .unwrap()
}

#[test]
fn udp_ephemeral_ports_are_spread_out_like_tcps_and_never_a_bound_one() {
    // B10.4 (RFC 6056 covers UDP too), with B10.1/B10.5's checks: 1000 sockets get
    // 1000 different ports over 1024-65535, not in sequence.
    let mut s = Script::new();
    s.sockets = skiff::socket::SocketSet::with_capacity(1000, 7);
    let mut ports = Vec::new();
    for _ in 0..1000 {
        let h = unbound_udp(&mut s);
        ports.push(s.iface.udp_bind_ephemeral(&mut s.sockets, h, None).unwrap());
    }
    let mut sorted = ports.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), 1000, "a bound port was handed out again");
    assert!((1024..12_000).contains(&sorted[0]), "low end {}", sorted[0]);
    assert!(sorted[999] > 55_000, "high end {}", sorted[999]);
    let sequential = ports.windows(2).filter(|w| w[1] == w[0] + 1).count();
    assert!(sequential < 20, "{sequential} consecutive pairs");
    // The same seed gives the same order: a twin host learns the first port and has it
    // taken, on every address or on one of ours, before asking; it gets another.
    let mut twin = Script::new();
    let h = unbound_udp(&mut twin);
    let first = ports[0];
    assert_eq!(
        twin.iface.udp_bind_ephemeral(&mut twin.sockets, h, None),
        Ok(first)
    );
    for taken in [None, Some(IpAddress::from(v4(1)))] {
        let mut twin = Script::new();
        let h = unbound_udp(&mut twin);
        let mut squatter = skiff::socket::udp::Socket::with_capacity(8, 8192);
        squatter
            .bind(IpListenEndpoint {
                addr: taken,
                port: first,
            })
            .unwrap();
        twin.sockets.add_socket(squatter).unwrap();
        let port = twin.iface.udp_bind_ephemeral(&mut twin.sockets, h, None);
        assert_ne!(port.unwrap(), first, "taken on {taken:?}");
    }
    // The socket works from its port: a datagram leaves from it, and one to it arrives.
    let mut s = Script::new();
    s.learn_peer();
    let h = unbound_udp(&mut s);
    let port = s
        .iface
        .udp_bind_ephemeral(&mut s.sockets, h, Some(v4(1).into()))
        .unwrap();
    assert_eq!(
        s.iface.udp_bind_ephemeral(&mut s.sockets, h, None),
        Err(skiff::socket::BindError::InvalidState)
    );
    s.udp_send(h, b"query", "192.0.2.2:53");
    let out = s.poll();
    let (ip, t) = ipv4_of(only(&out));
    assert_eq!(ip.src_addr, v4(1));
    assert!(matches!(t, Some(Transport::Udp { repr, .. }) if repr.src_port == port));
    silent(&s.exchange(udp4_to(v4(1), port, b"answer")));
    assert_eq!(s.udp_recv(h).unwrap().0, b"answer");
}

// ---------------------------------------------------------------- TCP, no socket

fn tcp4(repr: &TcpRepr<'_>) -> Vec<u8> {
    frame4(
        ip4(v4(2), v4(1), IpProtocol::Tcp),
        &tcp(v4(2).into(), v4(1).into(), repr),
    )
}

fn rst_of(out: &[Vec<u8>]) -> TcpRepr<'_> {
    let (ip, t) = ipv4_of(only(out));
    assert_eq!((ip.src_addr, ip.dst_addr), (v4(1), v4(2)));
    match t {
        Some(Transport::Tcp(tcp)) => tcp,
        _ => panic!("not TCP: {t:?}"),
    }
}

#[test]
fn a_syn_to_a_port_with_no_socket_gets_rst_ack_acknowledging_it() {
    // RFC 9293 §3.10.7.1: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>; SYN counts one.
    let mut s = Script::new();
    s.learn_peer();
    let out = s.exchange(tcp4(&tcp_repr(40000, 80, TcpFlags::SYN, 1_000_000, None)));
    let rst = rst_of(&out);
    assert_eq!((rst.src_port, rst.dst_port), (80, 40000));
    assert_eq!(rst.flags, TcpFlags::RST | TcpFlags::ACK);
    assert_eq!(rst.seq_number, SeqNumber(0));
    assert_eq!(rst.ack_number, Some(SeqNumber(1_000_001)));
    assert_eq!(s.counters().tcp_tx_rst, 1);
}

#[test]
fn an_ack_to_a_port_with_no_socket_gets_a_rst_with_its_ack_as_sequence() {
    // RFC 9293 §3.10.7.1: <SEQ=SEG.ACK><CTL=RST>.
    let mut s = Script::new();
    s.learn_peer();
    let out = s.exchange(tcp4(&tcp_repr(
        40000,
        80,
        TcpFlags::ACK,
        5,
        Some(0xdead_beef),
    )));
    let rst = rst_of(&out);
    assert_eq!(rst.flags, TcpFlags::RST);
    assert_eq!(rst.seq_number, SeqNumber(0xdead_beef));
    assert_eq!(rst.ack_number, None);
}

#[test]
fn a_rst_to_a_port_with_no_socket_gets_nothing() {
    // RFC 9293 §3.10.7.1: an incoming RST is discarded.
    let mut s = Script::new();
    s.learn_peer();
    silent(&s.exchange(tcp4(&tcp_repr(40000, 80, TcpFlags::RST, 5, None))));
    silent(&s.exchange(tcp4(&tcp_repr(
        40000,
        80,
        TcpFlags::RST | TcpFlags::ACK,
        5,
        Some(9),
    ))));
    assert_eq!(s.counters().tcp_tx_rst, 0);
    assert_eq!(s.counters().tcp_rx_no_socket, 2);
}

// ---------------------------------------------------------------- poll_at, budget

#[test]
fn poll_at_is_none_for_an_idle_interface() {
    let mut s = Script::new();
    s.udp_socket(7);
    silent(&s.poll());
    assert_eq!(s.iface.poll_at(s.now, &s.sockets), None);
}

#[test]
fn poll_at_is_the_arp_retransmit_time_while_a_resolution_is_pending() {
    let mut s = Script::new();
    let h = s.udp_socket(5000);
    s.udp_send(h, b"x", "192.0.2.9:7");
    s.at(Duration::from_millis(250));
    assert_eq!(
        s.iface.poll_at(s.now, &s.sockets),
        Some(s.now + SECOND),
        "the next ARP request"
    );
}

#[test]
fn poll_at_is_now_when_a_udp_datagram_is_queued() {
    let mut s = Script::new();
    s.learn_peer();
    let h = s.udp_socket(5000);
    s.now += Duration::from_secs(3);
    s.udp_send(h, b"x", "192.0.2.2:7");
    assert_eq!(s.iface.poll_at(s.now, &s.sockets), Some(s.now));
    assert_eq!(s.poll().len(), 1);
}

#[test]
fn one_poll_takes_at_most_the_frame_budget() {
    // DESIGN: a flood cannot starve egress; Config::frame_budget bounds ingress.
    let mut s = Script::with_config(|c| c.frame_budget = 10);
    for _ in 0..100 {
        s.push(udp4_to(v4(3), 7, b"x"));
    }
    silent(&s.poll());
    assert_eq!(s.counters().rx_frames, 10);
    assert_eq!(s.dev.inbox.len(), 90);
    assert_eq!(s.counters().rx_budget_exhausted, 1);
    silent(&s.poll());
    assert_eq!(s.counters().rx_frames, 20);
}

/// The ARP request a frame is, for `target`, or a panic.
fn arp_request_for(frame: &[u8]) -> Ipv4Address {
    match arp_of(frame).1 {
        ArpRepr::EthernetIpv4 {
            operation: ArpOperation::Request,
            target_protocol_addr,
            ..
        } => target_protocol_addr,
        other => panic!("not an ARP request: {other:?}"),
    }
}

#[test]
fn a_changed_route_or_address_takes_effect_for_the_next_datagram_to_the_same_destination() {
    // C3.6 and the route table: the interface remembers where its last destination's
    // packets go, and must forget it when the routes or its addresses change.
    let mut s = Script::new();
    s.iface
        .routes_mut()
        .add_default_ipv4_route(v4(254))
        .unwrap();
    let h = s.udp_socket(5000);
    let far = "198.51.100.7:9";
    s.udp_send(h, b"one", far);
    let out = s.poll();
    assert_eq!(
        arp_request_for(&out[0]),
        v4(254),
        "first via the first gateway"
    );
    s.iface.routes_mut().clear();
    s.iface
        .routes_mut()
        .add_default_ipv4_route(v4(253))
        .unwrap();
    s.udp_send(h, b"two", far);
    let out = s.advance(SECOND * 2);
    assert!(
        out.iter().any(|f| arp_request_for(f) == v4(253)),
        "the new gateway is resolved"
    );
    // The destination's subnet becomes ours: it is reached directly, not through a gateway.
    assert!(s.iface.add_ip_addr("198.51.100.1/24".parse().unwrap()));
    s.udp_send(h, b"three", far);
    let out = s.advance(SECOND * 2);
    assert!(
        out.iter()
            .any(|f| arp_request_for(f) == Ipv4Address::new(198, 51, 100, 7)),
        "on-link now"
    );
    // And with the route gone and the subnet removed, nothing routes it.
    s.iface.routes_mut().clear();
    assert!(s.iface.remove_ip_addr(&"198.51.100.1/24".parse().unwrap()));
    let before = s.counters().tx_no_route;
    s.udp_send(h, b"four", far);
    s.advance(SECOND * 2);
    assert_eq!(s.counters().tx_no_route, before + 1);
}
