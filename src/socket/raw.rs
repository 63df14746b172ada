//! Raw IP sockets: whole IPv4 or IPv6 packets of one protocol, header included, built
//! and read by the application. RFC 791, RFC 8200.
//!
//! The interface hands the socket every packet of its IP version and protocol (after its
//! own validation) and sends the socket's packets as they are, so the user owns every
//! header field, the checksums included.

use crate::socket::{
    DatagramCounters, DemuxKey, DispatchError, Indexed, RecvError, SendError, finish_dispatch,
    udp::copy_prefix,
};
use crate::storage::{EnqueueError, PacketBuffer};
use crate::time::Instant;
use crate::wire::{IpProtocol, Ipv4Packet, Ipv6Packet};

/// A queue of whole IP packets.
pub type RawPacketBuffer<'a> = PacketBuffer<'a, ()>;

/// Packet counters of a raw socket.
pub type RawCounters = DatagramCounters;

/// A raw socket for one IP version and protocol. It is always "bound": its key is fixed
/// at construction.
#[derive(Debug)]
pub struct Socket<'a> {
    ipv6: bool,
    protocol: IpProtocol,
    rx_buffer: RawPacketBuffer<'a>,
    tx_buffer: RawPacketBuffer<'a>,
    counters: RawCounters,
}

impl<'a> Socket<'a> {
    /// A socket for IPv6 (`ipv6 == true`) or IPv4 packets of `protocol`, over
    /// caller-provided buffers.
    pub fn new(
        ipv6: bool,
        protocol: IpProtocol,
        rx_buffer: RawPacketBuffer<'a>,
        tx_buffer: RawPacketBuffer<'a>,
    ) -> Socket<'a> {
        Socket {
            ipv6,
            protocol,
            rx_buffer,
            tx_buffer,
            counters: RawCounters::default(),
        }
    }

    /// A socket whose buffers each hold up to `packets` packets (one slot may go to
    /// padding when the storage wraps) and `bytes` packet bytes. Allocates once.
    #[cfg(feature = "alloc")]
    pub fn with_capacity(
        ipv6: bool,
        protocol: IpProtocol,
        packets: usize,
        bytes: usize,
    ) -> Socket<'static> {
        use crate::storage::PacketMetadata;
        let buffer = || {
            PacketBuffer::new(
                alloc::vec![PacketMetadata::EMPTY; packets],
                alloc::vec![0u8; bytes],
            )
        };
        Socket::new(ipv6, protocol, buffer(), buffer())
    }

    /// Whether the socket carries IPv6 (else IPv4) packets.
    pub fn is_ipv6(&self) -> bool {
        self.ipv6
    }

    /// The IP protocol the socket carries.
    pub fn protocol(&self) -> IpProtocol {
        self.protocol
    }

    /// Whether another packet can be queued for sending (if it is small enough).
    pub fn can_send(&self) -> bool {
        !self.tx_buffer.is_full()
    }

    /// Whether a received packet is waiting.
    pub fn can_recv(&self) -> bool {
        !self.rx_buffer.is_empty()
    }

    /// How many packets the receive buffer can hold.
    pub fn packet_recv_capacity(&self) -> usize {
        self.rx_buffer.packet_capacity()
    }

    /// The transmit buffer's bytes: the largest packet that can ever be sent.
    pub fn payload_send_capacity(&self) -> usize {
        self.tx_buffer.payload_capacity()
    }

    /// Discards every queued packet, both ways.
    pub fn clear(&mut self) {
        self.rx_buffer.clear();
        self.tx_buffer.clear();
    }

    /// The socket's counters.
    pub fn counters(&self) -> RawCounters {
        self.counters
    }

    /// Whether `packet` is a well-formed IP packet of this socket's version whose fixed
    /// header names this socket's protocol (lengths checked by `new_checked`, C3.2/C6).
    fn accepts(&self, packet: &[u8]) -> bool {
        if self.ipv6 {
            Ipv6Packet::new_checked(packet).is_ok_and(|p| p.next_header() == self.protocol)
        } else {
            Ipv4Packet::new_checked(packet).is_ok_and(|p| p.next_header() == self.protocol)
        }
    }

    /// Queues a copy of a whole IP packet, header included, to be sent as it is.
    ///
    /// Errors: `Unaddressable` when the bytes are not a well-formed packet of the
    /// socket's IP version (per `Ipv4Packet`/`Ipv6Packet::new_checked`) or its fixed
    /// header's protocol (IPv6: Next Header) is not the socket's; `BufferFull` when it
    /// does not fit now (or ever).
    pub fn send_slice(&mut self, ip_packet: &[u8]) -> Result<(), SendError> {
        if !self.accepts(ip_packet) {
            return Err(SendError::Unaddressable);
        }
        let buf = self
            .tx_buffer
            .enqueue(ip_packet.len(), ())
            .map_err(|_| SendError::BufferFull)?;
        buf.copy_from_slice(ip_packet);
        Ok(())
    }

    /// Takes the oldest received packet without copying it; the slice borrows the socket
    /// until dropped. `Exhausted` when none is queued.
    pub fn recv(&mut self) -> Result<&[u8], RecvError> {
        let ((), packet) = self.rx_buffer.dequeue().map_err(|_| RecvError::Exhausted)?;
        Ok(&*packet)
    }

    /// Takes the oldest received packet and copies it into `buf`, returning its length.
    /// `Truncated` when it is longer than `buf`: it is consumed and `buf` holds its
    /// prefix.
    pub fn recv_slice(&mut self, buf: &mut [u8]) -> Result<usize, RecvError> {
        copy_prefix(self.recv()?, buf)
    }

    /// The oldest received packet, left queued. `Exhausted` when none is.
    pub fn peek(&self) -> Result<&[u8], RecvError> {
        let ((), packet) = self.rx_buffer.peek().map_err(|_| RecvError::Exhausted)?;
        Ok(packet)
    }

    /// A packet of this socket's version and protocol arrived: queue a copy, or drop and
    /// count it when the receive buffer is full.
    pub(crate) fn process(&mut self, _now: Instant, ip_packet: &[u8]) {
        match self.rx_buffer.enqueue(ip_packet.len(), ()) {
            Ok(buf) => {
                buf.copy_from_slice(ip_packet);
                self.counters.rx_datagrams = self.counters.rx_datagrams.wrapping_add(1);
            }
            Err(err) => {
                self.counters.rx_dropped = self.counters.rx_dropped.wrapping_add(1);
                net_trace!(
                    "raw {:?}: dropped {} bytes: {}",
                    self.protocol,
                    ip_packet.len(),
                    match err {
                        EnqueueError::Full => "receive buffer full",
                        EnqueueError::TooBig => "larger than the receive buffer",
                    }
                );
            }
        }
    }

    /// Offers the oldest queued packet to `emit`. On `Ok` it is dequeued and counted; on
    /// `Err(Exhausted)` it stays; on `Err(Dropped)` it is dequeued and counted in
    /// `tx_dropped`. With nothing queued, `emit` is not called and the result is `Ok`.
    pub(crate) fn dispatch<F>(&mut self, _now: Instant, emit: F) -> Result<(), DispatchError>
    where
        F: FnOnce(&[u8]) -> Result<(), DispatchError>,
    {
        let Ok(((), packet)) = self.tx_buffer.peek() else {
            return Ok(());
        };
        let result = emit(packet);
        let (consumed, result) = finish_dispatch(&mut self.counters, result);
        if consumed {
            let _ = self.tx_buffer.dequeue();
        }
        if result == Err(DispatchError::Dropped) {
            net_debug!("raw {:?}: dropped an outgoing packet", self.protocol);
        }
        result
    }
}

impl Indexed for Socket<'_> {
    fn demux_key(&self) -> Option<DemuxKey> {
        Some(DemuxKey::Raw {
            ipv6: self.ipv6,
            protocol: self.protocol,
        })
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
    use crate::wire::{ChecksumCapabilities, Ipv4Address, Ipv4Repr, Ipv6Address, Ipv6Repr};
    use std::vec::Vec;

    const NOW: Instant = Instant::from_micros(0);
    const PROTO: IpProtocol = IpProtocol::Unknown(253); // RFC 3692 experimentation

    fn ipv4_packet(protocol: IpProtocol, payload: &[u8]) -> Vec<u8> {
        let repr = Ipv4Repr::new(
            Ipv4Address::new(192, 0, 2, 1),
            Ipv4Address::new(192, 0, 2, 2),
            protocol,
            payload.len(),
            64,
        );
        let mut bytes = std::vec![0u8; repr.buffer_len() + payload.len()];
        let mut packet = Ipv4Packet::new_unchecked(&mut bytes[..]);
        repr.emit(&mut packet, &ChecksumCapabilities::default());
        packet.payload_mut().copy_from_slice(payload);
        bytes
    }

    fn ipv6_packet(payload: &[u8]) -> Vec<u8> {
        let repr = Ipv6Repr {
            src_addr: Ipv6Address::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1),
            dst_addr: Ipv6Address::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 2),
            next_header: PROTO,
            payload_len: payload.len(),
            hop_limit: 64,
            traffic_class: 0,
            flow_label: 0,
        };
        let mut bytes = std::vec![0u8; repr.buffer_len() + payload.len()];
        let mut packet = Ipv6Packet::new_unchecked(&mut bytes[..]);
        repr.emit(&mut packet);
        packet.payload_mut().copy_from_slice(payload);
        bytes
    }

    fn take(socket: &mut Socket) -> Option<Vec<u8>> {
        let mut out = None;
        socket
            .dispatch(NOW, |packet| {
                out = Some(packet.to_vec());
                Ok(())
            })
            .unwrap();
        out
    }

    #[test]
    fn a_raw_socket_is_keyed_by_ip_version_and_protocol() {
        let socket = Socket::with_capacity(false, PROTO, 2, 128);
        assert_eq!(
            socket.demux_key(),
            Some(DemuxKey::Raw {
                ipv6: false,
                protocol: PROTO
            })
        );
    }

    #[test]
    fn a_whole_ipv4_packet_goes_out_unchanged() {
        let mut socket = Socket::with_capacity(false, PROTO, 2, 128);
        let packet = ipv4_packet(PROTO, b"raw data");
        socket.send_slice(&packet).unwrap();
        assert!(socket.wants_dispatch());
        assert_eq!(take(&mut socket).unwrap(), packet);
        assert_eq!(socket.counters().tx_datagrams, 1);
    }

    #[test]
    fn a_whole_ipv6_packet_goes_out_unchanged() {
        let mut socket = Socket::with_capacity(true, PROTO, 2, 128);
        let packet = ipv6_packet(b"six");
        socket.send_slice(&packet).unwrap();
        assert_eq!(take(&mut socket).unwrap(), packet);
    }

    #[test]
    fn bytes_that_are_not_a_packet_of_the_sockets_kind_are_refused() {
        let mut v4 = Socket::with_capacity(false, PROTO, 4, 256);
        let mut v6 = Socket::with_capacity(true, PROTO, 4, 256);
        let not_ip = b"definitely not an IP packet";
        assert_eq!(v4.send_slice(not_ip), Err(SendError::Unaddressable));
        assert_eq!(v6.send_slice(not_ip), Err(SendError::Unaddressable));
        assert_eq!(v4.send_slice(&[]), Err(SendError::Unaddressable));
        // The other IP version.
        assert_eq!(
            v4.send_slice(&ipv6_packet(b"x")),
            Err(SendError::Unaddressable)
        );
        assert_eq!(
            v6.send_slice(&ipv4_packet(PROTO, b"x")),
            Err(SendError::Unaddressable)
        );
        // Another protocol.
        assert_eq!(
            v4.send_slice(&ipv4_packet(IpProtocol::Udp, b"x")),
            Err(SendError::Unaddressable)
        );
        // A total length beyond the bytes given (C3.2).
        let mut lying = ipv4_packet(PROTO, b"x");
        lying.pop();
        assert_eq!(v4.send_slice(&lying), Err(SendError::Unaddressable));
        assert!(!v4.wants_dispatch() && !v6.wants_dispatch());
    }

    #[test]
    fn received_packets_come_back_whole_and_a_full_buffer_drops_and_counts() {
        let mut socket = Socket::with_capacity(false, PROTO, 2, 256);
        let first = ipv4_packet(PROTO, b"1");
        let second = ipv4_packet(PROTO, b"22");
        socket.process(NOW, &first);
        socket.process(NOW, &second);
        socket.process(NOW, &first);
        let counters = socket.counters();
        assert_eq!((counters.rx_datagrams, counters.rx_dropped), (2, 1));
        assert_eq!(socket.peek().unwrap(), &first[..]);
        assert_eq!(socket.recv().unwrap(), &first[..]);
        let mut buf = [0u8; 64];
        let n = socket.recv_slice(&mut buf).unwrap();
        assert_eq!(&buf[..n], &second[..]);
        assert_eq!(socket.recv(), Err(RecvError::Exhausted));
    }

    #[test]
    fn a_packet_longer_than_the_slice_is_consumed_and_reported_truncated() {
        let mut socket = Socket::with_capacity(false, PROTO, 2, 256);
        let packet = ipv4_packet(PROTO, b"payload");
        socket.process(NOW, &packet);
        let mut buf = [0u8; 20];
        assert_eq!(socket.recv_slice(&mut buf), Err(RecvError::Truncated));
        assert_eq!(&buf[..], &packet[..20]);
        assert!(!socket.can_recv());
    }

    #[test]
    fn an_exhausted_device_keeps_the_packet_and_a_drop_discards_it() {
        let mut socket = Socket::with_capacity(false, PROTO, 4, 256);
        let packet = ipv4_packet(PROTO, b"p");
        socket.send_slice(&packet).unwrap();
        assert_eq!(
            socket.dispatch(NOW, |_| Err(DispatchError::Exhausted)),
            Err(DispatchError::Exhausted)
        );
        assert!(socket.wants_dispatch());
        assert_eq!(
            socket.dispatch(NOW, |_| Err(DispatchError::Dropped)),
            Err(DispatchError::Dropped)
        );
        assert!(!socket.wants_dispatch());
        assert_eq!(socket.counters().tx_dropped, 1);
    }
}
