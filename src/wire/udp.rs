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
