//! Network- and transport-layer bodies: IPv4, IPv6, TCP, UDP, ICMPv4 and ICMPv6.

use crate::{both_caps, display};
use skiff::wire::icmpv4::{Icmpv4Packet, Icmpv4Repr};
use skiff::wire::ipv4::{Ipv4OptionsIter, Ipv4Packet, Ipv4Repr};
use skiff::wire::tcp::{
    TCP_HEADER_LEN, TCP_MAX_OPTIONS_LEN, TcpOption, TcpOptionsIter, TcpPacket, TcpRepr,
};
use skiff::wire::udp::{UdpPacket, UdpRepr};
use skiff::wire::{ChecksumCapabilities, IpAddress, IpProtocol, Ipv4Address, Ipv6Address};

/// Splits a source and destination address off the front of `data`: the low bit of the
/// first byte picks IPv4 (8 more bytes) or IPv6 (32 more bytes). `None` if too short.
pub(crate) fn split_addrs(data: &[u8]) -> Option<(IpAddress, IpAddress, &[u8])> {
    let (&selector, rest) = data.split_first()?;
    if selector & 1 == 0 {
        let (addrs, rest) = rest.split_at_checked(8)?;
        let src: [u8; 4] = addrs.get(..4)?.try_into().ok()?;
        let dst: [u8; 4] = addrs.get(4..)?.try_into().ok()?;
        let (src, dst) = (Ipv4Address::from(src), Ipv4Address::from(dst));
        Some((IpAddress::V4(src), IpAddress::V4(dst), rest))
    } else {
        let (addrs, rest) = rest.split_at_checked(32)?;
        let src: [u8; 16] = addrs.get(..16)?.try_into().ok()?;
        let dst: [u8; 16] = addrs.get(16..)?.try_into().ok()?;
        let (src, dst) = (Ipv6Address::from(src), Ipv6Address::from(dst));
        Some((IpAddress::V6(src), IpAddress::V6(dst), rest))
    }
}

/// Target `tcp_segment`: addresses from the first bytes (see [`split_addrs`]), then a
/// TCP segment.
pub fn tcp_segment(data: &[u8]) {
    if let Some((src, dst, segment)) = split_addrs(data) {
        tcp(&src, &dst, segment);
    }
}

/// Walks an option area with [`TcpOptionsIter`], checks it stops within 40 steps and
/// round-trips every option it yields through `TcpOption::emit`/`parse`.
fn tcp_options(area: &[u8]) {
    let mut steps = 0usize;
    for option in TcpOptionsIter::new(area) {
        steps += 1;
        assert!(
            steps <= TCP_MAX_OPTIONS_LEN,
            "TcpOptionsIter ran past 40 steps"
        );
        let Ok(option) = option else { continue };
        let mut buf = vec![0u8; option.buffer_len()];
        let rest = option.emit(&mut buf);
        assert!(rest.is_empty(), "TcpOption::emit left bytes over");
        let (_, again) = TcpOption::parse(&buf).expect("re-parse of an emitted TCP option");
        assert_eq!(again, option, "TCP option round trip");
    }
}

/// A segment from `src` to `dst`: view, options, both parses, Display, round trip.
pub(crate) fn tcp(src: &IpAddress, dst: &IpAddress, segment: &[u8]) {
    // The iterator must be total on any bytes, not only on a checked header's area.
    tcp_options(segment);
    if let Ok(packet) = TcpPacket::new_checked(segment) {
        display(&packet);
        tcp_options(packet.options());
    }
    let packet = TcpPacket::new_unchecked(segment);
    for caps in both_caps() {
        if let Ok(repr) = TcpRepr::parse(&packet, src, dst, &caps) {
            display(&repr);
            display(&repr.display_with(*src, *dst));
            tcp_round_trip(&repr, src, dst);
        }
    }
}

/// The repr `emit` then `parse` must give back: `repr` with only the SACK blocks that
/// fit beside the other options, as `TcpRepr::emit` documents (40-byte area, MSS 4,
/// SACK-permitted/timestamps 4 or 12, window scale 4, then 4 + 8 per block).
fn tcp_expected_after_emit<'a>(repr: &TcpRepr<'a>) -> TcpRepr<'a> {
    let fixed = if repr.max_seg_size.is_some() { 4 } else { 0 }
        + match (repr.timestamp.is_some(), repr.sack_permitted) {
            (true, _) => 12,
            (false, true) => 4,
            (false, false) => 0,
        }
        + if repr.window_scale.is_some() { 4 } else { 0 };
    let fit = TCP_MAX_OPTIONS_LEN.saturating_sub(fixed).saturating_sub(4) / 8;
    let mut expected = *repr;
    for slot in expected.sack_ranges.iter_mut().skip(fit) {
        *slot = None;
    }
    expected
}

pub(crate) fn tcp_round_trip(repr: &TcpRepr<'_>, src: &IpAddress, dst: &IpAddress) {
    let caps = ChecksumCapabilities::default();
    let len = repr.buffer_len();
    assert!(len >= TCP_HEADER_LEN && repr.header_len() <= 60);
    let mut buf = vec![0u8; len];
    repr.emit(&mut TcpPacket::new_unchecked(&mut buf[..]), src, dst, &caps);
    let packet = TcpPacket::new_checked(&buf[..]).expect("emitted TCP segment is checked");
    let again = TcpRepr::parse(&packet, src, dst, &caps).expect("re-parse of emitted TCP");
    assert_eq!(again, tcp_expected_after_emit(repr), "TCP repr round trip");
}

/// Target `ipv4_packet`: the quoted-header parser, the checked view (payload bounds,
/// options walk), both parses, Display, and the round trip.
pub fn ipv4_packet(data: &[u8]) {
    if let Ok((repr, quoted)) = Ipv4Repr::parse_quoted(data) {
        display(&repr);
        assert!(
            quoted.len() <= repr.payload_len,
            "quote beyond the claimed payload"
        );
        assert!(repr.buffer_len() + quoted.len() <= data.len());
    }
    ipv4_options(data);
    let Ok(packet) = Ipv4Packet::new_checked(data) else {
        return;
    };
    display(&packet);
    ipv4_options(packet.options());
    let payload = packet.payload();
    // The payload is the bytes between the IHL and the total length, inside the buffer.
    let header_len = packet.header_len();
    let total_len = usize::from(packet.total_len());
    assert!(header_len >= 20 && total_len <= data.len(), "IPv4 bounds");
    assert_eq!(payload.len(), total_len - header_len, "IPv4 payload length");
    assert_eq!(
        payload,
        &data[header_len..total_len],
        "IPv4 payload position"
    );
    for caps in both_caps() {
        if let Ok(repr) = Ipv4Repr::parse(&packet, &caps) {
            display(&repr);
            ipv4_round_trip(&repr, payload);
        }
    }
    // With the header valid (checksum aside), go one layer deeper on a whole datagram.
    if let Ok(repr) = Ipv4Repr::parse(&packet, &ChecksumCapabilities::ignored()) {
        if !repr.is_fragment() {
            let (src, dst) = (IpAddress::V4(repr.src_addr), IpAddress::V4(repr.dst_addr));
            transport(repr.next_header, &src, &dst, payload);
        }
    }
}

/// Dispatches an IP payload to the view-level body of its transport.
pub(crate) fn transport(protocol: IpProtocol, src: &IpAddress, dst: &IpAddress, payload: &[u8]) {
    match (protocol, src, dst) {
        (IpProtocol::Tcp, _, _) => tcp(src, dst, payload),
        (IpProtocol::Udp, _, _) => udp(src, dst, payload),
        (IpProtocol::Icmp, IpAddress::V4(_), _) => icmpv4(payload),
        (IpProtocol::Icmpv6, IpAddress::V6(s), IpAddress::V6(d)) => {
            crate::ipv6::icmpv6(s, d, payload)
        }
        _ => {}
    }
}

/// Walks IPv4 options; every step consumes at least one byte, and one error ends it.
fn ipv4_options(area: &[u8]) {
    let mut steps = 0usize;
    for option in Ipv4OptionsIter::new(area) {
        steps += 1;
        assert!(
            steps <= area.len(),
            "Ipv4OptionsIter yielded more items than bytes"
        );
        let _ = option.map(|o| o.is_copied());
    }
}

pub(crate) fn ipv4_round_trip(repr: &Ipv4Repr, payload: &[u8]) {
    let caps = ChecksumCapabilities::default();
    let header_len = repr.buffer_len();
    let mut buf = vec![0u8; header_len + payload.len()];
    repr.emit(&mut Ipv4Packet::new_unchecked(&mut buf[..]), &caps);
    buf[header_len..].copy_from_slice(payload);
    let packet = Ipv4Packet::new_checked(&buf[..]).expect("emitted IPv4 packet is checked");
    let again = Ipv4Repr::parse(&packet, &caps).expect("re-parse of emitted IPv4");
    assert_eq!(again, *repr, "IPv4 repr round trip");
    assert_eq!(packet.payload(), payload, "IPv4 payload round trip");
}

/// Target `icmp`: the low bit of the first byte picks ICMPv4 (the rest is the message)
/// or ICMPv6 (32 bytes of addresses for the pseudo-header, then the message).
pub fn icmp(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    if selector & 1 == 0 {
        icmpv4(rest);
    } else if let Some((IpAddress::V6(src), IpAddress::V6(dst), message)) = split_addrs(data) {
        crate::ipv6::icmpv6(&src, &dst, message);
    }
}

/// An ICMPv4 message: view, both parses, Display, round trip.
pub(crate) fn icmpv4(message: &[u8]) {
    if let Ok(packet) = Icmpv4Packet::new_checked(message) {
        display(&packet);
    }
    let packet = Icmpv4Packet::new_unchecked(message);
    for caps in both_caps() {
        if let Ok(repr) = Icmpv4Repr::parse(&packet, &caps) {
            display(&repr);
            icmpv4_round_trip(&repr);
        }
    }
}

pub(crate) fn icmpv4_round_trip(repr: &Icmpv4Repr<'_>) {
    let caps = ChecksumCapabilities::default();
    let mut buf = vec![0u8; repr.buffer_len()];
    repr.emit(&mut Icmpv4Packet::new_unchecked(&mut buf[..]), &caps);
    let again = Icmpv4Packet::new_checked(&buf[..]).expect("emitted ICMPv4 is checked");
    let again = Icmpv4Repr::parse(&again, &caps).expect("re-parse of emitted ICMPv4");
    assert_eq!(again, *repr, "ICMPv4 repr round trip");
}

/// A UDP datagram from `src` to `dst`: view, both parses, Display, round trip.
pub(crate) fn udp(src: &IpAddress, dst: &IpAddress, datagram: &[u8]) {
    let Ok(packet) = UdpPacket::new_checked(datagram) else {
        return;
    };
    display(&packet);
    let payload = packet.payload();
    assert!(8 + payload.len() <= datagram.len(), "UDP payload bounds");
    for caps in both_caps() {
        if let Ok(repr) = UdpRepr::parse(&packet, src, dst, &caps) {
            display(&repr);
            udp_round_trip(&repr, payload, src, dst);
        }
    }
}

pub(crate) fn udp_round_trip(repr: &UdpRepr, payload: &[u8], src: &IpAddress, dst: &IpAddress) {
    let caps = ChecksumCapabilities::default();
    let mut buf = vec![0u8; repr.buffer_len(payload.len())];
    let mut out = UdpPacket::new_unchecked(&mut buf[..]);
    let fill = |area: &mut [u8]| area.copy_from_slice(payload);
    repr.emit(&mut out, src, dst, payload.len(), fill, &caps);
    let again = UdpPacket::new_checked(&buf[..]).expect("emitted UDP is checked");
    assert_eq!(again.payload(), payload, "UDP payload round trip");
    let again = UdpRepr::parse(&again, src, dst, &caps).expect("re-parse of emitted UDP");
    assert_eq!(again, *repr, "UDP repr round trip");
}
