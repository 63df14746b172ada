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

pub mod pcap;
pub mod time;
pub mod wire;
