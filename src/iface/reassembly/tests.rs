//! Tests of the reassembler, with explicit times. Times are seconds after `Instant::ZERO`
//! unless a test says otherwise.

use std::string::ToString;
use std::vec;
use std::vec::Vec;

use super::*;
use crate::pcap::PcapReader;
use crate::wire::{EthernetFrame, Icmpv4Packet, Ipv4Packet};

const A4: Ipv4Address = Ipv4Address::new(192, 0, 2, 1);
const B4: Ipv4Address = Ipv4Address::new(192, 0, 2, 2);
const A6: Ipv6Address = Ipv6Address::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1);
const B6: Ipv6Address = Ipv6Address::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 2);
/// A stand-in IPv4 header for fragment 0 (only its bytes matter here).
const HEADER: [u8; 20] = [
    0x45, 0, 0, 0, 0, 1, 0x20, 0, 64, 17, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2,
];

fn key4(ident: u16) -> FragmentKey {
    FragmentKey::V4 {
        src: A4,
        dst: B4,
        protocol: IpProtocol::Udp,
        ident,
    }
}

fn key6(ident: u32) -> FragmentKey {
    FragmentKey::V6 {
        src: A6,
        dst: B6,
        ident,
    }
}

fn at(secs: i64) -> Instant {
    Instant::from_secs(secs)
}

/// Recognisable payload bytes: byte `i` of datagram `seed`.
fn pattern(seed: u8, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(7).wrapping_add(seed))
        .collect()
}

fn reassembler(slots: usize, buffer_len: usize) -> Reassembler<'static> {
    Reassembler::with_capacity(slots, buffer_len, ReassemblyConfig::default())
}

/// Fragments of `payload` cut at `cuts`: (offset, more_frags, bytes).
fn cut<'p>(payload: &'p [u8], cuts: &[usize]) -> Vec<(usize, bool, &'p [u8])> {
    let mut bounds = vec![0];
    bounds.extend_from_slice(cuts);
    bounds.push(payload.len());
    bounds
        .windows(2)
        .map(|w| (w[0], w[1] != payload.len(), &payload[w[0]..w[1]]))
        .collect()
}

/// Adds one fragment and returns the payload if the datagram completed.
fn feed(
    r: &mut Reassembler<'_>,
    key: FragmentKey,
    (offset, more, data): (usize, bool, &[u8]),
    now: Instant,
) -> Result<Option<Vec<u8>>, FragmentError> {
    r.add(key, offset, more, data, &HEADER, now)
        .map(|done| done.map(|d| d.payload.to_vec()))
}

#[test]
fn in_order_fragments_reassemble_to_the_exact_original() {
    let mut r = reassembler(4, 1500);
    let payload = pattern(1, 100);
    let frags = cut(&payload, &[32, 64, 96]);
    for frag in &frags[..3] {
        assert_eq!(feed(&mut r, key4(7), *frag, at(0)), Ok(None));
    }
    let done = r.add(key4(7), 96, false, &payload[96..], &[], at(1));
    let done = done.unwrap().unwrap();
    assert_eq!(done.key, key4(7));
    assert_eq!(done.payload, &payload[..]);
    assert_eq!(done.first_header, &HEADER[..]);
    assert_eq!(r.in_progress(), 0);
    assert_eq!(r.poll_at(), None);
    assert_eq!(r.stats().completed, 1);
}

#[test]
fn every_arrival_order_of_four_fragments_reassembles_the_original() {
    let payload = pattern(2, 1000);
    let frags = cut(&payload, &[240, 496, 800]);
    let mut orders = 0;
    for a in 0..4 {
        for b in 0..4 {
            for c in 0..4 {
                let Some(d) = 6usize.checked_sub(a + b + c) else {
                    continue;
                };
                if a == b || a == c || b == c || d > 3 || [a, b, c].contains(&d) {
                    continue;
                }
                orders += 1;
                let mut r = reassembler(2, 1500);
                for (step, &i) in [a, b, c, d].iter().enumerate() {
                    let got = feed(&mut r, key6(9), frags[i], at(step as i64)).unwrap();
                    if step < 3 {
                        assert_eq!(got, None, "order {a}{b}{c}{d}");
                    } else {
                        assert_eq!(got.as_deref(), Some(&payload[..]), "order {a}{b}{c}{d}");
                    }
                }
            }
        }
    }
    assert_eq!(orders, 24);
}

#[test]
fn borrowed_slot_storage_works_without_a_heap() {
    let mut bufs = [[0u8; 64]; 2];
    let [b0, b1] = &mut bufs;
    let mut slots = [
        ReassemblySlot::new(&mut b0[..]),
        ReassemblySlot::new(&mut b1[..]),
    ];
    let mut r = Reassembler::new(&mut slots[..], ReassemblyConfig::default());
    let payload = pattern(3, 40);
    assert_eq!(
        feed(&mut r, key4(1), (16, false, &payload[16..]), at(0)),
        Ok(None)
    );
    let done = feed(&mut r, key4(1), (0, true, &payload[..16]), at(0));
    assert_eq!(done.unwrap().as_deref(), Some(&payload[..]));
}

/// The request and the reply of icmpv4_frag.pcap, each as three IPv4 packets.
fn linux_fragments() -> Vec<Vec<u8>> {
    const PCAP: &[u8] = include_bytes!("../../../tests/fixtures/linux/icmpv4_frag.pcap");
    PcapReader::new(PCAP)
        .unwrap()
        .map(|record| {
            let frame = EthernetFrame::new_checked(record.unwrap().data).unwrap();
            frame.payload().to_vec()
        })
        .collect()
}

fn add_ipv4<'r>(
    r: &'r mut Reassembler<'_>,
    packet: &'r [u8],
    now: Instant,
) -> Result<Option<Reassembled<'r>>, FragmentError> {
    let ip = Ipv4Packet::new_checked(packet).unwrap();
    let key = FragmentKey::V4 {
        src: ip.src_addr(),
        dst: ip.dst_addr(),
        protocol: ip.next_header(),
        ident: ip.ident(),
    };
    let header = &packet[..ip.header_len()];
    let payload = &packet[ip.header_len()..usize::from(ip.total_len())];
    r.add(
        key,
        usize::from(ip.frag_offset()),
        ip.more_frags(),
        payload,
        header,
        now,
    )
}

#[test]
fn linux_fragments_reassemble_into_the_3008_byte_icmp_echo_whose_checksum_verifies() {
    let packets = linux_fragments();
    assert_eq!(packets.len(), 6);
    // Both datagrams interleaved, the reply's fragments in reverse order.
    let mut r = reassembler(2, 4096);
    for (step, i) in [0, 5, 1, 4, 2, 3].into_iter().enumerate() {
        let now = Instant::from_millis(step as i64);
        let done = add_ipv4(&mut r, &packets[i], now).unwrap();
        let Some(done) = done else {
            assert!(step < 4, "datagram {i} should have completed");
            continue;
        };
        assert_eq!(done.payload.len(), 3008);
        let first = if i == 2 { &packets[0] } else { &packets[3] };
        assert_eq!(done.first_header, &first[..20]);
        let icmp = Icmpv4Packet::new_checked(done.payload).unwrap();
        assert!(icmp.verify_checksum());
        let echo_type = if i == 2 { 8 } else { 0 };
        assert_eq!(done.payload[0], echo_type);
    }
    assert_eq!(r.stats().completed, 2);
}

#[test]
fn an_overlap_kills_the_datagram_and_its_later_fragments_are_dropped_until_timeout() {
    let mut r = reassembler(4, 1500);
    let payload = pattern(4, 48);
    assert_eq!(
        feed(&mut r, key4(5), (0, true, &payload[..16]), at(0)),
        Ok(None)
    );
    assert_eq!(
        feed(&mut r, key4(5), (8, true, &payload[8..24]), at(1)),
        Err(FragmentError::Overlap)
    );
    assert_eq!(r.in_progress(), 0);
    // Later fragments, even ones that would have completed it, are dropped (RFC 5722).
    for (offset, more) in [(16, true), (32, false), (0, true)] {
        let end = (offset + 16).min(48);
        assert_eq!(
            feed(
                &mut r,
                key4(5),
                (offset, more, &payload[offset..end]),
                at(2)
            ),
            Err(FragmentError::Poisoned)
        );
    }
    assert_eq!(r.stats().overlaps, 1);
    assert_eq!(r.stats().poisoned, 3);
    // Another datagram between the same hosts is untouched.
    assert_eq!(
        feed(&mut r, key4(6), (0, true, &payload[..16]), at(2)),
        Ok(None)
    );
    // Once the poisoned datagram's 60 s are up, the key may start afresh.
    assert_eq!(
        feed(&mut r, key4(5), (0, true, &payload[..16]), at(60)),
        Ok(None)
    );
    let done = feed(&mut r, key4(5), (16, false, &payload[16..]), at(60));
    assert_eq!(done.unwrap().as_deref(), Some(&payload[..]));
}

#[test]
fn a_fragment_with_the_same_bounds_but_different_bytes_is_an_overlap() {
    let mut r = reassembler(1, 1500);
    let payload = pattern(5, 32);
    let mut forged = payload[16..].to_vec();
    forged[3] ^= 0xff;
    assert_eq!(
        feed(&mut r, key6(1), (16, false, &payload[16..]), at(0)),
        Ok(None)
    );
    assert_eq!(
        feed(&mut r, key6(1), (16, false, &forged), at(0)),
        Err(FragmentError::Overlap)
    );
    assert_eq!(
        feed(&mut r, key6(1), (0, true, &payload[..16]), at(0)),
        Err(FragmentError::Poisoned)
    );
}

#[test]
fn an_exact_duplicate_is_ignored_and_the_datagram_still_completes() {
    let mut r = reassembler(1, 1500);
    let payload = pattern(6, 40);
    let frags = cut(&payload, &[16, 32]);
    assert_eq!(feed(&mut r, key4(2), frags[0], at(0)), Ok(None));
    assert_eq!(feed(&mut r, key4(2), frags[2], at(0)), Ok(None));
    assert_eq!(feed(&mut r, key4(2), frags[0], at(1)), Ok(None));
    assert_eq!(feed(&mut r, key4(2), frags[2], at(1)), Ok(None));
    assert_eq!(r.stats().duplicates, 2);
    let done = feed(&mut r, key4(2), frags[1], at(2)).unwrap();
    assert_eq!(done.as_deref(), Some(&payload[..]));
    assert_eq!(r.stats().overlaps, 0);
}

#[test]
fn a_fragment_ending_past_65535_bytes_is_rejected() {
    let mut r = reassembler(1, 65535);
    let data = [0u8; 16];
    // IPv4 ping of death: offset 65528 (the largest the field allows) plus 16 bytes.
    assert_eq!(
        feed(&mut r, key4(1), (65528, false, &data), at(0)),
        Err(FragmentError::TooLong)
    );
    // IPv4 payload must also leave room for at least a 20-byte header.
    assert_eq!(
        feed(&mut r, key4(1), (65512, false, &data[..8]), at(0)),
        Err(FragmentError::TooLong)
    );
    assert_eq!(
        feed(&mut r, key6(1), (65528, false, &data), at(0)),
        Err(FragmentError::TooLong)
    );
    assert_eq!(
        feed(&mut r, key6(1), (65520, true, &data[..8]), at(0)),
        Ok(None)
    );
    assert_eq!(r.stats().too_long, 3);
    // Offsets near usize::MAX do not wrap.
    assert_eq!(
        feed(&mut r, key6(2), (usize::MAX - 7, true, &data[..8]), at(0)),
        Err(FragmentError::TooLong)
    );
}

#[test]
fn an_ipv4_datagram_too_long_with_fragment_zero_options_is_dropped_at_completion() {
    let mut r = reassembler(1, 65535);
    let header = [0x4f; 60];
    let tail = [0u8; 8];
    let zero = [0u8; 1480];
    // 65504 + 8 = 65512 bytes of payload fit a 20-byte header but not a 60-byte one.
    assert_eq!(
        feed(&mut r, key4(1), (65504, false, &tail), at(0)),
        Ok(None)
    );
    for offset in (1480..65504).step_by(1480) {
        let len = (65504 - offset).min(1480);
        assert_eq!(
            feed(&mut r, key4(1), (offset, true, &zero[..len]), at(0)),
            Ok(None)
        );
    }
    let done = r.add(key4(1), 0, true, &zero, &header, at(0));
    assert_eq!(done, Err(FragmentError::TooLong));
    assert_eq!(r.in_progress(), 0);
    assert_eq!(r.stats().too_long, 1);
}

#[test]
fn the_configured_maximum_and_the_slot_buffer_bound_the_datagram() {
    let config = ReassemblyConfig {
        max_datagram_len: 1000,
        ..ReassemblyConfig::default()
    };
    let mut r = Reassembler::with_capacity(1, 1500, config);
    let data = [0u8; 16];
    assert_eq!(
        feed(&mut r, key4(1), (992, false, &data), at(0)),
        Err(FragmentError::TooLong)
    );
    let mut small = reassembler(1, 64);
    assert_eq!(
        feed(&mut small, key4(1), (56, false, &data), at(0)),
        Err(FragmentError::TooLong)
    );
    assert_eq!(small.in_progress(), 0);
    let mut none = reassembler(0, 64);
    assert_eq!(
        feed(&mut none, key4(1), (8, false, &data), at(0)),
        Err(FragmentError::NoSlot)
    );
}

#[test]
fn a_non_last_fragment_whose_length_is_not_a_multiple_of_8_is_rejected() {
    let mut r = reassembler(1, 1500);
    let data = [0u8; 20];
    assert_eq!(
        feed(&mut r, key4(1), (0, true, &data), at(0)),
        Err(FragmentError::NotMultipleOf8)
    );
    assert_eq!(
        feed(&mut r, key6(1), (8, true, &data[..9]), at(0)),
        Err(FragmentError::NotMultipleOf8)
    );
    // The last fragment may have any length.
    assert_eq!(
        feed(&mut r, key4(1), (8, false, &data[..9]), at(0)),
        Ok(None)
    );
    assert_eq!(r.stats().bad_length, 2);
}

#[test]
fn data_beyond_the_end_set_by_the_last_fragment_is_rejected() {
    // The CVE-2020-17438 shape: the last fragment first, then one past its end.
    let mut r = reassembler(1, 1500);
    let payload = pattern(7, 64);
    assert_eq!(
        feed(&mut r, key4(3), (32, false, &payload[32..40]), at(0)),
        Ok(None)
    );
    let reject = [
        (40, true, &payload[40..48]),
        (32, false, &payload[32..48]),
        (24, false, &payload[24..32]),
    ];
    for frag in reject {
        assert_eq!(
            feed(&mut r, key4(3), frag, at(0)),
            Err(FragmentError::BeyondEnd)
        );
    }
    assert_eq!(r.stats().beyond_end, 3);
    // Only the bad fragments were dropped: the datagram still completes.
    let done = feed(&mut r, key4(3), (0, true, &payload[..32]), at(1)).unwrap();
    assert_eq!(done.as_deref(), Some(&payload[..40]));
}

#[test]
fn a_last_fragment_ending_before_data_already_received_is_rejected() {
    let mut r = reassembler(1, 1500);
    let payload = pattern(8, 64);
    assert_eq!(
        feed(&mut r, key6(3), (32, true, &payload[32..48]), at(0)),
        Ok(None)
    );
    assert_eq!(
        feed(&mut r, key6(3), (16, false, &payload[16..24]), at(0)),
        Err(FragmentError::BeyondEnd)
    );
}

#[test]
fn timeout_discards_and_quotes_the_first_fragment_only_if_it_arrived() {
    let mut r = reassembler(4, 1500);
    let payload = pattern(9, 64);
    assert_eq!(
        feed(&mut r, key4(1), (0, true, &payload[..16]), at(10)),
        Ok(None)
    );
    assert_eq!(
        feed(&mut r, key4(2), (16, false, &payload[16..]), at(20)),
        Ok(None)
    );
    // Fragments arriving later do not extend the deadline: it runs from the first.
    assert_eq!(
        feed(&mut r, key4(1), (32, true, &payload[32..48]), at(65)),
        Ok(None)
    );
    assert_eq!(r.poll_at(), Some(at(70)));

    let mut seen: Vec<(FragmentKey, Option<Vec<u8>>)> = Vec::new();
    let mut record = |e: ExpiredDatagram<'_>| seen.push((e.key, e.quote.map(<[u8]>::to_vec)));
    assert_eq!(r.poll(Instant::from_micros(69_999_999), &mut record), 0);
    assert_eq!(r.poll(at(70), &mut record), 1);
    assert_eq!(r.poll_at(), Some(at(80)));
    assert_eq!(r.poll(at(80), &mut record), 1);
    assert_eq!(r.poll_at(), None);

    let mut quote = HEADER.to_vec();
    quote.extend_from_slice(&payload[..8]);
    assert_eq!(seen, vec![(key4(1), Some(quote)), (key4(2), None)]);
    assert_eq!(r.stats().timed_out, 2);
    assert_eq!(r.in_progress(), 0);
}

#[test]
fn an_ipv6_quote_keeps_at_most_128_bytes_of_the_header_chain() {
    let mut r = reassembler(1, 1500);
    let chain = [0x60u8; 200];
    let data = [0xaa; 16];
    assert_eq!(r.add(key6(1), 0, true, &data, &chain, at(0)), Ok(None));
    let mut quote = None;
    r.poll(at(60), |e| quote = e.quote.map(<[u8]>::to_vec));
    assert_eq!(quote, Some(chain[..REASSEMBLY_QUOTE_LEN].to_vec()));
}

#[test]
fn an_atomic_fragment_comes_back_alone_and_leaves_a_slot_with_the_same_key_alone() {
    let mut r = reassembler(1, 1500);
    let payload = pattern(10, 24);
    assert_eq!(
        feed(&mut r, key6(4), (16, false, &payload[16..]), at(0)),
        Ok(None)
    );
    let atomic = [1u8, 2, 3];
    let done = r
        .add(key6(4), 0, false, &atomic, &HEADER, at(1))
        .unwrap()
        .unwrap();
    assert_eq!(done.payload, &atomic[..]);
    assert_eq!(done.first_header, &HEADER[..]);
    assert_eq!(r.in_progress(), 1);
    assert_eq!(r.stats().completed, 0);
    let done = feed(&mut r, key6(4), (0, true, &payload[..16]), at(2)).unwrap();
    assert_eq!(done.as_deref(), Some(&payload[..]));
}

#[test]
fn a_flood_of_unique_ids_evicts_the_oldest_datagram_each_time() {
    let mut r = reassembler(4, 1500);
    let payload = pattern(11, 32);
    let junk = [0u8; 8];
    let mut now = Instant::ZERO;
    let tick = Duration::from_millis(1);
    // A legitimate datagram that completes while fewer than 4 flood packets separate its
    // fragments survives the flood...
    let mut completed = 0;
    for ident in 0..1000u16 {
        now += tick;
        if ident == 500 {
            assert_eq!(
                feed(&mut r, key6(1), (0, true, &payload[..16]), now),
                Ok(None)
            );
            now += tick;
        }
        if ident == 503 {
            // Flood packets 500, 501 and 502 came in between.
            let done = feed(&mut r, key6(1), (16, false, &payload[16..]), now).unwrap();
            assert_eq!(done.as_deref(), Some(&payload[..]));
            completed += 1;
        }
        assert_eq!(feed(&mut r, key4(ident), (8, true, &junk), now), Ok(None));
    }
    assert_eq!(completed, 1);
    // ...but one whose fragments are 4 or more flood packets apart is evicted first,
    // which is the documented price of never letting a flood block new traffic (C4.8).
    assert_eq!(
        feed(&mut r, key6(2), (0, true, &payload[..16]), now),
        Ok(None)
    );
    for ident in 1000..1004u16 {
        now += tick;
        assert_eq!(feed(&mut r, key4(ident), (8, true, &junk), now), Ok(None));
    }
    assert_eq!(
        feed(&mut r, key6(2), (16, false, &payload[16..]), now),
        Ok(None)
    );
    // 1,007 datagrams started (1,004 flood, the first legitimate one, the second one
    // twice); one completed and four still hold the slots: all others were evicted.
    let stats = *r.stats();
    assert_eq!(stats.evicted, 1007 - 1 - 4);
    assert_eq!(stats.completed, 1);
    assert_eq!(r.in_progress(), 4);
    let mut expired = 0;
    r.poll(now + Duration::from_secs(60), |_| expired += 1);
    assert_eq!(expired, 4);
}

/// A tiny xorshift generator for the soups (no dependencies).
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> usize {
        (self.next() % n) as usize
    }
}

#[test]
fn honest_fragment_soup_completes_only_with_the_right_bytes() {
    // Every fragment carries its datagram's true bytes: most follow the sender's fixed
    // cuts (reordered, duplicated, interleaved across six datagrams), some are cut at
    // random. Any completion must equal the truth; overlaps just drop things.
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let config = ReassemblyConfig {
        timeout: Duration::from_secs(2),
        ..ReassemblyConfig::default()
    };
    let mut r = Reassembler::with_capacity(4, 256, config);
    let truth: Vec<Vec<u8>> = (0..6u8).map(|k| pattern(k, 200)).collect();
    let mut now = Instant::ZERO;
    for step in 0..10_000 {
        now += Duration::from_millis(rng.below(50) as u64);
        let k = rng.below(6);
        let (offset, more, end) = if rng.below(5) != 0 {
            let i = rng.below(4);
            (i * 64, i < 3, (i * 64 + 64).min(200))
        } else {
            let offset = rng.below(25) * 8;
            let more = rng.below(4) != 0;
            let len = if more {
                rng.below(4) * 8
            } else {
                rng.below(32)
            };
            (offset, more, (offset + len).min(200))
        };
        let data = &truth[k][offset.min(end)..end];
        let got = r.add(key4(k as u16), offset, more, data, &HEADER, now);
        if let Ok(Some(done)) = got {
            let len = done.payload.len();
            assert_eq!(done.payload, &truth[k][..len], "step {step}");
        }
        if step % 10 == 0 {
            r.poll(now, |_| {});
        }
    }
    let stats = *r.stats();
    assert!(stats.completed > 100, "{stats:?}");
    assert!(stats.overlaps > 0, "{stats:?}");
}

#[test]
fn random_fragment_soup_never_panics_and_stays_in_bounds() {
    let mut rng = XorShift(0x2545_f491_4f6c_dd1d);
    let mut r = reassembler(4, 1500);
    let bytes: Vec<u8> = (0..4096).map(|_| rng.next() as u8).collect();
    let mut now = Instant::ZERO;
    for _ in 0..10_000 {
        now += Duration::from_millis(rng.below(2000) as u64);
        let key = if rng.below(2) == 0 {
            key4(rng.below(8) as u16)
        } else {
            key6(rng.below(8) as u32)
        };
        let offset = match rng.below(4) {
            0 => rng.below(70_000),
            1 => usize::MAX - rng.below(16),
            _ => rng.below(200) * 8,
        };
        let len = rng.below(1600);
        let start = rng.below(2000);
        let data = &bytes[start..start + len];
        let header = &bytes[..rng.below(300)];
        if let Ok(Some(done)) = r.add(key, offset, rng.below(3) != 0, data, header, now) {
            assert!(done.payload.len() <= 1500 || offset == 0);
            assert!(done.first_header.len() <= REASSEMBLY_QUOTE_LEN || offset == 0);
        }
        if rng.below(10) == 0 {
            r.poll(now, |e| assert!(e.quote.is_none_or(|q| q.len() <= 128)));
        }
        assert!(r.in_progress() <= 4);
    }
}

#[test]
fn fragment_keys_and_errors_display_like_a_network_engineer_reads_them() {
    assert_eq!(
        key4(0x90ed).to_string(),
        "IPv4 192.0.2.1 > 192.0.2.2 proto=UDP id=0x90ed"
    );
    assert_eq!(
        key6(1).to_string(),
        "IPv6 2001:db8::1 > 2001:db8::2 id=0x00000001"
    );
    assert_eq!(
        FragmentError::BeyondEnd.to_string(),
        "fragment lies beyond the datagram's end"
    );
}

#[test]
fn an_empty_first_fragment_does_not_take_the_place_of_the_real_quote() {
    let mut r = reassembler(1, 1500);
    let payload = pattern(12, 16);
    assert_eq!(r.add(key4(1), 0, true, &[], &[0xee; 20], at(0)), Ok(None));
    assert_eq!(feed(&mut r, key4(1), (0, true, &payload), at(0)), Ok(None));
    let mut quote = None;
    r.poll(at(60), |e| quote = e.quote.map(<[u8]>::to_vec));
    let mut expected = HEADER.to_vec();
    expected.extend_from_slice(&payload[..8]);
    assert_eq!(quote, Some(expected));
}
