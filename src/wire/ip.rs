//! What IPv4 and IPv6 share: protocol numbers, addresses and the pseudo-header sum.
//!
//! Addresses are the standard library's `core::net` types, so users never convert.

use core::fmt;

use super::checksum;
use super::{
    ChecksumCapabilities, IPV6_HEADER_LEN, Ipv4Cidr, Ipv4Packet, Ipv4Repr, Ipv6Cidr, Ipv6Packet,
    Ipv6Repr,
};

pub use core::net::{IpAddr as IpAddress, Ipv4Addr as Ipv4Address, Ipv6Addr as Ipv6Address};

enum_with_unknown! {
    /// The IPv4 Protocol / IPv6 Next Header number (IANA "Assigned Internet Protocol
    /// Numbers"), including the IPv6 extension headers skiff walks.
    pub enum IpProtocol(u8) {
        /// IPv6 Hop-by-Hop Options.
        HopByHop = 0,
        /// ICMP for IPv4.
        Icmp = 1,
        /// IGMP.
        Igmp = 2,
        /// TCP.
        Tcp = 6,
        /// UDP.
        Udp = 17,
        /// IPv6 Routing header.
        Ipv6Route = 43,
        /// IPv6 Fragment header.
        Ipv6Frag = 44,
        /// Encapsulating Security Payload.
        Esp = 50,
        /// Authentication Header.
        Ah = 51,
        /// ICMP for IPv6.
        Icmpv6 = 58,
        /// IPv6 "no next header".
        Ipv6NoNxt = 59,
        /// IPv6 Destination Options.
        Ipv6Opts = 60,
    }
}

impl core::fmt::Display for IpProtocol {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            IpProtocol::HopByHop => f.write_str("HopByHop"),
            IpProtocol::Icmp => f.write_str("ICMP"),
            IpProtocol::Igmp => f.write_str("IGMP"),
            IpProtocol::Tcp => f.write_str("TCP"),
            IpProtocol::Udp => f.write_str("UDP"),
            IpProtocol::Ipv6Route => f.write_str("IPv6-Route"),
            IpProtocol::Ipv6Frag => f.write_str("IPv6-Frag"),
            IpProtocol::Esp => f.write_str("ESP"),
            IpProtocol::Ah => f.write_str("AH"),
            IpProtocol::Icmpv6 => f.write_str("ICMPv6"),
            IpProtocol::Ipv6NoNxt => f.write_str("IPv6-NoNxt"),
            IpProtocol::Ipv6Opts => f.write_str("IPv6-Opts"),
            IpProtocol::Unknown(n) => write!(f, "proto-{n}"),
        }
    }
}

/// The pseudo-header sum for an upper-layer checksum (TCP, UDP, ICMPv6) over either IP
/// version. `None` when the two addresses are of different versions, which no real packet
/// has. `length` is the upper-layer length (header plus payload).
pub fn pseudo_header_sum(
    src: &IpAddress,
    dst: &IpAddress,
    protocol: IpProtocol,
    length: u32,
) -> Option<u16> {
    match (src, dst) {
        (IpAddress::V4(s), IpAddress::V4(d)) => {
            let length = u16::try_from(length).ok()?;
            Some(checksum::pseudo_header_v4(s, d, protocol.into(), length))
        }
        (IpAddress::V6(s), IpAddress::V6(d)) => {
            Some(checksum::pseudo_header_v6(s, d, protocol.into(), length))
        }
        _ => None,
    }
}

/// An IP header of either version: what sockets and the interface pass around.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IpRepr {
    /// An IPv4 header.
    Ipv4(Ipv4Repr),
    /// An IPv6 header (without extension headers).
    Ipv6(Ipv6Repr),
}

impl IpRepr {
    /// Source address.
    pub fn src_addr(&self) -> IpAddress {
        match self {
            IpRepr::Ipv4(r) => IpAddress::V4(r.src_addr),
            IpRepr::Ipv6(r) => IpAddress::V6(r.src_addr),
        }
    }

    /// Destination address.
    pub fn dst_addr(&self) -> IpAddress {
        match self {
            IpRepr::Ipv4(r) => IpAddress::V4(r.dst_addr),
            IpRepr::Ipv6(r) => IpAddress::V6(r.dst_addr),
        }
    }

    /// The protocol of the payload.
    pub fn next_header(&self) -> IpProtocol {
        match self {
            IpRepr::Ipv4(r) => r.next_header,
            IpRepr::Ipv6(r) => r.next_header,
        }
    }

    /// Length of the payload.
    pub fn payload_len(&self) -> usize {
        match self {
            IpRepr::Ipv4(r) => r.payload_len,
            IpRepr::Ipv6(r) => r.payload_len,
        }
    }

    /// TTL / hop limit.
    pub fn hop_limit(&self) -> u8 {
        match self {
            IpRepr::Ipv4(r) => r.hop_limit,
            IpRepr::Ipv6(r) => r.hop_limit,
        }
    }

    /// The ECN field (RFC 3168 §5): the low two bits of the TOS or traffic class.
    pub fn ecn(&self) -> u8 {
        match self {
            IpRepr::Ipv4(r) => r.ecn & 0x03,
            IpRepr::Ipv6(r) => r.traffic_class & 0x03,
        }
    }

    /// Length of the header.
    pub fn header_len(&self) -> usize {
        match self {
            IpRepr::Ipv4(r) => r.buffer_len(),
            IpRepr::Ipv6(_) => IPV6_HEADER_LEN,
        }
    }

    /// Length of the whole packet, header and payload.
    pub fn total_len(&self) -> usize {
        self.header_len() + self.payload_len()
    }

    /// Writes the header at the start of `buffer`, which must hold at least
    /// [`IpRepr::total_len`] bytes; returns the payload part of `buffer`.
    pub fn emit<'b>(&self, buffer: &'b mut [u8], caps: &ChecksumCapabilities) -> &'b mut [u8] {
        let header_len = self.header_len();
        match self {
            IpRepr::Ipv4(r) => r.emit(&mut Ipv4Packet::new_unchecked(&mut *buffer), caps),
            IpRepr::Ipv6(r) => r.emit(&mut Ipv6Packet::new_unchecked(&mut *buffer)),
        }
        &mut buffer[header_len..]
    }
}

impl fmt::Display for IpRepr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IpRepr::Ipv4(r) => write!(f, "{r}"),
            IpRepr::Ipv6(r) => write!(f, "{r}"),
        }
    }
}

/// An interface address with its prefix, of either IP version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IpCidr {
    /// An IPv4 address and prefix.
    V4(Ipv4Cidr),
    /// An IPv6 address and prefix.
    V6(Ipv6Cidr),
}

impl IpCidr {
    /// The address part.
    pub fn address(&self) -> IpAddress {
        match self {
            IpCidr::V4(c) => IpAddress::V4(c.address()),
            IpCidr::V6(c) => IpAddress::V6(c.address()),
        }
    }

    /// The prefix length.
    pub fn prefix_len(&self) -> u8 {
        match self {
            IpCidr::V4(c) => c.prefix_len(),
            IpCidr::V6(c) => c.prefix_len(),
        }
    }

    /// Whether `addr` is inside this prefix (always false across versions).
    pub fn contains_addr(&self, addr: &IpAddress) -> bool {
        match (self, addr) {
            (IpCidr::V4(c), IpAddress::V4(a)) => c.contains_addr(a),
            (IpCidr::V6(c), IpAddress::V6(a)) => c.contains_addr(a),
            _ => false,
        }
    }
}

impl From<Ipv4Cidr> for IpCidr {
    fn from(c: Ipv4Cidr) -> Self {
        IpCidr::V4(c)
    }
}

impl From<Ipv6Cidr> for IpCidr {
    fn from(c: Ipv6Cidr) -> Self {
        IpCidr::V6(c)
    }
}

impl fmt::Display for IpCidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IpCidr::V4(c) => write!(f, "{c}"),
            IpCidr::V6(c) => write!(f, "{c}"),
        }
    }
}

impl core::str::FromStr for IpCidr {
    type Err = super::Error;

    /// `192.0.2.1/24` or `2001:db8::1/64`.
    fn from_str(s: &str) -> super::Result<IpCidr> {
        if s.contains(':') {
            s.parse::<Ipv6Cidr>().map(IpCidr::V6)
        } else {
            s.parse::<Ipv4Cidr>().map(IpCidr::V4)
        }
    }
}

/// A local endpoint to bind to: a port and, optionally, one of the interface's addresses
/// (`None` accepts traffic to any of them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct IpListenEndpoint {
    /// The local address, or `None` for all addresses.
    pub addr: Option<IpAddress>,
    /// The local port.
    pub port: u16,
}

impl From<u16> for IpListenEndpoint {
    fn from(port: u16) -> Self {
        IpListenEndpoint { addr: None, port }
    }
}

impl From<core::net::SocketAddr> for IpListenEndpoint {
    fn from(sa: core::net::SocketAddr) -> Self {
        IpListenEndpoint {
            addr: Some(sa.ip()),
            port: sa.port(),
        }
    }
}

impl fmt::Display for IpListenEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.addr {
            Some(addr) => write!(f, "{}", core::net::SocketAddr::new(addr, self.port)),
            None => write!(f, "*:{}", self.port),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_numbers_round_trip_including_unknown_ones() {
        for n in 0..=255u8 {
            assert_eq!(u8::from(IpProtocol::from(n)), n);
        }
        assert_eq!(IpProtocol::from(6), IpProtocol::Tcp);
        assert_eq!(IpProtocol::from(200), IpProtocol::Unknown(200));
    }

    #[test]
    fn cidrs_of_either_version_parse_and_contain_their_subnet() {
        let v4: IpCidr = "192.0.2.1/24".parse().unwrap();
        let v6: IpCidr = "2001:db8::1/64".parse().unwrap();
        assert!(v4.contains_addr(&IpAddress::V4(Ipv4Address::new(192, 0, 2, 200))));
        assert!(!v4.contains_addr(&IpAddress::V4(Ipv4Address::new(192, 0, 3, 1))));
        assert!(v6.contains_addr(&"2001:db8::ffff".parse().unwrap()));
        assert!(!v6.contains_addr(&IpAddress::V4(Ipv4Address::new(192, 0, 2, 1))));
        assert_eq!(v4.prefix_len(), 24);
        assert_eq!(std::format!("{v6}"), "2001:db8::1/64");
        assert!("300.1.1.1/24".parse::<IpCidr>().is_err());
    }

    #[test]
    fn pseudo_header_sum_refuses_mixed_versions_and_oversized_v4_lengths() {
        let v4 = IpAddress::V4(Ipv4Address::new(192, 0, 2, 1));
        let v6 = IpAddress::V6(Ipv6Address::LOCALHOST);
        assert_eq!(pseudo_header_sum(&v4, &v6, IpProtocol::Tcp, 20), None);
        assert_eq!(pseudo_header_sum(&v4, &v4, IpProtocol::Tcp, 70_000), None);
        assert!(pseudo_header_sum(&v6, &v6, IpProtocol::Tcp, 70_000).is_some());
    }
}
