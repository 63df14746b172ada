//! ICMPv4, ICMPv6 and Neighbour Discovery on ingress, and the ICMP errors the interface
//! sends, under the rules of RFC 1122 §3.2.2 / RFC 4443 §2.4 (CONFORMANCE C5, C8, C9).

use super::ingress::{IpMeta, LinkCast, counted};
use super::neighbor::NeighborFill;
use super::{InterfaceInner, NeighborCache};
use crate::socket::{DemuxKey, Socket, SocketSet};
use crate::time::Instant;
use crate::wire::*;

impl InterfaceInner<'_> {
    pub(super) fn process_icmpv4(
        &mut self,
        now: Instant,
        sockets: &mut SocketSet<'_>,
        ip: &Ipv4Repr,
        meta: IpMeta,
        payload: &[u8],
    ) {
        self.counters.icmpv4_rx += 1;
        let checksums = self.caps.checksum;
        // Unknown and deprecated types are silently discarded (C5.1, C5.10).
        let parsed =
            Icmpv4Packet::new_checked(payload).and_then(|p| Icmpv4Repr::parse(&p, &checksums));
        let c = &mut self.counters;
        let Some(repr) = counted(parsed, &mut c.icmpv4_bad_checksum, &mut c.icmpv4_rx_invalid)
        else {
            return;
        };
        match repr {
            Icmpv4Repr::EchoRequest {
                ident,
                seq_no,
                data,
            } => {
                if !meta.dst_unicast && !self.config.answer_broadcast_echo {
                    return;
                }
                // C5.9: from the address the request went to; data unchanged.
                let src = if meta.dst_unicast {
                    IpAddress::V4(ip.dst_addr)
                } else {
                    match self.select_source(IpAddress::V4(ip.src_addr)) {
                        Some(a) => a,
                        None => return,
                    }
                };
                let reply = Icmpv4Repr::EchoReply {
                    ident,
                    seq_no,
                    data,
                };
                let Some(reply_ip) = self.reply_ip(
                    src,
                    IpAddress::V4(ip.src_addr),
                    IpProtocol::Icmp,
                    reply.buffer_len(),
                ) else {
                    return;
                };
                let tx_caps = self.caps.checksum;
                self.build_reply(reply_ip, |buf| {
                    reply.emit(&mut Icmpv4Packet::new_unchecked(buf), &tx_caps)
                });
                self.counters.icmpv4_echo_replies += 1;
            }
            Icmpv4Repr::EchoReply { ident, .. } => {
                deliver_icmp(sockets, now, ident, IpAddress::V4(ip.src_addr), payload);
            }
            Icmpv4Repr::DstUnreachable { header, data, .. }
            | Icmpv4Repr::TimeExceeded { header, data, .. }
            | Icmpv4Repr::ParamProblem { header, data, .. } => {
                // C5.4: errors go to the transport named in the quoted header (UDP, and
                // TCP for MUST-54).
                self.counters.icmpv4_errors_rx += 1;
                let quoted = (
                    IpAddress::V4(header.src_addr),
                    IpAddress::V4(header.dst_addr),
                    header.next_header,
                );
                deliver_error(
                    sockets,
                    now,
                    IpAddress::V4(ip.src_addr),
                    quoted,
                    data,
                    payload,
                );
            }
        }
    }

    pub(super) fn process_icmpv6(
        &mut self,
        now: Instant,
        neighbors: Option<&mut NeighborCache<'_>>,
        sockets: &mut SocketSet<'_>,
        ip: &Ipv6Repr,
        meta: IpMeta,
        payload: &[u8],
    ) {
        self.counters.icmpv6_rx += 1;
        let checksums = self.caps.checksum;
        let parsed = Icmpv6Packet::new_checked(payload)
            .and_then(|p| Icmpv6Repr::parse(&ip.src_addr, &ip.dst_addr, &p, &checksums));
        let c = &mut self.counters;
        let Some(repr) = counted(parsed, &mut c.icmpv6_bad_checksum, &mut c.icmpv6_rx_invalid)
        else {
            return;
        };
        match repr {
            Icmpv6Repr::EchoRequest {
                ident,
                seq_no,
                data,
            } => {
                // C8.9: answer unicast from that address, multicast from one of ours.
                let src = if meta.dst_unicast {
                    IpAddress::V6(ip.dst_addr)
                } else {
                    match self.select_source(IpAddress::V6(ip.src_addr)) {
                        Some(a) => a,
                        None => return,
                    }
                };
                let reply = Icmpv6Repr::EchoReply {
                    ident,
                    seq_no,
                    data,
                };
                self.send_icmpv6_reply(src, ip.src_addr, reply);
                self.counters.icmpv6_echo_replies += 1;
            }
            Icmpv6Repr::EchoReply { ident, .. } => {
                deliver_icmp(sockets, now, ident, IpAddress::V6(ip.src_addr), payload);
            }
            Icmpv6Repr::Ndisc(ndisc) => match neighbors {
                Some(neighbors) => self.process_ndisc(now, neighbors, ip, ndisc),
                None => self.counters.ndp_rx_invalid += 1,
            },
            Icmpv6Repr::DstUnreachable { header, data, .. }
            | Icmpv6Repr::PktTooBig { header, data, .. }
            | Icmpv6Repr::TimeExceeded { header, data, .. }
            | Icmpv6Repr::ParamProblem { header, data, .. } => {
                self.counters.icmpv6_errors_rx += 1;
                let quoted = (
                    IpAddress::V6(header.src_addr),
                    IpAddress::V6(header.dst_addr),
                    header.next_header,
                );
                deliver_error(
                    sockets,
                    now,
                    IpAddress::V6(ip.src_addr),
                    quoted,
                    data,
                    payload,
                );
            }
            _ => self.counters.icmpv6_errors_rx += 1,
        }
    }

    /// RFC 4861 §7.1 validation (C9.1) and §7.2 handling, host side.
    fn process_ndisc(
        &mut self,
        now: Instant,
        neighbors: &mut NeighborCache<'_>,
        ip: &Ipv6Repr,
        ndisc: NdiscRepr<'_>,
    ) {
        if ip.hop_limit != NDISC_HOP_LIMIT {
            self.counters.ndp_rx_invalid += 1;
            return;
        }
        let src = IpAddress::V6(ip.src_addr);
        match ndisc {
            NdiscRepr::NeighborSolicit {
                target_addr,
                lladdr,
            } => {
                if ip.src_addr.is_unspecified()
                    && (lladdr.is_some() || !ip.dst_addr.is_solicited_node_multicast())
                {
                    self.counters.ndp_rx_invalid += 1; // C9.2
                    return;
                }
                if !self.has_addr(IpAddress::V6(target_addr)) {
                    return;
                }
                if let Some(ll) = lladdr {
                    if neighbors.fill(src, EthernetAddress(ll.0), now, NeighborFill::Unconfirmed) {
                        self.note_resolved(src);
                    }
                }
                let Some(mac) = self.config.hardware_addr else {
                    return;
                };
                let (dst, solicited) = if ip.src_addr.is_unspecified() {
                    (IPV6_LINK_LOCAL_ALL_NODES, false)
                } else {
                    (ip.src_addr, true)
                };
                let mut flags = NdiscNeighborFlags::OVERRIDE;
                if solicited {
                    flags |= NdiscNeighborFlags::SOLICITED;
                }
                let advert = Icmpv6Repr::Ndisc(NdiscRepr::NeighborAdvert {
                    flags,
                    target_addr,
                    lladdr: Some(NdiscLinkLayerAddress(mac.0)),
                });
                self.send_icmpv6_reply(IpAddress::V6(target_addr), dst, advert);
                self.counters.ndp_tx_advertisements += 1;
            }
            NdiscRepr::NeighborAdvert {
                flags,
                target_addr,
                lladdr,
            } => {
                if ip.dst_addr.is_multicast() && flags.contains(NdiscNeighborFlags::SOLICITED) {
                    self.counters.ndp_rx_invalid += 1; // C9.2
                    return;
                }
                let target = IpAddress::V6(target_addr);
                let tlla = lladdr.map(|l| EthernetAddress(l.0));
                if neighbors.handle_na(
                    target,
                    tlla,
                    flags.contains(NdiscNeighborFlags::SOLICITED),
                    flags.contains(NdiscNeighborFlags::OVERRIDE),
                    now,
                ) {
                    self.note_resolved(target);
                }
            }
            NdiscRepr::RouterAdvert { lladdr, .. } => {
                // C9.3: only from link-local sources. skiff learns the router's address;
                // prefixes and default routes from RAs are configured by the user.
                if !ip.src_addr.is_link_local() {
                    self.counters.ndp_rx_invalid += 1;
                    return;
                }
                if let Some(ll) = lladdr {
                    if neighbors.fill(src, EthernetAddress(ll.0), now, NeighborFill::Unconfirmed) {
                        self.note_resolved(src);
                    }
                }
            }
            // Hosts ignore solicitations for routers; redirects are ignored by policy (C5.6).
            NdiscRepr::RouterSolicit { .. } | NdiscRepr::Redirect { .. } => {}
        }
    }
}

/// Hands an ICMP error to the socket whose datagram or segment it quotes (C5.4): a UDP
/// socket (D1.6, RFC 1122 §4.1.3.3) by its port, a TCP connection (MUST-54) by its
/// 4-tuple together with the quoted sequence number. `message` is the whole ICMP message,
/// for its type and code.
/// The next-hop MTU of a Fragmentation Needed (RFC 1191 §4: the low 16 bits of the
/// word after the checksum) or a Packet Too Big (RFC 4443 §3.2: that whole word).
fn next_hop_mtu(remote: IpAddress, message: &[u8]) -> Option<u32> {
    match (remote, message) {
        (IpAddress::V4(_), [3, 4, _, _, _, _, hi, lo, ..]) => {
            Some(u32::from(u16::from_be_bytes([*hi, *lo])))
        }
        (IpAddress::V6(_), [2, _, _, _, a, b, c, d, ..]) => {
            Some(u32::from_be_bytes([*a, *b, *c, *d]))
        }
        _ => None,
    }
}

fn deliver_error(
    sockets: &mut SocketSet<'_>,
    now: Instant,
    from: IpAddress,
    (local, remote, protocol): (IpAddress, IpAddress, IpProtocol),
    quoted_data: &[u8],
    message: &[u8],
) {
    let (Some(ports), Some(kind)) = (quoted_data.get(..4), message.get(..2)) else {
        return;
    };
    let local_port = u16::from_be_bytes([ports[0], ports[1]]);
    let remote_port = u16::from_be_bytes([ports[2], ports[3]]);
    let report = crate::socket::IcmpErrorReport {
        from,
        remote: core::net::SocketAddr::new(remote, remote_port),
        icmp_type: kind[0],
        icmp_code: kind[1],
        next_hop_mtu: next_hop_mtu(remote, message),
    };
    let handle = match protocol {
        IpProtocol::Udp => {
            let exact = DemuxKey::Udp(IpListenEndpoint {
                addr: Some(local),
                port: local_port,
            });
            let any = DemuxKey::Udp(IpListenEndpoint {
                addr: None,
                port: local_port,
            });
            sockets.lookup(&exact).or_else(|| sockets.lookup(&any))
        }
        IpProtocol::Tcp => sockets.lookup(&DemuxKey::TcpConnection {
            local: core::net::SocketAddr::new(local, local_port),
            remote: report.remote,
        }),
        _ => None,
    };
    let Some(mut socket) = handle.and_then(|h| sockets.get_mut(h)) else {
        return;
    };
    match &mut *socket {
        Socket::Udp(udp) => udp.process_error(report),
        Socket::Tcp(tcp) => {
            // RFC 792/4443: at least 8 bytes of the segment are quoted: ports, then SEQ.
            if let Some(seq) = quoted_data.get(4..8) {
                let seq = SeqNumber(u32::from_be_bytes([seq[0], seq[1], seq[2], seq[3]]));
                tcp.process_icmp_error(now, report, seq);
            }
        }
        _ => {}
    }
}

/// Hands an echo reply to the ICMP socket bound to its identifier.
fn deliver_icmp(
    sockets: &mut SocketSet<'_>,
    now: Instant,
    ident: u16,
    src: IpAddress,
    message: &[u8],
) {
    if let Some(mut socket) = sockets
        .lookup(&DemuxKey::IcmpIdent(ident))
        .and_then(|h| sockets.get_mut(h))
    {
        if let Socket::Icmp(icmp) = &mut *socket {
            icmp.process(now, src, message);
        }
    }
}

/// Which ICMPv4 error to send.
#[derive(Debug, Clone, Copy)]
pub(super) enum Icmpv4ErrorKind {
    Unreachable(Icmpv4DstUnreachable),
    TimeExceeded(Icmpv4TimeExceeded),
}

/// Which ICMPv6 error to send.
#[derive(Debug, Clone, Copy)]
pub(super) enum Icmpv6ErrorKind {
    Unreachable(Icmpv6DstUnreachable),
    TimeExceeded(Icmpv6TimeExceeded),
    ParamProblem(Icmpv6ParamProblem, u32),
}

impl InterfaceInner<'_> {
    /// C5.3: whether an ICMPv4 error may answer this datagram, then the rate limit.
    fn icmpv4_error_allowed(
        &mut self,
        now: Instant,
        ip: &Ipv4Repr,
        meta: IpMeta,
        is_icmp_error: bool,
    ) -> bool {
        let src = ip.src_addr;
        let forbidden = is_icmp_error
            || !meta.dst_unicast
            || meta.cast != LinkCast::Unicast
            || !meta.first_fragment
            || src.is_unspecified()
            || src.is_loopback()
            || src.is_broadcast()
            || src.is_multicast()
            || src.octets()[0] >= 240;
        if forbidden {
            self.counters.icmpv4_errors_suppressed += 1;
            return false;
        }
        if !self.icmp_tokens.take(now) {
            self.counters.icmpv4_errors_rate_limited += 1;
            return false;
        }
        true
    }

    /// Builds an ICMPv4 error quoting `packet` (as received, C5.2: the header and as much
    /// data as fits in 576 bytes, sized from the bytes present).
    pub(super) fn icmpv4_error(
        &mut self,
        now: Instant,
        ip: &Ipv4Repr,
        meta: IpMeta,
        packet: &[u8],
        kind: Icmpv4ErrorKind,
    ) {
        let is_icmp_error = ip.next_header == IpProtocol::Icmp && {
            let body = packet.get(ip.buffer_len()..).unwrap_or(&[]);
            body.first().is_some_and(|t| !matches!(t, 0 | 8 | 13 | 14))
        };
        if !self.icmpv4_error_allowed(now, ip, meta, is_icmp_error) {
            return;
        }
        let header_len = ip.buffer_len();
        let room = ICMPV4_ERROR_MAX_LEN - 20 - ICMPV4_HEADER_LEN - header_len;
        let data = packet.get(header_len..).unwrap_or(&[]);
        let data = &data[..data.len().min(room)];
        let repr = match kind {
            Icmpv4ErrorKind::Unreachable(reason) => Icmpv4Repr::DstUnreachable {
                reason,
                next_hop_mtu: 0,
                header: *ip,
                data,
            },
            Icmpv4ErrorKind::TimeExceeded(reason) => Icmpv4Repr::TimeExceeded {
                reason,
                header: *ip,
                data,
            },
        };
        // C10 of C8 mirrored for v4: from the address the datagram went to.
        let src = IpAddress::V4(ip.dst_addr);
        let Some(reply_ip) = self.reply_ip(
            src,
            IpAddress::V4(ip.src_addr),
            IpProtocol::Icmp,
            repr.buffer_len(),
        ) else {
            return;
        };
        let tx_caps = self.caps.checksum;
        self.build_reply(reply_ip, |buf| {
            repr.emit(&mut Icmpv4Packet::new_unchecked(buf), &tx_caps)
        });
        self.counters.icmpv4_errors_tx += 1;
    }

    /// C8.4: whether an ICMPv6 error may answer this packet, then the rate limit (C8.5).
    pub(super) fn icmpv6_error(
        &mut self,
        now: Instant,
        ip: &Ipv6Repr,
        meta: IpMeta,
        packet: &[u8],
        kind: Icmpv6ErrorKind,
    ) {
        let body = packet.get(IPV6_HEADER_LEN..).unwrap_or(&[]);
        // C8.4 e.1/e.2: look past any extension headers for the ICMPv6 type.
        let is_icmp_error_or_redirect = walk_ext_headers(ip.next_header, body)
            .ok()
            .filter(|chain| chain.upper_layer == IpProtocol::Icmpv6)
            .and_then(|chain| body.get(chain.upper_layer_offset))
            .is_some_and(|t| *t < 128 || *t == 137);
        let src = ip.src_addr;
        if is_icmp_error_or_redirect
            || !meta.dst_unicast
            || meta.cast != LinkCast::Unicast
            || src.is_unspecified()
            || src.is_multicast()
        {
            self.counters.icmpv6_errors_suppressed += 1;
            return;
        }
        if !self.icmp_tokens.take(now) {
            self.counters.icmpv6_errors_rate_limited += 1;
            return;
        }
        // C8.3: quote as much as fits in 1280 bytes.
        let room = IPV6_MIN_MTU - IPV6_HEADER_LEN - 8 - IPV6_HEADER_LEN;
        let data = &body[..body.len().min(room)];
        let header = *ip;
        let repr = match kind {
            Icmpv6ErrorKind::Unreachable(reason) => Icmpv6Repr::DstUnreachable {
                reason,
                header,
                data,
            },
            Icmpv6ErrorKind::TimeExceeded(reason) => Icmpv6Repr::TimeExceeded {
                reason,
                header,
                data,
            },
            Icmpv6ErrorKind::ParamProblem(reason, pointer) => Icmpv6Repr::ParamProblem {
                reason,
                pointer,
                header,
                data,
            },
        };
        // C8.10: from the address the packet went to when it was ours, and never from a
        // multicast group (the code 2 exception for multicast destinations comes here
        // with `dst_unicast` forced on).
        let reply_src = if self.has_addr(IpAddress::V6(ip.dst_addr)) {
            Some(IpAddress::V6(ip.dst_addr))
        } else {
            self.select_source(IpAddress::V6(src))
        };
        let Some(reply_src) = reply_src else { return };
        self.send_icmpv6_reply(reply_src, src, repr);
        self.counters.icmpv6_errors_tx += 1;
    }

    pub(super) fn icmpv6_param_problem(
        &mut self,
        now: Instant,
        ip: &Ipv6Repr,
        meta: IpMeta,
        packet: &[u8],
        reason: Icmpv6ParamProblem,
        pointer: usize,
    ) {
        let pointer = u32::try_from(pointer).unwrap_or(u32::MAX);
        self.icmpv6_error(
            now,
            ip,
            meta,
            packet,
            Icmpv6ErrorKind::ParamProblem(reason, pointer),
        );
    }

    /// Builds an ICMPv6 message as the pending reply (the checksum needs both addresses).
    fn send_icmpv6_reply(&mut self, src: IpAddress, dst: Ipv6Address, repr: Icmpv6Repr<'_>) {
        let IpAddress::V6(src6) = src else { return };
        let hop_limit = if matches!(repr, Icmpv6Repr::Ndisc(_)) {
            NDISC_HOP_LIMIT
        } else {
            self.config.hop_limit
        };
        let ip = IpRepr::Ipv6(Ipv6Repr {
            src_addr: src6,
            dst_addr: dst,
            next_header: IpProtocol::Icmpv6,
            payload_len: repr.buffer_len(),
            hop_limit,
            traffic_class: 0,
            flow_label: 0,
        });
        let tx_caps = self.caps.checksum;
        self.build_reply(ip, |buf| {
            repr.emit(&src6, &dst, &mut Icmpv6Packet::new_unchecked(buf), &tx_caps)
        });
    }
}
