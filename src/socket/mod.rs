//! Sockets: protocol state machines that the interface feeds packets to and asks for
//! packets from. They never see a device or the interface (no arrow points up).
//!
//! The datagram sockets ([`udp`], [`icmp`], [`raw`]) share one shape: a receive and a
//! transmit [`PacketBuffer`](crate::storage::PacketBuffer) fixed at construction, user
//! methods (`bind`, `send_*`, `recv_*`) that return the small error enums defined here,
//! and two crate-internal methods the interface drives: `process` (a datagram arrived;
//! copy it into the receive buffer or drop and count it) and `dispatch` (hand the oldest
//! queued datagram to an emit closure). The [`Socket`] enum holds any of them in one
//! [`SocketSet`]; [`AnySocket`] converts between the enum and each kind.

use core::fmt;

pub mod icmp;
pub mod raw;
pub mod set;
pub mod tcp;
pub mod udp;

pub use self::set::{
    DemuxKey, IndexStats, IndexStorage, Indexed, InsertError, SetMut, SlotStorage, SocketHandle,
};

use crate::time::Instant;

/// Why a socket could not be bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BindError {
    /// The socket is already bound; close it first.
    InvalidState,
    /// The endpoint cannot be bound to (UDP port 0).
    Unaddressable,
}

impl fmt::Display for BindError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BindError::InvalidState => f.write_str("socket already bound"),
            BindError::Unaddressable => f.write_str("endpoint cannot be bound"),
        }
    }
}

impl core::error::Error for BindError {}

/// Why a datagram could not be queued for sending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SendError {
    /// The datagram cannot be addressed: the socket is unbound, the remote address is
    /// unspecified or its port 0, the hop limit is 0, or (raw and ICMP sockets) the bytes
    /// are not a well-formed packet of the socket's kind.
    Unaddressable,
    /// The transmit buffer has no room for it now (or, if it is larger than the whole
    /// buffer, ever).
    BufferFull,
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendError::Unaddressable => f.write_str("datagram cannot be addressed"),
            SendError::BufferFull => f.write_str("transmit buffer full"),
        }
    }
}

impl core::error::Error for SendError {}

/// Why nothing (or not everything) was received.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecvError {
    /// No datagram is queued.
    Exhausted,
    /// The datagram was longer than the caller's slice. It has been consumed; the slice
    /// holds its first `slice.len()` bytes and the rest is lost (as POSIX `recv` does
    /// without `MSG_PEEK`).
    Truncated,
}

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecvError::Exhausted => f.write_str("receive buffer empty"),
            RecvError::Truncated => f.write_str("datagram truncated to the receive slice"),
        }
    }
}

impl core::error::Error for RecvError {}

/// What an interface's emit closure reports back to a socket's `dispatch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DispatchError {
    /// The device has no room now: the socket keeps the datagram for the next poll.
    Exhausted,
    /// The datagram cannot be sent (no route, no source address, ...): the socket
    /// discards it and counts it in `tx_dropped`.
    Dropped,
}

impl fmt::Display for DispatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DispatchError::Exhausted => f.write_str("device exhausted"),
            DispatchError::Dropped => f.write_str("datagram dropped"),
        }
    }
}

impl core::error::Error for DispatchError {}

/// Datagram counters of a UDP, ICMP or raw socket. They only grow (wrapping at 2^64).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DatagramCounters {
    /// Datagrams queued into the receive buffer.
    pub rx_datagrams: u64,
    /// Datagrams that arrived for this socket but found the receive buffer full (or were
    /// larger than all of it).
    pub rx_dropped: u64,
    /// Datagrams handed to the interface, which sent them.
    pub tx_datagrams: u64,
    /// Queued datagrams the interface could not send and discarded (no route, ...).
    pub tx_dropped: u64,
    /// ICMP errors received about datagrams this socket sent (RFC 1122 §4.1.3.3, D1.6).
    pub icmp_errors: u64,
}

/// An ICMP error about a datagram a socket sent, as the socket reports it to its user
/// (CONFORMANCE D1.6, C5.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IcmpErrorReport {
    /// Who sent the error (the peer, or a router on the way).
    pub from: crate::wire::IpAddress,
    /// The destination of the datagram the error is about.
    pub remote: core::net::SocketAddr,
    /// ICMP type and code, as on the wire (ICMPv4 or ICMPv6 by the address family).
    pub icmp_type: u8,
    /// The code.
    pub icmp_code: u8,
    /// The MTU that an ICMPv4 Fragmentation Needed (type 3, code 4; RFC 1191 §4) or an
    /// ICMPv6 Packet Too Big (type 2) reports for the next hop; `None` for other errors.
    pub next_hop_mtu: Option<u32>,
}

/// Shared bookkeeping of `dispatch` across the datagram sockets: what to do with the
/// oldest queued datagram once the emit closure has answered.
fn finish_dispatch(
    counters: &mut DatagramCounters,
    result: Result<(), DispatchError>,
) -> (bool, Result<(), DispatchError>) {
    match result {
        Ok(()) => {
            counters.tx_datagrams = counters.tx_datagrams.wrapping_add(1);
            (true, Ok(()))
        }
        // Keep it: the device may have room at the next poll.
        Err(DispatchError::Exhausted) => (false, result),
        Err(DispatchError::Dropped) => {
            counters.tx_dropped = counters.tx_dropped.wrapping_add(1);
            (true, result)
        }
    }
}

/// Any socket the stack offers, as one type so that one [`SocketSet`] holds them all.
// A TCP socket (with its 32-range assembler) is several times larger than a datagram
// socket; boxing it would need a heap, which the core does not assume.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Socket<'a> {
    /// A UDP socket.
    Udp(udp::Socket<'a>),
    /// An ICMP (ping) socket.
    Icmp(icmp::Socket<'a>),
    /// A raw IP socket.
    Raw(raw::Socket<'a>),
    /// A TCP socket.
    Tcp(tcp::Socket<'a>),
}

impl Indexed for Socket<'_> {
    fn demux_key(&self) -> Option<DemuxKey> {
        match self {
            Socket::Udp(s) => s.demux_key(),
            Socket::Icmp(s) => s.demux_key(),
            Socket::Raw(s) => s.demux_key(),
            Socket::Tcp(s) => s.demux_key(),
        }
    }

    fn wants_dispatch(&self) -> bool {
        match self {
            Socket::Udp(s) => s.wants_dispatch(),
            Socket::Icmp(s) => s.wants_dispatch(),
            Socket::Raw(s) => s.wants_dispatch(),
            Socket::Tcp(s) => s.wants_dispatch(),
        }
    }

    fn poll_at(&self) -> Option<Instant> {
        match self {
            Socket::Udp(s) => s.poll_at(),
            Socket::Icmp(s) => s.poll_at(),
            Socket::Raw(s) => s.poll_at(),
            Socket::Tcp(s) => s.poll_at(),
        }
    }
}

/// A concrete socket kind that converts to and from [`Socket`]. Its own [`Indexed`]
/// answers must equal the enum's, because a typed guard resyncs the set through it.
pub trait AnySocket<'a>: Sized + Indexed {
    /// Wraps the socket in the enum.
    fn upcast(self) -> Socket<'a>;
    /// The socket, if the enum holds this kind.
    fn downcast<'c>(socket: &'c Socket<'a>) -> Option<&'c Self>;
    /// The socket, mutably, if the enum holds this kind.
    fn downcast_mut<'c>(socket: &'c mut Socket<'a>) -> Option<&'c mut Self>;
}

macro_rules! any_socket {
    ($variant:ident, $ty:ty) => {
        impl<'a> AnySocket<'a> for $ty {
            fn upcast(self) -> Socket<'a> {
                Socket::$variant(self)
            }
            fn downcast<'c>(socket: &'c Socket<'a>) -> Option<&'c Self> {
                match socket {
                    Socket::$variant(s) => Some(s),
                    _ => None,
                }
            }
            fn downcast_mut<'c>(socket: &'c mut Socket<'a>) -> Option<&'c mut Self> {
                match socket {
                    Socket::$variant(s) => Some(s),
                    _ => None,
                }
            }
        }

        impl<'a> From<$ty> for Socket<'a> {
            fn from(socket: $ty) -> Self {
                Socket::$variant(socket)
            }
        }
    };
}

any_socket!(Udp, udp::Socket<'a>);
any_socket!(Icmp, icmp::Socket<'a>);
any_socket!(Raw, raw::Socket<'a>);
any_socket!(Tcp, tcp::Socket<'a>);

/// The set of sockets an interface serves.
pub type SocketSet<'a> = set::Set<'a, Socket<'a>>;

impl<'a> set::Set<'a, Socket<'a>> {
    /// Adds a socket of any kind and returns its handle.
    pub fn add_socket<S: AnySocket<'a>>(&mut self, socket: S) -> Result<SocketHandle, InsertError> {
        self.add(socket.upcast())
    }

    /// The socket behind `handle` as kind `S`; `None` if the handle is stale or the
    /// socket is of another kind.
    pub fn get_as<S: AnySocket<'a>>(&self, handle: SocketHandle) -> Option<&S> {
        self.get(handle).and_then(S::downcast)
    }

    /// Lends the socket behind `handle` as kind `S`, e.g.
    /// `sockets.get_mut_as::<udp::Socket>(h)`; the set re-reads its key, readiness and
    /// deadline when the guard drops. `None` if the handle is stale or the socket is of
    /// another kind.
    pub fn get_mut_as<S: AnySocket<'a>>(
        &mut self,
        handle: SocketHandle,
    ) -> Option<SetMut<'_, 'a, S>> {
        self.get_mut_projected(handle, S::downcast_mut)
    }
}

#[cfg(all(test, feature = "alloc"))]
mod tests {
    use super::*;
    use crate::wire::IpListenEndpoint;
    use std::string::ToString;

    #[test]
    fn binding_through_the_typed_guard_puts_the_udp_socket_in_the_index() {
        let mut sockets = SocketSet::with_capacity(4, 7);
        let h = sockets
            .add_socket(udp::Socket::with_capacity(4, 256))
            .unwrap();
        let key = DemuxKey::Udp(IpListenEndpoint::from(5353));
        assert_eq!(sockets.lookup(&key), None);
        sockets
            .get_mut_as::<udp::Socket>(h)
            .unwrap()
            .bind(5353)
            .unwrap();
        assert_eq!(sockets.lookup(&key), Some(h));
        sockets.get_mut_as::<udp::Socket>(h).unwrap().close();
        assert_eq!(sockets.lookup(&key), None);
    }

    #[test]
    fn a_typed_lookup_of_the_wrong_kind_or_a_stale_handle_gives_none() {
        let mut sockets = SocketSet::with_capacity(4, 7);
        let h = sockets
            .add_socket(icmp::Socket::with_capacity(4, 256))
            .unwrap();
        assert!(sockets.get_as::<udp::Socket>(h).is_none());
        assert!(sockets.get_mut_as::<raw::Socket>(h).is_none());
        assert!(sockets.get_as::<icmp::Socket>(h).is_some());
        sockets.remove(h);
        assert!(sockets.get_mut_as::<icmp::Socket>(h).is_none());
    }

    #[test]
    fn sending_through_the_typed_guard_puts_the_socket_on_the_ready_list() {
        let mut sockets = SocketSet::with_capacity(4, 7);
        let h = sockets
            .add_socket(udp::Socket::with_capacity(4, 256))
            .unwrap();
        assert!(!sockets.has_ready());
        {
            let mut socket = sockets.get_mut_as::<udp::Socket>(h).unwrap();
            socket.bind(1000).unwrap();
            let remote = "192.0.2.9:53".parse::<core::net::SocketAddr>().unwrap();
            socket.send_slice(b"q", remote).unwrap();
        }
        assert_eq!(sockets.pop_ready(), Some(h.index()));
    }

    #[test]
    fn the_enum_answers_the_index_exactly_as_the_socket_it_holds() {
        let mut udp = udp::Socket::with_capacity(2, 64);
        udp.bind(9).unwrap();
        let key = udp.demux_key();
        let socket = udp.upcast();
        assert_eq!(socket.demux_key(), key);
        let raw = raw::Socket::with_capacity(true, crate::wire::IpProtocol::Udp, 2, 64);
        let key = raw.demux_key();
        assert_eq!(Socket::from(raw).demux_key(), key);
    }

    #[test]
    fn errors_display_a_short_reason() {
        assert_eq!(SendError::BufferFull.to_string(), "transmit buffer full");
        assert_eq!(BindError::InvalidState.to_string(), "socket already bound");
        assert_eq!(RecvError::Exhausted.to_string(), "receive buffer empty");
        assert_eq!(DispatchError::Dropped.to_string(), "datagram dropped");
    }
}
