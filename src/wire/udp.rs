//! UDP datagrams (RFC 768): an 8-byte header, a length that bounds the datagram, and a
//! checksum over an IP pseudo-header.
//!
//! Governing texts: RFC 768, RFC 1122 §4.1.3 (checksum rules over IPv4), RFC 8200 §8.1
//! (the checksum is mandatory over IPv6).

use core::fmt;

use super::checksum;
use super::ip::pseudo_header_sum;
use super::{ChecksumCapabilities, Error, IpAddress, IpProtocol, Result};

mod field {
    use crate::wire::{Field, Rest};

    pub const SRC_PORT: Field = 0..2;
    pub const DST_PORT: Field = 2..4;
    pub const LENGTH: Field = 4..6;
    pub const CHECKSUM: Field = 6..8;
    pub const PAYLOAD: Rest = 8..;
}

/// Length of the UDP header.
pub const UDP_HEADER_LEN: usize = 8;

/// A zero-copy view of a UDP datagram. The buffer is the IP payload; the UDP length
/// field, not the buffer, says where the datagram ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UdpPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> UdpPacket<T> {
    /// Wraps a buffer without checking it; call [`check_len`](Self::check_len) before
    /// any getter.
    pub const fn new_unchecked(buffer: T) -> UdpPacket<T> {
        UdpPacket { buffer }
    }

    /// Wraps a buffer and checks the header and the length field against it.
    pub fn new_checked(buffer: T) -> Result<UdpPacket<T>> {
        let packet = Self::new_unchecked(buffer);
        packet.check_len()?;
        Ok(packet)
    }

    /// CONFORMANCE D1.1 `[!]`: `Truncated` if the buffer is shorter than 8 bytes or than
    /// the length field; `Malformed` if the length field is below 8. A length field
    /// shorter than the buffer is fine: the bytes after it are not part of the datagram.
    pub fn check_len(&self) -> Result<()> {
        let data = self.buffer.as_ref();
        let len = data
            .get(field::LENGTH)
            .map(read_u16)
            .ok_or(Error::Truncated)?;
        if data.len() < UDP_HEADER_LEN {
            return Err(Error::Truncated);
        }
        if usize::from(len) < UDP_HEADER_LEN {
            return Err(Error::Malformed);
        }
        if usize::from(len) > data.len() {
            return Err(Error::Truncated);
        }
        Ok(())
    }

    /// The buffer, giving up the view.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// The source port (0: the sender expects no reply, RFC 768).
    pub fn src_port(&self) -> u16 {
        read_u16(&self.buffer.as_ref()[field::SRC_PORT])
    }

    /// The destination port.
    pub fn dst_port(&self) -> u16 {
        read_u16(&self.buffer.as_ref()[field::DST_PORT])
    }

    /// The length field: header plus payload, in bytes.
    pub fn len(&self) -> u16 {
        read_u16(&self.buffer.as_ref()[field::LENGTH])
    }

    /// Whether the datagram has no payload (length field 8).
    pub fn is_empty(&self) -> bool {
        usize::from(self.len()) <= UDP_HEADER_LEN
    }

    /// The checksum field (0 over IPv4: none was computed).
    pub fn checksum(&self) -> u16 {
        read_u16(&self.buffer.as_ref()[field::CHECKSUM])
    }

    /// The datagram as the length field bounds it, header included, never past the
    /// buffer.
    fn datagram(&self) -> &[u8] {
        let data = self.buffer.as_ref();
        let end = usize::from(self.len()).min(data.len());
        data.get(..end).unwrap_or(data)
    }

    /// The payload: bytes 8 up to the length field. Trailing bytes of the buffer (IP or
    /// Ethernet padding) are excluded (CONFORMANCE D1.1).
    pub fn payload(&self) -> &[u8] {
        self.datagram().get(field::PAYLOAD).unwrap_or(&[])
    }

    /// Whether the checksum is right for a datagram from `src` to `dst`.
    ///
    /// A zero field over IPv4 means the sender computed none, and verifies (CONFORMANCE
    /// D1.3); over IPv6 zero is never valid (D1.4). Addresses of different IP versions
    /// never verify. One pass over the datagram.
    pub fn verify_checksum(&self, src: &IpAddress, dst: &IpAddress) -> bool {
        if self.checksum() == 0 {
            return matches!((src, dst), (IpAddress::V4(_), IpAddress::V4(_)));
        }
        match pseudo_header_sum(src, dst, IpProtocol::Udp, u32::from(self.len())) {
            Some(pseudo) => {
                checksum::verifies(checksum::combine(&[pseudo, checksum::sum(self.datagram())]))
            }
            None => false,
        }
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> UdpPacket<T> {
    /// Sets the source port.
    pub fn set_src_port(&mut self, value: u16) {
        write_u16(&mut self.buffer.as_mut()[field::SRC_PORT], value);
    }

    /// Sets the destination port.
    pub fn set_dst_port(&mut self, value: u16) {
        write_u16(&mut self.buffer.as_mut()[field::DST_PORT], value);
    }

    /// Sets the length field (header plus payload).
    pub fn set_len(&mut self, value: u16) {
        write_u16(&mut self.buffer.as_mut()[field::LENGTH], value);
    }

    /// Sets the checksum field.
    pub fn set_checksum(&mut self, value: u16) {
        write_u16(&mut self.buffer.as_mut()[field::CHECKSUM], value);
    }

    /// The payload, mutable, bounded by the length field as in [`payload`](Self::payload).
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let len = usize::from(self.len());
        let data = self.buffer.as_mut();
        let end = len.min(data.len());
        data.get_mut(UDP_HEADER_LEN..end).unwrap_or(&mut [])
    }

    /// Computes and writes the checksum over the pseudo-header for `src` and `dst` and
    /// the datagram as the length field bounds it. A computed 0 is written as 0xFFFF,
    /// since 0 would mean "no checksum" (RFC 768, CONFORMANCE D1.2). Addresses of
    /// different IP versions leave the field 0. One pass over the datagram.
    pub fn fill_checksum(&mut self, src: &IpAddress, dst: &IpAddress) {
        self.set_checksum(0);
        let value = match pseudo_header_sum(src, dst, IpProtocol::Udp, u32::from(self.len())) {
            Some(pseudo) => {
                match checksum::finish(checksum::combine(&[pseudo, checksum::sum(self.datagram())]))
                {
                    0 => 0xffff,
                    c => c,
                }
            }
            None => 0,
        };
        self.set_checksum(value);
    }
}

impl<T: AsRef<[u8]>> fmt::Display for UdpPacket<T> {
    /// `UDP 49152 > 53 len=12`, where `len` is the length field (header plus payload).
    /// The checksum is not judged: that needs the IP addresses.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.check_len() {
            Ok(()) => write!(
                f,
                "UDP {} > {} len={}",
                self.src_port(),
                self.dst_port(),
                self.len()
            ),
            Err(e) => write!(f, "UDP ({e})"),
        }
    }
}

fn read_u16(bytes: &[u8]) -> u16 {
    u16::from_be_bytes([bytes[0], bytes[1]])
}

fn write_u16(bytes: &mut [u8], value: u16) {
    bytes.copy_from_slice(&value.to_be_bytes());
}

/// A UDP header as plain values. The payload is not part of it: on receive the caller
/// reads `packet.payload()`, on send [`emit`](Self::emit) hands the caller the payload
/// area so a socket can copy straight from its buffer into the frame.
///
/// Round trip is exact except for one normalisation: an IPv4 datagram received without
/// a checksum (field 0) is emitted with a computed one when `caps.udp.tx()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UdpRepr {
    /// Source port (0 is legal on receive: no reply is expected, CONFORMANCE D1.9).
    pub src_port: u16,
    /// Destination port (never 0 after `parse`).
    pub dst_port: u16,
}

impl UdpRepr {
    /// Reads the header of a datagram from `src` to `dst`.
    ///
    /// Errors: those of [`UdpPacket::check_len`]; `Malformed` for destination port 0;
    /// `Checksum` for a zero checksum over IPv6, whatever the capabilities, because no
    /// device verifies a sum that was never computed (CONFORMANCE D1.4); `Checksum` for
    /// a wrong non-zero checksum when `caps.udp.rx()`. A zero checksum over IPv4 is
    /// accepted (D1.3).
    pub fn parse<T: AsRef<[u8]> + ?Sized>(
        packet: &UdpPacket<&T>,
        src: &IpAddress,
        dst: &IpAddress,
        caps: &ChecksumCapabilities,
    ) -> Result<UdpRepr> {
        packet.check_len()?;
        if packet.dst_port() == 0 {
            return Err(Error::Malformed);
        }
        if packet.checksum() == 0 && matches!(src, IpAddress::V6(_)) {
            return Err(Error::Checksum);
        }
        if caps.udp.rx() && !packet.verify_checksum(src, dst) {
            return Err(Error::Checksum);
        }
        Ok(UdpRepr {
            src_port: packet.src_port(),
            dst_port: packet.dst_port(),
        })
    }

    /// The datagram length for `payload_len` bytes of payload: 8 + `payload_len`
    /// (saturating; a datagram must stay at most 65535 bytes).
    pub const fn buffer_len(&self, payload_len: usize) -> usize {
        UDP_HEADER_LEN.saturating_add(payload_len)
    }

    /// Writes a datagram into a buffer of at least [`buffer_len`](Self::buffer_len)
    /// bytes: the header, then `emit_payload` fills the `payload_len`-byte payload area,
    /// then the checksum over everything when `caps.udp.tx()` (else the field stays 0
    /// for the device to fill).
    ///
    /// `payload_len` must be at most 65527, the largest a length field can describe;
    /// the caller (the socket's send path) enforces it. A larger value writes the
    /// length 65535 and only that much is covered.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]> + ?Sized>(
        &self,
        packet: &mut UdpPacket<&mut T>,
        src: &IpAddress,
        dst: &IpAddress,
        payload_len: usize,
        emit_payload: impl FnOnce(&mut [u8]),
        caps: &ChecksumCapabilities,
    ) {
        let len = u16::try_from(self.buffer_len(payload_len)).unwrap_or(u16::MAX);
        packet.set_src_port(self.src_port);
        packet.set_dst_port(self.dst_port);
        packet.set_len(len);
        packet.set_checksum(0);
        emit_payload(packet.payload_mut());
        if caps.udp.tx() {
            packet.fill_checksum(src, dst);
        }
    }
}

impl fmt::Display for UdpRepr {
    /// `UDP 49152 > 53`; the length lives in the packet, see [`UdpPacket`]'s `Display`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UDP {} > {}", self.src_port, self.dst_port)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{Checksum, Ipv4Address, Ipv6Address};
    use std::string::ToString;
    use std::vec::Vec;

    fn v4(last: u8) -> IpAddress {
        IpAddress::V4(Ipv4Address::new(192, 0, 2, last))
    }

    fn v6(last: u16) -> IpAddress {
        IpAddress::V6(Ipv6Address::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, last))
    }

    fn xorshift(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    /// The checksum computed the long way: the RFC 768 pseudo-header written out as
    /// bytes, then the datagram with its checksum field zeroed.
    fn reference_checksum_v4(src: [u8; 4], dst: [u8; 4], datagram: &[u8]) -> u16 {
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&src);
        bytes.extend_from_slice(&dst);
        bytes.extend_from_slice(&[0, 17]);
        bytes.extend_from_slice(&(datagram.len() as u16).to_be_bytes());
        bytes.extend_from_slice(&datagram[..6]);
        bytes.extend_from_slice(&[0, 0]);
        bytes.extend_from_slice(&datagram[8..]);
        checksum::finish(checksum::sum(&bytes))
    }

    /// A 12-byte datagram from 49152 to 53 carrying 4 bytes, checksum filled.
    fn dns_like(src: &IpAddress, dst: &IpAddress) -> Vec<u8> {
        let mut bytes = std::vec![
            0xc0, 0x00, 0x00, 0x35, 0x00, 0x0c, 0, 0, 0x12, 0x34, 0x01, 0x00
        ];
        UdpPacket::new_unchecked(&mut bytes[..]).fill_checksum(src, dst);
        bytes
    }

    fn parse(bytes: &[u8], src: &IpAddress, dst: &IpAddress) -> Result<UdpRepr> {
        UdpRepr::parse(
            &UdpPacket::new_unchecked(bytes),
            src,
            dst,
            &ChecksumCapabilities::default(),
        )
    }

    fn emit(repr: &UdpRepr, src: &IpAddress, dst: &IpAddress, payload: &[u8]) -> Vec<u8> {
        let mut out = std::vec![0xa5u8; repr.buffer_len(payload.len())];
        repr.emit(
            &mut UdpPacket::new_unchecked(&mut out[..]),
            src,
            dst,
            payload.len(),
            |area| area.copy_from_slice(payload),
            &ChecksumCapabilities::default(),
        );
        out
    }

    #[test]
    fn datagram_parses_prints_and_its_checksum_matches_the_long_way() {
        let bytes = dns_like(&v4(1), &v4(53));
        let expected = reference_checksum_v4([192, 0, 2, 1], [192, 0, 2, 53], &bytes);
        let packet = UdpPacket::new_checked(&bytes[..]).unwrap();
        assert_eq!(packet.checksum(), expected);
        assert_eq!(packet.src_port(), 49152);
        assert_eq!(packet.dst_port(), 53);
        assert_eq!(packet.len(), 12);
        assert_eq!(packet.payload(), &[0x12, 0x34, 0x01, 0x00][..]);
        assert!(packet.verify_checksum(&v4(1), &v4(53)));
        assert!(!packet.verify_checksum(&v4(1), &v4(54)));
        assert_eq!(packet.to_string(), "UDP 49152 > 53 len=12");
        let repr = parse(&bytes, &v4(1), &v4(53)).unwrap();
        assert_eq!(
            repr,
            UdpRepr {
                src_port: 49152,
                dst_port: 53
            }
        );
        assert_eq!(repr.to_string(), "UDP 49152 > 53");
    }

    #[test]
    fn emit_of_a_parsed_datagram_reproduces_it_over_both_ip_versions() {
        for (src, dst) in [(v4(1), v4(2)), (v6(1), v6(2))] {
            let bytes = dns_like(&src, &dst);
            let packet = UdpPacket::new_checked(&bytes[..]).unwrap();
            let repr = parse(&bytes, &src, &dst).unwrap();
            assert_eq!(emit(&repr, &src, &dst, packet.payload()), bytes);
        }
        // Empty payload too.
        let repr = UdpRepr {
            src_port: 0,
            dst_port: 9,
        };
        let bytes = emit(&repr, &v6(1), &v6(2), &[]);
        assert_eq!(bytes.len(), 8);
        assert!(UdpPacket::new_checked(&bytes[..]).unwrap().is_empty());
        assert_eq!(parse(&bytes, &v6(1), &v6(2)), Ok(repr));
    }

    #[test]
    fn a_length_field_below_eight_is_malformed() {
        for len in 0..8u16 {
            let mut bytes = dns_like(&v4(1), &v4(2));
            bytes[4..6].copy_from_slice(&len.to_be_bytes());
            assert_eq!(
                UdpPacket::new_checked(&bytes[..]).unwrap_err(),
                Error::Malformed,
                "len {len}"
            );
            assert_eq!(parse(&bytes, &v4(1), &v4(2)), Err(Error::Malformed));
        }
    }

    #[test]
    fn a_length_field_beyond_the_buffer_is_truncated() {
        for len in [13u16, 100, 0xffff] {
            let mut bytes = dns_like(&v4(1), &v4(2));
            bytes[4..6].copy_from_slice(&len.to_be_bytes());
            assert_eq!(
                UdpPacket::new_checked(&bytes[..]).unwrap_err(),
                Error::Truncated
            );
        }
        let bytes = dns_like(&v4(1), &v4(2));
        for cut in 0..bytes.len() {
            assert_eq!(
                UdpPacket::new_checked(&bytes[..cut]).unwrap_err(),
                Error::Truncated,
                "cut {cut}"
            );
        }
    }

    #[test]
    fn bytes_after_the_length_field_are_neither_payload_nor_checksummed() {
        let mut bytes = dns_like(&v4(1), &v4(2));
        bytes.extend_from_slice(&[0xde, 0xad, 0xbe, 0xef, 0x77]);
        let packet = UdpPacket::new_checked(&bytes[..]).unwrap();
        assert_eq!(packet.payload(), &[0x12, 0x34, 0x01, 0x00][..]);
        assert!(packet.verify_checksum(&v4(1), &v4(2)));
        assert!(parse(&bytes, &v4(1), &v4(2)).is_ok());
        // A length that shrinks the datagram: payload shrinks with it.
        let mut bytes = dns_like(&v4(1), &v4(2));
        bytes[4..6].copy_from_slice(&10u16.to_be_bytes());
        let mut packet = UdpPacket::new_checked(&mut bytes[..]).unwrap();
        assert_eq!(packet.payload(), &[0x12, 0x34][..]);
        assert_eq!(packet.payload_mut().len(), 2);
    }

    #[test]
    fn a_zero_checksum_over_ipv4_means_none_and_is_accepted() {
        let mut bytes = dns_like(&v4(1), &v4(2));
        bytes[6..8].copy_from_slice(&[0, 0]);
        assert!(
            UdpPacket::new_checked(&bytes[..])
                .unwrap()
                .verify_checksum(&v4(1), &v4(2))
        );
        assert!(parse(&bytes, &v4(1), &v4(2)).is_ok());
    }

    #[test]
    fn a_datagram_received_without_checksum_is_emitted_with_one() {
        let mut bytes = dns_like(&v4(1), &v4(2));
        let sent = bytes.clone();
        bytes[6..8].copy_from_slice(&[0, 0]);
        let repr = parse(&bytes, &v4(1), &v4(2)).unwrap();
        assert_eq!(emit(&repr, &v4(1), &v4(2), &bytes[8..]), sent);
    }

    #[test]
    fn a_zero_checksum_over_ipv6_is_rejected_even_when_offloaded() {
        let mut bytes = dns_like(&v6(1), &v6(2));
        bytes[6..8].copy_from_slice(&[0, 0]);
        let packet = UdpPacket::new_checked(&bytes[..]).unwrap();
        assert!(!packet.verify_checksum(&v6(1), &v6(2)));
        assert_eq!(parse(&bytes, &v6(1), &v6(2)), Err(Error::Checksum));
        let caps = ChecksumCapabilities::ignored();
        assert_eq!(
            UdpRepr::parse(&packet, &v6(1), &v6(2), &caps),
            Err(Error::Checksum)
        );
    }

    #[test]
    fn a_wrong_checksum_is_rejected_unless_the_device_verified_it() {
        let mut bytes = dns_like(&v4(1), &v4(2));
        bytes[9] ^= 0x01;
        assert_eq!(parse(&bytes, &v4(1), &v4(2)), Err(Error::Checksum));
        let caps = ChecksumCapabilities {
            udp: Checksum::Tx,
            ..Default::default()
        };
        let packet = UdpPacket::new_checked(&bytes[..]).unwrap();
        assert!(UdpRepr::parse(&packet, &v4(1), &v4(2), &caps).is_ok());
        // Addresses of different versions never verify.
        let bytes = dns_like(&v4(1), &v4(2));
        let packet = UdpPacket::new_checked(&bytes[..]).unwrap();
        assert!(!packet.verify_checksum(&v4(1), &v6(2)));
    }

    #[test]
    fn a_computed_zero_checksum_is_sent_as_ffff_and_verifies() {
        for (src, dst) in [(v4(1), v4(2)), (v6(1), v6(2))] {
            // Choose the last payload word so that the whole sum is 0xffff, which makes
            // the computed checksum 0: x + !x = 0xffff in one's complement.
            let mut bytes = std::vec![0x30, 0x39, 0x00, 0x07, 0x00, 0x0c, 0, 0, 0xab, 0xcd, 0, 0];
            let pseudo = pseudo_header_sum(&src, &dst, IpProtocol::Udp, 12).unwrap();
            let partial = checksum::combine(&[pseudo, checksum::sum(&bytes)]);
            bytes[10..12].copy_from_slice(&(!partial).to_be_bytes());
            let all = checksum::combine(&[pseudo, checksum::sum(&bytes)]);
            assert_eq!(checksum::finish(all), 0);

            let mut packet = UdpPacket::new_unchecked(&mut bytes[..]);
            packet.fill_checksum(&src, &dst);
            assert_eq!(packet.checksum(), 0xffff);
            assert!(packet.verify_checksum(&src, &dst));
            assert!(parse(&bytes, &src, &dst).is_ok());
            let payload = bytes[8..].to_vec();
            let repr = parse(&bytes, &src, &dst).unwrap();
            assert_eq!(emit(&repr, &src, &dst, &payload), bytes);
        }
    }

    #[test]
    fn destination_port_zero_is_malformed_and_source_port_zero_is_legal() {
        let repr = UdpRepr {
            src_port: 0,
            dst_port: 53,
        };
        let bytes = emit(&repr, &v4(1), &v4(2), b"hi");
        assert_eq!(parse(&bytes, &v4(1), &v4(2)), Ok(repr));
        let repr = UdpRepr {
            src_port: 53,
            dst_port: 0,
        };
        let bytes = emit(&repr, &v4(1), &v4(2), b"hi");
        assert_eq!(parse(&bytes, &v4(1), &v4(2)), Err(Error::Malformed));
    }

    #[test]
    fn emit_with_transmit_offload_leaves_the_checksum_zero_and_bounds_the_payload_area() {
        let repr = UdpRepr {
            src_port: 5353,
            dst_port: 5353,
        };
        // A buffer longer than needed (say, padded): the payload area is exactly 3 bytes.
        let mut out = std::vec![0xa5u8; 16];
        let caps = ChecksumCapabilities {
            udp: Checksum::Rx,
            ..Default::default()
        };
        let mut seen = 0;
        repr.emit(
            &mut UdpPacket::new_unchecked(&mut out[..]),
            &v4(1),
            &v4(2),
            3,
            |area| {
                seen = area.len();
                area.copy_from_slice(b"abc");
            },
            &caps,
        );
        assert_eq!(seen, 3);
        let packet = UdpPacket::new_checked(&out[..]).unwrap();
        assert_eq!(packet.checksum(), 0);
        assert_eq!(packet.len(), 11);
        assert_eq!(packet.payload(), b"abc");
        assert_eq!(out[11..], [0xa5; 5]);
    }

    #[test]
    fn no_input_panics_the_parser() {
        let caps = ChecksumCapabilities::default();
        let valid = dns_like(&v4(1), &v4(2));
        for len in 0..=valid.len() {
            let bytes = &valid[..len];
            let _ = UdpRepr::parse(&UdpPacket::new_unchecked(bytes), &v4(1), &v4(2), &caps);
            let _ = UdpPacket::new_unchecked(bytes).to_string();
        }
        let mut state = 0xfeed_face_0bad_beefu64;
        for _ in 0..5000 {
            let len = (xorshift(&mut state) % 48) as usize;
            let mut bytes: Vec<u8> = (0..len).map(|_| xorshift(&mut state) as u8).collect();
            // Bias half the cases towards a plausible length field.
            if len >= 8 && xorshift(&mut state) % 2 == 0 {
                let claimed = (xorshift(&mut state) % (len as u64 + 4)) as u16;
                bytes[4..6].copy_from_slice(&claimed.to_be_bytes());
            }
            let (src, dst) = if xorshift(&mut state) % 2 == 0 {
                (v4(1), v4(2))
            } else {
                (v6(1), v6(2))
            };
            if let Ok(packet) = UdpPacket::new_checked(&bytes[..]) {
                let _ = packet.payload();
                let _ = packet.verify_checksum(&src, &dst);
                let sent_checksum = packet.checksum() != 0;
                if let (Ok(repr), true) =
                    (UdpRepr::parse(&packet, &src, &dst, &caps), sent_checksum)
                {
                    let end = usize::from(packet.len());
                    assert_eq!(emit(&repr, &src, &dst, packet.payload()), bytes[..end]);
                }
            }
            let _ = UdpPacket::new_unchecked(&bytes[..]).to_string();
        }
    }
}
