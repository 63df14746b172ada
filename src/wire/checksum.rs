//! The internet checksum (RFC 1071): the 16-bit one's complement of the one's complement
//! sum of the data taken as big-endian 16-bit words.
//!
//! [`sum`] is the hot loop. It adds eight bytes per step into a 128-bit accumulator, which
//! cannot overflow for any slice that fits in memory, in native byte order; RFC 1071 §2(B)
//! shows the one's complement sum commutes with byte swapping, so one swap at the end
//! gives the big-endian result.

use core::net::{Ipv4Addr, Ipv6Addr};

/// The one's complement sum of `data` as big-endian 16-bit words, folded to 16 bits and
/// not complemented. An odd final byte is padded with a zero byte on the right.
///
/// Reads every byte once; no allocation. Combine partial sums with [`combine`] (each
/// partial must start at an even offset of the checksummed whole).
pub fn sum(data: &[u8]) -> u16 {
    let mut acc: u128 = 0;
    let mut acc2: u128 = 0;
    let mut chunks = data.chunks_exact(16);
    for chunk in &mut chunks {
        let (a, b) = chunk.split_at(8);
        acc += u64::from_ne_bytes(to_array8(a)) as u128;
        acc2 += u64::from_ne_bytes(to_array8(b)) as u128;
    }
    acc += acc2;
    let mut rest = chunks.remainder();
    if rest.len() >= 8 {
        let (a, b) = rest.split_at(8);
        acc += u64::from_ne_bytes(to_array8(a)) as u128;
        rest = b;
    }
    let mut tail = [0u8; 8];
    tail[..rest.len()].copy_from_slice(rest);
    acc += u64::from_ne_bytes(tail) as u128;
    u16::from_be(fold128(acc))
}

fn to_array8(bytes: &[u8]) -> [u8; 8] {
    let mut out = [0u8; 8];
    out.copy_from_slice(bytes);
    out
}

/// Folds a wide one's complement accumulator to 16 bits with end-around carries.
fn fold128(acc: u128) -> u16 {
    let mut x = (acc >> 64) + (acc & 0xffff_ffff_ffff_ffff);
    x = (x >> 64) + (x & 0xffff_ffff_ffff_ffff);
    let mut y = x as u64;
    y = (y >> 32) + (y & 0xffff_ffff);
    y = (y >> 32) + (y & 0xffff_ffff);
    y = (y >> 16) + (y & 0xffff);
    y = (y >> 16) + (y & 0xffff);
    y as u16
}

/// Adds partial sums (from [`sum`] or header words) in one's complement arithmetic.
pub fn combine(sums: &[u16]) -> u16 {
    let mut acc: u32 = 0;
    for &s in sums {
        acc += s as u32;
        acc = (acc >> 16) + (acc & 0xffff);
    }
    acc as u16
}

/// The checksum field value for data whose sum (including the zeroed checksum field) is
/// `sum`: its one's complement.
pub fn finish(sum: u16) -> u16 {
    !sum
}

/// Whether data whose one's complement sum (checksum field included) is `sum` verifies.
pub fn verifies(sum: u16) -> bool {
    sum == 0xffff
}

/// Sum of the IPv4 pseudo-header (RFC 793 §3.1, RFC 768): source, destination, zero,
/// protocol, upper-layer length.
pub fn pseudo_header_v4(src: &Ipv4Addr, dst: &Ipv4Addr, protocol: u8, length: u16) -> u16 {
    let s = src.octets();
    let d = dst.octets();
    combine(&[
        u16::from_be_bytes([s[0], s[1]]),
        u16::from_be_bytes([s[2], s[3]]),
        u16::from_be_bytes([d[0], d[1]]),
        u16::from_be_bytes([d[2], d[3]]),
        protocol as u16,
        length,
    ])
}

/// Sum of the IPv6 pseudo-header (RFC 8200 §8.1): source, final destination, 32-bit
/// upper-layer length, next header.
pub fn pseudo_header_v6(src: &Ipv6Addr, dst: &Ipv6Addr, next_header: u8, length: u32) -> u16 {
    combine(&[
        sum(&src.octets()),
        sum(&dst.octets()),
        (length >> 16) as u16,
        length as u16,
        next_header as u16,
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    /// RFC 1071 §4.1, written as plainly as the RFC's own C: add big-endian 16-bit words
    /// into a 32-bit accumulator, pad an odd byte, fold the carries.
    fn rfc1071_reference(data: &[u8]) -> u16 {
        let mut acc: u32 = 0;
        let mut i = 0;
        while i + 1 < data.len() {
            acc += u16::from_be_bytes([data[i], data[i + 1]]) as u32;
            i += 2;
        }
        if i < data.len() {
            acc += (data[i] as u32) << 8;
        }
        while acc >> 16 != 0 {
            acc = (acc & 0xffff) + (acc >> 16);
        }
        acc as u16
    }

    fn pseudo_random_bytes(seed: u64, len: usize) -> Vec<u8> {
        let mut x = seed | 1;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect()
    }

    #[test]
    fn rfc1071_worked_example_sums_to_ddf2() {
        // RFC 1071 §3: bytes 00 01 f2 03 f4 f5 f6 f7 sum to 0xddf2.
        let data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(sum(&data), 0xddf2);
        assert_eq!(finish(sum(&data)), !0xddf2);
    }

    #[test]
    fn fast_sum_matches_rfc1071_definition_for_every_length_and_alignment() {
        let data = pseudo_random_bytes(0x5eed, 4096 + 64);
        for len in 0..300 {
            for start in 0..9 {
                let slice = &data[start..start + len];
                assert_eq!(
                    sum(slice),
                    rfc1071_reference(slice),
                    "len {len} start {start}"
                );
            }
        }
        for len in [1459, 1460, 1480, 1500, 4096] {
            assert_eq!(sum(&data[..len]), rfc1071_reference(&data[..len]));
        }
    }

    #[test]
    fn all_ones_data_folds_carries_correctly() {
        let data = [0xffu8; 2000];
        assert_eq!(sum(&data), rfc1071_reference(&data));
        assert_eq!(sum(&data), 0xffff);
        let data = [0xffu8; 3];
        assert_eq!(sum(&data), rfc1071_reference(&data));
    }

    #[test]
    fn empty_data_sums_to_zero() {
        assert_eq!(sum(&[]), 0);
    }

    #[test]
    fn data_with_its_checksum_inserted_verifies() {
        let mut data = pseudo_random_bytes(7, 64);
        data[10] = 0;
        data[11] = 0;
        let c = finish(sum(&data));
        data[10..12].copy_from_slice(&c.to_be_bytes());
        assert!(verifies(sum(&data)));
        data[20] ^= 0x40;
        assert!(!verifies(sum(&data)));
    }

    #[test]
    fn partial_sums_combine_to_the_whole() {
        let data = pseudo_random_bytes(99, 1000);
        for split in (0..1000).step_by(2) {
            let (a, b) = data.split_at(split);
            assert_eq!(combine(&[sum(a), sum(b)]), sum(&data));
        }
    }

    #[test]
    fn pseudo_headers_match_a_byte_by_byte_construction() {
        let src = Ipv4Addr::new(192, 0, 2, 1);
        let dst = Ipv4Addr::new(198, 51, 100, 7);
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&src.octets());
        bytes.extend_from_slice(&dst.octets());
        bytes.extend_from_slice(&[0, 6, 0x05, 0xdc]);
        assert_eq!(
            pseudo_header_v4(&src, &dst, 6, 1500),
            rfc1071_reference(&bytes)
        );

        let src6: Ipv6Addr = "2001:db8::1".parse().unwrap();
        let dst6: Ipv6Addr = "fe80::abcd:1234".parse().unwrap();
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&src6.octets());
        bytes.extend_from_slice(&dst6.octets());
        bytes.extend_from_slice(&70_000u32.to_be_bytes());
        bytes.extend_from_slice(&[0, 0, 0, 58]);
        assert_eq!(
            pseudo_header_v6(&src6, &dst6, 58, 70_000),
            rfc1071_reference(&bytes)
        );
    }
}
