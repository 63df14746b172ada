//! Tests of `icmpv6`, kept apart so the protocol file stays readable.

use super::*;
use crate::wire::Checksum;
use std::format;
use std::string::ToString;
use std::vec;
use std::vec::Vec;

const SRC: Ipv6Address = Ipv6Address::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1);
const DST: Ipv6Address = Ipv6Address::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 2);

/// Echo request id 1 seq 2 with 8 bytes of data; checksum computed independently
/// (Python, RFC 1071 over the RFC 8200 pseudo-header).
const ECHO_REQUEST: [u8; 16] = [
    128, 0, 0x92, 0xa7, 0, 1, 0, 2, b'a', b'b', b'c', b'd', b'e', b'f', b'g', b'h',
];

fn quoted_header() -> Ipv6Repr {
    Ipv6Repr {
        src_addr: DST,
        dst_addr: SRC,
        next_header: IpProtocol::Udp,
        payload_len: 100, // more than is quoted below: the quote was cut
        hop_limit: 64,
        traffic_class: 0,
        flow_label: 0x12345,
    }
}

const QUOTED_UDP: [u8; 8] = [0x30, 0x39, 0, 53, 0, 100, 0xab, 0xcd];

fn round_trip(repr: Icmpv6Repr<'_>) -> Vec<u8> {
    let caps = ChecksumCapabilities::default();
    let mut out = vec![0xa5u8; repr.buffer_len()];
    let mut packet = Icmpv6Packet::new_unchecked(&mut out[..]);
    repr.emit(&SRC, &DST, &mut packet, &caps);
    let packet = Icmpv6Packet::new_checked(&out[..]).unwrap();
    assert!(packet.verify_checksum(&SRC, &DST));
    assert_eq!(Icmpv6Repr::parse(&SRC, &DST, &packet, &caps), Ok(repr));
    out
}

fn error_reprs<'a>() -> [Icmpv6Repr<'a>; 5] {
    let header = quoted_header();
    let data = &QUOTED_UDP[..];
    [
        Icmpv6Repr::DstUnreachable {
            reason: Icmpv6DstUnreachable::PortUnreachable,
            header,
            data,
        },
        Icmpv6Repr::PktTooBig {
            mtu: 1280,
            header,
            data,
        },
        Icmpv6Repr::TimeExceeded {
            reason: Icmpv6TimeExceeded::FragReassemExceeded,
            header,
            data,
        },
        Icmpv6Repr::ParamProblem {
            reason: Icmpv6ParamProblem::UnrecognizedNxtHdr,
            pointer: 6,
            header,
            data,
        },
        Icmpv6Repr::UnknownError {
            msg_type: 100,
            code: 7,
            body_word: 0xdead_beef,
            header,
            data,
        },
    ]
}

#[test]
fn a_known_echo_request_verifies_and_parses() {
    let packet = Icmpv6Packet::new_checked(&ECHO_REQUEST[..]).unwrap();
    assert!(packet.verify_checksum(&SRC, &DST));
    assert!(!packet.verify_checksum(&DST, &Ipv6Address::LOCALHOST));
    let repr = Icmpv6Repr::parse(&SRC, &DST, &packet, &ChecksumCapabilities::default()).unwrap();
    assert_eq!(
        repr,
        Icmpv6Repr::EchoRequest {
            ident: 1,
            seq_no: 2,
            data: b"abcdefgh"
        }
    );
    assert_eq!(round_trip(repr), ECHO_REQUEST);
    assert_eq!(repr.to_string(), "ICMPv6 echo request id=1 seq=2 len=8");
}

#[test]
fn echo_reply_round_trips() {
    let repr = Icmpv6Repr::EchoReply {
        ident: 0xbeef,
        seq_no: 0xffff,
        data: &[],
    };
    let out = round_trip(repr);
    assert_eq!(out.len(), 8);
    assert_eq!(
        repr.to_string(),
        "ICMPv6 echo reply id=48879 seq=65535 len=0"
    );
}

#[test]
fn every_error_round_trips_with_the_quote_as_present() {
    for repr in error_reprs() {
        let out = round_trip(repr);
        assert_eq!(out.len(), 8 + 40 + QUOTED_UDP.len());
        assert!(Icmpv6Message::from(out[0]).is_error());
    }
}

#[test]
fn unused_word_and_packet_too_big_code_are_normalised_to_zero() {
    let mut out = round_trip(error_reprs()[1]);
    out[1] = 9; // PTB code: "ignored by the receiver"
    let mut packet = Icmpv6Packet::new_unchecked(&mut out[..]);
    packet.fill_checksum(&SRC, &DST);
    let packet = Icmpv6Packet::new_checked(&out[..]).unwrap();
    let caps = ChecksumCapabilities::default();
    assert_eq!(
        Icmpv6Repr::parse(&SRC, &DST, &packet, &caps),
        Ok(error_reprs()[1])
    );
}

#[test]
fn a_bad_checksum_is_rejected_unless_offloaded() {
    let mut bytes = ECHO_REQUEST;
    bytes[9] ^= 1;
    let packet = Icmpv6Packet::new_checked(&bytes[..]).unwrap();
    let mut caps = ChecksumCapabilities::default();
    assert_eq!(
        Icmpv6Repr::parse(&SRC, &DST, &packet, &caps),
        Err(Error::Checksum)
    );
    caps.icmpv6 = Checksum::Tx;
    assert!(Icmpv6Repr::parse(&SRC, &DST, &packet, &caps).is_ok());
}

#[test]
fn emit_leaves_the_checksum_zero_when_the_device_fills_it() {
    let repr = Icmpv6Repr::EchoRequest {
        ident: 1,
        seq_no: 2,
        data: b"abcdefgh",
    };
    let caps = ChecksumCapabilities {
        icmpv6: Checksum::Rx,
        ..Default::default()
    };
    let mut out = vec![0xffu8; repr.buffer_len()];
    repr.emit(
        &SRC,
        &DST,
        &mut Icmpv6Packet::new_unchecked(&mut out[..]),
        &caps,
    );
    assert_eq!(&out[2..4], &[0, 0]);
}

#[test]
fn a_quote_shorter_than_an_ipv6_header_is_truncated_and_a_non_ipv6_one_malformed() {
    let caps = ChecksumCapabilities::ignored();
    let full = round_trip(error_reprs()[0]);
    for len in 8..48 {
        let packet = Icmpv6Packet::new_checked(&full[..len]).unwrap();
        assert_eq!(
            Icmpv6Repr::parse(&SRC, &DST, &packet, &caps),
            Err(Error::Truncated)
        );
    }
    let mut bytes = full.clone();
    bytes[8] = 0x45; // an IPv4 header where IPv6 belongs
    let packet = Icmpv6Packet::new_checked(&bytes[..]).unwrap();
    assert_eq!(
        Icmpv6Repr::parse(&SRC, &DST, &packet, &caps),
        Err(Error::Malformed)
    );
    // Quoted bytes are what is present, not what the quoted Payload Length says.
    let packet = Icmpv6Packet::new_checked(&full[..50]).unwrap();
    match Icmpv6Repr::parse(&SRC, &DST, &packet, &caps) {
        Ok(Icmpv6Repr::DstUnreachable { header, data, .. }) => {
            assert_eq!((header.payload_len, data.len()), (100, 2));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn messages_shorter_than_their_fixed_part_are_truncated() {
    for (msg_type, min) in [
        (128u8, 8),
        (1, 8),
        (100, 8),
        (133, 8),
        (134, 16),
        (135, 24),
        (136, 24),
        (137, 40),
        (200, 4),
    ] {
        let bytes = vec![msg_type; min];
        assert!(Icmpv6Packet::new_checked(&bytes[..]).is_ok());
        assert_eq!(
            Icmpv6Packet::new_checked(&bytes[..min - 1]),
            Err(Error::Truncated),
            "type {msg_type}"
        );
    }
}

#[test]
fn echo_with_a_nonzero_code_is_malformed_and_unknown_informational_unsupported() {
    let caps = ChecksumCapabilities::ignored();
    let mut bytes = ECHO_REQUEST;
    bytes[1] = 1;
    let packet = Icmpv6Packet::new_checked(&bytes[..]).unwrap();
    assert_eq!(
        Icmpv6Repr::parse(&SRC, &DST, &packet, &caps),
        Err(Error::Malformed)
    );
    for msg_type in [130u8, 131, 143, 200, 255] {
        let bytes = [
            msg_type, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ];
        let packet = Icmpv6Packet::new_checked(&bytes[..]).unwrap();
        assert_eq!(
            Icmpv6Repr::parse(&SRC, &DST, &packet, &caps),
            Err(Error::Unsupported)
        );
    }
}

#[test]
fn message_types_know_errors_from_informational() {
    assert!(Icmpv6Message::DstUnreachable.is_error());
    assert!(Icmpv6Message::Unknown(127).is_error());
    assert!(!Icmpv6Message::EchoRequest.is_error());
    assert!(!Icmpv6Message::Unknown(200).is_error());
    assert!(Icmpv6Message::Redirect.is_ndisc());
    assert!(!Icmpv6Message::MldReport.is_ndisc());
    for n in 0..=255u8 {
        assert_eq!(u8::from(Icmpv6Message::from(n)), n);
    }
}

#[test]
fn errors_display_their_reason_and_the_quoted_header() {
    let [unreach, ptb, _, param, unknown] = error_reprs();
    let quoted = "IPv6 2001:db8::2 > 2001:db8::1 next=UDP hlim=64 len=100 flow=0x12345";
    assert_eq!(
        unreach.to_string(),
        format!("ICMPv6 destination unreachable (port unreachable) about [{quoted}]")
    );
    assert_eq!(
        ptb.to_string(),
        format!("ICMPv6 packet too big mtu=1280 about [{quoted}]")
    );
    assert_eq!(
        param.to_string(),
        format!("ICMPv6 parameter problem (unrecognized next header) pointer=6 about [{quoted}]")
    );
    assert_eq!(
        unknown.to_string(),
        format!("ICMPv6 error type 100 code 7 about [{quoted}]")
    );
    assert_eq!(
        Icmpv6Packet::new_unchecked(&[1u8, 0][..]).to_string(),
        "ICMPv6 (truncated)"
    );
}

#[test]
fn every_truncation_and_random_bytes_neither_panic_nor_over_read() {
    let caps = ChecksumCapabilities::default();
    let mut samples: Vec<Vec<u8>> = error_reprs().into_iter().map(round_trip).collect();
    samples.push(ECHO_REQUEST.to_vec());
    for sample in &samples {
        for len in 0..=sample.len() {
            if let Ok(packet) = Icmpv6Packet::new_checked(&sample[..len]) {
                let _ = Icmpv6Repr::parse(&SRC, &DST, &packet, &caps);
            }
            let _ = format!("{}", Icmpv6Packet::new_unchecked(&sample[..len]));
        }
    }
    let mut state = 0xdead_beef_cafe_f00du64;
    let mut buf = [0u8; 80];
    for round in 0..5000 {
        for b in buf.iter_mut() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            *b = state as u8;
        }
        // Bias toward types skiff parses and toward a version-6 quote.
        buf[0] = [1, 2, 3, 4, 100, 128, 129, 133, 134, 135, 136, 137][round % 12];
        buf[8] = 0x60;
        if round % 3 == 0 {
            buf[1] = 0;
        }
        let len = (state >> 24) as usize % (buf.len() + 1);
        if let Ok(packet) = Icmpv6Packet::new_checked(&buf[..len]) {
            let _ = Icmpv6Repr::parse(&SRC, &DST, &packet, &ChecksumCapabilities::ignored());
        }
        let _ = format!("{}", Icmpv6Packet::new_unchecked(&buf[..len]));
    }
}
