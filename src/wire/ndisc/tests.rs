//! Tests of `ndisc`, kept apart so the protocol file stays readable.

use super::*;
use crate::wire::ChecksumCapabilities;
use crate::wire::icmpv6::Icmpv6Repr;
use crate::wire::ndisc_option::NdiscPrefixInfoFlags;
use std::format;
use std::string::ToString;
use std::vec;
use std::vec::Vec;

const SRC: Ipv6Address = Ipv6Address::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1);
const TARGET: Ipv6Address = Ipv6Address::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 2);
const SOLICITED: Ipv6Address = Ipv6Address::new(0xff02, 0, 0, 0, 0, 1, 0xff00, 2);
const ROUTER: Ipv6Address = Ipv6Address::new(0xfe80, 0, 0, 0, 0, 0, 0, 1);
const MAC: NdiscLinkLayerAddress = NdiscLinkLayerAddress([0x02, 0, 0, 0, 0, 0x01]);

/// A Neighbor Solicitation from 2001:db8::1 to ff02::1:ff00:2 for 2001:db8::2 with
/// SLLA 02:00:00:00:00:01; checksum computed independently (Python, RFC 1071).
const NS: [u8; 32] = [
    135, 0, 0x1c, 0x27, 0, 0, 0, 0, //
    0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, //
    1, 1, 0x02, 0, 0, 0, 0, 0x01,
];

fn parse<'a>(bytes: &'a [u8], src: &Ipv6Address, dst: &Ipv6Address) -> Result<NdiscRepr<'a>> {
    let packet = Icmpv6Packet::new_checked(bytes)?;
    match Icmpv6Repr::parse(src, dst, &packet, &ChecksumCapabilities::default())? {
        Icmpv6Repr::Ndisc(repr) => Ok(repr),
        other => panic!("not NDP: {other:?}"),
    }
}

/// Emits through `Icmpv6Repr` (checksum included) and parses back.
fn round_trip(repr: NdiscRepr<'_>) -> Vec<u8> {
    let icmp = Icmpv6Repr::Ndisc(repr);
    let mut out = vec![0xa5u8; icmp.buffer_len()];
    let caps = ChecksumCapabilities::default();
    icmp.emit(
        &SRC,
        &TARGET,
        &mut Icmpv6Packet::new_unchecked(&mut out[..]),
        &caps,
    );
    assert_eq!(parse(&out, &SRC, &TARGET), Ok(repr));
    out
}

/// Recomputes the checksum after a test edits the bytes.
fn refill(bytes: &mut [u8], src: &Ipv6Address, dst: &Ipv6Address) {
    Icmpv6Packet::new_unchecked(bytes).fill_checksum(src, dst);
}

fn all_reprs() -> Vec<NdiscRepr<'static>> {
    let prefix = NdiscPrefixInformation {
        prefix_len: 64,
        flags: NdiscPrefixInfoFlags::ON_LINK | NdiscPrefixInfoFlags::ADDRCONF,
        valid_lifetime: u32::MAX,
        preferred_lifetime: 604_800,
        prefix: Ipv6Address::new(0x2001, 0xdb8, 1, 0, 0, 0, 0, 0),
    };
    vec![
        NdiscRepr::RouterSolicit { lladdr: None },
        NdiscRepr::RouterSolicit { lladdr: Some(MAC) },
        NdiscRepr::RouterAdvert {
            hop_limit: 64,
            flags: NdiscRouterFlags::MANAGED | NdiscRouterFlags::from_bits_retain(0x08),
            router_lifetime: 1800,
            reachable_time: 30_000,
            retrans_time: 1000,
            lladdr: Some(MAC),
            mtu: Some(1500),
            prefix_infos: [Some(prefix), Some(prefix), None, None],
        },
        NdiscRepr::NeighborSolicit {
            target_addr: TARGET,
            lladdr: Some(MAC),
        },
        NdiscRepr::NeighborSolicit {
            target_addr: TARGET,
            lladdr: None,
        },
        NdiscRepr::NeighborAdvert {
            flags: NdiscNeighborFlags::SOLICITED | NdiscNeighborFlags::OVERRIDE,
            target_addr: TARGET,
            lladdr: Some(MAC),
        },
        NdiscRepr::Redirect {
            target_addr: ROUTER,
            dest_addr: TARGET,
            lladdr: Some(MAC),
            redirected_hdr: Some(&[0x60, 0, 0, 0, 0, 0, 59, 64]),
        },
        NdiscRepr::Redirect {
            target_addr: TARGET,
            dest_addr: TARGET,
            lladdr: None,
            redirected_hdr: None,
        },
    ]
}

#[test]
fn a_known_neighbor_solicitation_parses_and_emits_byte_for_byte() {
    let repr = parse(&NS, &SRC, &SOLICITED).unwrap();
    assert_eq!(
        repr,
        NdiscRepr::NeighborSolicit {
            target_addr: TARGET,
            lladdr: Some(MAC)
        }
    );
    let icmp = Icmpv6Repr::Ndisc(repr);
    let mut out = vec![0u8; icmp.buffer_len()];
    let caps = ChecksumCapabilities::default();
    icmp.emit(
        &SRC,
        &SOLICITED,
        &mut Icmpv6Packet::new_unchecked(&mut out[..]),
        &caps,
    );
    assert_eq!(out, NS);
    assert_eq!(
        icmp.to_string(),
        "ICMPv6 neighbor solicitation target=2001:db8::2 slla=02:00:00:00:00:01"
    );
}

#[test]
fn every_message_round_trips() {
    for repr in all_reprs() {
        let out = round_trip(repr);
        assert_eq!(out.len(), repr.buffer_len());
        assert_eq!(out.len() % 8, 0);
    }
}

#[test]
fn a_bad_checksum_is_rejected() {
    let mut bytes = NS;
    bytes[31] ^= 0x01;
    assert_eq!(parse(&bytes, &SRC, &SOLICITED), Err(Error::Checksum));
    assert_eq!(parse(&NS, &SRC, &TARGET), Err(Error::Checksum));
}

#[test]
fn a_nonzero_code_is_malformed() {
    let mut bytes = NS;
    bytes[1] = 1;
    refill(&mut bytes, &SRC, &SOLICITED);
    assert_eq!(parse(&bytes, &SRC, &SOLICITED), Err(Error::Malformed));
}

#[test]
fn an_option_of_length_zero_is_malformed() {
    let mut bytes = NS;
    bytes[25] = 0;
    refill(&mut bytes, &SRC, &SOLICITED);
    assert_eq!(parse(&bytes, &SRC, &SOLICITED), Err(Error::Malformed));
}

#[test]
fn an_option_past_the_end_is_truncated() {
    let mut bytes = NS;
    bytes[25] = 2;
    refill(&mut bytes, &SRC, &SOLICITED);
    assert_eq!(parse(&bytes, &SRC, &SOLICITED), Err(Error::Truncated));
    // Half an option header at the end.
    let mut bytes = NS.to_vec();
    bytes.push(1);
    refill(&mut bytes, &SRC, &SOLICITED);
    assert_eq!(parse(&bytes, &SRC, &SOLICITED), Err(Error::Truncated));
}

#[test]
fn unknown_options_are_skipped() {
    let mut bytes = NS[..24].to_vec();
    bytes.extend_from_slice(&[200, 2, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
    bytes.extend_from_slice(&NS[24..]);
    refill(&mut bytes, &SRC, &SOLICITED);
    assert_eq!(
        parse(&bytes, &SRC, &SOLICITED),
        parse(&NS, &SRC, &SOLICITED)
    );
}

#[test]
fn a_multicast_target_is_malformed() {
    for msg_type in [135u8, 136] {
        let mut bytes = NS;
        bytes[0] = msg_type;
        bytes[8..24].copy_from_slice(&SOLICITED.octets());
        refill(&mut bytes, &SRC, &SOLICITED);
        assert_eq!(parse(&bytes, &SRC, &SOLICITED), Err(Error::Malformed));
    }
}

#[test]
fn a_redirect_to_a_global_non_destination_or_for_a_multicast_destination_is_malformed() {
    let bad = [
        (SRC, TARGET),       // target neither link-local nor the destination
        (ROUTER, SOLICITED), // multicast destination
    ];
    for (target_addr, dest_addr) in bad {
        let mut bytes = vec![0u8; 40];
        bytes[0] = 137;
        bytes[8..24].copy_from_slice(&target_addr.octets());
        bytes[24..40].copy_from_slice(&dest_addr.octets());
        refill(&mut bytes, &SRC, &TARGET);
        assert_eq!(parse(&bytes, &SRC, &TARGET), Err(Error::Malformed));
    }
}

#[test]
fn messages_below_rfc_4861_minimum_lengths_are_rejected() {
    for (msg_type, min) in [(133u8, 8usize), (134, 16), (135, 24), (136, 24), (137, 40)] {
        let mut bytes = vec![0u8; min - 1];
        bytes[0] = msg_type;
        assert_eq!(parse(&bytes, &SRC, &TARGET), Err(Error::Truncated));
    }
}

#[test]
fn more_prefixes_than_kept_are_ignored_and_repeated_options_keep_the_first() {
    let info = |n: u16| NdiscPrefixInformation {
        prefix_len: 64,
        flags: NdiscPrefixInfoFlags::ON_LINK,
        valid_lifetime: 10,
        preferred_lifetime: 5,
        prefix: Ipv6Address::new(0x2001, 0xdb8, n, 0, 0, 0, 0, 0),
    };
    let mut bytes = vec![134, 0, 0, 0, 64, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    for option in [NdiscOptionRepr::Mtu(1500), NdiscOptionRepr::Mtu(9000)]
        .into_iter()
        .chain((1..=6).map(|n| NdiscOptionRepr::PrefixInformation(info(n))))
    {
        let mut buf = vec![0u8; option.buffer_len()];
        option.emit(&mut buf);
        bytes.extend_from_slice(&buf);
    }
    refill(&mut bytes, &ROUTER, &SRC);
    match parse(&bytes, &ROUTER, &SRC).unwrap() {
        NdiscRepr::RouterAdvert {
            mtu, prefix_infos, ..
        } => {
            assert_eq!(mtu, Some(1500));
            assert_eq!(
                prefix_infos,
                [Some(info(1)), Some(info(2)), Some(info(3)), Some(info(4))]
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn neighbor_advert_reserved_bits_are_dropped() {
    let repr = all_reprs()[5];
    let mut bytes = round_trip(repr);
    bytes[4] |= 0x1f;
    bytes[7] = 0xff;
    refill(&mut bytes, &SRC, &TARGET);
    assert_eq!(parse(&bytes, &SRC, &TARGET), Ok(repr));
}

#[test]
fn display_reads_like_tcpdump() {
    let reprs = all_reprs();
    assert_eq!(reprs[0].to_string(), "ICMPv6 router solicitation");
    assert_eq!(
        reprs[2].to_string(),
        "ICMPv6 router advertisement hlim=64 M lifetime=1800s reachable=30000ms \
         retrans=1000ms slla=02:00:00:00:00:01 mtu=1500 \
         prefix=2001:db8:1::/64 L A valid=4294967295 preferred=604800 \
         prefix=2001:db8:1::/64 L A valid=4294967295 preferred=604800"
    );
    assert_eq!(
        reprs[5].to_string(),
        "ICMPv6 neighbor advertisement target=2001:db8::2 S O tlla=02:00:00:00:00:01"
    );
    assert_eq!(
        reprs[6].to_string(),
        "ICMPv6 redirect target=fe80::1 dst=2001:db8::2 tlla=02:00:00:00:00:01"
    );
}

#[test]
fn every_truncation_and_random_bytes_neither_panic_nor_over_read() {
    let caps = ChecksumCapabilities::ignored();
    for repr in all_reprs() {
        let full = round_trip(repr);
        for len in 0..=full.len() {
            if let Ok(packet) = Icmpv6Packet::new_checked(&full[..len]) {
                let parsed = Icmpv6Repr::parse(&SRC, &TARGET, &packet, &caps);
                // Cuts land on option boundaries only at multiples of 8.
                if parsed.is_ok() {
                    assert_eq!(len % 8, 0);
                }
            }
        }
    }
    let mut state = 0x0123_4567_89ab_cdefu64;
    let mut buf = [0u8; 96];
    for round in 0..5000 {
        for b in buf.iter_mut() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            *b = state as u8;
        }
        buf[0] = 133 + (round % 5) as u8;
        buf[1] = 0;
        for i in (17..buf.len()).step_by(8) {
            buf[i] &= 0x03; // small option lengths, 0 included
        }
        let len = (state >> 32) as usize % (buf.len() + 1);
        if let Ok(packet) = Icmpv6Packet::new_checked(&buf[..len]) {
            if let Ok(repr) = NdiscRepr::parse(&packet) {
                let _ = format!("{repr}");
                assert!(repr.buffer_len() <= len);
            }
        }
    }
}
