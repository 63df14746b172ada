//! Tests of `ipv4`, kept apart so the protocol file stays readable.

use super::*;
use std::format;
use std::string::ToString;
use std::vec::Vec;

/// RFC 1071-style example widely reproduced (e.g. Wikipedia "IPv4 header checksum"):
/// a UDP datagram 192.168.0.1 > 192.168.0.199 whose checksum is 0xb861.
const UDP_HEADER: [u8; 20] = [
    0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01,
    0xc0, 0xa8, 0x00, 0xc7,
];

fn udp_packet() -> Vec<u8> {
    let mut bytes = UDP_HEADER.to_vec();
    bytes.extend((0..0x73 - 20).map(|i| i as u8));
    bytes
}

/// A header with the given options, `payload_len` payload bytes and a valid checksum.
fn packet_with_options(options: &[u8], payload_len: usize) -> Vec<u8> {
    let header_len = 20 + options.len();
    let mut bytes = std::vec![0u8; header_len + payload_len];
    bytes[..20].copy_from_slice(&UDP_HEADER);
    bytes[20..header_len].copy_from_slice(options);
    let mut packet = Ipv4Packet::new_unchecked(&mut bytes[..]);
    packet.set_header_len(header_len);
    packet.set_total_len((header_len + payload_len) as u16);
    packet.fill_checksum();
    bytes
}

fn caps() -> ChecksumCapabilities {
    ChecksumCapabilities::default()
}

fn parse(bytes: &[u8]) -> Result<Ipv4Repr> {
    Ipv4Repr::parse(&Ipv4Packet::new_unchecked(bytes), &caps())
}

fn emit(repr: &Ipv4Repr, payload: &[u8]) -> Vec<u8> {
    let mut out = std::vec![0u8; repr.buffer_len() + payload.len()];
    let mut packet = Ipv4Packet::new_unchecked(&mut out[..]);
    repr.emit(&mut packet, &caps());
    packet.payload_mut().copy_from_slice(payload);
    out
}

#[test]
fn a_known_udp_header_reads_field_by_field_and_its_checksum_verifies() {
    let bytes = udp_packet();
    let packet = Ipv4Packet::new_checked(&bytes[..]).unwrap();
    assert_eq!(packet.version(), 4);
    assert_eq!(packet.header_len(), 20);
    assert_eq!((packet.dscp(), packet.ecn()), (0, 0));
    assert_eq!(packet.total_len(), 0x73);
    assert_eq!(packet.ident(), 0);
    assert!(packet.dont_frag() && !packet.more_frags());
    assert_eq!(packet.frag_offset(), 0);
    assert_eq!(packet.hop_limit(), 64);
    assert_eq!(packet.next_header(), IpProtocol::Udp);
    assert_eq!(packet.checksum(), 0xb861);
    assert_eq!(packet.src_addr(), Ipv4Address::new(192, 168, 0, 1));
    assert_eq!(packet.dst_addr(), Ipv4Address::new(192, 168, 0, 199));
    assert!(packet.options().is_empty());
    assert_eq!(packet.payload(), &bytes[20..]);
    assert!(packet.verify_checksum());
}

#[test]
fn fill_checksum_reproduces_the_known_value() {
    let mut bytes = udp_packet();
    let mut packet = Ipv4Packet::new_unchecked(&mut bytes[..]);
    packet.set_checksum(0);
    packet.fill_checksum();
    assert_eq!(packet.checksum(), 0xb861);
}

#[test]
fn a_packet_without_options_round_trips_exactly() {
    let bytes = udp_packet();
    let repr = parse(&bytes).unwrap();
    assert_eq!(repr.payload_len, 0x73 - 20);
    assert!(repr.options.is_empty());
    assert_eq!(emit(&repr, &bytes[20..]), bytes);
}

#[test]
fn a_packet_with_options_round_trips_exactly() {
    // Router Alert, NOP, Record Route with room for one address, then EOL padding.
    let options = [
        148, 4, 0, 0, 1, 7, 7, 4, 0, 0, 0, 0, 0, 0, 0, 0, //
    ];
    let bytes = packet_with_options(&options, 12);
    let repr = parse(&bytes).unwrap();
    assert_eq!(repr.options.as_bytes(), &options);
    assert_eq!(repr.buffer_len(), 36);
    assert_eq!(emit(&repr, &bytes[36..]), bytes);
}

#[test]
fn every_field_of_a_repr_survives_emit_then_parse() {
    let repr = Ipv4Repr {
        src_addr: Ipv4Address::new(192, 0, 2, 1),
        dst_addr: Ipv4Address::new(198, 51, 100, 2),
        next_header: IpProtocol::Unknown(253),
        payload_len: 1480,
        hop_limit: 1,
        dscp: 46,
        ecn: 3,
        ident: 0xbeef,
        dont_frag: false,
        more_frags: true,
        frag_offset: 2960,
        options: Ipv4Options::new(&[130, 11, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0]).unwrap(),
    };
    let bytes = emit(&repr, &[0xaa; 1480]);
    assert_eq!(parse(&bytes).unwrap(), repr);
}

#[test]
fn header_length_below_five_words_is_malformed() {
    for ihl in 0..5u8 {
        let mut bytes = udp_packet();
        bytes[0] = 0x40 | ihl;
        assert_eq!(Ipv4Packet::new_checked(&bytes[..]), Err(Error::Malformed));
    }
}

#[test]
fn header_length_beyond_the_total_length_is_malformed() {
    // IHL 6 (24 bytes) but total length 22; the buffer itself is long enough.
    let mut bytes = packet_with_options(&[1, 1, 1, 0], 40);
    bytes[2..4].copy_from_slice(&22u16.to_be_bytes());
    assert_eq!(Ipv4Packet::new_checked(&bytes[..]), Err(Error::Malformed));
    // Total length 0 is the same lie.
    bytes[2..4].copy_from_slice(&0u16.to_be_bytes());
    assert_eq!(Ipv4Packet::new_checked(&bytes[..]), Err(Error::Malformed));
}

#[test]
fn total_length_beyond_the_buffer_is_truncated() {
    let bytes = udp_packet();
    assert_eq!(
        Ipv4Packet::new_checked(&bytes[..bytes.len() - 1]),
        Err(Error::Truncated)
    );
    let mut lying = bytes.clone();
    lying[2..4].copy_from_slice(&0xffffu16.to_be_bytes());
    assert_eq!(Ipv4Packet::new_checked(&lying[..]), Err(Error::Truncated));
}

#[test]
fn a_buffer_shorter_than_the_options_is_truncated() {
    let bytes = packet_with_options(&[1; 40], 0);
    assert_eq!(Ipv4Packet::new_checked(&bytes[..30]), Err(Error::Truncated));
    assert_eq!(Ipv4Packet::new_checked(&bytes[..19]), Err(Error::Truncated));
}

#[test]
fn a_version_other_than_four_never_parses() {
    for version in [0u8, 5, 6, 15] {
        let mut bytes = udp_packet();
        bytes[0] = (version << 4) | 5;
        assert_eq!(parse(&bytes), Err(Error::Malformed));
    }
}

#[test]
fn ethernet_padding_after_the_total_length_is_not_payload() {
    // A 40-byte TCP ACK in a minimum 46-byte Ethernet payload: 6 bytes of padding.
    let mut bytes = packet_with_options(&[], 20);
    bytes.extend_from_slice(&[0xee; 6]);
    let packet = Ipv4Packet::new_checked(&bytes[..]).unwrap();
    assert_eq!(packet.payload().len(), 20);
    assert!(packet.payload().iter().all(|&b| b != 0xee));
    assert_eq!(parse(&bytes).unwrap().payload_len, 20);
}

#[test]
fn options_with_length_zero_one_or_past_the_header_are_malformed() {
    for options in [
        [68, 0, 0, 0], // length 0
        [68, 1, 0, 0], // length 1
        [7, 5, 4, 0],  // length 5 in a 4-byte area
        [1, 1, 1, 7],  // type with no length octet at the end
    ] {
        let bytes = packet_with_options(&options, 8);
        assert_eq!(parse(&bytes), Err(Error::Malformed), "{options:?}");
        let mut iter = Ipv4OptionsIter::new(&options);
        assert_eq!(iter.next(), Some(Err(Error::Malformed)));
        assert_eq!(iter.next(), None);
    }
}

#[test]
fn known_options_with_impossible_lengths_are_malformed() {
    // Record Route needs a pointer; Timestamp needs pointer and flags; Router
    // Alert is exactly 4 octets (RFC 2113).
    for options in [[7, 2, 0, 0], [68, 3, 5, 0], [148, 3, 0, 0]] {
        assert_eq!(ipv4_check_options(&options), Err(Error::Malformed));
    }
    assert_eq!(
        ipv4_check_options(&[148, 6, 0, 0, 0, 0, 0, 0]),
        Err(Error::Malformed)
    );
}

#[test]
fn the_options_walk_skips_nops_stops_at_eol_and_names_known_kinds() {
    let options = [
        1, 7, 7, 4, 1, 2, 3, 4, 137, 3, 4, 131, 3, 4, 68, 8, 5, 0x12, 9, 9, 9, 9, 148, 4, 0, 0, 30,
        2, 0, 99, 99, 99,
    ];
    let got: Vec<_> = Ipv4OptionsIter::new(&options).collect();
    assert_eq!(
        got,
        [
            Ok(Ipv4Option::RecordRoute {
                pointer: 4,
                data: &[1, 2, 3, 4]
            }),
            Ok(Ipv4Option::StrictSourceRoute {
                pointer: 4,
                data: &[]
            }),
            Ok(Ipv4Option::LooseSourceRoute {
                pointer: 4,
                data: &[]
            }),
            Ok(Ipv4Option::Timestamp {
                pointer: 5,
                overflow: 1,
                flags: 2,
                data: &[9, 9, 9, 9]
            }),
            Ok(Ipv4Option::RouterAlert { value: 0 }),
            Ok(Ipv4Option::Unknown {
                kind: 30,
                data: &[]
            }),
        ]
    );
    assert!(got[1].unwrap().is_copied() && !got[0].unwrap().is_copied());
}

#[test]
fn an_options_area_of_forty_nops_is_walked_in_bounded_steps() {
    assert_eq!(Ipv4OptionsIter::new(&[1; 40]).count(), 0);
    let bytes = packet_with_options(&[1; 40], 0);
    assert_eq!(parse(&bytes).unwrap().options.len(), 40);
}

#[test]
fn options_storage_rejects_unaligned_or_oversized_areas() {
    assert_eq!(Ipv4Options::new(&[1, 1]), Err(Error::Malformed));
    assert_eq!(Ipv4Options::new(&[1; 44]), Err(Error::Malformed));
    assert!(Ipv4Options::new(&[]).unwrap().is_empty());
}

#[test]
fn a_bad_checksum_is_rejected_unless_verification_is_offloaded() {
    let mut bytes = udp_packet();
    bytes[11] ^= 1;
    assert_eq!(parse(&bytes), Err(Error::Checksum));
    let packet = Ipv4Packet::new_unchecked(&bytes[..]);
    assert!(Ipv4Repr::parse(&packet, &ChecksumCapabilities::ignored()).is_ok());
}

#[test]
fn emit_leaves_the_checksum_zero_when_the_device_fills_it() {
    let repr = parse(&udp_packet()).unwrap();
    let mut out = std::vec![0xffu8; 20];
    repr.emit(
        &mut Ipv4Packet::new_unchecked(&mut out[..]),
        &ChecksumCapabilities::ignored(),
    );
    assert_eq!(&out[10..12], &[0, 0]);
}

#[test]
fn the_reserved_flag_is_normalised_to_zero_on_emit() {
    let mut bytes = udp_packet();
    bytes[6] |= 0x80;
    Ipv4Packet::new_unchecked(&mut bytes[..]).fill_checksum();
    let repr = parse(&bytes).unwrap();
    assert_eq!(emit(&repr, &bytes[20..]), udp_packet());
}

#[test]
fn fragment_fields_read_in_bytes_and_classify_the_fragment() {
    let mut bytes = udp_packet();
    // MF set, offset 185 units = 1480 bytes, ident 0x1234.
    bytes[4..8].copy_from_slice(&[0x12, 0x34, 0x20, 185]);
    Ipv4Packet::new_unchecked(&mut bytes[..]).fill_checksum();
    let repr = parse(&bytes).unwrap();
    assert!(repr.more_frags && !repr.dont_frag);
    assert_eq!((repr.ident, repr.frag_offset), (0x1234, 1480));
    assert!(repr.is_fragment() && !repr.is_first_fragment());
    assert_eq!(emit(&repr, &bytes[20..]), bytes);
    let first = Ipv4Repr {
        frag_offset: 0,
        ..repr
    };
    assert!(first.is_fragment() && first.is_first_fragment());
    let whole = parse(&udp_packet()).unwrap();
    assert!(!whole.is_fragment() && whole.is_first_fragment());
    // The largest offset the 13-bit field holds.
    bytes[6..8].copy_from_slice(&[0x1f, 0xff]);
    assert_eq!(Ipv4Packet::new_unchecked(&bytes[..]).frag_offset(), 65528);
}

#[test]
fn display_reads_like_tcpdump() {
    let mut repr = Ipv4Repr::new(
        Ipv4Address::new(192, 0, 2, 1),
        Ipv4Address::new(192, 0, 2, 2),
        IpProtocol::Tcp,
        40,
        64,
    );
    assert_eq!(
        repr.to_string(),
        "IPv4 192.0.2.1 > 192.0.2.2 proto=TCP ttl=64 len=60"
    );
    repr.ident = 7;
    repr.dont_frag = true;
    assert!(repr.to_string().ends_with("len=60 id=7 DF"));
    repr.dont_frag = false;
    repr.more_frags = true;
    repr.frag_offset = 1480;
    assert!(repr.to_string().ends_with("len=60 id=7 MF off=1480"));
    let bytes = emit(&repr, &[0; 40]);
    assert_eq!(
        Ipv4Packet::new_unchecked(&bytes[..]).to_string(),
        repr.to_string()
    );
    assert_eq!(
        Ipv4Packet::new_unchecked(&bytes[..10]).to_string(),
        "IPv4 (truncated)"
    );
}

#[test]
fn cidr_arithmetic_matches_the_usual_subnet_tables() {
    let cidr = Ipv4Cidr::new(Ipv4Address::new(192, 0, 2, 77), 24).unwrap();
    assert_eq!(cidr.netmask(), Ipv4Address::new(255, 255, 255, 0));
    assert_eq!(cidr.network().to_string(), "192.0.2.0/24");
    assert_eq!(cidr.broadcast(), Some(Ipv4Address::new(192, 0, 2, 255)));
    assert!(cidr.contains_addr(&Ipv4Address::new(192, 0, 2, 1)));
    assert!(!cidr.contains_addr(&Ipv4Address::new(192, 0, 3, 1)));
    let sub = Ipv4Cidr::new(Ipv4Address::new(192, 0, 2, 128), 25).unwrap();
    assert!(cidr.contains_subnet(&sub) && !sub.contains_subnet(&cidr));

    let all = Ipv4Cidr::new(Ipv4Address::new(10, 1, 2, 3), 0).unwrap();
    assert_eq!(all.netmask(), Ipv4Address::UNSPECIFIED);
    assert!(all.contains_addr(&Ipv4Address::BROADCAST));
    let host = Ipv4Cidr::new(Ipv4Address::new(10, 1, 2, 3), 32).unwrap();
    assert_eq!(host.netmask(), Ipv4Address::BROADCAST);
    assert_eq!(host.broadcast(), None);
    assert!(!host.contains_addr(&Ipv4Address::new(10, 1, 2, 4)));
    assert_eq!(Ipv4Cidr::new(Ipv4Address::LOCALHOST, 33), None);
}

#[test]
fn cidr_text_round_trips_and_rejects_junk() {
    let cidr: Ipv4Cidr = "192.0.2.1/24".parse().unwrap();
    assert_eq!(cidr.address(), Ipv4Address::new(192, 0, 2, 1));
    assert_eq!(cidr.prefix_len(), 24);
    assert_eq!(cidr.to_string(), "192.0.2.1/24");
    for bad in [
        "192.0.2.1",
        "192.0.2.1/",
        "192.0.2.1/33",
        "192.0.2.1/+8",
        "192.0.2/8",
        "/8",
        "192.0.2.1/024",
        "192.0.2.1/8/8",
    ] {
        assert_eq!(bad.parse::<Ipv4Cidr>(), Err(Error::Malformed), "{bad}");
    }
}

#[test]
fn quoted_headers_accept_a_total_length_beyond_the_bytes_present() {
    let bytes = udp_packet();
    let (repr, data) = Ipv4Repr::parse_quoted(&bytes[..28]).unwrap();
    assert_eq!(repr.payload_len, 0x73 - 20);
    assert_eq!(data, &bytes[20..28]);
    assert_eq!(Ipv4Repr::parse_quoted(&bytes[..19]), Err(Error::Truncated));
}

fn xorshift(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

fn exercise(bytes: &[u8]) {
    let packet = Ipv4Packet::new_unchecked(bytes);
    let _ = format!("{packet}");
    if let Ok(packet) = Ipv4Packet::new_checked(bytes) {
        let _ = (packet.payload(), packet.options(), packet.verify_checksum());
        if let Ok(repr) = Ipv4Repr::parse(&packet, &ChecksumCapabilities::ignored()) {
            let _ = format!("{repr}");
            assert_eq!(repr.buffer_len(), packet.header_len());
        }
    }
    let _ = Ipv4Repr::parse_quoted(bytes);
    let _ = Ipv4OptionsIter::new(bytes).take(100).count();
    let _ = core::str::from_utf8(bytes).map(|s| s.parse::<Ipv4Cidr>());
}

#[test]
fn no_byte_string_makes_the_parser_panic() {
    let with_options = packet_with_options(&[7, 7, 4, 0, 0, 0, 0, 1, 68, 4, 5, 0], 9);
    for valid in [udp_packet(), with_options] {
        for len in 0..=valid.len() {
            exercise(&valid[..len]);
        }
    }
    let mut state = 0x1234_5678_9abc_def1u64;
    for round in 0..4000 {
        let len = (xorshift(&mut state) % 90) as usize;
        let mut bytes: Vec<u8> = (0..len).map(|_| xorshift(&mut state) as u8).collect();
        // Half the cases look like IPv4 so that the deeper checks run.
        if round % 2 == 0 && len > 0 {
            bytes[0] = 0x40 | (bytes[0] & 0x0f);
            if len >= 4 && round % 4 == 0 {
                bytes[2..4].copy_from_slice(&(len as u16).to_be_bytes());
            }
        }
        exercise(&bytes);
    }
}
