//! Link-layer bodies: ARP and whole Ethernet frames.

use crate::display;
use crate::ip::ipv4_in_frame;
use skiff::wire::arp::{ArpPacket, ArpRepr};
use skiff::wire::ethernet::{EthernetFrame, EthernetProtocol, EthernetRepr};

/// Target `arp`: view, parse, Display, round trip.
pub fn arp(data: &[u8]) {
    if let Ok(packet) = ArpPacket::new_checked(data) {
        display(&packet);
    }
    let Ok(repr) = ArpRepr::parse(&ArpPacket::new_unchecked(data)) else {
        return;
    };
    display(&repr);
    let mut buf = vec![0u8; repr.buffer_len()];
    repr.emit(&mut ArpPacket::new_unchecked(&mut buf[..]));
    let packet = ArpPacket::new_checked(&buf[..]).expect("emitted ARP is checked");
    let again = ArpRepr::parse(&packet).expect("re-parse of emitted ARP");
    assert_eq!(again, repr, "ARP repr round trip");
    // Every field of the 28-byte packet is in the repr, so the bytes round-trip too.
    assert_eq!(&buf[..], &data[..buf.len()], "ARP bytes round trip");
}

/// Target `ethernet_frame`: a whole frame, header round trip, then whatever it carries
/// (ARP, IPv4 and its transport, IPv6 and its transport).
pub fn ethernet_frame(data: &[u8]) {
    let Ok(frame) = EthernetFrame::new_checked(data) else {
        return;
    };
    display(&frame);
    let payload = frame.payload();
    assert!(
        frame.header_len() + payload.len() <= data.len(),
        "Ethernet bounds"
    );
    let Ok(repr) = EthernetRepr::parse(&frame) else {
        return;
    };
    display(&repr);
    let header_len = repr.buffer_len();
    let mut buf = vec![0u8; header_len + payload.len()];
    repr.emit(&mut EthernetFrame::new_unchecked(&mut buf[..]));
    buf[header_len..].copy_from_slice(payload);
    let again = EthernetFrame::new_checked(&buf[..]).expect("emitted frame is checked");
    assert_eq!(again.payload(), payload, "Ethernet payload round trip");
    let again = EthernetRepr::parse(&again).expect("re-parse of emitted frame");
    assert_eq!(again, repr, "Ethernet repr round trip");
    match repr.ethertype {
        EthernetProtocol::Arp => arp(payload),
        EthernetProtocol::Ipv4 => ipv4_in_frame(payload),
        _ => {}
    }
}
