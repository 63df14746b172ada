//! ICMP sockets for ping: whole ICMPv4/ICMPv6 messages to and from remote hosts, matched
//! to the socket by echo identifier. RFC 792, RFC 4443; CONFORMANCE C5.9, C8.9.
//!
//! The interface answers echo requests itself; it hands this socket the messages whose
//! identifier matches the bound one (echo replies, and errors quoting our requests), and
//! fills the checksum of outgoing messages, since ICMPv6's covers the source address the
//! interface picks.

use crate::socket::{
    BindError, DatagramCounters, DemuxKey, DispatchError, Indexed, RecvError, SendError,
    finish_dispatch, udp::copy_prefix,
};
use crate::storage::{EnqueueError, PacketBuffer};
use crate::time::Instant;
use crate::wire::{
    ChecksumCapabilities, Icmpv4Packet, Icmpv4Repr, Icmpv6Packet, Icmpv6Repr, IpAddress,
    Ipv6Address,
};

/// A queue of ICMP messages with the remote address each came from or goes to.
pub type IcmpPacketBuffer<'a> = PacketBuffer<'a, IpAddress>;

/// Message counters of an ICMP socket.
pub type IcmpCounters = DatagramCounters;

/// The fixed part every ICMPv4 and ICMPv6 message has: type, code, checksum and one
/// 32-bit word (RFC 792, RFC 4443 §2.1).
const ICMP_HEADER_LEN: usize = 8;

/// An ICMP socket. Bind it to an echo identifier, then send echo requests (or any ICMP
/// message) and receive the replies as whole messages.
#[derive(Debug)]
pub struct Socket<'a> {
    ident: Option<u16>,
    rx_buffer: IcmpPacketBuffer<'a>,
    tx_buffer: IcmpPacketBuffer<'a>,
    counters: IcmpCounters,
}

impl<'a> Socket<'a> {
    /// An unbound socket over caller-provided buffers.
    pub fn new(rx_buffer: IcmpPacketBuffer<'a>, tx_buffer: IcmpPacketBuffer<'a>) -> Socket<'a> {
        Socket {
            ident: None,
            rx_buffer,
            tx_buffer,
            counters: IcmpCounters::default(),
        }
    }

    /// An unbound socket whose buffers each hold up to `packets` messages (one slot may
    /// go to padding when the storage wraps) and `bytes` message bytes. Allocates once.
    #[cfg(feature = "alloc")]
    pub fn with_capacity(packets: usize, bytes: usize) -> Socket<'static> {
        use crate::storage::PacketMetadata;
        let buffer = || {
            PacketBuffer::new(
                alloc::vec![PacketMetadata::EMPTY; packets],
                alloc::vec![0u8; bytes],
            )
        };
        Socket::new(buffer(), buffer())
    }

    /// Binds the socket to an echo identifier. `InvalidState` if already bound.
    pub fn bind(&mut self, ident: u16) -> Result<(), BindError> {
        if self.ident.is_some() {
            return Err(BindError::InvalidState);
        }
        self.ident = Some(ident);
        Ok(())
    }

    /// Unbinds the socket and discards every queued message, both ways.
    pub fn close(&mut self) {
        self.ident = None;
        self.rx_buffer.clear();
        self.tx_buffer.clear();
    }

    /// The bound identifier.
    pub fn ident(&self) -> Option<u16> {
        self.ident
    }

    /// Whether the socket is bound.
    pub fn is_open(&self) -> bool {
        self.ident.is_some()
    }

    /// Whether another message can be queued for sending (if it is small enough).
    pub fn can_send(&self) -> bool {
        !self.tx_buffer.is_full()
    }

    /// Whether a received message is waiting.
    pub fn can_recv(&self) -> bool {
        !self.rx_buffer.is_empty()
    }

    /// How many messages the receive buffer can hold.
    pub fn packet_recv_capacity(&self) -> usize {
        self.rx_buffer.packet_capacity()
    }

    /// The transmit buffer's bytes: the largest message that can ever be sent.
    pub fn payload_send_capacity(&self) -> usize {
        self.tx_buffer.payload_capacity()
    }

    /// The socket's counters.
    pub fn counters(&self) -> IcmpCounters {
        self.counters
    }

    /// Queues a message of `size` bytes for `remote` and lets `fill` write it in place.
    /// No copy. Errors as [`send_slice`](Self::send_slice).
    pub fn send_with<F>(&mut self, size: usize, remote: IpAddress, fill: F) -> Result<(), SendError>
    where
        F: FnOnce(&mut [u8]),
    {
        if size < ICMP_HEADER_LEN || remote.is_unspecified() {
            return Err(SendError::Unaddressable);
        }
        let buf = self
            .tx_buffer
            .enqueue(size, remote)
            .map_err(|_| SendError::BufferFull)?;
        fill(buf);
        Ok(())
    }

    /// Queues a copy of a whole ICMPv4 or ICMPv6 message (matching `remote`'s version)
    /// for `remote`. Its checksum field is overwritten by the interface on the way out.
    ///
    /// Errors: `Unaddressable` for an unspecified remote or a message shorter than the
    /// 8-byte ICMP header; `BufferFull` when it does not fit now (or ever).
    pub fn send_slice(&mut self, icmp_message: &[u8], remote: IpAddress) -> Result<(), SendError> {
        self.send_with(icmp_message.len(), remote, |buf| {
            buf.copy_from_slice(icmp_message)
        })
    }

    /// Queues an echo request to `remote` with the bound identifier, `seq_no` and
    /// `data`: ICMPv4 type 8 for an IPv4 remote, ICMPv6 type 128 for an IPv6 one. Writes
    /// straight into the transmit buffer; the checksum is left 0 for the interface.
    ///
    /// Errors: `Unaddressable` when unbound or `remote` is unspecified; `BufferFull`.
    pub fn send_echo_request(
        &mut self,
        remote: IpAddress,
        seq_no: u16,
        data: &[u8],
    ) -> Result<(), SendError> {
        let ident = self.ident.ok_or(SendError::Unaddressable)?;
        let caps = ChecksumCapabilities::ignored();
        match remote {
            IpAddress::V4(_) => {
                let repr = Icmpv4Repr::EchoRequest {
                    ident,
                    seq_no,
                    data,
                };
                self.send_with(repr.buffer_len(), remote, |buf| {
                    repr.emit(&mut Icmpv4Packet::new_unchecked(buf), &caps)
                })
            }
            IpAddress::V6(dst_addr) => {
                let repr = Icmpv6Repr::EchoRequest {
                    ident,
                    seq_no,
                    data,
                };
                // The addresses only feed the checksum, which is not computed here.
                self.send_with(repr.buffer_len(), remote, |buf| {
                    let mut packet = Icmpv6Packet::new_unchecked(buf);
                    repr.emit(&Ipv6Address::UNSPECIFIED, &dst_addr, &mut packet, &caps)
                })
            }
        }
    }

    /// Takes the oldest received message without copying it; the slice borrows the
    /// socket until dropped. `Exhausted` when none is queued.
    pub fn recv(&mut self) -> Result<(&[u8], IpAddress), RecvError> {
        let (remote, message) = self.rx_buffer.dequeue().map_err(|_| RecvError::Exhausted)?;
        Ok((&*message, remote))
    }

    /// Takes the oldest received message and copies it into `buf`, returning its length.
    /// `Truncated` when it is longer than `buf`: it is consumed and `buf` holds its
    /// prefix.
    pub fn recv_slice(&mut self, buf: &mut [u8]) -> Result<(usize, IpAddress), RecvError> {
        let (message, remote) = self.recv()?;
        copy_prefix(message, buf).map(|n| (n, remote))
    }

    /// The oldest received message, left queued. `Exhausted` when none is.
    pub fn peek(&self) -> Result<(&[u8], IpAddress), RecvError> {
        let (remote, message) = self.rx_buffer.peek().map_err(|_| RecvError::Exhausted)?;
        Ok((message, remote))
    }

    /// A message for this socket arrived from `remote`: queue a copy, or drop and count
    /// it when the receive buffer is full.
    pub(crate) fn process(&mut self, _now: Instant, remote: IpAddress, icmp_message: &[u8]) {
        match self.rx_buffer.enqueue(icmp_message.len(), remote) {
            Ok(buf) => {
                buf.copy_from_slice(icmp_message);
                self.counters.rx_datagrams = self.counters.rx_datagrams.wrapping_add(1);
            }
            Err(err) => {
                self.counters.rx_dropped = self.counters.rx_dropped.wrapping_add(1);
                net_trace!(
                    "icmp ident {:?}: dropped {} bytes from {}: {}",
                    self.ident,
                    icmp_message.len(),
                    remote,
                    match err {
                        EnqueueError::Full => "receive buffer full",
                        EnqueueError::TooBig => "larger than the receive buffer",
                    }
                );
            }
        }
    }

    /// Offers the oldest queued message to `emit` with its remote address. On `Ok` it is
    /// dequeued and counted; on `Err(Exhausted)` it stays; on `Err(Dropped)` it is
    /// dequeued and counted in `tx_dropped`. With nothing queued, `emit` is not called and
    /// the result is `Ok`.
    pub(crate) fn dispatch<F>(&mut self, _now: Instant, emit: F) -> Result<(), DispatchError>
    where
        F: FnOnce(IpAddress, &[u8]) -> Result<(), DispatchError>,
    {
        let Ok((remote, message)) = self.tx_buffer.peek() else {
            return Ok(());
        };
        let result = emit(remote, message);
        let (consumed, result) = finish_dispatch(&mut self.counters, result);
        if consumed {
            let _ = self.tx_buffer.dequeue();
        }
        if result == Err(DispatchError::Dropped) {
            net_debug!("icmp ident {:?}: dropped message to {}", self.ident, remote);
        }
        result
    }
}

impl Indexed for Socket<'_> {
    fn demux_key(&self) -> Option<DemuxKey> {
        self.ident.map(DemuxKey::IcmpIdent)
    }

    fn wants_dispatch(&self) -> bool {
        !self.tx_buffer.is_empty()
    }

    fn poll_at(&self) -> Option<Instant> {
        None
    }
}

#[cfg(all(test, feature = "alloc"))]
mod tests {
    use super::*;
    use crate::wire::Ipv4Address;
    use std::vec::Vec;

    const NOW: Instant = Instant::from_micros(0);
    const V4: IpAddress = IpAddress::V4(Ipv4Address::new(192, 0, 2, 2));
    const V6: IpAddress = IpAddress::V6(Ipv6Address::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 2));

    fn take(socket: &mut Socket) -> Option<(IpAddress, Vec<u8>)> {
        let mut out = None;
        socket
            .dispatch(NOW, |remote, message| {
                out = Some((remote, message.to_vec()));
                Ok(())
            })
            .unwrap();
        out
    }

    #[test]
    fn binding_twice_is_refused_and_closing_unbinds() {
        let mut socket = Socket::with_capacity(2, 64);
        assert_eq!(socket.demux_key(), None);
        socket.bind(0x1234).unwrap();
        assert_eq!(socket.bind(1), Err(BindError::InvalidState));
        assert_eq!(socket.demux_key(), Some(DemuxKey::IcmpIdent(0x1234)));
        socket.close();
        assert!(!socket.is_open());
        socket.bind(1).unwrap();
    }

    #[test]
    fn an_echo_request_to_an_ipv4_host_parses_as_icmpv4_with_the_bound_ident() {
        let mut socket = Socket::with_capacity(2, 64);
        socket.bind(0x1234).unwrap();
        socket.send_echo_request(V4, 7, b"ping").unwrap();
        let (remote, message) = take(&mut socket).unwrap();
        assert_eq!(remote, V4);
        assert_eq!(message[0], 8);
        let packet = Icmpv4Packet::new_checked(&message[..]).unwrap();
        let repr = Icmpv4Repr::parse(&packet, &ChecksumCapabilities::ignored()).unwrap();
        assert_eq!(
            repr,
            Icmpv4Repr::EchoRequest {
                ident: 0x1234,
                seq_no: 7,
                data: b"ping"
            }
        );
        // The checksum is the interface's to fill.
        assert_eq!(&message[2..4], &[0, 0]);
    }

    #[test]
    fn an_echo_request_to_an_ipv6_host_parses_as_icmpv6_with_the_bound_ident() {
        let mut socket = Socket::with_capacity(2, 64);
        socket.bind(0xbeef).unwrap();
        socket.send_echo_request(V6, 1, b"").unwrap();
        let (remote, message) = take(&mut socket).unwrap();
        assert_eq!(remote, V6);
        assert_eq!(message[0], 128);
        let packet = Icmpv6Packet::new_checked(&message[..]).unwrap();
        let IpAddress::V6(dst) = V6 else { panic!() };
        let repr = Icmpv6Repr::parse(
            &Ipv6Address::UNSPECIFIED,
            &dst,
            &packet,
            &ChecksumCapabilities::ignored(),
        )
        .unwrap();
        assert_eq!(
            repr,
            Icmpv6Repr::EchoRequest {
                ident: 0xbeef,
                seq_no: 1,
                data: b""
            }
        );
    }

    #[test]
    fn an_unbound_socket_cannot_build_echo_requests_and_bad_sends_are_refused() {
        let mut socket = Socket::with_capacity(2, 64);
        assert_eq!(
            socket.send_echo_request(V4, 1, b""),
            Err(SendError::Unaddressable)
        );
        let unspecified = IpAddress::V4(Ipv4Address::UNSPECIFIED);
        assert_eq!(
            socket.send_slice(&[8, 0, 0, 0, 0, 1, 0, 1], unspecified),
            Err(SendError::Unaddressable)
        );
        assert_eq!(
            socket.send_slice(&[8, 0, 0], V4),
            Err(SendError::Unaddressable)
        );
        // Any whole message may be sent, bound or not.
        socket.send_slice(&[8, 0, 0, 0, 0, 1, 0, 1], V4).unwrap();
        assert!(socket.wants_dispatch());
    }

    #[test]
    fn a_received_message_comes_back_whole_with_its_remote() {
        let mut socket = Socket::with_capacity(4, 64);
        socket.bind(1).unwrap();
        let reply = [0u8, 0, 0xab, 0xcd, 0, 1, 0, 9, b'p'];
        socket.process(NOW, V4, &reply);
        assert_eq!(socket.peek().unwrap(), (&reply[..], V4));
        let mut buf = [0u8; 64];
        let (n, remote) = socket.recv_slice(&mut buf).unwrap();
        assert_eq!((&buf[..n], remote), (&reply[..], V4));
        socket.process(NOW, V6, &reply);
        let mut short = [0u8; 4];
        assert_eq!(socket.recv_slice(&mut short), Err(RecvError::Truncated));
        assert_eq!(short, reply[..4]);
        assert_eq!(socket.recv(), Err(RecvError::Exhausted));
    }

    #[test]
    fn messages_arriving_at_a_full_buffer_are_dropped_and_counted() {
        let mut socket = Socket::with_capacity(1, 64);
        socket.process(NOW, V4, &[0; 8]);
        socket.process(NOW, V4, &[0; 8]);
        let counters = socket.counters();
        assert_eq!((counters.rx_datagrams, counters.rx_dropped), (1, 1));
    }

    #[test]
    fn an_exhausted_device_keeps_the_message_and_a_drop_discards_it() {
        let mut socket = Socket::with_capacity(4, 64);
        socket.bind(1).unwrap();
        socket.send_echo_request(V4, 1, b"").unwrap();
        socket.send_echo_request(V4, 2, b"").unwrap();
        assert_eq!(
            socket.dispatch(NOW, |_, _| Err(DispatchError::Exhausted)),
            Err(DispatchError::Exhausted)
        );
        assert_eq!(
            socket.dispatch(NOW, |_, _| Err(DispatchError::Dropped)),
            Err(DispatchError::Dropped)
        );
        let (_, message) = take(&mut socket).unwrap();
        assert_eq!(&message[6..8], &[0, 2]); // the second request's sequence number
        let counters = socket.counters();
        assert_eq!((counters.tx_datagrams, counters.tx_dropped), (1, 1));
        assert!(!socket.wants_dispatch());
    }

    #[test]
    fn zero_copy_send_writes_the_message_in_place() {
        let mut socket = Socket::with_capacity(2, 64);
        socket
            .send_with(8, V6, |buf| {
                buf.copy_from_slice(&[128, 0, 0, 0, 0, 5, 0, 6])
            })
            .unwrap();
        assert_eq!(take(&mut socket).unwrap().1[5], 5);
    }
}
