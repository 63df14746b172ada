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
//! # Embedding skiff in your event loop
//!
//! skiff has no thread, no timer and no I/O of its own. The program that embeds it owns
//! the loop, the clock and the device, and calls in:
//!
//! - **Poll after readiness or a deadline.** Call [`Interface::poll`] when the device has
//!   a frame, when the deadline the stack last gave has come, and after your code wrote
//!   to a socket. A poll takes in at most `Config::frame_budget` frames, runs the timers
//!   that are due and sends what the sockets have queued; it never blocks or sleeps.
//! - **Ask when to come back.** [`Interface::poll_at`] is the instant of the next timer
//!   (or `now` when a socket has something to send); [`Interface::poll_delay`] is the
//!   same as a duration to sleep. `None` means "only when a frame arrives".
//! - **Wait on the device.** `skiff-phy`'s TAP and AF_PACKET devices are non-blocking
//!   file descriptors (`AsFd`): sleep in `skiff_phy::wait`, epoll, mio or tokio's
//!   `AsyncFd` until the descriptor is readable or the delay has passed. An
//!   edge-triggered reactor (tokio, mio) says "readable" once per edge: clear its
//!   readiness before the poll reads, and when a poll used its whole frame budget
//!   (`Counters::rx_budget_exhausted` grew), poll again before waiting.
//!   `examples/tokio_echo.rs` shows all of it in one tokio task.
//! - **The clock is yours.** Every call that may act on time takes `now`; the stack never
//!   reads a clock. Give it a monotonic one (`skiff_phy::Clock`) in a program, a virtual
//!   one in a test or a simulation, where time can jump to the next deadline.
//! - **Same inputs, same outputs.** The same configuration and seed, the same frames at
//!   the same instants and the same socket calls give the same frames out, so a failing
//!   run can be replayed exactly (the `sim` feature is built on this).
//!
//! The loop in full, over the in-memory [`phy::Loopback`] (what the interface sends, it
//! receives), with virtual time: a UDP echo between two sockets of one interface.
//!
//! ```
//! use skiff::iface::{Config, Interface};
//! use skiff::phy::{Loopback, Medium};
//! use skiff::socket::{SocketSet, udp};
//! use skiff::time::Instant;
//!
//! let mut device = Loopback::new(Medium::Ip, 16);
//! let mut iface = Interface::new(Config::new(None, 1), &mut device, Instant::ZERO);
//! iface.add_ip_addr("192.0.2.1/24".parse().unwrap());
//! let mut sockets = SocketSet::with_capacity(2, 1);
//! let mut server = udp::Socket::with_capacity(4, 1500);
//! server.bind(7).unwrap();
//! let server = sockets.add_socket(server).unwrap();
//! let mut client = udp::Socket::with_capacity(4, 1500);
//! client.bind(4000).unwrap();
//! let to: core::net::SocketAddr = "192.0.2.1:7".parse().unwrap();
//! client.send_slice(b"ping", to).unwrap();
//! let client = sockets.add_socket(client).unwrap();
//!
//! let (mut now, mut buf) = (Instant::ZERO, [0u8; 1500]);
//! let reply = loop {
//!     iface.poll(now, &mut device, &mut sockets);
//!     // Your code, between polls: the server echoes, the client waits for the echo.
//!     let mut s = sockets.get_mut_as::<udp::Socket>(server).unwrap();
//!     if let Ok((n, meta)) = s.recv_slice(&mut buf) {
//!         s.send_slice(&buf[..n], meta.remote).unwrap();
//!     }
//!     drop(s);
//!     let got = sockets.get_mut_as::<udp::Socket>(client).unwrap().recv_slice(&mut buf);
//!     if let Ok((n, _)) = got {
//!         break buf[..n].to_vec();
//!     }
//!     // Then wait. A loopback frame is readable at once; otherwise sleep until the
//!     // deadline (time jumps there; a program would block in epoll or tokio).
//!     if device.queued() == 0 {
//!         now = iface.poll_at(now, &sockets).expect("the stack has a deadline");
//!     }
//! };
//! assert_eq!(reply, b"ping");
//! ```
//!
//! [`Interface::poll`]: iface::Interface::poll
//! [`Interface::poll_at`]: iface::Interface::poll_at
//! [`Interface::poll_delay`]: iface::Interface::poll_delay
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
