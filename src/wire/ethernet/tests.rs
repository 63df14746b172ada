//! Tests of `ethernet`, kept apart so the protocol file stays readable.

use super::*;
use std::format;
use std::string::ToString;
use std::vec::Vec;

const SRC: EthernetAddress = EthernetAddress([0x02, 0, 0, 0, 0, 0x01]);

/// An ARP request header as Linux sends it: broadcast, from 02:00:00:00:00:01.
const ARP_BROADCAST_HEADER: [u8; 14] = [
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06,
];

/// A tagged IPv6 frame header: VLAN 100, priority 5, DEI set.
const TAGGED_HEADER: [u8; 18] = [
    0x33, 0x33, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x81, 0x00, 0xb0, 0x64,
    0x86, 0xdd,
];

fn xorshift(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

fn round_trip(bytes: &[u8]) -> Vec<u8> {
    let frame = EthernetFrame::new_checked(bytes).unwrap();
    let repr = EthernetRepr::parse(&frame).unwrap();
    assert_eq!(repr.buffer_len(), frame.header_len());
    let mut out = std::vec![0xa5u8; bytes.len()];
    let mut out_frame = EthernetFrame::new_unchecked(&mut out[..]);
    repr.emit(&mut out_frame);
    out_frame.payload_mut().copy_from_slice(frame.payload());
    out
}

#[test]
fn untagged_frame_parses_and_round_trips_exactly() {
    let mut bytes = ARP_BROADCAST_HEADER.to_vec();
    bytes.extend_from_slice(&[0x11; 46]);
    let frame = EthernetFrame::new_checked(&bytes[..]).unwrap();
    assert_eq!(frame.dst_addr(), EthernetAddress::BROADCAST);
    assert_eq!(frame.src_addr(), SRC);
    assert_eq!(frame.ethertype(), EthernetProtocol::Arp);
    assert_eq!(frame.tpid(), 0x0806);
    assert_eq!(frame.vlan_tag(), None);
    assert_eq!(frame.header_len(), ETHERNET_HEADER_LEN);
    assert_eq!(frame.payload(), &[0x11; 46][..]);
    let repr = EthernetRepr::parse(&frame).unwrap();
    assert_eq!(
        repr,
        EthernetRepr {
            src_addr: SRC,
            dst_addr: EthernetAddress::BROADCAST,
            ethertype: EthernetProtocol::Arp,
            vlan: None,
        }
    );
    assert_eq!(round_trip(&bytes), bytes);
}

#[test]
fn vlan_tagged_frame_exposes_the_tag_and_the_inner_ethertype_and_round_trips() {
    let mut bytes = TAGGED_HEADER.to_vec();
    bytes.extend_from_slice(&[0x60, 0, 0, 0]);
    let frame = EthernetFrame::new_checked(&bytes[..]).unwrap();
    assert!(frame.is_tagged());
    assert_eq!(frame.tpid(), 0x8100);
    assert_eq!(frame.ethertype(), EthernetProtocol::Ipv6);
    assert_eq!(frame.header_len(), ETHERNET_VLAN_HEADER_LEN);
    assert_eq!(
        frame.vlan_tag(),
        Some(EthernetVlanTag {
            pcp: 5,
            dei: true,
            vid: 100
        })
    );
    assert_eq!(frame.payload(), &[0x60, 0, 0, 0][..]);
    let repr = EthernetRepr::parse(&frame).unwrap();
    assert_eq!(repr.buffer_len(), 18);
    assert_eq!(round_trip(&bytes), bytes);
    assert_eq!(
        frame.to_string(),
        "EthernetII 02:00:00:00:00:01 > 33:33:00:00:00:01 type=IPv6 vlan=100"
    );
}

#[test]
fn every_tag_control_value_survives_the_split_into_fields() {
    for tci in 0..=u16::MAX {
        assert_eq!(EthernetVlanTag::from_tci(tci).tci(), tci);
    }
}

#[test]
fn frames_shorter_than_fourteen_bytes_are_truncated() {
    for len in 0..ETHERNET_HEADER_LEN {
        assert_eq!(
            EthernetFrame::new_checked(&ARP_BROADCAST_HEADER[..len]).unwrap_err(),
            Error::Truncated,
            "len {len}"
        );
    }
    let frame = EthernetFrame::new_checked(&ARP_BROADCAST_HEADER[..]).unwrap();
    assert!(frame.payload().is_empty());
}

#[test]
fn tagged_frames_shorter_than_eighteen_bytes_are_truncated() {
    for len in ETHERNET_HEADER_LEN..ETHERNET_VLAN_HEADER_LEN {
        assert_eq!(
            EthernetFrame::new_checked(&TAGGED_HEADER[..len]).unwrap_err(),
            Error::Truncated,
            "len {len}"
        );
    }
    assert!(EthernetFrame::new_checked(&TAGGED_HEADER[..]).is_ok());
}

#[test]
fn ethertypes_below_0x0600_are_8023_lengths_the_view_reads_and_the_repr_refuses() {
    // An 802.3 frame carrying 38 bytes of LLC (e.g. spanning tree), and the
    // boundary value 0x05ff; 0x0600 is the first real EtherType.
    for (value, is_length) in [(0x0026u16, true), (0x05ff, true), (0x0600, false)] {
        let mut bytes = ARP_BROADCAST_HEADER.to_vec();
        bytes[12..14].copy_from_slice(&value.to_be_bytes());
        bytes.extend_from_slice(&[0x42; 46]);
        let frame = EthernetFrame::new_checked(&bytes[..]).unwrap();
        assert_eq!(frame.raw_ethertype(), value);
        assert_eq!(frame.is_8023_length(), is_length);
        let parsed = EthernetRepr::parse(&frame);
        if is_length {
            assert_eq!(parsed, Err(Error::Unsupported));
            assert!(frame.to_string().starts_with("802.3 "));
        } else {
            assert_eq!(parsed.unwrap().ethertype, EthernetProtocol::Unknown(0x0600));
        }
    }
    // The same rule applies to the inner EtherType of a tagged frame.
    let mut bytes = TAGGED_HEADER.to_vec();
    bytes[16..18].copy_from_slice(&0x0040u16.to_be_bytes());
    let frame = EthernetFrame::new_checked(&bytes[..]).unwrap();
    assert!(frame.is_8023_length());
    assert_eq!(EthernetRepr::parse(&frame), Err(Error::Unsupported));
}

#[test]
fn stacked_vlan_tags_are_unsupported() {
    let mut bytes = TAGGED_HEADER.to_vec();
    bytes[16..18].copy_from_slice(&0x8100u16.to_be_bytes());
    bytes.extend_from_slice(&[0x00, 0x05, 0x08, 0x00]);
    let frame = EthernetFrame::new_checked(&bytes[..]).unwrap();
    assert_eq!(frame.ethertype(), EthernetProtocol::Vlan);
    assert_eq!(EthernetRepr::parse(&frame), Err(Error::Unsupported));
}

#[test]
fn group_source_addresses_are_malformed() {
    for src in [
        [0x01, 0x00, 0x5e, 0, 0, 1],
        [0xff; 6],
        [0x33, 0x33, 0, 0, 0, 1],
    ] {
        let mut bytes = ARP_BROADCAST_HEADER.to_vec();
        bytes[6..12].copy_from_slice(&src);
        let frame = EthernetFrame::new_checked(&bytes[..]).unwrap();
        assert_eq!(EthernetRepr::parse(&frame), Err(Error::Malformed));
    }
}

#[test]
fn ethernet_padding_stays_in_the_payload_for_ip_to_trim() {
    // A minimum-size frame carrying a 28-byte IPv4 packet (20-byte header, 8-byte
    // ICMP echo) followed by 18 zero pad bytes. Ethernet cannot tell padding from
    // payload: payload() is the whole remainder, and the IPv4 layer trims to its
    // total length (CONFORMANCE C1.4).
    let mut bytes = std::vec![0u8; ETHERNET_MIN_FRAME_LEN];
    bytes[..6].copy_from_slice(&[0x02, 0, 0, 0, 0, 0x02]);
    bytes[6..12].copy_from_slice(&SRC.0);
    bytes[12..14].copy_from_slice(&[0x08, 0x00]);
    bytes[14..16].copy_from_slice(&[0x45, 0x00]);
    bytes[16..18].copy_from_slice(&28u16.to_be_bytes());
    let frame = EthernetFrame::new_checked(&bytes[..]).unwrap();
    assert_eq!(frame.ethertype(), EthernetProtocol::Ipv4);
    assert_eq!(frame.payload().len(), 46);
    assert_eq!(frame.payload()[2..4], 28u16.to_be_bytes());
    assert_eq!(round_trip(&bytes), bytes);
}

#[test]
fn emit_writes_an_untagged_header_over_a_stale_tagged_buffer_and_pads_to_sixty() {
    let mut bytes = TAGGED_HEADER.to_vec();
    let repr = EthernetRepr {
        src_addr: SRC,
        dst_addr: EthernetAddress::BROADCAST,
        ethertype: EthernetProtocol::Arp,
        vlan: None,
    };
    repr.emit(&mut EthernetFrame::new_unchecked(&mut bytes[..]));
    assert_eq!(bytes[..14], ARP_BROADCAST_HEADER);
    assert_eq!(repr.padded_len(28), 60);
    assert_eq!(repr.padded_len(46), 60);
    assert_eq!(repr.padded_len(1500), 1514);
    assert_eq!(repr.padded_len(usize::MAX), usize::MAX);
}

#[test]
fn multicast_groups_map_to_their_mac_addresses() {
    let mdns = Ipv4Address::new(224, 0, 0, 251);
    assert_eq!(
        EthernetAddress::from_ipv4_multicast(mdns),
        Some(EthernetAddress([0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb]))
    );
    // Only the low 23 bits survive: 239.128.1.2 and 224.0.1.2 share a MAC.
    assert_eq!(
        EthernetAddress::from_ipv4_multicast(Ipv4Address::new(239, 128, 1, 2)),
        EthernetAddress::from_ipv4_multicast(Ipv4Address::new(224, 0, 1, 2))
    );
    let solicited: Ipv6Address = "ff02::1:ff00:2".parse().unwrap();
    assert_eq!(
        EthernetAddress::from_ipv6_multicast(solicited),
        Some(EthernetAddress([0x33, 0x33, 0xff, 0x00, 0x00, 0x02]))
    );
    assert_eq!(
        EthernetAddress::from_ipv4_multicast(Ipv4Address::new(192, 0, 2, 1)),
        None
    );
    assert_eq!(
        EthernetAddress::from_ipv6_multicast(Ipv6Address::LOCALHOST),
        None
    );
}

#[test]
fn address_predicates_follow_the_ig_and_ul_bits() {
    assert!(SRC.is_unicast() && SRC.is_local() && !SRC.is_multicast());
    let b = EthernetAddress::BROADCAST;
    assert!(b.is_broadcast() && b.is_multicast() && !b.is_unicast());
    let m = EthernetAddress([0x01, 0x00, 0x5e, 0, 0, 1]);
    assert!(m.is_multicast() && !m.is_broadcast() && !m.is_local());
    assert_eq!(
        EthernetAddress::from_bytes(&[1, 2, 3, 4, 5, 6]).unwrap().0[5],
        6
    );
    assert_eq!(EthernetAddress::from_bytes(&[1, 2, 3, 4, 5]), None);
    assert_eq!(SRC.as_bytes(), &[2, 0, 0, 0, 0, 1]);
}

#[test]
fn addresses_print_and_parse_in_colon_notation() {
    assert_eq!(SRC.to_string(), "02:00:00:00:00:01");
    assert_eq!(format!("{SRC:?}"), "EthernetAddress(02:00:00:00:00:01)");
    assert_eq!("02:00:00:00:00:01".parse::<EthernetAddress>(), Ok(SRC));
    assert_eq!("02-00-00-00-00-01".parse::<EthernetAddress>(), Ok(SRC));
    assert_eq!(
        "AA:bb:CC:dd:EE:ff".parse::<EthernetAddress>(),
        Ok(EthernetAddress([0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff]))
    );
    // Wrong length, trailing or mixed separators, non-hex digits, a sign, a
    // multi-byte character, no separators at all.
    let bad = "|02:00:00:00:00|02:00:00:00:00:01:|02:00-00:00:00:01|0g:00:00:00:00:01|\
               +2:00:00:00:00:01|02:00:00:00:00:é|020000000001xxxxx";
    for bad in bad.split('|') {
        assert_eq!(
            bad.parse::<EthernetAddress>(),
            Err(Error::Malformed),
            "{bad}"
        );
    }
}

#[test]
fn repr_prints_like_a_packet_trace() {
    let frame = EthernetFrame::new_checked(&ARP_BROADCAST_HEADER[..]).unwrap();
    assert_eq!(
        frame.to_string(),
        "EthernetII 02:00:00:00:00:01 > ff:ff:ff:ff:ff:ff type=ARP"
    );
    assert_eq!(
        EthernetFrame::new_unchecked(&[0u8; 3][..]).to_string(),
        "EthernetII (truncated)"
    );
}

#[test]
fn no_input_panics_the_parser() {
    let mut tagged = TAGGED_HEADER.to_vec();
    tagged.extend_from_slice(&[0; 10]);
    for valid in [&ARP_BROADCAST_HEADER[..], &tagged[..]] {
        for len in 0..=valid.len() {
            let bytes = &valid[..len];
            if let Ok(frame) = EthernetFrame::new_checked(bytes) {
                let _ = EthernetRepr::parse(&frame);
                let _ = frame.payload();
            }
            let _ = EthernetFrame::new_unchecked(bytes).to_string();
        }
    }
    let mut state = 0x1234_5678_9abc_def1u64;
    for _ in 0..5000 {
        let len = (xorshift(&mut state) % 40) as usize;
        let mut bytes: Vec<u8> = (0..len).map(|_| xorshift(&mut state) as u8).collect();
        if len >= 14 && xorshift(&mut state) % 2 == 0 {
            bytes[12..14].copy_from_slice(&[0x81, 0x00]);
        }
        if let Ok(frame) = EthernetFrame::new_checked(&bytes[..]) {
            if let Ok(repr) = EthernetRepr::parse(&frame) {
                assert_eq!(round_trip(&bytes), bytes);
                let _ = repr.to_string();
            }
        }
        let _ = EthernetFrame::new_unchecked(&bytes[..]).to_string();
    }
}
