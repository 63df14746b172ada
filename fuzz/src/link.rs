//! Link-layer bodies: ARP and whole Ethernet frames through the frame dissector.

use crate::both_caps;
use crate::display;
use crate::ip::{icmpv4_round_trip, ipv4_round_trip, tcp_round_trip, udp_round_trip};
use crate::ipv6::{icmpv6_round_trip, ipv6_round_trip};
use skiff::wire::frame::{Network, Transport, dissect_ethernet};
use skiff::wire::{
    ArpPacket, ArpRepr, EthernetFrame, EthernetRepr, IpAddress, Ipv4Packet, Ipv6Packet,
};

/// Target `arp`: view, parse, Display, round trip.
pub fn arp(data: &[u8]) {
    if let Ok(packet) = ArpPacket::new_checked(data) {
        display(&packet);
    }
    let Ok(repr) = ArpRepr::parse(&ArpPacket::new_unchecked(data)) else {
        return;
    };
    display(&repr);
    let emitted = arp_round_trip(&repr);
    // Every field of the 28-byte packet is in the repr, so the bytes round-trip too.
    assert_eq!(&emitted[..], &data[..emitted.len()], "ARP bytes round trip");
}

fn arp_round_trip(repr: &ArpRepr) -> Vec<u8> {
    let mut buf = vec![0u8; repr.buffer_len()];
    repr.emit(&mut ArpPacket::new_unchecked(&mut buf[..]));
    let packet = ArpPacket::new_checked(&buf[..]).expect("emitted ARP is checked");
    let again = ArpRepr::parse(&packet).expect("re-parse of emitted ARP");
    assert_eq!(again, *repr, "ARP repr round trip");
    buf
}

/// Target `ethernet_frame`: `skiff::wire::frame::dissect_ethernet` with checksums
/// verified and ignored, Display of the whole frame, then the round trip of every layer
/// it parsed (Ethernet header, ARP or IP header, transport).
pub fn ethernet_frame(data: &[u8]) {
    let Ok(view) = EthernetFrame::new_checked(data) else {
        return;
    };
    display(&view);
    for caps in both_caps() {
        let Ok(frame) = dissect_ethernet(data, &caps) else {
            continue;
        };
        display(&frame);
        let ethernet = frame
            .ethernet
            .expect("dissect_ethernet reports the Ethernet header");
        let l3 = ethernet_round_trip(&ethernet, data);
        let (src, dst) = match frame.network {
            Network::Arp(arp) => {
                arp_round_trip(&arp);
                continue;
            }
            Network::Ipv4(ip) => {
                let packet = Ipv4Packet::new_checked(l3).expect("dissected IPv4 is checked");
                ipv4_round_trip(&ip, packet.payload());
                (IpAddress::V4(ip.src_addr), IpAddress::V4(ip.dst_addr))
            }
            Network::Ipv6(ip) => {
                let packet = Ipv6Packet::new_checked(l3).expect("dissected IPv6 is checked");
                ipv6_round_trip(&ip, packet.payload());
                (IpAddress::V6(ip.src_addr), IpAddress::V6(ip.dst_addr))
            }
        };
        match (frame.transport, src, dst) {
            (Some(Transport::Tcp(repr)), _, _) => tcp_round_trip(&repr, &src, &dst),
            (Some(Transport::Udp { repr, payload }), _, _) => {
                udp_round_trip(&repr, payload, &src, &dst)
            }
            (Some(Transport::Icmpv4(repr)), _, _) => icmpv4_round_trip(&repr),
            (Some(Transport::Icmpv6(repr)), IpAddress::V6(s), IpAddress::V6(d)) => {
                icmpv6_round_trip(&repr, &s, &d)
            }
            _ => {}
        }
    }
}

/// Emits the Ethernet header with the frame's payload and parses it again; returns the
/// payload (everything after the header, as the dissector reads it).
fn ethernet_round_trip<'a>(repr: &EthernetRepr, data: &'a [u8]) -> &'a [u8] {
    let header_len = repr.buffer_len();
    let payload = data.get(header_len..).expect("the frame holds its header");
    let mut buf = vec![0u8; header_len + payload.len()];
    repr.emit(&mut EthernetFrame::new_unchecked(&mut buf[..]));
    buf[header_len..].copy_from_slice(payload);
    let again = EthernetFrame::new_checked(&buf[..]).expect("emitted frame is checked");
    let again = EthernetRepr::parse(&again).expect("re-parse of emitted frame");
    assert_eq!(again, *repr, "Ethernet repr round trip");
    payload
}
