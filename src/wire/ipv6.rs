//! IPv6 fixed header: a zero-copy view, a plain representation, prefixes and the address
//! helpers Neighbour Discovery needs. Extension headers live in [`super::ipv6ext`].
//!
//! Governing RFCs: RFC 8200 (IPv6), RFC 4291 (addressing architecture), RFC 6437 (flow
//! label).

use core::fmt;
use core::str::FromStr;

use super::{Error, IpProtocol, Ipv6Address, Result};

mod field {
    use crate::wire::{Field, Rest};

    /// Version (4 bits), Traffic Class (8 bits), Flow Label (20 bits).
    pub const VER_TC_FLOW: Field = 0..4;
    pub const PAYLOAD_LEN: Field = 4..6;
    pub const NEXT_HEADER: usize = 6;
    pub const HOP_LIMIT: usize = 7;
    pub const SRC_ADDR: Field = 8..24;
    pub const DST_ADDR: Field = 24..40;
    pub const PAYLOAD: Rest = 40..;
}

/// Length of the fixed IPv6 header in bytes.
pub const IPV6_HEADER_LEN: usize = field::PAYLOAD.start;

/// The minimum link MTU every IPv6 link carries (RFC 8200 §5, CONFORMANCE C6.9).
pub const IPV6_MIN_MTU: usize = 1280;

/// The all-nodes link-local multicast group `ff02::1` (RFC 4291 §2.7.1).
pub const IPV6_LINK_LOCAL_ALL_NODES: Ipv6Address = Ipv6Address::new(0xff02, 0, 0, 0, 0, 0, 0, 1);

/// The all-routers link-local multicast group `ff02::2` (RFC 4291 §2.7.1).
pub const IPV6_LINK_LOCAL_ALL_ROUTERS: Ipv6Address = Ipv6Address::new(0xff02, 0, 0, 0, 0, 0, 0, 2);

/// The all-MLDv2-capable-routers group `ff02::16` (RFC 3810 §5.2.14).
pub const IPV6_LINK_LOCAL_ALL_MLDV2_ROUTERS: Ipv6Address =
    Ipv6Address::new(0xff02, 0, 0, 0, 0, 0, 0, 0x16);

/// A zero-copy view of an IPv6 packet (fixed header plus payload) over `T`.
///
/// Build it with [`Ipv6Packet::new_checked`]; getters index the buffer directly and rely on
/// the lengths that [`Ipv6Packet::check_len`] validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ipv6Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Ipv6Packet<T> {
    /// Wraps a buffer without checking it. Call [`Ipv6Packet::check_len`] before any getter.
    pub const fn new_unchecked(buffer: T) -> Ipv6Packet<T> {
        Ipv6Packet { buffer }
    }

    /// Wraps a buffer and validates it with [`Ipv6Packet::check_len`].
    pub fn new_checked(buffer: T) -> Result<Ipv6Packet<T>> {
        let packet = Self::new_unchecked(buffer);
        packet.check_len()?;
        Ok(packet)
    }

    /// Validates everything the getters rely on.
    ///
    /// - `Truncated` when the buffer is shorter than 40 bytes or than 40 + Payload Length;
    /// - `Malformed` when the version is not 6 (CONFORMANCE C6.1);
    /// - `Unsupported` for a jumbogram (Payload Length 0 followed by Hop-by-Hop, RFC 2675),
    ///   which skiff does not implement (C6.1).
    ///
    /// A buffer longer than 40 + Payload Length is accepted: the excess is link-layer
    /// padding that [`Ipv6Packet::payload`] leaves out.
    pub fn check_len(&self) -> Result<()> {
        let data = self.buffer.as_ref();
        if data.len() < IPV6_HEADER_LEN {
            return Err(Error::Truncated);
        }
        // CONFORMANCE C6.1: a version other than 6 never parses.
        if self.version() != 6 {
            return Err(Error::Malformed);
        }
        if self.payload_len() == 0 && self.next_header() == IpProtocol::HopByHop {
            return Err(Error::Unsupported);
        }
        if data.len() < self.total_len() {
            return Err(Error::Truncated);
        }
        Ok(())
    }

    /// Consumes the view and returns the buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// Length of the fixed header: always 40.
    pub const fn header_len(&self) -> usize {
        IPV6_HEADER_LEN
    }

    /// Header plus Payload Length: the packet's length without link padding.
    pub fn total_len(&self) -> usize {
        IPV6_HEADER_LEN + usize::from(self.payload_len())
    }

    fn ver_tc_flow(&self) -> u32 {
        let b = &self.buffer.as_ref()[field::VER_TC_FLOW];
        u32::from_be_bytes([b[0], b[1], b[2], b[3]])
    }

    /// The Version field (6 for a valid packet).
    pub fn version(&self) -> u8 {
        (self.ver_tc_flow() >> 28) as u8
    }

    /// The Traffic Class field (DSCP in the top six bits, ECN in the low two).
    pub fn traffic_class(&self) -> u8 {
        (self.ver_tc_flow() >> 20) as u8
    }

    /// The 20-bit Flow Label.
    pub fn flow_label(&self) -> u32 {
        self.ver_tc_flow() & 0x000f_ffff
    }

    /// The Payload Length field: bytes after the fixed header, extension headers included.
    pub fn payload_len(&self) -> u16 {
        let b = &self.buffer.as_ref()[field::PAYLOAD_LEN];
        u16::from_be_bytes([b[0], b[1]])
    }

    /// The Next Header field: the first extension header or the upper-layer protocol.
    pub fn next_header(&self) -> IpProtocol {
        IpProtocol::from(self.buffer.as_ref()[field::NEXT_HEADER])
    }

    /// The Hop Limit field.
    pub fn hop_limit(&self) -> u8 {
        self.buffer.as_ref()[field::HOP_LIMIT]
    }

    /// The source address.
    pub fn src_addr(&self) -> Ipv6Address {
        Ipv6Address::from(read_addr(&self.buffer.as_ref()[field::SRC_ADDR]))
    }

    /// The destination address.
    pub fn dst_addr(&self) -> Ipv6Address {
        Ipv6Address::from(read_addr(&self.buffer.as_ref()[field::DST_ADDR]))
    }

    /// The payload: exactly Payload Length bytes after the header, so trailing link-layer
    /// padding is left out (C6.1). No copy.
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[IPV6_HEADER_LEN..self.total_len()]
    }
}

fn read_addr(bytes: &[u8]) -> [u8; 16] {
    let mut out = [0u8; 16];
    out.copy_from_slice(bytes);
    out
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Ipv6Packet<T> {
    fn set_ver_tc_flow(&mut self, value: u32) {
        self.buffer.as_mut()[field::VER_TC_FLOW].copy_from_slice(&value.to_be_bytes());
    }

    /// Sets the Version field (low four bits of `value`).
    pub fn set_version(&mut self, value: u8) {
        let word = (self.ver_tc_flow() & 0x0fff_ffff) | (u32::from(value & 0x0f) << 28);
        self.set_ver_tc_flow(word);
    }

    /// Sets the Traffic Class field.
    pub fn set_traffic_class(&mut self, value: u8) {
        let word = (self.ver_tc_flow() & 0xf00f_ffff) | (u32::from(value) << 20);
        self.set_ver_tc_flow(word);
    }

    /// Sets the Flow Label (low 20 bits of `value`).
    pub fn set_flow_label(&mut self, value: u32) {
        let word = (self.ver_tc_flow() & 0xfff0_0000) | (value & 0x000f_ffff);
        self.set_ver_tc_flow(word);
    }

    /// Sets the Payload Length field.
    pub fn set_payload_len(&mut self, value: u16) {
        self.buffer.as_mut()[field::PAYLOAD_LEN].copy_from_slice(&value.to_be_bytes());
    }

    /// Sets the Next Header field.
    pub fn set_next_header(&mut self, value: IpProtocol) {
        self.buffer.as_mut()[field::NEXT_HEADER] = value.into();
    }

    /// Sets the Hop Limit field.
    pub fn set_hop_limit(&mut self, value: u8) {
        self.buffer.as_mut()[field::HOP_LIMIT] = value;
    }

    /// Sets the source address.
    pub fn set_src_addr(&mut self, value: Ipv6Address) {
        self.buffer.as_mut()[field::SRC_ADDR].copy_from_slice(&value.octets());
    }

    /// Sets the destination address.
    pub fn set_dst_addr(&mut self, value: Ipv6Address) {
        self.buffer.as_mut()[field::DST_ADDR].copy_from_slice(&value.octets());
    }

    /// The payload, mutable: Payload Length bytes after the header.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let end = self.total_len();
        &mut self.buffer.as_mut()[IPV6_HEADER_LEN..end]
    }
}

impl<T: AsRef<[u8]>> fmt::Display for Ipv6Packet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match Ipv6Packet::new_checked(self.buffer.as_ref()).and_then(|p| Ipv6Repr::parse(&p)) {
            Ok(repr) => repr.fmt(f),
            Err(err) => write!(f, "IPv6 ({err})"),
        }
    }
}

/// The fixed IPv6 header as plain values. `Copy`; owns no payload.
///
/// Every header field is captured, so `emit(parse(p))` reproduces the 40 header bytes of
/// `p` exactly. `payload_len` is the field's value, not a computed length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ipv6Repr {
    /// Source address.
    pub src_addr: Ipv6Address,
    /// Destination address.
    pub dst_addr: Ipv6Address,
    /// Next Header: the first extension header or the upper-layer protocol.
    pub next_header: IpProtocol,
    /// Payload Length: bytes after the fixed header, extension headers included.
    pub payload_len: usize,
    /// Hop Limit.
    pub hop_limit: u8,
    /// Traffic Class (DSCP and ECN).
    pub traffic_class: u8,
    /// Flow Label; only the low 20 bits are sent (RFC 6437: 0 or pseudo-random per flow).
    pub flow_label: u32,
}

impl Ipv6Repr {
    /// Reads the header of a packet. Runs [`Ipv6Packet::check_len`] first, so a view made
    /// with `new_unchecked` is safe here too.
    pub fn parse<T: AsRef<[u8]> + ?Sized>(packet: &Ipv6Packet<&T>) -> Result<Ipv6Repr> {
        packet.check_len()?;
        Ok(Ipv6Repr {
            src_addr: packet.src_addr(),
            dst_addr: packet.dst_addr(),
            next_header: packet.next_header(),
            payload_len: usize::from(packet.payload_len()),
            hop_limit: packet.hop_limit(),
            traffic_class: packet.traffic_class(),
            flow_label: packet.flow_label(),
        })
    }

    /// Bytes this repr writes: the 40-byte fixed header.
    pub const fn buffer_len(&self) -> usize {
        IPV6_HEADER_LEN
    }

    /// Writes the fixed header into the first 40 bytes of `packet`. The caller sized the
    /// buffer; `payload_len` above 65535 is written as 65535 (a caller bug, not wire input).
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, packet: &mut Ipv6Packet<T>) {
        // Version, traffic class and flow label in one word so that no stale bits survive.
        packet.set_ver_tc_flow(
            (6 << 28) | (u32::from(self.traffic_class) << 20) | (self.flow_label & 0x000f_ffff),
        );
        packet.set_payload_len(u16::try_from(self.payload_len).unwrap_or(u16::MAX));
        packet.set_next_header(self.next_header);
        packet.set_hop_limit(self.hop_limit);
        packet.set_src_addr(self.src_addr);
        packet.set_dst_addr(self.dst_addr);
    }
}

impl fmt::Display for Ipv6Repr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "IPv6 {} > {} next={} hlim={} len={}",
            self.src_addr, self.dst_addr, self.next_header, self.hop_limit, self.payload_len
        )?;
        if self.traffic_class != 0 {
            write!(f, " tc=0x{:02x}", self.traffic_class)?;
        }
        if self.flow_label != 0 {
            write!(f, " flow=0x{:05x}", self.flow_label)?;
        }
        Ok(())
    }
}

/// Address helpers that `core::net::Ipv6Addr` lacks, for Neighbour Discovery and routing.
pub trait Ipv6AddressExt {
    /// The solicited-node multicast group of this address: `ff02::1:ffXX:XXXX` with the low
    /// 24 bits of the address (RFC 4291 §2.7.1).
    fn solicited_node(&self) -> Ipv6Address;
    /// Whether this is a solicited-node multicast group (`ff02::1:ff00:0/104`).
    fn is_solicited_node_multicast(&self) -> bool;
    /// Whether this is a link-local unicast address (`fe80::/10`, RFC 4291 §2.5.6).
    fn is_link_local(&self) -> bool;
    /// This address with every bit after the first `prefix_len` cleared (a `prefix_len`
    /// above 128 keeps the whole address).
    fn mask(&self, prefix_len: u8) -> Ipv6Address;
}

impl Ipv6AddressExt for Ipv6Address {
    fn solicited_node(&self) -> Ipv6Address {
        let low24 = self.to_bits() & 0x00ff_ffff;
        Ipv6Address::from_bits(0xff02_0000_0000_0000_0000_0001_ff00_0000 | low24)
    }

    fn is_solicited_node_multicast(&self) -> bool {
        self.to_bits() & !0x00ff_ffff == 0xff02_0000_0000_0000_0000_0001_ff00_0000
    }

    fn is_link_local(&self) -> bool {
        self.segments()[0] & 0xffc0 == 0xfe80
    }

    fn mask(&self, prefix_len: u8) -> Ipv6Address {
        Ipv6Address::from_bits(self.to_bits() & prefix_mask(prefix_len))
    }
}

fn prefix_mask(prefix_len: u8) -> u128 {
    match prefix_len {
        0 => 0,
        n if n >= 128 => u128::MAX,
        n => u128::MAX << (128 - u32::from(n)),
    }
}

/// An IPv6 address with a prefix length, e.g. `2001:db8::1/64`. `Copy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ipv6Cidr {
    address: Ipv6Address,
    prefix_len: u8,
}

impl Ipv6Cidr {
    /// An address and prefix length; `None` when `prefix_len` is above 128.
    pub const fn new(address: Ipv6Address, prefix_len: u8) -> Option<Ipv6Cidr> {
        if prefix_len > 128 {
            return None;
        }
        Some(Ipv6Cidr {
            address,
            prefix_len,
        })
    }

    /// The address, host bits included.
    pub const fn address(&self) -> Ipv6Address {
        self.address
    }

    /// The prefix length in bits, 0..=128.
    pub const fn prefix_len(&self) -> u8 {
        self.prefix_len
    }

    /// The network: the address with the host bits cleared, same prefix length.
    pub fn network(&self) -> Ipv6Cidr {
        Ipv6Cidr {
            address: self.address.mask(self.prefix_len),
            prefix_len: self.prefix_len,
        }
    }

    /// Whether `addr` lies inside this prefix.
    pub fn contains_addr(&self, addr: &Ipv6Address) -> bool {
        let mask = prefix_mask(self.prefix_len);
        (self.address.to_bits() ^ addr.to_bits()) & mask == 0
    }

    /// Whether `subnet` lies entirely inside this prefix.
    pub fn contains_subnet(&self, subnet: &Ipv6Cidr) -> bool {
        self.prefix_len <= subnet.prefix_len && self.contains_addr(&subnet.address)
    }
}

impl fmt::Display for Ipv6Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.address, self.prefix_len)
    }
}

impl FromStr for Ipv6Cidr {
    type Err = Error;

    /// Parses `address/prefix_len`; `Error::Malformed` for anything else.
    fn from_str(s: &str) -> Result<Ipv6Cidr> {
        let (addr, len) = s.split_once('/').ok_or(Error::Malformed)?;
        let address = Ipv6Address::from_str(addr).map_err(|_| Error::Malformed)?;
        // u8::from_str accepts a leading '+'; a prefix length is plain digits.
        if len.is_empty() || !len.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::Malformed);
        }
        let prefix_len = u8::from_str(len).map_err(|_| Error::Malformed)?;
        Ipv6Cidr::new(address, prefix_len).ok_or(Error::Malformed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::format;
    use std::string::ToString;
    use std::vec;
    use std::vec::Vec;

    const SRC: Ipv6Address = Ipv6Address::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1);
    const DST: Ipv6Address = Ipv6Address::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 2);

    /// An ICMPv6 echo request header as Linux sends it: tc 0, flow label set, 8 bytes
    /// of payload.
    fn sample() -> Vec<u8> {
        let mut bytes = vec![
            0x60, 0x0a, 0xbc, 0xde, // version 6, tc 0x00, flow 0xabcde
            0x00, 0x08, 58, 64, // payload length 8, next header ICMPv6, hop limit 64
        ];
        bytes.extend_from_slice(&SRC.octets());
        bytes.extend_from_slice(&DST.octets());
        bytes.extend_from_slice(&[128, 0, 0x12, 0x34, 0, 1, 0, 2]);
        bytes
    }

    fn sample_repr() -> Ipv6Repr {
        Ipv6Repr {
            src_addr: SRC,
            dst_addr: DST,
            next_header: IpProtocol::Icmpv6,
            payload_len: 8,
            hop_limit: 64,
            traffic_class: 0,
            flow_label: 0xabcde,
        }
    }

    #[test]
    fn getters_read_every_header_field() {
        let bytes = sample();
        let packet = Ipv6Packet::new_checked(&bytes[..]).unwrap();
        assert_eq!(packet.version(), 6);
        assert_eq!(packet.traffic_class(), 0);
        assert_eq!(packet.flow_label(), 0xabcde);
        assert_eq!(packet.payload_len(), 8);
        assert_eq!(packet.next_header(), IpProtocol::Icmpv6);
        assert_eq!(packet.hop_limit(), 64);
        assert_eq!(packet.src_addr(), SRC);
        assert_eq!(packet.dst_addr(), DST);
        assert_eq!(packet.payload(), &[128, 0, 0x12, 0x34, 0, 1, 0, 2]);
    }

    #[test]
    fn parse_then_emit_reproduces_the_header_exactly() {
        let mut bytes = sample();
        bytes[0] = 0x6a;
        bytes[1] = 0xba; // traffic class 0xab, flow label high nibble 0xa
        let packet = Ipv6Packet::new_checked(&bytes[..]).unwrap();
        let repr = Ipv6Repr::parse(&packet).unwrap();
        assert_eq!(repr.traffic_class, 0xab);
        assert_eq!(repr.flow_label, 0xabcde);
        let mut out = vec![0xffu8; bytes.len()];
        let mut view = Ipv6Packet::new_unchecked(&mut out[..]);
        repr.emit(&mut view);
        view.payload_mut().copy_from_slice(packet.payload());
        assert_eq!(out, bytes);
        assert_eq!(repr.buffer_len(), IPV6_HEADER_LEN);
    }

    #[test]
    fn emit_then_parse_gives_back_the_repr() {
        let repr = sample_repr();
        let mut out = vec![0u8; repr.buffer_len() + repr.payload_len];
        repr.emit(&mut Ipv6Packet::new_unchecked(&mut out[..]));
        let parsed = Ipv6Repr::parse(&Ipv6Packet::new_checked(&out[..]).unwrap()).unwrap();
        assert_eq!(parsed, repr);
        assert_eq!(out[..40], sample()[..40]);
    }

    #[test]
    fn a_version_other_than_six_never_parses() {
        for version in [0u8, 4, 5, 7, 15] {
            let mut bytes = sample();
            bytes[0] = (version << 4) | (bytes[0] & 0x0f);
            assert_eq!(Ipv6Packet::new_checked(&bytes[..]), Err(Error::Malformed));
            let unchecked = Ipv6Packet::new_unchecked(&bytes[..]);
            assert_eq!(Ipv6Repr::parse(&unchecked), Err(Error::Malformed));
        }
    }

    #[test]
    fn a_buffer_shorter_than_the_fixed_header_is_truncated() {
        let bytes = sample();
        for len in 0..IPV6_HEADER_LEN {
            assert_eq!(
                Ipv6Packet::new_checked(&bytes[..len]).err(),
                Some(Error::Truncated)
            );
        }
    }

    #[test]
    fn a_payload_length_beyond_the_buffer_is_truncated() {
        let mut bytes = sample();
        bytes[5] = 9; // claims 9 bytes, 8 present
        assert_eq!(Ipv6Packet::new_checked(&bytes[..]), Err(Error::Truncated));
        bytes[4] = 0xff;
        bytes[5] = 0xff;
        assert_eq!(Ipv6Packet::new_checked(&bytes[..]), Err(Error::Truncated));
    }

    #[test]
    fn trailing_link_padding_is_left_out_of_the_payload() {
        let mut bytes = sample();
        bytes.extend_from_slice(&[0xee; 10]);
        let packet = Ipv6Packet::new_checked(&bytes[..]).unwrap();
        assert_eq!(packet.total_len(), 48);
        assert_eq!(packet.payload(), &sample()[40..]);
    }

    #[test]
    fn a_jumbogram_is_unsupported_but_an_empty_payload_is_fine() {
        let mut bytes = sample();
        bytes[4] = 0;
        bytes[5] = 0;
        bytes[6] = 0; // Hop-by-Hop with Payload Length 0: RFC 2675 jumbogram
        assert_eq!(Ipv6Packet::new_checked(&bytes[..]), Err(Error::Unsupported));
        bytes[6] = 59; // No Next Header, empty payload
        let packet = Ipv6Packet::new_checked(&bytes[..]).unwrap();
        assert!(packet.payload().is_empty());
    }

    #[test]
    fn setters_keep_the_neighbouring_bits_of_the_first_word() {
        let mut bytes = sample();
        let mut packet = Ipv6Packet::new_unchecked(&mut bytes[..]);
        packet.set_traffic_class(0xff);
        assert_eq!(packet.flow_label(), 0xabcde);
        assert_eq!(packet.version(), 6);
        packet.set_flow_label(0xfff_ffff);
        assert_eq!(packet.flow_label(), 0xf_ffff);
        assert_eq!(packet.traffic_class(), 0xff);
        packet.set_version(4);
        assert_eq!(packet.version(), 4);
        assert_eq!(packet.traffic_class(), 0xff);
    }

    #[test]
    fn display_reads_like_tcpdump() {
        let repr = sample_repr();
        assert_eq!(
            Ipv6Repr {
                flow_label: 0,
                ..repr
            }
            .to_string(),
            "IPv6 2001:db8::1 > 2001:db8::2 next=ICMPv6 hlim=64 len=8"
        );
        assert_eq!(
            Ipv6Packet::new_unchecked(&sample()[..]).to_string(),
            "IPv6 2001:db8::1 > 2001:db8::2 next=ICMPv6 hlim=64 len=8 flow=0xabcde"
        );
        assert_eq!(
            Ipv6Packet::new_unchecked(&sample()[..10]).to_string(),
            "IPv6 (truncated)"
        );
    }

    #[test]
    fn solicited_node_group_keeps_the_low_24_bits() {
        let addr = Ipv6Address::new(0x2001, 0xdb8, 0, 0, 0x0211, 0x22ff, 0xfe33, 0x4455);
        let group = addr.solicited_node();
        assert_eq!(
            group,
            Ipv6Address::new(0xff02, 0, 0, 0, 0, 1, 0xff33, 0x4455)
        );
        assert!(group.is_solicited_node_multicast());
        assert!(group.is_multicast());
        assert!(!addr.is_solicited_node_multicast());
        assert!(!IPV6_LINK_LOCAL_ALL_NODES.is_solicited_node_multicast());
    }

    #[test]
    fn link_local_is_fe80_slash_10() {
        assert!(Ipv6Address::new(0xfe80, 0, 0, 0, 0, 0, 0, 1).is_link_local());
        assert!(Ipv6Address::new(0xfebf, 0xffff, 0, 0, 0, 0, 0, 1).is_link_local());
        assert!(!Ipv6Address::new(0xfec0, 0, 0, 0, 0, 0, 0, 1).is_link_local());
        assert!(!SRC.is_link_local());
        assert!(!IPV6_LINK_LOCAL_ALL_NODES.is_link_local());
    }

    #[test]
    fn cidr_contains_its_network_and_not_outside_addresses() {
        let cidr: Ipv6Cidr = "2001:db8:1:2::77/64".parse().unwrap();
        assert_eq!(cidr.prefix_len(), 64);
        assert_eq!(cidr.network().to_string(), "2001:db8:1:2::/64");
        assert!(cidr.contains_addr(&"2001:db8:1:2:ffff::1".parse().unwrap()));
        assert!(!cidr.contains_addr(&"2001:db8:1:3::1".parse().unwrap()));
        assert!(cidr.contains_subnet(&"2001:db8:1:2:8000::/65".parse().unwrap()));
        assert!(!cidr.contains_subnet(&"2001:db8:1::/48".parse().unwrap()));
        let all = Ipv6Cidr::new(Ipv6Address::UNSPECIFIED, 0).unwrap();
        assert!(all.contains_addr(&DST));
        let host = Ipv6Cidr::new(DST, 128).unwrap();
        assert!(host.contains_addr(&DST));
        assert!(!host.contains_addr(&SRC));
        assert_eq!(host.to_string(), "2001:db8::2/128");
    }

    #[test]
    fn cidr_rejects_prefix_lengths_above_128_and_junk() {
        assert_eq!(Ipv6Cidr::new(DST, 129), None);
        for bad in [
            "2001:db8::/129",
            "2001:db8::",
            "2001:db8::/",
            "2001:db8::/+64",
            "2001:db8::/64/1",
            "192.0.2.1/24",
            "/64",
            "2001:db8::/999",
        ] {
            assert_eq!(bad.parse::<Ipv6Cidr>(), Err(Error::Malformed), "{bad}");
        }
    }

    #[test]
    fn every_truncation_and_random_bytes_neither_panic_nor_over_read() {
        let bytes = sample();
        for len in 0..=bytes.len() {
            let cut = &bytes[..len];
            let ok = Ipv6Packet::new_checked(cut).and_then(|p| Ipv6Repr::parse(&p));
            assert_eq!(ok.is_ok(), len == bytes.len());
            let _ = format!("{}", Ipv6Packet::new_unchecked(cut));
        }
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut buf = [0u8; 64];
        for _ in 0..4000 {
            for b in buf.iter_mut() {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                *b = state as u8;
            }
            // Make version 6 common so the length checks are exercised too.
            if state & 1 == 0 {
                buf[0] = 0x60 | (buf[0] & 0x0f);
                buf[4] = 0;
            }
            let len = (state >> 8) as usize % (buf.len() + 1);
            if let Ok(packet) = Ipv6Packet::new_checked(&buf[..len]) {
                let repr = Ipv6Repr::parse(&packet).unwrap();
                assert!(IPV6_HEADER_LEN + repr.payload_len <= len);
                assert_eq!(packet.payload().len(), repr.payload_len);
            }
            let _ = format!("{}", Ipv6Packet::new_unchecked(&buf[..len]));
        }
    }
}
