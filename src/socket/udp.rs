//! UDP sockets: datagrams to and from one bound local port, queued in fixed buffers.
//! RFC 768; RFC 1122 §4.1.3; CONFORMANCE D1.
//!
//! The socket owns no protocol state beyond its endpoint: the interface checks lengths
//! and checksums (D1.1–D1.4), answers closed ports (D1.5) and picks the source address
//! (D1.8); the socket queues payloads with their [`UdpMetadata`] and hands them back.

use core::net::SocketAddr;

use crate::socket::{
    BindError, DatagramCounters, DemuxKey, DispatchError, Indexed, RecvError, SendError,
    finish_dispatch,
};
use crate::storage::{EnqueueError, PacketBuffer};
use crate::time::Instant;
use crate::wire::{IpAddress, IpListenEndpoint};

/// Where a datagram came from or goes to, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UdpMetadata {
    /// The remote address and port (the source on receive, the destination on send).
    pub remote: SocketAddr,
    /// On receive, the address the datagram was sent to: one of ours, a broadcast or a
    /// multicast group (CONFORMANCE D1.7). On send, the source address to use, or `None`
    /// for the bound address or else the interface's choice (D1.8).
    pub local_addr: Option<IpAddress>,
    /// On receive, always `None`. On send, the hop limit (IPv4 TTL) for this datagram;
    /// `None` takes the socket's, then the interface's default.
    pub hop_limit: Option<u8>,
}

impl From<SocketAddr> for UdpMetadata {
    fn from(remote: SocketAddr) -> Self {
        UdpMetadata {
            remote,
            local_addr: None,
            hop_limit: None,
        }
    }
}

/// A queue of datagrams with their metadata.
pub type UdpPacketBuffer<'a> = PacketBuffer<'a, UdpMetadata>;

/// Datagram counters of a UDP socket.
pub type UdpCounters = DatagramCounters;

/// A UDP socket. Bind it to a port, then send and receive whole datagrams; each
/// datagram is copied once into a buffer and once out of it (or not at all with the
/// closure and zero-copy variants).
#[derive(Debug)]
pub struct Socket<'a> {
    /// Port 0 means unbound.
    endpoint: IpListenEndpoint,
    rx_buffer: UdpPacketBuffer<'a>,
    tx_buffer: UdpPacketBuffer<'a>,
    /// The hop limit for datagrams that do not name one; `None`: the interface's.
    hop_limit: Option<u8>,
    counters: UdpCounters,
    last_error: Option<super::IcmpErrorReport>,
}

impl<'a> Socket<'a> {
    /// An unbound socket over caller-provided buffers.
    pub fn new(rx_buffer: UdpPacketBuffer<'a>, tx_buffer: UdpPacketBuffer<'a>) -> Socket<'a> {
        Socket {
            endpoint: IpListenEndpoint::default(),
            rx_buffer,
            tx_buffer,
            hop_limit: None,
            counters: UdpCounters::default(),
            last_error: None,
        }
    }

    /// An unbound socket whose receive and transmit buffers each hold up to `packets`
    /// datagrams (one slot may go to padding when the payload storage wraps) and
    /// `bytes` payload bytes. Allocates once, now.
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

    /// Binds the socket to a local port and, optionally, address (an unspecified address
    /// such as `0.0.0.0` means any, as `None`).
    ///
    /// Errors: `Unaddressable` for port 0; `InvalidState` if already bound. For an
    /// ephemeral port, let the interface choose one:
    /// [`Interface::udp_bind_ephemeral`](crate::iface::Interface::udp_bind_ephemeral).
    pub fn bind<E: Into<IpListenEndpoint>>(&mut self, endpoint: E) -> Result<(), BindError> {
        let mut endpoint = endpoint.into();
        if endpoint.port == 0 {
            return Err(BindError::Unaddressable);
        }
        if self.is_open() {
            return Err(BindError::InvalidState);
        }
        // One spelling of "any address", so the demux key is the same for both.
        if endpoint.addr.is_some_and(|a| a.is_unspecified()) {
            endpoint.addr = None;
        }
        self.endpoint = endpoint;
        Ok(())
    }

    /// Unbinds the socket and discards every queued datagram, both ways.
    pub fn close(&mut self) {
        self.endpoint = IpListenEndpoint::default();
        self.rx_buffer.clear();
        self.tx_buffer.clear();
    }

    /// The bound endpoint (port 0 when unbound).
    pub fn endpoint(&self) -> IpListenEndpoint {
        self.endpoint
    }

    /// Whether the socket is bound.
    pub fn is_open(&self) -> bool {
        self.endpoint.port != 0
    }

    /// Whether another datagram can be queued for sending (if it is small enough).
    pub fn can_send(&self) -> bool {
        !self.tx_buffer.is_full()
    }

    /// Whether a received datagram is waiting.
    pub fn can_recv(&self) -> bool {
        !self.rx_buffer.is_empty()
    }

    /// How many datagrams the receive buffer can hold.
    pub fn packet_recv_capacity(&self) -> usize {
        self.rx_buffer.packet_capacity()
    }

    /// How many datagrams the transmit buffer can hold.
    pub fn packet_send_capacity(&self) -> usize {
        self.tx_buffer.packet_capacity()
    }

    /// The receive buffer's payload bytes: the largest datagram it can ever take.
    pub fn payload_recv_capacity(&self) -> usize {
        self.rx_buffer.payload_capacity()
    }

    /// The transmit buffer's payload bytes: the largest datagram that can ever be sent.
    pub fn payload_send_capacity(&self) -> usize {
        self.tx_buffer.payload_capacity()
    }

    /// The hop limit for datagrams that do not name their own (`None`: the interface's).
    pub fn hop_limit(&self) -> Option<u8> {
        self.hop_limit
    }

    /// Sets the default hop limit (IPv4 TTL) of this socket's datagrams.
    ///
    /// Errors: `Unaddressable` for `Some(0)`, which no datagram may carry out of the host
    /// (RFC 1122 §3.2.1.7, CONFORMANCE C3.7); the setting is left as it was.
    pub fn set_hop_limit(&mut self, hop_limit: Option<u8>) -> Result<(), SendError> {
        if hop_limit == Some(0) {
            return Err(SendError::Unaddressable);
        }
        self.hop_limit = hop_limit;
        Ok(())
    }

    /// The socket's counters.
    pub fn counters(&self) -> UdpCounters {
        self.counters
    }

    /// The latest ICMP error about a datagram this socket sent (port unreachable, host
    /// unreachable, ...), taken: a second call returns `None` until another arrives.
    /// Counted in [`UdpCounters::icmp_errors`]. D1.6 / RFC 1122 §4.1.3.3.
    pub fn take_error(&mut self) -> Option<super::IcmpErrorReport> {
        self.last_error.take()
    }

    /// Records an ICMP error the interface matched to this socket.
    pub(crate) fn process_error(&mut self, report: super::IcmpErrorReport) {
        self.counters.icmp_errors += 1;
        self.last_error = Some(report);
    }

    /// Checks a send against the rules of D1.8/D1.9 and C3.7.
    fn check_send(&self, meta: &UdpMetadata) -> Result<(), SendError> {
        // CONFORMANCE D1.9: nothing is ever sent to port 0.
        if !self.is_open()
            || meta.remote.port() == 0
            || meta.remote.ip().is_unspecified()
            || meta.hop_limit == Some(0)
        {
            return Err(SendError::Unaddressable);
        }
        Ok(())
    }

    /// Queues a datagram of `size` bytes for `meta`, and lets `fill` write its payload
    /// straight into the transmit buffer (the bytes hold stale data until then). No copy.
    ///
    /// Errors: `Unaddressable` (unbound, remote port 0 or unspecified remote address,
    /// hop limit 0), `BufferFull` (no room now, or `size` exceeds
    /// [`payload_send_capacity`](Self::payload_send_capacity)).
    pub fn send_with<M, F>(&mut self, size: usize, meta: M, fill: F) -> Result<(), SendError>
    where
        M: Into<UdpMetadata>,
        F: FnOnce(&mut [u8]),
    {
        let meta = meta.into();
        self.check_send(&meta)?;
        let buf = self
            .tx_buffer
            .enqueue(size, meta)
            .map_err(|_| SendError::BufferFull)?;
        fill(buf);
        Ok(())
    }

    /// Queues a copy of `data` for `meta` (a `SocketAddr` will do). Errors as
    /// [`send_with`](Self::send_with).
    pub fn send_slice<M: Into<UdpMetadata>>(
        &mut self,
        data: &[u8],
        meta: M,
    ) -> Result<(), SendError> {
        self.send_with(data.len(), meta, |buf| buf.copy_from_slice(data))
    }

    /// Takes the oldest received datagram without copying it; the slice borrows the
    /// socket until dropped. `Exhausted` when none is queued.
    pub fn recv(&mut self) -> Result<(&[u8], UdpMetadata), RecvError> {
        let (meta, payload) = self.rx_buffer.dequeue().map_err(|_| RecvError::Exhausted)?;
        Ok((&*payload, meta))
    }

    /// Takes the oldest received datagram and copies it into `buf`, returning its length.
    ///
    /// Errors: `Exhausted` when none is queued; `Truncated` when it is longer than `buf`:
    /// the datagram is consumed, `buf` holds its first `buf.len()` bytes, the rest is
    /// lost (POSIX semantics without `MSG_PEEK`).
    pub fn recv_slice(&mut self, buf: &mut [u8]) -> Result<(usize, UdpMetadata), RecvError> {
        let (payload, meta) = self.recv()?;
        copy_prefix(payload, buf).map(|n| (n, meta))
    }

    /// The oldest received datagram, left queued. `Exhausted` when none is.
    pub fn peek(&self) -> Result<(&[u8], UdpMetadata), RecvError> {
        let (meta, payload) = self.rx_buffer.peek().map_err(|_| RecvError::Exhausted)?;
        Ok((payload, meta))
    }

    /// Copies the oldest received datagram into `buf` and leaves it queued; `Truncated`
    /// when it is longer than `buf` (which then holds its prefix).
    pub fn peek_slice(&self, buf: &mut [u8]) -> Result<(usize, UdpMetadata), RecvError> {
        let (payload, meta) = self.peek()?;
        copy_prefix(payload, buf).map(|n| (n, meta))
    }

    /// A datagram for this socket arrived (the interface validated it and matched the
    /// endpoint): queue a copy, or drop and count it when the receive buffer is full.
    pub(crate) fn process(&mut self, _now: Instant, meta: UdpMetadata, payload: &[u8]) {
        match self.rx_buffer.enqueue(payload.len(), meta) {
            Ok(buf) => {
                buf.copy_from_slice(payload);
                self.counters.rx_datagrams = self.counters.rx_datagrams.wrapping_add(1);
            }
            Err(err) => {
                self.counters.rx_dropped = self.counters.rx_dropped.wrapping_add(1);
                net_trace!(
                    "udp {}: dropped {} bytes from {}: {}",
                    self.endpoint,
                    payload.len(),
                    meta.remote,
                    match err {
                        EnqueueError::Full => "receive buffer full",
                        EnqueueError::TooBig => "larger than the receive buffer",
                    }
                );
            }
        }
    }

    /// Offers the oldest queued datagram to `emit` with the local port, its metadata
    /// (source address defaulted to the bound one and hop limit to the socket's) and
    /// payload. On `Ok` the datagram is dequeued and counted; on `Err(Exhausted)` it stays
    /// queued; on `Err(Dropped)` it is dequeued and counted in `tx_dropped`. With nothing
    /// queued, `emit` is not called and the result is `Ok`.
    pub(crate) fn dispatch<F>(&mut self, _now: Instant, emit: F) -> Result<(), DispatchError>
    where
        F: FnOnce(u16, &UdpMetadata, &[u8]) -> Result<(), DispatchError>,
    {
        let local_port = self.endpoint.port;
        let Ok((queued, payload)) = self.tx_buffer.peek() else {
            return Ok(());
        };
        let meta = UdpMetadata {
            local_addr: queued.local_addr.or(self.endpoint.addr),
            hop_limit: queued.hop_limit.or(self.hop_limit),
            ..queued
        };
        let result = emit(local_port, &meta, payload);
        let (consumed, result) = finish_dispatch(&mut self.counters, result);
        if consumed {
            let _ = self.tx_buffer.dequeue();
        }
        if result == Err(DispatchError::Dropped) {
            net_debug!("udp {}: dropped datagram to {}", self.endpoint, meta.remote);
        }
        result
    }
}

/// Copies as much of `payload` as fits into `buf`; `Truncated` when not all of it did.
pub(super) fn copy_prefix(payload: &[u8], buf: &mut [u8]) -> Result<usize, RecvError> {
    let n = payload.len().min(buf.len());
    buf[..n].copy_from_slice(&payload[..n]);
    if n < payload.len() {
        Err(RecvError::Truncated)
    } else {
        Ok(n)
    }
}

impl Indexed for Socket<'_> {
    fn demux_key(&self) -> Option<DemuxKey> {
        self.is_open().then_some(DemuxKey::Udp(self.endpoint))
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
    use crate::storage::PacketMetadata;
    use crate::wire::Ipv4Address;
    use std::vec::Vec;

    const LOCAL: IpAddress = IpAddress::V4(Ipv4Address::new(192, 0, 2, 1));
    const NOW: Instant = Instant::from_micros(0);

    fn remote() -> SocketAddr {
        SocketAddr::new(IpAddress::V4(Ipv4Address::new(192, 0, 2, 2)), 4000)
    }

    fn bound(packets: usize, bytes: usize) -> Socket<'static> {
        let mut socket = Socket::with_capacity(packets, bytes);
        socket.bind(53).unwrap();
        socket
    }

    /// Dispatches once and returns what the interface was handed.
    fn take(socket: &mut Socket) -> Option<(u16, UdpMetadata, Vec<u8>)> {
        let mut out = None;
        socket
            .dispatch(NOW, |port, meta, payload| {
                out = Some((port, *meta, payload.to_vec()));
                Ok(())
            })
            .unwrap();
        out
    }

    #[test]
    fn binding_port_zero_is_refused_and_binding_twice_is_refused() {
        let mut socket = Socket::with_capacity(2, 64);
        assert_eq!(socket.bind(0), Err(BindError::Unaddressable));
        assert!(!socket.is_open());
        socket.bind(53).unwrap();
        assert_eq!(socket.bind(54), Err(BindError::InvalidState));
        assert_eq!(socket.endpoint().port, 53);
        socket.close();
        socket.bind(54).unwrap();
    }

    #[test]
    fn binding_the_unspecified_address_means_any_address() {
        let mut socket = Socket::with_capacity(2, 64);
        socket
            .bind("0.0.0.0:53".parse::<SocketAddr>().unwrap())
            .unwrap();
        assert_eq!(
            socket.demux_key(),
            Some(DemuxKey::Udp(IpListenEndpoint::from(53)))
        );
    }

    #[test]
    fn an_unbound_socket_has_no_key_and_a_bound_one_is_keyed_by_its_endpoint() {
        let mut socket = Socket::with_capacity(2, 64);
        assert_eq!(socket.demux_key(), None);
        let endpoint = SocketAddr::new(LOCAL, 53);
        socket.bind(endpoint).unwrap();
        assert_eq!(
            socket.demux_key(),
            Some(DemuxKey::Udp(IpListenEndpoint::from(endpoint)))
        );
        assert_eq!(socket.poll_at(), None);
    }

    #[test]
    fn sends_that_cannot_be_addressed_are_refused() {
        let mut socket = Socket::with_capacity(2, 64);
        assert_eq!(
            socket.send_slice(b"x", remote()),
            Err(SendError::Unaddressable)
        );
        socket.bind(53).unwrap();
        let port_zero = SocketAddr::new(remote().ip(), 0);
        assert_eq!(
            socket.send_slice(b"x", port_zero),
            Err(SendError::Unaddressable)
        );
        let unspecified = "0.0.0.0:9".parse::<SocketAddr>().unwrap();
        assert_eq!(
            socket.send_slice(b"x", unspecified),
            Err(SendError::Unaddressable)
        );
        let ttl_zero = UdpMetadata {
            hop_limit: Some(0),
            ..remote().into()
        };
        assert_eq!(
            socket.send_slice(b"x", ttl_zero),
            Err(SendError::Unaddressable)
        );
        assert!(!socket.wants_dispatch());
    }

    #[test]
    fn a_hop_limit_of_zero_is_never_configured() {
        let mut socket = bound(2, 64);
        socket.set_hop_limit(Some(9)).unwrap();
        assert_eq!(socket.set_hop_limit(Some(0)), Err(SendError::Unaddressable));
        assert_eq!(socket.hop_limit(), Some(9));
        socket.send_slice(b"x", remote()).unwrap();
        assert_eq!(take(&mut socket).unwrap().1.hop_limit, Some(9));
    }

    #[test]
    fn a_sent_datagram_reaches_dispatch_with_port_metadata_and_payload() {
        let mut socket = Socket::with_capacity(4, 64);
        socket.bind(SocketAddr::new(LOCAL, 53)).unwrap();
        socket.send_slice(b"hello", remote()).unwrap();
        assert!(socket.wants_dispatch());
        let (port, meta, payload) = take(&mut socket).unwrap();
        assert_eq!(port, 53);
        assert_eq!(meta.remote, remote());
        // The bound address is the source when the datagram names none.
        assert_eq!(meta.local_addr, Some(LOCAL));
        assert_eq!(meta.hop_limit, None);
        assert_eq!(payload, b"hello");
        assert!(!socket.wants_dispatch());
        assert_eq!(socket.counters().tx_datagrams, 1);
        // Nothing queued: emit is not called.
        assert!(take(&mut socket).is_none());
    }

    #[test]
    fn a_processed_datagram_is_received_with_its_destination_address() {
        let mut socket = bound(4, 64);
        let broadcast = IpAddress::V4(Ipv4Address::BROADCAST);
        let meta = UdpMetadata {
            local_addr: Some(broadcast),
            ..remote().into()
        };
        socket.process(NOW, meta, b"to all");
        assert!(socket.can_recv());
        let mut buf = [0u8; 16];
        let (n, got) = socket.recv_slice(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"to all");
        assert_eq!(got.remote, remote());
        assert_eq!(got.local_addr, Some(broadcast));
        assert_eq!(socket.recv_slice(&mut buf), Err(RecvError::Exhausted));
        assert_eq!(socket.counters().rx_datagrams, 1);
    }

    #[test]
    fn datagrams_arriving_at_a_full_buffer_are_dropped_and_counted() {
        let mut socket = bound(2, 64);
        socket.process(NOW, remote().into(), b"one");
        socket.process(NOW, remote().into(), b"two");
        socket.process(NOW, remote().into(), b"three");
        socket.process(NOW, remote().into(), &[0u8; 65]); // larger than all storage
        let counters = socket.counters();
        assert_eq!((counters.rx_datagrams, counters.rx_dropped), (2, 2));
        assert_eq!(socket.recv().unwrap().0, b"one");
        assert_eq!(socket.recv().unwrap().0, b"two");
        assert_eq!(socket.recv(), Err(RecvError::Exhausted));
    }

    #[test]
    fn a_full_transmit_buffer_refuses_sends() {
        let mut socket = bound(1, 64);
        socket.send_slice(b"a", remote()).unwrap();
        assert!(!socket.can_send());
        assert_eq!(
            socket.send_slice(b"b", remote()),
            Err(SendError::BufferFull)
        );
        let mut socket = bound(4, 8);
        assert_eq!(
            socket.send_slice(&[0u8; 9], remote()),
            Err(SendError::BufferFull)
        );
    }

    #[test]
    fn a_datagram_longer_than_the_slice_is_consumed_and_reported_truncated() {
        let mut socket = bound(4, 64);
        socket.process(NOW, remote().into(), b"0123456789");
        socket.process(NOW, remote().into(), b"next");
        let mut buf = [0u8; 4];
        assert_eq!(socket.peek_slice(&mut buf), Err(RecvError::Truncated));
        assert_eq!(socket.recv_slice(&mut buf), Err(RecvError::Truncated));
        assert_eq!(&buf, b"0123");
        assert_eq!(socket.recv_slice(&mut buf).unwrap().0, 4);
        assert_eq!(&buf, b"next");
    }

    #[test]
    fn zero_copy_send_and_receive_work_inside_the_buffers() {
        let mut socket = bound(4, 64);
        socket
            .send_with(3, remote(), |buf| buf.copy_from_slice(b"abc"))
            .unwrap();
        assert_eq!(take(&mut socket).unwrap().2, b"abc");
        socket.process(NOW, remote().into(), b"xyz");
        assert_eq!(socket.peek().unwrap().0, b"xyz");
        let (payload, meta) = socket.recv().unwrap();
        assert_eq!((payload, meta.remote), (&b"xyz"[..], remote()));
    }

    #[test]
    fn an_exhausted_device_keeps_the_datagram_and_a_drop_discards_it() {
        let mut socket = bound(4, 64);
        socket.send_slice(b"first", remote()).unwrap();
        socket.send_slice(b"second", remote()).unwrap();
        let result = socket.dispatch(NOW, |_, _, _| Err(DispatchError::Exhausted));
        assert_eq!(result, Err(DispatchError::Exhausted));
        let result = socket.dispatch(NOW, |_, _, payload| {
            assert_eq!(payload, b"first");
            Err(DispatchError::Dropped)
        });
        assert_eq!(result, Err(DispatchError::Dropped));
        assert_eq!(take(&mut socket).unwrap().2, b"second");
        let counters = socket.counters();
        assert_eq!((counters.tx_datagrams, counters.tx_dropped), (1, 1));
    }

    #[test]
    fn closing_unbinds_and_empties_both_buffers() {
        let mut socket = bound(4, 64);
        socket.send_slice(b"out", remote()).unwrap();
        socket.process(NOW, remote().into(), b"in");
        socket.close();
        assert!(!socket.is_open() && !socket.can_recv() && !socket.wants_dispatch());
        assert_eq!(socket.demux_key(), None);
    }

    #[test]
    fn borrowed_buffers_work_without_a_heap() {
        let mut rx_meta = [PacketMetadata::EMPTY; 2];
        let mut rx_bytes = [0u8; 32];
        let mut tx_meta = [PacketMetadata::EMPTY; 2];
        let mut tx_bytes = [0u8; 32];
        let mut socket = Socket::new(
            PacketBuffer::new(&mut rx_meta[..], &mut rx_bytes[..]),
            PacketBuffer::new(&mut tx_meta[..], &mut tx_bytes[..]),
        );
        socket.bind(7).unwrap();
        socket.process(NOW, remote().into(), b"echo");
        let (payload, meta) = socket.recv().unwrap();
        let payload: Vec<u8> = payload.to_vec();
        socket.send_slice(&payload, meta.remote).unwrap();
        assert_eq!(take(&mut socket).unwrap().2, b"echo");
        assert_eq!(socket.packet_recv_capacity(), 2);
        assert_eq!(socket.payload_send_capacity(), 32);
    }

    #[test]
    fn an_empty_datagram_is_a_datagram() {
        let mut socket = bound(4, 64);
        socket.process(NOW, remote().into(), b"");
        assert_eq!(socket.recv().unwrap().0, b"");
        socket.send_slice(b"", remote()).unwrap();
        assert_eq!(take(&mut socket).unwrap().2, b"");
    }
}
