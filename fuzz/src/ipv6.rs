//! IPv6 bodies: the fixed header, the extension-header chain, ICMPv6 and NDP.

use crate::ip::transport;
use crate::{both_caps, display};
use skiff::wire::{
    ChecksumCapabilities, IPV6_HEADER_LEN, IPV6_MAX_EXT_HEADERS, Icmpv6Packet, Icmpv6Repr,
    IpAddress, Ipv6Address, Ipv6ExtHeader, Ipv6ExtHeaderRepr, Ipv6ExtHeaderStep,
    Ipv6ExtHeaderWalker, Ipv6FragmentHeader, Ipv6FragmentRepr, Ipv6OptionsIter, Ipv6Packet,
    Ipv6Repr, NdiscOptionsIter, NdiscRepr, walk_ext_headers,
};

/// Target `ipv6_packet`: the view (payload bounds), the repr and its byte-exact header
/// round trip, the extension-header walker against `walk_ext_headers`, every extension
/// header's round trip, and the Fragment header parser on the raw payload.
pub fn ipv6_packet(data: &[u8]) {
    let Ok(packet) = Ipv6Packet::new_checked(data) else {
        return;
    };
    display(&packet);
    let payload = packet.payload();
    assert_eq!(
        payload.len(),
        usize::from(packet.payload_len()),
        "IPv6 payload length"
    );
    assert_eq!(
        payload,
        &data[IPV6_HEADER_LEN..packet.total_len()],
        "IPv6 payload"
    );
    let repr = Ipv6Repr::parse(&packet).expect("a checked IPv6 view parses");
    display(&repr);
    ipv6_round_trip(&repr, payload);
    // Every header field is in the repr: the 40 bytes come back exactly.
    let mut header = [0u8; IPV6_HEADER_LEN];
    repr.emit(&mut Ipv6Packet::new_unchecked(&mut header[..]));
    assert_eq!(
        &header[..],
        &data[..IPV6_HEADER_LEN],
        "IPv6 header bytes round trip"
    );
    ext_headers(&repr, payload);
    fragment_header(payload);
    // The options walker must be total on any bytes, not only a checked header's area.
    let mut steps = 0usize;
    for _ in Ipv6OptionsIter::new(payload) {
        steps += 1;
        assert!(
            steps <= payload.len(),
            "Ipv6OptionsIter yielded more items than bytes"
        );
    }
}

pub(crate) fn ipv6_round_trip(repr: &Ipv6Repr, payload: &[u8]) {
    let mut buf = vec![0u8; repr.buffer_len() + payload.len()];
    repr.emit(&mut Ipv6Packet::new_unchecked(&mut buf[..]));
    buf[IPV6_HEADER_LEN..].copy_from_slice(payload);
    let packet = Ipv6Packet::new_checked(&buf[..]).expect("emitted IPv6 packet is checked");
    assert_eq!(packet.payload(), payload, "IPv6 payload round trip");
    let again = Ipv6Repr::parse(&packet).expect("re-parse of emitted IPv6");
    assert_eq!(again, *repr, "IPv6 repr round trip");
}

/// Walks the chain step by step, checks it against `walk_ext_headers` and round-trips
/// every header.
fn ext_headers(repr: &Ipv6Repr, payload: &[u8]) {
    let mut walker = Ipv6ExtHeaderWalker::new(repr.next_header, payload);
    let mut steps = 0usize;
    let mut failed = false;
    for step in walker.by_ref() {
        steps += 1;
        assert!(
            steps <= IPV6_MAX_EXT_HEADERS + 1,
            "walker ran past its bound"
        );
        match step {
            Ok(step) => ext_header_round_trip(&step, payload),
            Err(_) => failed = true,
        }
    }
    assert!(
        walker.offset() <= payload.len(),
        "walker offset past the payload"
    );
    match walk_ext_headers(repr.next_header, payload) {
        Ok(chain) => {
            // A whole (unfragmented, or atomic-fragment) packet: one layer deeper.
            let whole = chain.fragment.is_none_or(|(_, f)| f.is_atomic());
            if let (true, Some(upper)) = (whole, payload.get(chain.upper_layer_offset..)) {
                let (src, dst) = (IpAddress::V6(repr.src_addr), IpAddress::V6(repr.dst_addr));
                transport(chain.upper_layer, &src, &dst, upper);
            }
            assert!(
                !failed,
                "walk_ext_headers accepted a chain the walker rejected"
            );
            assert_eq!(chain.len(), steps, "chain length");
            assert_eq!(chain.upper_layer, walker.next_header(), "upper layer");
            assert_eq!(
                chain.upper_layer_offset,
                walker.offset(),
                "upper-layer offset"
            );
            assert!(chain.upper_layer_offset <= payload.len());
            if let Some((offset, fragment)) = chain.fragment {
                display(&fragment);
                assert!(offset + fragment.buffer_len() <= payload.len());
            }
        }
        Err(_) => assert!(
            failed,
            "walk_ext_headers rejected a chain the walker accepted"
        ),
    }
}

fn ext_header_round_trip(step: &Ipv6ExtHeaderStep<'_>, payload: &[u8]) {
    let header = step.header;
    let len = header.buffer_len();
    assert!(len >= 8 && len % 8 == 0, "extension header length");
    assert!(
        step.offset + len <= payload.len(),
        "extension header past the payload"
    );
    let mut buf = vec![0u8; len];
    match header {
        Ipv6ExtHeaderRepr::HopByHop(r) | Ipv6ExtHeaderRepr::DestinationOptions(r) => {
            for option in r.options() {
                let (offset, option) = option.expect("options of a parsed header are valid");
                assert!(
                    offset + option.buffer_len() <= len,
                    "option past its header"
                );
            }
            r.emit(&mut Ipv6ExtHeader::new_unchecked(&mut buf[..]));
        }
        Ipv6ExtHeaderRepr::Routing(r) => r.emit(&mut Ipv6ExtHeader::new_unchecked(&mut buf[..])),
        Ipv6ExtHeaderRepr::Fragment(r) => {
            display(&r);
            r.emit(&mut Ipv6FragmentHeader::new_unchecked(&mut buf[..]));
        }
    }
    let again = Ipv6ExtHeaderRepr::parse(step.protocol, &buf).expect("re-parse of ext header");
    assert_eq!(again, header, "extension header repr round trip");
}

/// The Fragment header parser on the first 8 bytes, whatever they are.
fn fragment_header(bytes: &[u8]) {
    let Ok(header) = Ipv6FragmentHeader::new_checked(bytes) else {
        return;
    };
    let repr = Ipv6FragmentRepr::parse(&header).expect("a checked Fragment header parses");
    display(&repr);
    let mut buf = [0u8; 8];
    repr.emit(&mut Ipv6FragmentHeader::new_unchecked(&mut buf[..]));
    let again = Ipv6FragmentHeader::new_checked(&buf[..]).expect("emitted Fragment header");
    let again = Ipv6FragmentRepr::parse(&again).expect("re-parse of Fragment header");
    assert_eq!(again, repr, "Fragment header round trip");
}

/// An ICMPv6 message from `src` to `dst` (NDP included): view, both parses, the NDP
/// parser and options walk on their own, Display, round trip.
pub(crate) fn icmpv6(src: &Ipv6Address, dst: &Ipv6Address, message: &[u8]) {
    let Ok(packet) = Icmpv6Packet::new_checked(message) else {
        return;
    };
    display(&packet);
    let options = message.get(packet.header_len()..).unwrap_or(&[]);
    let mut steps = 0usize;
    for _ in NdiscOptionsIter::new(options) {
        steps += 1;
        assert!(
            steps <= options.len() / 8 + 1,
            "NdiscOptionsIter past its bound"
        );
    }
    if let Ok(ndisc) = NdiscRepr::parse(&packet) {
        display(&ndisc);
    }
    for caps in both_caps() {
        if let Ok(repr) = Icmpv6Repr::parse(src, dst, &packet, &caps) {
            display(&repr);
            icmpv6_round_trip(&repr, src, dst);
        }
    }
}

pub(crate) fn icmpv6_round_trip(repr: &Icmpv6Repr<'_>, src: &Ipv6Address, dst: &Ipv6Address) {
    let caps = ChecksumCapabilities::default();
    let mut buf = vec![0u8; repr.buffer_len()];
    repr.emit(
        src,
        dst,
        &mut Icmpv6Packet::new_unchecked(&mut buf[..]),
        &caps,
    );
    let again = Icmpv6Packet::new_checked(&buf[..]).expect("emitted ICMPv6 is checked");
    let again = Icmpv6Repr::parse(src, dst, &again, &caps).expect("re-parse of emitted ICMPv6");
    assert_eq!(again, *repr, "ICMPv6 repr round trip");
}
