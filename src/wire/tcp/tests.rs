//! Tests of `tcp`, kept apart so the protocol file stays readable.

use super::*;
use crate::wire::{Checksum, Ipv6Address};
use std::string::ToString;
use std::vec::Vec;
use std::{format, vec};

pub(super) const SRC: IpAddress = IpAddress::V4(Ipv4Address::new(192, 0, 2, 1));
pub(super) const DST: IpAddress = IpAddress::V4(Ipv4Address::new(192, 0, 2, 2));

pub(super) fn caps() -> ChecksumCapabilities {
    ChecksumCapabilities::default()
}

pub(super) fn repr(flags: TcpFlags) -> TcpRepr<'static> {
    TcpRepr {
        src_port: 49152,
        dst_port: 80,
        flags,
        seq_number: SeqNumber(1000),
        ack_number: None,
        window_len: 65535,
        window_scale: None,
        max_seg_size: None,
        sack_permitted: false,
        sack_ranges: [None; 4],
        timestamp: None,
        urgent_pointer: 0,
        payload: &[],
    }
}

pub(super) fn emit(repr: &TcpRepr<'_>, src: IpAddress, dst: IpAddress) -> Vec<u8> {
    let mut buf = vec![0xa5; repr.buffer_len()];
    repr.emit(&mut TcpPacket::new_unchecked(&mut buf), &src, &dst, &caps());
    buf
}

pub(super) fn parse(bytes: &[u8], src: IpAddress, dst: IpAddress) -> Result<TcpRepr<'_>> {
    let packet = TcpPacket::new_checked(bytes)?;
    TcpRepr::parse(&packet, &src, &dst, &caps())
}

/// The checksum written the long way: pseudo-header, then the segment with a zeroed
/// checksum field, summed by crate::wire::checksum.
fn checksum_v4(segment: &[u8]) -> u16 {
    let mut zeroed = segment.to_vec();
    zeroed[16..18].fill(0);
    let (IpAddress::V4(s), IpAddress::V4(d)) = (SRC, DST) else {
        unreachable!()
    };
    let pseudo = checksum::pseudo_header_v4(&s, &d, 6, segment.len() as u16);
    checksum::finish(checksum::combine(&[pseudo, checksum::sum(&zeroed)]))
}

/// Linux's SYN from 192.0.2.1:49152 to 192.0.2.2:80 (MSS 1460, SACK-permitted,
/// TS 0x01020304/0, NOP, WS 7), with its checksum filled.
pub(super) fn linux_syn() -> Vec<u8> {
    let mut bytes = vec![
        0xc0, 0x00, 0x00, 0x50, 0x00, 0x00, 0x03, 0xe8, 0, 0, 0, 0, 0xa0, 0x02, 0xfa, 0xf0, 0, 0,
        0, 0, 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0x01, 0x02, 0x03, 0x04, 0, 0, 0, 0,
        0x01, 0x03, 0x03, 0x07,
    ];
    let c = checksum_v4(&bytes);
    bytes[16..18].copy_from_slice(&c.to_be_bytes());
    bytes
}

#[test]
fn a_hand_built_syn_has_the_checksum_computed_independently() {
    let bytes = emit(&repr(TcpFlags::SYN), SRC, DST);
    assert_eq!(
        bytes,
        [
            0xc0, 0x00, 0x00, 0x50, 0x00, 0x00, 0x03, 0xe8, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff,
            0x67, 0xa6, 0, 0
        ]
    );
    assert_eq!(checksum_v4(&bytes), 0x67a6);
    assert!(
        TcpPacket::new_checked(&bytes[..])
            .unwrap()
            .verify_checksum(&SRC, &DST)
    );
}

#[test]
fn every_combination_of_the_nine_flags_round_trips_exactly() {
    // CONFORMANCE CORE-22 and hostile input: SYN+FIN, null and Xmas segments must reach
    // the socket exactly as sent.
    for bits in 0..=field::FLAG_BITS {
        let flags = TcpFlags::from_bits_truncate(bits);
        let mut r = repr(flags);
        r.ack_number = flags.contains(TcpFlags::ACK).then_some(SeqNumber(77));
        let bytes = emit(&r, SRC, DST);
        let parsed = parse(&bytes, SRC, DST).unwrap();
        assert_eq!(parsed, r, "flags {bits:#x}");
        assert_eq!(emit(&parsed, SRC, DST), bytes);
    }
}

#[test]
fn syn_fin_null_and_xmas_segments_parse_with_their_exact_flags() {
    let xmas = TcpFlags::FIN | TcpFlags::PSH | TcpFlags::URG;
    for (flags, text, control) in [
        (TcpFlags::SYN | TcpFlags::FIN, "[SYN,FIN]", None),
        (TcpFlags::empty(), "[none]", Some(TcpControl::None)),
        (xmas, "[FIN,PSH,URG]", Some(TcpControl::Fin)),
        (
            TcpFlags::all(),
            "[SYN,FIN,RST,PSH,ACK,URG,ECE,CWR,NS]",
            None,
        ),
    ] {
        let mut bytes = emit(&repr(TcpFlags::empty()), SRC, DST);
        let mut packet = TcpPacket::new_unchecked(&mut bytes[..]);
        packet.set_flags(flags);
        packet.set_urgent_at(3);
        packet.fill_checksum(&SRC, &DST);
        let r = parse(&bytes, SRC, DST).unwrap();
        assert_eq!(r.flags, flags);
        assert_eq!(r.control(), control);
        assert!(r.to_string().contains(text), "{r}");
        assert_eq!(emit(&r, SRC, DST), bytes);
    }
}

#[test]
fn data_offset_below_five_words_is_malformed() {
    for offset in 0..5u8 {
        let mut bytes = emit(&repr(TcpFlags::SYN), SRC, DST);
        bytes.extend_from_slice(&[0; 40]);
        bytes[12] = offset << 4;
        assert_eq!(
            TcpPacket::new_checked(&bytes[..]).err(),
            Some(Error::Malformed)
        );
    }
}

#[test]
fn data_offset_past_the_buffer_or_a_short_buffer_is_truncated() {
    let mut bytes = emit(&repr(TcpFlags::SYN), SRC, DST);
    bytes[12] = 0x60;
    assert_eq!(
        TcpPacket::new_checked(&bytes[..]).err(),
        Some(Error::Truncated)
    );
    bytes[12] = 0xf0;
    bytes.extend_from_slice(&[1; 39]);
    assert_eq!(
        TcpPacket::new_checked(&bytes[..]).err(),
        Some(Error::Truncated)
    );
    bytes.push(0);
    assert!(TcpPacket::new_checked(&bytes[..]).is_ok());
    assert_eq!(
        TcpPacket::new_checked(&bytes[..19]).err(),
        Some(Error::Truncated)
    );
}

#[test]
fn a_corrupted_segment_fails_the_checksum_over_ipv4_and_ipv6() {
    // CONFORMANCE MUST-2, MUST-3.
    let src6 = IpAddress::V6("2001:db8::1".parse::<Ipv6Address>().unwrap());
    let dst6 = IpAddress::V6("2001:db8::2".parse::<Ipv6Address>().unwrap());
    let mut r = repr(TcpFlags::PSH | TcpFlags::ACK);
    r.ack_number = Some(SeqNumber(1));
    r.payload = b"GET / HTTP/1.1\r\n";
    for (src, dst) in [(SRC, DST), (src6, dst6)] {
        let mut bytes = emit(&r, src, dst);
        assert_eq!(parse(&bytes, src, dst), Ok(r));
        // The pseudo-header binds the addresses: the same bytes fail elsewhere.
        assert_eq!(parse(&bytes, dst, dst), Err(Error::Checksum));
        bytes[25] ^= 0x01;
        assert_eq!(parse(&bytes, src, dst), Err(Error::Checksum));
        let packet = TcpPacket::new_checked(&bytes[..]).unwrap();
        let ignored = ChecksumCapabilities::ignored();
        assert!(TcpRepr::parse(&packet, &src, &dst, &ignored).is_ok());
    }
    assert!(!TcpPacket::new_unchecked(&emit(&r, SRC, DST)[..]).verify_checksum(&SRC, &src6));
}

#[test]
fn checksum_offload_leaves_the_field_zero() {
    let mut caps = caps();
    caps.tcp = Checksum::Rx;
    let r = repr(TcpFlags::SYN);
    let mut buf = vec![0xff; r.buffer_len()];
    r.emit(&mut TcpPacket::new_unchecked(&mut buf), &SRC, &DST, &caps);
    assert_eq!(TcpPacket::new_checked(&buf[..]).unwrap().checksum(), 0);
}

#[test]
fn a_zero_port_is_malformed() {
    for offset in [0, 2] {
        let mut bytes = emit(&repr(TcpFlags::SYN), SRC, DST);
        bytes[offset..offset + 2].fill(0);
        TcpPacket::new_unchecked(&mut bytes[..]).fill_checksum(&SRC, &DST);
        assert_eq!(parse(&bytes, SRC, DST), Err(Error::Malformed));
    }
}

#[test]
fn ack_field_is_significant_only_with_the_ack_flag() {
    let mut bytes = emit(&repr(TcpFlags::RST), SRC, DST);
    bytes[8..12].copy_from_slice(&[0, 0, 1, 0]);
    TcpPacket::new_unchecked(&mut bytes[..]).fill_checksum(&SRC, &DST);
    let r = parse(&bytes, SRC, DST).unwrap();
    assert_eq!(r.ack_number, None);
    // Documented normalisation: re-emitted with a zero acknowledgment field.
    assert_eq!(&emit(&r, SRC, DST)[8..12], &[0, 0, 0, 0]);
    // An ack_number alone sets the ACK bit on the wire.
    let mut r = repr(TcpFlags::SYN);
    r.ack_number = Some(SeqNumber(1001));
    let bytes = emit(&r, SRC, DST);
    let parsed = parse(&bytes, SRC, DST).unwrap();
    assert_eq!(parsed.flags, TcpFlags::SYN | TcpFlags::ACK);
}

#[test]
fn packet_setters_write_the_fields_the_getters_read() {
    let mut buf = [0xffu8; 24];
    let mut p = TcpPacket::new_unchecked(&mut buf[..]);
    p.set_header_len(24);
    p.set_flags(TcpFlags::empty());
    p.set_src_port(1);
    p.set_dst_port(2);
    p.set_seq_number(SeqNumber(3));
    p.set_ack_number(SeqNumber(4));
    p.set_window_len(0x8000);
    p.set_urgent_at(6);
    p.set_cwr(true);
    p.set_ns(true);
    p.set_urg(true);
    p.set_ece(true);
    p.set_rst(true);
    p.set_rst(false);
    p.options_mut().copy_from_slice(&[1, 1, 1, 0]);
    let p = TcpPacket::new_checked(&buf[..]).unwrap();
    assert_eq!((p.src_port(), p.dst_port()), (1, 2));
    assert_eq!(
        (p.seq_number(), p.ack_number()),
        (SeqNumber(3), SeqNumber(4))
    );
    assert_eq!(
        (p.window_len(), p.urgent_at(), p.reserved()),
        (0x8000, 6, 0)
    );
    assert!(p.cwr() && p.ns() && p.urg() && p.ece() && !p.rst() && !p.psh());
    assert_eq!(p.options(), &[1, 1, 1, 0]);
    assert!(p.payload().is_empty());
}

#[test]
fn segment_length_counts_syn_and_fin() {
    let mut r = repr(TcpFlags::SYN | TcpFlags::FIN);
    r.payload = b"abc";
    assert_eq!(r.segment_len(), 5);
    let bytes = emit(&r, SRC, DST);
    assert_eq!(TcpPacket::new_checked(&bytes[..]).unwrap().segment_len(), 5);
    assert!(repr(TcpFlags::RST | TcpFlags::ACK).is_empty());
    assert!(!repr(TcpFlags::FIN).is_empty());
}

#[test]
fn display_reads_like_tcpdump() {
    let mut r = repr(TcpFlags::SYN);
    r.max_seg_size = Some(1460);
    r.window_scale = Some(7);
    r.sack_permitted = true;
    r.timestamp = Some(TcpTimestampRepr { tsval: 1, tsecr: 0 });
    assert_eq!(
        r.to_string(),
        "TCP 49152 > 80 [SYN] seq=1000 win=65535 mss=1460 ws=7 sackOK ts=1/0"
    );
    let mut r = repr(TcpFlags::SYN);
    (r.src_port, r.dst_port) = (80, 49152);
    r.seq_number = SeqNumber(2000);
    r.ack_number = Some(SeqNumber(1001));
    r.payload = b"hi";
    r.sack_ranges = [Some((5, 9)), Some((12, 20)), None, None];
    assert_eq!(
        r.to_string(),
        "TCP 80 > 49152 [SYN,ACK] seq=2000 ack=1001 win=65535 len=2 sack=[5-9,12-20]"
    );
    let v6 = IpAddress::V6("2001:db8::1".parse::<Ipv6Address>().unwrap());
    assert_eq!(
        format!("{}", repr(TcpFlags::FIN).display_with(SRC, v6)),
        "TCP 192.0.2.1:49152 > [2001:db8::1]:80 [FIN] seq=1000 win=65535"
    );
    let bytes = linux_syn();
    let shown = TcpPacket::new_unchecked(&bytes[..]).to_string();
    assert!(shown.starts_with("TCP 49152 > 80 [SYN] seq=1000 win=64240 mss=1460"));
    assert_eq!(
        TcpPacket::new_unchecked(&bytes[..12]).to_string(),
        "TCP malformed (truncated)"
    );
}

fn exercise(bytes: &[u8]) {
    let any = IpAddress::V4(Ipv4Address::UNSPECIFIED);
    for caps in [caps(), ChecksumCapabilities::ignored()] {
        if let Ok(packet) = TcpPacket::new_checked(bytes) {
            let _ = (packet.options(), packet.payload(), packet.segment_len());
            if let Ok(r) = TcpRepr::parse(&packet, &SRC, &DST, &caps) {
                let _ = format!("{r} {}", r.display_with(SRC, any));
                assert!(r.header_len() <= 60);
            }
        }
        let _ = TcpPacket::new_unchecked(bytes).to_string();
    }
}

#[test]
fn truncations_and_random_bytes_never_panic() {
    let mut r = repr(TcpFlags::ACK);
    r.timestamp = Some(TcpTimestampRepr { tsval: 1, tsecr: 2 });
    r.sack_ranges = [Some((1, 2)), Some((3, 4)), None, None];
    r.payload = b"payload";
    for whole in [linux_syn(), emit(&r, SRC, DST)] {
        for len in 0..=whole.len() {
            exercise(&whole[..len]);
        }
    }
    let mut x: u64 = 0x1234_5678_9abc_def1;
    let mut buf = [0u8; 80];
    for _ in 0..5000 {
        for b in buf.iter_mut() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *b = x as u8;
        }
        // Keep the data offset plausible half the time so options get parsed.
        if x & 1 == 0 {
            buf[12] = (buf[12] & 0x0f) | (((x >> 8) % 16) as u8) << 4;
            buf[20..60].iter_mut().for_each(|b| *b %= 12);
        }
        let len = (x >> 16) as usize % (buf.len() + 1);
        exercise(&buf[..len]);
    }
}
