//! Whole-frame dissection: an Ethernet frame (or a bare IP packet) parsed down to its
//! transport header in one call, with a one-line `Display` in the notation of tcpdump.
//!
//! This is what tracing, pcap dumps and the `ethernet_frame` fuzz target use. It borrows
//! the frame; nothing is copied. The interface's ingress path does the same walk with
//! policy checks at each step; this module only reports what the bytes say.

use core::fmt;
use core::net::SocketAddr;

use super::{
    ArpPacket, ArpRepr, ChecksumCapabilities, Error, EthernetFrame, EthernetProtocol, EthernetRepr,
    Icmpv4Packet, Icmpv4Repr, IpAddress, IpProtocol, Ipv4Packet, Ipv4Repr, Result, TcpPacket,
    TcpRepr, UdpPacket, UdpRepr,
};
use super::{Icmpv6Packet, Icmpv6Repr, Ipv6Packet, Ipv6Repr, walk_ext_headers};

/// The network layer of a dissected frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Network {
    /// An ARP packet (the frame ends there).
    Arp(ArpRepr),
    /// An IPv4 header.
    Ipv4(Ipv4Repr),
    /// An IPv6 header.
    Ipv6(Ipv6Repr),
}

/// The transport layer of a dissected IP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport<'a> {
    /// A TCP segment.
    Tcp(TcpRepr<'a>),
    /// A UDP datagram and its payload (bounded by the UDP length field).
    Udp {
        /// Ports.
        repr: UdpRepr,
        /// The datagram's payload.
        payload: &'a [u8],
    },
    /// An ICMPv4 message.
    Icmpv4(Icmpv4Repr<'a>),
    /// An ICMPv6 message, NDP included.
    Icmpv6(Icmpv6Repr<'a>),
    /// A fragment of a larger datagram: its transport header cannot be read (or, for the
    /// first fragment, its checksum cannot be checked) until reassembly.
    Fragment {
        /// Offset of this fragment's data in the original datagram, in bytes.
        offset: u16,
        /// Whether more fragments follow.
        more: bool,
        /// The protocol of the reassembled payload.
        protocol: IpProtocol,
        /// Length of this fragment's data.
        len: usize,
    },
    /// A protocol skiff does not dissect.
    Other {
        /// Its protocol number.
        protocol: IpProtocol,
        /// Its bytes.
        payload: &'a [u8],
    },
    /// The transport header did not parse.
    Invalid {
        /// The protocol the IP header named.
        protocol: IpProtocol,
        /// Why it did not parse.
        error: Error,
    },
}

/// A frame parsed as deep as its headers allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame<'a> {
    /// The Ethernet header, or `None` for a bare IP packet.
    pub ethernet: Option<EthernetRepr>,
    /// The network-layer header.
    pub network: Network,
    /// The transport layer, for IP packets.
    pub transport: Option<Transport<'a>>,
}

/// Dissects an Ethernet II frame. `Err` when the Ethernet, ARP or IP header itself is
/// invalid (or the EtherType is not one skiff speaks); a bad transport header is reported
/// as [`Transport::Invalid`] so the IP layer stays visible.
pub fn dissect_ethernet<'a>(frame: &'a [u8], caps: &ChecksumCapabilities) -> Result<Frame<'a>> {
    let view = EthernetFrame::new_checked(frame)?;
    let ethernet = EthernetRepr::parse(&view)?;
    let payload = &frame[ethernet.buffer_len()..];
    let mut dissected = match ethernet.ethertype {
        EthernetProtocol::Arp => {
            let arp = ArpRepr::parse(&ArpPacket::new_checked(payload)?)?;
            Frame {
                ethernet: None,
                network: Network::Arp(arp),
                transport: None,
            }
        }
        EthernetProtocol::Ipv4 | EthernetProtocol::Ipv6 => dissect_ip(payload, caps)?,
        _ => return Err(Error::Unsupported),
    };
    dissected.ethernet = Some(ethernet);
    Ok(dissected)
}

/// Dissects a bare IPv4 or IPv6 packet (a raw-IP capture, or an IP-medium device),
/// choosing the version from the first nibble.
pub fn dissect_ip<'a>(packet: &'a [u8], caps: &ChecksumCapabilities) -> Result<Frame<'a>> {
    match packet.first().map(|b| b >> 4) {
        Some(4) => dissect_ipv4(packet, caps),
        Some(6) => dissect_ipv6(packet, caps),
        Some(_) => Err(Error::Malformed),
        None => Err(Error::Truncated),
    }
}

fn dissect_ipv4<'a>(packet: &'a [u8], caps: &ChecksumCapabilities) -> Result<Frame<'a>> {
    let view = Ipv4Packet::new_checked(packet)?;
    let ip = Ipv4Repr::parse(&view, caps)?;
    // The view bounds the payload by the total length, so link padding is not payload.
    let start = view.header_len();
    let end = view.total_len() as usize;
    let payload = packet.get(start..end).ok_or(Error::Truncated)?;
    let transport = if ip.is_fragment() {
        Transport::Fragment {
            offset: ip.frag_offset,
            more: ip.more_frags,
            protocol: ip.next_header,
            len: payload.len(),
        }
    } else {
        let (src, dst) = (IpAddress::V4(ip.src_addr), IpAddress::V4(ip.dst_addr));
        match ip.next_header {
            IpProtocol::Icmp => wrap(
                IpProtocol::Icmp,
                Icmpv4Packet::new_checked(payload)
                    .and_then(|p| Icmpv4Repr::parse(&p, caps))
                    .map(Transport::Icmpv4),
            ),
            protocol => dissect_transport(protocol, payload, src, dst, caps),
        }
    };
    Ok(Frame {
        ethernet: None,
        network: Network::Ipv4(ip),
        transport: Some(transport),
    })
}

fn dissect_ipv6<'a>(packet: &'a [u8], caps: &ChecksumCapabilities) -> Result<Frame<'a>> {
    let view = Ipv6Packet::new_checked(packet)?;
    let ip = Ipv6Repr::parse(&view)?;
    // Payload Length bounds the payload; link padding after it is not part of it.
    let end = 40 + usize::from(view.payload_len());
    let payload = packet.get(40..end).ok_or(Error::Truncated)?;
    let chain = walk_ext_headers(ip.next_header, payload)?;
    let upper = payload
        .get(chain.upper_layer_offset..)
        .ok_or(Error::Truncated)?;
    let transport = match chain.fragment {
        Some((_, frag)) if !frag.is_atomic() => Transport::Fragment {
            offset: frag.frag_offset,
            more: frag.more_frags,
            protocol: chain.upper_layer,
            len: upper.len(),
        },
        _ => {
            let (src, dst) = (IpAddress::V6(ip.src_addr), IpAddress::V6(ip.dst_addr));
            match chain.upper_layer {
                IpProtocol::Icmpv6 => wrap(
                    IpProtocol::Icmpv6,
                    Icmpv6Packet::new_checked(upper)
                        .and_then(|p| Icmpv6Repr::parse(&ip.src_addr, &ip.dst_addr, &p, caps))
                        .map(Transport::Icmpv6),
                ),
                protocol => dissect_transport(protocol, upper, src, dst, caps),
            }
        }
    };
    Ok(Frame {
        ethernet: None,
        network: Network::Ipv6(ip),
        transport: Some(transport),
    })
}

/// TCP, UDP or anything else, over either IP version.
fn dissect_transport<'a>(
    protocol: IpProtocol,
    payload: &'a [u8],
    src: IpAddress,
    dst: IpAddress,
    caps: &ChecksumCapabilities,
) -> Transport<'a> {
    match protocol {
        IpProtocol::Tcp => wrap(
            protocol,
            TcpPacket::new_checked(payload)
                .and_then(|p| TcpRepr::parse(&p, &src, &dst, caps))
                .map(Transport::Tcp),
        ),
        IpProtocol::Udp => wrap(
            protocol,
            UdpPacket::new_checked(payload).and_then(|p| {
                let repr = UdpRepr::parse(&p, &src, &dst, caps)?;
                // The payload is bounded by the UDP length field (CONFORMANCE D1.1).
                let len = usize::from(p.len());
                let payload = payload.get(8..len).ok_or(Error::Truncated)?;
                Ok(Transport::Udp { repr, payload })
            }),
        ),
        protocol => Transport::Other { protocol, payload },
    }
}

fn wrap(protocol: IpProtocol, result: Result<Transport<'_>>) -> Transport<'_> {
    result.unwrap_or_else(|error| Transport::Invalid { protocol, error })
}

impl Frame<'_> {
    fn addresses(&self) -> Option<(IpAddress, IpAddress)> {
        match self.network {
            Network::Ipv4(ip) => Some((ip.src_addr.into(), ip.dst_addr.into())),
            Network::Ipv6(ip) => Some((ip.src_addr.into(), ip.dst_addr.into())),
            Network::Arp(_) => None,
        }
    }
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Network::Arp(r) => write!(f, "{r}"),
            Network::Ipv4(r) => write!(f, "{r}"),
            Network::Ipv6(r) => write!(f, "{r}"),
        }
    }
}

impl fmt::Display for Frame<'_> {
    /// One line: `TCP 192.0.2.1:49152 > 192.0.2.2:80 [SYN] seq=...`, `UDP a:p > b:q
    /// len=N`, `IPv4 ... | ICMPv4 echo request ...`, `ARP who-has ...`. With `{:#}` the
    /// Ethernet header is prefixed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if f.alternate() {
            if let Some(eth) = &self.ethernet {
                write!(f, "{eth} | ")?;
            }
        }
        let Some((src, dst)) = self.addresses() else {
            return write!(f, "{}", self.network);
        };
        match &self.transport {
            Some(Transport::Tcp(tcp)) => write!(f, "{}", tcp.display_with(src, dst)),
            Some(Transport::Udp { repr, payload }) => write!(
                f,
                "UDP {} > {} len={}",
                SocketAddr::new(src, repr.src_port),
                SocketAddr::new(dst, repr.dst_port),
                payload.len()
            ),
            Some(Transport::Icmpv4(icmp)) => write!(f, "{} | {icmp}", self.network),
            Some(Transport::Icmpv6(icmp)) => write!(f, "{} | {icmp}", self.network),
            Some(Transport::Fragment {
                offset,
                more,
                protocol,
                len,
            }) => write!(
                f,
                "{} | fragment of {protocol} off={offset} len={len}{}",
                self.network,
                if *more { " MF" } else { "" }
            ),
            Some(Transport::Other { protocol, payload }) => {
                write!(f, "{} | {protocol} len={}", self.network, payload.len())
            }
            Some(Transport::Invalid { protocol, error }) => {
                write!(f, "{} | {protocol} invalid ({error})", self.network)
            }
            None => write!(f, "{}", self.network),
        }
    }
}
