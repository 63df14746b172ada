//! Header prediction on receive (Van Jacobson's idea, as in BSD's `tcp_input` and
//! Linux's TCP fast path): during a bulk transfer nearly every frame is the next
//! segment of the connection the previous frame belonged to, with the same header shape.
//! One comparison per field tells such a frame apart, and it then goes straight to that
//! socket, without the general parsers, the demux hash or the per-layer dispatch.
//!
//! The shortcut decides nothing the general path would decide differently: it takes only
//! frames whose every field the general path would accept the same way (unicast to our
//! MAC, IPv4 without options or fragmentation, or IPv6 without extension headers, TCP
//! with ACK or ACK+PSH and no option but an aligned timestamp, checksums as the device
//! requires), counts what the general path counts, and hands the socket the same
//! [`TcpRepr`] through the same delivery function. Anything else, and any frame once a
//! raw socket is open (raw sockets see every packet), goes the general way. The
//! differential test in `tests/sim_tcp.rs` runs the simulator with the shortcut on and
//! off and compares every frame on the wire.

use core::net::SocketAddr;

use super::Interface;
use crate::phy::Medium;
use crate::socket::tcp::State;
use crate::socket::{DemuxKey, Socket, SocketSet};
use crate::time::Instant;
use crate::wire::*;

/// The connection the last predicted-shape segment went to: its slot in the socket set
/// and its 4-tuple (a slot reused by another connection has another demux key).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct RxHint {
    pub(super) index: usize,
    pub(super) local: SocketAddr,
    pub(super) remote: SocketAddr,
}

/// The TCP segment of a frame of the predicted shape, and its IP ECN field.
struct Predicted<'f> {
    segment: &'f [u8],
    ecn: u8,
}

impl Interface<'_> {
    /// The resync that header prediction deferred, if one is pending.
    pub(super) fn resync_deferred(&mut self, sockets: &mut SocketSet<'_>) {
        if let Some(index) = self.inner.resync_pending.take() {
            sockets.resync(index);
        }
    }

    /// Handles `frame` if it has the predicted shape and belongs to the hinted
    /// connection; `false` (with nothing changed) sends it the general way.
    pub(super) fn process_predicted(
        &mut self,
        now: Instant,
        frame: &[u8],
        sockets: &mut SocketSet<'_>,
    ) -> bool {
        let Some(hint) = self.inner.rx_hint else {
            return false;
        };
        let packet = match self.inner.medium() {
            Medium::Ethernet => {
                let Some(ours) = self.inner.config.hardware_addr else {
                    return false;
                };
                // Unicast to us from a unicast source (C1.3), no VLAN tag, the EtherType
                // of the hinted connection's IP version.
                let ethertype = match hint.local {
                    SocketAddr::V4(_) => [0x08, 0x00],
                    SocketAddr::V6(_) => [0x86, 0xdd],
                };
                if frame.len() < ETHERNET_HEADER_LEN
                    || frame[..6] != ours.0
                    || frame[6] & 0x01 != 0
                    || frame[12..14] != ethertype
                {
                    return false;
                }
                &frame[ETHERNET_HEADER_LEN..]
            }
            Medium::Ip => frame,
        };
        let checksums = self.inner.caps.checksum;
        let predicted = match (hint.local, hint.remote) {
            (SocketAddr::V4(local), SocketAddr::V4(remote)) => {
                predicted_ipv4(packet, *local.ip(), *remote.ip(), &checksums)
            }
            (SocketAddr::V6(local), SocketAddr::V6(remote)) => {
                predicted_ipv6(packet, *local.ip(), *remote.ip())
            }
            _ => None,
        };
        let Some(Predicted { segment, ecn }) = predicted else {
            return false;
        };
        let (src, dst) = (hint.remote.ip(), hint.local.ip());
        let Some(repr) = predicted_tcp(segment, &hint, &src, &dst, &checksums) else {
            return false;
        };
        // The general path would hand a raw socket a copy (checked first: the lookup
        // counts in the set's index statistics); and the demux must find this slot for
        // the connection's key, by the same lookup. (A socket whose resync is pending
        // still has its key: it changes only through CLOSED or LISTEN.)
        let key = DemuxKey::TcpConnection {
            local: hint.local,
            remote: hint.remote,
        };
        if sockets.has_raw_keys() || sockets.lookup(&key).map(|h| h.index()) != Some(hint.index) {
            self.inner.rx_hint = None;
            return false;
        }
        if self.inner.resync_pending.is_some_and(|i| i != hint.index) {
            return false;
        }
        let Some(Socket::Tcp(tcp)) = sockets.item_mut_unsynced(hint.index) else {
            return false;
        };
        if matches!(tcp.state(), State::Closed | State::Listen) {
            return false;
        }
        let Interface {
            inner, neighbors, ..
        } = self;
        match hint.local {
            SocketAddr::V4(_) => inner.counters.ipv4_rx += 1,
            SocketAddr::V6(_) => inner.counters.ipv6_rx += 1,
        }
        inner.counters.rx_predicted += 1;
        // An ACK or ACK+PSH never ends TIME-WAIT (only a SYN does, SHLD-4).
        let _reopened = inner.deliver_tcp(now, Some(neighbors), tcp, (src, dst, ecn), &repr);
        // The ready list learns at once whether the socket wants to send (its order is
        // the order sockets send in); its key and deadline are re-read before anything
        // reads them: at the next frame that is not predicted for it, a prompt ACK, or
        // the end of the batch (`Interface::resync_deferred`). A run of predicted
        // segments costs one key and deadline update instead of one each; the deadline
        // heap's order does not depend on how often it was updated.
        sockets.refresh_ready(hint.index);
        inner.resync_pending = Some(hint.index);
        true
    }
}

/// An IPv4 packet of the predicted shape from `remote` to `local`: version 4, no
/// options, not a fragment, TCP, total length within the frame, header checksum good
/// when the device leaves it to us.
fn predicted_ipv4<'f>(
    packet: &'f [u8],
    local: Ipv4Address,
    remote: Ipv4Address,
    checksums: &ChecksumCapabilities,
) -> Option<Predicted<'f>> {
    let header = packet.get(..IPV4_HEADER_LEN)?;
    let total = usize::from(u16::from_be_bytes([header[2], header[3]]));
    let not_fragment = u16::from_be_bytes([header[6], header[7]]) & 0x3fff == 0;
    if header[0] != 0x45
        || !not_fragment
        || header[9] != u8::from(IpProtocol::Tcp)
        || header[12..16] != remote.octets()
        || header[16..20] != local.octets()
        || total < IPV4_HEADER_LEN
    {
        return None;
    }
    let whole = packet.get(..total)?;
    if checksums.ipv4.rx() && !Ipv4Packet::new_unchecked(whole).verify_checksum() {
        return None;
    }
    Some(Predicted {
        segment: &whole[IPV4_HEADER_LEN..],
        ecn: header[1] & 0x03,
    })
}

/// An IPv6 packet of the predicted shape from `remote` to `local`: TCP right after
/// the fixed header (no extension header), payload length within the frame.
fn predicted_ipv6(packet: &[u8], local: Ipv6Address, remote: Ipv6Address) -> Option<Predicted<'_>> {
    let header = packet.get(..IPV6_HEADER_LEN)?;
    let payload_len = usize::from(u16::from_be_bytes([header[4], header[5]]));
    if header[0] >> 4 != 6
        || header[6] != u8::from(IpProtocol::Tcp)
        || header[8..24] != remote.octets()
        || header[24..40] != local.octets()
    {
        return None;
    }
    let whole = packet.get(..IPV6_HEADER_LEN + payload_len)?;
    Some(Predicted {
        segment: &whole[IPV6_HEADER_LEN..],
        // The traffic class straddles the first two bytes; ECN is its low two bits.
        ecn: (header[1] >> 4) & 0x03,
    })
}

/// A TCP segment of the predicted shape on the hinted connection: its ports, ACK or
/// ACK+PSH and no other flag (nor the reserved bits), no options or exactly NOP, NOP,
/// timestamps, checksum good when the device leaves it to us. The repr is the one
/// [`TcpRepr::parse`] gives for the same bytes.
fn predicted_tcp<'f>(
    segment: &'f [u8],
    hint: &RxHint,
    src: &IpAddress,
    dst: &IpAddress,
    checksums: &ChecksumCapabilities,
) -> Option<TcpRepr<'f>> {
    let fixed = segment.get(..TCP_HEADER_LEN)?;
    let header_len = usize::from(fixed[12] >> 4) * 4;
    let flags = fixed[13];
    if fixed[0..2] != hint.remote.port().to_be_bytes()
        || fixed[2..4] != hint.local.port().to_be_bytes()
        || fixed[12] & 0x0f != 0
        || (flags != 0x10 && flags != 0x18)
    {
        return None;
    }
    let timestamp = match header_len {
        TCP_HEADER_LEN => None,
        32 => Some(aligned_timestamp(segment.get(TCP_HEADER_LEN..32)?)?),
        _ => return None,
    };
    let payload = segment.get(header_len..)?;
    let packet = TcpPacket::new_unchecked(segment);
    if checksums.tcp.rx() && !packet.verify_checksum(src, dst) {
        return None;
    }
    Some(TcpRepr {
        src_port: hint.remote.port(),
        dst_port: hint.local.port(),
        flags: packet.flags(),
        seq_number: packet.seq_number(),
        ack_number: Some(packet.ack_number()),
        window_len: packet.window_len(),
        window_scale: None,
        max_seg_size: None,
        sack_permitted: false,
        sack_ranges: [None; 4],
        timestamp,
        urgent_pointer: packet.urgent_at(),
        payload,
    })
}
