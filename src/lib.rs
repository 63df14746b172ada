//! skiff: a TCP/IP stack for programs that bring their own event loop.
//!
//! The core is `no_std`, free of `unsafe`, reads no clock and draws no randomness: every
//! call that may act on time takes an explicit [`time::Instant`], so the same inputs give
//! the same frames out. OS-backed devices live in the separate `skiff-phy` crate.
//!
//! Layers, bottom up:
//! - [`time`]: `Instant` and `Duration` in microseconds, the only notion of time.
//! - [`wire`]: zero-copy views (`XPacket<T>`) and plain representations (`XRepr`) for
//!   Ethernet, ARP, IPv4, IPv6, ICMPv4, ICMPv6/NDP, UDP and TCP; the internet checksum.
//! - [`pcap`]: a pcap file writer and reader, for captures a user opens in Wireshark.
//! - [`trace`]: TCP ladder diagrams of live traffic or a capture, in textbook notation.
//!
//! Building a UDP datagram in IPv4 in Ethernet with the emitters, then reading it back:
//!
//! ```
//! use skiff::wire::{
//!     ChecksumCapabilities, EthernetAddress, EthernetFrame, EthernetProtocol, EthernetRepr,
//!     IpAddress, IpProtocol, Ipv4Address, Ipv4Packet, Ipv4Repr, UdpPacket, UdpRepr,
//! };
//!
//! let caps = ChecksumCapabilities::default();
//! let (src, dst) = (Ipv4Address::new(192, 0, 2, 1), Ipv4Address::new(192, 0, 2, 2));
//! let payload = b"hello skiff";
//! let udp = UdpRepr { src_port: 49152, dst_port: 7 };
//! let ip = Ipv4Repr::new(src, dst, IpProtocol::Udp, udp.buffer_len(payload.len()), 64);
//! let eth = EthernetRepr {
//!     src_addr: EthernetAddress([0x02, 0, 0, 0, 0, 1]),
//!     dst_addr: EthernetAddress([0x02, 0, 0, 0, 0, 2]),
//!     ethertype: EthernetProtocol::Ipv4,
//!     vlan: None,
//! };
//!
//! let mut frame = vec![0u8; eth.buffer_len() + ip.buffer_len() + udp.buffer_len(payload.len())];
//! let mut view = EthernetFrame::new_unchecked(&mut frame[..]);
//! eth.emit(&mut view);
//! let mut ip_view = Ipv4Packet::new_unchecked(view.payload_mut());
//! ip.emit(&mut ip_view, &caps);
//! let mut udp_view = UdpPacket::new_unchecked(ip_view.payload_mut());
//! let (s, d) = (IpAddress::V4(src), IpAddress::V4(dst));
//! udp.emit(&mut udp_view, &s, &d, payload.len(), |buf| buf.copy_from_slice(payload), &caps);
//!
//! // Parsing verifies both checksums and bounds every payload by its length field.
//! let dissected = skiff::wire::frame::dissect_ethernet(&frame, &caps).unwrap();
//! assert_eq!(dissected.to_string(), "UDP 192.0.2.1:49152 > 192.0.2.2:7 len=11");
//! ```
//!
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(any(feature = "std", test))]
extern crate std;

#[macro_use]
mod macros;

pub mod iface;
pub mod pcap;
pub mod phy;
pub mod rand;
#[cfg(feature = "sim")]
pub mod sim;
pub mod socket;
pub mod storage;
pub mod time;
pub mod trace;
pub mod wire;
