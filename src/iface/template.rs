//! Header templates on send: in a burst of data segments of one TCP connection, each
//! header repeats the previous one but for a few fields. When the socket says so
//! (`again` from `Socket::dispatch_burst`: same flags but PSH, same ACK, window,
//! timestamps and ECN codepoint, no options but those), the interface copies the
//! previous frame's link, IP and TCP headers and patches what differs (IPv4
//! identification, length and header checksum, or the IPv6 payload length; SEQ, the
//! flags byte and the TCP checksum) instead of building every layer again. It does so
//! only within one `dispatch_burst` call, at one instant, to the same neighbour the
//! previous frame went to: the frames are byte for byte those of the general path (the
//! differential tests in `tests/sim_tcp.rs` compare both, `Config::fast_send`).

use super::InterfaceInner;
use crate::phy::{Device, TxToken};
use crate::socket::DispatchError;
use crate::time::Instant;
use crate::wire::*;

/// Longest header a template holds: Ethernet, IPv4 with options, TCP with options.
const TEMPLATE_LEN: usize = ETHERNET_HEADER_LEN + 60 + 60;

/// The headers of the last TCP frame the interface built, and where each starts.
#[derive(Debug, Clone, Copy)]
pub(super) struct TcpTemplate {
    bytes: [u8; TEMPLATE_LEN],
    /// Header bytes kept (0: nothing kept).
    len: usize,
    ip_at: usize,
    tcp_at: usize,
    src: IpAddress,
    dst: IpAddress,
}

impl TcpTemplate {
    pub(super) fn new(src: IpAddress, dst: IpAddress) -> TcpTemplate {
        TcpTemplate {
            bytes: [0; TEMPLATE_LEN],
            len: 0,
            ip_at: 0,
            tcp_at: 0,
            src,
            dst,
        }
    }

    /// Keeps `frame`'s headers: the IP header at `ip_at`, the TCP header at `tcp_at`,
    /// `tcp_len` bytes long.
    pub(super) fn keep(&mut self, frame: &[u8], ip_at: usize, tcp_at: usize, tcp_len: usize) {
        let len = tcp_at + tcp_len;
        if let (Some(header), Some(slot)) = (frame.get(..len), self.bytes.get_mut(..len)) {
            slot.copy_from_slice(header);
            (self.len, self.ip_at, self.tcp_at) = (len, ip_at, tcp_at);
        }
    }

    pub(super) fn is_kept(&self) -> bool {
        self.len > 0
    }
}

impl InterfaceInner<'_> {
    /// Sends `repr` built from the template of the previous segment (see the module
    /// docs). `None` when there is no template for `src` → `dst` or the packet would
    /// not fit the MTU: the caller builds it the general way.
    pub(super) fn send_tcp_again<D: Device + ?Sized>(
        &mut self,
        device: &mut D,
        now: Instant,
        (src, dst): (IpAddress, IpAddress),
        repr: &TcpRepr<'_>,
    ) -> Option<core::result::Result<(), DispatchError>> {
        let t = self.tcp_template.filter(|t| t.src == src && t.dst == dst)?;
        let total = t.len + repr.payload.len();
        if total - t.ip_at > self.caps.ip_mtu() {
            return None;
        }
        // The general path draws an identifier for every IPv4 packet (C3.8); so here.
        let ident = match dst {
            IpAddress::V4(d) => self.next_ipv4_ident(d),
            IpAddress::V6(_) => 0,
        };
        let Some(token) = device.transmit(now) else {
            return Some(Err(DispatchError::Exhausted));
        };
        let caps = self.caps.checksum;
        token.consume(total, |frame| {
            frame[..t.len].copy_from_slice(&t.bytes[..t.len]);
            frame[t.len..].copy_from_slice(repr.payload);
            let ip = &mut frame[t.ip_at..];
            match dst {
                IpAddress::V4(_) => {
                    // Saturating, as `Ipv4Repr::total_len` does.
                    let ip_len = u16::try_from(total - t.ip_at).unwrap_or(u16::MAX);
                    ip[2..4].copy_from_slice(&ip_len.to_be_bytes());
                    ip[4..6].copy_from_slice(&ident.to_be_bytes());
                    ip[10..12].fill(0);
                    if caps.ipv4.tx() {
                        Ipv4Packet::new_unchecked(&mut *ip).fill_checksum();
                    }
                }
                IpAddress::V6(_) => {
                    let payload_len = u16::try_from(total - t.tcp_at).unwrap_or(u16::MAX);
                    ip[4..6].copy_from_slice(&payload_len.to_be_bytes());
                }
            }
            let tcp = &mut frame[t.tcp_at..];
            tcp[4..8].copy_from_slice(&repr.seq_number.0.to_be_bytes());
            tcp[13] = (repr.wire_flags().bits() & 0xff) as u8;
            let mut packet = TcpPacket::new_unchecked(tcp);
            packet.set_checksum(0);
            if caps.tcp.tx() {
                packet.fill_checksum(&src, &dst);
            }
        });
        self.count_tx_of(dst.is_ipv6(), IpProtocol::Tcp);
        self.counters.tcp_tx += 1;
        self.counters.tx_templated += 1;
        Some(Ok(()))
    }
}
