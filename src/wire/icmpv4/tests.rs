//! Tests of `icmpv4`, kept apart so the protocol file stays readable.

use super::*;
use crate::wire::{IpProtocol, Ipv4Address};
use std::format;
use std::string::ToString;
use std::vec::Vec;

fn caps() -> ChecksumCapabilities {
    ChecksumCapabilities::default()
}

fn parse(bytes: &[u8]) -> Result<Icmpv4Repr<'_>> {
    Icmpv4Repr::parse(&Icmpv4Packet::new_unchecked(bytes), &caps())
}

fn emit(repr: &Icmpv4Repr<'_>) -> Vec<u8> {
    let mut out = std::vec![0xa5u8; repr.buffer_len()];
    repr.emit(&mut Icmpv4Packet::new_unchecked(&mut out[..]), &caps());
    out
}

/// What we would have sent: a UDP datagram 192.0.2.1:5353 > 198.51.100.9:53.
fn original_udp() -> Vec<u8> {
    let mut header = Ipv4Repr::new(
        Ipv4Address::new(192, 0, 2, 1),
        Ipv4Address::new(198, 51, 100, 9),
        IpProtocol::Udp,
        40,
        64,
    );
    header.ident = 0x4242;
    header.dont_frag = true;
    let mut bytes = std::vec![0u8; 60];
    header.emit(&mut Ipv4Packet::new_unchecked(&mut bytes[..]), &caps());
    bytes[20..28].copy_from_slice(&[0x14, 0xe9, 0x00, 0x35, 0x00, 0x28, 0x12, 0x34]);
    bytes
}

/// An ICMP error of `msg_type`/`code` with second word `word`, quoting `quote`.
fn error_message(msg_type: u8, code: u8, word: [u8; 4], quote: &[u8]) -> Vec<u8> {
    let mut bytes = std::vec![msg_type, code, 0, 0];
    bytes.extend_from_slice(&word);
    bytes.extend_from_slice(quote);
    Icmpv4Packet::new_unchecked(&mut bytes[..]).fill_checksum();
    bytes
}

#[test]
fn an_empty_echo_request_has_the_checksum_ping_computes() {
    // type 8, id 1, seq 1: sum 0x0802, checksum 0xf7fd.
    let bytes = [8, 0, 0xf7, 0xfd, 0, 1, 0, 1];
    let packet = Icmpv4Packet::new_checked(&bytes[..]).unwrap();
    assert!(packet.verify_checksum());
    let repr = parse(&bytes).unwrap();
    assert_eq!(
        repr,
        Icmpv4Repr::EchoRequest {
            ident: 1,
            seq_no: 1,
            data: &[]
        }
    );
    assert_eq!(emit(&repr), bytes);
}

#[test]
fn echo_request_and_reply_round_trip_with_ping_sized_data() {
    let data: Vec<u8> = (0..56).map(|i| i as u8).collect();
    for repr in [
        Icmpv4Repr::EchoRequest {
            ident: 0x1c2d,
            seq_no: 7,
            data: &data,
        },
        Icmpv4Repr::EchoReply {
            ident: 0x1c2d,
            seq_no: 7,
            data: &data,
        },
    ] {
        let bytes = emit(&repr);
        assert_eq!(bytes.len(), 64);
        let packet = Icmpv4Packet::new_checked(&bytes[..]).unwrap();
        assert_eq!((packet.echo_ident(), packet.echo_seq_no()), (0x1c2d, 7));
        assert_eq!(parse(&bytes).unwrap(), repr);
        assert_eq!(emit(&parse(&bytes).unwrap()), bytes);
    }
}

#[test]
fn a_bad_checksum_is_rejected_unless_verification_is_offloaded() {
    let mut bytes = [8, 0, 0xf7, 0xfd, 0, 1, 0, 1, 0xab];
    assert_eq!(parse(&bytes), Err(Error::Checksum));
    bytes[8] = 0;
    assert!(parse(&bytes).is_ok());
    bytes[3] ^= 0x10;
    assert_eq!(parse(&bytes), Err(Error::Checksum));
    let packet = Icmpv4Packet::new_unchecked(&bytes[..]);
    assert!(Icmpv4Repr::parse(&packet, &ChecksumCapabilities::ignored()).is_ok());
}

#[test]
fn port_unreachable_quoting_our_datagram_round_trips() {
    let original = original_udp();
    let bytes = error_message(3, 3, [0; 4], &original[..28]);
    let repr = parse(&bytes).unwrap();
    let Icmpv4Repr::DstUnreachable {
        reason,
        header,
        data,
        ..
    } = repr
    else {
        panic!("{repr:?}");
    };
    assert_eq!(reason, Icmpv4DstUnreachable::PortUnreachable);
    assert_eq!(header.dst_addr, Ipv4Address::new(198, 51, 100, 9));
    assert_eq!(header.next_header, IpProtocol::Udp);
    assert_eq!(data, &original[20..28]);
    assert_eq!(emit(&repr), bytes);
}

#[test]
fn frag_needed_carries_the_next_hop_mtu_and_round_trips() {
    let original = original_udp();
    let bytes = error_message(3, 4, [0, 0, 0x05, 0x78], &original);
    let repr = parse(&bytes).unwrap();
    assert!(matches!(
        repr,
        Icmpv4Repr::DstUnreachable {
            reason: Icmpv4DstUnreachable::FragRequired,
            next_hop_mtu: 1400,
            ..
        }
    ));
    assert_eq!(emit(&repr), bytes);
    assert!(
        repr.to_string()
            .starts_with("ICMPv4 dst unreachable (frag needed, mtu=1400) for IPv4")
    );
}

#[test]
fn time_exceeded_and_parameter_problem_round_trip() {
    let original = original_udp();
    let ttl = error_message(11, 0, [0; 4], &original[..28]);
    let repr = parse(&ttl).unwrap();
    assert!(matches!(
        repr,
        Icmpv4Repr::TimeExceeded {
            reason: Icmpv4TimeExceeded::TtlExpired,
            ..
        }
    ));
    assert_eq!(emit(&repr), ttl);

    let problem = error_message(12, 0, [8, 0, 0, 0], &original[..28]);
    let repr = parse(&problem).unwrap();
    assert!(matches!(
        repr,
        Icmpv4Repr::ParamProblem {
            reason: Icmpv4ParamProblem::AtPointer,
            pointer: 8,
            ..
        }
    ));
    assert_eq!(emit(&repr), problem);
}

#[test]
fn a_quoted_header_with_options_round_trips() {
    let mut header = Ipv4Repr::new(
        Ipv4Address::new(192, 0, 2, 1),
        Ipv4Address::new(192, 0, 2, 2),
        IpProtocol::Tcp,
        20,
        1,
    );
    header.options = crate::wire::ipv4::Ipv4Options::new(&[148, 4, 0, 0]).unwrap();
    let repr = Icmpv4Repr::TimeExceeded {
        reason: Icmpv4TimeExceeded::FragExpired,
        header,
        data: &[1, 2, 3, 4, 5, 6, 7, 8],
    };
    let bytes = emit(&repr);
    assert_eq!(bytes.len(), 8 + 24 + 8);
    assert_eq!(parse(&bytes).unwrap(), repr);
}

#[test]
fn a_quoted_total_length_larger_than_the_quote_only_yields_present_bytes() {
    // CONFORMANCE C5.2 [!]: the quoted header claims 65535 bytes; 12 follow it.
    let mut original = original_udp();
    original[2..4].copy_from_slice(&0xffffu16.to_be_bytes());
    let bytes = error_message(3, 1, [0; 4], &original[..32]);
    match parse(&bytes).unwrap() {
        Icmpv4Repr::DstUnreachable { header, data, .. } => {
            assert_eq!(header.payload_len, 65535 - 20);
            assert_eq!(data, &original[20..32]);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn quoted_bytes_beyond_the_quoted_datagram_are_not_quoted_payload() {
    // The original was 20 + 8 bytes; RFC 4884 padding and extensions follow.
    let mut original = original_udp();
    original[2..4].copy_from_slice(&28u16.to_be_bytes());
    let bytes = error_message(11, 0, [0; 4], &original[..60]);
    match parse(&bytes).unwrap() {
        Icmpv4Repr::TimeExceeded { data, .. } => assert_eq!(data, &original[20..28]),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_quote_too_short_for_a_header_or_eight_payload_bytes_is_rejected() {
    let original = original_udp();
    for cut in [0, 1, 19] {
        let bytes = error_message(3, 3, [0; 4], &original[..cut]);
        assert_eq!(parse(&bytes), Err(Error::Truncated), "cut {cut}");
    }
    let bytes = error_message(3, 3, [0; 4], &original[..27]);
    assert_eq!(parse(&bytes), Err(Error::Truncated));
    // A quoted IHL pointing past the quote.
    let mut lying = original.clone();
    lying[0] = 0x4f;
    let bytes = error_message(3, 3, [0; 4], &lying[..40]);
    assert_eq!(parse(&bytes), Err(Error::Truncated));
}

#[test]
fn a_quote_that_is_not_ipv4_is_malformed() {
    let mut original = original_udp();
    original[0] = 0x65;
    let bytes = error_message(3, 3, [0; 4], &original[..28]);
    assert_eq!(parse(&bytes), Err(Error::Malformed));
    let mut original = original_udp();
    original[0] = 0x44;
    let bytes = error_message(3, 3, [0; 4], &original[..28]);
    assert_eq!(parse(&bytes), Err(Error::Malformed));
}

#[test]
fn unknown_and_unhandled_types_are_unsupported() {
    for msg_type in [4u8, 5, 9, 10, 13, 14, 15, 17, 42, 255] {
        let bytes = error_message(msg_type, 0, [0; 4], &original_udp()[..28]);
        assert_eq!(parse(&bytes), Err(Error::Unsupported), "type {msg_type}");
    }
}

#[test]
fn an_echo_with_a_nonzero_code_is_malformed() {
    let bytes = error_message(8, 1, [0, 1, 0, 1], &[]);
    assert_eq!(parse(&bytes), Err(Error::Malformed));
}

#[test]
fn fewer_than_eight_bytes_is_truncated() {
    for len in 0..8 {
        assert_eq!(
            Icmpv4Packet::new_checked(&[8u8; 8][..len]),
            Err(Error::Truncated)
        );
    }
}

#[test]
fn type_and_code_numbers_round_trip_including_unknown_ones() {
    for n in 0..=255u8 {
        assert_eq!(u8::from(Icmpv4Message::from(n)), n);
        assert_eq!(u8::from(Icmpv4DstUnreachable::from(n)), n);
    }
    assert_eq!(
        Icmpv4DstUnreachable::from(15),
        Icmpv4DstUnreachable::PrecedCutoff
    );
    assert_eq!(Icmpv4ParamProblem::from(2), Icmpv4ParamProblem::BadLength);
    assert_eq!(Icmpv4TimeExceeded::from(2), Icmpv4TimeExceeded::Unknown(2));
}

#[test]
fn display_reads_like_tcpdump() {
    let data = [0u8; 56];
    let echo = Icmpv4Repr::EchoRequest {
        ident: 1,
        seq_no: 2,
        data: &data,
    };
    assert_eq!(echo.to_string(), "ICMPv4 echo request id=1 seq=2 len=56");
    let bytes = error_message(3, 3, [0; 4], &original_udp()[..28]);
    assert_eq!(
        Icmpv4Packet::new_unchecked(&bytes[..]).to_string(),
        "ICMPv4 dst unreachable (port unreachable) for IPv4 192.0.2.1 > 198.51.100.9 \
         proto=UDP ttl=64 len=60 id=16962 DF"
    );
    let redirect = error_message(5, 1, [192, 0, 2, 254], &[]);
    assert_eq!(
        Icmpv4Packet::new_unchecked(&redirect[..]).to_string(),
        "ICMPv4 redirect code=1 len=0"
    );
    assert_eq!(
        Icmpv4Packet::new_unchecked(&[8u8, 0][..]).to_string(),
        "ICMPv4 (truncated)"
    );
}

fn xorshift(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

fn exercise(bytes: &[u8]) {
    let _ = format!("{}", Icmpv4Packet::new_unchecked(bytes));
    if let Ok(packet) = Icmpv4Packet::new_checked(bytes) {
        let _ = (
            packet.data(),
            packet.rest_of_header(),
            packet.verify_checksum(),
        );
        if let Ok(repr) = Icmpv4Repr::parse(&packet, &ChecksumCapabilities::ignored()) {
            let _ = format!("{repr}");
            assert!(repr.buffer_len() <= bytes.len());
            let _ = emit(&repr);
        }
    }
}

#[test]
fn no_byte_string_makes_the_parser_panic() {
    let original = original_udp();
    let valid = [
        emit(&Icmpv4Repr::EchoReply {
            ident: 9,
            seq_no: 9,
            data: &[7; 20],
        }),
        error_message(3, 4, [0, 0, 5, 0], &original),
        error_message(12, 0, [1, 0, 0, 0], &original[..28]),
    ];
    for bytes in &valid {
        for len in 0..=bytes.len() {
            exercise(&bytes[..len]);
        }
    }
    let mut state = 0x0bad_5eed_1234_4321u64;
    for round in 0..4000 {
        let len = (xorshift(&mut state) % 80) as usize;
        let mut bytes: Vec<u8> = (0..len).map(|_| xorshift(&mut state) as u8).collect();
        // Most cases are errors quoting something IPv4-like, to reach the quote parser.
        if len > 8 && round % 4 != 0 {
            bytes[0] = [3u8, 11, 12][round % 3];
            bytes[8] = 0x40 | (bytes[8] & 0x0f);
        }
        exercise(&bytes);
    }
}
