//! Tests of `ipv6ext`, kept apart so the protocol file stays readable.

use super::*;
use std::format;
use std::vec;
use std::vec::Vec;

/// Hop-by-Hop as MLD sends it: next UDP... here next Destination Options, Router Alert
/// (MLD), PadN of 0 data bytes.
const HBH: [u8; 8] = [60, 0, 5, 2, 0, 0, 1, 0];
/// Destination Options: next Routing, an unknown option type 0x1e with 2 data bytes,
/// Pad1, Pad1.
const DEST: [u8; 8] = [43, 0, 0x1e, 2, 0xaa, 0xbb, 0, 0];
/// Routing type 4 (SRH) with Segments Left 0 and 12 bytes of data, next Fragment.
const ROUTE: [u8; 16] = [44, 1, 4, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
/// Atomic Fragment header, next UDP, ident 0x01020304.
const FRAG_ATOMIC: [u8; 8] = [17, 0, 0, 0, 1, 2, 3, 4];

fn chain() -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&HBH);
    v.extend_from_slice(&DEST);
    v.extend_from_slice(&ROUTE);
    v.extend_from_slice(&FRAG_ATOMIC);
    v.extend_from_slice(&[0x12, 0x34, 0x56, 0x78, 0, 8, 0, 0]); // UDP header
    v
}

fn options_of(bytes: &[u8]) -> Vec<Result<(usize, Ipv6OptionRepr<'_>)>> {
    Ipv6OptionsIter::new(&bytes[2..]).collect()
}

#[test]
fn options_are_read_with_their_offsets_in_the_header() {
    assert_eq!(
        options_of(&HBH),
        vec![
            Ok((2, Ipv6OptionRepr::RouterAlert(0))),
            Ok((6, Ipv6OptionRepr::PadN(0)))
        ]
    );
    assert_eq!(
        options_of(&DEST),
        vec![
            Ok((
                2,
                Ipv6OptionRepr::Unknown {
                    option_type: 0x1e,
                    data: &[0xaa, 0xbb]
                }
            )),
            Ok((6, Ipv6OptionRepr::Pad1)),
            Ok((7, Ipv6OptionRepr::Pad1)),
        ]
    );
}

#[test]
fn option_type_top_bits_choose_the_action_for_unknown_options() {
    let cases = [
        (0x1e, Ipv6OptionAction::Skip),
        (0x5e, Ipv6OptionAction::Discard),
        (0x9e, Ipv6OptionAction::DiscardSendIcmp),
        (0xde, Ipv6OptionAction::DiscardSendIcmpIfNotMulticast),
    ];
    for (option_type, action) in cases {
        assert_eq!(Ipv6OptionType::from(option_type).action(), action);
    }
    assert!(Ipv6OptionType::from(0x3e).may_change_en_route());
    assert!(!Ipv6OptionType::from(0x1e).may_change_en_route());
    assert_eq!(Ipv6OptionType::RouterAlert.action(), Ipv6OptionAction::Skip);
}

#[test]
fn a_padn_running_past_its_header_is_malformed() {
    // PadN claims 6 data bytes where only 4 remain in the 8-byte header.
    let bytes = [17, 0, 1, 6, 0, 0, 0, 0];
    let header = Ipv6ExtHeader::new_checked(&bytes[..]).unwrap();
    assert_eq!(Ipv6OptionsRepr::parse(&header), Err(Error::Malformed));
    assert_eq!(options_of(&bytes), vec![Err(Error::Malformed)]);
    // A type byte in the last position with no room for its length byte.
    let bytes = [17, 0, 1, 3, 0, 0, 0, 0x1e];
    let header = Ipv6ExtHeader::new_checked(&bytes[..]).unwrap();
    assert_eq!(Ipv6OptionsRepr::parse(&header), Err(Error::Malformed));
}

#[test]
fn a_router_alert_of_the_wrong_length_is_malformed() {
    let bytes = [17, 0, 5, 3, 0, 0, 0, 0];
    let header = Ipv6ExtHeader::new_checked(&bytes[..]).unwrap();
    assert_eq!(Ipv6OptionsRepr::parse(&header), Err(Error::Malformed));
}

#[test]
fn a_hdr_ext_len_past_the_buffer_is_truncated() {
    let mut bytes = HBH;
    bytes[1] = 1; // claims 16 bytes, 8 present
    assert_eq!(
        Ipv6ExtHeader::new_checked(&bytes[..]),
        Err(Error::Truncated)
    );
    for len in 0..8 {
        assert_eq!(
            Ipv6ExtHeader::new_checked(&HBH[..len]),
            Err(Error::Truncated)
        );
    }
    let mut payload = HBH.to_vec();
    payload[1] = 255; // 2048 bytes claimed
    payload.extend_from_slice(&[0; 100]);
    assert_eq!(
        walk_ext_headers(IpProtocol::HopByHop, &payload),
        Err(Error::Truncated)
    );
}

#[test]
fn options_headers_round_trip_and_pad_to_eight_bytes() {
    for bytes in [&HBH[..], &DEST[..]] {
        let header = Ipv6ExtHeader::new_checked(bytes).unwrap();
        let repr = Ipv6OptionsRepr::parse(&header).unwrap();
        assert_eq!(repr.buffer_len(), 8);
        let mut out = vec![0xffu8; 8];
        repr.emit(&mut Ipv6ExtHeader::new_unchecked(&mut out[..]));
        assert_eq!(out, bytes);
    }
    // Four bytes of options need two bytes of padding: one PadN with no data.
    let repr = Ipv6OptionsRepr {
        next_header: IpProtocol::Udp,
        options: &[5, 2, 0, 0],
    };
    let mut out = vec![0xffu8; repr.buffer_len()];
    repr.emit(&mut Ipv6ExtHeader::new_unchecked(&mut out[..]));
    assert_eq!(out, [17, 0, 5, 2, 0, 0, 1, 0]);
    // Five bytes of options need one Pad1.
    let repr = Ipv6OptionsRepr {
        next_header: IpProtocol::Udp,
        options: &[0x1e, 3, 1, 2, 3],
    };
    let mut out = vec![0xffu8; repr.buffer_len()];
    repr.emit(&mut Ipv6ExtHeader::new_unchecked(&mut out[..]));
    assert_eq!(out, [17, 0, 0x1e, 3, 1, 2, 3, 0]);
}

#[test]
fn option_reprs_emit_what_they_parse() {
    let options = [
        Ipv6OptionRepr::Pad1,
        Ipv6OptionRepr::PadN(3),
        Ipv6OptionRepr::RouterAlert(0x0102),
        Ipv6OptionRepr::Unknown {
            option_type: 0xc2,
            data: &[9, 8, 7],
        },
    ];
    for option in options {
        let mut out = vec![0xffu8; option.buffer_len()];
        option.emit(&mut out);
        let parsed: Vec<_> = Ipv6OptionsIter::new(&out).collect();
        assert_eq!(parsed, vec![Ok((2, option))]);
    }
}

#[test]
fn routing_header_round_trips() {
    let header = Ipv6RoutingHeader::new_checked(&ROUTE[..]).unwrap();
    let repr = Ipv6RoutingRepr::parse(&header).unwrap();
    assert_eq!(repr.routing_type, Ipv6RoutingType::Srh);
    assert_eq!(repr.segments_left, 0);
    assert_eq!(repr.data, &ROUTE[4..]);
    assert_eq!(repr.buffer_len(), 16);
    let mut out = vec![0xffu8; 16];
    repr.emit(&mut Ipv6ExtHeader::new_unchecked(&mut out[..]));
    assert_eq!(out, ROUTE);
}

#[test]
fn fragment_header_round_trips_and_drops_reserved_bits() {
    let bytes = [6, 0, 0x05, 0xa9, 0xde, 0xad, 0xbe, 0xef];
    let header = Ipv6FragmentHeader::new_checked(&bytes[..]).unwrap();
    let repr = Ipv6FragmentRepr::parse(&header).unwrap();
    assert_eq!(
        repr,
        Ipv6FragmentRepr {
            next_header: IpProtocol::Tcp,
            frag_offset: 0x05a8,
            more_frags: true,
            ident: 0xdead_beef,
        }
    );
    assert!(!repr.is_atomic());
    let mut out = vec![0xffu8; repr.buffer_len()];
    repr.emit(&mut Ipv6FragmentHeader::new_unchecked(&mut out[..]));
    assert_eq!(out, bytes);
    // Reserved byte and bits set on the wire are read but not kept.
    let noisy = [6, 0x77, 0x05, 0xaf, 0xde, 0xad, 0xbe, 0xef];
    let header = Ipv6FragmentHeader::new_checked(&noisy[..]).unwrap();
    assert_eq!((header.reserved(), header.res_bits()), (0x77, 0b11));
    assert_eq!(Ipv6FragmentRepr::parse(&header), Ok(repr));
    assert_eq!(
        Ipv6FragmentHeader::new_checked(&bytes[..7]),
        Err(Error::Truncated)
    );
    assert_eq!(
        format!("{repr}"),
        "IPv6-Frag id=0xdeadbeef off=1448 more=true next=TCP"
    );
}

#[test]
fn the_walk_reports_every_header_and_the_upper_layer() {
    let payload = chain();
    let chain = walk_ext_headers(IpProtocol::HopByHop, &payload).unwrap();
    let kinds: Vec<_> = chain.headers().map(|s| (s.protocol, s.offset)).collect();
    assert_eq!(
        kinds,
        vec![
            (IpProtocol::HopByHop, 0),
            (IpProtocol::Ipv6Opts, 8),
            (IpProtocol::Ipv6Route, 16),
            (IpProtocol::Ipv6Frag, 32),
        ]
    );
    assert_eq!(chain.len(), 4);
    assert_eq!(chain.upper_layer, IpProtocol::Udp);
    assert_eq!(chain.upper_layer_offset, 40);
    assert_eq!(chain.upper_layer_pointer, 40 + 32);
    let (offset, frag) = chain.fragment.unwrap();
    assert_eq!(
        (offset, frag.ident, frag.is_atomic()),
        (32, 0x0102_0304, true)
    );
}

#[test]
fn a_payload_without_extension_headers_is_an_empty_chain() {
    let chain = walk_ext_headers(IpProtocol::Tcp, &[]).unwrap();
    assert!(chain.is_empty());
    assert_eq!(
        (
            chain.upper_layer,
            chain.upper_layer_offset,
            chain.upper_layer_pointer
        ),
        (IpProtocol::Tcp, 0, 6)
    );
    // An unknown Next Header ends the walk; the pointer names the field (C6.6).
    let chain = walk_ext_headers(IpProtocol::Unknown(253), &[1, 2, 3]).unwrap();
    assert_eq!(chain.upper_layer, IpProtocol::Unknown(253));
    assert_eq!(chain.upper_layer_pointer, 6);
}

#[test]
fn hop_by_hop_anywhere_but_first_is_malformed_and_points_at_its_next_header() {
    let mut payload = DEST.to_vec();
    payload[0] = 0; // Destination Options says Hop-by-Hop follows
    payload.extend_from_slice(&HBH);
    assert_eq!(
        walk_ext_headers(IpProtocol::Ipv6Opts, &payload),
        Err(Error::Malformed)
    );
    let mut walker = Ipv6ExtHeaderWalker::new(IpProtocol::Ipv6Opts, &payload);
    assert!(walker.next().unwrap().is_ok());
    assert_eq!(walker.next(), Some(Err(Error::Malformed)));
    assert_eq!(walker.next_header_pointer(), 40);
    assert_eq!(walker.next(), None);
}

#[test]
fn a_chain_of_nine_extension_headers_is_malformed_and_eight_are_accepted() {
    let mut payload = Vec::new();
    for _ in 0..8 {
        payload.extend_from_slice(&[60, 0, 1, 4, 0, 0, 0, 0]);
    }
    *payload.last_chunk_mut::<8>().unwrap() = [59, 0, 1, 4, 0, 0, 0, 0];
    let chain = walk_ext_headers(IpProtocol::Ipv6Opts, &payload).unwrap();
    assert_eq!(chain.len(), IPV6_MAX_EXT_HEADERS);
    assert_eq!(chain.upper_layer, IpProtocol::Ipv6NoNxt);
    payload[8 * 7] = 60;
    payload.extend_from_slice(&[59, 0, 1, 4, 0, 0, 0, 0]);
    assert_eq!(
        walk_ext_headers(IpProtocol::Ipv6Opts, &payload),
        Err(Error::Malformed)
    );
}

#[test]
fn a_long_would_be_loop_of_options_headers_stops_after_the_bound() {
    // 5000 Destination Options headers each naming another: the walk must stop after
    // IPV6_MAX_EXT_HEADERS + 1 steps, not read them all.
    let payload: Vec<u8> = [60u8, 0, 1, 4, 0, 0, 0, 0].repeat(5000);
    let mut walker = Ipv6ExtHeaderWalker::new(IpProtocol::HopByHop, &payload);
    let steps: Vec<_> = walker.by_ref().collect();
    assert_eq!(steps.len(), IPV6_MAX_EXT_HEADERS + 1);
    assert_eq!(steps.last(), Some(&Err(Error::Malformed)));
    // All-zero bytes: Hop-by-Hop naming Hop-by-Hop.
    let zeros = [0u8; 64];
    assert_eq!(
        walk_ext_headers(IpProtocol::HopByHop, &zeros),
        Err(Error::Malformed)
    );
}

#[test]
fn a_second_fragment_header_is_malformed() {
    let mut payload = FRAG_ATOMIC.to_vec();
    payload[0] = 44;
    payload.extend_from_slice(&FRAG_ATOMIC);
    assert_eq!(
        walk_ext_headers(IpProtocol::Ipv6Frag, &payload),
        Err(Error::Malformed)
    );
}

#[test]
fn the_walk_stops_after_a_non_atomic_fragment_header() {
    // Offset 8, M=0, next Destination Options: the bytes after it are fragment data.
    let mut payload = vec![60, 0, 0, 8, 0, 0, 0, 9];
    payload.extend_from_slice(&[0xff; 16]);
    let chain = walk_ext_headers(IpProtocol::Ipv6Frag, &payload).unwrap();
    assert_eq!(chain.len(), 1);
    assert_eq!(chain.upper_layer, IpProtocol::Ipv6Opts);
    assert_eq!(chain.upper_layer_offset, 8);
    assert_eq!(chain.fragment.map(|(_, f)| f.frag_offset), Some(8));
}

#[test]
fn a_header_cut_by_the_end_of_the_payload_is_truncated() {
    let payload = chain();
    for len in 0..40 {
        let walked = walk_ext_headers(IpProtocol::HopByHop, &payload[..len]);
        assert_eq!(walked, Err(Error::Truncated), "len {len}");
    }
}

#[test]
fn random_bytes_never_panic_and_never_walk_past_the_payload() {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut buf = [0u8; 96];
    let kinds = [0u8, 43, 44, 60];
    for round in 0..5000 {
        for b in buf.iter_mut() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            *b = state as u8;
        }
        // Bias toward chains: small lengths and extension-header Next Headers.
        for i in (0..buf.len()).step_by(8) {
            buf[i] = kinds[usize::from(buf[i]) % 4];
            buf[i + 1] &= 0x03;
        }
        let len = (state >> 16) as usize % (buf.len() + 1);
        let first = IpProtocol::from(kinds[round % 4]);
        if let Ok(chain) = walk_ext_headers(first, &buf[..len]) {
            assert!(chain.upper_layer_offset <= len);
            assert!(chain.len() <= IPV6_MAX_EXT_HEADERS);
            let _ = format!("{chain:?}");
        }
        for option in Ipv6OptionsIter::new(&buf[..len]) {
            let _ = option;
        }
    }
}
