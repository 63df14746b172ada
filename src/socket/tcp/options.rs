//! What the options of a SYN negotiate, and the small computations around them: window
//! scale shifts (RFC 7323 §2), the send MSS (RFC 9293 §3.7.1, MUST-14/15/16), the
//! timestamp clock (RFC 7323 §4/§5), SACK blocks (RFC 2018 §4) and the ISN (RFC 6528).

use core::net::SocketAddr;

use crate::rand::SipHasher24;
use crate::storage::Assembler;
use crate::time::Instant;
use crate::wire::{IpAddress, SeqNumber};

/// RFC 7323 §2.3: a shift above 14 is treated as 14 (B3.2).
pub(crate) const MAX_WINDOW_SHIFT: u8 = 14;

/// The largest unscaled window field.
pub(crate) const MAX_WINDOW_FIELD: usize = 0xffff;

/// Bytes the Timestamps option takes in every segment once negotiated (10, padded to
/// 12 with two NOPs): they count against the payload (B3.16, MUST-16).
pub(crate) const TIMESTAMP_OPTION_LEN: usize = 12;

/// The smallest shift such that `65535 << shift` covers `capacity` (B3.5), at most 14.
pub(crate) fn window_shift_for(capacity: usize) -> u8 {
    let mut shift = 0u8;
    while shift < MAX_WINDOW_SHIFT && (MAX_WINDOW_FIELD << shift) < capacity {
        shift += 1;
    }
    shift
}

/// MUST-15: the send MSS when the peer's SYN carried no MSS option: 536 over IPv4 and
/// 1220 over IPv6.
pub(crate) fn default_send_mss(remote: IpAddress) -> usize {
    match remote {
        IpAddress::V4(_) => 536,
        IpAddress::V6(_) => 1220,
    }
}

/// Writes an address and port into `hasher` in a fixed byte form.
fn hash_endpoint(hasher: &mut SipHasher24, endpoint: SocketAddr) {
    match endpoint.ip() {
        IpAddress::V4(a) => hasher.write(&a.octets()),
        IpAddress::V6(a) => hasher.write(&a.octets()),
    }
    hasher.write(&endpoint.port().to_be_bytes());
}

/// The keyed hash of a connection's 4-tuple, with a domain tag so that the ISN and
/// timestamp offsets of one connection are unrelated.
fn tuple_hash(key: [u64; 2], tag: u8, local: SocketAddr, remote: SocketAddr) -> u32 {
    let mut hasher = SipHasher24::new(key);
    hasher.write(&[tag]);
    hash_endpoint(&mut hasher, local);
    hash_endpoint(&mut hasher, remote);
    hasher.finish() as u32
}

/// RFC 6528 / CONFORMANCE B9.1, MUST-8/9, SHLD-1: `ISN = M + F(4-tuple, key)` with M a
/// 32-bit counter ticking every 4 µs, taken from `now` (never a hidden clock) and F a
/// SipHash keyed with `key`. Same key and inputs, same ISN: the key must be secret.
pub(crate) fn initial_seq_number(
    key: [u64; 2],
    now: Instant,
    local: SocketAddr,
    remote: SocketAddr,
) -> SeqNumber {
    let ticks = (now.total_micros() / 4) as u32;
    SeqNumber(ticks.wrapping_add(tuple_hash(key, 0, local, remote)))
}

/// B3.15: a per-connection offset for TSval, so that timestamps do not reveal `now`.
pub(crate) fn timestamp_offset(key: [u64; 2], local: SocketAddr, remote: SocketAddr) -> u32 {
    tuple_hash(key, 1, local, remote)
}

/// The timestamp clock: milliseconds since the epoch of `now`, plus `offset`, wrapping
/// (RFC 7323 §5.4: 1 ms to 1 s per tick; 1 ms also gives RTTM a 1 ms granularity).
pub(crate) fn timestamp_now(now: Instant, offset: u32) -> u32 {
    (now.total_millis() as u32).wrapping_add(offset)
}

/// RFC 2018 §4: the SACK blocks for the out-of-order data held in `assembler` (whose
/// offset 0 is `rcv_nxt`), the block holding `latest` first, then the others in order;
/// at most four (the emitter keeps those that fit beside the other options).
pub(crate) fn sack_blocks(
    assembler: &Assembler,
    rcv_nxt: SeqNumber,
    latest: Option<SeqNumber>,
) -> [Option<(u32, u32)>; 4] {
    let mut blocks = [None; 4];
    let to_seq = |off: usize| (rcv_nxt + off).0;
    let holds_latest = |&(start, end): &(usize, usize)| {
        latest.is_some_and(|seq| {
            seq.bytes_since(rcv_nxt)
                .is_some_and(|off| start <= off && off < end)
        })
    };
    let mut n = 0;
    if let Some(first) = assembler.iter_data(0).find(holds_latest) {
        blocks[0] = Some((to_seq(first.0), to_seq(first.1)));
        n = 1;
    }
    for range in assembler.iter_data(0).filter(|r| !holds_latest(r)) {
        let Some(slot) = blocks.get_mut(n) else { break };
        *slot = Some((to_seq(range.0), to_seq(range.1)));
        n += 1;
    }
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tuple() -> (SocketAddr, SocketAddr) {
        (
            "192.0.2.1:49152".parse().unwrap(),
            "192.0.2.2:80".parse().unwrap(),
        )
    }

    #[test]
    fn the_window_shift_is_the_smallest_that_covers_the_buffer() {
        assert_eq!(window_shift_for(0), 0);
        assert_eq!(window_shift_for(65535), 0);
        assert_eq!(window_shift_for(65536), 1);
        assert_eq!(window_shift_for(1 << 20), 5);
        assert_eq!(window_shift_for(usize::MAX), 14);
    }

    #[test]
    fn isns_follow_the_4us_clock_for_one_tuple_and_differ_across_tuples_and_keys() {
        // CONFORMANCE B9.3.
        let (l, r) = tuple();
        let key = [1, 2];
        let a = initial_seq_number(key, Instant::from_micros(0), l, r);
        let b = initial_seq_number(key, Instant::from_micros(4_000), l, r);
        assert_eq!(b.distance_from(a), 1000);
        let other: SocketAddr = "192.0.2.2:81".parse().unwrap();
        assert_ne!(
            initial_seq_number(key, Instant::from_micros(0), l, other),
            a
        );
        assert_ne!(initial_seq_number([3, 4], Instant::from_micros(0), l, r), a);
        assert_ne!(timestamp_offset(key, l, r), a.0);
    }

    #[test]
    fn sack_blocks_report_the_latest_block_first() {
        let mut asm = Assembler::new();
        asm.add(10, 5).unwrap();
        asm.add(30, 5).unwrap();
        let base = SeqNumber(1000);
        let blocks = sack_blocks(&asm, base, Some(SeqNumber(1031)));
        assert_eq!(blocks[0], Some((1030, 1035)));
        assert_eq!(blocks[1], Some((1010, 1015)));
        assert_eq!(blocks[2], None);
    }
}
